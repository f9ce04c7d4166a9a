//! The system-call chip: `write` to fds 1, 2 and 3 (returns the count; fd 3 appends to
//! the public output), `read` from fd 0 (the private input), `exit_group` (ends the run;
//! its status is public), and the
//! identity calls, whose answers are fixed: `getpid` 1000, `getppid` 1, `getuid`,
//! `geteuid`, `getgid`, `getegid` 0, `gettid` 1000 plus the thread's index (threads are
//! numbered in creation order, as the VM numbers their ids from 1000), and `sched_yield`
//! 0 (with one thread there is nothing to switch to).
//!
//! The chip reads the call number from `$v0` and the arguments from `$a0`, `$a1` and
//! `$a2`, and writes the result to `$v0` and the error flag to `$a3`, all at the chip's
//! timestamp slot. It answers the CPU with `c = [halt, 0, 0, 0]`, where `halt` is 1 for
//! `exit_group`.
//!
//! A write to fd 3 of `n > 0` bytes reads the kernel's output cursor `pos`, advances it to
//! `pos + n`, and asks the output chip for the bytes at `buf..buf + n` at output positions
//! `pos..pos + n` (the `output` bus; see [`super::output`]). The bytes written to fds 1 and
//! 2 are logs, outside the statement: the log chip reads them (the `log` bus), which proves
//! the buffer mapped, as the call's success requires. Counts are below 2^24 (the VM's cap
//! on one transfer), so a count is exact as a field element.
//!
//! A `read(0, buf, count)` returns `n` bytes (below 2^24) without error, as a read of a
//! regular file of one size `S` does: `n = min(count, S - cursor)`, where the cursor is
//! the bytes read so far (kernel state). `S` is private and fixed lazily: the kernel's size
//! word ([`KERNEL_IN_SIZE`]) is 0 until a short read (`n < count`: the end of the file is
//! at `cursor + n`) or an `fstat64` ([`super::fs`]) fixes it to `S + 1`. While it is 0, a
//! read returns its full count (any `S` at least the cursor is still possible). A read of
//! `n > 0` bytes asks the input chip to write `n` free bytes at `buf..buf + n` (the
//! `input` bus; see [`super::input`]), and every read advances the input cursor by `n`.
//!
//! `getrandom(buf, count, flags)` with `flags` 0 or `GRND_NONBLOCK` returns `count` (below
//! 2^24) and has the input chip write `count` free bytes at `buf` (`$a0` here).
//!
//! `sched_getaffinity(0, len, mask)` with `len` a non-zero multiple of 4 and `mask`
//! word-aligned returns 4 and has the input chip write the word 1 at `mask`: the VM's one
//! CPU, and what Linux returns on a machine with one (`len` not a multiple of 4 would be
//! `EINVAL`).
//!
//! `uname(buf)` returns 0 and has the input chip write the VM's 390-byte `struct utsname`
//! at `buf` (the byte table's fixed answers; a `buf` Linux cannot write is `EFAULT`, and
//! the input chip's writes prove it writable).
//!
//! `exit(status)` (4001) ends the calling thread, which must not be the main one (its
//! index has an inverse): the process goes on in its other threads, and the status is
//! not public. The row writes 1 to the thread's [`THREAD_EXITED`] kernel word and adds
//! one to the count of exited threads ([`KERNEL_EXITS`]), leaves the registers, and
//! answers the CPU `c = [0, 1, 0, 0]`, which makes the CPU row leave its thread (a
//! switch must follow). Every switch reads the new thread's `THREAD_EXITED` and needs 0
//! (the sched chip), so the thread never runs again; every send reads its target's (the
//! send chip), so no signal goes to it; and a wake counts the exited threads out of
//! those that could wait (the futex chip). (The main thread's `exit`, which Linux lets
//! the others outlive, and the last thread's, which ends the process, are not proved.)
//!
//! `getcwd(buf, size)` (4203) with `2 <= size < 2^30 + 2` returns 2 and has the input chip
//! write the VM's working directory, `"/\0"`, at `buf` (a fixed answer, as `uname`'s): the
//! length with its NUL, as Linux returns it; a `size` below 2 would be `ERANGE`.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, INPUT, KERNEL_EXITS, KERNEL_IN_CURSOR,
    KERNEL_IN_SIZE, KERNEL_OUT_CURSOR, KERNEL_THREADS, LOG, OUTPUT, REG_STRIDE, SLOT_CHIP,
    SPACE_KERNEL, SPACE_REG, THREAD_EXITED, THREAD_WORDS, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::bytes::{AFFINITY_AT, CWD_AT, UTSNAME_AT};
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::record::{
    SYS_EXIT_GROUP, SYS_GETCWD, SYS_GETRANDOM, SYS_READ, SYS_SCHED_GETAFFINITY, SYS_UNAME,
    SYS_WRITE,
};
use super::witness::SyscallEvent;

