//! One client session: the MCP server a client sees at `/projects/{project}/mcp`. It answers
//! with the tools, prompts and resources of every server of the project, and routes each
//! call to the server it names: route (`state`) → relay (`call`) → record.

// Logging and resources/subscribe are deprecated in the newest protocol revision, and relayed
// as long as clients of the older ones use them.
#![allow(deprecated)]

mod call;
mod registry;
mod state;

use std::sync::{Arc, OnceLock};

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, ClientRequest, CompleteRequest, CompleteRequestParams,
    CompleteResult, GetPromptRequest, GetPromptRequestParams, GetPromptResponse, Implementation,
    InitializeRequestParams, InitializeResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, MetaObject, PaginatedRequestParams, ReadResourceRequest, ReadResourceRequestParams,
    ReadResourceResponse, Reference, RequestMetaObject, ResultType, ServerCapabilities, ServerConfig, ServerResult,
    SetLevelRequest, SetLevelRequestParams, SubscribeRequest, SubscribeRequestParams, SubscriptionFilter,
    UnsubscribeRequest, UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData as McpError, ServerHandler};
use shared::api::CallKind;
use shared::name::ProjectName;

pub use registry::Sessions;
pub use state::SessionState;

use crate::access::{Caller, Held};
use crate::catalog::Lists;
use call::Relayed;

/// The `_meta` key of a tools listing that says how each server of the project stood.
pub const SERVERS_META: &str = "io.mcpctl/servers";

/// The handler rmcp makes per client session (or per request, for stateless clients); the
/// state is found at its first request, when the caller is known.
pub struct Session {
    sessions: Arc<Sessions>,
    project: ProjectName,
    state: OnceLock<Arc<SessionState>>,
}

impl Session {
    pub fn new(sessions: Arc<Sessions>, project: ProjectName) -> Session {
        Session { sessions, project, state: OnceLock::new() }
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
                let held = parts.and_then(|p| p.extensions.get::<Held>()).cloned();
                let state = if stateless {
                    let state = self.sessions.stateless(&self.project, caller.clone())?;
                    // The first request's binding stands for the state: its credential is
                    // checked again while it lives, and it ends when that is revoked.
                    let mut kept = state.held.lock().unwrap();
                    if kept.is_none() {
                        *kept = held;
                    }
                    drop(kept);
                    // What it may be asked: what it declares with each request.
                    if let Some(capabilities) = context.client_capabilities() {
                        *state.capabilities.lock().unwrap() = capabilities;
                    }
                    state
                } else {
                    let state =
                        SessionState::open(self.sessions.gateway.clone(), self.project.clone(), caller.clone())?;
                    *state.held.lock().unwrap() = held;
                    state
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
            .sessions
            .gateway
            .projects
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
        let result = self.negotiate_initialize(&request)?;
        // Upstream sessions open at the revision negotiated with the client, where a server
        // may answer faster (no priming events before 2025-11-25), as to a direct client.
        if result.protocol_version.has_initialize() {
            *state.protocol.lock().unwrap() = Some(result.protocol_version.clone());
        }
        Ok(result)
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let state = self.state(&context, false)?;
        let mut result = ListToolsResult::with_all_items(state.tools().await);
        // How each server stood, for clients that check (mcpctl test mcp).
        let mut meta = MetaObject::new();
        meta.0.insert(SERVERS_META.to_owned(), serde_json::json!(state.standings()));
        result.meta = Some(meta);
        Ok(result)
    }

    async fn call_tool(
        &self,
        mut params: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let state = self.state(&context, false)?;
        let (server, name) = match state.route(Lists::TOOLS, &params.name).await {
            Ok(found) => found,
            Err(refused) => return Err(state.refused(CallKind::Tools, &params.name, refused)),
        };
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
        let (server, name) = match state.route(Lists::PROMPTS, &params.name).await {
            Ok(found) => found,
            Err(refused) => return Err(state.refused(CallKind::Prompts, &params.name, refused)),
        };
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
            Err(refused) => match state.template_server(&params.uri).await {
                Some(server) => server,
                None => return Err(state.refused(CallKind::Resources, &params.uri, refused)),
            },
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
                Err(refused) => state.template_server(&resource.uri).await.ok_or(refused.error)?,
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
        state.downstream.listen(subscription.sink().clone());
        tokio::select! {
            () = subscription.cancelled() => {}
            () = state.ended.cancelled() => {}
        }
        state.downstream.unlisten(subscription.sink());
        Ok(())
    }

    async fn set_level(
        &self,
        params: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let state = self.state(&context, false)?;
        for server in state.started() {
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
