//! The scheduler chip: one row per context switch.
//!
//! A switch sits between two CPU rows: the last row of one thread's run (`clk`, the CPU's
//! `switch` flag) and the first row of the next run (`clk + 1`, its `resumed` flag). Linux
//! may preempt a thread at any instruction boundary and may run any live thread next, so
//! where switches fall and which thread runs is the prover's choice. What a switch may do
//! is not:
//!
//! - it saves where the old thread resumes (the CPU's `new_pc`, `new_next_pc`) into the
//!   old thread's slots [`REG_PC`] and [`REG_NEXT_PC`], at the leaving row's chip slot;
//! - it reads the new thread's slots at the next row's first slot, and the CPU's next row
//!   starts there, in that thread;
//! - it clears the new thread's LLbit, as Linux's return from the kernel does (so an `SC`
//!   never succeeds across a switch).
//!
//! - it reads and clears the new thread's [`THREAD_TAKE`] kernel word. When that word says
//!   another thread sent it a signal that it does not block (the send chip's `take`
//!   outcome), the new thread does not start at its loaded pair: the row sends that pair
//!   to the signal chip (kind [`SCHED_TAKE`], or `SCHED_TAKE + 1` for `SI_TKILL`, with the
//!   leaving row's clock) in place of the `SCHED_RESUME` half, and the signal chip
//!   delivers the signal and starts the thread in its handler. Otherwise the word is 0,
//!   so a switch cannot skip a delivery Linux makes on the thread's way back to user mode.
//!
//! - it reads the new thread's [`THREAD_EXITED`] kernel word, which must be 0: a thread
//!   that ended with `exit` (the syscall chip sets the word to 1) never runs again.
//!
//! It touches no other register, so a switch cannot change any thread's registers: each
//! thread's block keeps its values in the memory argument while it is switched out. A
//! thread that was never created has zero in its slots, and no ROM entry has `pc` 0, so
//! no switch can run it. A switch back to the same thread is allowed (the kernel put its
//! registers back after a wait).
//!
//! The CPU sends both halves on the `sched` bus, tagged: the leaving row's with kind
//! `SCHED_LEAVE`, the next row's with `SCHED_RESUME`. The CPU's clocks are distinct, and a
//! row that both resumes and leaves sends two messages of one clock that the tags keep
//! apart, so a row here matches exactly one switch. (Untagged, a switch could take that
//! row's leaving half as the next one's start and run any instruction in any thread.)

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    access, AccessCols, Expr, KERNEL_THREADS, REG_LLBIT, REG_NEXT_PC, REG_PC, REG_STRIDE, SCHED,
    SCHED_LEAVE, SCHED_RESUME, SCHED_TAKE, SLOT_A, SLOT_CHIP, SPACE_KERNEL, SPACE_REG,
    THREAD_EXITED, THREAD_TAKE, THREAD_WORDS, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::witness::Access;

