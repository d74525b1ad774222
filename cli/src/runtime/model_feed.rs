//! Following an external model's file while a run trades (`run-strategy --model-file FILE`).
//!
//! [`spawn_follow`] polls the file, reads every complete line appended since the last read (a
//! file that shrinks is read again from the start) and hands each parsed line
//! ([`super::model_line::parse_line`]) to the event loop, which checks it against the engine
//! ([`super::model_line::check_line`]: unknown ticker, stale, from the future) and journals an
//! accepted value as `Event::ModelProbability`. A refused line is counted by reason and
//! logged; it never stops the run.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::clock::now_ns;
use super::model_line::{ReadLine, Refusal, parse_line};
use super::timers::Input;

/// How often the followed file is polled.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Longest line read; a longer one is refused as malformed.
const LINE_BYTES_MAX: usize = 4096;

/// Where the follower is in the file.
#[derive(Debug, Default)]
struct Follower {
    offset: u64,
    line_no: u64,
    partial: Vec<u8>,
}

impl Follower {
    /// Reads what was appended since the last call; complete lines only.
    fn poll(&mut self, path: &Path) -> std::io::Result<Vec<ReadLine>> {
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let len = file.metadata()?.len();
        if len < self.offset {
            tracing::warn!(file = %path.display(), "model file shrank; reading it from the start");
            *self = Follower::default();
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut bytes = Vec::new();
        file.take(len - self.offset).read_to_end(&mut bytes)?;
        self.offset += u64::try_from(bytes.len()).unwrap_or(0);
        self.partial.extend_from_slice(&bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.partial.drain(..=end).collect();
            self.line_no += 1;
            let parsed = if raw.len() > LINE_BYTES_MAX {
                Err((Refusal::Malformed, format!("over {LINE_BYTES_MAX} bytes")))
            } else {
                match std::str::from_utf8(&raw) {
                    Ok(text) => parse_line(text),
                    Err(_) => Err((Refusal::Malformed, "not UTF-8".to_string())),
                }
            };
            match parsed {
                Ok(None) => {}
                Ok(Some(line)) => lines.push(ReadLine {
                    line_no: self.line_no,
                    parsed: Ok(line),
                }),
                Err(refusal) => lines.push(ReadLine {
                    line_no: self.line_no,
                    parsed: Err(refusal),
                }),
            }
        }
        if self.partial.len() > LINE_BYTES_MAX {
            // A line that never ends: drop what was read of it and count it once.
            self.partial.clear();
            self.line_no += 1;
            lines.push(ReadLine {
                line_no: self.line_no,
                parsed: Err((Refusal::Malformed, format!("over {LINE_BYTES_MAX} bytes"))),
            });
        }
        Ok(lines)
    }
}

/// Follows `path` (see the module documentation), sending what it reads as
/// [`Input::Model`]s.
pub fn spawn_follow(path: PathBuf, inputs: mpsc::Sender<Input>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut follower = Follower::default();
        let mut warned = false;
        let mut ticker = tokio::time::interval(POLL_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticker.tick().await;
            let read = {
                let path = path.clone();
                let mut moved = std::mem::take(&mut follower);
                let result = tokio::task::spawn_blocking(move || {
                    let lines = moved.poll(&path);
                    (moved, lines)
                })
                .await;
                match result {
                    Ok((back, lines)) => {
                        follower = back;
                        lines
                    }
                    Err(_) => return,
                }
            };
            match read {
                Ok(lines) => {
                    warned = false;
                    if !lines.is_empty() {
                        let input = Input::Model {
                            recv_ts_ns: now_ns(),
                            lines,
                        };
                        if inputs.send(input).await.is_err() {
                            return;
                        }
                    }
                }
                Err(error) => {
                    if !warned {
                        tracing::warn!(file = %path.display(), %error, "cannot read the model file");
                        warned = true;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follower_reads_complete_lines_as_they_are_appended() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.csv");
        let mut follower = Follower::default();
        assert!(follower.poll(&path).unwrap().is_empty(), "no file yet");
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(b"ts,ticker,probability\n1,KX-A,0.5\n2,KX-A,0.")
            .unwrap();
        let first = follower.poll(&path).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].line_no, 2);
        file.write_all(b"7\n3,KX-A,2\n").unwrap();
        let second = follower.poll(&path).unwrap();
        assert_eq!(second.len(), 2);
        assert_eq!(second[0].parsed.as_ref().unwrap().probability_ppm, 700_000);
        assert_eq!(
            second[1].parsed.as_ref().unwrap_err().0,
            Refusal::OutOfRange
        );
        assert_eq!(second[1].line_no, 4);
        // Rewritten shorter: read again from the start.
        std::fs::write(&path, b"4,KX-B,0.1\n").unwrap();
        let third = follower.poll(&path).unwrap();
        assert_eq!(third.len(), 1);
        assert_eq!(third[0].parsed.as_ref().unwrap().ticker, "KX-B");
    }
}
