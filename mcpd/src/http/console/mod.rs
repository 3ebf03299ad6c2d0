//! The web console at `/ui`: server-rendered pages over the API. Every read and write goes
//! through the API's own router in process ([`session::Api`]) with the user's session, so the
//! console has exactly the API's rights, validation and audit trail; its own decisions only
//! choose what to show (a kind the user may not list is not in the navigation, a write control
//! the user may not use is not drawn). No page runs a script, and every form carries a CSRF
//! token.

// A refusal here is the page that answers the request, made once per request: boxing it
// would buy nothing.
#![allow(clippy::result_large_err)]

mod pages;
mod session;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::name::ProjectName;
use shared::{Kind, KindInfo, Object, Reason, Status, KINDS};

use self::pages::{page, status, table, yaml, yaml_form};
use self::session::{set_cookie, Api, User};
use crate::auth::{check, Verb};
use crate::http::state::AppState;

/// The value of a `Result` whose error is the page that answers the request, or that page.
macro_rules! or_answer {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(answer) => return answer,
        }
    };
}

/// What every console handler has: mcpd's state, and the API's router to send requests through.
#[derive(Clone)]
pub struct Console {
    pub app: AppState,
    pub api: Router,
}

/// The console's routes, in front of `api` (which answers everything else).
pub fn router(app: AppState, api: Router) -> Router {
    let console = Console { app, api: api.clone() };
    Router::new()
        .route("/ui", get(home))
        .route("/ui/", get(home))
        .route("/ui/static/console.css", get(stylesheet))
        .route("/ui/static/favicon.svg", get(icon))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/events", get(events))
        .route("/ui/new/{plural}", get(new_page))
        .route("/ui/secrets/{name}/reveal", post(reveal))
        .route("/ui/tools/{name}/approve", post(approve))
        .route("/ui/{plural}", get(list).post(create))
        .route("/ui/{plural}/{name}", get(detail).post(replace))
        .route("/ui/{plural}/{name}/delete", get(delete_page).post(delete))
        .layer(axum::middleware::from_fn(headers))
        .with_state(console)
        .fallback_service(api)
}

/// Headers of every console answer: its Content-Security-Policy, no caching (pages hold values
/// and tokens), and the API's other security headers.
async fn headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        // Not `no-referrer`, as the API's: the login form's `Origin` must reach mcpd, to
        // tell where the browser is (see `session::set_cookie`). Console URLs carry no secret.
        ("referrer-policy", "same-origin"),
    ] {
        headers.insert(name, axum::http::HeaderValue::from_static(value));
    }
    response
}

/// The Content-Security-Policy of console pages: everything from mcpd itself, no script at all.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'; script-src 'none'";

async fn home(_: User) -> Redirect {
    Redirect::to("/ui/projects")
}

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], pages::CSS).into_response()
}

async fn icon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml")], pages::ICON).into_response()
}

/// The kinds the user may list, for the navigation; a project's tools when they may see
/// some project (reading tools is reading their project).
fn visible_kinds(user: &User) -> Vec<&'static KindInfo> {
    let may_list = |kind: &KindInfo| check(&user.principal, Verb::List, kind, None, None).is_ok();
    let sees_projects = may_list(Kind::Project.info());
    KINDS
        .iter()
        .filter(|kind| match kind.kind {
            Kind::Tool => sees_projects,
            _ => may_list(kind),
        })
        .collect()
}

fn render(user: &User, title: &str, body: Markup) -> Response {
    let kinds = visible_kinds(user);
    Html(page(title, Some((user, kinds.as_slice())), body).into_string()).into_response()
}

fn kind_of(plural: &str) -> Result<&'static KindInfo, Response> {
    KindInfo::by_plural(plural).filter(|k| k.writable).ok_or_else(|| not_found("no such page"))
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, Html(page("Not found", None, html! { h1 { "Not found" } p { (what) } }).into_string()))
        .into_response()
}

/// `?project=` of a page about a project's tokens or tools.
#[derive(Debug, Default, Deserialize)]
struct At {
    #[serde(default)]
    project: Option<String>,
    /// A label selector (lists).
    #[serde(default)]
    l: Option<String>,
    /// Text a name must contain (lists).
    #[serde(default)]
    q: Option<String>,
}

