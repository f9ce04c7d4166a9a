//! The send chip: a signal sent with `kill(pid, sig)`, `tkill(tid, sig)` or
//! `tgkill(pid, tid, sig)` that Linux does not deliver on the way back from the call: the
//! target thread blocks it (pending), its action ignores it, its default action ends the
//! process, or it goes to another thread, which takes it when it next runs. One row per
//! such call, in place of any other syscall chip. (A signal the sender's handler takes
//! at once is the signal chip's.)
//!
//! The row proves one of four outcomes (`pend`, `ign` or `dign`, `fatal`, `take`,
//! summing to `is_real`), for a target thread `u` (its index, `tid - 1000`):
//!
//! - the call: its number (`$v0`), its target and its signal: `kill(1000, sig)` (the
//!   process), `tkill(1000 + u, sig)`, `tgkill(1000, 1000 + u, sig)`, two-byte or
//!   one-byte values with their other bytes held to 0, so nothing aliases. `u` is a
//!   thread that exists: below 2^16 and at most the kernel's thread counter, and that
//!   lives: its [`THREAD_EXITED`] word is 0 (Linux answers `ESRCH` for one that has
//!   ended with `exit`);
//! - the signal's place in a mask: one-hot word, byte and bit, so `1 <= sig <= 128`; not a
//!   stop signal or `SIGCONT` (sending one flushes the other kind from every thread's
//!   pending set, which the proof does not follow);
//! - `u`'s mask word that holds the signal's bit is read: `mask & bit = bit` (blocked)
//!   for a pending signal, `0` for the others (`And` lookups);
//! - **pending** (`tkill`, `tgkill`): Linux's `send_signal` never ignores a blocked
//!   signal (its handler may change before it is unblocked), so it becomes pending
//!   whatever its action. `u`'s pending set (four kernel words from [`THREAD_PENDING`])
//!   was empty, and holds the signal afterwards: at most one signal is pending per
//!   thread, so "the lowest pending signal" never has to be found in the AIR. The
//!   process's count of pending signals ([`KERNEL_PENDING`]) goes up by one;
//! - **taken at a switch** (`take`): `u` is another thread (`(u - thread) uinv = 1`),
//!   which is switched out, as one CPU runs one thread at a time. It does not block the
//!   signal and its handler is neither `SIG_DFL` nor `SIG_IGN` (`h (h - 1) hinv = 1`), so
//!   Linux makes the signal pending for it and delivers it when it next returns to user
//!   mode. The pending set and the count change as for a pending signal, and `u`'s
//!   [`THREAD_TAKE`] word goes from 0 to 1 (`kill`, `SI_USER`) or 2 (`SI_TKILL`): the
//!   next switch to `u` must deliver it (the sched chip). Its mask cannot change before
//!   then (only `u` changes it), and no action can (`rt_sigaction` waits for a zero
//!   count). A `kill` goes to the main thread (`u = 0`), which Linux's `complete_signal`
//!   picks when it does not block the signal and has none pending, from another thread
//!   (the main thread's own `kill` is delivered at once);
//! - **ignored**: the action's handler is `SIG_IGN` (`ign`), or `SIG_DFL` of `SIGCHLD`,
//!   `SIGWINCH` or `SIGURG` (`dign`), whose default is to ignore, and `u` does not
//!   block it: Linux drops it. A `kill`'s `u` is the main thread, whose mask is the one
//!   `sig_ignored` reads;
//! - **fatal**: the handler is `SIG_DFL` of any other signal: Linux ends the process with
//!   the signal, which the statement's exit status gives as `128 + sig`. The row answers
//!   the CPU `halt` and makes `128 + sig` the public exit status. (A `kill`'s `u` is any
//!   thread that does not block the signal, so `complete_signal` finds a thread to take
//!   it, and the signal is fatal to the whole process.)
//! - the call returns 0 in `$v0` and `$a3`, but for a fatal one, which does not return.
//!
//! Every access is at the `SYSCALL` row's chip slot.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, ACTION_WORDS, KERNEL_CLONES, KERNEL_PENDING,
    KERNEL_THREADS, REG_STRIDE, SLOT_CHIP, SPACE_KERNEL, SPACE_REG, THREAD_EXITED, THREAD_MASK,
    THREAD_PENDING, THREAD_TAKE, THREAD_WORDS, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::signal::{sig_bits, ACTION_HANDLER, PID, SYS_KILL, SYS_TGKILL, SYS_TKILL};
