//! The write-ahead-log segment format and its validating scanner.
//!
//! # Segment layout
//!
//! ```text
//! segment header (52 bytes)
//!   magic           6 bytes  "KJWAL\0"
//!   version         u16 LE   1
//!   segment index   u64 LE   must match the file name
//!   prev chain hash 32 bytes the chain hash this segment continues from
//!   header crc      u32 LE   CRC32C of the 48 bytes above
//! frames, back to back (44-byte frame header + body)
//!   marker          4 bytes  "KJfr" (lets a scan find frame starts after damage)
//!   body length     u32 LE
//!   crc             u32 LE   CRC32C of (body length || chain hash || body)
//!   chain hash      32 bytes SHA-256(previous chain hash || body)
//!   body            the canonical encoding of a `JournalEntry`
//! ```
//!
//! The CRC covers the length and the chain hash as well as the body, so any flipped bit in a
//! frame shows up as a CRC failure before anything is decoded.
//!
//! # Torn tails versus corruption
//!
//! A crash can only damage the end of the last segment: the bytes of the last group commit
//! may be partly written. When a frame of the last segment fails (short, oversized length,
//! bad marker or bad CRC), the scanner searches every later byte position for a frame that
//! passes its CRC (reading the rest of that segment into memory, which the segment size limit
//! bounds; this happens only on the damage path). If one exists the damage is in the middle
//! and the segment is refused; if none does, the bytes from the failed frame on are a torn
//! tail, reported and dropped. A
//! frame whose CRC passes but whose hash, sequence number or encoding is wrong is never a torn
//! write, so it is always refused. Segment files are created complete (header written to a
//! temporary name, fsynced, renamed), so a damaged header is always refused.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::chain::{ChainHash, hex_encode};
use crate::entry::JournalEntry;
use crate::error::{JournalError, Location, Result};
use crate::fsio::{parent_dir, sync_dir, tmp_path};

/// Magic bytes opening every WAL segment.
pub const SEGMENT_MAGIC: [u8; 6] = *b"KJWAL\0";
/// WAL format version written and accepted.
pub const SEGMENT_VERSION: u16 = 1;
/// Size of the segment header in bytes.
pub const SEGMENT_HEADER_LEN_BYTES: u64 = 52;
/// Marker opening every frame.
pub const FRAME_MARKER: [u8; 4] = *b"KJfr";
/// Size of a frame header in bytes.
pub const FRAME_HEADER_LEN_BYTES: u64 = 44;
/// Largest accepted frame body (encoded entry) in bytes.
pub const FRAME_BODY_LEN_MAX_BYTES: u32 = 64 << 20;

/// The fixed header at the start of a WAL segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Segment number.
    pub index: u64,
    /// Chain hash the segment's first frame links to.
    pub prev_hash: ChainHash,
}

impl SegmentHeader {
    /// The 52 header bytes.
    pub fn to_bytes(&self) -> [u8; SEGMENT_HEADER_LEN_BYTES as usize] {
        let mut out = [0u8; SEGMENT_HEADER_LEN_BYTES as usize];
        out[0..6].copy_from_slice(&SEGMENT_MAGIC);
        out[6..8].copy_from_slice(&SEGMENT_VERSION.to_le_bytes());
        out[8..16].copy_from_slice(&self.index.to_le_bytes());
        out[16..48].copy_from_slice(&self.prev_hash.0);
        let crc = crc32c::crc32c(&out[0..48]);
        out[48..52].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses and checks header bytes; the error text says what is wrong.
    pub fn parse(bytes: &[u8; SEGMENT_HEADER_LEN_BYTES as usize]) -> Result<Self, &'static str> {
        let crc = u32::from_le_bytes([bytes[48], bytes[49], bytes[50], bytes[51]]);
        if crc32c::crc32c(&bytes[0..48]) != crc {
            return Err("segment header CRC mismatch");
        }
        if bytes[0..6] != SEGMENT_MAGIC {
            return Err("not a WAL segment (bad magic)");
        }
        if u16::from_le_bytes([bytes[6], bytes[7]]) != SEGMENT_VERSION {
            return Err("unsupported WAL segment version");
        }
        let mut index = [0u8; 8];
        index.copy_from_slice(&bytes[8..16]);
        let mut prev = [0u8; 32];
        prev.copy_from_slice(&bytes[16..48]);
        Ok(Self {
            index: u64::from_le_bytes(index),
            prev_hash: ChainHash(prev),
        })
    }
}

/// CRC of a frame: over the body length, the chain hash and the body.
fn frame_crc(len_le: [u8; 4], hash: &[u8], body: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&len_le);
    let crc = crc32c::crc32c_append(crc, hash);
    crc32c::crc32c_append(crc, body)
}

