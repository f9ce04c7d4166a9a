use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use super::Ctx;

/// Run a guest ELF in the zkm MIPS virtual machine.
///
/// The guest's stdin is the private input (--input), fd 3 its public output
/// (--public-out), and its stdout and stderr go to the terminal as it runs. The exit code
/// is the guest's own (2 for a Go panic, 128+N when killed by signal N); zkm's own
/// failures use the codes listed in the README (100-104 for faults in the guest).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm run guest.elf --input in.bin --public-out pub.bin\n  zkm run guest.elf --report report.json -- arg1 arg2\n  zkm run guest.elf --strace 2> calls.txt\n  echo hi | zkm run guest.elf --input -"
)]
pub struct Args {
    /// The guest ELF (built with `zkm build`).
    pub elf: PathBuf,
    /// The private input, read by the guest from stdin; `-` reads zkm's own stdin
    /// [default: empty].
    #[arg(long, short, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Where to write what the guest writes to fd 3 [default: discarded].
    #[arg(long, value_name = "FILE")]
    pub public_out: Option<PathBuf>,
    /// Stop after this many instructions (exit code 103).
    #[arg(long, value_name = "N")]
    pub max_cycles: Option<u64>,
    /// Add KEY=VALUE to the guest's environment (empty by default); repeatable.
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Write a JSON report (exit code, cycles, public output, syscalls...) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print each system call, its arguments and its result on stderr, as `qemu-mips
    /// -strace` does (the run is slower).
    #[arg(long)]
    pub strace: bool,
    /// Arguments passed to the guest after its name (argv[1]...).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// Instructions run between progress-bar updates.
const CHUNK: u64 = 20_000_000;

pub fn run(ctx: Ctx, args: Args) -> anyhow::Result<i32> {
    super::check_env(&args.env)?;
    let (program, input, argv) = super::guest(&args.elf, args.input.as_deref(), &args.args)?;
    let config = zkm::vm::Config {
        argv,
        env: args.env.clone(),
        input,
        max_cycles: args.max_cycles,
        stdout: Box::new(std::io::stdout()),
        stderr: Box::new(std::io::stderr()),
    };
    let mut vm = zkm::vm::Vm::new(program, config)
        .with_context(|| format!("starting {}", args.elf.display()))?;

    let show = !ctx.quiet && std::io::stderr().is_terminal();
    let bar = if show {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    let start = Instant::now();
    let mut until = CHUNK;
    let mut strace = args
        .strace
        .then(|| zkm::syscalls::strace::Strace::new(std::io::stderr()));
    let result = loop {
        let step = match &mut strace {
            Some(s) => vm.run(until, s),
            None => vm.run(until, &mut zkm::vm::trace::NoTracer),
        };
        match step {
            Ok(Some(exit)) => break Ok(exit),
            Ok(None) => {
                until += CHUNK;
                if show && start.elapsed().as_millis() > 500 {
                    let secs = start.elapsed().as_secs_f64();
                    bar.set_message(format!(
                        "{} M instructions, {:.0} M/s",
                        vm.cycles / 1_000_000,
                        vm.cycles as f64 / secs / 1e6
                    ));
                    bar.tick();
                }
            }
            Err(e) => break Err(e),
        }
    };
    bar.finish_and_clear();
    // (Prints the call the run ended in.)
    drop(strace);
    let wall = start.elapsed().as_secs_f64();
    let _ = std::io::stdout().flush();
    if let Some(p) = &args.public_out {
        std::fs::write(p, vm.public_output())
            .with_context(|| format!("writing the public output to {}", p.display()))?;
    }
    let exit = result.with_context(|| format!("running {}", args.elf.display()))?;
    let report = vm.report(exit, wall);
    if let Some(p) = &args.report {
        std::fs::write(p, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing the report to {}", p.display()))?;
    }
    if ctx.json {
        ctx.print_json(&report)?;
    }
    ctx.detail(format!(
        "exit {} after {} instructions in {:.3}s ({:.1} M/s)",
        exit.code,
        vm.cycles,
        wall,
        report.instructions_per_second / 1e6
    ));
    let public = vm.public_output();
    const SHOWN: usize = 64;
    ctx.detail(format!(
        "public output: {} bytes{} {}{}",
        public.len(),
        if public.is_empty() { "" } else { ":" },
        hex::encode(&public[..public.len().min(SHOWN)]),
        if public.len() > SHOWN { "…" } else { "" }
    ));
    Ok(exit.code)
}
