//! The program ROM: every instruction of the ELF's executable segments, as the CPU chip
//! needs it, in a preprocessed table. It is part of the verifying key.
//!
//! The AIR never decodes an instruction word. [`translate`] turns each instruction the VM
//! decoded ([`crate::vm::decode`]) into a [`RomEntry`]: which registers the CPU reads as
//! operands `a` and `b`, which it writes, the immediate, the static branch target, the
//! opcode chip to dispatch to, and the control-flow flags. The verifier builds the same
//! table from the ELF, so these fields are as trusted as the ELF itself. Words that are not
//! provable yet (`BREAK`, reserved instructions, `CACHE`, `RDHWR`, an `EXT` or `INS` whose
//! field leaves the word) get the opcode
//! [`Opcode::Unprovable`], which no chip receives: a trace that executes one cannot balance.
//!
//! Each row of the ROM is looked up by the CPU with the `program` bus; the main column is
//! the number of times it was executed.

use std::borrow::{Borrow, BorrowMut};

use super::cols::columns;
use super::knockout::kept;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{self, Expr, REG_HI, REG_LO};
use super::config::Val;
use crate::vm::decode::{Instr, Op};

/// What an instruction asks of an opcode chip (the `op` of an `instr` message). Zero is
/// no dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Opcode {
    None = 0,
    // add_sub
    Add,
    /// `ADD`/`ADDI`: as `Add`, and the signed sum does not overflow.
    AddTrap,
    Sub,
    SubTrap,
    // bitwise
    And,
    Or,
    Xor,
    Nor,
    // shift (later chips)
    Sll,
    Srl,
    Sra,
    Rotr,
    // compare
    Slt,
    Sltu,
    /// The trap instructions, when they do not fire: the condition is false.
    Teq,
    Tne,
    Tge,
    Tgeu,
    Tlt,
    Tltu,
    // branch conditions: `c = [taken, 0, 0, 0]`
    Beq,
    Bne,
    Blez,
    Bgtz,
    Bltz,
    Bgez,
    // multiply and divide
    Mul,
    Mult,
    Multu,
    Madd,
    Maddu,
    Msub,
    Msubu,
    Div,
    Divu,
    Clz,
    Clo,
    Seb,
    Seh,
    Wsbh,
    Ext,
    Ins,
    Movz,
    Movn,
    // loads and stores
    Lb,
    Lbu,
    Lh,
    Lhu,
    Lw,
    Lwl,
    Lwr,
    Ll,
    Sb,
    Sh,
    Sw,
    Swl,
    Swr,
    Sc,
    Syscall,
    /// Received by no chip.
    Unprovable = 255,
}

/// Control-flow and operand flags of a ROM entry, packed into one field of the `program`
/// message. The CPU holds each as a boolean column, so the packing is unique.
pub mod flag {
    /// Operand `b` is the immediate, not register `rb`.
    pub const B_IMM: u32 = 1 << 0;
    /// The instruction dispatches `op` to an opcode chip.
    pub const DISPATCH: u32 = 1 << 1;
    /// The CPU writes register `rw`.
    pub const WRITE: u32 = 1 << 2;
    /// The value written is the link address held in `imm` (`JAL`, `JALR`, `BGEZAL`, …).
    pub const LINK: u32 = 1 << 3;
    /// A conditional branch: taken when the chip answers `c[0] = 1`.
    pub const BRANCH: u32 = 1 << 4;
    /// An unconditional jump to `target`.
    pub const JUMP: u32 = 1 << 5;
    /// A jump to the value of register `ra`.
    pub const JUMP_REG: u32 = 1 << 6;
    /// A branch-likely: not taken, it skips its delay slot.
    pub const LIKELY: u32 = 1 << 7;
    /// `SYSCALL`.
    pub const SYSCALL: u32 = 1 << 8;
    pub const COUNT: usize = 9;
}

/// One instruction as the CPU chip executes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RomEntry {
    pub pc: u32,
    pub op: u8,
    /// Register read as operand `a` (0..=34; `$zero` when unused).
    pub ra: u8,
    /// Register read as operand `b`, unless [`flag::B_IMM`].
    pub rb: u8,
    /// Register written, if [`flag::WRITE`].
    pub rw: u8,
    pub flags: u32,
    /// The static target of a branch or `J`/`JAL`.
    pub target: u32,
    /// The immediate operand, or the link address.
    pub imm: u32,
    /// A chip-specific constant: the 16-bit offset of a load or store, the position and
    /// size of `EXT`/`INS`, the destination of `MOVZ`/`MOVN`.
    pub aux: u32,
}

