//! The game directory: what `setup` writes and `sign`, `simulate` and `inspect` read.
//!
//! - `graph.json`: parameters, public keys, timelocks, every transaction (txid, inputs with
//!   leaf and sighash, outputs with amounts and TapTree leaves), the final TapTree.
//! - `circuit.txt`: the circuit in Bristol Fashion; `commitments.json`: the wire commitments.
//! - `psbt/NAME.psbt`: one BIP174/BIP371 PSBT per transaction, with signatures after `sign`.
//! - `secrets.json`: every secret key (local testing only), and `secrets/signer-I.json`, each
//!   signer's own key, for the per-signer flow; `signatures.json` after `sign`.
//! - `rounds/nonces-I.json`, `rounds/partial-I.json`: the per-signer signing rounds.
//! - `claim.json` and `raw/kickoff.hex` after `claim`: the one claim this graph carries.
//! - `raw/SCENARIO/NN-NAME.hex` after `simulate`: each mined transaction, signed.

use std::path::{Path, PathBuf};

use bitcoin::hashes::Hash;
use bitcoin::psbt::{Psbt, PsbtSighashType};
use bitcoin::taproot::LeafVersion;
use bitcoin::{Address, Network};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::bristol::Circuit;
use super::claim::{Claim, ClaimFile};
use super::commit::{LamportSecret, WireCommitment};
use super::game::Report;
use super::graph::{self, Graph, NofNMode, Params, Setup, Signer};
use super::keys::{Keys, PublicKeys};
use super::sign::{NonceRound, PartialRound, SecretNonces, Signatures};
use super::OcpError;

pub const GRAPH: &str = "graph.json";
pub const CIRCUIT: &str = "circuit.txt";
pub const COMMITMENTS: &str = "commitments.json";
pub const SECRETS: &str = "secrets.json";
pub const SIGNATURES: &str = "signatures.json";
pub const CLAIM: &str = "claim.json";
pub const FORMAT: &str = "zkm-ocp-graph/2";
/// Scripts longer than this are left out of graph.json (they are in the PSBTs).
const INLINE_SCRIPT_MAX: usize = 2_000;

#[derive(Serialize, Deserialize)]
struct GraphHeader {
    format: String,
    params: Params,
    keys: PublicKeys,
    transactions: Vec<TxHeader>,
}

#[derive(Serialize, Deserialize)]
struct TxHeader {
    name: String,
    txid: String,
}

fn read(dir: &Path, name: &str, hint: &str) -> Result<String, OcpError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|source| OcpError::Missing {
        path: path.display().to_string(),
        source,
        hint: hint.to_string(),
    })
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), OcpError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| OcpError::Write {
            path: parent.display().to_string(),
            source,
        })?;
    }
    std::fs::write(path, bytes).map_err(|source| OcpError::Write {
        path: path.display().to_string(),
        source,
    })
}

fn bad(file: &str, e: impl std::fmt::Display) -> OcpError {
    OcpError::Data(format!(
        "{file} is malformed: {e}\n  hint: re-run `zkm challenge setup` to write it again"
    ))
}

/// Derives the operator's one-time commitments for this graph and builds it. With
/// `auto_challenge_fee`, the challenge fee is set to what a challenge costs an honest
/// operator (the Assert and payout fees), whatever `params.challenge_fee` says.
pub fn new_setup(
    mut params: Params,
    circuit: Circuit,
    keys: &Keys,
    auto_challenge_fee: bool,
) -> Result<Graph, OcpError> {
    let wires = |params: &Params| -> Result<Vec<u32>, OcpError> {
        Ok(graph::committed_wires(
            &graph::constant_bits(params, &circuit)?,
            &circuit,
        ))
    };
    if auto_challenge_fee {
        // Sizes, and so fees, do not depend on the commitments' values.
        params.challenge_fee = graph::CONNECTOR_SATS;
        let dummy = vec![
            WireCommitment {
                hashes: [bitcoin::hashes::hash160::Hash::all_zeros(); 2]
            };
            wires(&params)?.len()
        ];
        let sized = Graph::build_for_sizes(Setup {
            params: params.clone(),
            keys: keys.public(),
            circuit: circuit.clone(),
            commitments: dummy,
        })?;
        params.challenge_fee = sized.assert_cost().max(graph::CONNECTOR_SATS);
    }
    let id = graph::graph_id(&params, &circuit, &keys.public());
    let lamport = LamportSecret::for_graph(&keys.lamport_seed, &id);
    let commitments = wires(&params)?
        .into_iter()
        .map(|w| lamport.commitment(w))
        .collect();
    Graph::build(Setup {
        params,
        keys: keys.public(),
        circuit,
        commitments,
    })
}

