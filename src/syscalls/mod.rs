//! The Linux system-call layer, keyed by o32 number (4000 + n).
//!
//! Every call goes through [`TABLE`]: one entry per implemented call, with its name and
//! handler. A number that is not in the table stops the run with
//! [`VmError::UnknownSyscall`] naming the call and the guest symbol, from one place
//! ([`Vm::syscall`]). Handlers return a [`Ret`]; the o32 convention is applied here:
//! success puts the value in `$v0` and 0 in `$a3`, failure the errno in `$v0` and 1 in `$a3`.
//!
//! Signals ([`signal`]): actions, masks and alternate stacks per process and thread;
//! synchronous faults and signals sent with `kill`/`tkill`/`tgkill` are delivered to the
//! guest's handlers with Linux's o32 frames, so Go turns a nil dereference into its panic,
//! preempts goroutines with `SIGURG`, and `signal.Notify` works. Default actions are
//! Linux's: terminate (exit status 128 + N) or ignore.

pub mod info;
pub mod io;
pub mod mem;
pub mod names;
pub mod signal;
pub mod strace;
pub mod thread;
pub mod time;

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;

use crate::vm::trace::{SyscallEvent, Tracer};
use crate::vm::{Vm, VmError};

/// o32 errno values (MIPS numbers differ from x86 for some).
pub mod errno {
    pub const EPERM: u32 = 1;
    pub const ENOENT: u32 = 2;
    pub const ESRCH: u32 = 3;
    pub const EINTR: u32 = 4;
    pub const EBADF: u32 = 9;
    pub const EAGAIN: u32 = 11;
    pub const ENOMEM: u32 = 12;
    pub const EFAULT: u32 = 14;
    pub const EEXIST: u32 = 17;
    pub const ENODEV: u32 = 19;
    pub const EOVERFLOW: u32 = 79;
    pub const EINVAL: u32 = 22;
    pub const EMFILE: u32 = 24;
    pub const ENOTTY: u32 = 25;
    pub const EROFS: u32 = 30;
    pub const ESPIPE: u32 = 29;
    pub const EPIPE: u32 = 32;
    pub const ERANGE: u32 = 34;
    pub const ENAMETOOLONG: u32 = 78;
    pub const ENOSYS: u32 = 89;
    pub const EAFNOSUPPORT: u32 = 124;
    pub const ETIMEDOUT: u32 = 145;
}

/// What a handler did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// Success with this value.
    Ok(u32),
    /// Failure with this errno.
    Err(u32),
    /// The thread blocked; its result is written when it wakes.
    Blocked,
    /// The thread or process ended; there is nothing to return to.
    NoReturn,
    /// Success with 0, then give the CPU to the next runnable thread.
    Yield,
}

/// The arguments of a call: `$a0..$a3` and the two stack words at `$sp+16`, `$sp+20`.
pub type Args = [u32; 6];

/// A system-call handler.
pub type Handler = fn(&mut Vm, &Args) -> Result<Ret, VmError>;

/// One implemented system call.
pub struct Syscall {
    /// The o32 number.
    pub number: u32,
    pub name: &'static str,
    pub handler: Handler,
}

macro_rules! table {
    ($($num:literal $name:ident => $handler:path,)*) => {
        /// Every implemented call, sorted by number.
        pub static TABLE: &[Syscall] = &[
            $(Syscall { number: $num, name: stringify!($name), handler: $handler },)*
        ];
    };
}

