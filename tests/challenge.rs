//! `zkm challenge` end to end: the real binary, every scenario, on claims made after the
//! graph is signed, on builtin circuits and on the shared Bristol files
//! (`../shared/circuits`, skipped with a message when absent).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;

/// The scenarios an honest claim plays, with who ends up with the deposit.
const HONEST: &[(&str, &str)] = &[
    ("honest", "operator"),
    ("no-assert", "depositor"),
    ("late-challenge", "operator"),
    ("unclosed-window", "operator"),
    ("early-payout", "operator"),
    ("equivocate", "depositor"),
    ("unchallenged", "operator"),
    ("refund", "depositor"),
    ("fee-bump", "operator"),
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

fn claim(dir: &Path, inputs: &[&str], lie: Option<&str>) {
    let mut cmd = zkm();
    cmd.args(["challenge", "claim"]).arg(dir);
    for i in inputs {
        cmd.args(["--input", i]);
    }
    if let Some(l) = lie {
        cmd.args(["--lie", l]);
    }
    cmd.assert().success();
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
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
    json(&report)
}

fn check(r: &serde_json::Value, winner: &str, what: &str) {
    assert_eq!(r["winner"], winner, "{what}");
    assert_eq!(r["ok"], true, "{what}: {}", r["failures"]);
    assert!(r["inputs_verified"].as_u64().unwrap() > 0);
    for s in r["steps"].as_array().unwrap() {
        assert_eq!(s["as_intended"], true, "{what}: {s}");
    }
}

/// A funding outpoint of its own for each graph: one keys file, distinct deposits.
fn funding(n: u8) -> String {
    format!("{}:0", hex::encode([n; 32]))
}

/// Every scenario of an honest claim, then a lie at `lie_gate` and one at a claimed input
/// bit, each on a graph of its own (a graph carries one claim).
fn play_all(circuit: &str, inputs: &[&str], claimed: &[&str], outputs: &str, lie_gate: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("honest");
    setup(&dir, circuit, inputs, &[]);
    sign(&dir, &[]);
    claim(&dir, claimed, None);
    assert_eq!(
        json(&dir.join("claim.json"))["outputs"][0],
        outputs,
        "{circuit}"
    );
    for (scenario, winner) in HONEST {
        check(
            &simulate(&dir, scenario),
            winner,
            &format!("{circuit} {scenario}"),
        );
    }
    for (n, lie) in [(1, lie_gate.to_string()), (2, "input:0".to_string())] {
        let d = tmp.path().join(format!("lie{n}"));
        setup(&d, circuit, inputs, &["--funding", &funding(n)]);
        sign(&d, &[]);
        claim(&d, claimed, Some(&lie));
        let r = simulate(&d, "fraud");
        check(&r, "depositor", &format!("{circuit} --lie {lie}"));
        assert!(r["holdings"]["watcher (disprove reward)"].as_u64().unwrap() > 0);
    }
}

#[test]
fn every_scenario_gives_the_expected_winner_on_builtin_circuits() {
    play_all("builtin:adder8", &["_", "81"], &["7f"], "00", 5);
    play_all("builtin:multiplier4", &["_", "_"], &["7", "b"], "d", 3);
    play_all("builtin:comparator8", &["10", "_"], &["20"], "1", 7);
}

#[test]
fn every_scenario_gives_the_expected_winner_on_adder64() {
    let Some(c) = shared("adder64.txt") else {
        return;
    };
    play_all(
        c.to_str().unwrap(),
        &["_", "_"],
        &["0123456789abcdef", "1111111111111111"],
        "123456789abcdf00",
        375,
    );
}

#[test]
fn every_scenario_gives_the_expected_winner_on_mult64() {
    let Some(c) = shared("mult64.txt") else {
        return;
    };
    play_all(
        c.to_str().unwrap(),
        &["_", "fedcba9876543210"],
        &["0123456789abcdef"],
        "2236d88fe5618cf0",
        13000,
    );
}

#[test]
fn every_scenario_gives_the_expected_winner_on_sha256() {
    let Some(c) = shared("sha256.txt") else {
        return;
    };
    play_all(
        c.to_str().unwrap(),
        &["_", SHA_IV],
        &[SHA_ABC],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        70000,
    );
}

#[test]
fn builtin_sha256_plays_a_fraud_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sha");
    setup(&dir, "builtin:sha256", &["_", "_"], &[]);
    sign(&dir, &[]);
    claim(&dir, &[SHA_ABC, SHA_IV], Some("135000"));
    let r = simulate(&dir, "fraud");
    check(&r, "depositor", "builtin:sha256 --lie 135000");
    assert!(
        r["assert_transactions"].as_u64().unwrap() > 1,
        "the commitments are split over several Assert transactions"
    );
}

