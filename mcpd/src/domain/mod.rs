//! Validated objects ready to write ([`Desired`]), and the write path shared by create,
//! replace and apply ([`write`]).

pub mod bootstrap;
pub mod read;
pub mod secrets;
pub mod tools;
mod write;

use std::collections::BTreeMap;

use rand::RngCore;
use serde_json::Value;
use shared::name::{check_annotations, check_labels, ProjectName};
use shared::spec::{McpTokenStatus, TokenState};
use shared::{Cause, KindInfo, Object, Reason, Scope, Status};

pub use write::{delete, new_token, write, Mode, Written, ADMIN_DEFINITION};

use crate::error::ApiError;
use crate::store::ObjectRow;
use crate::util::{now, parse_time};

/// A manifest that passed every check that needs no database: envelope, name, labels, spec.
#[derive(Clone)]
pub struct Desired {
    pub info: &'static KindInfo,
    /// `None`: global.
    pub project: Option<ProjectName>,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Canonical form, from the kind's `normalize`.
    pub spec: Value,
    /// The precondition, when the manifest carries one.
    pub resource_version: Option<i64>,
    /// A user's new password: write-only, never part of the stored spec.
    pub password: Option<String>,
    /// Its argon2id hash, made by [`Desired::hash_password`] before any transaction begins.
    pub password_hash: Option<String>,
    /// What the write may do outside mcpd's database (values on an external secret backend).
    pub reach: Reach,
}

/// Whether a write may change what lives outside mcpd's database, which its transaction
/// cannot take back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reach {
    /// It may: the write commits unless it fails.
    #[default]
    Everywhere,
    /// A dry run: nothing outside changes (a backend is only asked whether it answers).
    DryRun,
    /// Part of an atomic apply, which may still be rolled back after this object: values on
    /// an external backend are refused rather than written.
    Atomic,
}

impl std::fmt::Debug for Desired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.info.singular, self.name)
    }
}

/// What a manifest says it is, as far as can be read, for naming it in errors.
pub fn identify(value: &Value) -> (String, String, Option<String>) {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let project = value["metadata"]["project"].as_str().map(str::to_owned);
    (text(&value["kind"]), text(&value["metadata"]["name"]), project)
}

impl Desired {
    /// Reads a manifest strictly: the envelope first, then every field, reporting all the
    /// causes at once. `expected` is the kind a URL implies, if any.
    pub fn from_manifest(value: Value, expected: Option<&'static KindInfo>) -> Result<Desired, ApiError> {
        let (object, info) = envelope(value, expected)?;
        let mut causes = Vec::new();
        let meta = object.metadata;
        if let Err(msg) = (info.check_name)(&meta.name) {
            causes.push(Cause::invalid("metadata.name", msg));
        }
        let project = project_of(info, meta.project, &mut causes);
        let password = object.spec.get("password").and_then(Value::as_str).map(str::to_owned);
        check_labels("metadata.labels", &meta.labels, &mut causes);
        check_annotations("metadata.annotations", &meta.annotations, &mut causes);
        let resource_version = resource_version_of(meta.resource_version.as_deref(), &mut causes);
        let spec = (info.normalize)(&object.spec).map_err(|spec_causes| causes.extend(spec_causes));
        match spec {
            Ok(spec) if causes.is_empty() => Ok(Desired {
                info,
                project,
                name: meta.name,
                labels: meta.labels,
                annotations: meta.annotations,
                spec,
                resource_version,
                password: password.filter(|_| info.kind == shared::Kind::User),
                password_hash: None,
                reach: Reach::Everywhere,
            }),
            _ => Err(Status::invalid(info.kind.as_str(), &shared::name::shown(&meta.name), causes)
                .for_object(info.plural, &meta.name)
                .into()),
        }
    }
}

/// The envelope of a manifest: an object of a known, writable kind in this API version (and
/// the kind the URL names, when one does).
fn envelope(value: Value, expected: Option<&'static KindInfo>) -> Result<(Object, &'static KindInfo), ApiError> {
    let (kind_name, name, _) = identify(&value);
    let object =
        Object::from_value(value).map_err(|cause| ApiError::from(invalid(expected, &kind_name, &name, vec![cause])))?;
    if object.api_version != shared::API_VERSION {
        let cause = Cause::invalid(
            "apiVersion",
            format!("unsupported apiVersion {:?}: use {}", object.api_version, shared::API_VERSION),
        );
        return Err(invalid(expected, &kind_name, &name, vec![cause]).into());
    }
    let Some(info) = KindInfo::by_kind(&object.kind) else {
        let known: Vec<&str> = shared::KINDS.iter().map(|k| k.kind.as_str()).collect();
        let cause = Cause::new(
            "kind",
            "FieldValueNotSupported",
            format!("unknown kind {:?}: known kinds are {}", object.kind, known.join(", ")),
        );
        return Err(invalid(expected, &kind_name, &name, vec![cause]).into());
    };
    if let Some(expected) = expected {
        if expected.kind != info.kind {
            return Err(Status::new(
                Reason::BadRequest,
                format!("kind {} does not match the URL, which is for {}", info.kind, expected.plural),
            )
            .into());
        }
    }
    if !info.writable {
        let cause = Cause::new("kind", "FieldValueNotSupported", format!("{} are written by mcpd only", info.plural));
        return Err(invalid(expected, &kind_name, &name, vec![cause]).into());
    }
    Ok((object, info))
}

