//! The operator's control channel of a running bot (`kalshi-bot ctl`).
//!
//! The bot listens on a Unix socket in its run directory ([`SOCKET_FILE`], mode 0600) and
//! writes a random token beside it ([`TOKEN_FILE`], mode 0600). A request is one JSON line,
//! `{"token": "...", "command": "halt"}`; the answer is one JSON line. A request is refused
//! when its peer is another Unix user than the bot's, or when its token is wrong; the token
//! is never logged, journaled or put on a command line (`ctl` reads the file itself).
//!
//! Accepted commands travel to the event loop as [`ControlRequest`]s. `status` is answered
//! from the engine's figures; `halt`, `resume` and `kill` become journaled inputs
//! ([`kalshi_core::events::Event::Operator`]) naming the peer's uid, so replay reproduces
//! their effect and `audit` shows them.

use std::io::Read as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use kalshi_core::events::LiveSetting;
use kalshi_core::fixed::{Count, Money};

/// The socket's file name in the run directory.
pub const SOCKET_FILE: &str = "ctl.sock";
/// The token's file name in the run directory.
pub const TOKEN_FILE: &str = "ctl.token";
/// Longest request line accepted, bytes.
pub const REQUEST_BYTES_MAX: usize = 4096;
/// How long a client may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for the event loop's answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests waiting for the event loop.
const REQUEST_QUEUE: usize = 16;

/// What an operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CtlCommand {
    /// The status line's figures.
    Status,
    /// Cancel our orders and halt.
    Halt,
    /// Quote again (a HALT from the daily loss stop needs `confirm_daily_loss`).
    Resume,
    /// Cancel every order of the account and halt.
    Kill,
    /// Change one live-safe setting (`setting` holds `KEY=VALUE`).
    Set,
    /// Cancel our orders, go REDUCING and send a reduce-only exit at the touch per position.
    Flatten,
    /// One model value: `setting` holds a line as the model file takes it
    /// (`ts,ticker,probability` or a JSON line), checked and journaled the same way.
    Model,
}

/// One request line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CtlRequest {
    /// The run's token.
    pub token: String,
    /// What the operator asks for; `set` and `model` also need `setting`.
    pub command: CtlCommand,
    /// Confirms lifting a HALT the daily loss stop caused.
    #[serde(default)]
    pub confirm_daily_loss: bool,
    /// `KEY=VALUE` for `set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
}

/// One answer line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CtlAnswer {
    /// Whether the command was accepted and had its effect.
    pub ok: bool,
    /// Why not, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The journal seq of the input the command became, if it became one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The run's figures after the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<serde_json::Value>,
}

impl CtlAnswer {
    /// A refusal with its reason.
    pub fn refused(error: impl Into<String>) -> CtlAnswer {
        CtlAnswer {
            ok: false,
            error: Some(error.into()),
            seq: None,
            status: None,
        }
    }
}

/// An authenticated command on its way to the event loop, with where to answer.
#[derive(Debug)]
pub struct ControlRequest {
    /// Unix uid of the peer.
    pub peer_uid: u32,
    /// What the operator asked for, already checked against the run's token.
    pub command: CtlCommand,
    /// Confirms lifting a daily-loss HALT.
    pub confirm_daily_loss: bool,
    /// `KEY=VALUE` for `set`.
    pub setting: Option<String>,
    /// Where the answer goes.
    pub answer: oneshot::Sender<CtlAnswer>,
}

/// The listening control channel; removes its socket and token files when stopped.
pub struct ControlServer {
    socket_path: PathBuf,
    token_path: PathBuf,
    task: JoinHandle<()>,
}

