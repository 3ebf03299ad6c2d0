//! `?watch=true[&resourceVersion=N]` on every list route: newline-delimited JSON events
//! `{"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK", "object": {...}}`, the way the Kubernetes
//! API streams them. Without a resourceVersion the stream starts with an ADDED event for every
//! object the caller may see; with one, it replays the change log from there (410 Gone when
//! that part of the log is no longer kept). Events are authorized like the list, filtered by
//! its label selector, and hide secret values. BOOKMARK events carry the revision to resume
//! from. Writes wake the streams of this replica at once, and of every replica through
//! PostgreSQL's NOTIFY; streams also look every second.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use shared::api::{WatchEvent, WatchEventType};
use shared::name::ProjectName;
use shared::selector::Selector;
use shared::{KindInfo, Object, ObjectMeta, Reason, Status};

use super::error::ApiError;
use crate::auth::principal::{self, binding_name};
use crate::auth::{authorize, Authorized, Verb};
use crate::domain::{self, to_output};
use crate::http::state::AppState;
use crate::store::changes::{self, ChangeType};

/// How long a gap in the revisions may stay open before it is taken for a rolled-back write.
const GAP_WAIT: Duration = Duration::from_secs(1);
/// How often a quiet stream sends a BOOKMARK (which also finds out that a client went away).
const KEEPALIVE: Duration = Duration::from_secs(30);

pub struct Watch {
    /// Resolved again while the stream lasts (through the principal cache): a revoked
    /// credential, or one that may no longer list what it watches, ends it.
    pub bearer: String,
    pub info: &'static KindInfo,
    pub project: Option<ProjectName>,
    pub auth: Authorized,
    pub selector: Selector,
    pub from: Option<i64>,
}

/// Answers a watch: checks the starting point, then streams until the client goes away or
/// the daemon stops.
pub async fn stream(state: AppState, watch: Watch) -> Result<Response, ApiError> {
    let mut conn = state.store().pool().acquire().await?;
    let (newest, oldest) = changes::bounds(&mut conn).await?;
    let mut first = Vec::new();
    let start = match watch.from {
        Some(from) if oldest > 0 && from + 1 < oldest => {
            return Err(Status::new(
                Reason::Gone,
                format!(
                    "resourceVersion {from} is too old: the change log starts at {oldest}; list again and watch from the list's resourceVersion"
                ),
            )
            .into())
        }
        Some(from) => from,
        None => {
            // The current state first, then every change after the revision read before it.
            let mut after = String::new();
            loop {
                let rows = domain::read::list(&mut conn, state.store(), &watch.auth, watch.info.kind, watch.project.as_ref(), &after, 500).await?;
                let full = rows.len() == 500;
                for row in rows {
                    after.clone_from(&row.name);
                    if visible(&watch, &row.name) && watch.selector.matches(&row.labels) {
                        first.push(event(WatchEventType::Added, to_output(row, false)));
                    }
                }
                if !full {
                    break;
                }
            }
            first.push(bookmark(watch.info, newest));
            newest
        }
    };
    drop(conn);
    state.metrics().watch_streams.inc();
    let stream =
        Stream { state: state.clone(), watch, last: start, gap: None, pending: first, quiet_since: Instant::now() };
    let body = futures_util::stream::unfold(stream, |mut s| async move {
        let chunk = s.next().await?;
        Some((Ok::<Bytes, Infallible>(chunk), s))
    });
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    Ok(response)
}

struct Stream {
    state: AppState,
    watch: Watch,
    /// Every change up to this revision has been sent (or was not for this stream).
    last: i64,
    /// A revision not yet visible, and since when it is missing.
    gap: Option<(i64, Instant)>,
    pending: Vec<String>,
    quiet_since: Instant,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.state.metrics().watch_streams.dec();
    }
}

