//! `poseidon2`: one Poseidon2 permutation per row, a table that other chips look
//! permutations up in. It is the proof's own permutation (width 16, KoalaBear's round
//! constants, as `default_koalabear_poseidon2_16` builds it for the FRI trees), so the
//! state tree of continuations ([`super::merkle`], docs/continuations.md) can be
//! recomputed inside a shard. No chip of the machine uses it yet: it is tested alone.
//!
//! **Columns.** p3-poseidon2-air's `Poseidon2Cols` for width 16, S-box degree 3 with no
//! extra registers, 4 + 4 full rounds and 20 partial ones (164 columns: the input, every
//! full round's output, every partial round's S-box output), then `mult`.
//!
//! **Constraints.** p3-poseidon2-air's own `eval`, run on the row's first 164 columns
//! through [`Narrow`], a builder that shows it only those. So every round is constrained
//! exactly as Plonky3 constrains it, on every row, padding included (a padding row is the
//! permutation of zeros).
//!
//! **Bus.** `poseidon2` receives `(input[16], output[16])` with count `mult`, the number of
//! requests for that permutation: a provided table entry. A row's `mult` is free, and that
//! is safe: every row's pair is a true permutation whatever `mult` is, so whatever the
//! counts, every request (each of count at most 1) is answered by a true permutation. A
//! request with no true pair leaves a term no table row can cancel.

use std::borrow::Borrow;
use std::sync::OnceLock;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL,
};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_poseidon2_air::{
    generate_trace_rows, num_cols, Poseidon2Air, Poseidon2Cols, RoundConstants,
};

use super::config::Val;
use super::knockout::kept;

/// The bus of permutations: `(input[16], output[16])`.
pub const POSEIDON2: &str = "poseidon2";

const WIDTH: usize = 16;
const SBOX_DEGREE: u64 = 3;
const SBOX_REGISTERS: usize = 0;
const HALF_FULL_ROUNDS: usize = 4;
const PARTIAL_ROUNDS: usize = 20;

type Layers = GenericPoseidon2LinearLayersKoalaBear;
type P2Air =
    Poseidon2Air<Val, Layers, WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>;
type P2Cols<T> =
    Poseidon2Cols<T, WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>;

/// The permutation's columns.
pub const P2_COLS: usize =
    num_cols::<WIDTH, SBOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>();
/// The chip's columns: the permutation's, then `mult`.
pub const NUM_COLS: usize = P2_COLS + 1;
const MULT: usize = P2_COLS;

fn constants() -> RoundConstants<Val, WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS> {
    RoundConstants::new(
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
        KOALABEAR_POSEIDON2_RC_16_INTERNAL,
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    )
}

fn air() -> &'static P2Air {
    static AIR: OnceLock<P2Air> = OnceLock::new();
    AIR.get_or_init(|| P2Air::new(constants()))
}

/// The table of permutations.
#[derive(Clone, Copy, Debug, Default)]
pub struct Poseidon2Chip;

/// The output columns of a row: the last full round's state.
fn output<T: Copy>(row: &[T]) -> [T; WIDTH] {
    let cols: &P2Cols<T> = row[..P2_COLS].borrow();
    cols.ending_full_rounds[HALF_FULL_ROUNDS - 1].post
}

impl Poseidon2Chip {
    /// The trace: one row per `(input, mult)`, then permutations of zeros with `mult` 0 up
    /// to a power of two (at least 4) rows.
    pub fn trace(perms: &[([Val; WIDTH], u32)]) -> RowMajorMatrix<Val> {
        let height = perms.len().next_power_of_two().max(4);
        let mut inputs: Vec<[Val; WIDTH]> = perms.iter().map(|p| p.0).collect();
        inputs.resize(height, [Val::ZERO; WIDTH]);
        let p2 = generate_trace_rows::<
            Val,
            Layers,
            WIDTH,
            SBOX_DEGREE,
            SBOX_REGISTERS,
            HALF_FULL_ROUNDS,
            PARTIAL_ROUNDS,
        >(inputs, &constants(), 0);
        let mut values = Vec::with_capacity(height * NUM_COLS);
        for (i, row) in p2.rows().enumerate() {
            values.extend(row);
            values.push(Val::from_u32(perms.get(i).map_or(0, |p| p.1)));
        }
        RowMajorMatrix::new(values, NUM_COLS)
    }

