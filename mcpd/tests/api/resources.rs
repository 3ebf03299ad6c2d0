//! CRUD on every kind: validation with field paths, preconditions, references, selectors,
//! pagination, and secret values kept out of output.

use reqwest::Method;
use serde_json::{json, Value};
use testkit::Backend;

use crate::helpers::{project, secret, secret_env, spawn_app, stdio_server};
use testkit::backend_tests;

async fn objects_of_every_kind_are_created_read_replaced_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    for manifest in [
        secret("gh", json!({"token": "t0k3n"})),
        stdio_server("github", secret_env("GITHUB_TOKEN", "gh", "token")),
        project("demo", &["github"]),
    ] {
        let kind = manifest["kind"].as_str().unwrap().to_owned();
        let plural = crate::helpers::plural(&kind);
        let name = manifest["metadata"]["name"].as_str().unwrap().to_owned();
        let created = app.create(manifest.clone()).await;
        // A resourceVersion is the database-wide revision of the object's last write.
        let version = |o: &Value| o["metadata"]["resourceVersion"].as_str().unwrap().parse::<i64>().unwrap();
        let revision = app.get(&format!("/api/v1/{plural}")).await.body["metadata"]["resourceVersion"].clone();
        assert_eq!(created["metadata"]["resourceVersion"], revision);
        assert!(created["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36));
        let fetched = app.get(&format!("/api/v1/{plural}/{name}")).await;
        assert_eq!(fetched.body, created);
        app.post(&format!("/api/v1/{plural}"), manifest.clone()).await.assert_status(409, "AlreadyExists");

        let mut changed = created.clone();
        changed["metadata"]["labels"] = json!({"team": "infra"});
        let replaced = app.put(&format!("/api/v1/{plural}/{name}"), changed.clone()).await;
        assert_eq!(replaced.status, 200, "{}", replaced.text);
        assert!(version(&replaced.body) > version(&created), "{}", replaced.text);
        let revision = app.get("/api/v1/servers").await.body["metadata"]["resourceVersion"].clone();
        assert_eq!(replaced.body["metadata"]["resourceVersion"], revision);
        // The first resourceVersion is stale now.
        app.put(&format!("/api/v1/{plural}/{name}"), changed).await.assert_status(409, "Conflict");
    }
    assert_eq!(app.names("projects").await, ["demo"]);
    for (plural, name) in [("projects", "demo"), ("servers", "github"), ("secrets", "gh")] {
        let deleted = app.delete(&format!("/api/v1/{plural}/{name}")).await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
        app.get(&format!("/api/v1/{plural}/{name}")).await.assert_status(404, "NotFound");
        app.delete(&format!("/api/v1/{plural}/{name}")).await.assert_status(404, "NotFound");
    }
}

async fn replace_of_a_missing_object_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.put("/api/v1/secrets/s", secret("s", json!({"k": "v"}))).await.assert_status(404, "NotFound");
    let reply = app.put("/api/v1/secrets/other", secret("s", json!({"k": "v"}))).await;
    reply.assert_status(400, "BadRequest");
}

