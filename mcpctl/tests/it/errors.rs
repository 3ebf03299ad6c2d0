//! Bad input through the CLI: each gets a precise message and exit code, and changes nothing.

use testkit::Backend;

use crate::helpers::{mcpctl, Daemon};
use testkit::backend_tests;

fn assert_nothing_stored(d: &Daemon) {
    for kind in ["secrets", "servers", "projects"] {
        assert!(d.run(&["get", kind, "-o", "name"]).ok().stdout.is_empty(), "{kind} were written");
    }
}

fn invalid_manifests_are_refused_with_field_paths(backend: Backend) {
    let d = Daemon::start(backend);
    let unknown = d.file(
        "u.yaml",
        "apiVersion: mcpctl/v1\nkind: Server\nmetadata: {name: s}\nspec: {transport: stdio, command: x, comand: y}\n",
    );
    d.run(&["apply", "-f", &unknown]).code(1).stderr_has("Error from server (Invalid)").stderr_has("spec.comand");
    let dangling =
        d.file("d.yaml", "apiVersion: mcpctl/v1\nkind: Project\nmetadata: {name: p}\nspec: {servers: [ghost]}\n");
    d.run(&["apply", "-f", &dangling]).code(1).stderr_has("spec.servers[0]").stderr_has("servers \"ghost\" not found");
    let bad_name =
        d.file("n.yaml", "apiVersion: mcpctl/v1\nkind: Secret\nmetadata: {name: Not_Valid}\nspec: {data: {}}\n");
    d.run(&["apply", "-f", &bad_name]).code(1).stderr_has("metadata.name");
    d.run(&["create", "server", "x", "--transport", "http"]).code(1).stderr_has("spec.url");
    assert_nothing_stored(&d);
}

fn malformed_yaml_names_line_and_column_and_applies_nothing(backend: Backend) {
    let d = Daemon::start(backend);
    let text = "apiVersion: mcpctl/v1\nkind: Secret\nmetadata: {name: ok}\nspec: {data: {k: v}}\n---\nkind: Secret\nmetadata:\n  name: [broken\n";
    let file = d.file("m.yaml", text);
    d.run(&["apply", "-f", &file]).code(1).stderr_has("m.yaml").stderr_has("line").stderr_has("column");
    assert_nothing_stored(&d);
}

