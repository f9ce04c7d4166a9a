//! Signals in the proof: the delivery of a fault to the guest's handler (the signal
//! chip) and the handler's return through `rt_sigreturn` (the sigreturn chip).
//!
//! **Delivery.** A load or store whose address lies in the first 64 KiB (where Linux maps
//! nothing: a nil dereference) faults. The CPU's row for it is flagged `fault`: it
//! dispatches under `op + FAULT_OP`, which only this chip receives, writes no register
//! (its answer is the old value) and leaves with a `sched` message of kind
//! `SCHED_FAULT` that carries the PC Linux reports (`epc`, the ROM's `target` of a load or
//! store: its own `pc`, in a delay slot its branch's). Linux then delivers `SIGSEGV`
//! (`SEGV_MAPERR`, the address in `si_addr`) to the handler, as Go installs it:
//! `SA_SIGINFO | SA_ONSTACK | SA_RESTART`, on the thread's alternate stack, which the
//! thread has and is not on. The chip proves exactly that, one block of [`BLOCK`] rows
//! per delivery, laid out by periodic columns:
//!
//! - rows 0 to 195 write the 196 words of Linux's o32 `rt_sigframe` at
//!   `frame = (ss_sp + ss_size - 784) & ~7`: the argument save area, `siginfo`
//!   (`si_signo` 11, `si_code` 1, `si_addr`), the `ucontext` (`uc_stack` as the thread's
//!   alternate stack, flags 0; `sc_pc` = `epc`; every register 1 to 31, HI and LO, read
//!   from the thread's block, the high words of the 64-bit slots 0; the blocked mask
//!   from before). Every other byte is 0, as the VM writes it.
//! - the register rows set the handler's arguments in the same access: `$a0` = 11,
//!   `$a1` = `&info` (`frame + 24`), `$a2` = `&uc` (`frame + 152`), `$sp` = `frame`,
//!   `$ra` = the trampoline, `$t9` = the handler.
//! - the mask rows block `old | sa_mask | SIGSEGV`, as Linux does without `SA_NODEFER`,
//!   and require `SIGSEGV` not blocked before (Linux would kill the process).
//! - row 196, the call: the faulting instruction (its address `a + sext(offset)` below
//!   2^16 and aligned as its width needs), the action (`sa_flags` Go's, exactly; its
//!   handler, where the thread resumes), the alternate stack (non-empty; `$sp - 32` and
//!   `$sp` both off it, as Linux's `sigsp` asks) and the frame's address, the LLbit
//!   cleared, and both halves of the `sched` messages: the fault's and the handler's
//!   first row's (`handler`, `handler + 4`, the same thread).
//!
//! Every access is at the faulting row's chip slot, which its own chip (the load/store
//! chip) does not use on a fault, after the CPU's register accesses.
//!
//! **Return.** A handler returns with `jr $ra` to the trampoline. The CPU lands on -1
//! there (see [`super::bus::SIGRETURN_PC`]); the delay slot's row leaves with that as its
//! new PC, and the sigreturn chip takes the thread on: it reads the frame at `$sp` (Go's
//! handler edits it) and restores `sc_pc`, registers 1 to 31, HI and LO from its low
//! words, the blocked mask less `SIGKILL` and `SIGSTOP`, and clears the LLbit, as Linux's
//! `sys_rt_sigreturn` does; the next row starts at `sc_pc` in the same thread. It proves
//! the return whose `uc_stack` is the thread's alternate stack, with flags 0 or
//! `SS_ONSTACK`, which Linux's `restore_altstack` leaves as it is (as a Go handler's
//! always is). One block of [`RET_BLOCK`] rows per return.

use std::borrow::{Borrow, Cow};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    self, access, AccessCols, ByteOp, Expr, Word, ACTION_WORDS, KERNEL_ACTIONS, KERNEL_PENDING,
    KERNEL_THREADS, PENDING, REG_HI, REG_LLBIT, REG_LO, REG_STRIDE, SCHED, SCHED_FAULT,
    SCHED_LEAVE, SCHED_RESUME, SCHED_TAKE, SIGRETURN_ADDR, SIGRETURN_PC, SLOT_CHIP, SPACE_KERNEL,
    SPACE_MEM, SPACE_REG, THREAD_ALTSTACK, THREAD_MASK, THREAD_PENDING, THREAD_WORDS, TS_SLOTS,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::Access;

pub const SIGSEGV: u32 = 11;
/// `si_code` for an address nothing maps.
pub const SEGV_MAPERR: u32 = 1;
/// Go's `sa_flags` on Linux MIPS: `SA_SIGINFO | SA_ONSTACK | SA_RESTART`.
pub const GO_SA_FLAGS: u32 = 0x1800_0008;
/// Bytes and words of the o32 `rt_sigframe`.
pub const FRAME_SIZE: u32 = 784;
pub const FRAME_WORDS: usize = 196;
/// Where `siginfo` and the `ucontext` start in the frame.
pub const FRAME_INFO: u32 = 24;
pub const FRAME_UC: u32 = 152;
/// Rows per delivery, and the call row.
pub const BLOCK: usize = 256;
const CALL_ROW: usize = FRAME_WORDS;
/// Rows per return, and its call row.
pub const RET_BLOCK: usize = 64;

// Frame words (index = byte offset / 4).
const W_SIGNO: usize = 6;
pub(crate) const W_CODE: usize = 7;
const W_ADDR: usize = 9;
const W_SS_SP: usize = 40;
const W_SS_SIZE: usize = 41;
pub(crate) const W_SS_FLAGS: usize = 42;
const W_PC: usize = 47;
const W_HI: usize = 183;
const W_LO: usize = 185;
const W_MASK: usize = 192;
/// The low word of register `r`'s 64-bit slot.
pub const fn w_reg(r: usize) -> usize {
    49 + 2 * r
}

/// The first kernel word of signal `sig`'s action.
pub(crate) const fn action(sig: u32) -> u32 {
    KERNEL_ACTIONS + ACTION_WORDS * (sig - 1)
}

/// The kernel word of signal 1's handler (signal `s`'s is `ACTION_WORDS (s - 1)` on).
pub(crate) const ACTION_HANDLER: u32 = KERNEL_ACTIONS + 1;

/// The kernel word of mask word `i` of signal `sig`'s action.
pub(crate) const fn action_mask(sig: u32, i: u32) -> u32 {
    action(sig) + 2 + i
}

/// The bits signal `sig` has in mask word `i`.
pub(crate) const fn sig_bits(sig: u32, i: u32) -> u32 {
    if (sig - 1) / 32 == i {
        1 << ((sig - 1) % 32)
    } else {
        0
    }
}

/// The place of signal `sig` (1..=128) in a mask, as the chips' one-hot columns hold it:
/// its word, byte and bit, and `2^bit` in its byte's column (all zero for another `sig`).
pub(crate) fn place_values(sig: u32) -> ([Val; 4], [Val; 4], [Val; 8], [Val; 4]) {
    let mut v = (
        [Val::ZERO; 4],
        [Val::ZERO; 4],
        [Val::ZERO; 8],
        [Val::ZERO; 4],
    );
    if (1..=128).contains(&sig) {
        let s = sig - 1;
        let (w, k, j) = ((s / 32) as usize, (s % 32 / 8) as usize, s % 8);
        v.0[w] = Val::ONE;
        v.1[k] = Val::ONE;
        v.2[j as usize] = Val::ONE;
        v.3[k] = Val::from_u32(1 << j);
    }
    v
}

/// A signal's place in a mask, from its one-hot word, byte and bit (each flag asserted
/// boolean here; the caller asserts what each group sums to): the three sums, the signal
/// `1 + 32 w + 8 k + j`, the bit's value in its byte `2^j`, and the word `w`.
pub(crate) struct Place<AB: AirBuilder> {
    pub sums: [Expr<AB>; 3],
    pub sig: Expr<AB>,
    pub bit: Expr<AB>,
    pub word: Expr<AB>,
}

pub(crate) fn place<AB: AirBuilder>(
    b: &mut AB,
    wsel: &[AB::Var; 4],
    ksel: &[AB::Var; 4],
    bsel: &[AB::Var; 8],
) -> Place<AB> {
    let e = |v: AB::Var| -> Expr<AB> { v.into() };
    let c = |v: u32| Expr::<AB>::from_u32(v);
    let mut sig = c(1);
    let mut bit = Expr::<AB>::ZERO;
    let mut word = Expr::<AB>::ZERO;
    let mut sums = [Expr::<AB>::ZERO, Expr::<AB>::ZERO, Expr::<AB>::ZERO];
    for (g, (sel, weight)) in [(&wsel[..], 32), (&ksel[..], 8), (&bsel[..], 1)]
        .into_iter()
        .enumerate()
    {
        for (i, &f) in sel.iter().enumerate() {
            b.assert_bool(f);
            sums[g] += e(f);
            sig += e(f) * c(weight * i as u32);
            if weight == 1 {
                bit += e(f) * c(1 << i);
            }
            if weight == 32 {
                word += e(f) * c(i as u32);
            }
        }
    }
    Place {
        sums,
        sig,
        bit,
        word,
    }
}

/// The loads and stores whose fault the chip proves, with the alignment each needs
/// (4, 2 or 1).
pub const FAULT_OPS: [(Opcode, u32); 8] = [
    (Opcode::Lw, 4),
    (Opcode::Lh, 2),
    (Opcode::Lhu, 2),
    (Opcode::Lb, 1),
    (Opcode::Lbu, 1),
    (Opcode::Sw, 4),
    (Opcode::Sh, 2),
    (Opcode::Sb, 1),
];

/// What the second access of a frame row reaches: a register of the thread, or one of
/// its kernel words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Reg(u32),
    Kernel(u32),
}

impl Src {
    /// (space, the address's constant part, its multiple of the thread index).
    fn place(self) -> (u32, u32, u32) {
        match self {
            Src::Reg(r) => (SPACE_REG, r, REG_STRIDE),
            Src::Kernel(w) => (SPACE_KERNEL, KERNEL_THREADS + w, THREAD_WORDS),
        }
    }
    /// Its address for thread `t`.
    pub fn addr(self, t: u32) -> u32 {
        let (_, base, stride) = self.place();
        base + stride * t
    }
}

