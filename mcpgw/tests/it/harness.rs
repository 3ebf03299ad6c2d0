//! Test support: mcpd (two replicas on PostgreSQL, so the gateway follows one while the test
//! writes through the other), the mcpgw binary, the Python client and upstream servers.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client::Client;
use serde_json::{json, Value};
use testkit::Backend;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// A secret value no output may carry.
pub const SECRET: &str = "s3cret-value-4f1d9c";

pub fn python() -> String {
    std::env::var("MCPD_TEST_PYTHON").expect("MCPD_TEST_PYTHON is not set: run the suite with scripts/test")
}

pub fn everything() -> String {
    std::env::var("MCPGW_TEST_EVERYTHING").expect("MCPGW_TEST_EVERYTHING is not set: run the suite with scripts/test")
}

pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it").join(name).display().to_string()
}

/// The sandbox mount that shows a server the test fixtures (its script among them).
pub fn fixtures_mount() -> Value {
    json!({"path": PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it").display().to_string()})
}

/// The sandbox mount that shows a server the npm packages the tests installed (the reference
/// server among them).
pub fn npm_mount() -> Value {
    let everything = everything();
    let dir = everything.split("/node_modules/").next().expect("the reference server is under node_modules");
    json!({"path": dir})
}

/// mcpd for one test, and an admin client writing to it.
pub struct Mcpd {
    pub dir: tempfile::TempDir,
    /// Its data directory: `dir` itself, or the default under `dir` as a test `HOME`.
    pub data: PathBuf,
    /// The replica the gateway follows.
    pub url: String,
    /// The admin's client, on the other replica when there are two.
    pub admin: Client,
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Mcpd {
    pub async fn start(backend: Backend) -> Mcpd {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        Mcpd::start_in(backend, dir, data).await
    }

    /// mcpd with its data where the README's quickstart keeps it, under `dir` as a test
    /// `HOME` (`HOME/.local/share/mcpd`): a gateway started with [`Gateway::at_home`] finds
    /// its credential there, as one started by hand would.
    pub async fn start_at_home(backend: Backend) -> Mcpd {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join(".local/share/mcpd");
        std::fs::create_dir_all(&data).unwrap();
        Mcpd::start_in(backend, dir, data).await
    }

    /// mcpd that looks for changes in external secret backends every second.
    pub async fn start_refreshing(backend: Backend) -> Mcpd {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        Mcpd::start_in_with(backend, dir, data, |c| c.secret_refresh = Duration::from_secs(1)).await
    }

    async fn start_in(backend: Backend, dir: tempfile::TempDir, data: PathBuf) -> Mcpd {
        Mcpd::start_in_with(backend, dir, data, |_| {}).await
    }

    async fn start_in_with(
        backend: Backend,
        dir: tempfile::TempDir,
        data: PathBuf,
        change: impl FnOnce(&mut testkit::Config),
    ) -> Mcpd {
        let mut config = testkit::config(testkit::database_url(backend, &data).await, &data);
        change(&mut config);
        let (url, stop) = testkit::start(&config).await;
        let mut stops = vec![stop];
        let admin_url = match backend {
            Backend::Postgres => {
                let (other, stop) = testkit::start(&config).await;
                stops.push(stop);
                other
            }
            Backend::Sqlite => url.clone(),
        };
        Mcpd::signed_in(dir, data, url, admin_url, stops).await
    }

    /// mcpd on a database of the test's own (a `PrivatePostgres` it may stop and start).
    pub async fn start_on(database_url: String) -> Mcpd {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        let (url, stop) = testkit::start(&testkit::config(database_url, &data)).await;
        Mcpd::signed_in(dir, data, url.clone(), url, vec![stop]).await
    }

    async fn signed_in(
        dir: tempfile::TempDir,
        data: PathBuf,
        url: String,
        admin_url: String,
        stops: Vec<tokio::sync::oneshot::Sender<()>>,
    ) -> Mcpd {
        let anonymous = Client::new(client::Config::new(admin_url.clone(), None));
        let login = anonymous.login(testkit::ADMIN_EMAIL, testkit::ADMIN_PASSWORD).await.unwrap();
        let admin = Client::new(client::Config::new(admin_url, Some(login.token)));
        Mcpd { dir, data, url, admin, _stops: stops }
    }

    /// Applies manifests as the admin; each must succeed.
    pub async fn apply(&self, items: Vec<Value>) {
        let answer = self.admin.apply(items, false, false).await.unwrap();
        for item in answer.items {
            assert!(item.error.is_none(), "{} {}: {:?}", item.kind, item.name, item.error.map(|e| e.message));
        }
    }

    /// A new McpToken's raw value.
    pub async fn token(&self, name: &str, project: Option<&str>, bindings: Value) -> String {
        let project = project.map(|p| shared::name::ProjectName::parse(p).unwrap());
        let manifest = json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": name},
            "spec": {"bindings": bindings}});
        let created =
            self.admin.create(shared::Kind::McpToken.info(), project.as_ref(), &manifest, false).await.unwrap();
        shared::spec::McpTokenStatus::of(created.status.as_ref().unwrap()).token.unwrap()
    }

    /// A project token that may connect to it.
    pub async fn project_token(&self, project: &str, name: &str) -> String {
        self.token(name, Some(project), json!([{"role": "run", "action": "connect"}])).await
    }

    pub async fn revoke(&self, project: Option<&str>, name: &str) {
        let project = project.map(|p| shared::name::ProjectName::parse(p).unwrap());
        self.admin.delete(shared::Kind::McpToken.info(), project.as_ref(), name, false).await.unwrap();
    }

    pub fn gateway_token(&self) -> PathBuf {
        self.data.join("gateway.token")
    }

    /// Starts mcpgw following this mcpd with its first-start credential.
    pub async fn gateway(&self, args: &[&str]) -> Gateway {
        Gateway::start(&self.url, &self.gateway_token(), args).await
    }
}

/// A stdio server running the reference server, started with `marker` among its arguments
/// (it ignores them) so the test can find its process.
pub fn everything_server(name: &str, marker: &str, env: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": name},
        "spec": {"transport": "stdio", "command": "node", "args": [everything(), "stdio", marker], "env": env,
                 "sandbox": {"mounts": [npm_mount()]}}})
}

