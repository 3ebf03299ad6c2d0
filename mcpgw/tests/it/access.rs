//! Who may connect: 401 and 403 with a challenge and a reason, and revocation that reaches
//! open sessions within a second.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::Backend;

use crate::harness::{everything_server, marker, project, Driver, Mcpd};

testkit::backend_tests!(async: credentials_are_checked_on_every_request, revocation_reaches_open_sessions_within_a_second);

async fn post(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn refused(url: &str, token: Option<&str>, code: u16) -> String {
    let response = post(url, token).await;
    assert_eq!(response.status().as_u16(), code, "{token:?}");
    let challenge = response.headers().get("www-authenticate").expect("a challenge").to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code);
    body["message"].as_str().unwrap().to_owned()
}

async fn credentials_are_checked_on_every_request(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("credentials");
    mcpd.apply(vec![
        everything_server("every", &m, json!([])),
        project("demo", &["every"]),
        project("other", &["every"]),
    ])
    .await;
    let demo = mcpd.project_token("demo", "demo-client").await;
    let other = mcpd.project_token("other", "other-client").await;
    let revoked = mcpd.project_token("demo", "gone").await;
    mcpd.revoke(Some("demo"), "gone").await;
    // A global token that may view everything but not connect.
    let viewer = mcpd.token("viewer", None, json!([{"role": "view", "resource": "*"}])).await;
    // A global token that may connect to demo only.
    let one = mcpd.token("one", None, json!([{"role": "run", "action": "connect", "name": "demo"}])).await;
    let gateway = mcpd.gateway(&[]).await;
    let url = gateway.endpoint("demo");

    let missing = refused(&url, None, 401).await;
    assert!(missing.contains("Bearer"), "{missing}");
    // A path that is not the endpoint: 404 with a Status body that says where it is.
    for (path, hint) in [
        ("/projects/demo/mcp/", "no trailing slash: /projects/demo/mcp"),
        ("/projects/demo", "the gateway serves /projects/{project}/mcp"),
    ] {
        let answer = post(&format!("{}{path}", gateway.base), Some(&demo)).await;
        assert_eq!(answer.status().as_u16(), 404, "{path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["reason"], "NotFound", "{path}");
        assert!(body["message"].as_str().unwrap().contains(hint), "{path}: {body}");
    }
    refused(&url, Some("mcpctl_pat_not-a-real-token"), 401).await;
    refused(&url, Some(&revoked), 401).await;
    let elsewhere = refused(&url, Some(&other), 403).await;
    assert!(elsewhere.contains("demo"), "{elsewhere}");
    refused(&url, Some(&viewer), 403).await;
    refused(&gateway.endpoint("other"), Some(&one), 403).await;
    // The gateway's own credential serves; it does not connect.
    let own = std::fs::read_to_string(mcpd.gateway_token()).unwrap();
    refused(&url, Some(own.trim()), 403).await;
    // A project nobody created.
    assert_eq!(post(&gateway.endpoint("nowhere"), Some(&one)).await.status(), 403);

    for token in [&demo, &one] {
        let response = post(&url, Some(token)).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    // A session is bound to the credential that opened it.
    let opened = post(&url, Some(&demo)).await;
    let session = opened.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let hijack = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&one)
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Session-Id", &session)
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(hijack.status(), 403);
    let text = hijack.text().await.unwrap();
    assert!(text.contains("another credential"), "{text}");
    // Its event stream and its end as well.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let other = reqwest::Client::new()
            .request(method.clone(), &url)
            .bearer_auth(&one)
            .header("Accept", "text/event-stream")
            .header("Mcp-Session-Id", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 403, "{method}");
    }
    assert!(!gateway.log().contains(&demo), "a client's token reached the log");

    // Hostile bodies get clear errors, and the gateway serves on.
    let send = |body: Vec<u8>| {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth(&demo)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(body)
            .send()
    };
    let huge = send(vec![b' '; 5 * 1024 * 1024]).await.unwrap();
    assert_eq!(huge.status(), 413);
    let garbage = send(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\"".to_vec()).await.unwrap();
    assert!(garbage.status().is_client_error(), "{}", garbage.status());
    assert_eq!(post(&url, Some(&demo)).await.status(), 200);
}

async fn revocation_reaches_open_sessions_within_a_second(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("revocation");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "soon-gone").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    assert_eq!(client.call_text("every__echo", json!({"message": "before"})).await, "Echo: before");

    mcpd.revoke(Some("demo"), "soon-gone").await;
    let revoked = Instant::now();
    loop {
        let answer = client.call("every__echo", json!({"message": "after"})).await;
        if answer.get("error").is_some() {
            break;
        }
        assert!(revoked.elapsed() < Duration::from_secs(3), "still served after revocation: {answer}");
    }
    let took = revoked.elapsed();
    assert!(took < Duration::from_secs(1), "refused only after {took:?}");
    client.close().await;
}
