//! The parties' keys: n signers, the operator, the challenger, the depositor (funder) and
//! the operator's Lamport seed. `--seed` derives them all deterministically (for local
//! testing only: anyone with the seed has every key); `--keys FILE` reads them as JSON.

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::key::{Keypair, Secp256k1};
use bitcoin::secp256k1::{PublicKey, SecretKey};
use bitcoin::XOnlyPublicKey;
use serde::{Deserialize, Serialize};

use super::OcpError;

/// Every secret of a local game.
#[derive(Clone)]
pub struct Keys {
    pub signers: Vec<SecretKey>,
    pub operator: SecretKey,
    pub challenger: SecretKey,
    pub funder: SecretKey,
    pub lamport_seed: [u8; 32],
    /// The seed they came from, if any; it also makes signing nonces reproducible.
    pub seed: Option<[u8; 32]>,
}

/// The JSON form of [`Keys`] (`--keys FILE` and `secrets.json`): hex strings.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    pub signers: Vec<String>,
    pub operator: String,
    pub challenger: String,
    pub funder: String,
    pub lamport_seed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
}

/// Public keys, as written in graph.json.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeys {
    pub signers: Vec<PublicKey>,
    pub operator: XOnlyPublicKey,
    pub challenger: XOnlyPublicKey,
    pub funder: XOnlyPublicKey,
}

