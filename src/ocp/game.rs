//! Playing the game on the local chain: every branch of the protocol with real signed
//! transactions, each input checked by libbitcoinconsensus and each transaction by the
//! standardness and TRUC rules. Watchers read the claim from the kickoff's witness and
//! the operator's openings from the Assert witnesses on chain, as real ones would.

use std::collections::BTreeMap;
use std::str::FromStr;

use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use serde::Serialize;

use super::chain::{Chain, Reject};
use super::claim::Claim;
use super::commit::{LamportSecret, Openings, Preimage};
use super::graph::{Graph, GraphTx, LeafKind, Signer};
use super::keys::{tagged, Keys};
use super::script;
use super::sign::{input_sighash, sign_nofn, sign_single, Signatures};
use super::verify::verify_tx;
use super::OcpError;

/// Circuits with at most this many gates get every disprove leaf tried in `honest`.
pub const ALL_LEAVES_UP_TO: usize = 20_000;
/// Leaves tried in `honest` on larger circuits (spread evenly), besides the gates that
/// write the outputs.
pub const SAMPLED_LEAVES: usize = 256;
/// `fee-bump`'s market fee rate, as a multiple of the graph's pre-signed rate.
pub const FEE_BUMP_FACTOR: u64 = 10;

/// A branch of the game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Honest,
    Fraud,
    NoAssert,
    /// The operator stops after `assert-I` (1 ≤ I < K); anyone publishes timeout-I.
    Stall(usize),
    LateChallenge,
    /// The operator's close of the window never confirms (a challenger keeps outbidding
    /// it); at kickoff + 2P − 1 the operator asserts on its own, and the challenge only
    /// confirms at kickoff + 3P − 1.
    UnclosedWindow,
    EarlyPayout,
    Equivocate,
    Unchallenged,
    Refund,
    FeeBump,
    Tamper,
}

pub const SCENARIOS: &str = "honest, fraud, no-assert, stall:I, late-challenge, unclosed-window, early-payout, equivocate, unchallenged, refund, fee-bump, tamper";

impl FromStr for Scenario {
    type Err = OcpError;
    fn from_str(s: &str) -> Result<Scenario, OcpError> {
        Ok(match s {
            "honest" => Scenario::Honest,
            "fraud" => Scenario::Fraud,
            "no-assert" => Scenario::NoAssert,
            "late-challenge" => Scenario::LateChallenge,
            "unclosed-window" => Scenario::UnclosedWindow,
            "early-payout" => Scenario::EarlyPayout,
            "equivocate" => Scenario::Equivocate,
            "unchallenged" => Scenario::Unchallenged,
            "refund" => Scenario::Refund,
            "fee-bump" => Scenario::FeeBump,
            "tamper" => Scenario::Tamper,
            _ if s.starts_with("stall:") => match s["stall:".len()..].parse::<usize>() {
                Ok(i) => Scenario::Stall(i),
                Err(_) => {
                    return Err(OcpError::Usage(format!(
                        "`{s}`: stall:I takes the number of the last Assert published"
                    )))
                }
            },
            _ if s.starts_with("fraud:") => {
                return Err(OcpError::Usage(format!(
                    "`{s}`: the lie is now part of the claim; make it with `zkm challenge claim DIR --input … --lie GATE`, then play `--scenario fraud`"
                )))
            }
            _ => {
                return Err(OcpError::Usage(format!(
                    "unknown scenario `{s}`; use one of: {SCENARIOS}"
                )))
            }
        })
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scenario::Honest => write!(f, "honest"),
            Scenario::Fraud => write!(f, "fraud"),
            Scenario::NoAssert => write!(f, "no-assert"),
            Scenario::Stall(i) => write!(f, "stall:{i}"),
            Scenario::LateChallenge => write!(f, "late-challenge"),
            Scenario::UnclosedWindow => write!(f, "unclosed-window"),
            Scenario::EarlyPayout => write!(f, "early-payout"),
            Scenario::Equivocate => write!(f, "equivocate"),
            Scenario::Unchallenged => write!(f, "unchallenged"),
            Scenario::Refund => write!(f, "refund"),
            Scenario::FeeBump => write!(f, "fee-bump"),
            Scenario::Tamper => write!(f, "tamper"),
        }
    }
}

/// Who ends up with the deposit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Operator,
    Depositor,
}

impl Scenario {
    /// Who should hold the deposit at the end.
    pub fn expected_winner(self) -> Party {
        match self {
            Scenario::Honest
            | Scenario::LateChallenge
            | Scenario::UnclosedWindow
            | Scenario::EarlyPayout
            | Scenario::Unchallenged
            | Scenario::FeeBump
            | Scenario::Tamper => Party::Operator,
            Scenario::Fraud
            | Scenario::NoAssert
            | Scenario::Stall(_)
            | Scenario::Equivocate
            | Scenario::Refund => Party::Depositor,
        }
    }

    /// Whether the scenario needs a claim, and which kind: `Some(true)` an honest one,
    /// `Some(false)` a lie, `None` any.
    fn needs(self) -> Option<Option<bool>> {
        match self {
            Scenario::Refund => None,
            Scenario::Fraud => Some(Some(false)),
            Scenario::NoAssert | Scenario::Stall(_) | Scenario::Equivocate => Some(None),
            _ => Some(Some(true)),
        }
    }
}

/// One transaction put to the chain (or only to the interpreter, for tampered copies).
#[derive(Clone, Debug, Serialize)]
pub struct TxRecord {
    pub step: String,
    pub tx: String,
    pub txid: String,
    pub version: i32,
    pub weight: u64,
    pub vsize: u64,
    pub fee: u64,
    pub inputs: usize,
    /// `accepted at block N` or why it was refused.
    pub result: String,
    pub accepted: bool,
    /// Whether this is the outcome the protocol intends.
    pub as_intended: bool,
    #[serde(skip)]
    pub hex: String,
}

impl TxRecord {
    /// A record of `tx` (graph transaction `name`).
    fn new(step: String, name: &str, tx: &Transaction, fee: u64, result: String) -> TxRecord {
        TxRecord {
            step,
            tx: name.to_string(),
            txid: tx.compute_txid().to_string(),
            version: tx.version.0,
            weight: tx.weight().to_wu(),
            vsize: tx.weight().to_vbytes_ceil(),
            fee,
            inputs: tx.input.len(),
            result,
            accepted: false,
            as_intended: true,
            hex: String::new(),
        }
    }

    /// A copy that is only checked by the interpreter, never broadcast, to show that a
    /// tampered twin is refused for the tampering alone.
    fn control(
        step: String,
        name: &str,
        tx: &Transaction,
        valid: &Result<usize, super::verify::ScriptRejected>,
    ) -> TxRecord {
        let result = match valid {
            Ok(_) => "scripts valid".into(),
            Err(e) => format!("refused: {e}"),
        };
        TxRecord::new(step, name, tx, 0, result)
    }

    fn outcome(mut self, accepted: bool, as_intended: bool) -> TxRecord {
        self.accepted = accepted;
        self.as_intended = as_intended;
        self
    }

    fn with_hex(mut self, tx: &Transaction) -> TxRecord {
        self.hex = bitcoin::consensus::encode::serialize_hex(tx);
        self
    }
}

/// A coin the simulation created out of nothing: the deposit's funding, the operator's
/// stake, the challenger's coin and the wallets that pay CPFP children. A regtest replay
/// needs these to exist first.
#[derive(Clone, Debug, Serialize)]
pub struct SyntheticCoin {
    pub what: String,
    pub outpoint: String,
    pub amount: u64,
    pub script_pubkey: String,
}

/// The claim the game played, as a watcher reads it from the kickoff.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimReport {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// What the circuit computes on the claimed inputs.
    pub true_outputs: Vec<String>,
    pub lie: Option<String>,
}

/// What `zkm challenge simulate` reports.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub synthetic_coins: Vec<SyntheticCoin>,
    pub scenario: String,
    pub circuit: String,
    pub gates: usize,
    pub assert_transactions: usize,
    pub claim: Option<ClaimReport>,
    /// The lowest fee rate miners took, in sat/vB (0: anything that relays).
    pub market_fee_rate: u64,
    pub steps: Vec<TxRecord>,
    pub disprove_attempts: usize,
    pub disprove_leaves_tried: String,
    /// The first step a watcher found computed wrongly, if any.
    pub first_inconsistent_step: Option<String>,
    pub inputs_verified: usize,
    pub block_height: u32,
    pub holdings: BTreeMap<String, u64>,
    pub winner: Option<Party>,
    pub expected_winner: Party,
    pub failures: Vec<String>,
    pub ok: bool,
    pub seconds: f64,
}

/// Settings of a simulation beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The challenger's coin (outpoint, sats), paying to its key path; a synthetic one if
    /// `None`. Give a real one to replay the challenge on regtest.
    pub challenger_coin: Option<(OutPoint, u64)>,
}

/// Who owns a key-path output the game spends (for CPFP children).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Operator,
    Depositor,
}

struct Game<'a> {
    g: &'a Graph,
    keys: &'a Keys,
    sigs: &'a Signatures,
    /// The operator's value of every wire (a liar's differ).
    values: Vec<bool>,
    lamport: LamportSecret,
    chain: Chain,
    records: Vec<TxRecord>,
    failures: Vec<String>,
    broadcast: BTreeMap<String, Transaction>,
    challenger_coin: (OutPoint, TxOut),
    /// Coins the operator and the depositor pay CPFP children from.
    wallets: BTreeMap<&'static str, (OutPoint, TxOut)>,
    /// Where an independent watcher takes a disprove's reward: no key of the setup.
    watcher_spk: ScriptBuf,
    tamper: bool,
    disprove_attempts: usize,
    first_inconsistent: Option<String>,
    /// Every coin the game made out of nothing.
    synthetic: Vec<SyntheticCoin>,
    /// Whether a transaction that signs another message than its template may be signed
    /// afresh with the signers' keys (only tampered copies); otherwise it is an error, so
    /// a broken template cannot pass the simulation.
    resign: bool,
}

/// The scriptPubKey of a watcher that is none of the parties: it holds no key of the
/// setup, and still disproves.
fn watcher_spk(g: &Graph) -> ScriptBuf {
    let sk = bitcoin::secp256k1::SecretKey::from_slice(&tagged("zkm/ocp/watcher", &[&g.id]))
        .expect("a hash is a valid key with overwhelming probability");
    let secp = bitcoin::key::Secp256k1::new();
    let (x, _) = sk.public_key(&secp).x_only_public_key();
    ScriptBuf::new_p2tr(&secp, x, None)
}

