//! `auth can-i` (answered by the server's own authorization code) and `auth password`.

use std::io::Read;

use shared::api::{CanIRequest, PasswordChange};

use crate::commands::{kind, Ctx, ExitStatus};
use crate::error::{Error, Result};

/// Returns whether the action is allowed; the caller turns it into the exit code.
/// Exit 0 when allowed, 1 when not, 2 when the server cannot answer the question as asked.
pub fn can_i(ctx: &Ctx, verb: &str, target: &str, as_user: Option<&str>) -> Result<ExitStatus> {
    let (kind_word, name) = match target.split_once('/') {
        Some((k, n)) => (k, Some(n.to_owned())),
        None => (target, None),
    };
    let (kind_name, project) = if verb == "run" {
        (kind_word.to_owned(), None)
    } else {
        let info = kind(kind_word)?;
        let project = ctx.project_for(info)?;
        (info.plural.to_owned(), project.map(String::from))
    };
    let question =
        CanIRequest { verb: verb.to_owned(), kind: kind_name, name, project, as_user: as_user.map(String::from) };
    let answer = ctx.client()?.can_i(&question).map_err(|e| malformed(e, verb, target))?;
    if !ctx.global.quiet {
        ctx.printer.out(if answer.allowed { "yes" } else { "no" });
    }
    if ctx.global.verbose() {
        ctx.printer.note(&answer.reason);
    }
    Ok(if answer.allowed { ExitStatus::Success } else { ExitStatus::Failure })
}

/// A question the server cannot answer (an unknown verb or kind) is the command line's
/// mistake, exit 2, not a "no".
fn malformed(error: Error, verb: &str, target: &str) -> Error {
    match error {
        Error::Server(status) if status.code == 400 => {
            let hint = match (verb, target.split_once('/')) {
                ("connect", Some((_, project))) => format!("to ask about connecting: mcpctl auth can-i run connect/{project}"),
                _ => "mcpctl auth can-i VERB KIND[/NAME] with VERB get, list, create, update, delete, or run ACTION (connect/PROJECT, introspect)".to_owned(),
            };
            Error::Usage { message: status.message, hint: Some(hint) }
        }
        other => other,
    }
}

/// `auth can-i --list`: each kind with the verbs allowed on every object of it (in the
/// context's project for kinds that live in projects), then each action allowed.
pub fn list(ctx: &Ctx, as_user: Option<&str>) -> Result<()> {
    let client = ctx.client()?;
    let ask = |verb: &str, kind: String, project: Option<String>| {
        let question =
            CanIRequest { verb: verb.to_owned(), kind, name: None, project, as_user: as_user.map(String::from) };
        client.can_i(&question).map(|answer| answer.allowed).map_err(|e| malformed(e, verb, ""))
    };
    let mut rows = Vec::new();
    for info in shared::KINDS {
        // A project's tools are asked about in the context's project only.
        if info.needs_project() && ctx.project()?.is_none() {
            continue;
        }
        let project = ctx.project_for(info)?.map(String::from);
        let mut verbs = Vec::new();
        for verb in ["get", "list", "create", "update", "delete"] {
            if ask(verb, info.plural.to_owned(), project.clone())? {
                verbs.push(verb);
            }
        }
        if !verbs.is_empty() {
            rows.push(vec![info.plural.to_owned(), verbs.join(" ")]);
        }
    }
    for action in shared::rbac::ACTIONS.iter().copied().filter(|a| *a != "*") {
        // connect, in the context's project when it has one.
        let project = (action == "connect").then(|| ctx.global.project.clone()).flatten();
        if ask("run", action.to_owned(), project)? {
            rows.push(vec![format!("action:{action}"), "run".to_owned()]);
        }
    }
    ctx.printer.out(&crate::print::plain_table(Some(vec!["RESOURCE".to_owned(), "VERBS".to_owned()]), rows));
    Ok(())
}

pub fn password(ctx: &Ctx, from_stdin: bool) -> Result<()> {
    let (current, new) = if from_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| Error::Invalid(format!("cannot read stdin: {e}")))?;
        let mut lines = text.lines();
        match (lines.next(), lines.next()) {
            (Some(c), Some(n)) => (c.to_owned(), n.to_owned()),
            _ => {
                return Err(Error::usage("--password-stdin expects the current password and the new one on two lines"))
            }
        }
    } else {
        let read = |label: &str| {
            rpassword::prompt_password(label).map_err(|e| Error::Invalid(format!("cannot read the password: {e}")))
        };
        (read("Current password: ")?, read("New password: ")?)
    };
    ctx.client()?.change_password(&PasswordChange { current_password: current, new_password: new })?;
    ctx.printer.out("password changed");
    ctx.printer.note("every session issued before now has ended, this one too: log in again with `mcpctl login`");
    Ok(())
}
