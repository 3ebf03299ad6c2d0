//! The envelope every object shares (`apiVersion`, `kind`, `metadata`, `spec`, `status`) and `kind: List`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::status::Cause;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectMeta {
    /// The object's name: a DNS-1123 label (a user's is an email address).
    #[serde(default)]
    pub name: String,
    /// The project of a project-scoped object (an McpToken in a project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Kubernetes-style labels, for selecting objects with `-l`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Free-form notes about the object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Set by mcpd: the object's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Set by mcpd; on input, a precondition (409 Conflict when stale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// Set by mcpd: when the object was created (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Set by mcpd: when the object last changed (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// One object of any kind; `spec` is checked against the kind's spec type by [`crate::KindInfo::normalize`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    /// Null only where an object is named, not described (a watch's DELETED and BOOKMARK).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub spec: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

impl Object {
    /// An object of `kind` with `metadata` only.
    pub fn new(kind: &crate::KindInfo, metadata: ObjectMeta) -> Object {
        Object {
            api_version: crate::API_VERSION.to_owned(),
            kind: kind.kind.to_string(),
            metadata,
            spec: Value::Null,
            status: None,
        }
    }

    /// Reads the envelope strictly, reporting the first problem with its field path.
    pub fn from_value(value: Value) -> Result<Object, Cause> {
        from_value_at("", value)
    }
}

/// Several objects, as `get` prints them and `apply -f` accepts them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct List {
    pub api_version: String,
    pub kind: String,
    pub items: Vec<Object>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ListMeta>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    /// Opaque; pass back as `continue` to get the next page.
    #[serde(default, rename = "continue", skip_serializing_if = "Option::is_none")]
    pub continue_token: Option<String>,
    /// The revision of the change log the list reflects: watch from it to see every later
    /// change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

impl List {
    pub fn new(items: Vec<Object>) -> List {
        List { api_version: crate::API_VERSION.to_owned(), kind: "List".to_owned(), items, metadata: None }
    }
}

/// Deserializes `value` strictly; the error names the field path below `prefix`.
pub fn from_value_at<T: DeserializeOwned + Serialize>(prefix: &str, value: Value) -> Result<T, Cause> {
    let join = |inner: &str| match (prefix.is_empty(), inner) {
        (true, ".") => String::new(),
        (true, _) => inner.to_owned(),
        (false, ".") => prefix.to_owned(),
        (false, _) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, _) => format!("{prefix}.{inner}"),
    };
    let parsed: T = serde_path_to_error::deserialize(value.clone()).map_err(|err| {
        let mut field = join(&err.path().to_string());
        let message = without_values(err.into_inner().to_string());
        // A missing field is named in the path, as kubectl names it.
        if let Some(missing) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            field = if field.is_empty() { missing.to_owned() } else { format!("{field}.{missing}") };
        }
        let reason = if message.starts_with("unknown field") { "FieldValueNotSupported" } else { "FieldValueInvalid" };
        Cause::new(field, reason, message)
    })?;
    // serde fills a struct from a JSON array by position; a manifest must say field names.
    let shape = serde_json::to_value(&parsed).unwrap_or(Value::Null);
    if let Some(at) = array_for_object(&value, &shape, String::new()) {
        let field = join(if at.is_empty() { "." } else { &at });
        return Err(Cause::invalid(field, "invalid type: sequence, expected a map with named fields"));
    }
    Ok(parsed)
}

/// Where `input` holds an array at a place its parsed form is an object, if anywhere.
fn array_for_object(input: &Value, parsed: &Value, at: String) -> Option<String> {
    match (input, parsed) {
        (Value::Array(_), Value::Object(_)) => Some(at),
        (Value::Array(items), Value::Array(parsed_items)) => items
            .iter()
            .zip(parsed_items)
            .enumerate()
            .find_map(|(i, (item, p))| array_for_object(item, p, format!("{at}[{i}]"))),
        (Value::Object(fields), Value::Object(parsed_fields)) => fields.iter().find_map(|(key, item)| {
            let p = parsed_fields.get(key)?;
            array_for_object(item, p, if at.is_empty() { key.clone() } else { format!("{at}.{key}") })
        }),
        _ => None,
    }
}

