//! Upstream servers that misbehave on purpose (`hostile.js`): each is bounded to itself. An
//! endless SSE event ends its session at 4 MiB, a client that stops reading holds a bounded
//! queue, an upstream's URL, headers and error bodies reach neither the client nor the log,
//! and a server that hangs delays no listing past its deadline. The gateway is the same on
//! either database: these run on SQLite.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use testkit::Backend;
use tokio::process::{Child, Command};

use crate::harness::{
    everything_server, fixtures_mount, marker, processes_with, project, secret, within, Driver, Gateway, Mcpd, Raw,
};

/// `hostile.js` in `mode`, on a free port when it listens; killed when dropped.
struct Hostile {
    _child: Child,
    port: u16,
}

impl Hostile {
    async fn start(mode: &str) -> Hostile {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("node")
            .arg(hostile_js())
            .args([mode, &port.to_string()])
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let up = within(Duration::from_secs(20), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
        })
        .await;
        assert!(up.is_some(), "hostile.js {mode} did not listen on {port}");
        Hostile { _child: child, port }
    }
}

fn hostile_js() -> String {
    format!("{}/tests/it/hostile.js", env!("CARGO_MANIFEST_DIR"))
}

fn server(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": name}, "spec": spec})
}

/// The gateway's resident memory, in MiB.
fn rss_mib(gateway: &Gateway) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", gateway.pid())).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS");
    kib / 1024
}

