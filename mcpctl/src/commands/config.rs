//! `config view|get-contexts|use-context|current-context|delete-context|set-context|client`.

use crate::cli::{ConfigCommand, Output};
use crate::commands::Ctx;
use crate::config::{self, ConfigFile, Context};
use crate::error::{Error, Result};
use crate::print;

pub fn run(ctx: &Ctx, command: &ConfigCommand) -> Result<()> {
    let path = config::path(&ctx.global);
    let mut file = ConfigFile::load(&path)?;
    match command {
        ConfigCommand::View { raw } => {
            let mut shown = file.clone();
            if !raw {
                for c in &mut shown.contexts {
                    if c.token.is_some() {
                        c.token = Some("REDACTED".to_owned());
                    }
                }
            }
            let value = serde_json::to_value(&shown).expect("config serializes");
            ctx.printer.structured(&value, &ctx.global.output.clone().unwrap_or(Output::Yaml))?;
        }
        ConfigCommand::GetContexts => {
            match ctx.output() {
                Output::Table | Output::Wide => {}
                Output::Name => {
                    let names: Vec<&str> = file.contexts.iter().map(|c| c.name.as_str()).collect();
                    ctx.printer.out(&names.join("\n"));
                    return Ok(());
                }
                other => return Err(print::unsupported(&other, "table or name")),
            }
            let rows = file.contexts.iter().map(|c| {
                let current = if file.current_context.as_deref() == Some(c.name.as_str()) { "*" } else { "" };
                vec![current.to_owned(), c.name.clone(), c.server.clone(), c.project.clone().unwrap_or_default()]
            });
            let header = ["CURRENT", "NAME", "SERVER", "PROJECT"].map(str::to_owned).to_vec();
            ctx.printer.out(&print::plain_table(Some(header), rows));
        }
        ConfigCommand::UseContext { name } => {
            if file.context(name).is_none() {
                return Err(Error::usage(format!("no context named {name:?}")));
            }
            file.current_context = Some(name.clone());
            file.save(&path)?;
            ctx.printer.out(&format!("switched to context {name:?}"));
        }
        ConfigCommand::DeleteContext { name } => {
            if file.context(name).is_none() {
                return Err(Error::usage(format!("no context named {name:?}")));
            }
            file.contexts.retain(|c| &c.name != name);
            let was_current = file.current_context.as_deref() == Some(name.as_str());
            if was_current {
                file.current_context = None;
            }
            file.save(&path)?;
            ctx.printer.out(&format!("deleted context {name:?} from {}", path.display()));
            if was_current {
                ctx.printer.warn("that was the current context: choose another with mcpctl config use-context NAME");
            }
        }
        ConfigCommand::CurrentContext => match &file.current_context {
            Some(name) => ctx.printer.out(name),
            None => return Err(Error::usage("current context is not set")),
        },
        ConfigCommand::Client { client, gateway, transport } => {
            let url = config::gateway_url(&ctx.global, gateway.gateway.as_deref())?;
            let context = file.selected(&ctx.global)?.map(|c| c.name.clone());
            let given = gateway.gateway.is_some();
            return super::clients::print(ctx, *client, *transport, &url, given, context.as_deref());
        }
        ConfigCommand::SetContext { name, gateway } => {
            // Only what was given here as flags: a token or server exported for one run (CI's
            // MCPCTL_TOKEN) must not land on disk.
            let given = &ctx.global.on_command_line;
            let server = config::server_url(&ctx.global)?.filter(|_| given.server);
            let token = ctx.global.token.as_ref().filter(|_| given.token);
            let project = ctx.global.project.as_ref().filter(|_| given.project);
            let mut context =
                file.context(name).cloned().unwrap_or(Context { name: name.clone(), ..Context::default() });
            if let Some(s) = server {
                context.server = s;
            }
            if let Some(t) = token {
                context.token = Some(t.clone());
            }
            if let Some(p) = project {
                context.project = Some(p.clone()).filter(|p| !p.is_empty());
            }
            if let Some(g) = gateway {
                context.gateway = Some(config::gateway_url(&ctx.global, Some(g))?).filter(|g| !g.is_empty());
            }
            let existed = file.context(name).is_some();
            file.upsert(context);
            if file.current_context.is_none() {
                file.current_context = Some(name.clone());
            }
            file.save(&path)?;
            ctx.printer.out(&format!("context {name:?} {}", if existed { "modified" } else { "created" }));
        }
    }
    Ok(())
}
