//! Builds the application from its configuration and runs it until a stop signal.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::audit::{self, AuditSink};
use crate::auth::bootstrap::{self, Bootstrap};
use crate::auth::cache::PrincipalCache;
use crate::auth::password::PasswordWork;
use crate::auth::principal::TokenInfo;
use crate::auth::{password, session::SessionKeys};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::{self, Store};

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    sessions: SessionKeys,
    /// Verified against when an email is unknown, so it costs what a real check costs.
    dummy_hash: String,
    audit: AuditSink,
    principals: PrincipalCache,
    metrics: Arc<Metrics>,
    /// Woken on every write of this replica, and of every replica on PostgreSQL.
    changed: Arc<tokio::sync::Notify>,
    /// Turns true when the daemon stops, so that watch streams end and the drain completes.
    stopping: tokio::sync::watch::Sender<bool>,
    /// The bearer `/metrics` requires, if any.
    metrics_token: Option<String>,
    /// Where every password hash and check runs, bounded.
    passwords: PasswordWork,
    /// Refused requests recorded in the audit trail this second, to bound a flood of them.
    refusals: Mutex<RefusalWindow>,
    /// One login attempt per account at a time.
    login_turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When each token's `lastUsedAt` was last written, to write it at most once a minute.
    last_used: Mutex<HashMap<i64, Instant>>,
}

/// The most refused requests recorded in the audit trail per second and replica.
const REFUSALS_PER_SECOND: u32 = 20;

struct RefusalWindow {
    started: Instant,
    recorded: u32,
    left_out: u64,
}

/// How often a token's `lastUsedAt` is written at most.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

impl AppState {
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn sessions(&self) -> &SessionKeys {
        &self.inner.sessions
    }

    pub fn dummy_hash(&self) -> &str {
        &self.inner.dummy_hash
    }

    pub fn audit(&self) -> &AuditSink {
        &self.inner.audit
    }

    pub fn principals(&self) -> &PrincipalCache {
        &self.inner.principals
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn changed(&self) -> &tokio::sync::Notify {
        &self.inner.changed
    }

    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    pub fn metrics_token(&self) -> Option<&str> {
        self.inner.metrics_token.as_deref()
    }

    /// Begins a write's transaction, noting how long the pool made it wait.
    pub async fn begin(&self) -> sqlx::Result<store::Tx> {
        let started = Instant::now();
        let tx = self.inner.store.begin().await;
        self.inner.metrics.observe_acquire(started.elapsed());
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

    /// Notes that a token was used; writes `lastUsedAt` in the background when the last write
    /// is older than a minute, so requests never wait on it.
    pub fn note_token_use(&self, token: &TokenInfo) {
        let now = Instant::now();
        {
            let mut seen = self.inner.last_used.lock().expect("last-used map is never poisoned");
            if seen.get(&token.object_id).is_some_and(|t| now.duration_since(*t) < LAST_USED_EVERY) {
                return;
            }
            seen.insert(token.object_id, now);
        }
        let store = self.inner.store.clone();
        let id = token.object_id;
        tokio::spawn(async move {
            if let Err(e) = store::objects::touch_last_used(&store, id, &crate::util::now()).await {
                tracing::warn!(error = %e, "could not record a token's last use");
            }
        });
    }
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    audit_writer: JoinHandle<()>,
    /// Tasks that run as long as the daemon: the change log's pruning and listener.
    background: Vec<JoinHandle<()>>,
    extra_routes: axum::Router<AppState>,
}

impl Application {
    /// Connects, migrates, bootstraps on first start, and binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let data_dir = config.data_dir();
        ensure_private_dir(&data_dir)?;
        let url = config.database_url();
        let store = Store::connect(&url, config.key_ring()?).await?;
        store.migrate().await?;
        store.check_keys().await?;
        let secret = store.session_signing_key(&SessionKeys::generate_secret()).await?;
        let sessions = SessionKeys::new(secret.as_bytes());
        let listener =
            TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let passwords = PasswordWork::for_this_machine();
        let server_url = config.public_url.clone().unwrap_or_else(|| url_for(addr));
        bootstrap::run(
            &store,
            &Bootstrap {
                admin_email: &config.admin_email,
                admin_password: config.admin_password.as_deref(),
                data_dir: &data_dir,
                server_url: &server_url,
                passwords: &passwords,
            },
        )
        .await?;
        let dummy_hash = passwords
            .run(|| password::hash("no user has this password"))
            .await
            .map_err(|_| anyhow::anyhow!("the password threads did not start"))?;
        let metrics = Arc::new(Metrics::new());
        let changed = Arc::new(tokio::sync::Notify::new());
        let background = vec![
            tokio::spawn(prune_changes(store.clone())),
            tokio::spawn(listen_for_changes(url.clone(), store.backend(), changed.clone())),
        ];
        let (audit, audit_writer) = audit::spawn_writer(store.clone(), metrics.clone());
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                sessions,
                dummy_hash,
                audit,
                principals: PrincipalCache::default(),
                metrics,
                changed: changed.clone(),
                stopping: tokio::sync::watch::channel(false).0,
                metrics_token: config.metrics_token.clone(),
                passwords,
                refusals: Mutex::new(RefusalWindow { started: Instant::now(), recorded: 0, left_out: 0 }),
                login_turns: Mutex::new(HashMap::new()),
                last_used: Mutex::new(HashMap::new()),
            }),
        };
        tracing::info!(listen = %addr, database = backend_name(&url), data_dir = %data_dir.display(), "mcpd ready");
        Ok(Application { listener, state, audit_writer, background, extra_routes: axum::Router::new() })
    }

    /// Serves `extra` routes beside the API's (for the test suites).
    pub fn with_routes(mut self, extra: axum::Router<AppState>) -> Application {
        self.extra_routes = extra;
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.store().clone();
        let stopping = self.state.inner.stopping.clone();
        let app = crate::http::router_with(self.state, self.extra_routes);
        let shutdown = async move {
            shutdown.await;
            // Watch streams never end on their own: end them, so the drain can finish.
            let _ = stopping.send(true);
        };
        axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await?;
        for task in &self.background {
            task.abort();
        }
        // The router and every audit sink are gone now: let the writer finish the queue.
        let _ = tokio::time::timeout(Duration::from_secs(10), self.audit_writer).await;
        store.close().await;
        tracing::info!("mcpd stopped");
        Ok(())
    }
}

