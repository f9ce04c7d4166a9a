//! The opcode chips alone, on many operands: every honest row satisfies its constraints and
//! byte lookups, every wrong answer is caught, and a trap that fires cannot be proved.
//!
//! Each chip is checked with the byte table (so its range checks and lookups count); the
//! `instr` and `memory` buses, whose other ends are the CPU and the memory argument, are
//! left out.

use std::borrow::BorrowMut;

use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};

use super::bus::{self, INSTR, MEMORY};
use super::bytes::ByteCounts;
use super::check::{check_all, CheckError, CheckInstance};
use super::config::Val;
use super::program::Opcode;
use super::witness::InstrEvent;
use super::*;

/// Operands worth trying: the edges of both orders, and pseudo-random words.
fn operands() -> Vec<u32> {
    let mut v = vec![
        0,
        1,
        2,
        5,
        31,
        32,
        0x7f,
        0x80,
        0xff,
        0x100,
        0x7fff,
        0x8000,
        0xffff,
        0x7fff_ffff,
        0x8000_0000,
        0x8000_0001,
        0xffff_fffe,
        0xffff_ffff,
        0x8123_4567,
    ];
    let mut x: u32 = 0x2545_f491;
    for _ in 0..12 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(x);
    }
    v
}

/// The failures of `chip` with `trace`, besides the buses to the CPU and memory.
fn errors(chip: Chip, trace: &RowMajorMatrix<Val>, bytes: &ByteCounts) -> Vec<CheckError> {
    chip_errors(chip, trace, &bytes::ByteChip.generate_trace(bytes))
}

/// The failures of `chip` with `trace` and the byte table's `byte_trace`, besides the
/// buses to the CPU and memory.
pub(crate) fn chip_errors(
    chip: Chip,
    trace: &RowMajorMatrix<Val>,
    byte_trace: &RowMajorMatrix<Val>,
) -> Vec<CheckError> {
    let byte_chip = Chip::Bytes(bytes::ByteChip);
    let insts = vec![
        CheckInstance {
            name: chip.kind().name().to_string(),
            air: &chip,
            main: trace,
            public_values: &[],
        },
        CheckInstance {
            name: "bytes".into(),
            air: &byte_chip,
            main: byte_trace,
            public_values: &[],
        },
    ];
    check_all(&insts, 1 << 20)
        .into_iter()
        .filter(
            |e| !matches!(e, CheckError::Unbalanced { bus, .. } if bus == INSTR || bus == MEMORY),
        )
        .collect()
}

fn events(ops: &[Opcode], answer: impl Fn(Opcode, u32, u32) -> Option<u32>) -> Vec<InstrEvent> {
    let vals = operands();
    let mut evs = Vec::new();
    for &op in ops {
        for &a in &vals {
            for &b in &vals {
                if let Some(c) = answer(op, a, b) {
                    evs.push(InstrEvent {
                        op,
                        clk: evs.len() as u32,
                        thread: 0,
                        a,
                        b,
                        c,
                        aux: 0,
                    });
                }
            }
        }
    }
    evs
}

/// Changes row `row` of `trace` with `f`.
fn edit<C>(trace: &mut RowMajorMatrix<Val>, row: usize, f: impl FnOnce(&mut C))
where
    [Val]: BorrowMut<C>,
{
    let w = trace.width;
    f(trace.values[row * w..(row + 1) * w].borrow_mut());
}

/// Asserts that the honest trace passes, showing the first few failures otherwise.
fn assert_passes(chip: &Chip, trace: &RowMajorMatrix<Val>, bytes: &ByteCounts) {
    let errs = errors(chip.clone(), trace, bytes);
    assert!(
        errs.is_empty(),
        "{} failures: {:?}",
        errs.len(),
        &errs[..errs.len().min(5)]
    );
}

