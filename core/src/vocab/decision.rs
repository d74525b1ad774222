//! Decision records: why the engine did (or did not do) something. They are journaled beside
//! the commands, so every request can be explained from the journal alone, and each has one
//! readable transcript line.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client_order_id::ClientOrderId;
use crate::fixed::{Count, Price, SignedCount};
use crate::side::BookSide;
use crate::vocab::ev::FairValue;
use crate::vocab::ev::{EvDecision, FairSource};
use crate::vocab::events::{LiveSetting, RequestKind};
use crate::vocab::fill_burst::FillBurstRecord;
use crate::vocab::orders::{DesiredQuote, FillApplied, OrderTransition, ReconcileSummary};
use crate::vocab::risk::{RiskRejection, RiskState, RiskStateRecord};
use crate::vocab::scanner::ScanReason;
use crate::vocab::strategy::{RequoteReason, SideHeldReason, WithdrawReason};
use crate::vocab::tuning::{TuningSetting, TuningV1};

/// The risk gate's verdict on one intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskDecision {
    /// The intent's client id.
    pub client_order_id: ClientOrderId,
    /// Market ticker.
    pub ticker: String,
    /// Which request the intent would send (place, amend, decrease, cancel).
    pub request: RequestKind,
    /// Bid buys YES, ask sells YES.
    pub side: BookSide,
    /// YES price.
    pub price: Price,
    /// Contracts (remaining count for an amend).
    pub count: Count,
    /// `None` when approved.
    pub rejection: Option<RiskRejection>,
}

/// A strategy's new quotes for a market, after the EV gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteDecision {
    /// Market ticker.
    pub ticker: String,
    /// Strategy name.
    pub strategy: String,
    /// Why now.
    pub reason: RequoteReason,
    /// Fair YES probability, ppm.
    pub fair_ppm: u32,
    /// Where the fair value came from: an external model or the book.
    pub fair_source: FairSource,
    /// Best bid when decided.
    pub best_bid: Option<Price>,
    /// Best ask when decided.
    pub best_ask: Option<Price>,
    /// Our net position when decided: + YES contracts, − NO contracts.
    pub position: SignedCount,
    /// The quotes that passed the EV gate.
    pub quotes: Vec<DesiredQuote>,
}

/// Inputs the engine could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ignored {
    /// A market the engine does not know.
    UnknownMarket {
        /// The ticker the input named.
        ticker: String,
    },
    /// The book refused a snapshot or delta.
    BookError {
        /// Market ticker.
        ticker: String,
        /// The book's error.
        error: String,
    },
    /// A model probability above one.
    BadModelProbability {
        /// Market ticker.
        ticker: String,
        /// The probability received, ppm (above 1 000 000).
        probability_ppm: u32,
    },
    /// A fill already applied.
    DuplicateFill {
        /// The exchange fill id seen again.
        fill_id: String,
    },
    /// A configuration that failed validation.
    ConfigRejected {
        /// The validation error.
        error: String,
    },
}

/// A market the scanner left out of the quoted universe, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedMarket {
    /// Market ticker.
    pub ticker: String,
    /// Every filter it failed.
    pub reasons: Vec<ScanReason>,
}

impl fmt::Display for DroppedMarket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reasons: Vec<&str> = self.reasons.iter().map(|r| r.as_str()).collect();
        write!(f, "{}:{}", self.ticker, reasons.join("+"))
    }
}

