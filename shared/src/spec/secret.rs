//! Secret: named key/value data whose values never leave mcpd unless asked for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{check_name_at, Reference, Spec};
use crate::status::Cause;

/// `data` maps keys to values; a `null` value means "keep the stored value" on input and
/// "hidden" on output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretSpec {
    /// Keys (`[A-Za-z_][A-Za-z0-9_.-]*`) and their values; values show as null unless revealed, and null on input keeps the stored value.
    #[serde(default)]
    pub data: BTreeMap<String, Option<String>>,
    /// The SecretBackend that keeps the values (default: the default backend when created).
    /// A secret moves to another backend with `mcpctl migrate secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

/// Checks a Secret data key: `[A-Za-z_][A-Za-z0-9_.-]*`, at most 253 characters.
pub fn check_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 253
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl Spec for SecretSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        for key in self.data.keys() {
            if !check_key(key) {
                causes.push(Cause::invalid(
                    format!("spec.data.{}", crate::name::shown(key)),
                    "keys must match [A-Za-z_][A-Za-z0-9_.-]*",
                ));
            }
        }
        if let Some(backend) = &self.backend {
            check_name_at("spec.backend".to_owned(), backend, causes);
        }
    }

    fn references(&self) -> Vec<Reference> {
        // The built-in backend always exists and cannot go: nothing to check or keep.
        self.backend
            .iter()
            .filter(|name| *name != super::INTERNAL)
            .map(|name| Reference {
                field: "spec.backend".to_owned(),
                kind: crate::Kind::SecretBackend,
                name: name.clone(),
                key: None,
            })
            .collect()
    }
}

/// What mcpd keeps about a secret on an external backend: the KV version its values are at.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    /// The backend's version of the values (KV version 2 `version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_version: Option<u64>,
}
