//! Deterministic client order ids (DESIGN.md §3.3).
//!
//! Every order the engine sends carries `kb-<run_id>-<intent_seq>`: the run id comes from the
//! journaled configuration and the intent sequence number from the engine's own counter, so a
//! replay reproduces the exact request bodies. A retry of the same intent reuses the same id
//! (Kalshi refuses a second live order with an id already in use, which makes the retry safe).
//!
//! Kalshi accepts at most 64 characters from `[A-Za-z0-9_\-:+=/]`; both the run id and the
//! finished id are checked against that with a typed error.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest client order id Kalshi accepts.
pub const CLIENT_ORDER_ID_LEN_MAX: usize = 64;
/// Prefix of every id this system generates; reconciliation adopts resting orders carrying it.
pub const CLIENT_ORDER_ID_PREFIX: &str = "kb-";
/// Longest run id: leaves room for the prefix, a separator and a 20-digit `u64` sequence.
pub const RUN_ID_LEN_MAX: usize = CLIENT_ORDER_ID_LEN_MAX - CLIENT_ORDER_ID_PREFIX.len() - 1 - 20;

/// Why a client order id or run id is not acceptable to Kalshi.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClientOrderIdError {
    /// The id was empty.
    #[error("client order id is empty")]
    Empty,
    /// The id is longer than Kalshi allows.
    #[error("client order id is {len} characters long; at most {max} are allowed")]
    TooLong {
        /// Length of the offending id.
        len: usize,
        /// The limit that applies.
        max: usize,
    },
    /// The id contains a character outside `[A-Za-z0-9_\-:+=/]`.
    #[error(
        "client order id contains {character:?} at byte {position}; only [A-Za-z0-9_-:+=/] are allowed"
    )]
    BadCharacter {
        /// The offending character.
        character: char,
        /// Its byte offset.
        position: usize,
    },
}

/// A client order id known to satisfy Kalshi's rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientOrderId(String);

impl ClientOrderId {
    /// Validates an id received from outside (a fill, a snapshot, a journal).
    pub fn parse(text: &str) -> Result<ClientOrderId, ClientOrderIdError> {
        validate(text, CLIENT_ORDER_ID_LEN_MAX)?;
        Ok(ClientOrderId(text.to_string()))
    }