/// `exit`'s o32 number: the calling thread ends.
pub const SYS_EXIT: u32 = 4001;
/// `getcwd`'s answer's length, with its NUL: what it returns and the smallest size it
/// accepts.
pub const CWD_LEN: u32 = crate::syscalls::io::CWD.len() as u32;
/// `getcwd`'s `size - CWD_LEN` is proved below this (limbs of 16 and 14 bits).
pub const CWD_SIZE_LIMIT: u32 = 1 << 30;
use crate::syscalls::info::UTSNAME_LEN;

/// The identity calls: number and answer (`None`: `gettid`, 1000 + thread).
/// `set_thread_area(addr)` is one: Linux's MIPS version stores `addr` as the thread's
/// user-local register and returns 0, whatever `addr` is. The pointer is kept nowhere in
/// the proof: only `RDHWR $29` reads it, and no proof holds a `RDHWR` (section 10 of
/// `docs/proof-system.md`); the instruction's chip must bring the thread's pointer with it.
pub const IDENTITY: [(u32, Option<u32>); 9] = [
    (4020, Some(1000)), // getpid
    (4064, Some(1)),    // getppid
    (4024, Some(0)),    // getuid
    (4049, Some(0)),    // geteuid
    (4047, Some(0)),    // getgid
    (4050, Some(0)),    // getegid
    (4162, Some(0)),    // sched_yield
    (4222, None),       // gettid
    (4283, Some(0)),    // set_thread_area
];
/// `gettid`'s place in [`IDENTITY`] (the one answer that depends on the thread).
const GETTID: usize = 7;
/// The id of the thread with index 0 (the main thread is also the process).
pub const FIRST_TID: u32 = 1000;

/// The answer of identity call `number` in thread `thread`, if it is one.
pub fn identity_answer(number: u32, thread: u32) -> Option<u32> {
    IDENTITY
        .iter()
        .find(|&&(n, _)| n == number)
        .map(|&(_, v)| v.unwrap_or(FIRST_TID + thread))
}

