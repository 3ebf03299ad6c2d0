//! Client sessions at the endpoint: capped per credential (429) and in total (503), each bound
//! to its credential for exactly as long as it lives, ended with 204 (404 for one that does
//! not exist), and ended with every stream its credential holds within a second of that
//! credential's revocation, its upstream processes with it.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use testkit::Backend;

use crate::harness::{everything_server, marker, processes_with, project, within, Mcpd, Raw};

testkit::backend_tests!(async: a_revoked_credential_loses_its_open_streams_and_sessions_within_a_second);

/// A stateless (2026-07-28) client has no session to end: its state, and the upstream
/// processes it holds, end when its credential is revoked.
#[tokio::test]
async fn a_stateless_clients_state_ends_with_its_credential() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    let m = marker("stateless-revoked");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let gateway = mcpd.gateway(&[]).await;
    let token = mcpd.project_token("demo", "stateless").await;
    let mut client = crate::harness::Driver::connect(&gateway.endpoint("demo"), &token, "2026-07-28").await;
    assert_eq!(client.call_text("every__echo", json!({"message": "hi"})).await, "Echo: hi");
    assert_eq!(processes_with(&m).len(), 1);
    mcpd.revoke(Some("demo"), "stateless").await;
    let reaped = within(Duration::from_secs(3), || async { processes_with(&m).is_empty() }).await;
    assert!(reaped.is_some(), "a revoked stateless client's upstream process still runs");
    client.close().await;
}

#[tokio::test]
async fn sessions_are_capped_per_credential_and_in_total_and_end_with_204() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    let m = marker("caps");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let gateway = mcpd.gateway(&["--max-sessions-per-credential", "3", "--max-sessions", "5"]).await;
    let url = gateway.endpoint("demo");
    let a = Raw::new(&url, &mcpd.project_token("demo", "a").await);
    let b = Raw::new(&url, &mcpd.project_token("demo", "b").await);
    let c = Raw::new(&url, &mcpd.project_token("demo", "c").await);

    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(a.initialize().await.expect("a session"));
    }
    let refused = a.initialize().await.expect_err("a fourth session");
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body = refused.text().await.unwrap();
    assert!(body.contains("--max-sessions-per-credential"), "{body}");
    // Other requests of that credential still pass.
    let listed = a
        .request(reqwest::Method::POST, Some(&mine[0]))
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);

    b.initialize().await.expect("b's first");
    b.initialize().await.expect("b's second");
    let full = c.initialize().await.expect_err("past the total");
    assert_eq!(full.status(), 503);
    assert!(full.text().await.unwrap().contains("--max-sessions"));

    // Another credential cannot end a session; its owner can, once; then it is gone.
    assert_eq!(b.delete(&mine[0]).await, 403);
    let ended = a.request(reqwest::Method::DELETE, Some(&mine[0])).send().await.unwrap();
    assert_eq!(ended.status(), 204, "{}", ended.text().await.unwrap());
    assert_eq!(a.delete(&mine[0]).await, 404);
    assert_eq!(a.delete("no-such-session").await, 404);
    let gone = a.request(reqwest::Method::GET, Some(&mine[0])).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    // Its place is free again, for its credential and in total.
    c.initialize().await.expect("c's session in the freed place");
    assert_eq!(a.initialize().await.expect_err("the total is reached again").status(), 503);
}

async fn a_revoked_credential_loses_its_open_streams_and_sessions_within_a_second(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("revoked-streams");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let gateway = mcpd.gateway(&[]).await;
    let client = Raw::new(&gateway.endpoint("demo"), &mcpd.project_token("demo", "soon-gone").await);
    let session = client.initialize().await.expect("a session");
    // A call starts the upstream process.
    let called = client
        .request(reqwest::Method::POST, Some(&session))
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "every__echo", "arguments": {"message": "hi"}}}))
        .send()
        .await
        .unwrap();
    assert!(called.text().await.unwrap().contains("Echo: hi"));
    assert_eq!(processes_with(&m).len(), 1);
    let stream = client.request(reqwest::Method::GET, Some(&session)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let (ended, ends) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut body = stream.bytes_stream();
        while let Some(Ok(_)) = body.next().await {}
        let _ = ended.send(Instant::now());
    });

    mcpd.revoke(Some("demo"), "soon-gone").await;
    let revoked = Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(5), ends).await.expect("the stream ended").unwrap();
    let took = ended - revoked;
    assert!(took < Duration::from_secs(1), "the open stream ended {took:?} after revocation");
    // The session and its upstream process end with it.
    let reaped = within(Duration::from_secs(3), || async { processes_with(&m).is_empty() }).await;
    assert!(reaped.is_some(), "the revoked credential's upstream process still runs");
    assert!(within(Duration::from_secs(2), || async { gateway.metric("mcpgw_client_sessions").await == 0.0 })
        .await
        .is_some());
}
