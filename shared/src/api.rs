//! Request and response bodies of the HTTP API beyond the objects themselves.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::status::Status;

/// `POST /api/v1/apply`: manifests as written; each is parsed and checked on its own.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyRequest {
    pub items: Vec<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApplyAction {
    Created,
    Configured,
    Unchanged,
}

impl ApplyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyAction::Created => "created",
            ApplyAction::Configured => "configured",
            ApplyAction::Unchanged => "unchanged",
        }
    }
}

/// One line of an apply: what happened to one object, or why it failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyResult {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub action: Option<ApplyAction>,
    #[serde(default)]
    pub error: Option<Status>,
    /// A token this apply created: its raw value, shown this once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyResponse {
    pub kind: String,
    pub dry_run: bool,
    pub items: Vec<ApplyResult>,
}

#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    #[schemars(email, length(max = 254))]
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("email", &self.email).finish_non_exhaustive()
    }
}

#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: String,
}

/// `GET /api/v1/auth/whoami`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// `User` or `McpToken`.
    pub kind: String,
    pub name: String,
    /// How the caller authenticated: `session` or `token`.
    pub via: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// A token's project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// A token's creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub version: String,
    pub api_version: String,
}

/// `POST /api/v1/auth/can-i`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanIRequest {
    /// get, list, create, update, delete; or run (with `kind` naming the action).
    #[schemars(regex(pattern = r"^(get|list|create|update|delete|run)$"))]
    pub verb: String,
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    /// Ask on behalf of this user (an email), with their rights: needs edit on users.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_user: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanIResponse {
    pub allowed: bool,
    pub reason: String,
}

/// `POST /api/v1/mcptokens/introspect`.
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntrospectRequest {
    pub token: String,
}

/// The answer of `POST /api/v1/mcptokens/introspect`, in the shape of OAuth 2.0 token
/// introspection (RFC 7662): only `active` for a token that does not work.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntrospectResponse {
    pub active: bool,
    /// The creator's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Issued at, unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expires at, unix seconds; absent when it does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_name: Option<String>,
    /// The token's project; absent for a global token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// What the token may do now, space-separated: `role:resource[:name]` or `run:action`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Always `mcpctl_pat` for an active token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

/// `POST /api/v1/auth/password`: change one's own password.
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// What a watch event says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
    /// No change: the revision a watch may resume from, in `object.metadata.resourceVersion`.
    Bookmark,
}

/// One line of a watch stream (`?watch=true`): ADDED and MODIFIED carry the object as it is
/// when sent, DELETED its kind and name, BOOKMARK only a revision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchEvent {
    #[serde(rename = "type")]
    pub event_type: WatchEventType,
    pub object: crate::Object,
}

/// An object whose spec refers to another: `GET /api/v1/referrers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Referrer {
    pub kind: crate::Kind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Where in the referrer's spec, e.g. `spec.env[0].valueFrom.secretKeyRef`.
    pub field: String,
    /// The key of a Secret the reference names, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For an RbacDefinition: the subject that names the object (`User:...`, or the
    /// `Group:...` a user belongs to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// The answer of `GET /api/v1/referrers`: every referrer the caller may see.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReferrerList {
    pub items: Vec<Referrer>,
}

/// `GET /api/v1/projects/{project}/resolution`: what the gateway runs for a project, every
/// secret reference resolved. Only for `run serve`; never for a client of the gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub project: String,
    /// The revision this answer reflects: a watch from it sees every later change.
    pub resource_version: String,
    /// The project's servers, in its order.
    pub servers: Vec<ResolvedServer>,
    /// What the project's clients may see of its tools.
    #[serde(default)]
    pub tools: ToolRules,
}

/// A project's tool policy with what mcpd has recorded of each of its tools.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolRules {
    #[serde(default)]
    pub policy: crate::spec::ToolPolicy,
    /// Every Tool of the project, by the name clients see.
    #[serde(default)]
    pub recorded: std::collections::BTreeMap<String, RecordedTool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordedTool {
    pub server: String,
    /// The approved definition's fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<String>,
    /// The fingerprint of the definition a gateway last reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
}

