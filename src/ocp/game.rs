//! Playing the game on the local chain: every branch of the protocol with real signed
//! transactions, each input checked by libbitcoinconsensus and each transaction by the
//! standardness policy. The challenger reads the operator's openings from the Assert
//! witnesses on chain, as a real watcher would.

use std::collections::BTreeMap;
use std::str::FromStr;

use bitcoin::{Amount, OutPoint, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use serde::Serialize;

use super::chain::Chain;
use super::commit::{LamportSecret, Openings, Preimage};
use super::graph::{Graph, GraphTx, LeafKind, Signer, Step};
use super::keys::{tagged, Keys};
use super::script;
use super::sign::{input_sighash, sign_nofn, sign_single, Signatures};
use super::verify::verify_tx;
use super::OcpError;

/// Circuits with at most this many gates get every leaf and every fraud gate tried.
pub const SMALL_CIRCUIT_GATES: usize = 1_000;
/// Circuits with at most this many steps get every disprove leaf tried in `honest`.
pub const ALL_LEAVES_UP_TO: usize = 20_000;
/// Leaves tried in `honest` on larger circuits (spread evenly, plus the first and last).
pub const SAMPLED_LEAVES: usize = 256;
/// Gates tried by `fraud` without a gate on circuits over [`SMALL_CIRCUIT_GATES`].
pub const SAMPLED_FRAUD_GATES: usize = 8;

/// A branch of the game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Honest,
    Fraud(Option<usize>),
    NoAssert,
    EarlyPayout,
    Equivocate,
    Unchallenged,
    Tamper,
    /// The operator stops after `assert-I` (1 ≤ I < K); the challenger takes timeout-I.
    Stall(usize),
}

pub const SCENARIOS: &str =
    "honest, fraud, fraud:GATE, no-assert, stall:I, early-payout, equivocate, unchallenged, tamper";

