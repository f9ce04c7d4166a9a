//! The clone chip: `clone` (o32 4120) with Go's flags, which creates a thread.
//!
//! Go starts each of its threads with `clone(CLONE_VM | CLONE_FS | CLONE_FILES |
//! CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_THREAD, stack, 0, 0, 0)`: no TLS, no tid words.
//! Linux then gives the child exactly the parent's registers, except `$v0 = 0` and
//! `$a3 = 0` (the child's return), `$sp = stack` and a clear LLbit, and starts it after the
//! `SYSCALL`. The child's blocked mask is the parent's; it has no alternate signal stack
//! (Linux resets it for `CLONE_VM` without `CLONE_VFORK`), which is the kernel-state
//! chip's zero. The parent's call returns the child's id.
//!
//! Each call is a block of 64 rows, laid out by periodic columns, so that no row of the
//! copy can be left out or repeated:
//!
//! - row 0, the call: it reads `$v0` (the number), `$a0` (the flags, which must be Go's),
//!   `$a1` (the stack, which must not be 0: Linux would give the child the parent's
//!   `$sp`) and `$a3`, writes the child's id `1000 + child` to `$v0` and 0 to `$a3`, and
//!   takes the child's index from the kernel's thread counter ([`KERNEL_CLONES`]), which
//!   it advances. The index is therefore fresh: no earlier call created that thread, and
//!   no row ran in it (its resume slot was 0, where no instruction lies).
//! - rows 1 to 37: slot `r = row - 1` of the child's register block. Registers 0 to 34
//!   are the parent's (read at the `SYSCALL`'s write slot, before the call's own accesses)
//!   with the overrides above; slots 35 and 36, where the child resumes, are the
//!   `SYSCALL`'s `pc + 4` and `pc + 8`. The CPU's `instr` message carries `pc + 4` as the
//!   ROM's `aux` for a `SYSCALL`, so it is the program's, not the prover's.
//! - rows 38 to 41: the four words of the blocked mask, copied from the parent's kernel
//!   block to the child's.
//! - rows 42 to 63 do nothing.
//!
//! Every row of a block carries the call's clock, parent, child, `aux` and stack
//! (equal from row to row within a block).

use std::borrow::{Borrow, BorrowMut, Cow};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, Expr, Word, KERNEL_CLONES, KERNEL_THREADS, REG_NEXT_PC, REG_PC,
    REG_STRIDE, SLOT_C, SLOT_CHIP, SPACE_KERNEL, SPACE_REG, THREAD_MASK, THREAD_SLOTS,
    THREAD_WORDS, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::syscall::FIRST_TID;
use super::witness::{Access, InstrEvent};

/// `clone`'s o32 number.
pub const SYS_CLONE: u32 = 4120;
/// Go's flags: `CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM |
/// CLONE_THREAD`.
pub const CLONE_GO: u32 = 0x50f00;
/// Rows per call.
pub const BLOCK: usize = 64;
/// The first row of the register copy and of the mask copy.
const FIRST_REG: usize = 1;
const FIRST_MASK: usize = FIRST_REG + THREAD_SLOTS as usize;
const MASK_WORDS: usize = 4;
/// The registers the child does not take from the parent: `$v0`, `$a3`, the LLbit (0),
/// `$sp` (the new stack), and its resume slots.
const ZEROED: [u32; 3] = [2, 7, super::bus::REG_LLBIT as u32];
const SP: u32 = 29;

/// The periodic columns.
const P_CALL: usize = 0;
const P_REG: usize = 1;
const P_MASK: usize = 2;
const P_IDX: usize = 3;
const P_ZERO: usize = 4;
const P_SP: usize = 5;
const P_PC: usize = 6;
const P_NPC: usize = 7;
const P_LAST: usize = 8;
const P_COUNT: usize = 9;

/// One `clone`: the call's accesses and the copy's.
#[derive(Clone, Debug)]
pub struct CloneEvent {
    pub instr: InstrEvent,
    pub child: u32,
    pub stack: u32,
    /// `$a3` before the call.
    pub a3: u32,
    /// `$v0`, `$a0`, `$a1`, `$a3`, the thread counter.
    pub call: [Access; 5],
    /// Per copied slot (37 register slots, then 4 mask words): the parent's value (0 for
    /// the resume slots, which are not read), the read (none for the resume slots), the
    /// child's new value and its write.
    pub copies: Vec<SlotCopy>,
}

