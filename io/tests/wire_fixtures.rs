//! Every real Kalshi capture in `fixtures/` is parsed with `io::wire` and normalized with
//! `io::normalize`. A file that is not a Kalshi payload must be listed in `EXCLUDED` with the
//! reason; any other file without a handler fails the test, so new captures cannot be
//! skipped silently.

mod wire_fixtures_golden;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kalshi_core::Price;
use kalshi_core::market_data::{BookSnapshot, MarketStatus};
use kalshi_core::side::BookSide;
use kalshi_io::normalize::{self, NormalizedWs};
use kalshi_io::wire::candlestick::{Candlestick, CandlesticksResponse};
use kalshi_io::wire::event::{EventsPage, SeriesResponse};
use kalshi_io::wire::market::{Market, MarketResponse, MarketsPage, WirePriceRange};
use kalshi_io::wire::order_legacy::CreateOrderRequest;
use kalshi_io::wire::orderbook::{OrderbookResponse, TickerOrderbook};
use kalshi_io::wire::portfolio::{FillsPage, OrderResponse, PositionsPage, SettlementsPage};
use kalshi_io::wire::trade::Trade;
use kalshi_io::wire::ws_msg::TickerMsg;
use kalshi_io::wire::{ApiErrorBody, WsServerMessage, decode_ws_frame};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wire_fixtures_golden::*;

type Outcome = Result<usize, String>;
type Handler = fn(&str) -> Outcome;

/// Files under `fixtures/` that are not Kalshi payloads.
const EXCLUDED: &[(&str, &str)] = &[
    (
        "PROVENANCE.md",
        "provenance notes for the captures, not a payload",
    ),
    (
        "spec/kalshi-openapi.yaml",
        "Kalshi's REST specification; read by wire_request_schemas",
    ),
    (
        "spec/kalshi-asyncapi.yaml",
        "Kalshi's WebSocket specification; read by wire_request_schemas",
    ),
    (
        "depth/two_markets.csv",
        "a synthetic third-party L2 stream for `import --depth`; read by tests/tests/import_depth.rs",
    ),
    (
        "depth/two_markets_head.parquet",
        "the same rows as Parquet; read by tests/tests/import_depth.rs",
    ),
    (
        "trades/kxdepth_a_trades.csv",
        "a synthetic trade file for the README's `import --trades`; read by \
         tests/tests/readme_commands.rs",
    ),
];

const OBSTACLE: &str = "rest/The-Obstacle-Is-The-Way-kalshi-starter-code-python/golden/";

