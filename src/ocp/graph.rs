//! The transaction graph of one deposit, built deterministically from the public setup
//! (parameters, public keys, circuit, wire commitments) *before* any claim exists: the
//! signers pre-sign it, and only then does the operator claim a result on it.
//!
//! ```text
//! funding ─▶ deposit ─┬─▶ refund (depositor, after R blocks, if nobody claimed)
//!                     └─▶ kickoff (the claim: opens the claimed inputs and outputs; + stake)
//!                          ├─ challenge connector ─┬─▶ challenge (anyone, SINGLE|ANYONECANPAY)
//!                          │                       └─▶ payout-unchallenged (after P, with carrier₀)
//!                          └─ carrier₀ ─┬─▶ timeout-0 (after 3P: deposit back, stake burned)
//!                                       └─▶ assert-1 ─▶ … ─▶ assert-K (each within P, else timeout-i)
//!                                                               ├─ carrier_K ─┬─▶ payout (after P, with the disprove connector)
//!                                                               │             ├─▶ disprove (pre-signed SINGLE: deposit back, reward to the publisher)
//!                                                               │             └─▶ fallback (after R: deposit back, stake burned)
//!                                                               └─ disprove connector (one leaf per gate and per wire, no key)
//! ```
//!
//! Every transaction's doc in `docs/ocp.md` says who can spend each output, when, with
//! what, and what they gain; the tests in `game.rs` and `tests/challenge.rs` play the
//! attacks those paragraphs rule out.

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
use super::policy;
use super::script::{self, Check, NofN, Operand};
use super::taptree::{nums_key, TapTree};
use super::OcpError;

/// Value of every connector output: the P2TR dust limit.
pub const CONNECTOR_SATS: u64 = 330;
/// Value of a keyed CPFP anchor (a P2TR key-path output): the P2TR dust limit.
pub const ANCHOR_SATS: u64 = 330;
/// Bitcoin Core's largest standard transaction.
pub const MAX_STANDARD_WEIGHT: u64 = 400_000;
/// What an Assert or the kickoff may use, leaving room below the standard limit.
pub const ASSERT_WEIGHT_BUDGET: u64 = 396_000;
/// Tapscript's limit on stack plus altstack items, which also bounds the initial stack.
pub const MAX_STACK_ITEMS: usize = 1000;
/// Added to the stake to find the smallest one that works (see [`Graph::build_unchecked`]).
const PROBE_STAKE: u64 = 1 << 40;
/// The most n-of-n signers: each signature is one stack item of every Assert input.
pub const MAX_SIGNERS: usize = 100;
/// Weight of one wire opening in an Assert input: 53 script bytes and a 21-byte item.
pub const ASSERT_WEIGHT_PER_WIRE: u64 = (script::COMMIT_CHECK_BYTES + 21) as u64;
/// The `--input` value that leaves an input to the claim: the operator commits it.
pub const CLAIMED: &str = "_";
/// The longest challenge period: the first Assert deadline, 3P, must fit in BIP68's 16 bits.
pub const MAX_CHALLENGE_PERIOD: u16 = u16::MAX / 3;

/// How the n signers sign: one MuSig2 key or an `OP_CHECKSIGADD` script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NofNMode {
    Musig2,
    Checksigadd,
}

/// The setup's parameters, as given to `zkm challenge setup` (defaults resolved).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Where the circuit came from: `builtin:NAME` or the file name.
    pub circuit: String,
    /// One value per circuit input: a hex constant fixed at setup (big-endian, least
    /// significant bit on the first wire), or `_` for an input the operator commits when
    /// it claims.
    pub inputs: Vec<String>,
    pub signers: usize,
    /// Value of the deposit output, in sats: what the operator is paid for a true claim.
    pub amount: u64,
    /// The operator's collateral, posted with the kickoff: it pays the graph's fees, and a
    /// proven lie or a missed deadline forfeits it.
    pub stake: u64,
    /// What a disprove leaves to whoever publishes it (its fee included), out of the stake;
    /// the rest of the stake goes to the depositor.
    pub reward: u64,
    /// Fee rate of every pre-signed transaction, in sat/vB.
    pub fee_rate: u64,
    /// P: blocks to challenge, blocks per Assert step, and blocks to disprove.
    pub challenge_period: u16,
    /// Blocks after which the depositor may take back a deposit nobody claimed, and after
    /// which a final carrier nobody could pay out is forfeited.
    pub refund_after: u16,
    /// What the challenger pays the operator (the challenge transaction's signed output).
    pub challenge_fee: u64,
    pub n_of_n: NofNMode,
    /// A real funding outpoint (regtest replay); `None` for a synthetic one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<OutPoint>,
    /// The operator's real stake coin (regtest replay); `None` for a synthetic one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stake_coin: Option<OutPoint>,
}

/// The public inputs of the graph.
#[derive(Clone, Debug)]
pub struct Setup {
    pub params: Params,
    pub keys: PublicKeys,
    pub circuit: Circuit,
    /// One commitment per committed wire, in [`committed_wires`] order.
    pub commitments: Vec<WireCommitment>,
}

/// Per input bit of the circuit: `Some(bit)` for a constant, `None` for a claimed bit.
pub fn constant_bits(params: &Params, circuit: &Circuit) -> Result<Vec<Option<bool>>, OcpError> {
    if params.inputs.len() != circuit.inputs.len() {
        return Err(OcpError::Data(format!(
            "input {}: the circuit takes {} inputs ({:?} bits) but {} were given; pass one --input per input: HEX for a constant, `{CLAIMED}` for one the operator claims",
            params.inputs.len(),
            circuit.inputs.len(),
            circuit.inputs,
            params.inputs.len()
        )));
    }
    let mut bits = Vec::with_capacity(circuit.input_bits() as usize);
    for (i, (v, &w)) in params.inputs.iter().zip(&circuit.inputs).enumerate() {
        if v == CLAIMED {
            bits.extend(std::iter::repeat_n(None, w as usize));
        } else {
            let b = super::bristol::bits_from_hex(v, w).map_err(|m| {
                OcpError::Data(format!(
                    "input {i}: {m}; give a hex constant, or `{CLAIMED}` to leave it to the claim"
                ))
            })?;
            bits.extend(b.into_iter().map(Some));
        }
    }
    Ok(bits)
}

/// The committed wires, in commitment order: the claimed input bits, then every wire a
/// gate writes (outputs last, as Bristol Fashion numbers them).
pub fn committed_wires(constants: &[Option<bool>], circuit: &Circuit) -> Vec<u32> {
    (0..constants.len() as u32)
        .filter(|&w| constants[w as usize].is_none())
        .chain(circuit.input_bits()..circuit.nwires)
        .collect()
}

/// Everything that defines a graph except its commitments and coins, hashed.
fn params_digest(params: &Params, circuit: &Circuit, keys: &PublicKeys) -> [u8; 32] {
    let mut p = params.clone();
    p.funding = None;
    p.stake_coin = None;
    let pj = serde_json::to_vec(&p).expect("params serialize");
    let kj = serde_json::to_vec(keys).expect("keys serialize");
    tagged(
        "zkm/ocp/params",
        &[&pj, circuit.to_bristol().as_bytes(), &kj],
    )
}

/// The coins a graph spends: the depositor's funding and the operator's stake, the given
/// ones or synthetic ones derived from everything else that defines the graph.
fn coins(params: &Params, digest: &[u8; 32]) -> (OutPoint, OutPoint) {
    let synthetic = |tag: &str| OutPoint {
        txid: Txid::from_byte_array(tagged(tag, &[digest])),
        vout: 0,
    };
    (
        params
            .funding
            .unwrap_or_else(|| synthetic("zkm/ocp/funding")),
        params
            .stake_coin
            .unwrap_or_else(|| synthetic("zkm/ocp/stake-coin")),
    )
}

