//! The futex chip: `futex(addr, op, val, timeout)` (o32 4238) with `FUTEX_WAIT_PRIVATE`
//! and `FUTEX_WAKE_PRIVATE`, the two operations of Go's `futexsleep` and `futexwakeup`.
//! One row per call.
//!
//! Linux leaves two things open, and the proof leaves them to the prover: which thread
//! runs while a waiter sleeps (the sched chip), and spurious wake-ups, which Linux's
//! `futex(2)` tells every caller to expect. So a wait need not stay blocked in the
//! proof: what is constrained is what the caller can observe.
//!
//! - **`FUTEX_WAIT_PRIVATE`** reads the word at `addr` through the memory argument.
//!   It returns `EAGAIN` exactly when the word differs from `val` (a sum of squared byte
//!   differences and its inverse). Otherwise it returns 0 (woken, or spuriously) or, only
//!   when a timeout was given, `ETIMEDOUT`: the prover picks which.
//! - **`FUTEX_WAKE_PRIVATE`** returns a count `n` that is plausible for the waiters:
//!   `n <= val` (when `val` is below 2^16; a larger `val` bounds nothing here) and `n` at
//!   most the number of other live threads: the kernel's thread counter less the count
//!   of threads that have exited.
//! - **A restarted wait** (`restart`): a signal came while a `FUTEX_WAIT` without a
//!   timeout slept, and its handler has `SA_RESTART`, so Linux goes back to the
//!   `SYSCALL` after the handler (`ERESTARTSYS`: `$v0` back to the number, `$a3` from the
//!   slot that kept it, `epc - 4`). The row writes neither register (`$v0` keeps the
//!   number, `$a3` the null timeout), takes its `SYSCALL` row's leaving half of the
//!   `sched` messages, `(aux, aux + 4)`, and sends it on as `(aux - 4, aux)`: the
//!   thread is switched out at its `SYSCALL`, which it runs again when it resumes. That
//!   changes nothing any thread could see (the word is only read), so it is what Linux
//!   does had the thread been preempted just before the call: the proof need not show
//!   that a signal came, and when one did the delivery at the next switch to the thread
//!   saves `sc_pc` at the `SYSCALL`, as Linux's restart does.
//! - Both need `addr` word-aligned (Linux's `EINVAL` otherwise, which the tracer
//!   refuses).
//!
//! - A wait's timeout, when given, is a readable, valid 32-bit `timespec` (`tv_sec >= 0`,
//!   `0 <= tv_nsec < 10^9`): Linux copies and checks it at the call's entry (`EFAULT`,
//!   `EINVAL`), before it looks at the word, so every result above needs it.
//!
//! Not constrained: a negative `val` for a wake (Linux then wakes at most one) is bounded
//! only by the thread count. A wait that times out does not move the clocks on (see the
//! clock chip's sleeps).

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, range16, AccessCols, Expr, Word, KERNEL_CLONES, KERNEL_EXITS, REG_STRIDE, SCHED,
    SCHED_LEAVE, SLOT_CHIP, SPACE_KERNEL, SPACE_MEM, SPACE_REG, SPACE_RO, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};
use crate::syscalls::errno::{EAGAIN, ETIMEDOUT};

/// `futex`'s o32 number (32-bit `timespec`).
pub const SYS_FUTEX: u32 = 4238;
pub const FUTEX_WAIT_PRIVATE: u32 = 128;
pub const FUTEX_WAKE_PRIVATE: u32 = 129;
/// Nanoseconds per second: a `tv_nsec` is below this.
const NS: u32 = 1_000_000_000;

/// Whether the chip proves this call (given its result).
pub fn supported(args: &[u32; 6]) -> bool {
    matches!(args[1], FUTEX_WAIT_PRIVATE | FUTEX_WAKE_PRIVATE)
        && args[0] % 4 == 0
        && (args[1] == FUTEX_WAKE_PRIVATE || args[3] % 4 == 0)
}

/// Whether the chip proves this result of a supported call.
pub fn provable_result(args: &[u32; 4], v0: u32, a3: u32) -> bool {
    if args[1] == FUTEX_WAKE_PRIVATE {
        return a3 == 0 && v0 < 1 << 16;
    }
    matches!((v0, a3), (0, 0) | (EAGAIN, 1)) || ((v0, a3) == (ETIMEDOUT, 1) && args[3] != 0)
}

