//! Authorization: a generated matrix of kinds, verbs, roles and principals checked against
//! both enforcement and `can-i`; the escalation rule on every write path; and every route
//! declaring its access.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testkit::Backend;

use crate::helpers::{spawn_app, TestApp};
use testkit::backend_tests;

/// The kinds in the matrix, each with the name its scoped bindings name and a manifest for it.
fn fixtures() -> Vec<(&'static str, &'static str, Value)> {
    let m = |kind: &str, name: &str, spec: Value| json!({"apiVersion": "mcpctl/v1", "kind": kind, "metadata": {"name": name}, "spec": spec});
    vec![
        ("secrets", "target", m("Secret", "target", json!({"data": {"k": "v"}}))),
        ("servers", "target", m("Server", "target", json!({"transport": "stdio", "command": "x"}))),
        ("projects", "target", m("Project", "target", json!({}))),
        ("users", "target@example.com", m("User", "target@example.com", json!({"displayName": "T"}))),
        ("groups", "target", m("Group", "target", json!({"members": []}))),
        ("rbacdefinitions", "target", m("RbacDefinition", "target", json!({"subjects": []}))),
        ("mcptokens", "target", m("McpToken", "target", json!({"description": "matrix"}))),
    ]
}

const VERBS: [&str; 5] = ["get", "list", "create", "update", "delete"];

#[derive(Clone, Copy, Debug)]
enum Via {
    User,
    GroupMember,
    Token,
}

/// A principal holding exactly one binding, reached the way `via` says.
async fn principal(app: &TestApp, id: usize, via: Via, binding: Value) -> String {
    let email = format!("p{id}@example.com");
    let bearer = app.user(&email, "password-123").await;
    match via {
        Via::User => {
            app.grant(&format!("grant-{id}"), &[&format!("User:{email}")], json!([binding])).await;
            bearer
        }
        Via::GroupMember => {
            app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Group", "metadata": {"name": format!("g{id}")},
                "spec": {"members": [email]}}))
                .await;
            app.grant(&format!("grant-{id}"), &[&format!("Group:g{id}")], json!([binding])).await;
            bearer
        }
        Via::Token => app.token_as(&app.token, None, &format!("t{id}"), json!({"bindings": [binding]})).await.0,
    }
}

/// Puts the fixture in the state a verb needs: absent for create, present otherwise.
async fn prepare(app: &TestApp, plural: &str, name: &str, manifest: &Value, verb: &str) {
    let path = format!("/api/v1/{plural}/{name}");
    let exists = app.get(&path).await.status == StatusCode::OK;
    match (verb, exists) {
        ("create", true) => assert_eq!(app.delete(&path).await.status, StatusCode::OK),
        ("create", false) => {}
        (_, false) => {
            app.create(manifest.clone()).await;
        }
        (_, true) => {}
    }
}

async fn attempt(app: &TestApp, bearer: &str, plural: &str, name: &str, manifest: &Value, verb: &str) -> StatusCode {
    let path = format!("/api/v1/{plural}/{name}");
    let reply = match verb {
        "get" => app.call_as(Some(bearer), Method::GET, &path, None).await,
        "list" => app.call_as(Some(bearer), Method::GET, &format!("/api/v1/{plural}"), None).await,
        "create" => app.call_as(Some(bearer), Method::POST, &format!("/api/v1/{plural}"), Some(manifest.clone())).await,
        "update" => {
            let mut current = app.get(&path).await.body;
            current["metadata"]["labels"] = json!({"touched": "yes"});
            app.call_as(Some(bearer), Method::PUT, &path, Some(current)).await
        }
        "delete" => app.call_as(Some(bearer), Method::DELETE, &path, None).await,
        _ => unreachable!(),
    };
    assert!(reply.status != StatusCode::INTERNAL_SERVER_ERROR, "{verb} {plural}: {}", reply.text);
    reply.status
}

