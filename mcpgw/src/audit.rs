//! Calls the gateway relayed, sent to mcpd's audit trail in batches: at most one request a
//! second, or sooner when a batch is full, and again while mcpd cannot take them. Never
//! arguments or results: a `CallEvent` has no field for them.

use std::time::Duration;

use shared::api::{CallEvent, MAX_CALL_EVENTS};
use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// Events waiting to be sent; past this, new ones are dropped and counted.
const QUEUE: usize = 10_000;
const INTERVAL: Duration = Duration::from_secs(1);
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

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
            deliver(&mcpd, std::mem::take(&mut batch), &metrics).await;
        }
        if !open {
            return;
        }
    }
}

/// Sends one batch. One mcpd could not take for a passing reason (unreachable, or a 5xx: its
/// database down, say) is sent again after 1 s, then 2 s, up to 30 s apart, while new calls
/// wait in the queue. One it refuses (4xx) is dropped and counted: it would fail again.
async fn deliver(mcpd: &client::Client, items: Vec<CallEvent>, metrics: &Metrics) {
    let count = items.len();
    let mut pause = RETRY_FIRST;
    loop {
        match mcpd.record_calls(items.clone()).await {
            Ok(()) => return,
            Err(e) if passing(&e) => {
                tracing::warn!(events = count, error = %e, "calls not yet written to the audit trail; sending them again in {pause:?}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(RETRY_MAX);
            }
            Err(e) => {
                metrics.audit_dropped.inc_by(count as u64);
                tracing::warn!(events = count, error = %e, "calls refused by the audit trail");
                return;
            }
        }
    }
}

/// Now, as the audit trail writes times (RFC 3339, whole seconds).
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .expect("the time formats")
}

/// The longest name mcpd's intake takes, in bytes.
const MAX_NAME: usize = 1024;

/// A name as the audit trail takes it (1 to 1024 bytes, no control characters): whatever a
/// client sends as a URI, or a server as a tool name, one event is never refused for it, and
/// with it the batch.
pub fn name(name: &str) -> String {
    let mut printable = String::new();
    for c in name.chars().map(|c| if c.is_control() { '?' } else { c }) {
        if printable.len() + c.len_utf8() > MAX_NAME {
            break;
        }
        printable.push(c);
    }
    if printable.is_empty() {
        "?".to_owned()
    } else {
        printable
    }
}

fn passing(error: &client::Error) -> bool {
    match error {
        client::Error::Server(status) => status.code >= 500 || status.code == 429,
        client::Error::Unreachable { .. } => true,
        client::Error::Invalid(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_the_intake_in_bytes_and_keep_whole_characters() {
        assert_eq!(name("echo"), "echo");
        assert_eq!(name(""), "?");
        assert_eq!(name("a\nb\u{7}"), "a?b?");
        // 600 three-byte characters: 1800 bytes, cut to 341 whole characters (1023 bytes).
        let wide = name(&"界".repeat(600));
        assert!(wide.len() <= MAX_NAME && wide.len() > MAX_NAME - 3, "{}", wide.len());
        assert!(wide.chars().all(|c| c == '界'));
        assert_eq!(name(&"x".repeat(5000)).len(), MAX_NAME);
    }
}
