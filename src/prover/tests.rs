//! End-to-end tests of the machine on small hand-assembled programs.

use super::*;
use crate::asm::{reg::*, Asm};

/// A loop summing 1..=n into memory, with loads, stores, branches, a call and a write.
pub(crate) fn sum_program(n: u32) -> Asm {
    let mut a = Asm::new();
    a.bss("acc", 4);
    a.li(T0, 0); // i
    a.li(T1, n);
    a.la(S0, "acc");
    a.label("loop");
    a.addiu(T0, T0, 1);
    a.lw(T2, 0, S0);
    a.addu(T2, T2, T0);
    a.sw(T2, 0, S0);
    a.bne(T0, T1, "loop");
    a.nop();
    a.jal("done");
    a.nop();
    a.label("done");
    a.lw(A0, 0, S0);
    a.andi(A0, A0, 0xff);
    a.li(V0, 4246);
    a.syscall();
    a
}

pub(crate) fn traced(asm: &Asm) -> (Machine, Statement, Instances) {
    let elf = asm.elf();
    let program = Program::parse(&elf).expect("valid ELF");
    let machine = Machine::new(&program).expect("machine");
    let (st, inst) = machine
        .trace(&program, &["prog".to_string()], Vec::new(), 1 << 20)
        .expect("trace");
    (machine, st, inst)
}

/// Proves `inst` and verifies the proof, or panics with why not.
pub(crate) fn proves_and_verifies(inst: &Instances) {
    let proof = prove(inst).unwrap();
    let common = common_data(&inst.airs, &proof.degree_bits).unwrap();
    verify(&inst.airs, &proof, &inst.public_values, &common).unwrap();
}

#[test]
fn sum_program_satisfies_every_constraint() {
    let (_, st, inst) = traced(&sum_program(10));
    assert_eq!(st.exit_code, 55);
    inst.check().unwrap();
}

#[test]
fn sum_program_proves_and_verifies() {
    let (_, st, inst) = traced(&sum_program(10));
    let proof = prove(&inst).unwrap();
    let degree_bits: Vec<usize> = proof.degree_bits.clone();
    let common = common_data(&inst.airs, &degree_bits).unwrap();
    verify(&inst.airs, &proof, &inst.public_values, &common).unwrap();
    // A wrong exit code is rejected.
    let mut pv = inst.public_values.clone();
    pv[ChipKind::Syscall.index()][0] = Val::from_u32(st.exit_code + 1);
    assert!(verify(&inst.airs, &proof, &pv, &common).is_err());
}

/// The output of [`coverage_program`].
pub(crate) const COVERAGE_OUTPUT: &[u8] = b"ello\n\x81\x82\x83\x84\x00\x05\x83\x84\x00\x84\x05";

/// A program that uses every instruction the machine proves so far, and both system calls.
pub(crate) fn coverage_program() -> Asm {
    let mut a = Asm::new();
    a.data("msg", b"hello\n");
    a.bss("buf", 64);
    // Arithmetic, with and without overflow checks.
    a.li(T0, 0x7fff_fff0);
    a.li(T1, 0x0000_0005);
    a.add(T2, T0, T1); // no overflow
    a.addi(T3, T2, -7i16 as u16);
    a.addu(T4, T0, T0); // wraps
    a.addiu(T5, ZERO, 0xffff); // -1
    a.sub(T6, T1, T0);
    a.subu(T7, ZERO, T1);
    a.add(ZERO, T1, T1); // to $zero: dispatched, not written
                         // Bitwise and moves through HI/LO.
    a.and(S1, T0, T5);
    a.or(S2, T1, T6);
    a.xor(S3, T0, T1);
    a.nor(S4, T0, T1);
    a.andi(S5, T0, 0x0ff0);
    a.ori(S6, T1, 0x8000);
    a.xori(S7, T0, 0xffff);
    a.mthi(T0);
    a.mtlo(T1);
    a.mfhi(T8);
    a.mflo(T9);
    // Shifts: immediate and variable amounts (only the low five bits count), each way.
    a.li(T0, 0x8123_4567);
    a.li(T1, 5);
    a.sll(T2, T0, 0);
    a.sll(T2, T0, 13);
    a.srl(T3, T0, 31);
    a.sra(T4, T0, 7);
    a.sra(T4, T1, 2);
    a.rotr(T5, T0, 12);
    a.li(T6, 0xffff_ffe9); // amount 9
    a.sllv(T7, T0, T6);
    a.srlv(T8, T0, T6);
    a.srav(T9, T0, T6);
    a.rotrv(S1, T0, T6);
    a.li(T6, 24);
    a.srav(S2, T0, T6);
    a.sllv(S2, T0, T6);
    a.rotrv(S2, T0, T6);
    // Comparisons, signed and unsigned, and traps whose condition is false.
    a.slt(S1, T0, T1);
    a.sltu(S2, T0, T1);
    a.slti(S3, T1, 6);
    a.sltiu(S4, T1, 0xffff);
    a.slt(S5, T1, T1);
    a.trap(0x34, T0, T1); // teq
    a.trap(0x36, T1, T1); // tne
    a.trap(0x30, T0, T1); // tge
    a.trap(0x31, T1, T0); // tgeu
    a.trap(0x32, T1, T0); // tlt
    a.trap(0x33, T0, T1); // tltu
    a.trap_imm(12, T0, 5); // teqi
    a.trap_imm(14, T1, 5); // tnei
    a.trap_imm(8, T0, 0); // tgei
    a.trap_imm(9, T1, 0xffff); // tgeiu
    a.trap_imm(10, T1, 5); // tlti
    a.trap_imm(11, T0, 1); // tltiu
                           // Multiplies: into rd, into HI:LO, and accumulating, signed and unsigned.
    a.li(T0, 0x8123_4567);
    a.li(T1, 0xfedc_ba98);
    a.mul(T2, T0, T1);
    a.muldiv(0x18, T0, T1); // mult
    a.mfhi(T3);
    a.mflo(T4);
    a.muldiv(0x19, T0, T1); // multu
    a.madd(0, T0, T1); // madd
    a.madd(1, T1, T1); // maddu
    a.madd(4, T0, T0); // msub
    a.madd(5, T1, T0); // msubu
    a.mfhi(T5);
    a.mflo(T6);
    a.mul(T7, T0, ZERO);
    // Divides, signed and unsigned, with the cases MIPS leaves unpredictable.
    a.muldiv(0x1a, T0, T1); // div
    a.muldiv(0x1b, T0, T1); // divu
    a.li(T2, 7);
    a.muldiv(0x1a, T0, T2);
    a.mfhi(T3);
    a.mflo(T4);
    a.muldiv(0x1a, T2, T0);
    a.muldiv(0x1b, T0, ZERO); // by zero
    a.muldiv(0x1a, T0, ZERO);
    a.li(T2, 0x8000_0000);
    a.li(T3, 0xffff_ffff);
    a.muldiv(0x1a, T2, T3); // INT_MIN / -1
    a.muldiv(0x1a, T3, T2);
    a.mfhi(T3);
    a.mflo(T4);
    // Leading zeros and ones, sign extensions and the halfword byte swap.
    a.li(T0, 0x0012_3456);
    a.clz(T2, T0);
    a.clo(T3, T0);
    a.clz(T4, ZERO);
    a.li(T5, 0xffff_ffff);
    a.clo(T6, T5);
    a.li(T5, 0xfff0_0000);
    a.clo(T6, T5);
    a.li(T5, 0x0000_0080);
    a.bshfl(0x10, T7, T5); // seb
    a.bshfl(0x18, T8, T5); // seh
    a.li(T5, 0x1234_8765);
    a.bshfl(0x18, T8, T5);
    a.bshfl(0x02, T9, T5); // wsbh
                           // Bit fields: extract and insert, at the edges of the word.
    a.li(T0, 0x8123_4567);
    a.li(T1, 0x0f0f_0f0f);
    a.ext(T2, T0, 0, 32);
    a.ext(T2, T0, 4, 8);
    a.ext(T2, T0, 31, 1);
    a.ext(T2, T0, 0, 1);
    a.ext(T2, T0, 12, 20);
    a.addu(T3, T1, ZERO);
    a.ins(T3, T0, 0, 32);
    a.addu(T3, T1, ZERO);
    a.ins(T3, T0, 8, 4);
    a.addu(T3, T1, ZERO);
    a.ins(T3, T0, 31, 1);
    a.addu(T3, T1, ZERO);
    a.ins(T3, T0, 3, 17);
    // Conditional moves, taken and not.
    a.li(T1, 5);
    a.movz(T2, T0, ZERO);
    a.movz(T3, T0, T1);
    a.movn(T4, T0, T1);
    a.movn(T5, T0, ZERO);
    a.movz(ZERO, T0, ZERO);
    a.movn(T6, T6, T1);
    a.li(T0, 0x7fff_fff0);
    a.li(T1, 5);
    // Memory: words, halves, bytes, signed and unsigned.
    a.la(S0, "buf");
    a.li(T0, 0x8182_8384);
    a.sw(T0, 0, S0);
    a.sh(T1, 4, S0);
    a.sh(T0, 6, S0);
    a.sb(T0, 9, S0);
    a.sb(T1, 10, S0);
    a.lw(T2, 0, S0);
    a.lh(T3, 2, S0);
    a.lhu(T4, 0, S0);
    a.lb(T5, 1, S0);
    a.lbu(T6, 3, S0);
    a.lw(T7, 4, S0);
    a.lw(T8, 8, S0);
    a.lb(T9, -1, S0); // the byte before buf: the end of msg's word
                      // Unaligned words: LWL/LWR at every offset, SWL/SWR into a scratch word.
    a.li(T0, 0x1122_3344);
    a.li(T1, 0xa5a5_a5a5);
    for off in 0..4i16 {
        a.addu(T2, T1, ZERO);
        a.lwl(T2, off, S0);
        a.addu(T3, T1, ZERO);
        a.lwr(T3, off, S0);
        a.sw(T1, 16, S0);
        a.swl(T0, 16 + off, S0);
        a.lw(T4, 16, S0);
        a.sw(T1, 20, S0);
        a.swr(T0, 20 + off, S0);
        a.lw(T4, 20, S0);
    }
    // LL/SC: a successful pair, then an SC without LL that fails and stores nothing.
    a.ll(T5, 24, S0);
    a.addiu(T5, T5, 1);
    a.sc(T5, 24, S0);
    a.li(T6, 77);
    a.sc(T6, 24, S0);
    a.lw(T7, 24, S0);
    a.li(T8, 0x8000_0000);
    a.sc(T6, 0, T8); // fails, above user space: no access, no fault
    a.la(S1, "msg");
    a.lbu(S2, 4, S1);
    a.la(S1, "loop");
    a.lw(S2, 0, S1); // code is readable
                     // Branches of every kind, taken and not, with likely and linking forms.
    a.li(S3, 0);
    a.li(T0, 3);
    a.label("loop");
    a.addiu(T0, T0, -1i16 as u16);
    a.bgtz(T0, "loop");
    a.nop();
    a.beq(T0, ZERO, "eq");
    a.nop();
    a.addiu(T1, T1, 1); // skipped
    a.label("eq");
    a.bne(T0, ZERO, "never");
    a.nop();
    a.blez(T0, "le");
    a.nop();
    a.label("le");
    a.li(T1, 0x8000_0000);
    a.bltz(T1, "lt");
    a.nop();
    a.label("lt");
    a.bgez(T1, "never");
    a.nop();
    a.branch2(22, T1, 0, "likely"); // blezl, taken
    a.addiu(S3, S3, 1);
    a.label("likely");
    a.branch2(23, T1, 0, "never"); // bgtzl, not taken: the delay slot is skipped
    a.addiu(S3, S3, 100);
    a.regimm_branch(17, ZERO, "call"); // bgezal $zero: a call
    a.nop();
    a.j("after");
    a.nop();
    a.label("call");
    a.jr(RA);
    a.nop();
    a.label("never");
    a.exit(99);
    a.label("after");
    a.la(T9, "func");
    a.jalr(RA, T9);
    a.nop();
    // write(1, msg, 6), write(2, msg, 3)
    a.li(A0, 1);
    a.la(A1, "msg");
    a.li(A2, 6);
    a.li(V0, 4004);
    a.syscall();
    a.li(A0, 2);
    a.li(A2, 3);
    a.li(V0, 4004);
    a.syscall();
    // The public output: write(3, msg + 1, 5), an empty write, write(3, buf, 11).
    a.li(A0, 3);
    a.addiu(A1, A1, 1);
    a.li(A2, 5);
    a.li(V0, 4004);
    a.syscall();
    a.li(A2, 0);
    a.li(V0, 4004);
    a.syscall();
    a.la(A1, "buf");
    a.li(A2, 11);
    a.li(V0, 4004);
    a.syscall();
    // The identity calls, whose answers are fixed.
    for &(number, _) in &syscall::IDENTITY {
        a.li(V0, number);
        a.syscall();
    }
    a.exit_reg(S3);
    a.label("func");
    a.jr(RA);
    a.addiu(S3, S3, 7); // in the delay slot
    a
}

