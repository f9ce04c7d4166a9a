//! The execution record: plain event structs handed to a [`Tracer`].
//!
//! The interpreter is generic over its tracer. [`NoTracer`] has `ENABLED = false`, so every
//! hook compiles away and an untraced run pays nothing. A prover (or a test) implements
//! [`Tracer`] to receive one [`StepEvent`] per executed instruction, one [`MemEvent`] per
//! data-memory access made by an instruction, and one [`SyscallEvent`] per system call.
//! The VM knows nothing else about who consumes them.
//!
//! The record covers what instructions do, and what the kernel does: each delivery
//! ([`SignalEvent`]) and each `rt_sigreturn` ([`SigreturnEvent`]), the registers a call
//! returns with ([`Tracer::syscall_done`]), and, as [`KernelEvent`]s, every byte of guest
//! memory a system call reads or writes, every range it maps, unmaps or zeroes, and every
//! register change it makes outside the calling thread's return (a new thread, a wait that
//! ends, an interrupted call). [`super::replay::Replay`] checks that this is enough to
//! explain every value the guest reads.

use super::cpu::Cpu;

/// One executed instruction, before its effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepEvent {
    /// Instructions executed before this one (all threads together).
    pub cycle: u64,
    /// The thread id executing it.
    pub tid: u32,
    pub pc: u32,
    pub next_pc: u32,
    /// The instruction word.
    pub word: u32,
}

/// A data-memory access made by a load or store instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemEvent {
    pub cycle: u64,
    /// The (aligned) word address accessed.
    pub addr: u32,
    /// The word's value: read for a load, written for a store.
    pub value: u32,
    pub is_write: bool,
}

/// A system call as made: its number and arguments. What it does follows as
/// [`KernelEvent`]s and, when it returns at once, [`Tracer::syscall_done`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallEvent {
    pub cycle: u64,
    pub tid: u32,
    /// The o32 number (4000 + n).
    pub number: u32,
    /// `a0..a3` and the two stack arguments.
    pub args: [u32; 6],
}

/// A signal delivered to a handler: the frame the kernel wrote and the registers it set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalEvent {
    /// Instructions executed before the handler's first one.
    pub cycle: u64,
    pub tid: u32,
    pub signal: u32,
    /// Whether it came from an instruction (a fault) rather than kill/tkill/tgkill.
    pub synchronous: bool,
    /// Where the frame starts (the handler's `$sp`) and its bytes, as written.
    pub frame_addr: u32,
    pub frame: Vec<u8>,
    /// The registers set for the handler: `pc`, `$a0`, `$a1`, `$a2`, `$sp`, `$ra`, `$t9`.
    pub pc: u32,
    pub a: [u32; 3],
    pub sp: u32,
    pub ra: u32,
    pub t9: u32,
    /// The thread's blocked mask while the handler runs.
    pub mask: [u32; 4],
}

/// An `rt_sigreturn` (or legacy `sigreturn`): the frame the kernel read and the state it
/// restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigreturnEvent {
    pub cycle: u64,
    pub tid: u32,
    /// Where the frame was read (`$sp`) and the bytes read.
    pub frame_addr: u32,
    pub frame: Vec<u8>,
    /// The restored registers, HI, LO, PC and blocked mask.
    pub gpr: [u32; 32],
    pub hi: u32,
    pub lo: u32,
    pub pc: u32,
    pub mask: [u32; 4],
}

/// Why the kernel set a thread's registers outside its own return from a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterChange {
    /// `clone` created the thread: the parent's registers, `$v0 = $a3 = 0`, the new stack.
    Clone { parent: u32 },
    /// A blocking call (futex wait, sleep, epoll wait) ended: its result in `$v0`/`$a3`.
    WaitDone,
    /// A signal interrupted a blocking call: `EINTR`, or the PC back at the `SYSCALL`
    /// (`SA_RESTART`).
    Interrupted,
}

