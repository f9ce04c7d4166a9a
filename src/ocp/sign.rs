//! Pre-signing the graph: every n-of-n input gets a BIP340 signature with the sighash flag
//! its role needs (SIGHASH_ALL; SINGLE|ANYONECANPAY for the challenge; SINGLE for the
//! disprove's forfeit input). With MuSig2 (BIP327) there are two rounds per input:
//! public nonces, then partial signatures, aggregated into one signature that is checked
//! against the aggregate key. With `checksigadd` each signer signs alone.
//!
//! Two ways to run it, which give the same signatures for the same nonces:
//! - [`sign_graph`]: every signer in one process (local testing);
//! - [`round_nonces`], [`round_partial`] and [`aggregate`]: each signer on its own, with
//!   only its own secret key, the rounds exchanged as files.

use std::collections::BTreeMap;

use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::secp256k1::{Message, SecretKey};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::{Transaction, TxOut};
use musig2::{
    AggNonce, BinaryEncoding, KeyAggContext, LiftedSignature, PartialSignature, PubNonce, SecNonce,
    SecNonceSpices,
};
use serde::{Deserialize, Serialize};

use super::graph::{musig_context, Graph, NofNMode, Spend};
use super::keys::{tagged, Keys};
use super::script::NofN;
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

/// One pre-signed input: `"<tx>:<input>"`, where it is, and the message signed.
pub struct Job {
    pub key: String,
    pub tx: usize,
    pub input: usize,
    pub msg: [u8; 32],
}

/// Every input the n signers pre-sign, in graph order.
pub fn jobs(g: &Graph) -> Result<Vec<Job>, OcpError> {
    let mut out = Vec::new();
    for (t, gtx) in g.txs.iter().enumerate() {
        for (i, s) in gtx.spends.iter().enumerate() {
            if s.presigned() {
                out.push(Job {
                    key: format!("{}:{i}", gtx.name),
                    tx: t,
                    input: i,
                    msg: input_sighash(&gtx.tx, &gtx.prevouts, i, s)?,
                });
            }
        }
    }
    Ok(out)
}

fn musig_err(what: &str, e: &dyn std::fmt::Display) -> OcpError {
    OcpError::Data(format!("MuSig2 {what}: {e}"))
}

fn scalar(k: &SecretKey) -> Result<musig2::secp::Scalar, OcpError> {
    musig2::secp::Scalar::from_slice(&k.secret_bytes()).map_err(|e| musig_err("secret key", &e))
}

/// The 32 bytes a signer's secret nonce is built from: from the test seed (the session,
/// the signer and the message hashed in) for reproducible tests, else from the OS RNG.
fn nonce_seed(seed: Option<[u8; 32]>, session: &str, signer: usize, msg: &[u8; 32]) -> [u8; 32] {
    match seed {
        Some(s) => tagged(
            "zkm/ocp/nonce",
            &[&s, session.as_bytes(), &(signer as u32).to_be_bytes(), msg],
        ),
        None => bitcoin::secp256k1::rand::random(),
    }
}

/// Signer `i`'s secret nonce for `msg` (BIP327 NonceGen with every optional input).
fn secnonce(
    ctx: &KeyAggContext,
    i: usize,
    sk: musig2::secp::Scalar,
    seed: [u8; 32],
    msg: &[u8; 32],
) -> Result<SecNonce, OcpError> {
    let pk: musig2::secp::Point = ctx
        .get_pubkey(i)
        .ok_or_else(|| OcpError::Data(format!("signer {i} is not in the n-of-n")))?;
    if sk.base_point_mul() != pk {
        return Err(OcpError::Data(format!(
            "the secret key is not signer {i}'s: its public key is not graph.json's signers[{i}]"
        )));
    }
    let agg: musig2::secp::Point = ctx.aggregated_pubkey();
    Ok(SecNonce::build_with_pubkey(seed, pk)
        .with_aggregated_pubkey(agg)
        .with_extra_input(&(i as u32).to_be_bytes())
        .with_spices(SecNonceSpices::new().with_seckey(sk).with_message(msg))
        .build())
}

