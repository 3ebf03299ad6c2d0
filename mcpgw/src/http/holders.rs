//! Who holds what at the endpoint: each session's binding to the credential that opened it,
//! kept exactly as long as the session lives; the caps on sessions, per credential and in
//! total; and every open stream, so that a credential that is revoked or loses `connect`
//! loses its standing streams at once and its sessions as soon as no answer of theirs is
//! still on its way (the watch is in `http/mod.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use axum::body::Body;
use futures::StreamExt;
use shared::name::ProjectName;
use tokio_util::sync::CancellationToken;

/// How often every credential holding a stream or session is checked again with mcpd.
pub const RECHECK: Duration = Duration::from_millis(400);
/// Checks in flight at once.
pub const RECHECKS_AT_ONCE: usize = 16;

/// A credential's SHA-256.
pub type Key = [u8; 32];

pub struct Holders {
    inner: Mutex<Inner>,
    max_per_credential: usize,
    max_total: usize,
}

#[derive(Default)]
struct Inner {
    /// Each session's binding, by session id, while the session lives.
    sessions: HashMap<String, Weak<Binding>>,
    per_credential: HashMap<Key, usize>,
    total: usize,
    /// What each credential holds in each project.
    grants: HashMap<(Key, ProjectName), Grant>,
}

/// A credential's streams and sessions in one project, and how to end them.
struct Grant {
    /// The credential itself, to ask mcpd again; never logged.
    bearer: String,
    /// Cancelled when the credential is revoked: ends its standing streams.
    revoked: CancellationToken,
    is_revoked: bool,
    /// Open `GET` streams.
    standing: usize,
    /// Answers to `POST`s still streaming.
    answers: usize,
    sessions: usize,
}

/// What kind of stream a response is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// A session's `GET` stream: open for as long as the client likes.
    Standing,
    /// The answer to one `POST`: it ends with the request.
    Answer,
}

/// Why a new session is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Full {
    /// The credential holds `--max-sessions-per-credential`: 429.
    Credential(usize),
    /// The gateway holds `--max-sessions`: 503.
    Gateway(usize),
}

/// A session's binding to its credential: it lives in the session's state, and the session
/// counts against the caps until it is dropped.
pub struct Binding {
    pub key: Key,
    pub project: ProjectName,
    id: OnceLock<String>,
    holders: Weak<Holders>,
    /// Counted no more: its session ended (the state may be dropped a moment later).
    released: AtomicBool,
}

impl Drop for Binding {
    fn drop(&mut self) {
        if let Some(holders) = self.holders.upgrade() {
            holders.release(self);
        }
    }
}

impl Holders {
    pub fn new(max_per_credential: usize, max_total: usize) -> Arc<Holders> {
        Arc::new(Holders { inner: Mutex::default(), max_per_credential, max_total })
    }

    /// Whether `key` may open one more session.
    pub fn room(&self, key: &Key) -> Result<(), Full> {
        let inner = self.inner.lock().unwrap();
        if inner.per_credential.get(key).copied().unwrap_or(0) >= self.max_per_credential {
            return Err(Full::Credential(self.max_per_credential));
        }
        if inner.total >= self.max_total {
            return Err(Full::Gateway(self.max_total));
        }
        Ok(())
    }

    /// A binding for a session `key` may be about to open; it counts until dropped.
    pub fn bind(self: &Arc<Self>, key: Key, project: &ProjectName, bearer: &str) -> Arc<Binding> {
        let mut inner = self.inner.lock().unwrap();
        *inner.per_credential.entry(key).or_default() += 1;
        inner.total += 1;
        inner.grant(key, project, bearer).sessions += 1;
        let holders = Arc::downgrade(self);
        Arc::new(Binding {
            key,
            project: project.clone(),
            id: OnceLock::new(),
            holders,
            released: AtomicBool::new(false),
        })
    }

    /// The session opened: its id is known from now on.
    pub fn opened(&self, binding: &Arc<Binding>, id: &str) {
        if binding.id.set(id.to_owned()).is_ok() {
            self.inner.lock().unwrap().sessions.insert(id.to_owned(), Arc::downgrade(binding));
        }
    }

    /// The credential a live session is bound to; `None` for a session that does not exist
    /// (any more).
    pub fn owner(&self, id: &str) -> Option<Key> {
        self.inner.lock().unwrap().sessions.get(id)?.upgrade().map(|binding| binding.key)
    }

    /// A session ended (DELETE): it is forgotten now, not when its state is dropped.
    pub fn ended(&self, id: &str) {
        let binding = self.inner.lock().unwrap().sessions.get(id).and_then(Weak::upgrade);
        if let Some(binding) = binding {
            self.release(&binding);
        }
    }

    fn release(&self, binding: &Binding) {
        if binding.released.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut inner = self.inner.lock().unwrap();
        if let Some(id) = binding.id.get() {
            inner.sessions.remove(id);
        }
        if let Some(count) = inner.per_credential.get_mut(&binding.key) {
            *count -= 1;
            if *count == 0 {
                inner.per_credential.remove(&binding.key);
            }
        }
        inner.total -= 1;
        let grant = (binding.key, binding.project.clone());
        if let Some(held) = inner.grants.get_mut(&grant) {
            held.sessions -= 1;
        }
        inner.forget_if_idle(&grant);
    }

