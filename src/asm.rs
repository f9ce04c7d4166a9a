//! A small MIPS32r2 assembler and static-ELF writer, for test programs, the differential
//! ISA test and benchmarks: `Asm` collects instructions (with labels for branches and
//! jumps) and a data segment, and [`Asm::elf`] writes a big-endian static executable that
//! `zkm run`, `zkm prove` and `qemu-mips` all accept.
//!
//! ```
//! use zkm::asm::{Asm, reg::*};
//! let mut a = Asm::new();
//! a.li(A0, 7);                 // exit status
//! a.li(V0, 4246);              // exit_group
//! a.syscall();
//! let elf = a.elf();
//! assert!(zkm::elf::Program::parse(&elf).is_ok());
//! ```

use std::collections::HashMap;

/// Where the code is loaded.
pub const TEXT_BASE: u32 = 0x0040_0000;
/// Where the data segment is loaded.
pub const DATA_BASE: u32 = 0x1000_0000;

/// Register numbers by their o32 names.
pub mod reg {
    pub const ZERO: u8 = 0;
    pub const AT: u8 = 1;
    pub const V0: u8 = 2;
    pub const V1: u8 = 3;
    pub const A0: u8 = 4;
    pub const A1: u8 = 5;
    pub const A2: u8 = 6;
    pub const A3: u8 = 7;
    pub const T0: u8 = 8;
    pub const T1: u8 = 9;
    pub const T2: u8 = 10;
    pub const T3: u8 = 11;
    pub const T4: u8 = 12;
    pub const T5: u8 = 13;
    pub const T6: u8 = 14;
    pub const T7: u8 = 15;
    pub const S0: u8 = 16;
    pub const S1: u8 = 17;
    pub const S2: u8 = 18;
    pub const S3: u8 = 19;
    pub const S4: u8 = 20;
    pub const S5: u8 = 21;
    pub const S6: u8 = 22;
    pub const S7: u8 = 23;
    pub const T8: u8 = 24;
    pub const T9: u8 = 25;
    pub const K0: u8 = 26;
    pub const K1: u8 = 27;
    pub const GP: u8 = 28;
    pub const SP: u8 = 29;
    pub const FP: u8 = 30;
    pub const RA: u8 = 31;
}

/// Instruction encodings.
pub mod enc {
    /// A SPECIAL (R-type) instruction.
    pub fn r(funct: u32, rd: u8, rs: u8, rt: u8, sa: u8) -> u32 {
        (rs as u32) << 21 | (rt as u32) << 16 | (rd as u32) << 11 | (sa as u32 & 31) << 6 | funct
    }
    /// An I-type instruction.
    pub fn i(op: u32, rt: u8, rs: u8, imm: u16) -> u32 {
        op << 26 | (rs as u32) << 21 | (rt as u32) << 16 | imm as u32
    }
    /// A REGIMM instruction (`BLTZ`, `BGEZAL`, `TEQI`, …) with sub-opcode `sub`.
    pub fn regimm(sub: u32, rs: u8, imm: u16) -> u32 {
        1 << 26 | (rs as u32) << 21 | sub << 16 | imm as u32
    }
    /// A SPECIAL2 instruction (`MUL`, `MADD`, `CLZ`, …).
    pub fn special2(funct: u32, rd: u8, rs: u8, rt: u8) -> u32 {
        28 << 26 | (rs as u32) << 21 | (rt as u32) << 16 | (rd as u32) << 11 | funct
    }
    /// A SPECIAL3 instruction (`EXT`, `INS`, `SEB`, …).
    pub fn special3(funct: u32, rd: u8, rs: u8, rt: u8, sa: u8) -> u32 {
        31 << 26
            | (rs as u32) << 21
            | (rt as u32) << 16
            | (rd as u32) << 11
            | (sa as u32) << 6
            | funct
    }
    pub fn j(op: u32, target: u32) -> u32 {
        op << 26 | (target >> 2) & 0x03ff_ffff
    }

    pub const NOP: u32 = 0;
    pub const SYSCALL: u32 = 12;
}

#[derive(Clone, Copy, Debug)]
enum Fix {
    /// A 16-bit branch offset.
    Branch,
    /// A 26-bit jump target.
    Jump,
    /// `LUI`/`ORI` pair loading a label's address.
    Address,
}

