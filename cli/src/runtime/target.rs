//! Which exchange a trading command talks to, and the safety checks that run before any
//! network traffic: production needs `--live --i-understand-risk`, and the key's declared
//! environment and every URL override must agree with the chosen mode.

use kalshi_io::env::{Endpoints, Environment};

use crate::exit_code::Refusal;

/// Where the orders go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The local exchange (in-process, or one started with `sim-exchange`).
    LocalExchange,
    /// Kalshi's demo exchange.
    Demo,
    /// Kalshi production: real money.
    Production,
}

impl TargetKind {
    /// The journal's environment name.
    pub const fn journal_name(self) -> &'static str {
        match self {
            TargetKind::LocalExchange => "sim",
            TargetKind::Demo => "demo",
            TargetKind::Production => "live",
        }
    }
}

/// What the command line asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetRequest {
    /// `--sim`: trade against the local exchange (in-process unless both URLs are given).
    pub sim: bool,
    /// `--demo`: trade on Kalshi's demo exchange (no real money).
    pub demo: bool,
    /// `--live`: trade real money on Kalshi production; needs `i_understand_risk`.
    pub live: bool,
    /// `--i-understand-risk`: the confirmation without which `--live` is refused.
    pub i_understand_risk: bool,
    /// REST base override (flag, else config file).
    pub api_base: Option<String>,
    /// WebSocket URL override (flag, else config file).
    pub ws_url: Option<String>,
}

/// The checked target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Which exchange the orders go to: local, demo or production.
    pub kind: TargetKind,
    /// Endpoints; `None` means "start the local exchange in-process and use its URLs".
    pub endpoints: Option<Endpoints>,
}

/// Who runs a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostOwner {
    Production,
    Demo,
    Other,
}

