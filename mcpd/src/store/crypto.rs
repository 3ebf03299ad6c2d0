//! Secret values at rest: XChaCha20-Poly1305 with a fresh random nonce per value, stored as
//! `enc:v1:<key id>:<base64(nonce ‖ ciphertext)>`. The key id (the first 8 hex digits of the
//! key's SHA-256) says which key sealed a value, so old and new keys can both be configured
//! while values move to the new one.

use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::XChaCha20Poly1305;
use sha2::{Digest, Sha256};

const PREFIX: &str = "enc:v1:";
const NONCE_LEN: usize = 24;

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(bytes: &[u8; 32]) -> Key {
        let id = crate::util::hex(&Sha256::digest(bytes)[..4]);
        Key { id, cipher: XChaCha20Poly1305::new(bytes.into()) }
    }
}

/// The keys mcpd may use: one that seals, any number that only open.
pub struct KeyRing {
    primary: Key,
    old: Vec<Key>,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("a secret value was sealed with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("a secret value could not be decrypted: it is damaged or the key is wrong")]
    Corrupt,
}

impl KeyRing {
    pub fn new(primary: [u8; 32], old: &[[u8; 32]]) -> KeyRing {
        KeyRing { primary: Key::new(&primary), old: old.iter().map(Key::new).collect() }
    }

    pub fn primary_id(&self) -> &str {
        &self.primary.id
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self.primary.cipher.encrypt(&nonce, plaintext.as_bytes()).expect("encryption cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend(ciphertext);
        format!("{PREFIX}{}:{}", self.primary.id, B64.encode(blob))
    }

    pub fn open(&self, stored: &str) -> Result<String, CryptoError> {
        let rest = stored.strip_prefix(PREFIX).ok_or(CryptoError::Corrupt)?;
        let (id, body) = rest.split_once(':').ok_or(CryptoError::Corrupt)?;
        let key = std::iter::once(&self.primary)
            .chain(&self.old)
            .find(|k| k.id == id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let blob = B64.decode(body).map_err(|_| CryptoError::Corrupt)?;
        if blob.len() < NONCE_LEN {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let plaintext = key.cipher.decrypt(nonce.into(), ciphertext).map_err(|_| CryptoError::Corrupt)?;
        String::from_utf8(plaintext).map_err(|_| CryptoError::Corrupt)
    }

    /// Whether a stored value was sealed by another key than the primary one.
    pub fn is_stale(&self, stored: &str) -> bool {
        !stored.starts_with(&format!("{PREFIX}{}:", self.primary.id))
    }
}

/// Reads a key: 32 bytes as base64 or as 64 hex digits.
pub fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16)).collect::<Result<Vec<u8>, _>>()?
    } else {
        B64.decode(text).context("an encryption key is 32 bytes, as base64 or 64 hex digits")?
    };
    bytes.try_into().map_err(|b: Vec<u8>| anyhow::anyhow!("an encryption key is 32 bytes, this one is {}", b.len()))
}

/// The primary key: given directly, from a file, or generated once into the data dir (mode
/// 0600). Returns the key and whether it was generated now.
pub fn load_or_generate(given: Option<&str>, file: Option<&Path>, data_dir: &Path) -> anyhow::Result<([u8; 32], bool)> {
    if let Some(text) = given {
        return Ok((parse_key(text).context("MCPD_ENCRYPTION_KEY")?, false));
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading the key file {}", path.display()))?;
        return Ok((parse_key(&text).with_context(|| format!("key file {}", path.display()))?, false));
    }
    let path = data_dir.join("encryption.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => return Ok((parse_key(&text).with_context(|| format!("key file {}", path.display()))?, false)),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            bail!("cannot read {}: {e}", path.display())
        }
        Err(_) => {}
    }
    let key: [u8; 32] = XChaCha20Poly1305::generate_key(&mut OsRng).into();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, format!("{}\n", B64.encode(key)).as_bytes())?;
    Ok((key, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_with_fresh_nonces_and_known_keys_only() {
        let ring = KeyRing::new([7; 32], &[]);
        let a = ring.seal("s3cret");
        let b = ring.seal("s3cret");
        assert_ne!(a, b, "every value gets its own nonce");
        assert!(!a.contains("s3cret"));
        assert_eq!(ring.open(&a).unwrap(), "s3cret");
        let other = KeyRing::new([8; 32], &[]);
        assert!(matches!(other.open(&a), Err(CryptoError::UnknownKey(_))));
        let rotated = KeyRing::new([8; 32], &[[7; 32]]);
        assert_eq!(rotated.open(&a).unwrap(), "s3cret");
        assert!(rotated.is_stale(&a) && !rotated.is_stale(&rotated.seal("x")));
        let mut damaged = a.clone();
        damaged.pop();
        damaged.push('A');
        assert!(ring.open(&damaged).is_err());
    }

    #[test]
    fn keys_parse_from_base64_or_hex() {
        assert_eq!(parse_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert_eq!(parse_key(&B64.encode([1u8; 32])).unwrap(), [1; 32]);
        assert!(parse_key("short").is_err());
    }
}