table! {
    4001 exit => thread::exit,
    4003 read => io::read,
    4004 write => io::write,
    4005 open => io::open,
    4006 close => io::close,
    4020 getpid => info::getpid,
    4024 getuid => info::getuid,
    4033 access => io::open,
    4037 kill => signal::kill,
    4039 mkdir => io::mkdir,
    4045 brk => mem::brk,
    4047 getgid => info::getuid,
    4049 geteuid => info::getuid,
    4050 getegid => info::getuid,
    4054 ioctl => io::ioctl,
    4055 fcntl => io::fcntl,
    4064 getppid => info::getppid,
    4076 getrlimit => info::getrlimit,
    4078 gettimeofday => time::gettimeofday,
    4085 readlink => io::readlink,
    4090 mmap => mem::mmap,
    4091 munmap => mem::munmap,
    4120 clone => thread::clone,
    4122 uname => info::uname,
    4125 mprotect => mem::mprotect,
    4162 sched_yield => thread::sched_yield,
    4166 nanosleep => time::nanosleep,
    4183 socket => io::socket,
    4192 prctl => info::prctl,
    4194 rt_sigaction => signal::rt_sigaction,
    4195 rt_sigprocmask => signal::rt_sigprocmask,
    4203 getcwd => io::getcwd,
    4206 sigaltstack => signal::sigaltstack,
    4210 mmap2 => mem::mmap2,
    4213 stat64 => io::open,
    4214 lstat64 => io::open,
    4215 fstat64 => io::fstat64,
    4217 mincore => mem::mincore,
    4218 madvise => mem::madvise,
    4220 fcntl64 => io::fcntl,
    4222 gettid => info::gettid,
    4236 tkill => signal::tkill,
    4238 futex => thread::futex_time32,
    4240 sched_getaffinity => info::sched_getaffinity,
    4246 exit_group => thread::exit_group,
    4249 epoll_ctl => io::epoll_ctl,
    4263 clock_gettime => time::clock_gettime32,
    4264 clock_getres => time::clock_getres32,
    4265 clock_nanosleep => time::clock_nanosleep32,
    4266 tgkill => signal::tgkill,
    4283 set_thread_area => thread::set_thread_area,
    4288 openat => io::openat,
    4289 mkdirat => io::mkdirat,
    4293 fstatat64 => io::fstatat64,
    4298 readlinkat => io::readlinkat,
    4300 faccessat => io::openat,
    4313 epoll_pwait => io::epoll_pwait,
    4325 eventfd2 => io::eventfd2,
    4326 epoll_create1 => io::epoll_create1,
    4328 pipe2 => io::pipe2,
    4338 prlimit64 => info::prlimit64,
    4353 getrandom => info::getrandom,
    4403 clock_gettime64 => time::clock_gettime64,
    4406 clock_getres_time64 => time::clock_getres64,
    4407 clock_nanosleep_time64 => time::clock_nanosleep64,
    4422 futex_time64 => thread::futex_time64,
    4439 faccessat2 => io::openat,
    4441 epoll_pwait2 => io::epoll_pwait2,
}

/// The table entry for an o32 number.
pub fn lookup(number: u32) -> Option<&'static Syscall> {
    TABLE
        .binary_search_by_key(&number, |s| s.number)
        .ok()
        .map(|i| &TABLE[i])
}

/// The name of an o32 call zkm does not implement, for error messages.
fn unimplemented_name(number: u32) -> &'static str {
    names::name(number).unwrap_or("not a Linux o32 system call")
}

/// An open file description.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum File {
    /// fd 0: the private input.
    Input,
    /// fd 1 and 2: the host's stdout and stderr.
    Stdout,
    Stderr,
    /// fd 3: the public output.
    Public,
    EventFd {
        count: u64,
        semaphore: bool,
    },
    PipeRead(u32),
    PipeWrite(u32),
    /// An epoll instance's registrations, keyed like Linux's: by descriptor number and
    /// the open file it referred to when registered.
    Epoll(BTreeMap<(u32, FileKey), Interest>),
}

/// Which open file a descriptor refers to, as epoll needs it: a duplicate (`F_DUPFD`)
/// refers to the same file as its original. Eventfds and epoll instances cannot be
/// duplicated, so each is its own (`Own`, found by its descriptor).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum FileKey {
    Input,
    Stdout,
    Stderr,
    Public,
    PipeRead(u32),
    PipeWrite(u32),
    Own,
}

