//! Cursor pagination: follow `cursor` until the exchange returns an empty one.

use futures_util::stream::{self, Stream};
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::{AuthMode, RestClient, RestRequest};
use crate::error::RestError;
use crate::wire::event::{Event, EventsPage};
use crate::wire::market::{Market, MarketsPage};
use crate::wire::portfolio::{Fill, FillsPage, Order, OrdersPage, Settlement, SettlementsPage};
use crate::wire::trade::{Trade, TradesPage};

/// A page of a cursor-paginated list.
pub trait Page: DeserializeOwned + Send + 'static {
    /// The listed item.
    type Item: Send + 'static;
    /// The next-page cursor; `None` or empty means this was the last page.
    fn next_cursor(&self) -> Option<&str>;
    /// The page's items.
    fn into_items(self) -> Vec<Self::Item>;
}

macro_rules! page {
    ($page:ty, $item:ty, $field:ident) => {
        impl Page for $page {
            type Item = $item;
            fn next_cursor(&self) -> Option<&str> {
                self.cursor.as_deref()
            }
            fn into_items(self) -> Vec<$item> {
                self.$field
            }
        }
    };
}

page!(MarketsPage, Market, markets);
page!(TradesPage, Trade, trades);
page!(OrdersPage, Order, orders);
page!(FillsPage, Fill, fills);
page!(SettlementsPage, Settlement, settlements);
page!(EventsPage, Event, events);

/// Where a paginated walk stands.
enum Cursor {
    /// Before the first page.
    Start,
    /// The next page's cursor.
    Next(String),
    /// Finished.
    Done,
}

impl RestClient {
    /// Streams the pages of a list endpoint, following `cursor` until it comes back empty.
    ///
    /// A cursor that repeats the previous one is reported as a decode error instead of
    /// looping forever. Each page is a read with the usual retries.
    pub fn pages<P: Page>(
        &self,
        path: &str,
        auth: AuthMode,
        query: Vec<(&'static str, String)>,
    ) -> impl Stream<Item = Result<P, RestError>> + Send + '_ {
        let path = path.to_string();
        stream::try_unfold(Cursor::Start, move |cursor| {
            let path = path.clone();
            let query = query.clone();
            async move {
                let previous = match cursor {
                    Cursor::Done => return Ok(None),
                    Cursor::Start => None,
                    Cursor::Next(cursor) => Some(cursor),
                };
                let mut pairs = query;
                if let Some(cursor) = &previous {
                    pairs.push(("cursor", cursor.clone()));
                }
                let request = RestRequest::new(Method::GET, path, auth).with_query(pairs);
                let page: P = self.read_json(&request).await?;
                let next = match page.next_cursor() {
                    None | Some("") => Cursor::Done,
                    Some(next) if Some(next) == previous.as_deref() => {
                        return Err(RestError::Decode {
                            endpoint: request.endpoint(),
                            status: 200,
                            reason: "pagination cursor did not advance".to_string(),
                        });
                    }
                    Some(next) => Cursor::Next(next.to_string()),
                };
                Ok(Some((page, next)))
            }
        })
    }

    /// Collects every item of a list endpoint, calling `progress(pages_done, items_so_far)`
    /// after each page.
    pub async fn collect_all<P: Page>(
        &self,
        path: &str,
        auth: AuthMode,
        query: Vec<(&'static str, String)>,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Vec<P::Item>, RestError> {
        use futures_util::StreamExt as _;
        let mut items = Vec::new();
        let mut pages_done = 0;
        let pages = self.pages::<P>(path, auth, query);
        futures_util::pin_mut!(pages);
        while let Some(page) = pages.next().await {
            items.extend(page?.into_items());
            pages_done += 1;
            progress(pages_done, items.len());
        }
        Ok(items)
    }
}