/// Every payload file, its handler, and the least number of messages it must yield.
fn handlers() -> Vec<(String, Handler, usize)> {
    let mut list: Vec<(String, Handler, usize)> = vec![
        ("ws/jfreun123-kalshi-market-maker/ws_session_demo_2026-07-01.jsonl".into(), ws_frame_lines, 2898),
        ("ws/shreyasshivashankar-bot_btc_1hr_kalshi/ws_frames_prod_2026-04-18.jsonl".into(), ws_recv_lines, 74),
        ("ws/RohitDayanand-PolyKalshi_Client/orderbook_snapshots_2025-05-23.jsonl".into(), rohit_snapshots, 10),
        ("ws/RohitDayanand-PolyKalshi_Client/orderbook_deltas_2025-05-23.jsonl".into(), rohit_deltas, 100),
        ("ws/RohitDayanand-PolyKalshi_Client/orderbook_trades_2025-05-23.jsonl".into(), rohit_trades, 2),
        ("ws/RohitDayanand-PolyKalshi_Client/orderbook_ticker_v2_2025-05-23.jsonl".into(), rohit_tickers, 50),
        ("ws/aaronwald-ssmd/ws_ticker_prod_2026-02-12.jsonl".into(), ws_frame_lines, 10),
        ("ws/aaronwald-ssmd/ws_trade_prod_2026-02-12.jsonl".into(), ws_frame_lines, 10),
        ("ws/CodeTillDawn2-kalshi-trading-bot/ws_ticker_2025-01-16.json".into(), ws_frame_array, 100),
        ("rest/jfreun123-kalshi-market-maker/rest_capture_demo_2026-07-01.jsonl".into(), jfreun_rest, 6),
        ("rest/guzus-dr-manhattan/kalshi_markets.json".into(), market_array, 5),
        ("rest/Brianlee7281-Kalshi_Prediction_Soccer/kalshi_market.json".into(), market_object, 1),
        ("rest/Brianlee7281-Kalshi_Prediction_Soccer/kalshi_markets.json".into(), market_array, 3),
        ("rest/Brianlee7281-Kalshi_Prediction_Soccer/kalshi_orderbook.json".into(), orderbook_body, 1),
        ("rest/Brianlee7281-Kalshi_Prediction_Soccer/kalshi_trades.json".into(), trade_array, 5),
        (
            "rest/rgillon10-pixel-kalshi-headless/markets_eth_event_26JUL0921_captured_2026-07-10T0022Z.json".into(),
            market_map_by_ticker,
            50,
        ),
        ("rest/landonct-kalshi-orderbook/markets_2026-03_pandas.json".into(), market_map_by_index, 46),
        ("rest/bobaoxu2001-prediction-market-value-lab/kalshi_events.json".into(), events_page, 2),
        ("rest/bobaoxu2001-prediction-market-value-lab/kalshi_series.json".into(), series_single, 1),
        ("rest/bobaoxu2001-prediction-market-value-lab/kalshi_orderbook.json".into(), ticker_orderbook_one_sided, 1),
        ("rest/CodeTillDawn2-kalshi-trading-bot/rest_events_with_nested_markets_2025.json".into(), events_page, 2),
        ("rest/josephsapinoso-kalshi-cockpit/events_nfl_preseason.json".into(), events_page, 32),
        ("rest/josephsapinoso-kalshi-cockpit/portfolio_fills_redacted.json".into(), joseph_fills, 33),
        ("rest/josephsapinoso-kalshi-cockpit/portfolio_fills_sanitized.json".into(), joseph_fills_sanitized, 33),
        ("rest/josephsapinoso-kalshi-cockpit/portfolio_settlements_redacted.json".into(), joseph_settlements, 22),
        ("rest/josephsapinoso-kalshi-cockpit/market_single.json".into(), joseph_market_single, 3),
        ("rest/josephsapinoso-kalshi-cockpit/price_grids.json".into(), joseph_price_grids, 1),
        ("rest/josephsapinoso-kalshi-cockpit/series_fee_fields.json".into(), joseph_series_fees, 4),
        ("rest/josephsapinoso-kalshi-cockpit/candlesticks_mlb.json".into(), joseph_candles, 3),
        ("rest/josephsapinoso-kalshi-cockpit/candlesticks_pregame_mlb.json".into(), joseph_candles_pregame, 2),
        ("rest/josephsapinoso-kalshi-cockpit/markets_settled.json".into(), joseph_markets_settled, 44),
        ("rest/josephsapinoso-kalshi-cockpit/combo_orderbooks.json".into(), ticker_orderbook_array, 20),
    ];
    for (name, min) in [
        ("rest_markets_KXNETFLIXRANKMOVIE_p1of2_2025-03-22.json", 100),
        ("rest_markets_KXNETFLIXRANKMOVIE_p2of2_2025-03-22.json", 41),
        ("rest_markets_KXNETFLIXRANKSHOW_p1of2_2025-03-22.json", 100),
        ("rest_markets_KXNETFLIXRANKSHOW_p2of2_2025-03-22.json", 43),
        ("rest_markets_KXOSCARNOMPIC_p1of1_2025-03-22.json", 61),
        ("rest_markets_demo_HIGHNY_FED_2markets_2025-03-22.json", 2),
    ] {
        list.push((
            format!("rest/epunzal2-kalshi_dashboard/{name}"),
            markets_page as Handler,
            min,
        ));
    }
    for name in [
        "kalshi_canceled_no_fill.json",
        "kalshi_full_fill_real.json",
        "kalshi_market_not_found.json",
        "kalshi_no_fill_real.json",
        "kalshi_partial_fill_real.json",
        "kalshi_sell_full_fill_real.json",
        "kalshi_sell_insufficient_position_real.json",
        "kalshi_sell_no_fill_real.json",
        "kalshi_sell_partial_fill_real.json",
    ] {
        list.push((
            format!("rest/Tydog99-Polymarket-Kalshi-Arbitrage-bot/{name}"),
            tydog_order_exchange as Handler,
            2,
        ));
    }
    let golden: &[(&str, Handler, usize)] = &[
        ("amend_order_response.json", g_amend, 2),
        ("batch_cancel_orders_response.json", g_batch_cancel, 2),
        ("batch_create_orders_response.json", g_batch_create, 2),
        ("cancel_order_response.json", g_cancel, 1),
        ("create_order_response.json", g_order, 1),
        ("decrease_order_response.json", g_order, 1),
        ("portfolio_order_single_response.json", g_order, 1),
        ("candlesticks_batch_response.json", g_candles_batch, 10),
        ("event_single_response.json", g_event_single, 2),
        ("events_list_response.json", g_events, 3),
        ("exchange_status_response.json", g_exchange_status, 1),
        ("market_single_response.json", g_market_single, 1),
        ("markets_list_response.json", g_markets, 3),
        ("order_group_create_response.json", g_order_group_create, 1),
        ("order_group_delete_response.json", g_empty, 1),
        ("order_group_reset_response.json", g_empty, 1),
        ("order_group_single_response.json", g_order_group_single, 1),
        ("order_groups_list_response.json", g_order_groups, 1),
        ("order_queue_position_response.json", g_queue_position, 1),
        ("order_queue_positions_response.json", g_queue_positions, 3),
        ("orderbook_response.json", g_orderbook_null_sides, 1),
        ("portfolio_balance_response.json", g_balance, 1),
        ("portfolio_fills_response.json", g_fills, 3),
        ("portfolio_orders_response.json", g_orders, 3),
        ("portfolio_positions_response.json", g_positions, 3),
        ("portfolio_settlements_response.json", g_settlements, 1),
        ("series_fee_changes_response.json", g_series_fee_changes, 1),
        ("series_list_response.json", g_series_list, 100),
        ("series_single_response.json", g_series_single, 1),
        ("trades_list_response.json", g_trades, 3),
        (
            "user_data_timestamp_response.json",
            g_user_data_timestamp,
            1,
        ),
    ];
    for &(name, handler, min) in golden {
        list.push((format!("{OBSTACLE}{name}"), handler, min));
    }
    list
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, root, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
}

