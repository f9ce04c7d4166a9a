//! `zkm run --strace`: one line per system call, as `qemu-mips -strace` prints them.
//!
//! A [`Strace`] is a [`Tracer`] that hears only the calls, their returns and the signals.
//! A call that returns at once prints as `name(a0, a1, a2, a3) = value` (or `= -1 ENAME`);
//! one that blocks prints `<unfinished>` and, when its wait ends, `name resumed = value`.

use std::io::Write;

use crate::vm::cpu::Cpu;
use crate::vm::trace::{KernelEvent, RegisterChange, SignalEvent, SyscallEvent, Tracer};

use super::names;

/// Prints the system calls of a run to `out`. Write errors are ignored: a closed log must
/// not change the guest's run.
pub struct Strace<W: Write> {
    out: W,
    /// The call waiting for its return, and its line so far (printed when it returns, so
    /// that what the call itself writes comes first).
    pending: Option<(SyscallEvent, String)>,
    /// Calls blocked in their wait, by thread: their number.
    blocked: Vec<(u32, u32)>,
}

impl<W: Write> Strace<W> {
    pub fn new(out: W) -> Strace<W> {
        Strace {
            out,
            pending: None,
            blocked: Vec::new(),
        }
    }

    /// Ends the line of a call that did not return at once.
    fn unfinished(&mut self) {
        if let Some((ev, line)) = self.pending.take() {
            let _ = writeln!(self.out, "{line} <unfinished>");
            self.blocked.push((ev.tid, ev.number));
        }
    }
}

/// A call still pending when the run ends (`exit_group`, or a thread's last wait) prints
/// as `= ?`, as strace shows a call that never returns.
impl<W: Write> Drop for Strace<W> {
    fn drop(&mut self) {
        if let Some((_, line)) = self.pending.take() {
            let _ = writeln!(self.out, "{line} = ?");
        }
    }
}

fn name(number: u32) -> String {
    names::name(number).map_or_else(|| format!("syscall_{number}"), str::to_string)
}

/// `= value` or `= -1 ENAME (errno)`, from `$v0` and `$a3`.
fn result(cpu: &Cpu) -> String {
    let (v0, a3) = (cpu.gpr[2], cpu.gpr[7]);
    if a3 == 0 {
        format!("= {v0:#x}")
    } else {
        format!("= -1 {}", errno_name(v0))
    }
}

/// `ENAME` for the errnos the VM returns, else the number.
fn errno_name(n: u32) -> String {
    use super::errno::*;
    let name = match n {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EFAULT => "EFAULT",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        EMFILE => "EMFILE",
        ENOTTY => "ENOTTY",
        ESPIPE => "ESPIPE",
        EROFS => "EROFS",
        EPIPE => "EPIPE",
        ERANGE => "ERANGE",
        ENAMETOOLONG => "ENAMETOOLONG",
        ENOSYS => "ENOSYS",
        EAFNOSUPPORT => "EAFNOSUPPORT",
        ETIMEDOUT => "ETIMEDOUT",
        _ => return format!("errno {n}"),
    };
    name.to_string()
}

impl<W: Write> Tracer for Strace<W> {
    fn syscall(&mut self, ev: &SyscallEvent) {
        self.unfinished();
        let [a0, a1, a2, a3, ..] = ev.args;
        let line = format!(
            "{} [{}] {}({a0:#x}, {a1:#x}, {a2:#x}, {a3:#x})",
            ev.cycle,
            ev.tid,
            name(ev.number)
        );
        self.pending = Some((*ev, line));
    }

    fn syscall_done(&mut self, after: &Cpu) {
        if let Some((_, line)) = self.pending.take() {
            let _ = writeln!(self.out, "{line} {}", result(after));
        }
    }

    fn signal(&mut self, ev: &SignalEvent) {
        self.unfinished();
        let _ = writeln!(
            self.out,
            "{} [{}] --- signal {} ({}) to handler {:#x} ---",
            ev.cycle,
            ev.tid,
            ev.signal,
            if ev.synchronous { "fault" } else { "sent" },
            ev.pc
        );
    }

    fn kernel(&mut self, cycle: u64, ev: &KernelEvent) {
        let KernelEvent::Registers { tid, cpu, why } = ev else {
            return;
        };
        if !matches!(why, RegisterChange::WaitDone | RegisterChange::Interrupted) {
            return;
        }
        self.unfinished();
        let Some(i) = self.blocked.iter().position(|&(t, _)| t == *tid) else {
            return;
        };
        let (_, number) = self.blocked.swap_remove(i);
        let how = if *why == RegisterChange::Interrupted {
            " (interrupted)"
        } else {
            ""
        };
        let _ = writeln!(
            self.out,
            "{cycle} [{tid}] {} resumed {}{how}",
            name(number),
            result(cpu)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(number: u32, args: [u32; 6]) -> SyscallEvent {
        SyscallEvent {
            cycle: 7,
            tid: 1,
            number,
            args,
        }
    }

    #[test]
    fn prints_calls_results_and_resumed_waits() {
        let mut buf = Vec::new();
        let mut s = Strace::new(&mut buf);
        let mut cpu = Cpu::default();
        s.syscall(&call(4004, [1, 0x1000, 5, 0, 0, 0]));
        cpu.gpr[2] = 5;
        s.syscall_done(&cpu);
        s.syscall(&call(4166, [0x2000, 0, 0, 0, 0, 0]));
        s.syscall(&call(4005, [0x3000, 0, 0, 0, 0, 0]));
        cpu.gpr[2] = 2;
        cpu.gpr[7] = 1;
        s.syscall_done(&cpu);
        cpu.gpr[2] = 0;
        cpu.gpr[7] = 0;
        s.kernel(
            9,
            &KernelEvent::Registers {
                tid: 1,
                cpu: cpu.clone(),
                why: RegisterChange::WaitDone,
            },
        );
        s.syscall(&call(4246, [3, 0, 0, 0, 0, 0]));
        drop(s);
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "7 [1] write(0x1, 0x1000, 0x5, 0x0) = 0x5\n\
             7 [1] nanosleep(0x2000, 0x0, 0x0, 0x0) <unfinished>\n\
             7 [1] open(0x3000, 0x0, 0x0, 0x0) = -1 ENOENT\n\
             9 [1] nanosleep resumed = 0x0\n\
             7 [1] exit_group(0x3, 0x0, 0x0, 0x0) = ?\n"
        );
    }
}
