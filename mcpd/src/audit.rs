//! The audit trail: handlers record events on a channel; one task writes them in batches, so
//! a request never waits on the audit table. `flush` gives read-your-writes to `get events`.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::metrics::Metrics;
use crate::store::audit::{self, EventRow};
use crate::store::Store;

enum Message {
    Event(Box<EventRow>),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::UnboundedSender<Message>,
    metrics: Arc<Metrics>,
}

/// What one event says; the principal is named, never identified by a secret.
pub struct Event<'a> {
    pub principal: &'a str,
    pub verb: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub project: Option<&'a str>,
    pub code: u16,
    pub dry_run: bool,
}

impl AuditSink {
    pub fn record(&self, e: Event<'_>) {
        let row = EventRow {
            id: 0,
            time: crate::util::now(),
            principal: e.principal.to_owned(),
            verb: e.verb.to_owned(),
            kind: e.kind.to_owned(),
            name: e.name.to_owned(),
            project: e.project.filter(|p| !p.is_empty()).map(str::to_owned),
            code: i64::from(e.code),
            dry_run: e.dry_run,
            call: None,
        };
        // Fails only after the writer stopped, at shutdown.
        if self.tx.send(Message::Event(Box::new(row))).is_ok() {
            self.metrics.audit_queued.inc();
        } else {
            self.metrics.audit_dropped.inc();
        }
    }

    /// Waits until every event recorded before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

/// Starts the writer; it ends once every sink is dropped and the queue is written.
pub fn spawn_writer(store: Store, metrics: Arc<Metrics>) -> (AuditSink, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let sink = AuditSink { tx, metrics: metrics.clone() };
    let handle = tokio::spawn(async move {
        let mut batch = Vec::new();
        let mut waiting = Vec::new();
        while let Some(first) = rx.recv().await {
            let mut next = Some(first);
            while let Some(message) = next.take().or_else(|| rx.try_recv().ok()) {
                match message {
                    Message::Event(row) => batch.push(*row),
                    Message::Flush(done) => waiting.push(done),
                }
                if batch.len() >= 500 {
                    break;
                }
            }
            if !batch.is_empty() {
                if let Err(e) = audit::insert(store.pool(), &batch).await {
                    tracing::error!(error = %e, events = batch.len(), "could not write audit events");
                    metrics.audit_dropped.inc_by(batch.len() as u64);
                }
                metrics.audit_queued.dec_by(batch.len() as i64);
                batch.clear();
            }
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
        }
    });
    (sink, handle)
}
