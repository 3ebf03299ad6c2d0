//! What mcpd offers the gateway: the resolution of a project's servers, secret values
//! included, to `run serve` only.

use reqwest::Method;
use serde_json::{json, Value};
use testkit::{backend_tests, Backend};

use crate::helpers::{project, secret, secret_env, spawn_app};

async fn a_project_resolves_for_serve_only(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(secret("gh", json!({"token": "s3cret-value", "other": "x"}))).await;
    let mut env = secret_env("GITHUB_TOKEN", "gh", "token");
    env.as_array_mut().unwrap().push(json!({"name": "LOG", "value": "debug"}));
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "github"},
        "spec": {"transport": "stdio", "command": "npx", "args": ["-y", "srv"], "env": env}}))
        .await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "search"},
        "spec": {"transport": "http", "url": "https://search.example/mcp",
                 "headers": {"Authorization": "Bearer ${KEY}", "X-Team": "infra"},
                 "env": [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "gh", "key": "other"}}}]}}))
        .await;
    app.create(project("demo", &["search", "github"])).await;
    let (serve, _) =
        app.token_as(&app.token, None, "gw", json!({"bindings": [{"role": "run", "action": "serve"}]})).await;

    let reply = app.call_as(Some(&serve), Method::GET, "/api/v1/projects/demo/resolution", None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let servers = reply.body["servers"].as_array().unwrap();
    let names: Vec<&str> = servers.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["search", "github"], "in the project's order");
    assert_eq!(servers[0]["headers"], json!({"Authorization": "Bearer x", "X-Team": "infra"}));
    assert_eq!(servers[1]["env"], json!({"GITHUB_TOKEN": "s3cret-value", "LOG": "debug"}));
    assert_eq!(servers[1]["command"], "npx");
    let revision = reply.body["resourceVersion"].as_str().unwrap().to_owned();
    let list = app.get("/api/v1/servers").await;
    assert_eq!(list.body["metadata"]["resourceVersion"], revision.as_str());

    // A changed secret shows, with the secret's new version.
    let before = servers[1]["secretVersions"]["gh"].clone();
    let mut gh = app.get("/api/v1/secrets/gh?showValues=true").await.body;
    gh["spec"]["data"]["token"] = json!("rotated-value");
    assert_eq!(app.put("/api/v1/secrets/gh", gh).await.status, 200);
    let again = app.call_as(Some(&serve), Method::GET, "/api/v1/projects/demo/resolution", None).await;
    assert_eq!(again.body["servers"][1]["env"]["GITHUB_TOKEN"], "rotated-value");
    assert_ne!(again.body["servers"][1]["secretVersions"]["gh"], before);

    // Nobody else gets secret values this way: not a client that may connect and read
    // everything else, not one with view on secrets.
    let (client, _) = app
        .token_as(
            &app.token,
            None,
            "client",
            json!({"bindings": [{"role": "run", "action": "connect"}, {"role": "view", "resource": "*"}]}),
        )
        .await;
    let refused = app.call_as(Some(&client), Method::GET, "/api/v1/projects/demo/resolution", None).await;
    refused.assert_status(403, "Forbidden");
    assert!(!refused.text.contains("s3cret"), "{}", refused.text);
    app.call_as(None, Method::GET, "/api/v1/projects/demo/resolution", None).await.assert_status(401, "Unauthorized");
    app.call_as(Some(&serve), Method::GET, "/api/v1/projects/ghost/resolution", None)
        .await
        .assert_status(404, "NotFound");
    let events: Vec<Value> = app.events("?kind=projects").await;
    assert!(events.iter().all(|e| !e.to_string().contains("s3cret")));
}

async fn header_references_must_name_env_entries(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app
        .post(
            "/api/v1/servers",
            json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "s"},
                "spec": {"transport": "http", "url": "https://x.example/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}}}),
        )
        .await;
    reply.assert_status(422, "Invalid");
    assert_eq!(reply.cause_fields(), ["spec.headers.Authorization"]);
}

backend_tests!(async: a_project_resolves_for_serve_only, header_references_must_name_env_entries);
