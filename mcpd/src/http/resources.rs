//! CRUD for every kind, driven by [`shared::KINDS`]: one set of handlers, no per-kind copies.
//! Global objects live at `/api/v1/{plural}`; project-scoped tokens at
//! `/api/v1/projects/{project}/mcptokens`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use shared::api::{ReferrerList, Resolution};
use shared::name::ProjectName;
use shared::object::ListMeta;
use shared::selector::Selector;
use shared::{Kind, KindInfo, List, Object, Reason, Scope, Status};

use super::error::ApiError;
use super::extract::{JsonBody, Path, Query};
use crate::audit::Event;
use crate::auth::{authorize, authorize_grants, Principal, Verb};
use crate::domain::{self, to_output, Desired, Mode, Reach};
use crate::http::state::AppState;

/// The largest page a list answers, whatever `limit` asks for.
pub const MAX_PAGE: usize = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    label_selector: Option<String>,
    limit: Option<usize>,
    #[serde(rename = "continue")]
    continue_token: Option<String>,
    #[serde(default)]
    show_values: bool,
    /// Stream changes instead of answering a list (see `http::watch`).
    #[serde(default)]
    watch: bool,
    /// With `watch`: the revision to stream changes after.
    resource_version: Option<String>,
    /// Accepted from Kubernetes clients; BOOKMARK events are always sent.
    #[serde(default, rename = "allowWatchBookmarks")]
    _allow_watch_bookmarks: bool,
}

/// `?dryRun=true` on create, replace and delete: everything but the commit.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteQuery {
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetQuery {
    #[serde(default)]
    show_values: bool,
}

/// The kind a URL names; only token routes live under a project. Audit events have routes
/// of their own.
fn kind_at(plural: &str, project: Option<&ProjectName>) -> Result<&'static KindInfo, ApiError> {
    match KindInfo::by_plural(plural) {
        Some(info) if info.needs_project() && project.is_none() => Err(Status::new(
            Reason::NotFound,
            format!("{0} are in a project: use /api/v1/projects/{{project}}/{0}", info.plural),
        )
        .into()),
        Some(info) if info.writable && (project.is_none() || info.scope == Scope::Project) => Ok(info),
        _ => Err(not_found_route()),
    }
}

pub fn not_found_route() -> ApiError {
    Status::new(Reason::NotFound, "the server could not find the requested resource").into()
}

/// A name from a URL that no object can have is simply not found, without asking the store.
pub(super) fn stored_name(info: &KindInfo, name: &str) -> Result<(), ApiError> {
    match (info.check_name)(name) {
        Ok(()) => Ok(()),
        Err(_) => Err(Status::not_found(info.plural, &shared::name::shown(name)).into()),
    }
}

/// The project of a project route must exist (`""`, no project, always does). Checked only
/// after authorization, so that a caller without rights cannot learn which projects exist.
async fn existing_project(state: &AppState, project: Option<&ProjectName>) -> Result<(), ApiError> {
    let Some(project) = project else {
        return Ok(());
    };
    if store_project_exists(state, project).await? {
        Ok(())
    } else {
        Err(Status::not_found(Kind::Project.info().plural, project.as_str()).into())
    }
}

async fn store_project_exists(state: &AppState, project: &ProjectName) -> Result<bool, ApiError> {
    let mut conn = state.store().pool().acquire().await?;
    Ok(crate::store::auth::project_exists(&mut conn, project.as_str()).await?)
}

/// The project a URL names. A name no project can have is simply not found, as object names
/// are, before anything is asked of the store.
fn url_project(project: &str) -> Result<ProjectName, ApiError> {
    ProjectName::parse(project)
        .map_err(|_| Status::not_found(Kind::Project.info().plural, &shared::name::shown(project)).into())
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(plural): Path<String>,
    Query(query): Query<ListQuery>,
    parts: axum::http::request::Parts,
) -> Result<Response, ApiError> {
    list_in(&state, &principal, &parts, &plural, None, query).await
}

