//! Deterministic identifiers: UUID-shaped strings drawn from a seeded ChaCha stream, so the
//! same seed and the same requests always produce the same order, trade and fill ids.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Stream number separating id generation from every other use of the seed.
const ID_STREAM: u64 = 0x1d5;

/// Produces UUID-v4-shaped ids from a seed.
#[derive(Debug, Clone)]
pub(crate) struct IdSource {
    rng: ChaCha8Rng,
}

impl IdSource {
    pub(crate) fn new(seed: u64) -> IdSource {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(ID_STREAM);
        IdSource { rng }
    }

    /// The next id, e.g. `3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d`.
    pub(crate) fn next_uuid(&mut self) -> String {
        format_uuid(self.next_raw())
    }

    /// The next id as its 128 random bits (stored compactly, formatted by [`format_uuid`]);
    /// draws exactly what [`IdSource::next_uuid`] draws.
    pub(crate) fn next_raw(&mut self) -> RawId {
        RawId {
            high: self.rng.r#gen(),
            low: self.rng.r#gen(),
        }
    }
}

/// An id's random bits, 16 bytes instead of a 36-character string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawId {
    pub(crate) high: u64,
    pub(crate) low: u64,
}

/// The UUID-v4-shaped text of `raw`.
pub(crate) fn format_uuid(raw: RawId) -> String {
    let RawId { high, low } = raw;
    let time_high = (high & 0x0fff) | 0x4000;
    let variant = (low >> 48) & 0x3fff | 0x8000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        time_high,
        variant,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_reproducible() {
        let mut first = IdSource::new(7);
        let mut second = IdSource::new(7);
        let id = first.next_uuid();
        assert_eq!(id, second.next_uuid());
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, first.next_uuid());
    }
}
