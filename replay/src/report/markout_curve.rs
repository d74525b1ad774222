//! The markout curve: how the market's mid moved after our fills, at horizons from 1 s to
//! 5 min, per contract and signed so that positive is good for us (a buy followed by a higher
//! mid). Computed from the chart series — each market's recorded touch and our fills — so
//! it costs the backtest nothing; a long run's touch is thinned (see
//! [`crate::series_thinning`]), which makes its mids approximate.

use kalshi_core::BookSide;

use crate::metrics::{QuoteSample, Series};

/// The horizons, ns.
pub const HORIZONS_NS: [i64; 7] = [
    1_000_000_000,
    5_000_000_000,
    15_000_000_000,
    30_000_000_000,
    60_000_000_000,
    120_000_000_000,
    300_000_000_000,
];

/// Labels of [`HORIZONS_NS`].
pub const HORIZON_LABELS: [&str; 7] = ["1 s", "5 s", "15 s", "30 s", "1 min", "2 min", "5 min"];

/// One horizon's average markout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkoutPoint {
    /// Index into [`HORIZONS_NS`].
    pub horizon: usize,
    /// Average markout, micro-dollars per contract (count-weighted).
    pub micros_per_contract: i64,
    /// Fills that reached the horizon with a two-sided book.
    pub fills: u64,
}

/// The mid (micro-dollars) of the last two-sided touch at or before `ts_ns`.
fn mid_at(samples: &[QuoteSample], ts_ns: i64) -> Option<i64> {
    let end = samples.partition_point(|sample| sample.ts_ns <= ts_ns);
    samples[..end]
        .iter()
        .rev()
        .find_map(|sample| match (sample.best_bid, sample.best_ask) {
            (Some(bid), Some(ask)) => Some((bid.micros() + ask.micros()) / 2),
            _ => None,
        })
}

/// The curve over every market's fills; horizons no fill reached are left out.
pub fn markout_curve(series: &Series) -> Vec<MarkoutPoint> {
    let mut sums = [0i128; 7];
    let mut weights = [0i128; 7];
    let mut counts = [0u64; 7];
    for (ticker, fills) in &series.fills {
        let Some(samples) = series.quotes.get(ticker) else {
            continue;
        };
        for fill in fills {
            let sign: i128 = match fill.side {
                BookSide::Bid => 1,
                BookSide::Ask => -1,
            };
            for (horizon, horizon_ns) in HORIZONS_NS.iter().enumerate() {
                let at = fill.ts_ns.saturating_add(*horizon_ns);
                if at > series.end_ts_ns {
                    continue;
                }
                let Some(mid) = mid_at(samples, at) else {
                    continue;
                };
                let weight = i128::from(fill.count.centi());
                sums[horizon] += sign * i128::from(mid - fill.price.micros()) * weight;
                weights[horizon] += weight;
                counts[horizon] += 1;
            }
        }
    }
    (0..HORIZONS_NS.len())
        .filter(|horizon| weights[*horizon] > 0)
        .map(|horizon| MarkoutPoint {
            horizon,
            micros_per_contract: i64::try_from(sums[horizon] / weights[horizon]).unwrap_or(0),
            fills: counts[horizon],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use kalshi_core::{Count, Price};

    use super::*;
    use crate::metrics::FillMark;

    fn sample(ts_ns: i64, bid_cents: i64, ask_cents: i64) -> QuoteSample {
        QuoteSample {
            ts_ns,
            best_bid: Price::from_cents(bid_cents).ok(),
            best_ask: Price::from_cents(ask_cents).ok(),
            our_bids: Vec::new(),
            our_asks: Vec::new(),
        }
    }

    #[test]
    fn a_buy_before_the_mid_rises_marks_out_positive_and_unreached_horizons_are_left_out() {
        let mut series = Series {
            end_ts_ns: 20_000_000_000,
            ..Series::default()
        };
        series.quotes.insert(
            "KX".to_string(),
            vec![sample(0, 40, 44), sample(3_000_000_000, 46, 48)],
        );
        series.fills.insert(
            "KX".to_string(),
            vec![
                FillMark {
                    ts_ns: 0,
                    price: Price::from_cents(42).unwrap(),
                    side: BookSide::Bid,
                    count: Count::from_centi(200).unwrap(),
                },
                FillMark {
                    ts_ns: 0,
                    price: Price::from_cents(42).unwrap(),
                    side: BookSide::Ask,
                    count: Count::from_centi(100).unwrap(),
                },
            ],
        );
        let curve = markout_curve(&series);
        // 1 s: mid 42 → both 0. 5 s and 15 s: mid 47 → buy +5¢ ×2, sell −5¢ ×1 → +5/3¢.
        assert_eq!(curve.len(), 3);
        assert_eq!(curve[0].micros_per_contract, 0);
        assert_eq!(curve[1].micros_per_contract, 16_666);
        assert_eq!(curve[2].horizon, 2);
        assert_eq!(curve[2].fills, 2);
    }
}