#[test]
fn a_graph_carries_one_claim() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:adder8", &["_", "_"], &[]);
    zkm()
        .args(["challenge", "claim"])
        .arg(&dir)
        .args(["--input", "01", "--input", "02"])
        .assert()
        .code(66)
        .stderr(contains("zkm challenge sign"));
    sign(&dir, &[]);
    let signatures = std::fs::read(dir.join("signatures.json")).unwrap();
    claim(&dir, &["01", "02"], None);
    // The claim is made on the signed graph and changes none of it.
    assert_eq!(
        std::fs::read(dir.join("signatures.json")).unwrap(),
        signatures
    );
    let kickoff: bitcoin::Transaction = bitcoin::consensus::encode::deserialize_hex(
        std::fs::read_to_string(dir.join("raw/kickoff.hex"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let graph = json(&dir.join("graph.json"));
    let listed = graph["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "kickoff")
        .unwrap()["txid"]
        .clone();
    assert_eq!(listed, kickoff.compute_txid().to_string());
    // A second claim would open some wires to both values: refused.
    zkm()
        .args(["challenge", "claim"])
        .arg(&dir)
        .args(["--input", "03", "--input", "04"])
        .assert()
        .code(64)
        .stderr(contains("already carries a claim"));
    assert_eq!(json(&dir.join("claim.json"))["inputs"][0], "01");
}

#[test]
fn three_signers_with_only_their_own_keys_sign_the_same_graph_as_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, three) = (tmp.path().join("one"), tmp.path().join("three"));
    for d in [&one, &three] {
        setup(d, "builtin:adder8", &["_", "81"], &[]);
    }
    sign(&one, &[]);
    // Each signer keeps only its own key file, outside the shared directory.
    let keys: Vec<PathBuf> = (0..3)
        .map(|i| {
            let k = tmp.path().join(format!("signer-{i}.json"));
            std::fs::rename(three.join(format!("secrets/signer-{i}.json")), &k).unwrap();
            k
        })
        .collect();
    let all_keys = tmp.path().join("secrets.json");
    std::fs::rename(three.join("secrets.json"), &all_keys).unwrap();
    let round = |i: usize, r: &str| {
        zkm()
            .args(["challenge", "sign"])
            .arg(&three)
            .args(["--signer", &i.to_string(), "--round", r, "--key"])
            .arg(&keys[i])
            .assert()
    };
    // Partial signatures before every nonce is in are refused.
    round(0, "nonces").success();
    round(0, "partial")
        .code(66)
        .stderr(contains("signer 1 has not"));
    for i in 0..3 {
        round(i, "nonces").success();
    }
    // Signer 1 with signer 0's key is refused, before its nonces are touched.
    zkm()
        .args(["challenge", "sign"])
        .arg(&three)
        .args(["--signer", "1", "--round", "partial", "--key"])
        .arg(&keys[0])
        .assert()
        .code(64)
        .stderr(contains("is signer 0's key"));
    for (i, k) in keys.iter().enumerate() {
        let nonces = k.with_extension("nonces.json");
        assert!(nonces.exists(), "secret nonces are kept beside the key");
        round(i, "partial")
            .success()
            .stderr(contains("delete your key"));
        assert!(!nonces.exists(), "secret nonces are deleted once used");
    }
    // The secret nonces are gone: a second partial round is refused.
    round(2, "partial")
        .code(66)
        .stderr(contains("--round nonces"));
    zkm()
        .args(["challenge", "sign"])
        .arg(&three)
        .arg("--aggregate")
        .assert()
        .success();
    assert_eq!(
        std::fs::read(one.join("signatures.json")).unwrap(),
        std::fs::read(three.join("signatures.json")).unwrap()
    );
    assert_eq!(
        std::fs::read(one.join("psbt/kickoff.psbt")).unwrap(),
        std::fs::read(three.join("psbt/kickoff.psbt")).unwrap()
    );
    // The operator claims with its key, and the game plays.
    std::fs::rename(&all_keys, three.join("secrets.json")).unwrap();
    claim(&three, &["7f"], None);
    check(&simulate(&three, "honest"), "operator", "three signers");
}

#[test]
fn a_signer_refuses_a_graph_it_should_not_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:adder8", &["_", "81"], &[]);
    // The audit passes and is listed with -v.
    zkm()
        .args(["-v", "challenge", "sign"])
        .arg(&dir)
        .args(["--signer", "0", "--round", "nonces"])
        .assert()
        .success()
        .stderr(contains("[ok] every one of the"))
        .stderr(contains("[ok] every pre-signed transaction relays"));
    // An edited graph is rebuilt from its parameters and refused before any round.
    let path = dir.join("graph.json");
    let mut g = json(&path);
    g["params"]["challenge_fee"] = 100.into();
    std::fs::write(&path, g.to_string()).unwrap();
    zkm()
        .args(["challenge", "sign"])
        .arg(&dir)
        .args(["--signer", "0", "--round", "nonces"])
        .assert()
        .code(67)
        .stderr(contains("dust"));
}

