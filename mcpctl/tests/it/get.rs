//! get, describe, delete and create through the CLI, with every output format and round trip.

use testkit::Backend;

use crate::helpers::{seed, Daemon};
use testkit::backend_tests;

fn create_then_get_in_every_format(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    let table = d.run(&["get", "servers"]);
    table.ok();
    assert_eq!(table.lines()[0].split_whitespace().collect::<Vec<_>>(), ["NAME", "TRANSPORT", "TARGET", "AGE"]);
    table
        .stdout_has("github")
        .stdout_has("npx -y @modelcontextprotocol/server-github")
        .stdout_has("https://search.example.com/mcp");
    d.run(&["get", "servers", "-o", "wide"]).ok().stdout_has("LABELS").stdout_has("team=infra");
    assert_eq!(d.run(&["get", "srv", "-o", "name"]).ok().lines(), ["server/github", "server/search"]);
    d.run(&["get", "server/github", "-o", "yaml"]).ok().stdout_has("kind: Server").stdout_has("resourceVersion: '");
    let json: serde_json::Value =
        serde_json::from_str(&d.run(&["get", "server", "github", "search", "-o", "json"]).ok().stdout).unwrap();
    assert_eq!(json["kind"], "List");
    assert_eq!(json["items"].as_array().unwrap().len(), 2);
    d.run(&["get", "projects"]).ok().stdout_has("Demo project");
    d.run(&["get", "servers", "-l", "team=infra", "-o", "name"]).ok().stdout_has("server/github");
    assert!(!d.run(&["get", "servers", "-l", "team=infra", "-o", "name"]).stdout.contains("search"));
    let empty = d.run(&["get", "servers", "-l", "team=none"]);
    empty.ok().stderr_has("No resources found");
    assert!(empty.stdout.is_empty());
}

fn every_round_trip_is_unchanged(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    for target in ["secret/gh", "server/github", "server/search", "project/demo"] {
        let yaml = d.run(&["get", target, "-o", "yaml"]).ok().stdout.clone();
        let applied = d.run_stdin(&["apply", "-f", "-"], &yaml);
        assert_eq!(applied.ok().lines(), [format!("{target} unchanged")]);
        let json = d.run(&["get", target, "-o", "json"]).ok().stdout.clone();
        d.run_stdin(&["apply", "-f", "-"], &json).ok().stdout_has("unchanged");
    }
    for kind in ["secrets", "servers", "projects"] {
        let yaml = d.run(&["get", kind, "-o", "yaml"]).ok().stdout.clone();
        let applied = d.run_stdin(&["apply", "-f", "-"], &yaml);
        assert!(applied.ok().lines().iter().all(|l| l.ends_with(" unchanged")), "{}", applied.stdout);
    }
}

fn secret_values_appear_only_with_show_values(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    for args in [
        &["get", "secrets"][..],
        &["get", "secret", "gh", "-o", "yaml"],
        &["get", "secrets", "-o", "json"],
        &["describe", "secret", "gh"],
        &["describe", "server", "github"],
        &["get", "servers", "-o", "yaml"],
    ] {
        let run = d.run(args);
        run.ok();
        assert!(!run.stdout.contains("canary-token-1") && !run.stderr.contains("canary-token-1"), "{args:?} leaked");
    }
    d.run(&["get", "secret", "gh", "-o", "yaml", "--show-values"]).ok().stdout_has("token: canary-token-1");
    let backup = d.run(&["get", "secrets", "-o", "yaml", "--show-values"]).ok().stdout.clone();
    d.run_stdin(&["apply", "-f", "-"], &backup).ok().stdout_has("secret/gh unchanged");
}

fn describe_shows_spec_and_who_uses_it(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    d.run(&["describe", "secret", "gh"]).ok().stdout_has("token:").stdout_has("14 bytes").stdout_has("server/github");
    d.run(&["describe", "server", "github"]).ok().stdout_has("transport: stdio").stdout_has("project/demo");
    d.run(&["describe", "project", "demo"]).ok().stdout_has("Demo project").stdout_has("<none>");
    d.run(&["describe", "server", "nope"])
        .code(1)
        .stderr_has("Error from server (NotFound): servers \"nope\" not found");
}

