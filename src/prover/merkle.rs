//! The state tree of continuations (docs/continuations.md), natively: a sparse binary
//! Poseidon2 Merkle tree over 256-byte pages of memory. A shard boundary will commit to the
//! machine's state with its root, and a shard will open the pages it touches under it.
//!
//! - **A leaf** is a page of 64 words. Its digest is the proof's Poseidon2 permutation
//!   (width 16, the one the FRI trees and the transcript use) run as a sponge of rate 8
//!   over the page's 128 halves, each word as `(v & 0xffff, v >> 16)`: 16 permutations.
//!   Each permutation's input is the next 8 halves over the last output's capacity (the
//!   first starts from a capacity of zeros but [`LEAF_TAG`] in its last element). The
//!   digest is the last output's first 8 elements. The length is fixed, so the sponge
//!   needs no padding.
//! - **A node** is the first 8 elements of the permutation of its children's digests,
//!   left then right (what Plonky3's `TruncatedPermutation` computes for the FRI trees).
//! - **An empty subtree**, one whose pages are all zero, hashes to [`empty`] of its
//!   height, so a root costs only the pages that hold data. A page of zeros is the empty
//!   leaf: the tree holds contents, and whether a page is mapped is kept elsewhere.
//!
//! A leaf and a node are told apart by depth alone, as in Plonky3's own commitment trees:
//! a leaf's last permutation has a node's shape (eight halves over the carried
//! capacity), so a path check must fix the depth ([`MEMORY_DEPTH`] here; 25 for the
//! whole state tree of docs/continuations.md). [`LEAF_TAG`] only makes a leaf's first
//! permutation differ from a node's of the same input.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{default_koalabear_poseidon2_16, Poseidon2KoalaBear};
use p3_symmetric::Permutation;

use super::config::Val;
use crate::vm::memory::Memory;

/// A digest: eight field elements.
pub type Digest = [Val; 8];

/// Words in a leaf.
pub const PAGE_WORDS: usize = 64;
/// log2 of a leaf's size in bytes (256).
pub const PAGE_BYTES_LOG: u32 = 8;
/// Levels of the memory tree: 2^23 pages of 256 bytes cover the 2 GiB below `0x8000_0000`,
/// which holds every word the proof's memory space can address (section 8 of
/// proof-system.md).
pub const MEMORY_DEPTH: usize = 23;
/// The last capacity element of a leaf's first permutation.
pub const LEAF_TAG: u32 = 1;

fn perm() -> &'static Poseidon2KoalaBear<16> {
    static PERM: OnceLock<Poseidon2KoalaBear<16>> = OnceLock::new();
    PERM.get_or_init(default_koalabear_poseidon2_16)
}

fn first_eight(state: &[Val; 16]) -> Digest {
    std::array::from_fn(|k| state[k])
}

/// A leaf's digest.
pub fn page_digest(words: &[u32; PAGE_WORDS]) -> Digest {
    let mut state = [Val::ZERO; 16];
    state[15] = Val::from_u32(LEAF_TAG);
    for chunk in words.chunks_exact(4) {
        for (k, &w) in chunk.iter().enumerate() {
            state[2 * k] = Val::from_u32(w & 0xffff);
            state[2 * k + 1] = Val::from_u32(w >> 16);
        }
        perm().permute_mut(&mut state);
    }
    first_eight(&state)
}

/// A node's digest from its children's.
pub fn compress(left: &Digest, right: &Digest) -> Digest {
    let mut state = [Val::ZERO; 16];
    state[..8].copy_from_slice(left);
    state[8..].copy_from_slice(right);
    perm().permute_mut(&mut state);
    first_eight(&state)
}

/// The digest of an empty subtree of `height` levels (0: a page of zeros), for heights
/// up to [`MEMORY_DEPTH`].
pub fn empty(height: usize) -> Digest {
    static EMPTY: OnceLock<Vec<Digest>> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut e = vec![page_digest(&[0; PAGE_WORDS])];
        for h in 0..MEMORY_DEPTH {
            e.push(compress(&e[h], &e[h]));
        }
        e
    })[height]
}

