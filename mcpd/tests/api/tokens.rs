//! McpTokens: format and checksum, hash-only storage, project confinement, revocation,
//! expiry, the creator's rights, immutability and introspection.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::Backend;

use crate::helpers::{project, spawn_app, stdio_server, TestApp};
use testkit::backend_tests;

async fn status_with(app: &TestApp, bearer: &str, path: &str) -> u16 {
    app.call_as(Some(bearer), Method::GET, path, None).await.status.as_u16()
}

async fn introspect(app: &TestApp, bearer: &str, token: &str) -> (u16, Value) {
    let reply =
        app.call_as(Some(bearer), Method::POST, "/api/v1/mcptokens/introspect", Some(json!({"token": token}))).await;
    (reply.status.as_u16(), reply.body)
}

async fn tokens_are_well_formed_and_stored_only_as_hashes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (raw, created) =
        app.token_as(&app.token, None, "ci", json!({"bindings": [{"role": "view", "resource": "servers"}]})).await;
    assert!(shared::token::is_well_formed(&raw), "{raw}");
    assert!(raw.starts_with("mcpctl_pat_") && raw.len() >= 11 + 27 + 6);
    assert_eq!(created["status"]["prefix"], &raw[..15]);
    assert_eq!(created["status"]["state"], "active");
    assert_eq!(status_with(&app, &raw, "/api/v1/servers").await, 200);

    // Shown once: never again in get, list or the audit trail.
    let fetched = app.get("/api/v1/mcptokens/ci").await;
    assert!(!fetched.text.contains(&raw) && fetched.body["status"].get("token").is_none());
    assert!(!app.get("/api/v1/mcptokens").await.text.contains(&raw));
    assert!(!app.get("/api/v1/events").await.text.contains(&raw));
    let dump = app.dump();
    assert!(!dump.contains(&raw), "the raw token is in the database");
    assert!(dump.contains(created["status"]["sha256"].as_str().unwrap()), "the dump holds the hash");

    // One changed character fails the checksum: refused like any unknown token.
    let mut bytes = raw.clone().into_bytes();
    let i = bytes.len() - 10;
    bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
    let mistyped = String::from_utf8(bytes).unwrap();
    assert!(!shared::token::is_well_formed(&mistyped));
    assert_eq!(status_with(&app, &mistyped, "/api/v1/servers").await, 401);
    assert_eq!(status_with(&app, &raw[..raw.len() - 1], "/api/v1/servers").await, 401);
}

async fn a_project_token_reaches_only_its_project(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(stdio_server("mine", json!([]))).await;
    app.create(stdio_server("theirs", json!([]))).await;
    app.create(project("demo", &["mine"])).await;
    app.create(project("other", &["theirs"])).await;
    let bindings = json!({"bindings": [{"role": "view", "resource": "*"}]});
    let (raw, _) = app.token_as(&app.token, Some("demo"), "gw", bindings).await;

    assert_eq!(status_with(&app, &raw, "/api/v1/projects/demo").await, 200);
    assert_eq!(status_with(&app, &raw, "/api/v1/servers/mine").await, 200);
    assert_eq!(status_with(&app, &raw, "/api/v1/projects/demo/servers").await, 200);
    assert_eq!(status_with(&app, &raw, "/api/v1/projects/demo/mcptokens").await, 200);
    for path in [
        "/api/v1/projects/other",
        "/api/v1/servers/theirs",
        "/api/v1/projects/other/servers",
        "/api/v1/projects/other/mcptokens",
        "/api/v1/secrets",
        "/api/v1/users",
        "/api/v1/mcptokens",
    ] {
        assert_eq!(status_with(&app, &raw, path).await, 403, "{path}");
    }
    let listed = app.call_as(Some(&raw), Method::GET, "/api/v1/servers", None).await;
    let names: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["mine"]);
    // Deleting the project deletes its tokens.
    app.delete("/api/v1/projects/demo").await;
    assert_eq!(status_with(&app, &raw, "/api/v1/servers/mine").await, 401);
}

