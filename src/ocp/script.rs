//! Tapscript leaves and the fragments they are made of. Each fragment is a function that
//! returns its script, next to a function that builds the witness items it consumes;
//! the tests run both through Bitcoin Core's interpreter.
//!
//! Witness items are listed bottom of the stack first, as in a transaction's witness, so
//! the item a script consumes first comes last.

use bitcoin::opcodes::all::*;
use bitcoin::script::Builder;
use bitcoin::{ScriptBuf, XOnlyPublicKey};

use super::bristol::GateKind;
use super::commit::{Preimage, WireCommitment, PREIMAGE_LEN};

/// Joins script fragments.
pub fn cat(parts: &[ScriptBuf]) -> ScriptBuf {
    let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        bytes.extend_from_slice(p.as_bytes());
    }
    ScriptBuf::from_bytes(bytes)
}

/// How the n-of-n signers sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NofN {
    /// One MuSig2 aggregate key, one 64/65-byte signature.
    Musig2(XOnlyPublicKey),
    /// `<k1> CHECKSIG <k2> CHECKSIGADD … <n> NUMEQUAL`: n keys, n signatures.
    CheckSigAdd(Vec<XOnlyPublicKey>),
}

impl NofN {
    /// Checks the n-of-n signature(s); leaves true, or with `verify` nothing.
    pub fn script(&self, verify: bool) -> ScriptBuf {
        match self {
            NofN::Musig2(k) => checksig(k, verify),
            NofN::CheckSigAdd(keys) => {
                let mut b = Builder::new();
                for (i, k) in keys.iter().enumerate() {
                    b = b.push_x_only_key(k).push_opcode(if i == 0 {
                        OP_CHECKSIG
                    } else {
                        OP_CHECKSIGADD
                    });
                }
                b.push_int(keys.len() as i64)
                    .push_opcode(if verify {
                        OP_NUMEQUALVERIFY
                    } else {
                        OP_NUMEQUAL
                    })
                    .into_script()
            }
        }
    }

    /// Witness for [`NofN::script`]: one signature per key, in key order.
    pub fn witness(&self, sigs: &[Vec<u8>]) -> Vec<Vec<u8>> {
        sigs.iter().rev().cloned().collect()
    }

    /// Number of signatures the script takes.
    pub fn signatures(&self) -> usize {
        match self {
            NofN::Musig2(_) => 1,
            NofN::CheckSigAdd(k) => k.len(),
        }
    }
}

/// `<key> CHECKSIG[VERIFY]`; witness: one signature.
pub fn checksig(key: &XOnlyPublicKey, verify: bool) -> ScriptBuf {
    Builder::new()
        .push_x_only_key(key)
        .push_opcode(if verify {
            OP_CHECKSIGVERIFY
        } else {
            OP_CHECKSIG
        })
        .into_script()
}

/// `<blocks> CSV DROP`: the input's nSequence must be at least `blocks` (BIP68/112).
/// Consumes no witness.
pub fn csv(blocks: u16) -> ScriptBuf {
    Builder::new()
        .push_int(blocks as i64)
        .push_opcode(OP_CSV)
        .push_opcode(OP_DROP)
        .into_script()
}

/// `OP_SIZE 20 OP_EQUALVERIFY`: the item on top of the stack is exactly 20 bytes long,
/// and stays there. 4 bytes. Every opening goes through it first, so a commitment that is
/// the HASH160 of a longer (non-standard, over 80 bytes) preimage can never be opened.
pub fn size_is_20() -> ScriptBuf {
    Builder::new()
        .push_opcode(OP_SIZE)
        .push_int(PREIMAGE_LEN as i64)
        .push_opcode(OP_EQUALVERIFY)
        .into_script()
}

/// Checks one Lamport opening: `SIZE 20 EQUALVERIFY HASH160 DUP <H1> EQUAL`, then
/// `DUP ROT` to keep the bit or `SWAP` to drop it, then `<H0> EQUAL BOOLOR VERIFY`.
fn opening(c: &WireCommitment, keep: bool) -> ScriptBuf {
    let b = Builder::new()
        .push_opcode(OP_HASH160)
        .push_opcode(OP_DUP)
        .push_slice(c.hashes[1].to_byte_array())
        .push_opcode(OP_EQUAL);
    let b = if keep {
        b.push_opcode(OP_DUP).push_opcode(OP_ROT)
    } else {
        b.push_opcode(OP_SWAP)
    };
    let check = b
        .push_slice(c.hashes[0].to_byte_array())
        .push_opcode(OP_EQUAL)
        .push_opcode(OP_BOOLOR)
        .push_opcode(OP_VERIFY)
        .into_script();
    cat(&[size_is_20(), check])
}

