//! The one write path: create, replace and apply all come here, inside the caller's transaction.

use std::collections::BTreeSet;

use rand::distributions::{Alphanumeric, DistString};
use serde_json::Value;
use shared::api::ApplyAction;
use shared::name::ProjectName;
use shared::spec::{parse_ttl, Expiry, McpTokenSpec, McpTokenStatus, RbacMode, Reference, TokenState};
use shared::{Cause, Kind, Reason, Status};
use sqlx::AnyConnection;

use super::{new_row, secrets, tools, Desired};
use crate::auth::principal::Identity;
use crate::auth::{Authorized, Principal};
use crate::error::ApiError;
use crate::store::objects::{self, Referrer, TokenLink};
use crate::store::{self, ObjectRow, Store};
use crate::util::now;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// POST: the object must not exist.
    Create,
    /// PUT: the object must exist.
    Replace,
    /// apply: create or update, whichever is needed; nothing when unchanged.
    Apply,
}

/// What a write did; `token` is a new McpToken's raw value, shown once.
pub struct Written {
    pub action: ApplyAction,
    pub row: ObjectRow,
    pub token: Option<String>,
}

pub async fn write(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    actor: &Principal,
    mut desired: Desired,
    mode: Mode,
) -> Result<Written, ApiError> {
    let info = desired.info;
    let existing = objects::fetch(
        conn,
        store,
        info.kind.as_str(),
        ProjectName::text(desired.project.as_ref()),
        &desired.name,
        true,
    )
    .await?;
    let mut existing = existing;
    if let (Some(_), Mode::Create) = (&existing, mode) {
        return Err(Status::new(Reason::AlreadyExists, format!("{} \"{}\" already exists", info.plural, desired.name))
            .for_object(info.plural, &desired.name)
            .into());
    }
    if existing.is_none() && mode == Mode::Replace {
        return Err(Status::not_found(info.plural, &desired.name).into());
    }
    // Where a secret's values live, and what they are now when they live elsewhere.
    let mut read_at = None;
    match info.kind {
        Kind::Secret => {
            read_at = secrets::prepare(conn, store, &mut desired.spec, &desired.name, existing.as_mut()).await?;
        }
        Kind::SecretBackend => {
            secrets::check_backend(conn, store, &desired.name, &desired.spec, existing.as_ref()).await?;
        }
        Kind::Tool => tools::check_write(conn, store, &desired).await?,
        Kind::Server
        | Kind::Project
        | Kind::User
        | Kind::Group
        | Kind::RbacDefinition
        | Kind::McpToken
        | Kind::AuditEvent => {}
    }
    match existing {
        None => create(conn, store, actor, desired).await,
        Some(current) => update(conn, store, desired, current, read_at).await,
    }
}

/// Inserts a new object, with its references, and for a token its hash and raw value, for a
/// user their password hash.
async fn create(
    conn: &mut AnyConnection,
    store: &Store,
    actor: &Principal,
    mut desired: Desired,
) -> Result<Written, ApiError> {
    let info = desired.info;
    fill_kept_values(&mut desired, None)?;
    check_references(conn, &desired).await?;
    let hash = password_hash(&desired)?;
    let mut row =
        new_row(info.kind.as_str(), ProjectName::text(desired.project.as_ref()), &desired.name, desired.spec.clone());
    row.labels = desired.labels;
    row.annotations = desired.annotations;
    let token = match info.kind {
        Kind::McpToken => Some(issue_token(&mut row, actor)?),
        Kind::Secret
        | Kind::SecretBackend
        | Kind::Server
        | Kind::Project
        | Kind::Tool
        | Kind::User
        | Kind::Group
        | Kind::RbacDefinition
        | Kind::AuditEvent => None,
    };
    // A token belongs to its project's identity; the project stays locked until the
    // transaction ends, so that it cannot go away between this check and the insert.
    let project_uid = match row.project.as_str() {
        "" => String::new(),
        project => store::auth::project_uid(conn, store.backend(), project, true)
            .await?
            .ok_or_else(|| Status::not_found(Kind::Project.info().plural, project))?,
    };
    let keys = keys_of(&row.spec);
    // Values on an external backend are written there, and only their keys kept here.
    secrets::store_values(conn, store, &mut row, true, None, desired.reach).await?;
    objects::insert(conn, store, &mut row, &keys).await?;
    objects::replace_refs(conn, row.id, &(info.references)(&row.spec)).await?;
    if let (Some(_), Some(status)) = (&token, row.token_status()) {
        let parent = match &actor.identity {
            Identity::Token(t) => Some(t.sha256.as_str()),
            Identity::User { .. } => None,
        };
        let link = TokenLink {
            sha256: &status.sha256,
            object_id: row.id,
            created_by: actor.user(),
            project_uid: &project_uid,
            parent_sha256: parent,
        };
        objects::insert_token_hash(conn, &link).await?;
    }
    if let Some(hash) = hash {
        store::auth::set_password_hash(conn, row.id, &hash).await?;
    }
    Ok(Written { action: ApplyAction::Created, row, token })
}