/// The root of a tree of `depth` levels whose leaves are `leaves` (index → digest,
/// every index below `2^depth`) and empty elsewhere. It costs one compression per node
/// on a path from a given leaf.
pub fn root(depth: usize, leaves: BTreeMap<u32, Digest>) -> Digest {
    assert!(depth <= MEMORY_DEPTH, "a tree of {depth} levels");
    assert!(
        leaves.keys().all(|&i| (i as u64) < 1u64 << depth),
        "a leaf index beyond {depth} levels"
    );
    let mut level = leaves;
    for h in 0..depth {
        let mut up = BTreeMap::new();
        for (&i, d) in &level {
            if i & 1 == 1 && level.contains_key(&(i - 1)) {
                continue; // its parent came with its left sibling
            }
            let (l, r) = if i & 1 == 0 {
                (*d, level.get(&(i + 1)).copied().unwrap_or(empty(h)))
            } else {
                (empty(h), *d)
            };
            up.insert(i >> 1, compress(&l, &r));
        }
        level = up;
    }
    level.get(&0).copied().unwrap_or(empty(depth))
}

/// The leaves of `mem`: every 256-byte page that holds a non-zero word, pages made
/// inaccessible by `mprotect` included (their contents are kept for a later `mprotect`).
/// Memory at or above 2 GiB, which no guest can map, is refused.
pub fn memory_leaves(mem: &Memory) -> Result<BTreeMap<u32, Digest>, String> {
    let mut leaves = BTreeMap::new();
    let mut above = None;
    mem.for_each_page(|addr, bytes| {
        for (q, page) in bytes.chunks_exact(4 * PAGE_WORDS).enumerate() {
            let index = (addr >> PAGE_BYTES_LOG) + q as u32;
            let words: [u32; PAGE_WORDS] = std::array::from_fn(|k| {
                u32::from_be_bytes(page[4 * k..4 * k + 4].try_into().expect("four bytes"))
            });
            if words.iter().all(|&w| w == 0) {
                continue;
            }
            if index >= 1 << MEMORY_DEPTH {
                above.get_or_insert(addr);
                continue;
            }
            leaves.insert(index, page_digest(&words));
        }
    });
    match above {
        Some(addr) => Err(format!(
            "memory at {addr:#010x} holds data, above the 2 GiB the state tree covers"
        )),
        None => Ok(leaves),
    }
}

/// The root of `mem`'s memory tree.
pub fn memory_root(mem: &Memory) -> Result<Digest, String> {
    Ok(root(MEMORY_DEPTH, memory_leaves(mem)?))
}

#[cfg(test)]
mod tests {
    use p3_koala_bear::default_koalabear_poseidon2_16;

    use super::*;
    use crate::vm::memory::{PROT_READ, PROT_WRITE};

    /// The root computed over every leaf, with no shortcut.
    fn dense(height: usize, index: u32, leaves: &BTreeMap<u32, Digest>) -> Digest {
        if height == 0 {
            return leaves.get(&index).copied().unwrap_or(empty(0));
        }
        let l = dense(height - 1, 2 * index, leaves);
        let r = dense(height - 1, 2 * index + 1, leaves);
        compress(&l, &r)
    }

    fn leaf(n: u32) -> Digest {
        let mut words = [0; PAGE_WORDS];
        words[n as usize % PAGE_WORDS] = n + 1;
        page_digest(&words)
    }

    #[test]
    fn the_sparse_root_is_the_dense_root() {
        let sets: [&[u32]; 7] = [
            &[],
            &[0],
            &[15],
            &[6, 7],
            &[7],
            &[0, 5, 6, 9, 15],
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        ];
        for set in sets {
            let leaves: BTreeMap<u32, Digest> = set.iter().map(|&i| (i, leaf(i))).collect();
            assert_eq!(root(4, leaves.clone()), dense(4, 0, &leaves), "{set:?}");
        }
        assert_eq!(root(MEMORY_DEPTH, BTreeMap::new()), empty(MEMORY_DEPTH));
        assert_eq!(empty(1), compress(&empty(0), &empty(0)));
    }

