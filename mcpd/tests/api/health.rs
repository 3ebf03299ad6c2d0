//! Probes, version, and Status answers for routes and methods that do not exist.

use mcpd::testing::Backend;
use reqwest::Method;

use crate::backend_tests;
use crate::helpers::spawn_app;

async fn probes_answer_when_the_database_is_ready(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/healthz").await.body["status"], "ok");
    assert_eq!(app.get("/readyz").await.body["status"], "ready");
    let version = app.get("/version").await;
    assert_eq!(version.body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(version.body["apiVersion"], "mcpctl/v1");
}

async fn unknown_routes_kinds_and_methods_get_status_bodies(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get("/nope").await.assert_status(404, "NotFound");
    app.get("/api/v1/pods").await.assert_status(404, "NotFound");
    app.get("/api/v1/pods/x").await.assert_status(404, "NotFound");
    app.call(Method::PATCH, "/api/v1/servers", None).await.assert_status(405, "MethodNotAllowed");
    app.call(Method::POST, "/healthz", None).await.assert_status(405, "MethodNotAllowed");
}

async fn responses_carry_security_headers_and_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.http.get(format!("{}/api/v1/servers", app.url)).send().await.unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let id = headers["x-request-id"].to_str().unwrap().to_owned();
    assert!(!id.is_empty());
    // Error bodies carry the same id; a client's own id is kept.
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["requestId"], id.as_str());
    let mine = app.http.get(format!("{}/nope", app.url)).header("x-request-id", "trace-me-42").send().await.unwrap();
    assert_eq!(mine.headers()["x-request-id"], "trace-me-42");
    let body: serde_json::Value = mine.json().await.unwrap();
    assert_eq!(body["requestId"], "trace-me-42");
}

backend_tests!(
    probes_answer_when_the_database_is_ready,
    unknown_routes_kinds_and_methods_get_status_bodies,
    responses_carry_security_headers_and_a_request_id,
);

mod openapi {
    use super::*;

    async fn the_openapi_document_covers_every_route_and_the_status_error(backend: Backend) {
        let app = spawn_app(backend).await;
        let reply = app.call_as(None, Method::GET, "/openapi.json", None).await;
        assert_eq!(reply.status, 200);
        let doc = reply.body;
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["components"]["schemas"]["Status"].is_object());
        for route in mcpd::http::routes() {
            let plural = if route.path.contains("{project}") { "mcptokens" } else { "servers" };
            let path = route.path.replace("{plural}", plural);
            for method in route.methods {
                let op = &doc["paths"][&path][method.as_str().to_lowercase()];
                assert!(op.is_object(), "{method} {path} is missing");
                assert!(op["responses"]["default"].is_object(), "{method} {path} documents no Status");
                assert!(op["operationId"].is_string());
            }
        }
    }

    backend_tests!(the_openapi_document_covers_every_route_and_the_status_error);
}