/// Writes a fresh game directory.
pub fn write_setup(dir: &Path, g: &Graph, keys: &Keys) -> Result<(), OcpError> {
    write(&dir.join(CIRCUIT), g.setup.circuit.to_bristol())?;
    let comm: Vec<[String; 2]> = g
        .setup
        .commitments
        .iter()
        .map(|c| [c.hashes[0].to_string(), c.hashes[1].to_string()])
        .collect();
    write(
        &dir.join(COMMITMENTS),
        serde_json::to_string(&comm).map_err(|e| bad(COMMITMENTS, e))?,
    )?;
    write(&dir.join(SECRETS), keys.to_json())?;
    for i in 0..keys.signers.len() {
        write(
            &signer_key_path(dir, i),
            serde_json::to_string_pretty(&SignerKeyFile::of(keys, i))
                .map_err(|e| bad(SECRETS, e))?,
        )?;
    }
    // Nothing of an earlier game may survive: its signatures, rounds, claim and exports
    // are for other txids.
    let _ = std::fs::remove_file(dir.join(SIGNATURES));
    let _ = std::fs::remove_file(dir.join(CLAIM));
    let _ = std::fs::remove_dir_all(dir.join("raw"));
    let _ = std::fs::remove_dir_all(dir.join("rounds"));
    write(
        &dir.join(GRAPH),
        serde_json::to_string_pretty(&graph_json(g)).map_err(|e| bad(GRAPH, e))?,
    )?;
    write_psbts(dir, g, None)
}

/// Reads a game directory and rebuilds its graph, checking it against graph.json.
pub fn load(dir: &Path) -> Result<Graph, OcpError> {
    if !dir.is_dir() {
        return Err(OcpError::Missing {
            path: dir.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            hint: "give the directory `zkm challenge setup -o DIR` wrote".into(),
        });
    }
    let hint = "run `zkm challenge setup -o DIR` first";
    let header: GraphHeader =
        serde_json::from_str(&read(dir, GRAPH, hint)?).map_err(|e| bad(GRAPH, e))?;
    if header.format != FORMAT {
        return Err(bad(GRAPH, format!("unknown format `{}`", header.format)));
    }
    let circuit = Circuit::parse(&read(dir, CIRCUIT, hint)?)?;
    let comm: Vec<[String; 2]> =
        serde_json::from_str(&read(dir, COMMITMENTS, hint)?).map_err(|e| bad(COMMITMENTS, e))?;
    let commitments = comm
        .iter()
        .map(|[a, b]| {
            Ok(WireCommitment {
                hashes: [
                    a.parse().map_err(|e| bad(COMMITMENTS, e))?,
                    b.parse().map_err(|e| bad(COMMITMENTS, e))?,
                ],
            })
        })
        .collect::<Result<Vec<_>, OcpError>>()?;
    let g = Graph::build(Setup {
        params: header.params,
        keys: header.keys,
        circuit,
        commitments,
    })
    .map_err(|e| match e {
        OcpError::Usage(m) => bad(GRAPH, m),
        e => e,
    })?;
    // The listed names must be exactly the graph's: an edited list must not skip the check.
    let listed: Vec<&str> = header
        .transactions
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    let built: Vec<&str> = g.txs.iter().map(|t| t.name.as_str()).collect();
    if listed != built {
        return Err(OcpError::Data(format!(
            "graph.json lists {} transactions ({}), but its parameters, circuit.txt and commitments.json give {} ({})\n  hint: a file was edited; re-run `zkm challenge setup`",
            listed.len(),
            listed.join(", "),
            built.len(),
            built.join(", ")
        )));
    }
    for t in &header.transactions {
        let ours = g.tx(&t.name).map(|x| x.txid().to_string());
        if ours.as_deref() != Some(t.txid.as_str()) {
            return Err(OcpError::Data(format!(
                "graph.json says {} has txid {}, but its parameters, circuit.txt and commitments.json give {}\n  hint: a file was edited; re-run `zkm challenge setup`",
                t.name,
                t.txid,
                ours.unwrap_or_else(|| "no such transaction".into())
            )));
        }
    }
    Ok(g)
}

