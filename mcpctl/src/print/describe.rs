//! `describe`: an object as readable sections, with what refers to it.

use shared::api::GatewayStatus;
use shared::spec::{McpTokenStatus, Reach, Sandbox, SANDBOX_HOME};
use shared::{Kind, KindInfo, Object};

/// `lengths` gives each secret key's value length when the caller may know it.
pub fn describe(
    kind: &KindInfo,
    object: &Object,
    referrers: &[(String, String)],
    lengths: Option<&[(String, usize)]>,
    events: &[Object],
    gateways: Option<&[GatewayStatus]>,
) -> String {
    let meta = &object.metadata;
    let mut s = String::new();
    field(&mut s, "Name", &meta.name);
    field(&mut s, "Kind", kind.kind.as_str());
    map(&mut s, "Labels", &meta.labels);
    map(&mut s, "Annotations", &meta.annotations);
    if let Some(created) = &meta.created_at {
        field(&mut s, "Created", &format!("{created} ({} ago)", super::age(created)));
    }
    field(&mut s, "Resource Version", meta.resource_version.as_deref().unwrap_or(""));
    if kind.sensitive {
        field(&mut s, "Backend", object.spec["backend"].as_str().unwrap_or(shared::spec::INTERNAL));
        if let Some(version) = object.status.as_ref().and_then(|st| st["backendVersion"].as_u64()) {
            field(&mut s, "Backend Version", &version.to_string());
        }
        s.push_str("Data:\n");
        let keys: Vec<&String> = object.spec["data"].as_object().map(|d| d.keys().collect()).unwrap_or_default();
        if keys.is_empty() {
            s.push_str("  <none>\n");
        }
        for key in keys {
            match lengths.and_then(|l| l.iter().find(|(k, _)| k == key)) {
                Some((_, n)) => s.push_str(&format!("  {key}:\t{n} bytes\n")),
                None => s.push_str(&format!("  {key}:\t<hidden>\n")),
            }
        }
    } else if kind.kind == Kind::Tool {
        tool(&mut s, object);
    } else {
        s.push_str("Spec:\n");
        let yaml = super::to_yaml(&object.spec);
        for line in yaml.lines().filter(|l| *l != "{}") {
            s.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(status) = object.status.as_ref().filter(|_| kind.kind == Kind::McpToken) {
        let status = McpTokenStatus::of(status);
        let state = serde_json::to_value(status.state).expect("a state serializes");
        s.push_str("Status:\n");
        for (label, value) in [
            ("State", state.as_str()),
            ("Prefix", Some(status.prefix.as_str())),
            ("Created By", Some(status.created_by.as_str())),
            ("Expires", status.expires_at.as_deref()),
            ("Last Used", status.last_used_at.as_deref()),
            ("Revoked", status.revoked_at.as_deref()),
        ] {
            let value = value.unwrap_or("<never>");
            s.push_str(&format!("  {:<12}{value}\n", format!("{label}:")));
        }
        s.push_str(&format!("  {:<12}McpToken:{}\n", "Subject:", status.sha256));
        s.push_str("Effective Bindings (while the creator holds them):\n");
        if status.bindings.is_empty() {
            s.push_str("  <none>\n");
        }
        for b in status.bindings {
            s.push_str(&format!("  {b}\n"));
        }
    }
    if let Some(status) = object.status.as_ref().filter(|_| kind.kind == Kind::SecretBackend) {
        let flag = |name: &str| status[name].as_bool().map_or("<unknown>".to_owned(), |b| b.to_string());
        let text = |name: &str| {
            status[name].as_str().map_or("<none>".to_owned(), |t| super::terminal::escaped(t).into_owned())
        };
        s.push_str("Status:\n");
        for (label, value) in [
            ("Default", flag("default")),
            ("Reachable", flag("reachable")),
            ("Sealed", flag("sealed")),
            ("Version", text("version")),
            ("Last Check", text("lastCheck")),
            ("Last Error", text("lastError")),
            ("Secrets", status["secrets"].as_u64().unwrap_or(0).to_string()),
        ] {
            s.push_str(&format!("  {:<12}{value}\n", format!("{label}:")));
        }
    }
    if kind.kind == Kind::Server && object.spec["transport"] == "stdio" {
        sandbox(&mut s, &object.spec["sandbox"]);
    }
    if let Some(gateways) = gateways {
        s.push_str("Gateways:\n");
        if gateways.is_empty() {
            s.push_str("  <none reported>\n");
        }
        for g in gateways {
            let state = match &g.reason {
                Some(reason) => format!("{} ({})", g.state.as_str(), super::terminal::escaped(reason)),
                None => g.state.as_str().to_owned(),
            };
            s.push_str(&format!(
                "  {}\tproject {}\t{state} since {}\n",
                super::terminal::escaped(&g.gateway),
                super::terminal::escaped(&g.project),
                g.since
            ));
        }
    }
    s.push_str("Used By:\n");
    if referrers.is_empty() {
        s.push_str("  <none>\n");
    }
    for (who, field) in referrers {
        s.push_str(&format!("  {}\t{}\n", super::terminal::escaped(who), super::terminal::escaped(field)));
    }
    if !events.is_empty() {
        s.push_str("Events:\n");
        for e in events {
            let spec = &e.spec;
            s.push_str(&format!(
                "  {}  {}  {}  {}\n",
                spec["time"].as_str().unwrap_or(""),
                spec["verb"].as_str().unwrap_or(""),
                spec["code"],
                super::terminal::escaped(spec["principal"].as_str().unwrap_or(""))
            ));
        }
    }
    // Values were escaped where they could hold a newline; whatever else came from the server
    // cannot reach the terminal raw either.
    super::terminal::escaped_keeping_layout(&s).into_owned()
}

/// A tool: its server, how it stands against its approval, and what changed since: the
/// approved definition and the one a gateway last listed, as a diff.
fn tool(s: &mut String, object: &Object) {
    let status = object.status.clone().unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().map_or("<none>".to_owned(), str::to_owned);
    field(s, "Server", &text(&object.spec["server"]));
    field(s, "State", &text(&status["state"]));
    field(s, "Approved", &text(&object.spec["approved"]["fingerprint"]));
    field(s, "Seen", &text(&status["fingerprint"]));
    field(s, "Seen At", &text(&status["seen"]));
    let yaml = |v: &serde_json::Value| if v.is_null() { String::new() } else { super::to_yaml(v) };
    let approved = yaml(&object.spec["approved"]["definition"]);
    let seen = yaml(&status["definition"]);
    let (title, lines) = match (approved.is_empty(), seen.is_empty()) {
        (_, true) => ("Definition (approved; no gateway has listed it yet):", prefixed(&approved, "  ")),
        (true, false) => ("Definition (new, never approved):", prefixed(&seen, "+ ")),
        (false, false) if approved == seen => ("Definition (approved, as listed):", prefixed(&approved, "  ")),
        (false, false) => {
            let diff = similar::TextDiff::from_lines(&approved, &seen);
            let mut lines = String::new();
            for change in diff.iter_all_changes() {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => "- ",
                    similar::ChangeTag::Insert => "+ ",
                    similar::ChangeTag::Equal => "  ",
                };
                lines.push_str(&format!("  {sign}{}", super::terminal::escaped(change.value().trim_end_matches('\n'))));
                lines.push('\n');
            }
            ("Definition (- approved, + as a gateway last listed it):", lines)
        }
    };
    s.push_str(title);
    s.push('\n');
    s.push_str(&lines);
}

fn prefixed(yaml: &str, sign: &str) -> String {
    yaml.lines().map(|l| format!("  {sign}{}\n", super::terminal::escaped(l))).collect()
}

/// The sandbox that applies to a stdio server: what its spec sets, and the defaults for the rest.
fn sandbox(s: &mut String, spec: &serde_json::Value) {
    let sandbox: Sandbox = serde_json::from_value(spec.clone()).unwrap_or_default();
    let network = match sandbox.reach() {
        Reach::Open => "open".to_owned(),
        Reach::None => "none (loopback only)".to_owned(),
        Reach::Egress(allowed) => format!("only {} (through the gateway's egress proxy)", allowed.join(", ")),
    };
    let mounts: Vec<String> = sandbox
        .mounts
        .iter()
        .map(|m| format!("{} ({})", m.path, if m.read_only { "read-only" } else { "read-write" }))
        .collect();
    s.push_str("Sandbox:\n");
    for (label, value) in [
        ("Network", network),
        ("Memory", sandbox.memory_shown().to_owned()),
        ("Processes", sandbox.processes().to_string()),
        ("Home", format!("{SANDBOX_HOME}, private to this server in each project")),
        ("Mounts", if mounts.is_empty() { "<none>".to_owned() } else { mounts.join(", ") }),
    ] {
        s.push_str(&format!("  {:<12}{}\n", format!("{label}:"), super::terminal::escaped(&value)));
    }
}

fn field(s: &mut String, name: &str, value: &str) {
    let value = super::terminal::escaped(value);
    s.push_str(&format!("{:<18}{}\n", format!("{name}:"), if value.is_empty() { "<none>" } else { &value }));
}

fn map(s: &mut String, name: &str, m: &std::collections::BTreeMap<String, String>) {
    let text = if m.is_empty() {
        String::new()
    } else {
        m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    };
    field(s, name, &text);
}

/// Value lengths of a secret fetched with its values; the values themselves go no further.
pub fn value_lengths(object: &Object) -> Vec<(String, usize)> {
    object.spec["data"]
        .as_object()
        .map(|d| d.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.len()))).collect())
        .unwrap_or_default()
}
