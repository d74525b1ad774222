use proptest::prelude::*;

use super::*;

#[test]
fn parses_every_wire_spelling_kalshi_uses() {
    assert_eq!(Price::parse("0.5600").unwrap().micros(), 560_000);
    assert_eq!(Price::parse("0.010000").unwrap().micros(), 10_000);
    assert_eq!(Price::parse("0.56").unwrap().micros(), 560_000);
    assert_eq!(Price::parse("1").unwrap(), Price::ONE);
    assert_eq!(Count::parse("10").unwrap().centi(), 1000);
    assert_eq!(Count::parse("12.61").unwrap().centi(), 1261);
    assert_eq!(Count::parse("10.5").unwrap().centi(), 1050);
    assert_eq!(SignedCount::parse("-33.00").unwrap().centi(), -3300);
    assert_eq!(Money::parse("10.67").unwrap().micros(), 10_670_000);
    assert_eq!(Money::parse("-0.0175").unwrap().micros(), -17_500);
}

#[test]
fn json_numbers_parse_exactly() {
    let price: Price = serde_json::from_str("0.56").unwrap();
    assert_eq!(price.micros(), 560_000);
    let count: Count = serde_json::from_str("10").unwrap();
    assert_eq!(count.centi(), 1000);
    let count: Count = serde_json::from_str("\"10.00\"").unwrap();
    assert_eq!(count.centi(), 1000);
    let delta: SignedCount = serde_json::from_str("-2.5").unwrap();
    assert_eq!(delta.centi(), -250);
    let money: Money = serde_json::from_str("0.1").unwrap();
    assert_eq!(money.micros(), 100_000);
    // 0.1 + 0.2 in binary is 0.30000000000000004, which has too much precision.
    assert!(matches!(
        Price::from_f64(0.1 + 0.2),
        Err(FixedPointError::TooPrecise { .. })
    ));
}

#[test]
fn formats_back_to_the_wire() {
    assert_eq!(Price::parse("0.56").unwrap().to_wire(), "0.5600");
    assert_eq!(Price::parse("0.001").unwrap().to_wire(), "0.0010");
    assert_eq!(Price::parse("0.000015").unwrap().to_wire(), "0.000015");
    assert_eq!(Count::parse("10").unwrap().to_wire(), "10.00");
    assert_eq!(Count::parse("0.5").unwrap().to_wire(), "0.50");
    assert_eq!(SignedCount::parse("-2.5").unwrap().to_wire(), "-2.50");
    assert_eq!(Money::parse("1042.5").unwrap().to_wire(), "1042.5000");
    assert_eq!(Money::parse("-0.5175").unwrap().to_wire(), "-0.5175");
    assert_eq!(Money::parse("0.01").unwrap().to_wire_6dp(), "0.010000");
    assert_eq!(
        serde_json::to_string(&Price::parse("0.42").unwrap()).unwrap(),
        "\"0.4200\""
    );
}

#[test]
fn rejects_bad_input_with_typed_errors() {
    assert_eq!(Price::parse(""), Err(FixedPointError::Empty));
    assert!(matches!(
        Price::parse("abc"),
        Err(FixedPointError::Invalid { .. })
    ));
    assert!(matches!(
        Price::parse("NaN"),
        Err(FixedPointError::Invalid { .. })
    ));
    assert!(matches!(
        Price::parse("."),
        Err(FixedPointError::Invalid { .. })
    ));
    assert!(matches!(
        Price::parse("1e"),
        Err(FixedPointError::Invalid { .. })
    ));
    assert!(matches!(
        Price::parse("0.0000001"),
        Err(FixedPointError::TooPrecise { .. })
    ));
    assert!(matches!(
        Price::parse("1.0001"),
        Err(FixedPointError::PriceOutOfRange { .. })
    ));
    assert!(matches!(
        Price::parse("-0.5"),
        Err(FixedPointError::PriceOutOfRange { .. })
    ));
    assert!(matches!(
        Count::parse("-1"),
        Err(FixedPointError::Negative { .. })
    ));
    assert!(matches!(
        Count::parse("1.001"),
        Err(FixedPointError::TooPrecise { .. })
    ));
    assert!(matches!(
        Count::parse("1e99999"),
        Err(FixedPointError::Overflow { .. })
    ));
    assert!(matches!(
        Count::parse("1e400"),
        Err(FixedPointError::Overflow { .. })
    ));
    assert!(matches!(
        Money::parse("99999999999999999999"),
        Err(FixedPointError::Overflow { .. })
    ));
    assert_eq!(Price::from_f64(f64::NAN), Err(FixedPointError::NotFinite));
    assert!(serde_json::from_str::<Price>("true").is_err());
    assert!(serde_json::from_str::<Count>("\"-3\"").is_err());
}

