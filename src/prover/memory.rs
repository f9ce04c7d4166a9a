//! The load/store chip: `LW`, `LH`, `LHU`, `LB`, `LBU`, `SW`, `SH`, `SB`, the unaligned
//! `LWL`, `LWR`, `SWL`, `SWR`, and `LL`/`SC`.
//!
//! The effective address is `a + sext(offset)`, added byte by byte; its low byte splits as
//! `4 q + offset-in-word`, with the offset one-hot in `sel`, and its top bit must be 0
//! (user space), so the word address `(addr - offset) / 4` is below 2^29 and exact as a
//! field element. Alignment is constrained: a word access has offset 0, a halfword access
//! an even one. The word is accessed once, at the chip's timestamp slot, through the
//! memory argument: a load leaves it unchanged, a store replaces the bytes it writes.
//!
//! Memory is big-endian: byte offset `o` of a word is its byte `3 - o` in the
//! least-significant-first order words travel in. `LWL`/`LWR` merge the word's bytes on
//! one side of the offset into register rt (`b`), `SWL`/`SWR` the register's into the
//! word, at any offset. `LL` loads a word and sets the LLbit (register 34 of the thread);
//! `SC` reads the LLbit, stores only where it was set (no access to the word otherwise),
//! answers it, and clears it.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, REG_LLBIT, REG_STRIDE, SLOT_CHIP, SPACE_MEM,
    SPACE_REG, SPACE_RO, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::MemEvent;

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct MemoryCols<T> {
    pub is_lw: T,
    pub is_lh: T,
    pub is_lhu: T,
    pub is_lb: T,
    pub is_lbu: T,
    pub is_sw: T,
    pub is_sh: T,
    pub is_sb: T,
    pub is_lwl: T,
    pub is_lwr: T,
    pub is_ll: T,
    pub is_swl: T,
    pub is_swr: T,
    pub is_sc: T,
    pub clk: T,
    pub thread: T,
    /// The base register.
    pub a: Word<T>,
    /// Register rt: the value a store writes.
    pub b: Word<T>,
    /// The value a load returns (0 for a store).
    pub c: Word<T>,
    /// The instruction's 16-bit offset, from the ROM, as two bytes and its sign.
    pub aux: T,
    pub off: [T; 2],
    pub off_sign: T,
    /// The effective address, and the carries of `a + sext(offset)`.
    pub addr: Word<T>,
    pub carry: Word<T>,
    /// `addr[0] = 4 q + (sel[1] + 2 sel[2] + 3 sel[3])`.
    pub q: T,
    pub sel: [T; 4],
    /// The word before and after the access.
    pub prev: Word<T>,
    pub new: Word<T>,
    /// The word is read-only (in `SPACE_RO`): only loads may access it.
    pub ro: T,
    /// The LLbit before (`LL`, `SC`), and an `SC` that stores (the LLbit was set).
    pub llbit: T,
    pub sc_ok: T,
    pub ll_acc: AccessCols<T>,
    /// The sign bit of a signed load's value.
    pub sign: T,
    pub acc: AccessCols<T>,
}
columns!(MemoryCols);

const OPS: [Opcode; 14] = [
    Opcode::Lw,
    Opcode::Lh,
    Opcode::Lhu,
    Opcode::Lb,
    Opcode::Lbu,
    Opcode::Sw,
    Opcode::Sh,
    Opcode::Sb,
    Opcode::Lwl,
    Opcode::Lwr,
    Opcode::Ll,
    Opcode::Swl,
    Opcode::Swr,
    Opcode::Sc,
];

#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryChip;