impl At {
    fn project(&self) -> Option<ProjectName> {
        self.project.as_deref().filter(|p| !p.is_empty()).and_then(|p| ProjectName::parse(p).ok())
    }
}

/// The API path of a kind's collection (or one object) in a project or globally.
fn api_path(kind: &KindInfo, project: Option<&ProjectName>, name: Option<&str>) -> String {
    let base = match project {
        Some(p) if kind.scope == shared::Scope::Project => format!("/api/v1/projects/{p}/{}", kind.plural),
        _ => format!("/api/v1/{}", kind.plural),
    };
    match name {
        Some(name) => format!("{base}/{}", encode(name)),
        None => base,
    }
}

/// The console path of an object.
fn ui_path(kind: &KindInfo, project: Option<&str>, name: &str) -> String {
    match project.filter(|p| !p.is_empty()) {
        Some(p) => format!("/ui/{}/{}?project={p}", kind.plural, encode(name)),
        None => format!("/ui/{}/{}", kind.plural, encode(name)),
    }
}

/// Percent-encodes everything but unreserved characters (and `@`, which names carry).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn object_of(value: Value) -> Option<Object> {
    serde_json::from_value(value).ok()
}

fn items_of(value: Value) -> Vec<Object> {
    value["items"].as_array().map(|items| items.iter().cloned().filter_map(object_of).collect()).unwrap_or_default()
}

// ---- sessions ----

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    nonce: String,
}

async fn login_page(headers: HeaderMap) -> Response {
    login_form(&headers, None)
}

fn login_form(headers: &HeaderMap, error: Option<&Status>) -> Response {
    let nonce = crate::util::hex(&rand::random::<[u8; 16]>());
    let body = html! {
        h1 { "Log in" }
        @if let Some(error) = error { (status(error)) }
        form.login method="post" action="/ui/login" {
            input type="hidden" name="nonce" value=(nonce);
            label for="email" { "Email" }
            input id="email" name="email" type="email" autocomplete="username" required;
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button type="submit" { "Log in" }
        }
    };
    let cookie = set_cookie(headers, session::LOGIN_COOKIE, &nonce, 600);
    let code = error.and_then(|e| StatusCode::from_u16(e.code).ok()).unwrap_or(StatusCode::OK);
    (code, [(header::SET_COOKIE, cookie)], Html(page("Log in", None, body).into_string())).into_response()
}