pub async fn list_project(
    State(state): State<AppState>,
    principal: Principal,
    Path((project, plural)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
    parts: axum::http::request::Parts,
) -> Result<Response, ApiError> {
    list_in(&state, &principal, &parts, &plural, Some(&url_project(&project)?), query).await
}

async fn list_in(
    state: &AppState,
    principal: &Principal,
    parts: &axum::http::request::Parts,
    plural: &str,
    project: Option<&ProjectName>,
    query: ListQuery,
) -> Result<Response, ApiError> {
    let info = kind_at(plural, project)?;
    let auth = authorize(principal, Verb::List, info, None, project)?;
    let unknown_project = match project {
        Some(project) if !auth.sees_every_name() => !store_project_exists(state, project).await?,
        _ => false,
    };
    if unknown_project {
        // Rights narrowed to some names (`demo/ci`) say nothing about other projects: an
        // empty list, whether the project exists or not.
        return Ok(Json(List::new(Vec::new())).into_response());
    }
    existing_project(state, project).await?;
    let selector = Selector::parse(query.label_selector.as_deref().unwrap_or(""))
        .map_err(|msg| ApiError::from(Status::new(Reason::BadRequest, msg)))?;
    if query.watch {
        if query.show_values || query.limit.is_some() || query.continue_token.is_some() {
            return Err(Status::new(Reason::BadRequest, "watch takes labelSelector and resourceVersion only").into());
        }
        let from = match query.resource_version.as_deref() {
            None | Some("") => None,
            Some(rv) => Some(rv.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::from(Status::new(
                    Reason::BadRequest,
                    "resourceVersion must be a revision this server returned",
                ))
            })?),
        };
        // The principal was resolved from it: a watch asks again with it while it lasts.
        let bearer =
            super::extract::bearer_of(parts).map_err(|why| ApiError::from(Status::new(Reason::Unauthorized, why)))?;
        let watch = super::watch::Watch { bearer, info, project: project.cloned(), auth, selector, from };
        return super::watch::stream(state.clone(), watch).await;
    }
    // Read before the list: a watch from it may repeat a change the list shows, never miss one.
    let (revision, _) = {
        let mut conn = state.store().pool().acquire().await?;
        crate::store::changes::bounds(&mut conn).await?
    };
    if query.show_values {
        check_show_values(principal, info, None)?;
    }
    let limit = match query.limit {
        Some(0) => return Err(Status::new(Reason::BadRequest, "limit must be at least 1").into()),
        Some(n) if n > MAX_PAGE => {
            return Err(Status::new(Reason::BadRequest, format!("limit must be at most {MAX_PAGE}")).into())
        }
        Some(n) => Some(n),
        None => None,
    };
    let mut after = match query.continue_token.as_deref() {
        Some(token) => decode_continue(token)?,
        None => String::new(),
    };
    let mut items = Vec::new();
    let mut more = false;
    let chunk = limit.map_or(500, |l| l.max(100)) as i64;
    let mut conn = state.store().pool().acquire().await?;
    'pages: loop {
        let rows = domain::read::list(&mut conn, state.store(), &auth, info.kind, project, &after, chunk).await?;
        let full = rows.len() as i64 == chunk;
        for row in rows {
            after.clone_from(&row.name);
            let bound_name = crate::auth::principal::binding_name(info.plural, project, &row.name);
            if !auth.may_see(&bound_name) || !selector.matches(&row.labels) {
                continue;
            }
            if limit.is_some_and(|l| items.len() == l) {
                more = true;
                break 'pages;
            }
            items.push(row);
        }
        if !full {
            break;
        }
    }
    let items = shown(state, &mut conn, &auth, items, query.show_values).await?;
    let mut list = List::new(items);
    let continue_token =
        more.then(|| encode_continue(&list.items.last().map(|o| o.metadata.name.clone()).unwrap_or_default()));
    list.metadata = Some(ListMeta { continue_token, resource_version: Some(revision.to_string()) });
    Ok(Json(list).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path((plural, name)): Path<(String, String)>,
    Query(query): Query<GetQuery>,
) -> Result<Json<Object>, ApiError> {
    get_in(&state, &principal, &plural, None, &name, query).await
}