/// How many of `rows`, each edited alone by `f`, fail one of the chip's own constraints.
/// (The row is checked alone, as a one-row trace, to keep this fast; a constraint that
/// fails there fails in any trace.)
fn caught<C>(
    chip: &Chip,
    trace: &RowMajorMatrix<Val>,
    _bytes: &ByteCounts,
    rows: impl Iterator<Item = usize>,
    f: impl Fn(&mut C),
) -> (usize, usize)
where
    [Val]: BorrowMut<C>,
{
    let w = trace.width;
    let (mut n, mut hit) = (0, 0);
    for row in rows {
        // Four rows, as the smallest trace: the edited one and three padding rows.
        let mut values = Val::zero_vec(4 * w);
        values[..w].copy_from_slice(&trace.values[row * w..(row + 1) * w]);
        let mut t = RowMajorMatrix::new(values, w);
        edit(&mut t, 0, &f);
        n += 1;
        let inst = [CheckInstance {
            name: chip.kind().name().to_string(),
            air: chip,
            main: &t,
            public_values: &[],
        }];
        if check_all(&inst, 1)
            .iter()
            .any(|e| matches!(e, CheckError::Constraint { .. }))
        {
            hit += 1;
        }
    }
    (n, hit)
}

#[test]
fn shifts_are_exact_and_wrong_answers_are_caught() {
    let ops = [Opcode::Sll, Opcode::Srl, Opcode::Sra, Opcode::Rotr];
    let evs = events(&ops, |op, a, b| Some(shift::shift(op, a, b)));
    let mut bytes = ByteCounts::default();
    let trace = shift::ShiftChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Shift(shift::ShiftChip);
    assert_passes(&chip, &trace, &bytes);
    let rows = (0..evs.len()).step_by(7);
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        rows,
        |c: &mut shift::ShiftCols<Val>| {
            c.c[1] += Val::ONE;
        },
    );
    assert_eq!(hit, n);
    // Another amount: the bits must compose b's low byte.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).step_by(11),
        |c: &mut shift::ShiftCols<Val>| c.h += Val::ONE,
    );
    assert_eq!(hit, n);
}

#[test]
fn comparisons_are_exact_and_traps_that_fire_are_refused() {
    let ops = [Opcode::Slt, Opcode::Sltu];
    let evs = events(&ops, |op, a, b| Some(compare::less(op, a, b) as u32));
    let mut bytes = ByteCounts::default();
    let trace = compare::CompareChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Compare(compare::CompareChip);
    assert_passes(&chip, &trace, &bytes);
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        0..evs.len(),
        |c: &mut compare::CompareCols<Val>| c.lt = Val::ONE - c.lt,
    );
    assert_eq!(hit, n);
    // Traps: the ones that do not fire prove; each one that fires is refused.
    let traps = [
        Opcode::Teq,
        Opcode::Tne,
        Opcode::Tge,
        Opcode::Tgeu,
        Opcode::Tlt,
        Opcode::Tltu,
    ];
    let quiet = events(&traps, |op, a, b| {
        (!compare::trap_fires(op, a, b)).then_some(0)
    });
    let mut bytes = ByteCounts::default();
    let trace = compare::CompareChip.generate_trace(&quiet, &mut bytes);
    assert_passes(&chip, &trace, &bytes);
    let firing = events(&traps, |op, a, b| {
        compare::trap_fires(op, a, b).then_some(0)
    });
    let mut bytes = ByteCounts::default();
    let trace = compare::CompareChip.generate_trace(&firing, &mut bytes);
    let errs = errors(chip.clone(), &trace, &bytes);
    let rows: std::collections::BTreeSet<usize> = errs
        .iter()
        .filter_map(|e| match e {
            CheckError::Constraint { row, .. } => Some(*row),
            _ => None,
        })
        .collect();
    assert_eq!(rows.len(), firing.len(), "every firing trap fails");
    // And an equality flag flipped to let one through is caught too.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        0..firing.len(),
        |c: &mut compare::CompareCols<Val>| c.eq = Val::ONE - c.eq,
    );
    assert_eq!(hit, n);
}

