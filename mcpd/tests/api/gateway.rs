//! What mcpd offers the gateway: the resolution of a project's servers, secret values
//! included, to `run serve` only; and what gateway replicas report of their servers.

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

/// The gateway reports the calls it relayed in batches; they join the audit trail with their
/// server, duration and outcome, and nobody but `run serve` may write them.
async fn calls_the_gateway_reports_join_the_audit_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let (serve, _) =
        app.token_as(&app.token, None, "gw", json!({"bindings": [{"role": "run", "action": "serve"}]})).await;
    let call = |name: &str, outcome: &str| {
        json!({"time": "2026-11-22T10:00:00Z", "principal": "mcptoken:demo/ci (mcpctl_pat_abcd)", "project": "demo",
               "server": "github", "kind": "tools", "name": name, "durationMs": 12, "outcome": outcome})
    };
    let batch = json!({"items": [call("search_repos", "ok"), call("create_issue", "timeout")]});
    let reply = app.call_as(Some(&serve), Method::POST, "/api/v1/events/calls", Some(batch.clone())).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let events = app.events("?kind=tools").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["verb"], "call");
    assert_eq!(events[0]["server"], "github");
    assert_eq!(events[0]["name"], "search_repos");
    assert_eq!(events[0]["project"], "demo");
    assert_eq!(events[0]["durationMs"], 12);
    assert_eq!((events[1]["outcome"].as_str(), events[1]["code"].as_u64()), (Some("timeout"), Some(504)));
    // They are filtered by project, server and outcome (the console's audit page asks so).
    let names = |events: Vec<Value>| events.iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(app.events("?project=demo&server=github&outcome=timeout").await), ["create_issue"]);
    assert_eq!(names(app.events("?project=demo&outcome=ok").await), ["search_repos"]);
    assert!(app.events("?project=other").await.is_empty());
    assert!(app.events("?server=gitlab").await.is_empty());
    let reply = app.call_as(None, Method::GET, "/api/v1/events?outcome=fine", None).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    app.get("/api/v1/events?outcome=fine").await.assert_status(400, "BadRequest");

    // Only the gateway writes them; a batch with one bad event is refused whole.
    let (client, _) =
        app.token_as(&app.token, None, "client", json!({"bindings": [{"role": "run", "action": "connect"}]})).await;
    app.call_as(Some(&client), Method::POST, "/api/v1/events/calls", Some(batch)).await.assert_status(403, "Forbidden");
    let mut bad = call("x", "ok");
    bad["time"] = json!("yesterday");
    let reply = app
        .call_as(Some(&serve), Method::POST, "/api/v1/events/calls", Some(json!({"items": [call("y", "ok"), bad]})))
        .await;
    reply.assert_status(422, "Invalid");
    assert_eq!(reply.cause_fields(), ["items[1].time"]);
    let mut arguments = call("z", "ok");
    arguments["arguments"] = json!({"q": "never stored"});
    let reply =
        app.call_as(Some(&serve), Method::POST, "/api/v1/events/calls", Some(json!({"items": [arguments]}))).await;
    assert_eq!(reply.status, 422, "arguments have no place in an event: {}", reply.text);
    let too_many: Vec<Value> = (0..1001).map(|i| call(&format!("t{i}"), "ok")).collect();
    let reply = app.call_as(Some(&serve), Method::POST, "/api/v1/events/calls", Some(json!({"items": too_many}))).await;
    reply.assert_status(413, "RequestEntityTooLarge");
    assert_eq!(app.events("?kind=tools").await.len(), 2, "nothing of a refused batch was written");
}

backend_tests!(
    async: a_project_resolves_for_serve_only,
    header_references_must_name_env_entries,
    calls_the_gateway_reports_join_the_audit_trail,
    replicas_report_how_servers_stand_and_readers_see_what_they_may_list,
);

/// A replica's report replaces its last one; readers see only the servers they may list; a
/// report that is not one is refused whole, with the field that is wrong.
async fn replicas_report_how_servers_stand_and_readers_see_what_they_may_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let (serve, _) =
        app.token_as(&app.token, None, "gw", json!({"bindings": [{"role": "run", "action": "serve"}]})).await;
    let report = |gateway: &str, servers: Value| json!({"gateway": gateway, "servers": servers});
    let since = "2026-12-01T10:00:00Z";
    let one = report(
        "gw-1",
        json!([
            {"project": "demo", "server": "github", "state": "ready", "since": since},
            {"project": "demo", "server": "search", "state": "unavailable", "reason": "HTTP 502", "since": since},
        ]),
    );
    let reply = app.call_as(Some(&serve), Method::POST, "/api/v1/gateway/status", Some(one)).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let two = report("gw-2", json!([{"project": "demo", "server": "github", "state": "starting", "since": since}]));
    app.call_as(Some(&serve), Method::POST, "/api/v1/gateway/status", Some(two)).await;

    let all = app.get("/api/v1/gateway/status").await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3, "{}", all.text);
    let search = app.get("/api/v1/gateway/status?server=search").await;
    assert_eq!(search.body["items"][0]["reason"], "HTTP 502");
    assert_eq!(search.body["items"][0]["gateway"], "gw-1");
    assert!(search.body["items"][0]["reportedAt"].is_string());

    // The next report of gw-1 replaces its last.
    let again = report("gw-1", json!([{"project": "demo", "server": "github", "state": "ready", "since": since}]));
    app.call_as(Some(&serve), Method::POST, "/api/v1/gateway/status", Some(again)).await;
    assert_eq!(app.get("/api/v1/gateway/status?server=search").await.body["items"], json!([]));

    // A reader sees the servers it may list, and nothing without list on servers.
    let session = app.user("one@example.com", "password-123").await;
    app.grant(
        "github-only",
        &["User:one@example.com"],
        json!([{"role": "view", "resource": "servers", "name": "github"}]),
    )
    .await;
    let seen = app.call_as(Some(&session), Method::GET, "/api/v1/gateway/status", None).await;
    let servers: Vec<&str> =
        seen.body["items"].as_array().unwrap().iter().map(|i| i["server"].as_str().unwrap()).collect();
    assert_eq!(servers, ["github", "github"], "{}", seen.text);
    let nobody = app.user("none@example.com", "password-123").await;
    app.call_as(Some(&nobody), Method::GET, "/api/v1/gateway/status", None).await.assert_status(403, "Forbidden");

    // Only `run serve` reports, and a report is checked whole.
    let forged = report("gw-3", json!([]));
    app.call_as(Some(&session), Method::POST, "/api/v1/gateway/status", Some(forged))
        .await
        .assert_status(403, "Forbidden");
    let bad =
        report("gw-1\n", json!([{"project": "demo", "server": "Not_A_Name", "state": "ready", "since": "yesterday"}]));
    let refused = app.call_as(Some(&serve), Method::POST, "/api/v1/gateway/status", Some(bad)).await;
    refused.assert_status(422, "Invalid");
    assert_eq!(refused.cause_fields(), ["gateway", "servers[0].server", "servers[0].since"]);
    let unknown = report("gw-1", json!([{"project": "demo", "server": "x", "state": "sleeping", "since": since}]));
    app.call_as(Some(&serve), Method::POST, "/api/v1/gateway/status", Some(unknown))
        .await
        .assert_status(422, "Invalid");
    assert_eq!(app.get("/api/v1/gateway/status?server=github").await.body["items"].as_array().unwrap().len(), 2);
}
