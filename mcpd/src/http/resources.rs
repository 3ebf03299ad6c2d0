//! CRUD for every kind, driven by [`shared::KINDS`]: one set of handlers, no per-kind copies.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use shared::object::ListMeta;
use shared::selector::Selector;
use shared::{KindInfo, List, Object, Reason, Status};

use super::error::ApiError;
use super::extract::{JsonBody, Path, Query};
use crate::auth::{authorize, Principal, Verb};
use crate::domain::{self, to_output, Desired, Mode};
use crate::startup::AppState;
use crate::store::objects;

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
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetQuery {
    #[serde(default)]
    show_values: bool,
}

pub fn kind_for(plural: &str) -> Result<&'static KindInfo, ApiError> {
    KindInfo::by_plural(plural).ok_or_else(not_found_route)
}

/// A name from a URL that no object can have is simply not found, without asking the store.
fn stored_name(info: &KindInfo, name: &str) -> Result<(), ApiError> {
    match shared::name::check_name(name) {
        Ok(()) => Ok(()),
        Err(_) => Err(Status::not_found(info.plural, &shared::name::shown(name)).into()),
    }
}

pub fn not_found_route() -> ApiError {
    Status::new(
        Reason::NotFound,
        "the server could not find the requested resource",
    )
    .into()
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(plural): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<List>, ApiError> {
    let info = kind_for(&plural)?;
    let auth = authorize(&principal, Verb::List, info, None)?;
    let selector = Selector::parse(query.label_selector.as_deref().unwrap_or(""))
        .map_err(|msg| ApiError::from(Status::new(Reason::BadRequest, msg)))?;
    if query.show_values {
        check_show_values(&principal, info, None)?;
    }
    let limit = match query.limit {
        Some(0) => return Err(Status::new(Reason::BadRequest, "limit must be at least 1").into()),
        Some(n) => Some(n.min(MAX_PAGE)),
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
        let rows = objects::list(&mut conn, &auth, info.kind, "", &after, chunk).await?;
        let full = rows.len() as i64 == chunk;
        for row in rows {
            after.clone_from(&row.name);
            if !auth.may_see(&row.name) || !selector.matches(&row.labels) {
                continue;
            }
            if limit.is_some_and(|l| items.len() == l) {
                more = true;
                break 'pages;
            }
            items.push(to_output(row, query.show_values));
        }
        if !full {
            break;
        }
    }
    let mut list = List::new(items);
    if more {
        let last = list
            .items
            .last()
            .map(|o| o.metadata.name.clone())
            .unwrap_or_default();
        list.metadata = Some(ListMeta {
            continue_token: Some(encode_continue(&last)),
        });
    }
    Ok(Json(list))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path((plural, name)): Path<(String, String)>,
    Query(query): Query<GetQuery>,
) -> Result<Json<Object>, ApiError> {
    let info = kind_for(&plural)?;
    stored_name(info, &name)?;
    let auth = authorize(&principal, Verb::Get, info, Some(&name))?;
    if query.show_values {
        check_show_values(&principal, info, Some(&name))?;
    }
    let mut conn = state.store().pool().acquire().await?;
    let row = objects::fetch(
        &mut conn,
        state.store().backend(),
        &auth,
        info.kind,
        "",
        &name,
        false,
    )
    .await?
    .ok_or_else(|| Status::not_found(info.plural, &name))?;
    Ok(Json(to_output(row, query.show_values)))
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(plural): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<Object>), ApiError> {
    let info = kind_for(&plural)?;
    let desired = Desired::from_manifest(body, Some(info))?;
    let auth = authorize(&principal, Verb::Create, info, Some(&desired.name))?;
    let mut tx = state.store().begin().await?;
    let (_, row) = domain::write(
        &mut tx,
        state.store().backend(),
        &auth,
        desired,
        Mode::Create,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(principal = %principal.name, kind = info.kind, name = %row.name, "created");
    Ok((StatusCode::CREATED, Json(to_output(row, false))))
}

pub async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    Path((plural, name)): Path<(String, String)>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Object>, ApiError> {
    let info = kind_for(&plural)?;
    let desired = Desired::from_manifest(body, Some(info))?;
    if desired.name != name {
        return Err(Status::new(
            Reason::BadRequest,
            format!(
                "metadata.name {:?} does not match the name in the URL {name:?}",
                desired.name
            ),
        )
        .into());
    }
    let auth = authorize(&principal, Verb::Update, info, Some(&name))?;
    let mut tx = state.store().begin().await?;
    let (action, row) = domain::write(
        &mut tx,
        state.store().backend(),
        &auth,
        desired,
        Mode::Replace,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(principal = %principal.name, kind = info.kind, name = %row.name, action = action.as_str(), "replaced");
    Ok(Json(to_output(row, false)))
}

pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path((plural, name)): Path<(String, String)>,
) -> Result<Json<Object>, ApiError> {
    let info = kind_for(&plural)?;
    stored_name(info, &name)?;
    let auth = authorize(&principal, Verb::Delete, info, Some(&name))?;
    let mut tx = state.store().begin().await?;
    let row = domain::delete(&mut tx, state.store().backend(), &auth, info, "", &name).await?;
    tx.commit().await?;
    tracing::info!(principal = %principal.name, kind = info.kind, name = %name, "deleted");
    Ok(Json(to_output(row, false)))
}

/// Revealing sensitive values needs `edit` on the object (on every object, for a list).
fn check_show_values(
    principal: &Principal,
    info: &KindInfo,
    name: Option<&str>,
) -> Result<(), ApiError> {
    if !info.sensitive
        || principal
            .permissions
            .allows(Verb::Update, info.plural, name)
    {
        return Ok(());
    }
    let what = name.map_or_else(
        || info.plural.to_owned(),
        |n| format!("{} \"{n}\"", info.plural),
    );
    Err(Status::new(
        Reason::Forbidden,
        format!(
            "{what}: {} cannot reveal values: that needs edit on the secret",
            principal.display()
        ),
    )
    .into())
}

fn encode_continue(name: &str) -> String {
    crate::auth::session::hex(name.as_bytes())
}

fn decode_continue(token: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::from(Status::new(Reason::BadRequest, "invalid continue token"));
    if !token.len().is_multiple_of(2) || token.len() > 512 {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(token.get(i..i + 2).ok_or_else(invalid)?, 16).map_err(|_| invalid())
        })
        .collect::<Result<Vec<u8>, _>>()?;
    let name = String::from_utf8(bytes).map_err(|_| invalid())?;
    shared::name::check_name(&name).map_err(|_| invalid())?;
    Ok(name)
}

/// `GET /api/v1/projects/{project}/servers`: the servers a project exposes, for gateways.
pub async fn project_servers(
    State(state): State<AppState>,
    principal: Principal,
    Path(project): Path<String>,
) -> Result<Json<List>, ApiError> {
    let projects = kind_for("projects")?;
    let servers = kind_for("servers")?;
    stored_name(projects, &project)?;
    let project_auth = authorize(&principal, Verb::Get, projects, Some(&project))?;
    let server_auth = authorize(&principal, Verb::List, servers, None)?;
    let backend = state.store().backend();
    let mut conn = state.store().pool().acquire().await?;
    let row = objects::fetch(
        &mut conn,
        backend,
        &project_auth,
        projects.kind,
        "",
        &project,
        false,
    )
    .await?
    .ok_or_else(|| Status::not_found(projects.plural, &project))?;
    let names: Vec<String> =
        serde_json::from_value(row.spec["servers"].clone()).unwrap_or_default();
    let mut items = Vec::new();
    for name in names.iter().filter(|n| server_auth.may_see(n)) {
        if let Some(server) = objects::fetch(
            &mut conn,
            backend,
            &server_auth,
            servers.kind,
            "",
            name,
            false,
        )
        .await?
        {
            items.push(to_output(server, false));
        }
    }
    Ok(Json(List::new(items)))
}
