//! Tool policy: what a project's clients may see of its tools (`Project.spec.tools`), and the
//! kind `Tool`, one per tool a gateway listed for a project: the definition an operator
//! approved (its spec) and the one a gateway last saw (its status).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{check_name_at, Reference, Spec};
use crate::status::Cause;

/// The longest tool name every client accepts, and so the longest name a tool is shown by.
pub const MAX_TOOL_NAME: usize = 64;

/// `Project.spec.tools`: which of its tools a project shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolPolicy {
    /// Globs over the names clients see (`github__get_*`): when any is given, only tools
    /// matching one are shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Globs over the names clients see: tools matching one are not shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Only tools their server annotates `readOnlyHint: true` are shown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// A tool is shown only while its definition is the one approved for the project: a new
    /// or changed tool waits for `mcpctl approve tools`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pin: bool,
}

impl ToolPolicy {
    pub fn is_default(&self) -> bool {
        *self == ToolPolicy::default()
    }

    /// Whether the include, exclude and read-only rules let a client see a tool (`pin` is
    /// decided against the approvals).
    pub fn admits(&self, shown: &str, read_only_hint: bool) -> bool {
        (self.include.is_empty() || self.include.iter().any(|g| glob_matches(g, shown)))
            && !self.exclude.iter().any(|g| glob_matches(g, shown))
            && (!self.read_only || read_only_hint)
    }

    /// Each glob must be able to match a name a client sees.
    pub fn validate(&self, field: &str, causes: &mut Vec<Cause>) {
        for (list, globs) in [("include", &self.include), ("exclude", &self.exclude)] {
            for (i, glob) in globs.iter().enumerate() {
                if let Err(why) = check_glob(glob) {
                    causes.push(Cause::invalid(format!("{field}.{list}[{i}]"), why));
                }
            }
        }
    }
}

/// A glob that can match some tool name: `*` (any run) and `?` (one character) among the
/// characters names have, and no more fixed characters than a name may have.
fn check_glob(glob: &str) -> Result<(), String> {
    let shown = crate::name::shown(glob);
    if glob.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if let Some(c) = glob.chars().find(|&c| !(name_char(c) || c == '*' || c == '?')) {
        return Err(format!(
            "{shown:?} can match no tool: {c:?} is not in any tool name (letters, digits, '_' and '-', with '*' and '?' as wildcards)"
        ));
    }
    if glob.chars().filter(|&c| c != '*').count() > MAX_TOOL_NAME {
        return Err(format!("{shown:?} can match no tool: tool names are at most {MAX_TOOL_NAME} characters"));
    }
    Ok(())
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether `name` matches `glob` (`*` any run, `?` any one character). Linear in practice:
/// on a mismatch it only goes back to just after the last `*`.
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let (glob, name) = (glob.as_bytes(), name.as_bytes());
    let (mut g, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match glob.get(g) {
            Some(b'*') => {
                star = Some((g, n));
                g += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                g += 1;
                n += 1;
            }
            _ => match star {
                Some((at, matched)) => {
                    g = at + 1;
                    n = matched + 1;
                    star = Some((at, matched + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == b'*')
}

/// Checks a tool's name as clients see it: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn check_tool_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.len() <= MAX_TOOL_NAME && name.chars().all(name_char) {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a tool name: 1 to {MAX_TOOL_NAME} letters, digits, '_' or '-'",
            crate::name::shown(name)
        ))
    }
}

/// What of a tool its fingerprint covers, as its server defines it (under its own name).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolDefinition {
    /// The name the server gives it.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Hints such as `readOnlyHint`, as the server gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

impl ToolDefinition {
    /// `sha256:<hex>` of the definition with every object's keys sorted, so the order a
    /// server writes its JSON in does not matter.
    pub fn fingerprint(&self) -> String {
        let value = serde_json::to_value(self).expect("definitions always serialize");
        let mut canonical = String::new();
        write_canonical(&value, &mut canonical);
        let digest = Sha256::digest(canonical.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// Whether the server says the tool only reads.
    pub fn read_only_hint(&self) -> bool {
        self.annotations.as_ref().is_some_and(|a| a["readOnlyHint"] == true)
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `Tool.spec`: the server the tool comes from, and the definition approved for the project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolSpec {
    /// The project's server that lists the tool.
    pub server: String,
    /// The definition approved for the project; absent until someone approves one (or, in a
    /// project without `pin`, until a gateway first lists the tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<Approval>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// The definition's fingerprint; mcpd fills it in when it is left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fingerprint: String,
    pub definition: ToolDefinition,
}

impl Spec for ToolSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        check_name_at("spec.server".to_owned(), &self.server, causes);
        if let Some(approved) = &self.approved {
            let actual = approved.definition.fingerprint();
            if !approved.fingerprint.is_empty() && approved.fingerprint != actual {
                causes.push(Cause::invalid(
                    "spec.approved.fingerprint",
                    format!("does not match spec.approved.definition, whose fingerprint is {actual}"),
                ));
            }
        }
    }

    fn references(&self) -> Vec<Reference> {
        vec![Reference {
            field: "spec.server".to_owned(),
            kind: crate::Kind::Server,
            name: self.server.clone(),
            key: None,
        }]
    }
}

/// The canonical Tool spec: the approval's fingerprint filled in.
pub fn normalize_tool(value: &Value) -> Result<Value, Vec<Cause>> {
    let mut canonical = super::normalize::<ToolSpec>(value)?;
    let spec: ToolSpec = serde_json::from_value(canonical.clone()).expect("a normalized spec reads back");
    if let Some(approved) = spec.approved {
        canonical["approved"]["fingerprint"] = Value::from(approved.definition.fingerprint());
    }
    Ok(canonical)
}

/// How a tool stands against its approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ToolState {
    /// The definition a gateway last saw is the approved one (or none was seen yet).
    Approved,
    /// Never approved.
    Pending,
    /// Its server changed the definition since it was approved.
    Changed,
}

impl ToolState {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolState::Approved => "approved",
            ToolState::Pending => "pending",
            ToolState::Changed => "changed",
        }
    }

    /// The state of a tool approved as `approved` whose server was last seen defining it as
    /// `seen`.
    pub fn of(approved: Option<&str>, seen: Option<&str>) -> ToolState {
        match (approved, seen) {
            (None, _) => ToolState::Pending,
            (Some(a), Some(s)) if a != s => ToolState::Changed,
            (Some(_), _) => ToolState::Approved,
        }
    }
}