/// The graph's id: a hash of the circuit, the parameters, every public key and both coins
/// it spends. The operator's one-time secrets are bound to it, so no two graphs, even from
/// one keys file, share a commitment; two graphs with one id spend the same coins, so at
/// most one of them can ever be played.
pub fn graph_id(params: &Params, circuit: &Circuit, keys: &PublicKeys) -> [u8; 32] {
    identity(params, circuit, keys).0
}

/// The graph id and the funding and stake outpoints, from one hash of the setup.
fn identity(
    params: &Params,
    circuit: &Circuit,
    keys: &PublicKeys,
) -> ([u8; 32], OutPoint, OutPoint) {
    let d = params_digest(params, circuit, keys);
    let (f, s) = coins(params, &d);
    let id = tagged(
        "zkm/ocp/graph-id",
        &[
            &d,
            &bitcoin::consensus::serialize(&f),
            &bitcoin::consensus::serialize(&s),
        ],
    );
    (id, f, s)
}

/// Who signs an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Signer {
    /// Pre-signed by the n signers at `zkm challenge sign`.
    #[serde(rename = "n-of-n")]
    NofN,
    /// Pre-signed by the n signers, and signed by the operator when it claims.
    #[serde(rename = "n-of-n and operator")]
    NofNAndOperator,
    /// The operator's key (its stake coin, its anchors), when it spends.
    #[serde(rename = "operator")]
    Operator,
    /// The depositor's key (its funding coin, the refund), when it spends.
    #[serde(rename = "depositor")]
    Depositor,
    /// Nobody: the witness is openings only, so anyone who has them can spend.
    #[serde(rename = "anyone")]
    Anyone,
}

