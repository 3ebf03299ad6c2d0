//! `/projects/{project}/mcp`: the credential check, then the project's rmcp
//! `StreamableHttpService`, each session bound to the credential that opened it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, SessionConfig};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use shared::name::ProjectName;
use tower::ServiceExt;

use super::refusal::refuse;
use super::{bearer, App};
use crate::access::Refusal;
use crate::session::Session;

/// Requests over this are refused (413).
pub const MAX_REQUEST: usize = 4 * 1024 * 1024;

pub type Endpoint = StreamableHttpService<Session, LocalSessionManager>;

/// The credential (its hash) that opened each session: every method on a session, its GET
/// stream and DELETE included, must come with the same one.
pub type Owners = Mutex<HashMap<String, [u8; 32]>>;

/// Sessions whose owner is kept; past it, the oldest knowledge is dropped (each handler still
/// checks the credential of every request it serves).
const MAX_OWNERS: usize = 100_000;

pub async fn mcp(State(app): State<App>, Path(project): Path<String>, mut request: Request) -> Response {
    let Ok(project) = ProjectName::parse(&project) else {
        return refuse(StatusCode::NOT_FOUND, "NotFound", &format!("projects \"{project}\" not found"));
    };
    let Some(bearer) = bearer(request.headers()) else {
        app.sessions.gateway.metrics.refused.inc();
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "this endpoint needs Authorization: Bearer with an McpToken or session",
        );
    };
    let caller = match app.sessions.gateway.access.check(bearer, &project).await {
        Ok(caller) => caller,
        Err(Refusal::Unauthenticated(why)) => {
            app.sessions.gateway.metrics.refused.inc();
            return refuse(StatusCode::UNAUTHORIZED, "Unauthorized", &why);
        }
        Err(Refusal::Forbidden(why)) => {
            app.sessions.gateway.metrics.refused.inc();
            return refuse(StatusCode::FORBIDDEN, "Forbidden", &why);
        }
        Err(Refusal::Unavailable(why)) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", &why),
    };
    match app.sessions.gateway.projects.load(&project).await {
        Ok(true) => {}
        Ok(false) => return refuse(StatusCode::NOT_FOUND, "NotFound", &format!("projects \"{project}\" not found")),
        Err(e) => {
            tracing::warn!(%project, "cannot resolve the project: {e}");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "the gateway cannot reach mcpd now");
        }
    }
    let session = request.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(id) = &session {
        if app.owners.lock().unwrap().get(id).is_some_and(|owner| *owner != caller.key) {
            app.sessions.gateway.metrics.refused.inc();
            return refuse(StatusCode::FORBIDDEN, "Forbidden", "this session belongs to another credential");
        }
    }
    let (key, ending) = (caller.key, request.method() == axum::http::Method::DELETE);
    let posted = request.method() == axum::http::Method::POST;
    request.extensions_mut().insert(caller);
    let endpoint = app.endpoint(&project);
    let mut response = match endpoint.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if posted && is_event_stream(&response) {
        response = hold_head(response).await;
    }
    let mut owners = app.owners.lock().unwrap();
    match (&session, response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok())) {
        (Some(id), _) if ending => drop(owners.remove(id)),
        (None, Some(opened)) => {
            if owners.len() >= MAX_OWNERS {
                owners.clear();
            }
            owners.insert(opened.to_owned(), key);
        }
        _ => {}
    }
    response
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
    fn endpoint(&self, project: &ProjectName) -> Endpoint {
        let mut endpoints = self.endpoints.lock().unwrap();
        endpoints
            .entry(project.clone())
            .or_insert_with(|| {
                let settings = &self.sessions.gateway.settings;
                let mut session_config = SessionConfig::default();
                session_config.keep_alive = Some(settings.session_idle_timeout);
                let mut manager = LocalSessionManager::default();
                manager.session_config = session_config;
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
                StreamableHttpService::new(
                    move || Ok(Session::new(sessions.clone(), project.clone())),
                    Arc::new(manager),
                    config,
                )
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use axum::body::Bytes;
    use axum::response::IntoResponse;
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
