//! The mcpd binary: parse flags, set up logs, serve or migrate.

use clap::Parser;
use mcpd::config::{Cli, Command};
use mcpd::startup::{self, Application};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    mcpd::telemetry::init();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => match Application::build(&cli.config).await {
            Ok(app) => app.run_until_stopped(startup::stop_signal()).await,
            Err(e) => Err(e),
        },
        Command::Migrate => startup::migrate_only(&cli.config).await,
        Command::RotateKey => startup::rotate_key(&cli.config).await.map(|(moved, key)| {
            println!("re-encrypted {moved} secret values under key {key}");
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "mcpd failed");
            eprintln!("mcpd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
