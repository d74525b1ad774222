//! `backtest --from-rest`: a market's public history fetched over REST (the market, its
//! event's series and fees, every trade in the window, 1-minute candlesticks with bid/ask
//! OHLC), converted into engine inputs and cached as a journal, so a second backtest of the
//! same market and window reads the cache instead of the network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use futures_util::TryStreamExt as _;

use kalshi_core::Count;
use kalshi_core::config::EngineConfig;
use kalshi_core::events::Envelope;
use kalshi_core::fixed::Price;
use kalshi_io::data_rest::queries::{CandlePeriod, TradesQuery};
use kalshi_io::data_rest::{RestClient, RestConfig};
use kalshi_io::env::Environment;
use kalshi_io::normalize::{event_fee_params, market_info, public_trade};
use kalshi_io::ratelimit::{RateLimiter, UsageTier};
use kalshi_io::wire::candlestick::{Candlestick, QuoteOhlc};
use kalshi_journal::{JournalRecord, RunInfo};
use kalshi_replay::journal_source::{JournalSource, run_header, write_journal};
use kalshi_replay::loaders::history::{
    HistoryCandle, HistoryTrade, MarketHistory, Ohlc, history_to_events,
};
use kalshi_replay::loaders::journal_filter::{InputFilter, load_inputs};
use kalshi_replay::progress::{Progress, ProgressSink};

/// Candles asked for per request (a day of minutes).
const CANDLES_PER_REQUEST: i64 = 1_440;
/// Trades per page.
const TRADES_PAGE_LIMIT: u32 = 1_000;
use kalshi_core::time::NS_PER_S;

/// The inputs of every market in `[start_ns, end_ns)`, each labelled with its cache journal:
/// read from `cache_dir` when cached, else fetched from `api_base` (production by default)
/// and cached.
pub fn load(
    api_base: Option<&str>,
    tickers: &BTreeSet<String>,
    start_ns: i64,
    end_ns: i64,
    assumed_level_size: Count,
    cache_dir: &Path,
) -> anyhow::Result<Vec<(String, Vec<Envelope>)>> {
    let start_s = start_ns.div_euclid(NS_PER_S);
    let end_s = (end_ns + NS_PER_S - 1).div_euclid(NS_PER_S);
    let mut loaded = Vec::new();
    let mut to_fetch = Vec::new();
    for ticker in tickers {
        let dir = cache_dir.join(format!("{ticker}-{start_s}-{end_s}"));
        if dir.join("manifest.json").exists() {
            let mut source = JournalSource::open(&dir)
                .with_context(|| format!("opening the REST cache {}", dir.display()))?;
            let inputs = load_inputs(&mut source, &InputFilter::default())
                .with_context(|| format!("reading the REST cache {}", dir.display()))?;
            crate::logging::note(&format!(
                "{ticker}: {} inputs from cache {}",
                inputs.len(),
                dir.display()
            ));
            loaded.push((format!("{ticker} (cached {})", dir.display()), inputs));
        } else {
            to_fetch.push((ticker.clone(), dir));
        }
    }
    if to_fetch.is_empty() {
        return Ok(loaded);
    }
    let endpoints = Environment::Production
        .endpoints()
        .with_overrides(api_base, None)
        .context("--api-base")?;
    let limiter = Arc::new(RateLimiter::for_tier(UsageTier::Basic));
    let rest = RestClient::new(RestConfig::new(endpoints), None, Some(limiter))
        .context("building the REST client")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = crate::progress_bar::ProgressBar::stderr();
    for (ticker, dir) in to_fetch {
        let fetched = runtime.block_on(fetch(&rest, &ticker, start_s, end_s, &progress));
        progress.finish();
        let history = fetched.with_context(|| format!("fetching the history of {ticker}"))?;
        crate::logging::note(&format!(
            "{ticker}: {} trades, {} candles fetched",
            history.trades.len(),
            history.candles.len()
        ));
        let inputs = history_to_events(&history, assumed_level_size);
        cache(&dir, &ticker, &inputs)?;
        loaded.push((
            format!("{ticker} (fetched, cached {})", dir.display()),
            inputs,
        ));
    }
    Ok(loaded)
}