/// A static branch or jump target as the ROM names it. One at or above 0x7f000000 (a
/// branch whose offset wraps past 0, which Go's text holds in code never taken) would
/// alias modulo p, 0x7f000000 itself being -1, the trampoline's landing PC. Linux faults
/// there; the ROM names 1 instead, where no instruction lies, so a taken one cannot go
/// on either (found by review).
fn static_target(t: u32) -> u32 {
    if t >= 0x7f00_0000 {
        1
    } else {
        t
    }
}

/// The ROM entry for `ins` at `pc`, outside a delay slot.
pub fn translate(pc: u32, ins: &Instr) -> RomEntry {
    translate_at(pc, ins, false)
}

/// The ROM entry for `ins` at `pc`; `in_delay_slot` when the instruction before it is a
/// branch or jump. A load's or store's `target` is the PC Linux reports when it faults:
/// its own, or in a delay slot the branch's (the fault restarts the branch).
pub fn translate_at(pc: u32, ins: &Instr, in_delay_slot: bool) -> RomEntry {
    use flag::*;
    let (rs, rt, rd) = (ins.rs, ins.rt, ins.rd);
    let link = pc.wrapping_add(8);
    let branch_target = pc.wrapping_add(4).wrapping_add(ins.imm);
    let mut e = RomEntry {
        pc,
        ..RomEntry::default()
    };
    // A register-to-register operation: `rw = op(ra, rb)`; a write to $zero has no
    // effect, but the operation is still dispatched when it can trap.
    let rr = |e: &mut RomEntry, op: Opcode, ra: u8, rb: u8, rw: u8, traps: bool| {
        e.op = op as u8;
        e.ra = ra;
        e.rb = rb;
        if rw != 0 {
            e.rw = rw;
            e.flags |= WRITE | DISPATCH;
        } else if traps {
            e.flags |= DISPATCH;
        } else {
            e.op = 0;
        }
    };
    let ri = |e: &mut RomEntry, op: Opcode, ra: u8, imm: u32, rw: u8, traps: bool| {
        rr(e, op, ra, 0, rw, traps);
        e.flags |= B_IMM;
        e.imm = imm;
    };
    let branch = |e: &mut RomEntry, op: Opcode, rb: u8, likely: bool, links: bool| {
        e.op = op as u8;
        e.ra = rs;
        e.rb = rb;
        e.target = static_target(branch_target);
        e.flags |= DISPATCH | BRANCH;
        if likely {
            e.flags |= LIKELY;
        }
        if links {
            e.rw = 31;
            e.imm = link;
            e.flags |= WRITE | LINK;
        }
    };
    // Loads read rt only to merge into it (LWL, LWR); stores read it as the value.
    let mem = |e: &mut RomEntry, op: Opcode, rw: u8| {
        e.op = op as u8;
        e.ra = rs;
        use Opcode::*;
        if matches!(op, Sb | Sh | Sw | Swl | Swr | Sc | Lwl | Lwr) {
            e.rb = rt;
        }
        e.aux = ins.imm & 0xffff;
        e.target = if in_delay_slot {
            pc.wrapping_sub(4)
        } else {
            pc
        };
        e.flags |= DISPATCH;
        if rw != 0 {
            e.rw = rw;
            e.flags |= WRITE;
        }
    };
    let chip = |e: &mut RomEntry, op: Opcode, ra: u8, rb: u8| {
        e.op = op as u8;
        e.ra = ra;
        e.rb = rb;
        e.flags |= DISPATCH;
    };
    match ins.op {
        Op::Sll => ri(&mut e, Opcode::Sll, rt, ins.sa as u32, rd, false),
        Op::Srl => ri(&mut e, Opcode::Srl, rt, ins.sa as u32, rd, false),
        Op::Sra => ri(&mut e, Opcode::Sra, rt, ins.sa as u32, rd, false),
        Op::Rotr => ri(&mut e, Opcode::Rotr, rt, ins.sa as u32, rd, false),
        Op::Sllv => rr(&mut e, Opcode::Sll, rt, rs, rd, false),
        Op::Srlv => rr(&mut e, Opcode::Srl, rt, rs, rd, false),
        Op::Srav => rr(&mut e, Opcode::Sra, rt, rs, rd, false),
        Op::Rotrv => rr(&mut e, Opcode::Rotr, rt, rs, rd, false),
        Op::Jr | Op::Jalr => {
            e.ra = rs;
            e.flags |= JUMP_REG;
            if ins.op == Op::Jalr && rd != 0 {
                e.rw = rd;
                e.imm = link;
                e.flags |= WRITE | LINK;
            }
        }
        Op::Movz | Op::Movn if rd == 0 => {}
        // The chip writes rd (`aux`), where the condition holds. `rw` names it too, for
        // the record only: without the write flag the CPU does not access it.
        Op::Movz => {
            chip(&mut e, Opcode::Movz, rs, rt);
            e.aux = rd as u32;
            e.rw = rd;
        }
        Op::Movn => {
            chip(&mut e, Opcode::Movn, rs, rt);
            e.aux = rd as u32;
            e.rw = rd;
        }
        // `aux`: where the call returns, `pc + 4` (a new thread starts there).
        Op::Syscall => {
            chip(&mut e, Opcode::Syscall, 0, 0);
            e.flags |= SYSCALL;
            e.aux = pc.wrapping_add(4);
        }
        Op::Sync | Op::Synci | Op::Pref => {}
        Op::Mfhi => ri(&mut e, Opcode::Or, REG_HI, 0, rd, false),
        Op::Mflo => ri(&mut e, Opcode::Or, REG_LO, 0, rd, false),
        Op::Mthi => ri(&mut e, Opcode::Or, rs, 0, REG_HI, false),
        Op::Mtlo => ri(&mut e, Opcode::Or, rs, 0, REG_LO, false),
        Op::Mult => chip(&mut e, Opcode::Mult, rs, rt),
        Op::Multu => chip(&mut e, Opcode::Multu, rs, rt),
        Op::Div => chip(&mut e, Opcode::Div, rs, rt),
        Op::Divu => chip(&mut e, Opcode::Divu, rs, rt),
        Op::Madd => chip(&mut e, Opcode::Madd, rs, rt),
        Op::Maddu => chip(&mut e, Opcode::Maddu, rs, rt),
        Op::Msub => chip(&mut e, Opcode::Msub, rs, rt),
        Op::Msubu => chip(&mut e, Opcode::Msubu, rs, rt),
        Op::Add => rr(&mut e, Opcode::AddTrap, rs, rt, rd, true),
        Op::Addu => rr(&mut e, Opcode::Add, rs, rt, rd, false),
        Op::Sub => rr(&mut e, Opcode::SubTrap, rs, rt, rd, true),
        Op::Subu => rr(&mut e, Opcode::Sub, rs, rt, rd, false),
        Op::And => rr(&mut e, Opcode::And, rs, rt, rd, false),
        Op::Or => rr(&mut e, Opcode::Or, rs, rt, rd, false),
        Op::Xor => rr(&mut e, Opcode::Xor, rs, rt, rd, false),
        Op::Nor => rr(&mut e, Opcode::Nor, rs, rt, rd, false),
        Op::Slt => rr(&mut e, Opcode::Slt, rs, rt, rd, false),
        Op::Sltu => rr(&mut e, Opcode::Sltu, rs, rt, rd, false),
        Op::Tge => rr(&mut e, Opcode::Tge, rs, rt, 0, true),
        Op::Tgeu => rr(&mut e, Opcode::Tgeu, rs, rt, 0, true),
        Op::Tlt => rr(&mut e, Opcode::Tlt, rs, rt, 0, true),
        Op::Tltu => rr(&mut e, Opcode::Tltu, rs, rt, 0, true),
        Op::Teq => rr(&mut e, Opcode::Teq, rs, rt, 0, true),
        Op::Tne => rr(&mut e, Opcode::Tne, rs, rt, 0, true),
        Op::Tgei => ri(&mut e, Opcode::Tge, rs, ins.imm, 0, true),
        Op::Tgeiu => ri(&mut e, Opcode::Tgeu, rs, ins.imm, 0, true),
        Op::Tlti => ri(&mut e, Opcode::Tlt, rs, ins.imm, 0, true),
        Op::Tltiu => ri(&mut e, Opcode::Tltu, rs, ins.imm, 0, true),
        Op::Teqi => ri(&mut e, Opcode::Teq, rs, ins.imm, 0, true),
        Op::Tnei => ri(&mut e, Opcode::Tne, rs, ins.imm, 0, true),
        Op::Bltz => branch(&mut e, Opcode::Bltz, 0, false, false),
        Op::Bgez => branch(&mut e, Opcode::Bgez, 0, false, false),
        Op::Bltzl => branch(&mut e, Opcode::Bltz, 0, true, false),
        Op::Bgezl => branch(&mut e, Opcode::Bgez, 0, true, false),
        Op::Bltzal => branch(&mut e, Opcode::Bltz, 0, false, true),
        Op::Bgezal => branch(&mut e, Opcode::Bgez, 0, false, true),
        Op::Bltzall => branch(&mut e, Opcode::Bltz, 0, true, true),
        Op::Bgezall => branch(&mut e, Opcode::Bgez, 0, true, true),
        Op::Beq => branch(&mut e, Opcode::Beq, rt, false, false),
        Op::Bne => branch(&mut e, Opcode::Bne, rt, false, false),
        Op::Blez => branch(&mut e, Opcode::Blez, 0, false, false),
        Op::Bgtz => branch(&mut e, Opcode::Bgtz, 0, false, false),
        Op::Beql => branch(&mut e, Opcode::Beq, rt, true, false),
        Op::Bnel => branch(&mut e, Opcode::Bne, rt, true, false),
        Op::Blezl => branch(&mut e, Opcode::Blez, 0, true, false),
        Op::Bgtzl => branch(&mut e, Opcode::Bgtz, 0, true, false),
        Op::J | Op::Jal => {
            e.target = static_target((pc.wrapping_add(4) & 0xf000_0000) | ins.imm);
            e.flags |= JUMP;
            if ins.op == Op::Jal {
                e.rw = 31;
                e.imm = link;
                e.flags |= WRITE | LINK;
            }
        }
        Op::Addi => ri(&mut e, Opcode::AddTrap, rs, ins.imm, rt, true),
        Op::Addiu => ri(&mut e, Opcode::Add, rs, ins.imm, rt, false),
        Op::Slti => ri(&mut e, Opcode::Slt, rs, ins.imm, rt, false),
        Op::Sltiu => ri(&mut e, Opcode::Sltu, rs, ins.imm, rt, false),
        Op::Andi => ri(&mut e, Opcode::And, rs, ins.imm, rt, false),
        Op::Ori => ri(&mut e, Opcode::Or, rs, ins.imm, rt, false),
        Op::Xori => ri(&mut e, Opcode::Xor, rs, ins.imm, rt, false),
        Op::Lui => ri(&mut e, Opcode::Or, 0, ins.imm, rt, false),
        Op::Mul => rr(&mut e, Opcode::Mul, rs, rt, rd, false),
        Op::Clz => rr(&mut e, Opcode::Clz, rs, 0, rd, false),
        Op::Clo => rr(&mut e, Opcode::Clo, rs, 0, rd, false),
        Op::Ext => {
            // A field past bit 31 is a reserved instruction in the VM.
            if ins.sa as u32 + ins.rd as u32 + 1 > 32 {
                e.op = Opcode::Unprovable as u8;
                e.flags = DISPATCH;
            } else {
                rr(&mut e, Opcode::Ext, rs, 0, rt, false);
                e.aux = ins.sa as u32 | (ins.rd as u32 + 1) << 8;
            }
        }
        // A field that ends below its start is UNPREDICTABLE: not provable.
        Op::Ins if ins.rd < ins.sa => {
            e.op = Opcode::Unprovable as u8;
            e.flags = DISPATCH;
        }
        Op::Ins => {
            rr(&mut e, Opcode::Ins, rs, rt, rt, false);
            e.aux = ins.sa as u32 | (ins.rd as u32 + 1 - ins.sa as u32) << 8;
        }
        Op::Wsbh => rr(&mut e, Opcode::Wsbh, rt, 0, rd, false),
        Op::Seb => rr(&mut e, Opcode::Seb, rt, 0, rd, false),
        Op::Seh => rr(&mut e, Opcode::Seh, rt, 0, rd, false),
        Op::Lb => mem(&mut e, Opcode::Lb, rt),
        Op::Lbu => mem(&mut e, Opcode::Lbu, rt),
        Op::Lh => mem(&mut e, Opcode::Lh, rt),
        Op::Lhu => mem(&mut e, Opcode::Lhu, rt),
        Op::Lw => mem(&mut e, Opcode::Lw, rt),
        Op::Lwl => mem(&mut e, Opcode::Lwl, rt),
        Op::Lwr => mem(&mut e, Opcode::Lwr, rt),
        Op::Ll => mem(&mut e, Opcode::Ll, rt),
        Op::Sb => mem(&mut e, Opcode::Sb, 0),
        Op::Sh => mem(&mut e, Opcode::Sh, 0),
        Op::Sw => mem(&mut e, Opcode::Sw, 0),
        Op::Swl => mem(&mut e, Opcode::Swl, 0),
        Op::Swr => mem(&mut e, Opcode::Swr, 0),
        Op::Sc => mem(&mut e, Opcode::Sc, rt),
        Op::Break | Op::Cache | Op::Rdhwr | Op::Reserved | Op::NotExecutable => {
            e.op = Opcode::Unprovable as u8;
            e.flags = DISPATCH;
        }
    }
    e
}