impl File {
    pub fn key(&self) -> FileKey {
        match self {
            File::Input => FileKey::Input,
            File::Stdout => FileKey::Stdout,
            File::Stderr => FileKey::Stderr,
            File::Public => FileKey::Public,
            File::PipeRead(p) => FileKey::PipeRead(*p),
            File::PipeWrite(p) => FileKey::PipeWrite(*p),
            File::EventFd { .. } | File::Epoll(_) => FileKey::Own,
        }
    }
}

/// One `epoll_ctl` registration.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Interest {
    pub events: u32,
    pub data: u64,
    /// For edge-triggered interest: the readiness generation last reported.
    pub seen: u64,
}

/// A descriptor: the file and its per-descriptor flags.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Fd {
    pub file: File,
    /// `O_NONBLOCK` and the access mode, as `F_GETFL` reports them.
    pub flags: u32,
    pub cloexec: bool,
}

/// A pipe's buffer.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Pipe {
    pub buf: VecDeque<u8>,
    pub readers: u32,
    pub writers: u32,
}

/// `struct sigaction` as o32 defines it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SigAction {
    pub flags: u32,
    pub handler: u32,
    pub mask: [u32; 4],
}

/// Process-wide kernel state. A checkpoint ([`crate::vm::checkpoint`]) stores all of it but
/// the host's writers, which the resumed run is given.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Kernel {
    pub input: Vec<u8>,
    pub input_pos: usize,
    /// Bytes written to fd 3.
    pub public: Vec<u8>,
    #[serde(skip, default = "sink")]
    pub stdout: Box<dyn Write>,
    #[serde(skip, default = "sink")]
    pub stderr: Box<dyn Write>,
    pub fds: BTreeMap<u32, Fd>,
    pub pipes: BTreeMap<u32, Pipe>,
    next_pipe: u32,
    /// Bumped whenever an eventfd or pipe changes, for edge-triggered epoll.
    pub generation: u64,
    /// Signal actions, indexed by signal number (1..=128).
    pub sigactions: Vec<SigAction>,
    /// Signals sent to the process that every thread blocked, by number, with their
    /// `si_code`: the first thread to unblock one takes it.
    pub pending: BTreeMap<u32, i32>,
    /// Futex wait queues: address → tids in arrival order.
    pub futexes: BTreeMap<u32, VecDeque<u32>>,
    pub brk_start: u32,
    pub brk: u32,
    /// The pages `munmap` freed, as disjoint ranges `first → last`: a mapping without a
    /// hint goes elsewhere while it can.
    pub unmapped: BTreeMap<u32, u32>,
    pub next_tid: u32,
    /// `prlimit64` soft and hard limits by resource.
    pub rlimits: BTreeMap<u32, (u64, u64)>,
    /// State of the deterministic `getrandom` generator.
    pub random_state: u64,
}

/// A writer that drops what it is given: the host's writers until a resumed run sets them.
fn sink() -> Box<dyn Write> {
    Box::new(std::io::sink())
}

impl Kernel {
    pub fn new(input: Vec<u8>, stdout: Box<dyn Write>, stderr: Box<dyn Write>, brk: u32) -> Kernel {
        let mut fds = BTreeMap::new();
        let fd = |file, flags| Fd {
            file,
            flags,
            cloexec: false,
        };
        fds.insert(0, fd(File::Input, io::O_RDONLY));
        fds.insert(1, fd(File::Stdout, io::O_WRONLY));
        fds.insert(2, fd(File::Stderr, io::O_WRONLY));
        fds.insert(3, fd(File::Public, io::O_WRONLY));
        Kernel {
            input,
            input_pos: 0,
            public: Vec::new(),
            stdout,
            stderr,
            fds,
            pipes: BTreeMap::new(),
            next_pipe: 0,
            generation: 0,
            sigactions: vec![SigAction::default(); 129],
            pending: BTreeMap::new(),
            futexes: BTreeMap::new(),
            brk_start: brk,
            brk,
            unmapped: BTreeMap::new(),
            next_tid: crate::vm::PID + 1,
            rlimits: info::default_rlimits(),
            random_state: 0x7a6b_6d2d_7261_6e64,
        }
    }

