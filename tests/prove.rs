//! `zkm prove`, `zkm verify` and the proof file: what verification accepts, and above all
//! what it rejects.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use zkm::asm::{reg::*, Asm};
use zkm::exit;
use zkm::proof::{Expected, ProofError, ProofFile};

fn zkm() -> Command {
    Command::cargo_bin("zkm").unwrap()
}

/// A small program: sums 1..=n in memory, logs to stdout, writes `sum=` and the sum's
/// four bytes to fd 3, and exits with the sum mod 256.
fn sum(n: u32) -> Asm {
    let mut a = Asm::new();
    a.data("msg", b"summing\n");
    a.data("tag", b"sum=");
    a.bss("acc", 4);
    a.li(A0, 1);
    a.la(A1, "msg");
    a.li(A2, 8);
    a.li(V0, 4004);
    a.syscall();
    a.li(T0, 0);
    a.li(T1, n);
    a.la(S0, "acc");
    a.label("loop");
    a.addiu(T0, T0, 1);
    a.lw(T2, 0, S0);
    a.addu(T2, T2, T0);
    a.sw(T2, 0, S0);
    a.bne(T0, T1, "loop");
    a.nop();
    a.li(A0, 3);
    a.la(A1, "tag");
    a.li(A2, 4);
    a.li(V0, 4004);
    a.syscall();
    a.li(A0, 3);
    a.addu(A1, S0, ZERO);
    a.li(A2, 4);
    a.li(V0, 4004);
    a.syscall();
    a.lw(A0, 0, S0);
    a.andi(A0, A0, 0xff);
    a.li(V0, 4246);
    a.syscall();
    a
}

/// What `sum(n)` writes to fd 3.
fn sum_output(n: u32) -> Vec<u8> {
    let mut v = b"sum=".to_vec();
    v.extend((n * (n + 1) / 2).to_be_bytes());
    v
}

struct Fixture {
    _dir: tempfile::TempDir,
    elf: PathBuf,
    other: PathBuf,
    proof: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("sum.elf");
    let other = dir.path().join("other.elf");
    std::fs::write(&elf, sum(10).elf()).unwrap();
    std::fs::write(&other, sum(11).elf()).unwrap();
    let proof = dir.path().join("sum.proof");
    zkm()
        .arg("prove")
        .arg(&elf)
        .arg("-o")
        .arg(&proof)
        .assert()
        .success();
    Fixture {
        _dir: dir,
        elf,
        other,
        proof,
    }
}

/// `zkm verify PROOF --elf ELF --expect-output` with `want` (written beside the proof).
fn verify_output(proof: &Path, elf: &Path, want: &[u8]) -> assert_cmd::assert::Assert {
    let expected = proof.with_extension("expected");
    std::fs::write(&expected, want).unwrap();
    zkm()
        .arg("verify")
        .arg(proof)
        .arg("--elf")
        .arg(elf)
        .arg("--expect-output")
        .arg(&expected)
        .assert()
}

fn program(path: &Path) -> zkm::elf::Program {
    zkm::elf::Program::load(path).unwrap()
}