    /// `body`, counted as held while it is open; a standing stream ends as soon as the
    /// credential is revoked for the project.
    pub fn stream(self: &Arc<Self>, key: Key, project: &ProjectName, bearer: &str, body: Body, kind: Stream) -> Body {
        let revoked = {
            let mut inner = self.inner.lock().unwrap();
            let grant = inner.grant(key, project, bearer);
            match kind {
                Stream::Standing => grant.standing += 1,
                Stream::Answer => grant.answers += 1,
            }
            grant.revoked.clone()
        };
        let open = OpenStream { holders: Arc::downgrade(self), grant: (key, project.clone()), kind };
        let frames = body.into_data_stream().map(move |frame| {
            let _open = &open;
            frame
        });
        match kind {
            Stream::Standing => Body::from_stream(frames.take_until(revoked.cancelled_owned())),
            Stream::Answer => Body::from_stream(frames),
        }
    }

    /// Every credential holding something and not revoked, with the project: what to check
    /// again.
    pub fn held(&self) -> Vec<(Key, ProjectName, String)> {
        let inner = self.inner.lock().unwrap();
        let held = inner.grants.iter().filter(|(_, grant)| !grant.is_revoked);
        held.map(|((key, project), grant)| (*key, project.clone(), grant.bearer.clone())).collect()
    }

    /// A credential may no longer connect to a project: its standing streams end now.
    pub fn revoke(&self, key: &Key, project: &ProjectName) {
        if let Some(grant) = self.inner.lock().unwrap().grants.get_mut(&(*key, project.clone())) {
            grant.revoked.cancel();
            grant.is_revoked = true;
        }
    }

    /// The sessions of revoked credentials that no answer is still streaming for, by project:
    /// to close now. They are forgotten here.
    pub fn closable(&self) -> Vec<(ProjectName, Vec<String>)> {
        let mut inner = self.inner.lock().unwrap();
        let done: Vec<(Key, ProjectName)> = inner
            .grants
            .iter()
            .filter(|(_, grant)| grant.is_revoked && grant.answers == 0)
            .map(|(grant, _)| grant.clone())
            .collect();
        let mut closable = Vec::new();
        for (key, project) in done {
            inner.grants.remove(&(key, project.clone()));
            let ids = inner
                .sessions
                .iter()
                .filter_map(|(id, binding)| {
                    let binding = binding.upgrade()?;
                    (binding.key == key && binding.project == project).then(|| id.clone())
                })
                .collect();
            closable.push((project, ids));
        }
        closable
    }
}

impl Inner {
    fn grant(&mut self, key: Key, project: &ProjectName, bearer: &str) -> &mut Grant {
        let grant = self.grants.entry((key, project.clone())).or_insert_with(|| Grant {
            bearer: bearer.to_owned(),
            revoked: CancellationToken::new(),
            is_revoked: false,
            standing: 0,
            answers: 0,
            sessions: 0,
        });
        if grant.is_revoked {
            // Allowed again (a request passed the check since): new streams stay open.
            grant.revoked = CancellationToken::new();
            grant.is_revoked = false;
        }
        grant
    }

    fn forget_if_idle(&mut self, grant: &(Key, ProjectName)) {
        if self.grants.get(grant).is_some_and(|g| g.standing == 0 && g.answers == 0 && g.sessions == 0) {
            self.grants.remove(grant);
        }
    }
}

/// Counts an open stream until its body is dropped.
struct OpenStream {
    holders: Weak<Holders>,
    grant: (Key, ProjectName),
    kind: Stream,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        if let Some(holders) = self.holders.upgrade() {
            let mut inner = holders.inner.lock().unwrap();
            if let Some(grant) = inner.grants.get_mut(&self.grant) {
                match self.kind {
                    Stream::Standing => grant.standing -= 1,
                    Stream::Answer => grant.answers -= 1,
                }
            }
            inner.forget_if_idle(&self.grant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> ProjectName {
        ProjectName::parse("demo").unwrap()
    }

    #[test]
    fn a_binding_counts_while_it_lives_and_its_session_is_forgotten_with_it() {
        let holders = Holders::new(2, 3);
        let (a, b) = ([1; 32], [2; 32]);
        let first = holders.bind(a, &project(), "token-a");
        holders.opened(&first, "s1");
        let second = holders.bind(a, &project(), "token-a");
        assert_eq!(holders.room(&a), Err(Full::Credential(2)));
        let third = holders.bind(b, &project(), "token-b");
        assert_eq!(holders.room(&b), Err(Full::Gateway(3)));
        assert_eq!(holders.owner("s1"), Some(a));
        drop(first);
        assert_eq!(holders.owner("s1"), None);
        assert_eq!(holders.room(&a), Ok(()));
        drop((second, third));
        assert!(holders.held().is_empty());
    }

    fn endless() -> Body {
        Body::from_stream(futures::stream::pending::<Result<axum::body::Bytes, std::io::Error>>())
    }

    #[tokio::test]
    async fn revoking_ends_standing_streams_and_closes_sessions_once_answers_are_out() {
        let holders = Holders::new(8, 8);
        let key = [7; 32];
        let session = holders.bind(key, &project(), "token");
        holders.opened(&session, "s1");
        let standing = holders.stream(key, &project(), "token", endless(), Stream::Standing);
        let answer = holders.stream(key, &project(), "token", endless(), Stream::Answer);
        assert_eq!(holders.held().len(), 1);
        holders.revoke(&key, &project());
        assert!(holders.held().is_empty());
        let ended = tokio::time::timeout(Duration::from_secs(1), axum::body::to_bytes(standing, usize::MAX)).await;
        assert!(ended.is_ok(), "the standing stream did not end");
        // An answer on its way keeps the session until it is out.
        assert!(holders.closable().is_empty());
        drop(answer);
        assert_eq!(holders.closable(), [(project(), vec!["s1".to_owned()])]);
        assert!(holders.closable().is_empty());
    }
}