/// Writes `desired` over `current` when they differ: the precondition first, then kept
/// values, the password, references and keys, and the admin rule.
async fn update(
    conn: &mut AnyConnection,
    store: &Store,
    mut desired: Desired,
    mut current: ObjectRow,
    read_at: Option<u64>,
) -> Result<Written, ApiError> {
    let info = desired.info;
    if let Some(rv) = desired.resource_version {
        if rv != current.resource_version {
            return Err(Status::new(
                Reason::Conflict,
                format!(
                    "operation cannot be fulfilled on {} \"{}\": the object has been modified; apply your changes to the latest version and try again",
                    info.plural, desired.name
                ),
            )
            .for_object(info.plural, &desired.name)
            .into());
        }
    }
    fill_kept_values(&mut desired, Some(&current.spec))?;
    // A given password is always set anew: comparing it would answer whether a guess is right.
    let password_changed = desired.password.is_some();
    let same =
        desired.spec == current.spec && desired.labels == current.labels && desired.annotations == current.annotations;
    if same && !password_changed {
        return Ok(Written { action: ApplyAction::Unchanged, row: current, token: None });
    }
    if info.immutable && desired.spec != current.spec {
        let cause = Cause::invalid("spec", format!("{} cannot change: delete it and create it again", info.plural));
        return Err(Status::invalid(info.kind.as_str(), &desired.name, vec![cause])
            .for_object(info.plural, &desired.name)
            .into());
    }
    if let Some(hash) = password_hash(&desired)? {
        store::auth::set_password_hash(conn, current.id, &hash).await?;
    }
    if same {
        // Only the password changed: the object itself stays as it is.
        return Ok(Written { action: ApplyAction::Configured, row: current, token: None });
    }
    check_references(conn, &desired).await?;
    let old_keys: BTreeSet<String> = keys_of(&current.spec).into_iter().collect();
    let new_keys: BTreeSet<String> = keys_of(&desired.spec).into_iter().collect();
    let removed: Vec<String> = old_keys.difference(&new_keys).cloned().collect();
    if !removed.is_empty() {
        let users: Vec<Referrer> = objects::referrers(conn, info.kind.as_str(), &current.project, &current.name)
            .await?
            .into_iter()
            .filter(|r| removed.contains(&r.key))
            .collect();
        if !users.is_empty() {
            return Err(in_use(info.plural, &current.name, &users, "cannot remove keys in use").into());
        }
        objects::remove_targets(conn, info.kind.as_str(), &current.project, &current.name, &removed).await?;
    }
    let added: Vec<String> = new_keys.difference(&old_keys).cloned().collect();
    objects::add_targets(conn, info.kind.as_str(), &current.project, &current.name, &added).await?;

    let values_changed = desired.spec["data"] != current.spec["data"];
    let reach = desired.reach;
    current.spec = desired.spec;
    current.labels = desired.labels;
    current.annotations = desired.annotations;
    current.updated_at = now();
    secrets::store_values(conn, store, &mut current, values_changed, read_at, reach).await?;
    let guard = AdminGuard::before(conn, store, info.kind).await?;
    objects::update(conn, store, &mut current).await?;
    objects::replace_refs(conn, current.id, &(info.references)(&current.spec)).await?;
    if info.kind == Kind::Project {
        // A server that left the project takes its tools' approvals with it.
        tools::prune(conn, store, &current.name, &current.spec).await?;
    }
    guard.after(conn, store).await?;
    Ok(Written { action: ApplyAction::Configured, row: current, token: None })
}

