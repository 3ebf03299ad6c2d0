//! SQL for credentials, revoked sessions and daemon-wide settings such as the signing key.

use sqlx::{AnyConnection, AnyPool};

/// Stores `value` under `key` unless one is there already, and returns what is stored:
/// replicas starting together all end up with the first writer's value.
pub async fn setting_or_insert(pool: &AnyPool, key: &str, value: &str) -> sqlx::Result<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(pool).await
}

pub async fn setting(pool: &AnyPool, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(pool).await
}

/// Replaces a setting's value if it is still `old` (compare-and-set); returns whether it did.
pub async fn set_setting(pool: &AnyPool, key: &str, old: &str, new: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE settings SET value = $1 WHERE key = $2 AND value = $3")
        .bind(new)
        .bind(key)
        .bind(old)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The password hash of a user, by email.
pub async fn password_hash(pool: &AnyPool, email: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT c.password_hash FROM credentials c JOIN objects o ON o.id = c.object_id \
         WHERE o.kind = 'User' AND o.project = '' AND o.name = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

/// Now, in milliseconds: when sessions issued before a password change end.
fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Sets a user's password hash; sessions issued before now stop working.
pub async fn set_password_hash(conn: &mut AnyConnection, object_id: i64, hash: &str) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO credentials (object_id, password_hash, sessions_after) VALUES ($1, $2, $3) \
         ON CONFLICT (object_id) DO UPDATE SET password_hash = excluded.password_hash, \
         sessions_after = excluded.sessions_after",
    )
    .bind(object_id)
    .bind(hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The time (unix milliseconds) before which a user's sessions are void, or `None` when the user
/// does not exist or has no password (and so no session).
pub async fn sessions_after(pool: &AnyPool, email: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT c.sessions_after FROM credentials c JOIN objects o ON o.id = c.object_id \
         WHERE o.kind = 'User' AND o.project = '' AND o.name = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

pub async fn user_exists(pool: &AnyPool, email: &str) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM objects WHERE kind = 'User' AND project = '' AND name = $1")
            .bind(email)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

pub async fn any_user_exists(conn: &mut AnyConnection) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM objects WHERE kind = 'User' LIMIT 1").fetch_optional(conn).await?;
    Ok(found.is_some())
}

/// Specs of every RbacDefinition (the evaluator picks those naming the principal).
/// Every RbacDefinition as `(name, spec)`.
pub async fn rbac_definitions<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT name, spec FROM objects WHERE kind = 'RbacDefinition' AND project = '' ORDER BY name")
        .fetch_all(db)
        .await
}

pub async fn rbac_specs(pool: &AnyPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT spec FROM objects WHERE kind = 'RbacDefinition' AND project = ''").fetch_all(pool).await
}

pub async fn revoke_session(pool: &AnyPool, jti: &str, expires_at: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO revoked_sessions (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
        .bind(jti)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn session_revoked(pool: &AnyPool, jti: &str) -> sqlx::Result<bool> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT jti FROM revoked_sessions WHERE jti = $1").bind(jti).fetch_optional(pool).await?;
    Ok(found.is_some())
}

/// Every group, as `(name, members)`.
pub async fn groups<'e>(db: impl sqlx::Executor<'e, Database = sqlx::Any>) -> sqlx::Result<Vec<(String, Vec<String>)>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, spec FROM objects WHERE kind = 'Group' AND project = '' ORDER BY name")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(name, spec)| {
            let spec: shared::spec::GroupSpec = serde_json::from_str(&spec).unwrap_or_default();
            (name, spec.members)
        })
        .collect())
}

/// The servers a project lists (empty when the project does not exist).
pub async fn project_servers(pool: &AnyPool, project: &str) -> sqlx::Result<Vec<String>> {
    let spec: Option<String> =
        sqlx::query_scalar("SELECT spec FROM objects WHERE kind = 'Project' AND project = '' AND name = $1")
            .bind(project)
            .fetch_optional(pool)
            .await?;
    Ok(spec
        .and_then(|s| serde_json::from_str::<shared::spec::ProjectSpec>(&s).ok())
        .map(|s| s.servers)
        .unwrap_or_default())
}

/// The uid of a project, or `None` when it does not exist. With `lock` on PostgreSQL the
/// project cannot be deleted until the transaction ends, so what is written into it now is
/// deleted with it later, never orphaned.
pub async fn project_uid(
    conn: &mut AnyConnection,
    backend: super::Backend,
    project: &str,
    lock: bool,
) -> sqlx::Result<Option<String>> {
    let sql = if lock && backend == super::Backend::Postgres {
        "SELECT uid FROM objects WHERE kind = 'Project' AND project = '' AND name = $1 FOR KEY SHARE"
    } else {
        "SELECT uid FROM objects WHERE kind = 'Project' AND project = '' AND name = $1"
    };
    sqlx::query_scalar(sql).bind(project).fetch_optional(conn).await
}

pub async fn project_exists(conn: &mut AnyConnection, project: &str) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM objects WHERE kind = 'Project' AND project = '' AND name = $1")
            .bind(project)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Sets a user's password by email; sessions issued before now stop working.
pub async fn set_user_password(pool: &AnyPool, email: &str, hash: &str) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE credentials SET password_hash = $1, sessions_after = $2 WHERE object_id = \
         (SELECT id FROM objects WHERE kind = 'User' AND project = '' AND name = $3)",
    )
    .bind(hash)
    .bind(now)
    .bind(email)
    .execute(pool)
    .await?;
    Ok(())
}
