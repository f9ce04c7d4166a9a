//! Soundness tests: witnesses that lie, and the check that catches each.
//!
//! Each case makes the trace generator write one wrong value (directly in a trace, or in
//! the events the traces are built from, so that everything else stays consistent) and
//! asserts which constraint or bus rejects it. Where the forged witness is otherwise
//! consistent, the test asserts that the named check is the only one that fails: without
//! it, the forgery would be accepted. A sample is also proved and verified for real.

use std::borrow::{Borrow, BorrowMut};

use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};

use super::bus::{self, ByteOp, BYTE, IMAGE, INSTR, MEMORY, PROGRAM};
use super::check::CheckError;
use super::tests::{
    affinity_program, altstack_program, clock_program, coverage_program, exit_program,
    fault_program, futex_timeout_program, input_program, mask_program, pend_program, poll_program,
    random_program, send_program, take_program, thread_program, traced, Pend, Take, INPUT,
    USR1_BIT, USR2_BIT,
};
use super::witness::{Witness, WordState};
use super::*;
use crate::asm::{reg::*, Asm};

const P: u32 = 0x7f00_0001;

/// The first row of `kind`'s trace whose columns satisfy `pick`, changed by `f`.
fn mutate<C>(
    inst: &mut Instances,
    kind: ChipKind,
    pick: impl Fn(&C) -> bool,
    f: impl FnOnce(&mut C),
) where
    [Val]: BorrowMut<C>,
{
    let t = inst.trace_mut(kind);
    let w = t.width;
    for row in t.values.chunks_mut(w) {
        let c: &mut C = row.borrow_mut();
        if pick(c) {
            f(c);
            return;
        }
    }
    panic!("no row of {kind:?} matches");
}

fn one() -> Val {
    Val::ONE
}

fn is(v: Val) -> bool {
    v == Val::ONE
}

/// Where the first failure is.
#[derive(Debug, PartialEq, Eq)]
enum At {
    Constraint(&'static str),
    Bus(&'static str),
}

fn first(inst: &Instances) -> At {
    match inst.check() {
        Ok(()) => panic!("the forged witness passed every check"),
        Err(CheckError::Constraint { chip, .. }) => At::Constraint(leak(chip)),
        Err(CheckError::Unbalanced { bus, .. }) => At::Bus(leak(bus)),
        Err(e) => panic!("unexpected: {e}"),
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Every failure, for cases that must fail at exactly one check.
fn all(inst: &Instances) -> Vec<CheckError> {
    inst.check_all(100)
}

/// Every failure is a constraint of `chip`.
fn only_constraints_of(inst: &Instances, chip: &str) {
    let errs = all(inst);
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Constraint { chip: c, .. } if c == chip)),
        "{errs:?}"
    );
}

/// Every failure is an imbalance of `bus`.
fn only_bus(inst: &Instances, bus: &str) {
    let errs = all(inst);
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { bus: b, .. } if b == bus)),
        "{errs:?}"
    );
}

/// Every failure is an unbalanced range or byte lookup that `chip` sends (the byte table's
/// side of it balances).
fn only_byte_lookups_of(inst: &Instances, chip: &str) {
    let errs = all(inst);
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { bus, chip: c, .. }
                if bus == BYTE && c == chip)),
        "{errs:?}"
    );
}

fn fresh() -> (Machine, Statement, Instances) {
    traced(&coverage_program())
}

#[test]
fn add_sub_result_is_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::AddSub,
        |c: &add_sub::AddSubCols<Val>| is(c.is_add),
        |c| c.c[0] += one(),
    );
    assert_eq!(first(&inst), At::Constraint("add_sub"));
}

#[test]
fn add_overflow_is_refused() {
    // ADD 0x7fffffff + 1: the adder holds, but the sign parity is odd.
    let ev = witness::InstrEvent {
        op: program::Opcode::AddTrap,
        clk: 0,
        thread: 0,
        a: 0x7fff_ffff,
        b: 1,
        c: 0x8000_0000,
        aux: 0,
    };
    let mut bytes = bytes::ByteCounts::default();
    let trace = add_sub::AddSubChip.generate_trace(&[ev], &mut bytes);
    let chip = Chip::AddSub(add_sub::AddSubChip);
    let err = check::check(&[check::CheckInstance {
        name: "add_sub".into(),
        air: &chip,
        main: &trace,
        public_values: &[],
    }]);
    assert!(
        matches!(err, Err(CheckError::Constraint { ref chip, row: 0, .. }) if chip == "add_sub"),
        "{err:?}"
    );
    // The same sum without the trap (ADDU) is fine: only the parity is at stake.
    let ev = witness::InstrEvent {
        op: program::Opcode::Add,
        ..ev
    };
    let trace = add_sub::AddSubChip.generate_trace(&[ev], &mut bytes);
    let errs = check::check_all(
        &[check::CheckInstance {
            name: "add_sub".into(),
            air: &chip,
            main: &trace,
            public_values: &[],
        }],
        10,
    );
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { .. })),
        "{errs:?}"
    );
}

#[test]
fn bitwise_result_is_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Bitwise,
        |c: &bitwise::BitwiseCols<Val>| is(c.is_xor),
        |c| c.r[1] += one(),
    );
    let f = first(&inst);
    assert!(matches!(f, At::Bus(BYTE) | At::Bus(INSTR)), "{f:?}");
}

#[test]
fn branch_condition_is_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Branch,
        |c: &branch::BranchCols<Val>| is(c.is_beq),
        |c| c.eq = one() - c.eq,
    );
    assert_eq!(first(&inst), At::Constraint("branch"));
}

#[test]
fn loaded_value_is_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Memory,
        |c: &memory::MemoryCols<Val>| is(c.is_lw),
        |c| c.c[2] += one(),
    );
    assert_eq!(first(&inst), At::Constraint("memory"));
}

#[test]
fn stored_value_is_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Memory,
        |c: &memory::MemoryCols<Val>| is(c.is_sb),
        |c| c.new[0] += one(),
    );
    assert_eq!(first(&inst), At::Constraint("memory"));
}

#[test]
fn syscall_result_is_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.is_write),
        |c| c.result[0] += one(),
    );
    assert_eq!(first(&inst), At::Constraint("syscall"));
}

#[test]
fn register_write_is_checked() {
    let (_, _, mut inst) = fresh();
    // The CPU writes another value than the chip computed.
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.flags.write) && !is(c.flags.link),
        |c| c.c[0] += one(),
    );
    assert_eq!(first(&inst), At::Bus(INSTR));
}

#[test]
fn previous_register_value_is_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.flags.write),
        |c| c.w_prev[0] += one(),
    );
    assert_eq!(first(&inst), At::Bus(MEMORY));
}

#[test]
fn flags_must_be_boolean() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.flags.write),
        |c| c.flags.write = Val::TWO,
    );
    assert_eq!(first(&inst), At::Constraint("cpu"));
    // (The adder, which the flag also enters, fails too.)
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::AddSub,
        |c: &add_sub::AddSubCols<Val>| is(c.is_sub),
        |c| {
            c.is_sub = -one();
        },
    );
    assert_eq!(first(&inst), At::Constraint("add_sub"));
}

#[test]
fn multiplicities_must_match() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Program,
        |c: &program::RomMainCols<Val>| is(c.mult),
        |c| c.mult += one(),
    );
    assert_eq!(first(&inst), At::Bus(PROGRAM));
    let (_, _, mut inst) = fresh();
    // A ROM padding row cannot be looked up.
    let t = inst.trace_mut(ChipKind::Program);
    let last = t.values.len() - 1;
    t.values[last] = one();
    assert_eq!(first(&inst), At::Constraint("program"));
}

#[test]
fn padding_rows_send_nothing() {
    let (_, _, mut inst) = fresh();
    let t = inst.trace_mut(ChipKind::AddSub);
    let w = t.width;
    let n = t.values.len();
    let row: &mut add_sub::AddSubCols<Val> = t.values[n - w..].borrow_mut();
    row.is_add = one();
    let errs = all(&inst);
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { .. })),
        "{errs:?}"
    );
    assert!(errs
        .iter()
        .any(|e| matches!(e, CheckError::Unbalanced { bus, .. } if bus == INSTR)));
    // A padding CPU row cannot become real: real rows are a prefix ending at the halt.
    let (_, _, mut inst) = fresh();
    let t = inst.trace_mut(ChipKind::Cpu);
    let w = t.width;
    let n = t.values.len();
    let row: &mut cpu::CpuCols<Val> = t.values[n - w..].borrow_mut();
    row.is_real = one();
    // It follows on from the padding row before it (clock 0, pc 0), runs the instruction
    // after pc, and its two reads (of $zero) get timestamps that satisfy the access
    // constraint: only the rule that real rows are a prefix stands against it.
    row.clk = one();
    row.new_next_pc = Val::from_u32(4);
    for (acc, slot) in [(&mut row.a_acc, bus::SLOT_A), (&mut row.b_acc, bus::SLOT_B)] {
        let d = (row.clk.as_canonical_u32() + 1) * bus::TS_SLOTS + slot - 1;
        acc.diff_lo = Val::from_u32(d & 0xffff);
        acc.diff_hi = Val::from_u32(d >> 16);
    }
    assert_eq!(first(&inst), At::Constraint("cpu"));
}

#[test]
fn writes_to_zero_are_impossible() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.flags.write),
        |c| c.rw = Val::ZERO,
    );
    assert_eq!(first(&inst), At::Bus(PROGRAM));
}

#[test]
fn branch_targets_are_checked() {
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.taken) && is(c.flags.branch),
        |c| c.new_next_pc += Val::from_u32(4),
    );
    assert_eq!(first(&inst), At::Constraint("cpu"));
}

#[test]
fn delay_slots_are_checked() {
    // Skipping a delay slot that must run.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.flags.jump),
        |c| c.new_pc += Val::from_u32(4),
    );
    assert_eq!(first(&inst), At::Constraint("cpu"));
}

#[test]
fn branches_are_taken_only_when_their_condition_holds() {
    // A branch taken that the condition says is not.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.flags.branch) && !is(c.taken),
        |c| c.taken = one(),
    );
    assert_eq!(first(&inst), At::Constraint("cpu"));
}

#[test]
fn timestamps_must_increase() {
    let (_, _, mut inst) = fresh();
    // Claim the previous access was later than this one, with limbs that satisfy the
    // linear relation: the high limb is then no byte.
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| c.clk == Val::from_u32(5),
        |c| {
            let ts = (5 + 1) * 4;
            c.a_acc.prev_ts = Val::from_u32(ts + 1);
            let d = P - 2;
            c.a_acc.diff_lo = Val::from_u32(d & 0xffff);
            c.a_acc.diff_hi = Val::from_u32(d >> 16);
        },
    );
    let errs = all(&inst);
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { .. })),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| matches!(e, CheckError::Unbalanced { bus, message, .. }
            if bus == BYTE && message[0] == ByteOp::Range8x2 as u32 && message[1] == (P - 2) >> 16)),
        "{errs:?}"
    );
}

#[test]
fn first_row_is_the_entry() {
    let (_, _, mut inst) = fresh();
    inst.public_values[4][cpu::pv::PC] += Val::from_u32(4);
    assert_eq!(first(&inst), At::Constraint("cpu"));
    let (_, _, mut inst) = fresh();
    inst.public_values[4][cpu::pv::CLK] += one();
    assert_eq!(first(&inst), At::Constraint("cpu"));
    let (_, _, mut inst) = fresh();
    inst.public_values[4][cpu::pv::CYCLES] += one();
    assert_eq!(first(&inst), At::Constraint("cpu"));
}

#[test]
fn exit_code_is_checked() {
    let (_, _, mut inst) = fresh();
    inst.public_values[ChipKind::Syscall.index()][syscall::pv::EXIT_CODE] += one();
    assert_eq!(first(&inst), At::Constraint("syscall"));
}

#[test]
fn initial_state_is_the_statements() {
    let (_, _, mut inst) = fresh();
    // The prover's copy of the periodic data must equal it.
    mutate(
        &mut inst,
        ChipKind::Init,
        |c: &init::InitCols<Val>| is(c.is_stack),
        |c| c.value[0] += one(),
    );
    assert_eq!(first(&inst), At::Constraint("init"));
}

/// The coverage program's honest witness, traced for the statement `f` makes of the
/// true one.
fn claimed(f: impl FnOnce(&mut Statement)) -> Instances {
    let asm = coverage_program();
    let program = Program::parse(&asm.elf()).unwrap();
    let machine = Machine::new(&program).unwrap();
    let argv = vec!["prog".to_string()];
    let (mut statement, w, start) = machine
        .witness(&program, &argv, Vec::new(), 1 << 20)
        .unwrap();
    f(&mut statement);
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn output_bytes_are_the_memory_bytes_written() {
    // Claim one byte of fd 3's output other than the program wrote: the byte the output
    // chip reads from memory differs from the statement's.
    for i in [0, 4, 5, 15] {
        let inst = claimed(|s| s.output[i] ^= 0x20);
        let errs = all(&inst);
        assert!(!errs.is_empty(), "byte {i}");
        assert!(
            errs.iter()
                .all(|e| matches!(e, CheckError::Constraint { chip, row, .. }
                    if chip == "output" && *row == i)),
            "byte {i}: {errs:?}"
        );
    }
}

#[test]
fn output_is_neither_longer_nor_shorter_than_written() {
    // A byte more than written has no write to come from.
    let inst = claimed(|s| s.output.push(b'!'));
    assert_eq!(first(&inst), At::Constraint("output"));
    // A byte fewer leaves the last write's bytes without rows to land in.
    let inst = claimed(|s| {
        s.output.pop();
    });
    assert!(inst.check().is_err());
    // No output at all, though the program wrote some.
    let inst = claimed(|s| s.output.clear());
    assert!(inst.check().is_err());
}

#[test]
fn every_write_to_fd3_reaches_the_output() {
    // Drop a write's request: only has_bytes = (count > 0) catches it.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.has_bytes),
        |c| c.has_bytes = Val::ZERO,
    );
    let errs = all(&inst);
    assert!(
        matches!(errs.first(), Some(CheckError::Constraint { chip, .. }) if chip == "syscall"),
        "{errs:?}"
    );
    // Place a write's bytes at another output position: the kernel's cursor says where.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.has_bytes) && c.cursor != Val::ZERO,
        |c| c.cursor -= one(),
    );
    let errs = all(&inst);
    assert!(
        errs.iter()
            .any(|e| matches!(e, CheckError::Unbalanced { bus, .. } if bus == MEMORY)),
        "{errs:?}"
    );
}

#[test]
fn output_rows_continue_their_write() {
    // The second byte of a write claims the word of another address.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Output,
        |c: &output::OutputCols<Val>| is(c.is_out) && c.first == Val::ZERO,
        |c| c.waddr += one(),
    );
    assert_eq!(first(&inst), At::Constraint("output"));
}

#[test]
fn output_writes_start_where_the_request_says() {
    // A write's first byte claims to continue the previous write.
    let (_, _, mut inst) = fresh();
    let t = inst.trace_mut(ChipKind::Output);
    let w = t.width;
    let row: &mut output::OutputCols<Val> = t.values[5 * w..6 * w].borrow_mut();
    assert!(is(row.first));
    row.first = Val::ZERO;
    assert_eq!(first(&inst), At::Constraint("output"));
}

/// The coverage program's witness, rebuilt with `f` applied to the events.
fn forged(f: impl FnOnce(&Machine, &mut Witness)) -> Instances {
    let asm = coverage_program();
    let program = Program::parse(&asm.elf()).unwrap();
    let machine = Machine::new(&program).unwrap();
    let argv = vec!["prog".to_string()];
    let record = record::execute(&program, &machine.setup, &argv, Vec::new(), 1 << 20).unwrap();
    let start = Start::new(&machine.setup.facts, &argv).unwrap();
    let image = machine.setup.image_values();
    let stack = start.stack_words();
    let mut w = Witness::new(&record, &machine.setup, &start, &image, &stack).unwrap();
    f(&machine, &mut w);
    let statement = Statement {
        env: Vec::new(),
        argv,
        output: record.output.clone(),
        exit_code: w.exit_code,
        cycles: w.cycles,
    };
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn memory_init_must_be_the_image() {
    // Start the message word at another value, consistently for every later access:
    // only the image lookup can tell.
    let asm = coverage_program();
    let program = Program::parse(&asm.elf()).unwrap();
    let msg = crate::asm::DATA_BASE / 4 + 1; // "o\n\0\0", read by lbu 4(msg)
    let argv = vec!["prog".to_string()];
    let machine = Machine::new(&program).unwrap();
    let mut record = record::execute(&program, &machine.setup, &argv, Vec::new(), 1 << 20).unwrap();
    let fake = 0x4142_0a00;
    let mut image = machine.setup.image_values();
    image.insert(msg, fake);
    for s in &mut record.steps {
        let e = machine.setup.rom[s.rom as usize];
        let op = witness::opcode(e.op);
        if s.mem_addr == msg && matches!(op, program::Opcode::Lb | program::Opcode::Lbu) {
            s.mem_value = fake;
            let addr = s.a.wrapping_add(e.aux as u16 as i16 as i32 as u32);
            s.out = witness::load_result(op, fake, addr & 3, s.b);
        }
    }
    // The word's first two bytes are also output[3..5] ("o\n"), written to fd 3.
    record.output[3] = 0x41;
    record.output[4] = 0x42;
    let start = Start::new(&machine.setup.facts, &argv).unwrap();
    let stack = start.stack_words();
    let w = Witness::new(&record, &machine.setup, &start, &image, &stack).unwrap();
    // The loaded byte flows on into $s2; it is never used again, so the rest holds.
    let statement = Statement {
        env: Vec::new(),
        argv,
        output: record.output.clone(),
        exit_code: w.exit_code,
        cycles: w.cycles,
    };
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_bus(&inst, IMAGE);
}

#[test]
fn duplicate_init_addresses_are_refused() {
    // A second, self-cancelling boundary row for a touched stack word balances every
    // bus: only the strictly increasing addresses reject it.
    let inst = forged(|_, w| {
        let i = w
            .words
            .iter()
            .position(|s| s.ts > 1 && s.init == 0)
            .unwrap();
        let dup = WordState {
            init: 0,
            value: 0,
            ts: 0,
            ..w.words[i]
        };
        w.words.insert(i, dup);
    });
    only_byte_lookups_of(&inst, "boundary");
}

#[test]
fn read_only_words_keep_their_value() {
    // The coverage program reads a code word; claim it ends changed.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Boundary,
        |c: &boundary::BoundaryCols<Val>| is(c.in_image) && c.writable == Val::ZERO,
        |c| c.final_value[0] += one(),
    );
    assert_eq!(first(&inst), At::Constraint("boundary"));
}

