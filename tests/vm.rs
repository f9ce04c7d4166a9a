//! `zkm run`: the checked-in guests match qemu-mips byte for byte, runs are deterministic,
//! bad input fails with the documented exit codes, and Go's own standard-library test
//! binaries pass.

mod common;

use std::path::Path;

use common::*;

/// Runs `elf` under `zkm run` with `input`, capturing fd 3 and the report.
fn run_zkm(
    elf: &Path,
    input: &[u8],
    args: &[String],
    extra: &[&str],
) -> (Outcome, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let (inp, public, report) = (
        dir.path().join("in"),
        dir.path().join("public"),
        dir.path().join("report.json"),
    );
    std::fs::write(&inp, input).unwrap();
    let out = zkm()
        .arg("run")
        .arg(elf)
        .arg("--input")
        .arg(&inp)
        .arg("--public-out")
        .arg(&public)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .arg("--")
        .args(args)
        .output()
        .unwrap();
    let outcome = Outcome {
        stdout: out.stdout,
        stderr: out.stderr,
        public: std::fs::read(&public).unwrap_or_default(),
        exit: out.status.code().unwrap_or(-1),
    };
    let report = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    (outcome, report)
}

fn show(o: &Outcome) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        o.exit,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_testdata_guest_matches_qemu_byte_for_byte() {
    let names = guests();
    assert!(names.len() >= 12, "{names:?}");
    for name in names {
        let elf = testdata(&format!("elf/{name}.elf"));
        let (got, report) = run_zkm(&elf, &input_of(&name), &args_of(&name), &[]);
        let want = Outcome::expected(&name);
        assert!(
            got == want,
            "{name}: zkm run differs from qemu-mips\n{}\n=== qemu\n{}",
            show(&got),
            show(&want)
        );
        assert_eq!(report["exit_code"], want.exit, "{name}");
        assert_eq!(report["public_output"], hex::encode(&want.public), "{name}");
    }
}

#[test]
fn gc_and_threads_really_run() {
    let (_, report) = run_zkm(&testdata("elf/gcstress.elf"), &[], &[], &[]);
    assert!(report["threads"].as_u64().unwrap() >= 3, "{report}");
    assert!(report["syscalls"]["clone"].as_u64().unwrap() >= 2);
    // Go 1.27 picks futex (32-bit time) because the VM reports kernel 5.0.
    assert!(report["syscalls"]["futex"].as_u64().unwrap() > 0);
    assert!(report["pages_touched"].as_u64().unwrap() > 100);
    let (_, report) = run_zkm(&testdata("elf/nilpanic.elf"), &[], &[], &[]);
    assert_eq!(
        report["signals_delivered"], 1,
        "the SIGSEGV reached Go's handler"
    );
}

#[test]
fn go_names_its_mappings_once_and_stops_at_einval() {
    // decoratemappings (on for modules of go 1.25 or later): Go's runtime calls
    // prctl(PR_SET_VMA) for its first mapping, gets EINVAL as from Linux 5.0 and
    // qemu-user, and names no other of its 13 mappings.
    let (_, report) = run_zkm(&testdata("elf/decorated.elf"), &[], &[], &[]);
    assert_eq!(report["syscalls"]["prctl"], 1, "{report}");
    assert!(report["syscalls"]["mmap"].as_u64().unwrap() > 1, "{report}");
}