impl<'a> Game<'a> {
    fn new(
        g: &'a Graph,
        keys: &'a Keys,
        sigs: &'a Signatures,
        values: Vec<bool>,
        opts: &Options,
    ) -> Game<'a> {
        let mut chain = Chain::new();
        let mut synthetic = Vec::new();
        let mut fund = |chain: &mut Chain, what: &str, (o, t): &(OutPoint, TxOut)| {
            chain.fund(*o, t.clone());
            synthetic.push(SyntheticCoin {
                what: what.to_string(),
                outpoint: o.to_string(),
                amount: t.value.to_sat(),
                script_pubkey: t.script_pubkey.to_hex_string(),
            });
        };
        fund(&mut chain, "the depositor's funding", &g.funding);
        fund(&mut chain, "the operator's stake", &g.stake_coin);
        let made_up = |tag: &str| OutPoint {
            txid: Txid::from_byte_array(tagged(tag, &[&g.id])),
            vout: 0,
        };
        let (outpoint, value) = opts.challenger_coin.unwrap_or((
            made_up("zkm/ocp/challenger-coin"),
            g.setup.params.challenge_fee + 1_000_000 + 10_000 * g.setup.params.fee_rate,
        ));
        let coin = (
            outpoint,
            TxOut {
                value: Amount::from_sat(value),
                script_pubkey: g.challenger_spk.clone(),
            },
        );
        fund(&mut chain, "the challenger's coin", &coin);
        let mut wallets = BTreeMap::new();
        for (who, spk) in [("operator", &g.operator_spk), ("depositor", &g.funder_spk)] {
            let w = (
                made_up(&format!("zkm/ocp/{who}-wallet")),
                TxOut {
                    value: Amount::from_sat(100_000_000),
                    script_pubkey: spk.clone(),
                },
            );
            fund(
                &mut chain,
                &format!("the {who}'s wallet for CPFP children"),
                &w,
            );
            wallets.insert(who, w);
        }
        Game {
            g,
            keys,
            sigs,
            values,
            lamport: LamportSecret::for_graph(&keys.lamport_seed, &g.id),
            chain,
            records: Vec::new(),
            failures: Vec::new(),
            broadcast: BTreeMap::new(),
            challenger_coin: coin,
            wallets,
            watcher_spk: watcher_spk(g),
            tamper: false,
            disprove_attempts: 0,
            first_inconsistent: None,
            synthetic,
            resign: false,
        }
    }

    /// Mines empty blocks until the tip is at `height`.
    fn mine_to(&mut self, height: u32) {
        let tip = self.chain.height();
        self.chain.mine(height.saturating_sub(tip));
    }

    fn preimages(&self, wires: &[u32]) -> Vec<Preimage> {
        wires
            .iter()
            .map(|&w| self.lamport.preimage(w, self.values[w as usize]))
            .collect()
    }

    /// The signed transaction `name` of the graph: pre-signed inputs get their stored
    /// signatures, claim and Assert inputs the operator's openings, the rest are signed
    /// now by their owner.
    fn signed(&self, name: &str) -> Result<Transaction, OcpError> {
        self.signed_changed(name, |_| {})
    }

    fn input_witness(
        &self,
        gtx: &GraphTx,
        tx: &Transaction,
        i: usize,
    ) -> Result<Witness, OcpError> {
        let spend = &gtx.spends[i];
        let own = |k: &bitcoin::secp256k1::SecretKey| -> Result<Vec<Vec<u8>>, OcpError> {
            let h = input_sighash(tx, &gtx.prevouts, i, spend)?;
            Ok(vec![sign_single(
                k,
                &h,
                spend.sighash,
                spend.leaf.is_none(),
            )])
        };
        let items = match spend.signer {
            Signer::NofN => {
                let sigs = self.nofn_sigs(gtx, tx, i)?;
                script::assert_witness(&self.g.nofn, &sigs, &self.preimages(&spend.opens))
            }
            Signer::NofNAndOperator => {
                let h = input_sighash(tx, &gtx.prevouts, i, spend)?;
                let op = sign_single(&self.keys.operator, &h, spend.sighash, false);
                script::claim_witness(
                    &self.g.nofn,
                    &self.nofn_sigs(gtx, tx, i)?,
                    op,
                    &self.preimages(&spend.opens),
                )
            }
            Signer::Operator => own(&self.keys.operator)?,
            Signer::Depositor => own(&self.keys.funder)?,
            Signer::Anyone => {
                return Err(OcpError::Game(format!(
                    "{}:{i} is spent by whoever holds openings; build it with the disprove",
                    gtx.name
                )))
            }
        };
        Ok(gtx.witness(i, items))
    }

    /// The n-of-n signatures of input `i` of `tx`: the pre-signed ones when `tx` signs
    /// the same message as the graph's template (the challenge stays valid as the
    /// challenger adds its coin, the disprove as the publisher adds its reward), else
    /// fresh ones from the signers' keys in secrets.json, so that a changed copy (another
    /// nSequence) is refused by what consensus checks, not by a stale signature.
    fn nofn_sigs(
        &self,
        gtx: &GraphTx,
        tx: &Transaction,
        i: usize,
    ) -> Result<Vec<Vec<u8>>, OcpError> {
        let spend = &gtx.spends[i];
        if input_sighash(tx, &gtx.prevouts, i, spend)?
            == input_sighash(&gtx.tx, &gtx.prevouts, i, spend)?
        {
            self.sigs.get(&gtx.name, i)
        } else if !self.resign {
            Err(OcpError::Game(format!(
                "{}:{i} signs another message than its pre-signed template; the pre-signatures cannot spend it",
                gtx.name
            )))
        } else {
            sign_nofn(
                self.g,
                self.keys,
                tx,
                &gtx.prevouts,
                i,
                spend,
                &format!("{} changed", gtx.name),
            )
        }
    }

    /// Graph transaction `name`, changed by `change` and then signed.
    fn signed_changed(
        &self,
        name: &str,
        change: impl Fn(&mut Transaction),
    ) -> Result<Transaction, OcpError> {
        let gtx = self.g.get(name)?;
        let mut tx = gtx.tx.clone();
        change(&mut tx);
        for i in 0..tx.input.len() {
            tx.input[i].witness = self.input_witness(gtx, &tx, i)?;
        }
        Ok(tx)
    }

    fn result_text(&self, result: &Result<u64, Reject>, height: u32) -> String {
        match result {
            Ok(_) => format!("accepted at block {height}"),
            Err(e @ Reject::Script(_)) => format!("refused: {e}"),
            Err(e) => {
                let scripts = match &self.chain.last_script_check {
                    Some(Ok(())) => "; its scripts are valid",
                    Some(Err(_)) => "; its scripts are invalid too",
                    None => "",
                };
                format!("refused: {e}{scripts}")
            }
        }
    }

    fn record(
        &mut self,
        step: &str,
        name: &str,
        tx: &Transaction,
        result: Result<u64, Reject>,
        expect_accept: bool,
    ) -> bool {
        let accepted = result.is_ok();
        let text = self.result_text(&result, self.chain.height());
        if accepted != expect_accept {
            self.failures.push(format!(
                "{step}: {name} was {text}, but the protocol expects it to be {}",
                if expect_accept { "accepted" } else { "refused" }
            ));
        }
        if accepted {
            self.broadcast.insert(name.to_string(), tx.clone());
        }
        self.records.push(
            TxRecord::new(
                step.to_string(),
                name,
                tx,
                *result.as_ref().unwrap_or(&0),
                text,
            )
            .outcome(accepted, accepted == expect_accept)
            .with_hex(tx),
        );
        accepted
    }

    /// Puts `tx` to the chain; records it and whether the outcome is the intended one.
    fn submit(&mut self, step: &str, name: &str, tx: &Transaction, expect_accept: bool) -> bool {
        let result = self.chain.broadcast(tx).map(|a| a.fee);
        self.record(step, name, tx, result, expect_accept)
    }

    /// Puts a parent and its CPFP child to the chain as one package.
    fn submit_package(
        &mut self,
        step: &str,
        name: &str,
        parent: &Transaction,
        child: &Transaction,
        expect_accept: bool,
    ) -> bool {
        let result = self.chain.broadcast_package(parent, child);
        let child_name = format!("{name}-cpfp");
        let (rp, rc) = match result {
            Ok([a, b]) => (Ok(a.fee), Ok(b.fee)),
            Err((0, e)) => (Err(e.clone()), Err(e)),
            Err((_, e)) => (
                Err(Reject::Policy(vec![format!(
                    "its CPFP child is refused ({e})"
                )])),
                Err(e),
            ),
        };
        let ok = self.record(&format!("{step} (parent)"), name, parent, rp, expect_accept);
        self.record(
            &format!("{step} (child)"),
            &child_name,
            child,
            rc,
            expect_accept,
        );
        ok
    }

    /// Submits graph transaction `name`, signed.
    fn play(&mut self, step: &str, name: &str, expect_accept: bool) -> Result<bool, OcpError> {
        let tx = self.signed(name)?;
        if self.tamper {
            self.tamper_suite(name, &tx)?;
        }
        Ok(self.submit(step, name, &tx, expect_accept))
    }

    fn start(&mut self) -> Result<(), OcpError> {
        self.play("depositor funds the deposit", "deposit", true)?;
        self.play(
            "operator claims: kickoff with its openings and stake",
            "kickoff",
            true,
        )?;
        Ok(())
    }

    /// The challenger completes the challenge template with its own coin and change,
    /// paying `fee_rate`.
    fn challenge_tx(&self, fee_rate: u64) -> Result<(Transaction, Vec<TxOut>), OcpError> {
        let gtx = self.g.get("challenge")?;
        let mut tx = gtx.tx.clone();
        tx.input.push(TxIn {
            previous_output: self.challenger_coin.0,
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            ..Default::default()
        });
        tx.output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: self.g.challenger_spk.clone(),
        });
        let prevouts = vec![gtx.prevouts[0].clone(), self.challenger_coin.1.clone()];
        let mut weighed = tx.clone();
        weighed.input[0].witness = self.input_witness(gtx, &tx, 0)?;
        weighed.input[1].witness = Witness::from_slice(&[vec![0u8; 64]]);
        let fee = weighed.weight().to_vbytes_ceil() * fee_rate;
        let total: u64 = prevouts.iter().map(|o| o.value.to_sat()).sum();
        let change = total
            .checked_sub(tx.output[0].value.to_sat() + fee)
            .ok_or_else(|| {
                OcpError::Game("the challenger's coin cannot pay the challenge".into())
            })?;
        tx.output[1].value = Amount::from_sat(change);
        tx.input[0].witness = self.input_witness(gtx, &tx, 0)?;
        let h = key_path_sighash(&tx, &prevouts, 1)?;
        tx.input[1].witness = Witness::from_slice(&[sign_single(
            &self.keys.challenger,
            &h,
            bitcoin::sighash::TapSighashType::Default,
            true,
        )]);
        Ok((tx, prevouts))
    }

    fn challenge(&mut self, step: &str, expect: bool) -> Result<(), OcpError> {
        let rate = self.g.setup.params.fee_rate.max(self.chain.market_fee_rate);
        let (tx, prevouts) = self.challenge_tx(rate)?;
        if self.tamper {
            self.tamper_challenge(&tx, &prevouts);
        }
        self.submit(step, "challenge", &tx, expect);
        Ok(())
    }

    fn assert_all(&mut self) -> Result<(), OcpError> {
        self.assert_all_as("operator opens its commitments")
    }

    fn assert_all_as(&mut self, step: &str) -> Result<(), OcpError> {
        for i in 1..=self.g.assert_count() {
            let ok = self.play(step, &format!("assert-{i}"), true)?;
            if !ok {
                return Err(OcpError::Game(format!(
                    "assert-{i} was refused; the operator cannot complete the Assert chain"
                )));
            }
        }
        Ok(())
    }

    /// The openings a watcher reads from the kickoff's and the Asserts' witnesses.
    fn read_openings(&self) -> Openings {
        let mut o = Openings::default();
        let mut read = |tx: &Transaction, batches: &[Vec<u32>]| {
            for (input, wires) in tx.input.iter().zip(batches) {
                let items: Vec<&[u8]> = input.witness.iter().collect();
                // [p_last … p_first, signatures…, script, control]
                for (k, &w) in wires.iter().enumerate() {
                    o.record(w, &self.g.commitment(w), items[wires.len() - 1 - k]);
                }
            }
        };
        if let Some(tx) = self.broadcast.get("kickoff") {
            read(tx, &self.g.claim_batches);
        }
        for (i, batch) in self.g.batches.iter().enumerate() {
            if let Some(tx) = self.broadcast.get(&format!("assert-{}", i + 1)) {
                read(tx, batch);
            }
        }
        o
    }

    /// The disprove through leaf `l` of the disprove connector with the given openings,
    /// its reward paid to an independent watcher.
    fn disprove_tx(
        &self,
        l: usize,
        open: &dyn Fn(u32, usize) -> Option<Preimage>,
    ) -> Result<Option<(String, Transaction)>, OcpError> {
        let gtx = self.g.get("disprove")?;
        let (mut tx, spend) = self.g.completed_disprove(gtx, l, 0);
        tx.output[1].script_pubkey = self.watcher_spk.clone();
        let items = match self.g.leaf_kind(l) {
            LeafKind::Disprove(s) => {
                let wires = self.g.step_wires(s);
                let mut k = 0;
                let w = script::disprove_witness(&self.g.step_checks(s), |_| {
                    let p = open(wires[k], k);
                    k += 1;
                    p
                });
                match w {
                    Some(w) => w,
                    None => return Ok(None),
                }
            }
            LeafKind::Equivocation(w) => match (open(w, 0), open(w, 1)) {
                (Some(p0), Some(p1)) => script::equivocation_witness(&p0, &p1),
                _ => return Ok(None),
            },
            LeafKind::Payout => return Ok(None),
        };
        let mut w = Witness::from_slice(&items);
        if let Some((s, cb)) = &spend.leaf {
            w.push(s.as_bytes());
            w.push(cb.serialize());
        }
        tx.input[1].witness = w;
        tx.input[0].witness = gtx.witness(0, self.g.nofn.witness(&self.nofn_sigs(gtx, &tx, 0)?));
        let name = match self.g.leaf_kind(l) {
            LeafKind::Equivocation(w) => format!("disprove-equivocation-w{w}"),
            kind => format!(
                "disprove-gate{}",
                match kind {
                    LeafKind::Disprove(s) => s,
                    _ => 0,
                }
            ),
        };
        Ok(Some((name, tx)))
    }

    /// Tries disprove leaves with the on-chain openings; each must be refused by the
    /// script interpreter.
    fn try_disproves(&mut self, leaves: &[usize]) -> Result<(), OcpError> {
        let o = self.read_openings();
        let mut shown = 0;
        for &l in leaves {
            let open = |w: u32, k: usize| match self.g.leaf_kind(l) {
                LeafKind::Equivocation(_) => {
                    o.preimage(w, k == 1).or_else(|| o.preimage(w, k != 1))
                }
                _ => o.value(w).and_then(|v| o.preimage(w, v)),
            };
            let Some((name, tx)) = self.disprove_tx(l, &open)? else {
                self.failures.push(format!(
                    "leaf {l}: an opening is missing from the kickoff and Assert witnesses"
                ));
                continue;
            };
            self.disprove_attempts += 1;
            match self.chain.broadcast(&tx) {
                Err(Reject::Script(e)) => {
                    // Input 0 (the n-of-n forfeit) must hold: the leaf is what fails.
                    if e.input != 1 {
                        self.failures.push(format!(
                            "{name}: refused at input {}, not at the disprove leaf",
                            e.input
                        ));
                    }
                    if shown < 3 {
                        shown += 1;
                        self.records.push(TxRecord::new(
                            "watcher tries a disprove leaf".into(),
                            &name,
                            &tx,
                            0,
                            format!("refused: {e}"),
                        ));
                    }
                }
                Err(other) => self
                    .failures
                    .push(format!("{name}: refused, but not by the script ({other})")),
                Ok(a) => {
                    self.failures.push(format!(
                        "{name}: accepted, but the operator computed this step correctly"
                    ));
                    self.records.push(
                        TxRecord::new(
                            "watcher tries a disprove leaf".into(),
                            &name,
                            &tx,
                            a.fee,
                            format!("accepted at block {}", a.height),
                        )
                        .outcome(true, false)
                        .with_hex(&tx),
                    );
                    self.broadcast.insert(name, tx);
                }
            }
        }
        Ok(())
    }

    /// A child spending output `vout` of `parent` (an anchor or a payout, a key-path
    /// output of `owner`) and a coin of the owner's wallet, paying enough that the
    /// package reaches the market's fee rate. `pad` extra bytes (an OP_RETURN) make it
    /// larger.
    fn cpfp_child(
        &self,
        (parent, parent_fee): (&Transaction, u64),
        (vout, owner): (usize, Owner),
        version: i32,
        pad: usize,
    ) -> Result<Transaction, OcpError> {
        let rate = self.chain.market_fee_rate;
        let (who, key) = match owner {
            Owner::Operator => ("operator", &self.keys.operator),
            Owner::Depositor => ("depositor", &self.keys.funder),
        };
        let wallet = self.wallets[who].clone();
        let anchor = parent.output[vout].clone();
        let prevouts = vec![anchor.clone(), wallet.1.clone()];
        let mut outputs = vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: wallet.1.script_pubkey.clone(),
        }];
        if pad > 0 {
            outputs.push(TxOut {
                value: Amount::ZERO,
                script_pubkey: ScriptBuf::from_bytes(
                    std::iter::once(0x6a)
                        .chain(std::iter::repeat_n(0x51, pad))
                        .collect(),
                ),
            });
        }
        let mut child = Transaction {
            version: bitcoin::transaction::Version(version),
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![
                TxIn {
                    previous_output: OutPoint {
                        txid: parent.compute_txid(),
                        vout: vout as u32,
                    },
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: Witness::from_slice(&[vec![0u8; 64]]),
                    ..Default::default()
                },
                TxIn {
                    previous_output: wallet.0,
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: Witness::from_slice(&[vec![0u8; 64]]),
                    ..Default::default()
                },
            ],
            output: outputs,
        };
        let vsize = parent.weight().to_vbytes_ceil() + child.weight().to_vbytes_ceil();
        let fee = (vsize * rate)
            .saturating_sub(parent_fee)
            .max(child.weight().to_vbytes_ceil());
        let total = anchor.value.to_sat() + wallet.1.value.to_sat();
        child.output[0].value = Amount::from_sat(total.checked_sub(fee).ok_or_else(|| {
            OcpError::Game(format!(
                "the {who}'s wallet cannot pay a CPFP child of {fee} sats"
            ))
        })?);
        for i in 0..2 {
            let h = key_path_sighash(&child, &prevouts, i)?;
            child.input[i].witness = Witness::from_slice(&[sign_single(
                key,
                &h,
                bitcoin::sighash::TapSighashType::Default,
                true,
            )]);
        }
        Ok(child)
    }

    /// `name` at the market's fee rate: refused alone, then mined with a CPFP child of
    /// `owner`'s through output `vout`. Updates the owner's wallet to the child's change.
    fn bumped(
        &mut self,
        step: &str,
        name: &str,
        vout: usize,
        owner: Owner,
    ) -> Result<(), OcpError> {
        let tx = self.signed(name)?;
        self.submit(
            &format!("{step}, alone below the market rate"),
            name,
            &tx,
            false,
        );
        let fee = self.g.get(name)?.fee;
        let v = tx.version.0;
        if v == 3 {
            // TRUC: a child over 1,000 vB, or a non-TRUC child, is refused.
            let big = self.cpfp_child((&tx, fee), (vout, owner), 3, 1_100)?;
            self.submit_package(
                &format!("{step}, with a child over 1,000 vB"),
                name,
                &tx,
                &big,
                false,
            );
            let v2 = self.cpfp_child((&tx, fee), (vout, owner), 2, 0)?;
            self.submit_package(
                &format!("{step}, with a version 2 child"),
                name,
                &tx,
                &v2,
                false,
            );
        }
        let child = self.cpfp_child((&tx, fee), (vout, owner), v, 0)?;
        if self.submit_package(
            &format!("{step}, bumped by a CPFP child"),
            name,
            &tx,
            &child,
            true,
        ) {
            let who = match owner {
                Owner::Operator => "operator",
                Owner::Depositor => "depositor",
            };
            self.wallets.insert(
                who,
                (
                    OutPoint {
                        txid: child.compute_txid(),
                        vout: 0,
                    },
                    child.output[0].clone(),
                ),
            );
        }
        Ok(())
    }

    fn holdings(&self) -> (BTreeMap<String, u64>, Option<Party>) {
        let mut h = BTreeMap::new();
        let wallets: Vec<OutPoint> = self.wallets.values().map(|w| w.0).collect();
        for (op, out) in self.chain.utxos() {
            let spk = &out.script_pubkey;
            let who = if wallets.contains(op) {
                "wallets (CPFP fees)"
            } else if *spk == self.g.operator_spk {
                "operator"
            } else if *spk == self.g.funder_spk {
                "depositor"
            } else if *spk == self.g.challenger_spk || *op == self.challenger_coin.0 {
                "challenger"
            } else if *spk == self.watcher_spk {
                "watcher (disprove reward)"
            } else if spk.is_op_return() {
                "burned"
            } else if out.value.to_sat() <= super::graph::CONNECTOR_SATS {
                "unspent connectors"
            } else {
                "locked in the graph"
            };
            *h.entry(who.to_string()).or_insert(0) += out.value.to_sat();
        }
        // The winner is whoever the deposit went to: follow the output that carries it
        // (the deposit, the kickoff's and each Assert's output 0) to the transaction that
        // took it out of the graph.
        let mut spender: BTreeMap<OutPoint, &Transaction> = BTreeMap::new();
        for tx in self.broadcast.values() {
            for i in &tx.input {
                spender.insert(i.previous_output, tx);
            }
        }
        let mut winner = None;
        let mut carrier = self.g.tx("deposit").map(|d| OutPoint {
            txid: d.txid(),
            vout: 0,
        });
        while let Some(tx) = carrier.and_then(|op| spender.get(&op)) {
            let out = &tx.output[0].script_pubkey;
            if *out == self.g.operator_spk {
                winner = Some(Party::Operator);
            } else if *out == self.g.funder_spk {
                winner = Some(Party::Depositor);
            } else {
                carrier = Some(OutPoint {
                    txid: tx.compute_txid(),
                    vout: 0,
                });
                continue;
            }
            break;
        }
        (h, winner)
    }

    // ---- Tampering: every mutation must be refused by libbitcoinconsensus ----

    fn expect_refused(&mut self, name: &str, what: &str, tx: &Transaction, prevouts: &[TxOut]) {
        let r = verify_tx(tx, prevouts);
        self.chain.inputs_verified += super::verify::inputs_checked(&r);
        let refused = r.is_err();
        if !refused {
            self.failures.push(format!(
                "tamper {name}: {what} was accepted by libbitcoinconsensus"
            ));
        }
        let result = match r {
            Ok(_) => "ACCEPTED".into(),
            Err(e) => format!("refused: {e}"),
        };
        self.records.push(
            TxRecord::new(format!("tampered: {what}"), name, tx, 0, result).outcome(false, refused),
        );
    }

    /// A control: a copy that must stay valid, to show the mutation next to it is what
    /// makes its twin fail.
    fn expect_valid(&mut self, name: &str, what: &str, tx: &Transaction, prevouts: &[TxOut]) {
        let valid = verify_tx(tx, prevouts);
        self.chain.inputs_verified += super::verify::inputs_checked(&valid);
        if let Err(e) = &valid {
            self.failures.push(format!(
                "tamper {name}: the control `{what}` is refused ({e})"
            ));
        }
        self.records.push(TxRecord::control(
            format!("control (not broadcast): {what}"),
            name,
            tx,
            &valid,
        ));
    }

    fn prevouts_of(&self, tx: &Transaction) -> Option<Vec<TxOut>> {
        tx.input
            .iter()
            .map(|i| self.chain.utxo(&i.previous_output).cloned())
            .collect()
    }

    fn tamper_suite(&mut self, name: &str, tx: &Transaction) -> Result<(), OcpError> {
        let prevouts = self.g.get(name)?.prevouts.clone();
        let untampered = verify_tx(tx, &prevouts);
        self.chain.inputs_verified += super::verify::inputs_checked(&untampered);
        if let Err(e) = untampered {
            self.failures.push(format!(
                "tamper {name}: the untampered transaction is refused ({e})"
            ));
            return Ok(());
        }
        let gtx = self.g.get(name)?.clone();
        for (input, m) in mutations(&gtx, tx) {
            let mut t = tx.clone();
            let what = m.apply(&mut t, self.g, input);
            if m == Mutation::TimelockBypass {
                // Re-sign every input (the n signers from secrets.json, or the owner), so
                // only the leaf's CHECKSEQUENCEVERIFY can refuse it.
                self.resign = true;
                for i in 0..t.input.len() {
                    t.input[i].witness = self.input_witness(&gtx, &t, i)?;
                }
                // The control: re-signed with only nLockTime changed (no script reads it),
                // the copy is valid, so the re-signing itself is sound.
                let mut c = tx.clone();
                c.lock_time = bitcoin::absolute::LockTime::from_consensus(1);
                for i in 0..c.input.len() {
                    c.input[i].witness = self.input_witness(&gtx, &c, i)?;
                }
                self.resign = false;
                self.expect_valid(name, "re-signed with another nLockTime", &c, &prevouts);
            }
            self.expect_refused(name, &what, &t, &prevouts);
        }
        if let Some(i) = gtx
            .spends
            .iter()
            .position(|s| s.signer == Signer::NofNAndOperator)
        {
            // The claim needs the operator: a forged operator signature is refused.
            let mut t = tx.clone();
            let mut items: Vec<Vec<u8>> = t.input[i].witness.iter().map(|i| i.to_vec()).collect();
            items[gtx.spends[i].opens.len()][10] ^= 0x01;
            t.input[i].witness = Witness::from_slice(&items);
            self.expect_refused(name, "corrupted operator signature", &t, &prevouts);
        }
        Ok(())
    }

    fn tamper_challenge(&mut self, tx: &Transaction, prevouts: &[TxOut]) {
        // SINGLE|ANYONECANPAY: the challenger may add inputs and outputs, but not change
        // the signed output or the signature.
        let mut t = tx.clone();
        t.output[0].script_pubkey = self.g.challenger_spk.clone();
        self.expect_refused(
            "challenge",
            "signed output 0 redirected to the challenger",
            &t,
            prevouts,
        );
        let mut t = tx.clone();
        t.output[0].value = Amount::from_sat(t.output[0].value.to_sat() - 1);
        self.expect_refused("challenge", "challenge fee lowered by 1 sat", &t, prevouts);
        let mut t = tx.clone();
        corrupt_sig(&mut t.input[0].witness);
        self.expect_refused("challenge", "corrupted n-of-n signature", &t, prevouts);
        let mut t = tx.clone();
        t.version = bitcoin::transaction::Version::TWO;
        self.expect_refused(
            "challenge",
            "version 2 instead of TRUC (the version is signed)",
            &t,
            prevouts,
        );
    }

    /// Tampered disprove spends, checked against the final carrier and the disprove
    /// connector. Each starts from a valid spend (gate 0 disproved with the openings of an
    /// operator lying there, and both openings of a wire), which must itself be valid.
    fn tamper_disproves(&mut self, claim: &Claim) -> Result<(), OcpError> {
        let g = self.g;
        let lie = Claim::make(g, &claim.inputs, Some(super::claim::Lie::Gate(0)))?;
        let lam = self.lamport.clone();
        let lying = |w: u32, _: usize| Some(lam.preimage(w, lie.values[w as usize]));
        let both = |w: u32, k: usize| Some(lam.preimage(w, k == 1));
        let eq_leaf = g.leaf_of_equivocation(g.committed[0]);
        for (l, open, what) in [
            (
                g.leaf_of_step(0),
                &lying as &dyn Fn(u32, usize) -> Option<Preimage>,
                "disprove leaf",
            ),
            (
                eq_leaf,
                &both as &dyn Fn(u32, usize) -> Option<Preimage>,
                "equivocation leaf",
            ),
        ] {
            let built = self.disprove_tx(l, open)?;
            let Some(((name, tx), prevouts)) =
                built.and_then(|(n, tx)| self.prevouts_of(&tx).map(|p| ((n, tx), p)))
            else {
                self.failures
                    .push(format!("tamper: cannot build a valid {what} spend"));
                continue;
            };
            self.expect_valid(&name, &format!("a valid {what} spend"), &tx, &prevouts);
            // SIGHASH_SINGLE leaves the reward to the publisher: redirecting it stays valid.
            let mut t = tx.clone();
            t.output[1].script_pubkey = self.g.operator_spk.clone();
            self.expect_valid(
                &name,
                &format!("{what}: the reward paid to another key"),
                &t,
                &prevouts,
            );
            for m in [
                Mutation::CorruptSignature,
                Mutation::WrongPreimage,
                Mutation::WrongControlBlock,
                Mutation::WrongLeaf,
            ] {
                let input = if m == Mutation::CorruptSignature {
                    0
                } else {
                    1
                };
                let mut t = tx.clone();
                let text = m.apply(&mut t, g, input);
                self.expect_refused(&name, &format!("{what}: {text}"), &t, &prevouts);
            }
            let mut t = tx.clone();
            t.output[0].script_pubkey = self.watcher_spk.clone();
            self.expect_refused(
                &name,
                &format!(
                    "{what}: the depositor's refund redirected (SIGHASH_SINGLE covers output 0)"
                ),
                &t,
                &prevouts,
            );
            let mut t = tx.clone();
            t.output[0].value = Amount::from_sat(t.output[0].value.to_sat() - 1_000);
            self.expect_refused(
                &name,
                &format!("{what}: the depositor's refund lowered"),
                &t,
                &prevouts,
            );
            // SIGHASH_SINGLE without ANYONECANPAY covers every input. Each copy below has
            // its own extra coin validly signed by its owner, so only the forfeit's
            // signature can refuse it.
            let coin = self.challenger_coin.clone();
            let with_coin = |mut t: Transaction,
                             mut p: Vec<TxOut>,
                             at: usize|
             -> Result<(Transaction, Vec<TxOut>), OcpError> {
                let input = TxIn {
                    previous_output: coin.0,
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    ..Default::default()
                };
                if at < t.input.len() {
                    t.input[at] = input;
                    p[at] = coin.1.clone();
                } else {
                    t.input.push(input);
                    p.push(coin.1.clone());
                }
                let h = key_path_sighash(&t, &p, at)?;
                t.input[at].witness = Witness::from_slice(&[sign_single(
                    &self.keys.challenger,
                    &h,
                    bitcoin::sighash::TapSighashType::Default,
                    true,
                )]);
                Ok((t, p))
            };
            let (t, p) = with_coin(tx.clone(), prevouts.clone(), 2)?;
            self.expect_refused(&name, &format!("{what}: an input added"), &t, &p);
            // The attack the forfeit's SIGHASH_SINGLE rules out: the disprove connector
            // swapped for one's own coin, to forfeit an honest operator with no proof.
            let (t, p) = with_coin(tx.clone(), prevouts.clone(), 1)?;
            self.expect_refused(
                &name,
                &format!("{what}: the disprove connector swapped for another coin"),
                &t,
                &p,
            );
        }
        Ok(())
    }
}

