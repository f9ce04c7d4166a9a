//! The transaction graph of one claim, built deterministically from the public setup
//! (parameters, public keys, circuit, wire commitments). `sign`, `simulate` and `inspect`
//! rebuild it from `DIR` and check the txids against `graph.json`.
//!
//! ```text
//! funding ─▶ deposit ─▶ kickoff ─┬─ carrier₀ ─▶ assert-1 ─▶ … ─▶ assert-K ─ carrier_K ─┬─▶ payout (after P)
//!                                │  ├▶ payout-unchallenged (after P, with the challenge connector)
//!                                │  └▶ timeout-0 (challenger, after 2P)                ├─▶ disprove-L (one per step)
//!                                ├─ connectors for assert-1's other inputs               └─▶ equivocation-W (one per wire)
//!                                └─ challenge connector ─▶ challenge (SINGLE|ANYONECANPAY)
//! ```
//! Every assert-i (i < K) also leaves a timeout-i for the challenger after P blocks.

use std::collections::HashMap;

use bitcoin::hashes::Hash;
use bitcoin::key::{Secp256k1, XOnlyPublicKey};
use bitcoin::secp256k1::All;
use bitcoin::sighash::TapSighashType;
use bitcoin::taproot::{ControlBlock, TapLeafHash};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Weight, Witness,
};
use serde::{Deserialize, Serialize};

use super::bristol::{Circuit, GateKind};
use super::commit::WireCommitment;
use super::keys::{tagged, PublicKeys};
use super::script::{self, Check, NofN, Operand};
use super::taptree::{nums_key, TapTree};
use super::OcpError;

/// Value of every connector output: the P2TR dust limit.
pub const CONNECTOR_SATS: u64 = 330;
/// Bitcoin Core's largest standard transaction.
pub const MAX_STANDARD_WEIGHT: u64 = 400_000;
/// What an Assert transaction may use, leaving room below the standard limit.
pub const ASSERT_WEIGHT_BUDGET: u64 = 396_000;
/// Tapscript's limit on stack plus altstack items, which also bounds the initial stack.
pub const MAX_STACK_ITEMS: usize = 1000;
/// The most committed wires one disprove leaf may open. Its witness is the challenger's
/// signature and one preimage per opened wire; the signature is consumed first, and
/// checking an opening needs at most 3 more items, so `openings + 3` must fit in
/// [`MAX_STACK_ITEMS`]. Only a MAND gate can open more than 3 wires.
pub const MAX_DISPROVE_OPENINGS: usize = MAX_STACK_ITEMS - 3;
/// The most n-of-n signers: each signature is one stack item of every Assert input.
pub const MAX_SIGNERS: usize = 100;
/// Weight of one wire opening in an Assert input: 49 script bytes and a 21-byte item.
pub const ASSERT_WEIGHT_PER_WIRE: u64 = (script::COMMIT_CHECK_BYTES + 21) as u64;

/// How the n signers sign: one MuSig2 key or an `OP_CHECKSIGADD` script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NofNMode {
    Musig2,
    Checksigadd,
}

/// The setup's parameters, as given to `zkm challenge setup`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Where the circuit came from: `builtin:NAME` or the file name.
    pub circuit: String,
    /// Public inputs, hex (big-endian numbers, least significant bit on the first wire).
    pub inputs: Vec<String>,
    /// The claimed outputs, hex.
    pub claimed_outputs: Vec<String>,
    pub signers: usize,
    /// Value of the deposit output, in sats.
    pub amount: u64,
    /// Fee rate of every transaction, in sat/vB.
    pub fee_rate: u64,
    /// P: blocks to challenge, blocks per Assert step, and blocks to disprove.
    pub challenge_period: u16,
    /// What the challenger pays the operator (the challenge transaction's signed output).
    pub challenge_fee: u64,
    pub n_of_n: NofNMode,
    /// A real funding outpoint (regtest replay); `None` for a synthetic one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<OutPoint>,
}

/// The public inputs of the graph.
#[derive(Clone, Debug)]
pub struct Setup {
    pub params: Params,
    pub keys: PublicKeys,
    pub circuit: Circuit,
    /// One commitment per committed wire: wire `w` has index `w - circuit.input_bits()`.
    pub commitments: Vec<WireCommitment>,
}

/// Who signs an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Signer {
    /// Pre-signed by the n signers at `zkm challenge sign`.
    #[serde(rename = "n-of-n")]
    NofN,
    /// Pre-signed by the n signers, and signed by the operator when it makes its claim.
    #[serde(rename = "n-of-n and operator")]
    NofNAndOperator,
    /// The challenger, when spending.
    #[serde(rename = "challenger")]
    Challenger,
    /// The depositor, key path.
    #[serde(rename = "depositor")]
    Funder,
}

/// How one input is unlocked.
#[derive(Clone, Debug)]
pub struct Spend {
    /// The leaf script and its control block; `None` for a key-path spend.
    pub leaf: Option<(ScriptBuf, ControlBlock)>,
    pub leaf_index: usize,
    pub signer: Signer,
    pub sighash: TapSighashType,
    /// Committed wires this input opens (Assert), in witness order.
    pub opens: Vec<u32>,
    /// Human name of the leaf.
    pub what: String,
}

impl Spend {
    pub fn leaf_hash(&self) -> Option<TapLeafHash> {
        self.leaf
            .as_ref()
            .map(|(s, _)| super::taptree::leaf_hash(s))
    }