pub async fn get_project(
    State(state): State<AppState>,
    principal: Principal,
    Path((project, plural, name)): Path<(String, String, String)>,
    Query(query): Query<GetQuery>,
) -> Result<Json<Object>, ApiError> {
    get_in(&state, &principal, &plural, Some(&url_project(&project)?), &name, query).await
}

async fn get_in(
    state: &AppState,
    principal: &Principal,
    plural: &str,
    project: Option<&ProjectName>,
    name: &str,
    query: GetQuery,
) -> Result<Json<Object>, ApiError> {
    let info = kind_at(plural, project)?;
    stored_name(info, name)?;
    let auth = authorize(principal, Verb::Get, info, Some(name), project)?;
    existing_project(state, project).await?;
    if query.show_values {
        check_show_values(principal, info, Some(name))?;
    }
    let mut conn = state.store().pool().acquire().await?;
    let row = domain::read::fetch(&mut conn, state.store(), &auth, info.kind, project, name)
        .await?
        .ok_or_else(|| Status::not_found(info.plural, name))?;
    let shown = shown(state, &mut conn, &auth, vec![row], query.show_values).await?;
    Ok(Json(shown.into_iter().next().expect("one row in, one object out")))
}

/// The output form of rows read for a caller: values revealed when asked for (and allowed,
/// which the caller checked), a secret backend's status completed.
async fn shown(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    auth: &crate::auth::Authorized,
    mut rows: Vec<crate::store::ObjectRow>,
    show_values: bool,
) -> Result<Vec<Object>, ApiError> {
    if show_values {
        for row in &mut rows {
            domain::secrets::reveal(conn, state.store(), auth, row).await?;
        }
    }
    if rows.first().is_some_and(|r| r.kind == Kind::SecretBackend.as_str()) {
        domain::secrets::show_status(conn, auth, &mut rows).await?;
    }
    Ok(rows.into_iter().map(|row| to_output(row, show_values)).collect())
}

/// Authorizes writing a manifest, including the escalation rule for whatever the write would
/// grant: the bindings of an RbacDefinition or token, the rights of a user whose password is
/// set or who is created, the rights of a group whose members change; and reading every secret
/// the object refers to. Every verb in `verbs` must be allowed (apply, which creates or
/// updates, needs both); the proof of the last is returned.
pub async fn authorize_write(
    state: &AppState,
    principal: &Principal,
    verbs: &[Verb],
    desired: &Desired,
) -> Result<crate::auth::Authorized, ApiError> {
    let mut proofs = Vec::with_capacity(verbs.len());
    for verb in verbs {
        proofs.push(authorize(principal, *verb, desired.info, Some(&desired.name), desired.project.as_ref())?);
    }
    let auth = proofs.pop().expect("a write names at least one verb");
    let creates = verbs.contains(&Verb::Create);
    let grants: Vec<shared::rbac::Binding> = match desired.info.kind {
        Kind::RbacDefinition => serde_json::from_value(desired.spec["roleBindings"].clone()).unwrap_or_default(),
        Kind::McpToken => serde_json::from_value(desired.spec["bindings"].clone()).unwrap_or_default(),
        // Whoever sets a user's password, or creates a user an existing definition names,
        // gets that user's rights.
        Kind::User if creates || desired.password.is_some() => {
            crate::auth::principal::user_permissions(state.auth(), &desired.name).await?.bindings().to_vec()
        }
        // Whoever changes a group's members hands out the group's rights.
        Kind::Group => crate::auth::principal::subject_permissions(state.auth(), &format!("Group:{}", desired.name))
            .await?
            .bindings()
            .to_vec(),
        Kind::User
        | Kind::Secret
        | Kind::SecretBackend
        | Kind::Server
        | Kind::Project
        | Kind::Tool
        | Kind::AuditEvent => Vec::new(),
    };
    authorize_grants(principal, desired.info, &desired.name, &grants)?;
    for r in (desired.info.references)(&desired.spec) {
        let target = r.kind.info();
        // Referring to a secret hands its values to whatever runs the server: that needs the
        // right to read them. Referring to anything else needs seeing it, so that a reference
        // never tells whether an object one may not see exists.
        let (needed, needs) = if target.sensitive { (Verb::Update, "edit") } else { (Verb::Get, "get") };
        if !principal.allows(needed, target.plural, Some(&r.name), None) {
            let why = format!("cannot refer to it from {}: that needs {needs} on it", r.field);
            return Err(principal.forbidden("refer", target.plural, Some(&r.name), None, &why));
        }
    }
    Ok(auth)
}

