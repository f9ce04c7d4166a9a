//! The divide chip: `DIV` and `DIVU`, the quotient into LO and the remainder into HI. The
//! chip reads and writes HI and LO itself, at its timestamp slot.
//!
//! Where MIPS leaves the result unpredictable (a zero divisor, and `INT_MIN / -1` for
//! `DIV`) the VM divides by 1, as QEMU does; so the chip divides `a` by the effective
//! divisor `d`, which is `b`, or 1 in those two cases. Both are recognised exactly: `b = 0`
//! when `Σ b_k = 0`, and the overflow when `D = a_0 + a_1 + a_2 + (a_3 - 128)^2 + Σ (255 - b_k)`
//! is 0, each sum of non-negative terms far below p, with an inverse witness for non-zero.
//!
//! Then `a = q d + r`, checked as a 64-bit identity on operands sign-extended to eight
//! bytes (for `DIV`; zero-extended for `DIVU`), byte by byte with range-checked carries.
//! Every 32-bit signed (or unsigned) `q d + r` lies within (-2^63, 2^63) (or [0, 2^64)),
//! so the identity modulo 2^64 is the integer one. The remainder is bounded:
//! `|r| < |d|`, from the absolute values (`|x| = x`, or `2^32 - x` proved by an addition
//! to 2^32) and a byte-wise subtraction whose final borrow must be 1; and it takes the
//! sign of `a`: `r < 0` only if `a < 0`, and `r > 0` only if `a >= 0`. Those pin `q` and
//! `r` to the truncating division.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, REG_HI, REG_LO, REG_STRIDE, SLOT_CHIP, SPACE_REG,
    TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};

/// A divide, with HI and LO before, and their accesses.
#[derive(Clone, Copy, Debug)]
pub struct DivEvent {
    pub instr: InstrEvent,
    pub hi: u32,
    pub lo: u32,
    pub acc: [Access; 2],
}