/// The project a manifest names: none for global kinds (naming one is a cause), a valid name
/// or none for tokens.
fn project_of(info: &KindInfo, project: Option<String>, causes: &mut Vec<Cause>) -> Option<ProjectName> {
    match (info.scope, project) {
        (_, None) => None,
        (_, Some(p)) if p.is_empty() => None,
        (Scope::Global, Some(_)) => {
            causes.push(Cause::invalid(
                "metadata.project",
                format!("{} are global: project must not be set", info.plural),
            ));
            None
        }
        (Scope::Project, Some(p)) => match ProjectName::parse(&p) {
            Ok(project) => Some(project),
            Err(msg) => {
                causes.push(Cause::invalid("metadata.project", msg));
                None
            }
        },
    }
}

/// A precondition, when the manifest carries one: a resourceVersion this server returned.
fn resource_version_of(given: Option<&str>, causes: &mut Vec<Cause>) -> Option<i64> {
    match given {
        None | Some("") => None,
        Some(rv) => match rv.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                causes
                    .push(Cause::invalid("metadata.resourceVersion", "must be a resourceVersion this server returned"));
                None
            }
        },
    }
}

impl Desired {
    /// Hashes a given password, so the deliberately slow work happens before a transaction
    /// holds the database.
    pub async fn hash_password(&mut self, work: &crate::auth::password::PasswordWork) -> Result<(), ApiError> {
        if let Some(password) = self.password.clone() {
            let hash = work.run(move || crate::auth::password::hash(&password)).await?;
            self.password_hash = Some(hash);
        }
        Ok(())
    }
}

fn invalid(expected: Option<&KindInfo>, kind: &str, name: &str, causes: Vec<Cause>) -> Status {
    let kind = expected.map(|k| k.kind.as_str()).unwrap_or(if kind.is_empty() { "object" } else { kind });
    Status::invalid(kind, &shared::name::shown(name), causes)
}

/// The output form of a stored object: sensitive values become `null` unless `show_values`;
/// a token past its expiry shows as expired.
pub fn to_output(row: ObjectRow, show_values: bool) -> Object {
    let sensitive = KindInfo::by_kind(&row.kind).is_some_and(|k| k.sensitive);
    let mut object = row.into_object();
    // A secret stored before backends existed is on internal.
    if object.kind == shared::Kind::Secret.as_str() && object.spec.get("backend").is_none() {
        object.spec["backend"] = Value::from(shared::spec::INTERNAL);
    }
    if sensitive && !show_values {
        hide_values(&mut object.spec);
    }
    if object.kind == shared::Kind::Tool.as_str() {
        tools::with_state(&mut object);
    }
    if let Some(stored) = object.status.as_mut().filter(|_| object.kind == shared::Kind::McpToken.as_str()) {
        let mut status = McpTokenStatus::of(stored);
        let expired = status
            .expires_at
            .as_deref()
            .and_then(parse_time)
            .is_some_and(|t| t <= time::OffsetDateTime::now_utc().unix_timestamp());
        if expired && status.state == TokenState::Active {
            status.state = TokenState::Expired;
            *stored = status.to_value();
        }
    }
    object
}

fn hide_values(spec: &mut Value) {
    if let Some(data) = spec.get_mut("data").and_then(Value::as_object_mut) {
        for value in data.values_mut() {
            *value = Value::Null;
        }
    }
}

/// A fresh row for a new object: resource version 1, a random uid, timestamps of now.
pub fn new_row(kind: &str, project: &str, name: &str, spec: Value) -> ObjectRow {
    let now = now();
    ObjectRow {
        id: 0,
        kind: kind.to_owned(),
        project: project.to_owned(),
        name: name.to_owned(),
        uid: new_uid(),
        // Set by the store when written: the revision of the write.
        resource_version: 0,
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        spec,
        status: None,
        created_at: now.clone(),
        updated_at: now,
    }
}

fn new_uid() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::util::hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
