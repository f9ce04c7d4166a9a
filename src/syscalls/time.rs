//! Time from the virtual clock: `clock_gettime`, `gettimeofday`, `nanosleep`,
//! `clock_nanosleep`, `clock_getres`, with 32- and 64-bit `timespec`s.
//!
//! Monotonic clocks read [`Vm::now_ns`] plus one second (so they never read zero);
//! `CLOCK_REALTIME` reads [`REALTIME_EPOCH`] plus `now_ns`. CPU-time clocks read `now_ns`.

use super::errno::*;
use super::{ret, Args, Ret};
use crate::vm::sched::Wait;
use crate::vm::{Vm, VmError};

/// The wall-clock time at boot: 2024-01-01T00:00:00Z, in seconds since the Unix epoch.
pub const REALTIME_EPOCH: u64 = 1_704_067_200;
const BOOT_OFFSET_NS: u64 = 1_000_000_000;
const NS: u64 = 1_000_000_000;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_REALTIME_COARSE: u32 = 5;
const CLOCK_TAI: u32 = 11;
const TIMER_ABSTIME: u32 = 1;

/// Linux's largest time, `KTIME_MAX` (about 292 years): longer timeouts are clamped to it.
pub(crate) const KTIME_MAX: u64 = i64::MAX as u64;

/// The time of `clock` in nanoseconds, or `EINVAL`.
fn clock_ns(vm: &Vm, clock: u32) -> Result<u64, u32> {
    let now = vm.now_ns();
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_TAI => {
            Ok((REALTIME_EPOCH * NS).saturating_add(now))
        }
        1 | 4 | 6 | 7 => Ok(now.saturating_add(BOOT_OFFSET_NS)),
        2 | 3 => Ok(now),
        _ => Err(EINVAL),
    }
}

/// Reads a timespec: `{i32 sec, i32 nsec}` or, `wide`, `{i64 sec, i64 nsec}`.
pub(crate) fn read_timespec(vm: &mut Vm, addr: u32, wide: bool) -> Result<(i64, i64), u32> {
    if wide {
        let b = vm.user_read(addr, 16)?;
        let sec = super::be_u64(&b, 0) as i64;
        // The kernel ignores the upper half of tv_nsec for 32-bit callers.
        let nsec = super::be_u32(&b, 12) as i32 as i64;
        Ok((sec, nsec))
    } else {
        let b = vm.user_read(addr, 8)?;
        let sec = super::be_u32(&b, 0) as i32 as i64;
        let nsec = super::be_u32(&b, 4) as i32 as i64;
        Ok((sec, nsec))
    }
}

