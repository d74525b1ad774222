//! The causal chain of one order, read from the journal in a single pass: the input that
//! caused it (with the book's touch at that moment), the signals and EV-gate and risk
//! decisions of that step, the request, then every later answer, state change and fill for
//! the order, in seq order.
//!
//! Memory: the books of every market, the decisions of the current engine step, and the
//! trail itself.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use kalshi_core::Money;
use kalshi_core::commands::Command;
use kalshi_core::decision::Decision;
use kalshi_core::events::Event;

use super::ForensicsError;
use super::book::{BookReplayer, BookTop};
use crate::record::{JournalRecord, SequencedRecord};
use crate::typed_reader::RecordReader;

/// What part of the chain an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditStage {
    /// The input that caused the order.
    Cause,
    /// A decision record (signals, EV gate, risk, order state, fill applied).
    Decision,
    /// A request sent for the order.
    Command,
    /// An exchange answer or report about the order (ack, rejection, snapshot, fill, …).
    Exchange,
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Journal seq.
    pub seq: u64,
    /// Journal time, Unix ns.
    pub ts_ns: i64,
    /// Which part of the chain: the cause, a command sent or an exchange answer.
    pub stage: AuditStage,
    /// Index kind (`input.order_ack`, `output.place`, `output.decision.ev_gate`, …).
    pub kind: String,
    /// One readable line.
    pub summary: String,
    /// The full record.
    pub record: JournalRecord,
}

/// The market as the engine saw it when it decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketAtDecision {
    /// Seq of the causing input.
    pub input_seq: u64,
    /// Market ticker.
    pub market: String,
    /// The book's touch after the causing input.
    pub book: Option<BookTop>,
}

/// The causal chain of one client order id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditTrail {
    /// The order audited.
    pub client_order_id: String,
    /// Its market, once a command named it.
    pub market: Option<String>,
    /// Exchange order ids seen for it.
    pub order_ids: Vec<String>,
    /// The market at the decision.
    pub at_decision: Option<MarketAtDecision>,
    /// Every link, in seq order.
    pub entries: Vec<AuditEntry>,
}

impl AuditTrail {
    /// The order's applied fills: how many, the P&L they realized net of fees (the core
    /// definition: closed-contract P&L minus fees) and the fees.
    pub fn fill_pnl(&self) -> (u64, Money, Money) {
        let mut fills = 0;
        let mut realized = Money::ZERO;
        let mut fees = Money::ZERO;
        for entry in &self.entries {
            if let JournalRecord::OutputDecision {
                decision: Decision::Fill(fill),
                ..
            } = &entry.record
            {
                fills += 1;
                realized = realized + fill.realized;
                fees = fees + fill.fee;
            }
        }
        (fills, realized - fees, fees)
    }

    /// A readable, one-line-per-link rendering.
    pub fn render_text(&self) -> String {
        let mut out = format!("order {}", self.client_order_id);
        if let Some(market) = &self.market {
            out.push_str(&format!(" in {market}"));
        }
        if !self.order_ids.is_empty() {
            out.push_str(&format!(" (exchange id {})", self.order_ids.join(", ")));
        }
        out.push('\n');
        if let Some(at) = &self.at_decision {
            out.push_str(&format!("decided on input #{}", at.input_seq));
            match &at.book {
                Some(top) => {
                    let level = |level: &Option<kalshi_core::market_data::BookLevel>| {
                        level.map_or_else(
                            || "-".to_owned(),
                            |level| format!("{} x {}", level.price, level.size),
                        )
                    };
                    out.push_str(&format!(
                        "; book {}: bid {} / ask {}",
                        if top.valid {
                            "valid".to_owned()
                        } else {
                            format!("INVALID ({})", top.invalid_reasons)
                        },
                        level(&top.best_bid),
                        level(&top.best_ask)
                    ));
                }
                None => out.push_str("; no book for the market"),
            }
            out.push('\n');
        }
        let (fills, realized_net, fees) = self.fill_pnl();
        if fills > 0 {
            out.push_str(&format!(
                "p&l of its {fills} fill(s): realized {} (net of {} fees)\n",
                realized_net.dollars(),
                fees.dollars()
            ));
        }
        for entry in &self.entries {
            let stage = match entry.stage {
                AuditStage::Cause => "cause",
                AuditStage::Decision => "decision",
                AuditStage::Command => "command",
                AuditStage::Exchange => "exchange",
            };
            out.push_str(&format!(
                "#{:<8} {:<9} {}\n",
                entry.seq, stage, entry.summary
            ));
        }
        out
    }
}

