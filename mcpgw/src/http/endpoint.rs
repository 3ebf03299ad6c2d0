//! `/projects/{project}/mcp`: the credential check, then the project's rmcp
//! `StreamableHttpService`, each session bound to the credential that opened it.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, SessionConfig};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use shared::api::{CallKind, CallOutcome};
use shared::name::ProjectName;
use tower::ServiceExt;

use super::holders::{Full, Stream};
use super::refusal::refuse;
use super::{bearer, App};
use crate::access::{Held, Refusal};
use crate::gateway::Call;
use crate::session::Session;

/// Requests over this are refused (413).
pub const MAX_REQUEST: usize = 4 * 1024 * 1024;

/// A project's rmcp service and its session manager (to end sessions from outside).
#[derive(Clone)]
pub struct Endpoint {
    service: StreamableHttpService<Session, LocalSessionManager>,
    pub manager: Arc<LocalSessionManager>,
}

pub async fn mcp(State(app): State<App>, Path(project): Path<String>, mut request: Request) -> Response {
    let Ok(project) = ProjectName::parse(&project) else {
        return refuse(StatusCode::NOT_FOUND, "NotFound", &format!("projects \"{project}\" not found"));
    };
    let gateway = &app.sessions.gateway;
    let Some(bearer) = bearer(request.headers()).map(str::to_owned) else {
        record_refusal(&app, &project, "anonymous");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "this endpoint needs Authorization: Bearer with an McpToken or session",
        );
    };
    let caller = match gateway.access.check(&bearer, &project).await {
        Ok(caller) => caller,
        Err(Refusal::Unauthenticated(why)) => {
            record_refusal(&app, &project, &shared::token::refused_name(&bearer));
            return refuse(StatusCode::UNAUTHORIZED, "Unauthorized", &why);
        }
        Err(Refusal::Forbidden(why)) => {
            record_refusal(&app, &project, &shared::token::refused_name(&bearer));
            return refuse(StatusCode::FORBIDDEN, "Forbidden", &why);
        }
        Err(Refusal::Unavailable(why)) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", &why),
    };
    match gateway.projects.load(&project).await {
        Ok(true) => {}
        Ok(false) => return refuse(StatusCode::NOT_FOUND, "NotFound", &format!("projects \"{project}\" not found")),
        Err(e) => {
            tracing::warn!(%project, "cannot resolve the project: {e}");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "the gateway cannot reach mcpd now");
        }
    }
    let method = request.method().clone();
    let session = request.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut binding = None;
    match &session {
        Some(id) => match app.holders.owner(id) {
            None => {
                return refuse(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "no such session: it ended or never existed; initialize a new one",
                )
            }
            Some(owner) if owner != caller.key => {
                record_refusal(&app, &project, &caller.principal);
                return refuse(StatusCode::FORBIDDEN, "Forbidden", "this session belongs to another credential");
            }
            Some(_) => {}
        },
        None if method == Method::POST => {
            if let Err(full) = app.holders.room(&caller.key) {
                // Only a new session counts against the caps: read what is asked.
                let (parts, body) = request.into_parts();
                let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST).await else {
                    return refuse(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "RequestEntityTooLarge",
                        "requests are at most 4 MiB",
                    );
                };
                if is_initialize(&body) {
                    record_refusal(&app, &project, &caller.principal);
                    return match full {
                        Full::Credential(max) => too_many(max),
                        Full::Gateway(max) => refuse(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "ServiceUnavailable",
                            &format!(
                                "the gateway holds its maximum of {max} sessions (--max-sessions); try again later"
                            ),
                        ),
                    };
                }
                request = Request::from_parts(parts, Body::from(body));
            }
            let bound = app.holders.bind(caller.key, &project, &bearer);
            request.extensions_mut().insert(Held::new(bound.clone()));
            binding = Some(bound);
        }
        None => {}
    }
    let key = caller.key;
    request.extensions_mut().insert(caller);
    let endpoint = app.endpoint(&project);
    let mut response = match endpoint.service.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if let (Some(binding), Some(opened)) =
        (&binding, response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()))
    {
        app.holders.opened(binding, opened);
    }
    if is_event_stream(&response) {
        let (parts, body) = response.into_parts();
        let kind = if method == Method::GET { Stream::Standing } else { Stream::Answer };
        response = Response::from_parts(parts, app.holders.stream(key, &project, &bearer, body, kind));
        if method == Method::POST {
            response = hold_head(response).await;
        }
    }
    if let (Some(id), true) = (&session, method == Method::DELETE && response.status().is_success()) {
        app.holders.ended(id);
        return StatusCode::NO_CONTENT.into_response();
    }
    response
}

/// A request refused before it named a tool: counted, and in the audit trail as a `connect`
/// refused, under the project's name.
fn record_refusal(app: &App, project: &ProjectName, principal: &str) {
    let gateway = &app.sessions.gateway;
    gateway.metrics.refused.inc();
    let time = crate::audit::now();
    let call = Call { time: &time, principal, project, server: None, kind: CallKind::Connect, name: project.as_str() };
    gateway.record_call(call, std::time::Duration::ZERO, CallOutcome::Refused);
}

/// 429 for a credential at its cap, with when to try again.
fn too_many(max: usize) -> Response {
    let message = format!(
        "this credential holds its maximum of {max} sessions (--max-sessions-per-credential); end one (DELETE) or wait for one to expire"
    );
    let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", &message);
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
    response
}

/// Whether a request body is (or, as a batch, holds) an `initialize` request.
fn is_initialize(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Message {
        method: Option<String>,
    }
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Body {
        One(Message),
        Batch(Vec<Message>),
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body::One(m)) => m.method.as_deref() == Some("initialize"),
        Ok(Body::Batch(all)) => all.iter().any(|m| m.method.as_deref() == Some("initialize")),
        Err(_) => false,
    }
}

