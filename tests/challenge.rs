//! `zkm challenge` end to end: the real binary, every scenario, on builtin circuits and on
//! the shared Bristol files (`../shared/circuits`, skipped with a message when absent).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;

const SCENARIOS: &[(&str, &str)] = &[
    ("honest", "operator"),
    ("fraud", "challenger"),
    ("no-assert", "challenger"),
    ("early-payout", "operator"),
    ("equivocate", "challenger"),
    ("unchallenged", "operator"),
    ("tamper", "operator"),
];

const SHA_ABC: &str = "61626380000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018";
const SHA_IV: &str = "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19";

fn zkm() -> Command {
    Command::cargo_bin("zkm").unwrap()
}

fn shared(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/circuits")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipping {name}: {} is absent (CI has ../shared beside the checkout)",
            p.display()
        );
        None
    }
}

fn setup(dir: &Path, circuit: &str, inputs: &[&str], extra: &[&str]) {
    let mut cmd = zkm();
    cmd.args([
        "challenge",
        "setup",
        "--circuit",
        circuit,
        "--seed",
        "01",
        "-o",
    ])
    .arg(dir);
    for i in inputs {
        cmd.args(["--input", i]);
    }
    cmd.args(extra).assert().success();
}

fn sign(dir: &Path, extra: &[&str]) {
    zkm()
        .args(["challenge", "sign"])
        .arg(dir)
        .args(extra)
        .assert()
        .success();
}

/// Plays a scenario and returns its JSON report.
fn simulate(dir: &Path, scenario: &str) -> serde_json::Value {
    let report = dir.join(format!("{}.json", scenario.replace(':', "-")));
    zkm()
        .args(["challenge", "simulate"])
        .arg(dir)
        .args(["--scenario", scenario, "--report"])
        .arg(&report)
        .assert()
        .success();
    serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
}

fn play_all(circuit: &str, inputs: &[&str], claim: &str, extra_scenarios: &[(&str, &str)]) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("game");
    setup(&dir, circuit, inputs, &[]);
    let graph: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("graph.json")).unwrap()).unwrap();
    assert_eq!(graph["claim"]["outputs"][0], claim, "{circuit}");
    sign(&dir, &[]);
    for (scenario, winner) in SCENARIOS.iter().chain(extra_scenarios) {
        let r = simulate(&dir, scenario);
        assert_eq!(r["winner"], *winner, "{circuit} {scenario}");
        assert_eq!(r["ok"], true, "{circuit} {scenario}: {}", r["failures"]);
        assert!(r["inputs_verified"].as_u64().unwrap() > 0);
        for s in r["steps"].as_array().unwrap() {
            assert_eq!(s["as_intended"], true, "{circuit} {scenario}: {s}");
        }
    }
}

#[test]
fn every_scenario_gives_the_expected_winner_on_builtin_circuits() {
    play_all(
        "builtin:adder8",
        &["7f", "81"],
        "00",
        &[("fraud:5", "challenger")],
    );
    play_all("builtin:multiplier4", &["7", "b"], "d", &[]);
    play_all("builtin:comparator8", &["10", "20"], "1", &[]);
}

#[test]
fn every_scenario_gives_the_expected_winner_on_adder64() {
    let Some(c) = shared("adder64.txt") else {
        return;
    };
    play_all(
        c.to_str().unwrap(),
        &["0123456789abcdef", "1111111111111111"],
        "123456789abcdf00",
        &[("fraud:375", "challenger")],
    );
}

#[test]
fn every_scenario_gives_the_expected_winner_on_mult64() {
    let Some(c) = shared("mult64.txt") else {
        return;
    };
    play_all(
        c.to_str().unwrap(),
        &["0123456789abcdef", "fedcba9876543210"],
        "2236d88fe5618cf0",
        &[("fraud:13000", "challenger")],
    );
}

#[test]
fn every_scenario_gives_the_expected_winner_on_sha256() {
    let Some(c) = shared("sha256.txt") else {
        return;
    };
    play_all(
        c.to_str().unwrap(),
        &[SHA_ABC, SHA_IV],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        &[("fraud:0", "challenger"), ("fraud:135072", "challenger")],
    );
}

