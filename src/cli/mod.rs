//! The command-line front end. Each subcommand has its own file; all the work is done by
//! the `zkm` library.

use std::io::IsTerminal;

use clap::{Parser, Subcommand};

mod build;
mod challenge;
mod completions;
mod inspect;
mod new;
mod prove;
mod run;
mod verify;

/// Prove Go programs with STARKs, and test Bitcoin challenge games.
///
/// A guest is a plain Go program built for GOOS=linux GOARCH=mips GOMIPS=softfloat.
/// Its stdin is the private input, fd 3 its public output, stdout and stderr are logs.
#[derive(Parser, Debug)]
#[command(
    name = "zkm",
    version,
    propagate_version = true,
    after_help = "Examples:\n  zkm new hello\n  zkm build hello\n  zkm inspect hello/target/zkm/hello.elf\n\nExit codes are listed in the README (zkm's own failures use 64-78 and 100-110)."
)]
pub struct Cli {
    /// Print machine-readable JSON on stdout; human messages still go to stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    New(new::Args),
    Build(build::Args),
    Inspect(inspect::Args),
    Run(run::Args),
    Prove(prove::Args),
    Verify(verify::Args),
    Completions(completions::Args),
    Challenge(challenge::Args),
}

/// Output settings shared by every subcommand.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
}

impl Ctx {
    /// A message for humans on stderr, unless `--quiet`.
    pub fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// A detail shown with `-v`.
    pub fn detail(&self, msg: impl std::fmt::Display) {
        if self.verbose > 0 {
            eprintln!("{msg}");
        }
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }

    /// A spinner on stderr, shown only on a terminal and without `--quiet`.
    pub fn spinner(
        &self,
        msg: impl Into<std::borrow::Cow<'static, str>>,
    ) -> indicatif::ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let pb = indicatif::ProgressBar::new_spinner().with_message(msg);
        pb.enable_steady_tick(std::time::Duration::from_millis(100));
        pb
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
                _ => zkm::exit::USAGE,
            };
        }
    };
    let ctx = Ctx {
        json: cli.json,
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    let result = match cli.command {
        Command::New(args) => new::run(ctx, args),
        Command::Build(args) => build::run(ctx, args),
        Command::Inspect(args) => inspect::run(ctx, args),
        Command::Run(args) => run::run(ctx, args),
        Command::Prove(args) => prove::run(ctx, args),
        Command::Verify(args) => verify::run(ctx, args),
        Command::Completions(args) => completions::run(args),
        Command::Challenge(args) => challenge::run(ctx, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            report(&err);
            exit_code(&err)
        }
    }
}

/// A file named on the command line could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the {what} {}: {source}\nCheck the path", path.display())]
pub struct ReadError {
    what: &'static str,
    path: std::path::PathBuf,
    #[source]
    source: std::io::Error,
}

impl ReadError {
    fn exit_code(&self) -> i32 {
        if self.source.kind() == std::io::ErrorKind::NotFound {
            zkm::exit::NO_INPUT
        } else {
            zkm::exit::FAILURE
        }
    }
}

/// Reads a whole file named on the command line (`what` says which, e.g. "--input file").
pub fn read_file(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, ReadError> {
    std::fs::read(path).map_err(|source| ReadError {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Prints an error and its causes on stderr, skipping causes already in the message.
fn report(err: &anyhow::Error) {
    let mut shown = format!("{err}");
    eprintln!("error: {shown}");
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            eprintln!("  caused by: {text}");
            shown.push_str(&text);
        }
    }
}

/// The exit code of the first error in the chain that has one.
fn exit_code(err: &anyhow::Error) -> i32 {
    use zkm::exit::ExitCode;
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<zkm::elf::ElfError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<zkm::gobuild::BuildError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<zkm::scaffold::ScaffoldError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<zkm::vm::VmError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<zkm::prover::record::ProveError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<zkm::proof::ProofError>() {
            return e.exit_code();
        }
        if cause.downcast_ref::<verify::UsageError>().is_some() {
            return zkm::exit::USAGE;
        }
        if let Some(e) = cause.downcast_ref::<ReadError>() {
            return e.exit_code();
        }
        if let Some(e) = cause.downcast_ref::<zkm::ocp::OcpError>() {
            return e.exit_code();
        }
        if cause
            .downcast_ref::<zkm::ocp::bristol::BristolError>()
            .is_some()
        {
            return zkm::exit::BAD_DATA;
        }
    }
    zkm::exit::FAILURE
}

/// Exit code of a successful command.
pub const OK: anyhow::Result<i32> = Ok(0);

/// Checks that each `--env` value is `KEY=VALUE`.
pub(crate) fn check_env(env: &[String]) -> anyhow::Result<()> {
    for e in env {
        if !e.contains('=') {
            return Err(anyhow::Error::new(verify::UsageError(format!(
                "--env {e:?} is not KEY=VALUE\nwrite it as --env {e}=VALUE"
            ))));
        }
    }
    Ok(())
}

/// The guest a run or a proof starts: the ELF, the private input (`--input FILE`, `-` for
/// stdin, none for empty) and argv (the ELF's name, then `args`).
pub(crate) fn guest(
    elf: &std::path::Path,
    input: Option<&std::path::Path>,
    args: &[String],
) -> anyhow::Result<(zkm::elf::Program, Vec<u8>, Vec<String>)> {
    use anyhow::Context;
    use std::io::Read;
    let program =
        zkm::elf::Program::load(elf).with_context(|| format!("loading {}", elf.display()))?;
    let input = match input {
        None => Vec::new(),
        Some(p) if p.as_os_str() == "-" => {
            let mut v = Vec::new();
            std::io::stdin()
                .read_to_end(&mut v)
                .context("reading the input from stdin")?;
            v
        }
        Some(p) => read_file("--input file", p)?,
    };
    let name = elf
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guest".into());
    let mut argv = vec![name];
    argv.extend(args.iter().cloned());
    Ok((program, input, argv))
}
