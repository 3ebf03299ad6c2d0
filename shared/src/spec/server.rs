//! Server: how to reach or start one MCP server, and the environment it gets.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::sandbox::Sandbox;
use super::{check_name_at, Reference, Spec};
use crate::status::Cause;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Stdio,
    Http,
    Sse,
}

/// Who an upstream session of the server belongs to, at the gateway.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Sharing {
    /// One upstream session (and process) per client session: state stays with its client.
    #[default]
    PerSession,
    /// One upstream session for every client of the gateway: for stateless servers.
    Shared,
}

impl Sharing {
    pub fn is_per_session(&self) -> bool {
        *self == Sharing::PerSession
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerSpec {
    /// What the server offers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// How the server is reached: `stdio` (a command), `http` (Streamable HTTP) or `sse`.
    pub transport: Transport,
    /// stdio: the command to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// stdio: the command's arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// stdio: a container image to run the command in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// http and sse: the server's URL (http:// or https://).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// http and sse: request headers; values may name env entries as `${NAME}`. Stored and shown in clear: not for credentials.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The environment the server runs with: literal values, or values from secret keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// At the gateway: `perSession` (the default), a session and process per client session;
    /// `shared`, one for every client.
    #[serde(default, skip_serializing_if = "Sharing::is_per_session")]
    pub sharing: Sharing,
    /// stdio: what of the host the server may see and reach, and how much it may use.
    #[serde(default, skip_serializing_if = "Sandbox::is_default")]
    pub sandbox: Sandbox,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    /// The variable's name: `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    /// A literal value (or `valueFrom`, not both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where the value comes from (or `value`, not both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvSource>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvSource {
    /// The secret key whose value the variable takes.
    pub secret_key_ref: SecretKeyRef,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    /// The secret's name.
    pub name: String,
    /// The key within the secret.
    pub key: String,
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 256
}

/// The env entries a header value names as `${NAME}`, in order; a `${` left open is an error.
pub fn header_references(value: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        let end = after.find('}').ok_or("has a ${ without its closing }")?;
        let name = &after[..end];
        if !is_env_name(name) {
            return Err(format!("${{{}}} is not an env entry's name", crate::name::shown(name)));
        }
        names.push(name);
        rest = &after[end + 1..];
    }
    Ok(names)
}

/// A header value with every `${NAME}` replaced by `lookup(NAME)`; `None` when one is missing.
pub fn resolve_header(value: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut resolved = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find("${") {
        resolved.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('}')?;
        resolved.push_str(&lookup(&after[..end])?);
        rest = &after[end + 1..];
    }
    resolved.push_str(rest);
    Some(resolved)
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Spec for ServerSpec {
    fn validate(&self, causes: &mut Vec<Cause>) {
        match self.transport {
            Transport::Stdio => {
                match &self.command {
                    None => causes.push(Cause::required("spec.command", "required when transport is stdio")),
                    Some(c) if c.trim().is_empty() => causes.push(Cause::invalid("spec.command", "must not be empty")),
                    Some(_) => {}
                }
                if self.url.is_some() {
                    causes.push(Cause::invalid("spec.url", "only allowed when transport is http or sse"));
                }
                if !self.headers.is_empty() {
                    causes.push(Cause::invalid("spec.headers", "only allowed when transport is http or sse"));
                }
            }
            Transport::Http | Transport::Sse => {
                match &self.url {
                    None => causes.push(Cause::required("spec.url", "required when transport is http or sse")),
                    Some(url)
                        if !(url.starts_with("http://") || url.starts_with("https://"))
                            || url.contains(char::is_whitespace) =>
                    {
                        causes.push(Cause::invalid("spec.url", "must be an http:// or https:// URL"))
                    }
                    Some(_) => {}
                }
                for (field, present) in [
                    ("spec.command", self.command.is_some()),
                    ("spec.args", !self.args.is_empty()),
                    ("spec.image", self.image.is_some()),
                    ("spec.sandbox", !self.sandbox.is_default()),
                ] {
                    if present {
                        causes.push(Cause::invalid(field, "only allowed when transport is stdio"));
                    }
                }
                let env: BTreeSet<&str> = self.env.iter().map(|v| v.name.as_str()).collect();
                for (name, value) in &self.headers {
                    let at = format!("spec.headers.{}", crate::name::shown(name));
                    if !is_header_name(name) {
                        causes.push(Cause::invalid(at.clone(), "is not a valid HTTP header name"));
                    }
                    match header_references(value) {
                        Err(msg) => causes.push(Cause::invalid(at, msg)),
                        Ok(names) => {
                            for missing in names.into_iter().filter(|n| !env.contains(n)) {
                                causes.push(Cause::invalid(
                                    at.clone(),
                                    format!("${{{missing}}} names no entry of spec.env"),
                                ));
                            }
                        }
                    }
                }
            }
        }
        self.sandbox.validate(causes);
        let mut seen = BTreeSet::new();
        for (i, var) in self.env.iter().enumerate() {
            let at = format!("spec.env[{i}]");
            if !is_env_name(&var.name) {
                causes.push(Cause::invalid(
                    format!("{at}.name"),
                    format!("{:?} must match [A-Za-z_][A-Za-z0-9_]*", crate::name::shown(&var.name)),
                ));
            } else if !seen.insert(var.name.as_str()) {
                causes.push(Cause::new(
                    format!("{at}.name"),
                    "FieldValueDuplicate",
                    format!("{} is set twice", var.name),
                ));
            }
            match (&var.value, &var.value_from) {
                (Some(_), Some(_)) => causes.push(Cause::invalid(at, "set either value or valueFrom, not both")),
                (None, None) => causes.push(Cause::required(at, "one of value or valueFrom is required")),
                (None, Some(source)) => {
                    let r = &source.secret_key_ref;
                    check_name_at(format!("{at}.valueFrom.secretKeyRef.name"), &r.name, causes);
                    if !super::secret::check_key(&r.key) {
                        causes.push(Cause::invalid(
                            format!("{at}.valueFrom.secretKeyRef.key"),
                            "keys must match [A-Za-z_][A-Za-z0-9_.-]*",
                        ));
                    }
                }
                (Some(_), None) => {}
            }
        }
    }

    fn references(&self) -> Vec<Reference> {
        self.env
            .iter()
            .enumerate()
            .filter_map(|(i, var)| {
                let r = &var.value_from.as_ref()?.secret_key_ref;
                Some(Reference {
                    field: format!("spec.env[{i}].valueFrom.secretKeyRef"),
                    kind: crate::Kind::Secret,
                    name: r.name.clone(),
                    key: Some(r.key.clone()),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::spec::{normalize, references};

    use super::*;

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let err = normalize::<ServerSpec>(
            &json!({"transport": "stdio", "command": "x", "env": [{"name": "A", "vaule": "1"}]}),
        )
        .unwrap_err();
        assert_eq!(err[0].field, "spec.env[0].vaule", "{err:?}");
        assert!(err[0].message.contains("unknown field `vaule`"), "{err:?}");
    }

    #[test]
    fn transport_fields_are_checked() {
        let err = normalize::<ServerSpec>(&json!({"transport": "http", "command": "x"})).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["spec.url", "spec.command"]);
    }

    #[test]
    fn secret_references_are_listed() {
        let spec = normalize::<ServerSpec>(&json!({"transport": "stdio", "command": "x",
            "env": [{"name": "A", "value": "1"}, {"name": "T", "valueFrom": {"secretKeyRef": {"name": "gh", "key": "token"}}}]}))
        .unwrap();
        let refs = references::<ServerSpec>(&spec);
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].field, "spec.env[1].valueFrom.secretKeyRef");
        assert_eq!((refs[0].name.as_str(), refs[0].key.as_deref()), ("gh", Some("token")));
    }

    #[test]
    fn header_references_name_env_entries() {
        assert_eq!(header_references("Bearer ${TOKEN} and ${B_2}"), Ok(vec!["TOKEN", "B_2"]));
        assert_eq!(header_references("plain $HOME {x}"), Ok(vec![]));
        assert!(header_references("Bearer ${TOKEN").is_err());
        assert!(header_references("${1X}").is_err());
        let env = |name: &str| (name == "TOKEN").then(|| "t0k".to_owned());
        assert_eq!(resolve_header("Bearer ${TOKEN}!", env).as_deref(), Some("Bearer t0k!"));
        assert_eq!(resolve_header("${MISSING}", env), None);
        assert_eq!(resolve_header("none", env).as_deref(), Some("none"));

        let spec = json!({"transport": "http", "url": "https://x.example/mcp",
            "headers": {"Authorization": "Bearer ${TOKEN}", "X-Other": "${NOPE}"},
            "env": [{"name": "TOKEN", "value": "v"}]});
        let err = normalize::<ServerSpec>(&spec).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert_eq!(err[0].field, "spec.headers.X-Other");
        assert!(err[0].message.contains("${NOPE} names no entry of spec.env"), "{err:?}");
    }
}
