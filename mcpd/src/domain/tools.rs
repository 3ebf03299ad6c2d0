//! Tools: what gateways report of a project's tools (a Tool per tool, its status the
//! definition last seen), the rules a gateway filters by, and keeping Tools true to their
//! project: a Tool names one of the project's servers, and goes when its server leaves.

use serde_json::Value;
use shared::api::{RecordedTool, ToolReport, ToolReportResult, ToolRules, MAX_REPORTED_TOOLS};
use shared::spec::{check_tool_name, Approval, ProjectSpec, ToolDefinition, ToolSpec, ToolState, ToolStatus};
use shared::{Cause, Kind, Reason, Status};
use sqlx::AnyConnection;

use super::{new_row, Desired};
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::store::{objects, ObjectRow, Store};
use crate::util::now;

/// Every Tool of a project, in name order.
async fn all_in(conn: &mut AnyConnection, store: &Store, project: &str) -> sqlx::Result<Vec<ObjectRow>> {
    let mut rows = Vec::new();
    loop {
        let after = rows.last().map_or(String::new(), |r: &ObjectRow| r.name.clone());
        let page = objects::list(conn, store, Kind::Tool.as_str(), project, &after, 1000).await?;
        let full = page.len() == 1000;
        rows.extend(page);
        if !full {
            return Ok(rows);
        }
    }
}

fn spec_of(row: &ObjectRow) -> ToolSpec {
    serde_json::from_value(row.spec.clone()).unwrap_or_default()
}

fn status_of(row: &ObjectRow) -> Option<ToolStatus> {
    row.status.clone().and_then(|s| serde_json::from_value(s).ok())
}

/// What a gateway filters a project's tools by: its policy, and each Tool's approved and
/// last seen fingerprints.
pub async fn rules(
    conn: &mut AnyConnection,
    store: &Store,
    project: &str,
    spec: &ProjectSpec,
) -> sqlx::Result<ToolRules> {
    let recorded = all_in(conn, store, project)
        .await?
        .iter()
        .map(|row| {
            let spec = spec_of(row);
            let seen = status_of(row).and_then(|s| s.fingerprint);
            let approved = spec.approved.map(|a| a.fingerprint);
            (row.name.clone(), RecordedTool { server: spec.server, approved, seen })
        })
        .collect();
    Ok(ToolRules { policy: spec.tools.clone(), recorded })
}

/// Records what a gateway listed: a Tool for each new tool (approved as first seen when the
/// project does not pin its tools), and the new definition of each changed one. Two
/// replicas reporting the same change record it once; the answer names the tools whose
/// recorded definition changed.
pub async fn observe(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    report: ToolReport,
) -> Result<ToolReportResult, ApiError> {
    if report.tools.len() > MAX_REPORTED_TOOLS {
        let message = format!("at most {MAX_REPORTED_TOOLS} tools per report, got {}", report.tools.len());
        return Err(Status::new(Reason::RequestEntityTooLarge, message).into());
    }
    let causes: Vec<Cause> = report
        .tools
        .iter()
        .enumerate()
        .filter_map(|(i, t)| check_tool_name(&t.name).err().map(|msg| Cause::invalid(format!("tools[{i}].name"), msg)))
        .collect();
    if !causes.is_empty() {
        return Err(Status::invalid("tool report", "", causes).into());
    }
    let project = report.project.as_str();
    // Reports for one project wait for each other (on PostgreSQL), so two replicas never
    // both create a Tool.
    let Some(project_row) = objects::fetch(conn, store, Kind::Project.as_str(), "", project, true).await? else {
        return Err(Status::not_found(Kind::Project.info().plural, project).into());
    };
    let project_spec: ProjectSpec = serde_json::from_value(project_row.spec).unwrap_or_default();
    if !project_spec.servers.contains(&report.server) {
        return Err(Status::new(
            Reason::Conflict,
            format!("server \"{}\" is not a server of project \"{project}\"", report.server),
        )
        .into());
    }
    let seen = now();
    let mut changed = Vec::new();
    for tool in report.tools {
        let fingerprint = tool.definition.fingerprint();
        let existing = objects::fetch(conn, store, Kind::Tool.as_str(), project, &tool.name, true).await?;
        match existing {
            None => {
                let approved = (!project_spec.tools.pin)
                    .then(|| Approval { fingerprint: fingerprint.clone(), definition: tool.definition.clone() });
                let spec = ToolSpec { server: report.server.clone(), approved };
                let spec = serde_json::to_value(&spec).map_err(|e| ApiError::Internal(e.into()))?;
                let mut row = new_row(Kind::Tool.as_str(), project, &tool.name, spec);
                row.status = Some(status(&row, fingerprint, tool.definition, &seen));
                objects::insert(conn, store, &mut row, &[]).await?;
                objects::replace_refs(conn, row.id, &(Kind::Tool.info().references)(&row.spec)).await?;
            }
            Some(mut row) => {
                let before = status_of(&row).and_then(|s| s.fingerprint);
                if before.as_deref() == Some(fingerprint.as_str()) || spec_of(&row).server != report.server {
                    continue;
                }
                if before.is_some() {
                    changed.push(tool.definition.name.clone());
                }
                row.status = Some(status(&row, fingerprint, tool.definition, &seen));
                row.updated_at = seen.clone();
                objects::update(conn, store, &mut row).await?;
            }
        }
    }
    Ok(ToolReportResult { changed })
}