/// A stdio server on the Python SDK whose one tool, `probe`, takes its description from
/// `TOOL_DESCRIPTION`.
pub fn changing_server(name: &str, description: &str) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": name},
        "spec": {"transport": "stdio", "command": python(), "args": [fixture("changing_server.py")],
                 "env": [{"name": "TOOL_DESCRIPTION", "value": description}],
                 "sandbox": {"mounts": [fixtures_mount()]}}})
}

pub fn project(name: &str, servers: &[&str]) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Project", "metadata": {"name": name}, "spec": {"servers": servers}})
}

pub fn secret(name: &str, value: &str) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": name}, "spec": {"data": {"token": value}}})
}

/// The mcpgw binary, its log kept.
pub struct Gateway {
    child: Child,
    /// Its `--state-dir` (the homes of its sandboxed servers), unless it runs at a test home.
    _state: Option<tempfile::TempDir>,
    pub base: String,
    log: Arc<Mutex<String>>,
}

impl Gateway {
    pub async fn start(mcpd: &str, token_file: &std::path::Path, args: &[&str]) -> Gateway {
        let state = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcpgw"));
        command.env("MCPGW_STATE_DIR", state.path()).env("MCPGW_TOKEN_FILE", token_file);
        Gateway::launch(command, mcpd, args, Some(state)).await
    }

    /// mcpgw as the README starts it, with `home` as its `HOME`: its credential and state in
    /// their default places (`mcpd` started with [`Mcpd::start_at_home`]).
    pub async fn at_home(mcpd: &Mcpd, env: &[(&str, &str)], args: &[&str]) -> Gateway {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcpgw"));
        command.env("HOME", mcpd.dir.path()).envs(env.iter().copied());
        for name in ["MCPGW_STATE_DIR", "MCPGW_TOKEN_FILE", "XDG_STATE_HOME", "XDG_DATA_HOME", "MCPD_DATA_DIR"] {
            command.env_remove(name);
        }
        Gateway::launch(command, &mcpd.url, args, None).await
    }

