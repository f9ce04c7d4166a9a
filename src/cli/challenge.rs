use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use zkm::ocp::bristol::Circuit;
use zkm::ocp::claim::{Claim, Lie};
use zkm::ocp::game::{Report, Scenario};
use zkm::ocp::graph::{Graph, LeafKind, NofNMode, Params, MAX_SIGNERS};
use zkm::ocp::keys::Keys;
use zkm::ocp::{builder, policy, sign as signing, store, OcpError};

use super::Ctx;

/// Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain.
///
/// `setup` builds the transaction graph of a deposit before any claim exists, `sign` has
/// the n signers pre-sign it, `claim` makes the operator's one claim on it, `simulate`
/// plays a branch of the game with every input checked by Bitcoin Core 26.0's script
/// interpreter, `inspect` reports sizes and standardness.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm challenge setup --circuit builtin:adder64 --input _ --input 1111111111111111 --seed 01 -o game\n  zkm challenge sign game\n  zkm challenge claim game --input 0123456789abcdef\n  zkm challenge simulate game --scenario honest --report honest.json\n  zkm challenge inspect game"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    Setup(SetupArgs),
    Sign(SignArgs),
    Claim(ClaimArgs),
    Simulate(SimulateArgs),
    Inspect(InspectArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Mode {
    /// One MuSig2 (BIP327) aggregate key.
    Musig2,
    /// `<k1> CHECKSIG <k2> CHECKSIGADD … <n> NUMEQUAL`.
    Checksigadd,
}

impl From<Mode> for NofNMode {
    fn from(m: Mode) -> NofNMode {
        match m {
            Mode::Musig2 => NofNMode::Musig2,
            Mode::Checksigadd => NofNMode::Checksigadd,
        }
    }
}

/// Build the unsigned transaction graph of a deposit, before any claim is made.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm challenge setup --circuit ../shared/circuits/sha256.txt --input _ --input 6a09…cd19 --seed 01 -o sha\n  zkm challenge setup --circuit builtin:multiplier8 --input _ --input _ --signers 5 --keys keys.json -o mul"
)]
pub struct SetupArgs {
    /// A Bristol Fashion file, or builtin:NAME (adderN, comparatorN, multiplierN, sha256).
    #[arg(long, value_name = "FILE.txt|builtin:NAME")]
    pub circuit: String,
    /// One per circuit input: a hex constant fixed now (big-endian, bit 0 on the first
    /// wire), or `_` for an input the operator commits when it claims.
    #[arg(long = "input", value_name = "HEX|_")]
    pub inputs: Vec<String>,
    /// Number of n-of-n signers [default: 3, or as many as --keys has].
    #[arg(long, value_name = "N")]
    pub signers: Option<usize>,
    /// Value of the deposit, in sats: what a true claim is paid.
    #[arg(long, default_value_t = 100_000_000, value_name = "SATS")]
    pub amount: u64,
    /// The operator's collateral, posted with the kickoff [default: a tenth of --amount].
    #[arg(long, value_name = "SATS")]
    pub stake: Option<u64>,
    /// What a disprove leaves whoever publishes it, out of the stake [default: a tenth of the stake].
    #[arg(long, value_name = "SATS")]
    pub reward: Option<u64>,
    /// Fee rate of every pre-signed transaction, in sat/vB.
    #[arg(long, default_value_t = 1, value_name = "SAT/VB")]
    pub fee_rate: u64,
    /// P: blocks to challenge, per Assert step, and to disprove.
    #[arg(long, default_value_t = 6, value_name = "BLOCKS")]
    pub challenge_period: u16,
    /// Blocks after which the depositor may take back an unclaimed deposit [default: 4320, or 4P if more].
    #[arg(long, value_name = "BLOCKS")]
    pub refund_after: Option<u16>,
    /// What the challenger pays the operator to challenge [default: what the Asserts cost].
    #[arg(long, value_name = "SATS")]
    pub challenge_fee: Option<u64>,
    /// Derive every key from this seed (local testing: the seed gives away every key).
    #[arg(long, value_name = "HEX", conflicts_with = "keys")]
    pub seed: Option<String>,
    /// Read the keys from a JSON file (see docs/ocp.md).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,
    /// How the n signers sign.
    #[arg(long, value_enum, default_value = "musig2")]
    pub n_of_n: Mode,
    /// A real funding outpoint for regtest replay (pay the amount graph.json asks to the
    /// depositor's address first).
    #[arg(long, value_name = "TXID:VOUT")]
    pub funding: Option<String>,
    /// The operator's real stake coin for regtest replay (exactly --stake sats to its address).
    #[arg(long, value_name = "TXID:VOUT")]
    pub stake_coin: Option<String>,
    /// The game directory to write.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// Round 1: fresh public nonces for every pre-signed input.
    Nonces,
    /// Round 2: partial signatures over everyone's nonces (with checksigadd, signatures).
    Partial,
}