/// Builds the chain of `client_order_id` from `run_dir`. Fails with
/// [`ForensicsError::OrderNotFound`] when no record mentions the order.
pub fn audit_order(run_dir: &Path, client_order_id: &str) -> Result<AuditTrail, ForensicsError> {
    let mut reader = RecordReader::open(run_dir)?;
    let mut auditor = Auditor::new(client_order_id);
    while let Some(record) = reader.next_record()? {
        auditor.apply(record);
    }
    if auditor.trail.entries.is_empty() {
        return Err(ForensicsError::OrderNotFound {
            client_order_id: client_order_id.to_owned(),
        });
    }
    Ok(auditor.trail)
}

/// The first command for the order: the step that caused it.
struct Cause {
    input_seq: u64,
    market: String,
    place: Option<kalshi_core::commands::PlaceOrder>,
}

struct Auditor {
    books: BookReplayer,
    trail: AuditTrail,
    /// The current engine step's input and its decisions so far.
    step_input: Option<SequencedRecord>,
    step_decisions: Vec<SequencedRecord>,
    cause: Option<Cause>,
    order_ids: BTreeSet<String>,
    fill_ids: BTreeSet<String>,
}

impl Auditor {
    fn new(client_order_id: &str) -> Self {
        Self {
            books: BookReplayer::new(),
            trail: AuditTrail {
                client_order_id: client_order_id.to_owned(),
                market: None,
                order_ids: Vec::new(),
                at_decision: None,
                entries: Vec::new(),
            },
            step_input: None,
            step_decisions: Vec::new(),
            cause: None,
            order_ids: BTreeSet::new(),
            fill_ids: BTreeSet::new(),
        }
    }

    fn push(&mut self, stage: AuditStage, record: SequencedRecord) {
        let summary = match &record.record {
            JournalRecord::Input(envelope) => envelope.event.transcript_line(),
            JournalRecord::OutputCommand { command, .. } => command.transcript_line(),
            JournalRecord::OutputDecision { decision, .. } => decision.transcript_line(),
            other => other.kind(),
        };
        self.trail.entries.push(AuditEntry {
            seq: record.seq,
            ts_ns: record.ts_ns,
            stage,
            kind: record.record.kind(),
            summary,
            record: record.record,
        });
    }

    fn ours(&self, client_order_id: Option<&str>) -> bool {
        client_order_id == Some(self.trail.client_order_id.as_str())
    }

    fn apply(&mut self, record: SequencedRecord) {
        match &record.record {
            JournalRecord::Input(envelope) => {
                self.books.apply(&record);
                if self.input_concerns_order(&envelope.event) {
                    self.push(AuditStage::Exchange, record.clone());
                }
                self.step_input = Some(record);
                self.step_decisions.clear();
            }
            JournalRecord::OutputCommand {
                input_seq, command, ..
            } => {
                if !self.ours(command.client_order_id().map(|id| id.as_str())) {
                    return;
                }
                if self.cause.is_none() {
                    self.start_chain(*input_seq, command);
                } else {
                    self.push_operator_cause(*input_seq);
                }
                self.push(AuditStage::Command, record);
            }
            JournalRecord::OutputDecision {
                input_seq,
                decision,
                ..
            } => {
                let caused_here = self
                    .cause
                    .as_ref()
                    .is_some_and(|cause| cause.input_seq == *input_seq);
                if self.cause.is_none() {
                    if self
                        .step_input
                        .as_ref()
                        .is_some_and(|input| input.seq == *input_seq)
                    {
                        self.step_decisions.push(record);
                    }
                } else if self.decision_concerns_order(decision, caused_here) {
                    self.push(AuditStage::Decision, record);
                }
            }
            JournalRecord::RunStarted(_)
            | JournalRecord::RunEnded { .. }
            | JournalRecord::RawFrame(_) => {}
        }
    }

    /// A later command for the order that an operator control caused (`kalshi-bot ctl halt`
    /// cancelling it): the control input joins the chain, once, as that command's cause.
    fn push_operator_cause(&mut self, input_seq: u64) {
        let Some(input) = self.step_input.as_ref().filter(|input| {
            input.seq == input_seq
                && matches!(&input.record, JournalRecord::Input(envelope)
                    if matches!(envelope.event, Event::Operator(_)))
        }) else {
            return;
        };
        if self
            .trail
            .entries
            .iter()
            .any(|entry| entry.seq == input.seq)
        {
            return;
        }
        let input = input.clone();
        self.push(AuditStage::Cause, input);
    }

