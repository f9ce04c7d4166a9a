//! The file-system chip: the calls on the VM's file system, which is empty, and on its
//! four standard descriptors. One row per call.
//!
//! - `open(path, flags, mode)` (o32 4005) and `openat(AT_FDCWD, path, flags, mode)`
//!   (4288) fail with `ENOENT`: there is no file to open. Linux first copies the path
//!   (`EFAULT` if unreadable, `ENAMETOOLONG` without a NUL within 4096 bytes), so the row
//!   asks the path chip ([`super::path`]) to read it, which proves it a readable string of
//!   at most 4095 bytes. `flags` has neither `O_CREAT` (0x100) nor `__O_TMPFILE`
//!   (0x400000), the two that would create a file rather than look one up.
//! - The other path lookups fail the same way, each after the argument checks Linux makes
//!   before it looks the path up ([`LOOKUPS`]): `stat64`, `lstat64`, `fstatat64` (flags 0
//!   or `AT_SYMLINK_NOFOLLOW`: no `AT_EMPTY_PATH`, which would describe the directory),
//!   `access`, `faccessat`, `faccessat2` (a mode below 8, else `EINVAL`; flags 0,
//!   `AT_SYMLINK_NOFOLLOW` or `AT_EACCESS`), `readlink` and `readlinkat` (a buffer size
//!   above 0 as a signed word, else `EINVAL`), each with `ENOENT`, as the VM's empty file
//!   system answers them. (`mkdir` is not provable: Linux answers `ENOENT` for an empty
//!   path and `EEXIST` for `/`, where the VM's read-only file system says `EROFS`.)
//! - `fcntl(fd, F_GETFD)` and `fcntl(fd, F_GETFL)` (4055, and `fcntl64`, 4220, which
//!   on a 32-bit kernel answers these two commands as `fcntl` does) on fds 0 to 3 answer the
//!   descriptors' initial flags: no `FD_CLOEXEC`, and `O_RDONLY` for the input (fd 0),
//!   `O_WRONLY` for stdout, stderr and the public output. These are the only flags they
//!   can have: no provable call changes a descriptor (`F_SETFD`, `F_SETFL`, `close`,
//!   `dup*` are not provable yet), so the answers need no kernel state.
//!
//! - `ioctl(fd, TCGETS)` and `ioctl(fd, TIOCGWINSZ)` (4054) on fds 0 to 3 fail with
//!   `ENOTTY`: the VM's descriptors are two regular files (the input and the public
//!   output) and two character devices that are not terminals, and Linux answers a terminal request on any of them so without
//!   touching the argument. (These are the requests Go's `x/term` makes to ask whether a
//!   descriptor is a terminal and its size; a generic request such as `FIONREAD`, which
//!   Linux answers for files and pipes, is not provable.)
//!
//! - `fstat64(fd, buf)` (4215) on fds 0 to 3 returns 0 and writes the VM's 104-byte
//!   `struct stat64` at a word-aligned `buf`. Its fixed parts (inode, mode, one link,
//!   the 4096-byte I/O block) are the byte table's answers for the descriptor, which the
//!   input chip writes as it writes `uname`'s; the row writes the two words that vary,
//!   `st_size`'s low word `S` and `st_blocks`'s, `ceil(S / 512)` (both high words are in
//!   the fixed parts, zero: `S < 2^28`). stdout and stderr are character devices of size
//!   0. The public output's size is the kernel's output cursor, the bytes written to fd 3
//!   so far. The private input's size is kernel state: [`KERNEL_IN_SIZE`] is 0 while no
//!   call has shown it, else `S + 1`. A first `fstat64` may choose any `S` no smaller than
//!   the input cursor (the bytes read so far, all of which full reads returned), and fixes
//!   it; a later one reads it. The syscall chip holds every read to the same size
//!   ([`super::syscall`]): a read returns `min(count, S - cursor)` once the size is
//!   fixed, its full count while it is not, and a short read fixes `S` at the cursor it
//!   reaches. So the input behaves as a regular file of one size for the whole run, as
//!   the VM's does.
//!
//! - `socket(family, type, protocol)` (4183) fails with `EAFNOSUPPORT`: the VM has no
//!   network, so no family is registered. Linux checks the type first, so the row proves
//!   what it checks: no flags but `SOCK_NONBLOCK` and `SOCK_CLOEXEC` (else `EINVAL`) and a
//!   kind below `SOCK_MAX` (11; else `EINVAL` for a family in range). The family is any
//!   but `AF_NETLINK` (16), which every Linux with sockets has. The protocol is not read:
//!   Linux looks at it only once the family is found.
//!
//! - `prctl(PR_SET_VMA, ...)` (4192, option `0x53564d41`) fails with `EINVAL`, whatever
//!   the other arguments: the option came with Linux 5.17, and the VM's kernel is the 5.0
//!   that `uname` reports, which refuses an option it does not know before it reads
//!   anything else (qemu-user refuses it too). Go 1.25 and later make the call to name
//!   their mappings, and stop after this answer. The row proves the option's four bytes.
//!
//! The row reads the number from `$v0` and the arguments from `$a0`, `$a1`, `$a2` (where it
//! is one) and `$a3`, and writes the
//! result to `$v0` and the error flag to `$a3`, at the chip's timestamp slot, as the
//! syscall chip does.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, Expr, Word, INPUT, KERNEL_IN_CURSOR, KERNEL_IN_SIZE,
    KERNEL_OUT_CURSOR, PATH, REG_STRIDE, SLOT_CHIP, SPACE_KERNEL, SPACE_MEM, SPACE_REG, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};
