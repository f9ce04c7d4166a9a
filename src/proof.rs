//! The proof file, the verifying key, and verification.
//!
//! A proof file is the 8-byte magic `ZKMPROOF`, a big-endian `u32` format version, and a
//! [postcard](https://docs.rs/postcard) encoding of [`ProofFile`]: the zkm version that
//! wrote it, the image id, the verifying key, the statement (argv, public output, exit
//! status, instructions) and the STARK proof. [`ProofFile::decode`] accepts exactly
//! that and nothing else; it never panics, whatever the bytes.
//!
//! The image id (`zkm-image-v3`) is the SHA-256 of the verifying key: the tag, the proof
//! system's transcript tag, the auxiliary-vector facts of the ELF (entry point, program
//! headers), the heights of the preprocessed tables and the Merkle commitment to them (the
//! ROM, the byte table, the image and the memory regions). It therefore fixes every
//! constraint the verifier checks; a verifier given only the id needs nothing else.

use std::time::Instant;

use p3_batch_stark::{BatchProof, Commitment, CommonData};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::elf::{ImageId, Program};
use crate::prover::config::{self, Config};
use crate::prover::record::Start;
use crate::prover::{self, Chip, ChipKind, Machine, Statement};
use crate::vm::loader::AuxFacts;

pub const MAGIC: &[u8; 8] = b"ZKMPROOF";
pub const FORMAT_VERSION: u32 = 22;

/// What a verifier needs besides the statement: it determines the image id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifyingKey {
    pub facts: AuxFacts,
    /// The initial program break (page-aligned), which `brk` answers and above which
    /// `mmap` places memory.
    pub brk: u32,
    /// log2 of the heights of the program, byte, image and region tables.
    pub preprocessed_log_heights: [u8; 4],
    /// The commitment to the preprocessed tables.
    pub commitment: Commitment<Config>,
}

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.image_id() == other.image_id()
    }
}

impl VerifyingKey {
    /// The verifying key of `machine` (commits its preprocessed tables).
    pub fn of(machine: &Machine) -> Result<VerifyingKey, String> {
        let heights = machine.preprocessed_heights();
        let airs = machine.airs(
            prover::init::InitChip::empty(),
            prover::output::OutputChip::new(&[]),
        );
        let common = prover::common_data(&airs, &shape_degrees(&heights))?;
        let commitment = common
            .preprocessed
            .as_ref()
            .map(|p| p.commitment.clone())
            .ok_or("no preprocessed tables")?;
        Ok(VerifyingKey {
            facts: machine.setup.facts,
            brk: machine.setup.brk,
            preprocessed_log_heights: heights.map(|h| h.trailing_zeros() as u8),
            commitment,
        })
    }

    /// The `zkm-image-v3` id.
    pub fn image_id(&self) -> ImageId {
        let mut h = Sha256::new();
        h.update(b"zkm-image-v3");
        h.update(config::TRANSCRIPT_TAG);
        let f = &self.facts;
        for v in [f.entry, f.phdr, f.phent, f.phnum, self.brk] {
            h.update(v.to_be_bytes());
        }
        h.update(self.preprocessed_log_heights);
        h.update(postcard::to_allocvec(&self.commitment).unwrap_or_default());
        ImageId(h.finalize().into())
    }

    fn heights(&self) -> Result<[usize; 4], String> {
        let mut out = [0usize; 4];
        for (o, &lh) in out.iter_mut().zip(&self.preprocessed_log_heights) {
            if !(2..=28).contains(&lh) {
                return Err(format!("a preprocessed table of height 2^{lh}"));
            }
            *o = 1 << lh;
        }
        if out[1] != prover::bytes::ROWS {
            return Err("the byte table has the wrong height".into());
        }
        if self.brk % 4096 != 0
            || self.brk < prover::record::MMAP_MIN_ADDR
            || self.brk >> prover::mm::PAGE_BITS >= prover::mm::MMAP_TOP
        {
            return Err(format!("the program break {:#x}", self.brk));
        }
        Ok(out)
    }
}

/// The `zkm-image-v3` id of `program`: the id `zkm verify --image-id` takes.
pub fn image_id(program: &Program) -> Result<ImageId, String> {
    let machine = Machine::new(program).map_err(|e| e.to_string())?;
    Ok(VerifyingKey::of(&machine)?.image_id())
}

/// Degree bits for every chip: the preprocessed tables at `heights`, the rest at the
/// smallest height (only the preprocessed part of the common data depends on them).
fn shape_degrees(heights: &[usize; 4]) -> Vec<usize> {
    ChipKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if k.preprocessed() {
                heights[i].trailing_zeros() as usize
            } else {
                2
            }
        })
        .collect()
}

/// The contents of a proof file.
#[derive(Serialize, Deserialize)]
pub struct ProofFile {
    /// The zkm version that wrote it (informational).
    pub zkm_version: String,
    pub image_id: [u8; 32],
    pub vk: VerifyingKey,
    pub statement: Statement,
    pub proof: BatchProof<Config>,
}