#[test]
fn proves_and_verifies_by_elf_and_by_image_id() {
    let f = fixture();
    let out = zkm()
        .args(["verify", "--json"])
        .arg(&f.proof)
        .arg("--elf")
        .arg(&f.elf)
        .args(["--expect-exit", "55"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["exit_code"], 55);
    assert_eq!(v["argv"][0], "sum");
    assert_eq!(v["security"]["conjectured_bits"], 100);
    let id = zkm::proof::image_id(&program(&f.elf)).unwrap().to_string();
    assert_eq!(v["image_id"], id.as_str());
    zkm()
        .arg("verify")
        .arg(&f.proof)
        .args(["--image-id", &id])
        .assert()
        .success();
    // inspect shows the header, and the same id for the ELF.
    zkm()
        .arg("inspect")
        .arg(&f.proof)
        .assert()
        .success()
        .stdout(predicates::str::contains(&id));
    zkm()
        .arg("inspect")
        .arg(&f.elf)
        .assert()
        .success()
        .stdout(predicates::str::contains(&id));
}

#[test]
fn rejects_the_proof_for_another_elf_or_image_id() {
    let f = fixture();
    zkm()
        .arg("verify")
        .arg(&f.proof)
        .arg("--elf")
        .arg(&f.other)
        .assert()
        .code(exit::WRONG_PROGRAM);
    let other = zkm::proof::image_id(&program(&f.other))
        .unwrap()
        .to_string();
    zkm()
        .arg("verify")
        .arg(&f.proof)
        .args(["--image-id", &other])
        .assert()
        .code(exit::WRONG_PROGRAM);
    zkm()
        .arg("verify")
        .arg(&f.proof)
        .args(["--image-id", "00ff"])
        .assert()
        .code(exit::USAGE);
}

#[test]
fn rejects_unmet_expectations() {
    let f = fixture();
    zkm()
        .arg("verify")
        .arg(&f.proof)
        .arg("--elf")
        .arg(&f.elf)
        .args(["--expect-exit", "54"])
        .assert()
        .code(exit::UNEXPECTED_EXIT);
    let expected = f.proof.with_extension("out");
    std::fs::write(&expected, sum_output(10)).unwrap();
    zkm()
        .arg("verify")
        .arg(&f.proof)
        .arg("--elf")
        .arg(&f.elf)
        .arg("--expect-output")
        .arg(&expected)
        .args(["--expect-exit", "55"])
        .assert()
        .success();
    std::fs::write(&expected, sum_output(11)).unwrap();
    zkm()
        .arg("verify")
        .arg(&f.proof)
        .arg("--elf")
        .arg(&f.elf)
        .arg("--expect-output")
        .arg(&expected)
        .assert()
        .code(exit::UNEXPECTED_OUTPUT);
}

/// Re-encodes the proof with its statement changed by `f`.
fn restated(bytes: &[u8], f: impl FnOnce(&mut zkm::prover::Statement)) -> Vec<u8> {
    let mut file = ProofFile::decode(bytes).unwrap();
    f(&mut file.statement);
    file.encode()
}

#[test]
fn rejects_an_altered_statement() {
    let f = fixture();
    let bytes = std::fs::read(&f.proof).unwrap();
    let p = program(&f.elf);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("exit code", restated(&bytes, |s| s.exit_code = 56)),
        (
            "exit code + p",
            restated(&bytes, |s| s.exit_code = 55 + 0x7f00_0001),
        ),
        (
            "exit code + 256",
            restated(&bytes, |s| s.exit_code = 55 + 256),
        ),
        ("cycles", restated(&bytes, |s| s.cycles += 1)),
        ("cycles + p", restated(&bytes, |s| s.cycles += 0x7f00_0001)),
        ("argv", restated(&bytes, |s| s.argv.push("x".into()))),
        ("argv[0]", restated(&bytes, |s| s.argv[0] = "sun".into())),
        ("env", restated(&bytes, |s| s.env.push("A=1".into()))),
        ("output byte", restated(&bytes, |s| s.output[7] ^= 1)),
        ("output tag", restated(&bytes, |s| s.output[0] = b'S')),
        ("output longer", restated(&bytes, |s| s.output.push(0))),
        ("output shorter", restated(&bytes, |s| s.output.truncate(7))),
        ("output empty", restated(&bytes, |s| s.output.clear())),
        (
            "output to a power of two",
            restated(&bytes, |s| s.output.resize(16, 0)),
        ),
    ];
    assert_eq!(
        ProofFile::decode(&bytes).unwrap().statement.output,
        sum_output(10)
    );
    for (what, forged) in cases {
        let file = ProofFile::decode(&forged).unwrap();
        let err = zkm::proof::verify(&file, Expected::Elf(&p)).unwrap_err();
        assert!(matches!(err, ProofError::Invalid(_)), "{what}: {err}");
    }
    // The original still verifies.
    let file = ProofFile::decode(&bytes).unwrap();
    zkm::proof::verify(&file, Expected::Elf(&p)).unwrap();
}

