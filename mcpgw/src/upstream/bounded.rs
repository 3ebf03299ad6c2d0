//! An upstream's incoming notifications, bounded before rmcp sees them: rmcp runs each in a
//! task of its own, so a server that floods (logging, progress, resource updates) while the
//! gateway is short of CPU would pile up tasks without limit. Past `MAX_NOTIFYING` not yet
//! handled, more are dropped here and counted. Requests, answers and list changes always pass.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rmcp::model::{ServerJsonRpcMessage, ServerNotification};
use rmcp::service::{RoleClient, TxJsonRpcMessage};
use rmcp::transport::Transport;

use crate::metrics::Metrics;

/// Notifications of one upstream received and not yet handled, at most.
pub const MAX_NOTIFYING: usize = 64;

/// How many notifications of one upstream are being handled.
#[derive(Clone, Default)]
pub struct Notifying(Arc<AtomicUsize>);

impl Notifying {
    fn admit(&self) -> bool {
        self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < MAX_NOTIFYING).then_some(n + 1)).is_ok()
    }

    /// One admitted notification was handled.
    pub fn done(&self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub struct Bounded<T> {
    inner: T,
    notifying: Notifying,
    metrics: Metrics,
}

impl<T> Bounded<T> {
    pub fn new(inner: T, notifying: Notifying, metrics: Metrics) -> Bounded<T> {
        Bounded { inner, notifying, metrics }
    }
}

/// The notifications that may be dropped: what a client would only read.
fn droppable(message: &ServerJsonRpcMessage) -> bool {
    matches!(
        message,
        ServerJsonRpcMessage::Notification(n) if matches!(
            n.notification,
            ServerNotification::LoggingMessageNotification(_)
                | ServerNotification::ProgressNotification(_)
                | ServerNotification::ResourceUpdatedNotification(_)
        )
    )
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for Bounded<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    fn receive(&mut self) -> impl std::future::Future<Output = Option<ServerJsonRpcMessage>> + Send {
        let Bounded { inner, notifying, metrics } = self;
        async move {
            loop {
                let message = inner.receive().await?;
                if droppable(&message) && !notifying.admit() {
                    metrics.notifications_dropped.inc();
                    continue;
                }
                return Some(message);
            }
        }
    }

    fn close(&mut self) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