/// Writes `inputs` as a journal in `dir` (replacing a half-written one).
fn cache(dir: &PathBuf, ticker: &str, inputs: &[Envelope]) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("replacing the incomplete cache {}", dir.display()))?;
    }
    // Every journal starts with its run header at seq 1 (a journal without one reads as
    // incomplete), so the inputs follow it one seq later; market data ran through no engine,
    // so the header holds the default configuration.
    let mut records = vec![JournalRecord::RunStarted(Box::new(run_header(
        EngineConfig::default(),
    )))];
    records.extend(inputs.iter().map(|envelope| {
        JournalRecord::Input(Envelope {
            seq: envelope.seq.saturating_add(1),
            ..envelope.clone()
        })
    }));
    records.push(JournalRecord::RunEnded {
        reason: "rest_history".to_string(),
    });
    let run = RunInfo {
        run_id: format!("rest-{ticker}"),
        build_id: concat!("kalshi-bot ", env!("CARGO_PKG_VERSION")).to_string(),
        config_hash: String::new(),
        seed: 0,
        environment: "rest-history".to_string(),
        created_ts_ns: inputs.first().map_or(0, |envelope| envelope.ts_ns),
    };
    write_journal(dir, run, &records)
        .with_context(|| format!("caching the history in {}", dir.display()))?;
    Ok(())
}

/// Fetches one market's history for `[start_s, end_s]`.
async fn fetch(
    rest: &RestClient,
    ticker: &str,
    start_s: i64,
    end_s: i64,
    progress: &dyn ProgressSink,
) -> anyhow::Result<MarketHistory> {
    let market = rest.get_market(ticker).await?;
    let mut info = market_info(&market)?;
    let event = rest.get_event(&info.event_ticker, false).await?.event;
    let series = rest.get_series(&event.series_ticker).await.ok();
    info.fee = event_fee_params(&event, series.as_ref()).or(info.fee);
    let query = TradesQuery {
        ticker: Some(ticker.to_string()),
        min_ts: Some(start_s),
        max_ts: Some(end_s),
        limit: Some(TRADES_PAGE_LIMIT),
    };
    let mut wire_trades = Vec::new();
    let mut stream = std::pin::pin!(rest.trades_stream(&query));
    while let Some(trade) = stream.try_next().await? {
        wire_trades.push(trade);
        if wire_trades.len() % TRADES_PAGE_LIMIT as usize == 0 {
            progress.update(Progress {
                stage: "download trades",
                done: wire_trades.len() as u64,
                total: 0,
            });
        }
    }
    let mut trades = Vec::with_capacity(wire_trades.len());
    for trade in &wire_trades {
        let trade = public_trade(trade)?;
        trades.push(HistoryTrade {
            trade_id: trade.trade_id,
            yes_price: trade.yes_price,
            count: trade.count,
            taker_side: trade.taker_side,
            created_ts_ns: trade.ts_ns,
        });
    }
    let mut candles = Vec::new();
    let mut from_s = start_s;
    let window_s = CANDLES_PER_REQUEST * 60;
    let requests =
        u64::try_from((end_s - start_s + window_s - 1).div_euclid(window_s)).unwrap_or(0);
    let mut done = 0u64;
    while from_s < end_s {
        let to_s = (from_s + CANDLES_PER_REQUEST * 60).min(end_s);
        let response = rest
            .get_candlesticks(
                &event.series_ticker,
                ticker,
                from_s,
                to_s,
                CandlePeriod::Minute,
            )
            .await?;
        candles.extend(response.candlesticks.iter().map(candle));
        from_s = to_s;
        done += 1;
        progress.update(Progress {
            stage: "download candles",
            done,
            total: requests.max(done),
        });
    }
    candles.sort_by_key(|candle| candle.end_period_ts_s);
    candles.dedup_by_key(|candle| candle.end_period_ts_s);
    Ok(MarketHistory {
        info,
        trades,
        candles,
    })
}

fn candle(wire: &Candlestick) -> HistoryCandle {
    HistoryCandle {
        end_period_ts_s: wire.end_period_ts,
        yes_bid: wire.yes_bid.as_ref().and_then(ohlc),
        yes_ask: wire.yes_ask.as_ref().and_then(ohlc),
        volume: wire
            .volume_fp
            .or_else(|| {
                wire.volume
                    .and_then(|contracts| Count::from_contracts(contracts).ok())
            })
            .unwrap_or(Count::ZERO),
    }
}

/// The dollar fields when present, else the legacy cent fields; `None` when any is missing.
fn ohlc(wire: &QuoteOhlc) -> Option<Ohlc> {
    let pick = |dollars: Option<Price>, cents: Option<i64>| {
        dollars.or_else(|| cents.and_then(|cents| Price::from_cents(cents).ok()))
    };
    Some(Ohlc {
        open: pick(wire.open_dollars, wire.open)?,
        high: pick(wire.high_dollars, wire.high)?,
        low: pick(wire.low_dollars, wire.low)?,
        close: pick(wire.close_dollars, wire.close)?,
    })
}
