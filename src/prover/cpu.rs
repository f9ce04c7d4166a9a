//! The CPU chip: one row per instruction. It fetches the instruction from the ROM, reads
//! its operands from the registers, dispatches it to an opcode chip, writes the result,
//! and moves `pc` and `next_pc` on, with delay slots.
//!
//! State between rows is `(clk, thread, pc, next_pc)`: each real row computes
//! `new_pc`/`new_next_pc`, and the next real row must start there, one clock later. The
//! first row starts at the public start state; real rows form a prefix of the trace, and
//! the last one is an `exit_group` (`halt`), at the clock the public cycle count names.
//!
//! Every access to a register goes through the memory argument in the register space, at
//! timestamps `4 (clk + 1) + slot`; see [`super::bus`].

use std::borrow::Borrow;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, REG_STRIDE, SLOT_A, SLOT_B, SLOT_C, SPACE_REG,
    TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::fill_access;
use super::knockout::kept;
use super::program::{flag, rom_message};
use super::witness::CpuEvent;

/// Public values of the CPU chip.
pub mod pv {
    /// The start state.
    pub const PC: usize = 0;
    pub const NEXT_PC: usize = 1;
    pub const CLK: usize = 2;
    /// Instructions executed: the halting row's clock is `CLK + CYCLES - 1`.
    pub const CYCLES: usize = 3;
    pub const COUNT: usize = 4;
}

/// The flags of a ROM entry, each a boolean column.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Flags<T> {
    pub b_imm: T,
    pub dispatch: T,
    pub write: T,
    pub link: T,
    pub branch: T,
    pub jump: T,
    pub jump_reg: T,
    pub likely: T,
    pub syscall: T,
}

impl<T: Copy> Flags<T> {
    fn all(&self) -> [T; flag::COUNT] {
        [
            self.b_imm,
            self.dispatch,
            self.write,
            self.link,
            self.branch,
            self.jump,
            self.jump_reg,
            self.likely,
            self.syscall,
        ]
    }
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct CpuCols<T> {
    /// 1 on rows that execute an instruction; a prefix of the trace.
    pub is_real: T,
    /// The instruction's index in the run.
    pub clk: T,
    /// The running thread's index (0 for the main thread); it changes only at a switch.
    pub thread: T,
    pub pc: T,
    pub next_pc: T,
    /// Where the next instruction starts: `pc` and `next_pc` of the next row.
    pub new_pc: T,
    pub new_next_pc: T,
    // The ROM entry at `pc` (bound by the `program` lookup).
    pub op: T,
    pub ra: T,
    pub rb: T,
    pub rw: T,
    pub flags: Flags<T>,
    pub target: T,
    pub imm: Word<T>,
    pub aux: T,
    /// The branch or jump is taken.
    pub taken: T,
    /// This row is the final `exit_group`.
    pub halt: T,
    /// A context switch follows this row (the sched chip saves where its thread
    /// resumes), or precedes it (the sched chip says where the new thread starts).
    pub switch: T,
    pub resumed: T,
    /// This row is a load or store that faults (its address lies in the unmapped first
    /// 64 KiB): the signal chip delivers `SIGSEGV`, the row writes nothing, and the next
    /// row is the handler's first.
    pub fault: T,
    /// This row jumps (through a register) to the `rt_sigreturn` trampoline.
    pub sigret: T,
    /// Operand values: register `ra`, register `rb` or the immediate.
    pub a: Word<T>,
    pub b: Word<T>,
    /// The opcode chip's answer: the result, a branch's `[taken, 0, 0, 0]`, a system
    /// call's `[halt, 0, 0, 0]`.
    pub c: Word<T>,
    /// Register `rw`'s value before the write.
    pub w_prev: Word<T>,
    pub a_acc: AccessCols<T>,
    pub b_acc: AccessCols<T>,
    pub w_acc: AccessCols<T>,
}
columns!(CpuCols);
columns!(Flags);

pub const WIDTH: usize = CpuCols::<u8>::WIDTH;

fn word<F: PrimeCharacteristicRing>(v: u32) -> [F; 4] {
    v.to_le_bytes().map(|b| F::from_u8(b))
}

/// The CPU chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuChip;

impl CpuChip {
    /// The trace for `events`, padded to a power of two.
    pub fn generate_trace(
        &self,
        events: &[CpuEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_rows::<CpuCols<Val>, _>(events, WIDTH, bytes, fill_row)
    }
}

fn fill_row(r: &mut CpuCols<Val>, ev: &CpuEvent, bytes: &mut ByteCounts) {
    let e = &ev.entry;
    let s = &ev.step;
    r.is_real = Val::ONE;
    r.clk = Val::from_u32(ev.clk);
    r.thread = Val::from_u32(s.thread);
    r.switch = Val::from_bool(ev.switch);
    r.resumed = Val::from_bool(s.switched || s.delivered || s.returned);
    r.fault = Val::from_bool(s.fault);
    let sigret = e.flags & flag::JUMP_REG != 0 && s.a == bus::SIGRETURN_ADDR;
    r.sigret = Val::from_bool(sigret);
    r.pc = Val::from_u32(s.pc);
    r.next_pc = Val::from_u32(s.next_pc);
    r.new_pc = Val::from_u32(ev.new_pc);
    r.new_next_pc = Val::from_u32(ev.new_next_pc);
    r.op = Val::from_u8(e.op);
    r.ra = Val::from_u8(e.ra);
    r.rb = Val::from_u8(e.rb);
    r.rw = Val::from_u8(e.rw);
    let f = |bit: u32| Val::from_bool(e.flags & bit != 0);
    r.flags = Flags {
        b_imm: f(flag::B_IMM),
        dispatch: f(flag::DISPATCH),
        write: f(flag::WRITE),
        link: f(flag::LINK),
        branch: f(flag::BRANCH),
        jump: f(flag::JUMP),
        jump_reg: f(flag::JUMP_REG),
        likely: f(flag::LIKELY),
        syscall: f(flag::SYSCALL),
    };
    r.target = Val::from_u32(e.target);
    r.imm = word(e.imm);
    r.aux = Val::from_u32(e.aux);
    r.taken = Val::from_bool(ev.taken);
    r.halt = Val::from_bool(e.flags & flag::SYSCALL != 0 && ev.c == 1);
    r.a = word(s.a);
    r.b = word(s.b);
    r.c = word(ev.c);
    fill_access(&mut r.a_acc, &ev.a_acc, bytes);
    if let Some(acc) = &ev.b_acc {
        fill_access(&mut r.b_acc, acc, bytes);
    }
    if let Some((_, acc)) = &ev.w_acc {
        r.w_prev = word(acc.prev);
        fill_access(&mut r.w_acc, acc, bytes);
    }
    if e.flags & flag::JUMP_REG != 0 {
        bytes.range8x2(0x7eu32.wrapping_sub(s.a >> 24) + sigret as u32, 0);
    }
}

impl BaseAir<Val> for CpuChip {
    fn width(&self) -> usize {
        WIDTH
    }