#[test]
fn every_fixture_file_is_parsed_and_normalized() {
    let root = fixtures_dir();
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    let handlers = handlers();
    let by_path: BTreeMap<&str, (Handler, usize)> = handlers
        .iter()
        .map(|(p, h, m)| (p.as_str(), (*h, *m)))
        .collect();
    assert_eq!(by_path.len(), handlers.len(), "a fixture is listed twice");

    let mut failures = Vec::new();
    let mut total = 0usize;
    for file in &files {
        if EXCLUDED.iter().any(|(excluded, _)| excluded == file) {
            continue;
        }
        let Some(&(handler, min)) = by_path.get(file.as_str()) else {
            failures.push(format!("{file}: no handler and not excluded — add one"));
            continue;
        };
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        match handler(&text) {
            Ok(count) if count >= min => total += count,
            Ok(count) => failures.push(format!(
                "{file}: only {count} messages, expected at least {min}"
            )),
            Err(why) => failures.push(format!("{file}: {why}")),
        }
    }
    for (path, _, _) in &handlers {
        if !files.contains(path) {
            failures.push(format!("{path}: listed but missing from fixtures/"));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture failures:\n{}",
        failures.join("\n")
    );
    assert!(
        total > 4_500,
        "only {total} payload messages across all fixtures"
    );
}

// ---------------------------------------------------------------- helpers

fn json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))
}

fn parse<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, String> {
    T::deserialize(value).map_err(|e| format!("{what}: {e}"))
}

fn at<'a>(value: &'a Value, pointer: &str) -> Result<&'a Value, String> {
    value
        .pointer(pointer)
        .ok_or_else(|| format!("no {pointer}"))
}

fn norm<T, E: std::fmt::Display>(result: Result<T, E>, what: &str) -> Result<T, String> {
    result.map_err(|e| format!("normalizing {what}: {e}"))
}

fn check_book(book: &BookSnapshot) -> Result<(), String> {
    for level in book.bids.iter().chain(&book.asks) {
        if level.price <= Price::ZERO || level.price >= Price::ONE || level.size.is_zero() {
            return Err(format!("{}: bad level {level:?}", book.ticker));
        }
    }
    Ok(())
}

