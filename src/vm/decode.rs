//! Decoding MIPS32 instruction words into [`Instr`], once, when the program is loaded.
//!
//! The interpreter never looks at raw bits: each word of every executable segment is
//! decoded up front into an [`Op`] (named as in the MIPS32 manual) with its register fields
//! and a pre-extended immediate. A word that is not a valid MIPS32r2 integer instruction
//! becomes [`Op::Reserved`], which stops the run only if it is ever executed.

/// An instruction, named as in "MIPS32 Architecture For Programmers, Volume II".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    // SPECIAL
    Sll,
    Srl,
    Rotr,
    Sra,
    Sllv,
    Srlv,
    Rotrv,
    Srav,
    Jr,
    Jalr,
    Movz,
    Movn,
    Syscall,
    Break,
    Sync,
    Mfhi,
    Mthi,
    Mflo,
    Mtlo,
    Mult,
    Multu,
    Div,
    Divu,
    Add,
    Addu,
    Sub,
    Subu,
    And,
    Or,
    Xor,
    Nor,
    Slt,
    Sltu,
    Tge,
    Tgeu,
    Tlt,
    Tltu,
    Teq,
    Tne,
    // REGIMM
    Bltz,
    Bgez,
    Bltzl,
    Bgezl,
    Bltzal,
    Bgezal,
    Bltzall,
    Bgezall,
    Tgei,
    Tgeiu,
    Tlti,
    Tltiu,
    Teqi,
    Tnei,
    Synci,
    // Jumps and branches
    J,
    Jal,
    Beq,
    Bne,
    Blez,
    Bgtz,
    Beql,
    Bnel,
    Blezl,
    Bgtzl,
    // Immediate ALU
    Addi,
    Addiu,
    Slti,
    Sltiu,
    Andi,
    Ori,
    Xori,
    Lui,
    // SPECIAL2
    Madd,
    Maddu,
    Mul,
    Msub,
    Msubu,
    Clz,
    Clo,
    // SPECIAL3
    Ext,
    Ins,
    Wsbh,
    Seb,
    Seh,
    Rdhwr,
    // Loads and stores
    Lb,
    Lh,
    Lwl,
    Lw,
    Lbu,
    Lhu,
    Lwr,
    Sb,
    Sh,
    Swl,
    Sw,
    Swr,
    Ll,
    Sc,
    Pref,
    Cache,
    /// Not a MIPS32r2 integer instruction (or a reserved field is non-zero).
    Reserved,
    /// The word is not in an executable segment.
    NotExecutable,
}

/// A decoded instruction. `imm` is already sign- or zero-extended as the opcode requires:
/// for branches it is the byte offset (`offset << 2`), for `J`/`JAL` the 28-bit region
/// offset (`target << 2`), for `LUI` the value `imm << 16`, for trap and break the code.
/// For `EXT`, `sa` is the position and `rd` the size minus one; for `INS`, `rd` is the msb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instr {
    pub op: Op,
    pub rs: u8,
    pub rt: u8,
    pub rd: u8,
    pub sa: u8,
    pub imm: u32,
    /// The original instruction word (for errors and the trace).
    pub word: u32,
}

impl Op {
    /// Whether the instruction is a branch or jump, whose next instruction is its delay slot.
    pub fn has_delay_slot(self) -> bool {
        use Op::*;
        matches!(
            self,
            Jr | Jalr
                | Bltz
                | Bgez
                | Bltzl
                | Bgezl
                | Bltzal
                | Bgezal
                | Bltzall
                | Bgezall
                | J
                | Jal
                | Beq
                | Bne
                | Blez
                | Bgtz
                | Beql
                | Bnel
                | Blezl
                | Bgtzl
        )
    }
}

impl Instr {
    /// The instruction standing for a word outside executable memory.
    pub const NOT_EXECUTABLE: Instr = Instr {
        op: Op::NotExecutable,
        rs: 0,
        rt: 0,
        rd: 0,
        sa: 0,
        imm: 0,
        word: 0,
    };
}

