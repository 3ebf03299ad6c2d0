//! `mcpctl approve tools`: records each tool's definition as a gateway last listed it as the
//! one approved for the project, through the Tool's ordinary replace (so it is audited like any
//! write, and refused when the tool changed again since it was read).

use shared::spec::{Approval, ToolSpec, ToolState, ToolStatus};
use shared::Kind;

use crate::cli::ApproveToolsArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn tools(ctx: &Ctx, args: &ApproveToolsArgs) -> Result<()> {
    let kind = Kind::Tool.info();
    let project =
        ctx.project_for(kind)?.ok_or_else(|| Error::usage("tools are in a project: name one with -p PROJECT"))?;
    let client = ctx.client()?;
    let tools = if args.all {
        let listed = client.list(kind, Some(&project), None, false)?;
        let waiting: Vec<_> = listed.into_iter().filter(|t| state_of(t) != Some(ToolState::Approved)).collect();
        if waiting.is_empty() {
            ctx.printer.note(&format!("No tools of project {project} wait for approval."));
        }
        waiting
    } else {
        let mut tools = Vec::with_capacity(args.names.len());
        for name in &args.names {
            tools.push(client.get(kind, Some(&project), name, false)?);
        }
        tools
    };
    let mut failed = 0;
    for mut tool in tools {
        let name = tool.metadata.name.clone();
        let seen: Option<ToolStatus> = tool.status.clone().and_then(|s| serde_json::from_value(s).ok());
        let Some((fingerprint, definition)) = seen.and_then(|s| Some((s.fingerprint?, s.definition?))) else {
            failed += 1;
            ctx.printer.problem(&format!("tool/{name}: no gateway has listed it yet, so there is nothing to approve"));
            continue;
        };
        if state_of(&tool) == Some(ToolState::Approved) {
            ctx.printer.done(kind, &name, "unchanged (approved)");
            continue;
        }
        let mut spec: ToolSpec =
            serde_json::from_value(tool.spec.clone()).map_err(|e| Error::Invalid(e.to_string()))?;
        spec.approved = Some(Approval { fingerprint, definition });
        tool.spec = serde_json::to_value(&spec).map_err(|e| Error::Invalid(e.to_string()))?;
        tool.status = None;
        match client.replace(kind, Some(&project), &tool, false) {
            Ok(_) => ctx.printer.done(kind, &name, "approved"),
            // One tool refused (it changed again since it was read, or no right): say so, and
            // go on with the others.
            Err(e @ Error::Server(_)) => {
                failed += 1;
                ctx.printer.error(&e);
            }
            Err(e) => return Err(e),
        }
    }
    if failed > 0 {
        return Err(Error::Reported);
    }
    Ok(())
}

fn state_of(tool: &shared::Object) -> Option<ToolState> {
    tool.status.as_ref().and_then(|s| serde_json::from_value(s["state"].clone()).ok())
}
