//! The memory boundary: one row per memory word the run touches (for a word of a mapping,
//! one per *segment*: see below), sorted by address, with its initial value (sent into the
//! memory argument at timestamp 0, or for a segment at its `init_ts`) and its final value
//! and timestamp (taken out at the end).
//!
//! A word's initial value is either its ELF image value, looked up in the image table,
//! or zero, and then the word lies in a mapped region of the region table,
//! `lo <= addr <= hi`, or in a readable mapping an `mmap` made (`mapped`). A word of the
//! image is in no region, so it cannot be started at zero instead of its value; a word of
//! no mapping cannot be touched at all (the VM would fault). A read-only word (code, read-
//! only data) ends with its initial value.
//!
//! **Segments.** A word of a mapping is zero after each *zeroing* of its page: the `mmap`
//! that made it, and every later `madvise(MADV_DONTNEED)` over it. Its rows are its
//! segments, one per zeroing after which the run touched it: a row starts the word at zero
//! at the zeroing's timestamp `init_ts`, looks up `(page, init_ts, end)` in the page chip
//! ([`super::pages`]), which proves `init_ts` a zeroing of the page and `end` the next
//! zeroing or unmapping (or a bound above every timestamp), and proves its final timestamp
//! below `end`. No segment starts at an unmapping (`munmap`). Rows of
//! one address are consecutive, with strictly increasing `init_ts` (`same`).
//!
//! Why a chain cannot cross a zeroing at `T`: every access takes a value of an earlier
//! timestamp and gives one at its own; the tokens with timestamps below `T` are given by
//! the accesses before `T` and by the segments that start before `T`, and the same
//! accesses and those segments' final values (all below their `end`, so below `T`; a
//! "negative" `final_ts` matches no send) must take at least as many, so exactly as many.
//! None is left for an access after `T`, whose chain must then start at a segment of `T`
//! or later: at zero. Two rows of one `(addr, init_ts)` would give two
//! zeros at once, hence the strict order.
//!
//! Differences of word addresses and timestamps (below 2^29) are proved non-negative and
//! below 2^29 with a 16-bit and a 13-bit limb. A "negative" difference is at least
//! `p - 2^29`, far outside that range.
//!
//! Each word starts in the space its writability names: writable words in the memory
//! space, read-only ones in the read-only space, which loads may use and stores may not
//! (see [`super::bus::SPACE_RO`]).

use std::borrow::{Borrow, BorrowMut};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{
    memory_receive, memory_send, range16, Expr, Word, IMAGE, PAGES, REGION, SPACE_MEM, SPACE_RO,
};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::image::RegionChip;
use super::knockout::kept;
use super::record::Region;
use super::witness::WordState;

