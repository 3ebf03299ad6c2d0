//! The gateway's HTTP face. Every route declares who may use it (`ROUTES`, walked by a test):
//! `/projects/{project}/mcp` for callers holding `run connect` on the project (`endpoint`),
//! `/metrics` behind `--metrics-token` when set, and the probes.

mod endpoint;
mod holders;
mod refusal;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use futures::StreamExt;
use shared::name::ProjectName;
use tokio_util::sync::CancellationToken;

use holders::Holders;
use refusal::refuse;

use crate::access::Refusal;
use crate::session::Sessions;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the probes.
    Public,
    /// The bearer `--metrics-token` names, when it is set.
    MetricsToken,
    /// A credential holding `run connect` on the project in the path.
    Connect,
}

/// Every route of the gateway and who may use it.
pub const ROUTES: &[(&str, Access)] = &[
    ("/projects/{project}/mcp", Access::Connect),
    ("/healthz", Access::Public),
    ("/readyz", Access::Public),
    ("/metrics", Access::MetricsToken),
];

#[derive(Clone)]
pub struct App {
    sessions: Arc<Sessions>,
    endpoints: Arc<Mutex<HashMap<ProjectName, endpoint::Endpoint>>>,
    holders: Arc<Holders>,
    shutdown: CancellationToken,
}

pub fn router(sessions: Arc<Sessions>, shutdown: CancellationToken) -> Router {
    let settings = &sessions.gateway.settings;
    let holders = Holders::new(settings.max_sessions_per_credential as usize, settings.max_sessions as usize);
    let app = App { sessions, endpoints: Arc::default(), holders, shutdown };
    tokio::spawn(watch_revocations(app.clone()));
    let mut router = Router::new();
    for (path, access) in ROUTES {
        router = match (*path, access) {
            (path, Access::Connect) => router.route(path, any(endpoint::mcp)),
            ("/healthz", Access::Public) => router.route("/healthz", get(|| async { "ok\n" })),
            ("/readyz", Access::Public) => router.route("/readyz", get(ready)),
            (path, Access::MetricsToken) => router.route(path, get(metrics)),
            (path, access) => unreachable!("{path} has no handler for {access:?}"),
        };
    }
    router.fallback(not_found).with_state(app)
}

/// Any other path: 404 with a Status body that says where the endpoint is.
async fn not_found(uri: axum::http::Uri) -> Response {
    let path = uri.path();
    let endpoint = path
        .trim_end_matches('/')
        .strip_prefix("/projects/")
        .and_then(|rest| rest.strip_suffix("/mcp"))
        .filter(|project| !project.is_empty() && !project.contains('/'));
    let message = match endpoint {
        Some(project) => format!(
            "no such path; a project's endpoint has no trailing slash: /projects/{}/mcp",
            shared::name::shown(project)
        ),
        None => "no such path; the gateway serves /projects/{project}/mcp, /healthz, /readyz and /metrics".to_owned(),
    };
    refuse(StatusCode::NOT_FOUND, "NotFound", &message)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// mcpd reachable and the credential valid, holding `run serve`; the body warns when stdio
/// servers run unconfined or cannot run.
async fn ready(State(app): State<App>) -> Response {
    let question = shared::api::CanIRequest {
        verb: "run".to_owned(),
        kind: "serve".to_owned(),
        name: None,
        project: None,
        as_user: None,
    };
    match app.sessions.gateway.mcpd.can_i(&question).await {
        Ok(answer) if answer.allowed => match app.sessions.gateway.sandbox.warning() {
            Some(warning) => (StatusCode::OK, format!("ready\nwarning: {warning}\n")).into_response(),
            None => (StatusCode::OK, "ready\n").into_response(),
        },
        Ok(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "the gateway's credential does not hold run serve",
        ),
        Err(e) => refuse(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", &format!("mcpd: {e}")),
    }
}

async fn metrics(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(expected) = &app.sessions.gateway.settings.metrics_token {
        if bearer(&headers) != Some(expected.as_str()) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "/metrics needs its bearer token (--metrics-token)",
            );
        }
    }
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], app.sessions.gateway.metrics.render()).into_response()
}

/// Asks mcpd again, every `holders::RECHECK`, about each credential holding a stream or a
/// session; one revoked or no longer allowed to connect loses its standing streams at once,
/// and its sessions (their upstream sessions and processes with them) once the answers
/// already on their way are out.
async fn watch_revocations(app: App) {
    let mut tick = tokio::time::interval(holders::RECHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = app.shutdown.cancelled() => return,
        }
        let access = &app.sessions.gateway.access;
        let answers: Vec<_> = futures::stream::iter(app.holders.held())
            .map(|(key, project, bearer)| async move {
                let answer = access.recheck(&bearer, &project).await;
                (key, project, answer)
            })
            .buffer_unordered(holders::RECHECKS_AT_ONCE)
            .collect()
            .await;
        for (key, project, answer) in answers {
            if matches!(answer, Err(Refusal::Unauthenticated(_) | Refusal::Forbidden(_))) {
                app.holders.revoke(&key, &project);
                app.sessions.forget_credential(&key, &project);
            }
        }
        for (project, sessions) in app.holders.closable() {
            let manager = app.endpoint(&project).manager;
            for id in &sessions {
                use rmcp::transport::streamable_http_server::session::SessionManager;
                let _ = manager.close_session(&id.as_str().into()).await;
            }
            tracing::info!(%project, sessions = sessions.len(), "a credential was revoked or lost connect: its streams and sessions ended");
        }
    }
}
