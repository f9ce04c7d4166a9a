//! The clock chip: the time calls, one row per call.
//!
//! Readings: `clock_gettime(clock, ts)` (o32 4263, a 32-bit `timespec`) and
//! `clock_gettime64(clock, ts)` (4403, a 64-bit one) of `CLOCK_REALTIME` (0) or
//! `CLOCK_MONOTONIC` (1), and `gettimeofday(tv, NULL)` (4078, `CLOCK_REALTIME` in
//! microseconds). Linux leaves the clock's value to the moment of the call; the proof
//! leaves it to the prover, with the one rule the program may rely on: a clock never goes
//! backwards. Each clock's last value lives in kernel state (`SPACE_KERNEL`, two words per
//! clock: seconds and nanoseconds, as bytes). A reading reads it, writes a value at least
//! as late both there and to the guest's buffer, and returns 0:
//!
//! - the new value is a valid `timespec`: `0 <= tv_sec < 2^31` (its top byte below 128)
//!   and `0 <= tv_nsec < 10^9`;
//! - `(sec', nsec') >= (sec, nsec)`: with a borrow `b`, `nsec' - nsec + b 10^9` is in
//!   `[0, 2^30)` and `sec' = sec + b + d` for some 32-bit `d >= 0` (16-bit limbs with a
//!   carry). So either `b = 0`, `sec' >= sec` and `nsec' >= nsec`, or `b = 1` and
//!   `sec' > sec`;
//! - a 64-bit `timespec` has zero high words (`tv_sec < 2^31`); `gettimeofday` writes
//!   `tv_usec = floor(nsec' / 1000)`: `nsec' = 1000 usec + frac` with `frac < 1000` and
//!   `usec < 2^20`, exact in the field.
//!
//! `clock_getres(clock, res)` (4264) and `clock_getres_time64` (4406) of the same clocks
//! write Linux's resolution of both, 1 ns (`hrtimer_resolution` with high-resolution
//! timers), and return 0.
//!
//! Sleeps returning 0: `nanosleep(req, rem)` (4166), `clock_nanosleep(clock, flags, req,
//! rem)` (4265) and `clock_nanosleep_time64` (4407, a 64-bit request). Linux returns 0 only
//! for a readable, valid request (`tv_sec >= 0`, `0 <= tv_nsec < 10^9`; else `EFAULT` or
//! `EINVAL`), so a sleep row reads the request's words and proves them a valid `timespec`
//! with the same checks (a 64-bit one with a zero high word of `tv_sec`; Linux ignores the
//! high word of `tv_nsec` from a 32-bit caller, and so does the row). `rem` is untouched,
//! and `clock_nanosleep`'s flags are free: with or without `TIMER_ABSTIME` the sleep ends
//! with 0. (A sleep does not advance the proof's clocks yet: see `docs/proof-system.md`
//! section 7.22.)
//!
//! The buffers must be word-aligned and not NULL (Go's always are); the tracer refuses
//! others, any other clock, and a `gettimeofday` with a time zone, before proving. Each
//! clock starts at 0, so its first reading is free.

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
pub const SYS_GETTIMEOFDAY: u32 = 4078;
pub const SYS_CLOCK_GETRES: u32 = 4264;
pub const SYS_CLOCK_NANOSLEEP: u32 = 4265;
pub const SYS_CLOCK_GETTIME64: u32 = 4403;
pub const SYS_CLOCK_GETRES64: u32 = 4406;
pub const SYS_CLOCK_NANOSLEEP64: u32 = 4407;
const NS: u32 = 1_000_000_000;

/// The calls, in the order of the chip's selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockCall {
    Get,
    Get64,
    TimeOfDay,
    Res,
    Res64,
    Sleep,
    ClockSleep,
    ClockSleep64,
}

impl ClockCall {
    pub const ALL: [ClockCall; 8] = [
        ClockCall::Get,
        ClockCall::Get64,
        ClockCall::TimeOfDay,
        ClockCall::Res,
        ClockCall::Res64,
        ClockCall::Sleep,
        ClockCall::ClockSleep,
        ClockCall::ClockSleep64,
    ];