#[test]
fn rejects_every_flipped_byte() {
    let f = fixture();
    let bytes = std::fs::read(&f.proof).unwrap();
    let p = program(&f.elf);
    let id = zkm::proof::image_id(&p).unwrap();
    // Every byte of the header and statement, and a spread of the proof itself.
    let n = bytes.len();
    let step = (n / 300).max(1);
    let positions: Vec<usize> = (0..n.min(400))
        .chain((400..n).step_by(step))
        .chain([n - 1])
        .collect();
    for &i in &positions {
        let mut forged = bytes.clone();
        forged[i] ^= 0x01;
        let ok = match ProofFile::decode(&forged) {
            Err(_) => false,
            Ok(file) => zkm::proof::verify(&file, Expected::ImageId(id)).is_ok(),
        };
        assert!(!ok, "flipping byte {i} of {n} was accepted");
    }
}

#[test]
fn decoding_and_verifying_arbitrary_bytes_never_panics() {
    let f = fixture();
    let bytes = std::fs::read(&f.proof).unwrap();
    let id = zkm::proof::image_id(&program(&f.elf)).unwrap();
    // A deterministic xorshift fuzzer: truncations, random bytes, and random edits.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let rounds: usize = std::env::var("ZKM_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    for round in 0..rounds {
        let mut v = match round % 3 {
            0 => bytes[..(rnd() as usize % bytes.len())].to_vec(),
            1 => (0..(rnd() % 4096)).map(|_| rnd() as u8).collect(),
            _ => {
                let mut v = bytes.clone();
                for _ in 0..(1 + rnd() % 8) {
                    let i = rnd() as usize % v.len();
                    v[i] = rnd() as u8;
                }
                v
            }
        };
        if round % 5 == 0 && v.len() >= 12 {
            v[..8].copy_from_slice(zkm::proof::MAGIC);
            v[8..12].copy_from_slice(&zkm::proof::FORMAT_VERSION.to_be_bytes());
        }
        if let Ok(file) = ProofFile::decode(&v) {
            assert!(zkm::proof::verify(&file, Expected::ImageId(id)).is_err() || v == bytes);
        }
    }
    // And through the command line: a clear error, never a crash.
    let junk = f.proof.with_extension("junk");
    std::fs::write(&junk, b"ZKMPROOF\0\0\0\x01garbage").unwrap();
    zkm()
        .arg("verify")
        .arg(&junk)
        .arg("--elf")
        .arg(&f.elf)
        .assert()
        .code(exit::BAD_DATA);
    std::fs::write(&junk, b"not a proof").unwrap();
    zkm()
        .arg("verify")
        .arg(&junk)
        .arg("--elf")
        .arg(&f.elf)
        .assert()
        .code(exit::BAD_DATA);
}

