//! The ledger's SQL schema. Money is INTEGER micro-dollars (`*_micros`), sizes INTEGER
//! hundredths of a contract (`*_centi`), times INTEGER Unix ns (`*_ts_ns`); every row names
//! the journal seq it came from.

/// Bumped whenever a table changes; a ledger with another version must be rebuilt.
pub const SCHEMA_VERSION: i64 = 2;

/// Tables and views in creation order (dropping goes in reverse).
pub const OBJECTS: &[(&str, &str)] = &[
    ("table", "meta"),
    ("table", "runs"),
    ("table", "decisions"),
    ("table", "commands"),
    ("table", "orders"),
    ("table", "fills"),
    ("table", "positions"),
    ("table", "marks"),
    ("table", "pnl"),
    ("view", "pnl_total"),
];

/// Statements creating every table, index and view.
pub const CREATE: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- One row per RunStarted record; closed by RunEnded.
CREATE TABLE runs (
    run_id         TEXT PRIMARY KEY,
    build_id       TEXT NOT NULL,
    environment    TEXT NOT NULL,
    seed           TEXT NOT NULL,            -- u64 as decimal text
    started_seq    INTEGER NOT NULL,
    started_ts_ns  INTEGER NOT NULL,
    ended_seq      INTEGER,
    ended_ts_ns    INTEGER,
    end_reason     TEXT,
    config_json    TEXT NOT NULL
);

-- One row per OutputDecision record. The typed columns hold the decision's input signals
-- and gate results where the decision has them; detail_json holds all of it.
CREATE TABLE decisions (
    seq                       INTEGER PRIMARY KEY,
    input_seq                 INTEGER NOT NULL,
    idx                       INTEGER NOT NULL,
    ts_ns                     INTEGER NOT NULL,
    kind                      TEXT NOT NULL,    -- ev_gate, risk, quote, order, fill, ...
    market                    TEXT,
    client_order_id           TEXT,
    side                      TEXT,
    price_micros              INTEGER,
    count_centi               INTEGER,
    liquidity                 TEXT,             -- ev_gate: maker / taker
    fair_ppm                  INTEGER,          -- ev_gate, quote
    fair_source               TEXT,             -- ev_gate, quote
    best_bid_micros           INTEGER,          -- quote
    best_ask_micros           INTEGER,          -- quote
    position_centi            INTEGER,          -- quote, fill
    win_value_micros          INTEGER,          -- ev_gate components, per contract
    price_paid_micros         INTEGER,
    fee_micros                INTEGER,
    spread_paid_micros        INTEGER,
    slippage_micros           INTEGER,
    adverse_selection_micros  INTEGER,
    ev_micros                 INTEGER,
    min_edge_micros           INTEGER,
    gate_result               TEXT,             -- ev reason, 'approved' / rejection, status
    passed                    INTEGER,          -- 1 / 0 for ev_gate and risk
    summary                   TEXT NOT NULL,
    detail_json               TEXT NOT NULL
);
CREATE INDEX decisions_by_input ON decisions (input_seq);
CREATE INDEX decisions_by_client_order ON decisions (client_order_id);

-- One row per OutputCommand record: the requests, in sending order.
CREATE TABLE commands (
    seq              INTEGER PRIMARY KEY,
    input_seq        INTEGER NOT NULL,
    idx              INTEGER NOT NULL,
    ts_ns            INTEGER NOT NULL,
    kind             TEXT NOT NULL,            -- place, cancel, amend, decrease, ...
    market           TEXT,
    client_order_id  TEXT,
    order_id         TEXT,
    side             TEXT,
    price_micros     INTEGER,
    count_centi      INTEGER,
    summary          TEXT NOT NULL,
    detail_json      TEXT NOT NULL
);
CREATE INDEX commands_by_client_order ON commands (client_order_id);

