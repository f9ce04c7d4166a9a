//! The get-and-set chip: the calls that read a kernel value, optionally replace it from
//! a user buffer and optionally copy the old one out: `rt_sigprocmask`, `rt_sigaction`,
//! `sigaltstack` and `prlimit64`, one row per call, each keeping its state in kernel
//! words (`SPACE_KERNEL`, which only system-call chips address) as Linux keeps it in the
//! task, the signal handler table and the resource limits:
//!
//! - **`rt_sigprocmask(how, set, oset, 16)`**: the calling thread's blocked mask, four
//!   words at `KERNEL_THREADS + THREAD_WORDS · thread`. With `set`, the call reads the
//!   four words at `set` and makes the mask `old | set` (`SIG_BLOCK`), `old & !set`
//!   (`SIG_UNBLOCK`) or `set` (`SIG_SETMASK`, Go's usual one), one `Or` or `And` lookup
//!   per byte, without `SIGKILL` and `SIGSTOP`, which Linux never lets a thread block
//!   (another `how` is `EINVAL`). With `oset`, it writes the mask from before the call
//!   there. Without `set`, Linux ignores `how`, and so does the chip.
//! - **`rt_sigaction(sig, act, oact, 16)`**: signal `sig`'s action, six words (`sa_flags`,
//!   `sa_handler`, `sa_mask[4]`, o32's `struct sigaction`) at
//!   `KERNEL_ACTIONS + 6 (sig - 1)`, for `1 <= sig <= 128` (`_NSIG` is 128 on MIPS). With
//!   `act` (not for `SIGKILL` or `SIGSTOP`, which is `EINVAL`), the call reads the new
//!   action and stores it with `SIGKILL` and `SIGSTOP` taken out of its mask, as Linux's
//!   `do_sigaction` does. With `oact`, it writes the action from before the call.
//! - **`sigaltstack(ss, oss)`**: the thread's alternate signal stack, two words (`ss_sp`,
//!   `ss_size`) at the thread's block + 4. Linux records no alternate stack as size 0, and
//!   then answers `oss` with `ss_flags = SS_DISABLE`. The chip proves the calls a thread
//!   makes while it has no alternate stack, which is how Go's runtime calls it (once per
//!   thread: ask, then set): `oss` gets `(ss_sp, 0, SS_DISABLE)`, and `ss` with
//!   `ss_flags` 0 (or `SS_ONSTACK`, the same to Linux) and `ss_size >= MINSIGSTKSZ`
//!   (2048) sets the stack, with `SS_DISABLE`
//!   keeps none. On a thread with a stack the chip proves the call Go's runtime makes
//!   before the thread exits: `ss` with `SS_DISABLE` and no `oss`, which Linux allows
//!   only off that stack (else `EPERM`): `$sp` is read and proved not on it, as Linux's
//!   `on_sig_stack` says (`sp > ss_sp && sp - ss_sp <= ss_size` is false). (A query on a
//!   thread with a stack, whose `ss_flags` would be 0 or `SS_ONSTACK`, or a new stack
//!   replacing one, is refused before proving.)
//! - **`prlimit64(0, RLIMIT_NOFILE, new, old)`**: the open-file limit, `struct rlimit64
//!   { u64 cur, max }` as four words at `KERNEL_NOFILE` (the initial-state chip's, from
//!   soft 1024 and hard 4096). With `old`, the call writes the limit from before; with
//!   `new`, it sets the one read, which must have `cur <= max` (Linux's `EINVAL`
//!   otherwise; Go raises the soft limit towards the hard one: 4095 of 4096 here) and `max < 2^20` (Linux's
//!   `nr_open` is 2^20, and above it `EPERM`). Its pointers are `$a2` and `$a3`.
//! - **`getrlimit(RLIMIT_NOFILE, rlim)`** (4076): the same limit, read, as `struct rlimit
//!   { u32 cur, max }` at `$a1` (not NULL): the low words of the two. A 32-bit Linux
//!   keeps the limits as 32-bit words, capped at `RLIM_INFINITY` (0x7fffffff on o32) by
//!   `rlim64_to_rlim` when `prlimit64` sets them, and `getrlimit` copies them; the kernel
//!   words keep `max < 2^20` and zero high words, so the cap never applies.
//!
//! Every proved call returns 0. Linux reads the new value before it writes the old one,
//! and both accesses happen at the chip's one timestamp, so the two buffers must not
//! overlap (the witness refuses a run where they do, as Go never does). The pointers are
//! word-aligned (Go's always are), below 2^31, and non-zero exactly when the flag says so
//! (an inverse of the word address), so the chip cannot skip a buffer the call named or
//! invent one it did not.
//!
//! The signal calls start from zero state: every kernel word above the initial-state
//! chip's list starts at 0 at timestamp 0 (the `state` chip), which is Linux's state at
//! `execve`.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, ACTION_WORDS, BYTE, KERNEL_ACTIONS,
    KERNEL_NOFILE, KERNEL_PENDING, KERNEL_THREADS, PENDING, REG_STRIDE, SLOT_C, SPACE_KERNEL,
    SPACE_MEM, SPACE_REG, SPACE_RO, THREAD_ALTSTACK, THREAD_MASK, THREAD_PENDING, THREAD_WORDS,
    TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};

pub const SYS_RT_SIGACTION: u32 = 4194;
pub const SYS_RT_SIGPROCMASK: u32 = 4195;
pub const SYS_SIGALTSTACK: u32 = 4206;
pub const SYS_PRLIMIT64: u32 = 4338;
pub const SYS_GETRLIMIT: u32 = 4076;
/// The one resource `prlimit64` proves.
pub const RLIMIT_NOFILE: u32 = 5;
/// `rt_sigprocmask`'s `how`: add the set to the mask, take it out, replace the mask.
pub const SIG_BLOCK: u32 = 1;
pub const SIG_UNBLOCK: u32 = 2;
pub const SIG_SETMASK: u32 = 3;
/// o32's `sizeof(sigset_t)`, the one size Linux accepts.
pub const SIGSET_SIZE: u32 = 16;
pub const SIGKILL: u32 = 9;
pub const SIGSTOP: u32 = 23;
/// `ss_flags`: no alternate stack.
pub const SS_DISABLE: u32 = 2;
pub const SS_ONSTACK: u32 = 1;
/// MIPS's `MINSIGSTKSZ`: a smaller stack is `ENOMEM`.
pub const MINSIGSTKSZ: u32 = 2048;
/// The bits of `SIGKILL` and `SIGSTOP` in word 0 of a signal set: bit 8 (byte 1, bit 0)
/// and bit 22 (byte 2, bit 6). A set's other words hold no unblockable signal.
pub const UNBLOCKABLE: u32 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

