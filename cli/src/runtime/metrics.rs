//! The Prometheus endpoint (`run-strategy --metrics-addr 127.0.0.1:PORT`, off by default):
//! `GET /metrics` answers the text exposition format (version 0.0.4) with the status line's
//! figures, the run summary's counters, the risk state, WebSocket health, model and operator
//! inputs, and a histogram of the sequencer's step time.
//!
//! The listener runs beside the event loop; a scrape asks the loop for the text through a
//! channel (the loop renders it between batches, from the same figures the status line and
//! the summary print), so what is served is always one consistent moment of the run.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Longest request head read, bytes.
const HEAD_BYTES_MAX: usize = 8192;
/// How long a client may take to send its request, and the loop to render.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);
/// Scrapes waiting for the loop to answer: 8; a scraper beyond that waits for a free place.
const SCRAPE_QUEUE: usize = 8;

/// A scrape waiting for the event loop's text.
pub type ScrapeRequest = oneshot::Sender<String>;

/// Upper bounds of the step-time histogram, microseconds.
pub const STEP_BUCKETS_US: [u64; 10] = [10, 25, 50, 100, 250, 500, 1_000, 5_000, 25_000, 100_000];

/// A fixed-bucket histogram of durations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Observations at or below each bound of [`STEP_BUCKETS_US`] (not cumulative).
    buckets: [u64; STEP_BUCKETS_US.len()],
    /// Observations above the last bound.
    over: u64,
    /// Sum of the observations, microseconds.
    sum_us: u64,
}

impl Histogram {
    /// Adds one observation.
    pub fn observe(&mut self, duration: Duration) {
        let us = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.sum_us = self.sum_us.saturating_add(us);
        match STEP_BUCKETS_US.iter().position(|bound| us <= *bound) {
            Some(index) => self.buckets[index] += 1,
            None => self.over += 1,
        }
    }

    /// Observations in all.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum::<u64>() + self.over
    }
}

/// The text exposition being written.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts a metric family.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) -> &mut Self {
        let _ = writeln!(self.text, "# HELP kalshi_bot_{name} {help}");
        let _ = writeln!(self.text, "# TYPE kalshi_bot_{name} {kind}");
        self
    }

    /// One sample of the family just started (`labels` as `key="value"` pairs).
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = write!(self.text, "kalshi_bot_{name}");
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(key, value)| format!("{key}=\"{}\"", escape(value)))
                .collect();
            let _ = write!(self.text, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.text, " {value}");
    }

    /// A family with one unlabelled sample.
    pub fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    /// A histogram of durations in seconds.
    pub fn histogram(&mut self, name: &str, help: &str, histogram: &Histogram) {
        self.family(name, "histogram", help);
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0;
        for (bound, count) in STEP_BUCKETS_US.iter().zip(histogram.buckets) {
            cumulative += count;
            let le = seconds_text(*bound);
            self.sample(&bucket, &[("le", &le)], cumulative);
        }
        self.sample(&bucket, &[("le", "+Inf")], histogram.count());
        self.sample(&format!("{name}_sum"), &[], seconds_text(histogram.sum_us));
        self.sample(&format!("{name}_count"), &[], histogram.count());
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.text
    }
}

/// Microseconds as exact decimal seconds.
fn seconds_text(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The listening endpoint.
pub struct MetricsServer {
    task: JoinHandle<()>,
    /// Where it listens (the port is known once bound).
    pub local_addr: SocketAddr,
}

impl MetricsServer {
    /// Binds `addr` (loopback only) and serves scrapes; returns the server and the scrape
    /// requests the event loop must answer.
    pub async fn start(
        addr: SocketAddr,
    ) -> anyhow::Result<(MetricsServer, mpsc::Receiver<ScrapeRequest>)> {
        if !addr.ip().is_loopback() {
            anyhow::bail!("--metrics-addr {addr}: only a loopback address is served");
        }
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the metrics endpoint {addr}"))?;
        let local_addr = listener.local_addr()?;
        let (scrapes_tx, scrapes) = mpsc::channel(SCRAPE_QUEUE);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let scrapes = scrapes_tx.clone();
                tokio::spawn(async move {
                    if let Err(error) = serve(stream, &scrapes).await {
                        tracing::debug!(error = %format!("{error:#}"), "metrics connection ended");
                    }
                });
            }
        });
        Ok((MetricsServer { task, local_addr }, scrapes))
    }

    /// Stops listening.
    pub fn stop(self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, scrapes: &mpsc::Sender<ScrapeRequest>) -> anyhow::Result<()> {
    let mut head = Vec::new();
    let read = tokio::time::timeout(SCRAPE_TIMEOUT, async {
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|window| window == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).await?;
            if n == 0 || head.len() + n > HEAD_BYTES_MAX {
                break;
            }
            head.extend_from_slice(&buffer[..n]);
        }
        anyhow::Ok(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return Ok(());
    }
    let request_line = head
        .split(|byte| *byte == b'\n')
        .next()
        .map(|line| String::from_utf8_lossy(line).trim().to_string())
        .unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = if method == "GET" && (path == "/metrics" || path.starts_with("/metrics?"))
    {
        let (text_tx, text_rx) = oneshot::channel();
        if scrapes.send(text_tx).await.is_err() {
            ("503 Service Unavailable", "the run is ending\n".to_string())
        } else {
            match tokio::time::timeout(SCRAPE_TIMEOUT, text_rx).await {
                Ok(Ok(text)) => ("200 OK", text),
                _ => (
                    "503 Service Unavailable",
                    "no answer from the run\n".to_string(),
                ),
            }
        }
    } else {
        ("404 Not Found", "only GET /metrics is served\n".to_string())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_with_exact_seconds() {
        let mut histogram = Histogram::default();
        histogram.observe(Duration::from_micros(7));
        histogram.observe(Duration::from_micros(300));
        histogram.observe(Duration::from_secs(1));
        let mut text = Exposition::default();
        text.histogram("step_seconds", "Step time.", &histogram);
        let text = text.finish();
        assert!(text.contains("kalshi_bot_step_seconds_bucket{le=\"0.000010\"} 1\n"));
        assert!(text.contains("kalshi_bot_step_seconds_bucket{le=\"0.000250\"} 1\n"));
        assert!(text.contains("kalshi_bot_step_seconds_bucket{le=\"0.000500\"} 2\n"));
        assert!(text.contains("kalshi_bot_step_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("kalshi_bot_step_seconds_sum 1.000307\n"));
        assert!(text.contains("kalshi_bot_step_seconds_count 3\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut text = Exposition::default();
        text.family("x", "gauge", "X.");
        text.sample("x", &[("reason", "a\"b\\c")], 1);
        assert_eq!(
            text.finish().lines().last().unwrap(),
            "kalshi_bot_x{reason=\"a\\\"b\\\\c\"} 1"
        );
    }

    #[tokio::test]
    async fn a_scrape_gets_the_loops_text_and_other_paths_404() {
        let (server, mut scrapes) = MetricsServer::start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = server.local_addr;
        tokio::spawn(async move {
            while let Some(answer) = scrapes.recv().await {
                let _ = answer.send("kalshi_bot_up 1\n".to_string());
            }
        });
        let get = |path: &'static str| async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).await.unwrap();
            text
        };
        let ok = get("/metrics").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
        assert!(ok.ends_with("\r\n\r\nkalshi_bot_up 1\n"), "{ok}");
        assert!(get("/other").await.starts_with("HTTP/1.1 404"));
        assert!(
            MetricsServer::start("0.0.0.0:0".parse().unwrap())
                .await
                .is_err()
        );
        server.stop();
    }
}
