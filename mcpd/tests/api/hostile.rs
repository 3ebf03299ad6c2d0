//! Garbage on purpose: malformed and oversized bodies, deep nesting, injection attempts.
//! Each gets a 4xx Status, changes nothing, and the daemon keeps answering.

use reqwest::Method;
use serde_json::json;
use testkit::Backend;

use crate::helpers::{secret, spawn_app};
use testkit::backend_tests;

async fn malformed_bodies_get_bad_request(backend: Backend) {
    let app = spawn_app(backend).await;
    for body in [&b"{"[..], b"not json", b"", b"{\"items\": [1,]}", b"\xff\xfe"] {
        app.raw(Method::POST, "/api/v1/secrets", body.to_vec()).await.assert_status(400, "BadRequest");
        app.raw(Method::POST, "/api/v1/apply", body.to_vec()).await.assert_status(400, "BadRequest");
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    app.raw(Method::POST, "/api/v1/apply", deep.into_bytes()).await.assert_status(400, "BadRequest");
    assert_eq!(app.get("/healthz").await.status, 200);
}

async fn bodies_over_one_mebibyte_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let big = "x".repeat(1024 * 1024 + 1);
    let reply = app.post("/api/v1/secrets", secret("big", json!({"k": big}))).await;
    reply.assert_status(413, "RequestEntityTooLarge");
    let reply = app.apply("", vec![secret("big", json!({"k": big}))]).await;
    reply.assert_status(413, "RequestEntityTooLarge");
    assert!(app.names("secrets").await.is_empty());
}

async fn injection_attempts_in_names_and_selectors_are_inert(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(secret("keep", json!({"k": "v"}))).await;
    for name in ["x'%20OR%20'1'='1", "x;DROP%20TABLE%20objects", "%00", "..%2F..%2Fetc"] {
        app.get(&format!("/api/v1/secrets/{name}")).await.assert_status(404, "NotFound");
        app.delete(&format!("/api/v1/secrets/{name}")).await;
    }
    let long = "a".repeat(10_000);
    app.get(&format!("/api/v1/secrets/{long}")).await.assert_status(404, "NotFound");
    app.get(&format!("/api/v1/secrets?labelSelector={long}")).await.assert_status(400, "BadRequest");
    app.get("/api/v1/secrets?labelSelector=a%3D1')%3B%20DELETE%20FROM%20objects%3B--")
        .await
        .assert_status(400, "BadRequest");
    assert_eq!(app.names("secrets").await, ["keep"]);
}

async fn wrong_types_are_invalid_with_their_path(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"data": {"k": 5}}}),
            "spec.data.k",
        ),
        (json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": 5}, "spec": {}}), "metadata.name"),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s", "labels": ["a"]}, "spec": {}}),
            "metadata.labels",
        ),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s", "resourceVersion": "abc"}, "spec": {}}),
            "metadata.resourceVersion",
        ),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"data": {}}, "extra": true}),
            "extra",
        ),
    ];
    for (manifest, field) in cases {
        let reply = app.post("/api/v1/secrets", manifest).await;
        reply.assert_status(422, "Invalid");
        assert_eq!(reply.cause_fields(), [field], "{}", reply.text);
    }
    assert!(app.names("secrets").await.is_empty());
}

backend_tests!(
        async:
        malformed_bodies_get_bad_request,
    bodies_over_one_mebibyte_are_refused,
    injection_attempts_in_names_and_selectors_are_inert,
    wrong_types_are_invalid_with_their_path,
);

mod labels_and_control_characters {
    use super::*;

    async fn absurd_labels_and_control_characters_are_invalid(backend: Backend) {
        let app = spawn_app(backend).await;
        let long = "k".repeat(10_000);
        let cases = [
            json!({long.clone(): "v"}),
            json!({"k": long}),
            json!({"tab\tkey": "v"}),
            json!({"k": "line\nbreak"}),
            json!({"nul\u{0}": "v"}),
            json!({"k": "\u{7}bell"}),
        ];
        for labels in cases {
            let mut manifest = secret("s", json!({"k": "v"}));
            manifest["metadata"]["labels"] = labels;
            let reply = app.post("/api/v1/secrets", manifest).await;
            reply.assert_status(422, "Invalid");
            assert!(reply.text.len() < 4096, "errors quote bounded input: {} bytes", reply.text.len());
        }
        for name in ["tab\tname", "new\nline", "esc\u{1b}[31m"] {
            app.post("/api/v1/secrets", secret(name, json!({}))).await.assert_status(422, "Invalid");
        }
        assert!(app.names("secrets").await.is_empty());
        assert_eq!(app.get("/healthz").await.status, 200);
    }

    backend_tests!(async: absurd_labels_and_control_characters_are_invalid);
}
