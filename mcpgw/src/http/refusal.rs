//! A refused request: a Status body like mcpd's, with a `WWW-Authenticate: Bearer` challenge
//! on 401 and 403.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub fn refuse(status: StatusCode, reason: &str, message: &str) -> Response {
    let challenge = match status {
        StatusCode::UNAUTHORIZED => r#"Bearer realm="mcpgw", error="invalid_token""#,
        StatusCode::FORBIDDEN => r#"Bearer realm="mcpgw", error="insufficient_scope""#,
        _ => r#"Bearer realm="mcpgw""#,
    };
    let body = Json(
        json!({"kind": "Status", "status": "Failure", "reason": reason, "message": message, "code": status.as_u16()}),
    );
    let mut response = (status, body).into_response();
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static(challenge));
    }
    response
}
