//! mcpgw: the MCP gateway. See `docs/gateway.md`.

mod access;
mod audit;
mod gateway;
mod http;
mod metrics;
mod names;
mod session;
mod settings;
mod sse;
mod upstream;

use std::sync::Arc;

use axum::serve::ListenerExt;
use clap::Parser;
use tokio_util::sync::CancellationToken;

use crate::audit::AuditLog;
use crate::gateway::Gateway;
use crate::metrics::Metrics;
use crate::settings::Settings;

fn main() -> std::process::ExitCode {
    let settings = Settings::parse();
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.worker_threads())
        .enable_all()
        .build()
        .expect("the runtime starts");
    match runtime.block_on(run(settings)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("mcpgw: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCPGW_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if std::env::var("MCPGW_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    // Upstream https:// servers are reached with rustls on ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let credential = settings::credential(&settings)?;
    let mcpd =
        client::Client::new(client::Config::new(settings.mcpd_url.trim_end_matches('/'), Some(credential.token)));
    let metrics = Metrics::new();
    let (audit, audit_task) = AuditLog::start(mcpd.clone(), metrics.clone());
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
    let listen = listener.local_addr()?;
    tracing::info!(
        %listen,
        mcpd = %settings.mcpd_url,
        credential = %credential.source,
        max_processes = settings.max_processes,
        "mcpgw serving /projects/{{project}}/mcp"
    );
    let gateway = Arc::new(Gateway::new(settings, mcpd, audit, metrics));
    gateway.follow_changes();
    gateway.reap_idle();

    let shutdown = CancellationToken::new();
    let app = http::router(gateway.clone(), shutdown.clone());
    let signalled = shutdown.clone();
    // Answers are small and latency matters: no Nagle delay on accepted connections.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            terminated().await;
            tracing::info!("shutting down: ending sessions and child processes");
            signalled.cancel();
        })
        .await?;
    gateway.shut_down().await;
    drop(gateway);
    // Whatever is queued for the audit trail goes out, for at most two seconds.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), audit_task).await;
    Ok(())
}

async fn terminated() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