fn markets(list: &[Market]) -> Outcome {
    for market in list {
        let info = norm(normalize::market_info(market), &market.ticker)?;
        if info.ticker.is_empty() || info.close_time_ns.is_none() {
            return Err(format!("{}: no ticker or close time", market.ticker));
        }
        if let (Some(bid), Some(ask)) = (info.yes_bid, info.yes_ask) {
            if bid > ask && info.status == MarketStatus::Active {
                return Err(format!("{}: crossed listing {bid} > {ask}", market.ticker));
            }
        }
    }
    Ok(list.len())
}

fn decode_and_normalize(frame: &str, use_yes_price: bool) -> Result<WsServerMessage, String> {
    let message = decode_ws_frame(frame).map_err(|e| format!("decode: {e}"))?;
    if let WsServerMessage::Unknown { type_name, .. } = &message {
        return Err(format!("unknown frame type {type_name}"));
    }
    let normalized = norm(
        normalize::normalize_ws(&message, use_yes_price),
        message.type_name(),
    )?;
    if let Some(NormalizedWs::Snapshot(book)) = &normalized {
        check_book(book)?;
    }
    Ok(message)
}

// ---------------------------------------------------------------- WebSocket captures

fn ws_frame_lines(text: &str) -> Outcome {
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        decode_and_normalize(line, false)?;
        count += 1;
    }
    Ok(count)
}

fn ws_recv_lines(text: &str) -> Outcome {
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record = json(line)?;
        let raw = at(&record, "/raw")?.as_str().ok_or("raw is not a string")?;
        let _recv_ts_ns = at(&record, "/recv_ts_ns")?
            .as_i64()
            .ok_or("recv_ts_ns is not an integer")?;
        decode_and_normalize(raw, false)?;
        count += 1;
    }
    Ok(count)
}

fn ws_frame_array(text: &str) -> Outcome {
    let frames = json(text)?;
    let frames = frames.as_array().ok_or("not an array")?;
    for frame in frames {
        let message = decode_and_normalize(&frame.to_string(), false)?;
        let WsServerMessage::Ticker(ticker) = message else {
            return Err("expected ticker frames".into());
        };
        if ticker.msg.yes_bid.is_none() || ticker.msg.ts.is_none() {
            return Err(format!(
                "{}: cents ticker without yes_bid or ts",
                ticker.msg.market_ticker
            ));
        }
    }
    Ok(frames.len())
}

/// The RohitDayanand rows are decomposed frames (cents era); rebuild the documented legacy
/// frame shape from each row and decode it like a live frame.
fn rohit_snapshots(text: &str) -> Outcome {
    let mut count = 0;
    for line in text.lines() {
        let row = json(line)?;
        let frame = serde_json::json!({
            "type": "orderbook_snapshot", "sid": row["sid"], "seq": row["seq"],
            "msg": {
                "market_ticker": row["market_ticker"],
                "yes": json(row["yes_orders"].as_str().ok_or("yes_orders")?)?,
                "no": json(row["no_orders"].as_str().ok_or("no_orders")?)?,
            }
        });
        let message = decode_and_normalize(&frame.to_string(), false)?;
        let WsServerMessage::OrderbookSnapshot(f) = &message else {
            return Err("not a snapshot".into());
        };
        let book = norm(normalize::book_from_ws(&f.msg, false), "snapshot")?;
        if book.bids.is_empty() && book.asks.is_empty() {
            return Err(format!("{}: empty cents book", book.ticker));
        }
        count += 1;
    }
    Ok(count)
}

fn rohit_deltas(text: &str) -> Outcome {
    let mut count = 0;
    for line in text.lines() {
        let row = json(line)?;
        let frame = serde_json::json!({
            "type": "orderbook_delta", "sid": row["sid"], "seq": row["seq"],
            "msg": {"market_ticker": row["market_ticker"], "price": row["price_cents"], "delta": row["delta"], "side": row["side"]}
        });
        let message = decode_and_normalize(&frame.to_string(), false)?;
        let WsServerMessage::OrderbookDelta(f) = &message else {
            return Err("not a delta".into());
        };
        let delta = norm(normalize::book_delta(&f.msg, false), "delta")?;
        let cents = row["price_cents"].as_i64().ok_or("price_cents")?;
        let expected = if row["side"] == "no" {
            Price::from_cents(100 - cents)
        } else {
            Price::from_cents(cents)
        };
        if Ok(delta.price) != expected
            || delta.delta.centi() != row["delta"].as_i64().ok_or("delta")? * 100
        {
            return Err(format!("delta row {line} normalized to {delta:?}"));
        }
        count += 1;
    }
    Ok(count)
}

