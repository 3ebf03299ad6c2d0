//! The real mcpd binary: first start on the embedded default, admin.yaml, logs that hold no
//! secret, graceful stop, restart, and replicas bootstrapping one PostgreSQL together.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::Backend;

pub struct Daemon {
    child: Child,
    log: PathBuf,
    pub url: String,
}

pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Daemon {
    let log = data_dir.with_extension(format!("log-{}", rand_suffix()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpd"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MCPD_DATA_DIR", data_dir)
        .env("MCPD_LISTEN", "127.0.0.1:0")
        .env("MCPD_LOG_FORMAT", "json")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    // Owned by a Daemon at once, so a failed start still kills and reaps the process.
    let mut daemon = Daemon { child: command.spawn().expect("mcpd starts"), log, url: String::new() };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = daemon.stderr();
        let listen = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find_map(|v| v["fields"]["listen"].as_str().map(str::to_owned));
        if let Some(listen) = listen {
            daemon.url = format!("http://{listen}");
            return daemon;
        }
        assert!(Instant::now() < deadline, "mcpd did not become ready:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

impl Daemon {
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        (status, self.stderr())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn admin_token(data_dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(data_dir.join("admin.yaml")).unwrap();
    let field = |name: &str| {
        let line = text.lines().find(|l| l.trim_start().starts_with(&format!("{name}:"))).unwrap();
        serde_json::from_str::<String>(line.split_once(": ").unwrap().1).unwrap()
    };
    (field("server"), field("token"))
}

#[tokio::test]
async fn first_start_writes_a_private_admin_config_and_logs_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let daemon = start(&data, &[("MCPD_LOG", "debug")]);
    assert!(data.join("mcpd.db").exists(), "the embedded default is an SQLite file in the data dir");

    let admin = data.join("admin.yaml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&admin).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let (server, token) = admin_token(&data);
    assert_eq!(server, daemon.url);

    // The generated password is printed exactly once, and it works.
    let stderr = daemon.stderr();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("created with password")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let password = lines[0].rsplit(' ').next().unwrap().to_owned();
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{server}/api/v1/auth/login"))
        .json(&json!({"email": "admin@localhost", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    let canary = "canary-secret-4711";
    let user_password = "canary-password-5522";
    let user = http
        .post(format!("{server}/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({"apiVersion": "mcpctl/v1", "kind": "User", "metadata": {"name": "u@example.com"},
            "spec": {"password": user_password}}))
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 201);
    let failed = http
        .post(format!("{server}/api/v1/auth/login"))
        .json(&json!({"email": "u@example.com", "password": "canary-wrong-6633"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let minted: Value = http
        .post(format!("{server}/api/v1/mcptokens"))
        .bearer_auth(&token)
        .json(&json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": "t"}, "spec": {}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let minted = minted["status"]["token"].as_str().unwrap().to_owned();
    let used = http.get(format!("{server}/api/v1/auth/whoami")).bearer_auth(&minted).send().await.unwrap();
    assert_eq!(used.status(), 200);
    let created = http
        .post(format!("{server}/api/v1/secrets"))
        .bearer_auth(&token)
        .json(&json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"data": {"k": canary}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let bad = http
        .post(format!("{server}/api/v1/secrets"))
        .bearer_auth(&token)
        .json(&json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"data": {"bad key": canary}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(!bad.text().await.unwrap().contains(canary));

    let (status, stderr) = daemon.terminate();
    assert!(status.success(), "SIGTERM ends mcpd with 0: {status:?}\n{stderr}");
    assert!(stderr.contains("mcpd stopped"), "{stderr}");
    assert!(!stderr.contains(canary), "a secret value reached the log:\n{stderr}");
    assert!(!stderr.contains(&token), "the admin token reached the log");
    for secret in [user_password, "canary-wrong-6633", minted.as_str()] {
        assert!(!stderr.contains(secret), "{secret} reached the log");
    }
    assert_eq!(stderr.matches(&password).count(), 1, "the password is printed once, never logged");

    // A restart keeps the data and bootstraps nothing again.
    let before = std::fs::read_to_string(&admin).unwrap();
    let daemon = start(&data, &[]);
    assert!(!daemon.stderr().contains("created with password"));
    assert_eq!(std::fs::read_to_string(&admin).unwrap(), before);
    let listed: Value = http
        .get(format!("{}/api/v1/secrets", daemon.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["metadata"]["name"], "s");
}

#[tokio::test]
async fn replicas_starting_together_on_postgresql_bootstrap_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = testkit::database_url(Backend::Postgres, dir.path()).await;
    let dirs: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("replica-{i}"))).collect();
    // Replicas of one database share its encryption key (docs/operations.md).
    let key = "ab".repeat(32);
    let daemons: Vec<Daemon> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .iter()
            .map(|d| {
                let (url, key) = (url.clone(), key.clone());
                s.spawn(move || {
                    start(
                        d,
                        &[("MCPD_DATABASE_URL", &url), ("MCPD_ADMIN_PASSWORD", "pw"), ("MCPD_ENCRYPTION_KEY", &key)],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let written = dirs.iter().filter(|d| d.join("admin.yaml").exists()).count();
    assert_eq!(written, 1, "exactly one replica bootstraps");
    let writer = dirs.iter().find(|d| d.join("admin.yaml").exists()).unwrap();
    let (_, token) = admin_token(writer);
    // Every replica accepts the one admin credential: the signing key is shared.
    for daemon in &daemons {
        let reply = reqwest::Client::new()
            .get(format!("{}/api/v1/auth/whoami", daemon.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        let ready = reqwest::get(format!("{}/readyz", daemon.url)).await.unwrap();
        assert_eq!(ready.status(), 200);
    }

    // A token made on one replica works on another, and its revocation on one is refused by
    // the others within a second (their caches keep principals for at most half of one).
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/api/v1/mcptokens", daemons[0].url))
        .bearer_auth(&token)
        .json(&json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": "shared"},
            "spec": {"bindings": [{"role": "view", "resource": "servers"}]}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw = created["status"]["token"].as_str().unwrap().to_owned();
    let on = |i: usize| http.get(format!("{}/api/v1/servers", daemons[i].url)).bearer_auth(&raw).send();
    assert_eq!(on(1).await.unwrap().status(), 200);
    let deleted =
        http.delete(format!("{}/api/v1/mcptokens/shared", daemons[0].url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    let revoked = Instant::now();
    for replica in [1, 2] {
        while on(replica).await.unwrap().status() != 401 {
            assert!(revoked.elapsed() < Duration::from_secs(1), "replica {replica} accepted a revoked token after 1 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// First start writes the gateway's credential beside admin.yaml: private, holding `run serve`
/// and nothing a client would need, and never in the log.
#[tokio::test]
async fn first_start_writes_the_gateways_credential() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let daemon = start(&data, &[("MCPD_LOG", "debug"), ("MCPD_ADMIN_PASSWORD", "pw")]);
    let path = data.join("gateway.token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The database beside it holds sealed secrets and every hash: as private.
        for file in [path.clone(), data.join("mcpd.db"), data.join("mcpd.db-wal")] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
    }
    let gateway = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    assert!(gateway.starts_with("mcpctl_pat_"), "{gateway}");
    let http = reqwest::Client::new();
    let ask = |verb: &str, kind: &str, name: Option<&str>| {
        http.post(format!("{}/api/v1/auth/can-i", daemon.url))
            .bearer_auth(&gateway)
            .json(&json!({"verb": verb, "kind": kind, "name": name}))
            .send()
    };
    let answer = |reply: reqwest::Response| async move { reply.json::<Value>().await.unwrap()["allowed"].clone() };
    assert_eq!(answer(ask("run", "serve", None).await.unwrap()).await, true);
    // It follows what it resolves: servers, projects and secrets (values masked).
    assert_eq!(answer(ask("list", "servers", None).await.unwrap()).await, true);
    assert_eq!(answer(ask("list", "secrets", None).await.unwrap()).await, true);
    for (verb, kind, name) in
        [("run", "connect", Some("demo")), ("list", "users", None), ("create", "servers", None), ("run", "audit", None)]
    {
        assert_eq!(answer(ask(verb, kind, name).await.unwrap()).await, false, "{verb} {kind}");
    }
    let whoami: Value = http
        .get(format!("{}/api/v1/auth/whoami", daemon.url))
        .bearer_auth(&gateway)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(whoami["name"], "gateway");
    let (status, stderr) = daemon.terminate();
    assert!(status.success());
    assert!(!stderr.contains(&gateway), "the gateway's token reached the log");
    assert!(stderr.contains("gateway.token"), "{stderr}");
}

#[test]
fn migrate_runs_migrations_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_mcpd"))
        .arg("migrate")
        .env("MCPD_DATA_DIR", dir.path())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(dir.path().join("mcpd.db").exists());
    assert!(!dir.path().join("admin.yaml").exists(), "migrate bootstraps nothing");
}

#[test]
fn a_bad_database_url_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mcpd"))
        .env("MCPD_DATA_DIR", dir.path())
        .env("MCPD_DATABASE_URL", "mysql://nope")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported database URL scheme"), "{stderr}");
}

fn mcpd_command(data_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcpd"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MCPD_DATA_DIR", data_dir)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[tokio::test]
async fn keys_rotate_without_losing_a_value_and_a_wrong_key_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (old, new) = ("aa".repeat(32), "bb".repeat(32));
    let http = reqwest::Client::new();
    let daemon = start(&data, &[("MCPD_ENCRYPTION_KEY", &old), ("MCPD_ADMIN_PASSWORD", "pw")]);
    let (server, token) = admin_token(&data);
    for i in 0..5 {
        let reply = http
            .post(format!("{server}/api/v1/secrets"))
            .bearer_auth(&token)
            .json(&json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": format!("s{i}")},
                "spec": {"data": {"a": format!("value-{i}-a"), "b": format!("value-{i}-b")}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
    }
    let (status, _) = daemon.terminate();
    assert!(status.success());

    // A key the database was not written with is refused at start, with a clear message.
    let wrong = mcpd_command(&data, &[("MCPD_ENCRYPTION_KEY", &new), ("MCPD_LISTEN", "127.0.0.1:0")], &[]);
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("not configured") && stderr.contains("MCPD_ENCRYPTION_KEY"), "{stderr}");

    let rotated =
        mcpd_command(&data, &[("MCPD_ENCRYPTION_KEY", &new), ("MCPD_ENCRYPTION_OLD_KEYS", &old)], &["rotate-key"]);
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    assert!(String::from_utf8_lossy(&rotated.stdout).contains("re-encrypted 10 secret values"));
    let again =
        mcpd_command(&data, &[("MCPD_ENCRYPTION_KEY", &new), ("MCPD_ENCRYPTION_OLD_KEYS", &old)], &["rotate-key"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("re-encrypted 0 secret values"));

    // The new key alone reads every value; the old one alone no longer can.
    let daemon = start(&data, &[("MCPD_ENCRYPTION_KEY", &new)]);
    let listed: Value = http
        .get(format!("{}/api/v1/secrets?showValues=true", daemon.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for i in 0..5 {
        assert_eq!(
            listed["items"][i]["spec"]["data"],
            json!({"a": format!("value-{i}-a"), "b": format!("value-{i}-b")})
        );
    }
    drop(daemon);
    let stale = mcpd_command(&data, &[("MCPD_ENCRYPTION_KEY", &old), ("MCPD_LISTEN", "127.0.0.1:0")], &[]);
    assert!(!stale.status.success());
}

#[test]
fn a_generated_key_is_private_and_announced_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = mcpd_command(dir.path(), &[], &["migrate"]);
    assert!(first.status.success());
    let key = dir.path().join("encryption.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(String::from_utf8_lossy(&first.stderr).contains("generated a new encryption key"));
    let second = mcpd_command(dir.path(), &[], &["migrate"]);
    assert!(!String::from_utf8_lossy(&second.stderr).contains("generated a new encryption key"));
}

mod faults {
    use super::*;

    fn servers(count: usize) -> Vec<Value> {
        (0..count)
            .map(|i| {
                json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": format!("s{i:05}")},
                    "spec": {"transport": "http", "url": format!("https://mcp.example.com/{i}"), "description": "x".repeat(40)}})
            })
            .collect()
    }

    #[tokio::test]
    async fn a_kill_during_a_large_apply_leaves_every_object_whole_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        let url = testkit::database_url(Backend::Postgres, dir.path()).await;
        let data = dir.path().join("data");
        let env = [("MCPD_DATABASE_URL", url.as_str()), ("MCPD_ADMIN_PASSWORD", "pw")];
        let mut daemon = start(&data, &env);
        let (_, token) = admin_token(&data);
        let items = servers(3000);
        let http = reqwest::Client::new();
        let request =
            http.post(format!("{}/api/v1/apply", daemon.url)).bearer_auth(&token).json(&json!({"items": items})).send();
        let killer = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            daemon.child.kill().unwrap(); // SIGKILL
            daemon.child.wait().unwrap();
        };
        let (_, ()) = tokio::join!(request, killer);
        drop(daemon);

        let daemon = start(&data, &env);
        let listed: Value = http
            .get(format!("{}/api/v1/servers", daemon.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed = listed["items"].as_array().unwrap();
        assert!(listed.is_empty() || listed.len() == items.len(), "a partial apply survived: {}", listed.len());
        for object in listed {
            let i: usize = object["metadata"]["name"].as_str().unwrap()[1..].parse().unwrap();
            assert_eq!(object["spec"], items[i]["spec"], "a half-written object");
        }
        let again = http
            .post(format!("{}/api/v1/apply", daemon.url))
            .bearer_auth(&token)
            .json(&json!({"items": items}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.unwrap();
        assert!(again["items"].as_array().unwrap().iter().all(|i| i["error"].is_null()));
    }

    #[tokio::test]
    async fn sigterm_under_load_finishes_every_started_request_and_exits_zero() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // The request log says which requests mcpd started, by the ids the clients send.
        let daemon = start(&data, &[("MCPD_ADMIN_PASSWORD", "pw"), ("MCPD_LOG", "info,tower_http=debug")]);
        let (server, token) = admin_token(&data);
        // A new connection per request: a connection never accepted is work never started.
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients: Vec<_> = (0..8)
            .map(|c| {
                let (http, server, token, stop) = (http.clone(), server.clone(), token.clone(), stop.clone());
                tokio::spawn(async move {
                    let (mut ok, mut failed) = (0, Vec::new());
                    let items: Vec<Value> = servers(50)
                        .into_iter()
                        .map(|mut s| {
                            s["metadata"]["name"] = json!(format!("c{c}-{}", s["metadata"]["name"].as_str().unwrap()));
                            s
                        })
                        .collect();
                    for n in 0.. {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let id = format!("load-{c}-{n}");
                        let sent = http
                            .post(format!("{server}/api/v1/apply"))
                            .bearer_auth(&token)
                            .header("x-request-id", &id)
                            .json(&json!({"items": items}))
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status().is_success() => match r.bytes().await {
                                Ok(_) => ok += 1,
                                Err(e) => failed.push((id, format!("body cut: {e}"))),
                            },
                            Ok(r) => failed.push((id, format!("status {}", r.status()))),
                            Err(e) if e.is_connect() => break,
                            Err(e) => failed.push((id, format!("{e}"))),
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let (status, log) = daemon.terminate();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut total = 0;
        for client in clients {
            let (ok, failed) = client.await.unwrap();
            // A connection the kernel queued but mcpd never accepted is reset when the listener
            // closes; mcpd never saw that request, so its id is not in the log.
            let started: Vec<_> = failed.iter().filter(|(id, _)| log.contains(&format!("\"{id}\""))).collect();
            assert!(started.is_empty(), "requests mcpd started failed during shutdown: {started:?}");
            total += ok;
        }
        assert!(status.success(), "{status:?}\n{log}");
        assert!(total > 0, "the load ran");
        assert!(log.contains("load-0-0"), "the request log names requests by their ids");
    }

    #[tokio::test]
    async fn a_database_outage_is_reported_promptly_and_survived() {
        let pg = testkit::PrivatePostgres::start();
        let dir = tempfile::tempdir().unwrap();
        let (url, _stop) = testkit::start(&testkit::config(pg.url(), dir.path())).await;
        let http = reqwest::Client::new();
        let login: Value = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"email": testkit::ADMIN_EMAIL, "password": testkit::ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_owned();
        let get = || http.get(format!("{url}/api/v1/servers")).bearer_auth(&token).send();
        assert_eq!(get().await.unwrap().status(), 200);

        pg.stop();
        assert_eq!(reqwest::get(format!("{url}/healthz")).await.unwrap().status(), 200);
        let asked = Instant::now();
        assert_eq!(reqwest::get(format!("{url}/readyz")).await.unwrap().status(), 503);
        assert!(asked.elapsed() < Duration::from_secs(5), "readyz took {:?}", asked.elapsed());
        let asked = Instant::now();
        let reply = get().await.unwrap();
        assert_eq!(reply.status(), 503);
        assert!(asked.elapsed() < Duration::from_secs(5), "the API took {:?}", asked.elapsed());
        let body: Value = reply.json().await.unwrap();
        assert_eq!(body["reason"], "ServiceUnavailable");

        pg.resume();
        let back = Instant::now();
        loop {
            let ready = reqwest::get(format!("{url}/readyz")).await.unwrap().status() == 200;
            if ready && get().await.unwrap().status() == 200 {
                break;
            }
            assert!(back.elapsed() < Duration::from_secs(10), "mcpd did not recover within 10 s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test]
async fn a_flood_of_logins_and_passwords_keeps_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let daemon = start(&data, &[("MCPD_ADMIN_PASSWORD", "pw")]);
    let pid = daemon.child.id();
    let before = rss(pid);
    let http = reqwest::Client::new();
    // Unauthenticated: each login costs a 19 MiB argon2 hash.
    let logins = (0..120).map(|i| {
        http.post(format!("{}/api/v1/auth/login", daemon.url))
            .json(&json!({"email": format!("flood-{i}@example.com"), "password": "guess"}))
            .send()
    });
    let mut refused = 0;
    for reply in futures_util::future::join_all(logins).await {
        let reply = reply.unwrap();
        match reply.status().as_u16() {
            401 => {}
            503 => {
                assert!(reply.headers().contains_key("retry-after"));
                refused += 1;
            }
            other => panic!("a login in the flood got {other}"),
        }
    }
    // Authenticated: users with passwords, many in one apply and several applies at once.
    let (_, token) = admin_token(&data);
    let applies = (0..4).map(|batch| {
        let users: Vec<Value> = (0..15)
            .map(|i| {
                json!({"apiVersion": "mcpctl/v1", "kind": "User", "metadata": {"name": format!("u{batch}-{i}@example.com")},
                       "spec": {"password": "a-long-password"}})
            })
            .collect();
        http.post(format!("{}/api/v1/apply", daemon.url)).bearer_auth(&token).json(&json!({"items": users})).send()
    });
    for reply in futures_util::future::join_all(applies).await {
        let status = reply.unwrap().status().as_u16();
        assert!(status == 200 || status == 503, "an apply of users got {status}");
    }
    let after = rss(pid);
    let grown = after.saturating_sub(before) / (1024 * 1024);
    assert!(grown < 64, "mcpd grew by {grown} MiB ({refused} logins refused while busy)");
    // And it still answers a real login at once.
    let login = http
        .post(format!("{}/api/v1/auth/login", daemon.url))
        .json(&json!({"email": "admin@localhost", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
}

/// `migrate secrets` as mcpctl drives it (one request per secret) while mcpd is killed with
/// SIGKILL at random points, then run again: every secret readable from exactly the backend
/// it names, none lost, none left on two backends.
mod migration {
    use super::*;
    use testkit::Bao;

    const SECRETS: usize = 200;

    fn value_of(i: usize) -> String {
        format!("migrated-value-{i:03}")
    }

    async fn call(
        http: &reqwest::Client,
        url: &str,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let mut request = http.request(method, format!("{url}{path}")).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await.ok()?;
        let status = reply.status().as_u16();
        Some((status, reply.json().await.unwrap_or(Value::Null)))
    }

    /// One run of the command: every secret on `from` or `to` (an earlier run may have left a
    /// copy on `from`), one request each. False when mcpd went away meanwhile.
    async fn migrate_all(http: &reqwest::Client, url: &str, token: &str, from: &str, to: &str) -> bool {
        let Some((200, list)) = call(http, url, token, reqwest::Method::GET, "/api/v1/secrets", None).await else {
            return false;
        };
        let names: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["spec"]["backend"] == from || s["spec"]["backend"] == to)
            .filter(|s| s["metadata"]["name"] != "bao-token")
            .map(|s| s["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        for name in names {
            let body = json!({"from": from, "to": to});
            match call(http, url, token, reqwest::Method::POST, &format!("/api/v1/secrets/{name}/migrate"), Some(body))
                .await
            {
                Some((200, result)) => assert!(result["warning"].is_null(), "{result}"),
                Some((status, body)) => panic!("migrating {name} answered {status}: {body}"),
                None => return false,
            }
        }
        true
    }

    fn kv_names(bao: &Bao) -> Vec<String> {
        let out = bao.try_cli(&["kv", "list", "-format=json", "secret/mcpctl"]);
        if !out.status.success() {
            return Vec::new();
        }
        serde_json::from_slice(&out.stdout).unwrap()
    }

    async fn kills_during_a_migration_lose_nothing_and_leave_nothing_behind(database: Backend) {
        let bao = tokio::task::spawn_blocking(Bao::start).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let url = testkit::database_url(database, &data).await;
        let env = [("MCPD_DATABASE_URL", url.as_str()), ("MCPD_ADMIN_PASSWORD", "pw")];
        let mut daemon = start(&data, &env);
        let (_, token) = admin_token(&data);
        let http = reqwest::Client::new();
        let mut items = vec![
            json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "bao-token"},
                "spec": {"data": {"token": bao.root_token}}}),
            json!({"apiVersion": "mcpctl/v1", "kind": "SecretBackend", "metadata": {"name": "bao"},
                "spec": {"type": "openbao", "address": bao.address(),
                         "auth": {"token": {"secretKeyRef": {"name": "bao-token", "key": "token"}}}}}),
        ];
        items.extend((0..SECRETS).map(|i| {
            json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": format!("s{i:03}")},
                "spec": {"data": {"token": value_of(i)}}})
        }));
        let (status, applied) =
            call(&http, &daemon.url, &token, reqwest::Method::POST, "/api/v1/apply", Some(json!({"items": items})))
                .await
                .unwrap();
        assert_eq!(status, 200, "{applied}");

        for (from, to) in [("internal", "bao"), ("bao", "internal")] {
            let mut kills = 0;
            loop {
                let delay = Duration::from_millis(100 + rand_suffix() % 700);
                let done = tokio::select! {
                    done = migrate_all(&http, &daemon.url, &token, from, to) => done,
                    () = tokio::time::sleep(delay), if kills < 3 => false,
                };
                if done {
                    break;
                }
                daemon.child.kill().unwrap(); // SIGKILL, wherever it was
                daemon.child.wait().unwrap();
                kills += 1;
                daemon = start(&data, &env);
            }
            assert_eq!(kills, 3, "{from} → {to}: the migration finished before mcpd could be killed");
            // Every secret whole, from the backend it names.
            let (_, listed) =
                call(&http, &daemon.url, &token, reqwest::Method::GET, "/api/v1/secrets?showValues=true", None)
                    .await
                    .unwrap();
            let listed = listed["items"].as_array().unwrap().clone();
            assert_eq!(listed.len(), SECRETS + 1, "a secret was lost");
            for secret in listed.iter().filter(|s| s["metadata"]["name"] != "bao-token") {
                let i: usize = secret["metadata"]["name"].as_str().unwrap()[1..].parse().unwrap();
                assert_eq!(secret["spec"]["backend"], to, "{secret}");
                assert_eq!(secret["spec"]["data"]["token"], value_of(i), "{secret}");
            }
            // None on two backends: bao holds exactly what names it, and internal keeps no value
            // of a secret on bao (a value shows through only when mcpd reads it there).
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let specs: Vec<String> =
                sqlx::query_scalar("SELECT spec FROM objects WHERE kind = 'Secret'").fetch_all(&pool).await.unwrap();
            pool.close().await;
            let sealed = specs.iter().filter(|s| s.contains("enc:v1:")).count();
            assert_eq!(sealed, if to == "bao" { 1 } else { SECRETS + 1 }, "values sealed in the database");
            let names = kv_names(&bao);
            match to {
                "bao" => assert_eq!(names.len(), SECRETS, "{names:?}"),
                _ => assert!(names.is_empty(), "values left on bao: {names:?}"),
            }
        }
    }

    testkit::backend_tests!(async: kills_during_a_migration_lose_nothing_and_leave_nothing_behind);
}
