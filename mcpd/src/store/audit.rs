//! SQL for audit events and login throttling.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// One audit event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub time: String,
    pub principal: String,
    pub verb: String,
    pub kind: String,
    pub name: String,
    pub project: Option<String>,
    pub code: i64,
    pub dry_run: bool,
    /// For what the gateway reports: the upstream server, the call's duration, its outcome.
    pub call: Option<CallRow>,
}

/// What the gateway reports of a call beside who, what and when.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRow {
    /// `None` for a request refused before it named a server.
    pub server: Option<String>,
    pub duration_ms: i64,
    pub outcome: String,
}

pub async fn insert(pool: &AnyPool, events: &[EventRow]) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    for e in events {
        sqlx::query(
            "INSERT INTO audit_events (time, principal, verb, kind, name, project, code, dry_run, server, duration_ms, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&e.time)
        .bind(&e.principal)
        .bind(&e.verb)
        .bind(&e.kind)
        .bind(&e.name)
        .bind(e.project.as_deref())
        .bind(e.code)
        .bind(i64::from(e.dry_run))
        .bind(e.call.as_ref().and_then(|c| c.server.as_deref()))
        .bind(e.call.as_ref().map(|c| c.duration_ms))
        .bind(e.call.as_ref().map(|c| c.outcome.as_str()))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Filters are exact matches; times are RFC 3339 bounds.
pub struct EventFilter<'a> {
    pub principal: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub name: Option<&'a str>,
    pub project: Option<&'a str>,
    pub server: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
}

/// Events past `after_id` (after it, or before it when `newest_first`), with the filter's
/// matches only.
pub async fn list(
    pool: &AnyPool,
    filter: &EventFilter<'_>,
    after_id: i64,
    newest_first: bool,
    limit: i64,
) -> sqlx::Result<Vec<EventRow>> {
    // Absent filters bind as NULL and match everything.
    let (compare, order) = if newest_first { ("<", "DESC") } else { (">", "ASC") };
    let sql = format!(
        "SELECT id, time, principal, verb, kind, name, project, code, dry_run, server, duration_ms, outcome \
         FROM audit_events WHERE id {compare} $1 AND ($2 IS NULL OR principal = $2) AND ($3 IS NULL OR kind = $3) \
         AND ($4 IS NULL OR name = $4) AND ($5 IS NULL OR time >= $5) AND ($6 IS NULL OR time <= $6) \
         AND ($7 IS NULL OR project = $7) AND ($8 IS NULL OR server = $8) AND ($9 IS NULL OR outcome = $9) \
         ORDER BY id {order} LIMIT $10"
    );
    let rows = sqlx::query(&sql)
        .bind(after_id)
        .bind(filter.principal)
        .bind(filter.kind)
        .bind(filter.name)
        .bind(filter.since)
        .bind(filter.until)
        .bind(filter.project)
        .bind(filter.server)
        .bind(filter.outcome)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter().map(event_from_row).collect()
}

/// Deletes events older than `before` (RFC 3339, UTC), a batch at a time so that no statement
/// holds the table long; returns how many went.
pub async fn prune(pool: &AnyPool, before: &str) -> sqlx::Result<u64> {
    const BATCH: i64 = 5_000;
    let mut pruned = 0;
    loop {
        let done = sqlx::query(
            "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE time < $1 ORDER BY time LIMIT $2)",
        )
        .bind(before)
        .bind(BATCH)
        .execute(pool)
        .await?;
        pruned += done.rows_affected();
        if done.rows_affected() < BATCH as u64 {
            return Ok(pruned);
        }
    }
}

pub async fn get(pool: &AnyPool, id: i64) -> sqlx::Result<Option<EventRow>> {
    let row = sqlx::query(
        "SELECT id, time, principal, verb, kind, name, project, code, dry_run, server, duration_ms, outcome FROM audit_events WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(event_from_row).transpose()
}

fn event_from_row(row: &AnyRow) -> sqlx::Result<EventRow> {
    Ok(EventRow {
        id: row.try_get("id")?,
        time: row.try_get("time")?,
        principal: row.try_get("principal")?,
        verb: row.try_get("verb")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        project: row.try_get("project")?,
        code: row.try_get("code")?,
        dry_run: row.try_get::<i64, _>("dry_run")? != 0,
        // A gateway's event has an outcome; a server only when the request named one.
        call: match row.try_get::<Option<String>, _>("outcome")? {
            Some(outcome) => Some(CallRow {
                server: row.try_get("server")?,
                duration_ms: row.try_get::<Option<i64>, _>("duration_ms")?.unwrap_or(0),
                outcome,
            }),
            None => None,
        },
    })
}

/// Until when (unix seconds) logins to `email` are refused, and the failures so far.
pub async fn login_lock(pool: &AnyPool, email: &str) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query("SELECT failures, locked_until FROM login_failures WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(row) => Ok((row.try_get("failures")?, row.try_get("locked_until")?)),
        None => Ok((0, 0)),
    }
}

/// Counts one more consecutive failure at `now` (unix seconds) and returns the new count.
pub async fn login_failed(pool: &AnyPool, email: &str, now: i64, lock_for: impl Fn(i64) -> i64) -> sqlx::Result<i64> {
    let mut tx = pool.begin().await?;
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_failures (email, failures, locked_until, last_failure) VALUES ($1, 1, 0, $2) \
         ON CONFLICT (email) DO UPDATE SET failures = login_failures.failures + 1, last_failure = $2 \
         RETURNING failures",
    )
    .bind(email)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let until = lock_for(failures);
    sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE email = $2")
        .bind(until)
        .bind(email)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(failures)
}

/// Forgets the failures of accounts that are not locked at `now` and have been quiet since
/// `quiet_since` (those with fewer than `free` failures) or since `long_quiet_since` (all), so
/// that guesses at many addresses cannot grow the table without bound, while a throttled
/// account keeps its count for long.
pub async fn forget_login_failures(
    pool: &AnyPool,
    now: i64,
    free: i64,
    quiet_since: i64,
    long_quiet_since: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM login_failures WHERE locked_until < $1 \
         AND (last_failure < $2 OR (failures < $3 AND last_failure < $4))",
    )
    .bind(now)
    .bind(long_quiet_since)
    .bind(free)
    .bind(quiet_since)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

pub async fn login_succeeded(pool: &AnyPool, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email = $1").bind(email).execute(pool).await?;
    Ok(())
}