async fn invalid_manifests_name_the_field_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (stdio_server("Bad_Name", json!([])), "metadata.name"),
        (stdio_server(&"a".repeat(64), json!([])), "metadata.name"),
        (stdio_server("a\u{0}b", json!([])), "metadata.name"),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "s"}, "spec": {"transport": "stdio", "command": "x", "comand": "y"}}),
            "spec.comand",
        ),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "s", "nmae": "x"}, "spec": {"transport": "stdio", "command": "x"}}),
            "metadata.nmae",
        ),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "s"}, "spec": {"transport": "ftp"}}),
            "spec.transport",
        ),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "s"}, "spec": {"transport": "http"}}),
            "spec.url",
        ),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "s", "labels": {"bad key": "x"}}, "spec": {"transport": "stdio", "command": "x"}}),
            "metadata.labels.bad key",
        ),
        (json!({"apiVersion": "v2", "kind": "Server", "metadata": {"name": "s"}, "spec": {}}), "apiVersion"),
        (stdio_server("s", json!([{"name": "1X", "value": "v"}])), "spec.env[0].name"),
        (secret("s", json!({"bad key": "v"})), "spec.data.bad key"),
        (project("p", &["UPPER"]), "spec.servers[0]"),
        (
            json!({"apiVersion": "mcpctl/v1", "kind": "Project", "metadata": {"name": "p", "project": "x"}, "spec": {}}),
            "metadata.project",
        ),
    ];
    for (manifest, field) in cases {
        let plural = crate::helpers::plural(manifest["kind"].as_str().unwrap());
        let reply = app.post(&format!("/api/v1/{plural}"), manifest).await;
        reply.assert_status(422, "Invalid");
        assert!(reply.cause_fields().iter().any(|f| f == field), "{field}: {}", reply.text);
    }
    for plural in ["servers", "secrets", "projects"] {
        assert!(app.names(plural).await.is_empty());
    }
}

async fn dangling_references_are_refused_with_their_path(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.post("/api/v1/servers", stdio_server("s", secret_env("T", "missing", "k"))).await;
    reply.assert_status(422, "Invalid");
    assert_eq!(reply.cause_fields(), ["spec.env[0].valueFrom.secretKeyRef"]);
    assert!(reply.text.contains("secrets \\\"missing\\\" not found"), "{}", reply.text);

    app.create(secret("gh", json!({"token": "x"}))).await;
    let reply = app.post("/api/v1/servers", stdio_server("s", secret_env("T", "gh", "nokey"))).await;
    reply.assert_status(422, "Invalid");
    assert!(reply.text.contains("key \\\"nokey\\\""), "{}", reply.text);

    let reply = app.post("/api/v1/projects", project("p", &["nope"])).await;
    reply.assert_status(422, "Invalid");
    assert_eq!(reply.cause_fields(), ["spec.servers[0]"]);
    assert!(app.names("servers").await.is_empty());
    assert!(app.names("projects").await.is_empty());
}

async fn referenced_objects_and_keys_cannot_be_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(secret("gh", json!({"token": "x", "spare": "y"}))).await;
    app.create(stdio_server("github", secret_env("T", "gh", "token"))).await;
    app.create(project("demo", &["github"])).await;

    let reply = app.delete("/api/v1/secrets/gh").await;
    reply.assert_status(409, "Conflict");
    assert!(reply.body["message"].as_str().unwrap().contains("servers/github"), "{}", reply.text);
    let reply = app.delete("/api/v1/servers/github").await;
    reply.assert_status(409, "Conflict");
    assert!(reply.body["message"].as_str().unwrap().contains("projects/demo"), "{}", reply.text);

    // Dropping the referenced key is refused; dropping the spare one is fine.
    let reply = app.apply("", vec![secret("gh", json!({"spare": null}))]).await;
    assert_eq!(reply.body["items"][0]["error"]["reason"], "Conflict", "{}", reply.text);
    let reply = app.apply("", vec![secret("gh", json!({"token": null}))]).await;
    assert_eq!(reply.body["items"][0]["action"], "configured", "{}", reply.text);

    app.delete("/api/v1/projects/demo").await;
    app.delete("/api/v1/servers/github").await;
    assert_eq!(app.delete("/api/v1/secrets/gh").await.status, 200);
}

