//! Order execution: turns engine commands into signed write requests and classifies every
//! outcome so the engine knows exactly what it may assume.
//!
//! Outcomes ([`WriteOutcome`]):
//! - `Accepted` — 2xx with a readable answer;
//! - `Rejected` — the exchange refused (4xx other than 408/429, including 401/403): the
//!   request had no effect;
//! - `RateLimited` — 429: no effect; reported, never retried here;
//! - `Unknown` — timeout, 408, 5xx, broken connection, or an unreadable 2xx: the request may
//!   or may not have taken effect. Resolve with [`Executor::resolve_unknown`] before any retry,
//!   and a retry always reuses the same `client_order_id`;
//! - `NotSent` — refused locally before anything went on the wire (bad path segment, batch
//!   larger than the bucket, missing credentials).
//!
//! Writes are sent exactly once and always pass the write bucket of the shared
//! [`RateLimiter`](crate::ratelimit::RateLimiter) first (an [`Executor`] refuses a client
//! without one). Orders go to the V2 endpoints (`/portfolio/events/orders`) by default; the
//! deprecated `/portfolio/orders` dialect is selectable (see [`legacy`]).

pub mod events;
pub mod legacy;
mod outcome;
pub mod routes;

use kalshi_core::commands::{AmendOrder, CancelOrder, Command, DecreaseOrder, PlaceOrder};
use kalshi_core::config::SelfTradePrevention as CoreStp;
use kalshi_core::events::{Event, RequestKind};
use kalshi_core::fixed::Count;
use kalshi_core::market_data::OrderSnapshot;
use reqwest::Method;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::data_rest::endpoints::path_segment;
use crate::data_rest::queries::OrdersQuery;
use crate::data_rest::{AuthMode, RestClient, RestRequest, decode_json};
use crate::error::RestError;
use crate::normalize;
use crate::ratelimit::BATCH_CANCEL_COST_PER_ORDER;
use crate::wire::error::ApiErrorDetail;
use crate::wire::order_group::{
    CreateOrderGroupRequest, CreateOrderGroupResponse, UpdateOrderGroupLimitRequest,
};
use crate::wire::order_v2::{
    AmendOrderV2Request, AmendOrderV2Response, BatchCancelOrderV2Item, BatchCancelOrdersV2Request,
    BatchCancelOrdersV2Response, BatchCreateOrdersV2Request, BatchCreateOrdersV2Response,
    CancelOrderV2Response, CreateOrderV2Request, CreateOrderV2Response, DecreaseOrderV2Request,
    DecreaseOrderV2Response, SelfTradePrevention, TimeInForce,
};

pub use events::{batch_cancel_events, modified_event, not_sent_refusal, placed_event};
pub use outcome::{WriteOutcome, classify_write_error};
pub use routes::Route;

/// Cancels per V2 batch when cancelling many orders at once (the older documented batch
/// limit; 40 write tokens, within even the Basic tier's bucket).
pub const CANCEL_BATCH_MAX: usize = 20;

/// Which order endpoints to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDialect {
    /// `/portfolio/events/orders` (bid/ask, YES price) — current.
    #[default]
    V2,
    /// `/portfolio/orders` (yes/no + buy/sell) — deprecated by Kalshi in 2026.
    Legacy,
}

/// Settings of an [`Executor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExecConfig {
    /// Order endpoints.
    pub dialect: OrderDialect,
    /// Subaccount for every write (`None` = primary).
    pub subaccount: Option<u32>,
}

/// Why an [`Executor`] could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ExecSetupError {
    /// The REST client has no rate limiter; writes must never bypass the write bucket.
    #[error("the REST client used for execution must have a rate limiter")]
    MissingRateLimiter,
    /// The REST client has no credentials; every write is signed.
    #[error("the REST client used for execution must have API credentials")]
    MissingCredentials,
}

/// A create that the exchange accepted, in one shape for both dialects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Exchange order id.
    pub order_id: String,
    /// Echo of our client id.
    pub client_order_id: Option<String>,
    /// Filled immediately.
    pub fill_count: Count,
    /// Resting after placement.
    pub remaining_count: Count,
}

