//! Role evaluation: the union of the bindings of every RbacDefinition naming a principal.

use serde::Deserialize;

/// What a request does to objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Create,
    Update,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }

    fn is_read(self) -> bool {
        matches!(self, Verb::Get | Verb::List)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    View,
    Edit,
    Run,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Binding {
    pub role: Role,
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RbacSpec {
    #[serde(default)]
    subjects: Vec<String>,
    #[serde(default)]
    role_bindings: Vec<Binding>,
}

#[derive(Clone, Debug, Default)]
pub struct Permissions {
    bindings: Vec<Binding>,
}

impl Permissions {
    /// Collects the bindings of every definition (given as stored spec JSON) naming one of `subjects`.
    pub fn from_definitions<'a>(
        specs: impl IntoIterator<Item = &'a str>,
        subjects: &[String],
    ) -> Permissions {
        let bindings = specs
            .into_iter()
            .filter_map(|text| serde_json::from_str::<RbacSpec>(text).ok())
            .filter(|spec| spec.subjects.iter().any(|s| subjects.contains(s)))
            .flat_map(|spec| spec.role_bindings)
            .collect();
        Permissions { bindings }
    }

    fn covers(binding: &Binding, verb: Verb, plural: &str) -> bool {
        let role_ok = match binding.role {
            Role::View => verb.is_read(),
            Role::Edit => true,
            Role::Run => false,
        };
        role_ok
            && binding
                .resource
                .as_deref()
                .is_some_and(|r| r == "*" || r == plural)
    }

    pub fn allows(&self, verb: Verb, plural: &str, name: Option<&str>) -> bool {
        self.bindings.iter().any(|b| {
            Self::covers(b, verb, plural)
                && match (&b.name, name) {
                    (None, _) => true,
                    (Some(scope), Some(name)) => scope == name,
                    (Some(_), None) => false,
                }
        })
    }

    /// `None`: may not list. `Some(None)`: sees everything. `Some(Some(names))`: only those names.
    pub fn list_scope(&self, plural: &str) -> Option<Option<Vec<String>>> {
        let covering: Vec<&Binding> = self
            .bindings
            .iter()
            .filter(|b| Self::covers(b, Verb::List, plural))
            .collect();
        if covering.is_empty() {
            None
        } else if covering.iter().any(|b| b.name.is_none()) {
            Some(None)
        } else {
            Some(Some(
                covering.iter().filter_map(|b| b.name.clone()).collect(),
            ))
        }
    }

    pub fn allows_action(&self, action: &str) -> bool {
        self.bindings.iter().any(|b| {
            b.role == Role::Run && b.action.as_deref().is_some_and(|a| a == "*" || a == action)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(bindings: &str) -> Permissions {
        let spec = format!(r#"{{"subjects": ["User:a@x"], "roleBindings": {bindings}}}"#);
        Permissions::from_definitions([spec.as_str()], &["User:a@x".to_owned()])
    }

    #[test]
    fn view_reads_but_does_not_write() {
        let p = perms(r#"[{"role": "view", "resource": "servers"}]"#);
        assert!(p.allows(Verb::Get, "servers", Some("x")));
        assert!(!p.allows(Verb::Update, "servers", Some("x")));
        assert!(!p.allows(Verb::Get, "secrets", Some("x")));
    }

    #[test]
    fn name_scoped_edit_reaches_only_that_name() {
        let p = perms(r#"[{"role": "edit", "resource": "servers", "name": "gh"}]"#);
        assert!(p.allows(Verb::Delete, "servers", Some("gh")));
        assert!(!p.allows(Verb::Delete, "servers", Some("other")));
        assert_eq!(p.list_scope("servers"), Some(Some(vec!["gh".to_owned()])));
    }

    #[test]
    fn definitions_for_other_subjects_grant_nothing() {
        let spec =
            r#"{"subjects": ["User:b@x"], "roleBindings": [{"role": "edit", "resource": "*"}]}"#;
        let p = Permissions::from_definitions([spec], &["User:a@x".to_owned()]);
        assert!(!p.allows(Verb::Get, "servers", None));
        assert!(!p.allows_action("introspect"));
    }
}
