//! The one description of every kind: names, plural, aliases, scope, apply order, table columns
//! and spec type. Routes, verbs, printers and completion are all driven from [`KINDS`].

use serde_json::Value;

use crate::object::Object;
use crate::spec::{self, Reference};
use crate::status::Cause;

/// Every kind there is. Code that decides by kind matches on this exhaustively, so adding a
/// kind is a compile error wherever its behaviour must be decided.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum Kind {
    Secret,
    SecretBackend,
    Server,
    Project,
    Tool,
    User,
    Group,
    RbacDefinition,
    McpToken,
    AuditEvent,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Secret,
        Kind::SecretBackend,
        Kind::Server,
        Kind::Project,
        Kind::Tool,
        Kind::User,
        Kind::Group,
        Kind::RbacDefinition,
        Kind::McpToken,
        Kind::AuditEvent,
    ];

    /// `kind:` as manifests spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Secret => "Secret",
            Kind::SecretBackend => "SecretBackend",
            Kind::Server => "Server",
            Kind::Project => "Project",
            Kind::Tool => "Tool",
            Kind::User => "User",
            Kind::Group => "Group",
            Kind::RbacDefinition => "RbacDefinition",
            Kind::McpToken => "McpToken",
            Kind::AuditEvent => "AuditEvent",
        }
    }

    /// Everything else about the kind.
    pub fn info(self) -> &'static KindInfo {
        // KINDS lists the kinds in the enum's order (a test checks).
        &KINDS[self as usize]
    }

    /// The kind a manifest's `kind:` names, exactly as spelled.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    /// In a project when one is given, global otherwise (McpToken); always in one for kinds
    /// whose [`KindInfo::needs_project`] says so (Tool).
    Project,
}

/// A table column beyond NAME (first) and AGE (last), which every kind has.
pub struct Column {
    pub header: &'static str,
    /// Shown only with `-o wide`.
    pub wide: bool,
    pub value: fn(&Object) -> String,
}

pub struct KindInfo {
    /// `kind:` in manifests, e.g. `Server`.
    pub kind: Kind,
    /// URL segment and CLI noun, e.g. `servers`.
    pub plural: &'static str,
    pub singular: &'static str,
    pub aliases: &'static [&'static str],
    pub scope: Scope,
    /// `apply` sends objects sorted by this, so references exist before their referrers.
    pub apply_order: u8,
    pub columns: &'static [Column],
    /// Values are hidden on output unless asked for (Secret `data`).
    pub sensitive: bool,
    /// Strictly parses and validates a spec, returning its canonical JSON form.
    pub normalize: fn(&Value) -> Result<Value, Vec<Cause>>,
    /// What a canonical spec refers to; mcpd checks these on write and keeps them for delete.
    pub references: fn(&Value) -> Vec<Reference>,
    /// Checks `metadata.name`: a DNS-1123 label for most kinds, an email for users.
    pub check_name: fn(&str) -> Result<(), String>,
    /// False for kinds only mcpd writes (AuditEvent).
    pub writable: bool,
    /// A spec that cannot change once created (McpToken): delete and recreate instead.
    pub immutable: bool,
    /// Header of the last table column, the object's age.
    pub age_header: &'static str,
}

impl std::fmt::Debug for KindInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.as_str())
    }
}

