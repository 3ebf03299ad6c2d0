//! The spec type of each kind, with its validation and the references it makes.

mod backend;
mod identity;
mod project;
mod sandbox;
mod secret;
mod server;
mod token;
mod tool;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use backend::{
    backend_of, AppRoleAuth, BackendAuth, BackendType, SecretBackendSpec, SecretBackendStatus, TokenAuth, INTERNAL,
};
pub use identity::{check_password, GroupSpec, RbacDefinitionSpec, UserSpec, MAX_PASSWORD, MIN_PASSWORD};
pub use project::ProjectSpec;
pub use sandbox::{
    check_mount_path, parse_destination, parse_memory, Mount, Network, Reach, Sandbox, DEFAULT_MEMORY,
    DEFAULT_PROCESSES, SANDBOX_HOME,
};
pub use secret::{SecretSpec, SecretStatus};
pub use server::{header_references, resolve_header, EnvSource, EnvVar, SecretKeyRef, ServerSpec, Sharing, Transport};
pub use token::{parse_ttl, AuditEventSpec, Expiry, McpTokenSpec, McpTokenStatus, RbacMode, TokenState};
pub use tool::{
    check_tool_name, glob_matches, normalize_tool, Approval, ToolDefinition, ToolPolicy, ToolSpec, ToolState,
    ToolStatus, MAX_TOOL_NAME,
};

use crate::object::from_value_at;
use crate::status::Cause;

/// A spec's pointer to another object (or one key of a Secret), checked on every write.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// Where in the spec the reference is, e.g. `spec.env[0].valueFrom.secretKeyRef`.
    pub field: String,
    pub kind: crate::Kind,
    pub name: String,
    /// A key inside the target (a Secret's data key); `None` refers to the whole object.
    pub key: Option<String>,
}

pub trait Spec: DeserializeOwned + Serialize {
    /// Checks what the types alone cannot, pushing each problem with its `spec.` field path.
    fn validate(&self, causes: &mut Vec<Cause>);

    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
}

/// Strict parse, validation, then the canonical JSON form mcpd stores and compares.
pub fn normalize<S: Spec>(value: &Value) -> Result<Value, Vec<Cause>> {
    let value = if value.is_null() { Value::Object(Default::default()) } else { value.clone() };
    let spec: S = from_value_at("spec", value).map_err(|cause| vec![cause])?;
    let mut causes = Vec::new();
    spec.validate(&mut causes);
    if !causes.is_empty() {
        return Err(causes);
    }
    Ok(serde_json::to_value(&spec).expect("specs always serialize"))
}

/// References of a spec already in canonical form.
pub fn references<S: Spec>(value: &Value) -> Vec<Reference> {
    serde_json::from_value::<S>(value.clone()).map(|s| s.references()).unwrap_or_default()
}

fn check_name_at(field: String, name: &str, causes: &mut Vec<Cause>) {
    if let Err(msg) = crate::name::check_name(name) {
        causes.push(Cause::invalid(field, msg));
    }
}
