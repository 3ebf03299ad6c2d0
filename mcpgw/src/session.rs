//! One client session: the MCP server a client sees at `/projects/{project}/mcp`. It answers
//! with the tools, prompts and resources of every server of the project, starts an upstream
//! session per server when first needed, and routes each call to the server it names.

// Logging and resources/subscribe are deprecated in the newest protocol revision, and relayed
// as long as clients of the older ones use them.
#![allow(deprecated)]

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CancelledNotificationParam, ClientCapabilities,
    ClientRequest, CompleteRequest, CompleteRequestParams, CompleteResult, GetPromptRequest, GetPromptRequestParams,
    GetPromptResponse, Implementation, InitializeRequestParams, InitializeResult, InputRequests, InputRequiredResult,
    InputResponses, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, Prompt, ReadResourceRequest, ReadResourceRequestParams, ReadResourceResponse, Reference,
    RequestMetaObject, Resource, ResourceTemplate, ResultType, ServerCapabilities, ServerConfig, ServerNotification,
    ServerResult, SetLevelRequest, SetLevelRequestParams, SubscribeRequest, SubscribeRequestParams, SubscriptionFilter,
    Tool, UnsubscribeRequest, UnsubscribeRequestParams,
};
use rmcp::service::{
    Peer, PeerRequestOptions, RequestContext, RoleServer, ServiceError, SubscriptionContext, SubscriptionSendError,
    SubscriptionSink,
};
use rmcp::{ErrorData as McpError, ServerHandler};
use shared::api::{CallEvent, CallKind, CallOutcome, ResolvedServer};
use shared::name::ProjectName;
use shared::spec::Sharing;

use crate::access::Caller;
use crate::gateway::Gateway;
use crate::metrics::CallLabels;
use crate::names;
use crate::upstream::{self, InputAsk, RelayState, Upstream};

/// Which lists a change may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lists(u8);

impl Lists {
    pub const TOOLS: Lists = Lists(1);
    pub const PROMPTS: Lists = Lists(2);
    pub const RESOURCES: Lists = Lists(4);
    pub const ALL: Lists = Lists(7);

    fn has(self, other: Lists) -> bool {
        self.0 & other.0 != 0
    }
}

/// The handler rmcp makes per client session (or per request, for stateless clients); the
/// state is found at its first request, when the caller is known.
pub struct Session {
    gateway: Arc<Gateway>,
    project: ProjectName,
    state: OnceLock<Arc<SessionState>>,
}

impl Session {
    pub fn new(gateway: Arc<Gateway>, project: ProjectName) -> Session {
        Session { gateway, project, state: OnceLock::new() }
    }

    fn state(&self, context: &RequestContext<RoleServer>, initialize: bool) -> Result<Arc<SessionState>, McpError> {
        let parts = context.extensions.get::<axum::http::request::Parts>();
        let caller = parts
            .and_then(|p| p.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| McpError::internal_error("a request reached the gateway without its caller", None))?;
        let state = match self.state.get() {
            Some(state) => state.clone(),
            None => {
                // No session id and no initialize: a stateless (2026-07-28) client, whose
                // upstream sessions belong to its credential.
                let stateless = !initialize && parts.is_some_and(|p| !p.headers.contains_key("mcp-session-id"));
                let state = if stateless {
                    let state = self.gateway.stateless_session(&self.project, caller.clone())?;
                    // What it may be asked: what it declares with each request.
                    if let Some(capabilities) = context.client_capabilities() {
                        *state.capabilities.lock().unwrap() = capabilities;
                    }
                    state
                } else {
                    SessionState::open(self.gateway.clone(), self.project.clone(), caller.clone())?
                };
                self.state.get_or_init(|| state).clone()
            }
        };
        if state.caller.key != caller.key {
            return Err(McpError::invalid_request("this session belongs to another credential", None));
        }
        state.seen(context.peer.clone());
        Ok(state)
    }
}

/// What a client session holds: its upstream sessions and the names it was shown.
pub struct SessionState {
    gateway: Arc<Gateway>,
    pub project: ProjectName,
    pub caller: Caller,
    peer: Mutex<Option<Peer<RoleServer>>>,
    capabilities: Mutex<ClientCapabilities>,
    config: tokio::sync::watch::Receiver<Arc<shared::api::Resolution>>,
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    catalog: Mutex<Catalog>,
    pub last_used: Mutex<Instant>,
    follower: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Lists to read again (`Lists` bits), and the follower's wake-up.
    stale: AtomicU8,
    wake: Arc<tokio::sync::Notify>,
    /// Requests suspended until a stateless client answers the server, by `requestState`.
    suspended: Mutex<HashMap<String, Pending>>,
    /// A stateless client's open `subscriptions/listen` streams.
    listeners: Mutex<Vec<SubscriptionSink>>,
}

