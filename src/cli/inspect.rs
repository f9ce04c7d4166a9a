use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use zkm::elf::{GoBuildInfo, ImageId, Program};

use super::Ctx;

/// Show what a guest ELF contains: entry point, segments, symbols, Go build info, image id.
///
/// Also checks that the file is a static, 32-bit, big-endian MIPS executable, with a
/// clear error when it is not.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm inspect hello/target/zkm/hello.elf\n  zkm inspect testdata/elf/sha256chain.elf --json"
)]
pub struct Args {
    /// The ELF file to inspect.
    pub file: PathBuf,
}

#[derive(Serialize)]
struct SegmentInfo {
    vaddr: String,
    mem_size: u32,
    file_size: u32,
    flags: String,
}

#[derive(Serialize)]
struct ElfInfo {
    path: PathBuf,
    size: u64,
    /// The `zkm-image-v3` id (of the verifying key), when the program can be proved.
    image_id: Option<ImageId>,
    /// Why there is no image id.
    image_id_error: Option<String>,
    /// SHA-256 of the loadable content (`zkm-image-v1`).
    content_id: ImageId,
    entry: String,
    entry_symbol: Option<String>,
    segments: Vec<SegmentInfo>,
    symbols: usize,
    go: Option<GoBuildInfo>,
}

pub fn run(ctx: Ctx, args: Args) -> anyhow::Result<i32> {
    let bytes = std::fs::read(&args.file).map_err(|source| zkm::elf::ElfError::Io {
        path: args.file.display().to_string(),
        source,
    })?;
    if bytes.starts_with(zkm::proof::MAGIC) {
        return inspect_proof(ctx, &args, &bytes);
    }
    let program =
        Program::parse(&bytes).with_context(|| format!("inspecting {}", args.file.display()))?;
    let (image_id, image_id_error) = match zkm::proof::image_id(&program) {
        Ok(id) => (Some(id), None),
        Err(e) => (None, Some(e.lines().next().unwrap_or_default().to_string())),
    };
    let info = ElfInfo {
        path: args.file.clone(),
        size: bytes.len() as u64,
        image_id,
        image_id_error,
        content_id: program.content_id(),
        entry: format!("{:#010x}", program.entry),
        entry_symbol: program.symbol_at(program.entry).map(|s| s.name.clone()),
        segments: program
            .segments
            .iter()
            .map(|s| SegmentInfo {
                vaddr: format!("{:#010x}", s.vaddr),
                mem_size: s.mem_size,
                file_size: s.data.len() as u32,
                flags: s.flag_string(),
            })
            .collect(),
        symbols: program.symbols.len(),
        go: program.go.clone(),
    };
    if ctx.json {
        return ctx.print_json(&info).map(|_| 0);
    }
    println!("file      {} ({} bytes)", info.path.display(), info.size);
    println!("format    ELF32 big-endian MIPS, static executable");
    match (&info.image_id, &info.image_id_error) {
        (Some(id), _) => println!("image id  {id}"),
        (None, Some(e)) => println!("image id  none: {e}"),
        (None, None) => {}
    }
    println!("content   {}", info.content_id);
    println!(
        "entry     {} ({})",
        info.entry,
        info.entry_symbol.as_deref().unwrap_or("no symbol")
    );
    println!("segments  {} loadable", info.segments.len());
    for s in &info.segments {
        println!(
            "  {}  {}  mem {:#9x}  file {:#9x}",
            s.vaddr, s.flags, s.mem_size, s.file_size
        );
    }
    println!("symbols   {}", info.symbols);
    match &info.go {
        Some(go) => {
            println!("go        {}", go.go_version);
            if let Some(m) = &go.module {
                println!("module    {m}");
            }
            if let Some(p) = &go.path {
                println!("package   {p}");
            }
        }
        None => println!("go        no Go build information"),
    }
    super::OK
}

#[derive(Serialize)]
struct ProofInfo {
    path: PathBuf,
    size: u64,
    format_version: u32,
    zkm_version: String,
    image_id: ImageId,
    entry: String,
    argv: Vec<String>,
    env: Vec<String>,
    cycles: u64,
    exit_code: u32,
    public_output: String,
    /// Each chip's trace height, as the proof claims it (log2), in batch order.
    chips: Vec<ChipHeight>,
}

#[derive(Serialize)]
struct ChipHeight {
    chip: &'static str,
    log_height: usize,
}

fn inspect_proof(ctx: Ctx, args: &Args, bytes: &[u8]) -> anyhow::Result<i32> {
    let file = zkm::proof::ProofFile::decode(bytes)
        .with_context(|| format!("inspecting {}", args.file.display()))?;
    let st = &file.statement;
    let info = ProofInfo {
        path: args.file.clone(),
        size: bytes.len() as u64,
        format_version: zkm::proof::FORMAT_VERSION,
        zkm_version: file.zkm_version.clone(),
        image_id: file.image_id(),
        entry: format!("{:#010x}", file.vk.facts.entry),
        argv: st.argv.clone(),
        env: st.env.clone(),
        cycles: st.cycles,
        exit_code: st.exit_code,
        public_output: hex::encode(&st.output),
        chips: zkm::prover::ChipKind::ALL
            .iter()
            .zip(&file.proof.degree_bits)
            .map(|(k, &b)| ChipHeight {
                chip: k.name(),
                log_height: b,
            })
            .collect(),
    };
    if ctx.json {
        return ctx.print_json(&info).map(|_| 0);
    }
    println!("file      {} ({} bytes)", info.path.display(), info.size);
    println!(
        "format    zkm proof, version {} (written by zkm {})",
        info.format_version, info.zkm_version
    );
    println!("image id  {}", info.image_id);
    println!("entry     {}", info.entry);
    println!("argv      {:?}", info.argv);
    println!("env       {:?}", info.env);
    println!("cycles    {}", info.cycles);
    println!("exit      {}", info.exit_code);
    println!("output    {} bytes", st.output.len());
    let heights: Vec<String> = info
        .chips
        .iter()
        .map(|c| format!("{} 2^{}", c.chip, c.log_height))
        .collect();
    println!("chips     {}", heights.join(", "));
    println!("(not verified: run zkm verify)");
    super::OK
}
