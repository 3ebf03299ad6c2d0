//! The HTTP+SSE transport of MCP 2024-11-05, client side, for `transport: sse` servers. rmcp
//! no longer ships it, and it is small: a `GET` opens an event stream whose first `endpoint`
//! event names where to `POST` messages; the server's messages arrive as `message` events.

use std::time::Duration;

use futures::{Sink, Stream, StreamExt};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use sse_stream::SseStream;

/// Upper bound on one message event: far beyond any sane MCP message.
const MAX_EVENT: usize = 16 * 1024 * 1024;

/// Connects: returns where messages are sent, and the stream of the server's messages. The
/// stream ends when the server closes the event stream.
pub async fn connect(
    url: &str,
    headers: HeaderMap,
    timeout: Duration,
) -> Result<
    (
        impl Sink<ClientJsonRpcMessage, Error = std::io::Error> + Send + Unpin + 'static,
        impl Stream<Item = ServerJsonRpcMessage> + Send + Unpin + 'static,
    ),
    String,
> {
    // Redirects are not followed: messages and the server's headers go to its own origin only.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .map_err(|e| e.to_string())?;
    let base = reqwest::Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
    let response = tokio::time::timeout(timeout, http.get(base.clone()).header(ACCEPT, "text/event-stream").send())
        .await
        .map_err(|_| format!("{url} did not answer within {}s", timeout.as_secs()))?
        .map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let mut events = SseStream::from_bytes_stream(response.bytes_stream());
    // The first event says where to post.
    let endpoint = tokio::time::timeout(timeout, async {
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| format!("{url}: {e}"))?;
            if event.event.as_deref() == Some("endpoint") {
                let target = event.data.unwrap_or_default();
                return base.join(target.trim()).map_err(|e| format!("{url} named an invalid endpoint: {e}"));
            }
        }
        Err(format!("{url} closed the event stream before naming its endpoint"))
    })
    .await
    .map_err(|_| format!("{url} named no endpoint within {}s", timeout.as_secs()))??;
    if endpoint.origin() != base.origin() {
        // Messages carry the server's headers (credentials among them): only to its own origin.
        return Err(format!("{url} named an endpoint on another origin ({})", endpoint.origin().ascii_serialization()));
    }

    let messages = events.filter_map(|event| async move {
        let event = event.ok()?;
        if event.event.as_deref().is_some_and(|e| e != "message") {
            return None;
        }
        let data = event.data?;
        if data.len() > MAX_EVENT {
            tracing::warn!("an sse server sent an event over {MAX_EVENT} bytes: dropped");
            return None;
        }
        match serde_json::from_str::<ServerJsonRpcMessage>(&data) {
            Ok(message) => Some(message),
            Err(e) => {
                tracing::warn!("an sse server sent something that is not an MCP message: {e}");
                None
            }
        }
    });
    let sink = futures::sink::unfold((http, endpoint), |(http, endpoint), message: ClientJsonRpcMessage| async move {
        let response = http
            .post(endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&message).map_err(std::io::Error::other)?)
            .send()
            .await
            .map_err(std::io::Error::other)?;
        if !response.status().is_success() {
            return Err(std::io::Error::other(format!("the server answered {}", response.status())));
        }
        Ok((http, endpoint))
    });
    Ok((Box::pin(sink), Box::pin(messages)))
}
