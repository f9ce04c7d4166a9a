//! The public output chip: row `i` is byte `i` of what the program wrote to fd 3.
//!
//! The output `O` is part of the statement, so the chip's rows are fixed by it: periodic
//! columns (`is_out`, `pos`, `byte`), one period of exactly `next_pow2(|O|)` rows, which the
//! verifier rebuilds from the statement and checks the proof's height against. Each real
//! row proves that its byte is the guest's memory byte at its address when the `write`
//! that wrote it ran:
//!
//! - the bytes of one `write(3, buf, n)` are `n` consecutive rows, at consecutive
//!   addresses from `buf`, one clock (the call's); the first of them takes the call's
//!   request `(clk, buf / 4, buf % 4, n, pos)` off the `output` bus, and the last has `remaining = 1`;
//! - each row names its byte's word and the byte's offset in it (`sel`, one-hot); a row
//!   that starts a write or a word reads that word through the memory argument at the
//!   call's timestamp, and the rows after it in the same word reuse the value;
//! - `pos` is the row index, so the request's `pos`, which the syscall chip takes from the
//!   kernel's output cursor (advanced by `n` on every write), places each write's bytes.
//!
//! Every write to fd 3 sends its request, and every row is a byte of `O`, so the bytes
//! written, in order, are exactly `O`: no more (a write past `|O|` has no rows to land in),
//! no fewer (a row with no write has no request), none reordered (the cursor is kernel
//! state, read and written in timestamp order).
//!
//! The periodic columns are not in Plonky3's transcript; the init chip's digest binds `O`
//! into it (see [`super::init::digest`]).
//!
//! The same chip, without the periodic columns, is the log chip ([`OutputChip::log`]): the
//! bytes written to fds 1 and 2, which are not part of the statement, but whose reads
//! prove the buffer mapped and readable, as Linux requires for the write to return its
//! count (an unmapped buffer would be `EFAULT`). Its rows are a prefix of the trace, the
//! requests come on the `log` bus, and no position is kept.

use std::borrow::{Borrow, Cow};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    access, AccessCols, Expr, Word, LOG, OUTPUT, SLOT_CHIP, SPACE_MEM, SPACE_RO, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;

const P_IS_OUT: usize = 0;
const P_POS: usize = 1;
const P_BYTE: usize = 2;
const P_COUNT: usize = 3;

/// One byte written to fd 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputEvent {
    pub clk: u32,
    /// Its byte address.
    pub addr: u32,
    /// Bytes of its write from this one on (`n` for the first).
    pub remaining: u32,
    pub first: bool,
    /// The word holding it, and the word's access where this row reads it.
    pub word: u32,
    pub acc: Option<super::witness::Access>,
    /// The word is read-only.
    pub ro: bool,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct OutputCols<T> {
    /// Copies of the periodic columns (lookups read main columns only).
    pub is_out: T,
    pub pos: T,
    pub byte: T,
    /// The first byte of a write.
    pub first: T,
    /// The write's clock.
    pub clk: T,
    pub remaining: T,
    /// The word address of the byte, and its offset in the word (big-endian), one-hot.
    pub waddr: T,
    pub sel: [T; 4],
    /// The word, least significant byte first.
    pub word: Word<T>,
    /// This row reads the word: `first + (1 - first) sel[0]`.
    pub new_word: T,
    /// The word is read-only (read in `SPACE_RO`).
    pub ro: T,
    pub acc: AccessCols<T>,
}
columns!(OutputCols);

/// The output chip for one statement's output, or the log chip.
#[derive(Clone, Debug)]
pub struct OutputChip {
    periodic: Vec<Vec<Val>>,
    /// The public output's period (unused by the log chip).
    pub height: usize,
    /// The public output, bound to the statement; else the logs.
    pub public: bool,
}

impl OutputChip {
    pub fn new(output: &[u8]) -> OutputChip {
        let height = output.len().next_power_of_two().max(4);
        let mut periodic = vec![Val::zero_vec(height); P_COUNT];
        for (i, &byte) in output.iter().enumerate() {
            periodic[P_IS_OUT][i] = Val::ONE;
            periodic[P_POS][i] = Val::from_usize(i);
            periodic[P_BYTE][i] = Val::from_u8(byte);
        }
        OutputChip {
            periodic,
            height,
            public: true,
        }
    }

    /// The log chip: bytes written to fds 1 and 2, as many rows as they need.
    pub fn log() -> OutputChip {
        OutputChip {
            periodic: Vec::new(),
            height: 0,
            public: false,
        }
    }