super::knockout::test_switch! {
    /// Tests: the witness claims every thread's `sigaltstack` one without a stack.
    static CLAIM_NO_STACK;
    /// Whether the witness claims a `sigaltstack` without a stack whatever the state
    /// (tests only).
    fn claim_no_stack;
}

/// The four calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Mask,
    Action,
    Stack,
    Limit,
    /// `getrlimit`: the limit's two low words, read.
    GetLimit,
}

impl Kind {
    pub fn of(number: u32) -> Option<Kind> {
        match number {
            SYS_RT_SIGPROCMASK => Some(Kind::Mask),
            SYS_RT_SIGACTION => Some(Kind::Action),
            SYS_SIGALTSTACK => Some(Kind::Stack),
            SYS_PRLIMIT64 => Some(Kind::Limit),
            SYS_GETRLIMIT => Some(Kind::GetLimit),
            _ => None,
        }
    }

    /// The new-value pointer and the old-value pointer among the arguments.
    pub fn pointers(self, args: &[u32; 4]) -> (u32, u32) {
        match self {
            Kind::Stack => (args[0], args[1]),
            Kind::Limit => (args[2], args[3]),
            Kind::GetLimit => (0, args[1]),
            _ => (args[1], args[2]),
        }
    }

    /// Words of kernel state, of the new value read, of the old value written.
    pub fn lens(self) -> (usize, usize, usize) {
        match self {
            Kind::Mask => (4, 4, 4),
            Kind::Action => (6, 6, 6),
            Kind::Stack => (2, 3, 3),
            Kind::Limit => (4, 4, 4),
            Kind::GetLimit => (4, 0, 2),
        }
    }

    /// The first kernel word of the call's state.
    pub fn state_at(self, args: &[u32; 4], thread: u32) -> u32 {
        let block = KERNEL_THREADS + THREAD_WORDS * thread;
        match self {
            Kind::Mask => block + THREAD_MASK,
            Kind::Stack => block + THREAD_ALTSTACK,
            Kind::Limit | Kind::GetLimit => KERNEL_NOFILE,
            Kind::Action => {
                KERNEL_ACTIONS.wrapping_add(ACTION_WORDS.wrapping_mul(args[0].wrapping_sub(1)))
            }
        }
    }
}

/// One `rt_sigprocmask`, `rt_sigaction` or `sigaltstack`.
#[derive(Clone, Copy, Debug)]
pub struct GetSetEvent {
    pub instr: InstrEvent,
    pub thread: u32,
    pub number: u32,
    /// `$a0..$a3` before the call.
    pub args: [u32; 4],
    /// The new value is read from read-only memory.
    pub src_ro: bool,
    /// `rt_sigprocmask`'s `how` as the witness applied it (`$a0` in an honest one), and
    /// the mask combined with the set before the unblockable signals are taken out.
    pub how: u32,
    pub comb: [u32; 4],
    /// The kernel words before and after, the words read at the new-value pointer, the
    /// words at the old-value pointer before the call (zero past each one's length).
    pub old: [u32; 6],
    pub new: [u32; 6],
    pub src: [u32; 6],
    pub dst_prev: [u32; 6],
    /// `$v0`, `$a0`, `$a1`, `$a2`, `$a3`; the kernel words; the words read; the words
    /// written.
    pub acc: [Option<Access>; 23],
    /// `rt_sigprocmask` with a set: the thread's pending set, read, and whether the call
    /// unblocks its signal (delivered after it).
    pub pending: [u32; 4],
    pub pending_acc: [Option<Access>; 4],
    pub deliver: bool,
    /// `rt_sigaction` with an action: the count of pending signals, read.
    pub count: u32,
    pub count_acc: Option<Access>,
    /// `sigaltstack` on a thread with a stack: `$sp`, read.
    pub sp: Option<(u32, Access)>,
}

impl GetSetEvent {
    pub fn kind(&self) -> Kind {
        Kind::of(self.number).unwrap_or(Kind::Mask)
    }
}

/// What the call writes at the old-value pointer, from the kernel words before it.
pub fn old_value(kind: Kind, old: &[u32; 6]) -> [u32; 6] {
    let mut out = *old;
    if kind == Kind::Stack {
        out[2] = SS_DISABLE;
        out[3..].fill(0);
    }
    if kind == Kind::GetLimit {
        out = [old[1], old[3], 0, 0, 0, 0];
    }
    out
}

/// `rt_sigprocmask`'s mask before the unblockable signals are taken out: `old` combined
/// with `set` as `how` says (`None` for another `how`).
pub fn combined(how: u32, old: &[u32; 6], set: &[u32; 6]) -> Option<[u32; 6]> {
    let mut c = [0; 6];
    for k in 0..4 {
        c[k] = match how {
            SIG_BLOCK => old[k] | set[k],
            SIG_UNBLOCK => old[k] & !set[k],
            SIG_SETMASK => set[k],
            _ => return None,
        };
    }
    Some(c)
}

