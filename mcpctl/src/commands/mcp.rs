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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing_tools: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    elapsed_ms: u64,
}

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
        None => ctx.printer.out(&text(&report)),
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
    Ok(if on_gateway { crate::config::target(&ctx.global)?.token } else { None })
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
    let tools = client.list_all_tools().await?;
    report.tools = tools.iter().map(|t| t.name.to_string()).collect();
    report.missing_tools = args.expect_tools.iter().filter(|t| !report.tools.contains(t)).cloned().collect();
    if !report.missing_tools.is_empty() {
        return Err(Failure::Contract(format!("missing tools: {}", report.missing_tools.join(", "))));
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
    if !report.tools.is_empty() {
        lines.push(format!("tools ({}): {}", report.tools.len(), report.tools.join(", ")));
    }
    if let Some(call) = &report.call {
        let first = call["content"][0]["text"].as_str().unwrap_or_default();
        lines.push(format!("call: {}", first.lines().next().unwrap_or_default()));
    }
    let verdict = match report.result {
        "pass" => "PASS".to_owned(),
        "transport" => format!("FAIL (transport or authentication): {}", report.error.as_deref().unwrap_or_default()),
        _ => format!("FAIL (contract): {}", report.error.as_deref().unwrap_or_default()),
    };
    lines.push(format!("{verdict} in {} ms", report.elapsed_ms));
    lines.join("\n")
}

/// `mcp -p PROJECT`: the project's gateway endpoint on stdin/stdout.
pub fn bridge(ctx: &Ctx, args: &GatewayArgs) -> Result<()> {
    let project = ctx.project()?.ok_or_else(|| Error::Usage {
        message: "mcp needs a project".to_owned(),
        hint: Some("pass -p PROJECT".to_owned()),
    })?;
    let gateway = crate::config::gateway_url(&ctx.global, args.gateway.as_deref())?;
    let url = format!("{gateway}/projects/{}/mcp", project.as_str());
    let token = crate::config::target(&ctx.global).ok().and_then(|t| t.token).or_else(|| ctx.global.token.clone());
    runtime()?.block_on(pump(&url, token)).map_err(|e| Error::Unreachable { url, detail: e })
}

async fn pump(url: &str, token: Option<String>) -> Result<(), String> {
    let mut upstream = transport(url, token);
    let mut local = IntoTransport::<RoleServer, _, _>::into_transport(rmcp::transport::io::stdio());
    loop {
        tokio::select! {
            message = Transport::<RoleServer>::receive(&mut local) => {
                let Some(message): Option<ClientJsonRpcMessage> = message else { break };
                Transport::<RoleClient>::send(&mut upstream, message).await.map_err(|e| e.to_string())?;
            }
            message = Transport::<RoleClient>::receive(&mut upstream) => {
                let Some(message): Option<ServerJsonRpcMessage> = message else {
                    return Err("the gateway closed the session".to_owned());
                };
                Transport::<RoleServer>::send(&mut local, message).await.map_err(|e| e.to_string())?;
            }
        }
    }
    // stdin closed: the client is done; end the gateway session too.
    let _ = tokio::time::timeout(Duration::from_secs(5), Transport::<RoleClient>::close(&mut upstream)).await;
    Ok(())
}