/// A program under construction.
#[derive(Clone, Debug, Default)]
pub struct Asm {
    code: Vec<u32>,
    labels: HashMap<String, u32>,
    fixups: Vec<(usize, String, Fix)>,
    data: Vec<u8>,
    bss: u32,
}

macro_rules! rtype {
    ($($name:ident = $funct:expr),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " rd, rs, rt`")]
        pub fn $name(&mut self, rd: u8, rs: u8, rt: u8) -> &mut Self {
            self.emit(enc::r($funct, rd, rs, rt, 0))
        }
    )*};
}

macro_rules! itype {
    ($($name:ident = $op:expr),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " rt, rs, imm`")]
        pub fn $name(&mut self, rt: u8, rs: u8, imm: u16) -> &mut Self {
            self.emit(enc::i($op, rt, rs, imm))
        }
    )*};
}

macro_rules! memop {
    ($($name:ident = $op:expr),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " rt, offset(base)`")]
        pub fn $name(&mut self, rt: u8, offset: i16, base: u8) -> &mut Self {
            self.emit(enc::i($op, rt, base, offset as u16))
        }
    )*};
}

macro_rules! shift {
    ($($name:ident = ($funct:expr, $rs:expr)),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " rd, rt, sa`")]
        pub fn $name(&mut self, rd: u8, rt: u8, sa: u8) -> &mut Self {
            self.emit(enc::r($funct, rd, $rs, rt, sa))
        }
    )*};
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    /// Appends a raw instruction word.
    pub fn emit(&mut self, word: u32) -> &mut Self {
        self.code.push(word);
        self
    }

    /// The address of the next instruction.
    pub fn here(&self) -> u32 {
        TEXT_BASE + 4 * self.code.len() as u32
    }

    /// Instructions so far.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// Defines `name` at the next instruction.
    pub fn label(&mut self, name: &str) -> &mut Self {
        self.labels.insert(name.to_string(), self.here());
        self
    }

    /// Appends bytes to the data segment and defines `name` at them (4-byte aligned).
    pub fn data(&mut self, name: &str, bytes: &[u8]) -> &mut Self {
        // BSS labels lie after the data as it stands when they are made.
        assert_eq!(
            self.bss, 0,
            "Asm::data({name}) after Asm::bss would overlap the BSS"
        );
        while self.data.len() % 4 != 0 {
            self.data.push(0);
        }
        self.labels
            .insert(name.to_string(), DATA_BASE + self.data.len() as u32);
        self.data.extend_from_slice(bytes);
        self
    }

    /// Reserves `len` zero bytes after the data (BSS) and defines `name` there.
    pub fn bss(&mut self, name: &str, len: u32) -> &mut Self {
        let start = (self.data.len() as u32).div_ceil(4) * 4 + self.bss;
        self.labels.insert(name.to_string(), DATA_BASE + start);
        self.bss += len.div_ceil(4) * 4;
        self
    }

    fn fixup(&mut self, word: u32, label: &str, fix: Fix) -> &mut Self {
        self.fixups.push((self.code.len(), label.to_string(), fix));
        self.emit(word)
    }

    rtype! {
        add = 32, addu = 33, sub = 34, subu = 35, and = 36, or = 37, xor = 38, nor = 39,
        slt = 42, sltu = 43, movz = 10, movn = 11,
    }
    itype! {
        addi = 8, addiu = 9, slti = 10, sltiu = 11, andi = 12, ori = 13, xori = 14,
    }
    memop! {
        lb = 32, lh = 33, lwl = 34, lw = 35, lbu = 36, lhu = 37, lwr = 38,
        sb = 40, sh = 41, swl = 42, sw = 43, swr = 46, ll = 48, sc = 56,
    }
    shift! {
        sll = (0, 0), srl = (2, 0), rotr = (2, 1), sra = (3, 0),
    }

    /// `sllv rd, rt, rs` (and `srlv`, `srav`, `rotrv`): shift `rt` by `rs`.
    pub fn sllv(&mut self, rd: u8, rt: u8, rs: u8) -> &mut Self {
        self.emit(enc::r(4, rd, rs, rt, 0))
    }
    pub fn srlv(&mut self, rd: u8, rt: u8, rs: u8) -> &mut Self {
        self.emit(enc::r(6, rd, rs, rt, 0))
    }
    pub fn rotrv(&mut self, rd: u8, rt: u8, rs: u8) -> &mut Self {
        self.emit(enc::r(6, rd, rs, rt, 1))
    }
    pub fn srav(&mut self, rd: u8, rt: u8, rs: u8) -> &mut Self {
        self.emit(enc::r(7, rd, rs, rt, 0))
    }
    /// A trap on two registers (`TGE` 0x30, `TGEU` 0x31, `TLT` 0x32, `TLTU` 0x33, `TEQ`
    /// 0x34, `TNE` 0x36).
    pub fn trap(&mut self, funct: u32, rs: u8, rt: u8) -> &mut Self {
        self.emit(enc::r(funct, 0, rs, rt, 0))
    }
    /// A trap on a register and an immediate (`TGEI` 8, `TGEIU` 9, `TLTI` 10, `TLTIU` 11,
    /// `TEQI` 12, `TNEI` 14).
    pub fn trap_imm(&mut self, sub: u32, rs: u8, imm: u16) -> &mut Self {
        self.emit(enc::regimm(sub, rs, imm))
    }
    /// `MULT` 0x18, `MULTU` 0x19, `DIV` 0x1a, `DIVU` 0x1b: into HI and LO.
    pub fn muldiv(&mut self, funct: u32, rs: u8, rt: u8) -> &mut Self {
        self.emit(enc::r(funct, 0, rs, rt, 0))
    }
    /// `MADD` 0, `MADDU` 1, `MSUB` 4, `MSUBU` 5: into HI and LO.
    pub fn madd(&mut self, funct: u32, rs: u8, rt: u8) -> &mut Self {
        self.emit(enc::special2(funct, 0, rs, rt))
    }
    /// `mul rd, rs, rt`.
    pub fn mul(&mut self, rd: u8, rs: u8, rt: u8) -> &mut Self {
        self.emit(enc::special2(2, rd, rs, rt))
    }
    /// `clz rd, rs` and `clo rd, rs`.
    pub fn clz(&mut self, rd: u8, rs: u8) -> &mut Self {
        self.emit(enc::special2(0x20, rd, rs, rd))
    }
    pub fn clo(&mut self, rd: u8, rs: u8) -> &mut Self {
        self.emit(enc::special2(0x21, rd, rs, rd))
    }
    /// `seb rd, rt` (`SEH` with `sa` 0x18, `WSBH` with 0x02).
    pub fn bshfl(&mut self, sa: u8, rd: u8, rt: u8) -> &mut Self {
        self.emit(enc::special3(0x20, rd, 0, rt, sa))
    }
    /// `ext rt, rs, pos, size`.
    pub fn ext(&mut self, rt: u8, rs: u8, pos: u8, size: u8) -> &mut Self {
        self.emit(enc::special3(0, size - 1, rs, rt, pos))
    }
    /// `ins rt, rs, pos, size`.
    pub fn ins(&mut self, rt: u8, rs: u8, pos: u8, size: u8) -> &mut Self {
        self.emit(enc::special3(4, pos + size - 1, rs, rt, pos))
    }
    pub fn lui(&mut self, rt: u8, imm: u16) -> &mut Self {
        self.emit(enc::i(15, rt, 0, imm))
    }
    pub fn nop(&mut self) -> &mut Self {
        self.emit(enc::NOP)
    }
    pub fn syscall(&mut self) -> &mut Self {
        self.emit(enc::SYSCALL)
    }
    pub fn jr(&mut self, rs: u8) -> &mut Self {
        self.emit(enc::r(8, 0, rs, 0, 0))
    }
    pub fn jalr(&mut self, rd: u8, rs: u8) -> &mut Self {
        self.emit(enc::r(9, rd, rs, 0, 0))
    }
    pub fn mfhi(&mut self, rd: u8) -> &mut Self {
        self.emit(enc::r(16, rd, 0, 0, 0))
    }
    pub fn mthi(&mut self, rs: u8) -> &mut Self {
        self.emit(enc::r(17, 0, rs, 0, 0))
    }
    pub fn mflo(&mut self, rd: u8) -> &mut Self {
        self.emit(enc::r(18, rd, 0, 0, 0))
    }
    pub fn mtlo(&mut self, rs: u8) -> &mut Self {
        self.emit(enc::r(19, 0, rs, 0, 0))
    }

    /// `beq rs, rt, label` (and the other two-register branches, by opcode).
    pub fn branch2(&mut self, op: u32, rs: u8, rt: u8, label: &str) -> &mut Self {
        self.fixup(enc::i(op, rt, rs, 0), label, Fix::Branch)
    }
    pub fn beq(&mut self, rs: u8, rt: u8, label: &str) -> &mut Self {
        self.branch2(4, rs, rt, label)
    }
    pub fn bne(&mut self, rs: u8, rt: u8, label: &str) -> &mut Self {
        self.branch2(5, rs, rt, label)
    }
    pub fn blez(&mut self, rs: u8, label: &str) -> &mut Self {
        self.branch2(6, rs, 0, label)
    }
    pub fn bgtz(&mut self, rs: u8, label: &str) -> &mut Self {
        self.branch2(7, rs, 0, label)
    }
    /// A REGIMM branch (`BLTZ` 0, `BGEZ` 1, `BLTZL` 2, `BGEZL` 3, `BLTZAL` 16, …).
    pub fn regimm_branch(&mut self, sub: u32, rs: u8, label: &str) -> &mut Self {
        self.fixup(enc::regimm(sub, rs, 0), label, Fix::Branch)
    }
    pub fn bltz(&mut self, rs: u8, label: &str) -> &mut Self {
        self.regimm_branch(0, rs, label)
    }
    pub fn bgez(&mut self, rs: u8, label: &str) -> &mut Self {
        self.regimm_branch(1, rs, label)
    }
    pub fn j(&mut self, label: &str) -> &mut Self {
        self.fixup(enc::j(2, 0), label, Fix::Jump)
    }
    pub fn jal(&mut self, label: &str) -> &mut Self {
        self.fixup(enc::j(3, 0), label, Fix::Jump)
    }

    /// Loads a 32-bit constant (`LUI` + `ORI`, always two instructions).
    pub fn li(&mut self, rt: u8, value: u32) -> &mut Self {
        self.lui(rt, (value >> 16) as u16);
        self.ori(rt, rt, value as u16)
    }

    /// Loads a label's address (`LUI` + `ORI`).
    pub fn la(&mut self, rt: u8, label: &str) -> &mut Self {
        self.fixup(enc::i(15, rt, 0, 0), label, Fix::Address);
        self.emit(enc::i(13, rt, rt, 0))
    }

    /// `exit_group(status)` from register `rs`.
    pub fn exit_reg(&mut self, rs: u8) -> &mut Self {
        self.or(reg::A0, rs, reg::ZERO);
        self.li(reg::V0, 4246);
        self.syscall()
    }

    /// `exit_group(status)`.
    pub fn exit(&mut self, status: u32) -> &mut Self {
        self.li(reg::A0, status);
        self.li(reg::V0, 4246);
        self.syscall()
    }

    /// The code with every label resolved.
    pub fn code(&self) -> Result<Vec<u32>, String> {
        let mut code = self.code.clone();
        for (at, label, fix) in &self.fixups {
            let target = *self
                .labels
                .get(label)
                .ok_or_else(|| format!("undefined label {label}"))?;
            let pc = TEXT_BASE + 4 * *at as u32;
            match fix {
                Fix::Branch => {
                    let off = (target as i64 - (pc as i64 + 4)) / 4;
                    if !(-32768..32768).contains(&off) {
                        return Err(format!("branch to {label} out of range"));
                    }
                    code[*at] |= off as u16 as u32;
                }
                Fix::Jump => {
                    if (pc + 4) & 0xf000_0000 != target & 0xf000_0000 {
                        return Err(format!("jump to {label} leaves the 256 MiB region"));
                    }
                    code[*at] |= (target >> 2) & 0x03ff_ffff;
                }
                Fix::Address => {
                    code[*at] |= target >> 16;
                    code[*at + 1] |= target & 0xffff;
                }
            }
        }
        Ok(code)
    }

    /// The program as a static big-endian MIPS32 ELF: the code at [`TEXT_BASE`] (R-X),
    /// the data and BSS at [`DATA_BASE`] (RW-).
    ///
    /// # Panics
    /// If a label is undefined or out of range (a bug in the program being built).
    pub fn elf(&self) -> Vec<u8> {
        let code = self.code().unwrap_or_else(|e| panic!("{e}"));
        let text: Vec<u8> = code.iter().flat_map(|w| w.to_be_bytes()).collect();
        let mut data = self.data.clone();
        while data.len() % 4 != 0 {
            data.push(0);
        }
        write_elf(TEXT_BASE, &text, &data, data.len() as u32 + self.bss)
    }
}

