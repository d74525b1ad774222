//! The seeded fault injector between the exchange's WebSocket session and the bot's: drops,
//! duplicates, reorders and garbles data frames at seeded points. Acks and errors pass
//! untouched, as on the local exchange's own socket.
//!
//! Drops and garbling hit only sequenced frames (books, trades, lifecycle). Kalshi sends every
//! frame over one TCP stream, so a frame of an unsequenced private channel (`fill`,
//! `user_orders`, `market_positions`) is only ever lost together with the connection — which
//! the reconnect fault covers, followed by a REST reconciliation. A lost sequenced frame is
//! what the sequence check must catch. Duplicates and reorders hit every data frame.

use kalshi_io::wire::ws::decode_ws_frame;
use kalshi_sim::server::detached::DetachedFrame;

use super::rng::DstRng;
use super::stats::FaultCounts;

/// Per-million chances of each feed fault, per data frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedFaultRates {
    /// Drop a sequenced frame.
    pub drop_ppm: u64,
    /// Deliver a frame twice.
    pub duplicate_ppm: u64,
    /// Hold a frame back until after the next one.
    pub reorder_ppm: u64,
    /// Cut a sequenced frame short (undecodable).
    pub garble_ppm: u64,
}

impl FeedFaultRates {
    /// No faults (quiescent phases).
    pub const NONE: FeedFaultRates = FeedFaultRates {
        drop_ppm: 0,
        duplicate_ppm: 0,
        reorder_ppm: 0,
        garble_ppm: 0,
    };
}

/// The injector of one connection.
#[derive(Debug)]
pub struct FeedFaults {
    rng: DstRng,
    held: Option<String>,
}

impl FeedFaults {
    /// An injector drawing from `rng`.
    pub fn new(rng: DstRng) -> FeedFaults {
        FeedFaults { rng, held: None }
    }

    /// Passes `frames` through the faults, appending what reaches the bot to `out`.
    pub fn apply(
        &mut self,
        frames: Vec<DetachedFrame>,
        rates: FeedFaultRates,
        counts: &mut FaultCounts,
        out: &mut Vec<String>,
    ) {
        for frame in frames {
            let text = match frame {
                DetachedFrame::Control(text) => {
                    out.push(text);
                    continue;
                }
                DetachedFrame::Data(text) => text,
            };
            let sequenced = decode_ws_frame(&text).is_ok_and(|message| message.seq().is_some());
            let roll = self.rng.below(1_000_000);
            let mut bound = rates.drop_ppm;
            if sequenced && roll < bound {
                counts.feed_drop += 1;
                continue;
            }
            bound += rates.garble_ppm;
            if sequenced && roll < bound {
                counts.feed_garble += 1;
                let cut = text.len() / 2;
                let garbled: String = text.chars().take(cut).collect();
                self.send(garbled, out);
                continue;
            }
            bound += rates.duplicate_ppm;
            if roll < bound {
                counts.feed_duplicate += 1;
                self.send(text.clone(), out);
                self.send(text, out);
                continue;
            }
            bound += rates.reorder_ppm;
            if roll < bound && self.held.is_none() {
                counts.feed_reorder += 1;
                self.held = Some(text);
                continue;
            }
            self.send(text, out);
        }
    }

    /// Releases a held frame (end of a quiet period: nothing else is coming to overtake it).
    pub fn release(&mut self, out: &mut Vec<String>) {
        if let Some(held) = self.held.take() {
            out.push(held);
        }
    }

    /// Forgets a held frame (its socket is gone).
    pub fn forget(&mut self) {
        self.held = None;
    }

    fn send(&mut self, text: String, out: &mut Vec<String>) {
        out.push(text);
        if let Some(held) = self.held.take() {
            out.push(held);
        }
    }
}
