//! The interpreter: register state and the semantics of every instruction, as one `match`.
//!
//! Delay slots follow the architecture: `pc` is the instruction being executed and
//! `next_pc` the one after it, so a taken branch only changes the instruction after its
//! delay slot. Anything that needs the kernel (a `SYSCALL`, a trap, a fault, a reserved
//! instruction) ends the step with an [`Exception`]; the registers and `pc` are left as
//! they were before the instruction, like a precise exception on real hardware (the
//! system-call layer steps past a `SYSCALL` itself).

use super::decode::{Instr, Op};
use super::memory::Fault;
use super::trace::{MemEvent, StepEvent, Tracer};
use super::Vm;

/// The register state of one thread.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// `SYSCALL`: `pc` is still the instruction; the handler moves past it.
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
                t.step(
                    &StepEvent {
                        cycle: self.cycles,
                        tid: self.current_tid(),
                        pc,
                        next_pc: self.cpu.next_pc,
                        word: ins.word,
                    },
                    &self.cpu,
                );
            }
            self.cycles += 1;
            if let Err(e) = self.exec(ins, t) {
                return Some(e);
            }
            if T::ENABLED {
                t.retired(&self.cpu);
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

    /// Called after every store: traces it and, if it hit a writable and executable page,
    /// decodes that page again.
    #[inline(always)]
    fn store_traced<T: Tracer>(&mut self, t: &mut T, addr: u32) -> Result<(), Fault> {
        if self.mem.code_dirty.is_some() {
            self.sync_code();
        }
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
        // Register traps carry the code field; immediate traps have none.
        let trap = |cond: bool| trap_if(cond, i.imm);
        let trap_imm = |cond: bool| trap_if(cond, 0);
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
            // `pc` stays at the SYSCALL; `Vm::syscall` moves past it.
            Op::Syscall => return Err(Exception::Syscall),
            Op::Break => {
                return Err(Exception::Trap {
                    code: i.imm,
                    is_break: true,
                })
            }
            Op::Sync | Op::Synci | Op::Pref => {}
            // Privileged: user mode gets a coprocessor-unusable exception, SIGILL.
            Op::Cache => return Err(Exception::Reserved),
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
            Op::Divu => match rs.checked_div(rt) {
                Some(q) => {
                    c.lo = q;
                    c.hi = rs % rt;
                }
                None => {
                    c.lo = rs;
                    c.hi = 0;
                }
            },
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

/// A conditional trap with `code` that fires when `cond` holds.
#[inline(always)]
fn trap_if(cond: bool, code: u32) -> Result<(), Exception> {
    if cond {
        Err(Exception::Trap {
            code,
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

#[cfg(test)]
mod tests {
    use crate::elf::{Program, Segment};
    use crate::vm::{trace, Config, Vm};

    const BASE: u32 = 0x0040_0000;

    /// A VM whose text is `words` at `BASE`, followed by a data page at `BASE + 0x1000`.
    fn vm_with(words: &[u32]) -> Vm {
        let mut data: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        data.resize(0x1000, 0);
        data.extend([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
        let program = Program {
            entry: BASE,
            segments: vec![Segment {
                vaddr: BASE,
                mem_size: 0x2000,
                flags: 7,
                data,
            }],
            phdr_vaddr: None,
            phnum: 0,
            phentsize: 0,
            symbols: vec![],
            go: None,
        };
        let config = Config {
            argv: vec!["t".into()],
            env: vec![],
            input: vec![],
            max_cycles: None,
            stdout: Box::new(std::io::sink()),
            stderr: Box::new(std::io::sink()),
        };
        Vm::new(program, config).unwrap()
    }

    /// Runs `words` (with registers preset by `regs`) for `steps` instructions.
    fn run(words: &[u32], regs: &[(usize, u32)], steps: u64) -> Vm {
        let mut vm = vm_with(words);
        for &(r, v) in regs {
            vm.cpu.gpr[r] = v;
        }
        vm.run(steps, &mut trace::NoTracer).unwrap();
        vm
    }

    // Encoders for the few formats the tests need.
    fn r(funct: u32, rs: u32, rt: u32, rd: u32, sa: u32) -> u32 {
        (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6) | funct
    }
    fn i(op: u32, rs: u32, rt: u32, imm: u16) -> u32 {
        (op << 26) | (rs << 21) | (rt << 16) | imm as u32
    }
    fn sp2(funct: u32, rs: u32, rt: u32, rd: u32) -> u32 {
        (28 << 26) | r(funct, rs, rt, rd, 0)
    }
    fn sp3(funct: u32, rs: u32, rt: u32, rd: u32, sa: u32) -> u32 {
        (31 << 26) | r(funct, rs, rt, rd, sa)
    }

    #[test]
    fn alu_instructions_compute_as_the_manual_says() {
        // (instruction, inputs in $8/$9, expected $10)
        let cases: &[(&str, u32, u32, u32, u32)] = &[
            ("addu wraps", r(33, 8, 9, 10, 0), u32::MAX, 2, 1),
            ("subu", r(35, 8, 9, 10, 0), 1, 2, u32::MAX),
            ("slt signed", r(42, 8, 9, 10, 0), (-1i32) as u32, 1, 1),
            ("sltu unsigned", r(43, 8, 9, 10, 0), (-1i32) as u32, 1, 0),
            (
                "nor",
                r(39, 8, 9, 10, 0),
                0xf0f0_0000,
                0x0000_0f0f,
                0x0f0f_f0f0,
            ),
            ("sra", r(3, 0, 8, 10, 4), 0x8000_0000, 0, 0xf800_0000),
            ("srl", r(2, 0, 8, 10, 4), 0x8000_0000, 0, 0x0800_0000),
            ("rotr", r(2, 1, 8, 10, 8), 0x1234_5678, 0, 0x7812_3456),
            (
                "srav masks shift",
                r(7, 9, 8, 10, 0),
                0x8000_0000,
                33,
                0xc000_0000,
            ),
            ("rotrv", r(6, 9, 8, 10, 1), 0x1234_5678, 4, 0x8123_4567),
            ("movn moves", r(11, 8, 9, 10, 0), 7, 1, 7),
            ("movz keeps", r(10, 8, 9, 10, 0), 7, 1, 0),
            ("mul", sp2(2, 8, 9, 10), 0x10001, 0x10001, 0x20001),
            ("clz", sp2(32, 8, 10, 10), 0x0000_ffff, 0, 16),
            ("clo", sp2(33, 8, 10, 10), 0xff00_0000, 0, 8),
            ("seb", sp3(32, 0, 8, 10, 16), 0x80, 0, 0xffff_ff80),
            ("seh", sp3(32, 0, 8, 10, 24), 0x8000, 0, 0xffff_8000),
            ("wsbh", sp3(32, 0, 8, 10, 2), 0x1122_3344, 0, 0x2211_4433),
            // ext $10, $8, pos 4, size 8 (msbd 7)
            ("ext", sp3(0, 8, 10, 7, 4), 0x1234_5678, 0, 0x67),
            ("addiu sign-extends", i(9, 8, 10, 0xffff), 5, 0, 4),
            ("ori zero-extends", i(13, 8, 10, 0xffff), 0, 0, 0xffff),
            (
                "sltiu compares sign-extended imm unsigned",
                i(11, 8, 10, 0xffff),
                5,
                0,
                1,
            ),
            ("lui", i(15, 0, 10, 0x1234), 0, 0, 0x1234_0000),
        ];
        for &(name, word, a, b, want) in cases {
            let vm = run(&[word], &[(8, a), (9, b)], 1);
            assert_eq!(vm.cpu.gpr[10], want, "{name}: {word:#010x}");
        }
        // ins $10, $8, pos 8, size 8 (msb 15) into $10 = 0xffffffff
        let vm = run(&[sp3(4, 8, 10, 15, 8)], &[(8, 0xab), (10, u32::MAX)], 1);
        assert_eq!(vm.cpu.gpr[10], 0xffff_abff);
        // writes to $0 are discarded
        let vm = run(&[r(33, 8, 9, 0, 0)], &[(8, 1), (9, 2)], 1);
        assert_eq!(vm.cpu.gpr[0], 0);
    }

    #[test]
    fn multiply_and_divide_use_hi_lo() {
        let mult = r(24, 8, 9, 0, 0);
        let multu = r(25, 8, 9, 0, 0);
        let div = r(26, 8, 9, 0, 0);
        let divu = r(27, 8, 9, 0, 0);
        let madd = sp2(0, 8, 9, 0);
        let msubu = sp2(5, 8, 9, 0);
        type Case = (&'static str, u32, u32, u32, (u32, u32), (u32, u32));
        let cases: &[Case] = &[
            (
                "mult signed",
                mult,
                (-2i32) as u32,
                3,
                (0, 0),
                (u32::MAX, (-6i32) as u32),
            ),
            ("multu", multu, u32::MAX, 2, (0, 0), (1, u32::MAX - 1)),
            (
                "div truncates",
                div,
                (-7i32) as u32,
                2,
                (0, 0),
                ((-1i32) as u32, (-3i32) as u32),
            ),
            ("divu", divu, 7, 2, (0, 0), (1, 3)),
            ("div by zero divides by 1", div, 9, 0, (5, 5), (0, 9)),
            (
                "div overflow",
                div,
                0x8000_0000,
                u32::MAX,
                (0, 0),
                (0, 0x8000_0000),
            ),
            ("madd accumulates", madd, 2, 3, (0, u32::MAX), (1, 5)),
            ("msubu", msubu, 1, 1, (0, 0), (u32::MAX, u32::MAX)),
        ];
        for &(name, word, a, b, (hi0, lo0), (hi, lo)) in cases {
            let mut vm = vm_with(&[word]);
            vm.cpu.gpr[8] = a;
            vm.cpu.gpr[9] = b;
            vm.cpu.hi = hi0;
            vm.cpu.lo = lo0;
            vm.run(1, &mut trace::NoTracer).unwrap();
            assert_eq!((vm.cpu.hi, vm.cpu.lo), (hi, lo), "{name}");
        }
    }

    #[test]
    fn unaligned_word_instructions_merge_bytes() {
        let data = BASE + 0x1000; // holds 11 22 33 44 55 66 77 88
                                  // lwl $10, 1($8); lwr $10, 4($8) loads the unaligned word at data+1.
        let vm = run(&[i(34, 8, 10, 1), i(38, 8, 10, 4)], &[(8, data)], 2);
        assert_eq!(vm.cpu.gpr[10], 0x2233_4455);
        // lwr alone at offset 1 replaces only the low two bytes.
        let vm = run(&[i(38, 8, 10, 1)], &[(8, data), (10, 0xaabb_ccdd)], 1);
        assert_eq!(vm.cpu.gpr[10], 0xaabb_1122);
        // swl $9, 1($8); swr $9, 4($8) stores 0xdeadbeef at data+1.
        let mut vm = run(
            &[i(42, 8, 9, 1), i(46, 8, 9, 4)],
            &[(8, data), (9, 0xdead_beef)],
            2,
        );
        assert_eq!(vm.mem.load32(data).unwrap(), 0x11de_adbe);
        assert_eq!(vm.mem.load32(data + 4).unwrap(), 0xef66_7788);
    }

    #[test]
    fn sc_succeeds_only_after_ll_without_a_switch() {
        let data = BASE + 0x1000;
        // ll $10, 0($8); sc $9, 0($8)
        let mut vm = run(&[i(48, 8, 10, 0), i(56, 8, 9, 0)], &[(8, data), (9, 5)], 2);
        assert_eq!(vm.cpu.gpr[10], 0x1122_3344);
        assert_eq!(vm.cpu.gpr[9], 1);
        assert_eq!(vm.mem.load32(data).unwrap(), 5);
        // sc without ll fails and stores nothing.
        let mut vm = run(&[i(56, 8, 9, 0)], &[(8, data), (9, 5)], 1);
        assert_eq!(vm.cpu.gpr[9], 0);
        assert_eq!(vm.mem.load32(data).unwrap(), 0x1122_3344);
    }

    #[test]
    fn branches_execute_their_delay_slot() {
        // beq $0,$0,+2 ; addiu $10,$0,1 (delay slot) ; addiu $11,$0,1 (skipped) ; addiu $12,$0,1
        let words = [
            i(4, 0, 0, 2),
            i(9, 0, 10, 1),
            i(9, 0, 11, 1),
            i(9, 0, 12, 1),
        ];
        let vm = run(&words, &[], 3);
        assert_eq!((vm.cpu.gpr[10], vm.cpu.gpr[11], vm.cpu.gpr[12]), (1, 0, 1));
        // beql not taken nullifies the delay slot: bnel... use beql $8,$0 with $8 = 1.
        let words = [i(20, 8, 0, 2), i(9, 0, 10, 1), i(9, 0, 11, 1)];
        let vm = run(&words, &[(8, 1)], 2);
        assert_eq!((vm.cpu.gpr[10], vm.cpu.gpr[11]), (0, 1));
        // jal links to pc + 8.
        let vm = run(&[(3 << 26) | ((BASE + 0x10) >> 2 & 0x03ff_ffff), 0], &[], 2);
        assert_eq!(vm.cpu.gpr[31], BASE + 8);
        assert_eq!(vm.cpu.pc, BASE + 0x10);
        // bgezal links even when not taken.
        let vm = run(&[i(1, 8, 17, 4), 0], &[(8, 0x8000_0000)], 2);
        assert_eq!(vm.cpu.gpr[31], BASE + 8);
        assert_eq!(vm.cpu.pc, BASE + 8);
    }

    #[test]
    fn taken_branch_likely_and_jalr_link_and_run_their_delay_slot() {
        let jalr = |rd| r(9, 9, 0, rd, 0);
        // Each program: control transfer; addiu $10,$0,1 (slot); addiu $11,$0,1 (skipped
        // when taken); addiu $12,$0,1 (the target, BASE + 12).
        let body = [i(9, 0, 10, 1), i(9, 0, 11, 1), i(9, 0, 12, 1)];
        // (scenario, first word, registers, expected ($10, $11, $12, $31), $5)
        type Case = (
            &'static str,
            u32,
            Vec<(usize, u32)>,
            (u32, u32, u32, u32),
            u32,
        );
        let cases: Vec<Case> = vec![
            ("beql taken", i(20, 0, 0, 2), vec![], (1, 0, 1, 0), 0),
            ("bnel taken", i(21, 8, 0, 2), vec![(8, 1)], (1, 0, 1, 0), 0),
            ("blezl taken", i(22, 8, 0, 2), vec![(8, 0)], (1, 0, 1, 0), 0),
            ("bgtzl taken", i(23, 8, 0, 2), vec![(8, 1)], (1, 0, 1, 0), 0),
            (
                "bltzl taken",
                i(1, 8, 2, 2),
                vec![(8, u32::MAX)],
                (1, 0, 1, 0),
                0,
            ),
            ("bgezl taken", i(1, 0, 3, 2), vec![], (1, 0, 1, 0), 0),
            (
                "bltzall taken links",
                i(1, 8, 18, 2),
                vec![(8, u32::MAX)],
                (1, 0, 1, BASE + 8),
                0,
            ),
            (
                "bgezall taken links",
                i(1, 0, 19, 2),
                vec![],
                (1, 0, 1, BASE + 8),
                0,
            ),
            (
                "jalr links $31",
                jalr(31),
                vec![(9, BASE + 12)],
                (1, 0, 1, BASE + 8),
                0,
            ),
            (
                "jalr links rd",
                jalr(5),
                vec![(9, BASE + 12)],
                (1, 0, 1, 0),
                BASE + 8,
            ),
        ];
        for (name, first, regs, want, r5) in cases {
            let mut words = vec![first];
            words.extend(body);
            let vm = run(&words, &regs, 3);
            let g = &vm.cpu.gpr;
            assert_eq!((g[10], g[11], g[12], g[31]), want, "{name}");
            assert_eq!((g[5], vm.cpu.pc), (r5, BASE + 16), "{name}");
        }
    }

    #[test]
    fn overflow_and_immediate_traps_fire_exactly_when_the_manual_says() {
        use crate::vm::VmError;
        let regimm = |rt, imm| i(1, 8, rt, imm);
        // (scenario, word, $8, $9, fires, $10 when it does not)
        let cases: &[(&str, u32, u32, u32, bool, u32)] = &[
            ("addi overflows", i(8, 8, 10, 1), 0x7fff_ffff, 0, true, 0),
            (
                "addi negative overflows",
                i(8, 8, 10, 0xffff),
                0x8000_0000,
                0,
                true,
                0,
            ),
            ("addi in range", i(8, 8, 10, 0xffff), 5, 0, false, 4),
            ("sub overflows", r(34, 8, 9, 10, 0), 0x8000_0000, 1, true, 0),
            (
                "sub in range",
                r(34, 8, 9, 10, 0),
                5,
                7,
                false,
                (-2i32) as u32,
            ),
            (
                "tgei fires on equal",
                regimm(8, 0xffff),
                u32::MAX,
                0,
                true,
                0,
            ),
            (
                "tgei quiet below",
                regimm(8, 0xffff),
                (-2i32) as u32,
                0,
                false,
                0,
            ),
            (
                "tgeiu sign-extends",
                regimm(9, 0xffff),
                u32::MAX,
                0,
                true,
                0,
            ),
            ("tgeiu quiet below", regimm(9, 0xffff), 5, 0, false, 0),
            (
                "tlti fires below",
                regimm(10, 0xffff),
                (-2i32) as u32,
                0,
                true,
                0,
            ),
            ("tlti quiet on equal", regimm(10, 5), 5, 0, false, 0),
            ("tltiu fires below", regimm(11, 0xffff), 1, 0, true, 0),
            ("tltiu quiet above", regimm(11, 1), u32::MAX, 0, false, 0),
            ("teqi fires", regimm(12, 5), 5, 0, true, 0),
            ("teqi quiet", regimm(12, 5), 6, 0, false, 0),
            ("tnei fires", regimm(14, 5), 6, 0, true, 0),
            ("tnei quiet", regimm(14, 5), 5, 0, false, 0),
        ];
        for &(name, word, a, b, fires, r10) in cases {
            let mut vm = vm_with(&[word]);
            vm.cpu.gpr[8] = a;
            vm.cpu.gpr[9] = b;
            let r = vm.run(1, &mut trace::NoTracer);
            if fires {
                match r {
                    Err(VmError::Trap { pc, .. }) => assert_eq!(pc, BASE, "{name}"),
                    other => panic!("{name}: {:?}", other.err()),
                }
                // A precise exception: the destination is untouched.
                assert_eq!((vm.cpu.gpr[10], vm.cpu.pc), (0, BASE), "{name}");
            } else {
                assert!(r.is_ok(), "{name}: {:?}", r.err());
                assert_eq!((vm.cpu.gpr[10], vm.cpu.pc), (r10, BASE + 4), "{name}");
            }
        }
    }

    #[test]
    fn unaligned_word_instructions_at_every_offset() {
        let data = BASE + 0x1000; // holds 11 22 33 44
        let (lwl, lwr, swl, swr) = (34, 38, 42, 46);
        // (instruction, byte offset, result: $10 for loads, the word at data for stores);
        // loads start from $10 = aabbccdd, stores write $9 = deadbeef.
        let cases: &[(u32, u16, u32)] = &[
            (lwl, 0, 0x1122_3344),
            (lwl, 1, 0x2233_44dd),
            (lwl, 2, 0x3344_ccdd),
            (lwl, 3, 0x44bb_ccdd),
            (lwr, 0, 0xaabb_cc11),
            (lwr, 1, 0xaabb_1122),
            (lwr, 2, 0xaa11_2233),
            (lwr, 3, 0x1122_3344),
            (swl, 0, 0xdead_beef),
            (swl, 1, 0x11de_adbe),
            (swl, 2, 0x1122_dead),
            (swl, 3, 0x1122_33de),
            (swr, 0, 0xef22_3344),
            (swr, 1, 0xbeef_3344),
            (swr, 2, 0xadbe_ef44),
            (swr, 3, 0xdead_beef),
        ];
        for &(op, off, want) in cases {
            let regs = [(8, data), (9, 0xdead_beef), (10, 0xaabb_ccdd)];
            let rt = if op < 40 { 10 } else { 9 };
            let mut vm = run(&[i(op, 8, rt, off)], &regs, 1);
            let got = if op < 40 {
                vm.cpu.gpr[10]
            } else {
                vm.mem.load32(data).unwrap()
            };
            assert_eq!(got, want, "op {op} offset {off}: {got:#010x}");
        }
    }

    #[test]
    fn traps_and_reserved_words_stop_without_a_handler() {
        use crate::vm::VmError;
        // (scenario, word, message, signal named, or None for an illegal instruction)
        type Case = (&'static str, u32, &'static str, Option<&'static str>);
        let cases: &[Case] = &[
            (
                "teq fires",
                r(52, 0, 0, 0, 0),
                "trap instruction fired with code 0",
                Some("SIGTRAP"),
            ),
            (
                "teq code 7",
                r(52, 0, 0, 0, 0) | (7 << 6),
                "code 7",
                Some("SIGFPE"),
            ),
            (
                "teq code 6",
                r(52, 0, 0, 0, 0) | (6 << 6),
                "code 6",
                Some("SIGFPE"),
            ),
            (
                "break",
                0x0000_000d,
                "BREAK instruction with code 0",
                Some("SIGTRAP"),
            ),
            (
                "break 7 high",
                0x0007_000d,
                "BREAK instruction with code 7",
                Some("SIGFPE"),
            ),
            (
                "break 7 low",
                0x0000_01cd,
                "BREAK instruction with code 7",
                Some("SIGFPE"),
            ),
            (
                "reserved word",
                0xffff_ffff,
                "illegal instruction 0xffffffff",
                None,
            ),
            (
                "cache is privileged",
                0xbc00_0000,
                "illegal instruction 0xbc000000",
                None,
            ),
            (
                "add overflow",
                r(32, 8, 8, 10, 0),
                "integer overflow in ADD",
                Some("SIGFPE"),
            ),
        ];
        for &(name, word, msg, signal) in cases {
            let mut vm = vm_with(&[word]);
            vm.cpu.gpr[8] = 0x7fff_ffff;
            let err = vm.run(10, &mut trace::NoTracer).unwrap_err();
            assert!(err.to_string().contains(msg), "{name}: {err}");
            match (&err, signal) {
                (
                    VmError::Trap {
                        signal: got, pc, ..
                    },
                    Some(want),
                ) => {
                    assert_eq!((*got, *pc), (want, BASE), "{name}");
                }
                (VmError::IllegalInstruction { pc, .. }, None) => assert_eq!(*pc, BASE),
                _ => panic!("{name}: {err:?}"),
            }
            assert!(!err.to_string().contains("memory fault"), "{name}: {err}");
        }
        // tne with equal operands does not fire.
        let vm = run(&[r(54, 8, 8, 0, 0)], &[], 1);
        assert_eq!(vm.cpu.pc, BASE + 4);
    }

    #[test]
    fn unknown_syscall_is_named_at_its_own_address_even_in_a_delay_slot() {
        use crate::vm::VmError;
        let jump = (2 << 26) | ((BASE + 0x100) >> 2 & 0x03ff_ffff);
        // (scenario, code, address of the SYSCALL)
        let cases: &[(&str, Vec<u32>, u32)] = &[
            (
                "straight line",
                vec![i(9, 0, 2, 4012), 0x0000_000c],
                BASE + 4,
            ),
            (
                "in a jump's delay slot",
                vec![i(9, 0, 2, 4012), jump, 0x0000_000c],
                BASE + 8,
            ),
        ];
        for (name, code, at) in cases {
            let mut vm = vm_with(code);
            match vm.run(10, &mut trace::NoTracer) {
                Err(VmError::UnknownSyscall { name: call, pc, .. }) => {
                    assert_eq!((call, pc), ("chdir", *at), "{name}");
                }
                other => panic!("{name}: {:?}", other.err()),
            }
        }
    }

    #[test]
    fn stores_into_writable_code_take_effect() {
        // sw $9, 8($8) overwrites the third word with `addiu $10, $0, 7` before it runs.
        let vm = run(
            &[i(43, 8, 9, 8), 0, 0],
            &[(8, BASE), (9, i(9, 0, 10, 7))],
            3,
        );
        assert_eq!(vm.cpu.gpr[10], 7);
        // Unmapping the code makes the next fetch fault.
        let mut vm = vm_with(&[0, 0, 0]);
        vm.mem.unmap(BASE, 0x1000);
        let err = vm.run(1, &mut trace::NoTracer).unwrap_err();
        assert!(err.to_string().contains("jump to non-executable"), "{err}");
    }

    #[test]
    fn tracer_sees_every_step_and_memory_access() {
        let data = BASE + 0x1000;
        let mut vm = vm_with(&[i(35, 8, 10, 0), i(43, 8, 10, 4)]); // lw; sw
        vm.cpu.gpr[8] = data;
        let mut rec = trace::Recorder::default();
        vm.run(2, &mut rec).unwrap();
        assert_eq!(rec.steps.len(), 2);
        assert_eq!(rec.steps[1].pc, BASE + 4);
        assert_eq!(rec.mems.len(), 2);
        assert!(!rec.mems[0].is_write && rec.mems[1].is_write);
        assert_eq!(rec.mems[1].value, 0x1122_3344);
        assert_eq!(rec.mems[1].addr, data + 4);
    }

    #[test]
    fn random_programs_never_panic_the_vm() {
        // Arbitrary words and register values: every outcome must be an exit, an error or
        // running out of the step budget, never a host panic.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u32
        };
        for _ in 0..300 {
            let words: Vec<u32> = (0..64).map(|_| next()).collect();
            let mut vm = vm_with(&words);
            for r in 1..32 {
                vm.cpu.gpr[r] = match next() % 3 {
                    0 => BASE + (next() & 0x1fff),
                    1 => next() % 5000 + 4000,
                    _ => next(),
                };
            }
            let _ = vm.run(2000, &mut trace::NoTracer);
        }
    }
}