#[test]
fn multiplies_are_exact_and_wrong_answers_are_caught() {
    let ops = [
        Opcode::Mul,
        Opcode::Mult,
        Opcode::Multu,
        Opcode::Madd,
        Opcode::Maddu,
        Opcode::Msub,
        Opcode::Msubu,
    ];
    let vals = operands();
    let mut evs = Vec::new();
    for &op in &ops {
        for (i, &a) in vals.iter().enumerate() {
            for &b in &vals {
                let (hi, lo) = (vals[(i * 7) % vals.len()], vals[(i * 3 + 1) % vals.len()]);
                let (new_hi, new_lo, c) = mul::multiply(op, a, b, hi, lo);
                let keep = op == Opcode::Mul;
                evs.push(mul::MulEvent {
                    instr: InstrEvent {
                        op,
                        clk: evs.len() as u32,
                        thread: 0,
                        a,
                        b,
                        c,
                        aux: 0,
                    },
                    hi: if keep { 0 } else { hi },
                    lo: if keep { 0 } else { lo },
                    new_hi: if keep { 0 } else { new_hi },
                    new_lo: if keep { 0 } else { new_lo },
                    acc: (!keep).then(|| {
                        let t = witness::ts(evs.len() as u32, bus::SLOT_CHIP);
                        let at = |prev| witness::Access {
                            prev,
                            prev_ts: 0,
                            ts: t,
                        };
                        [at(hi), at(lo)]
                    }),
                });
            }
        }
    }
    let mut bytes = ByteCounts::default();
    let trace = mul::MulChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Mul(mul::MulChip);
    assert_passes(&chip, &trace, &bytes);
    // HI:LO set to something other than the product.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).filter(|&i| matches!(evs[i].instr.op, Opcode::Mult | Opcode::Multu)),
        |c: &mut mul::MulCols<Val>| c.new[5] = Val::from_u32(255) - c.new[5],
    );
    assert!(n > 0);
    assert_eq!(hit, n);
    // A sign flag claimed for an unsigned multiply.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).filter(|&i| evs[i].instr.op == Opcode::Multu && evs[i].instr.a >> 31 == 1),
        |c: &mut mul::MulCols<Val>| c.sa = Val::ONE,
    );
    assert!(n > 0);
    assert_eq!(hit, n);
    // A product byte other than the product (and HI:LO or rd set to it).
    for k in [0, 3, 4, 7] {
        let (n, hit) = caught(
            &chip,
            &trace,
            &bytes,
            (0..evs.len()).step_by(13),
            |c: &mut mul::MulCols<Val>| {
                c.p[k] += Val::ONE;
                c.new[k] += Val::ONE;
            },
        );
        assert_eq!(hit, n, "byte {k}");
    }
}

