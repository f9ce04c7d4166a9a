use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use zkm::ocp::bristol::Circuit;
use zkm::ocp::game::{Report, Scenario};
use zkm::ocp::graph::{Graph, LeafKind, NofNMode, Params, MAX_SIGNERS};
use zkm::ocp::keys::Keys;
use zkm::ocp::{builder, policy, store, OcpError};

use super::Ctx;

/// Play the Optimistic Challenge Process for a boolean circuit on a local Bitcoin chain.
///
/// `setup` evaluates the circuit and builds the pre-signed transaction graph, `sign` runs
/// the n-of-n signing, `simulate` plays a branch of the game with every input checked by
/// Bitcoin Core 26.0's script interpreter, `inspect` reports sizes and standardness.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm challenge setup --circuit builtin:adder64 --input 0123456789abcdef --input 1111111111111111 --seed 01 -o game\n  zkm challenge sign game\n  zkm challenge simulate game --scenario fraud:100 --report fraud.json\n  zkm challenge inspect game"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    Setup(SetupArgs),
    Sign(SignArgs),
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

/// Evaluate a circuit and build the unsigned transaction graph of its claim.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm challenge setup --circuit ../shared/circuits/sha256.txt --input 6162…18 --input 6a09…cd19 --seed 01 -o sha\n  zkm challenge setup --circuit builtin:multiplier8 --input 0f --input 11 --signers 5 --keys keys.json -o mul"
)]
pub struct SetupArgs {
    /// A Bristol Fashion file, or builtin:NAME (adderN, comparatorN, multiplierN, sha256).
    #[arg(long, value_name = "FILE.txt|builtin:NAME")]
    pub circuit: String,
    /// One public input value per circuit input, hex, big-endian (bit 0 on the first wire).
    #[arg(long = "input", value_name = "HEX")]
    pub inputs: Vec<String>,
    /// Number of n-of-n signers [default: 3, or as many as --keys has].
    #[arg(long, value_name = "N")]
    pub signers: Option<usize>,
    /// Value of the deposit, in sats.
    #[arg(long, default_value_t = 100_000_000, value_name = "SATS")]
    pub amount: u64,
    /// Fee rate of every transaction, in sat/vB.
    #[arg(long, default_value_t = 1, value_name = "SAT/VB")]
    pub fee_rate: u64,
    /// Blocks to challenge, per Assert step, and to disprove.
    #[arg(long, default_value_t = 6, value_name = "BLOCKS")]
    pub challenge_period: u16,
    /// What the challenger pays the operator to challenge, in sats.
    #[arg(long, default_value_t = 10_000, value_name = "SATS")]
    pub challenge_fee: u64,
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
    /// The game directory to write.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

/// Pre-sign every n-of-n input of the graph with the local signers.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The game directory.
    pub dir: PathBuf,
    /// Switch the n-of-n scheme (rebuilds the graph: txids change).
    #[arg(long, value_enum)]
    pub n_of_n: Option<Mode>,
}