async fn secret_values_stay_hidden_unless_asked_for(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.create(secret("gh", json!({"token": "canary-value-1"}))).await;
    assert_eq!(created["spec"]["data"], json!({"token": null}));
    for path in ["/api/v1/secrets/gh", "/api/v1/secrets"] {
        let reply = app.get(path).await;
        assert!(!reply.text.contains("canary-value-1"), "{}", reply.text);
        assert!(reply.text.contains("token"));
    }
    let shown = app.get("/api/v1/secrets/gh?showValues=true").await;
    assert_eq!(shown.body["spec"]["data"]["token"], "canary-value-1");
    let listed = app.get("/api/v1/secrets?showValues=true").await;
    assert_eq!(listed.body["items"][0]["spec"]["data"]["token"], "canary-value-1");

    // null keeps the stored value; a null for a key with no value is refused.
    let mut hidden = app.get("/api/v1/secrets/gh").await.body;
    hidden["spec"]["data"]["other"] = json!("new");
    let replaced = app.put("/api/v1/secrets/gh", hidden).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    let shown = app.get("/api/v1/secrets/gh?showValues=true").await;
    assert_eq!(shown.body["spec"]["data"], json!({"other": "new", "token": "canary-value-1"}));
    let reply = app.post("/api/v1/secrets", secret("fresh", json!({"k": null}))).await;
    reply.assert_status(422, "Invalid");
    assert_eq!(reply.cause_fields(), ["spec.data.k"]);
}

async fn lists_filter_by_label_and_page_by_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut items = Vec::new();
    for i in 0..25 {
        let mut s = secret(&format!("s{i:02}"), json!({"k": "v"}));
        s["metadata"]["labels"] = json!({"tier": if i % 2 == 0 { "even" } else { "odd" }});
        items.push(s);
    }
    let reply = app.apply("", items).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let even = app.get("/api/v1/secrets?labelSelector=tier%3Deven").await;
    assert_eq!(even.body["items"].as_array().unwrap().len(), 13);
    let not_even = app.get("/api/v1/secrets?labelSelector=tier!%3Deven").await;
    assert_eq!(not_even.body["items"].as_array().unwrap().len(), 12);
    app.get("/api/v1/secrets?labelSelector=tier%3D%27x%27%20OR%201%3D1").await.assert_status(400, "BadRequest");

    let mut seen = Vec::new();
    let mut next = String::new();
    let mut pages = 0;
    loop {
        let query = if next.is_empty() { String::new() } else { format!("&continue={next}") };
        let page = app.get(&format!("/api/v1/secrets?limit=10&labelSelector=tier%3Dodd{query}")).await;
        pages += 1;
        seen.extend(
            page.body["items"].as_array().unwrap().iter().map(|o| o["metadata"]["name"].as_str().unwrap().to_owned()),
        );
        match page.body["metadata"]["continue"].as_str() {
            Some(token) => next = token.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    let expected: Vec<String> = (0..25).filter(|i| i % 2 == 1).map(|i| format!("s{i:02}")).collect();
    assert_eq!(seen, expected);
    app.get("/api/v1/secrets?continue=zz").await.assert_status(400, "BadRequest");
    app.get("/api/v1/secrets?limit=0").await.assert_status(400, "BadRequest");
    app.get("/api/v1/secrets?limit=x").await.assert_status(400, "BadRequest");
}

async fn a_project_lists_the_servers_it_exposes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(stdio_server("a", json!([]))).await;
    app.create(stdio_server("b", json!([]))).await;
    app.create(stdio_server("c", json!([]))).await;
    app.create(project("demo", &["c", "a"])).await;
    let reply = app.get("/api/v1/projects/demo/servers").await;
    let names: Vec<&str> =
        reply.body["items"].as_array().unwrap().iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["c", "a"]);
    app.get("/api/v1/projects/nope/servers").await.assert_status(404, "NotFound");
}