    /// Number of signatures the witness carries.
    pub fn signatures(&self, nofn: &NofN) -> usize {
        match self.signer {
            Signer::NofN => nofn.signatures(),
            Signer::NofNAndOperator => nofn.signatures() + 1,
            _ => 1,
        }
    }

    fn sig_len(&self) -> usize {
        if self.sighash == TapSighashType::Default {
            64
        } else {
            65
        }
    }
}

/// One output's role, for reports and graph.json.
#[derive(Clone, Debug, Serialize)]
pub struct OutputRole {
    pub role: String,
    /// Names of the TapTree's leaves (empty for a key-path output).
    pub leaves: Vec<String>,
}

impl OutputRole {
    /// A plain key-path output held by `role`.
    fn key_path(role: &str) -> OutputRole {
        OutputRole {
            role: role.into(),
            leaves: vec![],
        }
    }
}

/// A transaction of the graph with what it spends.
#[derive(Clone, Debug)]
pub struct GraphTx {
    pub name: String,
    pub tx: Transaction,
    pub prevouts: Vec<TxOut>,
    pub spends: Vec<Spend>,
    pub outputs: Vec<OutputRole>,
    /// Weight once signed (for `challenge`, before the challenger adds an input).
    pub weight: Weight,
    pub fee: u64,
}

impl GraphTx {
    pub fn txid(&self) -> Txid {
        self.tx.compute_txid()
    }

    /// A witness with the right item sizes (zeros), to weigh the transaction.
    fn dummy_witness(spend: &Spend, nofn: &NofN) -> Witness {
        let mut items: Vec<Vec<u8>> = spend.opens.iter().map(|_| vec![0u8; 20]).collect();
        for _ in 0..spend.signatures(nofn) {
            items.push(vec![0u8; spend.sig_len()]);
        }
        if let Some((s, cb)) = &spend.leaf {
            items.push(s.to_bytes());
            items.push(cb.serialize());
        }
        Witness::from_slice(&items)
    }

    /// The transaction with witnesses of the final sizes (zeros), as it will weigh.
    pub fn weighed(&self, nofn: &NofN) -> Transaction {
        let mut tx = self.tx.clone();
        for (i, s) in tx.input.iter_mut().zip(&self.spends) {
            i.witness = GraphTx::dummy_witness(s, nofn);
        }
        tx
    }

    /// The witness for input `i`: items (bottom first), then leaf script and control block.
    pub fn witness(&self, i: usize, items: Vec<Vec<u8>>) -> Witness {
        let mut w = Witness::from_slice(&items);
        if let Some((s, cb)) = &self.spends[i].leaf {
            w.push(s.as_bytes());
            w.push(cb.serialize());
        }
        w
    }
}

/// A step of the computation, which one disprove leaf checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Step {
    /// A gate of the circuit, by its line number among the gates (from 0).
    Gate(usize),
    /// A claimed output bit: the committed output wire must equal the claim.
    Output(usize),
}

/// The relative timelocks, in blocks.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Timelocks {
    /// Kickoff to the unchallenged payout.
    pub unchallenged_payout: u16,
    /// Kickoff to the challenger's timeout if the operator has not started to assert.
    pub first_assert_deadline: u16,
    /// One Assert to the next before the challenger's timeout.
    pub next_assert_deadline: u16,
    /// Last Assert to the payout: the time to disprove.
    pub disprove_window: u16,
}

/// The graph with every transaction template.
pub struct Graph {
    pub setup: Setup,
    pub nofn: NofN,
    pub input_bits: Vec<bool>,
    pub claimed_bits: Vec<bool>,
    pub txs: Vec<GraphTx>,
    /// The TapTree of the last Assert's output: payout, one leaf per step, one per wire.
    pub final_tree: TapTree,
    /// For each Assert transaction, for each input, the wires it opens.
    pub batches: Vec<Vec<Vec<u32>>>,
    pub funding: (OutPoint, TxOut),
    pub timelocks: Timelocks,
    pub operator_spk: ScriptBuf,
    pub challenger_spk: ScriptBuf,
    pub funder_spk: ScriptBuf,
    /// Leaf scripts of every small TapTree output, by scriptPubKey (for PSBT outputs).
    pub output_scripts: HashMap<ScriptBuf, Vec<ScriptBuf>>,
    index: HashMap<String, usize>,
    secp: Secp256k1<All>,
}

/// The MuSig2 aggregate (BIP327) of the signers' keys, in the given order, untweaked.
pub fn musig_key(signers: &[bitcoin::secp256k1::PublicKey]) -> Result<XOnlyPublicKey, OcpError> {
    let ctx = musig_context(signers)?;
    let p: musig2::secp::Point = ctx.aggregated_pubkey();
    XOnlyPublicKey::from_slice(&p.serialize_xonly())
        .map_err(|e| OcpError::Data(format!("MuSig2 aggregate key: {e}")))
}

