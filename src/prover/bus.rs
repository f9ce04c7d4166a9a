//! The buses that connect the chips: one name and one message layout each, defined here
//! once.
//!
//! Every bus is a LogUp argument: the messages sent with positive counts and those
//! received with negative counts must cancel over all chips. Plonky3 separates buses by
//! name (each name gets its own offset in the fingerprint), so a message on one bus can
//! never balance a message on another, whatever its fields; within a bus every message has
//! the same width, so a short message cannot alias a long one.
//!
//! | bus | message | sent by | received by |
//! |---|---|---|---|
//! | `program` | `pc, op, ra, rb, rw, flags, target, imm[4], aux` | CPU (one per instruction) | program ROM (multiplicity) |
//! | `instr` | `op, clk, thread, a[4], b[4], c[4], aux` | CPU (dispatch) | the opcode chips |
//! | `memory` | `space, addr, value[4], ts` | every access: the old value is received, the new one sent | boundary chips: initial values sent, final values received |
//! | `byte` | `tag, x, y, z` | any chip | the byte table (multiplicity) |
//! | `image` | `addr, value[4], writable` | memory boundary (image words) | the ELF image table |
//! | `region` | `lo, hi, writable` | memory boundary (zero-initialised words) | the region table |
//! | `output` | `clk, buf / 4, buf % 4, count, pos` | syscall chip (a `write` of `count > 0` bytes to fd 3) | the output chip (the first byte of each write) |
//! | `log` | `clk, buf / 4, buf % 4, count` | syscall chip (a `write` of `count > 0` bytes to fd 1 or 2) | the log chip (the first byte of each write) |
//! | `input` | `clk, buf / 4, buf % 4, n, answer` | syscall chip (a `read` from fd 0 or a `getrandom` that returns `n > 0` bytes, `answer` 0; `sched_getaffinity` and `uname`, `answer` naming their fixed bytes) | the input chip (the first word of each read) |
//! | `path` | `clk, path / 4, path % 4` | fs chip (an `open` or `openat`) | the path chip (the first word of each path) |
//! | `pages` | `page, start, end` | memory boundary (a segment of a word of a mapping: from a zeroing of its page to the next) | the page chip (a page of a zeroing event, multiplicity) |
//! | `cover` | `page, ts` | mm chip (a zeroing event, a readable `mmap` or `MADV_DONTNEED`: `(lo, ts)` sent, `(hi + 1, ts)` received) | the page chip (each page row: `(page, ts)` received, `(page + 1, ts)` sent) |
//! | `vma` | `first page, last page, ts, readable` | mm chip (a `madvise`: the mapping that holds its range) | the mm chip (every mapping, multiplicity) |
//! | `sched` | `kind, clk, thread, pc, next_pc` | CPU (`kind` 0 or 2: the last row before a context switch or a signal's delivery, where its thread resumes; `kind` 1: the first row after one, where the new thread starts) | the sched chip (one row per switch: both halves), the signal chip (a fault's delivery), the sigreturn chip (a handler's return) |
//!
//! Words travel as four bytes, least significant first (`value[0]` is bits 0..8), whatever
//! the guest's big-endian byte order in memory.

use super::knockout::kept;
use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

/// A 32-bit word as four bytes, least significant first.
pub type Word<T> = [T; 4];

pub const PROGRAM: &str = "program";
pub const INSTR: &str = "instr";
pub const MEMORY: &str = "memory";
pub const BYTE: &str = "byte";
pub const IMAGE: &str = "image";
pub const REGION: &str = "region";
pub const OUTPUT: &str = "output";
pub const LOG: &str = "log";
pub const INPUT: &str = "input";
pub const PATH: &str = "path";
pub const PAGES: &str = "pages";
pub const COVER: &str = "cover";
pub const VMA: &str = "vma";
pub const SCHED: &str = "sched";
/// A call after which the thread takes its pending signal, which the call unblocked:
/// `(clk, thread)`, sent by the call's chip and received by the signal chip's delivery.
pub const PENDING: &str = "pending";

