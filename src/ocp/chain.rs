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
    spent: HashMap<OutPoint, Txid>,
    /// Inputs checked by libbitcoinconsensus so far, accepted or not.
    pub inputs_verified: usize,
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
        for (i, input) in tx.input.iter().enumerate() {
            let op = input.previous_output;
            let coin = match self.utxos.get(&op) {
                Some(c) => c,
                None => {
                    return Err(match self.spent.get(&op) {
                        Some(by) => Reject::DoubleSpend {
                            input: i,
                            outpoint: op,
                            by: *by,
                        },
                        None => Reject::Missing {
                            input: i,
                            outpoint: op,
                        },
                    })
                }
            };
            if tx.version.0 >= 2 {
                if let Some(rel) = input.sequence.to_relative_lock_time() {
                    match rel {
                        bitcoin::relative::LockTime::Blocks(h) => {
                            let need = coin.height + h.value() as u32;
                            if block < need {
                                return Err(Reject::RelativeTimelock {
                                    input: i,
                                    height: need,
                                    tip: self.height,
                                });
                            }
                        }
                        bitcoin::relative::LockTime::Time(_) => {
                            return Err(Reject::Policy(vec![format!(
                                "input {i}: time-based relative locks are not simulated"
                            )]))
                        }
                    }
                }
            }
            prevouts.push(coin.out.clone());
        }
        let lock = tx.lock_time.to_consensus_u32();
        if lock != 0 && tx.input.iter().any(|i| !i.sequence.is_final()) && lock >= block {
            return Err(Reject::AbsoluteTimelock {
                lock,
                tip: self.height,
            });
        }
        let reasons = policy::check_tx(tx, &prevouts);
        if !reasons.is_empty() {
            return Err(Reject::Policy(reasons));
        }
        self.inputs_verified += tx.input.len();
        let verified = verify_tx(tx, &prevouts)?;
        let txid = tx.compute_txid();
        for input in &tx.input {
            self.utxos.remove(&input.previous_output);
            self.spent.insert(input.previous_output, txid);
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
