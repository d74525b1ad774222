//! Exchange records → io's wire types, in the 2026 dialect (fixed-point strings, RFC 3339
//! object times, `outcome_side`/`book_side` plus the deprecated `side`/`action`).

use kalshi_core::market_data::{LifecycleKind, MarketResult};
use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};
use kalshi_core::{Count, Price};
use kalshi_wire::candlestick::{Candlestick as WireCandle, QuoteOhlc, TradePriceOhlc};
use kalshi_wire::event::{
    Event as WireEvent, FeeMultiplier, Series as WireSeries, SeriesFeeChange, SettlementSource,
};
use kalshi_wire::market::{Market as WireMarket, WirePriceRange};
use kalshi_wire::orderbook::{OrderbookFp, PriceLevel};
use kalshi_wire::portfolio::{Fill as WireFill, MarketPosition, Order as WireOrder, Settlement};
use kalshi_wire::time::{format_rfc3339_micros, format_rfc3339_seconds};
use kalshi_wire::trade::Trade as WireTrade;
use kalshi_wire::ws_msg::{
    FillMsg, LifecycleMetadata, MarketLifecycleMsg, MarketPositionMsg, OrderGroupUpdateMsg,
    TickerMsg, TradeMsg, UserOrderMsg,
};

use crate::catalog::terms;
use crate::events_out::{
    LifecycleEvent, OrderGroupChange, OrderGroupEvent, PositionEvent, TickerEvent, TradeEvent,
};
use crate::exchange::candles::{Candlestick, Ohlc};
use crate::exchange::queries::{EventView, OrderbookView, PositionView};
use crate::exchange::{
    FillRecord, MarketView, Order, SeriesFeeChangeView, SeriesSpec, SettlementRecord, Trade,
};

/// Unix ns → Unix ms.
pub(crate) fn ms(ts_ns: i64) -> i64 {
    ts_ns.div_euclid(1_000_000)
}

/// Unix ns → Unix s.
pub(crate) fn secs(ts_ns: i64) -> i64 {
    ts_ns.div_euclid(1_000_000_000)
}

/// Kalshi's spelling of a result.
pub(crate) fn result_str(result: MarketResult) -> &'static str {
    match result {
        MarketResult::Yes => "yes",
        MarketResult::No => "no",
        MarketResult::Scalar => "scalar",
    }
}

fn lifecycle_str(kind: LifecycleKind) -> &'static str {
    match kind {
        LifecycleKind::Created => "created",
        LifecycleKind::Activated => "activated",
        LifecycleKind::Deactivated => "deactivated",
        LifecycleKind::CloseDateUpdated => "close_date_updated",
        LifecycleKind::Determined => "determined",
        LifecycleKind::Settled => "settled",
        LifecycleKind::PriceLevelStructureUpdated => "price_level_structure_updated",
        LifecycleKind::MetadataUpdated => "metadata_updated",
    }
}

/// Deprecated `(side, action)` of an order or fill: the legacy direction it was entered
/// with, else buying its outcome.
fn legacy_pair(
    side: BookSide,
    legacy: Option<crate::exchange::LegacyDirection>,
) -> (OutcomeSide, LegacyAction) {
    legacy.map_or((side.outcome(), LegacyAction::Buy), |l| (l.side, l.action))
}

fn action_str(action: LegacyAction) -> String {
    match action {
        LegacyAction::Buy => "buy".to_string(),
        LegacyAction::Sell => "sell".to_string(),
    }
}