/// Aggregates partial signatures and checks the result against the aggregate key.
fn finish_musig(
    g: &Graph,
    ctx: &KeyAggContext,
    agg: &AggNonce,
    partials: Vec<PartialSignature>,
    msg: &[u8; 32],
    key: &str,
) -> Result<[u8; 64], OcpError> {
    let sig: LiftedSignature = musig2::aggregate_partial_signatures(ctx, agg, partials, msg)
        .map_err(|e| musig_err(&format!("aggregation for {key}"), &e))?;
    let bytes = sig.serialize();
    let NofN::Musig2(xonly) = &g.nofn else {
        return Err(OcpError::Data("the graph's n-of-n is not MuSig2".into()));
    };
    let s = bitcoin::secp256k1::schnorr::Signature::from_slice(&bytes)
        .map_err(|e| OcpError::Data(e.to_string()))?;
    bitcoin::key::Secp256k1::verification_only()
        .verify_schnorr(&s, &Message::from_digest(*msg), xonly)
        .map_err(|e| {
            OcpError::Data(format!(
                "MuSig2 signature for {key} does not verify against the aggregate key: {e}"
            ))
        })?;
    Ok(bytes)
}

/// One MuSig2 session among local signers, both rounds.
fn musig_sign(g: &Graph, keys: &Keys, msg: &[u8; 32], session: &str) -> Result<[u8; 64], OcpError> {
    let ctx = musig_context(&g.setup.keys.signers)?;
    let mut secs = Vec::new();
    for (i, k) in keys.signers.iter().enumerate() {
        let sk = scalar(k)?;
        secs.push((
            sk,
            secnonce(&ctx, i, sk, nonce_seed(keys.seed, session, i, msg), msg)?,
        ));
    }
    // Round 1: everyone's public nonce, summed.
    let agg = AggNonce::sum(secs.iter().map(|(_, n)| n.public_nonce()));
    // Round 2: partial signatures.
    let partials = secs
        .into_iter()
        .map(|(sk, n)| {
            musig2::sign_partial(&ctx, sk, n, &agg, msg).map_err(|e| musig_err("round 2", &e))
        })
        .collect::<Result<Vec<PartialSignature>, _>>()?;
    finish_musig(g, &ctx, &agg, partials, msg, session)
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
        NofNMode::Musig2 => vec![with_flag(
            musig_sign(g, keys, &msg, &format!("{session}:{i}"))?,
            spend.sighash,
        )],
        NofNMode::Checksigadd => keys
            .signers
            .iter()
            .map(|k| sign_single(k, &msg, spend.sighash, false))
            .collect(),
    })
}

fn txids(g: &Graph) -> BTreeMap<String, String> {
    g.txs
        .iter()
        .map(|t| (t.name.clone(), t.txid().to_string()))
        .collect()
}

/// Pre-signs every n-of-n input of the graph with every signer in this process.
/// `progress(done, total)` is called per input.
pub fn sign_graph(
    g: &Graph,
    keys: &Keys,
    mut progress: impl FnMut(usize, usize),
) -> Result<Signatures, OcpError> {
    if keys.public() != g.setup.keys {
        return Err(OcpError::Data("the secret keys do not match graph.json's public keys; sign with the keys the graph was set up with".into()));
    }
    let todo = jobs(g)?;
    let mut out = Signatures {
        mode: Some(g.setup.params.n_of_n),
        txids: txids(g),
        ..Default::default()
    };
    for (n, job) in todo.iter().enumerate() {
        let gtx = &g.txs[job.tx];
        let sigs = sign_nofn(
            g,
            keys,
            &gtx.tx,
            &gtx.prevouts,
            job.input,
            &gtx.spends[job.input],
            &gtx.name,
        )?;
        out.sessions += 1;
        out.signatures
            .insert(job.key.clone(), sigs.iter().map(hex::encode).collect());
        progress(n + 1, todo.len());
    }
    Ok(out)
}

// ---- The round flow: each signer with only its own key ----

pub const ROUND_FORMAT: &str = "zkm-ocp-round/1";

/// A signer's public nonces, one per pre-signed input (`rounds/nonces-I.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonceRound {
    pub format: String,
    pub graph_id: String,
    pub signer: usize,
    pub nonces: BTreeMap<String, String>,
}

/// A signer's secret nonces between its two rounds. Kept beside its key and deleted by
/// the partial round: a secret nonce used for two different signing sessions gives away
/// the key.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretNonces {
    pub graph_id: String,
    pub signer: usize,
    pub nonces: BTreeMap<String, String>,
}

