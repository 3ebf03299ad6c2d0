//! Secret backends against a real OpenBao server (`testkit::Bao`): values kept there and only
//! there, the rules of section 2 unchanged, changes made in OpenBao noticed, failures local
//! and recovered from, and migration that survives `kill -9` of mcpd.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::{Backend, Bao};

use crate::helpers::{spawn_app_with, TestApp};

fn secret(name: &str, data: Value, backend: Option<&str>) -> Value {
    let mut spec = json!({"data": data});
    if let Some(backend) = backend {
        spec["backend"] = json!(backend);
    }
    json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": name}, "spec": spec})
}

fn backend(name: &str, bao: &Bao, token_secret: &str) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "SecretBackend", "metadata": {"name": name},
        "spec": {"type": "openbao", "address": bao.address(),
                 "auth": {"token": {"secretKeyRef": {"name": token_secret, "key": "token"}}}}})
}

fn server(name: &str, secret: &str) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": name},
        "spec": {"transport": "stdio", "command": "node",
                 "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": secret, "key": "token"}}}]}})
}

/// An mcpd that checks its backends every second, and a backend `bao` on a fresh OpenBao.
async fn with_bao(database: Backend) -> (TestApp, Bao) {
    let bao = tokio::task::spawn_blocking(Bao::start).await.unwrap();
    let app = spawn_app_with(database, |c| c.secret_refresh = Duration::from_secs(1)).await;
    app.create(secret("bao-token", json!({"token": bao.root_token}), None)).await;
    app.create(backend("bao", &bao, "bao-token")).await;
    (app, bao)
}

/// `bao kv get` of a secret mcpd keeps on the backend, as JSON (`None` when there is none).
fn kv_get(bao: &Bao, name: &str) -> Option<Value> {
    kv_get_in(bao, "", name)
}

/// The same in a namespace (`""`: the root).
fn kv_get_in(bao: &Bao, namespace: &str, name: &str) -> Option<Value> {
    let out =
        bao.try_cli(&["kv", "get", &format!("-ns={namespace}"), "-format=json", &format!("secret/mcpctl/{name}")]);
    out.status.success().then(|| serde_json::from_slice::<Value>(&out.stdout).unwrap()["data"]["data"].clone())
}

