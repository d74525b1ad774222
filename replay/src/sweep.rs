//! Parameter sweeps: `key=v1,v2,…` specifications (several → cartesian product), each grid
//! point a full backtest, run across `std::thread::available_parallelism` threads. Results
//! come back in grid order — the first key varies slowest, values in the order given —
//! whatever order the threads finish in.
//!
//! A key is a dotted path into the engine configuration as serialized (for example
//! `strategy.rungs_per_side` or `ev_gate.min_edge_micros`, with or without the `engine.`
//! prefix `--set` uses), or `fill.<field>` for the fill
//! model (`fill.entry_latency_ns`, `fill.cancel_position`), or `tuning.<field>` for the
//! engine's tuning settings (`tuning.fair_imbalance_weight_ppm`). A value is read as JSON when it
//! parses as JSON (`3`, `true`, `"0.05"`), otherwise as a string (`back`, `0.05` stays a number).
//!
//! A sweep can be split over machines: shard `K/N` ([`Shard`]) runs grid point `i` (0-based,
//! grid order) when `i % N == K - 1`, so every shard gets an even share whatever the axes.
//! Each point's result is kept as a [`SweepPointResult`] (its grid index, the grid size, the
//! axes and a [`sweep_id`] of the data and base configuration), and [`merge_points`] puts any
//! set of shard outputs back into the rows an unsharded sweep returns, refusing outputs of
//! different sweeps, conflicting duplicates and missing points.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use kalshi_core::events::Envelope;
use kalshi_core::tuning::Tuning;

use crate::backtest::{BacktestConfig, DiscardRecords, run_backtest_streaming};
use crate::error::ReplayError;
use crate::metrics::Metrics;
use crate::progress::{Progress, ProgressSink};

/// One swept key and its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepAxis {
    /// Dotted config path.
    pub key: String,
    /// Values, as written.
    pub values: Vec<String>,
}

impl SweepAxis {
    /// Parses `key=v1,v2,…`.
    pub fn parse(spec: &str) -> Result<SweepAxis, ReplayError> {
        let bad = |reason: &str| ReplayError::Sweep {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let (key, values) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected key=v1,v2,…"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(bad("empty key"));
        }
        let values: Vec<String> = values
            .split(',')
            .map(|value| value.trim().to_string())
            .collect();
        if values.iter().any(String::is_empty) {
            return Err(bad("empty value"));
        }
        Ok(SweepAxis {
            key: key.to_string(),
            values,
        })
    }
}

/// One grid point's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRow {
    /// (key, value) of each axis, in axis order.
    pub point: Vec<(String, String)>,
    /// The backtest's metrics.
    pub metrics: Metrics,
    /// The backtest's output digest.
    pub output_digest: String,
}

/// Every grid point in order: the first axis varies slowest.
pub fn grid(axes: &[SweepAxis]) -> Vec<Vec<(String, String)>> {
    let mut points: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for axis in axes {
        let mut next = Vec::with_capacity(points.len() * axis.values.len());
        for point in &points {
            for value in &axis.values {
                let mut extended = point.clone();
                extended.push((axis.key.clone(), value.clone()));
                next.push(extended);
            }
        }
        points = next;
    }
    points
}

fn set_path(root: &mut Value, key: &str, raw: &str) -> Result<(), ReplayError> {
    let bad = |reason: String| ReplayError::Sweep {
        spec: format!("{key}={raw}"),
        reason,
    };
    let mut node = root;
    for part in key.split('.') {
        node = node
            .get_mut(part)
            .ok_or_else(|| bad(format!("no config field `{part}`")))?;
    }
    let value =
        serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
    // Fixed-point fields serialize as strings; let a bare number set them too.
    *node = match (&*node, value) {
        (Value::String(_), Value::Number(number)) => Value::String(number.to_string()),
        (_, value) => value,
    };
    Ok(())
}

