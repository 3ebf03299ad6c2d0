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
    // Asked by the shell for completions (the script `completion` prints): answer and exit.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(commands::completion::VAR)
        .complete();
    let cli = Cli::parse_noting_sources();
    print::set_quiet(cli.global.quiet);
    if let Some(server) = cli.global.server.as_deref().filter(|s| !s.contains("://")) {
        let project =
            matches!(&cli.command, Command::Create(c) if matches!(c.what, Some(cli::CreateCommand::Project { .. })));
        let hint = if project {
            "--server is the mcpd URL; name the project's servers with --servers a,b or --add-server NAME"
        } else {
            "give a URL such as http://127.0.0.1:3100"
        };
        print::error(&error::Error::Usage {
            message: format!("--server expects the mcpd URL, got {server:?}"),
            hint: Some(hint.to_owned()),
        });
        return ExitCode::from(2);
    }
    let ctx = Ctx::new(cli.global.clone());
    let result = match &cli.command {
        Command::Get(args) => commands::get::run(&ctx, args),
        Command::Describe(args) => ctx.no_output_flag("describe").and_then(|()| commands::describe::run(&ctx, args)),
        Command::Create(args) => commands::create::run(&ctx, args),
        Command::Apply(args) => ctx.no_output_flag("apply").and_then(|()| commands::apply::run(&ctx, args)),
        Command::Diff(args) => {
            // diff: 0 no difference, 1 differences, 2 any error.
            return match commands::diff::run(&ctx, args) {
                Ok(differs) => ExitCode::from(u8::from(differs)),
                Err(e) => {
                    print::error(&e);
                    ExitCode::from(2)
                }
            };
        }
        Command::Delete(args) => commands::delete::run(&ctx, args),
        Command::Edit(args) => commands::edit::run(&ctx, args),
        Command::Label(args) => commands::label::run(&ctx, args, commands::label::Field::Labels),
        Command::Annotate(args) => commands::label::run(&ctx, args, commands::label::Field::Annotations),
        Command::Login(args) => commands::session::login(&ctx, args),
        Command::Logout => commands::session::logout(&ctx),
        Command::Whoami(args) => commands::session::whoami(&ctx, args),
        Command::Config(command) => commands::config::run(&ctx, command),
        Command::Auth(cli::AuthCommand::CanI { verb, kind }) => {
            // can-i: exit 0 yes, 1 no.
            return match commands::auth::can_i(&ctx, verb, kind) {
                Ok(allowed) => ExitCode::from(u8::from(!allowed)),
                Err(e) => {
                    print::error(&e);
                    ExitCode::from(e.exit_code())
                }
            };
        }
        Command::Auth(cli::AuthCommand::Password { password_stdin }) => commands::auth::password(&ctx, *password_stdin),
        Command::ApiResources => commands::api_resources::run(&ctx),
        Command::Explain(args) => commands::explain::run(&ctx, args),
        Command::Completion(args) => {
            print::out(&commands::completion::script(args.shell));
            Ok(())
        }
        Command::Version => commands::version::run(&ctx),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            print::error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}
