//! The execution record explains every run: replaying it on shadow state
//! (`zkm::vm::replay::Replay`) reproduces every register value before every instruction,
//! every loaded word and every byte the kernel reads, for every testdata guest. And the
//! replay notices when part of the record is missing.

mod common;

use zkm::vm::cpu::Cpu;
use zkm::vm::replay::{Replay, ReplayStats};
use zkm::vm::trace::{
    KernelEvent, MemEvent, SignalEvent, SigreturnEvent, StepEvent, SyscallEvent, Tracer,
};
use zkm::vm::{Config, Vm};

fn vm_of(name: &str) -> Vm {
    let bytes = std::fs::read(common::testdata(&format!("elf/{name}.elf"))).unwrap();
    let program = zkm::elf::Program::parse(&bytes).unwrap();
    let mut argv = vec![name.to_string()];
    argv.extend(common::args_of(name));
    let config = Config {
        argv,
        env: vec![],
        input: common::input_of(name),
        max_cycles: None,
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::sink()),
    };
    Vm::new(program, config).unwrap()
}

/// Runs guest `name` with `t`; its exit code.
fn run_with<T: Tracer>(vm: &mut Vm, t: &mut T) -> i32 {
    vm.run(u64::MAX, t).unwrap().expect("the guest exits").code
}

fn replay(name: &str) -> Result<ReplayStats, String> {
    let mut vm = vm_of(name);
    let mut r = Replay::new(&vm);
    let code = run_with(&mut vm, &mut r);
    assert_eq!(code, common::Outcome::expected(name).exit, "{name}");
    r.finish()
}

/// The guests short enough for CI (the rest: `ZKM_RECORD_ALL=1`).
const GUESTS: [&str; 11] = [
    "hello",
    "exitcode",
    "panic",
    "nilpanic",
    "recovered",
    "argsenv",
    "timers",
    "sigmask",
    "signotify",
    "sigignore",
    "threadexit",
];

#[test]
fn the_record_explains_every_guest() {
    let all: Vec<String> = if std::env::var_os("ZKM_RECORD_ALL").is_some() {
        std::fs::read_dir(common::testdata("elf"))
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                p.file_stem().unwrap().to_string_lossy().into_owned()
            })
            .collect()
    } else {
        GUESTS.iter().map(|s| s.to_string()).collect()
    };
    for name in &all {
        let stats = replay(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!("{name}: {stats:?}");
        assert!(stats.steps > 10_000 && stats.loads > 0 && stats.kernel_reads > 0);
        assert!(
            stats.kernel_writes > 0 && stats.zeroed > 0,
            "{name}: {stats:?}"
        );
        // The Go runtime starts threads (sysmon at least) and wakes them from futexes.
        assert!(
            stats.threads >= 2 && stats.register_changes >= 2,
            "{name}: {stats:?}"
        );
    }
}

#[test]
fn signals_are_in_the_record() {
    let stats = replay("nilpanic").unwrap();
    assert!(stats.signals >= 1, "{stats:?}");
    let stats = replay("signotify").unwrap();
    assert!(stats.signals >= 1 && stats.sigreturns >= 1, "{stats:?}");
}

/// A replay told the kernel's events as `edit` changes them (`None`: not at all).
struct Edited<F> {
    inner: Replay,
    edit: F,
}

impl<F: FnMut(&KernelEvent) -> Option<KernelEvent>> Tracer for Edited<F> {
    fn step(&mut self, ev: &StepEvent, before: &Cpu) {
        self.inner.step(ev, before)
    }
    fn retired(&mut self, after: &Cpu) {
        self.inner.retired(after)
    }
    fn syscall_done(&mut self, after: &Cpu) {
        self.inner.syscall_done(after)
    }
    fn mem(&mut self, ev: &MemEvent) {
        self.inner.mem(ev)
    }
    fn syscall(&mut self, ev: &SyscallEvent) {
        self.inner.syscall(ev)
    }
    fn signal(&mut self, ev: &SignalEvent) {
        self.inner.signal(ev)
    }
    fn sigreturn(&mut self, ev: &SigreturnEvent) {
        self.inner.sigreturn(ev)
    }
    fn kernel(&mut self, cycle: u64, ev: &KernelEvent) {
        if let Some(ev) = (self.edit)(ev) {
            self.inner.kernel(cycle, &ev)
        }
    }
}

fn edited(
    name: &str,
    edit: impl FnMut(&KernelEvent) -> Option<KernelEvent>,
) -> Result<ReplayStats, String> {
    let mut vm = vm_of(name);
    let mut t = Edited {
        inner: Replay::new(&vm),
        edit,
    };
    run_with(&mut vm, &mut t);
    t.inner.finish()
}

/// A replay that is not told the kernel events `forget` picks.
fn forgetting(name: &str, forget: fn(&KernelEvent) -> bool) -> Result<ReplayStats, String> {
    edited(name, |e| (!forget(e)).then(|| e.clone()))
}

/// A replay told the kernel events as `f` changes them.
fn changing(name: &str, f: fn(&mut KernelEvent)) -> Result<ReplayStats, String> {
    edited(name, |e| {
        let mut e = e.clone();
        f(&mut e);
        Some(e)
    })
}

#[test]
fn a_record_without_the_kernels_writes_does_not_explain_the_run() {
    let err = forgetting("hello", |e| matches!(e, KernelEvent::Write { .. })).unwrap_err();
    assert!(err.contains("the record says"), "{err}");
}

#[test]
fn a_record_without_new_threads_or_wakeups_does_not_explain_the_run() {
    let err = forgetting("hello", |e| matches!(e, KernelEvent::Registers { .. })).unwrap_err();
    assert!(
        err.contains("never created it") || err.contains("the record says"),
        "{err}"
    );
}

#[test]
fn a_record_with_a_forged_clone_child_is_refused() {
    // The replay checks the child against Linux's rule, not just the event's word.
    let err = changing("hello", |ev| {
        if let KernelEvent::Registers {
            cpu,
            why: zkm::vm::trace::RegisterChange::Clone { .. },
            ..
        } = ev
        {
            cpu.gpr[16] ^= 1; // $s0
        }
    })
    .unwrap_err();
    assert!(err.contains("thread 1001") && err.contains("$16"), "{err}");
}

#[test]
fn a_record_with_a_forged_wakeup_is_refused() {
    // A wait that ends may set only `$v0` and `$a3`.
    let err = changing("hello", |ev| {
        if let KernelEvent::Registers {
            cpu,
            why: zkm::vm::trace::RegisterChange::WaitDone,
            ..
        } = ev
        {
            cpu.gpr[16] ^= 1;
        }
    })
    .unwrap_err();
    assert!(err.contains("$16"), "{err}");
}
