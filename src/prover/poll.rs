//! The poll chip: the kernel objects of Go's network poller, `eventfd2`,
//! `epoll_create1`, `epoll_ctl` and `epoll_pwait`, and `read` and `write` on an eventfd.
//! One row per call. The objects live in kernel words (`SPACE_KERNEL`), so the memory
//! argument carries their state from call to call: a counter is what the program's
//! writes made it, and readiness is what the counter says.
//!
//! **Descriptors.** The kernel counts the files it created ([`KERNEL_FILES`], zero at
//! the start). No provable call closes or duplicates a descriptor, so the lowest free
//! one, which Linux hands out, is always `4 + files` (fds 0 to 3 are the standard ones).
//! A create proves `4 + files` below the soft `RLIMIT_NOFILE` (`EMFILE` otherwise), read
//! from the kernel word that `prlimit64` sets. File `i` (fd `4 + i`) has
//! [`FILE_WORDS`] words from `KERNEL_FDS + FILE_WORDS i`:
//!
//! - word 0, its kind: the bytes `[kind, FD_CLOEXEC, O_NONBLOCK, 0]`, kind 1 for an epoll
//!   instance and 2 for an eventfd. Only a create writes it, at the fresh index; every
//!   other call reads it at `fd - 4` (with `fd < 2^24`) and requires the kind the call
//!   needs. A descriptor that was never created has kind 0 there (the state chip starts
//!   every such word at zero), so the read proves the descriptor open and of its kind
//!   (`EBADF` and `EINVAL` are not provable).
//! - word 1, one field element: an eventfd's counter (below 2^24, checked where it
//!   grows), or the descriptor an epoll instance watches (0 for none).
//! - words 2 and 3: the `epoll_data` registered with it.
//!
//! **The calls.**
//! - `eventfd2(initval, flags)`: flags within `EFD_CLOEXEC | EFD_NONBLOCK` (no
//!   `EFD_SEMAPHORE`), `initval < 2^24`; the counter starts at `initval`.
//! - `epoll_create1(flags)`: flags 0 or `EPOLL_CLOEXEC`.
//! - `epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event)`: `epfd` an epoll instance that watches
//!   nothing yet, `fd` an eventfd, and the `struct epoll_event` at `event` (o32: `u32
//!   events; u32 pad; u64 data`, word-aligned) with `events` exactly `EPOLLIN`, Go's
//!   interest in its wake-up eventfd (level-triggered). The instance records `fd` and
//!   the data. One descriptor per instance is what the chip proves; Go's runtime watches
//!   only its eventfd unless the program does network or pipe I/O.
//! - `epoll_pwait(epfd, events, maxevents, timeout, sigmask)`: `sigmask` (the fifth
//!   argument, o32's stack word at `$sp + 16`) NULL, `1 <= maxevents < 2^24`, and the
//!   buffer within user space (`events + 16 maxevents <= 2^31`, Linux's `access_ok`).
//!   The watched eventfd is ready when its counter is not zero. Ready: the call returns
//!   1 and writes `events = EPOLLIN` and the data at `events[0]` (Linux's two
//!   `__put_user`s; the pad word stays). Not ready: it returns 0, which needs a
//!   timeout that is not negative (a negative one waits for readiness). The state is
//!   read at the call's timestamp: a wait that times out is a wait whose timeout passed
//!   before anything became ready, and the clocks are the prover's choice as they are
//!   for `nanosleep`. A wait that an event ends after it blocked is refused before
//!   proving.
//! - `write(fd, buf, 8)` on an eventfd: adds the big-endian `u64` at `buf` (word-aligned;
//!   its high word zero) to the counter, which stays below 2^24; returns 8.
//! - `read(fd, buf, 8)` on an eventfd: with the counter not zero, writes it at `buf` as
//!   a big-endian `u64`, clears it and returns 8; with it zero, returns `EAGAIN`, which
//!   needs the descriptor non-blocking (a blocking read waits).
//!
//! The row reads the number from `$v0` and the arguments from `$a0..$a3`, and writes the
//! result to `$v0` and the error flag to `$a3`, at the chip's timestamp slot.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, Expr, Word, KERNEL_NOFILE, REG_STRIDE, SLOT_CHIP, SPACE_KERNEL,
    SPACE_MEM, SPACE_REG, SPACE_RO, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::record::{SYS_READ, SYS_WRITE};
use super::witness::{Access, InstrEvent};
use crate::syscalls::errno::EAGAIN;