#[test]
fn register_targets_cannot_alias_modulo_p() {
    // `jr $t0` with t0 = T + p: as a field element the target is T, a valid address, but
    // the VM would jump to T + p (unmapped) and fault. The witness is an honest run to T,
    // with the ROM of a program that loads T + p and every value patched to match.
    let build = |value: u32| {
        let mut a = Asm::new();
        a.lui(T0, (value >> 16) as u16);
        a.ori(T0, T0, value as u16);
        a.jr(T0);
        a.nop();
        a.exit(3);
        a
    };
    let target = crate::asm::TEXT_BASE + 16;
    let forged_value = target + P;
    let hp = Program::parse(&build(target).elf()).unwrap();
    let fp = Program::parse(&build(forged_value).elf()).unwrap();
    let machine = Machine::new(&fp).unwrap();
    let argv = vec!["prog".to_string()];
    let honest = Machine::new(&hp).unwrap();
    let mut record = record::execute(&hp, &honest.setup, &argv, Vec::new(), 100).unwrap();
    // lui and ori produce the forged value (jr's operand is patched below, since the
    // witness builder follows the VM's control flow).
    record.steps[0].b = forged_value & 0xffff_0000;
    record.steps[0].out = forged_value & 0xffff_0000;
    record.steps[1].a = forged_value & 0xffff_0000;
    record.steps[1].b = forged_value & 0xffff;
    record.steps[1].out = forged_value;
    let start = Start::new(&machine.setup.facts, &argv).unwrap();
    let image = machine.setup.image_values();
    let stack = start.stack_words();
    // (jr's operand is the honest target here: the witness's own check of operands
    // against registers is turned off.)
    super::mm::LENIENT.with(|l| l.set(true));
    let w = Witness::new(&record, &machine.setup, &start, &image, &stack);
    super::mm::LENIENT.with(|l| l.set(false));
    let mut w = w.unwrap();
    w.cpu[2].step.a = forged_value;
    w.regs[T0 as usize].0 = forged_value;
    let statement = Statement {
        env: Vec::new(),
        argv,
        output: Vec::new(),
        exit_code: w.exit_code,
        cycles: w.cycles,
    };
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    let errs = all(&inst);
    assert!(!errs.is_empty());
    // The only failure: the range check of the target's top byte (0x7e - 0x7f).
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { bus, message, .. }
            if bus == BYTE && message[0] == ByteOp::Range8x2 as u32 && message[1] == P - 1)),
        "{errs:?}"
    );
}

/// Whether the real prover proves `inst` and the verifier accepts the proof. (Debug builds
/// of Plonky3 refuse a bad witness while proving, with a panic; release builds prove it
/// and the verifier refuses the proof.)
fn proves_and_verifies(inst: &Instances) -> bool {
    let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let proof = prove(inst)?;
        let common = common_data(&inst.airs, &proof.degree_bits)?;
        verify(&inst.airs, &proof, &inst.public_values, &common)
    }));
    matches!(ok, Ok(Ok(())))
}

#[test]
fn forged_witnesses_do_not_verify() {
    // A sample of the cases above, through the real prover and verifier.
    type Case = Box<dyn Fn(&mut Instances)>;
    let cases: Vec<Case> = vec![
        Box::new(|i| {
            mutate(
                i,
                ChipKind::AddSub,
                |c: &add_sub::AddSubCols<Val>| is(c.is_add),
                |c| c.c[0] += one(),
            )
        }),
        Box::new(|i| {
            mutate(
                i,
                ChipKind::Cpu,
                |c: &cpu::CpuCols<Val>| is(c.flags.write),
                |c| c.rw = Val::ZERO,
            )
        }),
        Box::new(|i| {
            mutate(
                i,
                ChipKind::Memory,
                |c: &memory::MemoryCols<Val>| is(c.is_lw),
                |c| c.c[2] += one(),
            )
        }),
        Box::new(|i| i.public_values[ChipKind::Syscall.index()][0] += one()),
        Box::new(|i| {
            mutate(
                i,
                ChipKind::Output,
                |c: &output::OutputCols<Val>| is(c.is_out),
                |c| c.word = [Val::ZERO; 4],
            )
        }),
    ];
    for (k, case) in cases.iter().enumerate() {
        let (_, _, mut inst) = fresh();
        case(&mut inst);
        assert!(!proves_and_verifies(&inst), "case {k} verified");
    }
}

#[test]
fn stores_to_read_only_words_are_refused() {
    // The reviewer's attack: store to a read-only word, write it to fd 3, store the old
    // value back, so that the word ends as it began. The VM faults on the first store, so
    // there is no honest trace: run the program with its data page writable, then trace
    // it for a machine whose page holding the word is read-only.
    let mut a = Asm::new();
    a.bss("word", 4);
    a.la(S0, "word");
    a.li(T0, 0x4242_4242);
    a.sw(T0, 0, S0);
    a.li(A0, 3);
    a.addu(A1, S0, ZERO);
    a.li(A2, 4);
    a.li(V0, 4004);
    a.syscall();
    a.sw(ZERO, 0, S0);
    a.exit(0);
    let program = Program::parse(&a.elf()).unwrap();
    let honest = Machine::new(&program).unwrap();
    let argv = vec!["prog".to_string()];
    let record = record::execute(&program, &honest.setup, &argv, Vec::new(), 1 << 20).unwrap();
    assert_eq!(record.output, b"BBBB");
    let word = crate::asm::DATA_BASE / 4;
    let mut machine = honest.clone();
    for r in machine.setup.regions.iter_mut() {
        if r.lo <= word && word <= r.hi {
            r.writable = false;
        }
    }
    machine.regions = image::RegionChip::new(machine.setup.regions.clone());
    let start = Start::new(&machine.setup.facts, &argv).unwrap();
    let image = machine.setup.image_values();
    let stack = start.stack_words();
    let statement = |w: &Witness| Statement {
        env: Vec::new(),
        argv: argv.clone(),
        output: record.output.clone(),
        exit_code: w.exit_code,
        cycles: w.cycles,
    };
    // The stores must name the read-only space, where stores are refused...
    let w = Witness::new(&record, &machine.setup, &start, &image, &stack).unwrap();
    let inst = machine.traces_from(&w, &start, &statement(&w)).unwrap();
    only_constraints_of(&inst, "memory");
    // ...or the writable space, where the word has no chain.
    let mut w = Witness::new(&record, &machine.setup, &start, &image, &stack).unwrap();
    for m in w.memory.iter_mut() {
        m.ro = false;
    }
    let inst = machine.traces_from(&w, &start, &statement(&w)).unwrap();
    only_bus(&inst, MEMORY);
    // The honest machine proves the same run.
    let w = Witness::new(&record, &honest.setup, &start, &image, &stack).unwrap();
    honest
        .traces_from(&w, &start, &statement(&w))
        .unwrap()
        .check()
        .unwrap();
}

#[test]
fn messages_on_another_bus_do_not_cancel() {
    // The ROM answers the CPU's fetches on the memory bus instead of its own: the same
    // messages with the same counts, so only bus separation tells them apart. Plonky3
    // offsets each bus's fingerprint by its own multiple of a challenge power above every
    // payload term. The switch is read once per process, so the forgery runs in a child.
    if super::knockout::kept("program.own_bus") {
        let (passed, text) = super::knockout::run_child(
            "program.own_bus",
            "soundness::messages_on_another_bus_do_not_cancel",
        );
        assert!(passed && text.contains("1 passed"), "{text}");
        return;
    }
    let (_, _, inst) = fresh();
    let errs = inst.check_all(1 << 20);
    // The checker also sees the program's messages on the memory bus have another width.
    assert!(errs
        .iter()
        .any(|e| matches!(e, CheckError::Shape(m) if m.contains("bus memory"))));
    assert!(errs.iter().any(
        |e| matches!(e, CheckError::Unbalanced { bus, chip, .. } if bus == PROGRAM && chip == "cpu")
    ));
    assert!(errs.iter().any(
        |e| matches!(e, CheckError::Unbalanced { bus, chip, .. } if bus == MEMORY && chip == "program")
    ));
    assert!(!proves_and_verifies(&inst), "the swapped bus verified");
}

#[test]
fn every_bus_has_one_message_width() {
    // Plonky3 aligns messages at their last element, so `[1]` and `[0, 1]` on one bus
    // would cancel. The checker reports a bus whose messages differ in width...
    struct TwoWidths;
    impl p3_air::BaseAir<Val> for TwoWidths {
        fn width(&self) -> usize {
            1
        }
    }
    impl<'a> p3_air::Air<check::CheckBuilder<'a>> for TwoWidths {
        fn eval(&self, b: &mut check::CheckBuilder<'a>) {
            use p3_lookup::{Count, InteractionBuilder};
            b.push_interaction("x", [Val::ONE], Count::bounded(Val::ONE, 1));
            b.push_interaction("x", [Val::ZERO, Val::ONE], Count::bounded(-Val::ONE, 1));
        }
    }
    let main = p3_matrix::dense::RowMajorMatrix::new(vec![Val::ZERO; 4], 1);
    let errs = check::check_all(
        &[check::CheckInstance {
            name: "toy".into(),
            air: &TwoWidths,
            main: &main,
            public_values: &[],
        }],
        10,
    );
    assert!(
        matches!(errs.first(), Some(CheckError::Shape(m)) if m.contains("bus x")),
        "{errs:?}"
    );
    // ...and the machine has none.
    let (_, _, inst) = fresh();
    assert!(!all(&inst).iter().any(|e| matches!(e, CheckError::Shape(_))));
}

#[test]
fn identity_calls_answer_what_linux_does() {
    // getpid claimed to return 1001, getuid 1, gettid 1001, getppid with an error, or
    // set_thread_area 1.
    type Edit = fn(&mut syscall::SyscallCols<Val>);
    let cases: [(usize, Edit); 5] = [
        (0, |c| c.result[0] += one()),
        (2, |c| c.result[0] = one()),
        (7, |c| c.result[0] += one()),
        (1, |c| c.err[0] = one()),
        (8, |c| c.result[0] = one()),
    ];
    for (k, edit) in cases {
        let (_, _, mut inst) = fresh();
        mutate(
            &mut inst,
            ChipKind::Syscall,
            |c: &syscall::SyscallCols<Val>| is(c.is_ident[k]),
            edit,
        );
        assert_eq!(first(&inst), At::Constraint("syscall"), "call {k}");
    }
}

#[test]
fn every_log_write_is_read_from_memory() {
    // Drop a write to fd 1 or 2's request to the log chip: the log chip would no longer
    // read the buffer, which is what proves it mapped. Only log_bytes = (count > 0)
    // catches it.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.log_bytes),
        |c| c.log_bytes = Val::ZERO,
    );
    let errs = all(&inst);
    assert!(
        matches!(errs.first(), Some(CheckError::Constraint { chip, .. }) if chip == "syscall"),
        "{errs:?}"
    );
}

#[test]
fn log_rows_continue_their_write() {
    // A log byte after the first claims the word of another address.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Log,
        |c: &output::OutputCols<Val>| is(c.is_out) && c.first == Val::ZERO,
        |c| c.waddr += one(),
    );
    assert_eq!(first(&inst), At::Constraint("log"));
}

#[test]
fn write_buffers_cannot_alias_modulo_p() {
    // The buffer's word address is built from buf_q, which must be below 64: a buf_q
    // of q + 1/4 (the field's inverse of 4, (3p + 1) / 4) with the offset one less
    // satisfies a1_0 = 4 buf_q + offset as field elements, and would name another word.
    // Its range check refuses it.
    let (_, _, mut inst) = fresh();
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.has_bytes) && is(c.buf_o[0]),
        |c| {
            c.buf_q += Val::from_u32(((3 * P as u64 + 1) / 4) as u32);
            c.buf_o[0] = Val::ZERO;
        },
    );
    let errs = all(&inst);
    let q = errs.iter().any(|e| {
        matches!(e, CheckError::Unbalanced { bus, message, chip, .. }
            if bus == BYTE && chip == "syscall" && message[0] == ByteOp::Range8x2 as u32
                && message[1] >= 64)
    });
    assert!(q, "{errs:?}");
}

/// `asm` run on `input`: its machine, and the VM's record of the run (to forge).
fn recorded(asm: &Asm, input: &[u8]) -> (Machine, record::Record) {
    let program = Program::parse(&asm.elf()).unwrap();
    let machine = Machine::new(&program).unwrap();
    let record =
        record::execute(&program, &machine.setup, &argv(), input.to_vec(), 1 << 20).unwrap();
    (machine, record)
}

/// The traces of `record` (as forged), for the statement it makes.
fn traced_record(machine: &Machine, record: &record::Record) -> Instances {
    let (statement, w, start) = machine.witness_of(record, &argv()).unwrap();
    machine.traces_from(&w, &start, &statement).unwrap()
}

fn argv() -> Vec<String> {
    vec!["prog".to_string()]
}

/// The input program's witness on [`INPUT`], from its record as `f` forges it, traced for
/// the statement the forged record makes.
fn input_forged(f: impl FnOnce(&mut record::Record)) -> Instances {
    let (machine, mut record) = recorded(&input_program(), INPUT);
    f(&mut record);
    traced_record(&machine, &record)
}

/// Sets the final value the memory boundary claims for word `waddr`.
fn set_final(inst: &mut Instances, waddr: Val, value: [Val; 4]) {
    mutate(
        inst,
        ChipKind::Boundary,
        |c: &boundary::BoundaryCols<Val>| is(c.is_real) && c.addr == waddr,
        |c| c.final_value = value,
    );
}

#[test]
fn reads_are_never_longer_than_requested() {
    // The first read, read(0, buf + 1, 6), claims 7 bytes, the seventh landing in the
    // word the program then writes to fd 3, which now shows it: a consistent witness for
    // the output "defg…" that the program cannot print. Only n <= count refuses it.
    let forge = |r: &mut record::Record| {
        let sc = &mut r.syscalls[0];
        assert_eq!((sc.number, sc.args[2], sc.result), (4003, 6, Some((6, 0))));
        sc.result = Some((7, 0));
        sc.written.push(INPUT[6]);
        r.output[3] = INPUT[6];
    };
    let inst = input_forged(forge);
    only_constraints_of(&inst, "syscall");
    // Nor can a read claim a count of 2^24 or more, which is always short, so that its
    // bound is not checked: stat_program(1) on 600 bytes, whose size fstat64 fixed after
    // the first read, claims its second, read(0, buf + 8, 100), returned all 592 bytes left
    // (over the stat buffer, which the output then shows), and its third nothing. Only the
    // inverse of the count's top byte, which is zero, refuses it.
    let long = long_input();
    let (machine, mut record) = recorded(&super::tests::stat_program(1), &long);
    let k = read_call(&record, 1);
    let sc = &mut record.syscalls[k];
    assert_eq!((sc.args[2], sc.result), (100, Some((100, 0))));
    sc.result = Some((592, 0));
    sc.written = long[8..].to_vec();
    let k = read_call(&record, 2);
    record.syscalls[k].result = Some((0, 0));
    record.syscalls[k].written.clear();
    // The stat buffer (buf + 128) shows bytes 128 to 232 of the read as fd 0's stat.
    record.output[4..108].copy_from_slice(&long[8 + 120..8 + 224]);
    let mut inst = traced_record_lenient(&machine, &record);
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.is_read) && c.result[1] == Val::from_u32(2),
        |c| {
            assert_eq!(c.d_lo, Val::from_u32(492));
            (c.count_big, c.count_inv, c.short) = (one(), one(), one());
            (c.d_lo, c.d_hi) = (Val::ZERO, Val::ZERO);
        },
    );
    uncount_range16(&mut inst, 492);
    uncount_range16(&mut inst, 0);
    only_constraints_of(&inst, "syscall");
}

/// 600 bytes of private input: more than [`super::tests::stat_program`] reads.
fn long_input() -> Vec<u8> {
    (0..600u32).map(|i| (i * 7) as u8).collect()
}

/// The index in `record` of the `k`th read (from 0).
fn read_call(record: &record::Record, k: usize) -> usize {
    let reads = record.syscalls.iter().enumerate();
    let mut reads = reads.filter(|(_, sc)| sc.number == record::SYS_READ);
    reads.nth(k).expect("the read").0
}

/// Forges the `fstat64` of `fd` in [`super::tests::stat_program`]'s record to have
/// written `bytes`, and the output that shows them.
fn forge_stat(record: &mut record::Record, fd: u32, bytes: [u8; 104]) {
    let sc = record
        .syscalls
        .iter_mut()
        .find(|sc| sc.number == super::fs::SYS_FSTAT64 && sc.args[0] == fd)
        .expect("the fstat64");
    sc.written = bytes.to_vec();
    let slot = [0, 2, 3, 1][fd as usize];
    record.output[4 + 104 * slot..4 + 104 * (slot + 1)].copy_from_slice(&bytes);
}

/// [`super::tests::stat_program`]`(after)` on `input`, its record forged by `f`, traced
/// with the witness's checks of the VM's answers off.
fn stat_forged(after: usize, input: &[u8], f: impl FnOnce(&mut record::Record)) -> Instances {
    let (machine, mut record) = recorded(&super::tests::stat_program(after), input);
    f(&mut record);
    traced_record_lenient(&machine, &record)
}

/// The stat of the input (fd 0) as a regular file of `size` bytes, with `blocks`.
fn input_stat(size: u64, blocks: u32) -> [u8; 104] {
    let (mode, ino) = crate::syscalls::io::STD_STAT[0];
    let mut b = crate::syscalls::io::stat64(mode, size, ino);
    b[100..104].copy_from_slice(&blocks.to_be_bytes());
    b
}

/// Takes one `Range16` lookup of `v` out of the byte table's multiplicities.
fn uncount_range16(inst: &mut Instances, v: u32) {
    uncount_byte(inst, ByteOp::Range16, v >> 8, v & 0xff);
}

/// Adds one `Range16` lookup of `v` to the byte table's multiplicities.
fn count_range16(inst: &mut Instances, v: u32) {
    let t = inst.trace_mut(ChipKind::Bytes);
    let w = t.width;
    t.values[v as usize * w + ByteOp::Range16 as usize] += one();
}

/// The input's size is fixed at 26 by the short second read of stat_program(2); its
/// third read, at the end, is forged to return 8 bytes that are not in the file.
fn read_past_the_end() -> Instances {
    stat_forged(2, INPUT, |r| {
        let k = read_call(r, 2);
        assert_eq!(r.syscalls[k].result, Some((0, 0)));
        r.syscalls[k].result = Some((8, 0));
        r.syscalls[k].written = b"notthere".to_vec();
    })
}

#[test]
fn a_read_of_a_file_of_known_size_stops_at_its_end() {
    // The read claims its full count with no bytes left: left - count is negative.
    only_constraints_of(&read_past_the_end(), "syscall");
}

/// [`read_past_the_end`] with the third read's row forged by `f` to say 8 bytes were
/// left, its difference (now 0) and the byte table's counts of it to match.
fn read_past_the_end_with(f: impl FnOnce(&mut syscall::SyscallCols<Val>)) -> Instances {
    let mut inst = read_past_the_end();
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.is_read) && c.cursor == Val::from_u32(26),
        |c| {
            assert!(is(c.fixed) && c.left == Val::ZERO);
            // (p - 8, masked to 28 bits.)
            assert_eq!(
                (c.d_lo, c.d_hi),
                (Val::from_u32(0xfff9), Val::from_u32(0xeff))
            );
            c.left = Val::from_u32(8);
            (c.d_lo, c.d_hi) = (Val::ZERO, Val::ZERO);
            f(c);
        },
    );
    uncount_range16(&mut inst, 0xfff9);
    uncount_range16(&mut inst, 0xeff0);
    count_range16(&mut inst, 0);
    count_range16(&mut inst, 0);
    inst
}

#[test]
fn the_bytes_left_in_a_file_of_known_size_are_its_size_less_the_cursor() {
    // The same read, claiming 8 bytes were left where the size word says none.
    let inst = read_past_the_end_with(|_| {});
    only_constraints_of(&inst, "syscall");
}

#[test]
fn a_fixed_size_is_not_forgotten() {
    // The same read, claiming the size is not fixed (which would leave `left` free): the
    // size word is not zero.
    let inst = read_past_the_end_with(|c| c.fixed = Val::ZERO);
    only_constraints_of(&inst, "syscall");
}

#[test]
fn a_short_read_of_a_file_of_known_size_returns_all_that_is_left() {
    // stat_program(1): fstat64 fixes the size at 26 after 8 bytes are read. The second
    // read returns 10 of the 18 left (short, though not at the end), the third the other
    // 8: the same bytes, in a split no regular file gives.
    let inst = stat_forged(1, INPUT, |r| {
        let k = read_call(r, 1);
        r.syscalls[k].result = Some((10, 0));
        r.syscalls[k].written = INPUT[8..18].to_vec();
        let k = read_call(r, 2);
        r.syscalls[k].result = Some((8, 0));
        r.syscalls[k].written = INPUT[18..].to_vec();
    });
    only_constraints_of(&inst, "syscall");
}

