//! The checked-in guests: valid ELFs, reproducible from source, and matching qemu-mips.

mod common;

use common::*;
use zkm::elf::Program;

#[test]
fn testdata_elfs_are_valid_guests_with_go_build_info() {
    let go_version = std::fs::read_to_string(testdata("GO_VERSION")).unwrap();
    for name in guests() {
        let program = Program::load(&testdata(&format!("elf/{name}.elf"))).unwrap();
        let go = program.go.as_ref().expect("Go build info");
        assert_eq!(go.go_version, go_version.trim(), "{name}");
        assert_eq!(go.path.as_deref(), Some(format!("zkmtest/{name}").as_str()));
        assert_eq!(
            program.symbol_at(program.entry).unwrap().name,
            "_rt0_mips_linux"
        );
        assert!(Outcome::expected(&name).stdout.len() + Outcome::expected(&name).stderr.len() > 0);
    }
    assert!(guests().len() >= 6);
}

#[test]
fn zkvm_helper_in_testdata_matches_the_template() {
    assert_eq!(
        std::fs::read_to_string(testdata("guests/zkvm/zkvm.go")).unwrap(),
        zkm::scaffold::ZKVM_GO,
        "testdata/guests/zkvm/zkvm.go drifted from templates/guest/zkvm/zkvm.go: copy it over"
    );
}

#[test]
fn testdata_rebuild_is_byte_identical() {
    if !have_go() {
        return;
    }
    let pinned = std::fs::read_to_string(testdata("GO_VERSION")).unwrap();
    let same_go = go_release() == pinned.trim();
    if !same_go {
        eprintln!(
            "Go is {}, the ELFs were built with {}: checking that they build, not their bytes",
            go_release(),
            pinned.trim()
        );
    }
    let out = tempfile::tempdir().unwrap();
    for name in guests() {
        let elf = out.path().join(format!("{name}.elf"));
        zkm()
            .args(["build", "-q"])
            .arg(testdata(&format!("guests/{name}")))
            .arg("-o")
            .arg(&elf)
            .assert()
            .success();
        let rebuilt = std::fs::read(&elf).unwrap();
        if same_go {
            let checked_in = std::fs::read(testdata(&format!("elf/{name}.elf"))).unwrap();
            assert!(
                rebuilt == checked_in,
                "{name}: rebuilt ELF differs from testdata/elf/{name}.elf; run testdata/regen.sh"
            );
        } else {
            Program::parse(&rebuilt).unwrap();
        }
    }
}

#[test]
fn testdata_expected_outputs_match_qemu() {
    if !have_qemu() {
        return;
    }
    for name in guests() {
        let args = args_of(&name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = run_qemu(
            &testdata(&format!("elf/{name}.elf")),
            &input_of(&name),
            &args,
        );
        assert_eq!(got, Outcome::expected(&name), "{name} under qemu-mips");
    }
}
