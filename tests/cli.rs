//! The `zkm` command line: new, build, inspect, completions, and every error they report.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::*;
use predicates::prelude::*;
use sha2::{Digest, Sha256};
use zkm::exit;

fn hello_elf() -> Vec<u8> {
    std::fs::read(testdata("elf/hello.elf")).unwrap()
}

/// Writes `bytes` to a temporary file and returns (dir guard, path).
fn temp_file(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.elf");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

/// A fake `go` script that prints `version_line` and `dist_list`.
fn fake_go(dir: &Path, version_line: &str, dist_list: &str, exit_code: i32) -> PathBuf {
    let path = dir.join("go");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  version) echo '{version_line}'; exit {exit_code};;\n  tool) printf '{dist_list}';;\nesac\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn help_explains_every_command_with_examples() {
    for cmd in [
        &[][..],
        &["new"],
        &["build"],
        &["inspect"],
        &["completions"],
    ] {
        zkm()
            .args(cmd)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
    zkm()
        .arg("--help")
        .assert()
        .stdout(predicate::str::contains("--json").and(predicate::str::contains("--quiet")));
}

#[test]
fn usage_errors_exit_64() {
    zkm().arg("--no-such-flag").assert().code(exit::USAGE);
    zkm().arg("frobnicate").assert().code(exit::USAGE);
    zkm().arg("inspect").assert().code(exit::USAGE);
}

#[test]
fn inspect_shows_segments_go_info_and_image_id() {
    let elf = testdata("elf/hello.elf");
    let program = zkm::elf::Program::load(&elf).unwrap();
    let id = zkm::proof::image_id(&program).unwrap().to_string();
    let content = program.content_id().to_string();
    zkm().arg("inspect").arg(&elf).assert().success().stdout(
        predicate::str::contains(&id)
            .and(predicate::str::contains("_rt0_mips_linux"))
            .and(predicate::str::contains("r-x"))
            .and(predicate::str::contains("zkmtest/hello")),
    );
    let out = zkm()
        .args(["inspect", "--json"])
        .arg(&elf)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["image_id"], id.as_str());
    assert_eq!(v["content_id"], content.as_str());
    assert_eq!(v["entry_symbol"], "_rt0_mips_linux");
    assert_eq!(v["segments"].as_array().unwrap().len(), 3);
    assert!(v["symbols"].as_u64().unwrap() > 1000);
    assert_eq!(v["go"]["path"], "zkmtest/hello");
}

#[test]
fn content_id_depends_on_loaded_bytes_and_entry_only() {
    let bytes = hello_elf();
    let base = zkm::elf::Program::parse(&bytes).unwrap();
    // Changing a section name string (not loaded) keeps the id.
    let shstr = bytes.windows(6).rposition(|w| w == b".text\0").unwrap();
    let mut renamed = bytes.clone();
    renamed[shstr + 1] = b'T';
    assert_eq!(
        zkm::elf::Program::parse(&renamed).unwrap().content_id(),
        base.content_id()
    );
    // One flipped byte of code changes it.
    let text_off = 0x1000usize; // the first loadable page of a Go mips ELF holds code
    let mut patched = bytes.clone();
    patched[text_off + 0x10] ^= 1;
    assert_ne!(
        zkm::elf::Program::parse(&patched).unwrap().content_id(),
        base.content_id()
    );
}

/// Each bad ELF and the words its error must contain.
#[test]
fn inspect_rejects_bad_elfs_with_clear_errors() {
    let elf = hello_elf();
    let patch = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = elf.clone();
        f(&mut b);
        b
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("text", b"just some text\n".to_vec(), "not an ELF file"),
        ("empty", vec![], "not an ELF file"),
        ("64-bit", patch(&|b| b[4] = 2), "64-bit"),
        ("little-endian", patch(&|b| b[5] = 1), "little-endian"),
        (
            "x86",
            patch(&|b| b[18..20].copy_from_slice(&3u16.to_be_bytes())),
            "x86",
        ),
        (
            "pie",
            patch(&|b| b[16..18].copy_from_slice(&3u16.to_be_bytes())),
            "dynamically linked",
        ),
        (
            "object",
            patch(&|b| b[16..18].copy_from_slice(&1u16.to_be_bytes())),
            "ET_REL",
        ),
        (
            "interp",
            // The first program header (at e_phoff = 52) becomes PT_INTERP.
            patch(&|b| b[52..56].copy_from_slice(&3u32.to_be_bytes())),
            "PT_INTERP",
        ),
        ("truncated", elf[..200_000].to_vec(), "truncated"),
        ("header-only", elf[..30].to_vec(), "truncated"),
    ];
    for (what, bytes, message) in cases {
        let (_dir, path) = temp_file(&bytes);
        zkm()
            .arg("inspect")
            .arg(&path)
            .assert()
            .code(exit::BAD_ELF)
            .stderr(predicate::str::contains(message).and(predicate::str::contains("zkm build")))
            .stdout("");
        let _ = what;
    }
    zkm()
        .args(["inspect", "/nonexistent/guest.elf"])
        .assert()
        .code(exit::NO_INPUT)
        .stderr(predicate::str::contains("/nonexistent/guest.elf"));
}

