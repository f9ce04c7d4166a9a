//! The byte table: a preprocessed table of all `2^16` byte pairs `(x, y)` with their AND,
//! OR, XOR and comparison, which every other chip looks up on the `byte` bus.
//!
//! Each [`ByteOp`] is its own table entry with its own multiplicity column, and its own
//! tag in the message, so a lookup of one operation can never be answered by another's
//! row. `Range16` uses the row index as a 16-bit value; `Msb` answers `(x, x >> 7)` and
//! `Clz8` `(x, leading zeros of x)`, on the rows with `y = 0`. `Answer` answers
//! `(i, answers[i])` on row `i`: the bytes the kernel writes for the calls whose answer is
//! fixed ([`answers`]), zero past them.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{ByteOp, Expr, BYTE};
use super::cols::columns;
use super::config::Val;

pub const ROWS: usize = 1 << 16;

/// Where `sched_getaffinity`'s mask (the word 1: CPU 0) starts in [`answers`].
pub const AFFINITY_AT: u32 = 0;
/// Where `uname`'s `struct utsname` starts in [`answers`].
pub const UTSNAME_AT: u32 = 4;

/// Where the fixed parts of `fstat64`'s `struct stat64` start in [`answers`]: for each
/// of fds 0 to 3, its first [`super::fs::STAT_HEAD`] bytes (up to `st_size`'s low word),
/// then once the [`super::fs::STAT_TAIL`] bytes from `st_size` to `st_blocks`'s low word,
/// which are the same for every descriptor.
pub const STAT_AT: u32 = UTSNAME_AT + crate::syscalls::info::UTSNAME_LEN as u32;
pub const STAT_TAIL_AT: u32 = STAT_AT + 4 * super::fs::STAT_HEAD;
/// Where `getcwd`'s `"/\0"` starts in [`answers`].
pub const CWD_AT: u32 = STAT_TAIL_AT + super::fs::STAT_TAIL;

/// The kernel's fixed answers: the bytes it writes for `sched_getaffinity`, `uname`, the
/// fixed parts of `fstat64` and `getcwd`, exactly the VM's.
pub fn answers() -> &'static [u8] {
    use std::sync::OnceLock;
    static ANSWERS: OnceLock<Vec<u8>> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        use super::fs::{STAT_HEAD, STAT_TAIL, STAT_TAIL_START};
        use crate::syscalls::io::{stat64, STD_STAT};
        let mut b = 1u32.to_be_bytes().to_vec();
        b.extend(crate::syscalls::info::utsname());
        debug_assert_eq!(b.len(), STAT_AT as usize);
        for &(mode, ino) in &STD_STAT {
            b.extend(&stat64(mode, 0, ino)[..STAT_HEAD as usize]);
        }
        debug_assert_eq!(b.len(), STAT_TAIL_AT as usize);
        let (mode, ino) = STD_STAT[0];
        let tail = STAT_TAIL_START as usize..(STAT_TAIL_START + STAT_TAIL) as usize;
        b.extend(&stat64(mode, 0, ino)[tail]);
        debug_assert_eq!(b.len(), CWD_AT as usize);
        b.extend(crate::syscalls::io::CWD);
        b
    })
}

/// The preprocessed columns.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct BytePreCols<T> {
    /// The row index `256 x + y`.
    pub value: T,
    pub x: T,
    pub y: T,
    pub and: T,
    pub or: T,
    pub xor: T,
    pub ltu: T,
    /// The top bit of `x`.
    pub msb: T,
    /// The leading zero bits of `x` (8 for 0).
    pub clz8: T,
    /// Byte `value` of [`answers`] (zero past them).
    pub answer: T,
}
columns!(BytePreCols);

/// The main columns: one multiplicity per operation.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct ByteCols<T> {
    pub mult: [T; ByteOp::ALL.len()],
}
columns!(ByteCols);

/// How often each row of each operation is looked up.
#[derive(Clone, Debug)]
pub struct ByteCounts {
    counts: Vec<u32>,
}

impl Default for ByteCounts {
    fn default() -> Self {
        ByteCounts {
            counts: vec![0; ROWS * ByteOp::ALL.len()],
        }
    }
}