#[test]
fn exponents_and_redundant_zeros_are_exact() {
    assert_eq!(Price::parse("5.6e-1").unwrap().micros(), 560_000);
    assert_eq!(Count::parse("1E2").unwrap().centi(), 10_000);
    assert_eq!(Price::parse("0.56000000").unwrap().micros(), 560_000);
    assert_eq!(Count::parse("1e-2").unwrap().centi(), 1);
    assert_eq!(Count::parse("0e-99").unwrap().centi(), 0);
    assert!(matches!(
        Count::parse("1e-3"),
        Err(FixedPointError::TooPrecise { .. })
    ));
}

#[test]
fn hostile_input_is_echoed_short() {
    let long = "9".repeat(100_000);
    let error = Money::parse(&long).unwrap_err().to_string();
    assert!(error.len() < 120, "{error}");
}

#[test]
fn notional_is_exact_on_tick_grids() {
    let price = Price::parse("0.4432").unwrap();
    let count = Count::parse("25").unwrap();
    assert_eq!(Money::notional(price, count).to_wire(), "11.0800");
    let half = Count::parse("0.5").unwrap();
    assert_eq!(
        Money::notional(Price::parse("0.001").unwrap(), half).micros(),
        500
    );
}

#[test]
fn binary_encoding_uses_raw_units() {
    let price = Price::parse("0.4432").unwrap();
    let bytes = bincode_like_roundtrip(price);
    assert_eq!(bytes, price);
}

/// Round-trips through serde's non-human-readable path using a minimal in-test serializer.
fn bincode_like_roundtrip(price: Price) -> Price {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, I64Deserializer};
    struct Binary(I64Deserializer<ValueError>);
    impl<'de> serde::Deserializer<'de> for Binary {
        type Error = ValueError;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
            self.0.deserialize_any(v)
        }
        fn is_human_readable(&self) -> bool {
            false
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
            ignored_any
        }
    }
    let deserializer: I64Deserializer<ValueError> = price.micros().into_deserializer();
    Price::deserialize(Binary(deserializer)).unwrap()
}

use serde::Deserialize;

proptest! {
    #[test]
    fn price_parse_format_round_trips(micros in 0i64..=MICROS_PER_DOLLAR) {
        let price = Price::from_micros(micros).unwrap();
        prop_assert_eq!(Price::parse(&price.to_wire()).unwrap(), price);
        let json = serde_json::to_string(&price).unwrap();
        prop_assert_eq!(serde_json::from_str::<Price>(&json).unwrap(), price);
    }

    #[test]
    fn yes_plus_no_is_exactly_one_dollar(micros in 0i64..=MICROS_PER_DOLLAR) {
        let yes = Price::from_micros(micros).unwrap();
        let no = yes.complement();
        prop_assert_eq!(yes.micros() + no.micros(), MICROS_PER_DOLLAR);
        prop_assert_eq!(no.complement(), yes);
    }

    #[test]
    fn count_parse_format_round_trips(centi in 0i64..10_000_000_000) {
        let count = Count::from_centi(centi).unwrap();
        prop_assert_eq!(Count::parse(&count.to_wire()).unwrap(), count);
    }

    #[test]
    fn signed_and_money_round_trip(units in -10_000_000_000i64..10_000_000_000) {
        let delta = SignedCount::from_centi(units);
        prop_assert_eq!(SignedCount::parse(&delta.to_wire()).unwrap(), delta);
        let money = Money::from_micros(units);
        prop_assert_eq!(Money::parse(&money.to_wire()).unwrap(), money);
    }

    #[test]
    fn four_decimal_strings_parse_like_integers(cents in 0i64..=100, extra in 0i64..100) {
        let micros = (cents * 10_000 + extra * 100).min(MICROS_PER_DOLLAR);
        let text = format!("{}.{:04}", micros / MICROS_PER_DOLLAR, (micros % MICROS_PER_DOLLAR) / 100);
        prop_assert_eq!(Price::parse(&text).unwrap().micros(), micros);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,40}") {
        let _ = Price::parse(&text);
        let _ = Count::parse(&text);
        let _ = Money::parse(&text);
    }
}
