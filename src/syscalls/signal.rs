//! Signals: `rt_sigaction`, `rt_sigprocmask`, `sigaltstack`, `kill`/`tkill`/`tgkill`,
//! `rt_sigreturn`/`sigreturn`, and delivery to the guest's handlers, of synchronous faults
//! and of asynchronous signals alike.
//!
//! A fault (SIGSEGV, SIGBUS, SIGTRAP, SIGFPE, SIGILL) raised by an instruction is
//! delivered at once. A signal sent with `kill`, `tkill` or `tgkill` becomes pending for
//! one thread (the one named; for the process the main thread if it does not block the
//! signal and has none to take already, as Linux's `complete_signal` prefers it, else the
//! sender if it does not block it, else the first thread in creation order that does not)
//! and is delivered when
//! that thread next runs, before its next instruction: right after the sending system
//! call when the sender is the target, at the next switch to the target otherwise (one
//! instruction later if the thread stands in a delay slot). A signal every thread blocks
//! waits on the process until one unblocks it. A waiting thread that gets a signal is
//! woken: `FUTEX_WAIT` without a timeout restarts under `SA_RESTART`; a timed futex wait,
//! `nanosleep`, `clock_nanosleep` and `epoll_pwait` fail with `EINTR`, as on Linux MIPS.
//! These are pure functions of the run, so two runs deliver at the same instruction.
//!
//! A handler with `SA_SIGINFO` gets Linux's o32 `rt_sigframe` (argument save area,
//! `siginfo`, `ucontext` with every register), one without it the legacy `sigframe`
//! (argument save area, `sigcontext`, mask); on the alternate stack when `SA_ONSTACK` asks
//! for it. The handler runs with `$a0..$a2` = signal, `&info`, `&uc` (`0`, `&sc` for the
//! legacy frame), and returns to [`SIGRETURN_ADDR`] (or [`SIGRETURN_LEGACY_ADDR`]), which the
//! VM treats as the `rt_sigreturn` (`sigreturn`) trampoline Linux keeps in the vDSO. A
//! fault with no handler, or blocked, stops the run with a [`VmError`] instead (Linux would
//! kill the process).

use super::errno::*;
use super::{be_u32, ret, Args, Ret, SigAction};
use crate::vm::cpu::Exception;
use crate::vm::memory::{Fault, MAPPED};
use crate::vm::sched::{State, Wait};
use crate::vm::trace::{SignalEvent, SigreturnEvent, Tracer};
use crate::vm::{Exit, Vm, VmError};

/// Where a handler with `SA_SIGINFO` returns to; executing here performs `rt_sigreturn`.
pub const SIGRETURN_ADDR: u32 = 0x7fff_f000;
/// Where a handler without `SA_SIGINFO` returns to; executing here performs `sigreturn`.
pub const SIGRETURN_LEGACY_ADDR: u32 = 0x7fff_f008;

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
const SA_SIGINFO: u32 = 0x0000_0008;
const SA_RESTART: u32 = 0x1000_0000;
const SA_ONSTACK: u32 = 0x0800_0000;
const SA_NODEFER: u32 = 0x4000_0000;
const SA_RESETHAND: u32 = 0x8000_0000;
const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;
const SIG_BLOCK: u32 = 1;
const SIG_UNBLOCK: u32 = 2;
const SIG_SETMASK: u32 = 3;
const SIGSET_SIZE: u32 = 16;
/// `si_code` of a signal sent with `kill`.
const SI_USER: i32 = 0;
/// `si_code` of a signal sent with `tkill` or `tgkill`.
const SI_TKILL: i32 = -6;

// Layout of the o32 rt_sigframe.
const FRAME_INFO: u32 = 24;
const FRAME_UC: u32 = FRAME_INFO + 128;
const UC_STACK: u32 = 8;
const UC_MCONTEXT: u32 = 24;
const SC_PC: u32 = 8;
const SC_REGS: u32 = 16;
const SC_MDHI: u32 = 552;
const SC_MDLO: u32 = 560;
/// Bytes of `struct sigcontext`, which the legacy frame's mask follows.
const SC_SIZE: u32 = 592;
const UC_SIGMASK: u32 = UC_MCONTEXT + SC_SIZE;
const FRAME_SIZE: u32 = FRAME_UC + UC_SIGMASK + 16;
// Layout of the o32 (legacy) sigframe: argument save area, sigcontext, mask.
const LEGACY_SC: u32 = 24;
const LEGACY_MASK: u32 = LEGACY_SC + SC_SIZE;
const LEGACY_FRAME_SIZE: u32 = LEGACY_MASK + 16;

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
    // SIGCHLD 18, SIGWINCH 20, SIGURG 21 are ignored; SIGSTOP 23, SIGTSTP 24, SIGCONT 25,
    // SIGTTIN 26, SIGTTOU 27 stop or continue (not modelled: ignored). SIGPWR 19
    // terminates, as on Linux and qemu.
    !matches!(sig, 18 | 20 | 21 | 23..=27)
}

/// Linux's `on_sig_stack`: whether `sp` lies on the alternate stack `(ss_sp, size, flags)`,
/// which grows down from `ss_sp + size` (both ends as Linux counts them).
fn on_sig_stack((ss_sp, size, flags): (u32, u32, u32), sp: u32) -> bool {
    flags != SS_DISABLE && sp > ss_sp && sp - ss_sp <= size
}

/// Whether a signal with this action is dropped when sent: ignored, explicitly or by its
/// default.
fn ignored(act: &SigAction, sig: u32) -> bool {
    act.handler == SIG_IGN || (act.handler == SIG_DFL && !default_terminates(sig))
}

fn sigbit(sig: u32) -> (usize, u32) {
    (((sig - 1) / 32) as usize, 1 << ((sig - 1) % 32))
}

fn blocks(mask: &[u32; 4], sig: u32) -> bool {
    let (w, b) = sigbit(sig);
    mask[w] & b != 0
}

fn read_set(vm: &mut Vm, addr: u32) -> Result<[u32; 4], u32> {
    let b = vm.user_read(addr, 16)?;
    Ok([be_u32(&b, 0), be_u32(&b, 4), be_u32(&b, 8), be_u32(&b, 12)])
}

fn set_bytes(set: &[u32; 4]) -> Vec<u8> {
    set.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// `rt_sigaction(sig, act, oact, sigsetsize)`: records the action. An action that ignores
/// the signal discards its pending instances, as Linux does.
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
    if let Some(mut n) = new {
        // A handler can never block SIGKILL or SIGSTOP.
        for s in [SIGKILL, SIGSTOP] {
            let (w, b) = sigbit(s);
            n.mask[w] &= !b;
        }
        vm.kernel.sigactions[sig as usize] = n;
        if ignored(&n, sig) {
            vm.kernel.pending.remove(&sig);
            for t in &mut vm.threads {
                t.pending.remove(&sig);
            }
        }
    }
    ret(Ok(0))
}

