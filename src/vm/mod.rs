//! The embedded MIPS32 virtual machine that runs unmodified Go programs.
//!
//! Data flows ELF → [`loader`] (segments, stack, auxv) → [`cpu`] (the interpreter over
//! instructions pre-decoded by [`decode`]) → [`crate::syscalls`] (the Linux o32 system-call
//! layer) → [`trace`] (the event record a prover can consume). Threads created by `clone`
//! are real VM threads, scheduled by the fixed policy in [`sched`]; time is a virtual
//! clock driven by executed instructions, so a run is a pure function of the ELF, the
//! arguments, the environment and the input.

pub mod checkpoint;
pub mod cpu;
pub mod decode;
pub mod loader;
pub mod memory;
pub mod replay;
pub mod sched;
pub mod trace;

use std::collections::BTreeMap;
use std::io::Write;

use crate::elf::Program;
use crate::syscalls::Kernel;
use cpu::{Cpu, Exception};
use decode::{decode, Instr};
use memory::{Fault, Memory};
use sched::{State, Thread};
use trace::Tracer;

/// The largest address range of executable segments that is decoded (64 MiB). The
/// decoded table costs 16 host bytes per guest word of this range (at most 256 MiB).
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// The process id the guest sees; the main thread's tid is the same.
pub const PID: u32 = 1000;

/// How to start the guest.
pub struct Config {
    /// `argv`, including `argv[0]` (the program name).
    pub argv: Vec<String>,
    /// `KEY=VALUE` strings; empty by default.
    pub env: Vec<String>,
    /// The private input, read from fd 0.
    pub input: Vec<u8>,
    /// Stop with [`VmError::CycleLimit`] after this many instructions.
    pub max_cycles: Option<u64>,
    /// Where guest writes to fd 1 go.
    pub stdout: Box<dyn Write>,
    /// Where guest writes to fd 2 go.
    pub stderr: Box<dyn Write>,
}

/// How the guest process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Exit {
    /// The status a shell reports: the `exit_group` code, or 128 + N when killed by signal N.
    pub code: i32,
    /// The fatal signal, if the guest was killed by one.
    pub signal: Option<u32>,
}

/// Why a run stopped without the guest exiting.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    #[error("cannot load the program: {0}")]
    Load(String),
    #[error(
        "illegal instruction {word:#010x} at pc {pc:#010x} in {symbol}\n\
         zkm runs MIPS32r2 integer code only: build the guest with GOMIPS=softfloat (`zkm build`)"
    )]
    IllegalInstruction { word: u32, pc: u32, symbol: String },
    #[error(
        "unknown system call {number} ({name}) at pc {pc:#010x} in {symbol}\n\
         zkm implements the Linux system calls the Go runtime needs; this program uses \
         another one. Avoid the package that makes it, or report it to the zkm developers"
    )]
    UnknownSyscall {
        number: u32,
        name: &'static str,
        pc: u32,
        symbol: String,
    },
    #[error(
        "unsupported use of system call {name} at pc {pc:#010x} in {symbol}: {detail}\n\
         zkm supports this call only as the Go runtime uses it"
    )]
    UnsupportedSyscall {
        name: &'static str,
        detail: String,
        pc: u32,
        symbol: String,
    },
    #[error(
        "memory fault: {what} at address {addr:#010x}, pc {pc:#010x} in {symbol}\n\
         the guest has no handler for this fault (SIGSEGV/SIGBUS); check the program for \
         wild pointers"
    )]
    MemoryFault {
        what: &'static str,
        addr: u32,
        pc: u32,
        symbol: String,
    },
    #[error(
        "{what} at pc {pc:#010x} in {symbol}\n\
         the guest has no handler for {signal}, which Linux raises for it"
    )]
    Trap {
        what: String,
        /// The signal Linux raises for it: `SIGTRAP` or `SIGFPE`.
        signal: &'static str,
        pc: u32,
        symbol: String,
    },
    #[error(
        "cycle limit of {limit} instructions reached at pc {pc:#010x} in {symbol}\n\
         raise it with --max-cycles, or check the guest for an endless loop"
    )]
    CycleLimit { limit: u64, pc: u32, symbol: String },
    #[error(
        "deadlock after {cycles} instructions: every thread is blocked and no timer is pending \
         ({threads})\nthe guest waits for something that can never happen"
    )]
    Deadlock { cycles: u64, threads: String },
}