    /// The permutation a trace row proves: its input and output.
    pub fn row_io(row: &[Val]) -> ([Val; WIDTH], [Val; WIDTH]) {
        let cols: &P2Cols<Val> = row[..P2_COLS].borrow();
        (cols.inputs, output(row))
    }
}

impl BaseAir<Val> for Poseidon2Chip {
    fn width(&self) -> usize {
        NUM_COLS
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for Poseidon2Chip {
    fn eval(&self, b: &mut AB) {
        if kept("poseidon2.rounds") {
            air().eval(&mut Narrow {
                inner: b,
                width: P2_COLS,
            });
        }
        let main = b.main();
        let row = main.current_slice();
        let cols: &P2Cols<AB::Var> = row[..P2_COLS].borrow();
        let message: Vec<AB::Expr> = (cols.inputs.iter())
            .chain(output(row).iter())
            .map(|&v| v.into())
            .collect();
        let mult: AB::Expr = row[MULT].into();
        b.push_interaction(POSEIDON2, message, Count::provided(-mult));
    }
}

/// A builder that shows an AIR only the first `width` columns of the main trace, so that
/// p3-poseidon2-air's `eval`, which reads the whole row as its own, can constrain part of
/// a wider row. Everything else is the inner builder's.
struct Narrow<'a, AB> {
    inner: &'a mut AB,
    width: usize,
}

/// The first `width` columns of a window.
#[derive(Clone)]
struct Prefix<W> {
    window: W,
    width: usize,
}

impl<T, W: WindowAccess<T>> WindowAccess<T> for Prefix<W> {
    fn current_slice(&self) -> &[T] {
        let row = self.window.current_slice();
        &row[..self.width.min(row.len())]
    }

    fn next_slice(&self) -> &[T] {
        let row = self.window.next_slice();
        &row[..self.width.min(row.len())]
    }
}

impl<AB: AirBuilder> AirBuilder for Narrow<'_, AB> {
    type F = AB::F;
    type Expr = AB::Expr;
    type Var = AB::Var;
    type PreprocessedWindow = AB::PreprocessedWindow;
    type MainWindow = Prefix<AB::MainWindow>;
    type PublicVar = AB::PublicVar;
    type PeriodicVar = AB::PeriodicVar;
    const WINDOW: usize = AB::WINDOW;

    fn main(&self) -> Self::MainWindow {
        Prefix {
            window: self.inner.main(),
            width: self.width,
        }
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        self.inner.preprocessed()
    }

    fn is_first_row(&self) -> Self::Expr {
        self.inner.is_first_row()
    }

    fn is_last_row(&self) -> Self::Expr {
        self.inner.is_last_row()
    }

    fn is_transition(&self) -> Self::Expr {
        self.inner.is_transition()
    }

    fn assert_zero<I: Into<Self::Expr>>(&mut self, x: I) {
        self.inner.assert_zero(x);
    }

    fn public_values(&self) -> &[Self::PublicVar] {
        self.inner.public_values()
    }

    fn periodic_values(&self) -> &[Self::PeriodicVar] {
        self.inner.periodic_values()
    }
}

#[cfg(test)]
mod tests {
    use p3_batch_stark::{prove_batch, verify_batch, ProverData, StarkInstance};
    use p3_koala_bear::default_koalabear_poseidon2_16;
    use p3_symmetric::Permutation;

    use super::super::check::{check, CheckError, CheckInstance};
    use super::super::config::{config, Config};
    use super::*;