/// Pre-sign every n-of-n input of the graph: all signers at once (local testing), or one
/// signer's round with only its own key, then `--aggregate`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm challenge sign game                                  # every signer in this process (tests)\n  zkm challenge sign game --signer 0 --round nonces --key me.json\n  zkm challenge sign game --signer 0 --round partial --key me.json\n  zkm challenge sign game --aggregate"
)]
pub struct SignArgs {
    /// The game directory.
    pub dir: PathBuf,
    /// Switch the n-of-n scheme (rebuilds the graph: txids change).
    #[arg(long, value_enum, conflicts_with_all = ["signer", "aggregate"])]
    pub n_of_n: Option<Mode>,
    /// Sign as this one signer (its index in graph.json's signers), with --round.
    #[arg(long, value_name = "I", requires = "round")]
    pub signer: Option<usize>,
    /// Which round this signer runs.
    #[arg(long, value_enum, requires = "signer")]
    pub round: Option<Round>,
    /// The signer's own key file [default: DIR/secrets/signer-I.json].
    #[arg(long, value_name = "FILE", requires = "signer")]
    pub key: Option<PathBuf>,
    /// Aggregate every signer's round files into the graph's signatures.
    #[arg(long, conflicts_with = "signer")]
    pub aggregate: bool,
}

/// Make the operator's one claim on a signed graph: evaluate, commit, write the kickoff.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm challenge claim game --input 0123456789abcdef\n  zkm challenge claim game --input 0123456789abcdef --lie 100     # a dishonest operator, for audits"
)]
pub struct ClaimArgs {
    /// The game directory (signed).
    pub dir: PathBuf,
    /// One hex value per input left to the claim (`_` at setup), in order.
    #[arg(long = "input", value_name = "HEX")]
    pub inputs: Vec<String>,
    /// Play a dishonest operator: flip gate GATE's output, or compute as if claimed input
    /// bit B were flipped (`input:B`).
    #[arg(long, value_name = "GATE|input:B")]
    pub lie: Option<String>,
}

/// Play one branch of the game on a local chain.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Scenarios: honest, fraud, no-assert, stall:I, late-challenge, unclosed-window, early-payout, equivocate, unchallenged, refund, fee-bump, tamper.\nEvery scenario but refund plays the claim `zkm challenge claim` made; fraud needs a claim made with --lie.\nThe exit code is 0 when the game ends as the protocol intends, 105 otherwise."
)]
pub struct SimulateArgs {
    /// The game directory (signed).
    pub dir: PathBuf,
    /// Which branch to play.
    #[arg(long, default_value = "honest", value_name = "S")]
    pub scenario: String,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// The challenger's coin, paying to its regtest address in graph.json (for a regtest
    /// replay); a synthetic coin otherwise.
    #[arg(long, value_name = "TXID:VOUT:SATS")]
    pub challenger_coin: Option<String>,
}