#[test]
fn builtin_sha256_plays_a_fraud_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sha");
    setup(&dir, "builtin:sha256", &[SHA_ABC, SHA_IV], &[]);
    sign(&dir, &[]);
    let r = simulate(&dir, "fraud:70000");
    assert_eq!(r["winner"], "challenger");
    assert!(
        r["assert_transactions"].as_u64().unwrap() > 1,
        "the commitments are split over several Assert transactions"
    );
}

#[test]
fn checksigadd_n_of_n_plays_like_musig2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:adder8", &["01", "02"], &["--signers", "4"]);
    let before = std::fs::read_to_string(dir.join("graph.json")).unwrap();
    sign(&dir, &["--n-of-n", "checksigadd"]);
    let after = std::fs::read_to_string(dir.join("graph.json")).unwrap();
    assert_ne!(
        before, after,
        "switching the n-of-n changes the scripts and txids"
    );
    assert!(after.contains("checksigadd"));
    for (scenario, winner) in [
        ("honest", "operator"),
        ("fraud:3", "challenger"),
        ("tamper", "operator"),
    ] {
        assert_eq!(simulate(&dir, scenario)["winner"], winner, "{scenario}");
    }
}

#[test]
fn keys_file_gives_the_same_graph_as_its_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    setup(&a, "builtin:adder8", &["01", "02"], &[]);
    let keys = tmp.path().join("keys.json");
    std::fs::copy(a.join("secrets.json"), &keys).unwrap();
    zkm()
        .args([
            "challenge",
            "setup",
            "--circuit",
            "builtin:adder8",
            "--input",
            "01",
            "--input",
            "02",
            "--keys",
        ])
        .arg(&keys)
        .arg("-o")
        .arg(&b)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(a.join("graph.json")).unwrap(),
        std::fs::read(b.join("graph.json")).unwrap()
    );
    sign(&b, &[]);
    assert_eq!(simulate(&b, "fraud:1")["winner"], "challenger");
}

#[test]
fn setup_with_a_seed_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for d in [&a, &b] {
        setup(d, "builtin:multiplier8", &["0f", "11"], &[]);
        sign(d, &[]);
    }
    for f in [
        "graph.json",
        "commitments.json",
        "signatures.json",
        "psbt/kickoff.psbt",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn psbts_and_raw_transactions_are_exported() {
    use bitcoin::consensus::encode::deserialize_hex;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:adder8", &["01", "02"], &[]);
    let unsigned =
        bitcoin::Psbt::deserialize(&std::fs::read(dir.join("psbt/kickoff.psbt")).unwrap()).unwrap();
    assert!(unsigned.inputs[0].tap_script_sigs.is_empty());
    assert!(unsigned.inputs[0].witness_utxo.is_some());
    sign(&dir, &[]);
    let signed =
        bitcoin::Psbt::deserialize(&std::fs::read(dir.join("psbt/kickoff.psbt")).unwrap()).unwrap();
    assert_eq!(signed.inputs[0].tap_script_sigs.len(), 1);
    // BIP371 outputs: each output's TapTree and internal key give its scriptPubKey.
    let secp = bitcoin::secp256k1::Secp256k1::new();
    for (out, txout) in signed.outputs.iter().zip(&signed.unsigned_tx.output) {
        let tree = out.tap_tree.clone().expect("kickoff outputs have TapTrees");
        use bitcoin::key::TapTweak;
        let (key, _) = out
            .tap_internal_key
            .unwrap()
            .tap_tweak(&secp, Some(tree.root_hash()));
        assert_eq!(
            bitcoin::ScriptBuf::new_p2tr_tweaked(key),
            txout.script_pubkey
        );
    }
    let challenge =
        bitcoin::Psbt::deserialize(&std::fs::read(dir.join("psbt/challenge.psbt")).unwrap())
            .unwrap();
    assert_eq!(
        challenge.inputs[0].sighash_type.unwrap().to_string(),
        "SIGHASH_SINGLE|SIGHASH_ANYONECANPAY"
    );
    simulate(&dir, "fraud:2");
    let raw = dir.join("raw/fraud-2");
    let mut names: Vec<_> = std::fs::read_dir(&raw)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.first().map(String::as_str), Some("01-deposit.hex"));
    assert!(
        names.iter().any(|n| n.ends_with("disprove-gate2.hex")),
        "{names:?}"
    );
    for n in names.iter().filter(|n| n.ends_with(".hex")) {
        let hex = std::fs::read_to_string(raw.join(n)).unwrap();
        let tx: bitcoin::Transaction = deserialize_hex(hex.trim()).unwrap();
        assert!(
            tx.input.iter().all(|i| !i.witness.is_empty()),
            "{n} is signed"
        );
    }
}