#[test]
fn sent_signals_are_delivered_and_counted() {
    // (guest, signals sent, at least this many delivered to a handler)
    let cases: &[(&str, u64, u64)] = &[
        ("signotify", 3, 3),
        ("sigmask", 1, 1),
        // Ignored, then notified, then the reset one kills: Go's handler re-raises it.
        ("sigignore", 5, 3),
    ];
    for &(name, sent, delivered) in cases {
        let (_, report) = run_zkm(&testdata(&format!("elf/{name}.elf")), &[], &[], &[]);
        assert_eq!(report["signals_sent"], sent, "{name}");
        assert_eq!(report["signals_delivered"], delivered, "{name}");
    }
    // sysmon preempts the spinner with SIGURG (tgkill), which Go's handler turns into a
    // call to asyncPreempt.
    let (_, report) = run_zkm(&testdata("elf/spinpreempt.elf"), &[], &[], &[]);
    assert!(
        report["syscalls"]["tgkill"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert!(
        report["signals_delivered"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert!(
        report["syscalls"]["rt_sigreturn"].as_u64().unwrap() >= 1,
        "{report}"
    );
}

#[test]
fn two_runs_give_identical_reports_apart_from_timings() {
    // spinpreempt and timerspin: asynchronous preemption delivers at the same instruction
    // every run.
    for name in [
        "workers",
        "timers",
        "sha256chain",
        "spinpreempt",
        "timerspin",
        "signotify",
    ] {
        let elf = testdata(&format!("elf/{name}.elf"));
        let strip = |mut r: serde_json::Value| {
            let o = r.as_object_mut().unwrap();
            o.remove("wall_seconds");
            o.remove("instructions_per_second");
            r
        };
        let (a, ra) = run_zkm(&elf, &input_of(name), &[], &[]);
        let (b, rb) = run_zkm(&elf, &input_of(name), &[], &[]);
        assert_eq!(a, b, "{name}");
        assert!(ra["cycles"].as_u64().unwrap() > 0);
        assert_eq!(ra["state_hash"].as_str().unwrap().len(), 64);
        assert_eq!(strip(ra), strip(rb), "{name}");
    }
}

#[test]
fn arguments_and_environment_reach_the_guest() {
    let elf = testdata("elf/argsenv.elf");
    let (o, _) = run_zkm(
        &elf,
        &[],
        &["x".into(), "y z".into()],
        &["--env", "ZKM_TEST=hi", "--env", "B=2"],
    );
    assert_eq!(o.exit, 0, "{}", show(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "args: 2 x,y z\nenv: 2 hi\npid positive: true\n"
    );
    assert_eq!(o.public, b"x y z");
}

// ---------------------------------------------------------------------------------------
// Hand-made ELFs for the failure modes.

/// A static big-endian MIPS32 ELF with `code` loaded read-write-execute at 0x400054.
fn tiny_elf(code: &[u32]) -> Vec<u8> {
    let mut f = Vec::new();
    let text: Vec<u8> = code.iter().flat_map(|w| w.to_be_bytes()).collect();
    let total = 52 + 32 + text.len() as u32;
    f.extend(b"\x7fELF\x01\x02\x01\0\0\0\0\0\0\0\0\0");
    f.extend(2u16.to_be_bytes()); // ET_EXEC
    f.extend(8u16.to_be_bytes()); // EM_MIPS
    f.extend(1u32.to_be_bytes());
    f.extend(0x0040_0054u32.to_be_bytes()); // entry
    f.extend(52u32.to_be_bytes()); // phoff
    f.extend(0u32.to_be_bytes()); // shoff
    f.extend(0x7000_1000u32.to_be_bytes()); // flags: MIPS32r2
    for v in [52u16, 32, 1, 40, 0, 0] {
        f.extend(v.to_be_bytes());
    }
    for v in [
        1u32,
        0,
        0x0040_0000,
        0x0040_0000,
        total,
        total + 0x1000,
        7,
        0x1000,
    ] {
        f.extend(v.to_be_bytes());
    }
    f.extend(text);
    f
}

const SYSCALL: u32 = 0x0000_000c;
const NOP: u32 = 0;
fn li(reg: u32, v: u16) -> u32 {
    (9 << 26) | (reg << 16) | v as u32 // addiu reg, $0, v
}

fn run_tiny(code: &[u32], extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("tiny.elf");
    std::fs::write(&elf, tiny_elf(code)).unwrap();
    zkm().arg("run").arg(&elf).args(extra).assert()
}

#[test]
fn failures_have_distinct_exit_codes_and_clear_messages() {
    use predicates::str::contains;
    let lui_t0 = 0x3c08_0040; // lui $8, 0x40
                              // (scenario, code, extra arguments, exit code, message on stderr)
    type Case = (&'static str, Vec<u32>, Vec<&'static str>, i32, &'static str);
    let cases: Vec<Case> = vec![
        (
            "exit_group passes the code",
            vec![li(4, 42), li(2, 4246), SYSCALL],
            vec![],
            42,
            "",
        ),
        (
            "reserved instruction",
            vec![0xffff_ffff],
            vec![],
            100,
            "illegal instruction 0xffffffff at pc 0x00400054",
        ),
        (
            "unknown syscall",
            vec![li(2, 4002), SYSCALL],
            vec![],
            101,
            "unknown system call 4002 (fork)",
        ),
        (
            "jump to unmapped memory",
            vec![0x3c19_1000, 0x0320_0008, NOP],
            vec![],
            102,
            "jump to non-executable or unmapped memory at address 0x10000000",
        ),
        (
            "misaligned load",
            vec![lui_t0, 0x8d09_0001],
            vec![],
            102,
            "misaligned access at address 0x00400001",
        ),
        (
            "store to unmapped memory",
            vec![0xac00_0010],
            vec![],
            102,
            "unmapped or protected memory at address 0x00000010",
        ),
        (
            "cycle limit",
            vec![0x1000_ffff, NOP],
            vec!["--max-cycles", "1000"],
            103,
            "cycle limit of 1000 instructions",
        ),
        // futex(FUTEX_WAIT_PRIVATE) on the ELF magic with the matching value, no timeout
        (
            "deadlock",
            vec![
                0x3c04_0040,
                0x8c86_0000,
                li(5, 128),
                li(7, 0),
                li(2, 4238),
                SYSCALL,
            ],
            vec![],
            104,
            "deadlock",
        ),
        (
            "missing input file",
            vec![li(2, 4246), SYSCALL],
            vec!["--input", "/nonexistent/in.bin"],
            66,
            "cannot read the --input file /nonexistent/in.bin",
        ),
        // kill(getpid(), SIGTERM) with the default action: killed, 128 + 15
        (
            "fatal signal",
            vec![
                li(2, 4020),
                SYSCALL,
                0x0040_2025,
                li(5, 15),
                li(2, 4037),
                SYSCALL,
            ],
            vec![],
            143,
            "",
        ),
    ];
    for (name, code, extra, exit, msg) in cases {
        let a = run_tiny(&code, &extra).code(exit);
        if !msg.is_empty() {
            a.stderr(contains(msg));
        }
        eprintln!("ok: {name}");
    }
}

#[test]
fn bad_elf_files_are_rejected_with_exit_65() {
    use predicates::str::contains;
    let good = tiny_elf(&[li(2, 4246), SYSCALL]);
    let mut wrong_machine = good.clone();
    wrong_machine[19] = 62; // EM_X86_64
    let mut little = good.clone();
    little[5] = 1;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", good[..60].to_vec(), "truncated"),
        ("not an ELF", b"#!/bin/sh\necho hi\n".to_vec(), "not an ELF"),
        ("wrong machine", wrong_machine, "x86-64"),
        ("little-endian", little, "little-endian"),
        (
            "segment cut short",
            good[..good.len() - 4].to_vec(),
            "truncated",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, msg) in cases {
        let elf = dir.path().join("bad.elf");
        std::fs::write(&elf, bytes).unwrap();
        zkm()
            .arg("run")
            .arg(&elf)
            .assert()
            .code(65)
            .stderr(contains(msg));
        eprintln!("ok: {name}");
    }
    zkm().args(["run", "/nonexistent.elf"]).assert().code(66);
}

// ---------------------------------------------------------------------------------------
// Programs that need Go and qemu-mips.

fn go_build_mips(args: &[&str], dir: &Path) -> bool {
    std::process::Command::new("go")
        .args(args)
        .current_dir(dir)
        .env("GOOS", "linux")
        .env("GOARCH", "mips")
        .env("GOMIPS", "softfloat")
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `go test -c` for `pkg`, run under `zkm run` with `-test.short` and `flags`: must PASS.
fn stdlib_tests_pass(pkg: &str, flags: &[&str]) {
    stdlib_tests_pass_tags(pkg, "", flags)
}

fn stdlib_tests_pass_tags(pkg: &str, tags: &str, flags: &[&str]) {
    if !have_go() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("pkg.test");
    assert!(
        go_build_mips(
            &[
                "test",
                "-c",
                "-trimpath",
                "-tags",
                tags,
                "-o",
                bin.to_str().unwrap(),
                pkg
            ],
            dir.path()
        ),
        "go test -c {pkg}"
    );
    let out = zkm()
        .arg("run")
        .arg(&bin)
        .args(["--", "-test.short"])
        .args(flags)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().last() == Some("PASS"),
        "{pkg}: exit {:?}\n{stdout}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn go_stdlib_tests_pass_strconv() {
    // On older releases (Go 1.21 for one) TestFp reads testdata/testfp.txt from disk,
    // and the VM has no file system.
    stdlib_tests_pass("strconv", &["-test.skip", "^TestFp$"]);
}

#[test]
fn go_stdlib_tests_pass_sort() {
    stdlib_tests_pass("sort", &[]);
}

#[test]
fn go_stdlib_tests_pass_crypto_sha256() {
    stdlib_tests_pass("crypto/sha256", &[]);
}

#[test]
fn go_stdlib_tests_pass_encoding_json() {
    // TestHTTPDecoding needs a TCP listener; the VM has no network.
    stdlib_tests_pass("encoding/json", &["-test.skip", "TestHTTPDecoding"]);
}

#[test]
fn go_stdlib_tests_pass_math_big() {
    // A subset: the whole package takes 55 billion instructions.
    stdlib_tests_pass(
        "math/big",
        &[
            "-test.run",
            "^Test(Rat|Nat|GCD|ModInverse|Exp)",
            "-test.skip",
            "TestNatDiv|TestNatSqr",
        ],
    );
}

#[test]
fn go_stdlib_tests_pass_sync() {
    // These need exec (a child process) or the test's source files.
    stdlib_tests_pass(
        "sync",
        &["-test.skip", "TestMutexMisuse|TestIssue76126|Example"],
    );
}

#[test]
fn go_stdlib_tests_pass_time_timers() {
    // The timer, ticker and sleep tests (a few heavy ones skipped for time); the time
    // zone database is compiled in because the VM has no files.
    stdlib_tests_pass_tags(
        "time",
        "timetzdata",
        &[
            "-test.run",
            "Sleep|Timer|Ticker|After|Reset",
            "-test.skip",
            "TestResetResult|TestTimerGC|TestAfterTimes",
        ],
    );
}

/// A program built now with the local Go (so the Go version under test is the user's)
/// runs the same under zkm and qemu-mips, with GOMAXPROCS unset and set to 1.
#[test]
fn freshly_built_guests_match_qemu() {
    if !have_go() || !have_qemu() {
        return;
    }
    for name in ["workerpool", "timers", "gcstress", "nilpanic"] {
        let dir = tempfile::tempdir().unwrap();
        let elf = dir.path().join(format!("{name}.elf"));
        zkm()
            .args(["build", "-q"])
            .arg(testdata(&format!("guests/{name}")))
            .arg("-o")
            .arg(&elf)
            .assert()
            .success();
        let want = run_qemu(&elf, &[], &[]);
        let (got, _) = run_zkm(&elf, &[], &[], &[]);
        assert!(
            got == want,
            "{name}\n{}\n=== qemu\n{}",
            show(&got),
            show(&want)
        );
    }
}

/// Guests built with older Go releases (testdata/compat/goX.Y.Z/, see its regen.sh) match
/// what qemu-mips did with them: the Go 1.21 runtime uses `futex` with 32-bit time and a
/// pipe for its netpoller, Go 1.27 `futex_time64` and an eventfd.
#[test]
fn older_go_runtimes_match_qemu() {
    let mut checked = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(testdata("compat"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut elfs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "elf"))
            .collect();
        elfs.sort();
        for elf in elfs {
            let name = elf.file_stem().unwrap().to_string_lossy().into_owned();
            let read = |ext: &str| std::fs::read(elf.with_extension(ext)).unwrap();
            let want = Outcome {
                stdout: read("stdout"),
                stderr: read("stderr"),
                public: read("public"),
                exit: String::from_utf8(read("exit"))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap(),
            };
            let (got, _) = run_zkm(&elf, &input_of(&name), &[], &[]);
            assert!(
                got == want,
                "{}\n{}\n=== qemu\n{}",
                elf.display(),
                show(&got),
                show(&want)
            );
            checked.push(format!(
                "{}/{name}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(checked.len() >= 5, "{checked:?}");
    assert!(
        checked.iter().any(|c| c.starts_with("go1.21")),
        "{checked:?}"
    );
}

/// With GOMAXPROCS=4 the runtime runs four Ps on more OS threads, all time-sliced on the
/// VM's one CPU; the output stays what qemu-mips printed.
#[test]
fn gomaxprocs_4_runs_more_threads_with_the_same_output() {
    for name in ["workerpool", "gcstress", "runtimefeatures"] {
        let elf = testdata(&format!("elf/{name}.elf"));
        let (got, report) = run_zkm(&elf, &[], &[], &["--env", "GOMAXPROCS=4"]);
        let want = Outcome::expected(name);
        assert!(got == want, "{name}\n{}", show(&got));
        assert!(report["threads"].as_u64().unwrap() >= 5, "{name}: {report}");
    }
}

/// The execution record a prover would consume: one step event per executed instruction,
/// one event per system call, data accesses in cycle order, the same on every run.
#[test]
fn the_trace_covers_every_instruction_and_syscall() {
    use zkm::vm::trace::Recorder;
    let run = || {
        let program = zkm::elf::Program::load(&testdata("elf/hello.elf")).unwrap();
        let config = zkm::vm::Config {
            argv: vec!["hello".into()],
            env: vec![],
            input: vec![],
            max_cycles: None,
            stdout: Box::new(std::io::sink()),
            stderr: Box::new(std::io::sink()),
        };
        let mut vm = zkm::vm::Vm::new(program, config).unwrap();
        let mut rec = Recorder::default();
        let exit = vm.run(u64::MAX, &mut rec).unwrap().expect("hello exits");
        (vm, rec, exit)
    };
    let (vm, rec, exit) = run();
    assert_eq!(exit.code, 0);
    assert_eq!(rec.steps.len() as u64, vm.cycles);
    assert_eq!(rec.steps[0].cycle, 0);
    assert!(rec.steps.windows(2).all(|w| w[1].cycle == w[0].cycle + 1));
    // Within a thread, each instruction runs where the previous one said it would.
    for w in rec.steps.windows(2) {
        if w[0].tid == w[1].tid {
            assert_eq!(w[1].pc, w[0].next_pc, "after {:?}", w[0]);
        }
    }
    // Every syscall event belongs to a SYSCALL instruction of the same thread.
    for s in &rec.syscalls {
        let step = &rec.steps[s.cycle as usize];
        assert_eq!((step.word & 0xfc00_003f, step.tid), (0xc, s.tid), "{s:?}");
    }
    let sigreturns = vm.stats.syscalls.get("rt_sigreturn").copied().unwrap_or(0);
    let calls: u64 = vm.stats.syscalls.values().sum();
    assert_eq!(rec.syscalls.len() as u64, calls - sigreturns);
    assert!(rec.mems.len() > 1000);
    assert!(rec.mems.windows(2).all(|w| w[0].cycle <= w[1].cycle));
    assert!(rec
        .mems
        .iter()
        .all(|m| m.addr % 4 == 0 && m.cycle < vm.cycles));
    let (vm2, rec2, _) = run();
    assert_eq!(vm2.state_hash(), vm.state_hash());
    assert_eq!(rec2.syscalls, rec.syscalls);
    assert!(rec2.steps == rec.steps && rec2.mems == rec.mems);
}
