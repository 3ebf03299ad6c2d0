//! The authenticated caller, extracted from the bearer of every `/api/v1` request (or 401):
//! a user with a session, or an McpToken.

use std::sync::Arc;

use shared::name::ProjectName;
use shared::spec::TokenState;
use shared::{Kind, KindInfo, Reason, Status};

use super::rbac::{ListScope, Permissions, Verb};
use super::Auth;
use crate::audit::{AuditSink, Event};
use crate::error::ApiError;
use crate::store::{self, objects};
use crate::util::sha256_hex;

#[derive(Clone, Debug)]
pub enum Identity {
    User { email: String, session: Session },
    Token(TokenInfo),
}

#[derive(Clone, Debug)]
pub struct Session {
    pub jti: String,
    pub expires_at: i64,
    /// When it was issued, in milliseconds (sessions issued before a password change end).
    pub issued_ms: i64,
}

#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub object_id: i64,
    pub name: String,
    /// `None` for a global token.
    pub project: Option<ProjectName>,
    pub prefix: String,
    pub sha256: String,
    pub creator: String,
    pub issued_at: i64,
    pub expires_at: Option<i64>,
    /// The token's own bindings, fixed at creation.
    pub bindings: Vec<shared::rbac::Binding>,
    /// The token that created this one, when a token did: this one works only while it does.
    pub parent: Option<Box<TokenInfo>>,
}

impl TokenInfo {
    /// How many tokens made this one, one after the other.
    pub fn chain_depth(&self) -> usize {
        std::iter::successors(self.parent.as_deref(), |p| p.parent.as_deref()).count()
    }
}

/// A project token reaches only its project, the project's servers and the project's tokens.
#[derive(Clone, Debug)]
pub struct Confinement {
    pub project: ProjectName,
    pub servers: Vec<String>,
}

/// The caller; cheap to clone (the cache hands out shared copies).
#[derive(Clone)]
pub struct Principal(Arc<Resolved>);

pub struct Resolved {
    pub identity: Identity,
    /// A user's bindings; a token's own bindings.
    pub own: Permissions,
    /// For a token: what bounds it now. Its creator's permissions, and for a token made by
    /// another token, that token's own permissions and bounds too.
    pub bounds: Vec<Permissions>,
    pub confined: Option<Confinement>,
    audit: AuditSink,
}

impl std::ops::Deref for Principal {
    type Target = Resolved;