/// A 29-bit value as `lo + 2^16 hi`.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Limbs<T> {
    pub lo: T,
    pub hi: T,
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct BoundaryCols<T> {
    pub is_real: T,
    /// Word address.
    pub addr: T,
    pub init: Word<T>,
    pub final_value: Word<T>,
    pub final_ts: T,
    /// The initial value is the image's; else zero, in the region `[lo, hi]` of the ELF's
    /// or (`mapped`) a segment of a word of a mapping, from the zeroing at `init_ts`.
    pub in_image: T,
    pub mapped: T,
    pub init_ts: T,
    pub writable: T,
    pub region_lo: T,
    pub region_hi: T,
    /// `addr - region_lo` and `region_hi - addr`.
    pub above_lo: Limbs<T>,
    pub below_hi: Limbs<T>,
    /// A segment: `addr = 1024 page + off` (`off` below 1024), the page's next zeroing
    /// `end`, and `end - final_ts - 1`.
    pub page: T,
    pub off: T,
    pub end: T,
    pub late: Limbs<T>,
    /// This row is a later segment of the previous row's word.
    pub same: T,
    /// `init_ts - previous row's init_ts - 1` if `same`, else `addr - previous row's addr
    /// - 1` (unchecked on the first row).
    pub gap: Limbs<T>,
}
columns!(BoundaryCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct BoundaryChip;

/// The limbs of `v`, a difference as a field element (honestly below 2^29).
pub(crate) fn limbs(v: Val, bytes: &mut ByteCounts) -> Limbs<Val> {
    let v = v.as_canonical_u32();
    let (lo, hi) = (v & 0xffff, v >> 16);
    bytes.range16(lo);
    bytes.range16(hi);
    bytes.range16(hi << 3);
    Limbs {
        lo: Val::from_u32(lo),
        hi: Val::from_u32(hi),
    }
}

/// Proves `v = lo + 2^16 hi < 2^29` where `count` is 1.
pub(crate) fn eval_limbs<AB: InteractionBuilder>(
    b: &mut AB,
    v: Expr<AB>,
    l: &Limbs<AB::Var>,
    count: Expr<AB>,
) {
    b.assert_zero(count.clone() * (v - l.lo.into() - l.hi.into() * Expr::<AB>::from_u32(1 << 16)));
    range16(b, l.lo, count.clone());
    range16(b, l.hi, count.clone());
    range16(b, l.hi.into() * Expr::<AB>::from_u32(8), count);
}

impl BoundaryChip {
    /// The trace for the touched words (sorted by address, then start), with their
    /// image, region and page-chip rows (`pages`: [`super::pages::rows`]) counted in
    /// `image_counts`, `region_counts` and `page_counts`.
    #[allow(clippy::too_many_arguments)]
    pub fn generate_trace(
        &self,
        words: &[WordState],
        image_row: impl Fn(u32) -> Option<(usize, bool)>,
        regions: &RegionChip,
        pages: &[super::pages::PageRow],
        image_counts: &mut [u32],
        region_counts: &mut [u32],
        page_counts: &mut [u32],
        bytes: &mut ByteCounts,
    ) -> Result<RowMajorMatrix<Val>, String> {
        let height = words.len().next_power_of_two().max(4);
        let w = BoundaryCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(height * w);
        let f = Val::from_u32;
        let mut prev: Option<(u32, u32, bool)> = None;
        for (i, s) in words.iter().enumerate() {
            let r: &mut BoundaryCols<Val> = values[i * w..(i + 1) * w].borrow_mut();
            r.is_real = Val::ONE;
            r.addr = Val::from_u32(s.addr);
            r.init = super::word(s.init);
            r.final_value = super::word(s.value);
            r.final_ts = Val::from_u32(s.ts);
            if let Some((row, writable)) = image_row(s.addr) {
                image_counts[row] += 1;
                r.in_image = Val::ONE;
                r.writable = Val::from_bool(writable);
            } else if let Some(row) = regions.row_of(s.addr) {
                region_counts[row] += 1;
                let Region { lo, hi, writable } = regions.regions[row];
                r.writable = Val::from_bool(writable);
                r.region_lo = f(lo);
                r.region_hi = f(hi);
                r.above_lo = limbs(f(s.addr) - f(lo), bytes);
                r.below_hi = limbs(f(hi) - f(s.addr), bytes);
            } else {
                // A segment, from the zeroing of its page at `init_ts`.
                let page = s.addr / super::mm::PAGE_WORDS;
                // (A start that is no zeroing of its page, only in a forged run, takes the
                // page's first row, for the lookup to refuse.)
                let (row, end) = super::pages::lookup(pages, page, s.init_ts)
                    .or_else(|| {
                        let i = pages.iter().position(|r| r.page == page)?;
                        Some((i, pages[i].end))
                    })
                    .ok_or_else(|| format!("word {:#010x} is in no mapped region", s.addr * 4))?;
                page_counts[row] += 1;
                r.mapped = Val::ONE;
                r.writable = Val::ONE;
                r.init_ts = f(s.init_ts);
                r.page = f(page);
                r.off = f(s.addr % super::mm::PAGE_WORDS);
                bytes.range16(s.addr % super::mm::PAGE_WORDS);
                bytes.range16((s.addr % super::mm::PAGE_WORDS) << 6);
                r.end = f(end);
                // (With the check knocked out, in tests, no limbs and no lookups.)
                if kept("boundary.end") {
                    r.late = limbs(f(end) - f(s.ts) - Val::ONE, bytes);
                }
            }
            let gap = match prev {
                Some((a, t, true)) if a == s.addr && r.mapped == Val::ONE => {
                    r.same = Val::ONE;
                    f(s.init_ts) - f(t) - Val::ONE
                }
                Some((a, _, _)) => f(s.addr) - f(a) - Val::ONE,
                None => Val::ZERO,
            };
            r.gap = limbs(gap, bytes);
            prev = Some((s.addr, s.init_ts, r.mapped == Val::ONE));
        }
        Ok(RowMajorMatrix::new(values, w))
    }
}

impl BaseAir<Val> for BoundaryChip {
    fn width(&self) -> usize {
        BoundaryCols::<u8>::WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for BoundaryChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &BoundaryCols<AB::Var> = main.current_slice().borrow();
        let n: &BoundaryCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);
        b.assert_zero(e(l.in_image) * (is_real.clone() - e(l.in_image)));
        b.assert_zero(e(l.writable) * (is_real.clone() - e(l.writable)));
        let zero_init = is_real.clone() - e(l.in_image);
        // A mapped word is a zero word, writable, and only a mapped word starts later than 0.
        b.assert_bool(l.mapped);
        b.assert_zero(e(l.mapped) * (zero_init.clone() - e(l.mapped)));
        b.assert_zero(e(l.mapped) * (Expr::<AB>::ONE - e(l.writable)));
        // (A later start on another row would only forbid accesses before it; pinned to 0
        // so that the column means one thing.)
        b.assert_zero((Expr::<AB>::ONE - e(l.mapped)) * e(l.init_ts));

        // Into the memory argument at timestamp 0 (a segment: at its zeroing's), out at the end.
        // A writable word in the memory space, a read-only one in the read-only space.
        let space = || {
            Expr::<AB>::from_u32(SPACE_MEM)
                + (is_real.clone() - e(l.writable)) * Expr::<AB>::from_u32(SPACE_RO - SPACE_MEM)
        };
        memory_send(
            b,
            space(),
            e(l.addr),
            l.init.map(Into::into),
            e(l.init_ts),
            is_real.clone(),
        );
        memory_receive(
            b,
            space(),
            e(l.addr),
            l.final_value.map(Into::into),
            e(l.final_ts),
            is_real.clone(),
        );

        // The initial value: the image's, or zero inside a mapped region.
        let mut key: Vec<Expr<AB>> = vec![e(l.addr)];
        key.extend(l.init.map(Into::into));
        key.push(e(l.writable));
        b.push_interaction(IMAGE, key, Count::bounded(e(l.in_image), 1));
        let in_region = zero_init.clone() - e(l.mapped);
        b.push_interaction(
            REGION,
            [e(l.region_lo), e(l.region_hi), e(l.writable)],
            Count::bounded(in_region.clone(), 1),
        );
        if kept("boundary.zero_init") {
            for k in 0..4 {
                b.assert_zero(zero_init.clone() * e(l.init[k]));
            }
        }
        eval_limbs(
            b,
            e(l.addr) - e(l.region_lo),
            &l.above_lo,
            in_region.clone(),
        );
        eval_limbs(
            b,
            e(l.region_hi) - e(l.addr),
            &l.below_hi,
            in_region.clone(),
        );
        // Outside region rows the region columns are in no message and no constraint but
        // these: kept zero. (The limbs, checked only with a zero count, are inert there.)
        b.assert_zero((is_real.clone() - in_region.clone()) * e(l.region_lo));
        b.assert_zero((is_real.clone() - in_region) * e(l.region_hi));

        // A segment: its page had a zeroing at init_ts, whose next one, end, is after the
        // segment's last access. The page is a page of a mapping (the page chip's rows
        // are, below 2^20), so `1024 page + off` with `off < 1024` is exact.
        let mapped = e(l.mapped);
        let c = |v: u32| Expr::<AB>::from_u32(v);
        b.assert_zero(
            mapped.clone() * (e(l.addr) - e(l.page) * c(super::mm::PAGE_WORDS) - e(l.off)),
        );
        range16(b, l.off, mapped.clone());
        range16(b, e(l.off) * c(1 << 6), mapped.clone());
        let start = if kept("pages.ts") {
            e(l.init_ts)
        } else {
            Expr::<AB>::ZERO
        };
        b.push_interaction(
            PAGES,
            [e(l.page), start, e(l.end)],
            Count::bounded(mapped.clone(), 1),
        );
        if kept("boundary.end") {
            eval_limbs(
                b,
                e(l.end) - e(l.final_ts) - Expr::<AB>::ONE,
                &l.late,
                mapped.clone(),
            );
        }
        // (Off segment rows page, off, end and late are in no message with a non-zero
        // count and no constraint with a non-zero factor: left zero.)

        // A read-only word keeps its value.
        if kept("boundary.ro_final") {
            for k in 0..4 {
                b.assert_zero(
                    (is_real.clone() - e(l.writable)) * (e(l.final_value[k]) - e(l.init[k])),
                );
            }
        }

        // Strictly increasing (address, start) over the real rows: a later row of one
        // address is a later segment of a word of a mapping; padding after them.
        b.assert_bool(l.same);
        b.assert_zero(e(l.same) * (Expr::<AB>::ONE - mapped));
        b.when_first_row().assert_zero(e(l.same));
        if kept("boundary.gap") {
            range16(b, l.gap.lo, is_real.clone());
            range16(b, l.gap.hi, is_real.clone());
            range16(
                b,
                l.gap.hi.into() * Expr::<AB>::from_u32(8),
                is_real.clone(),
            );
        }
        let mut t = b.when_transition();
        t.assert_zero(e(n.is_real) * (Expr::<AB>::ONE - is_real.clone()));
        t.assert_zero(e(n.same) * (e(n.addr) - e(l.addr)));
        t.assert_zero(e(n.same) * (Expr::<AB>::ONE - e(l.mapped)));
        let diff = e(n.same) * (e(n.init_ts) - e(l.init_ts))
            + (Expr::<AB>::ONE - e(n.same)) * (e(n.addr) - e(l.addr));
        t.assert_zero(
            e(n.is_real)
                * (diff
                    - Expr::<AB>::ONE
                    - e(n.gap.lo)
                    - e(n.gap.hi) * Expr::<AB>::from_u32(1 << 16)),
        );
    }
}