fn key_path_sighash(tx: &Transaction, prevouts: &[TxOut], i: usize) -> Result<[u8; 32], OcpError> {
    let spend = super::graph::Spend {
        leaf: None,
        leaf_index: 0,
        signer: Signer::Operator,
        sighash: bitcoin::sighash::TapSighashType::Default,
        opens: vec![],
        what: "key path".into(),
    };
    input_sighash(tx, prevouts, i, &spend)
}

/// The kinds of tampering tried on each transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mutation {
    CorruptSignature,
    WrongControlBlock,
    WrongLeaf,
    WrongPreimage,
    TimelockBypass,
    AlteredOutputs,
}

/// The mutations tried on a transaction, with the input each one changes: every input
/// gets those its spend allows, the outputs are redirected once.
fn mutations(gtx: &GraphTx, tx: &Transaction) -> Vec<(usize, Mutation)> {
    let mut m = vec![(0, Mutation::AlteredOutputs)];
    for (i, s) in gtx.spends.iter().enumerate() {
        if s.signer != Signer::Anyone {
            m.push((i, Mutation::CorruptSignature));
        }
        if s.leaf.is_some() {
            m.push((i, Mutation::WrongControlBlock));
            m.push((i, Mutation::WrongLeaf));
        }
        if !s.opens.is_empty() {
            m.push((i, Mutation::WrongPreimage));
        }
        if tx.input[i].sequence.to_relative_lock_time().is_some() {
            m.push((i, Mutation::TimelockBypass));
        }
    }
    m
}