    /// Installs `fd` at the lowest free descriptor number; `EMFILE` when every number
    /// below the soft `RLIMIT_NOFILE` is taken.
    pub fn alloc_fd(&mut self, fd: Fd) -> Result<u32, u32> {
        self.alloc_fd_from(0, fd)
    }

    /// Installs `fd` at the lowest free descriptor number not below `min` (`F_DUPFD`):
    /// `EINVAL` when `min` is not below the soft `RLIMIT_NOFILE`, `EMFILE` when no
    /// number in between is free, as on Linux.
    pub fn alloc_fd_from(&mut self, min: u32, fd: Fd) -> Result<u32, u32> {
        let limit = self.rlimits.get(&info::RLIMIT_NOFILE).map_or(0, |l| l.0);
        let limit = limit.min(u32::MAX as u64) as u32;
        if min >= limit {
            return Err(errno::EINVAL);
        }
        let n = (min..limit)
            .find(|n| !self.fds.contains_key(n))
            .ok_or(errno::EMFILE)?;
        self.fds.insert(n, fd);
        Ok(n)
    }

    /// A new pipe id.
    pub fn new_pipe(&mut self) -> u32 {
        self.next_pipe += 1;
        self.pipes.insert(
            self.next_pipe,
            Pipe {
                readers: 1,
                writers: 1,
                ..Pipe::default()
            },
        );
        self.next_pipe
    }
}

impl Vm {
    /// Handles the `SYSCALL` just executed by the running thread.
    pub(crate) fn syscall<T: Tracer>(&mut self, t: &mut T) -> Result<(), VmError> {
        // Step past the SYSCALL (which is no branch, so this is where it continues).
        self.syscall_pc = self.cpu.pc;
        let cur = self.current;
        self.threads[cur].syscall_resume = (self.cpu.pc, self.cpu.next_pc);
        self.cpu.pc = self.cpu.next_pc;
        self.cpu.next_pc = self.cpu.next_pc.wrapping_add(4);
        let number = self.cpu.gpr[2];
        let sp = self.cpu.gpr[29];
        let stack_arg =
            |vm: &mut Vm, off: u32| vm.mem.kernel_load32(sp.wrapping_add(off)).unwrap_or(0);
        let args: Args = [
            self.cpu.gpr[4],
            self.cpu.gpr[5],
            self.cpu.gpr[6],
            self.cpu.gpr[7],
            stack_arg(self, 16),
            stack_arg(self, 20),
        ];
        if T::ENABLED {
            t.syscall(&SyscallEvent {
                cycle: self.cycles - 1,
                tid: self.current_tid(),
                number,
                args,
            });
        }
        let Some(entry) = lookup(number) else {
            let pc = self.syscall_pc();
            return Err(VmError::UnknownSyscall {
                number,
                name: unimplemented_name(number),
                pc,
                symbol: self.program.describe_addr(pc),
            });
        };
        *self.stats.syscalls.entry(entry.name).or_default() += 1;
        let r = (entry.handler)(self, &args)?;
        set_result(&mut self.cpu, r);
        if T::ENABLED && self.current == cur && self.exit.is_none() {
            t.syscall_done(&self.cpu);
        }
        if r == Ret::Yield {
            self.schedule()?;
        }
        Ok(())
    }

    /// The address of the `SYSCALL` instruction being handled (in a delay slot too).
    pub(crate) fn syscall_pc(&self) -> u32 {
        self.syscall_pc
    }

    /// An [`VmError::UnsupportedSyscall`] for the call being handled.
    pub(crate) fn unsupported(&self, name: &'static str, detail: String) -> VmError {
        let pc = self.syscall_pc();
        VmError::UnsupportedSyscall {
            name,
            detail,
            pc,
            symbol: self.program.describe_addr(pc),
        }
    }

    /// Takes blocked thread `i` off the queue it waits in (a futex's), leaving its state.
    pub(crate) fn end_wait(&mut self, i: usize) {
        let crate::vm::sched::State::Blocked { wait, .. } = self.threads[i].state else {
            return;
        };
        if let crate::vm::sched::Wait::Futex(addr) = wait {
            let tid = self.threads[i].tid;
            if let Some(q) = self.kernel.futexes.get_mut(&addr) {
                q.retain(|&t| t != tid);
                if q.is_empty() {
                    self.kernel.futexes.remove(&addr);
                }
            }
        }
    }