/// How long the change log keeps changes for watches to resume from.
const CHANGE_RETENTION: i64 = 3600;

/// Prunes the change log every minute.
async fn prune_changes(store: Store) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        let before = time::OffsetDateTime::now_utc().unix_timestamp() - CHANGE_RETENTION;
        if let Err(e) = store::changes::prune(store.pool(), before).await {
            tracing::warn!(error = %e, "could not prune the change log");
        }
    }
}

/// On PostgreSQL, wakes this replica's watch streams whenever any replica commits a write
/// (`NOTIFY` on commit); reconnects with a growing pause when the database goes away.
async fn listen_for_changes(url: String, backend: store::Backend, changed: Arc<tokio::sync::Notify>) {
    if backend != store::Backend::Postgres {
        return;
    }
    let mut pause = Duration::from_millis(200);
    loop {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
            listener.listen(store::changes::CHANNEL).await?;
            loop {
                listener.recv().await?;
                changed.notify_waiters();
            }
            #[allow(unreachable_code)]
            Ok::<(), sqlx::Error>(())
        };
        if let Err(e) = listener.await {
            tracing::debug!(error = %e, "change listener lost its connection; watch streams poll meanwhile");
        }
        changed.notify_waiters();
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// Runs migrations and exits (`mcpd migrate`).
pub async fn migrate_only(config: &Config) -> anyhow::Result<()> {
    ensure_private_dir(&config.data_dir())?;
    let store = Store::connect(&config.database_url(), config.key_ring()?).await?;
    store.migrate().await?;
    store.close().await;
    Ok(())
}

/// Re-encrypts every secret value under the primary key (`mcpd rotate-key`) and reports how
/// many values moved. Values stay readable throughout by anyone holding either key.
pub async fn rotate_key(config: &Config) -> anyhow::Result<(usize, String)> {
    ensure_private_dir(&config.data_dir())?;
    let store = Store::connect(&config.database_url(), config.key_ring()?).await?;
    store.migrate().await?;
    store.check_keys().await?;
    let moved = store.rotate_keys().await?;
    let key = store.keys().primary_id().to_owned();
    store.close().await;
    Ok((moved, key))
}

/// Resolves on SIGTERM or SIGINT.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("stop signal received; draining in-flight requests");
}

fn url_for(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
    if addr.is_ipv6() && !addr.ip().is_unspecified() {
        format!("http://[{host}]:{}", addr.port())
    } else {
        format!("http://{host}:{}", addr.port())
    }
}

fn backend_name(url: &str) -> &'static str {
    if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    }
}

fn ensure_private_dir(dir: &PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create data dir {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict data dir {}", dir.display()))?;
    }
    Ok(())
}
