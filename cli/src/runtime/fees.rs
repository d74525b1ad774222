//! Fee parameters for every listed market, read from the exchange instead of assumed.
//!
//! A market's fees come from its series (`fee_type`, `fee_multiplier`) unless its event
//! overrides them (`fee_type_override`, `fee_multiplier_override`). One directory read costs a
//! few requests whatever the number of markets: `GET /events?status=open` (200 events a page),
//! `GET /series` (every series in one answer), a `GET /events/{event_ticker}` or
//! `GET /series/{series_ticker}` only for the few the lists did not hold, and
//! `GET /series/fee_changes` for the changes scheduled ahead. Each listing (startup and every
//! rescan) gets its fees from a fresh directory before it reaches the engine, so the journal
//! holds the parameters every decision was priced with.
//!
//! A market whose parameters cannot be read gets the fee type [`FEE_TYPE_UNREADABLE`]: the
//! scanner drops it as `fee_unknown` and the EV gate cannot price it, so it is never quoted
//! with a guessed schedule. A scheduled change reaches the engine at its time as a journaled
//! `Event::FeesChanged` ([`FeeDirectory::scheduled_changes`], [`spawn_fee_changes`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kalshi_core::events::{Event, MarketFee};
use kalshi_core::market_data::{FeeParams, MarketInfo};
use kalshi_io::data_rest::RestClient;
use kalshi_io::data_rest::queries::{EventStatusFilter, EventsQuery};
use kalshi_io::normalize::{event_fee_params_over, fee_params};
use kalshi_io::wire::event::{Event as WireEvent, Series};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::clock::now_ns;
use super::timers::Input;

/// The fee type given to a market whose parameters could not be read.
pub const FEE_TYPE_UNREADABLE: &str = "unreadable";

/// Events read one by one at most per directory read (beyond the open-events pages).
const SINGLE_EVENT_READS_MAX: usize = 50;

/// One fee change the exchange announced for a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledSeriesChange {
    /// When it takes effect, Unix ns.
    pub at_ns: i64,
    /// The series.
    pub series_ticker: String,
    /// The series' fee parameters from then on (fields the change leaves out keep their value).
    pub fee: FeeParams,
}

/// What the exchange says about the fees of the listed markets' events and series.
#[derive(Debug, Clone, Default)]
pub struct FeeDirectory {
    events: BTreeMap<String, WireEvent>,
    series: BTreeMap<String, Series>,
    changes: Vec<ScheduledSeriesChange>,
}

impl FeeDirectory {
    /// Reads the directory for `markets`. Reads that fail leave their markets unreadable
    /// (logged); only markets without an event ticker cannot be resolved at all.
    pub async fn read(rest: &RestClient, markets: &[MarketInfo]) -> FeeDirectory {
        let mut directory = FeeDirectory::default();
        let query = EventsQuery {
            status: Some(EventStatusFilter::Open),
            limit: Some(200),
            ..EventsQuery::default()
        };
        match rest.collect_events(&query).await {
            Ok(events) => {
                for event in events {
                    directory.events.insert(event.event_ticker.clone(), event);
                }
            }
            Err(error) => tracing::warn!(%error, "GET /events failed; reading events one by one"),
        }
        let missing: BTreeSet<&str> = markets
            .iter()
            .map(|market| market.event_ticker.as_str())
            .filter(|event| !event.is_empty() && !directory.events.contains_key(*event))
            .collect();
        for event_ticker in missing.into_iter().take(SINGLE_EVENT_READS_MAX) {
            match rest.get_event(event_ticker, false).await {
                Ok(response) => {
                    directory
                        .events
                        .insert(event_ticker.to_string(), response.event);
                }
                Err(error) => {
                    tracing::warn!(%event_ticker, %error, "event unreadable; its markets' fees are unknown");
                }
            }
        }
        match rest.get_series_list().await {
            Ok(series) => {
                for one in series {
                    directory.series.insert(one.ticker.clone(), one);
                }
            }
            Err(error) => tracing::warn!(%error, "GET /series failed; reading series one by one"),
        }
        let wanted: BTreeSet<String> = directory
            .events
            .values()
            .map(|event| event.series_ticker.clone())
            .filter(|series| !series.is_empty() && !directory.series.contains_key(series))
            .collect();
        for series_ticker in wanted {
            match rest.get_series(&series_ticker).await {
                Ok(series) => {
                    directory.series.insert(series_ticker, series);
                }
                Err(error) => {
                    tracing::warn!(%series_ticker, %error, "series unreadable; its markets' fees are unknown");
                }
            }
        }
        match rest.get_series_fee_changes().await {
            Ok(changes) => directory.changes = directory.scheduled(&changes),
            Err(error) => {
                tracing::warn!(%error, "GET /series/fee_changes failed; no scheduled fee change is followed");
            }
        }
        directory
    }

