//! The interpreter: register state and the semantics of every instruction, as one `match`.
//!
//! Delay slots follow the architecture: `pc` is the instruction being executed and
//! `next_pc` the one after it, so a taken branch only changes the instruction after its
//! delay slot. Anything that needs the kernel (a `SYSCALL`, a trap, a fault, a reserved
//! instruction) ends the step with an [`Exception`]; for everything but `SYSCALL` the
//! registers and `pc` are left as they were before the instruction, like a precise
//! exception on real hardware.

use super::decode::{Instr, Op};
use super::memory::Fault;
use super::trace::{MemEvent, StepEvent, Tracer};
use super::Vm;

/// The register state of one thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cpu {
    /// General-purpose registers; `gpr[0]` is always zero.
    pub gpr: [u32; 32],
    pub hi: u32,
    pub lo: u32,
    /// The instruction about to execute.
    pub pc: u32,
    /// The instruction after it (differs from `pc + 4` in a delay slot).
    pub next_pc: u32,
    /// The LLbit: set by `LL`, cleared by a context switch; `SC` stores only when set.
    pub llbit: bool,
}

/// Why a step stopped before completing normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    /// `SYSCALL`: `pc` has already moved past it.
    Syscall,
    /// `BREAK` (`is_break`) or a conditional trap that fired, with its code field.
    Trap { code: u32, is_break: bool },
    /// `ADD`, `ADDI` or `SUB` overflowed.
    Overflow,
    /// A load or store faulted.
    Mem(Fault),
    /// `pc` is not in an executable segment, or misaligned.
    Fetch(u32),
    /// A reserved or unsupported instruction (`RDHWR` of an unknown register included).
    Reserved,
}

impl From<Fault> for Exception {
    fn from(f: Fault) -> Self {
        Exception::Mem(f)
    }
}

/// `RDHWR` register 29: the user-local (TLS) register.
const HWR_ULR: u8 = 29;

impl Vm {
    /// Runs the current thread until `self.cycles == limit` or an exception.
    pub(crate) fn run_slice<T: Tracer>(&mut self, limit: u64, t: &mut T) -> Option<Exception> {
        while self.cycles < limit {
            let pc = self.cpu.pc;
            let idx = (pc.wrapping_sub(self.text_base) >> 2) as usize;
            let ins = match self.text.get(idx) {
                Some(ins) if pc & 3 == 0 && ins.op != Op::NotExecutable => *ins,
                _ => return Some(Exception::Fetch(pc)),
            };
            if T::ENABLED {
                t.step(&StepEvent {
                    cycle: self.cycles,
                    tid: self.current_tid(),
                    pc,
                    next_pc: self.cpu.next_pc,
                    word: ins.word,
                });
            }
            self.cycles += 1;
            if let Err(e) = self.exec(ins, t) {
                return Some(e);
            }
        }
        None
    }

    #[inline(always)]
    fn load_traced<T: Tracer>(&mut self, t: &mut T, addr: u32) -> Result<(), Fault> {
        if T::ENABLED {
            let value = self.mem.load32(addr & !3)?;
            t.mem(&MemEvent {
                cycle: self.cycles - 1,
                addr: addr & !3,
                value,
                is_write: false,
            });
        }
        Ok(())
    }

    #[inline(always)]
    fn store_traced<T: Tracer>(&mut self, t: &mut T, addr: u32) -> Result<(), Fault> {
        if T::ENABLED {
            let value = self.mem.load32(addr & !3)?;
            t.mem(&MemEvent {
                cycle: self.cycles - 1,
                addr: addr & !3,
                value,
                is_write: true,
            });
        }
        Ok(())
    }

