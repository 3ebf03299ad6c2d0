//! Concurrent writers: references stay intact and preconditions let exactly one writer win.

use futures_util::future::join_all;
use serde_json::json;
use testkit::Backend;

use crate::helpers::{secret, secret_env, spawn_app, stdio_server};
use testkit::backend_tests;

async fn references_hold_while_referrers_and_deletes_race(backend: Backend) {
    let app = spawn_app(backend).await;
    for round in 0..5 {
        let name = format!("s{round}");
        app.create(secret(&name, json!({"k": "v"}))).await;
        let creates = (0..8).map(|i| {
            let app = &app;
            let server = stdio_server(&format!("r{round}-{i}"), secret_env("T", &name, "k"));
            async move { app.post("/api/v1/servers", server).await.status.as_u16() }
        });
        let delete = async { app.delete(&format!("/api/v1/secrets/{name}")).await.status.as_u16() };
        let (codes, deleted) = tokio::join!(join_all(creates), delete);
        assert!(codes.iter().all(|c| matches!(c, 201 | 409 | 422)), "{codes:?}");
        let servers: Vec<String> =
            app.names("servers").await.into_iter().filter(|n| n.starts_with(&format!("r{round}-"))).collect();
        if deleted == 200 {
            assert!(servers.is_empty(), "servers {servers:?} refer to deleted secret {name}");
        } else {
            assert_eq!(deleted, 409);
            assert_eq!(app.get(&format!("/api/v1/secrets/{name}")).await.status, 200);
            assert!(!servers.is_empty());
        }
    }
}

async fn concurrent_replaces_with_one_resource_version_have_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.create(secret("s", json!({"k": "v0"}))).await;
    let writes = (0..8).map(|i| {
        let mut body = created.clone();
        body["spec"]["data"]["k"] = json!(format!("v{}", i + 1));
        let app = &app;
        async move { app.put("/api/v1/secrets/s", body).await.status.as_u16() }
    });
    let codes = join_all(writes).await;
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| matches!(c, 200 | 409)), "{codes:?}");
    let after = app.get("/api/v1/secrets/s").await.body;
    assert_ne!(after["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
    assert_eq!(
        app.get("/api/v1/secrets").await.body["metadata"]["resourceVersion"],
        after["metadata"]["resourceVersion"]
    );
}

backend_tests!(
        async:
        references_hold_while_referrers_and_deletes_race,
    concurrent_replaces_with_one_resource_version_have_one_winner,
);

mod appliers {
    use super::*;

    async fn concurrent_applies_of_one_file_all_succeed_without_duplicates(backend: Backend) {
        let app = spawn_app(backend).await;
        let mut items = vec![secret("shared-secret", json!({"k": "v"}))];
        for i in 0..40 {
            items.push(stdio_server(&format!("s{i:02}"), secret_env("T", "shared-secret", "k")));
        }
        let appliers = (0..6).map(|_| {
            let (app, items) = (&app, items.clone());
            async move { app.apply("", items).await }
        });
        let replies = join_all(appliers).await;
        let mut created = 0;
        for reply in &replies {
            assert_eq!(reply.status, 200, "{}", reply.text);
            for item in reply.body["items"].as_array().unwrap() {
                assert!(item["error"].is_null(), "{item}");
                created += usize::from(item["action"] == "created");
            }
        }
        assert_eq!(created, 41, "each object is created exactly once");
        assert_eq!(app.names("servers").await.len(), 40);
    }

    backend_tests!(async: concurrent_applies_of_one_file_all_succeed_without_duplicates);
}
