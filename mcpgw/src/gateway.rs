//! What every session shares: the link to mcpd, the followed projects, starting upstream
//! sessions (with a backoff per server for the whole gateway), `sharing: shared` upstreams,
//! child processes, reporting tool definitions to mcpd, the audit log and the metrics.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{ClientCapabilities, Tool};
use shared::api::{
    CallEvent, CallKind, CallOutcome, GatewayReport, ReportedTool, ResolvedServer, ServerReport, ServerState,
    ToolReport, ToolRules,
};
use shared::name::ProjectName;

use crate::access::Access;
use crate::audit::{self, AuditLog};
use crate::catalog::{self, Gathered};
use crate::metrics::{CallLabels, Metrics};
use crate::names;
use crate::project::Projects;
use crate::sandbox::Sandbox;
use crate::settings::Settings;
use crate::upstream::{self, Processes, RelayState, Upstream, UpstreamError};

/// A server that failed to start is not tried again for this long, doubling up to
/// `MAX_BACKOFF` while it keeps failing.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct Gateway {
    pub settings: Settings,
    pub mcpd: client::Client,
    pub access: Access,
    pub audit: AuditLog,
    pub metrics: Metrics,
    pub processes: Processes,
    pub sandbox: Sandbox,
    pub projects: Arc<Projects>,
    /// `sharing: shared` upstreams, by project and server: each its own lock, so one slow to
    /// start holds up no other.
    shared: Mutex<HashMap<(ProjectName, String), SharedSlot>>,
    /// Each server's last failure to start, for every session of the gateway.
    failures: Mutex<HashMap<(ProjectName, String), Failure>>,
    /// The servers whose tools are being reported to mcpd.
    reporting: Mutex<HashSet<(ProjectName, String)>>,
    ids: std::sync::atomic::AtomicU64,
    /// How each server stands at this gateway, as reported to mcpd.
    standings: Mutex<HashMap<(ProjectName, String), Standing>>,
    /// Woken when a standing changes, to report it soon.
    stood: tokio::sync::Notify,
}

/// How a server stands at this gateway, and since when.
#[derive(Clone, Debug, PartialEq)]
struct Standing {
    state: ServerState,
    reason: Option<String>,
    since: String,
}

/// The most tools one report to mcpd carries, well within its request size limit.
const TOOLS_PER_REPORT: usize = 200;

/// How often the gateway reports its servers' standings to mcpd (and sooner after a change).
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// What a recorded call was: who asked what of which project and server.
pub struct Call<'a> {
    /// When it started (RFC 3339).
    pub time: &'a str,
    pub principal: &'a str,
    pub project: &'a ProjectName,
    /// `None` when the request was refused before it named a server.
    pub server: Option<&'a str>,
    pub kind: CallKind,
    pub name: &'a str,
}

/// The upstream session of a shared server, once started.
type SharedSlot = Arc<tokio::sync::Mutex<Option<Arc<Upstream>>>>;

struct Failure {
    /// The settings that failed: other settings are tried at once.
    spec: ResolvedServer,
    error: UpstreamError,
    until: Instant,
    backoff: Duration,
}

impl Gateway {
    pub fn new(
        settings: Settings,
        sandbox: Sandbox,
        mcpd: client::Client,
        audit: AuditLog,
        metrics: Metrics,
    ) -> Gateway {
        Gateway {
            processes: Processes::new(settings.max_processes, metrics.clone()),
            sandbox,
            access: Access::new(mcpd.clone()),
            projects: Arc::new(Projects::new(mcpd.clone())),
            settings,
            mcpd,
            audit,
            metrics,
            shared: Mutex::default(),
            failures: Mutex::default(),
            reporting: Mutex::default(),
            ids: std::sync::atomic::AtomicU64::new(1),
            standings: Mutex::default(),
            stood: tokio::sync::Notify::new(),
        }
    }

    /// A number no other call of this gateway has had.
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// The failure that keeps `spec` from being started now, if any.
    pub fn backing_off(&self, project: &ProjectName, spec: &ResolvedServer) -> Option<UpstreamError> {
        let failures = self.failures.lock().unwrap();
        let failure = failures.get(&(project.clone(), spec.name.clone()))?;
        (Instant::now() < failure.until && upstream::same_settings(&failure.spec, spec)).then(|| failure.error.clone())
    }

