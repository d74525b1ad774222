//! `kalshi-bot scan-markets`: one `GET /markets` sweep (1000 per page, every page of the
//! cursor chain, progress on stderr), the engine's scanner, and a ranked table or JSON report.
//! Public endpoints only: no credentials needed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use kalshi_core::events::TradeHistory;
use kalshi_core::fixed::{Count, Price};
use kalshi_core::market_scanner::{
    RankBy, ScanInput, ScanReport, ScanRow, ScannerConfig, activity_candidates, scan,
};
use kalshi_core::market_state::{MarketState, MarketStateConfig};
use kalshi_io::data_rest::queries::MarketStatusFilter;
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::{Endpoints, Environment};
use kalshi_io::ratelimit::RateLimiter;
use serde::Serialize;

use super::trading_args::{ConfigArgs, SimArgs, tokio_runtime};
use crate::config::{self, EngineProfile};
use crate::duration_flag::parse_duration;
use crate::exit_code::{EXIT_OK, Refusal};
use crate::runtime::clock::{NS_PER_S, now_ns};
use crate::runtime::fees::FeeDirectory;
use crate::runtime::local_exchange::LocalExchange;
use crate::runtime::market_data::{Listing, fetch_listing};
use crate::runtime::trade_history::{TRADE_HISTORY_PAGES_MAX, read_trade_histories};

/// Ranking keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RankByArg {
    /// Liquidity score (trades, volume, depth, tightness).
    Liquidity,
    /// How easy it is to rest maker orders (room inside the spread, queue turnover).
    MakerEase,
    /// Tightest spread in ticks first.
    Tightness,
}

impl From<RankByArg> for RankBy {
    fn from(rank: RankByArg) -> RankBy {
        match rank {
            RankByArg::Liquidity => RankBy::Liquidity,
            RankByArg::MakerEase => RankBy::MakerEase,
            RankByArg::Tightness => RankBy::Tightness,
        }
    }
}

/// Which markets the sweep asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// `status=open` (tradable now).
    Open,
    /// Every status.
    All,
}

/// Options of `scan-markets`.
#[derive(Debug, Args)]
pub struct ScanMarketsArgs {
    /// How many ranked markets to show.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,
    /// Print a JSON report instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Evaluate time filters at this instant: RFC 3339 (2025-03-22T06:00:00Z) or Unix seconds.
    #[arg(long, value_parser = parse_as_of, value_name = "TIME")]
    pub as_of: Option<i64>,
    /// Least 24 h volume, contracts.
    #[arg(long, value_parser = parse_count, value_name = "CONTRACTS")]
    pub min_volume_24h: Option<Count>,
    /// Least open interest, contracts.
    #[arg(long, value_parser = parse_count, value_name = "CONTRACTS")]
    pub min_open_interest: Option<Count>,
    /// Widest spread in ticks of the market's grid.
    #[arg(long, value_name = "TICKS")]
    pub max_spread_ticks: Option<i64>,
    /// Widest spread in dollars (e.g. 0.05).
    #[arg(long, value_parser = parse_price, value_name = "DOLLARS")]
    pub max_spread_dollars: Option<Price>,
    /// Least time to close (e.g. 1h, 30m).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub min_time_to_close: Option<Duration>,
    /// Ranking key.
    #[arg(long, value_enum)]
    pub rank_by: Option<RankByArg>,
    /// Which markets to ask for.
    #[arg(long, value_enum, default_value_t = StatusArg::Open)]
    pub status: StatusArg,
    /// Also list the dropped markets (JSON) or a count per reason (table).
    #[arg(long)]
    pub include_dropped: bool,
    /// REST base URL (default Kalshi production; public endpoints only). With --sim: a
    /// local exchange already serving there (`kalshi-bot sim-exchange`).
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// Scan Kalshi's demo exchange.
    #[arg(long, conflicts_with = "sim")]
    pub demo: bool,
    /// Scan the local exchange with its scanner profile: the one at --api-base, or one
    /// started in-process.
    #[arg(long)]
    pub sim: bool,
    /// Local exchange knobs.
    #[command(flatten)]
    pub sim_args: SimArgs,
    /// Configuration file (its [engine.scanner] thresholds) and overrides.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Parses `--as-of`: RFC 3339 or Unix seconds.
pub fn parse_as_of(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return seconds
            .checked_mul(NS_PER_S)
            .ok_or_else(|| format!("{text} seconds is out of range"));
    }
    kalshi_io::time::parse_rfc3339_ns(text)
        .map_err(|error| format!("{text:?} is neither Unix seconds nor RFC 3339 ({error})"))
}

