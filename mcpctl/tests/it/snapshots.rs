//! What tables and describe look like, whole: snapshots (`insta`) of the seeded objects'
//! output, with what changes from run to run (ages, times, ids, versions, token values)
//! replaced by placeholders. A change of layout shows as a diff in `snapshots/`.

use crate::helpers::{seed, Daemon};

/// Output with its run-dependent parts replaced, alignment kept: a table's last column (AGE),
/// the values describe labels as times or versions, event times, and token prefixes.
fn stable(text: &str, table: bool) -> String {
    let mut lines = Vec::new();
    let mut in_events = false;
    for (i, line) in text.lines().enumerate() {
        let line = token_prefixes(line.trim_end());
        if table && i > 0 {
            match line.rfind(' ') {
                Some(at) => lines.push(format!("{}<age>", &line[..=at])),
                None => lines.push(line),
            }
            continue;
        }
        in_events = (in_events && line.starts_with("  ")) || line == "Events:";
        if in_events && line.starts_with("  ") {
            // `  TIME  VERB  CODE  PRINCIPAL`: the time changes.
            let rest = line.trim_start().split_once(' ').map_or("", |(_, rest)| rest);
            lines.push(format!("  <time> {rest}"));
            continue;
        }
        let label = line.split(':').next().unwrap_or("");
        if ["Created", "Updated", "UID", "Resource Version", "Last Used"].contains(&label) {
            let value_at = label.len() + 1 + line[label.len() + 1..].len() - line[label.len() + 1..].trim_start().len();
            lines.push(format!("{}<{}>", &line[..value_at], label.to_lowercase()));
            continue;
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// `mcpctl_pat_` and four random characters, as tables and events show a token.
fn token_prefixes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("mcpctl_pat_") {
        let (before, after) = rest.split_at(at + "mcpctl_pat_".len());
        out.push_str(before);
        let shown: String = after.chars().take(4).collect();
        out.push_str(&"*".repeat(shown.chars().count()));
        rest = &after[shown.len()..];
    }
    out.push_str(rest);
    out
}

/// Only on SQLite: the output does not depend on the database, and one set of snapshots is
/// enough.
#[test]
fn tables_and_describe_look_as_they_always_have() {
    let d = Daemon::start(testkit::Backend::Sqlite);
    seed(&d);
    d.run(&["create", "mcptoken", "ci", "-p", "demo", "--bind", "role:view,resource:servers", "--ttl", "never"]).ok();
    for (name, args, table) in [
        ("get_servers", &["get", "servers"][..], true),
        ("get_servers_wide", &["get", "servers", "-o", "wide"], true),
        ("get_projects", &["get", "projects"], true),
        ("get_secrets", &["get", "secrets"], true),
        ("get_mcptokens", &["get", "mcptokens", "-p", "demo"], true),
        ("describe_secret", &["describe", "secret", "gh"], false),
        ("describe_server", &["describe", "server", "github"], false),
        ("describe_project", &["describe", "project", "demo"], false),
        ("describe_user", &["describe", "user", testkit::ADMIN_EMAIL], false),
        ("api_resources", &["api-resources"], false),
    ] {
        let run = d.run(args);
        run.ok();
        insta::assert_snapshot!(name, stable(&run.stdout, table), &args.join(" "));
    }
}
