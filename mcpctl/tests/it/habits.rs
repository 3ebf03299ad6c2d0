//! kubectl habits, round two: what someone fluent in kubectl reaches for in the first hour,
//! through the real binary.

use testkit::Backend;

use crate::helpers::{mcpctl, seed, Daemon};
use testkit::backend_tests;

/// A context for a user who may only view, in a config file of its own.
fn viewer(d: &Daemon) -> Vec<(String, String)> {
    d.run_stdin(&["create", "user", "ro@example.com", "--password-stdin"], "a-long-password-1")
        .ok()
        .stdout_has("user/ro@example.com created");
    d.run(&["create", "rbac", "ro", "--subject", "User:ro@example.com", "--roleBindings", "role:view,resource:*"]).ok();
    let config = d.dir.path().join("ro.yaml").display().to_string();
    let env = [("MCPCTL_CONFIG", config.as_str())];
    let login = ["login", "--server", d.url.as_str(), "--email", "ro@example.com", "--password-stdin"];
    d.run_with(&login, Some("a-long-password-1"), &env).ok();
    vec![("MCPCTL_CONFIG".to_owned(), config)]
}

fn as_viewer(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn auth_can_i_answers_lists_and_asks_for_others(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    let ro = viewer(&d);
    // A question the server cannot answer is a usage error, never a "no".
    d.run(&["auth", "can-i", "connect", "projects/demo"])
        .code(2)
        .stderr_has("unknown verb \"connect\"")
        .stderr_has("mcpctl auth can-i run connect/demo");
    d.run(&["auth", "can-i", "run", "connect/demo"]).ok().stdout_has("yes");
    d.run(&["auth", "can-i", "run", "bogus"]).code(2).stderr_has("unknown action \"bogus\"");
    // --list: each kind with its verbs, then the actions.
    let all = d.run(&["auth", "can-i", "--list"]);
    all.ok().stdout_has("RESOURCE").stdout_has("action:connect");
    assert!(all
        .lines()
        .iter()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["servers", "get", "list", "create", "update", "delete"]));
    let theirs = d.run(&["auth", "can-i", "--list", "--as", "ro@example.com"]);
    assert!(theirs.ok().lines().iter().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["servers", "get", "list"]));
    assert!(!theirs.stdout.contains("action:"), "{}", theirs.stdout);
    // --as: the question for another user, for whoever may edit users.
    d.run(&["auth", "can-i", "get", "servers", "--as", "ro@example.com"]).ok().stdout_has("yes");
    d.run(&["auth", "can-i", "delete", "servers", "--as", "ro@example.com"]).code(1).stdout_has("no");
    d.run_with(&["auth", "can-i", "get", "servers", "--as", "admin@localhost"], None, &as_viewer(&ro))
        .code(1)
        .stderr_has("Forbidden");
    // Who may edit users but not hold another user's rights learns nothing of them.
    d.run_stdin(&["create", "user", "ua@example.com", "--password-stdin"], "a-long-password-3").ok();
    d.run(&["create", "rbac", "ua", "--subject", "User:ua@example.com", "--roleBindings", "role:edit,resource:users"])
        .ok();
    let ua = d.dir.path().join("ua.yaml").display().to_string();
    let login = ["login", "--server", d.url.as_str(), "--email", "ua@example.com", "--password-stdin"];
    d.run_with(&login, Some("a-long-password-3"), &[("MCPCTL_CONFIG", &ua)]).ok();
    d.run_with(&["auth", "can-i", "get", "servers", "--as", "ro@example.com"], None, &[("MCPCTL_CONFIG", &ua)])
        .code(1)
        .stderr_has("cannot grant permissions it does not hold");
}

fn refusals_and_dry_runs_speak_as_kubectl_does(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    let ro = viewer(&d);
    // Applying an object that exists needs update: the refusal names it.
    let exported = d.run(&["get", "project", "demo", "-o", "yaml"]).ok().stdout.clone();
    let file = d.file("demo.yaml", &exported.replace("Demo project", "Changed"));
    d.run_with(&["apply", "-f", &file], None, &as_viewer(&ro))
        .code(1)
        .stderr_has("cannot update resource \"projects\"");
    // Someone who may not even see it learns nothing of whether it exists.
    d.run_stdin(&["create", "user", "none@example.com", "--password-stdin"], "a-long-password-2").ok();
    let blind = d.dir.path().join("none.yaml").display().to_string();
    let login = ["login", "--server", d.url.as_str(), "--email", "none@example.com", "--password-stdin"];
    d.run_with(&login, Some("a-long-password-2"), &[("MCPCTL_CONFIG", &blind)]).ok();
    d.run_with(&["apply", "-f", &file], None, &[("MCPCTL_CONFIG", &blind)])
        .code(1)
        .stderr_has("cannot create resource \"projects\"");
    let new = d.file("new.yaml", "apiVersion: mcpctl/v1\nkind: Project\nmetadata: {name: fresh}\nspec: {}\n");
    d.run_with(&["apply", "-f", &new], None, &as_viewer(&ro)).code(1).stderr_has("cannot create resource \"projects\"");
    // One --dry-run grammar: bare means server; =client sends nothing.
    d.run(&["apply", "-f", &file, "--dry-run"]).ok().stdout_has("project/demo configured (server dry run)");
    d.run(&["apply", "-f", &new, "--dry-run=client"]).ok().stdout_has("project/fresh created (dry run)");
    d.run(&["apply", "-f", &file, "--dry-run=client"]).ok().stdout_has("project/demo configured (dry run)");
    // With -o, the objects that would be sent.
    d.run(&["apply", "-f", &new, "--dry-run=client", "-o", "yaml"])
        .ok()
        .stdout_has("kind: Project")
        .stdout_has("name: fresh");
    d.run(&["create", "project", "other", "--dry-run"]).ok().stdout_has("project/other created (server dry run)");
    d.run(&["delete", "project", "demo", "--dry-run"]).ok().stdout_has("(server dry run)");
    d.run(&["label", "project", "demo", "a=b", "--dry-run"]).ok().stdout_has("(server dry run)");
    d.run(&["get", "projects", "-o", "name"]).ok().stdout_has("project/demo");
    assert!(!d.run(&["get", "projects", "-o", "name"]).stdout.contains("fresh"));
    assert!(!d.run(&["get", "project", "demo", "-o", "yaml"]).stdout.contains("Changed"));
    // Manifest errors name their field, and an unknown value what was given and what is allowed.
    let unversioned = d.file("u.yaml", "kind: Server\nmetadata: {name: x}\nspec: {transport: stdio, command: x}\n");
    d.run(&["apply", "-f", &unversioned]).code(1).stderr_has("apiVersion: missing field `apiVersion`");
    let typo = d.file(
        "t.yaml",
        "apiVersion: mcpctl/v1\nkind: Server\nmetadata: {name: x}\nspec: {transport: stdoi, command: x}\n",
    );
    d.run(&["apply", "-f", &typo])
        .code(1)
        .stderr_has("spec.transport: unknown variant \"stdoi\", expected one of `stdio`, `http`, `sse`");
}