/// Report leaves, tree depth, script and witness sizes, worst-case weights, standardness.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// The game directory.
    pub dir: PathBuf,
}

pub fn run(ctx: Ctx, args: Args) -> anyhow::Result<i32> {
    match args.command {
        Sub::Setup(a) => setup(ctx, a),
        Sub::Sign(a) => sign(ctx, a),
        Sub::Claim(a) => claim(ctx, a),
        Sub::Simulate(a) => simulate(ctx, a),
        Sub::Inspect(a) => inspect(ctx, a),
    }
}

fn load_circuit(spec: &str) -> Result<Circuit, OcpError> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        return builder::builtin(name).ok_or_else(|| {
            OcpError::Usage(format!(
                "unknown builtin circuit `{name}`; use one of: {}",
                builder::BUILTIN_HELP
            ))
        });
    }
    let text = std::fs::read_to_string(spec).map_err(|source| match source.kind() {
        std::io::ErrorKind::InvalidData => OcpError::Data(format!(
            "{spec} is not text: give a Bristol Fashion file or builtin:NAME"
        )),
        _ => OcpError::Missing {
            path: spec.to_string(),
            source,
            hint: "give a Bristol Fashion file or builtin:NAME".into(),
        },
    })?;
    Ok(Circuit::parse(&text)?)
}

fn outpoint_arg(flag: &str, v: &Option<String>) -> Result<Option<bitcoin::OutPoint>, OcpError> {
    v.as_deref()
        .map(|f| {
            f.parse::<bitcoin::OutPoint>()
                .map_err(|e| OcpError::Data(format!("{flag} {f}: {e}; give TXID:VOUT")))
        })
        .transpose()
}

fn setup(ctx: Ctx, a: SetupArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let circuit =
        load_circuit(&a.circuit).with_context(|| format!("loading circuit {}", a.circuit))?;
    let keys = match (&a.seed, &a.keys) {
        (_, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| OcpError::Missing {
                path: path.display().to_string(),
                source,
                hint: "give a keys JSON file (see docs/ocp.md) or --seed HEX".into(),
            })?;
            let k = Keys::from_json(&text)
                .with_context(|| format!("reading keys {}", path.display()))?;
            if let Some(n) = a.signers.filter(|&n| n != k.signers.len()) {
                return Err(OcpError::Usage(format!(
                    "--signers {n} but {} has {} signer keys",
                    path.display(),
                    k.signers.len()
                ))
                .into());
            }
            k
        }
        (Some(seed), None) => Keys::from_seed(Keys::parse_seed(seed)?, a.signers.unwrap_or(3)),
        (None, None) => Keys::random(a.signers.unwrap_or(3)),
    };
    if keys.signers.is_empty() || keys.signers.len() > MAX_SIGNERS {
        return Err(OcpError::Usage(format!("--signers must be 1 to {MAX_SIGNERS}")).into());
    }
    let stake = a.stake.unwrap_or(a.amount / 10);
    let params = Params {
        circuit: a.circuit.clone(),
        inputs: a.inputs.clone(),
        signers: keys.signers.len(),
        amount: a.amount,
        stake,
        reward: a.reward.unwrap_or(stake / 10),
        fee_rate: a.fee_rate,
        challenge_period: a.challenge_period,
        refund_after: a
            .refund_after
            .unwrap_or_else(|| (4 * a.challenge_period as u32).clamp(4320, u16::MAX as u32) as u16),
        challenge_fee: a.challenge_fee.unwrap_or(0),
        n_of_n: a.n_of_n.into(),
        funding: outpoint_arg("--funding", &a.funding)?,
        stake_coin: outpoint_arg("--stake-coin", &a.stake_coin)?,
    };
    let spinner = ctx.spinner("building the transaction graph");
    let g = store::new_setup(params, circuit, &keys, a.challenge_fee.is_none());
    spinner.finish_and_clear();
    let g = g?;
    store::write_setup(&a.output, &g, &keys)?;
    let p = &g.setup.params;
    let summary = json!({
        "dir": a.output,
        "graph_id": hex::encode(g.id),
        "claimed_input_bits": g.claimed_inputs().len(),
        "transactions": g.txs.len(),
        "assert_transactions": g.assert_count(),
        "disprove_connector_leaves": g.leaf_count(),
        "disprove_connector_depth": g.final_tree.depth(),
        "funding": {"outpoint": g.funding.0.to_string(), "amount": g.funding.1.value.to_sat()},
        "stake": {"outpoint": g.stake_coin.0.to_string(), "amount": p.stake},
        "reward": p.reward,
        "challenge_fee": p.challenge_fee,
        "seconds": started.elapsed().as_secs_f64(),
    });
    if ctx.json {
        ctx.print_json(&summary)?;
    }
    ctx.info(format!(
        "set up {} in {}: {} gates, {} input bits left to the claim\n{} transactions ({} Assert), disprove connector of {} leaves (depth {}), in {:.1}s\nstake {} sats, disprove reward {}, challenge fee {} (the Asserts cost {})\nnext: zkm challenge sign {}",
        p.circuit,
        a.output.display(),
        g.setup.circuit.gates.len(),
        g.claimed_inputs().len(),
        g.txs.len(),
        g.assert_count(),
        g.leaf_count(),
        g.final_tree.depth(),
        started.elapsed().as_secs_f64(),
        p.stake,
        p.reward,
        p.challenge_fee,
        g.assert_cost(),
        a.output.display()
    ));
    super::OK
}

