//! SQL for what gateway replicas report of their servers.

use sqlx::{AnyPool, Row};

/// One server of one project at one gateway replica.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusRow {
    pub gateway: String,
    pub project: String,
    pub server: String,
    pub state: String,
    pub reason: Option<String>,
    pub since: String,
    pub reported_at: String,
}

/// Replaces what `gateway` reported before with `rows`, and drops what any replica reported
/// before `stale_before` (a replica that stopped reporting).
pub async fn replace(pool: &AnyPool, gateway: &str, rows: &[StatusRow], stale_before: &str) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM gateway_status WHERE gateway = $1 OR reported_at < $2")
        .bind(gateway)
        .bind(stale_before)
        .execute(&mut *tx)
        .await?;
    for row in rows {
        sqlx::query(
            "INSERT INTO gateway_status (gateway, project, server, state, reason, since, reported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.gateway)
        .bind(&row.project)
        .bind(&row.server)
        .bind(&row.state)
        .bind(row.reason.as_deref())
        .bind(&row.since)
        .bind(&row.reported_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// What was reported at or after `fresh_since`, of one server or of all.
pub async fn list(pool: &AnyPool, server: Option<&str>, fresh_since: &str) -> sqlx::Result<Vec<StatusRow>> {
    const COLUMNS: &str = "SELECT gateway, project, server, state, reason, since, reported_at FROM gateway_status";
    let rows = match server {
        Some(server) => {
            sqlx::query(&format!("{COLUMNS} WHERE reported_at >= $1 AND server = $2 ORDER BY project, gateway"))
                .bind(fresh_since)
                .bind(server)
                .fetch_all(pool)
                .await?
        }
        None => {
            sqlx::query(&format!("{COLUMNS} WHERE reported_at >= $1 ORDER BY server, project, gateway"))
                .bind(fresh_since)
                .fetch_all(pool)
                .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(StatusRow {
                gateway: row.try_get("gateway")?,
                project: row.try_get("project")?,
                server: row.try_get("server")?,
                state: row.try_get("state")?,
                reason: row.try_get("reason")?,
                since: row.try_get("since")?,
                reported_at: row.try_get("reported_at")?,
            })
        })
        .collect()
}