/// A cancel the exchange accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canceled {
    /// Exchange order id.
    pub order_id: String,
    /// Our client id, when echoed.
    pub client_order_id: Option<String>,
    /// Contracts that were resting and are now cancelled (0 if it had already finished).
    pub reduced_by: Count,
}

/// An amend or decrease the exchange accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modified {
    /// Exchange order id.
    pub order_id: String,
    /// The order's client id after the change, when echoed.
    pub client_order_id: Option<String>,
    /// Filled in total, when reported.
    pub fill_count: Option<Count>,
    /// Resting after the change, when reported.
    pub remaining_count: Option<Count>,
}

/// One item of a batch answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchItem<T> {
    /// This item succeeded.
    Accepted(T),
    /// This item was refused.
    Rejected {
        /// Error code.
        code: String,
        /// Message.
        message: String,
    },
}

impl<T> BatchItem<T> {
    /// One item of a batch answer: refused when it carries an error, else `accepted()`.
    fn from_answer(error: Option<ApiErrorDetail>, accepted: impl FnOnce() -> T) -> BatchItem<T> {
        match error {
            Some(error) => BatchItem::Rejected {
                code: error.code,
                message: error.message,
            },
            None => BatchItem::Accepted(accepted()),
        }
    }
}

/// What a lookup by client order id found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The exchange has the order.
    Found(OrderSnapshot),
    /// No order with this client id exists in that market: the create never took effect.
    NotFound,
}

/// Executes order writes against one account.
#[derive(Debug, Clone)]
pub struct Executor {
    rest: RestClient,
    config: ExecConfig,
}

fn stp(value: CoreStp) -> SelfTradePrevention {
    match value {
        CoreStp::TakerAtCross => SelfTradePrevention::TakerAtCross,
        CoreStp::Maker => SelfTradePrevention::Maker,
    }
}

fn time_in_force(value: kalshi_core::commands::TimeInForce) -> TimeInForce {
    match value {
        kalshi_core::commands::TimeInForce::GoodTillCanceled => TimeInForce::GoodTillCanceled,
        kalshi_core::commands::TimeInForce::ImmediateOrCancel => TimeInForce::ImmediateOrCancel,
        kalshi_core::commands::TimeInForce::FillOrKill => TimeInForce::FillOrKill,
    }
}

impl Executor {
    /// Wraps a REST client that has credentials and a rate limiter.
    pub fn new(rest: RestClient, config: ExecConfig) -> Result<Executor, ExecSetupError> {
        if rest.limiter().is_none() {
            return Err(ExecSetupError::MissingRateLimiter);
        }
        if !rest.has_credentials() {
            return Err(ExecSetupError::MissingCredentials);
        }
        Ok(Executor { rest, config })
    }

    /// The underlying REST client (for reads such as reconciliation).
    pub fn rest(&self) -> &RestClient {
        &self.rest
    }

    /// The settings.
    pub fn config(&self) -> ExecConfig {
        self.config
    }

    /// Sends one write (no retry) and decodes its answer. Takes the request as built, so a
    /// body that could not be serialized becomes the write's outcome without a send.
    async fn write<T: DeserializeOwned>(
        &self,
        request: Result<RestRequest, RestError>,
    ) -> WriteOutcome<T> {
        let request = match request {
            Ok(request) => request,
            Err(error) => return classify_write_error(&error),
        };
        match self.rest.send_once(&request).await {
            Ok(response) => match decode_json::<T>(&request.endpoint(), &response) {
                Ok(value) => WriteOutcome::Accepted(value),
                Err(error) => WriteOutcome::Unknown {
                    reason: format!("accepted with an unreadable answer: {error}"),
                },
            },
            Err(error) => classify_write_error(&error),
        }
    }