impl FromStr for Scenario {
    type Err = OcpError;
    fn from_str(s: &str) -> Result<Scenario, OcpError> {
        Ok(match s {
            "honest" => Scenario::Honest,
            "fraud" => Scenario::Fraud(None),
            "no-assert" => Scenario::NoAssert,
            "early-payout" => Scenario::EarlyPayout,
            "equivocate" => Scenario::Equivocate,
            "unchallenged" => Scenario::Unchallenged,
            "tamper" => Scenario::Tamper,
            _ => match s.strip_prefix("fraud:").map(str::parse::<usize>) {
                Some(Ok(g)) => Scenario::Fraud(Some(g)),
                _ if s.starts_with("stall:") => match s["stall:".len()..].parse::<usize>() {
                    Ok(i) => Scenario::Stall(i),
                    Err(_) => {
                        return Err(OcpError::Usage(format!(
                            "`{s}`: stall:I takes the number of the last Assert published"
                        )))
                    }
                },
                _ => {
                    return Err(OcpError::Usage(format!(
                        "unknown scenario `{s}`; use one of: {SCENARIOS}"
                    )))
                }
            },
        })
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scenario::Honest => write!(f, "honest"),
            Scenario::Fraud(None) => write!(f, "fraud"),
            Scenario::Fraud(Some(g)) => write!(f, "fraud:{g}"),
            Scenario::NoAssert => write!(f, "no-assert"),
            Scenario::EarlyPayout => write!(f, "early-payout"),
            Scenario::Equivocate => write!(f, "equivocate"),
            Scenario::Unchallenged => write!(f, "unchallenged"),
            Scenario::Tamper => write!(f, "tamper"),
            Scenario::Stall(i) => write!(f, "stall:{i}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Operator,
    Challenger,
}

impl Scenario {
    /// Who should hold the deposit at the end.
    pub fn expected_winner(self) -> Party {
        match self {
            Scenario::Honest
            | Scenario::EarlyPayout
            | Scenario::Unchallenged
            | Scenario::Tamper => Party::Operator,
            Scenario::Fraud(_) | Scenario::NoAssert | Scenario::Stall(_) | Scenario::Equivocate => {
                Party::Challenger
            }
        }
    }
}

/// One transaction put to the chain (or only to the interpreter, for tampered copies).
#[derive(Clone, Debug, Serialize)]
pub struct TxRecord {
    pub step: String,
    pub tx: String,
    pub txid: String,
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
    /// A record of `tx` (graph transaction `name`); `hex` keeps its serialization for the
    /// raw export.
    fn new(step: String, name: &str, tx: &Transaction, fee: u64, result: String) -> TxRecord {
        TxRecord {
            step,
            tx: name.to_string(),
            txid: tx.compute_txid().to_string(),
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

/// One fraud game of `fraud` without a gate.
#[derive(Clone, Debug, Serialize)]
pub struct FraudGame {
    pub lie_at_gate: usize,
    pub first_inconsistent_step: Option<String>,
    pub winner: Option<Party>,
    pub ok: bool,
}

/// A coin the simulation created out of nothing: the funding of the deposit and the
/// challenger's coin. A regtest replay needs these to exist first.
#[derive(Clone, Debug, Serialize)]
pub struct SyntheticCoin {
    pub outpoint: String,
    pub amount: u64,
    pub script_pubkey: String,
}

/// What `zkm challenge simulate` reports.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub synthetic_coins: Vec<SyntheticCoin>,
    pub scenario: String,
    pub circuit: String,
    pub gates: usize,
    pub assert_transactions: usize,
    pub steps: Vec<TxRecord>,
    pub disprove_attempts: usize,
    pub disprove_leaves_tried: String,
    pub fraud_games: Vec<FraudGame>,
    pub inputs_verified: usize,
    pub block_height: u32,
    pub holdings: BTreeMap<String, u64>,
    pub winner: Option<Party>,
    pub expected_winner: Party,
    pub failures: Vec<String>,
    pub ok: bool,
    pub seconds: f64,
}

struct Game<'a> {
    g: &'a Graph,
    keys: &'a Keys,
    sigs: &'a Signatures,
    chain: Chain,
    /// The operator's value of every wire (a liar's differ).
    values: Vec<bool>,
    lamport: LamportSecret,
    records: Vec<TxRecord>,
    failures: Vec<String>,
    broadcast: BTreeMap<String, Transaction>,
    challenger_coin: (OutPoint, TxOut),
    tamper: bool,
    disprove_attempts: usize,
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
        chain.fund(g.funding.0, g.funding.1.clone());
        let (outpoint, value) = opts.challenger_coin.unwrap_or((
            OutPoint {
                txid: Txid::from_byte_array(tagged(
                    "zkm/ocp/challenger-coin",
                    &[&g.setup.keys.challenger.serialize()],
                )),
                vout: 0,
            },
            g.setup.params.challenge_fee + 1_000_000 + 1_000 * g.setup.params.fee_rate,
        ));
        let coin = (
            outpoint,
            TxOut {
                value: Amount::from_sat(value),
                script_pubkey: g.challenger_spk.clone(),
            },
        );
        chain.fund(coin.0, coin.1.clone());
        Game {
            g,
            keys,
            sigs,
            chain,
            values,
            lamport: LamportSecret::new(keys.lamport_seed),
            records: Vec::new(),
            failures: Vec::new(),
            broadcast: BTreeMap::new(),
            challenger_coin: coin,
            tamper: false,
            disprove_attempts: 0,
        }
    }

    /// The signed transaction `name` of the graph: pre-signed inputs get their stored
    /// signatures, Assert inputs the operator's openings, the rest are signed now.
    fn signed(&self, name: &str) -> Result<Transaction, OcpError> {
        let gtx = self.g.get(name)?;
        let mut tx = gtx.tx.clone();
        for i in 0..tx.input.len() {
            tx.input[i].witness = self.input_witness(gtx, &tx, i)?;
        }
        Ok(tx)
    }

    fn input_witness(
        &self,
        gtx: &GraphTx,
        tx: &Transaction,
        i: usize,
    ) -> Result<Witness, OcpError> {
        let spend = &gtx.spends[i];
        let items = match spend.signer {
            Signer::NofN => {
                let sigs = self.nofn_sigs(gtx, tx, i)?;
                let pre: Vec<Preimage> = spend
                    .opens
                    .iter()
                    .map(|&w| self.lamport.preimage(w, self.values[w as usize]))
                    .collect();
                script::assert_witness(&self.g.nofn, &sigs, &pre)
            }
            Signer::NofNAndOperator => {
                // [operator signature, n-of-n signatures…]: the n-of-n is checked first.
                let h = input_sighash(tx, &gtx.prevouts, i, spend)?;
                let mut items = vec![sign_single(&self.keys.operator, &h, spend.sighash, false)];
                items.extend(self.g.nofn.witness(&self.nofn_sigs(gtx, tx, i)?));
                items
            }
            Signer::Funder => {
                let h = input_sighash(tx, &gtx.prevouts, i, spend)?;
                vec![sign_single(&self.keys.funder, &h, spend.sighash, true)]
            }
            Signer::Challenger => {
                let h = input_sighash(tx, &gtx.prevouts, i, spend)?;
                vec![sign_single(&self.keys.challenger, &h, spend.sighash, false)]
            }
        };
        Ok(gtx.witness(i, items))
    }

    /// The n-of-n signatures of input `i` of `tx`: the pre-signed ones when `tx` signs
    /// the same message as the graph's template (the challenge's SINGLE|ANYONECANPAY input
    /// stays valid as the challenger adds its coin), else fresh ones from the signers'
    /// keys in secrets.json, so that a changed copy (another nSequence) is refused by
    /// what consensus checks, not by a stale signature.
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

    /// Puts `tx` to the chain; records it and whether the outcome is the intended one.
    fn submit(&mut self, step: &str, name: &str, tx: &Transaction, expect_accept: bool) -> bool {
        let result = self.chain.broadcast(tx);
        let accepted = result.is_ok();
        let (text, fee) = match &result {
            Ok(a) => (format!("accepted at block {}", a.height), a.fee),
            Err(e @ super::chain::Reject::Script(_)) => (format!("refused: {e}"), 0),
            Err(e) => {
                let scripts = match &self.chain.last_script_check {
                    Some(Ok(())) => "; its scripts are valid",
                    Some(Err(_)) => "; its scripts are invalid too",
                    None => "",
                };
                (format!("refused: {e}{scripts}"), 0)
            }
        };
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
            TxRecord::new(step.to_string(), name, tx, fee, text)
                .outcome(accepted, accepted == expect_accept)
                .with_hex(tx),
        );
        accepted
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
        self.play("deposit", "deposit", true)?;
        self.play("operator claims the result", "kickoff", true)?;
        Ok(())
    }

    /// The challenger completes the challenge template with its own coin and change.
    fn challenge_tx(&self) -> Result<(Transaction, Vec<TxOut>), OcpError> {
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
        // Weigh with a key-path signature, then pay the fee from the change.
        let mut weighed = tx.clone();
        weighed.input[0].witness = self.input_witness(gtx, &tx, 0)?;
        weighed.input[1].witness = Witness::from_slice(&[vec![0u8; 64]]);
        let fee = weighed.weight().to_vbytes_ceil() * self.g.setup.params.fee_rate;
        let total: u64 = prevouts.iter().map(|o| o.value.to_sat()).sum();
        let change = total
            .checked_sub(tx.output[0].value.to_sat() + fee)
            .ok_or_else(|| {
                OcpError::Game("the challenger's coin cannot pay the challenge".into())
            })?;
        tx.output[1].value = Amount::from_sat(change);
        tx.input[0].witness = self.input_witness(gtx, &tx, 0)?;
        let spend = super::graph::Spend {
            leaf: None,
            leaf_index: 0,
            signer: Signer::Challenger,
            sighash: bitcoin::sighash::TapSighashType::Default,
            opens: vec![],
            what: "challenger key path".into(),
        };
        let h = input_sighash(&tx, &prevouts, 1, &spend)?;
        tx.input[1].witness =
            Witness::from_slice(&[sign_single(&self.keys.challenger, &h, spend.sighash, true)]);
        Ok((tx, prevouts))
    }

    fn challenge(&mut self) -> Result<(), OcpError> {
        let (tx, prevouts) = self.challenge_tx()?;
        if self.tamper {
            self.tamper_challenge(&tx, &prevouts);
        }
        self.submit("challenger pays to challenge", "challenge", &tx, true);
        Ok(())
    }

    fn assert_all(&mut self) -> Result<(), OcpError> {
        for i in 1..=self.g.assert_count() {
            let ok = self.play(
                "operator opens the commitments",
                &format!("assert-{i}"),
                true,
            )?;
            if !ok {
                return Err(OcpError::Game(format!(
                    "assert-{i} was refused; the operator cannot complete the Assert chain"
                )));
            }
        }
        Ok(())
    }

    /// The openings the challenger reads from the Assert witnesses on chain.
    fn read_openings(&self) -> Openings {
        let mut o = Openings::default();
        for (i, batch) in self.g.batches.iter().enumerate() {
            let Some(tx) = self.broadcast.get(&format!("assert-{}", i + 1)) else {
                continue;
            };
            for (input, wires) in tx.input.iter().zip(batch) {
                let items: Vec<&[u8]> = input.witness.iter().collect();
                // [p_last … p_first, signatures…, script, control]
                for (k, &w) in wires.iter().enumerate() {
                    let item = items[wires.len() - 1 - k];
                    o.record(w, &self.g.commitment(w), item);
                }
            }
        }
        o
    }

    /// A transaction spending the final carrier through leaf `l` with the given openings.
    fn leaf_tx(
        &self,
        l: usize,
        open: &dyn Fn(u32, usize) -> Option<Preimage>,
    ) -> Result<Option<(GraphTx, Transaction)>, OcpError> {
        let gtx = self.g.leaf_spend_tx(l)?;
        let mut tx = gtx.tx.clone();
        let h = input_sighash(&tx, &gtx.prevouts, 0, &gtx.spends[0])?;
        let sig = sign_single(&self.keys.challenger, &h, gtx.spends[0].sighash, false);
        let items = match self.g.leaf_kind(l) {
            LeafKind::Disprove(s) => {
                let mut k = 0;
                let checks = self.g.step_checks(s);
                let wires = self.g.step_wires(s);
                let w = script::disprove_witness(&sig, &checks, |_| {
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
                (Some(p0), Some(p1)) => script::equivocation_witness(&sig, &p0, &p1),
                _ => return Ok(None),
            },
            LeafKind::Payout => vec![sig],
        };
        tx.input[0].witness = gtx.witness(0, items);
        Ok(Some((gtx, tx)))
    }

    /// Tries disprove leaves with the on-chain openings; each must be refused.
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
            let Some((gtx, tx)) = self.leaf_tx(l, &open)? else {
                self.failures.push(format!(
                    "leaf {l}: an opening is missing from the Assert witnesses"
                ));
                continue;
            };
            self.disprove_attempts += 1;
            // Each attempt must be refused by the script interpreter itself, not for
            // some other reason (a missing input, the policy).
            match self.chain.broadcast(&tx) {
                Err(super::chain::Reject::Script(e)) if shown < 3 => {
                    shown += 1;
                    self.records.push(TxRecord::new(
                        "challenger tries a disprove leaf".into(),
                        &gtx.name,
                        &tx,
                        0,
                        format!("refused: {e}"),
                    ));
                }
                Err(super::chain::Reject::Script(_)) => {}
                Err(other) => self.failures.push(format!(
                    "{}: refused, but not by the script ({other})",
                    gtx.name
                )),
                Ok(a) => {
                    self.failures.push(format!(
                        "{}: accepted, but the operator computed this step correctly",
                        gtx.name
                    ));
                    self.records.push(
                        TxRecord::new(
                            "challenger tries a disprove leaf".into(),
                            &gtx.name,
                            &tx,
                            a.fee,
                            format!("accepted at block {}", a.height),
                        )
                        .outcome(true, false)
                        .with_hex(&tx),
                    );
                    self.broadcast.insert(gtx.name.clone(), tx);
                }
            }
        }
        Ok(())
    }

    fn holdings(&self) -> (BTreeMap<String, u64>, Option<Party>) {
        let mut h = BTreeMap::new();
        for (op, out) in self.chain.utxos() {
            let who = if out.script_pubkey == self.g.operator_spk {
                "operator"
            } else if out.script_pubkey == self.g.challenger_spk || *op == self.challenger_coin.0 {
                "challenger"
            } else if out.value.to_sat() <= super::graph::CONNECTOR_SATS {
                "unspent connectors"
            } else {
                "locked in the graph"
            };
            *h.entry(who.to_string()).or_insert(0) += out.value.to_sat();
        }
        // The winner is whoever's key the deposit went to: follow the output that carries it
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
            } else if *out == self.g.challenger_spk {
                winner = Some(Party::Challenger);
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
                // Re-sign every input (the n signers from secrets.json, or the
                // challenger), so only the leaf's CHECKSEQUENCEVERIFY can refuse it.
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
                let valid = verify_tx(&c, &prevouts);
                self.chain.inputs_verified += super::verify::inputs_checked(&valid);
                if let Err(e) = &valid {
                    self.failures.push(format!(
                        "tamper {name}: re-signed with another nLockTime, it is refused ({e})"
                    ));
                }
                self.records.push(TxRecord::control(
                    "control (not broadcast): re-signed with another nLockTime".into(),
                    name,
                    &c,
                    &valid,
                ));
            }
            self.expect_refused(name, &what, &t, &prevouts);
        }
        if gtx.spends[0].signer == Signer::NofNAndOperator {
            // The claim needs the operator: a forged operator signature is refused.
            let mut t = tx.clone();
            let mut items: Vec<Vec<u8>> = t.input[0].witness.iter().map(|i| i.to_vec()).collect();
            items[0][10] ^= 0x01;
            t.input[0].witness = Witness::from_slice(&items);
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
        corrupt_sig(&mut t.input[0].witness);
        self.expect_refused("challenge", "corrupted n-of-n signature", &t, prevouts);
    }
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
        m.push((i, Mutation::CorruptSignature));
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

/// The operator's wire values: honest, or lying at `gate` (its outputs flipped, and the
/// lie carried through the rest of the circuit).
pub fn operator_values(g: &Graph, lie_at: Option<usize>) -> Vec<bool> {
    let c = &g.setup.circuit;
    let mut wires = vec![false; c.nwires as usize];
    wires[..g.input_bits.len()].copy_from_slice(&g.input_bits);
    for (i, gate) in c.gates.iter().enumerate() {
        for (out, kind, ins) in gate.checks() {
            let v = if kind == super::bristol::GateKind::Eq {
                ins[0] == 1
            } else {
                super::bristol::apply(
                    kind,
                    &ins.iter().map(|&w| wires[w as usize]).collect::<Vec<_>>(),
                )
            };
            wires[out as usize] = v ^ (lie_at == Some(i));
        }
    }
    wires
}

/// Leaves the honest scenario tries: all of them on small circuits, else a spread sample.
fn leaves_to_try(g: &Graph) -> (Vec<usize>, String) {
    let n = g.leaf_count();
    if g.step_count() <= ALL_LEAVES_UP_TO {
        (
            (1..n).collect(),
            format!("all {} disprove and equivocation leaves", n - 1),
        )
    } else {
        let mut v: Vec<usize> = (0..SAMPLED_LEAVES)
            .map(|i| 1 + i * (n - 2) / (SAMPLED_LEAVES - 1))
            .collect();
        // Every output leaf too: the claim itself.
        v.extend(
            (0..g.setup.circuit.output_bits() as usize).map(|o| g.leaf_of_step(Step::Output(o))),
        );
        v.sort_unstable();
        v.dedup();
        let len = v.len();
        (
            v,
            format!(
                "{len} of {} leaves: {SAMPLED_LEAVES} spread over the tree plus every output leaf",
                n - 1
            ),
        )
    }
}

/// Runs one scenario. The report says whether the game ended as the protocol intends.
/// Settings of a simulation beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The challenger's coin (outpoint, sats), paying to its key path; a synthetic one if
    /// `None`. Give a real one to replay the challenge on regtest.
    pub challenger_coin: Option<(OutPoint, u64)>,
}