/// Appends one frame (header and body) to `out`. `body.len()` must not exceed
/// [`FRAME_BODY_LEN_MAX_BYTES`]; callers check that first.
pub fn encode_frame(out: &mut Vec<u8>, body: &[u8], hash: &ChainHash) -> Result<()> {
    let len = u32::try_from(body.len())
        .ok()
        .filter(|len| *len <= FRAME_BODY_LEN_MAX_BYTES)
        .ok_or(JournalError::EntryTooLarge {
            seq: JournalEntry::peek_seq(body).unwrap_or(0),
            len_bytes: body.len() as u64,
            max_bytes: u64::from(FRAME_BODY_LEN_MAX_BYTES),
        })?;
    let len_le = len.to_le_bytes();
    out.extend_from_slice(&FRAME_MARKER);
    out.extend_from_slice(&len_le);
    out.extend_from_slice(&frame_crc(len_le, &hash.0, body).to_le_bytes());
    out.extend_from_slice(&hash.0);
    out.extend_from_slice(body);
    Ok(())
}

/// Creates WAL segment `path` holding only its header, atomically: the header goes to a
/// temporary file that is fsynced and renamed, then the directory is fsynced. Returns the
/// segment opened for appending.
pub fn create_segment(path: &Path, header: &SegmentHeader) -> Result<File> {
    let tmp = tmp_path(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| JournalError::io(&tmp, e))?;
    file.write_all(&header.to_bytes())
        .map_err(|e| JournalError::io(&tmp, e))?;
    file.sync_all().map_err(|e| JournalError::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| JournalError::io(path, e))?;
    sync_dir(parent_dir(path))?;
    open_for_append(path)
}

/// Opens an existing segment for appending at its end.
pub fn open_for_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| JournalError::io(path, e))
}

/// Cuts a segment back to `len_bytes` (dropping a torn tail) and makes that durable.
pub fn truncate_segment(path: &Path, len_bytes: u64) -> Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| JournalError::io(path, e))?;
    file.set_len(len_bytes)
        .map_err(|e| JournalError::io(path, e))?;
    file.sync_all().map_err(|e| JournalError::io(path, e))
}

/// How strictly a segment is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Closed segment: any damage is corruption.
    Strict,
    /// Last segment: damage confined to the end is a torn tail.
    AllowTornTail,
}

/// Bytes at the end of the last segment that did not form complete, valid frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub file: PathBuf,
    /// Offset of the first dropped byte (the end of the last good frame).
    pub offset: u64,
    /// Number of bytes dropped.
    pub bytes_dropped: u64,
    /// The last entry kept before the tail.
    pub last_good_seq: Option<u64>,
}

/// One validated frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFrame {
    /// The decoded entry.
    pub entry: JournalEntry,
    /// Its chain hash.
    pub chain_hash: ChainHash,
    /// Offset of the frame in the segment file.
    pub offset: u64,
}

/// What a finished scan found in a segment.
#[derive(Debug, Clone)]
pub struct SegmentSummary {
    /// Segment number.
    pub index: u64,
    /// The file.
    pub path: PathBuf,
    /// Valid frames.
    pub entries: u64,
    /// First valid seq.
    pub first_seq: Option<u64>,
    /// Last valid seq.
    pub last_seq: Option<u64>,
    /// Chain hash the segment starts from.
    pub prev_hash: ChainHash,
    /// Chain hash of the last valid frame (`prev_hash` if none).
    pub last_hash: ChainHash,
    /// Length of the valid prefix (header plus valid frames).
    pub valid_len_bytes: u64,
    /// The torn tail beyond the valid prefix, if any.
    pub torn_tail: Option<TornTail>,
    /// SHA-256 state over the valid prefix, so a writer can keep extending it; `None` when
    /// the scan skipped the segment digest ([`SegmentScanner::skip_segment_digest`]).
    pub digest: Option<Sha256>,
}

impl SegmentSummary {
    /// Hex SHA-256 of the valid prefix; `None` when the scan skipped the segment digest.
    pub fn sha256_hex(&self) -> Option<String> {
        self.digest
            .as_ref()
            .map(|digest| hex_encode(&digest.clone().finalize()))
    }
}

/// Streams and validates the frames of one WAL segment with bounded memory.
pub struct SegmentScanner {
    path: PathBuf,
    reader: BufReader<File>,
    mode: ScanMode,
    index: u64,
    file_len_bytes: u64,
    offset: u64,
    prev_hash: ChainHash,
    head_hash: ChainHash,
    last_seq: Option<u64>,
    first_seq: Option<u64>,
    segment_last_seq: Option<u64>,
    entries: u64,
    digest: Option<Sha256>,
    body: Vec<u8>,
    torn_tail: Option<TornTail>,
    done: bool,
}