pub const SYS_EVENTFD2: u32 = 4325;
pub const SYS_EPOLL_CREATE1: u32 = 4326;
pub const SYS_EPOLL_CTL: u32 = 4249;
pub const SYS_EPOLL_PWAIT: u32 = 4313;
/// MIPS's `O_CLOEXEC` (`EFD_CLOEXEC`, `EPOLL_CLOEXEC`) and `O_NONBLOCK` (`EFD_NONBLOCK`).
pub const O_CLOEXEC: u32 = 0x8_0000;
pub const O_NONBLOCK: u32 = 0x80;
pub const EPOLLIN: u32 = 1;
pub const EPOLL_CTL_ADD: u32 = 1;
/// The one transfer size of an eventfd read or write: a `u64`.
pub const EVENTFD_IO: u32 = 8;
/// An eventfd's counter stays below this in a proved run.
pub const COUNTER_LIMIT: u32 = 1 << 24;
/// The first descriptor a create returns.
pub const FIRST_FD: u32 = 4;
/// The kinds of file (byte 0 of a file's word 0).
pub const KIND_EPOLL: u32 = 1;
pub const KIND_EVENTFD: u32 = 2;

/// The number of files created (one field element in `value[0]`).
pub const KERNEL_FILES: u32 = 1001;
/// File `i`'s words start at `KERNEL_FDS + FILE_WORDS i`: above every thread's block.
pub const KERNEL_FDS: u32 = 1 << 21;
pub const FILE_WORDS: u32 = 4;
const _: () = assert!(
    bus::KERNEL_THREADS + bus::THREAD_WORDS * bus::MAX_THREADS <= KERNEL_FDS - FILE_WORDS * 4
);
const _: () = assert!(super::bus::KERNEL_CLONES < KERNEL_FILES && KERNEL_FILES < 1024);

/// The first kernel word of file `i` (fd `4 + i`).
pub fn file_at(i: u32) -> u32 {
    KERNEL_FDS + FILE_WORDS * i
}

/// Whether kernel word `addr` holds one field element (the file count, a file's word 1,
/// the count of pending signals).
pub fn is_count(addr: u32) -> bool {
    addr == KERNEL_FILES
        || addr == bus::KERNEL_PENDING
        || (addr >= KERNEL_FDS && (addr - KERNEL_FDS) % FILE_WORDS == 1)
}

/// A file's word 0.
pub fn kind_word(kind: u32, cloexec: bool, nonblock: bool) -> u32 {
    kind | (cloexec as u32) << 8 | (nonblock as u32) << 16
}

/// The calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Eventfd,
    Create,
    Ctl,
    Wait,
    Write,
    Read,
}

impl Call {
    /// The call this chip proves for `number` with first argument `a0`, if any: `read`
    /// and `write` on descriptors from 4 up (the syscall chip takes 0 to 3).
    pub fn of(number: u32, a0: u32) -> Option<Call> {
        match number {
            SYS_EVENTFD2 => Some(Call::Eventfd),
            SYS_EPOLL_CREATE1 => Some(Call::Create),
            SYS_EPOLL_CTL => Some(Call::Ctl),
            SYS_EPOLL_PWAIT => Some(Call::Wait),
            SYS_WRITE if a0 >= FIRST_FD => Some(Call::Write),
            SYS_READ if a0 >= FIRST_FD => Some(Call::Read),
            _ => None,
        }
    }

    pub fn creates(self) -> bool {
        matches!(self, Call::Eventfd | Call::Create)
    }
}

/// Whether the chip proves a call of this shape (its arguments, before its result and
/// the kernel state are known), or why not.
pub fn supported(number: u32, args: &[u32; 6]) -> Result<(), String> {
    let Some(call) = Call::of(number, args[0]) else {
        return Err("not a poll call".into());
    };
    let ok = match call {
        Call::Eventfd => args[1] & !(O_CLOEXEC | O_NONBLOCK) == 0 && args[0] < COUNTER_LIMIT,
        Call::Create => args[0] & !O_CLOEXEC == 0,
        Call::Ctl => args[1] == EPOLL_CTL_ADD && args[3] % 4 == 0,
        Call::Wait => args[1] % 4 == 0 && args[4] == 0,
        Call::Read | Call::Write => args[2] == EVENTFD_IO && args[1] % 4 == 0,
    };
    if ok {
        return Ok(());
    }
    Err(match call {
        Call::Eventfd => format!(
            "eventfd2({}, {:#x}) (only flags within EFD_CLOEXEC|EFD_NONBLOCK and an initial \
             value below 2^24 can be proved yet)",
            args[0], args[1]
        ),
        Call::Create => format!(
            "epoll_create1({:#x}) (only flags 0 and EPOLL_CLOEXEC are valid)",
            args[0]
        ),
        Call::Ctl => format!(
            "epoll_ctl({}, {}, {}, {:#x}) (only EPOLL_CTL_ADD with a word-aligned event can \
             be proved yet)",
            args[0], args[1], args[2], args[3]
        ),
        Call::Wait => format!(
            "epoll_pwait({}, {:#x}, {}, {}, sigmask {:#x}) (only a word-aligned buffer and no \
             signal mask can be proved yet)",
            args[0], args[1], args[2], args[3] as i32, args[4]
        ),
        Call::Read | Call::Write => format!(
            "{} fd {} of {} bytes at {:#x} (only fds {}, and an eventfd's 8-byte counter to or \
             from a word-aligned buffer, can be proved yet)",
            if call == Call::Read {
                "read from"
            } else {
                "write to"
            },
            args[0],
            args[2],
            args[1],
            if call == Call::Read { "0" } else { "1, 2, 3" }
        ),
    })
}

