//! The path chip: the C string a system call reads as a path, one row per word.
//!
//! Linux copies a path from user memory up to its NUL (`getname`): the call fails with
//! `EFAULT` if a byte before the NUL is not readable, and with `ENAMETOOLONG` if there is
//! no NUL within `PATH_MAX` (4096) bytes. So a call that gets past that point has read a
//! readable string of at most 4095 bytes. This chip proves exactly that for the file
//! system's calls ([`super::fs`]), which send it `(clk, buf / 4, buf % 4)` on the `path`
//! bus:
//!
//! - The rows of one path are consecutive, one per word from the one holding `buf` to the
//!   one holding the NUL, at consecutive word addresses, with the call's clock. Each
//!   reads its word through the memory argument at the call's timestamp (in the read-only
//!   or the writable space, as the boundary holds it), which proves it mapped and
//!   readable.
//! - `start` (one-hot over the big-endian offsets) is the request's offset on the first
//!   row and 0 on every later one. `nul` (one-hot) marks the NUL on the last row, at or
//!   after `start`, and is zero on the others. The bytes from `start` up to the NUL (to
//!   the word's end on rows before the last) are non-zero, each by its inverse; the byte
//!   at `nul` is zero.
//! - `remaining` counts the path's bytes from the row's `start` on, down to exactly the
//!   last row's; on the first row, it is the path's length, at most `PATH_MAX - 1`.
//!
//! What the path says does not matter yet: the file system is empty, so every path the
//! calls accept fails to resolve.

use std::borrow::Borrow;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, Expr, Word, PATH, SLOT_CHIP, SPACE_MEM, SPACE_RO, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::witness::Access;

/// Linux's `PATH_MAX`: a path's NUL is within this many bytes of its start.
pub const PATH_MAX: u32 = crate::syscalls::io::PATH_MAX;