/// `POST /api/v1/gateway/tools`: tools a gateway listed whose definitions mcpd has not
/// recorded yet (`run serve` only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolReport {
    pub project: crate::name::ProjectName,
    pub server: String,
    pub tools: Vec<ReportedTool>,
}

/// The most tools one report may carry.
pub const MAX_REPORTED_TOOLS: usize = 2000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportedTool {
    /// The name clients see (`<server>__<name>`).
    pub name: String,
    pub definition: crate::spec::ToolDefinition,
}

/// What a tool report changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolReportResult {
    /// The tools (as their server names them) whose definition differs from the one mcpd had
    /// recorded: each is a changed tool for the audit trail.
    pub changed: Vec<String>,
}

/// One server as the gateway starts or reaches it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedServer {
    pub name: String,
    /// The server's own resourceVersion: it changes when its spec does.
    pub resource_version: String,
    pub transport: crate::spec::Transport,
    #[serde(default)]
    pub sharing: crate::spec::Sharing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// stdio: the sandbox the gateway runs it in.
    #[serde(default, skip_serializing_if = "crate::spec::Sandbox::is_default")]
    pub sandbox: crate::spec::Sandbox,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Request headers with every `${NAME}` replaced by that env entry's value.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    /// The environment the spec declares, literal values and secret values alike: for a stdio
    /// server, exactly what its process gets (with `PATH` and `HOME`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub env: std::collections::BTreeMap<String, String>,
    /// Secrets this server uses, as `name` → their resourceVersion, so a change of one is seen.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub secret_versions: std::collections::BTreeMap<String, String>,
    /// Why the gateway cannot run this server now (a secret backend it needs is unreachable);
    /// the gateway reports it unavailable with this reason until a change brings it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// `POST /api/v1/secrets/{name}/migrate`: moves one secret's values from one backend to
/// another (`run migrate-secrets` and `edit` on the secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MigrateRequest {
    pub from: String,
    pub to: String,
    /// Leave the values on `from` as well.
    #[serde(default)]
    pub keep_source: bool,
    /// Check everything and move nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a migration did to one secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MigrateAction {
    /// The values moved (or would, in a dry run).
    Migrated,
    /// The secret was already on the target; a copy left on the source was removed.
    Cleaned,
    /// The secret was already on the target, and nothing was left on the source.
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MigrateResult {
    pub name: String,
    pub action: MigrateAction,
    pub backend: String,
    /// Set when the values moved but the copy left on the source could not be removed:
    /// running the migration again removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// What a call through the gateway was to: a tool, a prompt or a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    /// `tools/call`.
    Tools,
    /// `prompts/get`.
    Prompts,
    /// `resources/read`.
    Resources,
    /// Not a call: an upstream server changed a tool's definition (name, description or
    /// schemas) since the gateway first listed it.
    #[serde(rename = "toolChanged")]
    ToolChanged,
    /// A request to a project's endpoint refused before it named a tool, prompt or resource
    /// (its credential, or a limit); the event's name is the project.
    Connect,
}

impl CallKind {
    /// The plural the audit trail names it by (`--for-kind tools`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Tools | CallKind::ToolChanged | CallKind::Connect => "tools",
            CallKind::Prompts => "prompts",
            CallKind::Resources => "resources",
        }
    }

    /// The audit trail's verb for it: `call`, `get`, `read`, or `change` for a changed tool.
    pub fn verb(self) -> &'static str {
        match self {
            CallKind::Tools => "call",
            CallKind::Prompts => "get",
            CallKind::Resources => "read",
            CallKind::ToolChanged => "change",
            CallKind::Connect => "connect",
        }
    }
}

