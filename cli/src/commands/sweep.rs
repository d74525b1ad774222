//! `kalshi-bot sweep merge DIR...`: puts the outputs of a sharded sweep
//! (`backtest --sweep … --shard K/N`) back together. Each DIR is a shard's report directory
//! (its `sweep-points/` folder is read) or a folder of `point-*.json` files; the merged table
//! is the one the unsharded sweep prints, byte for byte, and `--out DIR` writes the same
//! `sweep.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use kalshi_replay::sweep::{SweepPointResult, merge_points};

use super::backtest::{SWEEP_POINTS_DIR, summary::sweep_table, write_json};

/// `sweep` arguments.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SweepCommand,
}

/// `sweep` subcommands.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Merge shard outputs into the table (and `sweep.json`) of the whole sweep; fails when a
    /// grid point is missing, two results of one point differ, or the shards are of different
    /// sweeps.
    Merge {
        /// Shard report directories (or folders of `point-*.json` files).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Write the merged `sweep.json` into this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Runs a `sweep` subcommand.
pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    match args.command {
        SweepCommand::Merge { dirs, out } => merge(&dirs, out.as_deref()),
    }
}

fn merge(dirs: &[PathBuf], out: Option<&Path>) -> anyhow::Result<()> {
    let mut points = Vec::new();
    for dir in dirs {
        let read = read_points(dir)?;
        if read.is_empty() {
            bail!("{} holds no sweep point results", dir.display());
        }
        points.extend(read);
    }
    let (axes, rows) = merge_points(points).context("merging the sweep shards")?;
    print!("{}", sweep_table(&axes, &rows));
    if let Some(out) = out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let path = out.join("sweep.json");
        write_json(&path, &rows)?;
        println!("sweep results: {}", path.display());
    }
    Ok(())
}

/// The `point-*.json` files of `dir/sweep-points/` (or of `dir` itself), in name order.
fn read_points(dir: &Path) -> anyhow::Result<Vec<SweepPointResult>> {
    let nested = dir.join(SWEEP_POINTS_DIR);
    let folder = if nested.is_dir() {
        nested
    } else {
        dir.to_path_buf()
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .with_context(|| format!("listing {}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("point-") && name.ends_with(".json"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a sweep point result", path.display()))
        })
        .collect()
}
