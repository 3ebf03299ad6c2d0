//! `POST /api/v1/secrets/{name}/migrate`: moves one secret's values between backends. Needs
//! `run migrate-secrets` and `edit` on the secret.

use axum::extract::State;
use axum::Json;
use shared::api::{MigrateRequest, MigrateResult};
use shared::Kind;

use super::error::ApiError;
use super::extract::{JsonBody, Path};
use super::resources::{record, stored_name};
use crate::auth::{authorize, authorize_action, Principal, Verb};
use crate::domain;
use crate::http::state::AppState;

pub async fn migrate(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<MigrateRequest>,
) -> Result<Json<MigrateResult>, ApiError> {
    let info = Kind::Secret.info();
    authorize_action(&principal, "migrate-secrets")?;
    stored_name(info, &name)?;
    let auth = authorize(&principal, Verb::Update, info, Some(&name), None)?;
    let store = state.store();
    let mut tx = state.begin().await?;
    let (mut result, leftover) = domain::secrets::migrate(&mut tx, store, &auth, &name, &body).await?;
    if body.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        state.changed().notify_waiters();
    }
    // Only once the secret names its new backend: removing the values it left.
    if let Some(leftover) = leftover {
        if let Err(e) = leftover.remove(store).await {
            let message = e.into_status().message;
            tracing::warn!(secret = %name, "the values left on the source could not be removed: {message}");
            result.warning = Some(format!("the copy on \"{}\" is still there: {message}", body.from));
        }
    }
    record(&principal, "migrate", info, &name, None, 200, body.dry_run);
    Ok(Json(result))
}