/// `Tool.status`, kept by mcpd from what gateways report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolStatus {
    pub state: ToolState,
    /// The fingerprint of the definition a gateway last saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<ToolDefinition>,
    /// When a gateway first saw that definition (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names() {
        for (glob, name) in [
            ("github__*", "github__get_issue"),
            ("*", "a"),
            ("*get_*", "github__get_issue"),
            ("github__get_issu?", "github__get_issue"),
            ("a*b*c", "aXXbYYc"),
            ("a**", "a"),
        ] {
            assert!(glob_matches(glob, name), "{glob} {name}");
        }
        for (glob, name) in [("github__*", "gitlab__x"), ("get", "github__get"), ("a*b", "ab_"), ("?", "")] {
            assert!(!glob_matches(glob, name), "{glob} {name}");
        }
    }

    #[test]
    fn globs_that_can_match_no_name_are_refused_with_their_path() {
        let policy = ToolPolicy {
            include: vec!["github__*".into(), "git.hub".into()],
            exclude: vec![String::new(), "x".repeat(65), format!("{}*", "x".repeat(64))],
            ..Default::default()
        };
        let mut causes = Vec::new();
        policy.validate("spec.tools", &mut causes);
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["spec.tools.include[1]", "spec.tools.exclude[0]", "spec.tools.exclude[1]"]);
        assert!(causes[0].message.contains("'.'"), "{}", causes[0].message);
    }

    #[test]
    fn the_policy_narrows_by_include_then_exclude_then_read_only() {
        let policy = ToolPolicy {
            include: vec!["gh__*".into()],
            exclude: vec!["gh__delete_*".into()],
            read_only: true,
            pin: false,
        };
        assert!(policy.admits("gh__get", true));
        assert!(!policy.admits("gh__get", false));
        assert!(!policy.admits("gh__delete_repo", true));
        assert!(!policy.admits("fs__read", true));
        assert!(ToolPolicy::default().admits("anything", false));
    }

    #[test]
    fn a_fingerprint_ignores_key_order_and_sees_every_field() {
        let definition = |schema: &str| ToolDefinition {
            name: "get".into(),
            description: Some("reads".into()),
            input_schema: serde_json::from_str(schema).unwrap(),
            ..Default::default()
        };
        let a = definition(r#"{"type": "object", "properties": {"a": {}, "b": {}}}"#);
        let b = definition(r#"{"properties": {"b": {}, "a": {}}, "type": "object"}"#);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert!(a.fingerprint().starts_with("sha256:") && a.fingerprint().len() == 71);
        let mut changed = a.clone();
        changed.annotations = Some(serde_json::json!({"readOnlyHint": true}));
        assert_ne!(a.fingerprint(), changed.fingerprint());
        assert!(changed.read_only_hint() && !a.read_only_hint());
    }

    #[test]
    fn an_approval_gets_its_fingerprint_and_a_wrong_one_is_refused() {
        let spec = serde_json::json!({"server": "gh", "approved": {"definition": {"name": "get", "inputSchema": {}}}});
        let canonical = normalize_tool(&spec).unwrap();
        let fingerprint = canonical["approved"]["fingerprint"].as_str().unwrap().to_owned();
        assert!(fingerprint.starts_with("sha256:"));
        assert_eq!(normalize_tool(&canonical).unwrap(), canonical);
        let mut wrong = canonical.clone();
        wrong["approved"]["fingerprint"] = "sha256:00".into();
        assert_eq!(normalize_tool(&wrong).unwrap_err()[0].field, "spec.approved.fingerprint");
    }

    #[test]
    fn a_state_compares_the_approval_with_what_was_seen() {
        assert_eq!(ToolState::of(None, Some("a")), ToolState::Pending);
        assert_eq!(ToolState::of(Some("a"), Some("a")), ToolState::Approved);
        assert_eq!(ToolState::of(Some("a"), None), ToolState::Approved);
        assert_eq!(ToolState::of(Some("a"), Some("b")), ToolState::Changed);
    }
}