/// Checks one Lamport opening and leaves the bit (1 or empty): 54 bytes, used by the
/// disprove leaves. Witness: [`commit_bit_witness`].
pub fn commit_bit(c: &WireCommitment) -> ScriptBuf {
    opening(c, true)
}

/// Checks one Lamport opening and keeps nothing: 53 bytes, used by the claim and the
/// Asserts. Witness: [`commit_bit_witness`].
pub fn commit_check(c: &WireCommitment) -> ScriptBuf {
    opening(c, false)
}

/// The witness of [`commit_bit`] and [`commit_check`]: the preimage.
pub fn commit_bit_witness(p: &Preimage) -> Vec<Vec<u8>> {
    vec![p.to_vec()]
}

use bitcoin::hashes::Hash;

/// Bytes of [`commit_check`] per wire.
pub const COMMIT_CHECK_BYTES: usize = 53;
/// Of which the length check [`size_is_20`] takes.
pub const SIZE_CHECK_BYTES: usize = 4;

/// Leaf `<n-of-n> CHECKSIG`.
pub fn nofn_leaf(nofn: &NofN) -> ScriptBuf {
    nofn.script(false)
}

/// Leaf `<blocks> CSV DROP <n-of-n> CHECKSIG`: a pre-signed spend after a relative timelock.
pub fn nofn_after_leaf(nofn: &NofN, blocks: u16) -> ScriptBuf {
    cat(&[csv(blocks), nofn.script(false)])
}

/// Leaf `<blocks> CSV DROP <key> CHECKSIG`: the challenger's timeout.
pub fn key_after_leaf(key: &XOnlyPublicKey, blocks: u16) -> ScriptBuf {
    cat(&[csv(blocks), checksig(key, false)])
}

/// An Assert leaf: the n-of-n signature, then one opening per wire, then `OP_TRUE`.
/// The operator cannot spend it without opening every wire of the batch.
pub fn assert_leaf(nofn: &NofN, wires: &[WireCommitment]) -> ScriptBuf {
    let mut parts = Vec::with_capacity(wires.len() + 2);
    parts.push(nofn.script(true));
    parts.extend(wires.iter().map(commit_check));
    parts.push(Builder::new().push_opcode(OP_PUSHNUM_1).into_script());
    cat(&parts)
}

/// Witness of [`assert_leaf`]: n-of-n signatures and the preimages in wire order.
pub fn assert_witness(nofn: &NofN, sigs: &[Vec<u8>], preimages: &[Preimage]) -> Vec<Vec<u8>> {
    let mut w: Vec<Vec<u8>> = preimages.iter().rev().map(|p| p.to_vec()).collect();
    w.extend(nofn.witness(sigs));
    w
}

/// The claim leaf of the deposit: the n-of-n signature, the operator's signature (only
/// the operator can claim), then one opening per claimed wire, then `OP_TRUE`.
pub fn claim_leaf(nofn: &NofN, operator: &XOnlyPublicKey, wires: &[WireCommitment]) -> ScriptBuf {
    let mut parts = Vec::with_capacity(wires.len() + 3);
    parts.push(nofn.script(true));
    parts.push(checksig(operator, true));
    parts.extend(wires.iter().map(commit_check));
    parts.push(Builder::new().push_opcode(OP_PUSHNUM_1).into_script());
    cat(&parts)
}

/// Witness of [`claim_leaf`]: the openings in wire order, the operator's signature, then
/// the n-of-n signatures (consumed first).
pub fn claim_witness(
    nofn: &NofN,
    sigs: &[Vec<u8>],
    operator_sig: Vec<u8>,
    preimages: &[Preimage],
) -> Vec<Vec<u8>> {
    let mut w: Vec<Vec<u8>> = preimages.iter().rev().map(|p| p.to_vec()).collect();
    w.push(operator_sig);
    w.extend(nofn.witness(sigs));
    w
}

/// An operand of a step: a constant (a public input or a claimed output) or a committed wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    Const(bool),
    Wire(WireCommitment),
}