fn delete_refuses_referenced_objects_and_honours_ignore_not_found(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    d.run(&["delete", "secret", "gh"]).code(1).stderr_has("Error from server (Conflict)").stderr_has("servers/github");
    d.run(&["delete", "server", "nope"]).code(1).stderr_has("(NotFound)");
    d.run(&["delete", "server", "nope", "--ignore-not-found"]).ok();
    let file = d.file("all.yaml", &d.run(&["get", "projects", "-o", "yaml"]).stdout);
    d.run(&["delete", "-f", &file]).ok().stdout_has("project \"demo\" deleted");
    d.run(&["delete", "server", "github", "search"]).ok();
    d.run(&["delete", "secret/gh"]).ok().stdout_has("secret \"gh\" deleted");
    d.run(&["get", "secrets", "-o", "name"]).ok();
    assert!(d.run(&["get", "secrets", "-o", "name"]).stdout.is_empty());
}

fn create_from_files_refuses_existing_objects(backend: Backend) {
    let d = Daemon::start(backend);
    let file = d.file("s.yaml", "apiVersion: mcpctl/v1\nkind: Secret\nmetadata: {name: s}\nspec:\n  data: {k: v}\n");
    d.run(&["create", "-f", &file]).ok().stdout_has("secret/s created");
    d.run(&["create", "-f", &file]).code(1).stderr_has("Error from server (AlreadyExists)");
    let env = d.file("vars.env", "# comment\nA=1\nB=two words\n");
    let blob = d.file("blob.txt", "file contents\n");
    d.run(&["create", "secret", "multi", "--from-env-file", &env, "--from-file", &format!("BLOB={blob}")]).ok();
    d.run(&["get", "secret", "multi", "-o", "json", "--show-values"])
        .ok()
        .stdout_has("\"B\": \"two words\"")
        .stdout_has("file contents");
}

/// Anyone who may edit an object may put escape sequences in it; an operator's terminal must
/// show them, not run them. YAML and JSON stay exact.
fn tables_and_describe_show_control_characters_escaped(backend: Backend) {
    let d = Daemon::start(backend);
    let link = "\u{1b}]8;;https://evil.example\u{7}click me\u{1b}]8;;\u{7}";
    let manifest = serde_json::json!({
        "apiVersion": "mcpctl/v1", "kind": "Project",
        "metadata": {"name": "p", "annotations": {"note": format!("clear\u{1b}[2J\nforged: line {link}")}},
        "spec": {"description": format!("desc {link}\u{9b}31m")}
    });
    // serde_json leaves C1 controls raw, which YAML refuses in plain text; as escapes it takes them.
    d.run_stdin(&["apply", "-f", "-"], &manifest.to_string().replace('\u{9b}', "\\u009b")).ok();
    for args in [&["get", "projects"][..], &["get", "projects", "-o", "wide"], &["describe", "project", "p"]] {
        let run = d.run(args);
        run.ok();
        assert!(
            !run.stdout.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "mcpctl {args:?} printed a control character:\n{:?}",
            run.stdout
        );
        run.stdout_has("\\e]8;;https://evil.example\\u{7}click me");
    }
    d.run(&["describe", "project", "p"]).ok().stdout_has("clear\\e[2J\\nforged: line");
    let yaml = d.run(&["get", "project", "p", "-o", "json"]).ok().stdout.clone();
    let exact: serde_json::Value = serde_json::from_str(&yaml).unwrap();
    assert_eq!(exact["spec"]["description"], manifest["spec"]["description"]);
}

