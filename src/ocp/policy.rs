//! Bitcoin Core's standardness policy, as far as this graph meets it (Core 26's rules, plus
//! BIP431's TRUC limits from Core 28 for version-3 transactions), and a lint for OP_SUCCESS
//! opcodes, which make a tapscript leaf spendable by anyone.

use bitcoin::opcodes::{Class, ClassifyContext};
use bitcoin::script::Instruction;
use bitcoin::{Script, Transaction, TxOut};

/// Largest standard transaction weight.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// Largest standard tapscript stack item (not counting the script and control block).
pub const MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE: usize = 80;
/// Tapscript's limit on the initial stack (consensus).
pub const MAX_STACK_SIZE: usize = 1000;
/// Bitcoin Core's default minimum relay fee, sat/vB.
pub const MIN_RELAY_FEE_RATE: u64 = 1;
/// BIP431: the largest TRUC (version 3) transaction, in vB.
pub const TRUC_MAX_VSIZE: u64 = 10_000;
/// BIP431: the largest TRUC transaction with an unconfirmed TRUC parent, in vB.
pub const TRUC_CHILD_MAX_VSIZE: u64 = 1_000;
/// Largest standard OP_RETURN output script (Core's default `-datacarriersize` plus 3).
pub const MAX_OP_RETURN_RELAY: usize = 83;

/// Why a leaf script is dangerous or unparseable; empty if fine.
pub fn lint_script(script: &Script) -> Vec<String> {
    let mut out = Vec::new();
    for ins in script.instruction_indices() {
        match ins {
            Err(e) => {
                out.push(format!("cannot be parsed: {e}"));
                break;
            }
            Ok((pos, Instruction::Op(op)))
                if op.classify(ClassifyContext::TapScript) == Class::SuccessOp =>
            {
                out.push(format!(
                    "{op:?} (an OP_SUCCESS) at byte {pos} makes the leaf anyone-can-spend"
                ));
            }
            Ok(_) => {}
        }
    }
    out
}