    /// Ends the wait of blocked thread `i`, writing its syscall result.
    pub(crate) fn finish_wait(&mut self, i: usize, timed_out: bool) {
        let crate::vm::sched::State::Blocked { wait, .. } = self.threads[i].state else {
            return;
        };
        self.end_wait(i);
        let result = match wait {
            crate::vm::sched::Wait::Futex(_) => {
                if timed_out {
                    Ret::Err(errno::ETIMEDOUT)
                } else {
                    Ret::Ok(0)
                }
            }
            crate::vm::sched::Wait::Sleep { .. } => Ret::Ok(0),
            crate::vm::sched::Wait::Epoll { epfd, events, max } => {
                io::collect_epoll(self, epfd, events, max)
            }
        };
        let t = &mut self.threads[i];
        set_result(&mut t.cpu, result);
        t.state = crate::vm::sched::State::Runnable;
        self.log_registers(i, crate::vm::trace::RegisterChange::WaitDone);
    }

    /// Reads a guest word for a syscall; `Err(EFAULT)` when unmapped.
    pub(crate) fn user_u32(&mut self, addr: u32) -> Result<u32, u32> {
        self.mem.kernel_load32(addr).map_err(|_| errno::EFAULT)
    }

    /// Writes guest bytes for a syscall; `Err(EFAULT)` when unmapped.
    pub(crate) fn user_write(&mut self, addr: u32, data: &[u8]) -> Result<(), u32> {
        self.mem.write_bytes(addr, data).map_err(|_| errno::EFAULT)
    }

    /// Reads guest bytes for a syscall; `Err(EFAULT)` when unmapped.
    pub(crate) fn user_read(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, u32> {
        self.mem.read_bytes(addr, len).map_err(|_| errno::EFAULT)
    }
}

/// Applies the o32 convention for a call's result: the value or errno in `$v0`, and 0 or
/// 1 in `$a3`; a yield returns 0. A blocked or ended call leaves the registers alone.
pub(crate) fn set_result(cpu: &mut crate::vm::cpu::Cpu, r: Ret) {
    let (v0, a3) = match r {
        Ret::Ok(v) => (v, 0),
        Ret::Yield => (0, 0),
        Ret::Err(e) => (e, 1),
        Ret::Blocked | Ret::NoReturn => return,
    };
    cpu.gpr[2] = v0;
    cpu.gpr[7] = a3;
}

/// The big-endian word at byte `off` of `b`, which the caller read from the guest large
/// enough to hold it.
/// Linux's `access_ok` on MIPS32: `len` bytes from `addr` lie in user space, below 2^31
/// (checked before a call touches its buffer, whether or not it then does).
pub(crate) fn access_ok(addr: u32, len: u32) -> bool {
    (addr as u64) + (len as u64) < 1 << 31
}

pub(crate) fn be_u32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// The big-endian doubleword at byte `off` of `b` (see [`be_u32`]).
pub(crate) fn be_u64(b: &[u8], off: usize) -> u64 {
    (be_u32(b, off) as u64) << 32 | be_u32(b, off + 4) as u64
}

/// Turns a `Result<u32, errno>` into a [`Ret`].
pub(crate) fn ret(r: Result<u32, u32>) -> Result<Ret, VmError> {
    Ok(match r {
        Ok(v) => Ret::Ok(v),
        Err(e) => Ret::Err(e),
    })
}

/// A small VM and a direct way to call handlers, for the tests of every syscall module.
#[cfg(test)]
pub(crate) mod testing {
    use super::{lookup, Ret};
    use crate::elf::{Program, Segment};
    use crate::vm::{Config, Vm, VmError};

    /// Where the test program starts: `syscall; beq $0,$0,-2; nop`.
    pub const BASE: u32 = 0x0040_0000;
    /// A read-write data area of two pages.
    pub const DATA: u32 = BASE + 0x1000;

