//! A direct check of a witness: every constraint of every chip on every row, and the
//! balance of every bus, evaluated over plain field elements.
//!
//! Proving a bad witness only fails at verification, with no hint of why. This checker
//! names the chip, the row and the constraint that fail, or the bus and message that do not
//! balance. It runs each chip's own `eval`, so it checks exactly what the proof does. The
//! mutation tests use it to show that each corrupted cell is caught, and by which check;
//! `zkm prove --check` runs it before proving.

use std::collections::HashMap;
use std::fmt;

use p3_air::{Air, AirBuilder, BaseAir, RowWindow};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use super::config::Val;
use super::knockout::kept;

/// The first failure the checker found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// Constraint number `index` (in `eval` order) of `chip` is not zero on `row`.
    Constraint {
        chip: String,
        row: usize,
        index: usize,
    },
    /// The messages on `bus` do not cancel: `message` is left with count `net`, first seen
    /// in `chip` at `row`.
    Unbalanced {
        bus: String,
        message: Vec<u32>,
        net: i64,
        chip: String,
        row: usize,
    },
    /// A count is neither 0 nor one of the small values its lookup declares.
    Shape(String),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Constraint { chip, row, index } => {
                write!(f, "constraint {index} of chip {chip} fails on row {row}")
            }
            CheckError::Unbalanced {
                bus,
                message,
                net,
                chip,
                row,
            } => write!(
                f,
                "bus {bus} does not balance: message {message:?} has net count {net} \
                 (first seen in chip {chip}, row {row})"
            ),
            CheckError::Shape(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for CheckError {}

/// One chip's witness, as the prover would commit it.
pub struct CheckInstance<'a, A> {
    pub name: String,
    pub air: &'a A,
    pub main: &'a RowMajorMatrix<Val>,
    pub public_values: &'a [Val],
}

struct Interaction {
    bus: String,
    message: Vec<Val>,
    count: Val,
}

/// Evaluates one row.
pub struct CheckBuilder<'a> {
    main: RowWindow<'a, Val>,
    preprocessed: RowWindow<'a, Val>,
    public_values: &'a [Val],
    periodic: &'a [Val],
    row: usize,
    height: usize,
    constraints: usize,
    failed: Option<usize>,
    interactions: Vec<Interaction>,
}

impl<'a> AirBuilder for CheckBuilder<'a> {
    type F = Val;
    type Expr = Val;
    type Var = Val;
    type PreprocessedWindow = RowWindow<'a, Val>;
    type MainWindow = RowWindow<'a, Val>;
    type PublicVar = Val;
    type PeriodicVar = Val;

    fn main(&self) -> Self::MainWindow {
        self.main
    }
    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        &self.preprocessed
    }
    fn is_first_row(&self) -> Val {
        Val::from_bool(self.row == 0)
    }
    fn is_last_row(&self) -> Val {
        Val::from_bool(self.row + 1 == self.height)
    }
    fn is_transition(&self) -> Val {
        Val::from_bool(self.row + 1 != self.height)
    }
    fn assert_zero<I: Into<Val>>(&mut self, x: I) {
        if !x.into().is_zero() && self.failed.is_none() {
            self.failed = Some(self.constraints);
        }
        self.constraints += 1;
    }
    fn public_values(&self) -> &[Val] {
        self.public_values
    }
    fn periodic_values(&self) -> &[Val] {
        self.periodic
    }
}

impl InteractionBuilder for CheckBuilder<'_> {
    fn push_interaction<E: Into<Val>>(
        &mut self,
        bus_name: &str,
        fields: impl IntoIterator<Item = E>,
        count: impl Into<Count<Val>>,
    ) {
        let (count, _) = count.into().into_parts();
        self.interactions.push(Interaction {
            bus: bus_name.to_string(),
            message: fields.into_iter().map(Into::into).collect(),
            count,
        });
    }

    fn push_local_interaction(&mut self, tuples: impl IntoIterator<Item = (Vec<Val>, Count<Val>)>) {
        for (message, count) in tuples {
            let (count, _) = count.into_parts();
            self.interactions.push(Interaction {
                bus: String::from("<local>"),
                message,
                count,
            });
        }
    }

    fn push_exclusive_interaction(
        &mut self,
        bus_name: &str,
        branches: impl IntoIterator<Item = (Val, Count<Val>, Vec<Val>)>,
    ) {
        for (flag, count, message) in branches {
            let (count, _) = count.into_parts();
            self.interactions.push(Interaction {
                bus: bus_name.to_string(),
                message,
                count: flag * count,
            });
        }
    }
}

