use std::path::PathBuf;

use super::Ctx;

/// Create a new Go guest project.
///
/// Writes go.mod, a main.go that hashes its private input and commits the digest to the
/// public output, and a local `zkvm` helper package (no module download needed).
/// Refuses to write into a non-empty directory.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  zkm new hello && zkm build hello")]
pub struct Args {
    /// Directory to create (it may exist if it is empty).
    pub path: PathBuf,
    /// Go module path [default: the directory's name].
    #[arg(long)]
    pub name: Option<String>,
}

pub fn run(ctx: Ctx, args: Args) -> anyhow::Result<i32> {
    let project = zkm::scaffold::new_project(&args.path, args.name.as_deref())?;
    if ctx.json {
        ctx.print_json(&project)?;
    }
    ctx.info(format!(
        "created Go guest {} in {}\nnext: zkm build {}",
        project.module,
        project.dir.display(),
        project.dir.display()
    ));
    super::OK
}
