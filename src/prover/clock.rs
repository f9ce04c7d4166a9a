//! The clock chip: `clock_gettime(clock, ts)` (o32 4263, a 32-bit `timespec`) for
//! `CLOCK_REALTIME` (0) and `CLOCK_MONOTONIC` (1), one row per call.
//!
//! Linux leaves the clock's value to the moment of the call; the proof leaves it to the
//! prover, with the one rule the program may rely on: a clock never goes backwards. Each
//! clock's last value lives in kernel state (`SPACE_KERNEL`, two words per clock: seconds
//! and nanoseconds, as bytes). A row reads it, writes a value at least as late both there
//! and to the guest's `timespec`, and returns 0:
//!
//! - the new value is a valid `timespec`: `0 <= tv_sec < 2^31` (its top byte below 128)
//!   and `0 <= tv_nsec < 10^9`;
//! - `(sec', nsec') >= (sec, nsec)`: with a borrow `b`, `nsec' - nsec + b 10^9` is in
//!   `[0, 2^30)` and `sec' = sec + b + d` for some 32-bit `d >= 0` (16-bit limbs with a
//!   carry). So either `b = 0`, `sec' >= sec` and `nsec' >= nsec`, or `b = 1` and
//!   `sec' > sec`.
//!
//! The same chip proves `nanosleep(req, rem)` (o32 4166) returning 0: Linux returns 0
//! only for a readable, valid request (`tv_sec >= 0`, `0 <= tv_nsec < 10^9`; else
//! `EFAULT` or `EINVAL`), so a sleep row reads `req`'s two words and proves them a valid
//! `timespec` with the same checks. `rem` is untouched. (A sleep does not advance the
//! proof's clocks yet: see `docs/proof-system.md` section 7.22.)
//!
//! The `timespec` must be word-aligned (Go's always is); the tracer refuses an unaligned
//! one, and any other clock, before proving. Each clock starts at 0, so its first reading
//! is free.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, Expr, Word, KERNEL_CLOCKS, REG_STRIDE, SLOT_CHIP, SPACE_KERNEL,
    SPACE_MEM, SPACE_REG, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};

/// `clock_gettime`'s o32 number (32-bit `timespec`).
pub const SYS_CLOCK_GETTIME: u32 = 4263;
/// `nanosleep`'s o32 number (32-bit `timespec`).
pub const SYS_NANOSLEEP: u32 = 4166;
const NS: u32 = 1_000_000_000;

