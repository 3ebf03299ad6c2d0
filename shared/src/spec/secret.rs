//! Secret: named key/value data whose values never leave mcpd unless asked for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Spec;
use crate::status::Cause;

/// `data` maps keys to values; a `null` value means "keep the stored value" on input and
/// "hidden" on output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretSpec {
    /// Keys (`[A-Za-z_][A-Za-z0-9_.-]*`) and their values; values show as null unless revealed, and null on input keeps the stored value.
    #[serde(default)]
    pub data: BTreeMap<String, Option<String>>,
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
    }
}