#[test]
fn fstat_names_a_standard_descriptor() {
    // fstat64(4, buf), which is EBADF, claims fd 3's stat (one-hot fd 3, $a0 4).
    let buf = crate::asm::DATA_BASE + 64;
    let inst = args_forged_lenient(super::fs::SYS_FSTAT64, [3, buf, 0], 0, 4);
    only_constraints_of(&inst, "fs");
}

#[test]
fn stdout_and_stderr_have_size_0() {
    let (mode, ino) = crate::syscalls::io::STD_STAT[1];
    let inst = stat_forged(1, INPUT, |r| {
        forge_stat(r, 1, crate::syscalls::io::stat64(mode, 5, ino))
    });
    only_constraints_of(&inst, "fs");
}

#[test]
fn fstat_of_fd_3_says_the_bytes_written_to_it() {
    // fstat64(3) after a 4-byte write claims 5: the output cursor it reads is 4.
    let (mode, ino) = crate::syscalls::io::STD_STAT[3];
    let inst = stat_forged(1, INPUT, |r| {
        forge_stat(r, 3, crate::syscalls::io::stat64(mode, 5, ino))
    });
    only_bus(&inst, "memory");
}

#[test]
fn fstat_keeps_the_size_a_short_read_fixed() {
    // stat_program(2): the short second read fixes the size at 26; fstat64 then claims
    // 30, and the third read the 4 bytes that would add.
    let inst = stat_forged(2, INPUT, |r| {
        forge_stat(r, 0, input_stat(30, 1));
        let k = read_call(r, 2);
        r.syscalls[k].result = Some((4, 0));
        r.syscalls[k].written = b"more".to_vec();
    });
    only_constraints_of(&inst, "fs");
}

#[test]
fn fstat_shows_no_size_below_the_bytes_read() {
    // stat_program(3) on 600 bytes: all 116 bytes read were full reads, so any size of
    // at least 116 is possible; fstat64 claims 100.
    let inst = stat_forged(3, &long_input(), |r| forge_stat(r, 0, input_stat(100, 1)));
    only_constraints_of(&inst, "fs");
}

#[test]
fn fstat_counts_the_blocks_of_the_size() {
    // 600 bytes are 2 blocks of 512, not 1.
    let inst = stat_forged(3, &long_input(), |r| forge_stat(r, 0, input_stat(600, 1)));
    only_constraints_of(&inst, "fs");
}

#[test]
fn fstat_sizes_are_below_2_28() {
    // The size fixed at 26, shown as 26 + p: the word's bytes say 2,130,706,459, which
    // the field takes for 26. Only the range checks of the top bytes of the size and the
    // block count refuse it.
    let size = 26 + P as u64;
    let inst = stat_forged(2, INPUT, |r| {
        forge_stat(r, 0, input_stat(size, size.div_ceil(512) as u32))
    });
    only_bus(&inst, "byte");
}

#[test]
fn fstat_writes_the_descriptors_fixed_stat() {
    // fstat64(0) claims stdin is a character device (a terminal): the mode is in the
    // fixed part, which the byte table's answer for fd 0 holds.
    let (mode, ino) = crate::syscalls::io::STD_STAT[1];
    let mut b = crate::syscalls::io::stat64(mode, 26, ino);
    b[16..24].copy_from_slice(&10u64.to_be_bytes());
    let inst = stat_forged(1, INPUT, |r| forge_stat(r, 0, b));
    only_bus(&inst, "byte");
}

/// The input program's witness on [`INPUT`] with the first input event that satisfies
/// `pick` changed by `f`, and the memory boundary's final value of its word changed to
/// match, so that the memory argument stays balanced (the program touches the word no
/// more).
fn forge_input_word(
    pick: impl Fn(&input::InputEvent) -> bool,
    f: impl FnOnce(&mut input::InputEvent),
) -> Instances {
    let (machine, record) = recorded(&input_program(), INPUT);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let ev = w
        .input
        .iter_mut()
        .find(|e| pick(e))
        .expect("an input event");
    f(ev);
    let (waddr, new) = (ev.waddr, ev.new);
    let word = w.words.iter_mut().find(|s| s.addr == waddr).unwrap();
    assert_eq!(word.ts, ev.acc.ts, "the word is touched after the read");
    word.value = new;
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn read_bytes_land_only_in_their_buffer() {
    // The first read starts at buf + 1; its first row also writes the byte at buf.
    let inst = forge_input_word(|e| e.first && e.start == 1, |e| e.new |= 0x4100_0000);
    only_constraints_of(&inst, "input");
}

#[test]
fn reads_after_their_first_word_start_at_offset_0() {
    // The last word of the second read (bytes 0 and 1) claims bytes 1 and 2 instead: as
    // many bytes, the count still right, but a gap before them and one past the end.
    let inst = forge_input_word(
        |e| !e.first && e.end == 1,
        |e| {
            assert_eq!((e.start, e.remaining, e.prev), (0, 2, 0));
            (e.start, e.end, e.new) = (1, 2, e.new >> 8);
        },
    );
    only_constraints_of(&inst, "input");
}

/// Takes one lookup of `(op, x, y)` out of the byte table's multiplicities, as if the
/// row that made it had not.
fn uncount_byte(inst: &mut Instances, op: ByteOp, x: u32, y: u32) {
    let t = inst.trace_mut(ChipKind::Bytes);
    let w = t.width;
    t.values[(256 * x + y) as usize * w + op as usize] -= one();
}

#[test]
fn read_bytes_are_bytes() {
    // A byte read as 256 more than itself: a field element, not a byte, in the word and
    // in its final value (the program touches the word no more). The byte table's count
    // of the honest pair is taken back, so only the forged lookup is out of balance.
    let (_, _, mut inst) = super::tests::traced_input(&input_program(), INPUT);
    let mut forged = None;
    mutate(
        &mut inst,
        ChipKind::Input,
        |c: &input::InputCols<Val>| is(c.first) && is(c.start[1]),
        |c| {
            let pair = (c.new[0].as_canonical_u32(), c.new[1].as_canonical_u32());
            c.new[0] += Val::from_u32(256);
            forged = Some((pair, c.waddr, c.new));
        },
    );
    let ((x, y), waddr, new) = forged.unwrap();
    uncount_byte(&mut inst, ByteOp::Range8x2, x, y);
    set_final(&mut inst, waddr, new);
    let errs = all(&inst);
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { bus, chip, .. }
            if bus == BYTE && chip == "input")),
        "{errs:?}"
    );
}

#[test]
fn input_rows_continue_their_read() {
    // A later word of the second read claims another address.
    let (_, _, mut inst) = super::tests::traced_input(&input_program(), INPUT);
    mutate(
        &mut inst,
        ChipKind::Input,
        |c: &input::InputCols<Val>| is(c.is_real) && !is(c.first) && is(c.start[0]) && is(c.end[3]),
        |c| c.waddr += one(),
    );
    assert_eq!(first(&inst), At::Constraint("input"));
}

#[test]
fn input_rows_start_with_a_request() {
    // A row 0 that continues no read writes "EVIL" into a word of `big` that nothing
    // else touches: a consistent row (it starts at offset 0, and ends its "read" with its
    // four bytes) and a balanced memory argument, but no read asked for it.
    let (machine, record) = recorded(&input_program(), INPUT);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let waddr = w.input.last().unwrap().waddr + 2;
    assert!(!w.words.iter().any(|s| s.addr == waddr));
    let ts = witness::ts(0, bus::SLOT_CHIP);
    let evil = u32::from_be_bytes(*b"EVIL");
    w.input.insert(
        0,
        input::InputEvent {
            clk: 0,
            waddr,
            first: false,
            answer: 0,
            pos: 0,
            start: 0,
            end: 3,
            remaining: 4,
            prev: 0,
            new: evil,
            acc: witness::Access {
                prev: 0,
                prev_ts: 0,
                ts,
            },
        },
    );
    let at = w.words.partition_point(|s| s.addr < waddr);
    w.words.insert(
        at,
        WordState {
            addr: waddr,
            init: 0,
            init_ts: 0,
            value: evil,
            ts,
        },
    );
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "input");
}

#[test]
fn every_read_reaches_the_input_chip() {
    // Drop a read's request: only in_bytes = (n > 0) catches it.
    let (_, _, mut inst) = super::tests::traced_input(&input_program(), INPUT);
    mutate(
        &mut inst,
        ChipKind::Syscall,
        |c: &syscall::SyscallCols<Val>| is(c.in_bytes),
        |c| c.in_bytes = Val::ZERO,
    );
    let errs = all(&inst);
    assert!(
        matches!(errs.first(), Some(CheckError::Constraint { chip, .. }) if chip == "syscall"),
        "{errs:?}"
    );
}

/// The clock program's witness, from its record as `f` forges the `k`th reading (its
/// seconds and nanoseconds), with the output showing the forged value.
fn clock_forged(k: usize, f: impl FnOnce(&mut (u32, u32), (u32, u32))) -> Instances {
    let (machine, mut record) = recorded(&clock_program(), &[]);
    let read = |b: &[u8]| {
        let w = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
        (w(0), w(4))
    };
    let first = read(&record.syscalls[0].written);
    let sc = &mut record.syscalls[k];
    assert_eq!(sc.number, clock::SYS_CLOCK_GETTIME);
    let mut t = read(&sc.written);
    f(&mut t, first);
    let bytes: Vec<u8> = [t.0, t.1].iter().flat_map(|v| v.to_be_bytes()).collect();
    sc.written = bytes.clone();
    record.output[8 * k..8 * k + 8].copy_from_slice(&bytes);
    traced_record(&machine, &record)
}

fn only_clock_lookups(inst: &Instances) {
    let errs = all(inst);
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Unbalanced { bus, chip, .. }
            if bus == BYTE && chip == "clock")),
        "{errs:?}"
    );
}

#[test]
fn clocks_never_go_backwards() {
    // The third reading (CLOCK_MONOTONIC again) claims 1 ns before the first, and the
    // program prints it: a consistent witness of a clock going backwards. Only the
    // range of the seconds' difference refuses it (the nanoseconds borrow a second that
    // is not there).
    let inst = clock_forged(2, |t, first| *t = (first.0, first.1 - 1));
    only_clock_lookups(&inst);
    // Nor can a reading claim a tv_nsec of 10^9 (the seconds unchanged, so it is later
    // than the reading before): not a timespec Linux writes.
    let inst = clock_forged(3, |t, _| t.1 = 1_000_000_000);
    only_clock_lookups(&inst);
}