/// Why a proof file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(
        "not a zkm proof file (the magic number is missing)\npass a file written by `zkm prove`"
    )]
    NotAProof,
    #[error(
        "proof format version {0}, this zkm reads version {FORMAT_VERSION}\n\
         verify it with the zkm version that wrote it, or prove again"
    )]
    Version(u32),
    #[error("the proof file is malformed: {0}\nit may be truncated or damaged; prove again")]
    Malformed(String),
    #[error(
        "the proof is for image {found}, not {expected}\n\
         check that you verify against the ELF (or image id) that was proved"
    )]
    WrongProgram { expected: ImageId, found: ImageId },
    #[error("the proof is invalid: {0}")]
    Invalid(String),
    #[error("the public output differs from the expected output ({0})")]
    UnexpectedOutput(String),
    #[error("the exit status is {found}, not the expected {expected}")]
    UnexpectedExit { expected: u32, found: u32 },
    #[error("the {what} {found:?} differ from the expected {expected:?}")]
    UnexpectedArgs {
        what: &'static str,
        expected: Vec<String>,
        found: Vec<String>,
    },
}

impl crate::exit::ExitCode for ProofError {
    fn exit_code(&self) -> i32 {
        use crate::exit;
        match self {
            ProofError::NotAProof | ProofError::Version(_) | ProofError::Malformed(_) => {
                exit::BAD_DATA
            }
            ProofError::WrongProgram { .. } => exit::WRONG_PROGRAM,
            ProofError::Invalid(_) => exit::PROOF_INVALID,
            ProofError::UnexpectedOutput(_) => exit::UNEXPECTED_OUTPUT,
            ProofError::UnexpectedExit { .. } => exit::UNEXPECTED_EXIT,
            ProofError::UnexpectedArgs { .. } => exit::UNEXPECTED_ARGS,
        }
    }
}

impl ProofFile {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(FORMAT_VERSION.to_be_bytes());
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    /// Decodes a proof file, refusing anything but exactly one well-formed proof.
    pub fn decode(bytes: &[u8]) -> Result<ProofFile, ProofError> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(ProofError::NotAProof);
        }
        let version = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != FORMAT_VERSION {
            return Err(ProofError::Version(version));
        }
        let (file, rest): (ProofFile, &[u8]) = postcard::take_from_bytes(&bytes[12..])
            .map_err(|e| ProofError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(ProofError::Malformed(format!(
                "{} trailing bytes",
                rest.len()
            )));
        }
        if file.vk.image_id().0 != file.image_id {
            return Err(ProofError::Malformed(
                "the image id is not the verifying key's".into(),
            ));
        }
        Ok(file)
    }

    pub fn image_id(&self) -> ImageId {
        ImageId(self.image_id)
    }
}

/// Timings of the phases of a proof, in seconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    pub execute: f64,
    pub trace: f64,
    pub commit: f64,
    pub prove: f64,
}

/// Proves a run of `program` with `argv` and the environment `env` (`KEY=VALUE`
/// strings). `phase` is told each phase as it starts.
pub fn prove(
    program: &Program,
    argv: &[String],
    env: &[String],
    input: Vec<u8>,
    max_cycles: u64,
    check: bool,
    mut phase: impl FnMut(&str),
) -> Result<(ProofFile, Timings), anyhow::Error> {
    let mut t = Timings::default();
    phase("execute");
    let start = Instant::now();
    let machine = Machine::new(program)?;
    let record =
        prover::record::execute_with_env(program, &machine.setup, argv, env, input, max_cycles)?;
    t.execute = start.elapsed().as_secs_f64();
    phase("trace");
    let start = Instant::now();
    let (statement, w, init_start) = machine.witness_of(&record, argv)?;
    let instances = machine.traces_from(&w, &init_start, &statement)?;
    drop(w);
    if check {
        instances.check().map_err(|e| {
            anyhow::anyhow!("the witness fails a check: {e}\nthis is a zkm bug; please report it")
        })?;
    }
    t.trace = start.elapsed().as_secs_f64();
    phase("commit");
    let start = Instant::now();
    let vk = VerifyingKey::of(&machine).map_err(anyhow::Error::msg)?;
    t.commit = start.elapsed().as_secs_f64();
    phase("prove");
    let start = Instant::now();
    let proof = prover::prove(&instances).map_err(anyhow::Error::msg)?;
    t.prove = start.elapsed().as_secs_f64();
    let file = ProofFile {
        zkm_version: prover::ZKM_VERSION.to_string(),
        image_id: vk.image_id().0,
        vk,
        statement,
        proof,
    };
    Ok((file, t))
}

/// What the verifier is given to check the proof against.
pub enum Expected<'a> {
    Elf(&'a Program),
    ImageId(ImageId),
}