/// Decodes one big-endian instruction word.
pub fn decode(word: u32) -> Instr {
    let opcode = word >> 26;
    let rs = ((word >> 21) & 31) as u8;
    let rt = ((word >> 16) & 31) as u8;
    let rd = ((word >> 11) & 31) as u8;
    let sa = ((word >> 6) & 31) as u8;
    let funct = word & 63;
    let simm = (word as u16 as i16 as i32) as u32;
    let zimm = word & 0xffff;
    let mut imm = simm;
    use Op::*;
    let op = match opcode {
        0 => {
            let three_reg = |op| if sa == 0 { op } else { Reserved };
            match funct {
                0 if rs == 0 => Sll,
                2 if rs == 0 => Srl,
                2 if rs == 1 => Rotr,
                3 if rs == 0 => Sra,
                4 => three_reg(Sllv),
                6 if sa == 0 => Srlv,
                6 if sa == 1 => Rotrv,
                7 => three_reg(Srav),
                8 if rt == 0 && rd == 0 => Jr,
                9 if rt == 0 => Jalr,
                10 => three_reg(Movz),
                11 => three_reg(Movn),
                12 => {
                    imm = (word >> 6) & 0xfffff;
                    Syscall
                }
                13 => {
                    // The code Linux's `do_bp` sees: the 20-bit field, with its halves
                    // swapped when the upper one is used (assemblers put `break 7` there).
                    imm = (word >> 6) & 0xfffff;
                    if imm >= 1 << 10 {
                        imm = ((imm & 0x3ff) << 10) | (imm >> 10);
                    }
                    Break
                }
                15 if rs == 0 && rt == 0 && rd == 0 => Sync,
                16 if rs == 0 && rt == 0 && sa == 0 => Mfhi,
                17 if rt == 0 && rd == 0 && sa == 0 => Mthi,
                18 if rs == 0 && rt == 0 && sa == 0 => Mflo,
                19 if rt == 0 && rd == 0 && sa == 0 => Mtlo,
                24 if rd == 0 && sa == 0 => Mult,
                25 if rd == 0 && sa == 0 => Multu,
                26 if rd == 0 && sa == 0 => Div,
                27 if rd == 0 && sa == 0 => Divu,
                32 => three_reg(Add),
                33 => three_reg(Addu),
                34 => three_reg(Sub),
                35 => three_reg(Subu),
                36 => three_reg(And),
                37 => three_reg(Or),
                38 => three_reg(Xor),
                39 => three_reg(Nor),
                42 => three_reg(Slt),
                43 => three_reg(Sltu),
                48..=54 => {
                    imm = (word >> 6) & 0x3ff;
                    match funct {
                        48 => Tge,
                        49 => Tgeu,
                        50 => Tlt,
                        51 => Tltu,
                        52 => Teq,
                        54 => Tne,
                        _ => Reserved,
                    }
                }
                _ => Reserved,
            }
        }
        1 => {
            if rt <= 3 || (16..=19).contains(&rt) {
                imm = simm << 2;
            }
            match rt {
                0 => Bltz,
                1 => Bgez,
                2 => Bltzl,
                3 => Bgezl,
                8 => Tgei,
                9 => Tgeiu,
                10 => Tlti,
                11 => Tltiu,
                12 => Teqi,
                14 => Tnei,
                16 => Bltzal,
                17 => Bgezal,
                18 => Bltzall,
                19 => Bgezall,
                31 => Synci,
                _ => Reserved,
            }
        }
        2 | 3 => {
            imm = (word & 0x03ff_ffff) << 2;
            if opcode == 2 {
                J
            } else {
                Jal
            }
        }
        4..=7 | 20..=23 => {
            imm = simm << 2;
            match opcode {
                4 => Beq,
                5 => Bne,
                6 if rt == 0 => Blez,
                7 if rt == 0 => Bgtz,
                20 => Beql,
                21 => Bnel,
                22 if rt == 0 => Blezl,
                23 if rt == 0 => Bgtzl,
                _ => Reserved,
            }
        }
        8 => Addi,
        9 => Addiu,
        10 => Slti,
        11 => Sltiu,
        12 => {
            imm = zimm;
            Andi
        }
        13 => {
            imm = zimm;
            Ori
        }
        14 => {
            imm = zimm;
            Xori
        }
        15 if rs == 0 => {
            imm = zimm << 16;
            Lui
        }
        28 => match funct {
            0 if rd == 0 && sa == 0 => Madd,
            1 if rd == 0 && sa == 0 => Maddu,
            2 if sa == 0 => Mul,
            4 if rd == 0 && sa == 0 => Msub,
            5 if rd == 0 && sa == 0 => Msubu,
            32 if sa == 0 => Clz,
            33 if sa == 0 => Clo,
            _ => Reserved,
        },
        31 => match funct {
            0 => Ext,
            4 if rd >= sa => Ins,
            32 if rs == 0 => match sa {
                2 => Wsbh,
                16 => Seb,
                24 => Seh,
                _ => Reserved,
            },
            59 if rs == 0 && sa == 0 => Rdhwr,
            _ => Reserved,
        },
        32 => Lb,
        33 => Lh,
        34 => Lwl,
        35 => Lw,
        36 => Lbu,
        37 => Lhu,
        38 => Lwr,
        40 => Sb,
        41 => Sh,
        42 => Swl,
        43 => Sw,
        46 => Swr,
        47 => Cache,
        48 => Ll,
        51 => Pref,
        56 => Sc,
        _ => Reserved,
    };
    Instr {
        op,
        rs,
        rt,
        rd,
        sa,
        imm,
        word,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_table_of_words() {
        let cases: &[(u32, Op)] = &[
            (0x0000_0000, Op::Sll), // nop
            (0x0000_000c, Op::Syscall),
            (0x0000_000f, Op::Sync),
            (0x0085_1021, Op::Addu),
            (0x03e0_0008, Op::Jr),
            (0x0c00_0010, Op::Jal),
            (0x1000_ffff, Op::Beq),
            (0x2484_0001, Op::Addiu),
            (0x3c01_1234, Op::Lui),
            (0x8fbf_0010, Op::Lw),
            (0xafbf_0010, Op::Sw),
            (0xc082_0000, Op::Ll),
            (0xe082_0000, Op::Sc),
            (0x7082_1802, Op::Mul),
            (0x7080_1020, Op::Clz),
            (0x7c02_1c20, Op::Seb),
            (0x7c02_1e20, Op::Seh),
            (0x7c02_10a0, Op::Wsbh),
            (0x7c82_3800, Op::Ext),
            (0x7c82_3804, Op::Ins),
            (0x7c03_e83b, Op::Rdhwr),
            (0x0000_0034, Op::Teq),
            (0x0022_0836, Op::Tne),
            (0x0004_1042, Op::Srl),
            (0x0024_1042, Op::Rotr),
            (0x8882_0003, Op::Lwl),
            (0x9882_0003, Op::Lwr),
            (0x4600_0000, Op::Reserved), // COP1: not emitted with GOMIPS=softfloat
            (0xffff_ffff, Op::Reserved),
            (0x0000_0001, Op::Reserved), // MOVCI
            (0x0085_1061, Op::Reserved), // ADDU with a non-zero shift field
        ];
        for &(word, op) in cases {
            assert_eq!(decode(word).op, op, "word {word:#010x}");
        }
    }

    #[test]
    fn immediates_are_pre_extended() {
        assert_eq!(decode(0x2484_ffff).imm, u32::MAX); // addiu -1
        assert_eq!(decode(0x3484_ffff).imm, 0xffff); // ori zero-extends
        assert_eq!(decode(0x1000_ffff).imm, (-4i32) as u32); // beq offset -1 words
        assert_eq!(decode(0x0c00_0010).imm, 0x40);
        assert_eq!(decode(0x3c01_1234).imm, 0x1234_0000);
    }

    #[test]
    fn branches_and_jumps_have_a_delay_slot_and_nothing_else_does() {
        // (word, has a delay slot)
        let cases: &[(u32, bool)] = &[
            (0x1000_ffff, true),  // beq
            (0x5000_0001, true),  // beql
            (0x0411_0001, true),  // bal (bgezal)
            (0x0800_0000, true),  // j
            (0x0320_f809, true),  // jalr $25
            (0x03e0_0008, true),  // jr $31
            (0x0000_000c, false), // syscall
            (0x2402_0001, false), // addiu
            (0x8c82_0000, false), // lw
        ];
        for &(word, slot) in cases {
            assert_eq!(decode(word).op.has_delay_slot(), slot, "{word:#010x}");
        }
    }

    #[test]
    fn break_code_uses_the_low_bits_unless_the_upper_ten_are_set() {
        // (scenario, word, code)
        let cases: &[(&str, u32, u32)] = &[
            ("break 7 in the upper ten bits", 0x0007_000d, 7),
            ("code 7 in the low ten bits", 0x0000_01cd, 7),
            ("code 6 in the low ten bits", 0x0000_018d, 6),
            ("both halves are swapped", 0x0007_014d, (5 << 10) | 7),
            ("largest low code", 0x0000_ffcd, 0x3ff),
            ("zero", 0x0000_000d, 0),
        ];
        for &(name, word, code) in cases {
            let ins = decode(word);
            assert_eq!((ins.op, ins.imm), (Op::Break, code), "{name}");
        }
    }
}