/// kubectl's output options, as scripts use them.
fn jsonpath_custom_columns_and_sorting_work_as_in_kubectl(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    let names = d.run(&["get", "servers", "-o", "jsonpath={.items[*].metadata.name}"]);
    assert_eq!(names.ok().stdout, "github search");
    let ranged = d.run(&[
        "get",
        "servers",
        "-o",
        r#"jsonpath={range .items[*]}{.metadata.name}{"\t"}{.spec.transport}{"\n"}{end}"#,
    ]);
    assert_eq!(ranged.ok().stdout, "github\tstdio\nsearch\thttp\n");
    let one = d.run(&[
        "get",
        "server",
        "github",
        "-o",
        r#"jsonpath={.spec.env[?(@.name=="GITHUB_TOKEN")].valueFrom.secretKeyRef.name}"#,
    ]);
    assert_eq!(one.ok().stdout, "gh");
    let file = d.file("template.txt", "{.items[?(@.spec.transport==\"http\")].spec.url}");
    let filtered = d.run(&["get", "servers", "-o", &format!("jsonpath-file={file}")]);
    assert_eq!(filtered.ok().stdout, "https://search.example.com/mcp");

    let columns =
        d.run(&["get", "servers", "-o", "custom-columns=NAME:.metadata.name,TRANSPORT:.spec.transport,URL:.spec.url"]);
    assert_eq!(
        columns.ok().lines().iter().map(|l| l.split_whitespace().collect::<Vec<_>>()).collect::<Vec<_>>(),
        [
            vec!["NAME", "TRANSPORT", "URL"],
            vec!["github", "stdio", "<none>"],
            vec!["search", "http", "https://search.example.com/mcp"]
        ]
    );
    let file = d.file("columns.txt", "NAME            TRANSPORT\n.metadata.name  .spec.transport\n");
    let from_file = d.run(&["get", "servers", "--no-headers", "-o", &format!("custom-columns-file={file}")]);
    assert_eq!(from_file.ok().lines(), ["github   stdio", "search   http"]);

    let sorted = d.run(&["get", "servers", "--sort-by", ".spec.transport", "-o", "name"]);
    assert_eq!(sorted.ok().lines(), ["server/search", "server/github"]);
    let bare = d.run(&["get", "servers", "--no-headers"]);
    assert!(bare.ok().lines()[0].starts_with("github"), "{}", bare.stdout);
    let labelled = d.run(&["get", "servers", "-L", "team", "--show-labels"]);
    labelled.ok();
    assert_eq!(labelled.lines()[0].split_whitespace().collect::<Vec<_>>().last(), Some(&"LABELS"));
    assert!(labelled.stdout.contains("TEAM") && labelled.stdout.contains("team=infra"), "{}", labelled.stdout);

    let version: serde_json::Value = serde_json::from_str(&d.run(&["version", "-o", "json"]).ok().stdout).unwrap();
    assert_eq!(version["clientVersion"], env!("CARGO_PKG_VERSION"));
    assert!(version["serverVersion"].is_string());
    d.run(&["version", "-o", "yaml"]).ok().stdout_has("clientVersion:");

    // What cannot be honoured is refused as a usage error, never ignored.
    d.run(&["describe", "server", "github", "-o", "yaml"]).code(2).stderr_has("not supported");
    d.run(&["get", "servers", "-o", "jsonpath={.items[0"]).code(2).stderr_has("jsonpath");
    d.run(&["get", "servers", "-o", "xml"]).code(2);
    d.run(&["get", "servers", "-p", "demo"]).code(2).stderr_has("global");
    d.run(&["api-resources", "-o", "yaml"]).code(2);
    assert!(d.run(&["api-resources", "-o", "name"]).ok().lines().contains(&"projects"));
}

/// `get all -o yaml --show-values` is a complete backup: taken from PostgreSQL, it restores
/// onto an empty mcpd on SQLite.
#[test]
fn a_backup_of_everything_from_postgresql_restores_onto_sqlite() {
    let source = Daemon::start(Backend::Postgres);
    seed(&source);
    source.run_stdin(&["create", "user", "ro@example.com", "--password-stdin"], "a-long-password\n").ok();
    source.run(&["create", "group", "readers", "--member", "ro@example.com"]).ok();
    source
        .run(&["create", "rbac", "read-only", "--subject", "Group:readers", "--roleBindings", "role:view,resource:*"])
        .ok();
    let backup = source.run(&["get", "all", "-o", "yaml", "--show-values"]).ok().stdout.clone();
    assert!(backup.contains("canary-token-1"), "the backup holds secret values");
    let target = Daemon::start(Backend::Sqlite);
    target.run_stdin(&["apply", "-f", "-"], &backup).ok();
    let everything = |d: &Daemon| {
        let template = r#"jsonpath={range .items[*]}{.kind}/{.metadata.name} {.metadata.labels} {.spec}{"\n"}{end}"#;
        d.run(&["get", "all", "--show-values", "-o", template]).ok().stdout.clone()
    };
    let (before, after) = (everything(&source), everything(&target));
    assert_eq!(before, after);
    for kind in [
        "Secret/gh",
        "Server/github",
        "Project/demo",
        "User/ro@example.com",
        "Group/readers",
        "RbacDefinition/read-only",
    ] {
        assert!(after.contains(kind), "{kind} missing from\n{after}");
    }
    let table = target.run(&["get", "all"]);
    table.ok().stdout_has("github").stdout_has("read-only");
}

