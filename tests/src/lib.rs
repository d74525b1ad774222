//! Support shared by the end-to-end tests in tests/tests/: the `kalshi-bot` binary under test
//! ([`binary`]) and market listings ([`markets`]).

pub mod binary;
pub mod markets;
