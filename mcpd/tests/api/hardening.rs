//! Paths that a security review and a code review found open, each shut and kept shut: token
//! chains, throttles, sealed keys, existence leaks, echoed values, request ids, lockouts,
//! panics, key rotation under writes, bounded errors, orphaned tokens.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;
use testkit::Backend;

use crate::helpers::{project, secret, spawn_app, stdio_server, TestApp};
use testkit::backend_tests;

fn token_manifest(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": name}, "spec": spec})
}

fn user_manifest(email: &str, spec: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "User", "metadata": {"name": email}, "spec": spec})
}

fn rbac_manifest(name: &str, subjects: &[&str], bindings: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "RbacDefinition", "metadata": {"name": name},
           "spec": {"subjects": subjects, "roleBindings": bindings}})
}

async fn sql(app: &TestApp) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.database_url).await.unwrap()
}

async fn status_of(app: &TestApp, bearer: &str, path: &str) -> StatusCode {
    app.call_as(Some(bearer), Method::GET, path, None).await.status
}

async fn tokens_made_by_tokens_are_bounded_by_their_parent(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(secret("s", json!({"k": "v"}))).await;
    let (parent, parent_obj) = app
        .token_as(
            &app.token,
            None,
            "parent",
            json!({"ttl": "1h", "bindings": [{"role": "edit", "resource": "mcptokens"}, {"role": "view", "resource": "servers"}]}),
        )
        .await;

    // Asking for more time than the parent has gives the parent's expiry.
    let (child, child_obj) = app.token_as(&parent, None, "child", json!({"ttl": "never", "rbac": "clone"})).await;
    assert!(parent_obj["status"]["expiresAt"].is_string());
    assert_eq!(child_obj["status"]["expiresAt"], parent_obj["status"]["expiresAt"]);
    assert_eq!(status_of(&app, &child, "/api/v1/servers").await, StatusCode::OK);
    let (grandchild, _) = app.token_as(&child, None, "grandchild", json!({"rbac": "clone"})).await;
    assert_eq!(status_of(&app, &grandchild, "/api/v1/servers").await, StatusCode::OK);

    // What the parent holds through a definition naming it may be passed on, and is lost by
    // the child the moment the parent loses it.
    let sha = parent_obj["status"]["sha256"].as_str().unwrap();
    app.create(rbac_manifest(
        "parent-secrets",
        &[&format!("McpToken:{sha}")],
        json!([{"role": "view", "resource": "secrets"}]),
    ))
    .await;
    let (reader, _) =
        app.token_as(&parent, None, "reader", json!({"bindings": [{"role": "view", "resource": "secrets"}]})).await;
    assert_eq!(status_of(&app, &reader, "/api/v1/secrets").await, StatusCode::OK);
    assert_eq!(app.delete("/api/v1/rbacdefinitions/parent-secrets").await.status, StatusCode::OK);
    assert_eq!(status_of(&app, &reader, "/api/v1/secrets").await, StatusCode::FORBIDDEN);

    // Deleting the parent ends its whole line, and the listing says so.
    assert_eq!(app.delete("/api/v1/mcptokens/parent").await.status, StatusCode::OK);
    for raw in [&child, &grandchild, &reader] {
        assert_eq!(status_of(&app, raw, "/api/v1/auth/whoami").await, StatusCode::UNAUTHORIZED);
    }
    for name in ["child", "grandchild", "reader"] {
        let token = app.get(&format!("/api/v1/mcptokens/{name}")).await;
        assert_eq!(token.body["status"]["state"], "revoked", "{}", token.text);
    }

    // Chains end: a token deep in one cannot make another that could never work.
    let (mut last, _) = app.token_as(&app.token, None, "link-0", json!({"rbac": "clone"})).await;
    for depth in 1..mcpd::MAX_TOKEN_CHAIN {
        (last, _) = app.token_as(&last, None, &format!("link-{depth}"), json!({"rbac": "clone"})).await;
    }
    let reply = app
        .call_as(Some(&last), Method::POST, "/api/v1/mcptokens", Some(token_manifest("one-too-many", json!({}))))
        .await;
    reply.assert_status(403, "Forbidden");
}

