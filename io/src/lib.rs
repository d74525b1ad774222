//! placeholder crate root
pub mod auth;
pub mod normalize;
pub mod time;
pub mod wire;
pub mod backoff;
pub mod env;
pub mod ratelimit;
