//! `kalshi-bot journal verify --journal RUN` and `kalshi-bot journal seal --journal RUN` (the
//! run directory as a positional argument is the older spelling, still accepted).
//!
//! `verify` exits 0 when the run directory is clean, 1 when it is corrupt (naming the first
//! bad seq) or incomplete (naming the missing file or record: a lost WAL or sealed segment, no
//! `run.started`), 2 when it cannot be opened as a journal at all. `seal` seals every WAL segment of
//! a run that is no longer being written.

use std::io::Write as _;
use std::path::PathBuf;

use crate::exit_code::Refusal;
use anyhow::Context as _;
use clap::{Args, Subcommand};
use kalshi_journal::{
    JournalWriter, Location, VerifyOutcome, WalConfig, verify_run, verify_run_paranoid,
};

/// `journal` arguments.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// What to do with the run directory.
    #[command(subcommand)]
    pub command: JournalCommand,
}

/// `journal` subcommands.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Check that a run directory is complete and every digest, checksum, seq and hash-chain
    /// link (exit 0 clean, 1 corrupt or incomplete, 2 cannot open).
    Verify {
        /// The run directory, or `s3://bucket/prefix/RUN` (exit 7 when that is a torn
        /// upload).
        #[command(flatten)]
        run: RunArg,
        /// Print one JSON document on stdout (`verdict`, and the counts or the damage).
        #[arg(long)]
        json: bool,
        /// Re-hash every chain link of sealed segments too, instead of trusting a sealed
        /// segment whose whole-file SHA-256 matches the manifest.
        #[arg(long)]
        paranoid: bool,
    },
    /// Seal every WAL segment of a finished run to Parquet. Never run it on a directory a
    /// live process is still writing.
    Seal {
        /// The run directory.
        #[command(flatten)]
        run: RunArg,
    },
    /// Upload a finished, sealed run to `s3://bucket/prefix` (under
    /// `prefix/date=YYYY-MM-DD/run=RUN_ID/`): its segments, then its manifest.
    Upload {
        /// The run directory.
        #[arg(long = "journal", value_name = "RUN")]
        journal: Option<PathBuf>,
        /// Where to: `s3://bucket/prefix` (older spelling: `RUN_DIR URL`).
        #[arg(value_name = "URL", num_args = 1..=2, required = true)]
        targets: Vec<String>,
        /// Give up after this long.
        #[arg(long, value_name = "DURATION", default_value = "10m",
              value_parser = crate::duration_flag::parse_duration)]
        wait: std::time::Duration,
    },
}

/// Runs a `journal` subcommand.
pub fn run(args: JournalArgs) -> anyhow::Result<()> {
    match args.command {
        JournalCommand::Verify {
            run,
            json,
            paranoid,
        } => {
            let dir = run.dir()?;
            let dir = match crate::remote::fetch_if_remote(&dir) {
                Ok(dir) => dir,
                Err(error) if error.is_torn_upload() => crate::remote::exit_torn(&error),
                Err(error) => {
                    println!("cannot open: {error}");
                    std::io::stdout().flush().ok();
                    std::process::exit(2);
                }
            };
            let outcome = if paranoid {
                verify_run_paranoid(&dir)
            } else {
                verify_run(&dir)
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome_json(&outcome))?);
            } else {
                println!("{}", describe(&outcome));
            }
            let code = outcome.exit_code();
            if code != 0 {
                std::io::stdout().flush().ok();
                std::process::exit(code);
            }
            Ok(())
        }
        JournalCommand::Seal { run } => seal(run.dir()?),
        JournalCommand::Upload {
            journal,
            targets,
            wait,
        } => {
            let (dir, url) = upload_targets(journal, targets)?;
            upload(dir, url, wait)
        }
    }
}

/// The run directory and the URL of `journal upload`: `--journal RUN URL`, or the older
/// `RUN URL`.
fn upload_targets(
    journal: Option<PathBuf>,
    mut targets: Vec<String>,
) -> anyhow::Result<(PathBuf, String)> {
    match (journal, targets.len()) {
        (Some(dir), 1) => Ok((dir, targets.remove(0))),
        (None, 2) => {
            let url = targets.remove(1);
            Ok((PathBuf::from(targets.remove(0)), url))
        }
        (Some(_), _) => Err(Refusal::new("journal upload --journal RUN takes one URL").into()),
        (None, _) => Err(Refusal::new("journal upload needs --journal RUN and a URL").into()),
    }
}

/// The run directory a journal-reading subcommand works on: `--journal RUN`, or (the older
/// spelling, hidden from help) the directory as a positional argument.
#[derive(Debug, Clone, Args)]
pub struct RunArg {
    /// The run directory (or `s3://bucket/prefix/RUN` where the command reads one).
    #[arg(long = "journal", value_name = "RUN")]
    journal: Option<PathBuf>,
    /// The older spelling: the run directory as a positional argument.
    #[arg(value_name = "RUN_DIR", hide = true, conflicts_with = "journal")]
    positional: Option<PathBuf>,
}

impl RunArg {
    /// The run directory given either way; a [`Refusal`] when neither was.
    pub fn dir(self) -> anyhow::Result<PathBuf> {
        self.journal
            .or(self.positional)
            .ok_or_else(|| Refusal::new("name the run directory with --journal RUN").into())
    }
}

