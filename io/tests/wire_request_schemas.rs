//! Our request bodies, serialized, must satisfy Kalshi's own request schemas: the OpenAPI
//! document for REST and the AsyncAPI document for WebSocket commands (both in
//! `fixtures/spec/`), checked by the shared validator in `spec_support` (which also rejects
//! a property the schema does not list: the exchange would ignore or refuse a field we
//! think we are sending).

mod spec_support;

use kalshi_core::side::{BookSide, LegacyAction, OutcomeSide};
use kalshi_core::{Count, Price};
use kalshi_io::wire::order_group::CreateOrderGroupRequest;
use kalshi_io::wire::order_legacy::CreateOrderRequest;
use kalshi_io::wire::order_v2::{
    AmendOrderV2Request, BatchCancelOrderV2Item, BatchCancelOrdersV2Request,
    BatchCreateOrdersV2Request, CreateOrderV2Request, DecreaseOrderV2Request, SelfTradePrevention,
    TimeInForce,
};
use kalshi_io::wire::ws::{UpdateAction, WsCommand};
use serde_json::Value;
use spec_support::{asyncapi, openapi, violations};

fn assert_rest_valid(schema_name: &str, body: &impl serde::Serialize) -> Value {
    let value = serde_json::to_value(body).unwrap();
    let errors = violations(
        openapi(),
        &format!("/components/schemas/{schema_name}"),
        &value,
    );
    assert!(
        errors.is_empty(),
        "{schema_name} body {value} violates the spec:\n{}",
        errors.join("\n")
    );
    value
}

fn assert_ws_valid(schema_name: &str, command: &WsCommand) -> Value {
    let value = serde_json::to_value(command).unwrap();
    let errors = violations(
        asyncapi(),
        &format!("/components/schemas/{schema_name}"),
        &value,
    );
    assert!(
        errors.is_empty(),
        "{schema_name} command {value} violates the spec:\n{}",
        errors.join("\n")
    );
    value
}

fn v2_order(side: BookSide, price: &str, count: &str) -> CreateOrderV2Request {
    CreateOrderV2Request {
        ticker: "KXHIGHNY-26OCT27-T60".into(),
        side,
        count: Count::parse(count).unwrap(),
        price: Price::parse(price).unwrap(),
        time_in_force: TimeInForce::GoodTillCanceled,
        self_trade_prevention_type: SelfTradePrevention::TakerAtCross,
        client_order_id: Some("run7-000042".into()),
        expiration_time: None,
        post_only: Some(true),
        reduce_only: None,
        cancel_order_on_pause: Some(false),
        subaccount: Some(0),
        order_group_id: None,
        exchange_index: None,
    }
}

#[test]
fn v2_create_serializes_prices_and_counts_as_strings_and_fits_the_spec() {
    let body = assert_rest_valid(
        "CreateOrderV2Request",
        &v2_order(BookSide::Bid, "0.56", "10"),
    );
    assert_eq!(body["price"], "0.5600");
    assert_eq!(body["count"], "10.00");
    assert_eq!(body["side"], "bid");
    assert_eq!(body["time_in_force"], "good_till_canceled");
    assert_eq!(body["self_trade_prevention_type"], "taker_at_cross");
    assert!(
        body.get("reduce_only").is_none() && body.get("expiration_time").is_none(),
        "None fields must be omitted"
    );

    let mut ioc = v2_order(BookSide::Ask, "0.4410", "2.5");
    ioc.time_in_force = TimeInForce::ImmediateOrCancel;
    ioc.self_trade_prevention_type = SelfTradePrevention::Maker;
    ioc.reduce_only = Some(true);
    ioc.order_group_id = Some("og-1".into());
    ioc.exchange_index = Some(-1);
    let body = assert_rest_valid("CreateOrderV2Request", &ioc);
    assert_eq!(body["count"], "2.50");
    assert_eq!(body["price"], "0.4410");
}

#[test]
fn v2_amend_decrease_and_batches_fit_the_spec() {
    let amend = AmendOrderV2Request {
        ticker: "KXHIGHNY-26OCT27-T60".into(),
        side: BookSide::Bid,
        price: Price::parse("0.57").unwrap(),
        count: Count::parse("8").unwrap(),
        client_order_id: Some("run7-000042".into()),
        updated_client_order_id: Some("run7-000043".into()),
        expiration_time: Some(0),
        exchange_index: None,
    };
    let body = assert_rest_valid("AmendOrderV2Request", &amend);
    assert_eq!(body["count"], "8.00");

    let decrease = DecreaseOrderV2Request {
        reduce_by: Some(Count::parse("2").unwrap()),
        ..Default::default()
    };
    let body = assert_rest_valid("DecreaseOrderV2Request", &decrease);
    assert_eq!(body, serde_json::json!({"reduce_by": "2.00"}));

    let batch = BatchCreateOrdersV2Request {
        orders: vec![
            v2_order(BookSide::Bid, "0.55", "3"),
            v2_order(BookSide::Ask, "0.58", "4"),
        ],
    };
    assert_rest_valid("BatchCreateOrdersV2Request", &batch);

    let cancel = BatchCancelOrdersV2Request {
        orders: vec![
            BatchCancelOrderV2Item {
                order_id: "a".into(),
                subaccount: Some(0),
                exchange_index: None,
                market_ticker: None,
            },
            BatchCancelOrderV2Item {
                order_id: "b".into(),
                subaccount: None,
                exchange_index: Some(-1),
                market_ticker: Some("KXHIGHNY-26OCT27-T60".into()),
            },
        ],
    };
    assert_rest_valid("BatchCancelOrdersV2Request", &cancel);
}

