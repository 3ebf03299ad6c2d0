//! User, Group and RbacDefinition: who may do what.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Spec;
use crate::rbac::{check_subject, Binding};
use crate::status::Cause;

/// A user; `metadata.name` is the email address. `password` is write-only: accepted on input,
/// hashed by mcpd, never stored in the spec and never shown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSpec {
    /// The name shown for the user.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// Write-only: the new password (at least 8 characters), hashed by mcpd and never shown.
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
}

pub const MIN_PASSWORD: usize = 8;
/// The longest password accepted, in bytes.
pub const MAX_PASSWORD: usize = 1024;

/// The one password rule, for users' specs and password changes alike: the cause names `field`.
pub fn check_password(field: &str, password: &str) -> Option<Cause> {
    let count = password.chars().count();
    (count < MIN_PASSWORD || password.len() > MAX_PASSWORD)
        .then(|| Cause::invalid(field, format!("must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long")))
}

impl Spec for UserSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        if self.display_name.chars().count() > 256 || self.display_name.chars().any(char::is_control) {
            causes.push(Cause::invalid("spec.displayName", "must be at most 256 printable characters"));
        }
        causes.extend(self.password.as_deref().and_then(|p| check_password("spec.password", p)));
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupSpec {
    /// Email addresses of the users in the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

impl Spec for GroupSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        let mut seen = BTreeSet::new();
        for (i, member) in self.members.iter().enumerate() {
            if let Err(msg) = crate::name::check_email(member) {
                causes.push(Cause::invalid(format!("spec.members[{i}]"), msg));
            } else if !seen.insert(member) {
                causes.push(Cause::new(
                    format!("spec.members[{i}]"),
                    "FieldValueDuplicate",
                    format!("{member} is listed twice"),
                ));
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RbacDefinitionSpec {
    /// Who the bindings are for: `User:<email>`, `Group:<name>` or `McpToken:<sha256 hex>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// What the subjects may do: `{role: view|edit, resource, name?}` or `{role: run, action}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_bindings: Vec<Binding>,
}

impl Spec for RbacDefinitionSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        for (i, subject) in self.subjects.iter().enumerate() {
            if let Err(msg) = check_subject(subject) {
                causes.push(Cause::invalid(format!("spec.subjects[{i}]"), msg));
            }
        }
        for (i, binding) in self.role_bindings.iter().enumerate() {
            binding.validate(&format!("spec.roleBindings[{i}]"), causes);
        }
    }
}
