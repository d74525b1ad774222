#!/usr/bin/env python3
"""Writes fixtures/depth/two_markets.csv: a synthetic L2 stream in the `import --depth`
format (absolute level sizes plus trades) for two markets over 10 minutes.

Deterministic (fixed seed). Each market's hidden value walks; every second a few levels
within 5 cents of it are reset to new sizes, and now and then a taker trades at the touch,
which also shrinks that level. Prices are on the cent grid, sizes whole contracts.
Usage: python3 scripts/gen_depth_fixture.py > fixtures/depth/two_markets.csv
"""

import random

START_S = 1_793_491_200  # 2026-11-01T00:00:00Z
SECONDS = 600


def main() -> None:
    rng = random.Random(20261101)
    print("ts,ticker,kind,side,price,size,source")
    markets = {"KXDEPTH-A": 45, "KXDEPTH-B": 70}  # hidden value, cents
    books = {ticker: {"bid": {}, "ask": {}} for ticker in markets}
    for second in range(SECONDS):
        ts = START_S + second
        stamp = f"{ts_text(ts)}"
        for ticker in markets:
            value = markets[ticker]
            if rng.random() < 0.05:
                value = min(90, max(10, value + rng.choice((-1, 1))))
                markets[ticker] = value
            book = books[ticker]
            for side in ("bid", "ask"):
                # Drop levels that crossed the new value.
                for price in list(book[side]):
                    crossed = price >= value if side == "bid" else price <= value
                    if crossed:
                        del book[side][price]
                        print(f"{stamp},{ticker},book,{side},{price / 100:.2f},0,synthetic")
                for _ in range(rng.randint(0, 2)):
                    offset = rng.randint(1, 5)
                    price = value - offset if side == "bid" else value + offset
                    size = rng.randint(0, 40) if rng.random() < 0.8 else 0
                    if size == 0 and price not in book[side]:
                        continue
                    if size == 0:
                        del book[side][price]
                    else:
                        book[side][price] = size
                    print(f"{stamp},{ticker},book,{side},{price / 100:.2f},{size},synthetic")
            if rng.random() < 0.15:
                taker = rng.choice(("bid", "ask"))
                resting = "ask" if taker == "bid" else "bid"
                if book[resting]:
                    price = min(book[resting]) if resting == "ask" else max(book[resting])
                    count = min(book[resting][price], rng.randint(1, 10))
                    print(f"{stamp},{ticker},trade,{taker},{price / 100:.2f},{count},synthetic")
                    left = book[resting][price] - count
                    if left == 0:
                        del book[resting][price]
                    else:
                        book[resting][price] = left
                    print(f"{stamp},{ticker},book,{resting},{price / 100:.2f},{left},synthetic")


def ts_text(ts: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


if __name__ == "__main__":
    main()
