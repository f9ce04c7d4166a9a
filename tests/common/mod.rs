//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
}

/// The `zkm` binary under test.
pub fn zkm() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("zkm").unwrap()
}

/// Whether `tool` can run. In CI (CI set) a missing tool fails the test, because CI
/// installs Go and qemu-user; locally the test is skipped with a printed reason.
pub fn have(tool: &str, probe_arg: &str, why: &str) -> bool {
    let ok = Command::new(tool)
        .arg(probe_arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{tool} is required in CI ({why}); .ci/run installs it");
        }
        eprintln!("skipping: {tool} is not installed ({why})");
    }
    ok
}

pub fn have_go() -> bool {
    have("go", "version", "Go builds guests")
}

pub fn have_qemu() -> bool {
    have(
        "qemu-mips",
        "--version",
        "qemu-mips is the reference oracle",
    )
}

/// The release name of the `go` on PATH, e.g. `go1.27.3`.
pub fn go_release() -> String {
    let out = Command::new("go").arg("version").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_string()
}

/// Guest names in testdata/guests (directories with a main package).
pub fn guests() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(testdata("guests"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("main.go").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What a guest run produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub public: Vec<u8>,
    pub exit: i32,
}

impl Outcome {
    /// The checked-in expectations for guest `name`.
    pub fn expected(name: &str) -> Outcome {
        let read = |ext: &str| std::fs::read(testdata(&format!("expected/{name}.{ext}"))).unwrap();
        Outcome {
            stdout: read("stdout"),
            stderr: read("stderr"),
            public: read("public"),
            exit: String::from_utf8(read("exit"))
                .unwrap()
                .trim()
                .parse()
                .unwrap(),
        }
    }
}

/// Runs `elf` under qemu-mips the way testdata/regen.sh does: empty environment, `input`
/// on stdin, fd 3 captured.
pub fn run_qemu(elf: &Path, input: &[u8], args: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("public");
    let input_path = dir.path().join("input");
    std::fs::write(&input_path, input).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"exec env -i qemu-mips "$@" < "$ZKM_IN" 3> "$ZKM_PUB""#)
        .arg("qemu")
        .arg(elf)
        .args(args)
        .env("ZKM_IN", &input_path)
        .env("ZKM_PUB", &public)
        .output()
        .unwrap();
    Outcome {
        stdout: out.stdout,
        stderr: out.stderr,
        public: std::fs::read(&public).unwrap(),
        exit: shell_status(&out.status),
    }
}

/// The status a shell reports: the exit code, or 128 + N for a process killed by signal
/// N (qemu-mips kills itself with the host's number for the guest's fatal signal).
pub fn shell_status(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// The command-line arguments of guest `name` (`testdata/args/NAME`, as regen.sh reads it).
pub fn args_of(name: &str) -> Vec<String> {
    std::fs::read_to_string(testdata(&format!("args/{name}")))
        .map(|s| s.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// The private input of guest `name`, or nothing.
pub fn input_of(name: &str) -> Vec<u8> {
    std::fs::read(testdata(&format!("inputs/{name}.bin"))).unwrap_or_default()
}