    /// The trace for the output's bytes, one event each, in order.
    pub fn generate_trace(
        &self,
        events: &[OutputEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        let w = OutputCols::<u8>::WIDTH;
        let height = if self.public {
            self.height
        } else {
            events.len().next_power_of_two().max(4)
        };
        let mut values = Val::zero_vec(height * w);
        for (i, ev) in events.iter().enumerate().take(height) {
            let r: &mut OutputCols<Val> =
                std::borrow::BorrowMut::borrow_mut(&mut values[i * w..(i + 1) * w]);
            if self.public {
                r.is_out = self.periodic[P_IS_OUT][i];
                r.pos = self.periodic[P_POS][i];
                r.byte = self.periodic[P_BYTE][i];
            } else {
                r.is_out = Val::ONE;
                r.byte = Val::from_u8(ev.word.to_be_bytes()[(ev.addr % 4) as usize]);
            }
            r.first = Val::from_bool(ev.first);
            r.clk = Val::from_u32(ev.clk);
            r.remaining = Val::from_u32(ev.remaining);
            r.waddr = Val::from_u32(ev.addr / 4);
            r.sel[(ev.addr % 4) as usize] = Val::ONE;
            r.word = super::word(ev.word);
            r.new_word = Val::from_bool(ev.first || ev.addr % 4 == 0);
            r.ro = Val::from_bool(ev.ro && (ev.first || ev.addr % 4 == 0));
            if let Some(acc) = &ev.acc {
                super::fill_access(&mut r.acc, acc, bytes);
            }
        }
        RowMajorMatrix::new(values, w)
    }
}

impl BaseAir<Val> for OutputChip {
    fn width(&self) -> usize {
        OutputCols::<u8>::WIDTH
    }
    fn num_periodic_columns(&self) -> usize {
        if self.public {
            P_COUNT
        } else {
            0
        }
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for OutputChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &OutputCols<AB::Var> = main.current_slice().borrow();
        let n: &OutputCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |k: u32| Expr::<AB>::from_u32(k);
        let one = || Expr::<AB>::ONE;
        if self.public {
            let p: Vec<Expr<AB>> = b.periodic_values().iter().map(|&v| v.into()).collect();
            if kept("output.periodic") {
                b.assert_eq(l.is_out, p[P_IS_OUT].clone());
                b.assert_eq(l.pos, p[P_POS].clone());
                b.assert_eq(l.byte, p[P_BYTE].clone());
            }
        } else {
            // Logs: real rows, then padding. `pos` is in no message: kept zero.
            b.assert_bool(l.is_out);
            b.when_transition()
                .assert_zero(e(n.is_out) * (one() - e(l.is_out)));
            b.assert_zero(l.pos);
        }
        let is_out = e(l.is_out);

        // Flags: first only on output rows; exactly one offset on them, none elsewhere.
        b.assert_bool(l.first);
        b.assert_zero(e(l.first) * (one() - is_out.clone()));
        let mut sum = Expr::<AB>::ZERO;
        for s in l.sel {
            b.assert_bool(s);
            sum += e(s);
        }
        b.assert_eq(sum, is_out.clone());
        // The byte is the word's byte at its offset (big-endian: offset j is LE byte 3-j).
        let mut picked = Expr::<AB>::ZERO;
        for j in 0..4 {
            picked += e(l.sel[j]) * e(l.word[3 - j]);
        }
        if kept("output.byte") {
            b.assert_eq(l.byte, picked);
        }

        // The word is read where a write or a word starts, at the call's timestamp.
        b.assert_eq(l.new_word, e(l.first) + (one() - e(l.first)) * e(l.sel[0]));
        // Its space: read-only or writable memory (the boundary decides which holds it).
        b.assert_zero(e(l.ro) * (e(l.new_word) - e(l.ro)));
        let space = c(SPACE_MEM) + e(l.ro) * c(SPACE_RO - SPACE_MEM);
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);
        let word = l.word.map(|v| -> Expr<AB> { v.into() });
        access(
            b,
            e(l.new_word),
            space,
            e(l.waddr),
            word.clone(),
            word,
            ts,
            &l.acc,
        );

        // A write starts with the syscall chip's request, which names the buffer as its
        // word address (below 2^29) and offset, each exact as a field element. (A byte
        // address, up to 2^31, is not: p is below 2^31.)
        let offset = e(l.sel[1]) + c(2) * e(l.sel[2]) + c(3) * e(l.sel[3]);
        if self.public {
            b.push_interaction(
                OUTPUT,
                [e(l.clk), e(l.waddr), offset, e(l.remaining), e(l.pos)],
                Count::bounded(-e(l.first), 1),
            );
        } else {
            b.push_interaction(
                LOG,
                [e(l.clk), e(l.waddr), offset, e(l.remaining)],
                Count::bounded(-e(l.first), 1),
            );
        }

        // Row 0, if it is output, starts a write: nothing precedes it.
        b.when_first_row()
            .assert_zero(is_out.clone() * (one() - e(l.first)));
        // A row that continues a write: same clock, the next address, one byte fewer.
        // Where the previous byte ended its word the next one starts a new word at offset
        // 0; otherwise it is the next offset of the same word, whose value it keeps.
        let cont = e(n.is_out) - e(n.first);
        if kept("output.continue") {
            let mut t = b.when_transition();
            t.assert_zero(cont.clone() * (e(n.clk) - e(l.clk)));
            t.assert_zero(cont.clone() * (e(n.remaining) - e(l.remaining) + one()));
            t.assert_zero(cont.clone() * (e(n.sel[0]) - e(l.sel[3])));
            for j in 0..3 {
                t.assert_zero(cont.clone() * (e(n.sel[j + 1]) - e(l.sel[j])));
            }
            if kept("output.waddr") {
                t.assert_zero(cont.clone() * (e(n.waddr) - e(l.waddr) - e(l.sel[3])));
            }
            for k in 0..4 {
                t.assert_zero(cont.clone() * (one() - e(l.sel[3])) * (e(n.word[k]) - e(l.word[k])));
            }
            // A write ends (the next row starts another, or is not output) on its last byte.
            t.assert_zero(is_out.clone() * (one() - cont) * (e(l.remaining) - one()));
        }
        b.when_last_row()
            .assert_zero(is_out * (e(l.remaining) - one()));
        // Off the output rows, every other column is in no message with a non-zero count
        // (first, new_word and the offsets are zero there) and in no constraint but these;
        // the trace generator leaves them zero.
    }
}
