//! `version`: the client's version, and the server's when it can be reached.

use serde_json::json;

use crate::cli::Output;
use crate::commands::Ctx;
use crate::error::Result;

pub fn run(ctx: &Ctx) -> Result<()> {
    let client = env!("CARGO_PKG_VERSION");
    let server = ctx.client().ok().and_then(|c| c.version().ok());
    match ctx.output() {
        Output::Table => {
            let mut text = format!("Client Version: v{client}\n");
            match server {
                Some(s) => text.push_str(&format!("Server Version: v{}\n", s.version)),
                None => ctx.printer.note("Server Version: unknown (server not reachable or not configured)"),
            }
            ctx.printer.out(&text);
        }
        output => {
            let value = json!({"clientVersion": client, "serverVersion": server.map(|s| s.version)});
            ctx.printer.structured(&value, &output)?;
        }
    }
    Ok(())
}