fn load(dir: &Path) -> anyhow::Result<Graph> {
    store::load(dir).with_context(|| format!("loading the game in {}", dir.display()))
}

fn sign(ctx: Ctx, a: SignArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let mut g = load(&a.dir)?;
    if let (Some(i), Some(round)) = (a.signer, a.round) {
        return sign_round(ctx, &g, &a.dir, i, round, a.key.as_deref());
    }
    if a.aggregate {
        let nonces = store::load_nonce_rounds(&a.dir, &g)?;
        let partials = store::load_partial_rounds(&a.dir, &g)?;
        let sigs = signing::aggregate(&g, &nonces, &partials)?;
        store::write_signed(&a.dir, &g, &sigs)?;
        if ctx.json {
            ctx.print_json(&json!({"inputs_signed": sigs.sessions, "mode": g.setup.params.n_of_n, "aggregated_from": partials.len()}))?;
        }
        ctx.info(format!(
            "aggregated {} signers' rounds into {} signatures, each checked; PSBTs updated in {}\nnext: zkm challenge claim {} --input HEX…",
            partials.len(),
            sigs.sessions,
            a.dir.join("psbt").display(),
            a.dir.display()
        ));
        return super::OK;
    }
    let keys = store::load_keys(&a.dir)?;
    if let Some(mode) = a.n_of_n {
        let before = g.setup.params.n_of_n;
        g = store::with_mode(g, mode.into(), &keys)?;
        if g.setup.params.n_of_n != before {
            store::write_setup(&a.dir, &g, &keys)?;
            ctx.info(format!(
                "switched the n-of-n to {:?}: the graph was rebuilt, its id, commitments and txids changed (challenge fee {} sats)",
                g.setup.params.n_of_n, g.setup.params.challenge_fee
            ));
        }
    }
    let pb = ctx.spinner("signing");
    let sigs = signing::sign_graph(&g, &keys, |done, total| {
        pb.set_message(format!("signing input {done}/{total}"))
    });
    pb.finish_and_clear();
    let sigs = sigs?;
    store::write_signed(&a.dir, &g, &sigs)?;
    if ctx.json {
        ctx.print_json(&json!({"inputs_signed": sigs.sessions, "mode": g.setup.params.n_of_n, "seconds": started.elapsed().as_secs_f64()}))?;
    }
    ctx.info(format!(
        "signed {} n-of-n inputs of {} transactions ({}, {} signers) in {:.1}s; PSBTs updated in {}\nnext: zkm challenge claim {} --input HEX…",
        sigs.sessions,
        g.txs.len(),
        match g.setup.params.n_of_n {
            NofNMode::Musig2 => "MuSig2, two nonce rounds with fresh nonces per input",
            NofNMode::Checksigadd => "CHECKSIGADD, each signer signs alone",
        },
        g.setup.params.signers,
        started.elapsed().as_secs_f64(),
        a.dir.join("psbt").display(),
        a.dir.display()
    ));
    super::OK
}