#[test]
fn divides_are_exact_and_wrong_answers_are_caught() {
    let vals = operands();
    let mut evs = Vec::new();
    for op in [Opcode::Div, Opcode::Divu] {
        for &a in &vals {
            for &b in &vals {
                let t = witness::ts(evs.len() as u32, bus::SLOT_CHIP);
                let at = |prev| witness::Access {
                    prev,
                    prev_ts: 0,
                    ts: t,
                };
                evs.push(div::DivEvent {
                    instr: InstrEvent {
                        op,
                        clk: evs.len() as u32,
                        thread: 0,
                        a,
                        b,
                        c: 0,
                        aux: 0,
                    },
                    hi: a ^ b,
                    lo: b,
                    acc: [at(a ^ b), at(b)],
                });
            }
        }
    }
    let mut bytes = ByteCounts::default();
    let trace = div::DivChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Div(div::DivChip);
    assert_passes(&chip, &trace, &bytes);
    // Another quotient and remainder with the same product: q + 1, r - d.
    let rows = (0..evs.len()).filter(|&i| {
        let ev = &evs[i].instr;
        let (r, _) = div::divide(ev.op, ev.a, ev.b);
        r != 0 && ev.b > 1 && ev.b < 256 && ev.a < 0x8000_0000
    });
    let (n, hit) = caught(&chip, &trace, &bytes, rows, |c: &mut div::DivCols<Val>| {
        c.q[0] += Val::ONE;
        c.r[0] -= c.d[0];
    });
    assert!(n > 0);
    assert_eq!(hit, n);
    for k in [0, 3] {
        let (n, hit) = caught(
            &chip,
            &trace,
            &bytes,
            (0..evs.len()).step_by(5),
            |c: &mut div::DivCols<Val>| c.q[k] += Val::ONE,
        );
        assert_eq!(hit, n, "quotient byte {k}");
    }
    // A zero divisor claimed non-zero, and an overflow claimed absent.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).filter(|&i| evs[i].instr.b == 0),
        |c: &mut div::DivCols<Val>| c.b_zero = Val::ZERO,
    );
    assert!(n > 0);
    assert_eq!(hit, n);
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).filter(|&i| {
            let ev = &evs[i].instr;
            ev.op == Opcode::Div && ev.a == 0x8000_0000 && ev.b == 0xffff_ffff
        }),
        |c: &mut div::DivCols<Val>| c.ovf = Val::ZERO,
    );
    assert_eq!(n, 1);
    assert_eq!(hit, n);
}

#[test]
fn leading_counts_are_exact_and_wrong_answers_are_caught() {
    let mut vals = operands();
    for k in 0..32 {
        vals.push(1 << k);
        vals.push(!(1u32 << k));
        vals.push(u32::MAX >> k);
        vals.push(u32::MAX << k);
    }
    let evs: Vec<InstrEvent> = [Opcode::Clz, Opcode::Clo]
        .iter()
        .flat_map(|&op| vals.iter().map(move |&a| (op, a)))
        .enumerate()
        .map(|(i, (op, a))| InstrEvent {
            op,
            clk: i as u32,
            thread: 0,
            a,
            b: 0,
            c: clz::count(op, a),
            aux: 0,
        })
        .collect();
    let mut bytes = ByteCounts::default();
    let trace = clz::ClzChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Clz(clz::ClzChip);
    assert_passes(&chip, &trace, &bytes);
    // Claiming a lower byte as the top one: the bytes above it are not zero.
    let rows = (0..evs.len()).filter(|&i| {
        let ev = &evs[i];
        let x = if ev.op == Opcode::Clo { !ev.a } else { ev.a };
        x >> 8 != 0
    });
    let (n, hit) = caught(&chip, &trace, &bytes, rows, |c: &mut clz::ClzCols<Val>| {
        let k = c.top.iter().position(|&t| t == Val::ONE).unwrap();
        c.top[k] = Val::ZERO;
        c.top[k - 1] = Val::ONE;
    });
    assert!(n > 0);
    assert_eq!(hit, n);
    // Claiming x = 0.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).filter(|&i| evs[i].c < 32),
        |c: &mut clz::ClzCols<Val>| {
            c.top = [Val::ZERO; 4];
            c.none = Val::ONE;
            c.xt = Val::ZERO;
            c.lz = Val::ZERO;
        },
    );
    assert_eq!(hit, n);
}

#[test]
fn byte_rearrangements_are_exact() {
    let evs = events(&[Opcode::Seb, Opcode::Seh, Opcode::Wsbh], |op, a, b| {
        (b == 0).then(|| sext::rearrange(op, a))
    });
    let mut bytes = ByteCounts::default();
    let trace = sext::SextChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Sext(sext::SextChip);
    assert_passes(&chip, &trace, &bytes);
    // A sign bit flipped: the byte table disagrees.
    let mut bad = trace.clone();
    let i = evs.iter().position(|e| e.op == Opcode::Seb).unwrap();
    edit(&mut bad, i, |c: &mut sext::SextCols<Val>| {
        c.sign = Val::ONE - c.sign
    });
    assert!(!errors(chip.clone(), &bad, &bytes).is_empty());
}