async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn secrets_on_openbao_keep_their_values_there_and_only_there(database: Backend) {
    let (app, bao) = with_bao(database).await;
    let canary = "canary-in-openbao-7f3a";
    let created = app.create(secret("gh", json!({"token": canary, "user": "octo"}), Some("bao"))).await;
    assert_eq!(created["spec"]["data"], json!({"token": null, "user": null}));
    assert_eq!(created["status"]["backendVersion"], 1);
    assert_eq!(kv_get(&bao, "gh").unwrap(), json!({"token": canary, "user": "octo"}));
    assert!(!app.dump().contains(canary), "the value is in mcpd's database");

    // Section 2 holds: hidden by default, revealed with edit, null keeps, round trip unchanged.
    let shown = app.get("/api/v1/secrets/gh?showValues=true").await;
    assert_eq!(shown.body["spec"]["data"]["token"], canary, "{}", shown.text);
    let mut listed = app.get("/api/v1/secrets/gh").await.body;
    assert_eq!(listed["spec"]["backend"], "bao");
    listed["metadata"]["resourceVersion"] = Value::Null;
    let again = app.apply("", vec![listed.clone()]).await;
    assert_eq!(again.body["items"][0]["action"], "unchanged", "{}", again.text);
    listed["spec"]["data"]["user"] = json!("hubot");
    let changed = app.apply("", vec![listed]).await;
    assert_eq!(changed.body["items"][0]["action"], "configured", "{}", changed.text);
    assert_eq!(kv_get(&bao, "gh").unwrap(), json!({"token": canary, "user": "hubot"}));
    // A dry run writes nothing to OpenBao; an atomic apply refuses what it could not roll back.
    let dry = app.post("/api/v1/secrets?dryRun=true", secret("dry", json!({"k": "v"}), Some("bao"))).await;
    assert_eq!(dry.status, 201, "{}", dry.text);
    assert!(kv_get(&bao, "dry").is_none(), "a dry run wrote to OpenBao");
    let dry = app.apply("?dryRun=true", vec![secret("gh", json!({"token": "dry-value", "user": null}), None)]).await;
    assert_eq!(dry.body["items"][0]["action"], "configured", "{}", dry.text);
    let atomic =
        app.apply("?atomic=true", vec![secret("gh", json!({"token": "atomic-value", "user": null}), None)]).await;
    assert_eq!(atomic.body["items"][0]["error"]["code"], 400, "{}", atomic.text);
    assert!(atomic.text.contains("without --atomic"), "{}", atomic.text);
    assert_eq!(kv_get(&bao, "gh").unwrap()["token"], canary, "a dry or atomic apply changed OpenBao");
    let moved = app.apply("", vec![secret("gh", json!({"token": null, "user": null}), Some("internal"))]).await;
    assert_eq!(moved.body["items"][0]["error"]["details"]["causes"][0]["field"], "spec.backend", "{}", moved.text);

    // The gateway's resolution carries the value, read from OpenBao.
    app.create(server("github", "gh")).await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Project", "metadata": {"name": "demo"},
        "spec": {"servers": ["github"]}}))
        .await;
    let resolved = app.get("/api/v1/projects/demo/resolution").await;
    assert_eq!(resolved.body["servers"][0]["env"]["TOKEN"], canary, "{}", resolved.text);

    // A new version written in OpenBao itself is noticed within the refresh, as a change.
    let before = app.get("/api/v1/secrets/gh").await.body["metadata"]["resourceVersion"].clone();
    bao.cli(&["kv", "put", "secret/mcpctl/gh", "token=rotated-in-bao", "user=hubot"]);
    let noticed = within(Duration::from_secs(10), async || {
        app.get("/api/v1/secrets/gh").await.body["metadata"]["resourceVersion"] != before
    })
    .await;
    assert!(noticed, "the change in OpenBao was not noticed");
    let resolved = app.get("/api/v1/projects/demo/resolution").await;
    assert_eq!(resolved.body["servers"][0]["env"]["TOKEN"], "rotated-in-bao");

    // The backend's status, and the rules of backends.
    let described = app.get("/api/v1/secretbackends/bao").await.body;
    assert_eq!(described["status"]["reachable"], true, "{described}");
    assert_eq!(described["status"]["secrets"], 1);
    let internal = app.get("/api/v1/secretbackends/internal").await.body;
    assert_eq!(internal["status"]["default"], true, "{internal}");
    app.delete("/api/v1/secretbackends/bao").await.assert_status(409, "Conflict");
    app.delete("/api/v1/secretbackends/internal").await.assert_status(409, "Conflict");
    let own = app.post("/api/v1/secretbackends", backend("loop", &bao, "gh")).await;
    own.assert_status(422, "Invalid");
    assert!(own.text.contains("must be on internal"), "{}", own.text);
    let mut changed_internal = internal.clone();
    changed_internal["spec"]["default"] = json!(true);
    app.put("/api/v1/secretbackends/internal", changed_internal).await.assert_status(422, "Invalid");

    // Deleting the secret removes its values from OpenBao.
    app.delete("/api/v1/projects/demo").await;
    app.delete("/api/v1/servers/github").await;
    assert_eq!(app.delete("/api/v1/secrets/gh").await.status, 200);
    assert!(kv_get(&bao, "gh").is_none(), "the values outlived the secret");
}

