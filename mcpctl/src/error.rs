//! What can go wrong in mcpctl, and the exit code each failure means.

use shared::Status;

#[derive(Debug)]
pub enum Error {
    /// The server refused (exit 1).
    Server(Box<Status>),
    /// The server could not be reached (exit 2).
    Unreachable { url: String, detail: String },
    /// The command line is wrong (exit 2); the hint, if any, says what to do.
    Usage { message: String, hint: Option<String> },
    /// Local input is invalid, such as a manifest (exit 1).
    Invalid(String),
    /// Failed already, with messages printed (exit 1).
    Reported,
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage { message: message.into(), hint: None }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Server(_) | Error::Invalid(_) | Error::Reported => 1,
            Error::Unreachable { .. } | Error::Usage { .. } => 2,
        }
    }
}

impl From<Status> for Error {
    fn from(status: Status) -> Error {
        Error::Server(Box::new(status))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