/// `rt_sigprocmask(how, set, oset, sigsetsize)`: the calling thread's mask. Unblocking a
/// pending signal delivers it on the way back from the call.
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
        vm.set_mask(cur, m);
    }
    ret(Ok(0))
}

/// `sigaltstack(ss, oss)`; o32 `stack_t` is `{sp, size, flags}`.
pub fn sigaltstack(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (ss, oss) = (a[0], a[1]);
    let cur = vm.current;
    let (sp, size, flags) = vm.threads[cur].altstack;
    let on = on_sig_stack(vm.threads[cur].altstack, vm.cpu.gpr[29]);
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
        // (SS_ONSTACK sets a stack as 0 does: Linux and qemu-user accept it, for old
        // programs. SS_AUTODISARM is refused, as qemu-user does.)
        if nflags != 0 && nflags != SS_ONSTACK && nflags != SS_DISABLE {
            return ret(Err(EINVAL));
        }
        if nflags != SS_DISABLE && nsize < 2048 {
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

/// Whom a signal is sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `kill`: the process; one thread that does not block it receives it.
    Process,
    /// `tkill`/`tgkill`: this thread (an index in `vm.threads`).
    Thread(usize),
}

/// Sends `sig` (already range-checked, not 0) the way Linux's `send_signal` and
/// `complete_signal` do: dropped if ignored; `SIGKILL`, or a default action that
/// terminates on a thread that does not block it, ends the process (status 128 + N) at
/// once; otherwise it becomes pending for one thread (see the module comment), which is
/// woken if it waits.
fn send(vm: &mut Vm, sig: u32, target: Target) -> Result<Ret, VmError> {
    vm.stats.signals_sent += 1;
    let act = vm.kernel.sigactions[sig as usize];
    let live = |t: &crate::vm::sched::Thread| t.state != State::Exited;
    // The thread that takes it, if any thread does not block it.
    let taker = match target {
        Target::Thread(i) => (!blocks(&vm.threads[i].sigmask, sig)).then_some(i),
        // Linux's complete_signal offers it first to the main thread, when that thread
        // wants it (does not block it, and is running or has nothing to take already),
        // then to the others that do not block it, in an order of its own: here the
        // sender, then creation order.
        Target::Process => {
            let cur = vm.current;
            let main = &vm.threads[0];
            if live(main)
                && !blocks(&main.sigmask, sig)
                && (cur == 0 || vm.next_signal(0).is_none())
            {
                Some(0)
            } else if !blocks(&vm.threads[cur].sigmask, sig) {
                Some(cur)
            } else {
                vm.threads
                    .iter()
                    .position(|t| live(t) && !blocks(&t.sigmask, sig))
            }
        }
    };
    let fatal = sig == SIGKILL || (act.handler == SIG_DFL && default_terminates(sig));
    if fatal && (taker.is_some() || sig == SIGKILL) {
        vm.exit = Some(Exit {
            code: 128 + sig as i32,
            signal: Some(sig),
        });
        return Ok(Ret::NoReturn);
    }
    if ignored(&act, sig) && taker.is_some() {
        return ret(Ok(0));
    }
    let code = if target == Target::Process {
        SI_USER
    } else {
        SI_TKILL
    };
    // A second instance while one is pending merges into it (the first one's si_code).
    match (target, taker) {
        (_, Some(i)) => {
            vm.threads[i].pending.entry(sig).or_insert(code);
            vm.interrupt_wait(i);
        }
        (Target::Thread(i), None) => {
            vm.threads[i].pending.entry(sig).or_insert(code);
        }
        (Target::Process, None) => {
            vm.kernel.pending.entry(sig).or_insert(code);
        }
    }
    vm.sig_check = true;
    ret(Ok(0))
}

/// Checks a signal number for `kill`/`tkill`/`tgkill`: `Ok(None)` for 0, which only
/// checks the target.
fn signal_arg(sig: u32) -> Result<Option<u32>, u32> {
    match sig {
        0 => Ok(None),
        1..=128 => Ok(Some(sig)),
        _ => Err(EINVAL),
    }
}

/// `kill(pid, sig)`: only this process exists; `-1` (every process but the caller's)
/// reaches none.
pub fn kill(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let pid = a[0] as i32;
    if pid != crate::vm::PID as i32 && pid != 0 {
        return ret(Err(ESRCH));
    }
    match signal_arg(a[1]) {
        Ok(Some(sig)) => send(vm, sig, Target::Process),
        Ok(None) => ret(Ok(0)),
        Err(e) => ret(Err(e)),
    }
}

/// The index of live thread `tid`.
fn thread_index(vm: &Vm, tid: u32) -> Option<usize> {
    vm.threads
        .iter()
        .position(|t| t.tid == tid && t.state != State::Exited)
}

fn send_to_thread(vm: &mut Vm, tid: u32, sig: u32) -> Result<Ret, VmError> {
    let Some(i) = thread_index(vm, tid) else {
        return ret(Err(ESRCH));
    };
    match signal_arg(sig) {
        Ok(Some(sig)) => send(vm, sig, Target::Thread(i)),
        Ok(None) => ret(Ok(0)),
        Err(e) => ret(Err(e)),
    }
}

/// `tkill(tid, sig)`.
pub fn tkill(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    send_to_thread(vm, a[0], a[1])
}

/// `tgkill(tgid, tid, sig)`.
pub fn tgkill(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    if a[0] != crate::vm::PID {
        return ret(Err(ESRCH));
    }
    send_to_thread(vm, a[1], a[2])
}

#[cfg(test)]
thread_local! {
    /// Tests: the VM delivers no signal that is sent (they stay pending), so that a
    /// forged witness can claim a run Linux cannot produce.
    pub(crate) static SKIP_DELIVERIES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the VM delivers no sent signal (tests only).
fn skip_deliveries() -> bool {
    #[cfg(test)]
    {
        SKIP_DELIVERIES.with(|f| f.get())
    }
    #[cfg(not(test))]
    {
        false
    }
}

/// What [`Vm::deliver_pending`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Nothing to deliver (or a fatal default action ended the process).
    Nothing,
    /// One signal delivered or discarded; more may follow before the thread runs.
    One,
    /// The thread stands in a delay slot: try again after one instruction.
    Deferred,
}

/// The `siginfo` fields after `si_signo`: `si_code`, then the two union words (the
/// faulting address for a fault; the sender's pid and uid for kill/tkill/tgkill).
#[derive(Clone, Copy, Debug)]
struct Info {
    code: u32,
    words: [u32; 2],
}

impl Vm {
    /// Sets thread `i`'s blocked mask; a signal it unblocks is then delivered at its next
    /// delivery point.
    pub(crate) fn set_mask(&mut self, i: usize, mask: [u32; 4]) {
        let unblocked = (0..4).any(|w| self.threads[i].sigmask[w] & !mask[w] != 0);
        self.threads[i].sigmask = mask;
        if unblocked && (!self.threads[i].pending.is_empty() || !self.kernel.pending.is_empty()) {
            self.sig_check = true;
        }
    }

    /// The lowest signal pending for thread `i` (its own first, then the process's) that
    /// it does not block, and whether it is the thread's own.
    fn next_signal(&self, i: usize) -> Option<(u32, bool)> {
        let t = &self.threads[i];
        let own = t.pending.keys().find(|&&s| !blocks(&t.sigmask, s)).copied();
        let shared = self
            .kernel
            .pending
            .keys()
            .find(|&&s| !blocks(&t.sigmask, s))
            .copied();
        match (own, shared) {
            (Some(a), Some(b)) if b < a => Some((b, false)),
            (Some(a), _) => Some((a, true)),
            (None, Some(b)) => Some((b, false)),
            (None, None) => None,
        }
    }

    /// Wakes thread `i` if it waits in a call that a signal interrupts and it has a
    /// signal to take: `FUTEX_WAIT` without a timeout is restarted when the signal's
    /// handler has `SA_RESTART` (Linux's `ERESTARTSYS`); a timed futex wait, a sleep and
    /// an epoll wait fail with `EINTR` (`ERESTART_RESTARTBLOCK`, `ERESTARTNOHAND`), a
    /// relative sleep writing the time left to its `rem`.
    pub(crate) fn interrupt_wait(&mut self, i: usize) {
        let State::Blocked { wait, deadline } = self.threads[i].state else {
            return;
        };
        let Some((sig, _)) = self.next_signal(i) else {
            return;
        };
        let act = self.kernel.sigactions[sig as usize];
        let restart =
            matches!(wait, Wait::Futex(_)) && deadline.is_none() && act.flags & SA_RESTART != 0;
        if let Wait::Sleep { rem, wide } = wait {
            if rem != 0 {
                let left = deadline.map_or(0, |d| d.saturating_sub(self.now_ns()));
                // Linux returns EFAULT for an unwritable rem; the sleep ends either way.
                let _ = super::time::write_timespec(self, rem, left, wide);
            }
        }
        self.end_wait(i);
        let t = &mut self.threads[i];
        if restart {
            // Back to the SYSCALL, with its number and arguments still in place.
            (t.cpu.pc, t.cpu.next_pc) = t.syscall_resume;
        } else {
            super::set_result(&mut t.cpu, Ret::Err(EINTR));
        }
        t.state = State::Runnable;
        self.log_registers(i, crate::vm::trace::RegisterChange::Interrupted);
    }

    /// Delivers the next signal pending for the running thread at its delivery point,
    /// before its next instruction.
    pub(crate) fn deliver_pending<T: Tracer>(&mut self, t: &mut T) -> Result<Delivery, VmError> {
        let cur = self.current;
        if self.threads[cur].state != State::Running || skip_deliveries() {
            return Ok(Delivery::Nothing);
        }
        let Some((sig, own)) = self.next_signal(cur) else {
            return Ok(Delivery::Nothing);
        };
        if self.cpu.next_pc != self.cpu.pc.wrapping_add(4) {
            return Ok(Delivery::Deferred);
        }
        let code = if own {
            self.threads[cur].pending.remove(&sig)
        } else {
            self.kernel.pending.remove(&sig)
        }
        .unwrap_or(SI_USER);
        let act = self.kernel.sigactions[sig as usize];
        match act.handler {
            SIG_IGN => {}
            SIG_DFL if default_terminates(sig) => {
                self.exit = Some(Exit {
                    code: 128 + sig as i32,
                    signal: Some(sig),
                });
                return Ok(Delivery::Nothing);
            }
            SIG_DFL => {}
            _ => {
                let info = Info {
                    code: code as u32,
                    words: [crate::vm::PID, 0],
                };
                let pc = self.cpu.pc;
                if !self.push_frame(sig, info, pc, false, t) {
                    return Err(VmError::MemoryFault {
                        what:
                            "cannot write the signal frame (Linux kills the process with SIGSEGV)",
                        addr: self.cpu.gpr[29],
                        pc,
                        symbol: self.program.describe_addr(pc),
                    });
                }
            }
        }
        Ok(Delivery::One)
    }

    /// Delivers the signal for a fault to the guest's handler. Returns false when the
    /// guest has no handler for it (or blocks it): the caller then reports an error. A
    /// fetch from a return trampoline is the handler returning: `rt_sigreturn`.
    pub(crate) fn deliver_fault<T: Tracer>(
        &mut self,
        e: Exception,
        t: &mut T,
    ) -> Result<bool, VmError> {
        let pc = self.cpu.pc;
        if e == Exception::Fetch(SIGRETURN_ADDR) || e == Exception::Fetch(SIGRETURN_LEGACY_ADDR) {
            self.sigreturn(e == Exception::Fetch(SIGRETURN_LEGACY_ADDR), t)?;
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
        if act.handler == SIG_DFL
            || act.handler == SIG_IGN
            || blocks(&self.threads[self.current].sigmask, sig)
        {
            return Ok(false);
        }
        // A fault in a delay slot restarts at the branch, as Linux reports it (Cause.BD).
        let epc = if self.in_delay_slot(pc) { pc - 4 } else { pc };
        let info = Info {
            code,
            words: [addr, 0],
        };
        // Linux kills the process with SIGSEGV when the frame cannot be written.
        Ok(self.push_frame(sig, info, epc, true, t))
    }

    /// Pushes the frame for `sig` (rt or legacy, by `SA_SIGINFO`) on the running thread's
    /// stack or alternate stack, saving its registers with `resume_pc` as the PC to
    /// return to, and enters the handler. False if the frame cannot be written.
    fn push_frame<T: Tracer>(
        &mut self,
        sig: u32,
        info: Info,
        resume_pc: u32,
        synchronous: bool,
        t: &mut T,
    ) -> bool {
        let act = self.kernel.sigactions[sig as usize];
        let cur = self.current;
        let rt = act.flags & SA_SIGINFO != 0;
        let (ss_sp, ss_size, ss_flags) = self.threads[cur].altstack;
        let mut sp = self.cpu.gpr[29].wrapping_sub(32);
        // Linux's get_sigframe asks about sp - 32; the saved uc_stack about sp.
        let on_alt = on_sig_stack(self.threads[cur].altstack, self.cpu.gpr[29]);
        if act.flags & SA_ONSTACK != 0
            && ss_flags != SS_DISABLE
            && !on_sig_stack(self.threads[cur].altstack, sp)
        {
            sp = ss_sp.wrapping_add(ss_size);
        }
        let size = if rt { FRAME_SIZE } else { LEGACY_FRAME_SIZE };
        let frame = sp.wrapping_sub(size) & !7;
        let mut f = vec![0u8; size as usize];
        let put = |f: &mut Vec<u8>, off: u32, v: &[u8]| {
            f[off as usize..off as usize + v.len()].copy_from_slice(v)
        };
        let (sc, mask_at) = if rt {
            // siginfo: o32 order is signo, code, errno, then the union.
            put(&mut f, FRAME_INFO, &sig.to_be_bytes());
            put(&mut f, FRAME_INFO + 4, &info.code.to_be_bytes());
            put(&mut f, FRAME_INFO + 12, &info.words[0].to_be_bytes());
            put(&mut f, FRAME_INFO + 16, &info.words[1].to_be_bytes());
            let uc = FRAME_UC;
            put(&mut f, uc + UC_STACK, &ss_sp.to_be_bytes());
            put(&mut f, uc + UC_STACK + 4, &ss_size.to_be_bytes());
            let stack_flags = if on_alt {
                SS_ONSTACK
            } else {
                ss_flags & SS_DISABLE
            };
            put(&mut f, uc + UC_STACK + 8, &stack_flags.to_be_bytes());
            (uc + UC_MCONTEXT, uc + UC_SIGMASK)
        } else {
            (LEGACY_SC, LEGACY_MASK)
        };
        put(&mut f, sc + SC_PC, &(resume_pc as u64).to_be_bytes());
        for r in 0..32 {
            let v = self.cpu.gpr[r as usize] as u64;
            put(&mut f, sc + SC_REGS + 8 * r, &v.to_be_bytes());
        }
        put(&mut f, sc + SC_MDHI, &(self.cpu.hi as u64).to_be_bytes());
        put(&mut f, sc + SC_MDLO, &(self.cpu.lo as u64).to_be_bytes());
        put(&mut f, mask_at, &set_bytes(&self.threads[cur].sigmask));
        if self.mem.write_bytes(frame, &f).is_err() {
            return false;
        }
        let th = &mut self.threads[cur];
        for i in 0..4 {
            th.sigmask[i] |= act.mask[i];
        }
        if act.flags & SA_NODEFER == 0 {
            let (w, b) = sigbit(sig);
            th.sigmask[w] |= b;
        }
        let mask = th.sigmask;
        if act.flags & SA_RESETHAND != 0 {
            // Linux resets only the handler, keeping flags and mask.
            self.kernel.sigactions[sig as usize].handler = SIG_DFL;
        }
        let (a1, a2) = if rt {
            (frame + FRAME_INFO, frame + FRAME_UC)
        } else {
            (0, frame + LEGACY_SC)
        };
        let ra = if rt {
            SIGRETURN_ADDR
        } else {
            SIGRETURN_LEGACY_ADDR
        };
        let c = &mut self.cpu;
        c.gpr[4] = sig;
        c.gpr[5] = a1;
        c.gpr[6] = a2;
        c.gpr[29] = frame;
        c.gpr[31] = ra;
        c.gpr[25] = act.handler;
        c.pc = act.handler;
        c.next_pc = act.handler.wrapping_add(4);
        c.llbit = false;
        self.stats.signals_delivered += 1;
        if T::ENABLED {
            t.signal(&SignalEvent {
                cycle: self.cycles,
                tid: self.current_tid(),
                signal: sig,
                synchronous,
                frame_addr: frame,
                frame: f,
                pc: act.handler,
                a: [sig, a1, a2],
                sp: frame,
                ra,
                t9: act.handler,
                mask,
            });
        }
        self.fresh_frame = true;
        true
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

    /// `rt_sigreturn` (`sigreturn` for a legacy frame): restores the registers and mask
    /// saved in the frame at `$sp`. A frame that is not readable guest memory stops the
    /// run with a memory fault, where Linux kills the process with `SIGSEGV`.
    pub(crate) fn sigreturn<T: Tracer>(&mut self, legacy: bool, t: &mut T) -> Result<(), VmError> {
        let name = if legacy { "sigreturn" } else { "rt_sigreturn" };
        *self.stats.syscalls.entry(name).or_default() += 1;
        let trampoline = if legacy {
            SIGRETURN_LEGACY_ADDR
        } else {
            SIGRETURN_ADDR
        };
        let frame = self.cpu.gpr[29];
        let (sc_at, mask_at) = if legacy {
            (LEGACY_SC, LEGACY_MASK)
        } else {
            (FRAME_UC + UC_MCONTEXT, FRAME_UC + UC_SIGMASK)
        };
        let len = mask_at + SIGSET_SIZE;
        let bytes = frame
            .checked_add(len)
            .and_then(|_| self.mem.read_bytes(frame, len).ok());
        let Some(bytes) = bytes else {
            return Err(VmError::MemoryFault {
                what: "rt_sigreturn with an unreadable signal frame (SIGSEGV)",
                addr: frame,
                pc: trampoline,
                symbol: self.program.describe_addr(trampoline),
            });
        };
        let rd = |off: u32| be_u32(&bytes, off as usize);
        let pc = rd(sc_at + SC_PC + 4);
        let mut gpr = [0u32; 32];
        for (r, g) in gpr.iter_mut().enumerate().skip(1) {
            *g = rd(sc_at + SC_REGS + 8 * r as u32 + 4);
        }
        let hi = rd(sc_at + SC_MDHI + 4);
        let lo = rd(sc_at + SC_MDLO + 4);
        let mut mask = [0u32; 4];
        for (i, m) in mask.iter_mut().enumerate() {
            *m = rd(mask_at + 4 * i as u32);
        }
        for sig in [SIGKILL, SIGSTOP] {
            let (w, b) = sigbit(sig);
            mask[w] &= !b;
        }
        let cur = self.current;
        self.set_mask(cur, mask);
        if !legacy {
            // restore_altstack: the handler may have changed uc_stack; like sigaltstack it
            // takes effect only off the alternate stack and with sane values.
            let st = FRAME_UC + UC_STACK;
            let (nsp, nsize, nflags) = (rd(st), rd(st + 4), rd(st + 8) & SS_DISABLE);
            let t = &mut self.threads[cur];
            let valid = nflags == SS_DISABLE || nsize >= 2048;
            if valid && !on_sig_stack(t.altstack, frame) {
                t.altstack = if nflags == SS_DISABLE {
                    (0, 0, SS_DISABLE)
                } else {
                    (nsp, nsize, 0)
                };
            }
        }
        let c = &mut self.cpu;
        c.gpr = gpr;
        c.hi = hi;
        c.lo = lo;
        c.pc = pc;
        c.next_pc = pc.wrapping_add(4);
        c.llbit = false;
        if T::ENABLED {
            t.sigreturn(&SigreturnEvent {
                cycle: self.cycles,
                tid: self.current_tid(),
                frame_addr: frame,
                frame: bytes,
                gpr,
                hi,
                lo,
                pc,
                mask,
            });
        }
        self.fresh_frame = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, vm, BASE, DATA};
    use super::*;
    use crate::vm::sched::Thread;
    use crate::vm::trace::{NoTracer, Recorder};

    const SIGUSR1: u32 = 16;

    #[test]
    fn sigaltstack_takes_ss_onstack_as_0() {
        const SIGALTSTACK: u32 = 4206;
        // (ss_flags, ss_size, the result, then the stack's size as oss reports it)
        let cases: &[(u32, u32, Ret, u32)] = &[
            (0, 4096, Ret::Ok(0), 4096),
            (SS_ONSTACK, 4096, Ret::Ok(0), 4096),
            (SS_ONSTACK, 1024, Ret::Err(ENOMEM), 0),
            (SS_DISABLE, 0, Ret::Ok(0), 0),
            (1 << 31, 4096, Ret::Err(EINVAL), 0),
        ];
        for &(flags, size, want, kept) in cases {
            let mut vm = vm();
            let ss: Vec<u8> = [DATA + 0x1000, size, flags]
                .iter()
                .flat_map(|w| w.to_be_bytes())
                .collect();
            vm.user_write(DATA, &ss).unwrap();
            let got = call(&mut vm, SIGALTSTACK, [DATA, 0, 0, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "flags {flags:#x}");
            call(&mut vm, SIGALTSTACK, [0, DATA + 0x100, 0, 0, 0, 0]).unwrap();
            assert_eq!(vm.user_u32(DATA + 0x104).unwrap(), kept, "flags {flags:#x}");
        }
    }
    const SIGUSR2: u32 = 17;
    const SIGCHLD: u32 = 18;
    const HANDLER: u32 = BASE + 0x100;
    const KILL: u32 = 4037;
    const TGKILL: u32 = 4266;

    fn handle(vm: &mut Vm, sig: u32, flags: u32) {
        vm.kernel.sigactions[sig as usize] = SigAction {
            flags,
            handler: HANDLER,
            mask: [0; 4],
        };
    }

    fn mask_of(sig: u32) -> [u32; 4] {
        let mut m = [0; 4];
        let (w, b) = sigbit(sig);
        m[w] = b;
        m
    }

    /// A VM with `n` more threads (tids 1001…), all runnable; the main thread runs.
    fn vm_with_threads(n: usize) -> Vm {
        let mut vm = vm();
        for k in 0..n {
            vm.threads
                .push(Thread::new(1001 + k as u32, vm.cpu.clone()));
        }
        vm
    }

    #[test]
    fn sent_signals_take_linux_default_actions_or_become_pending_for_a_handler() {
        // (scenario, signal, handler, outcome of kill: result, exit status, pending?)
        type Case = (&'static str, u32, u32, Ret, Option<i32>, bool);
        let cases: &[Case] = &[
            (
                "SIGURG to Go's handler",
                SIGURG,
                HANDLER,
                Ret::Ok(0),
                None,
                true,
            ),
            (
                "SIGUSR1 to a handler",
                SIGUSR1,
                HANDLER,
                Ret::Ok(0),
                None,
                true,
            ),
            (
                "SIGCHLD to a handler",
                SIGCHLD,
                HANDLER,
                Ret::Ok(0),
                None,
                true,
            ),
            ("ignored", SIGUSR1, SIG_IGN, Ret::Ok(0), None, false),
            ("default ignore", SIGCHLD, SIG_DFL, Ret::Ok(0), None, false),
            (
                "default terminate",
                SIGUSR1,
                SIG_DFL,
                Ret::NoReturn,
                Some(144),
                false,
            ),
            ("SIGKILL", SIGKILL, SIG_DFL, Ret::NoReturn, Some(137), false),
            (
                "SIGPWR terminates by default",
                19,
                SIG_DFL,
                Ret::NoReturn,
                Some(147),
                false,
            ),
        ];
        for &(name, sig, h, want, exit, pending) in cases {
            for (number, pre) in [
                (KILL, vec![crate::vm::PID]),
                (TGKILL, vec![crate::vm::PID; 2]),
            ] {
                let mut vm = vm();
                vm.kernel.sigactions[sig as usize].handler = h;
                let mut args = [0u32; 6];
                args[..pre.len()].copy_from_slice(&pre);
                args[pre.len()] = sig;
                assert_eq!(
                    call(&mut vm, number, args).unwrap(),
                    want,
                    "{number} {name}"
                );
                assert_eq!(vm.exit.map(|e| e.code), exit, "{number} {name}");
                assert_eq!(
                    vm.threads[0].pending.contains_key(&sig),
                    pending,
                    "{number} {name}"
                );
                let code = if number == KILL { SI_USER } else { SI_TKILL };
                if pending {
                    assert_eq!(vm.threads[0].pending[&sig], code, "{name}");
                }
                assert_eq!(vm.stats.signals_sent, 1);
            }
        }
        // Bad arguments.
        let mut vm = vm();
        assert_eq!(
            call(&mut vm, KILL, [crate::vm::PID, 129, 0, 0, 0, 0]).unwrap(),
            Ret::Err(EINVAL)
        );
        assert_eq!(
            call(&mut vm, KILL, [7, SIGUSR1, 0, 0, 0, 0]).unwrap(),
            Ret::Err(ESRCH)
        );
        assert_eq!(
            call(&mut vm, TGKILL, [crate::vm::PID, 4242, SIGUSR1, 0, 0, 0]).unwrap(),
            Ret::Err(ESRCH)
        );
        assert_eq!(
            call(&mut vm, KILL, [crate::vm::PID, 0, 0, 0, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        assert_eq!(vm.stats.signals_sent, 0);
    }

    #[test]
    fn a_process_signal_goes_to_the_main_thread_first_then_one_that_does_not_block_it() {
        let mut vm = vm_with_threads(3);
        handle(&mut vm, SIGUSR1, SA_SIGINFO);
        let send = |vm: &mut Vm| call(vm, KILL, [crate::vm::PID, SIGUSR1, 0, 0, 0, 0]).unwrap();
        // The main thread takes it when it does not block it, even from another sender.
        vm.current = 2;
        send(&mut vm);
        assert!(vm.threads[0].pending.contains_key(&SIGUSR1));
        // With a signal to take already, and not running, it is passed over for the
        // sender.
        send(&mut vm);
        assert!(vm.threads[2].pending.contains_key(&SIGUSR1));
        vm.threads[0].pending.clear();
        vm.threads[2].pending.clear();
        vm.current = 0;
        // Else the first thread in creation order that does not block it.
        vm.threads[0].sigmask = mask_of(SIGUSR1);
        vm.threads[1].sigmask = mask_of(SIGUSR1);
        send(&mut vm);
        assert_eq!(
            vm.threads
                .iter()
                .map(|t| t.pending.contains_key(&SIGUSR1))
                .collect::<Vec<_>>(),
            [false, false, true, false]
        );
        vm.threads[2].pending.clear();
        // Every thread blocks it: it waits on the process, for the first to unblock it.
        for t in &mut vm.threads {
            t.sigmask = mask_of(SIGUSR1);
        }
        send(&mut vm);
        assert!(vm.kernel.pending.contains_key(&SIGUSR1));
        vm.sig_check = false;
        vm.set_mask(0, [0; 4]);
        assert!(vm.sig_check, "unblocking asks for a delivery check");
        assert_eq!(vm.deliver_pending(&mut NoTracer).unwrap(), Delivery::One);
        assert_eq!(vm.cpu.pc, HANDLER);
        assert!(vm.kernel.pending.is_empty());
    }

    #[test]
    fn a_standard_signal_is_pending_once_and_blocked_ones_wait() {
        let mut vm = vm();
        handle(&mut vm, SIGUSR1, SA_SIGINFO);
        handle(&mut vm, SIGUSR2, SA_SIGINFO);
        vm.threads[0].sigmask = mask_of(SIGUSR1);
        for sig in [SIGUSR1, SIGUSR1, SIGUSR1] {
            call(
                &mut vm,
                TGKILL,
                [crate::vm::PID, crate::vm::PID, sig, 0, 0, 0],
            )
            .unwrap();
        }
        // Blocked: nothing to deliver yet.
        assert_eq!(
            vm.deliver_pending(&mut NoTracer).unwrap(),
            Delivery::Nothing
        );
        assert_eq!((vm.cpu.pc, vm.stats.signals_delivered), (BASE, 0));
        vm.set_mask(0, [0; 4]);
        assert_eq!(vm.deliver_pending(&mut NoTracer).unwrap(), Delivery::One);
        assert_eq!(vm.stats.signals_delivered, 1);
        // The handler blocks its own signal (no SA_NODEFER), and no second instance waits.
        assert!(blocks(&vm.threads[0].sigmask, SIGUSR1));
        assert!(vm.threads[0].pending.is_empty());
        // An action set to ignore discards what is pending.
        vm.threads[0].sigmask = mask_of(SIGUSR2);
        call(
            &mut vm,
            TGKILL,
            [crate::vm::PID, crate::vm::PID, SIGUSR2, 0, 0, 0],
        )
        .unwrap();
        vm.kernel.sigactions[SIGUSR2 as usize].handler = SIG_IGN;
        let act = [0u32, SIG_IGN, 0, 0, 0, 0]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect::<Vec<_>>();
        vm.user_write(DATA, &act).unwrap();
        call(&mut vm, 4194, [SIGUSR2, DATA, 0, 16, 0, 0]).unwrap();
        assert!(vm.threads[0].pending.is_empty());
    }

    #[test]
    fn delivery_writes_the_frame_and_sigreturn_restores_every_register() {
        // (scenario, SA_ flags, alternate stack)
        let cases: &[(&str, u32, bool)] = &[
            ("rt frame", SA_SIGINFO, false),
            (
                "rt frame on the alternate stack",
                SA_SIGINFO | SA_ONSTACK,
                true,
            ),
            ("legacy frame (no SA_SIGINFO)", 0, false),
            ("SA_NODEFER", SA_SIGINFO | SA_NODEFER, false),
        ];
        for &(name, flags, alt) in cases {
            let mut vm = vm();
            handle(&mut vm, SIGUSR1, flags);
            vm.kernel.sigactions[SIGUSR1 as usize].mask = mask_of(SIGUSR2);
            for r in 1..32 {
                vm.cpu.gpr[r] = 0x1000 * r as u32;
            }
            vm.cpu.gpr[29] = DATA + 0x1800;
            (vm.cpu.hi, vm.cpu.lo) = (0x1111, 0x2222);
            if alt {
                vm.threads[0].altstack = (DATA, 0x1000, 0);
            }
            let before = vm.cpu.clone();
            call(
                &mut vm,
                TGKILL,
                [crate::vm::PID, crate::vm::PID, SIGUSR1, 0, 0, 0],
            )
            .unwrap();
            let mut rec = Recorder::default();
            assert_eq!(
                vm.deliver_pending(&mut rec).unwrap(),
                Delivery::One,
                "{name}"
            );
            let ev = &rec.signals[0];
            let rt = flags & SA_SIGINFO != 0;
            let frame = vm.cpu.gpr[29];
            assert_eq!(
                (vm.cpu.pc, vm.cpu.gpr[25], vm.cpu.gpr[4]),
                (HANDLER, HANDLER, SIGUSR1),
                "{name}"
            );
            if alt {
                assert!((DATA..DATA + 0x1000).contains(&frame), "{name}: {frame:#x}");
            } else {
                assert!(frame < before.gpr[29] - 32, "{name}");
            }
            if rt {
                assert_eq!(
                    (vm.cpu.gpr[5], vm.cpu.gpr[6], vm.cpu.gpr[31]),
                    (frame + FRAME_INFO, frame + FRAME_UC, SIGRETURN_ADDR),
                    "{name}"
                );
                // siginfo: signo, SI_TKILL, errno 0, the sender's pid.
                let info = vm.user_read(frame + FRAME_INFO, 16).unwrap();
                assert_eq!(
                    [be_u32(&info, 0), be_u32(&info, 4), be_u32(&info, 12)],
                    [SIGUSR1, SI_TKILL as u32, crate::vm::PID],
                    "{name}"
                );
            } else {
                assert_eq!(
                    (vm.cpu.gpr[5], vm.cpu.gpr[6], vm.cpu.gpr[31]),
                    (0, frame + LEGACY_SC, SIGRETURN_LEGACY_ADDR),
                    "{name}"
                );
            }
            // The handler's mask: sa_mask, and the signal itself unless SA_NODEFER.
            assert!(blocks(&vm.threads[0].sigmask, SIGUSR2), "{name}");
            assert_eq!(
                blocks(&vm.threads[0].sigmask, SIGUSR1),
                flags & SA_NODEFER == 0,
                "{name}"
            );
            assert_eq!(
                (ev.frame_addr, ev.signal, ev.synchronous),
                (frame, SIGUSR1, false),
                "{name}"
            );
            assert_eq!(
                vm.mem.read_bytes(frame, ev.frame.len() as u32).unwrap(),
                ev.frame,
                "{name}"
            );
            // Literal o32 offsets, not the constants the code uses: sc_pc, $a0 in sc_regs,
            // sc_mdhi, and the mask.
            let (sc, mask) = if rt { (176, 768) } else { (24, 616) };
            let word = |vm: &mut Vm, off: u32| vm.user_u32(frame + off).unwrap();
            assert_eq!(word(&mut vm, sc + 8 + 4), BASE, "{name}: sc_pc");
            assert_eq!(
                word(&mut vm, sc + 16 + 8 * 4 + 4),
                before.gpr[4],
                "{name}: $a0"
            );
            assert_eq!(word(&mut vm, sc + 552 + 4), 0x1111, "{name}: sc_mdhi");
            assert_eq!(word(&mut vm, mask), 0, "{name}: the mask before");
            if rt {
                assert_eq!(
                    word(&mut vm, 152 + 8),
                    if alt { DATA } else { 0 },
                    "{name}: uc_stack"
                );
            }
            // The handler clobbers registers, then returns through its trampoline.
            for r in 1..32 {
                vm.cpu.gpr[r] ^= 0xdead;
            }
            vm.cpu.gpr[29] = frame;
            let tramp = if rt {
                SIGRETURN_ADDR
            } else {
                SIGRETURN_LEGACY_ADDR
            };
            assert!(
                vm.deliver_fault(Exception::Fetch(tramp), &mut rec).unwrap(),
                "{name}"
            );
            assert_eq!(vm.cpu.gpr, before.gpr, "{name}");
            assert_eq!(
                (vm.cpu.hi, vm.cpu.lo, vm.cpu.pc, vm.cpu.next_pc),
                (0x1111, 0x2222, BASE, BASE + 4),
                "{name}"
            );
            assert_eq!(vm.threads[0].sigmask, [0; 4], "{name}");
            assert_eq!(rec.sigreturns[0].gpr, before.gpr, "{name}");
            assert_eq!(
                vm.stats.syscalls[if rt { "rt_sigreturn" } else { "sigreturn" }],
                1
            );
        }
    }

    #[test]
    fn a_waiting_thread_is_woken_with_eintr_or_restarted_under_sa_restart() {
        // (scenario, wait, deadline, SA_RESTART, expected: restarted, or v0 after EINTR)
        let cases: &[(&str, Wait, Option<u64>, bool, bool)] = &[
            ("futex, SA_RESTART", Wait::Futex(DATA), None, true, true),
            (
                "futex without SA_RESTART",
                Wait::Futex(DATA),
                None,
                false,
                false,
            ),
            (
                "timed futex, SA_RESTART",
                Wait::Futex(DATA),
                Some(1_000_000),
                true,
                false,
            ),
            (
                "nanosleep, SA_RESTART",
                Wait::Sleep {
                    rem: DATA + 0x40,
                    wide: false,
                },
                Some(5_000_000),
                true,
                false,
            ),
            (
                "epoll_pwait, SA_RESTART",
                Wait::Epoll {
                    epfd: 9,
                    events: DATA,
                    max: 1,
                },
                None,
                true,
                false,
            ),
        ];
        for &(name, wait, deadline, restart, restarted) in cases {
            let mut vm = vm_with_threads(1);
            handle(
                &mut vm,
                SIGUSR1,
                SA_SIGINFO | if restart { SA_RESTART } else { 0 },
            );
            let t = &mut vm.threads[1];
            t.state = State::Blocked {
                wait,
                deadline: deadline.map(|d| d + 1_000),
            };
            t.syscall_resume = (BASE, BASE + 4);
            (t.cpu.pc, t.cpu.next_pc) = (BASE + 4, BASE + 0x40);
            t.cpu.gpr[2] = 4238;
            t.cpu.gpr[7] = 0x5555;
            if let Wait::Futex(addr) = wait {
                vm.kernel.futexes.entry(addr).or_default().push_back(1001);
            }
            call(&mut vm, TGKILL, [crate::vm::PID, 1001, SIGUSR1, 0, 0, 0]).unwrap();
            let t = &vm.threads[1];
            assert_eq!(t.state, State::Runnable, "{name}");
            assert!(
                !vm.kernel
                    .futexes
                    .get(&DATA)
                    .is_some_and(|q| q.contains(&1001)),
                "{name}"
            );
            if restarted {
                assert_eq!(
                    (t.cpu.pc, t.cpu.gpr[2]),
                    (BASE, 4238),
                    "{name}: back at the SYSCALL"
                );
            } else {
                assert_eq!(
                    (t.cpu.pc, t.cpu.gpr[2], t.cpu.gpr[7]),
                    (BASE + 4, EINTR, 1),
                    "{name}"
                );
            }
            if let Wait::Sleep { rem, .. } = wait {
                // The time left: its deadline less the (virtual) time now.
                let left = vm.user_read(rem, 8).unwrap();
                let ns = be_u32(&left, 0) as u64 * 1_000_000_000 + be_u32(&left, 4) as u64;
                assert_eq!(ns, deadline.unwrap() + 1_000 - vm.now_ns(), "{name}");
            }
            // The signal is taken when the thread runs.
            assert!(vm.threads[1].pending.contains_key(&SIGUSR1));
        }
        // A blocked signal does not wake the waiter.
        let mut vm = vm_with_threads(1);
        handle(&mut vm, SIGUSR1, SA_SIGINFO);
        vm.threads[1].state = State::Blocked {
            wait: Wait::Futex(DATA),
            deadline: None,
        };
        vm.threads[1].sigmask = mask_of(SIGUSR1);
        call(&mut vm, TGKILL, [crate::vm::PID, 1001, SIGUSR1, 0, 0, 0]).unwrap();
        assert!(matches!(vm.threads[1].state, State::Blocked { .. }));
    }

    #[test]
    fn every_pending_signal_is_delivered_before_the_thread_runs_on() {
        // Two handlers with empty sa_mask, a default-ignored signal between them: all are
        // taken at one delivery point, lowest first, the later frame on top.
        let mut vm = vm();
        handle(&mut vm, SIGUSR1, SA_SIGINFO);
        handle(&mut vm, 22, SA_SIGINFO); // SIGIO
        vm.threads[0].sigmask = [0xffff_ffff; 4];
        for sig in [22, SIGCHLD, SIGUSR1] {
            call(
                &mut vm,
                TGKILL,
                [crate::vm::PID, crate::vm::PID, sig, 0, 0, 0],
            )
            .unwrap();
        }
        vm.set_mask(0, [0; 4]);
        let mut rec = Recorder::default();
        assert_eq!(vm.check_signals(1000, &mut rec).unwrap(), 1000);
        let got: Vec<u32> = rec.signals.iter().map(|e| e.signal).collect();
        assert_eq!(got, [SIGUSR1, 22]);
        assert!(rec.signals[1].frame_addr < rec.signals[0].frame_addr);
        assert!(vm.threads[0].pending.is_empty() && !vm.sig_check);
    }

    #[test]
    fn a_thread_that_would_block_with_a_signal_to_take_is_interrupted_at_once() {
        let mut vm = vm_with_threads(1);
        handle(&mut vm, SIGUSR1, SA_SIGINFO);
        vm.threads[0].pending.insert(SIGUSR1, SI_TKILL);
        // nanosleep: EINTR at once, and the thread keeps the CPU.
        vm.user_write(DATA, &[0, 0, 0, 1, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            call(&mut vm, 4166, [DATA, 0, 0, 0, 0, 0]).unwrap(),
            Ret::Blocked
        );
        assert_eq!((vm.current, vm.threads[0].state), (0, State::Running));
        assert_eq!((vm.cpu.gpr[2], vm.cpu.gpr[7]), (EINTR, 1));
        assert!(vm.sig_check);
        // A restarted futex in a delay slot would loop: it gets EINTR instead.
        vm.kernel.sigactions[SIGUSR1 as usize].flags |= SA_RESTART;
        vm.threads[0].syscall_resume = (BASE + 8, BASE + 0x80);
        assert_eq!(
            call(&mut vm, 4238, [DATA + 0x100, 0, 0, 0, 0, 0]).unwrap(),
            Ret::Blocked
        );
        assert_eq!(
            (vm.cpu.gpr[2], vm.threads[0].state),
            (EINTR, State::Running)
        );
        assert!(vm.kernel.futexes.is_empty());
    }

    #[test]
    fn actions_keep_linux_s_details() {
        let mut vm = vm();
        // sa_mask never holds SIGKILL or SIGSTOP.
        let act: Vec<u8> = [
            SA_SIGINFO | SA_RESETHAND,
            HANDLER,
            u32::MAX,
            u32::MAX,
            u32::MAX,
            u32::MAX,
        ]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
        vm.user_write(DATA, &act).unwrap();
        assert_eq!(
            call(&mut vm, 4194, [SIGUSR1, DATA, 0, 16, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        let m = vm.kernel.sigactions[SIGUSR1 as usize].mask;
        assert!(!blocks(&m, SIGKILL) && !blocks(&m, SIGSTOP) && blocks(&m, SIGUSR2));
        // SA_RESETHAND resets the handler only; a second send keeps the first si_code.
        call(
            &mut vm,
            TGKILL,
            [crate::vm::PID, crate::vm::PID, SIGUSR1, 0, 0, 0],
        )
        .unwrap();
        vm.threads[0].sigmask = mask_of(SIGUSR1);
        call(&mut vm, KILL, [crate::vm::PID, SIGUSR1, 0, 0, 0, 0]).unwrap();
        assert_eq!(vm.threads[0].pending[&SIGUSR1], SI_TKILL);
        vm.set_mask(0, [0; 4]);
        assert_eq!(vm.deliver_pending(&mut NoTracer).unwrap(), Delivery::One);
        let a = vm.kernel.sigactions[SIGUSR1 as usize];
        assert_eq!((a.handler, a.flags), (SIG_DFL, SA_SIGINFO | SA_RESETHAND));
    }

    #[test]
    fn delivery_waits_for_a_delay_slot_to_finish() {
        let mut vm = vm();
        handle(&mut vm, SIGUSR1, SA_SIGINFO);
        call(
            &mut vm,
            TGKILL,
            [crate::vm::PID, crate::vm::PID, SIGUSR1, 0, 0, 0],
        )
        .unwrap();
        // In a delay slot: the next PC is a branch target, not pc + 4.
        (vm.cpu.pc, vm.cpu.next_pc) = (BASE + 8, BASE);
        assert_eq!(
            vm.deliver_pending(&mut NoTracer).unwrap(),
            Delivery::Deferred
        );
        assert_eq!(vm.cpu.pc, BASE + 8);
        (vm.cpu.pc, vm.cpu.next_pc) = (BASE, BASE + 4);
        assert_eq!(vm.deliver_pending(&mut NoTracer).unwrap(), Delivery::One);
        assert_eq!(vm.cpu.pc, HANDLER);
        // The saved PC is where the thread goes on after the handler.
        let sc = vm.cpu.gpr[29] + FRAME_UC + UC_MCONTEXT;
        assert_eq!(vm.user_u32(sc + SC_PC + 4).unwrap(), BASE);
    }

    #[test]
    fn a_pending_signal_with_a_default_action_of_terminate_ends_the_run_when_unblocked() {
        let mut vm = vm();
        vm.threads[0].sigmask = mask_of(SIGUSR1);
        call(&mut vm, KILL, [crate::vm::PID, SIGUSR1, 0, 0, 0, 0]).unwrap();
        assert_eq!(vm.exit, None);
        vm.set_mask(0, [0; 4]);
        vm.deliver_pending(&mut NoTracer).unwrap();
        assert_eq!(
            vm.exit.map(|e| (e.code, e.signal)),
            Some((128 + SIGUSR1 as i32, Some(SIGUSR1)))
        );
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
            let r = vm.deliver_fault(Exception::Fetch(SIGRETURN_ADDR), &mut NoTracer);
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
