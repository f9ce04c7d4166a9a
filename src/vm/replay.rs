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
    KernelEvent, MemEvent, RegisterChange, SignalEvent, SigreturnEvent, StepEvent, SyscallEvent,
    Tracer,
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
    pub thread_pointer_reads: u64,
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

    /// These registers after a system call made at `self.pc` returns: past the
    /// `SYSCALL`, with the result in `$v0` and `$a3`.
    fn returned(&self, v0: u32, a3: u32) -> Regs {
        let mut r = *self;
        r.pc = self.next_pc;
        r.next_pc = self.next_pc.wrapping_add(4);
        r.gpr[2] = v0;
        r.gpr[7] = a3;
        r
    }

    /// The first difference from `real`, named.
    fn diff(&self, real: &Regs) -> Option<String> {
        if self == real {
            return None;
        }
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
    /// The store being executed: its word address and which of its bytes it writes
    /// (bit `3 - k` for byte `k`, big-endian), from the instruction and its operands.
    store: Option<(u32, u8)>,
    /// The system call being handled: its thread, number and arguments.
    call: Option<(u32, SyscallEvent)>,
    /// Each thread's thread pointer, and the register an `RDHWR $29` being executed
    /// loads it into.
    pointers: HashMap<u32, u32>,
    rdhwr: Option<usize>,
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
        Replay::with_memory(mem)
    }

    fn with_memory(mem: BTreeMap<u32, u32>) -> Replay {
        Replay {
            mem,
            regs: HashMap::new(),
            current: 0,
            store: None,
            call: None,
            pointers: HashMap::new(),
            rdhwr: None,
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
        self.call = None;
        self.store = store_lanes(ev.word, before);
        // RDHWR rt, $29 (SPECIAL3, function 0x3b).
        self.rdhwr =
            (ev.word >> 26 == 0x1f && ev.word & 0x3f == 0x3b && (ev.word >> 11) & 31 == 29)
                .then_some(((ev.word >> 16) & 31) as usize);
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
        if let Some(rt) = self.rdhwr.take() {
            self.stats.thread_pointer_reads += 1;
            // The main thread's pointer starts at 0.
            let want = self.pointers.get(&self.current).copied().unwrap_or(0);
            if rt != 0 && after.gpr[rt] != want {
                let (tid, got) = (self.current, after.gpr[rt]);
                self.fail(|| {
                    format!("thread {tid}: RDHWR reads {got:#010x}, the record says {want:#010x}")
                });
            }
        }
        self.regs.insert(self.current, Regs::of(after));
    }

    fn syscall(&mut self, ev: &SyscallEvent) {
        self.call = Some((ev.tid, *ev));
    }

    fn syscall_done(&mut self, after: &Cpu) {
        // A call changes nothing but `$v0` and `$a3`, and returns past its `SYSCALL`.
        let real = Regs::of(after);
        if let Some(shadow) = self.regs.get(&self.current) {
            if let Some(d) = shadow.returned(real.gpr[2], real.gpr[7]).diff(&real) {
                let tid = self.current;
                self.fail(|| format!("thread {tid}'s system call returns with {d}"));
            }
        }
        self.regs.insert(self.current, real);
    }

    fn mem(&mut self, ev: &MemEvent) {
        if ev.is_write {
            self.stats.stores += 1;
            // The bytes the store does not write must be the ones the record holds.
            if let Some((addr, lanes)) = self.store.take() {
                let shadow = self.mem.get(&addr).copied().unwrap_or(0);
                let kept: u32 = (0..4)
                    .filter(|k| lanes & (1 << (3 - k)) == 0)
                    .map(|k| 0xff00_0000u32 >> (8 * k))
                    .sum();
                if addr == ev.addr && (shadow ^ ev.value) & kept != 0 {
                    let (cycle, value) = (ev.cycle, ev.value);
                    self.fail(|| {
                        format!(
                            "cycle {cycle}: a store leaves {value:#010x} at {addr:#010x}, but \
                             the bytes it does not write were {shadow:#010x}"
                        )
                    });
                }
            }
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
            KernelEvent::ThreadPointer { tid, value } => {
                self.pointers.insert(*tid, *value);
            }
            KernelEvent::Registers { tid, cpu, why } => {
                self.stats.register_changes += 1;
                let new = Regs::of(cpu);
                let tid = *tid;
                let want = match why {
                    RegisterChange::Clone { parent } => {
                        self.stats.threads += 1;
                        // Linux's child: a new thread, made by the running thread's clone,
                        // with its registers as the call returns, but for `$v0 = $a3 = 0`
                        // and `$sp` = the stack argument (if not 0).
                        match (&self.call, self.regs.get(parent)) {
                            (Some((by, call)), Some(p))
                                if by == parent
                                    && call.number == 4120
                                    && !self.regs.contains_key(&tid) =>
                            {
                                let mut want = *p;
                                want.gpr[2] = 0;
                                want.gpr[7] = 0;
                                if call.args[1] != 0 {
                                    want.gpr[29] = call.args[1];
                                }
                                Ok(want)
                            }
                            _ => Err(format!(
                                "thread {tid} appears, but not through a clone of its parent \
                                 {parent}"
                            )),
                        }
                    }
                    // A wait that ends returns past its SYSCALL with its result (unless the
                    // thread's own return already said so); a restarted call goes back to
                    // its SYSCALL, as the record left it.
                    RegisterChange::WaitDone | RegisterChange::Interrupted => {
                        match self.regs.get(&tid) {
                            None => Err(format!("thread {tid} wakes, but never ran")),
                            Some(s) if new == *s => Ok(*s),
                            Some(s) => Ok(s.returned(new.gpr[2], new.gpr[7])),
                        }
                    }
                };
                match want.map(|w| w.diff(&new)) {
                    Err(e) => self.fail(|| format!("cycle {cycle}: {e}")),
                    Ok(Some(d)) => self.fail(|| format!("cycle {cycle}: thread {tid}: {d}")),
                    Ok(None) => {}
                }
                self.regs.insert(tid, new);
            }
        }
    }
}