async fn the_session_signing_key_is_stored_sealed(backend: Backend) {
    let app = spawn_app(backend).await;
    let stored: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'session_signing_key'")
        .fetch_one(&mut sql(&app).await)
        .await
        .unwrap();
    assert!(stored.starts_with("enc:v1:"), "the signing key is stored sealed");
    // Whoever reads the database cannot sign a session with what it holds.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({"iss": "mcpd", "aud": "mcpctl", "sub": testkit::ADMIN_EMAIL, "iat": now, "exp": now + 600,
                        "jti": "forged", "iat_ms": (now + 60) * 1000});
    for key in [stored.as_bytes(), stored.trim_start_matches("enc:v1:").as_bytes()] {
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(key),
        )
        .unwrap();
        assert_eq!(status_of(&app, &forged, "/api/v1/secrets").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(status_of(&app, &app.token, "/api/v1/secrets").await, StatusCode::OK);
}

async fn password_change_guesses_are_throttled_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.user("guess@example.com", "the-right-password").await;
    let change = |current: &str| json!({"currentPassword": current, "newPassword": "a-new-password-1"});
    // Five wrong guesses are answered; then the account is locked. A slow machine may let one
    // more guess be judged after the first one-second lock has passed.
    let mut judged = 0;
    loop {
        let guess = change(&format!("guess-{judged}"));
        let reply = app.call_as(Some(&session), Method::POST, "/api/v1/auth/password", Some(guess)).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(judged >= 5, "locked after {judged} guesses");
            break;
        }
        reply.assert_status(403, "Forbidden");
        judged += 1;
        assert!(judged <= 6, "{judged} guesses judged without a lock");
    }
    // Locked for the right password too, and for login alike: one count per account.
    let reply =
        app.call_as(Some(&session), Method::POST, "/api/v1/auth/password", Some(change("the-right-password"))).await;
    reply.assert_status(429, "TooManyRequests");
    assert!(reply.text.contains("retry in"), "{}", reply.text);
    let login = app
        .call_as(
            None,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": "guess@example.com", "password": "the-right-password"})),
        )
        .await;
    login.assert_status(429, "TooManyRequests");
    let refused: Vec<Value> = app
        .events("?kind=passwords")
        .await
        .into_iter()
        .filter(|e| e["principal"] == "guess@example.com" && e["code"] == 403)
        .collect();
    assert_eq!(refused.len(), judged);
}

async fn refused_credentials_are_audited_within_a_bound(backend: Backend) {
    let app = spawn_app(backend).await;
    let (raw, _) = app.token_as(&app.token, None, "gone", json!({})).await;
    app.delete("/api/v1/mcptokens/gone").await;
    assert_eq!(status_of(&app, &raw, "/api/v1/servers").await, StatusCode::UNAUTHORIZED);
    let prefix = shared::token::display_prefix(&raw);
    let events = app.events("?kind=credentials").await;
    let named: Vec<&Value> = events.iter().filter(|e| e["principal"] == format!("mcptoken ({prefix})")).collect();
    assert_eq!(named.len(), 1, "{events:?}");
    assert_eq!(named[0]["code"], 401);
    assert!(!serde_json::to_string(&events).unwrap().contains(&raw));
    // A flood of bad credentials cannot fill the table.
    let flood = (0..300).map(|_| app.call_as(Some("not-a-token"), Method::GET, "/api/v1/servers", None));
    for reply in futures_util::future::join_all(flood).await {
        reply.assert_status(401, "Unauthorized");
    }
    let recorded = app.events("?kind=credentials").await.len();
    assert!(recorded < 150, "{recorded} refusals recorded for a flood of 300");
}