impl SegmentScanner {
    /// Opens segment `index` at `path`, checking its header: it must carry `index` and
    /// continue the chain from `expected_prev_hash`. `last_seq_before` is the last seq of
    /// all earlier segments; every frame must exceed it.
    pub fn open(
        path: &Path,
        index: u64,
        expected_prev_hash: ChainHash,
        last_seq_before: Option<u64>,
        mode: ScanMode,
    ) -> Result<Self> {
        let file = File::open(path).map_err(|e| JournalError::io(path, e))?;
        let file_len_bytes = file
            .metadata()
            .map_err(|e| JournalError::io(path, e))?
            .len();
        let at = || Location::file(path).at(0).after(last_seq_before);
        if file_len_bytes < SEGMENT_HEADER_LEN_BYTES {
            return Err(JournalError::corrupt(
                at(),
                format!("segment is {file_len_bytes} bytes, shorter than its header"),
            ));
        }
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut raw = [0u8; SEGMENT_HEADER_LEN_BYTES as usize];
        reader
            .read_exact(&mut raw)
            .map_err(|e| JournalError::io(path, e))?;
        let header = SegmentHeader::parse(&raw).map_err(|why| JournalError::corrupt(at(), why))?;
        if header.index != index {
            return Err(JournalError::corrupt(
                at(),
                format!(
                    "header says segment {}, file name says {index}",
                    header.index
                ),
            ));
        }
        if header.prev_hash != expected_prev_hash {
            return Err(JournalError::corrupt(
                at(),
                "segment does not continue the hash chain of the segment before it",
            ));
        }
        let mut digest = Sha256::new();
        digest.update(raw);
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            mode,
            index,
            file_len_bytes,
            offset: SEGMENT_HEADER_LEN_BYTES,
            prev_hash: header.prev_hash,
            head_hash: header.prev_hash,
            last_seq: last_seq_before,
            first_seq: None,
            segment_last_seq: None,
            entries: 0,
            digest: Some(digest),
            body: Vec::new(),
            torn_tail: None,
            done: false,
        })
    }

    /// Stops computing the SHA-256 of the segment file, for a scan whose digest nobody will
    /// compare (a segment the manifest does not list yet, or a read with digest checks off).
    /// Every frame is still hashed once for its chain link; this drops the second SHA-256
    /// pass over the same bytes. The summary's `digest` is then `None`.
    pub fn skip_segment_digest(&mut self) {
        self.digest = None;
    }

    fn location(&self) -> Location {
        Location::file(&self.path)
            .at(self.offset)
            .after(self.last_seq)
    }

    /// The next valid frame; `Ok(None)` at the end of the valid frames (after which
    /// [`Self::finish`] tells whether a torn tail was found).
    pub fn next_frame(&mut self) -> Result<Option<ScannedFrame>> {
        if self.done {
            return Ok(None);
        }
        let remaining = self.file_len_bytes - self.offset;
        if remaining == 0 {
            self.done = true;
            return Ok(None);
        }
        let mut head = [0u8; FRAME_HEADER_LEN_BYTES as usize];
        if remaining < FRAME_HEADER_LEN_BYTES {
            return self.damaged("incomplete frame header");
        }
        self.reader
            .read_exact(&mut head)
            .map_err(|e| JournalError::io(&self.path, e))?;
        if head[0..4] != FRAME_MARKER {
            return self.damaged("bad frame marker");
        }
        let len_le = [head[4], head[5], head[6], head[7]];
        let body_len = u32::from_le_bytes(len_le);
        if body_len > FRAME_BODY_LEN_MAX_BYTES {
            return self.damaged("frame length over the limit");
        }
        if u64::from(body_len) > remaining - FRAME_HEADER_LEN_BYTES {
            return self.damaged("frame runs past the end of the segment");
        }
        self.body.clear();
        self.body.resize(body_len as usize, 0);
        self.reader
            .read_exact(&mut self.body)
            .map_err(|e| JournalError::io(&self.path, e))?;
        let crc = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        if frame_crc(len_le, &head[12..44], &self.body) != crc {
            return self.damaged("frame CRC mismatch");
        }
        // From here on the frame is exactly what a writer wrote, so any problem is corruption.
        let entry = JournalEntry::decode(&self.body)
            .map_err(|e| JournalError::corrupt(self.location(), e.to_string()))?;
        let mut stored = ChainHash([0; 32]);
        stored.0.copy_from_slice(&head[12..44]);
        let expected = self.head_hash.next(&self.body);
        if stored != expected {
            return Err(JournalError::corrupt(
                self.location().seq(entry.seq),
                "chain hash mismatch",
            ));
        }
        if self.last_seq.is_some_and(|last| entry.seq <= last) {
            return Err(JournalError::corrupt(
                self.location().seq(entry.seq),
                "sequence number not above the previous entry's",
            ));
        }
        if entry.seq > i64::MAX as u64 {
            return Err(JournalError::corrupt(
                self.location().seq(entry.seq),
                "sequence number above i64::MAX",
            ));
        }
        let offset = self.offset;
        if let Some(digest) = self.digest.as_mut() {
            digest.update(head);
            digest.update(&self.body);
        }
        self.offset += FRAME_HEADER_LEN_BYTES + u64::from(body_len);
        self.head_hash = stored;
        self.last_seq = Some(entry.seq);
        self.segment_last_seq = Some(entry.seq);
        self.first_seq.get_or_insert(entry.seq);
        self.entries += 1;
        Ok(Some(ScannedFrame {
            entry,
            chain_hash: stored,
            offset,
        }))
    }

    /// Handles a frame that is not intact: a torn tail if nothing valid follows and the mode
    /// allows it, corruption otherwise.
    fn damaged(&mut self, why: &str) -> Result<Option<ScannedFrame>> {
        let at = self.location();
        if self.mode == ScanMode::Strict {
            return Err(JournalError::corrupt(
                at,
                format!("{why} in a closed segment"),
            ));
        }
        if let Some(found) = self.valid_frame_after(self.offset + 1)? {
            return Err(JournalError::corrupt(
                at,
                format!("{why}, but a valid frame follows at byte {found}"),
            ));
        }
        self.torn_tail = Some(TornTail {
            file: self.path.clone(),
            offset: self.offset,
            bytes_dropped: self.file_len_bytes - self.offset,
            last_good_seq: self.last_seq,
        });
        self.done = true;
        Ok(None)
    }

    /// Offset of the first position at or after `from` where a frame passes its CRC.
    fn valid_frame_after(&self, from: u64) -> Result<Option<u64>> {
        if from >= self.file_len_bytes {
            return Ok(None);
        }
        let mut file = File::open(&self.path).map_err(|e| JournalError::io(&self.path, e))?;
        file.seek(SeekFrom::Start(from))
            .map_err(|e| JournalError::io(&self.path, e))?;
        let mut rest = Vec::new();
        file.take(self.file_len_bytes - from)
            .read_to_end(&mut rest)
            .map_err(|e| JournalError::io(&self.path, e))?;
        let header_len = FRAME_HEADER_LEN_BYTES as usize;
        let mut pos = 0usize;
        while pos + header_len <= rest.len() {
            if rest[pos..pos + 4] == FRAME_MARKER {
                let len_le = [rest[pos + 4], rest[pos + 5], rest[pos + 6], rest[pos + 7]];
                let body_len = u32::from_le_bytes(len_le);
                let body_start = pos + header_len;
                let fits = body_len <= FRAME_BODY_LEN_MAX_BYTES
                    && (body_len as usize) <= rest.len() - body_start;
                if fits {
                    let crc = u32::from_le_bytes([
                        rest[pos + 8],
                        rest[pos + 9],
                        rest[pos + 10],
                        rest[pos + 11],
                    ]);
                    let body = &rest[body_start..body_start + body_len as usize];
                    if frame_crc(len_le, &rest[pos + 12..body_start], body) == crc {
                        return Ok(Some(from + pos as u64));
                    }
                }
            }
            pos += 1;
        }
        Ok(None)
    }

    /// Reads any remaining frames and returns the summary of the segment.
    pub fn finish(mut self) -> Result<SegmentSummary> {
        while self.next_frame()?.is_some() {}
        Ok(SegmentSummary {
            index: self.index,
            path: self.path,
            entries: self.entries,
            first_seq: self.first_seq,
            last_seq: self.segment_last_seq,
            prev_hash: self.prev_hash,
            last_hash: self.head_hash,
            valid_len_bytes: self.offset,
            torn_tail: self.torn_tail,
            digest: self.digest,
        })
    }

    /// The last seq seen so far, including earlier segments.
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_detects_flips() {
        let header = SegmentHeader {
            index: 3,
            prev_hash: ChainHash::genesis("r"),
        };
        let bytes = header.to_bytes();
        assert_eq!(SegmentHeader::parse(&bytes), Ok(header));
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(SegmentHeader::parse(&flipped).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn frame_layout_is_as_documented() {
        let hash = ChainHash([7; 32]);
        let mut out = Vec::new();
        encode_frame(&mut out, b"abc", &hash).unwrap();
        assert_eq!(out.len(), FRAME_HEADER_LEN_BYTES as usize + 3);
        assert_eq!(&out[0..4], b"KJfr");
        assert_eq!(&out[4..8], &3u32.to_le_bytes());
        assert_eq!(&out[12..44], &[7; 32]);
        assert_eq!(&out[44..], b"abc");
    }
}