impl ControlServer {
    /// Writes a fresh token and binds the socket in `run_dir`; returns the server and the
    /// requests it accepts.
    pub fn start(
        run_dir: &Path,
    ) -> anyhow::Result<(ControlServer, mpsc::Receiver<ControlRequest>)> {
        let token = fresh_token()?;
        let token_path = run_dir.join(TOKEN_FILE);
        write_private(&token_path, token.as_bytes())?;
        let socket_path = run_dir.join(SOCKET_FILE);
        if socket_path.exists() {
            std::fs::remove_file(&socket_path)
                .with_context(|| format!("removing the stale {}", socket_path.display()))?;
        }
        let listener = UnixListener::bind(&socket_path)
            .with_context(|| format!("binding the control socket {}", socket_path.display()))?;
        std::fs::set_permissions(&socket_path, std::fs::Permissions::from_mode(0o600))
            .context("restricting the control socket to its owner")?;
        let owner_uid = std::fs::metadata(&socket_path)
            .context("reading the control socket's owner")?
            .uid();
        let (requests_tx, requests) = mpsc::channel(REQUEST_QUEUE);
        let task = tokio::spawn(accept_loop(listener, token, owner_uid, requests_tx));
        Ok((
            ControlServer {
                socket_path,
                token_path,
                task,
            },
            requests,
        ))
    }

    /// Stops listening and removes the socket and token files.
    pub fn stop(self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.socket_path);
        let _ = std::fs::remove_file(&self.token_path);
    }
}

/// 32 random bytes from the system, hex.
fn fresh_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("reading /dev/urandom for the control token")?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Creates `path` readable and writable by its owner only, with `contents`.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    if path.exists() {
        std::fs::remove_file(path)
            .with_context(|| format!("removing the stale {}", path.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Compares without an early exit, so timing says nothing about how much of a guess matched.
fn same_token(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    if given.len() != expected.len() {
        return false;
    }
    given
        .iter()
        .zip(expected)
        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
        == 0
}

async fn accept_loop(
    listener: UnixListener,
    token: String,
    owner_uid: u32,
    requests: mpsc::Sender<ControlRequest>,
) {
    let token: std::sync::Arc<str> = token.into();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "control socket accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let token = std::sync::Arc::clone(&token);
        let requests = requests.clone();
        tokio::spawn(async move {
            if let Err(error) = serve(stream, &token, owner_uid, &requests).await {
                tracing::debug!(error = %format!("{error:#}"), "control connection ended");
            }
        });
    }
}

/// Reads one request, checks its peer and token, hands it over and writes the answer.
async fn serve(
    stream: UnixStream,
    token: &str,
    owner_uid: u32,
    requests: &mpsc::Sender<ControlRequest>,
) -> anyhow::Result<()> {
    let peer_uid = stream
        .peer_cred()
        .context("reading the peer's credentials")?
        .uid();
    let (read, mut write) = stream.into_split();
    let answer = if peer_uid == owner_uid {
        let mut line = String::new();
        let mut reader = BufReader::new(read).take(REQUEST_BYTES_MAX as u64);
        match tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line)).await {
            Ok(Ok(_)) => answer_line(&line, peer_uid, token, requests).await,
            Ok(Err(error)) => CtlAnswer::refused(format!("reading the request: {error}")),
            Err(_) => CtlAnswer::refused("no request within 5 s"),
        }
    } else {
        tracing::warn!(
            peer_uid,
            owner_uid,
            "control request from another user refused"
        );
        CtlAnswer::refused("refused: the control channel serves only the bot's own user")
    };
    let mut text = serde_json::to_string(&answer).context("encoding the answer")?;
    text.push('\n');
    write.write_all(text.as_bytes()).await?;
    write.shutdown().await?;
    Ok(())
}

async fn answer_line(
    line: &str,
    peer_uid: u32,
    token: &str,
    requests: &mpsc::Sender<ControlRequest>,
) -> CtlAnswer {
    let request: CtlRequest = match serde_json::from_str(line.trim_end()) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(peer_uid, %error, "malformed control request refused");
            return CtlAnswer::refused(format!("malformed request: {error}"));
        }
    };
    if !same_token(&request.token, token) {
        tracing::warn!(peer_uid, command = ?request.command, "control request with a wrong token refused");
        return CtlAnswer::refused("refused: wrong token");
    }
    let (answer_tx, answer_rx) = oneshot::channel();
    let forwarded = ControlRequest {
        peer_uid,
        command: request.command,
        confirm_daily_loss: request.confirm_daily_loss,
        setting: request.setting,
        answer: answer_tx,
    };
    if requests.send(forwarded).await.is_err() {
        return CtlAnswer::refused("the run is ending");
    }
    match tokio::time::timeout(ANSWER_TIMEOUT, answer_rx).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => CtlAnswer::refused("the run ended before answering"),
        Err(_) => CtlAnswer::refused("no answer from the event loop within 10 s"),
    }
}

