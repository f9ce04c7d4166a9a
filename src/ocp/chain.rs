//! A local chain: a UTXO set, a block height and a market fee rate. Each accepted
//! transaction (or parent with its CPFP child) is mined in a new block; more blocks are
//! mined on demand. It refuses double spends, missing inputs, relative (BIP68) and
//! absolute timelocks not yet reached, non-standard transactions, packages that break
//! BIP431's TRUC topology, anything paying less than the market fee rate (it would wait in
//! the mempool), and any input that Bitcoin Core's interpreter refuses.

use std::collections::HashMap;

use bitcoin::{OutPoint, Transaction, TxOut, Txid};

use super::policy;
use super::verify::{verify_tx, ScriptRejected};

/// Why the chain refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    #[error("input {input} spends {outpoint}, which does not exist")]
    Missing { input: usize, outpoint: OutPoint },
    #[error("input {input} double-spends {outpoint}, already spent by {by}")]
    DoubleSpend {
        input: usize,
        outpoint: OutPoint,
        by: Txid,
    },
    #[error(
        "input {input} is timelocked until block {height} (BIP68); the chain is at block {tip}"
    )]
    RelativeTimelock { input: usize, height: u32, tip: u32 },
    #[error("locktime {lock} not reached at block {tip}")]
    AbsoluteTimelock { lock: u32, tip: u32 },
    #[error("non-standard: {}", .0.join("; "))]
    Policy(Vec<String>),
    #[error("TRUC (BIP431): {0}")]
    Truc(String),
    #[error("pays {fee} sats for {vsize} vB, below the market's {market} sat/vB: it would wait in the mempool; bump it with a CPFP child")]
    BelowMarket { fee: u64, vsize: u64, market: u64 },
    #[error(transparent)]
    Script(#[from] ScriptRejected),
}

#[derive(Clone, Debug)]
struct Coin {
    out: TxOut,
    height: u32,
    /// The version of the transaction that made it (3 for TRUC).
    version: i32,
}

/// What an accepted transaction cost.
#[derive(Clone, Copy, Debug)]
pub struct Accepted {
    pub height: u32,
    pub fee: u64,
    pub inputs_verified: usize,
}

#[derive(Default)]
pub struct Chain {
    height: u32,
    utxos: HashMap<OutPoint, Coin>,
    spent: HashMap<OutPoint, (Txid, Coin)>,
    /// The lowest fee rate miners take, in sat/vB; 0 takes anything that relays.
    pub market_fee_rate: u64,
    /// Inputs checked by libbitcoinconsensus so far, accepted or not.
    pub inputs_verified: usize,
    /// The interpreter's verdict on the last transaction put to the chain, even when it
    /// was refused for another reason (`None` if a spent output was unknown).
    pub last_script_check: Option<Result<(), ScriptRejected>>,
}

/// A transaction checked for the next block, not yet mined.
struct Checked {
    txid: Txid,
    fee: u64,
    vsize: u64,
    inputs_verified: usize,
}