/// The `kind` of a `sched` message: the half a leaving row sends (where its thread
/// resumes), the half the next row sends (where it starts), and the half a faulting row
/// sends (its thread and the PC Linux reports for the fault, `epc`, `epc + 4`). The tag
/// keeps the halves apart: without it a row that both resumes and leaves sends two
/// messages of one clock and thread, and a switch could take either for either.
pub const SCHED_LEAVE: u32 = 0;
pub const SCHED_RESUME: u32 = 1;
pub const SCHED_FAULT: u32 = 2;
/// The half a switch sends in place of `SCHED_RESUME` when its new thread takes a signal
/// another thread sent it (the thread's [`THREAD_TAKE`] word): `SCHED_TAKE` for one sent
/// with `kill` (`SI_USER`), `SCHED_TAKE + 1` with `tkill` or `tgkill` (`SI_TKILL`), with
/// the leaving row's clock and the new thread's loaded `(pc, next_pc)`. Only the signal
/// chip's delivery at a switch receives it.
pub const SCHED_TAKE: u32 = 3;

/// The `instr` opcode of a load or store that faults: its opcode plus this, which no chip
/// but the signal chip receives.
pub const FAULT_OP: u32 = 64;
const _: () = assert!((super::program::Opcode::Syscall as u32) < FAULT_OP);

/// Where a handler returns: the `rt_sigreturn` trampoline (the VM's vDSO page). It lies
/// above `0x7f000000`, where addresses alias modulo p, so the CPU's jump there lands on
/// the field element `-1` ([`SIGRETURN_PC`]), which no other jump or fetch can name; the
/// sigreturn chip takes the thread from there.
pub const SIGRETURN_ADDR: u32 = crate::syscalls::signal::SIGRETURN_ADDR;
/// `p - 1` as a `u32`: the field element `-1`.
pub const SIGRETURN_PC: u32 = 0x7f00_0000;

