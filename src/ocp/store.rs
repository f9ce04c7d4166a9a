//! The game directory: what `setup` writes and `sign`, `simulate` and `inspect` read.
//!
//! - `graph.json`: parameters, public keys, timelocks, every transaction (txid, inputs with
//!   leaf and sighash, outputs with amounts and TapTree leaves), the final TapTree.
//! - `circuit.txt`: the circuit in Bristol Fashion; `commitments.json`: the wire commitments.
//! - `psbt/NAME.psbt`: one BIP174/BIP371 PSBT per transaction, with signatures after `sign`.
//! - `secrets.json`: every secret key (local testing only); `signatures.json` after `sign`.
//! - `raw/SCENARIO/NN-NAME.hex` after `simulate`: each mined transaction, signed.

use std::path::{Path, PathBuf};

use bitcoin::psbt::{Psbt, PsbtSighashType};
use bitcoin::taproot::LeafVersion;
use bitcoin::{Address, Network};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::bristol::Circuit;
use super::commit::{LamportSecret, WireCommitment};
use super::game::Report;
use super::graph::{Graph, NofNMode, Params, Setup, Signer};
use super::keys::{Keys, PublicKeys};
use super::sign::Signatures;
use super::OcpError;

pub const GRAPH: &str = "graph.json";
pub const CIRCUIT: &str = "circuit.txt";
pub const COMMITMENTS: &str = "commitments.json";
pub const SECRETS: &str = "secrets.json";
pub const SIGNATURES: &str = "signatures.json";
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

/// Evaluates the circuit, derives the commitments and builds the graph.
pub fn new_setup(params: Params, circuit: Circuit, keys: &Keys) -> Result<Graph, OcpError> {
    let lamport = LamportSecret::new(keys.lamport_seed);
    let commitments = (circuit.input_bits()..circuit.nwires)
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
    // Nothing of an earlier game may survive: its signatures and exports are for other txids.
    let _ = std::fs::remove_file(dir.join(SIGNATURES));
    let _ = std::fs::remove_dir_all(dir.join("raw"));
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
    if header.format != "zkm-ocp-graph/1" {
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
                None => input.tap_internal_key = Some(g.setup.keys.funder),
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
        "format": "zkm-ocp-graph/1",
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
        "claim": { "inputs": g.setup.params.inputs, "outputs": g.setup.params.claimed_outputs },
        "commitments": {
            "scheme": "Lamport on single bits, HASH160 of 20-byte preimages",
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
        "assert": {
            "transactions": g.batches.len(),
            "inputs": g.batches.iter().map(|b| b.len()).sum::<usize>(),
            "wires_per_transaction": g.batches.iter().map(|b| b.iter().map(|i| i.len()).sum::<usize>()).collect::<Vec<_>>(),
        },
        "final_taptree": {
            "leaves": g.leaf_count(),
            "depth": g.final_tree.depth(),
            "merkle_root": g.final_tree.root().to_string(),
            "output_key": g.final_tree.output_key.to_string(),
            "layout": format!("leaf 0: payout after {} blocks; leaves 1..={}: one disprove leaf per gate; then {} leaves, one per claimed output bit; then {} equivocation leaves, one per committed wire", g.timelocks.disprove_window, c.gates.len(), c.output_bits(), g.setup.commitments.len()),
        },
        "transactions": txs,
    })
}

/// Whether `mode` differs from the graph's; used by `sign --n-of-n`.
pub fn with_mode(g: Graph, mode: NofNMode) -> Result<Graph, OcpError> {
    if g.setup.params.n_of_n == mode {
        return Ok(g);
    }
    let mut setup = g.setup;
    setup.params.n_of_n = mode;
    Graph::build(setup)
}
