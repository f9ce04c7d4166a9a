//! The execution record: what the VM did, as the trace generators read it.
//!
//! The prover runs the VM with [`ProveTracer`], which keeps, per instruction, the values
//! the VM read and produced: the operands before it ran, the register it wrote after, the
//! word a load read or a store left. The trace generators only fill in helper columns
//! (carries, flags, timestamps); every architectural value comes from the VM's own run, so
//! the prover and the VM agree by construction.
//!
//! [`Setup`] is what the ELF determines (the ROM, the image, the memory regions): the
//! verifying key. [`Start`] is what `argv` adds (the initial stack and `$sp`): public data
//! that the verifier rebuilds from the statement.

use std::collections::BTreeMap;

use super::bus::{NUM_REGS, REG_HI, REG_LLBIT, REG_LO};
use super::program::{translate_at, RomEntry};
use crate::elf::Program;
use crate::vm::cpu::Cpu;
use crate::vm::loader::{initial_stack, AuxFacts};
use crate::vm::memory::{MAPPED, PAGE_BITS, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::vm::trace::{
    KernelEvent, MemEvent, RegisterChange, SignalEvent, SigreturnEvent, StepEvent, SyscallEvent,
    Tracer,
};
use crate::vm::{Config, Vm, VmError};

/// o32 system-call numbers the prover handles.
pub const SYS_READ: u32 = 4003;
pub const SYS_WRITE: u32 = 4004;
pub const SYS_EXIT_GROUP: u32 = 4246;
pub const SYS_GETRANDOM: u32 = 4353;
pub const SYS_SCHED_GETAFFINITY: u32 = 4240;
pub const SYS_UNAME: u32 = 4122;
pub const SYS_GETCWD: u32 = 4203;
pub use super::clock::{SYS_CLOCK_GETTIME, SYS_NANOSLEEP};
pub use super::fs::{SYS_FCNTL, SYS_FSTAT64, SYS_IOCTL, SYS_OPEN, SYS_OPENAT};
pub use super::futex::SYS_FUTEX;
pub use super::getset::{SYS_PRLIMIT64, SYS_RT_SIGACTION, SYS_RT_SIGPROCMASK, SYS_SIGALTSTACK};
pub use super::mm::{SYS_BRK, SYS_MADVISE, SYS_MMAP};
pub use super::threads::SYS_CLONE;
/// Writes of this many bytes or more, and reads that return this many, are not proved
/// (the VM caps one transfer here).
pub const MAX_WRITE: u32 = 1 << 24;

/// Why a program cannot be proved (yet).
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error(
        "{what} at pc {pc:#010x} in {symbol}\n\
         zkm prove supports programs whose only system calls are write (to fds 1, 2, 3), \
         read (from fd 0), eventfd2, epoll_create1, epoll_ctl (EPOLL_CTL_ADD of an eventfd), \
         epoll_pwait, 8-byte reads and writes of an eventfd, getrandom, clock_gettime, \
         clock_gettime64, gettimeofday, clock_getres (realtime, monotonic), nanosleep, \
         clock_nanosleep, sched_getaffinity, uname, getcwd, open and openat (failing with ENOENT), the path lookups stat64, \
         lstat64, fstatat64, access, faccessat, faccessat2, readlink, readlinkat (failing \
         with ENOENT), fcntl and fcntl64 (F_GETFD, F_GETFL), \
         ioctl (TCGETS, TIOCGWINSZ, failing with ENOTTY), \
         fstat64 (fds 0 to 3), socket (failing with EAFNOSUPPORT), prctl \
         (PR_SET_VMA, failing with EINVAL), anonymous mmap and mmap2, munmap of a whole \
         readable mapping, madvise (MADV_NOHUGEPAGE, MADV_DONTNEED), brk(0), \
         rt_sigprocmask, rt_sigaction, sigaltstack (setting a thread's stack, and SS_DISABLE off it), \
         prlimit64 and getrlimit (RLIMIT_NOFILE), set_thread_area, clone (Go's threads), futex (FUTEX_WAIT_PRIVATE, \
         FUTEX_WAKE_PRIVATE), exit_group, exit of a thread other than the main one, and the identity calls (getpid, getppid, get[e]uid, get[e]gid, gettid, \
         sched_yield), and kill, tkill and tgkill of a signal to a thread of the process, \
         with no signal but a nil dereference's SIGSEGV and a sent one, each to Go's handler: \
         at once when a thread sends itself one, at the switch to the thread another sends \
         one (an untimed FUTEX_WAIT it interrupts restarts), or, when the thread blocks it \
         (one at a time), after the rt_sigprocmask that unblocks it, and its rt_sigreturn; \
         or ignored, or ending the run with its default action; \
         `zkm run` runs this program"
    )]
    Unsupported {
        what: String,
        pc: u32,
        symbol: String,
    },
    #[error("the program cannot be proved: {0}")]
    Image(String),
    #[error(
        "the program runs {cycles} instructions; this version of zkm proves at most {max} \
         (one shard)\n{also}\
         prove a shorter run; the next version proves longer ones in shards (continuations)"
    )]
    TooLong {
        cycles: u64,
        max: u64,
        /// What else, within the first `max` instructions, cannot be proved yet: empty,
        /// or a line naming it.
        also: String,
    },
    #[error("the program did not exit within {0} instructions; raise --max-cycles")]
    NoExit(u64),
}

/// A word of the ELF image, as loaded: `addr` is a word address (byte address / 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageWord {
    pub addr: u32,
    pub value: u32,
    pub writable: bool,
}

/// A run of mapped, zero-initialised words `lo..=hi` (word addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub lo: u32,
    pub hi: u32,
    pub writable: bool,
}

/// Everything the ELF determines.
#[derive(Clone, Debug)]
pub struct Setup {
    pub facts: AuxFacts,
    /// The initial program break: the end of the highest segment, page-aligned. `brk`
    /// answers it, and mappings lie above it.
    pub brk: u32,
    pub rom: Vec<RomEntry>,
    pub image: Vec<ImageWord>,
    pub regions: Vec<Region>,
}

/// Linux's default `mmap_min_addr`: no mapping starts below it.
pub const MMAP_MIN_ADDR: u32 = 0x1_0000;

/// Word addresses are below 2^29: all of user space (below 2 GiB).
pub const ADDR_WORDS: u32 = 1 << 29;

impl Setup {
    /// Derives the setup from the VM's own loaded image of `program`.
    pub fn new(program: &Program) -> Result<Setup, ProveError> {
        let vm = Vm::new(
            program.clone(),
            quiet_config(Vec::new(), vec!["zkm".into()]),
        )?;
        Setup::from_vm(program, vm)
    }