async fn can_i(app: &TestApp, bearer: &str, verb: &str, plural: &str, name: &str) -> bool {
    let mut question = json!({"verb": verb, "kind": plural});
    if verb != "list" {
        question["name"] = json!(name);
    }
    let reply = app.call_as(Some(bearer), Method::POST, "/api/v1/auth/can-i", Some(question)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["allowed"].as_bool().unwrap()
}

async fn every_kind_verb_role_and_principal_is_decided_as_granted(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut id = 0;
    for via in [Via::User, Via::GroupMember, Via::Token] {
        for (plural, name, manifest) in fixtures() {
            for (role, scoped) in [("view", false), ("edit", false), ("view", true), ("edit", true)] {
                id += 1;
                let mut binding = json!({"role": role, "resource": plural});
                if scoped {
                    binding["name"] = json!(name);
                }
                let bearer = principal(&app, id, via, binding).await;
                for verb in VERBS {
                    prepare(&app, plural, name, &manifest, verb).await;
                    let expected = role == "edit" || matches!(verb, "get" | "list");
                    let status = attempt(&app, &bearer, plural, name, &manifest, verb).await;
                    let allowed = status != StatusCode::FORBIDDEN;
                    let case =
                        format!("{via:?} {role}{} {verb} {plural}: {status}", if scoped { " (scoped)" } else { "" });
                    assert_eq!(allowed, expected, "{case}");
                    assert_eq!(can_i(&app, &bearer, verb, plural, name).await, expected, "can-i disagrees: {case}");
                }
            }
        }
    }
    // Name-scoped bindings reach only that name, and lists show only it.
    let bearer =
        principal(&app, 999, Via::User, json!({"role": "edit", "resource": "servers", "name": "target"})).await;
    prepare(&app, "servers", "target", &fixtures()[1].2, "get").await;
    app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "other"},
        "spec": {"transport": "stdio", "command": "x"}}))
        .await;
    let reply = app.call_as(Some(&bearer), Method::GET, "/api/v1/servers/other", None).await;
    reply.assert_status(403, "Forbidden");
    let listed = app.call_as(Some(&bearer), Method::GET, "/api/v1/servers", None).await;
    let names: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["target"]);
}

async fn a_user_without_bindings_can_log_in_but_is_refused_everything(backend: Backend) {
    let app = spawn_app(backend).await;
    let bearer = app.user("nobody@example.com", "password-123").await;
    let me = app.call_as(Some(&bearer), Method::GET, "/api/v1/auth/whoami", None).await;
    assert_eq!(me.body["name"], "nobody@example.com");
    for (plural, name, manifest) in fixtures() {
        for verb in VERBS {
            prepare(&app, plural, name, &manifest, verb).await;
            assert_eq!(
                attempt(&app, &bearer, plural, name, &manifest, verb).await,
                StatusCode::FORBIDDEN,
                "{verb} {plural}"
            );
        }
    }
    let reply =
        app.call_as(Some(&bearer), Method::POST, "/api/v1/apply", Some(json!({"items": [fixtures()[0].2]}))).await;
    assert_eq!(reply.body["items"][0]["error"]["reason"], "Forbidden");
    let reply = app.call_as(Some(&bearer), Method::GET, "/api/v1/events", None).await;
    reply.assert_status(403, "Forbidden");
    let reply =
        app.call_as(Some(&bearer), Method::POST, "/api/v1/mcptokens/introspect", Some(json!({"token": "x"}))).await;
    reply.assert_status(403, "Forbidden");
}

async fn viewers_cannot_reveal_secret_values_and_editors_can(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create(fixtures()[0].2.clone()).await;
    let viewer = principal(&app, 1, Via::User, json!({"role": "view", "resource": "secrets"})).await;
    let editor = principal(&app, 2, Via::User, json!({"role": "edit", "resource": "secrets", "name": "target"})).await;
    let reply = app.call_as(Some(&viewer), Method::GET, "/api/v1/secrets/target?showValues=true", None).await;
    reply.assert_status(403, "Forbidden");
    let reply = app.call_as(Some(&viewer), Method::GET, "/api/v1/secrets/target", None).await;
    assert_eq!(reply.body["spec"]["data"], json!({"k": null}));
    let reply = app.call_as(Some(&editor), Method::GET, "/api/v1/secrets/target?showValues=true", None).await;
    assert_eq!(reply.body["spec"]["data"], json!({"k": "v"}));
}