/// One copied slot.
#[derive(Clone, Copy, Debug)]
pub struct SlotCopy {
    pub val: u32,
    pub read: Option<Access>,
    pub new: u32,
    pub write: Access,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct CloneCols<T> {
    /// 1 on every row of a call's block.
    pub is_real: T,
    pub clk: T,
    pub parent: T,
    pub child: T,
    /// The `SYSCALL`'s `pc + 4` (the ROM's `aux`).
    pub aux: T,
    pub stack: Word<T>,
    /// Call row: the inverse of the stack's byte sum (so the stack is not 0).
    pub stack_inv: T,
    /// Call row: the child's id, two bytes.
    pub tid: [T; 2],
    /// Call row: the thread counter before the call, and `$a3` before it.
    pub clones: T,
    pub a3: Word<T>,
    /// Copies of periodic columns and products with `is_real`, for the messages (which
    /// read main columns only): the slot index, the call row, a copy row, a copy row that
    /// reads the parent, a mask row.
    pub idx: T,
    pub call: T,
    pub copy: T,
    pub src: T,
    pub mask: T,
    /// Copy rows: the parent's and the child's addresses, the parent's value, the
    /// child's previous and new value.
    pub src_addr: T,
    pub dst_addr: T,
    pub val: Word<T>,
    pub prev: Word<T>,
    pub new: Word<T>,
    /// Call row: `$v0`, `$a0`, `$a1`, `$a3`, the counter. Copy rows: the read, the write.
    pub acc: [AccessCols<T>; 5],
}
columns!(CloneCols);

/// The clone chip, with its periodic layout.
#[derive(Clone, Debug)]
pub struct CloneChip {
    periodic: Vec<Vec<Val>>,
}

impl Default for CloneChip {
    fn default() -> Self {
        CloneChip::new()
    }
}

impl CloneChip {
    pub fn new() -> CloneChip {
        let mut p = vec![Val::zero_vec(BLOCK); P_COUNT];
        p[P_CALL][0] = Val::ONE;
        for r in 0..THREAD_SLOTS {
            let row = FIRST_REG + r as usize;
            p[P_REG][row] = Val::ONE;
            p[P_IDX][row] = Val::from_u32(r);
            p[P_ZERO][row] = Val::from_bool(ZEROED.contains(&r));
            p[P_SP][row] = Val::from_bool(r == SP);
            p[P_PC][row] = Val::from_bool(r == super::bus::REG_PC);
            p[P_NPC][row] = Val::from_bool(r == super::bus::REG_NEXT_PC);
        }
        for k in 0..MASK_WORDS {
            p[P_MASK][FIRST_MASK + k] = Val::ONE;
            p[P_IDX][FIRST_MASK + k] = Val::from_u32(THREAD_MASK + k as u32);
        }
        p[P_LAST][BLOCK - 1] = Val::ONE;
        CloneChip { periodic: p }
    }

