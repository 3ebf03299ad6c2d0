//! Reading objects for a request: every read needs the [`Authorized`] that `auth::authorize`
//! gave for it, as every write does.

use std::collections::BTreeMap;

use shared::api::{Referrer, Resolution, ResolvedServer};
use shared::name::ProjectName;
use shared::spec::{resolve_header, ProjectSpec, RbacDefinitionSpec, ServerSpec};
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
        Kind::Secret
        | Kind::SecretBackend
        | Kind::Server
        | Kind::Project
        | Kind::Tool
        | Kind::RbacDefinition
        | Kind::McpToken
        | Kind::AuditEvent => return Ok(found),
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

/// What the gateway runs for `project`, every secret reference resolved (`None` when the
/// project does not exist). A server or secret deleted meanwhile is left out; the change
/// feed brings the next answer.
pub async fn resolution(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    project: &ProjectName,
) -> sqlx::Result<Option<Resolution>> {
    // Read before the objects: a watch from it may repeat a change, never miss one.
    let (revision, _) = store::changes::bounds(conn).await?;
    let Some(row) = objects::fetch(conn, store, Kind::Project.as_str(), "", project.as_str(), false).await? else {
        return Ok(None);
    };
    let spec: ProjectSpec = serde_json::from_value(row.spec).unwrap_or_default();
    let tools = super::tools::rules(conn, store, project.as_str(), &spec).await?;
    let mut servers = Vec::with_capacity(spec.servers.len());
    for name in spec.servers {
        let Some(row) = objects::fetch(conn, store, Kind::Server.as_str(), "", &name, false).await? else { continue };
        let Ok(server) = serde_json::from_value::<ServerSpec>(row.spec) else { continue };
        let mut env = BTreeMap::new();
        let mut secret_versions = BTreeMap::new();
        let mut unavailable = None;
        for var in &server.env {
            let value = match (&var.value, &var.value_from) {
                (Some(value), _) => value.clone(),
                (None, Some(from)) => {
                    let secret_ref = &from.secret_key_ref;
                    let secret =
                        objects::fetch(conn, store, Kind::Secret.as_str(), "", &secret_ref.name, false).await?;
                    let Some(mut secret) = secret else { continue };
                    secret_versions.insert(secret_ref.name.clone(), secret.resource_version.to_string());
                    // Values on an external backend: a backend that fails makes only this
                    // server unavailable, with the reason.
                    if let Err(e) = super::secrets::open(conn, store, &mut secret).await {
                        unavailable.get_or_insert(e.into_status().message);
                        continue;
                    }
                    match secret.spec["data"][&secret_ref.key].as_str() {
                        Some(value) => value.to_owned(),
                        None if super::secrets::is_external(&secret) => {
                            unavailable.get_or_insert(format!(
                                "key {:?} of secret \"{}\" has no value on backend \"{}\"",
                                secret_ref.key,
                                secret.name,
                                shared::spec::backend_of(&secret.spec)
                            ));
                            continue;
                        }
                        None => continue,
                    }
                }
                (None, None) => String::new(),
            };
            env.insert(var.name.clone(), value);
        }
        let headers = server
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), resolve_header(v, |n| env.get(n).cloned())?)))
            .collect();
        servers.push(ResolvedServer {
            name,
            resource_version: row.resource_version.to_string(),
            transport: server.transport,
            sharing: server.sharing,
            command: server.command,
            args: server.args,
            image: server.image,
            sandbox: server.sandbox,
            url: server.url,
            headers,
            env: if unavailable.is_some() { BTreeMap::new() } else { env },
            secret_versions,
            unavailable,
        });
    }
    Ok(Some(Resolution { project: project.to_string(), resource_version: revision.to_string(), servers, tools }))
}
