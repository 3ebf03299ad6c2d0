//! The router: every route with the access it declares, its layers, and Status answers for
//! unknown routes and methods.

pub mod access;
pub mod apply;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod resources;
pub mod session;
pub mod watch;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use shared::{Reason, Status};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use self::error::ApiError;
use crate::startup::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Who may call a route at all. Protected handlers take a `Principal` (401 without one), and
/// object access also needs an `Authorized` from `auth::authorize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    Protected,
}

pub struct Route {
    pub path: &'static str,
    pub methods: &'static [Method],
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

fn route(path: &'static str, methods: &'static [Method], access: Access, handler: MethodRouter<AppState>) -> Route {
    Route { path, methods, access, handler }
}

/// Every route of the API. A route cannot be added without declaring its access, and a test
/// walks this list to check each one.
pub fn routes() -> Vec<Route> {
    use Access::{Protected, Public};
    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];
    const GET_POST: &[Method] = &[Method::GET, Method::POST];
    const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];
    vec![
        route("/healthz", GET, Public, get(health::healthz)),
        route("/readyz", GET, Public, get(health::readyz)),
        route("/version", GET, Public, get(health::version)),
        route("/openapi.json", GET, Public, get(openapi::serve)),
        // Public unless --metrics-token is set; it names routes, never objects.
        route("/metrics", GET, Public, get(metrics::serve)),
        route("/api/v1/auth/login", POST, Public, post(session::login)),
        route("/api/v1/auth/logout", POST, Protected, post(session::logout)),
        route("/api/v1/auth/whoami", GET, Protected, get(session::whoami)),
        route("/api/v1/auth/password", POST, Protected, post(session::change_password)),
        route("/api/v1/auth/can-i", POST, Protected, post(access::can_i)),
        route("/api/v1/mcptokens/introspect", POST, Protected, post(access::introspect)),
        route("/api/v1/apply", POST, Protected, post(apply::apply)),
        route("/api/v1/events", GET, Protected, get(events::list)),
        route("/api/v1/events/{id}", GET, Protected, get(events::get)),
        route("/api/v1/projects/{project}/servers", GET, Protected, get(resources::project_servers)),
        route(
            "/api/v1/projects/{project}/{plural}",
            GET_POST,
            Protected,
            get(resources::list_project).post(resources::create_project),
        ),
        route(
            "/api/v1/projects/{project}/{plural}/{name}",
            GET_PUT_DELETE,
            Protected,
            get(resources::get_project).put(resources::replace_project).delete(resources::delete_project),
        ),
        route("/api/v1/{plural}", GET_POST, Protected, get(resources::list).post(resources::create)),
        route(
            "/api/v1/{plural}/{name}",
            GET_PUT_DELETE,
            Protected,
            get(resources::get).put(resources::replace).delete(resources::delete),
        ),
    ]
}

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The router with `extra` routes beside the API's (the test suites add routes that fail in
/// ways no real route should, to see that the layers hold).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let mut router = extra;
    for r in routes() {
        router = router.route(r.path, r.handler);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
        // A panicking handler answers 500 and is logged; the daemon and other requests go on.
        .layer(CatchPanicLayer::custom(panicked))
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(axum::middleware::from_fn(finish_response))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unfit_request_id))
}

/// The longest request id a client may choose.
const MAX_REQUEST_ID: usize = 64;

/// A client's `x-request-id` goes into the log and back into the answer, so only a short
/// `[A-Za-z0-9._-]` id is kept; any other is dropped and a new one made.
async fn drop_unfit_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    let fit = request.headers().get(REQUEST_ID).map(|id| {
        let id = id.as_bytes();
        !id.is_empty()
            && id.len() <= MAX_REQUEST_ID
            && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    if fit == Some(false) || request.headers().get_all(REQUEST_ID).iter().count() > 1 {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
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

/// Finishes every response in one pass: the security headers, the request id as a header, and
/// the request id inside every Status body, so an error a user reports can be found in the log.
async fn finish_response(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let id = request.headers().get(REQUEST_ID).cloned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    let Some(id) = id else { return response };
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