/// One call.
#[derive(Clone, Copy, Debug)]
pub struct PollEvent {
    pub instr: InstrEvent,
    pub number: u32,
    /// `$a0..$a3` before the call.
    pub args: [u32; 4],
    /// The file's flags: set by a create, or read from its word 0.
    pub cloexec: bool,
    pub nonblock: bool,
    /// A create: the file count, the soft open-file limit's low word, and the
    /// descriptor it returns (`4 + files`, but in a forged witness).
    pub files: u32,
    pub limit: u32,
    pub fd: u32,
    /// The file's word 1 before and after.
    pub state: u32,
    pub state_new: u32,
    /// `epoll_ctl`'s descriptor, or the descriptor an `epoll_pwait`'s instance watches
    /// (0 for none), with that file's flags (`epoll_ctl`) and counter (`epoll_pwait`).
    pub target: u32,
    pub target_flags: (bool, bool),
    pub target_count: u32,
    /// An `epoll_pwait` that finds its eventfd ready; a `read` that finds the counter
    /// not zero.
    pub ready: bool,
    /// The event or value is read from read-only memory.
    pub ro: bool,
    /// The user words the call reads or writes, before and after.
    pub mprev: [u32; 3],
    pub mnew: [u32; 3],
    /// The `epoll_data` words.
    pub data: [u32; 2],
    pub sp: u32,
    /// `$v0`, `$a0`..`$a3`, `$sp`, the stack word; the file count, the limit; the file's
    /// words 0 to 3; the target's words 0 and 1; the three user words.
    pub acc: [Option<Access>; 18],
}

impl PollEvent {
    /// A call of `number` with `args`, before the kernel state is known.
    pub fn new(instr: InstrEvent, number: u32, args: [u32; 4]) -> PollEvent {
        PollEvent {
            instr,
            number,
            args,
            cloexec: false,
            nonblock: false,
            files: 0,
            limit: 0,
            fd: 0,
            state: 0,
            state_new: 0,
            target: 0,
            target_flags: (false, false),
            target_count: 0,
            ready: false,
            ro: false,
            mprev: [0; 3],
            mnew: [0; 3],
            data: [0; 2],
            sp: 0,
            acc: [None; 18],
        }
    }

    pub fn call(&self) -> Call {
        Call::of(self.number, self.args[0]).unwrap_or(Call::Eventfd)
    }