fn rohit_trades(text: &str) -> Outcome {
    let mut count = 0;
    for line in text.lines() {
        let row = json(line)?;
        let frame = serde_json::json!({
            "type": "trade", "sid": row["sid"],
            "msg": {"market_ticker": row["market_ticker"], "yes_price": row["yes_price"], "no_price": row["no_price"],
                    "count": row["count"], "taker_side": row["taker_side"], "ts": row["ts"]}
        });
        let message = decode_and_normalize(&frame.to_string(), false)?;
        let WsServerMessage::Trade(f) = &message else {
            return Err("not a trade".into());
        };
        let trade = norm(normalize::public_trade_from_ws(&f.msg), "trade")?;
        if trade.ts_ns == 0 || trade.count.is_zero() {
            return Err(format!("trade without time or size: {trade:?}"));
        }
        count += 1;
    }
    Ok(count)
}

/// `ticker_v2` was a removed channel; its rows still fit the ticker message body.
fn rohit_tickers(text: &str) -> Outcome {
    let mut count = 0;
    for line in text.lines() {
        let msg: TickerMsg = parse(&json(line)?, "ticker_v2 row")?;
        if msg.market_ticker.is_empty() || msg.ts.is_none() {
            return Err(format!("ticker row without ticker or ts: {line}"));
        }
        count += 1;
    }
    Ok(count)
}

// ---------------------------------------------------------------- REST captures

fn jfreun_rest(text: &str) -> Outcome {
    let mut count = 0;
    for line in text.lines() {
        let record = json(line)?;
        let url = at(&record, "/url")?.as_str().ok_or("url")?;
        let body = json(
            at(&record, "/response_body")?
                .as_str()
                .ok_or("response_body")?,
        )?;
        if let Some(path) = url.strip_suffix("/orderbook") {
            let ticker = path.rsplit('/').next().ok_or("ticker")?;
            let response: OrderbookResponse = parse(&body, "orderbook")?;
            let book = norm(normalize::book_from_rest(ticker, &response), ticker)?;
            check_book(&book)?;
            if book.bids.is_empty() {
                return Err(format!("{ticker}: empty bids"));
            }
        } else if url.ends_with("/portfolio/positions") {
            let page: PositionsPage = parse(&body, "positions")?;
            for position in &page.market_positions {
                norm(normalize::position(position), &position.ticker)?;
            }
            if page.market_positions.is_empty() || page.event_positions.is_empty() {
                return Err("positions page without market or event positions".into());
            }
        } else {
            return Err(format!("unexpected url {url}"));
        }
        count += 1;
    }
    Ok(count)
}

fn markets_page(text: &str) -> Outcome {
    let page: MarketsPage = parse(&json(text)?, "markets page")?;
    if page.cursor.is_none() {
        return Err("page without cursor".into());
    }
    markets(&page.markets)
}

fn market_array(text: &str) -> Outcome {
    markets(&parse::<Vec<Market>>(&json(text)?, "market array")?)
}

fn market_object(text: &str) -> Outcome {
    markets(&[parse::<Market>(&json(text)?, "market")?])
}

fn market_map_by_ticker(text: &str) -> Outcome {
    let map: BTreeMap<String, Market> = parse(&json(text)?, "market map")?;
    if let Some((key, market)) = map.iter().find(|(key, market)| **key != market.ticker) {
        return Err(format!("key {key} holds market {}", market.ticker));
    }
    markets(&map.into_values().collect::<Vec<_>>())
}

fn market_map_by_index(text: &str) -> Outcome {
    let map: BTreeMap<String, Market> = parse(&json(text)?, "market map")?;
    markets(&map.into_values().collect::<Vec<_>>())
}

fn orderbook_body(text: &str) -> Outcome {
    let response: OrderbookResponse = parse(&json(text)?, "orderbook")?;
    let book = norm(
        normalize::book_from_rest("captured", &response),
        "orderbook",
    )?;
    check_book(&book)?;
    if book.bids.is_empty() || book.asks.is_empty() {
        return Err("expected a two-sided book".into());
    }
    Ok(1)
}

