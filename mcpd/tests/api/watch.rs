//! Watch streams: events as the Kubernetes API sends them, resumable, authorized like the list,
//! and seen across replicas of one PostgreSQL database.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use testkit::Backend;

use crate::helpers::{secret, spawn_app, stdio_server};
use testkit::backend_tests;

/// An open watch: reads events line by line.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(http: &reqwest::Client, url: &str, token: &str) -> Events {
        let response = http.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(response.headers()["content-type"], "application/x-ndjson");
        Events { response, buffer: String::new() }
    }

    /// The next event, waiting at most `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find('\n') {
                let line: String = self.buffer.drain(..=end).collect();
                return Some(serde_json::from_str(&line).unwrap());
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Whether the server ends the stream within `wait` (events before the end are skipped).
    async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Ok(Ok(Some(_))) => {}
            }
        }
    }

    /// The next event that is not a BOOKMARK.
    async fn change(&mut self, wait: Duration) -> Option<(String, String)> {
        loop {
            let event = self.next(wait).await?;
            if event["type"] != "BOOKMARK" {
                let name = event["object"]["metadata"]["name"].as_str().unwrap_or("").to_owned();
                return Some((event["type"].as_str().unwrap().to_owned(), name));
            }
        }
    }
}

const WAIT: Duration = Duration::from_secs(5);

async fn watches_stream_changes_as_kubernetes_does(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(stdio_server("first", json!([]))).await;
    let url = format!("{}/api/v1/servers?watch=true", app.url);
    let mut events = Events::open(&app.http, &url, &app.token).await;
    // The current state first, then a BOOKMARK to resume from.
    assert_eq!(events.change(WAIT).await, Some(("ADDED".into(), "first".into())));
    let bookmark = events.next(WAIT).await.unwrap();
    assert_eq!(bookmark["type"], "BOOKMARK");
    let mut labelled = stdio_server("first", json!([]));
    labelled["metadata"]["labels"] = json!({"team": "infra"});
    app.create(stdio_server("second", json!([]))).await;
    app.apply("", vec![labelled]).await;
    assert_eq!(events.change(WAIT).await, Some(("ADDED".into(), "second".into())));
    assert_eq!(events.change(WAIT).await, Some(("MODIFIED".into(), "first".into())));
    // (Deleted only once its ADDED event was read: an object already gone when the stream
    // reaches its ADDED event is sent as its DELETED event alone.)
    app.delete("/api/v1/servers/second").await;
    assert_eq!(events.change(WAIT).await, Some(("DELETED".into(), "second".into())));

    // A list says where to watch from; a watch from there sees only later changes.
    let list = app.get("/api/v1/servers").await;
    let revision = list.body["metadata"]["resourceVersion"].as_str().unwrap().to_owned();
    app.create(stdio_server("third", json!([]))).await;
    let mut resumed = Events::open(&app.http, &format!("{url}&resourceVersion={revision}"), &app.token).await;
    assert_eq!(resumed.change(WAIT).await, Some(("ADDED".into(), "third".into())));
    // So does an object's own resourceVersion: the revision of its last write.
    let first = app.get("/api/v1/servers/first").await.body["metadata"]["resourceVersion"].as_str().unwrap().to_owned();
    let mut from_object = Events::open(&app.http, &format!("{url}&resourceVersion={first}"), &app.token).await;
    assert_eq!(from_object.change(WAIT).await, Some(("DELETED".into(), "second".into())));
    assert_eq!(from_object.change(WAIT).await, Some(("ADDED".into(), "third".into())));
    // From the very start, the whole log replays.
    let mut replay = Events::open(&app.http, &format!("{url}&resourceVersion=0"), &app.token).await;
    assert_eq!(replay.change(WAIT).await, Some(("ADDED".into(), "first".into())));

    // Selectors filter; other kinds and projects do not wake a stream.
    let mut infra =
        Events::open(&app.http, &format!("{url}&labelSelector=team%3Dinfra&resourceVersion={revision}"), &app.token)
            .await;
    app.create(secret("unrelated", json!({"k": "v"}))).await;
    app.create(stdio_server("fourth", json!([]))).await;
    let mut fourth = stdio_server("fourth", json!([]));
    fourth["metadata"]["labels"] = json!({"team": "infra"});
    app.apply("", vec![fourth]).await;
    // Events carry the object as it is when sent: the creation may already show the label
    // that the apply added, and then reaches the stream as ADDED; either way, "fourth" comes
    // with the label, and nothing unlabelled comes first.
    let (kind, name) = infra.change(WAIT).await.expect("an event for the labelled server");
    assert_eq!(name, "fourth");
    assert!(kind == "MODIFIED" || kind == "ADDED", "{kind}");
}

