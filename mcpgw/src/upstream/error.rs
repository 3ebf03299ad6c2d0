//! What goes wrong with an upstream server, as a value: an [`UpstreamError`] names the server
//! and a [`Cause`] in a few words. Neither ever holds a URL, a header or anything the server
//! sent: rmcp's and reqwest's errors quote those, so they are classified here and dropped.

use std::error::Error as StdError;
use std::fmt;

use rmcp::service::{ClientInitializeError, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpError;
use rmcp::ErrorData as McpError;

/// Why an upstream session could not be had or used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// No connection: refused, reset, or no route.
    Unreachable,
    /// No answer within the deadline.
    TimedOut,
    /// It answered the handshake with an error, or with 401 or 403.
    Refused,
    /// It answered with this HTTP status.
    Status(u16),
    /// It answered with something that is not MCP.
    NotMcp,
    /// Its process exited or its connection closed.
    Closed,
    /// It sent a message over the gateway's limit.
    TooLarge,
    /// Its command could not be started (the reason is the OS's, about the command).
    CannotStart(std::io::ErrorKind),
    /// The gateway already runs `--max-processes` children.
    AtCapacity(usize),
    /// Its spec asks for what this gateway cannot do.
    Unsupported(&'static str),
    /// Its settings cannot be used as they are.
    Misconfigured(&'static str),
    /// It cannot be run in a sandbox as its spec asks, on this gateway's host.
    Sandbox(String),
    /// Its sandbox ended it at a limit (the text names the limit).
    OverLimit(String),
    /// mcpd could not read the secrets it needs (the text names the backend and why).
    Secrets(String),
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Unreachable => f.write_str("unreachable"),
            Cause::TimedOut => f.write_str("timed out"),
            Cause::Refused => f.write_str("refused the session"),
            Cause::Status(code) => write!(f, "HTTP {code}"),
            Cause::NotMcp => f.write_str("answered with something that is not MCP"),
            Cause::Closed => f.write_str("closed the connection"),
            Cause::TooLarge => f.write_str("sent a message over the gateway's limit"),
            Cause::CannotStart(std::io::ErrorKind::NotFound) => f.write_str("cannot start: command not found"),
            Cause::CannotStart(std::io::ErrorKind::PermissionDenied) => {
                f.write_str("cannot start: permission denied")
            }
            Cause::CannotStart(kind) => write!(f, "cannot start: {kind}"),
            Cause::AtCapacity(max) => write!(
                f,
                "the gateway already runs its maximum of {max} server processes (--max-processes); try again when other sessions end"
            ),
            Cause::Unsupported(what) | Cause::Misconfigured(what) => f.write_str(what),
            Cause::Sandbox(why) => write!(f, "cannot be sandboxed: {why}"),
            Cause::OverLimit(limit) => f.write_str(limit),
            Cause::Secrets(why) => write!(f, "its secrets cannot be read: {why}"),
        }
    }
}

/// An upstream failure: which server, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamError {
    pub server: String,
    pub cause: Cause,
}

impl UpstreamError {
    pub fn new(server: &str, cause: Cause) -> UpstreamError {
        UpstreamError { server: server.to_owned(), cause }
    }

    /// What the client gets.
    pub fn to_mcp(&self) -> McpError {
        McpError::internal_error(self.to_string(), None)
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server \"{}\" is unavailable: {}", self.server, self.cause)
    }
}

impl From<UpstreamError> for McpError {
    fn from(error: UpstreamError) -> McpError {
        error.to_mcp()
    }
}

/// The cause of a failed request on an open session (not the server's own MCP error, which
/// is relayed as it is).
pub fn of_service(error: &ServiceError) -> Cause {
    match error {
        ServiceError::Timeout { .. } => Cause::TimedOut,
        ServiceError::TransportClosed | ServiceError::Cancelled { .. } => Cause::Closed,
        ServiceError::UnexpectedResponse => Cause::NotMcp,
        ServiceError::TransportSend(e) => classify(e.error.as_ref()),
        _ => classify(error),
    }
}