    /// The test program's code, zero-padded to `len` bytes.
    pub fn program_text(len: usize) -> Vec<u8> {
        let mut text: Vec<u8> = [0x0000_000cu32, 0x1000_fffe, 0]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        text.resize(len, 0);
        text
    }

    /// A VM over `segments`, starting at [`BASE`], with a small input and no output.
    pub fn vm_with(segments: Vec<Segment>) -> Vm {
        let program = Program {
            entry: BASE,
            segments,
            phdr_vaddr: None,
            phnum: 0,
            phentsize: 0,
            symbols: vec![],
            go: None,
        };
        let config = Config {
            argv: vec!["t".into()],
            env: vec![],
            input: b"input".to_vec(),
            max_cycles: None,
            stdout: Box::new(std::io::sink()),
            stderr: Box::new(std::io::sink()),
        };
        Vm::new(program, config).unwrap()
    }

    /// A VM with the test program and the data pages.
    pub fn vm() -> Vm {
        let segment = |vaddr, mem_size, flags, data| Segment {
            vaddr,
            mem_size,
            flags,
            data,
        };
        vm_with(vec![
            segment(BASE, 0x1000, 5, program_text(0x1000)),
            segment(DATA, 0x2000, 6, vec![]),
        ])
    }

    /// Calls the handler of o32 call `number` with `args`.
    pub fn call(vm: &mut Vm, number: u32, args: [u32; 6]) -> Result<Ret, VmError> {
        (lookup(number).expect("implemented").handler)(vm, &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in TABLE.windows(2) {
            assert!(
                w[0].number < w[1].number,
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
        assert_eq!(lookup(4004).map(|s| s.name), Some("write"));
        assert!(lookup(4002).is_none());
    }

    #[test]
    fn every_o32_call_has_its_linux_name() {
        for entry in TABLE {
            assert_eq!(
                names::name(entry.number),
                Some(entry.name),
                "{}",
                entry.number
            );
        }
        // (number, name) of calls zkm does not implement
        let cases: &[(u32, &str)] = &[
            (4002, "fork"),
            (4012, "chdir"),
            (4077, "getrusage"),
            (4116, "sysinfo"),
            (4188, "poll"),
            (4219, "getdents64"),
            (4435, "clone3"),
            (3999, "not a Linux o32 system call"),
            (4999, "not a Linux o32 system call"),
        ];
        for &(number, name) in cases {
            assert_eq!(unimplemented_name(number), name, "{number}");
        }
    }

    #[test]
    fn every_syscall_survives_arbitrary_arguments() {
        use crate::elf::Segment;
        use crate::vm::trace::NoTracer;
        use testing::{program_text, vm_with, BASE};
        // One read-write-execute segment: the program loops over its syscall, and
        // arguments may point into (and overwrite) the code.
        let new_vm = || {
            vm_with(vec![Segment {
                vaddr: BASE,
                mem_size: 0x3000,
                flags: 7,
                data: program_text(0x3000),
            }])
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = x as u32;
            match v % 4 {
                0 => v % 8,
                1 => BASE + 0x1000 + (v >> 8) % 0x1ff0,
                2 => v,
                _ => v % 0x10000,
            }
        };
        for entry in TABLE {
            let mut vm = new_vm();
            for _ in 0..300 {
                if vm.exit.is_some() || vm.cpu.pc != BASE {
                    vm = new_vm();
                }
                vm.cpu.gpr[2] = entry.number;
                for r in 4..8 {
                    vm.cpu.gpr[r] = next();
                }
                let until = vm.cycles + 1;
                match vm.run(until, &mut NoTracer) {
                    Ok(_) => {
                        // Run the branch back to the syscall (in whichever thread runs).
                        let until = vm.cycles + 2;
                        if vm.run(until, &mut NoTracer).is_err() {
                            vm = new_vm();
                        }
                    }
                    Err(_) => vm = new_vm(),
                }
            }
        }
    }
}
