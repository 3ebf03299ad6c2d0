//! What flows through: secret values into a child's environment and nowhere else, both
//! protocol eras, sampling back to the client, Streamable HTTP and HTTP+SSE upstreams, many
//! sessions at once, and the audit trail of every call.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::Backend;

use crate::harness::{everything_server, marker, project, secret, within, Driver, HttpUpstream, Mcpd, SECRET};

testkit::backend_tests!(async:
    a_secret_reaches_the_child_and_never_the_client,
    clients_of_both_protocol_eras_are_served,
    sampling_and_progress_reach_the_client_that_caused_them,
    streamable_http_upstreams_are_relayed,
    sse_upstreams_are_relayed,
    sixteen_client_sessions_run_at_once,
    calls_are_audited_without_their_arguments,
    refusals_and_failures_are_audited_and_counted,
);

async fn a_secret_reaches_the_child_and_never_the_client(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("secret");
    let env = json!([
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
        {"name": "LITERAL", "value": "plain"},
    ]);
    mcpd.apply(vec![secret("creds", SECRET), everything_server("every", &m, env), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;

    let printed = client.call_text("every__get-env", json!({})).await;
    let env: serde_json::Map<String, Value> = serde_json::from_str(&printed).unwrap();
    let names: BTreeSet<&str> = env.keys().map(String::as_str).collect();
    // Exactly what the spec declares, plus PATH, HOME and PWD (the sandbox's private home):
    // none of the gateway's own environment (its credential file, its canary).
    assert_eq!(names, BTreeSet::from(["API_TOKEN", "HOME", "LITERAL", "PATH", "PWD"]), "{printed}");
    assert_eq!(env["API_TOKEN"], SECRET);
    assert_eq!(env["HOME"], "/home/mcp");

    // Nothing the gateway itself says carries the value.
    let mut seen = client.connected.to_string();
    for op in ["list_tools", "list_prompts", "list_resources"] {
        seen.push_str(&client.ask(json!({"op": op})).await.to_string());
    }
    seen.push_str(&client.call("every__no-such-tool", json!({})).await.to_string());
    seen.push_str(&client.call("nosuchserver__echo", json!({})).await.to_string());
    assert!(!seen.contains(SECRET), "a secret value reached the client: {seen}");
    let own = std::fs::read_to_string(mcpd.gateway_token()).unwrap();
    let log = gateway.log();
    assert!(!log.contains(SECRET) && !log.contains(own.trim()) && !log.contains(&token), "a secret reached the log");
    client.close().await;
}

async fn clients_of_both_protocol_eras_are_served(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("eras");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    for (mode, version) in [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28")] {
        let mut client = Driver::connect(&gateway.endpoint("demo"), &token, mode).await;
        assert_eq!(client.connected["protocol"], version);
        let tools = client.tool_names().await;
        assert!(tools.contains(&"every__echo".to_owned()), "{mode}: {tools:?}");
        assert!(tools.iter().all(|t| t.starts_with("every__")), "{tools:?}");
        assert_eq!(client.call_text("every__echo", json!({"message": mode})).await, format!("Echo: {mode}"));
        let prompt = client.ask(json!({"op": "get_prompt", "name": "every__simple-prompt"})).await;
        assert!(prompt["messages"][0]["content"]["text"].as_str().is_some(), "{mode}: {prompt}");
        client.close().await;
    }
}

async fn sampling_and_progress_reach_the_client_that_caused_them(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("sampling");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    // A stateless client cannot be sent requests: it gets input_required, answers, and the
    // gateway hands the answer to the server still waiting for it.
    let mut stateless = Driver::connect(&gateway.endpoint("demo"), &token, "2026-07-28").await;
    let text = stateless.call_text("every__trigger-sampling-request", json!({"prompt": "hi", "maxTokens": 20})).await;
    assert!(text.contains("sampled by the python client"), "{text}");
    stateless.close().await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let text = client.call_text("every__trigger-sampling-request", json!({"prompt": "hello", "maxTokens": 20})).await;
    assert!(text.contains("sampled by the python client"), "{text}");
    // Progress comes back on the caller's own token.
    let answer = client
        .ask(json!({"op": "call_progress", "name": "every__trigger-long-running-operation", "args": {"duration": 1, "steps": 3}}))
        .await;
    assert_eq!(answer["progress"], json!([1.0, 2.0, 3.0]), "{answer}");
    client.close().await;
}

async fn streamable_http_upstreams_are_relayed(backend: Backend) {
    let upstream = HttpUpstream::start().await;
    let mcpd = Mcpd::start(backend).await;
    let remote = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "remote"},
        "spec": {"transport": "http", "url": upstream.url, "headers": {"X-Team": "${TEAM}"},
                 "env": [{"name": "TEAM", "value": "blue"}]}});
    mcpd.apply(vec![remote, project("demo", &["remote"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    assert!(client.tool_names().await.contains(&"remote__echo".to_owned()));
    assert_eq!(client.call_text("remote__echo", json!({"message": "over http"})).await, "Echo: over http");
    let text = client.call_text("remote__trigger-sampling-request", json!({"prompt": "hi", "maxTokens": 5})).await;
    assert!(text.contains("sampled by the python client"), "{text}");
    client.close().await;
}

async fn sse_upstreams_are_relayed(backend: Backend) {
    let upstream = HttpUpstream::start_sse().await;
    let mcpd = Mcpd::start(backend).await;
    let old = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "old"},
        "spec": {"transport": "sse", "url": upstream.url}});
    mcpd.apply(vec![old, project("demo", &["old"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    assert!(client.tool_names().await.contains(&"old__echo".to_owned()));
    assert_eq!(client.call_text("old__echo", json!({"message": "over sse"})).await, "Echo: over sse");
    let text = client.call_text("old__trigger-sampling-request", json!({"prompt": "hi", "maxTokens": 5})).await;
    assert!(text.contains("sampled by the python client"), "{text}");
    client.close().await;
}

async fn sixteen_client_sessions_run_at_once(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("sixteen");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "client").await;
    let gateway = mcpd.gateway(&[]).await;
    let url = gateway.endpoint("demo");
    let clients = futures::future::join_all((0..16).map(|i| {
        let (url, token) = (url.clone(), token.clone());
        async move {
            let mut client = Driver::connect(&url, &token, "legacy").await;
            let text = client.call_text("every__echo", json!({"message": format!("client {i}")})).await;
            assert_eq!(text, format!("Echo: client {i}"));
            client
        }
    }))
    .await;
    // A process per client session, each its own.
    assert_eq!(gateway.metric("mcpgw_processes").await, 16.0);
    assert_eq!(crate::harness::processes_with(&m).len(), 16);
    for client in clients {
        client.close().await;
    }
    // Each session's process ends with it.
    let ended = within(Duration::from_secs(10), || async { crate::harness::processes_with(&m).is_empty() }).await;
    assert!(ended.is_some(), "processes left after their sessions ended");
}

/// A batch of calls that meets mcpd with its database down is sent again until it is written.
#[tokio::test]
async fn calls_reach_the_audit_trail_after_a_database_outage() {
    let pg = std::sync::Arc::new(testkit::PrivatePostgres::start());
    let mcpd = Mcpd::start_on(pg.url()).await;
    let m = marker("outage");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "survivor").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let audited = |count: usize| {
        let admin = &mcpd.admin;
        async move {
            let filter = [("principal", "mcptoken:demo/survivor".to_owned())];
            admin.events(&filter).await.is_ok_and(|events| events.len() >= count)
        }
    };
    client.call_text("every__echo", json!({"message": "before"})).await;
    assert!(within(Duration::from_secs(10), || audited(1)).await.is_some(), "the first call was not audited");

    // The next batch leaves a second after this call, and finds the database gone.
    client.call_text("every__echo", json!({"message": "during"})).await;
    let stopping = pg.clone();
    tokio::task::spawn_blocking(move || stopping.stop()).await.unwrap();
    let retried = within(Duration::from_secs(10), || async { gateway.log().contains("sending them again") }).await;
    assert!(retried.is_some(), "the failed batch was not sent again:\n{}", gateway.log());
    assert_eq!(gateway.metric("mcpgw_audit_dropped_events_total").await, 0.0);

    let resuming = pg.clone();
    tokio::task::spawn_blocking(move || resuming.resume()).await.unwrap();
    let written = within(Duration::from_secs(45), || audited(2)).await;
    assert!(written.is_some(), "the call made before the outage never reached the audit trail");
    client.close().await;
}

async fn calls_are_audited_without_their_arguments(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("audit");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "auditee").await;
    let gateway = mcpd.gateway(&[]).await;
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    let canary = "argument-canary-7d2e";
    client.call_text("every__echo", json!({"message": canary})).await;
    client.ask(json!({"op": "get_prompt", "name": "every__simple-prompt"})).await;
    client.ask(json!({"op": "read", "uri": "demo://resource/static/document/architecture.md"})).await;

    let asked = std::time::Instant::now();
    let events = loop {
        let events = mcpd.admin.events(&[("principal", "mcptoken:demo/auditee".to_owned())]).await.unwrap();
        if events.len() >= 3 {
            break events;
        }
        assert!(asked.elapsed() < Duration::from_secs(10), "calls not audited: {events:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let specs: Vec<Value> = events.iter().map(|e| e.spec.clone()).collect();
    let call = specs.iter().find(|s| s["kind"] == "tools").unwrap_or_else(|| panic!("{specs:?}"));
    assert_eq!(call["verb"], "call");
    assert_eq!(call["name"], "echo");
    assert_eq!(call["server"], "every");
    assert_eq!(call["project"], "demo");
    assert_eq!(call["outcome"], "ok");
    assert!(call["durationMs"].is_u64());
    assert!(specs.iter().any(|s| s["kind"] == "prompts" && s["verb"] == "get" && s["name"] == "simple-prompt"));
    assert!(specs.iter().any(|s| s["kind"] == "resources" && s["verb"] == "read"));
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains(canary), "an argument reached the audit trail: {all}");
    client.close().await;
}

/// What the gateway turns away or cannot relay is audited as a call would be: a credential
/// refused at the door (`connect`, under the project's name), an unknown tool (`refused`), a
/// server that is unavailable (`error`, naming it); and counted in `mcpgw_calls_total`.
async fn refusals_and_failures_are_audited_and_counted(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("refusals");
    let missing = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "missing"},
        "spec": {"transport": "stdio", "command": "/nonexistent/mcp-server"}});
    mcpd.apply(vec![
        missing,
        everything_server("every", &m, json!([])),
        project("demo", &["missing", "every"]),
        project("other", &["every"]),
    ])
    .await;
    let token = mcpd.project_token("demo", "caller").await;
    let elsewhere = mcpd.project_token("other", "elsewhere").await;
    let gateway = mcpd.gateway(&[]).await;
    let refused = reqwest::Client::new()
        .post(gateway.endpoint("demo"))
        .bearer_auth(&elsewhere)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let mut client = Driver::connect(&gateway.endpoint("demo"), &token, "legacy").await;
    assert!(client.call("every__no-such-tool", json!({})).await.get("error").is_some());
    assert!(client.call("missing__anything", json!({})).await.get("error").is_some());
    client.close().await;

    let asked = std::time::Instant::now();
    let specs: Vec<Value> = loop {
        let events = mcpd.admin.events(&[("kind", "tools".to_owned())]).await.unwrap();
        let specs: Vec<Value> = events.into_iter().map(|e| e.spec).collect();
        if specs.len() >= 3 {
            break specs;
        }
        assert!(asked.elapsed() < Duration::from_secs(10), "refusals not audited: {specs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let find = |verb: &str, outcome: &str| {
        specs
            .iter()
            .find(|s| s["verb"] == verb && s["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {verb} {outcome}: {specs:?}"))
            .clone()
    };
    let door = find("connect", "refused");
    assert_eq!(door["project"], "demo");
    assert!(door["principal"].as_str().unwrap().starts_with("mcptoken (mcpctl_pat_"), "{door}");
    assert!(!door.to_string().contains(&elsewhere));
    let unknown = find("call", "refused");
    assert_eq!(unknown["name"], "every__no-such-tool");
    assert_eq!(unknown["principal"], "mcptoken:demo/caller");
    let unavailable = find("call", "error");
    assert_eq!(unavailable["server"], "missing");
    let metrics = reqwest::get(format!("{}/metrics", gateway.base)).await.unwrap().text().await.unwrap();
    for outcome in ["refused", "error"] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("mcpgw_calls_total{") && l.contains(&format!("outcome=\"{outcome}\""))),
            "{metrics}"
        );
    }
}