async fn an_unavailable_backend_fails_only_what_needs_it_and_recovers(database: Backend) {
    let (app, bao) = with_bao(database).await;
    app.create(secret("remote", json!({"token": "from-bao"}), Some("bao"))).await;
    app.create(secret("local", json!({"token": "from-internal"}), None)).await;
    app.create(server("needs-bao", "remote")).await;
    app.create(server("needs-internal", "local")).await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Project", "metadata": {"name": "demo"},
        "spec": {"servers": ["needs-bao", "needs-internal"]}}))
        .await;

    bao.stop();
    let write = app.apply("", vec![secret("remote", json!({"token": "new"}), None)]).await;
    let error = &write.body["items"][0]["error"];
    assert_eq!(error["code"], 503, "{}", write.text);
    assert!(error["message"].as_str().unwrap().contains("secret backend \"bao\""), "{}", write.text);
    let created = app.post("/api/v1/secrets", secret("later", json!({"k": "v"}), Some("bao"))).await;
    created.assert_status(503, "ServiceUnavailable");
    assert_eq!(app.get("/api/v1/secrets/later").await.status, 404, "a failed write left an object");
    assert_eq!(app.get("/readyz").await.status, 200, "mcpd must stay ready");
    // Values read before are used until the refresh finds the backend down.
    let down = within(Duration::from_secs(10), async || {
        let status = &app.get("/api/v1/secretbackends/bao").await.body["status"];
        status["reachable"] == false && status["lastError"].as_str().is_some_and(|e| e.contains("unreachable"))
    })
    .await;
    assert!(down, "the status does not show the backend down");
    let resolved = app.get("/api/v1/projects/demo/resolution").await.body;
    let by_name =
        |name: &str| resolved["servers"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap().clone();
    assert!(by_name("needs-bao")["unavailable"].as_str().is_some_and(|u| u.contains("\"bao\"")), "{resolved}");
    assert_eq!(by_name("needs-bao")["env"], Value::Null, "{resolved}");
    assert_eq!(by_name("needs-internal")["env"]["TOKEN"], "from-internal");
    assert!(by_name("needs-internal")["unavailable"].is_null());

    // Back, sealed: still refused, now saying so.
    bao.resume();
    let sealed = app.post("/api/v1/secrets", secret("later", json!({"k": "v"}), Some("bao"))).await;
    sealed.assert_status(503, "ServiceUnavailable");
    assert!(sealed.text.contains("sealed"), "{}", sealed.text);
    bao.unseal();
    let back = within(Duration::from_secs(10), async || {
        let status = &app.get("/api/v1/secretbackends/bao").await.body["status"];
        status["reachable"] == true && status["sealed"] == false
    })
    .await;
    assert!(back, "the backend's recovery was not noticed");
    let resolved = app.get("/api/v1/projects/demo/resolution").await.body;
    assert_eq!(resolved["servers"][0]["env"]["TOKEN"], "from-bao", "{resolved}");
    app.post("/api/v1/secrets", secret("later", json!({"k": "v"}), Some("bao"))).await;
}

/// The policy docs/secret-backends.md tells operators to grant, exactly.
const POLICY: &str = r#"
path "secret/data/mcpctl/*"     { capabilities = ["create", "read", "update"] }
path "secret/metadata/mcpctl/*" { capabilities = ["read", "delete"] }
path "auth/token/lookup-self"   { capabilities = ["read"] }
path "auth/token/renew-self"    { capabilities = ["update"] }
"#;

