//! apply and diff through the CLI: operator-written files, re-apply, diff exit codes, dry run,
//! atomic, directories and large files.

use testkit::Backend;

use crate::helpers::Daemon;
use testkit::backend_tests;

/// Written as an operator would: comments, anchors, flow and block styles, referrers first.
const OPERATOR_FILE: &str = r#"# Platform MCP servers.
apiVersion: mcpctl/v1
kind: Project
metadata:
  name: platform          # what the gateway exposes
  labels: &labels {team: platform, tier: core}
spec:
  description: Platform tools
  servers: [github, search]
---
apiVersion: mcpctl/v1
kind: Server
metadata:
  name: github
  labels: &server-labels
    team: platform
spec:
  transport: stdio
  command: npx
  args: &args ["-y", "@modelcontextprotocol/server-github"]
  env:
    - name: GITHUB_TOKEN
      valueFrom: {secretKeyRef: {name: github-creds, key: token}}
---
apiVersion: mcpctl/v1
kind: Server
metadata: {name: search, labels: {team: platform}}
spec:
  transport: http
  url: https://search.example.com/mcp
  headers: {X-Tenant: platform}
---
# Credentials last, although servers need them.
apiVersion: mcpctl/v1
kind: Secret
metadata: {name: github-creds}
spec:
  data:
    token: canary-operator-token
"#;

fn operator_file_applies_reapplies_and_diffs(backend: Backend) {
    let d = Daemon::start(backend);
    let file = d.file("platform.yaml", OPERATOR_FILE);
    let first = d.run(&["apply", "-f", &file]);
    assert_eq!(
        first.ok().lines(),
        ["secret/github-creds created", "server/github created", "server/search created", "project/platform created"]
    );
    let again = d.run(&["apply", "-f", &file]);
    assert!(again.ok().lines().iter().all(|l| l.ends_with(" unchanged")), "{}", again.stdout);
    assert_eq!(again.lines().len(), 4);
    d.run(&["diff", "-f", &file]).code(0);

    let changed = d.file(
        "platform.yaml",
        &OPERATOR_FILE.replace("https://search.example.com/mcp", "https://search2.example.com/mcp"),
    );
    let diff = d.run(&["diff", "-f", &changed]);
    diff.code(1)
        .stdout_has("-  url: https://search.example.com/mcp")
        .stdout_has("+  url: https://search2.example.com/mcp");
    assert!(!diff.stdout.contains("canary-operator-token"), "diff must mask secret values");
    let applied = d.run(&["apply", "-f", &changed]);
    applied.ok().stdout_has("server/search configured").stdout_has("server/github unchanged");
    d.run(&["diff", "-f", &changed]).code(0);

    // A changed secret value shows as masked, and counts as a difference.
    let rotated = d.file("platform.yaml", &OPERATOR_FILE.replace("canary-operator-token", "canary-rotated"));
    let diff = d.run(&["diff", "-f", &rotated]);
    diff.code(1).stdout_has("*** (before)").stdout_has("*** (after)");
    assert!(!diff.stdout.contains("canary"));
}

fn diff_reports_errors_with_exit_two(backend: Backend) {
    let d = Daemon::start(backend);
    let bad = d.file(
        "bad.yaml",
        "apiVersion: mcpctl/v1\nkind: Server\nmetadata: {name: s}\nspec: {transport: stdio, command: x, nope: 1}\n",
    );
    d.run(&["diff", "-f", &bad]).code(2).stderr_has("spec.nope");
    let new = d.file("new.yaml", "apiVersion: mcpctl/v1\nkind: Secret\nmetadata: {name: s}\nspec: {data: {k: v}}\n");
    d.run(&["diff", "-f", &new]).code(1).stdout_has("+kind: Secret");
    d.run_with(&["diff", "-f", &new], None, &[("MCPCTL_SERVER", "http://127.0.0.1:9"), ("MCPCTL_TOKEN", "x")]).code(2);
}

