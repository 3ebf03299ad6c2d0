//! `GET /api/v1/events[/{id}]`: the audit trail as AuditEvent objects, oldest first (or newest
//! first), with filters by principal, kind, name and time; `POST /api/v1/events/calls`: the
//! calls the gateway relayed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::api::{CallEvents, MAX_CALL_EVENTS};
use shared::name::check_name;
use shared::object::ListMeta;
use shared::{Cause, Kind, KindInfo, List, Object, ObjectMeta, Reason, Status};

use super::error::ApiError;
use super::extract::{JsonBody, Path, Query};
use crate::auth::{authorize, authorize_action, Principal, Verb};
use crate::http::state::AppState;
use crate::store::audit::{self, CallRow, EventFilter, EventRow};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventQuery {
    principal: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    project: Option<String>,
    /// Calls the gateway relayed to this server.
    server: Option<String>,
    /// Calls with this outcome: ok, error, timeout or refused.
    outcome: Option<String>,
    /// RFC 3339: events at or after.
    since: Option<String>,
    /// RFC 3339: events at or before.
    until: Option<String>,
    limit: Option<usize>,
    #[serde(rename = "continue")]
    continue_token: Option<String>,
    /// Newest first (for "the last few events"); oldest first otherwise.
    #[serde(default)]
    newest_first: bool,
}

/// The outcomes of the gateway's calls.
const OUTCOMES: [&str; 4] = ["ok", "error", "timeout", "refused"];

fn events_kind() -> &'static KindInfo {
    Kind::AuditEvent.info()
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<EventQuery>,
) -> Result<Json<List>, ApiError> {
    authorize(&principal, Verb::List, events_kind(), None, None)?;
    for (field, value) in [("since", &query.since), ("until", &query.until)] {
        if value.as_deref().is_some_and(|v| crate::util::parse_time(v).is_none()) {
            return Err(Status::new(Reason::BadRequest, format!("{field} must be an RFC 3339 time")).into());
        }
    }
    if query.outcome.as_deref().is_some_and(|o| !OUTCOMES.contains(&o)) {
        let message = format!("outcome must be one of {}", OUTCOMES.join(", "));
        return Err(Status::new(Reason::BadRequest, message).into());
    }
    let after = match query.continue_token.as_deref() {
        None if query.newest_first => i64::MAX,
        None => 0,
        Some(token) => token
            .parse::<i64>()
            .map_err(|_| ApiError::from(Status::new(Reason::BadRequest, "invalid continue token")))?,
    };
    let limit = query.limit.unwrap_or(super::resources::MAX_PAGE);
    if !(1..=super::resources::MAX_PAGE).contains(&limit) {
        let message = format!("limit must be between 1 and {}", super::resources::MAX_PAGE);
        return Err(Status::new(Reason::BadRequest, message).into());
    }
    // Kinds may be given as users type them.
    let kind = query.kind.as_deref().map(|k| KindInfo::find(k).map_or(k.to_owned(), |info| info.plural.to_owned()));
    // Stored times are UTC RFC 3339, which sort as text; bounds are brought to that form.
    let utc = |t: &Option<String>| t.as_deref().and_then(crate::util::parse_time).map(crate::util::format_time);
    let (since, until) = (utc(&query.since), utc(&query.until));
    let filter = EventFilter {
        principal: query.principal.as_deref(),
        kind: kind.as_deref(),
        name: query.name.as_deref(),
        project: query.project.as_deref(),
        server: query.server.as_deref(),
        outcome: query.outcome.as_deref(),
        since: since.as_deref(),
        until: until.as_deref(),
    };
    state.audit().flush().await;
    let mut rows = audit::list(state.store().pool(), &filter, after, query.newest_first, limit as i64 + 1).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let last = rows.last().map(|r| r.id);
    let mut list = List::new(rows.into_iter().map(to_object).collect());
    if let (true, Some(last)) = (more, last) {
        list.metadata = Some(ListMeta { continue_token: Some(last.to_string()), resource_version: None });
    }
    Ok(Json(list))
}

/// `POST /api/v1/events/calls`: calls the gateway relayed, written as audit events in one
/// transaction. Only for `run serve`; each event is checked, and a batch with a bad one is
/// refused whole (422 naming it).
pub async fn intake(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<CallEvents>,
) -> Result<StatusCode, ApiError> {
    authorize_action(&principal, "serve")?;
    if body.items.len() > MAX_CALL_EVENTS {
        let message = format!("at most {MAX_CALL_EVENTS} events per request, got {}", body.items.len());
        return Err(Status::new(Reason::RequestEntityTooLarge, message).into());
    }
    let mut causes = Vec::new();
    let mut rows = Vec::with_capacity(body.items.len());
    for (i, event) in body.items.into_iter().enumerate() {
        let at = |field: &str| format!("items[{i}].{field}");
        let Some(time) = crate::util::parse_time(&event.time) else {
            causes.push(Cause::invalid(at("time"), "must be an RFC 3339 time"));
            continue;
        };
        if let Some(Err(msg)) = event.server.as_deref().map(check_name) {
            causes.push(Cause::invalid(at("server"), msg));
        }
        for (field, value) in [("principal", &event.principal), ("name", &event.name)] {
            if value.is_empty() || value.len() > 1024 || value.chars().any(char::is_control) {
                causes.push(Cause::invalid(at(field), "must be 1 to 1024 bytes, without control characters"));
            }
        }
        rows.push(EventRow {
            id: 0,
            time: crate::util::format_time(time),
            principal: event.principal,
            verb: event.kind.verb().to_owned(),
            kind: event.kind.as_str().to_owned(),
            name: event.name,
            project: Some(event.project.to_string()),
            code: i64::from(event.outcome.code()),
            dry_run: false,
            call: Some(CallRow {
                server: event.server,
                duration_ms: i64::try_from(event.duration_ms).unwrap_or(i64::MAX),
                outcome: event.outcome.as_str().to_owned(),
            }),
        });
    }
    if !causes.is_empty() {
        return Err(Status::invalid(Kind::AuditEvent.info().plural, "", causes).into());
    }
    audit::insert(state.store().pool(), &rows).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Object>, ApiError> {
    authorize(&principal, Verb::Get, events_kind(), Some(&id), None)?;
    state.audit().flush().await;
    let row = match id.parse::<i64>() {
        Ok(n) => audit::get(state.store().pool(), n).await?,
        Err(_) => None,
    };
    row.map(|r| Json(to_object(r)))
        .ok_or_else(|| Status::not_found(Kind::AuditEvent.info().plural, &shared::name::shown(&id)).into())
}

fn to_object(row: EventRow) -> Object {
    Object {
        api_version: shared::API_VERSION.to_owned(),
        kind: Kind::AuditEvent.to_string(),
        metadata: ObjectMeta { name: row.id.to_string(), created_at: Some(row.time.clone()), ..ObjectMeta::default() },
        spec: serde_json::to_value(shared::spec::AuditEventSpec {
            time: row.time,
            principal: row.principal,
            verb: row.verb,
            kind: row.kind,
            name: row.name,
            project: row.project,
            code: u16::try_from(row.code).unwrap_or(0),
            dry_run: row.dry_run,
            server: row.call.as_ref().and_then(|c| c.server.clone()),
            duration_ms: row.call.as_ref().map(|c| u64::try_from(c.duration_ms).unwrap_or(0)),
            outcome: row.call.map(|c| c.outcome),
        })
        .expect("events serialize"),
        status: None,
    }
}
