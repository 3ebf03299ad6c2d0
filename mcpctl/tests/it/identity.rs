//! Users, groups, RBAC, tokens and the audit trail through the CLI.

use testkit::Backend;

use crate::helpers::{mcpctl, seed, Daemon};
use testkit::backend_tests;

/// Runs mcpctl as someone else: only a server URL and a bearer.
fn as_bearer(d: &Daemon, token: &str, args: &[&str]) -> crate::helpers::Run {
    mcpctl(d.dir.path(), args, None, &[("MCPCTL_SERVER", &d.url), ("MCPCTL_TOKEN", token)])
}

fn login(d: &Daemon, email: &str, password: &str) -> String {
    let config = d.dir.path().join(format!("{email}.yaml"));
    let env = [("MCPCTL_CONFIG", config.to_str().unwrap())];
    d.run_with(&["login", "--server", &d.url, "--email", email, "--password-stdin"], Some(password), &env).ok();
    let out = d.run_with(&["whoami", "--show-token"], None, &env);
    out.ok().stdout.lines().find_map(|l| l.strip_prefix("Token: ")).unwrap().to_owned()
}

fn a_new_user_is_refused_until_granted(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    d.run(&["whoami"]).ok().stdout_has("McpToken: admin-bootstrap");
    d.run_stdin(&["create", "user", "ops@example.com", "--display-name", "Ops"], "").ok();
    d.run_stdin(&["create", "user", "dev@example.com", "--password-stdin"], "dev-password-1\n")
        .ok()
        .stdout_has("user/dev@example.com created");
    let dev = login(&d, "dev@example.com", "dev-password-1");
    as_bearer(&d, &dev, &["get", "servers"]).code(1).stderr_has("Error from server (Forbidden)");
    as_bearer(&d, &dev, &["auth", "can-i", "get", "servers"]).code(1).stdout_has("no");

    d.run(&["create", "group", "devs", "--member", "dev@example.com"]).ok();
    d.run(&[
        "create",
        "rbac",
        "devs-view",
        "--subject",
        "Group:devs",
        "--roleBindings",
        "role:view,resource:servers",
        "--roleBindings",
        "role:edit,resource:servers,name:github",
    ])
    .ok();
    as_bearer(&d, &dev, &["get", "servers", "-o", "name"]).ok().stdout_has("server/github");
    as_bearer(&d, &dev, &["auth", "can-i", "get", "servers"]).ok().stdout_has("yes");
    as_bearer(&d, &dev, &["auth", "can-i", "delete", "servers/github"]).ok();
    as_bearer(&d, &dev, &["auth", "can-i", "delete", "servers/search"]).code(1);
    let quiet = as_bearer(&d, &dev, &["auth", "can-i", "delete", "secrets", "-q"]);
    assert!(quiet.code(1).stdout.is_empty());
    // No grant beyond what dev holds, by any path.
    as_bearer(
        &d,
        &dev,
        &["create", "rbac", "more", "--subject", "User:dev@example.com", "--roleBindings", "role:edit,resource:*"],
    )
    .code(1)
    .stderr_has("Forbidden");
    d.run(&["get", "users"]).ok().stdout_has("dev@example.com").stdout_has("Ops");
    d.run(&["get", "rbac", "-o", "wide"]).ok().stdout_has("devs-view").stdout_has("admin");
    for kind in ["users", "groups", "rbacdefinitions", "mcptokens"] {
        let yaml = d.run(&["get", kind, "-o", "yaml"]).ok().stdout.clone();
        let applied = d.run_stdin(&["apply", "-f", "-"], &yaml);
        assert!(applied.ok().lines().iter().all(|l| l.ends_with(" unchanged")), "{kind}: {}", applied.stdout);
    }
}

