//! login, logout, whoami, config and the other verbs that need no objects.

use testkit::Backend;

use crate::helpers::{mcpctl, Daemon};
use testkit::backend_tests;

fn login_saves_a_private_context_and_logout_revokes_it(backend: Backend) {
    let d = Daemon::start(backend);
    let config = d.dir.path().join("cfg").join("config.yaml");
    let env = [("MCPCTL_CONFIG", config.to_str().unwrap())];
    let run = d.run_with(
        &["login", "--server", &d.url, "--email", testkit::ADMIN_EMAIL, "--password-stdin"],
        Some(testkit::ADMIN_PASSWORD),
        &env,
    );
    run.ok().stdout_has("logged in as admin@localhost");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&config).unwrap().permissions().mode() & 0o777, 0o600);
    }
    d.run_with(&["whoami"], None, &env).ok().stdout_has("User: admin@localhost");
    let token_line = d.run_with(&["whoami", "--show-token"], None, &env).ok().stdout.clone();
    let token = token_line.lines().find_map(|l| l.strip_prefix("Token: ")).unwrap().to_owned();
    d.run_with(&["config", "view"], None, &env).ok().stdout_has("REDACTED");
    assert!(!d.run_with(&["config", "view"], None, &env).stdout.contains(&token));
    d.run_with(&["logout"], None, &env).ok();
    // The session is revoked on the server, not just forgotten locally.
    mcpctl(d.dir.path(), &["whoami"], None, &[("MCPCTL_SERVER", &d.url), ("MCPCTL_TOKEN", &token)])
        .code(1)
        .stderr_has("Unauthorized");

    let wrong = d.run_with(
        &["login", "--server", &d.url, "--email", testkit::ADMIN_EMAIL, "--password-stdin"],
        Some("wrong"),
        &env,
    );
    wrong.code(1).stderr_has("invalid email or password");
}

fn contexts_are_listed_switched_and_set(backend: Backend) {
    let d = Daemon::start(backend);
    d.run(&["config", "current-context"]).ok().stdout_has("admin");
    d.run(&["config", "set-context", "other", "--server", "http://127.0.0.1:9"]).ok().stdout_has("created");
    let contexts = d.run(&["config", "get-contexts"]);
    contexts.ok().stdout_has("CURRENT").stdout_has("other");
    d.run(&["config", "use-context", "other"]).ok();
    d.run(&["get", "servers"]).code(2).stderr_has("http://127.0.0.1:9");
    d.run(&["get", "servers", "--context", "admin"]).ok();
    d.run(&["config", "use-context", "missing"]).code(2);

    // Only flags given to set-context are saved: a token exported for one run stays off disk.
    let config = d.admin_config();
    let env = [
        ("MCPCTL_CONFIG", config.to_str().unwrap()),
        ("MCPCTL_TOKEN", "mcpctl_pat_exportedForOneRunOnly000000000000"),
        ("MCPCTL_SERVER", "http://exported.example:1"),
        ("MCPCTL_PROJECT", "exported"),
    ];
    d.run_with(&["config", "set-context", "ci", "-p", "demo"], None, &env).ok().stdout_has("created");
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(!saved.contains("exportedForOneRunOnly") && !saved.contains("exported.example"), "{saved}");
    assert!(saved.contains("project: demo"), "{saved}");
    d.run_with(&["config", "set-context", "ci", "--server", "http://given.example:2", "--token", "t"], None, &env).ok();
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(saved.contains("http://given.example:2") && !saved.contains("exported"), "{saved}");
}

fn api_resources_and_version_describe_the_server(backend: Backend) {
    let d = Daemon::start(backend);
    let run = d.run(&["api-resources"]);
    run.ok().stdout_has("servers").stdout_has("srv").stdout_has("Secret").stdout_has("global");
    d.run(&["version"])
        .ok()
        .stdout_has(&format!("Client Version: v{}", env!("CARGO_PKG_VERSION")))
        .stdout_has("Server Version:");
    mcpctl(d.dir.path(), &["--version"], None, &[]).ok().stdout_has(env!("CARGO_PKG_VERSION"));
}