    fn deref(&self) -> &Resolved {
        &self.0
    }
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl Principal {
    /// How errors and audit events name the caller, e.g. `User "a@b"` or
    /// `McpToken "demo/ci" (mcpctl_pat_AbCd)`. Never a secret.
    pub fn display(&self) -> String {
        match &self.identity {
            Identity::User { email, .. } => format!("User \"{email}\""),
            Identity::Token(t) => format!("McpToken \"{}\" ({})", token_path(t.project.as_ref(), &t.name), t.prefix),
        }
    }

    /// The principal as audit events record it.
    pub fn audit_name(&self) -> String {
        match &self.identity {
            Identity::User { email, .. } => email.clone(),
            Identity::Token(t) => format!("mcptoken:{} ({})", token_path(t.project.as_ref(), &t.name), t.prefix),
        }
    }

    /// The user acting: the user, or the token's creator.
    pub fn user(&self) -> &str {
        match &self.identity {
            Identity::User { email, .. } => email,
            Identity::Token(t) => &t.creator,
        }
    }

    pub fn audit(&self) -> &AuditSink {
        &self.audit
    }

    fn confinement_allows(&self, verb: Verb, plural: &str, name: Option<&str>, project: Option<&ProjectName>) -> bool {
        let Some(c) = &self.confined else { return true };
        // Every kind is named, so that a new one is decided here, not let through.
        match KindInfo::by_plural(plural).map(|k| k.kind) {
            // Reading only: changing the project would change what the token reaches.
            Some(Kind::Project) => name == Some(c.project.as_str()) && matches!(verb, Verb::Get | Verb::List),
            Some(Kind::Server) => name.is_none_or(|n| c.servers.iter().any(|s| s == n)),
            Some(Kind::McpToken) => project == Some(&c.project),
            // Decided on the project (auth::check).
            Some(
                Kind::Secret
                | Kind::SecretBackend
                | Kind::Tool
                | Kind::User
                | Kind::Group
                | Kind::RbacDefinition
                | Kind::AuditEvent,
            )
            | None => false,
        }
    }

    pub fn allows(&self, verb: Verb, plural: &str, name: Option<&str>, project: Option<&ProjectName>) -> bool {
        let bound = name.map(|n| binding_name(plural, project, n));
        let bound = bound.as_deref();
        self.own.allows(verb, plural, bound)
            && self.bounds.iter().all(|b| b.allows(verb, plural, bound))
            && self.confinement_allows(verb, plural, name, project)
    }

    pub fn list_scope(&self, plural: &str, project: Option<&ProjectName>) -> Option<ListScope> {
        let mut scope = self.own.list_scope(plural)?;
        for bound in &self.bounds {
            scope = scope.intersect(bound.list_scope(plural)?);
        }
        if let Some(c) = &self.confined {
            scope = match KindInfo::by_plural(plural).map(|k| k.kind) {
                Some(Kind::Project) => scope.intersect(ListScope::Only(vec![c.project.to_string()])),
                Some(Kind::Server) => scope.intersect(ListScope::Only(c.servers.clone())),
                Some(Kind::McpToken) if project == Some(&c.project) => scope,
                Some(
                    Kind::McpToken
                    | Kind::Tool
                    | Kind::Secret
                    | Kind::SecretBackend
                    | Kind::User
                    | Kind::Group
                    | Kind::RbacDefinition
                    | Kind::AuditEvent,
                )
                | None => return None,
            };
        }
        Some(scope)
    }

    /// Whether the caller may connect to `project`'s MCP endpoint: `run connect` for every
    /// project or that one, within every bound; a project's token only to its own project.
    pub fn allows_connect(&self, project: &ProjectName) -> bool {
        let target = Some(project.as_str());
        self.confined.as_ref().is_none_or(|c| &c.project == project)
            && self.own.allows_action_on("connect", target)
            && self.bounds.iter().all(|b| b.allows_action_on("connect", target))
    }

    pub fn allows_action(&self, action: &str) -> bool {
        self.confined.is_none() && self.own.allows_action(action) && self.bounds.iter().all(|b| b.allows_action(action))
    }

    /// Whether the caller holds everything `binding` grants (the escalation rule).
    pub fn holds(&self, binding: &shared::rbac::Binding) -> bool {
        self.confined.is_none() && self.own.covers(binding) && self.bounds.iter().all(|b| b.covers(binding))
    }

    /// What the caller may do now: its own bindings narrowed by every bound.
    pub fn effective(&self) -> Permissions {
        self.bounds.iter().fold(self.own.clone(), |acc, bound| acc.intersect(bound))
    }

    /// A 403 naming what was refused, recorded in the audit trail.
    pub fn forbidden(
        &self,
        verb: &str,
        plural: &str,
        name: Option<&str>,
        project: Option<&ProjectName>,
        why: &str,
    ) -> ApiError {
        self.audit.record(Event {
            principal: &self.audit_name(),
            verb,
            kind: plural,
            name: name.unwrap_or(""),
            project: Some(ProjectName::text(project)),
            code: 403,
            dry_run: false,
        });
        let what = match name {
            Some(name) => format!("{plural} \"{name}\""),
            None => plural.to_owned(),
        };
        let mut status = Status::new(Reason::Forbidden, format!("{what} is forbidden: {} {why}", self.display()));
        if let Some(name) = name {
            status = status.for_object(plural, name);
        }
        status.into()
    }
}

/// The name a role binding's `name` is matched against. A project's tokens are named
/// `project/name` there, so that `edit mcptokens name:ci` reaches the global token `ci` only,
/// and `name: demo/ci` the token `ci` of project `demo`.
pub fn binding_name<'a>(plural: &str, project: Option<&ProjectName>, name: &'a str) -> std::borrow::Cow<'a, str> {
    match project {
        Some(project) if plural == Kind::McpToken.info().plural => std::borrow::Cow::Owned(format!("{project}/{name}")),
        _ => std::borrow::Cow::Borrowed(name),
    }
}