pub fn musig_context(
    signers: &[bitcoin::secp256k1::PublicKey],
) -> Result<musig2::KeyAggContext, OcpError> {
    let points = signers
        .iter()
        .map(|k| musig2::secp::Point::from_slice(&k.serialize()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| OcpError::Data(format!("signer key: {e}")))?;
    musig2::KeyAggContext::new(points)
        .map_err(|e| OcpError::Data(format!("cannot aggregate the signers' keys: {e}")))
}

fn p2tr_key(secp: &Secp256k1<All>, k: XOnlyPublicKey) -> ScriptBuf {
    ScriptBuf::new_p2tr(secp, k, None)
}

/// Splits `wires` into Assert transactions and, inside each, inputs: as many wires per
/// transaction as fit in [`ASSERT_WEIGHT_BUDGET`], at most `per_input` per input.
pub fn plan_batches(
    wires: &[u32],
    per_input: usize,
    fixed_input_weight: u64,
) -> Vec<Vec<Vec<u32>>> {
    let per_input = per_input.max(1);
    // Best wires-per-transaction over the number of inputs.
    let best = (1..=64usize)
        .map(|k| {
            let room = ASSERT_WEIGHT_BUDGET.saturating_sub(200 + k as u64 * fixed_input_weight);
            ((room / ASSERT_WEIGHT_PER_WIRE) as usize).min(k * per_input)
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let ntx = wires.len().div_ceil(best).max(1);
    let per_tx = wires.len().div_ceil(ntx).max(1);
    wires
        .chunks(per_tx)
        .map(|tx_wires| {
            let k = tx_wires.len().div_ceil(per_input);
            let per = tx_wires.len().div_ceil(k);
            tx_wires.chunks(per).map(|c| c.to_vec()).collect()
        })
        .collect()
}

struct In {
    outpoint: OutPoint,
    prevout: TxOut,
    spend: Spend,
    sequence: Sequence,
}

impl Graph {
    /// Builds the graph. Fails if the setup is inconsistent or the amount cannot pay the fees.
    pub fn build(setup: Setup) -> Result<Graph, OcpError> {
        let secp = Secp256k1::new();
        let p = setup.params.clone();
        let c = &setup.circuit;
        let nin = c.input_bits();
        if setup.commitments.len() != (c.nwires - nin) as usize {
            return Err(OcpError::Data(format!(
                "{} wire commitments for {} committed wires; re-run `zkm challenge setup`",
                setup.commitments.len(),
                c.nwires - nin
            )));
        }
        if p.signers == 0 || p.signers > MAX_SIGNERS {
            return Err(OcpError::Data(format!(
                "{} signers: there must be 1 to {MAX_SIGNERS} (each n-of-n signature is a stack item of every Assert input)",
                p.signers
            )));
        }
        if setup.keys.signers.len() != p.signers {
            return Err(OcpError::Data(format!(
                "{} signer keys for {} signers",
                setup.keys.signers.len(),
                p.signers
            )));
        }
        if p.challenge_period < 2 || p.challenge_period > 32767 {
            return Err(OcpError::Usage(
                "--challenge-period must be 2 to 32767 blocks: at least 2 so that a challenge fits between the kickoff and the payout, at most half the BIP68 range since the first Assert deadline is twice it".into(),
            ));
        }
        if c.gates.is_empty() {
            return Err(OcpError::Usage(
                "the circuit has no gates: there is no computation to challenge".into(),
            ));
        }
        let max_money = Amount::MAX_MONEY.to_sat();
        if p.amount > max_money || p.challenge_fee > max_money {
            return Err(OcpError::Usage(format!(
                "--amount and --challenge-fee must be at most {max_money} sats (21 M BTC)"
            )));
        }
        if p.fee_rate > 100_000 {
            return Err(OcpError::Usage(
                "--fee-rate must be at most 100000 sat/vB".into(),
            ));
        }
        if p.fee_rate == 0 {
            return Err(OcpError::Usage(
                "--fee-rate must be at least 1 sat/vB, Bitcoin Core's minimum relay fee".into(),
            ));
        }
        let input_bits = c.input_bits_from_hex(&p.inputs)?;
        let claimed_bits = {
            if p.claimed_outputs.len() != c.outputs.len() {
                return Err(OcpError::Data(format!(
                    "{} claimed outputs for a circuit with {} outputs",
                    p.claimed_outputs.len(),
                    c.outputs.len()
                )));
            }
            let mut bits = Vec::new();
            for (i, (h, &w)) in p.claimed_outputs.iter().zip(&c.outputs).enumerate() {
                bits.extend(
                    super::bristol::bits_from_hex(h, w)
                        .map_err(|m| OcpError::Data(format!("claimed output {i}: {m}")))?,
                );
            }
            bits
        };
        let nofn = match p.n_of_n {
            NofNMode::Musig2 => NofN::Musig2(musig_key(&setup.keys.signers)?),
            NofNMode::Checksigadd => NofN::CheckSigAdd(
                setup
                    .keys
                    .signers
                    .iter()
                    .map(|k| k.x_only_public_key().0)
                    .collect(),
            ),
        };
        let period = p.challenge_period;
        let timelocks = Timelocks {
            unchallenged_payout: period,
            first_assert_deadline: 2 * period,
            next_assert_deadline: period,
            disprove_window: period,
        };
        let operator_spk = p2tr_key(&secp, setup.keys.operator);
        let challenger_spk = p2tr_key(&secp, setup.keys.challenger);
        let funder_spk = p2tr_key(&secp, setup.keys.funder);

        // Assert batches.
        let nsigs = nofn.signatures();
        let per_input = MAX_STACK_ITEMS - 10 - nsigs;
        let nofn_len = nofn.script(true).len() as u64;
        let fixed_input = 41 * 4 + 1 + nsigs as u64 * 66 + 3 + nofn_len + 1 + 99 + 43 * 4;
        let committed: Vec<u32> = (nin..c.nwires).collect();
        let batches = plan_batches(&committed, per_input, fixed_input);
        let commitments = setup.commitments.clone();
        let comm = |w: u32| commitments[(w - nin) as usize];
        let assert_leaf = |wires: &[u32]| {
            script::assert_leaf(&nofn, &wires.iter().map(|&w| comm(w)).collect::<Vec<_>>())
        };

        let setup_operator = setup.keys.operator;
        let mut g = Graph {
            nofn: nofn.clone(),
            input_bits,
            claimed_bits,
            txs: Vec::new(),
            final_tree: TapTree::from_leaf_hashes(
                &secp,
                nums_key(),
                vec![TapLeafHash::all_zeros()],
            ),
            batches: batches.clone(),
            funding: (OutPoint::null(), TxOut::NULL),
            timelocks,
            operator_spk: operator_spk.clone(),
            challenger_spk: challenger_spk.clone(),
            funder_spk: funder_spk.clone(),
            index: HashMap::new(),
            output_scripts: HashMap::new(),
            setup,
            secp,
        };
        // Every disprove leaf must be spendable: a MAND gate's leaf opens all its wires.
        for (i, gate) in g.setup.circuit.gates.iter().enumerate() {
            if gate.kind != GateKind::Mand {
                continue;
            }
            let n = g.step_wires(Step::Gate(i)).len();
            if n > MAX_DISPROVE_OPENINGS {
                return Err(OcpError::Usage(format!(
                    "gate {i} is a MAND of {} ANDs whose disprove leaf would open {n} committed wires, over the {MAX_DISPROVE_OPENINGS} that fit in tapscript's {MAX_STACK_ITEMS}-item stack; split it into MAND gates of at most {} ANDs",
                    gate.outs.len(),
                    MAX_DISPROVE_OPENINGS / 3
                )));
            }
        }
        // The final tree: built first, since the last Assert pays to it.
        let nleaves = g.leaf_count();
        // The heaviest challenger spend (script and witness bytes), checked for its fee below.
        let mut heaviest = (1usize, 0usize);
        let leaves: Vec<TapLeafHash> = (0..nleaves)
            .map(|l| {
                let script = g.leaf_script(l);
                let witness = match g.leaf_kind(l) {
                    LeafKind::Payout => 0,
                    LeafKind::Disprove(s) => 21 * g.step_wires(s).len(),
                    LeafKind::Equivocation(_) => 42,
                };
                if l > 0 && script.len() + witness > heaviest.1 {
                    heaviest = (l, script.len() + witness);
                }
                super::taptree::leaf_hash(&script)
            })
            .collect();
        g.final_tree = TapTree::from_leaf_hashes(&g.secp, nums_key(), leaves);

        let tree =
            |g: &Graph, scripts: &[ScriptBuf]| TapTree::from_scripts(&g.secp, nums_key(), scripts);
        let leaf_spend = |t: &TapTree,
                          scripts: &[ScriptBuf],
                          i: usize,
                          signer,
                          sighash,
                          opens: Vec<u32>,
                          what: &str| Spend {
            leaf: Some((scripts[i].clone(), t.control_block(i))),
            leaf_index: i,
            signer,
            sighash,
            opens,
            what: what.to_string(),
        };
        let all = TapSighashType::All;

        // Funding and deposit.
        // Only the operator can make the claim: the kickoff needs its signature too.
        let deposit_scripts = vec![script::cat(&[
            nofn.script(true),
            script::checksig(&setup_operator, false),
        ])];
        let deposit_tree = tree(&g, &deposit_scripts);
        g.output_scripts
            .insert(deposit_tree.script_pubkey(), deposit_scripts.clone());
        let deposit_spend = Spend {
            leaf: None,
            leaf_index: 0,
            signer: Signer::Funder,
            sighash: TapSighashType::Default,
            opens: vec![],
            what: "depositor key path".into(),
        };
        let deposit_weight = {
            let tx = Transaction {
                version: transaction::Version::TWO,
                lock_time: absolute::LockTime::ZERO,
                input: vec![TxIn {
                    witness: GraphTx::dummy_witness(&deposit_spend, &nofn),
                    ..Default::default()
                }],
                output: vec![TxOut {
                    value: Amount::ZERO,
                    script_pubkey: deposit_tree.script_pubkey(),
                }],
            };
            tx.weight()
        };
        let funding_value = p.amount + deposit_weight.to_vbytes_ceil() * p.fee_rate;
        let funding_outpoint = p.funding.unwrap_or(OutPoint {
            txid: Txid::from_byte_array(tagged(
                "zkm/ocp/funding",
                &[
                    &g.setup.keys.funder.serialize(),
                    &funding_value.to_be_bytes(),
                ],
            )),
            vout: 0,
        });
        g.funding = (
            funding_outpoint,
            TxOut {
                value: Amount::from_sat(funding_value),
                script_pubkey: funder_spk.clone(),
            },
        );
        let deposit = g.push_tx(
            "deposit",
            vec![In {
                outpoint: g.funding.0,
                prevout: g.funding.1.clone(),
                spend: deposit_spend,
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            }],
            vec![(
                deposit_tree.script_pubkey(),
                None,
                OutputRole {
                    role: "deposit".into(),
                    leaves: vec!["n-of-n and operator".into()],
                },
            )],
        )?;

        // Kickoff, the Asserts and their timeouts.
        let k = batches.len();
        let mut parent: (Txid, Vec<TxOut>) = (deposit.0, deposit.1.clone());
        let mut parent_trees: Vec<(TapTree, Vec<ScriptBuf>)> =
            vec![(deposit_tree, deposit_scripts)];
        for i in 0..=k {
            // Outputs of this transaction: the carrier (and connectors) for assert-(i+1).
            let mut outs = Vec::new();
            let mut trees = Vec::new();
            if i < k {
                let mut carrier = vec![assert_leaf(&batches[i][0])];
                let mut names = vec![format!("assert-{}", i + 1)];
                if i == 0 {
                    carrier.push(script::nofn_after_leaf(
                        &nofn,
                        timelocks.unchallenged_payout,
                    ));
                    carrier.push(script::key_after_leaf(
                        &g.setup.keys.challenger,
                        timelocks.first_assert_deadline,
                    ));
                    names.push(format!(
                        "payout-unchallenged after {} blocks",
                        timelocks.unchallenged_payout
                    ));
                    names.push(format!(
                        "timeout-0 after {} blocks",
                        timelocks.first_assert_deadline
                    ));
                } else {
                    carrier.push(script::key_after_leaf(
                        &g.setup.keys.challenger,
                        timelocks.next_assert_deadline,
                    ));
                    names.push(format!(
                        "timeout-{i} after {} blocks",
                        timelocks.next_assert_deadline
                    ));
                }
                let t = tree(&g, &carrier);
                outs.push((
                    t.script_pubkey(),
                    None,
                    OutputRole {
                        role: "carrier".into(),
                        leaves: names,
                    },
                ));
                trees.push((t, carrier));
                for (j, wires) in batches[i].iter().enumerate().skip(1) {
                    let s = vec![assert_leaf(wires)];
                    let t = tree(&g, &s);
                    outs.push((
                        t.script_pubkey(),
                        Some(CONNECTOR_SATS),
                        OutputRole {
                            role: format!("connector for assert-{} input {j}", i + 1),
                            leaves: vec![format!("assert-{} input {j}", i + 1)],
                        },
                    ));
                    trees.push((t, s));
                }
            } else {
                outs.push((
                    g.final_tree.script_pubkey(),
                    None,
                    OutputRole {
                        role: "carrier".into(),
                        leaves: vec![
                            format!("payout after {} blocks", timelocks.disprove_window),
                            format!("{} disprove leaves", g.step_count()),
                            format!("{} equivocation leaves", g.setup.commitments.len()),
                        ],
                    },
                ));
            }
            if i == 0 {
                let s = vec![script::nofn_leaf(&nofn)];
                let t = tree(&g, &s);
                outs.push((
                    t.script_pubkey(),
                    Some(CONNECTOR_SATS),
                    OutputRole {
                        role: "challenge connector".into(),
                        leaves: vec!["n-of-n".into()],
                    },
                ));
                trees.push((t, s));
            }
            // Inputs: what the parent left for this transaction.
            let ins: Vec<In> = if i == 0 {
                let (t, s) = &parent_trees[0];
                vec![In {
                    outpoint: OutPoint {
                        txid: parent.0,
                        vout: 0,
                    },
                    prevout: parent.1[0].clone(),
                    spend: leaf_spend(
                        t,
                        s,
                        0,
                        Signer::NofNAndOperator,
                        all,
                        vec![],
                        "n-of-n and operator",
                    ),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                }]
            } else {
                batches[i - 1]
                    .iter()
                    .enumerate()
                    .map(|(j, wires)| {
                        let (t, s) = &parent_trees[j];
                        In {
                            outpoint: OutPoint {
                                txid: parent.0,
                                vout: j as u32,
                            },
                            prevout: parent.1[j].clone(),
                            spend: leaf_spend(
                                t,
                                s,
                                0,
                                Signer::NofN,
                                all,
                                wires.clone(),
                                &format!("assert batch of {} wires", wires.len()),
                            ),
                            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                        }
                    })
                    .collect()
            };
            let name = if i == 0 {
                "kickoff".to_string()
            } else {
                format!("assert-{i}")
            };
            let done = g.push_tx(&name, ins, outs)?;
            for (t, s) in &trees {
                g.output_scripts.insert(t.script_pubkey(), s.clone());
            }
            // Side branches of this transaction's carrier.
            if i < k {
                let (t, s) = &trees[0];
                let (leaf, blocks) = if i == 0 {
                    (2, timelocks.first_assert_deadline)
                } else {
                    (1, timelocks.next_assert_deadline)
                };
                g.push_tx(
                    &format!("timeout-{i}"),
                    vec![In {
                        outpoint: OutPoint {
                            txid: done.0,
                            vout: 0,
                        },
                        prevout: done.1[0].clone(),
                        spend: leaf_spend(
                            t,
                            s,
                            leaf,
                            Signer::Challenger,
                            TapSighashType::Default,
                            vec![],
                            "challenger after timelock",
                        ),
                        sequence: Sequence::from_height(blocks),
                    }],
                    vec![(
                        challenger_spk.clone(),
                        None,
                        OutputRole::key_path("challenger"),
                    )],
                )?;
            }
            if i == 0 {
                let cc = done.1.len() - 1;
                let (ct, cs) = &trees[cc];
                let conn = In {
                    outpoint: OutPoint {
                        txid: done.0,
                        vout: cc as u32,
                    },
                    prevout: done.1[cc].clone(),
                    spend: leaf_spend(
                        ct,
                        cs,
                        0,
                        Signer::NofN,
                        TapSighashType::SinglePlusAnyoneCanPay,
                        vec![],
                        "n-of-n",
                    ),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                };
                // The challenge: the signed input pays the operator; the challenger adds the rest.
                g.push_fixed_tx(
                    "challenge",
                    vec![conn],
                    vec![(
                        operator_spk.clone(),
                        p.challenge_fee,
                        OutputRole::key_path("operator (challenge fee)"),
                    )],
                );
                let (t, s) = &trees[0];
                let mut conn_all = In {
                    outpoint: OutPoint {
                        txid: done.0,
                        vout: cc as u32,
                    },
                    prevout: done.1[cc].clone(),
                    spend: leaf_spend(ct, cs, 0, Signer::NofN, all, vec![], "n-of-n"),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                };
                conn_all.spend.what = "n-of-n (challenge connector)".into();
                g.push_tx(
                    "payout-unchallenged",
                    vec![
                        In {
                            outpoint: OutPoint {
                                txid: done.0,
                                vout: 0,
                            },
                            prevout: done.1[0].clone(),
                            spend: leaf_spend(
                                t,
                                s,
                                1,
                                Signer::NofN,
                                all,
                                vec![],
                                "n-of-n after timelock",
                            ),
                            sequence: Sequence::from_height(timelocks.unchallenged_payout),
                        },
                        conn_all,
                    ],
                    vec![(operator_spk.clone(), None, OutputRole::key_path("operator"))],
                )?;
            }
            parent = done;
            parent_trees = trees;
        }
        // The payout after the disprove window.
        let payout_script = g.leaf_script(0);
        g.push_tx(
            "payout",
            vec![In {
                outpoint: OutPoint {
                    txid: parent.0,
                    vout: 0,
                },
                prevout: parent.1[0].clone(),
                spend: Spend {
                    leaf: Some((payout_script, g.final_tree.control_block(0))),
                    leaf_index: 0,
                    signer: Signer::NofN,
                    sighash: all,
                    opens: vec![],
                    what: "n-of-n after timelock".into(),
                },
                sequence: Sequence::from_height(timelocks.disprove_window),
            }],
            vec![(operator_spk.clone(), None, OutputRole::key_path("operator"))],
        )?;
        // Every disprove and equivocation spend must pay its fee and keep a non-dust
        // output: the heaviest one, with the longest control block of the tree.
        g.leaf_spend_tx(heaviest.0)?;
        Ok(g)
    }

    /// Adds a transaction whose first output takes what is left after the fee.
    fn push_tx(
        &mut self,
        name: &str,
        ins: Vec<In>,
        outs: Vec<(ScriptBuf, Option<u64>, OutputRole)>,
    ) -> Result<(Txid, Vec<TxOut>), OcpError> {
        let mut tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: ins
                .iter()
                .map(|i| TxIn {
                    previous_output: i.outpoint,
                    sequence: i.sequence,
                    witness: GraphTx::dummy_witness(&i.spend, &self.nofn),
                    ..Default::default()
                })
                .collect(),
            output: outs
                .iter()
                .map(|(spk, v, _)| TxOut {
                    value: Amount::from_sat(v.unwrap_or(0)),
                    script_pubkey: spk.clone(),
                })
                .collect(),
        };
        let weight = tx.weight();
        let fee = weight.to_vbytes_ceil() * self.setup.params.fee_rate;
        let total_in: u64 = ins.iter().map(|i| i.prevout.value.to_sat()).sum();
        let fixed: u64 = outs.iter().filter_map(|(_, v, _)| *v).sum();
        let rest = total_in.checked_sub(fixed + fee).filter(|r| *r >= CONNECTOR_SATS).ok_or_else(|| {
            OcpError::Usage(format!(
                "--amount {} sats cannot pay for `{name}`: it has {total_in} sats in, needs {fixed} for connectors, {fee} in fees ({} vB at {} sat/vB) and {CONNECTOR_SATS} for a non-dust output; use --amount {} or more, or lower --fee-rate",
                self.setup.params.amount,
                weight.to_vbytes_ceil(),
                self.setup.params.fee_rate,
                self.setup.params.amount + (fixed + fee + CONNECTOR_SATS).saturating_sub(total_in)
            ))
        })?;
        tx.output[0].value = Amount::from_sat(rest);
        for i in &mut tx.input {
            i.witness = Witness::new();
        }
        let txid = tx.compute_txid();
        let outputs = tx.output.clone();
        self.index.insert(name.to_string(), self.txs.len());
        self.txs.push(GraphTx {
            name: name.to_string(),
            tx,
            prevouts: ins.iter().map(|i| i.prevout.clone()).collect(),
            spends: ins.into_iter().map(|i| i.spend).collect(),
            outputs: outs.into_iter().map(|(_, _, r)| r).collect(),
            weight,
            fee,
        });
        Ok((txid, outputs))
    }

    /// Adds a transaction with fixed output values (the challenge template).
    fn push_fixed_tx(&mut self, name: &str, ins: Vec<In>, outs: Vec<(ScriptBuf, u64, OutputRole)>) {
        let tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: ins
                .iter()
                .map(|i| TxIn {
                    previous_output: i.outpoint,
                    sequence: i.sequence,
                    ..Default::default()
                })
                .collect(),
            output: outs
                .iter()
                .map(|(spk, v, _)| TxOut {
                    value: Amount::from_sat(*v),
                    script_pubkey: spk.clone(),
                })
                .collect(),
        };
        let mut weighed = tx.clone();
        for (t, i) in weighed.input.iter_mut().zip(&ins) {
            t.witness = GraphTx::dummy_witness(&i.spend, &self.nofn);
        }
        self.index.insert(name.to_string(), self.txs.len());
        self.txs.push(GraphTx {
            name: name.to_string(),
            weight: weighed.weight(),
            fee: 0,
            tx,
            prevouts: ins.iter().map(|i| i.prevout.clone()).collect(),
            spends: ins.into_iter().map(|i| i.spend).collect(),
            outputs: outs.into_iter().map(|(_, _, r)| r).collect(),
        });
    }

    pub fn tx(&self, name: &str) -> Option<&GraphTx> {
        self.index.get(name).map(|&i| &self.txs[i])
    }

    /// The graph transaction called `name`; it must exist.
    pub fn get(&self, name: &str) -> Result<&GraphTx, OcpError> {
        self.tx(name)
            .ok_or_else(|| OcpError::Data(format!("graph has no transaction `{name}`")))
    }

    pub fn secp(&self) -> &Secp256k1<All> {
        &self.secp
    }

    pub fn assert_count(&self) -> usize {
        self.batches.len()
    }

    // ---- Steps and the final tree's leaves ----

    /// Number of steps: one per gate, one per claimed output bit.
    pub fn step_count(&self) -> usize {
        self.setup.circuit.gates.len() + self.setup.circuit.output_bits() as usize
    }

    pub fn steps(&self) -> impl Iterator<Item = Step> + '_ {
        let ng = self.setup.circuit.gates.len();
        (0..ng)
            .map(Step::Gate)
            .chain((0..self.setup.circuit.output_bits() as usize).map(Step::Output))
    }

    /// Leaves of the final tree: payout, then one per step, then one per committed wire.
    pub fn leaf_count(&self) -> usize {
        1 + self.step_count() + self.setup.commitments.len()
    }

    pub fn leaf_of_step(&self, s: Step) -> usize {
        match s {
            Step::Gate(g) => 1 + g,
            Step::Output(o) => 1 + self.setup.circuit.gates.len() + o,
        }
    }

    pub fn leaf_of_equivocation(&self, wire: u32) -> usize {
        1 + self.step_count() + (wire - self.setup.circuit.input_bits()) as usize
    }

    /// What leaf `l` of the final tree is.
    pub fn leaf_kind(&self, l: usize) -> LeafKind {
        let ns = self.step_count();
        let ng = self.setup.circuit.gates.len();
        if l == 0 {
            LeafKind::Payout
        } else if l <= ng {
            LeafKind::Disprove(Step::Gate(l - 1))
        } else if l <= ns {
            LeafKind::Disprove(Step::Output(l - 1 - ng))
        } else {
            LeafKind::Equivocation(self.setup.circuit.input_bits() + (l - 1 - ns) as u32)
        }
    }

    pub fn leaf_script(&self, l: usize) -> ScriptBuf {
        match self.leaf_kind(l) {
            LeafKind::Payout => script::nofn_after_leaf(&self.nofn, self.timelocks.disprove_window),
            LeafKind::Disprove(s) => {
                script::disprove_leaf(&self.setup.keys.challenger, &self.step_checks(s))
            }
            LeafKind::Equivocation(w) => {
                script::equivocation_leaf(&self.setup.keys.challenger, &self.commitment(w))
            }
        }
    }

    pub fn commitment(&self, wire: u32) -> WireCommitment {
        self.setup.commitments[(wire - self.setup.circuit.input_bits()) as usize]
    }

    /// A wire as an operand: a public input is a constant, any other wire is committed.
    pub fn operand(&self, wire: u32) -> Operand {
        if self.setup.circuit.is_input(wire) {
            Operand::Const(self.input_bits[wire as usize])
        } else {
            Operand::Wire(self.commitment(wire))
        }
    }

    /// The checks of a step, with their operands.
    pub fn step_checks(&self, s: Step) -> Vec<Check> {
        match s {
            Step::Gate(g) => self.setup.circuit.gates[g]
                .checks()
                .into_iter()
                .map(|(out, kind, ins)| Check {
                    kind,
                    ins: if kind == GateKind::Eq {
                        vec![Operand::Const(ins[0] == 1)]
                    } else {
                        ins.iter().map(|&w| self.operand(w)).collect()
                    },
                    out: self.operand(out),
                })
                .collect(),
            Step::Output(o) => {
                let wire = self.setup.circuit.first_output_wire() + o as u32;
                vec![Check {
                    kind: GateKind::Eqw,
                    ins: vec![self.operand(wire)],
                    out: Operand::Const(self.claimed_bits[o]),
                }]
            }
        }
    }

    /// The committed wires a step's witness opens, in witness order.
    pub fn step_wires(&self, s: Step) -> Vec<u32> {
        let c = &self.setup.circuit;
        let wires: Vec<u32> = match s {
            Step::Gate(g) => c.gates[g]
                .checks()
                .into_iter()
                .flat_map(|(out, kind, ins)| {
                    let ins = if kind == GateKind::Eq { vec![] } else { ins };
                    ins.into_iter().chain(std::iter::once(out))
                })
                .collect(),
            Step::Output(o) => vec![c.first_output_wire() + o as u32],
        };
        wires.into_iter().filter(|&w| !c.is_input(w)).collect()
    }

    /// Whether a step is computed wrongly, given the value of each committed wire.
    pub fn step_is_wrong(&self, s: Step, value: &dyn Fn(u32) -> bool) -> bool {
        let c = &self.setup.circuit;
        let val = |w: u32| {
            if c.is_input(w) {
                self.input_bits[w as usize]
            } else {
                value(w)
            }
        };
        match s {
            Step::Gate(g) => c.gates[g].checks().into_iter().any(|(out, kind, ins)| {
                let want = if kind == GateKind::Eq {
                    ins[0] == 1
                } else {
                    super::bristol::apply(kind, &ins.iter().map(|&w| val(w)).collect::<Vec<_>>())
                };
                val(out) != want
            }),
            Step::Output(o) => val(c.first_output_wire() + o as u32) != self.claimed_bits[o],
        }
    }

    /// A transaction spending the final carrier through leaf `l`, paying the challenger.
    /// It is not pre-signed: the challenger signs it when spending.
    pub fn leaf_spend_tx(&self, l: usize) -> Result<GraphTx, OcpError> {
        let last = self.get(&format!("assert-{}", self.assert_count()))?;
        let opens = match self.leaf_kind(l) {
            LeafKind::Payout => vec![],
            LeafKind::Disprove(s) => self.step_wires(s),
            LeafKind::Equivocation(w) => vec![w, w],
        };
        let spend = Spend {
            leaf: Some((self.leaf_script(l), self.final_tree.control_block(l))),
            leaf_index: l,
            signer: Signer::Challenger,
            sighash: TapSighashType::Default,
            opens,
            what: self.leaf_kind(l).to_string(),
        };
        let prevout = last.tx.output[0].clone();
        let mut tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: last.txid(),
                    vout: 0,
                },
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: GraphTx::dummy_witness(&spend, &self.nofn),
                ..Default::default()
            }],
            output: vec![TxOut {
                value: Amount::ZERO,
                script_pubkey: self.challenger_spk.clone(),
            }],
        };
        let weight = tx.weight();
        let fee = weight.to_vbytes_ceil() * self.setup.params.fee_rate;
        // A shallower leaf's control block is shorter: check the fee at the tree's depth,
        // so one check of the heaviest leaf covers every leaf.
        let cb_hashes = (tx.input[0].witness.last().map_or(33, <[u8]>::len) - 33) / 32;
        let deepest = weight + Weight::from_wu(32 * (self.final_tree.depth() - cb_hashes) as u64);
        let deepest_fee = deepest.to_vbytes_ceil() * self.setup.params.fee_rate;
        let have = prevout.value.to_sat();
        if have < deepest_fee + CONNECTOR_SATS {
            return Err(OcpError::Usage(format!(
                "--amount {} sats cannot pay for a challenger's spend of the final carrier (a disprove or equivocation): the carrier holds {have} sats, the heaviest spend needs {deepest_fee} in fees ({} vB at {} sat/vB) and {CONNECTOR_SATS} for a non-dust output; use --amount {} or more, or lower --fee-rate",
                self.setup.params.amount,
                deepest.to_vbytes_ceil(),
                self.setup.params.fee_rate,
                self.setup.params.amount + deepest_fee + CONNECTOR_SATS - have
            )));
        }
        tx.output[0].value = Amount::from_sat(have - fee);
        tx.input[0].witness = Witness::new();
        let name = match self.leaf_kind(l) {
            LeafKind::Equivocation(w) => format!("equivocation-w{w}"),
            LeafKind::Disprove(Step::Gate(g)) => format!("disprove-gate{g}"),
            LeafKind::Disprove(Step::Output(o)) => format!("disprove-output{o}"),
            LeafKind::Payout => "payout-by-challenger".into(),
        };
        Ok(GraphTx {
            name,
            tx,
            prevouts: vec![prevout],
            spends: vec![spend],
            outputs: vec![OutputRole::key_path("challenger")],
            weight,
            fee,
        })
    }
}

