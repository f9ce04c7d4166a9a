//! The count-leading chip: `CLZ` (leading zeros of `a`) and `CLO` (leading ones, the
//! leading zeros of `x = !a`), answering `c = [n, 0, 0, 0]`.
//!
//! The row names the highest non-zero byte of `x` (one-hot `top`), or that there is none;
//! the bytes above it are proved zero, and the byte table's `Clz8` gives the leading zeros
//! within it, which must be at most 7 (so that byte is non-zero). Then
//! `n = 8 (3 - k) + clz8(x_k)`, or 32 when `x = 0`.

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
pub struct ClzCols<T> {
    pub is_clz: T,
    pub is_clo: T,
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    /// The highest non-zero byte of `x`, one-hot; or `x = 0`.
    pub top: [T; 4],
    pub none: T,
    /// That byte, and its leading zeros.
    pub xt: T,
    pub lz: T,
}
columns!(ClzCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct ClzChip;

/// The answer of `CLZ`/`CLO`.
pub fn count(op: Opcode, a: u32) -> u32 {
    if op == Opcode::Clo {
        a.leading_ones()
    } else {
        a.leading_zeros()
    }
}

impl ClzChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<ClzCols<Val>, _>(events, ClzCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut ClzCols<Val>, ev: &InstrEvent, bytes: &mut ByteCounts) {
    let clo = ev.op == Opcode::Clo;
    r.is_clz = Val::from_bool(!clo);
    r.is_clo = Val::from_bool(clo);
    r.clk = Val::from_u32(ev.clk);
    r.thread = Val::from_u32(ev.thread);
    r.a = super::word(ev.a);
    let x = if clo { !ev.a } else { ev.a };
    match (0..4).rev().find(|&k| (x >> (8 * k)) & 0xff != 0) {
        Some(k) => {
            r.top[k] = Val::ONE;
            let xt = (x >> (8 * k)) & 0xff;
            r.xt = Val::from_u32(xt);
            let lz = (xt as u8).leading_zeros();
            r.lz = Val::from_u32(lz);
            bytes.add(ByteOp::Clz8, xt, 0);
            bytes.range8x2(32 * lz, 0);
        }
        None => r.none = Val::ONE,
    }
}

impl BaseAir<Val> for ClzChip {
    fn width(&self) -> usize {
        ClzCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ClzChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &ClzCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &[l.is_clz, l.is_clo]);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        // x = a, or its complement.
        let x = |k: usize| e(l.is_clz) * e(l.a[k]) + e(l.is_clo) * (c(255) - e(l.a[k]));

        let mut sum = e(l.none);
        b.assert_bool(l.none);
        for t in l.top {
            b.assert_bool(t);
            sum += e(t);
        }
        b.assert_eq(sum, is_real.clone());
        // The bytes above the top one are zero; with none, every byte is.
        let mut xt = Expr::<AB>::ZERO;
        for k in 0..4 {
            for j in k + 1..4 {
                if kept("clz.top") {
                    b.assert_zero(e(l.top[k]) * x(j));
                }
            }
            if kept("clz.none") {
                b.assert_zero(e(l.none) * x(k));
            }
            xt += e(l.top[k]) * x(k);
        }
        if kept("clz.xt") {
            b.assert_eq(l.xt, xt);
        }
        // The top byte's leading zeros, at most 7: the byte is not zero.
        let found = is_real.clone() - e(l.none);
        bus::byte(b, ByteOp::Clz8, l.xt, l.lz, c(0), found.clone());
        bus::range8x2(b, c(32) * e(l.lz), c(0), found);
        b.assert_zero(e(l.none) * e(l.lz));

        let mut n = c(32) * e(l.none) + e(l.lz);
        for k in 0..4 {
            n += c(8 * (3 - k as u32)) * e(l.top[k]);
        }
        let op = super::op_of::<AB>(&[(l.is_clz, Opcode::Clz), (l.is_clo, Opcode::Clo)]);
        super::receive_instr_exprs(
            b,
            op,
            e(l.clk),
            e(l.thread),
            l.a.map(Into::into),
            [c(0), c(0), c(0), c(0)],
            [n, c(0), c(0), c(0)],
            Expr::<AB>::ZERO,
            is_real,
        );
    }
}
