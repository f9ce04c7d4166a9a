//! The input chip: the words a `read` from fd 0 (or a `getrandom`) writes into guest
//! memory, one row per word; and the kernel's fixed answers (`sched_getaffinity`'s mask,
//! `uname`'s names), whose bytes are looked up in the byte table instead of free.
//!
//! The bytes read are the private input, so their values are free. What the chip proves
//! is where they land, as Linux places them: the `n` bytes of one `read(0, buf, count)`
//! that returned `n` are exactly the bytes at `buf..buf + n`, and every other byte of
//! memory keeps its value.
//!
//! - The rows of one read are consecutive, one per word that the range `buf..buf + n`
//!   touches, at consecutive word addresses, with one clock (the call's). The first takes
//!   the syscall chip's request `(clk, buf / 4, buf % 4, n, answer)` off the `input` bus.
//! - Each row names the first and the last byte it writes (`start`, `end`, one-hot over
//!   the big-endian offsets 0..3). The first row starts at the request's offset and every
//!   later row at offset 0; every row but the last ends at offset 3, so the bytes written
//!   are contiguous. A row's `mask` (offset `j` written) is `start <= j <= end`, a linear
//!   function of the two, and a row writes at least its `start` byte.
//! - `remaining` counts the read's bytes from the row's first one on: `n` on the first
//!   row, less each row's byte count after it, and exactly the row's own count on the
//!   last. So the rows write `n` bytes in all, no more and no fewer.
//! - Each row reads the word's previous value and writes the new one through the memory
//!   argument at the call's timestamp. Unmasked bytes keep their value; masked ones are
//!   any bytes (range-checked, as every memory byte must be).
//!
//! The syscall chip constrains `n <= count` and advances the kernel's input cursor by `n`.

use std::borrow::Borrow;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, INPUT, SLOT_CHIP, SPACE_MEM, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::witness::Access;

