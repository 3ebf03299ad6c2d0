//! Upstream sessions: a child process speaking stdio, or a Streamable HTTP server, reached as
//! an MCP client whose handler relays what the server sends back to the client session that
//! caused it.

// Sampling, roots and logging are deprecated in the newest protocol revision, and relayed as
// long as servers and clients of the older ones use them.
#![allow(deprecated)]

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rmcp::model::{
    ClientCapabilities, ClientConfig, CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequest, ElicitRequestParams, ElicitResult, Implementation, InputRequest, ListRootsRequest, ListRootsResult,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken, ResourceUpdatedNotification,
    ResourceUpdatedNotificationParam, ServerNotification,
};
use rmcp::service::{NotificationContext, Peer, RequestContext, RoleClient, RoleServer, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ErrorData as McpError, ServiceExt};
use shared::api::ResolvedServer;
use shared::name::ProjectName;
use shared::spec::Transport;
use tokio::io::AsyncBufReadExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics::Metrics;
use crate::session::{Lists, SessionState};

/// An open session with one upstream server.
pub struct Upstream {
    /// The settings it was started with: a different resolution means a restart.
    pub spec: ResolvedServer,
    pub relay: Arc<RelayState>,
    service: RunningService<RoleClient, Relay>,
    _process: Option<ProcessGuard>,
    metrics: Metrics,
}

impl Upstream {
    pub fn peer(&self) -> &Peer<RoleClient> {
        self.service.peer()
    }

    /// The process exited or the connection is gone: a hard signal to start again.
    pub fn is_closed(&self) -> bool {
        self.service.is_closed() || self.service.peer().is_transport_closed()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.metrics.upstream_sessions.dec();
    }
}

/// Child processes: bounded by `--max-processes`, and each ended with its whole process group.
pub struct Processes {
    permits: Arc<Semaphore>,
    max: usize,
    running: Arc<Mutex<HashSet<i32>>>,
    metrics: Metrics,
}

/// A running child: dropping it kills its process group and frees its place.
pub struct ProcessGuard {
    pid: i32,
    running: Arc<Mutex<HashSet<i32>>>,
    metrics: Metrics,
    _permit: OwnedSemaphorePermit,
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        signal_group(self.pid, libc::SIGKILL);
        self.running.lock().unwrap().remove(&self.pid);
        self.metrics.processes.dec();
    }
}

fn signal_group(pid: i32, signal: i32) {
    // SAFETY: killpg only sends a signal; the group is one this gateway started (its leader
    // was spawned with process_group(0)), and a group that is gone gives ESRCH.
    unsafe {
        libc::killpg(pid, signal);
    }
}

impl Processes {
    pub fn new(max: usize, metrics: Metrics) -> Processes {
        Processes { permits: Arc::new(Semaphore::new(max)), max, running: Arc::default(), metrics }
    }

    fn admit(&self) -> Result<OwnedSemaphorePermit, String> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            format!(
                "the gateway already runs its maximum of {} server processes (--max-processes); try again when other sessions end",
                self.max
            )
        })
    }

    fn track(&self, pid: i32, permit: OwnedSemaphorePermit) -> ProcessGuard {
        self.running.lock().unwrap().insert(pid);
        self.metrics.processes.inc();
        ProcessGuard { pid, running: self.running.clone(), metrics: self.metrics.clone(), _permit: permit }
    }

    /// Ends every child: SIGTERM to each process group, then SIGKILL to what is left after
    /// `grace`.
    pub async fn terminate_all(&self, grace: std::time::Duration) {
        let pids: Vec<i32> = self.running.lock().unwrap().iter().copied().collect();
        for &pid in &pids {
            signal_group(pid, libc::SIGTERM);
        }
        let deadline = tokio::time::Instant::now() + grace;
        // SAFETY: signal 0 only checks that the group still exists.
        let alive = |pid: i32| unsafe { libc::killpg(pid, 0) == 0 };
        while pids.iter().any(|&pid| alive(pid)) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        for pid in pids {
            signal_group(pid, libc::SIGKILL);
        }
    }
}

/// What an upstream's handler needs: where to send what the server sends.
pub struct RelayState {
    pub project: ProjectName,
    pub server: String,
    capabilities: ClientCapabilities,
    /// The client sessions using this upstream: one, or every one for a shared server.
    sessions: Mutex<Vec<Weak<SessionState>>>,
    /// Calls in flight, by the progress token the upstream knows them by.
    inflight: Mutex<HashMap<ProgressToken, InFlight>>,
    next_seq: std::sync::atomic::AtomicU64,
    /// How long a client's answer to the server is awaited (`--call-timeout`).
    timeout: std::time::Duration,
}