#[test]
fn inspect_rejects_host_binaries() {
    let host = std::env::current_exe().unwrap();
    zkm()
        .arg("inspect")
        .arg(host)
        .assert()
        .code(exit::BAD_ELF)
        .stderr(predicate::str::contains("64-bit").or(predicate::str::contains("not MIPS")));
}

#[test]
fn new_refuses_non_empty_dirs_files_and_bad_names() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    zkm()
        .arg("new")
        .arg(tmp.path())
        .assert()
        .code(exit::CANT_CREATE)
        .stderr(predicate::str::contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine"
    );
    zkm()
        .arg("new")
        .arg(tmp.path().join("keep.txt"))
        .assert()
        .code(exit::CANT_CREATE)
        .stderr(predicate::str::contains("not a directory"));
    zkm()
        .arg("new")
        .arg(tmp.path().join("x"))
        .args(["--name", "9 bad name"])
        .assert()
        .code(exit::USAGE)
        .stderr(predicate::str::contains("--name"));
}

#[test]
fn new_writes_a_project_and_reports_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-guest");
    let out = zkm().args(["--json", "new"]).arg(&dir).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["module"], "my-guest");
    for f in ["go.mod", "main.go", "zkvm/zkvm.go", ".gitignore"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
}

#[test]
fn build_without_go_says_how_to_install_it() {
    let tmp = tempfile::tempdir().unwrap();
    zkm()
        .arg("build")
        .arg(testdata("guests/hello"))
        .env("PATH", tmp.path())
        .env_remove("ZKM_GO")
        .assert()
        .code(exit::NO_GO)
        .stderr(
            predicate::str::contains("Go was not found")
                .and(predicate::str::contains("Install Go")),
        );
    zkm()
        .arg("build")
        .arg(testdata("guests/hello"))
        .env("ZKM_GO", "/nonexistent/go")
        .assert()
        .code(exit::NO_GO)
        .stderr(predicate::str::contains("ZKM_GO=/nonexistent/go"));
    zkm()
        .args(["build", "--go", "/nonexistent/bin/go"])
        .arg(testdata("guests/hello"))
        .assert()
        .code(exit::NO_GO)
        .stderr(predicate::str::contains("--go /nonexistent/bin/go"));
}

#[test]
fn build_rejects_old_broken_and_mipsless_go() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "go version go1.19.8 linux/amd64",
            "linux/mips\\n",
            0,
            "Go 1.19.8, but zkm needs Go 1.21.0 or newer",
        ),
        (
            "go version go1.22.1 linux/amd64",
            "linux/amd64\\n",
            0,
            "cannot target linux/mips",
        ),
        ("something odd", "", 0, "cannot run"),
        ("go version go1.22.1 linux/amd64", "", 3, "cannot run"),
    ];
    for (version, dist, code, message) in cases {
        let go = fake_go(tmp.path(), version, dist, code);
        zkm()
            .args(["build", "--go"])
            .arg(&go)
            .arg(testdata("guests/hello"))
            .assert()
            .code(exit::NO_GO)
            .stderr(predicate::str::contains(message));
        let _ = std::fs::remove_file(go);
    }
}

#[test]
fn build_reports_missing_and_non_go_directories() {
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    zkm()
        .arg("build")
        .arg(tmp.path().join("absent"))
        .assert()
        .code(exit::NO_INPUT)
        .stderr(predicate::str::contains("does not exist"));
    zkm()
        .arg("build")
        .arg(tmp.path())
        .assert()
        .code(exit::NO_INPUT)
        .stderr(predicate::str::contains("no .go files"));
    std::fs::write(tmp.path().join("main.go"), "package main\nfunc main() {}\n").unwrap();
    zkm()
        .arg("build")
        .arg(tmp.path())
        .assert()
        .code(exit::NO_INPUT)
        .stderr(predicate::str::contains("no go.mod"));
}

#[test]
fn build_shows_compile_errors_verbatim() {
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("broken");
    zkm().arg("new").arg(&dir).assert().success();
    std::fs::write(
        dir.join("main.go"),
        "package main\n\nfunc main() {\n\tundefinedThing()\n}\n",
    )
    .unwrap();
    zkm()
        .arg("build")
        .arg(&dir)
        .assert()
        .code(exit::BUILD_FAILED)
        .stderr(predicate::str::contains(
            "./main.go:4:2: undefined: undefinedThing",
        ));
}

