//! Probes and version: `/healthz` (the process), `/readyz` (the database), `/version`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use shared::api::Version;
use shared::{Reason, Status};

use super::error::status_response;
use super::state::AppState;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let ready = tokio::time::timeout(std::time::Duration::from_secs(3), state.store().is_ready()).await;
    if matches!(ready, Ok(true)) {
        Json(json!({"status": "ready"})).into_response()
    } else {
        status_response(Status::new(Reason::ServiceUnavailable, "the database is not reachable or not migrated"))
    }
}

pub async fn version() -> Json<Version> {
    Json(Version { version: env!("CARGO_PKG_VERSION").to_owned(), api_version: shared::API_VERSION.to_owned() })
}