pub fn load_keys(dir: &Path) -> Result<Keys, OcpError> {
    Keys::from_json(&read(
        dir,
        SECRETS,
        "secrets.json holds the local keys `zkm challenge setup` made",
    )?)
}

pub fn load_signatures(g: &Graph, dir: &Path) -> Result<Signatures, OcpError> {
    let s: Signatures = serde_json::from_str(&read(
        dir,
        SIGNATURES,
        "run `zkm challenge sign DIR` first",
    )?)
    .map_err(|e| bad(SIGNATURES, e))?;
    if s.mode != Some(g.setup.params.n_of_n) {
        return Err(OcpError::Data(
            "signatures.json was made for another n-of-n mode; run `zkm challenge sign DIR` again"
                .into(),
        ));
    }
    for tx in &g.txs {
        if s.txids.get(&tx.name) != Some(&tx.txid().to_string()) {
            return Err(OcpError::Data(format!(
                "signatures.json does not sign this graph's {}; run `zkm challenge sign DIR` again",
                tx.name
            )));
        }
    }
    Ok(s)
}

/// Writes the signatures and the signed PSBTs.
pub fn write_signed(dir: &Path, g: &Graph, sigs: &Signatures) -> Result<(), OcpError> {
    write(
        &dir.join(SIGNATURES),
        serde_json::to_string_pretty(sigs).map_err(|e| bad(SIGNATURES, e))?,
    )?;
    write_psbts(dir, g, Some(sigs))
}

/// Rewrites graph.json (after switching the n-of-n mode).
pub fn write_graph(dir: &Path, g: &Graph) -> Result<(), OcpError> {
    write(
        &dir.join(GRAPH),
        serde_json::to_string_pretty(&graph_json(g)).map_err(|e| bad(GRAPH, e))?,
    )
}