/// A project route fixes the project of what is written to it.
fn place(desired: &mut Desired, project: Option<&ProjectName>) -> Result<(), ApiError> {
    if desired.project.is_none() {
        desired.project = project.cloned();
    }
    if desired.project.as_ref() != project {
        return Err(Status::new(
            Reason::BadRequest,
            format!(
                "metadata.project {:?} does not match the project in the URL {:?}",
                ProjectName::text(desired.project.as_ref()),
                ProjectName::text(project)
            ),
        )
        .into());
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(plural): Path<String>,
    Query(write): Query<WriteQuery>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<Object>), ApiError> {
    create_in(&state, &principal, &plural, None, body, write.dry_run).await
}

pub async fn create_project(
    State(state): State<AppState>,
    principal: Principal,
    Path((project, plural)): Path<(String, String)>,
    Query(write): Query<WriteQuery>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<Object>), ApiError> {
    create_in(&state, &principal, &plural, Some(&url_project(&project)?), body, write.dry_run).await
}

async fn create_in(
    state: &AppState,
    principal: &Principal,
    plural: &str,
    project: Option<&ProjectName>,
    body: Value,
    dry_run: bool,
) -> Result<(StatusCode, Json<Object>), ApiError> {
    let info = kind_at(plural, project)?;
    let mut desired = Desired::from_manifest(body, Some(info))?;
    place(&mut desired, project)?;
    desired.reach = if dry_run { Reach::DryRun } else { Reach::Everywhere };
    let auth = authorize_write(state, principal, &[Verb::Create], &desired).await?;
    existing_project(state, desired.project.as_ref()).await?;
    desired.hash_password(state.passwords()).await?;
    let mut tx = state.begin().await?;
    let written = domain::write(&mut tx, state.store(), &auth, principal, desired, Mode::Create).await?;
    finish(state, tx, dry_run).await?;
    record(
        principal,
        "create",
        info,
        &written.row.name,
        ProjectName::from_text(&written.row.project).as_ref(),
        201,
        dry_run,
    );
    let mut object = to_output(written.row, false);
    // The raw token of a dry run was never stored: it is not shown.
    if let (Some(token), Some(status), false) = (written.token, object.status.as_mut(), dry_run) {
        // The raw token, this once.
        let mut typed = shared::spec::McpTokenStatus::of(status);
        typed.token = Some(token);
        *status = typed.to_value();
    }
    Ok((StatusCode::CREATED, Json(object)))
}

pub async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    Path((plural, name)): Path<(String, String)>,
    Query(write): Query<WriteQuery>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Object>, ApiError> {
    replace_in(&state, &principal, &plural, None, &name, body, write.dry_run).await
}

pub async fn replace_project(
    State(state): State<AppState>,
    principal: Principal,
    Path((project, plural, name)): Path<(String, String, String)>,
    Query(write): Query<WriteQuery>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Object>, ApiError> {
    replace_in(&state, &principal, &plural, Some(&url_project(&project)?), &name, body, write.dry_run).await
}

async fn replace_in(
    state: &AppState,
    principal: &Principal,
    plural: &str,
    project: Option<&ProjectName>,
    name: &str,
    body: Value,
    dry_run: bool,
) -> Result<Json<Object>, ApiError> {
    let info = kind_at(plural, project)?;
    let mut desired = Desired::from_manifest(body, Some(info))?;
    place(&mut desired, project)?;
    if desired.name != name {
        return Err(Status::new(
            Reason::BadRequest,
            format!("metadata.name {:?} does not match the name in the URL {name:?}", desired.name),
        )
        .into());
    }
    desired.reach = if dry_run { Reach::DryRun } else { Reach::Everywhere };
    let auth = authorize_write(state, principal, &[Verb::Update], &desired).await?;
    existing_project(state, desired.project.as_ref()).await?;
    desired.hash_password(state.passwords()).await?;
    let mut tx = state.begin().await?;
    let written = domain::write(&mut tx, state.store(), &auth, principal, desired, Mode::Replace).await?;
    finish(state, tx, dry_run).await?;
    record(principal, "update", info, name, project, 200, dry_run);
    Ok(Json(to_output(written.row, false)))
}

pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path((plural, name)): Path<(String, String)>,
    Query(write): Query<WriteQuery>,
) -> Result<Json<Object>, ApiError> {
    delete_in(&state, &principal, &plural, None, &name, write.dry_run).await
}

pub async fn delete_project(
    State(state): State<AppState>,
    principal: Principal,
    Path((project, plural, name)): Path<(String, String, String)>,
    Query(write): Query<WriteQuery>,
) -> Result<Json<Object>, ApiError> {
    delete_in(&state, &principal, &plural, Some(&url_project(&project)?), &name, write.dry_run).await
}

async fn delete_in(
    state: &AppState,
    principal: &Principal,
    plural: &str,
    project: Option<&ProjectName>,
    name: &str,
    dry_run: bool,
) -> Result<Json<Object>, ApiError> {
    let info = kind_at(plural, project)?;
    stored_name(info, name)?;
    let auth = authorize(principal, Verb::Delete, info, Some(name), project)?;
    existing_project(state, project).await?;
    let mut tx = state.begin().await?;
    let reach = if dry_run { Reach::DryRun } else { Reach::Everywhere };
    let row = domain::delete(&mut tx, state.store(), &auth, info, project, name, reach).await?;
    finish(state, tx, dry_run).await?;
    record(principal, "delete", info, name, project, 200, dry_run);
    Ok(Json(to_output(row, false)))
}

/// Ends a write's transaction: committed, or rolled back for a dry run, which was validated,
/// authorized and checked against the database like the real write.
async fn finish(state: &AppState, tx: crate::store::Tx, dry_run: bool) -> Result<(), ApiError> {
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        state.principals().invalidate();
        state.changed().notify_waiters();
    }
    Ok(())
}

