//! Processes stay bounded and accounted for: a broken upstream leaves the others working, a
//! killed child starts again, `--max-processes` refuses with an MCP error, and SIGTERM ends
//! every child.

use std::time::Duration;

use serde_json::json;
use testkit::Backend;

use crate::harness::{everything_server, marker, processes_with, project, within, Driver, Mcpd};

testkit::backend_tests!(async:
    a_broken_upstream_leaves_the_others_working,
    a_killed_child_is_started_again_on_the_next_call,
    max_processes_refuses_with_an_mcp_error,
    sigterm_ends_every_child_and_exits_zero,
);

async fn a_broken_upstream_leaves_the_others_working(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("broken");
    let missing = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "missing"},
        "spec": {"transport": "stdio", "command": "/nonexistent/mcp-server"}});
    let unreachable = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "unreachable"},
        "spec": {"transport": "http", "url": "http://127.0.0.1:9/mcp"}});
    mcpd.apply(vec![
        missing,
        unreachable,
        everything_server("every", &m, json!([])),
        project("demo", &["missing", "unreachable", "every"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let tools = client.tool_names().await;
    assert!(tools.contains(&"every__echo".to_owned()), "{tools:?}");
    assert!(tools.iter().all(|t| t.starts_with("every__")), "{tools:?}");
    for server in ["missing", "unreachable"] {
        let answer = client.call(&format!("{server}__echo"), json!({})).await;
        let error = answer["error"].as_str().unwrap_or_else(|| panic!("{answer}"));
        assert!(error.contains(server), "{error}");
    }
    assert_eq!(client.call_text("every__echo", json!({"message": "still here"})).await, "Echo: still here");
    client.close().await;
}

async fn a_killed_child_is_started_again_on_the_next_call(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("killed");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    client.call_text("every__echo", json!({"message": "one"})).await;
    let before = processes_with(&m);
    assert_eq!(before.len(), 1);
    // SAFETY: kills the child this test's gateway started.
    unsafe { libc::kill(before[0], libc::SIGKILL) };
    let gone = within(Duration::from_secs(5), || async { processes_with(&m).is_empty() }).await;
    assert!(gone.is_some());
    assert_eq!(client.call_text("every__echo", json!({"message": "two"})).await, "Echo: two");
    let after = processes_with(&m);
    assert_eq!(after.len(), 1);
    assert_ne!(after, before);
    client.close().await;
}

async fn max_processes_refuses_with_an_mcp_error(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("max");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&["--max-processes", "1"]).await;
    let mut first = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    first.call_text("every__echo", json!({"message": "first"})).await;
    let mut second = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let answer = second.call("every__echo", json!({"message": "second"})).await;
    let error = answer["error"].as_str().unwrap_or_else(|| panic!("{answer}"));
    assert!(error.contains("--max-processes"), "{error}");
    // The gateway stays up, and the first session keeps its process.
    let health = reqwest::get(format!("{}/healthz", gateway.base)).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(first.call_text("every__echo", json!({"message": "again"})).await, "Echo: again");
    assert_eq!(processes_with(&m).len(), 1);
    // When the first session ends, its place is free.
    first.close().await;
    let freed = std::time::Instant::now();
    while second.call("every__echo", json!({"message": "now"})).await.get("content").is_none() {
        assert!(freed.elapsed() < Duration::from_secs(10), "the freed process was not reused");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    second.close().await;
}

async fn sigterm_ends_every_child_and_exits_zero(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("sigterm");
    let other = marker("sigterm-shared");
    let mut shared = everything_server("pooled", &other, json!([]));
    shared["spec"]["sharing"] = json!("shared");
    mcpd.apply(vec![everything_server("every", &m, json!([])), shared, project("demo", &["every", "pooled"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let mut gateway = mcpd.gateway(&[]).await;
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
        client.call_text("every__echo", json!({"message": "x"})).await;
        client.call_text("pooled__echo", json!({"message": "x"})).await;
        clients.push(client);
    }
    // A process per session for `every`, one for both sessions for the shared `pooled`.
    assert_eq!(processes_with(&m).len(), 2);
    assert_eq!(processes_with(&other).len(), 1);
    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
    let left =
        within(Duration::from_secs(5), || async { processes_with(&m).is_empty() && processes_with(&other).is_empty() })
            .await;
    assert!(left.is_some(), "child processes outlived the gateway");
}
