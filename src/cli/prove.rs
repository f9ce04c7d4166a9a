use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use super::Ctx;

/// Prove that a guest ELF ran to exit: a STARK proof of its public output and exit status.
///
/// Runs the guest in the VM on the private input, builds the traces, proves, and writes a
/// proof file that `zkm verify` checks. For now a provable guest makes only the system calls
/// the proof models (docs/proof-system.md: I/O on fds 0 to 3, the clocks, memory
/// mappings, the signal set-up, threads and futexes), receives no signal, and runs at most
/// 4 M instructions; `zkm prove` names the first thing it cannot prove.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm prove guest.elf --input in.bin -o guest.proof\n  zkm verify guest.proof --elf guest.elf"
)]
pub struct Args {
    /// The guest ELF.
    pub elf: PathBuf,
    /// The private input, read by the guest from stdin; `-` reads zkm's own stdin
    /// [default: empty].
    #[arg(long, short, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Where to write the proof [default: the ELF's name with .proof].
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Stop after this many instructions (exit code 103).
    #[arg(long, value_name = "N", default_value_t = 1 << 22)]
    pub max_cycles: u64,
    /// Check every constraint of the witness before proving (slower; for debugging).
    #[arg(long)]
    pub check: bool,
    /// Add KEY=VALUE to the guest's environment (empty by default; part of the statement);
    /// repeatable.
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Arguments passed to the guest after its name (argv[1]...; part of the statement).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    proof: PathBuf,
    image_id: String,
    cycles: u64,
    exit_code: u32,
    public_output: String,
    seconds: zkm::proof::Timings,
    total_seconds: f64,
    cycles_per_second: f64,
    proof_bytes: usize,
    peak_rss_bytes: Option<u64>,
}

pub fn run(ctx: Ctx, args: Args) -> anyhow::Result<i32> {
    super::check_env(&args.env)?;
    let (program, input, argv) = super::guest(&args.elf, args.input.as_deref(), &args.args)?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.elf.with_extension("proof"));

    let bar = ctx.spinner("execute");
    let start = Instant::now();
    let (file, timings) = zkm::proof::prove(
        &program,
        &argv,
        &args.env,
        input,
        args.max_cycles,
        args.check,
        |p| bar.set_message(p.to_string()),
    )
    .with_context(|| format!("proving {}", args.elf.display()))?;
    bar.finish_and_clear();
    let total = start.elapsed().as_secs_f64();
    let bytes = file.encode();
    std::fs::write(&out, &bytes)
        .with_context(|| format!("writing the proof to {}", out.display()))?;
    let st = &file.statement;
    let report = Report {
        proof: out.clone(),
        image_id: file.image_id().to_string(),
        cycles: st.cycles,
        exit_code: st.exit_code,
        public_output: hex::encode(&st.output),
        cycles_per_second: st.cycles as f64 / total,
        seconds: timings.clone(),
        total_seconds: total,
        proof_bytes: bytes.len(),
        peak_rss_bytes: peak_rss(),
    };
    if ctx.json {
        ctx.print_json(&report)?;
    } else {
        ctx.info(format!(
            "proved {} instructions (exit {}) in {:.2}s: execute {:.2}s, trace {:.2}s, commit {:.2}s, prove {:.2}s",
            st.cycles, st.exit_code, total, timings.execute, timings.trace, timings.commit, timings.prove
        ));
        ctx.info(format!(
            "proof {} ({} KiB), image id {}{}",
            out.display(),
            bytes.len() / 1024,
            file.image_id(),
            report
                .peak_rss_bytes
                .map(|b| format!(", peak memory {} MiB", b >> 20))
                .unwrap_or_default()
        ));
    }
    super::OK
}

/// The process's peak resident memory (Linux `VmHWM`).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