fn parse_count(text: &str) -> Result<Count, String> {
    Count::parse(text.trim()).map_err(|error| format!("{text:?}: {error}"))
}

fn parse_price(text: &str) -> Result<Price, String> {
    Price::parse(text.trim()).map_err(|error| format!("{text:?}: {error}"))
}

/// The JSON report.
#[derive(Debug, Serialize)]
pub struct ScanJson<'a> {
    /// The instant the time filters were evaluated at, RFC 3339.
    pub as_of: String,
    /// The same, Unix ns.
    pub as_of_ns: i64,
    /// Pages read from the cursor chain.
    pub pages: usize,
    /// Markets listed (normalized).
    pub markets: usize,
    /// Listing entries that could not be normalized.
    pub unreadable: usize,
    /// Markets that passed every filter.
    pub passed: usize,
    /// Markets filtered out.
    pub dropped: usize,
    /// Dropped markets per failed filter (a market may count under several).
    pub dropped_by_reason: BTreeMap<&'static str, usize>,
    /// The best `--top` markets, best first.
    pub ranked: &'a [ScanRow],
    /// Markets whose trade history was read for the recently-active filter.
    pub trades_read: usize,
    /// Markets whose trade history could not be read (dropped as `trades_unreadable`).
    pub trades_unreadable: usize,
    /// Every dropped market (with `--include-dropped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_rows: Option<&'a [ScanRow]>,
}

/// Counts dropped markets per failed filter.
pub fn dropped_by_reason(report: &ScanReport) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for row in &report.dropped {
        for reason in row.reasons.iter().filter(|reason| reason.is_failure()) {
            *counts.entry(reason.as_str()).or_insert(0) += 1;
        }
    }
    counts
}