/// For a store instruction `word` about to run with registers `before`: its word address
/// and the bytes it writes (bit `3 - k` for byte `k`).
fn store_lanes(word: u32, before: &Cpu) -> Option<(u32, u8)> {
    let rs = ((word >> 21) & 31) as usize;
    let addr = before.gpr[rs].wrapping_add(word as u16 as i16 as i32 as u32);
    let o = addr & 3;
    let lanes: u32 = match word >> 26 {
        0x28 => 0b1000 >> o,                    // SB
        0x29 => 0b1100 >> o,                    // SH
        0x2b | 0x38 => 0b1111,                  // SW, SC
        0x2a => 0b1111 >> o,                    // SWL: bytes o..=3
        0x2e => (0b1111_0000 >> (o + 1)) & 0xf, // SWR: bytes 0..=o
        _ => return None,
    };
    Some((addr & !3, lanes as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Instruction `word` at the entry, in thread 1000.
    fn step_of(word: u32) -> StepEvent {
        StepEvent {
            cycle: 0,
            tid: 1000,
            pc: 0x400000,
            next_pc: 0x400004,
            word,
        }
    }

    /// `sb $t0, 1($s0)` with `$s0 = 0x1000`, leaving `after` in the word at 0x1000, which
    /// the record holds as 0x11223344.
    fn byte_store(after: u32) -> Result<ReplayStats, String> {
        let mut r = Replay::with_memory(BTreeMap::from([(0x1000, 0x1122_3344)]));
        let mut cpu = Cpu::default();
        cpu.gpr[16] = 0x1000;
        cpu.gpr[8] = 0xaa;
        let word = 0x28 << 26 | 16 << 21 | 8 << 16 | 1;
        r.step(&step_of(word), &cpu);
        r.mem(&MemEvent {
            cycle: 0,
            addr: 0x1000,
            value: after,
            is_write: true,
        });
        r.finish()
    }

    #[test]
    fn a_store_may_change_only_the_bytes_it_writes() {
        byte_store(0x11aa_3344).unwrap();
        // Byte 3 changed too: something wrote it that the record does not show.
        let err = byte_store(0x11aa_3300).unwrap_err();
        assert!(err.contains("does not write"), "{err}");
    }

    /// `rdhwr $3, $29` in thread 1000 whose pointer the record sets to 0x1234, reading
    /// `got`.
    fn thread_pointer_read(got: u32) -> Result<ReplayStats, String> {
        let mut r = Replay::with_memory(BTreeMap::new());
        r.kernel(
            0,
            &KernelEvent::ThreadPointer {
                tid: 1000,
                value: 0x1234,
            },
        );
        let cpu = Cpu::default();
        let word = 0x1f << 26 | 3 << 16 | 29 << 11 | 0x3b;
        r.step(&step_of(word), &cpu);
        let mut after = cpu.clone();
        after.gpr[3] = got;
        r.retired(&after);
        r.finish()
    }

    #[test]
    fn rdhwr_reads_the_thread_pointer_the_record_set() {
        assert_eq!(thread_pointer_read(0x1234).unwrap().thread_pointer_reads, 1);
        let err = thread_pointer_read(0).unwrap_err();
        assert!(err.contains("RDHWR"), "{err}");
    }

    #[test]
    fn store_lanes_are_the_bytes_each_store_writes() {
        let at = |op: u32, off: u32| {
            let mut cpu = Cpu::default();
            cpu.gpr[1] = 0x2000 + off;
            store_lanes(op << 26 | 1 << 21, &cpu).unwrap()
        };
        assert_eq!(at(0x28, 2), (0x2000, 0b0010)); // SB: byte 2
        assert_eq!(at(0x29, 2), (0x2000, 0b0011)); // SH: bytes 2, 3
        assert_eq!(at(0x2b, 0), (0x2000, 0b1111)); // SW
        assert_eq!(at(0x2a, 1), (0x2000, 0b0111)); // SWL: bytes 1..=3
        assert_eq!(at(0x2e, 1), (0x2000, 0b1100)); // SWR: bytes 0..=1
        let mut cpu = Cpu::default();
        cpu.gpr[1] = 0x2000;
        assert_eq!(store_lanes(0x23 << 26 | 1 << 21, &cpu), None); // LW
    }
}