/// One decision record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// A configuration took effect.
    ConfigAccepted {
        /// The accepted configuration's run id, the stem of this run's client order ids.
        run_id: String,
    },
    /// The quotable universe changed (or the reasons markets were left out did).
    UniverseSelected {
        /// Markets listed so far.
        listed: u32,
        /// Markets now quoted, best first.
        quoted: Vec<String>,
        /// Markets the scanner dropped, each with every filter it failed, by ticker.
        dropped: Vec<DroppedMarket>,
    },
    /// An EV gate evaluation.
    Ev(EvDecision),
    /// A risk gate verdict.
    Risk(RiskDecision),
    /// The risk state changed (or was restored).
    RiskState(RiskStateRecord),
    /// An operator resume was refused.
    ResumeRefused {
        /// The state that stays in force.
        state: RiskState,
    },
    /// New quotes for a market.
    Quote(QuoteDecision),
    /// Every quote of a market withdrawn.
    Withdraw {
        /// Market ticker.
        ticker: String,
        /// Why.
        reason: WithdrawReason,
    },
    /// An order changed status.
    Order(OrderTransition),
    /// A fill was applied.
    Fill(FillApplied),
    /// Reconciliation finished.
    Reconciled(ReconcileSummary),
    /// The exchange reports a different position than our books.
    PositionDrift {
        /// Market ticker.
        ticker: String,
        /// Net position in our books: + YES contracts, − NO contracts.
        ours: SignedCount,
        /// Net position the exchange reports, same sign.
        exchange: SignedCount,
    },
    /// An input that could not be used.
    Ignored(Ignored),
    /// A side of a market left without quotes when quotes were re-laid, and why (so a market
    /// that stops being quoted while a position is held says so).
    SideHeld {
        /// Market ticker.
        ticker: String,
        /// The side left unquoted.
        side: BookSide,
        /// Our position when the quotes were re-laid.
        position: SignedCount,
        /// Why.
        reason: SideHeldReason,
    },
    /// New orders wanted in a market were not sent this step because the order-rate budget
    /// is spent; they stay desired and go out on a later step (no client id is used up).
    PlacesDeferred {
        /// Market ticker.
        ticker: String,
        /// How many places waited.
        count: u32,
    },
    /// A feed reconnected: new orders are held until the next reconciliation lands (fills
    /// and order updates may have been missed during the outage). Cancels still flow.
    AwaitingReconciliation,
    /// New orders (and size-increasing amends) wanted in a market were not sent this step
    /// because order entry is held; they stay desired and go out once the hold lifts.
    PlacesHeld {
        /// Market ticker.
        ticker: String,
        /// How many places and amends waited.
        count: u32,
        /// Why order entry is held.
        reason: PlacesHeldReason,
    },
    /// The local fill-burst breaker tripped (quotes cancelled) or let quoting resume.
    FillBurst(FillBurstRecord),
    /// The engine's inputs became older than the runtime's staleness bound (every quote is
    /// withdrawn and quoting holds) or fresh again (quoting resumes).
    FeedLag {
        /// Age of the input that was about to be processed, ms.
        lag_ms: u64,
        /// Whether quoting is now held for stale data.
        stale: bool,
    },
    /// The engine took these settings (the first tuning release's form, [`TuningV1`]).
    TuningAccepted(TuningV1),
    /// The engine took these settings ([`crate::tuning`]).
    TuningSettingsAccepted(Vec<TuningSetting>),
    /// An operator's live setting ([`crate::vocab::events::Event::OperatorSet`]): applied, or
    /// refused with the reason. Appended last so journals written before it still decode.
    OperatorSetting {
        /// The setting asked for.
        setting: LiveSetting,
        /// Whether it is now in force.
        applied: bool,
        /// Why not, when refused (empty when applied).
        reason: String,
    },
    /// What made the fair value of the quotes that follow: recorded before a market's quotes
    /// are re-laid, only while a blend weight is non-zero and only when a part changed since
    /// the market's last record ([`crate::fair_value`]).
    FairValue {
        /// Market ticker.
        ticker: String,
        /// The blend and its parts.
        value: FairValue,
    },
}

/// Why the engine holds new orders while still letting cancels through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacesHeldReason {
    /// A feed reconnected and the REST reconciliation has not landed yet.
    AwaitingReconciliation,
}

impl PlacesHeldReason {
    /// Snake-case name used in transcripts.
    pub const fn as_str(self) -> &'static str {
        match self {
            PlacesHeldReason::AwaitingReconciliation => "awaiting_reconciliation",
        }
    }
}

impl Decision {
    /// One readable line for transcripts.
    pub fn transcript_line(&self) -> String {
        self.to_string()
    }
}

