//! The shift chip: `SLL`, `SRL`, `SRA`, `ROTR` and their variable forms (`SLLV`, …),
//! `c = a shifted by b mod 32`, with `a` the value (rt) and `b` the amount (the `sa` field
//! as an immediate, or register rs, of which only the low five bits count).
//!
//! The amount splits as `b[0] = s + 32 h`, with `s = Σ 2^i s_i` from five bit columns and
//! `h < 8`; `s = 8 k + j`, a byte shift `k` (one-hot in `bs`) and a bit shift `j`.
//!
//! The bit shift multiplies each byte of `a` by `m` = `2^j` (left) or `2^(8 - j)` (right)
//! and splits the product, below 2^16, into two range-checked bytes `lo + 256 hi`. The
//! bit-shifted word `u` joins neighbouring halves: `u_k = lo_k + hi_(k-1)` to the left,
//! `u_k = hi_k + lo_(k+1)` to the right, where the top byte takes in the fill (the sign's
//! bits for `SRA`, byte 0's low bits for `ROTR`). Each `u_k` is a byte by construction: one
//! half holds the high bits, the other the low ones. The byte shift then selects bytes of
//! `u` (or the fill byte, `0xff` times the sign for `SRA`), so `c` is bytes too.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{self, ByteOp, Expr, Word};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::InstrEvent;

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct ShiftCols<T> {
    pub is_sll: T,
    pub is_srl: T,
    pub is_sra: T,
    pub is_rotr: T,
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    pub b: Word<T>,
    pub c: Word<T>,
    /// The shift amount's bits, and `b[0] >> 5`.
    pub s: [T; 5],
    pub h: T,
    /// `(1 + s_0)(1 + 3 s_1) - 1` and `2^j` (`j = s mod 8`), zero on padding rows.
    pub q: T,
    pub pow: T,
    /// The byte shift `k = s >> 3`, one-hot.
    pub bs: [T; 4],
    /// The bit-shift multiplier: `pow` to the left, `256 / pow` to the right.
    pub m: T,
    /// `a_k m = lo_k + 256 hi_k`.
    pub lo: Word<T>,
    pub hi: Word<T>,
    /// The bit-shifted word.
    pub u: Word<T>,
    /// The sign bit of `a` (read for `SRA` only).
    pub sign: T,
}
columns!(ShiftCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct ShiftChip;

/// The result of a shift `op` of `a` by `b`.
pub fn shift(op: Opcode, a: u32, b: u32) -> u32 {
    let s = b & 31;
    match op {
        Opcode::Sll => a << s,
        Opcode::Srl => a >> s,
        Opcode::Sra => ((a as i32) >> s) as u32,
        Opcode::Rotr => a.rotate_right(s),
        _ => 0,
    }
}

impl ShiftChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<ShiftCols<Val>, _>(events, ShiftCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut ShiftCols<Val>, ev: &InstrEvent, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    r.is_sll = Val::from_bool(ev.op == Opcode::Sll);
    r.is_srl = Val::from_bool(ev.op == Opcode::Srl);
    r.is_sra = Val::from_bool(ev.op == Opcode::Sra);
    r.is_rotr = Val::from_bool(ev.op == Opcode::Rotr);
    r.clk = f(ev.clk);
    r.thread = f(ev.thread);
    r.a = super::word(ev.a);
    r.b = super::word(ev.b);
    r.c = super::word(shift(ev.op, ev.a, ev.b));
    let s = ev.b & 31;
    for i in 0..5 {
        r.s[i] = f((s >> i) & 1);
    }
    let h = (ev.b & 0xff) >> 5;
    r.h = f(h);
    bytes.range8x2(32 * h, h);
    let (s0, s1) = (s & 1, (s >> 1) & 1);
    r.q = f((1 + s0) * (1 + 3 * s1) - 1);
    let j = s & 7;
    r.pow = f(1 << j);
    r.bs[(s >> 3) as usize] = Val::ONE;
    let left = ev.op == Opcode::Sll;
    let m = if left { 1u32 << j } else { 256 >> j };
    r.m = f(m);
    let a = ev.a.to_le_bytes();
    let (mut lo, mut hi) = ([0u32; 4], [0u32; 4]);
    for k in 0..4 {
        let p = a[k] as u32 * m;
        lo[k] = p & 0xff;
        hi[k] = p >> 8;
        bytes.range8x2(lo[k], hi[k]);
    }
    let sign = ev.a >> 31;
    let mut u = [0u32; 4];
    for k in 0..4 {
        u[k] = if left {
            lo[k] + if k > 0 { hi[k - 1] } else { 0 }
        } else if k < 3 {
            hi[k] + lo[k + 1]
        } else {
            let fill = match ev.op {
                Opcode::Sra => sign * (256 - m),
                Opcode::Rotr => lo[0],
                _ => 0,
            };
            hi[3] + fill
        };
    }
    r.lo = lo.map(f);
    r.hi = hi.map(f);
    r.u = u.map(f);
    r.sign = f(sign);
    if ev.op == Opcode::Sra {
        bytes.add(ByteOp::Msb, ev.a >> 24, 0);
    }
}

impl BaseAir<Val> for ShiftChip {
    fn width(&self) -> usize {
        ShiftCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ShiftChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &ShiftCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &[l.is_sll, l.is_srl, l.is_sra, l.is_rotr]);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let is_left = e(l.is_sll);
        let is_right = e(l.is_srl) + e(l.is_sra) + e(l.is_rotr);

        // The amount: b[0] = Σ 2^i s_i + 32 h, with h < 8 (h and 32 h both bytes).
        let mut s = Expr::<AB>::ZERO;
        for (i, &bit) in l.s.iter().enumerate() {
            b.assert_bool(bit);
            s += e(bit) * c(1 << i);
        }
        if kept("shift.amount") {
            b.assert_zero(is_real.clone() * (e(l.b[0]) - s - c(32) * e(l.h)));
        }
        bus::range8x2(b, c(32) * e(l.h), l.h, is_real.clone());
        // pow = 2^j = (1 + s_0)(1 + 3 s_1)(1 + 15 s_2), written so that all-zero padding
        // rows satisfy it.
        b.assert_eq(
            l.q,
            e(l.s[0]) + c(3) * e(l.s[1]) + c(3) * e(l.s[0]) * e(l.s[1]),
        );
        b.assert_eq(
            l.pow,
            is_real.clone() + e(l.q) + c(15) * e(l.s[2]) * (Expr::<AB>::ONE + e(l.q)),
        );
        // The byte shift k = 2 s_4 + s_3, one-hot.
        b.assert_eq(l.bs[3], e(l.s[3]) * e(l.s[4]));
        b.assert_eq(l.bs[1], e(l.s[3]) - e(l.bs[3]));
        b.assert_eq(l.bs[2], e(l.s[4]) - e(l.bs[3]));
        b.assert_eq(
            l.bs[0],
            is_real.clone() - e(l.bs[1]) - e(l.bs[2]) - e(l.bs[3]),
        );
        // The multiplier: 2^j to the left, 2^(8 - j) to the right.
        b.assert_zero(
            is_left.clone() * (e(l.m) - e(l.pow)) + is_right.clone() * (e(l.m) * e(l.pow) - c(256)),
        );
        // a_k m = lo_k + 256 hi_k, two bytes (the product is below 2^16).
        for k in 0..4 {
            b.assert_zero(e(l.a[k]) * e(l.m) - e(l.lo[k]) - c(256) * e(l.hi[k]));
            bus::range8x2(b, l.lo[k], l.hi[k], is_real.clone());
        }
        // The sign, for SRA only (elsewhere it is multiplied by zero flags).
        bus::byte(b, ByteOp::Msb, l.a[3], l.sign, Expr::<AB>::ZERO, l.is_sra);
        // The bit-shifted word.
        for k in 0..4 {
            let left = e(l.lo[k]) + if k > 0 { e(l.hi[k - 1]) } else { c(0) };
            let right = if k < 3 {
                is_right.clone() * (e(l.hi[k]) + e(l.lo[k + 1]))
            } else {
                is_right.clone() * e(l.hi[3])
                    + e(l.is_sra) * e(l.sign) * (c(256) - e(l.m))
                    + e(l.is_rotr) * e(l.lo[0])
            };
            b.assert_eq(l.u[k], is_left.clone() * left + right);
        }
        // The byte shift: left, c_j = u_(j-k); right, c_j = u_(j+k), past the top the
        // fill byte (0, 0xff times the sign, or u wrapped around).
        for j in 0..4 {
            let mut v = Expr::<AB>::ZERO;
            for k in 0..4 {
                if k <= j {
                    v += is_left.clone() * e(l.bs[k]) * e(l.u[j - k]);
                }
                if j + k < 4 {
                    v += is_right.clone() * e(l.bs[k]) * e(l.u[j + k]);
                } else {
                    v += e(l.bs[k])
                        * (e(l.is_rotr) * e(l.u[j + k - 4]) + e(l.is_sra) * e(l.sign) * c(255));
                }
            }
            if kept("shift.result") {
                b.assert_eq(l.c[j], v);
            }
        }

        let op = super::op_of::<AB>(&[
            (l.is_sll, Opcode::Sll),
            (l.is_srl, Opcode::Srl),
            (l.is_sra, Opcode::Sra),
            (l.is_rotr, Opcode::Rotr),
        ]);
        super::receive_instr(
            b,
            op,
            &l.clk,
            &l.thread,
            &l.a,
            &l.b,
            l.c.map(Into::into),
            Expr::<AB>::ZERO,
            is_real,
        );
    }
}