/// The cause of a failed handshake.
pub fn of_initialize(error: &ClientInitializeError) -> Cause {
    match error {
        ClientInitializeError::JsonRpcError(_) | ClientInitializeError::NoCompatibleProtocolVersion { .. } => {
            Cause::Refused
        }
        ClientInitializeError::ConnectionClosed(_) => Cause::Closed,
        ClientInitializeError::TransportError { error, .. } => classify(error.error.as_ref()),
        _ => Cause::NotMcp,
    }
}

/// Walks an error's chain for what it says, keeping none of its text.
pub fn classify(error: &(dyn StdError + 'static)) -> Cause {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = next {
        if let Some(http) = error.downcast_ref::<StreamableHttpError<reqwest13::Error>>() {
            match http {
                StreamableHttpError::HttpStatus(status) => return status_cause(status.status),
                StreamableHttpError::AuthRequired(_) | StreamableHttpError::InsufficientScope(_) => {
                    return Cause::Refused
                }
                // rmcp writes a status it has no variant for as "HTTP 400: <body>": only the
                // number is kept.
                StreamableHttpError::UnexpectedServerResponse(text) => {
                    return leading_status(text).map_or(Cause::NotMcp, status_cause)
                }
                StreamableHttpError::ResponseBodyTooLarge { .. } => return Cause::TooLarge,
                StreamableHttpError::UnexpectedEndOfStream | StreamableHttpError::TransportChannelClosed => {
                    return Cause::Closed
                }
                StreamableHttpError::Client(_) | StreamableHttpError::Io(_) => {}
                _ => return Cause::NotMcp,
            }
        }
        if let Some(e) = error.downcast_ref::<reqwest13::Error>() {
            return if e.is_timeout() { Cause::TimedOut } else { Cause::Unreachable };
        }
        if let Some(e) = error.downcast_ref::<reqwest::Error>() {
            return if e.is_timeout() { Cause::TimedOut } else { Cause::Unreachable };
        }
        if let Some(e) = error.downcast_ref::<std::io::Error>() {
            if let Some(cause) = e.get_ref().and_then(|inner| inner.downcast_ref::<CauseError>()) {
                return cause.0.clone();
            }
            return match e.kind() {
                std::io::ErrorKind::TimedOut => Cause::TimedOut,
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::UnexpectedEof => Cause::Closed,
                _ => Cause::Unreachable,
            };
        }
        if let Some(cause) = error.downcast_ref::<CauseError>() {
            return cause.0.clone();
        }
        next = error.source();
    }
    Cause::NotMcp
}

fn status_cause(code: u16) -> Cause {
    match code {
        401 | 403 => Cause::Refused,
        code => Cause::Status(code),
    }
}

fn leading_status(text: &str) -> Option<u16> {
    let digits = text.strip_prefix("HTTP ")?.get(..3)?;
    digits.parse().ok()
}

/// A [`Cause`] carried through an `io::Error` (what transports of this crate fail with), so
/// that it survives rmcp's wrapping.
#[derive(Debug)]
pub struct CauseError(pub Cause);

impl fmt::Display for CauseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for CauseError {}

impl From<Cause> for std::io::Error {
    fn from(cause: Cause) -> std::io::Error {
        std::io::Error::other(CauseError(cause))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_kept_and_the_body_after_it_is_not() {
        let echoed = StreamableHttpError::<reqwest13::Error>::UnexpectedServerResponse(
            "HTTP 400: {\"authorization\": \"Bearer s3cret\"}".into(),
        );
        let cause = classify(&echoed);
        assert_eq!(cause, Cause::Status(400));
        assert!(!UpstreamError::new("api", cause).to_string().contains("s3cret"));
    }

    #[test]
    fn causes_read_as_short_reasons() {
        assert_eq!(
            UpstreamError::new("api", Cause::Unreachable).to_string(),
            "server \"api\" is unavailable: unreachable"
        );
        assert_eq!(Cause::Status(502).to_string(), "HTTP 502");
        assert_eq!(Cause::CannotStart(std::io::ErrorKind::NotFound).to_string(), "cannot start: command not found");
        let wrapped = std::io::Error::from(Cause::TooLarge);
        assert_eq!(classify(&wrapped), Cause::TooLarge);
    }
}