#[test]
fn gettimeofday_writes_the_clocks_microseconds() {
    // gettimeofday writes a tv_usec of 999,999 while the clock it moves on keeps the
    // honest nanoseconds (so the clock_gettime after it still reads later), printed.
    // Every bus but the byte table balances: only the range of nsec - 1000 usec (both of
    // its checks) refuses it.
    let (machine, record) = recorded(&super::tests::time_calls_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let mut out = statement.output.clone();
    let tod = w
        .clock
        .iter_mut()
        .find(|e| e.call == clock::ClockCall::TimeOfDay)
        .unwrap();
    assert!(tod.second < 999_999 && tod.new.1 < 999_000_000);
    tod.second = 999_999;
    let waddr = tod.ts / 4 + 1;
    set_printed(&mut w, &mut out, waddr, 999_999);
    let statement = Statement {
        env: Vec::new(),
        output: out,
        ..statement
    };
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_clock_lookups(&inst);
}

#[test]
fn clock_getres_answers_1_ns() {
    // clock_getres(CLOCK_REALTIME) claims a resolution of 2 ns, printed: consistent
    // everywhere but in the clock chip's answer.
    let (machine, mut record) = recorded(&super::tests::time_calls_program(), &[]);
    let sc = &mut record.syscalls[2];
    assert_eq!(sc.number, clock::SYS_CLOCK_GETRES);
    assert_eq!(sc.written[7], 1);
    sc.written[7] = 2;
    record.output[31] = 2;
    let inst = traced_record(&machine, &record);
    only_constraints_of(&inst, "clock");
}

#[test]
fn a_64_bit_sleep_has_a_non_negative_request() {
    // clock_nanosleep_time64 of a tv_sec with the high word 0xffffffff, negative, which
    // Linux refuses with EINVAL, claimed 0 (chip level, the byte table counting every
    // lookup the row makes): only the zero high word refuses it.
    let (machine, record) = recorded(&super::tests::time_calls_program(), &[]);
    let (_, w, _) = machine.witness_of(&record, &argv()).unwrap();
    let honest = *w
        .clock
        .iter()
        .find(|e| e.call == clock::ClockCall::ClockSleep64)
        .unwrap();
    assert_eq!(honest.mem_hi, (0, 0xdead_beef));
    let ev = clock::ClockEvent {
        mem_hi: (u32::MAX, honest.mem_hi.1),
        ..honest
    };
    let mut bytes = bytes::ByteCounts::default();
    let trace = clock::ClockChip.generate_trace(&[ev], &mut bytes);
    let byte_trace = bytes::ByteChip.generate_trace(&bytes);
    let errs = super::alu_tests::chip_errors(Chip::Clock(clock::ClockChip), &trace, &byte_trace);
    assert!(!errs.is_empty());
    assert!(
        errs.iter()
            .all(|e| matches!(e, CheckError::Constraint { chip, .. } if chip == "clock")),
        "{errs:?}"
    );
}

#[test]
fn getrandom_returns_its_count() {
    // getrandom(buf + 3, 9, 0) claims 8 bytes, the ninth left as it was (zero) in what
    // the program prints: consistent everywhere but in the result.
    let (machine, mut record) = recorded(&random_program(), &[]);
    let sc = &mut record.syscalls[0];
    assert_eq!((sc.number, sc.args[1], sc.result), (4353, 9, Some((9, 0))));
    sc.result = Some((8, 0));
    sc.written.pop();
    record.output[11] = 0;
    let inst = traced_record(&machine, &record);
    only_constraints_of(&inst, "syscall");
}

/// Adds `delta` to the byte table's count of `(op, x, y)`.
fn add_count(byte_trace: &mut RowMajorMatrix<Val>, op: ByteOp, (x, y): (u32, u32), delta: i32) {
    let w = byte_trace.width;
    let row = match op {
        ByteOp::Range16 => x as usize,
        _ => (256 * x + y) as usize,
    };
    let cell = &mut byte_trace.values[row * w + op as usize];
    if delta >= 0 {
        *cell += Val::from_u32(delta as u32);
    } else {
        *cell -= Val::from_u32(delta.unsigned_abs());
    }
}

#[test]
fn clock_readings_are_bytes() {
    // A reading's top seconds byte of 2^-1 = (p + 1) / 2: the scaled check sees 2 sec_3 =
    // 1, and sec_2 + 256 sec_3 is sec_2 + 128 (ds_hi moved to match), so every equation
    // holds; the byte table's counts are moved to the forged lookups. Only the direct
    // byte check of sec_3 refuses it. (Such a word in memory would break every chip that
    // takes register bytes for bytes.)
    let (machine, record) = recorded(&clock_program(), &[]);
    let (_, w, _) = machine.witness_of(&record, &argv()).unwrap();
    let mut bytes = bytes::ByteCounts::default();
    let mut trace = clock::ClockChip.generate_trace(&w.clock, &mut bytes);
    let mut byte_trace = bytes::ByteChip.generate_trace(&bytes);
    let row: &mut clock::ClockCols<Val> =
        trace.values[..clock::ClockCols::<u8>::WIDTH].borrow_mut();
    let n3 = row.nsec[3].as_canonical_u32();
    assert_eq!(row.sec[3], Val::ZERO);
    row.sec[3] = Val::from_u32(P.div_ceil(2));
    let ds_hi = row.ds_hi.as_canonical_u32();
    row.ds_hi += Val::from_u32(128);
    add_count(&mut byte_trace, ByteOp::Range16, (ds_hi, 0), -1);
    add_count(&mut byte_trace, ByteOp::Range16, (ds_hi + 128, 0), 1);
    add_count(&mut byte_trace, ByteOp::Range8x2, (0, 4 * n3), -1);
    add_count(&mut byte_trace, ByteOp::Range8x2, (1, 4 * n3), 1);
    // (The direct check's forged lookup is outside the table: its count only goes.)
    add_count(&mut byte_trace, ByteOp::Range8x2, (0, n3), -1);
    let errs = super::alu_tests::chip_errors(Chip::Clock(clock::ClockChip), &trace, &byte_trace);
    assert!(!errs.is_empty());
    assert!(
        errs.iter().all(
            |e| matches!(e, CheckError::Unbalanced { bus, chip, message, .. }
            if bus == BYTE && chip == "clock" && message[1] == P.div_ceil(2))
        ),
        "{errs:?}"
    );
}

#[test]
fn sleeps_return_0_only_for_valid_requests() {
    // Linux's nanosleep returns EINVAL for tv_nsec >= 10^9 or tv_sec < 0: a sleep row
    // claiming 0 for such a request (chip level, the byte table counting every lookup
    // the row makes) fails only the timespec checks.
    let (machine, record) = recorded(&clock_program(), &[]);
    let (_, w, _) = machine.witness_of(&record, &argv()).unwrap();
    let honest = *w.clock.iter().find(|e| e.call.sleeps()).unwrap();
    for req in [(0, 1_000_000_000), (0x8000_0000, 0)] {
        let ev = clock::ClockEvent {
            new: req,
            mem: req,
            second: req.1,
            ..honest
        };
        let mut bytes = bytes::ByteCounts::default();
        let trace = clock::ClockChip.generate_trace(&[ev], &mut bytes);
        let byte_trace = bytes::ByteChip.generate_trace(&bytes);
        let errs =
            super::alu_tests::chip_errors(Chip::Clock(clock::ClockChip), &trace, &byte_trace);
        assert!(!errs.is_empty(), "{req:?}");
        assert!(
            errs.iter()
                .all(|e| matches!(e, CheckError::Unbalanced { bus, chip, .. }
                    if bus == BYTE && chip == "clock")),
            "{req:?}: {errs:?}"
        );
    }
}

/// `program`'s witness with the fixed-answer input word at `waddr` forged to `new`, and
/// everything that reads it (the output chip's rows, the final value, the output) to match.
fn forge_fixed_word(program: &Asm, waddr: u32, new: u32) -> Instances {
    let (machine, mut record) = recorded(program, &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    // (The witness builder holds the record to the VM's answer, so the forgery is made in
    // its events: the word, the output chip's copy, its final value, the output.)
    let ev = w.input.iter_mut().find(|e| e.waddr == waddr).unwrap();
    assert!(ev.answer != 0);
    ev.new = new;
    // (Output event i is byte i of the output.)
    for (i, o) in w.output.iter_mut().enumerate() {
        if o.addr / 4 == waddr {
            o.word = new;
            record.output[i] = new.to_be_bytes()[(o.addr % 4) as usize];
        }
    }
    let word = w.words.iter_mut().find(|s| s.addr == waddr).unwrap();
    word.value = new;
    let statement = Statement {
        env: Vec::new(),
        output: record.output.clone(),
        ..statement
    };
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn sched_getaffinity_answers_one_cpu() {
    // The mask claims CPUs 0 and 1 (the word 3), and the program prints it: a consistent
    // witness of another machine. Only the fixed answer's lookup refuses it.
    let (_, record) = recorded(&affinity_program(), &[]);
    assert_eq!(record.syscalls[0].written, [0, 0, 0, 1]);
    let mask = record.syscalls[0].args[2] / 4;
    only_bus(&forge_fixed_word(&affinity_program(), mask, 3), "byte");
}

#[test]
fn uname_answers_the_vms_names() {
    // "Linux" claimed as "Linuy" (with the last byte, in the second word of an unaligned
    // buffer), printed: only the fixed answer's lookup refuses it.
    let program = super::tests::uname_program();
    let (_, record) = recorded(&program, &[]);
    let buf = record.syscalls[0].args[0];
    assert_eq!(buf % 4, 2);
    let waddr = (buf + 4) / 4;
    let word = u32::from_be_bytes(*b"nux\0");
    assert_eq!(&record.output[2..6], b"nux\0");
    only_bus(&forge_fixed_word(&program, waddr, word + 0x100), "byte");
    // uname returning 1 (not yet an error) in a program that never reads it.
    let (machine, mut record) = recorded(&program, &[]);
    record.syscalls[0].result = Some((1, 0));
    let inst = traced_record(&machine, &record);
    only_constraints_of(&inst, "syscall");
}

/// The file-system program's record with call `k`'s result forged to `(v0, a3)`, and
/// the two stores after it and the output bytes they make forged to match.
fn fs_forged_result(k: usize, v0: u32, a3: u32, out: usize) -> Instances {
    let (machine, mut record) = recorded(&super::tests::fs_program(), &[]);
    let sc = &mut record.syscalls[k];
    sc.result = Some((v0, a3));
    let step = sc.step;
    for (i, v) in [v0, a3].into_iter().enumerate() {
        let s = &mut record.steps[step + 1 + i];
        s.b = v;
        s.mem_value = v;
        record.output[out + 4 * i..out + 4 * i + 4].copy_from_slice(&v.to_be_bytes());
    }
    traced_record(&machine, &record)
}

#[test]
fn opens_fail_with_enoent() {
    // The open of a path in read-only data claims fd 3, without error: consistent
    // everywhere (the program stores and prints it), but there is no file to open.
    let inst = fs_forged_result(0, 3, 0, 0);
    only_constraints_of(&inst, "fs");
}

#[test]
fn fcntl_answers_the_descriptors_flags() {
    // fcntl(1, F_GETFL) claims O_WRONLY | O_NONBLOCK (0x81): a descriptor no provable
    // call made non-blocking.
    let (_, record) = recorded(&super::tests::fs_program(), &[]);
    assert_eq!(record.syscalls[6].args[..2], [1, super::fs::F_GETFL]);
    let inst = fs_forged_result(6, 0x81, 0, 48);
    only_constraints_of(&inst, "fs");
}

#[test]
fn every_open_reads_its_path() {
    // No path is ever read: the path rows, and the words only they touched, are dropped.
    // The memory is then balanced, and only the fs chip's requests to the path chip are
    // left unanswered. Without them, an unmapped path could give ENOENT, where Linux
    // returns EFAULT.
    let (machine, record) = recorded(&super::tests::fs_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let dropped: Vec<u32> = w.path.iter().map(|p| p.waddr).collect();
    assert_eq!(dropped.len(), 13 + 4 + 1);
    w.path.clear();
    w.words.retain(|s| !dropped.contains(&s.addr));
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_bus(&inst, "path");
}

/// The file-system program's witness with the first path's last row forged by `f`, and
/// `delta` added to every `remaining` of that path.
fn path_forged(f: impl FnOnce(&mut path::PathEvent), delta: i32) -> Instances {
    let (machine, record) = recorded(&super::tests::fs_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let clk = w.path[0].clk;
    for p in w.path.iter_mut().filter(|p| p.clk == clk) {
        p.remaining = p.remaining.wrapping_add_signed(delta);
    }
    let last = w.path.iter_mut().find(|p| p.clk == clk && p.last).unwrap();
    // "…/hpage_pmd_size": the last word is "ze\0\0".
    assert_eq!((last.word, last.nul), (0x7a65_0000, 2));
    f(last);
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn paths_end_at_their_nul() {
    // The path claims to end at the 'e' of "size": a shorter path, of 49 bytes.
    let inst = path_forged(|p| p.nul = 1, -1);
    only_constraints_of(&inst, "path");
}

#[test]
fn path_bytes_before_the_nul_are_not_zero() {
    // The path claims to run on past its NUL to the next zero: a longer path.
    let inst = path_forged(|p| p.nul = 3, 1);
    only_constraints_of(&inst, "path");
}

#[test]
fn paths_are_at_most_path_max_minus_one_bytes() {
    // The private input's byte makes the path 4096 bytes long, where Linux (and the VM)
    // return ENAMETOOLONG; the record claims ENOENT. Only the length's range check, a
    // lookup of 4095 - 4096 in the byte table, refuses it.
    let (machine, mut record) = recorded(&super::tests::long_path_program(), &[0]);
    assert_eq!(record.syscalls[0].written, [0]);
    assert_eq!(record.syscalls[1].result, Some((2, 1)));
    record.syscalls[0].written = vec![b'a'];
    let inst = traced_record(&machine, &record);
    only_bus(&inst, "byte");
}

/// `read(0, args, 12)`, then system call `number` with `$a0..$a2` loaded from the three
/// words read; exits with 0. The path `p` ("zkm") is at the start of the data.
fn args_program(number: u32) -> Asm {
    let mut a = Asm::new();
    a.data("p", b"zkm\0");
    a.bss("args", 12);
    a.li(A0, 0);
    a.la(A1, "args");
    a.li(A2, 12);
    a.li(V0, 4003);
    a.syscall();
    a.la(T0, "args");
    a.lw(A0, 0, T0);
    a.lw(A1, 4, T0);
    a.lw(A2, 8, T0);
    a.li(V0, number);
    a.syscall();
    a.exit(0);
    a
}

/// [`args_forged`], traced with the witness's checks of the VM's answers off.
fn args_forged_lenient(number: u32, args: [u32; 3], i: usize, value: u32) -> Instances {
    let (machine, record) = args_record(number, args, i, value);
    traced_record_lenient(&machine, &record)
}

/// [`args_program`] run on `args` as the private input, then forged so that argument
/// `i` was `value` (the input byte the program loaded it from, the load, the call).
fn args_forged(number: u32, args: [u32; 3], i: usize, value: u32) -> Instances {
    let (machine, record) = args_record(number, args, i, value);
    traced_record(&machine, &record)
}

/// The machine and forged record of [`args_forged`].
fn args_record(number: u32, args: [u32; 3], i: usize, value: u32) -> (Machine, record::Record) {
    let input: Vec<u8> = args.iter().flat_map(|w| w.to_be_bytes()).collect();
    let (machine, mut record) = recorded(&args_program(number), &input);
    let call = &mut record.syscalls[1];
    assert_eq!((call.number, &call.args[..3]), (number, &args[..]));
    call.args[i] = value;
    let step = call.step;
    let load = &mut record.steps[step - 5 + i];
    assert_eq!(load.out, args[i]);
    load.out = value;
    load.mem_value = value;
    record.syscalls[0].written[4 * i..4 * i + 4].copy_from_slice(&value.to_be_bytes());
    // exit_group reads the register too (its $a0 it sets itself).
    if i > 0 {
        record.syscalls[2].args[i] = value;
    }
    (machine, record)
}

#[test]
fn opens_never_create() {
    use super::fs::{O_CREAT, O_TMPFILE};
    let p = crate::asm::DATA_BASE;
    // open("zkm", O_CREAT) would create the file (or fail with EROFS), not ENOENT...
    let inst = args_forged(super::fs::SYS_OPEN, [p, 0, 0], 1, O_CREAT);
    only_constraints_of(&inst, "fs");
    // ...and so would O_TMPFILE (its byte, 0x41 with O_DIRECTORY, split as 65 + 128 * 0:
    // only the range check of the low part refuses it).
    let inst = args_forged(super::fs::SYS_OPEN, [p, 0, 0], 1, O_TMPFILE | 0x1_0000);
    only_bus(&inst, "byte");
}

#[test]
fn file_system_arguments_are_checked() {
    use super::fs::{AT_FDCWD, F_GETFL, SYS_FCNTL, SYS_OPENAT};
    // openat relative to fd 5 (EBADF in Linux) is not ENOENT...
    let inst = args_forged(SYS_OPENAT, [AT_FDCWD, crate::asm::DATA_BASE, 0], 0, 5);
    only_constraints_of(&inst, "fs");
    // ...fcntl(4, F_GETFL) is EBADF, not fd 3's flags...
    let inst = args_forged(SYS_FCNTL, [3, F_GETFL, 0], 0, 4);
    only_constraints_of(&inst, "fs");
    // ...and F_SETFL (4), returning 0, is not F_GETFD, whose 0 it would pass for: the
    // flags would change without the proof seeing it.
    let inst = args_forged(SYS_FCNTL, [1, super::fs::F_GETFD, 0], 1, 4);
    only_constraints_of(&inst, "fs");
}

#[test]
fn ioctls_fail_with_enotty() {
    // ioctl(1, TCGETS) claims 0, a terminal (its termios, unwritten, would be whatever the
    // buffer held): printed, consistent everywhere, but the VM's stdout is no terminal.
    let (_, record) = recorded(&super::tests::fs_program(), &[]);
    let k = 11 + 2;
    assert_eq!(
        (
            record.syscalls[k].number,
            record.syscalls[k].args[..2].to_vec()
        ),
        (super::fs::SYS_IOCTL, vec![1, super::fs::TCGETS])
    );
    let inst = fs_forged_result(k, 0, 0, 8 * k);
    only_constraints_of(&inst, "fs");
}

#[test]
fn ioctl_requests_are_checked() {
    use super::fs::{SYS_IOCTL, TCGETS};
    // FIONREAD (0x467f on MIPS), which Linux answers for a file with the bytes left, is
    // not TCGETS...
    let inst = args_forged_lenient(SYS_IOCTL, [0, TCGETS, crate::asm::DATA_BASE], 1, 0x467f);
    only_constraints_of(&inst, "fs");
    // ...and ioctl(4, TCGETS) is EBADF, not ENOTTY.
    let inst = args_forged_lenient(SYS_IOCTL, [0, TCGETS, crate::asm::DATA_BASE], 0, 4);
    only_constraints_of(&inst, "fs");
}

#[test]
fn getrlimit_answers_only_for_the_open_file_limit() {
    // getrlimit(RLIMIT_STACK), whose answer Linux takes from the stack's limit, claimed
    // to write the open-file limit (the resource from the private input).
    let p = crate::asm::DATA_BASE;
    let inst = args_forged(super::getset::SYS_GETRLIMIT, [5, p, 0], 0, 3);
    only_constraints_of(&inst, "getset");
}

#[test]
fn sockets_fail_only_as_linux_would() {
    use super::fs::{AF_NETLINK, SYS_SOCKET};
    // socket(AF_NETLINK, SOCK_DGRAM), which every Linux with sockets creates, claimed
    // EAFNOSUPPORT...
    let inst = args_forged(SYS_SOCKET, [2, 1, 0], 0, AF_NETLINK);
    only_constraints_of(&inst, "fs");
    // ...a type with an unknown flag (bit 8), EINVAL in Linux, likewise...
    let inst = args_forged(SYS_SOCKET, [2, 1, 0], 1, 0x101);
    only_constraints_of(&inst, "fs");
    // ...and a kind of 11 (SOCK_MAX), EINVAL for a family in range: only the range check
    // of 10 - kind refuses it.
    let inst = args_forged(SYS_SOCKET, [2, 1, 0], 1, 11);
    only_bus(&inst, "byte");
}

#[test]
fn only_pr_set_vma_fails_with_einval() {
    use super::fs::{PR_SET_VMA, SYS_PRCTL};
    // prctl(PR_SET_NAME, name), which sets the thread's name and returns 0, claimed
    // EINVAL as PR_SET_VMA's answer; and an option one above PR_SET_VMA's top byte.
    for option in [15, PR_SET_VMA + (1 << 24)] {
        let inst = args_forged(SYS_PRCTL, [PR_SET_VMA, 0, 0], 0, option);
        only_constraints_of(&inst, "fs");
    }
}

#[test]
fn lookups_return_enoent() {
    // stat64 claiming 0, a file found on the empty file system (its buffer untouched),
    // printed: consistent everywhere else.
    let (machine, mut record) = recorded(&super::tests::lookups_program(), &[]);
    assert_eq!(record.syscalls[0].number, 4213);
    let sc = &mut record.syscalls[0];
    sc.result = Some((0, 0));
    let step = sc.step;
    for i in 0..2 {
        let s = &mut record.steps[step + 1 + i];
        s.b = 0;
        s.mem_value = 0;
        record.output[4 * i..4 * i + 4].fill(0);
    }
    let inst = traced_record(&machine, &record);
    only_constraints_of(&inst, "fs");
}

#[test]
fn lookups_check_their_arguments_first() {
    let p = crate::asm::DATA_BASE;
    // access(p, 8), which Linux refuses with EINVAL before it looks p up, claimed ENOENT
    // (only the range check of 32 mode refuses it)...
    let inst = args_forged_lenient(4033, [p, 4, 0], 1, 8);
    only_bus(&inst, "byte");
    // ...and readlink(p, buf, 0) likewise.
    let inst = args_forged_lenient(4085, [p, p + 0x100, 64], 2, 0);
    only_constraints_of(&inst, "fs");
}

#[test]
fn getcwd_returns_its_length() {
    // getcwd claiming 1, the length without its NUL (Linux returns it with), printed.
    let (machine, mut record) = recorded(&super::tests::getcwd_program(), &[]);
    let sc = &mut record.syscalls[0];
    assert_eq!(sc.number, super::record::SYS_GETCWD);
    sc.result = Some((1, 0));
    let step = sc.step;
    let s = &mut record.steps[step + 1];
    assert_eq!(s.b, 2);
    s.b = 1;
    s.mem_value = 1;
    record.output[3] = 1;
    let inst = traced_record(&machine, &record);
    only_constraints_of(&inst, "syscall");
}

#[test]
fn getcwd_needs_room_for_its_answer() {
    // getcwd(p, 1), which Linux refuses with ERANGE, claimed to return 2 (the size from
    // the private input).
    let p = crate::asm::DATA_BASE;
    let inst = args_forged_lenient(super::record::SYS_GETCWD, [p, 64, 0], 1, 1);
    only_constraints_of(&inst, "syscall");
}

#[test]
fn path_rows_after_padding_are_refused() {
    // A copy of the first path's last row after a padding row whose clk, waddr and
    // remaining it "continues": a row reading a word at a clock of the prover's choice,
    // which no request asked for. The byte table counts its lookups.
    let (machine, record) = recorded(&super::tests::fs_program(), &[]);
    let (_, w, _) = machine.witness_of(&record, &argv()).unwrap();
    let mut bytes = bytes::ByteCounts::default();
    let mut trace = path::PathChip.generate_trace(&w.path, &mut bytes);
    let row = w.path.iter().position(|p| p.last).unwrap();
    let orphan = w.path[row];
    bytes.ts_diff(orphan.acc.diff());
    let width = trace.width;
    let n = w.path.len();
    assert!(
        n + 2 < trace.values.len() / width,
        "{n} rows of {}",
        trace.values.len() / width
    );
    let copy: Vec<Val> = trace.values[row * width..][..width].to_vec();
    trace.values[(n + 1) * width..(n + 2) * width].copy_from_slice(&copy);
    {
        let pad: &mut path::PathCols<Val> = trace.values[n * width..(n + 1) * width].borrow_mut();
        pad.clk = Val::from_u32(orphan.clk);
        pad.waddr = Val::from_u32(orphan.waddr - 1);
        pad.remaining = Val::from_u32(orphan.remaining);
    }
    let byte_trace = bytes::ByteChip.generate_trace(&bytes);
    let errs = super::alu_tests::chip_errors(Chip::Path(path::PathChip), &trace, &byte_trace);
    assert!(
        errs.iter()
            .any(|e| matches!(e, CheckError::Constraint { chip, .. } if chip == "path")),
        "{errs:?}"
    );
    assert!(
        errs.iter().all(
            |e| matches!(e, CheckError::Constraint { chip, .. } if chip == "path")
                || matches!(e, CheckError::Unbalanced { bus, .. } if bus == "path")
        ),
        "{errs:?}"
    );
}

// ---------------------------------------------------------------------------------------
// mmap, madvise, brk (the mm chip) and the words of mappings (the boundary).

/// Where the VM places mappings without a hint: top-down from `MMAP_TOP`.
const MMAP_TOP_ADDR: u32 = crate::syscalls::mem::MMAP_TOP;

use super::tests::mmap_frame;

/// Emits `mmap(addr, len, prot, flags)` with fd -1 and offset 0 already on the stack.
fn emit_mmap(a: &mut Asm, addr: u32, len: u32, prot: u32, flags: u32) {
    a.li(A0, addr);
    super::tests::emit_mmap_at_a0(a, len, prot, flags);
}

/// Three readable mappings, A (3 pages), B (3 pages) and Z (1 page), used at the addresses
/// the VM gives them (constants, so that no register holds a result): A's middle page is
/// written and read back, B's middle page read, Z untouched. Prints the two words read.
fn mm_addresses_program() -> Asm {
    let mut a = Asm::new();
    a.bss("out", 8);
    mmap_frame(&mut a);
    for len in [0x3000, 0x3000, 0x1000] {
        emit_mmap(&mut a, 0, len, 3, 0x802);
    }
    a.li(S1, MMAP_TOP_ADDR - 0x2000);
    a.li(T2, 0x5a5a_0001);
    a.sw(T2, 0, S1);
    a.lw(T3, 0, S1);
    a.li(S2, MMAP_TOP_ADDR - 0x5000);
    a.lw(T4, 0, S2);
    a.la(S0, "out");
    a.sw(T3, 0, S0);
    a.sw(T4, 4, S0);
    a.li(A0, 3);
    a.la(A1, "out");
    a.li(A2, 8);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

/// The witness of [`mm_addresses_program`] with mapping `k`'s address claimed as
/// `result`: the mm row's and the `$v0` chain's (the next access to `$v0` is a write,
/// which takes the claimed value as its previous one). Traced.
fn mm_address_forged(k: usize, result: u32) -> Instances {
    let program = mm_addresses_program();
    let (machine, record) = recorded(&program, &[]);
    let want: Vec<u32> = [0x3000, 0x6000, 0x7000]
        .iter()
        .map(|d| MMAP_TOP_ADDR - d)
        .collect();
    let got: Vec<u32> = record.syscalls[..3]
        .iter()
        .map(|s| s.result.unwrap().0)
        .collect();
    assert_eq!(got, want, "the VM's placement");
    assert_eq!(record.output, [0x5a, 0x5a, 0, 1, 0, 0, 0, 0]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let clk = w.mm[k].instr.clk;
    w.mm[k].result = result;
    let next = w
        .cpu
        .iter_mut()
        .find(|c| c.clk > clk && (c.entry.ra == 2 || c.entry.rw == 2))
        .unwrap();
    assert_eq!((next.entry.rw, next.entry.ra), (2, 0), "a write of $v0");
    next.w_acc.as_mut().unwrap().1.prev = result;
    w.pages = super::pages::rows(&w.mm);
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn mmap_never_returns_memory_in_use() {
    // B claimed one page higher up, where its first page is A's: B's word still lies in
    // it, and every bus balances, but B overlaps A, which Linux never returns (nor, for a
    // program that wrote A, does it zero A's page).
    let inst = mm_address_forged(1, MMAP_TOP_ADDR - 0x5000);
    only_constraints_of(&inst, "mm");
}

#[test]
fn mappings_lie_above_the_break() {
    // Z, untouched, claimed at 64 KiB: inside the program's own image area, below the
    // break, where Linux's mmap never places memory it has not been asked for.
    let inst = mm_address_forged(2, 0x1_0000);
    only_constraints_of(&inst, "mm");
}

/// The witness of [`super::tests::mmap_program`] with the first access to a word of the
/// mapping made at `mapped` forged by `f` (with the word's boundary row).
fn mapped_word_forged(f: impl Fn(&mut WordState, &mut witness::Access)) -> Instances {
    let (machine, record) = recorded(&super::tests::mmap_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    // The commit's word at +8, which the program only stores to.
    let store = w
        .memory
        .iter_mut()
        .find(|m| {
            m.instr.op == program::Opcode::Sw
                && m.acc.is_some_and(|a| a.prev_ts > 1)
                && w.words.iter().any(|s| {
                    s.addr == m.word_addr && s.init_ts > 1 && s.init_ts == m.acc.unwrap().prev_ts
                })
        })
        .unwrap();
    let word = w
        .words
        .iter_mut()
        .find(|s| s.addr == store.word_addr)
        .unwrap();
    f(word, store.acc.as_mut().unwrap());
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn mapped_memory_starts_zeroed() {
    // A word of the fresh commit starts at 0x41414141: the store finds it there and
    // overwrites it, so nothing else changes, but Linux's fresh memory is zero.
    let inst = mapped_word_forged(|word, acc| {
        word.init = 0x4141_4141;
        acc.prev = 0x4141_4141;
    });
    only_constraints_of(&inst, "boundary");
}

#[test]
fn mapped_words_start_when_mapped() {
    // A word of the commit starting at timestamp 0, as if it had been there before the
    // mmap (so that an access before the call could have reached it).
    let inst = mapped_word_forged(|word, acc| {
        word.init_ts = 0;
        acc.prev_ts = 0;
    });
    only_bus(&inst, "pages");
}

#[test]
fn an_mmap2_offset_does_not_overflow() {
    // mmap2 of 8 KiB at page offset 2^32 - 1, which Linux refuses with EOVERFLOW (the
    // offset and the mapping's pages pass 2^32), claimed to succeed: the offset read from
    // the private input into its stack slot. Only the range check of its top byte refuses
    // it.
    let (machine, mut record) = recorded(&super::tests::mmap2_program(), &[0, 0, 0, 3]);
    record.syscalls[0].written = vec![0xff; 4];
    let sc = &mut record.syscalls[1];
    assert_eq!((sc.number, sc.stack[1]), (super::mm::SYS_MMAP2, 3));
    sc.stack[1] = u32::MAX;
    let inst = traced_record(&machine, &record);
    only_bus(&inst, "byte");
}

/// The witness of [`super::tests::dontneed_program`], forged by `f`, traced.
fn dontneed_forged(f: impl FnOnce(&mut Witness)) -> Instances {
    let (machine, record) = recorded(&super::tests::dontneed_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    f(&mut w);
    machine.traces_from(&w, &start, &statement).unwrap()
}

/// The mapping's first word address in [`dontneed_forged`]'s witness.
fn dontneed_base(w: &Witness) -> u32 {
    let mmap =
        w.mm.iter()
            .find(|m| m.number == super::mm::SYS_MMAP)
            .unwrap();
    mmap.result / 4
}

/// Joins the first two segments of word `waddr` into one chain that runs across the
/// `MADV_DONTNEED` between them: the first access of the second takes the first's final
/// value, as though the page had kept it. (That access is a store, which nothing but
/// the memory argument reads the previous value of; a load would print the old value
/// the same way.)
fn join_segments(w: &mut Witness, waddr: u32) {
    let i = w.words.iter().position(|s| s.addr == waddr).unwrap();
    let (first, second) = (w.words[i], w.words[i + 1]);
    assert_eq!(second.addr, waddr);
    let store = w
        .memory
        .iter_mut()
        .find(|m| m.word_addr == waddr && m.acc.is_some_and(|a| a.prev_ts == second.init_ts))
        .unwrap();
    assert_eq!(store.instr.op, program::Opcode::Sw);
    let acc = store.acc.as_mut().unwrap();
    acc.prev = first.value;
    acc.prev_ts = first.ts;
    w.words[i] = WordState {
        value: second.value,
        ts: second.ts,
        ..first
    };
    w.words.remove(i + 1);
}

#[test]
fn chains_end_at_a_discard() {
    // The word at +8 keeps its value across the MADV_DONTNEED of its page: one segment
    // from the mmap, whose last access is after the page's next zeroing.
    let inst = dontneed_forged(|w| {
        let base = dontneed_base(w);
        join_segments(w, base + 2);
    });
    only_byte_lookups_of(&inst, "boundary");
}

#[test]
fn page_ends_are_the_next_zeroing() {
    // The same joined chain, with the mmap's row of the page claiming no later zeroing
    // (END), so that the segment's end lies after its last access.
    let inst = dontneed_forged(|w| {
        let base = dontneed_base(w);
        join_segments(w, base + 2);
        let page = (base + 2) / super::mm::PAGE_WORDS;
        let row = w.pages.iter_mut().find(|r| r.page == page).unwrap();
        row.end = super::pages::END;
    });
    only_constraints_of(&inst, "pages");
}

#[test]
fn page_zeroings_are_in_time_order() {
    // The same joined chain on the word at +0x1008, whose page is dropped once: the
    // page's rows swapped, so that the mmap's row comes last, with no zeroing after it.
    let inst = dontneed_forged(|w| {
        let base = dontneed_base(w);
        join_segments(w, base + 0x1008 / 4);
        let page = (base + 0x1008 / 4) / super::mm::PAGE_WORDS;
        let i = w.pages.iter().position(|r| r.page == page).unwrap();
        let (mmap, dontneed) = (w.pages[i], w.pages[i + 1]);
        assert_eq!(mmap.end, dontneed.t);
        w.pages[i] = super::pages::PageRow {
            end: mmap.t,
            ..dontneed
        };
        w.pages[i + 1] = super::pages::PageRow {
            end: super::pages::END,
            ..mmap
        };
    });
    only_byte_lookups_of(&inst, "pages");
}

#[test]
fn a_discard_zeroes_only_its_pages() {
    // The first MADV_DONTNEED (pages 0 and 1) claimed to drop page 3 too: the word at
    // +0x3008 starts a new segment at zero there, which its store takes in place of the
    // value it held, and the page chip has a row for page 3 at that call.
    let inst = dontneed_forged(|w| {
        let base = dontneed_base(w);
        let waddr = base + 0x3008 / 4;
        let t =
            w.mm.iter()
                .find(|m| m.number == super::mm::SYS_MADVISE)
                .unwrap()
                .ts();
        let i = w.words.iter().position(|s| s.addr == waddr).unwrap();
        let whole = w.words[i];
        let store = w
            .memory
            .iter_mut()
            .find(|m| m.word_addr == waddr && m.acc.is_some_and(|a| a.ts > t))
            .unwrap();
        let acc = store.acc.as_mut().unwrap();
        let old = (acc.prev, acc.prev_ts);
        acc.prev = 0;
        acc.prev_ts = t;
        w.words[i] = WordState {
            value: old.0,
            ts: old.1,
            ..whole
        };
        w.words.insert(
            i + 1,
            WordState {
                init: 0,
                init_ts: t,
                ..whole
            },
        );
        let page = waddr / super::mm::PAGE_WORDS;
        let j = w.pages.iter().position(|r| r.page == page).unwrap();
        w.pages[j].end = t;
        w.pages.insert(
            j + 1,
            super::pages::PageRow {
                page,
                t,
                end: super::pages::END,
                zero: true,
            },
        );
    });
    only_bus(&inst, "cover");
}

#[test]
fn discards_lie_in_readable_mappings() {
    // MADV_DONTNEED of a PROT_NONE reservation: Linux returns 0, but a zeroing of its
    // pages would give words the program cannot access a chain to start.
    let mut a = Asm::new();
    mmap_frame(&mut a);
    emit_mmap(&mut a, 0, 0x2000, 0, 0x802);
    a.li(A0, MMAP_TOP_ADDR - 0x2000);
    a.li(A1, 0x1000);
    a.li(A2, super::mm::MADV_DONTNEED);
    a.li(V0, super::mm::SYS_MADVISE);
    a.syscall();
    a.exit(0);
    only_constraints_of(&traced_lenient(&a), "mm");
}

/// The witness of `record` with the witness's own refusals of what the mm and getset
/// chips cannot prove turned off.
fn witness_lenient(
    machine: &Machine,
    record: &record::Record,
) -> (Statement, Witness, record::Start) {
    super::mm::LENIENT.with(|l| l.set(true));
    let traced = machine.witness_of(record, &argv());
    super::mm::LENIENT.with(|l| l.set(false));
    traced.unwrap()
}

/// `record` traced with the witness's refusals turned off ([`witness_lenient`]).
fn traced_record_lenient(machine: &Machine, record: &record::Record) -> Instances {
    let (statement, w, start) = witness_lenient(machine, record);
    machine.traces_from(&w, &start, &statement).unwrap()
}

/// Traces `asm`'s run with the witness's refusals of unprovable mappings turned off.
fn traced_lenient(asm: &Asm) -> Instances {
    let (machine, record) = recorded(asm, &[]);
    traced_record_lenient(&machine, &record)
}

/// A: two readable pages at the top of the mapping area; B: two more below it.
const MUNMAP_A: u32 = MMAP_TOP_ADDR - 0x2000;
const MUNMAP_B: u32 = MMAP_TOP_ADDR - 0x4000;

/// A and B mapped, then `munmap` of the range in the private input (12 bytes: `addr`,
/// `len` and a word for `$a2`), which the honest runs make A's; with `dontneed`,
/// `madvise(B, 8192, MADV_DONTNEED)`; then B's word at +8 written with 9 and read back.
fn munmap_program(dontneed: bool) -> Asm {
    let mut a = Asm::new();
    a.bss("args", 12);
    mmap_frame(&mut a);
    emit_mmap(&mut a, 0, 0x2000, 3, 0x802);
    emit_mmap(&mut a, 0, 0x2000, 3, 0x802);
    a.li(A0, 0);
    a.la(A1, "args");
    a.li(A2, 12);
    a.li(V0, 4003);
    a.syscall();
    a.la(T0, "args");
    a.lw(A0, 0, T0);
    a.lw(A1, 4, T0);
    a.lw(A2, 8, T0);
    a.li(V0, super::mm::SYS_MUNMAP);
    a.syscall();
    if dontneed {
        a.li(A0, MUNMAP_B);
        a.li(A1, 0x2000);
        a.li(A2, super::mm::MADV_DONTNEED);
        a.li(V0, super::mm::SYS_MADVISE);
        a.syscall();
    }
    a.li(T0, MUNMAP_B + 8);
    a.li(T1, 9);
    a.sw(T1, 0, T0);
    a.lw(T2, 0, T0);
    a.exit(0);
    a
}

/// [`munmap_program`]'s run of `munmap(A, 8192)`, forged so that the call's argument `i`
/// was `value` (the input, its load, the call), traced with the witness's refusals off
/// where `lenient` (then the munmap ends no chain of accesses: memory that survives it).
fn munmap_forged(dontneed: bool, i: usize, value: u32, lenient: bool) -> Instances {
    let input: Vec<u8> = [MUNMAP_A, 0x2000, 0]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    let (machine, mut record) = recorded(&munmap_program(dontneed), &input);
    let got: Vec<u32> = record.syscalls[..2]
        .iter()
        .map(|s| s.result.unwrap().0)
        .collect();
    assert_eq!(got, [MUNMAP_A, MUNMAP_B], "the VM's placement");
    let k = record
        .syscalls
        .iter()
        .position(|s| s.number == super::mm::SYS_MUNMAP)
        .unwrap();
    let call = &mut record.syscalls[k];
    call.args[i] = value;
    let step = call.step;
    let load = &mut record.steps[step - 5 + i];
    assert_eq!(load.out, [MUNMAP_A, 0x2000, 0][i]);
    load.out = value;
    load.mem_value = value;
    record.syscalls[k - 1].written[4 * i..4 * i + 4].copy_from_slice(&value.to_be_bytes());
    // exit_group reads $a1 too, where no madvise set it.
    if i > 0 && !dontneed {
        record.syscalls.last_mut().unwrap().args[i] = value;
    }
    if lenient {
        traced_record_lenient(&machine, &record)
    } else {
        traced_record(&machine, &record)
    }
}

#[test]
fn a_whole_mapping_unmapped_proves() {
    // Honest: A unmapped, B written and read (after a MADV_DONTNEED of B, too).
    for dontneed in [false, true] {
        let input: Vec<u8> = [MUNMAP_A, 0x2000, 0]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        let (machine, record) = recorded(&munmap_program(dontneed), &input);
        let inst = traced_record(&machine, &record);
        inst.check().unwrap();
        // A's two pages mapped and unmapped, B's mapped (and dropped): a row each.
        let pages = &inst.traces[ChipKind::Pages.index()];
        let real = pages
            .values
            .chunks(pages.width)
            .filter(|r| r[0] == Val::ONE)
            .count();
        assert_eq!(real, 6 + 2 * dontneed as usize);
    }
}

#[test]
fn no_access_reaches_past_a_munmap() {
    // munmap claimed of B (the VM's was of A) while B's word keeps its chain: the store
    // after the call continues the segment from B's mmap, whose page row ends at the
    // munmap: only the range check of the segment's end.
    let inst = munmap_forged(false, 0, MUNMAP_B, true);
    only_byte_lookups_of(&inst, "boundary");
}

#[test]
fn an_unmapped_page_is_not_mapped_again_by_its_munmap() {
    // The same claim, with the chain ended: the store starts a new segment at zero from
    // the munmap, as from a zeroing, which a munmap is not (Linux: SIGSEGV): only the page
    // chip's refusal of a lookup of a munmap's row.
    let inst = munmap_forged(false, 0, MUNMAP_B, false);
    only_constraints_of(&inst, "pages");
}

#[test]
fn a_munmap_ends_exactly_its_mapping() {
    // munmap(A, 4096) claimed of A's first page only, with A kept alive (no end) in the
    // mapping table, so that a later madvise could still zero the page it freed: only
    // the munmap's exactness (its mapping's pages and end are its own).
    let inst = munmap_forged(false, 1, 0x1000, true);
    only_constraints_of(&inst, "mm");
}

#[test]
fn no_madvise_after_a_munmap() {
    // munmap claimed of B, then B's MADV_DONTNEED (Linux: ENOMEM), whose zeroing would
    // give B's unmapped word a new chain from zero: only the madvise's check that its
    // mapping is not unmapped yet.
    let inst = munmap_forged(true, 0, MUNMAP_B, true);
    only_constraints_of(&inst, "mm");
}

#[test]
fn fixed_mappings_replace_only_reservations() {
    // MAP_FIXED over a page of a readable mapping: Linux replaces it with a zero page,
    // which the proof's one chain per word cannot show, so the commit must lie in a
    // PROT_NONE reservation.
    let mut a = Asm::new();
    mmap_frame(&mut a);
    emit_mmap(&mut a, 0, 0x2000, 3, 0x802);
    emit_mmap(&mut a, MMAP_TOP_ADDR - 0x1000, 0x1000, 3, 0x812);
    a.exit(0);
    only_constraints_of(&traced_lenient(&a), "mm");
}

#[test]
fn an_mmap_hint_is_the_result() {
    // A hint that is taken (A's address): the VM places the mapping elsewhere, as Linux
    // may, but the chip proves only a free hint, which Linux then returns.
    let mut a = Asm::new();
    mmap_frame(&mut a);
    emit_mmap(&mut a, 0, 0x1000, 3, 0x802);
    emit_mmap(&mut a, MMAP_TOP_ADDR - 0x1000, 0x1000, 3, 0x802);
    a.exit(0);
    only_constraints_of(&traced_lenient(&a), "mm");
}

#[test]
fn a_commit_lies_inside_its_reservation() {
    // Z (one page) and R (two) reserved; a commit of R's second page and the page above
    // it, which is Z's: outside R.
    let mut a = Asm::new();
    mmap_frame(&mut a);
    emit_mmap(&mut a, 0, 0x1000, 0, 0x802);
    emit_mmap(&mut a, 0, 0x2000, 0, 0x802);
    emit_mmap(&mut a, MMAP_TOP_ADDR - 0x2000, 0x2000, 3, 0x812);
    a.exit(0);
    only_constraints_of(&traced_lenient(&a), "mm");
}

/// A mapping, `madvise(MADV_NOHUGEPAGE)` of its first half page and `brk(0)`, each
/// result and error flag stored and printed.
fn mm_results_program() -> Asm {
    let mut a = Asm::new();
    a.bss("out", 16);
    a.la(S0, "out");
    mmap_frame(&mut a);
    emit_mmap(&mut a, 0, 0x1000, 3, 0x802);
    a.li(A0, MMAP_TOP_ADDR - 0x1000);
    a.li(A1, 0x800);
    a.li(A2, super::mm::MADV_NOHUGEPAGE);
    a.li(V0, super::mm::SYS_MADVISE);
    a.syscall();
    a.sw(V0, 0, S0);
    a.sw(A3, 4, S0);
    a.li(A0, 0);
    a.li(V0, super::mm::SYS_BRK);
    a.syscall();
    a.sw(V0, 8, S0);
    a.sw(A3, 12, S0);
    a.li(A0, 3);
    a.la(A1, "out");
    a.li(A2, 16);
    a.li(V0, 4004);
    a.syscall();
    a.exit(0);
    a
}

#[test]
fn madvise_and_brk_answer_as_linux() {
    let (machine, st, inst) = traced(&mm_results_program());
    let mut want = vec![0; 8];
    want.extend(machine.setup.brk.to_be_bytes());
    want.extend([0; 4]);
    assert_eq!(st.output, want);
    inst.check().unwrap();
    // madvise returning 1, and brk a break one page higher, each stored and printed.
    let forged = |k: usize, v0: u32, out: usize| {
        let (machine, mut record) = recorded(&mm_results_program(), &[]);
        let sc = &mut record.syscalls[k];
        sc.result = Some((v0, 0));
        let step = sc.step;
        let s = &mut record.steps[step + 1];
        s.b = v0;
        s.mem_value = v0;
        record.output[out..out + 4].copy_from_slice(&v0.to_be_bytes());
        traced_record(&machine, &record)
    };
    only_constraints_of(&forged(1, 1, 0), "mm");
    only_constraints_of(&forged(2, machine.setup.brk + 0x1000, 8), "mm");
}

// rt_sigprocmask, rt_sigaction and sigaltstack (the signal chip) and the kernel words
// they keep (the kernel-state boundary).

use super::bus::{KERNEL_THREADS, THREAD_MASK};
use super::tests::{emit_call, signal_program, Arg, USR1_ACTION};

/// Makes the program print `new` for word `waddr`: the output chip's copies of the word,
/// the output's bytes and the word's final value.
fn set_printed(w: &mut Witness, output: &mut [u8], waddr: u32, new: u32) {
    for (i, o) in w.output.iter_mut().enumerate() {
        if o.addr / 4 == waddr {
            o.word = new;
            output[i] = new.to_be_bytes()[(o.addr % 4) as usize];
        }
    }
    w.words.iter_mut().find(|s| s.addr == waddr).unwrap().value = new;
}

/// Sets a kernel word's final value.
fn set_kernel_final(w: &mut Witness, addr: u32, value: u32) {
    w.kernel_words
        .iter_mut()
        .find(|k| !k.reg && k.addr == addr)
        .unwrap()
        .value = value;
}

/// [`signal_program`]'s witness as `f` forges it (with the output it prints), traced.
fn signal_forged(f: impl FnOnce(&mut Witness, &mut Vec<u8>)) -> Instances {
    let (machine, record) = recorded(&signal_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let mut output = statement.output.clone();
    f(&mut w, &mut output);
    let statement = Statement {
        env: Vec::new(),
        output,
        ..statement
    };
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn no_mask_blocks_sigkill_or_sigstop() {
    // The mask set to every signal keeps SIGKILL's and SIGSTOP's bits, and the query
    // after it prints them: a consistent witness of a thread that blocks SIGKILL. Only
    // the And lookups that clear the two bits refuse it.
    let inst = signal_forged(|w, out| {
        let mask = KERNEL_THREADS + THREAD_MASK;
        assert_eq!(w.getset[0].new[0], !getset::UNBLOCKABLE);
        w.getset[0].new[0] = !0;
        w.getset[1].old[0] = !0;
        w.getset[1].new[0] = !0;
        set_kernel_final(w, mask, !0);
        let oset2 = w.getset[1].args[2] / 4;
        set_printed(w, out, oset2, !0);
    });
    only_bus(&inst, BYTE);
}

#[test]
fn an_action_reads_back_as_it_was_set() {
    // The query of SIGUSR1's action claims another handler than the one set, and prints
    // it. The kernel word's chain (memory argument) refuses it.
    let inst = signal_forged(|w, out| {
        let forged = USR1_ACTION[1] + 0x100;
        assert_eq!(w.getset[3].old[1], USR1_ACTION[1]);
        w.getset[3].old[1] = forged;
        w.getset[3].new[1] = forged;
        set_kernel_final(w, bus::KERNEL_ACTIONS + 6 * 9 + 1, forged);
        let oact = w.getset[3].args[2] / 4;
        set_printed(w, out, oact + 1, forged);
    });
    only_bus(&inst, MEMORY);
}

#[test]
fn kernel_state_starts_once() {
    // The mask query reads a second, fresh copy of the mask (zero, from its own start at
    // timestamp 0) instead of the mask just set, and prints it. With a second row for
    // each mask word in the kernel-state boundary, every bus balances: only the strictly
    // increasing addresses refuse it.
    let inst = signal_forged(|w, out| {
        let mask = KERNEL_THREADS + THREAD_MASK;
        let t2 = w.getset[1].acc[5].unwrap().ts;
        let oset2 = w.getset[1].args[2] / 4;
        for k in 0..4 {
            let set = w.getset[0].new[k];
            w.getset[1].old[k] = 0;
            w.getset[1].new[k] = 0;
            let acc = w.getset[1].acc[5 + k].as_mut().unwrap();
            (acc.prev, acc.prev_ts) = (0, 0);
            let t1 = w.getset[0].acc[5 + k].unwrap().ts;
            let i = w
                .kernel_words
                .iter()
                .position(|kw| kw.addr == mask + k as u32)
                .unwrap();
            w.kernel_words[i] = state::KernelWord {
                reg: false,
                addr: mask + k as u32,
                value: set,
                ts: t1,
            };
            w.kernel_words.insert(
                i + 1,
                state::KernelWord {
                    reg: false,
                    addr: mask + k as u32,
                    value: 0,
                    ts: t2,
                },
            );
            set_printed(w, out, oset2 + k as u32, 0);
        }
    });
    only_byte_lookups_of(&inst, "state");
}

/// A program that makes one signal call with `args` and exits, its record forged by
/// `f`, traced with the witness's own refusals off.
fn one_signal_call(
    setup: impl FnOnce(&mut Asm),
    number: u32,
    args: [Arg; 4],
    f: impl FnOnce(&mut record::Record),
) -> Instances {
    let mut a = Asm::new();
    setup(&mut a);
    emit_call(&mut a, number, args);
    a.exit(0);
    let (machine, mut record) = recorded(&a, &[]);
    f(&mut record);
    traced_record_lenient(&machine, &record)
}

/// The record's call `number` succeeds (where the VM, as Linux, refused it), having
/// written `written`.
fn succeeds(record: &mut record::Record, number: u32, written: Vec<u8>) {
    let sc = record
        .syscalls
        .iter_mut()
        .find(|s| s.number == number)
        .unwrap();
    assert_eq!(sc.result.unwrap().1, 1, "the VM refused it");
    sc.result = Some((0, 0));
    sc.written = written;
}

fn usr1_action(a: &mut Asm) {
    let act: Vec<u8> = USR1_ACTION.iter().flat_map(|w| w.to_be_bytes()).collect();
    a.data("act", &act);
    a.bss("oact", 24);
}

#[test]
fn sigkill_and_sigstop_keep_their_actions() {
    // rt_sigaction(SIGKILL, act) claimed to succeed (Linux: EINVAL): only the inverse of
    // (sig - 9)(sig - 23) refuses it.
    use Arg::{Label as L, Value as V};
    let action = getset::SYS_RT_SIGACTION;
    let inst = one_signal_call(
        usr1_action,
        action,
        [V(getset::SIGKILL), L("act"), V(0), V(16)],
        |r| succeeds(r, action, Vec::new()),
    );
    only_constraints_of(&inst, "getset");
}

#[test]
fn signal_sets_are_16_bytes() {
    // rt_sigprocmask(SIG_SETMASK, NULL, oset, 8) claimed to succeed, writing the empty
    // mask (Linux: EINVAL): only the check of sigsetsize refuses it.
    use Arg::{Label as L, Value as V};
    let mask = getset::SYS_RT_SIGPROCMASK;
    let inst = one_signal_call(
        |a| {
            a.bss("oset", 16);
        },
        mask,
        [V(3), V(0), L("oset"), V(8)],
        |r| succeeds(r, mask, vec![0; 16]),
    );
    only_constraints_of(&inst, "getset");
}

#[test]
fn signals_are_1_to_128() {
    // rt_sigaction(129, NULL, oact) claimed to succeed, writing an action of zeros (Linux:
    // EINVAL): only the range check of sig - 1 refuses it.
    use Arg::{Label as L, Value as V};
    let action = getset::SYS_RT_SIGACTION;
    let inst = one_signal_call(usr1_action, action, [V(129), V(0), L("oact"), V(16)], |r| {
        succeeds(r, action, vec![0; 24])
    });
    only_bus(&inst, BYTE);
}

/// A program that reads `n` bytes of private input to `buf`, loads its first word into
/// `$a0` when `how`, and makes the signal call `number` with `args`; its record forged to
/// read `forged` instead (the private input is the prover's), traced with the witness's
/// refusals off.
fn input_signal_call(
    n: u32,
    how: bool,
    number: u32,
    args: [Arg; 4],
    input: &[u8],
    forged: &[u8],
) -> Instances {
    let (machine, record) = input_signal_record(n, how, number, args, input, forged);
    traced_record_lenient(&machine, &record)
}

/// [`input_signal_call`]'s machine and forged record.
fn input_signal_record(
    n: u32,
    how: bool,
    number: u32,
    args: [Arg; 4],
    input: &[u8],
    forged: &[u8],
) -> (Machine, record::Record) {
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.data("set", &[0xff; 16]);
    a.bss("buf", n);
    emit_call(&mut a, 4003, [V(0), L("buf"), V(n), V(0)]);
    if how {
        a.la(T0, "buf");
        a.lw(A0, 0, T0);
        for (r, arg) in [A1, A2, A3].into_iter().zip(&args[1..]) {
            match *arg {
                V(v) => a.li(r, v),
                L(l) => a.la(r, l),
            };
        }
        a.li(V0, number);
        a.syscall();
    } else {
        emit_call(&mut a, number, args);
    }
    a.exit(0);
    let (machine, mut record) = recorded(&a, input);
    let old = u32::from_be_bytes(input[..4].try_into().unwrap());
    let new = u32::from_be_bytes(forged[..4].try_into().unwrap());
    assert_eq!(record.syscalls[0].written, input);
    record.syscalls[0].written = forged.to_vec();
    if how {
        let lw = record
            .steps
            .iter_mut()
            .find(|s| s.mem_value == old && s.out == old)
            .unwrap();
        lw.mem_value = new;
        lw.out = new;
        let sc = record
            .syscalls
            .iter_mut()
            .find(|s| s.number == number)
            .unwrap();
        sc.args[0] = new;
    }
    (machine, record)
}

#[test]
fn a_mask_is_combined_as_how_says() {
    // rt_sigprocmask(how, set) with `how` from the private input: SIG_SETMASK in the run,
    // which blocks every signal (but SIGKILL and SIGSTOP), claimed as SIG_UNBLOCK, whose
    // selectors the forged row keeps at SIG_SETMASK's. Only the check that `how` is the
    // one the selectors combine with refuses it.
    use Arg::{Label as L, Value as V};
    let (machine, record) = input_signal_record(
        4,
        true,
        getset::SYS_RT_SIGPROCMASK,
        [V(0), L("set"), V(0), V(16)],
        &[0, 0, 0, 3],
        &[0, 0, 0, 2],
    );
    let (statement, mut w, start) = witness_lenient(&machine, &record);
    let ev = &mut w.getset[0];
    assert_eq!((ev.how, ev.new[0]), (getset::SIG_UNBLOCK, 0));
    ev.how = getset::SIG_SETMASK;
    ev.comb = [u32::MAX; 4];
    ev.new[..4].copy_from_slice(&[!getset::UNBLOCKABLE, u32::MAX, u32::MAX, u32::MAX]);
    let mask = bus::KERNEL_THREADS + bus::THREAD_MASK;
    for k in 0..4 {
        let word = w
            .kernel_words
            .iter_mut()
            .find(|x| !x.reg && x.addr == mask + k);
        word.unwrap().value = ev.new[k as usize];
    }
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "getset");
}

#[test]
fn sig_unblock_takes_out_exactly_its_set() {
    // SIG_UNBLOCK of b (signal 64 among others) after SIG_BLOCK of a, claimed to leave
    // signal 64 blocked (word 1 ends 0x80000001), and the run to end so. Every bus but
    // the byte table's balances and every constraint holds; only the And lookup of that
    // byte refuses it.
    let (machine, record) = recorded(&mask_program(false), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let ev = &mut w.getset[1];
    assert_eq!((ev.how, ev.new[1]), (getset::SIG_UNBLOCK, 1));
    ev.new[1] = 0x8000_0001;
    ev.comb[1] = 0x8000_0001;
    let at = bus::KERNEL_THREADS + bus::THREAD_MASK + 1;
    let word = w.kernel_words.iter_mut().find(|x| !x.reg && x.addr == at);
    word.unwrap().value = 0x8000_0001;
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_bus(&inst, BYTE);
}

#[test]
fn alternate_stacks_are_valid() {
    // sigaltstack(ss) with ss from the private input: (sp, 32 KiB, 0) in the run, claimed
    // as a 1 KiB stack (Linux: ENOMEM; only the size's range check refuses it), and as
    // flags 4 (Linux: EINVAL; only the flags' check refuses it).
    use Arg::{Label as L, Value as V};
    let ss = |size: u32, flags: u32| -> Vec<u8> {
        [0x7fe0_0000u32, size, flags]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect()
    };
    let call = |forged: &[u8]| {
        input_signal_call(
            12,
            false,
            getset::SYS_SIGALTSTACK,
            [L("buf"), V(0), V(0), V(0)],
            &ss(0x8000, 0),
            forged,
        )
    };
    only_bus(&call(&ss(1024, 0)), BYTE);
    only_constraints_of(&call(&ss(0x8000, 4)), "getset");
}

#[test]
fn a_soft_limit_stays_within_the_hard_one() {
    // prlimit64(0, RLIMIT_NOFILE, new) with `new` from the private input: (4096, 4096) in
    // the run, claimed as a soft limit of 8192 over the hard 4096 (Linux: EINVAL). Only
    // the check that cur <= max refuses it (its range checks of max - cur, which is
    // negative).
    use Arg::{Label as L, Value as V};
    let limit = |cur: u32| -> Vec<u8> {
        [0u32, cur, 0, 4096]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect()
    };
    let inst = input_signal_call(
        16,
        false,
        getset::SYS_PRLIMIT64,
        [V(0), V(getset::RLIMIT_NOFILE), L("buf"), V(0)],
        &limit(4096),
        &limit(8192),
    );
    only_byte_lookups_of(&inst, "getset");
}

#[test]
fn sigaltstack_is_proved_only_without_a_stack() {
    // A stack set, then asked for: Linux answers it (flags 0); the witness, its refusal
    // off, claims SS_DISABLE and no size, as for a thread without a stack (`has_stack`
    // clear, so no $sp comparison either). Only the check that no stack is set refuses
    // it. (With `has_stack`, the checks that such a call only disables it refuse it.)
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    let ss: Vec<u8> = [0x7fe0_0000u32, 0x8000, 0]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    a.data("ss", &ss);
    a.bss("oss", 12);
    let stack = getset::SYS_SIGALTSTACK;
    emit_call(&mut a, stack, [L("ss"), V(0), V(0), V(0)]);
    emit_call(&mut a, stack, [V(0), L("oss"), V(0), V(0)]);
    a.exit(0);
    let (machine, record) = recorded(&a, &[]);
    getset::CLAIM_NO_STACK.with(|f| f.set(true));
    let (statement, w, start) = witness_lenient(&machine, &record);
    getset::CLAIM_NO_STACK.with(|f| f.set(false));
    assert_eq!(w.getset[1].old[1], 0x8000);
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "getset");
}

#[test]
fn kernel_words_of_the_initial_state_start_only_there() {
    // The third reading of CLOCK_MONOTONIC reads a second, fresh copy of the clock's
    // words (started at zero by the kernel-state boundary) and claims 5 ns, before the
    // first reading: a clock that goes backwards, printed, with the last reading carrying
    // on from it. Every bus balances; only the bound that keeps the kernel-state
    // boundary's words above the initial-state chip's refuses it.
    let (machine, record) = recorded(&clock_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let mut out = statement.output.clone();
    let (sec, nsec) = (bus::KERNEL_CLOCKS + 2, bus::KERNEL_CLOCKS + 3);
    assert!(w.clock[0].mono && w.clock[2].mono && w.clock[3].mono);
    let t0 = w.clock[0].acc[4].unwrap().ts;
    let r0 = w.clock[0].new;
    let forged = (0, 5);
    {
        let c = &mut w.clock[2];
        c.old = (0, 0);
        c.new = forged;
        c.second = forged.1;
        for k in [4, 5] {
            let acc = c.acc[k].as_mut().unwrap();
            (acc.prev, acc.prev_ts) = (0, 0);
        }
    }
    let ts = w.clock[2].ts / 4;
    set_printed(&mut w, &mut out, ts, forged.0);
    set_printed(&mut w, &mut out, ts + 1, forged.1);
    w.clock[3].old = forged;
    let t3 = w.clock[3].acc[4].unwrap().ts;
    let r3 = w.clock[3].new;
    let i = bus::NUM_REGS + sec as usize;
    w.regs[i] = (r0.0, t0);
    w.regs[i + 1] = (r0.1, t0);
    let kernel_from = w
        .kernel_words
        .iter()
        .position(|k| !k.reg)
        .unwrap_or(w.kernel_words.len());
    w.kernel_words.splice(
        kernel_from..kernel_from,
        [
            state::KernelWord {
                reg: false,
                addr: sec,
                value: r3.0,
                ts: t3,
            },
            state::KernelWord {
                reg: false,
                addr: nsec,
                value: r3.1,
                ts: t3,
            },
        ],
    );
    let statement = Statement {
        env: Vec::new(),
        output: out,
        ..statement
    };
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_byte_lookups_of(&inst, "state");
}

// ---------------------------------------------------------------------------------------
// Threads: clone, context switches, futex.

/// [`thread_program`]'s record, with the futex call `nth` (in run order) given `result`,
/// traced with the witness's own refusals off.
fn futex_forged(nth: usize, result: (u32, u32)) -> Instances {
    let (machine, mut record) = recorded(&thread_program(), &[]);
    let sc = record
        .syscalls
        .iter_mut()
        .filter(|s| s.number == futex::SYS_FUTEX)
        .nth(nth)
        .unwrap();
    sc.result = Some(result);
    traced_record_lenient(&machine, &record)
}

#[test]
fn futex_wait_returns_eagain_only_when_the_word_differs() {
    // The parent's wait finds the word as expected (0) and sleeps until the child's
    // wake; the record claims EAGAIN instead. Every bus balances (the parent never reads
    // $v0 or $a3 before it writes them); only the check that EAGAIN means a differing
    // word refuses it.
    use crate::syscalls::errno::EAGAIN;
    let inst = futex_forged(0, (EAGAIN, 1));
    only_constraints_of(&inst, "futex");
}

#[test]
fn futex_wait_times_out_only_with_a_timeout() {
    // The same wait, with no timeout, claimed to time out.
    use crate::syscalls::errno::ETIMEDOUT;
    let inst = futex_forged(0, (ETIMEDOUT, 1));
    only_constraints_of(&inst, "futex");
}

#[test]
fn futex_wake_wakes_no_more_than_could_wait() {
    // The child's wake (of at most 1, with one other thread) claims 2 woken.
    let inst = futex_forged(1, (2, 0));
    only_byte_lookups_of(&inst, "futex");
}

/// [`thread_program`]'s witness as `f` forges it, traced.
fn thread_forged(f: impl FnOnce(&mut Witness)) -> Instances {
    let (machine, record) = recorded(&thread_program(), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    f(&mut w);
    machine.traces_from(&w, &start, &statement).unwrap()
}

/// The final value the kernel-state boundary claims for thread `t`'s register `r`.
fn set_register_final(w: &mut Witness, t: u32, r: u32, value: u32) {
    w.kernel_words
        .iter_mut()
        .find(|k| k.reg && k.addr == t * bus::REG_STRIDE + r)
        .unwrap()
        .value = value;
}

#[test]
fn a_clone_child_gets_the_parents_registers() {
    // The child's $s4 (which it never uses) is written as 0xdead instead of the
    // parent's 0, and ends the run so. Every bus balances; only the copy's constraint
    // refuses it.
    let inst = thread_forged(|w| {
        let cp = &mut w.clone[0].copies[S4 as usize];
        assert_eq!(cp.val, 0);
        cp.new = 0xdead;
        set_register_final(w, 1, S4 as u32, 0xdead);
    });
    only_constraints_of(&inst, "clone");
}

#[test]
fn a_switch_changes_no_other_register() {
    // The child is switched out (it waits forever) with $s4 = 0; the boundary claims it
    // ends as 0x5eed, as if a switch had changed it. Only the memory argument refuses it.
    let inst = thread_forged(|w| set_register_final(w, 1, S4 as u32, 0x5eed));
    only_bus(&inst, MEMORY);
}

#[test]
fn a_thread_changes_only_at_a_switch() {
    // A row of the main thread, with no switch before it, claims to run in thread 1.
    let (_, _, mut inst) = traced(&thread_program());
    mutate(
        &mut inst,
        ChipKind::Cpu,
        |c: &cpu::CpuCols<Val>| is(c.is_real) && c.clk == Val::from_u32(3),
        |c| c.thread = one(),
    );
    assert_eq!(first(&inst), At::Constraint("cpu"));
}

#[test]
fn a_switch_names_a_thread_below_2_16() {
    // The switch to the child names thread 1 + 1/64 (mod p) instead of 1: its slot r is
    // then thread 1's slot r + 1, so its resume pair would be read from the wrong words.
    // Whatever else that forgery would need, the sched row itself refuses it: the index
    // is not below 2^16.
    let (_, _, mut inst) = traced(&thread_program());
    let forged = Val::ONE + Val::from_u32(bus::REG_STRIDE).inverse();
    mutate(
        &mut inst,
        ChipKind::Sched,
        |c: &sched::SchedCols<Val>| is(c.is_real) && c.new == one(),
        |c| c.new = forged,
    );
    let errs = all(&inst);
    assert!(
        errs.iter().any(
            |e| matches!(e, CheckError::Unbalanced { bus, message, chip, .. }
            if bus == BYTE && chip == "sched" && message[0] == ByteOp::Range16 as u32
                && message[1] == forged.as_canonical_u32())
        ),
        "{errs:?}"
    );
}

#[test]
fn a_clone_child_gets_a_new_stack() {
    // clone with no stack: Linux runs the child on the parent's $sp; the witness, its
    // refusal off, gives it $sp = 0 (what the copy alone would give). The child then only
    // waits. Every bus balances; only the check that the stack is not 0 refuses it.
    use Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.bss("never", 4);
    emit_call(
        &mut a,
        threads::SYS_CLONE,
        [V(threads::CLONE_GO), V(0), V(0), V(0)],
    );
    a.beq(V0, ZERO, "child");
    a.nop();
    a.exit(0);
    a.label("child");
    emit_call(
        &mut a,
        futex::SYS_FUTEX,
        [L("never"), V(futex::FUTEX_WAIT_PRIVATE), V(0), V(0)],
    );
    a.label("spin");
    a.j("spin");
    a.nop();
    super::mm::LENIENT.with(|l| l.set(true));
    let (machine, record) = recorded(&a, &[]);
    super::mm::LENIENT.with(|l| l.set(false));
    let inst = traced_record_lenient(&machine, &record);
    only_constraints_of(&inst, "clone");
}

// ---------------------------------------------------------------------------------------
// Signals: a fault's delivery and the handler's return.

/// [`fault_program`]'s witness as `f` forges it, traced.
fn fault_forged(returns: bool, f: impl FnOnce(&mut Witness)) -> Instances {
    let (machine, record) = recorded(&fault_program(returns), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    f(&mut w);
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn a_signal_frame_saves_the_faulting_registers() {
    // The frame's copy of $s0 (0x12345678 at the fault) is written as 0xdead; the
    // handler exits without reading it, and the memory boundary claims the word ends so.
    // Every bus balances; only the frame's check refuses it.
    let inst = fault_forged(false, |w| {
        let k = signal::w_reg(S0 as usize);
        let ev = &mut w.signal[0];
        assert_eq!(ev.words[k].value, 0x1234_5678);
        ev.words[k].value = 0xdead;
        let waddr = ev.frame / 4 + k as u32;
        w.words.iter_mut().find(|s| s.addr == waddr).unwrap().value = 0xdead;
    });
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_handler_gets_its_arguments() {
    // The handler's $t9, which Linux sets to the handler, is given 0x1000; the handler
    // exits without using it, and the boundary claims $t9 ends so. Only the check of the
    // handler's registers refuses it.
    let inst = fault_forged(false, |w| {
        let k = signal::w_reg(T9 as usize);
        w.signal[0].words[k].src.as_mut().unwrap().1 = 0x1000;
        w.regs[T9 as usize].0 = 0x1000;
    });
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_handler_has_gos_flags() {
    // SIGSEGV's handler installed with SA_NODEFER besides Go's flags: Linux would then
    // leave SIGSEGV unblocked while it runs, where the chip's mask adds it. Recorded with
    // the witness's refusal of other flags off; only the check of the flags refuses it.
    const SA_NODEFER: u32 = 0x4000_0000;
    let (machine, record) = recorded(
        &super::tests::fault_program_with(false, signal::GO_SA_FLAGS | SA_NODEFER),
        &[],
    );
    only_constraints_of(&traced_record_lenient(&machine, &record), "signal");
}

#[test]
fn rt_sigreturn_restores_the_frames_registers() {
    // The return restores $s0 as 0x5eed, not the frame's 0x12345678; the program exits
    // without using it, and the boundary claims $s0 ends so. Only the restore's check
    // refuses it.
    let inst = fault_forged(true, |w| {
        let row = signal::ret_layout()
            .iter()
            .position(|&(_, r)| r == signal::Ret::Reg(S0 as u32))
            .unwrap();
        let second = w.sigreturn[0].words[row].2.as_mut().unwrap();
        assert_eq!(second.1, 0x1234_5678);
        second.1 = 0x5eed;
        w.regs[S0 as usize].0 = 0x5eed;
    });
    only_constraints_of(&inst, "sigreturn");
}

/// [`send_program`] (its handler exiting) with `call` to `pid` or the thread itself,
/// recorded (leniently: the tracer's and the witness's check of the target off), and its
/// witness as `f` forges it, traced.
fn send_forged(call: u32, pid: u32, f: impl FnOnce(&mut Witness)) -> Instances {
    super::mm::LENIENT.with(|l| l.set(true));
    let (machine, record) = recorded(&send_program(call, pid, false), &[]);
    super::mm::LENIENT.with(|l| l.set(false));
    let (statement, mut w, start) = witness_lenient(&machine, &record);
    f(&mut w);
    machine.traces_from(&w, &start, &statement).unwrap()
}

/// Sets frame word `k` of delivery `i` to `value`, and the memory boundary's last value
/// of that word with it (the handler exits without reading the frame).
fn forge_frame_word(w: &mut Witness, i: usize, k: usize, value: u32) {
    let ev = &mut w.signal[i];
    ev.words[k].value = value;
    let waddr = ev.frame / 4 + k as u32;
    w.words.iter_mut().find(|s| s.addr == waddr).unwrap().value = value;
}

#[test]
fn a_sent_signals_frame_saves_the_calls_success() {
    // tkill returns 0 with $a3 = 0 before Linux builds the frame; the frame's $a3 is
    // written as the 7 the register held. Only the frame's check refuses it.
    let inst = send_forged(signal::SYS_TKILL, signal::PID, |w| {
        let k = signal::w_reg(A3 as usize);
        assert_eq!(w.signal[0].words[k].value, 0);
        forge_frame_word(w, 0, k, 7);
    });
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_sent_signals_handler_sees_the_calls_success() {
    // The handler's $a3 is left at 7, not the call's 0; the handler exits without using
    // it (its exit_group reads it as 7), and the boundary claims $a3 ends so. Only the check of the handler's registers
    // refuses it.
    let inst = send_forged(signal::SYS_TKILL, signal::PID, |w| {
        let k = signal::w_reg(A3 as usize);
        let second = w.signal[0].words[k].src.as_mut().unwrap();
        assert_eq!((second.0, second.1), (7, 0));
        second.1 = 7;
        w.regs[A3 as usize].0 = 7;
        // The handler's exit_group reads $a3 as it finds it.
        let exit = w.syscall.last_mut().unwrap();
        assert_eq!(exit.regs[4].prev, 0);
        exit.regs[4].prev = 7;
        exit.result.1 = 7;
    });
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_kill_is_not_a_tkill() {
    // kill(PID, SIGUSR1) from the main thread (whose id is the PID) claimed as tkill,
    // with tkill's si_code SI_TKILL in the frame: the target and signal checks hold
    // (tkill's $a0 is the thread's id, its $a1 the signal). Only the check of the call's
    // number refuses it.
    let inst = send_forged(signal::SYS_KILL, signal::PID, |w| {
        let ev = &mut w.signal[0];
        assert_eq!(ev.code, signal::SI_USER);
        ev.sent.as_mut().unwrap().call = 1;
        ev.code = signal::SI_TKILL;
        forge_frame_word(w, 0, signal::W_CODE, signal::SI_TKILL);
    });
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_sent_signal_goes_to_the_calling_thread() {
    // kill(0, SIGUSR1): the caller's process group, which the chip does not prove (Linux
    // sends to every process in it), delivered as if to this process. Only the check
    // of the target refuses it.
    let inst = send_forged(signal::SYS_KILL, 0, |_| {});
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_sent_signals_arguments_are_its_registers() {
    // kill(0, SIGUSR1), with the chip's copy of $a0 claimed as the PID: the target check
    // holds. Only the check that the copies are the registers refuses it.
    let inst = send_forged(signal::SYS_KILL, 0, |w| {
        let sent = w.signal[0].sent.as_mut().unwrap();
        assert_eq!(sent.args[1], 0);
        sent.args[1] = signal::PID;
    });
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_sent_signals_info_says_who_sent_it() {
    // tkill's signal delivered with kill's si_code SI_USER, in the frame and the chip's
    // column alike. Only the siginfo check refuses it.
    let inst = send_forged(signal::SYS_TKILL, signal::PID, |w| {
        let ev = &mut w.signal[0];
        assert_eq!(ev.code, signal::SI_TKILL);
        ev.code = signal::SI_USER;
        forge_frame_word(w, 0, signal::W_CODE, signal::SI_USER);
    });
    only_constraints_of(&inst, "signal");
}

/// Go's action for SIGUSR1 and SIGUSR2 (one handler, which exits 5) and an alternate
/// stack; SIGUSR1 blocked when `block`; then `tgkill(1000, 1000, SIGUSR2)`. Its witness
/// with the delivery given SIGUSR1 instead (the call's SIGUSR2 in its registers), traced.
fn usr2_delivered_as_usr1(block: bool) -> Instances {
    use super::tests::Arg::{Label as L, Value as V};
    let mut a = Asm::new();
    a.data("set", &[0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    super::tests::go_handler_setup(&mut a, &[16, 17]);
    if block {
        emit_call(
            &mut a,
            getset::SYS_RT_SIGPROCMASK,
            [V(1), L("set"), V(0), V(16)],
        );
    }
    emit_call(&mut a, signal::SYS_TGKILL, [V(1000), V(1000), V(17), V(0)]);
    a.exit(4);
    a.label("handler");
    a.exit(5);
    let (machine, record) = recorded(&a, &[]);
    signal::FORGED_SIG.with(|f| f.set(Some(16)));
    let (statement, w, start) = witness_lenient(&machine, &record);
    signal::FORGED_SIG.with(|f| f.set(None));
    assert_eq!((w.signal[0].sig, statement.exit_code), (16, 5));
    machine.traces_from(&w, &start, &statement).unwrap()
}

#[test]
fn a_delivered_signal_is_the_one_sent() {
    // tgkill sends SIGUSR2 (in $a2); the delivery claims SIGUSR1, whose action is the
    // same, in the frame, the handler's $a0 and the action's words alike. Only the check
    // that the signal is the call's refuses it.
    only_constraints_of(&usr2_delivered_as_usr1(false), "signal");
}

#[test]
fn a_blocked_signal_is_not_delivered() {
    // The same with SIGUSR1 blocked: besides the check that the signal is the call's,
    // the `And` lookups that the thread does not block it refuse it (the byte bus).
    let errs = all(&usr2_delivered_as_usr1(true));
    let byte = |e: &CheckError| matches!(e, CheckError::Unbalanced { bus, .. } if bus == BYTE);
    assert!(errs.iter().any(byte), "{errs:?}");
    assert!(
        errs.iter().all(
            |e| byte(e) || matches!(e, CheckError::Constraint { chip, .. } if chip == "signal")
        ),
        "{errs:?}"
    );
}

/// [`poll_program`] (watching `events`, its results unread) with the `nth` call of
/// `number` answering `result` in the record, traced leniently.
fn poll_forged(events: u32, number: u32, nth: usize, result: Option<(u32, u32)>) -> Instances {
    let (machine, mut record) = recorded(&poll_program(events, false), &[]);
    if let Some(result) = result {
        let sc = record
            .syscalls
            .iter_mut()
            .filter(|s| s.number == number)
            .nth(nth)
            .unwrap();
        sc.result = Some(result);
    }
    traced_record_lenient(&machine, &record)
}

#[test]
fn epoll_pwait_reports_a_ready_eventfd() {
    // The second wait finds the eventfd's counter at 3; the record claims no event (and
    // so no write to the events buffer, which nothing reads). Every bus balances; only
    // the check that a watched, non-zero counter is ready refuses it.
    let inst = poll_forged(poll::EPOLLIN, poll::SYS_EPOLL_PWAIT, 1, Some((0, 0)));
    only_constraints_of(&inst, "poll");
}

#[test]
fn an_eventfd_read_fails_with_eagain_only_when_empty() {
    // The second read finds the counter at 3 and clears it; the record claims EAGAIN.
    use crate::syscalls::errno::EAGAIN;
    let inst = poll_forged(poll::EPOLLIN, record::SYS_READ, 1, Some((EAGAIN, 1)));
    only_constraints_of(&inst, "poll");
}

#[test]
fn epoll_watches_only_epollin() {
    // EPOLLIN | EPOLLET, edge-triggered: the VM's answers are the same here, but the
    // proof's level-triggered readiness is not Linux's for it, so the chip refuses the
    // registration.
    let inst = poll_forged(poll::EPOLLIN | 0x8000_0000, 0, 0, None);
    only_constraints_of(&inst, "poll");
}

#[test]
fn an_eventfd_counter_is_the_sum_of_its_writes() {
    // The write of 3 claims to leave the counter at 4; the wait after it finds 4, and
    // the read returns 4 and writes it (its word ends the run so). Every bus balances;
    // only the write's sum refuses it.
    let (machine, record) = recorded(&poll_program(poll::EPOLLIN, false), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let calls: Vec<poll::Call> = w.poll.iter().map(|e| e.call()).collect();
    assert_eq!(calls[5], poll::Call::Write);
    assert_eq!(w.poll[5].state_new, 3);
    w.poll[5].state_new = 4;
    w.poll[6].target_count = 4;
    w.poll[7].state = 4;
    w.poll[7].mnew[1] = 4;
    let low = w.poll[7].args[1] / 4 + 1;
    w.words.iter_mut().find(|s| s.addr == low).unwrap().value = 4;
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "poll");
}

#[test]
fn a_new_descriptor_is_the_lowest_free_one() {
    // epoll_create1 returns 4 (which nothing reads); the record claims 5.
    let mut a = Asm::new();
    a.li(A0, 0);
    a.li(V0, poll::SYS_EPOLL_CREATE1);
    a.syscall();
    a.exit(0);
    let (machine, mut record) = recorded(&a, &[]);
    record.syscalls[0].result = Some((5, 0));
    let inst = traced_record_lenient(&machine, &record);
    only_constraints_of(&inst, "poll");
}

#[test]
fn a_new_descriptor_is_below_the_open_file_limit() {
    // prlimit64 lowers the soft RLIMIT_NOFILE to 5, so fd 4 is the last one: the second
    // epoll_create1 fails with EMFILE. The record claims fd 5. Only the range check of
    // `limit - 5 - files` refuses it.
    let mut a = Asm::new();
    a.data(
        "limit",
        &[0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x10, 0],
    );
    a.li(A0, 0);
    a.li(A1, getset::RLIMIT_NOFILE);
    a.la(A2, "limit");
    a.li(A3, 0);
    a.li(V0, getset::SYS_PRLIMIT64);
    a.syscall();
    for _ in 0..2 {
        a.li(A0, 0);
        a.li(V0, poll::SYS_EPOLL_CREATE1);
        a.syscall();
    }
    a.exit(0);
    let (machine, mut record) = recorded(&a, &[]);
    let sc = &mut record.syscalls[2];
    assert_eq!(sc.result, Some((crate::syscalls::errno::EMFILE, 1)));
    sc.result = Some((5, 0));
    let inst = traced_record_lenient(&machine, &record);
    only_bus(&inst, BYTE);
}

#[test]
fn an_eventfd_read_needs_a_user_buffer() {
    // A read of an empty non-blocking eventfd into 0x7ffffffc, whose 8 bytes pass 2^31:
    // Linux's access_ok fails first (EFAULT), as the VM's does. The record claims
    // EAGAIN, which touches no memory. Only the range checks of `2^29 - 3 - buf / 4`
    // refuse it.
    use crate::syscalls::errno::{EAGAIN, EFAULT};
    let mut a = Asm::new();
    a.li(A0, 0);
    a.li(A1, poll::O_NONBLOCK);
    a.li(V0, poll::SYS_EVENTFD2);
    a.syscall();
    a.li(A0, 4);
    a.li(A1, 0x7fff_fffc);
    a.li(A2, 8);
    a.li(V0, record::SYS_READ);
    a.syscall();
    a.exit(0);
    let (machine, mut record) = recorded(&a, &[]);
    let sc = &mut record.syscalls[1];
    assert_eq!(sc.result, Some((EFAULT, 1)));
    sc.result = Some((EAGAIN, 1));
    let inst = traced_record_lenient(&machine, &record);
    only_bus(&inst, BYTE);
}

#[test]
fn a_futex_timeout_is_a_valid_timespec() {
    // The timeout {1, 10^9} is invalid: Linux fails the wait with EINVAL before it looks
    // at the word, as the VM does. The record claims EAGAIN (the word differs). Only the
    // range checks of `10^9 - 1 - tv_nsec` refuse it.
    use crate::syscalls::errno::{EAGAIN, EINVAL};
    let inst = lenient_forged(&futex_timeout_program(1_000_000_000), |r| {
        assert_eq!(r.syscalls[0].result, Some((EINVAL, 1)));
        r.syscalls[0].result = Some((EAGAIN, 1));
    });
    only_bus(&inst, BYTE);
}

#[test]
fn no_syscall_sits_in_a_delay_slot() {
    // getpid in a jump's delay slot, which the VM runs (MIPS leaves it unpredictable, and
    // the clone chip starts a child at pc + 4, where the parent would not go on); the
    // tracer's refusal is off. Only the CPU's `next_pc = pc + 4` on a SYSCALL row refuses
    // it.
    let mut a = Asm::new();
    a.li(V0, 4020);
    a.j("after");
    a.syscall();
    a.nop();
    a.label("after");
    a.exit(0);
    let inst = lenient_forged(&a, |_| {});
    only_constraints_of(&inst, "cpu");
}

/// `asm`'s run recorded and traced with the tracer's and the witness's refusals off,
/// after `forge` edits the record.
fn lenient_forged(asm: &Asm, forge: impl FnOnce(&mut record::Record)) -> Instances {
    super::mm::LENIENT.with(|l| l.set(true));
    let (machine, mut record) = recorded(asm, &[]);
    super::mm::LENIENT.with(|l| l.set(false));
    forge(&mut record);
    traced_record_lenient(&machine, &record)
}

#[test]
fn an_eventfd_is_never_a_semaphore() {
    // eventfd2(0, EFD_SEMAPHORE), whose reads take 1 at a time, not the whole counter:
    // the chip's reads are not that. Only the flags check refuses it.
    let mut a = Asm::new();
    a.li(A0, 0);
    a.li(A1, 1);
    a.li(V0, poll::SYS_EVENTFD2);
    a.syscall();
    a.exit(0);
    let inst = lenient_forged(&a, |_| {});
    only_constraints_of(&inst, "poll");
}

#[test]
fn eventfd_transfers_are_8_bytes() {
    // write(fd, buf, 4) to an eventfd: Linux's EINVAL (below 8 bytes), as the VM's. The
    // record claims 8, the counter growing by the u64 at buf. Only the size check
    // refuses it.
    let mut a = Asm::new();
    a.data("one", &[0, 0, 0, 0, 0, 0, 0, 1]);
    a.li(A0, 0);
    a.li(A1, poll::O_NONBLOCK);
    a.li(V0, poll::SYS_EVENTFD2);
    a.syscall();
    a.li(A0, 4);
    a.la(A1, "one");
    a.li(A2, 4);
    a.li(V0, record::SYS_WRITE);
    a.syscall();
    a.exit(0);
    let inst = lenient_forged(&a, |r| {
        assert_eq!(
            r.syscalls[1].result,
            Some((crate::syscalls::errno::EINVAL, 1))
        );
        r.syscalls[1].result = Some((poll::EVENTFD_IO, 0));
    });
    only_constraints_of(&inst, "poll");
}

#[test]
fn an_epoll_buffer_lies_in_user_space() {
    // epoll_pwait for 2 events at 0x7fffffe0, whose 32 bytes pass 2^31: Linux's
    // access_ok fails first (EFAULT), as the VM's does. The record claims no event (which
    // writes nothing). Only the range checks of `2^29 - 1 - events / 4 - 4 maxevents`
    // refuse it.
    let mut a = Asm::new();
    a.li(A0, 0);
    a.li(V0, poll::SYS_EPOLL_CREATE1);
    a.syscall();
    a.addiu(SP, SP, 0xffe0);
    a.sw(ZERO, 16, SP);
    a.li(A0, 4);
    a.li(A1, 0x7fff_ffe0);
    a.li(A2, 2);
    a.li(A3, 0);
    a.li(V0, poll::SYS_EPOLL_PWAIT);
    a.syscall();
    a.exit(0);
    let inst = lenient_forged(&a, |r| {
        assert_eq!(
            r.syscalls[1].result,
            Some((crate::syscalls::errno::EFAULT, 1))
        );
        r.syscalls[1].result = Some((0, 0));
    });
    only_bus(&inst, BYTE);
}

/// [`pend_program`]'s run with `p`, traced with the witness's refusals off.
fn pend_forged(p: &Pend) -> Instances {
    let (machine, record) = recorded(&pend_program(p), &[]);
    traced_record_lenient(&machine, &record)
}

#[test]
fn a_pending_signal_is_one_the_thread_blocks() {
    // SIGUSR1 ignored and not blocked: Linux drops tgkill's signal (so does the VM), and
    // the witness claims it pending. Only the `And` lookups that the thread blocks it
    // refuse it (the byte bus).
    send::FORGED_PEND.with(|f| f.set(true));
    let inst = pend_forged(&Pend {
        ignored: &[16],
        block: 0,
        unblock: 0,
        ..Pend::usr1(signal::SYS_TGKILL)
    });
    send::FORGED_PEND.with(|f| f.set(false));
    assert_eq!(
        inst.traces[ChipKind::Send.index()].values[1],
        Val::ONE,
        "pend"
    );
    only_bus(&inst, BYTE);
}

#[test]
fn one_signal_is_pending_per_thread() {
    // SIGUSR1 and SIGUSR2 blocked and both sent: the second send finds SIGUSR1 in the
    // thread's pending set. Only the check that the set was empty refuses it.
    let inst = pend_forged(&Pend {
        block: USR1_BIT | USR2_BIT,
        unblock: 0,
        sends: &[16, 17],
        ..Pend::usr1(signal::SYS_TKILL)
    });
    only_constraints_of(&inst, "send");
}

#[test]
fn no_action_is_set_while_a_signal_is_pending() {
    // rt_sigaction of SIGUSR1 (to SIG_IGN) while it is pending: Linux discards it, as
    // the VM does. Only the check that no signal is pending refuses the call.
    let inst = pend_forged(&Pend {
        act_after: true,
        unblock: 0,
        ..Pend::usr1(signal::SYS_TGKILL)
    });
    only_constraints_of(&inst, "getset");
}

#[test]
fn an_unblocked_pending_signal_is_delivered() {
    // SIGUSR1 ignored, blocked, sent and unblocked: Linux discards it where it would
    // deliver it (so does the VM), and the witness claims the call left it blocked.
    // Only the `And` lookups that the new mask blocks the pending set refuse it.
    let inst = pend_forged(&Pend {
        ignored: &[16],
        ..Pend::usr1(signal::SYS_TGKILL)
    });
    only_bus(&inst, BYTE);
}

#[test]
fn a_delivered_pending_signal_was_pending() {
    // SIGUSR1 and SIGUSR2 blocked, SIGUSR1 sent, both unblocked: the delivery claims
    // SIGUSR2 (whose action is the same), in the frame, the handler's $a0 and the mask
    // alike; the handler exits without reading them. Only the check that the thread's
    // pending set held the signal refuses it.
    let p = Pend {
        block: USR1_BIT | USR2_BIT,
        unblock: USR1_BIT | USR2_BIT,
        returns: false,
        ..Pend::usr1(signal::SYS_TGKILL)
    };
    let (machine, record) = recorded(&pend_program(&p), &[]);
    signal::FORGED_SIG.with(|f| f.set(Some(17)));
    let (statement, w, start) = witness_lenient(&machine, &record);
    signal::FORGED_SIG.with(|f| f.set(None));
    assert_eq!((w.signal[0].sig, statement.exit_code), (17, 5));
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_handlers_return_keeps_a_pending_signal_blocked() {
    // In SIGUSR1's handler (every signal blocked) the thread sends itself SIGUSR2, which
    // it ignores: pending. The return restores a mask without SIGUSR2, and Linux
    // discards it (so does the VM); the witness claims it stays pending. Only the `And`
    // lookups that the restored mask blocks the pending set refuse it.
    let inst = pend_forged(&Pend {
        ignored: &[17],
        block: 0,
        unblock: 0,
        handler_sends: 17,
        ..Pend::usr1(signal::SYS_TGKILL)
    });
    only_bus(&inst, BYTE);
}

#[test]
fn no_stop_signal_is_sent() {
    // SIGTSTP blocked and sent: Linux flushes SIGCONT from every thread's pending set
    // first, which the proof does not follow. The witness's refusal off, only the check
    // that the signal is no stop signal or SIGCONT refuses it.
    let inst = pend_forged(&Pend {
        block: 1 << 23,
        unblock: 0,
        sends: &[24],
        ..Pend::usr1(signal::SYS_TGKILL)
    });
    only_constraints_of(&inst, "send");
}

#[test]
fn no_stop_signal_is_taken_at_once() {
    // SIGCONT, with Go's handler, sent with tkill and delivered at once: Linux flushes
    // the stop signals from every thread's pending set first. The witness's refusal
    // off, only the check that a sent signal is no stop signal or SIGCONT refuses it.
    let inst = pend_forged(&Pend {
        block: 0,
        unblock: 0,
        sends: &[25],
        ..Pend::usr1(signal::SYS_TKILL)
    });
    only_constraints_of(&inst, "signal");
}

#[test]
fn an_ignored_signals_action_ignores_it() {
    // SIGURG with SIG_DFL, which ignores it, claimed ignored by SIG_IGN (whose handler
    // word is 1): only the check of the action refuses it.
    let (machine, record) = recorded(
        &pend_program(&Pend {
            block: 0,
            unblock: 0,
            sends: &[21],
            ..Pend::usr1(signal::SYS_TKILL)
        }),
        &[],
    );
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    assert_eq!(w.send[0].outcome, send::Outcome::Ignored { dfl: true });
    w.send[0].outcome = send::Outcome::Ignored { dfl: false };
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "send");
}

#[test]
fn a_fatal_signal_gives_its_exit_status() {
    // SIGTERM's default action ends the run with 143; the send chip's copy of the exit
    // status claims 144: only the check of the status refuses it.
    let (_, _, mut inst) = traced(&pend_program(&Pend {
        block: 0,
        unblock: 0,
        sends: &[15],
        ..Pend::usr1(signal::SYS_TGKILL)
    }));
    inst.public_values[ChipKind::Send.index()][send::pv::EXIT_CODE] += Val::ONE;
    only_constraints_of(&inst, "send");
}

#[test]
fn a_nested_frame_says_it_is_on_the_stack() {
    // A signal sent inside a handler is delivered from on the alternate stack, and its
    // frame's uc_stack.ss_flags is SS_ONSTACK (1); forged as 0 (its handler exits without
    // reading it, and the boundary claims the word ends so). Only the frame's check
    // refuses it.
    let p = Pend {
        nested_exits: true,
        ..Pend::nested()
    };
    let (machine, record) = recorded(&pend_program(&p), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    assert_eq!(statement.exit_code, 17);
    assert!(w.signal[1].onstack && !w.signal[0].onstack);
    let k = signal::W_SS_FLAGS;
    assert_eq!(w.signal[1].words[k].value, 1);
    forge_frame_word(&mut w, 1, k, 0);
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_nested_frame_fits_on_the_alternate_stack() {
    // SIGUSR1's handler moves $sp to 100 bytes above its alternate stack's bottom and
    // sends itself SIGUSR2: Linux's get_sigframe forces SIGSEGV, as the frame would run
    // below the stack, while the VM (as qemu-mips) writes it there. With the witness's
    // room check off, only the chip's check that `sp - 784` lies on the stack refuses it.
    let p = Pend {
        nested_exits: true,
        handler_sp_low: true,
        ..Pend::nested()
    };
    let (machine, record) = recorded(&pend_program(&p), &[]);
    assert!(machine.witness_of(&record, &argv()).is_err(), "refused");
    let (statement, w, start) = witness_lenient(&machine, &record);
    assert_eq!(statement.exit_code, 17);
    assert!(w.signal[1].onstack && w.signal[1].frame < w.signal[1].ss_sp);
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "signal");
}

/// `asm`'s run with the VM delivering no sent signal (they stay pending, as Linux never
/// leaves them), traced by the lenient witness with `forge_take` saying whether it claims
/// every send not blocked taken at a switch.
fn undelivered_forged(asm: &Asm, forge_take: bool) -> (Statement, Witness, Instances) {
    crate::syscalls::signal::SKIP_DELIVERIES.with(|f| f.set(true));
    super::mm::LENIENT.with(|l| l.set(true));
    let (machine, record) = recorded(asm, &[]);
    super::mm::LENIENT.with(|l| l.set(false));
    crate::syscalls::signal::SKIP_DELIVERIES.with(|f| f.set(false));
    assert!(record.signals.is_empty());
    send::FORGED_TAKE.with(|f| f.set(forge_take));
    let (statement, w, start) = witness_lenient(&machine, &record);
    send::FORGED_TAKE.with(|f| f.set(false));
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    (statement, w, inst)
}

#[test]
fn a_switch_delivers_the_signal_its_thread_takes() {
    // The child's tgkill of SIGUSR1 to the main thread, which the send chip makes the
    // main thread's to take; the VM forged to deliver nothing, the switch back to the
    // main thread claims it takes nothing, and the main thread runs on past its handler
    // (exit 0, where Linux gives 16). Only the check that the switch's flags are the
    // take word it reads refuses it.
    let (st, w, inst) =
        undelivered_forged(&take_program(Take::new(signal::SYS_TGKILL, false)), false);
    assert_eq!(st.exit_code, 0);
    assert_eq!(w.send[0].outcome, send::Outcome::Take);
    assert!(w.sched.iter().any(|s| s.take == 0 && s.prev_take == 2));
    only_constraints_of(&inst, "sched");
}

#[test]
fn a_signal_taken_at_a_switch_has_a_handler() {
    // The child's tgkill of SIGUSR1 to the main thread, which ignores it: Linux drops it
    // (so does the VM), and the child exits 7 before the main thread runs again. The
    // witness claims it taken at the next switch, which never comes. Only the check that
    // the action is a handler refuses it (had the action been SIG_DFL of SIGTERM, Linux
    // would have ended the process with 143, and the proof would go on to exit 7).
    let p = Take {
        ignore: true,
        child_exits: true,
        ..Take::new(signal::SYS_TGKILL, false)
    };
    let (st, w, inst) = undelivered_forged(&take_program(p), true);
    assert_eq!(st.exit_code, 7);
    assert_eq!(
        (w.send[0].outcome, w.send[0].handler),
        (send::Outcome::Take, 1)
    );
    only_constraints_of(&inst, "send");
}

#[test]
fn a_signal_taken_at_a_switch_goes_to_another_thread() {
    // tgkill of SIGUSR1 to the caller, which does not block it: Linux delivers it before
    // the next instruction. The VM forged to deliver nothing, the witness claims it the
    // caller's to take at a later switch, and the program runs on and exits 0. Only the
    // check that the target is another thread refuses it.
    let (st, w, inst) =
        undelivered_forged(&send_program(signal::SYS_TGKILL, signal::PID, true), true);
    assert_eq!(st.exit_code, 0);
    assert_eq!(w.send[0].outcome, send::Outcome::Take);
    assert_eq!(w.send[0].target, w.send[0].instr.thread);
    only_constraints_of(&inst, "send");
}

#[test]
fn a_signal_taken_at_a_switch_says_who_sent_it() {
    // The child's tgkill, delivered with kill's si_code SI_USER, in the frame and the
    // chip's column alike (the handler reads neither). Only the check that the code is
    // the one the switch's kind says refuses it.
    let (machine, record) = recorded(&take_program(Take::new(signal::SYS_TGKILL, false)), &[]);
    let (statement, mut w, start) = machine.witness_of(&record, &argv()).unwrap();
    let ev = &mut w.signal[0];
    assert_eq!((ev.take, ev.code), (2, signal::SI_TKILL));
    ev.code = signal::SI_USER;
    forge_frame_word(&mut w, 0, signal::W_CODE, signal::SI_USER);
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_constraints_of(&inst, "signal");
}

#[test]
fn a_signal_goes_to_a_thread_that_exists() {
    // The child's tgkill of SIGUSR1 to thread 1005, which does not exist: Linux fails it
    // with ESRCH (so does the VM). The witness claims it succeeded and is thread 1005's
    // to take at a switch (its pending set and take word fresh kernel words); the child
    // reads no result, and the main thread runs on (exit 0). Only the range check that
    // the target is at most the thread counter refuses it (the byte bus).
    let p = Take {
        to: 1005,
        ..Take::new(signal::SYS_TGKILL, false)
    };
    let (st, w, inst) = undelivered_forged(&take_program(p), false);
    assert_eq!(st.exit_code, 0);
    assert_eq!(
        (w.send[0].outcome, w.send[0].target),
        (send::Outcome::Take, 5)
    );
    only_bus(&inst, BYTE);
}

#[test]
fn a_restarted_wait_writes_nothing_and_resumes_at_its_syscall() {
    // The main thread's FUTEX_WAIT, which the child's signal interrupts and Linux
    // restarts after the handler: its row's restart flag cleared, the call claims a
    // wake-up's 0 in $v0 and hands its SYSCALL row's leaving half to the switch as it
    // is, past the SYSCALL. Neither agrees with the rest of the run: the register's next
    // access and the switch's save are the restart's.
    let (machine, record) = recorded(&take_program(Take::new(signal::SYS_TGKILL, true)), &[]);
    let mut inst = traced_record(&machine, &record);
    let t = &mut inst.traces[ChipKind::Futex.index()];
    let w = futex::FutexCols::<u8>::WIDTH;
    let n = (0..t.values.len() / w)
        .find(|&i| {
            let row: &futex::FutexCols<Val> = t.values[i * w..(i + 1) * w].borrow();
            row.restart == Val::ONE
        })
        .expect("a restart");
    let row: &mut futex::FutexCols<Val> = t.values[n * w..(n + 1) * w].borrow_mut();
    row.restart = Val::ZERO;
    let errs = all(&inst);
    let bus_of = |name: &str| {
        errs.iter()
            .any(|e| matches!(e, CheckError::Unbalanced { bus, .. } if bus == name))
    };
    assert!(bus_of(MEMORY) && bus_of(bus::SCHED), "{errs:?}");
}

#[test]
fn a_signal_goes_to_a_thread_with_an_index() {
    // The child's tgkill of SIGUSR1 to thread 999, which does not exist (Linux: ESRCH),
    // claimed to succeed and to be the signal of thread -1 (999 - 1000 as a field
    // element, within the counter's bound: -1 <= 1) to take at a switch. Its block lies
    // at kernel word 1008, below the threads', where every word starts at zero (found
    // by review: with SIGKILL, the same row could claim the run killed). Only the range
    // check that the target's index is below 2^16 refuses it (the byte bus).
    let p = Take {
        to: 999,
        ..Take::new(signal::SYS_TGKILL, false)
    };
    let (st, w, inst) = undelivered_forged(&take_program(p), false);
    assert_eq!(st.exit_code, 0);
    assert_eq!(w.send[0].outcome, send::Outcome::Take);
    assert_eq!(w.send[0].target as u64, 0x7f00_0000);
    only_bus(&inst, BYTE);
}

// ---------------------------------------------------------------------------------------
// Thread exit.

#[test]
fn an_exited_thread_never_runs_again() {
    // The VM forged so that the child's exit returns: the child goes on without a switch,
    // sets the flag the main thread waits for, and later runs again after a switch. The
    // CPU refuses the exit row that does not leave its thread; and the switch back to the
    // child reads its exited word as 0 where the exit wrote 1, which the memory argument
    // refuses. (With the exit's mark knocked out, only the CPU's check is left.)
    crate::syscalls::thread::EXIT_GOES_ON.with(|f| f.set(true));
    let (machine, record) = recorded(&exit_program(true, false), &[]);
    crate::syscalls::thread::EXIT_GOES_ON.with(|f| f.set(false));
    assert!(record
        .syscalls
        .iter()
        .any(|sc| sc.number == syscall::SYS_EXIT));
    let inst = traced_record_lenient(&machine, &record);
    let errs = all(&inst);
    let cpu = errs
        .iter()
        .any(|e| matches!(e, CheckError::Constraint { chip, .. } if chip == "cpu"));
    let memory = errs
        .iter()
        .any(|e| matches!(e, CheckError::Unbalanced { bus, .. } if bus == MEMORY));
    assert!(cpu && memory, "{errs:?}");
}

#[test]
fn a_wake_counts_no_exited_thread() {
    // The main thread's wake after the child's exit, with no other thread left to wait,
    // claims 1 woken. Only the futex chip's range check of `clones - exits - n` refuses
    // it (without the exits, 1 <= 1 others).
    let (machine, mut record) = recorded(&exit_program(false, false), &[]);
    let sc = record
        .syscalls
        .iter_mut()
        .filter(|s| s.number == futex::SYS_FUTEX)
        .last()
        .unwrap();
    assert_eq!(sc.result, Some((0, 0)));
    sc.result = Some((1, 0));
    let inst = traced_record_lenient(&machine, &record);
    only_byte_lookups_of(&inst, "futex");
}

#[test]
fn no_signal_goes_to_an_exited_thread() {
    // tkill of SIGURG to the child after its exit: Linux (and the VM) answer ESRCH. The
    // witness, its refusal off, claims it sent and ignored (SIGURG's default), returning
    // 0. Only the send chip's read of the target's exited word, 0 where the exit wrote 1,
    // refuses it: the memory argument does not balance.
    let (machine, record) = recorded(&exit_program(false, true), &[]);
    let sc = record
        .syscalls
        .iter()
        .find(|s| s.number == signal::SYS_TKILL)
        .unwrap();
    assert_eq!(sc.result, Some((crate::syscalls::errno::ESRCH, 1)));
    let (statement, w, start) = witness_lenient(&machine, &record);
    assert_eq!(w.send[0].outcome, send::Outcome::Ignored { dfl: true });
    let inst = machine.traces_from(&w, &start, &statement).unwrap();
    only_bus(&inst, MEMORY);
}

/// [`altstack_program`]'s record with its `SS_DISABLE` claimed to succeed, traced with
/// the witness's refusals off.
fn altstack_forged(sp: Option<(&'static str, u32)>, query: bool) -> Instances {
    let (machine, mut record) = recorded(&altstack_program(sp, query), &[]);
    let sc = record
        .syscalls
        .iter_mut()
        .filter(|s| s.number == getset::SYS_SIGALTSTACK)
        .nth(1)
        .unwrap();
    sc.result = Some((0, 0));
    traced_record_lenient(&machine, &record)
}

#[test]
fn an_alternate_stack_is_disabled_only_off_it() {
    // $sp at the stack's top, alt + 4096, on the stack (sp - ss_sp <= ss_size): Linux
    // (and the VM) answer EPERM; claimed to succeed. Only the range checks of the proof
    // that $sp is off the stack refuse it.
    let (_, record) = recorded(&altstack_program(Some(("alt", 4096)), false), &[]);
    let eperm = crate::syscalls::errno::EPERM;
    assert_eq!(record.syscalls[1].result, Some((eperm, 1)));
    let inst = altstack_forged(Some(("alt", 4096)), false);
    only_byte_lookups_of(&inst, "getset");
}

#[test]
fn a_thread_with_an_alternate_stack_does_not_report_none() {
    // SS_DISABLE with an oss on a thread with a stack: Linux writes (alt, 4096, 0); the
    // chip's old-value rule would write SS_DISABLE, as for a thread with none. Only the
    // check that such a call asks for no old value refuses it.
    let inst = altstack_forged(None, true);
    only_constraints_of(&inst, "getset");
}

#[test]
fn fcntl64_is_told_from_fcntl_by_its_number() {
    // fcntl(1, F_GETFD) (4055) claimed fcntl64: the row's $v0 read then names 4220, which
    // the register does not hold. Only the memory argument refuses it.
    let (_, _, mut inst) = traced(&super::tests::fs_program());
    mutate(
        &mut inst,
        ChipKind::Fs,
        |c: &fs::FsCols<Val>| is(c.is_fcntl) && !is(c.wide),
        |c| c.wide = one(),
    );
    only_bus(&inst, MEMORY);
}
