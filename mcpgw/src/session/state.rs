//! What a client session holds: one slot per server for its upstream sessions, started on
//! first use; the catalog of names it was shown; and one follower task that applies
//! configuration changes and announces list changes, so listings never race.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{ClientCapabilities, Prompt, Resource, ResourceTemplate, ServerNotification, Tool};
use rmcp::service::ServiceError;
use rmcp::ErrorData as McpError;
use shared::api::{CallOutcome, Resolution, ResolvedServer};
use shared::name::ProjectName;
use shared::spec::Sharing;
use tokio::sync::watch;

use super::call::{Pending, Refused};
use crate::access::{Caller, Held};
use crate::catalog::{self, Catalog, Gathered, Lists};
use crate::downstream::Downstream;
use crate::gateway::Gateway;
use crate::upstream::{self, Cause, RelayState, Upstream, UpstreamError};

/// How long a listing waits for servers to be ready: it answers with those that are, and a
/// server that becomes ready later is announced with a list change.
pub const LIST_DEADLINE: Duration = Duration::from_secs(5);
/// How long a change waits for others before the lists are read again.
const COALESCE: Duration = Duration::from_millis(100);

pub struct SessionState {
    pub gateway: Arc<Gateway>,
    pub project: ProjectName,
    pub caller: Caller,
    pub downstream: Arc<Downstream>,
    pub capabilities: Mutex<ClientCapabilities>,
    /// The revision the client initialized at (session-based revisions only): upstream
    /// sessions open at it.
    pub protocol: Mutex<Option<rmcp::model::ProtocolVersion>>,
    config: watch::Receiver<Arc<Resolution>>,
    slots: Mutex<HashMap<String, Slot>>,
    catalog: Mutex<Catalog>,
    pub last_used: Mutex<Instant>,
    follower: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Requests suspended until a stateless client answers the server, by `requestState`.
    pub suspended: Mutex<HashMap<String, Pending>>,
    /// Kept while the session lives: its binding to its credential.
    pub held: Mutex<Option<Held>>,
    /// Cancelled when its credential may no longer use it: ends its `subscriptions/listen`
    /// streams.
    pub ended: tokio_util::sync::CancellationToken,
    standings: Mutex<Vec<Standing>>,
}

/// How a server stood when the session last listed: `ready`, `starting` (not ready within
/// the listing's deadline), or `unavailable` with a short reason. Clients read it from a
/// listing's `_meta` (`io.mcpctl/servers`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Standing {
    pub name: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Standing {
    fn unavailable(server: &str, reason: String) -> Standing {
        Standing { name: server.to_owned(), state: "unavailable", reason: Some(reason) }
    }
}

/// One server's upstream session in this client session, once started.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<Upstream>>>>;

impl SessionState {
    pub fn open(gateway: Arc<Gateway>, project: ProjectName, caller: Caller) -> Result<Arc<SessionState>, McpError> {
        let config =
            gateway.projects.config(&project).ok_or_else(|| McpError::invalid_request("no such project", None))?;
        let state = Arc::new(SessionState {
            downstream: Downstream::new(gateway.metrics.clone()),
            gateway: gateway.clone(),
            project,
            caller,
            capabilities: Mutex::default(),
            protocol: Mutex::default(),
            config,
            slots: Mutex::default(),
            catalog: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
            follower: Mutex::default(),
            suspended: Mutex::default(),
            held: Mutex::default(),
            ended: tokio_util::sync::CancellationToken::new(),
            standings: Mutex::default(),
        });
        gateway.metrics.sessions.inc();
        let follower = tokio::spawn(follow(Arc::downgrade(&state), state.config.clone()));
        *state.follower.lock().unwrap() = Some(follower);
        Ok(state)
    }

    pub fn seen(&self, peer: rmcp::service::Peer<rmcp::service::RoleServer>) {
        *self.last_used.lock().unwrap() = Instant::now();
        self.downstream.seen(peer);
    }

    pub fn servers(&self) -> Vec<ResolvedServer> {
        self.config.borrow().servers.clone()
    }

    fn slot(&self, server: &str) -> Slot {
        self.slots.lock().unwrap().entry(server.to_owned()).or_default().clone()
    }