/// Parses `KEY=VALUE` of `ctl set` into a live setting: `engine.ev_gate.min_edge_micros`
/// (integer micro-dollars), or one of the risk limits `engine.risk.order_contracts_max`,
/// `market_position_max`, `event_position_max` (contracts), `account_exposure_max`,
/// `daily_loss_stop`, `daily_loss_reducing` (dollars), `open_orders_per_market_max`. The
/// `engine.` prefix and the section may be left out.
pub fn parse_setting(text: &str) -> Result<LiveSetting, String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got {text:?}"))?;
    let (key, value) = (key.trim(), value.trim().trim_matches('"'));
    let field = key.rsplit('.').next().unwrap_or(key);
    let count = || Count::parse(value).map_err(|error| format!("{key}: {error}"));
    let money = || Money::parse(value).map_err(|error| format!("{key}: {error}"));
    let setting = match field {
        "min_edge_micros" => LiveSetting::MinEdgeMicros(
            value
                .parse()
                .map_err(|_| format!("{key}: {value:?} is not an integer"))?,
        ),
        "order_contracts_max" => LiveSetting::OrderContractsMax(count()?),
        "market_position_max" => LiveSetting::MarketPositionMax(count()?),
        "event_position_max" => LiveSetting::EventPositionMax(count()?),
        "account_exposure_max" => LiveSetting::AccountExposureMax(money()?),
        "daily_loss_stop" => LiveSetting::DailyLossStop(money()?),
        "daily_loss_reducing" => LiveSetting::DailyLossReducing(money()?),
        "open_orders_per_market_max" => LiveSetting::OpenOrdersPerMarketMax(
            value
                .parse()
                .map_err(|_| format!("{key}: {value:?} is not a count"))?,
        ),
        "spread_ticks_max" => LiveSetting::SpreadTicksMax(
            value
                .parse()
                .map_err(|_| format!("{key}: {value:?} is not a number of ticks"))?,
        ),
        "base_size" => LiveSetting::RungBaseSize(count()?),
        "size_cap" => LiveSetting::RungSizeCap(count()?),
        _ => {
            return Err(format!(
                "{key} cannot be changed while running (live: min_edge_micros, \
                 scanner.spread_ticks_max, strategy.base_size, strategy.size_cap, and the risk \
                 limits order_contracts_max, market_position_max, event_position_max, \
                 account_exposure_max, open_orders_per_market_max, daily_loss_stop, \
                 daily_loss_reducing, which may only tighten)"
            ));
        }
    };
    let section_ok = match key.rsplit_once('.').map(|(section, _)| section) {
        None => true,
        Some(section) => {
            let section = section.strip_prefix("engine.").unwrap_or(section);
            let expected = match field {
                "min_edge_micros" => "ev_gate",
                "spread_ticks_max" => "scanner",
                "base_size" | "size_cap" => "strategy",
                _ => "risk",
            };
            section == expected || section == format!("engine.{expected}").as_str()
        }
    };
    if !section_ok {
        return Err(format!("{key}: no such live setting"));
    }
    Ok(setting)
}

