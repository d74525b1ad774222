//! Where to connect: Kalshi's production and demo endpoints, explicit overrides for the local
//! exchange, and the environment-variable names the CLI reads configuration from.
//!
//! This module never reads the process environment itself. [`Endpoints::from_lookup`] and
//! [`CredentialSource::from_lookup`] take a lookup closure (the CLI passes one backed by
//! `std::env::var`; tests pass a map), so every branch is testable.

use std::fmt;
use std::path::PathBuf;

use reqwest::Url;
use thiserror::Error;

use crate::auth::{ApiCredentials, AuthError};

/// Environment variable overriding the REST base URL (e.g. the local exchange's).
pub const ENV_API_BASE: &str = "KALSHI_API_BASE";
/// Environment variable overriding the WebSocket URL.
pub const ENV_WS_URL: &str = "KALSHI_WS_URL";
/// Environment variable holding the API key id.
pub const ENV_API_KEY_ID: &str = "KALSHI_API_KEY_ID";
/// Environment variable naming a PEM private-key file.
pub const ENV_PRIVATE_KEY_PATH: &str = "KALSHI_PRIVATE_KEY_PATH";
/// Environment variable holding PEM private-key text (used when no path is given).
pub const ENV_PRIVATE_KEY_PEM: &str = "KALSHI_PRIVATE_KEY_PEM";

/// Production REST base (recommended host).
pub const PRODUCTION_API_BASE: &str = "https://external-api.kalshi.com/trade-api/v2";
/// Production WebSocket URL (recommended host).
pub const PRODUCTION_WS_URL: &str = "wss://external-api-ws.kalshi.com/trade-api/ws/v2";
/// Production REST base on the older, still supported host.
pub const PRODUCTION_API_BASE_LEGACY_HOST: &str = "https://api.elections.kalshi.com/trade-api/v2";
/// Production WebSocket URL on the older, still supported host.
pub const PRODUCTION_WS_URL_LEGACY_HOST: &str = "wss://api.elections.kalshi.com/trade-api/ws/v2";
/// Demo REST base (recommended host).
pub const DEMO_API_BASE: &str = "https://external-api.demo.kalshi.co/trade-api/v2";
/// Demo WebSocket URL (recommended host).
pub const DEMO_WS_URL: &str = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2";
/// Demo REST base on the older, still supported host.
pub const DEMO_API_BASE_LEGACY_HOST: &str = "https://demo-api.kalshi.co/trade-api/v2";
/// Demo WebSocket URL on the older, still supported host.
pub const DEMO_WS_URL_LEGACY_HOST: &str = "wss://demo-api.kalshi.co/trade-api/ws/v2";

/// Why an endpoint or credential configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvError {
    /// A URL did not parse.
    #[error("{what} is not a valid URL: {reason}")]
    InvalidUrl {
        /// Which setting (`api_base`, `ws_url`, or an environment variable name).
        what: String,
        /// The parser's reason (never the URL itself, which may embed credentials).
        reason: String,
    },
    /// A URL has a scheme that does not fit its use.
    #[error("{what} must use {expected}, found scheme {found:?}")]
    WrongScheme {
        /// Which setting.
        what: String,
        /// The schemes allowed.
        expected: &'static str,
        /// The scheme given.
        found: String,
    },
    /// A URL carries a username/password, a query or a fragment, which would never be signed.
    #[error("{what} must not contain {part}")]
    UnexpectedUrlPart {
        /// Which setting.
        what: String,
        /// The offending part (`credentials`, `a query`, `a fragment`).
        part: &'static str,
    },
    /// An API key id was configured without a private key, or the other way round.
    #[error("incomplete credentials: {missing} is not set")]
    IncompleteCredentials {
        /// The variable that is missing.
        missing: &'static str,
    },
}

/// Which Kalshi deployment to talk to by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// Real money.
    Production,
    /// Kalshi's demo exchange (separate accounts and keys).
    Demo,
}

impl Environment {
    /// Parses `production`/`prod` or `demo` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Environment> {
        match name.trim().to_ascii_lowercase().as_str() {
            "production" | "prod" => Some(Environment::Production),
            "demo" => Some(Environment::Demo),
            _ => None,
        }
    }

    /// The recommended endpoints of this environment.
    pub fn endpoints(self) -> Endpoints {
        let (api_base, ws_url) = match self {
            Environment::Production => (PRODUCTION_API_BASE, PRODUCTION_WS_URL),
            Environment::Demo => (DEMO_API_BASE, DEMO_WS_URL),
        };
        Endpoints::from_validated(api_base, ws_url)
    }

    /// The endpoints on the older host this environment still serves.
    pub fn legacy_host_endpoints(self) -> Endpoints {
        let (api_base, ws_url) = match self {
            Environment::Production => (
                PRODUCTION_API_BASE_LEGACY_HOST,
                PRODUCTION_WS_URL_LEGACY_HOST,
            ),
            Environment::Demo => (DEMO_API_BASE_LEGACY_HOST, DEMO_WS_URL_LEGACY_HOST),
        };
        Endpoints::from_validated(api_base, ws_url)
    }
}

