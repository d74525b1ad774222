//! Quiet markets of the local exchange (`CatalogConfig::quiet_share_ppm`): listed with a
//! book and a realistic but stale 24 h volume, no trade in any recent window and no
//! synthetic flow, so a scanner's recently-active filter has something to drop.

use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

use kalshi_core::market_data::MarketStatus;
use kalshi_core::side::BookSide;
use kalshi_core::{Count, Money};

use super::candles;
use super::error::ExchangeError;
use super::market::TapeTrade;
use super::order::CreateOrderV2;
use super::{Exchange, NS_PER_S, UserId};

/// Stream number of the choice of quiet markets (separate, so the rest of a seed's exchange
/// does not depend on it).
const QUIET_STREAM: u64 = 0x9e7;
/// Hours before start of a quiet market's stale trades: all older than any recent window a
/// scanner uses by default (60 minutes), all inside the 24 h volume.
const QUIET_TRADE_HOURS_AGO: [i64; 5] = [6, 5, 4, 3, 2];
/// Contracts of each stale trade of a quiet market (200 in the 24 h volume).
const QUIET_TRADE_CONTRACTS: i64 = 40;
/// Contracts resting on each side of a quiet market's book.
const QUIET_BOOK_CONTRACTS: i64 = 100;
/// Distance of a quiet market's bid and ask from its probability (probability points).
const QUIET_HALF_SPREAD: f64 = 0.003;

impl Exchange {
    /// Makes `quiet_share_ppm` of the markets open at start quiet:
    /// stale trades hours before start (a realistic 24 h volume, a last trade outside any
    /// recent window), a resting bid and ask from a market maker of their own, and no flow.
    pub(super) fn seed_quiet_markets(&mut self, seed: u64) -> Result<(), ExchangeError> {
        use rand::Rng as _;
        let share_ppm = u64::from(self.config.catalog.quiet_share_ppm.min(1_000_000));
        if share_ppm == 0 {
            return Ok(());
        }
        let mut eligible: Vec<u32> = self
            .markets
            .iter()
            .enumerate()
            .filter(|(_, m)| m.status == MarketStatus::Active)
            .filter_map(|(index, _)| u32::try_from(index).ok())
            .collect();
        let wanted = (eligible.len() as u64 * share_ppm + 500_000) / 1_000_000;
        let wanted = usize::try_from(wanted).unwrap_or(usize::MAX);
        if wanted == 0 {
            return Ok(());
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(QUIET_STREAM);
        // A partial Fisher–Yates shuffle: the first `wanted` entries are the chosen markets.
        for slot in 0..wanted.min(eligible.len()) {
            let pick = rng.gen_range(slot..eligible.len());
            eligible.swap(slot, pick);
        }
        let maker = self.add_user_with_history(
            "quiet-maker",
            Money::from_micros(1_000_000 * 1_000_000),
            false,
        )?;
        for &market in eligible.iter().take(wanted) {
            self.make_quiet(market, maker)?;
        }
        Ok(())
    }

    /// Seeds one quiet market (see [`Exchange::seed_quiet_markets`]).
    fn make_quiet(&mut self, market: u32, maker: UserId) -> Result<(), ExchangeError> {
        use kalshi_core::tick_grid::SnapDirection;
        let start_ns = self.now_ns;
        let probability = self
            .flow
            .as_ref()
            .map_or(500_000, |flow| flow.latent_ppm(market)) as f64
            / 1e6;
        let probability = probability.clamp(0.15, 0.85);
        let (Some(price), Some(bid), Some(ask)) = (
            self.snap_price(market, probability, SnapDirection::Nearest),
            self.snap_price(market, probability - QUIET_HALF_SPREAD, SnapDirection::Down),
            self.snap_price(market, probability + QUIET_HALF_SPREAD, SnapDirection::Up),
        ) else {
            return Err(ExchangeError::invalid_parameters(
                "a quiet market's prices are off its grid",
            ));
        };
        let qty = Count::from_contracts(QUIET_TRADE_CONTRACTS)
            .map_err(|error| ExchangeError::invalid_parameters(error.to_string()))?;
        for (k, hours_ago) in QUIET_TRADE_HOURS_AGO.iter().enumerate() {
            let ts_ns = start_ns.saturating_sub(hours_ago * 3_600 * NS_PER_S);
            let raw_id = self.ids.next_raw();
            let seq = self.trade_seq;
            self.trade_seq += 1;
            let m = &mut self.markets[market as usize];
            m.trades.push_back(TapeTrade {
                seq,
                trade_id: raw_id,
                yes_price: price,
                count: qty,
                taker_side: if k % 2 == 0 {
                    BookSide::Bid
                } else {
                    BookSide::Ask
                },
                ts_ns,
            });
            candles::record(
                &mut m.candles,
                ts_ns,
                bid,
                ask,
                Some((price, qty)),
                m.open_interest,
            );
            m.last_price = Some(price);
            m.last_trade_size = qty;
            m.volume = m.volume + qty;
        }
        self.markets[market as usize].quiet = true;
        let ticker = self.markets[market as usize].spec.ticker.clone();
        let size = Count::from_contracts(QUIET_BOOK_CONTRACTS)
            .map_err(|error| ExchangeError::invalid_parameters(error.to_string()))?;
        for (side, at) in [(BookSide::Bid, bid), (BookSide::Ask, ask)] {
            self.place_v2(
                maker,
                CreateOrderV2::limit(&ticker, side, at, size),
                start_ns,
            )?;
        }
        Ok(())
    }
}
