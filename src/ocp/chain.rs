//! A local chain: a UTXO set and a block height. Each accepted transaction is mined in a
//! new block; more blocks are mined on demand. It refuses double spends, missing inputs,
//! relative (BIP68) and absolute timelocks not yet reached, non-standard transactions, and
//! any input that Bitcoin Core's interpreter refuses.

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
    #[error(transparent)]
    Script(#[from] ScriptRejected),
}

#[derive(Clone, Debug)]
struct Coin {
    out: TxOut,
    height: u32,
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
    /// Inputs checked by libbitcoinconsensus so far, accepted or not.
    pub inputs_verified: usize,
    /// The interpreter's verdict on the last transaction put to the chain, even when it
    /// was refused for another reason (`None` if a spent output was unknown).
    pub last_script_check: Option<Result<(), ScriptRejected>>,
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
        let block = self.height + 1;
        let mut prevouts = Vec::with_capacity(tx.input.len());
        // The first reason to refuse that is not the scripts: scripts are still checked
        // whenever every spent output is known, so the refusal can say whether they hold.
        let mut refuse = None;
        for (i, input) in tx.input.iter().enumerate() {
            let op = input.previous_output;
            let coin = match (self.utxos.get(&op), self.spent.get(&op)) {
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
        let txid = tx.compute_txid();
        for input in &tx.input {
            if let Some(c) = self.utxos.remove(&input.previous_output) {
                self.spent.insert(input.previous_output, (txid, c));
            }
        }
        for (vout, out) in tx.output.iter().enumerate() {
            self.utxos.insert(
                OutPoint {
                    txid,
                    vout: vout as u32,
                },
                Coin {
                    out: out.clone(),
                    height: block,
                },
            );
        }
        self.height = block;
        let vin: u64 = prevouts.iter().map(|o| o.value.to_sat()).sum();
        let vout: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
        Ok(Accepted {
            height: block,
            fee: vin - vout,
            inputs_verified: verified,
        })
    }
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
