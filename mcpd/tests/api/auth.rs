//! Authentication: bearer required everywhere under /api/v1, login, logout, forged sessions.

use reqwest::Method;
use serde_json::json;
use testkit::Backend;

use crate::helpers::{secret, spawn_app};
use testkit::backend_tests;

async fn every_api_route_refuses_a_missing_or_bad_bearer(backend: Backend) {
    let app = spawn_app(backend).await;
    let routes = [
        (Method::GET, "/api/v1/servers"),
        (Method::POST, "/api/v1/servers"),
        (Method::GET, "/api/v1/secrets/x"),
        (Method::PUT, "/api/v1/projects/x"),
        (Method::DELETE, "/api/v1/projects/x"),
        (Method::POST, "/api/v1/apply"),
        (Method::GET, "/api/v1/projects/x/servers"),
        (Method::GET, "/api/v1/auth/whoami"),
        (Method::POST, "/api/v1/auth/logout"),
    ];
    for (method, path) in routes {
        for token in [None, Some("garbage"), Some("mcpctl_pat_notreal")] {
            app.call_as(token, method.clone(), path, Some(json!({}))).await.assert_status(401, "Unauthorized");
        }
    }
    // The refused write wrote nothing.
    assert!(app.names("servers").await.is_empty());
}

async fn sessions_signed_otherwise_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let payload = app.token.split('.').nth(1).unwrap();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let other_key = {
        let claims: serde_json::Value = json!({"iss": "mcpd", "aud": "mcpctl", "sub": testkit::ADMIN_EMAIL,
            "iat": 0, "exp": 4102444800i64, "jti": "x"});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"guess"),
        )
        .unwrap()
    };
    let tampered = format!("{}x", app.token);
    for token in [alg_none, other_key, tampered] {
        app.call_as(Some(&token), Method::GET, "/api/v1/auth/whoami", None).await.assert_status(401, "Unauthorized");
    }
}

async fn login_answers_alike_for_unknown_user_and_wrong_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong_password = app
        .call_as(
            None,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": testkit::ADMIN_EMAIL, "password": "nope"})),
        )
        .await;
    let unknown_user = app
        .call_as(
            None,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": "who@example.com", "password": "nope"})),
        )
        .await;
    wrong_password.assert_status(401, "Unauthorized");
    // The same answer, but for the request id each carries.
    let without_id = |body: &serde_json::Value| {
        let mut body = body.clone();
        body.as_object_mut().unwrap().remove("requestId");
        body
    };
    assert_eq!(without_id(&wrong_password.body), without_id(&unknown_user.body));
    assert!(!wrong_password.text.contains("nope"));
}

async fn login_whoami_and_logout_round_trip(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.get("/api/v1/auth/whoami").await;
    assert_eq!(me.body["name"], testkit::ADMIN_EMAIL);
    assert_eq!(me.body["via"], "session");
    let logout = app.call(Method::POST, "/api/v1/auth/logout", None).await;
    assert_eq!(logout.status, 204);
    app.get("/api/v1/auth/whoami").await.assert_status(401, "Unauthorized");
    app.post("/api/v1/secrets", secret("s", json!({"k": "v"}))).await.assert_status(401, "Unauthorized");
}

async fn login_bodies_are_checked_strictly(backend: Backend) {
    let app = spawn_app(backend).await;
    let reply = app.call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"email": "a@b"}))).await;
    reply.assert_status(422, "Invalid");
    let reply = app
        .call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"email": "a@b", "password": "x", "extra": 1})))
        .await;
    reply.assert_status(422, "Invalid");
    assert_eq!(reply.cause_fields(), ["extra"]);
}

backend_tests!(
        async:
        every_api_route_refuses_a_missing_or_bad_bearer,
    sessions_signed_otherwise_are_refused,
    login_answers_alike_for_unknown_user_and_wrong_password,
    login_whoami_and_logout_round_trip,
    login_bodies_are_checked_strictly,
);
