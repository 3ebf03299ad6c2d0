//! mcpgw: the MCP gateway. See `docs/gateway.md`.

use clap::Parser;
use mcpgw::settings::Settings;
use mcpgw::startup;

fn main() -> std::process::ExitCode {
    // Inside a sandbox with egress, mcpgw runs as the relay to its proxy, before the server.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "egress-relay") {
        return mcpgw::egress_relay(&args[2..]);
    }
    let settings = Settings::parse();
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.worker_threads())
        .enable_all()
        .build()
        .expect("the runtime starts");
    let served = runtime.block_on(async {
        let bound = startup::bind(settings).await?;
        bound.serve(startup::terminated()).await
    });
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("mcpgw: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs as `MCPGW_LOG` says (default `info`). rmcp's own log lines are always off: its errors
/// quote what upstream servers send and the URLs they are reached at, which may carry
/// credentials; the gateway logs each upstream failure itself, as a short reason.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCPGW_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        .add_directive("rmcp=off".parse().expect("a valid directive"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if std::env::var("MCPGW_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
