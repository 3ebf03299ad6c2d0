//! What an upstream server sends back: `Relay` is the rmcp `ClientHandler` of an upstream
//! session. It relays progress, logging, resource updates and list changes, and the server's
//! requests (sampling, elicitation, roots), to the client session that caused them, through
//! that session's [`Downstream`].

// Sampling, roots and logging are deprecated in the newest protocol revision, and relayed as
// long as servers and clients of the older ones use them.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use rmcp::model::{
    ClientCapabilities, ClientConfig, CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequest, ElicitRequestParams, ElicitResult, Implementation, InputRequest, ListRootsRequest, ListRootsResult,
    LoggingMessageNotification, LoggingMessageNotificationParam, ProgressNotification, ProgressNotificationParam,
    ProgressToken, ProtocolVersion, ResourceUpdatedNotification, ResourceUpdatedNotificationParam, ServerNotification,
};
use rmcp::service::{NotificationContext, Peer, RequestContext, RoleClient, RoleServer};
use rmcp::{ClientHandler, ErrorData as McpError};
use shared::name::ProjectName;

use super::bounded::Notifying;
use crate::catalog::Lists;
use crate::downstream::Downstream;

/// What an upstream's handler needs: where to send what the server sends.
pub struct RelayState {
    pub project: ProjectName,
    pub server: String,
    capabilities: ClientCapabilities,
    /// The revision to open the session at: the client's own, so that a client gets what a
    /// direct session at its revision would; `None` for rmcp's newest.
    protocol: Option<ProtocolVersion>,
    /// The client sessions using this upstream: one, or every one for a shared server.
    sessions: Mutex<Vec<Weak<Downstream>>>,
    /// Calls in flight, by the progress token the upstream knows them by.
    inflight: Mutex<HashMap<ProgressToken, InFlight>>,
    next_seq: std::sync::atomic::AtomicU64,
    /// How long a client's answer to the server is awaited (`--call-timeout`).
    timeout: std::time::Duration,
    /// Notifications received and not yet handled (see `bounded`).
    pub notifying: Notifying,
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
    /// The client session the call belongs to: a shared server's request goes only where it
    /// cannot be another client's.
    owner: Arc<Downstream>,
}

impl RelayState {
    pub fn new(
        project: ProjectName,
        server: String,
        capabilities: ClientCapabilities,
        protocol: Option<ProtocolVersion>,
        timeout: std::time::Duration,
    ) -> Arc<RelayState> {
        Arc::new(RelayState {
            project,
            server,
            capabilities,
            protocol,
            sessions: Mutex::default(),
            inflight: Mutex::default(),
            next_seq: Default::default(),
            timeout,
            notifying: Notifying::default(),
        })
    }

    pub fn attach(&self, session: &Arc<Downstream>) {
        let mut sessions = self.sessions.lock().unwrap();
        sessions.retain(|s| s.strong_count() > 0);
        if !sessions.iter().any(|s| std::ptr::eq(s.as_ptr(), Arc::as_ptr(session))) {
            sessions.push(Arc::downgrade(session));
        }
    }

    /// Sessions still open.
    fn sessions(&self) -> Vec<Arc<Downstream>> {
        self.sessions.lock().unwrap().iter().filter_map(Weak::upgrade).collect()
    }

    pub fn track(
        &self,
        upstream_token: ProgressToken,
        owner: &Arc<Downstream>,
        client: Peer<RoleServer>,
        client_token: Option<ProgressToken>,
        inputs: Option<tokio::sync::mpsc::Sender<InputAsk>>,
    ) {
        let seq = self.next_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let owner = owner.clone();
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
        let mut owners = inflight.values().map(|c| &c.owner);
        if let Some(first) = owners.next() {
            if owners.any(|o| !Arc::ptr_eq(o, first)) {
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
    fn listeners(&self) -> Vec<(Peer<RoleServer>, Arc<Downstream>)> {
        let inflight: Vec<_> =
            self.inflight.lock().unwrap().values().map(|c| (c.client.clone(), c.owner.clone())).collect();
        if !inflight.is_empty() {
            return inflight;
        }
        match self.sessions().as_slice() {
            [only] => only.peer().map(|peer| (peer, only.clone())).into_iter().collect(),
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
        let _handled = Handled(&self.0.notifying);
        let target = {
            let inflight = self.0.inflight.lock().unwrap();
            inflight
                .get(&params.progress_token)
                .and_then(|c| Some((c.client.clone(), c.owner.clone(), c.client_token.clone()?)))
        };
        // Only to a client that asked for progress, on its own token.
        if let Some((peer, owner, token)) = target {
            let mut params = params;
            params.progress_token = token;
            let progress = ServerNotification::ProgressNotification(ProgressNotification::new(params));
            owner.notify(&peer, progress).await;
        }
    }

    async fn on_logging_message(&self, params: LoggingMessageNotificationParam, _: NotificationContext<RoleClient>) {
        let _handled = Handled(&self.0.notifying);
        let mut params = params;
        params.logger = Some(match params.logger.take() {
            Some(logger) => format!("{}/{logger}", self.0.server),
            None => self.0.server.clone(),
        });
        for (peer, owner) in self.0.listeners() {
            let message =
                ServerNotification::LoggingMessageNotification(LoggingMessageNotification::new(params.clone()));
            owner.notify(&peer, message).await;
        }
    }

    async fn on_resource_updated(&self, params: ResourceUpdatedNotificationParam, _: NotificationContext<RoleClient>) {
        let _handled = Handled(&self.0.notifying);
        for (peer, owner) in self.0.listeners() {
            let update =
                ServerNotification::ResourceUpdatedNotification(ResourceUpdatedNotification::new(params.clone()));
            owner.notify(&peer, update).await;
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
        let mut config =
            ClientConfig::new(self.0.capabilities.clone(), Implementation::new("mcpgw", env!("CARGO_PKG_VERSION")));
        if let Some(protocol) = &self.0.protocol {
            config.protocol_version = protocol.clone();
        }
        config
    }
}

/// Marks an admitted notification handled when dropped.
struct Handled<'a>(&'a Notifying);

impl Drop for Handled<'_> {
    fn drop(&mut self) {
        self.0.done();
    }
}

impl Relay {
    fn lists_changed(&self, lists: Lists) {
        for session in self.0.sessions() {
            session.stale(lists);
        }
    }
}