/// The kernel words after the call, given `how` (for `rt_sigprocmask`) and the words read
/// (Linux's rules; `None` where the call fails or is not proved).
pub fn new_value(kind: Kind, how: u32, old: &[u32; 6], src: Option<&[u32; 6]>) -> Option<[u32; 6]> {
    let Some(s) = src else {
        return Some(*old);
    };
    let mut new = [0; 6];
    match kind {
        Kind::Mask => {
            new = combined(how, old, s)?;
            new[0] &= !UNBLOCKABLE;
        }
        Kind::Action => {
            new.copy_from_slice(s);
            new[2] &= !UNBLOCKABLE;
        }
        Kind::Stack => match s[2] {
            SS_DISABLE => {}
            0 | SS_ONSTACK if s[1] >= MINSIGSTKSZ => new[..2].copy_from_slice(&s[..2]),
            _ => return None,
        },
        Kind::GetLimit => return None,
        Kind::Limit => {
            if s[0] != 0 || s[2] != 0 || s[3] >= 1 << 20 || s[1] > s[3] {
                return None;
            }
            new[..4].copy_from_slice(&s[..4]);
        }
    }
    Some(new)
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct GetSetCols<T> {
    /// Which call: `rt_sigprocmask`, `rt_sigaction`, `sigaltstack`, `prlimit64`.
    pub is_mask: T,
    pub is_action: T,
    pub is_stack: T,
    pub is_limit: T,
    /// `getrlimit` (with `is_limit`).
    pub get_limit: T,
    /// A new value is given (`set`, `act`, `ss` not NULL); an old one asked for.
    pub has_new: T,
    pub has_old: T,
    /// `rt_sigprocmask` with a set: `how` is `SIG_BLOCK`, `SIG_UNBLOCK` (else
    /// `SIG_SETMASK`), and the mask before the unblockable signals are taken out.
    pub blk: T,
    pub unblk: T,
    pub comb: [Word<T>; 4],
    /// `is_* · has_new` and `is_* · has_old`, for linear counts.
    pub up_mask: T,
    pub up_act: T,
    pub up_stack: T,
    pub up_limit: T,
    pub o_mask: T,
    pub o_act: T,
    pub o_stack: T,
    pub o_limit: T,
    pub clk: T,
    /// The ROM's `aux` for the `SYSCALL` (its `pc + 4`): in the `instr` message only,
    /// bound by the ROM through the CPU; only the clone chip reads it.
    pub aux: T,
    pub thread: T,
    /// `$a0` of `rt_sigprocmask` (`how`) and `rt_sigaction` (`sig`); zero on `sigaltstack`.
    pub arg0: Word<T>,
    /// The new-value pointer, `= 4 src_q` in its low byte, with the inverse of its word
    /// address, and whether it points into read-only memory.
    pub src: Word<T>,
    pub src_q: T,
    pub src_inv: T,
    pub src_ro: T,
    /// The old-value pointer, likewise.
    pub dst: Word<T>,
    pub dst_q: T,
    pub dst_inv: T,
    /// `$a3` before the call (`sigsetsize` of the first two).
    pub a3: Word<T>,
    /// `rt_sigaction`: `(sig - 9)(sig - 23)` and its inverse, where an action is set.
    pub kp: T,
    pub kill_inv: T,
    /// `sigaltstack` with `ss`: `ss_flags` is `SS_DISABLE`; else
    /// `ss_size / 256 - 8 = r_lo + 2^16 r_hi` (so `ss_size >= 2048`); for `prlimit64`,
    /// `max - cur` (so `cur <= max`).
    pub dis: T,
    /// `sigaltstack` with `ss`: `ss_flags` is `SS_ONSTACK`, which sets the stack as 0 does.
    pub onstack: T,
    pub r_lo: T,
    pub r_hi: T,
    pub old: [Word<T>; 6],
    pub new: [Word<T>; 6],
    pub srcw: [Word<T>; 6],
    pub dst_prev: [Word<T>; 6],
    pub acc: [AccessCols<T>; 23],
    /// `rt_sigprocmask` with a set: the thread's pending set (read), and whether the
    /// call unblocks its signal, which the signal chip then delivers.
    pub pending: [Word<T>; 4],
    pub deliver: T,
    pub acc_pending: [AccessCols<T>; 4],
    /// `rt_sigaction` with an action: the count of pending signals (zero).
    pub count: T,
    pub acc_count: AccessCols<T>,
    /// `sigaltstack` on a thread with an alternate stack (its `SS_DISABLE`): `$sp`, and
    /// the proof that it is off the stack, `sp <= ss_sp` (`below`: `ss_sp - sp`) or
    /// `sp - ss_sp > ss_size` (`sp - ss_sp - ss_size - 1`), that difference as
    /// `sd_lo + 2^16 sd_hi` with the borrow `sbr[0] + sbr[1]` out of the low halves.
    pub has_stack: T,
    pub below: T,
    pub sp: Word<T>,
    pub sd_lo: T,
    pub sd_hi: T,
    pub sbr: [T; 2],
    pub acc_sp: AccessCols<T>,
}
columns!(GetSetCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct GetSetChip;

impl GetSetChip {
    pub fn generate_trace(
        &self,
        events: &[GetSetEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<GetSetCols<Val>, _>(events, GetSetCols::<Val>::WIDTH, bytes, fill_row)
    }
}

/// A pointer's columns: its word, `q`, the inverse of its word address (zero for NULL).
fn pointer(p: u32, bytes: &mut ByteCounts) -> ([Val; 4], Val, Val) {
    if p == 0 {
        return ([Val::ZERO; 4], Val::ZERO, Val::ZERO);
    }
    let q = (p & 0xff) >> 2;
    bytes.range8x2(q, 4 * q);
    bytes.range8x2(2 * (p >> 24), 0);
    let waddr = Val::from_u32(p >> 2);
    (
        super::word(p),
        Val::from_u32(q),
        waddr.try_inverse().unwrap_or(Val::ZERO),
    )
}

fn fill_row(r: &mut GetSetCols<Val>, ev: &GetSetEvent, bytes: &mut ByteCounts) {
    let kind = ev.kind();
    let (src, dst) = kind.pointers(&ev.args);
    let (has_new, has_old) = (src != 0, dst != 0);
    let f = Val::from_bool;
    r.is_mask = f(kind == Kind::Mask);
    r.is_action = f(kind == Kind::Action);
    r.is_stack = f(kind == Kind::Stack);
    let limit = matches!(kind, Kind::Limit | Kind::GetLimit);
    r.is_limit = f(limit);
    r.get_limit = f(kind == Kind::GetLimit);
    r.has_new = f(has_new);
    r.has_old = f(has_old);
    r.up_mask = f(has_new && kind == Kind::Mask);
    r.up_act = f(has_new && kind == Kind::Action);
    r.up_stack = f(has_new && kind == Kind::Stack);
    r.up_limit = f(has_new && kind == Kind::Limit);
    r.o_mask = f(has_old && kind == Kind::Mask);
    r.o_act = f(has_old && kind == Kind::Action);
    r.o_stack = f(has_old && kind == Kind::Stack);
    r.o_limit = f(has_old && limit);
    r.clk = Val::from_u32(ev.instr.clk);
    r.aux = Val::from_u32(ev.instr.aux);
    r.thread = Val::from_u32(ev.thread);
    if kind != Kind::Stack {
        r.arg0 = super::word(ev.args[0]);
    }
    if kind == Kind::Mask && has_new {
        r.blk = f(ev.how == SIG_BLOCK);
        r.unblk = f(ev.how == SIG_UNBLOCK);
        for k in 0..4 {
            r.comb[k] = super::word(ev.comb[k]);
            let (o, s) = (ev.old[k].to_le_bytes(), ev.src[k].to_le_bytes());
            for j in (0..4).filter(|_| kept("getset.combine")) {
                match ev.how {
                    SIG_BLOCK => bytes.add(ByteOp::Or, o[j] as u32, s[j] as u32),
                    SIG_UNBLOCK => bytes.add(ByteOp::And, o[j] as u32, 255 - s[j] as u32),
                    _ => {}
                }
            }
        }
    }
    (r.src, r.src_q, r.src_inv) = pointer(src, bytes);
    r.src_ro = f(has_new && ev.src_ro);
    (r.dst, r.dst_q, r.dst_inv) = pointer(dst, bytes);
    r.a3 = super::word(ev.args[3]);
    if kind == Kind::Action {
        let sig = ev.args[0] as i64;
        // (A signal out of range has no byte-table row: left uncounted.)
        if (1..=128).contains(&sig) && kept("getset.sig_range") {
            bytes.range8x2(sig as u32 - 1, 2 * (sig as u32 - 1));
        }
        let kp = Val::from_i64((sig - SIGKILL as i64) * (sig - SIGSTOP as i64));
        r.kp = kp;
        if has_new {
            r.kill_inv = kp.try_inverse().unwrap_or(Val::ZERO);
        }
    }
    for k in 0..6 {
        r.old[k] = super::word(ev.old[k]);
        r.new[k] = super::word(ev.new[k]);
        r.srcw[k] = super::word(ev.src[k]);
        r.dst_prev[k] = super::word(ev.dst_prev[k]);
    }
    // The unblockable signals' bytes of the new mask word.
    let masked = match kind {
        Kind::Mask if has_new => Some(0),
        Kind::Action if has_new => Some(2),
        _ => None,
    };
    if let (Some(k), true) = (masked, kept("getset.unblockable")) {
        let s = if kind == Kind::Mask {
            ev.comb[0].to_le_bytes()
        } else {
            ev.src[k].to_le_bytes()
        };
        bytes.add(ByteOp::And, s[1] as u32, !(UNBLOCKABLE >> 8) & 0xff);
        bytes.add(ByteOp::And, s[2] as u32, !(UNBLOCKABLE >> 16) & 0xff);
    }
    if kind == Kind::Limit && has_new {
        bytes.range8x2(16 * ((ev.src[3] >> 16) & 0xff), 0);
        // max - cur, as for sigaltstack's size (a negative one only in a forged witness,
        // left uncounted).
        let d = ev.src[3] as i64 - ev.src[1] as i64;
        r.r_lo = Val::from_i64(d & 0xffff);
        r.r_hi = Val::from_i64(d >> 16);
        if d >= 0 && kept("getset.limit") {
            bytes.range16((d & 0xffff) as u32);
            bytes.range8x2((d >> 16) as u32, 0);
        }
    }
    if kind == Kind::Stack && has_new {
        let dis = ev.src[2] == SS_DISABLE;
        r.dis = f(dis);
        r.onstack = f(ev.src[2] == SS_ONSTACK);
        if !dis {
            let d = (ev.src[1] >> 8) as i64 - (MINSIGSTKSZ >> 8) as i64;
            // (A stack below MINSIGSTKSZ gives limbs out of range: only a forged
            // witness, left uncounted.)
            r.r_lo = Val::from_i64(d & 0xffff);
            r.r_hi = Val::from_i64(d >> 16);
            if d >= 0 && kept("getset.stack_size") {
                bytes.range16((d & 0xffff) as u32);
                bytes.range8x2((d >> 16) as u32, 0);
            }
        }
    }
    for (cols, acc) in r.acc.iter_mut().zip(&ev.acc) {
        if let Some(acc) = acc {
            super::fill_access(cols, acc, bytes);
        }
    }
    if kind == Kind::Mask && has_new {
        r.deliver = f(ev.deliver);
        for k in 0..4 {
            r.pending[k] = super::word(ev.pending[k]);
            let (p, n) = (ev.pending[k].to_le_bytes(), ev.new[k].to_le_bytes());
            for j in (0..4).filter(|_| !ev.deliver && kept("getset.pending")) {
                bytes.add(ByteOp::And, p[j] as u32, n[j] as u32);
            }
        }
    }
    r.count = Val::from_u32(ev.count);
    for (cols, acc) in r.acc_pending.iter_mut().zip(&ev.pending_acc) {
        if let Some(acc) = acc {
            super::fill_access(cols, acc, bytes);
        }
    }
    if let Some(acc) = &ev.count_acc {
        super::fill_access(&mut r.acc_count, acc, bytes);
    }
    if let Some((sp, acc)) = ev.sp {
        r.has_stack = Val::ONE;
        r.sp = super::word(sp);
        let (ss, size) = (ev.old[0], ev.old[1]);
        let below = sp <= ss;
        r.below = f(below);
        let half = |v: u32, k: u32| ((v >> (16 * k)) & 0xffff) as i64;
        let (a_lo, a_hi) = if below {
            (half(ss, 0) - half(sp, 0), half(ss, 1) - half(sp, 1))
        } else {
            (
                half(sp, 0) - half(ss, 0) - half(size, 0) - 1,
                half(sp, 1) - half(ss, 1) - half(size, 1),
            )
        };
        let br = (((-a_lo).max(0) + 0xffff) >> 16).min(2);
        r.sbr = [f(br >= 1), f(br >= 2)];
        let (lo, hi) = (a_lo + (br << 16), a_hi - br);
        r.sd_lo = Val::from_i64(lo);
        r.sd_hi = Val::from_i64(hi);
        // (A forged `$sp` on the stack leaves a limb out of range: left uncounted, as a
        // knocked-out check's lookups are.)
        for v in [lo, hi] {
            if (0..1 << 16).contains(&v) && kept("getset.off_stack") {
                bytes.range16(v as u32);
            }
        }
        super::fill_access(&mut r.acc_sp, &acc, bytes);
    }
}

impl BaseAir<Val> for GetSetChip {
    fn width(&self) -> usize {
        GetSetCols::<u8>::WIDTH
    }
}

/// An access: count, space, address, previous value, new value.
type Access4<AB> = super::bus::AccessExprs<AB>;

impl<AB: InteractionBuilder<F = Val>> Air<AB> for GetSetChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &GetSetCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let words = |w: &Word<AB::Var>| w.map(|v| -> Expr<AB> { v.into() });
        let zero = || {
            [
                Expr::<AB>::ZERO,
                Expr::<AB>::ZERO,
                Expr::<AB>::ZERO,
                Expr::<AB>::ZERO,
            ]
        };
        let byte_of = |v: u32, j: usize| c((v >> (8 * j)) & 0xff);

        let is_real = super::assert_flags(b, &[l.is_mask, l.is_action, l.is_stack, l.is_limit]);
        let (is_mask, is_action, is_stack) = (e(l.is_mask), e(l.is_action), e(l.is_stack));
        let is_limit = e(l.is_limit);
        // The signal-set calls, and the calls with four kernel words or more.
        let sets = is_mask.clone() + is_action.clone();
        let four = sets.clone() + is_limit.clone();
        b.assert_bool(l.has_new);
        b.assert_bool(l.has_old);
        for (up, is) in [
            (l.up_mask, l.is_mask),
            (l.up_act, l.is_action),
            (l.up_stack, l.is_stack),
            (l.up_limit, l.is_limit),
        ] {
            b.assert_zero(e(up) - e(is) * e(l.has_new));
        }
        for (o, is) in [
            (l.o_mask, l.is_mask),
            (l.o_act, l.is_action),
            (l.o_stack, l.is_stack),
            (l.o_limit, l.is_limit),
        ] {
            b.assert_zero(e(o) - e(is) * e(l.has_old));
        }
        // (So both flags are zero on padding rows.)
        b.assert_zero(e(l.has_new) - e(l.up_mask) - e(l.up_act) - e(l.up_stack) - e(l.up_limit));
        b.assert_zero(e(l.has_old) - e(l.o_mask) - e(l.o_act) - e(l.o_stack) - e(l.o_limit));
        let (has_new, has_old) = (e(l.has_new), e(l.has_old));
        let (up_mask, up_act, up_stack) = (e(l.up_mask), e(l.up_act), e(l.up_stack));
        let up_limit = e(l.up_limit);
        // getrlimit: a prlimit64 with only an old value, which it must have (Linux's
        // EFAULT for NULL), of two words at $a1; the resource in $a0.
        let get_limit = e(l.get_limit);
        b.assert_bool(l.get_limit);
        b.assert_zero(get_limit.clone() * (Expr::<AB>::ONE - is_limit.clone()));
        b.assert_zero(get_limit.clone() * has_new.clone());
        b.assert_zero(get_limit.clone() * (Expr::<AB>::ONE - has_old.clone()));
        let set_limit = is_limit.clone() - get_limit.clone();

        // The pointers: NULL exactly when the flag is clear; else word-aligned, below
        // 2^31, with a non-zero word address.
        let waddr = |p: &Word<AB::Var>, q: AB::Var| {
            e(q) + e(p[1]) * c(1 << 6) + e(p[2]) * c(1 << 14) + e(p[3]) * c(1 << 22)
        };
        let src_w = waddr(&l.src, l.src_q);
        let dst_w = waddr(&l.dst, l.dst_q);
        for (p, q, inv, flag, w) in [
            (&l.src, l.src_q, l.src_inv, has_new.clone(), src_w.clone()),
            (&l.dst, l.dst_q, l.dst_inv, has_old.clone(), dst_w.clone()),
        ] {
            for k in 0..4 {
                b.assert_zero((Expr::<AB>::ONE - flag.clone()) * e(p[k]));
            }
            b.assert_zero(flag.clone() * (e(p[0]) - c(4) * e(q)));
            bus::range8x2(b, q, c(4) * e(q), flag.clone());
            bus::range8x2(b, c(2) * e(p[3]), Expr::<AB>::ZERO, flag.clone());
            b.assert_zero(flag * (w * e(inv) - Expr::<AB>::ONE));
        }
        b.assert_bool(l.src_ro);
        b.assert_zero(e(l.src_ro) * (Expr::<AB>::ONE - has_new.clone()));

        // The arguments Linux checks: sigsetsize 16; SIG_SETMASK where a mask is given;
        // 1 <= sig <= 128, and no action set for SIGKILL or SIGSTOP.
        for j in 0..4 {
            if kept("getset.size") {
                b.assert_zero(sets.clone() * (e(l.a3[j]) - byte_of(SIGSET_SIZE, j)));
            }
            // how: SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK, as the selectors say.
            if kept("getset.how") {
                let how = if j == 0 {
                    c(SIG_SETMASK)
                        - c(SIG_SETMASK - SIG_BLOCK) * e(l.blk)
                        - c(SIG_SETMASK - SIG_UNBLOCK) * e(l.unblk)
                } else {
                    Expr::<AB>::ZERO
                };
                b.assert_zero(up_mask.clone() * (e(l.arg0[j]) - how));
            }
            // (sigaltstack's $a0 is its pointer; prlimit64's is pid 0, and its $a3 the
            // old-value pointer.)
            b.assert_zero(is_stack.clone() * e(l.arg0[j]));
            b.assert_zero(set_limit.clone() * e(l.arg0[j]));
            if kept("getset.resource") {
                b.assert_zero(get_limit.clone() * (e(l.arg0[j]) - byte_of(RLIMIT_NOFILE, j)));
            }
            b.assert_zero(set_limit.clone() * (e(l.a3[j]) - e(l.dst[j])));
            if j > 0 {
                b.assert_zero(is_action.clone() * e(l.arg0[j]));
            }
        }
        let sig = e(l.arg0[0]);
        if kept("getset.sig_range") {
            bus::range8x2(
                b,
                sig.clone() - Expr::<AB>::ONE,
                c(2) * (sig.clone() - Expr::<AB>::ONE),
                is_action.clone(),
            );
        }
        b.assert_zero(
            is_action.clone() * (e(l.kp) - (sig.clone() - c(SIGKILL)) * (sig.clone() - c(SIGSTOP))),
        );
        if kept("getset.kill_stop") {
            b.assert_zero(up_act.clone() * (e(l.kp) * e(l.kill_inv) - Expr::<AB>::ONE));
        }

        // rt_sigprocmask's how: the mask combined with the set read, one Or (SIG_BLOCK)
        // or And with its complement (SIG_UNBLOCK) lookup per byte, or the set itself.
        for v in [l.blk, l.unblk] {
            b.assert_bool(v);
            b.assert_zero(e(v) * (Expr::<AB>::ONE - up_mask.clone()));
        }
        b.assert_zero(e(l.blk) * e(l.unblk));
        let (blk, unblk) = (e(l.blk), e(l.unblk));
        let setmask = up_mask.clone() - blk.clone() - unblk.clone();
        for k in 0..4 {
            for j in 0..4 {
                b.assert_zero(setmask.clone() * (e(l.comb[k][j]) - e(l.srcw[k][j])));
                let y = blk.clone() * e(l.srcw[k][j]) + unblk.clone() * (c(255) - e(l.srcw[k][j]));
                if kept("getset.combine") {
                    b.push_interaction(
                        BYTE,
                        [
                            c(ByteOp::And as u32) + blk.clone() * c(ByteOp::Or as u32),
                            e(l.old[k][j]),
                            y,
                            e(l.comb[k][j]),
                        ],
                        Count::bounded(blk.clone() + unblk.clone(), 1),
                    );
                }
            }
        }

        // The new state. Without a new value it stays; a mask is the combined one and an
        // action the value read, but for the unblockable signals' bits of its mask word
        // (And lookups).
        for k in 0..6 {
            for j in 0..4 {
                b.assert_zero(
                    (Expr::<AB>::ONE - has_new.clone()) * (e(l.new[k][j]) - e(l.old[k][j])),
                );
                let d = e(l.new[k][j]) - e(l.srcw[k][j]);
                let masked = |m: usize| k == m && (j == 1 || j == 2);
                if k < 4 && !masked(0) {
                    b.assert_zero(up_mask.clone() * (e(l.new[k][j]) - e(l.comb[k][j])));
                }
                if !masked(2) {
                    b.assert_zero(up_act.clone() * d);
                }
            }
        }
        for j in [1, 2] {
            let x = up_mask.clone() * e(l.comb[0][j]) + up_act.clone() * e(l.srcw[2][j]);
            let z = up_mask.clone() * e(l.new[0][j]) + up_act.clone() * e(l.new[2][j]);
            let y = c(!(UNBLOCKABLE >> (8 * j)) & 0xff);
            let count = up_mask.clone() + up_act.clone();
            if kept("getset.unblockable") {
                b.push_interaction(
                    BYTE,
                    [c(ByteOp::And as u32), x, y, z],
                    Count::bounded(count, 1),
                );
            }
        }
        // prlimit64: the limit read, with max < 2^20 (its high word zero, its low word's
        // top byte zero and byte 2 below 16) and cur <= max (cur's high word and top byte
        // zero, so that both are exact below 2^24, and max - cur = r_lo + 2^16 r_hi in
        // [0, 2^24)).
        for k in 0..4 {
            for j in 0..4 {
                b.assert_zero(up_limit.clone() * (e(l.new[k][j]) - e(l.srcw[k][j])));
            }
        }
        for j in 0..4 {
            b.assert_zero(up_limit.clone() * e(l.srcw[0][j]));
            b.assert_zero(up_limit.clone() * e(l.srcw[2][j]));
        }
        b.assert_zero(up_limit.clone() * e(l.srcw[1][3]));
        b.assert_zero(up_limit.clone() * e(l.srcw[3][3]));
        if kept("getset.limit") {
            let low = |w: &Word<AB::Var>| e(w[0]) + c(1 << 8) * e(w[1]) + c(1 << 16) * e(w[2]);
            b.assert_zero(
                up_limit.clone()
                    * (low(&l.srcw[3]) - low(&l.srcw[1]) - e(l.r_lo) - c(1 << 16) * e(l.r_hi)),
            );
            bus::range16(b, l.r_lo, up_limit.clone());
            bus::range8x2(b, l.r_hi, Expr::<AB>::ZERO, up_limit.clone());
        }
        bus::range8x2(
            b,
            c(16) * e(l.srcw[3][2]),
            Expr::<AB>::ZERO,
            up_limit.clone(),
        );
        // sigaltstack: without an alternate stack (size 0), or with one (`has_stack`)
        // only to disable it, without asking for the old one (whose `ss_flags` would be
        // 0 or SS_ONSTACK, not the SS_DISABLE written below); a new one has ss_flags 0 or
        // SS_DISABLE, and with 0 a size of at least MINSIGSTKSZ.
        let has_stack = e(l.has_stack);
        b.assert_bool(l.has_stack);
        b.assert_zero(has_stack.clone() * (Expr::<AB>::ONE - is_stack.clone()));
        for j in 0..4 {
            if kept("getset.no_altstack") {
                b.assert_zero((is_stack.clone() - has_stack.clone()) * e(l.old[1][j]));
            }
        }
        // (Only disabling is proved on such a thread, a restriction: Linux also lets it
        // replace its stack. Asking for the old one is refused, which soundness needs.)
        b.assert_zero(has_stack.clone() * (Expr::<AB>::ONE - e(l.dis)));
        if kept("getset.stack_query") {
            b.assert_zero(has_stack.clone() * has_old.clone());
        }
        // And then off that stack (Linux's EPERM otherwise): sp <= ss_sp, or
        // sp - ss_sp > ss_size, each a difference of 32-bit values proved non-negative
        // in 16-bit halves (every term below 2^18, so exact).
        b.assert_bool(l.below);
        b.assert_zero(e(l.below) * (Expr::<AB>::ONE - has_stack.clone()));
        for v in l.sbr {
            b.assert_bool(v);
        }
        if kept("getset.off_stack") {
            let half = |w: &Word<AB::Var>, k: usize| e(w[2 * k]) + c(256) * e(w[2 * k + 1]);
            let (below, above) = (e(l.below), Expr::<AB>::ONE - e(l.below));
            let a_lo = below.clone() * (half(&l.old[0], 0) - half(&l.sp, 0))
                + above.clone()
                    * (half(&l.sp, 0) - half(&l.old[0], 0) - half(&l.old[1], 0) - Expr::<AB>::ONE);
            let a_hi = below * (half(&l.old[0], 1) - half(&l.sp, 1))
                + above * (half(&l.sp, 1) - half(&l.old[0], 1) - half(&l.old[1], 1));
            let br = e(l.sbr[0]) + e(l.sbr[1]);
            b.assert_zero(has_stack.clone() * (a_lo - e(l.sd_lo) + c(1 << 16) * br.clone()));
            b.assert_zero(has_stack.clone() * (a_hi - br - e(l.sd_hi)));
            bus::range16(b, l.sd_lo, has_stack.clone());
            bus::range16(b, l.sd_hi, has_stack.clone());
        }
        b.assert_bool(l.dis);
        b.assert_zero(e(l.dis) * (Expr::<AB>::ONE - up_stack.clone()));
        let enable = up_stack.clone() - e(l.dis);
        // SS_ONSTACK (1) sets a stack as 0 does (Linux's `do_sigaltstack` takes either).
        b.assert_bool(l.onstack);
        b.assert_zero(e(l.onstack) * (Expr::<AB>::ONE - enable.clone()));
        if kept("getset.stack_flags") {
            b.assert_zero(
                up_stack.clone()
                    * (e(l.srcw[2][0]) - c(SS_DISABLE) * e(l.dis) - c(SS_ONSTACK) * e(l.onstack)),
            );
            for j in 1..4 {
                b.assert_zero(up_stack.clone() * e(l.srcw[2][j]));
            }
        }
        for k in 0..2 {
            for j in 0..4 {
                b.assert_zero(enable.clone() * (e(l.new[k][j]) - e(l.srcw[k][j])));
                b.assert_zero(e(l.dis) * e(l.new[k][j]));
            }
        }
        let hi24 = e(l.srcw[1][1]) + c(1 << 8) * e(l.srcw[1][2]) + c(1 << 16) * e(l.srcw[1][3]);
        b.assert_zero(
            enable.clone() * (hi24 - c(MINSIGSTKSZ >> 8) - e(l.r_lo) - c(1 << 16) * e(l.r_hi)),
        );
        if kept("getset.stack_size") {
            bus::range16(b, l.r_lo, enable.clone());
            bus::range8x2(b, l.r_hi, Expr::<AB>::ZERO, enable);
        }

        // The accesses, at the SYSCALL row's third slot (the CPU writes no register for
        // a SYSCALL there), so that a delivery after the call, at the chip slot, comes
        // after them in the memory argument.
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_C);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let number: [Expr<AB>; 4] = std::array::from_fn(|j| {
            is_mask.clone() * byte_of(SYS_RT_SIGPROCMASK, j)
                + is_action.clone() * byte_of(SYS_RT_SIGACTION, j)
                + is_stack.clone() * byte_of(SYS_SIGALTSTACK, j)
                + set_limit.clone() * byte_of(SYS_PRLIMIT64, j)
                + get_limit.clone() * byte_of(SYS_GETRLIMIT, j)
        });
        let a0: [Expr<AB>; 4] =
            std::array::from_fn(|j| e(l.arg0[j]) + is_stack.clone() * e(l.src[j]));
        let a1: [Expr<AB>; 4] = std::array::from_fn(|j| {
            sets.clone() * e(l.src[j])
                + is_stack.clone() * e(l.dst[j])
                + set_limit.clone() * byte_of(RLIMIT_NOFILE, j)
                + get_limit.clone() * e(l.dst[j])
        });
        let a2: [Expr<AB>; 4] =
            std::array::from_fn(|j| sets.clone() * e(l.dst[j]) + is_limit.clone() * e(l.src[j]));
        let block = c(KERNEL_THREADS) + c(THREAD_WORDS) * e(l.thread);
        let state = is_mask.clone() * (block.clone() + c(THREAD_MASK))
            + is_stack.clone() * (block + c(THREAD_ALTSTACK))
            + is_action.clone() * (c(KERNEL_ACTIONS) + c(ACTION_WORDS) * (sig - Expr::<AB>::ONE))
            + is_limit.clone() * c(KERNEL_NOFILE);
        let src_space = c(SPACE_MEM) + e(l.src_ro) * c(SPACE_RO - SPACE_MEM);
        let mut accesses: Vec<Access4<AB>> = vec![
            (is_real.clone(), c(SPACE_REG), reg(2), number, zero()),
            (is_real.clone(), c(SPACE_REG), reg(4), a0.clone(), a0),
            (is_real.clone(), c(SPACE_REG), reg(5), a1.clone(), a1),
            (
                four.clone() - get_limit.clone(),
                c(SPACE_REG),
                reg(6),
                a2.clone(),
                a2,
            ),
            (is_real.clone(), c(SPACE_REG), reg(7), words(&l.a3), zero()),
        ];
        // Kernel words 0, 1 on every row, 2, 3 on all but sigaltstack's, 4, 5 on
        // rt_sigaction's; the words read and written likewise (sigaltstack's are 3).
        for k in 0..6u32 {
            let count = match k {
                0 | 1 => is_real.clone(),
                2 | 3 => four.clone(),
                _ => is_action.clone(),
            };
            let at = state.clone() + c(k);
            accesses.push((
                count,
                c(SPACE_KERNEL),
                at,
                words(&l.old[k as usize]),
                words(&l.new[k as usize]),
            ));
        }
        for k in 0..6u32 {
            let count = match k {
                0..=2 => has_new.clone(),
                3 => up_mask.clone() + up_act.clone() + up_limit.clone(),
                _ => up_act.clone(),
            };
            let w = words(&l.srcw[k as usize]);
            accesses.push((count, src_space.clone(), src_w.clone() + c(k), w.clone(), w));
        }
        for k in 0..6usize {
            let count = match k {
                0 | 1 => has_old.clone(),
                2 => has_old.clone() - get_limit.clone(),
                3 => e(l.o_mask) + e(l.o_act) + e(l.o_limit) - get_limit.clone(),
                _ => e(l.o_act),
            };
            // The state from before the call; sigaltstack's third word is SS_DISABLE;
            // getrlimit's two words are the limit's low ones.
            let value: [Expr<AB>; 4] = std::array::from_fn(|j| match k {
                0 => e(l.old[0][j]) + get_limit.clone() * (e(l.old[1][j]) - e(l.old[0][j])),
                1 => e(l.old[1][j]) + get_limit.clone() * (e(l.old[3][j]) - e(l.old[1][j])),
                2 => four.clone() * e(l.old[2][j]) + is_stack.clone() * byte_of(SS_DISABLE, j),
                _ => e(l.old[k][j]),
            });
            accesses.push((
                count,
                c(SPACE_MEM),
                dst_w.clone() + c(k as u32),
                words(&l.dst_prev[k]),
                value,
            ));
        }
        for ((count, space, addr, prev, new), cols) in accesses.into_iter().zip(&l.acc) {
            access(b, count, space, addr, prev, new, ts.clone(), cols);
        }

        // Pending signals. A new mask leaves the thread's pending set blocked
        // (`pending & new = pending`, byte by byte), or unblocks its one signal, which the
        // signal chip then delivers on the way back from the call (the `pending` message).
        // An action is set only while no signal is pending anywhere: Linux discards the
        // pending instances of a signal whose new action ignores it.
        // (With `deliver`, nothing here requires a signal pending and unblocked: the
        // delivery's block does, reading the set from exactly the signal's bit and the
        // mask written here as not blocking it, after this row's accesses.)
        b.assert_bool(l.deliver);
        b.assert_zero(e(l.deliver) * (Expr::<AB>::ONE - up_mask.clone()));
        let block = c(KERNEL_THREADS) + c(THREAD_WORDS) * e(l.thread);
        for k in 0..4 {
            if kept("getset.pending") {
                for j in 0..4 {
                    bus::byte(
                        b,
                        ByteOp::And,
                        l.pending[k][j],
                        l.new[k][j],
                        l.pending[k][j],
                        up_mask.clone() - e(l.deliver),
                    );
                }
            }
            access(
                b,
                up_mask.clone(),
                c(SPACE_KERNEL),
                block.clone() + c(THREAD_PENDING + k as u32),
                words(&l.pending[k]),
                words(&l.pending[k]),
                ts.clone(),
                &l.acc_pending[k],
            );
        }
        b.push_interaction(
            PENDING,
            [e(l.clk), e(l.thread)],
            Count::bounded(e(l.deliver), 1),
        );
        if kept("getset.pending_count") {
            b.assert_zero(up_act.clone() * e(l.count));
        }
        access(
            b,
            up_act.clone(),
            c(SPACE_KERNEL),
            c(KERNEL_PENDING),
            [e(l.count), c(0), c(0), c(0)],
            [e(l.count), c(0), c(0), c(0)],
            ts.clone(),
            &l.acc_count,
        );

        // sigaltstack on a thread with a stack reads $sp.
        access(
            b,
            has_stack,
            c(SPACE_REG),
            reg(29),
            words(&l.sp),
            words(&l.sp),
            ts.clone(),
            &l.acc_sp,
        );

        // The CPU reads $zero for both operands; the call does not halt.
        super::receive_instr_exprs(
            b,
            is_real.clone() * c(Opcode::Syscall as u32),
            e(l.clk),
            e(l.thread),
            zero(),
            zero(),
            zero(),
            l.aux.into(),
            is_real,
        );
        // Unused cells: on a row, the kernel, read and written words past the call's
        // lengths, kp and kill_inv off rt_sigaction rows, dis off sigaltstack rows with
        // a new stack, r_lo and r_hi off those and off prlimit64 rows with a new limit,
        // `sp`, `sd_lo`, `sd_hi` and `sbr` (boolean) off rows with `has_stack`, and the accesses' columns where their count
        // is zero are in no message with a non-zero count and no constraint that is not
        // multiplied by a zero selector. The trace generator leaves them zero; their
        // values cannot change what the row proves.
    }
}
