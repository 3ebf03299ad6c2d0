//! The router: every route with the access it declares, its layers, and Status answers for
//! unknown routes and methods.

pub mod access;
pub mod apply;
pub mod console;
pub mod error;
pub mod events;
pub mod extract;
pub mod gateway;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod resources;
pub mod secrets;
pub mod session;
pub mod state;
pub mod watch;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use axum::routing::MethodRouter;
use axum::Router;
use shared::{Reason, Status};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use self::error::ApiError;
use crate::http::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Who may call a route at all. Protected handlers take a `Principal` (401 without one), and
/// object access also needs an `Authorized` from `auth::authorize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    Protected,
}

/// A route: its path, who may call it, and each method's handler with its OpenAPI operation.
pub struct Route {
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
    operations: Vec<(Method, openapi::Doc)>,
}

impl Route {
    fn new(path: &'static str, access: Access) -> Route {
        Route { path, access, handler: MethodRouter::new(), operations: Vec::new() }
    }

    fn get<H: Handler<T, AppState>, T: 'static>(mut self, handler: H, doc: openapi::Doc) -> Route {
        self.handler = self.handler.get(handler);
        self.operations.push((Method::GET, doc));
        self
    }

    fn post<H: Handler<T, AppState>, T: 'static>(mut self, handler: H, doc: openapi::Doc) -> Route {
        self.handler = self.handler.post(handler);
        self.operations.push((Method::POST, doc));
        self
    }

    fn put<H: Handler<T, AppState>, T: 'static>(mut self, handler: H, doc: openapi::Doc) -> Route {
        self.handler = self.handler.put(handler);
        self.operations.push((Method::PUT, doc));
        self
    }

    fn delete<H: Handler<T, AppState>, T: 'static>(mut self, handler: H, doc: openapi::Doc) -> Route {
        self.handler = self.handler.delete(handler);
        self.operations.push((Method::DELETE, doc));
        self
    }

    /// The methods the route serves.
    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        self.operations.iter().map(|(method, _)| method)
    }
}

/// Every route of the API. A route cannot be added without declaring its access and the
/// OpenAPI operation of each method, and a test walks this list to check each one.
pub fn routes() -> Vec<Route> {
    use openapi as doc;
    use Access::{Protected, Public};
    vec![
        Route::new("/healthz", Public).get(health::healthz, doc::probe),
        Route::new("/readyz", Public).get(health::readyz, doc::probe),
        Route::new("/version", Public).get(health::version, doc::version),
        Route::new("/openapi.json", Public).get(openapi::serve, doc::itself),
        // Public unless --metrics-token is set; it names routes, never objects.
        Route::new("/metrics", Public).get(metrics::serve, doc::metrics),
        Route::new("/api/v1/auth/login", Public).post(session::login, doc::login),
        Route::new("/api/v1/auth/logout", Protected).post(session::logout, doc::no_content),
        Route::new("/api/v1/auth/whoami", Protected).get(session::whoami, doc::whoami),
        Route::new("/api/v1/auth/password", Protected).post(session::change_password, doc::password),
        Route::new("/api/v1/auth/can-i", Protected).post(access::can_i, doc::can_i),
        Route::new("/api/v1/mcptokens/introspect", Protected).post(access::introspect, doc::introspect),
        Route::new("/api/v1/apply", Protected).post(apply::apply, doc::apply),
        Route::new("/api/v1/events", Protected).get(events::list, doc::events),
        // The gateway's own credential (`run serve`) reports the calls it relayed.
        Route::new("/api/v1/events/calls", Protected).post(events::intake, doc::intake),
        Route::new("/api/v1/events/{id}", Protected).get(events::get, doc::event),
        // The gateway's own credential (`run serve`) reports how its servers stand; whoever
        // may list servers reads it.
        Route::new("/api/v1/gateway/status", Protected)
            .get(gateway::list, doc::gateway_status)
            .post(gateway::report, doc::gateway_report),
        // The gateway's own credential (`run serve`) records the tools it listed.
        Route::new("/api/v1/gateway/tools", Protected).post(gateway::tools, doc::gateway_tools),
        // `run migrate-secrets` and edit on the secret: its values move between backends.
        Route::new("/api/v1/secrets/{name}/migrate", Protected).post(secrets::migrate, doc::migrate),
        Route::new("/api/v1/referrers", Protected).get(resources::referrers, doc::referrers),
        Route::new("/api/v1/projects/{project}/servers", Protected)
            .get(resources::project_servers, doc::project_servers),
        // For the gateway's own credential (`run serve`) only: secret values included.
        Route::new("/api/v1/projects/{project}/resolution", Protected).get(resources::resolution, doc::resolution),
        Route::new("/api/v1/projects/{project}/{plural}", Protected)
            .get(resources::list_project, doc::list)
            .post(resources::create_project, doc::create),
        Route::new("/api/v1/projects/{project}/{plural}/{name}", Protected)
            .get(resources::get_project, doc::get)
            .put(resources::replace_project, doc::replace)
            .delete(resources::delete_project, doc::delete),
        Route::new("/api/v1/{plural}", Protected).get(resources::list, doc::list).post(resources::create, doc::create),
        Route::new("/api/v1/{plural}/{name}", Protected)
            .get(resources::get, doc::get)
            .put(resources::replace, doc::replace)
            .delete(resources::delete, doc::delete),
    ]
}