async fn failed_logins_of_quiet_accounts_are_forgotten(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = |email: &str| {
        app.call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"email": email, "password": "wrong"})))
    };
    for i in 0..3 {
        login(&format!("nobody-{i}@example.com")).await.assert_status(401, "Unauthorized");
    }
    let mut conn = sql(&app).await;
    const COUNT: &str = "SELECT COUNT(*) FROM login_failures";
    assert_eq!(sqlx::query_scalar::<_, i64>(COUNT).fetch_one(&mut conn).await.unwrap(), 3);
    // Two hours pass for these accounts.
    let earlier = time::OffsetDateTime::now_utc().unix_timestamp() - 7200;
    sqlx::query("UPDATE login_failures SET last_failure = $1").bind(earlier).execute(&mut conn).await.unwrap();
    login("nobody-new@example.com").await.assert_status(401, "Unauthorized");
    assert_eq!(sqlx::query_scalar::<_, i64>(COUNT).fetch_one(&mut conn).await.unwrap(), 1);
}

async fn project_routes_authorize_before_telling_what_exists(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(stdio_server("hidden", json!([]))).await;
    app.create(project("real", &[])).await;
    let nobody = app.user("nobody@example.com", "password-123").await;
    for p in ["real", "missing"] {
        for (method, path) in [
            (Method::GET, format!("/api/v1/projects/{p}/mcptokens")),
            (Method::GET, format!("/api/v1/projects/{p}/mcptokens/t")),
            (Method::DELETE, format!("/api/v1/projects/{p}/mcptokens/t")),
        ] {
            app.call_as(Some(&nobody), method, &path, None).await.assert_status(403, "Forbidden");
        }
        let reply = app
            .call_as(
                Some(&nobody),
                Method::POST,
                &format!("/api/v1/projects/{p}/mcptokens"),
                Some(token_manifest("t", json!({}))),
            )
            .await;
        reply.assert_status(403, "Forbidden");
    }
    // Someone who may edit projects but not see servers learns nothing about servers.
    app.grant("pm", &["User:nobody@example.com"], json!([{"role": "edit", "resource": "projects"}])).await;
    for server in ["hidden", "missing"] {
        let reply = app
            .call_as(Some(&nobody), Method::POST, "/api/v1/projects", Some(project(&format!("p-{server}"), &[server])))
            .await;
        reply.assert_status(403, "Forbidden");
        assert!(!reply.text.contains("not found"), "{}", reply.text);
    }
    assert_eq!(app.names("projects").await, ["real"]);
    // With the right, the missing server is named as such.
    app.grant("pm-servers", &["User:nobody@example.com"], json!([{"role": "view", "resource": "servers"}])).await;
    let reply =
        app.call_as(Some(&nobody), Method::POST, "/api/v1/projects", Some(project("p-missing", &["missing"]))).await;
    reply.assert_status(422, "Invalid");
}

async fn introspection_answers_what_a_token_may_do_now(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.user("intro@example.com", "password-123").await;
    app.grant(
        "intro",
        &["User:intro@example.com"],
        json!([{"role": "edit", "resource": "servers"}, {"role": "edit", "resource": "mcptokens"}]),
    )
    .await;
    let (raw, created) =
        app.token_as(&session, None, "t", json!({"bindings": [{"role": "edit", "resource": "servers"}]})).await;
    let introspect =
        || app.call_as(Some(&raw), Method::POST, "/api/v1/mcptokens/introspect", Some(json!({"token": raw})));
    assert_eq!(introspect().await.body["scope"], "edit:servers");
    // The creator now holds less: so does the token.
    let mut def = app.get("/api/v1/rbacdefinitions/intro").await.body;
    def["spec"]["roleBindings"] =
        json!([{"role": "view", "resource": "servers"}, {"role": "edit", "resource": "mcptokens"}]);
    assert_eq!(app.put("/api/v1/rbacdefinitions/intro", def).await.status, StatusCode::OK);
    assert_eq!(introspect().await.body["scope"], "view:servers");
    // A definition naming the token adds what its creator also holds.
    let sha = created["status"]["sha256"].as_str().unwrap();
    app.grant("more", &["User:intro@example.com"], json!([{"role": "view", "resource": "secrets"}])).await;
    app.grant("tok", &[&format!("McpToken:{sha}")], json!([{"role": "edit", "resource": "secrets"}])).await;
    assert_eq!(introspect().await.body["scope"], "view:secrets view:servers");
}