#[test]
fn checksigadd_n_of_n_plays_like_musig2() {
    let tmp = tempfile::tempdir().unwrap();
    for (n, lie) in [(1u8, None), (2, Some("3"))] {
        let dir = tmp.path().join(format!("g{n}"));
        setup(
            &dir,
            "builtin:adder8",
            &["_", "02"],
            &["--signers", "4", "--funding", &funding(n)],
        );
        let before = std::fs::read_to_string(dir.join("graph.json")).unwrap();
        sign(&dir, &["--n-of-n", "checksigadd"]);
        let after = std::fs::read_to_string(dir.join("graph.json")).unwrap();
        assert_ne!(
            before, after,
            "switching the n-of-n changes the scripts and txids"
        );
        assert!(after.contains("checksigadd"));
        claim(&dir, &["01"], lie);
        let scenarios: &[(&str, &str)] = if lie.is_some() {
            &[("fraud", "depositor")]
        } else {
            &[
                ("honest", "operator"),
                ("tamper", "operator"),
                ("fee-bump", "operator"),
            ]
        };
        for (scenario, winner) in scenarios {
            check(&simulate(&dir, scenario), winner, scenario);
        }
    }
}

#[test]
fn keys_file_gives_the_same_graph_as_its_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    setup(&a, "builtin:adder8", &["_", "02"], &[]);
    let keys = tmp.path().join("keys.json");
    std::fs::copy(a.join("secrets.json"), &keys).unwrap();
    zkm()
        .args([
            "challenge",
            "setup",
            "--circuit",
            "builtin:adder8",
            "--input",
            "_",
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
    // The same keys file for another deposit: another graph id, no shared commitment.
    let c = tmp.path().join("c");
    zkm()
        .args(["challenge", "setup", "--circuit", "builtin:adder8"])
        .args(["--input", "_", "--input", "02", "--keys"])
        .arg(&keys)
        .args(["--funding", &funding(9), "-o"])
        .arg(&c)
        .assert()
        .success();
    assert_ne!(
        json(&a.join("graph.json"))["graph_id"],
        json(&c.join("graph.json"))["graph_id"]
    );
    let pairs = |d: &Path| -> std::collections::HashSet<String> {
        json(&d.join("commitments.json"))
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    assert!(pairs(&a).is_disjoint(&pairs(&c)));
    sign(&b, &[]);
    claim(&b, &["01"], Some("1"));
    check(&simulate(&b, "fraud"), "depositor", "keys file");
}

#[test]
fn setup_with_a_seed_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for d in [&a, &b] {
        setup(d, "builtin:multiplier8", &["0f", "_"], &[]);
        sign(d, &[]);
        claim(d, &["11"], None);
    }
    for f in [
        "graph.json",
        "commitments.json",
        "signatures.json",
        "claim.json",
        "raw/kickoff.hex",
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
    setup(&dir, "builtin:adder8", &["_", "02"], &[]);
    let unsigned =
        bitcoin::Psbt::deserialize(&std::fs::read(dir.join("psbt/kickoff.psbt")).unwrap()).unwrap();
    assert!(unsigned.inputs[0].tap_script_sigs.is_empty());
    assert!(unsigned.inputs[0].witness_utxo.is_some());
    sign(&dir, &[]);
    let signed =
        bitcoin::Psbt::deserialize(&std::fs::read(dir.join("psbt/kickoff.psbt")).unwrap()).unwrap();
    assert_eq!(signed.inputs[0].tap_script_sigs.len(), 1);
    // The stake is the operator's own key-path input, signed when it claims.
    assert_eq!(
        signed
            .inputs
            .last()
            .unwrap()
            .tap_internal_key
            .unwrap()
            .to_string(),
        json(&dir.join("graph.json"))["keys"]["operator"]
            .as_str()
            .unwrap()
    );
    // BIP371 outputs: each TapTree output's internal key and tree give its scriptPubKey.
    let secp = bitcoin::secp256k1::Secp256k1::new();
    for (out, txout) in signed.outputs.iter().zip(&signed.unsigned_tx.output) {
        let Some(tree) = out.tap_tree.clone() else {
            continue; // the anchor: a key-path output
        };
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
    let psbt = |n: &str| {
        bitcoin::Psbt::deserialize(&std::fs::read(dir.join(format!("psbt/{n}.psbt"))).unwrap())
            .unwrap()
    };
    assert_eq!(
        psbt("challenge").inputs[0]
            .sighash_type
            .unwrap()
            .to_string(),
        "SIGHASH_SINGLE|SIGHASH_ANYONECANPAY"
    );
    assert_eq!(
        psbt("disprove").inputs[0].sighash_type.unwrap().to_string(),
        "SIGHASH_SINGLE"
    );
    assert_eq!(psbt("challenge").unsigned_tx.version.0, 3);
    claim(&dir, &["01"], Some("2"));
    simulate(&dir, "fraud");
    let raw = dir.join("raw/fraud");
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
    setup(&dir, "builtin:adder8", &["_", "02"], &[]);
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
        v["disprove_connector"]["leaves"],
        1 + v["gates"].as_u64().unwrap() + v["committed_wires"].as_u64().unwrap()
    );
    assert_eq!(v["claimed_wires"], 16);
    assert!(v["op_success"].as_array().unwrap().is_empty());
    for t in v["transactions"].as_array().unwrap() {
        assert_eq!(t["standard"], true, "{t}");
        assert_eq!(t["version"], 3, "{t}: small graphs are TRUC throughout");
    }
    let text = zkm()
        .args(["challenge", "inspect"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(contains("disprove connector"))
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.ends_with("no leaf has an OP_SUCCESS opcode\n"),
        "{text}"
    );
}

/// An edit of graph.json, and what it does.
type GraphEdit = (&'static str, fn(&mut serde_json::Value));

#[test]
fn graph_json_with_its_transaction_list_edited_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    setup(&dir, "builtin:adder8", &["_", "02"], &[]);
    let path = dir.join("graph.json");
    let original = json(&path);
    let edits: Vec<GraphEdit> = vec![
        ("no transactions listed", |g| {
            g["transactions"] = serde_json::json!([]);
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
    setup(&good, "builtin:adder8", &["_", "02"], &[]);
    let keys = tmp.path().join("keys.json");
    std::fs::write(&keys, r#"{"signers": ["zz"], "operator": "", "challenger": "", "funder": "", "lamport_seed": ""}"#).unwrap();
    let broken = tmp.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("graph.json"), "{ not json").unwrap();
    let edited = tmp.path().join("edited");
    setup(&edited, "builtin:adder8", &["_", "02"], &[]);
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
    let setup_with = |extra: &[&'static str]| -> Vec<&str> {
        let mut v = vec![
            "setup",
            "--circuit",
            "builtin:adder8",
            "--seed",
            "01",
            "-o",
            o,
        ];
        v.extend(extra);
        v
    };
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
            setup_with(&["--input", "xyz", "--input", "1"]),
            67,
            "not a hex number",
        ),
        (
            setup_with(&["--input", "1"]),
            67,
            "pass one --input per input",
        ),
        (
            setup_with(&["--input", "100", "--input", "_"]),
            67,
            "does not fit",
        ),
        (
            vec![
                "setup",
                "--circuit",
                "builtin:adder8",
                "--input",
                "_",
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
            setup_with(&["--input", "_", "--input", "1", "--challenge-fee", "100"]),
            64,
            "below the 330-sat P2TR dust limit",
        ),
        (
            setup_with(&["--input", "_", "--input", "1", "--challenge-fee", "0"]),
            64,
            "--challenge-fee 330 or more",
        ),
        (
            setup_with(&[
                "--input", "_", "--input", "1", "--stake", "1000", "--reward", "500",
            ]),
            64,
            "or more, or lower --fee-rate",
        ),
        (
            setup_with(&["--input", "_", "--input", "1", "--reward", "10"]),
            64,
            "cannot pay for the heaviest disprove",
        ),
        (
            setup_with(&["--input", "_", "--input", "1", "--refund-after", "10"]),
            64,
            "--refund-after 10 must be more than",
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
            vec!["simulate", g, "--scenario", "fraud:3"],
            64,
            "--lie GATE",
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
            "_",
            "-o",
            o,
        ])
        .assert()
        .code(67)
        .stderr(contains("before it is written"));
    sign(&good, &[]);
    for (args, msg) in [
        (vec!["simulate", g, "--scenario", "honest"], "has none yet"),
        (
            vec!["claim", g, "--input", "01", "--input", "02"],
            "leaves 1 of its 2 inputs",
        ),
        (
            vec!["claim", g, "--input", "01", "--lie", "99999"],
            "the circuit has 44 gates",
        ),
        (
            vec!["claim", g, "--input", "01", "--lie", "input:8"],
            "has 8 input bits",
        ),
        (
            vec!["claim", g, "--input", "01", "--lie", "most"],
            "give a gate number",
        ),
    ] {
        zkm()
            .arg("challenge")
            .args(&args)
            .assert()
            .code(64)
            .stderr(contains(msg));
    }
    claim(&good, &["01"], None);
    zkm()
        .args(["challenge", "simulate", g, "--scenario", "fraud"])
        .assert()
        .code(64)
        .stderr(contains("needs a lying claim"));
    // A forged pre-signature: the kickoff is refused, so the game cannot end as intended.
    let path = good.join("signatures.json");
    let mut sigs = json(&path);
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
    // An edited claim is refused.
    let cpath = good.join("claim.json");
    let mut c = json(&cpath);
    c["outputs"][0] = "ff".into();
    std::fs::write(&cpath, c.to_string()).unwrap();
    zkm()
        .args(["challenge", "simulate", g, "--scenario", "honest"])
        .assert()
        .code(67)
        .stderr(contains("it was edited"));
}

#[test]
fn exported_transactions_replay_on_a_fresh_chain() {
    use bitcoin::consensus::encode::deserialize_hex;
    use zkm::ocp::chain::{Chain, Reject};
    let tmp = tempfile::tempdir().unwrap();
    for (n, lie, scenarios) in [
        (
            1u8,
            None,
            &[
                "honest",
                "no-assert",
                "equivocate",
                "unchallenged",
                "refund",
                "late-challenge",
            ][..],
        ),
        (2, Some("7"), &["fraud"][..]),
    ] {
        let dir = tmp.path().join(format!("g{n}"));
        setup(
            &dir,
            "builtin:comparator8",
            &["10", "_"],
            &["--funding", &funding(n)],
        );
        sign(&dir, &[]);
        claim(&dir, &["20"], lie);
        for scenario in scenarios {
            let report = simulate(&dir, scenario);
            // What a regtest node would do: the synthetic coins first, then every exported
            // transaction in order, mining blocks whenever a timelock asks for them.
            let mut chain = Chain::new();
            for c in report["synthetic_coins"].as_array().unwrap() {
                let out = bitcoin::TxOut {
                    value: bitcoin::Amount::from_sat(c["amount"].as_u64().unwrap()),
                    script_pubkey: bitcoin::ScriptBuf::from_hex(
                        c["script_pubkey"].as_str().unwrap(),
                    )
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
            let mut inputs = 0;
            for f in &files {
                let tx: bitcoin::Transaction =
                    deserialize_hex(std::fs::read_to_string(f).unwrap().trim()).unwrap();
                inputs += tx.input.len();
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
            assert!(chain.inputs_verified >= inputs, "{scenario}");
        }
    }
}
