//! `/api/v1/auth`: login with email and password (throttled), logout, whoami, and changing
//! one's own password.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::api::{LoginRequest, LoginResponse, PasswordChange, WhoAmI};
use shared::spec::check_password;
use shared::{Reason, Status};

use super::error::{status_response, ApiError};
use super::extract::JsonBody;
use crate::audit::Event;
use crate::auth::principal::Identity;
use crate::auth::{password, Principal};
use crate::http::state::AppState;
use crate::store;
use crate::util::format_time;

/// Sessions last 12 hours.
const SESSION_TTL: i64 = 12 * 3600;
/// Consecutive failures before an account is throttled.
const FREE_FAILURES: i64 = 5;
/// The longest an account waits between attempts.
const MAX_LOCK: i64 = 15 * 60;

/// Seconds an account waits after `failures` consecutive failures: 1, 2, 4, ... up to 15 minutes.
fn lock_seconds(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else {
        (1i64 << (failures - FREE_FAILURES).min(10)).min(MAX_LOCK)
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Response, ApiError> {
    // Nothing that is not an email address reaches the store, the log or the audit trail.
    if shared::name::check_email(&body.email).is_err() {
        let cause = shared::Cause::invalid("email", "must be an email address");
        return Err(Status::invalid("login", "", vec![cause]).into());
    }
    // One attempt per account at a time on this replica, so parallel guesses cannot slip
    // past the throttle between its check and its count.
    let _turn = state.login_turn(&body.email).await;
    let pool = state.store().pool();
    let audit = |code: u16| {
        state.audit().record(Event {
            principal: &body.email,
            verb: "login",
            kind: "sessions",
            name: "",
            project: None,
            code,
            dry_run: false,
        })
    };
    let (_, locked_until) = store::audit::login_lock(pool, &body.email).await?;
    if locked_until > now() {
        // Refused without any work: recorded at the same bounded rate as refused credentials.
        if state.may_record_refusal() {
            audit(429);
        }
        return Ok(too_many(locked_until - now()));
    }
    let stored = store::auth::password_hash(pool, &body.email).await?;
    let dummy = state.dummy_hash().to_owned();
    let password = body.password.clone();
    // The same work, and the same answer, for an unknown email and a wrong password.
    let ok = state
        .passwords()
        .run(move || match stored {
            Some(hash) => password::verify(&password, &hash),
            None => {
                password::verify_against_nothing(&password, &dummy);
                false
            }
        })
        .await?;
    if !ok {
        count_failure(&state, &body.email).await?;
        audit(401);
        tracing::info!(email = %body.email, "login failed");
        return Err(Status::new(Reason::Unauthorized, "invalid email or password").into());
    }
    store::audit::login_succeeded(pool, &body.email).await?;
    let (token, claims) = state.sessions().issue(&body.email, SESSION_TTL);
    audit(200);
    tracing::info!(email = %body.email, "login succeeded");
    Ok(Json(LoginResponse { token, expires_at: format_time(claims.exp) }).into_response())
}

/// Counts one more consecutive failure to prove `email`'s password (at login or when changing
/// it), which throttles the account, and forgets accounts that have been quiet for long.
async fn count_failure(state: &AppState, email: &str) -> Result<(), ApiError> {
    let started = now();
    let lock_until = |n| if lock_seconds(n) > 0 { started + lock_seconds(n) } else { 0 };
    store::audit::login_failed(state.store().pool(), email, started, lock_until).await?;
    let pool = state.store().pool();
    store::audit::forget_login_failures(pool, started, FREE_FAILURES, started - 3600, started - 24 * 3600).await?;
    Ok(())
}

fn too_many(wait: i64) -> Response {
    let mut response = status_response(Status::new(
        Reason::TooManyRequests,
        format!("too many failed logins for this account; retry in {wait} seconds"),
    ));
    let value = HeaderValue::from_str(&wait.max(1).to_string()).expect("digits are a valid header");
    response.headers_mut().insert("retry-after", value);
    response
}

pub async fn logout(State(state): State<AppState>, principal: Principal) -> Result<StatusCode, ApiError> {
    let Identity::User { session, email } = &principal.identity else {
        return Err(Status::new(Reason::BadRequest, "logout ends sessions; revoke a token by deleting it").into());
    };
    store::auth::revoke_session(state.store().pool(), &session.jti, session.expires_at).await?;
    state.principals().invalidate();
    tracing::info!(user = %email, "logged out");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn whoami(principal: Principal) -> Json<WhoAmI> {
    Json(match &principal.identity {
        Identity::User { email, session } => WhoAmI {
            kind: shared::Kind::User.to_string(),
            name: email.clone(),
            via: "session".to_owned(),
            expires_at: Some(format_time(session.expires_at)),
            project: None,
            created_by: None,
        },
        Identity::Token(t) => WhoAmI {
            kind: shared::Kind::McpToken.to_string(),
            name: t.name.clone(),
            via: "token".to_owned(),
            expires_at: t.expires_at.map(format_time),
            project: t.project.as_ref().map(ToString::to_string),
            created_by: Some(t.creator.clone()),
        },
    })
}

/// A user changes their own password, proving the current one.
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<Response, ApiError> {
    let Identity::User { email, .. } = &principal.identity else {
        return Err(Status::new(Reason::BadRequest, "only a logged-in user can change their password").into());
    };
    if let Some(cause) = check_password("newPassword", &body.new_password) {
        return Err(Status::invalid("password", "", vec![cause]).into());
    }
    // The same throttle as login: this route must not be a way around it.
    let _turn = state.login_turn(email).await;
    let pool = state.store().pool();
    let audit = |code: u16| {
        principal.audit().record(Event {
            principal: email,
            verb: "update",
            kind: "passwords",
            name: email,
            project: None,
            code,
            dry_run: false,
        })
    };
    let (_, locked_until) = store::audit::login_lock(pool, email).await?;
    if locked_until > now() {
        if state.may_record_refusal() {
            audit(429);
        }
        return Ok(too_many(locked_until - now()));
    }
    let stored = store::auth::password_hash(pool, email).await?.unwrap_or_default();
    let (current, new) = (body.current_password, body.new_password);
    let hash = state.passwords().run(move || password::verify(&current, &stored).then(|| password::hash(&new))).await?;
    let Some(hash) = hash else {
        count_failure(&state, email).await?;
        audit(403);
        tracing::info!(user = %email, "password change refused: wrong current password");
        return Err(Status::new(Reason::Forbidden, "the current password is wrong").into());
    };
    store::auth::set_user_password(pool, email, &hash).await?;
    store::audit::login_succeeded(pool, email).await?;
    // Sessions issued before now have ended; none may be answered from the cache.
    state.principals().invalidate();
    audit(204);
    Ok(StatusCode::NO_CONTENT.into_response())
}