/// A REST base URL and a WebSocket URL, both validated.
///
/// The REST base includes the API path prefix (`…/trade-api/v2`); request paths are appended
/// to it, and the full URL path (prefix included, query excluded) is what gets signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    api_base: Url,
    ws_url: Url,
}

impl Endpoints {
    /// Builds endpoints from explicit URLs, e.g. the local exchange's
    /// `http://127.0.0.1:PORT/trade-api/v2` and `ws://127.0.0.1:PORT/trade-api/ws/v2`.
    ///
    /// `api_base` must be `http`/`https`, `ws_url` must be `ws`/`wss`; neither may carry
    /// credentials, a query or a fragment. A trailing `/` on the REST base is ignored.
    pub fn custom(api_base: &str, ws_url: &str) -> Result<Endpoints, EnvError> {
        Ok(Endpoints {
            api_base: parse_url("api_base", api_base, &["http", "https"], "http or https")?,
            ws_url: parse_url("ws_url", ws_url, &["ws", "wss"], "ws or wss")?,
        })
    }

    /// Replaces the REST base and/or the WebSocket URL, keeping the other as it was.
    pub fn with_overrides(
        self,
        api_base: Option<&str>,
        ws_url: Option<&str>,
    ) -> Result<Endpoints, EnvError> {
        let api_base = match api_base {
            Some(text) => parse_url("api_base", text, &["http", "https"], "http or https")?,
            None => self.api_base,
        };
        let ws_url = match ws_url {
            Some(text) => parse_url("ws_url", text, &["ws", "wss"], "ws or wss")?,
            None => self.ws_url,
        };
        Ok(Endpoints { api_base, ws_url })
    }

    /// The environment's endpoints with [`ENV_API_BASE`] / [`ENV_WS_URL`] overrides applied,
    /// reading variables through `lookup` (empty values count as unset).
    pub fn from_lookup(
        default: Environment,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Endpoints, EnvError> {
        let api_base = non_empty(lookup(ENV_API_BASE));
        let ws_url = non_empty(lookup(ENV_WS_URL));
        let base = default.endpoints();
        let api_base = match api_base {
            Some(text) => Some(parse_url(
                ENV_API_BASE,
                &text,
                &["http", "https"],
                "http or https",
            )?),
            None => None,
        };
        let ws_url = match ws_url {
            Some(text) => Some(parse_url(ENV_WS_URL, &text, &["ws", "wss"], "ws or wss")?),
            None => None,
        };
        Ok(Endpoints {
            api_base: api_base.unwrap_or(base.api_base),
            ws_url: ws_url.unwrap_or(base.ws_url),
        })
    }

    /// The REST base URL as text, without a trailing `/`.
    pub fn api_base(&self) -> &str {
        self.api_base.as_str().trim_end_matches('/')
    }

    /// The WebSocket URL as text.
    pub fn ws_url(&self) -> &str {
        self.ws_url.as_str()
    }

    /// The path prefix of the REST base (`/trade-api/v2` for Kalshi), without a trailing `/`;
    /// empty when the base has no path.
    pub fn api_path_prefix(&self) -> &str {
        self.api_base.path().trim_end_matches('/')
    }

    /// The path signed for the WebSocket handshake (`/trade-api/ws/v2` for Kalshi).
    pub fn ws_path(&self) -> &str {
        self.ws_url.path()
    }

    /// The full URL of a REST path relative to the base (`"/markets"` →
    /// `https://…/trade-api/v2/markets`). A missing leading `/` is added.
    pub fn rest_url(&self, relative_path: &str) -> String {
        let mut url = String::with_capacity(self.api_base().len() + relative_path.len() + 1);
        url.push_str(self.api_base());
        if !relative_path.starts_with('/') {
            url.push('/');
        }
        url.push_str(relative_path);
        url
    }

    /// The path that is signed for a REST path relative to the base: the base's path prefix
    /// followed by the relative path, without any query.
    pub fn signed_rest_path(&self, relative_path: &str) -> String {
        let relative = relative_path
            .split_once('?')
            .map_or(relative_path, |(path, _)| path);
        let mut path = String::with_capacity(self.api_path_prefix().len() + relative.len() + 1);
        path.push_str(self.api_path_prefix());
        if !relative.starts_with('/') {
            path.push('/');
        }
        path.push_str(relative);
        path
    }

    /// Builds endpoints from the built-in constants (covered by a unit test).
    fn from_validated(api_base: &str, ws_url: &str) -> Endpoints {
        Endpoints::custom(api_base, ws_url).expect("built-in endpoint constants are valid URLs")
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.trim().is_empty())
}

fn parse_url(
    what: &str,
    text: &str,
    schemes: &[&str],
    expected: &'static str,
) -> Result<Url, EnvError> {
    let url = Url::parse(text.trim()).map_err(|error| EnvError::InvalidUrl {
        what: what.to_string(),
        reason: error.to_string(),
    })?;
    if !schemes.contains(&url.scheme()) {
        return Err(EnvError::WrongScheme {
            what: what.to_string(),
            expected,
            found: url.scheme().to_string(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EnvError::UnexpectedUrlPart {
            what: what.to_string(),
            part: "credentials",
        });
    }
    if url.query().is_some() {
        return Err(EnvError::UnexpectedUrlPart {
            what: what.to_string(),
            part: "a query",
        });
    }
    if url.fragment().is_some() {
        return Err(EnvError::UnexpectedUrlPart {
            what: what.to_string(),
            part: "a fragment",
        });
    }
    Ok(url)
}

/// Where the private key comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A PEM file (permission-checked when loaded).
    Path(PathBuf),
    /// PEM text taken from [`ENV_PRIVATE_KEY_PEM`].
    Pem(String),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            KeySource::Pem(_) => f.write_str("Pem([REDACTED])"),
        }
    }
}