    #[test]
    fn every_word_its_place_and_its_halves_change_the_root() {
        const BASE: u32 = 0x0040_0000;
        let mut mem = Memory::new();
        mem.map(BASE, 0x2000, PROT_READ | PROT_WRITE);
        let at = |edits: &[(u32, u32)]| {
            let mut m = Memory::new();
            m.map(BASE, 0x2000, PROT_READ | PROT_WRITE);
            for &(addr, v) in edits {
                m.store32(addr, v).unwrap();
            }
            memory_root(&m).unwrap()
        };
        // A mapped page of zeros is the empty tree; a zero written changes nothing.
        assert_eq!(memory_root(&mem).unwrap(), empty(MEMORY_DEPTH));
        assert_eq!(at(&[(BASE + 8, 0)]), empty(MEMORY_DEPTH));
        let one = at(&[(BASE + 8, 0x1234_5678)]);
        let roots = [
            one,
            at(&[(BASE + 12, 0x1234_5678)]),
            at(&[(BASE + 8, 0x1234_5679)]),
            at(&[(BASE + 8, 0x5678_1234)]),
            at(&[(BASE + 8 + 256, 0x1234_5678)]),
            at(&[(BASE + 8, 0x1234_5678), (BASE + 0x1ffc, 1)]),
            at(&[(BASE, 1)]),
            at(&[(BASE, 0x1_0000)]),
        ];
        for (i, a) in roots.iter().enumerate() {
            assert_ne!(*a, empty(MEMORY_DEPTH), "{i}");
            for (j, b) in roots.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{i} and {j}");
            }
        }
        // The same contents give the same root, however they were written.
        assert_eq!(at(&[(BASE + 8, 7), (BASE + 8, 0x1234_5678)]), one);
    }

    #[test]
    fn a_leaf_is_its_halves_sponged_from_the_tag() {
        // Built by hand: the word 0x1234_5678 at 0x0040_0104, the second word of the
        // leaf at 0x0040_0100, so the first block is (0, 0, 0x5678, 0x1234, 0, ...).
        let mut m = Memory::new();
        m.map(0x0040_0000, 0x1000, PROT_READ | PROT_WRITE);
        m.store32(0x0040_0104, 0x1234_5678).unwrap();
        assert_eq!(m.load32(0x0040_0104), Ok(0x1234_5678));
        let mut state = [Val::ZERO; 16];
        state[15] = Val::ONE;
        for block in 0..16 {
            for k in 0..8 {
                state[k] = Val::ZERO;
            }
            if block == 0 {
                state[2] = Val::from_u32(0x5678);
                state[3] = Val::from_u32(0x1234);
            }
            state = default_koalabear_poseidon2_16().permute(state);
        }
        let want: Digest = std::array::from_fn(|k| state[k]);
        let leaves = memory_leaves(&m).unwrap();
        assert_eq!(leaves.len(), 1);
        assert_eq!(leaves.get(&(0x0040_0100 >> PAGE_BYTES_LOG)), Some(&want));
    }

    #[test]
    fn a_page_made_inaccessible_keeps_its_leaves() {
        let mut m = Memory::new();
        m.map(0x0040_0000, 0x2000, PROT_READ | PROT_WRITE);
        m.store32(0x0040_1ff0, 9).unwrap();
        let before = memory_root(&m).unwrap();
        assert_ne!(before, empty(MEMORY_DEPTH));
        assert!(m.protect(0x0040_1000, 0x1000, 0));
        assert_eq!(memory_root(&m).unwrap(), before, "parked");
        assert!(m.protect(0x0040_1000, 0x1000, PROT_READ));
        assert_eq!(memory_root(&m).unwrap(), before, "readable again");
    }

    #[test]
    fn memory_above_two_gib_is_refused() {
        let mut mem = Memory::new();
        mem.map(0x8000_0000, 0x1000, PROT_READ | PROT_WRITE);
        assert_eq!(memory_root(&mem).unwrap(), empty(MEMORY_DEPTH));
        mem.store32(0x8000_0010, 5).unwrap();
        let e = memory_root(&mem).unwrap_err();
        assert!(e.contains("above the 2 GiB"), "{e}");
    }

    #[test]
    fn a_guest_run_has_one_root_per_state() {
        let path = format!("{}/testdata/elf/exitcode.elf", env!("CARGO_MANIFEST_DIR"));
        let program = crate::elf::Program::load(std::path::Path::new(&path)).unwrap();
        let run = || {
            let config = crate::vm::Config {
                argv: vec!["exitcode".into()],
                env: Vec::new(),
                input: Vec::new(),
                max_cycles: None,
                stdout: Box::new(std::io::sink()),
                stderr: Box::new(std::io::sink()),
            };
            let mut vm = crate::vm::Vm::new(program.clone(), config).unwrap();
            let mut roots = vec![memory_root(&vm.mem).unwrap()];
            while vm
                .run(vm.cycles + 100_000, &mut crate::vm::trace::NoTracer)
                .unwrap()
                .is_none()
            {
                roots.push(memory_root(&vm.mem).unwrap());
            }
            roots.push(memory_root(&vm.mem).unwrap());
            roots
        };
        let roots = run();
        assert!(roots.len() >= 4, "{} boundaries", roots.len());
        assert_eq!(roots, run(), "two runs");
        // The image is not empty, and the run writes memory between any two boundaries.
        assert_ne!(roots[0], empty(MEMORY_DEPTH));
        for w in roots.windows(2).take(roots.len() - 2) {
            assert_ne!(w[0], w[1]);
        }
    }
}
