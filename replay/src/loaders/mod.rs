//! Turning stored data into engine inputs: a journal filtered by market and time, CSV and
//! Parquet trade and top-of-book files, and Kalshi REST history (trades, 1-minute
//! candlesticks, the market's result). Every loader returns envelopes in a stated total order with consecutive seqs.

pub mod csv;
pub mod depth;
pub mod history;
pub mod journal_filter;
pub mod parquet;
