//! The WAL reader: arbitrary bytes as a journal entry, as the frames of a segment, and as a
//! whole segment file, scanned in both the strict (closed segment) and torn-tail-tolerant
//! (last segment) modes.
//!
//! Input layout: byte 0 picks the shape, the rest is the data.
//! - shape bit 0 set ("framed"): the data is a list of bodies, each a u16 LE length and that
//!   many bytes; the harness writes each as a correct frame (valid CRC and chain hash) after
//!   a valid header, so the scanner's decoding and sequence checks are what get exercised.
//! - otherwise, shape bit 2 set: the data is the whole segment file, header included.
//! - otherwise: a valid header followed by the data as raw frame bytes.
//! - shape bit 1 picks the torn-tail-tolerant mode.
//!
//! Checks: nothing panics; any entry decoded re-encodes to exactly its bytes; in framed
//! inputs, the scanner returns the bodies in order and, when every body is a valid entry with
//! strictly increasing seqs, all of them with no error and no torn tail; decoded entries'
//! payloads go through the typed record decoder without panicking.

#![no_main]

use std::path::PathBuf;

use kalshi_journal::wal::{ScanMode, SegmentHeader, SegmentScanner, encode_frame};
use kalshi_journal::{ChainHash, JournalEntry, JournalRecord};
use libfuzzer_sys::fuzz_target;

/// A scratch segment file private to this fuzzing process.
fn scratch_path() -> PathBuf {
    std::env::temp_dir().join(format!("kalshi-fuzz-wal-{}.log", std::process::id()))
}

/// Splits framed-shape data into bodies: u16 LE length, then the bytes (cut at the end).
fn split_bodies(mut data: &[u8]) -> Vec<&[u8]> {
    let mut bodies = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([data[0], data[1]]));
        let rest = &data[2..];
        let take = len.min(rest.len());
        bodies.push(&rest[..take]);
        data = &rest[take..];
    }
    bodies
}

/// Decodes `bytes` as an entry; a success must re-encode to the same bytes.
fn check_entry(bytes: &[u8]) -> Option<JournalEntry> {
    let entry = JournalEntry::decode(bytes).ok()?;
    let encoded = entry.encode().expect("a decoded entry re-encodes");
    assert_eq!(encoded, bytes, "decode then encode changed the bytes");
    assert_eq!(entry.encoded_len(), bytes.len() as u64);
    assert_eq!(JournalEntry::peek_seq(bytes), Some(entry.seq));
    let _ = JournalRecord::from_entry(&entry);
    Some(entry)
}

/// Scans the segment at `path`; returns the entries read and whether the scan ended cleanly
/// (no error, no torn tail).
fn scan(path: &PathBuf, prev_hash: ChainHash, mode: ScanMode) -> (Vec<JournalEntry>, bool) {
    let mut entries = Vec::new();
    let Ok(mut scanner) = SegmentScanner::open(path, 0, prev_hash, None, mode) else {
        return (entries, false);
    };
    loop {
        match scanner.next_frame() {
            Ok(Some(frame)) => {
                let encoded = frame.entry.encode().expect("a scanned entry re-encodes");
                assert_eq!(JournalEntry::decode(&encoded).as_ref(), Ok(&frame.entry));
                let _ = JournalRecord::from_entry(&frame.entry);
                entries.push(frame.entry);
            }
            Ok(None) => break,
            Err(_) => return (entries, false),
        }
    }
    match scanner.finish() {
        Ok(summary) => {
            assert_eq!(summary.entries, entries.len() as u64);
            let clean = summary.torn_tail.is_none();
            (entries, clean)
        }
        Err(_) => (entries, false),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&shape, data)) = input.split_first() else {
        return;
    };
    check_entry(data);

    let framed = shape & 1 != 0;
    let mode = if shape & 2 != 0 {
        ScanMode::AllowTornTail
    } else {
        ScanMode::Strict
    };
    let whole_file = shape & 4 != 0;
    let prev_hash = ChainHash::genesis("fuzz");
    let header = SegmentHeader {
        index: 0,
        prev_hash,
    };

    let mut file = Vec::with_capacity(data.len() + 128);
    let mut bodies = Vec::new();
    if framed {
        file.extend_from_slice(&header.to_bytes());
        bodies = split_bodies(data);
        let mut hash = prev_hash;
        for body in &bodies {
            hash = hash.next(body);
            encode_frame(&mut file, body, &hash).expect("small bodies always frame");
        }
    } else if whole_file {
        file.extend_from_slice(data);
    } else {
        file.extend_from_slice(&header.to_bytes());
        file.extend_from_slice(data);
    }

    let path = scratch_path();
    if std::fs::write(&path, &file).is_err() {
        return;
    }
    let (entries, clean) = scan(&path, prev_hash, mode);
    let _ = std::fs::remove_file(&path);

    if framed {
        // Frames are intact, so the scanner returns a prefix of the bodies, in order.
        assert!(entries.len() <= bodies.len());
        for (entry, body) in entries.iter().zip(&bodies) {
            assert_eq!(entry.encode().ok().as_deref(), Some(*body));
        }
        let decoded: Vec<JournalEntry> = bodies.iter().map_while(|b| check_entry(b)).collect();
        let all_valid = decoded.len() == bodies.len()
            && decoded.windows(2).all(|pair| pair[0].seq < pair[1].seq)
            && decoded.iter().all(|entry| entry.seq <= i64::MAX as u64);
        if all_valid {
            assert!(clean, "a segment of valid frames did not scan cleanly");
            assert_eq!(entries, decoded);
        }
    }
});