/// A field element as a small signed integer, for messages.
fn signed(v: Val) -> i64 {
    let u = v.as_canonical_u32() as i64;
    if u > (Val::ORDER_U32 as i64) / 2 {
        u - Val::ORDER_U32 as i64
    } else {
        u
    }
}

/// Checks every constraint and every bus of `instances`; the first failure.
pub fn check<A>(instances: &[CheckInstance<'_, A>]) -> Result<(), CheckError>
where
    A: BaseAir<Val> + for<'b> Air<CheckBuilder<'b>>,
{
    match check_all(instances, 1).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Checks every constraint and every bus of `instances`; up to `max` failures, constraint
/// failures (by chip and row) first, then unbalanced messages (in order of first sight).
pub fn check_all<A>(instances: &[CheckInstance<'_, A>], max: usize) -> Vec<CheckError>
where
    A: BaseAir<Val> + for<'b> Air<CheckBuilder<'b>>,
{
    let mut errors = Vec::new();
    // Per bus, per message: the net count and where it was first seen.
    let mut buses: HashMap<(String, Vec<u32>), (Val, usize, usize)> = HashMap::new();
    // Per bus, the width of its messages and the chip that first sent one. Plonky3's
    // fingerprint aligns messages at their last element, so `[x]` and `[0, x]` on one bus
    // would be the same message: every message on a bus must have one width.
    let mut widths: HashMap<String, (usize, String)> = HashMap::new();
    let mut mixed = std::collections::HashSet::new();
    for (idx, inst) in instances.iter().enumerate() {
        let height = inst.main.height();
        let width = inst.main.width();
        if width != inst.air.width() {
            errors.push(CheckError::Shape(format!(
                "chip {}: trace has {width} columns, the AIR {}",
                inst.name,
                inst.air.width()
            )));
            continue;
        }
        let pre = inst.air.preprocessed_trace();
        let pre_width = pre.as_ref().map_or(0, |p| p.width());
        if let Some(p) = &pre {
            if p.height() != height {
                errors.push(CheckError::Shape(format!(
                    "chip {}: preprocessed height {} differs from the trace's {height}",
                    inst.name,
                    p.height()
                )));
                continue;
            }
        }
        let empty: Vec<Val> = Vec::new();
        for row in 0..height {
            let next = (row + 1) % height;
            let local = &inst.main.values[row * width..(row + 1) * width];
            let nxt = &inst.main.values[next * width..(next + 1) * width];
            let (pl, pn) = match &pre {
                Some(p) => (
                    &p.values[row * pre_width..(row + 1) * pre_width],
                    &p.values[next * pre_width..(next + 1) * pre_width],
                ),
                None => (&empty[..], &empty[..]),
            };
            let periodic = inst.air.periodic_values(row);
            let mut b = CheckBuilder {
                main: RowWindow::from_two_rows(local, nxt),
                preprocessed: RowWindow::from_two_rows(pl, pn),
                public_values: inst.public_values,
                periodic: &periodic,
                row,
                height,
                constraints: 0,
                failed: None,
                interactions: Vec::new(),
            };
            inst.air.eval(&mut b);
            if let Some(index) = b.failed {
                errors.push(CheckError::Constraint {
                    chip: inst.name.clone(),
                    row,
                    index,
                });
            }
            for i in b.interactions {
                let (width, first) = widths
                    .entry(i.bus.clone())
                    .or_insert((i.message.len(), inst.name.clone()));
                if kept("check.widths") && *width != i.message.len() && mixed.insert(i.bus.clone())
                {
                    errors.push(CheckError::Shape(format!(
                        "bus {}: chip {} sends messages of {} elements, chip {first} of {width}",
                        i.bus,
                        inst.name,
                        i.message.len()
                    )));
                }
                if i.count.is_zero() {
                    continue;
                }
                #[cfg(test)]
                if !super::knockout::kept(&format!("bus.{}", i.bus)) {
                    continue;
                }
                let key = (
                    i.bus,
                    i.message.iter().map(|v| v.as_canonical_u32()).collect(),
                );
                let e = buses.entry(key).or_insert((Val::ZERO, idx, row));
                e.0 += i.count;
            }
        }
    }
    // Unbalanced messages in order of first sight, so that the answer is deterministic.
    let mut bad: Vec<_> = buses.into_iter().filter(|(_, v)| !v.0.is_zero()).collect();
    bad.sort_by_key(|((bus, msg), (_, idx, row))| (*idx, *row, bus.clone(), msg.clone()));
    for ((bus, message), (net, idx, row)) in bad {
        errors.push(CheckError::Unbalanced {
            bus,
            message,
            net: signed(net),
            chip: instances[idx].name.clone(),
            row,
        });
    }
    errors.truncate(max);
    errors
}