/// Verifies `file` for the program `expected`.
pub fn verify(file: &ProofFile, expected: Expected<'_>) -> Result<(), ProofError> {
    let found = file.image_id();
    let (airs, common) = match expected {
        Expected::ImageId(id) => {
            if id != found {
                return Err(ProofError::WrongProgram {
                    expected: id,
                    found,
                });
            }
            shape_only(file)?
        }
        Expected::Elf(program) => {
            let machine = Machine::new(program).map_err(|e| ProofError::Invalid(e.to_string()))?;
            let vk = VerifyingKey::of(&machine).map_err(ProofError::Invalid)?;
            let id = vk.image_id();
            if id != found {
                return Err(ProofError::WrongProgram {
                    expected: id,
                    found,
                });
            }
            let start = start_of(file)?;
            let airs = statement_airs(&machine, &start, file);
            let common = common_for(&airs, file)?;
            (airs, common)
        }
    };
    let st = &file.statement;
    // The constraints are this build's: a proof made by another version was made against
    // other ones, and is refused rather than checked against the wrong machine.
    if file.zkm_version != prover::ZKM_VERSION {
        return Err(ProofError::Invalid(format!(
            "the proof was made by zkm {}, this is zkm {}; verify it with the version that made it",
            file.zkm_version,
            prover::ZKM_VERSION
        )));
    }
    // Values that the field would reduce must be refused here: N + p instructions or the
    // status 256 + k would otherwise pass for N and k.
    if st.cycles == 0 || st.cycles > prover::bus::MAX_SHARD_CYCLES {
        return Err(ProofError::Invalid(format!(
            "a proof of {} instructions",
            st.cycles
        )));
    }
    if st.exit_code > 255 {
        return Err(ProofError::Invalid(format!("exit status {}", st.exit_code)));
    }
    if st.output.len() > 1 << 28 {
        return Err(ProofError::Invalid("the output is too long".into()));
    }
    let start = start_of(file)?;
    let pv = prover::public_values(&file.vk.facts, file.vk.brk, st, &start, &file.zkm_version);
    // The verifier returns errors for malformed proofs; a panic inside it would be a bug
    // in it, and is reported as an invalid proof rather than a crash.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prover::verify(&airs, &file.proof, &pv, &common)
    }));
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ProofError::Invalid(e)),
        Err(_) => Err(ProofError::Invalid("the proof is malformed".into())),
    }
}

fn start_of(file: &ProofFile) -> Result<Start, ProofError> {
    Start::with_env(&file.vk.facts, &file.statement.argv, &file.statement.env)
        .map_err(ProofError::Invalid)
}

/// The chips, at the proof's heights, with shape-only preprocessed tables, and the common
/// data with the verifying key's commitment.
fn shape_only(file: &ProofFile) -> Result<(Vec<Chip>, CommonData<Config>), ProofError> {
    let heights = file.vk.heights().map_err(ProofError::Invalid)?;
    let machine = Machine::shape(heights, file.vk.facts, file.vk.brk);
    let start = start_of(file)?;
    let airs = statement_airs(&machine, &start, file);
    let mut common = common_for(&airs, file)?;
    if let Some(p) = common.preprocessed.as_mut() {
        p.commitment = file.vk.commitment.clone();
    }
    Ok((airs, common))
}

/// The machine's chips with the statement's initial state and output.
fn statement_airs(machine: &Machine, start: &Start, file: &ProofFile) -> Vec<Chip> {
    machine.airs(
        prover::init::InitChip::new(start),
        prover::output::OutputChip::new(&file.statement.output),
    )
}

fn common_for(airs: &[Chip], file: &ProofFile) -> Result<CommonData<Config>, ProofError> {
    let bits = &file.proof.degree_bits;
    if bits.len() != airs.len() || bits.iter().any(|&b| !(2..=28).contains(&b)) {
        return Err(ProofError::Invalid("the proof has the wrong shape".into()));
    }
    // The preprocessed tables' heights are the verifying key's, not the prover's choice.
    let heights = file.vk.heights().map_err(ProofError::Invalid)?;
    for (i, k) in ChipKind::ALL.iter().enumerate() {
        if k.preprocessed() && 1usize << bits[i] != heights[i] {
            return Err(ProofError::Invalid(format!(
                "the {} table has another height than the verifying key's",
                k.name()
            )));
        }
    }
    // The statement's chips have exactly one period of their rows: a taller trace would
    // repeat them, and a repeated register row is a second copy of the register.
    for (i, air) in airs.iter().enumerate() {
        let period = match air {
            Chip::Init(c) => c.height,
            Chip::Output(c) => c.height,
            _ => continue,
        };
        if 1usize << bits[i] != period {
            return Err(ProofError::Invalid(format!(
                "the {} chip has another height than the statement's",
                air.kind().name()
            )));
        }
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prover::common_data(airs, bits)
    }))
    .map_err(|_| ProofError::Invalid("the proof has the wrong shape".into()))?
    .map_err(ProofError::Invalid)
}
