//! The proving machine: chips, buses and the STARK that ties them together.
//!
//! Data flows: the VM's run ([`record::execute`]) → the chips' events
//! ([`witness::Witness`]) → one trace per chip → a batch STARK over all of them
//! (Plonky3's `p3-batch-stark`, with LogUp buses between chips). The statement and every
//! constraint are described in `docs/proof-system.md`.
//!
//! The chips, in batch order ([`ChipKind::ALL`]):
//! - preprocessed, part of the verifying key: [`program`] (the ROM), [`bytes`] (the byte
//!   table), [`image`] (the ELF image and the zero regions);
//! - per run: [`cpu`], the opcode chips ([`add_sub`], [`bitwise`], [`branch`],
//!   [`shift`], [`compare`], [`mul`], [`div`], [`clz`], [`sext`], [`movz`], [`ext`],
//!   [`memory`], [`syscall`], [`clock`], [`fs`], [`mm`], [`getset`], [`send`]), the thread chips
//!   ([`threads`], [`futex`], [`sched`]), signals ([`signal`]: a fault's delivery and the
//!   handler's return), the public output and the logs ([`output`]), the private
//!   input's placement ([`input`]), the paths system calls read ([`path`]), the initial state
//!   ([`init`]), the memory boundary ([`boundary`]) and the kernel-state boundary
//!   ([`state`]).

// Constraints over the four bytes of a word read best with the byte index.
#![allow(clippy::needless_range_loop)]

pub mod add_sub;
pub mod bitwise;
pub mod boundary;
pub mod branch;
pub mod bus;
pub mod bytes;
pub mod check;
pub mod clock;
pub mod clz;
pub(crate) mod cols;
pub mod compare;
pub mod config;
pub mod cpu;
pub mod div;
pub mod ext;
pub mod fs;
pub mod futex;
pub mod getset;
pub mod image;
pub mod init;
pub mod input;
pub(crate) mod knockout;
pub mod memory;
pub mod merkle;
pub mod mm;
pub mod movz;
pub mod mul;
pub mod output;
pub mod pages;
pub mod path;
pub mod poll;
pub mod poseidon2;
pub mod program;
pub mod record;
pub mod sched;
pub mod send;
pub mod sext;
pub mod shift;
pub mod signal;
pub mod state;
pub mod syscall;
pub mod threads;
pub mod witness;

use std::collections::HashMap;

use p3_air::{Air, AirBuilder, BaseAir};
use p3_batch_stark::{
    prove_batch, verify_batch, BatchProof, CommonData, ProverData, StarkInstance,
};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use bus::{Expr, Word, INSTR};
use bytes::ByteCounts;
use config::{Config, Val};
use knockout::kept;
use record::{ProveError, Setup, Start};

use crate::elf::Program;

/// Every chip of the machine.
#[derive(Clone, Debug)]
pub enum Chip {
    Program(program::ProgramChip),
    Bytes(bytes::ByteChip),
    Image(image::ImageChip),
    Region(image::RegionChip),
    Cpu(cpu::CpuChip),
    AddSub(add_sub::AddSubChip),
    Bitwise(bitwise::BitwiseChip),
    Branch(branch::BranchChip),
    Shift(shift::ShiftChip),
    Compare(compare::CompareChip),
    Mul(mul::MulChip),
    Div(div::DivChip),
    Clz(clz::ClzChip),
    Sext(sext::SextChip),
    Mov(movz::MovChip),
    Ext(ext::ExtChip),
    Memory(memory::MemoryChip),
    Syscall(syscall::SyscallChip),
    Clock(clock::ClockChip),
    Fs(fs::FsChip),
    Mm(mm::MmChip),
    Pages(pages::PagesChip),
    GetSet(getset::GetSetChip),
    Send(send::SendChip),
    Clone(threads::CloneChip),
    Futex(futex::FutexChip),
    Poll(poll::PollChip),
    Sched(sched::SchedChip),
    Signal(signal::SignalChip),
    Sigreturn(signal::SigreturnChip),
    Output(output::OutputChip),
    Log(output::OutputChip),
    Input(input::InputChip),
    Path(path::PathChip),
    Init(init::InitChip),
    Boundary(boundary::BoundaryChip),
    State(state::StateChip),
}

