//! The router: every route, its layers, and Status answers for unknown routes and methods.

pub mod apply;
pub mod error;
pub mod extract;
pub mod health;
pub mod resources;
pub mod session;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request};
use axum::routing::{get, post};
use axum::Router;
use shared::{Reason, Status};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use self::error::ApiError;
use crate::startup::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(session::login))
        .route("/auth/logout", post(session::logout))
        .route("/auth/whoami", get(session::whoami))
        .route("/apply", post(apply::apply))
        .route(
            "/projects/{project}/servers",
            get(resources::project_servers),
        )
        .route("/{plural}", get(resources::list).post(resources::create))
        .route(
            "/{plural}/{name}",
            get(resources::get)
                .put(resources::replace)
                .delete(resources::delete),
        );

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/version", get(health::version))
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn not_found() -> ApiError {
    Status::new(
        Reason::NotFound,
        "the server could not find the requested resource",
    )
    .into()
}

async fn method_not_allowed() -> ApiError {
    Status::new(
        Reason::MethodNotAllowed,
        "the method is not allowed for the requested resource",
    )
    .into()
}