/// What a register row writes for the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    Keep,
    Const(u32),
    /// The signal's number (`$a0`).
    Sig,
    /// `frame + 24`, `frame + 152`.
    Info,
    Uc,
    Frame,
    Handler,
    /// The mask row: `old | sa_mask | bit`.
    Mask,
}

/// One frame row's layout: its constant value, or where its value comes from.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub konst: u32,
    /// The value is the second access's previous value, the fault's `epc`, its address
    /// (a sent signal's `si_pid`), the signal's number, its `si_code`.
    pub from_src: bool,
    pub epc: bool,
    pub addr: bool,
    pub signo: bool,
    pub code: bool,
    pub src: Option<Src>,
    pub set: Set,
    /// The mask row of word `i`.
    pub mask: Option<u32>,
    /// A system call's result register (`$v0`, `$a3`): a sent signal's frame saves, and
    /// the handler gets, 0 (the call's success) rather than what the register held.
    pub res: bool,
    /// The register holds the sending call's number (0) or its argument `j - 1`.
    pub arg: Option<usize>,
    /// The second access's value must be `$sp`, `ss_sp`, `ss_size` (call-level columns).
    pub is_sp: bool,
    pub is_ss_sp: bool,
    pub is_ss_size: bool,
    /// `uc_stack.ss_flags`: `SS_ONSTACK` for a delivery from on the alternate stack, else 0.
    pub ss_flags: bool,
}

/// The layout of frame word `k`.
pub fn layout(k: usize) -> Layout {
    let mut l = Layout {
        konst: 0,
        from_src: false,
        epc: false,
        addr: false,
        signo: false,
        code: false,
        src: None,
        set: Set::Keep,
        mask: None,
        res: false,
        arg: None,
        is_sp: false,
        is_ss_sp: false,
        is_ss_size: false,
        ss_flags: false,
    };
    let reg = |l: &mut Layout, r: u32| {
        l.from_src = true;
        l.src = Some(Src::Reg(r));
    };
    match k {
        W_SIGNO => l.signo = true,
        W_CODE => l.code = true,
        W_ADDR => l.addr = true,
        W_SS_SP | W_SS_SIZE => {
            l.from_src = true;
            l.src = Some(Src::Kernel(THREAD_ALTSTACK + (k - W_SS_SP) as u32));
            l.is_ss_sp = k == W_SS_SP;
            l.is_ss_size = k == W_SS_SIZE;
        }
        W_SS_FLAGS => l.ss_flags = true,
        W_PC => l.epc = true,
        W_HI => reg(&mut l, REG_HI as u32),
        W_LO => reg(&mut l, REG_LO as u32),
        _ if (W_MASK..W_MASK + 4).contains(&k) => {
            let i = (k - W_MASK) as u32;
            l.from_src = true;
            l.src = Some(Src::Kernel(THREAD_MASK + i));
            l.set = Set::Mask;
            l.mask = Some(i);
        }
        _ if k > w_reg(0) && k <= w_reg(31) && (k - w_reg(0)) % 2 == 0 => {
            let r = ((k - w_reg(0)) / 2) as u32;
            reg(&mut l, r);
            l.res = r == 2 || r == 7;
            l.arg = match r {
                2 => Some(0),
                4..=6 => Some(r as usize - 3),
                _ => None,
            };
            l.set = match r {
                4 => Set::Sig,
                5 => Set::Info,
                6 => Set::Uc,
                25 => Set::Handler,
                29 => Set::Frame,
                31 => Set::Const(SIGRETURN_ADDR),
                _ => Set::Keep,
            };
            l.is_sp = r == 29;
        }
        _ => {}
    }
    l
}

/// `kill`, `tkill` and `tgkill`: the calls whose signal the chip delivers to the
/// thread that sent it, in the order of the call row's flags.
pub const SYS_KILL: u32 = 4037;
pub const SYS_TKILL: u32 = 4236;
pub const SYS_TGKILL: u32 = 4266;
pub const SEND_CALLS: [u32; 3] = [SYS_KILL, SYS_TKILL, SYS_TGKILL];
/// `si_code` of a signal sent with `kill` (`SI_USER`) and with `tkill` or `tgkill`
/// (`SI_TKILL`, -6).
pub const SI_USER: u32 = 0;
pub const SI_TKILL: u32 = -6i32 as u32;
/// The process's id (`si_pid` of a signal it sends itself).
pub const PID: u32 = crate::vm::PID;

#[cfg(test)]
thread_local! {
    /// A signal number the witness uses in place of the one a sending call sends (tests
    /// only: a delivery of another signal than the call's).
    pub(crate) static FORGED_SIG: std::cell::Cell<Option<u32>> =
        const { std::cell::Cell::new(None) };
}

/// The signal a sending call's delivery is given: `sig`, or in tests [`FORGED_SIG`].
pub(crate) fn delivered_sig(sig: u32) -> u32 {
    #[cfg(test)]
    {
        FORGED_SIG.with(|f| f.get()).unwrap_or(sig)
    }
    #[cfg(not(test))]
    {
        sig
    }
}

/// Whether `kill`, `tkill` or `tgkill` (`number`) with `args` (`$a0`, `$a1`, `$a2`, …),
/// made by the thread of id `tid`, sends to that thread (`kill`: to the process), and the
/// signal it sends.
pub(crate) fn send_target(number: u32, args: &[u32], tid: u32) -> (bool, u32) {
    match number {
        SYS_KILL => (args[0] == PID, args[1]),
        SYS_TKILL => (args[0] == tid, args[1]),
        _ => (send_tid(number, args) == Some(tid), args[2]),
    }
}

/// The thread id that `tkill` or `tgkill` (`number`) with `args` names (`tgkill`'s only
/// when its group is the process); none for `kill`, which names the process.
pub(crate) fn send_tid(number: u32, args: &[u32]) -> Option<u32> {
    match number {
        SYS_KILL => None,
        SYS_TKILL => Some(args[0]),
        _ => (args[0] == PID).then_some(args[1]),
    }
}

/// A signal the thread sent itself, delivered on the way back from the call.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    /// Its index in [`SEND_CALLS`].
    pub call: usize,
    /// `$v0` (the call's number), `$a0`, `$a1`, `$a2` before the call.
    pub args: [u32; 4],
}