fn dry_run_and_atomic_leave_nothing_behind(backend: Backend) {
    let d = Daemon::start(backend);
    let file = d.file("platform.yaml", OPERATOR_FILE);
    d.run(&["apply", "-f", &file, "--dry-run"]).ok().stdout_has("server/github created (server dry run)");
    assert!(d.run(&["get", "secrets", "-o", "name"]).ok().stdout.is_empty());

    let broken = d.file("broken.yaml", &format!("{OPERATOR_FILE}---\napiVersion: mcpctl/v1\nkind: Project\nmetadata: {{name: extra}}\nspec: {{servers: [missing]}}\n"));
    let run = d.run(&["apply", "-f", &broken, "--atomic"]);
    run.code(1).stderr_has("project/extra").stderr_has("(Invalid)");
    for kind in ["secrets", "servers", "projects"] {
        assert!(d.run(&["get", kind, "-o", "name"]).ok().stdout.is_empty(), "{kind} written by a failed atomic apply");
    }
    // Without --atomic the valid objects land and the command still fails.
    let run = d.run(&["apply", "-f", &broken]);
    run.code(1).stdout_has("project/platform created");
    assert_eq!(d.run(&["get", "projects", "-o", "name"]).ok().lines(), ["project/platform"]);
}

fn directories_and_large_files_apply_in_batches(backend: Backend) {
    let d = Daemon::start(backend);
    let dir = d.dir.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    let mut big = String::new();
    for i in 0..1200 {
        big.push_str(&format!("---\napiVersion: mcpctl/v1\nkind: Server\nmetadata: {{name: s{i:04}}}\nspec: {{transport: http, url: 'https://x/{i}'}}\n"));
    }
    std::fs::write(dir.join("servers.yaml"), big).unwrap();
    std::fs::write(dir.join("project.json"), r#"{"apiVersion": "mcpctl/v1", "kind": "Project", "metadata": {"name": "p"}, "spec": {"servers": ["s0000", "s1199"]}}"#).unwrap();
    std::fs::write(dir.join("README.md"), "not a manifest").unwrap();
    let dir = dir.to_str().unwrap();
    let run = d.run(&["apply", "-f", dir]);
    assert_eq!(run.ok().lines().len(), 1201);
    assert!(run.lines().iter().all(|l| l.ends_with(" created")));
    assert_eq!(d.run(&["get", "servers", "-o", "name"]).ok().lines().len(), 1200);
    let again = d.run(&["apply", "-f", dir]);
    assert!(again.ok().lines().iter().all(|l| l.ends_with(" unchanged")));
}

/// The trap of exported manifests: once the object changed, the file's resourceVersion is
/// stale and apply answers Conflict; diff must say so rather than report no difference.
fn diff_reports_a_stale_resource_version(backend: Backend) {
    let d = Daemon::start(backend);
    d.run(&["create", "project", "demo", "--description", "Demo tools"]).ok();
    let exported = d.run(&["get", "project", "demo", "-o", "yaml"]).ok().stdout.clone();
    let file = d.file("demo.yaml", &exported);
    d.run(&["diff", "-f", &file]).code(0);
    // Someone else changes the project; the file still says what the project should be.
    let other = exported.replace("Demo tools", "Changed elsewhere");
    d.run_stdin(&["apply", "-f", "-"], &other).ok().stdout_has("configured");
    d.run_stdin(&["apply", "-f", "-"], &exported.replace("Demo tools", "Changed elsewhere")).code(1);
    let back = exported.clone();
    std::fs::write(&file, &back).unwrap();
    let diff = d.run(&["diff", "-f", &file]);
    diff.code(1).stdout_has("resourceVersion").stderr_has("stale");
    // Without the resourceVersion, the file applies over the live object.
    let plain: String = back.lines().filter(|l| !l.contains("resourceVersion")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, &plain).unwrap();
    d.run(&["apply", "-f", &file]).ok().stdout_has("project/demo configured");
    d.run(&["apply", "-f", &file]).ok().stdout_has("project/demo unchanged");
    d.run(&["diff", "-f", &file]).code(0);
}

backend_tests!(
    diff_reports_a_stale_resource_version,
    operator_file_applies_reapplies_and_diffs,
    diff_reports_errors_with_exit_two,
    dry_run_and_atomic_leave_nothing_behind,
    directories_and_large_files_apply_in_batches,
);