    async fn launch(mut command: Command, mcpd: &str, args: &[&str], state: Option<tempfile::TempDir>) -> Gateway {
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--mcpd-url", mcpd])
            .args(args)
            .env_remove("MCPGW_TOKEN")
            .env("MCPGW_LOG", "info,mcpgw=debug")
            // What the gateway's own environment holds that no child may see.
            .env("MCPGW_CANARY", "gateway-only-canary")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("mcpgw starts");
        let log = Arc::new(Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let (found, address) = tokio::sync::oneshot::channel();
        let kept = log.clone();
        tokio::spawn(async move {
            let mut found = Some(found);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("listen=").nth(1) {
                    if let Some(found) = found.take() {
                        let _ = found.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                    }
                }
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let address = tokio::time::timeout(Duration::from_secs(10), address)
            .await
            .unwrap_or_else(|_| panic!("mcpgw did not start: {}", log.lock().unwrap()))
            .unwrap_or_else(|_| panic!("mcpgw exited: {}", log.lock().unwrap()));
        Gateway { child, _state: state, base: format!("http://{address}"), log }
    }

    pub fn endpoint(&self, project: &str) -> String {
        format!("{}/projects/{project}/mcp", self.base)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> i32 {
        self.child.id().unwrap() as i32
    }

    /// The value of one metric line (`name{labels} value`), 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.base)).await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && !l.starts_with('#'))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// SIGTERM, and the exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: signals the child this test started.
        unsafe { libc::kill(self.pid(), libc::SIGTERM) };
        tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await.expect("mcpgw exits").unwrap()
    }
}

/// The Python SDK's client, driven a command at a time (see `driver.py`).
pub struct Driver {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    pub connected: Value,
}

impl Driver {
    /// Connects: `mode` is `legacy` (the initialize handshake) or a protocol version.
    pub async fn connect(url: &str, token: &str, mode: &str) -> Driver {
        let mut driver = Driver::spawn(url, token, mode);
        let connected = driver.line().await;
        assert!(connected.get("connected").is_some(), "the client did not connect: {connected}");
        driver.connected = connected["connected"].clone();
        driver
    }

    /// Connects to a stdio server the client starts with `command` (split on spaces).
    pub async fn connect_stdio(command: &str, mode: &str) -> Driver {
        let mut args = vec!["stdio", "-", mode];
        args.extend(command.split(' '));
        let mut driver = Driver::spawn_with(&args);
        let connected = driver.line().await;
        assert!(connected.get("connected").is_some(), "the client did not connect: {connected}");
        driver.connected = connected["connected"].clone();
        driver
    }

    fn spawn(url: &str, token: &str, mode: &str) -> Driver {
        Driver::spawn_with(&[url, token, mode])
    }

    fn spawn_with(args: &[&str]) -> Driver {
        let mut child = Command::new(python())
            .arg(fixture("driver.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python starts");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Driver { child, stdin, lines, connected: Value::Null }
    }

    async fn line(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(60), self.lines.next_line())
            .await
            .expect("the client answers within 60 s")
            .unwrap()
            .expect("the client is running");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    pub async fn ask(&mut self, command: Value) -> Value {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.line().await
    }

    pub async fn tool_names(&mut self) -> Vec<String> {
        let answer = self.ask(json!({"op": "list_tools"})).await;
        let tools = answer["tools"].as_array().unwrap_or_else(|| panic!("no tools: {answer}"));
        tools.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    }

    pub async fn call(&mut self, name: &str, args: Value) -> Value {
        self.ask(json!({"op": "call", "name": name, "args": args})).await
    }

    /// The text of a tool result, or panics with the answer.
    pub async fn call_text(&mut self, name: &str, args: Value) -> String {
        let answer = self.call(name, args).await;
        answer["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{name}: {answer}")).to_owned()
    }

    pub async fn close(mut self) {
        drop(self.stdin);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// Server processes whose command line holds `marker` (not the sandbox's own bubblewrap
/// processes, whose command lines hold the server's).
pub fn processes_with(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline);
        let sandbox = cmdline.split('\0').next().is_some_and(|program| program.ends_with("bwrap"));
        if cmdline.contains(marker) && !sandbox && !is_zombie(pid) {
            found.push(pid);
        }
    }
    found
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// A marker for one test's processes, unique across tests running at once.
pub fn marker(test: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("--mcpgw-test={test}-{}-{n}", std::process::id())
}

/// Polls `check` every 20 ms until it holds or `limit` passes; the time it took.
pub async fn within<F, Fut>(limit: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// The reference server over HTTP on a free port: `streamableHttp`, or the older `sse`.
pub struct HttpUpstream {
    _child: Child,
    pub url: String,
}

impl HttpUpstream {
    pub async fn start() -> HttpUpstream {
        HttpUpstream::start_as("streamableHttp", "/mcp").await
    }

    pub async fn start_sse() -> HttpUpstream {
        HttpUpstream::start_as("sse", "/sse").await
    }

    async fn start_as(transport: &str, path: &str) -> HttpUpstream {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("node")
            .args([everything(), transport.to_owned()])
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let url = format!("http://127.0.0.1:{port}{path}");
        let up = within(Duration::from_secs(20), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
        })
        .await;
        assert!(up.is_some(), "the reference server did not listen on {port}");
        HttpUpstream { _child: child, url }
    }
}

/// A raw Streamable HTTP client: what the official SDKs send, one request at a time.
pub struct Raw {
    http: reqwest::Client,
    url: String,
    token: String,
    revision: &'static str,
}

impl Raw {
    pub fn new(url: &str, token: &str) -> Raw {
        Raw::at(url, token, "2025-06-18")
    }

    /// A client of protocol `revision`.
    pub fn at(url: &str, token: &str, revision: &'static str) -> Raw {
        Raw { http: reqwest::Client::new(), url: url.to_owned(), token: token.to_owned(), revision }
    }

    pub fn request(&self, method: reqwest::Method, session: Option<&str>) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, &self.url)
            .bearer_auth(&self.token)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", self.revision);
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        request
    }

    /// Opens a session: its id, or the refusal's status.
    pub async fn initialize(&self) -> Result<String, reqwest::Response> {
        let response = self
            .request(reqwest::Method::POST, None)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": self.revision, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}))
            .send()
            .await
            .unwrap();
        let Some(id) = response.headers().get("mcp-session-id") else { return Err(response) };
        let id = id.to_str().unwrap().to_owned();
        response.bytes().await.unwrap();
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.request(reqwest::Method::POST, Some(&id)).json(&initialized).send().await.unwrap();
        Ok(id)
    }

    /// Sends one message on a session; the answer's body.
    pub async fn post(&self, session: &str, message: Value) -> String {
        self.request(reqwest::Method::POST, Some(session)).json(&message).send().await.unwrap().text().await.unwrap()
    }

    pub async fn delete(&self, session: &str) -> u16 {
        self.request(reqwest::Method::DELETE, Some(session)).send().await.unwrap().status().as_u16()
    }
}

/// A proxy between a gateway and mcpd that can cut the gateway's own link: every request made
/// with the gateway's credential (resolutions, watches, reports) then gets 503, and its open
/// watches end, while the access checks made with clients' credentials still pass, as when
/// mcpd can no longer serve the gateway's configuration.
pub struct Link {
    pub url: String,
    cut: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
struct LinkState {
    upstream: String,
    gateway: String,
    http: reqwest::Client,
    cut: tokio::sync::watch::Receiver<bool>,
}

impl Link {
    pub async fn start(mcpd: &Mcpd) -> Link {
        let gateway = std::fs::read_to_string(mcpd.gateway_token()).unwrap().trim().to_owned();
        let (cut, cut_seen) = tokio::sync::watch::channel(false);
        let state = LinkState { upstream: mcpd.url.clone(), gateway, http: reqwest::Client::new(), cut: cut_seen };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Link { url, cut }
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// mcpgw following mcpd through this link.
    pub async fn gateway(&self, mcpd: &Mcpd) -> Gateway {
        Gateway::start(&self.url, &mcpd.gateway_token(), &[]).await
    }
}

async fn forward(
    axum::extract::State(link): axum::extract::State<LinkState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use futures::StreamExt;
    let by_gateway = request
        .headers()
        .get("authorization")
        .is_some_and(|v| v.to_str().is_ok_and(|v| v.strip_prefix("Bearer ") == Some(link.gateway.as_str())));
    if by_gateway && *link.cut.borrow() {
        return axum::response::Response::builder().status(503).body(axum::body::Body::empty()).unwrap();
    }
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut outgoing = link.http.request(request.method().clone(), format!("{}{path}", link.upstream));
    for (name, value) in request.headers() {
        if name != "host" {
            outgoing = outgoing.header(name, value);
        }
    }
    let body = axum::body::to_bytes(request.into_body(), usize::MAX).await.unwrap();
    let Ok(answer) = outgoing.body(body).send().await else {
        return axum::response::Response::builder().status(502).body(axum::body::Body::empty()).unwrap();
    };
    let mut response = axum::response::Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    if !by_gateway {
        return response.body(axum::body::Body::from_stream(answer.bytes_stream())).unwrap();
    }
    // The gateway's watches end when its link is cut.
    let mut cut = link.cut.clone();
    let ends = async move {
        let _ = cut.wait_for(|cut| *cut).await;
    };
    let stream = answer.bytes_stream().take_until(Box::pin(ends));
    response.body(axum::body::Body::from_stream(stream)).unwrap()
}
