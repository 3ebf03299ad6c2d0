//! Reading objects for a request: every read needs the [`Authorized`] that `auth::authorize`
//! gave for it, as every write does.

use shared::Kind;
use sqlx::AnyConnection;

use crate::auth::Authorized;
use crate::store::{objects, ObjectRow, Store};

/// One object, or `None`.
pub async fn fetch(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    kind: Kind,
    project: &str,
    name: &str,
) -> sqlx::Result<Option<ObjectRow>> {
    objects::fetch(conn, store, kind.as_str(), project, name, false).await
}

/// One page of a kind in name order, starting after `after`; the caller filters it by
/// [`Authorized::may_see`].
pub async fn list(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    kind: Kind,
    project: &str,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<ObjectRow>> {
    objects::list(conn, store, kind.as_str(), project, after, limit).await
}