/// The address spaces of the memory argument. Registers live apart from memory, so no
/// load or store can reach one, and each thread has its own block of [`REG_STRIDE`].
pub const SPACE_MEM: u32 = 0;
pub const SPACE_REG: u32 = 1;
/// The kernel's own state, one word per item ([`KERNEL_WORDS`]).
pub const SPACE_KERNEL: u32 = 2;
/// The number of bytes written to fd 3 so far, as one field element in `value[0]`.
pub const KERNEL_OUT_CURSOR: u32 = 0;
/// The number of bytes read from fd 0 so far, as one field element in `value[0]`.
pub const KERNEL_IN_CURSOR: u32 = 1;
/// The last value of `CLOCK_REALTIME` (words 2 and 3: seconds, nanoseconds) and of
/// `CLOCK_MONOTONIC` (words 4 and 5), each a word of four bytes.
pub const KERNEL_CLOCKS: u32 = 2;
/// `RLIMIT_NOFILE` (words 6 to 9): `struct rlimit64 { u64 cur, max }` as `prlimit64`
/// copies it, four big-endian words (cur's high and low word, max's).
pub const KERNEL_NOFILE: u32 = 6;
/// The kernel's words, in the order the initial-state chip lists them.
pub const KERNEL_WORDS: [u32; 10] = [
    KERNEL_OUT_CURSOR,
    KERNEL_IN_CURSOR,
    KERNEL_CLOCKS,
    KERNEL_CLOCKS + 1,
    KERNEL_CLOCKS + 2,
    KERNEL_CLOCKS + 3,
    KERNEL_NOFILE,
    KERNEL_NOFILE + 1,
    KERNEL_NOFILE + 2,
    KERNEL_NOFILE + 3,
];
/// Their initial values: zero but `RLIMIT_NOFILE`, soft 1024 and hard 4096 (the VM's
/// limits, as a usual Linux login gets them).
pub const KERNEL_INIT: [u32; 10] = [0, 0, 0, 0, 0, 0, 0, 1024, 0, 4096];
/// Kernel words from here up are not in that list: each starts at 0 at timestamp 0
/// through the kernel-state chip ([`super::state`]), which lists the touched ones.
pub const KERNEL_DYNAMIC: u32 = 64;
/// Signal actions: signal `s` (1..=128) has [`ACTION_WORDS`] words from
/// `KERNEL_ACTIONS + ACTION_WORDS (s - 1)`: `sa_flags`, `sa_handler`, `sa_mask[4]`.
pub const KERNEL_ACTIONS: u32 = KERNEL_DYNAMIC;
pub const ACTION_WORDS: u32 = 6;
/// Each thread's kernel words: thread `t`'s block of [`THREAD_WORDS`] from
/// `KERNEL_THREADS + THREAD_WORDS t`, holding its blocked mask (4 words from
/// [`THREAD_MASK`]), its alternate signal stack (`ss_sp`, `ss_size` at
/// [`THREAD_ALTSTACK`]), its pending signals (a set of 4 words, as the mask, from
/// [`THREAD_PENDING`]; at most one signal in it) and whether its next switch delivers
/// that signal ([`THREAD_TAKE`]).
pub const KERNEL_THREADS: u32 = 1024;
pub const THREAD_WORDS: u32 = 16;
pub const THREAD_MASK: u32 = 0;
pub const THREAD_ALTSTACK: u32 = 4;
pub const THREAD_PENDING: u32 = 8;
/// A signal another thread sent this one while it was switched out, which it does not
/// block: 0 none, 1 sent with `kill`, 2 with `tkill` or `tgkill` (its `si_code`). The
/// send chip sets it with the pending set, and the next switch to the thread reads it,
/// clears it and, when it was set, delivers the signal before the thread's next
/// instruction, as Linux does on the thread's way back to user mode.
pub const THREAD_TAKE: u32 = 12;
/// Whether the thread has ended with `exit`: 0 while it lives, 1 after (the syscall
/// chip's `exit` writes it). Every switch reads the new thread's and needs 0, so an
/// exited thread never runs again, and every send reads its target's.
pub const THREAD_EXITED: u32 = 13;
/// The number of signals pending in the process (over every thread), one field element
/// in `value[0]`: `rt_sigaction` sets an action only when it is zero.
pub const KERNEL_PENDING: u32 = 1002;
const _: () = assert!(KERNEL_PENDING < KERNEL_THREADS);
/// The number of threads that have ended with `exit`, one field element in `value[0]`:
/// `KERNEL_CLONES - KERNEL_EXITS` threads besides the caller could wait on a futex.
pub const KERNEL_EXITS: u32 = 1004;
const _: () = assert!(KERNEL_EXITS < KERNEL_THREADS);
/// The private input's size, one field element in `value[0]`: 0 while no call has shown
/// it, else the size plus one. A short read or an `fstat64` of fd 0 fixes it, and every
/// read returns what a regular file of that size returns (sections 7.17, 7.23).
pub const KERNEL_IN_SIZE: u32 = 1003;
const _: () = assert!(KERNEL_IN_SIZE < KERNEL_THREADS);
const _: () = assert!(KERNEL_ACTIONS + 128 * ACTION_WORDS <= KERNEL_CLONES);
/// The number of threads `clone` has created (the newest thread's index), one field
/// element in `value[0]`; zero at the start, when only the main thread runs.
pub const KERNEL_CLONES: u32 = 1000;
const _: () = assert!(KERNEL_CLONES < KERNEL_THREADS);
/// The first this many kernel words are counts (one field element in `value[0]`); the
/// others are words of four bytes.
pub const KERNEL_COUNTS: usize = 2;
/// Read-only memory words (code, read-only data, read-only zero pages), apart from the
/// writable ones: the memory boundary starts each word in the space its writability
/// names, and no store can use this one, so a store to a read-only word has no chain to
/// take its previous value from.
pub const SPACE_RO: u32 = 3;
/// Registers per thread in the register space: 32 GPRs, HI, LO, the LLbit, room to grow.
pub const REG_STRIDE: u32 = 64;
pub const REG_HI: u8 = 32;
pub const REG_LO: u8 = 33;
pub const REG_LLBIT: u8 = 34;
/// Registers a thread has (the rows of the register file).
pub const NUM_REGS: usize = 35;
/// Where a thread resumes while it is switched out (`pc`, `next_pc`), each one field
/// element in `value[0]`: slots of its register block that only the sched and clone
/// chips address. They start at zero, which no ROM entry has as its `pc`, so no switch
/// can resume a thread that was never created.
pub const REG_PC: u32 = 35;
pub const REG_NEXT_PC: u32 = 36;
/// The register-block slots a thread uses: its registers and its resume pair.
pub const THREAD_SLOTS: u32 = 37;
/// A thread index is below this (a 16-bit range check where one is created), so that a
/// block's addresses are exact field elements.
pub const MAX_THREADS: u32 = 1 << 16;