async fn watches_are_authorized_masked_and_refuse_what_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(secret("vault", json!({"k": "canary-watch-value"}))).await;
    app.create(secret("other", json!({"k": "v"}))).await;
    let session = app.user("w@example.com", "password-123").await;
    let path = "/api/v1/secrets?watch=true";
    app.call_as(Some(&session), reqwest::Method::GET, path, None).await.assert_status(403, "Forbidden");
    app.grant("w", &["User:w@example.com"], json!([{"role": "edit", "resource": "secrets", "name": "vault"}])).await;
    let mut events = Events::open(&app.http, &format!("{}{path}", app.url), &session).await;
    assert_eq!(events.change(WAIT).await, Some(("ADDED".into(), "vault".into())));
    app.put("/api/v1/secrets/other", secret("other", json!({"k": "w"}))).await;
    app.put("/api/v1/secrets/vault", secret("vault", json!({"k": "canary-watch-value-2"}))).await;
    let event = loop {
        let event = events.next(WAIT).await.expect("an event");
        if event["type"] != "BOOKMARK" {
            break event;
        }
    };
    assert_eq!(event["object"]["metadata"]["name"], "vault", "only what the caller may see");
    assert_eq!(event["object"]["spec"]["data"]["k"], Value::Null, "values are hidden");
    assert!(!event.to_string().contains("canary"));

    // Revoking the credential ends its open stream.
    let (raw, _) = app.token_as(&app.token, None, "watcher", json!({"rbac": "clone"})).await;
    let mut watched = Events::open(&app.http, &format!("{}{path}", app.url), &raw).await;
    assert!(watched.next(WAIT).await.is_some());
    assert_eq!(app.delete("/api/v1/mcptokens/watcher").await.status, StatusCode::OK);
    assert!(watched.ends_within(Duration::from_secs(3)).await, "a revoked token's watch goes on");

    app.get("/api/v1/secrets?watch=true&resourceVersion=x").await.assert_status(400, "BadRequest");
    app.get("/api/v1/secrets?watch=true&limit=5").await.assert_status(400, "BadRequest");
    // The log's start is pruned: a watch from before it is told to list again.
    let mut conn = {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&app.database_url).await.unwrap()
    };
    sqlx::query("DELETE FROM changes WHERE revision < (SELECT MAX(revision) FROM changes)")
        .execute(&mut conn)
        .await
        .unwrap();
    app.get("/api/v1/secrets?watch=true&resourceVersion=1").await.assert_status(410, "Gone");
}

backend_tests!(async:
    watches_stream_changes_as_kubernetes_does,
    watches_are_authorized_masked_and_refuse_what_is_gone,
    a_watch_ends_when_its_caller_may_no_longer_list,
);