    /// Sends one write whose success answer has no body of interest (e.g. 204).
    async fn write_empty(&self, request: Result<RestRequest, RestError>) -> WriteOutcome<()> {
        let request = match request {
            Ok(request) => request,
            Err(error) => return classify_write_error(&error),
        };
        match self.rest.send_once(&request).await {
            Ok(_) => WriteOutcome::Accepted(()),
            Err(error) => classify_write_error(&error),
        }
    }

    fn subaccount_query(&self) -> Vec<(&'static str, String)> {
        self.config
            .subaccount
            .map_or_else(Vec::new, |n| vec![("subaccount", n.to_string())])
    }

    /// The V2 create body for an order.
    pub fn v2_request(&self, order: &PlaceOrder) -> CreateOrderV2Request {
        CreateOrderV2Request {
            ticker: order.ticker.clone(),
            side: order.side,
            count: order.count,
            price: order.price,
            time_in_force: time_in_force(order.time_in_force),
            self_trade_prevention_type: stp(order.self_trade_prevention),
            client_order_id: Some(order.client_order_id.as_str().to_string()),
            expiration_time: order.expiration_ts_s,
            post_only: Some(order.post_only),
            reduce_only: Some(order.reduce_only),
            cancel_order_on_pause: Some(order.cancel_order_on_pause),
            subaccount: self.config.subaccount,
            order_group_id: order.order_group_id.clone(),
            exchange_index: None,
        }
    }

    /// Creates an order (V2 or legacy per the config).
    pub async fn place(&self, order: &PlaceOrder) -> WriteOutcome<Placed> {
        match self.config.dialect {
            OrderDialect::V2 => self
                .write::<CreateOrderV2Response>(
                    RestRequest::new(
                        Method::POST,
                        OrderDialect::V2.place_route().template,
                        AuthMode::Signed,
                    )
                    .with_json(&self.v2_request(order)),
                )
                .await
                .map(|response| Placed {
                    order_id: response.order_id,
                    client_order_id: response.client_order_id,
                    fill_count: response.fill_count,
                    remaining_count: response.remaining_count,
                }),
            OrderDialect::Legacy => legacy::place(self, order).await,
        }
    }

    /// Cancels one order by exchange id.
    pub async fn cancel(&self, order_id: &str, ticker: &str) -> WriteOutcome<Canceled> {
        if self.config.dialect == OrderDialect::Legacy {
            return legacy::cancel(self, order_id).await;
        }
        let route = OrderDialect::V2.cancel_route();
        let path = match route.path_for(order_id) {
            Ok(path) => path,
            Err(error) => return classify_write_error(&error),
        };
        let mut query = self.subaccount_query();
        query.push(("market_ticker", ticker.to_string()));
        let request = RestRequest::new(route.method, path, AuthMode::Signed).with_query(query);
        self.write::<CancelOrderV2Response>(Ok(request))
            .await
            .map(|response| Canceled {
                order_id: response.order_id,
                client_order_id: response.client_order_id,
                reduced_by: response.reduced_by,
            })
    }

    /// Amends price and/or total count (`total_count` = filled + desired remaining).
    pub async fn amend(&self, amend: &AmendOrder) -> WriteOutcome<Modified> {
        if self.config.dialect == OrderDialect::Legacy {
            return legacy::amend(self, amend).await;
        }
        let route = OrderDialect::V2.amend_route();
        let path = match route.path_for(&amend.order_id) {
            Ok(path) => path,
            Err(error) => return classify_write_error(&error),
        };
        let body = AmendOrderV2Request {
            ticker: amend.ticker.clone(),
            side: amend.side,
            price: amend.price,
            count: amend.total_count,
            client_order_id: Some(amend.client_order_id.as_str().to_string()),
            updated_client_order_id: None,
            expiration_time: None,
            exchange_index: None,
        };
        self.write::<AmendOrderV2Response>(
            RestRequest::new(route.method, path, AuthMode::Signed)
                .with_query(self.subaccount_query())
                .with_json(&body),
        )
        .await
        .map(|response| Modified {
            order_id: response.order_id,
            client_order_id: response.client_order_id,
            fill_count: response.fill_count,
            remaining_count: response.remaining_count,
        })
    }

