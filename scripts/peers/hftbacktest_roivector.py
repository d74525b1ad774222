"""Peer backtest in hftbacktest's fastest configuration: `ROIVectorMarketDepthBacktest`, one
asset per market in one backtest (its multi-asset API), over the depth CSV that
`kalshi-bot import --depth` reads.

Usage: python hftbacktest_roivector.py <depth.csv>

The CSV (`ts_ns,ticker,kind,side,price,size`, written by `cargo run -p kalshi-replay
--profile bench --example backtest_peers -- MARKETS EVENTS CSV`) sets absolute level sizes
(`kind` = `book`) or records a trade with the taker's side (`kind` = `trade`), the same
semantics as hftbacktest's depth and trade events, so rows map one to one to events. Prices
are on the cent grid from 0.01 to 0.99: the ROI vector spans 0–1 dollars.

The market maker is `hft_ladder.quote_asset` (shared with `hftbacktest_mm.py`): three post-only rungs per side at and
behind the touch, five contracts each, a 100-contract position limit per market, 50 ms order
latency, risk-averse queue model; it steps once per 10 ms of data time (each market's event
spacing) and requotes every market at each step. The numba JIT is compiled by an untimed run
on a prefix of every market first; only the market maker's loop over the whole stream is
timed (loading the CSV and building the event arrays are not). Prints one JSON line.
"""

import json
import sys
import time

import numpy as np
import polars as pl
from numba import njit

from hftbacktest import (
    BUY_EVENT,
    DEPTH_EVENT,
    EXCH_EVENT,
    LOCAL_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
    BacktestAsset,
    ROIVectorMarketDepthBacktest,
    event_dtype,
)

from hft_ladder import quote_asset

TICK = 0.01
LOT = 0.01
STEP_NS = 10_000_000
WARMUP_EVENTS_PER_MARKET = 2_000


def load_markets(path):
    """One event array per ticker (tickers in sorted order), and the number of rows."""
    frame = pl.read_csv(
        path,
        schema_overrides={
            "ts_ns": pl.Int64,
            "ticker": pl.Utf8,
            "kind": pl.Utf8,
            "side": pl.Utf8,
            "price": pl.Float64,
            "size": pl.Float64,
        },
    )
    arrays = []
    for (ticker,), rows in sorted(frame.group_by(["ticker"], maintain_order=True), key=lambda g: g[0]):
        ts = rows["ts_ns"].to_numpy()
        is_trade = (rows["kind"] == "trade").to_numpy()
        is_bid = (rows["side"] == "bid").to_numpy()
        events = np.zeros(len(rows), dtype=event_dtype)
        side = np.where(is_bid, BUY_EVENT, SELL_EVENT).astype(np.uint64)
        kind = np.where(is_trade, TRADE_EVENT, DEPTH_EVENT).astype(np.uint64)
        events["ev"] = np.uint64(EXCH_EVENT | LOCAL_EVENT) | kind | side
        events["exch_ts"] = ts
        events["local_ts"] = ts
        events["px"] = rows["price"].to_numpy()
        events["qty"] = rows["size"].to_numpy()
        arrays.append(events)
    return arrays, frame.height


@njit
def market_maker(hbt, asset_count):
    steps = 0
    while hbt.elapse(10_000_000) == 0:
        steps += 1
        for asset_no in range(asset_count):
            quote_asset(hbt, asset_no, 5.0, 100.0)
    return steps


def run(arrays):
    assets = [
        BacktestAsset()
        .data(events)
        .linear_asset(1.0)
        .constant_order_latency(50_000_000, 50_000_000)
        .risk_adverse_queue_model()
        .no_partial_fill_exchange()
        .trading_value_fee_model(0.0, 0.0)
        .tick_size(TICK)
        .lot_size(LOT)
        .roi_lb(0.0)
        .roi_ub(1.0)
        for events in arrays
    ]
    hbt = ROIVectorMarketDepthBacktest(assets)
    start = time.perf_counter()
    cpu_start = time.process_time()
    steps = market_maker(hbt, len(arrays))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    positions = [float(hbt.position(asset_no)) for asset_no in range(len(arrays))]
    hbt.close()
    return elapsed, cpu, steps, positions


def main():
    load_start = time.perf_counter()
    arrays, rows = load_markets(sys.argv[1])
    load_s = time.perf_counter() - load_start
    run([events[:WARMUP_EVENTS_PER_MARKET].copy() for events in arrays])  # JIT warm-up, untimed
    elapsed, cpu, steps, positions = run(arrays)
    print(
        json.dumps(
            {
                "peer": "hftbacktest",
                "backtest": "ROIVectorMarketDepthBacktest",
                "version": __import__("hftbacktest").__version__,
                "markets": len(arrays),
                "events": int(rows),
                "steps": int(steps),
                "load_s": load_s,
                "wall_s": elapsed,
                "cpu_s": cpu,
                "events_per_s": rows / elapsed,
                "final_position_abs_sum": float(sum(abs(p) for p in positions)),
            }
        )
    )


if __name__ == "__main__":
    main()