/// One signer's round, with only its own key. Before its first round a signer checks
/// the graph it is asked to sign; the checks are printed, and any failure refuses.
fn sign_round(
    ctx: Ctx,
    g: &Graph,
    dir: &Path,
    i: usize,
    round: Round,
    key: Option<&Path>,
) -> anyhow::Result<i32> {
    let path = key
        .map(Path::to_path_buf)
        .unwrap_or_else(|| store::signer_key_path(dir, i));
    let (index, secret, seed) = store::load_signer_key(&path)?;
    if index != i {
        return Err(OcpError::Usage(format!(
            "--signer {i} but {} is signer {index}'s key",
            path.display()
        ))
        .into());
    }
    let audit = g.audit();
    for (what, ok) in &audit {
        ctx.detail(format!("  [{}] {what}", if *ok { "ok" } else { "FAILED" }));
    }
    if let Some((what, _)) = audit.iter().find(|(_, ok)| !ok) {
        return Err(OcpError::Data(format!(
            "refusing to sign: the graph fails a signer's check: {what}"
        ))
        .into());
    }
    let written = match round {
        Round::Nonces => {
            let (public, secrets) = signing::round_nonces(g, i, &secret, seed)?;
            store::write_nonces(dir, &path, &public, &secrets)?
        }
        Round::Partial => {
            let nonces = if g.setup.params.n_of_n == NofNMode::Musig2 {
                store::load_nonce_rounds(dir, g)?
            } else {
                vec![]
            };
            let secrets = store::take_secret_nonces(&path)?;
            let r = signing::round_partial(g, i, &secret, secrets, &nonces)?;
            store::write_partial(dir, &r)?
        }
    };
    if ctx.json {
        ctx.print_json(&json!({"signer": i, "round": format!("{round:?}").to_lowercase(), "wrote": written, "checks": audit.iter().map(|(w, ok)| json!({"check": w, "ok": ok})).collect::<Vec<_>>()}))?;
    }
    ctx.info(format!(
        "signer {i}: checked the graph ({} checks, -v lists them) and wrote {}{}",
        audit.len(),
        written.display(),
        match round {
            Round::Nonces => "\nnext: share it; when every signer has, run --round partial",
            Round::Partial => "\nyour secret nonces are deleted; once every signer's partial round is in, anyone runs --aggregate.\nthen delete your key: as long as one signer does, the deposit can only move along this graph",
        }
    ));
    super::OK
}

