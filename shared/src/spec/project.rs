//! Project: a named set of servers that a gateway exposes together.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{check_name_at, Reference, Spec, ToolPolicy};
use crate::status::Cause;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectSpec {
    /// What the project is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Names of the servers the project exposes; each must exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// Which of its servers' tools clients see (section "Tool policy" of docs/gateway.md).
    #[serde(default, skip_serializing_if = "ToolPolicy::is_default")]
    pub tools: ToolPolicy,
}

impl Spec for ProjectSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        let mut seen = BTreeSet::new();
        for (i, server) in self.servers.iter().enumerate() {
            let field = format!("spec.servers[{i}]");
            check_name_at(field.clone(), server, causes);
            if !seen.insert(server) {
                causes.push(Cause::new(field, "FieldValueDuplicate", format!("server {server:?} is listed twice")));
            }
        }
        self.tools.validate("spec.tools", causes);
    }

    fn references(&self) -> Vec<Reference> {
        self.servers
            .iter()
            .enumerate()
            .map(|(i, name)| Reference {
                field: format!("spec.servers[{i}]"),
                kind: crate::Kind::Server,
                name: name.clone(),
                key: None,
            })
            .collect()
    }
}
