//! The bit-field chip: `EXT rt, rs, pos, size` (`rt = (rs >> pos) & mask(size)`) and
//! `INS rt, rs, pos, size` (bits `pos..pos + size` of rt replaced by the low `size` bits of
//! rs). `pos` and `size` are the ROM's `aux = pos + 256 size`, constants of the program.
//!
//! The chip works on bits: `a` (and `b`, rt's old value, for `INS`) as 32 boolean columns
//! that recompose its bytes; `pos` one-hot in `at`; the size as a prefix of ones in `m`
//! (`m_0 = 1` on real rows, `m_j >= m_(j+1)`, `Σ m = size`). `EXT` shifts `a` right by
//! `pos` (`t_j = Σ_p at_p a_(j+p)`) and masks with `m`; `INS` shifts the masked `a` left
//! (`s_j = Σ_p at_p a_(j-p) m_(j-p)`) and the mask with it (`ms_j = Σ_p at_p m_(j-p)`),
//! and keeps `b`'s bits outside: `c_j = s_j + b_j (1 - ms_j)`. A field that would pass bit
//! 31 has no such decomposition, and the ROM never asks for one (the VM refuses it).

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{Expr, Word};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::InstrEvent;

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct ExtCols<T> {
    pub is_ext: T,
    pub is_ins: T,
    pub clk: T,
    pub thread: T,
    /// The ROM's `pos + 256 size`.
    pub aux: T,
    pub a: Word<T>,
    pub b: Word<T>,
    /// The bits of `a` and `b`, least significant first.
    pub a_bits: [T; 32],
    pub b_bits: [T; 32],
    /// `pos`, one-hot, and `size` as a prefix of ones.
    pub at: [T; 32],
    pub m: [T; 32],
    /// The bits of the answer: `EXT`'s shifted `a`, or `INS`'s shifted field, and the
    /// shifted mask.
    pub t: [T; 32],
    pub ms: [T; 32],
    /// `a`'s bits under the mask (`INS`), and the answer's bits.
    pub u: [T; 32],
    pub cb: [T; 32],
}
columns!(ExtCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct ExtChip;

fn mask(size: u32) -> u32 {
    if size >= 32 {
        u32::MAX
    } else {
        (1 << size) - 1
    }
}

/// The answer of `EXT` or `INS` with `aux = pos + 256 size` on `a` (rs) and `b` (rt).
pub fn bit_field(op: Opcode, a: u32, b: u32, aux: u32) -> u32 {
    let (pos, size) = (aux & 0xff, aux >> 8);
    if op == Opcode::Ext {
        (a >> pos) & mask(size)
    } else {
        let m = mask(size) << pos;
        (b & !m) | ((a << pos) & m)
    }
}

impl ExtChip {
    pub fn generate_trace(
        &self,
        events: &[InstrEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<ExtCols<Val>, _>(events, ExtCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut ExtCols<Val>, ev: &InstrEvent, _bytes: &mut ByteCounts) {
    let f = |bit: bool| Val::from_bool(bit);
    let ext = ev.op == Opcode::Ext;
    r.is_ext = f(ext);
    r.is_ins = f(!ext);
    r.clk = Val::from_u32(ev.clk);
    r.thread = Val::from_u32(ev.thread);
    r.aux = Val::from_u32(ev.aux);
    r.a = super::word(ev.a);
    r.b = super::word(ev.b);
    let (pos, size) = (ev.aux & 0xff, ev.aux >> 8);
    let m = mask(size);
    for j in 0..32 {
        r.a_bits[j] = f(ev.a >> j & 1 == 1);
        r.b_bits[j] = f(ev.b >> j & 1 == 1);
        r.at[j] = f(j as u32 == pos);
        r.m[j] = f(m >> j & 1 == 1);
    }
    let (t, ms) = if ext {
        (ev.a >> pos, 0)
    } else {
        ((ev.a & m) << pos, m << pos)
    };
    let answer = bit_field(ev.op, ev.a, ev.b, ev.aux);
    for j in 0..32 {
        r.t[j] = f(t >> j & 1 == 1);
        r.ms[j] = f(ms >> j & 1 == 1);
        r.u[j] = f((ev.a & m) >> j & 1 == 1);
        r.cb[j] = f(answer >> j & 1 == 1);
    }
}

impl BaseAir<Val> for ExtChip {
    fn width(&self) -> usize {
        ExtCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ExtChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &ExtCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &[l.is_ext, l.is_ins]);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let one = || Expr::<AB>::ONE;
        let (is_ext, is_ins) = (e(l.is_ext), e(l.is_ins));

        // Bits: boolean, recomposing the bytes of a and b.
        for k in 0..4 {
            let (mut av, mut bv) = (Expr::<AB>::ZERO, Expr::<AB>::ZERO);
            for i in 0..8 {
                av += e(l.a_bits[8 * k + i]) * c(1 << i);
                bv += e(l.b_bits[8 * k + i]) * c(1 << i);
            }
            b.assert_eq(l.a[k], av);
            b.assert_eq(l.b[k], bv);
        }
        // pos one-hot; size a prefix of ones starting at bit 0; aux = pos + 256 size.
        let (mut at_sum, mut pos, mut size) =
            (Expr::<AB>::ZERO, Expr::<AB>::ZERO, Expr::<AB>::ZERO);
        for j in 0..32 {
            for bit in [l.a_bits[j], l.b_bits[j], l.at[j], l.m[j], l.t[j], l.ms[j]] {
                b.assert_bool(bit);
            }
            b.assert_eq(l.u[j], e(l.a_bits[j]) * e(l.m[j]));
            at_sum += e(l.at[j]);
            pos += e(l.at[j]) * c(j as u32);
            size += e(l.m[j]);
            if j > 0 {
                b.assert_zero(e(l.m[j]) * (one() - e(l.m[j - 1])));
            }
        }
        b.assert_eq(at_sum, is_real.clone());
        b.assert_eq(l.m[0], is_real.clone());
        b.assert_eq(l.aux, pos + c(256) * size);

        // EXT: t = a >> pos, then c_j = t_j m_j. INS: t = (a & m) << pos, ms = m << pos,
        // c_j = t_j + b_j (1 - ms_j). A field past bit 31 would need bits above 31: the
        // shifted sums have no term for them, so the bits of a that would be shifted out
        // (INS) or in from above (EXT) are simply absent, which the size bound excludes.
        for j in 0..32 {
            let mut right = Expr::<AB>::ZERO;
            let mut left = Expr::<AB>::ZERO;
            let mut mask = Expr::<AB>::ZERO;
            for p in 0..32 {
                if j + p < 32 {
                    right += e(l.at[p]) * e(l.a_bits[j + p]);
                }
                if p <= j {
                    left += e(l.at[p]) * e(l.u[j - p]);
                    mask += e(l.at[p]) * e(l.m[j - p]);
                }
            }
            b.assert_zero(is_ext.clone() * (e(l.t[j]) - right));
            b.assert_zero(is_ins.clone() * (e(l.t[j]) - left));
            b.assert_zero(is_ins.clone() * (e(l.ms[j]) - mask));
            // (ms is in no constraint on EXT rows but this.)
            b.assert_zero(is_ext.clone() * e(l.ms[j]));
        }
        // EXT: pos + size <= 32, so that no bit of the field comes from above bit 31: with
        // at_p and m_j set, p + j < 32.
        for p in 0..32 {
            for j in 0..32 {
                if p + j >= 32 {
                    b.assert_zero(e(l.at[p]) * e(l.m[j]));
                }
            }
        }
        if kept("ext.result") {
            for j in 0..32 {
                b.assert_eq(
                    l.cb[j],
                    is_ext.clone() * e(l.t[j]) * e(l.m[j])
                        + is_ins.clone() * (e(l.t[j]) + e(l.b_bits[j]) * (one() - e(l.ms[j]))),
                );
            }
        }
        let answer: [Expr<AB>; 4] = std::array::from_fn(|k| {
            (0..8).fold(Expr::<AB>::ZERO, |v, i| v + e(l.cb[8 * k + i]) * c(1 << i))
        });
        let op = super::op_of::<AB>(&[(l.is_ext, Opcode::Ext), (l.is_ins, Opcode::Ins)]);
        super::receive_instr(
            b,
            op,
            &l.clk,
            &l.thread,
            &l.a,
            &l.b,
            answer,
            e(l.aux),
            is_real,
        );
    }
}
