//! `scripts/ray_sweep.py` on a local Ray instance (`ray.init()` on this machine): a 2-shard
//! sweep run as two Ray tasks and merged prints the same table as the unsharded sweep. Needs
//! `ray` (`scripts/requirements-cluster.txt`, installed by `.ci/run`): when it is missing the
//! test fails with that instruction under CI (`CI` set) or with `KALSHI_BOT_PY_TESTS=1`, and
//! elsewhere (the quick start's plain `cargo test`) says loudly that it did not run.

mod backtest_support;

use std::path::Path;
use std::process::Command;

use kalshi_e2e::binary::kalshi_bot;

use backtest_support::{bot, imported_journal, path, stderr, stdout, write_config};

/// The lines of a sweep's stdout before `sweep results:`.
fn table(text: &str) -> String {
    text.lines()
        .take_while(|line| !line.starts_with("sweep results:"))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn a_two_shard_sweep_on_local_ray_merges_into_the_unsharded_table() {
    let has_ray = Command::new("python3")
        .args(["-c", "import ray"])
        .output()
        .is_ok_and(|output| output.status.success());
    let required = std::env::var_os("CI")
        .is_some_and(|value| !value.is_empty() && value != "false")
        || std::env::var_os("KALSHI_BOT_PY_TESTS").is_some_and(|value| value == "1");
    if !has_ray && !required {
        eprintln!(
            "NOT RUN: python3 cannot import ray (`python3 -m pip install -r \
             scripts/requirements-cluster.txt`); under CI this test fails instead"
        );
        return;
    }
    assert!(
        has_ray,
        "python3 cannot import ray: install it with \
         `python3 -m pip install -r scripts/requirements-cluster.txt`"
    );
    let dir = tempfile::tempdir().unwrap();
    let journal = imported_journal(dir.path(), 300);
    let config = write_config(dir.path());
    let sweep_args = [
        "--journal",
        path(&journal),
        "--config",
        path(&config),
        "--sweep",
        "strategy.fair_offset_ticks=1,2",
        "--sweep",
        "fill.cancel_position=front,back",
    ];
    let whole_report = dir.path().join("whole");
    let mut args = vec!["backtest"];
    args.extend(sweep_args);
    args.extend(["--threads", "1", "--report", path(&whole_report)]);
    let whole = bot(&args);
    assert!(whole.status.success(), "{}", stderr(&whole));

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ray_sweep.py");
    let out = dir.path().join("ray");
    let ray = Command::new("python3")
        .arg(&script)
        .args(["--bin", kalshi_bot()])
        .args(["--shards", "2", "--workers", "2", "--out", path(&out), "--"])
        .args(sweep_args)
        .env("RUST_LOG", "error")
        .env("RAY_USAGE_STATS_ENABLED", "0")
        .output()
        .unwrap();
    assert!(
        ray.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&ray),
        stderr(&ray)
    );
    let merged = table(&stdout(&ray));
    assert_eq!(
        merged.lines().count(),
        5,
        "a header and four rows:\n{merged}"
    );
    assert_eq!(merged, table(&stdout(&whole)));
    assert_eq!(
        std::fs::read(out.join("sweep.json")).unwrap(),
        std::fs::read(whole_report.join("sweep.json")).unwrap()
    );
    for shard in ["shard-1", "shard-2"] {
        let points = std::fs::read_dir(out.join(shard).join("sweep-points"))
            .unwrap()
            .count();
        assert_eq!(points, 2, "{shard} ran half of the four grid points");
    }
}