#[tokio::test]
async fn an_sse_event_past_4_mib_ends_that_upstream_and_not_the_gateways_memory() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    let huge = Hostile::start("sse-huge").await;
    let m = marker("sse-huge");
    mcpd.apply(vec![
        server("huge", json!({"transport": "sse", "url": format!("http://127.0.0.1:{}/sse", huge.port)})),
        everything_server("every", &m, json!([])),
        project("demo", &["huge", "every"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let tools = client.tool_names().await;
    assert!(tools.contains(&"every__echo".to_owned()), "{tools:?}");
    assert!(!tools.iter().any(|t| t.starts_with("huge__")), "{tools:?}");
    // The server sends a 256 MiB event: the gateway stops reading it at 4 MiB.
    let rss = rss_mib(&gateway);
    assert!(rss < 96, "the gateway holds {rss} MiB after an endless event");
    let answer = client.call("huge__anything", json!({})).await;
    let error = answer["error"].as_str().unwrap_or_else(|| panic!("{answer}"));
    assert!(error.contains("server \"huge\" is unavailable"), "{error}");
    assert!(gateway.log().contains("over 4194304 bytes"), "{}", gateway.log());
    assert_eq!(client.call_text("every__echo", json!({"message": "fine"})).await, "Echo: fine");
    client.close().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_holds_a_bounded_queue_of_notifications() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    mcpd.apply(vec![
        server(
            "flood",
            json!({"transport": "stdio", "command": "node", "args": [hostile_js(), "stdio-flood"],
            "sandbox": {"mounts": [fixtures_mount()]}}),
        ),
        project("demo", &["flood"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let url = gateway.endpoint("demo");
    let client = Raw::new(&url, &token);
    let session = client.initialize().await.expect("a session");
    // The session's stream, opened and never read.
    let _stream = client.request(reqwest::Method::GET, Some(&session)).send().await.unwrap();
    let call =
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "flood__flood", "arguments": {}}});
    assert!(client.post(&session, call).await.contains("flooding"));
    // The server floods for 20 s; the gateway's memory stops growing once its queue is full.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let early = rss_mib(&gateway);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let late = rss_mib(&gateway);
    assert!(late < 128 && late <= early + 16, "the gateway grew from {early} to {late} MiB");
    assert!(gateway.metric("mcpgw_notifications_dropped_total").await > 0.0);
    // Another client of the same gateway is served meanwhile.
    let other = mcpd.project_token("demo", "other").await;
    let mut client = Driver::connect(&url, &other, "legacy").await;
    assert_eq!(client.tool_names().await, ["flood__flood"]);
    client.close().await;
}

#[tokio::test]
async fn upstream_urls_headers_and_bodies_reach_neither_the_client_nor_the_log() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    let echo = Hostile::start("http-echo").await;
    let m = marker("echo");
    let url = format!("http://gw-user:url-password-123@127.0.0.1:{}/mcp?api_key=url-api-key-456", echo.port);
    mcpd.apply(vec![
        secret("echo-creds", crate::harness::SECRET),
        server(
            "echo",
            json!({"transport": "http", "url": url,
            "headers": {"Authorization": "Bearer ${TOKEN}"},
            "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "echo-creds", "key": "token"}}}]}),
        ),
        everything_server("every", &m, json!([])),
        project("demo", &["echo", "every"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let tools = client.tool_names().await;
    assert!(tools.contains(&"every__echo".to_owned()), "{tools:?}");
    let answer = client.call("echo__anything", json!({})).await;
    let error = answer["error"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned();
    assert!(error.contains("server \"echo\" is unavailable: HTTP 400"), "{error}");
    client.close().await;
    let port = format!("127.0.0.1:{}", echo.port);
    for leak in [crate::harness::SECRET, "url-password-123", "url-api-key-456", "gw-user", &port, "authorization"] {
        assert!(!error.to_lowercase().contains(&leak.to_lowercase()), "the client saw {leak}: {error}");
        assert!(
            !gateway.log().to_lowercase().contains(&leak.to_lowercase()),
            "the log holds {leak}:\n{}",
            gateway.log()
        );
    }
}

#[tokio::test]
async fn a_hanging_upstream_delays_no_listing_past_its_deadline() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    let hang = Hostile::start("hang").await;
    let m = marker("hang");
    mcpd.apply(vec![
        server("stuck-http", json!({"transport": "http", "url": format!("http://127.0.0.1:{}/mcp", hang.port)})),
        server("stuck-stdio", json!({"transport": "stdio", "command": "sleep", "args": ["300", &m]})),
        // Shared, so the second session's listing starts no process of its own: what it
        // measures is the stuck servers alone.
        server("every", json!({"transport": "stdio", "command": "node", "args": [crate::harness::everything(), "stdio", &m], "sharing": "shared",
            "sandbox": {"mounts": [crate::harness::npm_mount()]}})),
        project("demo", &["stuck-http", "stuck-stdio", "every"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&["--start-timeout", "3s"]).await;
    let listed = |token: String| {
        let url = gateway.endpoint("demo");
        async move {
            let mut client = Driver::connect(&url, &token, "legacy").await;
            let started = Instant::now();
            let tools = client.tool_names().await;
            let took = started.elapsed();
            client.close().await;
            (tools, took)
        }
    };
    // The first listing waits for the stuck servers no longer than its deadline (5 s).
    let (tools, took) = listed(token.clone()).await;
    assert!(tools.contains(&"every__echo".to_owned()), "{tools:?}");
    assert!(!tools.iter().any(|t| t.starts_with("stuck")), "{tools:?}");
    assert!(took < Duration::from_secs(8), "the first listing took {took:?}");
    // Their starts time out (3 s) and back off for the whole gateway: the next session's
    // listing does not wait for them at all.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (tools, took) = listed(mcpd.project_token("demo", "second").await).await;
    assert!(tools.contains(&"every__echo".to_owned()), "{tools:?}");
    assert!(took < Duration::from_secs(2), "the second listing took {took:?}");
    assert!(gateway.log().contains("upstream unavailable: timed out"), "{}", gateway.log());
    // The stuck process was ended with its start.
    let sleeping = within(Duration::from_secs(5), || async {
        processes_with(&m).iter().all(|pid| !cmdline(*pid).split('\0').next().is_some_and(|p| p.ends_with("sleep")))
    })
    .await;
    assert!(sleeping.is_some(), "a stuck stdio server still runs");
}

fn cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline")).map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_default()
}

/// An upstream session opens at the revision the client negotiated, so a client of an older
/// revision gets what a direct session at its revision would.
#[tokio::test]
async fn upstream_sessions_open_at_the_clients_revision() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    mcpd.apply(vec![
        server(
            "proto",
            json!({"transport": "stdio", "command": "node", "args": [hostile_js(), "stdio-protocol"],
            "sandbox": {"mounts": [fixtures_mount()]}}),
        ),
        project("demo", &["proto"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    for revision in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        let client = Raw::at(&gateway.endpoint("demo"), &token, revision);
        let session = client.initialize().await.expect("a session");
        let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "proto__protocol", "arguments": {}}});
        let answer = client.post(&session, call).await;
        assert!(answer.contains(&format!("\"text\":\"{revision}\"")), "{revision}: {answer}");
    }
}