-- One row per order: keyed by client order id, or 'order:<exchange id>' for orders we did
-- not place. status: pending, resting, partially_filled, filled, cancelled, rejected,
-- unknown, not_found.
CREATE TABLE orders (
    order_key            TEXT PRIMARY KEY,
    client_order_id      TEXT,
    order_id             TEXT,
    ticker               TEXT NOT NULL,
    side                 TEXT NOT NULL,
    price_micros         INTEGER NOT NULL,
    count_centi          INTEGER NOT NULL,
    filled_centi         INTEGER NOT NULL,
    remaining_centi      INTEGER NOT NULL,
    status               TEXT NOT NULL,
    time_in_force        TEXT,
    post_only            INTEGER,
    placed_seq           INTEGER,
    placed_ts_ns         INTEGER,
    acked_ts_ns          INTEGER,
    closed_ts_ns         INTEGER,
    amend_price_micros   INTEGER,            -- an amend sent and not yet acknowledged
    amend_total_centi    INTEGER,
    last_reject_code     TEXT,
    last_reject_message  TEXT,
    updated_seq          INTEGER NOT NULL,
    updated_ts_ns        INTEGER NOT NULL
);
CREATE INDEX orders_by_order_id ON orders (order_id);

-- One row per distinct fill_id; a repeated fill is counted in meta.duplicate_fills only.
CREATE TABLE fills (
    fill_id              TEXT PRIMARY KEY,
    seq                  INTEGER NOT NULL,
    ts_ns                INTEGER NOT NULL,
    fill_ts_ns           INTEGER NOT NULL,
    order_id             TEXT NOT NULL,
    client_order_id      TEXT,
    ticker               TEXT NOT NULL,
    side                 TEXT NOT NULL,
    yes_price_micros     INTEGER NOT NULL,
    count_centi          INTEGER NOT NULL,
    is_taker             INTEGER NOT NULL,
    fee_micros           INTEGER NOT NULL,
    realized_micros      INTEGER NOT NULL,  -- before fees
    cash_delta_micros    INTEGER NOT NULL,  -- after fees
    position_after_centi INTEGER NOT NULL
);

-- Our positions from our own fills (+ YES, - NO); cost is what the held contracts cost.
-- exchange_position_centi is the exchange's last reported position, for drift checks.
CREATE TABLE positions (
    ticker                   TEXT PRIMARY KEY,
    position_centi           INTEGER NOT NULL,
    cost_micros              INTEGER NOT NULL,
    realized_micros          INTEGER NOT NULL,
    fees_micros              INTEGER NOT NULL,
    fill_count               INTEGER NOT NULL,
    updated_seq              INTEGER NOT NULL,
    exchange_position_centi  INTEGER,
    exchange_seq             INTEGER
);

-- The latest mark per market we hold, by the one rule (kalshi_core::pnl::mark): the
-- settlement price once the result is known, else the mid of a valid book, else the last
-- public trade. The market states come from replaying the journal's inputs through the
-- engine, so they are the live engine's own.
CREATE TABLE marks (
    ticker        TEXT PRIMARY KEY,
    price_micros  INTEGER NOT NULL,
    source        TEXT NOT NULL,              -- settlement, book_mid, last_trade
    seq           INTEGER NOT NULL
);

-- P&L per market by the one definition (kalshi_core::pnl::PnlBreakdown) over the engine's
-- positions: realized_net = closed-position P&L minus every fee paid; fees shown apart
-- (already inside realized_net); unrealized = held contracts at the mark minus their cost
-- (zero without a mark); total = realized_net + unrealized.
CREATE TABLE pnl (
    ticker               TEXT PRIMARY KEY,
    position_centi       INTEGER NOT NULL,
    cost_micros          INTEGER NOT NULL,
    realized_net_micros  INTEGER NOT NULL,
    fees_micros          INTEGER NOT NULL,
    mark_price_micros    INTEGER,
    mark_source          TEXT,
    unrealized_micros    INTEGER NOT NULL,
    total_micros         INTEGER NOT NULL,
    updated_seq          INTEGER NOT NULL
);

CREATE VIEW pnl_total AS
SELECT
    coalesce(sum(realized_net_micros), 0)  AS realized_net_micros,
    coalesce(sum(fees_micros), 0)          AS fees_micros,
    coalesce(sum(unrealized_micros), 0)    AS unrealized_micros,
    coalesce(sum(total_micros), 0)         AS total_micros,
    coalesce(sum(position_centi <> 0 AND mark_price_micros IS NULL), 0) AS unmarked_markets
FROM pnl;
"#;