pub(super) fn record(
    principal: &Principal,
    verb: &str,
    info: &KindInfo,
    name: &str,
    project: Option<&ProjectName>,
    code: u16,
    dry_run: bool,
) {
    let project = ProjectName::text(project);
    principal.audit().record(Event {
        principal: &principal.audit_name(),
        verb,
        kind: info.plural,
        name,
        project: Some(project),
        code,
        dry_run,
    });
    if !dry_run {
        tracing::info!(principal = %principal.audit_name(), verb, kind = info.kind.as_str(), name, project, "changed");
    }
}

/// Revealing sensitive values needs `edit` on the object (on every object, for a list).
fn check_show_values(principal: &Principal, info: &KindInfo, name: Option<&str>) -> Result<(), ApiError> {
    if !info.sensitive || principal.allows(Verb::Update, info.plural, name, None) {
        return Ok(());
    }
    Err(principal.forbidden("reveal", info.plural, name, None, "cannot reveal values: that needs edit on the secret"))
}

fn encode_continue(name: &str) -> String {
    crate::util::hex(name.as_bytes())
}

fn decode_continue(token: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::from(Status::new(Reason::BadRequest, "invalid continue token"));
    if !token.len().is_multiple_of(2) || token.len() > 1024 {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2).ok_or_else(invalid)?, 16).map_err(|_| invalid()))
        .collect::<Result<Vec<u8>, _>>()?;
    let name = String::from_utf8(bytes).map_err(|_| invalid())?;
    if name.chars().any(char::is_control) {
        return Err(invalid());
    }
    Ok(name)
}

