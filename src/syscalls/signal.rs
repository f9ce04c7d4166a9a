//! Signals: `rt_sigaction`, `rt_sigprocmask`, `sigaltstack`, `kill`/`tkill`/`tgkill`,
//! `rt_sigreturn`, and delivery of synchronous faults to the guest's handler.
//!
//! A fault (SIGSEGV, SIGBUS, SIGTRAP, SIGFPE, SIGILL) raised by an instruction is
//! delivered the way Linux does on o32: an `rt_sigframe` (argument save area, `siginfo`,
//! `ucontext` with the registers) is pushed on the alternate stack when `SA_ONSTACK` asks
//! for it, the handler runs with `$a0..$a2` = signal, `&info`, `&uc`, and returns to
//! [`SIGRETURN_ADDR`], an address the VM treats as the `rt_sigreturn` trampoline (Linux
//! keeps it in the vDSO). A fault with no handler, or blocked, stops the run with a
//! [`VmError`] instead (Linux would kill the process).

use super::errno::*;
use super::{be_u32, ret, Args, Ret, SigAction};
use crate::vm::cpu::Exception;
use crate::vm::memory::{Fault, MAPPED};
use crate::vm::{Exit, Vm, VmError};

/// Where a signal handler returns to; executing here performs `rt_sigreturn`.
pub const SIGRETURN_ADDR: u32 = 0x7fff_f000;

pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGBUS: u32 = 10;
pub const SIGSEGV: u32 = 11;
pub const SIGURG: u32 = 21;
pub const SIGSTOP: u32 = 23;

const SIG_DFL: u32 = 0;
const SIG_IGN: u32 = 1;
const SA_ONSTACK: u32 = 0x0800_0000;
const SA_NODEFER: u32 = 0x4000_0000;
const SA_RESETHAND: u32 = 0x8000_0000;
const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;
const SIG_BLOCK: u32 = 1;
const SIG_UNBLOCK: u32 = 2;
const SIG_SETMASK: u32 = 3;
const SIGSET_SIZE: u32 = 16;

// Layout of the o32 rt_sigframe.
const FRAME_INFO: u32 = 24;
const FRAME_UC: u32 = FRAME_INFO + 128;
const UC_STACK: u32 = 8;
const UC_MCONTEXT: u32 = 24;
const SC_PC: u32 = 8;
const SC_REGS: u32 = 16;
const SC_MDHI: u32 = 552;
const SC_MDLO: u32 = 560;
const UC_SIGMASK: u32 = UC_MCONTEXT + 592;
const FRAME_SIZE: u32 = FRAME_UC + UC_SIGMASK + 16;

/// The signal and `si_code` Linux raises for a `BREAK` or a fired trap with `code`: code 7
/// is integer division by zero (`SIGFPE`/`FPE_INTDIV`), 6 overflow (`FPE_INTOVF`), the
/// rest `SIGTRAP` (`TRAP_BRKPT` for `BREAK`).
pub(crate) fn trap_signal(code: u32, is_break: bool) -> (u32, u32) {
    match code {
        7 => (SIGFPE, 1),
        6 => (SIGFPE, 2),
        _ => (SIGTRAP, is_break as u32),
    }
}

/// The name of a synchronous-fault signal, for error messages.
pub(crate) fn signal_name(sig: u32) -> &'static str {
    match sig {
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        SIGFPE => "SIGFPE",
        SIGBUS => "SIGBUS",
        SIGSEGV => "SIGSEGV",
        _ => "a signal",
    }
}

/// Whether the default action of `sig` terminates the process (rather than ignoring the
/// signal or stopping/continuing it).
fn default_terminates(sig: u32) -> bool {
    // SIGCHLD 18, SIGPWR 19, SIGWINCH 20, SIGURG 21 are ignored; SIGSTOP 23, SIGTSTP 24,
    // SIGCONT 25, SIGTTIN 26, SIGTTOU 27 stop or continue.
    !matches!(sig, 18..=21 | 23..=27)
}

fn sigbit(sig: u32) -> (usize, u32) {
    (((sig - 1) / 32) as usize, 1 << ((sig - 1) % 32))
}

fn read_set(vm: &mut Vm, addr: u32) -> Result<[u32; 4], u32> {
    let b = vm.user_read(addr, 16)?;
    Ok([be_u32(&b, 0), be_u32(&b, 4), be_u32(&b, 8), be_u32(&b, 12)])
}

