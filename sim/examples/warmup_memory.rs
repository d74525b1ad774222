//! Measures the local exchange's memory after the warm-up `run-strategy --sim` performs:
//! builds the server with N markets on a virtual clock that starts `warmup_s` in the past,
//! advances it to now in one call, and prints the process's peak and current resident size
//! (`VmHWM` / `VmRSS` from `/proc/self/status`) and the exchange's retained item counts.
//!
//! `cargo run --release -p kalshi-sim --example warmup_memory -- 2000 600`

use kalshi_sim::exchange::NS_PER_S;
use kalshi_sim::{ClockMode, SimConfig};

/// Reads one `Vm…` line of `/proc/self/status`, in kB.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let markets: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let warmup_s: i64 = args.next().map_or(Ok(600), |a| a.parse())?;
    let key_dir = std::env::temp_dir().join(format!("kalshi-sim-mem-{}", std::process::id()));
    let now_ns = kalshi_sim::Clock::Real.now_ns();
    let mut config = SimConfig {
        clock: ClockMode::Virtual,
        key_dir: key_dir.clone(),
        ..SimConfig::default()
    };
    config.exchange.start_ns = now_ns - warmup_s * NS_PER_S;
    config.exchange.catalog.market_count = markets;
    config.exchange.catalog.event_count =
        (markets / 5).clamp(1, config.exchange.catalog.event_count.max(1));
    // The flow `run-strategy --sim` configures by default (cli `[sim]` defaults).
    let flow = &mut config.exchange.flow;
    flow.noise_orders_per_hour = 14_400.0;
    flow.noise_cancels_per_hour = 12_000.0;
    flow.informed_checks_per_hour = 3_600.0;
    flow.informed_edge = 0.015;
    flow.drift_sigma_per_sqrt_hour = 6.0;
    flow.jumps_per_hour = 1.0;
    flow.noise_offset_max = 0.03;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let started = std::time::Instant::now();
        let handle = kalshi_sim::spawn(config).await?;
        handle.set_time(now_ns)?;
        let elapsed = started.elapsed();
        let counts = handle.with_exchange(|exchange, _| exchange.retained_counts());
        println!(
            "markets {markets} warmup_s {warmup_s}: warm-up {:.1} s, VmHWM {} kB, VmRSS {} kB",
            elapsed.as_secs_f64(),
            status_kb("VmHWM:").unwrap_or(0),
            status_kb("VmRSS:").unwrap_or(0),
        );
        println!("retained: {counts:?}");
        handle.shutdown().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let _ = std::fs::remove_dir_all(key_dir);
    Ok(())
}