/// Timestamps: instruction `clk` accesses memory at `4 * (clk + 1) + slot`. Slot 0 reads
/// `ra`, 1 reads `rb`, 2 writes `rw`, 3 is the opcode chip's own (data memory, HI/LO, the
/// system-call registers). Timestamp 0 is the initial value and 1 the loader's writes.
pub const TS_SLOTS: u32 = 4;
pub const SLOT_A: u32 = 0;
pub const SLOT_B: u32 = 1;
pub const SLOT_C: u32 = 2;
pub const SLOT_CHIP: u32 = 3;
pub const TS_LOADER: u32 = 1;
/// A timestamp difference is range-checked as 16 + 8 bits, so one shard spans fewer than
/// `2^24 / 4` instructions.
pub const TS_DIFF_BITS: u32 = 24;
pub const MAX_SHARD_CYCLES: u64 = (1 << (TS_DIFF_BITS - 2)) - 2;

/// The byte table's lookups (the `tag` of a `byte` message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ByteOp {
    /// `z = x & y`.
    And = 0,
    /// `z = x | y`.
    Or = 1,
    /// `z = x ^ y`.
    Xor = 2,
    /// `x` and `y` are bytes (`z = 0`).
    Range8x2 = 3,
    /// `x < 2^16` (`y = z = 0`).
    Range16 = 4,
    /// `z = (x < y)` for bytes `x`, `y`.
    Ltu = 5,
    /// `y` is the top bit of byte `x` (`z = 0`).
    Msb = 6,
    /// `y` is the number of leading zero bits of byte `x` (8 for 0; `z = 0`).
    Clz8 = 7,
    /// `y` is byte `x` of the kernel's fixed answers ([`super::bytes::answers`]; `z = 0`).
    Answer = 8,
}

impl ByteOp {
    pub const ALL: [ByteOp; 9] = [
        ByteOp::And,
        ByteOp::Or,
        ByteOp::Xor,
        ByteOp::Range8x2,
        ByteOp::Range16,
        ByteOp::Ltu,
        ByteOp::Msb,
        ByteOp::Clz8,
        ByteOp::Answer,
    ];
}

/// The expression type of a builder.
pub type Expr<AB> = <AB as AirBuilder>::Expr;

/// One access as a chip lists its accesses: count, space, address, previous value, new
/// value.
pub type AccessExprs<AB> = (Expr<AB>, Expr<AB>, Expr<AB>, [Expr<AB>; 4], [Expr<AB>; 4]);

/// Sends a byte-table lookup with `count` (0 or 1, as the caller's AIR enforces).
pub fn byte<AB: InteractionBuilder>(
    b: &mut AB,
    op: ByteOp,
    x: impl Into<Expr<AB>>,
    y: impl Into<Expr<AB>>,
    z: impl Into<Expr<AB>>,
    count: impl Into<Expr<AB>>,
) {
    b.push_interaction(
        BYTE,
        [Expr::<AB>::from_u8(op as u8), x.into(), y.into(), z.into()],
        Count::bounded(count.into(), 1),
    );
}

/// Checks that `x < 2^16`.
pub fn range16<AB: InteractionBuilder>(
    b: &mut AB,
    x: impl Into<Expr<AB>>,
    count: impl Into<Expr<AB>>,
) {
    byte(
        b,
        ByteOp::Range16,
        x,
        Expr::<AB>::ZERO,
        Expr::<AB>::ZERO,
        count,
    );
}

/// Checks that `x` and `y` are bytes.
pub fn range8x2<AB: InteractionBuilder>(
    b: &mut AB,
    x: impl Into<Expr<AB>>,
    y: impl Into<Expr<AB>>,
    count: impl Into<Expr<AB>>,
) {
    byte(b, ByteOp::Range8x2, x, y, Expr::<AB>::ZERO, count);
}