    /// Executes one instruction.
    #[inline(always)]
    fn exec<T: Tracer>(&mut self, i: Instr, t: &mut T) -> Result<(), Exception> {
        let c = &mut self.cpu;
        let rs = c.gpr[i.rs as usize];
        let rt = c.gpr[i.rt as usize];
        let (rd, rtn) = (i.rd as usize, i.rt as usize);
        let pc = c.pc;
        // Where execution continues after this instruction and after the next one.
        let mut new_pc = c.next_pc;
        let mut new_next = c.next_pc.wrapping_add(4);
        let target = pc.wrapping_add(4).wrapping_add(i.imm);
        let addr = rs.wrapping_add(i.imm);
        let trap = |cond: bool| {
            if cond {
                Err(Exception::Trap {
                    code: i.imm,
                    is_break: false,
                })
            } else {
                Ok(())
            }
        };
        match i.op {
            Op::Sll => c.gpr[rd] = rt << i.sa,
            Op::Srl => c.gpr[rd] = rt >> i.sa,
            Op::Rotr => c.gpr[rd] = rt.rotate_right(i.sa as u32),
            Op::Sra => c.gpr[rd] = ((rt as i32) >> i.sa) as u32,
            Op::Sllv => c.gpr[rd] = rt << (rs & 31),
            Op::Srlv => c.gpr[rd] = rt >> (rs & 31),
            Op::Rotrv => c.gpr[rd] = rt.rotate_right(rs & 31),
            Op::Srav => c.gpr[rd] = ((rt as i32) >> (rs & 31)) as u32,
            Op::Jr => new_next = rs,
            Op::Jalr => {
                c.gpr[rd] = pc.wrapping_add(8);
                new_next = rs;
            }
            Op::Movz => {
                if rt == 0 {
                    c.gpr[rd] = rs
                }
            }
            Op::Movn => {
                if rt != 0 {
                    c.gpr[rd] = rs
                }
            }
            Op::Syscall => {
                c.pc = new_pc;
                c.next_pc = new_next;
                return Err(Exception::Syscall);
            }
            Op::Break => {
                return Err(Exception::Trap {
                    code: i.imm >> 10,
                    is_break: true,
                })
            }
            Op::Sync | Op::Synci | Op::Pref | Op::Cache => {}
            Op::Mfhi => c.gpr[rd] = c.hi,
            Op::Mthi => c.hi = rs,
            Op::Mflo => c.gpr[rd] = c.lo,
            Op::Mtlo => c.lo = rs,
            Op::Mult => {
                let p = (rs as i32 as i64).wrapping_mul(rt as i32 as i64) as u64;
                c.hi = (p >> 32) as u32;
                c.lo = p as u32;
            }
            Op::Multu => {
                let p = rs as u64 * rt as u64;
                c.hi = (p >> 32) as u32;
                c.lo = p as u32;
            }
            Op::Div => {
                // The quotient is UNPREDICTABLE for a zero divisor or overflow; like QEMU,
                // zkm then divides by 1.
                let (n, d) = (rs as i32, rt as i32);
                if d == 0 || (n == i32::MIN && d == -1) {
                    c.lo = rs;
                    c.hi = 0;
                } else {
                    c.lo = (n / d) as u32;
                    c.hi = (n % d) as u32;
                }
            }
            Op::Divu => {
                if rt == 0 {
                    c.lo = rs;
                    c.hi = 0;
                } else {
                    c.lo = rs / rt;
                    c.hi = rs % rt;
                }
            }
            Op::Add => match (rs as i32).checked_add(rt as i32) {
                Some(v) => c.gpr[rd] = v as u32,
                None => return Err(Exception::Overflow),
            },
            Op::Addu => c.gpr[rd] = rs.wrapping_add(rt),
            Op::Sub => match (rs as i32).checked_sub(rt as i32) {
                Some(v) => c.gpr[rd] = v as u32,
                None => return Err(Exception::Overflow),
            },
            Op::Subu => c.gpr[rd] = rs.wrapping_sub(rt),
            Op::And => c.gpr[rd] = rs & rt,
            Op::Or => c.gpr[rd] = rs | rt,
            Op::Xor => c.gpr[rd] = rs ^ rt,
            Op::Nor => c.gpr[rd] = !(rs | rt),
            Op::Slt => c.gpr[rd] = ((rs as i32) < (rt as i32)) as u32,
            Op::Sltu => c.gpr[rd] = (rs < rt) as u32,
            Op::Tge => trap(rs as i32 >= rt as i32)?,
            Op::Tgeu => trap(rs >= rt)?,
            Op::Tlt => trap((rs as i32) < rt as i32)?,
            Op::Tltu => trap(rs < rt)?,
            Op::Teq => trap(rs == rt)?,
            Op::Tne => trap(rs != rt)?,
            Op::Tgei => trap_imm(rs as i32 >= i.imm as i32)?,
            Op::Tgeiu => trap_imm(rs >= i.imm)?,
            Op::Tlti => trap_imm((rs as i32) < i.imm as i32)?,
            Op::Tltiu => trap_imm(rs < i.imm)?,
            Op::Teqi => trap_imm(rs == i.imm)?,
            Op::Tnei => trap_imm(rs != i.imm)?,
            Op::Bltz | Op::Bltzal => {
                if i.op == Op::Bltzal {
                    c.gpr[31] = pc.wrapping_add(8);
                }
                if (rs as i32) < 0 {
                    new_next = target;
                }
            }
            Op::Bgez | Op::Bgezal => {
                if i.op == Op::Bgezal {
                    c.gpr[31] = pc.wrapping_add(8);
                }
                if (rs as i32) >= 0 {
                    new_next = target;
                }
            }
            Op::Bltzl
            | Op::Bgezl
            | Op::Bltzall
            | Op::Bgezall
            | Op::Beql
            | Op::Bnel
            | Op::Blezl
            | Op::Bgtzl => {
                if matches!(i.op, Op::Bltzall | Op::Bgezall) {
                    c.gpr[31] = pc.wrapping_add(8);
                }
                let taken = match i.op {
                    Op::Bltzl | Op::Bltzall => (rs as i32) < 0,
                    Op::Bgezl | Op::Bgezall => (rs as i32) >= 0,
                    Op::Beql => rs == rt,
                    Op::Bnel => rs != rt,
                    Op::Blezl => (rs as i32) <= 0,
                    _ => (rs as i32) > 0,
                };
                if taken {
                    new_next = target;
                } else {
                    // A branch-likely that is not taken nullifies its delay slot.
                    new_pc = c.next_pc.wrapping_add(4);
                    new_next = c.next_pc.wrapping_add(8);
                }
            }
            Op::J | Op::Jal => {
                if i.op == Op::Jal {
                    c.gpr[31] = pc.wrapping_add(8);
                }
                new_next = (pc.wrapping_add(4) & 0xf000_0000) | i.imm;
            }
            Op::Beq => {
                if rs == rt {
                    new_next = target
                }
            }
            Op::Bne => {
                if rs != rt {
                    new_next = target
                }
            }
            Op::Blez => {
                if (rs as i32) <= 0 {
                    new_next = target
                }
            }
            Op::Bgtz => {
                if (rs as i32) > 0 {
                    new_next = target
                }
            }
            Op::Addi => match (rs as i32).checked_add(i.imm as i32) {
                Some(v) => c.gpr[rtn] = v as u32,
                None => return Err(Exception::Overflow),
            },
            Op::Addiu => c.gpr[rtn] = rs.wrapping_add(i.imm),
            Op::Slti => c.gpr[rtn] = ((rs as i32) < (i.imm as i32)) as u32,
            Op::Sltiu => c.gpr[rtn] = (rs < i.imm) as u32,
            Op::Andi => c.gpr[rtn] = rs & i.imm,
            Op::Ori => c.gpr[rtn] = rs | i.imm,
            Op::Xori => c.gpr[rtn] = rs ^ i.imm,
            Op::Lui => c.gpr[rtn] = i.imm,
            Op::Madd | Op::Maddu | Op::Msub | Op::Msubu => {
                let acc = ((c.hi as u64) << 32) | c.lo as u64;
                let p = if matches!(i.op, Op::Madd | Op::Msub) {
                    (rs as i32 as i64).wrapping_mul(rt as i32 as i64) as u64
                } else {
                    rs as u64 * rt as u64
                };
                let r = if matches!(i.op, Op::Madd | Op::Maddu) {
                    acc.wrapping_add(p)
                } else {
                    acc.wrapping_sub(p)
                };
                c.hi = (r >> 32) as u32;
                c.lo = r as u32;
            }
            Op::Mul => c.gpr[rd] = rs.wrapping_mul(rt),
            Op::Clz => c.gpr[rd] = rs.leading_zeros(),
            Op::Clo => c.gpr[rd] = rs.leading_ones(),
            Op::Ext => {
                let size = i.rd as u32 + 1;
                let pos = i.sa as u32;
                if pos + size > 32 {
                    return Err(Exception::Reserved);
                }
                c.gpr[rtn] = (rs >> pos) & mask(size);
            }
            Op::Ins => {
                let pos = i.sa as u32;
                let size = i.rd as u32 - pos + 1;
                let m = mask(size) << pos;
                c.gpr[rtn] = (rt & !m) | ((rs << pos) & m);
            }
            Op::Wsbh => {
                c.gpr[rd] = ((rt & 0x00ff_00ff) << 8) | ((rt >> 8) & 0x00ff_00ff);
            }
            Op::Seb => c.gpr[rd] = rt as u8 as i8 as i32 as u32,
            Op::Seh => c.gpr[rd] = rt as u16 as i16 as i32 as u32,
            Op::Rdhwr => {
                if i.rd != HWR_ULR {
                    return Err(Exception::Reserved);
                }
                let tls = self.threads[self.current].tls;
                self.cpu.gpr[rtn] = tls;
            }
            Op::Lb => {
                let v = self.mem.load8(addr)? as i8 as i32 as u32;
                self.load_traced(t, addr)?;
                self.cpu.gpr[rtn] = v;
            }
            Op::Lbu => {
                let v = self.mem.load8(addr)? as u32;
                self.load_traced(t, addr)?;
                self.cpu.gpr[rtn] = v;
            }
            Op::Lh => {
                let v = self.mem.load16(addr)? as i16 as i32 as u32;
                self.load_traced(t, addr)?;
                self.cpu.gpr[rtn] = v;
            }
            Op::Lhu => {
                let v = self.mem.load16(addr)? as u32;
                self.load_traced(t, addr)?;
                self.cpu.gpr[rtn] = v;
            }
            Op::Lw | Op::Ll => {
                let v = self.mem.load32(addr)?;
                self.load_traced(t, addr)?;
                self.cpu.gpr[rtn] = v;
                if i.op == Op::Ll {
                    self.cpu.llbit = true;
                }
            }
            Op::Lwl => {
                let w = self.mem.load32(addr & !3)?;
                self.load_traced(t, addr)?;
                let sh = 8 * (addr & 3);
                let keep = ((1u64 << sh) - 1) as u32;
                self.cpu.gpr[rtn] = (w << sh) | (rt & keep);
            }
            Op::Lwr => {
                let w = self.mem.load32(addr & !3)?;
                self.load_traced(t, addr)?;
                let sh = 8 * (3 - (addr & 3));
                let take = u32::MAX >> sh;
                self.cpu.gpr[rtn] = (w >> sh) | (rt & !take);
            }
            Op::Sb => {
                self.mem.store8(addr, rt as u8)?;
                self.store_traced(t, addr)?;
            }
            Op::Sh => {
                self.mem.store16(addr, rt as u16)?;
                self.store_traced(t, addr)?;
            }
            Op::Sw => {
                self.mem.store32(addr, rt)?;
                self.store_traced(t, addr)?;
            }
            Op::Swl => {
                let a = addr & !3;
                let w = self.mem.load32(a)?;
                let sh = 8 * (addr & 3);
                let m = u32::MAX >> sh;
                self.mem.store32(a, (w & !m) | (rt >> sh))?;
                self.store_traced(t, addr)?;
            }
            Op::Swr => {
                let a = addr & !3;
                let w = self.mem.load32(a)?;
                let sh = 8 * (3 - (addr & 3));
                let m = u32::MAX << sh;
                self.mem.store32(a, (w & !m) | (rt << sh))?;
                self.store_traced(t, addr)?;
            }
            Op::Sc => {
                if self.cpu.llbit {
                    self.mem.store32(addr, rt)?;
                    self.store_traced(t, addr)?;
                    self.cpu.gpr[rtn] = 1;
                } else {
                    if addr & 3 != 0 {
                        return Err(Exception::Mem(Fault::Misaligned(addr)));
                    }
                    self.cpu.gpr[rtn] = 0;
                }
                self.cpu.llbit = false;
            }
            Op::Reserved | Op::NotExecutable => return Err(Exception::Reserved),
        }
        let c = &mut self.cpu;
        c.gpr[0] = 0;
        c.pc = new_pc;
        c.next_pc = new_next;
        Ok(())
    }
}

#[inline(always)]
fn trap_imm(cond: bool) -> Result<(), Exception> {
    if cond {
        Err(Exception::Trap {
            code: 0,
            is_break: false,
        })
    } else {
        Ok(())
    }
}

#[inline(always)]
fn mask(size: u32) -> u32 {
    if size >= 32 {
        u32::MAX
    } else {
        (1 << size) - 1
    }
}
