//! Lamport one-time signatures on single bits: the operator's commitment to every wire.
//!
//! For each committed wire the operator derives two secret 20-byte preimages, one per
//! value, and publishes their HASH160s. Opening the wire to bit `v` means revealing the
//! preimage of `v`; revealing both is an equivocation that anyone can prove on chain.
//!
//! Sizes per wire: public key 40 bytes (two HASH160s), opening 20 bytes in the witness
//! (21 with its length byte), and 53 bytes of tapscript to check an opening in an Assert
//! (54 when the bit is kept for a gate check), 4 of them for `OP_SIZE 20 OP_EQUALVERIFY`:
//! every opening is checked to be exactly 20 bytes, so an operator cannot hide a value
//! behind a longer, non-standard preimage. A bit needs no checksum, which is why Lamport is
//! used rather than Winternitz: a Winternitz digit of d bits costs 20 bytes of witness plus
//! about 12 script bytes per hash step and needs checksum digits, which only pays off for
//! words of several bits, and every gate of a Bristol circuit reads bits.
//!
//! The secrets are one-time: [`LamportSecret::for_graph`] derives them from the operator's
//! seed *and the graph's id*, which covers the circuit, the parameters, every public key
//! and the deposit's funding outpoint. Two graphs made from one keys file therefore share
//! no commitment, and openings published in one game are useless in any other.

use bitcoin::hashes::{hash160, sha256, Hash, HashEngine};

/// Length of a preimage in bytes.
pub const PREIMAGE_LEN: usize = 20;

/// A 20-byte preimage that opens a wire to one value.
pub type Preimage = [u8; PREIMAGE_LEN];

/// The public commitment to one wire: `hashes[v]` is HASH160 of the preimage for value v.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WireCommitment {
    pub hashes: [hash160::Hash; 2],
}

impl WireCommitment {
    /// The value a preimage opens this wire to, or `None` if it opens neither.
    pub fn open(&self, preimage: &[u8]) -> Option<bool> {
        let h = hash160::Hash::hash(preimage);
        if h == self.hashes[1] {
            Some(true)
        } else if h == self.hashes[0] {
            Some(false)
        } else {
            None
        }
    }
}

/// The operator's secret from which every preimage is derived.
#[derive(Clone)]
pub struct LamportSecret {
    seed: [u8; 32],
}

impl LamportSecret {
    pub fn new(seed: [u8; 32]) -> LamportSecret {
        LamportSecret { seed }
    }

    /// The one-time secret of one graph: the operator's Lamport seed bound to the graph id.
    pub fn for_graph(lamport_seed: &[u8; 32], graph_id: &[u8; 32]) -> LamportSecret {
        LamportSecret::new(super::keys::tagged(
            "zkm/ocp/lamport-graph",
            &[lamport_seed, graph_id],
        ))
    }

    /// The preimage that opens `wire` to `bit`: SHA-256("zkm/ocp/lamport" | seed | wire | bit),
    /// truncated to 20 bytes.
    pub fn preimage(&self, wire: u32, bit: bool) -> Preimage {
        let mut e = sha256::Hash::engine();
        e.input(b"zkm/ocp/lamport");
        e.input(&self.seed);
        e.input(&wire.to_be_bytes());
        e.input(&[bit as u8]);
        let h = sha256::Hash::from_engine(e);
        let mut p = [0u8; PREIMAGE_LEN];
        p.copy_from_slice(&h.as_byte_array()[..PREIMAGE_LEN]);
        p
    }

    pub fn commitment(&self, wire: u32) -> WireCommitment {
        WireCommitment {
            hashes: [
                hash160::Hash::hash(&self.preimage(wire, false)),
                hash160::Hash::hash(&self.preimage(wire, true)),
            ],
        }
    }
}

/// Openings seen for one wire, keyed by wire: the first preimage seen for each value.
#[derive(Default, Debug)]
pub struct Openings {
    seen: std::collections::HashMap<u32, [Option<Preimage>; 2]>,
}

impl Openings {
    /// Records a preimage for `wire` if it opens the commitment. Returns the value.
    pub fn record(&mut self, wire: u32, c: &WireCommitment, preimage: &[u8]) -> Option<bool> {
        let v = c.open(preimage)?;
        let slot = self.seen.entry(wire).or_default();
        if slot[v as usize].is_none() {
            let mut p = [0u8; PREIMAGE_LEN];
            p.copy_from_slice(preimage);
            slot[v as usize] = Some(p);
        }
        Some(v)
    }

    /// The value a wire was opened to, if it was opened to exactly one value.
    pub fn value(&self, wire: u32) -> Option<bool> {
        match self.seen.get(&wire)? {
            [Some(_), None] => Some(false),
            [None, Some(_)] => Some(true),
            _ => None,
        }
    }

    pub fn preimage(&self, wire: u32, bit: bool) -> Option<Preimage> {
        self.seen.get(&wire)?[bit as usize]
    }

    /// The lowest wire opened to both values, with both preimages: an equivocation.
    pub fn equivocation(&self) -> Option<(u32, Preimage, Preimage)> {
        self.seen
            .iter()
            .filter_map(|(&w, s)| match s {
                [Some(p0), Some(p1)] => Some((w, *p0, *p1)),
                _ => None,
            })
            .min_by_key(|(w, _, _)| *w)
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_reveals_exactly_its_value() {
        let s = LamportSecret::new([7; 32]);
        let c = s.commitment(42);
        assert_eq!(c.open(&s.preimage(42, true)), Some(true));
        assert_eq!(c.open(&s.preimage(42, false)), Some(false));
        assert_eq!(c.open(&s.preimage(43, true)), None);
        assert_ne!(s.commitment(43), c);
        assert_ne!(LamportSecret::new([8; 32]).commitment(42), c);
    }

    #[test]
    fn graphs_with_different_ids_share_no_preimage() {
        let (a, b) = (
            LamportSecret::for_graph(&[1; 32], &[2; 32]),
            LamportSecret::for_graph(&[1; 32], &[3; 32]),
        );
        for w in 0..64 {
            for v in [false, true] {
                assert_ne!(a.preimage(w, v), b.preimage(w, v));
                assert_eq!(b.commitment(w).open(&a.preimage(w, v)), None);
            }
        }
    }

    #[test]
    fn two_values_for_one_wire_are_an_equivocation() {
        let s = LamportSecret::new([1; 32]);
        let mut o = Openings::default();
        for w in [5u32, 9] {
            o.record(w, &s.commitment(w), &s.preimage(w, true));
        }
        assert_eq!(o.equivocation(), None);
        assert_eq!(o.value(9), Some(true));
        assert_eq!(o.record(9, &s.commitment(9), &[0u8; 20]), None);
        o.record(9, &s.commitment(9), &s.preimage(9, false));
        let (w, p0, p1) = o.equivocation().unwrap();
        assert_eq!((w, p0, p1), (9, s.preimage(9, false), s.preimage(9, true)));
        assert_eq!(o.value(9), None);
    }
}
