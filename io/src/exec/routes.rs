//! The order endpoints of each [`OrderDialect`], spelled once: the request builders take their
//! paths from here, and so does the write-cost accounting ([`write_cost`]), so a run under
//! the legacy dialect counts the legacy endpoints' costs.

use kalshi_core::commands::Command;
use reqwest::Method;

use super::OrderDialect;
use crate::data_rest::endpoints::path_segment;
use crate::error::RestError;
use crate::ratelimit::cost_of;

/// The placeholder for the order id in a route's path template.
const ORDER_ID: &str = "{id}";

/// One order endpoint: its method and its path template (`{id}` stands for an order id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path under the API base, with `{id}` where the order id goes.
    pub template: &'static str,
}

impl Route {
    const fn new(method: Method, template: &'static str) -> Route {
        Route { method, template }
    }

    /// `METHOD template`, the name errors give the endpoint.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// The path with `order_id` in place of `{id}`; an id that is not a safe path segment is
    /// refused (nothing is sent).
    pub fn path_for(&self, order_id: &str) -> Result<String, RestError> {
        let order_id = path_segment(&self.label(), order_id)?;
        Ok(self.template.replace(ORDER_ID, order_id))
    }

    /// Write-bucket tokens one request to this endpoint costs (Kalshi's published table).
    pub fn cost(&self) -> u32 {
        cost_of(self.method.as_str(), self.template, 0)
    }
}

impl OrderDialect {
    /// Creating one order.
    pub fn place_route(self) -> Route {
        match self {
            OrderDialect::V2 => Route::new(Method::POST, "/portfolio/events/orders"),
            OrderDialect::Legacy => Route::new(Method::POST, "/portfolio/orders"),
        }
    }

    /// Cancelling one order by exchange id.
    pub fn cancel_route(self) -> Route {
        match self {
            OrderDialect::V2 => Route::new(Method::DELETE, "/portfolio/events/orders/{id}"),
            OrderDialect::Legacy => Route::new(Method::DELETE, "/portfolio/orders/{id}"),
        }
    }

    /// Amending one order's price and total count.
    pub fn amend_route(self) -> Route {
        match self {
            OrderDialect::V2 => Route::new(Method::POST, "/portfolio/events/orders/{id}/amend"),
            OrderDialect::Legacy => Route::new(Method::POST, "/portfolio/orders/{id}/amend"),
        }
    }

    /// Decreasing one order's remaining count.
    pub fn decrease_route(self) -> Route {
        match self {
            OrderDialect::V2 => Route::new(Method::POST, "/portfolio/events/orders/{id}/decrease"),
            OrderDialect::Legacy => Route::new(Method::POST, "/portfolio/orders/{id}/decrease"),
        }
    }

    /// Cancelling every resting order of the account: one V2 endpoint, whatever the dialect
    /// (the legacy dialect has none).
    pub fn cancel_all_route(self) -> Route {
        Route::new(Method::DELETE, "/portfolio/events/orders")
    }

    /// Creating several orders in one request: one V2 endpoint, whatever the dialect (the
    /// legacy dialect's batches are not used).
    pub fn batch_place_route(self) -> Route {
        Route::new(Method::POST, "/portfolio/events/orders/batched")
    }

    /// Cancelling several orders in one request: one V2 endpoint, whatever the dialect (the
    /// legacy dialect's batches are not used).
    pub fn batch_cancel_route(self) -> Route {
        Route::new(Method::DELETE, "/portfolio/events/orders/batched")
    }

    /// The endpoint that carries `command` (`None` for a lookup, which is a paged read).
    pub fn route_of(self, command: &Command) -> Option<Route> {
        match command {
            Command::Place(_) => Some(self.place_route()),
            Command::Amend(_) => Some(self.amend_route()),
            Command::Decrease(_) => Some(self.decrease_route()),
            Command::Cancel(_) => Some(self.cancel_route()),
            Command::CancelAll => Some(self.cancel_all_route()),
            Command::LookupOrder { .. } => None,
        }
    }
}

/// Write-bucket tokens `command` costs under `dialect` (lookups are reads and cost none here).
pub fn write_cost(dialect: OrderDialect, command: &Command) -> u32 {
    dialect.route_of(command).map_or(0, |route| route.cost())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kalshi_core::client_order_id::ClientOrderId;
    use kalshi_core::commands::CancelOrder;

    fn cancel() -> Command {
        Command::Cancel(CancelOrder {
            client_order_id: ClientOrderId::parse("kb-r-1").unwrap(),
            order_id: Some("o-1".to_string()),
            ticker: "M".to_string(),
        })
    }

    #[test]
    fn write_costs_follow_the_exchange_table_for_each_dialect() {
        assert_eq!(write_cost(OrderDialect::V2, &Command::CancelAll), 2);
        assert_eq!(write_cost(OrderDialect::Legacy, &Command::CancelAll), 2);
        assert_eq!(write_cost(OrderDialect::V2, &cancel()), 2);
        // The legacy single cancel is not in the cheap list: it costs the default.
        assert_eq!(write_cost(OrderDialect::Legacy, &cancel()), 10);
        let lookup = Command::LookupOrder {
            client_order_id: ClientOrderId::parse("kb-r-1").unwrap(),
            ticker: "M".to_string(),
        };
        assert_eq!(write_cost(OrderDialect::V2, &lookup), 0);
        assert_eq!(write_cost(OrderDialect::Legacy, &lookup), 0);
    }

    #[test]
    fn batches_go_to_the_v2_batch_endpoint_whatever_the_dialect() {
        for dialect in [OrderDialect::V2, OrderDialect::Legacy] {
            assert_eq!(
                dialect.batch_place_route().label(),
                "POST /portfolio/events/orders/batched"
            );
            assert_eq!(
                dialect.batch_cancel_route().label(),
                "DELETE /portfolio/events/orders/batched"
            );
        }
    }

    #[test]
    fn a_path_takes_the_order_id_only_when_it_is_a_safe_segment() {
        let route = OrderDialect::V2.amend_route();
        assert_eq!(
            route.path_for("abc-1").unwrap(),
            "/portfolio/events/orders/abc-1/amend"
        );
        assert_eq!(route.label(), "POST /portfolio/events/orders/{id}/amend");
        assert_eq!(
            OrderDialect::Legacy
                .cancel_route()
                .path_for("abc-1")
                .unwrap(),
            "/portfolio/orders/abc-1"
        );
        let refused = route.path_for("../x").unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("POST /portfolio/events/orders/{id}/amend"),
            "{refused}"
        );
    }
}
