//! Support for the integration tests of mcpd and mcpctl: a fresh database per test, on
//! PostgreSQL or SQLite, and an in-process mcpd on port 0. Not used by the daemon itself.

use std::path::Path;

use rand::RngCore;
use sqlx::Connection;

use crate::config::Config;
use crate::startup::Application;

/// The admin password every test daemon starts with.
pub const ADMIN_PASSWORD: &str = "test-admin-password";
pub const ADMIN_EMAIL: &str = "admin@localhost";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database URL for one test: a new PostgreSQL database on the server named by
/// `MCPD_TEST_DATABASE_URL` (which `scripts/test` starts), or a new SQLite file in `dir`.
pub async fn database_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("mcpd.db").display()),
        Backend::Postgres => {
            let base = std::env::var("MCPD_TEST_DATABASE_URL").expect(
                "MCPD_TEST_DATABASE_URL is not set: run the suite with scripts/test, which starts a throwaway PostgreSQL",
            );
            let mut suffix = [0u8; 8];
            rand::rngs::OsRng.fill_bytes(&mut suffix);
            let name = format!("mcpd_test_{}", crate::auth::session::hex(&suffix));
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&base).await.expect("connect to the test PostgreSQL");
            // Identifiers cannot be bound; this one is made of hex digits only.
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
            let _ = conn.close().await;
            with_database(&base, &name)
        }
    }
}

/// `base` with its database name replaced by `name`.
pub fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (base, None),
    };
    let prefix = match without_query.rsplit_once('/') {
        Some((prefix, _)) if prefix.contains("://") && prefix.len() > prefix.find("://").unwrap() + 3 => prefix,
        _ => without_query,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// The configuration of a test daemon on port 0 with data in `dir`.
pub fn config(database_url: String, dir: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".to_owned(),
        database_url: Some(database_url),
        data_dir: Some(dir.to_path_buf()),
        admin_email: ADMIN_EMAIL.to_owned(),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
        public_url: None,
        encryption_key: None,
        encryption_key_file: None,
        encryption_old_keys: None,
    }
}

/// Builds and starts mcpd on the current runtime; it stops when `stop` is sent or dropped.
pub async fn start(config: &Config) -> (String, tokio::sync::oneshot::Sender<()>) {
    if std::env::var_os("TEST_LOG").is_some() {
        crate::telemetry::init();
    }
    let app = Application::build(config).await.expect("mcpd builds");
    let url = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    (url, stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(with_database("postgres://u@h:5/postgres", "t"), "postgres://u@h:5/t");
        assert_eq!(
            with_database("postgres://u@h:5/postgres?sslmode=disable", "t"),
            "postgres://u@h:5/t?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:5", "t"), "postgres://u@h:5/t");
    }
}