#[test]
fn refuses_to_prove_what_it_cannot_yet() {
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("refused.elf");
    // `zkm prove` of `a` exits with `code`, its error naming each of `what`.
    let refused = |a: &Asm, code: i32, what: &[&str]| {
        std::fs::write(&elf, a.elf()).unwrap();
        let out = zkm().arg("prove").arg(&elf).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{err}");
        for w in what {
            assert!(err.contains(w), "{w:?} not in {err}");
        }
    };
    // System call `number` with `$a0`, `$a1`, … set to `args`, then exit_group(0).
    let call = |number: u32, args: &[u32]| {
        let mut a = Asm::new();
        for (r, &v) in [A0, A1, A2, A3].iter().zip(args) {
            a.li(*r, v);
        }
        a.li(V0, number);
        a.syscall();
        a.exit(0);
        a
    };
    // getcwd: a system call the prover does not handle yet (named with its pc).
    let cwd = call(4203, &[0, 0, 0, 0]);
    refused(&cwd, exit::NOT_PROVABLE, &["getcwd", "0x00400028"]);
    // prlimit64 of another resource than RLIMIT_NOFILE.
    let limit = call(4338, &[0, 3, 0, 0]);
    refused(
        &limit,
        exit::NOT_PROVABLE,
        &["prlimit64(0, 3", "RLIMIT_NOFILE"],
    );
    // rt_sigprocmask with a `how` Linux refuses (EINVAL; the set is the code's first
    // words): only successful calls prove.
    let block = call(4195, &[4, 0x40_0000, 0, 16]);
    refused(
        &block,
        exit::NOT_PROVABLE,
        &[
            "rt_sigprocmask failing with error 22",
            "only successful calls",
        ],
    );
    // An mmap that the mm chip does not prove: MAP_SHARED.
    let shared = call(4090, &[0, 4096, 3, 0x801]);
    refused(
        &shared,
        exit::NOT_PROVABLE,
        &["mmap", "anonymous private mappings"],
    );
    // A write to fd 4 is not provable yet either.
    refused(&call(4004, &[4, 0, 0]), exit::NOT_PROVABLE, &["fd 4"]);
    // clock_gettime of a CPU-time clock is not provable yet.
    let mut a = Asm::new();
    a.bss("ts", 8);
    a.li(A0, 2);
    a.la(A1, "ts");
    a.li(V0, 4263);
    a.syscall();
    a.exit(0);
    refused(&a, exit::NOT_PROVABLE, &["clock_gettime of clock 2"]);
    // nanosleep with its request in read-only memory (two NOPs of the code: {0, 0}),
    // which runs.
    let mut a = Asm::new();
    a.la(A0, "zeros");
    a.li(A1, 0);
    a.li(V0, 4166);
    a.syscall();
    a.exit(0);
    a.label("zeros");
    a.nop();
    a.nop();
    refused(&a, exit::NOT_PROVABLE, &["request in read-only data"]);
    zkm().arg("run").arg(&elf).assert().success();
    // open that would create a file, of an unreadable path, and fcntl F_SETFL: refused.
    for (number, args, what) in [
        (4005, [0x0040_0000u32, 0x100, 0], "O_CREAT"),
        (4005, [0x10, 0, 0], "open failing with error 14"),
        (4055, [1, 4, 0x80], "fcntl(1, 4)"),
    ] {
        refused(&call(number, &args), exit::NOT_PROVABLE, &[what]);
    }
    // clone of a thread with its own TLS, and a futex operation other than Go's two.
    refused(
        &call(4120, &[0x50f00 | 0x80000, 0x7fff_0000, 0, 0]),
        exit::NOT_PROVABLE,
        &["clone(flags 0xd0f00", "only Go's threads"],
    );
    refused(
        &call(4238, &[0x0040_0000, 9 | 128, 0, 0]),
        exit::NOT_PROVABLE,
        &["futex(0x400000, 137", "FUTEX_WAIT_PRIVATE"],
    );
    // fstat64 of another descriptor, or into an unaligned buffer: refused, named.
    refused(
        &call(4215, &[4, 0x0040_0000]),
        exit::NOT_PROVABLE,
        &["fstat64(4, 0x400000)", "fds 0 to 3"],
    );
    refused(
        &call(4215, &[1, 0x0040_0002]),
        exit::NOT_PROVABLE,
        &["fstat64(1, 0x400002)", "word-aligned"],
    );
    // A SYSCALL in a delay slot (getpid, which proves elsewhere): refused.
    let mut a = Asm::new();
    a.li(V0, 4020);
    a.beq(ZERO, ZERO, "done");
    a.syscall();
    a.nop();
    a.label("done");
    a.exit(0);
    refused(&a, exit::NOT_PROVABLE, &["a SYSCALL in a delay slot"]);
    // A run longer than one shard: refused, naming its length.
    let spin = |a: &mut Asm| {
        a.li(T0, 1_500_000);
        a.label("spin");
        a.addiu(T0, T0, 0xffff);
        a.bne(T0, ZERO, "spin");
        a.nop();
        a.exit(0);
    };
    let mut a = Asm::new();
    spin(&mut a);
    refused(
        &a,
        exit::NOT_PROVABLE,
        &["runs 45000", "at most 4194302", "in shards"],
    );
    // The same after a call no chip proves: both are said, so that a shorter run is not
    // tried in vain.
    let mut a = Asm::new();
    a.li(A0, 5);
    a.li(A1, 0);
    a.li(A2, 0);
    a.li(V0, 4004);
    a.syscall();
    spin(&mut a);
    refused(
        &a,
        exit::NOT_PROVABLE,
        &["runs 45000", "also does", "write to fd 5", "in shards"],
    );
    // BREAK fires: refused with the VM's error.
    let mut a = Asm::new();
    a.emit(0x0000_000d);
    refused(&a, exit::MEMORY_FAULT, &["BREAK"]);
}