/// The README's quick start: new, build, inspect, run the ELF under qemu-mips, then prove
/// the run with a private input and verify its public output.
#[test]
fn scaffolded_project_builds_runs_under_qemu_and_proves() {
    if !have_go() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hello");
    zkm().arg("new").arg(&dir).assert().success();
    // No network: the project must need no module download.
    let out = zkm()
        .args(["build", "--json"])
        .arg(&dir)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let elf = dir.join("target/zkm/hello.elf");
    assert_eq!(
        Path::new(v["elf"].as_str().unwrap()),
        elf.canonicalize().unwrap()
    );
    assert_eq!(
        v["size"].as_u64().unwrap(),
        std::fs::metadata(&elf).unwrap().len()
    );
    assert!(v["go_version"].as_str().unwrap().starts_with("go1."));
    let program = zkm::elf::Program::load(&elf).unwrap();
    let id = zkm::proof::image_id(&program).unwrap().to_string();
    assert_eq!(v["image_id"], id.as_str());
    assert_eq!(v["content_id"], program.content_id().to_string().as_str());
    zkm()
        .arg("inspect")
        .arg(&elf)
        .assert()
        .success()
        .stdout(predicate::str::contains(&id));

    // The build is reproducible.
    let again = tmp.path().join("again.elf");
    zkm()
        .args(["build", "-q"])
        .arg(&dir)
        .arg("-o")
        .arg(&again)
        .assert()
        .success();
    assert!(std::fs::read(&again).unwrap() == std::fs::read(&elf).unwrap());

    // What the template computes: a SHA-256 chain of 25 rounds over the private input,
    // committed with the round count.
    let input = b"my private input";
    let mut digest: [u8; 32] = Sha256::digest(input).into();
    for _ in 1..25 {
        digest = Sha256::digest(digest).into();
    }
    let mut public = 25u32.to_be_bytes().to_vec();
    public.extend(32u32.to_be_bytes());
    public.extend(digest);

    // Proved with the input as private input, and verified against that public output.
    let input_file = tmp.path().join("input.bin");
    std::fs::write(&input_file, input).unwrap();
    let proof = tmp.path().join("hello.proof");
    zkm()
        .args(["prove", "-q"])
        .arg(&elf)
        .arg("--input")
        .arg(&input_file)
        .arg("-o")
        .arg(&proof)
        .assert()
        .success();
    let public_file = tmp.path().join("public.bin");
    std::fs::write(&public_file, &public).unwrap();
    zkm()
        .arg("verify")
        .arg(&proof)
        .arg("--elf")
        .arg(&elf)
        .arg("--expect-output")
        .arg(&public_file)
        .arg("--expect-exit")
        .arg("0")
        .assert()
        .success();

    if !have_qemu() {
        return;
    }
    let got = run_qemu(&elf, input, &[]);
    assert_eq!(got.exit, 0, "{}", String::from_utf8_lossy(&got.stderr));
    assert_eq!(
        String::from_utf8(got.stdout).unwrap(),
        format!(
            "hashed {} private bytes through 25 SHA-256 rounds: {}\n",
            input.len(),
            hex::encode(digest)
        )
    );
    assert_eq!(got.public, public);
}

#[test]
fn completions_are_generated_for_every_shell_and_checked_in_fresh() {
    for (shell, file) in [
        ("bash", "zkm.bash"),
        ("zsh", "_zkm"),
        ("fish", "zkm.fish"),
        ("powershell", "_zkm.ps1"),
        ("elvish", "zkm.elv"),
    ] {
        let out = zkm().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        assert!(!out.stdout.is_empty());
        let path = root().join("completions").join(file);
        if std::env::var_os("ZKM_UPDATE_COMPLETIONS").is_some() {
            std::fs::write(&path, &out.stdout).unwrap();
        }
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "completions/{file} is stale: run `ZKM_UPDATE_COMPLETIONS=1 cargo test --release completions`"
        );
    }
    zkm()
        .args(["completions", "tcsh"])
        .assert()
        .code(exit::USAGE);
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_not_with_a_panic() {
    use std::io::Read;
    use std::process::{Command as Std, Stdio};
    // `zkm completions bash | true`: the reader is gone before zkm writes. (Closed before
    // the spawn: closed after it, a fast child could fill the pipe's buffer first.)
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Std::new(assert_cmd::cargo::cargo_bin("zkm"))
        .args(["completions", "bash"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn strace_prints_each_system_call_and_its_result() {
    // The Go runtime's first calls, as qemu-mips -strace shows them: the CPU mask, the
    // huge-page size file that is not there, and the exit.
    let elf = root().join("testdata/elf/exitcode.elf");
    let out = zkm().arg("run").arg(&elf).arg("--strace").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("[1000] sched_getaffinity(0x0, 0x2000, "),
        "{log}"
    );
    assert!(log.contains(") = 0x4\n"), "{log}");
    assert!(
        log.contains("[1000] open(") && log.contains("= -1 ENOENT\n"),
        "{log}"
    );
    assert!(
        log.contains("clone(") && log.contains("futex resumed = 0x0"),
        "{log}"
    );
    assert!(log.contains("[1000] exit_group(0x3, "), "{log}");
}