async fn revoked_expired_and_orphaned_tokens_stop_working(backend: Backend) {
    let app = spawn_app(backend).await;
    let view = json!({"bindings": [{"role": "view", "resource": "servers"}]});
    let (raw, _) = app.token_as(&app.token, None, "revoke-me", view.clone()).await;
    assert_eq!(status_with(&app, &raw, "/api/v1/servers").await, 200);
    assert_eq!(app.delete("/api/v1/mcptokens/revoke-me").await.status, 200);
    assert_eq!(status_with(&app, &raw, "/api/v1/servers").await, 401);

    // Expiry: a token created to expire in two seconds is refused once it has.
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let at = soon.format(&time::format_description::well_known::Rfc3339).unwrap();
    let (short, _) =
        app.token_as(&app.token, None, "short", json!({"bindings": view["bindings"], "expiresAt": at})).await;
    assert_eq!(status_with(&app, &short, "/api/v1/servers").await, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_with(&app, &short, "/api/v1/servers").await != 401 {
        assert!(Instant::now() < deadline, "an expired token still works");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/api/v1/mcptokens/short").await.body["status"]["state"], "expired");
    let reply = app
        .post(
            "/api/v1/mcptokens",
            json!({"apiVersion": "mcpctl/v1", "kind": "McpToken",
        "metadata": {"name": "past"}, "spec": {"expiresAt": "2020-01-01T00:00:00Z"}}),
        )
        .await;
    reply.assert_status(422, "Invalid");

    // The creator's rights bound the token: removing them, or the creator, ends it.
    let creator = app.user("maker@example.com", "password-123").await;
    app.grant(
        "maker",
        &["User:maker@example.com"],
        json!([{"role": "edit", "resource": "servers"}, {"role": "edit", "resource": "mcptokens"}]),
    )
    .await;
    let (made, _) =
        app.token_as(&creator, None, "made", json!({"bindings": [{"role": "edit", "resource": "servers"}]})).await;
    assert_eq!(status_with(&app, &made, "/api/v1/servers").await, 200);
    let mut narrowed = app.get("/api/v1/rbacdefinitions/maker").await.body;
    narrowed["spec"]["roleBindings"] = json!([{"role": "edit", "resource": "mcptokens"}]);
    assert_eq!(app.put("/api/v1/rbacdefinitions/maker", narrowed).await.status, 200);
    assert_eq!(status_with(&app, &made, "/api/v1/servers").await, 403);
    assert_eq!(app.delete("/api/v1/users/maker@example.com").await.status, 200);
    assert_eq!(status_with(&app, &made, "/api/v1/servers").await, 401);
    let orphan = app.get("/api/v1/mcptokens/made").await;
    assert_eq!(orphan.body["status"]["state"], "revoked", "{}", orphan.text);
    assert!(orphan.body["status"]["revokedAt"].is_string());
}

async fn tokens_are_immutable_and_apply_reports_them_unchanged(backend: Backend) {
    let app = spawn_app(backend).await;
    let manifest = json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": "ci"},
        "spec": {"description": "ci", "ttl": "30d", "bindings": [{"role": "view", "resource": "servers"}]}});
    let first = app.apply("", vec![manifest.clone()]).await;
    assert_eq!(first.body["items"][0]["action"], "created", "{}", first.text);
    let raw = first.body["items"][0]["token"].as_str().unwrap().to_owned();
    assert!(shared::token::is_well_formed(&raw));
    let again = app.apply("", vec![manifest.clone()]).await;
    assert_eq!(again.body["items"][0]["action"], "unchanged");
    assert!(again.body["items"][0].get("token").is_none());
    let round_trip = app.get("/api/v1/mcptokens/ci").await.body;
    assert_eq!(app.apply("", vec![round_trip]).await.body["items"][0]["action"], "unchanged");
    let mut changed = manifest;
    changed["spec"]["description"] = json!("other");
    let reply = app.apply("", vec![changed]).await;
    assert_eq!(reply.body["items"][0]["error"]["reason"], "Invalid");
    assert!(reply.text.contains("delete it and create it again"), "{}", reply.text);
    let expires = app.get("/api/v1/mcptokens/ci").await.body["status"]["expiresAt"].as_str().unwrap().to_owned();
    let days = (time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339).unwrap()
        - time::OffsetDateTime::now_utc())
    .whole_days();
    assert!((29..=30).contains(&days), "{expires}");
}

async fn introspection_answers_for_gateways(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(project("demo", &[])).await;
    let (gw, _) = app
        .token_as(&app.token, Some("demo"), "gw", json!({"bindings": [{"role": "view", "resource": "servers"}]}))
        .await;
    let (other, _) = app.token_as(&app.token, None, "other", json!({})).await;
    let (checker, _) =
        app.token_as(&app.token, None, "checker", json!({"bindings": [{"role": "run", "action": "introspect"}]})).await;

    let (code, me) = introspect(&app, &gw, &gw).await;
    assert_eq!(code, 200);
    assert_eq!(me["active"], true);
    assert_eq!(me["project"], "demo");
    assert_eq!(me["tokenName"], "gw");
    assert_eq!(me["sub"], testkit::ADMIN_EMAIL);
    assert!(me["iat"].is_i64() && me["scope"] == "view:servers");

    assert_eq!(introspect(&app, &gw, &other).await.0, 403, "introspecting another token needs run introspect");
    let (code, seen) = introspect(&app, &checker, &gw).await;
    assert_eq!((code, &seen["active"]), (200, &json!(true)));
    for inactive in ["", "garbage", "mcpctl_pat_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &gw[..gw.len() - 1]] {
        assert_eq!(introspect(&app, &checker, inactive).await, (200, json!({"active": false})), "{inactive:?}");
    }
    app.delete("/api/v1/projects/demo/mcptokens/gw").await;
    assert_eq!(introspect(&app, &checker, &gw).await, (200, json!({"active": false})));
}

