//! Role evaluation: the union of the bindings of every RbacDefinition naming a subject.

use shared::rbac::{Binding, Role};
use shared::spec::RbacDefinitionSpec;

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
    pub const ALL: [Verb; 5] = [Verb::Get, Verb::List, Verb::Create, Verb::Update, Verb::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.as_str() == text)
    }

    fn is_read(self) -> bool {
        matches!(self, Verb::Get | Verb::List)
    }
}

/// Which names of a kind a principal may list: all, some, or none (`None` from `list_scope`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListScope {
    All,
    Only(Vec<String>),
}

impl ListScope {
    /// What two scopes allow together.
    pub fn intersect(self, other: ListScope) -> ListScope {
        match (self, other) {
            (ListScope::All, other) | (other, ListScope::All) => other,
            (ListScope::Only(a), ListScope::Only(b)) => {
                ListScope::Only(a.into_iter().filter(|n| b.contains(n)).collect())
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Permissions {
    bindings: Vec<Binding>,
}

impl Permissions {
    pub fn new(bindings: Vec<Binding>) -> Permissions {
        Permissions { bindings }
    }

    /// Collects the bindings of every definition (stored spec JSON) naming one of `subjects`.
    pub fn from_definitions<'a>(specs: impl IntoIterator<Item = &'a str>, subjects: &[String]) -> Permissions {
        let bindings = specs
            .into_iter()
            .filter_map(|text| serde_json::from_str::<RbacDefinitionSpec>(text).ok())
            .filter(|spec| spec.subjects.iter().any(|s| subjects.contains(s)))
            .flat_map(|spec| spec.role_bindings)
            .collect();
        Permissions { bindings }
    }

    pub fn extend(&mut self, other: Permissions) {
        self.bindings.extend(other.bindings);
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    fn grants(binding: &Binding, verb: Verb, plural: &str) -> bool {
        let role_ok = match binding.role {
            Role::View => verb.is_read(),
            Role::Edit => true,
            Role::Run => false,
        };
        role_ok && binding.resource.as_deref().is_some_and(|r| r == "*" || r == plural)
    }

    pub fn allows(&self, verb: Verb, plural: &str, name: Option<&str>) -> bool {
        self.bindings.iter().any(|b| {
            Self::grants(b, verb, plural)
                && match (&b.name, name) {
                    (None, _) => true,
                    (Some(scope), Some(name)) => scope == name,
                    (Some(_), None) => false,
                }
        })
    }

    pub fn list_scope(&self, plural: &str) -> Option<ListScope> {
        let granting: Vec<&Binding> = self.bindings.iter().filter(|b| Self::grants(b, Verb::List, plural)).collect();
        if granting.is_empty() {
            None
        } else if granting.iter().any(|b| b.name.is_none()) {
            Some(ListScope::All)
        } else {
            Some(ListScope::Only(granting.iter().filter_map(|b| b.name.clone()).collect()))
        }
    }

    /// Whether `action` is allowed everywhere: a binding narrowed to one project's name does
    /// not count.
    pub fn allows_action(&self, action: &str) -> bool {
        self.allows_action_on(action, None)
    }

    /// Whether `action` is allowed on `target` (a project, for `connect`): by a binding for
    /// every target, or for that one.
    pub fn allows_action_on(&self, action: &str, target: Option<&str>) -> bool {
        self.bindings.iter().any(|b| {
            b.role == Role::Run
                && b.action.as_deref().is_some_and(|a| a == "*" || a == action)
                && b.name.as_deref().is_none_or(|name| Some(name) == target)
        })
    }

    /// What these and `other` grant together: every pairwise intersection of their bindings,
    /// without those another one already covers.
    pub fn intersect(&self, other: &Permissions) -> Permissions {
        let mut met: Vec<Binding> =
            self.bindings.iter().flat_map(|a| other.bindings.iter().filter_map(|b| a.intersect(b))).collect();
        met.sort();
        met.dedup();
        let kept = met
            .iter()
            .enumerate()
            .filter(|(i, b)| !met.iter().enumerate().any(|(j, other)| *i != j && other != *b && other.covers(b)))
            .map(|(_, b)| b.clone())
            .collect();
        Permissions { bindings: kept }
    }

    /// Whether these permissions include everything `binding` grants.
    pub fn covers(&self, binding: &Binding) -> bool {
        self.bindings.iter().any(|mine| mine.covers(binding))
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
        assert_eq!(p.list_scope("servers"), Some(ListScope::Only(vec!["gh".to_owned()])));
    }

    #[test]
    fn definitions_for_other_subjects_grant_nothing() {
        let spec = r#"{"subjects": ["User:b@x"], "roleBindings": [{"role": "edit", "resource": "*"}]}"#;
        let p = Permissions::from_definitions([spec], &["User:a@x".to_owned()]);
        assert!(!p.allows(Verb::Get, "servers", None));
        assert!(!p.allows_action("introspect"));
    }

    #[test]
    fn connect_reaches_every_project_or_the_one_named() {
        let one = perms(r#"[{"role": "run", "action": "connect", "name": "demo"}]"#);
        assert!(one.allows_action_on("connect", Some("demo")));
        assert!(!one.allows_action_on("connect", Some("other")));
        assert!(!one.allows_action("connect"));
        assert!(!one.allows_action_on("serve", Some("demo")));
        let every = perms(r#"[{"role": "run", "action": "connect"}]"#);
        assert!(every.allows_action_on("connect", Some("other")));
        assert!(every.allows_action("connect"));
        assert!(!every.allows_action("serve"));
    }

    #[test]
    fn list_scopes_intersect() {
        let only = |n: &[&str]| ListScope::Only(n.iter().map(|s| s.to_string()).collect());
        assert_eq!(ListScope::All.intersect(only(&["a"])), only(&["a"]));
        assert_eq!(only(&["a", "b"]).intersect(only(&["b", "c"])), only(&["b"]));
    }
}