fn price_or_dash(price: Option<Price>) -> String {
    price.map_or_else(|| "-".to_string(), |price| price.to_string())
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::ConfigAccepted { run_id } => write!(f, "CONFIG_ACCEPTED run={run_id}"),
            Decision::UniverseSelected {
                listed,
                quoted,
                dropped,
            } => {
                write!(f, "UNIVERSE listed={listed} quoted=[{}]", quoted.join(","))?;
                if !dropped.is_empty() {
                    let reasons: Vec<String> =
                        dropped.iter().map(DroppedMarket::to_string).collect();
                    write!(f, " dropped=[{}]", reasons.join(","))?;
                }
                Ok(())
            }
            Decision::Ev(decision) => decision.fmt(f),
            Decision::Risk(risk) => {
                write!(
                    f,
                    "RISK {:?} {} {} {} {}@{} -> ",
                    risk.request,
                    risk.client_order_id,
                    risk.ticker,
                    risk.side.as_str(),
                    risk.count,
                    risk.price
                )?;
                match &risk.rejection {
                    None => f.write_str("approved"),
                    Some(rejection) => write!(f, "rejected {rejection}"),
                }
            }
            Decision::RiskState(record) => write!(f, "RISK_STATE {record}"),
            Decision::ResumeRefused { state } => {
                write!(f, "RESUME_REFUSED state={}", state.as_str())
            }
            Decision::Quote(quote) => {
                write!(
                    f,
                    "QUOTE {} {} {:?} fair_ppm={}({:?}) touch={}/{} position={} [",
                    quote.ticker,
                    quote.strategy,
                    quote.reason,
                    quote.fair_ppm,
                    quote.fair_source,
                    price_or_dash(quote.best_bid),
                    price_or_dash(quote.best_ask),
                    quote.position
                )?;
                for (index, rung) in quote.quotes.iter().enumerate() {
                    if index > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{}:{}@{}", rung.side.as_str(), rung.count, rung.price)?;
                }
                f.write_str("]")
            }
            Decision::Withdraw { ticker, reason } => write!(f, "WITHDRAW {ticker} {reason}"),
            Decision::Order(transition) => transition.fmt(f),
            Decision::Fill(fill) => fill.fmt(f),
            Decision::Reconciled(summary) => write!(
                f,
                "RECONCILED adopted={} foreign={} missing={} positions={}",
                summary.adopted, summary.foreign, summary.missing, summary.positions
            ),
            Decision::PositionDrift {
                ticker,
                ours,
                exchange,
            } => {
                write!(f, "POSITION_DRIFT {ticker} ours={ours} exchange={exchange}")
            }
            Decision::Ignored(ignored) => match ignored {
                Ignored::UnknownMarket { ticker } => write!(f, "IGNORED unknown_market {ticker}"),
                Ignored::BookError { ticker, error } => {
                    write!(f, "IGNORED book_error {ticker} {error}")
                }
                Ignored::BadModelProbability {
                    ticker,
                    probability_ppm,
                } => {
                    write!(
                        f,
                        "IGNORED bad_model_probability {ticker} {probability_ppm}"
                    )
                }
                Ignored::DuplicateFill { fill_id } => write!(f, "IGNORED duplicate_fill {fill_id}"),
                Ignored::ConfigRejected { error } => write!(f, "IGNORED config_rejected {error}"),
            },
            Decision::SideHeld {
                ticker,
                side,
                position,
                reason,
            } => write!(
                f,
                "SIDE_HELD {ticker} {} position={position} {reason}",
                side.as_str()
            ),
            Decision::PlacesDeferred { ticker, count } => {
                write!(
                    f,
                    "PLACES_DEFERRED {ticker} count={count} order_rate_budget"
                )
            }
            Decision::AwaitingReconciliation => {
                f.write_str("AWAITING_RECONCILIATION new orders held, cancels flow")
            }
            Decision::PlacesHeld {
                ticker,
                count,
                reason,
            } => write!(f, "PLACES_HELD {ticker} count={count} {}", reason.as_str()),
            Decision::FillBurst(record) => write!(f, "FILL_BURST {record}"),
            Decision::TuningAccepted(tuning) => write!(f, "TUNING_ACCEPTED {tuning:?}"),
            Decision::TuningSettingsAccepted(settings) => {
                write!(f, "TUNING_SETTINGS_ACCEPTED {settings:?}")
            }
            Decision::OperatorSetting {
                setting,
                applied,
                reason,
            } => {
                if *applied {
                    write!(f, "OPERATOR_SETTING applied {setting:?}")
                } else {
                    write!(f, "OPERATOR_SETTING refused {setting:?}: {reason}")
                }
            }
            Decision::FairValue { ticker, value } => write!(
                f,
                "FAIR_VALUE {ticker} base_ppm={} imbalance={:+} flow={:+} trend={:+} model={:+} \
                 fair_ppm={}({:?})",
                value.base_ppm,
                value.imbalance_ppm,
                value.flow_ppm,
                value.trend_ppm,
                value.model_ppm,
                value.fair_ppm,
                value.source
            ),
            Decision::FeedLag { lag_ms, stale } => {
                let verdict = if *stale {
                    "stale: quotes withdrawn, quoting held"
                } else {
                    "fresh: quoting resumes"
                };
                write!(f, "FEED_LAG lag_ms={lag_ms} {verdict}")
            }
        }
    }
}
