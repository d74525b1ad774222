//! Seeded generation of series, events and markets with realistic tickers
//! (`KXHIGHNY-26NOV30-T42`), mixed fee types, multipliers and event fee overrides, mixed tick
//! grids, and close times spread so that some markets close, determine and settle during a
//! run while the rest stay open.

use kalshi_core::tick_grid::{DECI_CENT, LINEAR_CENT, TAPERED_DECI_CENT, TickGrid};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{
    EventSpec, ExchangeError, FeeType, MarketSpec, NS_PER_S, SeriesFeeChangeSpec, SeriesSpec,
};

/// Stream number separating catalog generation from other uses of the seed.
const CATALOG_STREAM: u64 = 0xca7;
/// Stream number of the event fee overrides (separate, so that the rest of a seed's catalog
/// does not depend on them).
const FEE_OVERRIDE_STREAM: u64 = 0xfee;
/// Nanoseconds per day.
const DAY_NS: i64 = 86_400 * NS_PER_S;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogConfig {
    /// Markets in total.
    pub market_count: usize,
    /// Events the markets are spread over.
    pub event_count: usize,
    /// Series the events are spread over (at most the number of built-in templates, 8).
    pub series_count: usize,
    /// Length of a run, ns: events closing "during the run" close inside it.
    pub run_duration_ns: i64,
    /// Share of events that close during the run, in parts per million.
    pub closing_share_ppm: u32,
    /// Share of events that open during the run (the rest are open at start), ppm.
    pub late_open_share_ppm: u32,
    /// Share of markets on the `deci_cent` grid, ppm.
    pub deci_cent_share_ppm: u32,
    /// Share of markets on the `tapered_deci_cent` grid, ppm.
    pub tapered_deci_cent_share_ppm: u32,
    /// Share of markets that accept fractional counts, ppm.
    pub fractional_share_ppm: u32,
    /// Delay from close to determination, ns.
    pub determination_delay_ns: i64,
    /// `settlement_timer_seconds` of every market.
    pub settlement_timer_s: i64,
    /// Share of events that override their series' fee parameters, ppm. An overriding event
    /// sets a multiplier (0.5 or 2), a fee type, or both.
    pub fee_override_share_ppm: u32,
    /// Scheduled series fee changes (`GET /series/fee_changes`). Default: none — Kalshi
    /// changes a series' fees rarely; tests and demos add one here.
    pub fee_changes: Vec<SeriesFeeChangeSpec>,
    /// Share of the markets open at start that are quiet, ppm: listed with a normal two-sided book and a realistic 24 h volume from trades
    /// two to six hours before start, but never traded since and given no synthetic flow —
    /// the markets a recently-active filter must drop. Rounded to the nearest whole market.
    /// Default 0.
    pub quiet_share_ppm: u32,
}

impl Default for CatalogConfig {
    fn default() -> CatalogConfig {
        CatalogConfig {
            market_count: 200,
            event_count: 40,
            series_count: 6,
            run_duration_ns: 6 * 3600 * NS_PER_S,
            closing_share_ppm: 250_000,
            late_open_share_ppm: 50_000,
            deci_cent_share_ppm: 100_000,
            tapered_deci_cent_share_ppm: 100_000,
            fractional_share_ppm: 200_000,
            determination_delay_ns: 60 * NS_PER_S,
            settlement_timer_s: 300,
            fee_override_share_ppm: 100_000,
            fee_changes: Vec::new(),
            quiet_share_ppm: 0,
        }
    }
}

/// A generated catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    /// Every series the catalog's events belong to.
    pub series: Vec<SeriesSpec>,
    /// Every event; each names its series by ticker.
    pub events: Vec<EventSpec>,
    /// Every market; each names its event by ticker.
    pub markets: Vec<MarketSpec>,
}

/// A series template: ticker, title, category, frequency, fee type and multiplier, strike
/// base and step, strike type, and how a market's title reads.
struct Template {
    ticker: &'static str,
    title: &'static str,
    category: &'static str,
    frequency: &'static str,
    fee_type: FeeType,
    fee_multiplier_ppm: i64,
    strike_base: i64,
    strike_step: i64,
    subject: &'static str,
}