use super::syscall::FIRST_TID;
use super::witness::{Access, InstrEvent};

/// What a send that is not delivered at once does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The thread blocks the signal: pending.
    Pend,
    /// Its handler is `SIG_IGN`, or `SIG_DFL` of a signal whose default is to ignore.
    Ignored { dfl: bool },
    /// Its handler is `SIG_DFL` of a signal whose default ends the process.
    Fatal,
    /// To another thread that does not block it, with a handler: taken at its next switch.
    Take,
}

/// The signals whose default action is to ignore them (`SIGCHLD`, `SIGWINCH`, `SIGURG`;
/// `SIGCONT` too, but the proof sends no stop signal or `SIGCONT`).
pub const DEFAULT_IGNORED: [u32; 3] = [18, 20, 21];

super::knockout::test_switch! {
    /// Tests: the witness claims every send pending, whatever the mask says.
    static FORGED_PEND;
    /// Whether the witness claims a send pending whatever the mask says (tests only).
    fn forged_pend;
}

super::knockout::test_switch! {
    /// Tests: the witness claims a signal the thread sends itself, which it does not
    /// block and has a handler for, taken at a later switch.
    static FORGED_TAKE;
    /// Whether the witness claims a send to the thread itself taken at a switch (tests only).
    fn forged_take;
}

/// The public values: the exit status of a fatal signal (`128 + sig`).
pub mod pv {
    pub const EXIT_CODE: usize = 0;
    pub const COUNT: usize = 1;
}