#[test]
fn inspect_reports_sizes_and_standardness() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:adder8", &["01", "02"], &[]);
    let out = zkm()
        .args(["challenge", "inspect", "--json"])
        .arg(&dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["final_taptree"]["leaves"],
        1 + (v["gates"].as_u64().unwrap() + 8) + v["committed_wires"].as_u64().unwrap()
    );
    assert!(v["op_success"].as_array().unwrap().is_empty());
    assert!(v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["standard"] == true));
    zkm()
        .args(["challenge", "inspect"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(contains("final TapTree"));
}

/// An edit of graph.json, and what it does.
type GraphEdit = (&'static str, fn(&mut serde_json::Value));

#[test]
fn graph_json_with_its_transaction_list_edited_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:adder8", &["01", "02"], &[]);
    let path = dir.join("graph.json");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let edits: Vec<GraphEdit> = vec![
        ("no transactions listed, claim changed", |g| {
            g["transactions"] = serde_json::json!([]);
            g["params"]["claimed_outputs"] = serde_json::json!(["ff"]);
        }),
        ("one transaction left off", |g| {
            g["transactions"].as_array_mut().unwrap().pop();
        }),
    ];
    for (what, edit) in edits {
        let mut g = original.clone();
        edit(&mut g);
        std::fs::write(&path, serde_json::to_string(&g).unwrap()).unwrap();
        for cmd in ["sign", "inspect"] {
            zkm()
                .args(["challenge", cmd])
                .arg(&dir)
                .assert()
                .code(67)
                .stderr(contains("graph.json lists"));
        }
        eprintln!("{what}: refused");
    }
}

#[test]
fn bad_input_fails_with_the_documented_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    setup(&good, "builtin:adder8", &["01", "02"], &[]);
    let keys = tmp.path().join("keys.json");
    std::fs::write(&keys, r#"{"signers": ["zz"], "operator": "", "challenger": "", "funder": "", "lamport_seed": ""}"#).unwrap();
    let broken = tmp.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("graph.json"), "{ not json").unwrap();
    let edited = tmp.path().join("edited");
    setup(&edited, "builtin:adder8", &["01", "02"], &[]);
    let comm = std::fs::read_to_string(edited.join("commitments.json")).unwrap();
    let first = &comm[3..43];
    std::fs::write(
        edited.join("commitments.json"),
        comm.replacen(first, &"0".repeat(40), 1),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let g = good.to_str().unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "setup",
                "--circuit",
                "/nonexistent/c.txt",
                "--input",
                "1",
                "-o",
                o,
            ],
            66,
            "cannot read",
        ),
        (
            vec!["setup", "--circuit", "builtin:divider8", "-o", o],
            64,
            "unknown builtin circuit",
        ),
        (
            vec![
                "setup",
                "--circuit",
                "builtin:adder8",
                "--input",
                "xyz",
                "--input",
                "1",
                "-o",
                o,
            ],
            67,
            "not a hex number",
        ),
        (
            vec![
                "setup",
                "--circuit",
                "builtin:adder8",
                "--input",
                "1",
                "-o",
                o,
            ],
            67,
            "takes 2 inputs",
        ),
        (
            vec![
                "setup",
                "--circuit",
                "builtin:adder8",
                "--input",
                "100",
                "--input",
                "1",
                "-o",
                o,
            ],
            67,
            "does not fit",
        ),
        (
            vec![
                "setup",
                "--circuit",
                "builtin:adder8",
                "--input",
                "1",
                "--input",
                "1",
                "--keys",
                keys.to_str().unwrap(),
                "-o",
                o,
            ],
            67,
            "not hex",
        ),
        (
            vec![
                "setup",
                "--circuit",
                "builtin:adder8",
                "--input",
                "1",
                "--input",
                "1",
                "--amount",
                "1000",
                "--seed",
                "01",
                "-o",
                o,
            ],
            64,
            "or more, or lower --fee-rate",
        ),
        (
            vec!["sign", broken.to_str().unwrap()],
            67,
            "graph.json is malformed",
        ),
        (vec!["sign", "/nonexistent/game"], 66, "not a directory"),
        (vec!["simulate", g], 66, "zkm challenge sign"),
        (
            vec!["simulate", g, "--scenario", "bribe"],
            64,
            "unknown scenario",
        ),
        (
            vec!["inspect", edited.to_str().unwrap()],
            67,
            "a file was edited",
        ),
    ];
    for (args, code, msg) in cases {
        zkm()
            .arg("challenge")
            .args(&args)
            .assert()
            .code(code)
            .stderr(contains(msg));
    }
    let bad_circuit = tmp.path().join("bad.txt");
    std::fs::write(&bad_circuit, "1 3\n1 2\n1 1\n\n2 1 0 9 2 XOR\n").unwrap();
    zkm()
        .args([
            "challenge",
            "setup",
            "--circuit",
            bad_circuit.to_str().unwrap(),
            "--input",
            "1",
            "-o",
            o,
        ])
        .assert()
        .code(67)
        .stderr(contains("before it is written"));
    sign(&good, &[]);
    zkm()
        .args(["challenge", "simulate", g, "--scenario", "fraud:99999"])
        .assert()
        .code(64)
        .stderr(contains("gates"));
    // A forged pre-signature: the kickoff is refused, so the game cannot end as intended.
    let path = good.join("signatures.json");
    let mut sigs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let kick = sigs["signatures"]["kickoff:0"][0]
        .as_str()
        .unwrap()
        .to_string();
    let forged = format!(
        "{}{}",
        if kick.starts_with('0') { "1" } else { "0" },
        &kick[1..]
    );
    sigs["signatures"]["kickoff:0"][0] = forged.into();
    std::fs::write(&path, sigs.to_string()).unwrap();
    zkm()
        .args(["challenge", "simulate", g, "--scenario", "unchallenged"])
        .assert()
        .code(105)
        .stderr(contains("did not end as the protocol intends"));
}