    /// The servers whose upstream session this client session has started.
    pub fn started(&self) -> Vec<String> {
        self.slots.lock().unwrap().keys().cloned().collect()
    }

    /// The upstream session for `server`, started when there is none or its process is gone.
    pub async fn upstream(self: &Arc<Self>, server: &str) -> Result<Arc<Upstream>, UpstreamError> {
        let spec =
            self.config.borrow().servers.iter().find(|s| s.name == server).cloned().ok_or_else(|| {
                UpstreamError::new(server, Cause::Misconfigured("it is not a server of this project"))
            })?;
        let slot = self.slot(server);
        let mut slot = slot.lock().await;
        if let Some(upstream) = slot.as_ref() {
            if upstream::same_settings(&upstream.spec, &spec) && !upstream.is_closed() {
                return Ok(upstream.clone());
            }
            *slot = None;
        }
        let upstream = match spec.sharing {
            Sharing::Shared => self.gateway.shared_upstream(&self.project, &spec).await?,
            Sharing::PerSession => {
                let capabilities = self.capabilities.lock().unwrap().clone();
                let protocol = self.protocol.lock().unwrap().clone();
                let timeout = self.gateway.settings.call_timeout;
                let relay = RelayState::new(self.project.clone(), spec.name.clone(), capabilities, protocol, timeout);
                Arc::new(self.gateway.start(&self.project, &spec, relay).await?)
            }
        };
        upstream.relay.attach(&self.downstream);
        *slot = Some(upstream.clone());
        Ok(upstream)
    }

    /// Drops an upstream session found gone, so that the next use starts another (rmcp may
    /// not have seen yet that its process exited).
    pub async fn forget(&self, server: &str, gone: &Arc<Upstream>) {
        let slot = self.slot(server);
        let mut slot = slot.lock().await;
        if slot.as_ref().is_some_and(|u| Arc::ptr_eq(u, gone)) {
            *slot = None;
        }
    }