/// A request sent to a server whose answer is awaited, across client requests when a
/// stateless client must answer the server's questions first.
struct Pending {
    answer: std::pin::Pin<Box<dyn std::future::Future<Output = Result<ServerResult, ServiceError>> + Send>>,
    upstream: Arc<Upstream>,
    /// The progress token and request id the server knows it by.
    token: rmcp::model::ProgressToken,
    id: rmcp::model::RequestId,
    /// For a stateless client: where the server's requests arrive, and the replies owed.
    inputs: Option<tokio::sync::mpsc::Sender<InputAsk>>,
    asked: Option<tokio::sync::mpsc::Receiver<InputAsk>>,
    waiting: HashMap<String, tokio::sync::oneshot::Sender<serde_json::Value>>,
    since: Instant,
}

/// How waiting for a relayed request ended. Short-lived and moved once: its size is fine.
#[allow(clippy::large_enum_variant)]
enum Waited {
    Answer(Result<ServerResult, ServiceError>),
    /// The client cancelled it.
    Cancelled,
    /// The server asked the (stateless) client something: the wait is suspended.
    Input(InputRequiredResult),
}

/// A request to relay: new, or one a stateless client resumes with its answers. Short-lived
/// and moved once: its size is fine.
#[allow(clippy::large_enum_variant)]
enum Relayed {
    New(ClientRequest),
    Resumed(Pending),
}

/// A hard signal that the upstream session is gone: its process exited (a write to it fails,
/// or its output ends) or its connection closed.
fn lost(error: &ServiceError) -> bool {
    matches!(error, ServiceError::TransportClosed | ServiceError::TransportSend(_))
}

/// Whether a request came from a stateless (2026-07-28) client, which cannot be sent requests.
fn is_stateless(context: &RequestContext<RoleServer>) -> bool {
    context.protocol_version().is_some_and(|v| v.as_str() >= "2026-07-28")
}

#[derive(Default)]
struct Slot {
    upstream: Option<Arc<Upstream>>,
    /// The last failure to start: not tried again before `until`.
    failure: Option<(Instant, Duration, String)>,
}