/// `|x|`, as the chip proves it: the sign, the absolute value and the carries of
/// `|x| + x = 2^32` (for a negative `x`).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct AbsCols<T> {
    pub abs: Word<T>,
    pub carry: Word<T>,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct DivCols<T> {
    pub is_div: T,
    pub is_divu: T,
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    pub b: Word<T>,
    /// The quotient and remainder (new LO and HI), and the effective divisor.
    pub q: Word<T>,
    pub r: Word<T>,
    pub d: Word<T>,
    /// Sign bits (zero for `DIVU`).
    pub sa: T,
    pub sq: T,
    pub sr: T,
    pub sd: T,
    /// `b = 0`, with the inverse of `Σ b_k` where it is not.
    pub b_zero: T,
    pub b_inv: T,
    /// `DIV INT_MIN, -1`: the sum `D`, the flag, the inverse of `D`.
    pub ovf_sum: T,
    pub ovf: T,
    pub ovf_inv: T,
    /// `r = 0`, with the inverse of `Σ r_k` where it is not.
    pub r_zero: T,
    pub r_inv: T,
    /// The carries of `q d + r = a` over eight bytes.
    pub carry: [T; 8],
    pub abs_r: AbsCols<T>,
    pub abs_d: AbsCols<T>,
    /// `|r| - |d| = diff - 2^32` (the final borrow is 1): the difference and borrows.
    pub diff: Word<T>,
    pub borrow: Word<T>,
    /// HI and LO before.
    pub hi: Word<T>,
    pub lo: Word<T>,
    pub hi_acc: AccessCols<T>,
    pub lo_acc: AccessCols<T>,
}
columns!(DivCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct DivChip;

/// The VM's `(HI, LO)` after a divide of `a` by `b`.
pub fn divide(op: Opcode, a: u32, b: u32) -> (u32, u32) {
    if op == Opcode::Div {
        let (n, d) = (a as i32, b as i32);
        if d == 0 || (n == i32::MIN && d == -1) {
            (0, a)
        } else {
            ((n % d) as u32, (n / d) as u32)
        }
    } else {
        match a.checked_div(b) {
            Some(q) => (a % b, q),
            None => (0, a),
        }
    }
}

impl DivChip {
    pub fn generate_trace(
        &self,
        events: &[DivEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<DivCols<Val>, _>(events, DivCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_abs(cols: &mut AbsCols<Val>, x: u32, signed: bool, bytes: &mut ByteCounts) -> u32 {
    let neg = signed && x >> 31 == 1;
    let abs = if neg { x.wrapping_neg() } else { x };
    cols.abs = super::word(abs);
    let (ab, xb) = (abs.to_le_bytes(), x.to_le_bytes());
    bytes.range8x2(ab[0] as u32, ab[1] as u32);
    bytes.range8x2(ab[2] as u32, ab[3] as u32);
    if neg {
        let mut c = 0u32;
        for k in 0..4 {
            c = (ab[k] as u32 + xb[k] as u32 + c) >> 8;
            cols.carry[k] = Val::from_u32(c);
        }
    }
    abs
}

fn fill_row(r: &mut DivCols<Val>, ev: &DivEvent, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    let op = ev.instr.op;
    let signed = op == Opcode::Div;
    r.is_div = Val::from_bool(signed);
    r.is_divu = Val::from_bool(!signed);
    r.clk = f(ev.instr.clk);
    r.thread = f(ev.instr.thread);
    let (a, b) = (ev.instr.a, ev.instr.b);
    r.a = super::word(a);
    r.b = super::word(b);
    let (rem, q) = divide(op, a, b);
    let ovf = signed && a == 0x8000_0000 && b == 0xffff_ffff;
    let d = if b == 0 || ovf { 1 } else { b };
    r.q = super::word(q);
    r.r = super::word(rem);
    r.d = super::word(d);
    let qb = q.to_le_bytes();
    bytes.range8x2(qb[0] as u32, qb[1] as u32);
    bytes.range8x2(qb[2] as u32, qb[3] as u32);
    let rb = rem.to_le_bytes();
    bytes.range8x2(rb[0] as u32, rb[1] as u32);
    bytes.range8x2(rb[2] as u32, rb[3] as u32);
    let sign = |x: u32| if signed { x >> 31 } else { 0 };
    r.sa = f(sign(a));
    r.sq = f(sign(q));
    r.sr = f(sign(rem));
    r.sd = f(sign(d));
    if signed {
        for x in [a, q, rem, d] {
            bytes.add(ByteOp::Msb, x >> 24, 0);
        }
    }
    let bsum: u32 = b.to_le_bytes().iter().map(|&x| x as u32).sum();
    r.b_zero = Val::from_bool(b == 0);
    r.b_inv = f(bsum).try_inverse().unwrap_or(Val::ZERO);
    if signed {
        let ab = a.to_le_bytes();
        let sum = ab[0] as u32
            + ab[1] as u32
            + ab[2] as u32
            + (ab[3] as i32 - 128).pow(2) as u32
            + b.to_le_bytes().iter().map(|&x| 255 - x as u32).sum::<u32>();
        r.ovf_sum = f(sum);
        r.ovf = Val::from_bool(ovf);
        r.ovf_inv = f(sum).try_inverse().unwrap_or(Val::ZERO);
    }
    let rsum: u32 = rb.iter().map(|&x| x as u32).sum();
    r.r_zero = Val::from_bool(rem == 0);
    r.r_inv = f(rsum).try_inverse().unwrap_or(Val::ZERO);
    // q d + r = a over eight sign-extended bytes.
    let ext = |x: u32| -> [u64; 8] {
        let le = x.to_le_bytes();
        let s = sign(x) as u64;
        std::array::from_fn(|i| if i < 4 { le[i] as u64 } else { 255 * s })
    };
    let (xq, xd, xr, xa) = (ext(q), ext(d), ext(rem), ext(a));
    let mut carry = 0u64;
    for k in 0..8 {
        let mut sum = carry + xr[k];
        for i in 0..=k {
            sum += xq[i] * xd[k - i];
        }
        debug_assert_eq!(sum & 0xff, xa[k]);
        carry = sum >> 8;
        r.carry[k] = f(carry as u32);
        bytes.range16(carry as u32);
    }
    let ar = fill_abs(&mut r.abs_r, rem, signed, bytes);
    let ad = fill_abs(&mut r.abs_d, d, signed, bytes);
    let (arb, adb) = (ar.to_le_bytes(), ad.to_le_bytes());
    let mut br = 0i32;
    let mut diff = [0u32; 4];
    for k in 0..4 {
        let x = arb[k] as i32 - adb[k] as i32 - br;
        br = (x < 0) as i32;
        diff[k] = (x + 256 * br) as u32;
        r.borrow[k] = f(br as u32);
    }
    r.diff = diff.map(f);
    bytes.range8x2(diff[0], diff[1]);
    bytes.range8x2(diff[2], diff[3]);
    r.hi = super::word(ev.hi);
    r.lo = super::word(ev.lo);
    super::fill_access(&mut r.hi_acc, &ev.acc[0], bytes);
    super::fill_access(&mut r.lo_acc, &ev.acc[1], bytes);
}

impl BaseAir<Val> for DivChip {
    fn width(&self) -> usize {
        DivCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

/// `|x|` for a word `x` of sign `s` (0 where unsigned): `abs = x`, or `abs + x = 2^32`.
fn eval_abs<AB: InteractionBuilder<F = Val>>(
    b: &mut AB,
    x: &Word<AB::Var>,
    s: AB::Var,
    cols: &AbsCols<AB::Var>,
    is_real: Expr<AB>,
) {
    let e = |v: AB::Var| -> Expr<AB> { v.into() };
    let c = |n: u32| Expr::<AB>::from_u32(n);
    for k in 0..4 {
        b.assert_bool(cols.carry[k]);
        b.assert_zero((Expr::<AB>::ONE - e(s)) * (e(cols.abs[k]) - e(x[k])));
        let cin = if k > 0 { e(cols.carry[k - 1]) } else { c(0) };
        b.assert_zero(e(s) * (e(cols.abs[k]) + e(x[k]) + cin - c(256) * e(cols.carry[k])));
    }
    b.assert_zero(e(s) * (Expr::<AB>::ONE - e(cols.carry[3])));
    // (Off negative rows the carries are booleans in no other constraint.)
    bus::range8x2(b, cols.abs[0], cols.abs[1], is_real.clone());
    bus::range8x2(b, cols.abs[2], cols.abs[3], is_real);
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for DivChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &DivCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &[l.is_div, l.is_divu]);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let one = || Expr::<AB>::ONE;
        let is_div = e(l.is_div);

        // q and r are bytes; the signs are those of a, q, r, d for DIV, zero for DIVU.
        bus::range8x2(b, l.q[0], l.q[1], is_real.clone());
        bus::range8x2(b, l.q[2], l.q[3], is_real.clone());
        bus::range8x2(b, l.r[0], l.r[1], is_real.clone());
        bus::range8x2(b, l.r[2], l.r[3], is_real.clone());
        for (w, s) in [(&l.a, l.sa), (&l.q, l.sq), (&l.r, l.sr), (&l.d, l.sd)] {
            bus::byte(b, ByteOp::Msb, w[3], s, c(0), l.is_div);
            b.assert_zero((one() - is_div.clone()) * e(s));
        }

        // b = 0 exactly when Σ b_k = 0.
        let bsum = e(l.b[0]) + e(l.b[1]) + e(l.b[2]) + e(l.b[3]);
        b.assert_bool(l.b_zero);
        if kept("div.zero") {
            b.assert_zero(e(l.b_zero) * bsum.clone());
            b.assert_zero(is_real.clone() - e(l.b_zero) - bsum * e(l.b_inv));
        }
        // DIV INT_MIN, -1 exactly when D = 0.
        let a3 = e(l.a[3]) - c(128);
        b.assert_zero(
            e(l.ovf_sum)
                - is_div.clone()
                    * (e(l.a[0])
                        + e(l.a[1])
                        + e(l.a[2])
                        + a3.clone() * a3
                        + (0..4).fold(Expr::<AB>::ZERO, |acc, k| acc + c(255) - e(l.b[k]))),
        );
        b.assert_bool(l.ovf);
        b.assert_zero(e(l.ovf) * (one() - is_div.clone()));
        if kept("div.ovf") {
            b.assert_zero(e(l.ovf) * e(l.ovf_sum));
            b.assert_zero(is_div.clone() - e(l.ovf) - e(l.ovf_sum) * e(l.ovf_inv));
        }
        // (On DIVU rows the overflow sum is 0 and its inverse in no other constraint.)
        // The effective divisor: b, or 1.
        let special = e(l.b_zero) + e(l.ovf);
        for k in 0..4 {
            let unit = if k == 0 { special.clone() } else { c(0) };
            if kept("div.divisor") {
                b.assert_eq(l.d[k], e(l.b[k]) * (one() - special.clone()) + unit);
            }
        }

        // q d + r = a, over eight bytes extended by the signs.
        let ext = |w: &Word<AB::Var>, s: AB::Var, i: usize| -> Expr<AB> {
            if i < 4 {
                e(w[i])
            } else {
                c(255) * e(s)
            }
        };
        for k in 0..8 {
            let mut sum = ext(&l.r, l.sr, k);
            if k > 0 {
                sum += e(l.carry[k - 1]);
            }
            for i in 0..=k {
                sum += ext(&l.q, l.sq, i) * ext(&l.d, l.sd, k - i);
            }
            if kept("div.product") {
                b.assert_zero(sum - ext(&l.a, l.sa, k) - c(256) * e(l.carry[k]));
            }
            bus::range16(b, l.carry[k], is_real.clone());
        }

        // |r| < |d|: |r| - |d| borrows out of the top byte.
        eval_abs(b, &l.r, l.sr, &l.abs_r, is_real.clone());
        eval_abs(b, &l.d, l.sd, &l.abs_d, is_real.clone());
        for k in 0..4 {
            b.assert_bool(l.borrow[k]);
            let prev = if k > 0 { e(l.borrow[k - 1]) } else { c(0) };
            b.assert_zero(
                e(l.abs_r.abs[k]) - e(l.abs_d.abs[k]) - prev - e(l.diff[k])
                    + c(256) * e(l.borrow[k]),
            );
        }
        if kept("div.bound") {
            b.assert_zero(is_real.clone() * (one() - e(l.borrow[3])));
        }
        bus::range8x2(b, l.diff[0], l.diff[1], is_real.clone());
        bus::range8x2(b, l.diff[2], l.diff[3], is_real.clone());
        // The remainder's sign is the dividend's: negative only if a is, and positive
        // only if a is not negative.
        let rsum = e(l.r[0]) + e(l.r[1]) + e(l.r[2]) + e(l.r[3]);
        b.assert_bool(l.r_zero);
        b.assert_zero(e(l.r_zero) * rsum.clone());
        b.assert_zero(is_real.clone() - e(l.r_zero) - rsum * e(l.r_inv));
        b.assert_zero(e(l.sr) * (one() - e(l.sa)));
        b.assert_zero(e(l.sa) * (one() - e(l.sr)) * (one() - e(l.r_zero)));

        // LO = q, HI = r.
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u8| e(l.thread) * c(REG_STRIDE) + c(r as u32);
        let w = |v: &Word<AB::Var>| v.map(|x| -> Expr<AB> { x.into() });
        access(
            b,
            is_real.clone(),
            c(SPACE_REG),
            reg(REG_LO),
            w(&l.lo),
            w(&l.q),
            ts.clone(),
            &l.lo_acc,
        );
        access(
            b,
            is_real.clone(),
            c(SPACE_REG),
            reg(REG_HI),
            w(&l.hi),
            w(&l.r),
            ts,
            &l.hi_acc,
        );

        let op = super::op_of::<AB>(&[(l.is_div, Opcode::Div), (l.is_divu, Opcode::Divu)]);
        let zero = [c(0), c(0), c(0), c(0)];
        super::receive_instr(
            b,
            op,
            &l.clk,
            &l.thread,
            &l.a,
            &l.b,
            zero,
            Expr::<AB>::ZERO,
            is_real,
        );
    }
}
