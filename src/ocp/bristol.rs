//! Bristol Fashion boolean circuits: parse, write and evaluate.
//!
//! The format (SCALE-MAMBA, MP-SPDZ, emp-toolkit): line 1 is `<ngates> <nwires>`, line 2
//! `<niv> <width>...`, line 3 `<nov> <width>...`, then one gate per line:
//! `<nin> <nout> <in wires...> <out wires...> <TYPE>`. Inputs are wires `0..sum(inputs)`,
//! outputs the last `sum(outputs)` wires. Gate types: XOR, AND, INV, EQ (`1 1 <const> <w>`:
//! set a wire to the constant 0 or 1), EQW (copy a wire) and MAND (`2n n a.. b.. c..`: n ANDs).
//!
//! Values on the command line are hex numbers read big-endian; wire `offset + i` carries
//! bit `i` of the number (least significant bit first), as the shared circuits' README
//! describes.

use thiserror::Error;

/// The most wires (and gates) a circuit may have: 16 M, over 100 times SHA-256.
pub const MAX_WIRES: u32 = 1 << 24;

/// A gate's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum GateKind {
    Xor,
    And,
    Inv,
    /// Sets its output to a constant; `ins[0]` holds the constant (0 or 1), not a wire.
    Eq,
    /// Copies a wire.
    Eqw,
    /// `n` independent ANDs: inputs `a_1..a_n, b_1..b_n`, outputs `c_1..c_n`.
    Mand,
}

impl GateKind {
    pub fn name(self) -> &'static str {
        match self {
            GateKind::Xor => "XOR",
            GateKind::And => "AND",
            GateKind::Inv => "INV",
            GateKind::Eq => "EQ",
            GateKind::Eqw => "EQW",
            GateKind::Mand => "MAND",
        }
    }
}

/// One gate line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub kind: GateKind,
    pub ins: Vec<u32>,
    pub outs: Vec<u32>,
}

impl Gate {
    /// The gate's outputs as `(output wire, operation, input operands)`: one check per
    /// output bit. An operand is a wire, except for EQ whose operand is its constant.
    pub fn checks(&self) -> Vec<(u32, GateKind, Vec<u32>)> {
        match self.kind {
            GateKind::Mand => {
                let n = self.outs.len();
                (0..n)
                    .map(|i| {
                        (
                            self.outs[i],
                            GateKind::And,
                            vec![self.ins[i], self.ins[n + i]],
                        )
                    })
                    .collect()
            }
            kind => vec![(self.outs[0], kind, self.ins.clone())],
        }
    }
}

/// Applies one single-output operation to its input bits (EQ takes its constant).
pub fn apply(kind: GateKind, ins: &[bool]) -> bool {
    match kind {
        GateKind::Xor => ins[0] ^ ins[1],
        GateKind::And | GateKind::Mand => ins[0] & ins[1],
        GateKind::Inv => !ins[0],
        GateKind::Eq | GateKind::Eqw => ins[0],
    }
}

/// A parsed, validated circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Circuit {
    pub nwires: u32,
    /// Width in bits of each input value.
    pub inputs: Vec<u32>,
    /// Width in bits of each output value.
    pub outputs: Vec<u32>,
    pub gates: Vec<Gate>,
}

#[derive(Debug, Error)]
pub enum BristolError {
    #[error("line {line}: {msg}\n  hint: a Bristol Fashion file starts `<ngates> <nwires>`, `<niv> <widths>`, `<nov> <widths>`, then gates `<nin> <nout> <ins> <outs> <TYPE>`")]
    Syntax { line: usize, msg: String },
    #[error("the circuit is inconsistent: {0}")]
    Invalid(String),
    #[error("input {index}: {msg}")]
    Value { index: usize, msg: String },
}

impl Circuit {
    /// Total number of input wires.
    pub fn input_bits(&self) -> u32 {
        self.inputs.iter().sum()
    }

    /// Total number of output wires.
    pub fn output_bits(&self) -> u32 {
        self.outputs.iter().sum()
    }

    /// The first output wire (outputs are the last wires).
    pub fn first_output_wire(&self) -> u32 {
        self.nwires - self.output_bits()
    }

    pub fn is_input(&self, wire: u32) -> bool {
        wire < self.input_bits()
    }

    pub fn is_output(&self, wire: u32) -> bool {
        wire >= self.first_output_wire()
    }