/// One word of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathEvent {
    pub clk: u32,
    pub waddr: u32,
    /// The first word of its path, and the last (holding the NUL).
    pub first: bool,
    pub last: bool,
    /// The big-endian offset of the path's first byte in this word (0 after the first
    /// word), and, on the last word, the NUL's.
    pub start: u32,
    pub nul: u32,
    /// The path's bytes from this word's `start` on, the NUL not counted.
    pub remaining: u32,
    pub word: u32,
    /// The word is read-only (read in `SPACE_RO`).
    pub ro: bool,
    pub acc: Access,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct PathCols<T> {
    pub is_real: T,
    pub first: T,
    pub last: T,
    pub clk: T,
    pub waddr: T,
    pub remaining: T,
    /// One-hot over the big-endian offsets: the first byte of the path in this word, and
    /// (last row only) the NUL.
    pub start: [T; 4],
    pub nul: [T; 4],
    /// The word, least significant byte first.
    pub word: Word<T>,
    /// The inverse of each path byte (by big-endian offset; zero elsewhere).
    pub inv: [T; 4],
    pub ro: T,
    pub acc: AccessCols<T>,
}
columns!(PathCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct PathChip;

impl PathChip {
    pub fn generate_trace(
        &self,
        events: &[PathEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<PathCols<Val>, _>(events, PathCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut PathCols<Val>, ev: &PathEvent, bytes: &mut ByteCounts) {
    r.is_real = Val::ONE;
    r.first = Val::from_bool(ev.first);
    r.last = Val::from_bool(ev.last);
    r.clk = Val::from_u32(ev.clk);
    r.waddr = Val::from_u32(ev.waddr);
    r.remaining = Val::from_u32(ev.remaining);
    r.start[ev.start as usize] = Val::ONE;
    if ev.last {
        r.nul[ev.nul as usize] = Val::ONE;
    }
    r.word = super::word(ev.word);
    let be = ev.word.to_be_bytes();
    let end = if ev.last { ev.nul } else { 4 };
    for j in ev.start..end {
        r.inv[j as usize] = Val::from_u8(be[j as usize])
            .try_inverse()
            .unwrap_or(Val::ZERO);
    }
    r.ro = Val::from_bool(ev.ro);
    if ev.first {
        // (A forged length past PATH_MAX is left out of the table, to fail there.)
        if let Some(slack) = (PATH_MAX - 1).checked_sub(ev.remaining) {
            bytes.range16(slack);
        }
    }
    super::fill_access(&mut r.acc, &ev.acc, bytes);
}

/// The words of the path of `len` bytes (its NUL not counted) at `buf`: for each, its
/// address, the offset of its first path byte, the NUL's offset if it holds it, and the
/// path's bytes from its first on.
pub fn spans(buf: u32, len: u32) -> Vec<(u32, u32, Option<u32>, u32)> {
    let end = buf.wrapping_add(len);
    let mut out = Vec::new();
    let mut a = buf;
    loop {
        let start = if a == buf { buf % 4 } else { 0 };
        let remaining = end.wrapping_sub(a);
        let nul = (end / 4 == a / 4).then_some(end % 4);
        out.push((a / 4, start, nul, remaining));
        if nul.is_some() {
            return out;
        }
        a = (a / 4 + 1) * 4;
    }
}

impl BaseAir<Val> for PathChip {
    fn width(&self) -> usize {
        PathCols::<u8>::WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for PathChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &PathCols<AB::Var> = main.current_slice().borrow();
        let n: &PathCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |k: u32| Expr::<AB>::from_u32(k);
        let one = || Expr::<AB>::ONE;
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);
        b.assert_bool(l.first);
        b.assert_bool(l.last);
        b.assert_bool(l.ro);
        b.assert_zero(e(l.first) * (one() - is_real.clone()));
        b.assert_zero(e(l.last) * (one() - is_real.clone()));
        b.assert_zero(e(l.ro) * (one() - is_real.clone()));

        // start: one-hot on real rows; nul: one-hot on last rows, else zero.
        let (mut starts, mut nuls) = (Expr::<AB>::ZERO, Expr::<AB>::ZERO);
        for j in 0..4 {
            b.assert_bool(l.start[j]);
            b.assert_bool(l.nul[j]);
            starts += e(l.start[j]);
            nuls += e(l.nul[j]);
        }
        b.assert_eq(starts, is_real.clone());
        b.assert_eq(nuls, e(l.last));
        // The path's bytes in this word: offset j with start <= j and j before the NUL,
        // [start <= j] - [nul <= j]. It is not boolean (-1 somewhere) if the NUL is
        // before start, so the NUL is at or after it.
        let mut path = Vec::with_capacity(4);
        let (mut s_sum, mut z_sum) = (Expr::<AB>::ZERO, Expr::<AB>::ZERO);
        for j in 0..4 {
            s_sum += e(l.start[j]);
            z_sum += e(l.nul[j]);
            path.push(s_sum.clone() - z_sum.clone());
        }
        let mut count = Expr::<AB>::ZERO;
        for j in 0..4 {
            b.assert_bool(path[j].clone());
            count += path[j].clone();
        }
        // Offset j is little-endian byte 3 - j. A path byte is not zero; the NUL is.
        if kept("path.nonzero") {
            for j in 0..4 {
                b.assert_zero(path[j].clone() * (e(l.word[3 - j]) * e(l.inv[j]) - one()));
            }
        }
        if kept("path.nul") {
            let at_nul = (0..4).fold(Expr::<AB>::ZERO, |s, j| s + e(l.nul[j]) * e(l.word[3 - j]));
            b.assert_zero(at_nul);
        }
        // At most PATH_MAX - 1 bytes before the NUL. (`remaining` is the sum of the chain's
        // row counts, at most 4 per row; the trace has at most 2^24 rows, KoalaBear's
        // two-adicity, so it is below 2^26, far from p: a length above 4095 makes the
        // difference "negative", at least p - 2^26, and out of the table.)
        if kept("path.length") {
            bus::range16(b, c(PATH_MAX - 1) - e(l.remaining), e(l.first));
        }

        // The word is read, unchanged, at the call's timestamp, in the space the boundary
        // holds it in.
        let space = c(SPACE_MEM) + e(l.ro) * c(SPACE_RO - SPACE_MEM);
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        let word = l.word.map(|v| -> Expr<AB> { v.into() });
        access(
            b,
            is_real.clone(),
            space,
            e(l.waddr),
            word.clone(),
            word,
            ts,
            &l.acc,
        );

        // A path starts with a call's request, at the request's offset; every later row
        // of it starts at offset 0.
        let offset = e(l.start[1]) + c(2) * e(l.start[2]) + c(3) * e(l.start[3]);
        b.push_interaction(
            PATH,
            [e(l.clk), e(l.waddr), offset],
            Count::bounded(-e(l.first), 1),
        );
        b.assert_zero((is_real.clone() - e(l.first)) * (one() - e(l.start[0])));
        b.when_first_row()
            .assert_zero(is_real.clone() * (one() - e(l.first)));
        // A row before the last is followed by the next word of the same call's path,
        // with this row's bytes fewer; the last is followed by another path or
        // padding, and has exactly its own bytes left.
        let cont = e(n.is_real) - e(n.first);
        let mut t = b.when_transition();
        t.assert_zero(cont.clone() * (e(n.clk) - e(l.clk)));
        t.assert_zero(cont.clone() * (e(n.waddr) - e(l.waddr) - one()));
        t.assert_zero(cont.clone() * (e(n.remaining) - e(l.remaining) + count.clone()));
        t.assert_zero(is_real.clone() * (one() - e(l.last)) * (one() - cont.clone()));
        t.assert_zero(e(l.last) * cont);
        b.assert_zero(e(l.last) * (e(l.remaining) - count));
        b.when_last_row()
            .assert_zero(is_real.clone() * (one() - e(l.last)));
        // Real rows come first: a real row after padding would continue no path, free to
        // read any word at any clock, and so to break the memory argument's timestamp
        // order (found by an adversarial review).
        if kept("path.prefix") {
            b.when_transition()
                .assert_zero((one() - is_real) * e(n.is_real));
        }
        // Padding rows (all after the real ones): the flags, start and nul are zero by the
        // constraints above; the rest are in no message with a non-zero count, and in the
        // transition constraints only with the factor `cont`, which is zero there, so they
        // cannot matter, and the trace generator leaves them zero. `inv` outside the
        // path's bytes is in no constraint: left zero.
    }
}

#[cfg(test)]
mod tests {
    use super::spans;

    #[test]
    fn spans_cover_a_path_and_its_nul() {
        // "ab" at offset 3: 'a' ends one word, 'b' and the NUL start the next.
        assert_eq!(spans(0x103, 2), [(0x40, 3, None, 2), (0x41, 0, Some(1), 1)]);
        // The empty path is its NUL.
        assert_eq!(spans(0x102, 0), [(0x40, 2, Some(2), 0)]);
        // Three bytes from offset 1: the NUL opens the next word.
        assert_eq!(spans(0x101, 3), [(0x40, 1, None, 3), (0x41, 0, Some(0), 0)]);
    }
}
