//! The compare chip: `SLT`, `SLTU` (and `SLTI`, `SLTIU`), answering `c = [a < b, 0, 0, 0]`,
//! and the trap instructions `TEQ`, `TNE`, `TGE`, `TGEU`, `TLT`, `TLTU` (and their
//! immediate forms) when they do not fire: the chip proves the trap condition false and
//! answers 0. A trap that fires is not provable (yet); it never reaches a chip.
//!
//! Both come from one subtraction `a - b = d - 2^32 borrow`, byte by byte: `d` is four
//! range-checked bytes and each byte's borrow a boolean, so the final borrow is `a <u b`.
//! The signed order flips it where the signs differ: `a <s b` is `sa` if `sa != sb`, else
//! the borrow. `a = b` exactly when `Σ d_k = 0` (each `d_k` is a byte, so the sum is far
//! below p); an inverse witness shows a non-zero sum non-zero.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{self, ByteOp, Expr, Word};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::InstrEvent;

const OPS: [Opcode; 8] = [
    Opcode::Slt,
    Opcode::Sltu,
    Opcode::Teq,
    Opcode::Tne,
    Opcode::Tge,
    Opcode::Tgeu,
    Opcode::Tlt,
    Opcode::Tltu,
];

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct CompareCols<T> {
    /// One flag per operation, in the order of `OPS`.
    pub is_op: [T; 8],
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    pub b: Word<T>,
    /// `a - b mod 2^32` and the borrow out of each byte.
    pub d: Word<T>,
    pub borrow: Word<T>,
    /// The sign bits of `a` and `b`.
    pub sa: T,
    pub sb: T,
    /// `a < b` in the operation's order, and `a = b`.
    pub lt: T,
    pub eq: T,
    /// The inverse of `Σ d_k` where it is non-zero.
    pub inv: T,
}
columns!(CompareCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct CompareChip;

/// Whether `op` compares signed.
fn signed(op: Opcode) -> bool {
    matches!(op, Opcode::Slt | Opcode::Tge | Opcode::Tlt)
}

/// `a < b` in `op`'s order.
pub fn less(op: Opcode, a: u32, b: u32) -> bool {
    if signed(op) {
        (a as i32) < (b as i32)
    } else {
        a < b
    }
}

/// Whether the trap `op` fires on `a`, `b`.
pub fn trap_fires(op: Opcode, a: u32, b: u32) -> bool {
    match op {
        Opcode::Teq => a == b,
        Opcode::Tne => a != b,
        Opcode::Tge | Opcode::Tgeu => !less(op, a, b),
        Opcode::Tlt | Opcode::Tltu => less(op, a, b),
        _ => false,
    }
}

impl CompareChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<CompareCols<Val>, _>(events, CompareCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut CompareCols<Val>, ev: &InstrEvent, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    for (flag, op) in r.is_op.iter_mut().zip(OPS) {
        *flag = Val::from_bool(ev.op == op);
    }
    r.clk = f(ev.clk);
    r.thread = f(ev.thread);
    r.a = super::word(ev.a);
    r.b = super::word(ev.b);
    let (a, b) = (ev.a.to_le_bytes(), ev.b.to_le_bytes());
    let mut br = 0u32;
    let mut d = [0u32; 4];
    for k in 0..4 {
        let x = a[k] as i32 - b[k] as i32 - br as i32;
        br = (x < 0) as u32;
        d[k] = (x + 256 * br as i32) as u32;
        r.borrow[k] = f(br);
    }
    r.d = d.map(f);
    bytes.range8x2(d[0], d[1]);
    bytes.range8x2(d[2], d[3]);
    r.sa = f(ev.a >> 31);
    r.sb = f(ev.b >> 31);
    bytes.add(ByteOp::Msb, ev.a >> 24, 0);
    bytes.add(ByteOp::Msb, ev.b >> 24, 0);
    r.lt = Val::from_bool(less(ev.op, ev.a, ev.b));
    r.eq = Val::from_bool(ev.a == ev.b);
    r.inv = f(d.iter().sum()).try_inverse().unwrap_or(Val::ZERO);
}

impl BaseAir<Val> for CompareChip {
    fn width(&self) -> usize {
        CompareCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for CompareChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &CompareCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &l.is_op);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let one = || Expr::<AB>::ONE;
        let [slt, sltu, teq, tne, tge, tgeu, tlt, tltu] = l.is_op;

        // a - b, byte by byte: a_k - b_k - borrow_(k-1) = d_k - 256 borrow_k.
        for k in 0..4 {
            b.assert_bool(l.borrow[k]);
            let prev = if k > 0 { e(l.borrow[k - 1]) } else { c(0) };
            b.assert_zero(e(l.a[k]) - e(l.b[k]) - prev - e(l.d[k]) + c(256) * e(l.borrow[k]));
        }
        bus::range8x2(b, l.d[0], l.d[1], is_real.clone());
        bus::range8x2(b, l.d[2], l.d[3], is_real.clone());
        bus::byte(b, ByteOp::Msb, l.a[3], l.sa, c(0), is_real.clone());
        bus::byte(b, ByteOp::Msb, l.b[3], l.sb, c(0), is_real.clone());

        // lt: the borrow; for a signed order where the signs differ, a's sign. Where they
        // differ the borrow is b's sign, so the signed lt is borrow + sa - sb.
        let is_signed = e(slt) + e(tge) + e(tlt);
        if kept("compare.lt") {
            b.assert_zero(
                e(l.lt) - is_real.clone() * e(l.borrow[3]) - is_signed * (e(l.sa) - e(l.sb)),
            );
        }
        // eq: Σ d = 0.
        let sum = e(l.d[0]) + e(l.d[1]) + e(l.d[2]) + e(l.d[3]);
        b.assert_bool(l.eq);
        if kept("compare.eq") {
            b.assert_zero(e(l.eq) * sum.clone());
            b.assert_zero(is_real.clone() - e(l.eq) - sum * e(l.inv));
        }

        // A trap that is executed does not fire.
        if kept("compare.trap") {
            b.assert_zero(e(teq) * e(l.eq));
            b.assert_zero(e(tne) * (one() - e(l.eq)));
            b.assert_zero((e(tge) + e(tgeu)) * (one() - e(l.lt)));
            b.assert_zero((e(tlt) + e(tltu)) * e(l.lt));
        }

        let op = super::op_of::<AB>(&l.is_op.iter().copied().zip(OPS).collect::<Vec<_>>());
        let answer = [(e(slt) + e(sltu)) * e(l.lt), c(0), c(0), c(0)];
        super::receive_instr(
            b,
            op,
            &l.clk,
            &l.thread,
            &l.a,
            &l.b,
            answer,
            Expr::<AB>::ZERO,
            is_real,
        );
    }
}
