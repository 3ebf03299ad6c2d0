//! Flags → a running gateway: resolve the credential, bind (port 0 in tests), serve until
//! stopped, then end sessions and child processes and send what the audit trail still holds.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio_util::sync::CancellationToken;

use crate::audit::AuditLog;
use crate::gateway::Gateway;
use crate::metrics::Metrics;
use crate::sandbox::Sandbox;
use crate::session::Sessions;
use crate::settings::{self, Settings};

/// A gateway bound to its address and ready to serve.
pub struct Bound {
    listener: tokio::net::TcpListener,
    pub address: SocketAddr,
    sessions: Arc<Sessions>,
    audit_task: tokio::task::JoinHandle<()>,
}

/// Builds the gateway from its settings and binds its address.
pub async fn bind(settings: Settings) -> anyhow::Result<Bound> {
    // Upstream https:// servers are reached with rustls on ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let credential = settings::credential(&settings)?;
    let sandbox = Sandbox::detect(&settings)?;
    let mcpd =
        client::Client::new(client::Config::new(settings.mcpd_url.trim_end_matches('/'), Some(credential.token)));
    let metrics = Metrics::new();
    let (audit, audit_task) = AuditLog::start(mcpd.clone(), metrics.clone());
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(
        listen = %address,
        mcpd = %settings.mcpd_url,
        credential = %credential.source,
        max_processes = settings.max_processes,
        sandbox = %sandbox.describe(),
        "mcpgw serving /projects/{{project}}/mcp"
    );
    if let Some(warning) = sandbox.warning() {
        tracing::warn!("{warning}");
    }
    if let Some(missing) = sandbox.engine_missing() {
        tracing::warn!("servers with an image are refused: {missing}");
    }
    let name = settings.name.clone().unwrap_or_else(|| format!("{}:{}", host_name(), address.port()));
    let gateway = Arc::new(Gateway::new(settings, sandbox, mcpd, audit, metrics));
    gateway.projects.follow();
    gateway.report_standings(name);
    let sessions = Sessions::new(gateway);
    Ok(Bound { listener, address, sessions, audit_task })
}

impl Bound {
    /// Serves until `stop` completes; then ends every session and child process, and sends
    /// what is queued for the audit trail for at most two seconds.
    pub async fn serve(self, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let shutdown = CancellationToken::new();
        let app = crate::http::router(self.sessions.clone(), shutdown.clone());
        // Answers are small and latency matters: no Nagle delay on accepted connections.
        let listener = self.listener.tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
        let signalled = shutdown.clone();
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                stop.await;
                tracing::info!("shutting down: ending sessions and child processes");
                signalled.cancel();
            })
            .await?;
        self.sessions.shut_down().await;
        drop(self.sessions);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.audit_task).await;
        Ok(())
    }
}

/// This machine's host name, or `mcpgw` when it cannot be read.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "mcpgw".to_owned())
}

/// Until SIGTERM or SIGINT.
pub async fn terminated() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