/// How one input is unlocked.
#[derive(Clone, Debug)]
pub struct Spend {
    /// The leaf script and its control block; `None` for a key-path spend.
    pub leaf: Option<(ScriptBuf, ControlBlock)>,
    pub leaf_index: usize,
    pub signer: Signer,
    pub sighash: TapSighashType,
    /// Committed wires this input opens (claim, Assert, disprove), in witness order.
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
            Signer::Operator | Signer::Depositor => 1,
            Signer::Anyone => 0,
        }
    }

    /// Whether the n signers pre-sign this input.
    pub fn presigned(&self) -> bool {
        matches!(self.signer, Signer::NofN | Signer::NofNAndOperator)
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

    fn tree(role: impl Into<String>, leaves: Vec<String>) -> OutputRole {
        OutputRole {
            role: role.into(),
            leaves,
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
    /// Weight once signed; for a template (`challenge`, `disprove`) once completed as the
    /// heaviest completion the graph was checked with.
    pub weight: Weight,
    /// The fee at the graph's fee rate; for a template, what the completer pays.
    pub fee: u64,
    /// How a template is completed, for the transactions others finish.
    pub completion: Option<&'static str>,
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

/// The relative timelocks, in blocks.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Timelocks {
    /// Kickoff to the unchallenged payout, which closes the challenge window.
    pub unchallenged_payout: u16,
    /// Kickoff to timeout-0 if the operator has not started to assert: 3P, so that a
    /// challenge confirmed up to P blocks after the window opened to be closed still
    /// leaves the operator P blocks.
    pub first_assert_deadline: u16,
    /// One Assert to the next before timeout-i.
    pub next_assert_deadline: u16,
    /// Last Assert to the payout: the time to disprove.
    pub disprove_window: u16,
    /// Deposit to the depositor's refund, and last Assert to the fallback.
    pub refund: u16,
}

/// The graph with every transaction template.
pub struct Graph {
    pub setup: Setup,
    /// See [`graph_id`]: the operator's one-time secrets are bound to it.
    pub id: [u8; 32],
    pub nofn: NofN,
    /// Per input bit: `Some(bit)` for a constant, `None` for a claimed bit.
    pub constants: Vec<Option<bool>>,
    /// The committed wires, in commitment order.
    pub committed: Vec<u32>,
    /// Wire to commitment index (`u32::MAX` for a constant input bit).
    index_of: Vec<u32>,
    /// The claimed wires (claimed input bits, then the outputs) each kickoff input opens:
    /// the deposit output first, then the deposit's claim connectors.
    pub claim_batches: Vec<Vec<u32>>,
    /// For each Assert transaction, for each input, the wires it opens.
    pub batches: Vec<Vec<Vec<u32>>>,
    pub txs: Vec<GraphTx>,
    /// The disprove connector's TapTree: payout, one leaf per gate, one per committed wire.
    pub final_tree: TapTree,
    pub funding: (OutPoint, TxOut),
    pub stake_coin: (OutPoint, TxOut),
    pub timelocks: Timelocks,
    pub operator_spk: ScriptBuf,
    pub challenger_spk: ScriptBuf,
    pub funder_spk: ScriptBuf,
    /// Where forfeited stake is burned: an OP_RETURN output.
    pub burn_spk: ScriptBuf,
    /// Leaf scripts of every small TapTree output, by scriptPubKey (for PSBT outputs).
    pub output_scripts: HashMap<ScriptBuf, Vec<ScriptBuf>>,
    /// The heaviest leaf of the disprove connector (script and witness bytes).
    pub heaviest_leaf: usize,
    /// The smallest margin, in sats, by which the stake covers a branch (what is left of
    /// a carrier after its fees and the deposit), and that transaction; negative if short.
    tightest: Option<(i128, String)>,
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
/// transaction as fit in [`ASSERT_WEIGHT_BUDGET`], at most `per_input` per input. An empty
/// list (a circuit whose gates all write outputs) still gets one Assert with no openings.
pub fn plan_batches(
    wires: &[u32],
    per_input: usize,
    fixed_input_weight: u64,
) -> Vec<Vec<Vec<u32>>> {
    if wires.is_empty() {
        return vec![vec![vec![]]];
    }
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

/// One output of a transaction being built: a fixed value, or (`None`) what is left.
struct Out {
    spk: ScriptBuf,
    value: Option<u64>,
    role: OutputRole,
}

impl Out {
    fn fixed(spk: ScriptBuf, value: u64, role: OutputRole) -> Out {
        Out {
            spk,
            value: Some(value),
            role,
        }
    }

    fn rest(spk: ScriptBuf, role: OutputRole) -> Out {
        Out {
            spk,
            value: None,
            role,
        }
    }
}

/// A small TapTree output of the graph: its tree and leaf scripts.
struct Tree {
    tree: TapTree,
    scripts: Vec<ScriptBuf>,
    names: Vec<String>,
}

impl Tree {
    fn new(secp: &Secp256k1<All>, leaves: Vec<(ScriptBuf, String)>) -> Tree {
        let (scripts, names): (Vec<_>, Vec<_>) = leaves.into_iter().unzip();
        Tree {
            tree: TapTree::from_scripts(secp, nums_key(), &scripts),
            scripts,
            names,
        }
    }

    fn spk(&self) -> ScriptBuf {
        self.tree.script_pubkey()
    }

    fn spend(
        &self,
        leaf: usize,
        signer: Signer,
        sighash: TapSighashType,
        opens: Vec<u32>,
    ) -> Spend {
        Spend {
            leaf: Some((self.scripts[leaf].clone(), self.tree.control_block(leaf))),
            leaf_index: leaf,
            signer,
            sighash,
            opens,
            what: self.names[leaf].clone(),
        }
    }
}

/// A transaction's outputs as `In`s for its children.
fn outpoint(txid: Txid, vout: usize) -> OutPoint {
    OutPoint {
        txid,
        vout: vout as u32,
    }
}

impl Graph {
    /// Builds the graph. Fails, saying what to change, if the setup is inconsistent, if
    /// some branch cannot pay its fees, if a pre-signed transaction would not relay, or if
    /// the stake, reward and challenge fee do not give the incentives docs/ocp.md states.
    pub fn build(setup: Setup) -> Result<Graph, OcpError> {
        let g = Graph::build_unchecked(setup)?;
        g.check_incentives()?;
        g.check_relay()?;
        Ok(g)
    }

    /// [`Graph::build`] without the incentive and relay checks (to price a default
    /// challenge fee). If the stake cannot pay every branch's fees and still return the
    /// whole deposit, it says the smallest stake that can: every carrier holds the stake
    /// plus a constant, so one build with a larger stake measures that constant.
    pub fn build_unchecked(setup: Setup) -> Result<Graph, OcpError> {
        Graph::build_unchecked_as(setup, false)
    }

    /// The graph's transactions with their sizes and fees only, for pricing: the disprove
    /// connector's leaves are left out (its tree has the right depth, over zero hashes),
    /// so its scripts and the disprove are wrong. Never sign or play such a graph.
    pub fn build_for_sizes(setup: Setup) -> Result<Graph, OcpError> {
        Graph::build_unchecked_as(setup, true)
    }

    fn build_unchecked_as(setup: Setup, sizes_only: bool) -> Result<Graph, OcpError> {
        let g = Graph::assemble(setup.clone(), sizes_only)?;
        match &g.tightest {
            Some((slack, _)) if *slack < 0 => {}
            _ => return Ok(g),
        }
        let p = &setup.params;
        let mut probe = setup.clone();
        probe.params.stake = p.stake + PROBE_STAKE;
        let (slack, name) = Graph::assemble(probe, sizes_only)?
            .tightest
            .expect("a stake-funded branch");
        let min = (p.stake + PROBE_STAKE) as i128 - slack;
        Err(OcpError::Usage(format!(
            "--stake {} sats cannot pay every branch's fees and still return the whole deposit of {} sats to the depositor (the tightest branch is `{name}`); use --stake {min} or more, or lower --fee-rate or --reward",
            p.stake, p.amount
        )))
    }

    fn assemble(setup: Setup, sizes_only: bool) -> Result<Graph, OcpError> {
        let secp = Secp256k1::new();
        let p = setup.params.clone();
        let c = &setup.circuit;
        let nin = c.input_bits();
        check_params(&p)?;
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
        if c.gates.is_empty() {
            return Err(OcpError::Usage(
                "the circuit has no gates: there is no computation to challenge".into(),
            ));
        }
        let constants = constant_bits(&p, c)?;
        let committed = committed_wires(&constants, c);
        if setup.commitments.len() != committed.len() {
            return Err(OcpError::Data(format!(
                "{} wire commitments for {} committed wires; re-run `zkm challenge setup`",
                setup.commitments.len(),
                committed.len()
            )));
        }
        let mut index_of = vec![u32::MAX; c.nwires as usize];
        for (i, &w) in committed.iter().enumerate() {
            index_of[w as usize] = i as u32;
        }
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
            first_assert_deadline: 3 * period,
            next_assert_deadline: period,
            disprove_window: period,
            refund: p.refund_after,
        };
        let (id, funding_outpoint, stake_outpoint) = identity(&p, c, &setup.keys);

        // What each input opens: the claim (claimed input bits and the outputs) in the
        // kickoff, every other wire a gate writes in the Asserts. Each wire exactly once.
        let nsigs = nofn.signatures();
        let per_input = MAX_STACK_ITEMS - 10 - nsigs;
        let claim_wires: Vec<u32> = committed
            .iter()
            .copied()
            .filter(|&w| w < nin || c.is_output(w))
            .collect();
        let claim_batches: Vec<Vec<u32>> = claim_wires
            .chunks(per_input - 1)
            .map(<[u32]>::to_vec)
            .collect();
        let assert_wires: Vec<u32> = (nin..c.first_output_wire()).collect();
        let nofn_len = nofn.script(true).len() as u64;
        let fixed_input = 41 * 4 + 1 + nsigs as u64 * 66 + 3 + nofn_len + 1 + 99 + 43 * 4;
        let batches = plan_batches(&assert_wires, per_input, fixed_input);

        let operator_spk = p2tr_key(&secp, setup.keys.operator);
        let challenger_spk = p2tr_key(&secp, setup.keys.challenger);
        let funder_spk = p2tr_key(&secp, setup.keys.funder);
        let mut g = Graph {
            nofn: nofn.clone(),
            id,
            constants,
            committed,
            index_of,
            claim_batches: claim_batches.clone(),
            batches: batches.clone(),
            txs: Vec::new(),
            final_tree: TapTree::from_leaf_hashes(
                &secp,
                nums_key(),
                vec![TapLeafHash::all_zeros()],
            ),
            funding: (funding_outpoint, TxOut::NULL),
            stake_coin: (
                stake_outpoint,
                TxOut {
                    value: Amount::from_sat(p.stake),
                    script_pubkey: operator_spk.clone(),
                },
            ),
            timelocks,
            operator_spk: operator_spk.clone(),
            challenger_spk,
            funder_spk: funder_spk.clone(),
            burn_spk: ScriptBuf::new_op_return([]),
            output_scripts: HashMap::new(),
            heaviest_leaf: 1,
            tightest: None,
            index: HashMap::new(),
            setup,
            secp,
        };
        // The disprove connector's tree: built first, since the last Assert pays to it.
        if sizes_only {
            let zeros = vec![TapLeafHash::all_zeros(); g.leaf_count()];
            g.final_tree = TapTree::from_leaf_hashes(&g.secp, nums_key(), zeros);
            g.build_transactions()?;
            return Ok(g);
        }
        let mut heaviest = (1usize, 0usize);
        let leaves: Vec<TapLeafHash> = (0..g.leaf_count())
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
        g.heaviest_leaf = heaviest.0;
        g.final_tree = TapTree::from_leaf_hashes(&g.secp, nums_key(), leaves);
        g.check_disprove_size()?;
        g.build_transactions()?;
        Ok(g)
    }

    /// Every disprove must fit in a TRUC transaction (anyone completes it, so it must not
    /// be able to pin), which bounds a leaf's openings; only a MAND gate, one leaf for
    /// all its ANDs, comes near. (It also keeps the witness far below tapscript's
    /// 1,000-item stack: 10,000 vB hold about 500 openings.)
    fn check_disprove_size(&self) -> Result<(), OcpError> {
        let vsize = |l: usize| {
            let spend = self.connector_spend(l, Signer::Anyone, TapSighashType::Default);
            // The forfeit input: n-of-n signatures (SIGHASH_SINGLE, 65 bytes each), its
            // leaf, and a control block of depth 2 (the final carrier has three leaves).
            let mut forfeit: Vec<Vec<u8>> = vec![vec![0u8; 65]; self.nofn.signatures()];
            forfeit.push(script::nofn_leaf(&self.nofn).into_bytes());
            forfeit.push(vec![0u8; 33 + 2 * 32]);
            let outs = [&self.funder_spk, &self.challenger_spk];
            Transaction {
                version: transaction::Version(3),
                lock_time: absolute::LockTime::ZERO,
                input: vec![
                    TxIn {
                        witness: Witness::from_slice(&forfeit),
                        ..Default::default()
                    },
                    TxIn {
                        witness: GraphTx::dummy_witness(&spend, &self.nofn),
                        ..Default::default()
                    },
                ],
                output: outs
                    .iter()
                    .map(|spk| TxOut {
                        value: Amount::ZERO,
                        script_pubkey: (*spk).clone(),
                    })
                    .collect(),
            }
            .weight()
            .to_vbytes_ceil()
        };
        let l = self.heaviest_leaf;
        let v = vsize(l);
        if v <= policy::TRUC_MAX_VSIZE {
            return Ok(());
        }
        let LeafKind::Disprove(gate) = self.leaf_kind(l) else {
            return Err(OcpError::Usage(format!(
                "the disprove through leaf {l} would be {v} vB, over TRUC's {} vB",
                policy::TRUC_MAX_VSIZE
            )));
        };
        let ands = self.setup.circuit.gates[gate].outs.len();
        let base = vsize(0);
        let fits = (ands as u64 * (policy::TRUC_MAX_VSIZE - base) / (v - base)).saturating_sub(1);
        Err(OcpError::Usage(format!(
            "gate {gate} is a {} of {ands} outputs whose disprove would be {v} vB, over the {} vB of a TRUC transaction (anyone completes a disprove, so it is TRUC, so that nobody can pin it); split it into MAND gates of at most {fits} ANDs",
            self.setup.circuit.gates[gate].kind.name(),
            policy::TRUC_MAX_VSIZE
        )))
    }

    fn commitments_of(&self, wires: &[u32]) -> Vec<WireCommitment> {
        wires.iter().map(|&w| self.commitment(w)).collect()
    }

    fn build_transactions(&mut self) -> Result<(), OcpError> {
        let p = self.setup.params.clone();
        let t = self.timelocks;
        let nofn = self.nofn.clone();
        let keys = self.setup.keys.clone();
        let all = TapSighashType::All;
        let rbf = Sequence::ENABLE_RBF_NO_LOCKTIME;
        let anchor = || {
            Out::fixed(
                p2tr_key(&Secp256k1::new(), keys.operator),
                ANCHOR_SATS,
                OutputRole::key_path("operator anchor (CPFP)"),
            )
        };
        let refund_leaf = (
            script::key_after_leaf(&keys.funder, t.refund),
            format!("refund to the depositor after {} blocks", t.refund),
        );

        // The deposit: the deposit output, one claim connector per further claim batch,
        // and the depositor's anchor.
        let claim_trees: Vec<Tree> = self
            .claim_batches
            .iter()
            .enumerate()
            .map(|(j, wires)| {
                let cs = self.commitments_of(wires);
                let leaf = if j == 0 {
                    script::claim_leaf(&nofn, &keys.operator, &cs)
                } else {
                    script::assert_leaf(&nofn, &cs)
                };
                Tree::new(
                    &self.secp,
                    vec![
                        (leaf, format!("kickoff claim of {} wires", wires.len())),
                        refund_leaf.clone(),
                    ],
                )
            })
            .collect();
        let mut outs = vec![Out::rest(
            claim_trees[0].spk(),
            OutputRole::tree("deposit", claim_trees[0].names.clone()),
        )];
        for (j, tr) in claim_trees.iter().enumerate().skip(1) {
            outs.push(Out::fixed(
                tr.spk(),
                CONNECTOR_SATS,
                OutputRole::tree(format!("claim connector {j}"), tr.names.clone()),
            ));
        }
        outs.push(Out::fixed(
            self.funder_spk.clone(),
            ANCHOR_SATS,
            OutputRole::key_path("depositor anchor (CPFP)"),
        ));
        let deposit_spend = Spend {
            leaf: None,
            leaf_index: 0,
            signer: Signer::Depositor,
            sighash: TapSighashType::Default,
            opens: vec![],
            what: "depositor key path".into(),
        };
        // The funding coin pays exactly the deposit, the connectors, the anchor and the fee.
        let probe = self.weigh(&[&deposit_spend], &outs);
        let fixed: u64 = outs.iter().filter_map(|o| o.value).sum();
        let funding_value = p.amount + fixed + probe.to_vbytes_ceil() * p.fee_rate;
        self.funding.1 = TxOut {
            value: Amount::from_sat(funding_value),
            script_pubkey: self.funder_spk.clone(),
        };
        let deposit = self.push_tx(
            "deposit",
            vec![In {
                outpoint: self.funding.0,
                prevout: self.funding.1.clone(),
                spend: deposit_spend,
                sequence: rbf,
            }],
            outs,
        )?;
        self.record_trees(&claim_trees);

        // The kickoff: the claim (every claim input pre-signed, the deposit's also by the
        // operator), plus the operator's stake.
        let mut kick_ins: Vec<In> = claim_trees
            .iter()
            .enumerate()
            .map(|(j, tr)| In {
                outpoint: outpoint(deposit.0, j),
                prevout: deposit.1[j].clone(),
                spend: tr.spend(
                    0,
                    if j == 0 {
                        Signer::NofNAndOperator
                    } else {
                        Signer::NofN
                    },
                    all,
                    self.claim_batches[j].clone(),
                ),
                sequence: rbf,
            })
            .collect();
        kick_ins.push(In {
            outpoint: self.stake_coin.0,
            prevout: self.stake_coin.1.clone(),
            spend: Spend {
                leaf: None,
                leaf_index: 0,
                signer: Signer::Operator,
                sighash: TapSighashType::Default,
                opens: vec![],
                what: "operator's stake, key path".into(),
            },
            sequence: rbf,
        });
        let refund_ins: Vec<In> = claim_trees
            .iter()
            .enumerate()
            .map(|(j, tr)| In {
                outpoint: outpoint(deposit.0, j),
                prevout: deposit.1[j].clone(),
                spend: tr.spend(1, Signer::Depositor, TapSighashType::Default, vec![]),
                sequence: Sequence::from_height(t.refund),
            })
            .collect();
        let k = self.batches.len();
        let assert_trees = |g: &Graph, i: usize| -> Vec<Tree> {
            // The outputs assert-(i+1) spends: the carrier's leaf 0, then one connector per
            // further input.
            g.batches[i]
                .iter()
                .enumerate()
                .map(|(j, wires)| {
                    let leaf = (
                        script::assert_leaf(&nofn, &g.commitments_of(wires)),
                        format!("assert-{} input {j}: opens {} wires", i + 1, wires.len()),
                    );
                    let mut leaves = vec![leaf];
                    if j == 0 && i == 0 {
                        leaves.push((
                            script::nofn_after_leaf(&nofn, t.unchallenged_payout),
                            format!("payout-unchallenged after {} blocks", t.unchallenged_payout),
                        ));
                        leaves.push((
                            script::nofn_after_leaf(&nofn, t.first_assert_deadline),
                            format!("timeout-0 after {} blocks", t.first_assert_deadline),
                        ));
                    } else if j == 0 {
                        leaves.push((
                            script::nofn_after_leaf(&nofn, t.next_assert_deadline),
                            format!("timeout-{i} after {} blocks", t.next_assert_deadline),
                        ));
                    }
                    Tree::new(&g.secp, leaves)
                })
                .collect()
        };
        let mut next = assert_trees(self, 0);
        let challenge_tree = Tree::new(
            &self.secp,
            vec![(
                script::nofn_leaf(&nofn),
                "n-of-n: the challenge (SINGLE|ANYONECANPAY) or payout-unchallenged (ALL)"
                    .to_string(),
            )],
        );
        let mut outs = vec![Out::rest(
            next[0].spk(),
            OutputRole::tree("carrier 0", next[0].names.clone()),
        )];
        for (j, tr) in next.iter().enumerate().skip(1) {
            outs.push(Out::fixed(
                tr.spk(),
                CONNECTOR_SATS,
                OutputRole::tree(
                    format!("connector for assert-1 input {j}"),
                    tr.names.clone(),
                ),
            ));
        }
        outs.push(Out::fixed(
            challenge_tree.spk(),
            CONNECTOR_SATS,
            OutputRole::tree("challenge connector", challenge_tree.names.clone()),
        ));
        outs.push(anchor());
        let kickoff = self.push_tx("kickoff", kick_ins, outs)?;
        self.record_trees(&next);
        self.record_trees(std::slice::from_ref(&challenge_tree));
        self.push_tx(
            "refund",
            refund_ins,
            vec![Out::rest(
                self.funder_spk.clone(),
                OutputRole::key_path("depositor"),
            )],
        )?;
        let cc = kickoff.1.len() - 2;

        // The challenge: anyone completes it with their own coin; the signed output pays
        // the operator the challenge fee.
        self.push_challenge(
            In {
                outpoint: outpoint(kickoff.0, cc),
                prevout: kickoff.1[cc].clone(),
                spend: challenge_tree.spend(
                    0,
                    Signer::NofN,
                    TapSighashType::SinglePlusAnyoneCanPay,
                    vec![],
                ),
                sequence: rbf,
            },
            p.challenge_fee,
        );
        let mut cc_all = challenge_tree.spend(0, Signer::NofN, all, vec![]);
        cc_all.what = "n-of-n: closes the challenge window".into();
        self.push_tx(
            "payout-unchallenged",
            vec![
                In {
                    outpoint: outpoint(kickoff.0, 0),
                    prevout: kickoff.1[0].clone(),
                    spend: next[0].spend(1, Signer::NofN, all, vec![]),
                    sequence: Sequence::from_height(t.unchallenged_payout),
                },
                In {
                    outpoint: outpoint(kickoff.0, cc),
                    prevout: kickoff.1[cc].clone(),
                    spend: cc_all,
                    sequence: rbf,
                },
            ],
            vec![Out::rest(
                self.operator_spk.clone(),
                OutputRole::key_path("operator"),
            )],
        )?;
        self.push_forfeit(
            "timeout-0",
            In {
                outpoint: outpoint(kickoff.0, 0),
                prevout: kickoff.1[0].clone(),
                spend: next[0].spend(2, Signer::NofN, all, vec![]),
                sequence: Sequence::from_height(t.first_assert_deadline),
            },
        )?;

        // The Asserts and their timeouts; the last pays the final carrier and the
        // disprove connector.
        let final_carrier = Tree::new(
            &self.secp,
            vec![
                (
                    script::nofn_after_leaf(&nofn, t.disprove_window),
                    format!("payout after {} blocks", t.disprove_window),
                ),
                (
                    script::nofn_leaf(&nofn),
                    "n-of-n: forfeit in the disprove (SIGHASH_SINGLE)".into(),
                ),
                (
                    script::nofn_after_leaf(&nofn, t.refund),
                    format!("fallback after {} blocks", t.refund),
                ),
            ],
        );
        let mut parent = kickoff;
        for i in 1..=k {
            let ins: Vec<In> = next
                .iter()
                .enumerate()
                .map(|(j, tr)| In {
                    outpoint: outpoint(parent.0, j),
                    prevout: parent.1[j].clone(),
                    spend: tr.spend(0, Signer::NofN, all, self.batches[i - 1][j].clone()),
                    sequence: rbf,
                })
                .collect();
            let mut outs = Vec::new();
            let trees = if i < k {
                let trees = assert_trees(self, i);
                outs.push(Out::rest(
                    trees[0].spk(),
                    OutputRole::tree(format!("carrier {i}"), trees[0].names.clone()),
                ));
                for (j, tr) in trees.iter().enumerate().skip(1) {
                    outs.push(Out::fixed(
                        tr.spk(),
                        CONNECTOR_SATS,
                        OutputRole::tree(
                            format!("connector for assert-{} input {j}", i + 1),
                            tr.names.clone(),
                        ),
                    ));
                }
                trees
            } else {
                outs.push(Out::rest(
                    final_carrier.spk(),
                    OutputRole::tree("final carrier", final_carrier.names.clone()),
                ));
                outs.push(Out::fixed(
                    self.final_tree.script_pubkey(),
                    CONNECTOR_SATS,
                    OutputRole::tree(
                        "disprove connector",
                        vec![
                            "n-of-n: the payout".into(),
                            format!("{} disprove leaves, no key", self.step_count()),
                            format!("{} equivocation leaves, no key", self.committed.len()),
                        ],
                    ),
                ));
                vec![]
            };
            outs.push(anchor());
            let name = format!("assert-{i}");
            let done = self.push_tx(&name, ins, outs)?;
            if i < k {
                self.record_trees(&trees);
                self.push_forfeit(
                    &format!("timeout-{i}"),
                    In {
                        outpoint: outpoint(done.0, 0),
                        prevout: done.1[0].clone(),
                        spend: trees[0].spend(1, Signer::NofN, all, vec![]),
                        sequence: Sequence::from_height(t.next_assert_deadline),
                    },
                )?;
                next = trees;
            }
            parent = done;
        }
        self.record_trees(std::slice::from_ref(&final_carrier));
        let carrier = In {
            outpoint: outpoint(parent.0, 0),
            prevout: parent.1[0].clone(),
            spend: final_carrier.spend(0, Signer::NofN, all, vec![]),
            sequence: Sequence::from_height(t.disprove_window),
        };
        let connector = In {
            outpoint: outpoint(parent.0, 1),
            prevout: parent.1[1].clone(),
            spend: self.connector_spend(0, Signer::NofN, all),
            sequence: rbf,
        };
        self.push_tx(
            "payout",
            vec![carrier, connector],
            vec![Out::rest(
                self.operator_spk.clone(),
                OutputRole::key_path("operator"),
            )],
        )?;
        // The disprove: the n signers pre-sign the forfeit input with SIGHASH_SINGLE, which
        // fixes both inputs and output 0 (the depositor's refund) and leaves the reward to
        // whoever publishes it through any leaf of the disprove connector.
        let forfeit = In {
            outpoint: outpoint(parent.0, 0),
            prevout: parent.1[0].clone(),
            spend: final_carrier.spend(1, Signer::NofN, TapSighashType::Single, vec![]),
            sequence: rbf,
        };
        let any_leaf = In {
            outpoint: outpoint(parent.0, 1),
            prevout: parent.1[1].clone(),
            spend: self.connector_spend(
                self.heaviest_leaf,
                Signer::Anyone,
                TapSighashType::Default,
            ),
            sequence: rbf,
        };
        self.push_disprove(forfeit, any_leaf)?;
        self.push_forfeit(
            "fallback",
            In {
                outpoint: outpoint(parent.0, 0),
                prevout: parent.1[0].clone(),
                spend: final_carrier.spend(2, Signer::NofN, all, vec![]),
                sequence: Sequence::from_height(t.refund),
            },
        )?;
        Ok(())
    }

    /// A spend of the disprove connector through leaf `l`.
    pub fn connector_spend(&self, l: usize, signer: Signer, sighash: TapSighashType) -> Spend {
        let opens = match self.leaf_kind(l) {
            LeafKind::Payout => vec![],
            LeafKind::Disprove(s) => self.step_wires(s),
            LeafKind::Equivocation(w) => vec![w, w],
        };
        Spend {
            leaf: Some((self.leaf_script(l), self.final_tree.control_block(l))),
            leaf_index: l,
            signer,
            sighash,
            opens,
            what: self.leaf_kind(l).to_string(),
        }
    }

    fn record_trees(&mut self, trees: &[Tree]) {
        for t in trees {
            self.output_scripts.insert(t.spk(), t.scripts.clone());
        }
    }

    /// The weight of a transaction with these spends and outputs, once signed.
    fn weigh(&self, spends: &[&Spend], outs: &[Out]) -> Weight {
        Transaction {
            version: transaction::Version(3),
            lock_time: absolute::LockTime::ZERO,
            input: spends
                .iter()
                .map(|s| TxIn {
                    witness: GraphTx::dummy_witness(s, &self.nofn),
                    ..Default::default()
                })
                .collect(),
            output: outs
                .iter()
                .map(|o| TxOut {
                    value: Amount::ZERO,
                    script_pubkey: o.spk.clone(),
                })
                .collect(),
        }
        .weight()
    }

    /// Adds a transaction whose one `rest` output takes what is left after the fee. It is
    /// version 3 (TRUC) when it fits in TRUC's 10,000 vB, else version 2 (see docs/ocp.md:
    /// only Asserts and a kickoff with a large claim are that big, and no third party can
    /// attach to them).
    fn push_tx(
        &mut self,
        name: &str,
        ins: Vec<In>,
        outs: Vec<Out>,
    ) -> Result<(Txid, Vec<TxOut>), OcpError> {
        let p = &self.setup.params;
        let mut tx = Transaction {
            version: transaction::Version(3),
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
                .map(|o| TxOut {
                    value: Amount::from_sat(o.value.unwrap_or(0)),
                    script_pubkey: o.spk.clone(),
                })
                .collect(),
        };
        let weight = tx.weight();
        if weight.to_vbytes_ceil() > policy::TRUC_MAX_VSIZE {
            tx.version = transaction::Version::TWO;
        }
        let fee = weight.to_vbytes_ceil() * p.fee_rate;
        let total_in: u64 = ins.iter().map(|i| i.prevout.value.to_sat()).sum();
        let fixed: u64 = outs.iter().filter_map(|o| o.value).sum();
        let rest_at = outs
            .iter()
            .position(|o| o.value.is_none())
            .expect("one output takes the rest");
        let floor = outs[rest_at].spk.minimal_non_dust().to_sat();
        let slack = total_in as i128 - (fixed + fee + floor) as i128;
        // The deposit and the refund are paid by the depositor's coins; every other
        // transaction by a carrier of the deposit and the stake.
        let from_stake = name != "deposit" && name != "refund";
        if slack < 0 && !from_stake {
            return Err(OcpError::Usage(format!(
                "--amount {} sats cannot pay for `{name}`: it needs {} sats in fees ({} vB at {} sat/vB) and keeps {floor}; use --amount {} or more, or lower --fee-rate",
                p.amount,
                fee,
                weight.to_vbytes_ceil(),
                p.fee_rate,
                p.amount as i128 - slack
            )));
        }
        if from_stake {
            self.note_slack(slack, name);
        }
        let rest = (slack.max(0) as u64) + floor;
        tx.output[rest_at].value = Amount::from_sat(rest);
        for i in &mut tx.input {
            i.witness = Witness::new();
        }
        let txid = tx.compute_txid();
        let outputs = tx.output.clone();
        self.add(GraphTx {
            name: name.to_string(),
            tx,
            prevouts: ins.iter().map(|i| i.prevout.clone()).collect(),
            spends: ins.into_iter().map(|i| i.spend).collect(),
            outputs: outs.into_iter().map(|o| o.role).collect(),
            weight,
            fee,
            completion: None,
        });
        Ok((txid, outputs))
    }

    /// Records how much a stake-funded branch has to spare.
    fn note_slack(&mut self, slack: i128, name: &str) {
        if self.tightest.as_ref().is_none_or(|(s, _)| slack < *s) {
            self.tightest = Some((slack, name.to_string()));
        }
    }

    fn add(&mut self, tx: GraphTx) {
        self.index.insert(tx.name.clone(), self.txs.len());
        self.txs.push(tx);
    }

    /// A forfeit after a missed deadline (`timeout-i`, `fallback`): the depositor gets its
    /// deposit back and the rest of the carrier, the operator's stake less the fees, is
    /// burned. Pre-signed SIGHASH_ALL, so anyone may broadcast it, and nobody profits
    /// from the operator's lateness; the depositor's output is its CPFP handle.
    fn push_forfeit(&mut self, name: &str, carrier: In) -> Result<(), OcpError> {
        let amount = self.setup.params.amount;
        self.push_tx(
            name,
            vec![carrier],
            vec![
                Out::fixed(
                    self.funder_spk.clone(),
                    amount,
                    OutputRole::key_path("depositor: the deposit back"),
                ),
                Out::rest(
                    self.burn_spk.clone(),
                    OutputRole::key_path("burned: the stake, less the fees"),
                ),
            ],
        )?;
        Ok(())
    }

    /// The challenge template (SINGLE|ANYONECANPAY): output 0 pays the operator the
    /// challenge fee; the challenger adds its coin and change. Weighed and checked as the
    /// challenger completes it, with one key-path input and a change output.
    fn push_challenge(&mut self, conn: In, challenge_fee: u64) {
        let tx = Transaction {
            version: transaction::Version(3),
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: conn.outpoint,
                sequence: conn.sequence,
                ..Default::default()
            }],
            output: vec![TxOut {
                value: Amount::from_sat(challenge_fee),
                script_pubkey: self.operator_spk.clone(),
            }],
        };
        let completed = self.completed_challenge(&tx, &conn.spend, &conn.prevout);
        let weight = completed.0.weight();
        self.add(GraphTx {
            name: "challenge".into(),
            fee: weight.to_vbytes_ceil() * self.setup.params.fee_rate,
            weight,
            tx,
            prevouts: vec![conn.prevout],
            spends: vec![conn.spend],
            outputs: vec![OutputRole::key_path("operator (the challenge fee)")],
            completion: Some("the challenger adds its own inputs and change (SIGHASH_SINGLE|ANYONECANPAY on the n-of-n input)"),
        });
    }

    /// The challenge as a challenger completes it: a key-path coin and change, with
    /// witnesses of the final sizes. Returns the transaction and its spent outputs.
    pub fn completed_challenge(
        &self,
        tx: &Transaction,
        spend: &Spend,
        prevout: &TxOut,
    ) -> (Transaction, Vec<TxOut>) {
        let mut t = tx.clone();
        let coin = 2 * t.output[0].value.to_sat() + 1_000_000;
        t.input[0].witness = GraphTx::dummy_witness(spend, &self.nofn);
        t.input.push(TxIn {
            previous_output: OutPoint::null(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[vec![0u8; 64]]),
            ..Default::default()
        });
        t.output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: self.challenger_spk.clone(),
        });
        let fee = t.weight().to_vbytes_ceil() * self.setup.params.fee_rate;
        t.output[1].value =
            Amount::from_sat(coin + CONNECTOR_SATS - t.output[0].value.to_sat() - fee);
        let prevouts = vec![
            prevout.clone(),
            TxOut {
                value: Amount::from_sat(coin),
                script_pubkey: self.challenger_spk.clone(),
            },
        ];
        (t, prevouts)
    }

    fn push_disprove(&mut self, forfeit: In, any_leaf: In) -> Result<(), OcpError> {
        let p = self.setup.params.clone();
        let carrier = forfeit.prevout.value.to_sat();
        // A disprove returns the deposit and the challenge fee to the depositor, so that the
        // party with the most reason to challenge a lie is repaid even if someone else
        // takes the reward.
        let slack = carrier as i128 - (p.reward + p.amount + p.challenge_fee) as i128;
        self.note_slack(slack, "disprove");
        let refund = carrier.saturating_sub(p.reward).max(p.amount);
        let tx = Transaction {
            version: transaction::Version(3),
            lock_time: absolute::LockTime::ZERO,
            input: vec![
                TxIn {
                    previous_output: forfeit.outpoint,
                    sequence: forfeit.sequence,
                    ..Default::default()
                },
                TxIn {
                    previous_output: any_leaf.outpoint,
                    sequence: any_leaf.sequence,
                    ..Default::default()
                },
            ],
            output: vec![TxOut {
                value: Amount::from_sat(refund),
                script_pubkey: self.funder_spk.clone(),
            }],
        };
        let mut gtx = GraphTx {
            name: "disprove".into(),
            weight: Weight::ZERO,
            fee: 0,
            tx,
            prevouts: vec![forfeit.prevout, any_leaf.prevout],
            spends: vec![forfeit.spend, any_leaf.spend],
            outputs: vec![OutputRole::key_path(
                "depositor: the deposit back, with the stake less the reward",
            )],
            completion: Some("the publisher picks a leaf of the disprove connector and adds its reward output (SIGHASH_SINGLE on the forfeit input)"),
        };
        // Weighed with the heaviest leaf and the publisher's reward output.
        let (t, _) = self.completed_disprove(&gtx, self.heaviest_leaf, 0);
        gtx.weight = t.weight();
        gtx.fee = gtx.weight.to_vbytes_ceil() * p.fee_rate;
        self.add(gtx);
        Ok(())
    }

    /// The disprove through leaf `l` of the disprove connector, with the publisher's
    /// reward output paying `to` (or the challenger's key) what is left after its fee at
    /// the graph's rate, and witnesses of the final sizes (zeros: fill them in).
    pub fn completed_disprove(
        &self,
        gtx: &GraphTx,
        l: usize,
        extra_fee: u64,
    ) -> (Transaction, Spend) {
        let spend = self.connector_spend(l, Signer::Anyone, TapSighashType::Default);
        let mut t = gtx.tx.clone();
        t.input[0].witness = GraphTx::dummy_witness(&gtx.spends[0], &self.nofn);
        t.input[1].witness = GraphTx::dummy_witness(&spend, &self.nofn);
        t.output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: self.challenger_spk.clone(),
        });
        let fee = t.weight().to_vbytes_ceil() * self.setup.params.fee_rate + extra_fee;
        let left =
            gtx.prevouts.iter().map(|o| o.value.to_sat()).sum::<u64>() - t.output[0].value.to_sat();
        t.output[1].value = Amount::from_sat(left.saturating_sub(fee));
        (t, spend)
    }

    /// Every pre-signed transaction, weighed as it will be mined (templates completed),
    /// must be one Bitcoin Core relays: otherwise a branch of the game cannot be played.
    fn check_relay(&self) -> Result<(), OcpError> {
        for t in &self.txs {
            let (tx, prevouts) = match t.name.as_str() {
                "challenge" => self.completed_challenge(&t.tx, &t.spends[0], &t.prevouts[0]),
                "disprove" => (
                    self.completed_disprove(t, self.heaviest_leaf, 0).0,
                    t.prevouts.clone(),
                ),
                _ => (t.weighed(&self.nofn), t.prevouts.clone()),
            };
            let why = policy::check_tx(&tx, &prevouts);
            if !why.is_empty() {
                let fix = if t.name == "challenge" {
                    format!("raise --challenge-fee to at least {CONNECTOR_SATS} sats, the P2TR dust limit")
                } else if t.name == "disprove" {
                    "raise --reward so the publisher's output is not dust after its fee".into()
                } else if t.name == "kickoff" {
                    "make some inputs constants with --input HEX: the claim opens too many wires for one standard kickoff".into()
                } else {
                    "change the parameters (--amount, --stake, --fee-rate) or the circuit".into()
                };
                return Err(OcpError::Usage(format!(
                    "`{}` would not be relayed by Bitcoin Core ({}): every pre-signed transaction must relay, or its branch of the game cannot be played; {fix}",
                    t.name,
                    why.join("; ")
                )));
            }
        }
        Ok(())
    }

    /// What a challenge costs an honest operator beyond the unchallenged path: every
    /// Assert's fee and the payout's, less payout-unchallenged's.
    pub fn assert_cost(&self) -> u64 {
        let fee = |n: &str| self.tx(n).map_or(0, |t| t.fee);
        (1..=self.assert_count())
            .map(|i| fee(&format!("assert-{i}")))
            .sum::<u64>()
            + fee("payout").saturating_sub(fee("payout-unchallenged"))
    }

    /// The incentives docs/ocp.md promises: a challenge pays for the Asserts it forces,
    /// and disproving a lie pays for the challenge and the disprove.
    pub fn check_incentives(&self) -> Result<(), OcpError> {
        let p = &self.setup.params;
        let cost = self.assert_cost();
        if p.challenge_fee < cost {
            return Err(OcpError::Usage(format!(
                "--challenge-fee {} sats does not cover what a challenge costs an honest operator: {cost} sats of Assert and payout fees at {} sat/vB; with less, challenging an honest claim costs the challenger less than the operator; use --challenge-fee {cost} or more (the default)",
                p.challenge_fee, p.fee_rate
            )));
        }
        let disprove = self.get("disprove")?.fee;
        if p.reward < disprove {
            return Err(OcpError::Usage(format!(
                "--reward {} sats cannot pay for the heaviest disprove ({disprove} sats of fees at {} sat/vB): nobody could afford to publish the proof of a lie; use --reward {disprove} or more",
                p.reward, p.fee_rate
            )));
        }
        // A liar who is challenged by someone else and publishes the disprove itself keeps
        // the challenge fee and the reward: a proven lie must still cost it half its stake.
        if 2 * (p.reward + p.challenge_fee) > p.stake {
            return Err(OcpError::Usage(format!(
                "--reward {} plus the challenge fee {} is more than half the stake of {} sats: a lying operator who is challenged and publishes the disprove itself gets both back, so a proven lie would cost it less than half its stake; use --stake {} or more, or a smaller --reward",
                p.reward,
                p.challenge_fee,
                p.stake,
                2 * (p.reward + p.challenge_fee)
            )));
        }
        Ok(())
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

    // ---- Wires, steps and the disprove connector's leaves ----

    /// The constant value of input bit `w`, if it is a constant.
    pub fn constant(&self, w: u32) -> Option<bool> {
        self.constants.get(w as usize).copied().flatten()
    }

    /// Whether wire `w` is committed (not a constant input bit).
    pub fn is_committed(&self, w: u32) -> bool {
        self.index_of
            .get(w as usize)
            .is_some_and(|&i| i != u32::MAX)
    }

    /// The claimed input bits, in wire order.
    pub fn claimed_inputs(&self) -> Vec<u32> {
        (0..self.constants.len() as u32)
            .filter(|&w| self.constants[w as usize].is_none())
            .collect()
    }

    /// Number of steps: one per gate.
    pub fn step_count(&self) -> usize {
        self.setup.circuit.gates.len()
    }

    /// Leaves of the disprove connector: payout, then one per gate, then one per
    /// committed wire.
    pub fn leaf_count(&self) -> usize {
        1 + self.step_count() + self.committed.len()
    }

    pub fn leaf_of_step(&self, gate: usize) -> usize {
        1 + gate
    }

    pub fn leaf_of_equivocation(&self, wire: u32) -> usize {
        1 + self.step_count() + self.index_of[wire as usize] as usize
    }

    /// What leaf `l` of the disprove connector is.
    pub fn leaf_kind(&self, l: usize) -> LeafKind {
        let ng = self.step_count();
        if l == 0 {
            LeafKind::Payout
        } else if l <= ng {
            LeafKind::Disprove(l - 1)
        } else {
            LeafKind::Equivocation(self.committed[l - 1 - ng])
        }
    }

    pub fn leaf_script(&self, l: usize) -> ScriptBuf {
        match self.leaf_kind(l) {
            LeafKind::Payout => script::nofn_leaf(&self.nofn),
            LeafKind::Disprove(s) => script::disprove_leaf(&self.step_checks(s)),
            LeafKind::Equivocation(w) => script::equivocation_leaf(&self.commitment(w)),
        }
    }

    /// The commitment of a committed wire.
    pub fn commitment(&self, wire: u32) -> WireCommitment {
        self.setup.commitments[self.index_of[wire as usize] as usize]
    }

    /// A wire as an operand: a constant input bit, or a committed wire.
    pub fn operand(&self, wire: u32) -> Operand {
        match self.constant(wire) {
            Some(v) => Operand::Const(v),
            None => Operand::Wire(self.commitment(wire)),
        }
    }

    /// The checks of a gate, with their operands.
    pub fn step_checks(&self, gate: usize) -> Vec<Check> {
        self.setup.circuit.gates[gate]
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
            .collect()
    }

    /// The committed wires a gate's disprove witness opens, in witness order.
    pub fn step_wires(&self, gate: usize) -> Vec<u32> {
        let wires: Vec<u32> = self.setup.circuit.gates[gate]
            .checks()
            .into_iter()
            .flat_map(|(out, kind, ins)| {
                let ins = if kind == GateKind::Eq { vec![] } else { ins };
                ins.into_iter().chain(std::iter::once(out))
            })
            .collect();
        wires
            .into_iter()
            .filter(|&w| self.is_committed(w))
            .collect()
    }

    /// Whether a gate is computed wrongly, given the value of each committed wire.
    pub fn step_is_wrong(&self, gate: usize, value: &dyn Fn(u32) -> bool) -> bool {
        let val = |w: u32| self.constant(w).unwrap_or_else(|| value(w));
        self.setup.circuit.gates[gate]
            .checks()
            .into_iter()
            .any(|(out, kind, ins)| {
                let want = if kind == GateKind::Eq {
                    ins[0] == 1
                } else {
                    super::bristol::apply(kind, &ins.iter().map(|&w| val(w)).collect::<Vec<_>>())
                };
                val(out) != want
            })
    }

    /// What a signer checks before it signs, each with whether it holds: the graph was
    /// rebuilt from its parameters (by the caller), every transaction relays, the
    /// timelocks keep their order, and every branch of the game is covered.
    pub fn audit(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let t = self.timelocks;
        out.push((
            format!(
                "timelocks: payout-unchallenged after {} blocks < timeout-0 after {} (3P) < refund and fallback after {}; each Assert within {}, disprove within {}",
                t.unchallenged_payout, t.first_assert_deadline, t.refund, t.next_assert_deadline, t.disprove_window
            ),
            t.unchallenged_payout < t.first_assert_deadline && t.first_assert_deadline < t.refund,
        ));
        // Two equal hashes would let anyone open a wire "both ways" with one preimage (an
        // equivocation leaf spendable against an honest operator), or make a value
        // impossible to open.
        let mut hashes: Vec<_> = self
            .setup
            .commitments
            .iter()
            .flat_map(|c| c.hashes)
            .collect();
        hashes.sort_unstable();
        let distinct = hashes.windows(2).all(|w| w[0] != w[1]);
        out.push((
            format!(
                "the {} commitment hashes are all distinct (no wire's two values, and no two wires, share one)",
                hashes.len()
            ),
            distinct,
        ));
        let mut opened: Vec<u32> = self.claim_batches.iter().flatten().copied().collect();
        opened.extend(self.batches.iter().flatten().flatten());
        opened.sort_unstable();
        out.push((
            format!(
                "every one of the {} committed wires is opened exactly once: {} in the kickoff's claim, the rest in {} Asserts",
                self.committed.len(),
                self.claim_batches.iter().map(Vec::len).sum::<usize>(),
                self.assert_count()
            ),
            opened == self.committed,
        ));
        let leaves_ok = (0..self.step_count())
            .all(|s| self.leaf_kind(self.leaf_of_step(s)) == LeafKind::Disprove(s))
            && self.committed.iter().all(|&w| {
                self.leaf_kind(self.leaf_of_equivocation(w)) == LeafKind::Equivocation(w)
            });
        out.push((
            format!(
                "the disprove connector has one leaf per gate ({}) and one per committed wire ({}), none with a key, under a root of depth {}",
                self.step_count(),
                self.committed.len(),
                self.final_tree.depth()
            ),
            leaves_ok,
        ));
        let timeouts = (0..self.assert_count()).all(|i| self.tx(&format!("timeout-{i}")).is_some());
        out.push((
            "every carrier before the last has a timeout, and the last a payout, a disprove and a fallback".into(),
            timeouts && ["payout", "disprove", "fallback", "refund", "challenge", "payout-unchallenged"].iter().all(|n| self.tx(n).is_some()),
        ));
        out.push((
            format!(
                "every pre-signed transaction relays: standard, at most {} vB for TRUC, fees at {} sat/vB",
                policy::TRUC_MAX_VSIZE,
                self.setup.params.fee_rate
            ),
            self.check_relay().is_ok(),
        ));
        out.push((
            "a challenge pays the operator's Asserts, and a disprove's reward repays the challenge"
                .into(),
            self.check_incentives().is_ok(),
        ));
        out
    }
}