/// One checked output bit of a step: `out == kind(ins)`. For EQ, `ins` is the constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub kind: GateKind,
    pub ins: Vec<Operand>,
    pub out: Operand,
}

impl Check {
    fn operands(&self) -> impl Iterator<Item = &Operand> {
        self.ins.iter().chain(std::iter::once(&self.out))
    }
}

/// `1` (true) if `out != kind(ins)`, from the opened operands: the heart of a disprove leaf.
fn check_fragment(check: &Check) -> ScriptBuf {
    let mut parts = Vec::new();
    let k = check.ins.len() + 1;
    for op in check.operands() {
        parts.push(match op {
            Operand::Const(v) => Builder::new().push_int(*v as i64).into_script(),
            Operand::Wire(c) => commit_bit(c),
        });
        parts.push(Builder::new().push_opcode(OP_TOALTSTACK).into_script());
    }
    // The operands come back first-operand-on-top: [out, in_n, …, in_1].
    let mut b = Builder::new();
    for _ in 0..k {
        b = b.push_opcode(OP_FROMALTSTACK);
    }
    b = match check.kind {
        GateKind::Xor => b.push_opcode(OP_NUMNOTEQUAL),
        GateKind::And | GateKind::Mand => b.push_opcode(OP_BOOLAND),
        GateKind::Inv => b.push_opcode(OP_NOT),
        GateKind::Eq | GateKind::Eqw => b,
    };
    parts.push(b.push_opcode(OP_NUMNOTEQUAL).into_script());
    cat(&parts)
}

/// A disprove leaf: every check of the step; it leaves true only if some output bit is
/// not what its gate computes from the opened inputs. It takes no signature: anyone who
/// reads the openings off the chain can spend it (in the pre-signed disprove transaction,
/// whose n-of-n input fixes where the forfeited funds go).
pub fn disprove_leaf(checks: &[Check]) -> ScriptBuf {
    let mut parts = Vec::new();
    for c in checks {
        parts.push(check_fragment(c));
        if checks.len() > 1 {
            parts.push(Builder::new().push_opcode(OP_TOALTSTACK).into_script());
        }
    }
    if checks.len() > 1 {
        let mut b = Builder::new().push_opcode(OP_FROMALTSTACK);
        for _ in 1..checks.len() {
            b = b.push_opcode(OP_FROMALTSTACK).push_opcode(OP_BOOLOR);
        }
        parts.push(b.into_script());
    }
    cat(&parts)
}

/// Witness of [`disprove_leaf`]: one preimage per committed operand, in check order
/// (inputs, then output). `open(c)` gives a wire's preimage.
pub fn disprove_witness(
    checks: &[Check],
    mut open: impl FnMut(&WireCommitment) -> Option<Preimage>,
) -> Option<Vec<Vec<u8>>> {
    let mut consumed = Vec::new();
    for c in checks {
        for op in c.operands() {
            if let Operand::Wire(w) = op {
                consumed.push(open(w)?.to_vec());
            }
        }
    }
    consumed.reverse();
    Some(consumed)
}

/// An equivocation leaf: `SIZE 20 EQUALVERIFY HASH160 <H0> EQUALVERIFY SIZE 20
/// EQUALVERIFY HASH160 <H1> EQUAL`: spendable by anyone with both openings of one wire.
pub fn equivocation_leaf(c: &WireCommitment) -> ScriptBuf {
    let hash_is = |h: &bitcoin::hashes::hash160::Hash, verify: bool| {
        Builder::new()
            .push_opcode(OP_HASH160)
            .push_slice(h.to_byte_array())
            .push_opcode(if verify { OP_EQUALVERIFY } else { OP_EQUAL })
            .into_script()
    };
    cat(&[
        size_is_20(),
        hash_is(&c.hashes[0], true),
        size_is_20(),
        hash_is(&c.hashes[1], false),
    ])
}