impl ByteCounts {
    /// Records one lookup of `op` on `(x, y)` (for `Range16`, `x` is the 16-bit value).
    /// A lookup outside the table has no row to count: it is left out, and the `byte`
    /// bus will not balance (only a forged witness makes one).
    #[inline]
    pub fn add(&mut self, op: ByteOp, x: u32, y: u32) {
        let row = match op {
            ByteOp::Range16 if x < 1 << 16 && y == 0 => x as usize,
            ByteOp::Answer if answers().get(x as usize) == Some(&(y as u8)) && y < 256 => {
                x as usize
            }
            ByteOp::Answer => return,
            ByteOp::Msb | ByteOp::Clz8 if x < 256 => (x as usize) << 8,
            ByteOp::Range16 | ByteOp::Msb | ByteOp::Clz8 => return,
            _ if x < 256 && y < 256 => ((x as usize) << 8) | y as usize,
            _ => return,
        };
        self.counts[row * ByteOp::ALL.len() + op as usize] += 1;
    }

    pub fn range16(&mut self, x: u32) {
        self.add(ByteOp::Range16, x, 0);
    }

    pub fn range8x2(&mut self, x: u32, y: u32) {
        self.add(ByteOp::Range8x2, x, y);
    }

    /// The access-timestamp check of [`super::bus::access`].
    pub fn ts_diff(&mut self, diff: u32) {
        self.range16(diff & 0xffff);
        self.range8x2(diff >> 16, 0);
    }

    pub fn merge(&mut self, other: &ByteCounts) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }
}

/// The byte table chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByteChip;

impl ByteChip {
    pub fn generate_trace(&self, counts: &ByteCounts) -> RowMajorMatrix<Val> {
        let values = counts.counts.iter().map(|&c| Val::from_u32(c)).collect();
        RowMajorMatrix::new(values, ByteCols::<u8>::WIDTH)
    }
}

impl BaseAir<Val> for ByteChip {
    fn width(&self) -> usize {
        ByteCols::<u8>::WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let w = BytePreCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(ROWS * w);
        for r in 0..ROWS {
            let (x, y) = ((r >> 8) as u32, (r & 255) as u32);
            let row = [
                r as u32,
                x,
                y,
                x & y,
                x | y,
                x ^ y,
                (x < y) as u32,
                x >> 7,
                (x as u8).leading_zeros(),
                answers().get(r).copied().unwrap_or(0) as u32,
            ];
            for (dst, v) in values[r * w..(r + 1) * w].iter_mut().zip(row) {
                *dst = Val::from_u32(v);
            }
        }
        Some(RowMajorMatrix::new(values, w))
    }

    fn preprocessed_width(&self) -> usize {
        BytePreCols::<u8>::WIDTH
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ByteChip {
    fn eval(&self, b: &mut AB) {
        let pre = b.preprocessed().clone();
        let p: &BytePreCols<AB::Var> = pre.current_slice().borrow();
        let p = *p;
        let main = b.main();
        let m: &ByteCols<AB::Var> = main.current_slice().borrow();
        let m = *m;
        let zero = || Expr::<AB>::ZERO;
        for op in ByteOp::ALL {
            let (x, y, z): (Expr<AB>, Expr<AB>, Expr<AB>) = match op {
                ByteOp::And => (p.x.into(), p.y.into(), p.and.into()),
                ByteOp::Or => (p.x.into(), p.y.into(), p.or.into()),
                ByteOp::Xor => (p.x.into(), p.y.into(), p.xor.into()),
                ByteOp::Range8x2 => (p.x.into(), p.y.into(), zero()),
                ByteOp::Range16 => (p.value.into(), zero(), zero()),
                ByteOp::Ltu => (p.x.into(), p.y.into(), p.ltu.into()),
                ByteOp::Msb => (p.x.into(), p.msb.into(), zero()),
                ByteOp::Clz8 => (p.x.into(), p.clz8.into(), zero()),
                ByteOp::Answer => (p.value.into(), p.answer.into(), zero()),
            };
            let mult: Expr<AB> = m.mult[op as usize].into();
            b.push_interaction(
                BYTE,
                [Expr::<AB>::from_u8(op as u8), x, y, z],
                p3_lookup::Count::provided(-mult),
            );
        }
    }
}
