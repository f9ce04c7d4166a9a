//! The initial state chip: what the run starts with besides the ELF image, from public
//! data the verifier rebuilds from `argv`.
//!
//! Its rows are periodic columns, fixed by the statement rather than committed by the
//! prover: first the state words, each put into the memory argument at timestamp 0 and
//! taken out at the end with its final value: the main thread's registers (all zero but
//! `$sp`) and the kernel's words (the output and input cursors and the clocks, starting at 0, and the open-file limit at its default); then the non-zero
//! words of the initial stack (argv, the auxiliary vector), each written by the loader at
//! timestamp 1 over the zero that the memory boundary starts it with.
//!
//! The verifier rebuilds the columns from the statement and requires the chip's height to
//! be their period, so that no row can repeat (a second copy of a register would be a
//! second, independent register).
//!
//! Plonky3 does not put periodic columns into the transcript, so the chip's public values
//! are a SHA-256 digest of them and of the public output ([`digest`]), which is.

use std::borrow::{Borrow, Cow};

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use sha2::{Digest, Sha256};

use super::bus::{
    memory_receive, memory_send, Expr, Word, KERNEL_COUNTS, KERNEL_INIT, KERNEL_WORDS, NUM_REGS,
    SPACE_KERNEL, SPACE_MEM, SPACE_REG, TS_LOADER,
};
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::record::Start;

/// Public values: the digest, as sixteen 16-bit halves.
pub const PV_COUNT: usize = 16;

/// The periodic columns, in order.
const P_IS_REG: usize = 0;
const P_IS_STACK: usize = 1;
const P_SPACE: usize = 2;
const P_ADDR: usize = 3;
const P_VALUE: usize = 4;
const P_COUNT: usize = 8;

/// The state words: the registers, then the kernel's.
pub const NUM_STATE: usize = NUM_REGS + KERNEL_WORDS.len();

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct InitCols<T> {
    /// Copies of the periodic columns, each constrained equal to its periodic value
    /// (Plonky3's lookups read main columns only). `is_reg` marks every state word.
    pub is_reg: T,
    pub is_stack: T,
    pub space: T,
    pub addr: T,
    pub value: Word<T>,
    /// A state word's value and timestamp at the end of the run (zero on stack rows).
    pub final_value: Word<T>,
    pub final_ts: T,
}
columns!(InitCols);

/// The initial state chip for one start.
#[derive(Clone, Debug)]
pub struct InitChip {
    periodic: Vec<Vec<Val>>,
    pub height: usize,
}

impl InitChip {
    pub fn new(start: &Start) -> InitChip {
        let rows = NUM_STATE + start.stack.len();
        let height = rows.next_power_of_two().max(4);
        let mut periodic = vec![Val::zero_vec(height); P_COUNT];
        for (r, &v) in start.regs.iter().enumerate() {
            periodic[P_IS_REG][r] = Val::ONE;
            periodic[P_SPACE][r] = Val::from_u32(SPACE_REG);
            periodic[P_ADDR][r] = Val::from_u32(r as u32);
            for (k, byte) in v.to_le_bytes().into_iter().enumerate() {
                periodic[P_VALUE + k][r] = Val::from_u8(byte);
            }
        }
        // The kernel's words (the output and input cursors, the clocks start at 0; the
        // open-file limit at its default).
        for (i, (&addr, &v)) in KERNEL_WORDS.iter().zip(&KERNEL_INIT).enumerate() {
            periodic[P_IS_REG][NUM_REGS + i] = Val::ONE;
            periodic[P_SPACE][NUM_REGS + i] = Val::from_u32(SPACE_KERNEL);
            periodic[P_ADDR][NUM_REGS + i] = Val::from_u32(addr);
            for (k, byte) in v.to_le_bytes().into_iter().enumerate() {
                periodic[P_VALUE + k][NUM_REGS + i] = Val::from_u8(byte);
            }
        }
        for (i, &(addr, v)) in start.stack.iter().enumerate() {
            let r = NUM_STATE + i;
            periodic[P_IS_STACK][r] = Val::ONE;
            periodic[P_ADDR][r] = Val::from_u32(addr);
            for (k, byte) in v.to_le_bytes().into_iter().enumerate() {
                periodic[P_VALUE + k][r] = Val::from_u8(byte);
            }
        }
        InitChip { periodic, height }
    }

    /// The chip for a start with nothing on the stack (its shape, for the verifying key).
    pub fn empty() -> InitChip {
        InitChip::new(&Start {
            sp: 0,
            stack: Vec::new(),
            regs: [0; NUM_REGS],
        })
    }