impl MemoryChip {
    pub fn generate_trace(
        &self,
        events: &[MemEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<MemoryCols<Val>, _>(events, MemoryCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut MemoryCols<Val>, ev: &MemEvent, bytes: &mut ByteCounts) {
    let i = &ev.instr;
    let flags = [
        &mut r.is_lw,
        &mut r.is_lh,
        &mut r.is_lhu,
        &mut r.is_lb,
        &mut r.is_lbu,
        &mut r.is_sw,
        &mut r.is_sh,
        &mut r.is_sb,
        &mut r.is_lwl,
        &mut r.is_lwr,
        &mut r.is_ll,
        &mut r.is_swl,
        &mut r.is_swr,
        &mut r.is_sc,
    ];
    for (f, op) in flags.into_iter().zip(OPS) {
        *f = Val::from_bool(i.op == op);
    }
    r.clk = Val::from_u32(i.clk);
    r.thread = Val::from_u32(i.thread);
    r.a = super::word(i.a);
    r.b = super::word(i.b);
    r.c = super::word(i.c);
    r.aux = Val::from_u32(i.aux);
    let (lo, hi) = (i.aux & 0xff, i.aux >> 8);
    r.off = [Val::from_u32(lo), Val::from_u32(hi)];
    r.off_sign = Val::from_u32(hi >> 7);
    bytes.range8x2(lo, hi);
    bytes.add(ByteOp::Msb, hi, 0);
    let offset = i.aux as u16 as i16 as i32 as u32;
    let addr = i.a.wrapping_add(offset);
    r.addr = super::word(addr);
    let (ab, ob) = (i.a.to_le_bytes(), offset.to_le_bytes());
    let mut carry = 0u32;
    for k in 0..4 {
        carry = (ab[k] as u32 + ob[k] as u32 + carry) >> 8;
        r.carry[k] = Val::from_u32(carry);
    }
    let q = (addr & 0xff) >> 2;
    r.q = Val::from_u32(q);
    bytes.range8x2(q, 4 * q);
    r.sel = std::array::from_fn(|k| Val::from_bool(addr & 3 == k as u32));
    let ab = addr.to_le_bytes();
    bytes.range8x2(ab[1] as u32, ab[2] as u32);
    if ev.acc.is_some() {
        bytes.add(ByteOp::Msb, ab[3] as u32, 0);
    }
    if let Some(acc) = &ev.acc {
        r.prev = super::word(acc.prev);
        r.new = super::word(ev.new);
        r.ro = Val::from_bool(ev.ro);
        super::fill_access(&mut r.acc, acc, bytes);
    }
    if let Some(acc) = &ev.llbit {
        r.llbit = Val::from_u32(acc.prev);
        r.sc_ok = Val::from_bool(i.op == Opcode::Sc && acc.prev == 1);
        super::fill_access(&mut r.ll_acc, acc, bytes);
    }
    let signed = match i.op {
        Opcode::Lb => Some(i.c & 0xff),
        Opcode::Lh => Some((i.c >> 8) & 0xff),
        _ => None,
    };
    if let Some(byte) = signed {
        r.sign = Val::from_u32(byte >> 7);
        bytes.add(ByteOp::Msb, byte, 0);
    }
}

impl BaseAir<Val> for MemoryChip {
    fn width(&self) -> usize {
        MemoryCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for MemoryChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &MemoryCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let flags = [
            l.is_lw, l.is_lh, l.is_lhu, l.is_lb, l.is_lbu, l.is_sw, l.is_sh, l.is_sb, l.is_lwl,
            l.is_lwr, l.is_ll, l.is_swl, l.is_swr, l.is_sc,
        ];
        let is_real = super::assert_flags(b, &flags);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let is_load = e(l.is_lw)
            + e(l.is_lh)
            + e(l.is_lhu)
            + e(l.is_lb)
            + e(l.is_lbu)
            + e(l.is_lwl)
            + e(l.is_lwr)
            + e(l.is_ll);
        // Stores that access the word (a failing SC does not).
        let is_store =
            e(l.is_sw) + e(l.is_sh) + e(l.is_sb) + e(l.is_swl) + e(l.is_swr) + e(l.sc_ok);
        let is_half = e(l.is_lh) + e(l.is_lhu) + e(l.is_sh);
        let is_word = e(l.is_lw) + e(l.is_sw) + e(l.is_ll) + e(l.is_sc);
        // The word is accessed by every row but a failing SC.
        let accessed = is_real.clone() - e(l.is_sc) + e(l.sc_ok);

        // The offset: aux = off[0] + 256 off[1], sign-extended.
        b.assert_zero(e(l.aux) - e(l.off[0]) - e(l.off[1]) * c(256));
        bus::range8x2(b, l.off[0], l.off[1], is_real.clone());
        bus::byte(
            b,
            ByteOp::Msb,
            l.off[1],
            l.off_sign,
            Expr::<AB>::ZERO,
            is_real.clone(),
        );
        let ext = e(l.off_sign) * c(255);
        let off = [e(l.off[0]), e(l.off[1]), ext.clone(), ext];

        // addr = a + sext(offset) modulo 2^32.
        for k in 0..4 {
            let carry_in = if k == 0 {
                Expr::<AB>::ZERO
            } else {
                e(l.carry[k - 1])
            };
            b.assert_zero(
                e(l.a[k]) + off[k].clone() + carry_in - e(l.addr[k]) - e(l.carry[k]) * c(256),
            );
            b.assert_bool(l.carry[k]);
        }
        // addr[0] = 4 q + o with q < 64 and o one-hot; addr[1..3] bytes; addr[3] < 128.
        let mut sel_sum = Expr::<AB>::ZERO;
        let mut o = Expr::<AB>::ZERO;
        for (k, s) in l.sel.iter().enumerate() {
            b.assert_bool(*s);
            sel_sum += e(*s);
            o += e(*s) * c(k as u32);
        }
        b.assert_zero(sel_sum - is_real.clone());
        b.assert_zero(e(l.addr[0]) - e(l.q) * c(4) - o);
        bus::range8x2(b, l.q, e(l.q) * c(4), is_real.clone());
        bus::range8x2(b, l.addr[1], l.addr[2], is_real.clone());
        // User space (the word address below 2^29), where the word is accessed: a failing
        // SC, which accesses nothing, may name any aligned address, as in the VM.
        bus::byte(
            b,
            ByteOp::Msb,
            l.addr[3],
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            accessed.clone(),
        );
        // Alignment.
        if kept("memory.aligned") {
            b.assert_zero(is_word * (e(l.sel[1]) + e(l.sel[2]) + e(l.sel[3])));
            b.assert_zero(is_half * (e(l.sel[1]) + e(l.sel[3])));
        }

        // The word: one access at the chip's slot.
        let word_addr = e(l.q)
            + e(l.addr[1]) * c(1 << 6)
            + e(l.addr[2]) * c(1 << 14)
            + e(l.addr[3]) * c(1 << 22);
        // A read-only word lives in its own space, which stores cannot use.
        b.assert_zero(e(l.ro) * (accessed.clone() - e(l.ro)));
        if kept("memory.ro_store") {
            b.assert_zero(is_store.clone() * e(l.ro));
        }
        let space = c(SPACE_MEM) + e(l.ro) * c(SPACE_RO - SPACE_MEM);
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let ts_ll = ts.clone();
        access(
            b,
            accessed.clone(),
            space,
            word_addr,
            l.prev.map(Into::into),
            l.new.map(Into::into),
            ts,
            &l.acc,
        );

        // Loads leave the word as it was; stores replace the bytes they write.
        // The byte at offset o is prev[3 - o].
        let byte_at = |w: &Word<AB::Var>| -> Expr<AB> {
            (0..4)
                .map(|o| e(l.sel[o]) * e(w[3 - o]))
                .fold(Expr::<AB>::ZERO, |x, y| x + y)
        };
        for k in 0..4 {
            let (p, n) = (e(l.prev[k]), e(l.new[k]));
            b.assert_zero(is_load.clone() * (n.clone() - p.clone()));
            b.assert_zero((e(l.is_sw) + e(l.sc_ok)) * (n.clone() - e(l.b[k])));
            // A failing SC accesses nothing: its word columns are kept zero.
            b.assert_zero((e(l.is_sc) - e(l.sc_ok)) * p.clone());
            b.assert_zero((e(l.is_sc) - e(l.sc_ok)) * n.clone());
            // SWL at offset o writes rt's bytes k + o into bytes k <= 3 - o; SWR rt's bytes
            // k + o - 3 into bytes k >= 3 - o; the rest keep the word's.
            let mut swl = Expr::<AB>::ZERO;
            let mut swr = Expr::<AB>::ZERO;
            for o in 0..4 {
                let s = e(l.sel[o]);
                swl += s.clone() * if k + o <= 3 { e(l.b[k + o]) } else { p.clone() };
                swr += s * if k + o >= 3 {
                    e(l.b[k + o - 3])
                } else {
                    p.clone()
                };
            }
            if kept("memory.swl_swr") {
                b.assert_zero(e(l.is_swl) * (n.clone() - swl));
                b.assert_zero(e(l.is_swr) * (n.clone() - swr));
            }
            // SB: new[k] = b[0] where 3 - k is the offset, prev[k] elsewhere.
            if kept("memory.sb") {
                b.assert_zero(
                    e(l.is_sb)
                        * (n.clone() - p.clone() - e(l.sel[3 - k]) * (e(l.b[0]) - p.clone())),
                );
            }
            // SH: offset 0 writes bytes 3, 2; offset 2 writes bytes 1, 0.
            let (s, src) = if k >= 2 {
                (l.sel[0], l.b[k - 2])
            } else {
                (l.sel[2], l.b[k])
            };
            b.assert_zero(e(l.is_sh) * (n - p.clone() - e(s) * (e(src) - p)));
        }
        // The loaded value.
        let byte = byte_at(&l.prev);
        // The halfword at offset 0 is (prev[3], prev[2]), at offset 2 (prev[1], prev[0]).
        let half_hi = e(l.sel[0]) * e(l.prev[3]) + e(l.sel[2]) * e(l.prev[1]);
        let half_lo = e(l.sel[0]) * e(l.prev[2]) + e(l.sel[2]) * e(l.prev[0]);
        let ext = e(l.sign) * c(255);
        for k in 0..4 {
            let ck = e(l.c[k]);
            if kept("memory.lw") {
                b.assert_zero((e(l.is_lw) + e(l.is_ll)) * (ck.clone() - e(l.prev[k])));
            }
            // LWL at offset o takes the word's bytes k - o into bytes k >= o; LWR its bytes
            // 3 - o + k into bytes k <= o; the rest keep rt's.
            let mut lwl = Expr::<AB>::ZERO;
            let mut lwr = Expr::<AB>::ZERO;
            for o in 0..4 {
                let s = e(l.sel[o]);
                lwl += s.clone() * if k >= o { e(l.prev[k - o]) } else { e(l.b[k]) };
                lwr += s * if k <= o {
                    e(l.prev[3 - o + k])
                } else {
                    e(l.b[k])
                };
            }
            if kept("memory.lwl_lwr") {
                b.assert_zero(e(l.is_lwl) * (ck.clone() - lwl));
                b.assert_zero(e(l.is_lwr) * (ck.clone() - lwr));
            }
            // SC answers whether it stored.
            let sc_k = if k == 0 { e(l.sc_ok) } else { c(0) };
            b.assert_zero(e(l.is_sc) * (ck.clone() - sc_k));
            let byte_k = if k == 0 {
                byte.clone()
            } else {
                Expr::<AB>::ZERO
            };
            b.assert_zero(e(l.is_lbu) * (ck.clone() - byte_k.clone()));
            let sext_k = if k == 0 { byte.clone() } else { ext.clone() };
            b.assert_zero(e(l.is_lb) * (ck.clone() - sext_k));
            let half_k = match k {
                0 => half_lo.clone(),
                1 => half_hi.clone(),
                _ => Expr::<AB>::ZERO,
            };
            b.assert_zero(e(l.is_lhu) * (ck.clone() - half_k.clone()));
            let shalf_k = if k < 2 { half_k } else { ext.clone() };
            b.assert_zero(e(l.is_lh) * (ck.clone() - shalf_k));
            b.assert_zero((e(l.is_sw) + e(l.is_sh) + e(l.is_sb) + e(l.is_swl) + e(l.is_swr)) * ck);
        }
        // The sign of a signed load: of c[0] for LB, of c[1] for LH.
        let signed = e(l.is_lb) + e(l.is_lh);
        let top = e(l.is_lb) * e(l.c[0]) + e(l.is_lh) * e(l.c[1]);
        bus::byte(
            b,
            ByteOp::Msb,
            top,
            l.sign,
            Expr::<AB>::ZERO,
            signed.clone(),
        );
        b.assert_zero((Expr::<AB>::ONE - signed) * e(l.sign));

        // The LLbit: LL sets it, SC reads it (storing only if set) and clears it. Its
        // values are 0 and 1 (it starts 0, and only this chip writes it).
        let links = e(l.is_ll) + e(l.is_sc);
        b.assert_bool(l.llbit);
        b.assert_zero((Expr::<AB>::ONE - links.clone()) * e(l.llbit));
        if kept("memory.sc") {
            b.assert_eq(l.sc_ok, e(l.is_sc) * e(l.llbit));
        }
        let z = || Expr::<AB>::ZERO;
        access(
            b,
            links,
            c(SPACE_REG),
            e(l.thread) * c(REG_STRIDE) + c(REG_LLBIT as u32),
            [e(l.llbit), z(), z(), z()],
            [e(l.is_ll), z(), z(), z()],
            ts_ll,
            &l.ll_acc,
        );

        let op = super::op_of::<AB>(&[
            (l.is_lw, Opcode::Lw),
            (l.is_lh, Opcode::Lh),
            (l.is_lhu, Opcode::Lhu),
            (l.is_lb, Opcode::Lb),
            (l.is_lbu, Opcode::Lbu),
            (l.is_sw, Opcode::Sw),
            (l.is_sh, Opcode::Sh),
            (l.is_sb, Opcode::Sb),
            (l.is_lwl, Opcode::Lwl),
            (l.is_lwr, Opcode::Lwr),
            (l.is_ll, Opcode::Ll),
            (l.is_swl, Opcode::Swl),
            (l.is_swr, Opcode::Swr),
            (l.is_sc, Opcode::Sc),
        ]);
        super::receive_instr(
            b,
            op,
            &l.clk,
            &l.thread,
            &l.a,
            &l.b,
            l.c.map(Into::into),
            e(l.aux),
            is_real,
        );
    }
}