/// How a call through the gateway ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallOutcome {
    Ok,
    /// The upstream answered an error, or could not be reached.
    Error,
    /// No answer within the call timeout.
    Timeout,
    /// The gateway refused it (a limit, or a server the caller may not use).
    Refused,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Error => "error",
            CallOutcome::Timeout => "timeout",
            CallOutcome::Refused => "refused",
        }
    }

    /// The status code the audit trail shows for it.
    pub fn code(self) -> u16 {
        match self {
            CallOutcome::Ok => 200,
            CallOutcome::Error => 502,
            CallOutcome::Timeout => 504,
            CallOutcome::Refused => 429,
        }
    }
}

/// One call the gateway relayed: who, to what, how long, how it ended. Never arguments or
/// results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallEvent {
    /// When the call started, RFC 3339.
    pub time: String,
    /// The caller as the gateway resolved it (user email, or token project/name and prefix).
    pub principal: String,
    pub project: crate::name::ProjectName,
    /// The upstream server, when the request got as far as naming one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub kind: CallKind,
    /// The tool or prompt name as the server knows it, or the resource URI.
    pub name: String,
    pub duration_ms: u64,
    pub outcome: CallOutcome,
}

/// `POST /api/v1/events/calls`: calls the gateway relayed, a batch at a time (`run serve` only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallEvents {
    pub items: Vec<CallEvent>,
}

/// The most calls one intake request may carry.
pub const MAX_CALL_EVENTS: usize = 1000;

/// How a server stands at one gateway replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    /// Its last start succeeded.
    Ready,
    /// A start is under way.
    Starting,
    /// Its last start failed; `reason` says why in a few words.
    Unavailable,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::Ready => "ready",
            ServerState::Starting => "starting",
            ServerState::Unavailable => "unavailable",
        }
    }
}

/// `POST /api/v1/gateway/status`: how each server stands at one gateway replica (`run serve`
/// only). It replaces what that replica reported before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayReport {
    /// The replica, as it names itself (`--name`, by default its host and port).
    pub gateway: String,
    pub servers: Vec<ServerReport>,
}

/// The most servers one report may carry.
pub const MAX_SERVER_REPORTS: usize = 10_000;

/// One server of one project at a gateway replica.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerReport {
    pub project: crate::name::ProjectName,
    pub server: String,
    pub state: ServerState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Since when it is in this state, RFC 3339.
    pub since: String,
}

/// `GET /api/v1/gateway/status[?server=NAME]`: what the gateway replicas reported lately
/// (within the last minute), for the servers the caller may see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatusList {
    pub items: Vec<GatewayStatus>,
}

/// One server of one project at one gateway replica, as last reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatus {
    pub gateway: String,
    pub project: String,
    pub server: String,
    pub state: ServerState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub since: String,
    pub reported_at: String,
}

/// The variable the HTTP client configurations read a gateway token from.
pub const GATEWAY_TOKEN_VARIABLE: &str = "MCPCTL_GATEWAY_TOKEN";

/// An MCP client's configuration for a project's gateway endpoint `url`, over HTTP, in the
/// client's own format: `claude-code`, `cursor` or `vscode` (`None` for another). The token
/// comes from the client's environment (or VS Code's prompt), never from the file.
pub fn http_client_config(client: &str, project: &str, url: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    let variable = GATEWAY_TOKEN_VARIABLE;
    Some(match client {
        "claude-code" => json!({"mcpServers": {project: {
            "type": "http", "url": url,
            "headers": {"Authorization": format!("Bearer ${{{variable}}}")},
        }}}),
        "cursor" => json!({"mcpServers": {project: {
            "url": url,
            "headers": {"Authorization": format!("Bearer ${{env:{variable}}}")},
        }}}),
        "vscode" => {
            let input = format!("mcpctl-{project}-token");
            json!({
                "inputs": [{"type": "promptString", "id": input, "password": true,
                    "description": format!("McpToken for project {project} (mcpctl create mcptoken vscode -p {project} --bind action:connect)")}],
                "servers": {project: {"type": "http", "url": url,
                    "headers": {"Authorization": format!("Bearer ${{input:{input}}}")}}},
            })
        }
        _ => return None,
    })
}
