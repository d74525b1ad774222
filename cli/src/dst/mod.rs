//! Deterministic whole-system simulation (issue #9, "Deterministic simulation").
//!
//! The bot's real runtime pieces — the sequencer (engine + journal), the WebSocket session
//! state machine, the normalizers, the executor's outcome mapping — run against the local
//! exchange's matching engine and its server-side WebSocket session on a virtual clock, with
//! seeded faults on the feed (drop, duplicate, reorder, garble, reconnect) and on orders
//! (429, 5xx, 408, lost answers, failed lookups, a full exec queue). Invariants are checked
//! after every step ([`invariants`]); the same seed reproduces the same journal digest.
//!
//! Bounded form: `cargo test -p kalshi-bot dst` (also part of `cargo test --workspace`).
//! Long form: `KALSHI_DST_SEEDS=200 KALSHI_DST_STEPS=20000 cargo test -p kalshi-bot --release
//! dst -- --nocapture` (or `scripts/soak.sh`). `KALSHI_DST_SEEDS` takes a count (seeds 1..=N),
//! a list (`7,42`) or a range (`40..60`), so a failing seed reruns alone.

mod exec;
mod feed_faults;
mod invariants;
mod rng;
mod stats;
mod tests;
mod world;