fn token_path(project: Option<&ProjectName>, name: &str) -> String {
    match project {
        None => name.to_owned(),
        Some(project) => format!("{project}/{name}"),
    }
}

pub fn unauthorized(message: &str) -> ApiError {
    Status::new(Reason::Unauthorized, message).into()
}

const INVALID: &str = "invalid, expired or revoked bearer token";

/// The permissions of a user now: every definition naming the user or one of their groups.
pub async fn user_permissions(auth: &Auth, email: &str) -> Result<Permissions, ApiError> {
    let pool = auth.store().pool();
    let mut subjects = vec![format!("User:{email}")];
    for (name, members) in store::auth::groups(pool).await? {
        if members.iter().any(|m| m == email) {
            subjects.push(format!("Group:{name}"));
        }
    }
    let specs = store::auth::rbac_specs(pool).await?;
    Ok(Permissions::from_definitions(specs.iter().map(String::as_str), &subjects))
}

/// The bindings of every definition naming `subject` directly (`Group:<name>`, for example).
pub async fn subject_permissions(auth: &Auth, subject: &str) -> Result<Permissions, ApiError> {
    let specs = store::auth::rbac_specs(auth.store().pool()).await?;
    Ok(Permissions::from_definitions(specs.iter().map(String::as_str), &[subject.to_owned()]))
}

/// The principal a bearer stands for, from the cache when it is fresh.
pub async fn resolve(auth: &Auth, bearer: &str) -> Result<Principal, ApiError> {
    let key = sha256_hex(bearer);
    if let Some(principal) = auth.principals().get(&key) {
        auth.metrics().auth_cache(true);
        if let Identity::Token(t) = &principal.identity {
            auth.note_token_use(t);
        }
        return Ok(principal);
    }
    auth.metrics().auth_cache(false);
    let generation = auth.principals().generation();
    let principal = load(auth, bearer).await?;
    auth.principals().put(key, principal.clone(), generation);
    Ok(principal)
}

/// Resolves a bearer against the database: a session JWT or an McpToken.
async fn load(auth: &Auth, bearer: &str) -> Result<Principal, ApiError> {
    if bearer.starts_with(shared::token::PREFIX) {
        return token_principal(auth, bearer).await;
    }
    let claims = auth.sessions().verify(bearer).ok_or_else(|| unauthorized(INVALID))?;
    let pool = auth.store().pool();
    // Revoked by logout, or issued before the user's password was last set (which also ends
    // the sessions of a deleted user whose email is used again).
    let floor = store::auth::sessions_after(pool, &claims.sub).await?;
    if store::auth::session_revoked(pool, &claims.jti).await? || floor.is_none_or(|after| claims.iat_ms < after) {
        return Err(unauthorized(INVALID));
    }
    let own = user_permissions(auth, &claims.sub).await?;
    Ok(Principal(Arc::new(Resolved {
        identity: Identity::User {
            email: claims.sub,
            session: Session { jti: claims.jti, expires_at: claims.exp, issued_ms: claims.iat_ms },
        },
        own,
        bounds: Vec::new(),
        confined: None,
        audit: auth.audit().clone(),
    })))
}

/// A user as `can-i --as` asks about them: their rights now, without a session of theirs.
pub async fn user_principal(auth: &Auth, email: &str) -> Result<Principal, ApiError> {
    let own = user_permissions(auth, email).await?;
    Ok(Principal(Arc::new(Resolved {
        identity: Identity::User {
            email: email.to_owned(),
            session: Session { jti: String::new(), expires_at: 0, issued_ms: 0 },
        },
        own,
        bounds: Vec::new(),
        confined: None,
        audit: auth.audit().clone(),
    })))
}