/// The client side: sends `command` to the bot running in `run_dir` and returns its answer.
/// The token is read from the run directory, never taken from the command line.
pub fn send(
    run_dir: &Path,
    command: CtlCommand,
    confirm_daily_loss: bool,
    setting: Option<String>,
) -> anyhow::Result<CtlAnswer> {
    use std::io::{BufRead as _, Write as _};
    let token_path = run_dir.join(TOKEN_FILE);
    let token = std::fs::read_to_string(&token_path).with_context(|| {
        format!(
            "reading {} (is a bot running with this run directory?)",
            token_path.display()
        )
    })?;
    let socket_path = run_dir.join(SOCKET_FILE);
    let mut stream = std::os::unix::net::UnixStream::connect(&socket_path)
        .with_context(|| format!("connecting to {}", socket_path.display()))?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT + REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let request = CtlRequest {
        token: token.trim().to_string(),
        command,
        confirm_daily_loss,
        setting,
    };
    let mut line = serde_json::to_string(&request).context("encoding the request")?;
    line.push('\n');
    stream
        .write_all(line.as_bytes())
        .context("sending the request")?;
    let mut answer = String::new();
    std::io::BufReader::new(stream)
        .read_line(&mut answer)
        .context("reading the answer")?;
    serde_json::from_str(answer.trim_end())
        .with_context(|| format!("the bot's answer is not JSON: {answer:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abce", "abcd"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", "abcd"));
    }

    #[test]
    fn live_settings_parse_with_or_without_their_section() {
        assert_eq!(
            parse_setting("engine.risk.order_contracts_max=5"),
            Ok(LiveSetting::OrderContractsMax(Count::parse("5").unwrap()))
        );
        assert_eq!(
            parse_setting("daily_loss_stop=12.5"),
            Ok(LiveSetting::DailyLossStop(Money::parse("12.5").unwrap()))
        );
        assert_eq!(
            parse_setting("ev_gate.min_edge_micros=20000"),
            Ok(LiveSetting::MinEdgeMicros(20_000))
        );
        assert_eq!(
            parse_setting("engine.scanner.spread_ticks_max=4"),
            Ok(LiveSetting::SpreadTicksMax(4))
        );
        assert_eq!(
            parse_setting("engine.strategy.base_size=2"),
            Ok(LiveSetting::RungBaseSize(Count::from_centi(200).unwrap()))
        );
        assert_eq!(
            parse_setting("strategy.size_cap=\"10.00\""),
            Ok(LiveSetting::RungSizeCap(Count::from_centi(1000).unwrap()))
        );
        assert!(parse_setting("engine.risk.base_size=2").is_err());
        assert!(parse_setting("engine.strategy.rungs_per_side=2").is_err());
        assert!(parse_setting("engine.ev_gate.order_contracts_max=2").is_err());
        assert!(parse_setting("engine.risk.order_contracts_max").is_err());
        assert!(parse_setting("engine.risk.order_contracts_max=lots").is_err());
    }

    #[tokio::test]
    async fn the_token_and_socket_are_private_and_a_wrong_token_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (server, mut requests) = ControlServer::start(dir.path()).unwrap();
        for file in [TOKEN_FILE, SOCKET_FILE] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let token = std::fs::read_to_string(dir.path().join(TOKEN_FILE)).unwrap();
        assert_eq!(token.len(), 64);

        // A wrong token never reaches the event loop.
        let mut stream = UnixStream::connect(dir.path().join(SOCKET_FILE))
            .await
            .unwrap();
        stream
            .write_all(b"{\"token\":\"guess\",\"command\":\"halt\"}\n")
            .await
            .unwrap();
        let mut answer = String::new();
        BufReader::new(stream).read_line(&mut answer).await.unwrap();
        let answer: CtlAnswer = serde_json::from_str(&answer).unwrap();
        assert!(!answer.ok);
        assert!(answer.error.unwrap().contains("wrong token"));
        assert!(requests.try_recv().is_err());

        // The right one does, with the peer's uid.
        let path = dir.path().to_path_buf();
        let client =
            tokio::task::spawn_blocking(move || send(&path, CtlCommand::Halt, false, None));
        let request = requests.recv().await.unwrap();
        assert_eq!(request.command, CtlCommand::Halt);
        assert_eq!(
            request.peer_uid,
            std::fs::metadata(dir.path().join(SOCKET_FILE))
                .unwrap()
                .uid()
        );
        request
            .answer
            .send(CtlAnswer {
                ok: true,
                error: None,
                seq: Some(7),
                status: None,
            })
            .unwrap();
        let answer = client.await.unwrap().unwrap();
        assert_eq!(answer.seq, Some(7));

        server.stop();
        assert!(!dir.path().join(TOKEN_FILE).exists());
        assert!(!dir.path().join(SOCKET_FILE).exists());
    }
}