    fn num_public_values(&self) -> usize {
        pv::COUNT
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for CpuChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let local: &CpuCols<AB::Var> = main.current_slice().borrow();
        let next: &CpuCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*local, *next);
        let pvs: Vec<Expr<AB>> = b.public_values().iter().map(|&v| v.into()).collect();
        let one = || Expr::<AB>::ONE;
        let is_real: Expr<AB> = l.is_real.into();
        let fl = l.flags;

        // Flags are boolean and zero on padding rows: f (is_real - f) = 0.
        b.assert_bool(is_real.clone());
        if kept("cpu.flags_bool") {
            for f in fl
                .all()
                .into_iter()
                .chain([l.taken, l.halt, l.switch, l.resumed, l.fault, l.sigret])
            {
                b.assert_zero(f.into() * (is_real.clone() - f.into()));
            }
        }

        // Fetch: the ROM entry at pc.
        let mut packed = Expr::<AB>::ZERO;
        for (i, f) in fl.all().into_iter().enumerate() {
            packed += f.into() * Expr::<AB>::from_u32(1 << i);
        }
        let key = rom_message(
            l.pc.into(),
            l.op.into(),
            l.ra.into(),
            l.rb.into(),
            l.rw.into(),
            packed,
            l.target.into(),
            l.imm.map(Into::into),
            l.aux.into(),
        );
        b.push_interaction(bus::PROGRAM, key, Count::bounded(is_real.clone(), 1));

        // Operand b is the immediate when the ROM says so.
        for k in 0..4 {
            b.assert_zero(fl.b_imm.into() * (l.b[k].into() - l.imm[k].into()));
        }

