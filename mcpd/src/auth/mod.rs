//! Who is calling and what they may do: sessions, passwords, tokens, role evaluation, and
//! [`Authorized`], the proof of an allowed action that every store call on objects requires.

pub mod cache;
pub mod password;
pub mod principal;
pub mod rbac;
pub mod session;

pub use principal::Principal;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::audit::AuditSink;
use crate::metrics::Metrics;
use crate::store::{self, Store};
use cache::PrincipalCache;
use principal::TokenInfo;
pub use rbac::{ListScope, Verb};
use session::SessionKeys;
use shared::name::ProjectName;
use shared::rbac::Binding;
use shared::KindInfo;

use crate::error::ApiError;

/// How often a token's `lastUsedAt` is written at most.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// What resolving a credential needs: the store, the session keys, the cache of resolved
/// principals, the audit sink and the metrics. The HTTP layer's state holds one.
pub struct Auth {
    store: Store,
    sessions: SessionKeys,
    audit: AuditSink,
    metrics: Arc<Metrics>,
    principals: PrincipalCache,
    /// When each token's `lastUsedAt` was last written, to write it at most once a minute.
    last_used: Mutex<HashMap<i64, Instant>>,
}

impl Auth {
    pub fn new(store: Store, sessions: SessionKeys, audit: AuditSink, metrics: Arc<Metrics>) -> Auth {
        Auth {
            store,
            sessions,
            audit,
            metrics,
            principals: PrincipalCache::default(),
            last_used: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn sessions(&self) -> &SessionKeys {
        &self.sessions
    }

    pub fn audit(&self) -> &AuditSink {
        &self.audit
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn principals(&self) -> &PrincipalCache {
        &self.principals
    }

    /// Notes that a token was used; writes `lastUsedAt` in the background when the last write
    /// is older than a minute, so requests never wait on it.
    pub fn note_token_use(&self, token: &TokenInfo) {
        let now = Instant::now();
        {
            let mut seen = self.last_used.lock().expect("last-used map is never poisoned");
            if seen.get(&token.object_id).is_some_and(|t| now.duration_since(*t) < LAST_USED_EVERY) {
                return;
            }
            seen.insert(token.object_id, now);
        }
        let store = self.store.clone();
        let id = token.object_id;
        tokio::spawn(async move {
            if let Err(e) = store::objects::touch_last_used(&store, id, &crate::util::now()).await {
                tracing::warn!(error = %e, "could not record a token's last use");
            }
        });
    }
}

/// Proof that an action was authorized. Only this module can make one, and `domain` reads
/// and writes objects only with one, so no request reaches an object without passing
/// through [`authorize`].
#[derive(Debug)]
pub struct Authorized {
    /// For lists: which names may be shown.
    scope: ListScope,
}

impl Authorized {
    /// Whether every listed object may be shown (no binding narrows the list to names).
    pub fn sees_every_name(&self) -> bool {
        self.scope == ListScope::All
    }

    /// Whether a listed object may be shown.
    pub fn may_see(&self, name: &str) -> bool {
        match &self.scope {
            ListScope::All => true,
            ListScope::Only(names) => names.iter().any(|n| n == name),
        }
    }
}

/// The answer to "may this principal do this?", shared by enforcement and `can-i`.
pub fn check(
    principal: &Principal,
    verb: Verb,
    kind: &KindInfo,
    name: Option<&str>,
    project: Option<&ProjectName>,
) -> Result<ListScope, String> {
    if !kind.writable && !matches!(verb, Verb::Get | Verb::List) {
        return Err(format!("cannot {} {}: they are written by mcpd only", verb.as_str(), kind.plural));
    }
    // The gateway's credential reads what it resolves, to follow changes: servers, projects,
    // tools, and secrets with their values masked (it gets values through the resolution
    // route).
    let resolved =
        matches!(kind.kind, shared::Kind::Server | shared::Kind::Project | shared::Kind::Secret | shared::Kind::Tool);
    if resolved && matches!(verb, Verb::Get | Verb::List) && principal.allows_action("serve") {
        return Ok(ListScope::All);
    }
    // Audit events are read with `run audit`, or view on all of them: they are not named.
    if kind.kind == shared::Kind::AuditEvent {
        let viewer = principal.list_scope(kind.plural, project) == Some(ListScope::All);
        return if principal.allows_action("audit") || viewer {
            Ok(ListScope::All)
        } else {
            Err(format!("cannot {} resource \"events\": that needs run audit or view on all events", verb.as_str()))
        };
    }
    // A project's tools are part of it: reading them is reading the project, and approving
    // (writing) them is editing it.
    if kind.kind == shared::Kind::Tool {
        let Some(project) = project else {
            return Err(format!("cannot {} resource \"tools\": tools are in a project", verb.as_str()));
        };
        let on_project = if matches!(verb, Verb::Get | Verb::List) { Verb::Get } else { Verb::Update };
        let projects = shared::Kind::Project.info();
        return check(principal, on_project, projects, Some(project.as_str()), None).map(|_| ListScope::All).map_err(
            |_| {
                format!(
                    "cannot {} resource \"tools\" in project \"{project}\": that needs {} on the project",
                    verb.as_str(),
                    if on_project == Verb::Get { "view" } else { "edit" }
                )
            },
        );
    }
    let decided = if verb == Verb::List {
        principal.list_scope(kind.plural, project)
    } else {
        principal.allows(verb, kind.plural, name, project).then_some(ListScope::All)
    };
    decided.ok_or_else(|| format!("cannot {} resource \"{}\"", verb.as_str(), kind.plural))
}

/// The one authorization decision for actions on objects: allowed, or 403 (audited).
pub fn authorize(
    principal: &Principal,
    verb: Verb,
    kind: &KindInfo,
    name: Option<&str>,
    project: Option<&ProjectName>,
) -> Result<Authorized, ApiError> {
    match check(principal, verb, kind, name, project) {
        Ok(scope) => Ok(Authorized { scope }),
        Err(why) => Err(principal.forbidden(verb.as_str(), kind.plural, name, project, &why)),
    }
}

/// May the principal run `action`? 403 (audited) otherwise.
pub fn authorize_action(principal: &Principal, action: &str) -> Result<(), ApiError> {
    if principal.allows_action(action) {
        Ok(())
    } else {
        Err(principal.forbidden("run", action, None, None, &format!("cannot run action \"{action}\"")))
    }
}

/// May the principal read what the gateway runs, secret values included (`run serve`)? The
/// proof covers every object that reading needs; 403 (audited) otherwise.
pub fn authorize_serve(principal: &Principal) -> Result<Authorized, ApiError> {
    authorize_action(principal, "serve").map(|()| Authorized { scope: ListScope::All })
}

/// The escalation rule: granting bindings needs holding each of them already.
pub fn authorize_grants(
    principal: &Principal,
    kind: &KindInfo,
    name: &str,
    grants: &[Binding],
) -> Result<(), ApiError> {
    let missing: Vec<String> = grants.iter().filter(|b| !principal.holds(b)).map(ToString::to_string).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(principal.forbidden(
        "escalate",
        kind.plural,
        Some(name),
        None,
        &format!("cannot grant permissions it does not hold: {}", missing.join(", ")),
    ))
}