/// The parameter bounds that do not need the graph.
fn check_params(p: &Params) -> Result<(), OcpError> {
    if p.challenge_period < 2 || p.challenge_period > MAX_CHALLENGE_PERIOD {
        return Err(OcpError::Usage(format!(
            "--challenge-period must be 2 to {MAX_CHALLENGE_PERIOD} blocks: at least 2 so that a challenge fits between the kickoff and the unchallenged payout, at most a third of BIP68's range since the first Assert deadline is 3P"
        )));
    }
    if (p.refund_after as u32) <= 3 * p.challenge_period as u32 {
        return Err(OcpError::Usage(format!(
            "--refund-after {} must be more than 3 × --challenge-period ({}): the depositor's refund and the final fallback come after every deadline of the game",
            p.refund_after,
            3 * p.challenge_period as u32
        )));
    }
    let max_money = Amount::MAX_MONEY.to_sat();
    if [p.amount, p.stake, p.reward, p.challenge_fee]
        .iter()
        .any(|&v| v > max_money)
    {
        return Err(OcpError::Usage(format!(
            "--amount, --stake, --reward and --challenge-fee must be at most {max_money} sats (21 M BTC)"
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
    if p.challenge_fee < CONNECTOR_SATS {
        return Err(OcpError::Usage(format!(
            "--challenge-fee {} sats is below the {CONNECTOR_SATS}-sat P2TR dust limit: the challenge's signed output would be dust, no node would relay a challenge, and a false claim would be paid unchallenged; use --challenge-fee {CONNECTOR_SATS} or more",
            p.challenge_fee
        )));
    }
    if p.amount < CONNECTOR_SATS {
        return Err(OcpError::Usage(format!(
            "--amount {} sats is dust; use at least {CONNECTOR_SATS}",
            p.amount
        )));
    }
    Ok(())
}

/// What a leaf of the disprove connector does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKind {
    Payout,
    Disprove(usize),
    Equivocation(u32),
}

impl std::fmt::Display for LeafKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeafKind::Payout => write!(f, "n-of-n: the payout"),
            LeafKind::Disprove(g) => write!(f, "disprove gate {g}"),
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
        assert_eq!(plan_batches(&[], 989, 700), vec![vec![Vec::<u32>::new()]]);
    }
}
