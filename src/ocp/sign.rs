//! Pre-signing the graph: every n-of-n input gets a BIP340 signature with the sighash flag
//! its role needs (SIGHASH_ALL, or SINGLE|ANYONECANPAY for the challenge). With MuSig2
//! (BIP327) the local signers run the two nonce rounds for each input with fresh nonces;
//! with `checksigadd` each signer signs alone.

use std::collections::BTreeMap;

use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::secp256k1::{Message, SecretKey};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::{Transaction, TxOut};
use musig2::{FirstRound, LiftedSignature, PartialSignature, PubNonce, SecNonceSpices};
use serde::{Deserialize, Serialize};

use super::graph::{musig_context, Graph, NofNMode, Signer, Spend};
use super::keys::{tagged, Keys};
use super::OcpError;

/// The sighash of input `input` of `tx` under `spend`.
pub fn input_sighash(
    tx: &Transaction,
    prevouts: &[TxOut],
    input: usize,
    spend: &Spend,
) -> Result<[u8; 32], OcpError> {
    let mut cache = SighashCache::new(tx);
    let acp = matches!(
        spend.sighash,
        TapSighashType::AllPlusAnyoneCanPay
            | TapSighashType::NonePlusAnyoneCanPay
            | TapSighashType::SinglePlusAnyoneCanPay
    );
    if input >= prevouts.len() {
        return Err(OcpError::Data(format!("input {input} has no spent output")));
    }
    let prev = if acp {
        Prevouts::One(input, prevouts[input].clone())
    } else {
        Prevouts::All(prevouts)
    };
    let h = match spend.leaf_hash() {
        Some(lh) => cache.taproot_script_spend_signature_hash(input, &prev, lh, spend.sighash),
        None => cache.taproot_key_spend_signature_hash(input, &prev, spend.sighash),
    }
    .map_err(|e| OcpError::Data(format!("sighash of input {input}: {e}")))?;
    Ok(h.to_byte_array())
}

/// Adds the sighash byte unless it is SIGHASH_DEFAULT.
fn with_flag(sig: [u8; 64], ty: TapSighashType) -> Vec<u8> {
    let mut v = sig.to_vec();
    if ty != TapSighashType::Default {
        v.push(ty as u8);
    }
    v
}

/// A single-key BIP340 signature with deterministic auxiliary randomness.
pub fn sign_single(
    secret: &SecretKey,
    sighash: &[u8; 32],
    ty: TapSighashType,
    key_path_tweak: bool,
) -> Vec<u8> {
    let secp = bitcoin::key::Secp256k1::new();
    let mut kp = Keypair::from_secret_key(&secp, secret);
    if key_path_tweak {
        kp = kp.tap_tweak(&secp, None).to_keypair();
    }
    let aux = tagged("zkm/ocp/aux", &[&secret.secret_bytes(), sighash]);
    let sig = secp.sign_schnorr_with_aux_rand(&Message::from_digest(*sighash), &kp, &aux);
    with_flag(sig.serialize(), ty)
}

/// The n-of-n signatures of a graph, keyed `"<tx>:<input>"`, each a list in signer order
/// (one entry with MuSig2).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatures {
    pub mode: Option<NofNMode>,
    /// Graph txids the signatures are for, to catch a graph changed after signing.
    pub txids: BTreeMap<String, String>,
    pub signatures: BTreeMap<String, Vec<String>>,
    /// MuSig2 sessions run (one per pre-signed input), or single signatures made.
    pub sessions: usize,
}

impl Signatures {
    pub fn get(&self, tx: &str, input: usize) -> Result<Vec<Vec<u8>>, OcpError> {
        let key = format!("{tx}:{input}");
        let sigs = self.signatures.get(&key).ok_or_else(|| {
            OcpError::Data(format!(
                "no signature for {key}; run `zkm challenge sign DIR` first"
            ))
        })?;
        sigs.iter()
            .map(|s| hex::decode(s).map_err(|e| OcpError::Data(format!("signature {key}: {e}"))))
            .collect()
    }
}