    /// Parses Bristol Fashion text. Splits on whitespace and skips blank lines.
    pub fn parse(text: &str) -> Result<Circuit, BristolError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.split_whitespace().collect::<Vec<_>>()))
            .filter(|(_, t)| !t.is_empty());
        let syntax = |line: usize, msg: &str| BristolError::Syntax {
            line,
            msg: msg.to_string(),
        };
        let num = |line: usize, tok: &str| -> Result<u32, BristolError> {
            tok.parse::<u32>()
                .map_err(|_| syntax(line, &format!("`{tok}` is not a number")))
        };
        let (l1, h1) = lines.next().ok_or_else(|| syntax(1, "empty file"))?;
        if h1.len() != 2 {
            return Err(syntax(l1, "expected `<ngates> <nwires>`"));
        }
        let ngates = num(l1, h1[0])? as usize;
        let nwires = num(l1, h1[1])?;
        let mut widths = |what: &str| -> Result<Vec<u32>, BristolError> {
            let (l, h) = lines
                .next()
                .ok_or_else(|| syntax(l1 + 1, &format!("missing the {what} line")))?;
            let n = num(l, h[0])? as usize;
            if h.len() != n + 1 {
                return Err(syntax(l, &format!("expected {n} {what} widths")));
            }
            h[1..].iter().map(|t| num(l, t)).collect()
        };
        let inputs = widths("input")?;
        let outputs = widths("output")?;
        if nwires > MAX_WIRES || ngates > MAX_WIRES as usize {
            return Err(syntax(
                l1,
                &format!("{ngates} gates and {nwires} wires is over the limit of {MAX_WIRES}"),
            ));
        }
        let mut gates = Vec::with_capacity(ngates);
        for (l, t) in lines {
            if t.len() < 3 {
                return Err(syntax(l, "a gate needs `<nin> <nout> <wires...> <TYPE>`"));
            }
            let nin = num(l, t[0])? as usize;
            let nout = num(l, t[1])? as usize;
            if t.len() != nin + nout + 3 {
                return Err(syntax(
                    l,
                    &format!("expected {nin} input and {nout} output wires then a type"),
                ));
            }
            let kind = match t[t.len() - 1] {
                "XOR" => GateKind::Xor,
                "AND" => GateKind::And,
                "INV" | "NOT" => GateKind::Inv,
                "EQ" => GateKind::Eq,
                "EQW" => GateKind::Eqw,
                "MAND" => GateKind::Mand,
                other => return Err(syntax(l, &format!("unknown gate type `{other}`"))),
            };
            let arity_ok = match kind {
                GateKind::Xor | GateKind::And => nin == 2 && nout == 1,
                GateKind::Inv | GateKind::Eq | GateKind::Eqw => nin == 1 && nout == 1,
                GateKind::Mand => nout >= 1 && nin == 2 * nout,
            };
            if !arity_ok {
                return Err(syntax(
                    l,
                    &format!(
                        "{} cannot have {nin} inputs and {nout} outputs",
                        kind.name()
                    ),
                ));
            }
            let wires = t[2..2 + nin + nout]
                .iter()
                .map(|w| num(l, w))
                .collect::<Result<Vec<_>, _>>()?;
            gates.push(Gate {
                kind,
                ins: wires[..nin].to_vec(),
                outs: wires[nin..].to_vec(),
            });
        }
        if gates.len() != ngates {
            return Err(BristolError::Invalid(format!(
                "the header says {ngates} gates but the file has {}",
                gates.len()
            )));
        }
        let c = Circuit {
            nwires,
            inputs,
            outputs,
            gates,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks that every wire is in range, written once, and read only after it is written.
    pub fn validate(&self) -> Result<(), BristolError> {
        let bad = |m: String| Err(BristolError::Invalid(m));
        if self.nwires > MAX_WIRES {
            return bad(format!(
                "{} wires is over the limit of {MAX_WIRES}",
                self.nwires
            ));
        }
        let nin: u64 = self.inputs.iter().map(|&w| w as u64).sum();
        let nout: u64 = self.outputs.iter().map(|&w| w as u64).sum();
        if nin + nout > self.nwires as u64 {
            return bad(format!(
                "{nin} input and {nout} output wires do not fit in {} wires",
                self.nwires
            ));
        }
        let mut written = vec![false; self.nwires as usize];
        written[..nin as usize].iter_mut().for_each(|w| *w = true);
        for (g, gate) in self.gates.iter().enumerate() {
            if gate.kind == GateKind::Eq {
                if gate.ins[0] > 1 {
                    return bad(format!("gate {g}: EQ takes a constant 0 or 1"));
                }
            } else {
                for &w in &gate.ins {
                    if w >= self.nwires || !written[w as usize] {
                        return bad(format!("gate {g} reads wire {w} before it is written"));
                    }
                }
            }
            for &w in &gate.outs {
                if w >= self.nwires {
                    return bad(format!(
                        "gate {g} writes wire {w}, but there are only {} wires",
                        self.nwires
                    ));
                }
                if written[w as usize] {
                    return bad(format!(
                        "gate {g} writes wire {w}, which is already written"
                    ));
                }
                written[w as usize] = true;
            }
        }
        if let Some(w) = (self.first_output_wire()..self.nwires).find(|&w| !written[w as usize]) {
            return bad(format!("output wire {w} is never written"));
        }
        Ok(())
    }

    /// Writes the circuit as Bristol Fashion text.
    pub fn to_bristol(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "{} {}", self.gates.len(), self.nwires);
        let list = |v: &[u32]| {
            std::iter::once(v.len().to_string())
                .chain(v.iter().map(|w| w.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(s, "{}", list(&self.inputs));
        let _ = writeln!(s, "{}", list(&self.outputs));
        s.push('\n');
        for g in &self.gates {
            let _ = write!(s, "{} {}", g.ins.len(), g.outs.len());
            for w in g.ins.iter().chain(&g.outs) {
                let _ = write!(s, " {w}");
            }
            let _ = writeln!(s, " {}", g.kind.name());
        }
        s
    }

    /// Evaluates the circuit on input bits (all inputs concatenated) and returns every wire.
    pub fn evaluate(&self, input_bits: &[bool]) -> Vec<bool> {
        let mut wires = vec![false; self.nwires as usize];
        wires[..input_bits.len()].copy_from_slice(input_bits);
        for g in &self.gates {
            for (out, kind, ins) in g.checks() {
                let v = if kind == GateKind::Eq {
                    ins[0] == 1
                } else {
                    let vals: Vec<bool> = ins.iter().map(|&w| wires[w as usize]).collect();
                    apply(kind, &vals)
                };
                wires[out as usize] = v;
            }
        }
        wires
    }

    /// Reads one hex value per circuit input into the concatenated input bits.
    pub fn input_bits_from_hex(&self, values: &[String]) -> Result<Vec<bool>, BristolError> {
        if values.len() != self.inputs.len() {
            return Err(BristolError::Value {
                index: values.len(),
                msg: format!(
                    "the circuit takes {} inputs ({:?} bits) but {} were given; pass one --input HEX per input",
                    self.inputs.len(),
                    self.inputs,
                    values.len()
                ),
            });
        }
        let mut bits = Vec::with_capacity(self.input_bits() as usize);
        for (i, (v, &w)) in values.iter().zip(&self.inputs).enumerate() {
            bits.extend(bits_from_hex(v, w).map_err(|msg| BristolError::Value { index: i, msg })?);
        }
        Ok(bits)
    }

    /// The output values (hex, one per output) of an evaluation.
    pub fn outputs_hex(&self, wires: &[bool]) -> Vec<String> {
        let mut at = self.first_output_wire() as usize;
        self.outputs
            .iter()
            .map(|&w| {
                let s = hex_from_bits(&wires[at..at + w as usize]);
                at += w as usize;
                s
            })
            .collect()
    }

    /// Number of gates of each kind, in the order XOR, AND, INV, EQ, EQW, MAND.
    pub fn gate_counts(&self) -> Vec<(&'static str, usize)> {
        use GateKind::*;
        [Xor, And, Inv, Eq, Eqw, Mand]
            .iter()
            .map(|&k| (k.name(), self.gates.iter().filter(|g| g.kind == k).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Reads a big-endian hex number into `width` bits, least significant first.
pub fn bits_from_hex(hex: &str, width: u32) -> Result<Vec<bool>, String> {
    let hex = hex.strip_prefix("0x").unwrap_or(hex);
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("`{hex}` is not a hex number"));
    }
    let mut bits = Vec::with_capacity(hex.len() * 4);
    for c in hex.chars().rev() {
        let d = c.to_digit(16).unwrap_or(0);
        for i in 0..4 {
            bits.push(d >> i & 1 == 1);
        }
    }
    if bits.iter().skip(width as usize).any(|&b| b) {
        return Err(format!("0x{hex} does not fit in {width} bits"));
    }
    bits.resize(width as usize, false);
    Ok(bits)
}

/// Writes bits (least significant first) as a big-endian hex number of `ceil(n/4)` digits.
pub fn hex_from_bits(bits: &[bool]) -> String {
    let digits = bits.len().div_ceil(4);
    (0..digits)
        .rev()
        .map(|d| {
            let v = (0..4)
                .filter(|i| bits.get(d * 4 + i).copied().unwrap_or(false))
                .fold(0u32, |acc, i| acc | 1 << i);
            char::from_digit(v, 16).unwrap_or('0')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALF_ADDER: &str = "2 4\n2 1 1\n1 2\n\n2 1 0 1 3 AND\n2 1 0 1 2 XOR\n";

    #[test]
    fn half_adder_evaluates_every_row() {
        let c = Circuit::parse(HALF_ADDER).unwrap();
        for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let w = c.evaluate(&[a == 1, b == 1]);
            assert_eq!((w[2], w[3]), ((a ^ b) == 1, (a & b) == 1), "{a} {b}");
        }
    }

    #[test]
    fn written_text_parses_back_to_the_same_circuit() {
        let text =
            "4 7\n1 2\n1 3\n\n1 1 1 4 EQ\n4 2 0 1 0 1 2 3 MAND\n1 1 2 5 EQW\n2 1 3 4 6 XOR\n";
        let c = Circuit::parse(text).unwrap();
        assert_eq!(Circuit::parse(&c.to_bristol()).unwrap(), c);
        // a=1 b=1: MAND(c2=a&a, c3=b&b)=1,1; EQ c4=1; EQW c5=c2; XOR c6=c3^c4=0.
        let w = c.evaluate(&[true, true]);
        assert_eq!(&w[2..7], &[true, true, true, true, false]);
    }

    #[test]
    fn rejects_malformed_circuits() {
        for (text, want) in [
            ("", "empty"),
            ("1 3\n1 1\n1 1\n\n2 1 0 1 2 XOR\n", "wire 1 before"),
            ("1 3\n1 2\n1 1\n\n2 1 0 1 2 FOO\n", "unknown gate type"),
            ("2 3\n1 2\n1 1\n\n2 1 0 1 2 XOR\n", "header says 2 gates"),
            ("1 3\n1 2\n1 1\n\n2 1 0 1 1 XOR\n", "already written"),
            ("1 3\n1 2\n1 1\n\n2 1 0 x 2 XOR\n", "not a number"),
            ("1 3\n1 2\n1 1\n\n3 1 0 1 2 XOR\n", "expected 3 input"),
            ("4000000000 4000000000\n1 2\n1 1\n", "over the limit"),
            ("0 3\n2 4294967295 1\n1 1\n", "do not fit"),
        ] {
            let err = Circuit::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn hex_values_go_on_the_wires_least_significant_bit_first() {
        let bits = bits_from_hex("0x05", 8).unwrap();
        assert_eq!(bits, [true, false, true, false, false, false, false, false]);
        assert_eq!(hex_from_bits(&bits), "05");
        assert!(bits_from_hex("100", 8).is_err());
        assert!(bits_from_hex("zz", 8).is_err());
        assert_eq!(hex_from_bits(&bits_from_hex("1", 1).unwrap()), "1");
    }

    fn shared(name: &str) -> Option<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/circuits")
            .join(name);
        match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(_) => {
                eprintln!("skipping: {} is absent", path.display());
                None
            }
        }
    }

    #[test]
    fn shared_circuits_match_their_test_vectors() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("adder64.txt", &["0123456789abcdef", "1111111111111111"], "123456789abcdf00"),
            ("adder64.txt", &["ffffffffffffffff", "0000000000000002"], "0000000000000001"),
            ("mult64.txt", &["0123456789abcdef", "fedcba9876543210"], "2236d88fe5618cf0"),
            ("zero_equal.txt", &["0000000000000000"], "1"),
            ("zero_equal.txt", &["8000000000000000"], "0"),
            ("sha256.txt", &["61626380000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018", "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ];
        for (file, ins, out) in cases {
            let Some(text) = shared(file) else { continue };
            let c = Circuit::parse(&text).unwrap();
            let ins: Vec<String> = ins.iter().map(|s| s.to_string()).collect();
            let w = c.evaluate(&c.input_bits_from_hex(&ins).unwrap());
            assert_eq!(c.outputs_hex(&w), vec![out.to_string()], "{file}");
        }
    }
}
