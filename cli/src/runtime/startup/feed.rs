//! The market feed at startup: the listing picks the universe, the WebSocket is subscribed
//! first (so nothing after the reconciliation read can be missed), the REST snapshots of the
//! chosen markets are stepped, and startup waits for the socket's first event.

use super::*;

fn aborted(reason: &'static str, error: anyhow::Error) -> Aborted {
    Aborted { reason, error }
}

/// Lists the markets, subscribes the socket, steps the snapshots and the socket's first
/// event. `Err` is a failure to journal (the run fails as it stands); `Ok(Err)` a startup
/// that cannot go on.
pub(super) async fn subscribe(
    options: &RunOptions,
    started: &Started<'_>,
    sequencer: &mut Sequencer,
) -> anyhow::Result<Result<Feed, Aborted>> {
    let Started {
        connection,
        rest,
        signals,
        ..
    } = *started;
    let runtime = &options.runtime;
    let (markets, fee_changes) =
        match unless_stopped(signals, load_universe(options, rest, sequencer)).await {
            Ok(universe) => universe,
            Err(error) => {
                let reason = startup_end_reason(&error, "listing_failed");
                return Ok(Err(aborted(reason, error)));
            }
        };
    tracing::info!(markets = ?markets, "subscribing");

    // The socket first, so nothing after the reconciliation read is missed.
    let mut ws_config = WsConfig::new(connection.endpoints.clone(), markets.clone());
    if !options.sends_orders() {
        ws_config.channels = vec![
            Channel::OrderbookDelta,
            Channel::Trade,
            Channel::MarketLifecycleV2,
        ];
    }
    ws_config.capture_raw = runtime.capture_raw_frames;
    ws_config.dead_after = seconds(runtime.ws_dead_after_s);
    let (ws, mut ws_events) = spawn_ws(ws_config, Arc::clone(&connection.credentials));

    let snapshots = unless_stopped(
        signals,
        fetch_snapshots(
            rest,
            &markets,
            runtime,
            activity_reads(options).as_ref(),
            sequencer,
        ),
    )
    .await;
    if let Err(error) = snapshots {
        let _ = ws.shutdown().await;
        let reason = startup_end_reason(&error, "snapshots_failed");
        return Ok(Err(aborted(reason, error)));
    }
    let mut ws_generation = 0;
    if !markets.is_empty() {
        match first_event(options, signals, sequencer, &mut ws_events).await? {
            Ok(generation) => ws_generation = generation,
            Err(failed) => {
                let _ = ws.shutdown().await;
                return Ok(Err(failed));
            }
        }
    }
    Ok(Ok(Feed {
        fee_changes,
        ws,
        ws_events,
        ws_generation,
    }))
}

/// Waits for the socket's first event (within `runtime.ws_ready_timeout_s`) and steps it;
/// returns its socket generation.
async fn first_event(
    options: &RunOptions,
    signals: &SignalWatch,
    sequencer: &mut Sequencer,
    ws_events: &mut mpsc::Receiver<IoEvent>,
) -> anyhow::Result<Result<u64, Aborted>> {
    let ready_timeout_s = options.runtime.ws_ready_timeout_s;
    let first = unless_stopped(signals, async {
        Ok(tokio::time::timeout(seconds(ready_timeout_s), ws_events.recv()).await)
    })
    .await;
    let first = match first {
        Ok(first) => first,
        Err(error) => {
            let reason = startup_end_reason(&error, "startup_failed");
            return Ok(Err(aborted(reason, error)));
        }
    };
    match first {
        Ok(Some(IoEvent {
            recv_ts_ns,
            generation,
            event,
            raw_frame,
        })) => {
            sequencer.step(recv_ts_ns, event, raw_frame)?;
            Ok(Ok(generation))
        }
        Ok(None) | Err(_) => Ok(Err(aborted(
            "websocket_unavailable",
            anyhow::anyhow!(
                "the WebSocket delivered nothing within {} s; refusing to trade without a live \
                 feed",
                ready_timeout_s
            ),
        ))),
    }
}