/// serde quotes the offending value in its messages (``invalid type: string "hunter2", expected
/// a map``, ``unknown variant `x` ``); a value may be a secret or a password, so only its
/// category is kept, except an unknown variant that reads as a word (a mistyped `stdoi`), which
/// is repeated beside what is allowed. What follows the last `, expected` comes from the type,
/// never from input. Field names stay: they are part of the path anyway.
pub fn without_values(message: String) -> String {
    let Some(head) =
        ["invalid type: ", "invalid value: ", "unknown variant "].into_iter().find(|h| message.starts_with(h))
    else {
        return message;
    };
    let (unexpected, expected) = match message.rfind(", expected ") {
        Some(at) => (&message[head.len()..at], Some(&message[at + ", expected ".len()..])),
        None => (&message[head.len()..], None),
    };
    let word = |text: &str| {
        let text = text.trim_matches('`');
        let plain = text.len() <= 32 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        (!text.is_empty() && plain).then(|| format!("\"{text}\""))
    };
    let category = match head {
        "unknown variant " => word(unexpected).unwrap_or_default(),
        _ => unexpected.split(['`', '"', '\'']).next().unwrap_or("").trim().to_owned(),
    };
    let mut out = head.trim_end().trim_end_matches(':').to_owned();
    match (head, category.is_empty()) {
        (_, true) => {}
        ("unknown variant ", false) => out = format!("{out} {category}"),
        _ => out = format!("{out}: {category}"),
    }
    if let Some(expected) = expected {
        out = format!("{out}, expected {expected}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_must_be_written_with_field_names() {
        let err = from_value_at::<crate::spec::UserSpec>("spec", serde_json::json!([])).unwrap_err();
        assert_eq!(err.field, "spec");
        let err = from_value_at::<crate::spec::ServerSpec>(
            "spec",
            serde_json::json!({"transport": "stdio", "command": "x", "env": [["A", "1"]]}),
        )
        .unwrap_err();
        assert_eq!(err.field, "spec.env[0]");
        let err =
            Object::from_value(serde_json::json!({"apiVersion": "v", "kind": "k", "metadata": ["x"]})).unwrap_err();
        assert_eq!(err.field, "metadata");
    }

    #[test]
    fn a_missing_field_is_named_in_its_path() {
        let top = from_value_at::<crate::spec::ServerSpec>("spec", serde_json::json!({"command": "x"})).unwrap_err();
        assert_eq!((top.field.as_str(), top.message.as_str()), ("spec.transport", "missing field `transport`"));
    }

    #[test]
    fn type_errors_do_not_repeat_values() {
        let err = from_value_at::<std::collections::BTreeMap<String, String>>(
            "spec.data",
            serde_json::json!({"PIN": 123456}),
        )
        .unwrap_err();
        assert_eq!(err.field, "spec.data.PIN");
        assert!(!err.message.contains("123456"), "{}", err.message);
        assert!(err.message.contains("expected a string"), "{}", err.message);
    }

    #[test]
    fn no_quoted_value_survives_in_a_message() {
        let canary = "hunter2, expected `x` \\\" LEAK";
        let cases = [
            from_value_at::<crate::spec::UserSpec>("spec", serde_json::json!(canary)).unwrap_err(),
            from_value_at::<crate::spec::ServerSpec>("spec", serde_json::json!({"transport": canary})).unwrap_err(),
            from_value_at::<std::collections::BTreeMap<String, String>>(
                "spec.data",
                serde_json::json!({"k": [canary]}),
            )
            .unwrap_err(),
        ];
        for err in cases {
            assert!(!err.message.contains("hunter2") && !err.message.contains("LEAK"), "{}", err.message);
            assert!(err.message.contains("expected"), "{}", err.message);
        }
        assert_eq!(without_values("missing field `name`".to_owned()), "missing field `name`");
        assert_eq!(
            without_values("invalid type: string \"a, expected b\", expected a map".to_owned()),
            "invalid type: string, expected a map"
        );
        assert_eq!(
            without_values("unknown variant `zz`, expected one of `a`, `b`".to_owned()),
            "unknown variant \"zz\", expected one of `a`, `b`"
        );
        assert_eq!(
            without_values("unknown variant `s3cret value!`, expected one of `a`, `b`".to_owned()),
            "unknown variant, expected one of `a`, `b`"
        );
    }
}
