//! Salt-length recovery for RSASSA-PSS signatures (RFC 8017 §9.1.2, SHA-256 / MGF1-SHA-256).
//!
//! rsa 0.9's PSS verifier requires the salt length up front. To accept any salt length, this
//! module opens the signature with the public key (`s^e mod n`), unmasks the data block and
//! reads where the salt starts. The recovered length is only a hint: the signature is then
//! verified by rsa's own PSS verifier with that length, which makes the accept decision.

use rsa::traits::PublicKeyParts as _;
use rsa::{BigUint, RsaPublicKey};
use sha2::{Digest as _, Sha256};

const HASH_LEN: usize = 32;

/// Returns the salt length encoded in `signature`, or `None` if it is not a well-formed
/// PSS encoding under `key`. Works only on public data.
pub(crate) fn recover_salt_len(key: &RsaPublicKey, signature: &[u8]) -> Option<usize> {
    let key_len = key.size();
    if signature.len() != key_len {
        return None;
    }
    let s = BigUint::from_bytes_be(signature);
    if &s >= key.n() {
        return None;
    }
    let m = s.modpow(key.e(), key.n());
    let m_bytes = m.to_bytes_be();
    if m_bytes.len() > key_len {
        return None;
    }
    let mut em_full = vec![0u8; key_len];
    em_full[key_len - m_bytes.len()..].copy_from_slice(&m_bytes);

    let em_bits = key.n().bits().checked_sub(1)?;
    let em_len = em_bits.div_ceil(8);
    let (leading, em) = em_full.split_at(key_len.checked_sub(em_len)?);
    if leading.iter().any(|&b| b != 0) {
        return None;
    }
    if em_len < HASH_LEN + 2 || em.last() != Some(&0xbc) {
        return None;
    }
    let db_len = em_len - HASH_LEN - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = &rest[..HASH_LEN];
    let unused_bits = 8 * em_len - em_bits;
    let top_mask = 0xffu8.checked_shr(u32::try_from(unused_bits).ok()?)?;
    if masked_db.first()? & !top_mask != 0 {
        return None;
    }
    let mut db = mgf1_sha256(h, db_len);
    for (d, m) in db.iter_mut().zip(masked_db) {
        *d ^= m;
    }
    if let Some(first) = db.first_mut() {
        *first &= top_mask;
    }
    let separator = db.iter().position(|&b| b != 0)?;
    if db[separator] != 0x01 {
        return None;
    }
    Some(db_len - separator - 1)
}

/// MGF1 with SHA-256: concatenated `SHA256(seed || counter_be32)` truncated to `len` bytes.
fn mgf1_sha256(seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + HASH_LEN);
    let mut counter: u32 = 0;
    while out.len() < len {
        let mut hasher = Sha256::new();
        hasher.update(seed);
        hasher.update(counter.to_be_bytes());
        out.extend_from_slice(&hasher.finalize());
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}