#[test]
fn rejects_statement_chips_of_another_height() {
    // The init and output chips' rows are periodic columns, which Plonky3 repeats in a
    // taller trace: a repeated register row would be a second copy of the register. The
    // verifier holds each to exactly one period.
    let f = fixture();
    let bytes = std::fs::read(&f.proof).unwrap();
    let p = program(&f.elf);
    for kind in [zkm::prover::ChipKind::Init, zkm::prover::ChipKind::Output] {
        let i = zkm::prover::ChipKind::ALL
            .iter()
            .position(|&k| k == kind)
            .unwrap();
        let mut file = ProofFile::decode(&bytes).unwrap();
        file.proof.degree_bits[i] += 1;
        let err = zkm::proof::verify(&file, Expected::Elf(&p)).unwrap_err();
        assert!(
            err.to_string()
                .contains("another height than the statement's"),
            "{kind:?}: {err}"
        );
    }
}

#[test]
fn proves_the_identity_calls() {
    // getpid, getppid, getuid, geteuid, getgid, getegid, sched_yield, gettid: each answer
    // stored and written to fd 3, proved, and verified against the VM's answers.
    let calls = [4020u32, 4064, 4024, 4049, 4047, 4050, 4162, 4222];
    let mut a = Asm::new();
    a.bss("answers", 4 * calls.len() as u32);
    a.la(S0, "answers");
    for (k, &n) in calls.iter().enumerate() {
        a.li(V0, n);
        a.syscall();
        a.sw(V0, 4 * k as i16, S0);
    }
    a.li(A0, 3);
    a.addu(A1, S0, ZERO);
    a.li(A2, 4 * calls.len() as u32);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("ident.elf");
    std::fs::write(&elf, a.elf()).unwrap();
    let proof = dir.path().join("ident.proof");
    zkm()
        .arg("prove")
        .arg(&elf)
        .arg("-o")
        .arg(&proof)
        .assert()
        .success();
    let want: Vec<u8> = [1000u32, 1, 0, 0, 0, 0, 0, 1000]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    verify_output(&proof, &elf, &want).success();
    // The VM answers the same.
    let public = dir.path().join("public.bin");
    zkm()
        .arg("run")
        .arg(&elf)
        .arg("--public-out")
        .arg(&public)
        .assert()
        .success();
    assert_eq!(std::fs::read(&public).unwrap(), want);
}

#[test]
fn proves_a_program_that_reads_its_private_input() {
    // Reads fd 0 seven bytes at a time until it returns 0; writes the first byte of each
    // chunk, then the total count, to fd 3.
    let mut a = Asm::new();
    a.bss("buf", 8);
    a.bss("count", 4);
    a.li(S1, 0);
    a.label("again");
    a.li(A0, 0);
    a.la(A1, "buf");
    a.li(A2, 7);
    a.li(V0, 4003);
    a.syscall();
    a.beq(V0, ZERO, "done");
    a.addu(S1, S1, V0); // in the delay slot: adds 0 at the end
    a.li(A0, 3);
    a.la(A1, "buf");
    a.li(A2, 1);
    a.li(V0, 4004);
    a.syscall();
    a.j("again");
    a.nop();
    a.label("done");
    a.nop();
    a.la(S0, "count");
    a.sw(S1, 0, S0);
    a.li(A0, 3);
    a.addu(A1, S0, ZERO);
    a.li(A2, 4);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("reader.elf");
    std::fs::write(&elf, a.elf()).unwrap();
    let input = b"the quick brown fox jumps over the lazy dog";
    let input_file = dir.path().join("input.txt");
    std::fs::write(&input_file, input).unwrap();
    let proof = dir.path().join("reader.proof");
    zkm()
        .arg("prove")
        .arg(&elf)
        .arg("--input")
        .arg(&input_file)
        .arg("-o")
        .arg(&proof)
        .assert()
        .success();
    let mut want: Vec<u8> = input.chunks(7).map(|c| c[0]).collect();
    want.extend((input.len() as u32).to_be_bytes());
    verify_output(&proof, &elf, &want).success();
    // The VM writes the same, and another output is refused.
    let public = dir.path().join("public.bin");
    zkm()
        .arg("run")
        .arg(&elf)
        .arg("--input")
        .arg(&input_file)
        .arg("--public-out")
        .arg(&public)
        .assert()
        .success();
    assert_eq!(std::fs::read(&public).unwrap(), want);
    want[0] ^= 1;
    verify_output(&proof, &elf, &want).failure();
    // A read from another fd is not provable yet.
    let mut a = Asm::new();
    a.bss("buf", 8);
    a.li(A0, 5);
    a.la(A1, "buf");
    a.li(A2, 4);
    a.li(V0, 4003);
    a.syscall();
    a.exit(0);
    std::fs::write(&elf, a.elf()).unwrap();
    zkm()
        .arg("prove")
        .arg(&elf)
        .assert()
        .code(exit::NOT_PROVABLE)
        .stderr(predicates::str::contains("read from fd 5"));
}