#[test]
fn coverage_program_proves_and_verifies() {
    let (_, _, inst) = traced(&coverage_program());
    proves_and_verifies(&inst);
}

#[test]
fn coverage_program_satisfies_every_constraint() {
    let (_, st, inst) = traced(&coverage_program());
    assert_eq!(st.exit_code, 8);
    assert_eq!(st.output, COVERAGE_OUTPUT);
    inst.check().unwrap();
}

/// The private input [`input_program`] is run with.
pub(crate) const INPUT: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
/// What [`input_program`] writes to fd 3 on [`INPUT`].
pub(crate) const INPUT_OUTPUT: &[u8] = b"def\0\0\0ghijklmnopqrst";

/// Reads from fd 0 three times: 6 bytes to `buf + 1` (in two words), up to 100 bytes to
/// `big + 2` (a short read of the 20 bytes left, over six words), and, at the end of the
/// input, up to 2^24 + 5 (a count with its top byte set), which returns 0. It writes
/// `buf + 4..buf + 8` and `big..big + 16` to fd 3, and exits with 0. It never reads
/// `$v0` after a read, so a forged result stays consistent with the rest of the run.
pub(crate) fn input_program() -> Asm {
    let mut a = Asm::new();
    a.bss("buf", 16);
    a.bss("big", 128);
    let read = |a: &mut Asm, label: &str, off: u16, count: u32| {
        a.li(A0, 0);
        a.la(A1, label);
        a.addiu(A1, A1, off);
        a.li(A2, count);
        a.li(V0, 4003);
        a.syscall();
    };
    let write = |a: &mut Asm, label: &str, off: u16, count: u32| {
        a.li(A0, 3);
        a.la(A1, label);
        a.addiu(A1, A1, off);
        a.li(A2, count);
        a.li(V0, 4004);
        a.syscall();
    };
    read(&mut a, "buf", 1, 6);
    write(&mut a, "buf", 4, 4);
    read(&mut a, "big", 2, 100);
    write(&mut a, "big", 0, 16);
    read(&mut a, "big", 64, (1 << 24) + 5);
    a.li(A0, 0);
    a.li(V0, 4246);
    a.syscall();
    a
}

pub(crate) fn traced_input(asm: &Asm, input: &[u8]) -> (Machine, Statement, Instances) {
    let program = Program::parse(&asm.elf()).expect("valid ELF");
    let machine = Machine::new(&program).expect("machine");
    let (st, inst) = machine
        .trace(&program, &["prog".to_string()], input.to_vec(), 1 << 20)
        .expect("trace");
    (machine, st, inst)
}

#[test]
fn reads_from_fd0_satisfy_every_constraint_and_prove() {
    let (_, st, inst) = traced_input(&input_program(), INPUT);
    assert_eq!(st.output, INPUT_OUTPUT);
    // Two words for the first read, six for the second, none for the empty one.
    let t = &inst.traces[ChipKind::Input.index()];
    let rows = t
        .values
        .chunks(t.width)
        .filter(|r| r[0] == Val::ONE)
        .count();
    assert_eq!(rows, 8);
    inst.check().unwrap();
    proves_and_verifies(&inst);
    // The input is private: another input with the same output proves the same statement.
    let mut other = INPUT.to_vec();
    other[0] = b'A';
    other[25] = b'Z';
    let (_, st2, _) = traced_input(&input_program(), &other);
    assert_eq!(st2, st);
}

/// `fstat64` of the four standard descriptors around three reads of the input: 8 bytes
/// to `buf` (full), up to 100 to `buf + 8` (short: the rest) and up to 8 at the end (0),
/// with the `fstat64(0, st)` after the first `stat_after` of them (0 to 3). Then it writes
/// `buf..buf + 4` to fd 3, and `fstat64`s fds 3 (4 bytes written), 1 and 2, writes the
/// four `struct stat64`s to fd 3 and exits with 0. It never reads them back, so a forged
/// stat stays consistent with the rest of the run.
pub(crate) fn stat_program(stat_after: usize) -> Asm {
    let mut a = Asm::new();
    a.bss("buf", 128);
    a.bss("st", 4 * 104);
    let fstat = |a: &mut Asm, fd: u32, slot: u16| {
        a.li(A0, fd);
        a.la(A1, "st");
        a.addiu(A1, A1, 104 * slot);
        a.li(V0, super::fs::SYS_FSTAT64);
        a.syscall();
    };
    for (i, (off, count)) in [(0u16, 8u32), (8, 100), (108, 8)].into_iter().enumerate() {
        if i == stat_after {
            fstat(&mut a, 0, 0);
        }
        a.li(A0, 0);
        a.la(A1, "buf");
        a.addiu(A1, A1, off);
        a.li(A2, count);
        a.li(V0, 4003);
        a.syscall();
    }
    if stat_after == 3 {
        fstat(&mut a, 0, 0);
    }
    a.li(A0, 3);
    a.la(A1, "buf");
    a.li(A2, 4);
    a.li(V0, 4004);
    a.syscall();
    fstat(&mut a, 3, 1);
    fstat(&mut a, 1, 2);
    fstat(&mut a, 2, 3);
    a.li(A0, 3);
    a.la(A1, "st");
    a.li(A2, 4 * 104);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

/// What [`stat_program`] writes to fd 3 on `input`.
pub(crate) fn stat_output(input: &[u8]) -> Vec<u8> {
    use crate::syscalls::io::{stat64, STD_STAT};
    let mut want: Vec<u8> = input.iter().copied().chain([0; 4]).take(4).collect();
    for (fd, size) in [(0, input.len() as u64), (3, 4), (1, 0), (2, 0)] {
        let (mode, ino) = STD_STAT[fd];
        want.extend(stat64(mode, size, ino));
    }
    want
}

#[test]
fn fstat_of_the_standard_descriptors_satisfies_every_constraint_and_proves() {
    // The input's size shown before any read, after a full one, after the short one that
    // fixed it, and at its end; a size with blocks to round up (600 bytes) and none (0).
    let long: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
    for (after, input) in [
        (0, INPUT),
        (1, INPUT),
        (2, INPUT),
        (3, INPUT),
        (1, &long[..]),
    ] {
        let (_, st, inst) = traced_input(&stat_program(after), input);
        assert_eq!(st.output, stat_output(input), "fstat after {after} reads");
        let errs = inst.check_all(20);
        assert!(errs.is_empty(), "{errs:#?}");
        if after == 1 {
            proves_and_verifies(&inst);
        }
    }
    // An empty input is a file of size 0.
    let (_, st, inst) = traced_input(&stat_program(0), &[]);
    assert_eq!(st.output, stat_output(&[]));
    inst.check().unwrap();
}

#[test]
fn the_column_table_in_the_docs_is_current() {
    // docs/proof-system.md section 12 lists every chip's main width; keep it honest.
    let doc = include_str!("../../docs/proof-system.md");
    let table = doc.split("## 12. Columns").nth(1).expect("section 12");
    let (_, _, inst) = traced(&sum_program(3));
    for air in &inst.airs {
        let name = air.kind().name();
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("no row for {name}"));
        let main: usize = row.split('|').nth(2).unwrap().trim().parse().unwrap();
        assert_eq!(main, BaseAir::<Val>::width(air), "{name}");
    }
}