fn alias_bombs_are_refused(backend: Backend) {
    let d = Daemon::start(backend);
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 1..9u8 {
        let (prev, cur) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        text.push_str(&format!(
            "{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    let file = d.file("bomb.yaml", &text);
    d.run(&["apply", "-f", &file]).code(1).stderr_has("error parsing");
    assert_nothing_stored(&d);
}

fn unknown_kinds_get_a_hint_and_exit_two(backend: Backend) {
    let d = Daemon::start(backend);
    d.run(&["get", "severs"])
        .code(2)
        .stderr_has("doesn't have a resource type \"severs\"")
        .stderr_has("hint:")
        .stderr_has("\"servers\"");
    let file = d.file("k.yaml", "apiVersion: mcpctl/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n");
    d.run(&["apply", "-f", &file]).code(1).stderr_has("unknown kind \"Deployment\"").stderr_has("hint:");
}

fn oversized_files_are_refused_by_the_server(backend: Backend) {
    let d = Daemon::start(backend);
    let big = "v".repeat(1024 * 1024 + 10);
    let file = d.file(
        "big.yaml",
        &format!("apiVersion: mcpctl/v1\nkind: Secret\nmetadata: {{name: big}}\nspec: {{data: {{k: {big}}}}}\n"),
    );
    d.run(&["apply", "-f", &file]).code(1).stderr_has("RequestEntityTooLarge").stderr_has("1 MiB");
    assert_nothing_stored(&d);
}

fn missing_or_wrong_credentials_are_unauthorized(backend: Backend) {
    let d = Daemon::start(backend);
    let home = d.dir.path();
    mcpctl(home, &["get", "servers"], None, &[("MCPCTL_SERVER", &d.url)])
        .code(1)
        .stderr_has("Error from server (Unauthorized)");
    mcpctl(home, &["get", "servers"], None, &[("MCPCTL_SERVER", &d.url), ("MCPCTL_TOKEN", "forged")])
        .code(1)
        .stderr_has("(Unauthorized)");
    mcpctl(home, &["get", "servers"], None, &[]).code(2).stderr_has("no server configured").stderr_has("hint:");
    mcpctl(home, &["get", "servers", "--server", "http://127.0.0.1:9"], None, &[])
        .code(2)
        .stderr_has("cannot reach the server at http://127.0.0.1:9");
    mcpctl(home, &["get", "servers", "--server", "localhost"], None, &[])
        .code(2)
        .stderr_has("--server expects the mcpd URL");
    mcpctl(home, &["get"], None, &[]).code(2);
    // A 401 says what to do about it.
    mcpctl(home, &["get", "servers"], None, &[("MCPCTL_SERVER", &d.url), ("MCPCTL_TOKEN", "forged")])
        .stderr_has("hint:")
        .stderr_has("mcpctl login");
    // A mistyped config path is not an empty config.
    mcpctl(home, &["get", "servers", "--config", "/nonexistent/mcpctl.yaml"], None, &[])
        .code(2)
        .stderr_has("/nonexistent/mcpctl.yaml does not exist");
}

/// A server that accepts and never answers: mcpctl gives up after --request-timeout.
fn a_silent_server_times_out(backend: Backend) {
    let d = Daemon::start(backend);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let started = std::time::Instant::now();
    mcpctl(d.dir.path(), &["get", "servers", "--request-timeout", "1s", "--server", &url], None, &[])
        .code(2)
        .stderr_has(&url);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    mcpctl(d.dir.path(), &["get", "servers", "--request-timeout", "soon"], None, &[]).code(2);
    drop(silent);
}

/// Mistypes and kubectl habits: -v=N, set-based selectors, --for-kind checked, and no typo
/// is ever answered with a suggestion to reveal secrets.
fn kubectl_habits_are_understood_and_typos_caught(backend: Backend) {
    let d = Daemon::start(backend);
    crate::helpers::seed(&d);
    let verbose = d.run(&["get", "servers", "-v=6"]);
    verbose.ok().stderr_has("GET http");
    // A project no project can be named is the command line's mistake, caught before a request.
    d.run(&["get", "mcptokens", "-p", "Not_A_Project"]).code(2).stderr_has("project \"Not_A_Project\"");
    d.run(&["get", "servers", "--v=6", "-o", "name"]).ok();
    let chosen = d.run(&["get", "servers", "-l", "team in (infra,web)", "-o", "name"]);
    assert_eq!(chosen.ok().lines(), ["server/github"]);
    let others = d.run(&["get", "servers", "-l", "team notin (infra)", "-o", "name"]);
    assert_eq!(others.ok().lines(), ["server/search"]);
    d.run(&["get", "events", "--for-kind", "sever"]).code(2).stderr_has("servers");
    d.run(&["get", "events", "--for-kind", "srv"]).ok();
    d.run(&["get", "events", "--for-kind", "passwords"]).ok();
    for typo in ["--show-value", "--show-valus", "--showvalues"] {
        let run = d.run(&["get", "secrets", typo]);
        run.code(2);
        assert!(!run.stderr.contains("show-values"), "{typo}: {}", run.stderr);
    }
    d.run(&["get", "servers", "--show-label"]).code(2).stderr_has("--show-labels");
}

backend_tests!(
    invalid_manifests_are_refused_with_field_paths,
    malformed_yaml_names_line_and_column_and_applies_nothing,
    alias_bombs_are_refused,
    unknown_kinds_get_a_hint_and_exit_two,
    oversized_files_are_refused_by_the_server,
    missing_or_wrong_credentials_are_unauthorized,
    a_silent_server_times_out,
    kubectl_habits_are_understood_and_typos_caught,
);