#[test]
fn proves_a_run_of_more_than_2_18_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let iterations = (1u32 << 18) / zkm::asm::MIX_LOOP as u32 + 1;
    let elf = dir.path().join("mix.elf");
    std::fs::write(&elf, zkm::asm::mix(iterations).elf()).unwrap();
    let proof = dir.path().join("mix.proof");
    let out = zkm()
        .args(["prove", "--json"])
        .arg(&elf)
        .arg("-o")
        .arg(&proof)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cycles = report["cycles"].as_u64().unwrap();
    assert!(cycles >= 1 << 18, "{cycles}");
    assert_eq!(cycles, iterations as u64 * zkm::asm::MIX_LOOP + 22);
    // The same run under the VM gives the same output and exit code.
    let run = zkm().args(["run", "--json"]).arg(&elf).output().unwrap();
    let run_report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(run_report["cycles"].as_u64(), Some(cycles));
    assert_eq!(report["public_output"], run_report["public_output"]);
    let expected = dir.path().join("expected.bin");
    std::fs::write(
        &expected,
        hex::decode(report["public_output"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    zkm()
        .arg("verify")
        .arg(&proof)
        .arg("--elf")
        .arg(&elf)
        .arg("--expect-output")
        .arg(&expected)
        .args(["--expect-exit", &report["exit_code"].to_string()])
        .assert()
        .success();
}

#[test]
fn proving_gives_the_same_claims_every_time() {
    let f = fixture();
    let again = f.proof.with_extension("again");
    zkm()
        .arg("prove")
        .arg(&f.elf)
        .arg("-o")
        .arg(&again)
        .assert()
        .success();
    // The claims are identical. (The bytes need not be: the proof-of-work nonces are
    // searched in parallel, and any valid one is taken, so the queries that follow them
    // may differ from one run to the next.)
    let one = ProofFile::decode(&std::fs::read(&f.proof).unwrap()).unwrap();
    let two = ProofFile::decode(&std::fs::read(&again).unwrap()).unwrap();
    assert_eq!(one.statement, two.statement);
    assert_eq!(one.image_id, two.image_id);
    assert_eq!(one.zkm_version, two.zkm_version);
    assert_eq!(one.proof.degree_bits, two.proof.degree_bits);
    let p = program(&f.elf);
    zkm::proof::verify(&one, Expected::Elf(&p)).unwrap();
    zkm::proof::verify(&two, Expected::Elf(&p)).unwrap();
}

#[test]
fn the_arguments_and_environment_are_in_the_statement() {
    // argsenv prints its arguments and environment and commits its arguments: proved
    // with both, and verified against them; other arguments or another environment are
    // refused with exit 111, and the same run without them is another statement.
    let dir = tempfile::tempdir().unwrap();
    let elf = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/elf/argsenv.elf");
    let proof = dir.path().join("argsenv.proof");
    let env = ["--env", "ZKM_TEST=hi", "--env", "B=2"];
    zkm()
        .arg("prove")
        .arg(&elf)
        .arg("-q")
        .arg("-o")
        .arg(&proof)
        .args(env)
        .args(["--", "x", "y z"])
        .assert()
        .success();
    let expected = dir.path().join("public");
    std::fs::write(&expected, b"x y z").unwrap();
    let verify = |extra: &[&str]| {
        zkm()
            .arg("verify")
            .arg(&proof)
            .arg("--elf")
            .arg(&elf)
            .arg("--expect-output")
            .arg(&expected)
            .args(extra)
            .assert()
    };
    verify(&[]).success();
    let mut same = vec!["--expect-args"];
    same.extend(env);
    same.extend(["--", "x", "y z"]);
    verify(&same).success();
    verify(&["--expect-args", "--env", "ZKM_TEST=hi", "--", "x", "y z"])
        .code(exit::UNEXPECTED_ARGS)
        .stderr(predicates::str::contains("environment"));
    let mut other = vec!["--expect-args"];
    other.extend(env);
    other.extend(["--", "x", "y", "z"]);
    verify(&other)
        .code(exit::UNEXPECTED_ARGS)
        .stderr(predicates::str::contains("arguments"));
    let file = ProofFile::decode(&std::fs::read(&proof).unwrap()).unwrap();
    assert_eq!(file.statement.argv[1..], ["x", "y z"]);
    assert_eq!(file.statement.env, ["ZKM_TEST=hi", "B=2"]);
    // --env without --expect-args is a usage error, as is a value without `=`.
    verify(&["--env", "A=1"]).code(exit::USAGE);
    verify(&["--expect-args", "--env", "A"]).code(exit::USAGE);
}

#[test]
fn proves_go_guests_with_their_runtime_and_threads() {
    // Unmodified Go programs, with the garbage collector on and the runtime's threads
    // (sysmon, a GC worker): proved, and verified against their ELF, their exit status
    // and their public output as qemu-mips gives them (testdata/expected).
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    // nilpanic and recovered take a nil dereference's SIGSEGV through Go's handler and
    // its rt_sigreturn.
    // timers sleeps, ticks and waits on deadlines through Go's netpoller (an eventfd and
    // an epoll instance). sigself receives, through os/signal, the signals its main
    // thread sends itself with kill and tgkill, each delivered to Go's handler on the way
    // back from the call; sigmask blocks SIGUSR1, sends it with tgkill, keeps it pending
    // for 20 ms and takes it after the rt_sigprocmask that unblocks it; sigdefault sends
    // itself SIGTERM until Go's handler, from on its signal stack, dies of it (143).
    // signotify and sigignore send their signals with kill from another thread than the
    // main one, which takes them at the switch back to it, interrupting its FUTEX_WAIT
    // (restarted after the handler); sigignore's last one kills the process (143).
    // stdinstat sizes its buffer with fstat64 on stdin and reads its private input to the
    // end, each read held to the size the proof fixes.
    // scavenge frees 128 KiB and hands it back with debug.FreeOSMemory: the scavenger's
    // madvise(MADV_DONTNEED) calls, after which the pages read zero again.
    // lookups probes a missing path with os.Stat, os.Lstat, os.Readlink and
    // syscall.Access (stat64, lstat64, readlinkat, faccessat), each ENOENT.
    // decorated has Go 1.25's decoratemappings on (the default of a module of go 1.25 or
    // later), so its runtime names its first mapping with prctl(PR_SET_VMA), which fails
    // with EINVAL, and names no other.
    // jsonbig (encoding/json and math/big, 1.9 M instructions) is the largest that fits
    // one shard: about 45 s and 6 GB here.
    for name in [
        "exitcode",
        "panic",
        "hello",
        "nilpanic",
        "recovered",
        "argsenv",
        "timers",
        "sigself",
        "sigmask",
        "sigdefault",
        "signotify",
        "sigignore",
        "stdinstat",
        "scavenge",
        "threadexit",
        "lookups",
        "decorated",
        "jsonbig",
    ] {
        let elf = root.join(format!("elf/{name}.elf"));
        let proof = dir.path().join(format!("{name}.proof"));
        let mut prove = zkm();
        prove.arg("prove").arg(&elf).arg("-q").arg("-o").arg(&proof);
        let input = root.join(format!("inputs/{name}.bin"));
        if input.exists() {
            prove.arg("--input").arg(&input);
        }
        prove.assert().success();
        let exit = std::fs::read_to_string(root.join(format!("expected/{name}.exit"))).unwrap();
        let public = std::fs::read(root.join(format!("expected/{name}.public"))).unwrap();
        let expected = proof.with_extension("expected");
        std::fs::write(&expected, &public).unwrap();
        zkm()
            .arg("verify")
            .arg(&proof)
            .arg("--elf")
            .arg(&elf)
            .arg("--expect-output")
            .arg(&expected)
            .arg("--expect-exit")
            .arg(exit.trim())
            .assert()
            .success();
    }
}