/// The host part of a URL, lower-cased, without user info or port.
pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if host_port.starts_with('[') {
        host_port
            .split_once(']')
            .map_or(host_port, |(host, _)| host)
            .trim_start_matches('[')
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn owner_of(url: &str) -> HostOwner {
    let host = host_of(url);
    if host == "kalshi.com" || host.ends_with(".kalshi.com") {
        HostOwner::Production
    } else if host == "kalshi.co" || host.ends_with(".kalshi.co") {
        HostOwner::Demo
    } else {
        HostOwner::Other
    }
}

fn overrides(request: &TargetRequest) -> impl Iterator<Item = (&'static str, &str)> {
    [
        ("--api-base", request.api_base.as_deref()),
        ("--ws-url", request.ws_url.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, url)| url.map(|url| (flag, url)))
}

fn endpoints(base: Environment, request: &TargetRequest) -> Result<Endpoints, Refusal> {
    base.endpoints()
        .with_overrides(request.api_base.as_deref(), request.ws_url.as_deref())
        .map_err(|error| Refusal::new(error.to_string()))
}

/// Checks the request against the key's declared environment and returns the target.
/// Every refusal happens here, before anything touches the network.
pub fn resolve_target(
    request: &TargetRequest,
    key_environment: Option<Environment>,
) -> Result<Target, Refusal> {
    let modes = [request.sim, request.demo, request.live]
        .iter()
        .filter(|set| **set)
        .count();
    if modes != 1 {
        return Err(Refusal::new(
            "choose exactly one of --sim (local exchange), --demo (Kalshi demo) or --live \
             (Kalshi production)",
        ));
    }
    if request.live {
        if !request.i_understand_risk {
            return Err(Refusal::new(
                "--live trades real money on Kalshi production; add --i-understand-risk to \
                 confirm",
            ));
        }
        if key_environment == Some(Environment::Demo) {
            return Err(Refusal::new(
                "the API key is declared for the demo environment (KALSHI_KEY_ENVIRONMENT or \
                 credentials.key_environment) but --live targets production",
            ));
        }
        for (flag, url) in overrides(request) {
            match owner_of(url) {
                HostOwner::Production => {}
                HostOwner::Demo => {
                    return Err(Refusal::new(format!(
                        "{flag} points at Kalshi's demo host {} but --live targets production",
                        host_of(url)
                    )));
                }
                HostOwner::Other => {
                    return Err(Refusal::new(format!(
                        "{flag} points at {} which is not a Kalshi production host; --live only \
                         talks to Kalshi production",
                        host_of(url)
                    )));
                }
            }
        }
        return Ok(Target {
            kind: TargetKind::Production,
            endpoints: Some(endpoints(Environment::Production, request)?),
        });
    }
    if request.demo {
        if key_environment == Some(Environment::Production) {
            return Err(Refusal::new(
                "the API key is declared for production (KALSHI_KEY_ENVIRONMENT or \
                 credentials.key_environment) but --demo targets the demo exchange",
            ));
        }
        for (flag, url) in overrides(request) {
            if owner_of(url) == HostOwner::Production {
                return Err(Refusal::new(format!(
                    "{flag} points at Kalshi's production host {} but --demo was chosen; use \
                     --live --i-understand-risk for production",
                    host_of(url)
                )));
            }
        }
        return Ok(Target {
            kind: TargetKind::Demo,
            endpoints: Some(endpoints(Environment::Demo, request)?),
        });
    }
    for (flag, url) in overrides(request) {
        if owner_of(url) != HostOwner::Other {
            return Err(Refusal::new(format!(
                "{flag} points at Kalshi host {} but --sim only talks to a local exchange",
                host_of(url)
            )));
        }
    }
    match (&request.api_base, &request.ws_url) {
        (None, None) => Ok(Target {
            kind: TargetKind::LocalExchange,
            endpoints: None,
        }),
        (Some(api_base), Some(ws_url)) => Ok(Target {
            kind: TargetKind::LocalExchange,
            endpoints: Some(
                Endpoints::custom(api_base, ws_url)
                    .map_err(|error| Refusal::new(error.to_string()))?,
            ),
        }),
        _ => Err(Refusal::new(
            "--sim with an external local exchange needs both --api-base and --ws-url (or \
             neither, to start one in-process)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(sim: bool, demo: bool, live: bool) -> TargetRequest {
        TargetRequest {
            sim,
            demo,
            live,
            ..TargetRequest::default()
        }
    }

    #[test]
    fn live_needs_the_risk_flag() {
        let error = resolve_target(&request(false, false, true), None).unwrap_err();
        assert!(error.to_string().contains("--i-understand-risk"));
        let mut confirmed = request(false, false, true);
        confirmed.i_understand_risk = true;
        let target = resolve_target(&confirmed, None).unwrap();
        assert_eq!(target.kind, TargetKind::Production);
        assert_eq!(
            target.endpoints.unwrap().api_base(),
            kalshi_io::env::PRODUCTION_API_BASE
        );
    }

    #[test]
    fn live_refuses_demo_keys_and_demo_or_foreign_hosts() {
        let mut live = request(false, false, true);
        live.i_understand_risk = true;
        assert!(resolve_target(&live, Some(Environment::Demo)).is_err());
        live.api_base = Some("https://demo-api.kalshi.co/trade-api/v2".to_string());
        let error = resolve_target(&live, None).unwrap_err();
        assert!(
            error.to_string().contains("demo host demo-api.kalshi.co"),
            "{error}"
        );
        live.api_base = Some("http://127.0.0.1:8080/trade-api/v2".to_string());
        assert!(resolve_target(&live, None).is_err());
        live.api_base = Some("https://api.elections.kalshi.com/trade-api/v2".to_string());
        assert!(resolve_target(&live, Some(Environment::Production)).is_ok());
    }

    #[test]
    fn demo_refuses_production_keys_and_hosts() {
        let mut demo = request(false, true, false);
        assert!(resolve_target(&demo, Some(Environment::Production)).is_err());
        demo.ws_url = Some("wss://external-api-ws.kalshi.com/trade-api/ws/v2".to_string());
        assert!(resolve_target(&demo, None).is_err());
        demo.ws_url = None;
        let target = resolve_target(&demo, Some(Environment::Demo)).unwrap();
        assert_eq!(target.kind, TargetKind::Demo);
    }

    #[test]
    fn sim_never_talks_to_kalshi() {
        assert_eq!(
            resolve_target(&request(true, false, false), None).unwrap(),
            Target {
                kind: TargetKind::LocalExchange,
                endpoints: None
            }
        );
        let mut sim = request(true, false, false);
        sim.api_base = Some("https://external-api.kalshi.com/trade-api/v2".to_string());
        sim.ws_url = Some("ws://127.0.0.1:9/trade-api/ws/v2".to_string());
        assert!(resolve_target(&sim, None).is_err());
        sim.api_base = Some("http://127.0.0.1:9/trade-api/v2".to_string());
        let target = resolve_target(&sim, None).unwrap();
        assert_eq!(
            target.endpoints.unwrap().api_base(),
            "http://127.0.0.1:9/trade-api/v2"
        );
        sim.ws_url = None;
        assert!(resolve_target(&sim, None).is_err());
    }

    #[test]
    fn exactly_one_mode() {
        assert!(resolve_target(&request(false, false, false), None).is_err());
        assert!(resolve_target(&request(true, true, false), None).is_err());
    }

    #[test]
    fn hosts_are_extracted_without_ports_or_user_info() {
        assert_eq!(
            host_of("https://User@Demo-API.kalshi.co:443/x"),
            "demo-api.kalshi.co"
        );
        assert_eq!(host_of("ws://[::1]:80/x"), "::1");
        assert_eq!(
            owner_of("https://evil.kalshi.com.example.org/"),
            HostOwner::Other
        );
        assert_eq!(
            owner_of("https://external-api.kalshi.com/"),
            HostOwner::Production
        );
    }
}
