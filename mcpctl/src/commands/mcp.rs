//! `test mcp` and `mcp`: mcpctl as an MCP client, on rmcp.
//!
//! `test mcp` checks any Streamable HTTP endpoint: initialize, list the tools, optionally call
//! one. `mcp -p PROJECT` passes MCP messages between stdin/stdout and the project's gateway
//! endpoint unchanged, so a client that only starts stdio servers reaches the gateway.

use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::service::{RoleClient, RoleServer, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{IntoTransport, StreamableHttpClientTransport, Transport};
use rmcp::ServiceExt;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{GatewayArgs, Output, TestMcpArgs};
use crate::commands::{Ctx, ExitStatus};
use crate::error::{Error, Result};

fn runtime() -> Result<tokio::runtime::Runtime> {
    // https:// endpoints are reached with rustls on ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the runtime: {e}")))
}

/// What `test mcp` found.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    url: String,
    /// `pass`, `transport` (or authentication) failure, or `contract` failure.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    tools: Vec<String>,
    /// How each server behind a gateway stood, when the endpoint says (mcpgw does).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    servers: Vec<Standing>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing_tools: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    elapsed_ms: u64,
}

/// A server behind a gateway: `ready`, `starting` or `unavailable`, with why.
#[derive(Debug, Serialize, serde::Deserialize)]
struct Standing {
    name: String,
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Where a gateway's tools listing says how its servers stand.
const SERVERS_META: &str = "io.mcpctl/servers";

enum Failure {
    Transport(String),
    Contract(String),
}

impl From<ServiceError> for Failure {
    fn from(error: ServiceError) -> Failure {
        match error {
            ServiceError::McpError(e) => Failure::Contract(format!("the server answered an error: {}", e.message)),
            ServiceError::UnexpectedResponse => {
                Failure::Contract("the server answered something else than asked".to_owned())
            }
            other => Failure::Transport(other.to_string()),
        }
    }
}

pub fn test(ctx: &Ctx, args: &TestMcpArgs) -> Result<ExitStatus> {
    let arguments = match &args.args {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => return Err(Error::usage(format!("--args expects a JSON object, got {text:?}"))),
        },
    };
    let bearer = bearer_for(ctx, &args.url)?;
    let started = Instant::now();
    let mut report = Report { url: args.url.clone(), ..Report::default() };
    let outcome = runtime()?.block_on(async {
        tokio::time::timeout(args.timeout, probe(&mut report, args, bearer, arguments)).await.unwrap_or_else(|_| {
            Err(Failure::Transport(format!("no answer within {}s (--timeout)", args.timeout.as_secs())))
        })
    });
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = match outcome {
        Ok(()) => {
            report.result = "pass";
            ExitStatus::Success
        }
        Err(Failure::Transport(e)) => {
            report.result = "transport";
            report.error = Some(e);
            ExitStatus::Failure
        }
        Err(Failure::Contract(e)) => {
            report.result = "contract";
            report.error = Some(e);
            ExitStatus::Violated
        }
    };
    match &ctx.global.output {
        None => ctx.printer.out_escaped(&text(&report)),
        Some(output @ (Output::Json | Output::Yaml | Output::JsonPath(_) | Output::JsonPathFile(_))) => {
            ctx.printer.structured(&serde_json::to_value(&report).expect("reports serialize"), output)?
        }
        Some(other) => return Err(crate::print::unsupported(other, "json, yaml or jsonpath")),
    }
    Ok(status)
}

/// `--token` given on the command line, else the credential of the context (or of
/// `MCPCTL_TOKEN`) when `url` is on the context's gateway (or `MCPCTL_GATEWAY`'s): an endpoint
/// elsewhere never gets an mcpd credential it was not explicitly handed.
fn bearer_for(ctx: &Ctx, url: &str) -> Result<Option<String>> {
    if ctx.global.on_command_line.token {
        return Ok(ctx.global.token.clone());
    }
    let flag = std::env::var("MCPCTL_GATEWAY").ok().filter(|g| !g.is_empty());
    let Ok(gateway) = crate::config::gateway_url(&ctx.global, flag.as_deref()) else { return Ok(None) };
    let on_gateway = url.strip_prefix(&gateway).is_some_and(|rest| rest.starts_with('/'));
    Ok(if on_gateway { ctx.target()?.token.clone() } else { None })
}

