//! Relaying one request to its server and waiting for the answer: progress and cancellation
//! follow it, a session found gone is started again once, a stateless client's call is
//! suspended while the server asks it something (`input_required`), and every call ends in
//! the metrics and the audit trail.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CancelledNotificationParam, ClientRequest, InputRequests, InputRequiredResult, InputResponses, ServerResult,
};
use rmcp::service::{PeerRequestOptions, RequestContext, RoleServer, ServiceError};
use rmcp::ErrorData as McpError;
use shared::api::{CallKind, CallOutcome};

use super::state::SessionState;
use crate::audit;
use crate::gateway::Call;
use crate::upstream::{InputAsk, Upstream};

/// A request sent to a server whose answer is awaited, across client requests when a
/// stateless client must answer the server's questions first.
pub struct Pending {
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
pub enum Relayed {
    New(ClientRequest),
    Resumed(Pending),
}

/// A hard signal that the upstream session is gone: its process exited (a write to it fails,
/// or its output ends) or its connection closed.
fn lost(error: &ServiceError) -> bool {
    matches!(error, ServiceError::TransportClosed | ServiceError::TransportSend(_))
}

/// Whether a request came from a stateless (2026-07-28) client, which cannot be sent requests.
pub fn is_stateless(context: &RequestContext<RoleServer>) -> bool {
    context.protocol_version().is_some_and(|v| v.as_str() >= "2026-07-28")
}

impl SessionState {
    /// Sends `request` to `server` and waits for its answer, relaying progress and
    /// cancellation. A session found gone (its process exited, its connection closed) is
    /// started again and the request sent again, once.
    pub async fn relay(
        self: &Arc<Self>,
        server: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, (CallOutcome, McpError)> {
        let timeout = self.gateway.settings.call_timeout;
        let stateless = is_stateless(context);
        let mut retried = false;
        loop {
            let upstream = self.upstream(server).await.map_err(|e| (CallOutcome::Error, e.to_mcp()))?;
            let options = PeerRequestOptions::with_timeout(timeout);
            let handle = match upstream.peer().send_request_with_option(request.clone(), options).await {
                Ok(handle) => handle,
                Err(e) => {
                    if lost(&e) && upstream.over_limit().await.is_none() && !retried {
                        retried = true;
                        self.forget(server, &upstream).await;
                        continue;
                    }
                    return Err((CallOutcome::Error, upstream.failed(&e).to_mcp()));
                }
            };
            let (inputs, asked) = match stateless {
                true => {
                    let (sender, receiver) = tokio::sync::mpsc::channel(8);
                    (Some(sender), Some(receiver))
                }
                false => (None, None),
            };
            let used = upstream.clone();
            let failed = |e: &ServiceError| used.failed(e).to_mcp();
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
            let waited = self.wait(pending, context).await;
            if let Waited::Answer(Err(e)) = &waited {
                // The process exited or the connection is gone: a hard signal. Start the
                // session again, once (not when its sandbox ended it at a limit, which the
                // same request would only reach again).
                if lost(e) && used.over_limit().await.is_none() && !retried {
                    retried = true;
                    self.forget(server, &used).await;
                    continue;
                }
            }
            return self.answered(server, waited, failed);
        }
    }

    /// Waits for a relayed request's answer. For a stateless client, a request the server
    /// sends meanwhile suspends the wait: the client gets `input_required`, and its next
    /// request, carrying the answers and the `requestState`, resumes it.
    async fn wait(self: &Arc<Self>, mut pending: Pending, context: &RequestContext<RoleServer>) -> Waited {
        let relay = pending.upstream.relay.clone();
        relay.track(
            pending.token.clone(),
            &self.downstream,
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
    pub fn resume(&self, state: &Option<String>, answers: &mut Option<InputResponses>) -> Option<Pending> {
        let mut pending = self.suspended.lock().unwrap().remove(state.as_ref()?)?;
        for (key, value) in answers.take().unwrap_or_default() {
            if let Some(reply) = pending.waiting.remove(&key) {
                let _ = reply.send(value);
            }
        }
        Some(pending)
    }

    /// What the client gets for a relayed request's end.
    fn answered(
        &self,
        server: &str,
        waited: Waited,
        failed: impl FnOnce(&ServiceError) -> McpError,
    ) -> Result<ServerResult, (CallOutcome, McpError)> {
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
            Waited::Answer(Err(e)) => Err((CallOutcome::Error, failed(&e))),
            Waited::Cancelled => Err((CallOutcome::Error, McpError::internal_error("cancelled by the client", None))),
        }
    }

    /// Relays a call and records it: metrics and the audit trail (never arguments or results).
    pub async fn call(
        self: &Arc<Self>,
        kind: CallKind,
        server: &str,
        name: &str,
        request: Relayed,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, McpError> {
        let time = audit::now();
        let started = Instant::now();
        let answer = match request {
            Relayed::New(request) => self.relay(server, request, context).await,
            Relayed::Resumed(pending) => {
                let since = pending.since;
                let used = pending.upstream.clone();
                let waited = self.wait(pending, context).await;
                if let Waited::Answer(Err(e)) = &waited {
                    if lost(e) {
                        used.over_limit().await;
                    }
                }
                let answer = self.answered(server, waited, |e| used.failed(e).to_mcp());
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
        let call =
            Call { time, principal: &self.caller.principal, project: &self.project, server: Some(server), kind, name };
        self.gateway.record_call(call, elapsed, outcome);
        answer.map_err(|(_, e)| e)
    }
}

impl SessionState {
    /// Records a request refused or failed before it reached a server: an unknown name, or a
    /// server that is unavailable. The client gets `error`.
    pub fn refused(&self, kind: CallKind, name: &str, refusal: Refused) -> McpError {
        let time = audit::now();
        let call = Call {
            time: &time,
            principal: &self.caller.principal,
            project: &self.project,
            server: refusal.server.as_deref(),
            kind,
            name,
        };
        self.gateway.record_call(call, Duration::ZERO, refusal.outcome);
        refusal.error
    }
}

/// Why a name could not be relayed: the server when known, the outcome the audit trail
/// records, and the client's error.
pub struct Refused {
    pub server: Option<String>,
    pub outcome: CallOutcome,
    pub error: McpError,
}

impl From<Refused> for McpError {
    fn from(refused: Refused) -> McpError {
        refused.error
    }
}
