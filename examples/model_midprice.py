#!/usr/bin/env python3
"""A small example model for `kalshi-bot run-strategy --model-file` and `backtest --model`.

It reads the public order book of each market from a Kalshi-compatible REST API (the local
exchange of `kalshi-bot sim-exchange` by default; public data, no key), turns it into a YES
probability, and appends one `ts,ticker,probability` line per market to the model file every
few seconds. The "model" is deliberately simple: the book's mid, leaned toward a constant
belief (`--lean`), so the effect on the bot's quotes is easy to see.

Standard library only. Stop it with Ctrl-C.

    python3 examples/model_midprice.py --api http://127.0.0.1:8080/trade-api/v2 \
        --market KXSIM-000 --out model.csv --lean 0.9 --weight 0.5
"""

import argparse
import json
import sys
import time
import urllib.request


def best_prices(api, ticker):
    """Best YES bid and best YES ask in dollars (None when a side is empty)."""
    with urllib.request.urlopen(f"{api}/markets/{ticker}/orderbook", timeout=5) as response:
        body = json.load(response)
    # Current shape: orderbook_fp with dollar strings; both sides are bids (a NO bid at q is a
    # YES ask at 1 - q). The legacy `orderbook` key carries the same in `*_dollars`.
    book = body.get("orderbook_fp") or body.get("orderbook") or {}
    yes = book.get("yes_dollars") or []
    no = book.get("no_dollars") or []

    def price(level):
        return float(level[0])

    best_bid = max((price(level) for level in yes), default=None)
    best_no_bid = max((price(level) for level in no), default=None)
    best_ask = None if best_no_bid is None else 1.0 - best_no_bid
    return best_bid, best_ask


def estimate(best_bid, best_ask, lean, weight):
    """The model: mid of the book (or its one side), pulled toward `lean` by `weight`, kept
    inside 1%..99%; None for an empty book."""
    sides = [price for price in (best_bid, best_ask) if price is not None]
    if not sides:
        return None
    mid = sum(sides) / len(sides)
    value = (1.0 - weight) * mid + weight * lean
    return min(0.99, max(0.01, value))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8080/trade-api/v2")
    parser.add_argument("--market", action="append", required=True, help="repeatable")
    parser.add_argument("--out", required=True, help="the model file to append to")
    parser.add_argument("--lean", type=float, default=0.5)
    parser.add_argument("--weight", type=float, default=0.0)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between rounds")
    parser.add_argument("--rounds", type=int, default=0, help="0: until Ctrl-C")
    args = parser.parse_args()

    done = 0
    while args.rounds == 0 or done < args.rounds:
        now = time.time()
        lines = []
        for ticker in args.market:
            try:
                bid, ask = best_prices(args.api, ticker)
            except OSError as error:
                print(f"{ticker}: {error}", file=sys.stderr)
                continue
            value = estimate(bid, ask, args.lean, args.weight)
            if value is not None:
                lines.append(f"{now:.3f},{ticker},{value:.6f}\n")
        # One write per round, whole lines only: the bot reads complete lines.
        with open(args.out, "a", encoding="utf-8") as out:
            out.writelines(lines)
        done += 1
        if args.rounds == 0 or done < args.rounds:
            time.sleep(args.every)


if __name__ == "__main__":
    main()
