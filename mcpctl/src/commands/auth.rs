//! `auth can-i` (answered by the server's own authorization code) and `auth password`.

use std::io::Read;

use shared::api::{CanIRequest, PasswordChange};

use crate::commands::{kind, Ctx, ExitStatus};
use crate::error::{Error, Result};

/// Returns whether the action is allowed; the caller turns it into the exit code.
/// Exit 0 when allowed, 1 when not.
pub fn can_i(ctx: &Ctx, verb: &str, target: &str) -> Result<ExitStatus> {
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
    let answer = ctx.client()?.can_i(&CanIRequest { verb: verb.to_owned(), kind: kind_name, name, project })?;
    if !ctx.global.quiet {
        ctx.printer.out(if answer.allowed { "yes" } else { "no" });
    }
    if ctx.global.verbose() {
        ctx.printer.note(&answer.reason);
    }
    Ok(if answer.allowed { ExitStatus::Success } else { ExitStatus::Failure })
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