use crate::syscalls::errno::{EAFNOSUPPORT, EINVAL, ENOENT, ENOTTY};

pub const SYS_OPEN: u32 = 4005;
pub const SYS_OPENAT: u32 = 4288;
pub const SYS_FCNTL: u32 = 4055;
pub const SYS_FCNTL64: u32 = 4220;
pub const SYS_FSTAT64: u32 = 4215;
pub const SYS_IOCTL: u32 = 4054;
pub const SYS_SOCKET: u32 = 4183;
pub const SYS_PRCTL: u32 = 4192;
pub use crate::syscalls::info::PR_SET_VMA;
/// The family Linux always registers where it has sockets, which `socket` would create.
pub const AF_NETLINK: u32 = 16;
/// The terminal requests `ioctl` proves (MIPS values): `TCGETS` and
/// `TIOCGWINSZ = _IOR('t', 104, struct winsize)`.
pub const TCGETS: u32 = 0x540d;
pub const TIOCGWINSZ: u32 = 0x4008_7468;
/// `struct stat64`'s bytes before `st_size`'s low word (words 0 to 14: device, inode,
/// mode, links, owner, `rdev`, padding, `st_size`'s high word), all fixed for a
/// descriptor.
pub const STAT_HEAD: u32 = 60;
/// The word holding `st_size`'s low word, the size `S`.
pub const STAT_SIZE_WORD: u32 = 15;
/// The fixed bytes from there to `st_blocks`'s low word (words 16 to 24: the times, the
/// I/O block size, padding, `st_blocks`'s high word), the same for every descriptor.
pub const STAT_TAIL_START: u32 = 64;
pub const STAT_TAIL: u32 = 36;
/// The word holding `st_blocks`'s low word.
pub const STAT_BLOCKS_WORD: u32 = 25;
/// Sizes `fstat64` proves are below this (`S < 2^28`, so every sum below is exact).
pub const STAT_SIZE_LIMIT: u32 = 1 << 28;
const _: () = assert!(
    STAT_HEAD == 4 * STAT_SIZE_WORD
        && STAT_TAIL_START == 4 * (STAT_SIZE_WORD + 1)
        && STAT_TAIL_START + STAT_TAIL == 4 * STAT_BLOCKS_WORD
        && 4 * (STAT_BLOCKS_WORD + 1) == crate::syscalls::io::STAT64_LEN as u32
        && 4 * STAT_SIZE_WORD == crate::syscalls::io::STAT64_SIZE as u32 + 4
        && 4 * STAT_BLOCKS_WORD == crate::syscalls::io::STAT64_BLOCKS as u32 + 4
);
/// `openat`'s "relative to the working directory".
pub const AT_FDCWD: u32 = -100i32 as u32;
/// The `open` flags that create a file (MIPS values).
pub const O_CREAT: u32 = 0x100;
pub const O_TMPFILE: u32 = 0x40_0000;
pub const F_GETFD: u32 = 1;
pub const F_GETFL: u32 = 3;
/// `F_GETFL` of fds 0 to 3: `O_RDONLY`, then `O_WRONLY` three times.
pub const GETFL: [u32; 4] = [0, 1, 1, 1];

/// The path lookups besides the opens, in the order of the chip's `lookup` selectors:
/// the number, and whether the path is `$a1` after `AT_FDCWD` in `$a0` (else `$a0`). Each
/// fails with `ENOENT`.
pub const LOOKUPS: [(u32, bool); 8] = [
    (4213, false), // stat64(path, buf)
    (4214, false), // lstat64(path, buf)
    (4033, false), // access(path, mode)
    (4085, false), // readlink(path, buf, size)
    (4293, true),  // fstatat64(dirfd, path, buf, flags)
    (4298, true),  // readlinkat(dirfd, path, buf, size)
    (4300, true),  // faccessat(dirfd, path, mode)
    (4439, true),  // faccessat2(dirfd, path, mode, flags)
];
/// Their indices in [`LOOKUPS`].
pub const L_ACCESS: usize = 2;
pub const L_READLINK: usize = 3;
pub const L_FSTATAT: usize = 4;
pub const L_READLINKAT: usize = 5;
pub const L_FACCESSAT: usize = 6;
pub const L_FACCESSAT2: usize = 7;
/// `AT_SYMLINK_NOFOLLOW` and `AT_EACCESS`, the lookup flags the chip accepts.
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_EACCESS: u32 = 0x200;

/// A lookup call's index in [`LOOKUPS`].
pub fn lookup_index(number: u32) -> Option<usize> {
    LOOKUPS.iter().position(|l| l.0 == number)
}

/// Whether `number` is `fcntl` or `fcntl64`.
pub fn is_fcntl(number: u32) -> bool {
    number == SYS_FCNTL || number == SYS_FCNTL64
}

/// Whether the fs chip answers call `number` (for some arguments).
pub fn is_fs_call(number: u32) -> bool {
    matches!(
        number,
        SYS_OPEN
            | SYS_OPENAT
            | SYS_FCNTL
            | SYS_FCNTL64
            | SYS_IOCTL
            | SYS_FSTAT64
            | SYS_SOCKET
            | SYS_PRCTL
    ) || lookup_index(number).is_some()
}

/// The path argument's index of an open or lookup call.
pub fn path_arg(number: u32) -> Option<usize> {
    match number {
        SYS_OPEN => Some(0),
        SYS_OPENAT => Some(1),
        n => lookup_index(n).map(|i| LOOKUPS[i].1 as usize),
    }
}

