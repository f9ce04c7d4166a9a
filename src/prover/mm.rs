//! The memory-management chip: `mmap`, `munmap`, `madvise` and `brk`, and the table of every mapping
//! the run made, which proves each one fresh, zeroed and overlapping nothing in use.
//!
//! **Mappings.** One row per `mmap(addr, len, prot, flags, fd, offset)` (o32 4090), with
//! `flags` `MAP_PRIVATE | MAP_ANONYMOUS` (0x802), optionally `| MAP_FIXED` (0x812), and
//! `prot` `PROT_NONE` or `PROT_READ | PROT_WRITE`. The result is page-aligned and the
//! mapping covers pages `lo..=hi`, `hi - lo + 1 = ceil(len / 4096)` pages, with
//! `0 < len < 2^30`. Linux's `old_mmap` refuses an offset that is not page-aligned
//! (`EINVAL`) even for anonymous memory, so the row reads the offset, the stack word at
//! `$sp + 20`, and proves it aligned. A call without `MAP_FIXED` and with a hint returns
//! the hint (Linux uses a free hint; a taken one moves the mapping elsewhere, which is not
//! provable yet), one without a hint returns an address of the prover's choosing, as
//! Linux's randomised mmap base does. `mmap2` (4210) is the same call with the offset in
//! pages: MIPS checks no alignment, and the row proves it below 2^31 pages instead, so
//! that it and the mapping's pages stay below 2^32 (else `EOVERFLOW`).
//!
//! The mapping rows are sorted by first page, and are of two kinds:
//! - an **outer** mapping (no `MAP_FIXED`) lies above every earlier row's pages: outer
//!   mappings are pairwise disjoint, for the whole run, so none ever covers memory in use.
//! - an **inner** mapping (`MAP_FIXED`) lies inside the outer row before it, which must be
//!   a `PROT_NONE` reservation made earlier, and above the inner row before it: this is
//!   how Go commits parts of its reservations. Linux replaces the reserved pages with
//!   fresh ones; a reservation's words can never have been touched, so nothing is lost.
//!
//! Every mapping lies between the program break (`pv::BRK_PAGE`, from the ELF) and
//! [`MMAP_TOP`] (below the stack), so it is disjoint from the image, the BSS and the
//! stack. There is no `mremap` or `mprotect`.
//!
//! **`munmap(addr, len)`** (4091) returns 0 for exactly the pages of one readable mapping
//! made before it (Go's `sysFree` of what `sysAlloc` mapped): its `vma` lookup names the
//! mapping with the call's own timestamp as the mapping's end (`o_end`, which every
//! mapping row carries and an outer row claims), so no `madvise` after it finds the
//! mapping alive, and it is an *unmapping event* of its pages for the page chip, after
//! which no chain of accesses reaches them and none starts. The dead mapping stays in the
//! sorted table, so no later outer mapping takes its pages: the VM places new mappings
//! elsewhere while it can, and the witness refuses a run that reuses them.
//!
//! **Words.** A readable and writable mapping is a *zeroing event* of its pages: its row
//! sends `(lo, ts)` and takes `(hi + 1, ts)` on the `cover` bus, which the page chip
//! ([`super::pages`]) balances with exactly one row per page `lo..=hi` at `ts`. A word of
//! the mapping starts at zero at the mapping's own timestamp (the boundary's segments), so
//! every access to it comes after the `mmap` and reads zero first.
//!
//! **`madvise(addr, len, advice)`** (4218) returns 0, with the range inside one mapping
//! made before the call (a `vma` lookup), so Linux would not return `ENOMEM`:
//! - `MADV_NOHUGEPAGE` (15) changes nothing the program can observe;
//! - `MADV_DONTNEED` (4) drops the pages, which read zero again on their next access:
//!   another zeroing event of pages `lo..=hi`, as the `mmap`'s. Its mapping must be
//!   readable, so that it gives no page of a `PROT_NONE` reservation a word to read.
//!
//! **`brk(0)`** (4045) returns the program break, which no provable call moves.
//!
//! A `madvise` also proves its mapping not unmapped yet: `o_end - ts - 1 >= 0`.
//!
//! All three read the number from `$v0` and the arguments from `$a0..$a3` and write the
//! result to `$v0` and 0 (no error) to `$a3`, at the chip's timestamp slot.