fn status(row: &ObjectRow, fingerprint: String, definition: ToolDefinition, seen: &str) -> Value {
    let approved = spec_of(row).approved.map(|a| a.fingerprint);
    let status = ToolStatus {
        state: ToolState::of(approved.as_deref(), Some(&fingerprint)),
        fingerprint: Some(fingerprint),
        definition: Some(definition),
        seen: Some(seen.to_owned()),
    };
    serde_json::to_value(status).expect("a status always serializes")
}

/// A Tool's state as of now: its approval may have changed since a gateway last reported.
pub fn with_state(object: &mut shared::Object) {
    let approved = object.spec["approved"]["fingerprint"].as_str().map(str::to_owned);
    let status = object.status.get_or_insert_with(|| Value::Object(Default::default()));
    let state = ToolState::of(approved.as_deref(), status["fingerprint"].as_str());
    status["state"] = Value::from(state.as_str());
}

/// A Tool must name a server of its project (which must exist).
pub async fn check_write(conn: &mut AnyConnection, store: &Store, desired: &Desired) -> Result<(), ApiError> {
    let Some(project) = desired.project.as_ref() else {
        let cause = Cause::required("metadata.project", "tools are in a project: set metadata.project");
        return Err(Status::invalid(Kind::Tool.as_str(), &desired.name, vec![cause])
            .for_object(Kind::Tool.info().plural, &desired.name)
            .into());
    };
    let Some(row) = objects::fetch(conn, store, Kind::Project.as_str(), "", project.as_str(), false).await? else {
        return Err(Status::not_found(Kind::Project.info().plural, project.as_str()).into());
    };
    let servers = serde_json::from_value::<ProjectSpec>(row.spec).unwrap_or_default().servers;
    let server = desired.spec["server"].as_str().unwrap_or_default();
    if servers.iter().any(|s| s == server) {
        return Ok(());
    }
    let cause =
        Cause::not_found("spec.server", format!("server \"{server}\" is not a server of project \"{project}\""));
    Err(Status::invalid(Kind::Tool.as_str(), &desired.name, vec![cause])
        .for_object(Kind::Tool.info().plural, &desired.name)
        .into())
}

/// Deletes the Tools of servers that are no longer in the project.
pub async fn prune(conn: &mut AnyConnection, store: &Store, project: &str, spec: &Value) -> sqlx::Result<()> {
    let servers = serde_json::from_value::<ProjectSpec>(spec.clone()).unwrap_or_default().servers;
    let gone: Vec<i64> = all_in(conn, store, project)
        .await?
        .into_iter()
        .filter(|row| !servers.contains(&spec_of(row).server))
        .map(|row| row.id)
        .collect();
    for id in gone {
        objects::delete(conn, store, id).await?;
    }
    Ok(())
}