/// Whether the call's row reads `$a2` (openat's flags, readlink's size, faccessat's and
/// faccessat2's mode).
pub fn reads_a2(number: u32) -> bool {
    number == SYS_OPENAT
        || matches!(
            lookup_index(number),
            Some(L_READLINK | L_FACCESSAT | L_FACCESSAT2)
        )
}

/// Whether `args` pass the checks Linux makes before it looks the path of lookup `i` up.
fn lookup_args_ok(i: usize, args: &[u32; 4]) -> bool {
    let (_, at) = LOOKUPS[i];
    let size_ok = |v: u32| v != 0 && v < 1 << 31;
    (!at || args[0] == AT_FDCWD)
        && match i {
            L_ACCESS => args[1] < 8,
            L_FACCESSAT => args[2] < 8,
            L_FACCESSAT2 => args[2] < 8 && args[3] & !(AT_SYMLINK_NOFOLLOW | AT_EACCESS) == 0,
            L_FSTATAT => args[3] & !AT_SYMLINK_NOFOLLOW == 0,
            L_READLINK => size_ok(args[2]),
            L_READLINKAT => size_ok(args[3]),
            _ => true,
        }
}

/// Whether `socket(family, ty, _)` fails with `EAFNOSUPPORT` as the chip proves it: the
/// type passes Linux's checks and the family is not `AF_NETLINK`.
pub fn socket_ok(family: u32, ty: u32) -> bool {
    use crate::syscalls::io::{O_CLOEXEC, O_NONBLOCK, SOCK_MAX, SOCK_TYPE_MASK};
    ty & !(SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC) == 0
        && ty & SOCK_TYPE_MASK < SOCK_MAX
        && family != AF_NETLINK
}