/// One `kill`, `tkill` or `tgkill` whose signal is not delivered at once.
#[derive(Clone, Copy, Debug)]
pub struct SendEvent {
    pub instr: InstrEvent,
    pub outcome: Outcome,
    /// The target thread, and the thread counter.
    pub target: u32,
    pub clones: u32,
    /// The action's handler (read for an ignored or fatal signal).
    pub handler: u32,
    /// `$v0` (the call's number), `$a0`, `$a1`, `$a2`, `$a3` before the call.
    pub args: [u32; 5],
    pub sig: u32,
    /// The target's mask word that holds the signal's bit.
    pub mask: u32,
    /// The pending set before (empty in an honest run), and the count of pending signals.
    pub pending: [u32; 4],
    pub count: u32,
    /// `$v0`, `$a0`, `$a1`, `$a2` (tgkill), `$a3`; the mask word; the pending set; the
    /// count; the handler; the thread counter; the take word; the exited word.
    pub acc: [Option<Access>; 15],
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct SendCols<T> {
    pub is_real: T,
    /// The outcome: pending, ignored (`SIG_IGN`; `SIG_DFL` of a signal whose default is
    /// to ignore), fatal.
    pub pend: T,
    pub ign: T,
    pub dign: T,
    pub fatal: T,
    pub take: T,
    /// `tgkill`, `kill` (else `tkill`).
    pub tg: T,
    pub kl: T,
    pub clk: T,
    pub thread: T,
    /// The target thread, the inverse of `u - thread` (a row that takes a signal at a
    /// switch), and the thread counter, which `u` is at most.
    pub u: T,
    pub uinv: T,
    pub clones: T,
    /// The ROM's `aux` for the `SYSCALL`: in the `instr` message only, bound by the ROM
    /// through the CPU.
    pub aux: T,
    /// `$v0`, `$a0`, `$a1`, `$a2` before the call (`$a2` is read by `tgkill` only: on a
    /// `tkill` row it is in no message and no constraint), and `$a3`.
    pub args: [Word<T>; 4],
    pub a3: Word<T>,
    /// The signal, and its place in a mask: word `wsel`, byte `ksel`, bit `bsel` (one-hot
    /// each), with `kbv[k] = ksel[k] 2^bit`.
    pub sig: T,
    pub wsel: [T; 4],
    pub ksel: [T; 4],
    pub bsel: [T; 8],
    pub kbv: [T; 4],
    /// The mask word `wsel` names.
    pub mask: Word<T>,
    /// The pending set before the call, and the count of pending signals.
    pub pending: [Word<T>; 4],
    pub count: T,
    /// The action's handler, and whether the signal's default is to ignore it; on a row
    /// that takes a signal at a switch, `h (h - 1)` of the handler's value `h` and its
    /// inverse (a handler, neither `SIG_DFL` nor `SIG_IGN`).
    pub handler: Word<T>,
    pub dfl_ign: T,
    pub hh: T,
    pub hinv: T,
    pub acc: [AccessCols<T>; 15],
}
columns!(SendCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct SendChip;

impl SendChip {
    pub fn generate_trace(
        &self,
        events: &[SendEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<SendCols<Val>, _>(events, SendCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut SendCols<Val>, ev: &SendEvent, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    r.is_real = Val::ONE;
    r.pend = Val::from_bool(ev.outcome == Outcome::Pend);
    r.ign = Val::from_bool(ev.outcome == Outcome::Ignored { dfl: false });
    r.dign = Val::from_bool(ev.outcome == Outcome::Ignored { dfl: true });
    r.fatal = Val::from_bool(ev.outcome == Outcome::Fatal);
    r.take = Val::from_bool(ev.outcome == Outcome::Take);
    r.u = f(ev.target);
    r.uinv = (f(ev.target) - f(ev.instr.thread))
        .try_inverse()
        .unwrap_or(Val::ZERO);
    r.clones = f(ev.clones);
    // (A target out of range is only in a forged witness: its range checks are left
    // uncounted, as a knocked-out check's are.)
    use p3_field::PrimeField32;
    let spare = (f(ev.clones) - f(ev.target)).as_canonical_u32();
    if spare < 1 << 16 && kept("send.target") {
        bytes.range16(spare);
    }
    if ev.target < 1 << 16 && kept("send.target_low") {
        bytes.range16(ev.target);
    }
    if ev.outcome == Outcome::Take {
        let h = f(ev.handler);
        r.hh = h * (h - Val::ONE);
        r.hinv = r.hh.try_inverse().unwrap_or(Val::ZERO);
    }
    r.tg = Val::from_bool(ev.args[0] == SYS_TGKILL);
    r.kl = Val::from_bool(ev.args[0] == SYS_KILL);
    r.handler = super::word(ev.handler);
    r.dfl_ign = Val::from_bool(DEFAULT_IGNORED.contains(&ev.sig));
    r.clk = f(ev.instr.clk);
    r.thread = f(ev.instr.thread);
    r.aux = f(ev.instr.aux);
    for j in 0..4 {
        if j < 3 || ev.args[0] == SYS_TGKILL {
            r.args[j] = super::word(ev.args[j]);
        }
    }
    r.a3 = super::word(ev.args[4]);
    r.sig = f(ev.sig);
    (r.wsel, r.ksel, r.bsel, r.kbv) = super::signal::place_values(ev.sig);
    let w = ev.sig.wrapping_sub(1) / 32;
    r.mask = super::word(ev.mask);
    let (mb, kb) = (ev.mask.to_le_bytes(), sig_bits(ev.sig.clamp(1, 128), w));
    for j in (0..4).filter(|_| kept("send.blocked")) {
        bytes.add(ByteOp::And, mb[j] as u32, (kb >> (8 * j)) & 0xff);
    }
    for i in 0..4 {
        r.pending[i] = super::word(ev.pending[i]);
    }
    r.count = f(ev.count);
    for (cols, acc) in r.acc.iter_mut().zip(&ev.acc) {
        if let Some(acc) = acc {
            super::fill_access(cols, acc, bytes);
        }
    }
}

impl BaseAir<Val> for SendChip {
    fn width(&self) -> usize {
        SendCols::<u8>::WIDTH
    }
    fn num_public_values(&self) -> usize {
        pv::COUNT
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

/// 1 for a stop signal or SIGCONT (`SIGSTOP` 23, `SIGTSTP` 24, `SIGCONT` 25, `SIGTTIN` 26,
/// `SIGTTOU` 27: bits 22 to 26 of mask word 0), from a signal's one-hot place, else 0.
pub(crate) fn stop_or_cont<AB: InteractionBuilder>(
    wsel: &[AB::Var; 4],
    ksel: &[AB::Var; 4],
    bsel: &[AB::Var; 8],
) -> Expr<AB> {
    let e = |v: AB::Var| -> Expr<AB> { v.into() };
    e(wsel[0])
        * (e(ksel[2]) * (e(bsel[6]) + e(bsel[7]))
            + e(ksel[3]) * (e(bsel[0]) + e(bsel[1]) + e(bsel[2])))
}

/// Whether a send of `sig` is one the proof refuses: a stop signal or `SIGCONT`.
pub fn stop_or_cont_sig(sig: u32) -> bool {
    (23..=27).contains(&sig)
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for SendChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &SendCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let words = |w: &Word<AB::Var>| w.map(|v| -> Expr<AB> { v.into() });
        let zero = || [c(0), c(0), c(0), c(0)];
        let exit_code: Expr<AB> = b.public_values()[pv::EXIT_CODE].into();
        // The outcome, and the call (one of three).
        let is_real = super::assert_flags(b, &[l.pend, l.ign, l.dign, l.fatal, l.take]);
        b.assert_eq(l.is_real, is_real.clone());
        let (pend, fatal, take) = (e(l.pend), e(l.fatal), e(l.take));
        let ignored = e(l.ign) + e(l.dign);
        for f in [l.tg, l.kl] {
            b.assert_bool(f);
            b.assert_zero(e(f) * (Expr::<AB>::ONE - is_real.clone()));
        }
        b.assert_zero(e(l.tg) * e(l.kl));
        let (tg, kl) = (e(l.tg), e(l.kl));
        let tk = is_real.clone() - tg.clone() - kl.clone();

        // The call: its number, its target (thread `u`, or the process) and its signal,
        // each a value of two bytes or one (the words' other bytes are 0): exact.
        let num = |w: &Word<AB::Var>| e(w[0]) + e(w[1]) * c(256);
        let a = &l.args;
        b.assert_zero(
            is_real.clone() * (num(&a[0]) - c(SYS_TKILL)) - tg.clone() * c(SYS_TGKILL - SYS_TKILL)
                + kl.clone() * c(SYS_TKILL - SYS_KILL),
        );
        let tid = c(FIRST_TID) + e(l.u);
        b.assert_zero(tk.clone() * (num(&a[1]) - tid.clone()));
        b.assert_zero((tg.clone() + kl.clone()) * (num(&a[1]) - c(PID)));
        b.assert_zero(tg.clone() * (num(&a[2]) - tid));
        for j in 2..4 {
            b.assert_zero(is_real.clone() * e(a[0][j]));
            b.assert_zero(is_real.clone() * e(a[1][j]));
            b.assert_zero(tg.clone() * e(a[2][j]));
        }
        // The signal: `$a1` of kill and tkill, `$a2` of tgkill.
        let k1 = tk.clone() + kl.clone();
        b.assert_zero(k1.clone() * (e(a[2][0]) - e(l.sig)) + tg.clone() * (e(a[3][0]) - e(l.sig)));
        for j in 1..4 {
            b.assert_zero(k1.clone() * e(a[2][j]) + tg.clone() * e(a[3][j]));
        }
        // `u` exists: below 2^16 (else a negative `u` passes the next check, and names a
        // block below the threads', found by review), and at most the thread counter.
        if kept("send.target_low") {
            bus::range16(b, l.u, is_real.clone());
        }
        if kept("send.target") {
            bus::range16(b, e(l.clones) - e(l.u), is_real.clone());
        }
        // A kill stays pending only for the process (not proved); it is ignored by the
        // main thread's mask (`sig_ignored` reads the leader's) and taken by the main
        // thread at a switch, as Linux's `complete_signal` offers it to the main thread
        // first.
        b.assert_zero(kl.clone() * pend.clone());
        b.assert_zero(kl.clone() * (ignored.clone() + take.clone()) * e(l.u));
        // Taken at a switch: by another thread (the sender's own is delivered at once).
        if kept("send.other") {
            b.assert_zero(take.clone() * ((e(l.u) - e(l.thread)) * e(l.uinv) - Expr::<AB>::ONE));
        }

        // Its place in a mask.
        let pl = super::signal::place(b, &l.wsel, &l.ksel, &l.bsel);
        for n in pl.sums {
            b.assert_zero(n - is_real.clone());
        }
        b.assert_zero(is_real.clone() * (e(l.sig) - pl.sig));
        for k in 0..4 {
            b.assert_zero(e(l.kbv[k]) - e(l.ksel[k]) * pl.bit.clone());
        }
        let word_at = pl.word;
        // Not a stop signal or SIGCONT (23 to 27 on MIPS): sending one flushes the other
        // kind from every thread's pending set (Linux's `prepare_signal`), which the
        // proof does not follow.
        if kept("send.stop") {
            b.assert_zero(stop_or_cont::<AB>(&l.wsel, &l.ksel, &l.bsel));
        }
        // SIGCHLD 18, SIGWINCH 20, SIGURG 21 (bits 17, 19, 20: word 0, byte 2), whose
        // default is to ignore.
        b.assert_eq(
            l.dfl_ign,
            e(l.wsel[0]) * e(l.ksel[2]) * (e(l.bsel[1]) + e(l.bsel[3]) + e(l.bsel[4])),
        );

        // Blocked for a pending signal (mask & bit = bit), else not (mask & bit = 0),
        // byte by byte (zero in the other bytes).
        if kept("send.blocked") {
            for k in 0..4 {
                bus::byte(
                    b,
                    ByteOp::And,
                    l.mask[k],
                    l.kbv[k],
                    pend.clone() * e(l.kbv[k]),
                    is_real.clone(),
                );
            }
        }
        // A pending signal (or one taken at a switch): the set was empty, and holds the
        // signal now.
        let pends = pend.clone() + take.clone();
        if kept("send.empty") {
            for i in 0..4 {
                for k in 0..4 {
                    b.assert_zero(pends.clone() * e(l.pending[i][k]));
                }
            }
        }
        // Ignored: SIG_IGN (1), or SIG_DFL (0) of a signal whose default is to ignore.
        // Fatal: SIG_DFL of any other; the run halts with status 128 + sig.
        if kept("send.action") {
            for k in 0..4 {
                let want = if k == 0 { e(l.ign) } else { c(0) };
                b.assert_zero((ignored.clone() + fatal.clone()) * (e(l.handler[k]) - want));
            }
            b.assert_zero(e(l.dign) * (Expr::<AB>::ONE - e(l.dfl_ign)));
            b.assert_zero(fatal.clone() * e(l.dfl_ign));
        }
        // Taken at a switch: a handler, neither SIG_DFL (0) nor SIG_IGN (1): h (h - 1) is
        // not 0 (a handler aliasing 0 or 1 modulo p, at p or p + 1, is refused, not
        // taken).
        if kept("send.take_action") {
            let h = bus::word_value::<AB>(&l.handler);
            b.assert_zero(take.clone() * (e(l.hh) - h.clone() * (h - Expr::<AB>::ONE)));
            b.assert_zero(take.clone() * (e(l.hh) * e(l.hinv) - Expr::<AB>::ONE));
        }
        if kept("send.exit_code") {
            b.assert_zero(fatal.clone() * (exit_code - c(128) - e(l.sig)));
        }

        // The accesses, at the chip's slot. The call returns 0, but for a fatal one,
        // which leaves the registers.
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let block = c(KERNEL_THREADS) + c(THREAD_WORDS) * e(l.u);
        let kept_if_fatal = |w: &Word<AB::Var>| w.map(|v| fatal.clone() * e(v));
        let mut accesses: Vec<super::bus::AccessExprs<AB>> = vec![
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(2),
                words(&a[0]),
                kept_if_fatal(&a[0]),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(4),
                words(&a[1]),
                words(&a[1]),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(5),
                words(&a[2]),
                words(&a[2]),
            ),
            (tg.clone(), c(SPACE_REG), reg(6), words(&a[3]), words(&a[3])),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(7),
                words(&l.a3),
                kept_if_fatal(&l.a3),
            ),
            (
                is_real.clone(),
                c(SPACE_KERNEL),
                block.clone() + c(THREAD_MASK) + word_at,
                words(&l.mask),
                words(&l.mask),
            ),
        ];
        for i in 0..4 {
            // (The previous set plus the bit: the bit alone where the set was empty.)
            let new: [Expr<AB>; 4] =
                std::array::from_fn(|k| e(l.pending[i][k]) + e(l.wsel[i]) * e(l.kbv[k]));
            accesses.push((
                pends.clone(),
                c(SPACE_KERNEL),
                block.clone() + c(THREAD_PENDING + i as u32),
                words(&l.pending[i]),
                new,
            ));
        }
        accesses.push((
            pends.clone(),
            c(SPACE_KERNEL),
            c(KERNEL_PENDING),
            [e(l.count), c(0), c(0), c(0)],
            [e(l.count) + Expr::<AB>::ONE, c(0), c(0), c(0)],
        ));
        accesses.push((
            ignored.clone() + fatal.clone() + take.clone(),
            c(SPACE_KERNEL),
            c(ACTION_HANDLER) + c(ACTION_WORDS) * (e(l.sig) - Expr::<AB>::ONE),
            words(&l.handler),
            words(&l.handler),
        ));
        accesses.push((
            is_real.clone(),
            c(SPACE_KERNEL),
            c(KERNEL_CLONES),
            [e(l.clones), c(0), c(0), c(0)],
            [e(l.clones), c(0), c(0), c(0)],
        ));
        // The take word: from 0 to 1 for kill's signal (SI_USER), 2 for the others'.
        accesses.push((
            take.clone(),
            c(SPACE_KERNEL),
            block.clone() + c(THREAD_TAKE),
            zero(),
            [c(2) - kl.clone(), c(0), c(0), c(0)],
        ));
        // The target lives: its exited word is 0 (Linux answers ESRCH for a thread that
        // has exited).
        accesses.push((
            if kept("send.alive") {
                is_real.clone()
            } else {
                c(0)
            },
            c(SPACE_KERNEL),
            block.clone() + c(THREAD_EXITED),
            zero(),
            zero(),
        ));
        for ((count, space, addr, prev, new), cols) in accesses.into_iter().zip(&l.acc) {
            access(b, count, space, addr, prev, new, ts.clone(), cols);
        }

        // The CPU reads $zero for both operands; a fatal signal halts.
        super::receive_instr_exprs(
            b,
            is_real.clone() * c(Opcode::Syscall as u32),
            e(l.clk),
            e(l.thread),
            zero(),
            zero(),
            [fatal, c(0), c(0), c(0)],
            l.aux.into(),
            is_real,
        );
        // Unused cells: padding rows are zero and send nothing; `args[3]` on a kill or
        // tkill row is in no message and no constraint, the pending set and the count off
        // a pending or take row, the handler on a pending one, `uinv`, `hh` and `hinv` off
        // a take row. The trace generator leaves them zero.
    }
}
