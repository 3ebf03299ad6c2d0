//! The sandbox of stdio servers, tried by a hostile server (`hostile.js stdio-escape`) with mcpd
//! and mcpgw at the README's default locations under a test `HOME`: every attempt to get out
//! fails and is reported by the server as failed, and the gateway and the other servers keep
//! answering. Then the reference server through `npx`, and what the gateway refuses.

use serde_json::{json, Value};
use testkit::Backend;

use crate::harness::{fixture, fixtures_mount, project, Driver, Gateway, Mcpd, SECRET};

testkit::backend_tests!(async:
    an_image_server_runs_through_podman_with_its_secret_and_its_limits,
    a_hostile_server_reaches_nothing_its_spec_does_not_grant,
    what_the_host_cannot_enforce_is_refused_never_run_with_less,
);

/// The reference server as a README user runs it: installed with `npm install --prefix`, and
/// through `npx -y` fetching it from npm into the sandbox's private home, with a secret in its
/// environment. One database: the sandbox does not touch mcpd's.
#[tokio::test]
async fn the_reference_server_runs_through_npx_and_keeps_its_cache_in_its_home() {
    let mcpd = Mcpd::start_at_home(Backend::Sqlite).await;
    let package = std::env::var("MCPGW_TEST_EVERYTHING_PACKAGE")
        .expect("MCPGW_TEST_EVERYTHING_PACKAGE is not set: run the suite with scripts/test");
    let env = json!([{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}]);
    let server = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "every"},
        "spec": {"transport": "stdio", "command": "npx", "args": ["-y", package, "stdio"], "env": env}});
    // As the README's quickstart installs it, with `npm install --prefix`: its command is the
    // package's bin, and the sandbox shows the prefix (with the package's dependencies).
    let npm = crate::harness::npm_mount()["path"].as_str().unwrap().to_owned();
    let bin = format!("{npm}/node_modules/.bin/mcp-server-everything");
    let local = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "local"},
        "spec": {"transport": "stdio", "command": bin, "args": ["stdio"]}});
    mcpd.apply(vec![crate::harness::secret("creds", SECRET), server, local, project("demo", &["every", "local"])])
        .await;
    let token = mcpd.project_token("demo", "client").await;
    // npx downloads the package on the first start.
    let gateway = Gateway::at_home(&mcpd, &[], &["--start-timeout", "55s"]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let printed = client.call_text("every__get-env", json!({})).await;
    let env: serde_json::Map<String, Value> = serde_json::from_str(&printed).unwrap();
    assert_eq!(env["API_TOKEN"], SECRET);
    assert_eq!(env["HOME"], "/home/mcp");
    assert_eq!(client.call_text("every__echo", json!({"message": "sandboxed"})).await, "Echo: sandboxed");
    assert_eq!(client.call_text("local__echo", json!({"message": "offline"})).await, "Echo: offline");
    let cache = mcpd.dir.path().join(".local/state/mcpgw/homes/demo/every/.npm/_npx");
    assert!(cache.is_dir(), "npx kept no cache in the server's home");
    client.close().await;
}

/// A local image, built `FROM scratch` once per run from files the tests already have: node
/// and the libraries it links, the reference server and `hostile.js`. No registry is needed.
const IMAGE: &str = "localhost/mcpgw-test-servers:2";

/// `CONTAINERS_CONF` for podman here: the runc runtime (crun fails on hosts with hybrid
/// cgroups), as an operator of such a host would configure it.
fn containers_conf() -> &'static str {
    static CONF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CONF.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("containers.conf");
        std::fs::write(&path, "[engine]\nruntime = \"runc\"\n").unwrap();
        path.display().to_string()
    })
}