impl Chain {
    pub fn new() -> Chain {
        Chain::default()
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Creates a coin out of nothing (the synthetic funding of the game).
    pub fn fund(&mut self, outpoint: OutPoint, out: TxOut) {
        self.utxos.insert(
            outpoint,
            Coin {
                out,
                height: self.height,
                version: 2,
            },
        );
    }

    pub fn mine(&mut self, blocks: u32) {
        self.height += blocks;
    }

    pub fn utxo(&self, outpoint: &OutPoint) -> Option<&TxOut> {
        self.utxos.get(outpoint).map(|c| &c.out)
    }

    pub fn utxos(&self) -> impl Iterator<Item = (&OutPoint, &TxOut)> {
        self.utxos.iter().map(|(o, c)| (o, &c.out))
    }

    /// Checks `tx` for the next block; on success mines it in that block.
    pub fn broadcast(&mut self, tx: &Transaction) -> Result<Accepted, Reject> {
        self.submit(&[tx]).map(|a| a[0]).map_err(|(_, e)| e)
    }

    /// Checks a parent and its CPFP child as one package for the next block (Bitcoin
    /// Core's 1-parent-1-child package relay): the child may spend the parent's outputs,
    /// the TRUC rules apply, and the package's fee rate must reach the market's. On
    /// success mines both; on failure says which one was refused (0 or 1).
    pub fn broadcast_package(
        &mut self,
        parent: &Transaction,
        child: &Transaction,
    ) -> Result<[Accepted; 2], (usize, Reject)> {
        self.submit(&[parent, child]).map(|a| [a[0], a[1]])
    }

    fn submit(&mut self, txs: &[&Transaction]) -> Result<Vec<Accepted>, (usize, Reject)> {
        let block = self.height + 1;
        // Outputs of the package's earlier transactions: unconfirmed, mined in `block`.
        let mut pending: HashMap<OutPoint, Coin> = HashMap::new();
        let mut checked = Vec::new();
        for (k, tx) in txs.iter().enumerate() {
            let c = self.check(tx, &pending, block).map_err(|e| (k, e))?;
            for (vout, out) in tx.output.iter().enumerate() {
                pending.insert(
                    OutPoint {
                        txid: c.txid,
                        vout: vout as u32,
                    },
                    Coin {
                        out: out.clone(),
                        height: block,
                        version: tx.version.0,
                    },
                );
            }
            checked.push(c);
        }
        let fee: u64 = checked.iter().map(|c| c.fee).sum();
        let vsize: u64 = checked.iter().map(|c| c.vsize).sum();
        if fee < vsize * self.market_fee_rate {
            return Err((
                0,
                Reject::BelowMarket {
                    fee,
                    vsize,
                    market: self.market_fee_rate,
                },
            ));
        }
        // Mine the package.
        for (tx, c) in txs.iter().zip(&checked) {
            for input in &tx.input {
                if let Some(coin) = self.utxos.remove(&input.previous_output) {
                    self.spent.insert(input.previous_output, (c.txid, coin));
                } else if let Some(coin) = pending.remove(&input.previous_output) {
                    self.spent.insert(input.previous_output, (c.txid, coin));
                }
            }
        }
        for (o, coin) in pending {
            self.utxos.insert(o, coin);
        }
        self.height = block;
        Ok(checked
            .iter()
            .map(|c| Accepted {
                height: block,
                fee: c.fee,
                inputs_verified: c.inputs_verified,
            })
            .collect())
    }

    /// Checks one transaction of a package; `pending` holds the outputs of the
    /// package's earlier, unconfirmed transactions.
    fn check(
        &mut self,
        tx: &Transaction,
        pending: &HashMap<OutPoint, Coin>,
        block: u32,
    ) -> Result<Checked, Reject> {
        let mut prevouts = Vec::with_capacity(tx.input.len());
        // The first reason to refuse that is not the scripts: scripts are still checked
        // whenever every spent output is known, so the refusal can say whether they hold.
        let mut refuse = None;
        let mut unconfirmed_parents: Vec<(Txid, i32)> = Vec::new();
        for (i, input) in tx.input.iter().enumerate() {
            let op = input.previous_output;
            let coin = match (
                self.utxos.get(&op).or_else(|| pending.get(&op)),
                self.spent.get(&op),
            ) {
                (Some(c), _) => c,
                (None, Some((by, c))) => {
                    refuse.get_or_insert(Reject::DoubleSpend {
                        input: i,
                        outpoint: op,
                        by: *by,
                    });
                    c
                }
                (None, None) => {
                    self.last_script_check = None;
                    return Err(Reject::Missing {
                        input: i,
                        outpoint: op,
                    });
                }
            };
            if pending.contains_key(&op) && !unconfirmed_parents.iter().any(|(t, _)| *t == op.txid)
            {
                unconfirmed_parents.push((op.txid, coin.version));
            }
            if tx.version.0 >= 2 {
                match input.sequence.to_relative_lock_time() {
                    Some(bitcoin::relative::LockTime::Blocks(h)) => {
                        let need = coin.height + h.value() as u32;
                        if block < need {
                            refuse.get_or_insert(Reject::RelativeTimelock {
                                input: i,
                                height: need,
                                tip: self.height,
                            });
                        }
                    }
                    Some(bitcoin::relative::LockTime::Time(_)) => {
                        refuse.get_or_insert(Reject::Policy(vec![format!(
                            "input {i}: time-based relative locks are not simulated"
                        )]));
                    }
                    None => {}
                }
            }
            prevouts.push(coin.out.clone());
        }
        let lock = tx.lock_time.to_consensus_u32();
        if lock != 0 && tx.input.iter().any(|i| !i.sequence.is_final()) && lock >= block {
            refuse.get_or_insert(Reject::AbsoluteTimelock {
                lock,
                tip: self.height,
            });
        }
        let vsize = tx.weight().to_vbytes_ceil();
        if let Some(why) = truc_topology(tx.version.0, vsize, &unconfirmed_parents) {
            refuse.get_or_insert(Reject::Truc(why));
        }
        let scripts = verify_tx(tx, &prevouts);
        self.inputs_verified += super::verify::inputs_checked(&scripts);
        self.last_script_check = Some(scripts.clone().map(|_| ()));
        if let Some(r) = refuse {
            return Err(r);
        }
        let reasons = policy::check_tx(tx, &prevouts);
        if !reasons.is_empty() {
            return Err(Reject::Policy(reasons));
        }
        let verified = scripts?;
        let vin: u64 = prevouts.iter().map(|o| o.value.to_sat()).sum();
        let vout: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
        Ok(Checked {
            txid: tx.compute_txid(),
            fee: vin - vout,
            vsize,
            inputs_verified: verified,
        })
    }
}

/// BIP431's topology rules for a transaction of `version` and `vsize` whose unconfirmed
/// parents (txid, version) are given; `None` if it keeps them.
pub fn truc_topology(version: i32, vsize: u64, parents: &[(Txid, i32)]) -> Option<String> {
    let truc_parent = parents.iter().any(|(_, v)| *v == 3);
    if version == 3 {
        if parents.iter().any(|(_, v)| *v != 3) {
            return Some(
                "a version 3 transaction cannot spend an unconfirmed non-TRUC transaction".into(),
            );
        }
        if parents.len() > 1 {
            return Some(format!(
                "a version 3 transaction may have one unconfirmed parent, this one has {}",
                parents.len()
            ));
        }
        if !parents.is_empty() && vsize > policy::TRUC_CHILD_MAX_VSIZE {
            return Some(format!(
                "a version 3 child of an unconfirmed version 3 transaction may be {} vB at most, this one is {vsize} vB",
                policy::TRUC_CHILD_MAX_VSIZE
            ));
        }
    } else if truc_parent {
        return Some(
            "a non-TRUC transaction cannot spend an unconfirmed version 3 transaction".into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocp::script::{key_after_leaf, tests::keypair};
    use crate::ocp::sign::sign_single;
    use crate::ocp::taptree::{nums_key, TapTree};
    use bitcoin::hashes::Hash;
    use bitcoin::secp256k1::Secp256k1;
    use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
    use bitcoin::{absolute, transaction, Amount, Sequence, TxIn, Witness};

    /// A coin locked by `<6> CSV DROP <key> CHECKSIG`, and a signed spend of it.
    fn csv_coin_and_spend(sequence: u16) -> (OutPoint, TxOut, Transaction) {
        let secp = Secp256k1::new();
        let kp = keypair(3);
        let leaf = key_after_leaf(&kp.x_only_public_key().0, 6);
        let tree = TapTree::from_scripts(&secp, nums_key(), std::slice::from_ref(&leaf));
        let coin = TxOut {
            value: Amount::from_sat(50_000),
            script_pubkey: tree.script_pubkey(),
        };
        let op = OutPoint {
            txid: Txid::from_byte_array([9; 32]),
            vout: 0,
        };
        let mut tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: op,
                sequence: Sequence::from_height(sequence),
                ..Default::default()
            }],
            output: vec![TxOut {
                value: Amount::from_sat(49_000),
                script_pubkey: tree.script_pubkey(),
            }],
        };
        let h = SighashCache::new(&tx)
            .taproot_script_spend_signature_hash(
                0,
                &Prevouts::All(std::slice::from_ref(&coin)),
                tree.leaf_hash(0),
                TapSighashType::Default,
            )
            .unwrap();
        let sig = sign_single(
            &kp.secret_key(),
            &h.to_byte_array(),
            TapSighashType::Default,
            false,
        );
        let mut w = Witness::from_slice(&[sig]);
        w.push(leaf.as_bytes());
        w.push(tree.control_block(0).serialize());
        tx.input[0].witness = w;
        (op, coin, tx)
    }