/// `Order` object.
pub(crate) fn order(order: &Order, user_id: &str) -> WireOrder {
    let (side, action) = legacy_pair(order.side, order.legacy);
    WireOrder {
        order_id: order.order_id.clone(),
        user_id: Some(user_id.to_string()),
        client_order_id: Some(order.client_order_id.clone().unwrap_or_default()),
        ticker: order.ticker.clone(),
        book_side: Some(order.side),
        outcome_side: Some(order.outcome_side()),
        side: Some(side),
        action: Some(action_str(action)),
        order_type: Some("limit".to_string()),
        status: order.status.as_str().to_string(),
        yes_price_dollars: Some(order.yes_price),
        no_price_dollars: Some(order.no_price()),
        fill_count_fp: Some(order.fill_count),
        remaining_count_fp: Some(order.remaining_count),
        initial_count_fp: Some(order.initial_count),
        taker_fill_cost_dollars: Some(order.taker_fill_cost),
        maker_fill_cost_dollars: Some(order.maker_fill_cost),
        taker_fees_dollars: Some(order.taker_fees),
        maker_fees_dollars: Some(order.maker_fees),
        expiration_time: order.expiration_ns.map(format_rfc3339_micros),
        created_time: Some(format_rfc3339_micros(order.created_ns)),
        last_update_time: Some(format_rfc3339_micros(order.last_update_ns)),
        // 3.34's REST `Order` has no `last_update_reason` (the `user_order` message does).
        last_update_reason: None,
        self_trade_prevention_type: Some(order.self_trade_prevention.as_str().to_string()),
        order_group_id: order.order_group_id.clone(),
        cancel_order_on_pause: Some(order.cancel_order_on_pause),
        subaccount_number: Some(order.subaccount),
        exchange_index: Some(0),
        ..WireOrder::default()
    }
}

/// `user_order` channel body.
pub(crate) fn user_order(order: &Order, user_id: &str) -> UserOrderMsg {
    UserOrderMsg {
        order_id: order.order_id.clone(),
        user_id: Some(user_id.to_string()),
        ticker: order.ticker.clone(),
        exchange_index: Some(0),
        status: order.status.as_str().to_string(),
        book_side: Some(order.side),
        outcome_side: Some(order.outcome_side()),
        side: Some(order.outcome_side()),
        is_yes: Some(order.outcome_side() == OutcomeSide::Yes),
        yes_price_dollars: Some(order.yes_price),
        fill_count_fp: Some(order.fill_count),
        remaining_count_fp: Some(order.remaining_count),
        initial_count_fp: Some(order.initial_count),
        taker_fill_cost_dollars: Some(order.taker_fill_cost),
        maker_fill_cost_dollars: Some(order.maker_fill_cost),
        taker_fees_dollars: Some(order.taker_fees),
        maker_fees_dollars: Some(order.maker_fees),
        // Required by the spec: empty when the order has none (as in the REST `Order`).
        client_order_id: Some(order.client_order_id.clone().unwrap_or_default()),
        order_group_id: order.order_group_id.clone(),
        self_trade_prevention_type: Some(order.self_trade_prevention.as_str().to_string()),
        created_ts_ms: Some(ms(order.created_ns)),
        last_updated_ts_ms: Some(ms(order.last_update_ns)),
        expiration_ts_ms: order.expiration_ns.map(ms),
        created_time: Some(format_rfc3339_micros(order.created_ns)),
        last_update_time: Some(format_rfc3339_micros(order.last_update_ns)),
        expiration_time: order.expiration_ns.map(format_rfc3339_micros),
        last_update_reason: order.last_update_reason.map(|r| r.as_str().to_string()),
        subaccount_number: Some(order.subaccount),
    }
}

/// `Fill` object.
pub(crate) fn fill(fill: &FillRecord) -> WireFill {
    WireFill {
        fill_id: Some(fill.fill_id.clone()),
        trade_id: Some(fill.fill_id.clone()),
        order_id: fill.order_id.clone(),
        ticker: Some(fill.ticker.clone()),
        market_ticker: Some(fill.ticker.clone()),
        book_side: Some(fill.side),
        outcome_side: Some(fill.side.outcome()),
        side: Some(fill.side.outcome()),
        action: Some("buy".to_string()),
        count_fp: Some(fill.count),
        yes_price_dollars: Some(fill.yes_price),
        no_price_dollars: Some(fill.yes_price.complement()),
        is_taker: Some(fill.is_taker),
        fee_cost: Some(fill.fee_cost),
        created_time: Some(format_rfc3339_micros(fill.ts_ns)),
        ts: Some(secs(fill.ts_ns)),
        subaccount_number: Some(fill.subaccount),
        exchange_index: Some(0),
        ..WireFill::default()
    }
}