/// The chips by name, in batch order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChipKind {
    Program,
    Bytes,
    Image,
    Region,
    Cpu,
    AddSub,
    Bitwise,
    Branch,
    Shift,
    Compare,
    Mul,
    Div,
    Clz,
    Sext,
    Mov,
    Ext,
    Memory,
    Syscall,
    Clock,
    Fs,
    Mm,
    Pages,
    GetSet,
    Send,
    Clone,
    Futex,
    Poll,
    Sched,
    Signal,
    Sigreturn,
    Output,
    Log,
    Input,
    Path,
    Init,
    Boundary,
    State,
}

impl ChipKind {
    pub const ALL: [ChipKind; 37] = [
        ChipKind::Program,
        ChipKind::Bytes,
        ChipKind::Image,
        ChipKind::Region,
        ChipKind::Cpu,
        ChipKind::AddSub,
        ChipKind::Bitwise,
        ChipKind::Branch,
        ChipKind::Shift,
        ChipKind::Compare,
        ChipKind::Mul,
        ChipKind::Div,
        ChipKind::Clz,
        ChipKind::Sext,
        ChipKind::Mov,
        ChipKind::Ext,
        ChipKind::Memory,
        ChipKind::Syscall,
        ChipKind::Clock,
        ChipKind::Fs,
        ChipKind::Mm,
        ChipKind::Pages,
        ChipKind::GetSet,
        ChipKind::Send,
        ChipKind::Clone,
        ChipKind::Futex,
        ChipKind::Poll,
        ChipKind::Sched,
        ChipKind::Signal,
        ChipKind::Sigreturn,
        ChipKind::Output,
        ChipKind::Log,
        ChipKind::Input,
        ChipKind::Path,
        ChipKind::Init,
        ChipKind::Boundary,
        ChipKind::State,
    ];

    /// The chip's position in the batch.
    pub fn index(self) -> usize {
        ChipKind::ALL.iter().position(|&k| k == self).unwrap_or(0)
    }

    pub fn name(self) -> &'static str {
        match self {
            ChipKind::Program => "program",
            ChipKind::Bytes => "bytes",
            ChipKind::Image => "image",
            ChipKind::Region => "region",
            ChipKind::Cpu => "cpu",
            ChipKind::AddSub => "add_sub",
            ChipKind::Bitwise => "bitwise",
            ChipKind::Branch => "branch",
            ChipKind::Shift => "shift",
            ChipKind::Compare => "compare",
            ChipKind::Mul => "mul",
            ChipKind::Div => "div",
            ChipKind::Clz => "clz",
            ChipKind::Sext => "sext",
            ChipKind::Mov => "movz",
            ChipKind::Ext => "ext",
            ChipKind::Memory => "memory",
            ChipKind::Syscall => "syscall",
            ChipKind::Clock => "clock",
            ChipKind::Fs => "fs",
            ChipKind::Mm => "mm",
            ChipKind::Pages => "pages",
            ChipKind::GetSet => "getset",
            ChipKind::Send => "send",
            ChipKind::Clone => "clone",
            ChipKind::Futex => "futex",
            ChipKind::Poll => "poll",
            ChipKind::Sched => "sched",
            ChipKind::Signal => "signal",
            ChipKind::Sigreturn => "sigreturn",
            ChipKind::Output => "output",
            ChipKind::Log => "log",
            ChipKind::Input => "input",
            ChipKind::Path => "path",
            ChipKind::Init => "init",
            ChipKind::Boundary => "boundary",
            ChipKind::State => "state",
        }
    }

    /// Whether the chip's rows are periodic columns fixed by the statement, so that its
    /// height must be their period.
    pub fn periodic(self) -> bool {
        matches!(self, ChipKind::Output | ChipKind::Init)
    }

    /// Whether the chip's table is preprocessed (part of the verifying key).
    pub fn preprocessed(self) -> bool {
        matches!(
            self,
            ChipKind::Program | ChipKind::Bytes | ChipKind::Image | ChipKind::Region
        )
    }
}