/// The word `w` as a field element: `w[0] + 2^8 w[1] + 2^16 w[2] + 2^24 w[3]`. Only
/// canonical (no reduction modulo p) when the top byte is below `0x7f`.
pub fn word_value<AB: AirBuilder>(w: &Word<impl Into<Expr<AB>> + Clone>) -> Expr<AB> {
    let mut acc = Expr::<AB>::ZERO;
    for (i, x) in w.iter().enumerate() {
        acc += x.clone().into() * Expr::<AB>::from_u32(1 << (8 * i));
    }
    acc
}

/// A memory-argument message.
fn memory_msg<AB: AirBuilder>(
    space: Expr<AB>,
    addr: Expr<AB>,
    value: [Expr<AB>; 4],
    ts: Expr<AB>,
) -> [Expr<AB>; 7] {
    let [v0, v1, v2, v3] = value;
    [space, addr, v0, v1, v2, v3, ts]
}

/// Puts `(space, addr, value, ts)` into the memory argument (a write, or an initial value).
pub fn memory_send<AB: InteractionBuilder>(
    b: &mut AB,
    space: Expr<AB>,
    addr: Expr<AB>,
    value: [Expr<AB>; 4],
    ts: Expr<AB>,
    count: Expr<AB>,
) {
    b.push_interaction(
        MEMORY,
        memory_msg::<AB>(space, addr, value, ts),
        Count::bounded(count, 1),
    );
}

/// Takes `(space, addr, value, ts)` out of the memory argument (the previous value of an
/// access, or a final value).
pub fn memory_receive<AB: InteractionBuilder>(
    b: &mut AB,
    space: Expr<AB>,
    addr: Expr<AB>,
    value: [Expr<AB>; 4],
    ts: Expr<AB>,
    count: Expr<AB>,
) {
    b.push_interaction(
        MEMORY,
        memory_msg::<AB>(space, addr, value, ts),
        Count::bounded(-count, 1),
    );
}

/// The columns of one access to the memory argument, beyond its address and values: the
/// timestamp of the previous access and the limbs proving that it is earlier.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct AccessCols<T> {
    /// The timestamp of the previous access to the same address.
    pub prev_ts: T,
    /// `ts - prev_ts - 1 = diff_lo + 2^16 diff_hi`, with `diff_lo < 2^16`, `diff_hi < 2^8`.
    pub diff_lo: T,
    pub diff_hi: T,
}

/// One access: the previous `(prev, prev_ts)` is taken out, `(value, ts)` is put in, and
/// `prev_ts < ts` is proved. With `count = 0` it does nothing. For a read, pass the same
/// value twice.
#[allow(clippy::too_many_arguments)]
pub fn access<AB: InteractionBuilder>(
    b: &mut AB,
    count: Expr<AB>,
    space: Expr<AB>,
    addr: Expr<AB>,
    prev: [Expr<AB>; 4],
    value: [Expr<AB>; 4],
    ts: Expr<AB>,
    cols: &AccessCols<AB::Var>,
) where
    AB::Var: Copy,
{
    let prev_ts: Expr<AB> = cols.prev_ts.into();
    let diff_lo: Expr<AB> = cols.diff_lo.into();
    let diff_hi: Expr<AB> = cols.diff_hi.into();
    // Checked only where the access happens. Where it does not (count 0), the three
    // columns appear in no constraint and in no message with a non-zero count: their
    // values cannot affect anything, and the trace generator leaves them zero.
    b.assert_zero(
        count.clone()
            * (ts.clone()
                - prev_ts.clone()
                - Expr::<AB>::ONE
                - diff_lo.clone()
                - diff_hi.clone() * Expr::<AB>::from_u32(1 << 16)),
    );
    range16(b, diff_lo, count.clone());
    if kept("access.ts_range") {
        range8x2(b, diff_hi, Expr::<AB>::ZERO, count.clone());
    }
    memory_receive(b, space.clone(), addr.clone(), prev, prev_ts, count.clone());
    memory_send(b, space, addr, value, ts, count);
}
