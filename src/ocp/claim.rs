//! The operator's claim, made after the graph is signed: values for the inputs left to the
//! claim, the outputs the operator says they give, and every wire value it will open (in
//! the kickoff for the claim, in the Asserts for the rest). `--lie` plays a dishonest
//! operator for tests and audits.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::bristol::{apply, bits_from_hex, GateKind};
use super::graph::{Graph, CLAIMED};
use super::OcpError;

/// How a dishonest operator lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lie {
    /// Flips the outputs of this gate (by line, from 0) and carries the lie through.
    Gate(usize),
    /// Claims claimed input bit `i` (from 0, in wire order) as it is, but computes every
    /// gate as if it were flipped: the gates that read it are then wrong.
    Input(usize),
}

impl FromStr for Lie {
    type Err = OcpError;
    fn from_str(s: &str) -> Result<Lie, OcpError> {
        let bad = || {
            OcpError::Usage(format!(
                "--lie {s}: give a gate number (`--lie 70000`) or a claimed input bit (`--lie input:3`)"
            ))
        };
        match s.strip_prefix("input:") {
            Some(b) => b.parse().map(Lie::Input).map_err(|_| bad()),
            None => s.parse().map(Lie::Gate).map_err(|_| bad()),
        }
    }
}

impl std::fmt::Display for Lie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lie::Gate(g) => write!(f, "{g}"),
            Lie::Input(b) => write!(f, "input:{b}"),
        }
    }
}

/// One claim on one graph.
#[derive(Clone, Debug)]
pub struct Claim {
    /// One hex value per input left to the claim, in input order.
    pub inputs: Vec<String>,
    /// The claimed outputs, hex, one per circuit output.
    pub outputs: Vec<String>,
    pub lie: Option<Lie>,
    /// The operator's value of every wire.
    pub values: Vec<bool>,
}

/// The JSON form of a claim (`claim.json`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimFile {
    pub format: String,
    /// The graph this claim is on: graph.json's id.
    pub graph_id: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lie: Option<String>,
    /// Whether the outputs are what the circuit computes on the claimed inputs.
    pub outputs_true: bool,
}

pub const CLAIM_FORMAT: &str = "zkm-ocp-claim/1";

impl Claim {
    /// The operator's claim on `g` for `inputs` (one per input left to the claim).
    pub fn make(g: &Graph, inputs: &[String], lie: Option<Lie>) -> Result<Claim, OcpError> {
        let c = &g.setup.circuit;
        let open: Vec<usize> = g
            .setup
            .params
            .inputs
            .iter()
            .enumerate()
            .filter(|(_, v)| *v == CLAIMED)
            .map(|(i, _)| i)
            .collect();
        if inputs.len() != open.len() {
            return Err(OcpError::Usage(format!(
                "this graph leaves {} of its {} inputs to the claim (inputs {open:?}, `{CLAIMED}` at setup), but {} values were given; pass one --input HEX for each",
                open.len(),
                c.inputs.len(),
                inputs.len()
            )));
        }
        let mut bits: Vec<bool> = g.constants.iter().map(|b| b.unwrap_or(false)).collect();
        let mut offsets = Vec::new();
        let mut at = 0u32;
        for &w in &c.inputs {
            offsets.push(at);
            at += w;
        }
        for (v, &i) in inputs.iter().zip(&open) {
            let b = bits_from_hex(v, c.inputs[i])
                .map_err(|m| OcpError::Data(format!("claimed input {i}: {m}")))?;
            let o = offsets[i] as usize;
            bits[o..o + b.len()].copy_from_slice(&b);
        }
        let claimed = g.claimed_inputs();
        let values = match lie {
            None => c.evaluate(&bits),
            Some(Lie::Gate(gate)) => {
                if gate >= c.gates.len() {
                    return Err(OcpError::Usage(format!(
                        "--lie {gate}: the circuit has {} gates (0 to {})",
                        c.gates.len(),
                        c.gates.len() - 1
                    )));
                }
                lying_values(g, &bits, gate)
            }
            Some(Lie::Input(b)) => {
                let Some(&w) = claimed.get(b) else {
                    return Err(OcpError::Usage(format!(
                        "--lie input:{b}: the claim has {} input bits (0 to {})",
                        claimed.len(),
                        claimed.len().saturating_sub(1)
                    )));
                };
                let mut flipped = bits.clone();
                flipped[w as usize] ^= true;
                let mut v = c.evaluate(&flipped);
                v[w as usize] = bits[w as usize];
                v
            }
        };
        Ok(Claim {
            inputs: inputs.to_vec(),
            outputs: c.outputs_hex(&values),
            lie,
            values,
        })
    }

    /// What the circuit really computes on the claimed inputs: a watcher's check.
    pub fn true_outputs(&self, g: &Graph) -> Vec<String> {
        let c = &g.setup.circuit;
        let nin = c.input_bits() as usize;
        c.outputs_hex(&c.evaluate(&self.values[..nin]))
    }

    pub fn outputs_true(&self, g: &Graph) -> bool {
        self.true_outputs(g) == self.outputs
    }

    /// Whether every wire the operator opens is what the circuit computes: only such a
    /// claim survives a challenge.
    pub fn consistent(&self, g: &Graph) -> bool {
        let nin = g.setup.circuit.input_bits() as usize;
        g.setup.circuit.evaluate(&self.values[..nin]) == self.values
    }

    pub fn to_file(&self, g: &Graph) -> ClaimFile {
        ClaimFile {
            format: CLAIM_FORMAT.into(),
            graph_id: hex::encode(g.id),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            lie: self.lie.map(|l| l.to_string()),
            outputs_true: self.outputs_true(g),
        }
    }

    /// Reads claim.json back, checking it is for `g` and recomputing the values.
    pub fn from_file(g: &Graph, f: &ClaimFile) -> Result<Claim, OcpError> {
        if f.format != CLAIM_FORMAT {
            return Err(OcpError::Data(format!(
                "claim.json: unknown format `{}`",
                f.format
            )));
        }
        if f.graph_id != hex::encode(g.id) {
            return Err(OcpError::Data(
                "claim.json is for another graph (its graph_id differs); a claim belongs to the graph it was made on".into(),
            ));
        }
        let lie = f.lie.as_deref().map(str::parse).transpose()?;
        let claim = Claim::make(g, &f.inputs, lie)?;
        if claim.outputs != f.outputs {
            return Err(OcpError::Data(
                "claim.json's outputs are not what its inputs and lie give; it was edited".into(),
            ));
        }
        Ok(claim)
    }
}

/// Every wire's value for an operator lying at `gate`: its outputs flipped, and the lie
/// carried through the rest of the circuit.
fn lying_values(g: &Graph, input_bits: &[bool], gate: usize) -> Vec<bool> {
    let c = &g.setup.circuit;
    let mut wires = vec![false; c.nwires as usize];
    wires[..input_bits.len()].copy_from_slice(input_bits);
    for (i, gt) in c.gates.iter().enumerate() {
        for (out, kind, ins) in gt.checks() {
            let v = if kind == GateKind::Eq {
                ins[0] == 1
            } else {
                apply(
                    kind,
                    &ins.iter().map(|&w| wires[w as usize]).collect::<Vec<_>>(),
                )
            };
            wires[out as usize] = v ^ (i == gate);
        }
    }
    wires
}
