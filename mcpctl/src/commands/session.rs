//! `login`, `logout` and `whoami`.

use std::io::{BufRead, IsTerminal, Read};

use crate::cli::{LoginArgs, Output, WhoamiArgs};
use crate::client::Client;
use crate::commands::Ctx;
use crate::config::{self, ConfigFile, Context, Target};
use crate::error::{Error, Result};

pub fn login(ctx: &Ctx, args: &LoginArgs) -> Result<()> {
    let path = config::path(&ctx.global);
    let mut file = ConfigFile::load(&path)?;
    let current = file.selected(&ctx.global)?.cloned();
    let server = config::server_url(&ctx.global)?
        .or_else(|| current.as_ref().map(|c| c.server.clone()).filter(|s| !s.is_empty()))
        .ok_or_else(|| Error::usage("no server to log in to: pass --server URL"))?;
    let server = server.trim_end_matches('/').to_owned();
    let email = match &args.email {
        Some(email) => email.clone(),
        None if args.password_stdin => return Err(Error::usage("--password-stdin needs --email")),
        None if !std::io::stdin().is_terminal() => {
            return Err(Error::Usage {
                message: "no terminal to ask for the email on".to_owned(),
                hint: Some("pass --email E and pipe the password in with --password-stdin".to_owned()),
            })
        }
        None => prompt(ctx, "Email: ")?,
    };
    let password = if args.password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| Error::Invalid(format!("cannot read stdin: {e}")))?;
        text.trim_end_matches(['\n', '\r']).to_owned()
    } else if !std::io::stdin().is_terminal() {
        return Err(Error::Usage {
            message: "no terminal to ask for the password on".to_owned(),
            hint: Some("pipe it in with --password-stdin: mcpctl login --email E --password-stdin < file".to_owned()),
        });
    } else {
        rpassword::prompt_password("Password: ")
            .map_err(|e| Error::Invalid(format!("cannot read the password: {e}")))?
    };
    let target = Target { server: server.clone(), token: None, project: None };
    let client = Client::new(target, ctx.global.verbose(), ctx.request_timeout());
    let session = client.login(&email, &password)?;
    // A context per user and server, `EMAIL@HOST:PORT`: logging in as someone else, or to
    // another server, never replaces another context (admin.yaml's `admin` included).
    let name = ctx.global.context.clone().unwrap_or_else(|| format!("{email}@{}", context_name(&server)));
    let kept = file.context(&name);
    let (project, gateway) = (kept.and_then(|c| c.project.clone()), kept.and_then(|c| c.gateway.clone()));
    file.upsert(Context { name: name.clone(), server, token: Some(session.token), project, gateway });
    file.current_context = Some(name.clone());
    file.save(&path)?;
    ctx.printer.out(&format!("logged in as {email}; context {name:?} saved in {} and made current", path.display()));
    Ok(())
}

/// `host:port` of a server URL, as the default context name.
fn context_name(server: &str) -> String {
    server.split_once("://").map_or(server, |(_, rest)| rest).trim_end_matches('/').to_owned()
}

fn prompt(ctx: &Ctx, label: &str) -> Result<String> {
    ctx.printer.prompt(label);
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::Invalid(format!("cannot read input: {e}")))?;
    Ok(line.trim().to_owned())
}

pub fn logout(ctx: &Ctx) -> Result<()> {
    ctx.client()?.logout()?;
    let path = config::path(&ctx.global);
    let mut file = ConfigFile::load(&path)?;
    if ctx.global.token.is_none() {
        if let Some(name) = file.selected(&ctx.global)?.map(|c| c.name.clone()) {
            if let Some(context) = file.contexts.iter_mut().find(|c| c.name == name) {
                context.token = None;
            }
            file.save(&path)?;
        }
    }
    ctx.printer.out("logged out");
    Ok(())
}

pub fn whoami(ctx: &Ctx, args: &WhoamiArgs) -> Result<()> {
    let client = ctx.client()?;
    let me = client.whoami()?;
    match ctx.output() {
        Output::Name => ctx.printer.out(&format!("{}/{}", me.kind.to_lowercase(), me.name)),
        Output::Table | Output::Wide => {
            let mut text = format!("{}: {}\nAuthenticated by: {}\n", me.kind, me.name, me.via);
            if let Some(project) = &me.project {
                text.push_str(&format!("Project: {project}\n"));
            }
            if let Some(creator) = &me.created_by {
                text.push_str(&format!("Created by: {creator}\n"));
            }
            if let Some(expires) = &me.expires_at {
                text.push_str(&format!("Expires: {expires}\n"));
            }
            if args.show_token {
                text.push_str(&format!("Token: {}\n", client.target().token.as_deref().unwrap_or("")));
            }
            ctx.printer.out(&text);
        }
        output => {
            let mut value = serde_json::to_value(&me).expect("whoami serializes");
            if args.show_token {
                value["token"] = serde_json::json!(client.target().token);
            }
            ctx.printer.structured(&value, &output)?;
        }
    }
    Ok(())
}