    fn from_vm(program: &Program, mut vm: Vm) -> Result<Setup, ProveError> {
        for s in &program.segments {
            if s.is_writable() && s.is_executable() {
                return Err(ProveError::Image(format!(
                    "the segment at {:#010x} is both writable and executable; zkm proves \
                     programs whose code is read-only (as Go's linker makes it)",
                    s.vaddr
                )));
            }
            if s.end() > 0x8000_0000 {
                return Err(ProveError::Image(format!(
                    "the segment at {:#010x} ends above 2 GiB",
                    s.vaddr
                )));
            }
        }
        let (base, text) = vm.decoded_text();
        let rom: Vec<RomEntry> = text
            .iter()
            .enumerate()
            .filter(|(_, i)| i.op != crate::vm::decode::Op::NotExecutable)
            .map(|(k, i)| {
                let in_delay = k > 0 && text[k - 1].op.has_delay_slot();
                translate_at(base + 4 * k as u32, i, in_delay)
            })
            .collect();
        // Linux maps nothing below mmap_min_addr; the proof relies on it, as a thread that
        // was never created resumes at pc 0, where no ROM entry may lie.
        if let Some(e) = rom.first().filter(|e| e.pc < MMAP_MIN_ADDR) {
            return Err(ProveError::Image(format!(
                "code at {:#010x} lies below 64 KiB, where Linux maps nothing",
                e.pc
            )));
        }
        // Nothing may be mapped below mmap_min_addr: an access there faults, which the
        // signal chip proves from the address alone (found by review).
        if let Some(s) = program
            .segments
            .iter()
            .find(|s| s.vaddr < MMAP_MIN_ADDR && s.mem_size > 0)
        {
            return Err(ProveError::Image(format!(
                "the segment at {:#010x} lies below 64 KiB, where Linux maps nothing",
                s.vaddr
            )));
        }
        if let Some(e) = rom.iter().find(|e| e.pc >= 0x7f00_0000 - 8) {
            return Err(ProveError::Image(format!(
                "code at {:#010x} lies above 0x7f000000, where addresses no longer fit the field",
                e.pc
            )));
        }
        // The image: every word holding file bytes, with its value as loaded.
        let mut words: BTreeMap<u32, ()> = BTreeMap::new();
        for s in &program.segments {
            if s.data.is_empty() {
                continue;
            }
            let first = s.vaddr / 4;
            let last = (s.vaddr + s.data.len() as u32 - 1) / 4;
            for w in first..=last {
                words.insert(w, ());
            }
        }
        let mut image = Vec::with_capacity(words.len());
        for &w in words.keys() {
            let value = vm.mem.load32(w * 4).map_err(|f| {
                ProveError::Image(format!("image word {:#010x} unreadable: {f:?}", w * 4))
            })?;
            let prot = vm.mem.prot(w * 4);
            image.push(ImageWord {
                addr: w,
                value,
                writable: prot & PROT_WRITE != 0 && prot & PROT_EXEC == 0,
            });
        }
        // Regions: mapped, readable pages (the segments' and the stack's), minus the image.
        let mut regions: Vec<Region> = Vec::new();
        let mut push = |lo: u32, hi: u32, writable: bool| {
            if lo > hi {
                return;
            }
            match regions.last_mut() {
                Some(r) if r.hi + 1 == lo && r.writable == writable => r.hi = hi,
                _ => regions.push(Region { lo, hi, writable }),
            }
        };
        let words_per_page = PAGE_SIZE / 4;
        let mut img = image.iter().map(|w| w.addr).peekable();
        for page in 0..(0x8000_0000u32 >> PAGE_BITS) {
            let prot = vm.mem.prot(page << PAGE_BITS);
            if prot & MAPPED == 0 || prot & PROT_READ == 0 {
                continue;
            }
            let writable = prot & PROT_WRITE != 0 && prot & PROT_EXEC == 0;
            let (lo, hi) = (page * words_per_page, (page + 1) * words_per_page - 1);
            let mut cur = lo;
            while let Some(&a) = img.peek() {
                if a > hi {
                    break;
                }
                if a > cur {
                    push(cur, a - 1, writable);
                }
                cur = cur.max(a + 1);
                img.next();
            }
            if cur <= hi {
                push(cur, hi, writable);
            }
        }
        // Linux maps nothing below mmap_min_addr; the mm chip places mappings above the break.
        if vm.kernel.brk_start < MMAP_MIN_ADDR {
            return Err(ProveError::Image(format!(
                "the program ends at {:#x}, below 64 KiB, where Linux maps nothing",
                vm.kernel.brk_start
            )));
        }
        Ok(Setup {
            facts: AuxFacts::of(program),
            brk: vm.kernel.brk_start,
            rom,
            image,
            regions,
        })
    }
}

impl Setup {
    /// The image's words by word address, as the witness looks them up.
    pub fn image_values(&self) -> std::collections::HashMap<u32, u32> {
        self.image.iter().map(|w| (w.addr, w.value)).collect()
    }
}

/// The argv-dependent start of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Start {
    pub sp: u32,
    /// Non-zero words of the initial stack: (word address, value).
    pub stack: Vec<(u32, u32)>,
    /// Initial values of the main thread's registers (index = register number).
    pub regs: [u32; NUM_REGS],
}

impl Start {
    pub fn new(facts: &AuxFacts, argv: &[String]) -> Result<Start, String> {
        Start::with_env(facts, argv, &[])
    }

    /// The start of a run with `argv` and the environment `env`.
    pub fn with_env(facts: &AuxFacts, argv: &[String], env: &[String]) -> Result<Start, String> {
        let st = initial_stack(facts, argv, env)?;
        let mut stack = Vec::new();
        for (i, chunk) in st.bytes.chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            let v = u32::from_be_bytes(w);
            if v != 0 {
                stack.push(((st.sp / 4) + i as u32, v));
            }
        }
        let mut regs = [0u32; NUM_REGS];
        regs[29] = st.sp;
        Ok(Start {
            sp: st.sp,
            stack,
            regs,
        })
    }

    /// The initial stack's words by word address.
    pub fn stack_words(&self) -> std::collections::HashMap<u32, u32> {
        self.stack.iter().copied().collect()
    }
}

fn quiet_config(input: Vec<u8>, argv: Vec<String>) -> Config {
    Config {
        argv,
        env: Vec::new(),
        input,
        max_cycles: None,
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::sink()),
    }
}

/// One executed instruction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub pc: u32,
    pub next_pc: u32,
    /// Its row in the ROM.
    pub rom: u32,
    /// The operands: registers `ra` and `rb` (or the immediate) before it ran.
    pub a: u32,
    pub b: u32,
    /// HI and LO before it ran.
    pub hi: u32,
    pub lo: u32,
    /// Register `rw` after it ran (for a `SYSCALL`: `$v0` after the call).
    pub out: u32,
    /// HI and LO after it ran (for a `SYSCALL`: `$a3` in `out_lo`).
    pub out_hi: u32,
    pub out_lo: u32,
    /// A load or store: the word address and the word's value after the access.
    pub mem_addr: u32,
    pub mem_value: u32,
    pub llbit: bool,
    pub out_llbit: bool,
    /// The thread running it (its index: its id less [`super::syscall::FIRST_TID`]).
    pub thread: u32,
    /// A context switch comes before it: another thread ran last, or the kernel put this
    /// thread's registers back after a wait (which clears its LLbit).
    pub switched: bool,
    /// It faulted: a signal was delivered instead of its effects.
    pub fault: bool,
    /// A signal's delivery comes before it (it is the handler's first instruction), or
    /// a handler's return through `rt_sigreturn`.
    pub delivered: bool,
    pub returned: bool,
}