    /// The trace: the final state words (value, timestamp), in order.
    pub fn generate_trace(&self, regs: &[(u32, u32)]) -> RowMajorMatrix<Val> {
        let w = InitCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(self.height * w);
        for r in 0..self.height {
            let row: &mut InitCols<Val> =
                std::borrow::BorrowMut::borrow_mut(&mut values[r * w..(r + 1) * w]);
            row.is_reg = self.periodic[P_IS_REG][r];
            row.is_stack = self.periodic[P_IS_STACK][r];
            row.space = self.periodic[P_SPACE][r];
            row.addr = self.periodic[P_ADDR][r];
            row.value = std::array::from_fn(|k| self.periodic[P_VALUE + k][r]);
            if let Some(&(v, ts)) = regs.get(r) {
                // Registers and most kernel words are words; a kernel count is one
                // field element.
                let count = (NUM_REGS..NUM_REGS + KERNEL_COUNTS).contains(&r);
                row.final_value = if count {
                    [Val::from_u32(v), Val::ZERO, Val::ZERO, Val::ZERO]
                } else {
                    super::word(v)
                };
                row.final_ts = Val::from_u32(ts);
            }
        }
        RowMajorMatrix::new(values, w)
    }
}

/// The digest that binds the initial state, the public output (the output chip's
/// periodic columns) and the version of zkm that proved it (so that no byte of a proof
/// file is unbound) into the transcript.
pub fn digest(start: &Start, output: &[u8], zkm_version: &str) -> Vec<Val> {
    let mut h = Sha256::new();
    h.update(b"zkm-init-v2");
    h.update((zkm_version.len() as u32).to_be_bytes());
    h.update(zkm_version.as_bytes());
    h.update((output.len() as u64).to_be_bytes());
    h.update(output);
    for v in start.regs {
        h.update(v.to_be_bytes());
    }
    h.update((start.stack.len() as u32).to_be_bytes());
    for &(a, v) in &start.stack {
        h.update(a.to_be_bytes());
        h.update(v.to_be_bytes());
    }
    let d: [u8; 32] = h.finalize().into();
    d.chunks(2)
        .map(|c| Val::from_u32(u16::from_be_bytes([c[0], c[1]]) as u32))
        .collect()
}

impl BaseAir<Val> for InitChip {
    fn width(&self) -> usize {
        InitCols::<u8>::WIDTH
    }
    fn num_public_values(&self) -> usize {
        PV_COUNT
    }
    fn num_periodic_columns(&self) -> usize {
        P_COUNT
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for InitChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &InitCols<AB::Var> = main.current_slice().borrow();
        let l = *l;
        let p: Vec<Expr<AB>> = b.periodic_values().iter().map(|&v| v.into()).collect();
        let copies = [
            l.is_reg, l.is_stack, l.space, l.addr, l.value[0], l.value[1], l.value[2], l.value[3],
        ];
        if kept("init.periodic") {
            for (i, col) in copies.iter().enumerate() {
                b.assert_eq(*col, p[i].clone());
            }
        }
        let is_reg: Expr<AB> = l.is_reg.into();
        let is_stack: Expr<AB> = l.is_stack.into();
        let addr: Expr<AB> = l.addr.into();
        let value: [Expr<AB>; 4] = l.value.map(Into::into);
        let zero = || Expr::<AB>::ZERO;
        let c = |n: u32| Expr::<AB>::from_u32(n);

        // State words: the initial value in at timestamp 0, the final value out.
        let space: Expr<AB> = l.space.into();
        memory_send(
            b,
            space.clone(),
            addr.clone(),
            value.clone(),
            zero(),
            is_reg.clone(),
        );
        memory_receive(
            b,
            space,
            addr.clone(),
            l.final_value.map(Into::into),
            l.final_ts.into(),
            is_reg.clone(),
        );
        // Off the register rows the final columns are in no message: kept zero.
        let not_reg = Expr::<AB>::ONE - is_reg;
        for v in l.final_value.iter().chain([&l.final_ts]) {
            b.assert_zero(not_reg.clone() * (*v).into());
        }
        // The stack: the loader writes each word over its initial zero.
        memory_receive(
            b,
            c(SPACE_MEM),
            addr.clone(),
            [zero(), zero(), zero(), zero()],
            zero(),
            is_stack.clone(),
        );
        memory_send(b, c(SPACE_MEM), addr, value, c(TS_LOADER), is_stack);
    }
}
