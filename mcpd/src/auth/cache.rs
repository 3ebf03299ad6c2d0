//! Resolved principals, kept for at most half a second so the hot path costs no query for
//! authentication. Any write on this replica clears the cache at once; other replicas see a
//! change when their entries age out, well within a second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::principal::{Identity, Principal};

/// How long a resolved principal may be reused: the bound on how late another replica's
/// revocation or change of rights is seen.
pub const TTL: Duration = Duration::from_millis(500);
/// Entries kept at most; beyond it the cache starts over.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct PrincipalCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    at: Instant,
    generation: u64,
    principal: Principal,
}

impl PrincipalCache {
    /// The generation to pass to [`PrincipalCache::put`]; read it before loading.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A fresh, unexpired principal for the bearer whose SHA-256 is `key`.
    pub fn get(&self, key: &str) -> Option<Principal> {
        let entries = self.entries.lock().expect("principal cache is never poisoned");
        let entry = entries.get(key)?;
        let fresh = entry.at.elapsed() < TTL && entry.generation == self.generation();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let expired = match &entry.principal.identity {
            Identity::User { session, .. } => session.expires_at <= now,
            Identity::Token(t) => t.expires_at.is_some_and(|e| e <= now),
        };
        (fresh && !expired).then(|| entry.principal.clone())
    }

    /// Keeps a principal loaded while the cache was at `generation`; a principal loaded before
    /// an invalidation is not kept.
    pub fn put(&self, key: String, principal: Principal, generation: u64) {
        let mut entries = self.entries.lock().expect("principal cache is never poisoned");
        if generation != self.generation() {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, Entry { at: Instant::now(), generation, principal });
    }

    /// Forgets everything: called after every write on this replica.
    pub fn invalidate(&self) {
        let mut entries = self.entries.lock().expect("principal cache is never poisoned");
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}
