//! The typed HTTP client of mcpd: every non-2xx answer becomes a `shared::Status`.

use std::time::Duration;

use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::api::{
    ApplyRequest, ApplyResponse, CanIRequest, CanIResponse, LoginRequest, LoginResponse, PasswordChange, Version,
    WhoAmI,
};
use shared::{KindInfo, List, Object, Reason, Scope, Status};

use crate::config::Target;
use crate::error::{Error, Result};

/// Objects per list page and per apply request.
pub const PAGE: usize = 500;

pub struct Client {
    http: Http,
    target: Target,
    verbose: bool,
}

impl Client {
    /// `timeout` bounds each request (`None`: no limit); connecting never takes over 10 s.
    pub fn new(target: Target, verbose: bool, timeout: Option<Duration>) -> Client {
        let http = Http::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .user_agent(concat!("mcpctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        Client { http, target, verbose }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}{path}", self.target.server);
        if self.verbose {
            eprintln!("{method} {url}");
        }
        let builder = self.http.request(method, url);
        match &self.target.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T> {
        let response = builder
            .send()
            .map_err(|e| Error::Unreachable { url: self.target.server.clone(), detail: root_cause(&e) })?;
        let code = response.status();
        let bytes = response
            .bytes()
            .map_err(|e| Error::Unreachable { url: self.target.server.clone(), detail: root_cause(&e) })?;
        if code.is_success() {
            let body = if bytes.is_empty() { b"null".as_slice() } else { &bytes };
            return serde_json::from_slice(body).map_err(|e| {
                Error::from(Status::new(Reason::InternalError, format!("unexpected response from the server: {e}")))
            });
        }
        let status = serde_json::from_slice::<Status>(&bytes).unwrap_or_else(|_| {
            let reason = match code.as_u16() {
                401 => Reason::Unauthorized,
                403 => Reason::Forbidden,
                404 => Reason::NotFound,
                413 => Reason::RequestEntityTooLarge,
                429 => Reason::TooManyRequests,
                503 => Reason::ServiceUnavailable,
                c if c < 500 => Reason::BadRequest,
                _ => Reason::InternalError,
            };
            Status::new(reason, format!("the server answered {code}"))
        });
        Err(Error::from(status))
    }

    /// Every object of a kind, following `continue` tokens page by page.
    pub fn list(
        &self,
        kind: &KindInfo,
        project: &str,
        selector: Option<&str>,
        show_values: bool,
    ) -> Result<Vec<Object>> {
        self.list_at(kind, project, selector, show_values).map(|(items, _)| items)
    }

    /// Like [`Client::list`], with the revision the list reflects (to watch from).
    pub fn list_at(
        &self,
        kind: &KindInfo,
        project: &str,
        selector: Option<&str>,
        show_values: bool,
    ) -> Result<(Vec<Object>, Option<String>)> {
        let mut items = Vec::new();
        let mut revision = None;
        let mut next: Option<String> = None;
        loop {
            let mut query: Vec<(&str, String)> = vec![("limit", PAGE.to_string())];
            if let Some(s) = selector {
                query.push(("labelSelector", s.to_owned()));
            }
            if show_values {
                query.push(("showValues", "true".to_owned()));
            }
            if let Some(token) = next.take() {
                query.push(("continue", token));
            }
            let page: List = self.send(self.request(Method::GET, &collection_path(kind, project)).query(&query))?;
            items.extend(page.items);
            let meta = page.metadata.unwrap_or_default();
            // The first page's revision: read before any of it.
            revision = revision.or(meta.resource_version);
            match meta.continue_token {
                Some(token) => next = Some(token),
                None => return Ok((items, revision)),
            }
        }
    }

    pub fn get(&self, kind: &KindInfo, project: &str, name: &str, show_values: bool) -> Result<Object> {
        let mut builder = self.request(Method::GET, &object_path(kind, project, name));
        if show_values {
            builder = builder.query(&[("showValues", "true")]);
        }
        self.send(builder)
    }

    /// Creates an object; with `dry_run`, mcpd validates, authorizes and checks it, and
    /// stores nothing.
    pub fn create(&self, kind: &KindInfo, project: &str, manifest: &Value, dry_run: bool) -> Result<Object> {
        let builder = self.request(Method::POST, &collection_path(kind, project)).json(manifest);
        self.send(dry_run_query(builder, dry_run))
    }

    /// Replaces an object; its `resourceVersion` is the precondition.
    pub fn replace(&self, kind: &KindInfo, project: &str, object: &Object, dry_run: bool) -> Result<Object> {
        let path = object_path(kind, project, &object.metadata.name);
        self.send(dry_run_query(self.request(Method::PUT, &path).json(object), dry_run))
    }

    pub fn delete(&self, kind: &KindInfo, project: &str, name: &str, dry_run: bool) -> Result<Object> {
        self.send(dry_run_query(self.request(Method::DELETE, &object_path(kind, project, name)), dry_run))
    }

    /// A watch stream of a kind, from `resource_version` on: each event as it arrives, until
    /// the server ends the stream (then `None`).
    pub fn watch(
        &self,
        kind: &KindInfo,
        project: &str,
        selector: Option<&str>,
        resource_version: Option<&str>,
    ) -> Result<impl Iterator<Item = Result<Value>>> {
        let mut query: Vec<(&str, String)> = vec![("watch", "true".to_owned())];
        if let Some(s) = selector {
            query.push(("labelSelector", s.to_owned()));
        }
        if let Some(rv) = resource_version {
            query.push(("resourceVersion", rv.to_owned()));
        }
        // A watch lasts as long as the user wants it: no request timeout.
        let builder = self
            .request(Method::GET, &collection_path(kind, project))
            .query(&query)
            .timeout(Duration::from_secs(100 * 365 * 24 * 3600));
        let response = builder
            .send()
            .map_err(|e| Error::Unreachable { url: self.target.server.clone(), detail: root_cause(&e) })?;
        if !response.status().is_success() {
            let code = response.status();
            let bytes = response.bytes().unwrap_or_default();
            let status = serde_json::from_slice::<Status>(&bytes)
                .unwrap_or_else(|_| Status::new(Reason::InternalError, format!("the server answered {code}")));
            return Err(Error::from(status));
        }
        let server = self.target.server.clone();
        let lines = std::io::BufRead::lines(std::io::BufReader::new(response));
        Ok(lines.map(move |line| {
            let line = line.map_err(|e| Error::Unreachable { url: server.clone(), detail: e.to_string() })?;
            serde_json::from_str(&line).map_err(|e| Error::Invalid(format!("a watch event could not be read: {e}")))
        }))
    }

    /// The OpenAPI document mcpd publishes, with the JSON Schema of every kind.
    pub fn openapi(&self) -> Result<Value> {
        self.send(self.request(Method::GET, "/openapi.json"))
    }

    pub fn can_i(&self, question: &CanIRequest) -> Result<CanIResponse> {
        self.send(self.request(Method::POST, "/api/v1/auth/can-i").json(question))
    }

    pub fn change_password(&self, change: &PasswordChange) -> Result<()> {
        self.send::<Value>(self.request(Method::POST, "/api/v1/auth/password").json(change)).map(|_| ())
    }

    /// Audit events matching `filters` (query parameters), following pages.
    pub fn events(&self, filters: &[(&str, String)]) -> Result<Vec<Object>> {
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut query = filters.to_vec();
            if let Some(token) = next.take() {
                query.push(("continue", token));
            }
            let page: List = self.send(self.request(Method::GET, "/api/v1/events").query(&query))?;
            items.extend(page.items);
            match page.metadata.and_then(|m| m.continue_token) {
                Some(token) => next = Some(token),
                None => return Ok(items),
            }
        }
    }

    /// The newest `count` events about one object, oldest of them first: one small page.
    pub fn recent_events(&self, plural: &str, name: &str, count: usize) -> Result<Vec<Object>> {
        let query = [("kind", plural.to_owned()), ("name", name.to_owned()), ("limit", count.to_string())];
        let request = self.request(Method::GET, "/api/v1/events").query(&query).query(&[("newestFirst", true)]);
        let page: List = self.send(request)?;
        Ok(page.items.into_iter().rev().collect())
    }

    pub fn apply(&self, items: Vec<Value>, dry_run: bool, atomic: bool) -> Result<ApplyResponse> {
        let query = [("dryRun", dry_run), ("atomic", atomic)];
        self.send(self.request(Method::POST, "/api/v1/apply").query(&query).json(&ApplyRequest { items }))
    }

    pub fn login(&self, email: &str, password: &str) -> Result<LoginResponse> {
        let body = LoginRequest { email: email.to_owned(), password: password.to_owned() };
        self.send(self.request(Method::POST, "/api/v1/auth/login").json(&body))
    }

    pub fn logout(&self) -> Result<()> {
        self.send::<Value>(self.request(Method::POST, "/api/v1/auth/logout")).map(|_| ())
    }

    pub fn whoami(&self) -> Result<WhoAmI> {
        self.send(self.request(Method::GET, "/api/v1/auth/whoami"))
    }

    pub fn version(&self) -> Result<Version> {
        self.send(self.request(Method::GET, "/version"))
    }
}

/// Where a kind's objects live: under the project for a project's tokens.
fn dry_run_query(builder: RequestBuilder, dry_run: bool) -> RequestBuilder {
    if dry_run {
        builder.query(&[("dryRun", "true")])
    } else {
        builder
    }
}

fn collection_path(kind: &KindInfo, project: &str) -> String {
    if project.is_empty() || kind.scope != Scope::Project {
        format!("/api/v1/{}", kind.plural)
    } else {
        format!("/api/v1/projects/{}/{}", escape(project), kind.plural)
    }
}

fn object_path(kind: &KindInfo, project: &str, name: &str) -> String {
    format!("{}/{}", collection_path(kind, project), escape(name))
}

/// Names are checked on the server; anything unusual is escaped so it cannot change the path.
fn escape(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._@".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
