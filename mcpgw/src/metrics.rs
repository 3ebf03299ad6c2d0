//! The gateway's Prometheus figures: client sessions, upstream sessions, child processes, and
//! calls by project, server, kind and outcome. Label values are bounded: project and server
//! names are objects an operator created, never anything a client sends.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub project: String,
    pub server: String,
    pub kind: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub sessions: Gauge,
    pub upstream_sessions: Gauge,
    pub processes: Gauge,
    pub calls: Family<CallLabels, Counter>,
    pub call_seconds: Histogram,
    pub refused: Counter,
    pub audit_dropped: Counter,
    pub notifications_dropped: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mcpgw");
        let sessions = Gauge::default();
        registry.register("client_sessions", "Open client sessions", sessions.clone());
        let upstream_sessions = Gauge::default();
        registry.register("upstream_sessions", "Open sessions with upstream servers", upstream_sessions.clone());
        let processes = Gauge::default();
        registry.register("processes", "Child processes running (stdio servers)", processes.clone());
        let calls = Family::<CallLabels, Counter>::default();
        registry.register("calls", "Tool calls, prompt gets and resource reads relayed", calls.clone());
        let call_seconds = Histogram::new([0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0, 60.0]);
        registry.register("call_duration_seconds", "Time a relayed call took", call_seconds.clone());
        let refused = Counter::default();
        registry.register("refused_requests", "Requests refused for their credential (401 and 403)", refused.clone());
        let audit_dropped = Counter::default();
        registry.register(
            "audit_dropped_events",
            "Call events that could not be written to mcpd",
            audit_dropped.clone(),
        );
        let notifications_dropped = Counter::default();
        registry.register(
            "notifications_dropped",
            "Notifications to clients dropped because the client was not reading",
            notifications_dropped.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            sessions,
            upstream_sessions,
            processes,
            calls,
            call_seconds,
            refused,
            audit_dropped,
            notifications_dropped,
        }
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}