/// A signal delivered to the handler after the faulting step `step`, as the VM did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalRec {
    pub step: usize,
    pub ev: SignalEvent,
}

/// An `rt_sigreturn` after step `step` (the delay slot of the handler's return), as the
/// VM did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigreturnRec {
    pub step: usize,
    pub ev: SigreturnEvent,
}

/// An address as the proof names it: the trampoline (above 0x7f000000, where addresses
/// alias modulo p) is -1, and the address after it -1 + 4.
pub fn proof_pc(v: u32) -> u32 {
    use super::bus::{SIGRETURN_ADDR, SIGRETURN_PC};
    if v == SIGRETURN_ADDR {
        SIGRETURN_PC
    } else if v == SIGRETURN_ADDR.wrapping_add(4) {
        SIGRETURN_PC.wrapping_add(4)
    } else {
        v
    }
}

/// A system call as the prover sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallRec {
    /// Index of its step.
    pub step: usize,
    pub number: u32,
    pub args: [u32; 4],
    /// The stack arguments the VM read, at `$sp + 16` and `$sp + 20`.
    pub stack: [u32; 2],
    /// `$v0` and `$a3` after it returned (none for `exit_group`).
    pub result: Option<(u32, u32)>,
    /// The bytes it wrote to guest memory, from its buffer on (a read's).
    pub written: Vec<u8>,
    /// A `FUTEX_WAIT` a signal interrupted, which Linux restarts after the handler: the
    /// thread resumes at the `SYSCALL` again, its registers as they were (`result` holds
    /// them: the number and `$a3`).
    pub restarted: bool,
}

/// The record of a whole run.
#[derive(Clone, Debug)]
pub struct Record {
    pub steps: Vec<Step>,
    pub syscalls: Vec<SyscallRec>,
    pub signals: Vec<SignalRec>,
    pub sigreturns: Vec<SigreturnRec>,
    pub exit_code: u32,
    pub output: Vec<u8>,
    /// The environment it ran with (`KEY=VALUE` strings, on the initial stack).
    pub env: Vec<String>,
}

/// Collects the [`Record`] and notices what the prover cannot handle yet.
pub struct ProveTracer<'a> {
    rom: &'a [RomEntry],
    rom_base: u32,
    rom_index: Vec<u32>,
    pub steps: Vec<Step>,
    pub syscalls: Vec<SyscallRec>,
    pub signals: Vec<SignalRec>,
    pub sigreturns: Vec<SigreturnRec>,
    /// The part of a delivery's frame the kernel's writes have not reported yet (from,
    /// to): the VM writes it page by page.
    frame: Option<(u32, u32)>,
    /// The first thing that cannot be proved: what, and the pc.
    pub unsupported: Option<(String, u32)>,
    /// Each thread's state as the record follows it, by thread id.
    threads: BTreeMap<u32, Track>,
    /// The thread of the last step.
    last_tid: Option<u32>,
    pending_mem: bool,
}

/// What the tracer knows of one thread.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    /// Where its next instruction must start, if nothing else intervenes.
    expect: Option<(u32, u32)>,
    /// The kernel put its registers back (a wait ended): a switch comes before it runs.
    reload: bool,
    /// Its blocking call that has not returned yet (an index into `syscalls`).
    pending: Option<usize>,
    /// A signal's delivery, or a handler's return, comes before its next instruction.
    delivered: bool,
    returned: bool,
    /// Its LLbit after its last instruction.
    llbit: bool,
    /// The signal it sent itself with its last call, which must be delivered before
    /// it runs on (the signal chip proves only that outcome of kill, tkill and tgkill).
    sent: Option<u32>,
    /// The signal delivered before its next instruction came at a switch to it (one
    /// that another thread sent it).
    at_switch: bool,
}

impl<'a> ProveTracer<'a> {
    pub fn new(rom: &'a [RomEntry]) -> ProveTracer<'a> {
        let rom_base = rom.first().map_or(0, |e| e.pc);
        let span = rom.last().map_or(0, |e| (e.pc - rom_base) / 4 + 1) as usize;
        let mut rom_index = vec![u32::MAX; span];
        for (i, e) in rom.iter().enumerate() {
            rom_index[((e.pc - rom_base) / 4) as usize] = i as u32;
        }
        ProveTracer {
            rom,
            rom_base,
            rom_index,
            steps: Vec::new(),
            syscalls: Vec::new(),
            signals: Vec::new(),
            sigreturns: Vec::new(),
            frame: None,
            unsupported: None,
            threads: BTreeMap::new(),
            last_tid: None,
            pending_mem: false,
        }
    }

    fn refuse(&mut self, what: String, pc: u32) {
        if self.unsupported.is_none() {
            self.unsupported = Some((what, pc));
        }
    }
}

impl ProveTracer<'_> {
    /// System call `idx` of thread `tid` returned with the registers `after`: its result,
    /// and what of it cannot be proved.
    fn returned(&mut self, idx: usize, tid: u32, after: &Cpu) {
        let (v0, a3) = (after.gpr[2], after.gpr[7]);
        let mut refused = None;
        let step = {
            let sc = &mut self.syscalls[idx];
            sc.result = Some((v0, a3));
            sc.step
        };
        if let Some(sc) = self.syscalls.get(idx) {
            if sc.number == SYS_READ && sc.args[0] == 0 && a3 != 0 {
                refused = Some(format!(
                    "read(0) failing with error {v0} (only successful reads can be proved)"
                ));
            } else if (matches!(
                sc.number,
                SYS_GETRANDOM | SYS_SCHED_GETAFFINITY | SYS_UNAME | SYS_GETCWD
            ) || super::clock::ClockCall::of(sc.number).is_some())
                && a3 != 0
            {
                refused = Some(format!(
                    "{} failing with error {v0} (only successful calls can be proved)",
                    crate::syscalls::names::name(sc.number).unwrap_or("a system call")
                ));
            } else if super::fs::path_arg(sc.number).is_some()
                && super::fs::answer(sc.number, &[sc.args[0], sc.args[1], sc.args[2], sc.args[3]])
                    != Some((v0, a3))
            {
                refused = Some(format!(
                    "{} failing with error {v0} (an unreadable path, or one of PATH_MAX bytes or \
                     more; only ENOENT can be proved yet)",
                    crate::syscalls::names::name(sc.number).unwrap_or("open")
                ));
            } else if sc.number == SYS_FSTAT64 && (v0, a3) != (0, 0) {
                refused = Some(format!(
                    "fstat64 failing with error {v0} (only a successful one can be proved)"
                ));
            } else if sc.number == SYS_FSTAT64
                && sc.written.len() == crate::syscalls::io::STAT64_LEN
                && u64::from_be_bytes(
                    sc.written[crate::syscalls::io::STAT64_SIZE..][..8]
                        .try_into()
                        .expect("8 bytes"),
                ) >= super::fs::STAT_SIZE_LIMIT as u64
            {
                refused = Some(format!(
                    "fstat64 of a file of 2^28 bytes or more (at most {} can be proved)",
                    super::fs::STAT_SIZE_LIMIT - 1
                ));
            } else if super::fs::is_fcntl(sc.number) || sc.number == SYS_IOCTL {
                let args = sc.args;
                if super::fs::answer(sc.number, &args) != Some((v0, a3)) {
                    refused = Some(format!(
                        "internal error: {}({}, {:#x}) returned {v0} (error {a3}), not the fs \
                         chip's answer",
                        if super::fs::is_fcntl(sc.number) {
                            "fcntl"
                        } else {
                            "ioctl"
                        },
                        args[0],
                        args[1]
                    ));
                }
            } else if sc.number == SYS_CLONE && a3 != 0 {
                refused = Some(format!(
                    "clone failing with error {v0} (only a thread that starts can be proved)"
                ));
            } else if sc.number == SYS_FUTEX
                && !super::futex::provable_result(&sc.args, v0, a3)
                && !super::mm::lenient()
            {
                // (Tests turn this off to record a failing wait, and forge its result.)
                refused = Some(format!(
                    "futex({:#x}, {}) returning {v0} (error flag {a3}); only a wait's 0, EAGAIN \
                     or ETIMEDOUT and a wake's count can be proved yet",
                    sc.args[0], sc.args[1]
                ));
            } else if sc.number == SYS_READ && v0 >= MAX_WRITE {
                refused = Some(format!(
                    "read of {v0} bytes (at most {} in one call can be proved)",
                    MAX_WRITE - 1
                ));
            }
        }
        if let Some(what) = refused {
            let pc = self.steps.get(step).map_or(0, |s| s.pc);
            self.refuse(what, pc);
        }
        if let Some(s) = self.steps.get_mut(step) {
            s.out = after.gpr[2];
            s.out_lo = after.gpr[7];
        }
        let track = self.threads.entry(tid).or_default();
        track.pending = None;
        track.expect = Some((after.pc, after.next_pc));
    }
}

