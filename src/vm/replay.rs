//! Checks that the execution record explains the run.
//!
//! A proof can only constrain what the record shows. [`Replay`] is a [`Tracer`] that
//! keeps shadow copies of guest memory and of every thread's registers, built from the
//! record alone: the loaded image, then each store, each [`KernelEvent`], each signal
//! frame and `rt_sigreturn`, and the registers each instruction and each system call
//! leaves. Before every instruction it compares the thread's real registers with its
//! shadow, and at every load and every kernel read the real value with the shadow one. A
//! mismatch means the VM changed state without saying so, which a prover would have no
//! way to constrain.
//!
//! The main thread's registers at its first instruction are taken as given (the loader's
//! start state, which the prover rebuilds from the statement); every other thread must
//! appear through a [`RegisterChange::Clone`] before it runs.

use std::collections::{BTreeMap, HashMap};

use super::cpu::Cpu;
use super::trace::{
    KernelEvent, MemEvent, RegisterChange, SignalEvent, SigreturnEvent, StepEvent, Tracer,
};
use super::Vm;

/// What the replay checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplayStats {
    pub steps: u64,
    pub loads: u64,
    pub stores: u64,
    pub kernel_reads: u64,
    pub kernel_writes: u64,
    pub zeroed: u64,
    pub register_changes: u64,
    pub signals: u64,
    pub sigreturns: u64,
    pub threads: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Regs {
    gpr: [u32; 32],
    hi: u32,
    lo: u32,
    pc: u32,
    next_pc: u32,
}

impl Regs {
    fn of(cpu: &Cpu) -> Regs {
        Regs {
            gpr: cpu.gpr,
            hi: cpu.hi,
            lo: cpu.lo,
            pc: cpu.pc,
            next_pc: cpu.next_pc,
        }
    }

    /// The first difference from `real`, named.
    fn diff(&self, real: &Regs) -> Option<String> {
        let name = |k: usize| format!("${k}");
        (0..32)
            .map(|k| (name(k), self.gpr[k], real.gpr[k]))
            .chain([
                ("hi".into(), self.hi, real.hi),
                ("lo".into(), self.lo, real.lo),
                ("pc".into(), self.pc, real.pc),
                ("next_pc".into(), self.next_pc, real.next_pc),
            ])
            .find(|(_, s, r)| s != r)
            .map(|(n, s, r)| format!("{n} is {r:#010x}, the record says {s:#010x}"))
    }
}

/// The replaying tracer; see the module documentation.
pub struct Replay {
    /// Word-aligned byte address → value; absent words are zero.
    mem: BTreeMap<u32, u32>,
    regs: HashMap<u32, Regs>,
    /// The thread of the instruction being executed.
    current: u32,
    started: bool,
    stats: ReplayStats,
    error: Option<String>,
}

impl Replay {
    /// A replay of `vm`'s run from its current state (call before running it).
    pub fn new(vm: &Vm) -> Replay {
        let mut mem = BTreeMap::new();
        vm.mem.for_each_word(|addr, value| {
            mem.insert(addr, value);
        });
        Replay {
            mem,
            regs: HashMap::new(),
            current: 0,
            started: false,
            stats: ReplayStats::default(),
            error: None,
        }
    }

    /// What was checked, or the first mismatch.
    pub fn finish(self) -> Result<ReplayStats, String> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.stats),
        }
    }

    fn fail(&mut self, msg: impl FnOnce() -> String) {
        if self.error.is_none() {
            self.error = Some(msg());
        }
    }

    fn byte(&self, addr: u32) -> u8 {
        let w = self.mem.get(&(addr & !3)).copied().unwrap_or(0);
        (w >> (8 * (3 - (addr & 3)))) as u8
    }

    fn set_byte(&mut self, addr: u32, b: u8) {
        let shift = 8 * (3 - (addr & 3));
        let w = self.mem.entry(addr & !3).or_insert(0);
        *w = (*w & !(0xff << shift)) | (b as u32) << shift;
    }

    fn zero(&mut self, start: u32, len: u32) {
        let end = start as u64 + len as u64;
        let mut tail = self.mem.split_off(&start);
        if end <= u32::MAX as u64 {
            let mut keep = tail.split_off(&(end as u32));
            self.mem.append(&mut keep);
        }
        drop(tail);
    }
}

