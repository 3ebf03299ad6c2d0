//! mcpctl: a kubectl-style command line for mcpd.

mod cli;
mod client;
mod commands;
mod config;
mod error;
mod manifest;
mod print;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::commands::Ctx;

fn main() -> ExitCode {
    // An exported but empty MCPCTL_* variable (`export MCPCTL_CONFIG=`) means unset, as in
    // kubectl, not a flag given without its value.
    for (name, value) in std::env::vars_os() {
        if value.is_empty() && name.to_str().is_some_and(|n| n.starts_with("MCPCTL_")) {
            std::env::remove_var(name);
        }
    }
    // Asked by the shell for completions (the script `completion` prints): answer and exit.
    let _ = cli::NAME_COMPLETER.set(commands::completion::names);
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(commands::completion::VAR)
        .complete();
    let cli = Cli::parse_noting_sources();
    let printer = print::Printer::new(cli.global.quiet);
    if let Some(server) = cli.global.server.as_deref().filter(|s| !s.contains("://")) {
        let project =
            matches!(&cli.command, Command::Create(c) if matches!(c.what, Some(cli::CreateCommand::Project { .. })));
        let hint = if project {
            "--server is the mcpd URL; name the project's servers with --servers a,b or --add-server NAME"
        } else {
            "give a URL such as http://127.0.0.1:3100"
        };
        printer.error(&error::Error::Usage {
            message: format!("--server expects the mcpd URL, got {server:?}"),
            hint: Some(hint.to_owned()),
        });
        return ExitCode::from(2);
    }
    let ctx = Ctx::new(cli.global.clone());
    match commands::run(&ctx, &cli.command) {
        Ok(status) => status.into(),
        Err(e) => {
            ctx.printer.error(&e);
            // diff answers 2 for every error: its 1 means "different".
            let code = if matches!(cli.command, Command::Diff(_)) { 2 } else { e.exit_code() };
            ExitCode::from(code)
        }
    }
}