fn trade_array(text: &str) -> Outcome {
    let trades: Vec<Trade> = parse(&json(text)?, "trades")?;
    for trade in &trades {
        let normalized = norm(normalize::public_trade(trade), &trade.ticker)?;
        if normalized.ts_ns == 0 {
            return Err(format!("{}: no time", trade.trade_id));
        }
    }
    Ok(trades.len())
}

fn events_page(text: &str) -> Outcome {
    let page: EventsPage = parse(&json(text)?, "events")?;
    let mut count = page.events.len();
    for event in &page.events {
        let nested = event.markets.as_deref().unwrap_or(&[]);
        count += markets(nested)?;
    }
    Ok(count)
}

fn series_single(text: &str) -> Outcome {
    let response: SeriesResponse = parse(&json(text)?, "series")?;
    normalize::fee_params(&response.series).ok_or("series without fee type")?;
    Ok(1)
}

fn ticker_orderbook_one_sided(text: &str) -> Outcome {
    let entry: TickerOrderbook = parse(&json(text)?, "orderbook")?;
    let response = OrderbookResponse {
        orderbook_fp: entry.orderbook_fp,
        orderbook: entry.orderbook,
    };
    let book = norm(
        normalize::book_from_rest(&entry.ticker, &response),
        &entry.ticker,
    )?;
    check_book(&book)?;
    if !book.bids.is_empty() || book.asks.is_empty() {
        return Err("expected only NO bids (YES asks)".into());
    }
    Ok(1)
}

fn ticker_orderbook_array(text: &str) -> Outcome {
    let entries: Vec<TickerOrderbook> = parse(&json(text)?, "orderbooks")?;
    for entry in &entries {
        let response = OrderbookResponse {
            orderbook_fp: entry.orderbook_fp.clone(),
            orderbook: entry.orderbook.clone(),
        };
        check_book(&norm(
            normalize::book_from_rest(&entry.ticker, &response),
            &entry.ticker,
        )?)?;
    }
    Ok(entries.len())
}

fn joseph_fills(text: &str) -> Outcome {
    let page: FillsPage = parse(at(&json(text)?, "/payload")?, "fills")?;
    for fill in &page.fills {
        let own = norm(normalize::own_fill(fill), &fill.order_id)?;
        if own.count.is_zero() || own.ts_ns == 0 {
            return Err(format!("{}: empty fill", own.fill_id));
        }
    }
    Ok(page.fills.len())
}

/// The author stripped ids, sides and times from these fills: they parse, but normalizing
/// must refuse them rather than invent the missing fields.
fn joseph_fills_sanitized(text: &str) -> Outcome {
    let page: FillsPage = parse(at(&json(text)?, "/payload")?, "fills")?;
    for fill in &page.fills {
        if normalize::own_fill(fill).is_ok() {
            return Err(format!(
                "{}: a fill without id or side was accepted",
                fill.order_id
            ));
        }
        if fill.count_fp.is_none() || fill.yes_price_dollars.is_none() {
            return Err("sanitized fill lost count or price".into());
        }
    }
    Ok(page.fills.len())
}

fn joseph_settlements(text: &str) -> Outcome {
    let page: SettlementsPage = parse(at(&json(text)?, "/payload")?, "settlements")?;
    for settlement in &page.settlements {
        normalize::market_result(settlement.market_result.as_deref(), &settlement.ticker)
            .map_err(|e| e.to_string())?;
        if settlement.revenue.is_none() || settlement.yes_count_fp.is_none() {
            return Err(format!(
                "{}: settlement without revenue or count",
                settlement.ticker
            ));
        }
    }
    Ok(page.settlements.len())
}

fn joseph_market_single(text: &str) -> Outcome {
    let root = json(text)?;
    let nested: Market = parse(at(&root, "/nested")?, "nested")?;
    let single: MarketResponse = parse(at(&root, "/single")?, "single")?;
    let book: OrderbookResponse = parse(at(&root, "/orderbook")?, "orderbook")?;
    let nested_info = norm(normalize::market_info(&nested), "nested")?;
    let single_info = norm(normalize::market_info(&single.market), "single")?;
    if nested_info.ticker != single_info.ticker
        || nested_info.price_ranges != single_info.price_ranges
    {
        return Err("nested and single market disagree".into());
    }
    check_book(&norm(
        normalize::book_from_rest(&single.market.ticker, &book),
        "orderbook",
    )?)?;
    Ok(3)
}

