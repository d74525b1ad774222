//! Fixed-point parsing: arbitrary text through `Price`, `Count`, `SignedCount` and `Money`
//! (`parse`, and JSON through serde as a string and as a bare number), and arbitrary `f64`
//! bit patterns through `from_f64`.
//!
//! Checks: nothing panics; every parsed value is in its type's range, prints a wire form
//! that parses back to the same value, and the four types agree with each other where their
//! scales overlap (a price is money; a non-negative signed count is a count).

#![no_main]

use kalshi_core::{Count, Money, Price, SignedCount};
use libfuzzer_sys::fuzz_target;

fn check_price(price: Price) {
    assert!((0..=1_000_000).contains(&price.micros()), "{price:?}");
    assert_eq!(Price::parse(&price.to_wire()), Ok(price));
}

fn check_count(count: Count) {
    assert!(count.centi() >= 0, "{count:?}");
    assert_eq!(Count::parse(&count.to_wire()), Ok(count));
}

fn check_signed(count: SignedCount) {
    assert_eq!(SignedCount::parse(&count.to_wire()), Ok(count));
}

fn check_money(money: Money) {
    assert_eq!(Money::parse(&money.to_wire()), Ok(money));
    assert_eq!(Money::parse(&money.to_wire_6dp()), Ok(money));
}

/// Parses `text` as each type and checks each result and their agreement.
fn check_text(text: &str) {
    let price = Price::parse(text);
    let count = Count::parse(text);
    let signed = SignedCount::parse(text);
    let money = Money::parse(text);
    if let Ok(price) = price {
        check_price(price);
        assert_eq!(money, Ok(Money::from_micros(price.micros())), "{text:?}");
    }
    if let Ok(count) = count {
        check_count(count);
        assert_eq!(signed, Ok(count.signed()), "{text:?}");
    }
    if let Ok(signed) = signed {
        check_signed(signed);
        if signed.centi() >= 0 {
            assert_eq!(count, Ok(signed.abs()), "{text:?}");
        }
    }
    if let Ok(money) = money {
        check_money(money);
    }
}

/// Parses `json` as each type through serde; whatever parses must be in range and round-trip
/// through its own serialization.
fn check_json(json: &str) {
    if let Ok(price) = serde_json::from_str::<Price>(json) {
        check_price(price);
        let text = serde_json::to_string(&price).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Price>(&text).ok(), Some(price));
    }
    if let Ok(count) = serde_json::from_str::<Count>(json) {
        check_count(count);
        let text = serde_json::to_string(&count).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Count>(&text).ok(), Some(count));
    }
    if let Ok(signed) = serde_json::from_str::<SignedCount>(json) {
        check_signed(signed);
        let text = serde_json::to_string(&signed).unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<SignedCount>(&text).ok(),
            Some(signed)
        );
    }
    if let Ok(money) = serde_json::from_str::<Money>(json) {
        check_money(money);
        let text = serde_json::to_string(&money).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Money>(&text).ok(), Some(money));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_text(text);
        // As a JSON document (a bare number, or anything else) and as a JSON string.
        check_json(text);
        if let Ok(quoted) = serde_json::to_string(text) {
            check_json(&quoted);
        }
    }
    if let Some(head) = data
        .get(..8)
        .and_then(|head| <[u8; 8]>::try_from(head).ok())
    {
        let value = f64::from_le_bytes(head);
        if let Ok(price) = Price::from_f64(value) {
            check_price(price);
        }
        if let Ok(count) = Count::from_f64(value) {
            check_count(count);
        }
        if let Ok(signed) = SignedCount::from_f64(value) {
            check_signed(signed);
        }
        if let Ok(money) = Money::from_f64(value) {
            check_money(money);
        }
    }
});