impl crate::exit::ExitCode for VmError {
    fn exit_code(&self) -> i32 {
        use crate::exit;
        match self {
            VmError::Load(_) => exit::BAD_ELF,
            VmError::IllegalInstruction { .. } => exit::ILLEGAL_INSTRUCTION,
            VmError::UnknownSyscall { .. } | VmError::UnsupportedSyscall { .. } => {
                exit::UNKNOWN_SYSCALL
            }
            VmError::MemoryFault { .. } | VmError::Trap { .. } => exit::MEMORY_FAULT,
            VmError::CycleLimit { .. } => exit::CYCLE_LIMIT,
            VmError::Deadlock { .. } => exit::DEADLOCK,
        }
    }
}

/// Counters for the run report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// System calls made, by name.
    pub syscalls: BTreeMap<&'static str, u64>,
    /// Threads ever created, the main thread included.
    pub threads: u32,
    /// Signals sent with kill/tkill/tgkill (delivered, ignored or fatal).
    pub signals_sent: u64,
    /// Signals delivered to guest handlers: faults and sent signals.
    pub signals_delivered: u64,
}

/// A guest process: CPU, memory, threads and kernel state.
pub struct Vm {
    /// Registers of the running thread.
    pub cpu: Cpu,
    pub mem: Memory,
    /// Instructions executed so far, all threads together.
    pub cycles: u64,
    pub threads: Vec<Thread>,
    /// Index in `threads` of the running thread.
    pub current: usize,
    pub kernel: Kernel,
    pub program: Program,
    pub stats: Stats,
    pub(crate) text_base: u32,
    pub(crate) text: Vec<Instr>,
    pub(crate) slice_end: u64,
    pub(crate) idle_ns: u64,
    pub(crate) wait_seq: u64,
    /// The address of the last `SYSCALL` executed, for error messages.
    pub(crate) syscall_pc: u32,
    /// Whether the running thread may have a signal to take before its next instruction;
    /// set when one is sent, unblocked or switched in with one pending. Checked once per
    /// slice or system call, so a run with nothing pending pays nothing.
    pub(crate) sig_check: bool,
    /// Whether the kernel has just set the running thread's registers for a handler or
    /// back from one (a delivery, an `rt_sigreturn`) and the thread has run no instruction
    /// since: its quantum does not end there.
    pub(crate) fresh_frame: bool,
    pub(crate) exit: Option<Exit>,
    max_cycles: u64,
}

impl Vm {
    /// Loads `program` and prepares its main thread.
    pub fn new(program: Program, config: Config) -> Result<Vm, VmError> {
        let mut mem = Memory::new();
        let image =
            loader::load(&mut mem, &program, &config.argv, &config.env).map_err(VmError::Load)?;
        // Decode every word of the executable segments once, from the loaded image.
        let (text_base, text) = decode_text(&program, &mut mem)?;
        mem.code_dirty = None;
        let mut cpu = Cpu {
            pc: program.entry,
            next_pc: program.entry.wrapping_add(4),
            ..Cpu::default()
        };
        cpu.gpr[29] = image.sp;
        let mut main = Thread::new(PID, cpu.clone());
        main.state = State::Running;
        let kernel = Kernel::new(config.input, config.stdout, config.stderr, image.brk);
        Ok(Vm {
            cpu,
            mem,
            cycles: 0,
            threads: vec![main],
            current: 0,
            kernel,
            program,
            stats: Stats {
                threads: 1,
                ..Stats::default()
            },
            text_base,
            text,
            slice_end: sched::QUANTUM,
            idle_ns: 0,
            wait_seq: 0,
            syscall_pc: 0,
            sig_check: false,
            fresh_frame: false,
            exit: None,
            max_cycles: config.max_cycles.unwrap_or(u64::MAX),
        })
    }