fn corrupt_sig(w: &mut Witness) {
    let mut items: Vec<Vec<u8>> = w.iter().map(|i| i.to_vec()).collect();
    let n = items.len();
    // A key-path witness is just the signature; a script path ends with script, control.
    let sig = if n == 1 {
        Some(0)
    } else {
        (0..n - 2)
            .rev()
            .find(|&i| items[i].len() == 64 || items[i].len() == 65)
    };
    if let Some(i) = sig {
        items[i][10] ^= 0x01;
    }
    *w = Witness::from_slice(&items);
}

impl Mutation {
    /// Applies the mutation to input `input`; says what it did.
    fn apply(self, tx: &mut Transaction, g: &Graph, input: usize) -> String {
        let what = self.apply_to(tx, g, input);
        if input == 0 {
            what
        } else {
            format!("{what} on input {input}")
        }
    }

    fn apply_to(self, tx: &mut Transaction, g: &Graph, input: usize) -> String {
        let w = &mut tx.input[input].witness;
        let mut items: Vec<Vec<u8>> = w.iter().map(|i| i.to_vec()).collect();
        let n = items.len();
        match self {
            Mutation::CorruptSignature => {
                corrupt_sig(w);
                return "corrupted signature".into();
            }
            Mutation::WrongControlBlock => {
                let last = items[n - 1].len() - 1;
                items[n - 1][last] ^= 0x01;
            }
            Mutation::WrongLeaf => {
                items[n - 2] = bitcoin::script::Builder::new()
                    .push_opcode(bitcoin::opcodes::OP_TRUE)
                    .into_script()
                    .into_bytes();
            }
            Mutation::WrongPreimage => {
                let first = items.iter().position(|i| i.len() == 20).unwrap_or(0);
                items[first][0] ^= 0x01;
            }
            Mutation::TimelockBypass => {
                let v = tx.input[input]
                    .sequence
                    .to_relative_lock_time()
                    .map(|l| l.to_consensus_u32())
                    .unwrap_or(1);
                tx.input[input].sequence = Sequence::from_height(v.saturating_sub(1) as u16);
                return format!(
                    "timelock bypass (nSequence {} instead of {v}, re-signed)",
                    v.saturating_sub(1)
                );
            }
            Mutation::AlteredOutputs => {
                let target = if tx.output[0].script_pubkey == g.challenger_spk {
                    g.operator_spk.clone()
                } else {
                    g.challenger_spk.clone()
                };
                tx.output[0].script_pubkey = target;
                return "output 0 redirected (SIGHASH_ALL/DEFAULT covers it)".into();
            }
        }
        *w = Witness::from_slice(&items);
        match self {
            Mutation::WrongControlBlock => "wrong control block".into(),
            Mutation::WrongLeaf => "wrong leaf script (OP_TRUE)".into(),
            _ => "wrong preimage".into(),
        }
    }
}

use bitcoin::hashes::Hash;

/// Leaves the honest scenario tries: all of them on small circuits, else a spread sample
/// plus the gates that write the outputs (the claim itself).
fn leaves_to_try(g: &Graph) -> (Vec<usize>, String) {
    let n = g.leaf_count();
    if g.step_count() <= ALL_LEAVES_UP_TO {
        (
            (1..n).collect(),
            format!("all {} disprove and equivocation leaves", n - 1),
        )
    } else {
        let c = &g.setup.circuit;
        let mut v: Vec<usize> = (0..SAMPLED_LEAVES)
            .map(|i| 1 + i * (n - 2) / (SAMPLED_LEAVES - 1))
            .collect();
        v.extend(
            c.gates
                .iter()
                .enumerate()
                .filter(|(_, gt)| gt.outs.iter().any(|&w| c.is_output(w)))
                .map(|(i, _)| g.leaf_of_step(i)),
        );
        v.sort_unstable();
        v.dedup();
        let len = v.len();
        (
            v,
            format!(
                "{len} of {} leaves: {SAMPLED_LEAVES} spread over the tree plus every gate that writes an output",
                n - 1
            ),
        )
    }
}

