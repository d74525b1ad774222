"""Peer backtest: a simple market maker in hftbacktest over the synthetic L2 stream.

Usage: python hftbacktest_mm.py <stream.csv>

This is the `HashMapMarketDepthBacktest` peer of the 50,000-event stream; the issue-18 comparison
in hftbacktest's fastest configuration (ROIVector, 1 and 50 markets) is hftbacktest_roivector.py.

Reads the stream written by `cargo run -p kalshi-replay --release --example
backtest_throughput -- <events> <stream.csv>` (rows `ts_ns,kind,side,price_micros,size_centi`;
`kind` is `snap`, `delta` or `trade`; a trade's side is the taker's), converts it to
hftbacktest's event array (depth events carry the level's new absolute size, so deltas are
accumulated here), and runs a market maker that keeps three post-only rungs per side at and
behind the touch, five contracts each, within a 100-contract position limit, stepping once per
10 ms of data time (the stream's event spacing). Prints one JSON line: events, wall seconds of
the timed run (the numba JIT is compiled by an untimed run on a prefix first), events/s.
"""

import json
import sys
import time

import numpy as np
from numba import njit

from hftbacktest import (
    BUY_EVENT,
    DEPTH_EVENT,
    EXCH_EVENT,
    LOCAL_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
    BacktestAsset,
    HashMapMarketDepthBacktest,
    event_dtype,
)

from hft_ladder import quote_asset

TICK = 0.01
LOT = 0.01
STEP_NS = 10_000_000


def load_events(path):
    rows = np.genfromtxt(
        path,
        delimiter=",",
        skip_header=1,
        dtype=[("ts", "i8"), ("kind", "U5"), ("side", "U3"), ("px", "i8"), ("sz", "i8")],
    )
    events = np.zeros(len(rows), dtype=event_dtype)
    sizes = {}
    for i, (ts, kind, side, px_micros, size_centi) in enumerate(rows):
        book_side = BUY_EVENT if side == "bid" else SELL_EVENT
        if kind == "trade":
            # The taker bought (lifted the ask) when its side is bid.
            ev = EXCH_EVENT | LOCAL_EVENT | TRADE_EVENT | book_side
            qty = size_centi / 100.0
        else:
            key = (side, px_micros)
            new_centi = size_centi if kind == "snap" else sizes.get(key, 0) + size_centi
            sizes[key] = new_centi
            ev = EXCH_EVENT | LOCAL_EVENT | DEPTH_EVENT | book_side
            qty = new_centi / 100.0
        events[i] = (ev, ts, ts, px_micros / 1_000_000.0, qty, 0, 0, 0.0)
    return events


@njit
def market_maker(hbt):
    steps = 0
    while hbt.elapse(10_000_000) == 0:
        steps += 1
        quote_asset(hbt, 0, 5.0, 100.0)
    return steps


def run(events):
    asset = (
        BacktestAsset()
        .data(events)
        .linear_asset(1.0)
        .constant_order_latency(50_000_000, 50_000_000)
        .risk_adverse_queue_model()
        .no_partial_fill_exchange()
        .trading_value_fee_model(0.0, 0.0)
        .tick_size(TICK)
        .lot_size(LOT)
    )
    hbt = HashMapMarketDepthBacktest([asset])
    start = time.perf_counter()
    steps = market_maker(hbt)
    elapsed = time.perf_counter() - start
    position = hbt.position(0)
    hbt.close()
    return elapsed, steps, position


def main():
    events = load_events(sys.argv[1])
    run(events[: min(len(events), 20_000)].copy())  # JIT warm-up, untimed
    elapsed, steps, position = run(events)
    print(
        json.dumps(
            {
                "peer": "hftbacktest",
                "events": int(len(events)),
                "steps": int(steps),
                "wall_s": elapsed,
                "events_per_s": len(events) / elapsed,
                "final_position": float(position),
            }
        )
    )


if __name__ == "__main__":
    main()
