//! Who is calling and what they may do: sessions, passwords, tokens, role evaluation, and
//! [`Authorized`], the proof of an allowed action that every store call on objects requires.

pub mod bootstrap;
pub mod cache;
pub mod password;
pub mod principal;
pub mod rbac;
pub mod session;

pub use principal::Principal;
pub use rbac::{ListScope, Permissions, Verb};
use shared::rbac::Binding;
use shared::KindInfo;

use crate::error::ApiError;

/// Proof that an action was authorized. Only this module can make one, so no handler can
/// reach the store without passing through [`authorize`].
#[derive(Debug)]
pub struct Authorized {
    /// For lists: which names may be shown.
    scope: ListScope,
}

impl Authorized {
    /// For mcpd's own work (the first-start bootstrap, bookkeeping), never for a request.
    fn system() -> Authorized {
        Authorized { scope: ListScope::All }
    }

    /// For mcpd's bookkeeping inside an authorized request (revoking a deleted user's tokens,
    /// noting when a token was last used).
    pub fn bookkeeping() -> Authorized {
        Authorized::system()
    }

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
    project: &str,
) -> Result<ListScope, String> {
    if !kind.writable && !matches!(verb, Verb::Get | Verb::List) {
        return Err(format!("cannot {} {}: they are written by mcpd only", verb.as_str(), kind.plural));
    }
    // Audit events are read with `run audit`, or view on all of them: they are not named.
    if kind.kind == "AuditEvent" {
        let viewer = principal.list_scope(kind.plural, project) == Some(ListScope::All);
        return if principal.allows_action("audit") || viewer {
            Ok(ListScope::All)
        } else {
            Err(format!("cannot {} resource \"events\": that needs run audit or view on all events", verb.as_str()))
        };
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
    project: &str,
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
        Err(principal.forbidden("run", action, None, "", &format!("cannot run action \"{action}\"")))
    }
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
        "",
        &format!("cannot grant permissions it does not hold: {}", missing.join(", ")),
    ))
}
