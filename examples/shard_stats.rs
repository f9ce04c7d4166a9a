//! What a run touches per shard: the figures that size the cross-shard memory argument
//! (docs/continuations.md).
//!
//! `cargo run --release --example shard_stats -- ELF SHARD_CYCLES [INPUT] [-- ARGS...]`
//! runs ELF in the VM, cuts the run every SHARD_CYCLES instructions, and prints, per
//! shard, the distinct words it touches (loads, stores, and the kernel's reads and
//! writes of guest memory), the distinct 256-byte, 1 KiB and 4 KiB pages they lie in, and
//! the 1 KiB pages it writes, and the size of the checkpoint at its end
//! ([`zkm::vm::Vm::checkpoint`]). The last lines are the totals and the means over full shards.

use std::collections::HashSet;

use zkm::vm::trace::{KernelEvent, MemEvent, Tracer};

#[derive(Default)]
struct Shard {
    words: HashSet<u32>,
    written_pages: HashSet<u32>,
}

impl Shard {
    fn touch(&mut self, addr: u32, len: usize, write: bool) {
        let first = addr & !3;
        let last = addr.wrapping_add(len.max(1) as u32 - 1) & !3;
        let mut a = first;
        loop {
            self.words.insert(a);
            if write {
                self.written_pages.insert(a >> 10);
            }
            if a == last {
                break;
            }
            a = a.wrapping_add(4);
        }
    }

    fn pages(&self, bits: u32) -> usize {
        self.words
            .iter()
            .map(|w| w >> bits)
            .collect::<HashSet<_>>()
            .len()
    }
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
    println!("shard\tcycles\twords\tpages_256\tpages_1k\tpages_4k\twritten_1k\tcheckpoint");
    let mut rows: Vec<[usize; 7]> = Vec::new();
    let mut all = HashSet::new();
    loop {
        let start = vm.cycles;
        let exit = vm.run(start + shard, &mut stats)?;
        let s = std::mem::take(&mut stats.shard);
        let row = [
            (vm.cycles - start) as usize,
            s.words.len(),
            s.pages(8),
            s.pages(10),
            s.pages(12),
            s.written_pages.len(),
            vm.checkpoint().len(),
        ];
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            rows.len(),
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6]
        );
        all.extend(s.words);
        rows.push(row);
        if let Some(exit) = exit {
            println!("exit {} after {} instructions", exit.code, vm.cycles);
            break;
        }
    }
    let full: Vec<&[usize; 7]> = rows.iter().filter(|r| r[0] as u64 == shard).collect();
    if !full.is_empty() {
        let mean = |k: usize| full.iter().map(|r| r[k]).sum::<usize>() / full.len();
        println!(
            "mean of {} full shards\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            full.len(),
            shard,
            mean(1),
            mean(2),
            mean(3),
            mean(4),
            mean(5),
            mean(6)
        );
    }
    println!("distinct words over the whole run\t{}", all.len());
    Ok(())
}