impl Stream {
    /// The next lines to send, or `None` to end the stream.
    async fn next(&mut self) -> Option<Bytes> {
        let mut stopping = self.state.stopping();
        loop {
            if !self.pending.is_empty() {
                self.quiet_since = Instant::now();
                return Some(Bytes::from(std::mem::take(&mut self.pending).concat()));
            }
            if *stopping.borrow() {
                return None;
            }
            if !self.still_allowed().await {
                return None;
            }
            match self.poll().await {
                Ok(lines) if !lines.is_empty() => self.pending = lines,
                Ok(_) if self.quiet_since.elapsed() >= KEEPALIVE => {
                    self.pending.push(bookmark(self.watch.info, self.last))
                }
                Ok(_) => {
                    let woken = self.state.changed().notified();
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = stopping.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a watch stream ended on a database error");
                    return None;
                }
            }
        }
    }

    /// Whether the caller may still list what it watches, as a list request now would be
    /// answered: the credential still valid and its rights (bindings, groups, definitions,
    /// a token's creator's) still granting it. Names it may see are updated too.
    async fn still_allowed(&mut self) -> bool {
        let principal = match principal::resolve(self.state.auth(), &self.watch.bearer).await {
            Ok(principal) => principal,
            Err(_) => return false,
        };
        match authorize(&principal, Verb::List, self.watch.info, None, self.watch.project.as_ref()) {
            Ok(auth) => {
                self.watch.auth = auth;
                true
            }
            Err(_) => false,
        }
    }

    /// Reads the changes that are safe to send: up to the first revision still missing (a
    /// write in flight), unless it has been missing for long (a write rolled back).
    async fn poll(&mut self) -> sqlx::Result<Vec<String>> {
        // One connection for the whole look, given back before the stream waits again (SQLite
        // has a single one).
        let mut conn = self.state.store().pool().acquire().await?;
        let (newest, _) = changes::bounds(&mut conn).await?;
        if newest <= self.last {
            return Ok(Vec::new());
        }
        let mut horizon = self.last;
        for revision in changes::revisions_between(&mut conn, self.last, newest).await? {
            if revision != horizon + 1 {
                let missing = horizon + 1;
                let since = match self.gap {
                    Some((gap, since)) if gap == missing => since,
                    _ => Instant::now(),
                };
                self.gap = Some((missing, since));
                if since.elapsed() < GAP_WAIT {
                    break;
                }
            }
            horizon = revision;
        }
        if horizon <= self.last {
            return Ok(Vec::new());
        }
        let watch = &self.watch;
        let mut lines = Vec::new();
        for change in changes::after(
            &mut conn,
            watch.info.kind.as_str(),
            ProjectName::text(watch.project.as_ref()),
            self.last,
            10_000,
        )
        .await?
        {
            if change.revision > horizon {
                break;
            }
            if !visible(watch, &change.name) {
                continue;
            }
            let object = match change.change {
                ChangeType::Deleted => {
                    let project = watch.project.as_ref().map(ToString::to_string);
                    let metadata = ObjectMeta { name: change.name, project, ..Default::default() };
                    Object::new(watch.info, metadata)
                }
                _ => {
                    let row = domain::read::fetch(
                        &mut conn,
                        self.state.store(),
                        &watch.auth,
                        watch.info.kind,
                        watch.project.as_ref(),
                        &change.name,
                    )
                    .await?;
                    // Gone since: its DELETED event follows.
                    let Some(row) = row else { continue };
                    if !watch.selector.matches(&row.labels) {
                        continue;
                    }
                    to_output(row, false)
                }
            };
            let event_type = match change.change {
                ChangeType::Added => WatchEventType::Added,
                ChangeType::Modified => WatchEventType::Modified,
                ChangeType::Deleted => WatchEventType::Deleted,
            };
            lines.push(event(event_type, object));
        }
        self.last = horizon;
        if !lines.is_empty() {
            lines.push(bookmark(watch.info, horizon));
        }
        Ok(lines)
    }
}

fn visible(watch: &Watch, name: &str) -> bool {
    watch.auth.may_see(&binding_name(watch.info.plural, watch.project.as_ref(), name))
}

fn event(event_type: WatchEventType, object: Object) -> String {
    let mut line = serde_json::to_string(&WatchEvent { event_type, object }).expect("events serialize");
    line.push('\n');
    line
}

/// The revision to resume from, as Kubernetes sends it.
fn bookmark(info: &KindInfo, revision: i64) -> String {
    let metadata = ObjectMeta { resource_version: Some(revision.to_string()), ..Default::default() };
    event(WatchEventType::Bookmark, Object::new(info, metadata))
}
