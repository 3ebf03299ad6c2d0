//! A refused request: a Status body like mcpd's, with a `WWW-Authenticate: Bearer` challenge
//! on 401 and 403 whose `error_description` (RFC 6750) repeats the message, so a client that
//! only sees the challenge can still say why.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub fn refuse(status: StatusCode, reason: &str, message: &str) -> Response {
    let body = Json(
        json!({"kind": "Status", "status": "Failure", "reason": reason, "message": message, "code": status.as_u16()}),
    );
    let mut response = (status, body).into_response();
    let error = match status {
        StatusCode::UNAUTHORIZED => "invalid_token",
        StatusCode::FORBIDDEN => "insufficient_scope",
        _ => return response,
    };
    let challenge = format!(r#"Bearer realm="mcpgw", error="{error}", error_description="{}""#, quoted(message));
    let challenge = HeaderValue::from_str(&challenge).unwrap_or_else(|_| {
        HeaderValue::from_str(&format!(r#"Bearer realm="mcpgw", error="{error}""#)).expect("ASCII")
    });
    response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
    response
}

/// `text` inside a quoted-string: `"` and `\` escaped, anything but printable ASCII dropped.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()) {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_says_why_with_quotes_escaped() {
        let response = refuse(StatusCode::FORBIDDEN, "Forbidden", "may not connect to project \"demo\"");
        let challenge = response.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert_eq!(
            challenge,
            r#"Bearer realm="mcpgw", error="insufficient_scope", error_description="may not connect to project \"demo\"""#
        );
        assert!(!refuse(StatusCode::NOT_FOUND, "NotFound", "x").headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