/// Why Bitcoin Core would not relay `tx` (spending `prevouts`); empty if standard.
pub fn check_tx(tx: &Transaction, prevouts: &[TxOut]) -> Vec<String> {
    let mut why = Vec::new();
    let weight = tx.weight().to_wu();
    if weight > MAX_STANDARD_TX_WEIGHT {
        why.push(format!(
            "tx-size: weight {weight} WU is over {MAX_STANDARD_TX_WEIGHT}"
        ));
    }
    if !(1..=3).contains(&tx.version.0) {
        why.push(format!("version: {} is not 1, 2 or 3", tx.version.0));
    }
    if tx.version.0 == 3 && tx.weight().to_vbytes_ceil() > TRUC_MAX_VSIZE {
        why.push(format!(
            "TRUC-violation: version 3 transaction of {} vB is over {TRUC_MAX_VSIZE}",
            tx.weight().to_vbytes_ceil()
        ));
    }
    let mut data_outputs = 0;
    for (i, o) in tx.output.iter().enumerate() {
        let spk = &o.script_pubkey;
        if spk.is_op_return() {
            data_outputs += 1;
            if spk.len() > MAX_OP_RETURN_RELAY {
                why.push(format!(
                    "output {i}: OP_RETURN of {} bytes is over {MAX_OP_RETURN_RELAY}",
                    spk.len()
                ));
            }
            if data_outputs > 1 {
                why.push("multi-op-return: more than one OP_RETURN output".into());
            }
        } else if !(spk.is_p2tr() || spk.is_p2wpkh() || spk.is_p2wsh()) {
            why.push(format!("output {i}: not a standard script type"));
        } else if o.value < o.script_pubkey.minimal_non_dust() {
            why.push(format!(
                "output {i}: dust ({} sats, needs {})",
                o.value.to_sat(),
                o.script_pubkey.minimal_non_dust().to_sat()
            ));
        }
    }
    let vin: u64 = prevouts.iter().map(|o| o.value.to_sat()).sum();
    let vout: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    let vsize = tx.weight().to_vbytes_ceil();
    if vin < vout {
        why.push(format!("bad-txns-in-belowout: {vin} sats in, {vout} out"));
    } else if vin - vout < vsize * MIN_RELAY_FEE_RATE {
        why.push(format!(
            "min relay fee not met: {} sats for {vsize} vB",
            vin - vout
        ));
    }
    for (i, input) in tx.input.iter().enumerate() {
        let w: Vec<&[u8]> = input.witness.iter().collect();
        if w.len() >= 2 && w[w.len() - 1].first() == Some(&0x50) {
            why.push(format!("input {i}: annex is non-standard"));
            continue;
        }
        if w.len() >= 2 {
            let control = w[w.len() - 1];
            let items = &w[..w.len() - 2];
            if control.first().map(|b| b & 0xfe) == Some(0xc0) {
                if let Some(big) = items
                    .iter()
                    .find(|it| it.len() > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE)
                {
                    why.push(format!("input {i}: tapscript stack item of {} bytes is over {MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE}", big.len()));
                }
                if items.len() > MAX_STACK_SIZE {
                    why.push(format!(
                        "input {i}: {} stack items is over {MAX_STACK_SIZE}",
                        items.len()
                    ));
                }
                for l in lint_script(Script::from_bytes(w[w.len() - 2])) {
                    why.push(format!("input {i}: leaf script {l}"));
                }
            }
        }
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::script::Builder;

    #[test]
    fn flags_heavy_transactions_big_stack_items_and_low_fees() {
        use bitcoin::{absolute, transaction, Amount, ScriptBuf, TxIn, Witness};
        let spk = ScriptBuf::new_p2tr(
            &bitcoin::key::Secp256k1::new(),
            crate::ocp::taptree::nums_key(),
            None,
        );
        let out = |v| TxOut {
            value: Amount::from_sat(v),
            script_pubkey: spk.clone(),
        };
        let leaf = Builder::new()
            .push_opcode(bitcoin::opcodes::OP_TRUE)
            .into_script();
        let control = [0xc0u8; 33].to_vec();
        let tx = |item: usize, outs: Vec<TxOut>| Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                witness: Witness::from_slice(&[vec![1u8; item], leaf.to_bytes(), control.clone()]),
                ..Default::default()
            }],
            output: outs,
        };
        let ok = tx(80, vec![out(10_000)]);
        assert_eq!(check_tx(&ok, &[out(20_000)]), Vec::<String>::new());
        let cases: Vec<(Transaction, u64, &str)> = vec![
            (tx(81, vec![out(10_000)]), 20_000, "stack item of 81 bytes"),
            (tx(80, vec![out(10_000)]), 10_050, "min relay fee"),
            (tx(80, vec![out(10_000)]), 9_000, "in-belowout"),
            (tx(80, vec![out(329)]), 20_000, "dust"),
            (tx(80, vec![out(10_000); 2400]), 50_000_000, "tx-size"),
        ];
        let mut truc = tx(80, vec![out(10_000); 240]);
        truc.version = transaction::Version(3);
        let mut cases = cases;
        cases.push((truc.clone(), 50_000_000, "TRUC-violation"));
        truc.output.truncate(200);
        assert_eq!(check_tx(&truc, &[out(50_000_000)]), Vec::<String>::new());
        let burn = |v| TxOut {
            value: Amount::from_sat(v),
            script_pubkey: ScriptBuf::new_op_return([0u8; 4]),
        };
        // A burn is standard at any value, but only once.
        assert_eq!(
            check_tx(&tx(80, vec![burn(0)]), &[out(20_000)]),
            Vec::<String>::new()
        );
        cases.push((tx(80, vec![burn(1), burn(1)]), 20_000, "multi-op-return"));
        for (t, vin, want) in cases {
            let why = check_tx(&t, &[out(vin)]);
            assert!(why.iter().any(|w| w.contains(want)), "{want}: {why:?}");
        }
    }

    #[test]
    fn lint_finds_op_success_but_not_inside_pushes() {
        let bad = Script::from_bytes(&[0x51, 0x50]); // OP_1 OP_RESERVED (OP_SUCCESS80 in tapscript)
        assert_eq!(lint_script(bad).len(), 1);
        let bad2 = Script::from_bytes(&[0xbb]); // OP_SUCCESS187
        assert_eq!(lint_script(bad2).len(), 1);
        let pushed = Builder::new()
            .push_slice([0x50u8, 0xbb, 0xfe])
            .into_script();
        assert!(lint_script(&pushed).is_empty());
        let truncated = Script::from_bytes(&[0x14, 0x01]);
        assert!(lint_script(truncated)[0].contains("cannot be parsed"));
        let kp = crate::ocp::script::tests::keypair(1);
        let leaf = crate::ocp::script::key_after_leaf(&kp.x_only_public_key().0, 10);
        assert!(lint_script(&leaf).is_empty());
    }
}
