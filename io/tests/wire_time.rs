//! RFC 3339 ⇄ Unix nanoseconds: fractions, offsets, calendar edges and refusals.

use kalshi_io::time::{TimeError, format_rfc3339_micros, format_rfc3339_seconds, parse_rfc3339_ns};

#[test]
fn parses_kalshi_timestamps_exactly() {
    assert_eq!(
        parse_rfc3339_ns("2026-05-13T01:51:41.778164Z"),
        Ok(1_778_637_101_778_164_000)
    );
    assert_eq!(
        parse_rfc3339_ns("2026-05-13T01:51:41Z"),
        Ok(1_778_637_101_000_000_000)
    );
    assert_eq!(
        parse_rfc3339_ns("2026-05-13T01:51:41.7Z"),
        Ok(1_778_637_101_700_000_000)
    );
    assert_eq!(
        parse_rfc3339_ns("2026-05-13T01:51:41.000000001Z"),
        Ok(1_778_637_101_000_000_001)
    );
    assert_eq!(
        parse_rfc3339_ns("2099-08-01T04:59:00Z"),
        Ok(4_089_243_540_000_000_000)
    );
    assert_eq!(parse_rfc3339_ns("1970-01-01T00:00:00Z"), Ok(0));
    assert_eq!(parse_rfc3339_ns("1969-12-31T23:59:59Z"), Ok(-1_000_000_000));
}

#[test]
fn applies_offsets_and_accepts_rfc3339_spellings() {
    // 02:31:45 at +05:30 is 21:01:45 UTC the day before.
    assert_eq!(
        parse_rfc3339_ns("2026-07-01T02:31:45+05:30"),
        Ok(1_782_853_305_000_000_000)
    );
    assert_eq!(
        parse_rfc3339_ns("2026-06-30T17:01:45-04:00"),
        Ok(1_782_853_305_000_000_000)
    );
    assert_eq!(
        parse_rfc3339_ns("2026-06-30T21:01:45+00:00"),
        Ok(1_782_853_305_000_000_000)
    );
    assert_eq!(
        parse_rfc3339_ns("2026-06-30t21:01:45z"),
        Ok(1_782_853_305_000_000_000)
    );
    assert_eq!(
        parse_rfc3339_ns("2026-06-30 21:01:45Z"),
        Ok(1_782_853_305_000_000_000)
    );
}

#[test]
fn knows_the_calendar() {
    assert_eq!(
        parse_rfc3339_ns("2024-02-29T23:59:59Z"),
        Ok(1_709_251_199_000_000_000)
    );
    assert!(matches!(
        parse_rfc3339_ns("2026-02-29T00:00:00Z"),
        Err(TimeError::OutOfRange { field: "day", .. })
    ));
    assert!(matches!(
        parse_rfc3339_ns("2100-02-29T00:00:00Z"),
        Err(TimeError::OutOfRange { field: "day", .. })
    ));
    assert!(parse_rfc3339_ns("2000-02-29T00:00:00Z").is_ok());
    assert!(matches!(
        parse_rfc3339_ns("2026-04-31T00:00:00Z"),
        Err(TimeError::OutOfRange { field: "day", .. })
    ));
    assert!(matches!(
        parse_rfc3339_ns("2026-13-01T00:00:00Z"),
        Err(TimeError::OutOfRange { field: "month", .. })
    ));
    assert!(matches!(
        parse_rfc3339_ns("2026-01-01T24:00:00Z"),
        Err(TimeError::OutOfRange { field: "hour", .. })
    ));
    assert!(matches!(
        parse_rfc3339_ns("2026-01-01T23:60:00Z"),
        Err(TimeError::OutOfRange {
            field: "minute",
            ..
        })
    ));
    assert!(matches!(
        parse_rfc3339_ns("2026-01-01T23:00:00+24:00"),
        Err(TimeError::OutOfRange { .. })
    ));
}

#[test]
fn refuses_malformed_and_unrepresentable_input() {
    for bad in [
        "",
        "2026-05-13",
        "2026-05-13T01:51:41",
        "2026-05-13T01:51:41.Z",
        "2026-05-13T01:51:41.5",
        "2026/05/13T01:51:41Z",
        "2026-05-13T01:51:41ZZ",
        "2026-05-13T01:51:41+0530",
        "20x6-05-13T01:51:41Z",
        "1778637101",
    ] {
        assert!(
            matches!(parse_rfc3339_ns(bad), Err(TimeError::Malformed { .. })),
            "{bad:?} was accepted"
        );
    }
    assert!(matches!(
        parse_rfc3339_ns("2026-05-13T01:51:41.1234567891Z"),
        Err(TimeError::TooPrecise { .. })
    ));
    // Kalshi has sent `created_time: "0001-01-01T00:00:00Z"`: outside i64 nanoseconds.
    assert!(matches!(
        parse_rfc3339_ns("0001-01-01T00:00:00Z"),
        Err(TimeError::Overflow { .. })
    ));
    assert!(matches!(
        parse_rfc3339_ns("2263-01-01T00:00:00Z"),
        Err(TimeError::Overflow { .. })
    ));
}

#[test]
fn formats_back_to_the_same_instant() {
    assert_eq!(
        format_rfc3339_micros(1_778_637_101_778_164_000),
        "2026-05-13T01:51:41.778164Z"
    );
    assert_eq!(
        format_rfc3339_seconds(4_089_243_540_000_000_000),
        "2099-08-01T04:59:00Z"
    );
    assert_eq!(
        format_rfc3339_micros(-1_000_000_000),
        "1969-12-31T23:59:59.000000Z"
    );
    for ts_ns in [
        0,
        951_782_400_123_456_000,
        1_709_251_199_999_999_000,
        -86_400_000_000_000 * 365,
    ] {
        assert_eq!(parse_rfc3339_ns(&format_rfc3339_micros(ts_ns)), Ok(ts_ns));
    }
}