/// One delivery.
#[derive(Clone, Debug)]
pub struct SignalEvent {
    pub clk: u32,
    pub thread: u32,
    /// The signal, its `si_code`, and the call that sent it (`None` for a fault).
    pub sig: u32,
    pub code: u32,
    pub sent: Option<Sent>,
    /// The faulting instruction as the CPU dispatched it (a sent signal's `SYSCALL`:
    /// `aux` its `pc + 4`, the rest 0).
    pub op: Opcode,
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub aux: u32,
    /// The fault's address; a sent signal's `si_pid`.
    pub addr: u32,
    pub epc: u32,
    pub handler: u32,
    pub sp: u32,
    pub ss_sp: u32,
    pub ss_size: u32,
    pub frame: u32,
    /// Delivered from on the alternate stack (the frame below `$sp - 32`).
    pub onstack: bool,
    /// Per frame word: its value, what it held, the write; the second access (previous
    /// and new value); the mask row's third (the action's mask word).
    pub words: Vec<FrameWord>,
    /// The action's flags and handler, the LLbit (its previous value).
    pub sa_flags: u32,
    pub flags_acc: Access,
    pub handler_acc: Access,
    pub ll_prev: u32,
    pub ll_acc: Access,
    /// A pending signal's delivery after the call that unblocked it, or at a switch: the
    /// count of pending signals before, and its access.
    pub pend: Option<(u32, Access)>,
    /// Delivered at a switch to the thread (`clk` the leaving row's): a signal another
    /// thread sent it, which the sched chip hands over, with the thread's take word (1
    /// for kill's, 2 for tkill's and tgkill's); else 0.
    pub take: u32,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct FrameWord {
    pub value: u32,
    pub acc: Access,
    pub src: Option<(u32, u32, Access)>,
    pub act: Option<(u32, Access)>,
    /// A mask row of a pending signal's delivery: the pending set's word before, and the
    /// access that empties it.
    pub pend: Option<(u32, Access)>,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct SignalCols<T> {
    // The call's values, the same on every row of its block.
    pub is_real: T,
    pub clk: T,
    pub thread: T,
    pub frame: Word<T>,
    pub handler: Word<T>,
    pub epc: Word<T>,
    pub addr: [T; 2],
    pub ss_sp: Word<T>,
    pub ss_size: Word<T>,
    pub sp: Word<T>,
    /// The handler's `$a1` and `$a2`: `frame + 24`, `frame + 152` (the call row adds them).
    pub info: Word<T>,
    pub uc: Word<T>,
    /// A signal the thread sent itself (else a fault), its number, and the number's
    /// place in a mask: word `wsel`, byte `ksel`, bit `bsel` (one-hot each), with
    /// `kbv[k] = ksel[k] 2^bit`; its `si_code`; the sending call's `$v0`, `$a0..$a2`.
    pub sent: T,
    pub sig: T,
    pub wsel: [T; 4],
    pub ksel: [T; 4],
    pub bsel: [T; 8],
    pub kbv: [T; 4],
    pub code: Word<T>,
    pub args: [Word<T>; 4],
    // Main copies of the layout (for the messages, which read main columns only), and
    // of products with `sent`: a result row of a sent signal, the call row of a fault
    // and of a sent signal, a mask row's `wsel` of its word.
    pub fon: T,
    pub on2: T,
    pub on3: T,
    pub call: T,
    pub res_on: T,
    pub fcall: T,
    pub scall: T,
    pub wsel_here: T,
    /// A pending signal that the call (an `rt_sigprocmask`) unblocked, delivered on the way
    /// back from it; the call row of such a delivery, and its mask rows. The block's
    /// pending-set accesses (one per mask row: the signal's bit, then nothing) and the
    /// count of pending signals (before: the call row takes one off).
    pub pend: T,
    pub pcall: T,
    pub pon: T,
    /// A signal another thread sent, delivered at the switch to this one (the sched
    /// chip's `SCHED_TAKE` half); its call row, and whether it came with `tkill` or
    /// `tgkill` (`SI_TKILL`, else `kill`'s `SI_USER`) on that row. Its mask rows empty the
    /// pending set as a pending signal's do.
    pub take: T,
    pub tcall: T,
    pub tk: T,
    pub pprev: Word<T>,
    pub acc_pend: AccessCols<T>,
    pub count: T,
    pub acc_count: AccessCols<T>,
    /// The signal is a stop signal or SIGCONT, which a sent signal must not be.
    pub stopcont: T,
    // The frame word: address, value, what it held.
    pub faddr: T,
    pub fval: Word<T>,
    pub fprev: Word<T>,
    pub facc: AccessCols<T>,
    // The second access: its space and address, previous and new value.
    pub space2: T,
    pub addr2: T,
    pub rv: Word<T>,
    pub rn: Word<T>,
    pub acc2: AccessCols<T>,
    // The mask rows: the action's mask word, `old | act`, the new mask, the added bits.
    pub addr3: T,
    pub av: Word<T>,
    pub tmp: Word<T>,
    pub nb: Word<T>,
    pub bit: Word<T>,
    pub acc3: AccessCols<T>,
    // The call row: the sending call (kill, tkill, tgkill), or the faulting instruction.
    pub calls: [T; 3],
    pub ops: [T; 8],
    pub ia: Word<T>,
    pub ib: Word<T>,
    pub ic: Word<T>,
    pub aux: T,
    pub off: [T; 2],
    pub off_sign: T,
    pub acarry: Word<T>,
    pub q: T,
    pub o: [T; 2],
    // The frame's address and the handler's arguments.
    pub spm: Word<T>,
    pub spm_c: Word<T>,
    pub top: Word<T>,
    pub top_c: Word<T>,
    pub r: T,
    pub f0: T,
    pub fr_c: Word<T>,
    pub info_c: Word<T>,
    pub uc_c: Word<T>,
    // Off the alternate stack: `sp <= ss_sp` or `sp - 32 > ss_sp + ss_size`; or on it
    // (`onstack`, constant over the block): `ss_sp < sp - 32` and `sp <= ss_sp + ss_size`
    // (`sp + d2 = top`).
    pub above: T,
    pub d: Word<T>,
    pub d_c: Word<T>,
    pub onstack: T,
    pub d2: Word<T>,
    pub d2_c: Word<T>,
    pub size_inv: T,
    /// The action's `sa_flags`.
    pub sa_flags: Word<T>,
    pub ll_prev: T,
    pub acc_flags: AccessCols<T>,
    pub acc_handler: AccessCols<T>,
    pub acc_ll: AccessCols<T>,
}
columns!(SignalCols);

// Periodic columns.
const P_FRAME: usize = 0;
const P_K: usize = 1;
const P_C: usize = 2; // 4 bytes
const P_RV: usize = 6;
const P_EPC: usize = 7;
const P_ADDR: usize = 8;
const P_SRC: usize = 9;
const P_KSPACE: usize = 10;
const P_BASE2: usize = 11;
const P_STRIDE2: usize = 12;
const P_KEEP: usize = 13;
const P_N: usize = 14; // 4 bytes
const P_INFO: usize = 18;
const P_UC: usize = 19;
const P_NSP: usize = 20;
const P_NT9: usize = 21;
const P_MASK: usize = 22;
const P_ACT3: usize = 23;
const P_MI: usize = 24; // 4: the mask row of word i
const P_SP: usize = 28;
const P_SSSP: usize = 29;
const P_SSSZ: usize = 30;
const P_SIGNO: usize = 31;
const P_CALL: usize = 32;
const P_LAST: usize = 33;
const P_CODE: usize = 34;
const P_RES: usize = 35;
const P_SIG: usize = 36;
const P_ARG: usize = 37; // 4: $v0, $a0, $a1, $a2
const P_SSFL: usize = 41;
const P_COUNT: usize = 42;

/// The signal chip, with its periodic layout.
#[derive(Clone, Debug)]
pub struct SignalChip {
    periodic: Vec<Vec<Val>>,
}

impl Default for SignalChip {
    fn default() -> Self {
        SignalChip::new()
    }
}

fn bytes_of(v: u32) -> [u32; 4] {
    v.to_le_bytes().map(u32::from)
}

impl SignalChip {
    pub fn new() -> SignalChip {
        let mut p = vec![Val::zero_vec(BLOCK); P_COUNT];
        let f = Val::from_u32;
        for k in 0..FRAME_WORDS {
            let l = layout(k);
            p[P_FRAME][k] = Val::ONE;
            p[P_K][k] = f(k as u32);
            for (j, b) in bytes_of(l.konst).into_iter().enumerate() {
                p[P_C + j][k] = f(b);
            }
            p[P_RV][k] = Val::from_bool(l.from_src);
            p[P_EPC][k] = Val::from_bool(l.epc);
            p[P_ADDR][k] = Val::from_bool(l.addr);
            if let Some(src) = l.src {
                let (space, base, stride) = src.place();
                p[P_SRC][k] = Val::ONE;
                p[P_KSPACE][k] = Val::from_bool(space == SPACE_KERNEL);
                p[P_BASE2][k] = f(base);
                p[P_STRIDE2][k] = f(stride);
                match l.set {
                    Set::Keep => p[P_KEEP][k] = Val::ONE,
                    Set::Const(v) => {
                        for (j, b) in bytes_of(v).into_iter().enumerate() {
                            p[P_N + j][k] = f(b);
                        }
                    }
                    Set::Sig => p[P_SIG][k] = Val::ONE,
                    Set::Info => p[P_INFO][k] = Val::ONE,
                    Set::Uc => p[P_UC][k] = Val::ONE,
                    Set::Frame => p[P_NSP][k] = Val::ONE,
                    Set::Handler => p[P_NT9][k] = Val::ONE,
                    Set::Mask => p[P_MASK][k] = Val::ONE,
                }
            }
            if let Some(i) = l.mask {
                // The action's mask word i: KERNEL_ACTIONS + 6 (sig - 1) + 2 + i.
                p[P_ACT3][k] = f(KERNEL_ACTIONS - ACTION_WORDS + 2 + i);
                p[P_MI + i as usize][k] = Val::ONE;
            }
            p[P_SIGNO][k] = Val::from_bool(l.signo);
            p[P_CODE][k] = Val::from_bool(l.code);
            p[P_RES][k] = Val::from_bool(l.res);
            if let Some(j) = l.arg {
                p[P_ARG + j][k] = Val::ONE;
            }
            p[P_SP][k] = Val::from_bool(l.is_sp);
            p[P_SSSP][k] = Val::from_bool(l.is_ss_sp);
            p[P_SSSZ][k] = Val::from_bool(l.is_ss_size);
            p[P_SSFL][k] = Val::from_bool(l.ss_flags);
        }
        p[P_CALL][CALL_ROW] = Val::ONE;
        p[P_LAST][BLOCK - 1] = Val::ONE;
        SignalChip { periodic: p }
    }

    /// The trace: one block per delivery, padded with empty blocks to a power of two.
    pub fn generate_trace(
        &self,
        events: &[SignalEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        super::fill_blocks(events, BLOCK, SignalCols::<u8>::WIDTH, bytes, fill_signal)
    }
}

/// `x + y = z` byte by byte: the carries out of each byte.
fn carries(x: u32, y: u32) -> [Val; 4] {
    carries_of(bytes_of(x), bytes_of(y))
}

/// The carries of a byte-wise sum whose operands' "bytes" may reach 256.
fn carries_of(x: [u32; 4], y: [u32; 4]) -> [Val; 4] {
    let mut c = 0u32;
    std::array::from_fn(|k| {
        c = (x[k] + y[k] + c) >> 8;
        Val::from_u32(c)
    })
}

/// The lookups of [`range_low`].
fn range_low_counts(bytes: &mut ByteCounts, b: [u32; 4]) {
    bytes.range8x2(b[0], b[1]);
    bytes.range8x2(b[2], b[3]);
    bytes.range8x2(0x7eu32.wrapping_sub(b[3]), 0);
}

fn range_word(bytes: &mut ByteCounts, v: u32) {
    let b = bytes_of(v);
    bytes.range8x2(b[0], b[1]);
    bytes.range8x2(b[2], b[3]);
}

fn fill_signal(r: &mut SignalCols<Val>, ev: &SignalEvent, row: usize, bytes: &mut ByteCounts) {
    let f = Val::from_u32;
    let word = super::word;
    r.is_real = Val::ONE;
    r.clk = f(ev.clk);
    r.thread = f(ev.thread);
    r.frame = word(ev.frame);
    r.handler = word(ev.handler);
    r.epc = word(ev.epc);
    r.addr = [f(ev.addr & 0xff), f(ev.addr >> 8)];
    r.ss_sp = word(ev.ss_sp);
    r.ss_size = word(ev.ss_size);
    r.sp = word(ev.sp);
    r.info = word(ev.frame + FRAME_INFO);
    r.uc = word(ev.frame + FRAME_UC);
    let sent = ev.sent.is_some();
    r.sent = Val::from_bool(sent);
    r.pend = Val::from_bool(ev.pend.is_some() && ev.take == 0);
    r.take = Val::from_bool(ev.take != 0);
    r.onstack = Val::from_bool(ev.onstack);
    r.stopcont = Val::from_bool(super::send::stop_or_cont_sig(ev.sig));
    r.sig = f(ev.sig);
    let s1 = ev.sig - 1;
    (r.wsel, r.ksel, r.bsel, r.kbv) = place_values(ev.sig);
    r.code = word(ev.code);
    if let Some(s) = ev.sent {
        r.args = s.args.map(word);
    }
    if row < FRAME_WORDS {
        let l = layout(row);
        let fw = &ev.words[row];
        r.fon = Val::ONE;
        r.faddr = f(ev.frame / 4 + row as u32);
        r.fval = word(fw.value);
        r.fprev = word(fw.acc.prev);
        super::fill_access(&mut r.facc, &fw.acc, bytes);
        if let (Some(src), Some((prev, new, acc))) = (l.src, fw.src) {
            let (space, _, _) = src.place();
            r.on2 = Val::ONE;
            r.res_on = Val::from_bool(sent && l.res);
            r.space2 = f(space);
            r.addr2 = f(src.addr(ev.thread));
            r.rv = word(prev);
            r.rn = word(new);
            super::fill_access(&mut r.acc2, &acc, bytes);
        }
        if let (Some(i), Some((act, acc))) = (l.mask, fw.act) {
            let old = fw.src.map_or(0, |s| s.0);
            let bits = sig_bits(ev.sig, i);
            r.on3 = Val::ONE;
            r.wsel_here = Val::from_bool(s1 / 32 == i);
            r.addr3 = f(action_mask(ev.sig, i));
            r.av = word(act);
            r.tmp = word(old | act);
            r.nb = word(old | act | bits);
            r.bit = word(bits);
            super::fill_access(&mut r.acc3, &acc, bytes);
            if let Some((prev, acc)) = fw.pend {
                r.pon = Val::ONE;
                r.pprev = word(prev);
                super::fill_access(&mut r.acc_pend, &acc, bytes);
            }
            let (ob, ab, tb, bb) = (
                bytes_of(old),
                bytes_of(act),
                bytes_of(old | act),
                bytes_of(bits),
            );
            for j in 0..4 {
                bytes.add(ByteOp::Or, ob[j], ab[j]);
                bytes.add(ByteOp::Or, tb[j], bb[j]);
                if kept("signal.unblocked") {
                    bytes.add(ByteOp::And, ob[j], bb[j]);
                }
            }
        }
        return;
    }
    if row != CALL_ROW {
        return;
    }
    r.call = Val::ONE;
    r.aux = f(ev.aux);
    if let Some(s) = ev.sent {
        r.scall = Val::ONE;
        r.calls = std::array::from_fn(|i| Val::from_bool(i == s.call));
    } else if let Some((count, acc)) = ev.pend {
        if ev.take != 0 {
            r.tcall = Val::ONE;
            r.tk = Val::from_bool(ev.take == 2);
        } else {
            r.pcall = Val::ONE;
        }
        r.count = f(count);
        super::fill_access(&mut r.acc_count, &acc, bytes);
    } else {
        r.fcall = Val::ONE;
        for (flag, (op, _)) in r.ops.iter_mut().zip(FAULT_OPS) {
            *flag = Val::from_bool(op == ev.op);
        }
        r.ia = word(ev.a);
        r.ib = word(ev.b);
        r.ic = word(ev.c);
        let (lo, hi) = (ev.aux & 0xff, ev.aux >> 8);
        r.off = [f(lo), f(hi)];
        r.off_sign = f(hi >> 7);
        bytes.range8x2(lo, hi);
        bytes.add(ByteOp::Msb, hi, 0);
        let offset = ev.aux as u16 as i16 as i32 as u32;
        r.acarry = carries(ev.a, offset);
        let q = (ev.addr & 0xff) >> 2;
        r.q = f(q);
        r.o = [f(ev.addr & 1), f((ev.addr >> 1) & 1)];
        bytes.range8x2(q, 4 * q);
        bytes.range8x2(ev.addr >> 8, 0);
    }
    let eb = bytes_of(ev.epc);
    let hb = bytes_of(ev.handler);
    range_low_counts(bytes, eb);
    range_low_counts(bytes, hb);
    range_word(bytes, ev.sp);
    range_word(bytes, ev.ss_sp);
    range_word(bytes, ev.ss_size);
    let spm = ev.sp.wrapping_sub(32);
    r.spm = word(spm);
    r.spm_c = carries(spm, 32);
    range_word(bytes, spm);
    let top = ev.ss_sp.wrapping_add(ev.ss_size);
    r.top = word(top);
    r.top_c = carries(ev.ss_sp, ev.ss_size);
    range_word(bytes, top);
    let end = if ev.onstack { spm } else { top };
    let rr = end - FRAME_SIZE - ev.frame;
    r.r = f(rr);
    bytes.range8x2(rr, 32 * rr);
    let fb = bytes_of(ev.frame);
    r.f0 = f(fb[0] / 8);
    bytes.range8x2(fb[0] / 8, fb[0]);
    bytes.range8x2(fb[1], fb[2]);
    bytes.add(ByteOp::Msb, fb[3], 0);
    r.fr_c = carries(ev.frame, FRAME_SIZE + rr);
    r.info_c = carries(ev.frame, FRAME_INFO);
    range_word(bytes, ev.frame + FRAME_INFO);
    r.uc_c = carries(ev.frame, FRAME_UC);
    range_word(bytes, ev.frame + FRAME_UC);
    let above = !ev.onstack && spm > top;
    r.above = Val::from_bool(above);
    let over = above || ev.onstack;
    let (x, y) = if above {
        (spm, top)
    } else if ev.onstack && kept("signal.onstack_room") {
        (ev.sp.wrapping_sub(FRAME_SIZE), ev.ss_sp)
    } else if ev.onstack {
        (spm, ev.ss_sp)
    } else {
        (ev.ss_sp, ev.sp)
    };
    let d = x.wrapping_sub(y).wrapping_sub(over as u32);
    r.d = word(d);
    let mut db = bytes_of(d);
    db[0] += over as u32;
    r.d_c = carries_of(bytes_of(y), db);
    range_word(bytes, d);
    if ev.onstack {
        let d2 = top.wrapping_sub(ev.sp);
        r.d2 = word(d2);
        r.d2_c = carries(ev.sp, d2);
        range_word(bytes, d2);
    }
    let size_sum: u32 = bytes_of(ev.ss_size).iter().sum();
    r.size_inv = f(size_sum).try_inverse().unwrap_or(Val::ZERO);
    r.sa_flags = word(ev.sa_flags);
    r.ll_prev = f(ev.ll_prev);
    super::fill_access(&mut r.acc_flags, &ev.flags_acc, bytes);
    super::fill_access(&mut r.acc_handler, &ev.handler_acc, bytes);
    super::fill_access(&mut r.acc_ll, &ev.ll_acc, bytes);
}

impl BaseAir<Val> for SignalChip {
    fn width(&self) -> usize {
        SignalCols::<u8>::WIDTH
    }
    fn num_periodic_columns(&self) -> usize {
        P_COUNT
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
}

/// `x + y = z` modulo nothing: byte by byte with the carries `c` (boolean), no carry out
/// of the top byte, where `when` is 1.
fn add_bytes<AB: AirBuilder>(
    b: &mut AB,
    when: Expr<AB>,
    x: [Expr<AB>; 4],
    y: [Expr<AB>; 4],
    z: [Expr<AB>; 4],
    c: &Word<AB::Var>,
) {
    for k in 0..4 {
        let cin = if k == 0 {
            Expr::<AB>::ZERO
        } else {
            c[k - 1].into()
        };
        b.assert_zero(
            when.clone()
                * (x[k].clone() + y[k].clone() + cin
                    - z[k].clone()
                    - c[k].into() * Expr::<AB>::from_u32(256)),
        );
        b.assert_bool(c[k]);
    }
    b.assert_zero(when * c[3].into());
}

/// Range-checks the four bytes of `w`.
fn range_bytes<AB: InteractionBuilder>(b: &mut AB, w: &Word<AB::Var>, count: Expr<AB>) {
    bus::range8x2(b, w[0], w[1], count.clone());
    bus::range8x2(b, w[2], w[3], count);
}

/// `w`'s value as a field element, exact when its top byte is below 0x7f.
fn value<AB: AirBuilder>(w: &Word<AB::Var>) -> Expr<AB> {
    bus::word_value::<AB>(w)
}

/// Range-checks the four bytes of `w` and `w[3] <= 0x7e`, so that its value is exact and
/// its bytes the only ones with that value. (Without the check of `w[3]` itself, a "byte"
/// `p - 127` would pass `0x7e - w[3]` and give an address a second decomposition, whose
/// limbs a later byte load could read; found by review.)
fn range_low<AB: InteractionBuilder>(b: &mut AB, w: &Word<AB::Var>, count: Expr<AB>) {
    range_bytes(b, w, count.clone());
    bus::range8x2(
        b,
        Expr::<AB>::from_u32(0x7e) - w[3].into(),
        Expr::<AB>::ZERO,
        count,
    );
}

impl SignalChip {
    /// The call row of a signal the thread sent itself: `kill(PID, sig)` from the main
    /// thread, `tkill(tid, sig)` or `tgkill(PID, tid, sig)` with `tid` its own (Linux then
    /// makes the signal pending for it, and delivers it on the way back from the call, as
    /// it does not block it), succeeding: `$v0` and `$a3` are 0 (the register rows), and
    /// `siginfo` says who sent it (`si_code` `SI_USER` or `SI_TKILL`, `si_pid` the
    /// process, `si_uid` 0).
    fn eval_sent<AB: InteractionBuilder<F = Val>>(&self, b: &mut AB, l: &SignalCols<AB::Var>) {
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let scall = e(l.scall);
        let [k, tk, tg] = l.calls.map(e);
        for f in l.calls {
            b.assert_bool(f);
        }
        b.assert_zero(k.clone() + tk.clone() + tg.clone() - scall.clone());
        // A value of two bytes (the words' other bytes are held to 0): exact.
        let num = |w: &Word<AB::Var>| e(w[0]) + e(w[1]) * c(256);
        let a = &l.args;
        if kept("signal.sent_call") {
            b.assert_zero(
                scall.clone()
                    * (num(&a[0])
                        - k.clone() * c(SYS_KILL)
                        - tk.clone() * c(SYS_TKILL)
                        - tg.clone() * c(SYS_TGKILL)),
            );
        }
        let tid = c(super::syscall::FIRST_TID) + e(l.thread);
        // kill to the process: Linux offers the signal first to the main thread, which
        // takes it whenever it does not block it and runs (a sender that is the main
        // thread does; a signal pending for it in a proof is blocked, so it has nothing
        // else to take), so the sender takes it at once only as the main thread.
        b.assert_zero(k.clone() * e(l.thread));
        if kept("signal.target") {
            b.assert_zero((k.clone() + tg.clone()) * (num(&a[1]) - c(PID)));
            b.assert_zero(tk.clone() * (num(&a[1]) - tid.clone()));
            b.assert_zero(tg.clone() * (num(&a[2]) - tid));
        }
        for j in 2..4 {
            b.assert_zero(scall.clone() * e(a[0][j]));
            b.assert_zero(scall.clone() * e(a[1][j]));
            b.assert_zero(tg.clone() * e(a[2][j]));
        }
        // The signal: `$a1` of kill and tkill, `$a2` of tgkill.
        if kept("signal.sent_sig") {
            b.assert_zero(
                (k.clone() + tk.clone()) * (e(a[2][0]) - e(l.sig))
                    + tg.clone() * (e(a[3][0]) - e(l.sig)),
            );
        }
        for j in 1..4 {
            b.assert_zero((k.clone() + tk.clone()) * e(a[2][j]) + tg.clone() * e(a[3][j]));
        }
        // siginfo: si_code, and si_pid (in the fault's si_addr columns).
        if kept("signal.sent_info") {
            for (j, byte) in SI_TKILL.to_le_bytes().into_iter().enumerate() {
                b.assert_zero(
                    scall.clone() * (e(l.code[j]) - (tk.clone() + tg.clone()) * c(byte as u32)),
                );
            }
            b.assert_zero(scall.clone() * (e(l.addr[0]) - c(PID & 0xff)));
            b.assert_zero(scall * (e(l.addr[1]) - c(PID >> 8)));
        }
    }
}

impl SignalChip {
    /// The call row of a pending signal's delivery after the call that unblocked it (an
    /// `rt_sigprocmask`, whose chip sends the `pending` message and returned 0 in `$v0`
    /// and `$a3` before this block's accesses): it takes the call's leaving half of the
    /// `sched` messages (where the thread resumes, `pc + 4`), its `siginfo` is that of
    /// `tkill` or `tgkill` (the only sends that leave a signal pending in a proof:
    /// `SI_TKILL`, `si_pid` the process, `si_uid` 0), and the count of pending signals
    /// goes down by one (the mask rows empty the thread's set).
    fn eval_pending<AB: InteractionBuilder<F = Val>>(
        &self,
        b: &mut AB,
        l: &SignalCols<AB::Var>,
        ts: Expr<AB>,
    ) {
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let pcall = e(l.pcall);
        let tcall = e(l.tcall);
        b.push_interaction(
            PENDING,
            [e(l.clk), e(l.thread)],
            Count::bounded(-pcall.clone(), 1),
        );
        // (At a switch, `SI_TKILL` for tkill's and tgkill's, `SI_USER` 0 for kill's, as
        // the sched chip's kind says.)
        b.assert_bool(l.tk);
        b.assert_zero(e(l.tk) * (Expr::<AB>::ONE - tcall.clone()));
        for (j, byte) in SI_TKILL.to_le_bytes().into_iter().enumerate() {
            b.assert_zero(pcall.clone() * (e(l.code[j]) - c(byte as u32)));
            if kept("signal.take_info") {
                b.assert_zero(tcall.clone() * e(l.code[j]) - e(l.tk) * c(byte as u32));
            }
        }
        let pt = pcall + tcall;
        b.assert_zero(pt.clone() * (e(l.addr[0]) - c(PID & 0xff)));
        b.assert_zero(pt.clone() * (e(l.addr[1]) - c(PID >> 8)));
        access(
            b,
            pt,
            c(SPACE_KERNEL),
            c(KERNEL_PENDING),
            [e(l.count), c(0), c(0), c(0)],
            [e(l.count) - Expr::<AB>::ONE, c(0), c(0), c(0)],
            ts,
            &l.acc_count,
        );
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for SignalChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &SignalCols<AB::Var> = main.current_slice().borrow();
        let n: &SignalCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let p: Vec<Expr<AB>> = b.periodic_values().iter().map(|&v| v.into()).collect();
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let words = |w: &Word<AB::Var>| -> [Expr<AB>; 4] { w.map(Into::into) };
        let konst = |v: u32| -> [Expr<AB>; 4] { v.to_le_bytes().map(|x| c(x as u32)) };
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);

        // The layout's main copies.
        b.assert_eq(l.fon, is_real.clone() * p[P_FRAME].clone());
        b.assert_eq(l.on2, is_real.clone() * p[P_SRC].clone());
        b.assert_eq(l.on3, is_real.clone() * p[P_MASK].clone());
        b.assert_eq(l.call, is_real.clone() * p[P_CALL].clone());
        b.assert_bool(l.sent);
        b.assert_zero(e(l.sent) * (Expr::<AB>::ONE - is_real.clone()));
        b.assert_eq(l.res_on, e(l.sent) * p[P_RES].clone());
        b.assert_eq(l.scall, e(l.call) * e(l.sent));
        b.assert_bool(l.pend);
        b.assert_zero(e(l.pend) * (Expr::<AB>::ONE - is_real.clone() + e(l.sent)));
        b.assert_eq(l.pcall, e(l.call) * e(l.pend));
        b.assert_bool(l.take);
        b.assert_zero(e(l.take) * (Expr::<AB>::ONE - is_real.clone() + e(l.sent) + e(l.pend)));
        b.assert_eq(l.tcall, e(l.call) * e(l.take));
        b.assert_eq(l.pon, e(l.on3) * (e(l.pend) + e(l.take)));
        b.assert_eq(l.fcall, e(l.call) - e(l.scall) - e(l.pcall) - e(l.tcall));
        {
            let mut here = Expr::<AB>::ZERO;
            for i in 0..4 {
                here += p[P_MI + i].clone() * e(l.wsel[i]);
            }
            b.assert_eq(l.wsel_here, here);
        }
        // One delivery per block: its values are the same on every row of it.
        {
            let same = Expr::<AB>::ONE - p[P_LAST].clone();
            let mut pairs = vec![
                (n.is_real, l.is_real),
                (n.clk, l.clk),
                (n.thread, l.thread),
                (n.sent, l.sent),
                (n.pend, l.pend),
                (n.take, l.take),
                (n.onstack, l.onstack),
                (n.sig, l.sig),
            ];
            for (x, y) in [
                (&n.wsel[..], &l.wsel[..]),
                (&n.ksel[..], &l.ksel[..]),
                (&n.bsel[..], &l.bsel[..]),
                (&n.kbv[..], &l.kbv[..]),
                (&n.code[..], &l.code[..]),
            ] {
                pairs.extend(x.iter().copied().zip(y.iter().copied()));
            }
            for j in 0..4 {
                pairs.extend(n.args[j].iter().copied().zip(l.args[j].iter().copied()));
            }
            for (x, y) in [
                (&n.frame, &l.frame),
                (&n.handler, &l.handler),
                (&n.epc, &l.epc),
                (&n.ss_sp, &l.ss_sp),
                (&n.ss_size, &l.ss_size),
                (&n.sp, &l.sp),
                (&n.info, &l.info),
                (&n.uc, &l.uc),
            ] {
                pairs.extend(x.iter().copied().zip(y.iter().copied()));
            }
            pairs.extend(n.addr.iter().copied().zip(l.addr.iter().copied()));
            let mut t = b.when_transition();
            for (x, y) in pairs {
                t.assert_zero(same.clone() * (e(x) - e(y)));
            }
        }

        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        // The frame's word address: frame = 8 f0 + 2^8 frame[1] + ..., below 2^31 (the
        // call row's checks; frame[0] / 4 is exact, as frame[0] is a multiple of 8).
        let quarter = Expr::<AB>::from(Val::from_u32(4).inverse());
        let frame_w = e(l.frame[0]) * quarter.clone()
            + e(l.frame[1]) * c(1 << 6)
            + e(l.frame[2]) * c(1 << 14)
            + e(l.frame[3]) * c(1 << 22);
        let fon = e(l.fon);

        // The frame word.
        b.assert_zero(fon.clone() * (e(l.faddr) - frame_w - p[P_K].clone()));
        if kept("signal.frame") {
            for k in 0..4 {
                // (A sent signal's result rows save 0, the call's success.)
                let mut want = p[P_C + k].clone() + p[P_RV].clone() * e(l.rv[k])
                    - e(l.res_on) * e(l.rv[k])
                    + p[P_EPC].clone() * e(l.epc[k])
                    + p[P_CODE].clone() * e(l.code[k]);
                if k == 0 {
                    want += p[P_SIGNO].clone() * e(l.sig) + p[P_SSFL].clone() * e(l.onstack);
                }
                if k < 2 {
                    want += p[P_ADDR].clone() * e(l.addr[k]);
                }
                b.assert_zero(fon.clone() * (e(l.fval[k]) - want));
            }
        }
        access(
            b,
            fon.clone(),
            c(SPACE_MEM),
            e(l.faddr),
            words(&l.fprev),
            words(&l.fval),
            ts.clone(),
            &l.facc,
        );

        // The second access: a register of the thread, or a kernel word of it.
        let on2 = e(l.on2);
        b.assert_zero(
            on2.clone()
                * (e(l.space2) - c(SPACE_REG) - p[P_KSPACE].clone() * c(SPACE_KERNEL - SPACE_REG)),
        );
        b.assert_zero(
            on2.clone() * (e(l.addr2) - p[P_BASE2].clone() - e(l.thread) * p[P_STRIDE2].clone()),
        );
        if kept("signal.handler_regs") {
            for k in 0..4 {
                let mut want = p[P_KEEP].clone() * e(l.rv[k]) - e(l.res_on) * e(l.rv[k])
                    + p[P_N + k].clone()
                    + p[P_INFO].clone() * e(l.info[k])
                    + p[P_UC].clone() * e(l.uc[k])
                    + p[P_NSP].clone() * e(l.frame[k])
                    + p[P_NT9].clone() * e(l.handler[k])
                    + p[P_MASK].clone() * e(l.nb[k]);
                if k == 0 {
                    want += p[P_SIG].clone() * e(l.sig);
                }
                b.assert_zero(on2.clone() * (e(l.rn[k]) - want));
            }
        }
        // A sent signal: the registers hold the sending call's number and arguments.
        if kept("signal.sent_args") {
            for j in 0..4 {
                for k in 0..4 {
                    b.assert_zero(
                        e(l.sent) * p[P_ARG + j].clone() * (e(l.rv[k]) - e(l.args[j][k])),
                    );
                }
            }
        }
        for k in 0..4 {
            b.assert_zero(on2.clone() * p[P_SP].clone() * (e(l.rv[k]) - e(l.sp[k])));
            b.assert_zero(on2.clone() * p[P_SSSP].clone() * (e(l.rv[k]) - e(l.ss_sp[k])));
            b.assert_zero(on2.clone() * p[P_SSSZ].clone() * (e(l.rv[k]) - e(l.ss_size[k])));
        }
        access(
            b,
            on2,
            e(l.space2),
            e(l.addr2),
            words(&l.rv),
            words(&l.rn),
            ts.clone(),
            &l.acc2,
        );

        // The mask rows: the action's mask word, the signal's bits in this word (`kbv` in
        // its word, zero in the others), and the new mask `old | act | bit`. The signal
        // was not blocked (`old & bit = 0`): Linux kills the process for a blocked fault,
        // and keeps a blocked sent signal pending (not proved yet).
        let on3 = e(l.on3);
        b.assert_zero(on3.clone() * (e(l.addr3) - p[P_ACT3].clone() - c(ACTION_WORDS) * e(l.sig)));
        for k in 0..4 {
            b.assert_zero(on3.clone() * (e(l.bit[k]) - e(l.wsel_here) * e(l.kbv[k])));
            bus::byte(b, ByteOp::Or, l.rv[k], l.av[k], l.tmp[k], on3.clone());
            bus::byte(b, ByteOp::Or, l.tmp[k], l.bit[k], l.nb[k], on3.clone());
            if kept("signal.unblocked") {
                bus::byte(
                    b,
                    ByteOp::And,
                    l.rv[k],
                    l.bit[k],
                    Expr::<AB>::ZERO,
                    on3.clone(),
                );
            }
        }
        access(
            b,
            on3,
            c(SPACE_KERNEL),
            e(l.addr3),
            words(&l.av),
            words(&l.av),
            ts.clone(),
            &l.acc3,
        );
        // A pending signal's delivery: the thread's pending set held exactly its bit (the
        // mask row's word of the set: `bit` in its word, zero in the others), and is empty
        // now. (The second access's address is the mask word's: the set is its offset.)
        if kept("signal.pending") {
            for k in 0..4 {
                b.assert_zero(e(l.pon) * (e(l.pprev[k]) - e(l.bit[k])));
            }
        }
        access(
            b,
            e(l.pon),
            c(SPACE_KERNEL),
            e(l.addr2) + c(THREAD_PENDING - THREAD_MASK),
            words(&l.pprev),
            konst(0),
            ts.clone(),
            &l.acc_pend,
        );

        // The call row: a signal number's place (one-hot word, byte and bit), and the
        // cause. A fault: one of the loads and stores, received under its fault opcode,
        // delivering SIGSEGV; a sent signal: the SYSCALL of kill, tkill or tgkill.
        let call = e(l.call);
        let fcall = e(l.fcall);
        let scall = e(l.scall);
        {
            let pl = place(b, &l.wsel, &l.ksel, &l.bsel);
            for n in pl.sums {
                b.assert_zero(call.clone() * (n - Expr::<AB>::ONE));
            }
            b.assert_zero(call.clone() * (e(l.sig) - pl.sig));
            for k in 0..4 {
                b.assert_zero(call.clone() * (e(l.kbv[k]) - e(l.ksel[k]) * pl.bit.clone()));
            }
        }
        self.eval_sent(b, &l);
        // A stop signal or SIGCONT flushes the other kind from every thread's pending
        // set when it is sent (Linux's `prepare_signal`), which the proof does not
        // follow: not sent.
        b.assert_eq(
            l.stopcont,
            super::send::stop_or_cont::<AB>(&l.wsel, &l.ksel, &l.bsel),
        );
        if kept("signal.stopcont") {
            b.assert_zero(e(l.sent) * e(l.stopcont));
        }
        b.assert_zero(fcall.clone() * (e(l.sig) - c(SIGSEGV)));
        for (k, want) in konst(SEGV_MAPERR).into_iter().enumerate() {
            b.assert_zero(fcall.clone() * (e(l.code[k]) - want));
        }
        let mut sum = Expr::<AB>::ZERO;
        let mut op = Expr::<AB>::ZERO;
        let mut word_ops = Expr::<AB>::ZERO;
        let mut half_ops = Expr::<AB>::ZERO;
        for (flag, (code, align)) in l.ops.iter().zip(FAULT_OPS) {
            b.assert_bool(*flag);
            sum += e(*flag);
            op += e(*flag) * c(code as u32 + bus::FAULT_OP);
            match align {
                4 => word_ops += e(*flag),
                2 => half_ops += e(*flag),
                _ => {}
            }
        }
        b.assert_zero(sum - fcall.clone());
        op += scall.clone() * c(Opcode::Syscall as u32);
        self.eval_pending(b, &l, ts.clone());
        super::receive_instr_exprs(
            b,
            op,
            e(l.clk),
            e(l.thread),
            words(&l.ia),
            words(&l.ib),
            words(&l.ic),
            e(l.aux),
            fcall.clone() + scall.clone(),
        );
        for w in [&l.ia, &l.ib, &l.ic] {
            for &x in w.iter() {
                b.assert_zero((scall.clone() + e(l.pcall) + e(l.tcall)) * e(x));
            }
        }
        // Its address, a + sext(offset), is below 2^16 (its bytes 2 and 3 are 0), and
        // aligned: addr[0] = 4 q + o0 + 2 o1.
        b.assert_zero(fcall.clone() * (e(l.aux) - e(l.off[0]) - e(l.off[1]) * c(256)));
        bus::range8x2(b, l.off[0], l.off[1], fcall.clone());
        bus::byte(
            b,
            ByteOp::Msb,
            l.off[1],
            l.off_sign,
            Expr::<AB>::ZERO,
            fcall.clone(),
        );
        let ext = e(l.off_sign) * c(255);
        let addr0 = e(l.q) * c(4) + e(l.o[0]) + e(l.o[1]) * c(2);
        {
            let off = [e(l.off[0]), e(l.off[1]), ext.clone(), ext];
            let addr = [addr0.clone(), e(l.addr[1]), c(0), c(0)];
            for k in 0..4 {
                let cin = if k == 0 {
                    Expr::<AB>::ZERO
                } else {
                    e(l.acarry[k - 1])
                };
                b.assert_zero(
                    fcall.clone()
                        * (e(l.ia[k]) + off[k].clone() + cin
                            - addr[k].clone()
                            - e(l.acarry[k]) * c(256)),
                );
                b.assert_bool(l.acarry[k]);
            }
        }
        b.assert_zero(fcall.clone() * (e(l.addr[0]) - addr0));
        bus::range8x2(b, l.q, e(l.q) * c(4), fcall.clone());
        bus::range8x2(b, l.addr[1], Expr::<AB>::ZERO, fcall.clone());
        b.assert_bool(l.o[0]);
        b.assert_bool(l.o[1]);
        b.assert_zero(word_ops * (e(l.o[0]) + e(l.o[1])));
        b.assert_zero(half_ops * e(l.o[0]));

        // The fault's half of the `sched` messages, and the handler's first row.
        range_low(b, &l.epc, call.clone());
        range_low(b, &l.handler, call.clone());
        let epc = value::<AB>(&l.epc);
        let handler = value::<AB>(&l.handler);
        // A sent signal's call row takes the SYSCALL's leaving half (where its thread
        // resumes: `pc + 4`, as the CPU holds a SYSCALL out of delay slots, so `epc` needs
        // no check of its own), a fault the fault's, a signal taken at a switch the sched
        // chip's half in place of the new thread's start (`epc` where the thread was to
        // resume, with `epc + 4` after it: a thread switched out in a delay slot cannot
        // take it there, as the VM defers it by an instruction).
        b.push_interaction(
            SCHED,
            [
                fcall.clone() * c(SCHED_FAULT)
                    + (scall.clone() + e(l.pcall)) * c(SCHED_LEAVE)
                    + e(l.tcall) * c(SCHED_TAKE)
                    + e(l.tk),
                e(l.clk),
                e(l.thread),
                epc.clone(),
                epc + c(4),
            ],
            Count::bounded(-call.clone(), 1),
        );
        b.push_interaction(
            SCHED,
            [
                c(SCHED_RESUME),
                e(l.clk) + Expr::<AB>::ONE,
                e(l.thread),
                handler.clone(),
                handler + c(4),
            ],
            Count::bounded(-call.clone(), 1),
        );

        // The action: Go's flags exactly, and the handler (no ROM entry lies at SIG_DFL
        // 0 or SIG_IGN 1, so the handler's first row could not be fetched from either).
        if kept("signal.flags") {
            for (k, want) in konst(GO_SA_FLAGS).into_iter().enumerate() {
                b.assert_zero(call.clone() * (e(l.sa_flags[k]) - want));
            }
        }
        access(
            b,
            call.clone(),
            c(SPACE_KERNEL),
            c(KERNEL_ACTIONS - ACTION_WORDS) + c(ACTION_WORDS) * e(l.sig),
            words(&l.sa_flags),
            words(&l.sa_flags),
            ts.clone(),
            &l.acc_flags,
        );
        access(
            b,
            call.clone(),
            c(SPACE_KERNEL),
            c(KERNEL_ACTIONS - ACTION_WORDS + 1) + c(ACTION_WORDS) * e(l.sig),
            words(&l.handler),
            words(&l.handler),
            ts.clone(),
            &l.acc_handler,
        );
        // The LLbit is cleared.
        access(
            b,
            call.clone(),
            c(SPACE_REG),
            e(l.thread) * c(REG_STRIDE) + c(REG_LLBIT as u32),
            [e(l.ll_prev), c(0), c(0), c(0)],
            konst(0),
            ts,
            &l.acc_ll,
        );

        // The frame: on the alternate stack, which is not empty, and off which `$sp`
        // and `$sp - 32` lie; `frame + 784 + r = ss_sp + ss_size`, `r < 8`, frame a
        // multiple of 8 below 2^31.
        range_bytes(b, &l.sp, call.clone());
        range_bytes(b, &l.ss_sp, call.clone());
        range_bytes(b, &l.ss_size, call.clone());
        let size_sum = l.ss_size.iter().fold(Expr::<AB>::ZERO, |a, &x| a + e(x));
        b.assert_zero(call.clone() * (size_sum * e(l.size_inv) - Expr::<AB>::ONE));
        range_bytes(b, &l.spm, call.clone());
        add_bytes(
            b,
            call.clone(),
            words(&l.spm),
            konst(32),
            words(&l.sp),
            &l.spm_c,
        );
        range_bytes(b, &l.top, call.clone());
        add_bytes(
            b,
            call.clone(),
            words(&l.ss_sp),
            words(&l.ss_size),
            words(&l.top),
            &l.top_c,
        );
        b.assert_zero(call.clone() * (e(l.frame[0]) - e(l.f0) * c(8)));
        bus::range8x2(b, l.f0, l.frame[0], call.clone());
        bus::range8x2(b, l.frame[1], l.frame[2], call.clone());
        bus::byte(
            b,
            ByteOp::Msb,
            l.frame[3],
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            call.clone(),
        );
        bus::range8x2(b, l.r, e(l.r) * c(32), call.clone());
        let size = konst(FRAME_SIZE);
        // Off the stack the frame ends at its top, on it 32 bytes below `$sp`.
        let onstack = e(l.onstack);
        b.assert_bool(l.onstack);
        let frame_end: [Expr<AB>; 4] =
            std::array::from_fn(|k| e(l.top[k]) + onstack.clone() * (e(l.spm[k]) - e(l.top[k])));
        add_bytes(
            b,
            call.clone(),
            words(&l.frame),
            [
                size[0].clone() + e(l.r),
                size[1].clone(),
                size[2].clone(),
                size[3].clone(),
            ],
            frame_end,
            &l.fr_c,
        );
        {
            // Off the stack, above it: top + 1 + d = sp - 32; below it: sp + d = ss_sp.
            // On it: ss_sp + 1 + d = sp - 784 (= frame + r + 32: the whole frame fits on
            // the stack, or Linux's `get_sigframe` forces SIGSEGV), and sp + d2 = top.
            let above = e(l.above);
            b.assert_bool(l.above);
            b.assert_zero(above.clone() * onstack.clone());
            let over = above.clone() + onstack.clone();
            let below = Expr::<AB>::ONE - over.clone();
            let low: [Expr<AB>; 4] = if kept("signal.onstack_room") {
                [
                    e(l.frame[0]) + e(l.r) + c(32),
                    e(l.frame[1]),
                    e(l.frame[2]),
                    e(l.frame[3]),
                ]
            } else {
                words(&l.spm)
            };
            let big: [Expr<AB>; 4] = std::array::from_fn(|k| {
                above.clone() * e(l.spm[k])
                    + onstack.clone() * low[k].clone()
                    + below.clone() * e(l.ss_sp[k])
            });
            let small: [Expr<AB>; 4] = std::array::from_fn(|k| {
                above.clone() * e(l.top[k])
                    + onstack.clone() * e(l.ss_sp[k])
                    + below.clone() * e(l.sp[k])
            });
            let d = [e(l.d[0]) + over, e(l.d[1]), e(l.d[2]), e(l.d[3])];
            range_bytes(b, &l.d, call.clone());
            add_bytes(b, call.clone(), small, d, big, &l.d_c);
            range_bytes(b, &l.d2, call.clone() * onstack.clone());
            add_bytes(
                b,
                call.clone() * onstack,
                words(&l.sp),
                words(&l.d2),
                words(&l.top),
                &l.d2_c,
            );
        }
        // The handler's arguments.
        range_bytes(b, &l.info, call.clone());
        add_bytes(
            b,
            call.clone(),
            words(&l.frame),
            konst(FRAME_INFO),
            words(&l.info),
            &l.info_c,
        );
        range_bytes(b, &l.uc, call.clone());
        add_bytes(
            b,
            call,
            words(&l.frame),
            konst(FRAME_UC),
            words(&l.uc),
            &l.uc_c,
        );
        // Unused cells: off the frame rows faddr, fval, fprev and the second and third
        // accesses' columns, off the call row its own, are in no message with a non-zero
        // count and in no constraint whose selector is not zero there; the trace
        // generator leaves them zero. `ib` and `ic` are the CPU's operand and answer as it
        // dispatched them: the CPU constrains them (`ic` is the register's old value).
        // Padding blocks have is_real 0 and send nothing.
    }
}

// ---------------------------------------------------------------------------------------
// The return.

/// A return row's frame word, its read, and its second access (previous and new value).
pub type RetWord = (u32, Access, Option<(u32, u32, Access)>);

/// One `rt_sigreturn`.
#[derive(Clone, Debug)]
pub struct SigreturnEvent {
    /// The delay slot's row (the last before the return).
    pub clk: u32,
    pub thread: u32,
    pub sp: u32,
    pub pc: u32,
    /// Per row of the layout: the frame word read, and the second access (previous and
    /// new value).
    pub words: Vec<RetWord>,
    pub ll_prev: u32,
    pub ll_acc: Access,
    /// The thread's pending set, word by word (read by the mask rows).
    pub pending: [(u32, Access); 4],
}

/// What a return row does with its frame word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// `sc_pc`: where the thread resumes.
    Pc,
    /// Restores register `r` (1 to 31, HI, LO).
    Reg(u32),
    /// Restores mask word `i` (less SIGKILL and SIGSTOP).
    Mask(u32),
    /// `uc_stack`'s `ss_sp` and `ss_size`: must be the thread's alternate stack.
    Stack(u32),
    /// `uc_stack`'s flags: 0 or `SS_ONSTACK`.
    Flags,
}

/// The return's rows: (frame word, what it does).
pub fn ret_layout() -> Vec<(usize, Ret)> {
    let mut v = vec![(W_PC, Ret::Pc)];
    v.extend((1..32).map(|r| (w_reg(r), Ret::Reg(r as u32))));
    v.push((W_HI, Ret::Reg(REG_HI as u32)));
    v.push((W_LO, Ret::Reg(REG_LO as u32)));
    v.extend((0..4).map(|i| (W_MASK + i, Ret::Mask(i as u32))));
    v.push((W_SS_SP, Ret::Stack(0)));
    v.push((W_SS_SIZE, Ret::Stack(1)));
    v.push((W_SS_FLAGS, Ret::Flags));
    v
}

/// The bits of mask word `i` a thread keeps (all but SIGKILL's and SIGSTOP's).
pub fn mask_keep(i: u32) -> u32 {
    if i == 0 {
        !((1 << (9 - 1)) | (1 << (23 - 1)))
    } else {
        u32::MAX
    }
}

impl Ret {
    /// The second access: its place.
    pub fn src(self) -> Option<Src> {
        match self {
            Ret::Pc | Ret::Flags => None,
            Ret::Reg(r) => Some(Src::Reg(r)),
            Ret::Mask(i) => Some(Src::Kernel(THREAD_MASK + i)),
            Ret::Stack(i) => Some(Src::Kernel(THREAD_ALTSTACK + i)),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct SigreturnCols<T> {
    pub is_real: T,
    pub clk: T,
    pub thread: T,
    pub sp: Word<T>,
    pub pc: Word<T>,
    pub fon: T,
    pub on2: T,
    pub mon: T,
    pub call: T,
    pub faddr: T,
    pub fv: Word<T>,
    pub facc: AccessCols<T>,
    pub space2: T,
    pub addr2: T,
    pub prev2: Word<T>,
    pub new2: Word<T>,
    pub acc2: AccessCols<T>,
    pub keep: Word<T>,
    /// Mask rows: the word of the thread's pending set, which the restored mask must
    /// still block.
    pub pv: Word<T>,
    pub acc3: AccessCols<T>,
    /// Call row: `sp = 4 q + ...`, the leaving half's `next_pc` (-1 + 4), the LLbit.
    pub q: T,
    pub leave_next: T,
    pub ll_prev: T,
    pub acc_ll: AccessCols<T>,
}
columns!(SigreturnCols);

const R_FRAME: usize = 0;
const R_K: usize = 1;
const R_PC: usize = 2;
const R_SRC: usize = 3;
const R_KSPACE: usize = 4;
const R_BASE2: usize = 5;
const R_STRIDE2: usize = 6;
const R_COPY: usize = 7;
const R_MASK: usize = 8;
const R_KEEP: usize = 9; // 4 bytes
const R_READ: usize = 13;
const R_SP: usize = 14;
const R_FLAGS: usize = 15;
const R_CALL: usize = 16;
const R_LAST: usize = 17;
const R_COUNT: usize = 18;

/// The sigreturn chip, with its periodic layout.
#[derive(Clone, Debug)]
pub struct SigreturnChip {
    periodic: Vec<Vec<Val>>,
}

impl Default for SigreturnChip {
    fn default() -> Self {
        SigreturnChip::new()
    }
}

impl SigreturnChip {
    pub fn new() -> SigreturnChip {
        let mut p = vec![Val::zero_vec(RET_BLOCK); R_COUNT];
        let f = Val::from_u32;
        let rows = ret_layout();
        for (row, &(k, what)) in rows.iter().enumerate() {
            p[R_FRAME][row] = Val::ONE;
            p[R_K][row] = f(k as u32);
            if let Some(src) = what.src() {
                let (space, base, stride) = src.place();
                p[R_SRC][row] = Val::ONE;
                p[R_KSPACE][row] = Val::from_bool(space == SPACE_KERNEL);
                p[R_BASE2][row] = f(base);
                p[R_STRIDE2][row] = f(stride);
            }
            match what {
                Ret::Pc => p[R_PC][row] = Val::ONE,
                Ret::Reg(r) => {
                    p[R_COPY][row] = Val::ONE;
                    p[R_SP][row] = Val::from_bool(r == 29);
                }
                Ret::Mask(i) => {
                    p[R_MASK][row] = Val::ONE;
                    for (j, b) in bytes_of(mask_keep(i)).into_iter().enumerate() {
                        p[R_KEEP + j][row] = f(b);
                    }
                }
                Ret::Stack(_) => p[R_READ][row] = Val::ONE,
                Ret::Flags => p[R_FLAGS][row] = Val::ONE,
            }
        }
        p[R_CALL][rows.len()] = Val::ONE;
        p[R_LAST][RET_BLOCK - 1] = Val::ONE;
        SigreturnChip { periodic: p }
    }

    pub fn generate_trace(
        &self,
        events: &[SigreturnEvent],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        let layout = ret_layout();
        super::fill_blocks(
            events,
            RET_BLOCK,
            SigreturnCols::<u8>::WIDTH,
            bytes,
            |r, ev, row, bytes| fill_return(r, ev, row, &layout, bytes),
        )
    }
}

fn fill_return(
    r: &mut SigreturnCols<Val>,
    ev: &SigreturnEvent,
    row: usize,
    layout: &[(usize, Ret)],
    bytes: &mut ByteCounts,
) {
    let f = Val::from_u32;
    let word = super::word;
    r.is_real = Val::ONE;
    r.clk = f(ev.clk);
    r.thread = f(ev.thread);
    r.sp = word(ev.sp);
    r.pc = word(ev.pc);
    if let Some(&(k, what)) = layout.get(row) {
        let (fv, facc, second) = ev.words[row];
        r.fon = Val::ONE;
        r.faddr = f(ev.sp / 4 + k as u32);
        r.fv = word(fv);
        super::fill_access(&mut r.facc, &facc, bytes);
        if let (Some(src), Some((prev, new, acc))) = (what.src(), second) {
            let (space, _, _) = src.place();
            r.on2 = Val::ONE;
            r.space2 = f(space);
            r.addr2 = f(src.addr(ev.thread));
            r.prev2 = word(prev);
            r.new2 = word(new);
            super::fill_access(&mut r.acc2, &acc, bytes);
        }
        if let Ret::Mask(i) = what {
            r.mon = Val::ONE;
            r.keep = word(mask_keep(i));
            let (fb, kb) = (bytes_of(fv), bytes_of(mask_keep(i)));
            for j in 0..4 {
                bytes.add(ByteOp::And, fb[j], kb[j]);
            }
            let (pv, acc) = ev.pending[i as usize];
            r.pv = word(pv);
            super::fill_access(&mut r.acc3, &acc, bytes);
            if kept("sigreturn.pending") {
                let (pb, nb) = (bytes_of(pv), bytes_of(fv & mask_keep(i)));
                for j in 0..4 {
                    bytes.add(ByteOp::And, pb[j], nb[j]);
                }
            }
        }
        return;
    }
    if row != layout.len() {
        return;
    }
    r.call = Val::ONE;
    let sb = bytes_of(ev.sp);
    r.q = f(sb[0] / 4);
    bytes.range8x2(sb[0] / 4, sb[0]);
    bytes.range8x2(sb[1], sb[2]);
    bytes.add(ByteOp::Msb, sb[3], 0);
    r.leave_next = f(SIGRETURN_PC.wrapping_add(4));
    let pb = bytes_of(ev.pc);
    range_low_counts(bytes, pb);
    r.ll_prev = f(ev.ll_prev);
    super::fill_access(&mut r.acc_ll, &ev.ll_acc, bytes);
}

impl BaseAir<Val> for SigreturnChip {
    fn width(&self) -> usize {
        SigreturnCols::<u8>::WIDTH
    }
    fn num_periodic_columns(&self) -> usize {
        R_COUNT
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        Cow::Borrowed(&self.periodic)
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for SigreturnChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &SigreturnCols<AB::Var> = main.current_slice().borrow();
        let n: &SigreturnCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let p: Vec<Expr<AB>> = b.periodic_values().iter().map(|&v| v.into()).collect();
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let words = |w: &Word<AB::Var>| -> [Expr<AB>; 4] { w.map(Into::into) };
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);
        b.assert_eq(l.fon, is_real.clone() * p[R_FRAME].clone());
        b.assert_eq(l.on2, is_real.clone() * p[R_SRC].clone());
        b.assert_eq(l.mon, is_real.clone() * p[R_MASK].clone());
        b.assert_eq(l.call, is_real.clone() * p[R_CALL].clone());
        {
            let same = Expr::<AB>::ONE - p[R_LAST].clone();
            let mut pairs = vec![(n.is_real, l.is_real), (n.clk, l.clk), (n.thread, l.thread)];
            pairs.extend(n.sp.iter().copied().zip(l.sp.iter().copied()));
            pairs.extend(n.pc.iter().copied().zip(l.pc.iter().copied()));
            let mut t = b.when_transition();
            for (x, y) in pairs {
                t.assert_zero(same.clone() * (e(x) - e(y)));
            }
        }
        let ts = (e(l.clk) + Expr::<AB>::ONE) * c(TS_SLOTS) + c(SLOT_CHIP);
        // The frame, at $sp: a multiple of 4 below 2^31.
        let quarter = Expr::<AB>::from(Val::from_u32(4).inverse());
        let sp_w = e(l.sp[0]) * quarter
            + e(l.sp[1]) * c(1 << 6)
            + e(l.sp[2]) * c(1 << 14)
            + e(l.sp[3]) * c(1 << 22);
        let fon = e(l.fon);
        b.assert_zero(fon.clone() * (e(l.faddr) - sp_w - p[R_K].clone()));
        access(
            b,
            fon.clone(),
            c(SPACE_MEM),
            e(l.faddr),
            words(&l.fv),
            words(&l.fv),
            ts.clone(),
            &l.facc,
        );
        // sc_pc: where the thread resumes.
        for k in 0..4 {
            b.assert_zero(fon.clone() * p[R_PC].clone() * (e(l.fv[k]) - e(l.pc[k])));
        }
        // uc_stack's flags: 0 or SS_ONSTACK.
        for k in 1..4 {
            b.assert_zero(p[R_FLAGS].clone() * e(l.fv[k]));
        }
        b.assert_zero(p[R_FLAGS].clone() * e(l.fv[0]) * (e(l.fv[0]) - Expr::<AB>::ONE));

        // The second access: the restored register or mask word, the alternate stack.
        let on2 = e(l.on2);
        b.assert_zero(
            on2.clone()
                * (e(l.space2) - c(SPACE_REG) - p[R_KSPACE].clone() * c(SPACE_KERNEL - SPACE_REG)),
        );
        b.assert_zero(
            on2.clone() * (e(l.addr2) - p[R_BASE2].clone() - e(l.thread) * p[R_STRIDE2].clone()),
        );
        let mon = e(l.mon);
        for k in 0..4 {
            if kept("sigreturn.restore") {
                b.assert_zero(
                    on2.clone()
                        * (p[R_COPY].clone() + p[R_READ].clone())
                        * (e(l.new2[k]) - e(l.fv[k])),
                );
            }
            // The alternate stack is read, and must be the frame's uc_stack.
            b.assert_zero(on2.clone() * p[R_READ].clone() * (e(l.prev2[k]) - e(l.fv[k])));
            b.assert_zero(on2.clone() * p[R_SP].clone() * (e(l.prev2[k]) - e(l.sp[k])));
            b.assert_zero(mon.clone() * (e(l.keep[k]) - p[R_KEEP + k].clone()));
            bus::byte(b, ByteOp::And, l.fv[k], l.keep[k], l.new2[k], mon.clone());
            // The thread's pending signal (if any) stays blocked: `pending & new =
            // pending`. (Linux would deliver one the restored mask unblocks right after the
            // return: not proved yet.)
            if kept("sigreturn.pending") {
                bus::byte(b, ByteOp::And, l.pv[k], l.new2[k], l.pv[k], mon.clone());
            }
        }
        // (The mask word's address, moved to the pending set's.)
        access(
            b,
            mon.clone(),
            c(SPACE_KERNEL),
            e(l.addr2) + c(THREAD_PENDING - THREAD_MASK),
            words(&l.pv),
            words(&l.pv),
            ts.clone(),
            &l.acc3,
        );
        access(
            b,
            on2,
            e(l.space2),
            e(l.addr2),
            words(&l.prev2),
            words(&l.new2),
            ts.clone(),
            &l.acc2,
        );

        // The call row: the delay slot's row leaves at -1 (the trampoline), the next row
        // starts at sc_pc in the same thread, the LLbit is cleared.
        let call = e(l.call);
        b.assert_zero(call.clone() * (e(l.sp[0]) - e(l.q) * c(4)));
        bus::range8x2(b, l.q, l.sp[0], call.clone());
        bus::range8x2(b, l.sp[1], l.sp[2], call.clone());
        bus::byte(
            b,
            ByteOp::Msb,
            l.sp[3],
            Expr::<AB>::ZERO,
            Expr::<AB>::ZERO,
            call.clone(),
        );
        range_low(b, &l.pc, call.clone());
        let pc = value::<AB>(&l.pc);
        b.push_interaction(
            SCHED,
            [
                c(SCHED_LEAVE),
                e(l.clk),
                e(l.thread),
                c(SIGRETURN_PC),
                e(l.leave_next),
            ],
            Count::bounded(-call.clone(), 1),
        );
        b.push_interaction(
            SCHED,
            [
                c(SCHED_RESUME),
                e(l.clk) + Expr::<AB>::ONE,
                e(l.thread),
                pc.clone(),
                pc + c(4),
            ],
            Count::bounded(-call.clone(), 1),
        );
        access(
            b,
            call,
            c(SPACE_REG),
            e(l.thread) * c(REG_STRIDE) + c(REG_LLBIT as u32),
            [e(l.ll_prev), c(0), c(0), c(0)],
            [c(0), c(0), c(0), c(0)],
            ts,
            &l.acc_ll,
        );
        // `leave_next` is the delay slot's `new_next_pc`, which the CPU fixes (-1 + 4);
        // nothing here depends on it. Unused cells are in no message with a non-zero
        // count and in no constraint whose selector is not zero there; the trace
        // generator leaves them zero.
    }
}