/// `GET /api/v1/projects/{project}/servers`: the servers a project exposes, for gateways.
pub async fn project_servers(
    State(state): State<AppState>,
    principal: Principal,
    Path(project): Path<String>,
) -> Result<Json<List>, ApiError> {
    let projects = Kind::Project.info();
    let servers = Kind::Server.info();
    stored_name(projects, &project)?;
    let project_auth = authorize(&principal, Verb::Get, projects, Some(&project), None)?;
    let server_auth = authorize(&principal, Verb::List, servers, None, None)?;
    let store = state.store();
    let mut conn = state.store().pool().acquire().await?;
    let row = domain::read::fetch(&mut conn, store, &project_auth, projects.kind, None, &project)
        .await?
        .ok_or_else(|| Status::not_found(projects.plural, &project))?;
    let names: Vec<String> = serde_json::from_value(row.spec["servers"].clone()).unwrap_or_default();
    let mut items = Vec::new();
    for name in names.iter().filter(|n| server_auth.may_see(n)) {
        if let Some(server) = domain::read::fetch(&mut conn, store, &server_auth, servers.kind, None, name).await? {
            items.push(to_output(server, false));
        }
    }
    Ok(Json(List::new(items)))
}

/// `GET /api/v1/projects/{project}/resolution`: what the gateway runs for a project, secret
/// values included. Only for `run serve` (the gateway's own credential); the answer is never
/// logged or audited.
pub async fn resolution(
    State(state): State<AppState>,
    principal: Principal,
    Path(project): Path<String>,
) -> Result<Json<Resolution>, ApiError> {
    let auth = crate::auth::authorize_serve(&principal)?;
    let project = url_project(&project)?;
    let mut conn = state.store().pool().acquire().await?;
    let resolved = domain::read::resolution(&mut conn, state.store(), &auth, &project).await?;
    Ok(Json(resolved.ok_or_else(|| Status::not_found(Kind::Project.info().plural, project.as_str()))?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferrersQuery {
    /// The plural of the object's kind.
    kind: String,
    name: String,
    #[serde(default)]
    project: Option<String>,
}

/// `GET /api/v1/referrers?kind=PLURAL&name=NAME[&project=P]`: who refers to an object, as
/// far as the caller may see them. Needs `get` on the object.
pub async fn referrers(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ReferrersQuery>,
) -> Result<Json<ReferrerList>, ApiError> {
    let project = query.project.as_deref().map(url_project).transpose()?;
    let project = project.as_ref();
    let info = kind_at(&query.kind, project)?;
    stored_name(info, &query.name)?;
    let auth = authorize(&principal, Verb::Get, info, Some(&query.name), project)?;
    existing_project(&state, project).await?;
    let mut conn = state.store().pool().acquire().await?;
    let row = domain::read::fetch(&mut conn, state.store(), &auth, info.kind, project, &query.name).await?;
    if row.is_none() {
        return Err(Status::not_found(info.plural, &query.name).into());
    }
    let found = domain::read::referrers(&mut conn, &auth, info.kind, project, &query.name).await?;
    let items = found
        .into_iter()
        .filter(|r| {
            let project = r.project.as_deref().and_then(ProjectName::from_text);
            crate::auth::check(&principal, Verb::Get, r.kind.info(), Some(&r.name), project.as_ref()).is_ok()
        })
        .collect();
    Ok(Json(ReferrerList { items }))
}