/// A request from a server that a stateless (2026-07-28) client answers on its next request
/// (`input_required`), with where the answer goes.
pub type InputAsk = (InputRequest, tokio::sync::oneshot::Sender<serde_json::Value>);

/// A call a client made through this upstream, still waiting for its answer.
struct InFlight {
    /// The client request's own peer: where its progress, and the server's requests while it
    /// runs, go.
    client: Peer<RoleServer>,
    /// For a stateless client, which cannot be sent requests: where the server's requests go
    /// instead, to be returned as `input_required`.
    inputs: Option<tokio::sync::mpsc::Sender<InputAsk>>,
    client_token: Option<ProgressToken>,
    /// Order of the calls: the server's requests go to the latest.
    seq: u64,
    /// The client session the call belongs to (its `SessionState`'s address): a shared
    /// server's request goes only where it cannot be another client's.
    owner: usize,
}

impl RelayState {
    pub fn new(
        project: ProjectName,
        server: String,
        capabilities: ClientCapabilities,
        timeout: std::time::Duration,
    ) -> Arc<RelayState> {
        Arc::new(RelayState {
            project,
            server,
            capabilities,
            sessions: Mutex::default(),
            inflight: Mutex::default(),
            next_seq: Default::default(),
            timeout,
        })
    }

    pub fn attach(&self, session: &Arc<SessionState>) {
        let mut sessions = self.sessions.lock().unwrap();
        sessions.retain(|s| s.strong_count() > 0);
        if !sessions.iter().any(|s| std::ptr::eq(s.as_ptr(), Arc::as_ptr(session))) {
            sessions.push(Arc::downgrade(session));
        }
    }

    /// Sessions still open.
    fn sessions(&self) -> Vec<Arc<SessionState>> {
        self.sessions.lock().unwrap().iter().filter_map(Weak::upgrade).collect()
    }

    pub fn track(
        &self,
        upstream_token: ProgressToken,
        owner: &Arc<SessionState>,
        client: Peer<RoleServer>,
        client_token: Option<ProgressToken>,
        inputs: Option<tokio::sync::mpsc::Sender<InputAsk>>,
    ) {
        let seq = self.next_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let owner = Arc::as_ptr(owner) as usize;
        let call = InFlight { client, client_token, seq, inputs, owner };
        self.inflight.lock().unwrap().insert(upstream_token, call);
    }

    pub fn untrack(&self, upstream_token: &ProgressToken) {
        self.inflight.lock().unwrap().remove(upstream_token);
    }

