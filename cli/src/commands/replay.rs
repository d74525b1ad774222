//! `kalshi-bot replay`: a journal fed back through the engine.
//!
//! - `replay --journal DIR --verify` rebuilds the engine from the journal's configuration,
//!   replays every input in seq order and compares every output byte for byte with the
//!   journaled one. It prints the records replayed and the output digest, and on mismatch the
//!   first divergent input seq with the expected and actual output. Exit 0 identical,
//!   1 divergent, 2 the journal cannot be read.
//! - `replay --journal DIR --config OTHER.toml [--report DIR]` is a what-if: the journal's
//!   market data through another configuration with simulated execution — the same machinery
//!   as `backtest --journal DIR`, writing the same report files.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use kalshi_replay::journal_source::JournalSource;
use kalshi_replay::loaders::journal_filter::{InputFilter, load_inputs};
use kalshi_replay::verify::{VerifyReport, verify};

use crate::commands::backtest::{SimulationArgs, backtest_config, missing_listings, run_one};
use crate::progress_bar::ProgressBar;

/// Exit code: every output reproduced.
const EXIT_IDENTICAL: i32 = 0;
/// Exit code: an output differs.
const EXIT_DIVERGENT: i32 = 1;
/// Exit code: the journal cannot be read.
const EXIT_UNREADABLE: i32 = 2;

/// `replay` arguments.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The run directory to replay (or `s3://bucket/prefix/RUN`; exit 7 when that is a torn
    /// upload).
    #[arg(long, value_name = "RUN")]
    pub journal: PathBuf,
    /// Verify that the engine reproduces every journaled output (exit 0 identical,
    /// 1 divergent, 2 unreadable).
    #[arg(long, conflicts_with_all = ["config", "set", "report"])]
    pub verify: bool,
    /// With --verify: print one JSON document on stdout instead of the text report.
    #[arg(long, requires = "verify")]
    pub json: bool,
    /// With --verify: re-hash every chain link of sealed segments too, instead of trusting a
    /// sealed segment whose whole-file SHA-256 matches the manifest.
    #[arg(long, requires = "verify")]
    pub paranoid: bool,
    /// Engine configuration (`--config`) and fill model of a what-if run.
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Report directory of a what-if run (default: `<journal>-whatif`).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

/// Runs `replay`.
pub fn run(mut args: ReplayArgs) -> anyhow::Result<()> {
    args.journal = match crate::remote::fetch_if_remote(&args.journal) {
        Ok(dir) => dir,
        Err(error) if error.is_torn_upload() => crate::remote::exit_torn(&error),
        Err(error) if args.verify => {
            println!("cannot read {}: {error}", args.journal.display());
            std::io::stdout().flush().ok();
            std::process::exit(EXIT_UNREADABLE);
        }
        Err(error) => return Err(error.into()),
    };
    if args.verify {
        let code = run_verify(&args);
        std::io::stdout().flush().ok();
        if code != EXIT_IDENTICAL {
            std::process::exit(code);
        }
        return Ok(());
    }
    if args.simulation.config.is_none() {
        bail!("give --verify, or --config FILE for a what-if run over the journal's market data");
    }
    what_if(&args)
}

fn run_verify(args: &ReplayArgs) -> i32 {
    let opened = if args.paranoid {
        JournalSource::open_paranoid(&args.journal)
    } else {
        JournalSource::open(&args.journal)
    };
    let mut source = match opened {
        Ok(source) => source,
        Err(error) => {
            unreadable(args, &error.to_string());
            return EXIT_UNREADABLE;
        }
    };
    if let Some(torn) = source.torn_tail() {
        let note = format!(
            "note: the run ended in a crash; {} torn byte(s) at the end of {} are ignored",
            torn.bytes_dropped,
            torn.file.display()
        );
        // With --json, stdout holds the JSON document alone.
        if args.json {
            crate::logging::note(&note);
        } else {
            println!("{note}");
        }
    }
    let progress = ProgressBar::stderr();
    let report = verify(&mut source, &progress);
    progress.finish();
    match report {
        Ok(report) => {
            if args.json {
                println!("{}", report_json(&report));
            } else {
                print!("{}", describe(&report));
            }
            if report.is_match() {
                EXIT_IDENTICAL
            } else {
                EXIT_DIVERGENT
            }
        }
        Err(error) => {
            unreadable(args, &error.to_string());
            EXIT_UNREADABLE
        }
    }
}