fn tokens_are_printed_once_and_listed_by_project(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    let created =
        d.run(&["create", "mcptoken", "gateway", "-p", "demo", "--bind", "role:view,resource:servers", "--ttl", "30d"]);
    created.ok().stderr_has("only time");
    let token = created.stdout.trim().to_owned();
    assert!(shared::token::is_well_formed(&token), "stdout is the token alone: {:?}", created.stdout);
    as_bearer(&d, &token, &["get", "servers", "-o", "name"]).ok().stdout_has("server/github");
    as_bearer(&d, &token, &["get", "secrets"]).code(1).stderr_has("Forbidden");
    as_bearer(&d, &token, &["whoami"]).ok().stdout_has("McpToken: gateway").stdout_has("Project: demo");

    let listed = d.run(&["get", "mcptokens", "-p", "demo"]);
    let header: Vec<&str> = listed.ok().lines()[0].split("   ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(header, ["NAME", "PROJECT", "PREFIX", "LAST USED", "EXPIRES", "STATUS", "CREATED"]);
    listed.stdout_has("gateway").stdout_has(&token[..15]).stdout_has("active");
    assert!(!listed.stdout.contains(&token));
    let all = d.run(&["get", "tokens", "-A", "-o", "name"]);
    // The global tokens mcpd made on first start (admin.yaml's and the gateway's), then the
    // project's.
    assert_eq!(all.ok().lines(), ["mcptoken/admin-bootstrap", "mcptoken/gateway", "mcptoken/gateway"]);
    d.run(&["describe", "mcptoken", "gateway", "-p", "demo"])
        .ok()
        .stdout_has("Effective Bindings")
        .stdout_has("view servers")
        .stdout_has("McpToken:");

    let manifest = "apiVersion: mcpctl/v1\nkind: McpToken\nmetadata: {name: ci, project: demo}\nspec:\n  bindings:\n  - {role: view, resource: projects}\n";
    let file = d.file("token.yaml", manifest);
    let applied = d.run(&["apply", "-f", &file]);
    let lines = applied.ok().lines();
    assert_eq!(lines[0], "mcptoken/ci created");
    assert!(shared::token::is_well_formed(lines[1]), "the value follows its line: {lines:?}");
    assert_eq!(d.run(&["apply", "-f", &file]).ok().lines(), ["mcptoken/ci unchanged"]);
    let changed = d.file("token.yaml", &manifest.replace("projects", "servers"));
    d.run(&["apply", "-f", &changed]).code(1).stderr_has("delete it and create it again");

    d.run(&["delete", "mcptoken", "gateway", "-p", "demo"]).ok();
    as_bearer(&d, &token, &["get", "servers"]).code(1).stderr_has("Unauthorized");
}

fn events_record_changes_and_denials(backend: Backend) {
    let d = Daemon::start(backend);
    seed(&d);
    d.run_stdin(&["create", "user", "eve@example.com", "--password-stdin"], "eve-password-1").ok();
    let eve = login(&d, "eve@example.com", "eve-password-1");
    as_bearer(&d, &eve, &["delete", "secret", "gh"]).code(1);
    let events = d.run(&["get", "events", "--principal", "eve@example.com"]);
    events.ok().stdout_has("delete").stdout_has("secret/gh").stdout_has("403");
    d.run(&["get", "events", "--for-kind", "secrets", "--for-name", "gh", "-o", "name"]).ok().stdout_has("event/");
    d.run(&["get", "events", "--since", "1h", "-o", "json"]).ok().stdout_has("\"verb\": \"create\"");
    d.run(&["describe", "secret", "gh"]).ok().stdout_has("Events:").stdout_has("eve@example.com");
    d.run(&["get", "servers", "--principal", "x"]).code(2);
    let all = d.run(&["get", "events", "-o", "json"]).ok().stdout.clone();
    assert!(!all.contains("canary-token-1") && !all.contains("eve-password-1"));
}

fn users_change_their_password(backend: Backend) {
    let d = Daemon::start(backend);
    d.run_stdin(&["create", "user", "u@example.com", "--password-stdin"], "first-password").ok();
    let bearer = login(&d, "u@example.com", "first-password");
    mcpctl(
        d.dir.path(),
        &["auth", "password", "--password-stdin"],
        Some("first-password\nsecond-password\n"),
        &[("MCPCTL_SERVER", &d.url), ("MCPCTL_TOKEN", &bearer)],
    )
    .ok()
    .stdout_has("password changed");
    login(&d, "u@example.com", "second-password");
}

backend_tests!(
    a_new_user_is_refused_until_granted,
    tokens_are_printed_once_and_listed_by_project,
    events_record_changes_and_denials,
    users_change_their_password,
);
