//! The bitwise chip: `AND`, `OR`, `XOR`, `NOR` and their immediate forms (and `LUI`,
//! `MFHI`/`MTHI`/`MFLO`/`MTLO`, which the ROM turns into an `OR` with zero), byte by byte
//! through the byte table. `NOR` looks up `OR` and complements it.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{self, ByteOp, Expr, Word};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::program::Opcode;
use super::witness::InstrEvent;

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct BitwiseCols<T> {
    pub is_and: T,
    pub is_or: T,
    pub is_xor: T,
    pub is_nor: T,
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    pub b: Word<T>,
    /// The byte table's answer: `a & b`, `a | b` or `a ^ b` (for `NOR`, `a | b`).
    pub r: Word<T>,
}
columns!(BitwiseCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct BitwiseChip;

impl BitwiseChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<BitwiseCols<Val>, _>(events, BitwiseCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut BitwiseCols<Val>, ev: &InstrEvent, bytes: &mut ByteCounts) {
    r.is_and = Val::from_bool(ev.op == Opcode::And);
    r.is_or = Val::from_bool(ev.op == Opcode::Or);
    r.is_xor = Val::from_bool(ev.op == Opcode::Xor);
    r.is_nor = Val::from_bool(ev.op == Opcode::Nor);
    r.clk = Val::from_u32(ev.clk);
    r.thread = Val::from_u32(ev.thread);
    r.a = super::word(ev.a);
    r.b = super::word(ev.b);
    let (op, res) = match ev.op {
        Opcode::And => (ByteOp::And, ev.a & ev.b),
        Opcode::Xor => (ByteOp::Xor, ev.a ^ ev.b),
        _ => (ByteOp::Or, ev.a | ev.b),
    };
    r.r = super::word(res);
    let (ab, bb) = (ev.a.to_le_bytes(), ev.b.to_le_bytes());
    for k in 0..4 {
        bytes.add(op, ab[k] as u32, bb[k] as u32);
    }
}

impl BaseAir<Val> for BitwiseChip {
    fn width(&self) -> usize {
        BitwiseCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for BitwiseChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &BitwiseCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &[l.is_and, l.is_or, l.is_xor, l.is_nor]);
        let tag: Expr<AB> = l.is_and.into() * Expr::<AB>::from_u8(ByteOp::And as u8)
            + (l.is_or.into() + l.is_nor.into()) * Expr::<AB>::from_u8(ByteOp::Or as u8)
            + l.is_xor.into() * Expr::<AB>::from_u8(ByteOp::Xor as u8);
        for k in 0..4 {
            b.push_interaction(
                bus::BYTE,
                [tag.clone(), l.a[k].into(), l.b[k].into(), l.r[k].into()],
                p3_lookup::Count::bounded(is_real.clone(), 1),
            );
        }
        // c = r, or 255 - r for NOR.
        let c: [Expr<AB>; 4] = std::array::from_fn(|k| {
            l.r[k].into()
                + l.is_nor.into() * (Expr::<AB>::from_u32(255) - l.r[k].into() * Expr::<AB>::TWO)
        });
        let op = super::op_of::<AB>(&[
            (l.is_and, Opcode::And),
            (l.is_or, Opcode::Or),
            (l.is_xor, Opcode::Xor),
            (l.is_nor, Opcode::Nor),
        ]);
        super::receive_instr(
            b,
            op,
            &l.clk,
            &l.thread,
            &l.a,
            &l.b,
            c,
            Expr::<AB>::ZERO,
            is_real,
        );
    }
}