    /// The trace: one block per call, padded with empty blocks to a power of two.
    pub fn generate_trace(
        &self,
        events: &[CloneEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        let w = CloneCols::<u8>::WIDTH;
        let mut m = super::fill_blocks(events, BLOCK, w, bytes, |r, ev, row, bytes| {
            self.fill(r, ev, row, bytes)
        });
        let height = m.values.len() / w;
        let values = &mut m.values;
        // Padding blocks: the slot index is the layout's, and so are the addresses (of
        // thread 0, in no message, as every count is zero).
        for i in events.len() * BLOCK..height {
            let r: &mut CloneCols<Val> = values[i * w..(i + 1) * w].borrow_mut();
            let idx = self.periodic[P_IDX][i % BLOCK];
            r.idx = idx;
            r.src_addr = idx;
            r.dst_addr = idx;
        }
        m
    }

    fn fill(&self, r: &mut CloneCols<Val>, ev: &CloneEvent, row: usize, bytes: &mut ByteCounts) {
        let f = Val::from_u32;
        let p = |k: usize| self.periodic[k][row];
        let parent = ev.instr.thread;
        r.is_real = Val::ONE;
        r.clk = f(ev.instr.clk);
        r.parent = f(parent);
        r.child = f(ev.child);
        r.aux = f(ev.instr.aux);
        r.stack = super::word(ev.stack);
        let idx = p(P_IDX);
        r.idx = idx;
        r.call = p(P_CALL);
        r.mask = p(P_MASK);
        r.copy = p(P_REG) + p(P_MASK);
        r.src = p(P_REG) + p(P_MASK) - p(P_PC) - p(P_NPC);
        let block = |t: u32| r_addr(f(t), idx, r.mask);
        r.src_addr = block(parent);
        r.dst_addr = block(ev.child);
        if row == 0 {
            let sum: u32 = ev.stack.to_le_bytes().iter().map(|&b| b as u32).sum();
            r.stack_inv = f(sum).try_inverse().unwrap_or(Val::ZERO);
            let tid = FIRST_TID + ev.child;
            r.tid = [f(tid & 0xff), f(tid >> 8)];
            bytes.range8x2(tid & 0xff, tid >> 8);
            r.clones = f(ev.child - 1);
            r.a3 = super::word(ev.a3);
            r.val = super::word(CLONE_GO);
            for (cols, acc) in r.acc.iter_mut().zip(&ev.call) {
                super::fill_access(cols, acc, bytes);
            }
        } else if let Some(cp) = ev.copies.get(row - FIRST_REG) {
            // The resume slots hold one field element each; the rest are words.
            let slot = row - FIRST_REG;
            let word = |v: u32| {
                if slot == REG_PC as usize || slot == REG_NEXT_PC as usize {
                    [f(v), Val::ZERO, Val::ZERO, Val::ZERO]
                } else {
                    super::word(v)
                }
            };
            r.val = word(cp.val);
            r.prev = word(cp.write.prev);
            r.new = word(cp.new);
            if let Some(acc) = &cp.read {
                super::fill_access(&mut r.acc[0], acc, bytes);
            }
            super::fill_access(&mut r.acc[1], &cp.write, bytes);
        }
    }
}

/// A copy row's address in thread `t`'s block: register slot `idx`, or (on a mask row)
/// kernel word `KERNEL_THREADS + THREAD_WORDS t + idx`.
fn r_addr(t: Val, idx: Val, mask: Val) -> Val {
    let reg = t * Val::from_u32(REG_STRIDE) + idx;
    let kernel = Val::from_u32(KERNEL_THREADS) + t * Val::from_u32(THREAD_WORDS) + idx;
    reg + mask * (kernel - reg)
}

impl BaseAir<Val> for CloneChip {
    fn width(&self) -> usize {
        CloneCols::<u8>::WIDTH
    }
    fn num_periodic_columns(&self) -> usize {
        P_COUNT
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for CloneChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &CloneCols<AB::Var> = main.current_slice().borrow();
        let n: &CloneCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let p: Vec<Expr<AB>> = b.periodic_values().iter().map(|&v| v.into()).collect();
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let words = |w: &Word<AB::Var>| -> [Expr<AB>; 4] { w.map(Into::into) };
        let konst = |v: u32| -> [Expr<AB>; 4] { v.to_le_bytes().map(|x| c(x as u32)) };
        let elem = |x: Expr<AB>| -> [Expr<AB>; 4] {
            [x, Expr::<AB>::ZERO, Expr::<AB>::ZERO, Expr::<AB>::ZERO]
        };
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);

        // The layout: main copies of the periodic columns.
        b.assert_eq(l.idx, p[P_IDX].clone());
        b.assert_eq(l.call, is_real.clone() * p[P_CALL].clone());
        b.assert_eq(l.mask, is_real.clone() * p[P_MASK].clone());
        b.assert_eq(
            l.copy,
            is_real.clone() * (p[P_REG].clone() + p[P_MASK].clone()),
        );
        b.assert_eq(
            l.src,
            is_real.clone()
                * (p[P_REG].clone() + p[P_MASK].clone() - p[P_PC].clone() - p[P_NPC].clone()),
        );
        // One call per block: its fields are the same on every row of it.
        {
            let same = Expr::<AB>::ONE - p[P_LAST].clone();
            let mut t = b.when_transition();
            for (x, y) in [
                (n.is_real, l.is_real),
                (n.clk, l.clk),
                (n.parent, l.parent),
                (n.child, l.child),
                (n.aux, l.aux),
            ]
            .into_iter()
            .chain((0..4).map(|k| (n.stack[k], l.stack[k])))
            {
                t.assert_zero(same.clone() * (e(x) - e(y)));
            }
        }