        // Register accesses: read ra, read rb (unless b is the immediate), write rw.
        let ts0 = (l.clk.into() + one()) * Expr::<AB>::from_u32(TS_SLOTS);
        let reg = |r: AB::Var| l.thread.into() * Expr::<AB>::from_u32(REG_STRIDE) + r.into();
        let space = || Expr::<AB>::from_u32(SPACE_REG);
        let a = l.a.map(Into::into);
        access(
            b,
            is_real.clone(),
            space(),
            reg(l.ra),
            a.clone(),
            a.clone(),
            ts0.clone() + Expr::<AB>::from_u32(SLOT_A),
            &l.a_acc,
        );
        let bw = l.b.map(Into::into);
        access(
            b,
            is_real.clone() - fl.b_imm.into(),
            space(),
            reg(l.rb),
            bw.clone(),
            bw,
            ts0.clone() + Expr::<AB>::from_u32(SLOT_B),
            &l.b_acc,
        );
        // The value written: the chip's answer, or the link address.
        let w: [Expr<AB>; 4] = std::array::from_fn(|k| {
            l.c[k].into() + fl.link.into() * (l.imm[k].into() - l.c[k].into())
        });
        access(
            b,
            fl.write.into(),
            space(),
            reg(l.rw),
            l.w_prev.map(Into::into),
            w,
            ts0 + Expr::<AB>::from_u32(SLOT_C),
            &l.w_acc,
        );
        // Without a write, w_prev is in no message; it is kept zero.
        for k in 0..4 {
            b.assert_zero((one() - fl.write.into()) * l.w_prev[k].into());
        }
        // A faulting load writes its register back unchanged (Linux leaves it as it was):
        // the answer is the old value. (A store writes nothing, and its answer is 0.)
        for k in 0..4 {
            b.assert_zero(l.fault.into() * (l.c[k].into() - l.w_prev[k].into()));
        }

        // Dispatch to the opcode chip; an instruction that dispatches nothing answers 0.
        // A faulting row dispatches under `op + FAULT_OP`, which only the signal chip
        // receives, and only for loads and stores whose address faults.
        b.assert_zero(l.fault.into() * (one() - fl.dispatch.into()));
        let op = l.op.into() + l.fault.into() * Expr::<AB>::from_u32(bus::FAULT_OP);
        let mut msg = vec![op, l.clk.into(), l.thread.into()];
        msg.extend(l.a.map(Into::into));
        msg.extend(l.b.map(Into::into));
        msg.extend(l.c.map(Into::into));
        msg.push(l.aux.into());
        b.push_interaction(bus::INSTR, msg, Count::bounded(fl.dispatch.into(), 1));
        for k in 0..4 {
            b.assert_zero((one() - fl.dispatch.into()) * l.c[k].into());
        }

        // Context switches: where this row's thread resumes, and where the new one starts.
        // A fault leaves too, with its own kind, for the signal chip (and the PC Linux
        // reports, `epc`, as `new_pc`).
        b.assert_zero(l.fault.into() * (one() - l.switch.into()));
        b.push_interaction(
            bus::SCHED,
            [
                l.fault.into() * Expr::<AB>::from_u32(bus::SCHED_FAULT),
                l.clk.into(),
                l.thread.into(),
                l.new_pc.into(),
                l.new_next_pc.into(),
            ],
            Count::bounded(l.switch.into(), 1),
        );
        b.push_interaction(
            bus::SCHED,
            [
                Expr::<AB>::from_u32(bus::SCHED_RESUME),
                l.clk.into(),
                l.thread.into(),
                l.pc.into(),
                l.next_pc.into(),
            ],
            Count::bounded(l.resumed.into(), 1),
        );

