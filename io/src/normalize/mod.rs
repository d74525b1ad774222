//! Wire payloads → `kalshi_core::market_data` types.