fn claim(ctx: Ctx, a: ClaimArgs) -> anyhow::Result<i32> {
    let g = load(&a.dir)?;
    let keys = store::load_keys(&a.dir)?;
    let sigs = store::load_signatures(&g, &a.dir)?;
    let lie: Option<Lie> = a.lie.as_deref().map(str::parse).transpose()?;
    let claim = Claim::make(&g, &a.inputs, lie)?;
    let kickoff = zkm::ocp::game::signed_kickoff(&g, &keys, &sigs, &claim)?;
    store::write_claim(&a.dir, &g, &claim, &kickoff)?;
    let truth = claim.true_outputs(&g);
    if ctx.json {
        ctx.print_json(&json!({
            "inputs": claim.inputs,
            "outputs": claim.outputs,
            "true_outputs": truth,
            "lie": claim.lie.map(|l| l.to_string()),
            "kickoff": {"txid": kickoff.compute_txid().to_string(), "weight": kickoff.weight().to_wu(), "version": kickoff.version.0},
        }))?;
    }
    ctx.info(format!(
        "claimed outputs {} for inputs {}{}\nkickoff {} ({} WU) written to {}\nnext: zkm challenge simulate {} --scenario {}",
        claim.outputs.join(","),
        if claim.inputs.is_empty() { "(none: every input is a constant)".to_string() } else { claim.inputs.join(",") },
        match claim.lie {
            Some(l) => format!(" (a lie: --lie {l}; the circuit gives {})", truth.join(",")),
            None => String::new(),
        },
        kickoff.compute_txid(),
        kickoff.weight().to_wu(),
        a.dir.join("raw/kickoff.hex").display(),
        a.dir.display(),
        if claim.lie.is_some() { "fraud" } else { "honest" }
    ));
    super::OK
}

fn print_table(ctx: &Ctx, r: &Report) {
    if ctx.quiet {
        return;
    }
    eprintln!(
        "{:<56} {:<24} {:>2} {:>7} {:>6} {:>7}  result",
        "step", "transaction", "v", "weight", "vsize", "fee"
    );
    for s in &r.steps {
        let step: String = s.step.chars().take(56).collect();
        let result: String = s.result.chars().take(90).collect();
        eprintln!(
            "{:<56} {:<24} {:>2} {:>7} {:>6} {:>7}  {}{}",
            step,
            s.tx,
            s.version,
            s.weight,
            s.vsize,
            s.fee,
            if s.as_intended { "" } else { "UNEXPECTED " },
            result
        );
    }
    if let Some(c) = &r.claim {
        eprintln!(
            "claim: outputs {} for inputs {} (the circuit gives {}){}",
            c.outputs.join(","),
            c.inputs.join(","),
            c.true_outputs.join(","),
            c.lie
                .as_ref()
                .map(|l| format!(", a lie at {l}"))
                .unwrap_or_default()
        );
    }
    if let Some(s) = &r.first_inconsistent_step {
        eprintln!("first inconsistent step: {s}");
    }
    if r.disprove_attempts > 0 {
        eprintln!(
            "disprove attempts: {} ({}), all refused by libbitcoinconsensus",
            r.disprove_attempts, r.disprove_leaves_tried
        );
    }
    let holdings: Vec<String> = r
        .holdings
        .iter()
        .map(|(k, v)| format!("{k} {v} sats"))
        .collect();
    eprintln!(
        "inputs verified by libbitcoinconsensus 26.0 (taproot flags): {}",
        r.inputs_verified
    );
    eprintln!("at block {}: {}", r.block_height, holdings.join(", "));
    eprintln!(
        "the deposit went to: {} (expected {:?}); {} in {:.2}s",
        r.winner
            .map(|w| format!("{w:?}"))
            .unwrap_or_else(|| "nobody yet".into()),
        r.expected_winner,
        if r.ok {
            "the game ended as the protocol intends"
        } else {
            "THE GAME DID NOT END AS INTENDED"
        },
        r.seconds
    );
    for f in &r.failures {
        eprintln!("  failure: {f}");
    }
}

