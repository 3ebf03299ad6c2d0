//! `/api/v1/auth`: login with email and password, logout, whoami.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::api::{LoginRequest, LoginResponse, WhoAmI};
use shared::{Reason, Status};

use super::error::ApiError;
use super::extract::JsonBody;
use crate::auth::{password, Principal};
use crate::startup::AppState;
use crate::store;

/// Sessions last 12 hours.
const SESSION_TTL: i64 = 12 * 3600;

pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let stored = store::auth::password_hash(state.store().pool(), &body.email).await?;
    let dummy = state.dummy_hash().to_owned();
    // The same work, and the same answer, for an unknown email and a wrong password.
    let ok = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => password::verify(&body.password, &hash),
        None => {
            password::verify_against_nothing(&body.password, &dummy);
            false
        }
    })
    .await?;
    if !ok {
        tracing::info!(email = %body.email, "login failed");
        return Err(Status::new(Reason::Unauthorized, "invalid email or password").into());
    }
    let (token, claims) = state.sessions().issue(&body.email, SESSION_TTL);
    tracing::info!(email = %body.email, "login succeeded");
    Ok(Json(LoginResponse {
        token,
        expires_at: rfc3339(claims.exp),
    }))
}

pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    store::auth::revoke_session(
        state.store().pool(),
        &principal.session.jti,
        principal.session.expires_at,
    )
    .await?;
    tracing::info!(user = %principal.name, "logged out");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn whoami(principal: Principal) -> Json<WhoAmI> {
    Json(WhoAmI {
        kind: "User".to_owned(),
        name: principal.name,
        via: "session".to_owned(),
        expires_at: Some(rfc3339(principal.session.expires_at)),
    })
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
