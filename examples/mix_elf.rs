//! Writes the benchmark workload [`zkm::asm::mix`] as a static MIPS ELF.
//!
//! `cargo run --release --example mix_elf -- INSTRUCTIONS OUT.elf` writes a program that
//! runs about INSTRUCTIONS instructions, for `zkm prove` (see docs/benchmarks.md).

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(out)) = (args.get(1), args.get(2)) else {
        anyhow::bail!("usage: mix_elf INSTRUCTIONS OUT.elf");
    };
    let n: u64 = n.parse()?;
    let iterations = (n / zkm::asm::MIX_LOOP).max(1);
    let iterations = u32::try_from(iterations)?;
    std::fs::write(out, zkm::asm::mix(iterations).elf())?;
    eprintln!(
        "{out}: {iterations} iterations, about {} instructions",
        iterations as u64 * zkm::asm::MIX_LOOP + 22
    );
    Ok(())
}
