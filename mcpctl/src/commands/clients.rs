//! `config client`: a project's gateway endpoint in an MCP client's own configuration format.
//!
//! Over HTTP, the client sends a token it reads from its environment (`MCPCTL_GATEWAY_TOKEN`,
//! or VS Code's secret prompt): the printed file holds no credential. Over stdio, the client
//! starts `mcpctl mcp`, which uses this context's credential from mcpctl's own config file.

use serde_json::{json, Value};

use crate::cli::{ClientTransport, McpClient};
use crate::commands::Ctx;
use crate::error::{Error, Result};

/// The variable the HTTP configurations read the token from.
pub const TOKEN_VARIABLE: &str = "MCPCTL_GATEWAY_TOKEN";

pub fn print(
    ctx: &Ctx,
    client: McpClient,
    transport: Option<ClientTransport>,
    gateway: &str,
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

fn token_name(client: McpClient) -> &'static str {
    match client {
        McpClient::ClaudeCode => "claude-code",
        McpClient::ClaudeDesktop => "claude-desktop",
        McpClient::Cursor => "cursor",
        McpClient::Vscode => "vscode",
    }
}

fn http(client: McpClient, name: &str, url: &str) -> Value {
    match client {
        McpClient::ClaudeCode => json!({"mcpServers": {name: {
            "type": "http", "url": url,
            "headers": {"Authorization": format!("Bearer ${{{TOKEN_VARIABLE}}}")},
        }}}),
        McpClient::Cursor => json!({"mcpServers": {name: {
            "url": url,
            "headers": {"Authorization": format!("Bearer ${{env:{TOKEN_VARIABLE}}}")},
        }}}),
        McpClient::Vscode => {
            let input = format!("mcpctl-{name}-token");
            json!({
                "inputs": [{"type": "promptString", "id": input, "password": true,
                    "description": format!("McpToken for project {name} (mcpctl create mcptoken vscode -p {name} --bind action:connect)")}],
                "servers": {name: {"type": "http", "url": url,
                    "headers": {"Authorization": format!("Bearer ${{input:{input}}}")}}},
            })
        }
        McpClient::ClaudeDesktop => unreachable!("refused above"),
    }
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
