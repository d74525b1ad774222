//! Query-string parsing with Kalshi's conventions: repeated keys (`?tickers=A&tickers=B`),
//! comma lists (`?tickers=A,B`), typed values refused with a 400 naming the parameter.

use std::str::FromStr;

use super::error::ApiError;

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Decodes `query` (without the `?`); `+` is a space, `%XX` a byte.
    pub(crate) fn parse(query: Option<&str>) -> Result<QueryParams, ApiError> {
        let mut pairs = Vec::new();
        for part in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(name)?, decode(value)?));
        }
        Ok(QueryParams { pairs })
    }

    /// The last value of `name`, when present and non-empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, repeated keys and comma lists flattened, empties dropped.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// `name` parsed as `T`, or a 400 naming it.
    pub(crate) fn parse_opt<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => text.parse::<T>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("query parameter {name}={text:?} is not valid"))
            }),
        }
    }

    /// `name` as an integer within `[min, max]` (the spec's bounds), or a 400 naming it.
    pub(crate) fn bounded(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.parse_opt::<i64>(name)? {
            Some(value) if value < min || value > max => Err(ApiError::bad_request(format!(
                "query parameter {name}={value} is outside {min}..={max}"
            ))),
            other => Ok(other),
        }
    }

    /// The page size `limit` within `[min, max]` (a `0` where the spec allows it means the
    /// default, as before).
    pub(crate) fn limit(&self, min: i64, max: i64) -> Result<Option<usize>, ApiError> {
        Ok(self
            .bounded("limit", min, max)?
            .and_then(|n| usize::try_from(n).ok()))
    }

    /// `name` as a boolean (`true`/`false`), default `false`.
    pub(crate) fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self.parse_opt::<bool>(name)?.unwrap_or(false))
    }
}

fn decode(text: &str) -> Result<String, ApiError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("bad percent-encoding in query {text:?}"))
                    })?;
                out.push(hex);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::bad_request("query is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_lists_flatten_and_bad_numbers_are_named() {
        let q = QueryParams::parse(Some("tickers=A&tickers=B%2CC&limit=5&x=%zz")).unwrap_err();
        assert!(q.details.unwrap().contains("percent"));
        let q = QueryParams::parse(Some("tickers=A&tickers=B%2CC&limit=abc&status=open")).unwrap();
        assert_eq!(q.list("tickers"), vec!["A", "B", "C"]);
        assert_eq!(q.get("status"), Some("open"));
        let err = q.parse_opt::<usize>("limit").unwrap_err();
        assert!(err.details.unwrap().contains("limit"));
    }
}