fn reg(cpu: &Cpu, r: u8) -> u32 {
    match r {
        0..=31 => cpu.gpr[r as usize],
        REG_HI => cpu.hi,
        REG_LO => cpu.lo,
        REG_LLBIT => cpu.llbit as u32,
        _ => 0,
    }
}

impl Tracer for ProveTracer<'_> {
    fn step(&mut self, ev: &StepEvent, before: &Cpu) {
        let thread = ev.tid.wrapping_sub(super::syscall::FIRST_TID);
        if thread >= super::bus::MAX_THREADS {
            self.refuse(format!("a thread with id {} runs", ev.tid), ev.pc);
        }
        let first = self.last_tid.is_none();
        // The thread that leaves at a switch must have nothing to do before its next
        // instruction: a delivery or a handler's return there would have to wait for it
        // to run again (the sched chip and the signal or sigreturn chip would both take
        // its row's leaving half).
        if let Some(old) = self.last_tid.filter(|&t| t != ev.tid) {
            if self
                .threads
                .get(&old)
                .is_some_and(|t| t.delivered || t.returned)
            {
                self.refuse(
                    "a context switch right after a signal's delivery or return (not proved \
                     yet)"
                        .into(),
                    ev.pc,
                );
            }
        }
        let track = self.threads.entry(ev.tid).or_default();
        // The VM clears a thread's LLbit when it schedules it again, even when the same
        // thread goes on, as Linux's return to user space does: a switch to it.
        let cleared = track.llbit && !before.llbit;
        let switched = !first && (self.last_tid != Some(ev.tid) || track.reload || cleared);
        track.reload = false;
        let (delivered, returned) = (track.delivered, track.returned);
        let at_switch = track.at_switch;
        track.delivered = false;
        track.returned = false;
        track.at_switch = false;
        let expect = track.expect.take();
        let pending = track.pending.is_some();
        // (A signal sent and not delivered at once: the witness proves it pending, or
        // says why it cannot.)
        track.sent = None;
        self.last_tid = Some(ev.tid);
        if pending {
            self.refuse(
                "internal error: a thread ran before its blocking call returned".into(),
                ev.pc,
            );
        }
        // (A signal another thread sent it, taken at the switch to it, is proved there.)
        let taken_at_switch = at_switch && delivered && !returned;
        if switched && (delivered || returned) && !taken_at_switch {
            self.refuse(
                "a context switch right after a signal's delivery or return (not proved yet)"
                    .into(),
                ev.pc,
            );
        }
        let next_pc = proof_pc(ev.next_pc);
        if let Some((pc, next)) = expect {
            if (pc, next) != (ev.pc, next_pc) {
                self.refuse(
                    "the kernel changed the program counter (a signal was delivered)".into(),
                    ev.pc,
                );
            }
        } else if !first {
            self.refuse("execution resumed after an unproved event".into(), ev.pc);
        }
        let rom = ev
            .pc
            .checked_sub(self.rom_base)
            .map(|d| d / 4)
            .and_then(|i| self.rom_index.get(i as usize).copied())
            .filter(|&i| i != u32::MAX);
        let Some(rom) = rom else {
            self.refuse("an instruction outside the ROM runs".into(), ev.pc);
            return;
        };
        let e = &self.rom[rom as usize];
        let b = if e.flags & super::program::flag::B_IMM != 0 {
            e.imm
        } else {
            reg(before, e.rb)
        };
        self.steps.push(Step {
            pc: ev.pc,
            next_pc,
            rom,
            a: reg(before, e.ra),
            b,
            hi: before.hi,
            lo: before.lo,
            llbit: before.llbit,
            thread,
            switched,
            delivered,
            returned,
            ..Step::default()
        });
        self.pending_mem = true;
    }

    fn retired(&mut self, after: &Cpu) {
        let Some(s) = self.steps.last_mut() else {
            return;
        };
        let e = &self.rom[s.rom as usize];
        s.out = reg(after, e.rw);
        s.out_hi = after.hi;
        s.out_lo = after.lo;
        s.out_llbit = after.llbit;
        if let Some(tid) = self.last_tid {
            let track = self.threads.entry(tid).or_default();
            track.expect = Some((proof_pc(after.pc), proof_pc(after.next_pc)));
            track.llbit = after.llbit;
        }
    }

    fn mem(&mut self, ev: &MemEvent) {
        if let Some(s) = self.steps.last_mut() {
            if self.pending_mem {
                s.mem_addr = ev.addr / 4;
                s.mem_value = ev.value;
                self.pending_mem = false;
                return;
            }
        }
        self.refuse("an instruction made two memory accesses".into(), 0);
    }

    fn syscall(&mut self, ev: &SyscallEvent) {
        let pc = self.steps.last().map_or(0, |s| s.pc);
        let name = crate::syscalls::names::name(ev.number).unwrap_or("unknown");
        let poll = super::poll::Call::of(ev.number, ev.args[0])
            .map(|_| super::poll::supported(ev.number, &ev.args));
        let supported = match ev.number {
            // (Tests turn this off, to show that the poll chip refuses the same.)
            _ if poll.is_some() => poll.as_ref().is_some_and(|r| r.is_ok()) || super::mm::lenient(),
            SYS_EXIT_GROUP => true,
            // (Another thread's: the main thread's, which the others outlive, is not
            // proved; nor the last thread's, which ends the run: see `execute`.)
            super::syscall::SYS_EXIT => ev.tid != super::syscall::FIRST_TID,
            SYS_WRITE => matches!(ev.args[0], 1..=3) && ev.args[2] < MAX_WRITE,
            SYS_READ => ev.args[0] == 0,
            SYS_GETRANDOM => ev.args[1] < MAX_WRITE && ev.args[2] <= 1,
            SYS_SCHED_GETAFFINITY => {
                ev.args[0] == 0 && ev.args[1] != 0 && ev.args[1] % 4 == 0 && ev.args[2] % 4 == 0
            }
            n if super::clock::ClockCall::of(n).is_some() => clock_supported(n, &ev.args),
            SYS_UNAME => true,
            SYS_GETCWD => {
                use super::syscall::{CWD_LEN, CWD_SIZE_LIMIT};
                ev.args[1] >= CWD_LEN && ev.args[1] - CWD_LEN < CWD_SIZE_LIMIT
            }
            SYS_MMAP | super::mm::SYS_MMAP2 => mmap_supported(ev.number, &ev.args),
            SYS_MADVISE => {
                (ev.args[2] == super::mm::MADV_NOHUGEPAGE || ev.args[2] == super::mm::MADV_DONTNEED)
                    && ev.args[1] != 0
                    && ev.args[0] % 4096 == 0
            }
            super::mm::SYS_MUNMAP => {
                ev.args[0] % 4096 == 0 && ev.args[1] != 0 && ev.args[1] < super::mm::MAX_LEN
            }
            SYS_BRK => ev.args[0] == 0,
            // (A call Linux refuses, such as one with another sigsetsize, fails in the VM
            // too: the witness refuses it as failing.)
            SYS_RT_SIGPROCMASK => ev.args[1] % 4 == 0 && ev.args[2] % 4 == 0,
            SYS_RT_SIGACTION => ev.args[1] % 4 == 0 && ev.args[2] % 4 == 0,
            SYS_SIGALTSTACK => ev.args[0] % 4 == 0 && ev.args[1] % 4 == 0,
            // (Tests turn the refusal of a clone without a stack off, to show that the
            // clone chip refuses it too.)
            SYS_CLONE => {
                ev.args[0] == super::threads::CLONE_GO && (ev.args[1] != 0 || super::mm::lenient())
            }
            SYS_FUTEX => super::futex::supported(&ev.args),
            // (Tests turn the check of the target off, to show that the signal chip
            // refuses the same.)
            n if super::signal::SEND_CALLS.contains(&n) => {
                let (target, sig) = super::signal::send_target(n, &ev.args, ev.tid);
                // Or tkill, tgkill to another thread that exists.
                let other = super::signal::send_tid(n, &ev.args)
                    .is_some_and(|to| to != ev.tid && self.threads.contains_key(&to));
                let ok = (target || other || super::mm::lenient()) && (1..=128).contains(&sig);
                if ok && !other {
                    self.threads.entry(ev.tid).or_default().sent = Some(sig);
                }
                ok
            }
            super::getset::SYS_GETRLIMIT => {
                ev.args[0] == super::getset::RLIMIT_NOFILE && ev.args[1] != 0 && ev.args[1] % 4 == 0
            }
            SYS_PRLIMIT64 => {
                ev.args[0] == 0
                    && ev.args[1] == super::getset::RLIMIT_NOFILE
                    && ev.args[2] % 4 == 0
                    && ev.args[3] % 4 == 0
            }
            n if super::fs::is_fs_call(n) => {
                let args = [ev.args[0], ev.args[1], ev.args[2], ev.args[3]];
                super::fs::answer(n, &args).is_some()
            }
            n => super::syscall::identity_answer(n, 0).is_some(),
        };
        // (Tests turn this off, to show that the CPU refuses the same.)
        if self
            .steps
            .last()
            .is_some_and(|s| s.next_pc != s.pc.wrapping_add(4))
            && !super::mm::lenient()
        {
            self.refuse(
                "a SYSCALL in a delay slot (MIPS leaves it unpredictable)".into(),
                pc,
            );
        }
        if !supported {
            let what = if let Some(Err(what)) = poll {
                what
            } else if ev.number == SYS_WRITE && ev.args[2] >= MAX_WRITE {
                format!(
                    "write of {} bytes (at most {} in one call can be proved)",
                    ev.args[2],
                    MAX_WRITE - 1
                )
            } else if ev.number == SYS_WRITE {
                format!(
                    "write to fd {} (only fds 1, 2 and 3 can be proved yet)",
                    ev.args[0]
                )
            } else if let Some(call) = super::clock::ClockCall::of(ev.number) {
                clock_refusal(name, call, &ev.args)
            } else if ev.number == super::syscall::SYS_EXIT {
                "exit of the main thread (the process goes on in its other threads; only \
                 another thread's exit can be proved yet)"
                    .into()
            } else if ev.number == SYS_GETCWD {
                format!(
                    "getcwd({:#x}, {}) (only a size from 2 to 2^30 + 1 can be proved yet)",
                    ev.args[0], ev.args[1]
                )
            } else if ev.number == SYS_SCHED_GETAFFINITY {
                format!(
                    "sched_getaffinity({}, {}, {:#x}) (only pid 0, a non-zero length that is a \
                     multiple of 4 and a word-aligned mask can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2]
                )
            } else if ev.number == SYS_GETRANDOM && ev.args[1] >= MAX_WRITE {
                format!(
                    "getrandom of {} bytes (at most {} in one call can be proved)",
                    ev.args[1],
                    MAX_WRITE - 1
                )
            } else if ev.number == SYS_GETRANDOM {
                format!(
                    "getrandom with flags {:#x} (only 0 and GRND_NONBLOCK can be proved yet)",
                    ev.args[2]
                )
            } else if ev.number == SYS_READ {
                format!(
                    "read from fd {} (only fd 0, the private input, can be proved yet)",
                    ev.args[0]
                )
            } else if ev.number == SYS_OPENAT && ev.args[0] != super::fs::AT_FDCWD {
                format!(
                    "openat relative to fd {} (only AT_FDCWD can be proved yet)",
                    ev.args[0] as i32
                )
            } else if matches!(ev.number, SYS_OPEN | SYS_OPENAT) {
                format!(
                    "{name} with O_CREAT or O_TMPFILE (flags {:#x}; only opens that look a file \
                     up can be proved yet)",
                    ev.args[1 + (ev.number == SYS_OPENAT) as usize]
                )
            } else if super::fs::lookup_index(ev.number).is_some() {
                format!(
                    "{name}({:#x}, {:#x}, {:#x}, {:#x}) (only lookups relative to AT_FDCWD, \
                     with a mode below 8, flags AT_SYMLINK_NOFOLLOW or AT_EACCESS and a buffer \
                     size above 0, can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2], ev.args[3]
                )
            } else if super::mm::is_map(ev.number) {
                let (unit, offset) = if ev.number == SYS_MMAP {
                    ("a page-aligned offset", "offset")
                } else {
                    ("an offset below 2^31 pages", "pgoffset")
                };
                format!(
                    "{name}(addr {:#x}, len {:#x}, prot {:#x}, flags {:#x}, {offset} {:#x}) \
                     (only anonymous private mappings, PROT_NONE or PROT_READ|PROT_WRITE, of \
                     fewer than 2^30 bytes at {unit} can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2], ev.args[3], ev.args[5]
                )
            } else if ev.number == SYS_MADVISE {
                format!(
                    "madvise({:#x}, {:#x}, {}) (only MADV_NOHUGEPAGE and MADV_DONTNEED of a \
                     page-aligned, non-empty range can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2]
                )
            } else if ev.number == super::mm::SYS_MUNMAP {
                format!(
                    "munmap({:#x}, {:#x}) (only a whole mapping made with \
                     PROT_READ|PROT_WRITE, page-aligned and under 2^30 bytes, can be proved yet)",
                    ev.args[0], ev.args[1]
                )
            } else if ev.number == SYS_BRK {
                format!(
                    "brk({:#x}) (only brk(0), which reads the break, can be proved yet)",
                    ev.args[0]
                )
            } else if super::fs::is_fcntl(ev.number) {
                format!(
                    "{name}({}, {}) (only F_GETFD and F_GETFL of fds 0 to 3 can be proved yet)",
                    ev.args[0], ev.args[1]
                )
            } else if ev.number == SYS_IOCTL {
                format!(
                    "ioctl({}, {:#x}) (only TCGETS and TIOCGWINSZ of fds 0 to 3, failing with \
                     ENOTTY, can be proved yet)",
                    ev.args[0], ev.args[1]
                )
            } else if ev.number == super::fs::SYS_SOCKET {
                format!(
                    "socket({}, {:#x}, {}) (only one that fails with EAFNOSUPPORT, with a type \
                     Linux accepts and a family other than AF_NETLINK, can be proved)",
                    ev.args[0], ev.args[1], ev.args[2]
                )
            } else if ev.number == super::fs::SYS_PRCTL {
                format!(
                    "prctl({:#x}, {:#x}) (only PR_SET_VMA, which fails with EINVAL in the VM's \
                     Linux 5.0, can be proved yet)",
                    ev.args[0], ev.args[1]
                )
            } else if ev.number == SYS_FSTAT64 {
                format!(
                    "fstat64({}, {:#x}) (only fds 0 to 3, into a word-aligned buffer, can be \
                     proved yet)",
                    ev.args[0], ev.args[1]
                )
            } else if ev.number == SYS_CLONE {
                format!(
                    "clone(flags {:#x}, stack {:#x}) (only Go's threads, flags {:#x} with a new \
                     stack, can be proved yet)",
                    ev.args[0],
                    ev.args[1],
                    super::threads::CLONE_GO
                )
            } else if ev.number == SYS_FUTEX {
                format!(
                    "futex({:#x}, {}, {}, {:#x}) (only FUTEX_WAIT_PRIVATE and FUTEX_WAKE_PRIVATE \
                     on an aligned word, with an aligned timeout, can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2], ev.args[3]
                )
            } else if ev.number == super::getset::SYS_GETRLIMIT {
                format!(
                    "getrlimit({}, {:#x}) (only RLIMIT_NOFILE (5) into a word-aligned, non-NULL \
                     buffer can be proved yet)",
                    ev.args[0], ev.args[1]
                )
            } else if ev.number == SYS_PRLIMIT64 {
                format!(
                    "prlimit64({}, {}, {:#x}, {:#x}) (only the calling process's RLIMIT_NOFILE \
                     (5), with word-aligned buffers, can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2], ev.args[3]
                )
            } else if matches!(
                ev.number,
                SYS_RT_SIGPROCMASK | SYS_RT_SIGACTION | SYS_SIGALTSTACK
            ) {
                format!(
                    "{name}({:#x}, {:#x}, {:#x}) (only word-aligned buffers can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2]
                )
            } else if super::signal::SEND_CALLS.contains(&ev.number) {
                format!(
                    "{name}({:#x}, {:#x}, {:#x}) (only a signal 1 to 128 sent to a thread of \
                     the process, or by kill to the process, can be proved yet)",
                    ev.args[0], ev.args[1], ev.args[2]
                )
            } else {
                format!("system call {name} ({})", ev.number)
            };
            self.refuse(what, pc);
        }
        self.threads.entry(ev.tid).or_default().pending = Some(self.syscalls.len());
        self.syscalls.push(SyscallRec {
            step: self.steps.len().saturating_sub(1),
            number: ev.number,
            args: [ev.args[0], ev.args[1], ev.args[2], ev.args[3]],
            stack: [ev.args[4], ev.args[5]],
            result: None,
            written: Vec::new(),
            restarted: false,
        });
    }

    fn syscall_done(&mut self, after: &Cpu) {
        let Some(idx) = self.syscalls.len().checked_sub(1) else {
            return;
        };
        let sc = &self.syscalls[idx];
        if super::clock::ClockCall::of(sc.number).is_some_and(|c| c.sleeps())
            && after.gpr[2] == sc.number
        {
            // It blocked and the wait has not ended: `$v0` still holds the number (no
            // result of a sleep is its number); the result comes when it ends (`kernel`).
            return;
        }
        if sc.result.is_some() {
            // The wait's end reported it first (`kernel`): the same result.
            return;
        }
        let tid = self.last_tid.unwrap_or(crate::vm::PID);
        self.returned(idx, tid, after);
    }

    fn signal(&mut self, ev: &SignalEvent) {
        let pc = self.steps.last().map_or(0, |s| s.pc);
        let track = self.threads.entry(ev.tid).or_default();
        // The faulting instruction did not retire: nothing set where its thread goes on.
        let faulted = track.expect.is_none() && self.last_tid == Some(ev.tid);
        if !ev.synchronous {
            // A signal the thread sent itself, delivered right after the call returned.
            let sent = track.sent.take();
            let call = self.syscalls.last();
            let fresh = |numbers: &[u32]| {
                call.is_some_and(|sc| {
                    numbers.contains(&sc.number)
                        && sc.step + 1 == self.steps.len()
                        && sc.result == Some((0, 0))
                })
            };
            // Or a pending signal the thread's rt_sigprocmask unblocked, delivered on the
            // way back from that call.
            let sent_now = sent == Some(ev.signal) && fresh(&super::signal::SEND_CALLS);
            let unblocked = fresh(&[SYS_RT_SIGPROCMASK]);
            // Or one another thread sent it, taken at the switch to it, where it was
            // switched out (not in a blocking call, and not right after another delivery
            // or return).
            let at_switch = self.last_tid.is_some_and(|t| t != ev.tid)
                && track.expect.is_some()
                && track.pending.is_none()
                && !track.delivered
                && !track.returned;
            // A thread switched in in a delay slot, which the VM lets run its delay slot
            // first (Linux delivers with epc at the branch).
            let slot = self.last_tid == Some(ev.tid)
                && self
                    .steps
                    .last()
                    .is_some_and(|s| s.switched && s.next_pc != s.pc.wrapping_add(4));
            if at_switch {
                track.at_switch = true;
            } else if slot {
                self.refuse(
                    format!(
                        "signal {} taken by a thread switched out in a delay slot (Linux \
                         delivers it with epc at the branch; the VM defers it by an \
                         instruction: not provable)",
                        ev.signal
                    ),
                    pc,
                );
                return;
            } else if !(sent_now || unblocked) || self.last_tid != Some(ev.tid) {
                self.refuse(
                    format!(
                        "signal {} delivered after it was sent (only a signal a thread sends \
                         itself, delivered on the way back from the call or from the \
                         rt_sigprocmask that unblocks it, or one another thread sent, \
                         delivered at the switch to the thread, can be proved yet)",
                        ev.signal
                    ),
                    pc,
                );
                return;
            }
        } else if ev.signal != super::signal::SIGSEGV || !faulted {
            self.refuse(
                format!(
                    "{} is delivered (only SIGSEGV for a load or store in the first 64 KiB, a \
                     nil dereference, can be proved yet)",
                    crate::syscalls::signal::signal_name(ev.signal)
                ),
                pc,
            );
            return;
        }
        let track = self.threads.entry(ev.tid).or_default();
        track.expect = Some((ev.pc, ev.pc.wrapping_add(4)));
        track.delivered = true;
        track.llbit = false;
        // (A delivery at a switch follows another thread's row, which keeps its flag.)
        if let Some(s) = self.steps.last_mut().filter(|_| ev.synchronous) {
            s.fault = true;
        }
        self.frame = Some((
            ev.frame_addr,
            ev.frame_addr.wrapping_add(ev.frame.len() as u32),
        ));
        self.signals.push(SignalRec {
            step: self.steps.len().saturating_sub(1),
            ev: ev.clone(),
        });
    }

    fn sigreturn(&mut self, ev: &SigreturnEvent) {
        use super::bus::SIGRETURN_PC;
        let pc = self.steps.last().map_or(0, |s| s.pc);
        let track = self.threads.entry(ev.tid).or_default();
        let at_trampoline = track.expect == Some((SIGRETURN_PC, SIGRETURN_PC.wrapping_add(4)))
            && self.last_tid == Some(ev.tid);
        if ev.frame.len() != super::signal::FRAME_SIZE as usize || !at_trampoline {
            self.refuse(
                "sigreturn (only rt_sigreturn, reached by a jump to its trampoline, can be \
                 proved yet)"
                    .into(),
                pc,
            );
            return;
        }
        track.expect = Some((ev.pc, ev.pc.wrapping_add(4)));
        track.returned = true;
        track.llbit = false;
        self.sigreturns.push(SigreturnRec {
            step: self.steps.len().saturating_sub(1),
            ev: ev.clone(),
        });
    }

    fn kernel(&mut self, _cycle: u64, ev: &KernelEvent) {
        // A call that blocked ends (a sleep, a futex wait): its result, as syscall_done
        // gives it for a call that returns at once. The kernel put the thread's registers
        // back, so a context switch comes before it runs on (the VM may report the call's
        // return first: the same result).
        if let KernelEvent::Registers { tid, cpu, why } = ev {
            let pc = self.steps.last().map_or(0, |s| s.pc);
            match why {
                RegisterChange::WaitDone => {
                    let pending = self.threads.get(tid).and_then(|t| t.pending);
                    if let Some(idx) = pending {
                        self.returned(idx, *tid, cpu);
                    }
                    self.threads.entry(*tid).or_default().reload = true;
                }
                RegisterChange::Clone { .. } => {
                    // The child starts where the clone chip puts it.
                    self.threads.entry(*tid).or_default().expect = Some((cpu.pc, cpu.next_pc));
                }
                RegisterChange::Interrupted => {
                    // A FUTEX_WAIT without a timeout that Linux restarts after the handler
                    // (the kernel put the thread back at its SYSCALL): the futex chip's
                    // restart. Other interrupted calls fail with EINTR.
                    let track = self.threads.entry(*tid).or_default();
                    let idx = track.pending;
                    let restart = idx.and_then(|i| self.syscalls.get(i)).filter(|sc| {
                        sc.number == SYS_FUTEX
                            && sc.args[1] == super::futex::FUTEX_WAIT_PRIVATE
                            && sc.args[3] == 0
                            && self.steps.get(sc.step).is_some_and(|s| s.pc == cpu.pc)
                    });
                    match (idx, restart) {
                        (Some(i), Some(_)) => {
                            let sc = &mut self.syscalls[i];
                            sc.result = Some((cpu.gpr[2], cpu.gpr[7]));
                            sc.restarted = true;
                            if let Some(s) = self.steps.get_mut(sc.step) {
                                s.out = cpu.gpr[2];
                                s.out_lo = cpu.gpr[7];
                            }
                            let track = self.threads.entry(*tid).or_default();
                            track.pending = None;
                            track.expect = Some((cpu.pc, cpu.next_pc));
                            track.reload = true;
                        }
                        _ => self.refuse(
                            format!(
                                "a signal interrupted thread {tid}'s blocking call other than an \
                                 untimed FUTEX_WAIT, which fails with EINTR (not provable yet; \
                                 a restarted FUTEX_WAIT can be)"
                            ),
                            pc,
                        ),
                    }
                }
            }
            return;
        }
        // The bytes a read, getrandom or clock_gettime wrote, in order from its buffer; supported
        // calls do nothing else to memory (a write's reads of its buffer are the log and
        // output chips' business).
        if let KernelEvent::Write { addr, bytes } = ev {
            let pc = self.steps.last().map_or(0, |s| s.pc);
            // A delivery's frame (the signal chip writes it).
            if let Some((from, to)) = self.frame {
                let end = addr.wrapping_add(bytes.len() as u32);
                if *addr == from && end <= to {
                    self.frame = (end < to).then_some((end, to));
                    return;
                }
            }
            // epoll_pwait's events: each one's `events` word and its data, which the
            // witness finds from the kernel state as the poll chip writes them.
            let in_events = |sc: &SyscallRec| {
                sc.number == super::poll::SYS_EPOLL_PWAIT
                    && addr.wrapping_sub(sc.args[1]) < sc.args[2].saturating_mul(16)
            };
            if self.syscalls.last().is_some_and(in_events) {
                return;
            }
            let waiting = self.threads.values().any(|t| {
                t.pending
                    .and_then(|i| self.syscalls.get(i))
                    .is_some_and(in_events)
            });
            if waiting {
                self.refuse(
                    "epoll_pwait woken by an event that arrived while it waited (not provable \
                     yet)"
                        .into(),
                    pc,
                );
                return;
            }
            match self.syscalls.last_mut() {
                Some(sc)
                    if out_buffer(sc.number, &sc.args)
                        .is_some_and(|buf| *addr == buf.wrapping_add(sc.written.len() as u32)) =>
                {
                    sc.written.extend_from_slice(bytes)
                }
                _ => self.refuse(
                    format!("internal error: a system call wrote guest memory at {addr:#x}"),
                    pc,
                ),
            }
        }
    }
}