/// The router with `extra` routes beside the API's (the test suites add routes that fail in
/// ways no real route should, to see that the layers hold).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let api = api_router(state.clone(), extra);
    // The console answers /ui, in front of the API, and reaches the API through it.
    console::router(state, api)
}

/// The API alone: its routes (and `extra`) with every layer.
fn api_router(state: AppState, extra: Router<AppState>) -> Router {
    let mut router = extra;
    for r in routes() {
        router = router.route(r.path, r.handler);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // A panicking handler answers 500 and is logged; the daemon and other requests go on.
        .layer(CatchPanicLayer::custom(panicked))
        // Inside the routing, so that the route template is known for the metrics.
        .layer(axum::middleware::from_fn_with_state(state.clone(), finish_response))
        .with_state(state)
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = tracing::field::Empty
            )
        }))
}

/// The longest request id a client may choose.
const MAX_REQUEST_ID: usize = 64;

/// The request's id: the client's `x-request-id` when it is one short `[A-Za-z0-9._-]` id (it
/// goes into the log and back into the answer, so nothing else is kept), else a new UUID.
fn request_id(request: &axum::extract::Request) -> HeaderValue {
    let mut given = request.headers().get_all(REQUEST_ID).iter();
    if let (Some(id), None) = (given.next(), given.next()) {
        let bytes = id.as_bytes();
        let fit = !bytes.is_empty()
            && bytes.len() <= MAX_REQUEST_ID
            && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if fit {
            return id.clone();
        }
    }
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let uuid = format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]);
    HeaderValue::from_str(&uuid).expect("a UUID is a valid header value")
}

fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a request handler panicked");
    error::status_response(Status::new(
        Reason::InternalError,
        "an internal error occurred; the server log has the details",
    ))
}

/// The largest error body passed on; Status bodies bound their causes well below it.
const MAX_ERROR_BODY: usize = 1024 * 1024;

/// Headers every response carries.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("cache-control", "no-store"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("referrer-policy", "no-referrer"),
];

/// Finishes every request in one pass: its id (into the log's span, the answer's header and
/// every Status body, so an error a user reports can be found in the log), its metrics by
/// route template, and the security headers.
async fn finish_response(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = request_id(&request);
    tracing::Span::current().record("request_id", id.to_str().unwrap_or(""));
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| metrics::route_template(m.as_str()));
    let method = metrics::known_method(request.method());
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    let code = response.status().as_u16();
    state.metrics().observe_request(crate::metrics::RequestLabels { route, method, code }, started.elapsed());
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    headers.insert(REQUEST_ID, id.clone());
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        // Statuses are bounded well below this; should one not be, it is still a Status.
        tracing::error!(status = parts.status.as_u16(), "an error answer was too large to send");
        let mut status =
            Status::new(Reason::InternalError, "an internal error occurred; the server log has the details");
        status.request_id = id.to_str().ok().map(str::to_owned);
        let mut response = error::status_response(status);
        response.headers_mut().insert(REQUEST_ID, id);
        return response;
    };
    let bytes = match serde_json::from_slice::<Status>(&bytes) {
        Ok(mut status) => {
            status.request_id = id.to_str().ok().map(str::to_owned);
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            serde_json::to_vec(&status).map(bytes::Bytes::from).unwrap_or(bytes)
        }
        Err(_) => bytes,
    };
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

async fn not_found() -> ApiError {
    Status::new(Reason::NotFound, "the server could not find the requested resource").into()
}

async fn method_not_allowed() -> ApiError {
    Status::new(Reason::MethodNotAllowed, "the method is not allowed for the requested resource").into()
}
