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
use crate::domain::{self, identify, Desired, Mode, Reach};
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
    // A dry run changes nothing anywhere; an atomic apply refuses what it could not take back.
    let reach = match (query.dry_run, query.atomic) {
        (true, _) => Reach::DryRun,
        (false, true) => Reach::Atomic,
        (false, false) => Reach::Everywhere,
    };
    let mut checked = prepare(&state, &principal, body.items, reach).await;
    let failed_at = write(&state, &principal, &query, &mut checked).await?;
    let mut items: Vec<ApplyResult> = checked.into_iter().map(|item| item.result).collect();
    if let (true, Some(at)) = (query.atomic, failed_at) {
        for item in items.iter_mut().filter(|i| i.error.is_none()) {
            item.action = None;
            item.token = None;
            item.error = Some(Status::new(Reason::Conflict, format!("not applied: the atomic apply failed at {at}")));
        }
    }
    report(&principal, &query, &items);
    Ok(Json(ApplyResponse { kind: "ApplyResult".to_owned(), dry_run: query.dry_run, items }))
}

/// One manifest of the request: its result so far and, when it passed every check, what to
/// write with the proof that it may be written.
struct Item {
    result: ApplyResult,
    ready: Option<(Desired, Authorized)>,
}

/// Parses and authorizes every manifest before the store is touched, and hashes passwords
/// (slow on purpose) outside the transaction. A manifest that fails carries its Status.
async fn prepare(
    state: &AppState,
    principal: &Principal,
    manifests: Vec<serde_json::Value>,
    reach: Reach,
) -> Vec<Item> {
    let mut items = Vec::with_capacity(manifests.len());
    for value in manifests {
        let (kind, name, project) = identify(&value);
        let mut result = ApplyResult { kind, name, project, action: None, error: None, token: None };
        let ready = async {
            let mut desired = Desired::from_manifest(value, None)?;
            desired.reach = reach;
            // apply creates or updates, so it needs both. A refusal names the verb this apply
            // would have used: update, for an object that exists (asked silently first, so
            // that the one refusal is the one audited).
            let project = desired.project.as_ref();
            let refused =
                |verb| crate::auth::check(principal, verb, desired.info, Some(&desired.name), project).is_err();
            let verbs =
                match (refused(Verb::Create) || refused(Verb::Update)) && exists(state, principal, &desired).await? {
                    true => [Verb::Update, Verb::Create],
                    false => [Verb::Create, Verb::Update],
                };
            let auth = authorize_write(state, principal, &verbs, &desired).await?;
            desired.hash_password(state.passwords()).await?;
            Ok::<_, ApiError>((desired, auth))
        };
        match ready.await {
            Ok(ready) => {
                result.kind = ready.0.info.kind.to_string();
                items.push(Item { result, ready: Some(ready) });
            }
            Err(e) => {
                result.error = Some(e.into_status());
                items.push(Item { result, ready: None });
            }
        }
    }
    items
}

/// Whether the object a manifest names exists, asked only to word a refusal, and only when the
/// caller may see it (otherwise the answer would tell what they may not know).
async fn exists(state: &AppState, principal: &Principal, desired: &Desired) -> Result<bool, ApiError> {
    let project = desired.project.as_ref();
    // Checked first, so that a caller who may not see it leaves no refusal in the audit trail.
    if crate::auth::check(principal, Verb::Get, desired.info, Some(&desired.name), project).is_err() {
        return Ok(false);
    }
    let seeing = crate::auth::authorize(principal, Verb::Get, desired.info, Some(&desired.name), project)?;
    let mut conn = state.store().pool().acquire().await?;
    let found =
        crate::domain::read::fetch(&mut conn, state.store(), &seeing, desired.info.kind, project, &desired.name);
    Ok(found.await?.is_some())
}

/// Writes every ready item in one transaction, referenced kinds first whatever order the
/// manifests came in; commits unless this is a dry run or an atomic apply failed. Returns
/// where it first failed.
async fn write(
    state: &AppState,
    principal: &Principal,
    query: &ApplyQuery,
    items: &mut [Item],
) -> Result<Option<String>, ApiError> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].ready.as_ref().map_or(u8::MAX, |(d, _)| d.info.apply_rank(&d.spec)));
    let store = state.store();
    let mut tx = state.begin().await?;
    let mut failed_at: Option<String> = None;
    for i in order {
        let Item { result, ready } = &mut items[i];
        let failed = |result: &ApplyResult| format!("{}/{}", result.kind.to_lowercase(), result.name);
        let Some((desired, auth)) = ready.take() else {
            failed_at.get_or_insert_with(|| failed(result));
            continue;
        };
        if query.atomic && failed_at.is_some() {
            continue;
        }
        let missing = match &desired.project {
            Some(project) => !crate::store::auth::project_exists(&mut tx, project.as_str()).await?,
            None => false,
        };
        if let (true, Some(project)) = (missing, &desired.project) {
            result.error = Some(Status::not_found(shared::Kind::Project.info().plural, project.as_str()));
            failed_at.get_or_insert_with(|| failed(result));
            continue;
        }
        // A savepoint per object: a failure leaves the others standing (with `atomic`, it is
        // rolled back with everything). An object another writer created meanwhile is written
        // once more, now over what that writer committed.
        let mut outcome = write_once(&mut tx, store, &auth, principal, desired.clone()).await?;
        if outcome.as_ref().is_err_and(ApiError::is_unique_violation) {
            outcome = write_once(&mut tx, store, &auth, principal, desired).await?;
        }
        match outcome {
            Ok(written) => {
                result.action = Some(written.action);
                result.token = written.token.filter(|_| !query.dry_run);
            }
            Err(e) => {
                result.error = Some(e.into_status());
                failed_at.get_or_insert_with(|| failed(result));
            }
        }
    }
    if query.dry_run || (query.atomic && failed_at.is_some()) {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        state.principals().invalidate();
        state.changed().notify_waiters();
    }
    Ok(failed_at)
}

/// Records every change and every failure in the audit trail; unchanged objects and denials
/// (recorded when they were refused) are left out.
fn report(principal: &Principal, query: &ApplyQuery, items: &[ApplyResult]) {
    let who = principal.audit_name();
    for item in items {
        let code = match (&item.action, &item.error) {
            (Some(shared::api::ApplyAction::Unchanged), _) => continue,
            (_, Some(status)) if status.code == 403 => continue,
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