/// One `clock_gettime`, or one `nanosleep`.
#[derive(Clone, Copy, Debug)]
pub struct ClockEvent {
    pub instr: InstrEvent,
    pub thread: u32,
    /// A `nanosleep` (else a `clock_gettime`).
    pub sleep: bool,
    /// `CLOCK_MONOTONIC` (else `CLOCK_REALTIME`).
    pub mono: bool,
    /// The `timespec` pointer (`clock_gettime`'s `ts`, `nanosleep`'s `req`), the other
    /// pointer argument (`nanosleep`'s `rem`) and `$a3` before.
    pub ts: u32,
    pub other: u32,
    pub a3: u32,
    /// The clock's last value, and the new one (a sleep's request; no last value).
    pub old: (u32, u32),
    pub new: (u32, u32),
    /// The `timespec`'s two words before.
    pub mem: (u32, u32),
    /// `$v0`, `$a0`, `$a1`, `$a3`, the two clock words (none for a sleep), the two
    /// `timespec` words.
    pub acc: [Option<Access>; 8],
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct ClockCols<T> {
    /// A `clock_gettime`, or a `nanosleep`.
    pub is_get: T,
    pub is_sleep: T,
    pub clk: T,
    /// The ROM's `aux` for the `SYSCALL` (its `pc + 4`): in the `instr` message only,
    /// bound by the ROM through the CPU; only the clone chip reads it.
    pub aux: T,
    pub thread: T,
    /// `$a0`: 1 for `CLOCK_MONOTONIC`, 0 for `CLOCK_REALTIME`.
    pub mono: T,
    /// The `timespec` pointer (`$a1`, or a sleep's `$a0`), `= 4 ts_q` in its low byte.
    pub ts: Word<T>,
    pub ts_q: T,
    /// A sleep's `$a1` (`rem`), read only (zero on `clock_gettime` rows).
    pub other: Word<T>,
    pub a3: Word<T>,
    /// The clock's last value and the new one, as words (bytes, least significant first);
    /// on a sleep row, no last value, and the request.
    pub old_sec: Word<T>,
    pub old_nsec: Word<T>,
    pub sec: Word<T>,
    pub nsec: Word<T>,
    /// The `timespec`'s words before the call (a sleep's request: the same).
    pub mem_sec: Word<T>,
    pub mem_nsec: Word<T>,
    /// `nsec' - nsec + borrow 10^9 = dns_lo + 2^16 dns_hi`.
    pub borrow: T,
    pub dns_lo: T,
    pub dns_hi: T,
    /// `10^9 - 1 - nsec' = g_lo + 2^16 g_hi`.
    pub g_lo: T,
    pub g_hi: T,
    /// `sec' = sec + borrow + ds_lo + 2^16 ds_hi`, the low halves carrying `carry`.
    pub ds_lo: T,
    pub ds_hi: T,
    pub carry: T,
    pub acc: [AccessCols<T>; 8],
}
columns!(ClockCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct ClockChip;

impl ClockChip {
    pub fn generate_trace(
        &self,
        events: &[ClockEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<ClockCols<Val>, _>(events, ClockCols::<Val>::WIDTH, bytes, fill_row)
    }
}

/// `x` as a field element, with the `Range16` lookup of `scale x` counted only where it
/// is in the table (a forged, backwards clock gives limbs out of range).
fn limb(x: i64, scale: i64, bytes: &mut ByteCounts) -> Val {
    if (0..1 << 16).contains(&(scale * x)) {
        bytes.range16((scale * x) as u32);
    }
    if x >= 0 {
        Val::from_u64(x as u64)
    } else {
        -Val::from_u64(x.unsigned_abs())
    }
}

fn fill_row(r: &mut ClockCols<Val>, ev: &ClockEvent, bytes: &mut ByteCounts) {
    r.is_get = Val::from_bool(!ev.sleep);
    r.is_sleep = Val::from_bool(ev.sleep);
    r.other = super::word(ev.other);
    r.clk = Val::from_u32(ev.instr.clk);
    r.aux = Val::from_u32(ev.instr.aux);
    r.thread = Val::from_u32(ev.thread);
    r.mono = Val::from_bool(ev.mono);
    r.ts = super::word(ev.ts);
    let q = (ev.ts & 0xff) >> 2;
    r.ts_q = Val::from_u32(q);
    bytes.range8x2(q, 4 * q);
    bytes.range8x2(2 * (ev.ts >> 24), 0);
    r.a3 = super::word(ev.a3);
    r.old_sec = super::word(ev.old.0);
    r.old_nsec = super::word(ev.old.1);
    r.sec = super::word(ev.new.0);
    r.nsec = super::word(ev.new.1);
    r.mem_sec = super::word(ev.mem.0);
    r.mem_nsec = super::word(ev.mem.1);
    let (s, n) = (ev.new.0.to_le_bytes(), ev.new.1.to_le_bytes());
    bytes.range8x2(s[0] as u32, s[1] as u32);
    bytes.range8x2(s[2] as u32, n[0] as u32);
    bytes.range8x2(n[1] as u32, n[2] as u32);
    bytes.range8x2(2 * s[3] as u32, 4 * n[3] as u32);
    bytes.range8x2(s[3] as u32, n[3] as u32);
    let g = NS as i64 - 1 - ev.new.1 as i64;
    r.g_lo = limb(g & 0xffff, 1, bytes);
    r.g_hi = limb(g >> 16, 4, bytes);
    if !ev.sleep {
        fill_monotone(r, ev, bytes);
    }
    for (cols, acc) in r.acc.iter_mut().zip(&ev.acc) {
        if let Some(acc) = acc {
            super::fill_access(cols, acc, bytes);
        }
    }
}

/// The never-backwards gadget, in integers.
fn fill_monotone(r: &mut ClockCols<Val>, ev: &ClockEvent, bytes: &mut ByteCounts) {
    let (os, on) = (ev.old.0 as i64, ev.old.1 as i64);
    let (ns, nn) = (ev.new.0 as i64, ev.new.1 as i64);
    let borrow = (nn < on) as i64;
    r.borrow = Val::from_bool(borrow == 1);
    let dns = nn - on + borrow * NS as i64;
    r.dns_lo = limb(dns & 0xffff, 1, bytes);
    r.dns_hi = limb(dns >> 16, 4, bytes);
    let lo = (ns & 0xffff) - (os & 0xffff) - borrow;
    let carry = (lo < 0) as i64;
    r.carry = Val::from_bool(carry == 1);
    r.ds_lo = limb(lo + (carry << 16), 1, bytes);
    r.ds_hi = limb((ns >> 16) - (os >> 16) - carry, 1, bytes);
}

impl BaseAir<Val> for ClockChip {
    fn width(&self) -> usize {
        ClockCols::<u8>::WIDTH
    }
}

/// An access: count, space, address, previous value, new value.
type Access4<AB> = (Expr<AB>, u32, Expr<AB>, [Expr<AB>; 4], [Expr<AB>; 4]);

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ClockChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &ClockCols<AB::Var> = main.current_slice().borrow();
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
        let is_real = super::assert_flags(b, &[l.is_get, l.is_sleep]);
        let (is_get, is_sleep) = (e(l.is_get), e(l.is_sleep));
        b.assert_bool(l.mono);
        b.assert_zero(is_sleep.clone() * e(l.mono));
        b.assert_bool(l.borrow);
        b.assert_bool(l.carry);

        // The new value is a timespec: bytes, tv_sec below 2^31, tv_nsec below 2^30 and
        // (with g) below 10^9. (g_hi and dns_hi are proved only through 4 g_hi and
        // 4 dns_hi, 16-bit values: 2^16 g_hi = 2^14 (4 g_hi) is below 2^30 all the same.)
        bus::range8x2(b, l.sec[0], l.sec[1], is_real.clone());
        bus::range8x2(b, l.sec[2], l.nsec[0], is_real.clone());
        bus::range8x2(b, l.nsec[1], l.nsec[2], is_real.clone());
        if kept("clock.valid") {
            bus::range8x2(b, c(2) * e(l.sec[3]), c(4) * e(l.nsec[3]), is_real.clone());
        }
        // (The scaled check alone holds for 2^-1 and 4^-1 too, which are not bytes.)
        if kept("clock.bytes") {
            bus::range8x2(b, l.sec[3], l.nsec[3], is_real.clone());
        }
        let value = |w: &Word<AB::Var>| bus::word_value::<AB>(w);
        let g = e(l.g_lo) + c(1 << 16) * e(l.g_hi);
        b.assert_zero(is_real.clone() * (c(NS - 1) - value(&l.nsec) - g));
        if kept("clock.valid") {
            bus::range16(b, l.g_lo, is_real.clone());
            bus::range16(b, c(4) * e(l.g_hi), is_real.clone());
        }

        // Never backwards: nsec' - nsec + borrow 10^9 in [0, 2^30), and
        // sec' = sec + borrow + ds (16-bit halves, the low one carrying). Only readings;
        // on a sleep row the gadget's columns are zero (borrow and carry by these
        // constraints, the others free but in no constraint or message that counts).
        b.assert_zero(is_sleep.clone() * (e(l.borrow) + e(l.carry)));
        let dns = e(l.dns_lo) + c(1 << 16) * e(l.dns_hi);
        b.assert_zero(
            is_get.clone() * (value(&l.nsec) - value(&l.old_nsec) + e(l.borrow) * c(NS) - dns),
        );
        let half = |w: &Word<AB::Var>, k: usize| e(w[k]) + c(256) * e(w[k + 1]);
        b.assert_zero(
            is_get.clone()
                * (half(&l.sec, 0) + c(1 << 16) * e(l.carry)
                    - half(&l.old_sec, 0)
                    - e(l.borrow)
                    - e(l.ds_lo)),
        );
        b.assert_zero(
            is_get.clone() * (half(&l.sec, 2) - half(&l.old_sec, 2) - e(l.carry) - e(l.ds_hi)),
        );
        if kept("clock.monotone") {
            bus::range16(b, l.dns_lo, is_get.clone());
            bus::range16(b, c(4) * e(l.dns_hi), is_get.clone());
            bus::range16(b, l.ds_lo, is_get.clone());
            bus::range16(b, l.ds_hi, is_get.clone());
        }
        // A sleep reads its request: the memory words stay as they were.
        for k in 0..4 {
            b.assert_zero(is_sleep.clone() * (e(l.mem_sec[k]) - e(l.sec[k])));
            b.assert_zero(is_sleep.clone() * (e(l.mem_nsec[k]) - e(l.nsec[k])));
            // (`other` is only a sleep's.)
            b.assert_zero(is_get.clone() * e(l.other[k]));
        }

        // The timespec pointer is word-aligned, below 2^31: its word address below 2^29.
        b.assert_zero(is_real.clone() * (e(l.ts[0]) - c(4) * e(l.ts_q)));
        bus::range8x2(b, l.ts_q, c(4) * e(l.ts_q), is_real.clone());
        bus::range8x2(b, c(2) * e(l.ts[3]), Expr::<AB>::ZERO, is_real.clone());
        let waddr =
            e(l.ts_q) + e(l.ts[1]) * c(1 << 6) + e(l.ts[2]) * c(1 << 14) + e(l.ts[3]) * c(1 << 22);

        // The accesses, at the chip's slot: $v0 from the call number to 0, $a0 and $a1
        // read (a reading's clock and pointer, a sleep's req and rem), $a3 to 0; a
        // reading's clock words from old to new; the timespec's words to the new value
        // (a sleep's: read).
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let (get, sleep) = (SYS_CLOCK_GETTIME.to_le_bytes(), SYS_NANOSLEEP.to_le_bytes());
        let number: [Expr<AB>; 4] = std::array::from_fn(|k| {
            is_get.clone() * c(get[k] as u32) + is_sleep.clone() * c(sleep[k] as u32)
        });
        let a0: [Expr<AB>; 4] = std::array::from_fn(|k| {
            let id = if k == 0 { e(l.mono) } else { Expr::<AB>::ZERO };
            is_get.clone() * id + is_sleep.clone() * e(l.ts[k])
        });
        let a1: [Expr<AB>; 4] =
            std::array::from_fn(|k| is_get.clone() * e(l.ts[k]) + is_sleep.clone() * e(l.other[k]));
        #[rustfmt::skip]
        let accesses: [Access4<AB>; 8] = [
            (is_real.clone(), SPACE_REG, reg(2), number, zero()),
            (is_real.clone(), SPACE_REG, reg(4), a0.clone(), a0),
            (is_real.clone(), SPACE_REG, reg(5), a1.clone(), a1),
            (is_real.clone(), SPACE_REG, reg(7), words(&l.a3), zero()),
            (is_get.clone(), SPACE_KERNEL, c(KERNEL_CLOCKS) + c(2) * e(l.mono), words(&l.old_sec), words(&l.sec)),
            (is_get.clone(), SPACE_KERNEL, c(KERNEL_CLOCKS + 1) + c(2) * e(l.mono), words(&l.old_nsec), words(&l.nsec)),
            (is_real.clone(), SPACE_MEM, waddr.clone(), words(&l.mem_sec), words(&l.sec)),
            (is_real.clone(), SPACE_MEM, waddr + Expr::<AB>::ONE, words(&l.mem_nsec), words(&l.nsec)),
        ];
        for ((count, space, addr, prev, new), cols) in accesses.into_iter().zip(&l.acc) {
            access(b, count, c(space), addr, prev, new, ts.clone(), cols);
        }

        // The CPU reads $zero for both operands; the call does not halt.
        let op = is_real.clone() * c(Opcode::Syscall as u32);
        super::receive_instr_exprs(
            b,
            op,
            e(l.clk),
            e(l.thread),
            zero(),
            zero(),
            zero(),
            l.aux.into(),
            is_real,
        );
        // Padding rows are zero: every column is in a constraint or message multiplied
        // by is_real, is_get or is_sleep, or boolean, and the trace generator leaves them
        // zero. On sleep rows, old_sec, old_nsec, dns_*, ds_* are in no constraint and no
        // message with a non-zero count (nor the clock accesses' columns); left zero.
    }
}
