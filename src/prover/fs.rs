//! The file-system chip: the calls on the VM's file system, which is empty, and on its
//! four standard descriptors. One row per call.
//!
//! - `open(path, flags, mode)` (o32 4005) and `openat(AT_FDCWD, path, flags, mode)`
//!   (4288) fail with `ENOENT`: there is no file to open. Linux first copies the path
//!   (`EFAULT` if unreadable, `ENAMETOOLONG` without a NUL within 4096 bytes), so the row
//!   asks the path chip ([`super::path`]) to read it, which proves it a readable string of
//!   at most 4095 bytes. `flags` has neither `O_CREAT` (0x100) nor `__O_TMPFILE`
//!   (0x400000), the two that would create a file rather than look one up.
//! - `fcntl(fd, F_GETFD)` and `fcntl(fd, F_GETFL)` (4055) on fds 0 to 3 answer the
//!   descriptors' initial flags: no `FD_CLOEXEC`, and `O_RDONLY` for the input (fd 0),
//!   `O_WRONLY` for stdout, stderr and the public output. These are the only flags they
//!   can have: no provable call changes a descriptor (`F_SETFD`, `F_SETFL`, `close`,
//!   `dup*` are not provable yet), so the answers need no kernel state.
//!
//! The row reads the number from `$v0` and the arguments from `$a0..$a2`, and writes the
//! result to `$v0` and the error flag to `$a3`, at the chip's timestamp slot, as the
//! syscall chip does.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, Expr, Word, PATH, REG_STRIDE, SLOT_CHIP, SPACE_REG, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};
use crate::syscalls::errno::ENOENT;

pub const SYS_OPEN: u32 = 4005;
pub const SYS_OPENAT: u32 = 4288;
pub const SYS_FCNTL: u32 = 4055;
/// `openat`'s "relative to the working directory".
pub const AT_FDCWD: u32 = -100i32 as u32;
/// The `open` flags that create a file (MIPS values).
pub const O_CREAT: u32 = 0x100;
pub const O_TMPFILE: u32 = 0x40_0000;
pub const F_GETFD: u32 = 1;
pub const F_GETFL: u32 = 3;
/// `F_GETFL` of fds 0 to 3: `O_RDONLY`, then `O_WRONLY` three times.
pub const GETFL: [u32; 4] = [0, 1, 1, 1];

/// The answer this chip proves for a call, as `($v0, $a3)`, if it proves the call.
pub fn answer(number: u32, args: &[u32; 4]) -> Option<(u32, u32)> {
    let flags_ok = |f: u32| f & (O_CREAT | O_TMPFILE) == 0;
    match number {
        SYS_OPEN if flags_ok(args[1]) => Some((ENOENT, 1)),
        SYS_OPENAT if args[0] == AT_FDCWD && flags_ok(args[2]) => Some((ENOENT, 1)),
        SYS_FCNTL if args[0] <= 3 && args[1] == F_GETFD => Some((0, 0)),
        SYS_FCNTL if args[0] <= 3 && args[1] == F_GETFL => Some((GETFL[args[0] as usize], 0)),
        _ => None,
    }
}