    /// Requests permutations: `(input, output)` with count `is_real`.
    #[derive(Clone, Copy, Debug)]
    struct Requests;

    const REQ_COLS: usize = 2 * WIDTH + 1;

    impl BaseAir<Val> for Requests {
        fn width(&self) -> usize {
            REQ_COLS
        }

        fn main_next_row_columns(&self) -> Vec<usize> {
            Vec::new()
        }
    }

    impl<AB: InteractionBuilder<F = Val>> Air<AB> for Requests {
        fn eval(&self, b: &mut AB) {
            let main = b.main();
            let row = main.current_slice();
            let is_real = row[2 * WIDTH];
            b.assert_bool(is_real);
            let message: Vec<AB::Expr> = row[..2 * WIDTH].iter().map(|&v| v.into()).collect();
            b.push_interaction(POSEIDON2, message, Count::bounded(is_real.into(), 1));
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum TestAir {
        Table(Poseidon2Chip),
        Requests(Requests),
    }

    impl BaseAir<Val> for TestAir {
        fn width(&self) -> usize {
            match self {
                TestAir::Table(c) => BaseAir::<Val>::width(c),
                TestAir::Requests(c) => BaseAir::<Val>::width(c),
            }
        }

        fn main_next_row_columns(&self) -> Vec<usize> {
            Vec::new()
        }
    }

    impl<AB: InteractionBuilder<F = Val>> Air<AB> for TestAir {
        fn eval(&self, b: &mut AB) {
            match self {
                TestAir::Table(c) => c.eval(b),
                TestAir::Requests(c) => c.eval(b),
            }
        }
    }

    fn inputs(n: u32) -> Vec<[Val; WIDTH]> {
        (0..n)
            .map(|i| {
                std::array::from_fn(|k| {
                    Val::from_u32(i.wrapping_mul(0x9e37_79b9) ^ (k as u32 * 77))
                })
            })
            .collect()
    }

    fn native(input: [Val; WIDTH]) -> [Val; WIDTH] {
        default_koalabear_poseidon2_16().permute(input)
    }

    fn requests(pairs: &[([Val; WIDTH], [Val; WIDTH])]) -> RowMajorMatrix<Val> {
        let height = pairs.len().next_power_of_two().max(4);
        let mut values = vec![Val::ZERO; height * REQ_COLS];
        for (row, (i, o)) in values.chunks_exact_mut(REQ_COLS).zip(pairs) {
            row[..WIDTH].copy_from_slice(i);
            row[WIDTH..2 * WIDTH].copy_from_slice(o);
            row[2 * WIDTH] = Val::ONE;
        }
        RowMajorMatrix::new(values, REQ_COLS)
    }

    fn checked(table: &RowMajorMatrix<Val>, reqs: &RowMajorMatrix<Val>) -> Result<(), CheckError> {
        let (t, r) = (TestAir::Table(Poseidon2Chip), TestAir::Requests(Requests));
        check(&[
            CheckInstance {
                name: "poseidon2".into(),
                air: &t,
                main: table,
                public_values: &[],
            },
            CheckInstance {
                name: "requests".into(),
                air: &r,
                main: reqs,
                public_values: &[],
            },
        ])
    }

    #[test]
    fn the_chip_computes_the_proofs_own_permutation() {
        let ins = inputs(13);
        let table = Poseidon2Chip::trace(&ins.iter().map(|&i| (i, 1)).collect::<Vec<_>>());
        assert_eq!(table.height(), 16);
        for (k, row) in table.rows().enumerate() {
            let row: Vec<Val> = row.collect();
            let (i, o) = Poseidon2Chip::row_io(&row);
            let want = ins.get(k).copied().unwrap_or([Val::ZERO; WIDTH]);
            assert_eq!(i, want, "row {k}");
            assert_eq!(o, native(want), "row {k}");
        }
        // The state tree's compression is the same permutation's first eight outputs.
        let (l, r) = ([Val::ONE; 8], [Val::from_u32(2); 8]);
        let mut joined = [Val::ZERO; WIDTH];
        joined[..8].copy_from_slice(&l);
        joined[8..].copy_from_slice(&r);
        let row: Vec<Val> = Poseidon2Chip::trace(&[(joined, 1)])
            .row_slice(0)
            .unwrap()
            .to_vec();
        assert_eq!(
            Poseidon2Chip::row_io(&row).1[..8],
            super::super::merkle::compress(&l, &r)
        );
    }

    #[test]
    fn requests_balance_against_the_table_and_forgeries_do_not() {
        let ins = inputs(6);
        let pairs: Vec<_> = ins.iter().map(|&i| (i, native(i))).collect();
        // The third permutation is asked for twice.
        let mut asked = pairs.clone();
        asked.push(pairs[2]);
        let mut mults: Vec<_> = ins.iter().map(|&i| (i, 1)).collect();
        mults[2].1 = 2;
        let table = Poseidon2Chip::trace(&mults);
        assert_eq!(checked(&table, &requests(&asked)), Ok(()));

        // A request for a wrong output finds no row.
        let mut wrong = asked.clone();
        wrong[4].1[7] += Val::ONE;
        assert!(matches!(
            checked(&table, &requests(&wrong)),
            Err(CheckError::Unbalanced { .. })
        ));

        // A table row whose output is changed to match that request breaks a round.
        let mut forged = table.clone();
        let out_col = P2_COLS - WIDTH + 7;
        forged.values[4 * NUM_COLS + out_col] += Val::ONE;
        match checked(&forged, &requests(&wrong)) {
            Err(CheckError::Constraint { chip, row, .. }) => {
                assert_eq!((chip.as_str(), row), ("poseidon2", 4))
            }
            other => panic!("{other:?}"),
        }

        // So does any cell inside the rounds: a partial round's S-box output.
        let mut inner = table.clone();
        inner.values[NUM_COLS + WIDTH + 4 * WIDTH + 5] += Val::ONE;
        assert!(matches!(
            checked(&inner, &requests(&asked)),
            Err(CheckError::Constraint { row: 1, .. })
        ));

        // A row's count must be what is asked of it.
        let mut counted = mults.clone();
        counted[0].1 = 2;
        assert!(matches!(
            checked(&Poseidon2Chip::trace(&counted), &requests(&asked)),
            Err(CheckError::Unbalanced { .. })
        ));
    }

    #[test]
    fn a_batch_of_permutations_proves_and_verifies() {
        let ins = inputs(100);
        let pairs: Vec<_> = ins.iter().map(|&i| (i, native(i))).collect();
        let table = Poseidon2Chip::trace(&ins.iter().map(|&i| (i, 1)).collect::<Vec<_>>());
        let reqs = requests(&pairs);
        let airs = [TestAir::Table(Poseidon2Chip), TestAir::Requests(Requests)];
        let config = config();
        let prove = |reqs: &RowMajorMatrix<Val>| {
            let stark: Vec<StarkInstance<'_, Config, TestAir>> = airs
                .iter()
                .zip([&table, reqs])
                .map(|(air, trace)| StarkInstance {
                    air,
                    trace,
                    public_values: Vec::new(),
                })
                .collect();
            let data = ProverData::from_instances(&config, &stark).unwrap();
            let proof = prove_batch(&config, &stark, &data).unwrap();
            verify_batch(
                &config,
                &airs,
                &proof,
                &[Vec::new(), Vec::new()],
                &data.common,
            )
        };
        assert!(prove(&reqs).is_ok());
        // A request whose output is off by one does not verify. (A release build proves
        // it and the verifier refuses it; a debug build panics at the unbalanced bus
        // before proving.)
        let mut bad = reqs.clone();
        bad.values[WIDTH + 3] += Val::ONE;
        let proved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prove(&bad)));
        assert!(!matches!(proved, Ok(Ok(()))));
    }
}
