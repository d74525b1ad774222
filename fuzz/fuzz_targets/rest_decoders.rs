//! REST bodies: arbitrary bytes decoded as each response type the project reads (markets
//! page, orderbook, trades page, orders page, fills page, positions page, balance, error
//! body), and every decoded item normalized.
//!
//! Checks: nothing panics; the error-body parser answers for any bytes and never returns a
//! excerpt longer than its bound.

#![no_main]

use kalshi_io::data_rest::parse_error_body;
use kalshi_io::normalize;
use kalshi_io::wire::ApiErrorBody;
use kalshi_io::wire::market::MarketsPage;
use kalshi_io::wire::orderbook::OrderbookResponse;
use kalshi_io::wire::portfolio::{Balance, FillsPage, OrdersPage, PositionsPage};
use kalshi_io::wire::trade::TradesPage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(page) = serde_json::from_slice::<MarketsPage>(body) {
        for market in &page.markets {
            let _ = normalize::market_info(market);
        }
    }
    if let Ok(book) = serde_json::from_slice::<OrderbookResponse>(body) {
        let _ = normalize::book_from_rest("KXBTC-26", &book);
    }
    if let Ok(page) = serde_json::from_slice::<TradesPage>(body) {
        for trade in &page.trades {
            let _ = normalize::public_trade(trade);
        }
    }
    if let Ok(page) = serde_json::from_slice::<OrdersPage>(body) {
        for order in &page.orders {
            let _ = normalize::order_snapshot(order);
        }
    }
    if let Ok(page) = serde_json::from_slice::<FillsPage>(body) {
        for fill in &page.fills {
            let _ = normalize::own_fill(fill);
        }
    }
    if let Ok(page) = serde_json::from_slice::<PositionsPage>(body) {
        for position in &page.market_positions {
            let _ = normalize::position(position);
        }
    }
    let _ = serde_json::from_slice::<Balance>(body);
    if let Ok(error) = serde_json::from_slice::<ApiErrorBody>(body) {
        let _ = (error.code(), error.message());
    }
    let parsed = parse_error_body(body);
    // The excerpt of a non-JSON body is bounded: 160 characters plus an ellipsis
    // (`BODY_EXCERPT_CHARS_MAX` in io/src/data_rest.rs).
    if serde_json::from_slice::<ApiErrorBody>(body).is_err() {
        assert!(
            parsed.message.chars().count() <= 161,
            "error excerpt of {} characters",
            parsed.message.chars().count()
        );
    }
});
