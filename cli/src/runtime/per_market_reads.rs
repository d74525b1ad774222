//! Reads of one thing per market, a few at a time: each gets at most a timeout, and results
//! come out in the markets' order, so a journal's order never depends on which answer came
//! first and one hanging read costs only its own market.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt as _;
use kalshi_core::events::Event;

/// Startup's snapshot reads: `read(ticker)` for every market, `in_flight` at a time (the
/// rate limiter behind `read` still paces them), each given at most `timeout`; results come
/// out in `markets` order, so the journal's order does not depend on which answer was first.
/// A read that hangs costs its market `timeout`, never the markets after it.
pub fn snapshot_reads<'a, F, Fut>(
    markets: &'a [String],
    read: F,
    in_flight: usize,
    timeout: Duration,
) -> impl futures_util::Stream<Item = (&'a str, anyhow::Result<Vec<Event>>)> + 'a
where
    F: Fn(&'a str) -> Fut + 'a,
    Fut: Future<Output = anyhow::Result<Vec<Event>>> + 'a,
{
    futures_util::stream::iter(markets.iter().map(move |ticker| {
        let reading = read(ticker.as_str());
        async move {
            let result = match tokio::time::timeout(timeout, reading).await {
                Ok(result) => result,
                Err(_) => Err(anyhow::anyhow!("no answer within {} s", timeout.as_secs())),
            };
            (ticker.as_str(), result)
        }
    }))
    .buffered(in_flight.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn hanging_snapshot_reads_cost_their_own_markets_only_and_keep_their_order() {
        let markets: Vec<String> = (0..8).map(|n| format!("KXM-{n}")).collect();
        let started = tokio::time::Instant::now();
        let reads = snapshot_reads(
            &markets,
            |ticker| async move {
                if ticker.ends_with('3') || ticker.ends_with('5') {
                    std::future::pending::<()>().await;
                }
                Ok(vec![Event::Timer {
                    kind: kalshi_core::events::TimerKind::Tick,
                }])
            },
            4,
            std::time::Duration::from_secs(5),
        );
        futures_util::pin_mut!(reads);
        let mut seen = Vec::new();
        while let Some((ticker, result)) = reads.next().await {
            seen.push((ticker.to_string(), result.is_ok()));
        }
        let expected: Vec<(String, bool)> = markets
            .iter()
            .map(|ticker| {
                (
                    ticker.clone(),
                    !(ticker.ends_with('3') || ticker.ends_with('5')),
                )
            })
            .collect();
        assert_eq!(seen, expected);
        // Two hangs read side by side: one timeout's worth, not one per market.
        assert_eq!(started.elapsed(), std::time::Duration::from_secs(5));
    }
}
