//! Upstream sessions: the gateway as an MCP client of one server, over one transport per
//! module (`stdio`, `http`, `sse`), with `relay` as its handler and `processes` bounding the
//! children of stdio servers (each in the gateway's `sandbox`). Every failure is an [`UpstreamError`] naming the server.

mod bounded;
mod error;
mod http;
mod processes;
mod relay;
mod sse;
mod stdio;

use std::sync::Arc;
use std::time::Duration;

use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::ServiceExt;
use shared::api::ResolvedServer;
use shared::spec::Transport;

pub use error::{Cause, UpstreamError};
pub use processes::Processes;
pub use relay::{InputAsk, Relay, RelayState};

use crate::metrics::Metrics;
use crate::sandbox::{Confinement, Sandbox};

/// An open session with one upstream server.
pub struct Upstream {
    /// The settings it was started with: a different resolution means a restart.
    pub spec: ResolvedServer,
    pub relay: Arc<RelayState>,
    service: RunningService<RoleClient, Relay>,
    _process: Option<processes::ProcessGuard>,
    confinement: Confinement,
    metrics: Metrics,
}

impl Upstream {
    pub fn peer(&self) -> &Peer<RoleClient> {
        self.service.peer()
    }

    /// The process exited or the connection is gone: a hard signal to start again.
    pub fn is_closed(&self) -> bool {
        self.service.is_closed() || self.service.peer().is_transport_closed()
    }

    /// Why a request on this session failed, as the client and the log may see it.
    pub fn failed(&self, error: &rmcp::service::ServiceError) -> UpstreamError {
        let cause = match (error::of_service(error), self.confinement.known_limit()) {
            (Cause::Closed, Some(limit)) => Cause::OverLimit(limit),
            (cause, _) => cause,
        };
        UpstreamError::new(&self.spec.name, cause)
    }

    /// The sandbox limit that ended this server's process, if one did: such a server is not
    /// simply started again for the same request. Asked once the session is lost; after it,
    /// [`Upstream::failed`] names the limit.
    pub async fn over_limit(&self) -> Option<String> {
        self.confinement.over_limit().await
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.metrics.upstream_sessions.dec();
    }
}

/// Whether two resolutions of a server start the same session: what takes effect, not the
/// versions (a label edited, or another key of a Secret changed, restarts nothing).
pub fn same_settings(a: &ResolvedServer, b: &ResolvedServer) -> bool {
    (a.transport, a.sharing, &a.command, &a.args, &a.image, &a.url, &a.headers, &a.env, &a.sandbox, &a.unavailable)
        == (
            b.transport,
            b.sharing,
            &b.command,
            &b.args,
            &b.image,
            &b.url,
            &b.headers,
            &b.env,
            &b.sandbox,
            &b.unavailable,
        )
}

/// What starting a session needs besides the server's settings.
pub struct Start<'a> {
    pub processes: &'a Processes,
    pub sandbox: &'a Sandbox,
    pub metrics: &'a Metrics,
    /// How long the connection and the MCP handshake may take (`--start-timeout`).
    pub timeout: Duration,
}

/// Starts a session with `spec`: spawns its process, or connects to its URL, and initializes,
/// all within `start.timeout`.
pub async fn start(spec: &ResolvedServer, relay: Arc<RelayState>, start: Start<'_>) -> Result<Upstream, UpstreamError> {
    let fail = |cause| UpstreamError::new(&spec.name, cause);
    if let Some(why) = &spec.unavailable {
        return Err(fail(Cause::Secrets(why.clone())));
    }
    let started = tokio::time::timeout(start.timeout, async {
        match spec.transport {
            Transport::Stdio => {
                let child = stdio::spawn(spec, &relay.project, start.processes, start.sandbox)?;
                match initialize(&relay, child.transport, start.metrics).await {
                    Ok(service) => Ok((service, child.guard, child.confinement)),
                    Err(Cause::Closed) => {
                        Err(child.confinement.over_limit().await.map_or(Cause::Closed, Cause::OverLimit))
                    }
                    Err(cause) => Err(cause),
                }
            }
            Transport::Http => {
                Ok((initialize(&relay, http::transport(spec)?, start.metrics).await?, None, Confinement::default()))
            }
            Transport::Sse => {
                Ok((initialize(&relay, sse::connect(spec).await?, start.metrics).await?, None, Confinement::default()))
            }
        }
    })
    .await;
    let (service, process, confinement) = started.map_err(|_| fail(Cause::TimedOut))?.map_err(fail)?;
    start.metrics.upstream_sessions.inc();
    Ok(Upstream { spec: spec.clone(), relay, service, _process: process, confinement, metrics: start.metrics.clone() })
}

/// The MCP handshake with an upstream on `transport`, whose notifications are bounded.
async fn initialize<T, E, A>(
    relay: &Arc<RelayState>,
    transport: T,
    metrics: &Metrics,
) -> Result<RunningService<RoleClient, Relay>, Cause>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let bounded = bounded::Bounded::new(transport.into_transport(), relay.notifying.clone(), metrics.clone());
    // Boxed, so that the handshake's future is proven Send here, where its types are known.
    let serving: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>> =
        Box::pin(Relay(relay.clone()).serve(bounded));
    serving.await.map_err(|e| error::of_initialize(&e))
}
