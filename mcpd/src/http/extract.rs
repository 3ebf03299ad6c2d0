//! Extractors whose every rejection is a Status: JSON bodies (1 MiB at most), queries, paths.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use shared::{Cause, Reason, Status};

use super::error::ApiError;
use super::state::AppState;
use crate::audit::Event;
use crate::auth::principal::{self, Principal};

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

/// The caller of every `/api/v1` route: the bearer resolved by `auth`, or 401. Refusals go
/// into the audit trail, at most [`AppState::may_record_refusal`] allows.
impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Principal, ApiError> {
        let bearer = bearer_of(parts);
        let resolved = match &bearer {
            Ok(bearer) => principal::resolve(state.auth(), bearer).await,
            Err(e) => Err(principal::unauthorized(e)),
        };
        if let Err(ApiError::Status(status)) = &resolved {
            if status.code == 401 && state.may_record_refusal() {
                let who = bearer.as_deref().map_or("anonymous".to_owned(), shared::token::refused_name);
                state.audit().record(Event {
                    principal: &who,
                    verb: "authenticate",
                    kind: "credentials",
                    name: "",
                    project: None,
                    code: 401,
                    dry_run: false,
                });
            }
        }
        resolved
    }
}

/// The bearer of a request, or why there is none.
pub fn bearer_of(parts: &Parts) -> Result<String, &'static str> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or("authentication required: send Authorization: Bearer <token>")?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or("malformed Authorization header: expected Bearer <token>")
}