impl PartialEq for KindInfo {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

pub static KINDS: &[KindInfo] = &[
    KindInfo {
        kind: Kind::Secret,
        plural: "secrets",
        singular: "secret",
        aliases: &[],
        scope: Scope::Global,
        apply_order: 0,
        columns: &[
            Column { header: "KEYS", wide: false, value: |o| count(&o.spec["data"]) },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: true,
        normalize: spec::normalize::<spec::SecretSpec>,
        references: spec::references::<spec::SecretSpec>,
        check_name: crate::name::check_name,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::SecretBackend,
        plural: "secretbackends",
        singular: "secretbackend",
        aliases: &["sb"],
        scope: Scope::Global,
        apply_order: 1,
        columns: &[
            Column { header: "TYPE", wide: false, value: |o| text(&o.spec["type"]) },
            Column { header: "ADDRESS", wide: false, value: |o| text(&o.spec["address"]) },
            Column { header: "DEFAULT", wide: false, value: |o| status_flag(o, "default") },
            Column { header: "REACHABLE", wide: false, value: backend_reach },
            Column { header: "SECRETS", wide: false, value: |o| status_number(o, "secrets") },
            Column { header: "LAST ERROR", wide: true, value: |o| status_text(o, "lastError") },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::SecretBackendSpec>,
        references: spec::references::<spec::SecretBackendSpec>,
        check_name: crate::name::check_name,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::Server,
        plural: "servers",
        singular: "server",
        aliases: &["srv"],
        scope: Scope::Global,
        apply_order: 3,
        columns: &[
            Column { header: "TRANSPORT", wide: false, value: |o| text(&o.spec["transport"]) },
            Column { header: "TARGET", wide: false, value: server_target },
            Column { header: "ENV", wide: true, value: |o| count(&o.spec["env"]) },
            Column { header: "GATEWAYS", wide: true, value: gateway_standing },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::ServerSpec>,
        references: spec::references::<spec::ServerSpec>,
        check_name: crate::name::check_name,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::Project,
        plural: "projects",
        singular: "project",
        aliases: &["proj"],
        scope: Scope::Global,
        apply_order: 4,
        columns: &[
            Column { header: "SERVERS", wide: false, value: |o| count(&o.spec["servers"]) },
            Column { header: "DESCRIPTION", wide: false, value: |o| text(&o.spec["description"]) },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::ProjectSpec>,
        references: spec::references::<spec::ProjectSpec>,
        check_name: crate::name::check_name,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::Tool,
        plural: "tools",
        singular: "tool",
        aliases: &[],
        scope: Scope::Project,
        apply_order: 5,
        columns: &[
            Column { header: "SERVER", wide: false, value: |o| text(&o.spec["server"]) },
            Column { header: "STATE", wide: false, value: |o| status_text(o, "state") },
            Column { header: "FINGERPRINT", wide: false, value: tool_fingerprint },
            Column { header: "SEEN", wide: false, value: |o| or_never(status_text(o, "seen")) },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: false,
        normalize: spec::normalize_tool,
        references: spec::references::<spec::ToolSpec>,
        check_name: spec::check_tool_name,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::User,
        plural: "users",
        singular: "user",
        aliases: &[],
        scope: Scope::Global,
        apply_order: 6,
        columns: &[
            Column { header: "DISPLAY NAME", wide: false, value: |o| text(&o.spec["displayName"]) },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::UserSpec>,
        references: spec::references::<spec::UserSpec>,
        check_name: crate::name::check_email,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::Group,
        plural: "groups",
        singular: "group",
        aliases: &[],
        scope: Scope::Global,
        apply_order: 7,
        columns: &[
            Column { header: "MEMBERS", wide: false, value: |o| count(&o.spec["members"]) },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::GroupSpec>,
        references: spec::references::<spec::GroupSpec>,
        check_name: crate::name::check_name,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::RbacDefinition,
        plural: "rbacdefinitions",
        singular: "rbacdefinition",
        aliases: &["rbac"],
        scope: Scope::Global,
        apply_order: 8,
        columns: &[
            Column { header: "SUBJECTS", wide: false, value: |o| count(&o.spec["subjects"]) },
            Column { header: "BINDINGS", wide: false, value: |o| count(&o.spec["roleBindings"]) },
            Column { header: "LABELS", wide: true, value: labels },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::RbacDefinitionSpec>,
        references: spec::references::<spec::RbacDefinitionSpec>,
        check_name: crate::name::check_name,
        writable: true,
        immutable: false,
        age_header: "AGE",
    },
    KindInfo {
        kind: Kind::McpToken,
        plural: "mcptokens",
        singular: "mcptoken",
        aliases: &["token", "tokens"],
        scope: Scope::Project,
        apply_order: 9,
        columns: &[
            Column {
                header: "PROJECT",
                wide: false,
                value: |o| o.metadata.project.clone().unwrap_or_else(|| "<global>".to_owned()),
            },
            Column { header: "PREFIX", wide: false, value: |o| status_text(o, "prefix") },
            Column { header: "LAST USED", wide: false, value: |o| or_never(status_text(o, "lastUsedAt")) },
            Column { header: "EXPIRES", wide: false, value: |o| or_never(status_text(o, "expiresAt")) },
            Column { header: "STATUS", wide: false, value: |o| status_text(o, "state") },
            Column { header: "CREATED BY", wide: true, value: |o| status_text(o, "createdBy") },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::McpTokenSpec>,
        references: spec::references::<spec::McpTokenSpec>,
        check_name: crate::name::check_name,
        writable: true,
        immutable: true,
        age_header: "CREATED",
    },
    KindInfo {
        kind: Kind::AuditEvent,
        plural: "events",
        singular: "event",
        aliases: &[],
        scope: Scope::Global,
        apply_order: 10,
        columns: &[
            Column { header: "TIME", wide: false, value: |o| text(&o.spec["time"]) },
            Column { header: "PRINCIPAL", wide: false, value: |o| text(&o.spec["principal"]) },
            Column { header: "VERB", wide: false, value: |o| text(&o.spec["verb"]) },
            Column { header: "OBJECT", wide: false, value: event_object },
            Column { header: "CODE", wide: false, value: |o| o.spec["code"].to_string() },
            // A call the gateway relayed: how it ended and how long it took.
            Column { header: "OUTCOME", wide: false, value: |o| text(&o.spec["outcome"]) },
            Column { header: "DURATION", wide: false, value: duration },
            Column { header: "SERVER", wide: true, value: |o| text(&o.spec["server"]) },
            Column { header: "DRY RUN", wide: true, value: |o| o.spec["dryRun"].to_string() },
        ],
        sensitive: false,
        normalize: spec::normalize::<spec::AuditEventSpec>,
        references: spec::references::<spec::AuditEventSpec>,
        check_name: crate::name::check_name,
        writable: false,
        immutable: true,
        age_header: "AGE",
    },
];

impl KindInfo {
    /// Finds a kind by any name a user may type: kind, plural, singular or alias, any case.
    pub fn find(word: &str) -> Option<&'static KindInfo> {
        let word = word.to_ascii_lowercase();
        KINDS.iter().find(|k| {
            k.kind.as_str().eq_ignore_ascii_case(&word)
                || k.plural == word
                || k.singular == word
                || k.aliases.contains(&word.as_str())
        })
    }

    /// Finds a kind by its `kind:` value exactly as manifests spell it.
    pub fn by_kind(kind: &str) -> Option<&'static KindInfo> {
        Kind::parse(kind).map(Kind::info)
    }

    /// Where `apply` puts an object of this kind: by kind, except that a secret kept on an
    /// external backend comes after the backends (whose own credentials are secrets too).
    pub fn apply_rank(&self, spec: &Value) -> u8 {
        if self.kind == Kind::Secret && spec["backend"].as_str().is_some_and(|b| b != spec::INTERNAL) {
            2
        } else {
            self.apply_order
        }
    }

    /// Whether every object of the kind is in a project (a Tool is a project's tool).
    pub fn needs_project(&self) -> bool {
        self.kind == Kind::Tool
    }

    pub fn by_plural(plural: &str) -> Option<&'static KindInfo> {
        KINDS.iter().find(|k| k.plural == plural)
    }

    /// Every word [`KindInfo::find`] accepts, for completion and suggestions.
    pub fn all_words() -> impl Iterator<Item = &'static str> {
        KINDS.iter().flat_map(|k| [k.plural, k.singular].into_iter().chain(k.aliases.iter().copied()))
    }
}

/// A call's duration as people read it: `12ms`, `1.5s`.
fn duration(o: &Object) -> String {
    match o.spec["durationMs"].as_u64() {
        None => String::new(),
        Some(ms) if ms < 1000 => format!("{ms}ms"),
        Some(ms) => format!("{:.1}s", ms as f64 / 1000.0),
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_owned()
}

fn count(v: &Value) -> String {
    match v {
        Value::Array(a) => a.len().to_string(),
        Value::Object(o) => o.len().to_string(),
        _ => "0".to_owned(),
    }
}

fn labels(o: &Object) -> String {
    let pairs: Vec<String> = o.metadata.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if pairs.is_empty() {
        "<none>".to_owned()
    } else {
        pairs.join(",")
    }
}

fn status_text(o: &Object, field: &str) -> String {
    o.status.as_ref().and_then(|s| s[field].as_str()).unwrap_or("").to_owned()
}

fn status_flag(o: &Object, field: &str) -> String {
    o.status.as_ref().and_then(|s| s[field].as_bool()).map_or(String::new(), |b| b.to_string())
}

fn status_number(o: &Object, field: &str) -> String {
    o.status.as_ref().and_then(|s| s[field].as_u64()).map_or(String::new(), |n| n.to_string())
}

/// `true`, `false`, or `sealed`, as mcpd last saw the backend.
fn backend_reach(o: &Object) -> String {
    match o.status.as_ref() {
        None => String::new(),
        Some(s) if s["sealed"] == true => "sealed".to_owned(),
        Some(s) => s["reachable"].as_bool().map_or(String::new(), |b| b.to_string()),
    }
}

/// The start of the fingerprint a gateway last saw (else the approved one), as people
/// compare them: 12 hexadecimal digits.
fn tool_fingerprint(o: &Object) -> String {
    let seen = status_text(o, "fingerprint");
    let fingerprint = if seen.is_empty() { text(&o.spec["approved"]["fingerprint"]) } else { seen };
    let hex = fingerprint.strip_prefix("sha256:").unwrap_or(&fingerprint);
    hex.chars().take(12).collect()
}

fn or_never(text: String) -> String {
    if text.is_empty() {
        "<never>".to_owned()
    } else {
        text
    }
}

fn event_object(o: &Object) -> String {
    let kind = text(&o.spec["kind"]);
    let kind = KindInfo::find(&kind).map_or(kind.to_lowercase(), |k| k.singular.to_owned());
    // A call through the gateway names its server too: `tool/github/search_repos`.
    let name = match o.spec["server"].as_str() {
        Some(server) => format!("{server}/{}", text(&o.spec["name"])),
        None => text(&o.spec["name"]),
    };
    match o.spec["project"].as_str() {
        Some(p) => format!("{kind}/{name} (project {p})"),
        None if name.is_empty() => kind,
        None => format!("{kind}/{name}"),
    }
}

/// How a server stands at the gateways (which mcpctl adds to its status as `gateways` from
/// `GET /api/v1/gateway/status`): `ready`, or the first state that is not, with why.
fn gateway_standing(o: &Object) -> String {
    let Some(gateways) = o.status.as_ref().and_then(|s| s["gateways"].as_array()) else { return "<none>".to_owned() };
    let not_ready = gateways.iter().find(|g| g["state"] != "ready");
    match (gateways.first(), not_ready) {
        (None, _) => "<none>".to_owned(),
        (Some(_), None) => "ready".to_owned(),
        (Some(_), Some(g)) => match g["reason"].as_str() {
            Some(reason) => format!("{}: {reason}", text(&g["state"])),
            None => text(&g["state"]),
        },
    }
}

fn server_target(o: &Object) -> String {
    match o.spec["transport"].as_str() {
        Some("stdio") => {
            let mut parts = vec![text(&o.spec["command"])];
            if let Some(args) = o.spec["args"].as_array() {
                parts.extend(args.iter().filter_map(|a| a.as_str().map(str::to_owned)));
            }
            parts.join(" ")
        }
        _ => text(&o.spec["url"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_finds_exactly_one_kind() {
        for word in KindInfo::all_words() {
            let matches = KINDS.iter().filter(|k| KindInfo::find(word) == Some(*k)).count();
            assert_eq!(matches, 1, "{word}");
        }
        assert_eq!(KindInfo::find("SRV").map(|k| k.kind), Some(Kind::Server));
        assert!(KindInfo::find("pods").is_none());
    }

    #[test]
    fn every_kind_has_its_description_in_enum_order() {
        assert_eq!(KINDS.len(), Kind::ALL.len());
        for kind in Kind::ALL {
            assert_eq!(kind.info().kind, kind);
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn events_name_their_object_and_a_call_its_server() {
        let event = |spec: serde_json::Value| {
            let object = Object::from_value(serde_json::json!({"apiVersion": "mcpctl/v1", "kind": "AuditEvent",
                "metadata": {"name": "1"}, "spec": spec}))
            .unwrap();
            event_object(&object)
        };
        assert_eq!(event(serde_json::json!({"kind": "servers", "name": "github"})), "server/github");
        assert_eq!(
            event(serde_json::json!({"kind": "tools", "name": "search", "server": "github", "project": "demo"})),
            "tool/github/search (project demo)"
        );
        assert_eq!(event(serde_json::json!({"kind": "credentials", "name": ""})), "credentials");
    }

    #[test]
    fn apply_order_puts_referenced_kinds_first() {
        let order: Vec<&str> = {
            let mut k: Vec<&KindInfo> = KINDS.iter().collect();
            k.sort_by_key(|k| k.apply_order);
            k.iter().map(|k| k.kind.as_str()).collect()
        };
        assert_eq!(
            order,
            [
                "Secret",
                "SecretBackend",
                "Server",
                "Project",
                "Tool",
                "User",
                "Group",
                "RbacDefinition",
                "McpToken",
                "AuditEvent"
            ]
        );
    }
}