/// A signer's partial signatures (MuSig2) or full signatures (checksigadd), one per
/// pre-signed input (`rounds/partial-I.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialRound {
    pub format: String,
    pub graph_id: String,
    pub signer: usize,
    /// The aggregate nonce each partial signature is for (MuSig2), to catch signers who
    /// saw different nonces.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agg_nonces: BTreeMap<String, String>,
    pub signatures: BTreeMap<String, String>,
}

fn check_round(
    g: &Graph,
    what: &str,
    graph_id: &str,
    format: Option<&str>,
) -> Result<(), OcpError> {
    if format.is_some_and(|f| f != ROUND_FORMAT) {
        return Err(OcpError::Data(format!("{what}: unknown format")));
    }
    if graph_id != hex::encode(g.id) {
        return Err(OcpError::Data(format!(
            "{what} is for another graph (graph_id differs); every signer must sign the graph in this directory"
        )));
    }
    Ok(())
}

fn signer_secret(g: &Graph, signer: usize, secret: &SecretKey) -> Result<(), OcpError> {
    let secp = bitcoin::key::Secp256k1::new();
    match g.setup.keys.signers.get(signer) {
        Some(k) if *k == secret.public_key(&secp) => Ok(()),
        Some(_) => Err(OcpError::Data(format!(
            "this secret key is not signer {signer}'s (graph.json's signers[{signer}] is another key); give --signer the index of your own key"
        ))),
        None => Err(OcpError::Usage(format!(
            "--signer {signer}: the graph has {} signers (0 to {})",
            g.setup.keys.signers.len(),
            g.setup.keys.signers.len() - 1
        ))),
    }
}

/// Round 1 for signer `signer`: a fresh secret nonce per pre-signed input; returns the
/// public nonces to share and the secret ones to keep until round 2.
pub fn round_nonces(
    g: &Graph,
    signer: usize,
    secret: &SecretKey,
    seed: Option<[u8; 32]>,
) -> Result<(NonceRound, SecretNonces), OcpError> {
    signer_secret(g, signer, secret)?;
    if g.setup.params.n_of_n != NofNMode::Musig2 {
        return Err(OcpError::Usage(
            "with --n-of-n checksigadd each signer signs alone: there is no nonce round; run --round partial".into(),
        ));
    }
    let ctx = musig_context(&g.setup.keys.signers)?;
    let sk = scalar(secret)?;
    let id = hex::encode(g.id);
    let (mut public, mut secrets) = (BTreeMap::new(), BTreeMap::new());
    for job in jobs(g)? {
        let session = format!("{}:{}", g.txs[job.tx].name, job.input);
        let n = secnonce(
            &ctx,
            signer,
            sk,
            nonce_seed(seed, &session, signer, &job.msg),
            &job.msg,
        )?;
        public.insert(job.key.clone(), hex::encode(n.public_nonce().to_bytes()));
        secrets.insert(job.key, hex::encode(n.to_bytes()));
    }
    Ok((
        NonceRound {
            format: ROUND_FORMAT.into(),
            graph_id: id.clone(),
            signer,
            nonces: public,
        },
        SecretNonces {
            graph_id: id,
            signer,
            nonces: secrets,
        },
    ))
}

fn decode<T: BinaryEncoding>(what: &str, key: &str, hexs: &str) -> Result<T, OcpError> {
    let bytes = hex::decode(hexs).map_err(|e| OcpError::Data(format!("{what} {key}: {e}")))?;
    T::from_bytes(&bytes).map_err(|e| OcpError::Data(format!("{what} {key}: {e}")))
}

/// One round file per signer, in signer order: refuses a duplicate, an out-of-range
/// signer, a file of another graph, and a missing signer (naming the command it owes).
fn by_signer<'r, T>(
    g: &Graph,
    rounds: &'r [T],
    what: &str,
    round: &str,
    meta: impl Fn(&T) -> (usize, &str, &str),
) -> Result<Vec<&'r T>, OcpError> {
    let n = g.setup.keys.signers.len();
    let mut slots: Vec<Option<&T>> = vec![None; n];
    for r in rounds {
        let (signer, graph_id, format) = meta(r);
        check_round(
            g,
            &format!("{what} of signer {signer}"),
            graph_id,
            Some(format),
        )?;
        match slots.get_mut(signer) {
            Some(slot @ None) => *slot = Some(r),
            Some(Some(_)) => {
                return Err(OcpError::Data(format!(
                    "two {what} files for signer {signer}"
                )))
            }
            None => {
                return Err(OcpError::Data(format!(
                    "{what} for signer {signer}, but the graph has {n} signers"
                )))
            }
        }
    }
    if let Some(missing) = slots.iter().position(Option::is_none) {
        return Err(OcpError::Missing {
            path: format!("rounds/{round}-{missing}.json"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, format!("no {what}")),
            hint: format!(
                "every signer runs `zkm challenge sign DIR --signer I --round {round}`; signer {missing} has not"
            ),
        });
    }
    Ok(slots.into_iter().flatten().collect())
}

