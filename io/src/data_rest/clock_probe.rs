//! How far the exchange's clock is from ours: one unsigned `GET /exchange/status` and the
//! answer's `Date` header. Signed requests carry our millisecond clock, and the exchange
//! refuses timestamps too far from its own, so a drifted clock shows up as 401s on every
//! portfolio call; this reads the drift before that happens.

use reqwest::Method;

use super::{RestClient, RestRequest, transport_error};
use crate::error::RestError;

/// One reading of the exchange's clock against ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockProbe {
    /// The exchange's `Date` header, Unix ms (whole seconds: the header has no finer unit).
    pub exchange_date_ms: i64,
    /// Our clock when the request left, Unix ms.
    pub sent_ms: i64,
    /// Our clock when the answer's head arrived, Unix ms.
    pub received_ms: i64,
}

impl ClockProbe {
    /// The exchange's clock minus ours at the midpoint of the round trip, ms. The `Date`
    /// header is truncated to the second, so the reading is exact to about ±1 s plus half
    /// the round trip.
    pub fn skew_ms(&self) -> i64 {
        let midpoint_ms = self.sent_ms + (self.received_ms - self.sent_ms) / 2;
        // The header's second started up to 999 ms before the exchange's true time; count
        // from the middle of that second.
        self.exchange_date_ms + 500 - midpoint_ms
    }

    /// The round trip, ms.
    pub fn round_trip_ms(&self) -> i64 {
        self.received_ms - self.sent_ms
    }
}

impl RestClient {
    /// Reads the exchange's clock: one unsigned request, charged to the rate limiter, not
    /// retried (a retried reading would measure the retry, not the clock).
    pub async fn probe_clock(&self) -> Result<ClockProbe, RestError> {
        let request = RestRequest::new(Method::GET, "/exchange/status", super::AuthMode::Public);
        let endpoint = request.endpoint();
        let url = self.url_for(&request, &endpoint)?;
        if let Some(limiter) = &self.limiter {
            limiter
                .acquire_for("GET", url.path(), request.batch_len)
                .await
                .map_err(|source| RestError::RateLimit {
                    endpoint: endpoint.clone(),
                    source,
                })?;
        }
        let sent_ms = crate::clock::wall_clock_now().as_ms();
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|error| transport_error(&endpoint, &error))?;
        let received_ms = crate::clock::wall_clock_now().as_ms();
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| RestError::InvalidRequest {
                endpoint: endpoint.clone(),
                reason: "the answer carries no Date header".to_string(),
            })?;
        let exchange_date =
            httpdate::parse_http_date(date).map_err(|_| RestError::InvalidRequest {
                endpoint: endpoint.clone(),
                reason: format!("the Date header {date:?} is not an HTTP date"),
            })?;
        Ok(ClockProbe {
            exchange_date_ms: crate::clock::unix_nanos_of(exchange_date).as_ms(),
            sent_ms,
            received_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_counts_from_the_middle_of_the_round_trip_and_of_the_date_second() {
        let probe = ClockProbe {
            exchange_date_ms: 1_000_000,
            sent_ms: 999_900,
            received_ms: 1_000_100,
        };
        assert_eq!(probe.round_trip_ms(), 200);
        assert_eq!(probe.skew_ms(), 500);
        let ahead = ClockProbe {
            exchange_date_ms: 1_060_000,
            ..probe
        };
        assert_eq!(ahead.skew_ms(), 60_500);
    }
}