/// Whether the clock chip proves time call `number` with these arguments (given that it
/// succeeds): clock 0 or 1 where the clock is an argument, a non-NULL, word-aligned
/// buffer, and no time zone for `gettimeofday`.
fn clock_supported(number: u32, a: &[u32; 6]) -> bool {
    use super::clock::ClockCall;
    let Some(call) = ClockCall::of(number) else {
        return false;
    };
    let buf = a[call.buffer_arg()];
    (!call.clock_arg() || a[0] <= 1)
        && buf != 0
        && buf % 4 == 0
        && (call != ClockCall::TimeOfDay || a[1] == 0)
}

/// Why the clock chip does not prove time call `name` with these arguments.
fn clock_refusal(name: &str, call: super::clock::ClockCall, a: &[u32; 6]) -> String {
    use super::clock::ClockCall;
    let buf = a[call.buffer_arg()];
    if call.clock_arg() && a[0] > 1 {
        format!(
            "{name} of clock {} (only CLOCK_REALTIME and CLOCK_MONOTONIC can be proved yet)",
            a[0]
        )
    } else if call == ClockCall::TimeOfDay && a[1] != 0 {
        format!(
            "gettimeofday with a time zone ({:#x}; only a NULL one can be proved yet)",
            a[1]
        )
    } else {
        format!(
            "{name} with the buffer {buf:#x} (only word-aligned, non-NULL ones can be proved \
             yet)"
        )
    }
}