    /// Asks the client a server's request belongs to: directly, or through `input_required`
    /// for a stateless client. Its answer is awaited at most `--call-timeout`.
    async fn ask<T: serde::de::DeserializeOwned>(
        &self,
        direct: impl AsyncFnOnce(Peer<RoleServer>) -> Result<T, rmcp::service::ServiceError>,
        input: InputRequest,
    ) -> Result<T, McpError> {
        let (client, inputs) = self.asked()?;
        let late =
            || McpError::internal_error(format!("the client did not answer within {}s", self.timeout.as_secs()), None);
        let Some(inputs) = inputs else {
            return tokio::time::timeout(self.timeout, direct(client)).await.map_err(|_| late())?.map_err(relayed);
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || McpError::internal_error("the client's call ended before it answered", None);
        inputs.send((input, reply)).await.map_err(|_| gone())?;
        let value = tokio::time::timeout(self.timeout, answer).await.map_err(|_| late())?.map_err(|_| gone())?;
        serde_json::from_value(value).map_err(|e| McpError::invalid_params(format!("the client's answer: {e}"), None))
    }

    /// Where a server's request goes: the client whose call is in flight (its latest call),
    /// else the one client session using this upstream. When calls of several clients are in
    /// flight on a shared server, nothing says whose it is: it is refused, never guessed.
    fn asked(&self) -> Result<(Peer<RoleServer>, Option<tokio::sync::mpsc::Sender<InputAsk>>), McpError> {
        let inflight = self.inflight.lock().unwrap();
        let mut owners = inflight.values().map(|c| c.owner);
        if let Some(first) = owners.next() {
            if owners.any(|o| o != first) {
                return Err(McpError::internal_error(
                    format!("server \"{}\" asked a question while calls of several clients were in flight: refused rather than sent to the wrong client", self.server),
                    None,
                ));
            }
            let call = inflight.values().max_by_key(|c| c.seq).expect("one call at least");
            return Ok((call.client.clone(), call.inputs.clone()));
        }
        drop(inflight);
        match self.sessions().as_slice() {
            [only] => only.peer().map(|peer| (peer, None)),
            _ => None,
        }
        .ok_or_else(|| {
            McpError::internal_error(
                format!("no client session of the gateway can answer server \"{}\"", self.server),
                None,
            )
        })
    }

    /// Where a server's notification goes: the clients whose calls are in flight, else the
    /// one client session using this upstream (never every client of a shared server).
    fn listeners(&self) -> Vec<Peer<RoleServer>> {
        let inflight: Vec<Peer<RoleServer>> =
            self.inflight.lock().unwrap().values().map(|c| c.client.clone()).collect();
        if !inflight.is_empty() {
            return inflight;
        }
        match self.sessions().as_slice() {
            [only] => only.peer().into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Clone)]
pub struct Relay(pub Arc<RelayState>);

fn relayed(error: rmcp::service::ServiceError) -> McpError {
    match error {
        rmcp::service::ServiceError::McpError(e) => e,
        other => McpError::internal_error(format!("the client did not answer: {other}"), None),
    }
}

impl ClientHandler for Relay {
    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, McpError> {
        let input = InputRequest::CreateMessage(CreateMessageRequest::new(params.clone()));
        self.0.ask(async move |peer| peer.create_message(params).await, input).await
    }

    async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        let input = InputRequest::Elicitation(ElicitRequest::new(params.clone()));
        self.0.ask(async move |peer| peer.create_elicitation(params).await, input).await
    }

    async fn list_roots(&self, _: RequestContext<RoleClient>) -> Result<ListRootsResult, McpError> {
        let input = InputRequest::ListRoots(ListRootsRequest::default());
        self.0.ask(async move |peer| peer.list_roots().await, input).await
    }

    async fn on_progress(&self, params: ProgressNotificationParam, _: NotificationContext<RoleClient>) {
        let target = {
            let inflight = self.0.inflight.lock().unwrap();
            inflight.get(&params.progress_token).and_then(|c| Some((c.client.clone(), c.client_token.clone()?)))
        };
        // Only to a client that asked for progress, on its own token.
        if let Some((peer, token)) = target {
            let mut params = params;
            params.progress_token = token;
            let _ = peer.notify_progress(params).await;
        }
    }

    async fn on_logging_message(&self, params: LoggingMessageNotificationParam, _: NotificationContext<RoleClient>) {
        let mut params = params;
        params.logger = Some(match params.logger.take() {
            Some(logger) => format!("{}/{logger}", self.0.server),
            None => self.0.server.clone(),
        });
        for peer in self.0.listeners() {
            let _ = peer.notify_logging_message(params.clone()).await;
        }
    }

    async fn on_resource_updated(&self, params: ResourceUpdatedNotificationParam, _: NotificationContext<RoleClient>) {
        for peer in self.0.listeners() {
            let _ = peer.notify_resource_updated(params.clone()).await;
        }
        // A stateless client listening for this resource (its streams take only the URIs
        // they asked for).
        if let [session] = self.0.sessions().as_slice() {
            let update = ServerNotification::ResourceUpdatedNotification(ResourceUpdatedNotification::new(params));
            session.announce_to_listeners(update).await;
        }
    }

    async fn on_tool_list_changed(&self, _: NotificationContext<RoleClient>) {
        self.lists_changed(Lists::TOOLS);
    }

    async fn on_prompt_list_changed(&self, _: NotificationContext<RoleClient>) {
        self.lists_changed(Lists::PROMPTS);
    }

    async fn on_resource_list_changed(&self, _: NotificationContext<RoleClient>) {
        self.lists_changed(Lists::RESOURCES);
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(self.0.capabilities.clone(), Implementation::new("mcpgw", env!("CARGO_PKG_VERSION")))
    }
}

impl Relay {
    fn lists_changed(&self, lists: Lists) {
        for session in self.0.sessions() {
            session.stale(lists);
        }
    }
}

/// The HTTP client of every Streamable HTTP upstream session. rmcp's default opens a
/// connection per request (against stalls on bodies left unread); rmcp reads each answer's
/// stream to its end, so connections are kept and reused here, which saves a connection setup
/// on every call. One client serves every session: root certificates load once, and sessions
/// with the same server share its connections (each request carries its own session and
/// headers). Redirects are not followed: a message is never replayed to another location.
fn pooled_client() -> Result<reqwest13::Client, String> {
    static CLIENT: OnceLock<reqwest13::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    let client = reqwest13::Client::builder()
        .tcp_nodelay(true)
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest13::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// Whether two resolutions of a server start the same session: what takes effect, not the
/// versions (a label edited, or another key of a Secret changed, restarts nothing).
pub fn same_settings(a: &ResolvedServer, b: &ResolvedServer) -> bool {
    (a.transport, a.sharing, &a.command, &a.args, &a.image, &a.url, &a.headers, &a.env)
        == (b.transport, b.sharing, &b.command, &b.args, &b.image, &b.url, &b.headers, &b.env)
}

/// The server's request headers, `${NAME}` references already resolved by mcpd.
fn headers(spec: &ResolvedServer) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    for (name, value) in &spec.headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("header \"{name}\" is not a valid name"))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("header \"{name}\" has a value HTTP cannot carry"))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The MCP handshake with an upstream on `transport`, within `timeout`; `what` names it in
/// errors.
async fn initialize<T, E, A>(
    relay: &Arc<RelayState>,
    transport: T,
    what: &str,
    timeout: std::time::Duration,
) -> Result<RunningService<RoleClient, Relay>, String>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    tokio::time::timeout(timeout, Relay(relay.clone()).serve(transport))
        .await
        .map_err(|_| format!("{what} did not initialize within {}s", timeout.as_secs()))?
        .map_err(|e| format!("{what} did not initialize: {e}"))
}

