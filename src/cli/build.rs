use std::path::PathBuf;

use anyhow::Context;

use super::Ctx;

/// Cross-compile a Go guest to a MIPS ELF with your own Go toolchain.
///
/// Runs `go build -trimpath -buildvcs=false` with GOOS=linux GOARCH=mips GOMIPS=softfloat
/// CGO_ENABLED=0, so the same sources and Go version always give the same ELF.
/// Go is taken from --go, then $ZKM_GO, then PATH, and must be 1.21 or newer.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm build hello\n  zkm build . -o guest.elf --go ~/sdk/go1.22.5/bin/go\n  zkm build --json"
)]
pub struct Args {
    /// Directory of the guest's main package.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The go command to use [default: $ZKM_GO, then `go` on PATH].
    #[arg(long, value_name = "GO")]
    pub go: Option<PathBuf>,
    /// Where to write the ELF [default: <module root>/target/zkm/<name>.elf].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(ctx: Ctx, args: Args) -> anyhow::Result<i32> {
    let go = zkm::gobuild::GoToolchain::find(args.go.as_deref())?;
    ctx.detail(format!("using {} ({})", go.path.display(), go.release));
    let spinner = ctx.spinner(format!("go build {}", args.path.display()));
    let result = zkm::gobuild::build(&go, &args.path, args.output.as_deref());
    spinner.finish_and_clear();
    let out = result.with_context(|| format!("building {}", args.path.display()))?;
    if ctx.json {
        ctx.print_json(&out)?;
    }
    ctx.info(format!(
        "built {} ({} bytes) with {}\nimage id {}",
        out.elf.display(),
        out.size,
        out.go_version,
        out.image_id
            .map(|i| i.to_string())
            .unwrap_or_else(|| format!("none (content {})", out.content_id))
    ));
    super::OK
}
