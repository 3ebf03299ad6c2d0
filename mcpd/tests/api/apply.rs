//! `POST /api/v1/apply`: dependency order, unchanged costs no write, dry run, atomic.

use serde_json::{json, Value};
use testkit::Backend;

use crate::helpers::{project, secret, secret_env, spawn_app, stdio_server, TestApp};
use testkit::backend_tests;

fn actions(reply: &Value) -> Vec<String> {
    reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| match i["action"].as_str() {
            Some(a) => a.to_owned(),
            None => format!("error:{}", i["error"]["reason"].as_str().unwrap_or("?")),
        })
        .collect()
}

fn manifests() -> Vec<Value> {
    // Referrers first: mcpd must sort them after what they refer to.
    vec![
        project("demo", &["github"]),
        stdio_server("github", secret_env("T", "gh", "token")),
        secret("gh", json!({"token": "x"})),
    ]
}

async fn resource_version(app: &TestApp, path: &str) -> String {
    app.get(path).await.body["metadata"]["resourceVersion"].as_str().unwrap().to_owned()
}

async fn apply_orders_by_dependency_and_reports_in_request_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.apply("", manifests()).await;
    assert_eq!(actions(&reply.body), ["created", "created", "created"], "{}", reply.text);
    assert_eq!(reply.body["items"][0]["kind"], "Project");

    let created = resource_version(&app, "/api/v1/servers/github").await;
    let reply = app.apply("", manifests()).await;
    assert_eq!(actions(&reply.body), ["unchanged", "unchanged", "unchanged"]);
    assert_eq!(resource_version(&app, "/api/v1/servers/github").await, created);

    let mut changed = manifests();
    changed[1]["spec"]["args"] = json!(["--verbose"]);
    let reply = app.apply("", changed).await;
    assert_eq!(actions(&reply.body), ["unchanged", "configured", "unchanged"]);
    let configured = resource_version(&app, "/api/v1/servers/github").await;
    assert!(configured.parse::<i64>().unwrap() > created.parse::<i64>().unwrap());
}

async fn apply_goes_on_past_a_failing_object(backend: Backend) {
    let app = spawn_app(backend).await;
    let items = vec![
        secret("ok-one", json!({"k": "v"})),
        stdio_server("broken", secret_env("T", "missing", "k")),
        json!({"apiVersion": "mcpctl/v1", "kind": "Pod", "metadata": {"name": "p"}}),
        json!("not an object"),
        secret("ok-two", json!({"k": "v"})),
    ];
    let reply = app.apply("", items).await;
    assert_eq!(reply.status, 200);
    assert_eq!(actions(&reply.body), ["created", "error:Invalid", "error:Invalid", "error:Invalid", "created"]);
    assert_eq!(app.names("secrets").await, ["ok-one", "ok-two"]);
    assert!(app.names("servers").await.is_empty());
}

async fn dry_run_validates_everything_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.apply("?dryRun=true", manifests()).await;
    assert_eq!(reply.body["dryRun"], true);
    assert_eq!(actions(&reply.body), ["created", "created", "created"], "{}", reply.text);
    for plural in ["secrets", "servers", "projects"] {
        assert!(app.names(plural).await.is_empty(), "{plural}");
    }
    let reply = app.apply("?dryRun=true", vec![stdio_server("s", secret_env("T", "nope", "k"))]).await;
    assert_eq!(actions(&reply.body), ["error:Invalid"]);
}

async fn atomic_apply_rolls_back_everything_on_one_failure(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut items = manifests();
    items.push(stdio_server("broken", secret_env("T", "gh", "no-such-key")));
    let reply = app.apply("?atomic=true", items).await;
    let got = actions(&reply.body);
    assert_eq!(got, ["error:Conflict", "error:Conflict", "error:Conflict", "error:Invalid"], "{}", reply.text);
    for plural in ["secrets", "servers", "projects"] {
        assert!(app.names(plural).await.is_empty(), "{plural}");
    }
    let reply = app.apply("?atomic=true", manifests()).await;
    assert_eq!(actions(&reply.body), ["created", "created", "created"]);
}

async fn apply_with_a_stale_resource_version_conflicts(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(secret("s", json!({"k": "v"}))).await;
    let mut stale = app.get("/api/v1/secrets/s").await.body;
    app.apply("", vec![secret("s", json!({"k": "changed"}))]).await;
    stale["spec"]["data"]["k"] = json!("mine");
    let reply = app.apply("", vec![stale]).await;
    assert_eq!(actions(&reply.body), ["error:Conflict"]);
    let shown = app.get("/api/v1/secrets/s?showValues=true").await;
    assert_eq!(shown.body["spec"]["data"]["k"], "changed");
}

async fn apply_bodies_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    app.post("/api/v1/apply", json!({"itemz": []})).await.assert_status(422, "Invalid");
    app.post("/api/v1/apply", json!([])).await.assert_status(422, "Invalid");
    app.post("/api/v1/apply?dryRun=maybe", json!({"items": []})).await.assert_status(400, "BadRequest");
    app.post("/api/v1/apply?bogus=1", json!({"items": []})).await.assert_status(400, "BadRequest");
}

backend_tests!(
        async:
        apply_orders_by_dependency_and_reports_in_request_order,
    apply_goes_on_past_a_failing_object,
    dry_run_validates_everything_and_writes_nothing,
    atomic_apply_rolls_back_everything_on_one_failure,
    apply_with_a_stale_resource_version_conflicts,
    apply_bodies_are_checked,
);
