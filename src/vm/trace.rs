//! The execution record: plain event structs handed to a [`Tracer`].
//!
//! The interpreter is generic over its tracer. [`NoTracer`] has `ENABLED = false`, so every
//! hook compiles away and an untraced run pays nothing. A prover (or a test) implements
//! [`Tracer`] to receive one [`StepEvent`] per executed instruction, one [`MemEvent`] per
//! data-memory access made by an instruction, and one [`SyscallEvent`] per system call.
//! The VM knows nothing else about who consumes them.
//!
//! The record covers what instructions do, not what the kernel does: syscall results,
//! memory written by syscalls, signal delivery and `rt_sigreturn` are not in it.

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

/// A system call as made: its number and arguments. The result and any memory the
/// kernel reads or writes are not recorded (see "The execution record" in docs/vm.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallEvent {
    pub cycle: u64,
    pub tid: u32,
    /// The o32 number (4000 + n).
    pub number: u32,
    /// `a0..a3` and the two stack arguments.
    pub args: [u32; 6],
}

/// Receives the execution record.
pub trait Tracer {
    /// False for a tracer that ignores everything; the hooks are then compiled out.
    const ENABLED: bool = true;
    fn step(&mut self, _ev: &StepEvent) {}
    fn mem(&mut self, _ev: &MemEvent) {}
    fn syscall(&mut self, _ev: &SyscallEvent) {}
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
}

impl Tracer for Recorder {
    fn step(&mut self, ev: &StepEvent) {
        self.steps.push(*ev);
    }
    fn mem(&mut self, ev: &MemEvent) {
        self.mems.push(*ev);
    }
    fn syscall(&mut self, ev: &SyscallEvent) {
        self.syscalls.push(*ev);
    }
}