/// Starts a session with `spec`: spawns its process, or connects to its URL, and initializes.
pub async fn start(
    spec: &ResolvedServer,
    relay: Arc<RelayState>,
    processes: &Processes,
    metrics: &Metrics,
    timeout: std::time::Duration,
) -> Result<Upstream, String> {
    let (service, process) = match spec.transport {
        Transport::Stdio => {
            if let Some(image) = &spec.image {
                return Err(format!("it runs in container image \"{image}\", and this gateway runs no containers"));
            }
            let permit = processes.admit()?;
            let command = spec.command.as_deref().ok_or("it has no command")?;
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(&spec.args).env_clear();
            // Exactly the declared environment, plus PATH and HOME: nothing else of the
            // gateway's own (its credential least of all).
            for name in ["PATH", "HOME"] {
                if let Some(value) = std::env::var_os(name) {
                    cmd.env(name, value);
                }
            }
            cmd.envs(&spec.env).process_group(0).kill_on_drop(true);
            let (transport, stderr) = TokioChildProcess::builder(cmd)
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start \"{command}\": {e}"))?;
            let guard = transport.id().map(|pid| processes.track(pid as i32, permit));
            if let Some(stderr) = stderr {
                let (project, server) = (relay.project.to_string(), spec.name.clone());
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(stderr).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        tracing::info!(target: "mcpgw::upstream", %project, %server, "{line}");
                    }
                });
            }
            (initialize(&relay, transport, "it", timeout).await?, guard)
        }
        Transport::Http => {
            let url = spec.url.as_deref().ok_or("it has no url")?;
            let config = StreamableHttpClientTransportConfig::with_uri(url).reinit_on_expired_session(true);
            // Every header as written, Authorization included (whatever its scheme).
            let custom: HashMap<_, _> = headers(spec)?.into_iter().filter_map(|(k, v)| Some((k?, v))).collect();
            let transport = StreamableHttpClientTransport::with_client(pooled_client()?, config.custom_headers(custom));
            (initialize(&relay, transport, url, timeout).await?, None)
        }
        Transport::Sse => {
            let url = spec.url.as_deref().ok_or("it has no url")?;
            let (sink, stream) = crate::sse::connect(url, headers(spec)?, timeout).await?;
            (initialize(&relay, (sink, stream), url, timeout).await?, None)
        }
    };
    metrics.upstream_sessions.inc();
    Ok(Upstream { spec: spec.clone(), relay, service, _process: process, metrics: metrics.clone() })
}