/// The backtest configuration at one grid point.
pub fn apply_point(
    base: &BacktestConfig,
    point: &[(String, String)],
) -> Result<BacktestConfig, ReplayError> {
    let encode = |source| ReplayError::Encode {
        what: "config",
        source,
    };
    let mut engine = serde_json::to_value(&base.engine).map_err(encode)?;
    let mut fill = serde_json::to_value(&base.fill_model).map_err(encode)?;
    // A swept tuning key starts from the settings the base run would send (none sent: the
    // engine's behaviour before tuning).
    let base_tuning = base.tuning.clone().unwrap_or_else(Tuning::before_tuning);
    let mut tuning = serde_json::to_value(&base_tuning).map_err(encode)?;
    let mut tuning_swept = false;
    for (key, value) in point {
        if let Some(rest) = key.strip_prefix("fill.") {
            set_path(&mut fill, rest, value)?;
        } else if let Some(rest) = key.strip_prefix("tuning.") {
            set_path(&mut tuning, rest, value)?;
            tuning_swept = true;
        } else {
            // `engine.` is optional, so the keys `--set` takes work here too.
            let path = key.strip_prefix("engine.").unwrap_or(key);
            set_path(&mut engine, path, value)?;
        }
    }
    let decode = |what: &str, error: serde_json::Error| ReplayError::Sweep {
        spec: format!("{point:?}"),
        reason: format!("{what}: {error}"),
    };
    let mut config = base.clone();
    config.engine =
        serde_json::from_value(engine).map_err(|error| decode("engine config", error))?;
    config.fill_model =
        serde_json::from_value(fill).map_err(|error| decode("fill model", error))?;
    if tuning_swept {
        config.tuning =
            Some(serde_json::from_value(tuning).map_err(|error| decode("tuning", error))?);
    }
    Ok(config)
}

/// One slice of a sweep grid: shard `index` of `count` (1-based, `1/1` is the whole grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, 1 ..= `count`.
    pub index: u32,
    /// How many shards the grid is split into.
    pub count: u32,
}

impl Shard {
    /// The whole grid.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` (1 ≤ K ≤ N).
    pub fn parse(text: &str) -> Result<Shard, ReplayError> {
        let bad = |reason: &str| ReplayError::Sweep {
            spec: format!("--shard {text}"),
            reason: reason.to_string(),
        };
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| bad("expected K/N, e.g. 1/4"))?;
        let index: u32 = index
            .trim()
            .parse()
            .map_err(|_| bad("K is not a whole number"))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(bad("need 1 <= K <= N"));
        }
        Ok(Shard { index, count })
    }

    /// Whether grid point `point_index` (0-based) belongs to this shard.
    pub fn contains(&self, point_index: usize) -> bool {
        point_index % self.count as usize == (self.index - 1) as usize
    }
}

/// One grid point's result as a shard writes it (one JSON file per point).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepPointResult {
    /// Identity of the sweep ([`sweep_id`]): points of different sweeps never merge.
    pub sweep_id: String,
    /// 0-based position in the grid.
    pub index: usize,
    /// Grid size.
    pub total: usize,
    /// The sweep's axes.
    pub axes: Vec<SweepAxis>,
    /// The result.
    pub row: SweepRow,
}

/// A digest naming a sweep: the axes, the base configuration, and the data's size and time
/// span (count, first and last `ts_ns`), hex SHA-256. Shards of one sweep agree on it.
pub fn sweep_id(
    inputs: &[Envelope],
    base: &BacktestConfig,
    axes: &[SweepAxis],
) -> Result<String, ReplayError> {
    let encode = |source| ReplayError::Encode {
        what: "sweep identity",
        source,
    };
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(axes).map_err(encode)?);
    hasher.update([0]);
    hasher.update(serde_json::to_vec(base).map_err(encode)?);
    hasher.update([0]);
    hasher.update((inputs.len() as u64).to_le_bytes());
    for envelope in [inputs.first(), inputs.last()].into_iter().flatten() {
        hasher.update(envelope.seq.to_le_bytes());
        hasher.update(envelope.ts_ns.to_le_bytes());
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// Puts shard outputs back together: the axes and the rows in grid order, exactly as an
/// unsharded [`run_sweep`] returns them. Fails when the points come from different sweeps,
/// when one grid point has two different results, or when a grid point is missing.
pub fn merge_points(
    points: Vec<SweepPointResult>,
) -> Result<(Vec<SweepAxis>, Vec<SweepRow>), ReplayError> {
    let bad = |reason: String| ReplayError::Sweep {
        spec: "merge".to_string(),
        reason,
    };
    let Some(first) = points.first() else {
        return Err(bad("no sweep point results to merge".to_string()));
    };
    let (sweep, total, axes, first_index) = (
        first.sweep_id.clone(),
        first.total,
        first.axes.clone(),
        first.index,
    );
    let mut by_index: BTreeMap<usize, SweepRow> = BTreeMap::new();
    for point in points {
        if point.sweep_id != sweep || point.total != total || point.axes != axes {
            return Err(bad(format!(
                "point {} belongs to another sweep (sweep id {}, {} points) than point {}                  (sweep id {sweep}, {total} points)",
                point.index, point.sweep_id, point.total, first_index
            )));
        }
        if point.index >= total {
            return Err(bad(format!(
                "point {} is outside the grid of {total} points",
                point.index
            )));
        }
        match by_index.get(&point.index) {
            Some(row) if *row != point.row => {
                return Err(bad(format!(
                    "point {} has two different results",
                    point.index
                )));
            }
            Some(_) => {}
            None => {
                by_index.insert(point.index, point.row);
            }
        }
    }
    let missing: Vec<usize> = (0..total)
        .filter(|index| !by_index.contains_key(index))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(ToString::to_string).collect();
        return Err(bad(format!(
            "{} of {total} grid points have no result (indices {}{}): a shard is missing \
             or did not finish",
            missing.len(),
            shown.join(", "),
            if missing.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        )));
    }
    Ok((axes, by_index.into_values().collect()))
}