/// How long the head of an answer to a POST waits for the answer's first message.
const HEAD_HOLD: std::time::Duration = std::time::Duration::from_millis(100);

fn is_event_stream(response: &Response) -> bool {
    response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"))
}

/// Holds the head of a POST's event stream until its first message is ready (for at most
/// `HEAD_HOLD`), so a quick answer leaves in one write with its head and priming event rather
/// than in two: one write and one wake-up of the client less on every call.
async fn hold_head(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let mut body = body.into_data_stream();
    let mut held = Vec::new();
    let deadline = tokio::time::sleep(HEAD_HOLD);
    tokio::pin!(deadline);
    let ended = loop {
        tokio::select! {
            biased;
            frame = body.next() => match frame {
                Some(frame) => {
                    let message = frame.as_ref().map_or(true, |data| carries_message(data));
                    held.push(frame);
                    if message {
                        break false;
                    }
                }
                None => break true,
            },
            () = &mut deadline => break false,
        }
    };
    let held = futures::stream::iter(held);
    let body = if ended { Body::from_stream(held) } else { Body::from_stream(held.chain(body)) };
    Response::from_parts(parts, body)
}

/// An SSE event with a JSON-RPC message as its data (a priming event's data is empty).
fn carries_message(event: &[u8]) -> bool {
    event
        .split(|b| *b == b'\n')
        .any(|line| line.strip_prefix(b"data:").is_some_and(|data| !data.trim_ascii().is_empty()))
}

impl App {
    /// The project's rmcp service, made on first use.
    pub fn endpoint(&self, project: &ProjectName) -> Endpoint {
        let mut endpoints = self.endpoints.lock().unwrap();
        endpoints
            .entry(project.clone())
            .or_insert_with(|| {
                let settings = &self.sessions.gateway.settings;
                let mut session_config = SessionConfig::default();
                session_config.keep_alive = Some(settings.session_idle_timeout);
                let mut manager = LocalSessionManager::default();
                manager.session_config = session_config;
                let manager = Arc::new(manager);
                let mut config = StreamableHttpServerConfig::default()
                    .with_max_request_body_bytes(MAX_REQUEST)
                    .with_cancellation_token(self.shutdown.child_token());
                config = if settings.allowed_hosts.iter().any(|h| h == "*") {
                    config.disable_allowed_hosts()
                } else {
                    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
                    hosts.extend(settings.allowed_hosts.iter().cloned());
                    config.with_allowed_hosts(hosts)
                };
                let sessions = self.sessions.clone();
                let project = project.clone();
                let service = StreamableHttpService::new(
                    move || Ok(Session::new(sessions.clone(), project.clone())),
                    manager.clone(),
                    config,
                );
                Endpoint { service, manager }
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use axum::body::Bytes;
    use futures::StreamExt;

    use super::*;

    const PRIMING: &[u8] = b"data: \nid: 0/1\nretry: 3000\n\n";
    const ANSWER: &[u8] = b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\nid: 1/1\n\n";

    /// An event-stream response whose events arrive after the given delays.
    fn stream(events: Vec<(Duration, &'static [u8])>) -> Response {
        let body = futures::stream::iter(events).then(|(delay, event)| async move {
            tokio::time::sleep(delay).await;
            Ok::<_, std::convert::Infallible>(Bytes::from_static(event))
        });
        ([(header::CONTENT_TYPE, "text/event-stream")], Body::from_stream(body)).into_response()
    }

    async fn text(response: Response) -> String {
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[test]
    fn an_initialize_is_found_alone_or_in_a_batch() {
        assert!(is_initialize(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#));
        assert!(is_initialize(br#"[{"jsonrpc":"2.0","method":"x"},{"jsonrpc":"2.0","id":1,"method":"initialize"}]"#));
        assert!(!is_initialize(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#));
        assert!(!is_initialize(b"not json"));
    }

    #[test]
    fn only_events_with_data_carry_a_message() {
        assert!(carries_message(ANSWER));
        assert!(carries_message(b"data:{}\n\n"));
        assert!(!carries_message(PRIMING));
        assert!(!carries_message(b": keep-alive\n\n"));
    }

    #[tokio::test]
    async fn the_head_waits_for_the_first_message_and_loses_no_event() {
        let delay = Duration::from_millis(20);
        let started = Instant::now();
        let response = hold_head(stream(vec![(Duration::ZERO, PRIMING), (delay, ANSWER)])).await;
        assert!(started.elapsed() >= delay, "the head left before the answer");
        assert!(is_event_stream(&response));
        let body = text(response).await;
        assert_eq!(body.as_bytes(), [PRIMING, ANSWER].concat());
    }

    #[tokio::test]
    async fn a_slow_answer_gets_its_head_after_the_hold_and_its_events_later() {
        let slow = HEAD_HOLD * 3;
        let started = Instant::now();
        let response = hold_head(stream(vec![(Duration::ZERO, PRIMING), (slow, ANSWER)])).await;
        let held = started.elapsed();
        assert!(held >= HEAD_HOLD && held < slow, "the head waited {held:?}");
        let body = text(response).await;
        assert!(started.elapsed() >= slow);
        assert_eq!(body.as_bytes(), [PRIMING, ANSWER].concat());
    }

    #[tokio::test]
    async fn a_stream_that_ends_early_ends_the_same() {
        let response = hold_head(stream(vec![(Duration::ZERO, PRIMING)])).await;
        assert_eq!(text(response).await.as_bytes(), PRIMING);
    }
}
