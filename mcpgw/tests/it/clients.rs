//! mcpctl as the gateway's client: `test mcp` and its exit codes, the stdio bridge `mcp -p`
//! under the Python SDK's client, and `config client` in each client's format.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};
use testkit::Backend;

use crate::harness::{everything_server, marker, project, Driver, Mcpd};

testkit::backend_tests!(async:
    test_mcp_exits_by_what_failed,
    the_stdio_bridge_serves_clients_that_start_stdio_servers,
    the_bridge_answers_what_is_in_flight_and_says_why_it_is_refused,
    describe_and_wide_listings_show_how_each_server_stands_at_the_gateways,
);

/// mcpctl, built beside mcpgw by `cargo test --workspace` (scripts/test).
fn mcpctl() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_mcpgw")).with_file_name("mcpctl");
    assert!(path.exists(), "{} is missing: run the suite with scripts/test (or cargo build -p mcpctl)", path.display());
    path
}

/// A config file with one context: mcpd's URL, `token` and the gateway's URL.
fn config(dir: &Path, server: &str, token: &str, gateway: Option<&str>) -> PathBuf {
    let path = dir.join(format!("mcpctl-{}.yaml", rand_suffix()));
    let mut context = json!({"name": "test", "server": server, "token": token});
    if let Some(gateway) = gateway {
        context["gateway"] = json!(gateway);
    }
    let file = json!({"currentContext": "test", "contexts": [context]});
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    path
}

fn rand_suffix() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

async fn run(args: &[&str]) -> Output {
    tokio::process::Command::new(mcpctl())
        .args(args)
        .env_remove("MCPCTL_TOKEN")
        .env_remove("MCPCTL_GATEWAY")
        .env_remove("MCPCTL_CONFIG")
        .output()
        .await
        .unwrap()
}

