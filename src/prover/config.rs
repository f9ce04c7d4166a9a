//! The proof system's parameters: the field, the hash, FRI, and the security they give.
//!
//! KoalaBear (`p = 2^31 - 2^24 + 1`) with its degree-4 binomial extension for challenges,
//! Poseidon2 of width 16 for Merkle trees and for Fiat-Shamir, and FRI at rate 1/2. The
//! conjectured security (ethSTARK's conjecture, as Plonky3 reports it) is
//! `log_blowup * queries + query_pow_bits = 1 * 84 + 16 = 100` bits, the same as Ziren's
//! core proofs. The LogUp and out-of-domain rounds draw from the 124-bit extension field,
//! so their error (trace length over `|EF|`) stays far below 2^-100.

use p3_challenger::{CanObserve, DuplexChallenger};
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::extension::BinomialExtensionField;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_fri::{FriParameters, TwoAdicFriPcs};
use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear, Poseidon2KoalaBear};
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;

/// The base field.
pub type Val = KoalaBear;
/// The field challenges are drawn from.
pub type Challenge = BinomialExtensionField<Val, 4>;
type Perm = Poseidon2KoalaBear<16>;
type Hash = PaddingFreeSponge<Perm, 16, 8, 8>;
type Compress = TruncatedPermutation<Perm, 2, 8, 16>;
type ValMmcs =
    MerkleTreeMmcs<<Val as Field>::Packing, <Val as Field>::Packing, Hash, Compress, 2, 8>;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
type Challenger = DuplexChallenger<Val, Perm, 16, 8>;
type Dft = Radix2DitParallel<Val>;
type Pcs = TwoAdicFriPcs<Val, Dft, ValMmcs, ChallengeMmcs>;
/// The STARK configuration every zkm proof uses.
pub type Config = StarkConfig<Pcs, Challenge, Challenger>;

/// log2 of the FRI blowup: rate 1/2, so constraints have degree 3 at most.
pub const LOG_BLOWUP: usize = 1;
/// FRI queries.
pub const NUM_QUERIES: usize = 84;
/// Proof-of-work bits before the queries are drawn.
pub const QUERY_POW_BITS: usize = 16;
/// Conjectured security in bits: `LOG_BLOWUP * NUM_QUERIES + QUERY_POW_BITS`.
pub const CONJECTURED_SECURITY_BITS: usize = LOG_BLOWUP * NUM_QUERIES + QUERY_POW_BITS;
/// The highest constraint degree the blowup allows.
pub const MAX_CONSTRAINT_DEGREE: usize = (1 << LOG_BLOWUP) + 1;

/// Bytes absorbed into the Fiat-Shamir transcript before anything else, so that a proof
/// of one protocol version can never be read as another's.
pub const TRANSCRIPT_TAG: &[u8] = b"zkm-stark-v1";

/// The configuration, built the same way by the prover and the verifier.
pub fn config() -> Config {
    let perm = default_koalabear_poseidon2_16();
    let hash = Hash::new(perm.clone());
    let compress = Compress::new(perm.clone());
    let val_mmcs = ValMmcs::new(hash, compress, 0);
    let challenge_mmcs = ChallengeMmcs::new(val_mmcs.clone());
    let fri = FriParameters {
        log_blowup: LOG_BLOWUP,
        log_final_poly_len: 0,
        max_log_arity: 1,
        num_queries: NUM_QUERIES,
        batch_proof_of_work_bits: 0,
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: QUERY_POW_BITS,
        mmcs: challenge_mmcs,
    };
    let pcs = Pcs::new(Dft::default(), val_mmcs, fri);
    let mut challenger = Challenger::new(perm);
    for &b in TRANSCRIPT_TAG {
        challenger.observe(Val::from_u8(b));
    }
    Config::new(pcs, challenger)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_is_at_least_100_bits() {
        assert_eq!(CONJECTURED_SECURITY_BITS, 100);
        assert_eq!(MAX_CONSTRAINT_DEGREE, 3);
    }
}