fn set_bytes(set: &[u32; 4]) -> Vec<u8> {
    set.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// `rt_sigaction(sig, act, oact, sigsetsize)`: records the action.
pub fn rt_sigaction(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (sig, act, oact, size) = (a[0], a[1], a[2], a[3]);
    if size != SIGSET_SIZE || sig == 0 || sig > 128 {
        return ret(Err(EINVAL));
    }
    if act != 0 && (sig == SIGKILL || sig == SIGSTOP) {
        return ret(Err(EINVAL));
    }
    let old = vm.kernel.sigactions[sig as usize];
    let new = if act != 0 {
        match vm.user_read(act, 24) {
            Ok(b) => {
                let w = |i: usize| be_u32(&b, 4 * i);
                Some(SigAction {
                    flags: w(0),
                    handler: w(1),
                    mask: [w(2), w(3), w(4), w(5)],
                })
            }
            Err(e) => return ret(Err(e)),
        }
    } else {
        None
    };
    if oact != 0 {
        let mut b = old.flags.to_be_bytes().to_vec();
        b.extend(old.handler.to_be_bytes());
        b.extend(set_bytes(&old.mask));
        if let Err(e) = vm.user_write(oact, &b) {
            return ret(Err(e));
        }
    }
    if let Some(n) = new {
        vm.kernel.sigactions[sig as usize] = n;
    }
    ret(Ok(0))
}

/// `rt_sigprocmask(how, set, oset, sigsetsize)`: the calling thread's mask.
pub fn rt_sigprocmask(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (how, set, oset, size) = (a[0], a[1], a[2], a[3]);
    if size != SIGSET_SIZE {
        return ret(Err(EINVAL));
    }
    let cur = vm.current;
    let old = vm.threads[cur].sigmask;
    let new = if set != 0 {
        let s = match read_set(vm, set) {
            Ok(s) => s,
            Err(e) => return ret(Err(e)),
        };
        let mut m = old;
        for i in 0..4 {
            m[i] = match how {
                SIG_BLOCK => old[i] | s[i],
                SIG_UNBLOCK => old[i] & !s[i],
                SIG_SETMASK => s[i],
                _ => return ret(Err(EINVAL)),
            };
        }
        // SIGKILL and SIGSTOP cannot be blocked.
        for sig in [SIGKILL, SIGSTOP] {
            let (w, b) = sigbit(sig);
            m[w] &= !b;
        }
        Some(m)
    } else {
        None
    };
    if oset != 0 {
        if let Err(e) = vm.user_write(oset, &set_bytes(&old)) {
            return ret(Err(e));
        }
    }
    if let Some(m) = new {
        vm.threads[cur].sigmask = m;
    }
    ret(Ok(0))
}

/// `sigaltstack(ss, oss)`; o32 `stack_t` is `{sp, size, flags}`.
pub fn sigaltstack(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (ss, oss) = (a[0], a[1]);
    let cur = vm.current;
    let (sp, size, flags) = vm.threads[cur].altstack;
    let on = flags != SS_DISABLE && vm.cpu.gpr[29].wrapping_sub(sp) < size;
    if oss != 0 {
        let f = if flags == SS_DISABLE {
            SS_DISABLE
        } else if on {
            SS_ONSTACK
        } else {
            0
        };
        let mut b = sp.to_be_bytes().to_vec();
        b.extend(size.to_be_bytes());
        b.extend(f.to_be_bytes());
        if let Err(e) = vm.user_write(oss, &b) {
            return ret(Err(e));
        }
    }
    if ss != 0 {
        let b = match vm.user_read(ss, 12) {
            Ok(b) => b,
            Err(e) => return ret(Err(e)),
        };
        let (nsp, nsize, nflags) = (be_u32(&b, 0), be_u32(&b, 4), be_u32(&b, 8));
        if on {
            return ret(Err(EPERM));
        }
        if nflags != 0 && nflags != SS_DISABLE {
            return ret(Err(EINVAL));
        }
        if nflags == 0 && nsize < 2048 {
            return ret(Err(ENOMEM));
        }
        vm.threads[cur].altstack = if nflags == SS_DISABLE {
            (0, 0, SS_DISABLE)
        } else {
            (nsp, nsize, 0)
        };
    }
    ret(Ok(0))
}

/// Records a signal sent to the process or a thread; kills the process if the signal's
/// action is the default and that default terminates. A signal for a handler the guest
/// installed cannot be delivered, so it stops the run rather than being lost while the
/// call reports success. Only signals whose default is to be ignored (`SIGCHLD, SIGPWR,
/// SIGWINCH, SIGURG`) are recorded even with a handler: Go's handler does nothing for them
/// unless `signal.Notify` asked for them, and `SIGURG` is Go's preemption request.
fn send(vm: &mut Vm, sig: u32, name: &'static str) -> Result<Ret, VmError> {
    if sig == 0 {
        return ret(Ok(0));
    }
    if sig > 128 {
        return ret(Err(EINVAL));
    }
    let act = vm.kernel.sigactions[sig as usize];
    let handled = act.handler != SIG_DFL && act.handler != SIG_IGN;
    if handled && default_terminates(sig) && sig != SIGKILL {
        return Err(vm.unsupported(
            name,
            format!(
                "signal {sig} has a handler the guest installed; zkm delivers only \
                 synchronous faults to handlers"
            ),
        ));
    }
    vm.stats.signals_recorded += 1;
    if sig == SIGKILL || (act.handler == SIG_DFL && default_terminates(sig)) {
        vm.exit = Some(Exit {
            code: 128 + sig as i32,
            signal: Some(sig),
        });
        return Ok(Ret::NoReturn);
    }
    ret(Ok(0))
}

/// `kill(pid, sig)`: only this process exists.
pub fn kill(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let pid = a[0] as i32;
    if pid != crate::vm::PID as i32 && pid != 0 && pid != -1 {
        return ret(Err(ESRCH));
    }
    send(vm, a[1], "kill")
}

fn thread_exists(vm: &Vm, tid: u32) -> bool {
    vm.threads
        .iter()
        .any(|t| t.tid == tid && t.state != crate::vm::sched::State::Exited)
}

/// `tkill(tid, sig)`.
pub fn tkill(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    if !thread_exists(vm, a[0]) {
        return ret(Err(ESRCH));
    }
    send(vm, a[1], "tkill")
}

/// `tgkill(tgid, tid, sig)`.
pub fn tgkill(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    if a[0] != crate::vm::PID || !thread_exists(vm, a[1]) {
        return ret(Err(ESRCH));
    }
    send(vm, a[2], "tgkill")
}

impl Vm {
    /// Delivers the signal for a fault to the guest's handler. Returns false when the
    /// guest has no handler for it (or blocks it): the caller then reports an error.
    pub(crate) fn deliver_fault(&mut self, e: Exception) -> Result<bool, VmError> {
        let pc = self.cpu.pc;
        if e == Exception::Fetch(SIGRETURN_ADDR) {
            self.sigreturn()?;
            return Ok(true);
        }
        let (sig, code, addr) = match e {
            Exception::Mem(Fault::Unmapped(a)) => (SIGSEGV, self.segv_code(a), a),
            Exception::Fetch(a) if a % 4 == 0 => (SIGSEGV, self.segv_code(a), a),
            Exception::Mem(Fault::Misaligned(a)) | Exception::Fetch(a) => (SIGBUS, 1, a),
            Exception::Trap { code, is_break } => {
                let (sig, si_code) = trap_signal(code, is_break);
                (sig, si_code, pc)
            }
            Exception::Overflow => (SIGFPE, 2, pc),
            Exception::Reserved => (SIGILL, 1, pc),
            Exception::Syscall => return Ok(false),
        };
        let act = self.kernel.sigactions[sig as usize];
        let (w, b) = sigbit(sig);
        let cur = self.current;
        if act.handler == SIG_DFL || act.handler == SIG_IGN || self.threads[cur].sigmask[w] & b != 0
        {
            return Ok(false);
        }
        // A fault in a delay slot restarts at the branch, as Linux reports it (Cause.BD).
        let epc = if self.in_delay_slot(pc) { pc - 4 } else { pc };
        let (ss_sp, ss_size, ss_flags) = self.threads[cur].altstack;
        let mut sp = self.cpu.gpr[29].wrapping_sub(32);
        let on_alt = ss_flags != SS_DISABLE && self.cpu.gpr[29].wrapping_sub(ss_sp) < ss_size;
        if act.flags & SA_ONSTACK != 0 && ss_flags != SS_DISABLE && !on_alt {
            sp = ss_sp.wrapping_add(ss_size);
        }
        let frame = sp.wrapping_sub(FRAME_SIZE) & !7;
        let mut f = vec![0u8; FRAME_SIZE as usize];
        let put = |f: &mut Vec<u8>, off: u32, v: &[u8]| {
            f[off as usize..off as usize + v.len()].copy_from_slice(v)
        };
        // siginfo: o32 order is signo, code, errno, then the union (si_addr).
        put(&mut f, FRAME_INFO, &sig.to_be_bytes());
        put(&mut f, FRAME_INFO + 4, &code.to_be_bytes());
        put(&mut f, FRAME_INFO + 12, &addr.to_be_bytes());
        let uc = FRAME_UC;
        put(&mut f, uc + UC_STACK, &ss_sp.to_be_bytes());
        put(&mut f, uc + UC_STACK + 4, &ss_size.to_be_bytes());
        put(
            &mut f,
            uc + UC_STACK + 8,
            &(if on_alt {
                SS_ONSTACK
            } else {
                ss_flags & SS_DISABLE
            })
            .to_be_bytes(),
        );
        let mc = uc + UC_MCONTEXT;
        put(&mut f, mc + SC_PC, &(epc as u64).to_be_bytes());
        for r in 0..32 {
            put(
                &mut f,
                mc + SC_REGS + 8 * r,
                &(self.cpu.gpr[r as usize] as u64).to_be_bytes(),
            );
        }
        put(&mut f, mc + SC_MDHI, &(self.cpu.hi as u64).to_be_bytes());
        put(&mut f, mc + SC_MDLO, &(self.cpu.lo as u64).to_be_bytes());
        put(
            &mut f,
            uc + UC_SIGMASK,
            &set_bytes(&self.threads[cur].sigmask),
        );
        if self.mem.write_bytes(frame, &f).is_err() {
            // Linux kills the process with SIGSEGV when the frame cannot be written.
            return Ok(false);
        }
        let t = &mut self.threads[cur];
        for i in 0..4 {
            t.sigmask[i] |= act.mask[i];
        }
        if act.flags & SA_NODEFER == 0 {
            t.sigmask[w] |= b;
        }
        if act.flags & SA_RESETHAND != 0 {
            self.kernel.sigactions[sig as usize] = SigAction::default();
        }
        let c = &mut self.cpu;
        c.gpr[4] = sig;
        c.gpr[5] = frame + FRAME_INFO;
        c.gpr[6] = frame + FRAME_UC;
        c.gpr[29] = frame;
        c.gpr[31] = SIGRETURN_ADDR;
        c.gpr[25] = act.handler;
        c.pc = act.handler;
        c.next_pc = act.handler.wrapping_add(4);
        self.stats.signals_delivered += 1;
        Ok(true)
    }

    /// `SEGV_MAPERR` (1) for an unmapped address, `SEGV_ACCERR` (2) for a protected one.
    fn segv_code(&self, addr: u32) -> u32 {
        if self.mem.prot(addr) & MAPPED != 0 {
            2
        } else {
            1
        }
    }

    /// Whether the instruction at `pc` sits in the delay slot of a branch or jump.
    fn in_delay_slot(&self, pc: u32) -> bool {
        let idx = (pc.wrapping_sub(self.text_base) >> 2) as usize;
        idx != 0 && idx <= self.text.len() && self.text[idx - 1].op.has_delay_slot()
    }

    /// `rt_sigreturn`: restores the registers and mask saved in the frame at `$sp`. A
    /// frame that is not readable guest memory stops the run with a memory fault, where
    /// Linux kills the process with `SIGSEGV`.
    fn sigreturn(&mut self) -> Result<(), VmError> {
        *self.stats.syscalls.entry("rt_sigreturn").or_default() += 1;
        let frame = self.cpu.gpr[29];
        let uc = frame
            .checked_add(FRAME_UC)
            .filter(|uc| uc.checked_add(UC_SIGMASK + SIGSET_SIZE).is_some())
            .and_then(|uc| self.mem.read_bytes(uc, UC_SIGMASK + SIGSET_SIZE).ok());
        let Some(uc) = uc else {
            return Err(VmError::MemoryFault {
                what: "rt_sigreturn with an unreadable signal frame (SIGSEGV)",
                addr: frame,
                pc: SIGRETURN_ADDR,
                symbol: self.program.describe_addr(SIGRETURN_ADDR),
            });
        };
        let rd = |off: u32| be_u32(&uc, off as usize);
        let mc = UC_MCONTEXT;
        let pc = rd(mc + SC_PC + 4);
        let mut gpr = [0u32; 32];
        for (r, g) in gpr.iter_mut().enumerate().skip(1) {
            *g = rd(mc + SC_REGS + 8 * r as u32 + 4);
        }
        let hi = rd(mc + SC_MDHI + 4);
        let lo = rd(mc + SC_MDLO + 4);
        let mut mask = [0u32; 4];
        for (i, m) in mask.iter_mut().enumerate() {
            *m = rd(UC_SIGMASK + 4 * i as u32);
        }
        for sig in [SIGKILL, SIGSTOP] {
            let (w, b) = sigbit(sig);
            mask[w] &= !b;
        }
        self.threads[self.current].sigmask = mask;
        let c = &mut self.cpu;
        c.gpr = gpr;
        c.hi = hi;
        c.lo = lo;
        c.pc = pc;
        c.next_pc = pc.wrapping_add(4);
        c.llbit = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{vm, BASE, DATA};
    use super::*;

    #[test]
    fn sent_signals_are_recorded_kill_or_stop_the_run_when_a_handler_would_miss_them() {
        const SIGUSR1: u32 = 16;
        const SIGCHLD: u32 = 18;
        let handler = BASE;
        // (scenario, signal, its handler, expected outcome: Some(result) or None for an
        // unsupported-call error)
        let cases: &[(&str, u32, u32, Option<Ret>)] = &[
            (
                "SIGURG to Go's handler is recorded",
                SIGURG,
                handler,
                Some(Ret::Ok(0)),
            ),
            (
                "SIGCHLD to a handler is recorded",
                SIGCHLD,
                handler,
                Some(Ret::Ok(0)),
            ),
            ("ignored signal", SIGUSR1, SIG_IGN, Some(Ret::Ok(0))),
            ("default ignore", SIGCHLD, SIG_DFL, Some(Ret::Ok(0))),
            ("default terminate", SIGUSR1, SIG_DFL, Some(Ret::NoReturn)),
            ("SIGKILL", SIGKILL, SIG_DFL, Some(Ret::NoReturn)),
            ("SIGUSR1 to a handler", SIGUSR1, handler, None),
            ("SIGSEGV to a handler", SIGSEGV, handler, None),
        ];
        // (call, arguments before the signal)
        let calls: &[(&str, u32, &[u32])] = &[
            ("kill", 4037, &[crate::vm::PID]),
            ("tkill", 4236, &[crate::vm::PID]),
            ("tgkill", 4266, &[crate::vm::PID, crate::vm::PID]),
        ];
        for &(call_name, number, pre) in calls {
            for &(name, sig, h, want) in cases {
                let mut vm = vm();
                vm.kernel.sigactions[sig as usize].handler = h;
                let mut args = [0u32; 6];
                args[..pre.len()].copy_from_slice(pre);
                args[pre.len()] = sig;
                match (super::super::testing::call(&mut vm, number, args), want) {
                    (Ok(got), Some(want)) => assert_eq!(got, want, "{call_name}: {name}"),
                    (Err(VmError::UnsupportedSyscall { name: n, .. }), None) => {
                        assert_eq!(n, call_name, "{name}")
                    }
                    (other, _) => panic!("{call_name}: {name}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn sigreturn_restores_a_readable_frame_and_faults_on_a_bad_one() {
        // (scenario, $sp at rt_sigreturn, whether the frame is readable)
        let cases: &[(&str, u32, bool)] = &[
            ("frame in the data pages", DATA, true),
            ("frame address wraps past 4 GiB", 0xffff_ff00, false),
            ("frame in unmapped memory", 0x1000, false),
            (
                "frame runs off the end of the data pages",
                DATA + 0x1f00,
                false,
            ),
        ];
        for &(name, sp, readable) in cases {
            let mut vm = vm();
            if readable {
                let mc = sp + FRAME_UC + UC_MCONTEXT;
                vm.user_write(mc + SC_PC + 4, &(BASE + 4).to_be_bytes())
                    .unwrap();
                vm.user_write(mc + SC_REGS + 8 * 2 + 4, &7u32.to_be_bytes())
                    .unwrap();
            }
            vm.cpu.gpr[29] = sp;
            let r = vm.deliver_fault(Exception::Fetch(SIGRETURN_ADDR));
            match r {
                Ok(true) if readable => {
                    assert_eq!((vm.cpu.pc, vm.cpu.gpr[2]), (BASE + 4, 7), "{name}");
                }
                Err(VmError::MemoryFault { addr, what, .. }) if !readable => {
                    assert_eq!(addr, sp, "{name}");
                    assert!(what.contains("rt_sigreturn"), "{name}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
