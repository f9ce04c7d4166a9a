//! From the [`Record`] to each chip's events: one pass over the run in order, which assigns
//! every access to the memory argument its timestamp and finds the previous access's value
//! and timestamp.
//!
//! Registers and memory words are tracked as the memory argument sees them: a register
//! starts at timestamp 0 with its initial value; a memory word at timestamp 0 with its
//! image value (zero outside the image), or at timestamp 1 with its value from the initial
//! stack, which the loader chip writes.

use std::cell::RefCell;
use std::collections::HashMap;

use super::bus::{
    KERNEL_CLOCKS, KERNEL_CLONES, KERNEL_EXITS, KERNEL_IN_CURSOR, KERNEL_IN_SIZE,
    KERNEL_OUT_CURSOR, KERNEL_PENDING, KERNEL_THREADS, KERNEL_WORDS, NUM_REGS, REG_HI, REG_LLBIT,
    REG_LO, REG_NEXT_PC, REG_PC, REG_STRIDE, SLOT_A, SLOT_B, SLOT_C, SLOT_CHIP, THREAD_ALTSTACK,
    THREAD_EXITED, THREAD_MASK, THREAD_PENDING, THREAD_SLOTS, THREAD_TAKE, THREAD_WORDS, TS_LOADER,
    TS_SLOTS,
};
use super::program::{flag, Opcode, RomEntry};
use super::record::{ProveError, Record, Setup, Start, Step};

/// Where one access found its address: the previous value and timestamp, and its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub prev: u32,
    pub prev_ts: u32,
    pub ts: u32,
}

impl Access {
    /// `ts - prev_ts - 1`, which the range check covers.
    pub fn diff(&self) -> u32 {
        self.ts - self.prev_ts - 1
    }
}

/// The field's modulus (KoalaBear), for addresses the chips compute in the field.
const FIELD_P: u64 = 0x7f00_0001;

/// What a delivery follows: a load or store that faulted (its `epc` the ROM's
/// `target`), or a call that sent the thread a signal.
#[derive(Clone, Copy)]
enum Cause<'a> {
    Fault {
        instr: InstrEvent,
        target: u32,
    },
    Sent {
        sc: &'a super::record::SyscallRec,
        instr: InstrEvent,
    },
    /// The thread's pending signal, which the call `instr` (an `rt_sigprocmask`)
    /// unblocked.
    Pending {
        instr: InstrEvent,
    },
    /// A signal another thread sent, taken at the switch to the thread after the row of
    /// clock `clk`, where the thread was to resume at `epc`; `take` its take word.
    Switch {
        clk: u32,
        epc: u32,
        take: u32,
    },
}

/// A CPU row.
#[derive(Clone, Copy, Debug)]
pub struct CpuEvent {
    pub clk: u32,
    pub step: Step,
    pub entry: RomEntry,
    /// The chip's answer (`c` of the `instr` message).
    pub c: u32,
    pub a_acc: Access,
    pub b_acc: Option<Access>,
    /// The write to `rw`, if any: the value written and the access.
    pub w_acc: Option<(u32, Access)>,
    pub taken: bool,
    pub new_pc: u32,
    pub new_next_pc: u32,
    /// A context switch follows.
    pub switch: bool,
}

/// A dispatched instruction, as an opcode chip receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrEvent {
    pub op: Opcode,
    pub clk: u32,
    /// The running thread.
    pub thread: u32,
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub aux: u32,
}

/// A load or store.
#[derive(Clone, Copy, Debug)]
pub struct MemEvent {
    pub instr: InstrEvent,
    /// The word is read-only.
    pub ro: bool,
    /// The word accessed (word address), its value before and after (no access for a
    /// failing `SC`).
    pub word_addr: u32,
    pub acc: Option<Access>,
    pub new: u32,
    /// The LLbit's access (`LL`, `SC`).
    pub llbit: Option<Access>,
}

/// A system call, with its register accesses (`$v0`, `$a0`, `$a1`, `$a2`, `$a3`) and,
/// for a write to fd 3, the output cursor's, for a read the input cursor's.
#[derive(Clone, Copy, Debug)]
pub struct SyscallEvent {
    pub instr: InstrEvent,
    pub number: u32,
    pub args: [u32; 4],
    /// `$v0` and `$a3` after the call (unused for `exit_group`).
    pub result: (u32, u32),
    pub regs: [Access; 5],
    pub cursor: Option<Access>,
    /// A read's access of the input's size word ([`super::bus::KERNEL_IN_SIZE`]).
    pub size: Option<Access>,
    /// An `exit`'s accesses: its thread's exited word, the count of exited threads.
    pub exit: Option<[Access; 2]>,
}

/// The final state of one touched memory word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordState {
    pub addr: u32,
    pub init: u32,
    /// When the initial value is there: 0, or for a word of a mapping, the timestamp of the
    /// `mmap` or `MADV_DONTNEED` that made its page zero (the start of this segment).
    pub init_ts: u32,
    pub value: u32,
    pub ts: u32,
}

/// Every chip's events.
#[derive(Debug, Default)]
pub struct Witness {
    pub cpu: Vec<CpuEvent>,
    pub add_sub: Vec<InstrEvent>,
    pub bitwise: Vec<InstrEvent>,
    pub branch: Vec<InstrEvent>,
    pub shift: Vec<InstrEvent>,
    pub compare: Vec<InstrEvent>,
    pub mul: Vec<super::mul::MulEvent>,
    pub div: Vec<super::div::DivEvent>,
    pub clz: Vec<InstrEvent>,
    pub sext: Vec<InstrEvent>,
    pub mov: Vec<super::movz::MovEvent>,
    pub ext: Vec<InstrEvent>,
    pub memory: Vec<MemEvent>,
    pub syscall: Vec<SyscallEvent>,
    /// The bytes written to fd 3, in order.
    pub output: Vec<super::output::OutputEvent>,
    /// The bytes written to fds 1 and 2.
    pub log: Vec<super::output::OutputEvent>,
    /// The words reads from fd 0 wrote.
    pub input: Vec<super::input::InputEvent>,
    pub clock: Vec<super::clock::ClockEvent>,
    /// The file-system calls, and the words of the paths they read.
    pub fs: Vec<super::fs::FsEvent>,
    pub path: Vec<super::path::PathEvent>,
    /// `mmap`, `madvise` and `brk`.
    pub mm: Vec<super::mm::MmEvent>,
    /// `rt_sigprocmask`, `rt_sigaction` and `sigaltstack`.
    pub getset: Vec<super::getset::GetSetEvent>,
    /// `tkill` and `tgkill` whose signal becomes pending.
    pub send: Vec<super::send::SendEvent>,
    /// The context switches.
    pub sched: Vec<super::sched::SchedEvent>,
    /// Signal deliveries and handlers' returns.
    pub signal: Vec<super::signal::SignalEvent>,
    pub sigreturn: Vec<super::signal::SigreturnEvent>,
    /// The threads `clone` created.
    pub clone: Vec<super::threads::CloneEvent>,
    pub futex: Vec<super::futex::FutexEvent>,
    /// eventfd and epoll calls.
    pub poll: Vec<super::poll::PollEvent>,
    /// The kernel words above the initial-state chip's list, and the register-space words
    /// beyond the main thread's registers, that the run touched, register words first,
    /// each part sorted by address, with their final values.
    pub kernel_words: Vec<super::state::KernelWord>,
    pub rom_counts: Vec<u32>,
    /// Touched memory words (a word of a mapping: each segment of it), sorted by address,
    /// then start.
    pub words: Vec<WordState>,
    /// The page chip's rows ([`super::pages::rows`]).
    pub pages: Vec<super::pages::PageRow>,
    /// Final (value, timestamp) of each register of the main thread, then of each
    /// kernel word ([`super::bus::KERNEL_WORDS`]).
    pub regs: Vec<(u32, u32)>,
    pub cycles: u64,
    pub exit_code: u32,
}

/// The shadow state of the memory argument.
struct Shadow<'a> {
    /// The running thread's register block (registers, then its resume slots).
    regs: [(u32, u32); THREAD_SLOTS as usize],
    /// Every thread's block by index (the running thread's is stale: see `regs`).
    saved: Vec<[(u32, u32); THREAD_SLOTS as usize]>,
    cur: u32,
    /// The kernel's words (value, timestamp), in [`KERNEL_WORDS`]'s order.
    kernel: [(u32, u32); KERNEL_WORDS.len()],
    /// The kernel words from [`super::bus::KERNEL_DYNAMIC`] up (value, timestamp); each
    /// starts at (0, 0).
    dynamic: std::collections::BTreeMap<u32, (u32, u32)>,
    mem: HashMap<u32, (u32, u32)>,
    /// Each touched word's initial value and its timestamp (for a word of a mapping, the
    /// start of its current segment).
    init: HashMap<u32, (u32, u32)>,
    /// The pages `MADV_DONTNEED` dropped, with the timestamp of the last such call.
    zeroed: HashMap<u32, u32>,
    /// The segments of words of mappings that a `MADV_DONTNEED` ended.
    done: Vec<WordState>,
    image: HashMap<u32, u32>,
    stack: &'a HashMap<u32, u32>,
    /// The mappings made so far, in run order.
    maps: &'a RefCell<Vec<Mapping>>,
}

/// A mapping an `mmap` made: pages `lo..=hi`, from timestamp `start`.
#[derive(Clone, Copy, Debug)]
struct Mapping {
    lo: u32,
    hi: u32,
    start: u32,
    rw: bool,
    fixed: bool,
    /// The `munmap` that ended it ([`super::pages::END`] while it lives).
    end: u32,
}

/// The readable mapping that holds word `waddr`, if one does.
fn mapped(maps: &[Mapping], waddr: u32) -> Option<&Mapping> {
    let page = waddr / super::mm::PAGE_WORDS;
    maps.iter().find(|m| m.rw && m.lo <= page && page <= m.hi)
}

thread_local! {
    /// The first timestamp at which the witness touched a word a second time (the
    /// memory argument needs each access after the one before, strictly).
    static COLLISION: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
}

/// Notes an access at `ts` of a word last touched at `prev_ts` that cannot follow it.
fn note_order(prev_ts: u32, ts: u32) {
    if ts <= prev_ts && COLLISION.with(|c| c.get()).is_none() {
        COLLISION.with(|c| c.set(Some(ts)));
    }
}

/// Puts `(value, ts)` in a register or kernel word's `slot`: the access, from what it held.
fn touch(slot: &mut (u32, u32), value: u32, ts: u32) -> Access {
    note_order(slot.1, ts);
    let acc = Access {
        prev: slot.0,
        prev_ts: slot.1,
        ts,
    };
    *slot = (value, ts);
    acc
}

