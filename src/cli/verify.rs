use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use zkm::proof::{Expected, ProofError, ProofFile};

use super::Ctx;

/// Verify a proof written by `zkm prove`: exit 0 only if it is valid for the program and
/// every expectation holds.
///
/// Exit codes: 67 a malformed file, 106 a proof of another program, 107 an invalid proof,
/// 108 another public output than --expect-output, 109 another exit status than
/// --expect-exit, 111 other arguments or environment than --expect-args gives.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm verify guest.proof --elf guest.elf --expect-exit 0\n  zkm verify guest.proof --image-id 3f1c...e2 --expect-output expected.bin\n  zkm verify guest.proof --elf guest.elf --expect-args --env MODE=fast -- input.json"
)]
pub struct Args {
    /// The proof file.
    pub proof: PathBuf,
    /// The ELF the proof must be for.
    #[arg(
        long,
        value_name = "ELF",
        required_unless_present = "image_id",
        conflicts_with = "image_id"
    )]
    pub elf: Option<PathBuf>,
    /// The image id the proof must be for (64 hex digits; `zkm inspect ELF` shows it).
    #[arg(long, value_name = "HEX")]
    pub image_id: Option<String>,
    /// The public output (fd 3) the proof must state, byte for byte.
    #[arg(long, value_name = "FILE")]
    pub expect_output: Option<PathBuf>,
    /// The exit status the proof must state.
    #[arg(long, value_name = "N")]
    pub expect_exit: Option<u32>,
    /// Require the arguments after the program's name to be exactly those after `--`,
    /// and the environment exactly the --env values, in order (without it the proof's
    /// are shown, not checked; argv[0], the proved ELF's file name, never is).
    #[arg(long)]
    pub expect_args: bool,
    /// With --expect-args: a KEY=VALUE of the expected environment; repeatable.
    #[arg(long = "env", value_name = "K=V", requires = "expect_args")]
    pub env: Vec<String>,
    /// With --expect-args: the expected arguments after the program's name.
    #[arg(last = true, value_name = "ARGS", requires = "expect_args")]
    pub args: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    valid: bool,
    reason: Option<String>,
    image_id: Option<String>,
    argv: Option<Vec<String>>,
    env: Option<Vec<String>>,
    cycles: Option<u64>,
    exit_code: Option<u32>,
    public_output: Option<String>,
    verify_seconds: f64,
    security: Security,
}

#[derive(Serialize)]
struct Security {
    field: &'static str,
    extension_degree: u32,
    log_blowup: usize,
    queries: usize,
    query_pow_bits: usize,
    conjectured_bits: usize,
}

fn security() -> Security {
    use zkm::prover::config::*;
    Security {
        field: "KoalaBear",
        extension_degree: 4,
        log_blowup: LOG_BLOWUP,
        queries: NUM_QUERIES,
        query_pow_bits: QUERY_POW_BITS,
        conjectured_bits: CONJECTURED_SECURITY_BITS,
    }
}

pub fn run(ctx: Ctx, args: Args) -> anyhow::Result<i32> {
    super::check_env(&args.env)?;
    let start = Instant::now();
    let expected_id = match &args.image_id {
        Some(h) => Some(parse_id(h)?),
        None => None,
    };
    let program = match &args.elf {
        Some(p) => {
            Some(zkm::elf::Program::load(p).with_context(|| format!("loading {}", p.display()))?)
        }
        None => None,
    };
    let expect_output = match &args.expect_output {
        Some(p) => Some(super::read_file("--expect-output file", p)?),
        None => None,
    };
    let bytes = super::read_file("proof file", &args.proof)?;
    let file = ProofFile::decode(&bytes);
    let result = file.as_ref().map_err(clone_err).and_then(|f| {
        let expected = match (&program, expected_id) {
            (Some(p), _) => Expected::Elf(p),
            (None, Some(id)) => Expected::ImageId(id),
            (None, None) => unreachable!("clap requires one"),
        };
        zkm::proof::verify(f, expected)?;
        if let Some(out) = &expect_output {
            if &f.statement.output != out {
                return Err(ProofError::UnexpectedOutput(format!(
                    "{} bytes stated, {} expected",
                    f.statement.output.len(),
                    out.len()
                )));
            }
        }
        if args.expect_args {
            let found = f.statement.argv.get(1..).unwrap_or_default();
            if found != args.args.as_slice() {
                return Err(ProofError::UnexpectedArgs {
                    what: "arguments",
                    expected: args.args.clone(),
                    found: found.to_vec(),
                });
            }
            if f.statement.env != args.env {
                return Err(ProofError::UnexpectedArgs {
                    what: "environment",
                    expected: args.env.clone(),
                    found: f.statement.env.clone(),
                });
            }
        }
        if let Some(code) = args.expect_exit {
            if f.statement.exit_code != code {
                return Err(ProofError::UnexpectedExit {
                    expected: code,
                    found: f.statement.exit_code,
                });
            }
        }
        Ok(())
    });
    let secs = start.elapsed().as_secs_f64();
    let f = file.as_ref().ok();
    if ctx.json {
        ctx.print_json(&Report {
            valid: result.is_ok(),
            reason: result.as_ref().err().map(|e| first_line(&e.to_string())),
            image_id: f.map(|f| f.image_id().to_string()),
            argv: f.map(|f| f.statement.argv.clone()),
            env: f.map(|f| f.statement.env.clone()),
            cycles: f.map(|f| f.statement.cycles),
            exit_code: f.map(|f| f.statement.exit_code),
            public_output: f.map(|f| hex::encode(&f.statement.output)),
            verify_seconds: secs,
            security: security(),
        })?;
    }
    match result {
        Ok(()) => {
            if let Some(f) = f {
                ctx.info(format!(
                    "valid: {} instructions, exit {}, {} bytes of public output ({:.3}s)",
                    f.statement.cycles,
                    f.statement.exit_code,
                    f.statement.output.len(),
                    secs
                ));
            }
            super::OK
        }
        Err(e) => {
            use zkm::exit::ExitCode;
            let code = e.exit_code();
            if !ctx.json {
                eprintln!("error: {}", first_line(&e.to_string()));
                ctx.detail(e.to_string());
            }
            Ok(code)
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

fn clone_err(e: &ProofError) -> ProofError {
    match e {
        ProofError::NotAProof => ProofError::NotAProof,
        ProofError::Version(v) => ProofError::Version(*v),
        other => ProofError::Malformed(other.to_string()),
    }
}

fn parse_id(h: &str) -> anyhow::Result<zkm::elf::ImageId> {
    let bytes = hex::decode(h.trim())
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            anyhow::Error::new(UsageError(format!(
            "--image-id {h:?} is not 64 hex digits\n`zkm inspect ELF` prints a program's image id"
        )))
        })?;
    let mut id = [0u8; 32];
    id.copy_from_slice(&bytes);
    Ok(zkm::elf::ImageId(id))
}

/// A malformed command-line value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
