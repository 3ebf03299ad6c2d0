//! `spawn_app`: a fresh database and an mcpd on port 0 per test, with an admin session.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use testkit::Backend;

pub struct TestApp {
    pub url: String,
    pub database_url: String,
    pub http: reqwest::Client,
    /// The admin's session token.
    pub token: String,
    _dir: TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with the configuration changed by `change` first.
pub async fn spawn_app_with(backend: Backend, change: impl FnOnce(&mut testkit::Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database_url = testkit::database_url(backend, dir.path()).await;
    let mut config = testkit::config(database_url.clone(), dir.path());
    change(&mut config);
    let (url, stop) = testkit::start(&config).await;
    let http = reqwest::Client::new();
    let token = admin_session(&http, &url).await;
    TestApp { url, database_url, http, token, _dir: dir, _stop: stop }
}

/// Logs the test admin in to the daemon at `url`; returns the session token.
pub async fn admin_session(http: &reqwest::Client, url: &str) -> String {
    let login: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": testkit::ADMIN_EMAIL, "password": testkit::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().expect("admin login succeeds").to_owned()
}

/// A response's status and JSON body (Null when empty).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts that this is a Status body with `code` and `reason`.
    #[track_caller]
    pub fn assert_status(&self, code: u16, reason: &str) -> &Self {
        assert_eq!(self.status.as_u16(), code, "{}", self.text);
        assert_eq!(self.body["kind"], "Status", "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["reason"], reason, "{}", self.text);
        self
    }

    pub fn cause_fields(&self) -> Vec<String> {
        self.body["details"]["causes"]
            .as_array()
            .map(|c| c.iter().map(|c| c["field"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(Some(&self.token), method, path, body).await
    }

    pub async fn call_as(&self, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.unwrap()).await
    }

    pub async fn raw(&self, method: Method, path: &str, body: Vec<u8>) -> Reply {
        let req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body);
        reply(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    pub async fn apply(&self, query: &str, items: Vec<Value>) -> Reply {
        self.post(&format!("/api/v1/apply{query}"), json!({"items": items})).await
    }

    /// Creates an object, asserting success.
    pub async fn create(&self, manifest: Value) -> Value {
        let plural = plural(manifest["kind"].as_str().unwrap());
        let reply = self.post(&format!("/api/v1/{plural}"), manifest).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body
    }

    /// Every object of a kind, as names.
    pub async fn names(&self, plural: &str) -> Vec<String> {
        let reply = self.get(&format!("/api/v1/{plural}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
    Reply { status, body, text }
}

pub fn plural(kind: &str) -> &'static str {
    shared::KindInfo::by_kind(kind).expect("known kind").plural
}

pub fn secret(name: &str, data: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Secret", "metadata": {"name": name}, "spec": {"data": data}})
}

pub fn stdio_server(name: &str, env: Value) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Server", "metadata": {"name": name},
           "spec": {"transport": "stdio", "command": "npx", "args": ["-y", "srv"], "env": env}})
}

pub fn secret_env(var: &str, secret: &str, key: &str) -> Value {
    json!([{"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}])
}

pub fn project(name: &str, servers: &[&str]) -> Value {
    json!({"apiVersion": "mcpctl/v1", "kind": "Project", "metadata": {"name": name},
           "spec": {"description": "a project", "servers": servers}})
}

impl TestApp {
    /// Creates a user with a password and logs in; returns the session token.
    pub async fn user(&self, email: &str, password: &str) -> String {
        self.create(json!({"apiVersion": "mcpctl/v1", "kind": "User", "metadata": {"name": email},
            "spec": {"displayName": email, "password": password}}))
            .await;
        self.login(email, password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .call_as(None, Method::POST, "/api/v1/auth/login", Some(json!({"email": email, "password": password})))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// Grants `bindings` to `subjects` with a new RbacDefinition named `name`.
    pub async fn grant(&self, name: &str, subjects: &[&str], bindings: Value) {
        self.create(json!({"apiVersion": "mcpctl/v1", "kind": "RbacDefinition", "metadata": {"name": name},
            "spec": {"subjects": subjects, "roleBindings": bindings}}))
            .await;
    }

    /// Creates a token as `creator` (a bearer) and returns its raw value and its object.
    pub async fn token_as(&self, creator: &str, project: Option<&str>, name: &str, spec: Value) -> (String, Value) {
        let mut manifest =
            json!({"apiVersion": "mcpctl/v1", "kind": "McpToken", "metadata": {"name": name}, "spec": spec});
        let path = match project {
            Some(p) => {
                manifest["metadata"]["project"] = json!(p);
                format!("/api/v1/projects/{p}/mcptokens")
            }
            None => "/api/v1/mcptokens".to_owned(),
        };
        let reply = self.call_as(Some(creator), Method::POST, &path, Some(manifest)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let raw = reply.body["status"]["token"].as_str().unwrap().to_owned();
        (raw, reply.body)
    }

    /// Everything the database holds, as text: `pg_dump` for PostgreSQL, the files for SQLite.
    pub fn dump(&self) -> String {
        if self.database_url.starts_with("sqlite:") {
            let path = self.database_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_owned();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        let pg_dump = testkit::pg_bin().join("pg_dump");
        let out = std::process::Command::new(pg_dump).arg(&self.database_url).output().expect("pg_dump runs");
        assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The audit trail as the admin sees it.
    pub async fn events(&self, query: &str) -> Vec<Value> {
        let reply = self.get(&format!("/api/v1/events{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["items"].as_array().unwrap().iter().map(|e| e["spec"].clone()).collect()
    }
}