impl Shadow<'_> {
    fn reg(&mut self, r: u8, value: u32, ts: u32) -> Access {
        touch(&mut self.regs[r as usize], value, ts)
    }

    /// Makes thread `t` the running one.
    fn switch_to(&mut self, t: u32) -> Result<(), String> {
        if t as usize >= self.saved.len() {
            return Err(format!("thread {t} runs before a clone created it"));
        }
        self.saved[self.cur as usize] = self.regs;
        self.regs = self.saved[t as usize];
        self.cur = t;
        Ok(())
    }

    /// A `clone`'s event at the `SYSCALL` of clock `clk`: the child's block, copied from
    /// the running thread's.
    fn clone_thread(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        clk: u32,
    ) -> Result<super::threads::CloneEvent, String> {
        use super::threads::SlotCopy;
        let (v0, a3) = sc.result.ok_or("clone without its result")?;
        let parent = self.cur;
        let child = self.saved.len() as u32;
        let clones = self.kdyn_value(KERNEL_CLONES);
        if clones + 1 != child || child >= super::bus::MAX_THREADS - super::syscall::FIRST_TID {
            return Err(format!("clone of thread {child} after {clones} others"));
        }
        if (v0, a3) != (super::syscall::FIRST_TID + child, 0) {
            return Err(format!(
                "clone returned {v0} (error {a3}), not thread {child}'s id"
            ));
        }
        let [flags, stack, _, _] = sc.args;
        if stack == 0 && !super::mm::lenient() {
            return Err("clone without a new stack".into());
        }
        let a3_before = self.regs[7].0;
        let (t_read, t) = (ts(clk, SLOT_C), ts(clk, SLOT_CHIP));
        let mut copies = Vec::new();
        let mut block = [(0, 0); THREAD_SLOTS as usize];
        for r in 0..THREAD_SLOTS {
            let resume = r == REG_PC || r == REG_NEXT_PC;
            let val = if resume { 0 } else { self.regs[r as usize].0 };
            let read = (!resume).then(|| self.reg(r as u8, val, t_read));
            let new = match r {
                2 | 7 => 0,
                r if r == REG_LLBIT as u32 => 0,
                29 => stack,
                REG_PC => instr.aux,
                REG_NEXT_PC => instr.aux.wrapping_add(4),
                _ => val,
            };
            block[r as usize] = (new, t);
            copies.push(SlotCopy {
                val,
                read,
                new,
                write: Access {
                    prev: 0,
                    prev_ts: 0,
                    ts: t,
                },
            });
        }
        for k in 0..4 {
            let src = KERNEL_THREADS + THREAD_WORDS * parent + THREAD_MASK + k;
            let dst = KERNEL_THREADS + THREAD_WORDS * child + THREAD_MASK + k;
            let val = self.kdyn_value(src);
            let read = Some(self.kdyn(src, val, t_read));
            let write = self.kdyn(dst, val, t);
            copies.push(SlotCopy {
                val,
                read,
                new: val,
                write,
            });
        }
        let call = [
            self.reg(2, v0, t),
            self.reg(4, flags, t),
            self.reg(5, stack, t),
            self.reg(7, 0, t),
            self.kdyn(KERNEL_CLONES, clones + 1, t),
        ];
        self.saved.push(block);
        Ok(super::threads::CloneEvent {
            instr,
            child,
            stack,
            a3: a3_before,
            call,
            copies,
        })
    }

    /// A `futex`'s event at timestamp `t`.
    fn futex(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        t: u32,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<super::futex::FutexEvent, String> {
        use crate::syscalls::errno::EAGAIN;
        let [addr, op, val, _] = sc.args;
        // A wait still blocked when the run ends: its thread never runs again (the tracer
        // refuses a thread that runs before its call returns), so no one sees its result;
        // the proof gives it a spurious wake-up's 0.
        let (v0, a3) = match sc.result {
            Some(r) => r,
            None if op == super::futex::FUTEX_WAIT_PRIVATE => (0, 0),
            None => return Err("futex without its result".into()),
        };
        let args = [addr, op, val, self.regs[7].0];
        let wake = op == super::futex::FUTEX_WAKE_PRIVATE;
        let mut ev = super::futex::FutexEvent {
            instr,
            wake,
            args,
            result: (v0, a3),
            word: 0,
            ro: false,
            clones: 0,
            exits: 0,
            timespec: [0; 2],
            ts_ro: false,
            restart: sc.restarted,
            acc: [Access::default(); 6],
            ts_acc: [None; 2],
        };
        if wake {
            ev.clones = self.kdyn_value(KERNEL_CLONES);
            ev.exits = self.kdyn_value(KERNEL_EXITS);
            let others = ev.clones - ev.exits;
            if !super::mm::lenient() && (v0 > others || (val < 1 << 16 && v0 > val)) {
                return Err(format!("FUTEX_WAKE woke {v0} of {others} other threads"));
            }
            ev.acc[5] = self.kdyn(KERNEL_CLONES, ev.clones, t);
            ev.ts_acc[0] = Some(self.kdyn(KERNEL_EXITS, ev.exits, t));
        } else {
            let waddr = addr / 4;
            ev.word = self.word(waddr).0;
            ev.ro = !writable(waddr);
            if !super::mm::lenient() && (ev.word != val) != ((v0, a3) == (EAGAIN, 1)) {
                return Err(format!(
                    "FUTEX_WAIT on {addr:#x} returned {v0} (error {a3}) with the word {:#x} \
                     against {val:#x}",
                    ev.word
                ));
            }
            ev.acc[5] = self.mem(waddr, ev.word, t);
            let ts = ev.args[3];
            if ts != 0 {
                let tw = ts / 4;
                if tw == waddr || tw + 1 == waddr {
                    return Err(
                        "a futex timeout that overlaps the futex word (not provable: \
                                both are read at one timestamp)"
                            .into(),
                    );
                }
                ev.timespec = [self.word(tw).0, self.word(tw + 1).0];
                ev.ts_ro = !writable(tw);
                if writable(tw + 1) == ev.ts_ro {
                    return Err(
                        "a futex timeout that straddles read-only and writable memory".into(),
                    );
                }
                for k in 0..2 {
                    ev.ts_acc[k] = Some(self.mem(tw + k as u32, ev.timespec[k], t));
                }
            }
        }
        ev.acc[0] = self.reg(2, v0, t);
        ev.acc[1] = self.reg(4, addr, t);
        ev.acc[2] = self.reg(5, op, t);
        ev.acc[3] = self.reg(6, val, t);
        ev.acc[4] = self.reg(7, a3, t);
        Ok(ev)
    }

    fn word(&mut self, addr: u32) -> (u32, u32) {
        if let Some(&v) = self.mem.get(&addr) {
            return v;
        }
        let (init, start) = match self.stack.get(&addr) {
            Some(&v) => ((0, 0), (v, TS_LOADER)),
            None => match self.image.get(&addr) {
                Some(&v) => ((v, 0), (v, 0)),
                // A word of a mapping starts at zero when it was mapped.
                // (After a MADV_DONTNEED, at zero again from that call.)
                None => match mapped(&self.maps.borrow(), addr) {
                    Some(m) => {
                        let t = self
                            .zeroed
                            .get(&(addr / super::mm::PAGE_WORDS))
                            .copied()
                            .unwrap_or(m.start);
                        ((0, t), (0, t))
                    }
                    None => ((0, 0), (0, 0)),
                },
            },
        };
        self.init.insert(addr, init);
        self.mem.insert(addr, start);
        start
    }

    fn mem(&mut self, addr: u32, value: u32, ts: u32) -> Access {
        let (prev, prev_ts) = self.word(addr);
        note_order(prev_ts, ts);
        self.mem.insert(addr, (value, ts));
        Access { prev, prev_ts, ts }
    }

    /// An `mmap`'s, `madvise`'s or `brk`'s event, at timestamp `t`.
    fn mm(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        t: u32,
        brk_page: u32,
    ) -> Result<super::mm::MmEvent, ProveError> {
        use super::mm::{MmEvent, MMAP_TOP};
        let pc = 0;
        let refuse = |what: String| ProveError::Unsupported {
            what,
            pc,
            symbol: String::new(),
        };
        let (v0, a3) = sc
            .result
            .ok_or_else(|| refuse("internal error: mmap without its result".into()))?;
        if a3 != 0 {
            return Err(refuse(format!(
                "{} failing with error {v0} (only successful calls can be proved)",
                crate::syscalls::names::name(sc.number).unwrap_or("mmap")
            )));
        }
        let a = sc.args;
        let mut ev = MmEvent {
            instr,
            thread: instr.thread,
            number: sc.number,
            args: [a[0], a[1], a[2], self.regs[7].0],
            result: v0,
            sp: 0,
            offset: 0,
            acc: [None; 7],
        };
        if super::mm::is_map(sc.number) {
            let (lo, hi) = ev.pages();
            let fixed = ev.fixed();
            let mut maps = self.maps.borrow_mut();
            let overlaps = |m: &Mapping| m.lo <= hi && lo <= m.hi;
            let strict = !super::mm::lenient();
            if strict && !fixed && a[0] != 0 && v0 != a[0] {
                return Err(refuse(format!(
                    "mmap placed away from its hint {:#x} (at {v0:#x}), which was taken; only \
                     a free hint can be proved yet",
                    a[0]
                )));
            }
            if strict && (lo < brk_page || hi >= MMAP_TOP) {
                return Err(refuse(format!(
                    "mmap at {v0:#x}, outside the mapping area between the program break {:#x} \
                     and {:#x}",
                    brk_page << 12,
                    MMAP_TOP << 12
                )));
            }
            if strict && !fixed && maps.iter().any(|m| m.end < t && overlaps(m)) {
                return Err(refuse(format!(
                    "mmap at {v0:#x}, in pages an earlier munmap freed (a mapping that reuses \
                     freed pages cannot be proved yet)"
                )));
            }
            let ok = if fixed {
                maps.iter()
                    .any(|m| !m.fixed && !m.rw && m.lo <= lo && hi <= m.hi)
                    && !maps.iter().any(|m| m.fixed && overlaps(m))
            } else {
                !maps.iter().any(overlaps)
            };
            if strict && !ok {
                return Err(refuse(format!(
                    "mmap of {v0:#x}..{:#x} with MAP_FIXED over memory that is not an unused \
                     PROT_NONE reservation (only Go's way of committing its reservations can \
                     be proved yet)",
                    (hi + 1) << 12
                )));
            }
            maps.push(Mapping {
                lo,
                hi,
                start: t,
                rw: ev.rw(),
                fixed,
                end: super::pages::END,
            });
            drop(maps);
            let sp = self.regs[29].0;
            ev.sp = sp;
            let waddr = (sp / 4).wrapping_add(5);
            ev.offset = self.word(waddr).0;
            if ev.offset != sc.stack[1] || sp % 4 != 0 {
                return Err(refuse(
                    "internal error: mmap's offset argument differs from its stack word".into(),
                ));
            }
            ev.acc[5] = Some(self.reg(29, sp, t));
            ev.acc[6] = Some(self.mem(waddr, ev.offset, t));
        }
        if ev.dontneed() {
            let (lo, hi) = ev.pages();
            let inside = self
                .maps
                .borrow()
                .iter()
                .any(|m| m.rw && m.lo <= lo && hi <= m.hi && t < m.end);
            if !inside && !super::mm::lenient() {
                return Err(refuse(format!(
                    "madvise({:#x}, {:#x}, MADV_DONTNEED) over memory that is not one readable \
                     mapping (only a range inside one mapping made with PROT_READ|PROT_WRITE \
                     can be proved yet)",
                    a[0], a[1]
                )));
            }
            self.discard(lo, hi, t);
        }
        if ev.unmaps() {
            let (lo, hi) = ev.pages();
            let mut maps = self.maps.borrow_mut();
            let whole = maps
                .iter_mut()
                .find(|m| !m.fixed && m.rw && (m.lo, m.hi) == (lo, hi) && m.start < t && t < m.end);
            match whole {
                Some(m) => m.end = t,
                None if !super::mm::lenient() => {
                    return Err(refuse(format!(
                        "munmap({:#x}, {:#x}) of memory that is not one whole mapping made \
                         with PROT_READ|PROT_WRITE (only such a munmap can be proved yet)",
                        a[0], a[1]
                    )))
                }
                None => {}
            }
            drop(maps);
            // Its words' chains end here: no access reaches past it. (Tests let memory
            // survive a munmap, for the constraints to refuse.)
            if !super::mm::lenient() {
                self.discard(lo, hi, t);
            }
        }
        ev.acc[0] = Some(self.reg(2, v0, t));
        ev.acc[1] = Some(self.reg(4, a[0], t));
        ev.acc[2] = Some(self.reg(5, a[1], t));
        ev.acc[3] = Some(self.reg(6, a[2], t));
        ev.acc[4] = Some(self.reg(7, 0, t));
        Ok(ev)
    }

    /// Ends the segment of every touched word of pages `lo..=hi`, which a `MADV_DONTNEED`
    /// at `t` drops: their next access starts a new one, at zero from `t`.
    fn discard(&mut self, lo: u32, hi: u32, t: u32) {
        let (first, last) = (lo * super::mm::PAGE_WORDS, (hi + 1) * super::mm::PAGE_WORDS);
        let range = (last - first) as usize;
        let touched: Vec<u32> = if range > self.mem.len() {
            let mut v: Vec<u32> = self
                .mem
                .keys()
                .copied()
                .filter(|a| (first..last).contains(a))
                .collect();
            v.sort_unstable();
            v
        } else {
            (first..last).filter(|a| self.mem.contains_key(a)).collect()
        };
        for addr in touched {
            let (value, ts) = self.mem.remove(&addr).unwrap_or_default();
            let (init, init_ts) = self.init.remove(&addr).unwrap_or_default();
            self.done.push(WordState {
                addr,
                init,
                init_ts,
                value,
                ts,
            });
        }
        for page in lo..=hi {
            self.zeroed.insert(page, t);
        }
    }

    fn kernel(&mut self, addr: u32, value: u32, ts: u32) -> Access {
        touch(&mut self.kernel[addr as usize], value, ts)
    }

    /// A kernel word's value: one of the initial-state chip's, or one from
    /// [`super::bus::KERNEL_DYNAMIC`] up (zero until written).
    fn kdyn_value(&self, addr: u32) -> u32 {
        match self.kernel.get(addr as usize) {
            Some(v) => v.0,
            None => self.dynamic.get(&addr).map_or(0, |v| v.0),
        }
    }

    fn kdyn(&mut self, addr: u32, value: u32, ts: u32) -> Access {
        if (addr as usize) < self.kernel.len() {
            return self.kernel(addr, value, ts);
        }
        touch(self.dynamic.entry(addr).or_insert((0, 0)), value, ts)
    }

    /// The delivery of `rec` at its chip slot, after the faulting instruction or the
    /// sending call `cause`: the frame, the handler's registers, the mask; or what cannot
    /// be proved about it.
    fn deliver(
        &mut self,
        rec: &super::record::SignalRec,
        cause: Cause,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<super::signal::SignalEvent, String> {
        use super::signal::*;
        let instr = match cause {
            Cause::Fault { instr, .. } | Cause::Sent { instr, .. } | Cause::Pending { instr } => {
                instr
            }
            Cause::Switch { clk, .. } => InstrEvent {
                op: Opcode::Syscall,
                clk,
                thread: self.cur,
                a: 0,
                b: 0,
                c: 0,
                aux: 0,
            },
        };
        let kt = KERNEL_THREADS + THREAD_WORDS * self.cur;
        let t = ts(instr.clk, SLOT_CHIP);
        // The signal, its si_code and si_addr (si_pid), where the thread resumes.
        let (sig, code, addr, epc, sent) = match cause {
            Cause::Fault { instr, target } => {
                let addr = instr.a.wrapping_add(instr.aux as u16 as i16 as i32 as u32);
                let Some(&(_, align)) = FAULT_OPS.iter().find(|(op, _)| *op == instr.op) else {
                    return Err(format!(
                        "a fault of {:?} (only LW, LH, LHU, LB, LBU, SW, SH and SB faults can \
                         be proved yet)",
                        instr.op
                    ));
                };
                if addr >= super::record::MMAP_MIN_ADDR || addr % align != 0 {
                    return Err(format!(
                        "a fault at {addr:#x} (only aligned accesses in the first 64 KiB, nil \
                         dereferences, can be proved yet)"
                    ));
                }
                (SIGSEGV, SEGV_MAPERR, addr, target, None)
            }
            Cause::Sent { sc, instr } => {
                let call = SEND_CALLS
                    .iter()
                    .position(|&n| n == sc.number)
                    .ok_or("internal error: not a call that sends a signal")?;
                let tid = super::syscall::FIRST_TID + self.cur;
                let [a0, a1, a2, _] = sc.args;
                let (target, sig) = send_target(sc.number, &sc.args, tid);
                // (Tests turn the check of the target off, to show that the signal chip
                // refuses the same.)
                let target = target || super::mm::lenient();
                if !target || !(1..=128).contains(&sig) || sc.result != Some((0, 0)) {
                    return Err(format!(
                        "internal error: {} delivered at once, not sent to the thread itself",
                        crate::syscalls::names::name(sc.number).unwrap_or("kill")
                    ));
                }
                if call == 0 && self.cur != 0 && !super::mm::lenient() {
                    return Err(format!(
                        "kill of signal {sig} to the process taken at once by its sender, thread \
                         {tid}, as the main thread blocks it or has a signal to take (only the \
                         main thread's kill, a kill the main thread takes at a switch, or tkill \
                         or tgkill to the caller, can be proved yet)"
                    ));
                }
                if super::send::stop_or_cont_sig(sig) && !super::mm::lenient() {
                    let name = crate::syscalls::names::name(sc.number).unwrap_or("kill");
                    return Err(stop_or_cont_refusal(sig, name));
                }
                let code = if call == 0 { SI_USER } else { SI_TKILL };
                let args = [sc.number, a0, a1, a2];
                let sig = delivered_sig(sig);
                (sig, code, PID, instr.aux, Some(Sent { call, args }))
            }
            Cause::Pending { .. } | Cause::Switch { .. } => {
                let set: [u32; 4] =
                    std::array::from_fn(|i| self.kdyn_value(kt + THREAD_PENDING + i as u32));
                let sig = (0..128u32)
                    .find(|&s| set[(s / 32) as usize] & (1 << (s % 32)) != 0)
                    .map(|s| s + 1)
                    .ok_or("internal error: a pending signal's delivery with none pending")?;
                let sig = delivered_sig(sig);
                match cause {
                    Cause::Switch { epc, take, .. } => {
                        let code = if take == 1 { SI_USER } else { SI_TKILL };
                        (sig, code, PID, epc, None)
                    }
                    _ => (sig, SI_TKILL, PID, instr.aux, None),
                }
            }
        };
        let pending = matches!(cause, Cause::Pending { .. } | Cause::Switch { .. });
        let take = match cause {
            Cause::Switch { take, .. } => take,
            _ => 0,
        };
        let name = match crate::syscalls::signal::signal_name(sig) {
            "a signal" => format!("signal {sig}"),
            n => n.to_string(),
        };
        let act = action(sig);
        let sa_flags = self.kdyn_value(act);
        let handler = self.kdyn_value(act + 1);
        // (Tests turn the check of the flags off, to show that the chip refuses the same.)
        if (sa_flags != GO_SA_FLAGS && !super::mm::lenient()) || handler >= 0x7f00_0000 {
            return Err(format!(
                "a {name} handler at {handler:#x} with sa_flags {sa_flags:#x} (only Go's, \
                 SA_SIGINFO | SA_ONSTACK | SA_RESTART, can be proved yet)"
            ));
        }
        let old: [u32; 4] = std::array::from_fn(|i| self.kdyn_value(kt + THREAD_MASK + i as u32));
        let acts: [u32; 4] = std::array::from_fn(|i| self.kdyn_value(action_mask(sig, i as u32)));
        let ss_sp = self.kdyn_value(kt + THREAD_ALTSTACK);
        let ss_size = self.kdyn_value(kt + THREAD_ALTSTACK + 1);
        let sp = self.regs[29].0;
        let top = ss_sp.checked_add(ss_size);
        // Off the stack (`sp` and `sp - 32` both off it: the frame at its top), or on it
        // (both on it, as a signal sent inside a handler: the frame below `sp - 32`).
        let off = |top: u32| sp >= 32 && (sp <= ss_sp || sp - 32 > top);
        // (On it, the whole frame must fit above ss_sp: Linux's get_sigframe forces
        // SIGSEGV otherwise, where the VM, as qemu-mips, writes the frame below it.)
        // (Tests turn the room check off, to show that the chip refuses the same.)
        let room = |sp: u32| sp - FRAME_SIZE > ss_sp || (super::mm::lenient() && sp - 32 > ss_sp);
        let on = |top: u32| sp >= FRAME_SIZE + 32 && room(sp) && sp <= top;
        let Some(top) =
            top.filter(|&top| ss_size != 0 && top >= FRAME_SIZE && (off(top) || on(top)))
        else {
            return Err(format!(
                "{name} delivered to a thread without an alternate signal stack, next to \
                 it, or on it with no room for the frame (Linux then forces SIGSEGV; only a \
                 signal Go's handler takes on its signal stack, from off it or from on it \
                 with room for the frame, can be proved yet)"
            ));
        };
        let onstack = on(top);
        if (0..4).any(|i| old[i as usize] & sig_bits(sig, i) != 0) && !super::mm::lenient() {
            return Err(format!(
                "{name} delivered while the thread blocks it (Linux kills the process for a \
                 fault, and keeps a sent signal pending)"
            ));
        }
        let frame = (if onstack { sp - 32 } else { top } - FRAME_SIZE) & !7;
        if frame != rec.ev.frame_addr || frame >= 0x8000_0000 - FRAME_SIZE {
            return Err(format!(
                "internal error: the frame is at {:#x}, the VM's at {:#x}",
                frame, rec.ev.frame_addr
            ));
        }
        let mut words = Vec::with_capacity(FRAME_WORDS);
        let mut bytes = Vec::with_capacity(FRAME_SIZE as usize);
        for k in 0..FRAME_WORDS {
            let l = layout(k);
            let mut fw = FrameWord::default();
            let mut from = 0;
            if let Some(src) = l.src {
                let place = src.addr(self.cur);
                let prev = match src {
                    Src::Reg(r) => self.regs[r as usize].0,
                    Src::Kernel(_) => self.kdyn_value(place),
                };
                // A sent signal's call succeeded: its result registers are 0.
                let result = l.res && sent.is_some();
                let i = l.mask.unwrap_or(0);
                let new = match l.set {
                    Set::Keep if result => 0,
                    Set::Keep => prev,
                    Set::Const(v) => v,
                    Set::Sig => sig,
                    Set::Info => frame + FRAME_INFO,
                    Set::Uc => frame + FRAME_UC,
                    Set::Frame => frame,
                    Set::Handler => handler,
                    Set::Mask => old[i as usize] | acts[i as usize] | sig_bits(sig, i),
                };
                let acc = match src {
                    Src::Reg(r) => self.reg(r as u8, new, t),
                    Src::Kernel(_) => self.kdyn(place, new, t),
                };
                fw.src = Some((prev, new, acc));
                if l.mask.is_some() {
                    let a = acts[i as usize];
                    fw.act = Some((a, self.kdyn(action_mask(sig, i), a, t)));
                    if pending {
                        let at = kt + THREAD_PENDING + i;
                        let prev = self.kdyn_value(at);
                        fw.pend = Some((prev, self.kdyn(at, 0, t)));
                    }
                }
                from = if result { 0 } else { prev };
            }
            let value = l.konst
                + if l.from_src { from } else { 0 }
                + if l.epc { epc } else { 0 }
                + if l.addr { addr } else { 0 }
                + if l.signo { sig } else { 0 }
                + if l.code { code } else { 0 }
                + if l.ss_flags { onstack as u32 } else { 0 };
            let waddr = frame / 4 + k as u32;
            if !writable(waddr) {
                return Err(format!(
                    "a signal frame at {frame:#x} in read-only memory (Linux kills the process)"
                ));
            }
            fw.value = value;
            fw.acc = self.mem(waddr, value, t);
            bytes.extend(value.to_be_bytes());
            words.push(fw);
        }
        // (Tests that forge the signal delivered turn these comparisons off.)
        if bytes != rec.ev.frame && !super::mm::lenient() {
            return Err("internal error: the signal frame differs from the VM's".into());
        }
        let want = (
            [sig, frame + FRAME_INFO, frame + FRAME_UC],
            frame,
            super::bus::SIGRETURN_ADDR,
            handler,
        );
        let r = &rec.ev;
        if ((r.a, r.sp, r.ra, r.t9) != want || r.pc != handler) && !super::mm::lenient() {
            return Err("internal error: the handler's registers differ from the VM's".into());
        }
        let flags_acc = self.kdyn(act, sa_flags, t);
        let handler_acc = self.kdyn(act + 1, handler, t);
        let ll_prev = self.regs[REG_LLBIT as usize].0;
        let ll_acc = self.reg(REG_LLBIT, 0, t);
        let pend = pending.then(|| {
            let count = self.kdyn_value(KERNEL_PENDING);
            (count, self.kdyn(KERNEL_PENDING, count.wrapping_sub(1), t))
        });
        Ok(SignalEvent {
            clk: instr.clk,
            thread: instr.thread,
            sig,
            code,
            sent,
            op: instr.op,
            a: instr.a,
            b: instr.b,
            c: instr.c,
            aux: instr.aux,
            addr,
            epc,
            handler,
            sp,
            ss_sp,
            ss_size,
            frame,
            onstack,
            words,
            sa_flags,
            flags_acc,
            handler_acc,
            ll_prev,
            ll_acc,
            pend,
            take,
        })
    }

    /// A `kill`, `tkill` or `tgkill` (`sc`) whose signal is not delivered at once, at
    /// timestamp `t`: pending (the thread blocks it), ignored, or fatal (the run ends
    /// with it); or what cannot be proved about it.
    fn send(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        t: u32,
        exit_code: u32,
    ) -> Result<super::send::SendEvent, String> {
        use super::send::{Outcome, DEFAULT_IGNORED};
        use super::signal::*;
        let name = crate::syscalls::names::name(sc.number).unwrap_or("kill");
        let tid = super::syscall::FIRST_TID + self.cur;
        let (_, sig) = send_target(sc.number, &sc.args, tid);
        let clones = self.kdyn_value(KERNEL_CLONES);
        // The thread it goes to (kill's: below).
        // (Tests forge a send to a thread id below 1000, whose index is negative as a field
        // element: the lenient witness names it so.)
        let below = |t: u32| {
            let k = super::syscall::FIRST_TID.checked_sub(t)? as u64;
            (super::mm::lenient() && k <= 1000).then(|| (FIELD_P - k) as u32)
        };
        let to = if sc.number == SYS_KILL {
            (sc.args[0] == PID).then_some(0)
        } else {
            send_tid(sc.number, &sc.args).and_then(|t| {
                t.checked_sub(super::syscall::FIRST_TID)
                    .or_else(|| below(t))
            })
        };
        // (Tests forge a send to a thread that does not exist: the lenient witness takes
        // it.)
        let exists = |u: u32| u <= clones || super::mm::lenient();
        let Some(to) = to.filter(|&u| exists(u) && (1..=128).contains(&sig)) else {
            return Err(format!(
                "internal error: {name} not delivered at once, not sent to a thread of the \
                 process"
            ));
        };
        let w = (sig - 1) / 32;
        let bits = sig_bits(sig, w);
        // Thread `u`'s block, its address as the field computes it.
        let block_of =
            |u: u32| ((KERNEL_THREADS as u64 + THREAD_WORDS as u64 * u as u64) % FIELD_P) as u32;
        let mask_of = |sh: &Self, u: u32| sh.kdyn_value(block_of(u) + THREAD_MASK + w);
        // kill: to the main thread when it does not block the signal (Linux's
        // complete_signal offers it there first), else to the sender.
        let u = if sc.number == SYS_KILL && mask_of(self, 0) & bits == bits {
            self.cur
        } else if sc.number == SYS_KILL {
            0
        } else {
            to
        };
        let kt = block_of(u);
        // The target lives (Linux answers a send to a thread that has exited with ESRCH).
        let exited = self.kdyn_value(kt + THREAD_EXITED);
        if exited != 0 && !super::mm::lenient() {
            return Err(format!(
                "{name} to thread {}, which has exited (Linux's ESRCH: not provable)",
                super::syscall::FIRST_TID + u
            ));
        }
        let mask = mask_of(self, u);
        let blocked = mask & bits == bits || super::send::forged_pend();
        let handler = self.kdyn_value(action(sig) + 1);
        let strict = !super::mm::lenient();
        // (Before the result: the VM ignores a stop signal's default, where the outcome
        // below would call it fatal.)
        if super::send::stop_or_cont_sig(sig) && strict {
            return Err(stop_or_cont_refusal(sig, name));
        }
        let outcome = if blocked {
            Outcome::Pend
        } else if super::send::forged_take() {
            // (Tests: a send claimed taken at a switch, whatever the action or target.)
            Outcome::Take
        } else if handler == 1 {
            Outcome::Ignored { dfl: false }
        } else if handler == 0 && DEFAULT_IGNORED.contains(&sig) {
            Outcome::Ignored { dfl: true }
        } else if handler == 0 {
            Outcome::Fatal
        } else if u != self.cur {
            Outcome::Take
        } else if strict {
            return Err(format!(
                "internal error: signal {sig} sent with {name}, not blocked, with a handler, \
                 and not delivered at once"
            ));
        } else {
            // (Tests: a send claimed pending, whatever the mask says.)
            Outcome::Pend
        };
        if sc.number == SYS_KILL && outcome == Outcome::Pend {
            return Err(format!(
                "kill of signal {sig}, which the main thread and the sender block (Linux gives \
                 it to another thread or keeps it pending for the process: not proved yet; \
                 tkill or tgkill to a thread that blocks it can be)"
            ));
        }
        if sc.number == SYS_KILL && matches!(outcome, Outcome::Ignored { .. }) && u != 0 {
            return Err(format!(
                "kill of the ignored signal {sig}, which the main thread blocks (Linux keeps \
                 it pending for the process: not proved yet)"
            ));
        }
        if outcome == Outcome::Fatal && sig == 128 {
            return Err(format!(
                "signal 128 sent with {name} with its default action (no exit status 128 + N \
                 below 256 says it: not provable)"
            ));
        }
        let fatal = outcome == Outcome::Fatal;
        let want = if fatal { None } else { Some((0, 0)) };
        if (sc.result != want || (fatal && exit_code != 128 + sig)) && strict {
            return Err(format!(
                "internal error: {name} of signal {sig} returned {:?} (the run's exit status \
                 {exit_code})",
                sc.result
            ));
        }
        let pending: [u32; 4] =
            std::array::from_fn(|i| self.kdyn_value(kt + THREAD_PENDING + i as u32));
        let pends = matches!(outcome, Outcome::Pend | Outcome::Take);
        if pends && pending.iter().any(|&p| p != 0) && strict {
            return Err(format!(
                "signal {sig} sent with {name} to thread {} while it has a signal pending \
                 (only one pending signal per thread can be proved yet)",
                super::syscall::FIRST_TID + u
            ));
        }
        let count = self.kdyn_value(KERNEL_PENDING);
        let mut acc = [None; 15];
        let a = sc.args;
        let number = self.regs[2].0;
        let a3 = self.regs[7].0;
        acc[0] = Some(self.reg(2, if fatal { number } else { 0 }, t));
        acc[1] = Some(self.reg(4, a[0], t));
        acc[2] = Some(self.reg(5, a[1], t));
        if sc.number == SYS_TGKILL {
            acc[3] = Some(self.reg(6, a[2], t));
        }
        acc[4] = Some(self.reg(7, if fatal { a3 } else { 0 }, t));
        acc[5] = Some(self.kdyn(kt + THREAD_MASK + w, mask, t));
        let mut prev_set = [0; 4];
        if pends {
            prev_set = pending;
            for i in 0..4u32 {
                let new = pending[i as usize] | sig_bits(sig, i);
                acc[6 + i as usize] = Some(self.kdyn(kt + THREAD_PENDING + i, new, t));
            }
            acc[10] = Some(self.kdyn(KERNEL_PENDING, count + 1, t));
        }
        if outcome != Outcome::Pend {
            acc[11] = Some(self.kdyn(action(sig) + 1, handler, t));
        }
        acc[12] = Some(self.kdyn(KERNEL_CLONES, clones, t));
        if outcome == Outcome::Take {
            let take = if sc.number == SYS_KILL { 1 } else { 2 };
            acc[13] = Some(self.kdyn(kt + THREAD_TAKE, take, t));
        }
        if super::knockout::kept("send.alive") {
            acc[14] = Some(self.kdyn(kt + THREAD_EXITED, exited, t));
        }
        Ok(super::send::SendEvent {
            instr,
            outcome,
            target: u,
            clones,
            handler: if outcome == Outcome::Pend { 0 } else { handler },
            args: [sc.number, a[0], a[1], a[2], a3],
            sig,
            mask,
            pending: prev_set,
            count: if pends { count } else { 0 },
            acc,
        })
    }

    /// The handler's return `rec` after the row of clock `clk`, at its chip slot.
    fn sigreturn(
        &mut self,
        rec: &super::record::SigreturnRec,
        clk: u32,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<super::signal::SigreturnEvent, String> {
        use super::signal::*;
        let t = ts(clk, SLOT_CHIP);
        let sp = self.regs[29].0;
        if sp != rec.ev.frame_addr || sp % 4 != 0 || sp >= 0x8000_0000 - FRAME_SIZE {
            return Err(format!(
                "rt_sigreturn with the frame at {sp:#x} (only a word-aligned frame below 2 GiB \
                 can be proved yet)"
            ));
        }
        let kt = KERNEL_THREADS + THREAD_WORDS * self.cur;
        let layout = ret_layout();
        let mut words = Vec::with_capacity(layout.len());
        let mut pc = 0;
        let mut mask = [0u32; 4];
        let mut pending = [(0, Access::default()); 4];
        for &(k, what) in &layout {
            let waddr = sp / 4 + k as u32;
            if !writable(waddr) {
                return Err("rt_sigreturn with its frame in read-only memory".into());
            }
            let fv = self.word(waddr).0;
            let facc = self.mem(waddr, fv, t);
            let second = match what {
                Ret::Pc => {
                    pc = fv;
                    None
                }
                Ret::Flags => {
                    if fv > 1 {
                        return Err(format!(
                            "rt_sigreturn with uc_stack.ss_flags {fv:#x} (only 0 and \
                             SS_ONSTACK can be proved yet)"
                        ));
                    }
                    None
                }
                Ret::Reg(r) => {
                    let prev = self.regs[r as usize].0;
                    Some((prev, fv, self.reg(r as u8, fv, t)))
                }
                Ret::Mask(i) => {
                    let place = kt + THREAD_MASK + i;
                    let prev = self.kdyn_value(place);
                    let new = fv & mask_keep(i);
                    mask[i as usize] = new;
                    let at = kt + THREAD_PENDING + i;
                    let pv = self.kdyn_value(at);
                    if pv & new != pv && !super::mm::lenient() {
                        return Err(
                            "rt_sigreturn restoring a mask that unblocks a pending signal \
                             (Linux delivers it right after the return: not proved yet)"
                                .into(),
                        );
                    }
                    pending[i as usize] = (pv, self.kdyn(at, pv, t));
                    Some((prev, new, self.kdyn(place, new, t)))
                }
                Ret::Stack(i) => {
                    let place = kt + THREAD_ALTSTACK + i;
                    let cur = self.kdyn_value(place);
                    if cur != fv {
                        return Err(
                            "rt_sigreturn whose uc_stack is not the thread's alternate signal \
                             stack (not proved yet)"
                                .into(),
                        );
                    }
                    Some((fv, fv, self.kdyn(place, fv, t)))
                }
            };
            words.push((fv, facc, second));
        }
        if pc >= 0x7f00_0000 {
            return Err(format!("rt_sigreturn to {pc:#x}, above 0x7f000000"));
        }
        let regs: Vec<u32> = (1..32).map(|r| self.regs[r].0).collect();
        if regs[..] != rec.ev.gpr[1..]
            || (self.regs[REG_HI as usize].0, self.regs[REG_LO as usize].0)
                != (rec.ev.hi, rec.ev.lo)
            || pc != rec.ev.pc
            || mask != rec.ev.mask
        {
            return Err("internal error: rt_sigreturn restored other values than the VM".into());
        }
        let ll_prev = self.regs[REG_LLBIT as usize].0;
        let ll_acc = self.reg(REG_LLBIT, 0, t);
        Ok(SigreturnEvent {
            clk,
            thread: self.cur,
            sp,
            pc,
            words,
            ll_prev,
            ll_acc,
            pending,
        })
    }

    /// An `rt_sigprocmask`'s, `rt_sigaction`'s or `sigaltstack`'s event, at timestamp `t`;
    /// or what cannot be proved about it.
    fn getset(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        t: u32,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<super::getset::GetSetEvent, String> {
        use super::getset::{new_value, old_value, GetSetEvent, Kind};
        let name = crate::syscalls::names::name(sc.number).unwrap_or("a signal call");
        let kind = Kind::of(sc.number).ok_or("internal error: not a signal call")?;
        let result = sc
            .result
            .ok_or("internal error: a signal call without its result")?;
        if result != (0, 0) {
            return Err(format!(
                "{name} failing with error {} (only successful calls can be proved)",
                result.0
            ));
        }
        let thread = instr.thread;
        let mut args = sc.args;
        args[3] = self.regs[7].0;
        let (src, dst) = kind.pointers(&args);
        let (klen, slen, dlen) = kind.lens();
        let at = kind.state_at(&args, thread);
        let mut old = [0; 6];
        for k in 0..klen {
            old[k] = self.kdyn_value(at + k as u32);
        }
        let has_stack = kind == Kind::Stack && old[1] != 0 && !super::getset::claim_no_stack();
        let (sw, dw) = (src / 4, dst / 4);
        if src != 0 && dst != 0 && sw < dw + dlen as u32 && dw < sw + slen as u32 {
            return Err(format!(
                "{name} whose new and old values overlap in memory (only separate buffers can \
                 be proved)"
            ));
        }
        let mut srcv = [0; 6];
        let mut src_ro = false;
        if src != 0 {
            for k in 0..slen {
                srcv[k] = self.word(sw + k as u32).0;
            }
            src_ro = !writable(sw);
            if (1..slen as u32).any(|k| writable(sw + k) == src_ro) {
                return Err(format!(
                    "{name} reading a value that straddles read-only and writable memory"
                ));
            }
        }
        // (Tests turn these refusals off, to show that the chip refuses the same.)
        let strict = !super::mm::lenient();
        // On a thread with an alternate stack, only its SS_DISABLE without a query.
        if has_stack && strict && (src == 0 || dst != 0 || srcv[2] != super::getset::SS_DISABLE) {
            return Err(
                "sigaltstack while the thread has an alternate signal stack (only its \
                 SS_DISABLE without oss, as Go's runtime makes it before a thread exits, \
                 and the calls a thread makes before it has one, can be proved yet)"
                    .into(),
            );
        }
        let how = args[0];
        let new = match new_value(kind, how, &old, (src != 0).then_some(&srcv)) {
            Some(new) => new,
            None if !strict => {
                let mut new = [0; 6];
                new[..klen].copy_from_slice(&srcv[..klen]);
                new
            }
            None => {
                return Err(format!(
                    "internal error: {name} succeeded with a value Linux refuses ({:x?}, \
                     before {:x?})",
                    &srcv[..slen],
                    &old[..klen]
                ))
            }
        };
        let out = old_value(kind, &old);
        let mut dst_prev = [0; 6];
        if dst != 0 {
            let bytes: Vec<u8> = out[..dlen].iter().flat_map(|v| v.to_be_bytes()).collect();
            if strict && sc.written != bytes {
                return Err(format!(
                    "internal error: {name} wrote an old value that differs from the proof's \
                     kernel state"
                ));
            }
            for k in 0..dlen {
                if !writable(dw + k as u32) {
                    return Err(format!("internal error: {name} wrote read-only memory"));
                }
                dst_prev[k] = self.word(dw + k as u32).0;
            }
        }
        // Pending signals: a new mask keeps the thread's pending set blocked, or unblocks
        // its signal, which is then delivered after the call; an action is set only while
        // none is pending.
        let kt = KERNEL_THREADS + THREAD_WORDS * thread;
        let mut pending = [0; 4];
        let mut pending_acc = [None; 4];
        let mut deliver = false;
        if kind == Kind::Mask && src != 0 {
            for k in 0..4 {
                let at = kt + THREAD_PENDING + k as u32;
                pending[k] = self.kdyn_value(at);
                deliver |= pending[k] & !new[k] != 0;
                pending_acc[k] = Some(self.kdyn(at, pending[k], t));
            }
        }
        let mut count = 0;
        let mut count_acc = None;
        if kind == Kind::Action && src != 0 {
            count = self.kdyn_value(KERNEL_PENDING);
            if count != 0 && strict {
                return Err(format!(
                    "rt_sigaction of signal {} while a signal is pending, or stayed \
                     pending on a thread that exited (Linux discards the pending instances \
                     of a signal whose new action ignores it, and an exited thread's: not \
                     proved yet)",
                    args[0]
                ));
            }
            count_acc = Some(self.kdyn(KERNEL_PENDING, count, t));
        }
        let sp = has_stack.then(|| {
            let sp = self.regs[29].0;
            (sp, self.reg(29, sp, t))
        });
        let mut acc = [None; 23];
        acc[0] = Some(self.reg(2, 0, t));
        acc[1] = Some(self.reg(4, args[0], t));
        acc[2] = Some(self.reg(5, args[1], t));
        if !matches!(kind, Kind::Stack | Kind::GetLimit) {
            acc[3] = Some(self.reg(6, args[2], t));
        }
        acc[4] = Some(self.reg(7, 0, t));
        for k in 0..klen {
            acc[5 + k] = Some(self.kdyn(at + k as u32, new[k], t));
        }
        if src != 0 {
            for k in 0..slen {
                acc[11 + k] = Some(self.mem(sw + k as u32, srcv[k], t));
            }
        }
        if dst != 0 {
            for k in 0..dlen {
                acc[17 + k] = Some(self.mem(dw + k as u32, out[k], t));
            }
        }
        Ok(GetSetEvent {
            instr,
            thread,
            number: sc.number,
            args,
            src_ro,
            how,
            comb: {
                let c = super::getset::combined(how, &old, &srcv).unwrap_or(srcv);
                [c[0], c[1], c[2], c[3]]
            },
            old,
            new,
            src: srcv,
            dst_prev,
            acc,
            pending,
            pending_acc,
            deliver,
            count,
            count_acc,
            sp,
        })
    }

    /// A time call's event (`super::clock::ClockCall`), at timestamp `t`.
    fn clock(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        t: u32,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<super::clock::ClockEvent, String> {
        use super::clock::ClockCall;
        let call = ClockCall::of(sc.number).ok_or("not a time call")?;
        if call.sleeps() {
            return self.sleep(sc, call, instr, t, writable);
        }
        let clock = if call.clock_arg() { sc.args[0] } else { 0 };
        let ptr = sc.args[call.buffer_arg()];
        let other = if call == ClockCall::TimeOfDay {
            sc.args[1]
        } else {
            0
        };
        let len = call.written_len();
        if sc.result != Some((0, 0))
            || sc.written.len() != len
            || clock > 1
            || ptr % 4 != 0
            || other != 0
        {
            return Err(format!(
                "{}({:#x}, {:#x}) returned {:?} after writing {} bytes",
                crate::syscalls::names::name(sc.number).unwrap_or("?"),
                sc.args[0],
                sc.args[1],
                sc.result,
                sc.written.len()
            ));
        }
        let be = |i: usize| u32::from_be_bytes(sc.written[i..i + 4].try_into().unwrap());
        // The low words of the two fields, and (wide) their high words, as written.
        let (lo, hi) = if call.wide() {
            ((be(4), be(12)), (be(0), be(8)))
        } else {
            ((be(0), be(4)), (0, 0))
        };
        let slot = KERNEL_CLOCKS + 2 * clock;
        // (A reading before the last, or not a timespec, is the clock chip's to refuse.)
        let old = (
            self.kernel[slot as usize].0,
            self.kernel[slot as usize + 1].0,
        );
        let new = match call {
            // The clock's nanoseconds are at least tv_usec's and at least the last
            // reading's: the smallest such value is no later than the VM's, so later
            // readings, the VM's, are no earlier.
            ClockCall::TimeOfDay => {
                let floor = (lo.0, lo.1.wrapping_mul(1000));
                if lo.1 < 1_000_000 && floor < old && (old.0, old.1 / 1000) == lo {
                    old
                } else {
                    floor
                }
            }
            _ => lo,
        };
        let waddr = ptr / 4;
        let ([sec_at, second_at], mem, mem_hi) =
            self.timespec_at(call, waddr, writable, "a time call wrote a read-only word")?;
        let a3 = self.regs[7].0;
        let a0 = if call.clock_arg() { clock } else { ptr };
        let a1 = if call.clock_arg() { ptr } else { other };
        let reads = call.reads_clock();
        let acc = [
            Some(self.reg(2, 0, t)),
            Some(self.reg(4, a0, t)),
            Some(self.reg(5, a1, t)),
            Some(self.reg(7, 0, t)),
            reads.then(|| self.kernel(slot, new.0, t)),
            reads.then(|| self.kernel(slot + 1, new.1, t)),
            Some(self.mem(sec_at, lo.0, t)),
            Some(self.mem(second_at, lo.1, t)),
            None,
            call.wide().then(|| self.mem(waddr, hi.0, t)),
            call.wide().then(|| self.mem(waddr + 2, hi.1, t)),
        ];
        Ok(super::clock::ClockEvent {
            instr,
            thread: instr.thread,
            call,
            mono: clock == 1,
            ts: ptr,
            other,
            a3,
            old: if reads { old } else { (0, 0) },
            new,
            mem,
            mem_hi,
            second: lo.1,
            acc,
        })
    }

    /// A file-system call's event and, for an open, its path's words, and for an
    /// `fstat64`, the fixed words the input chip writes, at timestamp `t`.
    #[allow(clippy::type_complexity)]
    fn fs(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        t: u32,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<
        (
            super::fs::FsEvent,
            Vec<super::path::PathEvent>,
            Vec<super::input::InputEvent>,
        ),
        String,
    > {
        use super::fs::SYS_FSTAT64;
        // (The tracer holds the VM's answer to the chip's; a forged record's is the fs
        // chip's to refuse.)
        let (v0, a3) = sc.result.ok_or("a file-system call without its result")?;
        let mut words = Vec::new();
        if let Some(k) = super::fs::path_arg(sc.number) {
            let buf = sc.args[k];
            // The path's length, from memory as the proof sees it (a path of PATH_MAX
            // bytes or more is the path chip's to refuse; unmapped words read as zero here).
            let mut len = 0u32;
            loop {
                let addr = buf.wrapping_add(len);
                if self.word(addr / 4).0.to_be_bytes()[(addr % 4) as usize] == 0 {
                    break;
                }
                len += 1;
                if len >= 1 << 24 {
                    return Err("a path without its NUL".into());
                }
            }
            for (waddr, start, nul, remaining) in super::path::spans(buf, len) {
                let word = self.word(waddr).0;
                words.push(super::path::PathEvent {
                    clk: instr.clk,
                    waddr,
                    first: words.is_empty(),
                    last: nul.is_some(),
                    start,
                    nul: nul.unwrap_or(0),
                    remaining,
                    word,
                    ro: !writable(waddr),
                    acc: self.mem(waddr, word, t),
                });
            }
        }
        let mut inputs = Vec::new();
        let stat = if sc.number == SYS_FSTAT64 {
            Some(self.stat(sc, instr.clk, t, writable, &mut inputs)?)
        } else {
            None
        };
        let a = sc.args;
        let a3_before = self.regs[7].0;
        let acc = [
            Some(self.reg(2, v0, t)),
            Some(self.reg(4, a[0], t)),
            Some(self.reg(5, a[1], t)),
            super::fs::reads_a2(sc.number).then(|| self.reg(6, a[2], t)),
            Some(self.reg(7, a3, t)),
        ];
        Ok((
            super::fs::FsEvent {
                instr,
                thread: instr.thread,
                number: sc.number,
                args: [a[0], a[1], a[2], a3_before],
                result: (v0, a3),
                acc,
                stat,
            },
            words,
            inputs,
        ))
    }

    /// The input chip's rows for `bytes` written at `buf` at timestamp `t` (free bytes
    /// when `answer` is 0, else the fixed answer from `answer - 1`).
    fn input_rows(
        &mut self,
        clk: u32,
        buf: u32,
        bytes: &[u8],
        answer: u32,
        t: u32,
    ) -> Vec<super::input::InputEvent> {
        let n = bytes.len() as u32;
        let mut rows = Vec::new();
        for (waddr, start, end, i) in super::input::spans(buf, n) {
            let (prev, _) = self.word(waddr);
            let part = &bytes[i as usize..(i + end - start + 1) as usize];
            let new = super::input::merge(prev, start, end, part);
            rows.push(super::input::InputEvent {
                clk,
                waddr,
                first: i == 0,
                answer,
                pos: i,
                start,
                end,
                remaining: n - i,
                prev,
                new,
                acc: self.mem(waddr, new, t),
            });
        }
        rows
    }

    /// An `fstat64` of fd 0 to 3: the size the proof holds it to (the input's size word
    /// and cursor, the output cursor), its two varying words, and the input chip's rows
    /// for its fixed words, at timestamp `t`. (Tests turn the checks of the VM's answer
    /// off, to forge it.)
    fn stat(
        &mut self,
        sc: &super::record::SyscallRec,
        clk: u32,
        t: u32,
        writable: &dyn Fn(u32) -> bool,
        inputs: &mut Vec<super::input::InputEvent>,
    ) -> Result<super::fs::StatEvent, String> {
        use super::bytes::{STAT_AT, STAT_TAIL_AT};
        use super::fs::{
            StatEvent, STAT_BLOCKS_WORD, STAT_HEAD, STAT_SIZE_LIMIT, STAT_SIZE_WORD, STAT_TAIL,
            STAT_TAIL_START,
        };
        use crate::syscalls::io::{stat64, STAT64_LEN, STD_STAT};
        let lenient = super::mm::lenient();
        let [fd, buf, ..] = sc.args;
        if (fd > 3 && !lenient) || buf % 4 != 0 || sc.written.len() != STAT64_LEN {
            return Err(format!(
                "fstat64({fd}, {buf:#x}) that did not write 104 bytes at an aligned buffer"
            ));
        }
        let fd = fd.min(3);
        let be = |i: u32| u32::from_be_bytes(sc.written[4 * i as usize..][..4].try_into().unwrap());
        let (size, blocks) = (be(STAT_SIZE_WORD), be(STAT_BLOCKS_WORD));
        let (mode, ino) = STD_STAT[fd as usize];
        if !lenient && (size >= STAT_SIZE_LIMIT || sc.written != stat64(mode, size as u64, ino)) {
            return Err(format!(
                "fstat64({fd}) did not write the stat64 the fs chip proves"
            ));
        }
        let waddr = buf / 4;
        if (0..STAT64_LEN as u32 / 4).any(|i| !writable(waddr + i)) {
            return Err("fstat64 wrote a read-only word".into());
        }
        let (mut was, mut cursor) = (0, 0);
        let mut acc = [None; 5];
        match fd {
            0 => {
                was = self.kdyn_value(KERNEL_IN_SIZE);
                cursor = self.kernel[KERNEL_IN_CURSOR as usize].0;
                if ((was != 0 && was != size.wrapping_add(1)) || size < cursor) && !lenient {
                    return Err(format!(
                        "fstat64(0) says {size} bytes, where the proof's input has {} \
                         (cursor {cursor})",
                        was.wrapping_sub(1) as i32
                    ));
                }
                acc[0] = Some(self.kdyn(KERNEL_IN_SIZE, size.wrapping_add(1), t));
                acc[2] = Some(self.kernel(KERNEL_IN_CURSOR, cursor, t));
            }
            3 => {
                let written = self.kernel[KERNEL_OUT_CURSOR as usize].0;
                if written != size && !lenient {
                    return Err(format!(
                        "fstat64(3) says {size} bytes, where {written} were written to fd 3"
                    ));
                }
                acc[1] = Some(self.kernel(KERNEL_OUT_CURSOR, written, t));
            }
            _ => {}
        }
        // (Knocked out, the fs chip asks for free bytes, not the fixed answer.)
        let fixed = super::knockout::kept("fs.stat_answer");
        let head = if fixed {
            STAT_AT + 1 + STAT_HEAD * fd
        } else {
            0
        };
        let tail = if fixed { STAT_TAIL_AT + 1 } else { 0 };
        for (from, n, answer) in [(0, STAT_HEAD, head), (STAT_TAIL_START, STAT_TAIL, tail)] {
            let bytes = &sc.written[from as usize..(from + n) as usize];
            inputs.extend(self.input_rows(clk, buf + from, bytes, answer, t));
        }
        acc[3] = Some(self.mem(waddr + STAT_SIZE_WORD, size, t));
        acc[4] = Some(self.mem(waddr + STAT_BLOCKS_WORD, blocks, t));
        Ok(StatEvent {
            size,
            blocks,
            was,
            cursor,
            acc,
        })
    }

    /// An eventfd or epoll call's event, at timestamp `t`: the kernel objects as the
    /// proof keeps them, and what of the call the poll chip cannot prove.
    fn poll(
        &mut self,
        sc: &super::record::SyscallRec,
        instr: InstrEvent,
        t: u32,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<super::poll::PollEvent, String> {
        use super::poll::{
            file_at, kind_word, Call, PollEvent, COUNTER_LIMIT, EPOLLIN, EVENTFD_IO, FIRST_FD,
            KERNEL_FILES, KIND_EPOLL, KIND_EVENTFD, O_CLOEXEC, O_NONBLOCK,
        };
        let name = crate::syscalls::names::name(sc.number).unwrap_or("a poll call");
        let call = Call::of(sc.number, sc.args[0]).ok_or("internal error: not a poll call")?;
        // A wait with a timeout still blocked when the run ends: its thread never runs
        // again (the tracer refuses a thread that runs before its call returns), so no one
        // sees its result; the proof gives it a timeout's 0, which the chip allows when
        // nothing is ready (had something been, the wait would not have blocked).
        let got = match sc.result {
            Some(r) => r,
            None if call == Call::Wait && (sc.args[3] as i32) >= 0 => (0, 0),
            None => {
                return Err(format!(
                    "{name} without a timeout still blocked when the run ends (not provable \
                     yet)"
                ))
            }
        };
        let strict = !super::mm::lenient();
        let mut args = sc.args;
        args[3] = self.regs[7].0;
        let mut ev = PollEvent::new(instr, sc.number, args);
        let flags = |w: u32| ((w >> 8) & 1 == 1, (w >> 16) & 1 == 1);
        let mut acc = [None; 18];
        let files = self.kdyn_value(KERNEL_FILES);
        // The user words at `waddr + offsets`, all writable or all read-only.
        let same_space = |waddr: u32, offsets: &[u32]| {
            let ro = !writable(waddr);
            offsets
                .iter()
                .all(|&k| writable(waddr + k) != ro)
                .then_some(ro)
        };
        if call.creates() {
            ev.files = files;
            ev.limit = self.kdyn_value(super::bus::KERNEL_NOFILE + 1);
            // (Tests forge the descriptor: a lenient witness takes the record's.)
            ev.fd = if strict { FIRST_FD + files } else { got.0 };
            let fl = if call == Call::Eventfd {
                args[1]
            } else {
                args[0]
            };
            ev.cloexec = fl & O_CLOEXEC != 0;
            ev.nonblock = fl & O_NONBLOCK != 0;
            let file = file_at(files);
            let kind = if call == Call::Eventfd {
                KIND_EVENTFD
            } else {
                KIND_EPOLL
            };
            acc[7] = Some(self.kdyn(KERNEL_FILES, files + 1, t));
            acc[8] = Some(self.kdyn(super::bus::KERNEL_NOFILE + 1, ev.limit, t));
            acc[9] = Some(self.kdyn(file, kind_word(kind, ev.cloexec, ev.nonblock), t));
            if call == Call::Eventfd {
                ev.state_new = args[0];
                acc[10] = Some(self.kdyn(file + 1, args[0], t));
            }
        } else {
            let fd = args[0];
            let i = fd.wrapping_sub(FIRST_FD);
            let file = file_at(i);
            let w0 = self.kdyn_value(file);
            let want = match call {
                Call::Ctl | Call::Wait => KIND_EPOLL,
                _ => KIND_EVENTFD,
            };
            if i >= files || w0 & 0xff != want {
                let what = if want == KIND_EPOLL {
                    "an epoll instance"
                } else {
                    "an eventfd"
                };
                return Err(format!(
                    "{name} on descriptor {fd}, which is not {what} (only descriptors that \
                     eventfd2 and epoll_create1 made can be proved yet)"
                ));
            }
            (ev.cloexec, ev.nonblock) = flags(w0);
            ev.state = self.kdyn_value(file + 1);
            acc[9] = Some(self.kdyn(file, w0, t));
            match call {
                Call::Ctl => {
                    let target = args[2];
                    let ti = target.wrapping_sub(FIRST_FD);
                    let tw0 = self.kdyn_value(file_at(ti));
                    if ti >= files || tw0 & 0xff != KIND_EVENTFD {
                        return Err(format!(
                            "epoll_ctl adding descriptor {target}, which is not an eventfd (only \
                             eventfds can be watched in a proof yet)"
                        ));
                    }
                    if ev.state != 0 {
                        return Err(
                            "epoll_ctl adding a second descriptor to one epoll instance \
                                    (only one can be proved yet)"
                                .into(),
                        );
                    }
                    let w = args[3] / 4;
                    let at = [w, w + 2, w + 3];
                    ev.ro = same_space(w, &[2, 3]).ok_or(
                        "epoll_ctl reading an event that straddles read-only and writable memory",
                    )?;
                    ev.mprev = at.map(|a| self.word(a).0);
                    ev.mnew = ev.mprev;
                    if strict && ev.mprev[0] != EPOLLIN {
                        return Err(format!(
                            "epoll_ctl with events {:#x} (only EPOLLIN, level-triggered, can be \
                             proved yet)",
                            ev.mprev[0]
                        ));
                    }
                    ev.data = [ev.mprev[1], ev.mprev[2]];
                    ev.target = target;
                    ev.target_flags = flags(tw0);
                    ev.state_new = target;
                    acc[10] = Some(self.kdyn(file + 1, target, t));
                    acc[11] = Some(self.kdyn(file + 2, ev.data[0], t));
                    acc[12] = Some(self.kdyn(file + 3, ev.data[1], t));
                    acc[13] = Some(self.kdyn(file_at(ti), tw0, t));
                    for k in 0..3 {
                        acc[15 + k] = Some(self.mem(at[k], ev.mprev[k], t));
                    }
                }
                Call::Wait => {
                    let (buf, max) = (args[1], args[2]);
                    let outside = (buf / 4) as u64 + 4 * max as u64 >= 1 << 29;
                    // (Tests turn the buffer's refusal off, to show that the chip refuses
                    // the same.)
                    if max == 0 || max >= 1 << 24 || (outside && strict) {
                        return Err(format!(
                            "epoll_pwait for {max} events at {buf:#x} (only 1 to 2^24 - 1 events \
                             in user memory can be proved)"
                        ));
                    }
                    ev.target = ev.state;
                    ev.state_new = ev.state;
                    acc[10] = Some(self.kdyn(file + 1, ev.state, t));
                    if ev.target != 0 {
                        let tf = file_at(ev.target - FIRST_FD);
                        ev.target_count = self.kdyn_value(tf + 1);
                        acc[14] = Some(self.kdyn(tf + 1, ev.target_count, t));
                    }
                    // (A lenient witness takes what the record says, for forgeries.)
                    ev.ready = if strict {
                        ev.target != 0 && ev.target_count != 0
                    } else {
                        got == (1, 0)
                    };
                    let sp = self.regs[29].0;
                    ev.sp = sp;
                    let sw = (sp / 4).wrapping_add(4);
                    if sp % 4 != 0 || self.word(sw).0 != 0 {
                        return Err(
                            "internal error: epoll_pwait's sigmask differs from its stack word"
                                .into(),
                        );
                    }
                    acc[5] = Some(self.reg(29, sp, t));
                    acc[6] = Some(self.mem(sw, 0, t));
                    if ev.ready {
                        let w = buf / 4;
                        let at = [w, w + 2, w + 3];
                        if at.iter().any(|&a| !writable(a)) {
                            return Err("epoll_pwait writing read-only memory".into());
                        }
                        ev.data = [self.kdyn_value(file + 2), self.kdyn_value(file + 3)];
                        acc[11] = Some(self.kdyn(file + 2, ev.data[0], t));
                        acc[12] = Some(self.kdyn(file + 3, ev.data[1], t));
                        ev.mprev = at.map(|a| self.word(a).0);
                        ev.mnew = [EPOLLIN, ev.data[0], ev.data[1]];
                        for k in 0..3 {
                            acc[15 + k] = Some(self.mem(at[k], ev.mnew[k], t));
                        }
                    } else if (args[3] as i32) < 0 && strict {
                        return Err("epoll_pwait without a timeout returning no event".into());
                    }
                }
                Call::Write => {
                    let w = args[1] / 4;
                    ev.ro = same_space(w, &[1])
                        .ok_or("a write to an eventfd from a value that straddles read-only and writable memory")?;
                    ev.mprev = [self.word(w).0, self.word(w + 1).0, 0];
                    ev.mnew = ev.mprev;
                    let sum = ev.state as u64 + ev.mprev[1] as u64;
                    if ev.mprev[0] != 0 || sum >= COUNTER_LIMIT as u64 {
                        return Err(format!(
                            "a write of {:#x} to an eventfd holding {} (only counters below 2^24 \
                             can be proved yet)",
                            (ev.mprev[0] as u64) << 32 | ev.mprev[1] as u64,
                            ev.state
                        ));
                    }
                    ev.state_new = sum as u32;
                    acc[10] = Some(self.kdyn(file + 1, ev.state_new, t));
                    acc[15] = Some(self.mem(w, ev.mprev[0], t));
                    acc[16] = Some(self.mem(w + 1, ev.mprev[1], t));
                }
                Call::Read => {
                    ev.ready = if strict {
                        ev.state != 0
                    } else {
                        got == (EVENTFD_IO, 0)
                    };
                    acc[10] = Some(self.kdyn(file + 1, 0, t));
                    if ev.ready {
                        let w = args[1] / 4;
                        if !writable(w) || !writable(w + 1) {
                            return Err("a read from an eventfd into read-only memory".into());
                        }
                        ev.mprev = [self.word(w).0, self.word(w + 1).0, 0];
                        ev.mnew = [0, ev.state, 0];
                        acc[15] = Some(self.mem(w, 0, t));
                        acc[16] = Some(self.mem(w + 1, ev.state, t));
                    } else if !ev.nonblock {
                        return Err("a blocking read of an empty eventfd (not provable yet)".into());
                    }
                }
                Call::Eventfd | Call::Create => unreachable!("creates are above"),
            }
        }
        let want = ev.result();
        if strict && got != want {
            return Err(if call == Call::Wait {
                format!(
                    "epoll_pwait returned {} events where the kernel state at the call has {}: \
                     an event arrived while it waited (not provable yet)",
                    got.0, want.0
                )
            } else {
                format!(
                    "{name} returned {} (error flag {}) where the proof's kernel state gives {} \
                     (error flag {}); a descriptor closed or out of range is not provable yet",
                    got.0, got.1, want.0, want.1
                )
            });
        }
        acc[0] = Some(self.reg(2, got.0, t));
        acc[1] = Some(self.reg(4, args[0], t));
        acc[2] = Some(self.reg(5, args[1], t));
        acc[3] = Some(self.reg(6, args[2], t));
        acc[4] = Some(self.reg(7, got.1, t));
        ev.acc = acc;
        Ok(ev)
    }

    /// A time call's buffer at word `waddr` before the call: its low words' addresses
    /// and values, and (wide) its high words' values; `Err(read_only)` where a word is
    /// read-only.
    #[allow(clippy::type_complexity)]
    fn timespec_at(
        &mut self,
        call: super::clock::ClockCall,
        waddr: u32,
        writable: &dyn Fn(u32) -> bool,
        read_only: &str,
    ) -> Result<([u32; 2], (u32, u32), (u32, u32)), String> {
        let (lo, hi) = call.layout(waddr);
        if lo.iter().chain(hi.iter().flatten()).any(|&w| !writable(w)) {
            return Err(read_only.into());
        }
        let low = (self.word(lo[0]).0, self.word(lo[1]).0);
        let high = hi.map_or((0, 0), |[s, n]| (self.word(s).0, self.word(n).0));
        Ok((lo, low, high))
    }

    /// A sleep's event: it read its request, and returned 0.
    fn sleep(
        &mut self,
        sc: &super::record::SyscallRec,
        call: super::clock::ClockCall,
        instr: InstrEvent,
        t: u32,
        writable: &dyn Fn(u32) -> bool,
    ) -> Result<super::clock::ClockEvent, String> {
        let clock = if call.clock_arg() { sc.args[0] } else { 0 };
        let req = sc.args[call.buffer_arg()];
        // `nanosleep`'s rem, `clock_nanosleep`'s flags.
        let other = sc.args[1];
        // A sleep still blocked when the run ends: its thread never runs again (the
        // tracer refuses one that runs before its call returns), and the proof has it
        // return 0, as it would once its time is up.
        if sc.result.unwrap_or((0, 0)) != (0, 0) || req % 4 != 0 || clock > 1 {
            return Err(format!(
                "{}({:#x}, {:#x}, {:#x}) returned {:?}",
                crate::syscalls::names::name(sc.number).unwrap_or("?"),
                sc.args[0],
                sc.args[1],
                sc.args[2],
                sc.result
            ));
        }
        let waddr = req / 4;
        let ([sec_at, second_at], new, mem_hi) =
            self.timespec_at(call, waddr, writable, READ_ONLY_REQUEST)?;
        let a3 = self.regs[7].0;
        // A 64-bit request of 2^31 s or more is valid in Linux, and not provable yet.
        if call.wide() && (mem_hi.0 != 0 || new.0 >= 1 << 31) {
            return Err(LONG_SLEEP.into());
        }
        let a0 = if call.clock_arg() { clock } else { req };
        let acc = [
            Some(self.reg(2, 0, t)),
            Some(self.reg(4, a0, t)),
            Some(self.reg(5, other, t)),
            Some(self.reg(7, 0, t)),
            None,
            None,
            Some(self.mem(sec_at, new.0, t)),
            Some(self.mem(second_at, new.1, t)),
            (call.buffer_arg() == 2).then(|| self.reg(6, req, t)),
            call.wide().then(|| self.mem(waddr, mem_hi.0, t)),
            call.wide().then(|| self.mem(waddr + 2, mem_hi.1, t)),
        ];
        Ok(super::clock::ClockEvent {
            instr,
            thread: instr.thread,
            call,
            mono: clock == 1,
            ts: req,
            other,
            a3,
            old: (0, 0),
            new,
            mem: new,
            mem_hi,
            second: new.1,
            acc,
        })
    }
}

/// Why a stop signal or `SIGCONT` sent with `name` cannot be proved.
fn stop_or_cont_refusal(sig: u32, name: &str) -> String {
    format!(
        "signal {sig} (a stop signal or SIGCONT) sent with {name} (sending one flushes the \
         other kind from every thread's pending signals: not proved yet)"
    )
}

/// `4 (clk + 1) + slot`.
pub fn ts(clk: u32, slot: u32) -> u32 {
    TS_SLOTS * (clk + 1) + slot
}

/// The answer of an opcode chip for `op` on the operands (for results the VM did not
/// write, such as a sum into `$zero` or a branch condition).
pub fn chip_result(op: Opcode, a: u32, b: u32) -> u32 {
    use Opcode::*;
    match op {
        Add | AddTrap => a.wrapping_add(b),
        Sub | SubTrap => a.wrapping_sub(b),
        And => a & b,
        Or => a | b,
        Xor => a ^ b,
        Nor => !(a | b),
        Sll | Srl | Sra | Rotr => super::shift::shift(op, a, b),
        Slt | Sltu => super::compare::less(op, a, b) as u32,
        Clz | Clo => super::clz::count(op, a),
        Seb | Seh | Wsbh => super::sext::rearrange(op, a),
        Beq => (a == b) as u32,
        Bne => (a != b) as u32,
        Blez => (a as i32 <= 0) as u32,
        Bgtz => (a as i32 > 0) as u32,
        Bltz => ((a as i32) < 0) as u32,
        Bgez => (a as i32 >= 0) as u32,
        _ => 0,
    }
}

/// The loaded value (or 0 for a store) of a memory instruction on `word` at byte offset
/// `off` (0..4 from the word's lowest address), with `rt` the register's old value (which
/// `LWL` and `LWR` merge into).
pub fn load_result(op: Opcode, word: u32, off: u32, rt: u32) -> u32 {
    let be = word.to_be_bytes();
    match op {
        Opcode::Lwl => {
            let sh = 8 * off;
            (word << sh) | (rt & ((1u64 << sh) - 1) as u32)
        }
        Opcode::Lwr => {
            let sh = 8 * (3 - off);
            (word >> sh) | (rt & !(u32::MAX >> sh))
        }
        Opcode::Lw | Opcode::Ll => word,
        Opcode::Lb => be[off as usize] as i8 as i32 as u32,
        Opcode::Lbu => be[off as usize] as u32,
        Opcode::Lh => {
            u16::from_be_bytes([be[off as usize], be[off as usize + 1]]) as i16 as i32 as u32
        }
        Opcode::Lhu => u16::from_be_bytes([be[off as usize], be[off as usize + 1]]) as u32,
        _ => 0,
    }
}

impl Witness {
    /// Builds every chip's events from the record.
    pub fn new(
        record: &Record,
        setup: &Setup,
        start: &Start,
        image: &HashMap<u32, u32>,
        stack: &HashMap<u32, u32>,
    ) -> Result<Witness, ProveError> {
        COLLISION.with(|c| c.set(None));
        let maps = RefCell::new(Vec::new());
        let mut sh = Shadow {
            regs: [(0, 0); THREAD_SLOTS as usize],
            saved: vec![[(0, 0); THREAD_SLOTS as usize]],
            cur: 0,
            kernel: super::bus::KERNEL_INIT.map(|v| (v, 0)),
            dynamic: Default::default(),
            mem: HashMap::new(),
            init: HashMap::new(),
            zeroed: HashMap::new(),
            done: Vec::new(),
            image: image.clone(),
            stack,
            maps: &maps,
        };
        for (r, v) in start.regs.iter().enumerate() {
            sh.regs[r] = (*v, 0);
        }
        sh.saved[0] = sh.regs;
        // Writability as the memory boundary will see it: the image word's, else the
        // region's (a word in neither is refused there).
        let image_writable: HashMap<u32, bool> =
            setup.image.iter().map(|w| (w.addr, w.writable)).collect();
        let writable = |addr: u32| -> bool {
            if let Some(&w) = image_writable.get(&addr) {
                return w;
            }
            let i = setup.regions.partition_point(|r| r.hi < addr);
            setup
                .regions
                .get(i)
                .is_some_and(|r| r.lo <= addr && r.writable)
                || mapped(&maps.borrow(), addr).is_some()
        };
        let mut w = Witness {
            rom_counts: vec![0; setup.rom.len()],
            cycles: record.steps.len() as u64,
            exit_code: record.exit_code,
            ..Witness::default()
        };
        let mut syscalls = record.syscalls.iter().peekable();
        let mut signals = record.signals.iter().peekable();
        let mut sigreturns = record.sigreturns.iter().peekable();
        // The clock of a restarted wait's SYSCALL, which a switch must follow.
        let mut restarted: Option<u32> = None;
        for (clk, step) in record.steps.iter().enumerate() {
            let clk = clk as u32;
            let e = setup.rom[step.rom as usize];
            w.rom_counts[step.rom as usize] += 1;
            let op = opcode(e.op);
            // What cannot be proved about this row, to stop the prover with.
            let unsupported = |what: String| ProveError::Unsupported {
                what,
                pc: step.pc,
                symbol: String::new(),
            };
            if restarted.is_some_and(|c| c + 1 == clk) && !step.switched {
                return Err(internal(step, "a restarted wait without a switch after it"));
            }
            // A context switch before this row: the old thread's resume pair saved, the
            // new thread's read (it must be where the VM resumed it, or the handler of a
            // signal it takes there), its take word and LLbit cleared.
            if step.switched {
                let prev = w
                    .cpu
                    .last()
                    .ok_or_else(|| internal(step, "a switch before the first instruction"))?;
                // (A restarted wait resumes at its SYSCALL again: the futex chip passes
                // its row's half on one instruction back.)
                let save = if restarted == Some(clk - 1) {
                    [prev.new_pc.wrapping_sub(4), prev.new_pc]
                } else {
                    [prev.new_pc, prev.new_next_pc]
                };
                let old = sh.cur;
                let t_save = ts(clk - 1, SLOT_CHIP);
                let prev_save = [sh.regs[REG_PC as usize].0, sh.regs[REG_NEXT_PC as usize].0];
                let s0 = sh.reg(REG_PC as u8, save[0], t_save);
                let s1 = sh.reg(REG_NEXT_PC as u8, save[1], t_save);
                sh.switch_to(step.thread).map_err(|m| internal(step, &m))?;
                let load = [sh.regs[REG_PC as usize].0, sh.regs[REG_NEXT_PC as usize].0];
                // A signal another thread sent it, which it takes here (the send chip set
                // its take word), delivered at the leaving row's chip slot.
                let take_at = KERNEL_THREADS + THREAD_WORDS * step.thread + THREAD_TAKE;
                let word = sh.kdyn_value(take_at);
                let tid = super::syscall::FIRST_TID + step.thread;
                let at_switch = signals
                    .peek()
                    .is_some_and(|r| r.step + 1 == clk as usize && r.ev.tid == tid);
                if at_switch && word == 0 {
                    return Err(unsupported(format!(
                        "a signal delivered at the switch to thread {tid} that no other thread \
                         sent it with tkill, tgkill or kill (not provable yet)"
                    )));
                }
                if word != 0 && !at_switch && !super::mm::lenient() {
                    return Err(internal(
                        step,
                        "a thread that takes a signal at a switch resumed without it",
                    ));
                }
                if at_switch && load[1] != load[0].wrapping_add(4) {
                    return Err(unsupported(format!(
                        "a signal taken by thread {tid}, switched out in a delay slot (Linux \
                         delivers there; the VM defers it by an instruction: not provable)"
                    )));
                }
                let take = if at_switch { word } else { 0 };
                if at_switch {
                    let rec = signals
                        .next()
                        .ok_or_else(|| internal(step, "no delivery"))?;
                    let cause = Cause::Switch {
                        clk: clk - 1,
                        epc: load[0],
                        take,
                    };
                    let ev = sh.deliver(rec, cause, &writable).map_err(unsupported)?;
                    w.signal.push(ev);
                } else if load != [step.pc, step.next_pc] {
                    return Err(internal(
                        step,
                        &format!(
                            "thread {} resumed at {:#x}, not where it left off ({:#x})",
                            step.thread, step.pc, load[0]
                        ),
                    ));
                }
                if step.llbit {
                    return Err(internal(step, "the LLbit survived a context switch"));
                }
                let t_load = ts(clk, SLOT_A);
                let prev_ll = sh.regs[REG_LLBIT as usize].0;
                let acc = [
                    s0,
                    s1,
                    sh.reg(REG_PC as u8, load[0], t_load),
                    sh.reg(REG_NEXT_PC as u8, load[1], t_load),
                    sh.reg(REG_LLBIT, 0, t_load),
                    sh.kdyn(take_at, 0, t_load),
                    // (It lives: its exited word is 0, which the sched chip needs; with the
                    // check knocked out, in tests, not read.)
                    if super::knockout::kept("sched.alive") {
                        let at = KERNEL_THREADS + THREAD_WORDS * step.thread + THREAD_EXITED;
                        let v = sh.kdyn_value(at);
                        sh.kdyn(at, v, t_load)
                    } else {
                        Access::default()
                    },
                ];
                w.sched.push(super::sched::SchedEvent {
                    clk: clk - 1,
                    old,
                    new: step.thread,
                    save,
                    prev_save,
                    load,
                    prev_ll,
                    take,
                    prev_take: word,
                    acc,
                });
            } else if step.thread != sh.cur {
                return Err(internal(step, "the thread changed without a switch"));
            }
            // The operands are what the registers hold (a test that forges them turns the
            // check off).
            if !super::mm::lenient()
                && (sh.regs[e.ra as usize].0 != step.a
                    || (e.flags & flag::B_IMM == 0 && sh.regs[e.rb as usize].0 != step.b))
            {
                return Err(internal(step, "an operand differs from its register"));
            }
            let a_acc = sh.reg(e.ra, step.a, ts(clk, SLOT_A));
            let b_acc = (e.flags & flag::B_IMM == 0).then(|| sh.reg(e.rb, step.b, ts(clk, SLOT_B)));
            let mut c = 0;
            let instr = |c: u32| InstrEvent {
                op,
                clk,
                thread: step.thread,
                a: step.a,
                b: step.b,
                c,
                aux: e.aux,
            };
            let mut taken = false;
            match op {
                // The fault (only a load or store faults with SIGSEGV, and the signal
                // chip's event refuses any other): no access; the register written keeps
                // its value (the signal chip delivers, after the write below).
                _ if step.fault => {
                    c = if e.flags & flag::WRITE != 0 {
                        sh.regs[e.rw as usize].0
                    } else {
                        0
                    };
                }
                Opcode::None => {
                    taken = e.flags & (flag::JUMP | flag::JUMP_REG) != 0;
                }
                Opcode::Add | Opcode::AddTrap | Opcode::Sub | Opcode::SubTrap => {
                    c = chip_result(op, step.a, step.b);
                    w.add_sub.push(instr(c));
                }
                Opcode::And | Opcode::Or | Opcode::Xor | Opcode::Nor => {
                    c = chip_result(op, step.a, step.b);
                    w.bitwise.push(instr(c));
                }
                Opcode::Sll | Opcode::Srl | Opcode::Sra | Opcode::Rotr => {
                    c = chip_result(op, step.a, step.b);
                    w.shift.push(instr(c));
                }
                Opcode::Slt
                | Opcode::Sltu
                | Opcode::Teq
                | Opcode::Tne
                | Opcode::Tge
                | Opcode::Tgeu
                | Opcode::Tlt
                | Opcode::Tltu => {
                    if super::compare::trap_fires(op, step.a, step.b) {
                        return Err(internal(step, "a trap fired without the VM raising it"));
                    }
                    c = chip_result(op, step.a, step.b);
                    w.compare.push(instr(c));
                }
                Opcode::Mul
                | Opcode::Mult
                | Opcode::Multu
                | Opcode::Madd
                | Opcode::Maddu
                | Opcode::Msub
                | Opcode::Msubu => {
                    let (hi, lo) = (sh.regs[REG_HI as usize].0, sh.regs[REG_LO as usize].0);
                    let (new_hi, new_lo, answer) = super::mul::multiply(op, step.a, step.b, hi, lo);
                    if op != Opcode::Mul && (new_hi, new_lo) != (step.out_hi, step.out_lo) {
                        return Err(internal(step, "HI:LO differ from the VM's"));
                    }
                    c = answer;
                    let t = ts(clk, SLOT_CHIP);
                    let acc = (op != Opcode::Mul)
                        .then(|| [sh.reg(REG_HI, new_hi, t), sh.reg(REG_LO, new_lo, t)]);
                    w.mul.push(super::mul::MulEvent {
                        instr: instr(c),
                        hi: if acc.is_some() { hi } else { 0 },
                        lo: if acc.is_some() { lo } else { 0 },
                        new_hi: if acc.is_some() { new_hi } else { 0 },
                        new_lo: if acc.is_some() { new_lo } else { 0 },
                        acc,
                    });
                }
                Opcode::Div | Opcode::Divu => {
                    let (hi, lo) = super::div::divide(op, step.a, step.b);
                    if (hi, lo) != (step.out_hi, step.out_lo) {
                        return Err(internal(step, "HI:LO differ from the VM's"));
                    }
                    let t = ts(clk, SLOT_CHIP);
                    let acc = [sh.reg(REG_HI, hi, t), sh.reg(REG_LO, lo, t)];
                    w.div.push(super::div::DivEvent {
                        instr: instr(0),
                        hi: acc[0].prev,
                        lo: acc[1].prev,
                        acc,
                    });
                }
                Opcode::Clz | Opcode::Clo => {
                    c = chip_result(op, step.a, step.b);
                    w.clz.push(instr(c));
                }
                Opcode::Ext | Opcode::Ins => {
                    c = super::ext::bit_field(op, step.a, step.b, e.aux);
                    w.ext.push(instr(c));
                }
                Opcode::Seb | Opcode::Seh | Opcode::Wsbh => {
                    c = chip_result(op, step.a, step.b);
                    w.sext.push(instr(c));
                }
                Opcode::Movz | Opcode::Movn => {
                    let rd = e.aux as u8;
                    let old = sh.regs[rd as usize].0;
                    let moves = super::movz::moves(op, step.b);
                    let new = if moves { step.a } else { old };
                    if new != step.out {
                        return Err(internal(step, "a conditional move differs from the VM's"));
                    }
                    let acc = moves.then(|| sh.reg(rd, new, ts(clk, SLOT_CHIP)));
                    w.mov.push(super::movz::MovEvent {
                        instr: instr(0),
                        acc,
                    });
                }
                Opcode::Beq
                | Opcode::Bne
                | Opcode::Blez
                | Opcode::Bgtz
                | Opcode::Bltz
                | Opcode::Bgez => {
                    c = chip_result(op, step.a, step.b);
                    taken = c == 1;
                    w.branch.push(instr(c));
                }
                Opcode::Lw
                | Opcode::Lb
                | Opcode::Lbu
                | Opcode::Lh
                | Opcode::Lhu
                | Opcode::Sw
                | Opcode::Sh
                | Opcode::Sb
                | Opcode::Lwl
                | Opcode::Lwr
                | Opcode::Ll
                | Opcode::Swl
                | Opcode::Swr
                | Opcode::Sc => {
                    let addr = step.a.wrapping_add(e.aux as u16 as i16 as i32 as u32);
                    let word_addr = addr / 4;
                    let t = ts(clk, SLOT_CHIP);
                    // The LLbit, which LL sets and SC reads and clears.
                    let llbit = matches!(op, Opcode::Ll | Opcode::Sc)
                        .then(|| sh.reg(super::bus::REG_LLBIT, (op == Opcode::Ll) as u32, t));
                    if let Some(acc) = &llbit {
                        if (acc.prev == 1) != step.llbit {
                            return Err(internal(step, "the LLbit differs from the VM's"));
                        }
                    }
                    let stores = match op {
                        Opcode::Sw | Opcode::Sh | Opcode::Sb | Opcode::Swl | Opcode::Swr => true,
                        Opcode::Sc => step.llbit,
                        _ => false,
                    };
                    let accessed = op != Opcode::Sc || step.llbit;
                    if accessed && word_addr != step.mem_addr {
                        return Err(internal(step, "the VM accessed another word"));
                    }
                    // (A failing SC touches no word: not even to read it here.)
                    let prev = if accessed { sh.word(word_addr).0 } else { 0 };
                    let new = if stores { step.mem_value } else { prev };
                    if accessed && !stores && prev != step.mem_value {
                        return Err(internal(step, "a load read a value the record does not explain (memory written by the kernel)"));
                    }
                    let acc = accessed.then(|| sh.mem(word_addr, new, t));
                    c = match op {
                        Opcode::Sc => step.llbit as u32,
                        _ => load_result(op, prev, addr & 3, step.b),
                    };
                    w.memory.push(MemEvent {
                        instr: instr(c),
                        ro: accessed && !writable(word_addr),
                        word_addr,
                        acc,
                        new: if accessed { new } else { 0 },
                        llbit,
                    });
                }
                Opcode::Syscall => {
                    let sc = syscalls
                        .next()
                        .ok_or_else(|| internal(step, "a SYSCALL without a record"))?;
                    let halt = sc.number == super::record::SYS_EXIT_GROUP;
                    // (exit answers c[1] = 1: the thread ends.)
                    c = if sc.number == super::syscall::SYS_EXIT {
                        1 << 8
                    } else {
                        halt as u32
                    };
                    let (v0, a3) = sc.result.unwrap_or((sc.number, sh.regs[7].0));
                    let t = ts(clk, SLOT_CHIP);
                    // (A delivery recorded after this row to another thread is that
                    // thread's, at the switch to it.)
                    let tid = super::syscall::FIRST_TID + step.thread;
                    let delivered = signals
                        .peek()
                        .is_some_and(|r| r.step == clk as usize && r.ev.tid == tid);
                    if super::signal::SEND_CALLS.contains(&sc.number) && !delivered {
                        // A signal the thread blocks: the send chip proves it pending.
                        let ev = sh
                            .send(sc, instr(0), t, record.exit_code)
                            .map_err(unsupported)?;
                        c = (ev.outcome == super::send::Outcome::Fatal) as u32;
                        w.send.push(ev);
                    } else if super::signal::SEND_CALLS.contains(&sc.number) {
                        // A signal sent to the thread itself: the signal chip proves the
                        // call and the delivery that follows it, at its chip slot.
                        let rec = signals
                            .next()
                            .ok_or_else(|| internal(step, "a signal sent without its delivery"))?;
                        let cause = Cause::Sent {
                            sc,
                            instr: instr(0),
                        };
                        let ev = sh.deliver(rec, cause, &writable).map_err(unsupported)?;
                        w.signal.push(ev);
                    } else if sc.number == super::threads::SYS_CLONE {
                        let ev = sh
                            .clone_thread(sc, instr(0), clk)
                            .map_err(|m| internal(step, &m))?;
                        w.clone.push(ev);
                    } else if sc.number == super::futex::SYS_FUTEX {
                        let ev = sh
                            .futex(sc, instr(0), t, &writable)
                            .map_err(|m| internal(step, &m))?;
                        if ev.restart {
                            restarted = Some(clk);
                        }
                        w.futex.push(ev);
                    } else if super::clock::ClockCall::of(sc.number).is_some() {
                        let ev = sh.clock(sc, instr(0), t, &writable).map_err(|m| {
                            if m == READ_ONLY_REQUEST || m == LONG_SLEEP {
                                unsupported(m)
                            } else {
                                internal(step, &m)
                            }
                        })?;
                        w.clock.push(ev);
                    } else if matches!(
                        sc.number,
                        super::mm::SYS_MMAP
                            | super::mm::SYS_MMAP2
                            | super::mm::SYS_MADVISE
                            | super::mm::SYS_MUNMAP
                            | super::mm::SYS_BRK
                    ) {
                        let ev = sh
                            .mm(sc, instr(0), t, setup.brk >> super::mm::PAGE_BITS)
                            .map_err(|e| match e {
                                ProveError::Unsupported { what, .. } => unsupported(what),
                                e => e,
                            })?;
                        w.mm.push(ev);
                    } else if super::getset::Kind::of(sc.number).is_some() {
                        // At the third slot: a delivery after the call comes at the chip's.
                        let mut ev = sh
                            .getset(sc, instr(0), ts(clk, SLOT_C), &writable)
                            .map_err(unsupported)?;
                        if super::mm::lenient() {
                            // (Tests: a pending signal unblocked and not delivered, proved
                            // as if it stayed blocked.)
                            ev.deliver &= delivered;
                        }
                        let deliver = ev.deliver;
                        w.getset.push(ev);
                        if deliver != delivered && !super::mm::lenient() {
                            return Err(if delivered {
                                internal(
                                    step,
                                    "a signal delivered after a call that unblocked none",
                                )
                            } else {
                                unsupported(
                                    "rt_sigprocmask unblocking a pending signal that is not \
                                     delivered (its action ignores it, or its default action \
                                     applies: not proved yet)"
                                        .into(),
                                )
                            });
                        }
                        if deliver && delivered {
                            let rec = signals.next().ok_or_else(|| {
                                internal(step, "a pending signal without its delivery")
                            })?;
                            let cause = Cause::Pending { instr: instr(0) };
                            let ev = sh.deliver(rec, cause, &writable).map_err(unsupported)?;
                            w.signal.push(ev);
                        }
                    } else if super::poll::Call::of(sc.number, sc.args[0]).is_some() {
                        let ev = sh.poll(sc, instr(0), t, &writable).map_err(unsupported)?;
                        w.poll.push(ev);
                    } else if super::fs::is_fs_call(sc.number) {
                        let (ev, words, inputs) = sh
                            .fs(sc, instr(0), t, &writable)
                            .map_err(|m| internal(step, &m))?;
                        w.fs.push(ev);
                        w.path.extend(words);
                        w.input.extend(inputs);
                    } else {
                        let [fd, buf, count, _] = sc.args;
                        let is_write = sc.number == super::record::SYS_WRITE;
                        let is_read = sc.number == super::record::SYS_READ;
                        let is_random = sc.number == super::record::SYS_GETRANDOM;
                        let is_affinity = sc.number == super::record::SYS_SCHED_GETAFFINITY;
                        let is_uname = sc.number == super::record::SYS_UNAME;
                        let is_getcwd = sc.number == super::record::SYS_GETCWD;
                        let cwd = &super::bytes::answers()[super::bytes::CWD_AT as usize..];
                        // (The result is the syscall chip's to hold to its length.)
                        if is_getcwd && sc.written != cwd {
                            return Err(internal(step, "getcwd did not write the VM's \"/\""));
                        }
                        let utsname = &super::bytes::answers()
                            [super::bytes::UTSNAME_AT as usize..super::bytes::STAT_AT as usize];
                        // (The result is the syscall chip's to hold to 0.)
                        if is_uname && sc.written != utsname {
                            return Err(internal(step, "uname did not write the VM's utsname"));
                        }
                        if is_affinity && ((v0, a3) != (4, 0) || sc.written != [0, 0, 0, 1]) {
                            return Err(internal(
                                step,
                                "sched_getaffinity did not write the one CPU's mask",
                            ));
                        }
                        if let Some(want) = super::syscall::identity_answer(sc.number, step.thread)
                        {
                            if (v0, a3) != (want, 0) {
                                return Err(internal(
                                    step,
                                    &format!(
                                        "system call {} returned {v0} (error {a3}), not {want}",
                                        sc.number
                                    ),
                                ));
                            }
                        }
                        if is_write && (v0, a3) != (count, 0) {
                            return Err(internal(
                            step,
                            &format!("write({fd}, {buf:#x}, {count}) returned {v0} (error {a3}), not its count"),
                        ));
                        }
                        if (is_read || is_random)
                            && (a3 != 0 || sc.written.len() as u64 != v0 as u64)
                        {
                            return Err(internal(
                            step,
                            &format!(
                                "read(0, {buf:#x}, {count}) returned {v0} (error {a3}) with {} bytes written",
                                sc.written.len()
                            ),
                        ));
                        }
                        let regs = [
                            sh.reg(2, v0, t),
                            sh.reg(4, sc.args[0], t),
                            sh.reg(5, sc.args[1], t),
                            sh.reg(6, sc.args[2], t),
                            sh.reg(7, a3, t),
                        ];
                        // A cursor moves on by the bytes moved.
                        let moved = |sh: &mut Shadow, cursor: u32, n: u32| {
                            let pos = sh.kernel[cursor as usize].0;
                            Some(sh.kernel(cursor, pos + n, t))
                        };
                        let cursor = if is_write && fd == 3 {
                            moved(&mut sh, KERNEL_OUT_CURSOR, count)
                        } else if is_read {
                            moved(&mut sh, KERNEL_IN_CURSOR, v0)
                        } else {
                            None
                        };
                        // A read of the input returns what a regular file of its size
                        // returns; a short one fixes that size (syscall chip).
                        let size = if is_read {
                            let pos = cursor.map_or(0, |a| a.prev);
                            let was = sh.kdyn_value(KERNEL_IN_SIZE);
                            let short = v0 < count;
                            let want = count.min(was.wrapping_sub(1).wrapping_sub(pos));
                            if was != 0 && v0 != want && !super::mm::lenient() {
                                return Err(internal(
                                    step,
                                    &format!(
                                        "read(0, {buf:#x}, {count}) returned {v0}, where the \
                                         input of {} bytes has {} left",
                                        was - 1,
                                        was - 1 - pos
                                    ),
                                ));
                            }
                            let now = if short && was == 0 { pos + v0 + 1 } else { was };
                            Some(sh.kdyn(KERNEL_IN_SIZE, now, t))
                        } else {
                            None
                        };
                        // The words a read, getrandom, sched_getaffinity or uname wrote.
                        if is_read || is_random || is_affinity || is_uname || is_getcwd {
                            let to = super::record::out_buffer(sc.number, &sc.args).unwrap_or(buf);
                            let n = if is_uname {
                                utsname.len() as u32
                            } else if is_getcwd {
                                cwd.len() as u32
                            } else {
                                v0
                            };
                            let answer = if is_affinity {
                                super::bytes::AFFINITY_AT + 1
                            } else if is_uname {
                                super::bytes::UTSNAME_AT + 1
                            } else if is_getcwd {
                                super::bytes::CWD_AT + 1
                            } else {
                                0
                            };
                            if super::input::spans(to, n).iter().any(|s| !writable(s.0)) {
                                return Err(internal(
                                    step,
                                    "a read, getrandom, sched_getaffinity or uname wrote a read-only word",
                                ));
                            }
                            let rows = sh.input_rows(clk, to, &sc.written[..n as usize], answer, t);
                            w.input.extend(rows);
                        }
                        // The bytes written: to the public output (fd 3) or the logs.
                        let pos = cursor.filter(|_| is_write).map(|acc| acc.prev as usize);
                        if is_write {
                            for i in 0..count {
                                let addr = buf.wrapping_add(i);
                                let first = i == 0;
                                let (word, _) = sh.word(addr / 4);
                                let acc =
                                    (first || addr % 4 == 0).then(|| sh.mem(addr / 4, word, t));
                                let byte = word.to_be_bytes()[(addr % 4) as usize];
                                let ev = super::output::OutputEvent {
                                    clk,
                                    addr,
                                    remaining: count - i,
                                    first,
                                    word,
                                    acc,
                                    ro: !writable(addr / 4),
                                };
                                match pos {
                                    Some(pos) => {
                                        if record.output.get(pos + i as usize) != Some(&byte) {
                                            return Err(internal(
                                            step,
                                            "a byte written to fd 3 differs from the VM's output",
                                        ));
                                        }
                                        w.output.push(ev);
                                    }
                                    None => w.log.push(ev),
                                }
                            }
                        }
                        // exit: the thread is marked exited, and counted.
                        let exit = (sc.number == super::syscall::SYS_EXIT).then(|| {
                            let word = KERNEL_THREADS + THREAD_EXITED + THREAD_WORDS * step.thread;
                            let exits = sh.kdyn_value(KERNEL_EXITS);
                            // (With the mark knocked out, in tests, the word is not written.)
                            let mark = if super::knockout::kept("syscall.exit_mark") {
                                sh.kdyn(word, 1, t)
                            } else {
                                Access::default()
                            };
                            [mark, sh.kdyn(KERNEL_EXITS, exits + 1, t)]
                        });
                        w.syscall.push(SyscallEvent {
                            instr: instr(c),
                            number: sc.number,
                            args: sc.args,
                            result: (v0, a3),
                            regs,
                            cursor,
                            size,
                            exit,
                        });
                    }
                }
                other => {
                    return Err(unsupported(format!(
                        "the instruction {other:?} (its chip is not built yet)"
                    )))
                }
            }
            let w_acc = if e.flags & flag::WRITE != 0 {
                let value = if e.flags & flag::LINK != 0 { e.imm } else { c };
                if value != step.out && op != Opcode::Syscall && !step.fault {
                    return Err(internal(step, "the chip's result differs from the VM's"));
                }
                Some((value, sh.reg(e.rw, value, ts(clk, SLOT_C))))
            } else {
                None
            };
            // A fault: the delivery, at the row's chip slot.
            if step.fault {
                let rec = signals
                    .next()
                    .filter(|r| r.step == clk as usize)
                    .ok_or_else(|| internal(step, "a fault without its delivery"))?;
                let cause = Cause::Fault {
                    instr: instr(c),
                    target: e.target,
                };
                let ev = sh.deliver(rec, cause, &writable).map_err(unsupported)?;
                w.signal.push(ev);
            }
            // An untaken branch-likely skips its delay slot; a fault goes on at its epc.
            let new_pc = if step.fault {
                e.target
            } else if e.flags & flag::LIKELY != 0 && !taken {
                step.next_pc.wrapping_add(4)
            } else {
                step.next_pc
            };
            let new_next_pc = if !taken {
                new_pc.wrapping_add(4)
            } else if e.flags & flag::JUMP_REG != 0 {
                super::record::proof_pc(step.a)
            } else {
                e.target
            };
            // A handler's return after this row (its delay slot), at its chip slot, which
            // its own instruction must leave free.
            if sigreturns.peek().is_some_and(|r| r.step == clk as usize) {
                let rec = sigreturns.next().unwrap();
                use Opcode::*;
                let free = matches!(
                    op,
                    None | Add
                        | AddTrap
                        | Sub
                        | SubTrap
                        | And
                        | Or
                        | Xor
                        | Nor
                        | Sll
                        | Srl
                        | Sra
                        | Rotr
                        | Slt
                        | Sltu
                        | Clz
                        | Clo
                        | Seb
                        | Seh
                        | Wsbh
                        | Ext
                        | Ins
                );
                if !free || new_pc != super::bus::SIGRETURN_PC {
                    return Err(unsupported(format!(
                        "rt_sigreturn after {op:?} in the return's delay slot (only an \
                         instruction that touches no memory, HI or LO can be proved yet)"
                    )));
                }
                let ev = sh.sigreturn(rec, clk, &writable).map_err(unsupported)?;
                w.sigreturn.push(ev);
            }
            let next = record.steps.get(clk as usize + 1);
            let resumes = |n: &&Step| n.switched || n.delivered || n.returned;
            let switch = next.is_some_and(|n| resumes(&n));
            if let Some(next) = next.filter(|n| !resumes(n)) {
                if (next.pc, next.next_pc) != (new_pc, new_next_pc) {
                    return Err(internal(
                        step,
                        &format!(
                            "control flow differs from the VM's: {:?} goes to {:#x}/{:#x}, the VM to {:#x}/{:#x}",
                            e, new_pc, new_next_pc, next.pc, next.next_pc
                        ),
                    ));
                }
            }
            w.cpu.push(CpuEvent {
                clk,
                step: *step,
                entry: e,
                c,
                a_acc,
                b_acc,
                w_acc,
                taken,
                new_pc,
                new_next_pc,
                switch,
            });
        }
        if w.output.len() != record.output.len() {
            return Err(ProveError::Unsupported {
                what: "internal error: the output written to fd 3 differs from the VM's".into(),
                pc: 0,
                symbol: String::new(),
            });
        }
        let cur = sh.cur;
        sh.saved[cur as usize] = sh.regs;
        w.regs = sh.saved[0][..NUM_REGS].to_vec();
        w.regs.extend(sh.kernel);
        // The register space beyond the main thread's registers: its resume slots, once
        // it was switched out, and every later thread's block.
        let mut words = Vec::new();
        for (t, block) in sh.saved.iter().enumerate() {
            let first = if t == 0 { REG_PC } else { 0 };
            for r in first..THREAD_SLOTS {
                let (value, ts) = block[r as usize];
                if ts != 0 {
                    words.push(super::state::KernelWord {
                        reg: true,
                        addr: t as u32 * REG_STRIDE + r,
                        value,
                        ts,
                    });
                }
            }
        }
        words.extend(
            sh.dynamic
                .iter()
                .map(|(&addr, &(value, ts))| super::state::KernelWord {
                    reg: false,
                    addr,
                    value,
                    ts,
                }),
        );
        w.kernel_words = words;
        let mut words: Vec<WordState> = sh
            .mem
            .iter()
            .map(|(&addr, &(value, ts))| WordState {
                addr,
                init: sh.init[&addr].0,
                init_ts: sh.init[&addr].1,
                value,
                ts,
            })
            .collect();
        // Every word of the initial stack is written by the loader chip, touched or not.
        for (&addr, &v) in stack.iter() {
            if !sh.mem.contains_key(&addr) {
                words.push(WordState {
                    addr,
                    init: 0,
                    init_ts: 0,
                    value: v,
                    ts: TS_LOADER,
                });
            }
        }
        words.append(&mut sh.done);
        words.sort_by_key(|s| (s.addr, s.init_ts));
        w.words = words;
        w.pages = super::pages::rows(&w.mm);
        // Two accesses of one word at one timestamp: the memory argument cannot order
        // them. (Rare: a thread that takes a signal at the switch right after the row
        // that sent it, or that wrote its frame or read its action.)
        if let Some(ts) = COLLISION.with(|c| c.take()) {
            let clk = (ts / TS_SLOTS).saturating_sub(1) as usize;
            let pc = record.steps.get(clk).map_or(0, |s| s.pc);
            return Err(ProveError::Unsupported {
                what: format!(
                    "two accesses of one word at one timestamp, in the row of instruction \
                     {clk} and what follows it (as when a thread takes a signal at the switch \
                     right after the row that sent it; not provable yet)"
                ),
                pc,
                symbol: String::new(),
            });
        }
        Ok(w)
    }
}

/// Why a `nanosleep` whose request is in read-only data is not provable yet.
const LONG_SLEEP: &str = "clock_nanosleep_time64 of 2^31 seconds or more (only shorter \
                          requests can be proved yet)";
const READ_ONLY_REQUEST: &str =
    "a sleep with its request in read-only data (only writable memory can be proved yet)";

fn internal(step: &Step, what: &str) -> ProveError {
    ProveError::Unsupported {
        what: format!("internal error: {what}"),
        pc: step.pc,
        symbol: String::new(),
    }
}

/// The opcode of a ROM entry's `op` field.
pub fn opcode(op: u8) -> Opcode {
    use Opcode::*;
    const ALL: &[Opcode] = &[
        None, Add, AddTrap, Sub, SubTrap, And, Or, Xor, Nor, Sll, Srl, Sra, Rotr, Slt, Sltu, Teq,
        Tne, Tge, Tgeu, Tlt, Tltu, Beq, Bne, Blez, Bgtz, Bltz, Bgez, Mul, Mult, Multu, Madd, Maddu,
        Msub, Msubu, Div, Divu, Clz, Clo, Seb, Seh, Wsbh, Ext, Ins, Movz, Movn, Lb, Lbu, Lh, Lhu,
        Lw, Lwl, Lwr, Ll, Sb, Sh, Sw, Swl, Swr, Sc, Syscall,
    ];
    ALL.iter()
        .copied()
        .find(|o| *o as u8 == op)
        .unwrap_or(Unprovable)
}