/// What a leaf of the final tree does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKind {
    Payout,
    Disprove(Step),
    Equivocation(u32),
}

impl std::fmt::Display for LeafKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeafKind::Payout => write!(f, "payout after timelock"),
            LeafKind::Disprove(Step::Gate(g)) => write!(f, "disprove gate {g}"),
            LeafKind::Disprove(Step::Output(o)) => write!(f, "disprove output bit {o}"),
            LeafKind::Equivocation(w) => write!(f, "equivocation on wire {w}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_wire_once_and_fit_the_stack() {
        for n in [1usize, 10, 989, 990, 5000, 13675, 135_073] {
            let wires: Vec<u32> = (0..n as u32).collect();
            let b = plan_batches(&wires, 989, 700);
            let flat: Vec<u32> = b.iter().flatten().flatten().copied().collect();
            assert_eq!(flat, wires, "n={n}");
            for tx in &b {
                let w: u64 = tx
                    .iter()
                    .map(|i| 700 + i.len() as u64 * ASSERT_WEIGHT_PER_WIRE)
                    .sum();
                assert!(w <= ASSERT_WEIGHT_BUDGET, "n={n}: {w}");
                assert!(tx.iter().all(|i| !i.is_empty() && i.len() <= 989));
            }
        }
    }
}