fn write_psbts(dir: &Path, g: &Graph, sigs: Option<&Signatures>) -> Result<(), OcpError> {
    let pdir = dir.join("psbt");
    let _ = std::fs::remove_dir_all(&pdir);
    for gtx in &g.txs {
        let mut psbt = Psbt::from_unsigned_tx(gtx.tx.clone())
            .map_err(|e| OcpError::Data(format!("PSBT for {}: {e}", gtx.name)))?;
        for (i, (input, spend)) in psbt.inputs.iter_mut().zip(&gtx.spends).enumerate() {
            input.witness_utxo = Some(gtx.prevouts[i].clone());
            input.sighash_type = Some(PsbtSighashType::from(spend.sighash));
            match &spend.leaf {
                Some((script, cb)) => {
                    input.tap_internal_key = Some(cb.internal_key);
                    input
                        .tap_scripts
                        .insert(cb.clone(), (script.clone(), LeafVersion::TapScript));
                    if let (Some(sigs), Signer::NofN | Signer::NofNAndOperator) =
                        (sigs, spend.signer)
                    {
                        let keys: Vec<_> = match &g.nofn {
                            super::script::NofN::Musig2(k) => vec![*k],
                            super::script::NofN::CheckSigAdd(ks) => ks.clone(),
                        };
                        let leaf = spend.leaf_hash().expect("script path");
                        for (k, s) in keys.iter().zip(sigs.get(&gtx.name, i)?) {
                            let sig = bitcoin::taproot::Signature::from_slice(&s).map_err(|e| {
                                OcpError::Data(format!("signature {}:{i}: {e}", gtx.name))
                            })?;
                            input.tap_script_sigs.insert((*k, leaf), sig);
                        }
                    }
                }
                None => {
                    input.tap_internal_key = Some(if spend.signer == Signer::Operator {
                        g.setup.keys.operator
                    } else {
                        g.setup.keys.funder
                    })
                }
            }
        }
        for (out, o) in psbt.outputs.iter_mut().zip(&gtx.tx.output) {
            if let Some(scripts) = g.output_scripts.get(&o.script_pubkey) {
                out.tap_internal_key = Some(super::taptree::nums_key());
                out.tap_tree = super::taptree::psbt_tree(scripts);
            } else if o.script_pubkey == g.final_tree.script_pubkey() {
                // Hundreds of thousands of leaves: graph.json describes this tree.
                out.tap_internal_key = Some(super::taptree::nums_key());
            } else if o.script_pubkey == g.operator_spk {
                out.tap_internal_key = Some(g.setup.keys.operator);
            } else if o.script_pubkey == g.challenger_spk {
                out.tap_internal_key = Some(g.setup.keys.challenger);
            } else if o.script_pubkey == g.funder_spk {
                out.tap_internal_key = Some(g.setup.keys.funder);
            }
        }
        write(&pdir.join(format!("{}.psbt", gtx.name)), psbt.serialize())?;
    }
    Ok(())
}

/// Writes each accepted transaction of a report as hex, numbered in mining order, for
/// `bitcoin-cli testmempoolaccept` / `sendrawtransaction`. Returns the folder.
pub fn write_raw(dir: &Path, report: &Report) -> Result<PathBuf, OcpError> {
    let rdir = dir.join("raw").join(report.scenario.replace(':', "-"));
    let _ = std::fs::remove_dir_all(&rdir);
    let raw = super::game::raw_transactions(report);
    for (i, (name, hex)) in raw.iter().enumerate() {
        write(
            &rdir.join(format!("{:02}-{name}.hex", i + 1)),
            format!("{hex}\n"),
        )?;
    }
    Ok(rdir)
}