    /// The id derived from `(run_id, intent_seq)`.
    pub fn derive(run_id: &RunId, intent_seq: u64) -> ClientOrderId {
        // A valid run id is at most RUN_ID_LEN_MAX characters, so this always fits.
        ClientOrderId(format!(
            "{CLIENT_ORDER_ID_PREFIX}{}-{intent_seq}",
            run_id.as_str()
        ))
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when this system generated the id (any run).
    pub fn is_ours(&self) -> bool {
        self.0.starts_with(CLIENT_ORDER_ID_PREFIX)
    }
}

impl TryFrom<String> for ClientOrderId {
    type Error = ClientOrderIdError;
    fn try_from(text: String) -> Result<ClientOrderId, ClientOrderIdError> {
        validate(&text, CLIENT_ORDER_ID_LEN_MAX)?;
        Ok(ClientOrderId(text))
    }
}

impl From<ClientOrderId> for String {
    fn from(id: ClientOrderId) -> String {
        id.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identifier of one run, the stem of every client order id the run generates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

impl RunId {
    /// Validates a run id: at most [`RUN_ID_LEN_MAX`] characters of `[A-Za-z0-9_\-:+=/]`.
    pub fn parse(text: &str) -> Result<RunId, ClientOrderIdError> {
        validate(text, RUN_ID_LEN_MAX)?;
        Ok(RunId(text.to_string()))
    }

    /// The run id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RunId {
    fn default() -> RunId {
        RunId("run".to_string())
    }
}

impl TryFrom<String> for RunId {
    type Error = ClientOrderIdError;
    fn try_from(text: String) -> Result<RunId, ClientOrderIdError> {
        validate(&text, RUN_ID_LEN_MAX)?;
        Ok(RunId(text))
    }
}

impl From<RunId> for String {
    fn from(id: RunId) -> String {
        id.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hands out ids for successive intents of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOrderIdGenerator {
    run_id: RunId,
    next_intent_seq: u64,
}

impl ClientOrderIdGenerator {
    /// Starts at intent 1 for `run_id`.
    pub fn new(run_id: RunId) -> ClientOrderIdGenerator {
        ClientOrderIdGenerator {
            run_id,
            next_intent_seq: 1,
        }
    }

    /// The id for the next intent; each call returns a new one.
    pub fn next_id(&mut self) -> ClientOrderId {
        let id = ClientOrderId::derive(&self.run_id, self.next_intent_seq);
        self.next_intent_seq = self.next_intent_seq.saturating_add(1);
        id
    }

    /// The sequence number the next id will carry.
    pub fn next_intent_seq(&self) -> u64 {
        self.next_intent_seq
    }
}

fn validate(text: &str, len_max: usize) -> Result<(), ClientOrderIdError> {
    if text.is_empty() {
        return Err(ClientOrderIdError::Empty);
    }
    if let Some((position, character)) = text.char_indices().find(|&(_, c)| !is_allowed(c)) {
        return Err(ClientOrderIdError::BadCharacter {
            character,
            position,
        });
    }
    if text.len() > len_max {
        return Err(ClientOrderIdError::TooLong {
            len: text.len(),
            max: len_max,
        });
    }
    Ok(())
}

fn is_allowed(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | ':' | '+' | '=' | '/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_deterministic_and_sequential() {
        let run = RunId::parse("2026-05-20T14:00Z").unwrap();
        let mut first = ClientOrderIdGenerator::new(run.clone());
        let mut second = ClientOrderIdGenerator::new(run);
        let a: Vec<_> = (0..3).map(|_| first.next_id()).collect();
        let b: Vec<_> = (0..3).map(|_| second.next_id()).collect();
        assert_eq!(a, b);
        assert_eq!(a[0].as_str(), "kb-2026-05-20T14:00Z-1");
        assert_eq!(a[2].as_str(), "kb-2026-05-20T14:00Z-3");
        assert!(a[0].is_ours());
    }

    #[test]
    fn longest_run_id_with_largest_seq_fits_kalshi_limit() {
        let run = RunId::parse(&"r".repeat(RUN_ID_LEN_MAX)).unwrap();
        let id = ClientOrderId::derive(&run, u64::MAX);
        assert_eq!(id.as_str().len(), CLIENT_ORDER_ID_LEN_MAX);
        assert!(ClientOrderId::parse(id.as_str()).is_ok());
    }

    #[test]
    fn bad_ids_are_refused_with_the_reason() {
        assert_eq!(ClientOrderId::parse(""), Err(ClientOrderIdError::Empty));
        assert_eq!(
            ClientOrderId::parse("kb run"),
            Err(ClientOrderIdError::BadCharacter {
                character: ' ',
                position: 2
            })
        );
        assert_eq!(
            ClientOrderId::parse(&"a".repeat(65)),
            Err(ClientOrderIdError::TooLong { len: 65, max: 64 })
        );
        assert!(matches!(
            RunId::parse(&"r".repeat(RUN_ID_LEN_MAX + 1)),
            Err(ClientOrderIdError::TooLong { .. })
        ));
        assert!(ClientOrderId::parse("A-z_0:9+=/").is_ok());
    }

    #[test]
    fn serde_refuses_invalid_ids() {
        let ok: ClientOrderId = serde_json::from_str("\"kb-x-1\"").unwrap();
        assert_eq!(ok.as_str(), "kb-x-1");
        assert!(serde_json::from_str::<ClientOrderId>("\"bad id\"").is_err());
    }
}