/// Logging in with admin.yaml as the config adds a context of the user's own, named
/// `email@host:port`, and leaves the admin's context as it was.
fn login_adds_a_context_per_user_and_never_replaces_another(backend: Backend) {
    let d = Daemon::start(backend);
    d.run_stdin(&["create", "user", "dev@example.com", "--password-stdin"], "a-long-password\n").ok();
    let config = d.admin_config();
    let env = [("MCPCTL_CONFIG", config.to_str().unwrap())];
    let before = std::fs::read_to_string(&config).unwrap();
    let admin_token =
        before.lines().find_map(|l| l.trim().strip_prefix("token: ")).unwrap().trim_matches('"').to_owned();
    let host = d.url.trim_start_matches("http://").to_owned();
    for email in ["dev@example.com", testkit::ADMIN_EMAIL] {
        let password = if email == "dev@example.com" { "a-long-password" } else { testkit::ADMIN_PASSWORD };
        let run = d.run_with(&["login", "--email", email, "--password-stdin"], Some(password), &env);
        run.ok().stdout_has(&format!("\"{email}@{host}\"")).stdout_has(config.to_str().unwrap());
    }
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(after.contains(&admin_token), "the admin context keeps its token:\n{after}");
    let contexts = d.run_with(&["config", "get-contexts", "-o", "name"], None, &env);
    assert_eq!(
        contexts.ok().lines(),
        ["admin", &format!("dev@example.com@{host}"), &format!("admin@localhost@{host}")]
    );
    d.run_with(&["whoami", "--context", "admin"], None, &env).ok().stdout_has("McpToken");
    // Without a terminal, login says how to give the password.
    d.run_with(&["login", "--email", "dev@example.com"], None, &env).code(2).stderr_has("--password-stdin");
    // describe user shows how the user gets rights.
    d.run(&["create", "group", "devs", "--member", "dev@example.com"]).ok();
    d.run(&["create", "rbac", "dev-view", "--subject", "Group:devs", "--roleBindings", "role:view,resource:servers"])
        .ok();
    d.run(&["describe", "user", "dev@example.com"]).ok().stdout_has("group/devs").stdout_has("rbacdefinition/dev-view");
}

fn explain_reads_the_schemas_mcpd_publishes(backend: Backend) {
    let d = Daemon::start(backend);
    let server = d.run(&["explain", "server"]);
    server
        .ok()
        .stdout_has("KIND:     Server")
        .stdout_has("spec\t<ServerSpec>")
        .stdout_has("metadata\t<ObjectMeta> -required-");
    let env = d.run(&["explain", "srv.spec.env"]);
    env.ok().stdout_has("FIELD:    env <[]EnvVar>").stdout_has("valueFrom\t<EnvSource>").stdout_has("secret keys");
    let secret_ref = d.run(&["explain", "server.spec.env.valueFrom.secretKeyRef.key"]);
    secret_ref.ok().stdout_has("The key within the secret");
    let all = d.run(&["explain", "rbacdefinitions", "--recursive"]);
    all.ok().stdout_has("      roleBindings\t<[]Binding>").stdout_has("         action\t<string>");
    d.run(&["explain", "server.spec.nope"]).code(2).stderr_has("its fields are").stderr_has("transport");
    d.run(&["explain", "sever"]).code(2).stderr_has("servers");
    d.run(&["explain", "server", "-o", "yaml"]).code(2);
}

backend_tests!(
    explain_reads_the_schemas_mcpd_publishes,
    login_adds_a_context_per_user_and_never_replaces_another,
    login_saves_a_private_context_and_logout_revokes_it,
    contexts_are_listed_switched_and_set,
    api_resources_and_version_describe_the_server,
);