pub fn simulate(
    g: &Graph,
    keys: &Keys,
    sigs: &Signatures,
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
    let mut fraud_games = Vec::new();
    let mut leaves_tried = String::from("none");
    let game = match scenario {
        Scenario::Fraud(None) => {
            let ng = g.setup.circuit.gates.len();
            let gates: Vec<usize> = if ng <= SMALL_CIRCUIT_GATES {
                (0..ng).collect()
            } else {
                (0..SAMPLED_FRAUD_GATES)
                    .map(|i| i * (ng - 1) / (SAMPLED_FRAUD_GATES - 1))
                    .collect()
            };
            let mut last = None;
            for gate in gates {
                let game = fraud_game(g, keys, sigs, gate, opts)?;
                let (_, winner) = game.0.holdings();
                fraud_games.push(FraudGame {
                    lie_at_gate: gate,
                    first_inconsistent_step: game.1.clone(),
                    winner,
                    ok: game.0.failures.is_empty() && winner == Some(Party::Challenger),
                });
                last = Some(game.0);
            }
            last.ok_or_else(|| OcpError::Usage("the circuit has no gates to lie at".into()))?
        }
        Scenario::Fraud(Some(gate)) => {
            if gate >= g.setup.circuit.gates.len() {
                return Err(OcpError::Usage(format!(
                    "fraud:{gate}: the circuit has {} gates (0 to {})",
                    g.setup.circuit.gates.len(),
                    g.setup.circuit.gates.len().saturating_sub(1)
                )));
            }
            fraud_game(g, keys, sigs, gate, opts)?.0
        }
        _ => {
            let mut game = Game::new(g, keys, sigs, operator_values(g, None), opts);
            game.tamper = scenario == Scenario::Tamper;
            let p = g.timelocks;
            game.start()?;
            match scenario {
                Scenario::Honest | Scenario::Tamper => {
                    game.challenge()?;
                    game.assert_all()?;
                    let (leaves, text) = if scenario == Scenario::Tamper {
                        let o = g.leaf_of_step(Step::Output(0));
                        (vec![1, o, g.leaf_count() - 1], "3 leaves".to_string())
                    } else {
                        leaves_to_try(g)
                    };
                    leaves_tried = text;
                    game.try_disproves(&leaves)?;
                    game.play(
                        "challenger tries the timeout after the Asserts",
                        "timeout-0",
                        false,
                    )?;
                    if scenario == Scenario::Tamper {
                        tamper_leaves(&mut game)?;
                        // The branches this game does not take, checked against their
                        // spent outputs: the unchallenged payout and the timeouts.
                        let mut names = vec!["payout-unchallenged".to_string()];
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
                Scenario::NoAssert => {
                    game.challenge()?;
                    game.play("challenger tries the timeout too early", "timeout-0", false)?;
                    game.chain.mine(p.unchallenged_payout as u32);
                    game.play(
                        "operator tries the unchallenged payout after a challenge",
                        "payout-unchallenged",
                        false,
                    )?;
                    game.chain
                        .mine((p.first_assert_deadline - p.unchallenged_payout) as u32);
                    game.play(
                        "operator never asserted: challenger takes the timeout",
                        "timeout-0",
                        true,
                    )?;
                }
                Scenario::Stall(i) => {
                    let k = g.assert_count();
                    if i == 0 || i >= k {
                        return Err(OcpError::Usage(format!(
                            "stall:{i}: the operator stops after assert-I, and this graph has {k} Assert transactions, so I must be 1 to {}{}",
                            k - 1,
                            if k < 2 { " (none here: use no-assert)" } else { "" }
                        )));
                    }
                    game.challenge()?;
                    for a in 1..=i {
                        game.play(
                            "operator opens the commitments",
                            &format!("assert-{a}"),
                            true,
                        )?;
                    }
                    let t = format!("timeout-{i}");
                    game.play("challenger tries the timeout at once", &t, false)?;
                    game.chain.mine(p.next_assert_deadline as u32 - 2);
                    game.play("challenger tries the timeout one block early", &t, false)?;
                    game.chain.mine(1);
                    game.play(
                        &format!("operator stopped after assert-{i}: challenger takes the timeout"),
                        &t,
                        true,
                    )?;
                    game.play(
                        "operator tries the next Assert after the timeout",
                        &format!("assert-{}", i + 1),
                        false,
                    )?;
                }
                Scenario::EarlyPayout => {
                    game.play(
                        "operator tries the unchallenged payout at once",
                        "payout-unchallenged",
                        false,
                    )?;
                    game.challenge()?;
                    game.assert_all()?;
                    game.play(
                        "operator tries the payout before the timelock",
                        "payout",
                        false,
                    )?;
                    // Re-signed by the n signers: only the leaf's CSV can refuse it.
                    let tx = game.signed_changed("payout", |t| {
                        t.input[0].sequence = Sequence::ZERO;
                    })?;
                    game.submit(
                        "operator tries the payout with nSequence 0, re-signed",
                        "payout",
                        &tx,
                        false,
                    );
                    if p.disprove_window >= 2 {
                        game.chain.mine(p.disprove_window as u32 - 2);
                        game.play("operator tries the payout one block early", "payout", false)?;
                        game.chain.mine(1);
                    }
                    game.play(
                        "operator takes the payout after the timelock",
                        "payout",
                        true,
                    )?;
                }
                Scenario::Equivocate => {
                    game.challenge()?;
                    game.assert_all()?;
                    // The operator also signs the other value of one wire (say, to someone
                    // else); anyone holding both openings can prove it on chain.
                    let w = g.setup.circuit.input_bits();
                    let leaked = game.lamport.preimage(w, !game.values[w as usize]);
                    let mut o = game.read_openings();
                    o.record(w, &g.commitment(w), &leaked);
                    let Some((wire, p0, p1)) = o.equivocation() else {
                        return Err(OcpError::Game("the equivocation was not detected".into()));
                    };
                    let l = g.leaf_of_equivocation(wire);
                    let open = |_: u32, k: usize| Some(if k == 0 { p0 } else { p1 });
                    if let Some((gtx, tx)) = game.leaf_tx(l, &open)? {
                        game.submit(
                            &format!("challenger proves two values for wire {wire}"),
                            &gtx.name,
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
                    game.chain.mine(p.unchallenged_payout as u32 - 1);
                    game.play(
                        "nobody challenged: operator takes the payout",
                        "payout-unchallenged",
                        true,
                    )?;
                }
                Scenario::Fraud(_) => unreachable!("handled above"),
            }
            game
        }
    };
    let (holdings, winner) = game.holdings();
    let expected = scenario.expected_winner();
    let mut failures = game.failures.clone();
    if winner != Some(expected) {
        failures.push(format!(
            "the deposit went to {winner:?}, but the protocol gives it to the {expected:?}"
        ));
    }
    for fg in fraud_games.iter().filter(|f| !f.ok) {
        failures.push(format!(
            "fraud at gate {}: the challenger did not win ({:?})",
            fg.lie_at_gate, fg.first_inconsistent_step
        ));
    }
    let coin = |(o, t): &(OutPoint, TxOut)| SyntheticCoin {
        outpoint: o.to_string(),
        amount: t.value.to_sat(),
        script_pubkey: t.script_pubkey.to_hex_string(),
    };
    Ok(Report {
        synthetic_coins: vec![coin(&g.funding), coin(&game.challenger_coin)],
        scenario: scenario.to_string(),
        circuit: g.setup.params.circuit.clone(),
        gates: g.setup.circuit.gates.len(),
        assert_transactions: g.assert_count(),
        steps: game.records.clone(),
        disprove_attempts: game.disprove_attempts,
        disprove_leaves_tried: leaves_tried,
        fraud_games,
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

/// Tampered disprove and equivocation spends, checked against the final carrier. Each
/// starts from a valid spend (a disprove of gate 0 with the openings of an operator lying
/// there, and both openings of a wire), which must itself be accepted, so that every
/// refusal is due to its mutation alone.
fn tamper_leaves(game: &mut Game) -> Result<(), OcpError> {
    let g = game.g;
    let lie = operator_values(g, Some(0));
    let lam = game.lamport.clone();
    let lying = |w: u32, _: usize| Some(lam.preimage(w, lie[w as usize]));
    let both = |w: u32, k: usize| Some(lam.preimage(w, k == 1));
    let step_leaf = g.leaf_of_step(Step::Gate(0));
    let eq_leaf = g.leaf_of_equivocation(g.setup.circuit.input_bits());
    for (l, open, what) in [
        (
            step_leaf,
            &lying as &dyn Fn(u32, usize) -> Option<Preimage>,
            "disprove leaf",
        ),
        (
            eq_leaf,
            &both as &dyn Fn(u32, usize) -> Option<Preimage>,
            "equivocation leaf",
        ),
    ] {
        let built = game.leaf_tx(l, open)?;
        let Some(((gtx, tx), prevouts)) =
            built.and_then(|(gtx, tx)| game.prevouts_of(&tx).map(|p| ((gtx, tx), p)))
        else {
            game.failures
                .push(format!("tamper: cannot build a valid {what} spend"));
            continue;
        };
        let valid = verify_tx(&tx, &prevouts);
        game.chain.inputs_verified += super::verify::inputs_checked(&valid);
        if let Err(e) = &valid {
            game.failures
                .push(format!("tamper: a valid {what} spend was refused ({e})"));
        }
        game.records.push(TxRecord::control(
            format!("control (not broadcast): a valid {what} spend"),
            &gtx.name,
            &tx,
            &valid,
        ));
        for m in [
            Mutation::CorruptSignature,
            Mutation::WrongPreimage,
            Mutation::WrongControlBlock,
            Mutation::WrongLeaf,
        ] {
            let mut t = tx.clone();
            let text = m.apply(&mut t, g, 0);
            game.expect_refused(&gtx.name, &format!("{what}: {text}"), &t, &prevouts);
        }
    }
    Ok(())
}

fn fraud_game<'a>(
    g: &'a Graph,
    keys: &'a Keys,
    sigs: &'a Signatures,
    gate: usize,
    opts: &Options,
) -> Result<(Game<'a>, Option<String>), OcpError> {
    let mut game = Game::new(g, keys, sigs, operator_values(g, Some(gate)), opts);
    game.start()?;
    game.challenge()?;
    game.assert_all()?;
    // The challenger reads the openings and finds the first step computed wrongly.
    let o = game.read_openings();
    let value = |w: u32| o.value(w).unwrap_or(false);
    let found = g.steps().find(|&s| g.step_is_wrong(s, &value));
    let Some(step) = found else {
        game.failures
            .push(format!("the lie at gate {gate} left no inconsistent step"));
        return Ok((game, None));
    };
    if step != Step::Gate(gate) {
        game.failures.push(format!(
            "the first inconsistent step is {step:?}, not the lie at gate {gate}"
        ));
    }
    let l = g.leaf_of_step(step);
    let open = |w: u32, _: usize| o.value(w).and_then(|v| o.preimage(w, v));
    match game.leaf_tx(l, &open)? {
        Some((gtx, tx)) => {
            game.submit(
                &format!("challenger disproves {}", g.leaf_kind(l)),
                &gtx.name,
                &tx,
                true,
            );
        }
        None => game
            .failures
            .push("an opening the disprove needs is missing".into()),
    }
    game.chain.mine(g.timelocks.disprove_window as u32);
    game.play(
        "operator tries the payout after being disproved",
        "payout",
        false,
    )?;
    Ok((game, Some(g.leaf_kind(l).to_string())))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocp::graph::{NofNMode, Params};

    pub fn game_for(
        circuit: crate::ocp::bristol::Circuit,
        inputs: &[&str],
        mode: NofNMode,
    ) -> (Graph, Keys, Signatures) {
        let keys = Keys::from_seed([42; 32], 3);
        let inputs: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
        let w = circuit.evaluate(&circuit.input_bits_from_hex(&inputs).unwrap());
        let params = Params {
            circuit: "test".into(),
            claimed_outputs: circuit.outputs_hex(&w),
            inputs,
            signers: 3,
            amount: 10_000_000,
            fee_rate: 2,
            challenge_period: 6,
            challenge_fee: 20_000,
            n_of_n: mode,
            funding: None,
        };
        let g = crate::ocp::store::new_setup(params, circuit, &keys).unwrap();
        let sigs = crate::ocp::sign::sign_graph(&g, &keys, |_, _| {}).unwrap();
        (g, keys, sigs)
    }

    /// Two public input bits, copies of them, then one MAND of `ands` ANDs over the
    /// copies, of which the last has `public` (0 to 2) operands read straight from the
    /// inputs: its disprove leaf opens `3 * ands - public` committed wires.
    fn wide_mand(ands: usize, public: usize) -> crate::ocp::bristol::Circuit {
        let copies = 2 * (ands - 1) + (2 - public);
        let mut lines = Vec::new();
        for j in 0..copies {
            lines.push(format!("1 1 {} {} EQW", j % 2, 2 + j));
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for i in 0..ands - 1 {
            a.push(2 + 2 * i);
            b.push(3 + 2 * i);
        }
        let last = 2 + 2 * (ands - 1);
        a.push(if public >= 1 { 0 } else { last });
        b.push(match public {
            0 => last + 1,
            1 => last,
            _ => 1,
        });
        let first_out = 2 + copies;
        let outs: Vec<usize> = (first_out..first_out + ands).collect();
        let join = |v: &[usize]| {
            v.iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        lines.push(format!(
            "{} {ands} {} {} {} MAND",
            2 * ands,
            join(&a),
            join(&b),
            join(&outs)
        ));
        let text = format!(
            "{} {}\n1 2\n1 {ands}\n\n{}\n",
            copies + 1,
            first_out + ands,
            lines.join("\n")
        );
        crate::ocp::bristol::Circuit::parse(&text).unwrap()
    }

    fn params_for(c: &crate::ocp::bristol::Circuit, inputs: &[&str], signers: usize) -> Params {
        let inputs: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
        let w = c.evaluate(&c.input_bits_from_hex(&inputs).unwrap());
        Params {
            circuit: "test".into(),
            claimed_outputs: c.outputs_hex(&w),
            inputs,
            signers,
            amount: 10_000_000,
            fee_rate: 2,
            challenge_period: 6,
            challenge_fee: 20_000,
            n_of_n: NofNMode::Musig2,
            funding: None,
        }
    }

    #[test]
    fn a_mand_too_wide_to_disprove_is_refused_at_setup() {
        use crate::ocp::graph::MAX_DISPROVE_OPENINGS;
        // 998 openings: one more than the stack allows.
        let c = wide_mand(333, 1);
        let mand = c.gates.len() - 1;
        let keys = Keys::from_seed([42; 32], 3);
        let e = crate::ocp::store::new_setup(params_for(&c, &["3"], 3), c, &keys)
            .err()
            .expect("setup must refuse a MAND whose disprove cannot be spent");
        assert!(
            matches!(&e, OcpError::Usage(m) if m.contains(&format!("gate {mand} is a MAND"))
                && m.contains(&format!("open {}", MAX_DISPROVE_OPENINGS + 1))),
            "{e}"
        );
        // The reviewer's repro: a 400-AND MAND over committed wires.
        let c = wide_mand(400, 0);
        assert!(crate::ocp::store::new_setup(params_for(&c, &["3"], 3), c, &keys).is_err());
    }

    #[test]
    fn the_widest_mand_allowed_is_disproved_on_chain() {
        use crate::ocp::graph::MAX_DISPROVE_OPENINGS;
        let c = wide_mand(333, 2);
        let mand = c.gates.len() - 1;
        let (g, keys, sigs) = game_for(c, &["3"], NofNMode::Musig2);
        assert_eq!(g.step_wires(Step::Gate(mand)).len(), MAX_DISPROVE_OPENINGS);
        let r = simulate(
            &g,
            &keys,
            &sigs,
            Scenario::Fraud(Some(mand)),
            &Options::default(),
        )
        .unwrap();
        assert!(r.ok, "{:#?}", r.failures);
        assert_eq!(r.winner, Some(Party::Challenger));
        assert!(r
            .steps
            .iter()
            .any(|s| s.accepted && s.tx == format!("disprove-gate{mand}")));
    }

    #[test]
    fn more_signers_than_the_assert_stack_allows_are_refused_by_the_graph() {
        let c = crate::ocp::builder::adder(2);
        let keys = Keys::from_seed([42; 32], 101);
        let e = crate::ocp::store::new_setup(params_for(&c, &["1", "2"], 101), c, &keys)
            .err()
            .expect("101 signers must be refused");
        assert!(
            matches!(&e, OcpError::Data(m) if m.contains("1 to 100")),
            "{e}"
        );
    }

    #[test]
    fn setup_refuses_a_deposit_too_small_to_pay_for_a_disprove() {
        let c = crate::ocp::builder::adder(4);
        let keys = Keys::from_seed([42; 32], 3);
        let with_amount = |amount: u64| {
            let mut p = params_for(&c, &["7", "a"], 3);
            p.amount = amount;
            p.fee_rate = 20;
            crate::ocp::store::new_setup(p, c.clone(), &keys)
        };
        // The reviewer's repro: every pre-signed transaction fits, the disprove does not.
        let e = with_amount(18_500)
            .err()
            .expect("18,500 sats cannot pay a disprove");
        let OcpError::Usage(m) = &e else {
            panic!("{e}")
        };
        assert!(m.contains("disprove"), "{m}");
        let min: u64 = m
            .split("use --amount ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no minimum amount in: {m}"));
        assert!(with_amount(min - 1).is_err());
        // At the minimum, a lie is disproved and the disprove keeps a non-dust output.
        let g = with_amount(min).unwrap();
        let sigs = crate::ocp::sign::sign_graph(&g, &keys, |_, _| {}).unwrap();
        let r = simulate(
            &g,
            &keys,
            &sigs,
            Scenario::Fraud(Some(3)),
            &Options::default(),
        )
        .unwrap();
        assert!(r.ok, "{:#?}", r.failures);
        assert_eq!(r.winner, Some(Party::Challenger));
    }

    #[test]
    fn the_winner_is_who_took_the_deposit_even_when_it_is_small() {
        // 25,000 sats at 20 sat/vB: the challenge fee the operator receives is worth more
        // than half the deposit, the challenger's disprove output less.
        let c = crate::ocp::builder::adder(4);
        let keys = Keys::from_seed([42; 32], 3);
        let mut p = params_for(&c, &["7", "a"], 3);
        p.amount = 25_000;
        p.fee_rate = 20;
        let g = crate::ocp::store::new_setup(p, c, &keys).unwrap();
        let sigs = crate::ocp::sign::sign_graph(&g, &keys, |_, _| {}).unwrap();
        for (sc, winner) in [
            (Scenario::Fraud(Some(3)), Party::Challenger),
            (Scenario::Equivocate, Party::Challenger),
            (Scenario::Honest, Party::Operator),
            (Scenario::Unchallenged, Party::Operator),
        ] {
            let r = simulate(&g, &keys, &sigs, sc, &Options::default()).unwrap();
            assert!(r.ok, "{sc}: {:#?}", r.failures);
            assert_eq!(r.winner, Some(winner), "{sc}");
        }
    }

    #[test]
    fn a_payout_re_signed_with_nsequence_0_is_refused_by_the_script() {
        for mode in [NofNMode::Musig2, NofNMode::Checksigadd] {
            let (g, keys, sigs) = game_for(crate::ocp::builder::adder(4), &["7", "a"], mode);
            let r = simulate(&g, &keys, &sigs, Scenario::EarlyPayout, &Options::default()).unwrap();
            assert!(r.ok, "{mode:?}: {:#?}", r.failures);
            let s = r
                .steps
                .iter()
                .find(|s| s.step.contains("nSequence 0, re-signed"))
                .expect("the nSequence 0 payout is tried");
            // BIP68 allows nSequence 0 at once: only the leaf's CSV refuses it.
            assert!(
                !s.accepted && s.result.contains("script interpreter refused"),
                "{mode:?}: {}",
                s.result
            );
        }
    }

    /// One public input bit copied `n` times: `n` committed wires, the last one the output.
    fn copies(n: usize) -> crate::ocp::bristol::Circuit {
        let lines: Vec<String> = (0..n).map(|j| format!("1 1 {j} {} EQW", j + 1)).collect();
        let text = format!("{n} {}\n1 1\n1 1\n\n{}\n", n + 1, lines.join("\n"));
        crate::ocp::bristol::Circuit::parse(&text).unwrap()
    }

    #[test]
    fn tamper_reaches_every_input_and_every_timeout() {
        // 6,000 committed wires: two Assert transactions of several inputs each.
        let (g, keys, sigs) = game_for(copies(6_000), &["1"], NofNMode::Musig2);
        assert!(g.assert_count() >= 2);
        assert!(g.batches.iter().all(|b| b.len() >= 2));
        let r = simulate(&g, &keys, &sigs, Scenario::Tamper, &Options::default()).unwrap();
        assert!(r.ok, "{:#?}", r.failures);
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
        for what in [
            "corrupted signature on input 1",
            "wrong leaf script (OP_TRUE) on input 1",
        ] {
            assert!(
                has("payout-unchallenged", what),
                "payout-unchallenged: {what}"
            );
        }
        for i in 0..g.assert_count() {
            let tx = format!("timeout-{i}");
            assert!(has(&tx, "timelock bypass"), "{tx}");
            assert!(has(&tx, "corrupted signature"), "{tx}");
        }
    }

    #[test]
    fn an_operator_stalling_after_any_assert_loses_to_that_timeout() {
        let (g, keys, sigs) = game_for(copies(13_000), &["1"], NofNMode::Musig2);
        assert!(g.assert_count() >= 3);
        for i in 1..g.assert_count() {
            let r = simulate(&g, &keys, &sigs, Scenario::Stall(i), &Options::default()).unwrap();
            assert!(r.ok, "stall:{i}: {:#?}", r.failures);
            assert_eq!(r.winner, Some(Party::Challenger));
            let t = format!("timeout-{i}");
            let tries: Vec<bool> = r
                .steps
                .iter()
                .filter(|s| s.tx == t)
                .map(|s| s.accepted)
                .collect();
            assert_eq!(tries, [false, false, true], "stall:{i}");
        }
        for bad in [0, g.assert_count()] {
            assert!(simulate(&g, &keys, &sigs, Scenario::Stall(bad), &Options::default()).is_err());
        }
    }

    #[test]
    fn a_wrong_claim_with_every_gate_correct_is_disproved_at_its_output_bit() {
        // The operator computes every gate honestly but claims another output.
        let c = crate::ocp::builder::adder(4);
        let keys = Keys::from_seed([42; 32], 3);
        let mut p = params_for(&c, &["7", "a"], 3);
        assert_eq!(p.claimed_outputs, ["1"]);
        p.claimed_outputs = vec!["0".into()];
        let g = crate::ocp::store::new_setup(p, c, &keys).unwrap();
        let sigs = crate::ocp::sign::sign_graph(&g, &keys, |_, _| {}).unwrap();
        // `honest` tries every disprove leaf: only output bit 0's is accepted.
        let r = simulate(&g, &keys, &sigs, Scenario::Honest, &Options::default()).unwrap();
        let accepted: Vec<&str> = r
            .steps
            .iter()
            .filter(|s| s.accepted && s.tx.starts_with("disprove"))
            .map(|s| s.tx.as_str())
            .collect();
        assert_eq!(accepted, ["disprove-output0"]);
        assert_eq!(r.winner, Some(Party::Challenger));
    }

    #[test]
    fn every_scenario_ends_as_intended_on_a_builtin_adder() {
        for mode in [NofNMode::Musig2, NofNMode::Checksigadd] {
            let (g, keys, sigs) = game_for(crate::ocp::builder::adder(4), &["7", "a"], mode);
            for sc in [
                "honest",
                "fraud",
                "fraud:3",
                "no-assert",
                "early-payout",
                "equivocate",
                "unchallenged",
                "tamper",
            ] {
                let r =
                    simulate(&g, &keys, &sigs, sc.parse().unwrap(), &Options::default()).unwrap();
                assert!(r.ok, "{mode:?} {sc}: {:#?}", r.failures);
                assert_eq!(
                    r.winner,
                    Some(sc.parse::<Scenario>().unwrap().expected_winner()),
                    "{sc}"
                );
                assert!(r.inputs_verified > 0);
            }
        }
    }

    #[test]
    fn tamper_covers_every_kind_of_transaction_and_every_mutation() {
        let (g, keys, sigs) = game_for(
            crate::ocp::builder::multiplier(3),
            &["3", "5"],
            NofNMode::Musig2,
        );
        let r = simulate(&g, &keys, &sigs, Scenario::Tamper, &Options::default()).unwrap();
        assert!(r.ok, "{:#?}", r.failures);
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
        // The timelock bypasses are re-signed: a copy re-signed with only nLockTime changed
        // is valid, so the bypass is refused by the leaf's CSV, not by a stale signature.
        for tx in ["payout", "payout-unchallenged", "timeout-0"] {
            assert!(
                r.steps.iter().any(|s| s.tx == tx
                    && s.step == "control (not broadcast): re-signed with another nLockTime"
                    && s.result == "scripts valid"),
                "no re-signed control for {tx}"
            );
        }
        // The disprove and equivocation mutations start from spends that are valid.
        for what in ["disprove leaf", "equivocation leaf"] {
            assert!(
                r.steps.iter().any(|s| s.step
                    == format!("control (not broadcast): a valid {what} spend")
                    && s.result == "scripts valid"),
                "no valid {what} spend to tamper with"
            );
        }
        for (tx, what) in [
            ("deposit", "corrupted signature"),
            ("deposit", "redirected"),
            ("kickoff", "corrupted signature"),
            ("kickoff", "wrong control block"),
            ("kickoff", "wrong leaf"),
            ("kickoff", "redirected"),
            ("kickoff", "operator signature"),
            ("challenge", "corrupted"),
            ("challenge", "redirected"),
            ("payout-unchallenged", "timelock bypass"),
            ("payout-unchallenged", "redirected"),
            ("assert-1", "wrong preimage"),
            ("assert-1", "corrupted signature"),
            ("assert-1", "wrong control block"),
            ("assert-1", "redirected"),
            ("timeout-0", "timelock bypass"),
            ("timeout-0", "corrupted signature"),
            ("payout", "timelock bypass"),
            ("payout", "wrong leaf"),
            ("payout", "redirected"),
            ("disprove", "wrong preimage"),
            ("disprove", "wrong control block"),
            ("equivocation", "wrong preimage"),
            ("equivocation", "corrupted signature"),
        ] {
            assert!(has(tx, what), "no tampering `{what}` of {tx}");
        }
    }

    #[test]
    fn a_lie_at_any_gate_is_found_at_that_gate() {
        let (g, keys, sigs) = game_for(
            crate::ocp::builder::comparator(3),
            &["5", "6"],
            NofNMode::Musig2,
        );
        let r = simulate(&g, &keys, &sigs, Scenario::Fraud(None), &Options::default()).unwrap();
        assert_eq!(r.fraud_games.len(), g.setup.circuit.gates.len());
        assert!(r.ok, "{:#?}", r.failures);
        for f in &r.fraud_games {
            assert_eq!(
                f.first_inconsistent_step.as_deref(),
                Some(format!("disprove gate {}", f.lie_at_gate).as_str())
            );
        }
    }
}