async fn no_write_path_grants_more_than_the_caller_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = "granter@example.com";
    let bearer = app.user(email, "password-123").await;
    app.grant(
        "granter",
        &[&format!("User:{email}")],
        json!([{"role": "edit", "resource": "rbacdefinitions"}, {"role": "edit", "resource": "mcptokens"},
               {"role": "view", "resource": "servers"}, {"role": "edit", "resource": "secrets", "name": "mine"}]),
    )
    .await;
    let rbac = |name: &str, bindings: Value| {
        json!({"apiVersion": "mcpctl/v1", "kind": "RbacDefinition", "metadata": {"name": name},
               "spec": {"subjects": ["User:friend@example.com"], "roleBindings": bindings}})
    };
    let too_much = json!([{"role": "edit", "resource": "servers"}]);
    let as_caller = |method: Method, path: &str, body: Value| {
        let (app, bearer, path) = (&app, bearer.clone(), path.to_owned());
        async move { app.call_as(Some(&bearer), method, &path, Some(body)).await }
    };

    let reply = as_caller(Method::POST, "/api/v1/rbacdefinitions", rbac("r1", too_much.clone())).await;
    reply.assert_status(403, "Forbidden");
    assert!(reply.text.contains("edit servers"), "the missing permission is named: {}", reply.text);
    let reply = as_caller(Method::POST, "/api/v1/apply", json!({"items": [rbac("r1", too_much.clone())]})).await;
    assert_eq!(reply.body["items"][0]["error"]["code"], 403, "{}", reply.text);
    let reply =
        as_caller(Method::POST, "/api/v1/rbacdefinitions", rbac("r1", json!([{"role": "edit", "resource": "*"}])))
            .await;
    reply.assert_status(403, "Forbidden");
    let reply = as_caller(
        Method::POST,
        "/api/v1/rbacdefinitions",
        rbac("r1", json!([{"role": "run", "action": "introspect"}])),
    )
    .await;
    reply.assert_status(403, "Forbidden");
    // Broader than a name-scoped grant is escalation; the same scope is not.
    let reply = as_caller(
        Method::POST,
        "/api/v1/rbacdefinitions",
        rbac("r1", json!([{"role": "edit", "resource": "secrets"}])),
    )
    .await;
    reply.assert_status(403, "Forbidden");

    // Within the caller's rights, every path works.
    let within =
        json!([{"role": "view", "resource": "servers"}, {"role": "edit", "resource": "secrets", "name": "mine"}]);
    assert_eq!(as_caller(Method::POST, "/api/v1/rbacdefinitions", rbac("r1", within.clone())).await.status, 201);
    let mut current = app.get("/api/v1/rbacdefinitions/r1").await.body;
    current["spec"]["roleBindings"] = too_much.clone();
    as_caller(Method::PUT, "/api/v1/rbacdefinitions/r1", current).await.assert_status(403, "Forbidden");
    let reply = as_caller(Method::POST, "/api/v1/apply", json!({"items": [rbac("r2", within)]})).await;
    assert_eq!(reply.body["items"][0]["action"], "created", "{}", reply.text);
    assert_eq!(app.get("/api/v1/rbacdefinitions/r1").await.body["spec"]["roleBindings"][0]["role"], "view");

    // Tokens: bindings beyond the caller's are refused; clone copies only what it holds.
    let token = |name: &str, spec: Value| json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": name}, "spec": spec});
    let reply = as_caller(Method::POST, "/api/v1/mcptokens", token("t1", json!({"bindings": too_much}))).await;
    reply.assert_status(403, "Forbidden");
    let reply =
        as_caller(Method::POST, "/api/v1/apply", json!({"items": [token("t1", json!({"bindings": too_much}))]})).await;
    assert_eq!(reply.body["items"][0]["error"]["code"], 403);
    let (raw, created) = app.token_as(&bearer, None, "t2", json!({"rbac": "clone"})).await;
    assert_eq!(created["status"]["bindings"].as_array().unwrap().len(), 4);
    // A valid manifest, so that only authorization can refuse it: the clone may view servers,
    // not change them.
    let server = crate::helpers::stdio_server("x", json!([]));
    app.create(server.clone()).await;
    app.call_as(Some(&raw), Method::PUT, "/api/v1/servers/x", Some(server)).await.assert_status(403, "Forbidden");
    let reply = app
        .call_as(
            Some(&raw),
            Method::POST,
            "/api/v1/rbacdefinitions",
            Some(rbac("r3", json!([{"role": "edit", "resource": "servers"}]))),
        )
        .await;
    reply.assert_status(403, "Forbidden");
}