/// Writes a static ELF with an R-X segment `text` at `text_base` (its entry) and an RW-
/// segment at [`DATA_BASE`] with `data` and `mem_size` bytes in all.
pub fn write_elf(text_base: u32, text: &[u8], data: &[u8], mem_size: u32) -> Vec<u8> {
    const EHDR: u32 = 52;
    const PHDR: u32 = 32;
    let phnum = 2u16;
    let text_off = 0x1000u32;
    let data_off = (text_off + text.len() as u32).div_ceil(0x1000) * 0x1000;
    let mut f = Vec::new();
    let w16 = |f: &mut Vec<u8>, v: u16| f.extend_from_slice(&v.to_be_bytes());
    let w32 = |f: &mut Vec<u8>, v: u32| f.extend_from_slice(&v.to_be_bytes());
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 2, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    w16(&mut f, 2); // ET_EXEC
    w16(&mut f, 8); // EM_MIPS
    w32(&mut f, 1);
    w32(&mut f, text_base); // entry
    w32(&mut f, EHDR); // phoff
    w32(&mut f, 0); // shoff
    w32(&mut f, 0x7000_1000); // e_flags: MIPS32r2, o32
    w16(&mut f, EHDR as u16);
    w16(&mut f, PHDR as u16);
    w16(&mut f, phnum);
    w16(&mut f, 40);
    w16(&mut f, 0);
    w16(&mut f, 0);
    // PT_LOAD text: R-X
    for (off, vaddr, filesz, memsz, flags) in [
        (
            text_off,
            text_base,
            text.len() as u32,
            text.len() as u32,
            5u32,
        ),
        (
            data_off,
            DATA_BASE,
            data.len() as u32,
            mem_size.max(4),
            6u32,
        ),
    ] {
        w32(&mut f, 1);
        w32(&mut f, off);
        w32(&mut f, vaddr);
        w32(&mut f, vaddr);
        w32(&mut f, filesz);
        w32(&mut f, memsz);
        w32(&mut f, flags);
        w32(&mut f, 0x1000);
    }
    f.resize(text_off as usize, 0);
    f.extend_from_slice(text);
    f.resize(data_off as usize, 0);
    f.extend_from_slice(data);
    f
}