    /// The upstream session for `server` if it is ready by `deadline` (at once for a server
    /// whose last start failed). A start still under way then goes on; when it succeeds, the
    /// lists are read again and a change announced.
    async fn ready_by(
        self: &Arc<Self>,
        spec: &ResolvedServer,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<Upstream>, Standing> {
        let server = spec.name.as_str();
        let running = self.slot(server).try_lock().ok().and_then(|slot| slot.clone()).filter(|u| !u.is_closed());
        if let Some(running) = running {
            return Ok(running);
        }
        let deadline = match self.gateway.is_down(&self.project, spec) {
            true => tokio::time::Instant::now(),
            false => deadline,
        };
        let (state, name) = (self.clone(), server.to_owned());
        let mut start = tokio::spawn(async move { state.upstream(&name).await });
        match tokio::time::timeout_at(deadline, &mut start).await {
            Ok(Ok(started)) => started.map_err(|e| Standing::unavailable(server, e.cause.to_string())),
            Ok(Err(_)) => Err(Standing::unavailable(server, "its start failed".to_owned())),
            Err(_) => {
                let downstream = Arc::downgrade(&self.downstream);
                tokio::spawn(async move {
                    if let (Ok(Ok(_)), Some(downstream)) = (start.await, downstream.upgrade()) {
                        downstream.stale(Lists::ALL);
                    }
                });
                Err(Standing { name: server.to_owned(), state: "starting", reason: None })
            }
        }
    }

    /// Every server's answer to a list request, each with its server's name, from the servers
    /// ready within `LIST_DEADLINE`; the others are left out (and logged).
    async fn gather<T, F, Fut>(self: &Arc<Self>, list: F) -> Gathered<T>
    where
        F: Fn(Arc<Upstream>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, ServiceError>>,
    {
        let deadline = tokio::time::Instant::now() + LIST_DEADLINE;
        let servers = self.servers();
        let answers = futures::future::join_all(servers.iter().map(|s| {
            let list = &list;
            async move {
                let upstream = self.ready_by(s, deadline).await?;
                match tokio::time::timeout_at(deadline, list(upstream.clone())).await {
                    Ok(Ok(items)) => Ok((s.name.clone(), items)),
                    Ok(Err(e)) => {
                        if upstream.is_closed() {
                            upstream.over_limit().await;
                        }
                        let cause = upstream.failed(&e).cause;
                        tracing::warn!(project = %self.project, server = %s.name, "listing failed: {cause}");
                        Err(Standing::unavailable(&s.name, format!("listing failed: {cause}")))
                    }
                    Err(_) => {
                        tracing::warn!(project = %self.project, server = %s.name, "listing timed out");
                        Err(Standing::unavailable(&s.name, "listing timed out".to_owned()))
                    }
                }
            }
        }))
        .await;
        let mut gathered = Vec::new();
        let mut standings = Vec::new();
        for answer in answers {
            match answer {
                Ok((server, items)) => {
                    standings.push(Standing { name: server.clone(), state: "ready", reason: None });
                    gathered.push((server, items));
                }
                Err(standing) => standings.push(standing),
            }
        }
        *self.standings.lock().unwrap() = standings;
        gathered
    }

    /// How each server stood at the last listing.
    pub fn standings(&self) -> Vec<Standing> {
        self.standings.lock().unwrap().clone()
    }

    pub async fn tools(self: &Arc<Self>) -> Vec<Tool> {
        let gathered = self.gather(|u| async move { u.peer().list_all_tools().await }).await;
        let config = self.config.borrow().clone();
        let fingerprints = self.gateway.note_tools(&self.project, &gathered, &config.tools);
        self.catalog.lock().unwrap().tools(gathered, &config.tools, &fingerprints)
    }

    pub async fn prompts(self: &Arc<Self>) -> Vec<Prompt> {
        let gathered = self.gather(|u| async move { u.peer().list_all_prompts().await }).await;
        self.catalog.lock().unwrap().prompts(gathered)
    }

    pub async fn resources(self: &Arc<Self>) -> Vec<Resource> {
        let gathered = self.gather(|u| async move { u.peer().list_all_resources().await }).await;
        self.catalog.lock().unwrap().resources(gathered)
    }

    pub async fn templates(self: &Arc<Self>) -> Vec<ResourceTemplate> {
        let gathered = self.gather(|u| async move { u.peer().list_all_resource_templates().await }).await;
        self.catalog.lock().unwrap().templates(gathered)
    }

    /// The server whose template a URI fits, listing the templates first when they are not
    /// known yet.
    pub async fn template_server(self: &Arc<Self>, uri: &str) -> Option<String> {
        if let Some(server) = self.catalog.lock().unwrap().template_server(uri) {
            return Some(server);
        }
        self.templates().await;
        let found = self.catalog.lock().unwrap().template_server(uri);
        found
    }

    /// Where a shown name leads: the catalog, listing first when the client has not.
    pub async fn route(self: &Arc<Self>, lists: Lists, shown: &str) -> Result<(String, String), Refused> {
        if let Some(found) = self.catalog.lock().unwrap().route(lists, shown) {
            return Ok(found);
        }
        match lists {
            Lists::TOOLS => drop(self.tools().await),
            Lists::PROMPTS => drop(self.prompts().await),
            _ => drop(self.resources().await),
        }
        if let Some(found) = self.catalog.lock().unwrap().route(lists, shown) {
            return Ok(found);
        }
        if let Some(state) = self.catalog.lock().unwrap().withheld(shown).filter(|_| lists == Lists::TOOLS) {
            return Err(awaiting_approval(&self.project, shown, state));
        }
        // A name whose server was not listed: wait for that server's start (within
        // `--start-timeout`), then list again; or say why it is unavailable.
        if let Some((server, _)) = shown.split_once("__").filter(|_| lists != Lists::RESOURCES) {
            if self.servers().iter().any(|s| s.name == server) {
                self.upstream(server).await.map_err(|e| Refused {
                    server: Some(server.to_owned()),
                    outcome: CallOutcome::Error,
                    error: e.to_mcp(),
                })?;
                match lists {
                    Lists::TOOLS => drop(self.tools().await),
                    _ => drop(self.prompts().await),
                }
                if let Some(found) = self.catalog.lock().unwrap().route(lists, shown) {
                    return Ok(found);
                }
            }
        }
        let (project, what) = (&self.project, lists.noun());
        let error = McpError::invalid_params(format!("project \"{project}\" has no {what} \"{shown}\""), None);
        Err(Refused { server: None, outcome: CallOutcome::Refused, error })
    }

    /// Lists again what may have changed, and tells the client about each list that did:
    /// exactly one notification per list that changes what it sees.
    async fn refresh(self: &Arc<Self>, lists: Lists) {
        let shown = |list| self.catalog.lock().unwrap().shown(list);
        let changed = |before: Option<u64>, now: u64| before.is_some_and(|b| b != now);
        if lists.has(Lists::TOOLS) && shown(Lists::TOOLS).is_some() {
            let before = shown(Lists::TOOLS);
            if changed(before, catalog::hash_of(&self.tools().await)) {
                self.downstream.announce(ServerNotification::ToolListChangedNotification(Default::default())).await;
            }
        }
        if lists.has(Lists::PROMPTS) && shown(Lists::PROMPTS).is_some() {
            let before = shown(Lists::PROMPTS);
            if changed(before, catalog::hash_of(&self.prompts().await)) {
                self.downstream.announce(ServerNotification::PromptListChangedNotification(Default::default())).await;
            }
        }
        if lists.has(Lists::RESOURCES) && shown(Lists::RESOURCES).is_some() {
            let before = shown(Lists::RESOURCES);
            if changed(before, catalog::hash_of(&self.resources().await)) {
                let changed = ServerNotification::ResourceListChangedNotification(Default::default());
                self.downstream.announce(changed).await;
            }
        }
    }

    /// The project's configuration changed: ends upstream sessions whose server left or
    /// changed (they start again with the new settings when needed).
    async fn reconfigure(&self) {
        let servers = self.servers();
        let slots: Vec<(String, Slot)> =
            self.slots.lock().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (name, slot) in slots {
            let current = servers.iter().find(|s| s.name == name);
            let mut slot = slot.lock().await;
            if slot.as_ref().is_some_and(|u| !current.is_some_and(|c| upstream::same_settings(&u.spec, c))) {
                *slot = None;
            }
        }
        self.slots.lock().unwrap().retain(|name, _| servers.iter().any(|s| &s.name == name));
    }

    /// Its credential may no longer use it: its listen streams and upstream sessions end.
    pub fn end(&self) {
        self.ended.cancel();
        self.end_upstreams();
    }

    /// Ends every upstream session of this client session (their processes with them).
    pub fn end_upstreams(&self) {
        self.slots.lock().unwrap().clear();
    }
}

/// The refusal of a call to a tool of a pinned project that waits for approval.
fn awaiting_approval(project: &ProjectName, shown: &str, state: shared::spec::ToolState) -> Refused {
    let why = match state {
        shared::spec::ToolState::Changed => "its definition changed since it was approved",
        _ => "it was never approved",
    };
    let message = format!(
        "tool \"{shown}\" of project \"{project}\" awaits approval: {why} (mcpctl approve tools -p {project} {shown})"
    );
    let server = shown.split_once("__").map(|(server, _)| server.to_owned());
    Refused { server, outcome: CallOutcome::Refused, error: McpError::invalid_params(message, None) }
}

impl Drop for SessionState {
    fn drop(&mut self) {
        if let Some(follower) = self.follower.lock().unwrap().take() {
            follower.abort();
        }
        self.gateway.metrics.sessions.dec();
    }
}

/// Follows the project's configuration, and what upstream servers say changed, for as long as
/// the session lives: one task, so listings and notifications never race.
async fn follow(session: std::sync::Weak<SessionState>, mut config: watch::Receiver<Arc<Resolution>>) {
    let (idle, downstream) = match session.upgrade() {
        Some(session) => (session.gateway.settings.session_idle_timeout, session.downstream.clone()),
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
                    session.end_upstreams();
                }
                continue;
            }
            changed = config.changed() => {
                if changed.is_err() {
                    return;
                }
                let Some(session) = session.upgrade() else { return };
                session.reconfigure().await;
                downstream.stale(Lists::ALL);
            }
            () = downstream.woken() => {}
        }
        tokio::time::sleep(COALESCE).await;
        let Some(session) = session.upgrade() else { return };
        let lists = downstream.take_stale();
        if lists != Lists::NONE {
            session.refresh(lists).await;
        }
    }
}