/// Whether the mm chip proves this `mmap` or `mmap2` (given that it succeeds).
fn mmap_supported(number: u32, a: &[u32; 6]) -> bool {
    use super::mm::{MAP_ANON, MAP_FIXED, MAX_LEN, PROT_RW};
    matches!(a[2], 0 | PROT_RW)
        && (a[3] == MAP_ANON || a[3] == MAP_ANON | MAP_FIXED)
        && a[1] != 0
        && a[1] < MAX_LEN
        && if number == SYS_MMAP {
            a[5] % 4096 == 0
        } else {
            a[5] < 1 << 31
        }
}

/// The buffer a provable call writes to guest memory, if it writes one.
pub(crate) fn out_buffer(number: u32, args: &[u32; 4]) -> Option<u32> {
    match number {
        SYS_READ => Some(args[1]),
        n if super::clock::ClockCall::of(n).is_some_and(|c| !c.sleeps()) => {
            super::clock::ClockCall::of(n).map(|c| args[c.buffer_arg()])
        }
        SYS_GETRANDOM => Some(args[0]),
        SYS_SCHED_GETAFFINITY => Some(args[2]),
        SYS_UNAME | SYS_GETCWD => Some(args[0]),
        SYS_RT_SIGPROCMASK | SYS_RT_SIGACTION => Some(args[2]),
        SYS_SIGALTSTACK => Some(args[1]),
        SYS_PRLIMIT64 => Some(args[3]),
        super::getset::SYS_GETRLIMIT => Some(args[1]),
        SYS_FSTAT64 => Some(args[1]),
        _ => None,
    }
}