fn label_and_annotate_work_as_in_kubectl(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    d.run(&["label", "server", "search", "team=web", "tier=edge"]).ok().stdout_has("server/search labeled");
    // Changing a key needs --overwrite; the object is left as it was.
    d.run(&["label", "server", "github", "team=web"]).code(1).stderr_has("--overwrite");
    assert_eq!(d.run(&["get", "server", "github", "-o", "jsonpath={.metadata.labels.team}"]).ok().stdout, "infra");
    d.run(&["label", "server", "github", "team=web", "--overwrite"]).ok();
    let both = d.run(&["get", "servers", "-l", "team=web", "-o", "name"]);
    assert_eq!(both.ok().lines(), ["server/github", "server/search"]);
    d.run(&["label", "servers", "--all", "tier-"]).ok();
    assert_eq!(d.run(&["get", "servers", "-l", "tier", "-o", "name"]).ok().stdout, "");
    d.run(&["label", "servers", "-l", "team=web", "owner=ops", "--dry-run=server"]).ok().stdout_has("(server dry run)");
    assert_eq!(d.run(&["get", "servers", "-l", "owner", "-o", "name"]).ok().stdout, "");
    d.run(&["annotate", "project", "demo", "note=reviewed"]).ok().stdout_has("project/demo annotated");
    assert_eq!(
        d.run(&["get", "project", "demo", "-o", "jsonpath={.metadata.annotations.note}"]).ok().stdout,
        "reviewed"
    );
    d.run(&["annotate", "project/demo", "note-"]).ok();
    assert_eq!(d.run(&["get", "project", "demo", "-o", "jsonpath={.metadata.annotations}"]).ok().stdout, "");
    d.run(&["label", "server", "github"]).code(2).stderr_has("at least one change");
    d.run(&["label", "servers", "--all", "bad key=x"]).code(1);
}

fn delete_and_create_take_selectors_and_dry_runs(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    // Dry runs change nothing, and say so.
    d.run(&["create", "secret", "tmp", "--from-literal", "k=v", "--dry-run=server"])
        .ok()
        .stdout_has("(server dry run)");
    let manifest = d.run(&["create", "secret", "tmp", "--from-literal", "k=v", "--dry-run=client", "-o", "yaml"]);
    manifest.ok().stdout_has("kind: Secret").stdout_has("name: tmp");
    d.run(&["get", "secret", "tmp"]).code(1);
    d.run_stdin(&["apply", "-f", "-"], &manifest.stdout).ok().stdout_has("secret/tmp created");
    // The server checks a dry-run create like a real one.
    d.run(&["create", "secret", "tmp", "--from-literal", "k=v", "--dry-run=server"])
        .code(1)
        .stderr_has("AlreadyExists");
    d.run(&["delete", "secret", "gh", "--dry-run=server"]).code(1).stderr_has("referenced");
    d.run(&["delete", "secret", "tmp", "--dry-run=server"]).ok().stdout_has("(server dry run)");
    d.run(&["get", "secret", "tmp"]).ok();
    d.run(&["create", "project", "p2", "-o", "name"]).ok().stdout_has("project/p2");
    d.run(&["label", "projects", "--all", "temp=yes"]).ok();
    d.run(&["delete", "projects", "-l", "temp=yes"]).ok().stdout_has("project \"p2\" deleted");
    assert!(d.run(&["get", "projects", "-o", "name"]).ok().stdout.is_empty());
    d.run(&["delete", "secrets", "--all", "--dry-run=client"]).ok().stdout_has("(dry run)");
    assert_eq!(d.run(&["get", "secrets", "-o", "name"]).ok().lines().len(), 2);
    d.run(&["delete", "secrets"]).code(2).stderr_has("--all");
}