impl Tracer for Replay {
    fn step(&mut self, ev: &StepEvent, before: &Cpu) {
        self.stats.steps += 1;
        self.current = ev.tid;
        let real = Regs::of(before);
        if !self.started {
            self.started = true;
            self.regs.insert(ev.tid, real);
            self.stats.threads += 1;
            return;
        }
        match self.regs.get(&ev.tid) {
            None => self.fail(|| {
                format!(
                    "cycle {}: thread {} runs, but the record never created it",
                    ev.cycle, ev.tid
                )
            }),
            Some(shadow) => {
                if let Some(d) = shadow.diff(&real) {
                    let (cycle, tid, pc) = (ev.cycle, ev.tid, ev.pc);
                    self.fail(|| format!("cycle {cycle}, thread {tid}, pc {pc:#010x}: {d}"));
                }
            }
        }
    }

    fn retired(&mut self, after: &Cpu) {
        self.regs.insert(self.current, Regs::of(after));
    }

    fn syscall_done(&mut self, after: &Cpu) {
        self.regs.insert(self.current, Regs::of(after));
    }

    fn mem(&mut self, ev: &MemEvent) {
        if ev.is_write {
            self.stats.stores += 1;
            self.mem.insert(ev.addr, ev.value);
        } else {
            self.stats.loads += 1;
            let shadow = self.mem.get(&ev.addr).copied().unwrap_or(0);
            if shadow != ev.value {
                let (cycle, addr, value) = (ev.cycle, ev.addr, ev.value);
                self.fail(|| {
                    format!(
                        "cycle {cycle}: a load of {addr:#010x} reads {value:#010x}, the record \
                         says {shadow:#010x}"
                    )
                });
            }
        }
    }

    fn signal(&mut self, ev: &SignalEvent) {
        self.stats.signals += 1;
        // The frame's bytes arrive as the kernel's writes; here, the registers it set.
        let Some(r) = self.regs.get_mut(&ev.tid) else {
            let tid = ev.tid;
            return self.fail(|| format!("a signal for thread {tid}, which never ran"));
        };
        r.gpr[4..7].copy_from_slice(&ev.a);
        r.gpr[29] = ev.sp;
        r.gpr[31] = ev.ra;
        r.gpr[25] = ev.t9;
        r.pc = ev.pc;
        r.next_pc = ev.pc.wrapping_add(4);
    }

    fn sigreturn(&mut self, ev: &SigreturnEvent) {
        self.stats.sigreturns += 1;
        self.regs.insert(
            ev.tid,
            Regs {
                gpr: ev.gpr,
                hi: ev.hi,
                lo: ev.lo,
                pc: ev.pc,
                next_pc: ev.pc.wrapping_add(4),
            },
        );
    }

    fn kernel(&mut self, cycle: u64, ev: &KernelEvent) {
        match ev {
            KernelEvent::Read { addr, bytes } => {
                self.stats.kernel_reads += 1;
                for (i, &b) in bytes.iter().enumerate() {
                    let a = addr.wrapping_add(i as u32);
                    let shadow = self.byte(a);
                    if shadow != b {
                        self.fail(|| {
                            format!(
                                "cycle {cycle}: the kernel reads {b:#04x} at {a:#010x}, the \
                                 record says {shadow:#04x}"
                            )
                        });
                        break;
                    }
                }
            }
            KernelEvent::Write { addr, bytes } => {
                self.stats.kernel_writes += 1;
                for (i, &b) in bytes.iter().enumerate() {
                    self.set_byte(addr.wrapping_add(i as u32), b);
                }
            }
            KernelEvent::Zeroed { start, len, .. } => {
                self.stats.zeroed += 1;
                self.zero(*start, *len);
            }
            KernelEvent::Protect { .. } => {}
            KernelEvent::Registers { tid, cpu, why } => {
                self.stats.register_changes += 1;
                let new = Regs::of(cpu);
                if let RegisterChange::Clone { parent } = why {
                    self.stats.threads += 1;
                    // Linux's child: the parent's registers as its call returns, but for
                    // `$v0 = $a3 = 0` and the new stack.
                    match self.regs.get(parent) {
                        None => self.fail(|| format!("cycle {cycle}: clone by unknown {parent}")),
                        Some(p) => {
                            let mut want = *p;
                            want.gpr[2] = 0;
                            want.gpr[7] = 0;
                            want.gpr[29] = new.gpr[29];
                            if let Some(d) = want.diff(&new) {
                                let tid = *tid;
                                self.fail(|| format!("cycle {cycle}: clone's thread {tid}: {d}"));
                            }
                        }
                    }
                }
                self.regs.insert(*tid, new);
            }
        }
    }
}