/// Runs every grid point over `inputs` on up to `threads` threads; rows in grid order.
pub fn run_sweep(
    inputs: &[Envelope],
    base: &BacktestConfig,
    axes: &[SweepAxis],
    threads: usize,
    progress: &dyn ProgressSink,
) -> Result<Vec<SweepRow>, ReplayError> {
    let rows = run_sweep_shard(inputs, base, axes, Shard::WHOLE, threads, progress)?;
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

/// Runs the grid points of `shard` over `inputs` on up to `threads` threads; each row with
/// its 0-based grid index, in grid order.
pub fn run_sweep_shard(
    inputs: &[Envelope],
    base: &BacktestConfig,
    axes: &[SweepAxis],
    shard: Shard,
    threads: usize,
    progress: &dyn ProgressSink,
) -> Result<Vec<(usize, SweepRow)>, ReplayError> {
    let (indices, points): (Vec<usize>, Vec<Vec<(String, String)>>) = grid(axes)
        .into_iter()
        .enumerate()
        .filter(|(index, _)| shard.contains(*index))
        .unzip();
    let configs: Vec<BacktestConfig> = points
        .iter()
        .map(|point| apply_point(base, point))
        .collect::<Result<_, _>>()?;
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<SweepRow, ReplayError>>>> =
        Mutex::new((0..configs.len()).map(|_| None).collect());
    let workers = threads.clamp(1, configs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let (Some(config), Some(point)) = (configs.get(index), points.get(index))
                    else {
                        break;
                    };
                    // Only the summary is kept: the records of each point are dropped as
                    // they are produced, so memory does not grow with points × data.
                    let row = run_backtest_streaming(
                        inputs.iter().cloned(),
                        config,
                        &mut DiscardRecords,
                        &crate::progress::NoProgress,
                    )
                    .map(|summary| SweepRow {
                        point: point.clone(),
                        metrics: summary.metrics,
                        output_digest: summary.output_digest,
                    });
                    if let Ok(mut slots) = results.lock()
                        && let Some(slot) = slots.get_mut(index)
                    {
                        *slot = Some(row);
                    }
                    let done = finished.fetch_add(1, Ordering::Relaxed) + 1;
                    progress.update(Progress {
                        stage: "sweep",
                        done: done as u64,
                        total: configs.len() as u64,
                    });
                }
            });
        }
    });
    let slots = results.into_inner().map_err(|_| ReplayError::Sweep {
        spec: String::new(),
        reason: "a sweep worker panicked".to_string(),
    })?;
    let mut rows = Vec::with_capacity(slots.len());
    for (slot, index) in slots.into_iter().zip(indices) {
        match slot {
            Some(row) => rows.push((index, row?)),
            None => {
                return Err(ReplayError::Sweep {
                    spec: String::new(),
                    reason: "a grid point did not run".to_string(),
                });
            }
        }
    }
    Ok(rows)
}

/// The number of threads to use by default: the machine's available parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
