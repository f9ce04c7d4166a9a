//! Checkpoints: a stopped run's whole state, to go on from later, in another process or
//! on another machine, as often as wanted.
//!
//! Continuations (docs/continuations.md) execute a run once, keep a checkpoint at each
//! shard boundary, and re-execute each shard from its own checkpoint to prove it. A run
//! resumed from a checkpoint makes exactly the instructions, system calls, output and
//! final state that the run it was taken from made after that point.
//!
//! A checkpoint holds everything [`Vm`] holds but the ELF, which [`Vm::resume`] is given
//! again (the checkpoint names its content id), the decoded instructions, which are
//! decoded again from memory as `Vm::new` decodes them (with the range a write made
//! stale still pending), and the host's writers for fds 1 and 2. It holds the
//! private input, so it is as private as the input.
//!
//! The bytes: the magic `ZKMCHKPT`, the format version ([`VERSION`], a big-endian `u32`),
//! the SHA-256 of the rest, and the postcard encoding of the state. The hash makes any
//! damage an error before the state is read. A resumed state is checked for what the VM
//! relies on (thread indices, page sizes, the signal table), so no checkpoint read back
//! makes it panic.

use std::collections::BTreeMap;
use std::io::Write;

use sha2::Digest;

use super::memory::{self, Memory};
use super::sched::{State, Thread};
use super::{Cpu, Exit, Stats, Vm};
use crate::elf::Program;
use crate::syscalls::Kernel;

/// The first bytes of every checkpoint.
pub const MAGIC: &[u8; 8] = b"ZKMCHKPT";
/// The checkpoint format this build writes and reads.
pub const VERSION: u32 = 1;

/// Why a checkpoint cannot be resumed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("not a zkm checkpoint (it does not start with ZKMCHKPT)")]
    NotACheckpoint,
    #[error(
        "checkpoint format {found}, but this zkm reads format {VERSION}: make the \
         checkpoint again with this zkm"
    )]
    Version { found: u32 },
    #[error("the checkpoint is damaged ({0}): make it again")]
    Damaged(String),
    #[error(
        "the checkpoint is of the program with content id {found}, not of this ELF \
         ({expected}): resume it with the ELF it was taken from"
    )]
    OtherProgram { found: String, expected: String },
}

/// The state, borrowed from a [`Vm`], in the order the checkpoint encodes it.
#[derive(serde::Serialize)]
struct StateRef<'a> {
    program: [u8; 32],
    cycles: u64,
    cpu: &'a Cpu,
    threads: &'a [Thread],
    current: usize,
    kernel: &'a Kernel,
    memory: memory::ImageRef<'a>,
    syscalls: Vec<(&'a str, u64)>,
    threads_created: u32,
    signals_sent: u64,
    signals_delivered: u64,
    slice_end: u64,
    idle_ns: u64,
    wait_seq: u64,
    syscall_pc: u32,
    sig_check: bool,
    fresh_frame: bool,
    exit: Option<Exit>,
    max_cycles: u64,
    code_dirty: Option<(u32, u64)>,
}

/// [`StateRef`], owned, as a checkpoint is read back. (It encodes as [`StateRef`] does,
/// which tests use to make checkpoints of states the VM never makes.)
#[derive(serde::Serialize, serde::Deserialize)]
struct StateOwned {
    program: [u8; 32],
    cycles: u64,
    cpu: Cpu,
    threads: Vec<Thread>,
    current: usize,
    kernel: Kernel,
    memory: memory::Image,
    syscalls: Vec<(String, u64)>,
    threads_created: u32,
    signals_sent: u64,
    signals_delivered: u64,
    slice_end: u64,
    idle_ns: u64,
    wait_seq: u64,
    syscall_pc: u32,
    sig_check: bool,
    fresh_frame: bool,
    exit: Option<Exit>,
    max_cycles: u64,
    code_dirty: Option<(u32, u64)>,
}

const HEADER: usize = MAGIC.len() + 4 + 32;

