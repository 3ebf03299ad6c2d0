//! Probes, version, and Status answers for routes and methods that do not exist.

use reqwest::Method;
use testkit::Backend;

use crate::helpers::spawn_app;
use testkit::backend_tests;

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

/// Parses an exposition with the official Python client's OpenMetrics parser (installed by
/// scripts/test) and returns the family names, or the parser's complaint.
fn parse_with_prometheus_client(text: &str) -> Result<Vec<String>, String> {
    use std::io::Write;
    let python = std::env::var("MCPD_TEST_PYTHON")
        .expect("MCPD_TEST_PYTHON is not set: run the suite with scripts/test, which installs prometheus-client");
    let script = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families\n\
                  print('\\n'.join(f.name for f in text_string_to_metric_families(sys.stdin.read())))";
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

async fn metrics_are_valid_openmetrics_with_bounded_labels(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(crate::helpers::secret("very-secret-name", serde_json::json!({"k": "canary-value"}))).await;
    app.get("/api/v1/secrets/very-secret-name").await;
    app.get("/api/v1/servers/no-such-server").await;
    app.get("/no/such/route").await;
    app.call_as(Some("mcpctl_pat_notARealToken"), Method::GET, "/api/v1/servers", None).await;
    let response = app.http.get(format!("{}/metrics", app.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    for leak in ["very-secret-name", "no-such-server", "canary-value", "notARealToken", "/no/such/route", &app.token] {
        assert!(!text.contains(leak), "/metrics holds {leak:?}");
    }
    assert!(text.contains(r#"route="/api/v1/{plural}/{name}",method="GET",code="200""#), "{text}");
    assert!(text.contains(r#"route="unmatched""#), "{text}");
    let families = parse_with_prometheus_client(&text).unwrap_or_else(|e| panic!("not valid OpenMetrics: {e}\n{text}"));
    for family in [
        "mcpd_http_requests",
        "mcpd_http_request_duration_seconds",
        "mcpd_db_pool_connections",
        "mcpd_db_pool_acquire_seconds",
        "mcpd_auth_cache_lookups",
        "mcpd_audit_queue_depth",
        "mcpd_audit_dropped_events",
        "mcpd_watch_streams",
        "process_resident_memory_bytes",
        "process_cpu_seconds",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(families.iter().any(|f| f == family), "{family} missing from {families:?}");
    }
    assert!(text.contains(r#"mcpd_auth_cache_lookups_total{result="hit"}"#), "{text}");
}

async fn a_metrics_token_closes_metrics(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = testkit::database_url(backend, dir.path()).await;
    let mut config = testkit::config(url, dir.path());
    config.metrics_token = Some("scrape-secret".to_owned());
    let (url, _stop) = testkit::start(&config).await;
    let http = reqwest::Client::new();
    let refused = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let wrong = http.get(format!("{url}/metrics")).bearer_auth("scrape-secreT").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let allowed = http.get(format!("{url}/metrics")).bearer_auth("scrape-secret").send().await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert!(!allowed.text().await.unwrap().contains("scrape-secret"));
}

backend_tests!(
        async:
        metrics_are_valid_openmetrics_with_bounded_labels,
    a_metrics_token_closes_metrics,
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
        for route in mcpd::routes() {
            let plural = if route.path.contains("{project}") { "mcptokens" } else { "servers" };
            let path = route.path.replace("{plural}", plural);
            for method in route.methods() {
                let op = &doc["paths"][&path][method.as_str().to_lowercase()];
                assert!(op.is_object(), "{method} {path} is missing");
                assert!(op["responses"]["default"].is_object(), "{method} {path} documents no Status");
                assert!(op["operationId"].is_string());
            }
        }
    }

    backend_tests!(async: the_openapi_document_covers_every_route_and_the_status_error);
}
