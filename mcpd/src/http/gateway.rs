//! What gateway replicas report: `POST /api/v1/gateway/status` (`run serve` only) replaces
//! one replica's report of its servers; `GET /api/v1/gateway/status[?server=NAME]` answers
//! what was reported within the last minute, for the servers the caller may list; and
//! `POST /api/v1/gateway/tools` (`run serve` only) records tools a replica listed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::api::{
    GatewayReport, GatewayStatus, GatewayStatusList, ServerState, ToolReport, ToolReportResult, MAX_SERVER_REPORTS,
};
use shared::name::check_name;
use shared::{Cause, Kind, Reason, Status};

use super::error::ApiError;
use super::extract::{JsonBody, Query};
use crate::auth::principal::binding_name;
use crate::auth::{authorize, authorize_action, Principal, Verb};
use crate::http::state::AppState;
use crate::store::gateway::{self, StatusRow};
use crate::util::{format_time, now, parse_time};

/// A report older than this is a replica that stopped: it is not shown, and pruned.
const FRESH_SECONDS: i64 = 60;
/// The longest gateway name and reason, in bytes.
const MAX_TEXT: usize = 256;

pub async fn report(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<GatewayReport>,
) -> Result<StatusCode, ApiError> {
    authorize_action(&principal, "serve")?;
    if body.servers.len() > MAX_SERVER_REPORTS {
        let message = format!("at most {MAX_SERVER_REPORTS} servers per report, got {}", body.servers.len());
        return Err(Status::new(Reason::RequestEntityTooLarge, message).into());
    }
    let mut causes = Vec::new();
    if !printable(&body.gateway) {
        causes.push(Cause::invalid("gateway", "must be 1 to 256 bytes, without control characters"));
    }
    let reported_at = now();
    let mut rows = Vec::with_capacity(body.servers.len());
    for (i, server) in body.servers.into_iter().enumerate() {
        let at = |field: &str| format!("servers[{i}].{field}");
        if let Err(msg) = check_name(&server.server) {
            causes.push(Cause::invalid(at("server"), msg));
        }
        if server.reason.as_deref().is_some_and(|r| !printable(r)) {
            causes.push(Cause::invalid(at("reason"), "must be 1 to 256 bytes, without control characters"));
        }
        let Some(since) = parse_time(&server.since) else {
            causes.push(Cause::invalid(at("since"), "must be an RFC 3339 time"));
            continue;
        };
        rows.push(StatusRow {
            gateway: body.gateway.clone(),
            project: server.project.to_string(),
            server: server.server,
            state: server.state.as_str().to_owned(),
            reason: server.reason.filter(|_| server.state == ServerState::Unavailable),
            since: format_time(since),
            reported_at: reported_at.clone(),
        });
    }
    if !causes.is_empty() {
        return Err(Status::invalid("gateway status", "", causes).into());
    }
    let stale = format_time(parse_time(&reported_at).unwrap_or_default() - FRESH_SECONDS);
    gateway::replace(state.store().pool(), &body.gateway, &rows, &stale).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records the tools a gateway listed whose definitions mcpd had not recorded.
pub async fn tools(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<ToolReport>,
) -> Result<Json<ToolReportResult>, ApiError> {
    let auth = crate::auth::authorize_serve(&principal)?;
    let mut tx = state.begin().await?;
    let result = crate::domain::tools::observe(&mut tx, state.store(), &auth, body).await?;
    tx.commit().await?;
    Ok(Json(result))
}

fn printable(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_TEXT && !text.chars().any(char::is_control)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    server: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<StatusQuery>,
) -> Result<Json<GatewayStatusList>, ApiError> {
    let servers = Kind::Server.info();
    let auth = authorize(&principal, Verb::List, servers, None, None)?;
    let fresh = format_time(parse_time(&now()).unwrap_or_default() - FRESH_SECONDS);
    let rows = gateway::list(state.store().pool(), query.server.as_deref(), &fresh).await?;
    let items = rows
        .into_iter()
        .filter(|row| auth.may_see(&binding_name(servers.plural, None, &row.server)))
        .filter_map(|row| {
            let state = serde_json::from_value(serde_json::Value::String(row.state)).ok()?;
            Some(GatewayStatus {
                gateway: row.gateway,
                project: row.project,
                server: row.server,
                state,
                reason: row.reason,
                since: row.since,
                reported_at: row.reported_at,
            })
        })
        .collect();
    Ok(Json(GatewayStatusList { items }))
}
