//! `GET /metrics`, and how a request is named in the figures: its route template and method.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use shared::{Reason, Status};

use super::error::ApiError;
use crate::http::state::AppState;

/// The OpenMetrics text format, which Prometheus reads.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn serve(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    if let Some(expected) = state.metrics_token() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
            return Err(Status::new(
                Reason::Unauthorized,
                "/metrics needs the metrics token: Authorization: Bearer <token>",
            )
            .into());
        }
    }
    let pool = state.store().pool();
    let max = pool.options().get_max_connections();
    let text = state.metrics().encode(pool.size(), pool.num_idle(), max);
    let mut response = text.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(response)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The route table's own `'static` template for a matched path.
pub(super) fn route_template(matched: &str) -> &'static str {
    static TEMPLATES: std::sync::LazyLock<Vec<&'static str>> =
        std::sync::LazyLock::new(|| super::routes().into_iter().map(|r| r.path).collect());
    TEMPLATES.iter().find(|t| **t == matched).copied().unwrap_or("unmatched")
}

pub(super) fn known_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}
