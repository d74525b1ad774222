//! The client-side limiter never spends more than the exchange allows.
//!
//! A bursty request stream is driven through a client bucket (90 % margin) while an
//! exchange-side bucket of the full published size checks every request, as the exchange
//! would. Over ten simulated seconds the exchange must never reject, and in every window
//! the spent tokens must stay within `capacity + rate × window`.

use std::time::Duration;

use kalshi_io::ratelimit::{
    BucketKind, BucketSpec, DEFAULT_SAFETY_MARGIN_PERCENT, RateLimitError, RateLimiter, TierLimits,
    TokenBucket, UsageTier, bucket_of, cost_of,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const NS_PER_S: u64 = 1_000_000_000;

/// One simulated request: arrival time and cost.
struct Arrival {
    at_ns: u64,
    cost: u32,
}

/// Bursts of 0..60 requests every 0..300 ms, costs drawn from the real table.
fn bursty_arrivals(seed: u64, horizon_ns: u64) -> Vec<Arrival> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut arrivals = Vec::new();
    let mut now_ns = 0;
    while now_ns < horizon_ns {
        let burst = rng.gen_range(0..60);
        for _ in 0..burst {
            let cost = match rng.gen_range(0..4) {
                0 => cost_of("DELETE", "/portfolio/events/orders/x", 0),
                1 => cost_of("POST", "/portfolio/events/orders", 0),
                2 => cost_of(
                    "POST",
                    "/portfolio/events/orders/batched",
                    rng.gen_range(1..8),
                ),
                _ => cost_of(
                    "DELETE",
                    "/portfolio/events/orders/batched",
                    rng.gen_range(1..20),
                ),
            };
            arrivals.push(Arrival {
                at_ns: now_ns,
                cost,
            });
        }
        now_ns += rng.gen_range(0..300) * 1_000_000;
    }
    arrivals
}

/// Runs the arrivals FIFO through a client bucket, returning (send time, cost) per request.
fn schedule(spec: BucketSpec, arrivals: &[Arrival]) -> Vec<(u64, u32)> {
    let mut client = TokenBucket::with_margin(spec, DEFAULT_SAFETY_MARGIN_PERCENT, 0);
    let mut clock_ns = 0;
    let mut sent = Vec::new();
    for arrival in arrivals {
        clock_ns = clock_ns.max(arrival.at_ns);
        let wait = client
            .time_until_available(arrival.cost, clock_ns)
            .expect("every generated cost fits the bucket");
        clock_ns += u64::try_from(wait.as_nanos()).unwrap();
        assert!(
            client.try_take(arrival.cost, clock_ns),
            "tokens available after the wait"
        );
        sent.push((clock_ns, arrival.cost));
    }
    sent
}

#[test]
fn exchange_never_rejects_a_limited_client_over_ten_seconds() {
    for tier in [UsageTier::Basic, UsageTier::Advanced, UsageTier::Premier] {
        let spec = tier.limits().write;
        for seed in 0..20 {
            let arrivals = bursty_arrivals(seed, 10 * NS_PER_S);
            let sent = schedule(spec, &arrivals);
            assert_eq!(sent.len(), arrivals.len());
            let mut exchange = TokenBucket::new(spec, 0);
            for &(at_ns, cost) in &sent {
                assert!(
                    exchange.try_take(cost, at_ns),
                    "{tier:?} seed {seed}: exchange rejected {cost} tokens at {at_ns} ns"
                );
            }
            // Sliding-window check, independent of the bucket implementation.
            for (start, &(start_ns, _)) in sent.iter().enumerate() {
                for window_ns in [NS_PER_S / 10, NS_PER_S, 3 * NS_PER_S] {
                    let spent: u64 = sent[start..]
                        .iter()
                        .take_while(|(at_ns, _)| *at_ns < start_ns + window_ns)
                        .map(|&(_, cost)| u64::from(cost))
                        .sum();
                    let allowed = u64::from(spec.capacity)
                        + u64::from(spec.refill_per_s) * window_ns / NS_PER_S;
                    assert!(
                        spent <= allowed,
                        "{tier:?}: {spent} tokens in {window_ns} ns"
                    );
                }
            }
            // The stream was heavy enough that the limiter actually had to hold requests back.
            let last_arrival = arrivals.last().map_or(0, |a| a.at_ns);
            let last_send = sent.last().map_or(0, |s| s.0);
            if tier == UsageTier::Basic {
                assert!(
                    last_send > last_arrival,
                    "Basic tier must delay this stream"
                );
            }
        }
    }
}