/// Play one branch of the game on a local chain.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Scenarios: honest, fraud, fraud:GATE, no-assert, stall:I, early-payout, equivocate, unchallenged, tamper.\nThe exit code is 0 when the game ends as the protocol intends, 105 otherwise."
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
    let input_bits = circuit.input_bits_from_hex(&a.inputs)?;
    let wires = circuit.evaluate(&input_bits);
    let funding = a
        .funding
        .as_deref()
        .map(|f| {
            f.parse::<bitcoin::OutPoint>()
                .map_err(|e| OcpError::Data(format!("--funding {f}: {e}; give TXID:VOUT")))
        })
        .transpose()?;
    let params = Params {
        circuit: a.circuit.clone(),
        inputs: a.inputs.clone(),
        claimed_outputs: circuit.outputs_hex(&wires),
        signers: keys.signers.len(),
        amount: a.amount,
        fee_rate: a.fee_rate,
        challenge_period: a.challenge_period,
        challenge_fee: a.challenge_fee,
        n_of_n: a.n_of_n.into(),
        funding,
    };
    let spinner = ctx.spinner("building the transaction graph");
    let g = store::new_setup(params, circuit, &keys);
    spinner.finish_and_clear();
    let g = g?;
    store::write_setup(&a.output, &g, &keys)?;
    let summary = json!({
        "dir": a.output,
        "claimed_outputs": g.setup.params.claimed_outputs,
        "transactions": g.txs.len(),
        "assert_transactions": g.assert_count(),
        "final_taptree_leaves": g.leaf_count(),
        "final_taptree_depth": g.final_tree.depth(),
        "funding": {"outpoint": g.funding.0.to_string(), "amount": g.funding.1.value.to_sat()},
        "seconds": started.elapsed().as_secs_f64(),
    });
    if ctx.json {
        ctx.print_json(&summary)?;
    }
    ctx.info(format!(
        "set up {} in {}: {} gates, claim {}\n{} transactions ({} Assert), final TapTree of {} leaves (depth {}), in {:.1}s\nnext: zkm challenge sign {}",
        g.setup.params.circuit,
        a.output.display(),
        g.setup.circuit.gates.len(),
        g.setup.params.claimed_outputs.join(","),
        g.txs.len(),
        g.assert_count(),
        g.leaf_count(),
        g.final_tree.depth(),
        started.elapsed().as_secs_f64(),
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
    let keys = store::load_keys(&a.dir)?;
    if let Some(mode) = a.n_of_n {
        let before = g.setup.params.n_of_n;
        g = store::with_mode(g, mode.into())?;
        if g.setup.params.n_of_n != before {
            store::write_graph(&a.dir, &g)?;
            ctx.info(format!(
                "switched the n-of-n to {:?}: the graph was rebuilt and its txids changed",
                g.setup.params.n_of_n
            ));
        }
    }
    let pb = ctx.spinner("signing");
    let sigs = zkm::ocp::sign::sign_graph(&g, &keys, |done, total| {
        pb.set_message(format!("signing input {done}/{total}"))
    });
    pb.finish_and_clear();
    let sigs = sigs?;
    store::write_signed(&a.dir, &g, &sigs)?;
    if ctx.json {
        ctx.print_json(&json!({"inputs_signed": sigs.sessions, "mode": g.setup.params.n_of_n, "seconds": started.elapsed().as_secs_f64()}))?;
    }
    ctx.info(format!(
        "signed {} n-of-n inputs of {} transactions ({}, {} signers) in {:.1}s; PSBTs updated in {}",
        sigs.sessions,
        g.txs.len(),
        match g.setup.params.n_of_n {
            NofNMode::Musig2 => "MuSig2, two nonce rounds with fresh nonces per input",
            NofNMode::Checksigadd => "CHECKSIGADD, each signer signs alone",
        },
        g.setup.params.signers,
        started.elapsed().as_secs_f64(),
        a.dir.join("psbt").display()
    ));
    super::OK
}

fn print_table(ctx: &Ctx, r: &Report) {
    if ctx.quiet {
        return;
    }
    eprintln!(
        "{:<52} {:<22} {:>7} {:>6} {:>6}  result",
        "step", "transaction", "weight", "vsize", "fee"
    );
    for s in &r.steps {
        let step: String = s.step.chars().take(52).collect();
        let result: String = s.result.chars().take(90).collect();
        eprintln!(
            "{:<52} {:<22} {:>7} {:>6} {:>6}  {}{}",
            step,
            s.tx,
            s.weight,
            s.vsize,
            s.fee,
            if s.as_intended { "" } else { "UNEXPECTED " },
            result
        );
    }
    if !r.fraud_games.is_empty() {
        let won = r.fraud_games.iter().filter(|f| f.ok).count();
        eprintln!("fraud games: {} played (a lie at each gate in turn or a sample), the challenger won {won}", r.fraud_games.len());
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
        "winner: {} (expected {:?}); {} in {:.2}s",
        r.winner
            .map(|w| format!("{w:?}"))
            .unwrap_or_else(|| "nobody".into()),
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
    let report = zkm::ocp::game::simulate(&g, &keys, &sigs, scenario, &opts);
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
    // Leaves of the final tree: sizes, and the OP_SUCCESS lint.
    let mut kinds: std::collections::BTreeMap<&str, (usize, usize, usize, usize)> =
        Default::default();
    let mut worst = (0usize, 0usize);
    let mut lint = Vec::new();
    for l in 0..g.leaf_count() {
        let script = g.leaf_script(l);
        let kind = g.leaf_kind(l);
        let (name, witness) = match kind {
            LeafKind::Payout => ("payout", 66 * g.nofn.signatures()),
            LeafKind::Disprove(s) => ("disprove", 65 + 21 * g.step_wires(s).len()),
            LeafKind::Equivocation(_) => ("equivocation", 65 + 42),
        };
        let e = kinds.entry(name).or_insert((0, 0, usize::MAX, 0));
        e.0 += 1;
        e.1 = e.1.max(script.len());
        e.2 = e.2.min(script.len());
        e.3 = e.3.max(witness);
        if l > 0 && script.len() + witness > worst.1 {
            worst = (l, script.len() + witness);
        }
        for w in policy::lint_script(&script) {
            lint.push(format!("leaf {l} ({kind}): {w}"));
        }
    }
    let worst_tx = g.leaf_spend_tx(worst.0)?;
    pb.finish_and_clear();
    let mut txs = Vec::new();
    for t in &g.txs {
        let weighed = t.weighed(&g.nofn);
        let mut why = policy::check_tx(&weighed, &t.prevouts);
        if t.name == "challenge" {
            why.retain(|w| !w.contains("in-belowout") && !w.contains("min relay"));
        }
        txs.push(json!({"name": t.name, "weight": t.weight.to_wu(), "vsize": t.weight.to_vbytes_ceil(), "fee": t.fee, "inputs": t.tx.input.len(), "outputs": t.tx.output.len(), "standard": why.is_empty(), "why": why}));
    }
    let leaf_json: Vec<_> = kinds
        .iter()
        .map(|(k, (n, max, min, wit))| json!({"kind": k, "count": n, "script_bytes_min": min, "script_bytes_max": max, "witness_bytes_max": wit}))
        .collect();
    let assert_total: u64 = g
        .txs
        .iter()
        .filter(|t| t.name.starts_with("assert-"))
        .map(|t| t.weight.to_wu())
        .sum();
    let info = json!({
        "circuit": g.setup.params.circuit,
        "gates": g.setup.circuit.gates.len(),
        "committed_wires": g.setup.commitments.len(),
        "n_of_n": g.setup.params.n_of_n,
        "final_taptree": {"leaves": g.leaf_count(), "depth": g.final_tree.depth(), "control_block_bytes_max": 33 + 32 * g.final_tree.depth()},
        "leaves": leaf_json,
        "worst_leaf_spend": {"leaf": worst.0, "what": g.leaf_kind(worst.0).to_string(), "weight": worst_tx.weight.to_wu(), "vsize": worst_tx.weight.to_vbytes_ceil()},
        "assert": {"transactions": g.assert_count(), "total_weight": assert_total, "max_weight": g.txs.iter().filter(|t| t.name.starts_with("assert-")).map(|t| t.weight.to_wu()).max()},
        "transactions": txs,
        "op_success": lint,
    });
    if ctx.json {
        return ctx.print_json(&info).map(|_| 0);
    }
    println!(
        "circuit        {} ({} gates, {} committed wires)",
        g.setup.params.circuit,
        g.setup.circuit.gates.len(),
        g.setup.commitments.len()
    );
    println!(
        "n-of-n         {:?}, {} signers",
        g.setup.params.n_of_n, g.setup.params.signers
    );
    println!(
        "final TapTree  {} leaves, depth {}, control block up to {} bytes",
        g.leaf_count(),
        g.final_tree.depth(),
        33 + 32 * g.final_tree.depth()
    );
    for (k, (n, max, min, wit)) in &kinds {
        println!("  {k:<13} {n:>7} leaves, script {min}-{max} bytes, witness up to {wit} bytes");
    }
    println!(
        "worst leaf spend: {} ({} WU, {} vB)",
        g.leaf_kind(worst.0),
        worst_tx.weight.to_wu(),
        worst_tx.weight.to_vbytes_ceil()
    );
    println!(
        "assert         {} transactions, {} WU in all",
        g.assert_count(),
        assert_total
    );
    println!(
        "{:<22} {:>7} {:>7} {:>8} {:>4} {:>4}  standard",
        "transaction", "weight", "vsize", "fee", "in", "out"
    );
    for t in &txs {
        let why: Vec<String> = t["why"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str().map(String::from))
            .collect();
        println!(
            "{:<22} {:>7} {:>7} {:>8} {:>4} {:>4}  {}",
            t["name"].as_str().unwrap_or(""),
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
    println!(
        "OP_SUCCESS lint: {}",
        if lint.is_empty() {
            "no leaf has an OP_SUCCESS opcode".to_string()
        } else {
            lint.join("\n  ")
        }
    );
    super::OK
}