async fn no_value_a_client_sent_is_echoed_in_an_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let canary = "hunter2-LEAK \"quoted\" `ticked`";
    let manifests = [
        user_manifest("u@example.com", json!(canary)),
        user_manifest("u@example.com", json!({"password": [canary]})),
        json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"data": canary}}),
        json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"data": {"k": {"v": canary}}}}),
        json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "x"}, "spec": {"transport": canary}}),
        json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "x"},
               "spec": {"transport": "stdio", "command": "c", "env": [{"name": "A", "value": [canary]}]}}),
    ];
    for manifest in manifests {
        let plural = crate::helpers::plural(manifest["kind"].as_str().unwrap());
        let created = app.post(&format!("/api/v1/{plural}"), manifest.clone()).await;
        let applied = app.apply("?dryRun=true", vec![manifest]).await;
        for reply in [&created, &applied] {
            assert!(!reply.text.contains("hunter2") && !reply.text.contains("LEAK"), "{}", reply.text);
        }
        created.assert_status(422, "Invalid");
        assert_eq!(applied.body["items"][0]["error"]["code"], 422, "{}", applied.text);
    }
    let reply = app.get("/api/v1/servers?limit=hunter2-LEAK").await;
    reply.assert_status(400, "BadRequest");
    assert!(!reply.text.contains("hunter2"), "{}", reply.text);
}

async fn request_ids_from_clients_are_kept_only_when_safe(backend: Backend) {
    let app = spawn_app(backend).await;
    let id_of = |given: &str| {
        let request = app.http.get(format!("{}/api/v1/servers/missing", app.url)).bearer_auth(&app.token);
        let given = given.to_owned();
        async move {
            let reply = request.header("x-request-id", given).send().await.unwrap();
            let header = reply.headers()["x-request-id"].to_str().unwrap().to_owned();
            let body: Value = reply.json().await.unwrap();
            assert_eq!(body["requestId"], header);
            header
        }
    };
    assert_eq!(id_of("trace-1.a_b").await, "trace-1.a_b");
    for forged in ["x\" level=ERROR msg=\"forged", "a b", &"x".repeat(65), "a/b"] {
        let id = id_of(forged).await;
        assert_ne!(id, forged);
        assert!(id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{id}");
    }
}

async fn a_token_binding_with_a_name_reaches_one_project(backend: Backend) {
    let app = spawn_app(backend).await;
    for p in ["a", "b"] {
        app.create(project(p, &[])).await;
        app.token_as(&app.token, Some(p), "ci", json!({})).await;
    }
    app.token_as(&app.token, None, "ci", json!({})).await;
    let user = app.user("tok@example.com", "password-123").await;
    app.grant("tok", &["User:tok@example.com"], json!([{"role": "edit", "resource": "mcptokens", "name": "a/ci"}]))
        .await;
    assert_eq!(status_of(&app, &user, "/api/v1/projects/a/mcptokens/ci").await, StatusCode::OK);
    assert_eq!(status_of(&app, &user, "/api/v1/projects/b/mcptokens/ci").await, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, &user, "/api/v1/mcptokens/ci").await, StatusCode::FORBIDDEN);
    let listed = app.call_as(Some(&user), Method::GET, "/api/v1/projects/a/mcptokens", None).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "{}", listed.text);
    let listed = app.call_as(Some(&user), Method::GET, "/api/v1/projects/b/mcptokens", None).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(0), "{}", listed.text);
    // Names say nothing about other projects: a missing one lists as empty too.
    let listed = app.call_as(Some(&user), Method::GET, "/api/v1/projects/missing/mcptokens", None).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(0), "{}", listed.text);
    // A bare name is the global token of that name, and only that one.
    app.grant(
        "tok-global",
        &["User:tok@example.com"],
        json!([{"role": "view", "resource": "mcptokens", "name": "ci"}]),
    )
    .await;
    assert_eq!(status_of(&app, &user, "/api/v1/mcptokens/ci").await, StatusCode::OK);
    assert_eq!(status_of(&app, &user, "/api/v1/projects/b/mcptokens/ci").await, StatusCode::FORBIDDEN);
}