/// The ROM's preprocessed columns: the fields of one [`RomEntry`].
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct RomCols<T> {
    /// 1 on rows that hold an instruction, 0 on padding.
    pub real: T,
    pub pc: T,
    pub op: T,
    pub ra: T,
    pub rb: T,
    pub rw: T,
    pub flags: T,
    pub target: T,
    pub imm: [T; 4],
    pub aux: T,
}

/// The ROM's main column.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct RomMainCols<T> {
    /// How many times the instruction was executed.
    pub mult: T,
}

pub const ROM_WIDTH: usize = RomCols::<u8>::WIDTH;
pub const ROM_MAIN_WIDTH: usize = RomMainCols::<u8>::WIDTH;

columns!(RomCols);
columns!(RomMainCols);

/// The `program` message: the fields the CPU looks up, in order.
#[allow(clippy::too_many_arguments)]
pub fn rom_message<E>(
    pc: E,
    op: E,
    ra: E,
    rb: E,
    rw: E,
    flags: E,
    target: E,
    imm: [E; 4],
    aux: E,
) -> Vec<E> {
    let [i0, i1, i2, i3] = imm;
    vec![pc, op, ra, rb, rw, flags, target, i0, i1, i2, i3, aux]
}

/// The program ROM chip.
#[derive(Clone, Debug)]
pub struct ProgramChip {
    /// The entries in address order.
    pub entries: Vec<RomEntry>,
    /// Rows: `entries.len()` rounded up to a power of two.
    pub height: usize,
}

