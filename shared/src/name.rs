//! Name and label syntax: DNS-1123 labels for object names, Kubernetes label keys and values.

use std::collections::BTreeMap;

use crate::status::Cause;

const MAX_NAME: usize = 63;

/// A project's name, checked (a DNS-1123 label). Where an object may be global, its project
/// is an `Option<ProjectName>`: `None` means global.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(name: &str) -> Result<ProjectName, String> {
        check_name(name).map(|()| ProjectName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A project as text: its name, or `""` for none (global), as storage keeps it.
    pub fn text(project: Option<&ProjectName>) -> &str {
        project.map_or("", ProjectName::as_str)
    }

    /// The project text names: `None` for `""`; a name that is not valid names none either.
    pub fn from_text(text: &str) -> Option<ProjectName> {
        ProjectName::parse(text).ok()
    }
}

impl TryFrom<String> for ProjectName {
    type Error = String;

    fn try_from(name: String) -> Result<ProjectName, String> {
        check_name(&name).map(|()| ProjectName(name))
    }
}

impl From<ProjectName> for String {
    fn from(name: ProjectName) -> String {
        name.0
    }
}

impl std::fmt::Display for ProjectName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl schemars::JsonSchema for ProjectName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProjectName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63})
    }
}

/// Checks a DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if name.len() > MAX_NAME {
        return Err(format!("must be no more than {MAX_NAME} characters"));
    }
    let bytes = name.as_bytes();
    let ok_inner = bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    let ok_ends = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !ok_inner || !ok_ends(bytes[0]) || !ok_ends(bytes[bytes.len() - 1]) {
        return Err(format!(
            "{:?} is not a valid name: lowercase letters, digits and '-', starting and ending with a letter or digit",
            shown(name)
        ));
    }
    Ok(())
}

/// Checks an email address as a user name: one '@', a non-empty local part and a domain, no spaces.
pub fn check_email(email: &str) -> Result<(), String> {
    let valid = email.len() <= 254
        && email.chars().all(|c| c.is_ascii_graphic())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(())
    } else {
        Err(format!("{:?} is not a valid email address", shown(email)))
    }
}

/// Checks every label key and value, reporting each problem at `metadata.labels.<key>`.
pub fn check_labels(field: &str, labels: &BTreeMap<String, String>, causes: &mut Vec<Cause>) {
    for (key, value) in labels {
        let at = format!("{field}.{}", shown(key));
        if let Err(msg) = check_label_key(key) {
            causes.push(Cause::invalid(at.clone(), msg));
        }
        if !value.is_empty() {
            if let Err(msg) = check_label_segment(value) {
                causes.push(Cause::invalid(at, format!("value {msg}")));
            }
        }
    }
}

/// Annotation keys follow label-key syntax; values are free text up to 256 KiB in all.
pub fn check_annotations(field: &str, annotations: &BTreeMap<String, String>, causes: &mut Vec<Cause>) {
    let mut total = 0;
    for (key, value) in annotations {
        total += key.len() + value.len();
        if let Err(msg) = check_label_key(key) {
            causes.push(Cause::invalid(format!("{field}.{}", shown(key)), msg));
        }
    }
    if total > 256 * 1024 {
        causes.push(Cause::invalid(field, "annotations must be no more than 262144 bytes in all"));
    }
}

fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let valid = !prefix.is_empty() && prefix.len() <= 253 && prefix.split('.').all(|part| check_name(part).is_ok());
        if !valid {
            return Err(format!("key prefix {:?} must be a DNS subdomain", shown(prefix)));
        }
    }
    check_label_segment(name).map_err(|msg| format!("key {msg}"))
}

fn check_label_segment(s: &str) -> Result<(), String> {
    let bytes = s.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    let valid = !s.is_empty()
        && s.len() <= MAX_NAME
        && bytes.iter().all(|b| alnum(b) || matches!(b, b'-' | b'_' | b'.'))
        && alnum(&bytes[0])
        && alnum(&bytes[bytes.len() - 1]);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{:?} must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
            shown(s)
        ))
    }
}

/// Bounds what an error message repeats of user input.
pub fn shown(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_are_checked() {
        for good in ["a", "github", "my-server-1", &"a".repeat(63)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", "a b", "a\0b", &"a".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_checked() {
        assert!(check_email("admin@localhost").is_ok());
        for bad in ["admin", "@x", "a@", "a b@c", "a@b@c"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_keys_may_have_a_dns_prefix() {
        let mut causes = Vec::new();
        let labels = BTreeMap::from([
            ("team".to_owned(), "infra".to_owned()),
            ("example.com/tier".to_owned(), "".to_owned()),
            ("bad key".to_owned(), "x".to_owned()),
            ("ok".to_owned(), "-bad".to_owned()),
        ]);
        check_labels("metadata.labels", &labels, &mut causes);
        assert_eq!(causes.len(), 2, "{causes:?}");
    }
}