/// An API key id and where its private key is, as configured; load it with
/// [`CredentialSource::load`]. `Debug` never shows PEM text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSource {
    /// The API key id.
    pub key_id: String,
    /// The private key's location.
    pub key: KeySource,
}

impl CredentialSource {
    /// Reads [`ENV_API_KEY_ID`] plus [`ENV_PRIVATE_KEY_PATH`] (preferred) or
    /// [`ENV_PRIVATE_KEY_PEM`] through `lookup`. `Ok(None)` when none of them is set (public
    /// data only); an error when only part of a credential is configured.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<CredentialSource>, EnvError> {
        let key_id = non_empty(lookup(ENV_API_KEY_ID));
        let key_path = non_empty(lookup(ENV_PRIVATE_KEY_PATH));
        let key_pem = non_empty(lookup(ENV_PRIVATE_KEY_PEM));
        let key = match (key_path, key_pem) {
            (Some(path), _) => Some(KeySource::Path(PathBuf::from(path))),
            (None, Some(pem)) => Some(KeySource::Pem(pem)),
            (None, None) => None,
        };
        match (key_id, key) {
            (None, None) => Ok(None),
            (Some(key_id), Some(key)) => Ok(Some(CredentialSource {
                key_id: key_id.trim().to_string(),
                key,
            })),
            (Some(_), None) => Err(EnvError::IncompleteCredentials {
                missing: ENV_PRIVATE_KEY_PATH,
            }),
            (None, Some(_)) => Err(EnvError::IncompleteCredentials {
                missing: ENV_API_KEY_ID,
            }),
        }
    }

    /// Loads the key and pairs it with the key id.
    pub fn load(&self) -> Result<ApiCredentials, AuthError> {
        match &self.key {
            KeySource::Path(path) => ApiCredentials::from_pem_file(self.key_id.clone(), path),
            KeySource::Pem(pem) => ApiCredentials::from_pem(self.key_id.clone(), pem),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn lookup_from(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    #[test]
    fn production_and_demo_use_recommended_hosts() {
        let prod = Environment::Production.endpoints();
        assert_eq!(prod.api_base(), PRODUCTION_API_BASE);
        assert_eq!(prod.ws_url(), PRODUCTION_WS_URL);
        assert_eq!(prod.api_path_prefix(), "/trade-api/v2");
        assert_eq!(prod.ws_path(), "/trade-api/ws/v2");
        let demo = Environment::Demo.endpoints();
        assert_eq!(demo.api_base(), DEMO_API_BASE);
        assert_eq!(demo.ws_url(), DEMO_WS_URL);
        let legacy = Environment::Demo.legacy_host_endpoints();
        assert_eq!(legacy.api_base(), DEMO_API_BASE_LEGACY_HOST);
        assert_eq!(legacy.ws_path(), "/trade-api/ws/v2");
    }

    #[test]
    fn signed_path_includes_prefix_and_drops_query() {
        let prod = Environment::Production.endpoints();
        assert_eq!(
            prod.signed_rest_path("/portfolio/orders?limit=5&status=resting"),
            "/trade-api/v2/portfolio/orders"
        );
        assert_eq!(
            prod.rest_url("markets"),
            "https://external-api.kalshi.com/trade-api/v2/markets"
        );
    }

    #[test]
    fn overrides_point_at_the_local_exchange() {
        let lookup = lookup_from(&[
            (ENV_API_BASE, "http://127.0.0.1:8123/trade-api/v2/"),
            (ENV_WS_URL, "ws://127.0.0.1:8123/trade-api/ws/v2"),
        ]);
        let endpoints = Endpoints::from_lookup(Environment::Production, lookup).unwrap();
        assert_eq!(endpoints.api_base(), "http://127.0.0.1:8123/trade-api/v2");
        assert_eq!(endpoints.ws_url(), "ws://127.0.0.1:8123/trade-api/ws/v2");
        assert_eq!(
            endpoints.signed_rest_path("/markets"),
            "/trade-api/v2/markets"
        );
        let only_ws = Endpoints::from_lookup(
            Environment::Demo,
            lookup_from(&[(ENV_WS_URL, "ws://localhost:9/x"), (ENV_API_BASE, "  ")]),
        )
        .unwrap();
        assert_eq!(only_ws.api_base(), DEMO_API_BASE);
        assert_eq!(only_ws.ws_url(), "ws://localhost:9/x");
    }

    #[test]
    fn bad_urls_are_refused_with_the_setting_named() {
        let wrong_scheme =
            Endpoints::custom("ws://127.0.0.1/trade-api/v2", "ws://127.0.0.1/x").unwrap_err();
        assert!(
            matches!(wrong_scheme, EnvError::WrongScheme { ref what, .. } if what == "api_base")
        );
        let with_query = Endpoints::from_lookup(
            Environment::Demo,
            lookup_from(&[(ENV_WS_URL, "wss://h/p?a=1")]),
        )
        .unwrap_err();
        assert!(
            matches!(with_query, EnvError::UnexpectedUrlPart { ref what, part: "a query" } if what == ENV_WS_URL)
        );
        let with_password =
            Endpoints::custom("https://user:secret@h/trade-api/v2", "wss://h/").unwrap_err();
        assert!(!with_password.to_string().contains("secret"));
        let garbage = Endpoints::custom("not a url", "wss://h/").unwrap_err();
        assert!(matches!(garbage, EnvError::InvalidUrl { .. }));
    }

    #[test]
    fn credentials_need_both_parts() {
        assert_eq!(
            CredentialSource::from_lookup(lookup_from(&[])).unwrap(),
            None
        );
        let source = CredentialSource::from_lookup(lookup_from(&[
            (ENV_API_KEY_ID, "key-1"),
            (ENV_PRIVATE_KEY_PATH, "/keys/k.pem"),
            (ENV_PRIVATE_KEY_PEM, "-----BEGIN PRIVATE KEY-----"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(source.key, KeySource::Path(PathBuf::from("/keys/k.pem")));
        let from_pem = CredentialSource::from_lookup(lookup_from(&[
            (ENV_API_KEY_ID, "key-1"),
            (ENV_PRIVATE_KEY_PEM, "SECRET-PEM-TEXT"),
        ]))
        .unwrap()
        .unwrap();
        assert!(!format!("{from_pem:?}").contains("SECRET-PEM-TEXT"));
        assert_eq!(
            CredentialSource::from_lookup(lookup_from(&[(ENV_API_KEY_ID, "k")])).unwrap_err(),
            EnvError::IncompleteCredentials {
                missing: ENV_PRIVATE_KEY_PATH
            }
        );
        assert_eq!(
            CredentialSource::from_lookup(lookup_from(&[(ENV_PRIVATE_KEY_PEM, "x")])).unwrap_err(),
            EnvError::IncompleteCredentials {
                missing: ENV_API_KEY_ID
            }
        );
    }

    #[test]
    fn environment_names_parse() {
        assert_eq!(
            Environment::from_name("PROD"),
            Some(Environment::Production)
        );
        assert_eq!(Environment::from_name(" demo "), Some(Environment::Demo));
        assert_eq!(Environment::from_name("staging"), None);
    }
}