async fn nobody_can_lock_everyone_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.delete("/api/v1/rbacdefinitions/admin").await;
    reply.assert_status(409, "Conflict");
    assert!(reply.text.contains("cannot be deleted"), "{}", reply.text);
    let reply = app.delete(&format!("/api/v1/users/{}", testkit::ADMIN_EMAIL)).await;
    reply.assert_status(409, "Conflict");
    assert!(reply.text.contains("no existing user"), "{}", reply.text);
    let mut admin = app.get("/api/v1/rbacdefinitions/admin").await.body;
    admin["spec"]["subjects"] = json!(["Group:nobody"]);
    app.put("/api/v1/rbacdefinitions/admin", admin.clone()).await.assert_status(409, "Conflict");
    let applied = app.apply("", vec![admin.clone()]).await;
    assert_eq!(applied.body["items"][0]["error"]["code"], 409, "{}", applied.text);
    admin["spec"]["subjects"] = json!([format!("User:{}", testkit::ADMIN_EMAIL)]);
    admin["spec"]["roleBindings"] = json!([{"role": "view", "resource": "*"}]);
    app.put("/api/v1/rbacdefinitions/admin", admin.clone()).await.assert_status(409, "Conflict");
    assert_eq!(app.get("/api/v1/rbacdefinitions/admin").await.body["spec"]["roleBindings"][0]["role"], "edit");

    // Through a group with another member, the first admin may go.
    app.user("second@example.com", "password-123").await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Group", "metadata": {"name": "ops"},
                      "spec": {"members": ["second@example.com"]}}))
        .await;
    admin["spec"]["subjects"] = json!([format!("User:{}", testkit::ADMIN_EMAIL), "Group:ops"]);
    admin["spec"]["roleBindings"] = json!([{"role": "edit", "resource": "*"}, {"role": "run", "action": "*"}]);
    admin["metadata"]["resourceVersion"] = Value::Null;
    assert_eq!(app.put("/api/v1/rbacdefinitions/admin", admin).await.status, StatusCode::OK);
    let mut ops = app.get("/api/v1/groups/ops").await.body;
    ops["spec"]["members"] = json!([]);
    let second_admin = app.login("second@example.com", "password-123").await;
    assert_eq!(
        app.call_as(Some(&second_admin), Method::DELETE, &format!("/api/v1/users/{}", testkit::ADMIN_EMAIL), None)
            .await
            .status,
        StatusCode::OK
    );
    // Now the group is the only way in: emptying it is refused.
    app.call_as(Some(&second_admin), Method::PUT, "/api/v1/groups/ops", Some(ops)).await.assert_status(409, "Conflict");
}

/// A database where an earlier mcpd let the rule break stays manageable: only changes that
/// break it are refused, not every change of a user, group or definition.
async fn a_database_without_the_admin_rule_stays_manageable(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("other@example.com", "password-123").await;
    // The admin's rights moved to another definition, and `admin` went.
    let everything = json!([{"role": "edit", "resource": "*"}, {"role": "run", "action": "*"}]);
    app.grant("operators", &[&format!("User:{}", testkit::ADMIN_EMAIL)], everything).await;
    sqlx::query("DELETE FROM objects WHERE kind = 'RbacDefinition' AND name = 'admin'")
        .execute(&mut sql(&app).await)
        .await
        .unwrap();
    let mut user = app.get("/api/v1/users/other@example.com").await.body;
    user["spec"]["displayName"] = json!("Other");
    let reply = app.put("/api/v1/users/other@example.com", user).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(app.delete("/api/v1/users/other@example.com").await.status, StatusCode::OK);
}

