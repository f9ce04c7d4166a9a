//! The branch chip: the conditions of `BEQ`, `BNE`, `BLEZ`, `BGTZ`, `BLTZ`, `BGEZ` (and
//! their likely and linking forms), answered as `c = [taken, 0, 0, 0]`. The CPU does the
//! rest: the targets are static in the ROM, the delay slot is `next_pc`.
//!
//! Equality compares the two 16-bit halves, each difference far below p, so `a = b` as
//! words exactly when both differences are zero; one inverse witness per half shows that
//! a non-zero one is non-zero. The comparisons with zero use `b = $zero`, so they reuse the
//! equality with the sign bit of `a`.

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

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct BranchCols<T> {
    pub is_beq: T,
    pub is_bne: T,
    pub is_blez: T,
    pub is_bgtz: T,
    pub is_bltz: T,
    pub is_bgez: T,
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    pub b: Word<T>,
    /// `a = b`.
    pub eq: T,
    /// Inverses of the half differences, where non-zero (witnesses for `eq = 0`).
    pub inv: [T; 2],
    /// The sign bit of `a`.
    pub sign: T,
}
columns!(BranchCols);

const OPS: [Opcode; 6] = [
    Opcode::Beq,
    Opcode::Bne,
    Opcode::Blez,
    Opcode::Bgtz,
    Opcode::Bltz,
    Opcode::Bgez,
];

#[derive(Clone, Copy, Debug, Default)]
pub struct BranchChip;

impl BranchChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<BranchCols<Val>, _>(events, BranchCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn half_diffs(a: u32, b: u32) -> [Val; 2] {
    [
        Val::from_u32(a & 0xffff) - Val::from_u32(b & 0xffff),
        Val::from_u32(a >> 16) - Val::from_u32(b >> 16),
    ]
}

fn fill_row(r: &mut BranchCols<Val>, ev: &InstrEvent, bytes: &mut ByteCounts) {
    let flags = [
        &mut r.is_beq,
        &mut r.is_bne,
        &mut r.is_blez,
        &mut r.is_bgtz,
        &mut r.is_bltz,
        &mut r.is_bgez,
    ];
    for (f, op) in flags.into_iter().zip(OPS) {
        *f = Val::from_bool(ev.op == op);
    }
    r.clk = Val::from_u32(ev.clk);
    r.thread = Val::from_u32(ev.thread);
    r.a = super::word(ev.a);
    r.b = super::word(ev.b);
    r.eq = Val::from_bool(ev.a == ev.b);
    for (inv, d) in r.inv.iter_mut().zip(half_diffs(ev.a, ev.b)) {
        *inv = d.try_inverse().unwrap_or(Val::ZERO);
    }
    if ev.a != ev.b {
        // Only one inverse is needed: the first non-zero half.
        if (ev.a ^ ev.b) & 0xffff != 0 {
            r.inv[1] = Val::ZERO;
        }
    }
    r.sign = Val::from_u32(ev.a >> 31);
    bytes.add(ByteOp::Msb, ev.a >> 24, 0);
}

impl BaseAir<Val> for BranchChip {
    fn width(&self) -> usize {
        BranchCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for BranchChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &BranchCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let flags = [
            l.is_beq, l.is_bne, l.is_blez, l.is_bgtz, l.is_bltz, l.is_bgez,
        ];
        let is_real = super::assert_flags(b, &flags);
        let one = || Expr::<AB>::ONE;

        // eq = 1 exactly when both half differences are zero.
        let half = |w: &Word<AB::Var>, h: usize| -> Expr<AB> {
            w[2 * h].into() + w[2 * h + 1].into() * Expr::<AB>::from_u32(256)
        };
        let d = [half(&l.a, 0) - half(&l.b, 0), half(&l.a, 1) - half(&l.b, 1)];
        b.assert_zero(l.eq.into() * (is_real.clone() - l.eq.into()));
        if kept("branch.eq") {
            for dk in &d {
                b.assert_zero(l.eq.into() * dk.clone());
            }
            b.assert_zero(
                is_real.clone()
                    - l.eq.into()
                    - d[0].clone() * l.inv[0].into()
                    - d[1].clone() * l.inv[1].into(),
            );
        }
        bus::byte(
            b,
            ByteOp::Msb,
            l.a[3],
            l.sign,
            Expr::<AB>::ZERO,
            is_real.clone(),
        );

        let eq: Expr<AB> = l.eq.into();
        let s: Expr<AB> = l.sign.into();
        let taken = l.is_beq.into() * eq.clone()
            + l.is_bne.into() * (one() - eq.clone())
            + l.is_blez.into() * (s.clone() + eq.clone())
            + l.is_bgtz.into() * (one() - s.clone() - eq)
            + l.is_bltz.into() * s.clone()
            + l.is_bgez.into() * (one() - s);
        let c = [taken, Expr::<AB>::ZERO, Expr::<AB>::ZERO, Expr::<AB>::ZERO];
        let op = super::op_of::<AB>(&[
            (l.is_beq, Opcode::Beq),
            (l.is_bne, Opcode::Bne),
            (l.is_blez, Opcode::Blez),
            (l.is_bgtz, Opcode::Bgtz),
            (l.is_bltz, Opcode::Bltz),
            (l.is_bgez, Opcode::Bgez),
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