/// Resolves a raw token: checksum first (no lookup for a mistyped token), then its hash.
pub async fn token_principal(auth: &Auth, raw: &str) -> Result<Principal, ApiError> {
    let info = active_token(auth, raw).await?.ok_or_else(|| unauthorized(INVALID))?;
    auth.note_token_use(&info);
    principal_of(auth, info).await
}

/// The principal an active token acts as: its own bindings (and those of definitions naming
/// it), bounded by its creator's permissions now and, for a token made by a token, by that
/// token's permissions and bounds; confined to its project.
pub async fn principal_of(auth: &Auth, info: TokenInfo) -> Result<Principal, ApiError> {
    let pool = auth.store().pool();
    let specs = store::auth::rbac_specs(pool).await?;
    let mut bounds = vec![user_permissions(auth, &info.creator).await?];
    let mut link = info.parent.as_deref();
    while let Some(parent) = link {
        bounds.push(token_own(&specs, parent));
        link = parent.parent.as_deref();
    }
    let confined = match &info.project {
        None => None,
        Some(project) => {
            let servers = store::auth::project_servers(pool, project.as_str()).await?;
            Some(Confinement { project: project.clone(), servers })
        }
    };
    Ok(Principal(Arc::new(Resolved {
        own: token_own(&specs, &info),
        identity: Identity::Token(info),
        bounds,
        confined,
        audit: auth.audit().clone(),
    })))
}

/// A token's own permissions: its bindings and those of definitions naming it.
fn token_own(specs: &[String], info: &TokenInfo) -> Permissions {
    let mut own = Permissions::new(info.bindings.clone());
    own.extend(Permissions::from_definitions(specs.iter().map(String::as_str), &[format!("McpToken:{}", info.sha256)]));
    own
}

/// How many tokens deep a chain of tokens making tokens may be followed.
pub const MAX_TOKEN_CHAIN: usize = 16;

/// The token a raw value names, when it is well formed, known, not revoked, not expired, its
/// creator still exists, its project is the one it was made in, and the token that made it
/// (if one did) is active too.
pub async fn active_token(auth: &Auth, raw: &str) -> Result<Option<TokenInfo>, ApiError> {
    if !shared::token::is_well_formed(raw) {
        return Ok(None);
    }
    active_by_hash(auth, sha256_hex(raw), 0).await
}

async fn active_by_hash(auth: &Auth, sha256: String, depth: usize) -> Result<Option<TokenInfo>, ApiError> {
    let pool = auth.store().pool();
    let Some(found) = objects::token_by_hash(pool, &sha256).await? else {
        return Ok(None);
    };
    let row = found.row;
    let status = row.token_status().unwrap_or_default();
    let expires_at = status.expires_at.as_deref().and_then(crate::util::parse_time);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if status.state != TokenState::Active || expires_at.is_some_and(|e| e <= now) {
        return Ok(None);
    }
    if !store::auth::user_exists(pool, &status.created_by).await? {
        return Ok(None);
    }
    if !row.project.is_empty() {
        let mut conn = pool.acquire().await?;
        let uid = store::auth::project_uid(&mut conn, auth.store().backend(), &row.project, false).await?;
        // A project deleted and made again under its name is another project.
        if uid.is_none_or(|uid| uid != found.project_uid) {
            return Ok(None);
        }
    }
    let parent = match found.parent_sha256 {
        None => None,
        Some(_) if depth >= MAX_TOKEN_CHAIN => return Ok(None),
        Some(parent) => match Box::pin(active_by_hash(auth, parent, depth + 1)).await? {
            Some(parent) => Some(Box::new(parent)),
            None => return Ok(None),
        },
    };
    Ok(Some(TokenInfo {
        object_id: row.id,
        name: row.name,
        project: ProjectName::from_text(&row.project),
        prefix: status.prefix,
        sha256,
        creator: status.created_by,
        issued_at: crate::util::parse_time(&row.created_at).unwrap_or(0),
        expires_at,
        bindings: status.bindings,
        parent,
    }))
}
