//! The end of a run: sealing and verifying its journal, and printing its summary (text, or
//! one JSON document with `--json`).

use std::path::Path;

use kalshi_core::engine::Engine;
use kalshi_replay::drift::DriftReport;

use super::super::clock::now_ns;
use super::super::run_options::RunOptions;
use super::super::sequencer::Sequencer;
use super::paper;
use super::summary::{RunSummary, summary_json, summary_text};

/// Seals the run's journal and verifies the sealed copy; the entries it holds, or `None`
/// (said on stderr) when it could not be sealed or does not verify. The write-ahead log is
/// kept whenever sealing fails.
pub(super) fn seal_and_verify(sequencer: Sequencer, journal_dir: &Path, stop: &str) -> Option<u64> {
    tracing::info!(journal = %journal_dir.display(), "sealing and verifying the journal");
    let seal_started = std::time::Instant::now();
    match sequencer.finish(now_ns(), stop) {
        Ok(manifest) => {
            let verified = kalshi_journal::verify_run(journal_dir);
            tracing::info!(
                segments = manifest.segments.len(),
                elapsed_ms = u64::try_from(seal_started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "journal sealed and verified"
            );
            match verified {
                kalshi_journal::VerifyOutcome::Clean { entries, .. } => Some(entries),
                other => {
                    tracing::error!(?other, "the sealed journal does not verify");
                    None
                }
            }
        }
        Err(error) => {
            crate::logging::error(&format!(
                "the journal in {} could not be sealed: {error:#}; its write-ahead log \
                 is kept (`kalshi-bot journal seal` retries)",
                journal_dir.display()
            ));
            None
        }
    }
}

/// Prints the run summary on stdout: the text form (marked PAPER for a paper run, with why no
/// order was placed and the drift line when there are), or one JSON document with `--json`.
pub(super) fn print_summary(
    options: &RunOptions,
    summary: &RunSummary<'_>,
    no_orders_why: Option<&str>,
    drift: Option<&DriftReport>,
) {
    if options.outside.json_summary {
        let mut json = summary_json(summary, no_orders_why);
        json["paper"] = serde_json::Value::Bool(options.paper().is_some());
        if let Some(report) = drift {
            json["drift"] = serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
        }
        println!("{json}");
        return;
    }
    match options.paper() {
        Some(fill_model) => print!(
            "{}",
            paper::paper_summary(&summary_text(summary), fill_model)
        ),
        None => print!("{}", summary_text(summary)),
    }
    if let Some(why) = no_orders_why {
        println!("  no orders       : {why}");
    }
    if let Some(report) = drift {
        println!("  {}", report.line());
    }
}

/// Why the engine is HALTED, as the journal spells it (`daily_loss_stop` …); `None` when it
/// is not.
pub(super) fn halt_reason_name(engine: &Engine) -> Option<String> {
    engine
        .halt_reason()
        .and_then(|reason| serde_json::to_value(reason).ok())
        .and_then(|value| value.as_str().map(str::to_string))
}