async fn test_mcp_exits_by_what_failed(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("test-mcp");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "checker").await;
    let gateway = mcpd.gateway(&[]).await;
    let url = gateway.endpoint("demo");

    let pass = run(&[
        "test",
        "mcp",
        &url,
        "--token",
        &token,
        "--expect-tools",
        "every__echo",
        "--tool",
        "every__echo",
        "--args",
        r#"{"message":"hi"}"#,
        "-o",
        "json",
    ])
    .await;
    assert_eq!(pass.status.code(), Some(0), "{}", String::from_utf8_lossy(&pass.stderr));
    let report: Value = serde_json::from_slice(&pass.stdout).unwrap();
    assert_eq!(report["result"], "pass");
    assert_eq!(report["call"]["content"][0]["text"], "Echo: hi");
    assert!(report["tools"].as_array().unwrap().contains(&json!("every__get-env")));

    // The call is in the audit trail, its outcome and duration in the table, its server in
    // the wide one.
    let admin = mcpd.data.join("admin.yaml").display().to_string();
    let events = ["get", "events", "--for-kind", "tools", "--config", &admin];
    let listed = crate::harness::within(std::time::Duration::from_secs(10), || async {
        String::from_utf8_lossy(&run(&events).await.stdout).contains("tool/every/echo")
    });
    if listed.await.is_none() {
        let out = run(&events).await;
        panic!(
            "the call never reached the audit trail: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let table = String::from_utf8_lossy(&run(&events).await.stdout).into_owned();
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert!(header.contains(&"OUTCOME") && header.contains(&"DURATION") && !header.contains(&"SERVER"), "{table}");
    let call = table.lines().find(|l| l.contains("tool/every/echo")).unwrap();
    assert!(call.contains(" ok ") && call.contains("ms"), "{table}");
    let wide = String::from_utf8_lossy(&run(&[&events[..], &["-o", "wide"]].concat()).await.stdout).into_owned();
    assert!(wide.lines().next().unwrap().contains("SERVER"), "{wide}");
    assert!(wide.lines().any(|l| l.contains("tool/every/echo") && l.contains(" every ")), "{wide}");

    // A result of many lines is shown whole.
    let env = run(&["test", "mcp", &url, "--token", &token, "--tool", "every__get-env"]).await;
    assert_eq!(env.status.code(), Some(0), "{}", String::from_utf8_lossy(&env.stderr));
    let shown = String::from_utf8_lossy(&env.stdout);
    let call: Vec<&str> = shown.lines().skip_while(|l| *l != "call:").take_while(|l| !l.starts_with("PASS")).collect();
    assert!(call.len() > 3 && call.iter().any(|l| l.contains("\"PATH\"")), "{shown}");
    let echo =
        run(&["test", "mcp", &url, "--token", &token, "--tool", "every__echo", "--args", r#"{"message":"hi"}"#]).await;
    assert!(String::from_utf8_lossy(&echo.stdout).contains("\ncall: Echo: hi\n"));

    let refused = run(&["test", "mcp", &url, "--token", "mcpctl_pat_wrong", "-o", "json"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(report["result"], "transport");
    let unreachable = run(&["test", "mcp", "http://127.0.0.1:9/mcp", "--timeout", "5s"]).await;
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unreachable.stdout).contains("FAIL (transport"));

    let missing = run(&["test", "mcp", &url, "--token", &token, "--expect-tools", "every__echo,every__nope"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("missing tools: every__nope"));
    let failing = run(&["test", "mcp", &url, "--token", &token, "--tool", "every__no-such-tool"]).await;
    assert_eq!(failing.status.code(), Some(2), "{}", String::from_utf8_lossy(&failing.stdout));

    // A server of the project that cannot start: listed as unavailable, with why, and exit 2.
    let missing = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "missing"},
        "spec": {"transport": "stdio", "command": "/nonexistent/mcp-server"}});
    mcpd.apply(vec![missing, project("partial", &["missing", "every"])]).await;
    let partial_token = mcpd.project_token("partial", "checker").await;
    let partial = run(&["test", "mcp", &gateway.endpoint("partial"), "--token", &partial_token]).await;
    let stdout = String::from_utf8_lossy(&partial.stdout);
    assert_eq!(partial.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("server every: ready"), "{stdout}");
    assert!(stdout.contains("server missing: unavailable (cannot start: command not found)"), "{stdout}");
    assert!(stdout.contains("FAIL (contract): servers not ready: missing"), "{stdout}");
    let report = run(&["test", "mcp", &gateway.endpoint("partial"), "--token", &partial_token, "-o", "json"]).await;
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(
        report["servers"],
        json!([{"name": "missing", "state": "unavailable", "reason": "cannot start: command not found"}, {"name": "every", "state": "ready"}])
    );
    let whole = run(&["test", "mcp", &url, "--token", &token, "-o", "json"]).await;
    let report: Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert_eq!(report["servers"], json!([{"name": "every", "state": "ready"}]));

    // On the context's gateway, the context's credential is used; elsewhere it never is.
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &mcpd.url, &token, Some(&gateway.base));
    let file = file.to_str().unwrap();
    let own = run(&["--config", file, "test", "mcp", &url]).await;
    assert_eq!(own.status.code(), Some(0), "{}", String::from_utf8_lossy(&own.stdout));
}

async fn the_stdio_bridge_serves_clients_that_start_stdio_servers(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("bridge");
    mcpd.apply(vec![everything_server("every", &m, json!([])), project("demo", &["every"])]).await;
    let token = mcpd.project_token("demo", "bridged").await;
    let gateway = mcpd.gateway(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &mcpd.url, &token, Some(&gateway.base));
    let bridge = mcpctl();
    for mode in ["legacy", "auto"] {
        let command = format!("{} --config {} mcp -p demo", bridge.display(), file.display());
        let mut client = Driver::connect_stdio(&command, mode).await;
        assert_eq!(client.connected["server"]["name"], "mcpgw", "{mode}");
        assert_eq!(client.call_text("every__echo", json!({"message": mode})).await, format!("Echo: {mode}"));
        if mode == "legacy" {
            let text =
                client.call_text("every__trigger-sampling-request", json!({"prompt": "hi", "maxTokens": 5})).await;
            assert!(text.contains("sampled by the python client"), "{text}");
        }
        client.close().await;
    }
}