/// One call.
#[derive(Clone, Copy, Debug)]
pub struct FsEvent {
    pub instr: InstrEvent,
    pub thread: u32,
    pub number: u32,
    /// `$a0..$a3` before.
    pub args: [u32; 4],
    /// `$v0` and `$a3` after.
    pub result: (u32, u32),
    /// `$v0`, `$a0`, `$a1`, `$a2` (`openat` only), `$a3`.
    pub acc: [Option<Access>; 5],
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct FsCols<T> {
    pub is_open: T,
    pub is_openat: T,
    pub is_fcntl: T,
    /// `fcntl`'s fd, one-hot over 0..3, and its command: `F_GETFL` (else `F_GETFD`).
    pub fd: [T; 4],
    pub getfl: T,
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
    /// `$v0` and `$a3` after: the result and the error flag.
    pub result: Word<T>,
    pub err: Word<T>,
    /// The path pointer's low byte as `4 q + o0 + 2 o1`, so that its word address
    /// `q + 2^6 p[1] + 2^14 p[2] + 2^22 p[3]` (below 2^29) and offset are exact.
    pub path_q: T,
    pub path_o: [T; 2],
    /// The open flags' second byte is `2 fl_q` (no `O_CREAT`); the third is
    /// `fl_lo + 128 fl_b7` with `fl_lo < 64` (no `__O_TMPFILE`).
    pub fl_q: T,
    pub fl_lo: T,
    pub fl_b7: T,
    pub acc: [AccessCols<T>; 5],
}
columns!(FsCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct FsChip;

impl FsChip {
    pub fn generate_trace(
        &self,
        events: &[FsEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<FsCols<Val>, _>(events, FsCols::<Val>::WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut FsCols<Val>, ev: &FsEvent, bytes: &mut ByteCounts) {
    let [a0, a1, a2, a3] = ev.args;
    r.is_open = Val::from_bool(ev.number == SYS_OPEN);
    r.is_openat = Val::from_bool(ev.number == SYS_OPENAT);
    r.is_fcntl = Val::from_bool(ev.number == SYS_FCNTL);
    r.clk = Val::from_u32(ev.instr.clk);
    r.aux = Val::from_u32(ev.instr.aux);
    r.thread = Val::from_u32(ev.thread);
    r.a0 = super::word(a0);
    r.a1 = super::word(a1);
    r.a2 = super::word(a2);
    r.a3 = super::word(a3);
    r.result = super::word(ev.result.0);
    r.err = super::word(ev.result.1);
    if ev.number == SYS_FCNTL {
        r.fd[a0.min(3) as usize] = Val::ONE;
        r.getfl = Val::from_bool(a1 == F_GETFL);
    } else {
        let (path, flags) = if ev.number == SYS_OPEN {
            (a0, a1)
        } else {
            (a1, a2)
        };
        let q = (path & 0xff) >> 2;
        r.path_q = Val::from_u32(q);
        r.path_o = [Val::from_u32(path & 1), Val::from_u32((path >> 1) & 1)];
        bytes.range8x2(q, 4 * q);
        bytes.range8x2(2 * (path >> 24), 0);
        let (f1, f2) = ((flags >> 8) & 0xff, (flags >> 16) & 0xff);
        r.fl_q = Val::from_u32(f1 >> 1);
        r.fl_lo = Val::from_u32(f2 & 0x7f);
        r.fl_b7 = Val::from_u32(f2 >> 7);
        bytes.range8x2(f1 >> 1, 2 * (f1 >> 1));
        bytes.range8x2(f2 & 0x7f, 4 * (f2 & 0x7f));
    }
    for (cols, acc) in r.acc.iter_mut().zip(&ev.acc) {
        if let Some(acc) = acc {
            super::fill_access(cols, acc, bytes);
        }
    }
}

impl BaseAir<Val> for FsChip {
    fn width(&self) -> usize {
        FsCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for FsChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &FsCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        let one = || Expr::<AB>::ONE;
        let zero = || Expr::<AB>::ZERO;
        let words = |w: &Word<AB::Var>| w.map(|v| -> Expr<AB> { v.into() });
        let is_real = super::assert_flags(b, &[l.is_open, l.is_openat, l.is_fcntl]);
        let (is_open, is_openat, is_fcntl) = (e(l.is_open), e(l.is_openat), e(l.is_fcntl));
        let opens = is_open.clone() + is_openat.clone();

        // fcntl: fd one of 0..3 (one-hot), cmd F_GETFD (1) or F_GETFL (3).
        let fds = super::assert_flags(b, &l.fd);
        b.assert_eq(fds, is_fcntl.clone());
        b.assert_bool(l.getfl);
        b.assert_zero(e(l.getfl) * (one() - is_fcntl.clone()));
        let fd = e(l.fd[1]) + c(2) * e(l.fd[2]) + c(3) * e(l.fd[3]);
        if kept("fs.fd") {
            b.assert_zero(is_fcntl.clone() * (e(l.a0[0]) - fd));
            for k in 1..4 {
                b.assert_zero(is_fcntl.clone() * e(l.a0[k]));
            }
        }
        if kept("fs.cmd") {
            let cmd = c(F_GETFD) + c(F_GETFL - F_GETFD) * e(l.getfl);
            b.assert_zero(is_fcntl.clone() * (e(l.a1[0]) - cmd));
            for k in 1..4 {
                b.assert_zero(is_fcntl.clone() * e(l.a1[k]));
            }
        }
        // openat's dirfd is AT_FDCWD.
        if kept("fs.dirfd") {
            for (k, &byte) in AT_FDCWD.to_le_bytes().iter().enumerate() {
                b.assert_zero(is_openat.clone() * (e(l.a0[k]) - c(byte as u32)));
            }
        }

        // The result: ENOENT with the error flag for an open; the descriptor's flags for
        // fcntl (F_GETFD: no FD_CLOEXEC; F_GETFL: GETFL, O_WRONLY but for fd 0).
        let wronly = (1..4).fold(zero(), |s, j| s + c(GETFL[j]) * e(l.fd[j]));
        if kept("fs.result") {
            b.assert_zero(e(l.result[0]) - opens.clone() * c(ENOENT) - e(l.getfl) * wronly);
            b.assert_zero(e(l.err[0]) - opens.clone());
            for k in 1..4 {
                b.assert_zero(l.result[k]);
                b.assert_zero(l.err[k]);
            }
        }
        let number: [Expr<AB>; 4] = std::array::from_fn(|k| {
            is_open.clone() * c(SYS_OPEN.to_le_bytes()[k] as u32)
                + is_openat.clone() * c(SYS_OPENAT.to_le_bytes()[k] as u32)
                + is_fcntl.clone() * c(SYS_FCNTL.to_le_bytes()[k] as u32)
        });

        // The path ($a0 for open, $a1 for openat), read by the path chip; the flags ($a1,
        // $a2) create nothing.
        let path: [Expr<AB>; 4] =
            std::array::from_fn(|k| e(l.a0[k]) + is_openat.clone() * (e(l.a1[k]) - e(l.a0[k])));
        let flags: [Expr<AB>; 4] =
            std::array::from_fn(|k| e(l.a1[k]) + is_openat.clone() * (e(l.a2[k]) - e(l.a1[k])));
        for o in l.path_o {
            b.assert_bool(o);
        }
        let offset = e(l.path_o[0]) + c(2) * e(l.path_o[1]);
        b.assert_zero(opens.clone() * (path[0].clone() - c(4) * e(l.path_q) - offset.clone()));
        bus::range8x2(b, l.path_q, c(4) * e(l.path_q), opens.clone());
        bus::range8x2(b, c(2) * path[3].clone(), zero(), opens.clone());
        let waddr = e(l.path_q)
            + path[1].clone() * c(1 << 6)
            + path[2].clone() * c(1 << 14)
            + path[3].clone() * c(1 << 22);
        if kept("fs.path") {
            b.push_interaction(
                PATH,
                [e(l.clk), waddr, offset],
                Count::bounded(opens.clone(), 1),
            );
        }
        if kept("fs.flags") {
            b.assert_zero(opens.clone() * (flags[1].clone() - c(2) * e(l.fl_q)));
            b.assert_zero(opens.clone() * (flags[2].clone() - e(l.fl_lo) - c(128) * e(l.fl_b7)));
            bus::range8x2(b, l.fl_q, c(2) * e(l.fl_q), opens.clone());
            bus::range8x2(b, l.fl_lo, c(4) * e(l.fl_lo), opens.clone());
        }
        b.assert_bool(l.fl_b7);
        // (Off opens, path_q, path_o and the fl_* columns are in no message with a
        // non-zero count and no constraint that is not boolean: left zero.)

        // The accesses, at the chip's slot: $v0 from the number to the result, $a0 and $a1
        // read, $a2 read by openat, $a3 to the error flag.
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let accesses = [
            (is_real.clone(), reg(2), number, words(&l.result)),
            (is_real.clone(), reg(4), words(&l.a0), words(&l.a0)),
            (is_real.clone(), reg(5), words(&l.a1), words(&l.a1)),
            (is_openat.clone(), reg(6), words(&l.a2), words(&l.a2)),
            (is_real.clone(), reg(7), words(&l.a3), words(&l.err)),
        ];
        for ((count, addr, prev, new), cols) in accesses.into_iter().zip(&l.acc) {
            access(b, count, c(SPACE_REG), addr, prev, new, ts.clone(), cols);
        }
        // (`a2` is in a message only for openat; on open and fcntl rows it is left zero
        // and, being in no constraint with a non-zero factor, cannot matter.)

        // The CPU reads $zero for both operands; the call does not halt.
        let z4 = || [zero(), zero(), zero(), zero()];
        let op = is_real.clone() * c(Opcode::Syscall as u32);
        super::receive_instr_exprs(
            b,
            op,
            e(l.clk),
            e(l.thread),
            z4(),
            z4(),
            z4(),
            l.aux.into(),
            is_real,
        );
    }
}
