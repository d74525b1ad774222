#!/usr/bin/env python3
"""Writes fixtures/trades/kxdepth_a_trades.csv: the taker trades of KXDEPTH-A in
fixtures/depth/two_markets.csv, in the `import --trades` CSV format (Unix ns, no ticker column:
`import --market` supplies it). A trade at the ask is a taker buying YES, at the bid selling."""
import calendar
import sys
import time

SOURCE = "fixtures/depth/two_markets.csv"
MARKET = "KXDEPTH-A"


def main() -> None:
    out = sys.stdout
    out.write("ts_ns,yes_price,count,taker_side,trade_id\n")
    with open(SOURCE, encoding="utf-8") as rows:
        header = rows.readline().strip().split(",")
        for number, line in enumerate(rows, start=2):
            row = dict(zip(header, line.strip().split(",")))
            if row.get("ticker") != MARKET or row.get("kind") != "trade":
                continue
            seconds = calendar.timegm(time.strptime(row["ts"], "%Y-%m-%dT%H:%M:%SZ"))
            side = "yes" if row["side"] == "ask" else "no"
            out.write(f"{seconds * 1_000_000_000},{row['price']},{row['size']},{side},d{number}\n")


if __name__ == "__main__":
    main()
