//! The multiply chip: `MUL` (the low word of the product into rd; HI and LO unchanged),
//! `MULT`, `MULTU` (the 64-bit product into HI:LO) and `MADD`, `MADDU`, `MSUB`, `MSUBU`
//! (HI:LO plus or minus the product). The chip reads and writes HI and LO itself, at its
//! timestamp slot.
//!
//! The product is computed byte by byte on operands sign-extended to eight bytes (for the
//! signed operations; zero-extended otherwise), which gives the 64-bit two's-complement
//! product: `Σ_(i+j=k) A_i B_j + carry_(k-1) = p_k + 256 carry_k`, with `p_k` range-checked
//! bytes and `carry_k < 2^16`. Every term is below 2^24, far below p, so the equations
//! hold over the integers. The accumulation is a 64-bit addition with boolean carries:
//! `old + p = new` for `MADD`, and `new + p = old` for `MSUB`; `new` is range-checked.
//! `MUL` computes its low word the same way (the low word does not depend on signedness).

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
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

const OPS: [Opcode; 7] = [
    Opcode::Mul,
    Opcode::Mult,
    Opcode::Multu,
    Opcode::Madd,
    Opcode::Maddu,
    Opcode::Msub,
    Opcode::Msubu,
];

/// A multiply, with HI and LO before and after (and their accesses, except for `MUL`).
#[derive(Clone, Copy, Debug)]
pub struct MulEvent {
    pub instr: InstrEvent,
    pub hi: u32,
    pub lo: u32,
    pub new_hi: u32,
    pub new_lo: u32,
    pub acc: Option<[Access; 2]>,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct MulCols<T> {
    /// One flag per operation, in the order of `OPS`.
    pub is_op: [T; 7],
    pub clk: T,
    pub thread: T,
    pub a: Word<T>,
    pub b: Word<T>,
    /// The sign bits of `a` and `b` for the signed operations (zero otherwise).
    pub sa: T,
    pub sb: T,
    /// The 64-bit product, and each byte's carry.
    pub p: [T; 8],
    pub carry: [T; 8],
    /// HI:LO before and after, as eight bytes (LO first).
    pub old: [T; 8],
    pub new: [T; 8],
    /// The carries of the 64-bit accumulation.
    pub acc_carry: [T; 8],
    pub hi_acc: AccessCols<T>,
    pub lo_acc: AccessCols<T>,
}
columns!(MulCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct MulChip;

fn signed(op: Opcode) -> bool {
    matches!(op, Opcode::Mult | Opcode::Madd | Opcode::Msub)
}

/// HI:LO after `op` on `a`, `b` from `hi`, `lo` (for `MUL`, unchanged), and the answer.
pub fn multiply(op: Opcode, a: u32, b: u32, hi: u32, lo: u32) -> (u32, u32, u32) {
    let p = if signed(op) {
        (a as i32 as i64).wrapping_mul(b as i32 as i64) as u64
    } else {
        a as u64 * b as u64
    };
    let acc = (hi as u64) << 32 | lo as u64;
    let r = match op {
        Opcode::Mul => return (hi, lo, p as u32),
        Opcode::Mult | Opcode::Multu => p,
        Opcode::Madd | Opcode::Maddu => acc.wrapping_add(p),
        _ => acc.wrapping_sub(p),
    };
    ((r >> 32) as u32, r as u32, 0)
}

fn bytes8(hi: u32, lo: u32) -> [u32; 8] {
    let v = (hi as u64) << 32 | lo as u64;
    std::array::from_fn(|k| ((v >> (8 * k)) & 0xff) as u32)
}

impl MulChip {
    pub fn generate_trace(
        &self,
        events: &[MulEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<MulCols<Val>, _>(events, MulCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut MulCols<Val>, ev: &MulEvent, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    let op = ev.instr.op;
    for (flag, o) in r.is_op.iter_mut().zip(OPS) {
        *flag = Val::from_bool(op == o);
    }
    r.clk = f(ev.instr.clk);
    r.thread = f(ev.instr.thread);
    let (a, b) = (ev.instr.a, ev.instr.b);
    r.a = super::word(a);
    r.b = super::word(b);
    let sg = signed(op);
    let (sa, sb) = if sg { (a >> 31, b >> 31) } else { (0, 0) };
    r.sa = f(sa);
    r.sb = f(sb);
    if sg {
        bytes.add(ByteOp::Msb, a >> 24, 0);
        bytes.add(ByteOp::Msb, b >> 24, 0);
    }
    let ext = |w: u32, s: u32| -> [u64; 8] {
        let le = w.to_le_bytes();
        std::array::from_fn(|i| if i < 4 { le[i] as u64 } else { 255 * s as u64 })
    };
    let (xa, xb) = (ext(a, sa), ext(b, sb));
    let mut carry = 0u64;
    for k in 0..8 {
        let mut sum = carry;
        for i in 0..=k {
            sum += xa[i] * xb[k - i];
        }
        r.p[k] = f((sum & 0xff) as u32);
        carry = sum >> 8;
        r.carry[k] = f(carry as u32);
        bytes.range16(carry as u32);
    }
    let p: [u32; 8] = std::array::from_fn(|k| {
        use p3_field::PrimeField32;
        r.p[k].as_canonical_u32()
    });
    bytes.range8x2(p[0], p[1]);
    bytes.range8x2(p[2], p[3]);
    bytes.range8x2(p[4], p[5]);
    bytes.range8x2(p[6], p[7]);
    let old = bytes8(ev.hi, ev.lo);
    let new = bytes8(ev.new_hi, ev.new_lo);
    r.old = old.map(f);
    r.new = new.map(f);
    for k in (0..8).step_by(2) {
        bytes.range8x2(new[k], new[k + 1]);
    }
    let (x, z) = match op {
        Opcode::Madd | Opcode::Maddu => (old, new),
        Opcode::Msub | Opcode::Msubu => (new, old),
        _ => ([0; 8], [0; 8]),
    };
    if matches!(
        op,
        Opcode::Madd | Opcode::Maddu | Opcode::Msub | Opcode::Msubu
    ) {
        let mut c = 0;
        for k in 0..8 {
            c = (x[k] + p[k] + c - z[k]) >> 8;
            r.acc_carry[k] = f(c);
        }
    }
    if let Some([hi, lo]) = &ev.acc {
        super::fill_access(&mut r.hi_acc, hi, bytes);
        super::fill_access(&mut r.lo_acc, lo, bytes);
    }
}

impl BaseAir<Val> for MulChip {
    fn width(&self) -> usize {
        MulCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for MulChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &MulCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let is_real = super::assert_flags(b, &l.is_op);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let [mul, mult, multu, madd, maddu, msub, msubu] = l.is_op;
        let is_signed = e(mult) + e(madd) + e(msub);
        let is_add = e(madd) + e(maddu);
        let is_sub = e(msub) + e(msubu);
        let is_set = e(mult) + e(multu);
        let hilo = is_real.clone() - e(mul);

        // Signs, for the signed operations; zero for the others.
        bus::byte(b, ByteOp::Msb, l.a[3], l.sa, c(0), is_signed.clone());
        bus::byte(b, ByteOp::Msb, l.b[3], l.sb, c(0), is_signed.clone());
        if kept("mul.sign") {
            b.assert_zero((Expr::<AB>::ONE - is_signed.clone()) * e(l.sa));
            b.assert_zero((Expr::<AB>::ONE - is_signed) * e(l.sb));
        }

        // The product of the extended operands, column by column.
        let ext = |w: &Word<AB::Var>, s: AB::Var, i: usize| -> Expr<AB> {
            if i < 4 {
                e(w[i])
            } else {
                c(255) * e(s)
            }
        };
        for k in 0..8 {
            let mut sum = if k > 0 { e(l.carry[k - 1]) } else { c(0) };
            for i in 0..=k {
                sum += ext(&l.a, l.sa, i) * ext(&l.b, l.sb, k - i);
            }
            if kept("mul.product") {
                b.assert_zero(sum - e(l.p[k]) - c(256) * e(l.carry[k]));
            }
            bus::range16(b, l.carry[k], is_real.clone());
        }
        for k in (0..8).step_by(2) {
            bus::range8x2(b, l.p[k], l.p[k + 1], is_real.clone());
            bus::range8x2(b, l.new[k], l.new[k + 1], is_real.clone());
        }

        // HI:LO: set to the product, or old + p = new (MADD), or new + p = old (MSUB).
        for k in 0..8 {
            if kept("mul.set") {
                b.assert_zero(is_set.clone() * (e(l.new[k]) - e(l.p[k])));
            }
            b.assert_bool(l.acc_carry[k]);
            let cin = if k > 0 { e(l.acc_carry[k - 1]) } else { c(0) };
            let cout = c(256) * e(l.acc_carry[k]);
            b.assert_zero(
                is_add.clone()
                    * (e(l.old[k]) + e(l.p[k]) + cin.clone() - e(l.new[k]) - cout.clone()),
            );
            b.assert_zero(is_sub.clone() * (e(l.new[k]) + e(l.p[k]) + cin - e(l.old[k]) - cout));
            // MUL leaves HI and LO alone: the columns are in no message; kept zero.
            b.assert_zero(e(mul) * e(l.old[k]));
            b.assert_zero(e(mul) * e(l.new[k]));
        }
        // (The accumulation carries matter only under is_add or is_sub; elsewhere they are
        // booleans in no other constraint and no message.)

        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u8| e(l.thread) * c(REG_STRIDE) + c(r as u32);
        let half = |v: &[AB::Var; 8], h: usize| -> [Expr<AB>; 4] {
            std::array::from_fn(|k| e(v[4 * h + k]))
        };
        access(
            b,
            hilo.clone(),
            c(SPACE_REG),
            reg(REG_LO),
            half(&l.old, 0),
            half(&l.new, 0),
            ts.clone(),
            &l.lo_acc,
        );
        access(
            b,
            hilo,
            c(SPACE_REG),
            reg(REG_HI),
            half(&l.old, 1),
            half(&l.new, 1),
            ts,
            &l.hi_acc,
        );

        let op = super::op_of::<AB>(&l.is_op.iter().copied().zip(OPS).collect::<Vec<_>>());
        let answer: [Expr<AB>; 4] = std::array::from_fn(|k| e(mul) * e(l.p[k]));
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
