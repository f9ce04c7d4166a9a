//! The system-call chip: `write` to fds 1 and 2 (returns the count) and `exit_group`
//! (ends the run; its status is public).
//!
//! The chip reads the call number from `$v0` and the arguments it needs from `$a0`
//! and `$a2`, and writes the result to `$v0` and the error flag to `$a3`, all at the chip's
//! timestamp slot. It answers the CPU with `c = [halt, 0, 0, 0]`, where `halt` is 1 for
//! `exit_group`. The bytes written to fds 1 and 2 are logs, outside the statement: the
//! proof shows the call returned its count, and does not read the buffer.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{access, AccessCols, Expr, Word, REG_STRIDE, SLOT_CHIP, SPACE_REG, TS_SLOTS};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::program::Opcode;
use super::record::{SYS_EXIT_GROUP, SYS_WRITE};
use super::witness::SyscallEvent;

/// Public values: the exit status (`exit_group`'s argument modulo 256).
pub mod pv {
    pub const EXIT_CODE: usize = 0;
    pub const COUNT: usize = 1;
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct SyscallCols<T> {
    pub is_write: T,
    pub is_exit: T,
    /// A write to fd 2 (else fd 1).
    pub to_stderr: T,
    pub clk: T,
    pub thread: T,
    /// `$v0` before (the number) and after (the result).
    pub v0: Word<T>,
    pub result: Word<T>,
    pub a0: Word<T>,
    pub a2: Word<T>,
    /// `$a3` before and after (the error flag).
    pub a3: Word<T>,
    pub err: Word<T>,
    pub acc: [AccessCols<T>; 4],
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
    r.is_exit = Val::from_bool(ev.number == SYS_EXIT_GROUP);
    r.to_stderr = Val::from_bool(ev.number == SYS_WRITE && ev.args[0] == 2);
    r.clk = Val::from_u32(ev.instr.clk);
    r.v0 = super::word(ev.regs[0].prev);
    r.result = super::word(ev.result.0);
    r.a0 = super::word(ev.args[0]);
    r.a2 = super::word(ev.args[2]);
    r.a3 = super::word(ev.regs[3].prev);
    r.err = super::word(ev.result.1);
    for (cols, acc) in r.acc.iter_mut().zip(ev.regs) {
        cols.prev_ts = Val::from_u32(acc.prev_ts);
        let d = acc.diff();
        cols.diff_lo = Val::from_u32(d & 0xffff);
        cols.diff_hi = Val::from_u32(d >> 16);
        bytes.ts_diff(d);
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
        let is_real = super::assert_flags(b, &[l.is_write, l.is_exit]);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |n: u32| Expr::<AB>::from_u32(n);
        b.assert_zero(e(l.to_stderr) * (e(l.is_write) - e(l.to_stderr)));

        // The number in $v0 says which call this is.
        let w = SYS_WRITE.to_le_bytes();
        let x = SYS_EXIT_GROUP.to_le_bytes();
        for k in 0..4 {
            b.assert_zero(
                e(l.v0[k]) - e(l.is_write) * c(w[k] as u32) - e(l.is_exit) * c(x[k] as u32),
            );
        }
        // write(fd, buf, count) with fd 1 or 2 returns count, without error.
        b.assert_zero(e(l.is_write) * (e(l.a0[0]) - Expr::<AB>::ONE - e(l.to_stderr)));
        for k in 0..4 {
            if k > 0 {
                b.assert_zero(e(l.is_write) * e(l.a0[k]));
            }
            b.assert_zero(e(l.is_write) * (e(l.result[k]) - e(l.a2[k])));
            b.assert_zero(e(l.is_write) * e(l.err[k]));
        }
        // exit_group(status) leaves the registers and makes status & 0xff public.
        for k in 0..4 {
            b.assert_zero(e(l.is_exit) * (e(l.result[k]) - e(l.v0[k])));
            b.assert_zero(e(l.is_exit) * (e(l.err[k]) - e(l.a3[k])));
        }
        b.assert_zero(e(l.is_exit) * (e(l.a0[0]) - exit_code));

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
            reg(6),
            words(&l.a2),
            words(&l.a2),
            ts.clone(),
            &l.acc[2],
        );
        access(
            b,
            is_real.clone(),
            space(),
            reg(7),
            words(&l.a3),
            words(&l.err),
            ts,
            &l.acc[3],
        );

        // The CPU reads $zero for both operands; the answer says whether the run halts.
        let zero = [
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
        ];
        let answer = [
            e(l.is_exit),
            Expr::<AB>::ZERO,
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
            Expr::<AB>::ZERO,
            is_real,
        );
    }
}
