//! Deterministic threads and the scheduling policy.
//!
//! The policy, which every run follows exactly:
//!
//! - Threads are kept in creation order. The running thread runs for at most [`QUANTUM`]
//!   instructions; then the next runnable thread after it (in creation order, wrapping
//!   around) runs. `sched_yield` ends the quantum early in the same way. A quantum that
//!   ends in a branch's delay slot ends after it: a thread never stops between the two;
//!   nor before the first instruction of a handler it was just sent to or returned from.
//! - A thread that blocks (futex wait, sleep, epoll wait) gives the CPU to the next runnable
//!   thread at once.
//! - At every switch, sleepers whose deadline has passed on the virtual clock wake up.
//! - When nothing is runnable, the virtual clock jumps to the earliest deadline (idle time)
//!   and those threads wake.
//! - A signal sent to a thread is delivered when that thread next runs, before its next
//!   instruction (see [`crate::syscalls::signal`]). When nothing is runnable and no deadline is pending, the run
//!   stops with [`VmError::Deadlock`].
//!
//! The virtual clock is `cycles * NS_PER_CYCLE + idle_ns`: a pure function of the
//! instructions executed and the idle jumps, so it never depends on the host.

use super::cpu::Cpu;
use super::{Vm, VmError};

/// Instructions a thread runs before the scheduler moves on to the next runnable thread.
pub const QUANTUM: u64 = 50_000;
/// Virtual nanoseconds per executed instruction.
pub const NS_PER_CYCLE: u64 = 1;

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Wait {
    /// `FUTEX_WAIT` on this address.
    Futex(u32),
    /// `nanosleep`/`clock_nanosleep`: the deadline ends it, or a signal; then the time
    /// left goes to `rem` (0: nowhere), a 64-bit timespec if `wide`.
    Sleep { rem: u32, wide: bool },
    /// `epoll_pwait` on `epfd`, writing at most `max` events to `events`.
    Epoll { epfd: u32, events: u32, max: u32 },
}

/// A thread's scheduling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum State {
    /// On the CPU: its registers are in `Vm::cpu`, not in `Thread::cpu`.
    Running,
    Runnable,
    /// Waiting; `deadline` is an absolute virtual-clock time in nanoseconds.
    Blocked {
        wait: Wait,
        deadline: Option<u64>,
    },
    Exited,
}

/// One guest thread (a Linux task sharing the address space).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Thread {
    pub tid: u32,
    /// Saved registers while the thread is not running.
    pub cpu: Cpu,
    pub state: State,
    /// Blocked signals (128 bits, as the o32 `sigset_t`).
    pub sigmask: [u32; 4],
    /// `sigaltstack`: (sp, size, flags).
    pub altstack: (u32, u32, u32),
    /// The user-local register read by `RDHWR $29` (`CLONE_SETTLS`, `set_thread_area`).
    pub tls: u32,
    /// `CLONE_CHILD_CLEARTID` address, cleared and woken when the thread exits.
    pub clear_tid: u32,
    /// `PR_SET_NAME` name, NUL-padded.
    pub name: [u8; 16],
    /// Order in which the thread started waiting, for FIFO futex wake-ups.
    pub wait_seq: u64,
    /// Signals pending for this thread, by number, with their `si_code`.
    pub pending: std::collections::BTreeMap<u32, i32>,
    /// `pc` and `next_pc` at its last `SYSCALL`: where a restarted call starts again.
    pub syscall_resume: (u32, u32),
}

impl Thread {
    pub fn new(tid: u32, cpu: Cpu) -> Thread {
        Thread {
            tid,
            cpu,
            state: State::Runnable,
            sigmask: [0; 4],
            altstack: (0, 0, 2),
            tls: 0,
            clear_tid: 0,
            name: [0; 16],
            wait_seq: 0,
            pending: Default::default(),
            syscall_resume: (0, 0),
        }
    }
}

