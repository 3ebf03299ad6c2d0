//! `POST /api/v1/apply`: many manifests in one request, compared with stored state, written
//! only where they differ; per-object results; `dryRun` and `atomic`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shared::api::{ApplyRequest, ApplyResponse, ApplyResult};
use shared::{Reason, Status};
use sqlx::Acquire;

use super::error::ApiError;
use super::extract::{JsonBody, Query};
use super::resources::authorize_write;
use crate::audit::Event;
use crate::auth::{Authorized, Principal, Verb};
use crate::domain::{self, identify, Desired, Mode};
use crate::http::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyQuery {
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    atomic: bool,
}

pub async fn apply(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ApplyQuery>,
    JsonBody(body): JsonBody<ApplyRequest>,
) -> Result<Json<ApplyResponse>, ApiError> {
    // Parse and authorize everything before touching the store.
    let mut checked: Vec<(ApplyResult, Option<(Desired, Authorized)>)> = Vec::with_capacity(body.items.len());
    for value in body.items {
        let (kind, name, project) = identify(&value);
        let mut result = ApplyResult { kind, name, project, action: None, error: None, token: None };
        let prepared = match Desired::from_manifest(value, None) {
            // apply creates or updates, so it needs both.
            Ok(mut desired) => match authorize_write(&state, &principal, Verb::Create, &desired).await {
                Ok(_) => match authorize_write(&state, &principal, Verb::Update, &desired).await {
                    // Password hashing is slow on purpose: it happens before the transaction.
                    Ok(auth) => desired.hash_password(state.passwords()).await.map(|()| (desired, auth)),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match prepared {
            Ok(ok) => {
                result.kind = ok.0.info.kind.to_string();
                checked.push((result, Some(ok)));
            }
            Err(e) => {
                result.error = Some(e.into_status());
                checked.push((result, None));
            }
        }
    }
    // Referenced kinds first, whatever order the manifests came in; results keep the
    // request's order.
    let mut order: Vec<usize> = (0..checked.len()).collect();
    order.sort_by_key(|&i| checked[i].1.as_ref().map_or(u8::MAX, |(d, _)| d.info.apply_order));

    let store = state.store();
    let mut tx = state.begin().await?;
    let mut failed_at: Option<String> = None;
    for i in order {
        let (result, prepared) = &mut checked[i];
        let Some((desired, auth)) = prepared.take() else {
            failed_at.get_or_insert_with(|| format!("{}/{}", result.kind.to_lowercase(), result.name));
            continue;
        };
        if query.atomic && failed_at.is_some() {
            continue;
        }
        if !desired.project.is_empty() && !crate::store::auth::project_exists(&mut tx, &desired.project).await? {
            result.error = Some(Status::not_found("projects", &desired.project));
            failed_at.get_or_insert_with(|| format!("{}/{}", result.kind.to_lowercase(), result.name));
            continue;
        }
        // A savepoint per object: a failure leaves the others standing (with `atomic`, it is
        // rolled back with everything). An object another writer created meanwhile is written
        // once more, now over what that writer committed.
        let mut outcome = write_once(&mut tx, store, &auth, &principal, desired.clone()).await?;
        if outcome.as_ref().is_err_and(ApiError::is_unique_violation) {
            outcome = write_once(&mut tx, store, &auth, &principal, desired).await?;
        }
        match outcome {
            Ok(written) => {
                result.action = Some(written.action);
                result.token = written.token.filter(|_| !query.dry_run);
            }
            Err(e) => {
                result.error = Some(e.into_status());
                failed_at.get_or_insert_with(|| format!("{}/{}", result.kind.to_lowercase(), result.name));
            }
        }
    }
    let mut items: Vec<ApplyResult> = checked.into_iter().map(|(result, _)| result).collect();
    if query.dry_run || (query.atomic && failed_at.is_some()) {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        state.principals().invalidate();
        state.changed().notify_waiters();
    }
    if let (true, Some(at)) = (query.atomic, failed_at) {
        for item in items.iter_mut().filter(|i| i.error.is_none()) {
            item.action = None;
            item.token = None;
            item.error = Some(Status::new(Reason::Conflict, format!("not applied: the atomic apply failed at {at}")));
        }
    }
    let who = principal.audit_name();
    for item in &items {
        let code = match (&item.action, &item.error) {
            (Some(shared::api::ApplyAction::Unchanged), _) => continue,
            (_, Some(status)) if status.code == 403 => continue, // already recorded as denied
            (_, Some(status)) => status.code,
            (Some(_), None) => 200,
            (None, None) => continue,
        };
        // Events name kinds by their plural, whichever route wrote them.
        let kind = shared::KindInfo::by_kind(&item.kind).map_or(item.kind.as_str(), |k| k.plural);
        principal.audit().record(Event {
            principal: &who,
            verb: "apply",
            kind,
            name: &item.name,
            project: item.project.as_deref(),
            code,
            dry_run: query.dry_run,
        });
    }
    Ok(Json(ApplyResponse { kind: "ApplyResult".to_owned(), dry_run: query.dry_run, items }))
}

/// One object's write inside its own savepoint.
async fn write_once(
    tx: &mut crate::store::Tx,
    store: &crate::store::Store,
    auth: &Authorized,
    principal: &Principal,
    desired: Desired,
) -> Result<Result<domain::Written, ApiError>, ApiError> {
    let mut savepoint = tx.begin().await?;
    let outcome = domain::write(&mut savepoint, store, auth, principal, desired, Mode::Apply).await;
    if outcome.is_ok() {
        savepoint.commit().await?;
    } else {
        savepoint.rollback().await?;
    }
    Ok(outcome)
}
