//! `transport: http`: MCP Streamable HTTP at the server's URL, with its headers (`${NAME}`
//! references already resolved by mcpd), on one pooled HTTP client.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use shared::api::ResolvedServer;

use super::error::Cause;

/// The transport of a session with `spec`; nothing is sent before the handshake.
pub(super) fn transport(spec: &ResolvedServer) -> Result<StreamableHttpClientTransport<reqwest13::Client>, Cause> {
    let url = spec.url.as_deref().ok_or(Cause::Misconfigured("it has no url"))?;
    let config = StreamableHttpClientTransportConfig::with_uri(url).reinit_on_expired_session(true);
    // Every header as written, Authorization included (whatever its scheme).
    let custom: HashMap<_, _> = headers(spec)?.into_iter().filter_map(|(k, v)| Some((k?, v))).collect();
    Ok(StreamableHttpClientTransport::with_client(pooled_client()?, config.custom_headers(custom)))
}

/// The HTTP client of every Streamable HTTP upstream session. rmcp's default opens a
/// connection per request (against stalls on bodies left unread); rmcp reads each answer's
/// stream to its end, so connections are kept and reused here, which saves a connection setup
/// on every call. One client serves every session: root certificates load once, and sessions
/// with the same server share its connections (each request carries its own session and
/// headers). Redirects are not followed: a message is never replayed to another location.
fn pooled_client() -> Result<reqwest13::Client, Cause> {
    static CLIENT: OnceLock<reqwest13::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    let client = reqwest13::Client::builder()
        .tcp_nodelay(true)
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest13::redirect::Policy::none())
        .build()
        .map_err(|_| Cause::Unsupported("the gateway cannot build an HTTP client"))?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// The server's request headers. A name or value HTTP cannot carry is a misconfiguration,
/// said without the value (it may hold a secret).
pub(super) fn headers(spec: &ResolvedServer) -> Result<HeaderMap, Cause> {
    let mut headers = HeaderMap::new();
    for (name, value) in &spec.headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| Cause::Misconfigured("a header name is not valid"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Cause::Misconfigured("a header value is one HTTP cannot carry"))?;
        headers.insert(name, value);
    }
    Ok(headers)
}