    /// The first command for the order: record the cause, the market then, and the
    /// decisions of the same step that explain it.
    fn start_chain(&mut self, input_seq: u64, command: &Command) {
        let market = match command {
            Command::Place(order) => Some(order.ticker.clone()),
            Command::Cancel(cancel) => Some(cancel.ticker.clone()),
            Command::Amend(amend) => Some(amend.ticker.clone()),
            Command::Decrease(decrease) => Some(decrease.ticker.clone()),
            Command::LookupOrder { ticker, .. } => Some(ticker.clone()),
            Command::CancelAll => None,
        }
        .unwrap_or_default();
        self.cause = Some(Cause {
            input_seq,
            market: market.clone(),
            place: match command {
                Command::Place(order) => Some((**order).clone()),
                _ => None,
            },
        });
        self.trail.market = Some(market.clone());
        self.trail.at_decision = Some(MarketAtDecision {
            input_seq,
            market: market.clone(),
            book: self.books.top(&market),
        });
        if let Some(input) = self
            .step_input
            .take()
            .filter(|input| input.seq == input_seq)
        {
            // The cause replaces any entry the input already produced as an exchange report.
            if self
                .trail
                .entries
                .last()
                .is_some_and(|e| e.seq == input.seq)
            {
                self.trail.entries.pop();
            }
            self.push(AuditStage::Cause, input);
        }
        for decision in std::mem::take(&mut self.step_decisions) {
            if let JournalRecord::OutputDecision { decision: d, .. } = &decision.record {
                if self.decision_concerns_order(d, true) {
                    self.push(AuditStage::Decision, decision);
                }
            }
        }
    }

    fn input_concerns_order(&mut self, event: &Event) -> bool {
        let id = self.trail.client_order_id.clone();
        let ours = |client_order_id: Option<&str>| client_order_id == Some(id.as_str());
        let concerns = match event {
            Event::OrderAck(ack) if ours(Some(ack.client_order_id.as_str())) => {
                self.order_ids.insert(ack.order_id.clone());
                true
            }
            Event::CancelAck(ack) if ours(Some(ack.client_order_id.as_str())) => {
                self.order_ids.insert(ack.order_id.clone());
                true
            }
            Event::OrderRejected(rejected) => ours(Some(rejected.client_order_id.as_str())),
            Event::OrderUnknown {
                client_order_id, ..
            }
            | Event::OrderNotFound { client_order_id } => ours(Some(client_order_id.as_str())),
            Event::OrderSnapshot(snapshot)
                if ours(snapshot.client_order_id.as_deref())
                    || self.order_ids.contains(&snapshot.order_id) =>
            {
                self.order_ids.insert(snapshot.order_id.clone());
                true
            }
            Event::OwnFill(fill)
                if ours(fill.client_order_id.as_deref())
                    || self.order_ids.contains(&fill.order_id) =>
            {
                self.order_ids.insert(fill.order_id.clone());
                self.fill_ids.insert(fill.fill_id.clone());
                true
            }
            Event::Reconciled { orders, .. } => {
                let mut found = false;
                for snapshot in orders {
                    if ours(snapshot.client_order_id.as_deref())
                        || self.order_ids.contains(&snapshot.order_id)
                    {
                        self.order_ids.insert(snapshot.order_id.clone());
                        found = true;
                    }
                }
                found
            }
            _ => false,
        };
        self.trail.order_ids = self.order_ids.iter().cloned().collect();
        concerns
    }

    /// Whether a decision belongs in the chain; `in_cause_step` also admits the signals and
    /// EV evaluations of the step that produced the order.
    fn decision_concerns_order(&self, decision: &Decision, in_cause_step: bool) -> bool {
        let id = self.trail.client_order_id.as_str();
        match decision {
            Decision::Risk(risk) => risk.client_order_id.as_str() == id,
            Decision::Order(transition) => {
                transition.key == id
                    || transition
                        .key
                        .strip_prefix("order:")
                        .is_some_and(|order_id| self.order_ids.contains(order_id))
            }
            Decision::Fill(fill) => self.fill_ids.contains(&fill.fill_id),
            Decision::Quote(quote) if in_cause_step => self
                .cause
                .as_ref()
                .is_some_and(|cause| cause.market == quote.ticker),
            Decision::FairValue { ticker, .. } if in_cause_step => self
                .cause
                .as_ref()
                .is_some_and(|cause| &cause.market == ticker),
            Decision::Ev(ev) if in_cause_step => self
                .cause
                .as_ref()
                .and_then(|cause| cause.place.as_ref())
                .is_some_and(|place| {
                    ev.inputs.ticker == place.ticker
                        && ev.inputs.side == place.side
                        && ev.inputs.price == place.price
                        && ev.inputs.count == place.count
                }),
            _ => false,
        }
    }
}