impl Vm {
    /// The run's whole state, as the bytes [`Vm::resume`] takes (see the module docs).
    /// Taken between two calls of [`Vm::run`]; taking it changes nothing.
    pub fn checkpoint(&self) -> Vec<u8> {
        let state = StateRef {
            program: self.program.content_id().0,
            cycles: self.cycles,
            cpu: &self.cpu,
            threads: &self.threads,
            current: self.current,
            kernel: &self.kernel,
            memory: self.mem.image(),
            syscalls: self.stats.syscalls.iter().map(|(&k, &v)| (k, v)).collect(),
            threads_created: self.stats.threads,
            signals_sent: self.stats.signals_sent,
            signals_delivered: self.stats.signals_delivered,
            slice_end: self.slice_end,
            idle_ns: self.idle_ns,
            wait_seq: self.wait_seq,
            syscall_pc: self.syscall_pc,
            sig_check: self.sig_check,
            fresh_frame: self.fresh_frame,
            exit: self.exit,
            max_cycles: self.max_cycles,
            code_dirty: self.mem.code_dirty,
        };
        // Encoding into a `Vec` fails only for types postcard cannot encode, and this
        // state has none.
        let body = postcard::to_stdvec(&state).expect("a VM state always encodes");
        let mut out = Vec::with_capacity(HEADER + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&sha2::Sha256::digest(&body));
        out.extend_from_slice(&body);
        out
    }

    /// The VM in the state `checkpoint` holds, for `program` (the ELF it was taken from),
    /// writing the guest's fds 1 and 2 to `stdout` and `stderr` from now on.
    pub fn resume(
        program: Program,
        checkpoint: &[u8],
        stdout: Box<dyn Write>,
        stderr: Box<dyn Write>,
    ) -> Result<Vm, CheckpointError> {
        let damaged = |m: &str| CheckpointError::Damaged(m.to_string());
        if checkpoint.len() < MAGIC.len() || &checkpoint[..MAGIC.len()] != MAGIC {
            return Err(CheckpointError::NotACheckpoint);
        }
        let Some(version) = checkpoint.get(8..12) else {
            return Err(damaged("it ends in its header"));
        };
        let found = u32::from_be_bytes(version.try_into().expect("four bytes"));
        if found != VERSION {
            return Err(CheckpointError::Version { found });
        }
        let Some(hash) = checkpoint.get(12..HEADER) else {
            return Err(damaged("it ends in its header"));
        };
        let body = &checkpoint[HEADER..];
        if sha2::Sha256::digest(body).as_slice() != hash {
            return Err(damaged("its contents do not match its hash"));
        }
        let s: StateOwned = postcard::from_bytes(body)
            .map_err(|e| CheckpointError::Damaged(format!("it does not decode: {e}")))?;
        let expected = program.content_id();
        if s.program != expected.0 {
            return Err(CheckpointError::OtherProgram {
                found: hex::encode(s.program),
                expected: expected.to_string(),
            });
        }
        check_state(&s).map_err(CheckpointError::Damaged)?;
        let mut mem = Memory::from_image(s.memory).map_err(CheckpointError::Damaged)?;
        let (text_base, text) = super::decode_text(&program, &mut mem)
            .map_err(|e| CheckpointError::Damaged(e.to_string()))?;
        mem.code_dirty = s.code_dirty;
        let mut syscalls = BTreeMap::new();
        for (name, n) in s.syscalls {
            let Some(&(_, name)) = crate::syscalls::names::NAMES.iter().find(|c| c.1 == name)
            else {
                return Err(CheckpointError::Damaged(format!(
                    "it counts calls of {name}, which this zkm does not know"
                )));
            };
            syscalls.insert(name, n);
        }
        let mut kernel = s.kernel;
        kernel.stdout = stdout;
        kernel.stderr = stderr;
        Ok(Vm {
            cpu: s.cpu,
            mem,
            cycles: s.cycles,
            threads: s.threads,
            current: s.current,
            kernel,
            program,
            stats: Stats {
                syscalls,
                threads: s.threads_created,
                signals_sent: s.signals_sent,
                signals_delivered: s.signals_delivered,
            },
            text_base,
            text,
            slice_end: s.slice_end,
            idle_ns: s.idle_ns,
            wait_seq: s.wait_seq,
            syscall_pc: s.syscall_pc,
            sig_check: s.sig_check,
            fresh_frame: s.fresh_frame,
            exit: s.exit,
            max_cycles: s.max_cycles,
        })
    }
}

