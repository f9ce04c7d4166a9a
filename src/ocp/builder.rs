//! A circuit builder with constant folding, and the builtin circuits it makes: n-bit
//! adders, comparators, multipliers and the SHA-256 compression function. Every builtin
//! is an ordinary [`Circuit`], so it can be written out as Bristol Fashion.

use super::bristol::{Circuit, Gate, GateKind};

/// A bit while building: a known constant or a wire (builder-internal numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bit {
    Const(bool),
    Wire(u32),
}

/// Builds a circuit gate by gate. Constants are folded, so no gate has a constant input.
#[derive(Debug, Default)]
pub struct Builder {
    next: u32,
    inputs: Vec<u32>,
    gates: Vec<Gate>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Declares the next input value, `width` bits, least significant first. Declare all
    /// inputs before the first gate.
    pub fn input(&mut self, width: u32) -> Vec<Bit> {
        debug_assert!(self.gates.is_empty(), "declare inputs before gates");
        self.inputs.push(width);
        let first = self.next;
        self.next += width;
        (first..self.next).map(Bit::Wire).collect()
    }

    fn gate(&mut self, kind: GateKind, ins: Vec<u32>) -> Bit {
        let out = self.next;
        self.next += 1;
        self.gates.push(Gate {
            kind,
            ins,
            outs: vec![out],
        });
        Bit::Wire(out)
    }

    pub fn xor(&mut self, a: Bit, b: Bit) -> Bit {
        match (a, b) {
            (Bit::Const(x), Bit::Const(y)) => Bit::Const(x ^ y),
            (Bit::Const(false), w) | (w, Bit::Const(false)) => w,
            (Bit::Const(true), w) | (w, Bit::Const(true)) => self.inv(w),
            (Bit::Wire(x), Bit::Wire(y)) if x == y => Bit::Const(false),
            (Bit::Wire(x), Bit::Wire(y)) => self.gate(GateKind::Xor, vec![x, y]),
        }
    }

    pub fn and(&mut self, a: Bit, b: Bit) -> Bit {
        match (a, b) {
            (Bit::Const(x), Bit::Const(y)) => Bit::Const(x & y),
            (Bit::Const(false), _) | (_, Bit::Const(false)) => Bit::Const(false),
            (Bit::Const(true), w) | (w, Bit::Const(true)) => w,
            (Bit::Wire(x), Bit::Wire(y)) if x == y => a,
            (Bit::Wire(x), Bit::Wire(y)) => self.gate(GateKind::And, vec![x, y]),
        }
    }

    pub fn inv(&mut self, a: Bit) -> Bit {
        match a {
            Bit::Const(x) => Bit::Const(!x),
            Bit::Wire(x) => self.gate(GateKind::Inv, vec![x]),
        }
    }

    /// `a + b + carry_in` over equal widths, returning the sum (same width) and carry out.
    /// One AND per bit: `c' = c ^ ((a ^ c) & (b ^ c))`.
    pub fn add_with_carry(&mut self, a: &[Bit], b: &[Bit], carry_in: Bit) -> (Vec<Bit>, Bit) {
        let mut c = carry_in;
        let mut sum = Vec::with_capacity(a.len());
        for (&x, &y) in a.iter().zip(b) {
            let xy = self.xor(x, y);
            sum.push(self.xor(xy, c));
            let xc = self.xor(x, c);
            let yc = self.xor(y, c);
            let t = self.and(xc, yc);
            c = self.xor(c, t);
        }
        (sum, c)
    }

    /// `(a + b) mod 2^n`.
    pub fn add(&mut self, a: &[Bit], b: &[Bit]) -> Vec<Bit> {
        self.add_with_carry(a, b, Bit::Const(false)).0
    }

    /// Finishes the circuit. The output bits get the last wire numbers, in order; an output
    /// that is a constant, an input or a repeated bit is written by an EQ or EQW gate.
    pub fn finish(mut self, outputs: Vec<Vec<Bit>>) -> Circuit {
        let widths: Vec<u32> = outputs.iter().map(|o| o.len() as u32).collect();
        let nin: u32 = self.inputs.iter().sum();
        let mut out_wires = Vec::new();
        let mut used = std::collections::HashSet::new();
        for bit in outputs.into_iter().flatten() {
            let w = match bit {
                Bit::Const(v) => self.gate(GateKind::Eq, vec![v as u32]),
                Bit::Wire(w) if w < nin || !used.insert(w) => self.gate(GateKind::Eqw, vec![w]),
                Bit::Wire(_) => bit,
            };
            let Bit::Wire(w) = w else {
                unreachable!("gates return wires")
            };
            used.insert(w);
            out_wires.push(w);
        }
        let nwires = self.next;
        let first_out = nwires - out_wires.len() as u32;
        let mut map: Vec<u32> = (0..nwires).collect();
        let mut is_out = vec![false; nwires as usize];
        for (i, &w) in out_wires.iter().enumerate() {
            map[w as usize] = first_out + i as u32;
            is_out[w as usize] = true;
        }
        let mut next = nin;
        for w in nin..nwires {
            if !is_out[w as usize] {
                map[w as usize] = next;
                next += 1;
            }
        }
        for g in &mut self.gates {
            if g.kind != GateKind::Eq {
                g.ins.iter_mut().for_each(|w| *w = map[*w as usize]);
            }
            g.outs.iter_mut().for_each(|w| *w = map[*w as usize]);
        }
        Circuit {
            nwires,
            inputs: self.inputs,
            outputs: widths,
            gates: self.gates,
        }
    }
}