/// Witness of [`equivocation_leaf`].
pub fn equivocation_witness(p0: &Preimage, p1: &Preimage) -> Vec<Vec<u8>> {
    vec![p1.to_vec(), p0.to_vec()]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ocp::commit::LamportSecret;
    use crate::ocp::taptree::{nums_key, TapTree};
    use crate::ocp::verify::{verify_tx, ScriptRejected};
    use bitcoin::key::{Keypair, Secp256k1};
    use bitcoin::secp256k1::{Message, SecretKey};
    use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
    use bitcoin::{
        absolute, transaction, Amount, OutPoint, Sequence, Transaction, TxIn, TxOut, Witness,
    };

    pub fn keypair(b: u8) -> Keypair {
        Keypair::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[b; 32]).unwrap())
    }

    /// Spends a one-leaf output with `script`; `witness(sighash)` gives the items.
    pub fn run_leaf(
        script: &ScriptBuf,
        sequence: u16,
        witness: impl Fn(&[u8; 32]) -> Vec<Vec<u8>>,
    ) -> Result<usize, ScriptRejected> {
        let secp = Secp256k1::new();
        let tree = TapTree::from_scripts(&secp, nums_key(), std::slice::from_ref(script));
        let prevout = TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey: tree.script_pubkey(),
        };
        let mut tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                sequence: Sequence::from_height(sequence),
                ..Default::default()
            }],
            output: vec![TxOut {
                value: Amount::from_sat(9_000),
                script_pubkey: tree.script_pubkey(),
            }],
        };
        let sighash = SighashCache::new(&tx)
            .taproot_script_spend_signature_hash(
                0,
                &Prevouts::All(std::slice::from_ref(&prevout)),
                tree.leaf_hash(0),
                TapSighashType::Default,
            )
            .unwrap();
        let mut w = Witness::from_slice(&witness(&sighash.to_byte_array()));
        w.push(script.as_bytes());
        w.push(tree.control_block(0).serialize());
        tx.input[0].witness = w;
        verify_tx(&tx, &[prevout])
    }

    pub fn sign(kp: &Keypair, sighash: &[u8; 32]) -> Vec<u8> {
        Secp256k1::new()
            .sign_schnorr_no_aux_rand(&Message::from_digest(*sighash), kp)
            .serialize()
            .to_vec()
    }

    #[test]
    fn commit_bit_opens_only_to_the_committed_value() {
        let s = LamportSecret::new([3; 32]);
        let c = s.commitment(1);
        for v in [false, true] {
            let script = cat(&[
                commit_bit(&c),
                Builder::new()
                    .push_int(v as i64)
                    .push_opcode(OP_NUMEQUAL)
                    .into_script(),
            ]);
            let (good, bad) = (s.preimage(1, v), s.preimage(1, !v));
            assert!(
                run_leaf(&script, 0, |_| commit_bit_witness(&good)).is_ok(),
                "value {v}"
            );
            assert!(
                run_leaf(&script, 0, |_| commit_bit_witness(&bad)).is_err(),
                "other value {v}"
            );
            assert!(run_leaf(&script, 0, |_| vec![vec![0u8; 20]]).is_err());
        }
    }

    #[test]
    fn assert_leaf_needs_every_opening_and_the_signature() {
        let s = LamportSecret::new([4; 32]);
        let kp = keypair(9);
        let nofn = NofN::Musig2(kp.x_only_public_key().0);
        let wires: Vec<u32> = (10..40).collect();
        let cs: Vec<_> = wires.iter().map(|&w| s.commitment(w)).collect();
        let script = assert_leaf(&nofn, &cs);
        assert_eq!(script.len(), 34 + COMMIT_CHECK_BYTES * cs.len() + 1);
        let pre: Vec<_> = wires.iter().map(|&w| s.preimage(w, w % 3 == 0)).collect();
        assert!(run_leaf(&script, 0, |h| assert_witness(&nofn, &[sign(&kp, h)], &pre)).is_ok());
        let mut bad = pre.clone();
        bad[17][0] ^= 1;
        assert!(run_leaf(&script, 0, |h| assert_witness(&nofn, &[sign(&kp, h)], &bad)).is_err());
        assert!(run_leaf(&script, 0, |h| assert_witness(
            &nofn,
            &[sign(&keypair(8), h)],
            &pre
        ))
        .is_err());
        assert!(run_leaf(&script, 0, |h| assert_witness(
            &nofn,
            &[sign(&kp, h)],
            &pre[1..]
        ))
        .is_err());
    }

    #[test]
    fn checksigadd_needs_every_signer_in_order() {
        let kps: Vec<_> = (1..=3).map(keypair).collect();
        let nofn = NofN::CheckSigAdd(kps.iter().map(|k| k.x_only_public_key().0).collect());
        let script = nofn_leaf(&nofn);
        assert!(run_leaf(&script, 0, |h| nofn
            .witness(&kps.iter().map(|k| sign(k, h)).collect::<Vec<_>>()))
        .is_ok());
        assert!(run_leaf(&script, 0, |h| nofn
            .witness(&kps.iter().rev().map(|k| sign(k, h)).collect::<Vec<_>>()))
        .is_err());
        assert!(run_leaf(&script, 0, |h| nofn.witness(&[
            sign(&kps[0], h),
            sign(&kps[1], h),
            vec![]
        ]))
        .is_err());
    }

    #[test]
    fn timelocked_leaf_needs_the_sequence() {
        let kp = keypair(2);
        let script = key_after_leaf(&kp.x_only_public_key().0, 6);
        assert!(run_leaf(&script, 6, |h| vec![sign(&kp, h)]).is_ok());
        assert!(run_leaf(&script, 5, |h| vec![sign(&kp, h)]).is_err());
    }

    #[test]
    fn disprove_leaf_spends_only_when_the_gate_is_wrong() {
        let s = LamportSecret::new([5; 32]);
        let cases: &[(GateKind, usize)] = &[
            (GateKind::Xor, 2),
            (GateKind::And, 2),
            (GateKind::Inv, 1),
            (GateKind::Eqw, 1),
        ];
        for &(kind, arity) in cases {
            for bits in 0..(1u32 << (arity + 1)) {
                let ins: Vec<bool> = (0..arity).map(|i| bits >> i & 1 == 1).collect();
                let out = bits >> arity & 1 == 1;
                let wrong = out != crate::ocp::bristol::apply(kind, &ins);
                // Every operand committed, then the first input a public constant.
                for const_first in [false, true] {
                    let mut opened = Vec::new();
                    let mut ops = Vec::new();
                    for (i, &v) in ins.iter().enumerate() {
                        if const_first && i == 0 {
                            ops.push(Operand::Const(v));
                        } else {
                            ops.push(Operand::Wire(s.commitment(i as u32)));
                            opened.push((s.commitment(i as u32), s.preimage(i as u32, v)));
                        }
                    }
                    opened.push((s.commitment(99), s.preimage(99, out)));
                    let check = Check {
                        kind,
                        ins: ops,
                        out: Operand::Wire(s.commitment(99)),
                    };
                    let script = disprove_leaf(std::slice::from_ref(&check));
                    let got = run_leaf(&script, 0, |_| {
                        disprove_witness(std::slice::from_ref(&check), |c| {
                            opened.iter().find(|(cc, _)| cc == c).map(|(_, p)| *p)
                        })
                        .unwrap()
                    });
                    assert_eq!(
                        got.is_ok(),
                        wrong,
                        "{kind:?} ins {ins:?} out {out} const {const_first}: {got:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn multi_output_step_is_disproved_by_any_wrong_bit() {
        let s = LamportSecret::new([6; 32]);
        // Two ANDs (a MAND gate) and an EQ constant check against a claimed output.
        for wrong_at in [None, Some(0), Some(1), Some(2)] {
            let mut checks = Vec::new();
            let mut opened = Vec::new();
            for i in 0..2u32 {
                let (a, b) = (i == 0, true);
                let out = (a & b) ^ (wrong_at == Some(i as usize));
                let ws = [10 * i, 10 * i + 1, 10 * i + 2];
                for (w, v) in ws.iter().zip([a, b, out]) {
                    opened.push((s.commitment(*w), s.preimage(*w, v)));
                }
                checks.push(Check {
                    kind: GateKind::And,
                    ins: vec![
                        Operand::Wire(s.commitment(ws[0])),
                        Operand::Wire(s.commitment(ws[1])),
                    ],
                    out: Operand::Wire(s.commitment(ws[2])),
                });
            }
            checks.push(Check {
                kind: GateKind::Eq,
                ins: vec![Operand::Const(true)],
                out: Operand::Const(wrong_at != Some(2)),
            });
            let script = disprove_leaf(&checks);
            let got = run_leaf(&script, 0, |_| {
                disprove_witness(&checks, |c| {
                    opened.iter().find(|(cc, _)| cc == c).map(|(_, p)| *p)
                })
                .unwrap()
            });
            assert_eq!(got.is_ok(), wrong_at.is_some(), "{wrong_at:?}");
        }
    }

    #[test]
    fn equivocation_leaf_needs_both_openings() {
        let s = LamportSecret::new([8; 32]);
        let script = equivocation_leaf(&s.commitment(3));
        let (p0, p1) = (s.preimage(3, false), s.preimage(3, true));
        assert!(run_leaf(&script, 0, |_| equivocation_witness(&p0, &p1)).is_ok());
        assert!(run_leaf(&script, 0, |_| equivocation_witness(&p0, &p0)).is_err());
        assert!(run_leaf(&script, 0, |_| equivocation_witness(&p1, &p0)).is_err());
    }

    /// The check before the length check was added: HASH160 of whatever item is given.
    fn unchecked_length(c: &WireCommitment) -> ScriptBuf {
        ScriptBuf::from_bytes(commit_check(c).as_bytes()[SIZE_CHECK_BYTES..].to_vec())
    }

    #[test]
    fn an_opening_behind_a_long_preimage_is_refused() {
        // A dishonest operator commits value 1 of a wire behind a 100-byte preimage: the
        // Assert and the only disprove that reads it would be consensus-valid but
        // non-standard (stack items over 80 bytes), so nobody could relay the dispute.
        let long = [7u8; 100];
        let c = WireCommitment {
            hashes: [
                bitcoin::hashes::hash160::Hash::hash(&[1u8; 20]),
                bitcoin::hashes::hash160::Hash::hash(&long),
            ],
        };
        let with_true = |check: ScriptBuf| {
            cat(&[
                check,
                Builder::new().push_opcode(OP_PUSHNUM_1).into_script(),
            ])
        };
        // Before: accepted by consensus.
        assert!(run_leaf(&with_true(unchecked_length(&c)), 0, |_| vec![long.to_vec()]).is_ok());
        // Now: every opening must be exactly 20 bytes, in the Assert, the claim, the
        // disprove and the equivocation leaves alike.
        assert!(run_leaf(&with_true(commit_check(&c)), 0, |_| vec![long.to_vec()]).is_err());
        assert!(run_leaf(&with_true(commit_check(&c)), 0, |_| vec![vec![1u8; 20]]).is_ok());
        let bit = cat(&[
            commit_bit(&c),
            Builder::new().push_opcode(OP_DROP).into_script(),
        ]);
        assert!(run_leaf(&with_true(bit.clone()), 0, |_| vec![long.to_vec()]).is_err());
        assert!(run_leaf(&with_true(bit), 0, |_| vec![vec![1u8; 20]]).is_ok());
        assert!(run_leaf(&equivocation_leaf(&c), 0, |_| vec![
            long.to_vec(),
            vec![1u8; 20]
        ])
        .is_err());
        // A 21-byte item is refused too, whatever it hashes to.
        let c21 = WireCommitment {
            hashes: [bitcoin::hashes::hash160::Hash::hash(&[2u8; 21]); 2],
        };
        assert!(run_leaf(&with_true(commit_check(&c21)), 0, |_| vec![vec![2u8; 21]]).is_err());
    }

    #[test]
    fn claim_leaf_needs_the_operator_and_every_opening() {
        let s = LamportSecret::new([4; 32]);
        let (nk, ok) = (keypair(9), keypair(10));
        let nofn = NofN::Musig2(nk.x_only_public_key().0);
        let wires: Vec<u32> = (0..12).collect();
        let cs: Vec<_> = wires.iter().map(|&w| s.commitment(w)).collect();
        let script = claim_leaf(&nofn, &ok.x_only_public_key().0, &cs);
        let pre: Vec<_> = wires.iter().map(|&w| s.preimage(w, w % 2 == 0)).collect();
        let run = |op: &Keypair, pre: &[Preimage]| {
            run_leaf(&script, 0, |h| {
                claim_witness(&nofn, &[sign(&nk, h)], sign(op, h), pre)
            })
        };
        assert!(run(&ok, &pre).is_ok());
        assert!(run(&keypair(11), &pre).is_err(), "another operator key");
        assert!(run(&ok, &pre[1..]).is_err(), "an opening missing");
        let mut bad = pre.clone();
        bad[5][3] ^= 1;
        assert!(run(&ok, &bad).is_err(), "a wrong preimage");
    }
}