fn graph_json(g: &Graph) -> serde_json::Value {
    let c = &g.setup.circuit;
    let txs: Vec<serde_json::Value> = g
        .txs
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "txid": t.txid().to_string(),
                "weight": t.weight.to_wu(),
                "vsize": t.weight.to_vbytes_ceil(),
                "fee": t.fee,
                "version": t.tx.version.0,
                "completed_by": t.completion,
                "inputs": t.tx.input.iter().zip(&t.spends).zip(&t.prevouts).map(|((i, s), p)| {
                    let (script, leaf_hash, control) = match &s.leaf {
                        Some((sc, cb)) => (
                            if sc.len() <= INLINE_SCRIPT_MAX { json!(sc.to_hex_string()) } else { json!(format!("{} bytes, in psbt/{}.psbt", sc.len(), t.name)) },
                            json!(s.leaf_hash().map(|h| h.to_string())),
                            json!(hex::encode(cb.serialize())),
                        ),
                        None => (json!(null), json!(null), json!(null)),
                    };
                    json!({
                        "prevout": i.previous_output.to_string(),
                        "amount": p.value.to_sat(),
                        "sequence": i.sequence.0,
                        "spend": s.what,
                        "signer": s.signer,
                        "sighash": s.sighash.to_string(),
                        "leaf_script": script,
                        "script_bytes": s.leaf.as_ref().map(|(sc, _)| sc.len()),
                        "leaf_hash": leaf_hash,
                        "control_block": control,
                        "opens_wires": s.opens.len(),
                    })
                }).collect::<Vec<_>>(),
                "outputs": t.tx.output.iter().zip(&t.outputs).map(|(o, r)| json!({
                    "amount": o.value.to_sat(),
                    "script_pubkey": o.script_pubkey.to_hex_string(),
                    "role": r.role,
                    "leaves": r.leaves,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let nofn = match &g.nofn {
        super::script::NofN::Musig2(k) => json!({"mode": "musig2", "aggregate_key": k.to_string()}),
        super::script::NofN::CheckSigAdd(ks) => {
            json!({"mode": "checksigadd", "keys": ks.iter().map(|k| k.to_string()).collect::<Vec<_>>()})
        }
    };
    let funder_addr = Address::from_script(&g.funder_spk, Network::Regtest)
        .map(|a| a.to_string())
        .unwrap_or_default();
    let challenger_addr = Address::from_script(&g.challenger_spk, Network::Regtest)
        .map(|a| a.to_string())
        .unwrap_or_default();
    json!({
        "format": FORMAT,
        "params": g.setup.params,
        "keys": g.setup.keys,
        "n_of_n": nofn,
        "circuit": {
            "source": g.setup.params.circuit,
            "gates": c.gates.len(),
            "wires": c.nwires,
            "inputs": c.inputs,
            "outputs": c.outputs,
            "gate_counts": c.gate_counts().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        },
        "graph_id": hex::encode(g.id),
        "claim": {
            "claimed_input_bits": g.claimed_inputs().len(),
            "output_bits": c.output_bits(),
            "kickoff_inputs": g.claim_batches.len(),
            "made_by": "zkm challenge claim DIR --input HEX… (after sign); one claim per graph",
        },
        "commitments": {
            "scheme": "Lamport on single bits, HASH160 of 20-byte preimages, each opening checked to be 20 bytes; one-time secrets bound to graph_id",
            "file": COMMITMENTS,
            "wires": g.setup.commitments.len(),
            "public_bytes_per_wire": 40,
            "witness_bytes_per_opening": 21,
            "assert_script_bytes_per_wire": super::script::COMMIT_CHECK_BYTES,
        },
        "timelocks": g.timelocks,
        "funding": {
            "outpoint": g.funding.0.to_string(),
            "amount": g.funding.1.value.to_sat(),
            "address_regtest": funder_addr,
            "synthetic": g.setup.params.funding.is_none(),
            "challenger_address_regtest": challenger_addr,
        },
        "stake": {
            "outpoint": g.stake_coin.0.to_string(),
            "amount": g.stake_coin.1.value.to_sat(),
            "address_regtest": Address::from_script(&g.operator_spk, Network::Regtest).map(|a| a.to_string()).unwrap_or_default(),
            "synthetic": g.setup.params.stake_coin.is_none(),
        },
        "incentives": {
            "challenge_fee": g.setup.params.challenge_fee,
            "assert_cost": g.assert_cost(),
            "reward": g.setup.params.reward,
            "heaviest_disprove_fee": g.tx("disprove").map(|t| t.fee),
        },
        "assert": {
            "transactions": g.batches.len(),
            "inputs": g.batches.iter().map(|b| b.len()).sum::<usize>(),
            "wires_per_transaction": g.batches.iter().map(|b| b.iter().map(|i| i.len()).sum::<usize>()).collect::<Vec<_>>(),
        },
        "disprove_connector": {
            "leaves": g.leaf_count(),
            "depth": g.final_tree.depth(),
            "merkle_root": g.final_tree.root().to_string(),
            "output_key": g.final_tree.output_key.to_string(),
            "layout": format!("leaf 0: n-of-n (the payout); leaves 1..={}: one disprove leaf per gate; then {} equivocation leaves, one per committed wire; no leaf but the first takes a key", c.gates.len(), g.setup.commitments.len()),
        },
        "transactions": txs,
    })
}

/// The graph rebuilt with another n-of-n mode (`sign --n-of-n`): its id changes, so the
/// operator's commitments are derived again. If the challenge fee no longer covers the
/// Asserts (checksigadd makes them heavier), it is raised to their cost.
pub fn with_mode(g: Graph, mode: NofNMode, keys: &Keys) -> Result<Graph, OcpError> {
    if g.setup.params.n_of_n == mode {
        return Ok(g);
    }
    let mut params = g.setup.params.clone();
    params.n_of_n = mode;
    match new_setup(params.clone(), g.setup.circuit.clone(), keys, false) {
        Err(OcpError::Usage(m)) if m.starts_with("--challenge-fee") => {
            new_setup(params, g.setup.circuit.clone(), keys, true)
        }
        r => r,
    }
}

// ---- The claim ----

/// The claim on this graph, if the operator has made it.
pub fn load_claim(g: &Graph, dir: &Path) -> Result<Option<Claim>, OcpError> {
    let path = dir.join(CLAIM);
    if !path.exists() {
        return Ok(None);
    }
    let f: ClaimFile = serde_json::from_str(&read(dir, CLAIM, "run `zkm challenge claim DIR`")?)
        .map_err(|e| bad(CLAIM, e))?;
    Claim::from_file(g, &f).map(Some)
}

/// Records the graph's one claim and the signed kickoff that makes it. Refuses a second
/// claim: two claims on one graph open some wires to both values, which anyone could then
/// use against the operator with an equivocation leaf.
pub fn write_claim(
    dir: &Path,
    g: &Graph,
    claim: &Claim,
    kickoff: &bitcoin::Transaction,
) -> Result<(), OcpError> {
    if let Some(old) = load_claim(g, dir)? {
        return Err(OcpError::Usage(format!(
            "this graph already carries a claim (inputs {}, outputs {}); a graph carries one claim: a second one would open some wires to both values, which anyone could use against you with an equivocation leaf; set up a new graph (another deposit) for another claim",
            old.inputs.join(","),
            old.outputs.join(",")
        )));
    }
    write(
        &dir.join(CLAIM),
        serde_json::to_string_pretty(&claim.to_file(g)).map_err(|e| bad(CLAIM, e))?,
    )?;
    write(
        &dir.join("raw").join("kickoff.hex"),
        format!("{}\n", bitcoin::consensus::encode::serialize_hex(kickoff)),
    )
}

// ---- The per-signer flow ----

/// One signer's own secret key (`secrets/signer-I.json`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerKeyFile {
    pub signer: usize,
    pub secret: String,
    /// Only in test files made with `--seed`: it makes the nonces reproducible, and must
    /// derive `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
}

impl SignerKeyFile {
    fn of(keys: &Keys, i: usize) -> SignerKeyFile {
        SignerKeyFile {
            signer: i,
            secret: hex::encode(keys.signers[i].secret_bytes()),
            seed: keys.seed.map(hex::encode),
        }
    }
}

pub fn signer_key_path(dir: &Path, i: usize) -> PathBuf {
    dir.join("secrets").join(format!("signer-{i}.json"))
}

/// Where a signer keeps its secret nonces between its rounds: beside its key file.
pub fn secret_nonces_path(key: &Path) -> PathBuf {
    key.with_extension("nonces.json")
}

fn round_path(dir: &Path, round: &str, i: usize) -> PathBuf {
    dir.join("rounds").join(format!("{round}-{i}.json"))
}

/// Reads a signer's key file: (index, secret, test seed).
pub fn load_signer_key(
    path: &Path,
) -> Result<(usize, bitcoin::secp256k1::SecretKey, Option<[u8; 32]>), OcpError> {
    let text = std::fs::read_to_string(path).map_err(|source| OcpError::Missing {
        path: path.display().to_string(),
        source,
        hint: "give your own key file with --key FILE: {\"signer\": I, \"secret\": hex32}".into(),
    })?;
    let f: SignerKeyFile = serde_json::from_str(&text).map_err(|e| {
        OcpError::Data(format!(
            "{}: {e}; expected {{\"signer\": I, \"secret\": hex32}}",
            path.display()
        ))
    })?;
    let bytes = hex::decode(&f.secret)
        .map_err(|e| OcpError::Data(format!("{}: secret is not hex ({e})", path.display())))?;
    let sk = bitcoin::secp256k1::SecretKey::from_slice(&bytes).map_err(|_| {
        OcpError::Data(format!(
            "{}: not a valid secp256k1 secret key",
            path.display()
        ))
    })?;
    let seed = match &f.seed {
        None => None,
        Some(h) => {
            let s: [u8; 32] = hex::decode(h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    OcpError::Data(format!("{}: seed is not 32 hex bytes", path.display()))
                })?;
            if Keys::from_seed(s, f.signer + 1).signers[f.signer] != sk {
                return Err(OcpError::Data(format!(
                    "{}: `seed` does not derive this key; a seed makes nonces predictable (tests only), so remove it from a real key file",
                    path.display()
                )));
            }
            Some(s)
        }
    };
    Ok((f.signer, sk, seed))
}

fn write_json(path: &Path, v: &impl Serialize) -> Result<(), OcpError> {
    write(
        path,
        serde_json::to_string_pretty(v).map_err(|e| OcpError::Data(e.to_string()))?,
    )
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, hint: &str) -> Result<T, OcpError> {
    let text = std::fs::read_to_string(path).map_err(|source| OcpError::Missing {
        path: path.display().to_string(),
        source,
        hint: hint.into(),
    })?;
    serde_json::from_str(&text)
        .map_err(|e| OcpError::Data(format!("{} is malformed: {e}", path.display())))
}

/// Writes a signer's round 1: public nonces for everyone in `dir/rounds`, secret nonces
/// beside its key file `key`.
pub fn write_nonces(
    dir: &Path,
    key: &Path,
    public: &NonceRound,
    secret: &SecretNonces,
) -> Result<PathBuf, OcpError> {
    let sp = secret_nonces_path(key);
    write_json(&sp, secret)?;
    let pp = round_path(dir, "nonces", public.signer);
    write_json(&pp, public)?;
    Ok(pp)
}

/// Every round file of one kind present in `dir/rounds`.
fn rounds<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    round: &str,
    n: usize,
) -> Result<Vec<T>, OcpError> {
    (0..n)
        .map(|i| round_path(dir, round, i))
        .filter(|p| p.exists())
        .map(|p| read_json(&p, "a round file"))
        .collect()
}

pub fn load_nonce_rounds(dir: &Path, g: &Graph) -> Result<Vec<NonceRound>, OcpError> {
    rounds(dir, "nonces", g.setup.params.signers)
}

pub fn load_partial_rounds(dir: &Path, g: &Graph) -> Result<Vec<PartialRound>, OcpError> {
    rounds(dir, "partial", g.setup.params.signers)
}

/// A signer's secret nonces (beside its key file `key`), taken: the file is removed
/// before they are used, so that no nonce can sign twice even if this round fails halfway.
pub fn take_secret_nonces(key: &Path) -> Result<Option<SecretNonces>, OcpError> {
    let p = secret_nonces_path(key);
    if !p.exists() {
        return Ok(None);
    }
    let s: SecretNonces = read_json(&p, "secret nonces")?;
    std::fs::remove_file(&p).map_err(|source| OcpError::Write {
        path: p.display().to_string(),
        source,
    })?;
    Ok(Some(s))
}

pub fn write_partial(dir: &Path, r: &PartialRound) -> Result<PathBuf, OcpError> {
    let p = round_path(dir, "partial", r.signer);
    write_json(&p, r)?;
    Ok(p)
}
