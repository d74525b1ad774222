//! Journals in S3-compatible object storage, against a local S3 server (`moto_server`, from
//! `scripts/requirements-ci.txt`; `.ci/run` installs it). `record --upload` sends the sealed
//! segments and the manifest to the bucket; `journal verify`, `replay --verify` and `backtest`
//! read the run back from `s3://…` with results identical to the local copy; a segment missing
//! from the bucket is reported as a torn upload (exit 7). When `moto_server` is not installed
//! the test fails naming the fix under CI (`CI` set, as `.ci/run` runs) or with
//! `KALSHI_BOT_PY_TESTS=1`; elsewhere (the quick start's plain `cargo test`) it says loudly
//! that it did not run. A server that is installed but cannot start always fails the test.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kalshi_e2e::binary::kalshi_bot;
const BUCKET: &str = "journals";
/// Exit code of a torn upload (`cli/src/exit_code.rs`).
const EXIT_TORN_UPLOAD: i32 = 7;

/// A `moto_server` on 127.0.0.1, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

/// Whether tests needing Python tools must run (fail when the tool is missing).
fn python_tools_required() -> bool {
    std::env::var_os("CI").is_some_and(|value| !value.is_empty() && value != "false")
        || std::env::var_os("KALSHI_BOT_PY_TESTS").is_some_and(|value| value == "1")
}

