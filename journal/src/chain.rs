//! The SHA-256 hash chain that links every journal entry to the one before it.

use std::fmt;

use sha2::{Digest, Sha256};

/// Domain tag mixed into the genesis hash so chains of different formats never collide.
const GENESIS_TAG: &[u8] = b"kalshi-journal/chain/v1\0";

/// A 32-byte link of the hash chain: `next = SHA-256(prev || encoded entry)`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// Length of a chain hash in bytes.
    pub const LEN_BYTES: usize = 32;

    /// The hash every run's chain starts from; it binds the chain to the run id, so segments
    /// of one run cannot be spliced into another.
    pub fn genesis(run_id: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(GENESIS_TAG);
        hasher.update(run_id.as_bytes());
        Self(hasher.finalize().into())
    }

    /// The link that follows `self` for an entry whose canonical encoding is `body`.
    pub fn next(&self, body: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(self.0);
        hasher.update(body);
        Self(hasher.finalize().into())
    }

    /// Lower-case hexadecimal form.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }

    /// Parses the lower- or upper-case hexadecimal form; `None` if it is not 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex_decode(text)?;
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(array))
    }

    /// Builds a hash from a slice; `None` unless it is exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(array))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl serde::Serialize for ChainHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for ChainHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        Self::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 64 hexadecimal digits"))
    }
}

/// Lower-case hexadecimal encoding of `bytes`.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Decodes hexadecimal text; `None` on an odd length or a non-hex character.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let raw = text.as_bytes();
    if raw.len() % 2 != 0 {
        return None;
    }
    raw.chunks_exact(2)
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let hash = ChainHash::genesis("run-1").next(b"abc");
        assert_eq!(ChainHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(hex_decode("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex_decode("0g"), None);
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(ChainHash::from_hex("00"), None);
    }

    #[test]
    fn genesis_depends_on_run_id() {
        assert_ne!(ChainHash::genesis("a"), ChainHash::genesis("b"));
    }
}
