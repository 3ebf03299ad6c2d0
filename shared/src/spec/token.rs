//! McpToken: a bearer for gateways and CI, in a project or global.

use serde::{Deserialize, Serialize};

use super::Spec;
use crate::rbac::Binding;
use crate::status::Cause;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RbacMode {
    /// Only the token's own `bindings`.
    #[default]
    Empty,
    /// A copy of the creator's bindings at creation time.
    Clone,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpTokenSpec {
    /// What the token is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What the token may do, within its creator's rights: `{role: view|edit, resource, name?}` or `{role: run, action}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    /// `clone` copies the creator's bindings at creation; `empty` (the default) uses `bindings` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rbac: Option<RbacMode>,
    /// RFC 3339; absent means the token does not expire (unless `ttl` says otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// On create: `30d`, `12h`, `45m`, `never` or an RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

/// The state of a token as mcpd reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    #[default]
    Active,
    /// Its `expiresAt` has passed.
    Expired,
    /// Deleted, or ended with the user or token that made it.
    Revoked,
}

/// An McpToken's `status`, written by mcpd only. The raw token appears once, in `token`, in
/// the answer to its creation; mcpd never stores it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpTokenStatus {
    /// The first characters of the token, to recognise it by.
    pub prefix: String,
    /// SHA-256 of the token, as hex: how RbacDefinitions name it (`McpToken:<sha256>`).
    pub sha256: String,
    /// Who created it: a user's email.
    pub created_by: String,
    /// Its own bindings, fixed at creation.
    #[serde(default)]
    pub bindings: Vec<Binding>,
    /// RFC 3339, or null when it does not expire.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// RFC 3339, written at most once a minute.
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// RFC 3339, when it was revoked.
    #[serde(default)]
    pub revoked_at: Option<String>,
    #[serde(default)]
    pub state: TokenState,
    /// The raw token: only in the answer that created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl McpTokenStatus {
    /// Reads a stored or received status; a status that is not a token's reads as empty.
    pub fn of(status: &serde_json::Value) -> McpTokenStatus {
        serde_json::from_value(status.clone()).unwrap_or_default()
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a token status serializes")
    }
}

/// When a token expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Never,
    /// Seconds after creation.
    After(i64),
    /// Unix seconds.
    At(i64),
}

/// Reads `30d`, `12h`, `45m`, `never` or an RFC 3339 time.
pub fn parse_ttl(text: &str) -> Result<Expiry, String> {
    let text = text.trim();
    if text == "never" {
        return Ok(Expiry::Never);
    }
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(Expiry::At(t.unix_timestamp()));
    }
    let (number, seconds) = match (text.strip_suffix('d'), text.strip_suffix('h'), text.strip_suffix('m')) {
        (Some(n), _, _) => (n, 86_400),
        (_, Some(n), _) => (n, 3_600),
        (_, _, Some(n)) => (n, 60),
        _ => (text, 0),
    };
    match number.parse::<i64>() {
        Ok(n) if n > 0 && seconds > 0 && n <= 100 * 365 * 86_400 / seconds => Ok(Expiry::After(n * seconds)),
        _ => Err(format!("{text:?} is not a ttl: use 30d, 12h, 45m, never or an RFC 3339 time")),
    }
}

impl Spec for McpTokenSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        for (i, binding) in self.bindings.iter().enumerate() {
            binding.validate(&format!("spec.bindings[{i}]"), causes);
        }
        if self.rbac == Some(RbacMode::Clone) && !self.bindings.is_empty() {
            causes.push(Cause::invalid(
                "spec.rbac",
                "rbac: clone copies the creator's bindings; give no bindings with it",
            ));
        }
        if self.expires_at.is_some() && self.ttl.is_some() {
            causes.push(Cause::invalid("spec.ttl", "give either ttl or expiresAt, not both"));
        }
        if let Some(ttl) = &self.ttl {
            if let Err(msg) = parse_ttl(ttl) {
                causes.push(Cause::invalid("spec.ttl", msg));
            }
        }
        if let Some(at) = &self.expires_at {
            if time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_err() {
                causes.push(Cause::invalid("spec.expiresAt", "must be an RFC 3339 time"));
            }
        }
    }
}

/// An AuditEvent's content; written by mcpd only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditEventSpec {
    pub time: String,
    pub principal: String,
    pub verb: String,
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub code: u16,
    #[serde(default)]
    pub dry_run: bool,
    /// For a call the gateway reported: the upstream server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// For a call the gateway reported: how long it took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// For a call the gateway reported: `ok`, `error`, `timeout` or `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

impl Spec for AuditEventSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        causes.push(Cause::invalid("kind", "events are written by mcpd only"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_read_like_durations() {
        assert_eq!(parse_ttl("30d"), Ok(Expiry::After(30 * 86_400)));
        assert_eq!(parse_ttl("12h"), Ok(Expiry::After(12 * 3_600)));
        assert_eq!(parse_ttl("never"), Ok(Expiry::Never));
        assert_eq!(parse_ttl("2030-01-01T00:00:00Z"), Ok(Expiry::At(1_893_456_000)));
        for bad in ["", "d", "0d", "-1h", "3w", "soon", "99999999999d", "1é", "é"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