    #[test]
    fn enforces_relative_timelocks_by_height_and_refuses_double_spends() {
        let (op, coin, tx) = csv_coin_and_spend(6);
        let mut chain = Chain::new();
        chain.fund(op, coin);
        chain.mine(4);
        assert!(matches!(
            chain.broadcast(&tx),
            Err(Reject::RelativeTimelock { height: 6, .. })
        ));
        // Refused as too early, but the scripts were still checked, and hold.
        assert_eq!(chain.last_script_check, Some(Ok(())));
        chain.mine(1);
        assert_eq!(chain.broadcast(&tx).unwrap().height, 6);
        assert!(matches!(
            chain.broadcast(&tx),
            Err(Reject::DoubleSpend { .. })
        ));
        assert_eq!(chain.inputs_verified, 3);
    }

    #[test]
    fn counts_only_the_inputs_the_interpreter_ran() {
        // Input 0 fails (nSequence below its CSV), so input 1 is never interpreted.
        let (op, coin, mut tx) = csv_coin_and_spend(5);
        let op2 = OutPoint {
            txid: Txid::from_byte_array([8; 32]),
            vout: 0,
        };
        tx.input.push(TxIn {
            previous_output: op2,
            ..Default::default()
        });
        let mut chain = Chain::new();
        chain.fund(op, coin.clone());
        chain.fund(op2, coin);
        chain.mine(10);
        match chain.broadcast(&tx) {
            Err(Reject::Script(e)) => assert_eq!((e.input, e.checked), (0, 1)),
            other => panic!("{other:?}"),
        }
        assert_eq!(chain.inputs_verified, 1);
    }

    #[test]
    fn refuses_missing_inputs_script_failures_and_non_standard_transactions() {
        let (op, coin, tx) = csv_coin_and_spend(6);
        assert!(matches!(
            Chain::new().broadcast(&tx),
            Err(Reject::Missing { .. })
        ));
        // nSequence below the script's CSV: BIP68 passes, the interpreter refuses it.
        let (op2, coin2, short) = csv_coin_and_spend(5);
        let mut chain = Chain::new();
        chain.fund(op2, coin2);
        chain.mine(10);
        assert!(matches!(chain.broadcast(&short), Err(Reject::Script(_))));
        // A dust output is refused by policy before the script is run.
        let mut dust = tx.clone();
        dust.output[0].value = Amount::from_sat(100);
        let mut chain = Chain::new();
        chain.fund(op, coin);
        chain.mine(10);
        match chain.broadcast(&dust) {
            Err(Reject::Policy(why)) => assert!(why[0].contains("dust"), "{why:?}"),
            other => panic!("{other:?}"),
        }
    }
}