fn simulate(ctx: Ctx, a: SimulateArgs) -> anyhow::Result<i32> {
    let scenario: Scenario = a.scenario.parse()?;
    let g = load(&a.dir)?;
    let keys = store::load_keys(&a.dir)?;
    let sigs = store::load_signatures(&g, &a.dir)?;
    let claim = store::load_claim(&g, &a.dir)?;
    let mut opts = zkm::ocp::game::Options::default();
    if let Some(c) = &a.challenger_coin {
        let bad = || OcpError::Data(format!("--challenger-coin {c}: give TXID:VOUT:SATS"));
        let (op, sats) = c.rsplit_once(':').ok_or_else(bad)?;
        opts.challenger_coin = Some((
            op.parse().map_err(|_| bad())?,
            sats.parse().map_err(|_| bad())?,
        ));
    }
    let pb = ctx.spinner(format!("playing {scenario}"));
    let report = zkm::ocp::game::simulate(&g, &keys, &sigs, claim.as_ref(), scenario, &opts);
    pb.finish_and_clear();
    let report = report?;
    let raw = store::write_raw(&a.dir, &report)?;
    if let Some(path) = &a.report {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    if ctx.json {
        ctx.print_json(&report)?;
    }
    print_table(&ctx, &report);
    ctx.detail(format!("signed transactions as hex: {}", raw.display()));
    if !report.ok {
        return Err(OcpError::Game(format!(
            "{scenario}: the game did not end as the protocol intends: {}",
            report.failures.join("; ")
        ))
        .into());
    }
    super::OK
}

fn inspect(ctx: Ctx, a: InspectArgs) -> anyhow::Result<i32> {
    let g = load(&a.dir)?;
    let pb = ctx.spinner("measuring every leaf");
    // Leaves of the disprove connector: sizes, and the OP_SUCCESS lint.
    let mut kinds: std::collections::BTreeMap<&str, (usize, usize, usize, usize)> =
        Default::default();
    let mut lint = Vec::new();
    for l in 0..g.leaf_count() {
        let script = g.leaf_script(l);
        let kind = g.leaf_kind(l);
        let (name, witness) = match kind {
            LeafKind::Payout => ("payout", 66 * g.nofn.signatures()),
            LeafKind::Disprove(s) => ("disprove", 21 * g.step_wires(s).len()),
            LeafKind::Equivocation(_) => ("equivocation", 42),
        };
        let e = kinds.entry(name).or_insert((0, 0, usize::MAX, 0));
        e.0 += 1;
        e.1 = e.1.max(script.len());
        e.2 = e.2.min(script.len());
        e.3 = e.3.max(witness);
        for w in policy::lint_script(&script) {
            lint.push(format!("leaf {l} ({kind}): {w}"));
        }
    }
    let disprove = g.get("disprove")?;
    let (worst, _) = g.completed_disprove(disprove, g.heaviest_leaf, 0);
    pb.finish_and_clear();
    let mut txs = Vec::new();
    for t in &g.txs {
        let (weighed, prevouts) = match t.name.as_str() {
            "challenge" => g.completed_challenge(&t.tx, &t.spends[0], &t.prevouts[0]),
            "disprove" => (worst.clone(), t.prevouts.clone()),
            _ => (t.weighed(&g.nofn), t.prevouts.clone()),
        };
        let why = policy::check_tx(&weighed, &prevouts);
        txs.push(json!({"name": t.name, "version": t.tx.version.0, "weight": t.weight.to_wu(), "vsize": t.weight.to_vbytes_ceil(), "fee": t.fee, "inputs": t.tx.input.len(), "outputs": t.tx.output.len(), "standard": why.is_empty(), "why": why, "completed_by": t.completion}));
    }
    let leaf_json: Vec<_> = kinds
        .iter()
        .map(|(k, (n, max, min, wit))| json!({"kind": k, "count": n, "script_bytes_min": min, "script_bytes_max": max, "witness_bytes_max": wit}))
        .collect();
    let asserts: Vec<&zkm::ocp::graph::GraphTx> = g
        .txs
        .iter()
        .filter(|t| t.name.starts_with("assert-"))
        .collect();
    let assert_total: u64 = asserts.iter().map(|t| t.weight.to_wu()).sum();
    let size_checks = g.committed.len() as u64 * zkm::ocp::script::SIZE_CHECK_BYTES as u64;
    let info = json!({
        "circuit": g.setup.params.circuit,
        "gates": g.setup.circuit.gates.len(),
        "committed_wires": g.committed.len(),
        "claimed_wires": g.claim_batches.iter().map(Vec::len).sum::<usize>(),
        "n_of_n": g.setup.params.n_of_n,
        "disprove_connector": {"leaves": g.leaf_count(), "depth": g.final_tree.depth(), "control_block_bytes_max": 33 + 32 * g.final_tree.depth()},
        "leaves": leaf_json,
        "worst_disprove": {"leaf": g.heaviest_leaf, "what": g.leaf_kind(g.heaviest_leaf).to_string(), "weight": worst.weight().to_wu(), "vsize": worst.weight().to_vbytes_ceil()},
        "assert": {"transactions": g.assert_count(), "total_weight": assert_total, "max_weight": asserts.iter().map(|t| t.weight.to_wu()).max()},
        "opening_length_checks_weight": size_checks,
        "incentives": {"stake": g.setup.params.stake, "reward": g.setup.params.reward, "challenge_fee": g.setup.params.challenge_fee, "assert_cost": g.assert_cost()},
        "transactions": txs,
        "op_success": lint,
    });
    if ctx.json {
        return ctx.print_json(&info).map(|_| 0);
    }
    println!(
        "circuit        {} ({} gates, {} committed wires, {} of them claimed in the kickoff)",
        g.setup.params.circuit,
        g.setup.circuit.gates.len(),
        g.committed.len(),
        g.claim_batches.iter().map(Vec::len).sum::<usize>()
    );
    println!(
        "n-of-n         {:?}, {} signers",
        g.setup.params.n_of_n, g.setup.params.signers
    );
    println!(
        "incentives     stake {} sats, disprove reward {}, challenge fee {} (the Asserts cost {})",
        g.setup.params.stake,
        g.setup.params.reward,
        g.setup.params.challenge_fee,
        g.assert_cost()
    );
    println!(
        "disprove connector {} leaves, depth {}, control block up to {} bytes",
        g.leaf_count(),
        g.final_tree.depth(),
        33 + 32 * g.final_tree.depth()
    );
    for (k, (n, max, min, wit)) in &kinds {
        println!("  {k:<13} {n:>7} leaves, script {min}-{max} bytes, witness up to {wit} bytes");
    }
    println!(
        "worst disprove: {} ({} WU, {} vB)",
        g.leaf_kind(g.heaviest_leaf),
        worst.weight().to_wu(),
        worst.weight().to_vbytes_ceil()
    );
    println!(
        "assert         {} transactions, {} WU in all ({} WU of it checks that each opening is 20 bytes)",
        g.assert_count(),
        assert_total,
        size_checks
    );
    println!(
        "{:<22} {:>2} {:>7} {:>7} {:>8} {:>4} {:>4}  standard",
        "transaction", "v", "weight", "vsize", "fee", "in", "out"
    );
    for t in &txs {
        let why: Vec<String> = t["why"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str().map(String::from))
            .collect();
        println!(
            "{:<22} {:>2} {:>7} {:>7} {:>8} {:>4} {:>4}  {}",
            t["name"].as_str().unwrap_or(""),
            t["version"].as_i64().unwrap_or(0),
            t["weight"].as_u64().unwrap_or(0),
            t["vsize"].as_u64().unwrap_or(0),
            t["fee"].as_u64().unwrap_or(0),
            t["inputs"].as_u64().unwrap_or(0),
            t["outputs"].as_u64().unwrap_or(0),
            if why.is_empty() {
                "yes".to_string()
            } else {
                format!("NO: {}", why.join("; "))
            }
        );
    }
    if lint.is_empty() {
        println!("OP_SUCCESS lint: no leaf has an OP_SUCCESS opcode");
    } else {
        println!(
            "OP_SUCCESS lint: {} leaves are anyone-can-spend:",
            lint.len()
        );
        for l in &lint {
            println!("  {l}");
        }
    }
    super::OK
}
