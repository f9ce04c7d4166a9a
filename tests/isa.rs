//! The differential ISA test: random programs over every provable instruction class
//! (forward branches and jumps with their delay slots, counted loops closed by backward
//! branches, and traps whose condition is false), with random registers and immediates
//! and memory in a scratch buffer, built as small static ELFs. Each one dumps its registers, HI, LO and the buffer to fd 3.
//! Under `qemu-mips` and under zkm's VM the dumps and exit codes must be identical, and
//! zkm's witness of the run must satisfy every constraint of the proving machine; a sample
//! is proved and verified.
//!
//! `ZKM_ISA_SEED=N` runs one case; `ZKM_ISA_CASES=N` sets how many (default 24);
//! `ZKM_ISA_LEN=N` the number of random instructions (default 200), to shrink a case.

mod common;

use zkm::asm::{reg::*, Asm};

/// The registers a random instruction may write (not $zero, $s0 = the buffer, $v0, $sp,
/// $ra).
const POOL: [u8; 22] = [
    V1, A0, A1, A2, A3, T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, S1, S2, S3, S4, S5, S6, S7,
];
const BUF: u32 = 256;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn reg(&mut self) -> u8 {
        POOL[self.below(POOL.len() as u64) as usize]
    }
    /// A source register: the pool, or $zero now and then.
    fn src(&mut self) -> u8 {
        if self.below(10) == 0 {
            ZERO
        } else {
            self.reg()
        }
    }
    /// A word with a bias toward the edges.
    fn word(&mut self) -> u32 {
        const EDGES: [u32; 10] = [
            0,
            1,
            2,
            0x7f,
            0x80,
            0xffff,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0xffff_fffe,
        ];
        match self.below(3) {
            0 => EDGES[self.below(EDGES.len() as u64) as usize],
            1 => self.below(64) as u32,
            _ => self.next() as u32,
        }
    }
}