/// A signing key an earlier mcpd stored in clear may be in old backups: it is replaced.
async fn a_signing_key_stored_in_clear_is_replaced(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::database_url(backend, dir.path()).await;
    let config = testkit::config(database_url.clone(), dir.path());
    let (_, first) = testkit::start(&config).await;
    drop(first);
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&database_url).await.unwrap();
    let clear = "ab".repeat(32);
    sqlx::query("UPDATE settings SET value = $1 WHERE key = 'session_signing_key'")
        .bind(&clear)
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let (url, _stop) = testkit::start(&config).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({"iss": "mcpd", "aud": "mcpctl", "sub": testkit::ADMIN_EMAIL, "iat": now, "exp": now + 600,
                        "jti": "old-key", "iat_ms": (now + 60) * 1000});
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(clear.as_bytes()),
    )
    .unwrap();
    let reply =
        reqwest::Client::new().get(format!("{url}/api/v1/auth/whoami")).bearer_auth(forged).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
}

async fn a_panicking_handler_answers_500_and_the_daemon_serves_on(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = testkit::database_url(backend, dir.path()).await;
    let boom = axum::Router::new().route(
        "/test/panic",
        axum::routing::get(|| async {
            if std::hint::black_box(true) {
                panic!("a handler failed");
            }
            "unreachable"
        }),
    );
    let (url, _stop) = testkit::start_with_routes(&testkit::config(url, dir.path()), boom).await;
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let reply = http.get(format!("{url}/test/panic")).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body: Value = reply.json().await.unwrap();
        assert_eq!(body["reason"], "InternalError");
        assert!(body["requestId"].is_string(), "{body}");
        assert!(!body["message"].as_str().unwrap().contains("a handler failed"));
    }
    assert_eq!(http.get(format!("{url}/healthz")).send().await.unwrap().status(), StatusCode::OK);
}

async fn rotating_keys_never_undoes_a_concurrent_write(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::database_url(backend, dir.path()).await;
    let (old, new) = ("11".repeat(32), "22".repeat(32));
    // The daemon seals with the old key and opens with both; the rotation seals with the new.
    let mut serving = testkit::config(database_url.clone(), dir.path());
    serving.encryption_key = Some(old.clone());
    serving.encryption_old_keys = Some(new.clone());
    let (url, _stop) = testkit::start(&serving).await;
    let mut rotating = testkit::config(database_url, dir.path());
    rotating.encryption_key = Some(new);
    rotating.encryption_old_keys = Some(old);
    let http = reqwest::Client::new();
    let token = crate::helpers::admin_session(&http, &url).await;
    let secrets = 8;
    for i in 0..secrets {
        let reply = http
            .post(format!("{url}/api/v1/secrets"))
            .bearer_auth(&token)
            .json(&secret(&format!("s{i}"), json!({"k": "v0"})));
        assert_eq!(reply.send().await.unwrap().status(), StatusCode::CREATED);
    }
    let writers: Vec<_> = (0..secrets)
        .map(|i| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let mut last = "v0".to_owned();
                for n in 1..=25 {
                    let value = format!("v{n}");
                    let reply = http
                        .post(format!("{url}/api/v1/apply"))
                        .bearer_auth(&token)
                        .json(&json!({"items": [secret(&format!("s{i}"), json!({"k": value}))]}))
                        .send()
                        .await
                        .unwrap();
                    let body: Value = reply.json().await.unwrap();
                    if body["items"][0]["error"].is_null() {
                        last = value;
                    }
                }
                last
            })
        })
        .collect();
    let rotation = tokio::spawn(async move {
        let mut rounds = 0;
        for _ in 0..40 {
            mcpd::startup::rotate_key(&rotating).await.expect("rotation succeeds");
            rounds += 1;
        }
        rounds
    });
    let mut last = Vec::new();
    for w in writers {
        last.push(w.await.unwrap());
    }
    rotation.await.unwrap();
    for (i, value) in last.iter().enumerate() {
        let shown: Value = http
            .get(format!("{url}/api/v1/secrets/s{i}?showValues=true"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(&shown["spec"]["data"]["k"], value, "secret s{i} lost its last write");
    }
}

async fn an_answer_with_hundreds_of_causes_stays_a_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let labels: serde_json::Map<String, Value> =
        (0..400).map(|i| (format!("bad key {i} {}", "x".repeat(40)), json!("v"))).collect();
    let mut server = stdio_server("many", json!([]));
    server["metadata"]["labels"] = Value::Object(labels);
    let reply = app.post("/api/v1/servers", server).await;
    reply.assert_status(422, "Invalid");
    assert!(reply.body["requestId"].is_string(), "{}", reply.text);
    let causes = reply.body["details"]["causes"].as_array().unwrap();
    assert_eq!(causes.len(), shared::status::MAX_CAUSES);
    assert!(causes.last().unwrap()["message"].as_str().unwrap().contains("more causes are not listed"));
    assert!(reply.text.len() < 64 * 1024);
}

