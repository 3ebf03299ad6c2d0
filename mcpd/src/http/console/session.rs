//! Who is using the console, and how the console reaches the API: the session cookie (the
//! bearer of an API session, `HttpOnly`, `SameSite=Strict`, `Secure` unless on loopback), the
//! CSRF token of every form, and [`Api`], which sends the console's requests through the API's
//! own router in process, with the user's bearer, so every rule, audit record and validation
//! message is the API's.

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::{Reason, Status};
use tower::ServiceExt;

use super::Console;
use crate::auth::{principal, Principal};

/// The session cookie: the bearer of an API session.
pub const COOKIE: &str = "mcpd_console";
/// Before login: a random value the login form must repeat (double submit).
pub const LOGIN_COOKIE: &str = "mcpd_console_login";
/// The largest answer the console reads from the API.
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// A signed-in user of the console: the API's principal for the cookie's bearer.
pub struct User {
    pub bearer: String,
    pub principal: Principal,
    /// What every form carries back.
    pub csrf: String,
}

impl User {
    pub fn email(&self) -> &str {
        self.principal.user()
    }

    /// The API as this user.
    pub fn api<'a>(&'a self, console: &'a Console) -> Api<'a> {
        Api { console, bearer: Some(&self.bearer) }
    }

    /// Whether a form's CSRF token is this session's.
    pub fn check_csrf(&self, given: &str) -> Result<(), Response> {
        if constant_eq(given.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err((StatusCode::FORBIDDEN, "the form has expired or did not come from this console: reload it")
                .into_response())
        }
    }
}

/// The CSRF token of a session: a hash of its bearer, which only the session's own pages know.
pub fn csrf_of(bearer: &str) -> String {
    crate::util::hex(&Sha256::new().chain_update(b"mcpd console csrf\0").chain_update(bearer).finalize())
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A request without a valid session is sent to the login page.
pub struct SignedOut;

impl IntoResponse for SignedOut {
    fn into_response(self) -> Response {
        Redirect::to("/ui/login").into_response()
    }
}

impl FromRequestParts<Console> for User {
    type Rejection = SignedOut;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<User, SignedOut> {
        let bearer = cookie(&parts.headers, COOKIE).ok_or(SignedOut)?;
        let principal = principal::resolve(console.app.auth(), &bearer).await.map_err(|_| SignedOut)?;
        // A console session is a user's; a token is for programs.
        if !matches!(principal.identity, principal::Identity::User { .. }) {
            return Err(SignedOut);
        }
        Ok(User { csrf: csrf_of(&bearer), bearer, principal })
    }
}

/// A cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether the browser is on plain http at a loopback name: then, and only then, the cookie
/// may go without `Secure`. Every sign of where the browser is must say so: the `Host`, a
/// proxy's `Forwarded` or `X-Forwarded-Proto`/`-Host`, and the browser's `Origin` (sent with
/// the login form). A TLS proxy that passes `Host: 127.0.0.1` on (nginx's default) still
/// forwards the browser's `Origin: https://…`, so the session cookie is `Secure` there.
fn on_plain_loopback(headers: &HeaderMap) -> bool {
    let values = |name: &str| headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let host_ok = |host: &str| loopback_name(host.trim());
    // `Origin: null` (a privacy-restricted context) says nothing either way.
    let origin_ok = |origin: &str| origin == "null" || origin.strip_prefix("http://").is_some_and(host_ok);
    let forwarded_ok = |forwarded: &str| {
        forwarded.split([',', ';']).filter_map(|pair| pair.trim().split_once('=')).all(|(key, value)| {
            let value = value.trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "proto" => value.eq_ignore_ascii_case("http"),
                "host" => host_ok(value),
                _ => true,
            }
        })
    };
    let host = values(header::HOST.as_str());
    !host.is_empty()
        && host.iter().all(|h| host_ok(h))
        && values("origin").iter().all(|o| origin_ok(o))
        && values("forwarded").iter().all(|f| forwarded_ok(f))
        && values("x-forwarded-proto").iter().all(|p| p.split(',').all(|p| p.trim().eq_ignore_ascii_case("http")))
        && values("x-forwarded-host").iter().all(|h| h.split(',').all(host_ok))
}

/// Whether `host` (with or without a port) is a loopback name.
fn loopback_name(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    matches!(name, "localhost" | "127.0.0.1" | "::1")
}

/// `Set-Cookie` for `name`: HttpOnly, SameSite=Strict, for /ui only, Secure unless the browser
/// is on plain http at a loopback name.
pub fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age: i64) -> String {
    let secure = if on_plain_loopback(headers) { "" } else { "; Secure" };
    format!("{name}={value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// What the API answered: its JSON, or its Status.
pub type Answer = Result<Value, Status>;

/// The API, reached in process through its own router.
pub struct Api<'a> {
    pub console: &'a Console,
    pub bearer: Option<&'a str>,
}

impl Api<'_> {
    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = Request::builder().method(method).uri(path).header(header::HOST, "console.local");
        if let Some(bearer) = self.bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let request = request.body(body).map_err(|e| internal(&e.to_string()))?;
        let response = self.console.api.clone().oneshot(request).await.map_err(|e| internal(&e.to_string()))?;
        let status = response.status();
        let bytes =
            axum::body::to_bytes(response.into_body(), MAX_ANSWER).await.map_err(|e| internal(&e.to_string()))?;
        if status.is_success() {
            return Ok(if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            });
        }
        Err(serde_json::from_slice::<Status>(&bytes)
            .unwrap_or_else(|_| Status::new(Reason::InternalError, format!("the API answered {status}"))))
    }
}

fn internal(detail: &str) -> Status {
    tracing::error!("the console could not reach the API: {detail}");
    Status::new(Reason::InternalError, "an internal error occurred; the server log has the details")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secure(pairs: &[(&'static str, &'static str)]) -> bool {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        set_cookie(&headers, COOKIE, "x", 60).ends_with("; Secure")
    }

    #[test]
    fn the_cookie_goes_without_secure_only_on_plain_http_at_loopback() {
        for host in ["127.0.0.1:3100", "localhost", "[::1]:3100"] {
            assert!(!secure(&[("host", host)]), "{host}");
            assert!(!secure(&[("host", host), ("origin", "http://localhost:3100")]), "{host}");
        }
        assert!(secure(&[("host", "mcpd.example.com")]));
        assert!(secure(&[]), "no Host at all");
        assert!(secure(&[("host", "127.0.0.1.example.com")]));
        // Behind a TLS proxy that passes its upstream's Host on.
        assert!(secure(&[("host", "127.0.0.1:3100"), ("origin", "https://mcpd.example.com")]));
        assert!(secure(&[("host", "127.0.0.1:3100"), ("origin", "http://mcpd.example.com")]));
        assert!(!secure(&[("host", "127.0.0.1:3100"), ("origin", "null")]));
        assert!(secure(&[("host", "127.0.0.1:3100"), ("x-forwarded-proto", "https")]));
        assert!(secure(&[("host", "127.0.0.1:3100"), ("x-forwarded-host", "mcpd.example.com")]));
        assert!(secure(&[("host", "127.0.0.1:3100"), ("forwarded", "for=10.0.0.1;proto=https")]));
        assert!(secure(&[("host", "127.0.0.1:3100"), ("forwarded", "host=\"mcpd.example.com\"")]));
        assert!(!secure(&[("host", "127.0.0.1:3100"), ("forwarded", "for=127.0.0.1;proto=http;host=localhost:3100")]));
    }
}