/// One context switch.
#[derive(Clone, Copy, Debug)]
pub struct SchedEvent {
    /// The leaving row's clock.
    pub clk: u32,
    pub old: u32,
    pub new: u32,
    /// Where the old thread resumes, and what its slots held before.
    pub save: [u32; 2],
    pub prev_save: [u32; 2],
    /// Where the new thread starts.
    pub load: [u32; 2],
    /// The new thread's LLbit before the switch clears it.
    pub prev_ll: u32,
    /// What the switch takes (0 nothing, else 1 + the signal's `SI_TKILL`), and the new
    /// thread's [`THREAD_TAKE`] word it read (the same, but in a forged witness).
    pub take: u32,
    pub prev_take: u32,
    /// The saves, the loads, the LLbit, the take word, the exited word.
    pub acc: [Access; 7],
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct SchedCols<T> {
    pub is_real: T,
    pub clk: T,
    pub old: T,
    pub new: T,
    pub save: [T; 2],
    pub prev_save: [T; 2],
    pub load: [T; 2],
    pub prev_ll: T,
    /// The new thread takes a signal (its take word is `take + tkill`: 1 for `kill`'s, 2
    /// for `tkill`'s or `tgkill`'s).
    pub take: T,
    pub tkill: T,
    pub prev_take: T,
    pub acc: [AccessCols<T>; 7],
}
columns!(SchedCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct SchedChip;

impl SchedChip {
    pub fn generate_trace(
        &self,
        events: &[SchedEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<SchedCols<Val>, _>(events, SchedCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut SchedCols<Val>, ev: &SchedEvent, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    r.is_real = Val::ONE;
    r.clk = f(ev.clk);
    r.old = f(ev.old);
    r.new = f(ev.new);
    if super::knockout::kept("sched.new_range") {
        bytes.range16(ev.new);
    }
    r.save = ev.save.map(f);
    r.prev_save = ev.prev_save.map(f);
    r.load = ev.load.map(f);
    r.prev_ll = f(ev.prev_ll);
    r.take = Val::from_bool(ev.take != 0);
    r.tkill = Val::from_bool(ev.take == 2);
    r.prev_take = f(ev.prev_take);
    let n = if super::knockout::kept("sched.alive") {
        7
    } else {
        6
    };
    for (cols, acc) in r.acc.iter_mut().zip(&ev.acc).take(n) {
        super::fill_access(cols, acc, bytes);
    }
}

impl BaseAir<Val> for SchedChip {
    fn width(&self) -> usize {
        SchedCols::<u8>::WIDTH
    }
}

/// A field element as a memory value (`value[0]`).
fn elem<AB: p3_air::AirBuilder>(x: Expr<AB>) -> [Expr<AB>; 4] {
    [x, Expr::<AB>::ZERO, Expr::<AB>::ZERO, Expr::<AB>::ZERO]
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for SchedChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &SchedCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);
        // The new thread's index is below 2^16, so each `64 new + r` is exact and names
        // one slot of one thread (else `new + 1/64` would shift a block by one slot).
        if super::knockout::kept("sched.new_range") {
            super::bus::range16(b, l.new, is_real.clone());
        }

        // The new thread's take word: 0, or 1 + tkill when it takes a signal.
        b.assert_bool(l.take);
        b.assert_bool(l.tkill);
        b.assert_zero(e(l.tkill) * (Expr::<AB>::ONE - e(l.take)));
        b.assert_zero(e(l.take) * (Expr::<AB>::ONE - is_real.clone()));
        let take = e(l.take);

        // The two halves the CPU sent: the leaving row and the next one (or, when the new
        // thread takes a signal, the signal chip's delivery, which sends the next row's).
        b.push_interaction(
            SCHED,
            [
                c(SCHED_LEAVE),
                e(l.clk),
                e(l.old),
                e(l.save[0]),
                e(l.save[1]),
            ],
            Count::bounded(-is_real.clone(), 1),
        );
        b.push_interaction(
            SCHED,
            [
                c(SCHED_RESUME) + take.clone() * c(SCHED_TAKE - SCHED_RESUME) + e(l.tkill),
                e(l.clk) + Expr::<AB>::ONE - take.clone(),
                e(l.new),
                e(l.load[0]),
                e(l.load[1]),
            ],
            // (Received from the CPU's next row; sent to the signal chip when taking.)
            Count::bounded(-is_real.clone() + take.clone() * c(2), 1),
        );

        let ts_save = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let ts_load = (e(l.clk) + c(2)) * c(TS_SLOTS) + c(SLOT_A);
        let old = |r: u32| e(l.old) * c(REG_STRIDE) + c(r);
        let new = |r: u32| e(l.new) * c(REG_STRIDE) + c(r);
        let space = || c(SPACE_REG);
        for k in 0..2 {
            let slot = [REG_PC, REG_NEXT_PC][k];
            access(
                b,
                is_real.clone(),
                space(),
                old(slot),
                elem::<AB>(e(l.prev_save[k])),
                elem::<AB>(e(l.save[k])),
                ts_save.clone(),
                &l.acc[k],
            );
            access(
                b,
                is_real.clone(),
                space(),
                new(slot),
                elem::<AB>(e(l.load[k])),
                elem::<AB>(e(l.load[k])),
                ts_load.clone(),
                &l.acc[2 + k],
            );
        }
        access(
            b,
            is_real.clone(),
            space(),
            new(REG_LLBIT as u32),
            elem::<AB>(e(l.prev_ll)),
            elem::<AB>(Expr::<AB>::ZERO),
            ts_load.clone(),
            &l.acc[4],
        );
        // The take word read is what the flags say: a switch takes the signal it names.
        // (After the signal chip's accesses of a delivery here, at the leaving row's chip
        // slot: none of them is this word.)
        if super::knockout::kept("sched.take") {
            b.assert_zero(is_real.clone() * (e(l.prev_take) - take - e(l.tkill)));
        }
        access(
            b,
            is_real.clone(),
            c(SPACE_KERNEL),
            c(KERNEL_THREADS + THREAD_TAKE) + c(THREAD_WORDS) * e(l.new),
            elem::<AB>(e(l.prev_take)),
            elem::<AB>(Expr::<AB>::ZERO),
            ts_load.clone(),
            &l.acc[5],
        );
        // The new thread lives: its exited word is 0 (an `exit` sets it to 1 for good).
        if super::knockout::kept("sched.alive") {
            access(
                b,
                is_real.clone(),
                c(SPACE_KERNEL),
                c(KERNEL_THREADS + THREAD_EXITED) + c(THREAD_WORDS) * e(l.new),
                elem::<AB>(Expr::<AB>::ZERO),
                elem::<AB>(Expr::<AB>::ZERO),
                ts_load,
                &l.acc[6],
            );
        }
        // Padding rows (is_real 0) are in no message with a non-zero count and no
        // constraint; prev_save and prev_ll are in the memory argument's messages only,
        // which take whatever the slot held before (prev_take too, but it is the flags').
    }
}