fn get_takes_several_kinds_and_names_of_any_kind(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    d.run(&["create", "mcptoken", "ci", "-p", "demo", "--bind", "action:connect"]).ok();
    // Bare get: which kinds there are.
    d.run(&["get"]).code(2).stderr_has("say which kind to get").stderr_has("servers, projects");
    let several = d.run(&["get", "servers,projects", "-o", "name"]);
    assert_eq!(several.ok().lines(), ["server/github", "server/search", "project/demo"]);
    let table = d.run(&["get", "servers,projects"]);
    table.ok().stdout_has("TRANSPORT").stdout_has("SERVERS");
    // In YAML or JSON, several kinds are one List; -p applies to the kinds in projects.
    let yaml = d.run(&["get", "servers,projects", "-o", "yaml"]);
    assert_eq!(yaml.ok().stdout.matches("kind: List").count(), 1, "{}", yaml.stdout);
    let mixed = d.run(&["get", "servers,mcptokens", "-p", "demo", "-o", "name"]);
    assert_eq!(mixed.ok().lines(), ["server/github", "server/search", "mcptoken/ci"]);
    d.run(&["get", ","]).code(2);
    let named = d.run(&["get", "server/search", "project/demo", "server/github", "-o", "name"]);
    assert_eq!(named.ok().lines(), ["server/search", "server/github", "project/demo"]);
    d.run(&["get", "server/search", "project/nope"])
        .code(1)
        .stdout_has("search")
        .stderr_has("projects \"nope\" not found");
    // -A reaches project tokens in get all, as in get mcptokens.
    d.run(&["get", "all", "-A", "-o", "name"]).ok().stdout_has("mcptoken/ci");
    d.run(&["get", "mcptokens", "-A"]).ok().stdout_has("ci");
    // -v: each request with its status and time.
    d.run(&["get", "servers", "-v"]).ok().stderr_has("/api/v1/servers?limit=500 200 OK in ");
}

/// What needs no objects: a mistyped verb, contexts, and an empty MCPCTL_* variable.
#[test]
fn typos_contexts_and_empty_variables() {
    let home = tempfile::tempdir().unwrap();
    mcpctl(home.path(), &["gte", "servers"], None, &[]).code(2).stderr_has("a similar subcommand exists: 'get'");
    mcpctl(home.path(), &["aplly", "-f", "x"], None, &[]).code(2).stderr_has("'apply'");
    // A mistyped word after the verb is clap's to place.
    mcpctl(home.path(), &["config", "vew"], None, &[]).code(2).stderr_has("'view'");
    let config = home.path().join("config.yaml").display().to_string();
    let env = [("MCPCTL_CONFIG", config.as_str())];
    for name in ["prod", "staging"] {
        let set = ["config", "set-context", name, "--server", "http://127.0.0.1:9"];
        mcpctl(home.path(), &set, None, &env).ok();
    }
    mcpctl(home.path(), &["config", "use-context", "staging"], None, &env).ok();
    mcpctl(home.path(), &["config", "delete-context", "staging"], None, &env)
        .ok()
        .stdout_has("deleted context \"staging\"")
        .stderr_has("that was the current context");
    let left = mcpctl(home.path(), &["config", "get-contexts", "-o", "name"], None, &env);
    assert_eq!(left.ok().lines(), ["prod"]);
    mcpctl(home.path(), &["config", "delete-context", "staging"], None, &env).code(2).stderr_has("no context named");
    // An exported but empty variable is no value at all, not a flag missing its value.
    let empty = mcpctl(home.path(), &["get", "servers"], None, &[("MCPCTL_CONFIG", ""), ("MCPCTL_PROJECT", "")]);
    empty.code(2).stderr_has("no server configured");
    assert!(!empty.stderr.contains("a value is required"), "{}", empty.stderr);
}

backend_tests!(
    auth_can_i_answers_lists_and_asks_for_others,
    refusals_and_dry_runs_speak_as_kubectl_does,
    get_takes_several_kinds_and_names_of_any_kind,
);