    /// Runs until the guest exits (`Ok(Some)`), or `cycles` reaches `until` (`Ok(None)`).
    pub fn run<T: Tracer>(&mut self, until: u64, t: &mut T) -> Result<Option<Exit>, VmError> {
        // Kernel events are logged only while a tracer wants them.
        if T::ENABLED != self.mem.log.is_some() {
            self.mem.log = T::ENABLED.then(Vec::new);
        }
        loop {
            if T::ENABLED {
                self.flush_kernel(t);
            }
            if let Some(exit) = self.exit {
                return Ok(Some(exit));
            }
            if self.mem.code_dirty.is_some() {
                self.sync_code();
            }
            if self.cycles >= self.max_cycles {
                return Err(VmError::CycleLimit {
                    limit: self.max_cycles,
                    pc: self.cpu.pc,
                    symbol: self.program.describe_addr(self.cpu.pc),
                });
            }
            if self.cycles >= until {
                return Ok(None);
            }
            let mut limit = self.slice_end.min(until).min(self.max_cycles);
            if self.sig_check {
                limit = self.check_signals(limit, t)?;
                if self.exit.is_some() {
                    continue;
                }
            }
            if T::ENABLED {
                self.flush_kernel(t);
            }
            let before = self.cycles;
            let stop = self.run_slice(limit, t);
            if self.cycles > before {
                self.fresh_frame = false;
            }
            match stop {
                None => {
                    if self.cycles >= self.slice_end {
                        if self.cpu.next_pc != self.cpu.pc.wrapping_add(4) || self.fresh_frame {
                            // In a delay slot, or at a handler's first instruction or the
                            // one a return resumes: the quantum ends after it, so that no
                            // thread is ever switched out between a branch and its delay
                            // slot (a signal another thread sends it is then delivered
                            // where Linux would deliver it), nor before it runs what the
                            // kernel just set up for it (both of which the proof takes).
                            self.slice_end = self.cycles + 1;
                        } else {
                            self.schedule()?;
                        }
                    }
                }
                Some(Exception::Syscall) => self.syscall(t)?,
                Some(e) => self.exception(e, t)?,
            }
        }
    }

    /// Delivers the running thread's pending signals; returns the slice limit, cut to one
    /// instruction when delivery must wait for a delay slot. Out of line and cold, so
    /// that the interpreter loop is the same as with no signals at all.
    #[cold]
    #[inline(never)]
    pub(crate) fn check_signals<T: Tracer>(
        &mut self,
        limit: u64,
        t: &mut T,
    ) -> Result<u64, VmError> {
        use crate::syscalls::signal::Delivery;
        self.sig_check = false;
        // Every pending signal, each frame on top of the last, before the thread runs on.
        loop {
            match self.deliver_pending(t)? {
                Delivery::One if self.exit.is_none() => {}
                Delivery::One | Delivery::Nothing => return Ok(limit),
                Delivery::Deferred => {
                    // In a delay slot: one instruction, then try again.
                    self.sig_check = true;
                    return Ok(limit.min(self.cycles + 1));
                }
            }
        }
    }

    /// Hands what the kernel did since the last instruction to the tracer.
    fn flush_kernel<T: Tracer>(&mut self, t: &mut T) {
        if let Some(log) = &mut self.mem.log {
            if !log.is_empty() {
                for ev in std::mem::take(log) {
                    t.kernel(self.cycles, &ev);
                }
            }
        }
    }

    /// Logs, in a traced run, that the kernel set thread `i`'s registers.
    pub(crate) fn log_registers(&mut self, i: usize, why: trace::RegisterChange) {
        if self.mem.log.is_some() {
            let t = &self.threads[i];
            let ev = trace::KernelEvent::Registers {
                tid: t.tid,
                cpu: t.cpu.clone(),
                why,
            };
            self.mem.log_event(ev);
        }
    }