/// `2d03h`, `5h12m`, `45m`, `closed`, `-`.
pub fn format_time_to_close(ns: Option<i64>) -> String {
    let Some(ns) = ns else {
        return "-".to_string();
    };
    if ns <= 0 {
        return "closed".to_string();
    }
    let minutes = ns / (60 * NS_PER_S);
    let (days, hours, mins) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    if days > 0 {
        format!("{days}d{hours:02}h")
    } else if hours > 0 {
        format!("{hours}h{mins:02}m")
    } else {
        format!("{mins}m")
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn price_or_dash(price: Option<Price>) -> String {
    price.map_or_else(|| "-".to_string(), |price| price.to_string())
}

/// The ranked table.
pub fn table(rows: &[ScanRow]) -> String {
    let mut text = format!(
        "{:>3}  {:<34} {:<28} {:>6} {:>6} {:>6} {:>15} {:>10} {:>10} {:>8} {:>6}  {}\n",
        "#",
        "TICKER",
        "TITLE",
        "BID",
        "ASK",
        "SPREAD",
        "DEPTH BID/ASK",
        "VOL 24H",
        "OPEN INT",
        "CLOSES",
        "SCORE",
        "REASONS"
    );
    for (rank, row) in rows.iter().enumerate() {
        let spread = row
            .spread_ticks
            .map_or_else(|| "-".to_string(), |ticks| format!("{ticks}t"));
        let reasons: Vec<&str> = row.reasons.iter().map(|reason| reason.as_str()).collect();
        text.push_str(&format!(
            "{:>3}  {:<34} {:<28} {:>6} {:>6} {:>6} {:>15} {:>10} {:>10} {:>8} {:>6.1}  {}\n",
            rank + 1,
            truncate(&row.ticker, 34),
            truncate(&row.title, 28),
            price_or_dash(row.yes_bid),
            price_or_dash(row.yes_ask),
            spread,
            format!("{}/{}", row.bid_size, row.ask_size),
            row.volume_24h.to_string(),
            row.open_interest.to_string(),
            format_time_to_close(row.time_to_close_ns),
            row.liquidity_score,
            reasons.join(",")
        ));
    }
    text
}

/// Runs the command; returns the exit code.
pub fn run(args: ScanMarketsArgs) -> anyhow::Result<i32> {
    let profile = if args.sim {
        EngineProfile::LocalExchange
    } else {
        EngineProfile::Exchange
    };
    let mut loaded = config::load(args.config.config.as_deref(), &args.config.set, profile)
        .map_err(|error| Refusal::new(error.to_string()))?;
    args.sim_args.apply(&mut loaded);
    let scanner = &mut loaded.engine.scanner;
    if let Some(volume) = args.min_volume_24h {
        scanner.volume_24h_min = volume;
    }
    if let Some(open_interest) = args.min_open_interest {
        scanner.open_interest_min = open_interest;
    }
    if let Some(ticks) = args.max_spread_ticks {
        scanner.spread_ticks_max = Some(ticks);
    }
    if let Some(dollars) = args.max_spread_dollars {
        scanner.spread_micros_max = Some(dollars.micros());
    }
    if let Some(duration) = args.min_time_to_close {
        scanner.time_to_close_min_ns = i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX);
    }
    if let Some(rank) = args.rank_by {
        scanner.rank_by = rank.into();
    }
    let scanner = *scanner;
    let environment = if args.demo {
        Environment::Demo
    } else {
        Environment::Production
    };
    let api_base = args
        .api_base
        .as_deref()
        .or(loaded.runtime.api_base.as_deref());
    let endpoints = match (args.sim, api_base) {
        // `--sim` alone starts the local exchange in-process.
        (true, None) => None,
        (_, api_base) => Some(
            environment
                .endpoints()
                .with_overrides(api_base, None)
                .map_err(|error| Refusal::new(error.to_string()))?,
        ),
    };
    let status = match args.status {
        StatusArg::Open => Some(MarketStatusFilter::Open),
        StatusArg::All => None,
    };
    let sim_settings = loaded.sim.clone();
    // The trades of the best candidates by every other filter (as many as a run reads, and
    // at least the rows shown), over the window ending at `--as-of`.
    let candidates_max = usize::try_from(loaded.engine.quoted_markets_max)
        .unwrap_or(usize::MAX)
        .saturating_mul(3)
        .max(args.top);
    let read_trades = scanner.require_recent_trades;
    let until_ns = args.as_of;
    let (listing, trades, as_of_ns) = tokio_runtime()?.block_on(async move {
        let local = match endpoints {
            Some(_) => None,
            None => Some(LocalExchange::start(&sim_settings).await?),
        };
        let endpoints = match (&endpoints, &local) {
            (Some(endpoints), _) => endpoints.clone(),
            (None, Some(local)) => Endpoints::custom(local.base_url(), local.ws_url())
                .context("the local exchange's URLs")?,
            (None, None) => anyhow::bail!("no endpoints"),
        };
        let limiter = std::sync::Arc::new(RateLimiter::for_tier(
            kalshi_io::ratelimit::UsageTier::Basic,
        ));
        let rest = RestClient::new(RestConfig::new(endpoints), None, Some(limiter))
            .context("building the REST client")?;
        let listing: anyhow::Result<Listing> =
            match fetch_listing(&rest, status, |pages, markets| {
                crate::logging::note(&format!(
                    "GET /markets: page {pages} read, {markets} markets so far"
                ));
            })
            .await
            {
                Ok(mut listing) => {
                    // Fee parameters of every listed market (a market whose fees cannot be read
                    // is dropped as `fee_unknown`).
                    let fees = FeeDirectory::read(&rest, &listing.markets).await;
                    let unknown = fees.apply(&mut listing.markets);
                    if unknown > 0 {
                        crate::logging::warn(&format!(
                            "fee parameters unreadable for {unknown} markets (fee_unknown)"
                        ));
                    }
                    Ok(listing)
                }
                Err(error) => Err(error),
            };
        // Without `--as-of` the scan is judged now: after the listing, so the trade window
        // read below is the window judged.
        let as_of_ns = until_ns.unwrap_or_else(now_ns);
        let trades = match &listing {
            Ok(listing) if read_trades => {
                let candidates =
                    activity_candidates(&listing.markets, &scanner, as_of_ns, candidates_max);
                let from_ns = as_of_ns.saturating_sub(scanner.recent_window_ns);
                read_trade_histories(&rest, &candidates, from_ns, until_ns).await
            }
            _ => Vec::new(),
        };
        if let Some(local) = local {
            local.stop().await;
        }
        listing.map(|listing| (listing, trades, as_of_ns))
    })?;
    let trades = TradeReads::from_results(trades);
    if read_trades {
        crate::logging::note(&format!(
            "trades: read the trade history of {} markets ({} trades), {} unreadable",
            trades.histories.len(),
            trades
                .histories
                .values()
                .map(|h| h.trades.len())
                .sum::<usize>(),
            trades.unreadable.len()
        ));
    }
    print_report(&args, &listing, &trades, &scanner, as_of_ns)?;
    Ok(EXIT_OK)
}

/// The trade histories read for the recently-active filter.
#[derive(Debug, Default)]
pub struct TradeReads {
    /// Each read market's history.
    pub histories: BTreeMap<String, TradeHistory>,
    /// Markets whose read failed.
    pub unreadable: BTreeSet<String>,
}

impl TradeReads {
    fn from_results(results: Vec<(String, anyhow::Result<TradeHistory>)>) -> TradeReads {
        let mut reads = TradeReads::default();
        for (ticker, result) in results {
            match result {
                Ok(history) => {
                    reads.histories.insert(ticker, history);
                }
                Err(error) => {
                    crate::logging::warn(&format!("trades of {ticker} unreadable: {error:#}"));
                    reads.unreadable.insert(ticker);
                }
            }
        }
        reads
    }
}

/// The scanner's report of `listing`, each market whose trades were read judged on its tape
/// (complete over the window), each whose read failed dropped as `trades_unreadable`.
pub fn scan_with_trades(
    listing: &[kalshi_core::market_data::MarketInfo],
    trades: &TradeReads,
    scanner: &ScannerConfig,
    as_of_ns: i64,
) -> ScanReport {
    let tape = MarketStateConfig {
        trades_max: TRADE_HISTORY_PAGES_MAX * 1000,
        trade_age_max_ns: scanner
            .recent_window_ns
            .max(MarketStateConfig::default().trade_age_max_ns),
        ..MarketStateConfig::default()
    };
    let states: BTreeMap<&str, MarketState> = listing
        .iter()
        .filter_map(|info| {
            let history = trades.histories.get(&info.ticker)?;
            let mut state = MarketState::new(info.clone(), tape);
            state.on_trade_history(&history.trades, history.covered_from_ns, as_of_ns);
            Some((info.ticker.as_str(), state))
        })
        .collect();
    let inputs: Vec<ScanInput<'_>> = listing
        .iter()
        .map(|info| ScanInput {
            info,
            live: states.get(info.ticker.as_str()),
        })
        .collect();
    let keep = BTreeSet::new();
    let mut report = scan(&inputs, &keep, scanner, as_of_ns);
    report.mark_trades_unreadable(&trades.unreadable, &keep);
    report
}

fn print_report(
    args: &ScanMarketsArgs,
    listing: &Listing,
    trades: &TradeReads,
    scanner: &ScannerConfig,
    as_of_ns: i64,
) -> anyhow::Result<()> {
    let report = scan_with_trades(&listing.markets, trades, scanner, as_of_ns);
    let shown = &report.ranked[..report.ranked.len().min(args.top)];
    if args.json {
        let json = ScanJson {
            as_of: kalshi_io::time::format_rfc3339_seconds(as_of_ns),
            as_of_ns,
            pages: listing.pages,
            markets: listing.markets.len(),
            unreadable: listing.unreadable,
            passed: report.ranked.len(),
            dropped: report.dropped.len(),
            dropped_by_reason: dropped_by_reason(&report),
            ranked: shown,
            trades_read: trades.histories.len(),
            trades_unreadable: trades.unreadable.len(),
            dropped_rows: args.include_dropped.then_some(report.dropped.as_slice()),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&json).context("encoding the report")?
        );
    } else {
        print!("{}", table(shown));
        println!(
            "{} markets from {} pages at {}: {} passed, {} dropped (showing {})",
            listing.markets.len(),
            listing.pages,
            kalshi_io::time::format_rfc3339_seconds(as_of_ns),
            report.ranked.len(),
            report.dropped.len(),
            shown.len()
        );
        if args.include_dropped {
            for (reason, count) in dropped_by_reason(&report) {
                println!("  dropped {reason}: {count}");
            }
        }
    }
    if report.ranked.is_empty() {
        let local = !args.sim
            && args.api_base.as_deref().is_some_and(|url| {
                url.contains("://127.0.0.1")
                    || url.contains("://localhost")
                    || url.contains("://[::1]")
            });
        crate::logging::note(&format!(
            "no market passed the scanner: {}{}",
            top_drop_reasons(&dropped_by_reason(&report), 3),
            if local {
                "; for a local exchange add --sim (its scanner profile)"
            } else {
                ""
            }
        ));
    }
    Ok(())
}

