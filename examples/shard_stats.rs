//! What a run touches per shard: the figures that size the cross-shard memory argument
//! (docs/continuations.md).
//!
//! `cargo run --release --example shard_stats -- ELF SHARD_CYCLES [INPUT] [-- ARGS...]`
//! runs ELF in the VM, cuts the run every SHARD_CYCLES instructions, and prints, per
//! shard:
//!
//! - the distinct words it touches (loads, stores, and the kernel's reads and writes of
//!   guest memory) and the distinct words it writes;
//! - for state-tree leaves of 64 B, 256 B, 1 KiB and 4 KiB: the leaves it touches, and
//!   the Poseidon2 permutations (width 16, rate 8, two halves per word) that paging them
//!   in and the written ones out would cost. That is each leaf's hash (a word a quarter
//!   of a permutation) and one per distinct node on the union of their paths to the
//!   root of the 2 GiB memory tree, so shared upper nodes count once;
//! - the size of the checkpoint at its end ([`zkm::vm::Vm::checkpoint`]).
//!
//! The last lines are the means over full shards.

use std::collections::HashSet;
use std::io::Write;

use zkm::vm::trace::{KernelEvent, MemEvent, Tracer};

/// Leaf sizes compared, as log2 of their bytes.
const LEAVES: [u32; 4] = [6, 8, 10, 12];

#[derive(Default)]
struct Shard {
    words: HashSet<u32>,
    written: HashSet<u32>,
}

impl Shard {
    fn touch(&mut self, addr: u32, len: usize, write: bool) {
        let first = addr & !3;
        let last = addr.wrapping_add(len.max(1) as u32 - 1) & !3;
        let mut a = first;
        loop {
            self.words.insert(a);
            if write {
                self.written.insert(a);
            }
            if a == last {
                break;
            }
            a = a.wrapping_add(4);
        }
    }
}

/// The leaves of `2^bits` bytes that `words` lie in, and the permutations that hashing
/// them and every distinct node above them, up to a 2^31-byte root, take.
fn cost(words: &HashSet<u32>, bits: u32) -> (usize, usize) {
    let mut level: HashSet<u32> = words.iter().map(|w| w >> bits).collect();
    let leaves = level.len();
    let mut perms = leaves << (bits - 4);
    for _ in bits..31 {
        level = level.iter().map(|i| i >> 1).collect();
        perms += level.len();
    }
    (leaves, perms)
}

#[derive(Default)]
struct Stats {
    shard: Shard,
}

impl Tracer for Stats {
    fn mem(&mut self, ev: &MemEvent) {
        self.shard.touch(ev.addr, 4, ev.is_write);
    }

    fn kernel(&mut self, _cycle: u64, ev: &KernelEvent) {
        match ev {
            KernelEvent::Read { addr, bytes } => self.shard.touch(*addr, bytes.len(), false),
            KernelEvent::Write { addr, bytes } => self.shard.touch(*addr, bytes.len(), true),
            _ => {}
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (ours, guest_args) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], args[i + 1..].to_vec()),
        None => (&args[..], Vec::new()),
    };
    let (Some(elf), Some(shard)) = (ours.first(), ours.get(1)) else {
        anyhow::bail!("usage: shard_stats ELF SHARD_CYCLES [INPUT] [-- ARGS...]");
    };
    let shard: u64 = shard.parse()?;
    anyhow::ensure!(shard > 0, "SHARD_CYCLES must be at least 1");
    let input = match ours.get(2) {
        Some(path) => std::fs::read(path)?,
        None => Vec::new(),
    };
    let program = zkm::elf::Program::load(std::path::Path::new(elf))?;
    let mut argv = vec![elf.clone()];
    argv.extend(guest_args);
    let config = zkm::vm::Config {
        argv,
        env: Vec::new(),
        input,
        max_cycles: None,
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::sink()),
    };
    let mut vm = zkm::vm::Vm::new(program, config)?;
    let mut stats = Stats::default();
    let mut head = vec!["shard", "cycles", "words", "written"];
    let names = ["64B", "256B", "1K", "4K"];
    for n in &names {
        head.push(n);
        head.push("perms");
    }
    head.push("checkpoint");
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", head.join("\t"))?;
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut all = HashSet::new();
    loop {
        let start = vm.cycles;
        let exit = vm.run(start + shard, &mut stats)?;
        let s = std::mem::take(&mut stats.shard);
        let mut row = vec![(vm.cycles - start) as usize, s.words.len(), s.written.len()];
        for bits in LEAVES {
            let (leaves, perms_in) = cost(&s.words, bits);
            let (_, perms_out) = cost(&s.written, bits);
            row.push(leaves);
            row.push(perms_in + perms_out);
        }
        row.push(vm.checkpoint().len());
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        writeln!(out, "{}\t{}", rows.len(), cells.join("\t"))?;
        all.extend(s.words);
        rows.push(row);
        if let Some(exit) = exit {
            writeln!(out, "exit {} after {} instructions", exit.code, vm.cycles)?;
            break;
        }
    }
    let full: Vec<&Vec<usize>> = rows.iter().filter(|r| r[0] as u64 == shard).collect();
    if !full.is_empty() {
        let means: Vec<String> = (0..full[0].len())
            .map(|k| (full.iter().map(|r| r[k]).sum::<usize>() / full.len()).to_string())
            .collect();
        writeln!(
            out,
            "mean of {} full shards\t{}",
            full.len(),
            means.join("\t")
        )?;
    }
    writeln!(out, "distinct words over the whole run\t{}", all.len())?;
    Ok(())
}