#[test]
fn legacy_create_and_order_group_create_fit_the_spec() {
    let legacy = CreateOrderRequest {
        ticker: "KXHIGHNY-26OCT27-T60".into(),
        side: OutcomeSide::No,
        action: LegacyAction::Buy,
        count: Some(5),
        count_fp: None,
        yes_price: None,
        no_price: Some(44),
        yes_price_dollars: None,
        no_price_dollars: None,
        client_order_id: Some("run7-000044".into()),
        expiration_ts: None,
        time_in_force: Some(TimeInForce::GoodTillCanceled),
        buy_max_cost: None,
        post_only: Some(true),
        reduce_only: None,
        sell_position_floor: None,
        self_trade_prevention_type: Some(SelfTradePrevention::TakerAtCross),
        order_group_id: None,
        cancel_order_on_pause: None,
        subaccount: None,
        exchange_index: None,
    };
    let body = assert_rest_valid("CreateOrderRequest", &legacy);
    assert_eq!(body["no_price"], 44);

    let dollars = CreateOrderRequest {
        count: None,
        count_fp: Some(Count::parse("5.5").unwrap()),
        no_price: None,
        yes_price_dollars: Some(Price::parse("0.561").unwrap()),
        ..legacy
    };
    let body = assert_rest_valid("CreateOrderRequest", &dollars);
    assert_eq!(body["yes_price_dollars"], "0.5610");
    assert_eq!(body["count_fp"], "5.50");

    let group = CreateOrderGroupRequest {
        contracts_limit_fp: Some(Count::parse("150").unwrap()),
        ..Default::default()
    };
    let body = assert_rest_valid("CreateOrderGroupRequest", &group);
    assert_eq!(body, serde_json::json!({"contracts_limit_fp": "150.00"}));
}

#[test]
fn ws_commands_fit_the_asyncapi() {
    let mut subscribe =
        WsCommand::subscribe(1, &["orderbook_delta", "ticker"], &["KXA-1", "KXB-2"]);
    let body = assert_ws_valid("subscribeCommandPayload", &subscribe);
    assert_eq!(
        body,
        serde_json::json!({"id": 1, "cmd": "subscribe", "params": {"channels": ["orderbook_delta", "ticker"], "market_tickers": ["KXA-1", "KXB-2"]}})
    );
    if let kalshi_io::wire::ws::WsCommandBody::Subscribe(params) = &mut subscribe.body {
        params.use_yes_price = Some(true);
        params.send_initial_snapshot = Some(true);
    }
    assert_ws_valid("subscribeCommandPayload", &subscribe);
    assert_ws_valid(
        "subscribeCommandPayload",
        &WsCommand::subscribe(2, &["fill", "user_orders"], &[]),
    );

    for action in [
        UpdateAction::AddMarkets,
        UpdateAction::DeleteMarkets,
        UpdateAction::GetSnapshot,
    ] {
        let body = assert_ws_valid(
            "updateSubscriptionCommandPayload",
            &WsCommand::update_subscription(3, 7, action, &["KXA-1"]),
        );
        assert_eq!(body["params"]["sids"], serde_json::json!([7]));
    }
    assert_ws_valid(
        "unsubscribeCommandPayload",
        &WsCommand::unsubscribe(4, &[1, 2]),
    );
    let body = assert_ws_valid(
        "listSubscriptionsCommandPayload",
        &WsCommand::list_subscriptions(5),
    );
    assert_eq!(
        body,
        serde_json::json!({"id": 5, "cmd": "list_subscriptions"})
    );
}

#[test]
fn validator_rejects_bodies_that_break_the_spec() {
    let mut body = serde_json::to_value(v2_order(BookSide::Bid, "0.56", "10")).unwrap();
    body.as_object_mut().unwrap().remove("time_in_force");
    body["side"] = Value::from("buy");
    body["count"] = Value::from(10);
    body["surprise"] = Value::from(true);
    let errors = violations(openapi(), "/components/schemas/CreateOrderV2Request", &body);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("missing required time_in_force")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("$.side") && e.contains("not in")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("$.count") && e.contains("expected")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("surprise")), "{errors:?}");

    let too_many_sids = serde_json::json!({"id": 1, "cmd": "update_subscription", "params": {"sids": [1, 2], "action": "add_markets"}});
    let errors = violations(
        asyncapi(),
        "/components/schemas/updateSubscriptionCommandPayload",
        &too_many_sids,
    );
    assert!(errors.iter().any(|e| e.contains("maxItems")), "{errors:?}");
}
