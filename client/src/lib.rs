//! A typed client of mcpd's HTTP API, for mcpctl and for other programs that talk to mcpd.
//! Every route has typed bodies (`shared`); every answer that is not a success becomes a
//! [`Error::Server`] with the server's Status. [`Client`] is async; [`blocking::Client`] is
//! the same client for programs without a runtime of their own.

pub mod blocking;

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::api::{
    ApplyRequest, ApplyResponse, CallEvent, CallEvents, CanIRequest, CanIResponse, IntrospectRequest,
    IntrospectResponse, LoginRequest, LoginResponse, MigrateRequest, MigrateResult, PasswordChange, ReferrerList,
    Resolution, Version, WatchEvent, WhoAmI,
};
use shared::name::ProjectName;
use shared::{Kind, KindInfo, List, Object, Reason, Scope, Status};

/// Objects per list page.
pub const PAGE: usize = 500;

/// The longest watch event line accepted: far beyond any object mcpd stores.
const MAX_EVENT: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub enum Error {
    /// The server answered with a Status.
    Server(Box<Status>),
    /// The server could not be reached, or the connection broke.
    Unreachable { url: String, detail: String },
    /// The server sent something that is not what the API promises.
    Invalid(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Server(status) => write!(f, "{} ({})", status.message, status.code),
            Error::Unreachable { url, detail } => write!(f, "cannot reach {url}: {detail}"),
            Error::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl From<Status> for Error {
    fn from(status: Status) -> Error {
        Error::Server(Box::new(status))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where mcpd is and how to authenticate to it.
#[derive(Clone, Debug)]
pub struct Config {
    /// `http://host:port`, without a trailing slash.
    pub server: String,
    /// A session token or an McpToken.
    pub token: Option<String>,
    /// Bounds each request (`None`: no limit); connecting never takes over 10 s.
    pub timeout: Option<Duration>,
    /// Prints each request's method and URL to stderr.
    pub verbose: bool,
}

impl Config {
    pub fn new(server: impl Into<String>, token: Option<String>) -> Config {
        Config { server: server.into(), token, timeout: None, verbose: false }
    }
}

/// What to list: a label selector, and whether secret values are shown.
#[derive(Clone, Debug, Default)]
pub struct ListParams {
    pub label_selector: Option<String>,
    pub show_values: bool,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Config,
}

impl Client {
    pub fn new(config: Config) -> Client {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("mcpctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        Client { http, config }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The same client (and connection pool) speaking with another credential.
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        let config = Config { token: Some(token.into()), ..self.config.clone() };
        Client { http: self.http.clone(), config }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}{path}", self.config.server);
        let mut builder = self.http.request(method, url);
        if let Some(timeout) = self.config.timeout {
            builder = builder.timeout(timeout);
        }
        match &self.config.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> Error {
        Error::Unreachable { url: self.config.server.clone(), detail: root_cause(e) }
    }

    /// Sends a request; a success is read as `T` (an empty body as JSON `null`).
    async fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T> {
        let response = self.answer(builder).await?;
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        let body = if bytes.is_empty() { b"null".as_slice() } else { &bytes };
        serde_json::from_slice(body).map_err(|e| Error::Invalid(format!("unexpected response from the server: {e}")))
    }

    /// Sends a request and returns a successful answer, or the Status it carried.
    async fn answer(&self, builder: RequestBuilder) -> Result<Response> {
        let request = builder.build().map_err(|e| self.unreachable(&e))?;
        let (method, url) = (request.method().clone(), request.url().clone());
        let started = std::time::Instant::now();
        let sent = self.http.execute(request).await;
        // `-v`: each request with its status and how long the answer took to start, as
        // kubectl's `-v=6` shows them (never a header: the credential is one).
        if self.config.verbose {
            let took = started.elapsed().as_millis();
            match &sent {
                Ok(response) => eprintln!("{method} {url} {} in {took} ms", response.status()),
                Err(_) => eprintln!("{method} {url} failed in {took} ms"),
            }
        }
        let response = sent.map_err(|e| self.unreachable(&e))?;
        let code = response.status();
        if code.is_success() {
            return Ok(response);
        }
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        let status = serde_json::from_slice::<Status>(&bytes).unwrap_or_else(|_| {
            let reason = match code.as_u16() {
                401 => Reason::Unauthorized,
                403 => Reason::Forbidden,
                404 => Reason::NotFound,
                410 => Reason::Gone,
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

    /// Every object of a kind, following `continue` tokens page by page, with the revision
    /// the list reflects (to watch from).
    pub async fn list(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        params: &ListParams,
    ) -> Result<(Vec<Object>, Option<String>)> {
        let mut items = Vec::new();
        let mut revision = None;
        let mut next: Option<String> = None;
        loop {
            let mut query: Vec<(&str, String)> = vec![("limit", PAGE.to_string())];
            if let Some(s) = &params.label_selector {
                query.push(("labelSelector", s.clone()));
            }
            if params.show_values {
                query.push(("showValues", "true".to_owned()));
            }
            if let Some(token) = next.take() {
                query.push(("continue", token));
            }
            let page: List =
                self.send(self.request(Method::GET, &collection_path(kind, project)).query(&query)).await?;
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

    pub async fn get(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        name: &str,
        show_values: bool,
    ) -> Result<Object> {
        let mut builder = self.request(Method::GET, &object_path(kind, project, name));
        if show_values {
            builder = builder.query(&[("showValues", "true")]);
        }
        self.send(builder).await
    }

    /// Creates an object; with `dry_run`, mcpd validates, authorizes and checks it, and
    /// stores nothing.
    pub async fn create(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        manifest: &Value,
        dry_run: bool,
    ) -> Result<Object> {
        let builder = self.request(Method::POST, &collection_path(kind, project)).json(manifest);
        self.send(dry_run_query(builder, dry_run)).await
    }

    /// Replaces an object; its `resourceVersion` is the precondition.
    pub async fn replace(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        object: &Object,
        dry_run: bool,
    ) -> Result<Object> {
        let path = object_path(kind, project, &object.metadata.name);
        self.send(dry_run_query(self.request(Method::PUT, &path).json(object), dry_run)).await
    }

    pub async fn delete(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        name: &str,
        dry_run: bool,
    ) -> Result<Object> {
        self.send(dry_run_query(self.request(Method::DELETE, &object_path(kind, project, name)), dry_run)).await
    }

    /// The events of a kind from `resource_version` on (or the current state first, without
    /// one), as mcpd streams them; the stream ends when the server ends it.
    pub async fn watch(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        label_selector: Option<&str>,
        resource_version: Option<&str>,
    ) -> Result<impl Stream<Item = Result<WatchEvent>> + Send + Unpin + 'static> {
        let mut query: Vec<(&str, String)> = vec![("watch", "true".to_owned())];
        if let Some(s) = label_selector {
            query.push(("labelSelector", s.to_owned()));
        }
        if let Some(rv) = resource_version {
            query.push(("resourceVersion", rv.to_owned()));
        }
        let url = format!("{}{}", self.config.server, collection_path(kind, project));
        // A watch lasts as long as its user wants: no request timeout.
        let mut builder = self.http.get(url).query(&query);
        if let Some(token) = &self.config.token {
            builder = builder.bearer_auth(token);
        }
        let response = self.answer(builder).await?;
        let server = self.config.server.clone();
        let bytes = response
            .bytes_stream()
            .map(move |chunk| chunk.map_err(|e| Error::Unreachable { url: server.clone(), detail: root_cause(&e) }));
        Ok(Box::pin(lines(bytes).map(|line| {
            serde_json::from_slice::<WatchEvent>(&line?)
                .map_err(|e| Error::Invalid(format!("a watch event could not be read: {e}")))
        })))
    }

    /// Every object that refers to `kind/name` and that the caller may see.
    pub async fn referrers(&self, kind: &KindInfo, project: Option<&ProjectName>, name: &str) -> Result<ReferrerList> {
        let mut query = vec![("kind", kind.plural), ("name", name)];
        if let Some(project) = project.filter(|_| kind.scope == Scope::Project) {
            query.push(("project", project.as_str()));
        }
        self.send(self.request(Method::GET, "/api/v1/referrers").query(&query)).await
    }

    /// What the gateway runs for `project`, secret values included: only for `run serve`.
    pub async fn resolution(&self, project: &ProjectName) -> Result<Resolution> {
        let path = format!("/api/v1/projects/{}/resolution", escape(project.as_str()));
        self.send(self.request(Method::GET, &path)).await
    }

    /// Records calls the gateway relayed in the audit trail: only for `run serve`.
    pub async fn record_calls(&self, items: Vec<CallEvent>) -> Result<()> {
        let body = CallEvents { items };
        self.send(self.request(Method::POST, "/api/v1/events/calls").json(&body)).await
    }

    /// Reports how each server stands at this gateway replica (`run serve` only).
    pub async fn report_gateway_status(&self, report: &shared::api::GatewayReport) -> Result<()> {
        self.send(self.request(Method::POST, "/api/v1/gateway/status").json(report)).await
    }

    /// Records tools a gateway listed whose definitions mcpd has not recorded (`run serve`).
    pub async fn report_tools(&self, report: &shared::api::ToolReport) -> Result<shared::api::ToolReportResult> {
        self.send(self.request(Method::POST, "/api/v1/gateway/tools").json(report)).await
    }

    /// What gateway replicas reported lately, of one server or of every server the caller
    /// may list.
    pub async fn gateway_status(&self, server: Option<&str>) -> Result<shared::api::GatewayStatusList> {
        let mut request = self.request(Method::GET, "/api/v1/gateway/status");
        if let Some(server) = server {
            request = request.query(&[("server", server)]);
        }
        self.send(request).await
    }

    /// The OpenAPI document mcpd publishes, with the JSON Schema of every kind.
    pub async fn openapi(&self) -> Result<Value> {
        self.send(self.request(Method::GET, "/openapi.json")).await
    }

    pub async fn can_i(&self, question: &CanIRequest) -> Result<CanIResponse> {
        self.send(self.request(Method::POST, "/api/v1/auth/can-i").json(question)).await
    }

    /// Moves one secret's values between backends (`run migrate-secrets`, edit on it).
    pub async fn migrate_secret(&self, name: &str, request: &MigrateRequest) -> Result<MigrateResult> {
        let path = format!("{}/migrate", object_path(Kind::Secret.info(), None, name));
        self.send(self.request(Method::POST, &path).json(request)).await
    }

    /// What a token may do now (needs `run introspect`, except for one's own token).
    pub async fn introspect(&self, token: &str) -> Result<IntrospectResponse> {
        let body = IntrospectRequest { token: token.to_owned() };
        self.send(self.request(Method::POST, "/api/v1/mcptokens/introspect").json(&body)).await
    }

    pub async fn change_password(&self, change: &PasswordChange) -> Result<()> {
        self.send::<Value>(self.request(Method::POST, "/api/v1/auth/password").json(change)).await.map(|_| ())
    }

    /// Audit events matching `filters` (query parameters), following pages.
    pub async fn events(&self, filters: &[(&str, String)]) -> Result<Vec<Object>> {
        self.events_after(filters, None).await
    }

    /// Audit events matching `filters` written after the event numbered `after` (events are
    /// numbered in the order mcpd wrote them), oldest first, following pages.
    pub async fn events_after(&self, filters: &[(&str, String)], after: Option<i64>) -> Result<Vec<Object>> {
        let mut items = Vec::new();
        let mut next: Option<String> = after.map(|id| id.to_string());
        loop {
            let mut query = filters.to_vec();
            if let Some(token) = next.take() {
                query.push(("continue", token));
            }
            let page: List = self.send(self.request(Method::GET, "/api/v1/events").query(&query)).await?;
            items.extend(page.items);
            match page.metadata.and_then(|m| m.continue_token) {
                Some(token) => next = Some(token),
                None => return Ok(items),
            }
        }
    }

    /// The number of the newest event matching `filters`, if any: one page of one event.
    pub async fn newest_event(&self, filters: &[(&str, String)]) -> Result<Option<i64>> {
        let request = self
            .request(Method::GET, "/api/v1/events")
            .query(filters)
            .query(&[("newestFirst", "true"), ("limit", "1")]);
        let page: List = self.send(request).await?;
        Ok(page.items.first().and_then(|event| event.metadata.name.parse().ok()))
    }

    /// The newest `count` events about one object, oldest of them first: one small page.
    pub async fn recent_events(&self, plural: &str, name: &str, count: usize) -> Result<Vec<Object>> {
        let query = [("kind", plural.to_owned()), ("name", name.to_owned()), ("limit", count.to_string())];
        let request = self.request(Method::GET, "/api/v1/events").query(&query).query(&[("newestFirst", true)]);
        let page: List = self.send(request).await?;
        Ok(page.items.into_iter().rev().collect())
    }

    pub async fn apply(&self, items: Vec<Value>, dry_run: bool, atomic: bool) -> Result<ApplyResponse> {
        let query = [("dryRun", dry_run), ("atomic", atomic)];
        self.send(self.request(Method::POST, "/api/v1/apply").query(&query).json(&ApplyRequest { items })).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<LoginResponse> {
        let body = LoginRequest { email: email.to_owned(), password: password.to_owned() };
        self.send(self.request(Method::POST, "/api/v1/auth/login").json(&body)).await
    }

    pub async fn logout(&self) -> Result<()> {
        self.send::<Value>(self.request(Method::POST, "/api/v1/auth/logout")).await.map(|_| ())
    }

    pub async fn whoami(&self) -> Result<WhoAmI> {
        self.send(self.request(Method::GET, "/api/v1/auth/whoami")).await
    }

    pub async fn version(&self) -> Result<Version> {
        self.send(self.request(Method::GET, "/version")).await
    }
}

/// Splits a byte stream into its lines (without the newline), skipping empty ones.
fn lines<S>(bytes: S) -> impl Stream<Item = Result<Vec<u8>>>
where
    S: Stream<Item = Result<bytes::Bytes>> + Unpin,
{
    futures_util::stream::unfold((bytes, Vec::new(), false), |(mut bytes, mut buffer, done)| async move {
        loop {
            if let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).take(end).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some((Ok(line), (bytes, buffer, done)));
            }
            if done {
                return None;
            }
            match bytes.next().await {
                Some(Ok(chunk)) => {
                    buffer.extend_from_slice(&chunk);
                    if buffer.len() > MAX_EVENT {
                        let error = Error::Invalid("a watch event is larger than 16 MiB".to_owned());
                        return Some((Err(error), (bytes, Vec::new(), true)));
                    }
                }
                Some(Err(e)) => return Some((Err(e), (bytes, Vec::new(), true))),
                None if buffer.iter().all(u8::is_ascii_whitespace) => return None,
                // A last line without its newline.
                None => return Some((Ok(std::mem::take(&mut buffer)), (bytes, Vec::new(), true))),
            }
        }
    })
}

fn dry_run_query(builder: RequestBuilder, dry_run: bool) -> RequestBuilder {
    if dry_run {
        builder.query(&[("dryRun", "true")])
    } else {
        builder
    }
}

/// Where a kind's objects live: under the project for a project's tokens.
pub fn collection_path(kind: &KindInfo, project: Option<&ProjectName>) -> String {
    match project {
        Some(project) if kind.scope == Scope::Project => {
            format!("/api/v1/projects/{}/{}", escape(project.as_str()), kind.plural)
        }
        _ => format!("/api/v1/{}", kind.plural),
    }
}

pub fn object_path(kind: &KindInfo, project: Option<&ProjectName>, name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&str]) -> Vec<String> {
        let stream = futures_util::stream::iter(
            chunks.iter().map(|c| Ok(bytes::Bytes::copy_from_slice(c.as_bytes()))).collect::<Vec<_>>(),
        );
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(lines(stream).map(|l| String::from_utf8(l.unwrap()).unwrap()).collect())
    }

    #[test]
    fn lines_are_found_across_chunks() {
        assert_eq!(split(&["{\"a\"", ":1}\n{\"b\":2}\n\n", "{\"c\":3}"]), ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
        assert_eq!(split(&["x\n", "\n"]), ["x"]);
        assert!(split(&[]).is_empty());
    }

    #[test]
    fn names_cannot_change_the_path() {
        let servers = shared::Kind::Server.info();
        assert_eq!(object_path(servers, None, "a/../b"), "/api/v1/servers/a%2F..%2Fb");
        let tokens = shared::Kind::McpToken.info();
        let demo = ProjectName::parse("demo").unwrap();
        assert_eq!(collection_path(tokens, Some(&demo)), "/api/v1/projects/demo/mcptokens");
        assert_eq!(collection_path(servers, Some(&demo)), "/api/v1/servers");
    }
}