macro_rules! for_each_chip {
    ($self:expr, $c:ident => $body:expr) => {
        match $self {
            Chip::Program($c) => $body,
            Chip::Bytes($c) => $body,
            Chip::Image($c) => $body,
            Chip::Region($c) => $body,
            Chip::Cpu($c) => $body,
            Chip::AddSub($c) => $body,
            Chip::Bitwise($c) => $body,
            Chip::Branch($c) => $body,
            Chip::Shift($c) => $body,
            Chip::Compare($c) => $body,
            Chip::Mul($c) => $body,
            Chip::Div($c) => $body,
            Chip::Clz($c) => $body,
            Chip::Sext($c) => $body,
            Chip::Mov($c) => $body,
            Chip::Ext($c) => $body,
            Chip::Memory($c) => $body,
            Chip::Syscall($c) => $body,
            Chip::Clock($c) => $body,
            Chip::Fs($c) => $body,
            Chip::Mm($c) => $body,
            Chip::Pages($c) => $body,
            Chip::GetSet($c) => $body,
            Chip::Send($c) => $body,
            Chip::Clone($c) => $body,
            Chip::Futex($c) => $body,
            Chip::Poll($c) => $body,
            Chip::Sched($c) => $body,
            Chip::Signal($c) => $body,
            Chip::Sigreturn($c) => $body,
            Chip::Output($c) => $body,
            Chip::Log($c) => $body,
            Chip::Input($c) => $body,
            Chip::Path($c) => $body,
            Chip::Init($c) => $body,
            Chip::Boundary($c) => $body,
            Chip::State($c) => $body,
        }
    };
}

impl Chip {
    pub fn kind(&self) -> ChipKind {
        match self {
            Chip::Program(_) => ChipKind::Program,
            Chip::Bytes(_) => ChipKind::Bytes,
            Chip::Image(_) => ChipKind::Image,
            Chip::Region(_) => ChipKind::Region,
            Chip::Cpu(_) => ChipKind::Cpu,
            Chip::AddSub(_) => ChipKind::AddSub,
            Chip::Bitwise(_) => ChipKind::Bitwise,
            Chip::Branch(_) => ChipKind::Branch,
            Chip::Shift(_) => ChipKind::Shift,
            Chip::Compare(_) => ChipKind::Compare,
            Chip::Mul(_) => ChipKind::Mul,
            Chip::Div(_) => ChipKind::Div,
            Chip::Clz(_) => ChipKind::Clz,
            Chip::Sext(_) => ChipKind::Sext,
            Chip::Mov(_) => ChipKind::Mov,
            Chip::Ext(_) => ChipKind::Ext,
            Chip::Memory(_) => ChipKind::Memory,
            Chip::Syscall(_) => ChipKind::Syscall,
            Chip::Clock(_) => ChipKind::Clock,
            Chip::Fs(_) => ChipKind::Fs,
            Chip::Mm(_) => ChipKind::Mm,
            Chip::Pages(_) => ChipKind::Pages,
            Chip::GetSet(_) => ChipKind::GetSet,
            Chip::Send(_) => ChipKind::Send,
            Chip::Clone(_) => ChipKind::Clone,
            Chip::Futex(_) => ChipKind::Futex,
            Chip::Poll(_) => ChipKind::Poll,
            Chip::Sched(_) => ChipKind::Sched,
            Chip::Signal(_) => ChipKind::Signal,
            Chip::Sigreturn(_) => ChipKind::Sigreturn,
            Chip::Output(_) => ChipKind::Output,
            Chip::Log(_) => ChipKind::Log,
            Chip::Input(_) => ChipKind::Input,
            Chip::Path(_) => ChipKind::Path,
            Chip::Init(_) => ChipKind::Init,
            Chip::Boundary(_) => ChipKind::Boundary,
            Chip::State(_) => ChipKind::State,
        }
    }
}