    /// Runs to completion without tracing.
    pub fn run_to_end(&mut self) -> Result<Exit, VmError> {
        loop {
            if let Some(exit) = self.run(u64::MAX, &mut trace::NoTracer)? {
                return Ok(exit);
            }
        }
    }

    /// The decoded executable range: its first address and one instruction per word
    /// ([`Instr::NOT_EXECUTABLE`] for words outside executable segments).
    pub fn decoded_text(&self) -> (u32, &[Instr]) {
        (self.text_base, &self.text)
    }

    /// Raises (or lowers) the instruction limit of a run that stopped at it, so that it
    /// can go on where it stopped.
    pub fn set_cycle_limit(&mut self, limit: u64) {
        self.max_cycles = limit;
    }

    /// The public output written to fd 3 so far.
    pub fn public_output(&self) -> &[u8] {
        &self.kernel.public
    }

    /// Handles an exception other than `SYSCALL`: a signal for the guest's handler if it
    /// has one (see [`crate::syscalls::signal`]), otherwise an error.
    #[cold]
    #[inline(never)]
    fn exception<T: Tracer>(&mut self, e: Exception, t: &mut T) -> Result<(), VmError> {
        let pc = self.cpu.pc;
        if self.deliver_fault(e, t)? {
            return Ok(());
        }
        let symbol = self.program.describe_addr(pc);
        Err(match e {
            Exception::Reserved => VmError::IllegalInstruction {
                word: self.word_at(pc),
                pc,
                symbol,
            },
            Exception::Fetch(addr) => VmError::MemoryFault {
                what: "jump to non-executable or unmapped memory",
                addr,
                pc: addr,
                symbol,
            },
            Exception::Mem(Fault::Unmapped(addr)) => VmError::MemoryFault {
                what: "access to unmapped or protected memory",
                addr,
                pc,
                symbol,
            },
            Exception::Mem(Fault::Misaligned(addr)) => VmError::MemoryFault {
                what: "misaligned access",
                addr,
                pc,
                symbol,
            },
            Exception::Trap { code, is_break } => VmError::Trap {
                what: if is_break {
                    format!("BREAK instruction with code {code}")
                } else {
                    format!("trap instruction fired with code {code}")
                },
                signal: crate::syscalls::signal::signal_name(
                    crate::syscalls::signal::trap_signal(code, is_break).0,
                ),
                pc,
                symbol,
            },
            Exception::Overflow => VmError::Trap {
                what: "integer overflow in ADD, ADDI or SUB".into(),
                signal: "SIGFPE",
                pc,
                symbol,
            },
            Exception::Syscall => unreachable!("handled by run"),
        })
    }

    /// Whether `[start, start+len)` lies inside the decoded text range, where executable
    /// memory can change (other memory cannot become executable).
    pub(crate) fn in_text_range(&self, start: u32, len: u32) -> bool {
        let end = self.text_base as u64 + 4 * self.text.len() as u64;
        start >= self.text_base && start as u64 + len as u64 <= end
    }

    /// Re-decodes the part of the text range that [`Memory::code_dirty`] names: words of
    /// executable pages from memory, others as not executable.
    #[cold]
    pub(crate) fn sync_code(&mut self) {
        let Some((lo, hi)) = self.mem.code_dirty.take() else {
            return;
        };
        let base = self.text_base as u64;
        let end = base + 4 * self.text.len() as u64;
        let mut addr = (lo as u64).max(base) & !3;
        while addr < hi.min(end) {
            let a = addr as u32;
            let ins = if self.mem.prot(a) & memory::PROT_EXEC != 0 {
                decode_at(&mut self.mem, a)
            } else {
                Instr::NOT_EXECUTABLE
            };
            self.text[((addr - base) / 4) as usize] = ins;
            addr += 4;
        }
    }

    fn word_at(&self, pc: u32) -> u32 {
        let idx = (pc.wrapping_sub(self.text_base) >> 2) as usize;
        self.text.get(idx).map(|i| i.word).unwrap_or(0)
    }
}

