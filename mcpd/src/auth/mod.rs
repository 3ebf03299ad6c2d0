//! Who is calling and what they may do: sessions, passwords, role evaluation, and
//! [`Authorized`], the proof of an allowed action that every store call on objects requires.

pub mod bootstrap;
pub mod password;
pub mod principal;
pub mod rbac;
pub mod session;

pub use principal::Principal;
pub use rbac::{Permissions, Verb};
use shared::KindInfo;

use crate::http::error::ApiError;

/// Proof that an action was authorized. Only this module can make one, so no handler can
/// reach the store without passing through [`authorize`].
#[derive(Debug)]
pub struct Authorized {
    verb: Verb,
    /// For lists under name-scoped bindings: only these names are visible.
    names: Option<Vec<String>>,
}

impl Authorized {
    /// For mcpd's own work at start-up (the first-start bootstrap), never for a request.
    fn system() -> Authorized {
        Authorized {
            verb: Verb::Update,
            names: None,
        }
    }

    pub fn verb(&self) -> Verb {
        self.verb
    }

    /// Whether a listed object may be shown.
    pub fn may_see(&self, name: &str) -> bool {
        self.names
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }
}

/// The one authorization decision for actions on objects: allowed, or 403 naming what is missing.
pub fn authorize(
    principal: &Principal,
    verb: Verb,
    kind: &KindInfo,
    name: Option<&str>,
) -> Result<Authorized, ApiError> {
    if verb == Verb::List {
        return match principal.permissions.list_scope(kind.plural) {
            Some(names) => Ok(Authorized { verb, names }),
            None => Err(principal.forbidden(verb, kind.plural, None)),
        };
    }
    if principal.permissions.allows(verb, kind.plural, name) {
        Ok(Authorized { verb, names: None })
    } else {
        Err(principal.forbidden(verb, kind.plural, name))
    }
}