#[test]
fn exported_transactions_replay_on_a_fresh_chain() {
    use bitcoin::consensus::encode::deserialize_hex;
    use zkm::ocp::chain::{Chain, Reject};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:comparator8", &["10", "20"], &[]);
    sign(&dir, &[]);
    for scenario in [
        "honest",
        "fraud:7",
        "no-assert",
        "equivocate",
        "unchallenged",
    ] {
        let report = simulate(&dir, scenario);
        // What a regtest node would do: the two synthetic coins first, then every exported
        // transaction in order, mining blocks whenever a timelock asks for them.
        let mut chain = Chain::new();
        for c in report["synthetic_coins"].as_array().unwrap() {
            let out = bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(c["amount"].as_u64().unwrap()),
                script_pubkey: bitcoin::ScriptBuf::from_hex(c["script_pubkey"].as_str().unwrap())
                    .unwrap(),
            };
            chain.fund(c["outpoint"].as_str().unwrap().parse().unwrap(), out);
        }
        let raw = dir.join("raw").join(scenario.replace(':', "-"));
        let mut files: Vec<_> = std::fs::read_dir(&raw)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty());
        for f in &files {
            let tx: bitcoin::Transaction =
                deserialize_hex(std::fs::read_to_string(f).unwrap().trim()).unwrap();
            match chain.broadcast(&tx) {
                Ok(_) => {}
                Err(Reject::RelativeTimelock { height, tip, .. }) => {
                    chain.mine(height - tip - 1);
                    chain
                        .broadcast(&tx)
                        .unwrap_or_else(|e| panic!("{scenario} {}: {e}", f.display()));
                }
                Err(e) => panic!("{scenario} {}: {e}", f.display()),
            }
        }
        // Every input was checked by libbitcoinconsensus (some twice, when first too early).
        assert!(
            chain.inputs_verified
                >= files
                    .iter()
                    .map(|f| {
                        let tx: bitcoin::Transaction =
                            deserialize_hex(std::fs::read_to_string(f).unwrap().trim()).unwrap();
                        tx.input.len()
                    })
                    .sum::<usize>()
        );
    }
}
