//! Extractors whose every rejection is a Status: JSON bodies (1 MiB at most), queries, paths.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use shared::{Cause, Reason, Status};

use super::error::ApiError;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A JSON body, parsed strictly; syntax errors are 400, shape errors 422 with the field path.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + serde::Serialize> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Status::new(Reason::RequestEntityTooLarge, "request body is larger than the 1 MiB limit").into()
    } else {
        Status::new(Reason::BadRequest, "the request body could not be read").into()
    }
}

pub fn parse_json<T: DeserializeOwned + serde::Serialize>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let message = if bytes.iter().all(u8::is_ascii_whitespace) {
            "a JSON request body is required".to_owned()
        } else {
            format!("malformed JSON body: {e}")
        };
        ApiError::from(Status::new(Reason::BadRequest, message))
    })?;
    shared::object::from_value_at("", value).map_err(|cause: Cause| Status::invalid("request", "", vec![cause]).into())
}

/// Query parameters; a malformed query is a 400 Status.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query).map(Query).map_err(|e| {
            let message = shared::object::without_values(e.to_string());
            Status::new(Reason::BadRequest, format!("invalid query parameters: {message}")).into()
        })
    }
}

/// Path parameters; an undecodable path is a 400 Status.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| Status::new(Reason::BadRequest, format!("invalid path: {}", e.body_text())).into())
    }
}