use std::borrow::{Borrow, BorrowMut};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::boundary::{eval_limbs, limbs, Limbs};
use super::bus::{
    self, access, range16, AccessCols, Expr, Word, COVER, REG_STRIDE, SLOT_CHIP, SPACE_MEM,
    SPACE_REG, TS_SLOTS, VMA,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;
use super::program::Opcode;
use super::witness::{Access, InstrEvent};

pub const SYS_MMAP: u32 = 4090;
/// `mmap2`: the offset in 4096-byte units (MIPS's `sys_mips_mmap2`, with 4 KiB pages, makes
/// no alignment check; `do_mmap` refuses `pgoff + pages` past 2^32 with `EOVERFLOW`).
pub const SYS_MMAP2: u32 = 4210;

/// Whether `number` is `mmap` or `mmap2`.
pub fn is_map(number: u32) -> bool {
    number == SYS_MMAP || number == SYS_MMAP2
}
pub const SYS_MADVISE: u32 = 4218;
pub const SYS_MUNMAP: u32 = 4091;
pub const SYS_BRK: u32 = 4045;
/// `MAP_PRIVATE | MAP_ANONYMOUS`, and `MAP_FIXED`.
pub const MAP_ANON: u32 = 0x802;
pub const MAP_FIXED: u32 = 0x10;
/// `PROT_READ | PROT_WRITE`.
pub const PROT_RW: u32 = 3;
pub const MADV_NOHUGEPAGE: u32 = 15;
pub const MADV_DONTNEED: u32 = 4;
pub const PAGE_BITS: u32 = 12;
/// Words per page.
pub const PAGE_WORDS: u32 = 1 << (PAGE_BITS - 2);
/// Mappings lie below this page (the VM's `MMAP_TOP`, 1 MiB below the stack).
pub const MMAP_TOP: u32 = crate::syscalls::mem::MMAP_TOP >> PAGE_BITS;
/// A mapping's length is below 2^30 bytes, so `pages · 4096` is exact.
pub const MAX_LEN: u32 = 1 << 30;

/// Public values: the program break's page.
pub mod pv {
    pub const BRK_PAGE: usize = 0;
    pub const COUNT: usize = 1;
}

/// One call.
#[derive(Clone, Copy, Debug)]
pub struct MmEvent {
    pub instr: InstrEvent,
    pub thread: u32,
    pub number: u32,
    /// `$a0..$a3` before.
    pub args: [u32; 4],
    /// `$v0` after.
    pub result: u32,
    /// `mmap`: `$sp` and the offset argument at `$sp + 20`.
    pub sp: u32,
    pub offset: u32,
    /// `$v0`, `$a0`, `$a1`, `$a2`, `$a3`, and for `mmap` `$sp` and the offset's word.
    pub acc: [Option<Access>; 7],
}

impl MmEvent {
    /// A `madvise` or a `munmap`: a call on a range at `$a0` of an earlier mapping.
    pub fn advised(&self) -> bool {
        self.number == SYS_MADVISE || self.unmaps()
    }

    /// The address the call's pages start at: `$a0` for a `madvise` or `munmap`, else the
    /// result.
    pub fn addr(&self) -> u32 {
        if self.advised() {
            self.args[0]
        } else {
            self.result
        }
    }

    /// The pages the call maps or advises, `(lo, hi)` (`brk`: the break's page twice).
    pub fn pages(&self) -> (u32, u32) {
        let lo = self.addr() >> PAGE_BITS;
        let n = self.args[1].div_ceil(1 << PAGE_BITS);
        match self.number {
            SYS_BRK => (lo, lo),
            _ => (lo, lo + n.max(1) - 1),
        }
    }

    pub fn fixed(&self) -> bool {
        is_map(self.number) && self.args[3] & MAP_FIXED != 0
    }

    pub fn rw(&self) -> bool {
        is_map(self.number) && self.args[2] == PROT_RW
    }

    pub fn dontneed(&self) -> bool {
        self.number == SYS_MADVISE && self.args[2] == MADV_DONTNEED
    }

    /// A zeroing event: a readable `mmap` or a `MADV_DONTNEED`, after which the words of
    /// its pages read zero.
    pub fn zeroes(&self) -> bool {
        self.rw() || self.dontneed()
    }

    /// A `munmap`: after it, no access to its pages.
    pub fn unmaps(&self) -> bool {
        self.number == SYS_MUNMAP
    }

    /// An event of the page chip: a zeroing, or an unmapping.
    pub fn page_event(&self) -> bool {
        self.zeroes() || self.unmaps()
    }

    /// The timestamp of the call's accesses: a mapping's words start here.
    pub fn ts(&self) -> u32 {
        super::witness::ts(self.instr.clk, SLOT_CHIP)
    }
}

/// The trace's row order: the mappings sorted by first page (an outer one before the
/// inner ones it holds), then `madvise` and `brk` in run order. Returns event indices.
pub fn row_order(events: &[MmEvent]) -> Vec<usize> {
    let mut maps: Vec<usize> = (0..events.len())
        .filter(|&i| is_map(events[i].number))
        .collect();
    maps.sort_by_key(|&i| (events[i].pages().0, events[i].fixed(), events[i].instr.clk));
    maps.extend((0..events.len()).filter(|&i| !is_map(events[i].number)));
    maps
}

/// The row of the mapping that holds `pages` for a `madvise` at timestamp `ts`: one made
/// before it and not unmapped yet (`ends`, by event) whose pages contain them, the innermost (a commit rather than the
/// reservation around it), and for `MADV_DONTNEED` (`readable`) a readable one where there
/// is one. (The witness refuses a `MADV_DONTNEED` of no readable mapping; only a forged run
/// gets here with one, for the constraints to refuse.)
fn holder(
    events: &[MmEvent],
    order: &[usize],
    ends: &[u32],
    pages: (u32, u32),
    ts: u32,
    readable: bool,
) -> Option<usize> {
    // (A forged madvise after its mapping's munmap takes the dead mapping, for the
    // constraints to refuse.)
    let live = |i: usize| ts < ends[i];
    let held = |i: usize| {
        let ev = &events[i];
        let (lo, hi) = ev.pages();
        is_map(ev.number) && lo <= pages.0 && pages.1 <= hi && ev.ts() < ts
    };
    let alive = order.iter().any(|&i| held(i) && live(i));
    let holds = |i: usize| held(i) && (live(i) || !alive);
    let any = order.iter().rposition(|&i| holds(i));
    if readable {
        order
            .iter()
            .rposition(|&i| holds(i) && events[i].rw())
            .or(any)
    } else {
        any
    }
}

/// When each mapping (by event index) ends: the timestamp of the `munmap` of it or of its
/// outer mapping, or [`super::pages::END`]. A `munmap` ends the readable outer mapping of
/// exactly its pages made before it (the witness refuses any other).
pub fn ends(events: &[MmEvent], order: &[usize]) -> Vec<u32> {
    let mut ends = vec![super::pages::END; events.len()];
    for ev in events.iter().filter(|e| e.unmaps()) {
        let t = ev.ts();
        let whole = (0..events.len()).find(|&i| {
            let m = &events[i];
            is_map(m.number)
                && !m.fixed()
                && m.rw()
                && m.pages() == ev.pages()
                && m.ts() < t
                && ends[i] == super::pages::END
        });
        if let Some(i) = whole {
            ends[i] = t;
        }
    }
    // An inner mapping ends with the outer one before it.
    let mut outer_end = super::pages::END;
    for &i in order {
        if is_map(events[i].number) {
            if events[i].fixed() {
                ends[i] = outer_end;
            } else {
                outer_end = ends[i];
            }
        }
    }
    ends
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct MmCols<T> {
    /// `mmap` or `mmap2`, and which: `mmap2` (with `is_mmap`).
    pub is_mmap: T,
    pub map2: T,
    pub is_madvise: T,
    pub is_munmap: T,
    pub is_brk: T,
    /// `madvise`: `MADV_DONTNEED` (else `MADV_NOHUGEPAGE`).
    pub dontneed: T,
    /// `mmap`: `MAP_FIXED` (an inner mapping), `PROT_READ | PROT_WRITE` (else
    /// `PROT_NONE`), and a hint (`$a0 != 0`; always with `MAP_FIXED`).
    pub fixed: T,
    pub rw: T,
    pub hinted: T,
    pub clk: T,
    /// The ROM's `aux` for the `SYSCALL` (its `pc + 4`): in the `instr` message only,
    /// bound by the ROM through the CPU; only the clone chip reads it.
    pub aux: T,
    pub thread: T,
    /// `$a0..$a3` before the call, `$v0` after.
    pub a0: Word<T>,
    pub a1: Word<T>,
    pub a2: Word<T>,
    pub a3: Word<T>,
    pub result: Word<T>,
    /// The address (`mmap`, `brk`: the result; `madvise`: `$a0`) is `[0, 16 pg_nib, x2,
    /// x3]`, page `lo = pg_nib + 16 x2 + 4096 x3`.
    pub pg_nib: T,
    pub lo: T,
    /// The last page (`mmap`, `madvise`), `hi - lo` (below 2^18) and
    /// `(hi - lo + 1) · 4096 - len = d[0] + 256 d[1]` (below 4096).
    pub hi: T,
    pub span: Limbs<T>,
    pub d: [T; 2],
    /// `mmap`: the outer mapping this row is or lies in (first and last page, timestamp,
    /// readable, and the timestamp of the `munmap` that ends it, or `END`); `madvise`: the
    /// mapping that holds the range; `munmap`: the mapping it ends.
    pub o_lo: T,
    pub o_hi: T,
    pub o_start: T,
    pub o_rw: T,
    pub o_end: T,
    /// `mmap`: what the next inner row must lie above (`hi` here for an inner row, `lo - 1`
    /// for an outer one), and `lo` minus what this row must lie above, minus one.
    pub fence: T,
    pub gap: Limbs<T>,
    /// Inner `mmap`, `madvise`: `lo - o_lo`, `o_hi - hi` and `ts - o_start - 1`.
    pub above: Limbs<T>,
    pub inside: Limbs<T>,
    pub later: Limbs<T>,
    /// `madvise`: `o_end - ts - 1` (its mapping is not unmapped yet).
    pub alive: Limbs<T>,
    /// `mmap`: `lo - BRK_PAGE` and `MMAP_TOP - 1 - hi`.
    pub floor: Limbs<T>,
    pub ceil: Limbs<T>,
    /// `mmap`: `$sp` (`sp[0] = 4 sp_q`) and the offset at `$sp + 20` (`off[1] = 16 off_q`,
    /// `off[0] = 0`).
    pub sp: Word<T>,
    pub sp_q: T,
    pub off: Word<T>,
    pub off_q: T,
    /// The `madvise` rows' lookups of this mapping.
    pub vma_mult: T,
    /// `$v0`, `$a0`, `$a1`, `$a2`, `$a3`, `$sp`, the offset's word.
    pub acc: [AccessCols<T>; 7],
}
columns!(MmCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct MmChip;

/// The limbs of a difference that must be below 2^29. One that is not (only in a forged
/// run) is filled as 0, so that the constraint relating it, not its range check, refuses
/// it.
fn fit(v: Val, bytes: &mut ByteCounts) -> Limbs<Val> {
    use p3_field::PrimeField32;
    limbs(
        if v.as_canonical_u32() < 1 << 29 {
            v
        } else {
            Val::ZERO
        },
        bytes,
    )
}

super::knockout::test_switch! {
    /// Tests turn the witness's own refusals of what the mm and signal chips cannot prove
    /// off, to show that the constraints refuse it too.
    static LENIENT;
    /// Whether the witness lets an unprovable mapping through (tests only).
    fn lenient;
}

/// `v = lo + 2^16 hi` with `hi < 4`: a span of pages below 2^18.
fn span_limbs(v: u32, bytes: &mut ByteCounts) -> Limbs<Val> {
    let (lo, hi) = (v & 0xffff, v >> 16);
    bytes.range16(lo);
    bytes.range16(hi);
    bytes.range16(hi << 14);
    Limbs {
        lo: Val::from_u32(lo),
        hi: Val::from_u32(hi),
    }
}

impl MmChip {
    /// The trace, rows in `order` ([`row_order`]).
    pub fn generate_trace(
        &self,
        events: &[MmEvent],
        order: &[usize],
        brk_page: u32,
        bytes: &mut ByteCounts,
    ) -> Result<RowMajorMatrix<Val>, String> {
        let height = events.len().next_power_of_two().max(4);
        let w = MmCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(height * w);
        let f = Val::from_u32;
        let mut vma_counts = vec![0u32; events.len()];
        let ends = ends(events, order);
        // The current outer mapping's (lo, hi, start, rw, end), and the last row's fence.
        let mut outer = (0u32, 0u32, 0u32, false, super::pages::END);
        let mut fence = Val::ZERO;
        let mut first = true;
        for (row, &i) in order.iter().enumerate() {
            let ev = &events[i];
            let r: &mut MmCols<Val> = values[row * w..(row + 1) * w].borrow_mut();
            let [a0, a1, a2, a3] = ev.args;
            r.is_mmap = Val::from_bool(is_map(ev.number));
            r.map2 = Val::from_bool(ev.number == SYS_MMAP2);
            r.is_madvise = Val::from_bool(ev.number == SYS_MADVISE);
            r.is_munmap = Val::from_bool(ev.unmaps());
            r.is_brk = Val::from_bool(ev.number == SYS_BRK);
            r.dontneed = Val::from_bool(ev.dontneed());
            r.clk = f(ev.instr.clk);
            r.aux = f(ev.instr.aux);
            r.thread = f(ev.thread);
            r.a0 = super::word(a0);
            r.a1 = super::word(a1);
            r.a2 = super::word(a2);
            r.a3 = super::word(a3);
            r.result = super::word(ev.result);
            let x = ev.addr();
            let nib = (x >> PAGE_BITS) & 15;
            r.pg_nib = f(nib);
            bytes.range8x2(nib, 16 * nib);
            bytes.range8x2((x >> 16) & 0xff, 2 * (x >> 24));
            let (lo, hi) = ev.pages();
            r.lo = f(lo);
            if ev.number != SYS_BRK {
                r.hi = f(hi);
                r.span = span_limbs(hi.wrapping_sub(lo), bytes);
                let d = ((hi - lo + 1) << PAGE_BITS).wrapping_sub(a1);
                r.d = [f(d & 0xff), f(d >> 8)];
                bytes.range8x2(d & 0xff, 16 * (d >> 8));
                bytes.range8x2(4 * (a1 >> 24), 0);
            }
            let ts = ev.ts();
            if is_map(ev.number) {
                let fixed = ev.fixed();
                r.fixed = Val::from_bool(fixed);
                r.rw = Val::from_bool(ev.rw());
                r.hinted = Val::from_bool(fixed || a0 != 0);
                if !first {
                    // lo - 1 - (what it must lie above)
                    let bar = if fixed { fence } else { f(outer.1) };
                    r.gap = fit(f(lo) - Val::ONE - bar, bytes);
                } else {
                    r.gap = limbs(Val::ZERO, bytes);
                }
                if !fixed {
                    outer = (lo, hi, ts, ev.rw(), ends[i]);
                    fence = f(lo) - Val::ONE;
                } else {
                    fence = f(hi);
                }
                r.fence = fence;
                r.floor = fit(f(lo) - f(brk_page), bytes);
                r.ceil = fit(f(MMAP_TOP - 1) - f(hi), bytes);
                r.sp = super::word(ev.sp);
                r.sp_q = f((ev.sp & 0xff) >> 2);
                bytes.range8x2((ev.sp & 0xff) >> 2, ev.sp & 0xfc);
                bytes.range8x2(2 * (ev.sp >> 24), 0);
                r.off = super::word(ev.offset);
                let q = (ev.offset >> 12) & 15;
                r.off_q = f(q);
                bytes.range8x2(q, 16 * q);
                if ev.number == SYS_MMAP2 && kept("mm.pgoff") {
                    bytes.range8x2(2 * (ev.offset >> 24), 0);
                }
                first = false;
            }
            let o = if is_map(ev.number) {
                Some(outer)
            } else if ev.advised() {
                // (A munmap ends the mapping whose end is its timestamp; a forged one that
                // ends none takes a mapping that holds its pages, for the lookup to refuse.)
                let ended = ev
                    .unmaps()
                    .then(|| {
                        order
                            .iter()
                            .position(|&j| is_map(events[j].number) && ends[j] == ts)
                    })
                    .flatten();
                let h = ended
                    .or_else(|| holder(events, order, &ends, (lo, hi), ts, ev.dontneed()))
                    .ok_or_else(|| {
                        format!(
                            "{} of pages {lo:#x}..={hi:#x}, which no one earlier mapping holds",
                            if ev.unmaps() { "munmap" } else { "madvise" }
                        )
                    })?;
                vma_counts[h] += 1;
                let j = order[h];
                let hev = &events[j];
                let (hl, hh) = hev.pages();
                Some((hl, hh, hev.ts(), hev.rw(), ends[j]))
            } else {
                None
            };
            if let Some((ol, oh, os, orw, oe)) = o {
                r.o_lo = f(ol);
                r.o_hi = f(oh);
                r.o_start = f(os);
                r.o_rw = Val::from_bool(orw);
                r.o_end = f(oe);
                if ev.fixed() || ev.advised() {
                    r.above = fit(f(lo) - f(ol), bytes);
                    r.inside = fit(f(oh) - f(hi), bytes);
                    r.later = fit(f(ts) - f(os) - Val::ONE, bytes);
                }
                if ev.number == SYS_MADVISE && kept("mm.alive") {
                    r.alive = fit(f(oe) - f(ts) - Val::ONE, bytes);
                }
            }
            for (cols, acc) in r.acc.iter_mut().zip(&ev.acc) {
                if let Some(acc) = acc {
                    super::fill_access(cols, acc, bytes);
                }
            }
        }
        for (row, &n) in vma_counts.iter().enumerate() {
            if n > 0 {
                let r: &mut MmCols<Val> = values[row * w..(row + 1) * w].borrow_mut();
                r.vma_mult = f(n);
            }
        }
        Ok(RowMajorMatrix::new(values, w))
    }
}

impl BaseAir<Val> for MmChip {
    fn width(&self) -> usize {
        MmCols::<u8>::WIDTH
    }
    fn num_public_values(&self) -> usize {
        pv::COUNT
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for MmChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &MmCols<AB::Var> = main.current_slice().borrow();
        let n: &MmCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let brk_page: Expr<AB> = b.public_values()[pv::BRK_PAGE].into();
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let one = || Expr::<AB>::ONE;
        let zero = || Expr::<AB>::ZERO;
        let words = |w: &Word<AB::Var>| w.map(|v| -> Expr<AB> { v.into() });
        let is_real = super::assert_flags(b, &[l.is_mmap, l.is_madvise, l.is_munmap, l.is_brk]);
        let (is_mmap, is_madvise, is_brk) = (e(l.is_mmap), e(l.is_madvise), e(l.is_brk));
        let is_munmap = e(l.is_munmap);
        // madvise and munmap: calls on a range at $a0 of an earlier mapping.
        let advised = is_madvise.clone() + is_munmap.clone();
        let dontneed = e(l.dontneed);
        b.assert_bool(l.dontneed);
        b.assert_zero(dontneed.clone() * (one() - is_madvise.clone()));
        let ranged = is_mmap.clone() + advised.clone();
        let (fixed, rw, hinted) = (e(l.fixed), e(l.rw), e(l.hinted));
        for f in [l.fixed, l.rw, l.hinted] {
            b.assert_bool(f);
            b.assert_zero(e(f) * (one() - is_mmap.clone()));
        }
        let outer = is_mmap.clone() - fixed.clone();
        let ts = (e(l.clk) + one()) * c(TS_SLOTS) + c(SLOT_CHIP);

        // The number in $v0.
        let number: [Expr<AB>; 4] = std::array::from_fn(|k| {
            is_mmap.clone() * c(SYS_MMAP.to_le_bytes()[k] as u32)
                + e(l.map2)
                    * (c(SYS_MMAP2.to_le_bytes()[k] as u32) - c(SYS_MMAP.to_le_bytes()[k] as u32))
                + is_madvise.clone() * c(SYS_MADVISE.to_le_bytes()[k] as u32)
                + is_munmap.clone() * c(SYS_MUNMAP.to_le_bytes()[k] as u32)
                + is_brk.clone() * c(SYS_BRK.to_le_bytes()[k] as u32)
        });

        // The address: the result, or madvise's and munmap's $a0: page-aligned, page lo.
        let x: [Expr<AB>; 4] = std::array::from_fn(|k| {
            e(l.result[k]) + advised.clone() * (e(l.a0[k]) - e(l.result[k]))
        });
        b.assert_zero(is_real.clone() * x[0].clone());
        b.assert_zero(is_real.clone() * (x[1].clone() - c(16) * e(l.pg_nib)));
        bus::range8x2(b, l.pg_nib, c(16) * e(l.pg_nib), is_real.clone());
        bus::range8x2(b, x[2].clone(), c(2) * x[3].clone(), is_real.clone());
        let page = e(l.pg_nib) + c(16) * x[2].clone() + c(4096) * x[3].clone();
        b.assert_zero(is_real.clone() * (e(l.lo) - page));
        // (Off real rows lo and every column below are in no message with a non-zero count
        // and no constraint with a non-zero factor: left zero.)

        // The range: len = a1 in (0, 2^30), hi - lo + 1 = ceil(len / 4096) pages, below
        // 2^18.
        bus::range8x2(b, c(4) * e(l.a1[3]), zero(), ranged.clone());
        eval_span(b, e(l.hi) - e(l.lo), &l.span, ranged.clone());
        let len = bus::word_value::<AB>(&l.a1);
        let pages = e(l.hi) - e(l.lo) + one();
        b.assert_zero(
            ranged.clone() * (pages * c(1 << PAGE_BITS) - len - e(l.d[0]) - c(256) * e(l.d[1])),
        );
        bus::range8x2(b, l.d[0], c(16) * e(l.d[1]), ranged.clone());

        // mmap: prot PROT_NONE or PROT_READ | PROT_WRITE; flags MAP_PRIVATE | MAP_ANONYMOUS,
        // maybe MAP_FIXED.
        {
            b.assert_zero(is_mmap.clone() * (e(l.a2[0]) - c(PROT_RW) * rw.clone()));
            b.assert_zero(
                is_mmap.clone() * (e(l.a3[0]) - c(MAP_ANON & 0xff) - c(MAP_FIXED) * fixed.clone()),
            );
            b.assert_zero(is_mmap.clone() * (e(l.a3[1]) - c(MAP_ANON >> 8)));
            for k in 1..4 {
                b.assert_zero(is_mmap.clone() * e(l.a2[k]));
                if k > 1 {
                    b.assert_zero(is_mmap.clone() * e(l.a3[k]));
                }
            }
        }
        // A hint is the result; MAP_FIXED always has one. Without one $a0 is 0.
        b.assert_zero(fixed.clone() * (one() - hinted.clone()));
        for k in 0..4 {
            if kept("mm.hint") {
                b.assert_zero(hinted.clone() * (e(l.a0[k]) - e(l.result[k])));
            }
            b.assert_zero((is_mmap.clone() - hinted.clone()) * e(l.a0[k]));
        }
        // mmap2 is an mmap with another number (and the offset in pages).
        b.assert_bool(l.map2);
        b.assert_zero(e(l.map2) * (one() - is_mmap.clone()));
        // mmap's offset at $sp + 20 is page-aligned; mmap2's, in pages, is below 2^31, so
        // that it and the mapping's pages (below 2^18) stay below 2^32: no EOVERFLOW.
        b.assert_zero(is_mmap.clone() * (e(l.sp[0]) - c(4) * e(l.sp_q)));
        bus::range8x2(b, l.sp_q, c(4) * e(l.sp_q), is_mmap.clone());
        bus::range8x2(b, c(2) * e(l.sp[3]), zero(), is_mmap.clone());
        let old = is_mmap.clone() - e(l.map2);
        {
            b.assert_zero(old.clone() * e(l.off[0]));
            b.assert_zero(old * (e(l.off[1]) - c(16) * e(l.off_q)));
        }
        bus::range8x2(b, l.off_q, c(16) * e(l.off_q), is_mmap.clone());
        if kept("mm.pgoff") {
            bus::range8x2(b, c(2) * e(l.off[3]), zero(), e(l.map2));
        }
        let off_addr = e(l.sp_q)
            + c(1 << 6) * e(l.sp[1])
            + c(1 << 14) * e(l.sp[2])
            + c(1 << 22) * e(l.sp[3])
            + c(5);

        // Between the program break and MMAP_TOP.
        if kept("mm.bounds") {
            eval_limbs(b, e(l.lo) - brk_page.clone(), &l.floor, is_mmap.clone());
            eval_limbs(b, c(MMAP_TOP - 1) - e(l.hi), &l.ceil, is_mmap.clone());
        }

        // The outer mapping: an outer row is its own; an inner row carries the one above
        // it, which is a PROT_NONE reservation (and the first row is outer).
        b.assert_zero(outer.clone() * (e(l.o_lo) - e(l.lo)));
        b.assert_zero(outer.clone() * (e(l.o_hi) - e(l.hi)));
        b.assert_zero(outer.clone() * (e(l.o_start) - ts.clone()));
        b.assert_zero(outer.clone() * (e(l.o_rw) - rw.clone()));
        // (An outer row's o_end is the prover's: the munmap that ends it must find it
        // there, and a madvise after it is refused, so an early one only restricts.)
        if kept("mm.reserved") {
            b.assert_zero(fixed.clone() * e(l.o_rw));
        }
        b.when_first_row().assert_zero(fixed.clone());
        // An inner row, a madvise or a munmap lies inside its mapping, and after it.
        let inner = fixed.clone() + advised.clone();
        if kept("mm.inside") {
            eval_limbs(b, e(l.lo) - e(l.o_lo), &l.above, inner.clone());
            eval_limbs(b, e(l.o_hi) - e(l.hi), &l.inside, inner.clone());
            eval_limbs(b, ts.clone() - e(l.o_start) - one(), &l.later, inner);
        }
        // The fence: hi for an inner row, lo - 1 for an outer one.
        b.assert_zero(e(l.fence) - fixed.clone() * e(l.hi) - outer.clone() * (e(l.lo) - one()));
        // Mapping rows first, sorted: an outer row lies above the outer row before it (and
        // so above everything before it), an inner row above the previous row's fence.
        {
            range16(b, l.gap.lo, is_mmap.clone());
            range16(b, l.gap.hi, is_mmap.clone());
            range16(b, e(l.gap.hi) * c(8), is_mmap.clone());
        }
        {
            let mut t = b.when_transition();
            t.assert_zero(e(n.is_mmap) * (one() - is_mmap.clone()));
            if kept("mm.order") {
                t.assert_zero(
                    e(n.is_mmap)
                        * (e(n.lo)
                            - one()
                            - e(n.gap.lo)
                            - e(n.gap.hi) * c(1 << 16)
                            - e(l.o_hi)
                            - e(n.fixed) * (e(l.fence) - e(l.o_hi))),
                );
            }
            for (nv, lv) in [
                (n.o_lo, l.o_lo),
                (n.o_hi, l.o_hi),
                (n.o_start, l.o_start),
                (n.o_rw, l.o_rw),
                (n.o_end, l.o_end),
            ] {
                t.assert_zero(e(n.fixed) * (e(nv) - e(lv)));
            }
        }

        // A page event: a zeroing (a readable mapping, a MADV_DONTNEED; kind 1) or a
        // munmap (kind 0): its pages, each one row of the page chip at this timestamp,
        // of its kind.
        let zeroes = rw.clone() + dontneed.clone();
        let events = zeroes.clone() + is_munmap.clone();
        b.push_interaction(
            COVER,
            [e(l.lo), ts.clone(), zeroes.clone()],
            Count::bounded(events.clone(), 1),
        );
        b.push_interaction(
            COVER,
            [e(l.hi) + one(), ts.clone(), zeroes],
            Count::bounded(-events, 1),
        );
        // Any mapping's pages, with the munmap that ends it, for a madvise or a munmap,
        // which looks one up; a MADV_DONTNEED's is readable.
        b.assert_zero(e(l.vma_mult) * (one() - is_mmap.clone()));
        b.push_interaction(
            VMA,
            [e(l.lo), e(l.hi), ts.clone(), rw.clone(), e(l.o_end)],
            Count::provided(-e(l.vma_mult)),
        );
        b.push_interaction(
            VMA,
            [e(l.o_lo), e(l.o_hi), e(l.o_start), e(l.o_rw), e(l.o_end)],
            Count::bounded(advised.clone(), 1),
        );
        // A madvise comes before its mapping's munmap (Linux: ENOMEM after it).
        if kept("mm.alive") {
            eval_limbs(
                b,
                e(l.o_end) - ts.clone() - one(),
                &l.alive,
                is_madvise.clone(),
            );
        }
        // A munmap ends exactly the readable mapping it names, at its own timestamp.
        if kept("mm.munmap") {
            b.assert_zero(is_munmap.clone() * (e(l.o_lo) - e(l.lo)));
            b.assert_zero(is_munmap.clone() * (e(l.o_hi) - e(l.hi)));
            b.assert_zero(is_munmap.clone() * (one() - e(l.o_rw)));
            b.assert_zero(is_munmap.clone() * (e(l.o_end) - ts.clone()));
        }
        if kept("mm.dontneed_rw") {
            b.assert_zero(dontneed.clone() * (one() - e(l.o_rw)));
        }

        // munmap returns 0.
        for k in 0..4 {
            b.assert_zero(is_munmap.clone() * e(l.result[k]));
        }
        // madvise(addr, len, MADV_NOHUGEPAGE or MADV_DONTNEED) returns 0; brk(0) the break.
        if kept("mm.madvise") {
            b.assert_zero(
                is_madvise.clone()
                    * (e(l.a2[0]) - c(MADV_NOHUGEPAGE)
                        + dontneed.clone() * c(MADV_NOHUGEPAGE - MADV_DONTNEED)),
            );
            for k in 0..4 {
                if k > 0 {
                    b.assert_zero(is_madvise.clone() * e(l.a2[k]));
                }
                b.assert_zero(is_madvise.clone() * e(l.result[k]));
            }
        }
        if kept("mm.brk") {
            b.assert_zero(is_brk.clone() * (e(l.lo) - brk_page));
            for k in 0..4 {
                b.assert_zero(is_brk.clone() * e(l.a0[k]));
            }
        }

        // The accesses, at the chip's slot: $v0 from the number to the result, $a0..$a2
        // read, $a3 to 0 (no error); mmap reads $sp and the offset.
        let reg = |r: u32| e(l.thread) * c(REG_STRIDE) + c(r);
        let z4 = || [zero(), zero(), zero(), zero()];
        let accesses = [
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(2),
                number,
                words(&l.result),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(4),
                words(&l.a0),
                words(&l.a0),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(5),
                words(&l.a1),
                words(&l.a1),
            ),
            (
                is_real.clone(),
                c(SPACE_REG),
                reg(6),
                words(&l.a2),
                words(&l.a2),
            ),
            (is_real.clone(), c(SPACE_REG), reg(7), words(&l.a3), z4()),
            (
                is_mmap.clone(),
                c(SPACE_REG),
                reg(29),
                words(&l.sp),
                words(&l.sp),
            ),
            (
                is_mmap.clone(),
                c(SPACE_MEM),
                off_addr,
                words(&l.off),
                words(&l.off),
            ),
        ];
        for ((count, space, addr, prev, new), cols) in accesses.into_iter().zip(&l.acc) {
            access(b, count, space, addr, prev, new, ts.clone(), cols);
        }

        // The CPU reads $zero for both operands; the call does not halt.
        let op = is_real.clone() * c(Opcode::Syscall as u32);
        super::receive_instr_exprs(
            b,
            op,
            e(l.clk),
            e(l.thread),
            z4(),
            z4(),
            z4(),
            l.aux.into(),
            is_real,
        );
    }
}

/// Proves `v = lo + 2^16 hi < 2^18` where `count` is 1.
fn eval_span<AB: InteractionBuilder>(b: &mut AB, v: Expr<AB>, l: &Limbs<AB::Var>, count: Expr<AB>) {
    b.assert_zero(count.clone() * (v - l.lo.into() - l.hi.into() * Expr::<AB>::from_u32(1 << 16)));
    range16(b, l.lo, count.clone());
    range16(b, l.hi, count.clone());
    range16(b, l.hi.into() * Expr::<AB>::from_u32(1 << 14), count);
}