/// Reads `CLOCK_MONOTONIC`, `CLOCK_REALTIME`, then `CLOCK_MONOTONIC` twice more after a
/// loop, into four timespecs at `ts`; sleeps for 5 us (the VM blocks the thread) and for
/// nothing (it returns at once); writes the timespecs to fd 3 and exits with 0. It never
/// reads them back, so a forged reading stays consistent with the rest of the run.
pub(crate) fn clock_program() -> Asm {
    let mut a = Asm::new();
    a.bss("ts", 32);
    a.bss("req", 8);
    let gettime = |a: &mut Asm, clock: u32, off: u16| {
        a.li(A0, clock);
        a.la(A1, "ts");
        a.addiu(A1, A1, off);
        a.li(V0, 4263);
        a.syscall();
    };
    gettime(&mut a, 1, 0);
    gettime(&mut a, 0, 8);
    a.li(T0, 200);
    a.label("spin");
    a.addiu(T0, T0, 0xffff);
    a.bne(T0, ZERO, "spin");
    a.nop();
    gettime(&mut a, 1, 16);
    gettime(&mut a, 1, 24);
    a.la(S0, "req");
    for nsec in [5000, 0] {
        a.li(T0, nsec);
        a.sw(T0, 4, S0);
        a.addu(A0, S0, ZERO);
        a.li(A1, 0);
        a.li(V0, 4166);
        a.syscall();
    }
    a.li(A0, 3);
    a.la(A1, "ts");
    a.li(A2, 32);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

/// The other time calls, each once: `clock_gettime64(CLOCK_MONOTONIC)`,
/// `gettimeofday(tv, NULL)`, `clock_getres(CLOCK_REALTIME)`,
/// `clock_getres_time64(CLOCK_MONOTONIC)`, `clock_gettime(CLOCK_REALTIME)` (after the
/// `gettimeofday`, on the same clock), then `clock_nanosleep(CLOCK_MONOTONIC, 0)` of 5 us
/// and `clock_nanosleep_time64(CLOCK_REALTIME, TIMER_ABSTIME)` to 1 us after the epoch
/// (long past; the high word of its `tv_nsec`, which Linux ignores, is 0xdeadbeef). The
/// 56 bytes the calls wrote go to fd 3; exits with 0.
pub(crate) fn time_calls_program() -> Asm {
    use super::clock::ClockCall;
    let mut a = Asm::new();
    a.bss("out", 56);
    a.bss("req", 8);
    a.bss("req64", 16);
    let call = |a: &mut Asm, call: ClockCall, clock: Option<u32>, off: u16| {
        match clock {
            Some(clock) => {
                a.li(A0, clock);
                a.la(A1, "out");
                a.addiu(A1, A1, off);
            }
            None => {
                a.la(A0, "out");
                a.addiu(A0, A0, off);
                a.li(A1, 0);
            }
        }
        a.li(V0, call.number());
        a.syscall();
    };
    call(&mut a, ClockCall::Get64, Some(1), 0);
    call(&mut a, ClockCall::TimeOfDay, None, 16);
    call(&mut a, ClockCall::Res, Some(0), 24);
    call(&mut a, ClockCall::Res64, Some(1), 32);
    call(&mut a, ClockCall::Get, Some(0), 48);
    // The requests: 5 us, then 1 us after the epoch with 0xdeadbeef in tv_nsec's high word.
    for (label, off, v) in [
        ("req", 4, 5000),
        ("req64", 8, 0xdead_beef),
        ("req64", 12, 1000),
    ] {
        a.la(S0, label);
        a.li(T0, v);
        a.sw(T0, off, S0);
    }
    // (clock, flags, request, call)
    let sleeps = [
        (1, 0, "req", ClockCall::ClockSleep),
        (0, 1, "req64", ClockCall::ClockSleep64),
    ];
    for (clock, flags, req, call) in sleeps {
        a.li(A0, clock);
        a.li(A1, flags);
        a.la(A2, req);
        a.li(A3, 0);
        a.li(V0, call.number());
        a.syscall();
    }
    print_out_and_exit(&mut a, 56);
    a
}

#[test]
fn the_other_time_calls_satisfy_every_constraint_and_prove() {
    let (_, st, inst) = traced(&time_calls_program());
    let w: Vec<u32> = st
        .output
        .chunks(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(w.len(), 14);
    // A 64-bit reading: zero high words, a valid timespec.
    assert_eq!((w[0], w[2]), (0, 0));
    assert!(w[1] > 0 && w[3] < 1_000_000_000, "{w:?}");
    // gettimeofday, then the same clock in nanoseconds: no earlier.
    assert!(w[4] > 1_700_000_000 && w[5] < 1_000_000, "{w:?}");
    assert!((w[12], w[13]) >= (w[4], 1000 * w[5]), "{w:?}");
    // The resolutions: 1 ns.
    assert_eq!(w[6..12], [0, 1, 0, 0, 0, 1]);
    let c = &inst.traces[ChipKind::Clock.index()];
    let rows = c
        .values
        .chunks(c.width)
        .filter(|r| r[..8].contains(&Val::ONE))
        .count();
    assert_eq!(rows, 7);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

#[test]
fn time_calls_the_proof_cannot_take_are_refused() {
    use super::clock::ClockCall;
    // (call, $a0, $a1 (None: the buffer), $a2 (None: the buffer), what the refusal says)
    type Case = (
        ClockCall,
        Option<u32>,
        Option<u32>,
        Option<u32>,
        &'static str,
    );
    let cases: [Case; 4] = [
        (
            ClockCall::Get,
            Some(2),
            None,
            Some(0),
            "clock_gettime of clock 2",
        ),
        (
            ClockCall::TimeOfDay,
            None,
            None,
            Some(0),
            "with a time zone",
        ),
        (
            ClockCall::Res,
            Some(0),
            Some(0),
            Some(0),
            "with the buffer 0x0",
        ),
        (
            ClockCall::ClockSleep64,
            Some(0),
            Some(1),
            None,
            "of 2^31 seconds or more",
        ),
    ];
    for (call, a0, a1, a2, want) in cases {
        let mut a = Asm::new();
        a.bss("buf", 32);
        // A 64-bit request of 2^31 s, absolute on CLOCK_REALTIME: 2038.
        a.la(S0, "buf");
        a.li(T0, 0x8000_0000);
        a.sw(T0, 4, S0);
        let set = |a: &mut Asm, r, v: Option<u32>| {
            match v {
                Some(v) => a.li(r, v),
                None => a.addu(r, S0, ZERO),
            };
        };
        set(&mut a, A0, a0);
        set(&mut a, A1, a1);
        set(&mut a, A2, a2);
        a.li(A3, 0);
        a.li(V0, call.number());
        a.syscall();
        a.exit(0);
        assert_refused(&a, want);
    }
}

/// Proving `asm` stops before proving, with an error that says `want`.
pub(crate) fn assert_refused(asm: &Asm, want: &str) {
    let program = Program::parse(&asm.elf()).unwrap();
    let machine = Machine::new(&program).unwrap();
    let err = machine
        .trace(&program, &["prog".to_string()], Vec::new(), 1 << 20)
        .err()
        .expect("refused");
    assert!(err.to_string().contains(want), "{want}: {err}");
}

#[test]
fn clock_readings_satisfy_every_constraint_and_prove() {
    let (_, st, inst) = traced(&clock_program());
    let t: Vec<(u32, u32)> = st
        .output
        .chunks(8)
        .map(|c| {
            let w = |i: usize| u32::from_be_bytes(c[i..i + 4].try_into().unwrap());
            (w(0), w(4))
        })
        .collect();
    assert_eq!(t.len(), 4);
    assert!(t[0] <= t[2] && t[2] <= t[3], "{t:?}");
    assert!(t[1].0 > 1_700_000_000, "realtime {t:?}");
    let c = &inst.traces[ChipKind::Clock.index()];
    let sleeps = c
        .values
        .chunks(c.width)
        .filter(|r| r[super::clock::ClockCall::Sleep as usize] == Val::ONE)
        .count();
    assert_eq!(sleeps, 2);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `getrandom` of 9 bytes to `buf + 3` (flags 0) and of none (`GRND_NONBLOCK`); writes
/// `buf..buf + 16` to fd 3 and exits with 0. It never reads `$v0` after a call.
pub(crate) fn random_program() -> Asm {
    let mut a = Asm::new();
    a.bss("buf", 16);
    a.la(A0, "buf");
    a.addiu(A0, A0, 3);
    a.li(A1, 9);
    a.li(A2, 0);
    a.li(V0, 4353);
    a.syscall();
    a.la(A0, "buf");
    a.li(A1, 0);
    a.li(A2, 1);
    a.li(V0, 4353);
    a.syscall();
    a.li(A0, 3);
    a.la(A1, "buf");
    a.li(A2, 16);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

#[test]
fn getrandom_satisfies_every_constraint_and_proves() {
    let (_, st, inst) = traced(&random_program());
    // Nine bytes at offsets 3..12, the rest still zero.
    assert_eq!(&st.output[..3], &[0; 3]);
    assert_eq!(&st.output[12..], &[0; 4]);
    assert!(st.output[3..12].iter().any(|&b| b != 0));
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `sched_getaffinity(0, 128, mask)`, as the Go runtime asks it; writes the mask's first
/// eight bytes to fd 3 and exits with 0. It never reads `$v0` after the call.
pub(crate) fn affinity_program() -> Asm {
    let mut a = Asm::new();
    a.bss("mask", 128);
    a.li(A0, 0);
    a.li(A1, 128);
    a.la(A2, "mask");
    a.li(V0, 4240);
    a.syscall();
    a.li(A0, 3);
    a.la(A1, "mask");
    a.li(A2, 8);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

#[test]
fn sched_getaffinity_satisfies_every_constraint_and_proves() {
    let (_, st, inst) = traced(&affinity_program());
    assert_eq!(st.output, [0, 0, 0, 1, 0, 0, 0, 0]);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// The file-system calls as the Go runtime makes them: `open` of a path in read-only
/// data, `openat(AT_FDCWD, …)` of an unaligned path in writable data with `O_CLOEXEC |
/// O_LARGEFILE`, `open("")`, `fcntl(fd, F_GETFD)` and `fcntl(fd, F_GETFL)` for fds 0 to
/// 3 (`fcntl64` for fds 0 and 2), and `ioctl(fd, TCGETS)` and `ioctl(fd, TIOCGWINSZ)` for fds 0 to 3, as Go's
/// `x/term` asks. Each call's `$v0` and `$a3` go to fd 3, 152 bytes in all; exits with 0.
pub(crate) fn fs_program() -> Asm {
    let mut a = Asm::new();
    a.data("wpath", b"x/etc/zkm.conf\0");
    a.data("empty", b"\0");
    a.bss("out", 152);
    a.bss("termios", 64);
    a.la(S0, "out");
    let call = |a: &mut Asm, number: u32, args: [u32; 3], off: u16| {
        a.li(A0, args[0]);
        a.li(A1, args[1]);
        a.li(A2, args[2]);
        a.li(V0, number);
        a.syscall();
        a.sw(V0, off as i16, S0);
        a.sw(A3, off as i16 + 4, S0);
    };
    a.la(A0, "ropath");
    a.li(A1, 0);
    a.li(V0, 4005);
    a.syscall();
    a.sw(V0, 0, S0);
    a.sw(A3, 4, S0);
    a.li(A0, super::fs::AT_FDCWD);
    a.la(A1, "wpath");
    a.addiu(A1, A1, 1);
    a.li(A2, 0x82000);
    a.li(A3, 0);
    a.li(V0, 4288);
    a.syscall();
    a.sw(V0, 8, S0);
    a.sw(A3, 12, S0);
    a.la(A0, "empty");
    a.li(A1, 0);
    a.li(V0, 4005);
    a.syscall();
    a.sw(V0, 16, S0);
    a.sw(A3, 20, S0);
    let mut off = 24;
    for fd in 0..4 {
        for cmd in [super::fs::F_GETFD, super::fs::F_GETFL] {
            let number = if fd % 2 == 0 { 4220 } else { 4055 };
            call(&mut a, number, [fd, cmd, 0], off);
            off += 8;
        }
    }
    let termios = crate::asm::DATA_BASE + 0x1000;
    for fd in 0..4 {
        for req in [super::fs::TCGETS, super::fs::TIOCGWINSZ] {
            call(&mut a, super::fs::SYS_IOCTL, [fd, req, termios], off);
            off += 8;
        }
    }
    a.li(A0, 3);
    a.la(A1, "out");
    a.li(A2, 152);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    // The read-only path, in the code segment after the exit.
    a.label("ropath");
    for w in b"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size\0\0".chunks(4) {
        a.emit(u32::from_be_bytes(w.try_into().unwrap()));
    }
    a
}

/// Writes the `len` bytes at `out` to fd 3 and exits with 0.
pub(crate) fn print_out_and_exit(a: &mut Asm, len: u32) {
    a.li(A0, 3);
    a.la(A1, "out");
    a.li(A2, len);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
}

/// A program that makes `calls` (number, `$a0..$a3`) in turn, keeping each one's `$v0`
/// and `$a3` at `out`, then prints them (8 bytes a call) to fd 3 and exits with 0. `data`
/// is the program's first data, at `DATA_BASE`.
pub(crate) fn calls_program(data: &[u8], calls: &[(u32, [u32; 4])]) -> Asm {
    let mut a = Asm::new();
    a.data("p", data);
    a.bss("out", 8 * calls.len() as u32);
    a.bss("buf", 128);
    a.la(S0, "out");
    for (k, &(number, args)) in calls.iter().enumerate() {
        for (r, v) in [A0, A1, A2, A3].into_iter().zip(args) {
            a.li(r, v);
        }
        a.li(V0, number);
        a.syscall();
        a.sw(V0, 8 * k as i16, S0);
        a.sw(A3, 8 * k as i16 + 4, S0);
    }
    print_out_and_exit(&mut a, 8 * calls.len() as u32);
    a
}

/// The output of [`calls_program`] when each of `n` calls fails with `errno`.
pub(crate) fn errno_output(errno: u32, n: usize) -> Vec<u8> {
    [errno, 1]
        .repeat(n)
        .into_iter()
        .flat_map(u32::to_be_bytes)
        .collect()
}

/// `socket` as Go's `net` makes it (`AF_INET`, `SOCK_STREAM` with `SOCK_NONBLOCK` and
/// `SOCK_CLOEXEC`), then `AF_INET6` datagrams and a family out of range with
/// `SOCK_PACKET`: each call's `$v0` and `$a3` to fd 3, 24 bytes; exits with 0.
pub(crate) fn socket_program() -> Asm {
    use super::fs::SYS_SOCKET;
    use crate::syscalls::io::{O_CLOEXEC, O_NONBLOCK};
    calls_program(
        b"\0",
        &[
            (SYS_SOCKET, [2, 2 | O_NONBLOCK | O_CLOEXEC, 0, 0]),
            (SYS_SOCKET, [10, 1, 17, 0]),
            (SYS_SOCKET, [u32::MAX, 10, 0, 0]),
        ],
    )
}

#[test]
fn sockets_fail_with_eafnosupport_and_prove() {
    let (_, st, inst) = traced(&socket_program());
    assert_eq!(
        st.output,
        errno_output(124, 3),
        "EAFNOSUPPORT, as the VM answers"
    );
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `prctl(PR_SET_VMA)` as Go's runtime names a mapping (`PR_SET_VMA_ANON_NAME`, a
/// page-aligned range, a name), then with an unknown sub-option and an unaligned range:
/// each call's `$v0` and `$a3` to fd 3, 24 bytes; exits with 0.
pub(crate) fn prctl_program() -> Asm {
    use super::fs::{PR_SET_VMA, SYS_PRCTL};
    let name = crate::asm::DATA_BASE;
    calls_program(
        b" Go: heap\0",
        &[
            (SYS_PRCTL, [PR_SET_VMA, 0, 0x7f6b_f000, 0x4_0000]),
            (SYS_PRCTL, [PR_SET_VMA, 9, 0x7f6b_f000, name]),
            (SYS_PRCTL, [PR_SET_VMA, 0, 0x123, 0]),
        ],
    )
}

#[test]
fn pr_set_vma_fails_with_einval_and_proves() {
    let (_, st, inst) = traced(&prctl_program());
    assert_eq!(st.output, errno_output(22, 3), "EINVAL, as the VM answers");
    inst.check().unwrap();
    proves_and_verifies(&inst);
    // Any other option (here PR_SET_NAME) stops the prover, naming the call.
    let a = calls_program(b"zkm\0", &[(super::fs::SYS_PRCTL, [15, 0, 0, 0])]);
    assert_refused(&a, "prctl(0xf");
}

/// The path lookups as Go's `os` makes them (`Stat`, `Lstat`, `Readlink`,
/// `exec.LookPath`'s access checks), each of `/etc/zkm` in the order of
/// [`super::fs::LOOKUPS`], with the arguments Linux checks first in range. Each call's
/// `$v0` and `$a3` go to fd 3, 64 bytes in all; exits with 0.
pub(crate) fn lookups_program() -> Asm {
    use super::fs::{AT_EACCESS, AT_FDCWD, AT_SYMLINK_NOFOLLOW, LOOKUPS};
    let p = crate::asm::DATA_BASE;
    let buf = crate::asm::DATA_BASE + 0x1000;
    let args: [[u32; 4]; 8] = [
        [p, buf, 0, 0],
        [p, buf, 0, 0],
        [p, 4, 0, 0],
        [p, buf, 64, 0],
        [AT_FDCWD, p, buf, AT_SYMLINK_NOFOLLOW],
        [AT_FDCWD, p, buf, 64],
        [AT_FDCWD, p, 1, 0],
        [AT_FDCWD, p, 1, AT_EACCESS],
    ];
    let calls: Vec<(u32, [u32; 4])> = LOOKUPS.iter().map(|l| l.0).zip(args).collect();
    calls_program(b"/etc/zkm\0", &calls)
}

#[test]
fn path_lookups_satisfy_every_constraint_and_prove() {
    let (_, st, inst) = traced(&lookups_program());
    assert_eq!(st.output, errno_output(2, 8), "ENOENT, as the VM answers");
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `getcwd(buf, 64)` as Go's `os.Getwd` makes it: its `$v0` and `$a3`, then the two bytes
/// it wrote, to fd 3; exits with 0.
pub(crate) fn getcwd_program() -> Asm {
    let mut a = Asm::new();
    a.bss("out", 8);
    a.bss("cwd", 64);
    a.la(S0, "out");
    a.la(A0, "cwd");
    a.li(A1, 64);
    a.li(V0, super::record::SYS_GETCWD);
    a.syscall();
    a.sw(V0, 0, S0);
    a.sw(A3, 4, S0);
    a.li(A0, 3);
    a.la(A1, "out");
    a.li(A2, 8);
    a.li(V0, 4004);
    a.syscall();
    a.li(A0, 3);
    a.la(A1, "cwd");
    a.li(A2, 2);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

#[test]
fn getcwd_satisfies_every_constraint_and_proves() {
    let (_, st, inst) = traced(&getcwd_program());
    assert_eq!(st.output, [0, 0, 0, 2, 0, 0, 0, 0, b'/', 0]);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// The output of [`fs_program`]: ENOENT three times, then each fd's F_GETFD (0) and
/// F_GETFL (O_RDONLY for fd 0, O_WRONLY for the others), then ENOTTY eight times.
pub(crate) fn fs_output() -> Vec<u8> {
    let mut want: Vec<u32> = [2, 1].repeat(3);
    for fd in 0..4 {
        want.extend([0, 0, super::fs::GETFL[fd], 0]);
    }
    want.extend([25, 1].repeat(8));
    want.iter().flat_map(|w| w.to_be_bytes()).collect()
}

#[test]
fn file_system_calls_satisfy_every_constraint_and_prove() {
    let (_, st, inst) = traced(&fs_program());
    assert_eq!(st.output, fs_output());
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `open(buf)` of the 4096-byte buffer whose last byte is the first byte of the private
/// input: with input `[0]` a path of 4095 bytes (ENOENT), with `[b'a']` one of 4096
/// (ENAMETOOLONG). Exits with 0.
pub(crate) fn long_path_program() -> Asm {
    let mut a = Asm::new();
    a.bss("buf", 4096);
    a.bss("nul", 4);
    a.la(T0, "buf");
    a.li(T1, 0x2f61_6161);
    a.li(T2, 1024);
    a.label("fill");
    a.sw(T1, 0, T0);
    a.addiu(T2, T2, 0xffff);
    a.bne(T2, ZERO, "fill");
    a.addiu(T0, T0, 4);
    a.li(A0, 0);
    a.addiu(A1, T0, 0xffff);
    a.li(A2, 1);
    a.li(V0, 4003);
    a.syscall();
    a.la(A0, "buf");
    a.li(A1, 0);
    a.li(V0, 4005);
    a.syscall();
    a.exit(0);
    a
}

#[test]
fn a_path_of_path_max_minus_one_bytes_proves() {
    let (_, st, inst) = traced_input(&long_path_program(), &[0]);
    assert_eq!(st.exit_code, 0);
    inst.check().unwrap();
}

/// `uname(buf)` into a buffer at offset 2 of a word, as the Go runtime's is; writes the
/// 390 bytes to fd 3 and exits with 0. It never reads `$v0` after the call.
pub(crate) fn uname_program() -> Asm {
    let mut a = Asm::new();
    a.bss("uts", 392);
    a.la(A0, "uts");
    a.addiu(A0, A0, 2);
    a.li(V0, 4122);
    a.syscall();
    a.li(A0, 3);
    a.la(A1, "uts");
    a.addiu(A1, A1, 2);
    a.li(A2, 390);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

#[test]
fn uname_satisfies_every_constraint_and_proves() {
    let (_, st, inst) = traced(&uname_program());
    assert_eq!(st.output, crate::syscalls::info::utsname());
    assert_eq!(&st.output[..6], b"Linux\0");
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `mmap` as Go uses it: fresh memory (read, written, read back), a `PROT_NONE`
/// reservation with a `MAP_FIXED` commit inside it, `madvise(MADV_NOHUGEPAGE)` of the
/// commit, and `brk(0)`. Prints the fresh word it read (0), the word it stored and read
/// back, the commit's first read (0) and the break.
pub(crate) fn mmap_program() -> Asm {
    let mut a = Asm::new();
    a.bss("out", 16);
    mmap_frame(&mut a);
    a.li(A0, 0);
    emit_mmap_at_a0(&mut a, 0x3000, 3, 0x802);
    a.addu(S1, V0, ZERO);
    a.lw(T1, 0x2ffc, S1);
    a.li(T2, 0x5a5a_0001);
    a.sw(T2, 0x2ffc, S1);
    a.lw(T3, 0x2ffc, S1);
    a.li(A0, 0);
    emit_mmap_at_a0(&mut a, 0x10000, 0, 0x802);
    a.addiu(A0, V0, 0x1000);
    emit_mmap_at_a0(&mut a, 0x2000, 3, 0x812);
    a.addu(S3, V0, ZERO);
    a.lw(T4, 4, S3);
    a.sw(T2, 8, S3);
    a.addu(A0, S3, ZERO);
    a.li(A1, 0x800);
    a.li(A2, super::mm::MADV_NOHUGEPAGE);
    a.li(V0, super::mm::SYS_MADVISE);
    a.syscall();
    a.li(A0, 0);
    a.li(V0, super::mm::SYS_BRK);
    a.syscall();
    a.addu(T5, V0, ZERO);
    a.la(S0, "out");
    a.sw(T1, 0, S0);
    a.sw(T3, 4, S0);
    a.sw(T4, 8, S0);
    a.sw(T5, 12, S0);
    a.li(A0, 3);
    a.la(A1, "out");
    a.li(A2, 16);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

/// `madvise(MADV_DONTNEED)` as Go's scavenger uses it, on a fresh four-page mapping
/// whose words at +4, +8, +0x1008, +0x2004 and +0x3008 hold [`DONTNEED_OLD`]: dropping
/// pages 0 and 1, then page 0 again. After the first, the word at +4 reads 0 and +0x2004
/// (not dropped) its value; +8, +0x1008 and +0x3008 are stored [`DONTNEED_NEW`] first and
/// read back. +4 is stored again and reads 0 after the second. Prints those six loads and
/// both calls' results.
pub(crate) fn dontneed_program() -> Asm {
    let mut a = Asm::new();
    a.bss("out", 32);
    mmap_frame(&mut a);
    a.li(A0, 0);
    emit_mmap_at_a0(&mut a, 0x4000, 3, 0x802);
    a.addu(S1, V0, ZERO);
    a.li(T2, DONTNEED_OLD);
    for off in [4, 8, 0x1008, 0x2004, 0x3008] {
        a.sw(T2, off, S1);
    }
    let dontneed = |a: &mut Asm, len: u32| {
        a.addu(A0, S1, ZERO);
        a.li(A1, len);
        a.li(A2, super::mm::MADV_DONTNEED);
        a.li(V0, super::mm::SYS_MADVISE);
        a.syscall();
    };
    dontneed(&mut a, 0x2000);
    a.addu(S4, V0, ZERO);
    a.lw(T1, 4, S1);
    a.lw(T3, 0x2004, S1);
    a.li(T4, DONTNEED_NEW);
    a.sw(T4, 8, S1);
    a.lw(T5, 8, S1);
    a.sw(T4, 0x1008, S1);
    a.lw(T6, 0x1008, S1);
    a.sw(T4, 0x3008, S1);
    a.lw(T7, 0x3008, S1);
    a.sw(T4, 4, S1);
    dontneed(&mut a, 0x1000);
    a.addu(S5, V0, ZERO);
    a.lw(T8, 4, S1);
    a.la(S0, "out");
    for (k, r) in [T1, T3, T5, T6, T7, T8, S4, S5].into_iter().enumerate() {
        a.sw(r, 4 * k as i16, S0);
    }
    a.li(A0, 3);
    a.la(A1, "out");
    a.li(A2, 32);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

/// What [`dontneed_program`] stores before its first `MADV_DONTNEED`, and after.
pub(crate) const DONTNEED_OLD: u32 = 0x5a5a_0001;
pub(crate) const DONTNEED_NEW: u32 = 0x0b0b_0002;

#[test]
fn dontneed_satisfies_every_constraint_and_proves() {
    let (_, st, inst) = traced(&dontneed_program());
    let mut want = Vec::new();
    for v in [
        0,
        DONTNEED_OLD,
        DONTNEED_NEW,
        DONTNEED_NEW,
        DONTNEED_NEW,
        0,
        0,
        0,
    ] {
        want.extend(u32::to_be_bytes(v));
    }
    assert_eq!(st.output, want, "the VM drops the pages as Linux does");
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// The stack arguments of Go's `runtime.mmap`: fd -1 at `$sp + 16`, offset 0 at `+ 20`.
pub(crate) fn mmap_frame(a: &mut Asm) {
    a.addiu(SP, SP, (-32i16) as u16);
    a.li(T0, u32::MAX);
    a.sw(T0, 16, SP);
    a.sw(ZERO, 20, SP);
}

/// Emits `mmap($a0, len, prot, flags)`, with [`mmap_frame`]'s stack arguments in place.
pub(crate) fn emit_mmap_at_a0(a: &mut Asm, len: u32, prot: u32, flags: u32) {
    a.li(A1, len);
    a.li(A2, prot);
    a.li(A3, flags);
    a.li(V0, super::mm::SYS_MMAP);
    a.syscall();
}

/// Go's `sysAlloc` and `sysFree`: 8 KiB mapped and its last word written, the mapping
/// unmapped whole, then 8 KiB mapped again, which the VM places below the freed hole,
/// written and read back. The two addresses and the word read go to fd 3; exits with 0.
pub(crate) fn munmap_program() -> Asm {
    let mut a = Asm::new();
    a.bss("out", 12);
    mmap_frame(&mut a);
    a.la(S0, "out");
    a.li(A0, 0);
    emit_mmap_at_a0(&mut a, 0x2000, 3, 0x802);
    a.sw(V0, 0, S0);
    a.addu(S1, V0, ZERO);
    a.li(T1, 7);
    a.sw(T1, 0x1ffc, S1);
    a.addu(A0, S1, ZERO);
    a.li(A1, 0x2000);
    a.li(V0, super::mm::SYS_MUNMAP);
    a.syscall();
    a.li(A0, 0);
    emit_mmap_at_a0(&mut a, 0x2000, 3, 0x802);
    a.sw(V0, 4, S0);
    a.li(T1, 9);
    a.sw(T1, 0x1ffc, V0);
    a.lw(T2, 0x1ffc, V0);
    a.sw(T2, 8, S0);
    print_out_and_exit(&mut a, 12);
    a
}

#[test]
fn a_mapping_unmapped_whole_proves_and_its_pages_stay_free() {
    let (_, st, inst) = traced(&munmap_program());
    let w = |i: usize| u32::from_be_bytes(st.output[4 * i..4 * i + 4].try_into().unwrap());
    let top = crate::syscalls::mem::MMAP_TOP;
    assert_eq!(w(0), top - 0x2000);
    assert_eq!(
        w(1),
        top - 0x4000,
        "the second mapping is not placed in the freed hole"
    );
    assert_eq!(w(2), 9);
    inst.check().unwrap();
    proves_and_verifies(&inst);
    // A munmap of part of a mapping stops the prover, naming it.
    let mut a = Asm::new();
    mmap_frame(&mut a);
    a.li(A0, 0);
    emit_mmap_at_a0(&mut a, 0x2000, 3, 0x802);
    a.addu(A0, V0, ZERO);
    a.li(A1, 0x1000);
    a.li(V0, super::mm::SYS_MUNMAP);
    a.syscall();
    a.exit(0);
    assert_refused(&a, "munmap(");
}

/// `mmap2` as C libraries make it: its page offset read from the private input (4 bytes,
/// big-endian) straight into its stack slot, then 8 KiB of anonymous memory; the first
/// word (0) and the last, stored and loaded back, go to fd 3; exits with 0.
pub(crate) fn mmap2_program() -> Asm {
    let mut a = Asm::new();
    a.bss("out", 8);
    mmap_frame(&mut a);
    a.li(A0, 0);
    a.addiu(A1, SP, 20);
    a.li(A2, 4);
    a.li(V0, 4003);
    a.syscall();
    a.li(A0, 0);
    a.li(A1, 0x2000);
    a.li(A2, 3);
    a.li(A3, 0x802);
    a.li(V0, super::mm::SYS_MMAP2);
    a.syscall();
    a.addu(S1, V0, ZERO);
    a.lw(T1, 0, S1);
    a.li(T2, 0x5a5a_0002);
    a.sw(T2, 0x1ffc, S1);
    a.lw(T3, 0x1ffc, S1);
    a.la(S0, "out");
    a.sw(T1, 0, S0);
    a.sw(T3, 4, S0);
    print_out_and_exit(&mut a, 8);
    a
}

#[test]
fn mmap2_satisfies_every_constraint_and_proves() {
    // An offset that is not a multiple of anything, and above 2^31 - 2^18 pages: mmap2
    // takes it for anonymous memory.
    let (_, st, inst) = traced_input(&mmap2_program(), &0x7fff_fff3u32.to_be_bytes());
    assert_eq!(st.output, [0, 0, 0, 0, 0x5a, 0x5a, 0, 2]);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

#[test]
fn mmap_satisfies_every_constraint_and_proves() {
    let (machine, st, inst) = traced(&mmap_program());
    let mut want = Vec::new();
    for v in [0, 0x5a5a_0001, 0, machine.setup.brk] {
        want.extend(u32::to_be_bytes(v));
    }
    assert_eq!(st.output, want);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

#[test]
fn the_go_runtime_with_its_threads_satisfies_every_constraint() {
    // exitcode.elf's whole run: the Go runtime's start (its mmaps, with the PROT_NONE
    // reservations of its arenas and the MAP_FIXED commits inside them, madvise and brk;
    // its signal set-up, every signal's action asked for and set), its threads (sysmon
    // and a GC worker, created by clone, which sleep and wait on futexes while the main
    // thread runs), the context switches between them, and main's output and exit 3.
    let elf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/elf/exitcode.elf"
    ))
    .unwrap();
    let program = Program::parse(&elf).unwrap();
    let machine = Machine::new(&program).unwrap();
    let argv = vec!["exitcode".to_string()];
    let record = record::execute(&program, &machine.setup, &argv, Vec::new(), 1 << 22).unwrap();
    let count = |n: u32| record.syscalls.iter().filter(|s| s.number == n).count();
    assert!(count(getset::SYS_RT_SIGACTION) > 200);
    assert!(count(mm::SYS_MMAP) >= 10);
    assert!(count(threads::SYS_CLONE) >= 2);
    assert!(count(futex::SYS_FUTEX) >= 4);
    let (statement, w, start) = machine.witness_of(&record, &argv).unwrap();
    assert_eq!(statement.exit_code, 3);
    assert!(w.sched.len() >= 10, "{} switches", w.sched.len());
    assert!(w.sched.iter().any(|s| s.old != s.new));
    assert!(w.words.iter().filter(|s| s.init_ts > 1).count() > 1000);
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    inst.check().unwrap();
}

/// Sets up a handler as Go's runtime does, for each of `sigs`: its action (Go's flags, the
/// label `handler`, every signal blocked while it runs) and an 8 KiB alternate stack.
/// It defines the BSS labels `act`, `ss` and `altstack`, so any data must come first.
pub(crate) fn go_handler_setup(a: &mut Asm, sigs: &[u32]) {
    handler_setup(a, sigs, signal::GO_SA_FLAGS);
}

/// [`go_handler_setup`] with `sa_flags` in place of Go's.
pub(crate) fn handler_setup(a: &mut Asm, sigs: &[u32], sa_flags: u32) {
    use Arg::{Label as L, Value as V};
    a.bss("act", 24);
    a.bss("ss", 12);
    a.bss("altstack", 8192);
    a.la(T0, "act");
    a.li(T1, sa_flags);
    a.sw(T1, 0, T0);
    a.la(T1, "handler");
    a.sw(T1, 4, T0);
    a.li(T1, u32::MAX);
    for off in [8, 12, 16, 20] {
        a.sw(T1, off, T0);
    }
    for &sig in sigs {
        emit_call(a, getset::SYS_RT_SIGACTION, [V(sig), L("act"), V(0), V(16)]);
    }
    a.la(T0, "ss");
    a.la(T1, "altstack");
    a.sw(T1, 0, T0);
    a.li(T1, 8192);
    a.sw(T1, 4, T0);
    a.sw(ZERO, 8, T0);
    emit_call(a, getset::SYS_SIGALTSTACK, [L("ss"), V(0), V(0), V(0)]);
}

/// A nil dereference taken as Go takes it: SIGSEGV's action set (Go's flags, a handler,
/// every signal blocked while it runs) and an alternate stack, then `$s0` = 0x12345678
/// and a load from address 8. With `returns`, the handler moves the frame's `sc_pc` past
/// the load and returns through the trampoline, and the program exits 3; without, the
/// handler exits 5.
pub(crate) fn fault_program(returns: bool) -> Asm {
    fault_program_with(returns, signal::GO_SA_FLAGS)
}

/// [`fault_program`] with SIGSEGV's `sa_flags` as given.
pub(crate) fn fault_program_with(returns: bool, sa_flags: u32) -> Asm {
    let mut a = Asm::new();
    handler_setup(&mut a, &[11], sa_flags);
    a.li(S0, 0x1234_5678);
    a.lw(T2, 8, ZERO);
    a.exit(3);
    a.label("handler");
    if returns {
        // uc (in $a2) + 36: sc_pc's low word.
        a.lw(T0, 36, A2);
        a.addiu(T0, T0, 4);
        a.sw(T0, 36, A2);
        a.jr(RA);
        a.nop();
    } else {
        a.exit(5);
    }
    a
}

#[test]
fn a_fault_is_delivered_and_returns_and_proves() {
    for (returns, code) in [(true, 3), (false, 5)] {
        let (_, st, inst) = traced(&fault_program(returns));
        assert_eq!(st.exit_code, code);
        inst.check().unwrap();
        if returns {
            proves_and_verifies(&inst);
        }
    }
}

/// A signal a thread sends itself, taken as Go takes it: SIGUSR1's action (Go's flags, a
/// handler, every signal blocked while it runs) and an alternate stack, `$s0` =
/// 0x12345678, then `kill(pid, 16)`, `tkill(1000, 16)` or `tgkill(1000, 1000, 16)` (as
/// `call` says; `pid` for kill; `$a3` = 7 before the call). With `returns`, the handler
/// stores its `$a0` and returns through the trampoline; back from the call, the program
/// exits with the stored word if the call returned 0 and `$s0` survived, else 4. Without,
/// the handler exits with its `$a0`.
pub(crate) fn send_program(call: u32, pid: u32, returns: bool) -> Asm {
    let mut a = Asm::new();
    go_handler_setup(&mut a, &[16]);
    a.bss("seen", 4);
    a.li(S0, 0x1234_5678);
    emit_call(&mut a, call, send_args(call, pid, 16));
    a.bne(V0, ZERO, "bad");
    a.nop();
    exit_with_seen(&mut a);
    if returns {
        seen_handler(&mut a);
    } else {
        a.label("handler");
        a.exit_reg(A0);
    }
    a
}

/// The arguments of `kill(pid, sig)`, `tkill(1000, sig)` or `tgkill(1000, 1000, sig)`
/// (as `call` says), with `$a3` = 7.
pub(crate) fn send_args(call: u32, pid: u32, sig: u32) -> [Arg; 4] {
    use Arg::Value as V;
    match call {
        signal::SYS_KILL => [V(pid), V(sig), V(0), V(7)],
        signal::SYS_TKILL => [V(1000), V(sig), V(0), V(7)],
        _ => [V(1000), V(1000), V(sig), V(7)],
    }
}

/// The label `handler` and a handler that stores its `$a0` (the signal) at `seen` and
/// returns.
fn seen_handler(a: &mut Asm) {
    a.label("handler");
    a.la(T0, "seen");
    a.sw(A0, 0, T0);
    a.jr(RA);
    a.nop();
}

/// The end of the signal test programs: exit with the word at `seen` if `$s0` still
/// holds 0x12345678, else (and at `bad`) with 4.
fn exit_with_seen(a: &mut Asm) {
    a.li(T0, 0x1234_5678);
    a.bne(S0, T0, "bad");
    a.nop();
    a.la(T0, "seen");
    a.lw(T1, 0, T0);
    a.exit_reg(T1);
    a.label("bad");
    a.exit(4);
}

#[test]
fn a_signal_a_thread_sends_itself_is_delivered_and_proves() {
    for call in signal::SEND_CALLS {
        let (_, st, inst) = traced(&send_program(call, signal::PID, true));
        assert_eq!(st.exit_code, 16, "{call}");
        let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
        assert_eq!(t(ChipKind::Signal), signal::BLOCK);
        inst.check().unwrap();
        if call == signal::SYS_TGKILL {
            proves_and_verifies(&inst);
        }
    }
}

/// Bit 0 of a signal set's word 0 for SIGUSR1 and SIGUSR2 (bits 15 and 16).
pub(crate) const USR1_BIT: u32 = 1 << 15;
pub(crate) const USR2_BIT: u32 = 1 << 16;

/// A program in which a thread blocks signals and sends them to itself ([`pend_program`]).
#[derive(Clone, Copy)]
pub(crate) struct Pend {
    /// `tkill` or `tgkill`.
    pub call: u32,
    /// The signals whose action is then set to `SIG_IGN` (after Go's handler for
    /// SIGUSR1 and SIGUSR2).
    pub ignored: &'static [u32],
    /// Word 0 of the set blocked (`SIG_BLOCK`) and of the one unblocked after the sends
    /// (`SIG_UNBLOCK`; 0 for no call).
    pub block: u32,
    pub unblock: u32,
    pub sends: &'static [u32],
    /// `rt_sigaction` of SIGUSR1 (to `SIG_IGN`) after the sends.
    pub act_after: bool,
    /// The handler of SIGUSR1 sends itself this signal before it returns (0: none),
    /// after it unblocks `unblock` with `handler_unblocks`; the handler of any other
    /// signal returns at once, or with `nested_exits` exits with its `$a0`.
    pub handler_sends: u32,
    pub handler_unblocks: bool,
    pub nested_exits: bool,
    /// Before it sends, SIGUSR1's handler moves `$sp` to 100 bytes above the bottom of
    /// its alternate stack, where a frame does not fit.
    pub handler_sp_low: bool,
    /// The handler stores its `$a0` and returns; else it exits 5.
    pub returns: bool,
}

impl Pend {
    /// SIGUSR1 sent with tgkill and taken at once; its handler unblocks SIGUSR2 and
    /// sends it to itself, delivered from on the alternate stack.
    pub(crate) fn nested() -> Pend {
        Pend {
            block: 0,
            unblock: USR2_BIT,
            handler_sends: 17,
            handler_unblocks: true,
            ..Pend::usr1(signal::SYS_TGKILL)
        }
    }

    /// SIGUSR1 blocked, sent with `call`, and unblocked: delivered after the unblocking.
    pub(crate) fn usr1(call: u32) -> Pend {
        Pend {
            call,
            ignored: &[],
            block: USR1_BIT,
            unblock: USR1_BIT,
            sends: &[16],
            act_after: false,
            handler_sends: 0,
            handler_unblocks: false,
            nested_exits: false,
            handler_sp_low: false,
            returns: true,
        }
    }
}

/// SIGUSR1, SIGUSR2 and SIGCONT taken as Go takes them (with `p.ignored` then ignored), `p.block`
/// blocked, `$s0` = 0x12345678, each of `p.sends` sent to the thread itself with `p.call`
/// (`$a3` = 7 before each), then `p.act_after` and `p.unblock`. The handler stores its
/// `$a0` in `seen` (optionally after sending itself `p.handler_sends`) and returns, or
/// exits 5. The program exits with `seen` (0 when nothing was delivered), or 4 when a
/// call failed or `$s0` changed.
pub(crate) fn pend_program(p: &Pend) -> Asm {
    use Arg::{Label as L, Value as V};
    let set = |w: u32| -> Vec<u8> {
        let mut v = w.to_be_bytes().to_vec();
        v.resize(16, 0);
        v
    };
    let mut a = Asm::new();
    a.data("block", &set(p.block));
    a.data("unblock", &set(p.unblock));
    a.data(
        "ign",
        &[
            0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    if p.handler_sp_low {
        // (Writable memory below the alternate stack, for a frame that overflows it.)
        a.bss("below", 4096);
    }
    go_handler_setup(&mut a, &[16, 17, 25]);
    a.bss("seen", 4);
    for &sig in p.ignored {
        emit_call(
            &mut a,
            getset::SYS_RT_SIGACTION,
            [V(sig), L("ign"), V(0), V(16)],
        );
    }
    let mask = getset::SYS_RT_SIGPROCMASK;
    let send = |a: &mut Asm, sig: u32| {
        emit_call(a, p.call, send_args(p.call, signal::PID, sig));
        a.bne(V0, ZERO, "bad");
        a.nop();
    };
    emit_call(
        &mut a,
        mask,
        [V(getset::SIG_BLOCK), L("block"), V(0), V(16)],
    );
    a.li(S0, 0x1234_5678);
    for &sig in p.sends {
        send(&mut a, sig);
    }
    if p.act_after {
        emit_call(
            &mut a,
            getset::SYS_RT_SIGACTION,
            [V(16), L("ign"), V(0), V(16)],
        );
    }
    if p.unblock != 0 && !p.handler_unblocks {
        emit_call(
            &mut a,
            mask,
            [V(getset::SIG_UNBLOCK), L("unblock"), V(0), V(16)],
        );
        a.bne(V0, ZERO, "bad");
        a.nop();
    }
    exit_with_seen(&mut a);
    a.label("handler");
    if p.returns {
        a.la(T0, "seen");
        a.sw(A0, 0, T0);
        if p.handler_sends != 0 {
            // (A nested delivery, of another signal, runs the same handler.)
            a.li(T1, 16);
            a.bne(A0, T1, "nested");
            a.nop();
            if p.handler_unblocks {
                emit_call(
                    &mut a,
                    mask,
                    [V(getset::SIG_UNBLOCK), L("unblock"), V(0), V(16)],
                );
            }
            if p.handler_sp_low {
                a.la(SP, "altstack");
                a.addiu(SP, SP, 100);
            }
            send(&mut a, p.handler_sends);
            a.beq(ZERO, ZERO, "ret");
            a.nop();
            a.label("nested");
            if p.nested_exits {
                a.exit_reg(A0);
            }
        }
        a.label("ret");
        a.jr(RA);
        a.nop();
    } else {
        a.exit(5);
    }
    a
}

#[test]
fn a_blocked_signal_stays_pending_until_unblocked_and_proves() {
    // tkill and tgkill of a signal the thread blocks: pending (the send chip), then
    // delivered to the handler on the way back from the rt_sigprocmask that unblocks it
    // (the signal chip, after the getset chip's row), which returns; the call's 0 and
    // $s0 survive.
    for call in [signal::SYS_TKILL, signal::SYS_TGKILL] {
        let (_, st, inst) = traced(&pend_program(&Pend::usr1(call)));
        assert_eq!(st.exit_code, 16, "{call}");
        let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
        assert_eq!(
            (t(ChipKind::Signal), t(ChipKind::Sigreturn)),
            (signal::BLOCK, signal::RET_BLOCK)
        );
        inst.check().unwrap();
        if call == signal::SYS_TGKILL {
            proves_and_verifies(&inst);
        }
    }
    // Still pending at the exit; and SIGUSR2 pending while the call unblocks only
    // SIGUSR1: not delivered.
    let p = Pend {
        unblock: 0,
        ..Pend::usr1(signal::SYS_TGKILL)
    };
    let (_, st, inst) = traced(&pend_program(&p));
    assert_eq!(st.exit_code, 0);
    inst.check().unwrap();
    let p = Pend {
        block: USR1_BIT | USR2_BIT,
        unblock: USR1_BIT,
        sends: &[17],
        ..Pend::usr1(signal::SYS_TGKILL)
    };
    let (_, st, inst) = traced(&pend_program(&p));
    assert_eq!(st.exit_code, 0);
    inst.check().unwrap();
}

#[test]
fn an_ignored_or_fatal_signal_a_thread_sends_itself_proves() {
    // Sent with kill (from the main thread), tkill and tgkill: SIGUSR1 ignored (SIG_IGN)
    // and SIGURG, whose default is to ignore, are dropped, and the program exits with
    // `seen` (0); SIGTERM and SIGKILL with their default action end it with 128 + N.
    for call in signal::SEND_CALLS {
        for (ignored, sig, code) in [
            (&[16u32][..], 16, 0),
            (&[][..], 21, 0),
            (&[][..], 15, 128 + 15),
            (&[][..], 9, 128 + 9),
        ] {
            let p = Pend {
                call,
                ignored,
                block: 0,
                unblock: 0,
                sends: match sig {
                    16 => &[16],
                    21 => &[21],
                    15 => &[15],
                    _ => &[9],
                },
                ..Pend::usr1(call)
            };
            let (_, st, inst) = traced(&pend_program(&p));
            assert_eq!(st.exit_code, code, "{call} {sig}");
            let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
            assert_eq!(t(ChipKind::Signal), signal::BLOCK, "no delivery");
            inst.check().unwrap();
            if call == signal::SYS_KILL && sig == 15 {
                proves_and_verifies(&inst);
            }
        }
    }
}

#[test]
fn a_signal_sent_inside_a_handler_is_delivered_on_its_stack_and_proves() {
    // SIGUSR1's handler (every signal blocked) unblocks SIGUSR2 and sends it to itself:
    // delivered at once from on the alternate stack, its frame below `$sp - 32` with
    // `uc_stack.ss_flags = SS_ONSTACK`; its handler returns there, and SIGUSR1's to the
    // program, which exits with the last signal seen.
    let (_, st, inst) = traced(&pend_program(&Pend::nested()));
    assert_eq!(st.exit_code, 17);
    let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
    assert_eq!(t(ChipKind::Signal), 2 * signal::BLOCK);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

#[test]
fn a_signal_not_delivered_at_once_is_refused() {
    // kill of another process (ESRCH), of the process group (which the chip does not
    // prove), and each outcome of a send that is neither delivered at once nor kept
    // pending in a way the proof follows stop the prover with what it cannot prove.
    let tg = signal::SYS_TGKILL;
    let pend = |p: Pend| pend_program(&p);
    let cases = [
        (send_program(signal::SYS_KILL, 1234, true), "kill(0x4d2"),
        (send_program(signal::SYS_KILL, 0, true), "kill(0x0"),
        (
            pend(Pend {
                call: signal::SYS_KILL,
                ..Pend::usr1(tg)
            }),
            "kill of signal 16, which the main thread and the sender block",
        ),
        (
            pend(Pend {
                block: USR1_BIT | USR2_BIT,
                unblock: 0,
                sends: &[16, 17],
                ..Pend::usr1(tg)
            }),
            "only one pending signal per thread",
        ),
        (
            pend(Pend {
                act_after: true,
                ..Pend::usr1(tg)
            }),
            "rt_sigaction of signal 16 while a signal is pending",
        ),
        (
            pend(Pend {
                ignored: &[16],
                ..Pend::usr1(tg)
            }),
            "rt_sigprocmask unblocking a pending signal that is not delivered",
        ),
        (
            pend(Pend {
                ignored: &[17],
                block: 0,
                unblock: 0,
                handler_sends: 17,
                ..Pend::usr1(tg)
            }),
            "rt_sigreturn restoring a mask that unblocks a pending signal",
        ),
    ];
    for (asm, want) in cases {
        assert_refused(&asm, want);
    }
}

/// `testdata/elf/NAME.elf`'s run, its record and witness, traced.
fn go_guest(name: &str) -> (Machine, record::Record, Statement, Instances) {
    let path = format!("{}/testdata/elf/{name}.elf", env!("CARGO_MANIFEST_DIR"));
    let program = Program::parse(&std::fs::read(path).unwrap()).unwrap();
    let machine = Machine::new(&program).unwrap();
    let argv = vec![name.to_string()];
    let record = record::execute(&program, &machine.setup, &argv, Vec::new(), 1 << 22).unwrap();
    let (statement, w, start) = machine.witness_of(&record, &argv).unwrap();
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    (machine, record, statement, inst)
}

#[test]
fn a_nil_dereference_panics_through_a_signal_frame() {
    // nilpanic.elf: a load from address 0 faults; Go's handler gets SIGSEGV on its signal
    // stack, edits the frame to call sigpanic, returns through rt_sigreturn, and the
    // panic exits 2.
    let (_, record, st, inst) = go_guest("nilpanic");
    assert_eq!(st.exit_code, 2);
    assert_eq!((record.signals.len(), record.sigreturns.len()), (1, 1));
    let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
    assert_eq!(t(ChipKind::Signal), signal::BLOCK);
    assert_eq!(t(ChipKind::Sigreturn), signal::RET_BLOCK);
    inst.check().unwrap();
}

#[test]
fn a_go_program_dies_of_the_signal_it_sends_itself() {
    // sigdefault.elf: the main thread sends itself SIGTERM three times: ignored, received
    // through os/signal, and after signal.Reset taken by Go's handler, which unblocks it
    // and raises it again from on its signal stack (a second delivery, whose handler
    // returns), then restores SIG_DFL and raises it once more: the run ends with 143.
    let (_, record, st, inst) = go_guest("sigdefault");
    assert_eq!(st.exit_code, 128 + 15);
    assert_eq!((record.signals.len(), record.sigreturns.len()), (3, 2));
    inst.check().unwrap();
}

#[test]
fn a_go_program_takes_a_pending_signal_when_it_unblocks_it() {
    // sigmask.elf: a thread blocks SIGUSR1, sends it with tgkill (pending: the send
    // chip), waits 20 ms without it, and unblocks it: delivered on the way back from that
    // rt_sigprocmask, and os/signal receives it.
    let (_, record, st, inst) = go_guest("sigmask");
    assert_eq!(st.exit_code, 0);
    assert_eq!((record.signals.len(), record.sigreturns.len()), (1, 1));
    let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
    assert_eq!(t(ChipKind::Send), 4);
    inst.check().unwrap();
}

#[test]
fn a_go_program_receives_the_signals_it_sends_itself() {
    // sigself.elf: the main thread sends itself SIGUSR1 with kill and SIGUSR2 with
    // tgkill; each is delivered to Go's handler on the way back from the call, which
    // returns through rt_sigreturn, and os/signal receives both.
    let (_, record, st, inst) = go_guest("sigself");
    assert_eq!(st.exit_code, 0);
    assert_eq!((record.signals.len(), record.sigreturns.len()), (2, 2));
    assert!(record.signals.iter().all(|s| !s.ev.synchronous));
    inst.check().unwrap();
}

#[test]
fn a_recovered_nil_dereference_runs_on() {
    let (_, record, st, inst) = go_guest("recovered");
    assert_eq!(st.exit_code, 0);
    assert_eq!(record.signals.len(), 1);
    inst.check().unwrap();
}

/// SIGUSR1's action as Go sets its handlers: `SA_SIGINFO | SA_ONSTACK | SA_RESTART`, a
/// handler, every signal blocked while it runs.
pub(crate) const USR1_ACTION: [u32; 6] = [0x1800_0008, 0x0040_0000, !0, !0, !0, !0];

/// Emits system call `number` with `$a0..$a3` set to the labels or values in `args`.
pub(crate) fn emit_call(a: &mut Asm, number: u32, args: [Arg; 4]) {
    for (r, arg) in [A0, A1, A2, A3].into_iter().zip(args) {
        match arg {
            Arg::Value(v) => a.li(r, v),
            Arg::Label(l) => a.la(r, l),
        };
    }
    a.li(V0, number);
    a.syscall();
}

/// An argument of [`emit_call`].
#[derive(Clone, Copy)]
pub(crate) enum Arg {
    Value(u32),
    Label(&'static str),
}

/// The signal calls as Go's runtime makes them: `rt_sigprocmask(SIG_SETMASK)` blocking
/// every signal (the old mask out), the mask asked for with no set (and a `how` Linux
/// ignores then), SIGUSR1's action set and asked for back, the alternate stack asked for
/// (none) and set. Prints the old mask, the mask read back, the action read back and the
/// stack query: 16 + 16 + 24 + 12 bytes.
pub(crate) fn signal_program() -> Asm {
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.data("set", &[0xff; 16]);
    let act: Vec<u8> = USR1_ACTION.iter().flat_map(|w| w.to_be_bytes()).collect();
    a.data("act", &act);
    let ss: Vec<u8> = [0x7fe0_0000u32, 0x8000, 0]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    a.data("ss", &ss);
    a.bss("oset", 16);
    a.bss("oset2", 16);
    a.bss("oact", 24);
    a.bss("oss", 12);
    let mask = getset::SYS_RT_SIGPROCMASK;
    emit_call(&mut a, mask, [V(3), L("set"), L("oset"), V(16)]);
    emit_call(&mut a, mask, [V(7), V(0), L("oset2"), V(16)]);
    let action = getset::SYS_RT_SIGACTION;
    emit_call(&mut a, action, [V(10), L("act"), V(0), V(16)]);
    emit_call(&mut a, action, [V(10), V(0), L("oact"), V(16)]);
    let stack = getset::SYS_SIGALTSTACK;
    emit_call(&mut a, stack, [V(0), L("oss"), V(0), V(0)]);
    emit_call(&mut a, stack, [L("ss"), V(0), V(0), V(0)]);
    emit_call(&mut a, 4004, [V(3), L("oset"), V(68), V(0)]);
    a.exit(0);
    a
}

/// What [`signal_program`] prints.
pub(crate) fn signal_output() -> Vec<u8> {
    let mut words = vec![0u32; 4];
    words.extend([!getset::UNBLOCKABLE, !0, !0, !0]);
    let mut act = USR1_ACTION;
    act[2] &= !getset::UNBLOCKABLE;
    words.extend(act);
    words.extend([0, 0, getset::SS_DISABLE]);
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

#[test]
fn signal_calls_keep_their_state_and_prove() {
    let (_, st, inst) = traced(&signal_program());
    assert_eq!(st.output, signal_output());
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// Go's `prlimit64` calls: the open-file limit asked for, its soft limit raised to the
/// hard one (copied from the answer), asked for again. Prints both answers.
pub(crate) fn limit_program() -> Asm {
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.bss("old", 16);
    a.bss("old2", 16);
    a.bss("new", 16);
    let limit = getset::SYS_PRLIMIT64;
    emit_call(&mut a, limit, [V(0), V(5), V(0), L("old")]);
    a.la(S0, "old");
    a.la(S1, "new");
    for k in 0..4 {
        a.lw(T0, 8 + 4 * (k % 2), S0);
        a.sw(T0, 4 * k, S1);
    }
    emit_call(&mut a, limit, [V(0), V(5), L("new"), V(0)]);
    emit_call(&mut a, limit, [V(0), V(5), V(0), L("old2")]);
    emit_call(&mut a, 4004, [V(3), L("old"), V(32), V(0)]);
    a.exit(0);
    a
}

#[test]
fn prlimit64_keeps_the_open_file_limit_and_proves() {
    let (_, st, inst) = traced(&limit_program());
    let want: Vec<u8> = [0u32, 1024, 0, 4096, 0, 4096, 0, 4096]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    assert_eq!(st.output, want);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `clone` with Go's flags onto the top of the 256-byte `stack`; the child goes on at
/// `child`, the parent after this.
fn clone_child(a: &mut Asm) {
    a.li(A0, threads::CLONE_GO);
    a.la(A1, "stack");
    a.addiu(A1, A1, 256);
    a.li(A2, 0);
    a.li(A3, 0);
    a.li(V0, threads::SYS_CLONE);
    a.syscall();
    a.beq(V0, ZERO, "child");
    a.nop();
}

/// Waits until the word at `$s1` (the label `flag`) is not zero, in `FUTEX_WAIT` on it
/// (`in_futex`) or in a `sched_yield` loop, then goes on at the label `done`, which it
/// places.
fn wait_for_flag(a: &mut Asm, in_futex: bool) {
    use Arg::{Label as L, Value as V};
    a.label("wait");
    a.lw(T0, 0, S1);
    a.bne(T0, ZERO, "done");
    a.nop();
    if in_futex {
        emit_call(
            a,
            futex::SYS_FUTEX,
            [L("flag"), V(futex::FUTEX_WAIT_PRIVATE), V(0), V(0)],
        );
    } else {
        emit_call(a, 4162, [V(0), V(0), V(0), V(0)]);
    }
    a.j("wait");
    a.nop();
    a.label("done");
}

/// A thread's end, as it has none yet: `FUTEX_WAIT` on the word `never` (zero), forever.
fn wait_forever(a: &mut Asm) {
    use Arg::{Label as L, Value as V};
    a.label("forever");
    emit_call(
        a,
        futex::SYS_FUTEX,
        [L("never"), V(futex::FUTEX_WAIT_PRIVATE), V(0), V(0)],
    );
    a.j("forever");
    a.nop();
}

/// Go's way with threads: the main thread sets `$s0`, clones a thread onto a stack of its
/// own and waits on a futex word until the child has set it. The child stores its id,
/// its `$s0` (the parent's), its `$sp` (the new stack, as an offset into the stack
/// area), sets the word, wakes the parent and then waits forever on another word. The
/// parent prints what the child stored and the id its clone returned: 16 bytes.
pub(crate) fn thread_program() -> Asm {
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.bss("flag", 4);
    a.bss("never", 4);
    a.bss("seen", 16);
    a.bss("stack", 256);
    a.li(S0, 0x1234_5678);
    a.la(S1, "flag");
    a.la(S3, "seen");
    clone_child(&mut a);
    a.or(S2, V0, ZERO);
    wait_for_flag(&mut a, true);
    a.sw(S2, 12, S3);
    emit_call(&mut a, 4004, [V(3), L("seen"), V(16), V(0)]);
    a.exit(0);
    a.label("child");
    a.li(V0, 4222);
    a.syscall();
    a.sw(V0, 0, S3);
    a.sw(S0, 4, S3);
    a.la(T2, "stack");
    a.subu(T2, SP, T2);
    a.sw(T2, 8, S3);
    a.li(T0, 1);
    a.sw(T0, 0, S1);
    emit_call(
        &mut a,
        futex::SYS_FUTEX,
        [L("flag"), V(futex::FUTEX_WAKE_PRIVATE), V(1), V(0)],
    );
    wait_forever(&mut a);
    a
}

/// A thread's `exit`: the main thread clones a child and waits for a flag in a
/// `sched_yield` loop. The child stores its id, sets the flag and exits (4001). The main
/// thread then wakes the flag's word, which no thread can wait on any more (0, which
/// the program does not read), and prints the child's id: 4 bytes. With `zombie` (a forgery: the VM's
/// `exit` returns, as Linux's never does), the child sets the flag only after its exit,
/// yields, and, run again after the main thread's last `sched_yield`, waits forever.
/// With `send`, the main thread then sends the exited child `SIGURG` with `tkill`
/// (Linux's `ESRCH`; the program reads neither `$v0` nor `$a3` after it).
pub(crate) fn exit_program(zombie: bool, send: bool) -> Asm {
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.bss("flag", 4);
    a.bss("never", 4);
    a.bss("seen", 4);
    a.bss("stack", 256);
    a.la(S1, "flag");
    a.la(S3, "seen");
    clone_child(&mut a);
    wait_for_flag(&mut a, false);
    emit_call(
        &mut a,
        futex::SYS_FUTEX,
        [L("flag"), V(futex::FUTEX_WAKE_PRIVATE), V(1), V(0)],
    );
    if zombie {
        emit_call(&mut a, 4162, [V(0), V(0), V(0), V(0)]);
    }
    if send {
        emit_call(&mut a, signal::SYS_TKILL, [V(1001), V(21), V(0), V(0)]);
    }
    emit_call(&mut a, 4004, [V(3), L("seen"), V(4), V(0)]);
    a.exit(0);
    a.label("child");
    a.li(V0, 4222);
    a.syscall();
    a.sw(V0, 0, S3);
    a.li(T0, 1);
    if !zombie {
        a.sw(T0, 0, S1);
    }
    emit_call(&mut a, syscall::SYS_EXIT, [V(0), V(0), V(0), V(0)]);
    if zombie {
        a.li(T0, 1);
        a.sw(T0, 0, S1);
        emit_call(&mut a, 4162, [V(0), V(0), V(0), V(0)]);
        wait_forever(&mut a);
    }
    a
}

/// What [`thread_program`] prints.
pub(crate) fn thread_output() -> Vec<u8> {
    [1001u32, 0x1234_5678, 256, 1001]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect()
}

/// A signal one thread sends another, taken at the switch to it. The main thread sets
/// SIGUSR1's action (Go's handler on its alternate stack; with `ignore`, then `SIG_IGN`),
/// `$s0` = 0x12345678, and clones a thread; then it waits for the child to set a flag,
/// in `FUTEX_WAIT` on it (`wait`: the signal interrupts the wait, which Linux restarts
/// after the handler) or in a `sched_yield` loop. The child sends SIGUSR1 to the main
/// thread with `call` (`kill` to the process), sets the flag, wakes the main thread and
/// waits forever (with `child_exits`, it exits 7 at once instead). The handler stores
/// its `$a0`, and the main thread exits with it (16), or with 4 if `$s0` changed.
/// `to` is the thread id that tkill and tgkill name (the main thread's, 1000). With
/// `spin`, the main thread instead spins on the flag in a two-instruction loop (a branch
/// and, in its delay slot, the flag's load), after that many `nop`s, as a goroutine that
/// Go's preemption interrupts spins: its quantum runs out in the loop.
#[derive(Clone, Copy)]
pub(crate) struct Take {
    pub call: u32,
    pub wait: bool,
    pub ignore: bool,
    pub child_exits: bool,
    pub to: u32,
    pub spin: Option<u32>,
}

impl Take {
    pub(crate) fn new(call: u32, wait: bool) -> Take {
        Take {
            call,
            wait,
            ignore: false,
            child_exits: false,
            to: 1000,
            spin: None,
        }
    }
}

pub(crate) fn take_program(p: Take) -> Asm {
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.data(
        "ign",
        &[
            0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    go_handler_setup(&mut a, &[16]);
    if p.ignore {
        emit_call(
            &mut a,
            getset::SYS_RT_SIGACTION,
            [V(16), L("ign"), V(0), V(16)],
        );
    }
    a.bss("seen", 4);
    a.bss("flag", 4);
    a.bss("never", 4);
    a.bss("stack", 256);
    a.li(S0, 0x1234_5678);
    a.la(S1, "flag");
    clone_child(&mut a);
    match p.spin {
        Some(pad) => {
            for _ in 0..pad {
                a.nop();
            }
            a.lw(T0, 0, S1);
            a.label("spin");
            a.beq(T0, ZERO, "spin");
            a.lw(T0, 0, S1); // in the delay slot
        }
        None => wait_for_flag(&mut a, p.wait),
    }
    exit_with_seen(&mut a);
    a.label("child");
    let args = match p.call {
        signal::SYS_KILL => [V(signal::PID), V(16), V(0), V(7)],
        signal::SYS_TKILL => [V(p.to), V(16), V(0), V(7)],
        _ => [V(signal::PID), V(p.to), V(16), V(7)],
    };
    emit_call(&mut a, p.call, args);
    if p.child_exits {
        a.exit(7);
    }
    a.li(T0, 1);
    a.sw(T0, 0, S1);
    emit_call(
        &mut a,
        futex::SYS_FUTEX,
        [L("flag"), V(futex::FUTEX_WAKE_PRIVATE), V(1), V(0)],
    );
    wait_forever(&mut a);
    seen_handler(&mut a);
    a
}

#[test]
fn a_signal_another_thread_sends_is_taken_at_the_switch_and_proves() {
    // The child's kill, tkill or tgkill of SIGUSR1 to the main thread: the send chip
    // makes it pending for the main thread with its take word set, and the switch back to
    // the main thread delivers it (the sched chip hands the signal chip the thread's
    // resume point). A main thread in FUTEX_WAIT resumes at the SYSCALL (the futex chip's
    // restart), so the frame saves it, and after the handler the wait runs again and
    // finds the flag set.
    for call in signal::SEND_CALLS {
        for wait in [false, true] {
            let (_, st, inst) = traced(&take_program(Take::new(call, wait)));
            assert_eq!(st.exit_code, 16, "{call} {wait}");
            let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
            assert_eq!(t(ChipKind::Signal), signal::BLOCK, "{call} {wait}");
            inst.check().unwrap();
            if call != signal::SYS_TKILL {
                proves_and_verifies(&inst);
            }
        }
    }
}

#[test]
fn a_spinning_thread_takes_a_signal_from_another_at_the_switch() {
    // The main thread spins until its quantum runs out, in the loop's branch or its delay
    // slot as the padding falls. The VM ends a quantum that ends in a delay slot one
    // instruction later, so the switch to the child, and the delivery of the child's
    // tgkill at the switch back, come where Linux delivers (a frame's pc at the
    // instruction it resumes), which the proof takes.
    for pad in 0..2 {
        let p = Take {
            spin: Some(pad),
            ..Take::new(signal::SYS_TGKILL, false)
        };
        let (_, st, inst) = traced(&take_program(p));
        assert_eq!(st.exit_code, 16, "pad {pad}");
        inst.check().unwrap();
        if pad == 0 {
            proves_and_verifies(&inst);
        }
    }
}

/// The main thread sets SIGUSR1's action, clones a child that waits forever, counts
/// `loops` times round a three-instruction loop, runs `pad` `nop`s and sends itself
/// SIGUSR1 with `tgkill`; the handler stores its `$a0`, and the main thread exits with it
/// (16).
fn quantum_program(loops: u32, pad: u32) -> Asm {
    use Arg::Value as V;
    let mut a = Asm::new();
    go_handler_setup(&mut a, &[16]);
    a.bss("seen", 4);
    a.bss("never", 4);
    a.bss("stack", 256);
    a.li(S0, 0x1234_5678);
    clone_child(&mut a);
    a.li(T1, loops);
    a.label("count");
    a.addiu(T1, T1, 0xffff);
    a.bne(T1, ZERO, "count");
    a.nop();
    for _ in 0..pad {
        a.nop();
    }
    emit_call(
        &mut a,
        signal::SYS_TGKILL,
        [V(signal::PID), V(1000), V(16), V(0)],
    );
    exit_with_seen(&mut a);
    a.label("child");
    wait_forever(&mut a);
    seen_handler(&mut a);
    a
}

#[test]
fn a_quantum_does_not_end_between_a_delivery_and_its_handler() {
    // The tgkill placed as the last instruction of the main thread's first quantum: the
    // VM delivers after it and, with the quantum spent, would switch to the child before
    // the handler's first instruction, which the proof cannot take. The quantum ends one
    // instruction later instead.
    let record = |pad: u32| {
        let program = Program::parse(&quantum_program(16_000, pad).elf()).unwrap();
        let machine = Machine::new(&program).unwrap();
        let r = super::record::execute(
            &program,
            &machine.setup,
            &["prog".to_string()],
            Vec::new(),
            1 << 20,
        );
        (r.unwrap(), machine, program)
    };
    let (r, _, _) = record(0);
    let send = |r: &super::record::Record| {
        r.syscalls
            .iter()
            .find(|s| s.number == signal::SYS_TGKILL)
            .unwrap()
            .step as u64
    };
    let pad = crate::vm::sched::QUANTUM - 1 - send(&r);
    let (r, machine, _) = record(pad as u32);
    assert_eq!(
        send(&r),
        crate::vm::sched::QUANTUM - 1,
        "the quantum's last instruction"
    );
    assert_eq!(r.exit_code, 16);
    let handler = &r.steps[send(&r) as usize + 1];
    assert!(!handler.switched, "the handler runs first");
    let (statement, w, start) = machine.witness_of(&r, &["prog".to_string()]).unwrap();
    machine
        .traces_from(&w, &start, &statement)
        .unwrap()
        .check()
        .unwrap();
}

#[test]
fn threads_clone_switch_and_wait_and_prove() {
    let (_, st, inst) = traced(&thread_program());
    assert_eq!(st.output, thread_output());
    let t = |k: ChipKind| p3_matrix::Matrix::height(&inst.traces[k.index()]);
    assert_eq!(t(ChipKind::Clone), threads::BLOCK);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

#[test]
fn a_thread_exits_and_the_others_go_on() {
    let (_, st, inst) = traced(&exit_program(false, false));
    assert_eq!(st.output, 1001u32.to_be_bytes());
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// Go's netpoller, by hand: `epoll_create1(EPOLL_CLOEXEC)` (fd 4), `eventfd2(0,
/// EFD_CLOEXEC | EFD_NONBLOCK)` (fd 5), `epoll_ctl(4, ADD, 5, {events, data})`, then a
/// wait (0 events), a read (`EAGAIN`), a write of 3, a wait (1 event: `EPOLLIN` and the
/// data, the pad word left as 0x55555555), a read (3). With `observe`, the five results
/// go to fd 3 as words, then the two events' 32 bytes and the 8 bytes read; without it
/// the program reads none of them (for forgeries that change one).
pub(crate) fn poll_program(events: u32, observe: bool) -> Asm {
    let mut a = Asm::new();
    a.data("three", &[0, 0, 0, 0, 0, 0, 0, 3]);
    a.bss("ev", 16);
    a.bss("evs", 32);
    a.bss("val", 8);
    a.bss("out", 20);
    a.li(A0, 0x8_0000);
    a.li(V0, 4326);
    a.syscall();
    a.or(S0, V0, ZERO);
    a.li(A0, 0);
    a.li(A1, 0x8_0080);
    a.li(V0, 4325);
    a.syscall();
    a.or(S1, V0, ZERO);
    a.la(T0, "ev");
    a.li(T1, events);
    a.sw(T1, 0, T0);
    a.li(T1, 0x1234_5678);
    a.sw(T1, 8, T0);
    a.li(T1, 0x9abc_def0);
    a.sw(T1, 12, T0);
    a.or(A0, S0, ZERO);
    a.li(A1, 1);
    a.or(A2, S1, ZERO);
    a.la(A3, "ev");
    a.li(V0, 4249);
    a.syscall();
    a.la(T0, "evs");
    a.li(T1, 0x5555_5555);
    a.sw(T1, 4, T0);
    a.sw(T1, 20, T0);
    a.la(S2, "out");
    // o32's fifth argument, the sigmask, at $sp + 16: NULL.
    a.addiu(SP, SP, 0xffe0);
    a.sw(ZERO, 16, SP);
    a.sw(ZERO, 20, SP);
    let wait = |a: &mut Asm| {
        a.or(A0, S0, ZERO);
        a.la(A1, "evs");
        a.li(A2, 2);
        a.li(A3, 0);
        a.li(V0, 4313);
        a.syscall();
    };
    let io = |a: &mut Asm, number: u32, buf: &str| {
        a.or(A0, S1, ZERO);
        a.la(A1, buf);
        a.li(A2, 8);
        a.li(V0, number);
        a.syscall();
    };
    let keep = |a: &mut Asm, r: u8, at: u16| {
        if observe {
            a.sw(r, at as i16, S2);
        }
    };
    wait(&mut a);
    keep(&mut a, V0, 0);
    io(&mut a, 4003, "val");
    keep(&mut a, V0, 4);
    io(&mut a, 4004, "three");
    keep(&mut a, V0, 8);
    wait(&mut a);
    keep(&mut a, V0, 12);
    io(&mut a, 4003, "val");
    keep(&mut a, V0, 16);
    if observe {
        for (buf, len) in [("out", 20), ("evs", 32), ("val", 8)] {
            a.li(A0, 3);
            a.la(A1, buf);
            a.li(A2, len);
            a.li(V0, 4004);
            a.syscall();
        }
    }
    a.exit(0);
    a
}

#[test]
fn the_netpollers_calls_satisfy_every_constraint_and_prove() {
    let (_, st, inst) = traced(&poll_program(super::poll::EPOLLIN, true));
    let words: Vec<u32> = st
        .output
        .chunks(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
        .collect();
    use crate::syscalls::errno::EAGAIN;
    assert_eq!(
        words,
        [
            0,
            EAGAIN,
            8,
            1,
            8, // the results
            1,
            0x5555_5555,
            0x1234_5678,
            0x9abc_def0, // the event, its pad left alone
            0,
            0x5555_5555,
            0,
            0, // no second event
            0,
            3, // the counter read
        ]
    );
    let t = &inst.traces[ChipKind::Poll.index()];
    let rows = t
        .values
        .chunks(t.width)
        .filter(|r| r[..6].contains(&Val::ONE));
    assert_eq!(rows.count(), 8);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// `FUTEX_WAIT_PRIVATE` on a word holding 0 with `val` 1 and the timeout `{1, nsec}`:
/// `EAGAIN` for a valid timeout (Linux checks it first), `EINVAL` for `nsec >= 10^9`.
pub(crate) fn futex_timeout_program(nsec: u32) -> Asm {
    let mut a = Asm::new();
    a.bss("word", 4);
    a.bss("ts", 8);
    a.la(T0, "ts");
    a.li(T1, 1);
    a.sw(T1, 0, T0);
    a.li(T1, nsec);
    a.sw(T1, 4, T0);
    a.la(A0, "word");
    a.li(A1, super::futex::FUTEX_WAIT_PRIVATE);
    a.li(A2, 1);
    a.la(A3, "ts");
    a.li(V0, super::futex::SYS_FUTEX);
    a.syscall();
    a.exit(0);
    a
}

#[test]
fn a_futex_wait_reads_its_timeout() {
    let (_, _, inst) = traced(&futex_timeout_program(999_999_999));
    let t = &inst.traces[ChipKind::Futex.index()];
    let row: &super::futex::FutexCols<Val> = std::borrow::Borrow::borrow(&t.values[..t.width]);
    assert_eq!(row.has_timeout, Val::ONE);
    assert_eq!(row.nsec, super::word(999_999_999));
    inst.check().unwrap();
}

/// `rt_sigprocmask(SIG_BLOCK, a)`, then `rt_sigprocmask(SIG_UNBLOCK, b, old1)`; with
/// `observe`, a query into `old2` and both old masks to fd 3. `a` holds SIGKILL and
/// SIGSTOP, which no mask keeps.
pub(crate) fn mask_program(observe: bool) -> Asm {
    let words = |w: [u32; 4]| -> Vec<u8> { w.iter().flat_map(|v| v.to_be_bytes()).collect() };
    let mut a = Asm::new();
    a.data("a", &words([0x0040_0301, 0x8000_0001, 0, 0xffff_0000]));
    a.data(
        "b",
        &words([0x0000_0001, 0x8000_0000, 0xffff_ffff, 0x0f00_0000]),
    );
    a.bss("old", 32);
    let call = |a: &mut Asm, how: u32, set: Option<&str>, old: Option<u16>| {
        a.li(A0, how);
        match set {
            Some(l) => a.la(A1, l),
            None => a.li(A1, 0),
        };
        a.la(A2, "old");
        match old {
            Some(off) => a.addiu(A2, A2, off),
            None => a.li(A2, 0),
        };
        a.li(A3, 16);
        a.li(V0, super::getset::SYS_RT_SIGPROCMASK);
        a.syscall();
    };
    call(&mut a, super::getset::SIG_BLOCK, Some("a"), None);
    call(&mut a, super::getset::SIG_UNBLOCK, Some("b"), Some(0));
    if observe {
        call(&mut a, super::getset::SIG_BLOCK, None, Some(16));
        emit_call(
            &mut a,
            4004,
            [
                Arg::Value(3),
                Arg::Label("old"),
                Arg::Value(32),
                Arg::Value(0),
            ],
        );
    }
    a.exit(0);
    a
}

#[test]
fn sig_block_and_sig_unblock_combine_the_mask_and_prove() {
    let (_, st, inst) = traced(&mask_program(true));
    let words: Vec<u32> = st
        .output
        .chunks(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        words,
        [
            0x0000_0201,
            0x8000_0001,
            0,
            0xffff_0000, // after SIG_BLOCK, without 9 and 23
            0x0000_0200,
            0x0000_0001,
            0,
            0xf0ff_0000, // after SIG_UNBLOCK
        ]
    );
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

/// An alternate signal stack, then its `SS_DISABLE` (no `oss`; with `query`, an `oss`
/// too), as Go's runtime makes it before a thread exits. `sp`, if given, moves `$sp` to
/// a label plus an offset first: off the stack at `alt` itself or below it, on it from
/// `alt + 1` to `alt + 4096` (Linux's `EPERM`). The program writes nothing.
pub(crate) fn altstack_program(sp: Option<(&'static str, u32)>, query: bool) -> Asm {
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.data("dis", &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    a.bss("ss", 12);
    a.bss("oss", 12);
    a.bss("alt", 4096);
    a.la(T0, "ss");
    a.la(T1, "alt");
    a.sw(T1, 0, T0);
    a.li(T1, 4096);
    a.sw(T1, 4, T0);
    emit_call(&mut a, getset::SYS_SIGALTSTACK, [L("ss"), V(0), V(0), V(0)]);
    if let Some((label, off)) = sp {
        a.la(SP, label);
        a.li(T0, off);
        a.addu(SP, SP, T0);
    }
    let oss = if query { L("oss") } else { V(0) };
    emit_call(&mut a, getset::SYS_SIGALTSTACK, [L("dis"), oss, V(0), V(0)]);
    a.exit(0);
    a
}

#[test]
fn an_alternate_stack_is_disabled_off_it() {
    // $sp where the runtime has it (above the stack), at the stack's base and below it.
    for sp in [None, Some(("alt", 0)), Some(("ss", 0))] {
        let (_, st, inst) = traced(&altstack_program(sp, false));
        assert_eq!(st.exit_code, 0);
        inst.check().unwrap();
    }
    let (_, _, inst) = traced(&altstack_program(Some(("alt", 0)), false));
    proves_and_verifies(&inst);
}

#[test]
fn getrlimit_reads_the_limit_prlimit64_sets() {
    // getrlimit(RLIMIT_NOFILE) before and after prlimit64 raises the soft limit to 2048:
    // the two answers go to fd 3.
    use super::getset::{RLIMIT_NOFILE, SYS_GETRLIMIT, SYS_PRLIMIT64};
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.data("new", &[0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 16, 0]);
    a.bss("out", 16);
    emit_call(
        &mut a,
        SYS_GETRLIMIT,
        [V(RLIMIT_NOFILE), L("out"), V(0), V(0)],
    );
    emit_call(
        &mut a,
        SYS_PRLIMIT64,
        [V(0), V(RLIMIT_NOFILE), L("new"), V(0)],
    );
    a.la(S0, "out");
    a.addiu(A1, S0, 8);
    a.li(A0, RLIMIT_NOFILE);
    a.li(V0, SYS_GETRLIMIT);
    a.syscall();
    print_out_and_exit(&mut a, 16);
    let (_, st, inst) = traced(&a);
    let want: Vec<u8> = [1024u32, 4096, 2048, 4096]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    assert_eq!(st.output, want);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

#[test]
fn an_alternate_stack_set_with_ss_onstack_proves() {
    // sigaltstack with ss_flags SS_ONSTACK, which Linux (and qemu-user) take as 0, then
    // its SS_DISABLE off the stack: the exit status is the first call's $v0 + $a3.
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.data("dis", &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    a.bss("ss", 12);
    a.bss("alt", 4096);
    a.la(T0, "ss");
    a.la(T1, "alt");
    a.sw(T1, 0, T0);
    a.li(T1, 4096);
    a.sw(T1, 4, T0);
    a.li(T1, getset::SS_ONSTACK);
    a.sw(T1, 8, T0);
    emit_call(&mut a, getset::SYS_SIGALTSTACK, [L("ss"), V(0), V(0), V(0)]);
    a.addu(S3, V0, A3);
    emit_call(
        &mut a,
        getset::SYS_SIGALTSTACK,
        [L("dis"), V(0), V(0), V(0)],
    );
    a.addu(S3, S3, V0);
    a.addu(S3, S3, A3);
    a.exit_reg(S3);
    let (_, st, inst) = traced(&a);
    assert_eq!(st.exit_code, 0);
    inst.check().unwrap();
    proves_and_verifies(&inst);
}

#[test]
fn three_hundred_threads_exit_one_by_one() {
    // The count of exited threads passes 255: a count word, not four bytes, at the end
    // (found by review). Each child exits at once; the main thread yields to it.
    use Arg::Value as V;
    let mut a = Asm::new();
    a.bss("stack", 256);
    a.li(S0, 300);
    a.label("loop");
    clone_child(&mut a);
    emit_call(&mut a, 4162, [V(0), V(0), V(0), V(0)]);
    a.addiu(S0, S0, 0xffff);
    a.bne(S0, ZERO, "loop");
    a.nop();
    a.exit(0);
    a.label("child");
    emit_call(&mut a, syscall::SYS_EXIT, [V(0), V(0), V(0), V(0)]);
    let (_, st, inst) = traced(&a);
    assert_eq!(st.exit_code, 0);
    inst.check().unwrap();
}