fn build_image() {
    static BUILT: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut built = BUILT.lock().unwrap();
    if *built {
        return;
    }
    let podman = |args: &[&str]| {
        std::process::Command::new("podman")
            .args(args)
            .env("CONTAINERS_CONF", containers_conf())
            .output()
            .expect("podman runs (scripts/test installs it)")
    };
    if !podman(&["image", "exists", IMAGE]).status.success() {
        let context = tempfile::tempdir().unwrap();
        let root = context.path();
        let node = String::from_utf8(
            std::process::Command::new("sh").args(["-c", "command -v node"]).output().unwrap().stdout,
        )
        .unwrap();
        let node = std::fs::canonicalize(node.trim()).unwrap();
        let ldd = String::from_utf8(std::process::Command::new("ldd").arg(&node).output().unwrap().stdout).unwrap();
        let mut files = vec![node.clone()];
        files.extend(ldd.split_whitespace().filter(|word| word.starts_with('/')).map(std::path::PathBuf::from));
        for file in files {
            let to = root.join(file.strip_prefix("/").unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&file, &to).unwrap();
        }
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        if node != std::path::Path::new("/usr/bin/node") {
            std::fs::copy(&node, root.join("usr/bin/node")).unwrap();
        }
        let npm = crate::harness::npm_mount()["path"].as_str().unwrap().to_owned();
        std::fs::create_dir_all(root.join("app")).unwrap();
        let copied = std::process::Command::new("cp")
            .args(["-r", &format!("{npm}/node_modules"), &root.join("app").display().to_string()])
            .status()
            .unwrap();
        assert!(copied.success());
        std::fs::copy(fixture("hostile.js"), root.join("app/hostile.js")).unwrap();
        std::fs::write(root.join("Containerfile"), "FROM scratch\nCOPY . /\nENV PATH=/usr/bin\n").unwrap();
        let built = podman(&["build", "-q", "-t", IMAGE, &root.display().to_string()]);
        assert!(built.status.success(), "podman build: {}", String::from_utf8_lossy(&built.stderr));
    }
    *built = true;
}

/// A server with `image` [`IMAGE`], running node with `args`.
fn image_server(name: &str, args: &[&str], env: Value, sandbox: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": name},
        "spec": {"transport": "stdio", "image": IMAGE, "command": "/usr/bin/node", "args": args, "env": env,
                 "sandbox": sandbox}})
}

async fn an_image_server_runs_through_podman_with_its_secret_and_its_limits(backend: Backend) {
    build_image();
    let mcpd = Mcpd::start_at_home(backend).await;
    let mcpd_port = port_of(&mcpd.url);
    let allowed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed_port = allowed.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = allowed.accept().await {
            drop(socket);
        }
    });
    let env = json!([{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}]);
    let everything = "/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
    let egress = json!({"egress": [format!("127.0.0.1:{allowed_port}")]});
    mcpd.apply(vec![
        crate::harness::secret("creds", SECRET),
        image_server("every", &[everything, "stdio"], env, json!({"network": "none"})),
        image_server(
            "hog",
            &["/app/hostile.js", "stdio-escape"],
            json!([]),
            json!({"memory": "96Mi", "network": "none"}),
        ),
        image_server("reach", &["/app/hostile.js", "stdio-escape"], json!([]), egress),
        project("demo", &["every", "hog", "reach"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;

    // Without a container engine, an image server is refused, never run on the host.
    let gateway = Gateway::at_home(&mcpd, &[], &[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let refused = attempt(&mut client, "every__get-env", json!({})).await.unwrap_err();
    assert!(refused.contains("has no --container-engine (podman or docker)"), "{refused}");
    client.close().await;
    drop(gateway);

    let gateway =
        Gateway::at_home(&mcpd, &[("CONTAINERS_CONF", containers_conf())], &["--container-engine", "podman"]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let printed = attempt(&mut client, "every__get-env", json!({})).await;
    let printed = printed.unwrap_or_else(|e| panic!("{e}\n{}", gateway.log()));
    let env: serde_json::Map<String, Value> = serde_json::from_str(&printed).unwrap();
    assert_eq!(env["API_TOKEN"], SECRET);
    assert!(!printed.contains("gateway-only-canary") && !printed.contains("MCPGW_"), "{printed}");
    // The value went through the engine's environment: no command line holds it.
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&cmdline).contains(SECRET), "a command line holds the secret");
    }
    // Its network is none: mcpd, on the host's loopback, is out of reach.
    let to_mcpd = json!({"host": "127.0.0.1", "port": mcpd_port});
    assert_eq!(attempt(&mut client, "hog__connect", to_mcpd).await, Err("ECONNREFUSED".to_owned()));
    assert_eq!(attempt(&mut client, "hog__env", json!({})).await.map(|names| names.contains("API_TOKEN")), Ok(false));
    // Egress from a container goes through the gateway's proxy, as from bubblewrap.
    let through = attempt(&mut client, "reach__proxy", json!({"host": "127.0.0.1", "port": allowed_port})).await;
    assert_eq!(through, Ok("HTTP/1.1 200 Connection established".to_owned()));
    let to_mcpd = json!({"host": "127.0.0.1", "port": mcpd_port});
    assert_eq!(attempt(&mut client, "reach__proxy", to_mcpd.clone()).await, Err("HTTP/1.1 403 Forbidden".to_owned()));
    assert_eq!(attempt(&mut client, "reach__connect", to_mcpd).await, Err("ECONNREFUSED".to_owned()));
    // A memory hog is killed at its limit, named in the error; the other server goes on.
    let hogged = attempt(&mut client, "hog__alloc", json!({"mb": 512})).await.unwrap_err();
    assert!(hogged.contains("server \"hog\"") && hogged.contains("memory limit (96Mi"), "{hogged}");
    assert!(attempt(&mut client, "every__get-env", json!({})).await.is_ok());
    client.close().await;
}

/// A server running `hostile.js stdio-escape`, with `sandbox`.
fn escape(name: &str, mut sandbox: Value) -> Value {
    sandbox["mounts"] = json!([fixtures_mount()]);
    json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": name},
        "spec": {"transport": "stdio", "command": "node", "args": [fixture("hostile.js"), "stdio-escape"],
                 "sandbox": sandbox}})
}

/// What a tool call answered: `Ok(text)`, `Err(text)` when the server reported it failed, or
/// `Err(error)` when the gateway answered with an MCP error.
async fn attempt(client: &mut Driver, tool: &str, args: Value) -> Result<String, String> {
    let answer = client.call(tool, args).await;
    if let Some(error) = answer.get("error") {
        return Err(error.as_str().unwrap_or_default().to_owned());
    }
    let text = answer["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{tool}: {answer}")).to_owned();
    match answer["isError"].as_bool().unwrap_or(false) {
        true => Err(text),
        false => Ok(text),
    }
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap()
}

