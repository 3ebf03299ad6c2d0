//! The Status object: the one shape every error takes on the wire, whatever the route.

use serde::{Deserialize, Serialize};

/// Why a request failed, with the HTTP code each reason always travels with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Reason {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    Conflict,
    Gone,
    RequestEntityTooLarge,
    UnsupportedMediaType,
    Invalid,
    TooManyRequests,
    InternalError,
    ServiceUnavailable,
    #[serde(other)]
    Unknown,
}

impl Reason {
    pub fn code(self) -> u16 {
        match self {
            Reason::BadRequest => 400,
            Reason::Unauthorized => 401,
            Reason::Forbidden => 403,
            Reason::NotFound => 404,
            Reason::MethodNotAllowed => 405,
            Reason::AlreadyExists | Reason::Conflict => 409,
            Reason::Gone => 410,
            Reason::RequestEntityTooLarge => 413,
            Reason::UnsupportedMediaType => 415,
            Reason::Invalid => 422,
            Reason::TooManyRequests => 429,
            Reason::InternalError | Reason::Unknown => 500,
            Reason::ServiceUnavailable => 503,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BadRequest => "BadRequest",
            Reason::Unauthorized => "Unauthorized",
            Reason::Forbidden => "Forbidden",
            Reason::NotFound => "NotFound",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Gone => "Gone",
            Reason::RequestEntityTooLarge => "RequestEntityTooLarge",
            Reason::UnsupportedMediaType => "UnsupportedMediaType",
            Reason::Invalid => "Invalid",
            Reason::TooManyRequests => "TooManyRequests",
            Reason::InternalError => "InternalError",
            Reason::ServiceUnavailable => "ServiceUnavailable",
            Reason::Unknown => "Unknown",
        }
    }
}

/// One field-level problem inside an Invalid (or Conflict) Status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    pub field: String,
    pub reason: String,
    pub message: String,
}

impl Cause {
    pub fn new(field: impl Into<String>, reason: &str, message: impl Into<String>) -> Cause {
        Cause { field: field.into(), reason: reason.to_owned(), message: message.into() }
    }

    /// A value is present but not acceptable.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Cause {
        Cause::new(field, "FieldValueInvalid", message)
    }

    /// A required value is missing.
    pub fn required(field: impl Into<String>, message: impl Into<String>) -> Cause {
        Cause::new(field, "FieldValueRequired", message)
    }

    /// A reference names something that does not exist.
    pub fn not_found(field: impl Into<String>, message: impl Into<String>) -> Cause {
        Cause::new(field, "FieldValueNotFound", message)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

/// The most causes a Status lists.
pub const MAX_CAUSES: usize = 50;
/// The most causes an `Invalid` message spells out; `details.causes` has the rest.
const MESSAGE_CAUSES: usize = 10;

/// The error body of every failed request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub kind: String,
    pub status: String,
    pub code: u16,
    pub reason: Reason,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// The request's id, as in mcpd's log and the `x-request-id` header, for correlation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Status {
    pub fn new(reason: Reason, message: impl Into<String>) -> Status {
        Status {
            kind: "Status".to_owned(),
            status: "Failure".to_owned(),
            code: reason.code(),
            reason,
            message: message.into(),
            details: None,
            request_id: None,
        }
    }

    /// Names the object the failure is about.
    pub fn for_object(mut self, plural: &str, name: &str) -> Status {
        let details = self.details.get_or_insert_with(StatusDetails::default);
        details.kind = Some(plural.to_owned());
        details.name = Some(name.to_owned());
        self
    }

    /// Lists the field-level causes, at most [`MAX_CAUSES`] of them: a request with thousands
    /// of mistakes gets an answer of bounded size whose last cause says how many were left out.
    pub fn with_causes(mut self, mut causes: Vec<Cause>) -> Status {
        if causes.len() > MAX_CAUSES {
            let left_out = causes.len() - (MAX_CAUSES - 1);
            causes.truncate(MAX_CAUSES - 1);
            causes.push(Cause::new("", "TooManyCauses", format!("{left_out} more causes are not listed")));
        }
        self.details.get_or_insert_with(StatusDetails::default).causes = causes;
        self
    }

    pub fn causes(&self) -> &[Cause] {
        self.details.as_ref().map(|d| d.causes.as_slice()).unwrap_or_default()
    }

    pub fn not_found(plural: &str, name: &str) -> Status {
        Status::new(Reason::NotFound, format!("{plural} \"{name}\" not found")).for_object(plural, name)
    }

    /// 422 with the field-level causes; the message names the object and lists the causes.
    pub fn invalid(kind: &str, name: &str, causes: Vec<Cause>) -> Status {
        let mut listed: Vec<String> =
            causes.iter().take(MESSAGE_CAUSES).map(|c| format!("{}: {}", c.field, c.message)).collect();
        if causes.len() > MESSAGE_CAUSES {
            listed.push(format!("and {} more", causes.len() - MESSAGE_CAUSES));
        }
        let shown = if name.is_empty() { String::new() } else { format!(" \"{name}\"") };
        Status::new(Reason::Invalid, format!("{kind}{shown} is invalid: {}", listed.join("; "))).with_causes(causes)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Status {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_bounded_and_say_how_many_were_left_out() {
        let causes: Vec<Cause> = (0..500).map(|i| Cause::invalid(format!("metadata.labels.k{i}"), "bad")).collect();
        let status = Status::invalid("Server", "x", causes);
        assert_eq!(status.causes().len(), MAX_CAUSES);
        assert_eq!(status.causes()[MAX_CAUSES - 1].message, "451 more causes are not listed");
        assert!(status.message.ends_with("and 490 more"), "{}", status.message);
        assert!(status.message.len() < 1000);
        let exactly: Vec<Cause> = (0..MAX_CAUSES).map(|i| Cause::invalid(format!("f{i}"), "bad")).collect();
        let status = Status::new(Reason::Invalid, "x").with_causes(exactly.clone());
        assert_eq!(status.causes(), exactly.as_slice());
    }
}
