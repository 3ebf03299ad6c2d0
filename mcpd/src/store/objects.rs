//! SQL for objects of every kind, their reference targets and their references.

use std::collections::BTreeMap;

use serde_json::Value;
use shared::spec::{McpTokenStatus, Reference, TokenState};
use shared::{Object, ObjectMeta};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::changes::{self, ChangeType};
use super::crypto::{CryptoError, KeyRing};
use super::{Backend, Store};

/// An object as stored: its row id, metadata and canonical spec.
#[derive(Clone, Debug)]
pub struct ObjectRow {
    pub id: i64,
    pub kind: String,
    pub project: String,
    pub name: String,
    pub uid: String,
    pub resource_version: i64,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: Value,
    pub status: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl ObjectRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<ObjectRow> {
        let json = |col: &str| -> sqlx::Result<Value> {
            let text: String = row.try_get(col)?;
            serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        };
        let map = |col: &str| -> sqlx::Result<BTreeMap<String, String>> {
            serde_json::from_value(json(col)?).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        };
        let status: Option<String> = row.try_get("status")?;
        Ok(ObjectRow {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            project: row.try_get("project")?,
            name: row.try_get("name")?,
            uid: row.try_get("uid")?,
            resource_version: row.try_get("resource_version")?,
            labels: map("labels")?,
            annotations: map("annotations")?,
            spec: json("spec")?,
            status: status.and_then(|s| serde_json::from_str(&s).ok()),
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// Decrypts the values of a sensitive kind (Secret `data`) as read from the database.
    fn opened(mut self, keys: &KeyRing) -> sqlx::Result<ObjectRow> {
        if is_sensitive(&self.kind) {
            if let Some(data) = self.spec.get_mut("data").and_then(Value::as_object_mut) {
                for value in data.values_mut() {
                    if let Some(stored) = value.as_str().filter(|v| v.starts_with("enc:")) {
                        let plain = keys.open(stored).map_err(|e: CryptoError| sqlx::Error::Decode(Box::new(e)))?;
                        *value = Value::from(plain);
                    }
                }
            }
        }
        Ok(self)
    }

    /// The spec as written to the database: values of a sensitive kind sealed.
    fn sealed_spec(&self, keys: &KeyRing) -> String {
        if !is_sensitive(&self.kind) {
            return self.spec.to_string();
        }
        let mut spec = self.spec.clone();
        if let Some(data) = spec.get_mut("data").and_then(Value::as_object_mut) {
            for value in data.values_mut() {
                if let Some(plain) = value.as_str() {
                    *value = Value::from(keys.seal(plain));
                }
            }
        }
        spec.to_string()
    }

    /// The wire form, exactly as stored (callers hide sensitive values).
    /// An McpToken's status, typed; `None` for other kinds.
    pub fn token_status(&self) -> Option<McpTokenStatus> {
        self.status.as_ref().filter(|_| self.kind == shared::Kind::McpToken.as_str()).map(McpTokenStatus::of)
    }

    pub fn into_object(self) -> Object {
        Object {
            api_version: shared::API_VERSION.to_owned(),
            kind: self.kind,
            metadata: ObjectMeta {
                name: self.name,
                project: (!self.project.is_empty()).then_some(self.project),
                labels: self.labels,
                annotations: self.annotations,
                uid: Some(self.uid),
                resource_version: Some(self.resource_version.to_string()),
                created_at: Some(self.created_at),
                updated_at: Some(self.updated_at),
            },
            spec: self.spec,
            status: self.status,
        }
    }
}

/// Reads one object; with `lock`, PostgreSQL holds the row against other writers until the
/// transaction ends (a lock that does not stop others from referring to the row meanwhile).
pub async fn fetch(
    conn: &mut AnyConnection,
    store: &Store,
    kind: &str,
    project: &str,
    name: &str,
    lock: bool,
) -> sqlx::Result<Option<ObjectRow>> {
    let sql = match (store.backend(), lock) {
        (Backend::Postgres, true) => {
            "SELECT id, kind, project, name, uid, resource_version, labels, annotations, spec, status, created_at, updated_at \
             FROM objects WHERE kind = $1 AND project = $2 AND name = $3 FOR NO KEY UPDATE"
        }
        _ => {
            "SELECT id, kind, project, name, uid, resource_version, labels, annotations, spec, status, created_at, updated_at \
             FROM objects WHERE kind = $1 AND project = $2 AND name = $3"
        }
    };
    let row = sqlx::query(sql).bind(kind).bind(project).bind(name).fetch_optional(&mut *conn).await?;
    row.as_ref().map(|r| ObjectRow::from_row(r)?.opened(store.keys())).transpose()
}

/// One page of a kind in name order, starting after `after`.
pub async fn list(
    conn: &mut AnyConnection,
    store: &Store,
    kind: &str,
    project: &str,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<ObjectRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, project, name, uid, resource_version, labels, annotations, spec, status, created_at, updated_at \
         FROM objects WHERE kind = $1 AND project = $2 AND name > $3 ORDER BY name LIMIT $4",
    ).bind(kind).bind(project).bind(after).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| ObjectRow::from_row(r)?.opened(store.keys())).collect()
}

/// Inserts a new object and makes it (and `keys`) referenceable. Its id and resourceVersion
/// (the revision of its change) are set in `row`, and the id returned.
pub async fn insert(
    conn: &mut AnyConnection,
    store: &Store,
    row: &mut ObjectRow,
    keys: &[String],
) -> sqlx::Result<i64> {
    row.resource_version =
        changes::record(conn, store.backend(), &row.kind, &row.project, &row.name, ChangeType::Added).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO objects (kind, project, name, uid, resource_version, labels, annotations, spec, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&row.kind)
    .bind(&row.project)
    .bind(&row.name)
    .bind(&row.uid)
    .bind(row.resource_version)
    .bind(to_text(&row.labels))
    .bind(to_text(&row.annotations))
    .bind(row.sealed_spec(store.keys()))
    .bind(row.status.as_ref().map(Value::to_string))
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .fetch_one(&mut *conn)
    .await?;
    let mut targets = Vec::with_capacity(keys.len() + 1);
    targets.push(String::new());
    targets.extend_from_slice(keys);
    add_targets(conn, &row.kind, &row.project, &row.name, &targets).await?;
    row.id = id;
    Ok(id)
}

/// Writes new contents over an existing object, with a new resourceVersion (set in `row`).
pub async fn update(conn: &mut AnyConnection, store: &Store, row: &mut ObjectRow) -> sqlx::Result<()> {
    row.resource_version =
        changes::record(conn, store.backend(), &row.kind, &row.project, &row.name, ChangeType::Modified).await?;
    sqlx::query(
        "UPDATE objects SET resource_version = $1, labels = $2, annotations = $3, spec = $4, status = $5, updated_at = $6 \
         WHERE id = $7",
    )
    .bind(row.resource_version)
    .bind(to_text(&row.labels))
    .bind(to_text(&row.annotations))
    .bind(row.sealed_spec(store.keys()))
    .bind(row.status.as_ref().map(Value::to_string))
    .bind(&row.updated_at)
    .bind(row.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, store: &Store, id: i64) -> sqlx::Result<()> {
    let deleted: Option<(String, String, String)> =
        sqlx::query_as("DELETE FROM objects WHERE id = $1 RETURNING kind, project, name")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((kind, project, name)) = deleted {
        changes::record(conn, store.backend(), &kind, &project, &name, ChangeType::Deleted).await?;
    }
    Ok(())
}

/// Makes `keys` of an object referenceable (`""` stands for the object itself).
pub async fn add_targets(
    conn: &mut AnyConnection,
    kind: &str,
    project: &str,
    name: &str,
    keys: &[String],
) -> sqlx::Result<()> {
    for key in keys {
        sqlx::query("INSERT INTO ref_targets (kind, project, name, key) VALUES ($1, $2, $3, $4)")
            .bind(kind)
            .bind(project)
            .bind(name)
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Removes keys from what may be referenced; the database refuses while something refers to one.
pub async fn remove_targets(
    conn: &mut AnyConnection,
    kind: &str,
    project: &str,
    name: &str,
    keys: &[String],
) -> sqlx::Result<()> {
    for key in keys {
        sqlx::query("DELETE FROM ref_targets WHERE kind = $1 AND project = $2 AND name = $3 AND key = $4")
            .bind(kind)
            .bind(project)
            .bind(name)
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The references among `refs` whose target does not exist (global targets only).
pub async fn missing_targets(conn: &mut AnyConnection, refs: &[Reference]) -> sqlx::Result<Vec<Reference>> {
    let mut missing = Vec::new();
    for r in refs {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM ref_targets WHERE kind = $1 AND project = '' AND name = $2 AND key = $3")
                .bind(r.kind.as_str())
                .bind(&r.name)
                .bind(r.key.as_deref().unwrap_or(""))
                .fetch_optional(&mut *conn)
                .await?;
        if found.is_none() {
            missing.push(r.clone());
        }
    }
    Ok(missing)
}

/// Replaces everything an object refers to; the database refuses a missing target.
pub async fn replace_refs(conn: &mut AnyConnection, from_id: i64, refs: &[Reference]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM refs WHERE from_id = $1").bind(from_id).execute(&mut *conn).await?;
    for r in refs {
        sqlx::query(
            "INSERT INTO refs (from_id, field, to_kind, to_project, to_name, to_key) VALUES ($1, $2, $3, '', $4, $5)",
        )
        .bind(from_id)
        .bind(&r.field)
        .bind(r.kind.as_str())
        .bind(&r.name)
        .bind(r.key.as_deref().unwrap_or(""))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Who refers to an object (any key when `key` is `None`): `(kind, project, name, field, key)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Referrer {
    pub kind: String,
    pub project: String,
    pub name: String,
    pub field: String,
    pub key: String,
}

pub async fn referrers(conn: &mut AnyConnection, kind: &str, project: &str, name: &str) -> sqlx::Result<Vec<Referrer>> {
    let rows = sqlx::query(
        "SELECT o.kind, o.project, o.name, r.field, r.to_key FROM refs r JOIN objects o ON o.id = r.from_id \
         WHERE r.to_kind = $1 AND r.to_project = $2 AND r.to_name = $3 ORDER BY o.kind, o.name, r.field",
    )
    .bind(kind)
    .bind(project)
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Referrer {
                kind: row.try_get(0)?,
                project: row.try_get(1)?,
                name: row.try_get(2)?,
                field: row.try_get(3)?,
                key: row.try_get(4)?,
            })
        })
        .collect()
}

fn to_text(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).expect("string maps always serialize")
}

/// How a token is found and what it belongs to, beside its object.
pub struct TokenLink<'a> {
    pub sha256: &'a str,
    pub object_id: i64,
    pub created_by: &'a str,
    /// The uid of the token's project (`""` for a global token).
    pub project_uid: &'a str,
    /// The SHA-256 of the token that created this one, if a token did.
    pub parent_sha256: Option<&'a str>,
}

/// Makes a token findable by the SHA-256 of its raw value.
pub async fn insert_token_hash(conn: &mut AnyConnection, link: &TokenLink<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO token_hashes (sha256, object_id, created_by, project_uid, parent_sha256) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(link.sha256)
    .bind(link.object_id)
    .bind(link.created_by)
    .bind(link.project_uid)
    .bind(link.parent_sha256)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored token: its object, the uid of the project it was made in, and its parent's hash.
pub struct TokenRow {
    pub row: ObjectRow,
    pub project_uid: String,
    pub parent_sha256: Option<String>,
}

/// The token whose raw value hashes to `sha256`.
pub async fn token_by_hash(pool: &sqlx::AnyPool, sha256: &str) -> sqlx::Result<Option<TokenRow>> {
    let row = sqlx::query(
        "SELECT o.id, o.kind, o.project, o.name, o.uid, o.resource_version, o.labels, o.annotations, o.spec, \
         o.status, o.created_at, o.updated_at, t.project_uid, t.parent_sha256 FROM token_hashes t \
         JOIN objects o ON o.id = t.object_id WHERE t.sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(pool)
    .await?;
    row.as_ref()
        .map(|r| {
            Ok(TokenRow {
                row: ObjectRow::from_row(r)?,
                project_uid: r.try_get("project_uid")?,
                parent_sha256: r.try_get("parent_sha256")?,
            })
        })
        .transpose()
}

/// Every token that the token with hash `sha256` created.
pub async fn tokens_with_parent(conn: &mut AnyConnection, sha256: &str) -> sqlx::Result<Vec<ObjectRow>> {
    let rows = sqlx::query(
        "SELECT o.id, o.kind, o.project, o.name, o.uid, o.resource_version, o.labels, o.annotations, o.spec, \
         o.status, o.created_at, o.updated_at FROM token_hashes t JOIN objects o ON o.id = t.object_id \
         WHERE t.parent_sha256 = $1",
    )
    .bind(sha256)
    .fetch_all(conn)
    .await?;
    rows.iter().map(ObjectRow::from_row).collect()
}

/// Every token a user created.
pub async fn tokens_created_by(conn: &mut AnyConnection, email: &str) -> sqlx::Result<Vec<ObjectRow>> {
    let rows = sqlx::query(
        "SELECT o.id, o.kind, o.project, o.name, o.uid, o.resource_version, o.labels, o.annotations, o.spec, \
         o.status, o.created_at, o.updated_at FROM token_hashes t JOIN objects o ON o.id = t.object_id \
         WHERE t.created_by = $1",
    )
    .bind(email)
    .fetch_all(conn)
    .await?;
    rows.iter().map(ObjectRow::from_row).collect()
}

/// Deletes every object of a kind in a project (a project's tokens when it goes), each
/// through [`delete`].
pub async fn delete_in_project(conn: &mut AnyConnection, store: &Store, kind: &str, project: &str) -> sqlx::Result<()> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM objects WHERE kind = $1 AND project = $2 ORDER BY name")
        .bind(kind)
        .bind(project)
        .fetch_all(&mut *conn)
        .await?;
    for id in ids {
        delete(conn, store, id).await?;
    }
    Ok(())
}

/// Writes a token's `lastUsedAt` (status bookkeeping: no new resourceVersion), unless it was
/// revoked meanwhile. By object id: a token deleted and created again under its name is
/// another token, and does not inherit the old one's use.
pub async fn touch_last_used(store: &super::Store, object_id: i64, at: &str) -> sqlx::Result<()> {
    let mut tx = store.begin().await?;
    let lock = if store.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
    let status: Option<Option<String>> =
        sqlx::query_scalar(&format!("SELECT status FROM objects WHERE id = $1 AND kind = 'McpToken'{lock}"))
            .bind(object_id)
            .fetch_optional(&mut *tx)
            .await?;
    let status = status.flatten().and_then(|s| serde_json::from_str::<McpTokenStatus>(&s).ok());
    if let Some(mut status) = status.filter(|s| s.state == TokenState::Active) {
        status.last_used_at = Some(at.to_owned());
        sqlx::query("UPDATE objects SET status = $1 WHERE id = $2")
            .bind(status.to_value().to_string())
            .bind(object_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Writes an object's status as bookkeeping: no new resourceVersion, no change event.
pub async fn set_status(conn: &mut AnyConnection, id: i64, status: &Value) -> sqlx::Result<()> {
    sqlx::query("UPDATE objects SET status = $1 WHERE id = $2").bind(status.to_string()).bind(id).execute(conn).await?;
    Ok(())
}

/// Every object of a kind, in name order, as stored (sensitive values still sealed).
pub async fn all_sealed(conn: &mut AnyConnection, kind: &str) -> sqlx::Result<Vec<ObjectRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, project, name, uid, resource_version, labels, annotations, spec, status, created_at, updated_at \
         FROM objects WHERE kind = $1 ORDER BY project, name",
    )
    .bind(kind)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ObjectRow::from_row).collect()
}

fn is_sensitive(kind: &str) -> bool {
    shared::KindInfo::by_kind(kind).is_some_and(|k| k.sensitive)
}

/// Every stored value of sensitive kinds, as `(object id, key, stored text)`, for checking
/// and rotating keys.
pub async fn sealed_values(conn: &mut AnyConnection) -> sqlx::Result<Vec<(i64, String, String)>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, spec FROM objects WHERE kind = 'Secret'").fetch_all(&mut *conn).await?;
    let mut values = Vec::new();
    for (id, spec) in rows {
        let spec: Value = serde_json::from_str(&spec).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        for (key, value) in spec["data"].as_object().into_iter().flatten() {
            if let Some(text) = value.as_str() {
                values.push((id, key.clone(), text.to_owned()));
            }
        }
    }
    Ok(values)
}

/// Re-seals every value of one secret under the primary key, leaving its resourceVersion:
/// the values do not change, only how they are stored. The write is a compare-and-set on the
/// stored text, so a write that lands between the read and the re-seal is never undone: the
/// secret is read again and re-sealed as it now is.
pub async fn reseal(conn: &mut AnyConnection, store: &Store, id: i64) -> sqlx::Result<usize> {
    loop {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT spec FROM objects WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
        // Deleted meanwhile: nothing left to re-seal.
        let Some(stored) = stored else { return Ok(0) };
        let mut spec: Value = serde_json::from_str(&stored).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let keys = store.keys();
        let mut moved = 0;
        if let Some(data) = spec.get_mut("data").and_then(Value::as_object_mut) {
            for value in data.values_mut() {
                let Some(sealed) = value.as_str().filter(|v| keys.is_stale(v)).map(str::to_owned) else { continue };
                let plain = if sealed.starts_with("enc:") {
                    keys.open(&sealed).map_err(|e| sqlx::Error::Decode(Box::new(e)))?
                } else {
                    sealed
                };
                *value = Value::from(keys.seal(&plain));
                moved += 1;
            }
        }
        if moved == 0 {
            return Ok(0);
        }
        let written = sqlx::query("UPDATE objects SET spec = $1 WHERE id = $2 AND spec = $3")
            .bind(spec.to_string())
            .bind(id)
            .bind(&stored)
            .execute(&mut *conn)
            .await?;
        if written.rows_affected() == 1 {
            return Ok(moved);
        }
    }
}