    pub fn number(self) -> u32 {
        match self {
            ClockCall::Get => SYS_CLOCK_GETTIME,
            ClockCall::Get64 => SYS_CLOCK_GETTIME64,
            ClockCall::TimeOfDay => SYS_GETTIMEOFDAY,
            ClockCall::Res => SYS_CLOCK_GETRES,
            ClockCall::Res64 => SYS_CLOCK_GETRES64,
            ClockCall::Sleep => SYS_NANOSLEEP,
            ClockCall::ClockSleep => SYS_CLOCK_NANOSLEEP,
            ClockCall::ClockSleep64 => SYS_CLOCK_NANOSLEEP64,
        }
    }

    pub fn of(number: u32) -> Option<ClockCall> {
        ClockCall::ALL.into_iter().find(|c| c.number() == number)
    }

    /// A reading: it moves a clock on.
    pub fn reads_clock(self) -> bool {
        matches!(
            self,
            ClockCall::Get | ClockCall::Get64 | ClockCall::TimeOfDay
        )
    }

    pub fn sleeps(self) -> bool {
        matches!(
            self,
            ClockCall::Sleep | ClockCall::ClockSleep | ClockCall::ClockSleep64
        )
    }

    /// A 64-bit `timespec` (four words: each field's high word first).
    pub fn wide(self) -> bool {
        matches!(
            self,
            ClockCall::Get64 | ClockCall::Res64 | ClockCall::ClockSleep64
        )
    }

    /// The clock is `$a0` (else none is read: `gettimeofday` reads `CLOCK_REALTIME`, and
    /// `nanosleep`, which Linux times on `CLOCK_MONOTONIC`, touches no clock in the proof;
    /// both rows have `mono = 0`).
    pub fn clock_arg(self) -> bool {
        !matches!(self, ClockCall::TimeOfDay | ClockCall::Sleep)
    }

    /// The argument holding the buffer: `$a0`, `$a1` or `$a2`.
    pub fn buffer_arg(self) -> usize {
        match self {
            ClockCall::TimeOfDay | ClockCall::Sleep => 0,
            ClockCall::ClockSleep | ClockCall::ClockSleep64 => 2,
            _ => 1,
        }
    }

    /// The word addresses of its buffer at word `waddr`: `tv_sec`'s and the second
    /// field's low words, and (wide) their high words.
    pub fn layout(self, waddr: u32) -> ([u32; 2], Option<[u32; 2]>) {
        if self.wide() {
            ([waddr + 1, waddr + 3], Some([waddr, waddr + 2]))
        } else {
            ([waddr, waddr + 1], None)
        }
    }

    /// The bytes the call writes to its buffer (none for a sleep).
    pub fn written_len(self) -> usize {
        match self {
            _ if self.sleeps() => 0,
            _ if self.wide() => 16,
            _ => 8,
        }
    }
}