async fn a_token_never_outlives_its_project(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut issued = Vec::new();
    for round in 0..15 {
        app.create(project("p", &[])).await;
        let create = app.call_as(
            Some(&app.token),
            Method::POST,
            "/api/v1/projects/p/mcptokens",
            Some(token_manifest(&format!("t{round}"), json!({}))),
        );
        let (created, deleted) = tokio::join!(create, app.delete("/api/v1/projects/p"));
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
        if let Some(raw) = created.body["status"]["token"].as_str() {
            issued.push(raw.to_owned());
        }
    }
    // A new project of the same name is another project: no earlier token reaches it.
    app.create(project("p", &[])).await;
    assert!(app.names("projects").await.contains(&"p".to_owned()));
    let listed = app.get("/api/v1/projects/p/mcptokens").await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.text);
    for raw in &issued {
        assert_eq!(status_of(&app, raw, "/api/v1/auth/whoami").await, StatusCode::UNAUTHORIZED);
    }
}

async fn last_use_belongs_to_the_token_not_its_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let (first, _) = app.token_as(&app.token, None, "ci", json!({})).await;
    assert_eq!(status_of(&app, &first, "/api/v1/auth/whoami").await, StatusCode::OK);
    app.delete("/api/v1/mcptokens/ci").await;
    app.token_as(&app.token, None, "ci", json!({})).await;
    // The first token's use is written in the background; give it every chance to land.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let token = app.get("/api/v1/mcptokens/ci").await;
        assert_eq!(token.body["status"]["lastUsedAt"], Value::Null, "{}", token.text);
    }
}

async fn events_name_kinds_one_way_and_come_newest_first_on_request(backend: Backend) {
    let app = spawn_app(backend).await;
    app.apply("", vec![project("applied", &[])]).await;
    app.create(project("created", &[])).await;
    let events = app.events("?kind=projects").await;
    let verbs: Vec<&str> = events.iter().map(|e| e["verb"].as_str().unwrap()).collect();
    assert_eq!(verbs, ["apply", "create"]);
    for i in 0..7 {
        app.create(secret(&format!("s{i}"), json!({"k": "v"}))).await;
    }
    let newest = app.events("?kind=secrets&newestFirst=true&limit=3").await;
    let names: Vec<&str> = newest.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["s6", "s5", "s4"]);
}