impl Moto {
    /// `None` (after saying so) when `moto_server` is not installed and not required.
    fn start_or_skip() -> Option<Moto> {
        let installed = Command::new("moto_server")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed && !python_tools_required() {
            eprintln!(
                "NOT RUN: moto_server is not installed (`python3 -m pip install -r \
                 scripts/requirements-ci.txt`); under CI this test fails instead"
            );
            return None;
        }
        Some(Moto::start())
    }

    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start moto_server ({error}): this test needs a local S3 server; \
                     install it with `python3 -m pip install -r scripts/requirements-ci.txt`"
                )
            });
        let mut moto = Moto { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = moto.child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut stderr) = moto.child.stderr.take() {
                    stderr.read_to_string(&mut err).ok();
                }
                panic!("moto_server exited at startup ({status}):\n{err}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not listen on 127.0.0.1:{port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// One plain HTTP/1.1 request; returns the status code and body.
    fn http(&self, method: &str, path: &str) -> (u16, String) {
        self.http_with_body(method, path, &[])
    }

    /// One plain HTTP/1.1 request with a body; returns the status code and body.
    fn http_with_body(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            self.port,
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
        let body = response
            .split_once("\r\n\r\n")
            .map_or(String::new(), |(_, body)| body.to_string());
        (status, body)
    }

    /// The binary with the `AWS_*` settings of this server and its own fetch cache.
    fn bot(&self, cache: &Path) -> Command {
        let mut command = Command::new(kalshi_bot());
        command
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            )
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true")
            .env("KALSHI_BOT_CACHE_DIR", cache)
            .env("RUST_LOG", "error")
            .env_remove("KALSHI_API_KEY_ID")
            .env_remove("KALSHI_PRIVATE_KEY_PATH")
            .env_remove("KALSHI_PRIVATE_KEY_PEM");
        command
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// The value after `label` on the first stdout line that starts with it.
fn field(output: &Output, label: &str) -> String {
    text(&output.stdout)
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` in:\n{}", text(&output.stdout)))
        .trim()
        .to_string()
}

#[test]
fn a_recorded_journal_uploads_as_it_seals_and_reads_back_from_the_bucket() {
    let Some(moto) = Moto::start_or_skip() else {
        return;
    };
    assert_eq!(
        moto.http("PUT", &format!("/{BUCKET}")).0,
        200,
        "bucket created"
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let local = dir.path().join("rec");

    // Record with the upload on: the sealed segments and the manifest reach the bucket.
    let recorded = ok(run(moto
        .bot(&cache)
        .current_dir(dir.path())
        .args(["record", "--sim", "--top", "3", "--duration", "4s"])
        .args(["--sim-warmup", "300", "--journal-dir"])
        .arg(&local)
        .args(["--upload", &format!("s3://{BUCKET}/recorded")])));
    let line = text(&recorded.stdout)
        .lines()
        .find(|line| line.starts_with("upload: "))
        .unwrap_or_else(|| panic!("no upload line in:\n{}", text(&recorded.stdout)))
        .to_string();
    assert!(line.ends_with("; complete"), "{line}");
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("s3://"))
        .unwrap()
        .trim_end_matches(';')
        .to_string();
    let prefix = url
        .strip_prefix(&format!("s3://{BUCKET}/"))
        .unwrap()
        .to_string();
    assert!(
        prefix.starts_with("recorded/date=") && prefix.contains("/run="),
        "{prefix}"
    );
    let (status, listing) = moto.http("GET", &format!("/{BUCKET}?list-type=2&prefix=recorded/"));
    assert_eq!(status, 200, "{listing}");
    assert!(
        listing.contains(&format!("{prefix}/manifest.json")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("{prefix}/seg-00000000.parquet")),
        "{listing}"
    );
    assert!(!listing.contains("wal-"), "the WAL stays local: {listing}");

    // journal verify: the same verdict from the bucket as from the directory.
    let verify_local = ok(run(moto
        .bot(&cache)
        .args(["journal", "verify"])
        .arg(&local)));
    let verify_remote = ok(run(moto.bot(&cache).args(["journal", "verify", &url])));
    assert!(text(&verify_local.stdout).starts_with("clean: "));
    assert_eq!(text(&verify_remote.stdout), text(&verify_local.stdout));
    assert!(
        text(&verify_remote.stderr).contains("segment(s) downloaded"),
        "{}",
        text(&verify_remote.stderr)
    );

    // replay --verify: identical report.
    let replay_local = ok(run(moto
        .bot(&cache)
        .args(["replay", "--verify", "--journal"])
        .arg(&local)));
    let replay_remote = ok(run(moto.bot(&cache).args([
        "replay",
        "--verify",
        "--journal",
        &url,
    ])));
    assert_eq!(text(&replay_remote.stdout), text(&replay_local.stdout));

    // backtest: the same digest and metrics.
    let backtest = |journal: &str, report: &Path| {
        ok(run(moto
            .bot(&cache)
            .args(["backtest", "--journal", journal, "--report"])
            .arg(report)))
    };
    let (local_report, remote_report) = (dir.path().join("bt-local"), dir.path().join("bt-s3"));
    let backtest_local = backtest(local.to_str().unwrap(), &local_report);
    let backtest_remote = backtest(&url, &remote_report);
    assert_eq!(
        field(&backtest_remote, "output digest:"),
        field(&backtest_local, "output digest:")
    );
    assert_eq!(
        std::fs::read(remote_report.join("metrics.json")).unwrap(),
        std::fs::read(local_report.join("metrics.json")).unwrap()
    );

    // `journal upload` copies a finished run after the fact; the copy verifies the same.
    let uploaded = ok(run(moto
        .bot(&cache)
        .args(["journal", "upload"])
        .arg(&local)
        .arg(format!("s3://{BUCKET}/copy"))));
    let copy_url = format!("s3://{BUCKET}/{}", prefix.replacen("recorded/", "copy/", 1));
    assert!(
        text(&uploaded.stdout).contains(&copy_url),
        "{}",
        text(&uploaded.stdout)
    );
    let verify_copy = ok(run(moto.bot(&cache).args(["journal", "verify", &copy_url])));
    assert_eq!(text(&verify_copy.stdout), text(&verify_local.stdout));

    // The manifest arrived but a segment did not: a torn upload, named, exit 7.
    let manifest = std::fs::read(local.join("manifest.json")).unwrap();
    let (put, _) = moto.http_with_body(
        "PUT",
        &format!("/{BUCKET}/torn/run/manifest.json"),
        &manifest,
    );
    assert_eq!(put, 200);
    let torn_url = format!("s3://{BUCKET}/torn/run");
    for args in [
        vec!["journal", "verify", torn_url.as_str()],
        vec!["replay", "--verify", "--journal", torn_url.as_str()],
        vec![
            "backtest",
            "--journal",
            torn_url.as_str(),
            "--report",
            dir.path().join("bt-torn").to_str().unwrap(),
        ],
    ] {
        let output = run(moto.bot(&cache).args(&args));
        let stderr = text(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(EXIT_TORN_UPLOAD),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("torn upload") && stderr.contains("seg-00000000.parquet"),
            "{args:?}: {stderr}"
        );
    }

    // No journal at a URL: cannot open (exit 2), not torn.
    let missing =
        run(moto
            .bot(&cache)
            .args(["journal", "verify", &format!("s3://{BUCKET}/nothing/here")]));
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stdout));
    assert!(text(&missing.stdout).contains("no journal at"));
}