/// One MuSig2 session among the local signers, with both nonce rounds.
fn musig_sign(
    g: &Graph,
    keys: &Keys,
    msg: &[u8; 32],
    session: &[u8],
) -> Result<[u8; 64], OcpError> {
    let err = |what: &str, e: &dyn std::fmt::Display| OcpError::Data(format!("MuSig2 {what}: {e}"));
    let ctx = musig_context(&g.setup.keys.signers)?;
    let scalars: Vec<musig2::secp::Scalar> = keys
        .signers
        .iter()
        .map(|k| {
            musig2::secp::Scalar::from_slice(&k.secret_bytes()).map_err(|e| err("secret key", &e))
        })
        .collect::<Result<_, _>>()?;
    let mut firsts = Vec::with_capacity(scalars.len());
    for (i, sk) in scalars.iter().enumerate() {
        // Fresh nonce per signer and input: from the seed for reproducible tests, else random.
        let seed: [u8; 32] = match keys.seed {
            Some(s) => tagged(
                "zkm/ocp/nonce",
                &[&s, session, &(i as u32).to_be_bytes(), msg],
            ),
            None => bitcoin::secp256k1::rand::random(),
        };
        let spices = SecNonceSpices::new().with_seckey(*sk).with_message(msg);
        firsts.push(FirstRound::new(ctx.clone(), seed, i, spices).map_err(|e| err("round 1", &e))?);
    }
    // Round 1: everyone publishes a public nonce.
    let nonces: Vec<PubNonce> = firsts.iter().map(|r| r.our_public_nonce()).collect();
    for (i, r) in firsts.iter_mut().enumerate() {
        for (j, n) in nonces.iter().enumerate() {
            if i != j {
                r.receive_nonce(j, n.clone())
                    .map_err(|e| err("nonce exchange", &e))?;
            }
        }
    }
    // Round 2: partial signatures.
    let mut seconds = Vec::with_capacity(firsts.len());
    for (r, sk) in firsts.into_iter().zip(&scalars) {
        seconds.push(r.finalize(*sk, *msg).map_err(|e| err("round 2", &e))?);
    }
    let partials: Vec<PartialSignature> = seconds.iter().map(|s| s.our_signature()).collect();
    for (i, s) in seconds.iter_mut().enumerate() {
        for (j, p) in partials.iter().enumerate() {
            if i != j {
                s.receive_signature(j, *p)
                    .map_err(|e| err("partial signature", &e))?;
            }
        }
    }
    let mut last = None;
    for s in seconds {
        let sig: LiftedSignature = s.finalize().map_err(|e| err("aggregation", &e))?;
        let bytes = sig.serialize();
        if last.is_some_and(|l| l != bytes) {
            return Err(OcpError::Data(
                "MuSig2 signers aggregated different signatures".into(),
            ));
        }
        last = Some(bytes);
    }
    last.ok_or_else(|| OcpError::Data("no signers".into()))
}

/// The n-of-n's witness signatures for input `i` of `tx` (a graph transaction, or a copy
/// the simulation changed), checked against the aggregate key for MuSig2. `session` names
/// the signing session (the nonces of a seeded run depend on it).
pub fn sign_nofn(
    g: &Graph,
    keys: &Keys,
    tx: &Transaction,
    prevouts: &[TxOut],
    i: usize,
    spend: &Spend,
    session: &str,
) -> Result<Vec<Vec<u8>>, OcpError> {
    let msg = input_sighash(tx, prevouts, i, spend)?;
    Ok(match g.setup.params.n_of_n {
        NofNMode::Musig2 => {
            let sig = musig_sign(g, keys, &msg, format!("{session}:{i}").as_bytes())?;
            let xonly = match &g.nofn {
                super::script::NofN::Musig2(k) => *k,
                super::script::NofN::CheckSigAdd(_) => unreachable!("mode is musig2"),
            };
            let s = bitcoin::secp256k1::schnorr::Signature::from_slice(&sig)
                .map_err(|e| OcpError::Data(e.to_string()))?;
            bitcoin::key::Secp256k1::verification_only()
                .verify_schnorr(&s, &Message::from_digest(msg), &xonly)
                .map_err(|e| {
                    OcpError::Data(format!(
                        "MuSig2 signature for {session}:{i} does not verify: {e}"
                    ))
                })?;
            vec![with_flag(sig, spend.sighash)]
        }
        NofNMode::Checksigadd => keys
            .signers
            .iter()
            .map(|k| sign_single(k, &msg, spend.sighash, false))
            .collect(),
    })
}

/// Pre-signs every n-of-n input of the graph. `progress(done, total)` is called per input.
pub fn sign_graph(
    g: &Graph,
    keys: &Keys,
    mut progress: impl FnMut(usize, usize),
) -> Result<Signatures, OcpError> {
    if keys.public() != g.setup.keys {
        return Err(OcpError::Data("the secret keys do not match graph.json's public keys; sign with the keys the graph was set up with".into()));
    }
    let todo: Vec<(usize, usize)> = g
        .txs
        .iter()
        .enumerate()
        .flat_map(|(t, tx)| {
            tx.spends
                .iter()
                .enumerate()
                .filter(|(_, s)| matches!(s.signer, Signer::NofN | Signer::NofNAndOperator))
                .map(move |(i, _)| (t, i))
        })
        .collect();
    let mut out = Signatures {
        mode: Some(g.setup.params.n_of_n),
        ..Default::default()
    };
    for (n, &(t, i)) in todo.iter().enumerate() {
        let gtx = &g.txs[t];
        let sigs = sign_nofn(
            g,
            keys,
            &gtx.tx,
            &gtx.prevouts,
            i,
            &gtx.spends[i],
            &gtx.name,
        )?;
        out.sessions += 1;
        out.signatures.insert(
            format!("{}:{i}", gtx.name),
            sigs.iter().map(hex::encode).collect(),
        );
        progress(n + 1, todo.len());
    }
    for tx in &g.txs {
        out.txids.insert(tx.name.clone(), tx.txid().to_string());
    }
    Ok(out)
}