/// Instructions per iteration of [`mix`]'s loop.
pub const MIX_LOOP: u64 = 17;

/// A workload for tests and benchmarks: a loop of `iterations` rounds mixing the common
/// instruction classes (add, logic, shifts, a multiply, a compare, word and byte loads and
/// stores, a branch with its delay slot), then a write of its checksum to fd 3 and an exit
/// with its low byte. It runs `17 iterations + 22` instructions.
pub fn mix(iterations: u32) -> Asm {
    use reg::*;
    let mut a = Asm::new();
    a.bss("buf", 16);
    a.la(S0, "buf");
    a.li(T0, iterations);
    a.li(T1, 0x9e37_79b9);
    a.li(S1, 0);
    a.label("loop");
    a.addiu(T0, T0, 0xffff);
    a.lw(T2, 0, S0);
    a.addu(T2, T2, T0);
    a.xor(T3, T2, T1);
    a.sll(T4, T3, 3);
    a.srl(T5, T3, 7);
    a.mul(T6, T4, T5);
    a.sltu(T7, T5, T4);
    a.addu(T1, T1, T6);
    a.sw(T2, 0, S0);
    a.sb(T3, 5, S0);
    a.lbu(T8, 5, S0);
    a.or(T1, T1, T8);
    a.andi(T9, T1, 0xff);
    a.addu(S1, S1, T9);
    a.bne(T0, ZERO, "loop");
    a.addu(S1, S1, T7);
    a.sw(S1, 8, S0);
    a.li(A0, 3);
    a.addiu(A1, S0, 8);
    a.li(A2, 4);
    a.li(V0, 4004);
    a.syscall();
    a.andi(S1, S1, 0xff);
    a.exit_reg(S1);
    a
}
