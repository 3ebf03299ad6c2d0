//! Builds the application from its configuration and runs it until a stop signal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use shared::Kind;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::audit;
use crate::auth::password::PasswordWork;
use crate::auth::{password, session::SessionKeys, Auth};
use crate::config::Config;
use crate::domain::bootstrap::{self, Bootstrap};
pub use crate::http::state::AppState;
use crate::metrics::Metrics;
use crate::store::{self, Store};

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
        crate::domain::secrets::ensure_internal(&store).await.map_err(|e| anyhow::anyhow!(e.into_status().message))?;
        let dummy_hash = passwords
            .run(|| password::hash("no user has this password"))
            .await
            .map_err(|_| anyhow::anyhow!("the password threads did not start"))?;
        let metrics = Arc::new(Metrics::new());
        let changed = Arc::new(tokio::sync::Notify::new());
        let backend = store.backend();
        let (audit, audit_writer) = audit::spawn_writer(store.clone(), metrics.clone());
        let background_store = store.clone();
        let auth = Auth::new(store, sessions, audit, metrics);
        let gateway_url = config.gateway_url.clone();
        let state = AppState::new(auth, passwords, dummy_hash, config.metrics_token.clone(), gateway_url, changed);
        let background = vec![
            tokio::spawn(prune_changes(background_store.clone())),
            tokio::spawn(prune_audit_events(background_store, config.audit_retention)),
            tokio::spawn(listen_for_changes(url.clone(), backend, state.clone())),
            tokio::spawn(refresh_secrets(state.clone(), config.secret_refresh)),
        ];
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
        let state = self.state.clone();
        let app = crate::http::router_with(self.state, self.extra_routes);
        let shutdown = async move {
            shutdown.await;
            // Watch streams never end on their own: end them, so the drain can finish.
            state.stop();
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

/// Prunes audit events older than `retention`, at start and then regularly: every minute, or
/// sooner for a retention of under four minutes.
async fn prune_audit_events(store: Store, retention: Duration) {
    let mut every = tokio::time::interval((retention / 4).clamp(Duration::from_secs(1), Duration::from_secs(60)));
    loop {
        every.tick().await;
        let before = time::OffsetDateTime::now_utc().unix_timestamp() - retention.as_secs().min(i64::MAX as u64) as i64;
        match store::audit::prune(store.pool(), &crate::util::format_time(before)).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned audit events past their retention"),
            Err(e) => tracing::warn!(error = %e, "could not prune audit events"),
        }
    }
}

/// Looks for changes made in external secret backends, and checks their health, every
/// `every`; what changed becomes MODIFIED events.
async fn refresh_secrets(state: AppState, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match crate::domain::secrets::refresh(state.store()).await {
            Ok(changed) => {
                if changed > 0 {
                    tracing::info!(changed, "secrets changed in their backends");
                }
                // Backends' status may have changed too.
                state.changed().notify_waiters();
            }
            Err(e) => tracing::warn!("cannot refresh external secrets: {}", e.into_status().message),
        }
    }
}

/// On PostgreSQL, wakes this replica's watch streams whenever any replica commits a write
/// (`NOTIFY` on commit); reconnects with a growing pause when the database goes away.
async fn listen_for_changes(url: String, backend: store::Backend, state: AppState) {
    if backend != store::Backend::Postgres {
        return;
    }
    let mut pause = Duration::from_millis(200);
    loop {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
            listener.listen(store::changes::CHANNEL).await?;
            loop {
                let notification = listener.recv().await?;
                // A write on another replica that may change who may do what: resolve
                // credentials afresh now, not when the cached principals age out.
                if Kind::parse(notification.payload()).is_some_and(changes_principals) {
                    state.principals().invalidate();
                }
                state.changed().notify_waiters();
            }
            #[allow(unreachable_code)]
            Ok::<(), sqlx::Error>(())
        };
        if let Err(e) = listener.await {
            tracing::debug!(error = %e, "change listener lost its connection; watch streams poll meanwhile");
        }
        state.principals().invalidate();
        state.changed().notify_waiters();
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// Whether writes of a kind can change a principal: its bindings, groups, tokens, or a
/// token's project.
fn changes_principals(kind: Kind) -> bool {
    match kind {
        Kind::User | Kind::Group | Kind::RbacDefinition | Kind::McpToken | Kind::Project => true,
        Kind::Secret | Kind::SecretBackend | Kind::Server | Kind::Tool | Kind::AuditEvent => false,
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