fn upload(dir: PathBuf, url: String, wait: std::time::Duration) -> anyhow::Result<()> {
    let manifest = kalshi_journal::Manifest::load(&dir)
        .with_context(|| format!("reading the manifest of {}", dir.display()))?;
    if manifest.finished == Some(false)
        || manifest
            .segments
            .iter()
            .any(|segment| segment.state != kalshi_journal::SegmentState::Sealed)
    {
        anyhow::bail!(
            "{} is not a finished, sealed run: run `kalshi-bot journal seal` on it first",
            dir.display()
        );
    }
    let args = crate::remote::UploadArgs {
        upload: Some(url),
        upload_wait: wait,
    };
    let Some(prepared) = args.prepare()? else {
        anyhow::bail!("no upload URL");
    };
    let (announce, announced) = std::sync::mpsc::channel();
    announce.send(dir).ok();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(async move { prepared.start(announced).finish().await });
    if !report.pending.is_empty() {
        anyhow::bail!("the upload did not complete");
    }
    Ok(())
}

/// A verification outcome as one JSON document.
fn outcome_json(outcome: &VerifyOutcome) -> serde_json::Value {
    match outcome {
        VerifyOutcome::Clean {
            entries,
            last_seq,
            head_hash,
            torn_tail,
        } => serde_json::json!({
            "verdict": "clean",
            "entries": entries,
            "last_seq": last_seq,
            "head_hash": head_hash.to_string(),
            "torn_tail": torn_tail.as_ref().map(|torn| serde_json::json!({
                "file": torn.file.display().to_string(),
                "offset": torn.offset,
                "bytes_dropped": torn.bytes_dropped,
            })),
        }),
        VerifyOutcome::Corrupt { at, reason } => serde_json::json!({
            "verdict": "corrupt",
            "reason": reason,
            "file": at.file.display().to_string(),
            "offset": at.offset,
            "last_good_seq": at.last_good_seq,
            "bad_seq": at.bad_seq,
        }),
        VerifyOutcome::CannotOpen(reason) => serde_json::json!({
            "verdict": "cannot_open",
            "reason": reason,
        }),
    }
}

/// One line (or two) describing a verification outcome.
fn describe(outcome: &VerifyOutcome) -> String {
    match outcome {
        VerifyOutcome::Clean {
            entries,
            last_seq,
            head_hash,
            torn_tail,
        } => {
            let mut text = format!(
                "clean: {entries} entries, last seq {}, head hash {head_hash}",
                last_seq.map_or_else(|| "-".to_owned(), |seq| seq.to_string())
            );
            if let Some(torn) = torn_tail {
                text.push_str(&format!(
                    "\nnote: {} torn byte(s) (left by a crash) end {} at offset {}; the next \
                     writer open drops them",
                    torn.bytes_dropped,
                    torn.file.display(),
                    torn.offset
                ));
            }
            text
        }
        VerifyOutcome::Corrupt { at, reason } => {
            format!("corrupt: {}: {at}: {reason}", first_bad(at))
        }
        VerifyOutcome::CannotOpen(reason) => format!("cannot open: {reason}"),
    }
}

/// "first bad seq N" when the bad entry's seq is known, else where the damage starts.
fn first_bad(at: &Location) -> String {
    match (at.bad_seq, at.last_good_seq) {
        (Some(bad), _) => format!("first bad seq {bad}"),
        (None, Some(good)) => format!(
            "first bad seq {} (the entry after last good seq {good})",
            good.saturating_add(1)
        ),
        (None, None) => "first bad seq unknown (no entry before the damage verified)".to_owned(),
    }
}

fn seal(dir: PathBuf) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    crate::logging::note(&format!("sealing {} …", dir.display()));
    let (writer, report) = JournalWriter::open(&dir, WalConfig::default())
        .with_context(|| format!("opening journal {}", dir.display()))?;
    if let Some(torn) = &report.torn_tail {
        println!(
            "recovery dropped {} torn byte(s) at the end of {}",
            torn.bytes_dropped,
            torn.file.display()
        );
    }
    let manifest = writer
        .finish_and_seal()
        .with_context(|| format!("sealing {}", dir.display()))?;
    crate::logging::note(&format!(
        "sealed {} segment(s) in {:.1} s",
        manifest.segments.len(),
        started.elapsed().as_secs_f64()
    ));
    for segment in &manifest.segments {
        println!(
            "{} {:?} entries={} seqs={}..{} sha256={}",
            segment.file,
            segment.state,
            segment.entries,
            segment
                .first_seq
                .map_or_else(|| "-".to_owned(), |seq| seq.to_string()),
            segment
                .last_seq
                .map_or_else(|| "-".to_owned(), |seq| seq.to_string()),
            segment.sha256
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_takes_the_run_by_flag_or_by_its_older_position() {
        let url = "s3://bucket/prefix".to_string();
        assert_eq!(
            upload_targets(Some(PathBuf::from("run")), vec![url.clone()]).unwrap(),
            (PathBuf::from("run"), url.clone())
        );
        assert_eq!(
            upload_targets(None, vec!["run".to_string(), url.clone()]).unwrap(),
            (PathBuf::from("run"), url.clone())
        );
        assert!(upload_targets(None, vec![url.clone()]).is_err());
        assert!(upload_targets(Some(PathBuf::from("run")), vec!["a".into(), url]).is_err());
    }
}
