//! SecretBackend: where secret values live. `internal` (built in) seals them in mcpd's
//! database; an `openbao` (or `vault`) backend keeps them in a KV version 2 engine.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{check_name_at, Reference, SecretKeyRef, Spec};
use crate::status::Cause;

/// The built-in backend: values sealed in mcpd's database with its encryption key.
pub const INTERNAL: &str = "internal";

/// Which protocol a backend speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackendType {
    /// mcpd's own database (the built-in `internal` backend only).
    Internal,
    /// OpenBao, KV version 2.
    Openbao,
    /// HashiCorp Vault, KV version 2: the same protocol as `openbao`.
    Vault,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretBackendSpec {
    /// `openbao` or `vault` (the same protocol); `internal` is the built-in backend's alone.
    #[serde(rename = "type")]
    pub backend_type: BackendType,
    /// The server's base URL, e.g. `https://bao.example.com:8200`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The KV version 2 engine's mount path (default `secret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// Where under the mount mcpd keeps values: `<mount>/data/<pathPrefix>/<secret name>`
    /// (default `mcpctl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// A namespace (sent as `X-Vault-Namespace`), for servers that have them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// PEM certificates to trust for the server's TLS, besides the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// How mcpd logs in: a token, or an AppRole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<BackendAuth>,
    /// Whether new secrets go here when they name no backend. At most one backend is the
    /// default; with none, `internal` is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

/// One of `token` or `appRole`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackendAuth {
    /// A token, kept in a Secret on `internal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenAuth>,
    /// An AppRole: its role id, and its secret id kept in a Secret on `internal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_role: Option<AppRoleAuth>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenAuth {
    pub secret_key_ref: SecretKeyRef,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppRoleAuth {
    /// The role id (not secret by itself).
    pub role_id: String,
    /// The secret id, in a Secret on `internal`.
    pub secret_id_ref: SecretKeyRef,
    /// Where the AppRole auth method is mounted (default `approle`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
}

impl SecretBackendSpec {
    pub fn mount(&self) -> &str {
        self.mount.as_deref().unwrap_or("secret")
    }

    pub fn path_prefix(&self) -> &str {
        self.path_prefix.as_deref().unwrap_or("mcpctl")
    }

    /// The credential's secret and key, and the field that names it.
    pub fn credential(&self) -> Option<(&'static str, &SecretKeyRef)> {
        let auth = self.auth.as_ref()?;
        match (&auth.token, &auth.app_role) {
            (Some(token), _) => Some(("spec.auth.token.secretKeyRef", &token.secret_key_ref)),
            (None, Some(role)) => Some(("spec.auth.appRole.secretIdRef", &role.secret_id_ref)),
            (None, None) => None,
        }
    }

    /// The built-in backend's spec.
    pub fn internal() -> SecretBackendSpec {
        SecretBackendSpec {
            backend_type: BackendType::Internal,
            address: None,
            mount: None,
            path_prefix: None,
            namespace: None,
            ca_cert: None,
            auth: None,
            default: false,
        }
    }
}

/// A path segment under a mount: letters, digits, `-`, `_`, `.`, separated by single `/`.
fn check_path(field: &str, path: &str, causes: &mut Vec<Cause>) {
    let fine = !path.is_empty()
        && path.len() <= 200
        && path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if !fine {
        causes.push(Cause::invalid(field, "must be path segments of letters, digits, '-', '_' and '.', joined by '/'"));
    }
}

impl Spec for SecretBackendSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        if self.backend_type == BackendType::Internal {
            // The built-in backend's own spec; mcpd refuses it under any other name.
            if *self != SecretBackendSpec::internal() {
                causes.push(Cause::invalid("spec", "the internal backend takes no other settings"));
            }
            return;
        }
        match self.address.as_deref() {
            None => causes.push(Cause::required("spec.address", "the server's URL is required")),
            Some(address) => {
                let scheme_ok = address.starts_with("http://") || address.starts_with("https://");
                let rest = address.split_once("://").map_or("", |(_, r)| r);
                if !scheme_ok || rest.is_empty() || rest.contains(['?', '#', ' ']) || address.len() > 2048 {
                    causes.push(Cause::invalid("spec.address", "must be an http:// or https:// URL"));
                }
            }
        }
        if let Some(mount) = &self.mount {
            check_path("spec.mount", mount, causes);
        }
        if let Some(prefix) = &self.path_prefix {
            check_path("spec.pathPrefix", prefix, causes);
        }
        if let Some(namespace) = &self.namespace {
            check_path("spec.namespace", namespace, causes);
        }
        if let Some(pem) = &self.ca_cert {
            if !pem.contains("-----BEGIN CERTIFICATE-----") || pem.len() > 64 * 1024 {
                causes.push(Cause::invalid("spec.caCert", "must be one or more PEM certificates"));
            }
        }
        match &self.auth {
            None => causes.push(Cause::required("spec.auth", "set token or appRole")),
            Some(BackendAuth { token: Some(_), app_role: Some(_) }) => {
                causes.push(Cause::invalid("spec.auth", "set one of token or appRole, not both"))
            }
            Some(BackendAuth { token: None, app_role: None }) => {
                causes.push(Cause::required("spec.auth", "set token or appRole"))
            }
            Some(BackendAuth { app_role: Some(role), .. }) => {
                if role.role_id.is_empty() || role.role_id.len() > 256 || role.role_id.chars().any(char::is_control) {
                    causes.push(Cause::invalid("spec.auth.appRole.roleId", "must be 1 to 256 printable characters"));
                }
                if let Some(mount) = &role.mount {
                    check_path("spec.auth.appRole.mount", mount, causes);
                }
            }
            Some(_) => {}
        }
        if let Some((field, key_ref)) = self.credential() {
            check_name_at(format!("{field}.name"), &key_ref.name, causes);
            if !super::secret::check_key(&key_ref.key) {
                causes.push(Cause::invalid(format!("{field}.key"), "keys must match [A-Za-z_][A-Za-z0-9_.-]*"));
            }
        }
    }

    fn references(&self) -> Vec<Reference> {
        self.credential()
            .map(|(field, key_ref)| Reference {
                field: field.to_owned(),
                kind: crate::Kind::Secret,
                name: key_ref.name.clone(),
                key: Some(key_ref.key.clone()),
            })
            .into_iter()
            .collect()
    }
}

/// What mcpd last saw of a backend: kept in its `status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretBackendStatus {
    pub reachable: bool,
    pub sealed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// How many secrets keep their values here.
    #[serde(default)]
    pub secrets: u64,
    /// Whether new secrets go here.
    #[serde(default)]
    pub default: bool,
}

/// A Secret's backend as its canonical spec names it (`internal` when it names none).
pub fn backend_of(secret_spec: &Value) -> &str {
    secret_spec["backend"].as_str().unwrap_or(INTERNAL)
}