/// The aggregate nonce of every input, from every signer's round-1 file.
fn agg_nonces(g: &Graph, nonces: &[NonceRound]) -> Result<BTreeMap<String, AggNonce>, OcpError> {
    let by_signer = by_signer(g, nonces, "nonces", "nonces", |r| {
        (r.signer, &r.graph_id, &r.format)
    })?;
    let mut out = BTreeMap::new();
    for job in jobs(g)? {
        let ns = by_signer
            .iter()
            .map(|r| {
                let h = r.nonces.get(&job.key).ok_or_else(|| {
                    OcpError::Data(format!("signer {} gave no nonce for {}", r.signer, job.key))
                })?;
                decode::<PubNonce>("public nonce", &job.key, h)
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(job.key, AggNonce::sum(ns));
    }
    Ok(out)
}

/// Round 2 for signer `signer`: partial signatures with the secret nonces of round 1
/// (consumed: the caller deletes them) over everyone's public nonces. With checksigadd,
/// the signer's own signatures, and no nonces.
pub fn round_partial(
    g: &Graph,
    signer: usize,
    secret: &SecretKey,
    secret_nonces: Option<SecretNonces>,
    nonces: &[NonceRound],
) -> Result<PartialRound, OcpError> {
    signer_secret(g, signer, secret)?;
    let id = hex::encode(g.id);
    let mut out = PartialRound {
        format: ROUND_FORMAT.into(),
        graph_id: id,
        signer,
        agg_nonces: BTreeMap::new(),
        signatures: BTreeMap::new(),
    };
    if g.setup.params.n_of_n == NofNMode::Checksigadd {
        for job in jobs(g)? {
            let s = &g.txs[job.tx].spends[job.input];
            out.signatures.insert(
                job.key,
                hex::encode(sign_single(secret, &job.msg, s.sighash, false)),
            );
        }
        return Ok(out);
    }
    let secrets = secret_nonces.ok_or_else(|| OcpError::Missing {
        path: format!("signer {signer}'s secret nonces, beside its key file"),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no secret nonces"),
        hint: "run `--round nonces` first; secret nonces are used once, so after a partial round run both rounds again".into(),
    })?;
    check_round(g, "the secret nonces", &secrets.graph_id, None)?;
    if secrets.signer != signer {
        return Err(OcpError::Data(format!(
            "the secret nonces are signer {}'s, not signer {signer}'s",
            secrets.signer
        )));
    }
    let mine = nonces.iter().find(|r| r.signer == signer);
    let aggs = agg_nonces(g, nonces)?;
    let ctx = musig_context(&g.setup.keys.signers)?;
    let sk = scalar(secret)?;
    for job in jobs(g)? {
        let sec: SecNonce = decode(
            "secret nonce",
            &job.key,
            secrets.nonces.get(&job.key).ok_or_else(|| {
                OcpError::Data(format!(
                    "no secret nonce for {}; run --round nonces again",
                    job.key
                ))
            })?,
        )?;
        // My nonce in the exchange must be the one I made: else someone swapped it.
        if mine.and_then(|r| r.nonces.get(&job.key))
            != Some(&hex::encode(sec.public_nonce().to_bytes()))
        {
            return Err(OcpError::Data(format!(
                "the public nonce shared for signer {signer} at {} is not this signer's; refusing to sign",
                job.key
            )));
        }
        let agg = &aggs[&job.key];
        let partial: PartialSignature = musig2::sign_partial(&ctx, sk, sec, agg, job.msg)
            .map_err(|e| musig_err(&format!("partial signature for {}", job.key), &e))?;
        out.agg_nonces
            .insert(job.key.clone(), hex::encode(agg.to_bytes()));
        out.signatures
            .insert(job.key, hex::encode(partial.serialize()));
    }
    Ok(out)
}

/// Aggregates every signer's round-2 file into the graph's signatures. Needs no secret:
/// anyone may run it. Each partial signature is verified, so a bad one names its signer.
pub fn aggregate(
    g: &Graph,
    nonces: &[NonceRound],
    partials: &[PartialRound],
) -> Result<Signatures, OcpError> {
    let rounds = by_signer(g, partials, "partial signatures", "partial", |r| {
        (r.signer, &r.graph_id, &r.format)
    })?;
    let todo = jobs(g)?;
    let mut out = Signatures {
        mode: Some(g.setup.params.n_of_n),
        txids: txids(g),
        ..Default::default()
    };
    let get = |r: &PartialRound, key: &str| -> Result<Vec<u8>, OcpError> {
        let h = r.signatures.get(key).ok_or_else(|| {
            OcpError::Data(format!("signer {} gave no signature for {key}", r.signer))
        })?;
        hex::decode(h).map_err(|e| OcpError::Data(format!("signer {}'s {key}: {e}", r.signer)))
    };
    match g.setup.params.n_of_n {
        NofNMode::Checksigadd => {
            let secp = bitcoin::key::Secp256k1::verification_only();
            for job in &todo {
                let spend = &g.txs[job.tx].spends[job.input];
                let mut sigs = Vec::new();
                for (i, r) in rounds.iter().enumerate() {
                    let s = get(r, &job.key)?;
                    let (x, _) = g.setup.keys.signers[i].x_only_public_key();
                    let ok = bitcoin::taproot::Signature::from_slice(&s)
                        .ok()
                        .filter(|sig| sig.sighash_type == spend.sighash)
                        .is_some_and(|sig| {
                            secp.verify_schnorr(&sig.signature, &Message::from_digest(job.msg), &x)
                                .is_ok()
                        });
                    if !ok {
                        return Err(OcpError::Data(format!(
                            "signer {i}'s signature for {} does not verify",
                            job.key
                        )));
                    }
                    sigs.push(hex::encode(s));
                }
                out.sessions += 1;
                out.signatures.insert(job.key.clone(), sigs);
            }
        }
        NofNMode::Musig2 => {
            let aggs = agg_nonces(g, nonces)?;
            let ctx = musig_context(&g.setup.keys.signers)?;
            let pubnonce = |i: usize, key: &str| -> Result<PubNonce, OcpError> {
                let r = nonces
                    .iter()
                    .find(|r| r.signer == i)
                    .expect("agg_nonces checked");
                decode("public nonce", key, &r.nonces[key])
            };
            for job in &todo {
                let agg = &aggs[&job.key];
                let mut parts = Vec::new();
                for (i, r) in rounds.iter().enumerate() {
                    if r.agg_nonces.get(&job.key) != Some(&hex::encode(agg.to_bytes())) {
                        return Err(OcpError::Data(format!(
                            "signer {i} signed {} over other nonces than the nonce files here; run both rounds again",
                            job.key
                        )));
                    }
                    let bytes = get(r, &job.key)?;
                    let part = PartialSignature::from_slice(&bytes).map_err(|e| {
                        OcpError::Data(format!(
                            "signer {i}'s partial signature for {}: {e}",
                            job.key
                        ))
                    })?;
                    let pk: musig2::secp::Point = ctx.get_pubkey(i).expect("n signers");
                    musig2::verify_partial(&ctx, part, agg, pk, &pubnonce(i, &job.key)?, job.msg)
                        .map_err(|e| {
                        OcpError::Data(format!(
                            "signer {i}'s partial signature for {} is invalid: {e}",
                            job.key
                        ))
                    })?;
                    parts.push(part);
                }
                let spend = &g.txs[job.tx].spends[job.input];
                let sig = finish_musig(g, &ctx, agg, parts, &job.msg, &job.key)?;
                out.sessions += 1;
                out.signatures.insert(
                    job.key.clone(),
                    vec![hex::encode(with_flag(sig, spend.sighash))],
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(mode: NofNMode) -> (Graph, Keys) {
        let keys = Keys::from_seed([9; 32], 3);
        let p = crate::ocp::game::tests::params_for(&["_", "5"], mode);
        let g =
            crate::ocp::store::new_setup(p, crate::ocp::builder::adder(4), &keys, true).unwrap();
        (g, keys)
    }

    /// Every signer's two rounds, each with only its own key, then the aggregation.
    fn rounds(g: &Graph, keys: &Keys) -> Result<Signatures, OcpError> {
        let n = keys.signers.len();
        let mut public = Vec::new();
        let mut secret = Vec::new();
        if g.setup.params.n_of_n == NofNMode::Musig2 {
            for i in 0..n {
                let (p, s) = round_nonces(g, i, &keys.signers[i], keys.seed)?;
                public.push(p);
                secret.push(Some(s));
            }
        } else {
            secret = vec![None; n];
        }
        let partials = (0..n)
            .map(|i| round_partial(g, i, &keys.signers[i], secret[i].take(), &public))
            .collect::<Result<Vec<_>, _>>()?;
        aggregate(g, &public, &partials)
    }

    #[test]
    fn three_signers_with_their_own_keys_sign_exactly_what_one_process_signs() {
        for mode in [NofNMode::Musig2, NofNMode::Checksigadd] {
            let (g, keys) = graph(mode);
            let one = sign_graph(&g, &keys, |_, _| {}).unwrap();
            let three = rounds(&g, &keys).unwrap();
            // Seeded nonces are the same in both flows, so the signatures are identical.
            assert_eq!(
                serde_json::to_string(&one).unwrap(),
                serde_json::to_string(&three).unwrap(),
                "{mode:?}"
            );
            assert_eq!(three.sessions, jobs(&g).unwrap().len());
        }
    }

    #[test]
    fn the_rounds_refuse_what_would_leak_a_key_or_sign_the_wrong_graph() {
        let (g, keys) = graph(NofNMode::Musig2);
        let nonces: Vec<(NonceRound, SecretNonces)> = (0..3)
            .map(|i| round_nonces(&g, i, &keys.signers[i], keys.seed).unwrap())
            .collect();
        let public: Vec<NonceRound> = nonces.iter().map(|(p, _)| p.clone()).collect();
        let secret = |i: usize| Some(nonces[i].1.clone());
        let err = |r: Result<PartialRound, OcpError>| r.expect_err("refused").to_string();
        // Another signer's key, or an index out of range.
        assert!(
            err(round_partial(&g, 0, &keys.signers[1], secret(0), &public))
                .contains("not signer 0's")
        );
        assert!(round_nonces(&g, 3, &keys.signers[0], None).is_err());
        // A missing nonce file, a second partial round without new nonces.
        assert!(err(round_partial(
            &g,
            0,
            &keys.signers[0],
            secret(0),
            &public[..2]
        ))
        .contains("signer 2 has not"));
        assert!(
            err(round_partial(&g, 0, &keys.signers[0], None, &public)).contains("--round nonces")
        );
        // My own public nonce swapped in the exchange: refuse rather than sign.
        let mut swapped = public.clone();
        swapped[0].nonces = public[1].nonces.clone();
        assert!(
            err(round_partial(&g, 0, &keys.signers[0], secret(0), &swapped))
                .contains("not this signer's")
        );
        // Rounds of another graph.
        let mut other = public.clone();
        other[2].graph_id = hex::encode([0u8; 32]);
        assert!(
            err(round_partial(&g, 0, &keys.signers[0], secret(0), &other))
                .contains("another graph")
        );
        // A partial signature that does not verify names its signer.
        let mut partials: Vec<PartialRound> = (0..3)
            .map(|i| round_partial(&g, i, &keys.signers[i], secret(i), &public).unwrap())
            .collect();
        assert!(aggregate(&g, &public, &partials).is_ok());
        let k = partials[1].signatures.keys().next().unwrap().clone();
        let mut bytes = hex::decode(&partials[1].signatures[&k]).unwrap();
        bytes[31] ^= 1;
        partials[1].signatures.insert(k.clone(), hex::encode(bytes));
        let e = aggregate(&g, &public, &partials).err().unwrap().to_string();
        assert!(
            e.contains("signer 1's partial signature") && e.contains("invalid"),
            "{e}"
        );
        // Fewer partial rounds than signers.
        let e = aggregate(&g, &public, &partials[..2])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("signer 2 has not"), "{e}");
    }
}
