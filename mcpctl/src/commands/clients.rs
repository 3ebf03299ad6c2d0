//! `config client`: a project's gateway endpoint in an MCP client's own configuration format.
//!
//! Over HTTP, the client sends a token it reads from its environment (`MCPCTL_GATEWAY_TOKEN`,
//! or VS Code's secret prompt): the printed file holds no credential, and with `--gateway`
//! mcpd is not asked anything. Over stdio, the client starts `mcpctl mcp`, which uses this
//! context's credential from mcpctl's own config file: only a context that holds nothing but
//! `connect` is ever named there.

use serde_json::{json, Value};

use crate::cli::{ClientTransport, McpClient};
use crate::commands::Ctx;
use crate::error::{Error, Result};

/// The variable the HTTP configurations read the token from.
pub const TOKEN_VARIABLE: &str = shared::api::GATEWAY_TOKEN_VARIABLE;

pub fn print(
    ctx: &Ctx,
    client: McpClient,
    transport: Option<ClientTransport>,
    gateway: &str,
    gateway_given: bool,
    context: Option<&str>,
) -> Result<()> {
    let project = ctx.project()?.ok_or_else(|| Error::Usage {
        message: "config client needs a project".to_owned(),
        hint: Some("pass -p PROJECT, or set one in the context (config set-context NAME -p PROJECT)".to_owned()),
    })?;
    let transport = transport.unwrap_or(match client {
        McpClient::ClaudeDesktop => ClientTransport::Stdio,
        _ => ClientTransport::Http,
    });
    if client == McpClient::ClaudeDesktop && transport == ClientTransport::Http {
        return Err(Error::usage("Claude Desktop starts stdio servers only: use --transport stdio"));
    }
    let name = project.as_str();
    if transport == ClientTransport::Stdio {
        connect_only(ctx, client, name, gateway, context)?;
    }
    if transport == ClientTransport::Stdio || !gateway_given {
        // `--gateway` with HTTP asks mcpd nothing.
        known_project(ctx, name)?;
    }
    let url = format!("{gateway}/projects/{name}/mcp");
    let value = match transport {
        ClientTransport::Http => http(client, name, &url),
        ClientTransport::Stdio => {
            let config = ctx.global.config.as_ref().map(|_| crate::config::path(&ctx.global));
            stdio(client, name, &bridge_args(name, gateway, context, config.as_deref()))
        }
    };
    ctx.printer.out(&serde_json::to_string_pretty(&value).expect("values serialize"));
    if transport == ClientTransport::Http && client != McpClient::Vscode {
        ctx.printer.note(&format!(
            "the client sends the token in {TOKEN_VARIABLE}: export {TOKEN_VARIABLE}=$(mcpctl create mcptoken {} -p {name} --bind action:connect)",
            token_name(client)
        ));
    }
    Ok(())
}

/// The project must exist: mcpd says so, or, to a context that may not read projects (a
/// connect-only token), that it may connect to it.
fn known_project(ctx: &Ctx, project: &str) -> Result<()> {
    let mcpd = ctx.client()?;
    match mcpd.get(shared::Kind::Project.info(), None, project, false) {
        Err(Error::Server(status)) if status.code == 403 => {
            let question = shared::api::CanIRequest {
                verb: "run".to_owned(),
                kind: "connect".to_owned(),
                name: Some(project.to_owned()),
                project: None,
                as_user: None,
            };
            if mcpd.can_i(&question)?.allowed {
                return Ok(());
            }
            let message = format!("projects \"{project}\" not found, or this context may not connect to it");
            Err(shared::Status::new(shared::Reason::NotFound, message).into())
        }
        answer => answer.map(drop),
    }
}

/// Refuses to hand a client a context whose credential may do more than connect: the client
/// would run with it (an admin's context would give every tool server the keys to mcpd).
fn connect_only(ctx: &Ctx, client: McpClient, project: &str, gateway: &str, context: Option<&str>) -> Result<()> {
    let mcpd = ctx.client()?;
    let ask = |verb: &str, kind: &str| {
        let question = shared::api::CanIRequest {
            verb: verb.to_owned(),
            kind: kind.to_owned(),
            name: None,
            project: None,
            as_user: None,
        };
        mcpd.can_i(&question).map(|answer| answer.allowed)
    };
    let mut more = Vec::new();
    for info in shared::KINDS.iter().filter(|k| k.scope == shared::Scope::Global) {
        if ask("list", info.plural)? {
            more.push(format!("list {}", info.plural));
        }
    }
    for action in shared::rbac::ACTIONS.iter().filter(|a| !matches!(**a, "connect" | "*")) {
        if ask("run", action)? {
            more.push(format!("run {action}"));
        }
    }
    if more.is_empty() {
        return Ok(());
    }
    let shown = context.map_or_else(|| "this context".to_owned(), |c| format!("context \"{c}\""));
    let token = token_name(client);
    let server = crate::config::server_url(&ctx.global)?.unwrap_or_default();
    Err(Error::Usage {
        message: format!(
            "{shown} holds more than connect (it may {}): a client configuration never runs with it",
            more.join(", ")
        ),
        hint: Some(format!(
            "make a connect-only token and a context for it:\n  TOKEN=$(mcpctl create mcptoken {token} -p {project} --bind action:connect)\n  mcpctl config set-context {token} --server {server} --token \"$TOKEN\" -p {project} --gateway {gateway}\n  mcpctl --context {token} config client {token} -p {project}"
        )),
    })
}

fn token_name(client: McpClient) -> &'static str {
    match client {
        McpClient::ClaudeCode => "claude-code",
        McpClient::ClaudeDesktop => "claude-desktop",
        McpClient::Cursor => "cursor",
        McpClient::Vscode => "vscode",
    }
}

fn http(client: McpClient, name: &str, url: &str) -> Value {
    shared::api::http_client_config(token_name(client), name, url).expect("refused above: Claude Desktop is stdio only")
}

fn stdio(client: McpClient, name: &str, args: &[String]) -> Value {
    // The client may not have the shell's PATH: name this very binary.
    let command = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "mcpctl".to_owned());
    match client {
        McpClient::ClaudeCode => json!({"mcpServers": {name: {"type": "stdio", "command": command, "args": args}}}),
        McpClient::ClaudeDesktop | McpClient::Cursor => {
            json!({"mcpServers": {name: {"command": command, "args": args}}})
        }
        McpClient::Vscode => json!({"servers": {name: {"type": "stdio", "command": command, "args": args}}}),
    }
}

/// `mcpctl mcp` as this invocation would run it: the same gateway, config file and context.
fn bridge_args(project: &str, gateway: &str, context: Option<&str>, config: Option<&std::path::Path>) -> Vec<String> {
    let mut args =
        vec!["mcp".to_owned(), "-p".to_owned(), project.to_owned(), "--gateway".to_owned(), gateway.to_owned()];
    if let Some(config) = config {
        args.extend(["--config".to_owned(), config.display().to_string()]);
    }
    if let Some(context) = context {
        args.extend(["--context".to_owned(), context.to_owned()]);
    }
    args
}
