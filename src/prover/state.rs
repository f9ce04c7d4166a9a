//! The kernel-state boundary: one row per kernel word the run touches beyond the
//! initial-state chip's fixed list ([`super::bus::KERNEL_DYNAMIC`] and up: the signal
//! actions, the threads' masks and alternate stacks), sorted by address.
//!
//! Each such word starts at zero at timestamp 0: Linux's state for a process that has
//! just started (every action `SIG_DFL` with no flags and an empty mask; no signal
//! blocked; no alternate stack, which Linux records as size 0). The row puts that zero
//! into the memory argument and takes the word's final value out at the end, so every
//! system call that reads the word finds either zero or what an earlier call wrote.
//!
//! Addresses strictly increase (a 29-bit gap between neighbours), so no word starts
//! twice, and each lies at or above `KERNEL_DYNAMIC` (a 29-bit difference), so none is
//! one of the initial-state chip's words, which start there with their own values. A
//! second start of one word would be a second, independent copy of it: a kernel whose
//! state a call could read back as it pleased.

use std::borrow::{Borrow, BorrowMut};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::boundary::{eval_limbs, limbs, Limbs};
use super::bus::{memory_receive, memory_send, range16, Expr, Word, KERNEL_DYNAMIC, SPACE_KERNEL};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;

/// A touched kernel word at the end of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelWord {
    pub addr: u32,
    pub value: u32,
    pub ts: u32,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct StateCols<T> {
    pub is_real: T,
    /// The kernel word's address.
    pub addr: T,
    pub final_value: Word<T>,
    pub final_ts: T,
    /// `addr - KERNEL_DYNAMIC`.
    pub above: Limbs<T>,
    /// `addr - previous row's addr - 1` (on the first row, range-checked only: no
    /// constraint reads it there).
    pub gap: Limbs<T>,
}
columns!(StateCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct StateChip;

impl StateChip {
    /// The trace for the touched words, sorted by address.
    pub fn generate_trace(
        &self,
        words: &[KernelWord],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        let height = words.len().next_power_of_two().max(4);
        let w = StateCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(height * w);
        let mut prev: Option<u32> = None;
        // (A knocked-out check's lookups are not counted either, so that only its
        // absence differs.)
        let mut unused = ByteCounts::default();
        for (i, k) in words.iter().enumerate() {
            let r: &mut StateCols<Val> = values[i * w..(i + 1) * w].borrow_mut();
            r.is_real = Val::ONE;
            r.addr = Val::from_u32(k.addr);
            r.final_value = super::word(k.value);
            r.final_ts = Val::from_u32(k.ts);
            r.above = limbs(
                Val::from_u32(k.addr) - Val::from_u32(KERNEL_DYNAMIC),
                if kept("state.dynamic") {
                    &mut *bytes
                } else {
                    &mut unused
                },
            );
            let gap = match prev {
                Some(p) => Val::from_u32(k.addr) - Val::from_u32(p) - Val::ONE,
                None => Val::ZERO,
            };
            r.gap = limbs(
                gap,
                if kept("state.gap") {
                    &mut *bytes
                } else {
                    &mut unused
                },
            );
            prev = Some(k.addr);
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
            c(SPACE_KERNEL),
            e(l.addr),
            zero(),
            Expr::<AB>::ZERO,
            is_real.clone(),
        );
        memory_receive(
            b,
            c(SPACE_KERNEL),
            e(l.addr),
            l.final_value.map(Into::into),
            e(l.final_ts),
            is_real.clone(),
        );
        // Not one of the initial-state chip's words.
        if kept("state.dynamic") {
            eval_limbs(b, e(l.addr) - c(KERNEL_DYNAMIC), &l.above, is_real.clone());
        }
        // Strictly increasing addresses over the real rows; padding after them.
        if kept("state.gap") {
            range16(b, l.gap.lo, is_real.clone());
            range16(b, l.gap.hi, is_real.clone());
            range16(b, e(l.gap.hi) * c(8), is_real.clone());
        }
        let mut t = b.when_transition();
        t.assert_zero(e(n.is_real) * (Expr::<AB>::ONE - is_real));
        t.assert_zero(
            e(n.is_real)
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
