//! Every input checked by Bitcoin Core 26.0's own script interpreter (libbitcoinconsensus
//! `=0.106.0+26.0`), with the taproot flags and all spent outputs.

use bitcoin::{consensus, Transaction, TxOut};

/// The flags used for every check: all pre-taproot soft forks plus BIP341/342.
pub const FLAGS: u32 = bitcoinconsensus::VERIFY_ALL_PRE_TAPROOT | bitcoinconsensus::VERIFY_TAPROOT;

/// Why libbitcoinconsensus refused an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("input {input}: Bitcoin Core's script interpreter refused it ({reason})")]
pub struct ScriptRejected {
    pub input: usize,
    pub reason: String,
    /// How many inputs the interpreter ran, the refused one included (it stops there).
    pub checked: usize,
}

/// Verifies one input of `tx`, which spends `prevouts` (one per input, in order).
pub fn verify_input(
    tx: &Transaction,
    prevouts: &[TxOut],
    input: usize,
) -> Result<(), ScriptRejected> {
    verify_input_bytes(&consensus::serialize(tx), prevouts, input)
}

fn verify_input_bytes(
    bytes: &[u8],
    prevouts: &[TxOut],
    input: usize,
) -> Result<(), ScriptRejected> {
    let utxos: Vec<bitcoinconsensus::Utxo> = prevouts
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    let spent = prevouts.get(input).ok_or_else(|| ScriptRejected {
        input,
        reason: "no spent output given for this input".into(),
        checked: 0,
    })?;
    bitcoinconsensus::verify_with_flags(
        spent.script_pubkey.as_bytes(),
        spent.value.to_sat(),
        bytes,
        Some(&utxos),
        input,
        FLAGS,
    )
    .map_err(|e| ScriptRejected {
        input,
        reason: format!("{e:?}"),
        checked: 1,
    })
}

/// Verifies every input of `tx`; returns how many were checked.
pub fn verify_tx(tx: &Transaction, prevouts: &[TxOut]) -> Result<usize, ScriptRejected> {
    if prevouts.len() != tx.input.len() {
        return Err(ScriptRejected {
            input: prevouts.len().min(tx.input.len()),
            reason: format!(
                "{} inputs but {} spent outputs",
                tx.input.len(),
                prevouts.len()
            ),
            checked: 0,
        });
    }
    let bytes = consensus::serialize(tx);
    for i in 0..tx.input.len() {
        verify_input_bytes(&bytes, prevouts, i).map_err(|e| ScriptRejected {
            checked: i + e.checked,
            ..e
        })?;
    }
    Ok(tx.input.len())
}

/// How many inputs a [`verify_tx`] call ran through the interpreter.
pub fn inputs_checked(r: &Result<usize, ScriptRejected>) -> usize {
    match r {
        Ok(n) => *n,
        Err(e) => e.checked,
    }
}
