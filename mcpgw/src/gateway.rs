//! What every session shares: the link to mcpd, each project's live configuration, shared
//! upstream sessions, child processes, tool fingerprints, the audit log and the metrics.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use rmcp::model::{ClientCapabilities, Tool};
use rmcp::ErrorData as McpError;
use sha2::{Digest, Sha256};
use shared::api::{CallEvent, CallKind, CallOutcome, Resolution, ResolvedServer, WatchEventType};
use shared::name::ProjectName;
use shared::Kind;
use tokio::sync::{watch, Notify};

use crate::access::{Access, Caller};
use crate::audit::AuditLog;
use crate::metrics::Metrics;
use crate::session::SessionState;
use crate::settings::Settings;
use crate::upstream::{self, Processes, RelayState, Upstream};

/// After a change is seen, wait this long for more before resolving again.
const SETTLE: Duration = Duration::from_millis(50);

pub struct Gateway {
    pub settings: Settings,
    pub mcpd: client::Client,
    pub access: Access,
    pub audit: AuditLog,
    pub metrics: Metrics,
    pub processes: Processes,
    projects: Mutex<HashMap<ProjectName, watch::Sender<Arc<Resolution>>>>,
    /// Stateless clients' sessions, by credential hash and project.
    stateless: Mutex<HashMap<(Credential, ProjectName), Arc<SessionState>>>,
    /// `sharing: shared` upstreams, by project and server: each its own lock, so one slow to
    /// start holds up no other.
    shared: Mutex<HashMap<(ProjectName, String), SharedSlot>>,
    fingerprints: Mutex<HashMap<(ProjectName, String, String), [u8; 32]>>,
    changed: Notify,
    ids: std::sync::atomic::AtomicU64,
}

/// A credential's SHA-256.
type Credential = [u8; 32];

/// The upstream session of a shared server, once started.
type SharedSlot = Arc<tokio::sync::Mutex<Option<Arc<Upstream>>>>;

pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .expect("the time formats")
}

