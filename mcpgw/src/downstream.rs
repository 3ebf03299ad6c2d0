//! The client end of a session, as upstream relays see it: where a server's notifications and
//! requests go, which lists to read again, and a bounded queue toward a client that may not be
//! reading. Upstream code talks to this, never to the session, so `upstream` does not import
//! `session`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use rmcp::model::ServerNotification;
use rmcp::service::{Peer, RoleServer, SubscriptionSendError, SubscriptionSink};
use tokio::sync::{Notify, Semaphore};

use crate::catalog::Lists;
use crate::metrics::Metrics;

/// Notifications on their way to one client at most: past it, more are dropped and counted,
/// so a client that stops reading holds a bounded amount of the gateway's memory.
pub const NOTIFICATION_QUEUE: usize = 64;

pub struct Downstream {
    peer: Mutex<Option<Peer<RoleServer>>>,
    /// A stateless client's open `subscriptions/listen` streams.
    listeners: Mutex<Vec<SubscriptionSink>>,
    /// Lists to read again (`Lists` bits), and the wake-up of whoever reads them.
    stale: AtomicU8,
    wake: Notify,
    queue: Arc<Semaphore>,
    metrics: Metrics,
}

impl Downstream {
    pub fn new(metrics: Metrics) -> Arc<Downstream> {
        Arc::new(Downstream {
            peer: Mutex::default(),
            listeners: Mutex::default(),
            stale: AtomicU8::new(0),
            wake: Notify::new(),
            queue: Arc::new(Semaphore::new(NOTIFICATION_QUEUE)),
            metrics,
        })
    }

    /// The client's latest request came through `peer`.
    pub fn seen(&self, peer: Peer<RoleServer>) {
        *self.peer.lock().unwrap() = Some(peer);
    }

    pub fn peer(&self) -> Option<Peer<RoleServer>> {
        self.peer.lock().unwrap().clone()
    }

    /// Asks for `lists` to be listed again soon; requests close together are served by one
    /// listing, so a change is announced once.
    pub fn stale(&self, lists: Lists) {
        self.stale.fetch_or(lists.bits(), Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// The lists asked for since the last call.
    pub fn take_stale(&self) -> Lists {
        Lists::from_bits(self.stale.swap(0, Ordering::SeqCst))
    }

    /// Until something is marked stale.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    pub fn listen(&self, sink: SubscriptionSink) {
        self.listeners.lock().unwrap().push(sink);
    }

    pub fn unlisten(&self, sink: &SubscriptionSink) {
        self.listeners.lock().unwrap().retain(|s| s.id() != sink.id());
    }

    /// Sends `notification` to `peer` (a request's own peer, or the session's) unless the
    /// client already has `NOTIFICATION_QUEUE` waiting: then it is dropped and counted.
    pub async fn notify(&self, peer: &Peer<RoleServer>, notification: ServerNotification) {
        let Ok(_place) = self.queue.clone().try_acquire_owned() else {
            self.metrics.notifications_dropped.inc();
            return;
        };
        let _ = peer.send_notification(notification).await;
    }

    /// Tells the client: on the `subscriptions/listen` streams of a stateless client, else on
    /// its session's stream.
    pub async fn announce(&self, notification: ServerNotification) {
        if self.listeners.lock().unwrap().is_empty() {
            if let Some(peer) = self.peer() {
                self.notify(&peer, notification).await;
            }
            return;
        }
        self.announce_to_listeners(notification).await;
    }

    /// Sends to each open `subscriptions/listen` stream (each takes only what it asked for).
    pub async fn announce_to_listeners(&self, notification: ServerNotification) {
        let listeners = self.listeners.lock().unwrap().clone();
        let mut closed = Vec::new();
        for sink in &listeners {
            let Ok(_place) = self.queue.clone().try_acquire_owned() else {
                self.metrics.notifications_dropped.inc();
                continue;
            };
            if let Err(SubscriptionSendError::SubscriptionClosed) = sink.send(notification.clone()).await {
                closed.push(sink.id().clone());
            }
        }
        if !closed.is_empty() {
            self.listeners.lock().unwrap().retain(|s| !closed.contains(s.id()));
        }
    }
}
