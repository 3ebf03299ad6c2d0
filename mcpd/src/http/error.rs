//! Errors as HTTP responses: every failure becomes a Status body.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::{Reason, Status};

pub use crate::error::ApiError;

/// A Status as an HTTP response, with `Retry-After` where the reason calls for it.
pub fn status_response(status: Status) -> Response {
    let code = StatusCode::from_u16(status.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let retry = matches!(status.reason, Reason::TooManyRequests | Reason::ServiceUnavailable);
    let mut response = (code, Json(status)).into_response();
    if retry && !response.headers().contains_key("retry-after") {
        response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        status_response(self.into_status())
    }
}