impl BaseAir<Val> for Chip {
    fn width(&self) -> usize {
        for_each_chip!(self, c => BaseAir::<Val>::width(c))
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        for_each_chip!(self, c => c.preprocessed_trace())
    }
    fn preprocessed_width(&self) -> usize {
        for_each_chip!(self, c => c.preprocessed_width())
    }
    fn num_periodic_columns(&self) -> usize {
        for_each_chip!(self, c => c.num_periodic_columns())
    }
    fn periodic_columns(&self) -> std::borrow::Cow<'_, [Vec<Val>]> {
        for_each_chip!(self, c => c.periodic_columns())
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        for_each_chip!(self, c => c.main_next_row_columns())
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        for_each_chip!(self, c => c.preprocessed_next_row_columns())
    }
    fn num_public_values(&self) -> usize {
        for_each_chip!(self, c => c.num_public_values())
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for Chip {
    fn eval(&self, b: &mut AB) {
        for_each_chip!(self, c => c.eval(b))
    }
}

// ---------------------------------------------------------------------------------------
// Helpers shared by the chips.

/// A word as four field bytes, least significant first.
pub(crate) fn word(v: u32) -> [Val; 4] {
    v.to_le_bytes().map(Val::from_u8)
}

/// Fills an access's columns (the previous timestamp and the limbs of the difference) and
/// counts the difference's range checks.
pub(crate) fn fill_access(
    cols: &mut bus::AccessCols<Val>,
    acc: &witness::Access,
    bytes: &mut ByteCounts,
) {
    cols.prev_ts = Val::from_u32(acc.prev_ts);
    let d = acc.diff();
    cols.diff_lo = Val::from_u32(d & 0xffff);
    cols.diff_hi = Val::from_u32(d >> 16);
    bytes.ts_diff(d);
}

/// Fills one row per event in parallel, with per-chunk byte counts merged into `bytes`.
pub(crate) fn fill_rows<C, E: Sync>(
    events: &[E],
    width: usize,
    bytes: &mut ByteCounts,
    fill: fn(&mut C, &E, &mut ByteCounts),
) -> RowMajorMatrix<Val>
where
    [Val]: std::borrow::BorrowMut<C>,
{
    let height = events.len().next_power_of_two().max(4);
    let mut values = Val::zero_vec(height * width);
    let chunk = 1 << 12;
    let counts: Vec<ByteCounts> = values[..events.len() * width]
        .par_chunks_mut(chunk * width)
        .zip(events.par_chunks(chunk))
        .map(|(rows, evs)| {
            let mut bc = ByteCounts::default();
            for (row, ev) in rows.chunks_mut(width).zip(evs) {
                fill(std::borrow::BorrowMut::borrow_mut(row), ev, &mut bc);
            }
            bc
        })
        .collect();
    for c in &counts {
        bytes.merge(c);
    }
    RowMajorMatrix::new(values, width)
}

/// Fills `block` rows per event, `fill(row, event, row's index in its block, bytes)`,
/// padded with zero blocks to a power of two (at least one block).
pub(crate) fn fill_blocks<C, E>(
    events: &[E],
    block: usize,
    width: usize,
    bytes: &mut ByteCounts,
    mut fill: impl FnMut(&mut C, &E, usize, &mut ByteCounts),
) -> RowMajorMatrix<Val>
where
    [Val]: std::borrow::BorrowMut<C>,
{
    let height = (events.len() * block).next_power_of_two().max(block);
    let mut values = Val::zero_vec(height * width);
    for (i, ev) in events.iter().enumerate() {
        for row in 0..block {
            let at = (i * block + row) * width;
            fill(
                std::borrow::BorrowMut::borrow_mut(&mut values[at..at + width]),
                ev,
                row,
                bytes,
            );
        }
    }
    RowMajorMatrix::new(values, width)
}

/// Asserts that each selector is boolean and that at most one is set; returns their sum,
/// the row's `is_real`. Padding rows (all selectors zero) then send nothing.
pub(crate) fn assert_flags<AB: AirBuilder>(b: &mut AB, flags: &[AB::Var]) -> Expr<AB> {
    let mut sum = Expr::<AB>::ZERO;
    for &f in flags {
        if kept("flags.bool") {
            b.assert_bool(f);
        }
        sum += f.into();
    }
    if kept("flags.bool") {
        b.assert_bool(sum.clone());
    }
    sum
}

/// `Σ flag · opcode`: the opcode of the row's selected operation.
pub(crate) fn op_of<AB: AirBuilder>(ops: &[(AB::Var, program::Opcode)]) -> Expr<AB> {
    ops.iter().fold(Expr::<AB>::ZERO, |acc, &(f, op)| {
        acc + f.into() * Expr::<AB>::from_u8(op as u8)
    })
}

/// Receives the CPU's `instr` message.
#[allow(clippy::too_many_arguments)]
pub(crate) fn receive_instr<AB: InteractionBuilder>(
    b: &mut AB,
    op: Expr<AB>,
    clk: &AB::Var,
    thread: &AB::Var,
    a: &Word<AB::Var>,
    bw: &Word<AB::Var>,
    c: [Expr<AB>; 4],
    aux: Expr<AB>,
    count: Expr<AB>,
) {
    receive_instr_exprs(
        b,
        op,
        (*clk).into(),
        (*thread).into(),
        a.map(Into::into),
        bw.map(Into::into),
        c,
        aux,
        count,
    );
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn receive_instr_exprs<AB: InteractionBuilder>(
    b: &mut AB,
    op: Expr<AB>,
    clk: Expr<AB>,
    thread: Expr<AB>,
    a: [Expr<AB>; 4],
    bw: [Expr<AB>; 4],
    c: [Expr<AB>; 4],
    aux: Expr<AB>,
    count: Expr<AB>,
) {
    let mut msg = vec![op, clk, thread];
    msg.extend(a);
    msg.extend(bw);
    msg.extend(c);
    msg.push(aux);
    b.push_interaction(INSTR, msg, Count::bounded(-count, 1));
}

// ---------------------------------------------------------------------------------------
// The machine.

/// The version of zkm, bound into every proof it makes.
pub const ZKM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a proof states: the program (by its verifying key), argv and the environment, the public output,
/// the exit status and the number of instructions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Statement {
    pub argv: Vec<String>,
    /// The environment, `KEY=VALUE` strings (on the initial stack after argv).
    pub env: Vec<String>,
    pub output: Vec<u8>,
    pub exit_code: u32,
    pub cycles: u64,
}

/// The machine for one ELF: its setup and preprocessed chips.
#[derive(Clone, Debug)]
pub struct Machine {
    pub setup: Setup,
    pub program: program::ProgramChip,
    pub image: image::ImageChip,
    pub regions: image::RegionChip,
}

/// The chips, traces and public values of one run, in batch order.
pub struct Instances {
    pub airs: Vec<Chip>,
    pub traces: Vec<RowMajorMatrix<Val>>,
    pub public_values: Vec<Vec<Val>>,
}

impl Instances {
    /// Checks every constraint and bus directly (see [`check`]).
    pub fn check(&self) -> Result<(), check::CheckError> {
        match self.check_all(1).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every failure, up to `max` (see [`check::check_all`]).
    pub fn check_all(&self, max: usize) -> Vec<check::CheckError> {
        let insts: Vec<check::CheckInstance<'_, Chip>> = self
            .airs
            .iter()
            .zip(&self.traces)
            .zip(&self.public_values)
            .map(|((air, main), pv)| check::CheckInstance {
                name: air.kind().name().to_string(),
                air,
                main,
                public_values: pv,
            })
            .collect();
        check::check_all(&insts, max)
    }

    /// The trace of `kind`, to corrupt in tests.
    pub fn trace_mut(&mut self, kind: ChipKind) -> &mut RowMajorMatrix<Val> {
        &mut self.traces[kind.index()]
    }
}

/// The public values of each chip for `statement`, in batch order.
pub fn public_values(
    facts: &crate::vm::loader::AuxFacts,
    brk: u32,
    statement: &Statement,
    start: &Start,
    zkm_version: &str,
) -> Vec<Vec<Val>> {
    ChipKind::ALL
        .iter()
        .map(|k| match k {
            ChipKind::Cpu => {
                let mut v = vec![Val::ZERO; cpu::pv::COUNT];
                v[cpu::pv::PC] = Val::from_u32(facts.entry);
                v[cpu::pv::NEXT_PC] = Val::from_u32(facts.entry.wrapping_add(4));
                v[cpu::pv::CLK] = Val::ZERO;
                v[cpu::pv::CYCLES] = Val::from_u64(statement.cycles);
                v
            }
            ChipKind::Syscall => vec![Val::from_u32(statement.exit_code)],
            ChipKind::Send => vec![Val::from_u32(statement.exit_code)],
            ChipKind::Mm => vec![Val::from_u32(brk >> mm::PAGE_BITS)],
            ChipKind::Init => init::digest(start, &statement.output, zkm_version),
            _ => Vec::new(),
        })
        .collect()
}

impl Machine {
    /// Derives the machine for `program` from the VM's loaded image of it.
    pub fn new(program: &Program) -> Result<Machine, ProveError> {
        let setup = Setup::new(program)?;
        Ok(Machine {
            program: program::ProgramChip::new(setup.rom.clone()),
            image: image::ImageChip::new(setup.image.clone()),
            regions: image::RegionChip::new(setup.regions.clone()),
            setup,
        })
    }

    /// A machine with the shape of one whose preprocessed tables have `heights` (program,
    /// bytes, image, region), but not their contents: what a verifier that has only the
    /// image id evaluates the constraints with.
    pub fn shape(heights: [usize; 4], facts: crate::vm::loader::AuxFacts, brk: u32) -> Machine {
        Machine {
            setup: Setup {
                facts,
                brk,
                rom: Vec::new(),
                image: Vec::new(),
                regions: Vec::new(),
            },
            program: program::ProgramChip {
                entries: Vec::new(),
                height: heights[0],
            },
            image: image::ImageChip {
                words: Vec::new(),
                height: heights[2],
            },
            regions: image::RegionChip {
                regions: Vec::new(),
                height: heights[3],
            },
        }
    }

    /// The heights of the preprocessed tables, in batch order.
    pub fn preprocessed_heights(&self) -> [usize; 4] {
        [
            self.program.height,
            bytes::ROWS,
            self.image.height,
            self.regions.height,
        ]
    }

    /// Runs `program` and builds every chip's trace.
    pub fn trace(
        &self,
        program: &Program,
        argv: &[String],
        input: Vec<u8>,
        max_cycles: u64,
    ) -> Result<(Statement, Instances), ProveError> {
        let (statement, w, start) = self.witness(program, argv, input, max_cycles)?;
        let instances = self.traces_from(&w, &start, &statement)?;
        Ok((statement, instances))
    }

    /// Runs `program` and derives every chip's events.
    pub fn witness(
        &self,
        program: &Program,
        argv: &[String],
        input: Vec<u8>,
        max_cycles: u64,
    ) -> Result<(Statement, witness::Witness, Start), ProveError> {
        let record = record::execute(program, &self.setup, argv, input, max_cycles)?;
        self.witness_of(&record, argv)
    }

    /// Every chip's events for a run's record.
    pub fn witness_of(
        &self,
        record: &record::Record,
        argv: &[String],
    ) -> Result<(Statement, witness::Witness, Start), ProveError> {
        if record.steps.len() as u64 > bus::MAX_SHARD_CYCLES {
            return Err(ProveError::TooLong {
                cycles: record.steps.len() as u64,
                max: bus::MAX_SHARD_CYCLES,
                also: String::new(),
            });
        }
        let start =
            Start::with_env(&self.setup.facts, argv, &record.env).map_err(ProveError::Image)?;
        let w = witness::Witness::new(
            record,
            &self.setup,
            &start,
            &self.setup.image_values(),
            &start.stack_words(),
        )?;
        let statement = Statement {
            argv: argv.to_vec(),
            env: record.env.clone(),
            output: record.output.clone(),
            exit_code: w.exit_code,
            cycles: w.cycles,
        };
        Ok((statement, w, start))
    }

    /// Every chip's trace from its events.
    pub fn traces_from(
        &self,
        w: &witness::Witness,
        start: &Start,
        statement: &Statement,
    ) -> Result<Instances, ProveError> {
        let mut bytes = ByteCounts::default();
        let cpu = cpu::CpuChip.generate_trace(&w.cpu, &mut bytes);
        let add_sub = add_sub::AddSubChip.generate_trace(&w.add_sub, &mut bytes);
        let bitwise = bitwise::BitwiseChip.generate_trace(&w.bitwise, &mut bytes);
        let branch = branch::BranchChip.generate_trace(&w.branch, &mut bytes);
        let shift = shift::ShiftChip.generate_trace(&w.shift, &mut bytes);
        let compare = compare::CompareChip.generate_trace(&w.compare, &mut bytes);
        let mul = mul::MulChip.generate_trace(&w.mul, &mut bytes);
        let div = div::DivChip.generate_trace(&w.div, &mut bytes);
        let clz = clz::ClzChip.generate_trace(&w.clz, &mut bytes);
        let sext = sext::SextChip.generate_trace(&w.sext, &mut bytes);
        let mov = movz::MovChip.generate_trace(&w.mov, &mut bytes);
        let ext = ext::ExtChip.generate_trace(&w.ext, &mut bytes);
        let memory = memory::MemoryChip.generate_trace(&w.memory, &mut bytes);
        let syscall = syscall::SyscallChip.generate_trace(&w.syscall, &mut bytes);
        let clock = clock::ClockChip.generate_trace(&w.clock, &mut bytes);
        let fs = fs::FsChip.generate_trace(&w.fs, &mut bytes);
        let getset = getset::GetSetChip.generate_trace(&w.getset, &mut bytes);
        let send = send::SendChip.generate_trace(&w.send, &mut bytes);
        let clone = threads::CloneChip::new().generate_trace(&w.clone, &mut bytes);
        let futex = futex::FutexChip.generate_trace(&w.futex, &mut bytes);
        let poll = poll::PollChip.generate_trace(&w.poll, &mut bytes);
        let sched = sched::SchedChip.generate_trace(&w.sched, &mut bytes);
        let signal = signal::SignalChip::new().generate_trace(&w.signal, &mut bytes);
        let sigreturn = signal::SigreturnChip::new().generate_trace(&w.sigreturn, &mut bytes);
        let state = state::StateChip.generate_trace(&w.kernel_words, &mut bytes);
        let output_chip = output::OutputChip::new(&statement.output);
        let output = output_chip.generate_trace(&w.output, &mut bytes);
        let log = output::OutputChip::log().generate_trace(&w.log, &mut bytes);
        let input = input::InputChip.generate_trace(&w.input, &mut bytes);
        let path = path::PathChip.generate_trace(&w.path, &mut bytes);
        let init_chip = init::InitChip::new(start);
        let init = init_chip.generate_trace(&w.regs);
        let image_index: HashMap<u32, (usize, bool)> = self
            .setup
            .image
            .iter()
            .enumerate()
            .map(|(i, w)| (w.addr, (i, w.writable)))
            .collect();
        let mut image_counts = vec![0u32; self.setup.image.len()];
        let mut region_counts = vec![0u32; self.setup.regions.len()];
        let mut page_counts = vec![0u32; w.pages.len()];
        let boundary = boundary::BoundaryChip
            .generate_trace(
                &w.words,
                |a| image_index.get(&a).copied(),
                &self.regions,
                &w.pages,
                &mut image_counts,
                &mut region_counts,
                &mut page_counts,
                &mut bytes,
            )
            .map_err(ProveError::Image)?;
        let pages = pages::PagesChip.generate_trace(&w.pages, &page_counts, &mut bytes);
        let mm_order = mm::row_order(&w.mm);
        let mm = mm::MmChip
            .generate_trace(
                &w.mm,
                &mm_order,
                self.setup.brk >> mm::PAGE_BITS,
                &mut bytes,
            )
            .map_err(ProveError::Image)?;
        let program = self.program.generate_trace(&w.rom_counts);
        let image = image::mult_trace(&image_counts, self.image.height);
        let region = image::mult_trace(&region_counts, self.regions.height);
        let bytes_trace = bytes::ByteChip.generate_trace(&bytes);
        let airs = self.airs(init_chip, output_chip);
        let traces = vec![
            program,
            bytes_trace,
            image,
            region,
            cpu,
            add_sub,
            bitwise,
            branch,
            shift,
            compare,
            mul,
            div,
            clz,
            sext,
            mov,
            ext,
            memory,
            syscall,
            clock,
            fs,
            mm,
            pages,
            getset,
            send,
            clone,
            futex,
            poll,
            sched,
            signal,
            sigreturn,
            output,
            log,
            input,
            path,
            init,
            boundary,
            state,
        ];
        Ok(Instances {
            airs,
            traces,
            public_values: public_values(
                &self.setup.facts,
                self.setup.brk,
                statement,
                start,
                ZKM_VERSION,
            ),
        })
    }

    /// The chips in batch order.
    pub fn airs(&self, init: init::InitChip, output: output::OutputChip) -> Vec<Chip> {
        vec![
            Chip::Program(self.program.clone()),
            Chip::Bytes(bytes::ByteChip),
            Chip::Image(self.image.clone()),
            Chip::Region(self.regions.clone()),
            Chip::Cpu(cpu::CpuChip),
            Chip::AddSub(add_sub::AddSubChip),
            Chip::Bitwise(bitwise::BitwiseChip),
            Chip::Branch(branch::BranchChip),
            Chip::Shift(shift::ShiftChip),
            Chip::Compare(compare::CompareChip),
            Chip::Mul(mul::MulChip),
            Chip::Div(div::DivChip),
            Chip::Clz(clz::ClzChip),
            Chip::Sext(sext::SextChip),
            Chip::Mov(movz::MovChip),
            Chip::Ext(ext::ExtChip),
            Chip::Memory(memory::MemoryChip),
            Chip::Syscall(syscall::SyscallChip),
            Chip::Clock(clock::ClockChip),
            Chip::Fs(fs::FsChip),
            Chip::Mm(mm::MmChip),
            Chip::Pages(pages::PagesChip),
            Chip::GetSet(getset::GetSetChip),
            Chip::Send(send::SendChip),
            Chip::Clone(threads::CloneChip::new()),
            Chip::Futex(futex::FutexChip),
            Chip::Poll(poll::PollChip),
            Chip::Sched(sched::SchedChip),
            Chip::Signal(signal::SignalChip::new()),
            Chip::Sigreturn(signal::SigreturnChip::new()),
            Chip::Output(output),
            Chip::Log(output::OutputChip::log()),
            Chip::Input(input::InputChip),
            Chip::Path(path::PathChip),
            Chip::Init(init),
            Chip::Boundary(boundary::BoundaryChip),
            Chip::State(state::StateChip),
        ]
    }
}

/// Proves `instances`.
pub fn prove(instances: &Instances) -> Result<BatchProof<Config>, String> {
    let config = config::config();
    let stark: Vec<StarkInstance<'_, Config, Chip>> = instances
        .airs
        .iter()
        .zip(&instances.traces)
        .zip(&instances.public_values)
        .map(|((air, trace), pv)| StarkInstance {
            air,
            trace,
            public_values: pv.clone(),
        })
        .collect();
    let data = ProverData::from_instances(&config, &stark).map_err(|e| format!("setup: {e:?}"))?;
    prove_batch(&config, &stark, &data).map_err(|e| format!("proving: {e:?}"))
}

/// The verifier's common data for `airs` at the heights `degree_bits` (log2, as in the
/// proof): the preprocessed commitment and the lookup layout.
pub fn common_data(airs: &[Chip], degree_bits: &[usize]) -> Result<CommonData<Config>, String> {
    let config = config::config();
    let data = ProverData::from_airs_and_degrees(&config, airs, degree_bits)
        .map_err(|e| format!("setup: {e:?}"))?;
    Ok(data.common)
}

/// Verifies `proof` for `airs` and `public_values`.
pub fn verify(
    airs: &[Chip],
    proof: &BatchProof<Config>,
    public_values: &[Vec<Val>],
    common: &CommonData<Config>,
) -> Result<(), String> {
    let config = config::config();
    verify_batch(&config, airs, proof, public_values, common).map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod soundness;

#[cfg(test)]
mod alu_tests;