/// What the kernel did besides an instruction's own effects, in the order it did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    /// A system call read these guest bytes (a buffer, a path, a timespec, a futex word,
    /// a stack argument, a signal frame).
    Read { addr: u32, bytes: Vec<u8> },
    /// A system call, or a signal delivery, wrote these guest bytes.
    Write { addr: u32, bytes: Vec<u8> },
    /// `[start, start + len)` reads as zero from now on: mapped afresh (`mmap`, `brk`),
    /// unmapped, or discarded (`MADV_DONTNEED`). `prot` is the new protection (0 when
    /// unmapped; `None` when discarded, which keeps it).
    Zeroed {
        start: u32,
        len: u32,
        prot: Option<u8>,
    },
    /// `mprotect`: the contents stay.
    Protect { start: u32, len: u32, prot: u8 },
    /// Thread `tid`'s thread pointer (what `RDHWR $29` reads) is now `value`: set by
    /// `set_thread_area`, or given to a new thread by `clone` (`CLONE_SETTLS`, or the
    /// parent's).
    ThreadPointer { tid: u32, value: u32 },
    /// Thread `tid`'s registers are now `cpu`.
    Registers {
        tid: u32,
        cpu: Cpu,
        why: RegisterChange,
    },
}

/// Receives the execution record.
pub trait Tracer {
    /// False for a tracer that ignores everything; the hooks are then compiled out.
    const ENABLED: bool = true;
    /// An instruction is about to execute, with the running thread's registers as they
    /// are before it (the operands it reads).
    fn step(&mut self, _ev: &StepEvent, _before: &Cpu) {}
    /// The instruction of the last [`Tracer::step`] completed; `after` holds the registers
    /// it left. Not called for one that raised an exception (a `SYSCALL` included).
    fn retired(&mut self, _after: &Cpu) {}
    /// The system call of the last [`Tracer::syscall`] returned to the same thread, with
    /// its registers as the kernel left them (`$v0`, `$a3`). For a call that blocks, the
    /// end of its wait is also a [`RegisterChange::WaitDone`] (or `Interrupted`) change,
    /// which may come after this.
    fn syscall_done(&mut self, _after: &Cpu) {}
    fn mem(&mut self, _ev: &MemEvent) {}
    fn syscall(&mut self, _ev: &SyscallEvent) {}
    fn signal(&mut self, _ev: &SignalEvent) {}
    fn sigreturn(&mut self, _ev: &SigreturnEvent) {}
    /// What the kernel did since the last instruction; `cycle` instructions have run.
    fn kernel(&mut self, _cycle: u64, _ev: &KernelEvent) {}
}

/// The tracer of an ordinary run: records nothing, costs nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTracer;

impl Tracer for NoTracer {
    const ENABLED: bool = false;
}

/// A tracer that keeps every event in memory (for tests and small programs).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    pub steps: Vec<StepEvent>,
    pub mems: Vec<MemEvent>,
    pub syscalls: Vec<SyscallEvent>,
    pub signals: Vec<SignalEvent>,
    pub sigreturns: Vec<SigreturnEvent>,
    pub kernel: Vec<(u64, KernelEvent)>,
}

impl Tracer for Recorder {
    fn step(&mut self, ev: &StepEvent, _before: &Cpu) {
        self.steps.push(*ev);
    }
    fn mem(&mut self, ev: &MemEvent) {
        self.mems.push(*ev);
    }
    fn syscall(&mut self, ev: &SyscallEvent) {
        self.syscalls.push(*ev);
    }
    fn signal(&mut self, ev: &SignalEvent) {
        self.signals.push(ev.clone());
    }
    fn sigreturn(&mut self, ev: &SigreturnEvent) {
        self.sigreturns.push(ev.clone());
    }
    fn kernel(&mut self, cycle: u64, ev: &KernelEvent) {
        self.kernel.push((cycle, ev.clone()));
    }
}
