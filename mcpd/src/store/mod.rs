//! The only module that runs SQL. One code path serves PostgreSQL and SQLite through sqlx's
//! `Any` driver; the few statements that differ pick their text from [`Backend`].

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod changes;
pub mod crypto;
pub(crate) mod gateway;
pub(crate) mod objects;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor};

use self::crypto::KeyRing;
use crate::vault::Vaults;

pub use objects::ObjectRow;

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");

/// The setting that holds the session signing key, sealed.
const SIGNING_KEY: &str = "session_signing_key";

/// An open transaction; every write goes through one.
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    keys: Arc<KeyRing>,
    vaults: Arc<Vaults>,
}

impl Store {
    /// Opens a pool for `url` (`postgres://...` or `sqlite://...`).
    pub async fn connect(url: &str, keys: KeyRing) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("unsupported database URL scheme: use postgres://... or sqlite://...");
        };
        if backend == Backend::Sqlite {
            create_private(url)?;
        }
        let options: AnyConnectOptions = url.parse().context("invalid database URL")?;
        let pool = match backend {
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(16)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(3))
                .connect_with(options)
                .await
                .context("cannot connect to PostgreSQL")?,
            // One connection: SQLite allows one writer at a time, and a single connection never
            // meets a busy database.
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL")
                            .await
                            .map(|_| ())
                    })
                })
                .connect_with(options)
                .await
                .context("cannot open the SQLite database")?,
        };
        Ok(Store { pool, backend, keys: Arc::new(keys), vaults: Arc::default() })
    }

    /// Runs pending migrations. On PostgreSQL an advisory lock makes concurrent starts safe.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Postgres => &POSTGRES_MIGRATIONS,
            Backend::Sqlite => &SQLITE_MIGRATIONS,
        };
        migrator.run(&self.pool).await.context("running database migrations")?;
        Ok(())
    }

    /// True when the database answers and every migration has run.
    pub async fn is_ready(&self) -> bool {
        let applied: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await;
        let expected = match self.backend {
            Backend::Postgres => POSTGRES_MIGRATIONS.iter().count(),
            Backend::Sqlite => SQLITE_MIGRATIONS.iter().count(),
        };
        matches!(applied, Ok(n) if n as usize >= expected)
    }

    pub async fn begin(&self) -> sqlx::Result<Tx> {
        self.pool.begin().await
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The clients of external secret backends, and the values last read from them.
    pub fn vaults(&self) -> &Vaults {
        &self.vaults
    }

    /// Fails with a clear message when a stored secret value was sealed by a key this mcpd
    /// does not have, rather than answering garbage later.
    pub async fn check_keys(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        let mut sealed: Vec<String> =
            objects::sealed_values(&mut conn).await?.into_iter().map(|(_, _, stored)| stored).collect();
        drop(conn);
        sealed.extend(auth::setting(&self.pool, SIGNING_KEY).await?);
        for stored in sealed {
            if stored.starts_with("enc:") {
                if let Err(e) = self.keys.open(&stored) {
                    anyhow::bail!(
                        "{e}; this mcpd's key is {}: set MCPD_ENCRYPTION_KEY (or MCPD_ENCRYPTION_KEY_FILE) to the key the \
                         database was written with, or list it in MCPD_ENCRYPTION_OLD_KEYS",
                        self.keys.primary_id()
                    );
                }
            }
        }
        Ok(())
    }

    /// The key that signs session JWTs, made from `fresh` on first start. It is stored sealed
    /// like a secret value, so that a backup or read access to the database cannot sign
    /// sessions. A key an earlier mcpd stored in plain text may have been read from a backup:
    /// it is replaced by `fresh` (once; the sessions it signed end, tokens are unaffected).
    pub async fn session_signing_key(&self, fresh: &str) -> anyhow::Result<String> {
        let stored = auth::setting_or_insert(&self.pool, SIGNING_KEY, &self.keys.seal(fresh))
            .await
            .context("reading the session signing key")?;
        if !stored.starts_with("enc:") {
            // Replicas upgrading together: one replaces it, the others read what it wrote.
            auth::set_setting(&self.pool, SIGNING_KEY, &stored, &self.keys.seal(fresh))
                .await
                .context("replacing the session signing key")?;
            tracing::warn!(
                "replaced the session signing key an earlier mcpd stored unsealed; sessions must log in again"
            );
            let now = auth::setting(&self.pool, SIGNING_KEY).await?.unwrap_or_default();
            return self.keys.open(&now).context("opening the session signing key");
        }
        self.keys.open(&stored).context("opening the session signing key")
    }

    /// Re-seals the session signing key and every secret value under the primary key;
    /// returns how many secret values moved.
    pub async fn rotate_keys(&self) -> anyhow::Result<usize> {
        // A compare-and-set, retried when a starting replica changed the key meanwhile.
        while let Some(stored) = auth::setting(&self.pool, SIGNING_KEY).await?.filter(|s| self.keys.is_stale(s)) {
            let plain = if stored.starts_with("enc:") { self.keys.open(&stored)? } else { stored.clone() };
            if auth::set_setting(&self.pool, SIGNING_KEY, &stored, &self.keys.seal(&plain)).await? {
                break;
            }
        }
        let mut moved = 0;
        let mut conn = self.pool.acquire().await?;
        let mut ids: Vec<i64> = objects::sealed_values(&mut conn)
            .await?
            .into_iter()
            .filter(|(_, _, stored)| self.keys.is_stale(stored))
            .map(|(id, _, _)| id)
            .collect();
        ids.dedup();
        for id in ids {
            // One statement per secret: readers see it whole, before or after. No transaction
            // spans the read and the compare-and-set, so none waits on or aborts a writer.
            moved += objects::reseal(&mut conn, self, id).await?;
        }
        Ok(moved)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the SQLite file of `url` readable by its owner only, unless it exists: it holds
/// sealed secrets and credential hashes. SQLite gives its `-wal` and `-shm` files the same
/// mode.
fn create_private(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || std::path::Path::new(path).exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create the SQLite database {path}")),
    }
}