/// `(a + b) mod 2^n`: inputs a, b (n bits), output n bits.
pub fn adder(n: u32) -> Circuit {
    let mut b = Builder::new();
    let x = b.input(n);
    let y = b.input(n);
    let s = b.add(&x, &y);
    b.finish(vec![s])
}

/// `a < b` (unsigned): inputs a, b (n bits), output 1 bit. It is the missing carry of
/// `a + !b + 1`.
pub fn comparator(n: u32) -> Circuit {
    let mut b = Builder::new();
    let x = b.input(n);
    let y = b.input(n);
    let ny: Vec<Bit> = y.iter().map(|&v| b.inv(v)).collect();
    let (_, carry) = b.add_with_carry(&x, &ny, Bit::Const(true));
    let lt = b.inv(carry);
    b.finish(vec![vec![lt]])
}

/// `(a * b) mod 2^n` by shift-and-add: inputs a, b (n bits), output n bits.
pub fn multiplier(n: u32) -> Circuit {
    let mut b = Builder::new();
    let x = b.input(n);
    let y = b.input(n);
    let mut acc = vec![Bit::Const(false); n as usize];
    for i in 0..n as usize {
        let mut partial = vec![Bit::Const(false); n as usize];
        for j in 0..n as usize - i {
            partial[i + j] = b.and(x[j], y[i]);
        }
        acc = b.add(&acc, &partial);
    }
    b.finish(vec![acc])
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

type Word = Vec<Bit>;

fn rotr(x: &Word, n: usize) -> Word {
    (0..32).map(|j| x[(j + n) % 32]).collect()
}

fn shr(x: &Word, n: usize) -> Word {
    (0..32)
        .map(|j| x.get(j + n).copied().unwrap_or(Bit::Const(false)))
        .collect()
}

fn xor3(b: &mut Builder, x: &Word, y: &Word, z: &Word) -> Word {
    (0..32)
        .map(|j| {
            let t = b.xor(x[j], y[j]);
            b.xor(t, z[j])
        })
        .collect()
}

/// The SHA-256 compression function with the feed-forward addition, with the same
/// interface as the SCALE-MAMBA `sha256.txt`: input 0 is the 512-bit block, input 1 the
/// 256-bit state H0..H7, the output the new state; each read as one big-endian integer
/// whose bit i is on wire i.
pub fn sha256_compress() -> Circuit {
    let mut b = Builder::new();
    let block = b.input(512);
    let state = b.input(256);
    let word = |bits: &[Bit], count: usize, t: usize| -> Word {
        bits[(count - 1 - t) * 32..(count - t) * 32].to_vec()
    };
    let konst = |v: u32| -> Word { (0..32).map(|j| Bit::Const(v >> j & 1 == 1)).collect() };
    let mut w: Vec<Word> = (0..16).map(|t| word(&block, 16, t)).collect();
    for t in 16..64 {
        let s0 = {
            let (a, c, d) = (
                rotr(&w[t - 15], 7),
                rotr(&w[t - 15], 18),
                shr(&w[t - 15], 3),
            );
            xor3(&mut b, &a, &c, &d)
        };
        let s1 = {
            let (a, c, d) = (rotr(&w[t - 2], 17), rotr(&w[t - 2], 19), shr(&w[t - 2], 10));
            xor3(&mut b, &a, &c, &d)
        };
        let x = b.add(&w[t - 16], &s0);
        let y = b.add(&w[t - 7], &s1);
        let z = b.add(&x, &y);
        w.push(z);
    }
    let h: Vec<Word> = (0..8).map(|k| word(&state, 8, k)).collect();
    let mut v = h.clone();
    for t in 0..64 {
        let (a, bb, c, d, e, f, g, hh) = (
            v[0].clone(),
            v[1].clone(),
            v[2].clone(),
            v[3].clone(),
            v[4].clone(),
            v[5].clone(),
            v[6].clone(),
            v[7].clone(),
        );
        let sigma1 = xor3(&mut b, &rotr(&e, 6), &rotr(&e, 11), &rotr(&e, 25));
        let ch: Word = (0..32)
            .map(|j| {
                let fg = b.xor(f[j], g[j]);
                let t = b.and(e[j], fg);
                b.xor(t, g[j])
            })
            .collect();
        let t1 = b.add(&hh, &sigma1);
        let t1 = b.add(&t1, &ch);
        let kw = b.add(&konst(K[t]), &w[t]);
        let t1 = b.add(&t1, &kw);
        let sigma0 = xor3(&mut b, &rotr(&a, 2), &rotr(&a, 13), &rotr(&a, 22));
        let maj: Word = (0..32)
            .map(|j| {
                let ab = b.xor(a[j], bb[j]);
                let bc = b.xor(bb[j], c[j]);
                let t = b.and(ab, bc);
                b.xor(bb[j], t)
            })
            .collect();
        let t2 = b.add(&sigma0, &maj);
        let new_e = b.add(&d, &t1);
        let new_a = b.add(&t1, &t2);
        v = vec![new_a, a, bb, c, new_e, e, f, g];
    }
    let mut out = Vec::with_capacity(256);
    for k in (0..8).rev() {
        out.extend(b.add(&h[k], &v[k]));
    }
    b.finish(vec![out])
}

/// Names accepted by `builtin:NAME`.
pub const BUILTIN_HELP: &str = "adderN, comparatorN, multiplierN (N from 1 to 256 bits) or sha256";

/// The builtin circuit called `name`, or `None` if there is none.
pub fn builtin(name: &str) -> Option<Circuit> {
    if name == "sha256" {
        return Some(sha256_compress());
    }
    let split = name.find(|c: char| c.is_ascii_digit())?;
    let n: u32 = name[split..]
        .parse()
        .ok()
        .filter(|n| (1..=256).contains(n))?;
    match &name[..split] {
        "adder" => Some(adder(n)),
        "comparator" => Some(comparator(n)),
        "multiplier" => Some(multiplier(n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(c: &Circuit, ins: &[&str]) -> String {
        let ins: Vec<String> = ins.iter().map(|s| s.to_string()).collect();
        let w = c.evaluate(&c.input_bits_from_hex(&ins).unwrap());
        c.outputs_hex(&w).join(",")
    }

    #[test]
    fn builtin_arithmetic_matches_integer_arithmetic() {
        let samples = [
            0u64,
            1,
            2,
            0x7f,
            0xff,
            0x1234_5678_9abc_def0,
            u64::MAX,
            0x8000_0000_0000_0000,
        ];
        for &n in &[8u32, 64] {
            let mask = if n == 64 { u64::MAX } else { (1 << n) - 1 };
            let (add, cmp, mul) = (adder(n), comparator(n), multiplier(n));
            for &a in &samples {
                for &b in &samples {
                    let (a, b) = (a & mask, b & mask);
                    let (ha, hb) = (format!("{a:x}"), format!("{b:x}"));
                    let width = (n as usize).div_ceil(4);
                    assert_eq!(
                        run(&add, &[&ha, &hb]),
                        format!("{:0width$x}", a.wrapping_add(b) & mask)
                    );
                    assert_eq!(
                        run(&mul, &[&ha, &hb]),
                        format!("{:0width$x}", a.wrapping_mul(b) & mask)
                    );
                    assert_eq!(run(&cmp, &[&ha, &hb]), if a < b { "1" } else { "0" });
                }
            }
        }
    }

    #[test]
    fn builtins_round_trip_through_bristol_text() {
        for name in ["adder8", "comparator16", "multiplier8", "adder1"] {
            let c = builtin(name).unwrap();
            c.validate().unwrap();
            assert_eq!(Circuit::parse(&c.to_bristol()).unwrap(), c, "{name}");
        }
        for bad in ["adder0", "adder257", "divider8", "adder", "sha512"] {
            assert!(builtin(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn builtin_sha256_matches_the_fips_vectors_and_sha2() {
        let c = sha256_compress();
        c.validate().unwrap();
        let iv = "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19";
        let abc = "61626380000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018";
        assert_eq!(
            run(&c, &[abc, iv]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // A 55-byte message padded into one block hashes like the sha2 crate.
        use sha2::Digest;
        let msg: Vec<u8> = (0..55u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let mut block = msg.clone();
        block.push(0x80);
        block.extend_from_slice(&(55u64 * 8).to_be_bytes());
        assert_eq!(
            run(&c, &[&hex::encode(&block), iv]),
            hex::encode(sha2::Sha256::digest(&msg))
        );
        // FIPS 180-2 two-block message, second block chained from the first.
        let b2 = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001c0";
        assert_eq!(
            run(
                &c,
                &[
                    b2,
                    "85e655d6417a17953363376a624cde5c76e09589cac5f811cc4b32c1f20e533a"
                ]
            ),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }
}
