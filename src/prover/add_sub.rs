//! The add/sub chip: `ADDU`/`ADDIU`/`SUBU`, and `ADD`/`ADDI`/`SUB` with the proof that
//! they do not overflow (one that does traps, and is refused before proving).
//!
//! One byte adder serves both: an addition proves `a + b = c`, a subtraction `c + b = a`,
//! each byte with a boolean carry. Signed overflow of the adder `x + y = z` is the XOR of
//! the three sign bits and the carry out, so a trapping row proves
//! `sign(a) + sign(b) + sign(c) + carry_out` even. A subtraction overflows exactly when its
//! adder does, since then `c + b = a` only modulo 2^32.

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
pub struct AddSubCols<T> {
    pub is_add: T,
    pub is_add_trap: T,
    pub is_sub: T,
    pub is_sub_trap: T,
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    pub b: Word<T>,
    pub c: Word<T>,
    /// The adder's carry out of each byte.
    pub carry: Word<T>,
    /// Sign bits of a, b, c (on trapping rows).
    pub sign: [T; 3],
    /// `sign(a) + sign(b) + sign(c) + carry[3] = 2 (h0 + h1)` on trapping rows.
    pub half: [T; 2],
}
columns!(AddSubCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct AddSubChip;

impl AddSubChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<AddSubCols<Val>, _>(events, AddSubCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut AddSubCols<Val>, ev: &InstrEvent, bytes: &mut ByteCounts) {
    let sub = matches!(ev.op, Opcode::Sub | Opcode::SubTrap);
    let trap = matches!(ev.op, Opcode::AddTrap | Opcode::SubTrap);
    r.is_add = Val::from_bool(ev.op == Opcode::Add);
    r.is_add_trap = Val::from_bool(ev.op == Opcode::AddTrap);
    r.is_sub = Val::from_bool(ev.op == Opcode::Sub);
    r.is_sub_trap = Val::from_bool(ev.op == Opcode::SubTrap);
    r.clk = Val::from_u32(ev.clk);
    r.thread = Val::from_u32(ev.thread);
    r.a = super::word(ev.a);
    r.b = super::word(ev.b);
    r.c = super::word(ev.c);
    let (x, y) = if sub { (ev.c, ev.b) } else { (ev.a, ev.b) };
    let (xb, yb) = (x.to_le_bytes(), y.to_le_bytes());
    let mut carry = 0u32;
    for k in 0..4 {
        carry = (xb[k] as u32 + yb[k] as u32 + carry) >> 8;
        r.carry[k] = Val::from_u32(carry);
    }
    let cb = ev.c.to_le_bytes();
    bytes.range8x2(cb[0] as u32, cb[1] as u32);
    bytes.range8x2(cb[2] as u32, cb[3] as u32);
    if trap {
        let s = [ev.a >> 31, ev.b >> 31, ev.c >> 31];
        for (k, &v) in s.iter().enumerate() {
            r.sign[k] = Val::from_u32(v);
        }
        bytes.add(ByteOp::Msb, ev.a >> 24, 0);
        bytes.add(ByteOp::Msb, ev.b >> 24, 0);
        bytes.add(ByteOp::Msb, ev.c >> 24, 0);
        let sum = s.iter().sum::<u32>() + carry;
        r.half = [Val::from_bool(sum >= 2), Val::from_bool(sum >= 4)];
    }
}

impl BaseAir<Val> for AddSubChip {
    fn width(&self) -> usize {
        AddSubCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for AddSubChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &AddSubCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let flags = [l.is_add, l.is_add_trap, l.is_sub, l.is_sub_trap];
        let is_real = super::assert_flags(b, &flags);
        let is_sub: Expr<AB> = l.is_sub.into() + l.is_sub_trap.into();
        let trap: Expr<AB> = l.is_add_trap.into() + l.is_sub_trap.into();

        // The adder x + y = z: (a, b, c) for an addition, (c, b, a) for a subtraction.
        for k in 0..4 {
            let x = l.a[k].into() + is_sub.clone() * (l.c[k].into() - l.a[k].into());
            let z = l.c[k].into() + is_sub.clone() * (l.a[k].into() - l.c[k].into());
            let carry_in: Expr<AB> = if k == 0 {
                Expr::<AB>::ZERO
            } else {
                l.carry[k - 1].into()
            };
            if kept("add_sub.adder") {
                b.assert_zero(
                    x + l.b[k].into() + carry_in
                        - z
                        - l.carry[k].into() * Expr::<AB>::from_u32(256),
                );
            }
            b.assert_bool(l.carry[k]);
        }
        // The result is four bytes.
        bus::range8x2(b, l.c[0], l.c[1], is_real.clone());
        bus::range8x2(b, l.c[2], l.c[3], is_real.clone());

        // No signed overflow on trapping rows.
        for (k, w) in [l.a, l.b, l.c].iter().enumerate() {
            bus::byte(
                b,
                ByteOp::Msb,
                w[3],
                l.sign[k],
                Expr::<AB>::ZERO,
                trap.clone(),
            );
        }
        for h in l.half {
            b.assert_bool(h);
        }
        let parity: Expr<AB> =
            l.sign[0].into() + l.sign[1].into() + l.sign[2].into() + l.carry[3].into()
                - (l.half[0].into() + l.half[1].into()) * Expr::<AB>::TWO;
        if kept("add_sub.parity") {
            b.assert_zero(trap * parity);
        }
        // Unused off the trapping rows: kept zero.
        let not_trap = Expr::<AB>::ONE - l.is_add_trap.into() - l.is_sub_trap.into();
        for v in l.sign.iter().chain(&l.half) {
            b.assert_zero(not_trap.clone() * (*v).into());
        }

        let op = super::op_of::<AB>(&[
            (l.is_add, Opcode::Add),
            (l.is_add_trap, Opcode::AddTrap),
            (l.is_sub, Opcode::Sub),
            (l.is_sub_trap, Opcode::SubTrap),
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