/// `program`'s decoded text from `mem`: the first address of its executable segments, and
/// an instruction per word up to the end of the last, each segment word decoded where its
/// page is executable ([`Instr::NOT_EXECUTABLE`] elsewhere).
fn decode_text(program: &Program, mem: &mut Memory) -> Result<(u32, Vec<Instr>), VmError> {
    let exec = program.segments.iter().filter(|s| s.is_executable());
    let text_base = exec.clone().map(|s| s.vaddr & !3).min().unwrap_or(0);
    let text_end = exec.clone().map(|s| s.end()).max().unwrap_or(0);
    let words = (text_end.saturating_sub(text_base as u64)).div_ceil(4);
    if words > MAX_TEXT_BYTES / 4 {
        return Err(VmError::Load(format!(
            "the executable segments span {} MiB; zkm decodes at most {} MiB of code",
            (words * 4) >> 20,
            MAX_TEXT_BYTES >> 20
        )));
    }
    let mut text = vec![Instr::NOT_EXECUTABLE; words as usize];
    for (start, end) in exec.map(|s| (s.vaddr & !3, s.end())) {
        let mut addr = start as u64;
        while addr < end {
            let a = addr as u32;
            text[((addr - text_base as u64) / 4) as usize] = if mem.prot(a) & memory::PROT_EXEC != 0
            {
                decode_at(mem, a)
            } else {
                Instr::NOT_EXECUTABLE
            };
            addr += 4;
        }
    }
    Ok((text_base, text))
}

/// Decodes the word at `addr` of an executable page. A page that holds no data reads as
/// zero (a `NOP`); it is not allocated, so a large zero-filled executable segment costs no
/// guest pages.
fn decode_at(mem: &mut Memory, addr: u32) -> Instr {
    if mem.is_resident(addr) {
        decode(mem.load32(addr).unwrap_or(0))
    } else {
        decode(0)
    }
}

/// The JSON report of a run (`zkm run --report`). Apart from `wall_seconds` and
/// `instructions_per_second`, two runs of the same program and input give equal reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub exit_code: i32,
    /// The fatal signal, when the guest was killed by one.
    pub signal: Option<u32>,
    /// Instructions executed, all threads together.
    pub cycles: u64,
    /// Bytes written to fd 3, as hex.
    pub public_output: String,
    /// Threads created, the main thread included.
    pub threads: u32,
    /// System calls by name.
    pub syscalls: BTreeMap<&'static str, u64>,
    /// Signals sent by the guest with kill/tkill/tgkill.
    pub signals_sent: u64,
    /// Signals delivered to guest handlers: faults and sent signals.
    pub signals_delivered: u64,
    /// Distinct 4 KiB pages that were ever allocated (each page counts once).
    pub pages_touched: u64,
    /// The virtual clock at exit, in nanoseconds.
    pub virtual_ns: u64,
    /// SHA-256 of the final state ([`Vm::state_hash`]), as hex.
    pub state_hash: String,
    pub wall_seconds: f64,
    pub instructions_per_second: f64,
}