#[test]
fn bitwise_results_are_exact() {
    let ops = [Opcode::And, Opcode::Or, Opcode::Xor, Opcode::Nor];
    let evs = events(&ops, |op, a, b| {
        Some(match op {
            Opcode::And => a & b,
            Opcode::Or => a | b,
            Opcode::Xor => a ^ b,
            _ => !(a | b),
        })
    });
    let mut bytes = ByteCounts::default();
    let trace = bitwise::BitwiseChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Bitwise(bitwise::BitwiseChip);
    assert_passes(&chip, &trace, &bytes);
    // A byte of the answer other than the table's: only the byte lookup can tell.
    for (i, k) in [(0, 0), (40, 3), (1500, 1), (evs.len() - 1, 2)] {
        let mut bad = trace.clone();
        edit(&mut bad, i, |c: &mut bitwise::BitwiseCols<Val>| {
            c.r[k] = Val::from_u32(255) - c.r[k]
        });
        let errs = errors(chip.clone(), &bad, &bytes);
        assert!(!errs.is_empty(), "row {i}, byte {k}");
        assert!(
            errs.iter()
                .all(|e| matches!(e, CheckError::Unbalanced { bus, .. } if bus == bus::BYTE)),
            "{errs:?}"
        );
    }
}

#[test]
fn conditional_moves_move_exactly_when_they_should() {
    let vals = operands();
    let mut evs = Vec::new();
    for op in [Opcode::Movz, Opcode::Movn] {
        for &a in &vals {
            for &b in &vals {
                let clk = evs.len() as u32;
                let acc = movz::moves(op, b).then(|| witness::Access {
                    prev: a ^ 1,
                    prev_ts: 0,
                    ts: witness::ts(clk, bus::SLOT_CHIP),
                });
                evs.push(movz::MovEvent {
                    instr: InstrEvent {
                        op,
                        clk,
                        thread: 0,
                        a,
                        b,
                        c: 0,
                        aux: 9,
                    },
                    acc,
                });
            }
        }
    }
    let mut bytes = ByteCounts::default();
    let trace = movz::MovChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Mov(movz::MovChip);
    assert_passes(&chip, &trace, &bytes);
    // Skipping a move, or making one that should not happen.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        0..evs.len(),
        |c: &mut movz::MovCols<Val>| c.moves = Val::ONE - c.moves,
    );
    assert_eq!(hit, n);
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        0..evs.len(),
        |c: &mut movz::MovCols<Val>| {
            c.zero = Val::ONE - c.zero;
            c.moves = Val::ONE - c.moves;
        },
    );
    assert_eq!(hit, n);
}

