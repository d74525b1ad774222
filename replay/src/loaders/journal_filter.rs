//! A journal's inputs, filtered by market and time: the market data of a live or backtest run
//! to feed a what-if backtest.

use std::collections::BTreeSet;

use kalshi_core::events::{Envelope, Event};
use kalshi_journal::JournalRecord;

use crate::error::ReplayError;
use crate::record::RecordSource;

/// Which inputs to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputFilter {
    /// Markets to keep (empty: all). Listings are narrowed to these; events that name no
    /// market (timers, exchange status, controls) are always kept.
    pub tickers: BTreeSet<String>,
    /// Keep inputs at or after this time, Unix ns.
    pub from_ns: Option<i64>,
    /// Keep inputs before this time, Unix ns.
    pub to_ns: Option<i64>,
}

impl InputFilter {
    /// Applies the filter to one input; `None` drops it.
    pub fn apply(&self, envelope: Envelope) -> Option<Envelope> {
        if self.from_ns.is_some_and(|from| envelope.ts_ns < from)
            || self.to_ns.is_some_and(|to| envelope.ts_ns >= to)
        {
            return None;
        }
        if self.tickers.is_empty() {
            return Some(envelope);
        }
        match envelope.event {
            Event::MarketListing(listings) => {
                let kept: Vec<_> = listings
                    .into_iter()
                    .filter(|info| self.tickers.contains(&info.ticker))
                    .collect();
                (!kept.is_empty()).then_some(Envelope {
                    event: Event::MarketListing(kept),
                    ..envelope
                })
            }
            ref event => match event.ticker() {
                Some(ticker) if !self.tickers.contains(ticker) => None,
                _ => Some(envelope),
            },
        }
    }
}

/// The inputs of `source` that pass `filter`, in journal order (seqs as journaled).
pub fn load_inputs(
    source: &mut dyn RecordSource,
    filter: &InputFilter,
) -> Result<Vec<Envelope>, ReplayError> {
    let mut inputs = Vec::new();
    while let Some(record) = source.next_record()? {
        if let JournalRecord::Input(envelope) = record
            && let Some(kept) = filter.apply(envelope)
        {
            inputs.push(kept);
        }
    }
    Ok(inputs)
}