impl ProgramChip {
    pub fn new(entries: Vec<RomEntry>) -> ProgramChip {
        let height = entries.len().next_power_of_two().max(4);
        ProgramChip { entries, height }
    }

    /// The row of the entry at `pc`.
    pub fn row_of(&self, pc: u32) -> Option<usize> {
        self.entries.binary_search_by_key(&pc, |e| e.pc).ok()
    }

    /// The main trace: how often each instruction ran, from per-row counts.
    pub fn generate_trace(&self, counts: &[u32]) -> RowMajorMatrix<Val> {
        let mut values = Val::zero_vec(self.height * ROM_MAIN_WIDTH);
        for (i, &c) in counts.iter().enumerate() {
            let row: &mut RomMainCols<Val> =
                values[i * ROM_MAIN_WIDTH..(i + 1) * ROM_MAIN_WIDTH].borrow_mut();
            row.mult = Val::from_u32(c);
        }
        RowMajorMatrix::new(values, ROM_MAIN_WIDTH)
    }
}

impl BaseAir<Val> for ProgramChip {
    fn width(&self) -> usize {
        ROM_MAIN_WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let mut values = Val::zero_vec(self.height * ROM_WIDTH);
        for (i, e) in self.entries.iter().enumerate() {
            let row = &mut values[i * ROM_WIDTH..(i + 1) * ROM_WIDTH];
            let imm = e.imm.to_le_bytes();
            let fields = [
                1,
                e.pc,
                e.op as u32,
                e.ra as u32,
                e.rb as u32,
                e.rw as u32,
                e.flags,
                e.target,
                imm[0] as u32,
                imm[1] as u32,
                imm[2] as u32,
                imm[3] as u32,
                e.aux,
            ];
            for (dst, v) in row.iter_mut().zip(fields) {
                *dst = Val::from_u32(v);
            }
        }
        Some(RowMajorMatrix::new(values, ROM_WIDTH))
    }