/// The instructions `vm`, stopped at its instruction limit, executes to its exit when it
/// goes on untraced, if it exits within 2^32 of them.
fn run_length(vm: &mut Vm) -> Option<u64> {
    vm.set_cycle_limit(u32::MAX as u64);
    loop {
        match vm.run(u64::MAX, &mut crate::vm::trace::NoTracer) {
            Ok(Some(_)) => return Some(vm.cycles),
            Ok(None) => continue,
            Err(_) => return None,
        }
    }
}

/// Runs `program` with an empty environment and records everything the trace generators
/// need.
pub fn execute(
    program: &Program,
    setup: &Setup,
    argv: &[String],
    input: Vec<u8>,
    max_cycles: u64,
) -> Result<Record, ProveError> {
    execute_with_env(program, setup, argv, &[], input, max_cycles)
}

/// Runs `program` with `argv` and the environment `env` (`KEY=VALUE` strings), and
/// records everything the trace generators need.
pub fn execute_with_env(
    program: &Program,
    setup: &Setup,
    argv: &[String],
    env: &[String],
    input: Vec<u8>,
    max_cycles: u64,
) -> Result<Record, ProveError> {
    let mut config = quiet_config(input, argv.to_vec());
    config.env = env.to_vec();
    config.max_cycles = Some(max_cycles);
    let mut vm = Vm::new(program.clone(), config)?;
    let mut t = ProveTracer::new(&setup.rom);
    let exit = loop {
        match vm.run(u64::MAX, &mut t) {
            Ok(Some(exit)) => break exit,
            Ok(None) => continue,
            Err(VmError::CycleLimit { .. }) => {
                // Longer than one shard: say how long, going on untraced.
                if max_cycles >= super::bus::MAX_SHARD_CYCLES {
                    // (Said too, so that a shorter run is not tried in vain.)
                    let also = t.unsupported.as_ref().map_or(String::new(), |(what, pc)| {
                        format!(
                            "within them it also does what this version cannot prove: {what} \
                             at pc {pc:#010x} in {}\n",
                            program.describe_addr(*pc)
                        )
                    });
                    if let Some(cycles) = run_length(&mut vm) {
                        return Err(ProveError::TooLong {
                            cycles,
                            max: super::bus::MAX_SHARD_CYCLES,
                            also,
                        });
                    }
                }
                return Err(ProveError::NoExit(max_cycles));
            }
            Err(e) => {
                // A fault the program has no handler for: name it as the VM does.
                return Err(e.into());
            }
        }
    };
    // The last thread's exit ends the process with its status: not proved (Go ends a
    // process with exit_group).
    if t.unsupported.is_none()
        && exit.signal.is_none()
        && t.syscalls
            .last()
            .is_some_and(|sc| sc.number == super::syscall::SYS_EXIT && sc.step + 1 == t.steps.len())
    {
        let pc = t.steps.last().map_or(0, |s| s.pc);
        t.unsupported = Some((
            "exit of the last thread (it ends the process; only exit_group's end can be proved)"
                .into(),
            pc,
        ));
    }
    if let Some((what, pc)) = t.unsupported {
        return Err(ProveError::Unsupported {
            what,
            pc,
            symbol: program.describe_addr(pc),
        });
    }
    // A signal's default action ended the run: provable when the last instruction sent
    // it to the thread itself (the send chip's fatal outcome).
    let last = t.steps.len().checked_sub(1);
    let sent_fatal = exit.signal.is_some_and(|sig| {
        t.syscalls.last().is_some_and(|sc| {
            super::signal::SEND_CALLS.contains(&sc.number)
                && Some(sc.step) == last
                && sc.result.is_none()
                && super::signal::send_target(sc.number, &sc.args, t.last_tid.unwrap_or(0)).1 == sig
        })
    });
    if exit.signal.is_some() && !sent_fatal {
        let pc = t.steps.last().map_or(0, |s| s.pc);
        return Err(ProveError::Unsupported {
            what: "the program was killed by a signal".into(),
            pc,
            symbol: program.describe_addr(pc),
        });
    }
    let output = vm.public_output().to_vec();
    Ok(Record {
        steps: t.steps,
        syscalls: t.syscalls,
        signals: t.signals,
        sigreturns: t.sigreturns,
        exit_code: exit.code as u32,
        output,
        env: env.to_vec(),
    })
}

impl crate::exit::ExitCode for ProveError {
    fn exit_code(&self) -> i32 {
        match self {
            ProveError::Vm(e) => e.exit_code(),
            ProveError::NoExit(_) => crate::exit::CYCLE_LIMIT,
            ProveError::Unsupported { .. } | ProveError::Image(_) | ProveError::TooLong { .. } => {
                crate::exit::NOT_PROVABLE
            }
        }
    }
}