async fn a_hostile_server_reaches_nothing_its_spec_does_not_grant(backend: Backend) {
    let mcpd = Mcpd::start_at_home(backend).await;
    let mcpd_port = port_of(&mcpd.url);
    // A destination the egress list allows.
    let allowed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed_port = allowed.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = allowed.accept().await {
            drop(socket);
        }
    });
    mcpd.apply(vec![
        escape("probe", json!({})),
        escape("other", json!({})),
        escape("closed", json!({"network": "none"})),
        escape("egress", json!({"egress": [format!("127.0.0.1:{allowed_port}"), format!("localhost:{allowed_port}")]})),
        escape("forker", json!({"processes": 24})),
        escape("hog", json!({"memory": "96Mi"})),
        project("demo", &["probe", "other", "closed", "egress", "forker", "hog"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = Gateway::at_home(&mcpd, &[], &[]).await;
    let home = mcpd.dir.path();
    let state = home.join(".local/state/mcpgw");
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;

    // Its own home is private and writable; another server's is out of sight.
    let wrote = attempt(&mut client, "other__write_home", json!({"text": "other's note"})).await;
    assert_eq!(wrote, Ok("/home/mcp: note".to_owned()));
    let others = state.join("homes/demo/other/note");
    assert_eq!(std::fs::read_to_string(&others).unwrap(), "other's note");
    for path in [others.display().to_string(), "/home/mcp/note".to_owned()] {
        let read = attempt(&mut client, "probe__read", json!({"path": path})).await;
        assert_eq!(read, Err("ENOENT".to_owned()), "{path}");
    }

    // mcpd's data directory (its database, keys and the gateway's credential) and the
    // gateway's own state: none of it exists for the server.
    let files: Vec<_> = std::fs::read_dir(&mcpd.data).unwrap().flatten().map(|e| e.path()).collect();
    assert!(files.iter().any(|f| f.ends_with("gateway.token")), "{files:?}");
    for path in files.iter().chain([&mcpd.data, &state, &home.to_path_buf()]) {
        let tool = if path.is_dir() { "probe__list" } else { "probe__read" };
        let read = attempt(&mut client, tool, json!({"path": path})).await;
        assert_eq!(read, Err("ENOENT".to_owned()), "{}", path.display());
    }

    // The host's TLS keys are not among the system files it sees.
    if std::path::Path::new("/etc/ssl/private").exists() {
        let keys = attempt(&mut client, "probe__list", json!({"path": "/etc/ssl/private"})).await;
        assert_eq!(keys, Err("ENOENT".to_owned()));
    }

    // Only its own processes: not the gateway's, not another server's.
    let seen = attempt(&mut client, "probe__processes", json!({})).await.unwrap();
    let lines: Vec<&str> = seen.lines().collect();
    assert!(lines.len() <= 2, "{seen}");
    assert!(lines.iter().all(|l| !l.contains("homes/demo/other") && !l.contains("--mcpd-url")), "{seen}");
    let environ = format!("/proc/{}/environ", gateway.pid());
    assert!(attempt(&mut client, "probe__read", json!({"path": environ})).await.is_err());
    // Its environment is its spec's (here empty), its HOME, PATH and PWD: nothing of the gateway's.
    assert_eq!(attempt(&mut client, "probe__env", json!({})).await, Ok("HOME,PATH,PWD".to_owned()));

    // The network as each spec grants: open reaches mcpd (the control), none reaches nothing,
    // egress only what it lists, through the gateway's proxy, which logs each refusal.
    let to_mcpd = json!({"host": "127.0.0.1", "port": mcpd_port});
    assert_eq!(attempt(&mut client, "probe__connect", to_mcpd.clone()).await, Ok("connected".to_owned()));
    assert_eq!(attempt(&mut client, "closed__connect", to_mcpd.clone()).await, Err("ECONNREFUSED".to_owned()));
    assert_eq!(attempt(&mut client, "closed__proxy", to_mcpd.clone()).await, Err("no HTTPS_PROXY".to_owned()));
    assert_eq!(attempt(&mut client, "egress__connect", to_mcpd.clone()).await, Err("ECONNREFUSED".to_owned()));
    let through = attempt(&mut client, "egress__proxy", json!({"host": "127.0.0.1", "port": allowed_port})).await;
    assert_eq!(through, Ok("HTTP/1.1 200 Connection established".to_owned()));
    let refused = attempt(&mut client, "egress__proxy", to_mcpd.clone()).await;
    assert_eq!(refused, Err("HTTP/1.1 403 Forbidden".to_owned()));
    // A listed name that leads to the gateway host's own loopback is refused too.
    let local = attempt(&mut client, "egress__proxy", json!({"host": "localhost", "port": allowed_port})).await;
    assert_eq!(local, Err("HTTP/1.1 403 Forbidden".to_owned()));
    let log = gateway.log();
    let logged = log.lines().find(|l| l.contains("egress refused")).unwrap_or_else(|| panic!("{log}"));
    assert!(
        logged.contains("server=egress") && logged.contains(&format!("destination=127.0.0.1:{mcpd_port}")),
        "{logged}"
    );

    // A fork bomb meets its process limit, and the server lives on to say so.
    let forked = attempt(&mut client, "forker__fork", json!({"count": 64})).await.unwrap_err();
    assert!(forked.contains("EAGAIN"), "{forked}");
    assert_eq!(attempt(&mut client, "forker__env", json!({})).await, Ok("HOME,PATH,PWD".to_owned()));

    // A memory hog is killed at its limit: the call's error names the server and the limit.
    let hogged = attempt(&mut client, "hog__alloc", json!({"mb": 512})).await.unwrap_err();
    assert!(hogged.contains("server \"hog\"") && hogged.contains("memory limit (96Mi"), "{hogged}");
    // Its next call starts it again.
    assert_eq!(attempt(&mut client, "hog__alloc", json!({"mb": 8})).await, Ok("allocated 8 MB".to_owned()));

    // The gateway and the other servers kept answering.
    assert_eq!(reqwest::get(format!("{}/healthz", gateway.base)).await.unwrap().status(), 200);
    assert_eq!(attempt(&mut client, "other__env", json!({})).await, Ok("HOME,PATH,PWD".to_owned()));
    client.close().await;

    // A server's home is kept across its sessions.
    let mut again = Driver::connect(&gateway.endpoint("demo"), &token, "2026-07-28").await;
    let kept = attempt(&mut again, "other__read", json!({"path": "/home/mcp/note"})).await;
    assert_eq!(kept, Ok("other's note".to_owned()));
    again.close().await;
}

async fn what_the_host_cannot_enforce_is_refused_never_run_with_less(backend: Backend) {
    let mcpd = Mcpd::start_at_home(backend).await;
    let missing_mount = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "unmounted"},
        "spec": {"transport": "stdio", "command": "node", "args": ["-e", "1"],
                 "sandbox": {"mounts": [{"path": "/nonexistent/data"}]}}});
    let data = mcpd.data.display().to_string();
    let exposing = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "exposing"},
        "spec": {"transport": "stdio", "command": "node", "args": ["-e", "1"],
                 "sandbox": {"mounts": [{"path": data}]}}});
    let links = tempfile::tempdir().unwrap();
    let to_proc = links.path().join("proc");
    std::os::unix::fs::symlink("/proc", &to_proc).unwrap();
    let proc_link = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "proclink"},
        "spec": {"transport": "stdio", "command": "node", "args": ["-e", "1"],
                 "sandbox": {"mounts": [{"path": to_proc.display().to_string()}]}}});
    mcpd.apply(vec![
        missing_mount,
        exposing,
        proc_link,
        escape("plain", json!({})),
        escape("closed", json!({"network": "none"})),
        project("demo", &["unmounted", "exposing", "proclink", "plain", "closed"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;

    // A spec the host cannot honour is refused, saying what; the rest of the project works.
    let gateway = Gateway::at_home(&mcpd, &[], &[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let unmounted = attempt(&mut client, "unmounted__x", json!({})).await.unwrap_err();
    assert!(unmounted.contains("cannot be sandboxed: mount /nonexistent/data does not exist"), "{unmounted}");
    let exposing = attempt(&mut client, "exposing__x", json!({})).await.unwrap_err();
    assert!(exposing.contains("would show the gateway's credential or state, or mcpd's data"), "{exposing}");
    let linked = attempt(&mut client, "proclink__x", json!({})).await.unwrap_err();
    assert!(linked.contains("leads to /proc: /proc is the sandbox's own"), "{linked}");
    assert_eq!(attempt(&mut client, "plain__env", json!({})).await, Ok("HOME,PATH,PWD".to_owned()));
    client.close().await;
    drop(gateway);

    // No bubblewrap on the gateway's PATH: `auto` refuses stdio servers, naming what to install,
    // and says so in /readyz; `bwrap` does not start.
    let bin = tempfile::tempdir().unwrap();
    let node = std::process::Command::new("sh").args(["-c", "command -v node"]).output().unwrap();
    let node = String::from_utf8(node.stdout).unwrap();
    std::os::unix::fs::symlink(node.trim(), bin.path().join("node")).unwrap();
    let path = bin.path().display().to_string();
    let gateway = Gateway::at_home(&mcpd, &[("PATH", &path)], &[]).await;
    let ready = reqwest::get(format!("{}/readyz", gateway.base)).await.unwrap();
    assert_eq!(ready.status(), 200);
    let body = ready.text().await.unwrap();
    assert!(body.contains("warning: no sandbox") && body.contains("apt-get install bubblewrap"), "{body}");
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let refused = attempt(&mut client, "plain__env", json!({})).await.unwrap_err();
    assert!(refused.contains("server \"plain\"") && refused.contains("apt-get install bubblewrap"), "{refused}");
    client.close().await;
    drop(gateway);
    let strict = std::process::Command::new(env!("CARGO_BIN_EXE_mcpgw"))
        .args(["--listen", "127.0.0.1:0", "--mcpd-url", &mcpd.url, "--sandbox", "bwrap"])
        .env("HOME", mcpd.dir.path())
        .env("PATH", &path)
        .env_remove("MCPGW_TOKEN_FILE")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(1), "{said}");
    assert!(said.contains("--sandbox bwrap: bubblewrap is not installed"), "{said}");

    // `--sandbox off` only when asked: warned at start and in /readyz; a server whose spec
    // limits it is refused, and one that does not runs unconfined, with the whole host.
    let gateway = Gateway::at_home(&mcpd, &[], &["--sandbox", "off"]).await;
    let body = reqwest::get(format!("{}/readyz", gateway.base)).await.unwrap().text().await.unwrap();
    assert!(body.contains("warning: --sandbox off"), "{body}");
    assert!(gateway.log().contains("--sandbox off: stdio servers run unconfined"), "{}", gateway.log());
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let closed = attempt(&mut client, "closed__env", json!({})).await.unwrap_err();
    assert!(closed.contains("its spec limits its sandbox") && closed.contains("--sandbox off"), "{closed}");
    let home = mcpd.dir.path().display().to_string();
    let seen = attempt(&mut client, "plain__list", json!({"path": &home})).await.unwrap();
    assert!(seen.contains(".local"), "{seen}");
    client.close().await;
}
