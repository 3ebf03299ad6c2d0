//! The state every handler shares: credentials resolution, password work, change
//! notifications, and the bounds on refused requests and login attempts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::audit::AuditSink;
use crate::auth::cache::PrincipalCache;
use crate::auth::password::PasswordWork;
use crate::auth::session::SessionKeys;
use crate::auth::Auth;
use crate::metrics::Metrics;
use crate::store::{self, Store};

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Auth,
    /// Verified against when an email is unknown, so it costs what a real check costs.
    dummy_hash: String,
    /// Woken on every write of this replica, and of every replica on PostgreSQL.
    changed: Arc<tokio::sync::Notify>,
    /// Turns true when the daemon stops, so that watch streams end and the drain completes.
    stopping: tokio::sync::watch::Sender<bool>,
    /// The bearer `/metrics` requires, if any.
    metrics_token: Option<String>,
    /// The gateway's URL, as the console shows projects' endpoints.
    gateway_url: String,
    /// Where every password hash and check runs, bounded.
    passwords: PasswordWork,
    /// Refused requests recorded in the audit trail this second, to bound a flood of them.
    refusals: Mutex<RefusalWindow>,
    /// One login attempt per account at a time.
    login_turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The most refused requests recorded in the audit trail per second and replica.
const REFUSALS_PER_SECOND: u32 = 20;

struct RefusalWindow {
    started: Instant,
    recorded: u32,
    left_out: u64,
}

impl AppState {
    pub fn new(
        auth: Auth,
        passwords: PasswordWork,
        dummy_hash: String,
        metrics_token: Option<String>,
        gateway_url: String,
        changed: Arc<tokio::sync::Notify>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                auth,
                dummy_hash,
                changed,
                stopping: tokio::sync::watch::channel(false).0,
                metrics_token,
                gateway_url,
                passwords,
                refusals: Mutex::new(RefusalWindow { started: Instant::now(), recorded: 0, left_out: 0 }),
                login_turns: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// What resolving credentials needs.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    pub fn store(&self) -> &Store {
        self.inner.auth.store()
    }

    pub fn sessions(&self) -> &SessionKeys {
        self.inner.auth.sessions()
    }

    pub fn dummy_hash(&self) -> &str {
        &self.inner.dummy_hash
    }

    pub fn audit(&self) -> &AuditSink {
        self.inner.auth.audit()
    }

    pub fn principals(&self) -> &PrincipalCache {
        self.inner.auth.principals()
    }

    pub fn metrics(&self) -> &Metrics {
        self.inner.auth.metrics()
    }

    pub fn changed(&self) -> &tokio::sync::Notify {
        &self.inner.changed
    }

    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    /// Tells every watch stream that the daemon stops.
    pub fn stop(&self) {
        let _ = self.inner.stopping.send(true);
    }

    /// The gateway's URL, as the console shows projects' endpoints.
    pub fn gateway_url(&self) -> &str {
        &self.inner.gateway_url
    }

    pub fn metrics_token(&self) -> Option<&str> {
        self.inner.metrics_token.as_deref()
    }

    /// Begins a write's transaction, noting how long the pool made it wait.
    pub async fn begin(&self) -> sqlx::Result<store::Tx> {
        let started = Instant::now();
        let tx = self.store().begin().await;
        self.metrics().observe_acquire(started.elapsed());
        tx
    }

    pub fn passwords(&self) -> &PasswordWork {
        &self.inner.passwords
    }

    /// Whether one more refused (401) request may go into the audit trail now: at most
    /// [`REFUSALS_PER_SECOND`] a second, so that a flood of bad credentials cannot fill the
    /// table. Those left out are counted in the log.
    pub fn may_record_refusal(&self) -> bool {
        let mut window = self.inner.refusals.lock().expect("the refusal window is never poisoned");
        let now = Instant::now();
        if now.duration_since(window.started) >= Duration::from_secs(1) {
            if window.left_out > 0 {
                tracing::warn!(left_out = window.left_out, "refused requests not recorded in the audit trail");
            }
            *window = RefusalWindow { started: now, recorded: 0, left_out: 0 };
        }
        if window.recorded < REFUSALS_PER_SECOND {
            window.recorded += 1;
            true
        } else {
            window.left_out += 1;
            false
        }
    }

    /// Waits for this account's turn to attempt a login; the turn ends when the guard drops.
    pub async fn login_turn(&self, email: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut turns = self.inner.login_turns.lock().expect("login turns are never poisoned");
            // Forget accounts nobody is waiting on.
            turns.retain(|_, l| Arc::strong_count(l) > 1);
            turns.entry(email.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }
}