#[test]
fn unaligned_and_linked_accesses_are_exact_and_wrong_answers_are_caught() {
    use witness::{load_result, Access, MemEvent};
    let vals = operands();
    let base = 0x1000_0000u32;
    let mut evs = Vec::new();
    let ops = [
        Opcode::Lwl,
        Opcode::Lwr,
        Opcode::Swl,
        Opcode::Swr,
        Opcode::Ll,
        Opcode::Sc,
    ];
    for op in ops {
        for (i, &word) in vals.iter().enumerate() {
            let rt = vals[(i * 5 + 3) % vals.len()];
            for off in 0..4u32 {
                let off = if matches!(op, Opcode::Ll | Opcode::Sc) {
                    0
                } else {
                    off
                };
                let clk = evs.len() as u32;
                let t = witness::ts(clk, bus::SLOT_CHIP);
                let addr = base + 4 * i as u32 + off;
                let set = i % 2 == 0;
                let stores = match op {
                    Opcode::Swl | Opcode::Swr => true,
                    Opcode::Sc => set,
                    _ => false,
                };
                let new = match op {
                    Opcode::Swl => {
                        let m = u32::MAX >> (8 * off);
                        (word & !m) | (rt >> (8 * off))
                    }
                    Opcode::Swr => {
                        let m = u32::MAX << (8 * (3 - off));
                        (word & !m) | (rt << (8 * (3 - off)))
                    }
                    Opcode::Sc => rt,
                    _ => word,
                };
                let accessed = op != Opcode::Sc || set;
                let c = match op {
                    Opcode::Sc => set as u32,
                    _ => load_result(op, word, off, rt),
                };
                evs.push(MemEvent {
                    instr: InstrEvent {
                        op,
                        clk,
                        thread: 0,
                        a: addr - off,
                        b: rt,
                        c,
                        aux: off,
                    },
                    ro: false,
                    word_addr: addr / 4,
                    acc: accessed.then_some(Access {
                        prev: word,
                        prev_ts: 0,
                        ts: t,
                    }),
                    new: if !accessed {
                        0
                    } else if stores {
                        new
                    } else {
                        word
                    },
                    llbit: matches!(op, Opcode::Ll | Opcode::Sc).then_some(Access {
                        prev: set as u32,
                        prev_ts: 0,
                        ts: t,
                    }),
                });
            }
        }
    }
    let mut bytes = ByteCounts::default();
    let trace = memory::MemoryChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Memory(memory::MemoryChip);
    assert_passes(&chip, &trace, &bytes);
    for k in 0..4 {
        let (n, hit) = caught(
            &chip,
            &trace,
            &bytes,
            (0..evs.len()).filter(|&i| matches!(evs[i].instr.op, Opcode::Lwl | Opcode::Lwr)),
            |c: &mut memory::MemoryCols<Val>| c.c[k] += Val::ONE,
        );
        assert_eq!(hit, n, "loaded byte {k}");
        let (n, hit) = caught(
            &chip,
            &trace,
            &bytes,
            (0..evs.len()).filter(|&i| matches!(evs[i].instr.op, Opcode::Swl | Opcode::Swr)),
            |c: &mut memory::MemoryCols<Val>| c.new[k] += Val::ONE,
        );
        assert_eq!(hit, n, "stored byte {k}");
    }
    // An SC that claims to store without the LLbit, or to fail with it, its word columns
    // filled as for that outcome.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).filter(|&i| evs[i].instr.op == Opcode::Sc),
        |c: &mut memory::MemoryCols<Val>| {
            c.sc_ok = Val::ONE - c.sc_ok;
            c.c[0] = c.sc_ok;
            if c.sc_ok == Val::ONE {
                c.new = c.b;
                let ts = (c.clk + Val::ONE) * Val::from_u32(bus::TS_SLOTS)
                    + Val::from_u32(bus::SLOT_CHIP);
                let d = (ts - Val::ONE).as_canonical_u32();
                c.acc.prev_ts = Val::ZERO;
                c.acc.diff_lo = Val::from_u32(d & 0xffff);
                c.acc.diff_hi = Val::from_u32(d >> 16);
            } else {
                c.prev = [Val::ZERO; 4];
                c.new = [Val::ZERO; 4];
                c.acc = Default::default();
            }
        },
    );
    assert!(n > 0);
    assert_eq!(hit, n);
}

#[test]
fn misaligned_accesses_are_refused() {
    use witness::{Access, MemEvent};
    let base = 0x1000_0000u32;
    let mut evs = Vec::new();
    let ops = [
        Opcode::Lw,
        Opcode::Sw,
        Opcode::Ll,
        Opcode::Lh,
        Opcode::Lhu,
        Opcode::Sh,
    ];
    for op in ops {
        for off in 0..4u32 {
            let word = op != Opcode::Lh && op != Opcode::Lhu && op != Opcode::Sh;
            if off == 0 || (!word && off == 2) {
                continue; // aligned
            }
            let clk = evs.len() as u32;
            let t = witness::ts(clk, bus::SLOT_CHIP);
            evs.push(MemEvent {
                instr: InstrEvent {
                    op,
                    clk,
                    thread: 0,
                    a: base,
                    b: 0,
                    c: 0,
                    aux: off,
                },
                ro: false,
                word_addr: base / 4,
                acc: Some(Access {
                    prev: 0,
                    prev_ts: 0,
                    ts: t,
                }),
                new: 0,
                llbit: (op == Opcode::Ll).then_some(Access {
                    prev: 0,
                    prev_ts: 0,
                    ts: t,
                }),
            });
        }
    }
    let mut bytes = ByteCounts::default();
    let trace = memory::MemoryChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Memory(memory::MemoryChip);
    // The word is 0 and so is every answer: only the alignment is wrong.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        0..evs.len(),
        |_: &mut memory::MemoryCols<Val>| {},
    );
    assert_eq!(n, 3 * 3 + 3 * 2);
    assert_eq!(hit, n);
}