/// What the VM relies on in a state it did not make itself.
fn check_state(s: &StateOwned) -> Result<(), String> {
    if s.current >= s.threads.len() {
        return Err(format!(
            "its running thread is number {} of {}",
            s.current,
            s.threads.len()
        ));
    }
    for (i, t) in s.threads.iter().enumerate() {
        if t.state == State::Running && i != s.current {
            return Err(format!(
                "thread {} runs but is not the running thread",
                t.tid
            ));
        }
        if s.threads[..i].iter().any(|u| u.tid == t.tid) {
            return Err(format!("thread id {} is given twice", t.tid));
        }
    }
    let k = &s.kernel;
    // One action per signal, 1 to 128, and an unused entry 0, as `Kernel::new` makes it.
    if k.sigactions.len() != 129 {
        return Err(format!(
            "its signal table has {} entries",
            k.sigactions.len()
        ));
    }
    if k.input_pos > k.input.len() {
        return Err("its input cursor is past the input".into());
    }
    if k.brk < k.brk_start {
        return Err("its program break is below its start".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::vm::trace::NoTracer;
    use crate::vm::{Config, Report};

    /// A writer whose bytes the test reads afterwards.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn program(name: &str) -> Program {
        let path = format!("{}/testdata/elf/{name}.elf", env!("CARGO_MANIFEST_DIR"));
        Program::load(std::path::Path::new(&path)).unwrap()
    }

    fn start(name: &str, out: &Shared) -> Vm {
        let config = Config {
            argv: vec![name.to_string()],
            env: Vec::new(),
            input: Vec::new(),
            max_cycles: None,
            stdout: Box::new(out.clone()),
            stderr: Box::new(std::io::sink()),
        };
        Vm::new(program(name), config).unwrap()
    }

    /// The report of a run that ended with `exit`, less its host timings.
    fn report(vm: &Vm, exit: Exit) -> Report {
        Report {
            wall_seconds: 0.0,
            instructions_per_second: 0.0,
            ..vm.report(exit, 1.0)
        }
    }

    fn whole(name: &str) -> (Report, Vec<u8>) {
        let out = Shared::default();
        let mut vm = start(name, &out);
        let exit = vm.run_to_end().unwrap();
        let bytes = out.0.borrow().clone();
        (report(&vm, exit), bytes)
    }

    /// Runs `name` in shards of `shard` instructions, each resumed in a fresh VM from the
    /// checkpoint the last one ended with: the flow continuations prove.
    fn sharded(name: &str, shard: u64) -> (Report, Vec<u8>, usize) {
        let out = Shared::default();
        let mut vm = start(name, &out);
        let mut shards = 0;
        loop {
            shards += 1;
            let until = vm.cycles + shard;
            if let Some(exit) = vm.run(until, &mut NoTracer).unwrap() {
                let bytes = out.0.borrow().clone();
                return (report(&vm, exit), bytes, shards);
            }
            let ck = vm.checkpoint();
            vm = Vm::resume(
                program(name),
                &ck,
                Box::new(out.clone()),
                Box::new(std::io::sink()),
            )
            .unwrap();
        }
    }

    #[test]
    fn a_run_resumed_at_every_boundary_ends_as_the_whole_run() {
        // Threads, futexes and the GC (workers); sleeps, epoll and eventfds (timers);
        // signals between threads (signotify); a nil dereference through Go's handler
        // (recovered); fmt to stdout (hello).
        for (name, shard) in [
            ("hello", 100_000),
            ("workers", 700_000),
            ("timers", 77_777),
            ("signotify", 50_001),
            ("recovered", 123_457),
        ] {
            let (want, want_out) = whole(name);
            let (got, got_out, shards) = sharded(name, shard);
            assert!(shards > 4, "{name}: {shards} shards");
            assert_eq!(got, want, "{name}");
            assert_eq!(got_out, want_out, "{name}: stdout");
        }
    }

    #[test]
    fn checkpoints_are_deterministic_and_round_trip_exactly() {
        let sink = Shared::default();
        let mut a = start("timers", &sink);
        let mut b = start("timers", &sink);
        for until in [1, 333_333, 600_000] {
            assert!(a.run(until, &mut NoTracer).unwrap().is_none());
            assert!(b.run(until, &mut NoTracer).unwrap().is_none());
            let ck = a.checkpoint();
            assert!(ck == b.checkpoint(), "two runs differ at {until}");
            let back = Vm::resume(
                program("timers"),
                &ck,
                Box::new(sink.clone()),
                Box::new(sink.clone()),
            )
            .unwrap();
            assert!(
                back.checkpoint() == ck,
                "resumed at {until}, the state differs"
            );
            assert_eq!(back.state_hash(), a.state_hash());
        }
    }

    #[test]
    fn a_damaged_checkpoint_or_another_program_is_refused() {
        let sink = || Box::new(std::io::sink()) as Box<dyn Write>;
        let mut vm = start("exitcode", &Shared::default());
        vm.run(200_000, &mut NoTracer).unwrap();
        let ck = vm.checkpoint();
        let resume = |bytes: &[u8]| Vm::resume(program("exitcode"), bytes, sink(), sink()).err();
        assert_eq!(resume(b"ZKMPROOF"), Some(CheckpointError::NotACheckpoint));
        assert_eq!(resume(&[]), Some(CheckpointError::NotACheckpoint));
        let mut other = ck.clone();
        other[11] = 9;
        assert_eq!(resume(&other), Some(CheckpointError::Version { found: 9 }));
        for cut in [9, 12, 30, HEADER, ck.len() / 2, ck.len() - 1] {
            assert!(
                matches!(resume(&ck[..cut]), Some(CheckpointError::Damaged(_))),
                "cut at {cut}"
            );
        }
        for at in [HEADER - 1, HEADER, HEADER + 40, ck.len() - 1] {
            let mut bad = ck.clone();
            bad[at] ^= 0x20;
            assert!(
                matches!(resume(&bad), Some(CheckpointError::Damaged(_))),
                "byte {at}"
            );
        }
        let got = Vm::resume(program("hello"), &ck, sink(), sink()).err();
        assert!(
            matches!(got, Some(CheckpointError::OtherProgram { .. })),
            "{got:?}"
        );
        let msg = got.unwrap().to_string();
        assert!(
            msg.contains("resume it with the ELF it was taken from"),
            "{msg}"
        );
    }

    #[test]
    fn a_checkpoint_whose_state_the_vm_cannot_run_is_refused() {
        // Well-formed encodings of states the VM never makes: each is refused by name
        // before the VM could index past a table.
        let sink = || Box::new(std::io::sink()) as Box<dyn Write>;
        let mut vm = start("exitcode", &Shared::default());
        vm.run(200_000, &mut NoTracer).unwrap();
        let reencode = |edit: &dyn Fn(&mut StateOwned)| {
            let ck = vm.checkpoint();
            let mut s: StateOwned = postcard::from_bytes(&ck[HEADER..]).unwrap();
            edit(&mut s);
            let body = postcard::to_stdvec(&s).unwrap();
            let mut out = ck[..12].to_vec();
            out.extend_from_slice(&sha2::Sha256::digest(&body));
            out.extend_from_slice(&body);
            Vm::resume(program("exitcode"), &out, sink(), sink()).err()
        };
        type Edit<'a> = &'a dyn Fn(&mut StateOwned);
        let cases: [(&str, Edit); 5] = [
            ("running thread is number", &|s| s.current = 7),
            ("given twice", &|s| {
                let mut t = s.threads[0].clone();
                t.state = State::Runnable;
                s.threads.push(t)
            }),
            ("signal table", &|s| s.kernel.sigactions.truncate(3)),
            ("input cursor", &|s| s.kernel.input_pos = 1),
            ("does not know", &|s| {
                s.syscalls.push(("frobnicate".into(), 1))
            }),
        ];
        for (want, edit) in cases {
            match reencode(edit) {
                Some(CheckpointError::Damaged(m)) => assert!(m.contains(want), "{want}: {m}"),
                other => panic!("{want}: {other:?}"),
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_resume_and_never_panic() {
        let sink = || Box::new(std::io::sink()) as Box<dyn Write>;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..2000 {
            let len = (next() % 200) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if i % 2 == 0 && len >= 12 {
                // Past the magic and the version, to reach the hash and the decoder.
                bytes[..8].copy_from_slice(MAGIC);
                bytes[8..12].copy_from_slice(&VERSION.to_be_bytes());
            }
            assert!(Vm::resume(program("exitcode"), &bytes, sink(), sink()).is_err());
        }
    }
}
