//! The page chip: when each page of readable memory was last made zero, or unmapped.
//!
//! Two calls make pages of anonymous memory zero: a readable `mmap` (fresh pages) and
//! `madvise(MADV_DONTNEED)` (Linux drops the pages, and the next access to one finds a
//! fresh zero page). Call either a *zeroing event* `(lo, hi, t)`: pages `lo..=hi` at the
//! call's timestamp `t`. A `munmap` is an *unmapping event* of its pages. This chip has
//! one row per page of every zeroing and unmapping event, of its kind (`zero`),
//! `(page, t)`, sorted strictly by page, then by `t`, and gives each row the timestamp of
//! the next event on the same page, `end` (or [`END`], above every timestamp, for the last
//! one):
//!
//! - **Coverage.** The mm chip's row of an event sends the token `(lo, t, kind)` and
//!   takes `(hi + 1, t, kind)` on the `cover` bus; each page row takes `(page, t, zero)`
//!   and sends `(page + 1, t, zero)`, so it has its event's kind. For one `t` the tokens cancel only if the rows of `t`, counted with
//!   multiplicity, are exactly the pages `lo..=hi`: the count `m(x)` of rows at page `x`
//!   satisfies `m(x) = m(x - 1) + [x = lo] - [x = hi + 1]` all the way round the field,
//!   so it is one on `lo..=hi` plus a constant, and the constant is 0 because the trace is
//!   far shorter than p. Every syscall has its own timestamp, so each `t` is one event:
//!   no page row exists without its event, and no event lacks one of its pages.
//! - **Order.** Consecutive rows on one page have increasing `t` (`same`, and
//!   `t' - t - 1` below 2^29); a new page is above the last (`page' - page - 1` below
//!   2^29). So the rows of a page are its events in time order, and `end` is the next
//!   one's `t`: the next time the page was made zero, or unmapped.
//! - **Unmapped.** An unmapping row is looked up by no segment (`mult (1 - zero) = 0`):
//!   after a `munmap` no word of the page has a chain until it is mapped again.
//!
//! `page` and `t` are not range-checked here: they are the mm chip's, through `cover`,
//! where a page lies below `MMAP_TOP` (`mm.bounds`, and `mm.inside` for a `madvise` or a
//! `munmap`, which lies in an earlier mapping) and a timestamp is a syscall's. So pages are below 2^20,
//! which keeps `1024 page + off` exact in the boundary and the order's differences free of
//! wrap-around. A new source of zeroing events must keep both bounds.
//!
//! The memory boundary ([`super::boundary`]) has one row per *segment* of a word of a
//! mapping: a segment starts at zero at a zeroing event of the word's page and ends
//! before the next one. Its row looks up `(page, start, end)` here and proves its final
//! timestamp below `end`, so no chain of accesses reaches across a zeroing: after
//! `MADV_DONTNEED`, the next access of a word reads zero, as Linux gives it.

use std::borrow::{Borrow, BorrowMut};

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::boundary::{limbs, Limbs};
use super::bus::{range16, Expr, COVER, PAGES};
use super::bytes::ByteCounts;
use super::cols::columns;
use super::config::Val;
use super::knockout::kept;

/// The `end` of a page's last event: above every timestamp (they are below
/// `2^(TS_DIFF_BITS + 1)`), so a last segment may run to the end of the run, and within the
/// 29-bit range of the boundary's `end - final_ts - 1`.
pub const END: u32 = 1 << 29;
const _: () = assert!(1u64 << (super::bus::TS_DIFF_BITS + 1) < END as u64);

/// A row: a page of a page event at `t`, a zeroing (`zero`) or a `munmap`, and the next
/// event's `t` on the page (or [`END`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageRow {
    pub page: u32,
    pub t: u32,
    pub end: u32,
    pub zero: bool,
}

/// The rows for every page of every page event in `events` (readable `mmap`s,
/// `madvise(MADV_DONTNEED)`s and `munmap`s), sorted.
pub fn rows(events: &[super::mm::MmEvent]) -> Vec<PageRow> {
    let mut keys: Vec<(u32, u32, bool)> = events
        .iter()
        .filter(|ev| ev.page_event())
        .flat_map(|ev| {
            let (lo, hi) = ev.pages();
            let (t, zero) = (ev.ts(), ev.zeroes());
            (lo..=hi).map(move |p| (p, t, zero))
        })
        .collect();
    keys.sort_unstable();
    (0..keys.len())
        .map(|i| {
            let (page, t, zero) = keys[i];
            let end = match keys.get(i + 1) {
                Some(&(p, t2, _)) if p == page => t2,
                _ => END,
            };
            PageRow { page, t, end, zero }
        })
        .collect()
}

