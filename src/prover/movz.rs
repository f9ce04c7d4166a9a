//! The conditional-move chip: `MOVZ rd, rs, rt` (`rd = rs` if `rt = 0`) and `MOVN` (if
//! `rt != 0`). The CPU sends `a = rs`, `b = rt` and, as `aux`, the register `rd` from the
//! ROM; the chip decides whether the move happens and, if so, writes `rd` itself at its
//! timestamp slot. Where it does not, `rd` is not accessed at all, so it keeps its value.
//!
//! `rt = 0` exactly when the sum of its bytes is zero (far below p); an inverse witness
//! shows a non-zero sum non-zero.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{access, AccessCols, Expr, Word, REG_STRIDE, SLOT_CHIP, SPACE_REG, TS_SLOTS};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};

/// A conditional move, with the access to `rd` where it moves.
#[derive(Clone, Copy, Debug)]
pub struct MovEvent {
    pub instr: InstrEvent,
    pub acc: Option<Access>,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct MovCols<T> {
    pub is_movz: T,
    pub is_movn: T,
    pub clk: T,
    pub thread: T,
    /// The register `rd` (the ROM's `aux`).
    pub rd: T,
    pub a: Word<T>,
    pub b: Word<T>,
    /// `b = 0`, and the inverse of `Σ b_k` where it is not.
    pub zero: T,
    pub inv: T,
    /// The move happens.
    pub moves: T,
    /// `rd` before the move (zero where there is none).
    pub prev: Word<T>,
    pub acc: AccessCols<T>,
}
columns!(MovCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct MovChip;

/// Whether `op` moves for the condition `b`.
pub fn moves(op: Opcode, b: u32) -> bool {
    (op == Opcode::Movz) == (b == 0)
}

impl MovChip {
    pub fn generate_trace(
        &self,
        events: &[MovEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<MovCols<Val>, _>(events, MovCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut MovCols<Val>, ev: &MovEvent, bytes: &mut ByteCounts) {
    let i = &ev.instr;
    r.is_movz = Val::from_bool(i.op == Opcode::Movz);
    r.is_movn = Val::from_bool(i.op == Opcode::Movn);
    r.clk = Val::from_u32(i.clk);
    r.thread = Val::from_u32(i.thread);
    r.rd = Val::from_u32(i.aux);
    r.a = super::word(i.a);
    r.b = super::word(i.b);
    r.zero = Val::from_bool(i.b == 0);
    let sum: u32 = i.b.to_le_bytes().iter().map(|&x| x as u32).sum();
    r.inv = Val::from_u32(sum).try_inverse().unwrap_or(Val::ZERO);
    r.moves = Val::from_bool(moves(i.op, i.b));
    if let Some(acc) = &ev.acc {
        r.prev = super::word(acc.prev);
        super::fill_access(&mut r.acc, acc, bytes);
    }
}

impl BaseAir<Val> for MovChip {
    fn width(&self) -> usize {
        MovCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for MovChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &MovCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &[l.is_movz, l.is_movn]);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let one = || Expr::<AB>::ONE;

        let sum = e(l.b[0]) + e(l.b[1]) + e(l.b[2]) + e(l.b[3]);
        b.assert_bool(l.zero);
        if kept("movz.zero") {
            b.assert_zero(e(l.zero) * sum.clone());
            b.assert_zero(is_real.clone() - e(l.zero) - sum * e(l.inv));
        }
        if kept("movz.moves") {
            b.assert_eq(
                l.moves,
                e(l.is_movz) * e(l.zero) + e(l.is_movn) * (one() - e(l.zero)),
            );
        }

        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        access(
            b,
            e(l.moves),
            c(SPACE_REG),
            e(l.thread) * c(REG_STRIDE) + e(l.rd),
            l.prev.map(Into::into),
            l.a.map(Into::into),
            ts,
            &l.acc,
        );
        // Without a move, prev is in no message: kept zero.
        for k in 0..4 {
            if kept("movz.prev") {
                b.assert_zero((one() - e(l.moves)) * e(l.prev[k]));
            }
        }

        let op = super::op_of::<AB>(&[(l.is_movz, Opcode::Movz), (l.is_movn, Opcode::Movn)]);
        super::receive_instr(
            b,
            op,
            &l.clk,
            &l.thread,
            &l.a,
            &l.b,
            [c(0), c(0), c(0), c(0)],
            e(l.rd),
            is_real,
        );
    }
}