/// An AppRole whose tokens live 4 s, and a periodic token of 4 s, each holding only the
/// documented policy: both keep working long past that, by logging in again and by renewal.
async fn approle_logins_and_renewable_tokens_outlive_their_ttl(database: Backend) {
    let bao = tokio::task::spawn_blocking(Bao::start).await.unwrap();
    let policy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(policy.path(), POLICY).unwrap();
    bao.cli(&["policy", "write", "mcpd", policy.path().to_str().unwrap()]);
    bao.cli(&["auth", "enable", "approle"]);
    bao.cli(&["write", "auth/approle/role/mcpd", "token_policies=mcpd", "token_ttl=4s", "token_max_ttl=60s"]);
    let role_id = bao.cli(&["read", "-field=role_id", "auth/approle/role/mcpd/role-id"]).trim().to_owned();
    let secret_id = bao.cli(&["write", "-f", "-field=secret_id", "auth/approle/role/mcpd/secret-id"]).trim().to_owned();
    let periodic = bao.cli(&["token", "create", "-policy=mcpd", "-period=4s", "-field=token"]).trim().to_owned();

    let app = spawn_app_with(database, |c| c.secret_refresh = Duration::from_secs(1)).await;
    app.create(secret("role-secret", json!({"secretId": secret_id}), None)).await;
    app.create(secret("periodic-token", json!({"token": periodic}), None)).await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "SecretBackend", "metadata": {"name": "role"},
        "spec": {"type": "vault", "address": bao.address(),
                 "auth": {"appRole": {"roleId": role_id, "secretIdRef": {"name": "role-secret", "key": "secretId"}}}}}))
        .await;
    app.create(backend("periodic", &bao, "periodic-token")).await;
    app.create(secret("via-role", json!({"token": "one"}), Some("role"))).await;
    app.create(secret("via-periodic", json!({"token": "one"}), Some("periodic"))).await;

    tokio::time::sleep(Duration::from_secs(9)).await;
    for name in ["via-role", "via-periodic"] {
        let again = app.apply("", vec![secret(name, json!({"token": "two"}), None)]).await;
        assert_eq!(again.body["items"][0]["action"], "configured", "{}", again.text);
        assert_eq!(kv_get(&bao, name).unwrap(), json!({"token": "two"}));
    }
    for name in ["role", "periodic"] {
        let status = app.get(&format!("/api/v1/secretbackends/{name}")).await.body["status"].clone();
        assert_eq!(status["reachable"], true, "{name}: {status}");
        assert!(status["lastError"].is_null(), "{name}: {status}");
    }
    // The periodic token is still alive because mcpd renewed it, not by luck.
    let looked = bao.cli(&["token", "lookup", "-format=json", &periodic]);
    assert!(looked.contains("\"renewable\": true"), "{looked}");
}

/// A backend on HTTPS is trusted through its caCert only, and a namespace keeps the values
/// in that namespace.
async fn tls_trust_and_namespaces_are_honoured(database: Backend) {
    let bao = tokio::task::spawn_blocking(Bao::start_tls).await.unwrap();
    bao.cli(&["namespace", "create", "team-a"]);
    bao.cli(&["secrets", "enable", "-ns=team-a", "-path=secret", "-version=2", "kv"]);
    let app = spawn_app_with(database, |c| c.secret_refresh = Duration::from_secs(1)).await;
    app.create(secret("bao-token", json!({"token": bao.root_token}), None)).await;
    let mut spec = backend("tls", &bao, "bao-token");
    spec["spec"]["namespace"] = json!("team-a");
    app.create(spec.clone()).await;
    let untrusted = app.post("/api/v1/secrets", secret("x", json!({"k": "v"}), Some("tls"))).await;
    untrusted.assert_status(503, "ServiceUnavailable");
    let message = untrusted.body["message"].as_str().unwrap();
    assert!(message.starts_with("secret backend \"tls\" is unreachable") && message.contains("caCert"), "{message}");

    spec["spec"]["caCert"] = json!(bao.ca_cert().unwrap());
    assert_eq!(app.put("/api/v1/secretbackends/tls", spec).await.status, 200);
    app.create(secret("x", json!({"k": "in-team-a"}), Some("tls"))).await;
    assert_eq!(kv_get_in(&bao, "team-a", "x").unwrap(), json!({"k": "in-team-a"}));
    assert!(kv_get(&bao, "x").is_none(), "the value is outside the namespace");
    let shown = app.get("/api/v1/secrets/x?showValues=true").await;
    assert_eq!(shown.body["spec"]["data"]["k"], "in-team-a", "{}", shown.text);
}

testkit::backend_tests!(
    async: secrets_on_openbao_keep_their_values_there_and_only_there,
    tls_trust_and_namespaces_are_honoured,
    an_unavailable_backend_fails_only_what_needs_it_and_recovers,
    approle_logins_and_renewable_tokens_outlive_their_ttl,
);