impl Gateway {
    pub fn new(settings: Settings, mcpd: client::Client, audit: AuditLog, metrics: Metrics) -> Gateway {
        Gateway {
            processes: Processes::new(settings.max_processes, metrics.clone()),
            access: Access::new(mcpd.clone()),
            settings,
            mcpd,
            audit,
            metrics,
            projects: Mutex::default(),
            stateless: Mutex::default(),
            shared: Mutex::default(),
            fingerprints: Mutex::default(),
            changed: Notify::new(),
            ids: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// A number no other call of this gateway has had.
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// The live configuration of a project some session uses.
    pub fn config(&self, project: &ProjectName) -> Option<watch::Receiver<Arc<Resolution>>> {
        self.projects.lock().unwrap().get(project).map(watch::Sender::subscribe)
    }

    /// Loads a project's configuration unless it is already followed; `Ok(false)` when mcpd
    /// knows no such project.
    pub async fn load(&self, project: &ProjectName) -> Result<bool, client::Error> {
        if self.projects.lock().unwrap().contains_key(project) {
            return Ok(true);
        }
        match self.mcpd.resolution(project).await {
            Ok(resolution) => {
                let mut projects = self.projects.lock().unwrap();
                projects.entry(project.clone()).or_insert_with(|| watch::Sender::new(Arc::new(resolution)));
                Ok(true)
            }
            Err(client::Error::Server(status)) if status.code == 404 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The state a stateless client's requests share: one per credential and project.
    pub fn stateless_session(
        self: &Arc<Self>,
        project: &ProjectName,
        caller: Caller,
    ) -> Result<Arc<SessionState>, McpError> {
        let key = (caller.key, project.clone());
        if let Some(state) = self.stateless.lock().unwrap().get(&key) {
            return Ok(state.clone());
        }
        let state = SessionState::open(self.clone(), project.clone(), caller)?;
        Ok(self.stateless.lock().unwrap().entry(key).or_insert(state).clone())
    }

    /// The one upstream session of a `sharing: shared` server.
    pub async fn shared_upstream(&self, project: &ProjectName, spec: &ResolvedServer) -> Result<Arc<Upstream>, String> {
        let slot = self.shared.lock().unwrap().entry((project.clone(), spec.name.clone())).or_default().clone();
        let mut slot = slot.lock().await;
        if let Some(upstream) = slot.as_ref() {
            if upstream::same_settings(&upstream.spec, spec) && !upstream.is_closed() {
                return Ok(upstream.clone());
            }
        }
        // What a shared server may ask clients for is what any client may answer.
        #[allow(deprecated)]
        let capabilities = ClientCapabilities::builder().enable_sampling().enable_elicitation().enable_roots().build();
        let timeout = self.settings.call_timeout;
        let relay = RelayState::new(project.clone(), spec.name.clone(), capabilities, timeout);
        let upstream = Arc::new(upstream::start(spec, relay, &self.processes, &self.metrics, timeout).await?);
        *slot = Some(upstream.clone());
        Ok(upstream)
    }

    /// Keeps a hash of each tool's definition; a change is an audit event naming server and
    /// tool.
    pub fn fingerprint(&self, project: &ProjectName, server: &str, tool: &Tool) {
        let definition = serde_json::json!({
            "name": tool.name,
            "description": tool.description,
            "inputSchema": tool.input_schema,
            "outputSchema": tool.output_schema,
        });
        let hash: [u8; 32] = Sha256::digest(definition.to_string().as_bytes()).into();
        let key = (project.clone(), server.to_owned(), tool.name.to_string());
        let before = self.fingerprints.lock().unwrap().insert(key, hash);
        if before.is_some_and(|before| before != hash) {
            tracing::warn!(%project, server, tool = %tool.name, "an upstream server changed a tool's definition");
            self.audit.record(CallEvent {
                time: now(),
                principal: "mcpgw".to_owned(),
                project: project.clone(),
                server: server.to_owned(),
                kind: CallKind::ToolChanged,
                name: crate::session::audit_name(&tool.name),
                duration_ms: 0,
                outcome: CallOutcome::Ok,
            });
        }
    }

    /// Follows mcpd's change feed for servers, secrets and projects; each change makes every
    /// followed project resolve again, and sessions hear of those whose answer differs.
    pub fn follow_changes(self: &Arc<Self>) {
        for kind in [Kind::Server, Kind::Secret, Kind::Project] {
            let gateway = self.clone();
            tokio::spawn(async move { gateway.watch(kind).await });
        }
        let gateway = self.clone();
        tokio::spawn(async move {
            loop {
                gateway.changed.notified().await;
                tokio::time::sleep(SETTLE).await;
                if !gateway.resolve_all().await {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    gateway.changed.notify_one();
                }
            }
        });
    }

    async fn watch(&self, kind: Kind) {
        let mut from: Option<String> = None;
        loop {
            match self.mcpd.watch(kind.info(), None, None, from.as_deref()).await {
                Ok(mut events) => {
                    while let Some(event) = events.next().await {
                        let Ok(event) = event else { break };
                        if let Some(rv) = &event.object.metadata.resource_version {
                            from = Some(rv.clone());
                        }
                        if event.event_type != WatchEventType::Bookmark {
                            self.changed.notify_one();
                        }
                    }
                }
                Err(client::Error::Server(status)) if status.code == 410 => {
                    from = None;
                    self.changed.notify_one();
                }
                Err(e) => tracing::warn!(kind = %kind, "cannot watch mcpd: {e}"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Resolves every followed project again; `false` when mcpd could not answer for one
    /// (tried again a second later).
    async fn resolve_all(&self) -> bool {
        let mut answered = true;
        let projects: Vec<ProjectName> = self.projects.lock().unwrap().keys().cloned().collect();
        for project in projects {
            let resolution = match self.mcpd.resolution(&project).await {
                Ok(resolution) => resolution,
                Err(client::Error::Server(status)) if status.code == 404 => {
                    Resolution { project: project.to_string(), resource_version: String::new(), servers: Vec::new() }
                }
                Err(e) => {
                    tracing::warn!(%project, "cannot resolve the project: {e}");
                    answered = false;
                    continue;
                }
            };
            if let Some(sender) = self.projects.lock().unwrap().get(&project) {
                sender.send_if_modified(|current| {
                    let differs = current.servers != resolution.servers;
                    if differs {
                        *current = Arc::new(resolution);
                    }
                    differs
                });
            }
        }
        answered
    }

    /// Ends stateless clients' upstream sessions once idle past `--session-idle-timeout`.
    pub fn reap_idle(self: &Arc<Self>) {
        let gateway = self.clone();
        tokio::spawn(async move {
            let idle = gateway.settings.session_idle_timeout;
            let mut tick = tokio::time::interval((idle / 10).clamp(Duration::from_secs(1), Duration::from_secs(60)));
            loop {
                tick.tick().await;
                gateway.stateless.lock().unwrap().retain(|_, s| {
                    s.prune_suspended();
                    s.last_used.lock().unwrap().elapsed() < idle
                });
                // A shared upstream no session uses any more ends.
                gateway.shared.lock().unwrap().retain(|_, slot| match slot.try_lock() {
                    Ok(mut upstream) => {
                        if upstream.as_ref().is_some_and(|u| u.is_closed() || Arc::strong_count(u) == 1) {
                            *upstream = None;
                        }
                        upstream.is_some()
                    }
                    Err(_) => true,
                });
            }
        });
    }

    /// Ends every session and child process.
    pub async fn shut_down(&self) {
        self.stateless.lock().unwrap().clear();
        self.shared.lock().unwrap().clear();
        self.processes.terminate_all(Duration::from_secs(3)).await;
    }
}