#[tokio::test]
async fn config_client_writes_each_clients_format() {
    let mcpd = Mcpd::start(Backend::Sqlite).await;
    mcpd.apply(vec![project("demo", &[])]).await;
    let connect_only = mcpd.project_token("demo", "desktop").await;
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &mcpd.url, &connect_only, Some("https://gw.example.com"));
    let file = file.to_str().unwrap();
    let secret = connect_only.as_str();
    let print = |client: &'static str, extra: &'static [&'static str]| async move {
        let mut args = vec!["--config", file, "config", "client", client, "-p", "demo"];
        args.extend(extra);
        let out = run(&args).await;
        assert_eq!(out.status.code(), Some(0), "{client}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!text.contains(secret), "a credential in {client}'s file: {text}");
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let url = "https://gw.example.com/projects/demo/mcp";
    let code = print("claude-code", &[]).await;
    assert_eq!(code["mcpServers"]["demo"]["type"], "http");
    assert_eq!(code["mcpServers"]["demo"]["url"], url);
    assert_eq!(code["mcpServers"]["demo"]["headers"]["Authorization"], "Bearer ${MCPCTL_GATEWAY_TOKEN}");
    let cursor = print("cursor", &[]).await;
    assert_eq!(cursor["mcpServers"]["demo"]["headers"]["Authorization"], "Bearer ${env:MCPCTL_GATEWAY_TOKEN}");
    let vscode = print("vscode", &[]).await;
    assert_eq!(vscode["servers"]["demo"]["url"], url);
    assert_eq!(vscode["inputs"][0]["password"], true);
    let desktop = print("claude-desktop", &[]).await;
    let args: Vec<&str> =
        desktop["mcpServers"]["demo"]["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(&args[..5], ["mcp", "-p", "demo", "--gateway", "https://gw.example.com"]);
    assert!(args.windows(2).any(|w| w == ["--config", file]), "{args:?}");
    let stdio = print("vscode", &["--transport", "stdio"]).await;
    assert_eq!(stdio["servers"]["demo"]["type"], "stdio");

    // --gateway and MCPCTL_GATEWAY override the context's.
    let flagged = print("cursor", &["--gateway", "http://10.0.0.5:3200"]).await;
    assert_eq!(flagged["mcpServers"]["demo"]["url"], "http://10.0.0.5:3200/projects/demo/mcp");
    let out = tokio::process::Command::new(mcpctl())
        .args(["--config", file, "config", "client", "cursor", "-p", "demo"])
        .env("MCPCTL_GATEWAY", "http://10.0.0.6:3200")
        .output()
        .await
        .unwrap();
    let from_env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_env["mcpServers"]["demo"]["url"], "http://10.0.0.6:3200/projects/demo/mcp");
    // Without a project there is nothing to configure; a project mcpd does not know is refused.
    let none = run(&["--config", file, "config", "client", "cursor"]).await;
    assert_eq!(none.status.code(), Some(2));
    let nope = run(&["--config", file, "config", "client", "cursor", "-p", "nope"]).await;
    assert_eq!(nope.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nope.stderr).contains("projects \"nope\" not found"));
    // set-context saves a gateway.
    let set = run(&["--config", file, "config", "set-context", "test", "--gateway", "http://gw.internal:3200"]).await;
    assert_eq!(set.status.code(), Some(0));
    let saved = print("claude-code", &[]).await;
    assert_eq!(saved["mcpServers"]["demo"]["url"], "http://gw.internal:3200/projects/demo/mcp");

    // A context that may do more than connect is never put in a client's configuration.
    let admin = mcpd
        .token("admin-like", None, json!([{"role": "edit", "resource": "*"}, {"role": "run", "action": "*"}]))
        .await;
    let powerful = config(dir.path(), &mcpd.url, &admin, Some("https://gw.example.com"));
    let refused =
        run(&["--config", powerful.to_str().unwrap(), "config", "client", "claude-desktop", "-p", "demo"]).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("holds more than connect (it may list secrets"), "{stderr}");
    assert!(stderr.contains("mcpctl create mcptoken claude-desktop -p demo --bind action:connect"), "{stderr}");

    // Over HTTP with --gateway, mcpd is not needed at all.
    let offline = config(dir.path(), "http://127.0.0.1:9", &connect_only, None);
    let offline = offline.to_str().unwrap();
    let out =
        run(&["--config", offline, "config", "client", "cursor", "-p", "demo", "--gateway", "http://gw:3200"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `mcpctl --config FILE mcp -p PROJECT` with `lines` on its stdin, closed right after
/// the last one, as a client that sends its requests and quits does.
async fn bridged(file: &Path, project: &str, lines: &[Value]) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(mcpctl())
        .args(["--config", file.to_str().unwrap(), "mcp", "-p", project])
        .env_remove("MCPCTL_TOKEN")
        .env_remove("MCPCTL_GATEWAY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    stdin.write_all(text.as_bytes()).await.unwrap();
    drop(stdin);
    tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the bridge exits once its answers are out")
        .unwrap()
}

fn answers(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

async fn the_bridge_answers_what_is_in_flight_and_says_why_it_is_refused(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("bridge-drain");
    mcpd.apply(vec![
        everything_server("every", &m, json!([])),
        project("demo", &["every"]),
        project("other", &["every"]),
    ])
    .await;
    let gateway = mcpd.gateway(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "quick", "version": "1"}}});
    let lines = [
        initialize.clone(),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "every__echo", "arguments": {"message": "last"}}}),
    ];
    let token = mcpd.project_token("demo", "quick").await;
    let file = config(dir.path(), &mcpd.url, &token, Some(&gateway.base));
    for run in 0..3 {
        let output = bridged(&file, "demo", &lines).await;
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        let answers = answers(&output);
        let ids: Vec<&Value> = answers.iter().map(|a| &a["id"]).collect();
        assert_eq!(ids, [&json!(1), &json!(2), &json!(3)], "run {run}: {answers:?}");
        assert_eq!(answers[2]["result"]["content"][0]["text"], "Echo: last");
    }
    // Each run ended its gateway session, and the process with it.
    let ended = crate::harness::within(std::time::Duration::from_secs(5), || async {
        gateway.metric("mcpgw_client_sessions").await == 0.0 && crate::harness::processes_with(&m).is_empty()
    })
    .await;
    assert!(ended.is_some(), "bridge sessions outlived their clients");

    // Refused: the gateway's own reason, on stderr and as the client's JSON-RPC error.
    let elsewhere = mcpd.project_token("other", "elsewhere").await;
    let file = config(dir.path(), &mcpd.url, &elsewhere, Some(&gateway.base));
    for (project, reason, says) in [
        ("demo", "Forbidden", "may not connect to project \"demo\""),
        ("nope", "Forbidden", "may not connect to project \"nope\""),
    ] {
        let output = bridged(&file, project, std::slice::from_ref(&initialize)).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("Error from gateway ({reason}): ")) && stderr.contains(says), "{stderr}");
        assert!(!stderr.contains("is mcpd running"), "{stderr}");
        let answers = answers(&output);
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(answers[0]["id"], 1);
        let message = answers[0]["error"]["message"].as_str().unwrap_or_else(|| panic!("{answers:?}"));
        assert!(message.contains(says), "{message}");
    }
}