/// What the client was last shown, and where each name leads.
#[derive(Default)]
struct Catalog {
    tools: HashMap<String, (String, String)>,
    prompts: HashMap<String, (String, String)>,
    resources: HashMap<String, String>,
    /// Resource templates' fixed prefixes, and the server offering each.
    templates: Vec<(String, String)>,
    /// A hash of each list as last shown; `None` until the client lists it.
    shown: [Option<u64>; 3],
}

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl SessionState {
    pub fn open(gateway: Arc<Gateway>, project: ProjectName, caller: Caller) -> Result<Arc<SessionState>, McpError> {
        let config = gateway.config(&project).ok_or_else(|| McpError::invalid_request("no such project", None))?;
        let state = Arc::new(SessionState {
            gateway: gateway.clone(),
            project,
            caller,
            peer: Mutex::default(),
            capabilities: Mutex::default(),
            config,
            slots: Mutex::default(),
            catalog: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
            follower: Mutex::default(),
            stale: AtomicU8::new(0),
            wake: Arc::default(),
            suspended: Mutex::default(),
            listeners: Mutex::default(),
        });
        gateway.metrics.sessions.inc();
        let follower = tokio::spawn(follow(Arc::downgrade(&state), state.config.clone(), state.wake.clone()));
        *state.follower.lock().unwrap() = Some(follower);
        Ok(state)
    }

    fn seen(&self, peer: Peer<RoleServer>) {
        *self.last_used.lock().unwrap() = Instant::now();
        *self.peer.lock().unwrap() = Some(peer);
    }

    pub fn peer(&self) -> Option<Peer<RoleServer>> {
        self.peer.lock().unwrap().clone()
    }

    fn servers(&self) -> Vec<ResolvedServer> {
        self.config.borrow().servers.clone()
    }

    fn slot(&self, server: &str) -> Arc<tokio::sync::Mutex<Slot>> {
        self.slots.lock().unwrap().entry(server.to_owned()).or_default().clone()
    }

    /// The upstream session for `server`, started when there is none or its process is gone.
    async fn upstream(self: &Arc<Self>, server: &str) -> Result<Arc<Upstream>, McpError> {
        let spec = self.config.borrow().servers.iter().find(|s| s.name == server).cloned().ok_or_else(|| {
            McpError::invalid_params(format!("project \"{}\" has no server \"{server}\"", self.project), None)
        })?;
        let slot = self.slot(server);
        let mut slot = slot.lock().await;
        if let Some(upstream) = &slot.upstream {
            if upstream::same_settings(&upstream.spec, &spec) && !upstream.is_closed() {
                return Ok(upstream.clone());
            }
            slot.upstream = None;
        }
        if let Some((until, _, message)) = &slot.failure {
            if Instant::now() < *until {
                return Err(unavailable(server, message));
            }
        }
        let started = match spec.sharing {
            Sharing::Shared => self.gateway.shared_upstream(&self.project, &spec).await,
            Sharing::PerSession => {
                let timeout = self.gateway.settings.call_timeout;
                let capabilities = self.capabilities.lock().unwrap().clone();
                let relay = RelayState::new(self.project.clone(), spec.name.clone(), capabilities, timeout);
                let gw = &self.gateway;
                upstream::start(&spec, relay, &gw.processes, &gw.metrics, timeout).await.map(Arc::new)
            }
        };
        match started {
            Ok(upstream) => {
                upstream.relay.attach(self);
                slot.failure = None;
                slot.upstream = Some(upstream.clone());
                Ok(upstream)
            }
            Err(message) => {
                tracing::warn!(project = %self.project, server, "upstream unavailable: {message}");
                let backoff = slot.failure.as_ref().map_or(FIRST_BACKOFF, |(_, b, _)| (*b * 2).min(MAX_BACKOFF));
                slot.failure = Some((Instant::now() + backoff, backoff, message.clone()));
                Err(unavailable(server, &message))
            }
        }
    }

    /// Drops an upstream session found gone, so that the next use starts another (rmcp may
    /// not have seen yet that its process exited).
    async fn forget(&self, server: &str, gone: &Arc<Upstream>) {
        let slot = self.slot(server);
        let mut slot = slot.lock().await;
        if slot.upstream.as_ref().is_some_and(|u| Arc::ptr_eq(u, gone)) {
            slot.upstream = None;
        }
    }

    /// Sends `request` to `server` and waits for its answer, relaying progress and
    /// cancellation. A session found gone (its process exited, its connection closed) is
    /// started again and the request sent again, once.
    async fn relay(
        self: &Arc<Self>,
        server: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, (CallOutcome, McpError)> {
        let timeout = self.gateway.settings.call_timeout;
        let stateless = is_stateless(context);
        let mut retried = false;
        loop {
            let upstream = self.upstream(server).await.map_err(|e| (CallOutcome::Error, e))?;
            let options = PeerRequestOptions::with_timeout(timeout);
            let handle = match upstream.peer().send_request_with_option(request.clone(), options).await {
                Ok(handle) => handle,
                Err(e) if lost(&e) && !retried => {
                    retried = true;
                    self.forget(server, &upstream).await;
                    continue;
                }
                Err(e) => return Err((CallOutcome::Error, unavailable(server, &e.to_string()))),
            };
            let (inputs, asked) = match stateless {
                true => {
                    let (sender, receiver) = tokio::sync::mpsc::channel(8);
                    (Some(sender), Some(receiver))
                }
                false => (None, None),
            };
            let used = upstream.clone();
            let pending = Pending {
                token: handle.progress_token.clone(),
                id: handle.id.clone(),
                answer: Box::pin(handle.await_response()),
                upstream,
                inputs,
                asked,
                waiting: HashMap::new(),
                since: Instant::now(),
            };
            match self.wait(pending, context).await {
                Waited::Answer(Err(e)) if lost(&e) && !retried => {
                    // The process exited or the connection is gone: a hard signal. Start the
                    // session again, once.
                    retried = true;
                    self.forget(server, &used).await;
                    continue;
                }
                waited => return self.answered(server, waited),
            }
        }
    }

    /// Waits for a relayed request's answer. For a stateless client, a request the server
    /// sends meanwhile suspends the wait: the client gets `input_required`, and its next
    /// request, carrying the answers and the `requestState`, resumes it.
    async fn wait(self: &Arc<Self>, mut pending: Pending, context: &RequestContext<RoleServer>) -> Waited {
        let relay = pending.upstream.relay.clone();
        relay.track(
            pending.token.clone(),
            self,
            context.peer.clone(),
            context.meta.get_progress_token(),
            pending.inputs.clone(),
        );
        let asked = async {
            match pending.asked.as_mut() {
                Some(asked) => asked.recv().await,
                None => std::future::pending().await,
            }
        };
        let waited = tokio::select! {
            answer = &mut pending.answer => Waited::Answer(answer),
            () = context.ct.cancelled() => Waited::Cancelled,
            Some(first) = asked => {
                let mut requests = InputRequests::new();
                let mut ask = Some(first);
                while let Some((request, reply)) = ask.take().or_else(|| pending.asked.as_mut()?.try_recv().ok()) {
                    let key = format!("mcpgw-{}", self.gateway.next_id());
                    requests.insert(key.clone(), request);
                    pending.waiting.insert(key, reply);
                }
                let state = format!("mcpgw-{}", self.gateway.next_id());
                self.prune_suspended();
                self.suspended.lock().unwrap().insert(state.clone(), pending);
                return Waited::Input(InputRequiredResult::new(Some(requests), Some(state)));
            }
        };
        if context.meta.get_progress_token().is_some() {
            // rmcp hands notifications to tasks of their own, so the server's last progress
            // may still be on its way when its answer arrives: let it go first.
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
        }
        relay.untrack(&pending.token);
        if matches!(waited, Waited::Cancelled) {
            let cancel = CancelledNotificationParam::new(Some(pending.id), Some("cancelled by the client".into()));
            let _ = pending.upstream.peer().notify_cancelled(cancel).await;
        }
        waited
    }

    /// Gives up calls whose stateless client never came back with its answers, once past
    /// `--call-timeout`.
    pub fn prune_suspended(&self) {
        let timeout = self.gateway.settings.call_timeout;
        self.suspended.lock().unwrap().retain(|_, pending| {
            let keep = pending.since.elapsed() < timeout;
            if !keep {
                pending.upstream.relay.untrack(&pending.token);
            }
            keep
        });
    }

    /// A suspended request this `requestState` names, given the client's answers.
    fn resume(&self, state: &Option<String>, answers: &mut Option<InputResponses>) -> Option<Pending> {
        let mut pending = self.suspended.lock().unwrap().remove(state.as_ref()?)?;
        for (key, value) in answers.take().unwrap_or_default() {
            if let Some(reply) = pending.waiting.remove(&key) {
                let _ = reply.send(value);
            }
        }
        Some(pending)
    }

    /// What the client gets for a relayed request's end.
    fn answered(&self, server: &str, waited: Waited) -> Result<ServerResult, (CallOutcome, McpError)> {
        let timeout = self.gateway.settings.call_timeout;
        match waited {
            Waited::Answer(Ok(result)) => Ok(result),
            Waited::Input(result) => Ok(ServerResult::InputRequiredResult(result)),
            Waited::Answer(Err(ServiceError::McpError(e))) => Err((CallOutcome::Error, e)),
            Waited::Answer(Err(ServiceError::Timeout { .. })) => Err((
                CallOutcome::Timeout,
                McpError::internal_error(
                    format!("server \"{server}\" did not answer within {}s (--call-timeout)", timeout.as_secs()),
                    None,
                ),
            )),
            Waited::Answer(Err(e)) => Err((CallOutcome::Error, unavailable(server, &e.to_string()))),
            Waited::Cancelled => Err((CallOutcome::Error, McpError::internal_error("cancelled by the client", None))),
        }
    }

    /// Relays a call and records it: metrics and the audit trail (never arguments or results).
    async fn call(
        self: &Arc<Self>,
        kind: CallKind,
        server: &str,
        name: &str,
        request: Relayed,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, McpError> {
        let time = crate::gateway::now();
        let started = Instant::now();
        let answer = match request {
            Relayed::New(request) => self.relay(server, request, context).await,
            Relayed::Resumed(pending) => {
                let since = pending.since;
                let waited = self.wait(pending, context).await;
                let answer = self.answered(server, waited);
                // The call's duration runs from its first request.
                return self.record(kind, server, name, &time, since.elapsed(), answer);
            }
        };
        self.record(kind, server, name, &time, started.elapsed(), answer)
    }

    /// Counts a relayed call and records it in the audit trail once it ends (never while it
    /// waits for the client's input).
    fn record(
        &self,
        kind: CallKind,
        server: &str,
        name: &str,
        time: &str,
        elapsed: Duration,
        answer: Result<ServerResult, (CallOutcome, McpError)>,
    ) -> Result<ServerResult, McpError> {
        if matches!(answer, Ok(ServerResult::InputRequiredResult(_))) {
            return answer.map_err(|(_, e)| e);
        }
        let outcome = match &answer {
            Ok(ServerResult::CallToolResult(result)) if result.is_error == Some(true) => CallOutcome::Error,
            Ok(_) => CallOutcome::Ok,
            Err((outcome, _)) => *outcome,
        };
        let labels = CallLabels {
            project: self.project.to_string(),
            server: server.to_owned(),
            kind: kind.as_str(),
            outcome: outcome.as_str(),
        };
        self.gateway.metrics.calls.get_or_create(&labels).inc();
        self.gateway.metrics.call_seconds.observe(elapsed.as_secs_f64());
        self.gateway.audit.record(CallEvent {
            time: time.to_owned(),
            principal: self.caller.principal.clone(),
            project: self.project.clone(),
            server: server.to_owned(),
            kind,
            name: audit_name(name),
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            outcome,
        });
        answer.map_err(|(_, e)| e)
    }

    /// Every server's answer to a list request, each with its server's name; servers that
    /// cannot be reached are left out (and logged).
    async fn gather<T, F, Fut>(self: &Arc<Self>, list: F) -> Vec<(String, Vec<T>)>
    where
        F: Fn(Arc<Upstream>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, ServiceError>>,
    {
        let servers = self.servers();
        let answers = futures::future::join_all(servers.iter().map(|s| {
            let list = &list;
            async move {
                let upstream = self.upstream(&s.name).await.ok()?;
                let timeout = self.gateway.settings.call_timeout;
                match tokio::time::timeout(timeout, list(upstream)).await {
                    Ok(Ok(items)) => Some((s.name.clone(), items)),
                    Ok(Err(e)) => {
                        tracing::warn!(project = %self.project, server = %s.name, "listing failed: {e}");
                        None
                    }
                    Err(_) => None,
                }
            }
        }))
        .await;
        answers.into_iter().flatten().collect()
    }

    async fn tools(self: &Arc<Self>) -> Vec<Tool> {
        let gathered = self.gather(|u| async move { u.peer().list_all_tools().await }).await;
        let mut table = HashMap::new();
        let mut tools = Vec::new();
        for (server, list) in gathered {
            for mut tool in list {
                self.gateway.fingerprint(&self.project, &server, &tool);
                let shown = names::exposed(&server, &tool.name);
                table.insert(shown.clone(), (server.clone(), tool.name.to_string()));
                tool.name = shown.into();
                tools.push(tool);
            }
        }
        let mut catalog = self.catalog.lock().unwrap();
        catalog.tools = table;
        catalog.shown[0] = Some(hash_of(&tools));
        tools
    }

    async fn prompts(self: &Arc<Self>) -> Vec<Prompt> {
        let gathered = self.gather(|u| async move { u.peer().list_all_prompts().await }).await;
        let mut table = HashMap::new();
        let mut prompts = Vec::new();
        for (server, list) in gathered {
            for mut prompt in list {
                let shown = names::exposed(&server, &prompt.name);
                table.insert(shown.clone(), (server.clone(), std::mem::replace(&mut prompt.name, shown)));
                prompts.push(prompt);
            }
        }
        let mut catalog = self.catalog.lock().unwrap();
        catalog.prompts = table;
        catalog.shown[1] = Some(hash_of(&prompts));
        prompts
    }

    async fn resources(self: &Arc<Self>) -> Vec<Resource> {
        let gathered = self.gather(|u| async move { u.peer().list_all_resources().await }).await;
        let mut table = HashMap::new();
        let mut resources = Vec::new();
        for (server, list) in gathered {
            for resource in list {
                // The first server to list a URI owns it.
                if table.contains_key(&resource.uri) {
                    continue;
                }
                table.insert(resource.uri.clone(), server.clone());
                resources.push(resource);
            }
        }
        let mut catalog = self.catalog.lock().unwrap();
        catalog.resources = table;
        catalog.shown[2] = Some(hash_of(&resources));
        resources
    }

    /// Every server's resource templates, remembering which server offers which.
    async fn templates(self: &Arc<Self>) -> Vec<ResourceTemplate> {
        let gathered = self.gather(|u| async move { u.peer().list_all_resource_templates().await }).await;
        let mut owners = Vec::new();
        let mut templates = Vec::new();
        for (server, list) in gathered {
            for template in list {
                // What a URI made from it starts with: the text before its first variable.
                let prefix = template.uri_template.split('{').next().unwrap_or_default().to_owned();
                owners.push((prefix, server.clone()));
                templates.push(template);
            }
        }
        self.catalog.lock().unwrap().templates = owners;
        templates
    }

    /// The server whose template a URI fits (the longest fixed prefix), listing the
    /// templates first when they are not known yet.
    async fn template_server(self: &Arc<Self>, uri: &str) -> Option<String> {
        let find = |c: &Catalog| {
            c.templates
                .iter()
                .filter(|(prefix, _)| !prefix.is_empty() && uri.starts_with(prefix.as_str()))
                .max_by_key(|(prefix, _)| prefix.len())
                .map(|(_, server)| server.clone())
        };
        if let Some(server) = find(&self.catalog.lock().unwrap()) {
            return Some(server);
        }
        self.templates().await;
        let found = find(&self.catalog.lock().unwrap());
        found
    }

    /// Where a shown name leads: the catalog, listing first when the client has not.
    async fn route(self: &Arc<Self>, lists: Lists, shown: &str) -> Result<(String, String), McpError> {
        let find = |c: &Catalog| match lists {
            Lists::TOOLS => c.tools.get(shown).cloned(),
            Lists::PROMPTS => c.prompts.get(shown).cloned(),
            _ => c.resources.get(shown).map(|server| (server.clone(), shown.to_owned())),
        };
        if let Some(found) = find(&self.catalog.lock().unwrap()) {
            return Ok(found);
        }
        match lists {
            Lists::TOOLS => drop(self.tools().await),
            Lists::PROMPTS => drop(self.prompts().await),
            _ => drop(self.resources().await),
        }
        if let Some(found) = find(&self.catalog.lock().unwrap()) {
            return Ok(found);
        }
        // A name whose server could not be listed: say why that server is unavailable.
        if let Some((server, _)) = shown.split_once("__").filter(|_| lists != Lists::RESOURCES) {
            if self.servers().iter().any(|s| s.name == server) {
                self.upstream(server).await?;
            }
        }
        let what = match lists {
            Lists::TOOLS => "tool",
            Lists::PROMPTS => "prompt",
            _ => "resource",
        };
        Err(McpError::invalid_params(format!("project \"{}\" has no {what} \"{shown}\"", self.project), None))
    }

    /// Asks for `lists` to be listed again soon; requests close together are served by one
    /// listing, so a change is announced once.
    pub fn stale(&self, lists: Lists) {
        self.stale.fetch_or(lists.0, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Lists again what may have changed, and tells the client about each list that did:
    /// exactly one notification per list that changes what it sees.
    async fn refresh(self: &Arc<Self>, lists: Lists) {
        let shown = self.catalog.lock().unwrap().shown;
        if lists.has(Lists::TOOLS) && shown[0].is_some() && shown[0] != Some(hash_of(&self.tools().await)) {
            self.announce(ServerNotification::ToolListChangedNotification(Default::default())).await;
        }
        if lists.has(Lists::PROMPTS) && shown[1].is_some() && shown[1] != Some(hash_of(&self.prompts().await)) {
            self.announce(ServerNotification::PromptListChangedNotification(Default::default())).await;
        }
        if lists.has(Lists::RESOURCES) && shown[2].is_some() && shown[2] != Some(hash_of(&self.resources().await)) {
            self.announce(ServerNotification::ResourceListChangedNotification(Default::default())).await;
        }
    }

    /// Tells the client: on the `subscriptions/listen` streams of a stateless client, else on
    /// its session's stream.
    async fn announce(&self, notification: ServerNotification) {
        if self.listeners.lock().unwrap().is_empty() {
            if let Some(peer) = self.peer() {
                let _ = peer.send_notification(notification).await;
            }
            return;
        }
        self.announce_to_listeners(notification).await;
    }

    /// Sends to each open `subscriptions/listen` stream (each takes only what it asked for).
    pub async fn announce_to_listeners(&self, notification: ServerNotification) {
        let listeners = self.listeners.lock().unwrap().clone();
        let mut closed = Vec::new();
        for sink in &listeners {
            if let Err(SubscriptionSendError::SubscriptionClosed) = sink.send(notification.clone()).await {
                closed.push(sink.id().clone());
            }
        }
        if !closed.is_empty() {
            self.listeners.lock().unwrap().retain(|s| !closed.contains(s.id()));
        }
    }

    /// The project's configuration changed: ends upstream sessions whose server left or
    /// changed (they start again with the new settings when needed).
    async fn reconfigure(&self) {
        let servers = self.servers();
        let slots: Vec<(String, Arc<tokio::sync::Mutex<Slot>>)> =
            self.slots.lock().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (name, slot) in slots {
            let current = servers.iter().find(|s| s.name == name);
            let mut slot = slot.lock().await;
            let stale =
                slot.upstream.as_ref().is_some_and(|u| !current.is_some_and(|c| upstream::same_settings(&u.spec, c)));
            if stale || current.is_none() {
                slot.upstream = None;
                slot.failure = None;
            }
        }
        self.slots.lock().unwrap().retain(|name, _| servers.iter().any(|s| &s.name == name));
    }
}

impl Drop for SessionState {
    fn drop(&mut self) {
        if let Some(follower) = self.follower.lock().unwrap().take() {
            follower.abort();
        }
        self.gateway.metrics.sessions.dec();
    }
}

/// How long a change waits for others before the lists are read again.
const COALESCE: Duration = Duration::from_millis(100);

/// Follows the project's configuration, and what upstream servers say changed, for as long as
/// the session lives: one task, so listings and notifications never race.
async fn follow(
    session: std::sync::Weak<SessionState>,
    mut config: tokio::sync::watch::Receiver<Arc<shared::api::Resolution>>,
    wake: Arc<tokio::sync::Notify>,
) {
    let idle = match session.upgrade() {
        Some(session) => session.gateway.settings.session_idle_timeout,
        None => return,
    };
    let mut idle_check = tokio::time::interval((idle / 10).clamp(Duration::from_secs(1), Duration::from_secs(60)));
    loop {
        tokio::select! {
            _ = idle_check.tick() => {
                // Idle means no request from the client, whatever upstream servers send it:
                // their sessions, and processes, end.
                let Some(session) = session.upgrade() else { return };
                if session.last_used.lock().unwrap().elapsed() >= idle {
                    session.slots.lock().unwrap().clear();
                }
                continue;
            }
            changed = config.changed() => {
                if changed.is_err() {
                    return;
                }
                let Some(session) = session.upgrade() else { return };
                session.reconfigure().await;
                session.stale.fetch_or(Lists::ALL.0, Ordering::SeqCst);
            }
            () = wake.notified() => {}
        }
        tokio::time::sleep(COALESCE).await;
        let Some(session) = session.upgrade() else { return };
        let lists = Lists(session.stale.swap(0, Ordering::SeqCst));
        session.refresh(lists).await;
    }
}

/// A name as the audit trail takes it (1 to 1024 bytes, no control characters): whatever a
/// client sends as a URI, or a server as a tool name, one event is never refused for it, and
/// with it the batch.
pub fn audit_name(name: &str) -> String {
    let mut printable = String::new();
    for c in name.chars().map(|c| if c.is_control() { '?' } else { c }) {
        if printable.len() + c.len_utf8() > MAX_AUDIT_NAME {
            break;
        }
        printable.push(c);
    }
    if printable.is_empty() {
        "?".to_owned()
    } else {
        printable
    }
}

/// The longest name mcpd's intake takes, in bytes.
const MAX_AUDIT_NAME: usize = 1024;

fn unavailable(server: &str, why: &str) -> McpError {
    McpError::internal_error(format!("server \"{server}\" is unavailable: {why}"), None)
}

fn hash_of<T: serde::Serialize>(items: &[T]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(items).unwrap_or_default().hash(&mut hasher);
    hasher.finish()
}

/// The request as the upstream gets it: only the progress token of the client's `_meta`
/// would matter, and the gateway sets its own.
fn plain_meta<P>(params: &mut P, meta: impl FnOnce(&mut P) -> &mut Option<RequestMetaObject>) {
    *meta(params) = None;
}

impl ServerHandler for Session {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_resources_subscribe()
            .enable_logging()
            .enable_completions()
            .build();
        let servers: Vec<String> = self
            .gateway
            .config(&self.project)
            .map(|c| c.borrow().servers.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default();
        let instructions = format!(
            "Project \"{}\" through mcpgw: the tools and prompts of servers {} are named SERVER__NAME.",
            self.project,
            servers.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
        );
        let mut info = InitializeResult::new(capabilities);
        info.server_info = Implementation::new("mcpgw", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(instructions);
        info
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        let state = self.state(&context, true)?;
        *state.capabilities.lock().unwrap() = request.capabilities.clone();
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let state = self.state(&context, false)?;
        Ok(ListToolsResult::with_all_items(state.tools().await))
    }

    async fn call_tool(
        &self,
        mut params: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let state = self.state(&context, false)?;
        let (server, name) = state.route(Lists::TOOLS, &params.name).await?;
        params.name = name.clone().into();
        plain_meta(&mut params, |p| &mut p.meta);
        let request = match state.resume(&params.request_state, &mut params.input_responses) {
            Some(pending) => Relayed::Resumed(pending),
            None => Relayed::New(ClientRequest::CallToolRequest(CallToolRequest::new(params))),
        };
        match state.call(CallKind::Tools, &server, &name, request, &context).await? {
            ServerResult::CallToolResult(mut result) => {
                result.result_type.get_or_insert(ResultType::COMPLETE);
                Ok(CallToolResponse::Complete(result))
            }
            ServerResult::InputRequiredResult(result) => Ok(CallToolResponse::InputRequired(result)),
            _ => Err(unexpected(&server)),
        }
    }

    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let state = self.state(&context, false)?;
        Ok(ListPromptsResult::with_all_items(state.prompts().await))
    }

    async fn get_prompt(
        &self,
        mut params: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let state = self.state(&context, false)?;
        let (server, name) = state.route(Lists::PROMPTS, &params.name).await?;
        params.name = name.clone();
        plain_meta(&mut params, |p| &mut p.meta);
        let request = match state.resume(&params.request_state, &mut params.input_responses) {
            Some(pending) => Relayed::Resumed(pending),
            None => Relayed::New(ClientRequest::GetPromptRequest(GetPromptRequest::new(params))),
        };
        match state.call(CallKind::Prompts, &server, &name, request, &context).await? {
            ServerResult::GetPromptResult(mut result) => {
                result.result_type.get_or_insert(ResultType::COMPLETE);
                Ok(GetPromptResponse::Complete(result))
            }
            ServerResult::InputRequiredResult(result) => Ok(GetPromptResponse::InputRequired(result)),
            _ => Err(unexpected(&server)),
        }
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let state = self.state(&context, false)?;
        Ok(ListResourcesResult::with_all_items(state.resources().await))
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let state = self.state(&context, false)?;
        Ok(ListResourceTemplatesResult::with_all_items(state.templates().await))
    }

    async fn read_resource(
        &self,
        mut params: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let state = self.state(&context, false)?;
        let server = match state.route(Lists::RESOURCES, &params.uri).await {
            Ok((server, _)) => server,
            Err(e) => state.template_server(&params.uri).await.ok_or(e)?,
        };
        plain_meta(&mut params, |p| &mut p.meta);
        let uri = params.uri.clone();
        let request = match state.resume(&params.request_state, &mut params.input_responses) {
            Some(pending) => Relayed::Resumed(pending),
            None => Relayed::New(ClientRequest::ReadResourceRequest(ReadResourceRequest::new(params))),
        };
        match state.call(CallKind::Resources, &server, &uri, request, &context).await? {
            ServerResult::ReadResourceResult(mut result) => {
                result.result_type.get_or_insert(ResultType::COMPLETE);
                Ok(ReadResourceResponse::Complete(result))
            }
            ServerResult::InputRequiredResult(result) => Ok(ReadResourceResponse::InputRequired(result)),
            _ => Err(unexpected(&server)),
        }
    }

    async fn subscribe(
        &self,
        params: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let state = self.state(&context, false)?;
        let (server, _) = state.route(Lists::RESOURCES, &params.uri).await?;
        let request = ClientRequest::SubscribeRequest(SubscribeRequest::new(params));
        state.relay(&server, request, &context).await.map(drop).map_err(|(_, e)| e)
    }

    async fn unsubscribe(
        &self,
        params: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let state = self.state(&context, false)?;
        let (server, _) = state.route(Lists::RESOURCES, &params.uri).await?;
        let request = ClientRequest::UnsubscribeRequest(UnsubscribeRequest::new(params));
        state.relay(&server, request, &context).await.map(drop).map_err(|(_, e)| e)
    }

    async fn complete(
        &self,
        mut params: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let state = self.state(&context, false)?;
        let server = match &mut params.r#ref {
            Reference::Prompt(prompt) => {
                let (server, name) = state.route(Lists::PROMPTS, &prompt.name).await?;
                prompt.name = name;
                server
            }
            Reference::Resource(resource) => match state.route(Lists::RESOURCES, &resource.uri).await {
                Ok((server, _)) => server,
                Err(e) => state.template_server(&resource.uri).await.ok_or(e)?,
            },
            _ => return Err(McpError::invalid_params("completion for an unknown kind of reference", None)),
        };
        let request = ClientRequest::CompleteRequest(CompleteRequest::new(params));
        match state.relay(&server, request, &context).await.map_err(|(_, e)| e)? {
            ServerResult::CompleteResult(result) => Ok(result),
            _ => Err(unexpected(&server)),
        }
    }

    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        // Whatever is asked of what the gateway announces (rmcp keeps it to that).
        Some(requested.clone())
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), McpError> {
        let state = self.state(subscription.request_context(), false)?;
        state.listeners.lock().unwrap().push(subscription.sink().clone());
        subscription.cancelled().await;
        let id = subscription.sink().id().clone();
        state.listeners.lock().unwrap().retain(|s| *s.id() != id);
        Ok(())
    }

    async fn set_level(
        &self,
        params: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let state = self.state(&context, false)?;
        let started: Vec<String> = state.slots.lock().unwrap().keys().cloned().collect();
        for server in started {
            let request = ClientRequest::SetLevelRequest(SetLevelRequest::new(params.clone()));
            if let Err((_, e)) = state.relay(&server, request, &context).await {
                tracing::debug!(project = %state.project, %server, "logging/setLevel: {}", e.message);
            }
        }
        Ok(())
    }
}

fn unexpected(server: &str) -> McpError {
    McpError::internal_error(format!("server \"{server}\" answered with something else than asked"), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_names_fit_the_intake_in_bytes_and_keep_whole_characters() {
        assert_eq!(audit_name("echo"), "echo");
        assert_eq!(audit_name(""), "?");
        assert_eq!(audit_name("a\nb\u{7}"), "a?b?");
        // 600 three-byte characters: 1800 bytes, cut to 341 whole characters (1023 bytes).
        let wide = audit_name(&"界".repeat(600));
        assert!(wide.len() <= MAX_AUDIT_NAME && wide.len() > MAX_AUDIT_NAME - 3, "{}", wide.len());
        assert!(wide.chars().all(|c| c == '界'));
        assert_eq!(audit_name(&"x".repeat(5000)).len(), MAX_AUDIT_NAME);
    }
}
