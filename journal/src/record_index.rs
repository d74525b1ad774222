//! The queryable index columns of a journal record ([`RecordIndex`]) and the names its `kind`
//! column is built from (`input.<event>`, `output.<command>`, `output.decision.<name>`; see
//! [`crate::record`] for the table): what each event, command and decision puts in the
//! `market`, `side`, `price_micros`, `count_centi`, `order_id` and `client_order_id` columns.

use kalshi_core::commands::Command;
use kalshi_core::decision::Decision;
use kalshi_core::events::Event;

/// The queryable columns of one record (everything in [`JournalEntry`](crate::entry::JournalEntry) except seq, time and
/// payload).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordIndex {
    /// Kind name, e.g. `input.book_delta`.
    pub kind: String,
    /// Ticker of the market the record is about.
    pub market: Option<String>,
    /// `bid` / `ask`.
    pub side: Option<String>,
    /// Price, micro-dollars.
    pub price_micros: Option<i64>,
    /// Count, hundredths of a contract.
    pub count_centi: Option<i64>,
    /// Exchange order id.
    pub order_id: Option<String>,
    /// Our client order id, when the record names one.
    pub client_order_id: Option<String>,
}

/// The index columns of a record, borrowed from it: built for every record read back (to
/// check the entry's columns) without allocating.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IndexView<'a> {
    kind_prefix: &'static str,
    kind_name: &'static str,
    pub(crate) market: Option<&'a str>,
    pub(crate) side: Option<&'static str>,
    pub(crate) price_micros: Option<i64>,
    pub(crate) count_centi: Option<i64>,
    pub(crate) order_id: Option<&'a str>,
    pub(crate) client_order_id: Option<&'a str>,
}

impl<'a> IndexView<'a> {
    pub(crate) fn kind(kind_prefix: &'static str, kind_name: &'static str) -> Self {
        Self {
            kind_prefix,
            kind_name,
            ..Self::default()
        }
    }

    pub(crate) fn kind_is(&self, kind: &str) -> bool {
        kind.strip_prefix(self.kind_prefix) == Some(self.kind_name)
    }

    pub(crate) fn kind_string(&self) -> String {
        [self.kind_prefix, self.kind_name].concat()
    }

    pub(crate) fn to_owned_index(self) -> RecordIndex {
        RecordIndex {
            kind: self.kind_string(),
            market: self.market.map(str::to_owned),
            side: self.side.map(str::to_owned),
            price_micros: self.price_micros,
            count_centi: self.count_centi,
            order_id: self.order_id.map(str::to_owned),
            client_order_id: self.client_order_id.map(str::to_owned),
        }
    }

    fn market(mut self, market: &'a str) -> Self {
        self.market = Some(market);
        self
    }

    fn side(mut self, side: kalshi_core::BookSide) -> Self {
        self.side = Some(side.as_str());
        self
    }

    fn price(mut self, price: kalshi_core::Price) -> Self {
        self.price_micros = Some(price.micros());
        self
    }

    fn count(mut self, count_centi: i64) -> Self {
        self.count_centi = Some(count_centi);
        self
    }

    fn order_id(mut self, order_id: &'a str) -> Self {
        self.order_id = Some(order_id);
        self
    }

    fn client(mut self, client_order_id: &'a str) -> Self {
        self.client_order_id = Some(client_order_id);
        self
    }

    fn maybe_client(mut self, client_order_id: Option<&'a str>) -> Self {
        self.client_order_id = client_order_id;
        self
    }
}

/// Snake-case name of an input event (the part after `input.`).
pub fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Config(_) => "config",
        Event::MarketListing(_) => "market_listing",
        Event::BookSnapshot(_) => "book_snapshot",
        Event::BookDelta(_) => "book_delta",
        Event::BookInvalidated { .. } => "book_invalidated",
        Event::PublicTrade(_) => "public_trade",
        Event::OwnFill(_) => "own_fill",
        Event::OrderAck(_) => "order_ack",
        Event::OrderRejected(_) => "order_rejected",
        Event::OrderUnknown { .. } => "order_unknown",
        Event::OrderSnapshot(_) => "order_snapshot",
        Event::OrderNotFound { .. } => "order_not_found",
        Event::CancelAck(_) => "cancel_ack",
        Event::PositionSnapshot(_) => "position_snapshot",
        Event::Lifecycle(_) => "lifecycle",
        Event::ModelProbability { .. } => "model_probability",
        Event::Reconciled { .. } => "reconciled",
        Event::Timer { .. } => "timer",
        Event::Control(_) => "control",
        Event::ExchangeStatus { .. } => "exchange_status",
        Event::RiskStateRestored(_) => "risk_state_restored",
        Event::FeedReconnected => "feed_reconnected",
        Event::FeedLag { .. } => "feed_lag",
        Event::FeesChanged(_) => "fees_changed",
        Event::Tuning(_) => "tuning",
        Event::TuningSettings(_) => "tuning_settings",
        Event::Operator(_) => "operator",
        Event::OperatorSet(_) => "operator_set",
        Event::TradeHistory(_) => "trade_history",
        Event::QueuePositions(_) => "queue_positions",
    }
}

/// Snake-case name of a command (the part after `output.`).
pub fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Place(_) => "place",
        Command::Cancel(_) => "cancel",
        Command::Amend(_) => "amend",
        Command::Decrease(_) => "decrease",
        Command::CancelAll => "cancel_all",
        Command::LookupOrder { .. } => "lookup_order",
    }
}

