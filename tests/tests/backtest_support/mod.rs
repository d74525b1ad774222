//! Shared by the `backtest_*` and `replay_*` binary tests: a small deterministic market
//! written as CSV files, a permissive config file, and running the built binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kalshi_e2e::binary::kalshi_bot;

pub const TICKER: &str = "KXCSV-1";
/// 2023-11-14T22:13:20Z.
pub const START_S: i64 = 1_700_000_000;
const NS_PER_S: i64 = 1_000_000_000;

pub fn bot(args: &[&str]) -> Output {
    Command::new(kalshi_bot())
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value after `label` on the first stdout line starting with it (indent ignored).
pub fn field(output: &Output, label: &str) -> String {
    stdout(output)
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{}", stdout(output)))
        .trim()
        .to_string()
}

/// A small linear congruential generator: the same data on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        i64::try_from((self.0 >> 33) % bound).unwrap()
    }
}

/// `seconds` of data: a top-of-book line every second (touch 10¢ wide, wandering every
/// 30 s) and a trade every other second, some inside the spread where our quotes rest.
pub fn write_csv_market(dir: &Path, seconds: i64) -> (PathBuf, PathBuf) {
    let mut rng = Lcg(11);
    let mut book = String::from("ts_ns,ticker,bid_price,bid_size,ask_price,ask_size\n");
    let mut trades = String::from("ts_ns,ticker,yes_price,count,taker_side\n");
    let mut bid = 40;
    for second in 0..seconds {
        let ts_ns = (START_S + second) * NS_PER_S;
        if second % 30 == 0 {
            bid = (bid + rng.next(3) - 1).clamp(35, 45);
        }
        book.push_str(&format!(
            "{ts_ns},{TICKER},0.{bid:02},100,0.{:02},100\n",
            bid + 10
        ));
        if second % 2 == 1 {
            let (price, side) = if rng.next(2) == 0 {
                (bid + 10 - rng.next(5), "yes")
            } else {
                (bid + rng.next(5), "no")
            };
            trades.push_str(&format!(
                "{},{TICKER},0.{price:02},{},{side}\n",
                ts_ns + 1,
                rng.next(30) + 1
            ));
        }
    }
    let book_path = dir.join("book.csv");
    let trades_path = dir.join("trades.csv");
    std::fs::write(&book_path, book).unwrap();
    std::fs::write(&trades_path, trades).unwrap();
    (trades_path, book_path)
}

/// A config whose scanner accepts a market with little history.
pub fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("backtest.toml");
    std::fs::write(
        &path,
        "[engine.scanner]\nvolume_24h_min = \"0\"\nopen_interest_min = \"0\"\n",
    )
    .unwrap();
    path
}

/// Imports the CSV market into `<dir>/imported` and returns that journal.
pub fn imported_journal(dir: &Path, seconds: i64) -> PathBuf {
    let (trades, book) = write_csv_market(dir, seconds);
    let out = dir.join("imported");
    let output = bot(&[
        "import",
        "--trades",
        trades.to_str().unwrap(),
        "--top-of-book",
        book.to_str().unwrap(),
        "--market",
        TICKER,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "import failed: {}",
        stderr(&output)
    );
    out
}

pub fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}