async fn the_server_says_who_refers_to_an_object(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(secret("gh", json!({"token": "t", "other": "o"}))).await;
    app.create(stdio_server("github", secret_env("GITHUB_TOKEN", "gh", "token"))).await;
    app.create(project("demo", &["github"])).await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "User", "metadata": {"name": "ann@example.com"}, "spec": {}}))
        .await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Group", "metadata": {"name": "ops"},
        "spec": {"members": ["ann@example.com"]}}))
        .await;
    app.grant("ops-view", &["Group:ops"], json!([{"role": "view", "resource": "servers"}])).await;
    app.grant("ann-edit", &["User:ann@example.com"], json!([{"role": "edit", "resource": "secrets"}])).await;

    let items = |reply: &crate::helpers::Reply| reply.body["items"].as_array().unwrap().clone();
    let of_secret = app.get("/api/v1/referrers?kind=secrets&name=gh").await;
    assert_eq!(
        items(&of_secret),
        [json!({"kind": "Server", "name": "github", "field": "spec.env[0].valueFrom.secretKeyRef", "key": "token"})]
    );
    let of_server = app.get("/api/v1/referrers?kind=servers&name=github").await;
    assert_eq!(items(&of_server), [json!({"kind": "Project", "name": "demo", "field": "spec.servers[0]"})]);
    let of_user = app.get("/api/v1/referrers?kind=users&name=ann%40example.com").await;
    assert_eq!(
        items(&of_user),
        [
            json!({"kind": "Group", "name": "ops", "field": "spec.members"}),
            json!({"kind": "RbacDefinition", "name": "ann-edit", "field": "spec.subjects", "subject": "User:ann@example.com"}),
            json!({"kind": "RbacDefinition", "name": "ops-view", "field": "spec.subjects", "subject": "Group:ops"}),
        ]
    );

    // Only what the caller may see is named; the object itself needs get.
    let viewer = app.user("viewer@example.com", "viewer-password").await;
    app.grant("viewer", &["User:viewer@example.com"], json!([{"role": "view", "resource": "secrets"}])).await;
    let seen = app.call_as(Some(&viewer), Method::GET, "/api/v1/referrers?kind=secrets&name=gh", None).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert!(items(&seen).is_empty(), "{}", seen.text);
    app.call_as(Some(&viewer), Method::GET, "/api/v1/referrers?kind=servers&name=github", None)
        .await
        .assert_status(403, "Forbidden");
    app.get("/api/v1/referrers?kind=secrets&name=ghost").await.assert_status(404, "NotFound");
    app.get("/api/v1/referrers?kind=pods&name=x").await.assert_status(404, "NotFound");
}

backend_tests!(
        async:
        objects_of_every_kind_are_created_read_replaced_and_deleted,
    replace_of_a_missing_object_is_not_found,
    invalid_manifests_name_the_field_and_store_nothing,
    dangling_references_are_refused_with_their_path,
    referenced_objects_and_keys_cannot_be_removed,
    secret_values_stay_hidden_unless_asked_for,
    lists_filter_by_label_and_page_by_key,
    a_project_lists_the_servers_it_exposes,
    the_server_says_who_refers_to_an_object,
);

mod at_rest {
    use super::*;

    async fn secret_values_are_encrypted_at_rest(backend: Backend) {
        let app = spawn_app(backend).await;
        let canaries = ["canary-at-rest-1", "canary-at-rest-2"];
        app.create(secret("a", json!({"k": canaries[0]}))).await;
        app.apply("", vec![secret("b", json!({"k": canaries[1], "other": "x"}))]).await;
        let mut b = app.get("/api/v1/secrets/b").await.body;
        b["metadata"]["labels"] = json!({"x": "y"});
        assert_eq!(app.put("/api/v1/secrets/b", b).await.status, 200);
        let dump = app.dump();
        for canary in canaries {
            assert!(!dump.contains(canary), "{canary} is in the database in clear");
        }
        assert!(dump.contains("enc:v1:"));
        let shown = app.get("/api/v1/secrets?showValues=true").await;
        assert!(shown.text.contains(canaries[0]) && shown.text.contains(canaries[1]));
        // An unchanged apply stays unchanged although every seal has a fresh nonce.
        let again = app.apply("", vec![secret("a", json!({"k": canaries[0]}))]).await;
        assert_eq!(again.body["items"][0]["action"], "unchanged");
    }

    backend_tests!(async: secret_values_are_encrypted_at_rest);
}