/// The answer this chip proves for a call, as `($v0, $a3)`, if it proves the call.
pub fn answer(number: u32, args: &[u32; 4]) -> Option<(u32, u32)> {
    let flags_ok = |f: u32| f & (O_CREAT | O_TMPFILE) == 0;
    if let Some(i) = lookup_index(number) {
        return lookup_args_ok(i, args).then_some((ENOENT, 1));
    }
    match number {
        SYS_OPEN if flags_ok(args[1]) => Some((ENOENT, 1)),
        SYS_OPENAT if args[0] == AT_FDCWD && flags_ok(args[2]) => Some((ENOENT, 1)),
        n if is_fcntl(n) && args[0] <= 3 && args[1] == F_GETFD => Some((0, 0)),
        n if is_fcntl(n) && args[0] <= 3 && args[1] == F_GETFL => {
            Some((GETFL[args[0] as usize], 0))
        }
        SYS_FSTAT64 if args[0] <= 3 && args[1] % 4 == 0 => Some((0, 0)),
        SYS_IOCTL if args[0] <= 3 && (args[1] == TCGETS || args[1] == TIOCGWINSZ) => {
            Some((ENOTTY, 1))
        }
        SYS_SOCKET if socket_ok(args[0], args[1]) => Some((EAFNOSUPPORT, 1)),
        SYS_PRCTL if args[0] == PR_SET_VMA => Some((EINVAL, 1)),
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
    /// `$v0`, `$a0`, `$a1`, `$a2` (where it is an argument: [`reads_a2`]), `$a3`.
    pub acc: [Option<Access>; 5],
    /// An `fstat64`'s varying part.
    pub stat: Option<StatEvent>,
}

/// What an `fstat64` writes beyond its fixed bytes, and the kernel state it reads.
#[derive(Clone, Copy, Debug)]
pub struct StatEvent {
    /// The file's size `S` (below [`STAT_SIZE_LIMIT`]) and `st_blocks`, as written.
    pub size: u32,
    pub blocks: u32,
    /// The input's size word before the call (fd 0; 0 while the size is not fixed,
    /// else `S + 1`); 0 for the others.
    pub was: u32,
    /// The input cursor (fd 0).
    pub cursor: u32,
    /// The size word (fd 0); the output cursor (fd 3); the input cursor (fd 0);
    /// `st_size`'s and `st_blocks`' low words in memory.
    pub acc: [Option<Access>; 5],
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct FsCols<T> {
    pub is_open: T,
    pub is_openat: T,
    /// The other path lookups, one selector per call of [`LOOKUPS`].
    pub lookup: [T; 8],
    /// `fstatat64`'s and `faccessat2`'s flags: `AT_SYMLINK_NOFOLLOW`, and (`faccessat2`)
    /// `AT_EACCESS`.
    pub nofollow: T,
    pub eaccess: T,
    /// The inverse of the sum of `readlink`'s and `readlinkat`'s buffer size's bytes (it
    /// is not zero).
    pub size_inv: T,
    pub is_fcntl: T,
    /// `fcntl64` (with `is_fcntl`).
    pub wide: T,
    /// `ioctl`, and its request: `TIOCGWINSZ` (else `TCGETS`).
    pub is_ioctl: T,
    pub winsz: T,
    /// `fcntl`'s or `ioctl`'s fd, one-hot over 0..3, and `fcntl`'s command: `F_GETFL`
    /// (else `F_GETFD`).
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
    /// `fstat64`, and its fd one-hot over 0..3 (kept apart from `fcntl`'s, so that the
    /// accesses only fd 0 or fd 3 makes are counted by a column, not a product).
    pub is_fstat: T,
    pub sfd: [T; 4],
    /// `socket`: its type's kind (below 11) and flags (`SOCK_NONBLOCK`, `SOCK_CLOEXEC`),
    /// and the inverse of `family_0 - 16 + 2^8 (family_1 + family_2 + family_3)`, zero
    /// only for `AF_NETLINK`.
    pub is_socket: T,
    pub sock_kind: T,
    pub sock_nb: T,
    pub sock_cx: T,
    pub family_inv: T,
    /// `prctl(PR_SET_VMA)`.
    pub is_prctl: T,
    /// `S`, as four bytes (the top one below 16), and `st_blocks` as three (the top one
    /// below 8), with `512 blocks = S + rem` and `rem = rem_lo + 256 rem_hi < 512`.
    pub size: Word<T>,
    pub blocks: [T; 3],
    pub rem_lo: T,
    pub rem_hi: T,
    /// fd 0: the size is fixed (the size word is `S + 1`, else 0).
    pub fixed: T,
    /// The size word before (fd 0; zero on the others).
    pub was: T,
    /// fd 0: the input cursor, and `S - cursor = d_lo + 2^16 d_hi`.
    pub cursor: T,
    pub d_lo: T,
    pub d_hi: T,
    /// The memory words `st_size`'s and `st_blocks`' low words replace.
    pub prev_size: Word<T>,
    pub prev_blocks: Word<T>,
    /// `$v0`, `$a0`, `$a1`, `$a2`, `$a3`; then the size word, the output cursor, the
    /// input cursor, and the two memory words.
    pub acc: [AccessCols<T>; 10],
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
    if let Some(i) = lookup_index(ev.number) {
        r.lookup[i] = Val::ONE;
        if matches!(i, L_FSTATAT | L_FACCESSAT2) {
            r.nofollow = Val::from_bool(a3 & AT_SYMLINK_NOFOLLOW != 0);
            r.eaccess = Val::from_bool(a3 & AT_EACCESS != 0);
        }
        let size = match i {
            L_READLINK => Some(a2),
            L_READLINKAT => Some(a3),
            _ => None,
        };
        // (With the checks knocked out, in tests, no lookups of them.)
        let checked = kept("fs.lookup_args");
        if let Some(size) = size {
            if checked {
                bytes.range8x2(2 * (size >> 24), 0);
            }
            let sum: u32 = size.to_le_bytes().iter().map(|&b| b as u32).sum();
            r.size_inv = Val::from_u32(sum).try_inverse().unwrap_or(Val::ZERO);
        }
        let mode = match i {
            L_ACCESS => Some(a1),
            L_FACCESSAT | L_FACCESSAT2 => Some(a2),
            _ => None,
        };
        if let Some(mode) = mode.filter(|_| checked) {
            bytes.range8x2(32 * (mode & 0xff), 0);
        }
    }
    r.is_fcntl = Val::from_bool(is_fcntl(ev.number));
    r.wide = Val::from_bool(ev.number == SYS_FCNTL64);
    r.is_ioctl = Val::from_bool(ev.number == SYS_IOCTL);
    r.clk = Val::from_u32(ev.instr.clk);
    r.aux = Val::from_u32(ev.instr.aux);
    r.thread = Val::from_u32(ev.thread);
    r.a0 = super::word(a0);
    r.a1 = super::word(a1);
    r.a2 = super::word(a2);
    r.a3 = super::word(a3);
    r.result = super::word(ev.result.0);
    r.err = super::word(ev.result.1);
    if is_fcntl(ev.number) {
        r.fd[a0.min(3) as usize] = Val::ONE;
        r.getfl = Val::from_bool(a1 == F_GETFL);
    } else if ev.number == SYS_IOCTL {
        r.fd[a0.min(3) as usize] = Val::ONE;
        r.winsz = Val::from_bool(a1 == TIOCGWINSZ);
    } else if ev.number == SYS_FSTAT64 {
        r.is_fstat = Val::ONE;
        r.sfd[a0.min(3) as usize] = Val::ONE;
        let q = (a1 & 0xff) >> 2;
        r.path_q = Val::from_u32(q);
        bytes.range8x2(q, 4 * q);
        bytes.range8x2(2 * (a1 >> 24), 0);
        if let Some(st) = &ev.stat {
            let (size, blocks) = (st.size, st.blocks);
            // (Masked: honest values fit; a forged one then fails its equation, not a
            // range check.)
            let rem = blocks.wrapping_mul(512).wrapping_sub(size) & 0x1ff;
            r.size = super::word(size);
            r.blocks = [0, 8, 16].map(|k| Val::from_u32((blocks >> k) & 0xff));
            r.rem_lo = Val::from_u32(rem & 0xff);
            r.rem_hi = Val::from_u32(rem >> 8);
            let [s0, s1, s2, s3] = size.to_le_bytes().map(u32::from);
            let [b0, b1, b2, _] = blocks.to_le_bytes().map(u32::from);
            bytes.range8x2(s0, s1);
            bytes.range8x2(s2, s3);
            if kept("fs.stat_range") {
                bytes.range8x2(16 * s3, 32 * b2);
            }
            bytes.range8x2(b0, b1);
            bytes.range8x2(b2, rem & 0xff);
            r.fixed = Val::from_bool(a0 == 0 && st.was != 0);
            r.was = Val::from_u32(st.was);
            if a0 == 0 {
                // (In the field, as the constraint computes: a forged size may exceed p.)
                let d = (Val::from_u32(size) - Val::from_u32(st.cursor)).as_canonical_u32()
                    & 0x0fff_ffff;
                r.cursor = Val::from_u32(st.cursor);
                r.d_lo = Val::from_u32(d & 0xffff);
                r.d_hi = Val::from_u32(d >> 16);
                bytes.range16(d & 0xffff);
                bytes.range16(16 * (d >> 16));
            }
            let mem = |acc: &Option<Access>| super::word(acc.map_or(0, |a| a.prev));
            r.prev_size = mem(&st.acc[3]);
            r.prev_blocks = mem(&st.acc[4]);
            for (cols, acc) in r.acc[5..].iter_mut().zip(&st.acc) {
                if let Some(acc) = acc {
                    super::fill_access(cols, acc, bytes);
                }
            }
        }
    } else if ev.number == SYS_SOCKET {
        use crate::syscalls::io::{O_CLOEXEC, O_NONBLOCK, SOCK_TYPE_MASK};
        r.is_socket = Val::ONE;
        let kind = a1 & SOCK_TYPE_MASK;
        r.sock_kind = Val::from_u32(kind);
        r.sock_nb = Val::from_bool(a1 & O_NONBLOCK != 0);
        r.sock_cx = Val::from_bool(a1 & O_CLOEXEC != 0);
        // (A forged kind fails this lookup, out of the table.)
        if kept("fs.socket_type") {
            bytes.range8x2(kind, 10u32.wrapping_sub(kind));
        }
        let f = a0.to_le_bytes().map(u32::from);
        let d = Val::from_u32(f[0] + 256 * (f[1] + f[2] + f[3])) - Val::from_u32(AF_NETLINK);
        r.family_inv = d.try_inverse().unwrap_or(Val::ZERO);
    } else if ev.number == SYS_PRCTL {
        r.is_prctl = Val::ONE;
    } else if let Some(k) = path_arg(ev.number) {
        let path = ev.args[k];
        let q = (path & 0xff) >> 2;
        r.path_q = Val::from_u32(q);
        r.path_o = [Val::from_u32(path & 1), Val::from_u32((path >> 1) & 1)];
        bytes.range8x2(q, 4 * q);
        bytes.range8x2(2 * (path >> 24), 0);
    }
    if matches!(ev.number, SYS_OPEN | SYS_OPENAT) {
        let flags = if ev.number == SYS_OPEN { a1 } else { a2 };
        let (f1, f2) = ((flags >> 8) & 0xff, (flags >> 16) & 0xff);
        r.fl_q = Val::from_u32(f1 >> 1);
        r.fl_lo = Val::from_u32(f2 & 0x7f);
        r.fl_b7 = Val::from_u32(f2 >> 7);
        bytes.range8x2(f1 >> 1, 2 * (f1 >> 1));
        bytes.range8x2(f2 & 0x7f, 4 * (f2 & 0x7f));
    }
    for (cols, acc) in r.acc[..5].iter_mut().zip(&ev.acc) {
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
        let mut selectors = vec![
            l.is_open,
            l.is_openat,
            l.is_fcntl,
            l.is_ioctl,
            l.is_fstat,
            l.is_socket,
            l.is_prctl,
        ];
        selectors.extend(l.lookup);
        let is_real = super::assert_flags(b, &selectors);
        let (is_open, is_openat, is_fcntl) = (e(l.is_open), e(l.is_openat), e(l.is_fcntl));
        let is_ioctl = e(l.is_ioctl);
        let is_fstat = e(l.is_fstat);
        let is_socket = e(l.is_socket);
        let is_prctl = e(l.is_prctl);
        let opens = is_open.clone() + is_openat.clone();
        let sel = |i: usize| e(l.lookup[i]);
        // Every path call (the opens and the lookups), and those whose path follows
        // AT_FDCWD.
        let mut paths = opens.clone();
        let mut at = is_openat.clone();
        for (i, &(_, is_at)) in LOOKUPS.iter().enumerate() {
            paths += sel(i);
            if is_at {
                at += sel(i);
            }
        }

        // fcntl and ioctl: fd one of 0..3 (one-hot); fcntl's cmd F_GETFD (1) or F_GETFL
        // (3), ioctl's request TCGETS or TIOCGWINSZ.
        let on_fd = is_fcntl.clone() + is_ioctl.clone();
        let fds = super::assert_flags(b, &l.fd);
        b.assert_eq(fds, on_fd.clone());
        b.assert_bool(l.getfl);
        b.assert_zero(e(l.getfl) * (one() - is_fcntl.clone()));
        // fcntl64 is an fcntl with another number.
        b.assert_bool(l.wide);
        b.assert_zero(e(l.wide) * (one() - is_fcntl.clone()));
        b.assert_bool(l.winsz);
        b.assert_zero(e(l.winsz) * (one() - is_ioctl.clone()));
        let fd = e(l.fd[1]) + c(2) * e(l.fd[2]) + c(3) * e(l.fd[3]);
        if kept("fs.fd") {
            b.assert_zero(on_fd.clone() * (e(l.a0[0]) - fd));
            for k in 1..4 {
                b.assert_zero(on_fd.clone() * e(l.a0[k]));
            }
        }
        if kept("fs.request") {
            for k in 0..4 {
                let [t, w] = [TCGETS, TIOCGWINSZ].map(|r| c(r.to_le_bytes()[k] as u32));
                b.assert_zero(is_ioctl.clone() * (e(l.a1[k]) - t.clone() - e(l.winsz) * (w - t)));
            }
        }
        if kept("fs.cmd") {
            let cmd = c(F_GETFD) + c(F_GETFL - F_GETFD) * e(l.getfl);
            b.assert_zero(is_fcntl.clone() * (e(l.a1[0]) - cmd));
            for k in 1..4 {
                b.assert_zero(is_fcntl.clone() * e(l.a1[k]));
            }
        }
        // socket: the type has a kind below SOCK_MAX (11) and no flags but SOCK_NONBLOCK
        // (bit 7) and SOCK_CLOEXEC (bit 19), else EINVAL; the family is not AF_NETLINK
        // (the family's bytes make the sum below 2^18 in magnitude: zero only for 16).
        b.assert_bool(l.sock_nb);
        b.assert_bool(l.sock_cx);
        if kept("fs.socket_type") {
            b.assert_zero(
                is_socket.clone() * (e(l.a1[0]) - e(l.sock_kind) - c(128) * e(l.sock_nb)),
            );
            b.assert_zero(is_socket.clone() * e(l.a1[1]));
            b.assert_zero(is_socket.clone() * (e(l.a1[2]) - c(8) * e(l.sock_cx)));
            b.assert_zero(is_socket.clone() * e(l.a1[3]));
            bus::range8x2(b, l.sock_kind, c(10) - e(l.sock_kind), is_socket.clone());
        }
        if kept("fs.socket_family") {
            let family =
                e(l.a0[0]) - c(AF_NETLINK) + c(256) * (e(l.a0[1]) + e(l.a0[2]) + e(l.a0[3]));
            b.assert_zero(is_socket.clone() * (family * e(l.family_inv) - one()));
        }
        // (Off socket rows, `sock_kind` and `family_inv` are in no constraint with a
        // non-zero factor: left zero.)

        // prctl: the option is PR_SET_VMA, which the VM's Linux 5.0 does not know.
        if kept("fs.prctl_option") {
            for (k, &byte) in PR_SET_VMA.to_le_bytes().iter().enumerate() {
                b.assert_zero(is_prctl.clone() * (e(l.a0[k]) - c(byte as u32)));
            }
        }

        // openat's and the *at lookups' dirfd is AT_FDCWD.
        if kept("fs.dirfd") {
            for (k, &byte) in AT_FDCWD.to_le_bytes().iter().enumerate() {
                b.assert_zero(at.clone() * (e(l.a0[k]) - c(byte as u32)));
            }
        }
        // The lookups' arguments, as Linux checks them before the lookup (else EINVAL):
        // a mode below 8 (access: $a1; faccessat, faccessat2: $a2)...
        if kept("fs.lookup_args") {
            let gm = sel(L_FACCESSAT) + sel(L_FACCESSAT2);
            let mode: [Expr<AB>; 4] =
                std::array::from_fn(|k| sel(L_ACCESS) * e(l.a1[k]) + gm.clone() * e(l.a2[k]));
            let gm = gm + sel(L_ACCESS);
            bus::range8x2(b, c(32) * mode[0].clone(), zero(), gm.clone());
            for m in &mode[1..] {
                b.assert_zero(gm.clone() * m.clone());
            }
            // ...flags of AT_SYMLINK_NOFOLLOW and (faccessat2) AT_EACCESS only, in $a3...
            let gf = sel(L_FSTATAT) + sel(L_FACCESSAT2);
            for k in 0..4 {
                let want = if k == 1 {
                    e(l.nofollow) + c(2) * e(l.eaccess)
                } else {
                    zero()
                };
                b.assert_zero(gf.clone() * (e(l.a3[k]) - want));
            }
            // ...and a buffer size above 0 as a signed word (readlink: $a2, readlinkat:
            // $a3): below 2^31, and not zero (its bytes' sum, below 2^10, has an inverse).
            let sum = |w: &Word<AB::Var>| w.iter().fold(zero(), |s, &v| s + e(v));
            b.assert_zero(sel(L_READLINK) * (sum(&l.a2) * e(l.size_inv) - one()));
            b.assert_zero(sel(L_READLINKAT) * (sum(&l.a3) * e(l.size_inv) - one()));
            let top = sel(L_READLINK) * e(l.a2[3]) + sel(L_READLINKAT) * e(l.a3[3]);
            bus::range8x2(b, c(2) * top, zero(), sel(L_READLINK) + sel(L_READLINKAT));
        }
        b.assert_bool(l.nofollow);
        b.assert_bool(l.eaccess);
        b.assert_zero(e(l.nofollow) * (one() - sel(L_FSTATAT) - sel(L_FACCESSAT2)));
        b.assert_zero(e(l.eaccess) * (one() - sel(L_FACCESSAT2)));
        // (`size_inv` is in no constraint off readlink and readlinkat: left zero.)

        // The result: ENOENT with the error flag for an open or a lookup, ENOTTY for an
        // ioctl; the
        // descriptor's flags for fcntl (F_GETFD: no FD_CLOEXEC; F_GETFL: GETFL, O_WRONLY
        // but for fd 0).
        let wronly = (1..4).fold(zero(), |s, j| s + c(GETFL[j]) * e(l.fd[j]));
        if kept("fs.result") {
            b.assert_zero(
                e(l.result[0])
                    - paths.clone() * c(ENOENT)
                    - is_ioctl.clone() * c(ENOTTY)
                    - is_socket.clone() * c(EAFNOSUPPORT)
                    - is_prctl.clone() * c(EINVAL)
                    - e(l.getfl) * wronly,
            );
            b.assert_zero(
                e(l.err[0])
                    - paths.clone()
                    - is_ioctl.clone()
                    - is_socket.clone()
                    - is_prctl.clone(),
            );
            for k in 1..4 {
                b.assert_zero(l.result[k]);
                b.assert_zero(l.err[k]);
            }
        }
        let number: [Expr<AB>; 4] = std::array::from_fn(|k| {
            is_open.clone() * c(SYS_OPEN.to_le_bytes()[k] as u32)
                + is_openat.clone() * c(SYS_OPENAT.to_le_bytes()[k] as u32)
                + is_fcntl.clone() * c(SYS_FCNTL.to_le_bytes()[k] as u32)
                + e(l.wide)
                    * (c(SYS_FCNTL64.to_le_bytes()[k] as u32)
                        - c(SYS_FCNTL.to_le_bytes()[k] as u32))
                + is_ioctl.clone() * c(SYS_IOCTL.to_le_bytes()[k] as u32)
                + LOOKUPS.iter().enumerate().fold(zero(), |s, (i, &(n, _))| {
                    s + sel(i) * c(n.to_le_bytes()[k] as u32)
                })
                + is_fstat.clone() * c(SYS_FSTAT64.to_le_bytes()[k] as u32)
                + is_socket.clone() * c(SYS_SOCKET.to_le_bytes()[k] as u32)
                + is_prctl.clone() * c(SYS_PRCTL.to_le_bytes()[k] as u32)
        });

        // The path ($a0 for open, $a1 for openat), read by the path chip; the flags ($a1,
        // $a2) create nothing. fstat64's buffer ($a1) is split the same way, word-aligned.
        let path: [Expr<AB>; 4] = std::array::from_fn(|k| {
            e(l.a0[k]) + (at.clone() + is_fstat.clone()) * (e(l.a1[k]) - e(l.a0[k]))
        });
        let flags: [Expr<AB>; 4] =
            std::array::from_fn(|k| e(l.a1[k]) + is_openat.clone() * (e(l.a2[k]) - e(l.a1[k])));
        for o in l.path_o {
            b.assert_bool(o);
        }
        let offset = e(l.path_o[0]) + c(2) * e(l.path_o[1]);
        let pointed = paths.clone() + is_fstat.clone();
        b.assert_zero(pointed.clone() * (path[0].clone() - c(4) * e(l.path_q) - offset.clone()));
        bus::range8x2(b, l.path_q, c(4) * e(l.path_q), pointed.clone());
        bus::range8x2(b, c(2) * path[3].clone(), zero(), pointed);
        for o in l.path_o {
            b.assert_zero(is_fstat.clone() * e(o));
        }
        let waddr = e(l.path_q)
            + path[1].clone() * c(1 << 6)
            + path[2].clone() * c(1 << 14)
            + path[3].clone() * c(1 << 22);
        if kept("fs.path") {
            b.push_interaction(
                PATH,
                [e(l.clk), waddr.clone(), offset],
                Count::bounded(paths.clone(), 1),
            );
        }
        if kept("fs.flags") {
            b.assert_zero(opens.clone() * (flags[1].clone() - c(2) * e(l.fl_q)));
            b.assert_zero(opens.clone() * (flags[2].clone() - e(l.fl_lo) - c(128) * e(l.fl_b7)));
            bus::range8x2(b, l.fl_q, c(2) * e(l.fl_q), opens.clone());
            bus::range8x2(b, l.fl_lo, c(4) * e(l.fl_lo), opens.clone());
        }
        b.assert_bool(l.fl_b7);
        // (Off the path calls, path_q and path_o, and off the opens the fl_* columns, are in
        // no message with a non-zero count and no constraint that is not boolean: left
        // zero.)

        // fstat64(fd, buf): fd one of 0..3 (one-hot). The result is 0 without error (the
        // result constraints above: `getfl` and the opens are 0 here).
        let sfds = super::assert_flags(b, &l.sfd);
        b.assert_eq(sfds, is_fstat.clone());
        let sfd = e(l.sfd[1]) + c(2) * e(l.sfd[2]) + c(3) * e(l.sfd[3]);
        if kept("fs.stat_fd") {
            b.assert_zero(is_fstat.clone() * (e(l.a0[0]) - sfd.clone()));
            for k in 1..4 {
                b.assert_zero(is_fstat.clone() * e(l.a0[k]));
            }
        }
        // S and st_blocks as bytes: S < 2^28 (its top byte below 16), blocks < 2^19 (its
        // top byte below 8), so `512 blocks = S + rem` is exact, and with `rem < 512` it
        // says blocks = ceil(S / 512).
        let size = bus::word_value::<AB>(&l.size);
        bus::range8x2(b, l.size[0], l.size[1], is_fstat.clone());
        bus::range8x2(b, l.size[2], l.size[3], is_fstat.clone());
        if kept("fs.stat_range") {
            bus::range8x2(
                b,
                c(16) * e(l.size[3]),
                c(32) * e(l.blocks[2]),
                is_fstat.clone(),
            );
        }
        bus::range8x2(b, l.blocks[0], l.blocks[1], is_fstat.clone());
        bus::range8x2(b, l.blocks[2], l.rem_lo, is_fstat.clone());
        b.assert_bool(l.rem_hi);
        let blocks = e(l.blocks[0]) + c(1 << 8) * e(l.blocks[1]) + c(1 << 16) * e(l.blocks[2]);
        if kept("fs.stat_blocks") {
            b.assert_zero(
                is_fstat.clone()
                    * (c(512) * blocks - size.clone() - e(l.rem_lo) - c(256) * e(l.rem_hi)),
            );
        }
        // stdout and stderr are character devices of size 0.
        if kept("fs.stat_tty") {
            b.assert_zero((e(l.sfd[1]) + e(l.sfd[2])) * size.clone());
        }
        // The input's size word (`was`, fd 0) is 0 while not fixed and S + 1 once fixed:
        // `was = fixed (S + 1)`, with `fixed` only on fd 0 (so `was` is 0 on the others).
        // Either way the call leaves it at S + 1, fixing the size. (The public output's
        // size is the output cursor, which the row reads as S: the memory argument holds
        // it to the bytes written.)
        b.assert_bool(l.fixed);
        b.assert_zero(e(l.fixed) * (one() - e(l.sfd[0])));
        if kept("fs.stat_size") {
            b.assert_zero(e(l.was) - e(l.fixed) * (size.clone() + one()));
        }
        // fd 0: S is at least the input cursor (every byte read so far is in the file).
        // `d_lo + 2^16 d_hi = d_lo + 2^12 (16 d_hi) < 2^16 + 2^28` whatever `d_hi` is as a
        // field element. A cursor beyond S is below 2^30 (four bytes per input row, whose
        // eight lookups Plonky3 holds below p in all), so `S - cursor` is then at least
        // `p - 2^30 > 2^16 + 2^28`, and has no such split.
        if kept("fs.stat_cursor") {
            b.assert_zero(
                e(l.sfd[0]) * (size.clone() - e(l.cursor) - e(l.d_lo) - c(1 << 16) * e(l.d_hi)),
            );
        }
        bus::range16(b, l.d_lo, e(l.sfd[0]));
        bus::range16(b, c(16) * e(l.d_hi), e(l.sfd[0]));
        // (Off fd 0, `cursor`, `d_lo` and `d_hi` are in no constraint and no message with a
        // non-zero count; off fstat64 the same holds for `size`, `blocks`, `rem_*` and the
        // `prev_*` words: the trace generator leaves them zero.)
        // The fixed bytes: the descriptor's head (words 0 to 14) and the common tail
        // (words 16 to 24), written by the input chip from the byte table's answers.
        // (Knocked out, the requests name free bytes instead, as a read's.)
        let (head, tail) = if kept("fs.stat_answer") {
            use super::bytes::{STAT_AT, STAT_TAIL_AT};
            (c(STAT_AT + 1) + c(STAT_HEAD) * sfd, c(STAT_TAIL_AT + 1))
        } else {
            (zero(), zero())
        };
        b.push_interaction(
            INPUT,
            [e(l.clk), waddr.clone(), zero(), c(STAT_HEAD), head],
            Count::bounded(is_fstat.clone(), 1),
        );
        b.push_interaction(
            INPUT,
            [
                e(l.clk),
                waddr.clone() + c(STAT_TAIL_START / 4),
                zero(),
                c(STAT_TAIL),
                tail,
            ],
            Count::bounded(is_fstat.clone(), 1),
        );

        // The accesses, at the chip's slot: $v0 from the number to the result, $a0 and $a1
        // read, $a2 read by openat, $a3 to the error flag.
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let accesses = [
            (is_real.clone(), reg(2), number, words(&l.result)),
            (is_real.clone(), reg(4), words(&l.a0), words(&l.a0)),
            (is_real.clone(), reg(5), words(&l.a1), words(&l.a1)),
            (
                is_openat.clone() + sel(L_READLINK) + sel(L_FACCESSAT) + sel(L_FACCESSAT2),
                reg(6),
                words(&l.a2),
                words(&l.a2),
            ),
            (is_real.clone(), reg(7), words(&l.a3), words(&l.err)),
        ];
        for ((count, addr, prev, new), cols) in accesses.into_iter().zip(&l.acc) {
            access(b, count, c(SPACE_REG), addr, prev, new, ts.clone(), cols);
        }
        // fstat64: the input's size word from `was` to S + 1 (fd 0); the output cursor
        // read as S (fd 3); the input cursor read (fd 0); S and st_blocks into memory.
        let count_word = |v: Expr<AB>| [v, zero(), zero(), zero()];
        access(
            b,
            e(l.sfd[0]),
            c(SPACE_KERNEL),
            c(KERNEL_IN_SIZE),
            count_word(e(l.was)),
            count_word(size.clone() + one()),
            ts.clone(),
            &l.acc[5],
        );
        access(
            b,
            e(l.sfd[3]),
            c(SPACE_KERNEL),
            c(KERNEL_OUT_CURSOR),
            count_word(size.clone()),
            count_word(size.clone()),
            ts.clone(),
            &l.acc[6],
        );
        access(
            b,
            e(l.sfd[0]),
            c(SPACE_KERNEL),
            c(KERNEL_IN_CURSOR),
            count_word(e(l.cursor)),
            count_word(e(l.cursor)),
            ts.clone(),
            &l.acc[7],
        );
        access(
            b,
            is_fstat.clone(),
            c(SPACE_MEM),
            waddr.clone() + c(STAT_SIZE_WORD),
            words(&l.prev_size),
            words(&l.size),
            ts.clone(),
            &l.acc[8],
        );
        access(
            b,
            is_fstat.clone(),
            c(SPACE_MEM),
            waddr + c(STAT_BLOCKS_WORD),
            words(&l.prev_blocks),
            [e(l.blocks[0]), e(l.blocks[1]), e(l.blocks[2]), zero()],
            ts.clone(),
            &l.acc[9],
        );
        // (`a2` is in a message only for openat, readlink, faccessat and faccessat2; on
        // the other rows it is in no constraint with a non-zero factor and cannot matter.)

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