/// Makes a new token's raw value and fills the row's status; the raw value is returned once
/// and only its SHA-256 is kept.
fn issue_token(row: &mut ObjectRow, actor: &Principal) -> Result<String, ApiError> {
    let spec: McpTokenSpec = serde_json::from_value(row.spec.clone()).map_err(|e| ApiError::Internal(e.into()))?;
    let bindings = match spec.rbac {
        // What the actor may do now: for a token, its own bindings narrowed by its bounds.
        Some(RbacMode::Clone) => actor.effective().bindings().to_vec(),
        _ => spec.bindings.clone(),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expires = match (&spec.expires_at, &spec.ttl) {
        (Some(at), _) => crate::util::parse_time(at),
        (None, Some(ttl)) => match parse_ttl(ttl) {
            Ok(Expiry::Never) | Err(_) => None,
            Ok(Expiry::After(seconds)) => Some(now + seconds),
            Ok(Expiry::At(at)) => Some(at),
        },
        (None, None) => None,
    };
    if let Identity::Token(t) = &actor.identity {
        if t.chain_depth() + 1 >= crate::auth::principal::MAX_TOKEN_CHAIN {
            return Err(Status::new(
                Reason::Forbidden,
                "this token is at the end of a chain of tokens making tokens: it cannot make another",
            )
            .into());
        }
    }
    // A token made by a token expires no later than the token that made it.
    let parent_expiry = match &actor.identity {
        Identity::Token(t) => t.expires_at,
        Identity::User { .. } => None,
    };
    let expires = match (expires, parent_expiry) {
        (Some(asked), Some(parent)) => Some(asked.min(parent)),
        (asked, parent) => asked.or(parent),
    };
    if expires.is_some_and(|at| at <= now) {
        let field = if spec.ttl.is_some() { "spec.ttl" } else { "spec.expiresAt" };
        let cause = Cause::invalid(field, "the token would already be expired");
        return Err(Status::invalid(Kind::McpToken.as_str(), &row.name, vec![cause])
            .for_object(Kind::McpToken.info().plural, &row.name)
            .into());
    }
    let (raw, status) = new_token(actor.user(), &bindings, expires);
    row.status = Some(status.to_value());
    Ok(raw)
}

/// A fresh raw token and the status that describes it (its hash, never its value).
pub fn new_token(creator: &str, bindings: &[shared::rbac::Binding], expires: Option<i64>) -> (String, McpTokenStatus) {
    let body = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 30);
    let raw = shared::token::from_body(&body);
    let status = McpTokenStatus {
        prefix: shared::token::display_prefix(&raw),
        sha256: crate::util::sha256_hex(&raw),
        created_by: creator.to_owned(),
        bindings: bindings.to_vec(),
        expires_at: expires.map(crate::util::format_time),
        last_used_at: None,
        revoked_at: None,
        state: TokenState::Active,
        token: None,
    };
    (raw, status)
}

/// The hash of a given password, which the caller made before the transaction began.
fn password_hash(desired: &Desired) -> Result<Option<String>, ApiError> {
    match (&desired.password, &desired.password_hash) {
        (Some(_), None) => Err(ApiError::Internal(anyhow::anyhow!("a password reached the write path unhashed"))),
        (_, hash) => Ok(hash.clone()),
    }
}

/// Deletes an object unless something refers to it (409 naming the referrers).
pub async fn delete(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    info: &shared::KindInfo,
    project: Option<&ProjectName>,
    name: &str,
    reach: super::Reach,
) -> Result<ObjectRow, ApiError> {
    let project = ProjectName::text(project);
    if info.kind == Kind::SecretBackend {
        secrets::check_delete_backend(name)?;
    }
    let row = objects::fetch(conn, store, info.kind.as_str(), project, name, true)
        .await?
        .ok_or_else(|| Status::not_found(info.plural, name))?;
    let users = objects::referrers(conn, info.kind.as_str(), project, name).await?;
    if !users.is_empty() {
        return Err(in_use(info.plural, name, &users, "cannot delete").into());
    }
    let guard = AdminGuard::before(conn, store, info.kind).await?;
    match info.kind {
        // A user's tokens stop working, and stay listed as revoked.
        Kind::User => revoke_tokens_of(conn, store, name).await?,
        // So do the tokens a token made, and the tokens those made.
        Kind::McpToken => {
            let sha = row.token_status().unwrap_or_default().sha256;
            revoke_descendants(conn, store, sha).await?;
        }
        Kind::Secret
        | Kind::SecretBackend
        | Kind::Server
        | Kind::Project
        | Kind::Tool
        | Kind::Group
        | Kind::RbacDefinition
        | Kind::AuditEvent => {}
    }
    objects::delete(conn, store, row.id).await?;
    // Values on an external backend go with the secret, or the secret stays.
    secrets::destroy_values(conn, store, &row, reach).await?;
    if info.kind == Kind::Project {
        // A project's tokens go with it. Deleting the project first waits for every
        // transaction creating a token in it (they hold its row), so this statement sees
        // their tokens, and none created later finds the project.
        objects::delete_in_project(conn, store, Kind::McpToken.as_str(), name).await?;
        objects::delete_in_project(conn, store, Kind::Tool.as_str(), name).await?;
    }
    guard.after(conn, store).await?;
    Ok(row)
}