    /// Turns announced changes into dated series parameters (changes without a readable time
    /// or series are left out, logged).
    fn scheduled(
        &self,
        changes: &[kalshi_io::wire::event::SeriesFeeChange],
    ) -> Vec<ScheduledSeriesChange> {
        let mut scheduled = Vec::new();
        for change in changes {
            let at_ns = change
                .scheduled_ts
                .as_deref()
                .and_then(|text| kalshi_io::time::parse_rfc3339_ns(text).ok());
            let current = self.series.get(&change.series_ticker).and_then(fee_params);
            let fee_type = change
                .fee_type
                .clone()
                .or_else(|| current.as_ref().map(|fee| fee.fee_type.clone()));
            let (Some(at_ns), Some(fee_type)) = (at_ns, fee_type) else {
                tracing::warn!(series = %change.series_ticker, "fee change without a time or fee type left out");
                continue;
            };
            let multiplier_ppm = change
                .fee_multiplier
                .map(|multiplier| multiplier.ppm)
                .or_else(|| current.as_ref().map(|fee| fee.multiplier_ppm))
                .unwrap_or(1_000_000);
            scheduled.push(ScheduledSeriesChange {
                at_ns,
                series_ticker: change.series_ticker.clone(),
                fee: FeeParams {
                    fee_type,
                    multiplier_ppm,
                },
            });
        }
        scheduled.sort_by(|a, b| (a.at_ns, &a.series_ticker).cmp(&(b.at_ns, &b.series_ticker)));
        scheduled
    }

    /// The fee parameters of `market` now: the event's overrides, else its series' values;
    /// [`FEE_TYPE_UNREADABLE`] when neither could be read.
    pub fn fee_of(&self, market: &MarketInfo) -> FeeParams {
        self.fee_with(market, None)
    }

    /// The fee parameters of `market` with `series_fee` standing for its series' values.
    fn fee_with(&self, market: &MarketInfo, series_fee: Option<(&str, &FeeParams)>) -> FeeParams {
        let unreadable = FeeParams {
            fee_type: FEE_TYPE_UNREADABLE.to_string(),
            multiplier_ppm: 0,
        };
        let Some(event) = self.events.get(&market.event_ticker) else {
            return unreadable;
        };
        let series = match series_fee {
            Some((ticker, fee)) if ticker == event.series_ticker => Some(fee.clone()),
            _ => self.series.get(&event.series_ticker).and_then(fee_params),
        };
        event_fee_params_over(event, series).unwrap_or(unreadable)
    }

    /// Sets every market's fee parameters (see [`FeeDirectory::fee_of`]); returns how many
    /// stayed unreadable.
    pub fn apply(&self, markets: &mut [MarketInfo]) -> usize {
        let mut unreadable = 0;
        for market in markets.iter_mut() {
            let fee = self.fee_of(market);
            if fee.fee_type == FEE_TYPE_UNREADABLE {
                unreadable += 1;
            }
            market.fee = Some(fee);
        }
        unreadable
    }

    /// The scheduled changes still ahead of `now_ns`, as the engine inputs to send at their
    /// times: for each, every market of `markets` whose effective fee it changes.
    pub fn scheduled_changes(&self, markets: &[MarketInfo], now_ns: i64) -> Vec<(i64, Event)> {
        let mut out = Vec::new();
        for change in self.changes.iter().filter(|change| change.at_ns > now_ns) {
            let fees: Vec<MarketFee> = markets
                .iter()
                .filter_map(|market| {
                    let after =
                        self.fee_with(market, Some((change.series_ticker.as_str(), &change.fee)));
                    (after != self.fee_of(market)).then(|| MarketFee {
                        ticker: market.ticker.clone(),
                        fee: after,
                    })
                })
                .collect();
            if !fees.is_empty() {
                out.push((change.at_ns, Event::FeesChanged(fees)));
            }
        }
        out
    }
}