/// Rights are asked again while a watch lasts: a user whose RBAC definition is deleted, or
/// who leaves the group that granted the list, stops receiving at once, as a list would
/// refuse them; a narrowed right narrows the stream.
async fn a_watch_ends_when_its_caller_may_no_longer_list(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(stdio_server("first", json!([]))).await;
    let session = app.user("v@example.com", "password-123").await;
    app.grant("viewers", &["User:v@example.com"], json!([{"role": "view", "resource": "servers"}])).await;
    let url = format!("{}/api/v1/servers?watch=true", app.url);
    let mut events = Events::open(&app.http, &url, &session).await;
    assert_eq!(events.change(WAIT).await, Some(("ADDED".into(), "first".into())));
    assert_eq!(app.delete("/api/v1/rbacdefinitions/viewers").await.status, StatusCode::OK);
    let literal = json!([{"name": "LEAK", "value": "literal-after-revocation"}]);
    app.create(stdio_server("second", literal)).await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Some(event) = events.next(deadline - tokio::time::Instant::now()).await {
        seen.push_str(&event.to_string());
    }
    assert!(!seen.contains("second") && !seen.contains("literal-after"), "a watch went on after its right: {seen}");
    assert!(events.ends_within(Duration::from_secs(1)).await, "the watch stayed open");
    app.call_as(Some(&session), reqwest::Method::GET, "/api/v1/servers", None).await.assert_status(403, "Forbidden");

    // Through a group: leaving the group ends it the same way.
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Group", "metadata": {"name": "ops"},
        "spec": {"members": ["v@example.com"]}}))
        .await;
    app.grant("ops-view", &["Group:ops"], json!([{"role": "view", "resource": "servers"}])).await;
    let mut events = Events::open(&app.http, &url, &session).await;
    assert!(events.change(WAIT).await.is_some());
    let emptied =
        json!({"apiVersion": "mcpctl/v1", "kind": "Group", "metadata": {"name": "ops"}, "spec": {"members": []}});
    assert_eq!(app.put("/api/v1/groups/ops", emptied).await.status, StatusCode::OK);
    assert!(events.ends_within(Duration::from_secs(3)).await, "leaving the group did not end the watch");
}

/// Two replicas of one PostgreSQL database: a write on one reaches a watch on the other at
/// once, through NOTIFY.
#[tokio::test]
async fn a_write_on_one_replica_reaches_a_watch_on_another() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::database_url(Backend::Postgres, dir.path()).await;
    let mut config = testkit::config(database_url, dir.path());
    config.encryption_key = Some("33".repeat(32));
    let (first, _stop_first) = testkit::start(&config).await;
    let (second, _stop_second) = testkit::start(&config).await;
    let http = reqwest::Client::new();
    let token = crate::helpers::admin_session(&http, &first).await;
    let mut events = Events::open(&http, &format!("{first}/api/v1/projects?watch=true"), &token).await;
    assert_eq!(events.next(WAIT).await.unwrap()["type"], "BOOKMARK");
    let started = std::time::Instant::now();
    let created = http
        .post(format!("{second}/api/v1/projects"))
        .bearer_auth(&token)
        .json(&json!({"apiVersion": "mcpctl/v1", "kind": "Project", "metadata": {"name": "elsewhere"}, "spec": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(events.change(WAIT).await, Some(("ADDED".into(), "elsewhere".into())));
    assert!(started.elapsed() < Duration::from_secs(2), "seen after {:?}", started.elapsed());
}

/// A replica forgets the principals it resolved as soon as the feed reports a change to who
/// may do what on another replica, well before they would age out of its cache (500 ms).
#[tokio::test]
async fn the_change_feed_clears_other_replicas_credential_caches() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::database_url(Backend::Postgres, dir.path()).await;
    let mut config = testkit::config(database_url, dir.path());
    config.encryption_key = Some("44".repeat(32));
    let (first, _stop_first) = testkit::start(&config).await;
    let (second, _stop_second) = testkit::start(&config).await;
    let http = reqwest::Client::new();
    let admin = crate::helpers::admin_session(&http, &first).await;
    let created: serde_json::Value = http
        .post(format!("{first}/api/v1/mcptokens"))
        .bearer_auth(&admin)
        .json(&json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": "ci"},
            "spec": {"bindings": [{"role": "view", "resource": "servers"}]}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw = created["status"]["token"].as_str().unwrap().to_owned();
    let on_second = || http.get(format!("{second}/api/v1/servers")).bearer_auth(&raw).send();
    // Resolved and cached on the second replica, then revoked on the first.
    assert_eq!(on_second().await.unwrap().status(), StatusCode::OK);
    let cached = std::time::Instant::now();
    let deleted = http.delete(format!("{first}/api/v1/mcptokens/ci")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    while on_second().await.unwrap().status() != StatusCode::UNAUTHORIZED {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let refused = cached.elapsed();
    assert!(
        refused < Duration::from_millis(400),
        "refused after {refused:?}: the cache aged out, the feed did not clear it"
    );
}