        // The call row.
        let call = e(l.call);
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |t: AB::Var, r: u32| e(t) * c(REG_STRIDE) + c(r);
        b.assert_zero(call.clone() * (e(l.child) - e(l.clones) - Expr::<AB>::ONE));
        b.assert_zero(
            call.clone() * (e(l.tid[0]) + e(l.tid[1]) * c(256) - c(FIRST_TID) - e(l.child)),
        );
        bus::range8x2(b, l.tid[0], l.tid[1], call.clone());
        if kept("clone.stack") {
            let sum = l.stack.iter().fold(Expr::<AB>::ZERO, |a, &x| a + e(x));
            b.assert_zero(call.clone() * (sum * e(l.stack_inv) - Expr::<AB>::ONE));
        }
        let tid = [e(l.tid[0]), e(l.tid[1]), Expr::<AB>::ZERO, Expr::<AB>::ZERO];
        // Go's flags: the call row's `val` is `$a0`.
        let flags = words(&l.val);
        for (k, want) in konst(CLONE_GO).into_iter().enumerate() {
            b.assert_zero(call.clone() * (e(l.val[k]) - want));
        }
        let call_accesses: [bus::AccessExprs<AB>; 5] = [
            (
                call.clone(),
                c(SPACE_REG),
                reg(l.parent, 2),
                konst(SYS_CLONE),
                tid,
            ),
            (
                call.clone(),
                c(SPACE_REG),
                reg(l.parent, 4),
                flags.clone(),
                flags,
            ),
            (
                call.clone(),
                c(SPACE_REG),
                reg(l.parent, 5),
                words(&l.stack),
                words(&l.stack),
            ),
            (
                call.clone(),
                c(SPACE_REG),
                reg(l.parent, 7),
                words(&l.a3),
                konst(0),
            ),
            (
                call.clone(),
                c(SPACE_KERNEL),
                c(KERNEL_CLONES),
                elem(e(l.clones)),
                elem(e(l.clones) + Expr::<AB>::ONE),
            ),
        ];
        // (On copy rows the first two access columns serve the copy.)
        for ((count, space, addr, prev, new), cols) in call_accesses.into_iter().zip(&l.acc) {
            access(b, count, space, addr, prev, new, ts.clone(), cols);
        }
        super::receive_instr_exprs(
            b,
            call.clone() * c(Opcode::Syscall as u32),
            e(l.clk),
            e(l.parent),
            konst(0),
            konst(0),
            konst(0),
            e(l.aux),
            call,
        );

        // The copy rows: the parent's slot (read before the call), the child's (written
        // at the call).
        let mask = e(l.mask);
        let space = c(SPACE_REG) + mask.clone() * c(SPACE_KERNEL - SPACE_REG);
        let block = |t: AB::Var| -> Expr<AB> {
            let reg = e(t) * c(REG_STRIDE) + e(l.idx);
            let kernel = c(KERNEL_THREADS) + e(t) * c(THREAD_WORDS) + e(l.idx);
            reg.clone() + mask.clone() * (kernel - reg)
        };
        b.assert_eq(l.src_addr, block(l.parent));
        b.assert_eq(l.dst_addr, block(l.child));
        let ts_read = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_C);
        access(
            b,
            e(l.src),
            space.clone(),
            e(l.src_addr),
            words(&l.val),
            words(&l.val),
            ts_read,
            &l.acc[0],
        );
        access(
            b,
            e(l.copy),
            space,
            e(l.dst_addr),
            words(&l.prev),
            words(&l.new),
            ts,
            &l.acc[1],
        );
        // The child's value: the parent's, but for Linux's changes.
        if kept("clone.copy") {
            let keep = Expr::<AB>::ONE
                - p[P_ZERO].clone()
                - p[P_SP].clone()
                - p[P_PC].clone()
                - p[P_NPC].clone();
            for k in 0..4 {
                let pc_byte = if k == 0 {
                    p[P_PC].clone() * e(l.aux) + p[P_NPC].clone() * (e(l.aux) + c(4))
                } else {
                    Expr::<AB>::ZERO
                };
                let want = keep.clone() * e(l.val[k]) + p[P_SP].clone() * e(l.stack[k]) + pc_byte;
                b.assert_zero(e(l.copy) * (e(l.new[k]) - want));
            }
        }
        // Unused cells: on copy rows stack_inv, tid, clones and a3, on the call row prev
        // and new, and on idle rows val, prev and new, are in no message with a non-zero count and no
        // constraint whose selector is not zero there (val on the resume rows, which are
        // not read, is multiplied by zero in the child's value); the trace generator
        // leaves them zero. Padding blocks have is_real 0 and send nothing.
    }
}
