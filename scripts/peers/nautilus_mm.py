"""Peer backtest: a simple market maker in NautilusTrader over the synthetic L2 stream.

Usage: python nautilus_mm.py <stream.csv>

Reads the stream written by `cargo run -p kalshi-replay --release --example
backtest_throughput -- <events> <stream.csv>` (rows `ts_ns,kind,side,price_micros,size_centi`),
turns snapshot levels and deltas into `OrderBookDelta`s (ADD / UPDATE / DELETE on an L2 book,
each its own batch) and trades into `TradeTick`s, and runs a `BacktestEngine` with one binary
option on a margin venue and a strategy that, whenever the touch moves, cancels its orders and
posts three post-only rungs per side (five contracts each) at and behind the touch within a
100-contract position limit. Prints one JSON line: events, wall seconds of `engine.run()`
(data conversion and engine setup are not timed), events/s. Trades may fill resting orders
(`trade_execution=True`), as our fill simulator lets them.
"""

import csv
import json
import sys
import time
from decimal import Decimal

from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import BookOrder, OrderBookDelta, TradeTick
from nautilus_trader.model.enums import (
    AccountType,
    AggressorSide,
    AssetClass,
    BookAction,
    BookType,
    OmsType,
    OrderSide,
    RecordFlag,
    TimeInForce,
)
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TradeId, Venue
from nautilus_trader.model.instruments import BinaryOption
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.trading.strategy import Strategy

VENUE = Venue("KALSHI")
INSTRUMENT_ID = InstrumentId(Symbol("KXBENCH-L2-M00"), VENUE)
TICK = Decimal("0.01")


def instrument(start_ns):
    return BinaryOption(
        instrument_id=INSTRUMENT_ID,
        raw_symbol=Symbol("KXBENCH-L2-M00"),
        asset_class=AssetClass.ALTERNATIVE,
        currency=USD,
        price_precision=2,
        size_precision=2,
        price_increment=Price.from_str("0.01"),
        size_increment=Quantity.from_str("0.01"),
        activation_ns=0,
        expiration_ns=start_ns + 30 * 86_400 * 1_000_000_000,
        ts_event=start_ns,
        ts_init=start_ns,
        maker_fee=Decimal(0),
        taker_fee=Decimal(0),
        outcome="Yes",
        description="synthetic L2 benchmark market",
    )


def load_data(path):
    data = []
    sizes = {}
    trades = 0
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            ts = int(row["ts_ns"])
            kind = row["kind"]
            side = OrderSide.BUY if row["side"] == "bid" else OrderSide.SELL
            px_micros = int(row["price_micros"])
            size_centi = int(row["size_centi"])
            price = Price(px_micros / 1_000_000, 2)
            if kind == "trade":
                trades += 1
                aggressor = AggressorSide.BUYER if side == OrderSide.BUY else AggressorSide.SELLER
                data.append(
                    TradeTick(
                        INSTRUMENT_ID, price, Quantity(size_centi / 100, 2), aggressor,
                        TradeId(f"t{trades}"), ts, ts,
                    )
                )
                continue
            key = (row["side"], px_micros)
            old = sizes.get(key, 0)
            new = size_centi if kind == "snap" else old + size_centi
            sizes[key] = new
            if new == 0:
                action = BookAction.DELETE
            elif old == 0:
                action = BookAction.ADD
            else:
                action = BookAction.UPDATE
            order = BookOrder(side, price, Quantity(new / 100, 2), 0)
            data.append(OrderBookDelta(INSTRUMENT_ID, action, order, RecordFlag.F_LAST, 0, ts, ts))
    return data


class MarketMakerConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId


class MarketMaker(Strategy):
    def __init__(self, config):
        super().__init__(config)
        self.touch = None
        self.quotes = 0

    def on_start(self):
        self.subscribe_order_book_deltas(self.config.instrument_id, book_type=BookType.L2_MBP)

    def on_order_book_deltas(self, deltas):
        book = self.cache.order_book(self.config.instrument_id)
        if book is None:
            return
        bid = book.best_bid_price()
        ask = book.best_ask_price()
        if bid is None or ask is None or bid >= ask or (bid, ask) == self.touch:
            return
        self.touch = (bid, ask)
        self.cancel_all_orders(self.config.instrument_id)
        position = self.portfolio.net_position(self.config.instrument_id)
        qty = Quantity(5, 2)
        for i in range(3):
            bid_px = bid.as_decimal() - TICK * i
            ask_px = ask.as_decimal() + TICK * i
            if position < 100 and bid_px > 0:
                self.submit_order(
                    self.order_factory.limit(
                        self.config.instrument_id, OrderSide.BUY, qty, Price(bid_px, 2),
                        time_in_force=TimeInForce.GTC, post_only=True,
                    )
                )
            if position > -100 and ask_px < 1:
                self.submit_order(
                    self.order_factory.limit(
                        self.config.instrument_id, OrderSide.SELL, qty, Price(ask_px, 2),
                        time_in_force=TimeInForce.GTC, post_only=True,
                    )
                )
            self.quotes += 1


def main():
    data = load_data(sys.argv[1])
    start_ns = data[0].ts_init
    engine = BacktestEngine(
        config=BacktestEngineConfig(
            trader_id="BENCH-001", logging=LoggingConfig(log_level="ERROR", bypass_logging=True)
        )
    )
    engine.add_venue(
        venue=VENUE,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=USD,
        starting_balances=[Money(1_000_000, USD)],
        book_type=BookType.L2_MBP,
        trade_execution=True,
    )
    engine.add_instrument(instrument(start_ns))
    engine.add_data(data)
    strategy = MarketMaker(MarketMakerConfig(instrument_id=INSTRUMENT_ID))
    engine.add_strategy(strategy)
    started = time.perf_counter()
    engine.run()
    elapsed = time.perf_counter() - started
    orders = len(engine.cache.orders())
    fills = sum(1 for order in engine.cache.orders() if order.filled_qty > 0)
    statuses = {}
    for order in engine.cache.orders():
        statuses[order.status_string()] = statuses.get(order.status_string(), 0) + 1
    engine.dispose()
    print(
        json.dumps(
            {
                "peer": "nautilus_trader",
                "events": len(data),
                "wall_s": elapsed,
                "events_per_s": len(data) / elapsed,
                "orders": orders,
                "orders_with_fills": fills,
                "order_statuses": statuses,
            }
        )
    )


if __name__ == "__main__":
    main()