const TEMPLATES: [Template; 8] = [
    Template {
        ticker: "KXHIGHNY",
        title: "Highest temperature in NYC",
        category: "Climate and Weather",
        frequency: "daily",
        fee_type: FeeType::Quadratic,
        fee_multiplier_ppm: 1_000_000,
        strike_base: 30,
        strike_step: 2,
        subject: "the high in NYC be above",
    },
    Template {
        ticker: "KXBTCD",
        title: "Bitcoin price",
        category: "Crypto",
        frequency: "daily",
        fee_type: FeeType::QuadraticWithMakerFees,
        fee_multiplier_ppm: 1_000_000,
        strike_base: 90_000,
        strike_step: 1_000,
        subject: "Bitcoin close above",
    },
    Template {
        ticker: "KXINXU",
        title: "S&P 500 close",
        category: "Financials",
        frequency: "daily",
        fee_type: FeeType::QuadraticWithMakerFees,
        fee_multiplier_ppm: 500_000,
        strike_base: 6_000,
        strike_step: 25,
        subject: "the S&P 500 close above",
    },
    Template {
        ticker: "KXCPIYOY",
        title: "CPI year over year",
        category: "Economics",
        frequency: "monthly",
        fee_type: FeeType::Quadratic,
        fee_multiplier_ppm: 1_500_000,
        strike_base: 20,
        strike_step: 1,
        subject: "CPI inflation (tenths of a percent) exceed",
    },
    Template {
        ticker: "KXRAINNYC",
        title: "Rain in NYC",
        category: "Climate and Weather",
        frequency: "daily",
        fee_type: FeeType::QuadraticWithComboMakerFees,
        fee_multiplier_ppm: 1_000_000,
        strike_base: 0,
        strike_step: 1,
        subject: "NYC rainfall (tenths of an inch) exceed",
    },
    Template {
        ticker: "KXNASDAQ100U",
        title: "Nasdaq-100 close",
        category: "Financials",
        frequency: "daily",
        fee_type: FeeType::QuadraticWithMakerFees,
        fee_multiplier_ppm: 500_000,
        strike_base: 21_000,
        strike_step: 100,
        subject: "the Nasdaq-100 close above",
    },
    Template {
        ticker: "KXGASPRICE",
        title: "US gas price",
        category: "Economics",
        frequency: "weekly",
        fee_type: FeeType::Quadratic,
        fee_multiplier_ppm: 1_000_000,
        strike_base: 300,
        strike_step: 5,
        subject: "the average gas price (cents) exceed",
    },
    Template {
        ticker: "KXTSAW",
        title: "TSA checkpoint travelers",
        category: "Transportation",
        frequency: "weekly",
        fee_type: FeeType::Quadratic,
        fee_multiplier_ppm: 1_000_000,
        strike_base: 2_000,
        strike_step: 50,
        subject: "TSA throughput (thousands) exceed",
    },
];

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Civil date (year, month 1–12, day) of a Unix day number.
fn civil_from_days(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, usize::try_from(month).unwrap_or(1), day)
}

/// Kalshi's date code, e.g. `26NOV30`.
pub fn date_code(ts_ns: i64) -> String {
    let (year, month, day) = civil_from_days(ts_ns.div_euclid(DAY_NS));
    format!(
        "{:02}{}{:02}",
        year.rem_euclid(100),
        MONTHS[(month - 1).min(11)],
        day
    )
}

fn share(rng: &mut ChaCha8Rng, ppm: u32) -> bool {
    rng.gen_range(0..1_000_000u32) < ppm
}