/// Says the journal cannot be read: a line of text, or with --json the JSON document.
fn unreadable(args: &ReplayArgs, reason: &str) {
    if args.json {
        let value = serde_json::json!({ "result": "unreadable", "reason": reason });
        println!("{value}");
    } else {
        println!("cannot read {}: {reason}", args.journal.display());
    }
}

/// The verification report as one JSON document.
fn report_json(report: &VerifyReport) -> String {
    let divergence = report.divergence.as_ref().map(|divergence| {
        serde_json::json!({
            "input_seq": divergence.input_seq,
            "kind": match divergence.kind {
                kalshi_replay::record::OutputKind::Command => "command",
                kalshi_replay::record::OutputKind::Decision => "decision",
            },
            "index": divergence.index,
            "expected": divergence.expected,
            "actual": divergence.actual,
        })
    });
    let value = serde_json::json!({
        "result": if report.is_match() { "identical" } else { "divergent" },
        "records_read": report.records_read,
        "inputs_replayed": report.inputs_replayed,
        "outputs_matched": report.outputs_matched,
        "output_digest": report.output_digest,
        "run_ended": report.run_ended,
        "divergence": divergence,
        "unjournaled_tail": report.unjournaled_tail.as_ref().map(|tail| serde_json::json!({
            "input_seq": tail.input_seq,
            "missing_outputs": tail.missing_outputs,
        })),
    });
    serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
}

/// The verification report as printed.
fn describe(report: &VerifyReport) -> String {
    let mut text = format!(
        "records read:     {}\ninputs replayed:  {}\noutputs matched:  {}\noutput digest:    {}\nrun ended:        {}\n",
        report.records_read,
        report.inputs_replayed,
        report.outputs_matched,
        report.output_digest,
        match (report.run_ended, &report.divergence) {
            (true, _) => "yes",
            (false, Some(_)) => "not reached (stopped at the divergence)",
            (false, None) => "no (crash-recovered journal)",
        }
    );
    if let Some(tail) = &report.unjournaled_tail {
        text.push_str(&format!(
            "note: input seq {} ends the journal mid-step; {} of its outputs were never \
             journaled (not a divergence)\n",
            tail.input_seq, tail.missing_outputs
        ));
    }
    match &report.divergence {
        None => text.push_str("result:           identical\n"),
        Some(divergence) => {
            let kind = match divergence.kind {
                kalshi_replay::record::OutputKind::Command => "command",
                kalshi_replay::record::OutputKind::Decision => "decision",
            };
            text.push_str(&format!(
                "result:           DIVERGENT at input seq {} ({kind} #{})\n  expected: {}\n  actual:   {}\n",
                divergence.input_seq,
                divergence.index,
                divergence.expected.as_deref().unwrap_or("(none)"),
                divergence.actual.as_deref().unwrap_or("(none)"),
            ));
        }
    }
    text
}

fn what_if(args: &ReplayArgs) -> anyhow::Result<()> {
    let mut source = JournalSource::open(&args.journal)
        .with_context(|| format!("opening journal {}", args.journal.display()))?;
    let inputs = load_inputs(&mut source, &InputFilter::default())
        .with_context(|| format!("reading journal {}", args.journal.display()))?;
    if inputs.is_empty() {
        bail!("{} holds no inputs", args.journal.display());
    }
    let mut notes = Vec::new();
    let listings = missing_listings(&inputs, &Default::default(), &mut notes);
    for note in &notes {
        crate::logging::note(&format!("note: {note}"));
    }
    let config = backtest_config(&args.simulation, &inputs, listings)?;
    let report_dir = args.report.clone().unwrap_or_else(|| {
        // Rebuilt from components so a trailing `/` does not put the report inside the journal.
        let journal: PathBuf = args.journal.components().collect();
        let mut name = journal.into_os_string();
        name.push("-whatif");
        PathBuf::from(name)
    });
    let title = format!(
        "what-if: {} with {}",
        args.journal.display(),
        args.simulation
            .config
            .as_ref()
            .map_or_else(|| "defaults".to_string(), |path| path.display().to_string())
    );
    run_one(&inputs, &config, &report_dir, &title, false)
}
