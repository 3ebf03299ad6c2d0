//! SQL for the change log that watch streams read: one row per write of an object, in the
//! write's transaction, numbered by a database-wide increasing revision.

use sqlx::{AnyConnection, AnyPool, Row};

use super::Backend;

/// The channel PostgreSQL notifies on commit of a write, with the kind written, so every
/// replica's watchers wake and its caches forget what the write changed.
pub const CHANNEL: &str = "mcpd_changes";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }

    fn parse(text: &str) -> ChangeType {
        match text {
            "ADDED" => ChangeType::Added,
            "DELETED" => ChangeType::Deleted,
            _ => ChangeType::Modified,
        }
    }
}

/// One row of the log.
#[derive(Clone, Debug)]
pub struct Change {
    pub revision: i64,
    pub name: String,
    pub change: ChangeType,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Appends a change in the caller's transaction and returns its revision, which becomes the
/// object's resourceVersion; on PostgreSQL, every replica listening is notified on commit.
pub async fn record(
    conn: &mut AnyConnection,
    backend: Backend,
    kind: &str,
    project: &str,
    name: &str,
    change: ChangeType,
) -> sqlx::Result<i64> {
    let revision: i64 = sqlx::query_scalar(
        "INSERT INTO changes (kind, project, name, type, at) VALUES ($1, $2, $3, $4, $5) RETURNING revision",
    )
    .bind(kind)
    .bind(project)
    .bind(name)
    .bind(change.as_str())
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    if backend == Backend::Postgres {
        // The kind, so that other replicas know which caches the change touches.
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(kind).execute(&mut *conn).await?;
    }
    Ok(revision)
}

/// The newest revision, and the oldest still kept (0 and 0 before the first write).
pub async fn bounds(conn: &mut AnyConnection) -> sqlx::Result<(i64, i64)> {
    let row =
        sqlx::query("SELECT COALESCE(MAX(revision), 0) AS newest, COALESCE(MIN(revision), 0) AS oldest FROM changes")
            .fetch_one(conn)
            .await?;
    Ok((row.try_get("newest")?, row.try_get("oldest")?))
}

/// Changes of a kind in a project after `after`, oldest first.
pub async fn after(
    conn: &mut AnyConnection,
    kind: &str,
    project: &str,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<Change>> {
    let rows = sqlx::query(
        "SELECT revision, name, type FROM changes WHERE kind = $1 AND project = $2 AND revision > $3 \
         ORDER BY revision LIMIT $4",
    )
    .bind(kind)
    .bind(project)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("type")?;
            Ok(Change { revision: r.try_get("revision")?, name: r.try_get("name")?, change: ChangeType::parse(&kind) })
        })
        .collect()
}

/// Every revision after `after` up to `until`, of any kind: to see gaps a transaction still
/// in flight leaves.
pub async fn revisions_between(conn: &mut AnyConnection, after: i64, until: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT revision FROM changes WHERE revision > $1 AND revision <= $2 ORDER BY revision")
        .bind(after)
        .bind(until)
        .fetch_all(conn)
        .await
}

/// Forgets changes older than `before` (unix seconds), keeping the newest.
pub async fn prune(pool: &AnyPool, before: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM changes WHERE at < $1 AND revision < (SELECT MAX(revision) FROM changes)")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
