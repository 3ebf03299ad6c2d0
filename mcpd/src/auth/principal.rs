//! The authenticated caller, extracted from the bearer of every `/api/v1` request (or 401).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use shared::{Reason, Status};

use super::rbac::{Permissions, Verb};
use crate::http::error::ApiError;
use crate::startup::AppState;
use crate::store;

#[derive(Clone, Debug)]
pub struct Principal {
    /// The user's email.
    pub name: String,
    pub session: Session,
    pub permissions: Permissions,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub jti: String,
    pub expires_at: i64,
}

impl Principal {
    /// How audit lines and errors name the caller.
    pub fn display(&self) -> String {
        format!("User \"{}\"", self.name)
    }

    pub fn forbidden(&self, verb: Verb, plural: &str, name: Option<&str>) -> ApiError {
        let what = match name {
            Some(name) => format!("{plural} \"{name}\""),
            None => plural.to_owned(),
        };
        let mut status = Status::new(
            Reason::Forbidden,
            format!(
                "{what} is forbidden: {} cannot {} resource \"{plural}\"",
                self.display(),
                verb.as_str()
            ),
        );
        if let Some(name) = name {
            status = status.for_object(plural, name);
        }
        status.into()
    }
}

fn unauthorized(message: &str) -> ApiError {
    Status::new(Reason::Unauthorized, message).into()
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Principal, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                unauthorized("authentication required: send Authorization: Bearer <token>")
            })?;
        let bearer = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                unauthorized("malformed Authorization header: expected Bearer <token>")
            })?;
        let claims = state
            .sessions()
            .verify(bearer)
            .ok_or_else(|| unauthorized("invalid or expired bearer token"))?;
        let pool = state.store().pool();
        if store::auth::session_revoked(pool, &claims.jti).await? {
            return Err(unauthorized("invalid or expired bearer token"));
        }
        if !store::auth::user_exists(pool, &claims.sub).await? {
            return Err(unauthorized("invalid or expired bearer token"));
        }
        let specs = store::auth::rbac_specs(pool).await?;
        let subjects = [format!("User:{}", claims.sub)];
        let permissions =
            Permissions::from_definitions(specs.iter().map(String::as_str), &subjects);
        Ok(Principal {
            name: claims.sub,
            session: Session {
                jti: claims.jti,
                expires_at: claims.exp,
            },
            permissions,
        })
    }
}