    /// Whether `spec` failed the last time it was started: a listing does not wait for it.
    pub fn is_down(&self, project: &ProjectName, spec: &ResolvedServer) -> bool {
        let failures = self.failures.lock().unwrap();
        failures.get(&(project.clone(), spec.name.clone())).is_some_and(|f| upstream::same_settings(&f.spec, spec))
    }

    /// Starts an upstream session for `spec`, unless it failed moments ago: a failure backs
    /// off that server for every session of the gateway, and is logged once per attempt.
    pub async fn start(
        &self,
        project: &ProjectName,
        spec: &ResolvedServer,
        relay: Arc<RelayState>,
    ) -> Result<Upstream, UpstreamError> {
        if let Some(error) = self.backing_off(project, spec) {
            return Err(error);
        }
        let start = upstream::Start {
            processes: &self.processes,
            sandbox: &self.sandbox,
            metrics: &self.metrics,
            timeout: self.settings.start_timeout,
        };
        let key = (project.clone(), spec.name.clone());
        self.stand(&key, ServerState::Starting, None);
        match upstream::start(spec, relay, start).await {
            Ok(upstream) => {
                self.failures.lock().unwrap().remove(&key);
                self.stand(&key, ServerState::Ready, None);
                Ok(upstream)
            }
            Err(error) => {
                self.stand(&key, ServerState::Unavailable, Some(error.cause.to_string()));
                tracing::warn!(%project, server = %spec.name, "upstream unavailable: {}", error.cause);
                let mut failures = self.failures.lock().unwrap();
                let backoff = match failures.get(&key) {
                    Some(last) if upstream::same_settings(&last.spec, spec) => (last.backoff * 2).min(MAX_BACKOFF),
                    _ => FIRST_BACKOFF,
                };
                let failure =
                    Failure { spec: spec.clone(), error: error.clone(), until: Instant::now() + backoff, backoff };
                failures.insert(key, failure);
                Err(error)
            }
        }
    }

    /// The one upstream session of a `sharing: shared` server.
    pub async fn shared_upstream(
        &self,
        project: &ProjectName,
        spec: &ResolvedServer,
    ) -> Result<Arc<Upstream>, UpstreamError> {
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
        // Its clients' revisions differ: it speaks rmcp's newest.
        let timeout = self.settings.call_timeout;
        let relay = RelayState::new(project.clone(), spec.name.clone(), capabilities, None, timeout);
        let upstream = Arc::new(self.start(project, spec, relay).await?);
        *slot = Some(upstream.clone());
        Ok(upstream)
    }

    /// Each listed tool's fingerprint, by exposed name. Tools whose definition mcpd has not
    /// recorded are reported to it (in the background, once while a report is under way):
    /// mcpd keeps the fingerprints for every replica and restart, and a changed definition
    /// is an audit event naming server and tool.
    pub fn note_tools(
        self: &Arc<Self>,
        project: &ProjectName,
        gathered: &Gathered<Tool>,
        rules: &ToolRules,
    ) -> HashMap<String, String> {
        let mut fingerprints = HashMap::new();
        for (server, list) in gathered {
            let mut unrecorded = Vec::new();
            for tool in list {
                let shown = names::exposed(server, &tool.name);
                let definition = catalog::definition(tool);
                let fingerprint = definition.fingerprint();
                let recorded = rules.recorded.get(&shown).filter(|r| &r.server == server);
                if recorded.and_then(|r| r.seen.as_deref()) != Some(fingerprint.as_str()) {
                    unrecorded.push(ReportedTool { name: shown.clone(), definition });
                }
                fingerprints.insert(shown, fingerprint);
            }
            if !unrecorded.is_empty() {
                self.report_tools(project.clone(), server.clone(), unrecorded);
            }
        }
        fingerprints
    }