/// One time call.
#[derive(Clone, Copy, Debug)]
pub struct ClockEvent {
    pub instr: InstrEvent,
    pub thread: u32,
    pub call: ClockCall,
    /// `CLOCK_MONOTONIC` (else `CLOCK_REALTIME`).
    pub mono: bool,
    /// The buffer (the `timespec` or `timeval`), the other argument in `$a1` where it is
    /// not the buffer or the clock (`nanosleep`'s `rem`, `gettimeofday`'s time zone,
    /// `clock_nanosleep`'s flags), and `$a3` before.
    pub ts: u32,
    pub other: u32,
    pub a3: u32,
    /// The clock's last value, and the new one (a sleep's request; no last value; the
    /// resolution).
    pub old: (u32, u32),
    pub new: (u32, u32),
    /// The buffer's words before: `tv_sec`'s and the second field's low words, and (wide)
    /// their high words.
    pub mem: (u32, u32),
    pub mem_hi: (u32, u32),
    /// The second field's low word as written or read: `new.1`, or `gettimeofday`'s
    /// `tv_usec`.
    pub second: u32,
    /// `$v0`, `$a0`, `$a1`, `$a3`, the two clock words (a reading's), the two low words of
    /// the buffer, `$a2` (`clock_nanosleep`'s), the two high words (wide).
    pub acc: [Option<Access>; 11],
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct ClockCols<T> {
    /// One per call of [`ClockCall::ALL`], one-hot on real rows.
    pub sel: [T; 8],
    pub clk: T,
    /// The ROM's `aux` for the `SYSCALL` (its `pc + 4`): in the `instr` message only,
    /// bound by the ROM through the CPU; only the clone chip reads it.
    pub aux: T,
    pub thread: T,
    /// The clock `$a0`: 1 for `CLOCK_MONOTONIC`, 0 for `CLOCK_REALTIME`.
    pub mono: T,
    /// The buffer pointer, `= 4 ts_q` in its low byte.
    pub ts: Word<T>,
    pub ts_q: T,
    /// `$a1` where it is neither the clock nor the buffer (zero on the other rows).
    pub other: Word<T>,
    pub a3: Word<T>,
    /// The clock's last value and the new one, as words (bytes, least significant first);
    /// on a sleep row, no last value, and the request; on a resolution row, (0, 1).
    pub old_sec: Word<T>,
    pub old_nsec: Word<T>,
    pub sec: Word<T>,
    pub nsec: Word<T>,
    /// The word the buffer's second field holds: `nsec`, or `gettimeofday`'s `tv_usec`
    /// with `nsec = 1000 second + frac`.
    pub second: Word<T>,
    pub frac: T,
    /// The buffer's words before the call (a sleep's request: the same), and (wide) the
    /// fields' high words.
    pub mem_sec: Word<T>,
    pub mem_nsec: Word<T>,
    pub mem_hs: Word<T>,
    pub mem_hn: Word<T>,
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
    pub acc: [AccessCols<T>; 11],
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
    let i = ClockCall::ALL.iter().position(|&c| c == ev.call).unwrap();
    r.sel[i] = Val::ONE;
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
    r.mem_hs = super::word(ev.mem_hi.0);
    r.mem_hn = super::word(ev.mem_hi.1);
    let (s, n) = (ev.new.0.to_le_bytes(), ev.new.1.to_le_bytes());
    bytes.range8x2(s[0] as u32, s[1] as u32);
    bytes.range8x2(s[2] as u32, n[0] as u32);
    bytes.range8x2(n[1] as u32, n[2] as u32);
    bytes.range8x2(2 * s[3] as u32, 4 * n[3] as u32);
    bytes.range8x2(s[3] as u32, n[3] as u32);
    let g = NS as i64 - 1 - ev.new.1 as i64;
    r.g_lo = limb(g & 0xffff, 1, bytes);
    r.g_hi = limb(g >> 16, 4, bytes);
    r.second = super::word(ev.second);
    if ev.call == ClockCall::TimeOfDay {
        // tv_usec as written, and the clock's nanoseconds beyond it.
        let frac = ev.new.1 as i64 - 1000 * ev.second as i64;
        r.frac = if frac >= 0 {
            Val::from_u64(frac as u64)
        } else {
            -Val::from_u64(frac.unsigned_abs())
        };
        let u = ev.second.to_le_bytes().map(u32::from);
        bytes.range8x2(u[0], u[1]);
        // (Knocked out, in tests, no lookups of them.)
        if kept("clock.usec") {
            let _ = limb(frac, 1, bytes);
            let _ = limb(999 - frac, 1, bytes);
            bytes.range8x2(16 * u[2], u[2]);
        }
    }
    if ev.call.reads_clock() {
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
        let is_real = super::assert_flags(b, &l.sel);
        // Sums of selectors, by what the calls share.
        let of = |f: fn(ClockCall) -> bool| -> Expr<AB> {
            ClockCall::ALL
                .iter()
                .zip(&l.sel)
                .filter(|(&call, _)| f(call))
                .fold(Expr::<AB>::ZERO, |s, (_, &v)| s + e(v))
        };
        let sel = |call: ClockCall| e(l.sel[call as usize]);
        let reading = of(ClockCall::reads_clock);
        let sleeps = of(ClockCall::sleeps);
        let wide = of(ClockCall::wide);
        let clock_arg = of(ClockCall::clock_arg);
        let res = sel(ClockCall::Res) + sel(ClockCall::Res64);
        let tod = sel(ClockCall::TimeOfDay);
        let ts_in_a0 = of(|c| c.buffer_arg() == 0);
        let ts_in_a1 = of(|c| c.buffer_arg() == 1);
        let ts_in_a2 = of(|c| c.buffer_arg() == 2);
        b.assert_bool(l.mono);
        b.assert_zero((is_real.clone() - clock_arg.clone()) * e(l.mono));
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
        // on the other rows the gadget's columns are zero (borrow and carry by these
        // constraints, the others free but in no constraint or message that counts).
        b.assert_zero((is_real.clone() - reading.clone()) * (e(l.borrow) + e(l.carry)));
        let dns = e(l.dns_lo) + c(1 << 16) * e(l.dns_hi);
        b.assert_zero(
            reading.clone() * (value(&l.nsec) - value(&l.old_nsec) + e(l.borrow) * c(NS) - dns),
        );
        let half = |w: &Word<AB::Var>, k: usize| e(w[k]) + c(256) * e(w[k + 1]);
        b.assert_zero(
            reading.clone()
                * (half(&l.sec, 0) + c(1 << 16) * e(l.carry)
                    - half(&l.old_sec, 0)
                    - e(l.borrow)
                    - e(l.ds_lo)),
        );
        b.assert_zero(
            reading.clone() * (half(&l.sec, 2) - half(&l.old_sec, 2) - e(l.carry) - e(l.ds_hi)),
        );
        if kept("clock.monotone") {
            bus::range16(b, l.dns_lo, reading.clone());
            bus::range16(b, c(4) * e(l.dns_hi), reading.clone());
            bus::range16(b, l.ds_lo, reading.clone());
            bus::range16(b, l.ds_hi, reading.clone());
        }

        // gettimeofday: tv_usec = floor(nsec' / 1000), as nsec' = 1000 usec + frac with
        // frac in [0, 999] and usec below 2^20 (bytes, the third below 16, the fourth 0),
        // so the sum is below 2^30 + 2^10 and exact. Elsewhere the second field is nsec'.
        for k in 0..4 {
            b.assert_zero((is_real.clone() - tod.clone()) * (e(l.second[k]) - e(l.nsec[k])));
        }
        if kept("clock.usec") {
            b.assert_zero(tod.clone() * (value(&l.nsec) - c(1000) * value(&l.second) - e(l.frac)));
            bus::range16(b, l.frac, tod.clone());
            bus::range16(b, c(999) - e(l.frac), tod.clone());
            bus::range8x2(b, c(16) * e(l.second[2]), l.second[2], tod.clone());
            b.assert_zero(tod.clone() * e(l.second[3]));
        }
        bus::range8x2(b, l.second[0], l.second[1], tod.clone());
        // (Off gettimeofday, `frac` is in no constraint with a non-zero factor: left zero.)

        // clock_getres: 1 ns, as (0, 1).
        if kept("clock.res") {
            for k in 0..4 {
                b.assert_zero(res.clone() * e(l.sec[k]));
                let one = if k == 0 { c(1) } else { Expr::<AB>::ZERO };
                b.assert_zero(res.clone() * (e(l.nsec[k]) - one));
            }
        }

        // A sleep reads its request: the memory words stay as they were; a 64-bit
        // request's tv_sec has a zero high word (so tv_sec >= 0), and its tv_nsec's high
        // word, which Linux ignores for a 32-bit caller, is free.
        for k in 0..4 {
            b.assert_zero(sleeps.clone() * (e(l.mem_sec[k]) - e(l.sec[k])));
            b.assert_zero(sleeps.clone() * (e(l.mem_nsec[k]) - e(l.second[k])));
            if kept("clock.wide_sec") {
                b.assert_zero(sel(ClockCall::ClockSleep64) * e(l.mem_hs[k]));
            }
            // `other` is $a1 only where $a1 is neither the clock nor the buffer; and
            // gettimeofday's time zone is NULL.
            b.assert_zero((ts_in_a1.clone() + tod.clone()) * e(l.other[k]));
        }

        // The buffer is word-aligned, below 2^31: its word address below 2^29.
        b.assert_zero(is_real.clone() * (e(l.ts[0]) - c(4) * e(l.ts_q)));
        bus::range8x2(b, l.ts_q, c(4) * e(l.ts_q), is_real.clone());
        bus::range8x2(b, c(2) * e(l.ts[3]), Expr::<AB>::ZERO, is_real.clone());
        let waddr =
            e(l.ts_q) + e(l.ts[1]) * c(1 << 6) + e(l.ts[2]) * c(1 << 14) + e(l.ts[3]) * c(1 << 22);

        // The accesses, at the chip's slot: $v0 from the call number to 0, $a0 and $a1
        // read, $a3 to 0; a reading's clock words from old to new; the buffer's words to
        // the new value (a sleep's: read); clock_nanosleep's $a2 read; a 64-bit
        // timespec's high words to 0 (a sleep's: read).
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let number: [Expr<AB>; 4] = std::array::from_fn(|k| {
            ClockCall::ALL.iter().fold(Expr::<AB>::ZERO, |s, &call| {
                s + sel(call) * c(call.number().to_le_bytes()[k] as u32)
            })
        });
        let a0: [Expr<AB>; 4] = std::array::from_fn(|k| {
            let id = if k == 0 { e(l.mono) } else { Expr::<AB>::ZERO };
            clock_arg.clone() * id + ts_in_a0.clone() * e(l.ts[k])
        });
        let a1: [Expr<AB>; 4] = std::array::from_fn(|k| {
            ts_in_a1.clone() * e(l.ts[k]) + (is_real.clone() - ts_in_a1.clone()) * e(l.other[k])
        });
        // (A sleep's high words are read: written back as they were.)
        let read_back = |w: &Word<AB::Var>| w.map(|v| sel(ClockCall::ClockSleep64) * e(v));
        let sec_at = waddr.clone() + wide.clone();
        let second_at = waddr.clone() + Expr::<AB>::ONE + c(2) * wide.clone();
        #[rustfmt::skip]
        let accesses: [Access4<AB>; 11] = [
            (is_real.clone(), SPACE_REG, reg(2), number, zero()),
            (is_real.clone(), SPACE_REG, reg(4), a0.clone(), a0),
            (is_real.clone(), SPACE_REG, reg(5), a1.clone(), a1),
            (is_real.clone(), SPACE_REG, reg(7), words(&l.a3), zero()),
            (reading.clone(), SPACE_KERNEL, c(KERNEL_CLOCKS) + c(2) * e(l.mono), words(&l.old_sec), words(&l.sec)),
            (reading.clone(), SPACE_KERNEL, c(KERNEL_CLOCKS + 1) + c(2) * e(l.mono), words(&l.old_nsec), words(&l.nsec)),
            (is_real.clone(), SPACE_MEM, sec_at, words(&l.mem_sec), words(&l.sec)),
            (is_real.clone(), SPACE_MEM, second_at, words(&l.mem_nsec), words(&l.second)),
            (ts_in_a2.clone(), SPACE_REG, reg(6), words(&l.ts), words(&l.ts)),
            (wide.clone(), SPACE_MEM, waddr.clone(), words(&l.mem_hs), read_back(&l.mem_hs)),
            (wide, SPACE_MEM, waddr + c(2), words(&l.mem_hn), read_back(&l.mem_hn)),
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
        // by is_real or a sum of selectors, or boolean, and the trace generator leaves
        // them zero. Off readings, old_sec, old_nsec, dns_*, ds_* are in no constraint and
        // no message with a non-zero count (nor the clock accesses' columns); off wide
        // rows mem_hs and mem_hn likewise; left zero.
    }
}