/// Sends each scheduled fee change as an input when its time comes.
pub fn spawn_fee_changes(
    changes: Vec<(i64, Event)>,
    inputs: mpsc::Sender<Input>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        for (at_ns, event) in changes {
            let wait_ns = at_ns.saturating_sub(now_ns()).max(0);
            tokio::time::sleep(Duration::from_nanos(u64::try_from(wait_ns).unwrap_or(0))).await;
            tracing::info!(%event, "a scheduled fee change takes effect");
            let input = Input::Events {
                recv_ts_ns: now_ns(),
                events: vec![event],
            };
            if inputs.send(input).await.is_err() {
                return;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use kalshi_io::wire::event::FeeMultiplier;

    use super::*;

    fn market(ticker: &str, event: &str) -> MarketInfo {
        let mut info =
            kalshi_core::market_state::MarketState::from_ticker(ticker, Default::default())
                .info()
                .clone();
        info.event_ticker = event.to_string();
        info
    }

    fn series(ticker: &str, fee_type: &str, ppm: i64) -> Series {
        Series {
            ticker: ticker.to_string(),
            fee_type: Some(fee_type.to_string()),
            fee_multiplier: Some(FeeMultiplier { ppm }),
            ..Series::default()
        }
    }

    fn event(ticker: &str, series: &str) -> WireEvent {
        WireEvent {
            event_ticker: ticker.to_string(),
            series_ticker: series.to_string(),
            ..WireEvent::default()
        }
    }

    fn directory() -> FeeDirectory {
        let mut directory = FeeDirectory::default();
        for one in [
            series("KXPLAIN", "quadratic", 1_000_000),
            series("KXMAKER", "quadratic_with_maker_fees", 1_500_000),
        ] {
            directory.series.insert(one.ticker.clone(), one);
        }
        let mut overridden = event("KXMAKER-OVR", "KXMAKER");
        overridden.fee_multiplier_override = Some(FeeMultiplier { ppm: 500_000 });
        for one in [
            event("KXPLAIN-A", "KXPLAIN"),
            event("KXMAKER-B", "KXMAKER"),
            overridden,
        ] {
            directory.events.insert(one.event_ticker.clone(), one);
        }
        directory
    }

    fn fee(fee_type: &str, multiplier_ppm: i64) -> FeeParams {
        FeeParams {
            fee_type: fee_type.to_string(),
            multiplier_ppm,
        }
    }

    #[test]
    fn series_values_event_overrides_and_unreadable_markets() {
        let directory = directory();
        let mut markets = vec![
            market("KXPLAIN-A-1", "KXPLAIN-A"),
            market("KXMAKER-B-1", "KXMAKER-B"),
            market("KXMAKER-OVR-1", "KXMAKER-OVR"),
            market("KXNOWHERE-1", "KXNOWHERE"),
        ];
        assert_eq!(directory.apply(&mut markets), 1);
        let fees: Vec<FeeParams> = markets.iter().map(|m| m.fee.clone().unwrap()).collect();
        assert_eq!(
            fees,
            [
                fee("quadratic", 1_000_000),
                fee("quadratic_with_maker_fees", 1_500_000),
                fee("quadratic_with_maker_fees", 500_000),
                fee(FEE_TYPE_UNREADABLE, 0),
            ]
        );
    }

    #[test]
    fn a_scheduled_change_reaches_the_markets_it_changes_at_its_time() {
        let mut directory = directory();
        let change = kalshi_io::wire::event::SeriesFeeChange {
            id: Some("c1".to_string()),
            series_ticker: "KXMAKER".to_string(),
            fee_type: None,
            fee_multiplier: Some(FeeMultiplier { ppm: 2_000_000 }),
            scheduled_ts: Some("2026-12-07T00:00:00Z".to_string()),
        };
        directory.changes = directory.scheduled(&[change]);
        let markets = vec![
            market("KXPLAIN-A-1", "KXPLAIN-A"),
            market("KXMAKER-B-1", "KXMAKER-B"),
            // The event's own multiplier override still wins: no change for it.
            market("KXMAKER-OVR-1", "KXMAKER-OVR"),
        ];
        let at_ns = kalshi_io::time::parse_rfc3339_ns("2026-12-07T00:00:00Z").unwrap();
        let due = directory.scheduled_changes(&markets, at_ns - 1);
        assert_eq!(
            due,
            vec![(
                at_ns,
                Event::FeesChanged(vec![MarketFee {
                    ticker: "KXMAKER-B-1".to_string(),
                    fee: fee("quadratic_with_maker_fees", 2_000_000),
                }])
            )]
        );
        // Past changes are not sent again.
        assert!(directory.scheduled_changes(&markets, at_ns).is_empty());
    }
}