    /// Decreases an order's remaining size to `reduce_to`.
    pub async fn decrease(&self, decrease: &DecreaseOrder) -> WriteOutcome<Modified> {
        if self.config.dialect == OrderDialect::Legacy {
            return legacy::decrease(self, decrease).await;
        }
        let route = OrderDialect::V2.decrease_route();
        let path = match route.path_for(&decrease.order_id) {
            Ok(path) => path,
            Err(error) => return classify_write_error(&error),
        };
        let body = DecreaseOrderV2Request {
            reduce_by: None,
            reduce_to: Some(decrease.reduce_to),
            exchange_index: None,
            market_ticker: Some(decrease.ticker.clone()),
        };
        self.write::<DecreaseOrderV2Response>(
            RestRequest::new(route.method, path, AuthMode::Signed)
                .with_query(self.subaccount_query())
                .with_json(&body),
        )
        .await
        .map(|response| Modified {
            order_id: response.order_id,
            client_order_id: response.client_order_id,
            fill_count: None,
            remaining_count: Some(response.remaining_count),
        })
    }

    /// Creates several orders in one V2 batch (10 tokens per order; the batch must fit the
    /// write bucket or it is `NotSent`). Items are answered in request order.
    pub async fn batch_place(&self, orders: &[PlaceOrder]) -> WriteOutcome<Vec<BatchItem<Placed>>> {
        let body = BatchCreateOrdersV2Request {
            orders: orders.iter().map(|order| self.v2_request(order)).collect(),
        };
        self.write::<BatchCreateOrdersV2Response>(
            RestRequest::new(
                Method::POST,
                OrderDialect::V2.batch_place_route().template,
                AuthMode::Signed,
            )
            .with_batch_len(orders.len())
            .with_json(&body),
        )
        .await
        .map(|response| {
            response
                .orders
                .into_iter()
                .map(|item| {
                    BatchItem::from_answer(item.error, || Placed {
                        order_id: item.order_id,
                        client_order_id: item.client_order_id,
                        fill_count: item.fill_count.unwrap_or_default(),
                        remaining_count: item.remaining_count.unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    /// Cancels several orders (`(order_id, ticker)` pairs) in one V2 batch (2 tokens each).
    pub async fn batch_cancel(
        &self,
        orders: &[(String, String)],
    ) -> WriteOutcome<Vec<BatchItem<Canceled>>> {
        let body = BatchCancelOrdersV2Request {
            orders: orders
                .iter()
                .map(|(order_id, ticker)| BatchCancelOrderV2Item {
                    order_id: order_id.clone(),
                    subaccount: self.config.subaccount,
                    exchange_index: None,
                    market_ticker: Some(ticker.clone()),
                })
                .collect(),
        };
        self.write::<BatchCancelOrdersV2Response>(
            RestRequest::new(
                Method::DELETE,
                OrderDialect::V2.batch_cancel_route().template,
                AuthMode::Signed,
            )
            .with_batch_len(orders.len())
            .with_json(&body),
        )
        .await
        .map(|response| {
            response
                .orders
                .into_iter()
                .map(|item| {
                    BatchItem::from_answer(item.error, || Canceled {
                        order_id: item.order_id,
                        client_order_id: item.client_order_id,
                        reduced_by: item.reduced_by.unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    /// Cancels every resting order of the account (`DELETE /portfolio/events/orders`, 204).
    pub async fn cancel_all(&self) -> WriteOutcome<()> {
        let route = self.config.dialect.cancel_all_route();
        let request = RestRequest::new(route.method, route.template, AuthMode::Signed)
            .with_query(self.subaccount_query());
        self.write_empty(Ok(request)).await
    }

    /// Creates an order group with a rolling 15 s matched-contracts limit; returns its id.
    pub async fn create_order_group(&self, contracts_limit: Count) -> WriteOutcome<String> {
        let body = CreateOrderGroupRequest {
            contracts_limit: None,
            contracts_limit_fp: Some(contracts_limit),
            subaccount: self.config.subaccount,
            exchange_index: None,
        };
        self.write::<CreateOrderGroupResponse>(
            RestRequest::new(
                Method::POST,
                "/portfolio/order_groups/create",
                AuthMode::Signed,
            )
            .with_json(&body),
        )
        .await
        .map(|response| response.order_group_id)
    }

    async fn order_group_put(
        &self,
        order_group_id: &str,
        action: &str,
        body: serde_json::Value,
    ) -> WriteOutcome<()> {
        let label = format!("PUT /portfolio/order_groups/{{id}}/{action}");
        let order_group_id = match path_segment(&label, order_group_id) {
            Ok(id) => id,
            Err(error) => return classify_write_error(&error),
        };
        self.write_empty(
            RestRequest::new(
                Method::PUT,
                format!("/portfolio/order_groups/{order_group_id}/{action}"),
                AuthMode::Signed,
            )
            .with_query(self.subaccount_query())
            .with_json(&body),
        )
        .await
    }

    /// Triggers a group: cancels its orders and blocks new ones until reset.
    pub async fn trigger_order_group(&self, order_group_id: &str) -> WriteOutcome<()> {
        self.order_group_put(order_group_id, "trigger", serde_json::json!({}))
            .await
    }

    /// Resets a triggered group so it accepts orders again.
    pub async fn reset_order_group(&self, order_group_id: &str) -> WriteOutcome<()> {
        self.order_group_put(order_group_id, "reset", serde_json::json!({}))
            .await
    }

    /// Changes a group's contracts limit (triggers at once if below the window's volume).
    pub async fn set_order_group_limit(
        &self,
        order_group_id: &str,
        contracts_limit: Count,
    ) -> WriteOutcome<()> {
        let body = UpdateOrderGroupLimitRequest {
            contracts_limit_fp: Some(contracts_limit),
            ..UpdateOrderGroupLimitRequest::default()
        };
        match serde_json::to_value(&body) {
            Ok(body) => self.order_group_put(order_group_id, "limit", body).await,
            Err(error) => WriteOutcome::NotSent {
                reason: format!("cannot serialize body: {error}"),
            },
        }
    }

    /// Deletes a group and cancels its orders.
    pub async fn delete_order_group(&self, order_group_id: &str) -> WriteOutcome<()> {
        let order_group_id =
            match path_segment("DELETE /portfolio/order_groups/{id}", order_group_id) {
                Ok(id) => id,
                Err(error) => return classify_write_error(&error),
            };
        let request = RestRequest::new(
            Method::DELETE,
            format!("/portfolio/order_groups/{order_group_id}"),
            AuthMode::Signed,
        )
        .with_query(self.subaccount_query());
        self.write_empty(Ok(request)).await
    }

    /// Looks an order up by client id in one market (`GET /portfolio/orders?ticker=…`, every
    /// page): the way to settle an `Unknown` outcome before deciding on a retry.
    pub async fn resolve_unknown(
        &self,
        client_order_id: &str,
        ticker: &str,
    ) -> Result<Resolution, RestError> {
        use futures_util::StreamExt as _;
        let query = OrdersQuery {
            ticker: Some(ticker.to_string()),
            subaccount: self.config.subaccount,
            limit: Some(1000),
            ..OrdersQuery::default()
        };
        let orders = self.rest.orders_stream(&query);
        futures_util::pin_mut!(orders);
        while let Some(order) = orders.next().await {
            let order = order?;
            if order.client_order_id.as_deref() == Some(client_order_id) {
                let snapshot =
                    normalize::order_snapshot(&order).map_err(|error| RestError::Decode {
                        endpoint: "GET /portfolio/orders".to_string(),
                        status: 200,
                        reason: error.to_string(),
                    })?;
                return Ok(Resolution::Found(snapshot));
            }
        }
        Ok(Resolution::NotFound)
    }

    /// Executes one engine command and reports its outcome as engine events (to be journaled
    /// and fed back; the mapping is [`events`]): acks, rejections, unknown outcomes, lookups.
    /// A `Cancel` without an exchange order id is looked up by client id first.
    pub async fn execute(&self, command: &Command) -> Vec<Event> {
        match command {
            Command::Place(order) => {
                let outcome = self.place(order).await;
                vec![placed_event(&order.client_order_id, outcome)]
            }
            Command::Amend(amend) => {
                let outcome = self.amend(amend).await;
                vec![modified_event(
                    &amend.client_order_id,
                    RequestKind::Amend,
                    outcome,
                )]
            }
            Command::Decrease(decrease) => {
                let outcome = self.decrease(decrease).await;
                vec![modified_event(
                    &decrease.client_order_id,
                    RequestKind::Decrease,
                    outcome,
                )]
            }
            Command::Cancel(cancel) => self.execute_cancel(cancel).await,
            Command::CancelAll => events::cancel_all_events(self.cancel_all().await),
            Command::LookupOrder {
                client_order_id,
                ticker,
            } => {
                let answer = self.resolve_unknown(client_order_id.as_str(), ticker).await;
                events::lookup_events(client_order_id, answer)
            }
        }
    }

    async fn execute_cancel(&self, cancel: &CancelOrder) -> Vec<Event> {
        let order_id = match &cancel.order_id {
            Some(order_id) => order_id.clone(),
            None => {
                let answer = self
                    .resolve_unknown(cancel.client_order_id.as_str(), &cancel.ticker)
                    .await;
                match events::cancel_lookup(cancel, answer) {
                    events::CancelTarget::Send(order_id) => order_id,
                    events::CancelTarget::Answered(event) => return vec![event],
                }
            }
        };
        let outcome = self.cancel(&order_id, &cancel.ticker).await;
        vec![events::canceled_event(&cancel.client_order_id, outcome)]
    }

    /// Write-bucket tokens `command` costs at this executor's endpoints (lookups cost none
    /// here: they are reads).
    pub fn write_cost(&self, command: &Command) -> u32 {
        routes::write_cost(self.config.dialect, command)
    }

    /// Cancels `cancels` (all with exchange ids) in V2 batches of at most
    /// [`CANCEL_BATCH_MAX`]; a batch the exchange refuses as a whole (or the legacy dialect,
    /// which has no such endpoint here) falls back to one request per order. `spent` is told
    /// the write tokens of every request sent. Returns one event per cancel.
    pub async fn cancel_in_batches(
        &self,
        cancels: &[CancelOrder],
        spent: &mut (dyn FnMut(u32) + Send),
    ) -> Vec<Event> {
        let mut out = Vec::new();
        for chunk in cancels.chunks(CANCEL_BATCH_MAX) {
            if self.config.dialect != OrderDialect::V2 || chunk.len() <= 1 {
                out.extend(self.cancel_one_by_one(chunk, spent).await);
                continue;
            }
            let pairs: Vec<(String, String)> = chunk
                .iter()
                .map(|cancel| {
                    (
                        cancel.order_id.clone().unwrap_or_default(),
                        cancel.ticker.clone(),
                    )
                })
                .collect();
            spent(
                u32::try_from(chunk.len())
                    .unwrap_or(u32::MAX)
                    .saturating_mul(BATCH_CANCEL_COST_PER_ORDER),
            );
            match self.batch_cancel(&pairs).await {
                WriteOutcome::Rejected { status, code, .. } => {
                    tracing::warn!(status, %code, "batch cancel refused; cancelling one by one");
                    out.extend(self.cancel_one_by_one(chunk, spent).await);
                }
                other => out.extend(events::batch_cancel_events(chunk, other)),
            }
        }
        out
    }

    async fn cancel_one_by_one(
        &self,
        cancels: &[CancelOrder],
        spent: &mut (dyn FnMut(u32) + Send),
    ) -> Vec<Event> {
        let mut out = Vec::new();
        for cancel in cancels {
            let command = Command::Cancel(cancel.clone());
            spent(self.write_cost(&command));
            out.extend(self.execute(&command).await);
        }
        out
    }
}