async fn logins_are_throttled_per_account_after_five_failures(backend: Backend) {
    let app = spawn_app(backend).await;
    app.user("victim@example.com", "password-123").await;
    let attempt = |password: &'static str| {
        let app = &app;
        async move {
            let reply = app
                .call_as(
                    None,
                    Method::POST,
                    "/api/v1/auth/login",
                    Some(json!({"email": "victim@example.com", "password": password})),
                )
                .await;
            reply
        }
    };
    // The first lock lasts one second: on a loaded machine the right password may arrive
    // after it; it then logs in (which clears the failures), and the sequence starts again.
    let mut tries = 0;
    let response = loop {
        tries += 1;
        for _ in 0..5 {
            attempt("wrong").await.assert_status(401, "Unauthorized");
        }
        let locked_at = std::time::Instant::now();
        let response = app
            .http
            .post(format!("{}/api/v1/auth/login", app.url))
            .json(&json!({"email": "victim@example.com", "password": "password-123"}))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::OK && locked_at.elapsed() >= std::time::Duration::from_secs(1) && tries < 5
        {
            continue;
        }
        break response;
    };
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
    // Other accounts are not affected, and unknown accounts are throttled alike.
    assert!(!app.login(testkit::ADMIN_EMAIL, testkit::ADMIN_PASSWORD).await.is_empty());
    for _ in 0..5 {
        app.call_as(
            None,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": "ghost@example.com", "password": "x"})),
        )
        .await
        .assert_status(401, "Unauthorized");
    }
    app.call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"email": "ghost@example.com", "password": "x"})))
        .await
        .assert_status(429, "TooManyRequests");
    let failures = app.events("?principal=victim%40example.com").await;
    assert_eq!(failures.iter().filter(|e| e["verb"] == "login" && e["code"] == 401).count(), 5);
}

async fn users_change_their_own_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let bearer = app.user("u@example.com", "password-123").await;
    let change = |current: &str, new: &str| json!({"currentPassword": current, "newPassword": new});
    let reply = app
        .call_as(Some(&bearer), Method::POST, "/api/v1/auth/password", Some(change("nope-nope", "new-password-1")))
        .await;
    reply.assert_status(403, "Forbidden");
    let reply =
        app.call_as(Some(&bearer), Method::POST, "/api/v1/auth/password", Some(change("password-123", "short"))).await;
    reply.assert_status(422, "Invalid");
    let reply = app
        .call_as(Some(&bearer), Method::POST, "/api/v1/auth/password", Some(change("password-123", "new-password-1")))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    // A new password ends every session issued before it.
    app.call_as(Some(&bearer), Method::GET, "/api/v1/auth/whoami", None).await.assert_status(401, "Unauthorized");
    let second = app.login("u@example.com", "new-password-1").await;
    // The admin sets anyone's password with the user's manifest.
    let mut user = app.get("/api/v1/users/u@example.com").await.body;
    assert!(user["spec"].get("password").is_none(), "passwords are write-only");
    user["spec"]["password"] = json!("admin-set-pass");
    let reply = app.apply("", vec![user.clone()]).await;
    assert_eq!(reply.body["items"][0]["action"], "configured");
    app.call_as(Some(&second), Method::GET, "/api/v1/auth/whoami", None).await.assert_status(401, "Unauthorized");
    // A given password is set again rather than compared: apply is no password oracle.
    assert_eq!(app.apply("?dryRun=true", vec![user.clone()]).await.body["items"][0]["action"], "configured");
    user["spec"].as_object_mut().unwrap().remove("password");
    assert_eq!(app.apply("", vec![user]).await.body["items"][0]["action"], "unchanged");
    app.login("u@example.com", "admin-set-pass").await;
    assert!(!app.dump().contains("admin-set-pass"), "passwords are stored only as hashes");
    // A deleted user's sessions stay void when the email is used again.
    let third = app.login("u@example.com", "admin-set-pass").await;
    assert_eq!(app.delete("/api/v1/users/u@example.com").await.status, 200);
    app.user("u@example.com", "password-456").await;
    app.call_as(Some(&third), Method::GET, "/api/v1/auth/whoami", None).await.assert_status(401, "Unauthorized");
}

