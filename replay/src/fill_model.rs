//! The fill model's settings: command latencies, where others' cancels sit relative to our
//! orders, and how fees are rounded, with their defaults and validation. The model they
//! tune is described in `fill_sim.rs`.

use serde::{Deserialize, Serialize};

use kalshi_core::fees::TargetPrecision;

use crate::error::ReplayError;
use crate::sim_book::CancelPosition;

/// How fill fees are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeRounding {
    /// 2025 schedule: each fill's fee rounded up to the cent.
    Classic,
    /// 2026 schedule: trade fee rounded up to $0.0001, then balance rounding at the account's
    /// target precision with $0.01 rebates per order (the default).
    #[default]
    Balance2026,
}

/// Where our order joins its price level when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueuePosition {
    /// Behind every visible contract at the level (price-time priority; the default).
    #[default]
    Back,
    /// Ahead of everything at the level: nothing ahead of us (optimistic).
    Front,
}

/// Fill-model settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FillModelConfig {
    /// Delay from a place/amend/lookup command to its arrival at the book, ns. Default 50 ms.
    pub entry_latency_ns: i64,
    /// Delay from a cancel/decrease command to its effect, ns. Default 50 ms.
    pub cancel_latency_ns: i64,
    /// Where others' cancels sit relative to us. Default `back`.
    pub cancel_position: CancelPosition,
    /// Fee rounding schedule. Default `balance2026`.
    pub fee_rounding: FeeRounding,
    /// Account balance precision for 2026 rounding, micro-dollars (10 000 or 100).
    pub fee_target_precision_micros: i64,
    /// Where our order joins its level on arrival. Default `back`.
    pub queue_position: QueuePosition,
}

impl Default for FillModelConfig {
    fn default() -> FillModelConfig {
        FillModelConfig {
            entry_latency_ns: 50_000_000,
            cancel_latency_ns: 50_000_000,
            cancel_position: CancelPosition::Back,
            fee_rounding: FeeRounding::Balance2026,
            fee_target_precision_micros: 10_000,
            queue_position: QueuePosition::Back,
        }
    }
}

impl FillModelConfig {
    /// Refuses negative latencies and an unsupported balance precision.
    pub fn validate(&self) -> Result<(), ReplayError> {
        if self.entry_latency_ns < 0 {
            return Err(ReplayError::InvalidConfig {
                field: "entry_latency_ns",
                reason: format!("{} is negative", self.entry_latency_ns),
            });
        }
        if self.cancel_latency_ns < 0 {
            return Err(ReplayError::InvalidConfig {
                field: "cancel_latency_ns",
                reason: format!("{} is negative", self.cancel_latency_ns),
            });
        }
        TargetPrecision::from_micros(self.fee_target_precision_micros).map_err(|error| {
            ReplayError::InvalidConfig {
                field: "fee_target_precision_micros",
                reason: error.to_string(),
            }
        })?;
        Ok(())
    }
}
