//! `transport: sse`: the HTTP+SSE transport of MCP 2024-11-05, client side. rmcp no longer
//! ships it, and it is small: a `GET` opens an event stream whose first `endpoint` event names
//! where to `POST` messages; the server's messages arrive as `message` events. The event
//! stream is bounded while it is read: an event over `MAX_EVENT` ends the session before it is
//! held in memory.

use std::time::Duration;

use futures::{Sink, Stream, StreamExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use shared::api::ResolvedServer;
use sse_stream::SseStream;

use super::error::Cause;

/// The largest event an upstream may send.
pub const MAX_EVENT: usize = 4 * 1024 * 1024;

/// Where messages are sent, and the stream of the server's messages (it ends when the server
/// closes the event stream or sends an event over `MAX_EVENT`).
type Connection = (
    std::pin::Pin<Box<dyn Sink<ClientJsonRpcMessage, Error = std::io::Error> + Send>>,
    std::pin::Pin<Box<dyn Stream<Item = ServerJsonRpcMessage> + Send>>,
);

/// Connects and waits for the server to name its endpoint.
pub(super) async fn connect(spec: &ResolvedServer) -> Result<Connection, Cause> {
    let url = spec.url.as_deref().ok_or(Cause::Misconfigured("it has no url"))?;
    // Redirects are not followed: messages and the server's headers go to its own origin only.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(super::http::headers(spec)?)
        .build()
        .map_err(|_| Cause::Unsupported("the gateway cannot build an HTTP client"))?;
    let base = reqwest::Url::parse(url).map_err(|_| Cause::Misconfigured("its url is not a URL"))?;
    let response = http.get(base.clone()).header(ACCEPT, "text/event-stream").send().await.map_err(|e| {
        if e.is_timeout() {
            Cause::TimedOut
        } else {
            Cause::Unreachable
        }
    })?;
    match response.status().as_u16() {
        200..=299 => {}
        401 | 403 => return Err(Cause::Refused),
        code => return Err(Cause::Status(code)),
    }
    let mut events = SseStream::from_bytes_stream(bounded(response.bytes_stream(), MAX_EVENT));
    // The first event says where to post.
    let endpoint = loop {
        match events.next().await {
            Some(Ok(event)) if event.event.as_deref() == Some("endpoint") => {
                let target = event.data.unwrap_or_default();
                break base.join(target.trim()).map_err(|_| Cause::NotMcp)?;
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(Cause::Closed),
        }
    };
    if endpoint.origin() != base.origin() {
        // Messages carry the server's headers (credentials among them): only to its own origin.
        return Err(Cause::Unsupported("it named an endpoint on another origin"));
    }

    let messages = events
        .take_while(|event| {
            if event.is_err() {
                tracing::warn!(
                    "an sse server's event stream failed or sent an event over {MAX_EVENT} bytes: the session ends"
                );
            }
            std::future::ready(event.is_ok())
        })
        .filter_map(|event| async move {
            let event = event.ok()?;
            if event.event.as_deref().is_some_and(|e| e != "message") {
                return None;
            }
            match serde_json::from_str::<ServerJsonRpcMessage>(&event.data?) {
                Ok(message) => Some(message),
                Err(_) => {
                    tracing::warn!("an sse server sent something that is not an MCP message: dropped");
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
            .map_err(|_| std::io::Error::from(Cause::Unreachable))?;
        if !response.status().is_success() {
            return Err(std::io::Error::from(Cause::Status(response.status().as_u16())));
        }
        Ok((http, endpoint))
    });
    Ok((Box::pin(sink), Box::pin(messages)))
}

/// Passes bytes through until an event (the bytes since the last blank line) grows past
/// `max`: then one error, and the end.
fn bounded<S, B, E>(bytes: S, max: usize) -> impl Stream<Item = Result<B, std::io::Error>> + Send + Unpin
where
    S: Stream<Item = Result<B, E>> + Send,
    B: AsRef<[u8]> + Send,
    E: std::error::Error + Send + Sync + 'static,
{
    let state = (Box::pin(bytes), EventLength::default(), false);
    let events = futures::stream::unfold(state, move |(mut bytes, mut event, ended)| async move {
        if ended {
            return None;
        }
        let item = match bytes.next().await? {
            Err(e) => Err(std::io::Error::other(e)),
            Ok(chunk) if event.feed(chunk.as_ref()) > max => Err(std::io::Error::from(Cause::TooLarge)),
            Ok(chunk) => Ok(chunk),
        };
        let ended = item.is_err();
        Some((item, (bytes, event, ended)))
    });
    Box::pin(events)
}

/// The length of the event being read: bytes since the last blank line.
#[derive(Default)]
struct EventLength {
    length: usize,
    at_line_start: bool,
}

impl EventLength {
    /// Reads `bytes`; the longest the current event was while reading them.
    fn feed(&mut self, bytes: &[u8]) -> usize {
        let mut longest = self.length;
        for &b in bytes {
            match b {
                b'\n' if self.at_line_start => self.length = 0,
                b'\n' => self.at_line_start = true,
                b'\r' => {}
                _ => {
                    self.at_line_start = false;
                    self.length += 1;
                    longest = longest.max(self.length);
                }
            }
        }
        longest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_ends_at_a_blank_line_in_any_line_ending() {
        let mut event = EventLength::default();
        assert_eq!(event.feed(b"data: abc\n"), 9);
        assert_eq!(event.feed(b"\n"), 9);
        assert_eq!(event.feed(b"data: x\r\n\r\ndata: yz\n"), 8);
        assert_eq!(event.length, 8);
    }

    #[tokio::test]
    async fn an_event_past_the_bound_ends_the_stream_while_it_is_read() {
        let chunks =
            vec![Ok::<_, std::io::Error>(b"data: small\n\n".to_vec()), Ok(vec![b'x'; 600]), Ok(vec![b'x'; 600])];
        let items: Vec<_> =
            bounded(futures::stream::iter(chunks).chain(futures::stream::pending()), 1000).collect().await;
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok());
        let error = items[2].as_ref().unwrap_err();
        assert_eq!(crate::upstream::error::classify(error), Cause::TooLarge);
    }
}