async fn every_change_and_denial_is_audited_without_secrets(backend: Backend) {
    let app = spawn_app(backend).await;
    let canary = "canary-value-9931";
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {"data": {"k": canary}}})).await;
    let mut s = app.get("/api/v1/secrets/s").await.body;
    s["metadata"]["labels"] = json!({"a": "b"});
    app.put("/api/v1/secrets/s", s).await;
    app.apply("?dryRun=true", vec![stdio_server("dry", json!([]))]).await;
    app.apply("", vec![stdio_server("real", json!([]))]).await;
    app.delete("/api/v1/servers/real").await;
    let nobody = app.user("nobody@example.com", "password-123").await;
    app.call_as(Some(&nobody), Method::GET, "/api/v1/secrets/s", None).await;
    app.call_as(
        None,
        Method::POST,
        "/api/v1/auth/login",
        Some(json!({"email": "nobody@example.com", "password": "bad-password"})),
    )
    .await;

    let events = app.events("").await;
    let has = |verb: &str, kind: &str, name: &str, code: i64| {
        events.iter().any(|e| e["verb"] == verb && e["kind"] == kind && e["name"] == name && e["code"] == code)
    };
    assert!(has("create", "secrets", "s", 201));
    assert!(has("update", "secrets", "s", 200));
    assert!(has("apply", "servers", "real", 200));
    assert!(events.iter().any(|e| e["verb"] == "apply" && e["name"] == "dry" && e["dryRun"] == true));
    assert!(has("delete", "servers", "real", 200));
    assert!(has("get", "secrets", "s", 403), "denials are recorded");
    assert!(events.iter().any(|e| e["verb"] == "login" && e["principal"] == "nobody@example.com" && e["code"] == 200));
    assert!(events.iter().any(|e| e["verb"] == "login" && e["principal"] == "nobody@example.com" && e["code"] == 401));
    let text = serde_json::to_string(&events).unwrap();
    for secret in [canary, "password-123", "bad-password", testkit::ADMIN_PASSWORD, &app.token] {
        assert!(!text.contains(secret), "an event holds a secret");
    }
    // Filters by principal, kind, name and time.
    let only = app.events("?principal=nobody%40example.com&kind=secrets").await;
    assert!(only.len() == 1 && only[0]["code"] == 403, "{only:?}");
    // Applied and deleted: both under the plural, whichever route wrote them.
    let real: Vec<Value> = app.events("?name=real&kind=servers").await;
    assert_eq!(real.iter().map(|e| e["verb"].as_str().unwrap()).collect::<Vec<_>>(), ["apply", "delete"]);
    assert!(app.events("?since=2999-01-01T00:00:00Z").await.is_empty());
    app.get("/api/v1/events?since=yesterday").await.assert_status(400, "BadRequest");
    let reply = app.post("/api/v1/events", json!({})).await;
    reply.assert_status(405, "MethodNotAllowed");
}

backend_tests!(
        async:
        tokens_are_well_formed_and_stored_only_as_hashes,
    a_project_token_reaches_only_its_project,
    revoked_expired_and_orphaned_tokens_stop_working,
    tokens_are_immutable_and_apply_reports_them_unchanged,
    introspection_answers_for_gateways,
    logins_are_throttled_per_account_after_five_failures,
    users_change_their_own_password,
    every_change_and_denial_is_audited_without_secrets,
);

mod login_input {
    use super::*;

    async fn malformed_emails_are_refused_before_anything_is_recorded(backend: Backend) {
        let app = spawn_app(backend).await;
        let long = format!("{}@x", "a".repeat(300));
        for email in ["not an email", long.as_str(), "my-password-typed-here"] {
            let reply = app
                .call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"email": email, "password": "x"})))
                .await;
            reply.assert_status(422, "Invalid");
            assert!(!reply.text.contains(email));
        }
        let logins = app.events("?kind=sessions").await;
        assert!(logins.iter().all(|e| e["principal"] == testkit::ADMIN_EMAIL), "{logins:?}");
    }

    async fn parallel_guesses_do_not_slip_past_the_throttle(backend: Backend) {
        let app = spawn_app(backend).await;
        app.user("target@example.com", "password-123").await;
        let guesses = (0..12).map(|i| {
            let app = &app;
            async move {
                let body = json!({"email": "target@example.com", "password": format!("guess-{i}")});
                app.call_as(None, Method::POST, "/api/v1/auth/login", Some(body)).await.status.as_u16()
            }
        });
        let started = Instant::now();
        let codes = futures_util::future::join_all(guesses).await;
        // Five guesses are judged; after that the account waits 1 s, then 2 s, 4 s...: a slow
        // machine may judge one more guess per window that passed, never all twelve.
        let windows = 1 + started.elapsed().as_secs_f64().log2().max(0.0).ceil() as usize;
        let judged = codes.iter().filter(|c| **c == 401).count();
        assert!((5..=5 + windows).contains(&judged), "{codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == 429).count(), 12 - judged, "{codes:?}");
    }

    backend_tests!(
        async:
        malformed_emails_are_refused_before_anything_is_recorded,
        parallel_guesses_do_not_slip_past_the_throttle
    );
}
