//! The typed async client (`client`) against a real daemon: every body it reads is the
//! server's, so a route that answers other than its type fails here.

use futures_util::StreamExt;
use serde_json::json;
use shared::api::{CanIRequest, WatchEventType};
use shared::Kind;
use testkit::{backend_tests, Backend};

use crate::helpers::{secret, spawn_app};

/// The next event that is not a BOOKMARK.
async fn next_change(
    events: &mut (impl futures_util::Stream<Item = client::Result<shared::api::WatchEvent>> + Unpin),
) -> shared::api::WatchEvent {
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), events.next()).await;
        let event = event.expect("an event within 5 s").expect("the stream goes on").expect("a readable event");
        if event.event_type != WatchEventType::Bookmark {
            return event;
        }
    }
}

fn client_for(url: &str, token: &str) -> client::Client {
    client::Client::new(client::Config::new(url, Some(token.to_owned())))
}

async fn the_typed_client_reads_every_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let api = client_for(&app.url, &app.token);
    let secrets = Kind::Secret.info();

    assert_eq!(api.whoami().await.unwrap().name, testkit::ADMIN_EMAIL);
    assert!(!api.version().await.unwrap().version.is_empty());
    let question =
        CanIRequest { verb: "delete".into(), kind: "servers".into(), name: None, project: None, as_user: None };
    assert!(api.can_i(&question).await.unwrap().allowed);

    let mut manifest = secret("gh", json!({"token": "t0"}));
    manifest["metadata"]["labels"] = json!({"team": "infra"});
    let created = api.create(secrets, None, &manifest, false).await.unwrap();
    let (listed, revision) = api
        .list(secrets, None, &client::ListParams { label_selector: Some("team=infra".into()), show_values: true })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].spec["data"]["token"], "t0");
    assert_eq!(revision, created.metadata.resource_version);

    let mut events = api.watch(secrets, None, None, revision.as_deref()).await.unwrap();
    let mut changed = api.get(secrets, None, "gh", true).await.unwrap();
    changed.spec["data"]["token"] = json!("t1");
    let replaced = api.replace(secrets, None, &changed, false).await.unwrap();
    assert_ne!(replaced.metadata.resource_version, created.metadata.resource_version);
    let event = next_change(&mut events).await;
    assert_eq!(event.event_type, WatchEventType::Modified);
    assert_eq!(event.object.metadata.name, "gh");
    assert!(event.object.spec["data"]["token"].is_null(), "a watch never shows secret values");

    // A stale resourceVersion is the server's 409, as a Status.
    match api.replace(secrets, None, &changed, false).await {
        Err(client::Error::Server(status)) => assert_eq!(status.code, 409),
        other => panic!("expected a conflict, got {other:?}"),
    }
    api.delete(secrets, None, "gh", false).await.unwrap();
    match api.get(secrets, None, "gh", false).await {
        Err(client::Error::Server(status)) => assert_eq!(status.code, 404),
        other => panic!("expected not found, got {other:?}"),
    }
    let event = next_change(&mut events).await;
    assert_eq!(event.event_type, WatchEventType::Deleted);

    // The gateway's view of a project: its servers, resolved (the admin holds run *).
    app.create(crate::helpers::project("demo", &[])).await;
    let demo = shared::name::ProjectName::parse("demo").unwrap();
    let resolved = api.resolution(&demo).await.unwrap();
    assert_eq!((resolved.project.as_str(), resolved.servers.len()), ("demo", 0));

    // Introspection answers what a token may do, or only that it does not work.
    let (raw, _) =
        app.token_as(&app.token, None, "ci", json!({"bindings": [{"role": "view", "resource": "servers"}]})).await;
    let answer = api.introspect(&raw).await.unwrap();
    assert!(answer.active);
    assert_eq!(answer.scope.as_deref(), Some("view:servers"));
    assert_eq!(answer.token_name.as_deref(), Some("ci"));
    let forged = format!("{}x", &raw[..raw.len() - 1]);
    assert!(!api.introspect(&forged).await.unwrap().active);

    // The token's own client is refused what the token may not do.
    let narrow = client_for(&app.url, &raw);
    match narrow.create(secrets, None, &secret("x", json!({})), false).await {
        Err(client::Error::Server(status)) => assert_eq!(status.code, 403),
        other => panic!("expected forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_reported_as_such() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let api = client_for(&format!("http://127.0.0.1:{port}"), "t");
    match api.whoami().await {
        Err(client::Error::Unreachable { url, .. }) => assert!(url.ends_with(&port.to_string())),
        other => panic!("expected unreachable, got {other:?}"),
    }
}

backend_tests!(async: the_typed_client_reads_every_answer);