/// SHA-256 of a domain tag and parts: the one derivation used for keys and nonces.
pub fn tagged(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut e = sha256::Hash::engine();
    e.input(tag.as_bytes());
    for p in parts {
        e.input(&(p.len() as u32).to_be_bytes());
        e.input(p);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

fn derive(seed: &[u8; 32], label: &str, index: u32) -> SecretKey {
    let mut counter = 0u32;
    loop {
        let h = tagged(
            "zkm/ocp/key",
            &[
                seed,
                label.as_bytes(),
                &index.to_be_bytes(),
                &counter.to_be_bytes(),
            ],
        );
        if let Ok(k) = SecretKey::from_slice(&h) {
            return k;
        }
        counter += 1;
    }
}

fn hex32(what: &str, s: &str) -> Result<[u8; 32], OcpError> {
    let bytes = hex::decode(s.trim())
        .map_err(|e| OcpError::Data(format!("{what}: `{s}` is not hex ({e})")))?;
    bytes
        .try_into()
        .map_err(|_| OcpError::Data(format!("{what}: expected 32 bytes (64 hex digits)")))
}

fn secret(what: &str, s: &str) -> Result<SecretKey, OcpError> {
    SecretKey::from_slice(&hex32(what, s)?)
        .map_err(|_| OcpError::Data(format!("{what}: not a valid secp256k1 secret key")))
}

impl Keys {
    pub fn from_seed(seed: [u8; 32], signers: usize) -> Keys {
        Keys {
            signers: (0..signers as u32)
                .map(|i| derive(&seed, "signer", i))
                .collect(),
            operator: derive(&seed, "operator", 0),
            challenger: derive(&seed, "challenger", 0),
            funder: derive(&seed, "funder", 0),
            lamport_seed: tagged("zkm/ocp/lamport-seed", &[&seed]),
            seed: Some(seed),
        }
    }

    /// Fresh random keys.
    pub fn random(signers: usize) -> Keys {
        let mut k = Keys::from_seed(bitcoin::secp256k1::rand::random(), signers);
        k.seed = None;
        k
    }

    /// Parses a seed given as hex (any length up to 32 bytes, hashed to 32 bytes).
    pub fn parse_seed(s: &str) -> Result<[u8; 32], OcpError> {
        let bytes = hex::decode(s.trim()).map_err(|e| {
            OcpError::Data(format!(
                "--seed: `{s}` is not hex ({e}); give e.g. --seed 01"
            ))
        })?;
        Ok(tagged("zkm/ocp/seed", &[&bytes]))
    }

    pub fn from_json(text: &str) -> Result<Keys, OcpError> {
        let f: KeysFile = serde_json::from_str(text).map_err(|e| {
            OcpError::Data(format!("keys file: {e}; expected {{\"signers\": [hex, …], \"operator\", \"challenger\", \"funder\", \"lamport_seed\"}} with 32-byte hex values"))
        })?;
        if f.signers.is_empty() {
            return Err(OcpError::Data(
                "keys file: `signers` is empty; give at least one signer key".into(),
            ));
        }
        let keys = Keys {
            signers: f
                .signers
                .iter()
                .enumerate()
                .map(|(i, s)| secret(&format!("signers[{i}]"), s))
                .collect::<Result<_, _>>()?,
            operator: secret("operator", &f.operator)?,
            challenger: secret("challenger", &f.challenger)?,
            funder: secret("funder", &f.funder)?,
            lamport_seed: hex32("lamport_seed", &f.lamport_seed)?,
            seed: f.seed.as_deref().map(|s| hex32("seed", s)).transpose()?,
        };
        // A seed makes the MuSig2 nonces deterministic: accept it only in a test file
        // whose every key it derives, never beside real keys.
        if let Some(seed) = keys.seed {
            let derived = Keys::from_seed(seed, keys.signers.len());
            if derived.public() != keys.public() || derived.lamport_seed != keys.lamport_seed {
                return Err(OcpError::Data(
                    "keys file: `seed` does not derive these keys; a seed makes the MuSig2 nonces deterministic (for reproducible tests only), so remove the `seed` field from a file of real keys".into(),
                ));
            }
        }
        Ok(keys)
    }

    pub fn to_json(&self) -> String {
        let h = |k: &SecretKey| hex::encode(k.secret_bytes());
        let f = KeysFile {
            signers: self.signers.iter().map(h).collect(),
            operator: h(&self.operator),
            challenger: h(&self.challenger),
            funder: h(&self.funder),
            lamport_seed: hex::encode(self.lamport_seed),
            seed: self.seed.map(hex::encode),
        };
        serde_json::to_string_pretty(&f).expect("keys serialize")
    }

    pub fn public(&self) -> PublicKeys {
        let secp = Secp256k1::new();
        let x = |k: &SecretKey| Keypair::from_secret_key(&secp, k).x_only_public_key().0;
        PublicKeys {
            signers: self.signers.iter().map(|k| k.public_key(&secp)).collect(),
            operator: x(&self.operator),
            challenger: x(&self.challenger),
            funder: x(&self.funder),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_beside_keys_it_does_not_derive_is_refused() {
        let mut real = Keys::random(3);
        // The seed's own keys load, with the seed (reproducible test nonces).
        let seeded = Keys::from_seed([1; 32], 3);
        assert_eq!(
            Keys::from_json(&seeded.to_json()).unwrap().seed,
            Some([1; 32])
        );
        // Real keys with a seed field would sign with nonces anyone holding it can derive.
        real.seed = Some([1; 32]);
        let Err(e) = Keys::from_json(&real.to_json()) else {
            panic!("real keys with a seed were accepted")
        };
        assert!(
            matches!(&e, OcpError::Data(m) if m.contains("`seed` does not derive")),
            "{e}"
        );
        real.seed = None;
        assert_eq!(Keys::from_json(&real.to_json()).unwrap().seed, None);
    }

    #[test]
    fn seed_gives_the_same_keys_and_json_round_trips() {
        let a = Keys::from_seed([1; 32], 3);
        let b = Keys::from_seed([1; 32], 3);
        assert_eq!(a.public(), b.public());
        assert_ne!(Keys::from_seed([2; 32], 3).public(), a.public());
        let back = Keys::from_json(&a.to_json()).unwrap();
        assert_eq!(back.public(), a.public());
        assert_eq!(back.lamport_seed, a.lamport_seed);
    }

    #[test]
    fn rejects_bad_keys_files() {
        let good = Keys::from_seed([1; 32], 2).to_json();
        for (text, want) in [
            ("{", "keys file"),
            (
                &good.replacen("\"operator\": \"", "\"operator\": \"zz", 1) as &str,
                "not hex",
            ),
            (
                &good.replacen("\"funder\": \"", "\"funder\": \"00", 1),
                "32 bytes",
            ),
            (
                r#"{"signers":[],"operator":"","challenger":"","funder":"","lamport_seed":""}"#,
                "empty",
            ),
        ] {
            let err = Keys::from_json(text).err().expect(want).to_string();
            assert!(err.contains(want), "{err}");
        }
        let zero = format!("{:064}", 0);
        let bad = good.replacen(
            &hex::encode(Keys::from_seed([1; 32], 2).operator.secret_bytes()),
            &zero,
            1,
        );
        assert!(Keys::from_json(&bad)
            .err()
            .unwrap()
            .to_string()
            .contains("not a valid"));
    }
}