/// `fill` channel body.
pub(crate) fn fill_msg(fill: &FillRecord) -> FillMsg {
    FillMsg {
        trade_id: fill.fill_id.clone(),
        order_id: fill.order_id.clone(),
        client_order_id: fill.client_order_id.clone(),
        market_ticker: fill.ticker.clone(),
        exchange_index: Some(0),
        is_taker: Some(fill.is_taker),
        book_side: Some(fill.side),
        outcome_side: Some(fill.side.outcome()),
        side: Some(fill.side.outcome()),
        purchased_side: Some(fill.side.outcome()),
        action: Some("buy".to_string()),
        yes_price_dollars: Some(fill.yes_price),
        count_fp: Some(fill.count),
        fee_cost: Some(fill.fee_cost),
        post_position_fp: Some(fill.post_position),
        subaccount: Some(fill.subaccount),
        ts: Some(kalshi_wire::numbers::WireTime::UnixSeconds(secs(
            fill.ts_ns,
        ))),
        ts_ms: Some(ms(fill.ts_ns)),
        ..FillMsg::default()
    }
}

/// Public `Trade` object.
pub(crate) fn trade(trade: &Trade) -> WireTrade {
    let outcome = trade.taker_side.outcome();
    WireTrade {
        trade_id: trade.trade_id.clone(),
        ticker: trade.ticker.clone(),
        count_fp: Some(trade.count),
        yes_price_dollars: Some(trade.yes_price),
        no_price_dollars: Some(trade.no_price()),
        taker_book_side: Some(trade.taker_side),
        taker_outcome_side: Some(outcome),
        taker_side: Some(outcome),
        is_block_trade: Some(false),
        created_time: Some(format_rfc3339_micros(trade.ts_ns)),
        ..WireTrade::default()
    }
}

/// `trade` channel body.
pub(crate) fn trade_msg(trade: &TradeEvent) -> TradeMsg {
    TradeMsg {
        trade_id: trade.trade_id.clone(),
        market_ticker: trade.ticker.clone(),
        yes_price_dollars: Some(trade.yes_price),
        no_price_dollars: Some(trade.no_price),
        count_fp: Some(trade.count),
        taker_book_side: Some(trade.taker_book_side),
        taker_outcome_side: Some(trade.taker_outcome_side),
        taker_side: Some(trade.taker_outcome_side),
        is_block_trade: Some(false),
        ts: Some(kalshi_wire::numbers::WireTime::UnixSeconds(secs(
            trade.ts_ns,
        ))),
        ts_ms: Some(ms(trade.ts_ns)),
        ..TradeMsg::default()
    }
}

/// Best YES bid/ask for the wire: an empty side is `0.0000`/`1.0000` with size 0.
fn top(level: Option<(Price, Count)>, empty: Price) -> (Price, Count) {
    level.unwrap_or((empty, Count::ZERO))
}