async fn login(State(state): State<Console>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    // A form posted from another site, even a sibling subdomain that planted its own nonce
    // cookie, would sign the browser in to someone else's account. Browsers say where a form
    // comes from (`Sec-Fetch-Site`): only this console's own is taken.
    if headers.get("sec-fetch-site").is_some_and(|site| site != "same-origin") {
        let elsewhere = Status::new(Reason::Forbidden, "the login form did not come from this console");
        return login_form(&headers, Some(&elsewhere));
    }
    let expected = session::cookie(&headers, session::LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != form.nonce {
        let stale = Status::new(Reason::Forbidden, "the login form expired: try again");
        return login_form(&headers, Some(&stale));
    }
    let api = Api { console: &state, bearer: None };
    let body = json!({"email": form.email, "password": form.password});
    match api.send(Method::POST, "/api/v1/auth/login", Some(&body)).await {
        Ok(answer) => {
            let token = answer["token"].as_str().unwrap_or_default();
            let max_age = answer["expiresAt"]
                .as_str()
                .and_then(crate::util::parse_time)
                .map_or(3600, |at| at - time::OffsetDateTime::now_utc().unix_timestamp());
            let mut response = Redirect::to("/ui").into_response();
            let headers_out = response.headers_mut();
            for cookie in [
                set_cookie(&headers, session::COOKIE, token, max_age),
                set_cookie(&headers, session::LOGIN_COOKIE, "", 0),
            ] {
                headers_out.append(header::SET_COOKIE, cookie.parse().expect("a cookie is a valid header"));
            }
            response
        }
        Err(refused) => login_form(&headers, Some(&refused)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(state): State<Console>, user: User, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    or_answer!(user.check_csrf(&form.csrf));
    let _ = user.api(&state).send(Method::POST, "/api/v1/auth/logout", None).await;
    let mut response = Redirect::to("/ui/login").into_response();
    let cookie = set_cookie(&headers, session::COOKIE, "", 0);
    response.headers_mut().insert(header::SET_COOKIE, cookie.parse().expect("a cookie is a valid header"));
    response
}

// ---- lists ----

async fn list(State(state): State<Console>, user: User, Path(plural): Path<String>, Query(at): Query<At>) -> Response {
    let kind = or_answer!(kind_of(&plural));
    let project = at.project();
    let mut projects = Vec::new();
    if kind.scope == shared::Scope::Project {
        projects = items_of(user.api(&state).get("/api/v1/projects").await.unwrap_or_default())
            .into_iter()
            .map(|p| p.metadata.name)
            .collect();
    }
    let needs_project = kind.needs_project() && project.is_none();
    let mut path = api_path(kind, project.as_ref(), None);
    if let Some(selector) = at.l.as_deref().filter(|l| !l.is_empty()) {
        path = format!("{path}?labelSelector={}", encode(selector));
    }
    let answer = if needs_project { Ok(json!({"items": []})) } else { user.api(&state).get(&path).await };
    let search = at.q.clone().unwrap_or_default();
    let may_create = check(&user.principal, Verb::Create, kind, None, project.as_ref()).is_ok() && !needs_project;
    let project_text = project.as_ref().map(ProjectName::to_string);
    let new_href = match &project_text {
        Some(p) => format!("/ui/new/{}?project={p}", kind.plural),
        None => format!("/ui/new/{}", kind.plural),
    };
    let list_href = format!("/ui/{}", kind.plural);
    let body = html! {
        h1 { (pages::plural_title(kind)) @if let Some(p) = &project_text { " of project " (p) } }
        form.filters method="get" action=(list_href) role="search" {
            @if kind.scope == shared::Scope::Project {
                label for="project" { "Project" }
                select id="project" name="project" {
                    @if !kind.needs_project() { option value="" { "(global)" } }
                    @if kind.needs_project() && project.is_none() { option value="" selected { "choose a project" } }
                    @for p in &projects {
                        option value=(p) selected[project_text.as_deref() == Some(p.as_str())] { (p) }
                    }
                }
            }
            label for="l" { "Labels" }
            input id="l" name="l" type="text" placeholder="team=infra" value=(at.l.clone().unwrap_or_default());
            label for="q" { "Name contains" }
            input id="q" name="q" type="search" value=(search);
            button type="submit" { "Filter" }
        }
        @if may_create {
            p { a.button href=(new_href) { "Create" } }
        }
        @match answer {
            Err(refused) => { (status(&refused)) }
            Ok(value) => {
                @let objects: Vec<Object> = items_of(value).into_iter().filter(|o| o.metadata.name.contains(search.as_str())).collect();
                @if needs_project { (pages::note("Tools belong to a project: choose one.")) }
                @else if objects.is_empty() { (pages::note("Nothing to show.")) }
                @else { (table(kind, &objects, |o| ui_path(kind, o.metadata.project.as_deref(), &o.metadata.name))) }
            }
        }
    };
    render(&user, pages::plural_title(kind), body)
}

// ---- one object ----

async fn detail(
    State(state): State<Console>,
    user: User,
    Path((plural, name)): Path<(String, String)>,
    Query(at): Query<At>,
) -> Response {
    let kind = or_answer!(kind_of(&plural));
    let project = at.project();
    match user.api(&state).get(&api_path(kind, project.as_ref(), Some(&name))).await {
        Ok(value) => show(&state, &user, kind, project.as_ref(), value, None, None).await,
        Err(refused) => render(&user, &name, html! { h1 { (name) } (status(&refused)) }),
    }
}

/// An object's page: its details, what refers to it, its YAML, and the controls the user may
/// use. `error` is a failed edit (its text kept in the editor); `note` a message above all.
async fn show(
    state: &Console,
    user: &User,
    kind: &'static KindInfo,
    project: Option<&ProjectName>,
    value: Value,
    error: Option<(&Status, &str)>,
    note: Option<Markup>,
) -> Response {
    let Some(object) = object_of(value.clone()) else { return not_found("no such object") };
    let name = object.metadata.name.clone();
    let project_text = project.map(ProjectName::to_string);
    let api = user.api(state);
    let mut referrers_path = format!("/api/v1/referrers?kind={}&name={}", kind.plural, encode(&name));
    if let Some(p) = &project_text {
        referrers_path.push_str(&format!("&project={p}"));
    }
    let referrers = items_of_referrers(api.get(&referrers_path).await.unwrap_or_default());
    let may_update = check(&user.principal, Verb::Update, kind, Some(&name), project).is_ok();
    let may_delete = check(&user.principal, Verb::Delete, kind, Some(&name), project).is_ok();
    let text = yaml(&value);
    let self_path = ui_path(kind, project_text.as_deref(), &name);
    let list_href = match &project_text {
        Some(p) => format!("/ui/{}?project={p}", kind.plural),
        None => format!("/ui/{}", kind.plural),
    };
    let extra = match kind.kind {
        Kind::Project => project_extra(state, &name),
        Kind::Server => server_extra(&api, &name, &object).await,
        Kind::Tool => tool_extra(user, &object, project_text.as_deref(), may_update),
        Kind::Secret => secret_extra(user, &object, may_update),
        _ => html! {},
    };
    let body = html! {
        p.crumbs { a href=(list_href) { (pages::plural_title(kind)) } }
        h1 { (kind.kind.as_str()) " " (name) }
        @if let Some(note) = note { (note) }
        (extra)
        section aria-labelledby="used-by" {
            h2 id="used-by" { "Used by" }
            @if referrers.is_empty() { p { "Nothing refers to it." } }
            @else {
                ul { @for (what, field) in &referrers { li { (what) " " span.muted { "(" (field) ")" } } } }
            }
        }
        @if let Some((refused, _)) = error { (status(refused)) }
        @if may_update && !kind.immutable {
            section aria-labelledby="edit" {
                h2 id="edit" { "Edit" }
                (yaml_form(user, &self_path, error.map_or(text.as_str(), |(_, kept)| kept), "Save"))
            }
        } @else {
            section aria-labelledby="yaml-title" {
                h2 id="yaml-title" { "YAML" }
                pre.yaml { code { (text) } }
            }
        }
        @if may_delete {
            p { a.button.danger href=(delete_path(&self_path)) { @if kind.kind == Kind::McpToken { "Revoke" } @else { "Delete" } } }
        }
    };
    render(user, &name, body)
}

fn delete_path(self_path: &str) -> String {
    match self_path.split_once('?') {
        Some((path, query)) => format!("{path}/delete?{query}"),
        None => format!("{self_path}/delete"),
    }
}

/// `(kind/name, field)` of each referrer.
fn items_of_referrers(value: Value) -> Vec<(String, String)> {
    value["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|r| {
                    let kind = r["kind"].as_str().and_then(Kind::parse).map_or("object", |k| k.info().singular);
                    let key = r["key"].as_str().map(|k| format!(", key {k}")).unwrap_or_default();
                    (
                        format!("{kind}/{}", r["name"].as_str().unwrap_or_default()),
                        format!("{}{key}", r["field"].as_str().unwrap_or_default()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A project's gateway endpoint and ready client configurations.
fn project_extra(state: &Console, project: &str) -> Markup {
    let url = format!("{}/projects/{project}/mcp", state.app.gateway_url().trim_end_matches('/'));
    let variable = shared::api::GATEWAY_TOKEN_VARIABLE;
    html! {
        section aria-labelledby="gateway" {
            h2 id="gateway" { "Gateway endpoint" }
            p { code { (url) } }
            p { "A client needs a token that may connect to this project: "
                code { "export " (variable) "=$(mcpctl create mcptoken claude -p " (project) " --bind action:connect)" } }
            @for client in ["claude-code", "cursor", "vscode"] {
                @if let Some(config) = shared::api::http_client_config(client, project, &url) {
                    h3 { (client) }
                    pre.yaml { code { (serde_json::to_string_pretty(&config).unwrap_or_default()) } }
                }
            }
        }
    }
}

/// How a server stands at each gateway, and the sandbox of a stdio server.
async fn server_extra(api: &Api<'_>, name: &str, object: &Object) -> Markup {
    let standings = api.get(&format!("/api/v1/gateway/status?server={}", encode(name))).await.unwrap_or_default();
    let standings = standings["items"].as_array().cloned().unwrap_or_default();
    let sandbox: shared::spec::Sandbox = serde_json::from_value(object.spec["sandbox"].clone()).unwrap_or_default();
    let network = match sandbox.reach() {
        shared::spec::Reach::Open => "open".to_owned(),
        shared::spec::Reach::None => "none (loopback only)".to_owned(),
        shared::spec::Reach::Egress(allowed) => {
            format!("only {} (through the gateway's egress proxy)", allowed.join(", "))
        }
    };
    html! {
        section aria-labelledby="standing" {
            h2 id="standing" { "Gateways" }
            @if standings.is_empty() { p { "No gateway has reported this server lately." } }
            @else {
                ul {
                    @for g in &standings {
                        li {
                            strong { (g["state"].as_str().unwrap_or_default()) }
                            @if let Some(reason) = g["reason"].as_str() { ": " (reason) }
                            " — project " (g["project"].as_str().unwrap_or_default())
                            " at " (g["gateway"].as_str().unwrap_or_default())
                            " since " (g["since"].as_str().unwrap_or_default())
                        }
                    }
                }
            }
        }
        @if object.spec["transport"] == "stdio" {
            section aria-labelledby="sandbox" {
                h2 id="sandbox" { "Sandbox" }
                dl {
                    dt { "Network" } dd { (network) }
                    dt { "Memory" } dd { (sandbox.memory_shown()) }
                    dt { "Processes" } dd { (sandbox.processes()) }
                    dt { "Mounts" }
                    dd {
                        @if sandbox.mounts.is_empty() { "none" }
                        @for m in &sandbox.mounts { (m.path) " (" (if m.read_only { "read-only" } else { "read-write" }) ") " }
                    }
                }
            }
        }
    }
}

/// A tool's approval state, and the approval of what a gateway listed.
fn tool_extra(user: &User, object: &Object, project: Option<&str>, may_update: bool) -> Markup {
    let status = object.status.clone().unwrap_or_default();
    let state = status["state"].as_str().unwrap_or_default().to_owned();
    let approvable = may_update && state != "approved" && status["definition"].is_object();
    let action = format!("/ui/tools/{}/approve?project={}", encode(&object.metadata.name), project.unwrap_or_default());
    html! {
        section aria-labelledby="approval" {
            h2 id="approval" { "Approval" }
            dl {
                dt { "State" } dd { strong { (state) } }
                dt { "Approved" } dd { code { (object.spec["approved"]["fingerprint"].as_str().unwrap_or("none")) } }
                dt { "Listed" } dd { code { (status["fingerprint"].as_str().unwrap_or("none")) } }
            }
            @if state == "changed" {
                h3 { "Approved definition" }
                pre.yaml { code { (yaml(&object.spec["approved"]["definition"])) } }
            }
            @if state != "approved" && status["definition"].is_object() {
                h3 { "Definition a gateway listed" }
                pre.yaml { code { (yaml(&status["definition"])) } }
            }
            // The form names the definition shown: one listed after the page was drawn is
            // not approved unseen.
            @if approvable {
                form.inline method="post" action=(action) {
                    input type="hidden" name="csrf" value=(user.csrf);
                    input type="hidden" name="fingerprint" value=(status["fingerprint"].as_str().unwrap_or_default());
                    button type="submit" { "Approve this definition" }
                }
            }
        }
    }
}

/// A secret's keys; its values only on an explicit action, for whoever may edit it.
fn secret_extra(user: &User, object: &Object, may_update: bool) -> Markup {
    let keys: Vec<String> = object.spec["data"].as_object().map(|d| d.keys().cloned().collect()).unwrap_or_default();
    let action = format!("/ui/secrets/{}/reveal", encode(&object.metadata.name));
    html! {
        section aria-labelledby="keys" {
            h2 id="keys" { "Keys" }
            p { @if keys.is_empty() { "none" } @else { (keys.join(", ")) } }
            @if may_update { (pages::button_form(user, &action, "Reveal values", "")) }
            @else { p.muted { "Revealing values needs edit on this secret." } }
        }
    }
}

#[derive(Deserialize)]
struct YamlForm {
    csrf: String,
    yaml: String,
}

/// The YAML of a form as the API's JSON, or why it is not YAML.
fn manifest_of(text: &str) -> Result<Value, Status> {
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| {
        Status::new(
            Reason::BadRequest,
            format!("the text is not YAML: {}", shared::object::without_values(e.to_string())),
        )
    })
}

async fn replace(
    State(state): State<Console>,
    user: User,
    Path((plural, name)): Path<(String, String)>,
    Query(at): Query<At>,
    Form(form): Form<YamlForm>,
) -> Response {
    or_answer!(user.check_csrf(&form.csrf));
    let kind = or_answer!(kind_of(&plural));
    let project = at.project();
    let path = api_path(kind, project.as_ref(), Some(&name));
    let sent = match manifest_of(&form.yaml) {
        Ok(manifest) => user.api(&state).send(Method::PUT, &path, Some(&manifest)).await,
        Err(invalid) => Err(invalid),
    };
    match sent {
        Ok(_) => Redirect::to(&ui_path(kind, project.as_ref().map(ProjectName::as_str), &name)).into_response(),
        Err(refused) => match user.api(&state).get(&path).await {
            Ok(current) => {
                let mut response =
                    show(&state, &user, kind, project.as_ref(), current, Some((&refused, &form.yaml)), None).await;
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                response
            }
            Err(gone) => render(&user, &name, status(&gone)),
        },
    }
}

async fn new_page(State(_): State<Console>, user: User, Path(plural): Path<String>, Query(at): Query<At>) -> Response {
    let kind = or_answer!(kind_of(&plural));
    new_form(&user, kind, at.project().as_ref(), &template(kind, at.project().as_ref()), None)
}

fn new_form(
    user: &User,
    kind: &'static KindInfo,
    project: Option<&ProjectName>,
    text: &str,
    error: Option<&Status>,
) -> Response {
    let action = match project {
        Some(p) => format!("/ui/{}?project={p}", kind.plural),
        None => format!("/ui/{}", kind.plural),
    };
    let body = html! {
        h1 { "New " (kind.singular) }
        @if let Some(error) = error { (status(error)) }
        (yaml_form(user, &action, text, "Create"))
    };
    render(user, &format!("New {}", kind.singular), body)
}

/// A manifest to start from.
fn template(kind: &KindInfo, project: Option<&ProjectName>) -> String {
    let spec = match kind.kind {
        Kind::Secret => json!({"data": {"token": "value"}}),
        Kind::SecretBackend => {
            json!({"type": "openbao", "address": "https://openbao.example.com:8200", "auth": {"token": {"secretKeyRef": {"name": "bao-token", "key": "token"}}}})
        }
        Kind::Server => {
            json!({"transport": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"]})
        }
        Kind::Project => json!({"description": "", "servers": []}),
        Kind::Tool => json!({"server": ""}),
        Kind::User => json!({"displayName": "", "password": ""}),
        Kind::Group => json!({"members": []}),
        Kind::RbacDefinition => json!({"subjects": [], "roleBindings": [{"role": "view", "resource": "servers"}]}),
        Kind::McpToken => json!({"bindings": [{"role": "run", "action": "connect"}], "ttl": "30d"}),
        Kind::AuditEvent => json!({}),
    };
    let mut metadata = json!({"name": ""});
    if let Some(p) = project {
        metadata["project"] = json!(p.as_str());
    }
    yaml(&json!({"apiVersion": shared::API_VERSION, "kind": kind.kind.as_str(), "metadata": metadata, "spec": spec}))
}

async fn create(
    State(state): State<Console>,
    user: User,
    Path(plural): Path<String>,
    Query(at): Query<At>,
    Form(form): Form<YamlForm>,
) -> Response {
    or_answer!(user.check_csrf(&form.csrf));
    let kind = or_answer!(kind_of(&plural));
    let project = at.project();
    let sent = match manifest_of(&form.yaml) {
        Ok(manifest) => {
            user.api(&state).send(Method::POST, &api_path(kind, project.as_ref(), None), Some(&manifest)).await
        }
        Err(invalid) => Err(invalid),
    };
    match sent {
        Ok(created) => {
            // A token's raw value is shown this once, and never again.
            let raw = created["status"]["token"].as_str().map(str::to_owned);
            let mut shown = created.clone();
            if let Some(status) = shown.get_mut("status").and_then(Value::as_object_mut) {
                status.remove("token");
            }
            let note = raw.map(|token| {
                html! {
                    div.secret role="status" {
                        p { strong { "The token, shown this once:" } }
                        p { code.token { (token) } }
                        p { "Copy it now: mcpd keeps only its hash." }
                    }
                }
            });
            show(&state, &user, kind, project.as_ref(), shown, None, note).await
        }
        Err(refused) => {
            let mut response = new_form(&user, kind, project.as_ref(), &form.yaml, Some(&refused));
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
    }
}

async fn delete_page(
    State(_): State<Console>,
    user: User,
    Path((plural, name)): Path<(String, String)>,
    Query(at): Query<At>,
) -> Response {
    let kind = or_answer!(kind_of(&plural));
    let project = at.project();
    let self_path = ui_path(kind, project.as_ref().map(ProjectName::as_str), &name);
    let verb = if kind.kind == Kind::McpToken { "Revoke" } else { "Delete" };
    let body = html! {
        h1 { (verb) " " (kind.singular) " " (name) "?" }
        p { "This cannot be undone." }
        (pages::button_form(&user, &delete_path(&self_path), verb, "danger"))
        p { a href=(self_path) { "Cancel" } }
    };
    render(&user, &format!("{verb} {name}"), body)
}

async fn delete(
    State(state): State<Console>,
    user: User,
    Path((plural, name)): Path<(String, String)>,
    Query(at): Query<At>,
    Form(form): Form<CsrfForm>,
) -> Response {
    or_answer!(user.check_csrf(&form.csrf));
    let kind = or_answer!(kind_of(&plural));
    let project = at.project();
    match user.api(&state).send(Method::DELETE, &api_path(kind, project.as_ref(), Some(&name)), None).await {
        Ok(_) => {
            let back = match &project {
                Some(p) => format!("/ui/{}?project={p}", kind.plural),
                None => format!("/ui/{}", kind.plural),
            };
            Redirect::to(&back).into_response()
        }
        Err(refused) => render(&user, &name, html! { h1 { (name) } (status(&refused)) }),
    }
}

async fn reveal(
    State(state): State<Console>,
    user: User,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    or_answer!(user.check_csrf(&form.csrf));
    let kind = Kind::Secret.info();
    let path = format!("{}?showValues=true", api_path(kind, None, Some(&name)));
    let body = match user.api(&state).get(&path).await {
        Ok(secret) => {
            let data = secret["spec"]["data"].as_object().cloned().unwrap_or_default();
            html! {
                p.crumbs { a href=(format!("/ui/secrets/{}", encode(&name))) { "Secret " (name) } }
                h1 { "Values of secret " (name) }
                div.secret {
                    dl { @for (key, value) in &data { dt { (key) } dd { code { (value.as_str().unwrap_or_default()) } } } }
                }
                p.muted { "This page is not cached; leaving it forgets the values." }
            }
        }
        Err(refused) => html! { h1 { "Values of secret " (name) } (status(&refused)) },
    };
    render(&user, &name, body)
}

#[derive(Deserialize)]
struct ApproveForm {
    csrf: String,
    /// The fingerprint of the definition the page showed.
    fingerprint: String,
}

async fn approve(
    State(state): State<Console>,
    user: User,
    Path(name): Path<String>,
    Query(at): Query<At>,
    Form(form): Form<ApproveForm>,
) -> Response {
    or_answer!(user.check_csrf(&form.csrf));
    let kind = Kind::Tool.info();
    let Some(project) = at.project() else { return not_found("tools are in a project") };
    let path = api_path(kind, Some(&project), Some(&name));
    let api = user.api(&state);
    let result = match api.get(&path).await {
        Ok(tool) if tool["status"]["fingerprint"].as_str() != Some(form.fingerprint.as_str()) => {
            let message = "a gateway listed another definition of this tool since the page was shown: review it again";
            Err(Status::new(Reason::Conflict, message))
        }
        Ok(mut tool) => {
            let definition = tool["status"]["definition"].clone();
            // mcpd checks that the fingerprint is the definition's.
            tool["spec"]["approved"] = json!({"fingerprint": form.fingerprint, "definition": definition});
            if let Some(object) = tool.as_object_mut() {
                object.remove("status");
            }
            api.send(Method::PUT, &path, Some(&tool)).await
        }
        Err(refused) => Err(refused),
    };
    match result {
        Ok(_) => Redirect::to(&ui_path(kind, Some(project.as_str()), &name)).into_response(),
        Err(refused) => render(&user, &name, html! { h1 { (name) } (status(&refused)) }),
    }
}

// ---- the audit trail ----

#[derive(Debug, Default, Deserialize)]
struct EventFilters {
    #[serde(default)]
    project: String,
    #[serde(default)]
    server: String,
    #[serde(default)]
    principal: String,
    #[serde(default)]
    outcome: String,
    /// Where the page starts: the API's continue token.
    #[serde(default, rename = "continue")]
    continue_token: String,
}

/// Events per page of the audit trail.
const EVENTS_PER_PAGE: usize = 200;

async fn events(State(state): State<Console>, user: User, Query(filters): Query<EventFilters>) -> Response {
    // The API filters and pages; the console only draws.
    // The chosen filters, each followed by `&`: for the API, and for the link to older events.
    let mut chosen = String::new();
    for (field, value) in [
        ("project", &filters.project),
        ("server", &filters.server),
        ("principal", &filters.principal),
        ("outcome", &filters.outcome),
    ] {
        if !value.is_empty() {
            chosen.push_str(&format!("{field}={}&", encode(value)));
        }
    }
    let mut query = format!("{chosen}newestFirst=true&limit={EVENTS_PER_PAGE}");
    if !filters.continue_token.is_empty() {
        query.push_str(&format!("&continue={}", encode(&filters.continue_token)));
    }
    let answer = user.api(&state).get(&format!("/api/v1/events?{query}")).await;
    let next = answer.as_ref().ok().and_then(|list| list["metadata"]["continue"].as_str().map(str::to_owned));
    let kind = Kind::AuditEvent.info();
    let body = html! {
        h1 { "Audit events" }
        form.filters method="get" action="/ui/events" role="search" {
            @for (field, label, value) in [("project", "Project", &filters.project), ("server", "Server", &filters.server), ("principal", "Principal", &filters.principal)] {
                label for=(field) { (label) }
                input id=(field) name=(field) type="text" value=(value);
            }
            label for="outcome" { "Outcome" }
            select id="outcome" name="outcome" {
                @for outcome in ["", "ok", "error", "timeout", "refused"] {
                    option value=(outcome) selected[filters.outcome == outcome] { @if outcome.is_empty() { "any" } @else { (outcome) } }
                }
            }
            button type="submit" { "Filter" }
        }
        @match answer {
            Err(refused) => { (status(&refused)) }
            Ok(value) => {
                @let events: Vec<Object> = items_of(value);
                @if events.is_empty() { (pages::note("No events match.")) }
                @else {
                    div.scroll {
                        table {
                            thead { tr {
                                th scope="col" { "Event" }
                                @for column in kind.columns { th scope="col" { (column.header.to_lowercase()) } }
                            } }
                            tbody {
                                @for event in &events {
                                    tr {
                                        th scope="row" { (event.metadata.name) }
                                        @for column in kind.columns { td { ((column.value)(event)) } }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(next) = &next {
                        p { a href=(format!("/ui/events?{chosen}continue={}", encode(next))) { "Older events" } }
                    }
                }
            }
        }
    };
    render(&user, "Audit events", body)
}