/// The `count` most frequent drop reasons, most frequent first (`wide_spread_ticks: 120,
/// low_volume_24h: 80`), or `no market listed` when nothing was dropped either.
pub fn top_drop_reasons(by_reason: &BTreeMap<&'static str, usize>, count: usize) -> String {
    let mut reasons: Vec<(&'static str, usize)> =
        by_reason.iter().map(|(reason, n)| (*reason, *n)).collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if reasons.is_empty() {
        return "no market listed".to_string();
    }
    reasons
        .iter()
        .take(count)
        .map(|(reason, n)| format!("{reason}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_takes_unix_seconds_or_rfc3339() {
        assert_eq!(parse_as_of("1742623200"), Ok(1_742_623_200 * NS_PER_S));
        assert_eq!(
            parse_as_of("2025-03-22T06:00:00Z"),
            Ok(1_742_623_200 * NS_PER_S)
        );
        assert!(parse_as_of("yesterday").is_err());
    }

    #[test]
    fn time_to_close_reads_at_a_glance() {
        assert_eq!(format_time_to_close(None), "-");
        assert_eq!(format_time_to_close(Some(-5)), "closed");
        assert_eq!(format_time_to_close(Some(45 * 60 * NS_PER_S)), "45m");
        assert_eq!(
            format_time_to_close(Some(5 * 3600 * NS_PER_S + 720 * NS_PER_S)),
            "5h12m"
        );
        assert_eq!(format_time_to_close(Some(51 * 3600 * NS_PER_S)), "2d03h");
    }

    #[test]
    fn drop_reasons_are_listed_most_frequent_first() {
        let mut counts = BTreeMap::new();
        counts.insert("a_reason", 3);
        counts.insert("b_reason", 9);
        counts.insert("c_reason", 1);
        assert_eq!(top_drop_reasons(&counts, 2), "b_reason: 9, a_reason: 3");
        assert_eq!(top_drop_reasons(&BTreeMap::new(), 2), "no market listed");
    }

    #[test]
    fn long_titles_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
    }
}