/// One call.
#[derive(Clone, Copy, Debug)]
pub struct FutexEvent {
    pub instr: InstrEvent,
    pub wake: bool,
    /// A wait a signal interrupted, restarted (`result` is then `(SYS_FUTEX, 0)`).
    pub restart: bool,
    /// `$a0..$a3`.
    pub args: [u32; 4],
    pub result: (u32, u32),
    /// A wait: the word read, and whether it is read-only.
    pub word: u32,
    pub ro: bool,
    /// A wake: the thread counter, and the count of threads that have exited.
    pub clones: u32,
    pub exits: u32,
    /// A wait with a timeout: its two words (`tv_sec`, `tv_nsec`), and whether they are
    /// read-only.
    pub timespec: [u32; 2],
    pub ts_ro: bool,
    /// `$v0`, `$a0`, `$a1`, `$a2`, `$a3`, the word (a wait) or the counter (a wake).
    pub acc: [Access; 6],
    /// The timeout's two words.
    pub ts_acc: [Option<Access>; 2],
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct FutexCols<T> {
    pub is_real: T,
    pub is_wake: T,
    pub clk: T,
    pub thread: T,
    /// The ROM's `aux` for the `SYSCALL` (its `pc + 4`), where a restart resumes the
    /// thread one instruction back.
    pub aux: T,
    pub addr: Word<T>,
    pub val: Word<T>,
    /// `$a3` before the call: the timeout pointer.
    pub timeout: Word<T>,
    /// `addr[0] = 4 addr_q`: the address is aligned, and its word address exact.
    pub addr_q: T,
    /// A wait: the word, whether it is read-only, `d = Σ (word_k - val_k)^2` and its
    /// inverse, whether it differs, whether a timeout was given (with the inverse of the
    /// pointer's byte sum), and whether the wait timed out.
    pub ro: T,
    pub word: Word<T>,
    pub d: T,
    pub d_inv: T,
    pub differs: T,
    pub has_timeout: T,
    pub timeout_inv: T,
    pub timed_out: T,
    /// A wait without a timeout, restarted after a signal's handler.
    pub restart: T,
    /// A wake: the count (two bytes), the thread counter and the count of exited
    /// threads (so `clones - exits` other threads could wait), whether `val >= 2^16` (with the
    /// inverse of its high bytes' sum), and `val - n` where `val < 2^16`.
    pub n: [T; 2],
    pub clones: T,
    pub exits: T,
    pub val_big: T,
    pub big_inv: T,
    pub slack: T,
    /// A wait with a timeout: the pointer's low byte over 4 (aligned), its words, whether
    /// they are read-only, and `10^9 - 1 - tv_nsec = g_lo + 2^16 g_hi`.
    pub ts_q: T,
    pub ts_ro: T,
    pub sec: Word<T>,
    pub nsec: Word<T>,
    pub g_lo: T,
    pub g_hi: T,
    pub acc: [AccessCols<T>; 6],
    pub ts_acc: [AccessCols<T>; 2],
}
columns!(FutexCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct FutexChip;

impl FutexChip {
    pub fn generate_trace(
        &self,
        events: &[FutexEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<FutexCols<Val>, _>(events, FutexCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut FutexCols<Val>, ev: &FutexEvent, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    let [addr, _, val, timeout] = ev.args;
    r.is_real = Val::ONE;
    r.is_wake = Val::from_bool(ev.wake);
    r.clk = f(ev.instr.clk);
    r.thread = f(ev.instr.thread);
    r.aux = f(ev.instr.aux);
    r.addr = super::word(addr);
    r.val = super::word(val);
    r.timeout = super::word(timeout);
    r.addr_q = f((addr & 0xff) >> 2);
    bytes.range8x2((addr & 0xff) >> 2, 0);
    if ev.wake {
        let n = ev.result.0;
        r.n = [f(n & 0xff), f(n >> 8)];
        bytes.range8x2(n & 0xff, n >> 8);
        r.clones = f(ev.clones);
        r.exits = f(ev.exits);
        let hi = (val >> 16 & 0xff) + (val >> 24);
        r.val_big = Val::from_bool(hi != 0);
        r.big_inv = f(hi).try_inverse().unwrap_or(Val::ZERO);
        let slack = if hi == 0 {
            (val & 0xffff) as i64 - n as i64
        } else {
            0
        };
        r.slack = Val::from_i64(slack);
        // (A count above either bound is only in a forged witness: its range checks are
        // left uncounted, as are a knocked-out check's.)
        let exits = if kept("futex.exits") { ev.exits } else { 0 };
        let spare = ev.clones as i64 - exits as i64 - n as i64;
        if kept("futex.wake") && spare >= 0 {
            bytes.range16(spare as u32);
        }
        if kept("futex.wake") && slack >= 0 {
            bytes.range16(slack as u32);
        }
    } else {
        r.ro = Val::from_bool(ev.ro);
        r.word = super::word(ev.word);
        let d: u32 = ev
            .word
            .to_le_bytes()
            .iter()
            .zip(val.to_le_bytes())
            .map(|(&a, b)| (a as i32 - b as i32).pow(2) as u32)
            .sum();
        r.d = f(d);
        r.d_inv = f(d).try_inverse().unwrap_or(Val::ZERO);
        // The result says whether it differed; the constraints hold it to the word.
        r.differs = Val::from_bool(ev.result == (EAGAIN, 1));
        let s: u32 = timeout.to_le_bytes().iter().map(|&b| b as u32).sum();
        r.has_timeout = Val::from_bool(s != 0);
        r.timeout_inv = f(s).try_inverse().unwrap_or(Val::ZERO);
        r.timed_out = Val::from_bool(ev.result == (ETIMEDOUT, 1));
        r.restart = Val::from_bool(ev.restart);
        if s != 0 {
            let q = (timeout & 0xff) >> 2;
            r.ts_q = f(q);
            bytes.range8x2(q, 4 * q);
            bytes.range8x2(2 * (timeout >> 24), 0);
            r.ts_ro = Val::from_bool(ev.ts_ro);
            let [sec, nsec] = ev.timespec;
            r.sec = super::word(sec);
            r.nsec = super::word(nsec);
            // (Out of range only in a forged witness: left uncounted, as a knocked-out
            // check's lookups are.)
            let valid = sec >> 31 == 0 && nsec < 1 << 30;
            let g = (NS - 1) as i64 - nsec as i64;
            r.g_lo = Val::from_i64(g & 0xffff);
            r.g_hi = Val::from_i64(g >> 16);
            if valid && g >= 0 && kept("futex.timespec") {
                bytes.range8x2(2 * (sec >> 24), 4 * (nsec >> 24));
                bytes.range16((g & 0xffff) as u32);
                bytes.range16(4 * (g >> 16) as u32);
            }
        }
    }
    for (cols, acc) in r.acc.iter_mut().zip(&ev.acc) {
        super::fill_access(cols, acc, bytes);
    }
    for (cols, acc) in r.ts_acc.iter_mut().zip(&ev.ts_acc) {
        if let Some(acc) = acc {
            super::fill_access(cols, acc, bytes);
        }
    }
}

impl BaseAir<Val> for FutexChip {
    fn width(&self) -> usize {
        FutexCols::<u8>::WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for FutexChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &FutexCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let words = |w: &Word<AB::Var>| -> [Expr<AB>; 4] { w.map(Into::into) };
        let konst = |v: u32| -> [Expr<AB>; 4] { v.to_le_bytes().map(|x| c(x as u32)) };
        let is_real = e(l.is_real);
        let wake = e(l.is_wake);
        let wait = is_real.clone() - wake.clone();
        b.assert_bool(l.is_real);
        b.assert_bool(l.is_wake);
        b.assert_zero(wake.clone() * (Expr::<AB>::ONE - is_real.clone()));
        for f in [l.ro, l.differs, l.has_timeout, l.timed_out, l.restart] {
            b.assert_bool(f);
            b.assert_zero(e(f) * (Expr::<AB>::ONE - wait.clone()));
        }

        // The address: aligned, and its word address exact.
        b.assert_zero(is_real.clone() * (e(l.addr[0]) - c(4) * e(l.addr_q)));
        bus::range8x2(b, l.addr_q, Expr::<AB>::ZERO, is_real.clone());
        let waddr = e(l.addr_q)
            + e(l.addr[1]) * c(1 << 6)
            + e(l.addr[2]) * c(1 << 14)
            + e(l.addr[3]) * c(1 << 22);

        // A wait: EAGAIN exactly when the word differs from val.
        let mut d = Expr::<AB>::ZERO;
        for k in 0..4 {
            let x = e(l.word[k]) - e(l.val[k]);
            d += x.clone() * x;
        }
        b.assert_zero(wait.clone() * (e(l.d) - d));
        if kept("futex.eagain") {
            b.assert_zero(wait.clone() * (e(l.differs) - e(l.d) * e(l.d_inv)));
            b.assert_zero(wait.clone() * e(l.d) * (Expr::<AB>::ONE - e(l.differs)));
        }
        // ETIMEDOUT only with a timeout, and not with EAGAIN.
        let s = l.timeout.iter().fold(Expr::<AB>::ZERO, |a, &x| a + e(x));
        b.assert_zero(wait.clone() * (e(l.has_timeout) - s.clone() * e(l.timeout_inv)));
        b.assert_zero(wait.clone() * s * (Expr::<AB>::ONE - e(l.has_timeout)));
        if kept("futex.timeout") {
            b.assert_zero(e(l.timed_out) * (Expr::<AB>::ONE - e(l.has_timeout)));
        }
        b.assert_zero(e(l.timed_out) * e(l.differs));
        // A restart: of a wait that slept (the word matched), without a timeout, as
        // Linux restarts (a timed wait fails with EINTR instead). Each is also what keeps
        // the registers as they were: EAGAIN or ETIMEDOUT would add to $v0's number and
        // set $a3, and a timeout's pointer in $a3 would become the error flag 0.
        let restart = e(l.restart);
        b.assert_zero(restart.clone() * (e(l.differs) + e(l.timed_out) + e(l.has_timeout)));

        // A timeout is a readable, valid timespec (before the word is looked at): the
        // pointer aligned and below 2^31, tv_sec below 2^31, tv_nsec below 2^30 and, with
        // g, below 10^9.
        let has_ts = e(l.has_timeout);
        b.assert_bool(l.ts_ro);
        b.assert_zero(e(l.ts_ro) * (Expr::<AB>::ONE - has_ts.clone()));
        b.assert_zero(has_ts.clone() * (e(l.timeout[0]) - c(4) * e(l.ts_q)));
        bus::range8x2(b, l.ts_q, c(4) * e(l.ts_q), has_ts.clone());
        bus::range8x2(b, c(2) * e(l.timeout[3]), Expr::<AB>::ZERO, has_ts.clone());
        let ts_waddr = e(l.ts_q)
            + e(l.timeout[1]) * c(1 << 6)
            + e(l.timeout[2]) * c(1 << 14)
            + e(l.timeout[3]) * c(1 << 22);
        if kept("futex.timespec") {
            bus::range8x2(b, c(2) * e(l.sec[3]), c(4) * e(l.nsec[3]), has_ts.clone());
            let g = e(l.g_lo) + c(1 << 16) * e(l.g_hi);
            b.assert_zero(has_ts.clone() * (c(NS - 1) - bus::word_value::<AB>(&l.nsec) - g));
            bus::range16(b, l.g_lo, has_ts.clone());
            bus::range16(b, c(4) * e(l.g_hi), has_ts.clone());
        }
        let ts_space = c(SPACE_MEM) + e(l.ts_ro) * c(SPACE_RO - SPACE_MEM);
        for (k, w) in [&l.sec, &l.nsec].into_iter().enumerate() {
            access(
                b,
                has_ts.clone(),
                ts_space.clone(),
                ts_waddr.clone() + c(k as u32),
                words(w),
                words(w),
                (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP),
                &l.ts_acc[k],
            );
        }

        // A wake: n <= the other threads, and n <= val where val < 2^16.
        let n = e(l.n[0]) + e(l.n[1]) * c(256);
        bus::range8x2(b, l.n[0], l.n[1], wake.clone());
        for k in 0..2 {
            b.assert_zero(wait.clone() * e(l.n[k]));
        }
        if kept("futex.wake") {
            // (The exited threads wait for nothing: they are not among those counted.)
            let exits = if kept("futex.exits") {
                e(l.exits)
            } else {
                Expr::<AB>::ZERO
            };
            range16(b, e(l.clones) - exits - n.clone(), wake.clone());
            let hi = e(l.val[2]) + e(l.val[3]);
            b.assert_zero(wake.clone() * (e(l.val_big) - hi.clone() * e(l.big_inv)));
            b.assert_zero(wake.clone() * hi * (Expr::<AB>::ONE - e(l.val_big)));
            let lo = e(l.val[0]) + e(l.val[1]) * c(256);
            b.assert_zero(
                wake.clone() * (e(l.slack) - (Expr::<AB>::ONE - e(l.val_big)) * (lo - n.clone())),
            );
            range16(b, e(l.slack), wake.clone());
        }

        // The accesses, at the chip's slot.
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        // (A restart keeps the number in $v0, and $a3's null timeout: no error flag.)
        let [lo, hi, _, _] = SYS_FUTEX.to_le_bytes().map(|x| c(x as u32));
        let result = [
            c(EAGAIN) * e(l.differs)
                + c(ETIMEDOUT) * e(l.timed_out)
                + e(l.n[0])
                + restart.clone() * lo,
            e(l.n[1]) + restart.clone() * hi,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        let err = [
            e(l.differs) + e(l.timed_out),
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        let op = [
            c(FUTEX_WAIT_PRIVATE) + wake.clone(),
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        let clones = [
            e(l.clones),
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        let accesses: [bus::AccessExprs<AB>; 7] = [
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(2),
                konst(SYS_FUTEX),
                result,
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(4),
                words(&l.addr),
                words(&l.addr),
            ),
            (is_real.clone(), c(SPACE_REG), reg(5), op.clone(), op),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(6),
                words(&l.val),
                words(&l.val),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(7),
                words(&l.timeout),
                err,
            ),
            (
                wait,
                c(SPACE_MEM) + e(l.ro) * c(SPACE_RO - SPACE_MEM),
                waddr,
                words(&l.word),
                words(&l.word),
            ),
            (
                wake.clone(),
                c(SPACE_KERNEL),
                c(KERNEL_CLONES),
                clones.clone(),
                clones,
            ),
        ];
        // A wake also reads the count of exited threads, in the first timeout access's
        // columns (a wake has no timeout).
        let exits = [
            e(l.exits),
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        access(
            b,
            wake,
            c(SPACE_KERNEL),
            c(KERNEL_EXITS),
            exits.clone(),
            exits,
            (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP),
            &l.ts_acc[0],
        );
        // The word (a wait) and the counter (a wake) share the last access's columns.
        for (k, (count, space, addr, prev, new)) in accesses.into_iter().enumerate() {
            access(
                b,
                count,
                space,
                addr,
                prev,
                new,
                ts.clone(),
                &l.acc[k.min(5)],
            );
        }

        // A restart: the SYSCALL row's leaving half (where the thread resumes, `aux`, its
        // `pc + 4`), passed on one instruction back, at the SYSCALL.
        b.push_interaction(
            SCHED,
            [
                c(SCHED_LEAVE),
                e(l.clk),
                e(l.thread),
                e(l.aux),
                e(l.aux) + c(4),
            ],
            Count::bounded(-restart.clone(), 1),
        );
        b.push_interaction(
            SCHED,
            [
                c(SCHED_LEAVE),
                e(l.clk),
                e(l.thread),
                e(l.aux) - c(4),
                e(l.aux),
            ],
            Count::bounded(restart, 1),
        );
        super::receive_instr_exprs(
            b,
            is_real.clone() * c(Opcode::Syscall as u32),
            e(l.clk),
            e(l.thread),
            konst(0),
            konst(0),
            konst(0),
            e(l.aux),
            is_real,
        );
        // Unused cells: on a wake row ro, word, d, d_inv, differs, has_timeout,
        // timeout_inv and timed_out (zero by the constraints above or in no constraint
        // whose selector is not zero), on a wait row n (zero), clones, exits, val_big, big_inv
        // and slack, and on a row without a timeout ts_q, sec, nsec, g_lo, g_hi and the
        // timeout's accesses (in no constraint and no message with a non-zero count; ts_ro
        // is zero there); the trace generator leaves them zero.
    }
}
