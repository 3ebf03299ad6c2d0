//! Reading objects for a request: every read needs the [`Authorized`] that `auth::authorize`
//! gave for it, as every write does.

use shared::api::Referrer;
use shared::name::ProjectName;
use shared::spec::RbacDefinitionSpec;
use shared::Kind;
use sqlx::AnyConnection;

use crate::auth::Authorized;
use crate::store::{self, objects, ObjectRow, Store};

/// One object, or `None`.
pub async fn fetch(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    kind: Kind,
    project: Option<&ProjectName>,
    name: &str,
) -> sqlx::Result<Option<ObjectRow>> {
    objects::fetch(conn, store, kind.as_str(), ProjectName::text(project), name, false).await
}

/// One page of a kind in name order, starting after `after`; the caller filters it by
/// [`Authorized::may_see`].
pub async fn list(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    kind: Kind,
    project: Option<&ProjectName>,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<ObjectRow>> {
    objects::list(conn, store, kind.as_str(), ProjectName::text(project), after, limit).await
}

/// Every object that refers to `kind/name`: the references the database keeps (a server's
/// secrets, a project's servers), then for a user the groups listing them, and for a user or
/// group the RbacDefinitions naming them (a user also through their groups). The caller
/// decides which of them to show.
pub async fn referrers(
    conn: &mut AnyConnection,
    _: &Authorized,
    kind: Kind,
    project: Option<&ProjectName>,
    name: &str,
) -> sqlx::Result<Vec<Referrer>> {
    let mut found: Vec<Referrer> = objects::referrers(conn, kind.as_str(), ProjectName::text(project), name)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(Referrer {
                kind: Kind::parse(&r.kind)?,
                name: r.name,
                project: (!r.project.is_empty()).then_some(r.project),
                field: r.field,
                key: (!r.key.is_empty()).then_some(r.key),
                subject: None,
            })
        })
        .collect();
    let mut subjects = match kind {
        Kind::User => vec![format!("User:{name}")],
        Kind::Group => vec![format!("Group:{name}")],
        Kind::Secret | Kind::Server | Kind::Project | Kind::RbacDefinition | Kind::McpToken | Kind::AuditEvent => {
            return Ok(found)
        }
    };
    if kind == Kind::User {
        for (group, members) in store::auth::groups(&mut *conn).await? {
            if members.iter().any(|m| m == name) {
                subjects.push(format!("Group:{group}"));
                found.push(Referrer {
                    kind: Kind::Group,
                    name: group,
                    project: None,
                    field: "spec.members".to_owned(),
                    key: None,
                    subject: None,
                });
            }
        }
    }
    for (definition, spec) in store::auth::rbac_definitions(&mut *conn).await? {
        let spec: RbacDefinitionSpec = serde_json::from_str(&spec).unwrap_or_default();
        for subject in spec.subjects.into_iter().filter(|s| subjects.contains(s)) {
            found.push(Referrer {
                kind: Kind::RbacDefinition,
                name: definition.clone(),
                project: None,
                field: "spec.subjects".to_owned(),
                key: None,
                subject: Some(subject),
            });
        }
    }
    Ok(found)
}