/// Public values: the exit status (`exit_group`'s argument modulo 256).
pub mod pv {
    pub const EXIT_CODE: usize = 0;
    pub const COUNT: usize = 1;
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct SyscallCols<T> {
    pub is_write: T,
    /// A read from fd 0.
    pub is_read: T,
    /// `getrandom`.
    pub is_random: T,
    /// `sched_getaffinity`.
    pub is_affinity: T,
    /// `uname`.
    pub is_uname: T,
    /// `getcwd`, and `size - 2 = cwd_lo + 2^16 cwd_hi` (below 2^30).
    pub is_getcwd: T,
    pub cwd_lo: T,
    pub cwd_hi: T,
    pub is_exit: T,
    /// `exit` (of one thread), the inverse of its thread's index (not the main thread),
    /// and the count of exited threads before it.
    pub is_thread_exit: T,
    pub thread_inv: T,
    pub exits: T,
    /// One per identity call, in [`IDENTITY`]'s order.
    pub is_ident: [T; 9],
    /// A write to fd 2, or to fd 3 (else fd 1).
    pub to_stderr: T,
    pub to_out: T,
    /// A write to fd 3 of at least one byte.
    pub has_bytes: T,
    /// A write to fd 1 or 2 of at least one byte.
    pub log_bytes: T,
    /// A read or `getrandom` that returned at least one byte, or a `sched_getaffinity` or
    /// `uname` (the calls whose bytes the input chip writes).
    pub in_bytes: T,
    /// A read's `count` is at least 2^24 (its top byte is not zero, with this inverse).
    pub count_big: T,
    pub count_inv: T,
    /// A read: the input's size word before (`was`: 0, or `S + 1` when `fixed`) and after
    /// (`now`); `left`, the bytes left (`S - cursor` when fixed); `short`, the read
    /// returned fewer than `count`, all that was `left`; `fixes = short (1 - fixed)`, a
    /// short read that fixes `S = cursor + n`. `d_lo + 2^16 d_hi` is `count - left - 1`
    /// (short) or `left - count` (full), so that both are non-negative. All zero off reads.
    pub was: T,
    pub now: T,
    pub fixed: T,
    pub left: T,
    pub short: T,
    pub fixes: T,
    pub d_lo: T,
    pub d_hi: T,
    /// `sched_getaffinity`'s `len`: `a1_0 = 4 len_q`, and the inverse of its bytes' sum
    /// (so `len != 0`). Zero on other rows, where they are in no constraint.
    pub len_q: T,
    pub len_inv: T,
    /// The output cursor before the call (fd 3), or the input cursor (a read).
    pub cursor: T,
    /// The buffer `$a1` of a non-empty write as `4 q + o0 + 2 o1` in its low byte, so
    /// that its word address `q + 2^6 a1[1] + 2^14 a1[2] + 2^22 a1[3]` (below 2^29) and
    /// its offset are exact field elements.
    pub buf_q: T,
    pub buf_o: [T; 2],
    pub clk: T,
    /// The ROM's `aux` for the `SYSCALL` (its `pc + 4`): in the `instr` message only,
    /// bound by the ROM through the CPU; only the clone chip reads it.
    pub aux: T,
    pub thread: T,
    /// `$v0` before (the number) and after (the result).
    pub v0: Word<T>,
    pub result: Word<T>,
    pub a0: Word<T>,
    pub a1: Word<T>,
    pub a2: Word<T>,
    /// `$a3` before and after (the error flag).
    pub a3: Word<T>,
    pub err: Word<T>,
    /// `$v0`, `$a0`, `$a1`, `$a2`, `$a3`, the output or input cursor, the input's size
    /// word (reads), and `exit`'s thread word and count of exited threads.
    pub acc: [AccessCols<T>; 9],
}
columns!(SyscallCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct SyscallChip;

impl SyscallChip {
    pub fn generate_trace(
        &self,
        events: &[SyscallEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<SyscallCols<Val>, _>(events, SyscallCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut SyscallCols<Val>, ev: &SyscallEvent, bytes: &mut ByteCounts) {
    r.is_write = Val::from_bool(ev.number == SYS_WRITE);
    let is_read = ev.number == SYS_READ;
    r.is_read = Val::from_bool(is_read);
    let is_random = ev.number == SYS_GETRANDOM;
    r.is_random = Val::from_bool(is_random);
    if is_random {
        r.in_bytes = Val::from_bool(ev.result.0 > 0);
    }
    let is_affinity = ev.number == SYS_SCHED_GETAFFINITY;
    r.is_affinity = Val::from_bool(is_affinity);
    let is_uname = ev.number == SYS_UNAME;
    r.is_uname = Val::from_bool(is_uname);
    if is_uname {
        r.in_bytes = Val::ONE;
    }
    let is_getcwd = ev.number == SYS_GETCWD;
    r.is_getcwd = Val::from_bool(is_getcwd);
    if is_getcwd {
        r.in_bytes = Val::ONE;
        // (In the field, as the constraint computes; masked, so that a forged size fails
        // the equation, not a range check.)
        let d = (Val::from_u32(ev.args[1]) - Val::from_u32(CWD_LEN)).as_canonical_u32()
            & (CWD_SIZE_LIMIT - 1);
        r.cwd_lo = Val::from_u32(d & 0xffff);
        r.cwd_hi = Val::from_u32(d >> 16);
        // (With the check knocked out, in tests, no lookups of it.)
        if kept("syscall.getcwd_size") {
            bytes.range16(d & 0xffff);
            bytes.range16(4 * (d >> 16));
        }
    }
    if is_affinity {
        let len = ev.args[1];
        r.in_bytes = Val::ONE;
        r.len_q = Val::from_u32((len & 0xff) >> 2);
        bytes.range8x2((len & 0xff) >> 2, len & 0xfc);
        let sum: u32 = len.to_le_bytes().iter().map(|&b| b as u32).sum();
        r.len_inv = Val::from_u32(sum).try_inverse().unwrap_or(Val::ZERO);
    }
    r.is_exit = Val::from_bool(ev.number == SYS_EXIT_GROUP);
    if ev.number == SYS_EXIT {
        r.is_thread_exit = Val::ONE;
        r.thread_inv = Val::from_u32(ev.instr.thread)
            .try_inverse()
            .unwrap_or(Val::ZERO);
        r.exits = Val::from_u32(ev.exit.map_or(0, |a| a[1].prev));
    }
    for (f, &(n, _)) in r.is_ident.iter_mut().zip(&IDENTITY) {
        *f = Val::from_bool(ev.number == n);
    }
    if ev.number == IDENTITY[GETTID].0 || is_read {
        let v = ev.result.0;
        bytes.range8x2(v & 0xff, (v >> 8) & 0xff);
    }
    if is_read {
        let (n, count) = (ev.result.0, ev.args[2]);
        r.in_bytes = Val::from_bool(n > 0);
        let big = count >> 24 != 0;
        if big {
            r.count_big = Val::ONE;
            r.count_inv = Val::from_u32(count >> 24).inverse();
        }
        bytes.range8x2((n >> 16) & 0xff, 0);
        let cursor = ev.cursor.map_or(0, |a| a.prev);
        let was = ev.size.map_or(0, |a| a.prev);
        let (fixed, short) = (was != 0, n < count);
        // (In the field, as the constraints compute: a forged size word may exceed p.)
        let v = Val::from_u32;
        let left = if fixed {
            v(was) - Val::ONE - v(cursor)
        } else if short {
            v(n)
        } else {
            v(count)
        };
        let fixes = short && !fixed;
        r.was = v(was);
        r.now = if fixes {
            v(cursor) + v(n) + Val::ONE
        } else {
            v(was)
        };
        r.fixed = Val::from_bool(fixed);
        r.left = left;
        r.short = Val::from_bool(short);
        r.fixes = Val::from_bool(fixes);
        if !big {
            // (Masked: an honest difference is below 2^28; a forged one then fails its
            // equation, not a range check.)
            let d = if short {
                v(count) - left - Val::ONE
            } else {
                left - v(count)
            }
            .as_canonical_u32()
                & 0x0fff_ffff;
            r.d_lo = Val::from_u32(d & 0xffff);
            r.d_hi = Val::from_u32(d >> 16);
            bytes.range16(d & 0xffff);
            bytes.range16((d >> 16).wrapping_mul(16));
        }
    }
    r.to_stderr = Val::from_bool(ev.number == SYS_WRITE && ev.args[0] == 2);
    r.to_out = Val::from_bool(ev.number == SYS_WRITE && ev.args[0] == 3);
    r.has_bytes = Val::from_bool(ev.number == SYS_WRITE && ev.args[0] == 3 && ev.args[2] > 0);
    let log = ev.number == SYS_WRITE && matches!(ev.args[0], 1 | 2) && ev.args[2] > 0;
    r.log_bytes = Val::from_bool(log);
    if log {
        bytes.range8x2(2 * (ev.args[1] >> 24), 0);
    }
    if (ev.number == SYS_WRITE && ev.args[2] > 0)
        || ((is_read || is_random) && ev.result.0 > 0)
        || is_affinity
        || is_uname
        || is_getcwd
    {
        // (A write's buffer is $a1, as a read's.)
        let buf = super::record::out_buffer(ev.number, &ev.args).unwrap_or(ev.args[1]);
        let q = (buf & 0xff) >> 2;
        r.buf_q = Val::from_u32(q);
        r.buf_o = [Val::from_u32(buf & 1), Val::from_u32((buf >> 1) & 1)];
        bytes.range8x2(q, 4 * q);
        if is_random || is_affinity || is_uname || is_getcwd {
            bytes.range8x2(2 * (buf >> 24), 0);
        }
    }
    if let Some(acc) = &ev.cursor {
        r.cursor = Val::from_u32(acc.prev);
        if ev.result.0 > 0 {
            bytes.range8x2(2 * (ev.args[1] >> 24), 0);
        }
    }
    r.clk = Val::from_u32(ev.instr.clk);
    r.aux = Val::from_u32(ev.instr.aux);
    r.thread = Val::from_u32(ev.instr.thread);
    r.v0 = super::word(ev.regs[0].prev);
    r.result = super::word(ev.result.0);
    r.a0 = super::word(ev.args[0]);
    r.a1 = super::word(ev.args[1]);
    r.a2 = super::word(ev.args[2]);
    r.a3 = super::word(ev.regs[4].prev);
    r.err = super::word(ev.result.1);
    for (cols, acc) in r.acc.iter_mut().zip(ev.regs.iter().chain(&ev.cursor)) {
        super::fill_access(cols, acc, bytes);
    }
    if let Some(acc) = &ev.size {
        super::fill_access(&mut r.acc[6], acc, bytes);
    }
    for (k, acc) in ev.exit.iter().flatten().enumerate() {
        if k == 0 && !kept("syscall.exit_mark") {
            continue;
        }
        super::fill_access(&mut r.acc[7 + k], acc, bytes);
    }
}

impl BaseAir<Val> for SyscallChip {
    fn width(&self) -> usize {
        SyscallCols::<u8>::WIDTH
    }
    fn num_public_values(&self) -> usize {
        pv::COUNT
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for SyscallChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &SyscallCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let exit_code: Expr<AB> = b.public_values()[pv::EXIT_CODE].into();
        let mut flags = vec![
            l.is_write,
            l.is_read,
            l.is_random,
            l.is_affinity,
            l.is_uname,
            l.is_getcwd,
            l.is_exit,
            l.is_thread_exit,
        ];
        flags.extend(l.is_ident);
        let is_real = super::assert_flags(b, &flags);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        // The fd flags: at most one, and only on writes.
        super::assert_flags(b, &[l.to_stderr, l.to_out]);
        b.assert_zero((e(l.to_stderr) + e(l.to_out)) * (Expr::<AB>::ONE - e(l.is_write)));

        // The number in $v0 says which call this is.
        let w = SYS_WRITE.to_le_bytes();
        let rd = SYS_READ.to_le_bytes();
        let rn = SYS_GETRANDOM.to_le_bytes();
        let af = SYS_SCHED_GETAFFINITY.to_le_bytes();
        let un = SYS_UNAME.to_le_bytes();
        let cw = SYS_GETCWD.to_le_bytes();
        let x = SYS_EXIT_GROUP.to_le_bytes();
        let te = SYS_EXIT.to_le_bytes();
        for k in 0..4 {
            let mut number = e(l.is_write) * c(w[k] as u32)
                + e(l.is_read) * c(rd[k] as u32)
                + e(l.is_random) * c(rn[k] as u32)
                + e(l.is_affinity) * c(af[k] as u32)
                + e(l.is_uname) * c(un[k] as u32)
                + e(l.is_getcwd) * c(cw[k] as u32)
                + e(l.is_exit) * c(x[k] as u32)
                + e(l.is_thread_exit) * c(te[k] as u32);
            for (f, &(n, _)) in l.is_ident.iter().zip(&IDENTITY) {
                number += e(*f) * c(n.to_le_bytes()[k] as u32);
            }
            b.assert_zero(e(l.v0[k]) - number);
        }

        // The identity calls answer their fixed value, without error. gettid's answer is
        // 1000 + thread, as two bytes (thread < 2^16 - 1000; a larger one has no answer).
        let ident = l.is_ident.iter().fold(Expr::<AB>::ZERO, |s, &f| s + e(f));
        let gettid = e(l.is_ident[GETTID]);
        if kept("syscall.ident_result") {
            let fixed = ident.clone() - gettid.clone();
            for k in 0..4 {
                let mut want = Expr::<AB>::ZERO;
                for (f, &(_, v)) in l.is_ident.iter().zip(&IDENTITY) {
                    if let Some(v) = v {
                        want += e(*f) * c(v.to_le_bytes()[k] as u32);
                    }
                }
                b.assert_zero(fixed.clone() * (e(l.result[k]) - want));
                b.assert_zero(ident.clone() * e(l.err[k]));
            }
            b.assert_zero(
                gettid.clone()
                    * (e(l.result[0]) + c(256) * e(l.result[1]) - c(FIRST_TID) - e(l.thread)),
            );
            b.assert_zero(gettid.clone() * e(l.result[2]));
            b.assert_zero(gettid.clone() * e(l.result[3]));
        }
        bus::range8x2(b, l.result[0], l.result[1], gettid + e(l.is_read));
        // write(fd, buf, count) with fd 1, 2 or 3 and count < 2^24 returns count,
        // without error.
        b.assert_zero(
            e(l.is_write) * (e(l.a0[0]) - Expr::<AB>::ONE - e(l.to_stderr) - c(2) * e(l.to_out)),
        );
        b.assert_zero(e(l.is_write) * e(l.a2[3]));
        for k in 0..4 {
            if k > 0 {
                b.assert_zero(e(l.is_write) * e(l.a0[k]));
            }
            if kept("syscall.write_result") {
                b.assert_zero(e(l.is_write) * (e(l.result[k]) - e(l.a2[k])));
            }
            b.assert_zero(e(l.is_write) * e(l.err[k]));
        }
        // read(0, buf, count) returns n < 2^24 bytes without error: n = min(count, left),
        // where left is S - cursor once the input's size S is fixed. Where count < 2^24
        // (top byte zero; else count_big, proved by the top byte's inverse), count is exact.
        let is_read = e(l.is_read);
        let n = bus::word_value::<AB>(&l.result);
        for k in 0..4 {
            b.assert_zero(is_read.clone() * e(l.a0[k]));
            b.assert_zero(is_read.clone() * e(l.err[k]));
        }
        b.assert_zero(is_read.clone() * e(l.result[3]));
        bus::range8x2(b, l.result[2], Expr::<AB>::ZERO, is_read.clone());
        b.assert_bool(l.count_big);
        b.assert_zero(e(l.count_big) * (Expr::<AB>::ONE - is_read.clone()));
        let small = is_read.clone() - e(l.count_big);
        b.assert_zero(small.clone() * e(l.a2[3]));
        if kept("syscall.read_big") {
            b.assert_zero(e(l.count_big) * (e(l.a2[3]) * e(l.count_inv) - Expr::<AB>::ONE));
        }
        // The size: `was` is 0 unless fixed, and then S + 1, so left = was - 1 - cursor.
        // (`fixed` and `short` are boolean and only on reads; `fixes` is their product's
        // complement, so boolean too.)
        let one = || Expr::<AB>::ONE;
        for f in [l.fixed, l.short] {
            b.assert_bool(f);
            b.assert_zero(e(f) * (one() - is_read.clone()));
        }
        b.assert_zero(e(l.fixes) - e(l.short) + e(l.short) * e(l.fixed));
        if kept("syscall.read_unfixed") {
            b.assert_zero((one() - e(l.fixed)) * e(l.was));
        }
        if kept("syscall.read_left") {
            b.assert_zero(e(l.fixed) * (e(l.left) - e(l.was) + one() + e(l.cursor)));
        }
        // A short read returns all that is left; a full one its count. A count of 2^24 or
        // more is always short: n < 2^24 <= count (the VM returns at most 2^24, and the
        // witness refuses 2^24 itself).
        if kept("syscall.read_short") {
            b.assert_zero(e(l.short) * (n.clone() - e(l.left)));
        }
        let count_small = bus::word_value::<AB>(&l.a2);
        if kept("syscall.read_full") {
            b.assert_zero((is_read.clone() - e(l.short)) * (n.clone() - count_small.clone()));
        }
        b.assert_zero(e(l.count_big) * (one() - e(l.short)));
        // And which: short when count > left, full when count <= left. `d = d_lo + 2^16
        // d_hi` with `d_lo < 2^16` and `16 d_hi < 2^16` is below 2^16 + 2^28 (as in the fs
        // chip); count < 2^24 and left < 2^28 (fixed by fstat64, left <= S < 2^28; fixed
        // by a short read, left is 0 from then on; unfixed, left is n or count), so a
        // negative difference, at least p - 2^28, has no such split.
        if kept("syscall.read_bound") {
            let d = e(l.d_lo) + c(1 << 16) * e(l.d_hi);
            let want = e(l.short) * (count_small.clone() - e(l.left) - one())
                + (one() - e(l.short)) * (e(l.left) - count_small.clone());
            b.assert_zero(small.clone() * (d - want));
        }
        bus::range16(b, l.d_lo, small.clone());
        bus::range16(b, c(16) * e(l.d_hi), small);
        // A short read of an unfixed size fixes it at S = cursor + n.
        b.assert_zero(e(l.now) - e(l.was) - e(l.fixes) * (e(l.cursor) + n.clone() + one()));
        // getrandom(buf, count, flags) with flags 0 or GRND_NONBLOCK (1) and count < 2^24
        // returns count without error.
        let is_random = e(l.is_random);
        b.assert_zero(is_random.clone() * e(l.a1[3]));
        for k in 0..4 {
            if kept("syscall.random_result") {
                b.assert_zero(is_random.clone() * (e(l.result[k]) - e(l.a1[k])));
            }
            b.assert_zero(is_random.clone() * e(l.err[k]));
            if k > 0 {
                b.assert_zero(is_random.clone() * e(l.a2[k]));
            }
        }
        b.assert_zero(is_random.clone() * e(l.a2[0]) * (Expr::<AB>::ONE - e(l.a2[0])));
        // A read or getrandom with bytes asks the input chip to write them; as for
        // writes, `in_bytes` is exactly `n > 0` (a request for no bytes has no rows to end
        // it).
        // sched_getaffinity(0, len, mask) with len a non-zero multiple of 4 returns 4
        // without error, its mask word-aligned (below: no offset).
        let is_affinity = e(l.is_affinity);
        for k in 0..4 {
            b.assert_zero(is_affinity.clone() * e(l.a0[k]));
            b.assert_zero(is_affinity.clone() * e(l.err[k]));
            let four = if k == 0 { c(4) } else { Expr::<AB>::ZERO };
            b.assert_zero(is_affinity.clone() * (e(l.result[k]) - four));
        }
        b.assert_zero(is_affinity.clone() * (e(l.a1[0]) - c(4) * e(l.len_q)));
        bus::range8x2(b, l.len_q, c(4) * e(l.len_q), is_affinity.clone());
        let len_sum = (0..4).fold(Expr::<AB>::ZERO, |s, k| s + e(l.a1[k]));
        b.assert_zero(is_affinity.clone() * (len_sum * e(l.len_inv) - Expr::<AB>::ONE));
        for o in l.buf_o {
            b.assert_zero(is_affinity.clone() * e(o));
        }
        // uname(buf) returns 0 without error, and the input chip writes the 390 bytes of
        // the VM's utsname at buf (the byte table's fixed answer).
        let is_uname = e(l.is_uname);
        for k in 0..4 {
            if kept("syscall.uname_result") {
                b.assert_zero(is_uname.clone() * e(l.result[k]));
            }
            b.assert_zero(is_uname.clone() * e(l.err[k]));
        }
        // getcwd(buf, size) with size >= 2 (below 2^30 + 2) returns 2, without error, and
        // the input chip writes "/\0" at buf (the byte table's fixed answer).
        let is_getcwd = e(l.is_getcwd);
        for k in 0..4 {
            if kept("syscall.getcwd") {
                let want = if k == 0 { c(CWD_LEN) } else { Expr::<AB>::ZERO };
                b.assert_zero(is_getcwd.clone() * (e(l.result[k]) - want));
            }
            b.assert_zero(is_getcwd.clone() * e(l.err[k]));
        }
        if kept("syscall.getcwd_size") {
            b.assert_zero(
                is_getcwd.clone()
                    * (bus::word_value::<AB>(&l.a1)
                        - c(CWD_LEN)
                        - e(l.cwd_lo)
                        - c(1 << 16) * e(l.cwd_hi)),
            );
            bus::range16(b, l.cwd_lo, is_getcwd.clone());
            // (cwd_hi below 2^14, so that the split stays below 2^30: with 2^15 it would
            // reach p - 1, and a size of 1 would pass as 2^16 · 0x7f00 = -1.)
            bus::range16(b, c(4) * e(l.cwd_hi), is_getcwd.clone());
        }
        // (Off getcwd, cwd_lo and cwd_hi are in no constraint and no message with a
        // non-zero count: left zero.)
        // The bytes the input chip writes: a read's or getrandom's result (sched_getaffinity
        // returns its 4), uname's 390, getcwd's 2.
        let n_in = (Expr::<AB>::ONE - is_uname.clone() - is_getcwd.clone()) * n.clone()
            + is_uname.clone() * c(UTSNAME_LEN as u32)
            + is_getcwd.clone() * c(CWD_LEN);
        let fills = is_read.clone()
            + is_random.clone()
            + is_affinity.clone()
            + is_uname.clone()
            + is_getcwd.clone();
        b.assert_bool(l.in_bytes);
        b.assert_zero(e(l.in_bytes) * (Expr::<AB>::ONE - fills.clone()));
        if kept("syscall.in_bytes") {
            b.assert_zero((fills - e(l.in_bytes)) * n_in.clone());
        }
        // fd 3: the output cursor advances by count, and a non-empty write asks the output
        // chip for its bytes. `has_bytes` with count 0 would ask for a write that never
        // ends (see the output chip), so `has_bytes` is exactly `count > 0`. The buffer's
        // top byte is below 128 (checked below), so its word address is below 2^29.
        let count = bus::word_value::<AB>(&l.a2);
        b.assert_bool(l.has_bytes);
        b.assert_zero(e(l.has_bytes) * (Expr::<AB>::ONE - e(l.to_out)));
        if kept("syscall.has_bytes") {
            b.assert_zero((e(l.to_out) - e(l.has_bytes)) * count.clone());
        }
        // fds 1 and 2: a non-empty write has the log chip read its bytes, which proves the
        // buffer mapped (else Linux returns EFAULT); as above, `log_bytes` is `count > 0`.
        let to_log = e(l.is_write) - e(l.to_out);
        b.assert_bool(l.log_bytes);
        b.assert_zero(e(l.log_bytes) * (Expr::<AB>::ONE - to_log.clone()));
        if kept("syscall.log_bytes") {
            b.assert_zero((to_log - e(l.log_bytes)) * count.clone());
        }
        // The buffer as word address and offset, where a write or a read has bytes.
        let sends = e(l.has_bytes) + e(l.log_bytes) + e(l.in_bytes);
        for o in l.buf_o {
            b.assert_bool(o);
        }
        // The buffer is $a1, but getrandom's, uname's and getcwd's is $a0 and
        // sched_getaffinity's $a2.
        let buf: [Expr<AB>; 4] = std::array::from_fn(|k| {
            e(l.a1[k])
                + (is_random.clone() + is_uname.clone() + is_getcwd.clone())
                    * (e(l.a0[k]) - e(l.a1[k]))
                + is_affinity.clone() * (e(l.a2[k]) - e(l.a1[k]))
        });
        let offset = e(l.buf_o[0]) + c(2) * e(l.buf_o[1]);
        b.assert_zero(sends.clone() * (buf[0].clone() - c(4) * e(l.buf_q) - offset.clone()));
        if kept("syscall.buf_range") {
            bus::range8x2(b, l.buf_q, c(4) * e(l.buf_q), sends.clone());
        }
        let waddr = e(l.buf_q)
            + buf[1].clone() * c(1 << 6)
            + buf[2].clone() * c(1 << 14)
            + buf[3].clone() * c(1 << 22);
        // (Where no bytes are sent, buf_q and buf_o are in no message: buf_o is boolean and
        // buf_q free, and neither can affect anything.)
        b.push_interaction(
            LOG,
            [e(l.clk), waddr.clone(), offset.clone(), count.clone()],
            Count::bounded(e(l.log_bytes), 1),
        );
        bus::byte(
            b,
            ByteOp::Range8x2,
            c(2) * buf[3].clone(),
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            sends,
        );
        // (The last field names a fixed answer instead of free bytes: its start in the
        // byte table's answers, plus one.)
        let answer = is_affinity * c(AFFINITY_AT + 1)
            + is_uname * c(UTSNAME_AT + 1)
            + is_getcwd * c(CWD_AT + 1);
        b.push_interaction(
            INPUT,
            [e(l.clk), waddr.clone(), offset.clone(), n_in, answer],
            Count::bounded(e(l.in_bytes), 1),
        );
        b.push_interaction(
            OUTPUT,
            [e(l.clk), waddr, offset, count.clone(), e(l.cursor)],
            Count::bounded(e(l.has_bytes), 1),
        );
        // Off fd 3 and reads the cursor is in no message: kept zero.
        let moves = e(l.to_out) + is_read.clone();
        b.assert_zero((Expr::<AB>::ONE - moves.clone()) * e(l.cursor));
        // (Off reads `left` and `d_*` are in no constraint and no message with a non-zero
        // count; `was`, `now` and `fixes` are held to 0 by the constraints above.)
        // exit_group(status) leaves the registers and makes status & 0xff public; exit
        // leaves them too (its thread never runs again).
        let exits = e(l.is_exit) + e(l.is_thread_exit);
        for k in 0..4 {
            b.assert_zero(exits.clone() * (e(l.result[k]) - e(l.v0[k])));
            b.assert_zero(exits.clone() * (e(l.err[k]) - e(l.a3[k])));
        }
        // exit ends a thread other than the main one. (Linux lets the main thread end
        // first too; proving only the others' keeps the send chip's `kill` simple: the
        // process's signal goes to the main thread, which then always lives. A restriction
        // of what is proved, not a soundness check: its test is the witness's refusal.)
        b.assert_zero(e(l.is_thread_exit) * (e(l.thread) * e(l.thread_inv) - Expr::<AB>::ONE));
        // (Off exit, thread_inv and exits are in no constraint and no message with a
        // non-zero count: left zero.)
        if kept("syscall.exit_code") {
            b.assert_zero(e(l.is_exit) * (e(l.a0[0]) - exit_code));
        }

        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let space = || c(SPACE_REG);
        let words = |w: &Word<AB::Var>| w.map(|v| -> Expr<AB> { v.into() });
        access(
            b,
            is_real.clone(),
            space(),
            reg(2),
            words(&l.v0),
            words(&l.result),
            ts.clone(),
            &l.acc[0],
        );
        access(
            b,
            is_real.clone(),
            space(),
            reg(4),
            words(&l.a0),
            words(&l.a0),
            ts.clone(),
            &l.acc[1],
        );
        access(
            b,
            is_real.clone(),
            space(),
            reg(5),
            words(&l.a1),
            words(&l.a1),
            ts.clone(),
            &l.acc[2],
        );
        access(
            b,
            is_real.clone(),
            space(),
            reg(6),
            words(&l.a2),
            words(&l.a2),
            ts.clone(),
            &l.acc[3],
        );
        access(
            b,
            is_real.clone(),
            space(),
            reg(7),
            words(&l.a3),
            words(&l.err),
            ts.clone(),
            &l.acc[4],
        );
        let z = || Expr::<AB>::ZERO;
        // The cursor advances by the bytes moved: a write's count (its result), a read's n.
        access(
            b,
            moves,
            c(SPACE_KERNEL),
            e(l.to_out) * c(KERNEL_OUT_CURSOR) + is_read.clone() * c(KERNEL_IN_CURSOR),
            [e(l.cursor), z(), z(), z()],
            [e(l.cursor) + n, z(), z(), z()],
            ts.clone(),
            &l.acc[5],
        );
        access(
            b,
            is_read,
            c(SPACE_KERNEL),
            c(KERNEL_IN_SIZE),
            [e(l.was), z(), z(), z()],
            [e(l.now), z(), z(), z()],
            ts.clone(),
            &l.acc[6],
        );
        // exit: the thread is marked exited (it was running, so it was not), and the
        // count of exited threads goes up by one.
        let is_thread_exit = e(l.is_thread_exit);
        if kept("syscall.exit_mark") {
            access(
                b,
                is_thread_exit.clone(),
                c(SPACE_KERNEL),
                c(KERNEL_THREADS + THREAD_EXITED) + c(THREAD_WORDS) * e(l.thread),
                [z(), z(), z(), z()],
                [Expr::<AB>::ONE, z(), z(), z()],
                ts.clone(),
                &l.acc[7],
            );
        }
        access(
            b,
            is_thread_exit.clone(),
            c(SPACE_KERNEL),
            c(KERNEL_EXITS),
            [e(l.exits), z(), z(), z()],
            [e(l.exits) + Expr::<AB>::ONE, z(), z(), z()],
            ts,
            &l.acc[8],
        );

        // The CPU reads $zero for both operands; the answer says whether the run halts
        // (exit_group) or the thread ends (exit).
        let zero = [
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        let answer = [
            e(l.is_exit),
            is_thread_exit,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        let op = is_real.clone() * c(Opcode::Syscall as u32);
        super::receive_instr_exprs(
            b,
            op,
            e(l.clk),
            e(l.thread),
            zero.clone(),
            zero,
            answer,
            l.aux.into(),
            is_real,
        );
    }
}