    fn preprocessed_width(&self) -> usize {
        ROM_WIDTH
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ProgramChip {
    fn eval(&self, b: &mut AB) {
        let pre = b.preprocessed().clone();
        let p: &RomCols<AB::Var> = pre.current_slice().borrow();
        let main = b.main();
        let m: &RomMainCols<AB::Var> = main.current_slice().borrow();
        let p = *p;
        let mult: Expr<AB> = m.mult.into();
        // Padding rows hold no instruction and may not be looked up.
        if kept("program.padding") {
            b.assert_zero(mult.clone() * (Expr::<AB>::ONE - p.real.into()));
        }
        let key = rom_key::<AB>(&p);
        // `soundness::messages_on_another_bus_do_not_cancel` has the ROM answer on the
        // memory bus (a forgery, not a knock-out: `kept` is only the switch).
        let own_bus = kept("program.own_bus");
        let bus = if own_bus { bus::PROGRAM } else { bus::MEMORY };
        b.push_interaction(bus, key, p3_lookup::Count::provided(-mult));
    }
}

/// The `program` message of a ROM row.
fn rom_key<AB: AirBuilder>(p: &RomCols<AB::Var>) -> Vec<Expr<AB>> {
    rom_message(
        p.pc.into(),
        p.op.into(),
        p.ra.into(),
        p.rb.into(),
        p.rw.into(),
        p.flags.into(),
        p.target.into(),
        p.imm.map(Into::into),
        p.aux.into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::decode::decode;

    #[test]
    fn writes_to_zero_are_dropped_but_traps_still_dispatch() {
        // addu $zero, $t0, $t1: nothing to do.
        let e = translate(0x400000, &decode(0x0109_0021));
        assert_eq!((e.op, e.flags), (0, 0));
        // add $zero, $t0, $t1 still traps on overflow: dispatched, not written.
        let e = translate(0x400000, &decode(0x0109_0020));
        assert_eq!(e.op, Opcode::AddTrap as u8);
        assert_eq!(e.flags, flag::DISPATCH);
    }

    #[test]
    fn targets_that_would_alias_name_no_instruction() {
        // beq $t0, $t1, -0x8000 words at 0x10000: the target wraps to 0xfffe0004, above
        // 0x7f000000, and the ROM names 1 instead.
        let e = translate(0x10000, &decode(0x1109_8000));
        assert_eq!(e.target, 1);
        // A load's target is its fault PC: its own, or in a delay slot the branch's.
        let lw = decode(0x8c82_0008);
        assert_eq!(translate_at(0x400010, &lw, false).target, 0x400010);
        assert_eq!(translate_at(0x400010, &lw, true).target, 0x40000c);
    }

    #[test]
    fn links_and_targets_are_static() {
        // jal 0x400100 at 0x400000
        let e = translate(0x400000, &decode(0x0c10_0040));
        assert_eq!(e.target, 0x400100);
        assert_eq!(e.imm, 0x400008);
        assert_eq!(e.rw, 31);
        assert_eq!(e.flags, flag::JUMP | flag::WRITE | flag::LINK);
        // beq $t0, $t1, -1 words
        let e = translate(0x400010, &decode(0x1109_ffff));
        assert_eq!(e.target, 0x400010);
        assert_eq!(e.flags, flag::DISPATCH | flag::BRANCH);
    }

    #[test]
    fn break_is_unprovable() {
        let e = translate(0, &decode(0x0000_000d));
        assert_eq!(e.op, Opcode::Unprovable as u8);
    }
}
