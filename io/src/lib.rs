//! placeholder crate root
pub mod normalize;
pub mod time;
pub mod wire;