#[test]
fn bit_fields_are_exact_and_wrong_answers_are_caught() {
    let vals = operands();
    let mut evs = Vec::new();
    for op in [Opcode::Ext, Opcode::Ins] {
        for pos in 0..32u32 {
            for size in 1..=32 - pos {
                let a = vals[(pos * 7 + size) as usize % vals.len()];
                let b = if op == Opcode::Ins {
                    vals[(pos + 3 * size) as usize % vals.len()]
                } else {
                    0
                };
                let aux = pos | size << 8;
                evs.push(InstrEvent {
                    op,
                    clk: evs.len() as u32,
                    thread: 0,
                    a,
                    b,
                    c: ext::bit_field(op, a, b, aux),
                    aux,
                });
            }
        }
    }
    let mut bytes = ByteCounts::default();
    let trace = ext::ExtChip.generate_trace(&evs, &mut bytes);
    let chip = Chip::Ext(ext::ExtChip);
    assert_passes(&chip, &trace, &bytes);
    // A flipped answer bit, or the field claimed one bit wider.
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).step_by(3),
        |c: &mut ext::ExtCols<Val>| c.cb[7] = Val::ONE - c.cb[7],
    );
    assert_eq!(hit, n);
    let (n, hit) = caught(
        &chip,
        &trace,
        &bytes,
        (0..evs.len()).filter(|&i| (evs[i].aux >> 8) < 32),
        |c: &mut ext::ExtCols<Val>| {
            let k = c.m.iter().position(|&m| m == Val::ZERO).unwrap();
            c.m[k] = Val::ONE;
        },
    );
    assert_eq!(hit, n);
}

#[test]
fn a_remainder_as_large_as_the_divisor_is_refused() {
    // DIVU 100 / 7 claimed as q = 13, r = 9: q d + r = a holds, every byte is a byte, the
    // remainder has the dividend's sign; only |r| < |d| refuses it.
    let ev = div::DivEvent {
        instr: InstrEvent {
            op: Opcode::Divu,
            clk: 0,
            thread: 0,
            a: 100,
            b: 7,
            c: 0,
            aux: 0,
        },
        hi: 0,
        lo: 0,
        acc: [witness::Access {
            prev: 0,
            prev_ts: 0,
            ts: witness::ts(0, bus::SLOT_CHIP),
        }; 2],
    };
    let mut bytes = ByteCounts::default();
    let trace = div::DivChip.generate_trace(&[ev], &mut bytes);
    let chip = Chip::Div(div::DivChip);
    let (n, hit) = caught(&chip, &trace, &bytes, 0..1, |_: &mut div::DivCols<Val>| {});
    assert_eq!((n, hit), (1, 0), "the honest row passes");
    let (n, hit) = caught(&chip, &trace, &bytes, 0..1, |c: &mut div::DivCols<Val>| {
        let v = Val::from_u32;
        c.q[0] = v(13);
        c.r[0] = v(9);
        c.r_inv = v(9).inverse();
        c.abs_r.abs[0] = v(9);
        c.diff = [v(2), v(0), v(0), v(0)];
        c.borrow = [v(0); 4];
    });
    assert_eq!((n, hit), (1, 1));
}