    fn report_tools(self: &Arc<Self>, project: ProjectName, server: String, tools: Vec<ReportedTool>) {
        let key = (project.clone(), server.clone());
        if !self.reporting.lock().unwrap().insert(key.clone()) {
            return;
        }
        let gateway = self.clone();
        tokio::spawn(async move {
            for chunk in tools.chunks(TOOLS_PER_REPORT) {
                let report = ToolReport { project: project.clone(), server: server.clone(), tools: chunk.to_vec() };
                match gateway.mcpd.report_tools(&report).await {
                    Ok(result) => {
                        for name in result.changed {
                            tracing::warn!(%project, %server, tool = %name, "an upstream server changed a tool's definition");
                            gateway.audit.record(CallEvent {
                                time: audit::now(),
                                principal: "mcpgw".to_owned(),
                                project: project.clone(),
                                server: Some(server.clone()),
                                kind: CallKind::ToolChanged,
                                name: audit::name(&name),
                                duration_ms: 0,
                                outcome: CallOutcome::Ok,
                            });
                        }
                    }
                    Err(e) => {
                        tracing::warn!(%project, %server, "cannot record the server's tools in mcpd: {e}");
                        break;
                    }
                }
            }
            gateway.reporting.lock().unwrap().remove(&key);
        });
    }

    /// Notes how a server stands. A start does not make a ready server `starting` (another
    /// session has it running), and nothing changes `since` but a change of state.
    fn stand(&self, key: &(ProjectName, String), state: ServerState, reason: Option<String>) {
        let mut standings = self.standings.lock().unwrap();
        let current = standings.get(key);
        if state == ServerState::Starting && current.is_some_and(|c| c.state == ServerState::Ready) {
            return;
        }
        if current.is_some_and(|c| c.state == state && c.reason == reason) {
            return;
        }
        standings.insert(key.clone(), Standing { state, reason, since: audit::now() });
        self.stood.notify_one();
    }

    /// Reports how each server of the followed projects stands at this gateway, every
    /// `REPORT_EVERY` and soon after a change, as `name`, until the gateway stops.
    pub fn report_standings(self: &Arc<Self>, name: String) {
        let gateway = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(woken) = gateway.upgrade().map(|g| async move { g.stood.notified().await }) else { return };
                let _ = tokio::time::timeout(REPORT_EVERY, woken).await;
                // Changes close together go in one report.
                tokio::time::sleep(Duration::from_millis(200)).await;
                let Some(gateway) = gateway.upgrade() else { return };
                let report = GatewayReport { gateway: name.clone(), servers: gateway.standings() };
                if let Err(e) = gateway.mcpd.report_gateway_status(&report).await {
                    tracing::debug!("cannot report the servers' standings to mcpd: {e}");
                }
            }
        });
    }

    /// The standings of the servers the followed projects still have.
    fn standings(&self) -> Vec<ServerReport> {
        let standings = self.standings.lock().unwrap().clone();
        let mut reports: Vec<ServerReport> = standings
            .into_iter()
            .filter(|((project, server), _)| self.projects.has_server(project, server))
            .map(|((project, server), standing)| ServerReport {
                project,
                server,
                state: standing.state,
                reason: standing.reason,
                since: standing.since,
            })
            .collect();
        reports.sort_by(|a, b| (&a.project, &a.server).cmp(&(&b.project, &b.server)));
        reports.truncate(shared::api::MAX_SERVER_REPORTS);
        reports
    }

    /// Counts a call (or a refused request) and writes it to the audit trail: never its
    /// arguments or results.
    pub fn record_call(&self, call: Call<'_>, elapsed: Duration, outcome: CallOutcome) {
        let labels = CallLabels {
            project: call.project.to_string(),
            server: call.server.unwrap_or_default().to_owned(),
            kind: call.kind.as_str(),
            outcome: outcome.as_str(),
        };
        self.metrics.calls.get_or_create(&labels).inc();
        self.metrics.call_seconds.observe(elapsed.as_secs_f64());
        self.audit.record(CallEvent {
            time: call.time.to_owned(),
            principal: call.principal.to_owned(),
            project: call.project.clone(),
            server: call.server.map(str::to_owned),
            kind: call.kind,
            name: audit::name(call.name),
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            outcome,
        });
    }

    /// Ends shared upstreams no session uses any more.
    pub fn reap_shared(&self) {
        self.shared.lock().unwrap().retain(|_, slot| match slot.try_lock() {
            Ok(mut upstream) => {
                if upstream.as_ref().is_some_and(|u| u.is_closed() || Arc::strong_count(u) == 1) {
                    *upstream = None;
                }
                upstream.is_some()
            }
            Err(_) => true,
        });
    }

    /// Ends every shared upstream and child process.
    pub async fn shut_down(&self) {
        self.shared.lock().unwrap().clear();
        self.processes.terminate_all(Duration::from_secs(3)).await;
    }
}