    /// `$v0` and `$a3` after the call, as the chip proves them.
    pub fn result(&self) -> (u32, u32) {
        match self.call() {
            Call::Eventfd | Call::Create => (self.fd, 0),
            Call::Ctl => (0, 0),
            Call::Wait => (self.ready as u32, 0),
            Call::Write => (EVENTFD_IO, 0),
            Call::Read if self.ready => (EVENTFD_IO, 0),
            Call::Read => (EAGAIN, 1),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct PollCols<T> {
    /// Which call: `eventfd2`, `epoll_create1`, `epoll_ctl`, `epoll_pwait`, `write`,
    /// `read`.
    pub is_eventfd: T,
    pub is_create: T,
    pub is_ctl: T,
    pub is_wait: T,
    pub is_write: T,
    pub is_read: T,
    pub clk: T,
    /// The ROM's `aux` for the `SYSCALL` (its `pc + 4`): in the `instr` message only,
    /// bound by the ROM through the CPU; only the clone chip reads it.
    pub aux: T,
    pub thread: T,
    /// `$a0..$a3` before the call.
    pub a0: Word<T>,
    pub a1: Word<T>,
    pub a2: Word<T>,
    pub a3: Word<T>,
    /// The file's `FD_CLOEXEC` and `O_NONBLOCK` bytes (word 0's bytes 1 and 2).
    pub cloexec: T,
    pub nonblock: T,
    /// A create: the file count before, the soft limit's low three bytes (its top byte
    /// is zero: `prlimit64` keeps the limit below 2^20), and the new descriptor
    /// `4 + files` as three bytes (zero on other rows, so that they add to the result).
    pub files: T,
    pub limit: [T; 3],
    pub fd: [T; 3],
    /// The file's index: `files` for a create, else `$a0 - 4`.
    pub idx: T,
    /// The file's word 1 before and after.
    pub state: T,
    pub state_new: T,
    /// `epoll_ctl`'s `fd`, or the descriptor `epoll_pwait`'s instance watches.
    pub target: T,
    /// `epoll_ctl`: the target's flag bytes (read, any value it was created with).
    pub t_cloexec: T,
    pub t_nonblock: T,
    /// `epoll_pwait`: the instance watches a descriptor (`target · reg_inv`), and that
    /// eventfd's counter.
    pub has_reg: T,
    pub reg_inv: T,
    pub t_count: T,
    /// `epoll_pwait` finds the eventfd ready; `read` finds the counter not zero; the
    /// inverse of the counter in question.
    pub w_ready: T,
    pub r_ready: T,
    pub inv: T,
    /// `epoll_pwait`: the inverse of `maxevents`.
    pub max_inv: T,
    /// A 16 + 8-bit (or, for `epoll_pwait`, 16 + 13-bit) difference: a create's
    /// `limit - 5 - files`, a write's new counter, a wait's `2^29 - 1 - events / 4 -
    /// 4 maxevents`.
    pub r_lo: T,
    pub r_hi: T,
    /// The user pointer (`epoll_ctl`'s `event`, else `$a1`) as `4 ptr_q` in its low byte,
    /// and whether the words read there are read-only.
    pub ptr: Word<T>,
    pub ptr_q: T,
    pub ro: T,
    /// The user words (`ptr` words 0, 2, 3 for an `epoll_event`; 0, 1 for a `u64`)
    /// before and after.
    pub mprev: [Word<T>; 3],
    pub mnew: [Word<T>; 3],
    /// The `epoll_data` words.
    pub data: [Word<T>; 2],
    /// `epoll_pwait`: `$sp` as `4 sp_q` in its low byte.
    pub sp: Word<T>,
    pub sp_q: T,
    pub acc: [AccessCols<T>; 18],
}
columns!(PollCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct PollChip;

impl PollChip {
    pub fn generate_trace(
        &self,
        events: &[PollEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<PollCols<Val>, _>(events, PollCols::<Val>::WIDTH, bytes, fill_row)
    }
}

/// A word-aligned pointer's `q` (its low byte over 4), with its range checks counted.
fn quarter(p: u32, bytes: &mut ByteCounts) -> Val {
    let q = (p & 0xff) >> 2;
    bytes.range8x2(q, 4 * q);
    bytes.range8x2(2 * (p >> 24), 0);
    Val::from_u32(q)
}

/// Writes the difference `d` as `r_lo + 2^16 r_hi` and counts its range checks: 16 + 8
/// bits (a create's `limit - 5 - files`, a write's counter), or with `wide` 16 + 13 (a
/// wait's or a read's room below 2^31). A `d` out of range is only in a forged witness:
/// left uncounted, or, where the check named `knockout` is knocked out, zero as a prover
/// without it would write.
fn range_diff(
    r: &mut PollCols<Val>,
    d: i64,
    wide: bool,
    knockout: Option<&str>,
    bytes: &mut ByteCounts,
) {
    let bound = if wide {
        1i64 << 29
    } else {
        COUNTER_LIMIT as i64
    };
    let d = match knockout {
        Some(name) if !(0..bound).contains(&d) && !kept(name) => 0,
        _ => d,
    };
    r.r_lo = Val::from_i64(d & 0xffff);
    r.r_hi = Val::from_i64(d >> 16);
    if (0..bound).contains(&d) {
        bytes.range16((d & 0xffff) as u32);
        if wide {
            bytes.range16(8 * (d >> 16) as u32);
        } else {
            bytes.range8x2((d >> 16) as u32, 0);
        }
    }
}

fn fill_row(r: &mut PollCols<Val>, ev: &PollEvent, bytes: &mut ByteCounts) {
    let call = ev.call();
    let f = Val::from_bool;
    let w = super::word;
    r.is_eventfd = f(call == Call::Eventfd);
    r.is_create = f(call == Call::Create);
    r.is_ctl = f(call == Call::Ctl);
    r.is_wait = f(call == Call::Wait);
    r.is_write = f(call == Call::Write);
    r.is_read = f(call == Call::Read);
    r.clk = Val::from_u32(ev.instr.clk);
    r.aux = Val::from_u32(ev.instr.aux);
    r.thread = Val::from_u32(ev.instr.thread);
    r.a0 = w(ev.args[0]);
    r.a1 = w(ev.args[1]);
    r.a2 = w(ev.args[2]);
    r.a3 = w(ev.args[3]);
    r.cloexec = f(ev.cloexec);
    r.nonblock = f(ev.nonblock);
    r.state = Val::from_u32(ev.state);
    r.state_new = Val::from_u32(ev.state_new);
    if call.creates() {
        r.files = Val::from_u32(ev.files);
        r.idx = r.files;
        for k in 0..3 {
            r.limit[k] = Val::from_u32((ev.limit >> (8 * k)) & 0xff);
        }
        let fd = ev.fd;
        r.fd = [0, 1, 2].map(|k| Val::from_u32((fd >> (8 * k)) & 0xff));
        bytes.range8x2(fd & 0xff, (fd >> 8) & 0xff);
        bytes.range8x2((fd >> 16) & 0xff, 0);
        let d = ev.limit as i64 - 5 - ev.files as i64;
        range_diff(r, d, false, Some("poll.limit"), bytes);
    } else {
        r.idx = Val::from_u32(ev.args[0]) - Val::from_u32(FIRST_FD);
    }
    if matches!(call, Call::Ctl | Call::Wait) {
        r.target = Val::from_u32(ev.target);
    }
    if call == Call::Ctl {
        r.t_cloexec = f(ev.target_flags.0);
        r.t_nonblock = f(ev.target_flags.1);
    }
    if call == Call::Wait {
        r.has_reg = f(ev.target != 0);
        r.reg_inv = r.target.try_inverse().unwrap_or(Val::ZERO);
        r.t_count = Val::from_u32(ev.target_count);
        r.w_ready = f(ev.ready);
        r.inv = r.t_count.try_inverse().unwrap_or(Val::ZERO);
        let max = Val::from_u32(ev.args[2]);
        r.max_inv = max.try_inverse().unwrap_or(Val::ZERO);
        let d = (1i64 << 29) - 1 - (ev.args[1] / 4) as i64 - 4 * ev.args[2] as i64;
        range_diff(r, d, true, Some("poll.wait_buf"), bytes);
        if !ev.ready {
            bytes.range8x2(2 * (ev.args[3] >> 24), 0);
        }
        r.sp = w(ev.sp);
        r.sp_q = quarter(ev.sp, bytes);
    }
    if call == Call::Read {
        // access_ok(buf, 8): `buf / 4 + 2 <= 2^29 - 1` (Linux's EFAULT otherwise, even
        // for a read that then finds the counter empty).
        let d = (1i64 << 29) - 3 - (ev.args[1] / 4) as i64;
        range_diff(r, d, true, Some("poll.read_buf"), bytes);
        r.r_ready = f(ev.ready);
        r.inv = r.state.try_inverse().unwrap_or(Val::ZERO);
        if ev.ready {
            let v = ev.mnew[1];
            bytes.range8x2(v & 0xff, (v >> 8) & 0xff);
            bytes.range8x2((v >> 16) & 0xff, 0);
        }
    }
    if call == Call::Write {
        range_diff(r, ev.state_new as i64, false, None, bytes);
    }
    if matches!(call, Call::Ctl | Call::Wait | Call::Write | Call::Read) {
        let p = if call == Call::Ctl {
            ev.args[3]
        } else {
            ev.args[1]
        };
        r.ptr = w(p);
        r.ptr_q = quarter(p, bytes);
    }
    r.ro = f(ev.ro);
    for k in 0..3 {
        r.mprev[k] = w(ev.mprev[k]);
        r.mnew[k] = w(ev.mnew[k]);
    }
    for k in 0..2 {
        r.data[k] = w(ev.data[k]);
    }
    for (cols, acc) in r.acc.iter_mut().zip(&ev.acc) {
        if let Some(acc) = acc {
            super::fill_access(cols, acc, bytes);
        }
    }
}

impl BaseAir<Val> for PollChip {
    fn width(&self) -> usize {
        PollCols::<u8>::WIDTH
    }
}

/// An access: count, space, address, previous value, new value.
type Access4<AB> = super::bus::AccessExprs<AB>;

impl<AB: InteractionBuilder<F = Val>> Air<AB> for PollChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &PollCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let one = || Expr::<AB>::ONE;
        let words = |w: &Word<AB::Var>| w.map(|v| -> Expr<AB> { v.into() });
        let zero = || [(); 4].map(|_| Expr::<AB>::ZERO);
        let elem = |x: Expr<AB>| [x, Expr::<AB>::ZERO, Expr::<AB>::ZERO, Expr::<AB>::ZERO];
        let byte_of = |v: u32, j: usize| c((v >> (8 * j)) & 0xff);
        let value = |w: &Word<AB::Var>| bus::word_value::<AB>(w);

        let is_real = super::assert_flags(
            b,
            &[
                l.is_eventfd,
                l.is_create,
                l.is_ctl,
                l.is_wait,
                l.is_write,
                l.is_read,
            ],
        );
        let (is_eventfd, is_create, is_ctl) = (e(l.is_eventfd), e(l.is_create), e(l.is_ctl));
        let (is_wait, is_write, is_read) = (e(l.is_wait), e(l.is_write), e(l.is_read));
        let creates = is_eventfd.clone() + is_create.clone();
        // The calls on an existing descriptor in $a0, and those with a user pointer.
        let on_fd = is_real.clone() - creates.clone();
        let rw = is_write.clone() + is_read.clone();
        let has_ptr = on_fd.clone();
        let (w_ready, r_ready) = (e(l.w_ready), e(l.r_ready));
        for v in [l.cloexec, l.nonblock, l.has_reg, l.w_ready, l.r_ready, l.ro] {
            b.assert_bool(v);
        }

        // The arguments Linux checks.
        for j in 0..4 {
            // eventfd2: flags EFD_NONBLOCK (byte 0) and EFD_CLOEXEC (byte 2) only.
            let fl = [
                c(O_NONBLOCK) * e(l.nonblock),
                c(0),
                c(8) * e(l.cloexec),
                c(0),
            ];
            let ecx = [c(0), c(0), c(8) * e(l.cloexec), c(0)];
            if kept("poll.flags") {
                b.assert_zero(is_eventfd.clone() * (e(l.a1[j]) - fl[j].clone()));
            }
            b.assert_zero(is_create.clone() * (e(l.a0[j]) - ecx[j].clone()));
            b.assert_zero(is_ctl.clone() * (e(l.a1[j]) - byte_of(EPOLL_CTL_ADD, j)));
            if kept("poll.size") {
                b.assert_zero(rw.clone() * (e(l.a2[j]) - byte_of(EVENTFD_IO, j)));
            }
        }
        b.assert_zero(is_create.clone() * e(l.nonblock));
        // Descriptors, initval, ctl's fd and maxevents are below 2^24, so exact.
        b.assert_zero(is_eventfd.clone() * e(l.a0[3]));
        b.assert_zero(on_fd.clone() * e(l.a0[3]));
        b.assert_zero((is_ctl.clone() + is_wait.clone()) * e(l.a2[3]));

        // A create: the next descriptor, below the soft limit.
        let limit = e(l.limit[0]) + c(1 << 8) * e(l.limit[1]) + c(1 << 16) * e(l.limit[2]);
        let fd = e(l.fd[0]) + c(1 << 8) * e(l.fd[1]) + c(1 << 16) * e(l.fd[2]);
        if kept("poll.files") {
            b.assert_zero(creates.clone() * (fd - e(l.files) - c(FIRST_FD)));
        }
        for k in 0..3 {
            b.assert_zero((one() - creates.clone()) * e(l.fd[k]));
        }
        bus::range8x2(b, l.fd[0], l.fd[1], creates.clone());
        bus::range8x2(b, l.fd[2], Expr::<AB>::ZERO, creates.clone());
        let r = e(l.r_lo) + c(1 << 16) * e(l.r_hi);
        if kept("poll.limit") {
            b.assert_zero(
                creates.clone() * (limit.clone() - c(FIRST_FD + 1) - e(l.files) - r.clone()),
            );
        }
        b.assert_zero(creates.clone() * (e(l.idx) - e(l.files)));
        b.assert_zero(on_fd.clone() * (e(l.idx) - value(&l.a0) + c(FIRST_FD)));

        // The file's word 1.
        b.assert_zero((is_eventfd.clone() + is_ctl.clone()) * e(l.state));
        b.assert_zero(is_eventfd.clone() * (e(l.state_new) - value(&l.a0)));
        b.assert_zero(is_ctl.clone() * (e(l.state_new) - e(l.target)));
        b.assert_zero(is_ctl.clone() * (e(l.target) - value(&l.a2)));
        b.assert_zero(is_wait.clone() * (e(l.state) - e(l.target)));
        b.assert_zero(is_wait.clone() * (e(l.state_new) - e(l.state)));
        if kept("poll.counter") {
            b.assert_zero(is_write.clone() * (e(l.state_new) - e(l.state) - value(&l.mprev[1])));
        }
        b.assert_zero(is_write.clone() * (e(l.state_new) - r.clone()));
        b.assert_zero(is_read.clone() * e(l.state_new));
        // 24 bits for creates and writes, 29 for waits and reads.
        let r29 = is_wait.clone() + is_read.clone();
        bus::range16(b, l.r_lo, creates.clone() + is_write.clone() + r29.clone());
        bus::range8x2(
            b,
            l.r_hi,
            Expr::<AB>::ZERO,
            creates.clone() + is_write.clone(),
        );
        bus::range16(b, c(8) * e(l.r_hi), r29);

        // epoll_pwait: the watched descriptor, whether it is ready, the buffer, the
        // timeout.
        b.assert_zero(e(l.has_reg) * (one() - is_wait.clone()));
        b.assert_zero(is_wait.clone() * (e(l.target) * e(l.reg_inv) - e(l.has_reg)));
        b.assert_zero((is_wait.clone() - e(l.has_reg)) * e(l.target));
        b.assert_zero(w_ready.clone() * (one() - e(l.has_reg)));
        b.assert_zero(w_ready.clone() * (e(l.t_count) * e(l.inv) - one()));
        if kept("poll.ready") {
            b.assert_zero((e(l.has_reg) - w_ready.clone()) * e(l.t_count));
        }
        b.assert_zero(is_wait.clone() * (value(&l.a2) * e(l.max_inv) - one()));
        let waddr = |p: &Word<AB::Var>, q: AB::Var| {
            e(q) + e(p[1]) * c(1 << 6) + e(p[2]) * c(1 << 14) + e(p[3]) * c(1 << 22)
        };
        let ptr_w = waddr(&l.ptr, l.ptr_q);
        if kept("poll.wait_buf") {
            b.assert_zero(
                is_wait.clone()
                    * (c((1 << 29) - 1) - ptr_w.clone() - c(4) * value(&l.a2) - r.clone()),
            );
        }
        bus::range8x2(
            b,
            c(2) * e(l.a3[3]),
            Expr::<AB>::ZERO,
            is_wait.clone() - w_ready.clone(),
        );
        b.assert_zero(is_wait.clone() * (e(l.sp[0]) - c(4) * e(l.sp_q)));
        bus::range8x2(b, l.sp_q, c(4) * e(l.sp_q), is_wait.clone());
        bus::range8x2(b, c(2) * e(l.sp[3]), Expr::<AB>::ZERO, is_wait.clone());

        // read: the buffer within user space (access_ok, which Linux checks first); ready
        // when the counter is not zero; else EAGAIN, only without blocking.
        if kept("poll.read_buf") {
            b.assert_zero(is_read.clone() * (c((1 << 29) - 3) - ptr_w.clone() - r.clone()));
        }
        b.assert_zero(r_ready.clone() * (one() - is_read.clone()));
        b.assert_zero(r_ready.clone() * (e(l.state) * e(l.inv) - one()));
        if kept("poll.eagain") {
            b.assert_zero((is_read.clone() - r_ready.clone()) * e(l.state));
        }
        b.assert_zero((is_read.clone() - r_ready.clone()) * (one() - e(l.nonblock)));

        // The user words.
        for j in 0..4 {
            b.assert_zero(is_ctl.clone() * (e(l.ptr[j]) - e(l.a3[j])));
            b.assert_zero((is_wait.clone() + rw.clone()) * (e(l.ptr[j]) - e(l.a1[j])));
            for k in 0..3 {
                b.assert_zero(
                    (is_ctl.clone() + is_write.clone()) * (e(l.mnew[k][j]) - e(l.mprev[k][j])),
                );
            }
            let events = byte_of(EPOLLIN, j);
            if kept("poll.events") {
                b.assert_zero(is_ctl.clone() * (e(l.mprev[0][j]) - events.clone()));
            }
            b.assert_zero(w_ready.clone() * (e(l.mnew[0][j]) - events));
            for k in 0..2 {
                b.assert_zero(is_ctl.clone() * (e(l.data[k][j]) - e(l.mprev[k + 1][j])));
                b.assert_zero(w_ready.clone() * (e(l.data[k][j]) - e(l.mnew[k + 1][j])));
            }
            b.assert_zero(is_write.clone() * e(l.mprev[0][j]));
            b.assert_zero(r_ready.clone() * e(l.mnew[0][j]));
        }
        b.assert_zero(has_ptr.clone() * (e(l.ptr[0]) - c(4) * e(l.ptr_q)));
        bus::range8x2(b, l.ptr_q, c(4) * e(l.ptr_q), has_ptr.clone());
        bus::range8x2(b, c(2) * e(l.ptr[3]), Expr::<AB>::ZERO, has_ptr);
        b.assert_zero(is_write.clone() * e(l.mprev[1][3]));
        b.assert_zero(r_ready.clone() * (value(&l.mnew[1]) - e(l.state)));
        b.assert_zero(r_ready.clone() * e(l.mnew[1][3]));
        bus::range8x2(b, l.mnew[1][0], l.mnew[1][1], r_ready.clone());
        bus::range8x2(b, l.mnew[1][2], Expr::<AB>::ZERO, r_ready.clone());
        b.assert_zero(e(l.ro) * (one() - is_ctl.clone() - is_write.clone()));

        // The accesses, at the chip's slot.
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let sel = [
            (&is_eventfd, SYS_EVENTFD2),
            (&is_create, SYS_EPOLL_CREATE1),
            (&is_ctl, SYS_EPOLL_CTL),
            (&is_wait, SYS_EPOLL_PWAIT),
            (&is_write, SYS_WRITE),
            (&is_read, SYS_READ),
        ];
        let number: [Expr<AB>; 4] = std::array::from_fn(|j| {
            sel.iter().fold(Expr::<AB>::ZERO, |acc, (s, n)| {
                acc + (*s).clone() * byte_of(*n, j)
            })
        });
        let eagain = is_read.clone() - r_ready.clone();
        let result = [
            e(l.fd[0])
                + w_ready.clone()
                + c(EVENTFD_IO) * rw.clone()
                + c(EAGAIN - EVENTFD_IO) * eagain.clone(),
            e(l.fd[1]),
            e(l.fd[2]),
            Expr::<AB>::ZERO,
        ];
        let kind = is_create.clone()
            + is_ctl.clone()
            + is_wait.clone()
            + c(2) * (is_eventfd.clone() + rw.clone());
        let kind_word = [kind.clone(), e(l.cloexec), e(l.nonblock), Expr::<AB>::ZERO];
        // Before a create its word 0 is zero (it was never used).
        let kind_prev = [
            kind - is_create.clone() - c(2) * is_eventfd.clone(),
            on_fd.clone() * e(l.cloexec),
            on_fd.clone() * e(l.nonblock),
            Expr::<AB>::ZERO,
        ];
        let file = c(KERNEL_FDS) + c(FILE_WORDS) * e(l.idx);
        let target = c(KERNEL_FDS) + c(FILE_WORDS) * (e(l.target) - c(FIRST_FD));
        let sp_w = waddr(&l.sp, l.sp_q) + c(4);
        let user = c(SPACE_MEM) + e(l.ro) * c(SPACE_RO - SPACE_MEM);
        let data_prev = |k: usize| words(&l.data[k]).map(|x| x * is_wait.clone());
        let m01 = is_ctl.clone() + w_ready.clone() + is_write.clone() + r_ready.clone();
        let accesses: Vec<Access4<AB>> = vec![
            (is_real.clone(), c(SPACE_REG), reg(2), number, result),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(4),
                words(&l.a0),
                words(&l.a0),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(5),
                words(&l.a1),
                words(&l.a1),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(6),
                words(&l.a2),
                words(&l.a2),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(7),
                words(&l.a3),
                elem(eagain),
            ),
            (
                is_wait.clone(),
                c(SPACE_REG),
                reg(29),
                words(&l.sp),
                words(&l.sp),
            ),
            // The sigmask argument: NULL.
            (is_wait.clone(), c(SPACE_MEM), sp_w, zero(), zero()),
            (
                creates.clone(),
                c(SPACE_KERNEL),
                c(KERNEL_FILES),
                elem(e(l.files)),
                elem(e(l.files) + one()),
            ),
            (
                creates.clone(),
                c(SPACE_KERNEL),
                c(KERNEL_NOFILE + 1),
                [
                    e(l.limit[0]),
                    e(l.limit[1]),
                    e(l.limit[2]),
                    Expr::<AB>::ZERO,
                ],
                [
                    e(l.limit[0]),
                    e(l.limit[1]),
                    e(l.limit[2]),
                    Expr::<AB>::ZERO,
                ],
            ),
            (
                is_real.clone(),
                c(SPACE_KERNEL),
                file.clone(),
                kind_prev,
                kind_word,
            ),
            (
                is_real.clone() - is_create.clone(),
                c(SPACE_KERNEL),
                file.clone() + one(),
                elem(e(l.state)),
                elem(e(l.state_new)),
            ),
            (
                is_ctl.clone() + w_ready.clone(),
                c(SPACE_KERNEL),
                file.clone() + c(2),
                data_prev(0),
                words(&l.data[0]),
            ),
            (
                is_ctl.clone() + w_ready.clone(),
                c(SPACE_KERNEL),
                file + c(3),
                data_prev(1),
                words(&l.data[1]),
            ),
            (
                is_ctl.clone(),
                c(SPACE_KERNEL),
                target.clone(),
                [
                    c(KIND_EVENTFD),
                    e(l.t_cloexec),
                    e(l.t_nonblock),
                    Expr::<AB>::ZERO,
                ],
                [
                    c(KIND_EVENTFD),
                    e(l.t_cloexec),
                    e(l.t_nonblock),
                    Expr::<AB>::ZERO,
                ],
            ),
            (
                e(l.has_reg),
                c(SPACE_KERNEL),
                target + one(),
                elem(e(l.t_count)),
                elem(e(l.t_count)),
            ),
            (
                m01.clone(),
                user.clone(),
                ptr_w.clone(),
                words(&l.mprev[0]),
                words(&l.mnew[0]),
            ),
            (
                m01,
                user.clone(),
                ptr_w.clone() + one() + is_ctl.clone() + is_wait.clone(),
                words(&l.mprev[1]),
                words(&l.mnew[1]),
            ),
            (
                is_ctl.clone() + w_ready.clone(),
                user,
                ptr_w + c(3),
                words(&l.mprev[2]),
                words(&l.mnew[2]),
            ),
        ];
        for ((count, space, addr, prev, new), cols) in accesses.into_iter().zip(&l.acc) {
            access(b, count, space, addr, prev, new, ts.clone(), cols);
        }

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
        // Unused cells: on a row, the columns of the calls it is not (files, limit and
        // idx's create form off creates; target, t_cloexec, t_nonblock off epoll_ctl and
        // epoll_pwait; t_count, reg_inv, max_inv and sp off epoll_pwait, and t_count
        // where nothing is watched; inv where nothing is ready; r_lo and r_hi off
        // creates, writes and waits; ptr off calls without a pointer; mprev, mnew and
        // data where their accesses' counts are zero; state and state_new on
        // epoll_create1) and the accesses' columns where their count is zero are in no
        // message with a non-zero count and no constraint that is not multiplied by a
        // zero selector. The trace generator leaves them zero; their values cannot
        // change what the row proves.
    }
}
