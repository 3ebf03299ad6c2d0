//! Calls the gateway relayed, sent to mcpd's audit trail in batches: at most one request a
//! second, or sooner when a batch is full. Never arguments or results: a `CallEvent` has no
//! field for them.

use std::time::Duration;

use shared::api::{CallEvent, MAX_CALL_EVENTS};
use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// Events waiting to be sent; past this, new ones are dropped and counted.
const QUEUE: usize = 10_000;
const INTERVAL: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<CallEvent>,
    metrics: Metrics,
}

impl AuditLog {
    /// Starts the sender; it ends, after sending what is queued, when every `AuditLog` is
    /// dropped.
    pub fn start(mcpd: client::Client, metrics: Metrics) -> (AuditLog, tokio::task::JoinHandle<()>) {
        let (queue, events) = mpsc::channel(QUEUE);
        let task = tokio::spawn(send(mcpd, events, metrics.clone()));
        (AuditLog { queue, metrics }, task)
    }

    pub fn record(&self, event: CallEvent) {
        if self.queue.try_send(event).is_err() {
            self.metrics.audit_dropped.inc();
        }
    }
}

async fn send(mcpd: client::Client, mut events: mpsc::Receiver<CallEvent>, metrics: Metrics) {
    let mut batch = Vec::new();
    loop {
        let open = events.recv_many(&mut batch, MAX_CALL_EVENTS).await > 0;
        if open && batch.len() < MAX_CALL_EVENTS {
            // Gather what else arrives within the interval.
            let deadline = tokio::time::Instant::now() + INTERVAL;
            while batch.len() < MAX_CALL_EVENTS {
                match tokio::time::timeout_at(deadline, events.recv()).await {
                    Ok(Some(event)) => batch.push(event),
                    _ => break,
                }
            }
        }
        if !batch.is_empty() {
            let count = batch.len();
            let items = std::mem::take(&mut batch);
            if let Err(e) = mcpd.record_calls(items).await {
                metrics.audit_dropped.inc_by(count as u64);
                tracing::warn!(events = count, error = %e, "calls could not be written to the audit trail");
            }
        }
        if !open {
            return;
        }
    }
}