/// Runs one scenario on `claim` (the one claim made on this graph; `refund` needs none).
/// The report says whether the game ended as the protocol intends.
pub fn simulate(
    g: &Graph,
    keys: &Keys,
    sigs: &Signatures,
    claim: Option<&Claim>,
    scenario: Scenario,
    opts: &Options,
) -> Result<Report, OcpError> {
    let start = std::time::Instant::now();
    if keys.public() != g.setup.keys {
        return Err(OcpError::Data(
            "secrets.json does not match graph.json's public keys; re-run `zkm challenge setup`"
                .into(),
        ));
    }
    let claim = match (scenario.needs(), claim) {
        (None, c) => c,
        (Some(_), None) => {
            return Err(OcpError::Usage(format!(
                "scenario `{scenario}` plays on the operator's claim, and this graph has none yet; make it with `zkm challenge claim DIR --input HEX…`"
            )))
        }
        (Some(Some(honest)), Some(c)) if c.consistent(g) != honest => {
            return Err(OcpError::Usage(if honest {
                format!(
                    "scenario `{scenario}` needs an honest claim, and this one lies (claim --lie {}); play `fraud`, `no-assert`, `stall:I` or `equivocate` on it",
                    c.lie.map(|l| l.to_string()).unwrap_or_default()
                )
            } else {
                "scenario `fraud` needs a lying claim, and this one is honest; make a claim with `--lie GATE` on another graph (a graph carries one claim)".to_string()
            }))
        }
        (Some(_), Some(c)) => Some(c),
    };
    let values = match claim {
        Some(c) => c.values.clone(),
        None => vec![false; g.setup.circuit.nwires as usize],
    };
    let mut game = Game::new(g, keys, sigs, values, opts);
    game.tamper = scenario == Scenario::Tamper;
    let p = g.timelocks;
    let mut leaves_tried = String::from("none");
    match scenario {
        Scenario::Honest | Scenario::Tamper => {
            game.start()?;
            game.challenge("a watcher challenges the (true) claim anyway", true)?;
            game.assert_all()?;
            let (leaves, text) = if scenario == Scenario::Tamper {
                (vec![1, g.leaf_count() - 1], "2 leaves".to_string())
            } else {
                leaves_to_try(g)
            };
            leaves_tried = text;
            game.try_disproves(&leaves)?;
            game.play(
                "anyone tries timeout-0 after the Asserts",
                "timeout-0",
                false,
            )?;
            if scenario == Scenario::Tamper {
                let c = claim.expect("tamper plays a claim");
                game.tamper_disproves(c)?;
                // The branches this game does not take, checked against their spent
                // outputs: the unchallenged payout, the timeouts, the fallback, the refund.
                let mut names = vec![
                    "payout-unchallenged".to_string(),
                    "fallback".into(),
                    "refund".into(),
                ];
                names.extend((1..g.assert_count()).map(|i| format!("timeout-{i}")));
                for name in &names {
                    let tx = game.signed(name)?;
                    game.tamper_suite(name, &tx)?;
                }
            }
            game.chain.mine(p.disprove_window as u32 - 1);
            game.play(
                "operator takes the payout after the disprove window",
                "payout",
                true,
            )?;
        }
        Scenario::Fraud => {
            let c = claim.expect("fraud plays a claim");
            game.start()?;
            game.challenge(
                if c.outputs_true(g) {
                    "a watcher challenges (the outputs are right, the trace may not be)"
                } else {
                    "a watcher sees a false output and challenges"
                },
                true,
            )?;
            game.assert_all()?;
            // A watcher reads the openings and finds the first step computed wrongly.
            let o = game.read_openings();
            let value = |w: u32| o.value(w).unwrap_or(false);
            match (0..g.step_count()).find(|&s| g.step_is_wrong(s, &value)) {
                None => game
                    .failures
                    .push("the lie left no inconsistent step".to_string()),
                Some(step) => {
                    let want = match c.lie {
                        Some(super::claim::Lie::Gate(gate)) => step == gate,
                        Some(super::claim::Lie::Input(b)) => {
                            let w = g.claimed_inputs()[b];
                            g.setup.circuit.gates[step].ins.contains(&w)
                        }
                        None => true,
                    };
                    if !want {
                        game.failures.push(format!(
                            "the first inconsistent step is gate {step}, not the lie ({:?})",
                            c.lie
                        ));
                    }
                    game.first_inconsistent = Some(format!("disprove gate {step}"));
                    let open = |w: u32, _: usize| o.value(w).and_then(|v| o.preimage(w, v));
                    match game.disprove_tx(g.leaf_of_step(step), &open)? {
                        Some((name, tx)) => {
                            game.submit(
                                &format!(
                                    "a watcher with no key of the setup disproves gate {step}"
                                ),
                                &name,
                                &tx,
                                true,
                            );
                        }
                        None => game
                            .failures
                            .push("an opening the disprove needs is missing".into()),
                    }
                }
            }
            game.chain.mine(p.disprove_window as u32);
            game.play(
                "operator tries the payout after being disproved",
                "payout",
                false,
            )?;
        }
        Scenario::NoAssert => {
            game.start()?;
            let kickoff = game.chain.height();
            game.challenge("a watcher challenges", true)?;
            game.play("anyone tries timeout-0 too early", "timeout-0", false)?;
            game.chain.mine(p.unchallenged_payout as u32);
            game.play(
                "operator tries the unchallenged payout after a challenge",
                "payout-unchallenged",
                false,
            )?;
            game.mine_to(kickoff + p.first_assert_deadline as u32 - 2);
            game.play("anyone tries timeout-0 one block early", "timeout-0", false)?;
            game.chain.mine(1);
            game.play(
                "operator never asserted: anyone publishes timeout-0 (deposit back, stake burned)",
                "timeout-0",
                true,
            )?;
            game.play(
                "operator tries assert-1 after the timeout",
                "assert-1",
                false,
            )?;
        }
        Scenario::Stall(i) => {
            let k = g.assert_count();
            if i == 0 || i >= k {
                return Err(OcpError::Usage(if k < 2 {
                    format!("stall:{i}: this graph has one Assert transaction, so there is no Assert to stop after; play `no-assert`")
                } else {
                    format!(
                        "stall:{i}: the operator stops after assert-I, and this graph has {k} Assert transactions, so I must be 1 to {}",
                        k - 1
                    )
                }));
            }
            game.start()?;
            game.challenge("a watcher challenges", true)?;
            for a in 1..=i {
                game.play(
                    "operator opens its commitments",
                    &format!("assert-{a}"),
                    true,
                )?;
            }
            let t = format!("timeout-{i}");
            game.play("anyone tries the timeout at once", &t, false)?;
            game.chain.mine(p.next_assert_deadline as u32 - 2);
            game.play("anyone tries the timeout one block early", &t, false)?;
            game.chain.mine(1);
            game.play(
                &format!("operator stopped after assert-{i}: anyone publishes the timeout"),
                &t,
                true,
            )?;
            game.play(
                "operator tries the next Assert after the timeout",
                &format!("assert-{}", i + 1),
                false,
            )?;
        }
        Scenario::LateChallenge => {
            // The operator is slow to close the window; the challenge confirms at the
            // last block its P blocks of grace allow: kickoff + 2P − 1.
            game.start()?;
            let kickoff_height = game.chain.height();
            game.chain.mine(2 * p.unchallenged_payout as u32 - 2);
            game.challenge(
                "a watcher challenges at the last block: kickoff + 2P − 1",
                true,
            )?;
            let challenged = game.chain.height();
            game.challenge("a second challenge is a double spend", false)?;
            // The operator asserts in the P-th block after the challenge; timeout-0 only
            // becomes valid one block later.
            game.chain.mine(p.next_assert_deadline as u32 - 1);
            game.play(
                "anyone tries timeout-0 in the operator's last block",
                "timeout-0",
                false,
            )?;
            game.play(
                "operator asserts P blocks after the challenge",
                "assert-1",
                true,
            )?;
            let gap = game.chain.height() - challenged;
            if gap < p.next_assert_deadline as u32 {
                game.failures.push(format!(
                    "the operator had {gap} blocks after the challenge, fewer than P = {}",
                    p.next_assert_deadline
                ));
            }
            if game.chain.height() - kickoff_height >= p.first_assert_deadline as u32 {
                game.failures
                    .push("assert-1 came after timeout-0 became valid".into());
            }
            for a in 2..=g.assert_count() {
                game.play(
                    "operator opens its commitments",
                    &format!("assert-{a}"),
                    true,
                )?;
            }
            game.play(
                "anyone tries timeout-0 after the Asserts",
                "timeout-0",
                false,
            )?;
            game.chain.mine(p.disprove_window as u32 - 1);
            game.play("operator takes the payout", "payout", true)?;
        }
        Scenario::UnclosedWindow => {
            game.start()?;
            let k = game.chain.height();
            // The close is valid from kickoff + P but never confirms; by the protocol, an
            // operator whose window is still open at kickoff + 2P − 1 starts asserting.
            game.mine_to(k + 2 * p.unchallenged_payout as u32 - 2);
            game.assert_all_as(
                "the window is still open at kickoff + 2P − 1: the operator asserts unchallenged",
            )?;
            game.mine_to(k + p.first_assert_deadline as u32 - 2);
            game.challenge("the held-back challenge confirms at kickoff + 3P − 1", true)?;
            game.play(
                "anyone tries timeout-0 once it is valid",
                "timeout-0",
                false,
            )?;
            let (leaves, text) = leaves_to_try(g);
            leaves_tried = text;
            game.try_disproves(&leaves)?;
            game.mine_to(
                k + 2 * p.unchallenged_payout as u32 - 2
                    + g.assert_count() as u32
                    + p.disprove_window as u32,
            );
            game.play("operator takes the payout", "payout", true)?;
        }
        Scenario::EarlyPayout => {
            game.start()?;
            game.play(
                "operator tries the unchallenged payout at once",
                "payout-unchallenged",
                false,
            )?;
            game.challenge("a watcher challenges", true)?;
            game.assert_all()?;
            game.play(
                "operator tries the payout before the timelock",
                "payout",
                false,
            )?;
            // Re-signed by the n signers: only the leaf's CSV can refuse it.
            game.resign = true;
            let tx = game.signed_changed("payout", |t| {
                t.input[0].sequence = Sequence::ZERO;
            })?;
            game.resign = false;
            game.submit(
                "operator tries the payout with nSequence 0, re-signed",
                "payout",
                &tx,
                false,
            );
            game.chain.mine(p.disprove_window as u32 - 2);
            game.play("operator tries the payout one block early", "payout", false)?;
            game.chain.mine(1);
            game.play(
                "operator takes the payout after the timelock",
                "payout",
                true,
            )?;
        }
        Scenario::Equivocate => {
            game.start()?;
            game.challenge("a watcher challenges", true)?;
            game.assert_all()?;
            // The operator also signs the other value of one wire (say, to someone else);
            // anyone holding both openings can prove it on chain.
            let w = g.committed[g.committed.len() / 2];
            let leaked = game.lamport.preimage(w, !game.values[w as usize]);
            let mut o = game.read_openings();
            o.record(w, &g.commitment(w), &leaked);
            let Some((wire, p0, p1)) = o.equivocation() else {
                return Err(OcpError::Game("the equivocation was not detected".into()));
            };
            let open = |_: u32, k: usize| Some(if k == 0 { p0 } else { p1 });
            if let Some((name, tx)) = game.disprove_tx(g.leaf_of_equivocation(wire), &open)? {
                game.submit(
                    &format!("a watcher proves two values for wire {wire}"),
                    &name,
                    &tx,
                    true,
                );
            }
            game.chain.mine(p.disprove_window as u32);
            game.play(
                "operator tries the payout after the equivocation",
                "payout",
                false,
            )?;
        }
        Scenario::Unchallenged => {
            game.start()?;
            game.chain.mine(p.unchallenged_payout as u32 - 2);
            game.play(
                "operator tries to close the window one block early",
                "payout-unchallenged",
                false,
            )?;
            game.chain.mine(1);
            game.play(
                "nobody challenged: the operator closes the window and takes the payout",
                "payout-unchallenged",
                true,
            )?;
            game.challenge(
                "a challenge after the window closed is a double spend",
                false,
            )?;
            game.chain.mine(p.first_assert_deadline as u32);
            game.play("anyone tries timeout-0 later", "timeout-0", false)?;
        }
        Scenario::Refund => {
            game.play("depositor funds the deposit", "deposit", true)?;
            game.chain.mine(p.refund as u32 - 2);
            game.play(
                "depositor tries the refund one block early",
                "refund",
                false,
            )?;
            game.chain.mine(1);
            game.play(
                "nobody claimed: the depositor takes the deposit back",
                "refund",
                true,
            )?;
            if claim.is_some() {
                game.play("operator tries to claim after the refund", "kickoff", false)?;
            }
        }
        Scenario::FeeBump => {
            let rate = FEE_BUMP_FACTOR * g.setup.params.fee_rate;
            game.chain.market_fee_rate = rate;
            let d = g.get("deposit")?.tx.output.len() - 1;
            game.bumped(
                "depositor funds the deposit",
                "deposit",
                d,
                Owner::Depositor,
            )?;
            let a = g.get("kickoff")?.tx.output.len() - 1;
            game.bumped("operator claims", "kickoff", a, Owner::Operator)?;
            game.challenge("a watcher challenges at the market rate", true)?;
            for i in 1..=g.assert_count() {
                let name = format!("assert-{i}");
                let a = g.get(&name)?.tx.output.len() - 1;
                game.bumped("operator asserts", &name, a, Owner::Operator)?;
            }
            game.chain.mine(p.disprove_window as u32 - 1);
            game.bumped("operator takes the payout", "payout", 0, Owner::Operator)?;
        }
    }
    let (holdings, winner) = game.holdings();
    let expected = scenario.expected_winner();
    let mut failures = game.failures.clone();
    if winner != Some(expected) {
        failures.push(format!(
            "the deposit went to {winner:?}, but the protocol gives it to the {expected:?}"
        ));
    }
    Ok(Report {
        synthetic_coins: game.synthetic.clone(),
        scenario: scenario.to_string(),
        circuit: g.setup.params.circuit.clone(),
        gates: g.setup.circuit.gates.len(),
        assert_transactions: g.assert_count(),
        claim: claim.map(|c| ClaimReport {
            inputs: c.inputs.clone(),
            outputs: c.outputs.clone(),
            true_outputs: c.true_outputs(g),
            lie: c.lie.map(|l| l.to_string()),
        }),
        market_fee_rate: game.chain.market_fee_rate,
        steps: game.records.clone(),
        disprove_attempts: game.disprove_attempts,
        disprove_leaves_tried: leaves_tried,
        first_inconsistent_step: game.first_inconsistent.clone(),
        inputs_verified: game.chain.inputs_verified,
        block_height: game.chain.height(),
        holdings,
        winner,
        expected_winner: expected,
        ok: failures.is_empty(),
        failures,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Hex of every accepted transaction, in the order they were mined.
pub fn raw_transactions(report: &Report) -> Vec<(String, String)> {
    report
        .steps
        .iter()
        .filter(|r| r.accepted)
        .map(|r| (r.tx.clone(), r.hex.clone()))
        .collect()
}

/// The signed kickoff that makes `claim` on `g`: the n-of-n's pre-signatures, the
/// operator's signature and openings, and its stake. What `zkm challenge claim` writes.
/// Before it opens anything, the operator checks that every commitment in the graph is
/// the one its own seed derives for this graph: an edited commitments.json could make a
/// value impossible to open, or both values openable with one preimage.
pub fn signed_kickoff(
    g: &Graph,
    keys: &Keys,
    sigs: &Signatures,
    claim: &Claim,
) -> Result<Transaction, OcpError> {
    let lamport = LamportSecret::for_graph(&keys.lamport_seed, &g.id);
    if let Some(&w) = g
        .committed
        .iter()
        .find(|&&w| lamport.commitment(w) != g.commitment(w))
    {
        return Err(OcpError::Data(format!(
            "the commitment of wire {w} in commitments.json is not the one your Lamport seed derives for this graph; do not claim on it (someone edited the file before it was signed)"
        )));
    }
    Game::new(g, keys, sigs, claim.values.clone(), &Options::default()).signed("kickoff")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ocp::bristol::Circuit;
    use crate::ocp::claim::Lie;
    use crate::ocp::graph::{NofNMode, Params, Setup};
    use crate::ocp::sign::sign_graph;
    use crate::ocp::store::new_setup;

    /// The parameters of the unit tests' graphs: small amounts, P = 6, R = 100.
    pub(crate) fn params_for(inputs: &[&str], mode: NofNMode) -> Params {
        Params {
            circuit: "test".into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            signers: 3,
            amount: 10_000_000,
            stake: 2_000_000,
            reward: 200_000,
            fee_rate: 2,
            challenge_period: 6,
            refund_after: 100,
            challenge_fee: 0,
            n_of_n: mode,
            funding: None,
            stake_coin: None,
        }
    }

    pub fn game_for(c: Circuit, inputs: &[&str], mode: NofNMode) -> (Graph, Keys, Signatures) {
        let keys = Keys::from_seed([42; 32], 3);
        let g = new_setup(params_for(inputs, mode), c, &keys, true).unwrap();
        let sigs = sign_graph(&g, &keys, |_, _| {}).unwrap();
        (g, keys, sigs)
    }

    fn claim(g: &Graph, inputs: &[&str], lie: Option<Lie>) -> Claim {
        let inputs: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
        Claim::make(g, &inputs, lie).unwrap()
    }

    fn play(g: &Graph, k: &Keys, s: &Signatures, c: &Claim, sc: Scenario) -> Report {
        let r = simulate(g, k, s, Some(c), sc, &Options::default()).unwrap();
        assert!(r.ok, "{sc}: {:#?}", r.failures);
        assert_eq!(r.winner, Some(sc.expected_winner()), "{sc}");
        r
    }

    /// One input bit copied `n` times: `n` committed wires besides the input, the last
    /// one the output.
    fn copies(n: usize) -> Circuit {
        let lines: Vec<String> = (0..n).map(|j| format!("1 1 {j} {} EQW", j + 1)).collect();
        Circuit::parse(&format!(
            "{n} {}\n1 1\n1 1\n\n{}\n",
            n + 1,
            lines.join("\n")
        ))
        .unwrap()
    }

    #[test]
    fn every_scenario_ends_as_intended_on_a_builtin_adder() {
        for mode in [NofNMode::Musig2, NofNMode::Checksigadd] {
            let (g, keys, sigs) = game_for(crate::ocp::builder::adder(4), &["_", "a"], mode);
            let honest = claim(&g, &["7"], None);
            let lie = claim(&g, &["7"], Some(Lie::Gate(3)));
            for sc in [
                "honest",
                "no-assert",
                "late-challenge",
                "unclosed-window",
                "early-payout",
                "equivocate",
                "unchallenged",
                "refund",
                "fee-bump",
                "tamper",
            ] {
                let r = play(&g, &keys, &sigs, &honest, sc.parse().unwrap());
                assert!(r.inputs_verified > 0);
                assert!(r.steps.iter().all(|s| s.as_intended), "{mode:?} {sc}");
            }
            for sc in ["fraud", "no-assert", "equivocate"] {
                play(&g, &keys, &sigs, &lie, sc.parse().unwrap());
            }
            // A scenario on the wrong kind of claim is refused, saying which to play.
            let e = simulate(
                &g,
                &keys,
                &sigs,
                Some(&lie),
                Scenario::Honest,
                &Options::default(),
            )
            .err()
            .unwrap();
            assert!(e.to_string().contains("play `fraud`"), "{e}");
            let e = simulate(
                &g,
                &keys,
                &sigs,
                Some(&honest),
                Scenario::Fraud,
                &Options::default(),
            )
            .err()
            .unwrap();
            assert!(e.to_string().contains("--lie"), "{e}");
            assert!(simulate(
                &g,
                &keys,
                &sigs,
                None,
                Scenario::Honest,
                &Options::default()
            )
            .is_err());
            play_refund_without_claim(&g, &keys, &sigs);
        }
    }

    fn play_refund_without_claim(g: &Graph, keys: &Keys, sigs: &Signatures) {
        let r = simulate(g, keys, sigs, None, Scenario::Refund, &Options::default()).unwrap();
        assert!(r.ok, "{:#?}", r.failures);
        assert_eq!(r.winner, Some(Party::Depositor));
        // The depositor has its deposit back, less the refund's fee.
        let fee = g.get("refund").unwrap().fee;
        assert!(r.holdings["depositor"] >= g.setup.params.amount - fee);
    }

    #[test]
    fn a_lie_at_any_gate_or_any_claimed_input_is_disproved_by_a_watcher_with_no_key() {
        let (g, keys, sigs) = game_for(
            crate::ocp::builder::comparator(3),
            &["_", "6"],
            NofNMode::Musig2,
        );
        let watcher = watcher_spk(&g);
        let lies = (0..g.step_count())
            .map(Lie::Gate)
            .chain((0..g.claimed_inputs().len()).map(Lie::Input));
        for lie in lies {
            let c = claim(&g, &["5"], Some(lie));
            if c.consistent(&g) {
                continue; // a flip that cancels out is no lie
            }
            let r = play(&g, &keys, &sigs, &c, Scenario::Fraud);
            let d = r
                .steps
                .iter()
                .find(|s| s.accepted && s.tx.starts_with("disprove"))
                .unwrap_or_else(|| panic!("{lie}: no disprove"));
            let tx: Transaction = bitcoin::consensus::encode::deserialize_hex(&d.hex).unwrap();
            // The reward goes to a key that is none of the setup's; the leaf input holds
            // openings only, no signature.
            assert_eq!(tx.output[1].script_pubkey, watcher, "{lie}");
            let items: Vec<&[u8]> = tx.input[1].witness.iter().collect();
            assert!(
                items[..items.len() - 2].iter().all(|i| i.len() == 20),
                "{lie}"
            );
            if let Lie::Gate(gate) = lie {
                assert_eq!(
                    r.first_inconsistent_step,
                    Some(format!("disprove gate {gate}"))
                );
            }
            // The lying operator loses its stake: the depositor has its deposit back and
            // more; the watcher has the reward less the disprove's fee.
            assert!(r.holdings["depositor"] > g.setup.params.amount);
            assert!(r.holdings["watcher (disprove reward)"] > g.setup.params.reward - 2_000);
            // Whoever takes the reward, the depositor has its deposit and a challenge fee.
            assert!(
                r.holdings["depositor"] >= g.setup.params.amount + g.setup.params.challenge_fee
            );
        }
    }

    #[test]
    fn two_graphs_from_one_keys_file_share_no_commitment_and_the_two_game_equivocation_fails() {
        // The attack: one keys file, two deposits, two honest games with different inputs.
        // Before the fix the preimages depended only on (seed, wire, bit), so the second
        // game's openings opened the first graph's wires to the other value, and every
        // such wire's equivocation leaf took the honest operator's deposit.
        let c = crate::ocp::builder::adder(8);
        let keys = Keys::from_seed([42; 32], 3);
        let mut p = params_for(&["_", "_"], NofNMode::Musig2);
        let g1 = new_setup(p.clone(), c.clone(), &keys, true).unwrap();
        p.funding = Some(OutPoint {
            txid: Txid::from_byte_array([7; 32]),
            vout: 1,
        });
        let g2 = new_setup(p, c.clone(), &keys, true).unwrap();
        assert_ne!(g1.id, g2.id);
        let mine: std::collections::HashSet<_> =
            g1.setup.commitments.iter().map(|c| c.hashes).collect();
        assert!(
            g2.setup
                .commitments
                .iter()
                .all(|c| !mine.contains(&c.hashes)),
            "two graphs from one keys file share a commitment"
        );
        let attack = |g1: &Graph, g2: &Graph, l2: &LamportSecret| -> usize {
            let s1 = sign_graph(g1, &keys, |_, _| {}).unwrap();
            let (c1, c2) = (
                claim(g1, &["0f", "f0"], None),
                claim(g2, &["33", "44"], None),
            );
            // Game 1 runs to its Asserts; the challenger holds game 2's openings too.
            let mut game = Game::new(g1, &keys, &s1, c1.values.clone(), &Options::default());
            game.start().unwrap();
            game.challenge("challenge", true).unwrap();
            game.assert_all().unwrap();
            let o = game.read_openings();
            let mut stolen = 0;
            for &w in &g1.committed {
                let (v1, v2) = (c1.values[w as usize], c2.values[w as usize]);
                if v1 == v2 {
                    continue;
                }
                let p1 = o.preimage(w, v1).unwrap();
                let p2 = l2.preimage(w, v2);
                let both = |_: u32, k: usize| Some(if (k == 1) == v1 { p1 } else { p2 });
                let (_, tx) = game
                    .disprove_tx(g1.leaf_of_equivocation(w), &both)
                    .unwrap()
                    .unwrap();
                let prev = game.prevouts_of(&tx).unwrap();
                stolen += verify_tx(&tx, &prev).is_ok() as usize;
            }
            stolen
        };
        // Now: game 2's openings open nothing of graph 1.
        assert_eq!(
            attack(
                &g1,
                &g2,
                &LamportSecret::for_graph(&keys.lamport_seed, &g2.id)
            ),
            0
        );
        // The control, with the old derivation (one secret for every graph): the same
        // attack spends equivocation leaves, so this test can fail.
        let old = LamportSecret::new(keys.lamport_seed);
        let legacy = |g: &Graph| {
            let commitments = g.committed.iter().map(|&w| old.commitment(w)).collect();
            Graph::build(Setup {
                commitments,
                ..g.setup.clone()
            })
            .unwrap()
        };
        let (l1, l2) = (legacy(&g1), legacy(&g2));
        let s1 = sign_graph(&l1, &keys, |_, _| {}).unwrap();
        let (c1, c2) = (
            claim(&l1, &["0f", "f0"], None),
            claim(&l2, &["33", "44"], None),
        );
        let mut game = Game::new(&l1, &keys, &s1, c1.values.clone(), &Options::default());
        game.lamport = old.clone();
        game.start().unwrap();
        game.challenge("challenge", true).unwrap();
        game.assert_all().unwrap();
        let o = game.read_openings();
        let w = *l1
            .committed
            .iter()
            .find(|&&w| c1.values[w as usize] != c2.values[w as usize])
            .unwrap();
        let (v1, v2) = (c1.values[w as usize], c2.values[w as usize]);
        let (p1, p2) = (o.preimage(w, v1).unwrap(), old.preimage(w, v2));
        let both = |_: u32, k: usize| Some(if (k == 1) == v1 { p1 } else { p2 });
        let (_, tx) = game
            .disprove_tx(l1.leaf_of_equivocation(w), &both)
            .unwrap()
            .unwrap();
        assert!(verify_tx(&tx, &game.prevouts_of(&tx).unwrap()).is_ok());
    }

    #[test]
    fn a_challenge_fee_below_dust_is_refused_at_setup() {
        let c = crate::ocp::builder::adder(4);
        let keys = Keys::from_seed([42; 32], 3);
        for fee in [0, 100, 329] {
            let mut p = params_for(&["_", "a"], NofNMode::Musig2);
            p.challenge_fee = fee;
            let e = new_setup(p, c.clone(), &keys, false)
                .err()
                .expect("dust challenge fee");
            assert!(
                matches!(&e, OcpError::Usage(m) if m.contains("--challenge-fee") && m.contains("dust")),
                "{fee}: {e}"
            );
        }
        // And any fee below what the Asserts cost the operator.
        let mut p = params_for(&["_", "a"], NofNMode::Musig2);
        p.challenge_fee = 330;
        let e = new_setup(p, c.clone(), &keys, false).err().unwrap();
        assert!(e.to_string().contains("does not cover"), "{e}");
    }

    #[test]
    fn a_kickoff_too_large_to_relay_is_refused_naming_it() {
        // 3,000 claimed input bits copied to 3,000 outputs: 6,000 openings in the kickoff,
        // over the 400,000 WU standard limit.
        let n = 3000;
        let lines: Vec<String> = (0..n).map(|j| format!("1 1 {j} {} EQW", n + j)).collect();
        let c = Circuit::parse(&format!(
            "{n} {}\n1 {n}\n1 {n}\n\n{}\n",
            2 * n,
            lines.join("\n")
        ))
        .unwrap();
        let keys = Keys::from_seed([42; 32], 3);
        let e = new_setup(params_for(&["_"], NofNMode::Musig2), c, &keys, true)
            .err()
            .expect("a kickoff over 400 kWU");
        assert!(
            matches!(&e, OcpError::Usage(m) if m.contains("`kickoff` would not be relayed") && m.contains("--input HEX")),
            "{e}"
        );
    }

    #[test]
    fn an_assert_opening_behind_a_long_preimage_is_refused_by_consensus() {
        // A dishonest operator's commitments.json: one wire's value-1 hash is the HASH160
        // of a 100-byte preimage. Its Assert, opening that wire with it, is refused by the
        // interpreter (the length check), not merely by policy.
        let c = copies(20);
        let keys = Keys::from_seed([42; 32], 3);
        let g0 = new_setup(params_for(&["_"], NofNMode::Musig2), c, &keys, true).unwrap();
        let w = 5u32;
        let long = vec![9u8; 100];
        let mut setup = g0.setup.clone();
        let i = g0.committed.iter().position(|&x| x == w).unwrap();
        setup.commitments[i].hashes[1] = bitcoin::hashes::hash160::Hash::hash(&long);
        let g = Graph::build(setup).unwrap();
        let sigs = sign_graph(&g, &keys, |_, _| {}).unwrap();
        let cl = claim(&g, &["1"], None);
        let mut game = Game::new(&g, &keys, &sigs, cl.values.clone(), &Options::default());
        game.start().unwrap();
        game.challenge("challenge", true).unwrap();
        let mut tx = game.signed("assert-1").unwrap();
        let wires = &g.batches[0][0];
        let k = wires.iter().position(|&x| x == w).unwrap();
        let mut items: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
        items[wires.len() - 1 - k] = long;
        tx.input[0].witness = Witness::from_slice(&items);
        // Refused by policy (an item over 80 bytes), and by the interpreter itself.
        assert!(matches!(game.chain.broadcast(&tx), Err(Reject::Policy(_))));
        let prev = &g.get("assert-1").unwrap().prevouts;
        match verify_tx(&tx, prev) {
            Err(e) => assert_eq!(e.input, 0),
            Ok(_) => panic!("a 100-byte opening was accepted by consensus"),
        }
        // The operator has no 20-byte opening of that value: it cannot assert at all, so it
        // loses to timeout-0 (the script-level test shows the long opening was accepted
        // by consensus before the length check).
        assert!(verify_tx(&game.signed("assert-1").unwrap(), prev).is_err());
    }

    #[test]
    fn a_late_challenge_leaves_the_operator_p_blocks() {
        // Before: timeout-0 at kickoff + 2P, so a challenge at kickoff + 2P − 1 left the
        // operator no block to assert in. Now it has P blocks, and timeout-0 fails in each.
        let (g, keys, sigs) = game_for(copies(40), &["_"], NofNMode::Musig2);
        let c = claim(&g, &["1"], None);
        let r = play(&g, &keys, &sigs, &c, Scenario::LateChallenge);
        let height = |tx: &str| -> u32 {
            let s = r.steps.iter().find(|s| s.accepted && s.tx == tx).unwrap();
            s.result.rsplit(' ').next().unwrap().parse().unwrap()
        };
        let (k, ch, a1) = (height("kickoff"), height("challenge"), height("assert-1"));
        let p = g.timelocks.next_assert_deadline as u32;
        assert_eq!(ch, k + 2 * p - 1);
        assert_eq!(
            a1 - ch,
            p,
            "the operator asserts in the P-th block after the challenge"
        );
        assert!(r.steps.iter().any(|s| s.tx == "timeout-0"
            && !s.accepted
            && s.result.contains("timelocked until block")));
    }

    #[test]
    fn a_challenge_held_back_to_kickoff_plus_3p_minus_1_finds_the_operator_asserting() {
        // The reviewer's attack: a challenger keeps outbidding the operator's close, then
        // lets its challenge confirm at kickoff + 3P − 1, one block before timeout-0. An
        // operator following the protocol asserted at kickoff + 2P − 1 on its own, so
        // timeout-0 is a double spend and the operator is paid.
        let (g, keys, sigs) = game_for(copies(40), &["_"], NofNMode::Musig2);
        let c = claim(&g, &["1"], None);
        let r = play(&g, &keys, &sigs, &c, Scenario::UnclosedWindow);
        let height = |tx: &str| -> u32 {
            let s = r.steps.iter().find(|s| s.accepted && s.tx == tx).unwrap();
            s.result.rsplit(' ').next().unwrap().parse().unwrap()
        };
        let (k, p) = (height("kickoff"), g.timelocks.unchallenged_payout as u32);
        assert_eq!(height("assert-1"), k + 2 * p - 1);
        assert_eq!(height("challenge"), k + 3 * p - 1);
        let t0 = r.steps.iter().find(|s| s.tx == "timeout-0").unwrap();
        assert!(
            !t0.accepted && t0.result.contains("double-spends"),
            "{}",
            t0.result
        );
    }

    #[test]
    fn the_simulation_never_re_signs_a_transaction_it_is_meant_to_accept() {
        // A copy whose sighash left its template cannot use the pre-signatures; outside
        // the tamper copies, the game refuses to paper over that with fresh signatures.
        let (g, keys, sigs) =
            game_for(crate::ocp::builder::adder(4), &["_", "a"], NofNMode::Musig2);
        let c = claim(&g, &["7"], None);
        let mut game = Game::new(&g, &keys, &sigs, c.values.clone(), &Options::default());
        let e = game
            .signed_changed("payout", |t| t.input[0].sequence = Sequence::ZERO)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("another message than its pre-signed template"),
            "{e}"
        );
        game.resign = true;
        assert!(game
            .signed_changed("payout", |t| t.input[0].sequence = Sequence::ZERO)
            .is_ok());
    }

    #[test]
    fn the_operator_refuses_to_claim_on_commitments_it_did_not_make() {
        let (g, keys, sigs) =
            game_for(crate::ocp::builder::adder(4), &["_", "a"], NofNMode::Musig2);
        let c = claim(&g, &["7"], None);
        assert!(signed_kickoff(&g, &keys, &sigs, &c).is_ok());
        // commitments.json edited before signing: one wire's two values share a hash.
        let mut setup = g.setup.clone();
        setup.commitments[3].hashes[1] = setup.commitments[3].hashes[0];
        let bad = Graph::build(setup).unwrap();
        let sigs = sign_graph(&bad, &keys, |_, _| {}).unwrap();
        let e = signed_kickoff(&bad, &keys, &sigs, &claim(&bad, &["7"], None)).unwrap_err();
        assert!(
            e.to_string()
                .contains("not the one your Lamport seed derives"),
            "{e}"
        );
        // And a signer's audit flags it before signing.
        let failed: Vec<String> = bad
            .audit()
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(w, _)| w)
            .collect();
        assert!(
            failed.len() == 1 && failed[0].contains("all distinct"),
            "{failed:?}"
        );
        assert!(g.audit().iter().all(|(_, ok)| *ok));
    }

    #[test]
    fn a_challenge_completed_large_is_refused_and_its_version_is_signed() {
        // The pinning attack: the SINGLE|ANYONECANPAY challenge completed with hundreds of
        // inputs into a ~97 kvB, 1 sat/vB transaction. TRUC caps it at 10,000 vB.
        let (g, keys, sigs) =
            game_for(crate::ocp::builder::adder(4), &["_", "a"], NofNMode::Musig2);
        let c = claim(&g, &["7"], None);
        let mut game = Game::new(&g, &keys, &sigs, c.values.clone(), &Options::default());
        game.start().unwrap();
        let (mut tx, mut prevouts) = game.challenge_tx(1).unwrap();
        for i in 0..1650u32 {
            tx.input.push(TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([3; 32]),
                    vout: i,
                },
                witness: Witness::from_slice(&[vec![0u8; 64]]),
                ..Default::default()
            });
            prevouts.push(TxOut {
                value: Amount::from_sat(1_000),
                script_pubkey: g.challenger_spk.clone(),
            });
        }
        assert!(tx.weight().to_vbytes_ceil() > 90_000);
        let why = crate::ocp::policy::check_tx(&tx, &prevouts);
        assert!(why.iter().any(|w| w.contains("TRUC-violation")), "{why:?}");
        // As version 2 the same completion would have been standard; the n-of-n signed
        // version 3, so that downgrade is refused by the interpreter.
        let mut v2 = tx.clone();
        v2.version = bitcoin::transaction::Version::TWO;
        assert!(crate::ocp::policy::check_tx(&v2, &prevouts)
            .iter()
            .all(|w| !w.contains("tx-size")));
        assert!(crate::ocp::verify::verify_input(&v2, &prevouts, 0).is_err());
    }

    #[test]
    fn fee_bump_pays_each_parent_with_a_truc_child() {
        let (g, keys, sigs) =
            game_for(crate::ocp::builder::adder(4), &["_", "a"], NofNMode::Musig2);
        let c = claim(&g, &["7"], None);
        let r = play(&g, &keys, &sigs, &c, Scenario::FeeBump);
        assert_eq!(r.market_fee_rate, FEE_BUMP_FACTOR * g.setup.params.fee_rate);
        let refused = |tx: &str, why: &str| {
            r.steps
                .iter()
                .any(|s| s.tx == tx && !s.accepted && s.result.contains(why))
        };
        for tx in ["deposit", "kickoff", "assert-1", "payout"] {
            assert!(refused(tx, "below the market"), "{tx} alone");
            assert!(
                r.steps
                    .iter()
                    .any(|s| s.tx == format!("{tx}-cpfp") && s.accepted),
                "{tx} child"
            );
        }
        assert!(refused("kickoff-cpfp", "may be 1000 vB at most"));
        assert!(refused(
            "kickoff-cpfp",
            "cannot spend an unconfirmed version 3"
        ));
        // Each accepted package pays the market rate.
        for s in r
            .steps
            .iter()
            .filter(|s| s.accepted && s.tx.ends_with("-cpfp"))
        {
            let parent = r
                .steps
                .iter()
                .rev()
                .find(|p| p.accepted && format!("{}-cpfp", p.tx) == s.tx)
                .unwrap();
            assert!(
                s.fee + parent.fee >= r.market_fee_rate * (s.vsize + parent.vsize),
                "{}",
                s.tx
            );
        }
    }

    #[test]
    fn an_unchallenged_or_stalled_game_never_pays_a_challenger() {
        // Timeouts burn the stake and return the deposit: nobody profits from a deadline
        // the operator misses.
        let (g, keys, sigs) = game_for(copies(13_000), &["_"], NofNMode::Musig2);
        assert!(g.assert_count() >= 3);
        let c = claim(&g, &["1"], None);
        for sc in
            std::iter::once(Scenario::NoAssert).chain((1..g.assert_count()).map(Scenario::Stall))
        {
            let r = play(&g, &keys, &sigs, &c, sc);
            assert!(r.holdings.get("burned").copied().unwrap_or(0) > 0, "{sc}");
            let deposit_back = r.holdings["depositor"];
            assert!(deposit_back >= g.setup.params.amount, "{sc}");
            assert_eq!(
                r.holdings["challenger"],
                r.synthetic_coins[2].amount + crate::ocp::graph::CONNECTOR_SATS
                    - r.steps.iter().find(|s| s.tx == "challenge").unwrap().fee
                    - g.setup.params.challenge_fee,
                "{sc}: the challenger gets nothing back but its change"
            );
        }
        for bad in [0, g.assert_count()] {
            assert!(simulate(
                &g,
                &keys,
                &sigs,
                Some(&c),
                Scenario::Stall(bad),
                &Options::default()
            )
            .is_err());
        }
    }

    #[test]
    fn a_lying_operator_who_burns_the_disprove_connector_still_forfeits() {
        // The disprove connector's leaves take no key, so a caught liar can spend it alone
        // to keep anyone from the disprove. The payout needs it too, and the fallback
        // returns the deposit after the refund delay.
        let (g, keys, sigs) =
            game_for(crate::ocp::builder::adder(4), &["_", "a"], NofNMode::Musig2);
        let c = claim(&g, &["7"], Some(Lie::Gate(2)));
        let mut game = Game::new(&g, &keys, &sigs, c.values.clone(), &Options::default());
        game.start().unwrap();
        game.challenge("challenge", true).unwrap();
        game.assert_all().unwrap();
        let o = game.read_openings();
        let open = |w: u32, _: usize| o.value(w).and_then(|v| o.preimage(w, v));
        let (_, honest) = game.disprove_tx(g.leaf_of_step(2), &open).unwrap().unwrap();
        // The liar's own spend: the connector alone, through the same leaf.
        let mut grief = honest.clone();
        grief.input.remove(0);
        grief.output = vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::new_op_return([]),
        }];
        assert!(game.submit(
            "the liar spends the disprove connector alone",
            "grief",
            &grief,
            true
        ));
        assert!(!game.submit("the watcher's disprove", "disprove", &honest, false));
        game.chain.mine(g.timelocks.disprove_window as u32);
        game.play("payout without the connector", "payout", false)
            .unwrap();
        game.chain.mine(g.timelocks.refund as u32);
        game.play("fallback", "fallback", true).unwrap();
        assert!(game.failures.is_empty(), "{:#?}", game.failures);
        assert_eq!(game.holdings().1, Some(Party::Depositor));
    }

    #[test]
    fn tamper_covers_every_kind_of_transaction_and_every_mutation() {
        let (g, keys, sigs) = game_for(
            crate::ocp::builder::multiplier(3),
            &["_", "5"],
            NofNMode::Musig2,
        );
        let c = claim(&g, &["3"], None);
        let r = play(&g, &keys, &sigs, &c, Scenario::Tamper);
        let tampered: Vec<&TxRecord> = r
            .steps
            .iter()
            .filter(|s| s.step.starts_with("tampered"))
            .collect();
        assert!(tampered
            .iter()
            .all(|s| !s.accepted && s.result.contains("script interpreter refused")));
        let has = |tx: &str, what: &str| {
            tampered
                .iter()
                .any(|s| s.tx.starts_with(tx) && s.step.contains(what))
        };
        for tx in [
            "payout",
            "payout-unchallenged",
            "timeout-0",
            "fallback",
            "refund",
        ] {
            assert!(
                r.steps.iter().any(|s| s.tx == tx
                    && s.step == "control (not broadcast): re-signed with another nLockTime"
                    && s.result == "scripts valid"),
                "no re-signed control for {tx}"
            );
        }
        for what in [
            "a valid disprove leaf spend",
            "a valid equivocation leaf spend",
            "disprove leaf: the reward paid to another key",
        ] {
            assert!(
                r.steps
                    .iter()
                    .any(|s| s.step == format!("control (not broadcast): {what}")
                        && s.result == "scripts valid"),
                "no control `{what}`"
            );
        }
        for (tx, what) in [
            ("deposit", "corrupted signature"),
            ("deposit", "redirected"),
            ("kickoff", "corrupted signature"),
            ("kickoff", "corrupted signature on input 1"),
            ("kickoff", "wrong preimage"),
            ("kickoff", "wrong control block"),
            ("kickoff", "wrong leaf"),
            ("kickoff", "redirected"),
            ("kickoff", "operator signature"),
            ("challenge", "corrupted"),
            ("challenge", "redirected"),
            ("challenge", "lowered"),
            ("challenge", "version 2"),
            ("payout-unchallenged", "timelock bypass"),
            ("payout-unchallenged", "redirected"),
            ("assert-1", "wrong preimage"),
            ("assert-1", "corrupted signature"),
            ("assert-1", "wrong control block"),
            ("assert-1", "redirected"),
            ("timeout-0", "timelock bypass"),
            ("timeout-0", "corrupted signature"),
            ("timeout-0", "redirected"),
            ("payout", "timelock bypass"),
            ("payout", "wrong leaf"),
            ("payout", "corrupted signature on input 1"),
            ("payout", "redirected"),
            ("fallback", "timelock bypass"),
            ("refund", "timelock bypass"),
            ("refund", "redirected"),
            ("disprove-gate0", "disprove leaf: wrong preimage"),
            ("disprove-gate0", "disprove leaf: corrupted signature"),
            ("disprove-gate0", "refund redirected"),
            ("disprove-gate0", "refund lowered"),
            ("disprove-gate0", "an input added"),
            ("disprove-gate0", "swapped for another coin"),
            ("disprove-equivocation", "equivocation leaf: wrong preimage"),
            (
                "disprove-equivocation",
                "equivocation leaf: wrong control block",
            ),
        ] {
            assert!(has(tx, what), "no tampering `{what}` of {tx}");
        }
    }

    #[test]
    fn tamper_reaches_every_input_of_every_assert() {
        let (g, keys, sigs) = game_for(copies(6_000), &["_"], NofNMode::Musig2);
        assert!(g.assert_count() >= 2 && g.batches.iter().all(|b| b.len() >= 2));
        let r = play(&g, &keys, &sigs, &claim(&g, &["1"], None), Scenario::Tamper);
        let has = |tx: &str, what: &str| {
            r.steps
                .iter()
                .any(|s| s.tx == tx && s.step.starts_with("tampered") && s.step.contains(what))
        };
        for a in 1..=g.assert_count() {
            let tx = format!("assert-{a}");
            for i in 1..g.batches[a - 1].len() {
                for what in [
                    "corrupted signature",
                    "wrong preimage",
                    "wrong control block",
                    "wrong leaf script (OP_TRUE)",
                ] {
                    assert!(
                        has(&tx, &format!("{what} on input {i}")),
                        "{tx}: {what} on input {i}"
                    );
                }
            }
        }
        for i in 0..g.assert_count() {
            assert!(
                has(&format!("timeout-{i}"), "timelock bypass"),
                "timeout-{i}"
            );
        }
    }

    #[test]
    fn claims_are_made_after_signing_and_do_not_change_the_graph() {
        let (g, keys, sigs) =
            game_for(crate::ocp::builder::adder(8), &["_", "_"], NofNMode::Musig2);
        // The same pre-signatures carry any claim: two different claims, two kickoffs
        // with one txid (the openings are witness data), both valid.
        let k1 = signed_kickoff(&g, &keys, &sigs, &claim(&g, &["01", "02"], None)).unwrap();
        let k2 = signed_kickoff(&g, &keys, &sigs, &claim(&g, &["ff", "ff"], None)).unwrap();
        assert_eq!(k1.compute_txid(), k2.compute_txid());
        assert_ne!(k1.compute_wtxid(), k2.compute_wtxid());
        let prev = &g.get("kickoff").unwrap().prevouts;
        assert!(verify_tx(&k1, prev).is_ok() && verify_tx(&k2, prev).is_ok());
        // Every committed input bit and output bit is opened in the kickoff.
        assert_eq!(g.claim_batches.concat().len(), 16 + 8);
    }

    #[test]
    fn a_mand_too_wide_to_disprove_is_refused_and_the_widest_allowed_is_disproved() {
        // Two input bits, copies of them, then one MAND of `ands` ANDs over the copies,
        // the last of which reads `public` operands straight from the constant inputs.
        let wide_mand = |ands: usize, public: usize| {
            let copies = 2 * (ands - 1) + (2 - public);
            let mut lines: Vec<String> = (0..copies)
                .map(|j| format!("1 1 {} {} EQW", j % 2, 2 + j))
                .collect();
            let (mut a, mut b): (Vec<usize>, Vec<usize>) =
                (0..ands - 1).map(|i| (2 + 2 * i, 3 + 2 * i)).unzip();
            let last = 2 + 2 * (ands - 1);
            a.push(if public >= 1 { 0 } else { last });
            b.push(match public {
                0 => last + 1,
                1 => last,
                _ => 1,
            });
            let first_out = 2 + copies;
            let join = |v: &[usize]| {
                v.iter()
                    .map(|w| w.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let outs: Vec<usize> = (first_out..first_out + ands).collect();
            lines.push(format!(
                "{} {ands} {} {} {} MAND",
                2 * ands,
                join(&a),
                join(&b),
                join(&outs)
            ));
            Circuit::parse(&format!(
                "{} {}\n1 2\n1 {ands}\n\n{}\n",
                copies + 1,
                first_out + ands,
                lines.join("\n")
            ))
            .unwrap()
        };
        let keys = Keys::from_seed([42; 32], 3);
        // A disprove is TRUC: at most 10,000 vB, so a MAND's one leaf holds so many ANDs.
        let c = wide_mand(300, 1);
        let mand = c.gates.len() - 1;
        let e = new_setup(params_for(&["3"], NofNMode::Musig2), c, &keys, true)
            .err()
            .unwrap();
        let m = e.to_string();
        assert!(
            m.contains(&format!("gate {mand} is a MAND")) && m.contains("over the 10000 vB"),
            "{m}"
        );
        let fits: usize = m
            .split("at most ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        // The width it suggests is disproved on chain, in a TRUC transaction.
        let c = wide_mand(fits, 2);
        let mand = c.gates.len() - 1;
        let (g, keys, sigs) = game_for(c, &["3"], NofNMode::Musig2);
        let r = play(
            &g,
            &keys,
            &sigs,
            &claim(&g, &[], Some(Lie::Gate(mand))),
            Scenario::Fraud,
        );
        let d = r
            .steps
            .iter()
            .find(|s| s.accepted && s.tx == format!("disprove-gate{mand}"))
            .unwrap();
        assert!(
            d.version == 3 && d.vsize <= crate::ocp::policy::TRUC_MAX_VSIZE,
            "{} vB",
            d.vsize
        );
        assert!(
            d.vsize > crate::ocp::policy::TRUC_MAX_VSIZE * 9 / 10,
            "{} vB: the suggestion is not tight",
            d.vsize
        );
    }

    #[test]
    fn setup_says_which_amount_to_raise() {
        let c = crate::ocp::builder::adder(4);
        let keys = Keys::from_seed([42; 32], 3);
        let try_with = |f: &dyn Fn(&mut Params)| {
            let mut p = params_for(&["_", "a"], NofNMode::Musig2);
            f(&mut p);
            new_setup(p, c.clone(), &keys, true)
        };
        let min_of = |e: OcpError, flag: &str| -> u64 {
            let m = e.to_string();
            m.split(&format!("use {flag} "))
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no minimum {flag} in: {m}"))
        };
        // A stake too small for the fees and the reward: setup names the smallest.
        let e = try_with(&|p| {
            p.stake = 1_000;
            p.reward = 500
        })
        .err()
        .unwrap();
        let need = min_of(e, "--stake");
        assert!(try_with(&|p| {
            p.stake = need - 1;
            p.reward = 500
        })
        .is_err());
        // A reward that cannot pay for the heaviest disprove.
        let e = try_with(&|p| p.reward = 10).err().unwrap();
        let need = min_of(e, "--reward");
        assert!(try_with(&|p| p.reward = need).is_ok());
        assert!(try_with(&|p| p.reward = need - 1).is_err());
        // A stake that a self-disproving liar would get back more than half of.
        let e = try_with(&|p| p.reward = 999_000).err().unwrap();
        assert!(e.to_string().contains("less than half its stake"), "{e}");
        assert!(try_with(&|p| p.reward = 900_000).is_ok());
        // The refund must come after every deadline.
        assert!(try_with(&|p| p.refund_after = 18)
            .err()
            .unwrap()
            .to_string()
            .contains("--refund-after"));
    }
}