#[test]
fn a_client_without_margin_that_ignores_the_bucket_would_be_rejected() {
    // Guard against a vacuous test: the same stream sent unthrottled overruns the exchange.
    let spec = UsageTier::Basic.limits().write;
    let arrivals = bursty_arrivals(3, 10 * NS_PER_S);
    let mut exchange = TokenBucket::new(spec, 0);
    let rejected = arrivals
        .iter()
        .filter(|arrival| !exchange.try_take(arrival.cost, arrival.at_ns))
        .count();
    assert!(rejected > 0);
}

#[tokio::test(start_paused = true)]
async fn async_limiter_waits_for_refill() {
    let limits = TierLimits {
        read: BucketSpec {
            refill_per_s: 100,
            capacity: 100,
        },
        write: BucketSpec {
            refill_per_s: 10,
            capacity: 20,
        },
    };
    let limiter = RateLimiter::new(limits, 100);
    let start = tokio::time::Instant::now();
    // The write bucket holds 20 tokens: two creates pass at once, the third waits 1 s.
    for _ in 0..2 {
        limiter
            .acquire_for("POST", "/trade-api/v2/portfolio/events/orders", 0)
            .await
            .unwrap();
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    limiter.acquire(BucketKind::Write, 10).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    // Reads are a separate bucket and are not held up by writes.
    limiter.acquire(BucketKind::Read, 100).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    // A batch larger than the bucket can never pass: typed error, no hang.
    let error = limiter
        .acquire_for("POST", "/portfolio/events/orders/batched", 3)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        RateLimitError::ExceedsCapacity {
            bucket: BucketKind::Write,
            cost: 30,
            capacity: 20
        }
    );
    assert_eq!(
        bucket_of("POST", "/portfolio/events/orders/batched"),
        BucketKind::Write
    );
}

#[tokio::test(start_paused = true)]
async fn after_a_429_the_limiter_waits_for_a_full_refill_of_the_cost() {
    let limiter = RateLimiter::new(UsageTier::Basic.limits(), 100);
    let start = tokio::time::Instant::now();
    limiter.note_rate_limited(BucketKind::Read).await;
    limiter.acquire(BucketKind::Read, 10).await.unwrap();
    // 200 tokens/s ⇒ 10 tokens take 50 ms.
    assert_eq!(start.elapsed(), Duration::from_millis(50));
    assert!(!limiter.try_acquire(BucketKind::Read, 10).await);
}

#[tokio::test(start_paused = true)]
async fn concurrent_waiters_are_served_within_budget() {
    let limiter = std::sync::Arc::new(RateLimiter::new(
        TierLimits {
            read: BucketSpec {
                refill_per_s: 100,
                capacity: 100,
            },
            write: BucketSpec {
                refill_per_s: 100,
                capacity: 100,
            },
        },
        100,
    ));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let limiter = limiter.clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire(BucketKind::Write, 10).await.unwrap();
            start.elapsed()
        }));
    }
    let mut grant_times = Vec::new();
    for task in tasks {
        grant_times.push(task.await.unwrap());
    }
    grant_times.sort();
    // 500 tokens at 100/s with 100 up front: the last grant comes at 4 s, none earlier
    // than the budget allows.
    for (index, granted) in grant_times.iter().enumerate() {
        let tokens_spent = (index as u64 + 1) * 10;
        let earliest_ms = tokens_spent.saturating_sub(100) * 10;
        assert!(
            granted.as_millis() as u64 >= earliest_ms,
            "grant {index} at {granted:?}"
        );
    }
    assert_eq!(*grant_times.last().unwrap(), Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn available_reports_the_bucket_without_taking_from_it() {
    let limiter = RateLimiter::new(UsageTier::Basic.limits(), 100);
    let (available, capacity) = limiter.available(BucketKind::Read).await;
    assert_eq!(available, capacity, "a new bucket is full");
    assert_eq!(
        limiter.available(BucketKind::Read).await,
        (capacity, capacity),
        "asking takes nothing"
    );
    limiter.acquire(BucketKind::Read, 10).await.unwrap();
    assert_eq!(
        limiter.available(BucketKind::Read).await,
        (capacity - 10, capacity)
    );
}
