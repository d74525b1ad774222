//! Fee parameters in force: each market's cached schedule (the event's overrides, else its
//! series' current values) and scheduled series fee changes (`GET /series/fee_changes`),
//! applied when the exchange clock reaches them. A fill is charged with the schedule cached
//! on its market, so charging stays O(1); a change costs one pass over the markets.

use kalshi_core::fees::FeeSchedule;

use super::ids::RawId;
use super::ids::format_uuid;
use super::market::{FeeType, SeriesFeeChangeView};
use super::{Exchange, ExchangeError, NS_PER_S, fees};

/// A change waiting for (or past) its time.
#[derive(Debug, Clone)]
pub(crate) struct ScheduledFeeChange {
    pub(crate) view: SeriesFeeChangeView,
    pub(crate) series: u32,
}

/// A valid schedule of `fee_type` × `multiplier_ppm`, or why not.
pub(crate) fn checked_schedule(
    what: &str,
    fee_type: FeeType,
    multiplier_ppm: i64,
) -> Result<FeeSchedule, ExchangeError> {
    if multiplier_ppm > fees::MULTIPLIER_MAX_PPM {
        return Err(ExchangeError::invalid_parameters(format!(
            "{what}: fee multiplier above 100 is not supported"
        )));
    }
    FeeSchedule::new(fee_type, multiplier_ppm)
        .map_err(|e| ExchangeError::invalid_parameters(format!("{what}: {e}")))
}

impl Exchange {
    /// The schedule in force for the markets of `event` (of `series`): each parameter the
    /// event overrides, else the series' current value.
    pub(crate) fn effective_fee(&self, series: u32, event: u32) -> FeeSchedule {
        let base = self.series_fees[series as usize];
        let spec = &self.events[event as usize];
        let fee_type = spec.fee_type_override.unwrap_or(base.fee_type());
        let multiplier_ppm = spec
            .fee_multiplier_override_ppm
            .unwrap_or(base.multiplier_ppm());
        // Both parts were validated when the series and the event were added.
        FeeSchedule::new(fee_type, multiplier_ppm).unwrap_or(base)
    }

    /// Schedules a change of `series_ticker`'s fee parameters at `at_ns` (Unix ns) rounded up
    /// to a whole second (Kalshi lists `scheduled_ts` in whole seconds, so a client reading it
    /// knows the exact instant); returns its id. A change whose time has passed applies at
    /// once (and is listed as historical).
    pub fn schedule_series_fee_change(
        &mut self,
        series_ticker: &str,
        at_ns: i64,
        fee_type: FeeType,
        fee_multiplier_ppm: i64,
    ) -> Result<String, ExchangeError> {
        let series =
            *self
                .series_index
                .get(series_ticker)
                .ok_or_else(|| ExchangeError::SeriesNotFound {
                    ticker: series_ticker.to_string(),
                })?;
        checked_schedule(
            &format!("fee change of series {series_ticker:?}"),
            fee_type,
            fee_multiplier_ppm,
        )?;
        let at_ns = at_ns
            .div_euclid(NS_PER_S)
            .saturating_add(i64::from(at_ns.rem_euclid(NS_PER_S) != 0))
            .saturating_mul(NS_PER_S);
        let number = u64::try_from(self.fee_changes.len()).unwrap_or(u64::MAX);
        let id = format_uuid(RawId {
            high: 0x5e71_e5fe_e000_4000,
            low: 0x8000_0000_0000_0000 | number,
        });
        let change = ScheduledFeeChange {
            view: SeriesFeeChangeView {
                id: id.clone(),
                series_ticker: series_ticker.to_string(),
                fee_type,
                fee_multiplier_ppm,
                scheduled_ns: at_ns,
            },
            series,
        };
        // Pending changes stay sorted by time (ties in the order they were scheduled).
        let pending = &self.fee_changes[self.fee_changes_applied..];
        let offset = pending.partition_point(|c| c.view.scheduled_ns <= at_ns);
        self.fee_changes
            .insert(self.fee_changes_applied + offset, change);
        self.apply_due_fee_changes();
        Ok(id)
    }

    /// `GET /series/fee_changes`: the changes of `series_ticker` (all series if `None`) still
    /// ahead, and with `show_historical` also those already applied; by time.
    pub fn series_fee_changes(
        &self,
        series_ticker: Option<&str>,
        show_historical: bool,
    ) -> Vec<SeriesFeeChangeView> {
        let from = if show_historical {
            0
        } else {
            self.fee_changes_applied
        };
        self.fee_changes[from..]
            .iter()
            .filter(|c| series_ticker.is_none_or(|t| c.view.series_ticker == t))
            .map(|c| c.view.clone())
            .collect()
    }

    /// Applies every pending change due at the current time: the series' values change, and
    /// so does the cached schedule of each of its markets whose event does not override both.
    pub(crate) fn apply_due_fee_changes(&mut self) {
        while let Some(change) = self.fee_changes.get(self.fee_changes_applied) {
            if change.view.scheduled_ns > self.now_ns {
                break;
            }
            let series = change.series;
            let (fee_type, multiplier_ppm) = (change.view.fee_type, change.view.fee_multiplier_ppm);
            self.fee_changes_applied += 1;
            let Ok(schedule) = FeeSchedule::new(fee_type, multiplier_ppm) else {
                continue;
            };
            self.series_fees[series as usize] = schedule;
            let spec = &mut self.series[series as usize];
            spec.fee_type = fee_type;
            spec.fee_multiplier_ppm = multiplier_ppm;
            for market in 0..self.markets.len() {
                let m = &self.markets[market];
                if m.series == series {
                    let fee = self.effective_fee(series, m.event);
                    self.markets[market].fee = fee;
                }
            }
        }
    }
}