impl Vm {
    /// SHA-256 of the machine state: the tag `zkm-state-v1`, the cycle count, for each
    /// thread in creation order its tid, state, registers (the running thread's from the
    /// CPU), HI, LO, PC and next PC, then every memory page that holds data (see
    /// [`Memory::hash_into`]) and the public output. Equal for two runs of the same
    /// program and input.
    pub fn state_hash(&self) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"zkm-state-v1");
        h.update(self.cycles.to_be_bytes());
        for (i, t) in self.threads.iter().enumerate() {
            let cpu = if i == self.current && t.state == State::Running {
                &self.cpu
            } else {
                &t.cpu
            };
            h.update(t.tid.to_be_bytes());
            h.update(format!("{:?}", t.state).as_bytes());
            for r in cpu
                .gpr
                .iter()
                .chain([cpu.hi, cpu.lo, cpu.pc, cpu.next_pc].iter())
            {
                h.update(r.to_be_bytes());
            }
        }
        self.mem.hash_into(&mut h);
        h.update(&self.kernel.public);
        h.finalize().into()
    }

    /// The report for a run that ended with `exit` after `wall_seconds` of host time.
    pub fn report(&self, exit: Exit, wall_seconds: f64) -> Report {
        Report {
            exit_code: exit.code,
            signal: exit.signal,
            cycles: self.cycles,
            public_output: hex::encode(&self.kernel.public),
            threads: self.stats.threads,
            syscalls: self.stats.syscalls.clone(),
            signals_sent: self.stats.signals_sent,
            signals_delivered: self.stats.signals_delivered,
            pages_touched: self.mem.pages_touched,
            virtual_ns: self.now_ns(),
            state_hash: hex::encode(self.state_hash()),
            wall_seconds,
            instructions_per_second: if wall_seconds > 0.0 {
                self.cycles as f64 / wall_seconds
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::Segment;

    fn program(segments: Vec<Segment>) -> Program {
        Program {
            entry: 0x0040_0000,
            segments,
            phdr_vaddr: None,
            phnum: 0,
            phentsize: 0,
            symbols: vec![],
            go: None,
        }
    }

    fn config() -> Config {
        Config {
            argv: vec!["t".into()],
            env: vec![],
            input: vec![],
            max_cycles: None,
            stdout: Box::new(std::io::sink()),
            stderr: Box::new(std::io::sink()),
        }
    }

    fn rwx(vaddr: u32, mem_size: u32) -> Segment {
        Segment {
            vaddr,
            mem_size,
            flags: 7,
            data: vec![0x24, 0x02, 0x0f, 0xa6, 0, 0, 0, 0x0c], // li $v0, exit_group; syscall
        }
    }

    #[test]
    fn zero_filled_executable_tail_allocates_no_pages() {
        let vm = Vm::new(program(vec![rwx(0x0040_0000, 32 << 20)]), config()).unwrap();
        // The one text page with file bytes and the few stack pages the loader wrote.
        assert!(vm.mem.pages_touched < 8, "{}", vm.mem.pages_touched);
        assert_eq!(vm.text[1].op, decode::Op::Syscall);
        assert_eq!(vm.text[(16 << 20) / 4].word, 0);
        assert_ne!(vm.text[(16 << 20) / 4].op, decode::Op::NotExecutable);
    }

    #[test]
    fn segments_sharing_a_page_keep_each_others_bytes() {
        let seg = |vaddr, flags, byte| Segment {
            vaddr,
            mem_size: 0x800,
            flags,
            data: vec![byte; 0x800],
        };
        let text = rwx(0x0040_0000, 0x800);
        let data = seg(0x0040_0800, 6, 0xbb);
        let mut vm = Vm::new(program(vec![text, data]), config()).unwrap();
        // (address, byte)
        let cases: &[(u32, u8)] = &[
            (0x0040_0000, 0x24),
            (0x0040_0800, 0xbb),
            (0x0040_0fff, 0xbb),
        ];
        for &(addr, byte) in cases {
            assert_eq!(vm.mem.load8(addr), Ok(byte), "{addr:#x}");
        }
        // The shared page takes the later segment's protection: no longer executable.
        assert_eq!(vm.text[0].op, decode::Op::NotExecutable);
    }

    #[test]
    fn executable_segments_spanning_more_than_the_cap_are_refused() {
        // (scenario, segments)
        let cases: Vec<(&str, Vec<Segment>)> = vec![
            (
                "one huge zero-filled segment",
                vec![rwx(0x0040_0000, 0x0ff0_0000)],
            ),
            (
                "two small segments far apart",
                vec![rwx(0x0040_0000, 0x1000), rwx(0x1000_0000, 0x1000)],
            ),
        ];
        for (name, segments) in cases {
            match Vm::new(program(segments), config()) {
                Err(VmError::Load(msg)) => assert!(msg.contains("zkm decodes at most"), "{name}"),
                other => panic!("{name}: {:?}", other.err()),
            }
        }
    }
}
