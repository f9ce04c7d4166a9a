//! A TapTree built over leaf hashes only, so a tree of hundreds of thousands of leaves
//! costs one hash per leaf and node and keeps no scripts. Leaves are paired level by level
//! in index order; a node without a partner moves up unchanged, so the depth is
//! `ceil(log2(leaves))`.

use bitcoin::key::{Secp256k1, TapTweak, XOnlyPublicKey};
use bitcoin::secp256k1::Verification;
use bitcoin::taproot::{ControlBlock, LeafVersion, TapLeafHash, TapNodeHash, TaprootMerkleBranch};
use bitcoin::{Script, ScriptBuf};

/// The BIP341 "nothing up my sleeve" point H: no one knows its discrete log, so an output
/// with this internal key can be spent only through its scripts.
pub const NUMS: &str = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0";

pub fn nums_key() -> XOnlyPublicKey {
    NUMS.parse().expect("BIP341 H is a valid x-only key")
}

/// A TapTree of tapscript leaves under an internal key.
#[derive(Clone, Debug)]
pub struct TapTree {
    pub internal_key: XOnlyPublicKey,
    /// `levels[0]` are the leaf hashes, the last level is the root.
    levels: Vec<Vec<TapNodeHash>>,
    pub output_key: bitcoin::key::TweakedPublicKey,
    parity: bitcoin::key::Parity,
}

impl TapTree {
    /// Builds the tree from leaf hashes (at least one).
    pub fn from_leaf_hashes<C: Verification>(
        secp: &Secp256k1<C>,
        internal_key: XOnlyPublicKey,
        leaves: Vec<TapLeafHash>,
    ) -> TapTree {
        assert!(!leaves.is_empty(), "a TapTree needs a leaf");
        let mut levels = vec![leaves
            .into_iter()
            .map(TapNodeHash::from)
            .collect::<Vec<_>>()];
        while levels.last().map_or(0, |l| l.len()) > 1 {
            let prev = levels.last().expect("non-empty");
            let next = prev
                .chunks(2)
                .map(|p| match p {
                    [a, b] => TapNodeHash::from_node_hashes(*a, *b),
                    [a] => *a,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            levels.push(next);
        }
        let root = levels.last().expect("non-empty")[0];
        let (output_key, parity) = internal_key.tap_tweak(secp, Some(root));
        TapTree {
            internal_key,
            levels,
            output_key,
            parity,
        }
    }

    /// Builds the tree from scripts.
    pub fn from_scripts<C: Verification>(
        secp: &Secp256k1<C>,
        internal_key: XOnlyPublicKey,
        scripts: &[ScriptBuf],
    ) -> TapTree {
        let leaves = scripts.iter().map(|s| leaf_hash(s)).collect();
        TapTree::from_leaf_hashes(secp, internal_key, leaves)
    }

    pub fn leaf_count(&self) -> usize {
        self.levels[0].len()
    }

    pub fn root(&self) -> TapNodeHash {
        self.levels.last().expect("non-empty")[0]
    }

    /// The largest number of hashes in a control block of this tree.
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    pub fn leaf_hash(&self, index: usize) -> TapLeafHash {
        TapLeafHash::from_byte_array(self.levels[0][index].to_byte_array())
    }

    pub fn script_pubkey(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr_tweaked(self.output_key)
    }

    /// The control block that proves leaf `index` is in the tree.
    pub fn control_block(&self, index: usize) -> ControlBlock {
        let mut branch = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                branch.push(level[sibling]);
            }
            i /= 2;
        }
        ControlBlock {
            leaf_version: LeafVersion::TapScript,
            output_key_parity: self.parity,
            internal_key: self.internal_key,
            merkle_branch: TaprootMerkleBranch::try_from(branch).expect("depth is at most 128"),
        }
    }
}

use bitcoin::hashes::Hash;

/// The depth of each of `n` leaves in the tree [`TapTree`] builds, in leaf order (which
/// is depth-first order), as `TaprootBuilder::add_leaf` wants them.
pub fn leaf_depths(n: usize) -> Vec<u8> {
    let mut depth = vec![0u8; n];
    let mut len = n;
    let mut level = 0;
    while len > 1 {
        for (i, d) in depth.iter_mut().enumerate() {
            let node = i >> level;
            if (node ^ 1) < len {
                *d += 1;
            }
        }
        len = len.div_ceil(2);
        level += 1;
    }
    depth
}

/// The same tree as a rust-bitcoin [`bitcoin::taproot::TapTree`] (for PSBT outputs).
pub fn psbt_tree(scripts: &[ScriptBuf]) -> Option<bitcoin::taproot::TapTree> {
    let mut b = bitcoin::taproot::TaprootBuilder::new();
    for (s, d) in scripts.iter().zip(leaf_depths(scripts.len())) {
        b = b.add_leaf(d, s.clone()).ok()?;
    }
    bitcoin::taproot::TapTree::try_from(b).ok()
}

pub fn leaf_hash(script: &Script) -> TapLeafHash {
    TapLeafHash::from_script(script, LeafVersion::TapScript)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::taproot::TaprootBuilder;

    #[test]
    fn agrees_with_rust_bitcoin_and_proves_every_leaf() {
        let secp = Secp256k1::verification_only();
        for n in [1usize, 2, 3, 4, 5, 8, 13] {
            let scripts: Vec<ScriptBuf> = (0..n as i64)
                .map(|i| {
                    bitcoin::script::Builder::new()
                        .push_int(i + 1000)
                        .into_script()
                })
                .collect();
            let tree = TapTree::from_scripts(&secp, nums_key(), &scripts);
            for (i, s) in scripts.iter().enumerate() {
                let cb = tree.control_block(i);
                assert!(
                    cb.verify_taproot_commitment(&secp, tree.output_key.to_x_only_public_key(), s),
                    "n={n} leaf {i}"
                );
                assert!(
                    !cb.verify_taproot_commitment(
                        &secp,
                        tree.output_key.to_x_only_public_key(),
                        &scripts[(i + 1) % n]
                    ) || n == 1
                );
            }
            let ptree = psbt_tree(&scripts).unwrap();
            assert_eq!(ptree.root_hash(), tree.root(), "n={n}");
            if n.is_power_of_two() {
                let depth = n.trailing_zeros() as u8;
                let mut b = TaprootBuilder::new();
                for s in &scripts {
                    b = b.add_leaf(depth, s.clone()).unwrap();
                }
                let info = b.finalize(&secp, nums_key()).unwrap();
                assert_eq!(info.merkle_root(), Some(tree.root()), "n={n}");
                assert_eq!(tree.depth(), depth as usize);
            }
        }
    }
}