impl Vm {
    /// The virtual time in nanoseconds since boot.
    pub fn now_ns(&self) -> u64 {
        (self.cycles * NS_PER_CYCLE).saturating_add(self.idle_ns)
    }

    /// The tid of the running thread.
    pub fn current_tid(&self) -> u32 {
        self.threads[self.current].tid
    }

    /// Blocks the running thread and switches to another one.
    pub(crate) fn block_current(
        &mut self,
        wait: Wait,
        deadline: Option<u64>,
    ) -> Result<(), VmError> {
        self.wait_seq += 1;
        let cur = self.current;
        let t = &mut self.threads[cur];
        t.cpu = self.cpu.clone();
        t.state = State::Blocked { wait, deadline };
        t.wait_seq = self.wait_seq;
        if !t.pending.is_empty() || !self.kernel.pending.is_empty() {
            // Linux checks for a signal before it sleeps: with one to take, the call is
            // interrupted (or restarted) at once and the thread runs on.
            self.interrupt_wait(cur);
            if self.threads[cur].state == State::Runnable {
                self.cpu = self.threads[cur].cpu.clone();
                self.threads[cur].state = State::Running;
                self.sig_check = true;
                return Ok(());
            }
        }
        self.schedule()
    }

    /// Picks the next thread to run: the next runnable one after the current thread, or the
    /// current thread itself when it is still running and no other thread is runnable.
    pub(crate) fn schedule(&mut self) -> Result<(), VmError> {
        loop {
            self.wake_expired();
            let n = self.threads.len();
            for k in 1..=n {
                let i = (self.current + k) % n;
                let st = self.threads[i].state;
                if st == State::Runnable || (k == n && st == State::Running) {
                    self.switch_to(i);
                    return Ok(());
                }
            }
            let next = self
                .threads
                .iter()
                .filter_map(|t| match t.state {
                    State::Blocked {
                        deadline: Some(d), ..
                    } => Some(d),
                    _ => None,
                })
                .min();
            match next {
                Some(d) => {
                    let now = self.now_ns();
                    if d > now {
                        self.idle_ns = self.idle_ns.saturating_add(d - now);
                    }
                }
                None => return Err(self.deadlock()),
            }
        }
    }

    fn switch_to(&mut self, i: usize) {
        if self.threads[self.current].state == State::Running {
            self.threads[self.current].cpu = self.cpu.clone();
            self.threads[self.current].state = State::Runnable;
        }
        if self.current != i || self.threads[i].state != State::Running {
            self.cpu = self.threads[i].cpu.clone();
            self.cpu.llbit = false;
        }
        self.threads[i].state = State::Running;
        self.current = i;
        self.slice_end = self.cycles + QUANTUM;
        // Its pending signals are delivered before it runs on.
        if !self.threads[i].pending.is_empty() || !self.kernel.pending.is_empty() {
            self.sig_check = true;
        }
    }

    /// Wakes every blocked thread whose deadline has passed, in creation order.
    fn wake_expired(&mut self) {
        let now = self.now_ns();
        for i in 0..self.threads.len() {
            if let State::Blocked {
                deadline: Some(d), ..
            } = self.threads[i].state
            {
                if d <= now {
                    self.finish_wait(i, true);
                }
            }
        }
    }

    fn deadlock(&self) -> VmError {
        let waits: Vec<String> = self
            .threads
            .iter()
            .filter_map(|t| match t.state {
                State::Blocked { wait, .. } => Some(format!(
                    "thread {} in {} at {}",
                    t.tid,
                    match wait {
                        Wait::Futex(a) => format!("futex wait on {a:#010x}"),
                        Wait::Sleep { .. } => "sleep".into(),
                        Wait::Epoll { .. } => "epoll wait".into(),
                    },
                    self.program.describe_addr(t.cpu.pc)
                )),
                _ => None,
            })
            .collect();
        VmError::Deadlock {
            cycles: self.cycles,
            threads: waits.join("; "),
        }
    }
}
