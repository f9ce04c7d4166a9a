//! The byte-rearranging chip: `SEB` and `SEH` (sign-extend the low byte or halfword) and
//! `WSBH` (swap the bytes within each halfword), `c` from the bytes of `a` and, for the
//! extensions, the sign bit of the byte or halfword, from the byte table.

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
pub struct SextCols<T> {
    pub is_seb: T,
    pub is_seh: T,
    pub is_wsbh: T,
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    /// The sign bit of byte 0 (`SEB`) or byte 1 (`SEH`).
    pub sign: T,
}
columns!(SextCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct SextChip;

/// The answer of `SEB`, `SEH` or `WSBH`.
pub fn rearrange(op: Opcode, a: u32) -> u32 {
    match op {
        Opcode::Seb => a as u8 as i8 as i32 as u32,
        Opcode::Seh => a as u16 as i16 as i32 as u32,
        _ => ((a & 0x00ff_00ff) << 8) | ((a >> 8) & 0x00ff_00ff),
    }
}

impl SextChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<SextCols<Val>, _>(events, SextCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut SextCols<Val>, ev: &InstrEvent, bytes: &mut ByteCounts) {
    r.is_seb = Val::from_bool(ev.op == Opcode::Seb);
    r.is_seh = Val::from_bool(ev.op == Opcode::Seh);
    r.is_wsbh = Val::from_bool(ev.op == Opcode::Wsbh);
    r.clk = Val::from_u32(ev.clk);
    r.thread = Val::from_u32(ev.thread);
    r.a = super::word(ev.a);
    let byte = match ev.op {
        Opcode::Seb => Some(ev.a & 0xff),
        Opcode::Seh => Some((ev.a >> 8) & 0xff),
        _ => None,
    };
    if let Some(x) = byte {
        r.sign = Val::from_u32(x >> 7);
        bytes.add(ByteOp::Msb, x, 0);
    }
}

impl BaseAir<Val> for SextChip {
    fn width(&self) -> usize {
        SextCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for SextChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &SextCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &[l.is_seb, l.is_seh, l.is_wsbh]);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let (seb, seh, wsbh) = (e(l.is_seb), e(l.is_seh), e(l.is_wsbh));
        let ext = seb.clone() + seh.clone();
        bus::byte(
            b,
            ByteOp::Msb,
            seb.clone() * e(l.a[0]) + seh.clone() * e(l.a[1]),
            l.sign,
            c(0),
            ext.clone(),
        );
        // On WSBH rows the sign is in no message: kept zero.
        b.assert_zero(wsbh.clone() * e(l.sign));
        let fill = c(255) * e(l.sign);
        let answer = [
            ext.clone() * e(l.a[0]) + wsbh.clone() * e(l.a[1]),
            seb.clone() * fill.clone() + seh.clone() * e(l.a[1]) + wsbh.clone() * e(l.a[0]),
            ext.clone() * fill.clone() + wsbh.clone() * e(l.a[3]),
            ext * fill + wsbh * e(l.a[2]),
        ];
        let op = super::op_of::<AB>(&[
            (l.is_seb, Opcode::Seb),
            (l.is_seh, Opcode::Seh),
            (l.is_wsbh, Opcode::Wsbh),
        ]);
        super::receive_instr_exprs(
            b,
            op,
            e(l.clk),
            e(l.thread),
            l.a.map(Into::into),
            [c(0), c(0), c(0), c(0)],
            answer,
            Expr::<AB>::ZERO,
            is_real,
        );
    }
}