fn transport(url: &str, bearer: Option<String>) -> StreamableHttpClientTransport<reqwest13::Client> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
    if let Some(token) = bearer {
        config = config.auth_header(token);
    }
    StreamableHttpClientTransport::from_config(config)
}

async fn probe(
    report: &mut Report,
    args: &TestMcpArgs,
    bearer: Option<String>,
    arguments: Option<serde_json::Map<String, Value>>,
) -> Result<(), Failure> {
    let client = ().serve(transport(&args.url, bearer)).await.map_err(|e| {
        use rmcp::service::ClientInitializeError as Init;
        match e {
            Init::TransportError { error, .. } if error.error.to_string() == "Auth required" => {
                Failure::Transport("initialize: the endpoint refused the credential (401); pass --token".to_owned())
            }
            Init::TransportError { error, .. } => Failure::Transport(format!("initialize: {}", error.error)),
            Init::ConnectionClosed(why) => Failure::Transport(format!("initialize: the connection closed ({why})")),
            other => Failure::Contract(format!("initialize: {other}")),
        }
    })?;
    if let Some(info) = client.peer_info() {
        report.protocol_version = Some(info.protocol_version.to_string());
        report.server = info.server_info.as_ref().map(|s| format!("{} {}", s.name, s.version));
    }
    let mut cursor = None;
    loop {
        let page = client
            .list_tools(cursor.map(|c| rmcp::model::PaginatedRequestParams::default().with_cursor(Some(c))))
            .await?;
        if let Some(standings) = page.meta.as_ref().and_then(|m| m.0.get(SERVERS_META)) {
            report.servers = serde_json::from_value(standings.clone()).unwrap_or_default();
        }
        report.tools.extend(page.tools.iter().map(|t| t.name.to_string()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let down: Vec<String> = report
        .servers
        .iter()
        .filter(|s| s.state != "ready")
        .map(|s| match &s.reason {
            Some(reason) => format!("{} ({}: {reason})", s.name, s.state),
            None => format!("{} ({})", s.name, s.state),
        })
        .collect();
    report.missing_tools = args.expect_tools.iter().filter(|t| !report.tools.contains(t)).cloned().collect();
    if !report.missing_tools.is_empty() {
        return Err(Failure::Contract(format!("missing tools: {}", report.missing_tools.join(", "))));
    }
    if !down.is_empty() {
        return Err(Failure::Contract(format!("servers not ready: {}", down.join(", "))));
    }
    if let Some(tool) = &args.tool {
        let mut params = CallToolRequestParams::new(tool.clone());
        params.arguments = arguments;
        let result = client.call_tool(params).await?;
        report.call = Some(serde_json::to_value(&result).expect("results serialize"));
        if result.is_error == Some(true) {
            return Err(Failure::Contract(format!("tool {tool} answered an error")));
        }
    }
    let _ = client.cancel().await;
    Ok(())
}

fn text(report: &Report) -> String {
    let mut lines = vec![format!("endpoint: {}", report.url)];
    if let Some(server) = &report.server {
        lines.push(format!("server: {server} (protocol {})", report.protocol_version.as_deref().unwrap_or("?")));
    }
    for server in &report.servers {
        match &server.reason {
            Some(reason) => lines.push(format!("server {}: {} ({reason})", server.name, server.state)),
            None => lines.push(format!("server {}: {}", server.name, server.state)),
        }
    }
    if !report.tools.is_empty() {
        lines.push(format!("tools ({}): {}", report.tools.len(), report.tools.join(", ")));
    }
    if let Some(call) = &report.call {
        lines.extend(call_lines(call));
    }
    let verdict = match report.result {
        "pass" => "PASS".to_owned(),
        "transport" => format!("FAIL (transport or authentication): {}", report.error.as_deref().unwrap_or_default()),
        _ => format!("FAIL (contract): {}", report.error.as_deref().unwrap_or_default()),
    };
    lines.push(format!("{verdict} in {} ms", report.elapsed_ms));
    lines.join("\n")
}

/// A tool's result, whole: one line when it is one line of text, else each content item's
/// lines indented under `call:` (what is not text is named by its type).
fn call_lines(call: &Value) -> Vec<String> {
    let items = call["content"].as_array().map(Vec::as_slice).unwrap_or_default();
    let texts: Vec<String> = items
        .iter()
        .map(|item| match item["text"].as_str() {
            Some(text) => text.to_owned(),
            None => format!("<{}>", item["type"].as_str().unwrap_or("content")),
        })
        .collect();
    match texts.as_slice() {
        [one] if !one.contains('\n') => vec![format!("call: {one}")],
        _ => std::iter::once("call:".to_owned())
            .chain(texts.iter().flat_map(|text| text.lines().map(|line| format!("  {line}"))))
            .collect(),
    }
}

/// `mcp -p PROJECT`: the project's gateway endpoint on stdin/stdout.
pub fn bridge(ctx: &Ctx, args: &GatewayArgs) -> Result<()> {
    let project = ctx.project()?.ok_or_else(|| Error::Usage {
        message: "mcp needs a project".to_owned(),
        hint: Some("pass -p PROJECT".to_owned()),
    })?;
    let gateway = crate::config::gateway_url(&ctx.global, args.gateway.as_deref())?;
    let url = format!("{gateway}/projects/{}/mcp", project.as_str());
    let token = ctx.target().ok().and_then(|t| t.token.clone()).or_else(|| ctx.global.token.clone());
    runtime()?.block_on(pump(ctx, &url, token))
}

/// How long, once stdin closed, answers still on their way are awaited.
const DRAIN: Duration = Duration::from_secs(60);

async fn pump(ctx: &Ctx, url: &str, token: Option<String>) -> Result<()> {
    let mut upstream = transport(url, token);
    let mut local = IntoTransport::<RoleServer, _, _>::into_transport(rmcp::transport::io::stdio());
    // Requests sent to the gateway and not yet answered.
    let mut pending = std::collections::HashSet::new();
    let mut open = true;
    // The gateway refused a message, and said so: its closing the session is no news.
    let mut refused = false;
    let drained = tokio::time::sleep(Duration::MAX);
    tokio::pin!(drained);
    loop {
        if !open && pending.is_empty() {
            break;
        }
        tokio::select! {
            message = Transport::<RoleServer>::receive(&mut local), if open => {
                let Some(message): Option<ClientJsonRpcMessage> = message else {
                    // stdin closed: the client is done once what it asked is answered.
                    open = false;
                    drained.as_mut().reset(tokio::time::Instant::now() + DRAIN);
                    continue;
                };
                let id = match &message {
                    ClientJsonRpcMessage::Request(request) => Some(request.id.clone()),
                    _ => None,
                };
                if let Some(id) = &id {
                    pending.insert(id.clone());
                }
                if let Err(e) = Transport::<RoleClient>::send(&mut upstream, message).await {
                    let refusal = refusal(&e);
                    ctx.printer.problem(&refusal.line(url));
                    refused = true;
                    let Some(id) = id else {
                        if refusal.fatal {
                            return Err(refusal.into_error(url));
                        }
                        continue;
                    };
                    pending.remove(&id);
                    let error = rmcp::model::ErrorData::internal_error(refusal.message.clone(), None);
                    let answer = ServerJsonRpcMessage::error(error, Some(id));
                    let _ = Transport::<RoleServer>::send(&mut local, answer).await;
                }
            }
            message = Transport::<RoleClient>::receive(&mut upstream) => {
                let Some(message): Option<ServerJsonRpcMessage> = message else {
                    if !refused {
                        ctx.printer.problem("Error: the gateway closed the session");
                    }
                    break;
                };
                match &message {
                    ServerJsonRpcMessage::Response(response) => drop(pending.remove(&response.id)),
                    ServerJsonRpcMessage::Error(error) => {
                        if let Some(id) = &error.id {
                            pending.remove(id);
                        }
                    }
                    _ => {}
                }
                if Transport::<RoleServer>::send(&mut local, message).await.is_err() {
                    break;
                }
            }
            () = &mut drained => break,
        }
    }
    // The client is done: end the gateway session too.
    let _ = tokio::time::timeout(Duration::from_secs(5), Transport::<RoleClient>::close(&mut upstream)).await;
    Ok(())
}

/// Why the gateway did not take a message, in its own words where it gave them.
struct Refusal {
    /// `Forbidden`, `NotFound`, ...; `None` when the gateway could not be reached.
    reason: Option<String>,
    message: String,
    /// Nothing will get through: a client notification failing so ends the bridge.
    fatal: bool,
}

impl Refusal {
    fn line(&self, url: &str) -> String {
        match &self.reason {
            Some(reason) => format!("Error from gateway ({reason}): {}", self.message),
            None => format!("Error: cannot reach the gateway at {url}: {}", self.message),
        }
    }

    fn into_error(self, url: &str) -> Error {
        match self.reason {
            Some(_) => Error::Invalid(self.message),
            None => Error::Unreachable { url: url.to_owned(), detail: self.message },
        }
    }
}

/// Reads a refusal out of rmcp's error: the gateway's Status message (from its
/// `WWW-Authenticate` challenge's `error_description` on 401 and 403, from the body
/// otherwise), or that it could not be reached.
fn refusal(error: &(dyn std::error::Error + 'static)) -> Refusal {
    use rmcp::transport::streamable_http_client::StreamableHttpError;
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(http) = error.downcast_ref::<StreamableHttpError<reqwest13::Error>>() {
            let (reason, text) = match http {
                StreamableHttpError::AuthRequired(e) => ("Unauthorized", description(&e.www_authenticate_header)),
                StreamableHttpError::InsufficientScope(e) => ("Forbidden", description(&e.www_authenticate_header)),
                StreamableHttpError::UnexpectedServerResponse(text) => {
                    let status: Option<shared::Status> =
                        text.split_once(": ").and_then(|(_, body)| serde_json::from_str(body).ok());
                    match status {
                        Some(status) => {
                            return Refusal {
                                reason: Some(status.reason.as_str().to_owned()),
                                message: status.message,
                                fatal: true,
                            }
                        }
                        None => ("BadRequest", Some(text.to_string())),
                    }
                }
                _ => {
                    next = error.source();
                    continue;
                }
            };
            let message = text.unwrap_or_else(|| "the gateway refused the credential".to_owned());
            return Refusal { reason: Some(reason.to_owned()), message, fatal: true };
        }
        next = error.source();
    }
    Refusal { reason: None, message: error.to_string(), fatal: true }
}

/// `error_description="..."` of a `WWW-Authenticate: Bearer` challenge.
fn description(challenge: &str) -> Option<String> {
    let (_, rest) = challenge.split_once("error_description=\"")?;
    let mut text = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.extend(chars.next()),
            '"' => return Some(text),
            c => text.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenges_description_is_read_with_its_escapes() {
        let challenge =
            r#"Bearer realm="mcpgw", error="insufficient_scope", error_description="may not connect to \"demo\"""#;
        assert_eq!(description(challenge).as_deref(), Some(r#"may not connect to "demo""#));
        assert_eq!(description(r#"Bearer realm="mcpgw""#), None);
    }
}