/// `run connect` reaches every project, or the one it names; a project's token only its own.
async fn connect_is_granted_per_project(backend: Backend) {
    let app = spawn_app(backend).await;
    for p in ["demo", "other"] {
        app.create(crate::helpers::project(p, &[])).await;
    }
    let ask = |bearer: String, body: Value| {
        let app = &app;
        async move {
            let reply = app.call_as(Some(&bearer), Method::POST, "/api/v1/auth/can-i", Some(body)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            reply.body["allowed"].as_bool().unwrap()
        }
    };
    let connect = |project: &str| json!({"verb": "run", "kind": "connect", "name": project});
    let (one, _) = app
        .token_as(&app.token, None, "one", json!({"bindings": [{"role": "run", "action": "connect", "name": "demo"}]}))
        .await;
    assert!(ask(one.clone(), connect("demo")).await);
    assert!(!ask(one.clone(), connect("other")).await);
    assert!(!ask(one.clone(), json!({"verb": "run", "kind": "connect"})).await, "not every project");
    assert!(ask(one.clone(), json!({"verb": "run", "kind": "connect", "project": "demo"})).await);
    let (every, _) =
        app.token_as(&app.token, None, "every", json!({"bindings": [{"role": "run", "action": "connect"}]})).await;
    assert!(ask(every.clone(), connect("other")).await);
    assert!(!ask(every, json!({"verb": "run", "kind": "serve"})).await);
    // A project's token, even with connect everywhere, reaches its own project only.
    let (confined, _) =
        app.token_as(&app.token, Some("demo"), "t", json!({"bindings": [{"role": "run", "action": "connect"}]})).await;
    assert!(ask(confined.clone(), connect("demo")).await);
    assert!(!ask(confined, connect("other")).await);
    // A name that no project can have is a bad request, not an answer.
    let reply = app.post("/api/v1/auth/can-i", connect("Not_A_Project")).await;
    reply.assert_status(400, "BadRequest");
}

async fn every_protected_route_needs_a_bearer(backend: Backend) {
    let app = spawn_app(backend).await;
    let fill = |path: &str| {
        let plural = if path.contains("{project}") { "mcptokens" } else { "servers" };
        path.replace("{plural}", plural).replace("{name}", "x").replace("{project}", "p").replace("{id}", "1")
    };
    let routes = mcpd::routes();
    assert!(routes.len() >= 15);
    for route in routes {
        for method in route.methods() {
            let reply = app.call_as(None, method.clone(), &fill(route.path), Some(json!({}))).await;
            match route.access {
                mcpd::Access::Protected => reply.assert_status(401, "Unauthorized"),
                mcpd::Access::Public => {
                    assert_ne!(reply.status, StatusCode::UNAUTHORIZED.as_u16(), "{} {}", method, route.path);
                    &reply
                }
            };
        }
    }
}

backend_tests!(
        async:
        every_kind_verb_role_and_principal_is_decided_as_granted,
    a_user_without_bindings_can_log_in_but_is_refused_everything,
    viewers_cannot_reveal_secret_values_and_editors_can,
    no_write_path_grants_more_than_the_caller_holds,
    every_protected_route_needs_a_bearer,
    connect_is_granted_per_project,
);

mod escalation_through_people {
    use super::*;

    async fn editing_users_or_groups_cannot_take_over_more_rights(backend: Backend) {
        let app = spawn_app(backend).await;
        let bearer = app.user("hr@example.com", "password-123").await;
        app.grant(
            "hr",
            &["User:hr@example.com"],
            json!([{"role": "edit", "resource": "users"}, {"role": "edit", "resource": "groups"}]),
        )
        .await;
        app.create(
            json!({"apiVersion": "mcpctl/v1", "kind": "Group", "metadata": {"name": "ops"}, "spec": {"members": []}}),
        )
        .await;
        app.grant("ops", &["Group:ops"], json!([{"role": "edit", "resource": "*"}])).await;
        app.grant("future", &["User:future@example.com"], json!([{"role": "edit", "resource": "secrets"}])).await;

        // Setting the admin's password would be taking the admin's rights.
        let mut admin = app.get(&format!("/api/v1/users/{}", testkit::ADMIN_EMAIL)).await.body;
        admin["spec"]["password"] = json!("taken-over-1");
        let path = format!("/api/v1/users/{}", testkit::ADMIN_EMAIL);
        app.call_as(Some(&bearer), Method::PUT, &path, Some(admin)).await.assert_status(403, "Forbidden");
        // So would joining a powerful group, or creating a user a definition already names.
        let join = json!({"apiVersion": "mcpctl/v1", "kind": "Group", "metadata": {"name": "ops"}, "spec": {"members": ["hr@example.com"]}});
        app.call_as(Some(&bearer), Method::PUT, "/api/v1/groups/ops", Some(join)).await.assert_status(403, "Forbidden");
        let named = json!({"apiVersion": "mcpctl/v1", "kind": "User", "metadata": {"name": "future@example.com"}, "spec": {"password": "password-123"}});
        app.call_as(Some(&bearer), Method::POST, "/api/v1/users", Some(named)).await.assert_status(403, "Forbidden");
        app.login(testkit::ADMIN_EMAIL, testkit::ADMIN_PASSWORD).await;
        // Plain users and groups without rights are theirs to manage.
        let plain = json!({"apiVersion": "mcpctl/v1", "kind": "User", "metadata": {"name": "new@example.com"}, "spec": {"password": "password-123"}});
        assert_eq!(app.call_as(Some(&bearer), Method::POST, "/api/v1/users", Some(plain)).await.status, 201);
    }

    async fn referring_to_a_secret_needs_edit_on_it(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create(json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": "vault"}, "spec": {"data": {"k": "v"}}})).await;
        let bearer = app.user("dev@example.com", "password-123").await;
        app.grant("dev", &["User:dev@example.com"], json!([{"role": "edit", "resource": "servers"}])).await;
        let server = json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": "exfil"},
            "spec": {"transport": "stdio", "command": "x", "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "vault", "key": "k"}}}]}});
        app.call_as(Some(&bearer), Method::POST, "/api/v1/servers", Some(server.clone()))
            .await
            .assert_status(403, "Forbidden");
        // Seeing the secret is not enough: whatever runs the server receives its values.
        app.grant(
            "dev-vault",
            &["User:dev@example.com"],
            json!([{"role": "view", "resource": "secrets", "name": "vault"}]),
        )
        .await;
        let refused = app.call_as(Some(&bearer), Method::POST, "/api/v1/servers", Some(server.clone())).await;
        refused.assert_status(403, "Forbidden");
        assert!(refused.body["message"].as_str().unwrap().contains("needs edit on it"), "{}", refused.text);
        for path in ["/api/v1/apply", "/api/v1/apply?dryRun=true"] {
            let reply = app.call_as(Some(&bearer), Method::POST, path, Some(json!({"items": [server.clone()]}))).await;
            assert_eq!(reply.body["items"][0]["error"]["code"], 403, "{}", reply.text);
        }
        app.grant(
            "dev-vault-edit",
            &["User:dev@example.com"],
            json!([{"role": "edit", "resource": "secrets", "name": "vault"}]),
        )
        .await;
        assert_eq!(app.call_as(Some(&bearer), Method::POST, "/api/v1/servers", Some(server)).await.status, 201);
    }

    async fn a_project_token_cannot_widen_its_own_project(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create(crate::helpers::stdio_server("other", json!([]))).await;
        app.create(crate::helpers::project("demo", &[])).await;
        let (raw, _) = app
            .token_as(&app.token, Some("demo"), "gw", json!({"bindings": [{"role": "edit", "resource": "*"}]}))
            .await;
        let widened = crate::helpers::project("demo", &["other"]);
        app.call_as(Some(&raw), Method::PUT, "/api/v1/projects/demo", Some(widened))
            .await
            .assert_status(403, "Forbidden");
        assert_eq!(app.call_as(Some(&raw), Method::GET, "/api/v1/servers/other", None).await.status, 403);
    }

    backend_tests!(
        async:
        editing_users_or_groups_cannot_take_over_more_rights,
        referring_to_a_secret_needs_edit_on_it,
        a_project_token_cannot_widen_its_own_project,
    );
}
