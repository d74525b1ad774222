"""The hftbacktest peers' market maker for one asset, shared by `hftbacktest_mm.py` and
`hftbacktest_roivector.py`: three post-only rungs per side at and behind the touch, `rung_qty`
contracts each, within `position_max` either way; a resting rung that drifted away from those
three levels is cancelled. Numba-compiled; call it once per asset at every step."""

from numba import njit

from hftbacktest import GTX, LIMIT


@njit
def quote_asset(hbt, asset_no, rung_qty, position_max):
    hbt.clear_inactive_orders(asset_no)
    depth = hbt.depth(asset_no)
    best_bid_tick = depth.best_bid_tick
    best_ask_tick = depth.best_ask_tick
    if best_bid_tick <= 0 or best_ask_tick >= 100 or best_bid_tick >= best_ask_tick:
        return
    position = hbt.position(asset_no)
    orders = hbt.orders(asset_no)
    values = orders.values()
    while values.has_next():
        order = values.get()
        if order.cancellable:
            if order.side == 1:
                if order.price_tick > best_bid_tick or order.price_tick < best_bid_tick - 2:
                    hbt.cancel(asset_no, order.order_id, False)
            else:
                if order.price_tick < best_ask_tick or order.price_tick > best_ask_tick + 2:
                    hbt.cancel(asset_no, order.order_id, False)
    for i in range(3):
        bid_tick = best_bid_tick - i
        ask_tick = best_ask_tick + i
        if position < position_max and bid_tick > 0 and not orders.__contains__(bid_tick):
            hbt.submit_buy_order(asset_no, bid_tick, bid_tick * 0.01, rung_qty, GTX, LIMIT, False)
        if position > -position_max and ask_tick < 100 and not orders.__contains__(ask_tick):
            hbt.submit_sell_order(asset_no, ask_tick, ask_tick * 0.01, rung_qty, GTX, LIMIT, False)