/// A market's stable id (Kalshi sends a UUID next to the ticker): a UUID-shaped hash of
/// the ticker, so every connection and every run names a market the same way.
pub(crate) fn market_id(ticker: &str) -> String {
    let fnv = |offset: u64| {
        ticker.bytes().fold(offset, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let high = fnv(0xcbf2_9ce4_8422_2325);
    let low = fnv(0x6c62_272e_07bb_0142);
    // Version 8 (custom) and the RFC 9562 variant bits.
    let high = (high & !0xf000) | 0x8000;
    let low = (low & !(0b11 << 62)) | (0b10 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// Whole dollars of a contract total as the ticker channel reports it: live captures show
/// `dollar_volume` and `dollar_open_interest` as half the contract count, rounded down.
fn ticker_dollars(contracts: Count) -> i64 {
    contracts.centi().div_euclid(200)
}

/// `ticker` channel body.
pub(crate) fn ticker_msg(event: &TickerEvent) -> TickerMsg {
    let (bid, bid_size) = top(event.yes_bid, Price::ZERO);
    let (ask, ask_size) = top(event.yes_ask, Price::ONE);
    TickerMsg {
        market_ticker: event.ticker.clone(),
        market_id: Some(market_id(&event.ticker)),
        price_dollars: Some(event.last_price.unwrap_or(Price::ZERO)),
        dollar_volume: Some(ticker_dollars(event.volume)),
        dollar_open_interest: Some(ticker_dollars(event.open_interest)),
        yes_bid_dollars: Some(bid),
        yes_ask_dollars: Some(ask),
        yes_bid_size_fp: Some(bid_size),
        yes_ask_size_fp: Some(ask_size),
        last_trade_size_fp: Some(event.last_trade_size),
        volume_fp: Some(event.volume),
        open_interest_fp: Some(event.open_interest),
        ts: Some(kalshi_wire::numbers::WireTime::UnixSeconds(secs(
            event.ts_ns,
        ))),
        ts_ms: Some(ms(event.ts_ns)),
        time: Some(format_rfc3339_seconds(event.ts_ns)),
        ..TickerMsg::default()
    }
}

/// `market_position` channel body.
pub(crate) fn position_msg(event: &PositionEvent, user_id: &str) -> MarketPositionMsg {
    MarketPositionMsg {
        user_id: Some(user_id.to_string()),
        market_ticker: event.ticker.clone(),
        position_fp: Some(event.position),
        position_cost_dollars: Some(event.position_cost),
        realized_pnl_dollars: Some(event.realized_pnl),
        fees_paid_dollars: Some(event.fees_paid),
        // The exchange does not split fees by open and closed contracts: the position's
        // fee cost is every fee paid in the market.
        position_fee_cost_dollars: Some(event.fees_paid),
        volume_fp: Some(event.volume),
        subaccount: Some(event.subaccount),
        ..MarketPositionMsg::default()
    }
}

/// `market_lifecycle_v2` body.
pub(crate) fn lifecycle_msg(event: &LifecycleEvent) -> MarketLifecycleMsg {
    let metadata = (event.kind == LifecycleKind::Created).then(|| LifecycleMetadata {
        title: event.title.clone(),
        event_ticker: event.event_ticker.clone(),
        ..LifecycleMetadata::default()
    });
    MarketLifecycleMsg {
        market_ticker: event.ticker.clone(),
        event_type: lifecycle_str(event.kind).to_string(),
        exchange_index: Some(0),
        open_ts: event.open_ns.map(secs),
        close_ts: event.close_ns.map(secs),
        determination_ts: event.determination_ns.map(secs),
        settled_ts: event.settled_ns.map(secs),
        result: event.result.map(|r| result_str(r).to_string()),
        settlement_value: event.settlement_value,
        is_deactivated: event.is_deactivated,
        additional_metadata: metadata,
        price_level_structure: event.price_level_structure.clone(),
        price_ranges: (!event.price_ranges.is_empty()).then(|| {
            event
                .price_ranges
                .iter()
                .map(|r| WirePriceRange {
                    start: r.start,
                    end: r.end,
                    step: r.step,
                })
                .collect()
        }),
    }
}

/// `order_group_updates` body.
pub(crate) fn order_group_msg(event: &OrderGroupEvent) -> OrderGroupUpdateMsg {
    let event_type = match event.change {
        OrderGroupChange::Created => "created",
        OrderGroupChange::Triggered => "triggered",
        OrderGroupChange::Reset => "reset",
        OrderGroupChange::Deleted => "deleted",
        OrderGroupChange::LimitUpdated => "limit_updated",
    };
    OrderGroupUpdateMsg {
        event_type: event_type.to_string(),
        order_group_id: event.order_group_id.clone(),
        contracts_limit_fp: event.contracts_limit,
        ts_ms: Some(ms(event.ts_ns)),
    }
}

/// `Market` object.
pub(crate) fn market(view: &MarketView) -> WireMarket {
    let spec = &view.spec;
    let (bid, bid_size) = top(view.yes_bid, Price::ZERO);
    let (ask, ask_size) = top(view.yes_ask, Price::ONE);
    let close_time = format_rfc3339_seconds(spec.close_ns);
    let settlement_ns = view
        .determined_ns
        .map(|d| d.saturating_add(spec.settlement_timer_s.saturating_mul(1_000_000_000)));
    WireMarket {
        ticker: spec.ticker.clone(),
        event_ticker: spec.event_ticker.clone(),
        market_type: Some("binary".to_string()),
        title: Some(spec.title.clone()),
        subtitle: Some(spec.yes_sub_title.clone()),
        yes_sub_title: Some(spec.yes_sub_title.clone()),
        no_sub_title: Some(spec.no_sub_title.clone()),
        status: Some(view.status.as_str().to_string()),
        created_time: Some(format_rfc3339_micros(spec.created_ns)),
        updated_time: Some(format_rfc3339_micros(view.updated_ns)),
        open_time: Some(format_rfc3339_seconds(spec.open_ns)),
        close_time: Some(close_time.clone()),
        expected_expiration_time: Some(format_rfc3339_seconds(
            spec.close_ns.saturating_add(spec.determination_delay_ns),
        )),
        expiration_time: Some(format_rfc3339_seconds(
            spec.close_ns.saturating_add(spec.determination_delay_ns),
        )),
        latest_expiration_time: Some(format_rfc3339_seconds(
            settlement_ns.unwrap_or(spec.close_ns.saturating_add(spec.determination_delay_ns)),
        )),
        settlement_timer_seconds: Some(spec.settlement_timer_s),
        yes_bid_dollars: Some(bid),
        yes_bid_size_fp: Some(bid_size),
        yes_ask_dollars: Some(ask),
        yes_ask_size_fp: Some(ask_size),
        no_bid_dollars: Some(ask.complement()),
        no_ask_dollars: Some(bid.complement()),
        last_price_dollars: Some(view.last_price.unwrap_or(Price::ZERO)),
        previous_yes_bid_dollars: Some(Price::ZERO),
        previous_yes_ask_dollars: Some(Price::ZERO),
        previous_price_dollars: Some(Price::ZERO),
        volume_fp: Some(view.volume),
        volume_24h_fp: Some(view.volume_24h),
        open_interest_fp: Some(view.open_interest),
        notional_value_dollars: Some(Price::ONE),
        settlement_value_dollars: view.settlement_value,
        result: Some(
            view.result
                .map_or(String::new(), |r| result_str(r).to_string()),
        ),
        can_close_early: Some(spec.can_close_early),
        strike_type: Some(spec.strike_type.clone()),
        price_level_structure: Some(spec.price_level_structure.clone()),
        price_ranges: Some(
            spec.price_ranges
                .iter()
                .map(|r| WirePriceRange {
                    start: r.start,
                    end: r.end,
                    step: r.step,
                })
                .collect(),
        ),
        is_provisional: Some(false),
        expiration_value: Some(terms::expiration_value(spec, view.result)),
        rules_primary: Some(terms::rules_primary(spec, &close_time)),
        rules_secondary: Some(terms::rules_secondary(spec, &view.series_ticker)),
        settlement_bounds_type: Some("default".to_string()),
        exchange_index: Some(0),
        ..WireMarket::default()
    }
}

/// `EventData` object, optionally with its markets.
pub(crate) fn event(
    view: &EventView,
    series_category: Option<String>,
    markets: Option<Vec<WireMarket>>,
) -> WireEvent {
    let series_category_name = series_category.as_deref().unwrap_or_default();
    let settlement_sources = sources(series_category_name);
    WireEvent {
        event_ticker: view.spec.ticker.clone(),
        series_ticker: view.spec.series_ticker.clone(),
        title: Some(view.spec.title.clone()),
        sub_title: Some(view.spec.sub_title.clone()),
        category: series_category,
        collateral_return_type: Some(String::new()),
        mutually_exclusive: Some(view.spec.mutually_exclusive),
        markets,
        settlement_sources: Some(settlement_sources),
        fee_type_override: view
            .spec
            .fee_type_override
            .map(|fee_type| fee_type.as_str().to_string()),
        fee_multiplier_override: view
            .spec
            .fee_multiplier_override_ppm
            .map(|ppm| FeeMultiplier { ppm }),
        exchange_index: Some(0),
        ..WireEvent::default()
    }
}

/// `SeriesFeeChange` object.
pub(crate) fn series_fee_change(view: &SeriesFeeChangeView) -> SeriesFeeChange {
    SeriesFeeChange {
        id: Some(view.id.clone()),
        series_ticker: view.series_ticker.clone(),
        fee_type: Some(view.fee_type.as_str().to_string()),
        fee_multiplier: Some(FeeMultiplier {
            ppm: view.fee_multiplier_ppm,
        }),
        scheduled_ts: Some(format_rfc3339_seconds(view.scheduled_ns)),
    }
}

/// The settlement sources of a series of `category`, as wire objects.
fn sources(category: &str) -> Vec<SettlementSource> {
    terms::settlement_sources(category)
        .into_iter()
        .map(|(name, url)| SettlementSource {
            name: Some(name.to_string()),
            url: Some(url.to_string()),
        })
        .collect()
}

/// `Series` object.
pub(crate) fn series(spec: &SeriesSpec) -> WireSeries {
    WireSeries {
        ticker: spec.ticker.clone(),
        title: Some(spec.title.clone()),
        category: Some(spec.category.clone()),
        frequency: Some(spec.frequency.clone()),
        tags: Some(Vec::new()),
        fee_type: Some(spec.fee_type.as_str().to_string()),
        fee_multiplier: Some(FeeMultiplier {
            ppm: spec.fee_multiplier_ppm,
        }),
        categories: Some(vec![spec.category.clone()]),
        settlement_sources: Some(sources(&spec.category)),
        contract_url: Some(terms::contract_url(&spec.ticker)),
        contract_terms_url: Some(terms::contract_terms_url(&spec.ticker)),
        additional_prohibitions: Some(terms::additional_prohibitions()),
        exchange_index: Some(0),
        ..WireSeries::default()
    }
}

/// `orderbook_fp` (REST): both sides always present, ascending, best last.
pub(crate) fn orderbook_fp(view: &OrderbookView) -> OrderbookFp {
    let levels = |side: &[(Price, Count)]| side.iter().map(|&(p, c)| PriceLevel(p, c)).collect();
    OrderbookFp {
        yes_dollars: Some(levels(&view.yes)),
        no_dollars: Some(levels(&view.no)),
    }
}

/// `MarketPosition` row.
pub(crate) fn market_position(view: &PositionView) -> MarketPosition {
    let p = &view.position;
    MarketPosition {
        ticker: view.ticker.clone(),
        position_fp: Some(p.position),
        total_traded_dollars: Some(p.total_traded),
        market_exposure_dollars: Some(p.cost),
        realized_pnl_dollars: Some(p.realized_pnl),
        fees_paid_dollars: Some(p.fees_paid),
        last_updated_ts: Some(format_rfc3339_micros(p.last_updated_ns)),
        exchange_index: Some(0),
        ..MarketPosition::default()
    }
}

/// `Settlement` row.
pub(crate) fn settlement(record: &SettlementRecord) -> Settlement {
    Settlement {
        ticker: record.ticker.clone(),
        event_ticker: Some(record.event_ticker.clone()),
        market_result: Some(result_str(record.market_result).to_string()),
        yes_count_fp: Some(record.yes_count),
        no_count_fp: Some(record.no_count),
        yes_total_cost_dollars: Some(record.yes_total_cost),
        no_total_cost_dollars: Some(record.no_total_cost),
        revenue: Some(cents_floor(record.revenue.micros())),
        value: Some(cents_floor(record.value.micros())),
        fee_cost: Some(record.fee_cost),
        settled_time: Some(format_rfc3339_micros(record.settled_ns)),
        exchange_index: Some(0),
        ..Settlement::default()
    }
}

/// Micro-dollars → whole cents, rounded down (the legacy integer-cent fields).
pub(crate) fn cents_floor(micros: i64) -> i64 {
    micros.div_euclid(10_000)
}

fn quote(ohlc: &Ohlc) -> QuoteOhlc {
    QuoteOhlc {
        open_dollars: Some(ohlc.open),
        high_dollars: Some(ohlc.high),
        low_dollars: Some(ohlc.low),
        close_dollars: Some(ohlc.close),
        ..QuoteOhlc::default()
    }
}

/// `MarketCandlestick`.
pub(crate) fn candlestick(candle: &Candlestick) -> WireCandle {
    let price = candle
        .price
        .as_ref()
        .map_or_else(TradePriceOhlc::default, |p| TradePriceOhlc {
            open_dollars: Some(p.ohlc.open),
            high_dollars: Some(p.ohlc.high),
            low_dollars: Some(p.ohlc.low),
            close_dollars: Some(p.ohlc.close),
            mean_dollars: Some(p.mean),
            min_dollars: Some(p.ohlc.low),
            max_dollars: Some(p.ohlc.high),
            ..TradePriceOhlc::default()
        });
    let price = TradePriceOhlc {
        previous_dollars: candle.previous_price,
        ..price
    };
    WireCandle {
        end_period_ts: candle.end_period_ts,
        yes_bid: Some(quote(&candle.yes_bid)),
        yes_ask: Some(quote(&candle.yes_ask)),
        price: Some(price),
        volume_fp: Some(candle.volume),
        open_interest_fp: Some(candle.open_interest),
        ..WireCandle::default()
    }
}