/// The program of case `seed`: `n` random instructions between a prologue that loads the
/// registers and the buffer and an epilogue that dumps them.
fn program(seed: u64, n: usize) -> Asm {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut a = Asm::new();
    a.bss("buf", BUF);
    a.bss("dump", 4 * (POOL.len() as u32 + 2));
    a.la(S0, "buf");
    for &reg in &POOL {
        let v = r.word();
        a.li(reg, v);
    }
    for k in 0..BUF / 4 {
        let reg = r.reg();
        a.sw(reg, (4 * k) as i16, S0);
    }
    let v = r.word();
    a.li(V0, v);
    a.mthi(V0);
    let v = r.word();
    a.li(V0, v);
    a.mtlo(V0);
    for k in 0..n {
        let (d, s, t) = (r.reg(), r.src(), r.src());
        let imm = r.word() as u16;
        let sa = r.below(32) as u8;
        match r.below(62) {
            0 => a.addu(d, s, t),
            1 => a.subu(d, s, t),
            2 => a.and(d, s, t),
            3 => a.or(d, s, t),
            4 => a.xor(d, s, t),
            5 => a.nor(d, s, t),
            6 => a.slt(d, s, t),
            7 => a.sltu(d, s, t),
            8 => a.sllv(d, s, t),
            9 => a.srlv(d, s, t),
            10 => a.srav(d, s, t),
            11 => a.rotrv(d, s, t),
            12 => a.movz(d, s, t),
            13 => a.movn(d, s, t),
            14 => a.mul(d, s, t),
            15 => a.addiu(d, s, imm),
            16 => a.andi(d, s, imm),
            17 => a.ori(d, s, imm),
            18 => a.xori(d, s, imm),
            19 => a.slti(d, s, imm),
            20 => a.sltiu(d, s, imm),
            21 => a.lui(d, imm),
            22 => a.sll(d, s, sa),
            23 => a.srl(d, s, sa),
            24 => a.sra(d, s, sa),
            25 => a.rotr(d, s, sa),
            26 => a.clz(d, s),
            27 => a.clo(d, s),
            28 => a.bshfl(0x10, d, s),
            29 => a.bshfl(0x18, d, s),
            30 => a.bshfl(0x02, d, s),
            31 => {
                let pos = r.below(32) as u8;
                let size = 1 + r.below(32 - pos as u64) as u8;
                a.ext(d, s, pos, size)
            }
            32 => {
                let pos = r.below(32) as u8;
                let size = 1 + r.below(32 - pos as u64) as u8;
                a.ins(d, s, pos, size)
            }
            33 => a.muldiv(0x18, s, t),
            34 => a.muldiv(0x19, s, t),
            35 => a.madd(0, s, t),
            36 => a.madd(1, s, t),
            37 => a.madd(4, s, t),
            38 => a.madd(5, s, t),
            // A zero divisor is UNPREDICTABLE in MIPS: divide by the divisor or 1.
            39 => a.ori(V0, t, 1).muldiv(0x1a, s, V0),
            40 => a.ori(V0, t, 1).muldiv(0x1b, s, V0),
            41 => a.mfhi(d),
            42 => a.mflo(d),
            43 => a.mthi(s),
            44 => a.mtlo(s),
            45 => {
                let off = 4 * r.below(BUF as u64 / 4) as i16;
                if r.below(2) == 0 {
                    a.lw(d, off, S0)
                } else {
                    a.sw(s, off, S0)
                }
            }
            46 => {
                let off = 2 * r.below(BUF as u64 / 2) as i16;
                match r.below(3) {
                    0 => a.lh(d, off, S0),
                    1 => a.lhu(d, off, S0),
                    _ => a.sh(s, off, S0),
                }
            }
            47 => {
                let off = r.below(BUF as u64) as i16;
                match r.below(3) {
                    0 => a.lb(d, off, S0),
                    1 => a.lbu(d, off, S0),
                    _ => a.sb(s, off, S0),
                }
            }
            48 => {
                let off = r.below(BUF as u64) as i16;
                if r.below(2) == 0 {
                    a.lwl(d, off, S0)
                } else {
                    a.lwr(d, off, S0)
                }
            }
            49 => {
                let off = r.below(BUF as u64) as i16;
                if r.below(2) == 0 {
                    a.swl(s, off, S0)
                } else {
                    a.swr(s, off, S0)
                }
            }
            50 => {
                let off = 4 * r.below(BUF as u64 / 4) as i16;
                a.ll(d, off, S0).addu(d, d, s).sc(d, off, S0)
            }
            // (An SC with no LL before it is left out: the VM fails it, as the LLbit is
            // clear, but QEMU keeps the last LL's address and value and may succeed.)
            51 => a.subu(d, t, s),
            // Control flow, forward to a label past one instruction: a conditional branch
            // (plain, likely or linking), a jump, or a register jump; each with a delay
            // slot, and an instruction that runs only when the branch is not taken.
            52..=55 => {
                let label = format!("skip{k}");
                match r.below(12) {
                    0 => a.beq(s, t, &label),
                    1 => a.bne(s, t, &label),
                    2 => a.blez(s, &label),
                    3 => a.bgtz(s, &label),
                    4 => a.bltz(s, &label),
                    5 => a.bgez(s, &label),
                    6 => a.branch2(20, s, t, &label), // beql
                    7 => a.branch2(21, s, t, &label), // bnel
                    8 => a.branch2(22, s, 0, &label), // blezl
                    9 => a.branch2(23, s, 0, &label), // bgtzl
                    10 => a.regimm_branch([2, 3][r.below(2) as usize], s, &label), // bltzl, bgezl
                    _ => a.regimm_branch([16, 17][r.below(2) as usize], s, &label), // bltzal, bgezal
                };
                a.addu(d, s, t);
                let e = r.reg();
                a.xor(e, e, s);
                a.label(&label)
            }
            // Backward: a counted loop ($v0 = 1..4) around one random instruction, closed
            // by a plain, likely or signed branch, whose delay slot runs each time round
            // (for BNEL, only when it loops).
            57 | 58 => {
                let label = format!("loop{k}");
                let e = r.reg();
                a.addiu(V0, ZERO, 1 + r.below(4) as u16);
                a.label(&label);
                match r.below(3) {
                    0 => a.addu(d, d, s),
                    1 => a.xor(d, d, t),
                    _ => a.sll(d, d, 1 + sa % 31),
                };
                a.addiu(V0, V0, 0xffff);
                match r.below(3) {
                    0 => a.bne(V0, ZERO, &label),
                    1 => a.bgtz(V0, &label),
                    _ => a.branch2(21, V0, ZERO, &label), // bnel
                };
                a.addu(e, e, t)
            }
            // Traps whose condition is false, of every kind: ordinary instructions. The
            // operands are built so that the condition cannot hold.
            59 | 60 => match r.below(12) {
                0 => a.addiu(V0, s, 1).trap(0x34, s, V0), // teq s, s + 1
                1 => a.trap(0x36, s, s),                  // tne s, s
                2 => a.trap(0x32, s, s),                  // tlt s, s
                3 => a.trap(0x33, s, s),                  // tltu s, s
                // tge 0, v with v in 1..2^31: v > 0.
                4 => a.srl(V0, s, 1).ori(V0, V0, 1).trap(0x30, ZERO, V0),
                // tgeu 0, v with v odd: v > 0 unsigned.
                5 => a.ori(V0, s, 1).trap(0x31, ZERO, V0),
                // teqi v, imm with v = imm ^ 1.
                6 => a.addiu(V0, ZERO, imm).xori(V0, V0, 1).trap_imm(12, V0, imm),
                7 => a.addiu(V0, ZERO, imm).trap_imm(14, V0, imm), // tnei imm, imm
                // tgei INT_MIN, imm: INT_MIN is below every immediate.
                8 => a.lui(V0, 0x8000).trap_imm(8, V0, imm),
                9 => a.trap_imm(9, ZERO, imm | 1), // tgeiu 0, imm | 1
                10 => a.trap_imm(10, ZERO, imm | 0x8000), // tlti 0, negative
                // tltiu 0xffffffff, imm: no word is above it.
                _ => a.addiu(V0, ZERO, 0xffff).trap_imm(11, V0, imm),
            },
            56 => {
                let label = format!("skip{k}");
                a.j(&label);
                a.addu(d, s, t);
                a.nor(d, d, d);
                a.label(&label)
            }
            _ => {
                let label = format!("skip{k}");
                a.la(V0, &label);
                a.jalr(RA, V0);
                a.subu(d, s, t);
                a.nor(d, d, d);
                a.label(&label)
            }
        };
    }
    // Dump the pool, HI, LO, then the buffer, to fd 3.
    a.la(S1, "dump");
    for (k, &reg) in POOL.iter().enumerate() {
        if reg != S1 {
            a.sw(reg, (4 * k) as i16, S1);
        }
    }
    a.mfhi(V0);
    a.sw(V0, (4 * POOL.len()) as i16, S1);
    a.mflo(V0);
    a.sw(V0, (4 * POOL.len() + 4) as i16, S1);
    a.li(A0, 3);
    a.addu(A1, S1, ZERO);
    a.li(A2, 4 * (POOL.len() as u32 + 2));
    a.li(V0, 4004);
    a.syscall();
    a.li(A0, 3);
    a.addu(A1, S0, ZERO);
    a.li(A2, BUF);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

fn seeds() -> Vec<u64> {
    if let Some(s) = std::env::var("ZKM_ISA_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return vec![s];
    }
    let n: u64 = std::env::var("ZKM_ISA_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    (0..n).collect()
}

#[test]
fn random_programs_match_qemu_and_their_witnesses_hold() {
    if !common::have_qemu() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for seed in seeds() {
        let len = std::env::var("ZKM_ISA_LEN")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        let asm = program(seed, len);
        let bytes = asm.elf();
        let elf = dir.path().join(format!("isa-{seed}.elf"));
        std::fs::write(&elf, &bytes).unwrap();
        // qemu-mips, like execve, runs only executable files.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&elf, std::fs::Permissions::from_mode(0o755)).unwrap();
        let want = common::run_qemu(&elf, b"", &[]);
        let program = zkm::elf::Program::parse(&bytes).unwrap();
        let machine = zkm::prover::Machine::new(&program).unwrap();
        let argv = vec![elf.display().to_string()];
        let (statement, instances) = machine
            .trace(&program, &argv, Vec::new(), 1 << 20)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(
            (statement.exit_code as i32, &statement.output),
            (want.exit, &want.public),
            "seed {seed}: zkm differs from qemu-mips (rerun with ZKM_ISA_SEED={seed})"
        );
        assert_eq!(want.public.len() as u32, 4 * (POOL.len() as u32 + 2) + BUF);
        let errs = instances.check_all(8);
        assert!(
            errs.is_empty(),
            "seed {seed}: the witness fails checks: {errs:#?}"
        );
        // A sample is proved and verified for real.
        if seed % 12 == 0 {
            let proof = zkm::prover::prove(&instances).unwrap();
            let common = zkm::prover::common_data(&instances.airs, &proof.degree_bits).unwrap();
            zkm::prover::verify(&instances.airs, &proof, &instances.public_values, &common)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
}
