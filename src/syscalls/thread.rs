//! Threads: `clone`, `exit`, `exit_group`, `futex`, `sched_yield`, `set_thread_area`.

use super::errno::*;
use super::{ret, Args, Ret};
use crate::vm::sched::{State, Thread, Wait};
use crate::vm::{Exit, Vm, VmError};

const CLONE_VM: u32 = 0x100;
const CLONE_FS: u32 = 0x200;
const CLONE_FILES: u32 = 0x400;
const CLONE_SIGHAND: u32 = 0x800;
const CLONE_THREAD: u32 = 0x10000;
const CLONE_SYSVSEM: u32 = 0x40000;
const CLONE_SETTLS: u32 = 0x80000;
const CLONE_PARENT_SETTID: u32 = 0x100000;
const CLONE_CHILD_CLEARTID: u32 = 0x200000;
const CLONE_CHILD_SETTID: u32 = 0x1000000;

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

/// `clone(flags, stack, ptid, tls, ctid)`: only threads (the flag set Go and glibc's
/// `pthread_create` use); the child starts after the `SYSCALL` with `$v0 = 0` on `stack`.
pub fn clone(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (flags, stack, ptid, tls, ctid) = (a[0], a[1], a[2], a[3], a[4]);
    let required = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
    let known = required
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SYSVSEM
        | CLONE_SETTLS
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID
        | CLONE_CHILD_SETTID;
    if flags & required != required || flags & !known != 0 {
        return Err(vm.unsupported(
            "clone",
            format!("flags {flags:#x}: only threads (CLONE_VM|CLONE_THREAD|CLONE_SIGHAND...) are supported, not processes"),
        ));
    }
    let tid = vm.kernel.next_tid;
    vm.kernel.next_tid += 1;
    if flags & CLONE_PARENT_SETTID != 0 && vm.user_write(ptid, &tid.to_be_bytes()).is_err() {
        return ret(Err(EFAULT));
    }
    if flags & CLONE_CHILD_SETTID != 0 && vm.user_write(ctid, &tid.to_be_bytes()).is_err() {
        return ret(Err(EFAULT));
    }
    let mut cpu = vm.cpu.clone();
    if stack != 0 {
        cpu.gpr[29] = stack;
    }
    cpu.gpr[2] = 0;
    cpu.gpr[7] = 0;
    cpu.llbit = false;
    let parent = &vm.threads[vm.current];
    let mut child = Thread::new(tid, cpu);
    child.sigmask = parent.sigmask;
    child.tls = if flags & CLONE_SETTLS != 0 {
        tls
    } else {
        parent.tls
    };
    if flags & CLONE_CHILD_CLEARTID != 0 {
        child.clear_tid = ctid;
    }
    let pointer = crate::vm::trace::KernelEvent::ThreadPointer {
        tid,
        value: child.tls,
    };
    vm.threads.push(child);
    vm.stats.threads += 1;
    vm.mem.log_event(pointer);
    let parent = vm.current_tid();
    vm.log_registers(
        vm.threads.len() - 1,
        crate::vm::trace::RegisterChange::Clone { parent },
    );
    ret(Ok(tid))
}

#[cfg(test)]
thread_local! {
    /// Tests: `exit` returns and its thread goes on, a run Linux never gives, for the
    /// proof's tests to forge.
    pub(crate) static EXIT_GOES_ON: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `exit(code)`: ends the calling thread; the last thread's exit ends the process.
pub fn exit(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    #[cfg(test)]
    if EXIT_GOES_ON.with(|f| f.get()) {
        return Ok(Ret::NoReturn);
    }
    let cur = vm.current;
    let clear = vm.threads[cur].clear_tid;
    if clear != 0 && vm.mem.kernel_store32(clear, 0).is_ok() {
        wake(vm, clear, 1);
    }
    vm.threads[cur].cpu = vm.cpu.clone();
    vm.threads[cur].state = State::Exited;
    if vm.threads.iter().all(|t| t.state == State::Exited) {
        vm.exit = Some(Exit {
            code: (a[0] & 0xff) as i32,
            signal: None,
        });
        return Ok(Ret::NoReturn);
    }
    vm.schedule()?;
    Ok(Ret::NoReturn)
}

/// `exit_group(code)`: ends the process.
pub fn exit_group(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    vm.exit = Some(Exit {
        code: (a[0] & 0xff) as i32,
        signal: None,
    });
    Ok(Ret::NoReturn)
}

/// `sched_yield()`: the next runnable thread runs.
pub fn sched_yield(_vm: &mut Vm, _a: &Args) -> Result<Ret, VmError> {
    Ok(Ret::Yield)
}

/// `set_thread_area(addr)`: sets the value `RDHWR $29` reads.
pub fn set_thread_area(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    vm.threads[vm.current].tls = a[0];
    let tid = vm.current_tid();
    vm.mem
        .log_event(crate::vm::trace::KernelEvent::ThreadPointer { tid, value: a[0] });
    ret(Ok(0))
}

/// Wakes up to `n` waiters on `addr`, oldest first; returns how many woke.
pub(crate) fn wake(vm: &mut Vm, addr: u32, n: u32) -> u32 {
    let mut woken = 0;
    while woken < n {
        let Some(tid) = vm.kernel.futexes.get_mut(&addr).and_then(|q| q.pop_front()) else {
            break;
        };
        if let Some(i) = vm.threads.iter().position(|t| t.tid == tid) {
            vm.finish_wait(i, false);
            woken += 1;
        }
    }
    if vm.kernel.futexes.get(&addr).is_some_and(|q| q.is_empty()) {
        vm.kernel.futexes.remove(&addr);
    }
    woken
}

/// A relative timeout in nanoseconds from a timespec at `ts` (`None` for a NULL pointer).
fn read_timeout(vm: &mut Vm, ts: u32, wide: bool) -> Result<Option<u64>, u32> {
    if ts == 0 {
        return Ok(None);
    }
    super::time::read_timeout_ns(vm, ts, wide).map(Some)
}

fn futex(vm: &mut Vm, a: &Args, wide: bool) -> Result<Ret, VmError> {
    let (addr, op, val, ts) = (a[0], a[1], a[2], a[3]);
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    match cmd {
        FUTEX_WAIT => {
            // Linux copies and checks the timeout at the call's entry, before it looks
            // at the futex word.
            let timeout = match read_timeout(vm, ts, wide) {
                Ok(t) => t,
                Err(e) => return ret(Err(e)),
            };
            if addr & 3 != 0 {
                return ret(Err(EINVAL));
            }
            let cur = match vm.user_u32(addr) {
                Ok(v) => v,
                Err(e) => return ret(Err(e)),
            };
            if cur != val {
                return ret(Err(EAGAIN));
            }
            let tid = vm.current_tid();
            vm.kernel.futexes.entry(addr).or_default().push_back(tid);
            let deadline = timeout.map(|t| vm.now_ns().saturating_add(t));
            vm.block_current(Wait::Futex(addr), deadline)?;
            Ok(Ret::Blocked)
        }
        FUTEX_WAKE => {
            if addr & 3 != 0 {
                return ret(Err(EINVAL));
            }
            ret(Ok(wake(vm, addr, val)))
        }
        _ => ret(Err(ENOSYS)),
    }
}

/// `futex(addr, op, val, timeout32, addr2, val3)`: `FUTEX_WAIT` and `FUTEX_WAKE`.
pub fn futex_time32(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    futex(vm, a, false)
}

/// `futex_time64`: the same with a 64-bit timespec.
pub fn futex_time64(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    futex(vm, a, true)
}