async fn describe_and_wide_listings_show_how_each_server_stands_at_the_gateways(backend: Backend) {
    let mcpd = Mcpd::start(backend).await;
    let m = marker("standing");
    let missing = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "missing"},
        "spec": {"transport": "stdio", "command": "/nonexistent/mcp-server"}});
    mcpd.apply(vec![missing, everything_server("every", &m, json!([])), project("demo", &["missing", "every"])]).await;
    let gateway = mcpd.gateway(&["--name", "gw-one"]).await;
    let mut client =
        Driver::connect(&gateway.endpoint("demo"), &mcpd.project_token("demo", "lister").await, "legacy").await;
    client.tool_names().await;
    client.close().await;

    let viewer = mcpd.token("viewer", None, json!([{"role": "view", "resource": "*"}])).await;
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), &mcpd.url, &viewer, None);
    let file = file.to_str().unwrap();
    let described = crate::harness::within(std::time::Duration::from_secs(15), || async {
        let out = run(&["--config", file, "describe", "server", "missing"]).await;
        String::from_utf8_lossy(&out.stdout).contains("unavailable (cannot start: command not found)")
    })
    .await;
    let out = run(&["--config", file, "describe", "server", "missing"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(described.is_some(), "{text}");
    assert!(
        text.contains("Gateways:\n  gw-one\tproject demo\tunavailable (cannot start: command not found) since "),
        "{text}"
    );
    let wide = run(&["--config", file, "get", "servers", "-o", "wide"]).await;
    let table = String::from_utf8_lossy(&wide.stdout);
    assert!(table.lines().next().unwrap().contains("GATEWAYS"), "{table}");
    let row = |name: &str| table.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_owned();
    assert!(row("missing").contains("unavailable: cannot start: command not found"), "{table}");
    assert!(row("every").contains("ready"), "{table}");
    // A server no gateway has run says so.
    mcpd.apply(vec![everything_server("idle", &m, json!([]))]).await;
    let idle = run(&["--config", file, "describe", "server", "idle"]).await;
    assert!(String::from_utf8_lossy(&idle.stdout).contains("Gateways:\n  <none reported>"));
}