fn joseph_price_grids(text: &str) -> Outcome {
    let root = json(text)?;
    let grids = at(&root, "/grids")?.as_array().ok_or("grids")?;
    for grid in grids {
        let ranges: Vec<WirePriceRange> = parse(at(grid, "/price_ranges")?, "price_ranges")?;
        let ranges = normalize::price_ranges(&ranges);
        if ranges.is_empty()
            || ranges
                .iter()
                .any(|r| r.step.micros() <= 0 || r.start >= r.end)
        {
            return Err(format!("bad grid {ranges:?}"));
        }
    }
    Ok(grids.len())
}

fn joseph_series_fees(text: &str) -> Outcome {
    let root = json(text)?;
    let payloads = at(&root, "/payloads")?.as_object().ok_or("payloads")?;
    for (name, payload) in payloads {
        let response: SeriesResponse = parse(payload, name)?;
        let fee = normalize::fee_params(&response.series)
            .ok_or_else(|| format!("{name}: no fee type"))?;
        if fee.multiplier_ppm <= 0 {
            return Err(format!("{name}: multiplier {}", fee.multiplier_ppm));
        }
    }
    Ok(payloads.len())
}

fn candles(list: &[Candlestick], what: &str) -> Outcome {
    for candle in list {
        let quote = candle
            .yes_bid
            .as_ref()
            .ok_or_else(|| format!("{what}: candle without yes_bid"))?;
        if quote.close_dollars.is_none() && quote.close.is_none() {
            return Err(format!("{what}: yes_bid without close"));
        }
    }
    Ok(list.len())
}

fn joseph_candles(text: &str) -> Outcome {
    let root = json(text)?;
    let markets = at(&root, "/markets")?.as_object().ok_or("markets")?;
    for (ticker, entry) in markets {
        let list: Vec<Candlestick> = parse(at(entry, "/candlesticks")?, ticker)?;
        candles(&list, ticker)?;
    }
    Ok(markets.len())
}

fn joseph_candles_pregame(text: &str) -> Outcome {
    let root = json(text)?;
    let market: Market = parse(at(&root, "/market")?, "market")?;
    markets(std::slice::from_ref(&market))?;
    let response: CandlesticksResponse =
        parse(at(&root, "/candlesticks_response")?, "candlesticks")?;
    Ok(1 + usize::from(candles(&response.candlesticks, "pregame")? > 0))
}

fn joseph_markets_settled(text: &str) -> Outcome {
    let root = json(text)?;
    let list: Vec<Market> = parse(at(&root, "/markets")?, "markets")?;
    markets(&list)?;
    let determined = list
        .iter()
        .filter_map(|m| normalize::market_info(m).ok())
        .filter(|info| info.result.is_some())
        .count();
    if determined < 40 {
        return Err(format!("only {determined} settled markets with a result"));
    }
    let mut errors = 0;
    for query in at(&root, "/queries")?.as_array().ok_or("queries")? {
        if let Some(error) = query.get("error").and_then(Value::as_str) {
            let body = error.split_once('\n').ok_or("error without body")?.1;
            let parsed: ApiErrorBody = parse(&json(body)?, "error body")?;
            if parsed.code() != "bad_request" {
                return Err(format!("unexpected error code {}", parsed.code()));
            }
            errors += 1;
        }
    }
    if errors == 0 {
        return Err("no error bodies found".into());
    }
    Ok(list.len())
}

fn tydog_order_exchange(text: &str) -> Outcome {
    let root = json(text)?;
    let request: CreateOrderRequest = parse(at(&root, "/request/body")?, "request")?;
    let status = at(&root, "/response/status")?.as_u64().ok_or("status")?;
    let body = json(
        at(&root, "/response/body_raw")?
            .as_str()
            .ok_or("body_raw")?,
    )?;
    if status == 201 {
        let response: OrderResponse = parse(&body, "order")?;
        let snapshot = norm(
            normalize::order_snapshot(&response.order),
            &response.order.order_id,
        )?;
        let expected_side = BookSide::from_legacy(request.action, request.side);
        if snapshot.side != expected_side || snapshot.ticker != request.ticker {
            return Err(format!("order {snapshot:?} does not match request"));
        }
    } else {
        let error: ApiErrorBody = parse(&body, "error")?;
        if error.code().is_empty() {
            return Err("error body without code".into());
        }
    }
    Ok(2)
}

// ---------------------------------------------------------------- The-Obstacle golden files