/// kubectl's edit loop, with a scripted editor.
fn edit_applies_saves_reopens_on_errors_and_cancels(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    let config = d.admin_config();
    let editor = |name: &str, script: &str| {
        let path = d.file(name, &format!("#!/bin/sh\n{script}\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    };
    let run = |editor: &str, args: &[&str]| {
        d.run_with(args, None, &[("MCPCTL_CONFIG", config.to_str().unwrap()), ("EDITOR", editor)])
    };
    let version =
        || d.run(&["get", "project", "demo", "-o", "jsonpath={.metadata.resourceVersion}"]).ok().stdout.clone();

    let change = editor("change.sh", r#"sed -i 's/Demo project/Edited project/' "$1""#);
    run(&change, &["edit", "project", "demo"]).ok().stdout_has("project/demo edited");
    assert_eq!(d.run(&["get", "project", "demo", "-o", "jsonpath={.spec.description}"]).ok().stdout, "Edited project");

    // Saved without a change: nothing is written.
    let before = version();
    run(&editor("same.sh", "true"), &["edit", "project/demo"]).ok().stderr_has("no changes made");
    assert_eq!(version(), before);
    // An editor that fails cancels.
    run(&editor("fail.sh", "exit 3"), &["edit", "project", "demo"]).code(1).stderr_has("cancelled");
    assert_eq!(version(), before);

    // An invalid edit reopens with the error on top; the second save fixes it.
    let fixing = editor(
        "fixing.sh",
        r#"if grep -q 'had an error' "$1"; then sed -i 's/missing-server/github/' "$1"; else sed -i 's/- github/- missing-server/' "$1"; fi"#,
    );
    run(&fixing, &["edit", "project", "demo"]).ok().stdout_has("project/demo edited");
    assert_eq!(d.run(&["get", "project", "demo", "-o", "jsonpath={.spec.servers[0]}"]).ok().stdout, "github");
    // Left invalid: the error is reported and the user's version kept.
    let stubborn =
        editor("stubborn.sh", r#"grep -q 'had an error' "$1" || sed -i 's/- github/- missing-server/' "$1""#);
    run(&stubborn, &["edit", "project", "demo"]).code(1).stderr_has("not applied").stderr_has("missing-server");
    assert_eq!(d.run(&["get", "project", "demo", "-o", "jsonpath={.spec.servers[0]}"]).ok().stdout, "github");

    // A secret opens with its values, for whoever may edit it.
    let rotate = editor("rotate.sh", r#"sed -i 's/canary-token-1/canary-token-2/' "$1""#);
    run(&rotate, &["edit", "secret", "gh"]).ok();
    d.run(&["get", "secret", "gh", "--show-values", "-o", "jsonpath={.spec.data.token}"])
        .ok()
        .stdout_has("canary-token-2");
}

/// `get -w` prints the list, then a change another client makes, as it happens.
fn get_watch_prints_changes_made_by_another_client(backend: Backend) {
    use std::io::BufRead;
    let d = Daemon::start(backend);
    seed(&d);
    let watch = |args: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mcpctl"))
            .args(args)
            .env_clear()
            .env("MCPCTL_CONFIG", d.admin_config())
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        (child, received)
    };
    let wait_for = |received: &std::sync::mpsc::Receiver<String>, text: &str| -> Vec<String> {
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match received.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("{text:?} never came; saw {seen:?}");
    };
    let (mut listing, lines) = watch(&["get", "servers", "-w"]);
    let first = wait_for(&lines, "search");
    assert!(first[0].starts_with("NAME"), "{first:?}");
    let (mut only, only_lines) = watch(&["get", "servers", "--watch-only", "-o", "name"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    d.run(&["create", "server", "added-later", "--transport", "http", "--url", "https://x.example/mcp"]).ok();
    wait_for(&lines, "added-later");
    let changes = wait_for(&only_lines, "added-later");
    assert_eq!(changes, ["server/added-later"], "--watch-only prints no list");
    // A deletion prints the object as it last was; --output-watch-events says what happened.
    let (mut typed, typed_lines) = watch(&["get", "servers", "--watch-only", "--output-watch-events", "-o", "json"]);
    let (mut table, table_lines) = watch(&["get", "servers", "--watch-only", "--output-watch-events"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    d.run(&["delete", "server", "added-later"]).ok();
    let deleted = wait_for(&typed_lines, "added-later");
    let event: serde_json::Value = serde_json::from_str(deleted.last().unwrap()).unwrap();
    assert_eq!(event["type"], "DELETED");
    assert_eq!(event["object"]["spec"]["url"], "https://x.example/mcp", "{event}");
    let rows = wait_for(&table_lines, "added-later");
    assert!(rows[0].starts_with("EVENT") && rows[1].starts_with("DELETED"), "{rows:?}");
    assert!(rows[1].contains("https://x.example/mcp") && !rows[1].contains("<unknown>"), "{rows:?}");
    let deleted = wait_for(&lines, "added-later");
    assert!(deleted.last().unwrap().contains("https://x.example/mcp"), "{deleted:?}");
    for child in [&mut typed, &mut table] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    // Events too: each new one as it is written.
    let (mut events, event_lines) = watch(&["get", "events", "--watch-only"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    d.run(&["create", "server", "audited-later", "--transport", "http", "--url", "https://x.example/mcp"]).ok();
    let seen = wait_for(&event_lines, "audited-later");
    assert!(seen[0].starts_with("NAME") && seen[0].contains("OUTCOME"), "{seen:?}");
    assert!(seen.last().unwrap().contains("create"), "{seen:?}");
    for child in [&mut listing, &mut only, &mut events] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    d.run(&["get", "events", "-w", "-A"]).code(2);
}

/// `create server`'s sandbox flags, what `describe` shows of the sandbox that applies, what
/// `explain` says of it, and what mcpd refuses.
fn a_servers_sandbox_is_created_described_and_explained(backend: Backend) {
    let d = Daemon::start(backend);
    let create = ["create", "server", "fs", "--transport", "stdio", "--command", "node"];
    fn with<'a>(create: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
        [create, more].concat()
    }
    d.run(&with(
        &create,
        &["--memory", "512Mi", "--processes", "64", "--egress", "api.github.com", "--egress", "*.npmjs.org"],
    ))
    .ok();
    let yaml = d.run(&["get", "server", "fs", "-o", "yaml"]).ok().stdout.clone();
    assert!(
        yaml.contains("sandbox:\n    egress:\n    - api.github.com\n    - '*.npmjs.org'\n    memory: 512Mi"),
        "{yaml}"
    );
    d.run(&["describe", "server", "fs"])
        .ok()
        .stdout_has("Sandbox:\n")
        .stdout_has("Network:    only api.github.com, *.npmjs.org (through the gateway's egress proxy)")
        .stdout_has("Memory:     512Mi")
        .stdout_has("Processes:  64")
        .stdout_has("Mounts:     <none>");
    d.run(&["create", "server", "data", "--transport", "stdio", "--command", "node", "--network", "none"]).ok();
    let mounts = ["--mount", "/srv/data:rw", "--mount", "/opt/tools"];
    d.run(&[&["create", "server", "tools", "--transport", "stdio", "--command", "node"][..], &mounts[..]].concat())
        .ok();
    d.run(&["describe", "server", "tools"])
        .ok()
        .stdout_has("Network:    open")
        .stdout_has("Memory:     1Gi")
        .stdout_has("Mounts:     /srv/data (read-write), /opt/tools (read-only)");
    d.run(&["describe", "server", "data"]).ok().stdout_has("Network:    none (loopback only)");
    // What the sandbox cannot be: each refused with its field, nothing stored.
    d.run(&with(&create, &["--network", "none", "--egress", "x.example"])).code(2).stderr_has("--egress");
    d.run(&["create", "server", "bad", "--transport", "stdio", "--command", "node", "--memory", "8Mi"])
        .code(1)
        .stderr_has("spec.sandbox.memory")
        .stderr_has("at least 16Mi");
    d.run(&["create", "server", "bad", "--transport", "stdio", "--command", "node", "--mount", "/proc/1"])
        .code(1)
        .stderr_has("spec.sandbox.mounts[0].path");
    d.run(&["create", "server", "bad", "--transport", "http", "--url", "https://x.example/mcp", "--network", "none"])
        .code(1)
        .stderr_has("spec.sandbox")
        .stderr_has("stdio");
    d.run(&["get", "server", "bad"]).code(1);
    d.run(&["explain", "server.spec.sandbox"])
        .ok()
        .stdout_has("egress\t<[]string>")
        .stdout_has("memory\t<string>")
        .stdout_has("mounts\t<[]Mount>");
    d.run(&["explain", "server.spec.sandbox.mounts.readOnly"]).ok().stdout_has("may only read it");
}

backend_tests!(
    a_servers_sandbox_is_created_described_and_explained,
    get_watch_prints_changes_made_by_another_client,
    edit_applies_saves_reopens_on_errors_and_cancels,
    label_and_annotate_work_as_in_kubectl,
    delete_and_create_take_selectors_and_dry_runs,
    jsonpath_custom_columns_and_sorting_work_as_in_kubectl,
    tables_and_describe_show_control_characters_escaped,
    create_then_get_in_every_format,
    every_round_trip_is_unchanged,
    secret_values_appear_only_with_show_values,
    describe_shows_spec_and_who_uses_it,
    delete_refuses_referenced_objects_and_honours_ignore_not_found,
    create_from_files_refuses_existing_objects,
);
