//! Questions about access: `can-i`, answered by the code that enforces, and token
//! introspection for gateways (RFC 7662 field names).

use axum::extract::State;
use axum::Json;
use shared::api::{CanIRequest, CanIResponse, IntrospectRequest, IntrospectResponse};
use shared::name::ProjectName;
use shared::{KindInfo, Reason, Status};

use super::error::ApiError;
use super::extract::JsonBody;
use crate::auth::principal::{active_token, principal_of, user_principal, Identity};
use crate::auth::{authorize_action, check, Principal, Verb};
use crate::http::state::AppState;
use crate::util::sha256_hex;

pub async fn can_i(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<CanIRequest>,
) -> Result<Json<CanIResponse>, ApiError> {
    // On another user's behalf (kubectl's `--as`): for whoever may change that user and holds
    // every right the user has, as setting their password would need; nothing more is learnt
    // than what the caller could do themselves.
    let principal = match body.as_user.as_deref() {
        None => principal,
        Some(email) => {
            let users = shared::Kind::User.info();
            if let Err(why) = check(&principal, Verb::Update, users, Some(email), None) {
                return Err(principal.forbidden("impersonate", users.plural, Some(email), None, &why));
            }
            let theirs = user_principal(state.auth(), email).await?;
            crate::auth::authorize_grants(&principal, users, email, theirs.own.bindings())?;
            theirs
        }
    };
    let project = match body.project.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(ProjectName::parse(p).map_err(|msg| {
            ApiError::from(Status::new(Reason::BadRequest, format!("project {:?}: {msg}", shared::name::shown(p))))
        })?),
    };
    let project = project.as_ref();
    if body.verb == "run" && (body.kind == "*" || !shared::rbac::ACTIONS.contains(&body.kind.as_str())) {
        let known: Vec<&str> = shared::rbac::ACTIONS.iter().copied().filter(|a| *a != "*").collect();
        let message =
            format!("unknown action {:?}: known actions are {}", shared::name::shown(&body.kind), known.join(", "));
        return Err(Status::new(Reason::BadRequest, message).into());
    }
    let answer = if body.verb == "run" {
        // `connect` names the project it is for: `connect/demo`, or `-p demo`.
        let connect_to = match (body.kind.as_str(), body.name.as_deref(), project) {
            ("connect", Some(name), _) => Some(ProjectName::parse(name).map_err(|msg| {
                ApiError::from(Status::new(
                    Reason::BadRequest,
                    format!("project {:?}: {msg}", shared::name::shown(name)),
                ))
            })?),
            ("connect", None, Some(project)) => Some(project.clone()),
            _ => None,
        };
        let allowed = match &connect_to {
            Some(project) => principal.allows_connect(project),
            None => principal.allows_action(&body.kind),
        };
        match (allowed, &connect_to) {
            (true, _) => Ok(()),
            (false, Some(project)) => Err(format!("cannot run action \"connect\" on project \"{project}\"")),
            (false, None) => Err(format!("cannot run action \"{}\"", body.kind)),
        }
    } else {
        let verb = Verb::parse(&body.verb).ok_or_else(|| {
            ApiError::from(Status::new(
                Reason::BadRequest,
                format!("unknown verb {:?}: use get, list, create, update, delete or run", body.verb),
            ))
        })?;
        let kind = KindInfo::find(&body.kind)
            .ok_or_else(|| ApiError::from(Status::new(Reason::BadRequest, format!("unknown kind {:?}", body.kind))))?;
        check(&principal, verb, kind, body.name.as_deref(), project).map(|_| ())
    };
    Ok(Json(match answer {
        Ok(()) => CanIResponse { allowed: true, reason: format!("{} is allowed", principal.display()) },
        Err(why) => CanIResponse { allowed: false, reason: format!("{} {why}", principal.display()) },
    }))
}

pub async fn introspect(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<IntrospectRequest>,
) -> Result<Json<IntrospectResponse>, ApiError> {
    let is_self = matches!(&principal.identity, Identity::Token(t)
        if shared::token::is_well_formed(&body.token) && t.sha256 == sha256_hex(&body.token));
    if !is_self {
        authorize_action(&principal, "introspect")?;
    }
    let Some(info) = active_token(state.auth(), &body.token).await? else {
        return Ok(Json(IntrospectResponse::default()));
    };
    // What the token may do now: its bindings and the definitions naming it, narrowed by its
    // creator's rights (and its parent token's), not merely what it was created with.
    let acting = principal_of(state.auth(), info.clone()).await?;
    let scope: Vec<String> = acting.effective().bindings().iter().map(|b| b.to_string().replace(' ', ":")).collect();
    Ok(Json(IntrospectResponse {
        active: true,
        sub: Some(info.creator),
        iat: Some(info.issued_at),
        exp: info.expires_at,
        token_name: Some(info.name),
        project: info.project.map(String::from),
        scope: Some(scope.join(" ")),
        token_type: Some("mcpctl_pat".to_owned()),
    }))
}