/// An event's fee overrides: with probability `share_ppm`, a multiplier of 0.5 or 2, a fee
/// type other than the series', or both (as Kalshi does for promotional or special events).
fn fee_override(
    rng: &mut ChaCha8Rng,
    share_ppm: u32,
    template: &Template,
) -> (Option<FeeType>, Option<i64>) {
    if !share(rng, share_ppm) {
        return (None, None);
    }
    let other_type = match template.fee_type {
        FeeType::Quadratic => FeeType::QuadraticWithMakerFees,
        FeeType::QuadraticWithMakerFees | FeeType::QuadraticWithComboMakerFees => {
            FeeType::Quadratic
        }
    };
    let multiplier = if rng.gen_range(0..2u32) == 0 {
        500_000
    } else {
        2_000_000
    };
    match rng.gen_range(0..3u32) {
        0 => (None, Some(multiplier)),
        1 => (Some(other_type), None),
        _ => (Some(other_type), Some(multiplier)),
    }
}

impl Catalog {
    /// Generates a catalog from `seed`, laid out from `start_ns`.
    pub fn generate(
        config: &CatalogConfig,
        start_ns: i64,
        seed: u64,
    ) -> Result<Catalog, ExchangeError> {
        if config.market_count == 0 {
            return Ok(Catalog {
                series: Vec::new(),
                events: Vec::new(),
                markets: Vec::new(),
            });
        }
        if config.event_count == 0 || config.event_count > config.market_count {
            return Err(ExchangeError::invalid_parameters(
                "event_count must be between 1 and market_count",
            ));
        }
        if config.series_count == 0 || config.series_count > TEMPLATES.len() {
            return Err(ExchangeError::invalid_parameters(format!(
                "series_count must be between 1 and {}",
                TEMPLATES.len()
            )));
        }
        if config.run_duration_ns <= 0 {
            return Err(ExchangeError::invalid_parameters(
                "run_duration_ns must be positive",
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(CATALOG_STREAM);
        let mut fee_rng = ChaCha8Rng::seed_from_u64(seed);
        fee_rng.set_stream(FEE_OVERRIDE_STREAM);
        let series: Vec<SeriesSpec> = TEMPLATES[..config.series_count]
            .iter()
            .map(|t| SeriesSpec {
                ticker: t.ticker.to_string(),
                title: t.title.to_string(),
                category: t.category.to_string(),
                frequency: t.frequency.to_string(),
                fee_type: t.fee_type,
                fee_multiplier_ppm: t.fee_multiplier_ppm,
            })
            .collect();
        let grids = [LINEAR_CENT, DECI_CENT, TAPERED_DECI_CENT]
            .map(|name| TickGrid::from_structure(name).map(|g| g.ranges().to_vec()));
        let [Ok(linear), Ok(deci), Ok(tapered)] = grids else {
            return Err(ExchangeError::invalid_parameters(
                "built-in tick grids failed to build",
            ));
        };

        let mut events = Vec::with_capacity(config.event_count);
        let mut markets = Vec::with_capacity(config.market_count);
        let per_event = config.market_count / config.event_count;
        let extra = config.market_count % config.event_count;
        for e in 0..config.event_count {
            let template = &TEMPLATES[e % config.series_count];
            let round = i64::try_from(e / config.series_count).unwrap_or(i64::MAX);
            let closes_in_run = share(&mut rng, config.closing_share_ppm);
            let close_ns = if closes_in_run {
                start_ns + rng.gen_range(config.run_duration_ns / 10..=config.run_duration_ns)
            } else {
                start_ns + config.run_duration_ns + DAY_NS.saturating_mul(1 + round)
            };
            let open_ns = if share(&mut rng, config.late_open_share_ppm) {
                start_ns + rng.gen_range(0..=(close_ns - start_ns) / 2)
            } else {
                start_ns - DAY_NS
            };
            // The date code names the event's resolution day; distinct rounds get distinct days.
            let code = date_code(start_ns + DAY_NS.saturating_mul(round));
            let event_ticker = format!("{}-{}", template.ticker, code);
            let (fee_type_override, fee_multiplier_override_ppm) =
                fee_override(&mut fee_rng, config.fee_override_share_ppm, template);
            events.push(EventSpec {
                ticker: event_ticker.clone(),
                series_ticker: template.ticker.to_string(),
                title: format!("{} on {}", template.title, code),
                sub_title: code.clone(),
                mutually_exclusive: false,
                fee_type_override,
                fee_multiplier_override_ppm,
            });
            let count = per_event + usize::from(e < extra);
            let first_strike = template.strike_base + template.strike_step * rng.gen_range(0..5);
            for k in 0..count {
                let strike = first_strike + template.strike_step * i64::try_from(k).unwrap_or(0);
                let pick = rng.gen_range(0..1_000_000u32);
                let (structure, ranges) = if pick < config.deci_cent_share_ppm {
                    (DECI_CENT, deci.clone())
                } else if pick
                    < config
                        .deci_cent_share_ppm
                        .saturating_add(config.tapered_deci_cent_share_ppm)
                {
                    (TAPERED_DECI_CENT, tapered.clone())
                } else {
                    (LINEAR_CENT, linear.clone())
                };
                markets.push(MarketSpec {
                    ticker: format!("{event_ticker}-T{strike}"),
                    event_ticker: event_ticker.clone(),
                    title: format!("Will {} {strike}?", template.subject),
                    yes_sub_title: format!("Above {strike}"),
                    no_sub_title: format!("{strike} or below"),
                    created_ns: start_ns - 2 * DAY_NS,
                    open_ns,
                    close_ns,
                    determination_delay_ns: config.determination_delay_ns,
                    settlement_timer_s: config.settlement_timer_s,
                    price_level_structure: structure.to_string(),
                    price_ranges: ranges,
                    fractional_trading: share(&mut rng, config.fractional_share_ppm),
                    can_close_early: false,
                    strike_type: "greater".to_string(),
                    floor_strike: Some(strike),
                    cap_strike: None,
                    forced_result: None,
                });
            }
        }
        Ok(Catalog {
            series,
            events,
            markets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_codes_follow_kalshi_style() {
        // 2026-11-30T12:00:00Z
        assert_eq!(date_code(1_796_040_000 * NS_PER_S), "26NOV30");
        // 2024-02-29
        assert_eq!(date_code(1_709_164_800 * NS_PER_S), "24FEB29");
    }

    #[test]
    fn default_catalog_is_seeded_and_mixed() {
        let config = CatalogConfig::default();
        let start = 1_793_491_200 * NS_PER_S;
        let first = Catalog::generate(&config, start, 11).unwrap();
        let second = Catalog::generate(&config, start, 11).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.markets.len(), 200);
        assert_eq!(first.events.len(), 40);
        let structures: std::collections::BTreeSet<&str> = first
            .markets
            .iter()
            .map(|m| m.price_level_structure.as_str())
            .collect();
        assert!(
            structures.len() >= 2,
            "expected mixed tick grids, got {structures:?}"
        );
        let fee_types: std::collections::BTreeSet<&str> =
            first.series.iter().map(|s| s.fee_type.as_str()).collect();
        assert_eq!(fee_types.len(), 3, "{fee_types:?}");
        let multipliers: std::collections::BTreeSet<i64> =
            first.series.iter().map(|s| s.fee_multiplier_ppm).collect();
        assert!(
            multipliers.contains(&500_000) && multipliers.contains(&1_500_000),
            "{multipliers:?}"
        );
        let overriding = first
            .events
            .iter()
            .filter(|e| e.fee_type_override.is_some() || e.fee_multiplier_override_ppm.is_some())
            .count();
        assert!(
            overriding > 0 && overriding < first.events.len(),
            "{overriding} events override their series' fees"
        );
        let closing = first
            .markets
            .iter()
            .filter(|m| m.close_ns <= start + config.run_duration_ns)
            .count();
        assert!(
            closing > 0 && closing < 200,
            "{closing} markets close during the run"
        );
        let tickers: std::collections::BTreeSet<&str> =
            first.markets.iter().map(|m| m.ticker.as_str()).collect();
        assert_eq!(tickers.len(), 200, "tickers are unique");
        assert!(
            first.markets[0].ticker.starts_with("KXHIGHNY-26NOV01-T"),
            "{}",
            first.markets[0].ticker
        );
        let other = Catalog::generate(&config, start, 12).unwrap();
        assert_ne!(first, other);
        // The overrides draw from their own stream: without them, the catalog is the same.
        let plain = Catalog::generate(
            &CatalogConfig {
                fee_override_share_ppm: 0,
                ..config.clone()
            },
            start,
            11,
        )
        .unwrap();
        assert_eq!(plain.markets, first.markets);
        assert!(
            plain
                .events
                .iter()
                .all(|e| e.fee_type_override.is_none() && e.fee_multiplier_override_ppm.is_none())
        );
    }
}

/// One official source named for determining a series' markets: `(name, url)`.
pub type SourceRef = (&'static str, &'static str);

/// Generated contract terms. Kalshi's real rulebook text is not available to a local
/// exchange, so these are plausible texts built from a market's own spec; URLs are under
/// the reserved `.invalid` domain so that nobody mistakes them for real documents.
pub mod terms {
    use kalshi_core::market_data::MarketResult;

    use super::super::MarketSpec;
    use super::SourceRef;

    /// The sources a series of `category` is determined from.
    pub fn settlement_sources(category: &str) -> Vec<SourceRef> {
        match category {
            "Climate and Weather" => vec![("National Weather Service", "https://www.weather.gov")],
            "Crypto" => vec![("CF Benchmarks", "https://www.cfbenchmarks.com")],
            "Financials" => vec![("S&P Dow Jones Indices", "https://www.spglobal.com")],
            "Economics" => vec![("Bureau of Labor Statistics", "https://www.bls.gov")],
            "Transportation" => vec![(
                "Transportation Security Administration",
                "https://www.tsa.gov",
            )],
            _ => vec![(
                "Local exchange reference data",
                "https://sim.invalid/sources",
            )],
        }
    }

    /// The contract filing of a series.
    pub fn contract_url(series_ticker: &str) -> String {
        format!("https://sim.invalid/contracts/{series_ticker}.pdf")
    }

    /// The current contract terms of a series.
    pub fn contract_terms_url(series_ticker: &str) -> String {
        format!("https://sim.invalid/contract_terms/{series_ticker}.pdf")
    }

    /// Trading prohibitions every generated series carries.
    pub fn additional_prohibitions() -> Vec<String> {
        vec![
            "Employees of a source agency named for this series may not trade its contracts."
                .to_string(),
            "Anyone holding material non-public information about the underlying may not trade its contracts."
                .to_string(),
        ]
    }

    /// What the strike means, in words (`above 42`, `between 40 and 44`).
    fn strike_phrase(spec: &MarketSpec) -> String {
        let floor = spec.floor_strike.map(|s| s.to_string());
        let cap = spec.cap_strike.map(|s| s.to_string());
        match (spec.strike_type.as_str(), floor, cap) {
            ("greater", Some(f), _) => format!("above {f}"),
            ("greater_or_equal", Some(f), _) => format!("at or above {f}"),
            ("less", _, Some(c)) => format!("below {c}"),
            ("less_or_equal", _, Some(c)) => format!("at or below {c}"),
            ("between", Some(f), Some(c)) => format!("between {f} and {c}"),
            _ => "as the title states".to_string(),
        }
    }

    /// The main market terms.
    pub fn rules_primary(spec: &MarketSpec, close_time: &str) -> String {
        format!(
            "If the determining value for {} is {} at {close_time}, the market resolves to Yes; otherwise it resolves to No.",
            spec.event_ticker,
            strike_phrase(spec)
        )
    }

    /// The secondary market terms.
    pub fn rules_secondary(spec: &MarketSpec, series_ticker: &str) -> String {
        format!(
            "\"{}\" is determined from the settlement sources of series {series_ticker}. If no source publishes in time, the market is determined under the rulebook's fallback procedure.",
            spec.title
        )
    }

    /// The value considered at settlement: empty until the market is determined.
    pub fn expiration_value(spec: &MarketSpec, result: Option<MarketResult>) -> String {
        let Some(result) = result else {
            return String::new();
        };
        let phrase = strike_phrase(spec);
        match result {
            MarketResult::Yes => phrase,
            MarketResult::No => format!("not {phrase}"),
            MarketResult::Scalar => "scalar".to_string(),
        }
    }
}