        // Control flow. A conditional branch is taken when the chip says so; a jump always.
        if kept("cpu.taken_branch") {
            b.assert_zero(fl.branch.into() * (l.taken.into() - l.c[0].into()));
        }
        b.assert_zero((fl.jump.into() + fl.jump_reg.into()) * (one() - l.taken.into()));
        b.assert_zero(
            l.taken.into() * (one() - fl.branch.into() - fl.jump.into() - fl.jump_reg.into()),
        );
        // A register target must be below 0x7f000000, so that its value as a field
        // element is the address itself and cannot alias one modulo p. The one exception
        // is the sigreturn trampoline, exactly (`sigret`), whose jump lands on -1 below.
        b.assert_zero(l.sigret.into() * (one() - fl.jump_reg.into()));
        for (k, byte) in bus::SIGRETURN_ADDR.to_le_bytes().into_iter().enumerate() {
            b.assert_zero(l.sigret.into() * (l.a[k].into() - Expr::<AB>::from_u8(byte)));
        }
        if kept("cpu.jr_range") {
            bus::byte(
                b,
                ByteOp::Range8x2,
                Expr::<AB>::from_u32(0x7e) - l.a[3].into() + l.sigret.into(),
                Expr::<AB>::ZERO,
                Expr::<AB>::ZERO,
                fl.jump_reg.into(),
            );
        }
        // An untaken branch-likely skips its delay slot. A fault goes on at the PC Linux
        // reports for it, which the ROM holds as a load's or store's `target`: its own
        // `pc`, or in a delay slot its branch's (the handler's frame saves it, and the
        // signal chip reads it from the fault's `sched` message).
        if kept("cpu.likely") {
            b.assert_zero(
                l.new_pc.into()
                    - l.next_pc.into()
                    - Expr::<AB>::from_u32(4) * fl.likely.into() * (one() - l.taken.into())
                    + l.fault.into() * (l.next_pc.into() - l.new_pc.into()),
            );
        }
        b.assert_zero(l.fault.into() * (l.new_pc.into() - l.target.into()));
        // Targets: static (ROM `target`, zero for a register jump) or register `ra`;
        // untaken, the instruction after the new pc. A jump to the trampoline goes to
        // -1, the field element no ROM entry, jump target or `pc + 8` can equal.
        // (`from_u32` reduces modulo p, as `word_value` does.)
        let sigret_value = Expr::<AB>::from_u32(bus::SIGRETURN_ADDR) + Expr::<AB>::ONE;
        let dest = l.target.into() + fl.jump_reg.into() * bus::word_value::<AB>(&l.a)
            - l.sigret.into() * sigret_value;
        if kept("cpu.target") {
            b.assert_zero(
                l.new_next_pc.into()
                    - l.new_pc.into()
                    - Expr::<AB>::from_u32(4) * is_real.clone()
                    - l.taken.into() * (dest - l.next_pc.into() - Expr::<AB>::from_u32(4)),
            );
        }

        // A SYSCALL is never in a delay slot (MIPS leaves that unpredictable; the clone
        // chip starts a child at `pc + 4`, so the parent must go on there too).
        if kept("cpu.syscall_slot") {
            b.assert_zero(
                fl.syscall.into() * (l.next_pc.into() - l.pc.into() - Expr::<AB>::from_u32(4)),
            );
        }

        // A thread's exit (the syscall chip's answer c[1] = 1, which only exit gives)
        // leaves its thread: a switch follows, and no switch resumes an exited thread.
        if kept("cpu.exit_switch") {
            b.assert_zero(fl.syscall.into() * l.c[1].into() * (one() - l.switch.into()));
        }

        // Halting: only an exit_group halts, and the syscall chip says which calls are.
        b.assert_zero(fl.syscall.into() * (l.halt.into() - l.c[0].into()));
        b.assert_zero((one() - fl.syscall.into()) * l.halt.into());
        if kept("cpu.halt_clk") {
            b.assert_zero(
                l.halt.into()
                    * (l.clk.into() - pvs[pv::CLK].clone() - pvs[pv::CYCLES].clone() + one()),
            );
        }

        // Transitions: real rows run until the halt, then padding; each real row starts
        // where the previous one left off.
        {
            let mut t = b.when_transition();
            if kept("cpu.real_prefix") {
                t.assert_zero(n.is_real.into() - is_real.clone() + l.halt.into());
            }
            // Without a switch the next row goes on in the same thread where this one
            // left off; after one, the sched chip says where (and in which thread).
            let goes_on = || n.is_real.into() - n.resumed.into();
            if kept("cpu.pc") {
                t.assert_zero(goes_on() * (n.pc.into() - l.new_pc.into()));
            }
            if kept("cpu.next_pc") {
                t.assert_zero(goes_on() * (n.next_pc.into() - l.new_next_pc.into()));
            }
            t.assert_zero(n.is_real.into() * (n.clk.into() - l.clk.into() - one()));
            t.assert_zero(goes_on() * (n.thread.into() - l.thread.into()));
            t.assert_eq(n.resumed, l.switch);
        }
        if kept("cpu.real_prefix") {
            b.when_last_row()
                .assert_zero(is_real.clone() - l.halt.into());
        }

        // The first row is the start state.
        let mut f = b.when_first_row();
        f.assert_one(is_real);
        if kept("cpu.first_pc") {
            f.assert_eq(l.pc, pvs[pv::PC].clone());
        }
        f.assert_eq(l.next_pc, pvs[pv::NEXT_PC].clone());
        if kept("cpu.first_clk") {
            f.assert_eq(l.clk, pvs[pv::CLK].clone());
        }
        f.assert_zero(l.thread);
        f.assert_zero(l.resumed);
    }
}
