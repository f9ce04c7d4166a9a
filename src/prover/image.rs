//! The ELF tables of the verifying key: the image (every word that holds file bytes, with
//! its value and whether it is writable) and the regions (runs of mapped words that start
//! as zero: BSS, page tails, the stack). The memory boundary looks a word's initial value
//! up in one of them.
//!
//! Both are preprocessed. Padding rows have `real = 0` and a multiplicity forced to zero,
//! so nothing can be looked up in them.

use std::borrow::Borrow;

use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use super::bus::{Expr, IMAGE, REGION};
use super::cols::columns;
use super::config::Val;
use super::record::{ImageWord, Region};

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct ImagePreCols<T> {
    pub real: T,
    /// Word address.
    pub addr: T,
    pub value: [T; 4],
    pub writable: T,
}
columns!(ImagePreCols);

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct MultCols<T> {
    /// Times the row is looked up.
    pub mult: T,
}
columns!(MultCols);

#[derive(Clone, Debug)]
pub struct ImageChip {
    pub words: Vec<ImageWord>,
    pub height: usize,
}

impl ImageChip {
    pub fn new(words: Vec<ImageWord>) -> ImageChip {
        let height = words.len().next_power_of_two().max(4);
        ImageChip { words, height }
    }
}

/// The trace of a table of `height` rows from per-row lookup counts.
pub fn mult_trace(counts: &[u32], height: usize) -> RowMajorMatrix<Val> {
    let mut values = Val::zero_vec(height);
    for (v, &c) in values.iter_mut().zip(counts) {
        *v = Val::from_u32(c);
    }
    RowMajorMatrix::new(values, 1)
}

impl BaseAir<Val> for ImageChip {
    fn width(&self) -> usize {
        MultCols::<u8>::WIDTH
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let w = ImagePreCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(self.height * w);
        for (i, word) in self.words.iter().enumerate() {
            let b = word.value.to_le_bytes();
            let row = [
                1,
                word.addr,
                b[0] as u32,
                b[1] as u32,
                b[2] as u32,
                b[3] as u32,
                word.writable as u32,
            ];
            for (dst, v) in values[i * w..(i + 1) * w].iter_mut().zip(row) {
                *dst = Val::from_u32(v);
            }
        }
        Some(RowMajorMatrix::new(values, w))
    }
    fn preprocessed_width(&self) -> usize {
        ImagePreCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ImageChip {
    fn eval(&self, b: &mut AB) {
        let pre = b.preprocessed().clone();
        let p: &ImagePreCols<AB::Var> = pre.current_slice().borrow();
        let p = *p;
        let main = b.main();
        let m: &MultCols<AB::Var> = main.current_slice().borrow();
        let mult: Expr<AB> = m.mult.into();
        b.assert_zero(mult.clone() * (Expr::<AB>::ONE - p.real.into()));
        let mut key: Vec<Expr<AB>> = vec![p.addr.into()];
        key.extend(p.value.map(Into::into));
        key.push(p.writable.into());
        b.push_interaction(IMAGE, key, Count::provided(-mult));
    }
}

#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct RegionPreCols<T> {
    pub real: T,
    /// First and last word address of the run.
    pub lo: T,
    pub hi: T,
    pub writable: T,
}
columns!(RegionPreCols);

#[derive(Clone, Debug)]
pub struct RegionChip {
    pub regions: Vec<Region>,
    pub height: usize,
}

impl RegionChip {
    pub fn new(regions: Vec<Region>) -> RegionChip {
        let height = regions.len().next_power_of_two().max(4);
        RegionChip { regions, height }
    }

    /// The row of the region holding word `addr`.
    pub fn row_of(&self, addr: u32) -> Option<usize> {
        let i = self.regions.partition_point(|r| r.hi < addr);
        (i < self.regions.len() && self.regions[i].lo <= addr).then_some(i)
    }
}

impl BaseAir<Val> for RegionChip {
    fn width(&self) -> usize {
        MultCols::<u8>::WIDTH
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let w = RegionPreCols::<u8>::WIDTH;
        let mut values = Val::zero_vec(self.height * w);
        for (i, r) in self.regions.iter().enumerate() {
            let row = [1, r.lo, r.hi, r.writable as u32];
            for (dst, v) in values[i * w..(i + 1) * w].iter_mut().zip(row) {
                *dst = Val::from_u32(v);
            }
        }
        Some(RowMajorMatrix::new(values, w))
    }
    fn preprocessed_width(&self) -> usize {
        RegionPreCols::<u8>::WIDTH
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for RegionChip {
    fn eval(&self, b: &mut AB) {
        let pre = b.preprocessed().clone();
        let p: &RegionPreCols<AB::Var> = pre.current_slice().borrow();
        let p = *p;
        let main = b.main();
        let m: &MultCols<AB::Var> = main.current_slice().borrow();
        let mult: Expr<AB> = m.mult.into();
        b.assert_zero(mult.clone() * (Expr::<AB>::ONE - p.real.into()));
        b.push_interaction(
            REGION,
            [p.lo.into(), p.hi.into(), p.writable.into()],
            Count::provided(-mult),
        );
    }
}
