//! The kernel-state boundary: one row per kernel word the run touches beyond the
//! initial-state chip's fixed list ([`super::bus::KERNEL_DYNAMIC`] and up: the signal
//! actions, the thread counter, the count of exited threads, the threads' masks,
//! alternate stacks, pending sets and take and exited words), and one per
//! register-space word beyond the main thread's registers ([`REG_PC`] and up: the main
//! thread's resume slots, and every later thread's block), sorted by space (registers
//! first), then address.
//!
//! A register-space word starts at zero too: a thread's block is written by the `clone`
//! that creates it, and its resume slots hold 0 until then, where no instruction lies.
//!
//! Each such word starts at zero at timestamp 0: Linux's state for a process that has
//! just started (every action `SIG_DFL` with no flags and an empty mask; no signal
//! blocked; no alternate stack, which Linux records as size 0). The row puts that zero
//! into the memory argument and takes the word's final value out at the end, so every
//! system call that reads the word finds either zero or what an earlier call wrote.
//!
//! Within a space addresses strictly increase (a 29-bit gap between neighbours), so no
//! word starts twice, and each lies at or above `KERNEL_DYNAMIC` (kernel) or `REG_PC`
//! (registers) (a 29-bit difference), so none is one of the initial-state chip's words, which start there with their own values. A
//! second start of one word would be a second, independent copy of it: a kernel whose
//! state a call could read back as it pleased.

use std::borrow::{Borrow, BorrowMut};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::boundary::{eval_limbs, limbs, Limbs};
use super::bus::{
    memory_receive, memory_send, range16, Expr, Word, KERNEL_CLONES, KERNEL_DYNAMIC, KERNEL_EXITS,
    KERNEL_IN_SIZE, KERNEL_PENDING, REG_NEXT_PC, REG_PC, REG_STRIDE, SPACE_KERNEL, SPACE_REG,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;

/// A touched kernel word (or register-space word) at the end of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelWord {
    /// In the register space (else the kernel's).
    pub reg: bool,
    pub addr: u32,
    pub value: u32,
    pub ts: u32,
}

impl KernelWord {
    /// Whether the word holds one field element (a thread's resume slot, the thread
    /// counter, the pending-signal count, the input's size, the count of exited threads)
    /// rather than four bytes.
    pub fn is_count(&self) -> bool {
        if self.reg {
            matches!(self.addr % REG_STRIDE, REG_PC | REG_NEXT_PC)
        } else {
            matches!(
                self.addr,
                KERNEL_CLONES | KERNEL_PENDING | KERNEL_IN_SIZE | KERNEL_EXITS
            ) || super::poll::is_count(self.addr)
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct StateCols<T> {
    pub is_real: T,
    /// A register-space word (else a kernel word); these rows come first.
    pub is_reg: T,
    /// The word's address.
    pub addr: T,
    pub final_value: Word<T>,
    pub final_ts: T,
    /// `addr - KERNEL_DYNAMIC`, or `addr - REG_PC` for a register-space word.
    pub above: Limbs<T>,
    /// `addr - previous row's addr - 1` (on the first row, and on the first kernel row
    /// after register rows, range-checked only: no constraint reads it there).
    pub gap: Limbs<T>,
}
columns!(StateCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct StateChip;

impl StateChip {
    /// The trace for the touched words, register-space words first, each part sorted by
    /// address.
    pub fn generate_trace(
        &self,
        words: &[KernelWord],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        let height = words.len().next_power_of_two().max(4);
        let w = StateCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(height * w);
        let mut prev: Option<(bool, u32)> = None;
        // (A knocked-out check's lookups are not counted either, so that only its
        // absence differs.)
        let mut unused = ByteCounts::default();
        for (i, k) in words.iter().enumerate() {
            let r: &mut StateCols<Val> = values[i * w..(i + 1) * w].borrow_mut();
            r.is_real = Val::ONE;
            r.is_reg = Val::from_bool(k.reg);
            r.addr = Val::from_u32(k.addr);
            let floor = if k.reg { REG_PC } else { KERNEL_DYNAMIC };
            r.final_value = if k.is_count() {
                [Val::from_u32(k.value), Val::ZERO, Val::ZERO, Val::ZERO]
            } else {
                super::word(k.value)
            };
            r.final_ts = Val::from_u32(k.ts);
            r.above = limbs(
                Val::from_u32(k.addr) - Val::from_u32(floor),
                if kept("state.dynamic") {
                    &mut *bytes
                } else {
                    &mut unused
                },
            );
            let gap = match prev {
                Some((reg, p)) if reg == k.reg => {
                    Val::from_u32(k.addr) - Val::from_u32(p) - Val::ONE
                }
                _ => Val::ZERO,
            };
            r.gap = limbs(
                gap,
                if kept("state.gap") {
                    &mut *bytes
                } else {
                    &mut unused
                },
            );
            prev = Some((k.reg, k.addr));
        }
        RowMajorMatrix::new(values, w)
    }
}

impl BaseAir<Val> for StateChip {
    fn width(&self) -> usize {
        StateCols::<u8>::WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for StateChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &StateCols<AB::Var> = main.current_slice().borrow();
        let n: &StateCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);
        b.assert_bool(l.is_reg);
        b.assert_zero(e(l.is_reg) * (Expr::<AB>::ONE - is_real.clone()));
        let space = || c(SPACE_KERNEL) - e(l.is_reg) * c(SPACE_KERNEL - SPACE_REG);
        let zero = || {
            [
                Expr::<AB>::ZERO,
                Expr::<AB>::ZERO,
                Expr::<AB>::ZERO,
                Expr::<AB>::ZERO,
            ]
        };

        // Zero in at timestamp 0, the final value out.
        memory_send(
            b,
            space(),
            e(l.addr),
            zero(),
            Expr::<AB>::ZERO,
            is_real.clone(),
        );
        memory_receive(
            b,
            space(),
            e(l.addr),
            l.final_value.map(Into::into),
            e(l.final_ts),
            is_real.clone(),
        );
        // Not one of the initial-state chip's words.
        if kept("state.dynamic") {
            let floor = c(KERNEL_DYNAMIC) - e(l.is_reg) * c(KERNEL_DYNAMIC - REG_PC);
            eval_limbs(b, e(l.addr) - floor, &l.above, is_real.clone());
        }
        // Strictly increasing addresses over the real rows; padding after them.
        if kept("state.gap") {
            range16(b, l.gap.lo, is_real.clone());
            range16(b, l.gap.hi, is_real.clone());
            range16(b, e(l.gap.hi) * c(8), is_real.clone());
        }
        let mut t = b.when_transition();
        t.assert_zero(e(n.is_real) * (Expr::<AB>::ONE - is_real));
        // Register rows first: is_reg never rises. Within a space, strictly increasing.
        let drop = e(l.is_reg) - e(n.is_reg);
        t.assert_zero(e(n.is_real) * drop.clone() * (Expr::<AB>::ONE - drop.clone()));
        t.assert_zero(
            e(n.is_real)
                * (Expr::<AB>::ONE - drop)
                * (e(n.addr)
                    - e(l.addr)
                    - Expr::<AB>::ONE
                    - e(n.gap.lo)
                    - e(n.gap.hi) * c(1 << 16)),
        );
        // Padding rows: is_real 0 sends and receives nothing; every other column is in
        // no message with a non-zero count and in range checks with a zero count only,
        // and the trace generator leaves them zero.
    }
}