/// The row of `(page, t)` in `rows`, and its `end`.
pub fn lookup(rows: &[PageRow], page: u32, t: u32) -> Option<(usize, u32)> {
    let i = match rows.binary_search_by_key(&(page, t), |r| (r.page, r.t)) {
        Ok(i) => i,
        // (Rows out of order, only in a forged run.)
        Err(_) => rows.iter().position(|r| (r.page, r.t) == (page, t))?,
    };
    Some((i, rows[i].end))
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct PagesCols<T> {
    pub is_real: T,
    pub page: T,
    /// The event's timestamp, and its kind: a zeroing (1) or a `munmap` (0).
    pub t: T,
    pub zero: T,
    /// The next row's `t` if it is on this page, else [`END`].
    pub end: T,
    /// This row is on the previous row's page (0 on the first row).
    pub same: T,
    /// `t - previous t - 1` if `same`, else `page - previous page - 1` (zero, unchecked, on
    /// the first row).
    pub gap: Limbs<T>,
    /// The boundary's lookups of this row.
    pub mult: T,
}
columns!(PagesCols);

#[derive(Clone, Copy, Debug, Default)]
pub struct PagesChip;

impl PagesChip {
    /// The trace of `rows` ([`rows`]), with `mults[i]` boundary lookups of row `i`.
    pub fn generate_trace(
        &self,
        rows: &[PageRow],
        mults: &[u32],
        bytes: &mut ByteCounts,
    ) -> RowMajorMatrix<Val> {
        let height = rows.len().next_power_of_two().max(4);
        let w = PagesCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(height * w);
        let f = Val::from_u32;
        for (i, &PageRow { page, t, end, zero }) in rows.iter().enumerate() {
            let r: &mut PagesCols<Val> = values[i * w..(i + 1) * w].borrow_mut();
            r.is_real = Val::ONE;
            r.page = f(page);
            r.t = f(t);
            r.zero = Val::from_bool(zero);
            r.end = f(end);
            r.mult = f(mults.get(i).copied().unwrap_or(0));
            let gap = match i.checked_sub(1).map(|j| (rows[j].page, rows[j].t)) {
                Some((p, t0)) if p == page => {
                    r.same = Val::ONE;
                    f(t) - f(t0) - Val::ONE
                }
                Some((p, _)) => f(page) - f(p) - Val::ONE,
                None => Val::ZERO,
            };
            // (With the check knocked out, in tests, no limbs and no lookups.)
            if kept("pages.order") {
                r.gap = limbs(gap, bytes);
            }
        }
        RowMajorMatrix::new(values, w)
    }
}

impl BaseAir<Val> for PagesChip {
    fn width(&self) -> usize {
        PagesCols::<u8>::WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for PagesChip {
    fn eval(&self, b: &mut AB) {
        let main = b.main();
        let l: &PagesCols<AB::Var> = main.current_slice().borrow();
        let n: &PagesCols<AB::Var> = main.next_slice().borrow();
        let (l, n) = (*l, *n);
        let e = |v: AB::Var| -> Expr<AB> { v.into() };
        let c = |v: u32| Expr::<AB>::from_u32(v);
        let one = || Expr::<AB>::ONE;
        let is_real = e(l.is_real);
        b.assert_bool(l.is_real);
        b.assert_bool(l.same);
        b.assert_bool(l.zero);
        b.assert_zero(e(l.same) * (one() - is_real.clone()));
        b.when_first_row().assert_zero(e(l.same));
        // (On padding rows every other column is in no message with a non-zero count and
        // no constraint with a non-zero factor: left zero.)

        // Sorted strictly by (page, t): the gap of each row from the one before, below
        // 2^29.
        if kept("pages.order") {
            range16(b, l.gap.lo, is_real.clone());
            range16(b, l.gap.hi, is_real.clone());
            range16(b, e(l.gap.hi) * c(8), is_real.clone());
        }
        {
            let mut t = b.when_transition();
            t.assert_zero(e(n.is_real) * (one() - is_real.clone()));
            t.assert_zero(e(n.same) * (e(n.page) - e(l.page)));
            let diff = e(n.same) * (e(n.t) - e(l.t))
                + (one() - e(n.same)) * (e(n.page) - e(l.page))
                - one();
            if kept("pages.order") {
                t.assert_zero(e(n.is_real) * (diff - e(n.gap.lo) - e(n.gap.hi) * c(1 << 16)));
            }
            // The end: the next row's t on the same page, else END.
            if kept("pages.end") {
                t.assert_zero(
                    is_real.clone()
                        * (e(l.end) - e(n.same) * e(n.t) - (one() - e(n.same)) * c(END)),
                );
            }
        }
        if kept("pages.end") {
            b.when_last_row()
                .assert_zero(is_real.clone() * (e(l.end) - c(END)));
        }

        // Each page of its event: take (page, t, kind), give (page + 1, t, kind).
        b.push_interaction(
            COVER,
            [e(l.page), e(l.t), e(l.zero)],
            Count::bounded(-is_real.clone(), 1),
        );
        b.push_interaction(
            COVER,
            [e(l.page) + one(), e(l.t), e(l.zero)],
            Count::bounded(is_real.clone(), 1),
        );
        // The boundary's segments: (page, start, end).
        let start = if kept("pages.ts") {
            e(l.t)
        } else {
            Expr::<AB>::ZERO
        };
        b.push_interaction(
            PAGES,
            [e(l.page), start, e(l.end)],
            Count::provided(-e(l.mult)),
        );
        b.assert_zero(e(l.mult) * (one() - is_real));
        // No segment starts at a munmap: its pages are gone until they are mapped again.
        if kept("pages.unmapped") {
            b.assert_zero(e(l.mult) * (one() - e(l.zero)));
        }
    }
}