/// Snake-case name of a decision (the part after `output.decision.`).
pub fn decision_name(decision: &Decision) -> &'static str {
    match decision {
        Decision::ConfigAccepted { .. } => "config_accepted",
        Decision::UniverseSelected { .. } => "universe_selected",
        Decision::Ev(_) => "ev_gate",
        Decision::Risk(_) => "risk",
        Decision::RiskState(_) => "risk_state",
        Decision::ResumeRefused { .. } => "resume_refused",
        Decision::OperatorSetting { .. } => "operator_setting",
        Decision::Quote(_) => "quote",
        Decision::Withdraw { .. } => "withdraw",
        Decision::Order(_) => "order",
        Decision::Fill(_) => "fill",
        Decision::Reconciled(_) => "reconciled",
        Decision::PositionDrift { .. } => "position_drift",
        Decision::Ignored(_) => "ignored",
        Decision::SideHeld { .. } => "side_held",
        Decision::PlacesDeferred { .. } => "places_deferred",
        Decision::AwaitingReconciliation => "awaiting_reconciliation",
        Decision::PlacesHeld { .. } => "places_held",
        Decision::FillBurst(_) => "fill_burst",
        Decision::FeedLag { .. } => "feed_lag",
        Decision::TuningAccepted(_) => "tuning_accepted",
        Decision::TuningSettingsAccepted(_) => "tuning_settings_accepted",
        Decision::FairValue { .. } => "fair_value",
    }
}

pub(crate) fn input_index(event: &Event) -> IndexView<'_> {
    let base = IndexView::kind("input.", event_name(event));
    let base = match event.ticker() {
        Some(ticker) => base.market(ticker),
        None => base,
    };
    match event {
        Event::BookDelta(delta) => base
            .side(delta.side)
            .price(delta.price)
            .count(delta.delta.centi())
            .maybe_client(delta.client_order_id.as_deref()),
        Event::PublicTrade(trade) => base
            .side(trade.taker_side)
            .price(trade.yes_price)
            .count(trade.count.centi()),
        Event::OwnFill(fill) => base
            .side(fill.side)
            .price(fill.yes_price)
            .count(fill.count.centi())
            .order_id(&fill.order_id)
            .maybe_client(fill.client_order_id.as_deref()),
        Event::OrderAck(ack) => base
            .count(ack.remaining_count.centi())
            .order_id(&ack.order_id)
            .client(ack.client_order_id.as_str()),
        Event::OrderRejected(rejected) => base.client(rejected.client_order_id.as_str()),
        Event::OrderUnknown {
            client_order_id, ..
        }
        | Event::OrderNotFound { client_order_id } => base.client(client_order_id.as_str()),
        Event::OrderSnapshot(order) => base
            .side(order.side)
            .price(order.yes_price)
            .count(order.remaining_count.centi())
            .order_id(&order.order_id)
            .maybe_client(order.client_order_id.as_deref()),
        Event::CancelAck(ack) => base
            .count(ack.reduced_by.centi())
            .order_id(&ack.order_id)
            .client(ack.client_order_id.as_str()),
        Event::PositionSnapshot(position) => base.count(position.position.centi()),
        _ => base,
    }
}

pub(crate) fn command_index(command: &Command) -> IndexView<'_> {
    let base = IndexView::kind("output.", command_name(command));
    match command {
        Command::Place(order) => base
            .market(&order.ticker)
            .side(order.side)
            .price(order.price)
            .count(order.count.centi())
            .client(order.client_order_id.as_str()),
        Command::Cancel(cancel) => {
            let index = base
                .market(&cancel.ticker)
                .client(cancel.client_order_id.as_str());
            match &cancel.order_id {
                Some(order_id) => index.order_id(order_id),
                None => index,
            }
        }
        Command::Amend(amend) => base
            .market(&amend.ticker)
            .side(amend.side)
            .price(amend.price)
            .count(amend.total_count.centi())
            .order_id(&amend.order_id)
            .client(amend.client_order_id.as_str()),
        Command::Decrease(decrease) => base
            .market(&decrease.ticker)
            .count(decrease.reduce_to.centi())
            .order_id(&decrease.order_id)
            .client(decrease.client_order_id.as_str()),
        Command::CancelAll => base,
        Command::LookupOrder {
            client_order_id,
            ticker,
        } => base.market(ticker).client(client_order_id.as_str()),
    }
}

pub(crate) fn decision_index(decision: &Decision) -> IndexView<'_> {
    let base = IndexView::kind("output.decision.", decision_name(decision));
    match decision {
        Decision::Ev(ev) => base
            .market(&ev.inputs.ticker)
            .side(ev.inputs.side)
            .price(ev.inputs.price)
            .count(ev.inputs.count.centi()),
        Decision::Risk(risk) => base
            .market(&risk.ticker)
            .side(risk.side)
            .price(risk.price)
            .count(risk.count.centi())
            .client(risk.client_order_id.as_str()),
        Decision::Quote(quote) => base.market(&quote.ticker),
        Decision::Withdraw { ticker, .. } | Decision::PositionDrift { ticker, .. } => {
            base.market(ticker)
        }
        Decision::Order(transition) => {
            let index = base.market(&transition.ticker);
            match transition.key.strip_prefix("order:") {
                Some(order_id) => index.order_id(order_id),
                None => index.client(&transition.key),
            }
        }
        Decision::Fill(fill) => base
            .market(&fill.ticker)
            .side(fill.side)
            .price(fill.yes_price)
            .count(fill.count.centi()),
        Decision::SideHeld {
            ticker,
            side,
            position,
            ..
        } => base.market(ticker).side(*side).count(position.centi()),
        Decision::PlacesDeferred { ticker, .. } | Decision::PlacesHeld { ticker, .. } => {
            base.market(ticker)
        }
        _ => base,
    }
}
