//! What the backtest's data holds — markets and time range — so a `--market` the data does
//! not have, or a window outside it, is refused with what *is* there instead of an all-zero
//! report.

use std::collections::{BTreeMap, BTreeSet};

use kalshi_core::events::Envelope;
use kalshi_io::time::format_rfc3339_seconds;

/// Markets (with their input counts) and the time range of a set of inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Inputs per market (inputs that name one).
    pub markets: BTreeMap<String, usize>,
    /// Time of the first input, Unix ns.
    pub first_ns: Option<i64>,
    /// Time of the last input, Unix ns.
    pub last_ns: Option<i64>,
}

impl Coverage {
    /// Adds `inputs`.
    pub fn add(&mut self, inputs: &[Envelope]) {
        for envelope in inputs {
            if let Some(ticker) = envelope.event.ticker() {
                *self.markets.entry(ticker.to_string()).or_default() += 1;
            }
            self.first_ns = Some(
                self.first_ns
                    .map_or(envelope.ts_ns, |t| t.min(envelope.ts_ns)),
            );
            self.last_ns = Some(
                self.last_ns
                    .map_or(envelope.ts_ns, |t| t.max(envelope.ts_ns)),
            );
        }
    }

    /// The requested markets with no input here.
    pub fn missing<'a>(&self, requested: &'a BTreeSet<String>) -> Vec<&'a str> {
        requested
            .iter()
            .filter(|ticker| !self.markets.contains_key(*ticker))
            .map(String::as_str)
            .collect()
    }

    /// "N markets (A, B, … and K more) from T1 to T2", or "no market data".
    pub fn describe(&self) -> String {
        const SHOWN_MAX: usize = 10;
        if self.markets.is_empty() {
            return "no market data".to_string();
        }
        let mut names: Vec<&str> = self
            .markets
            .keys()
            .take(SHOWN_MAX)
            .map(String::as_str)
            .collect();
        let more = self.markets.len().saturating_sub(SHOWN_MAX);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        names.sort_unstable();
        let range = match (self.first_ns, self.last_ns) {
            (Some(first), Some(last)) => format!(
                " from {} to {}",
                format_rfc3339_seconds(first),
                format_rfc3339_seconds(last)
            ),
            _ => String::new(),
        };
        format!(
            "{} market(s) ({}{more}){range}",
            self.markets.len(),
            names.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use kalshi_core::events::Event;
    use kalshi_core::market_data::PublicTrade;
    use kalshi_core::{BookSide, Count, Price};

    use super::*;

    fn trade(ticker: &str, ts_ns: i64) -> Envelope {
        Envelope {
            seq: 0,
            ts_ns,
            event: Event::PublicTrade(PublicTrade {
                trade_id: format!("t{ts_ns}"),
                ticker: ticker.to_string(),
                yes_price: Price::from_micros(500_000).unwrap(),
                count: Count::from_centi(100).unwrap(),
                taker_side: BookSide::Bid,
                ts_ns,
            }),
        }
    }

    #[test]
    fn names_missing_markets_and_describes_what_is_there() {
        let mut coverage = Coverage::default();
        coverage.add(&[
            trade("KXA-1", 1_000_000_000),
            trade("KXB-2", 61_000_000_000),
        ]);
        let requested: BTreeSet<String> =
            ["KXA-1", "KXNOPE"].iter().map(|s| s.to_string()).collect();
        assert_eq!(coverage.missing(&requested), vec!["KXNOPE"]);
        assert_eq!(
            coverage.describe(),
            "2 market(s) (KXA-1, KXB-2) from 1970-01-01T00:00:01Z to 1970-01-01T00:01:01Z"
        );
        assert_eq!(Coverage::default().describe(), "no market data");
    }
}