/// Marks every token made (directly or not) by the token with hash `sha256` revoked. They
/// stop working without this, since a token works only while its parent does; this keeps
/// their listing true.
async fn revoke_descendants(conn: &mut AnyConnection, store: &Store, sha256: String) -> Result<(), ApiError> {
    let mut pending = vec![sha256];
    let now = now();
    while let Some(sha) = pending.pop() {
        for token in objects::tokens_with_parent(conn, &sha).await? {
            pending.extend(token.token_status().map(|s| s.sha256));
            revoke(conn, store, token, &now).await?;
        }
    }
    Ok(())
}

/// The name of the built-in definition that the first start binds the admin to.
pub const ADMIN_DEFINITION: &str = "admin";

/// Whether mcpd stays administrable: the built-in `admin` definition exists, keeps `edit *`
/// and `run *`, and names at least one existing user, directly or through a group. The first
/// call in a transaction locks the definition (on PostgreSQL), so that two changes that are
/// each harmless alone cannot together leave nobody able to administer mcpd.
async fn admin_rule(conn: &mut AnyConnection, store: &Store) -> Result<Result<(), &'static str>, ApiError> {
    let Some(admin) = objects::fetch(conn, store, Kind::RbacDefinition.as_str(), "", ADMIN_DEFINITION, true).await?
    else {
        return Ok(Err("the built-in admin RbacDefinition cannot be deleted"));
    };
    let spec: shared::spec::RbacDefinitionSpec =
        serde_json::from_value(admin.spec).map_err(|e| ApiError::Internal(e.into()))?;
    let full = crate::domain::bootstrap::admin_bindings()
        .iter()
        .all(|needed| spec.role_bindings.iter().any(|b| b.covers(needed)));
    if !full {
        return Ok(Err("the built-in admin RbacDefinition must keep edit * and run *"));
    }
    for subject in &spec.subjects {
        let members = match subject.split_once(':') {
            Some(("User", email)) => vec![email.to_owned()],
            Some(("Group", group)) => {
                match objects::fetch(conn, store, Kind::Group.as_str(), "", group, false).await? {
                    Some(g) => serde_json::from_value::<shared::spec::GroupSpec>(g.spec).unwrap_or_default().members,
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        for email in members {
            if objects::fetch(conn, store, Kind::User.as_str(), "", &email, false).await?.is_some() {
                return Ok(Ok(()));
            }
        }
    }
    Ok(Err("the built-in admin RbacDefinition would name no existing user"))
}

/// Guards a change of a user, group or definition: taken before the change, checked after.
struct AdminGuard {
    held: bool,
}

impl AdminGuard {
    async fn before(conn: &mut AnyConnection, store: &Store, kind: Kind) -> Result<AdminGuard, ApiError> {
        let relevant = match kind {
            Kind::User | Kind::Group | Kind::RbacDefinition => true,
            Kind::Secret
            | Kind::SecretBackend
            | Kind::Server
            | Kind::Project
            | Kind::Tool
            | Kind::McpToken
            | Kind::AuditEvent => false,
        };
        // A database where the rule did not hold already (an earlier mcpd allowed that) is
        // not made worse by this change, and must stay manageable.
        let held = relevant && admin_rule(conn, store).await?.is_ok();
        Ok(AdminGuard { held })
    }

    /// Refuses the change (inside its transaction) when it broke the rule.
    async fn after(self, conn: &mut AnyConnection, store: &Store) -> Result<(), ApiError> {
        if !self.held {
            return Ok(());
        }
        match admin_rule(conn, store).await? {
            Ok(()) => Ok(()),
            Err(why) => {
                Err(Status::new(Reason::Conflict, format!("refused: {why}; nobody could administer mcpd afterwards"))
                    .for_object(Kind::RbacDefinition.info().plural, ADMIN_DEFINITION)
                    .into())
            }
        }
    }
}

async fn revoke_tokens_of(conn: &mut AnyConnection, store: &Store, email: &str) -> Result<(), ApiError> {
    let now = now();
    for token in objects::tokens_created_by(conn, email).await? {
        revoke(conn, store, token, &now).await?;
    }
    Ok(())
}

/// Marks an active token revoked at `now` (it stays listed); any other token is left alone.
async fn revoke(conn: &mut AnyConnection, store: &Store, mut token: ObjectRow, now: &str) -> Result<(), ApiError> {
    if let Some(mut status) = token.token_status().filter(|s| s.state == TokenState::Active) {
        status.state = TokenState::Revoked;
        status.revoked_at = Some(now.to_owned());
        token.status = Some(status.to_value());
        token.updated_at = now.to_owned();
        objects::update(conn, store, &mut token).await?;
    }
    Ok(())
}

/// A `null` value in a sensitive spec keeps the stored value; with none stored it is an error.
fn fill_kept_values(desired: &mut Desired, stored: Option<&Value>) -> Result<(), ApiError> {
    if !desired.info.sensitive {
        return Ok(());
    }
    let mut causes = Vec::new();
    if let Some(data) = desired.spec.get_mut("data").and_then(Value::as_object_mut) {
        for (key, value) in data.iter_mut() {
            if value.is_null() {
                match stored.and_then(|s| s["data"].get(key)).filter(|v| !v.is_null()) {
                    Some(kept) => *value = kept.clone(),
                    None => causes.push(Cause::required(
                        format!("spec.data.{key}"),
                        "a value is required: null keeps a stored value, and there is none",
                    )),
                }
            }
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(Status::invalid(desired.info.kind.as_str(), &desired.name, causes)
            .for_object(desired.info.plural, &desired.name)
            .into())
    }
}

/// Keys of a sensitive spec's `data`, which other objects may reference one by one.
fn keys_of(spec: &Value) -> Vec<String> {
    spec.get("data").and_then(Value::as_object).map(|d| d.keys().cloned().collect()).unwrap_or_default()
}

async fn check_references(conn: &mut AnyConnection, desired: &Desired) -> Result<(), ApiError> {
    let refs = (desired.info.references)(&desired.spec);
    if refs.is_empty() {
        return Ok(());
    }
    let missing = objects::missing_targets(conn, &refs).await?;
    if missing.is_empty() {
        return Ok(());
    }
    let causes = missing.iter().map(missing_cause).collect();
    Err(Status::invalid(desired.info.kind.as_str(), &desired.name, causes)
        .for_object(desired.info.plural, &desired.name)
        .into())
}

fn missing_cause(r: &Reference) -> Cause {
    let plural = r.kind.info().plural;
    let message = match &r.key {
        Some(key) => format!("key {key:?} of {plural} \"{}\" not found", r.name),
        None => format!("{plural} \"{}\" not found", r.name),
    };
    Cause::not_found(r.field.clone(), message)
}

fn in_use(plural: &str, name: &str, users: &[Referrer], what: &str) -> Status {
    let mut names: Vec<String> = users
        .iter()
        .map(|u| format!("{}/{}", shared::KindInfo::by_kind(&u.kind).map(|k| k.plural).unwrap_or(&u.kind), u.name))
        .collect();
    names.dedup();
    let causes = users
        .iter()
        .map(|u| {
            let by =
                format!("{}/{}", shared::KindInfo::by_kind(&u.kind).map(|k| k.singular).unwrap_or(&u.kind), u.name);
            let key = if u.key.is_empty() { String::new() } else { format!(" (key {:?})", u.key) };
            Cause::new(by, "ReferencedBy", format!("{}{key}", u.field))
        })
        .collect();
    Status::new(Reason::Conflict, format!("{what} {plural} \"{name}\": it is referenced by {}", names.join(", ")))
        .for_object(plural, name)
        .with_causes(causes)
}
