//! The one error type of every request, whatever layer it fails in: a Status meant for the
//! client, or a failure that is logged and answered as a bare Status. `http::error` turns it
//! into a response. A leaf: it uses no other module.

use shared::{Reason, Status};

#[derive(Debug)]
pub enum ApiError {
    /// An answer meant for the client (boxed: errors travel far, and should travel light).
    Status(Box<Status>),
    /// A database failure: classified, never shown as is.
    Database(sqlx::Error),
    /// Anything else unexpected: logged, answered with a bare 500.
    Internal(anyhow::Error),
}

impl From<Status> for ApiError {
    fn from(status: Status) -> ApiError {
        ApiError::Status(Box::new(status))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        ApiError::Database(e)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError::Internal(e)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::Internal(e.into())
    }
}

impl ApiError {
    /// A unique constraint refused the write: someone else created the object meanwhile.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, ApiError::Database(sqlx::Error::Database(d)) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
    }

    /// The Status the client sees; internal details go to the log only.
    pub fn into_status(self) -> Status {
        match self {
            ApiError::Status(status) => *status,
            ApiError::Database(e) => database_status(e),
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                internal()
            }
        }
    }
}

fn internal() -> Status {
    Status::new(Reason::InternalError, "an internal error occurred; the server log has the details")
}

fn database_status(e: sqlx::Error) -> Status {
    use sqlx::error::ErrorKind;
    match &e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            tracing::warn!(error = %e, "database unavailable");
            return Status::new(Reason::ServiceUnavailable, "the database is unavailable; retry shortly");
        }
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    return Status::new(Reason::AlreadyExists, "the object was created concurrently; retry the request")
                }
                ErrorKind::ForeignKeyViolation => {
                    return Status::new(Reason::Conflict, "a referenced object changed concurrently; retry the request")
                }
                _ => {}
            }
            // PostgreSQL serialization failure or deadlock; SQLite busy or locked.
            if matches!(code.as_ref(), "40001" | "40P01" | "5" | "6" | "517") {
                return Status::new(Reason::Conflict, "the request conflicted with a concurrent change; retry it");
            }
            // PostgreSQL connection-class and shutdown errors.
            if code.starts_with("08") || code.starts_with("57P") {
                tracing::warn!(error = %e, "database unavailable");
                return Status::new(Reason::ServiceUnavailable, "the database is unavailable; retry shortly");
            }
        }
        _ => {}
    }
    tracing::error!(error = %e, "database error");
    internal()
}
