//! Wire types shared by mcpd and mcpctl: the object envelope, the kinds and their specs,
//! Status errors and the small request/response bodies of the HTTP API. No I/O happens here.

pub mod api;
pub mod kinds;
pub mod name;
pub mod object;
pub mod rbac;
pub mod selector;
pub mod spec;
pub mod status;
pub mod token;

pub use kinds::{Kind, KindInfo, Scope, KINDS};
pub use object::{List, Object, ObjectMeta};
pub use status::{Cause, Reason, Status};

/// The `apiVersion` every manifest carries.
pub const API_VERSION: &str = "mcpctl/v1";
