//! The client sessions of the gateway that outlive a request without an rmcp session of their
//! own: stateless (2026-07-28) clients' states, one per credential and project, ended once
//! idle past `--session-idle-timeout`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::ErrorData as McpError;
use shared::name::ProjectName;

use super::state::SessionState;
use crate::access::Caller;
use crate::gateway::Gateway;

pub struct Sessions {
    pub gateway: Arc<Gateway>,
    /// Stateless clients' states, by credential hash and project.
    stateless: Mutex<HashMap<StatelessKey, Arc<SessionState>>>,
}

type StatelessKey = ([u8; 32], ProjectName);

impl Sessions {
    pub fn new(gateway: Arc<Gateway>) -> Arc<Sessions> {
        let sessions = Arc::new(Sessions { gateway, stateless: Mutex::default() });
        tokio::spawn(reap(Arc::downgrade(&sessions)));
        sessions
    }

    /// The state a stateless client's requests share: one per credential and project.
    pub fn stateless(&self, project: &ProjectName, caller: Caller) -> Result<Arc<SessionState>, McpError> {
        let key = (caller.key, project.clone());
        if let Some(state) = self.stateless.lock().unwrap().get(&key) {
            return Ok(state.clone());
        }
        let state = SessionState::open(self.gateway.clone(), project.clone(), caller)?;
        Ok(self.stateless.lock().unwrap().entry(key).or_insert(state).clone())
    }

    /// Ends a credential's stateless state in a project (revoked, or no longer allowed).
    pub fn forget_credential(&self, key: &[u8; 32], project: &ProjectName) {
        if let Some(state) = self.stateless.lock().unwrap().remove(&(*key, project.clone())) {
            state.end();
        }
    }

    /// Ends every session and child process.
    pub async fn shut_down(&self) {
        self.stateless.lock().unwrap().clear();
        self.gateway.shut_down().await;
    }
}

/// Ends stateless clients' states once idle, and shared upstreams no session uses.
async fn reap(sessions: std::sync::Weak<Sessions>) {
    let idle = match sessions.upgrade() {
        Some(sessions) => sessions.gateway.settings.session_idle_timeout,
        None => return,
    };
    let mut tick = tokio::time::interval((idle / 10).clamp(Duration::from_secs(1), Duration::from_secs(60)));
    loop {
        tick.tick().await;
        let Some(sessions) = sessions.upgrade() else { return };
        sessions.stateless.lock().unwrap().retain(|_, s| {
            s.prune_suspended();
            s.last_used.lock().unwrap().elapsed() < idle
        });
        sessions.gateway.reap_shared();
    }
}
