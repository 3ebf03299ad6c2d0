//! Role bindings and subjects, as RbacDefinitions and tokens carry them.

use serde::{Deserialize, Serialize};

use crate::status::Cause;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    View,
    Edit,
    Run,
}

/// Actions that are not CRUD on a kind, granted by `{role: run, action: ...}`: `connect` (to
/// a project's MCP endpoint through the gateway), `serve` (the gateway's own: reading servers
/// with their secrets resolved, writing tool-call events), `migrate-secrets` (moving secret
/// values between backends).
pub const ACTIONS: &[&str] = &["introspect", "audit", "connect", "serve", "migrate-secrets", "*"];

/// The one action a binding may narrow to a name: `connect`, to one project.
pub const NAMED_ACTION: &str = "connect";

/// `{role: view|edit, resource: servers|*, name?}` or `{role: run, action: introspect|audit|connect|serve|*}`
/// (`connect` with an optional `name`, a project's).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Binding {
    /// `view` (get, list), `edit` (also create, update, delete) or `run` (an action).
    pub role: Role,
    /// view and edit: a kind's plural (`servers`) or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// view and edit: only the object of this name (`PROJECT/NAME` for a project's token);
    /// run connect: only this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// run: `introspect`, `audit`, `connect`, `serve` or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

impl Binding {
    /// Checks the binding's form, pushing problems at `field`.
    pub fn validate(&self, field: &str, causes: &mut Vec<Cause>) {
        match self.role {
            Role::Run => {
                if self.resource.is_some() {
                    causes.push(Cause::invalid(field, "role run takes an action, not a resource"));
                }
                if let Some(name) = &self.name {
                    if self.action.as_deref() != Some(NAMED_ACTION) {
                        causes.push(Cause::invalid(field, "only action connect takes a name (a project's)"));
                    } else if let Err(msg) = crate::name::check_name(name) {
                        causes.push(Cause::invalid(format!("{field}.name"), msg));
                    }
                }
                match self.action.as_deref() {
                    None => causes.push(Cause::required(format!("{field}.action"), "role run needs an action")),
                    Some(a) if !ACTIONS.contains(&a) => causes.push(Cause::invalid(
                        format!("{field}.action"),
                        format!("unknown action {a:?}: known actions are {}", ACTIONS.join(", ")),
                    )),
                    Some(_) => {}
                }
            }
            Role::View | Role::Edit => {
                if self.action.is_some() {
                    causes.push(Cause::invalid(format!("{field}.action"), "only role run takes an action"));
                }
                match self.resource.as_deref() {
                    None => causes.push(Cause::required(
                        format!("{field}.resource"),
                        "a resource (a kind's plural, or *) is required",
                    )),
                    Some("*") => {
                        if self.name.is_some() {
                            causes
                                .push(Cause::invalid(format!("{field}.name"), "a name needs a single resource, not *"));
                        }
                    }
                    Some(r) if crate::KindInfo::by_plural(r).is_none() => causes.push(Cause::invalid(
                        format!("{field}.resource"),
                        format!("unknown resource {r:?}: use a kind's plural, such as servers, or *"),
                    )),
                    Some(r) if crate::KindInfo::by_plural(r).is_some_and(|k| k.needs_project()) => {
                        causes.push(Cause::invalid(
                            format!("{field}.resource"),
                            format!("{r} are reached through their project: bind view or edit on projects instead"),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// Reads the CLI form: `role:edit,resource:servers[,name:github]` or `action:introspect`.
    pub fn parse_cli(text: &str) -> Result<Binding, String> {
        let mut binding = Binding { role: Role::Run, resource: None, name: None, action: None };
        let mut role = None;
        for part in text.split(',') {
            let (key, value) =
                part.split_once(':').ok_or_else(|| format!("{part:?} is not key:value (in {text:?})"))?;
            match key.trim() {
                "role" => {
                    role = Some(match value.trim() {
                        "view" => Role::View,
                        "edit" => Role::Edit,
                        "run" => Role::Run,
                        other => return Err(format!("unknown role {other:?}: use view, edit or run")),
                    })
                }
                "resource" => binding.resource = Some(value.trim().to_owned()),
                "name" => binding.name = Some(value.trim().to_owned()),
                "action" => binding.action = Some(value.trim().to_owned()),
                other => return Err(format!("unknown key {other:?} in {text:?}: use role, resource, name or action")),
            }
        }
        binding.role = match role {
            Some(role) => role,
            None if binding.action.is_some() => Role::Run,
            None => return Err(format!("{text:?} needs role:view|edit or action:NAME")),
        };
        Ok(binding)
    }

    /// Whether holding `self` includes everything `other` grants (same name scope or broader).
    pub fn covers(&self, other: &Binding) -> bool {
        match (self.role, other.role) {
            (Role::Run, Role::Run) => {
                let action_ok = matches!(self.action.as_deref(), Some("*")) || self.action == other.action;
                action_ok && (self.name.is_none() || self.name == other.name)
            }
            (Role::Run, _) | (_, Role::Run) => false,
            (mine, theirs) => {
                let role_ok = mine == Role::Edit || theirs == Role::View;
                let resource_ok = self.resource.as_deref() == Some("*") || self.resource == other.resource;
                let name_ok = self.name.is_none() || self.name == other.name;
                role_ok && resource_ok && name_ok
            }
        }
    }
}

impl Binding {
    /// What holding both `self` and `other` grants at once, if anything: the narrower role,
    /// resource, name and action of the two.
    pub fn intersect(&self, other: &Binding) -> Option<Binding> {
        match (self.role, other.role) {
            (Role::Run, Role::Run) => {
                let action = meet_wildcard(&self.action, &other.action)?;
                Some(Binding { role: Role::Run, resource: None, name: meet_name(&self.name, &other.name)?, action })
            }
            (Role::Run, _) | (_, Role::Run) => None,
            (a, b) => Some(Binding {
                role: if a == Role::Edit && b == Role::Edit { Role::Edit } else { Role::View },
                resource: meet_wildcard(&self.resource, &other.resource)?,
                name: meet_name(&self.name, &other.name)?,
                action: None,
            }),
        }
    }
}

/// Two resources or actions, each `*` or one value: the narrower, when they overlap.
fn meet_wildcard(a: &Option<String>, b: &Option<String>) -> Option<Option<String>> {
    match (a.as_deref(), b.as_deref()) {
        (Some("*"), _) => Some(b.clone()),
        (_, Some("*")) => Some(a.clone()),
        _ if a == b => Some(a.clone()),
        _ => None,
    }
}

/// Two name scopes, each every name (`None`) or one name: the narrower, when they overlap.
fn meet_name(a: &Option<String>, b: &Option<String>) -> Option<Option<String>> {
    match (a, b) {
        (None, _) => Some(b.clone()),
        (_, None) => Some(a.clone()),
        _ if a == b => Some(a.clone()),
        _ => None,
    }
}

impl std::fmt::Display for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.role {
            Role::Run => {
                write!(f, "run {}", self.action.as_deref().unwrap_or(""))?;
                if let Some(name) = &self.name {
                    write!(f, "/{name}")?;
                }
                Ok(())
            }
            role => {
                let role = if role == Role::Edit { "edit" } else { "view" };
                write!(f, "{role} {}", self.resource.as_deref().unwrap_or(""))?;
                if let Some(name) = &self.name {
                    write!(f, "/{name}")?;
                }
                Ok(())
            }
        }
    }
}

/// Checks a subject: `User:<email>`, `Group:<name>` or `McpToken:<sha256 hex>`.
pub fn check_subject(subject: &str) -> Result<(), String> {
    let ok = match subject.split_once(':') {
        Some(("User", email)) => crate::name::check_email(email).is_ok(),
        Some(("Group", name)) => crate::name::check_name(name).is_ok(),
        Some(("McpToken", hash)) => {
            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a subject: use User:<email>, Group:<name> or McpToken:<sha256 hex>",
            crate::name::shown(subject)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(text: &str) -> Binding {
        Binding::parse_cli(text).unwrap()
    }

    #[test]
    fn cli_forms_parse() {
        assert_eq!(b("role:edit,resource:servers,name:github").to_string(), "edit servers/github");
        assert_eq!(b("action:introspect").to_string(), "run introspect");
        assert!(Binding::parse_cli("role:admin,resource:x").is_err());
        assert!(Binding::parse_cli("resource:servers").is_err());
        let mut causes = Vec::new();
        b("role:edit,resource:tools").validate("spec.roleBindings[0]", &mut causes);
        assert_eq!(causes.len(), 1, "a project's tools are bound through the project: {causes:?}");
    }

    #[test]
    fn broader_bindings_cover_narrower_ones() {
        assert!(b("role:edit,resource:*").covers(&b("role:view,resource:servers,name:x")));
        assert!(b("role:edit,resource:servers").covers(&b("role:edit,resource:servers,name:x")));
        assert!(!b("role:edit,resource:servers,name:x").covers(&b("role:edit,resource:servers")));
        assert!(!b("role:view,resource:servers").covers(&b("role:edit,resource:servers")));
        assert!(!b("role:edit,resource:servers").covers(&b("role:edit,resource:*")));
        assert!(b("action:*").covers(&b("action:audit")));
        assert!(!b("action:audit").covers(&b("action:introspect")));
        // connect, to every project or to one.
        assert!(b("action:connect").covers(&b("action:connect,name:demo")));
        assert!(b("action:*").covers(&b("action:connect,name:demo")));
        assert!(b("action:connect,name:demo").covers(&b("action:connect,name:demo")));
        assert!(!b("action:connect,name:demo").covers(&b("action:connect")));
        assert!(!b("action:connect,name:demo").covers(&b("action:connect,name:other")));
        assert!(!b("action:connect").covers(&b("action:serve")));
    }

    #[test]
    fn intersections_keep_what_both_grant() {
        let meet = |a: &str, c: &str| b(a).intersect(&b(c)).map(|x| x.to_string());
        assert_eq!(meet("role:edit,resource:*", "role:view,resource:servers").as_deref(), Some("view servers"));
        assert_eq!(
            meet("role:edit,resource:servers", "role:edit,resource:servers,name:x").as_deref(),
            Some("edit servers/x")
        );
        assert_eq!(meet("role:edit,resource:servers,name:x", "role:edit,resource:servers,name:y"), None);
        assert_eq!(meet("role:edit,resource:servers", "role:edit,resource:secrets"), None);
        assert_eq!(meet("action:*", "action:audit").as_deref(), Some("run audit"));
        assert_eq!(meet("action:audit", "action:introspect"), None);
        assert_eq!(meet("action:*", "role:edit,resource:*"), None);
        assert_eq!(meet("role:view,resource:*", "role:edit,resource:*").as_deref(), Some("view *"));
        assert_eq!(meet("action:audit", "action:*").as_deref(), Some("run audit"));
        assert_eq!(meet("action:audit", "action:audit").as_deref(), Some("run audit"));
        assert_eq!(meet("role:view,resource:servers", "role:edit,resource:*").as_deref(), Some("view servers"));
        assert_eq!(
            meet("role:edit,resource:servers,name:x", "role:edit,resource:servers").as_deref(),
            Some("edit servers/x")
        );
        assert_eq!(
            meet("role:edit,resource:servers,name:x", "role:view,resource:servers,name:x").as_deref(),
            Some("view servers/x")
        );
        assert_eq!(meet("role:edit,resource:servers", "role:edit,resource:servers").as_deref(), Some("edit servers"));
        assert_eq!(meet("role:edit,resource:servers", "action:*"), None);
        assert_eq!(meet("action:*", "action:connect,name:demo").as_deref(), Some("run connect/demo"));
        assert_eq!(meet("action:connect,name:demo", "action:connect").as_deref(), Some("run connect/demo"));
        assert_eq!(meet("action:connect,name:demo", "action:connect,name:other"), None);
        assert_eq!(meet("action:connect", "action:serve"), None);
    }

    #[test]
    fn subjects_are_checked() {
        assert!(check_subject("User:a@b").is_ok());
        assert!(check_subject("Group:ops").is_ok());
        assert!(check_subject(&format!("McpToken:{}", "a".repeat(64))).is_ok());
        let not_hex = format!("McpToken:{}", "g".repeat(64));
        let short_hex = format!("McpToken:{}", "a".repeat(63));
        let upper_hex = format!("McpToken:{}", "A".repeat(64));
        for bad in ["user:a@b", "User:nope", "Group:Ops", "McpToken:xyz", "Robot:x", &not_hex, &short_hex, &upper_hex] {
            assert!(check_subject(bad).is_err(), "{bad}");
        }
    }

    fn problems(binding: &Binding) -> Vec<(String, String)> {
        let mut causes = Vec::new();
        binding.validate("b", &mut causes);
        causes.into_iter().map(|c| (c.field, c.message)).collect()
    }

    #[test]
    fn well_formed_bindings_pass_validation() {
        for ok in [
            "role:view,resource:servers",
            "role:edit,resource:*",
            "role:edit,resource:mcptokens,name:demo/ci",
            "action:connect,name:demo",
        ] {
            assert_eq!(problems(&b(ok)), [], "{ok}");
        }
        for action in ACTIONS {
            assert_eq!(problems(&b(&format!("action:{action}"))), [], "{action}");
        }
    }

    #[test]
    fn malformed_bindings_name_their_field() {
        let field = |text: &str| problems(&b(text)).into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        assert_eq!(field("action:launch"), ["b.action"]);
        assert_eq!(field("action:audit,resource:servers"), ["b"]);
        assert_eq!(field("action:audit,name:x"), ["b"]);
        assert_eq!(field("action:*,name:x"), ["b"]);
        assert_eq!(field("action:connect,name:Not_A_Project"), ["b.name"]);
        assert_eq!(field("action:connect,resource:servers,name:demo"), ["b"]);
        assert_eq!(field("role:run"), ["b.action"]);
        assert_eq!(field("role:view"), ["b.resource"]);
        assert_eq!(field("role:edit,resource:serverz"), ["b.resource"]);
        assert_eq!(field("role:edit,resource:*,name:x"), ["b.name"]);
        assert_eq!(field("role:view,resource:servers,action:audit"), ["b.action"]);
        assert!(problems(&b("action:launch"))[0].1.contains("unknown action"));
        assert!(problems(&b("role:edit,resource:serverz"))[0].1.contains("unknown resource"));
    }
}