async fn malformed_role_bindings_are_refused_with_their_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (json!({"role": "run", "action": "launch"}), "spec.roleBindings[0].action"),
        (json!({"role": "run", "action": "audit", "resource": "servers"}), "spec.roleBindings[0]"),
        (json!({"role": "run"}), "spec.roleBindings[0].action"),
        (json!({"role": "view"}), "spec.roleBindings[0].resource"),
        (json!({"role": "view", "resource": "serverz"}), "spec.roleBindings[0].resource"),
        (json!({"role": "edit", "resource": "*", "name": "x"}), "spec.roleBindings[0].name"),
        (json!({"role": "edit", "resource": "servers", "action": "audit"}), "spec.roleBindings[0].action"),
    ];
    for (binding, field) in cases {
        let reply =
            app.post("/api/v1/rbacdefinitions", rbac_manifest("r", &["User:a@example.com"], json!([binding]))).await;
        reply.assert_status(422, "Invalid");
        assert_eq!(reply.cause_fields(), [field], "{binding}: {}", reply.text);
        let reply = app.post("/api/v1/mcptokens", token_manifest("t", json!({"bindings": [binding]}))).await;
        reply.assert_status(422, "Invalid");
    }
    for subject in ["user:a@example.com", "User:not-an-email", "Group:Ops", "McpToken:abc", "Robot:x"] {
        let reply = app
            .post(
                "/api/v1/rbacdefinitions",
                rbac_manifest("r", &[subject], json!([{"role": "view", "resource": "servers"}])),
            )
            .await;
        reply.assert_status(422, "Invalid");
        assert_eq!(reply.cause_fields(), ["spec.subjects[0]"], "{subject}: {}", reply.text);
    }
    assert_eq!(app.names("rbacdefinitions").await, ["admin"]);
}

/// Audit events older than `--audit-retention` are pruned in the background; newer ones stay.
async fn audit_events_past_their_retention_are_pruned(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::database_url(backend, dir.path()).await;
    let mut config = testkit::config(database_url, dir.path());
    config.audit_retention = Duration::from_secs(3);
    let (url, _stop) = testkit::start(&config).await;
    let http = reqwest::Client::new();
    let token = crate::helpers::admin_session(&http, &url).await;
    let create = |name: &str| {
        http.post(format!("{url}/api/v1/secrets"))
            .bearer_auth(&token)
            .json(
                &json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": name}, "spec": {"data": {}}}),
            )
            .send()
    };
    let names = || async {
        let list: Value = http
            .get(format!("{url}/api/v1/events?kind=secrets"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["spec"]["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(create("old").await.unwrap().status(), 201);
    let started = Instant::now();
    while names().await.contains(&"old".to_owned()) {
        assert!(started.elapsed() < Duration::from_secs(10), "an event past its retention was kept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Pruned after its three seconds, not before.
    assert!(started.elapsed() >= Duration::from_secs(2), "pruned after {:?}", started.elapsed());
    assert_eq!(create("new").await.unwrap().status(), 201);
    assert_eq!(names().await, ["new"]);
}

backend_tests!(
        async:
        tokens_made_by_tokens_are_bounded_by_their_parent,
    the_session_signing_key_is_stored_sealed,
    password_change_guesses_are_throttled_and_audited,
    refused_credentials_are_audited_within_a_bound,
    failed_logins_of_quiet_accounts_are_forgotten,
    project_routes_authorize_before_telling_what_exists,
    introspection_answers_what_a_token_may_do_now,
    no_value_a_client_sent_is_echoed_in_an_error,
    request_ids_from_clients_are_kept_only_when_safe,
    a_token_binding_with_a_name_reaches_one_project,
    nobody_can_lock_everyone_out,
    a_panicking_handler_answers_500_and_the_daemon_serves_on,
    a_database_without_the_admin_rule_stays_manageable,
    a_signing_key_stored_in_clear_is_replaced,
    rotating_keys_never_undoes_a_concurrent_write,
    an_answer_with_hundreds_of_causes_stays_a_status,
    a_token_never_outlives_its_project,
    last_use_belongs_to_the_token_not_its_name,
    events_name_kinds_one_way_and_come_newest_first_on_request,
    malformed_role_bindings_are_refused_with_their_field,
    audit_events_past_their_retention_are_pruned,
);