/// One word a read writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputEvent {
    pub clk: u32,
    /// The word's address.
    pub waddr: u32,
    /// The first word of its read.
    pub first: bool,
    /// The bytes are the kernel's fixed answer starting at `answer - 1` in
    /// [`super::bytes::answers`] (`sched_getaffinity`'s mask, `uname`'s names), else 0:
    /// free bytes.
    pub answer: u32,
    /// The index of the word's first written byte in its read.
    pub pos: u32,
    /// The big-endian offsets of the first and the last byte written in this word.
    pub start: u32,
    pub end: u32,
    /// Bytes of the read from this word's first written byte on.
    pub remaining: u32,
    /// The word before and after.
    pub prev: u32,
    pub new: u32,
    pub acc: Access,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct InputCols<T> {
    pub is_real: T,
    /// The first word of a read.
    pub first: T,
    /// The bytes written are a fixed answer, not free: those at `answer - 1 + pos` on in
    /// [`super::bytes::answers`] (0 for free bytes).
    pub fixed: T,
    pub answer: T,
    /// The index in its read of the row's first written byte.
    pub pos: T,
    /// The read's clock.
    pub clk: T,
    /// The word address.
    pub waddr: T,
    pub remaining: T,
    /// The first and the last offset written (big-endian), one-hot on real rows.
    pub start: [T; 4],
    pub end: [T; 4],
    /// The word before and after, least significant byte first.
    pub prev: Word<T>,
    pub new: Word<T>,
    pub acc: AccessCols<T>,
}
columns!(InputCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct InputChip;

impl InputChip {
    pub fn generate_trace(
        &self,
        events: &[InputEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<InputCols<Val>, _>(events, InputCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut InputCols<Val>, ev: &InputEvent, bytes: &mut ByteCounts) {
    r.is_real = Val::ONE;
    r.first = Val::from_bool(ev.first);
    r.fixed = Val::from_bool(ev.answer != 0);
    r.answer = Val::from_u32(ev.answer);
    r.pos = Val::from_u32(ev.pos);
    r.clk = Val::from_u32(ev.clk);
    r.waddr = Val::from_u32(ev.waddr);
    r.remaining = Val::from_u32(ev.remaining);
    r.start[ev.start as usize] = Val::ONE;
    r.end[ev.end as usize] = Val::ONE;
    r.prev = super::word(ev.prev);
    r.new = super::word(ev.new);
    let b = ev.new.to_le_bytes();
    bytes.range8x2(b[0] as u32, b[1] as u32);
    bytes.range8x2(b[2] as u32, b[3] as u32);
    // (Counted as the AIR looks them up: not at all where a test knocks the lookup out.)
    if ev.answer != 0 && kept("input.fixed") {
        let be = ev.new.to_be_bytes();
        for j in ev.start..=ev.end {
            let at = ev.answer - 1 + ev.pos + j - ev.start;
            bytes.add(ByteOp::Answer, at, be[j as usize] as u32);
        }
    }
    super::fill_access(&mut r.acc, &ev.acc, bytes);
}

/// The words that `n` bytes read to `buf` touch: for each, its address, the big-endian
/// offsets of its first and last byte written, and the index of its first byte in the
/// data.
pub fn spans(buf: u32, n: u32) -> Vec<(u32, u32, u32, u32)> {
    let mut out = Vec::new();
    let mut i = 0u32;
    while i < n {
        let addr = buf.wrapping_add(i);
        let start = addr % 4;
        let end = (start + (n - i) - 1).min(3);
        out.push((addr / 4, start, end, i));
        i += end - start + 1;
    }
    out
}

/// `prev` with its big-endian bytes `start..=end` replaced by `bytes`.
pub fn merge(prev: u32, start: u32, end: u32, bytes: &[u8]) -> u32 {
    let mut b = prev.to_be_bytes();
    b[start as usize..=end as usize].copy_from_slice(bytes);
    u32::from_be_bytes(b)
}

impl BaseAir<Val> for InputChip {
    fn width(&self) -> usize {
        InputCols::<u8>::WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for InputChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &InputCols<AB::Var> = main.current_slice().borrow();
        let n: &InputCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |k: u32| Expr::<AB>::from_u32(k);
        let one = || Expr::<AB>::ONE;
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);
        b.assert_bool(l.first);
        b.assert_zero(e(l.first) * (one() - is_real.clone()));
        // Free bytes have no answer (`answer = 0`); fixed ones name theirs.
        b.assert_bool(l.fixed);
        b.assert_zero(e(l.answer) * (one() - e(l.fixed)));

        // start and end: one-hot on real rows, zero on padding.
        let mut starts = Expr::<AB>::ZERO;
        let mut ends = Expr::<AB>::ZERO;
        for j in 0..4 {
            b.assert_bool(l.start[j]);
            b.assert_bool(l.end[j]);
            starts += e(l.start[j]);
            ends += e(l.end[j]);
        }
        b.assert_eq(starts, is_real.clone());
        b.assert_eq(ends, is_real.clone());
        // mask[j] = [start <= j] - [end < j]: 1 on start..=end, and not boolean (-1
        // somewhere) if end is more than one before start. The row writes its start
        // byte, which rules out end = start - 1 (an empty mask).
        let mut mask: Vec<Expr<AB>> = Vec::with_capacity(4);
        let (mut s_sum, mut t_sum) = (Expr::<AB>::ZERO, Expr::<AB>::ZERO);
        for j in 0..4 {
            s_sum += e(l.start[j]);
            mask.push(s_sum.clone() - t_sum.clone());
            t_sum += e(l.end[j]);
        }
        let mut at_start = Expr::<AB>::ZERO;
        for j in 0..4 {
            b.assert_bool(mask[j].clone());
            at_start += e(l.start[j]) * mask[j].clone();
        }
        b.assert_eq(at_start, is_real.clone());
        let written = mask.iter().fold(Expr::<AB>::ZERO, |s, m| s + m.clone());

        // Unwritten bytes keep their value (offset j is little-endian byte 3 - j); written
        // ones are bytes.
        if kept("input.mask") {
            for j in 0..4 {
                b.assert_zero((one() - mask[j].clone()) * (e(l.new[3 - j]) - e(l.prev[3 - j])));
            }
        }
        if kept("input.range") {
            bus::range8x2(b, l.new[0], l.new[1], is_real.clone());
            bus::range8x2(b, l.new[2], l.new[3], is_real.clone());
        }
        // A fixed answer's byte at offset j is answers[answer - 1 + pos + j - start]. (A
        // fixed row with answer 0 looks up index -1 + ..., which is past the table.)
        let offset = e(l.start[1]) + c(2) * e(l.start[2]) + c(3) * e(l.start[3]);
        if kept("input.fixed") {
            for j in 0..4 {
                let at = e(l.answer) - one() + e(l.pos) + c(j as u32) - offset.clone();
                bus::byte(
                    b,
                    ByteOp::Answer,
                    at,
                    e(l.new[3 - j]),
                    Expr::<AB>::ZERO,
                    e(l.fixed) * mask[j].clone(),
                );
            }
        }
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        access(
            b,
            is_real.clone(),
            c(SPACE_MEM),
            e(l.waddr),
            l.prev.map(|v| -> Expr<AB> { v.into() }),
            l.new.map(|v| -> Expr<AB> { v.into() }),
            ts,
            &l.acc,
        );

        // A read starts with the syscall chip's request, at the request's offset, at
        // position 0; every later row of it starts at offset 0.
        b.push_interaction(
            INPUT,
            [e(l.clk), e(l.waddr), offset, e(l.remaining), e(l.answer)],
            Count::bounded(-e(l.first), 1),
        );
        b.assert_zero(e(l.first) * e(l.pos));
        if kept("input.start") {
            b.assert_zero((is_real.clone() - e(l.first)) * (one() - e(l.start[0])));
        }
        // Row 0, if real, starts a read: nothing precedes it.
        if kept("input.first_row") {
            b.when_first_row()
                .assert_zero(is_real.clone() * (one() - e(l.first)));
        }
        // A row that continues a read: same clock, the next word, the bytes this row
        // wrote fewer; this row ran to the end of its word. A read ends (the next row
        // starts another read, or is padding) with its last row's bytes.
        let cont = e(n.is_real) - e(n.first);
        if kept("input.continue") {
            let mut t = b.when_transition();
            t.assert_zero(cont.clone() * (e(n.clk) - e(l.clk)));
            t.assert_zero(cont.clone() * (e(n.waddr) - e(l.waddr) - one()));
            t.assert_zero(cont.clone() * (e(n.remaining) - e(l.remaining) + written.clone()));
            t.assert_zero(cont.clone() * (e(n.pos) - e(l.pos) - written.clone()));
            t.assert_zero(cont.clone() * (e(n.answer) - e(l.answer)));
            t.assert_zero(cont.clone() * (e(n.fixed) - e(l.fixed)));
            t.assert_zero(cont.clone() * (one() - e(l.end[3])));
            t.assert_zero(is_real.clone() * (one() - cont) * (e(l.remaining) - written.clone()));
        }
        b.when_last_row()
            .assert_zero(is_real * (e(l.remaining) - written));
        // Padding rows: every column is zero (start, end, first and is_real by the
        // constraints above; the rest are in no constraint and no message with a non-zero
        // count there, and the trace generator leaves them zero).
    }
}