/// Reads a timespec holding a duration or an absolute time as nanoseconds, saturated at
/// [`KTIME_MAX`] as Linux's `timespec64_to_ktime` does; `EINVAL` for a negative one or
/// one whose `tv_nsec` is not below one second.
pub(crate) fn read_timeout_ns(vm: &mut Vm, addr: u32, wide: bool) -> Result<u64, u32> {
    let (sec, nsec) = read_timespec(vm, addr, wide)?;
    if sec < 0 || !(0..NS as i64).contains(&nsec) {
        return Err(EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(NS)
        .saturating_add(nsec as u64)
        .min(KTIME_MAX))
}

pub(crate) fn write_timespec(vm: &mut Vm, addr: u32, ns: u64, wide: bool) -> Result<u32, u32> {
    let (sec, nsec) = (ns / NS, ns % NS);
    let mut b = Vec::with_capacity(16);
    if wide {
        b.extend((sec as i64).to_be_bytes());
        b.extend((nsec as i64).to_be_bytes());
    } else {
        b.extend((sec as i32).to_be_bytes());
        b.extend((nsec as i32).to_be_bytes());
    }
    vm.user_write(addr, &b).map(|_| 0)
}

fn gettime(vm: &mut Vm, a: &Args, wide: bool) -> Result<Ret, VmError> {
    let r = clock_ns(vm, a[0]).and_then(|ns| write_timespec(vm, a[1], ns, wide));
    ret(r)
}

/// `clock_gettime(clock, ts32)`.
pub fn clock_gettime32(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    gettime(vm, a, false)
}

/// `clock_gettime64(clock, ts64)`.
pub fn clock_gettime64(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    gettime(vm, a, true)
}

fn getres(vm: &mut Vm, a: &Args, wide: bool) -> Result<Ret, VmError> {
    if let Err(e) = clock_ns(vm, a[0]) {
        return ret(Err(e));
    }
    if a[1] == 0 {
        return ret(Ok(0));
    }
    ret(write_timespec(vm, a[1], 1, wide))
}

/// `clock_getres(clock, ts32)`: 1 ns.
pub fn clock_getres32(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    getres(vm, a, false)
}

/// `clock_getres_time64(clock, ts64)`: 1 ns.
pub fn clock_getres64(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    getres(vm, a, true)
}

/// `gettimeofday(tv, tz)`.
pub fn gettimeofday(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let ns = (REALTIME_EPOCH * NS).saturating_add(vm.now_ns());
    if a[0] != 0 {
        let mut b = ((ns / NS) as u32).to_be_bytes().to_vec();
        b.extend((((ns % NS) / 1000) as u32).to_be_bytes());
        if let Err(e) = vm.user_write(a[0], &b) {
            return ret(Err(e));
        }
    }
    if a[1] != 0 {
        if let Err(e) = vm.user_write(a[1], &[0; 8]) {
            return ret(Err(e));
        }
    }
    ret(Ok(0))
}

/// Blocks the thread until the clock's time `deadline_clock_ns` (same clock as `clock`).
/// `rem` (0 for none, or an absolute sleep) receives the time left if a signal
/// interrupts the sleep; `wide` says whether it is a 64-bit timespec.
fn sleep_until(
    vm: &mut Vm,
    clock: u32,
    deadline_clock_ns: u64,
    rem: u32,
    wide: bool,
) -> Result<Ret, VmError> {
    let now_clock = match clock_ns(vm, clock) {
        Ok(n) => n,
        Err(e) => return ret(Err(e)),
    };
    if deadline_clock_ns <= now_clock {
        return ret(Ok(0));
    }
    let deadline = vm.now_ns().saturating_add(deadline_clock_ns - now_clock);
    vm.block_current(Wait::Sleep { rem, wide }, Some(deadline))?;
    Ok(Ret::Blocked)
}

/// `nanosleep(req32, rem)`.
pub fn nanosleep(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    match read_timeout_ns(vm, a[0], false) {
        Ok(d) => {
            let now = vm.now_ns().saturating_add(BOOT_OFFSET_NS);
            sleep_until(vm, 1, now.saturating_add(d), a[1], false)
        }
        Err(e) => ret(Err(e)),
    }
}

fn clock_nanosleep(vm: &mut Vm, a: &Args, wide: bool) -> Result<Ret, VmError> {
    let (clock, flags, req) = (a[0], a[1], a[2]);
    let now = match clock_ns(vm, clock) {
        Ok(n) => n,
        Err(e) => return ret(Err(e)),
    };
    let d = match read_timeout_ns(vm, req, wide) {
        Ok(d) => d,
        Err(e) => return ret(Err(e)),
    };
    let (deadline, rem) = if flags & TIMER_ABSTIME != 0 {
        (d, 0)
    } else {
        (now.saturating_add(d), a[3])
    };
    sleep_until(vm, clock, deadline, rem, wide)
}

/// `clock_nanosleep(clock, flags, req32, rem)`.
pub fn clock_nanosleep32(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    clock_nanosleep(vm, a, false)
}

/// `clock_nanosleep_time64(clock, flags, req64, rem)`.
pub fn clock_nanosleep64(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    clock_nanosleep(vm, a, true)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, vm, DATA};
    use super::*;

    #[test]
    fn huge_timeouts_saturate_at_ktime_max_instead_of_wrapping() {
        let sec_max = i64::MAX.to_be_bytes();
        let nsec = 999_999_999i64.to_be_bytes();
        let ts64: Vec<u8> = sec_max.iter().chain(&nsec).copied().collect();
        // (scenario, o32 number, arguments; DATA holds the futex word 0 and the epoll fd
        // table, DATA + 0x100 the timespec)
        let cases: &[(&str, u32, [u32; 6])] = &[
            (
                "clock_nanosleep_time64 relative",
                4407,
                [1, 0, DATA + 0x100, 0, 0, 0],
            ),
            (
                "futex_time64 FUTEX_WAIT_PRIVATE",
                4422,
                [DATA, 128, 0, DATA + 0x100, 0, 0],
            ),
        ];
        for &(name, number, args) in cases {
            let mut vm = vm();
            vm.user_write(DATA + 0x100, &ts64).unwrap();
            let r = call(&mut vm, number, args).unwrap();
            assert_eq!(r, Ret::Blocked, "{name}");
            // Nothing else runs, so the clock jumped to the clamped deadline.
            assert!(vm.now_ns() >= KTIME_MAX - NS, "{name}: {}", vm.now_ns());
            assert!(vm.now_ns() <= KTIME_MAX + 2 * NS, "{name}: {}", vm.now_ns());
        }
    }
}
