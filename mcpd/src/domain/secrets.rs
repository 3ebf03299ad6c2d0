//! Where secret values live: `internal` (sealed in the database by `store`) or an external
//! backend speaking KV version 2 (`vault`). On an external backend the stored spec keeps the
//! keys with `null` values and the status the backend's version; the values are read when
//! they are needed (revealed, resolved for the gateway, kept by a `null` on write) and
//! written before the transaction that records their new version commits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;
use shared::api::{MigrateAction, MigrateRequest, MigrateResult};
use shared::spec::{backend_of, BackendType, SecretBackendSpec, SecretBackendStatus, SecretStatus, INTERNAL};
use shared::{Cause, Kind, Reason, Status};
use sqlx::AnyConnection;

use super::Reach;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::store::{objects, ObjectRow, Store};
use crate::util::now;
use crate::vault::{self, Client, Login, Settings, Values};

impl From<vault::Error> for ApiError {
    fn from(e: vault::Error) -> ApiError {
        let reason = match e {
            vault::Error::Conflict(_) => Reason::Conflict,
            _ => Reason::ServiceUnavailable,
        };
        Status::new(reason, e.to_string()).into()
    }
}

/// Whether a stored row is a secret whose values live on an external backend.
pub fn is_external(row: &ObjectRow) -> bool {
    row.kind == Kind::Secret.as_str() && backend_of(&row.spec) != INTERNAL
}

fn version_of(row: &ObjectRow) -> Option<u64> {
    row.status
        .as_ref()
        .and_then(|s| serde_json::from_value::<SecretStatus>(s.clone()).ok())
        .and_then(|s| s.backend_version)
}

/// The client of a backend; `None` for `internal`.
pub async fn client(conn: &mut AnyConnection, store: &Store, backend: &str) -> Result<Option<Arc<Client>>, ApiError> {
    if backend == INTERNAL {
        return Ok(None);
    }
    let row =
        objects::fetch(conn, store, Kind::SecretBackend.as_str(), "", backend, false).await?.ok_or_else(|| {
            Status::new(Reason::ServiceUnavailable, format!("secret backend \"{backend}\" does not exist"))
        })?;
    let spec: SecretBackendSpec = serde_json::from_value(row.spec).map_err(|e| ApiError::Internal(e.into()))?;
    if spec.backend_type == BackendType::Internal {
        return Ok(None);
    }
    let unusable = |why: &str| ApiError::from(vault::Error::Settings(backend.to_owned(), why.to_owned()));
    let (_, key_ref) = spec.credential().ok_or_else(|| unusable("it has no auth"))?;
    let credential = objects::fetch(conn, store, Kind::Secret.as_str(), "", &key_ref.name, false)
        .await?
        .and_then(|s| s.spec["data"][&key_ref.key].as_str().map(str::to_owned))
        .ok_or_else(|| unusable("its credential is missing"))?;
    let login = match spec.auth.as_ref().and_then(|a| a.app_role.as_ref().filter(|_| a.token.is_none())) {
        Some(role) => Login::AppRole {
            mount: role.mount.clone().unwrap_or_else(|| "approle".to_owned()),
            role_id: role.role_id.clone(),
            secret_id: credential,
        },
        None => Login::Token(credential),
    };
    let settings = Settings {
        name: backend.to_owned(),
        address: spec.address.clone().unwrap_or_default(),
        mount: spec.mount().to_owned(),
        path_prefix: spec.path_prefix().to_owned(),
        namespace: spec.namespace.clone(),
        ca_cert: spec.ca_cert.clone(),
        login,
    };
    Ok(Some(store.vaults().client(settings)?))
}

/// The values of a secret on an external backend: from the cache when the version matches
/// what mcpd recorded, else read (and cached).
async fn values(store: &Store, client: &Client, row: &ObjectRow) -> Result<Option<Values>, vault::Error> {
    if let Some(version) = version_of(row) {
        if let Some(data) = store.vaults().cached(client.name(), &row.name, version) {
            return Ok(Some(Values { data, version }));
        }
    }
    let read = client.read(&row.name).await?;
    if let Some(values) = &read {
        store.vaults().remember(client.name(), &row.name, values);
    }
    Ok(read)
}

/// Fills in the values of a secret on an external backend (the keys mcpd knows), returning
/// the version they were read at. Anything else is left as it is.
pub async fn open(conn: &mut AnyConnection, store: &Store, row: &mut ObjectRow) -> Result<Option<u64>, ApiError> {
    if !is_external(row) {
        return Ok(None);
    }
    let backend = backend_of(&row.spec).to_owned();
    // Values read before at the version mcpd recorded need no client, nor the backend.
    let cached =
        version_of(row).and_then(|v| Some(Values { data: store.vaults().cached(&backend, &row.name, v)?, version: v }));
    let read = match cached {
        Some(values) => Some(values),
        None => {
            let client = client(conn, store, &backend).await?.expect("an external backend has a client");
            values(store, &client, row).await?
        }
    };
    let Some(read) = read else {
        return Err(Status::new(
            Reason::ServiceUnavailable,
            format!("secret \"{}\" has no values on backend \"{backend}\"", row.name),
        )
        .into());
    };
    if let Some(data) = row.spec.get_mut("data").and_then(Value::as_object_mut) {
        for (key, value) in data.iter_mut() {
            if let Some(found) = read.data.get(key) {
                *value = Value::from(found.clone());
            }
        }
    }
    Ok(Some(read.version))
}

/// Reveals the values of secrets for a caller that may see them (`--show-values`).
pub async fn reveal(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    row: &mut ObjectRow,
) -> Result<(), ApiError> {
    open(conn, store, row).await.map(|_| ())
}

/// The backend a new secret goes to when it names none: the one marked default, else
/// `internal`.
pub async fn default_backend(conn: &mut AnyConnection) -> Result<String, ApiError> {
    let backends = objects::all_sealed(conn, Kind::SecretBackend.as_str()).await?;
    Ok(backends.into_iter().find(|b| b.spec["default"] == true).map(|b| b.name).unwrap_or_else(|| INTERNAL.to_owned()))
}

/// Before a secret is written: its backend settled (the default for a new secret, the
/// current one when the manifest names none; naming another is refused), and for an update
/// the current values opened, so that `null` keeps them and comparing sees them. Returns the
/// version they were read at, on an external backend.
pub async fn prepare(
    conn: &mut AnyConnection,
    store: &Store,
    spec: &mut Value,
    name: &str,
    current: Option<&mut ObjectRow>,
) -> Result<Option<u64>, ApiError> {
    let backend = match (&current, spec["backend"].as_str()) {
        (Some(current), None) => backend_of(&current.spec).to_owned(),
        (Some(current), Some(asked)) if asked != backend_of(&current.spec) => {
            let cause = Cause::invalid(
                "spec.backend",
                format!(
                    "secret \"{name}\" is on backend \"{}\": move it with `mcpctl migrate secrets --from {} --to {asked} {name}`",
                    backend_of(&current.spec),
                    backend_of(&current.spec)
                ),
            );
            return Err(Status::invalid(Kind::Secret.as_str(), name, vec![cause])
                .for_object(Kind::Secret.info().plural, name)
                .into());
        }
        (_, Some(asked)) => asked.to_owned(),
        (None, None) => default_backend(conn).await?,
    };
    spec["backend"] = Value::from(backend);
    if let Some(current) = current {
        if current.spec.get("backend").is_none() {
            current.spec["backend"] = Value::from(INTERNAL);
        }
        return open(conn, store, current).await;
    }
    Ok(None)
}

/// Before a secret's row is written: on an external backend its values are written there
/// (over `read_at`, the version they were read at, when there was one) and taken out of the
/// row, which records the new version. On `internal` nothing happens.
pub async fn store_values(
    conn: &mut AnyConnection,
    store: &Store,
    row: &mut ObjectRow,
    values_changed: bool,
    read_at: Option<u64>,
    reach: Reach,
) -> Result<(), ApiError> {
    if !is_external(row) {
        return Ok(());
    }
    let backend = backend_of(&row.spec).to_owned();
    if values_changed && reach != Reach::Everywhere {
        return unwritten(conn, store, &backend, &row.name, reach).await;
    }
    let data: BTreeMap<String, String> = row.spec["data"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    if values_changed {
        let client = client(conn, store, &backend).await?.expect("an external backend has a client");
        let version = client.write(&row.name, &data, read_at).await?;
        store.vaults().remember(&backend, &row.name, &Values { data, version });
        row.status = Some(serde_json::to_value(SecretStatus { backend_version: Some(version) }).expect("serializes"));
    }
    hide(&mut row.spec);
    Ok(())
}

/// A write to a backend that must not happen now: a dry run asks only whether the backend
/// answers; an atomic apply is refused, since its transaction could not take the write back.
async fn unwritten(
    conn: &mut AnyConnection,
    store: &Store,
    backend: &str,
    secret: &str,
    reach: Reach,
) -> Result<(), ApiError> {
    let client = client(conn, store, backend).await?.expect("an external backend has a client");
    match reach {
        Reach::Atomic => Err(Status::new(
            Reason::BadRequest,
            format!(
                "secret \"{secret}\" keeps its values on backend \"{backend}\", which an atomic apply cannot roll back: apply it without --atomic"
            ),
        )
        .for_object(Kind::Secret.info().plural, secret)
        .into()),
        Reach::DryRun | Reach::Everywhere => {
            client.health().await?;
            Ok(())
        }
    }
}

fn hide(spec: &mut Value) {
    if let Some(data) = spec.get_mut("data").and_then(Value::as_object_mut) {
        for value in data.values_mut() {
            *value = Value::Null;
        }
    }
}

/// After a secret's row is deleted (in the same transaction): its values on an external
/// backend are destroyed, so that a failure leaves the secret as it was.
pub async fn destroy_values(
    conn: &mut AnyConnection,
    store: &Store,
    row: &ObjectRow,
    reach: Reach,
) -> Result<(), ApiError> {
    if !is_external(row) {
        return Ok(());
    }
    let backend = backend_of(&row.spec).to_owned();
    if reach != Reach::Everywhere {
        return unwritten(conn, store, &backend, &row.name, reach).await;
    }
    let client = client(conn, store, &backend).await?.expect("an external backend has a client");
    client.destroy(&row.name).await?;
    store.vaults().forget(&backend, &row.name);
    Ok(())
}

/// Checks a backend's spec against the database: `internal` is built in and cannot change;
/// the credential must be on `internal`; only one backend is the default.
pub async fn check_backend(
    conn: &mut AnyConnection,
    store: &Store,
    name: &str,
    spec: &Value,
    current: Option<&ObjectRow>,
) -> Result<(), ApiError> {
    let invalid = |field: &str, message: String| -> ApiError {
        Status::invalid(Kind::SecretBackend.as_str(), name, vec![Cause::invalid(field, message)])
            .for_object(Kind::SecretBackend.info().plural, name)
            .into()
    };
    let parsed: SecretBackendSpec = serde_json::from_value(spec.clone()).map_err(|e| ApiError::Internal(e.into()))?;
    if name == INTERNAL {
        if current.is_some_and(|c| c.spec != *spec) || current.is_none() {
            return Err(invalid("spec", "internal is the built-in backend: it cannot be changed".to_owned()));
        }
        return Ok(());
    }
    if parsed.backend_type == BackendType::Internal {
        return Err(invalid("spec.type", "internal is the built-in backend: use openbao or vault".to_owned()));
    }
    if let Some((field, key_ref)) = parsed.credential() {
        let secret = objects::fetch(conn, store, Kind::Secret.as_str(), "", &key_ref.name, false).await?;
        if let Some(secret) = secret.filter(|s| backend_of(&s.spec) != INTERNAL) {
            return Err(invalid(
                field,
                format!(
                    "secrets \"{}\" is on backend \"{}\": a backend's credential must be on internal",
                    key_ref.name,
                    backend_of(&secret.spec)
                ),
            ));
        }
    }
    if parsed.default {
        let others = objects::all_sealed(conn, Kind::SecretBackend.as_str()).await?;
        if let Some(other) = others.iter().find(|b| b.name != name && b.spec["default"] == true) {
            return Err(Status::new(
                Reason::Conflict,
                format!("secretbackends \"{}\" is the default already: set default: false there first", other.name),
            )
            .for_object(Kind::SecretBackend.info().plural, name)
            .into());
        }
    }
    Ok(())
}

/// Refuses to delete the built-in backend.
pub fn check_delete_backend(name: &str) -> Result<(), ApiError> {
    if name == INTERNAL {
        return Err(Status::new(Reason::Conflict, "cannot delete secretbackends \"internal\": it is built in")
            .for_object(Kind::SecretBackend.info().plural, name)
            .into());
    }
    Ok(())
}

/// Makes the built-in backend exist (a first start, or a database from before backends).
/// Replicas starting together may race: the one that loses finds it made.
pub async fn ensure_internal(store: &Store) -> Result<(), ApiError> {
    let create = async {
        let mut tx = store.begin().await?;
        if objects::fetch(&mut tx, store, Kind::SecretBackend.as_str(), "", INTERNAL, true).await?.is_none() {
            let spec = serde_json::to_value(SecretBackendSpec::internal()).expect("serializes");
            let mut row = super::new_row(Kind::SecretBackend.as_str(), "", INTERNAL, spec);
            objects::insert(&mut tx, store, &mut row, &[]).await?;
        }
        tx.commit().await?;
        Ok::<(), ApiError>(())
    };
    match create.await {
        Err(e) if e.is_unique_violation() => Ok(()),
        other => other,
    }
}

/// A backend's status as shown: what mcpd last saw, how many secrets it keeps, whether it is
/// the default.
pub async fn show_status(conn: &mut AnyConnection, _: &Authorized, rows: &mut [ObjectRow]) -> Result<(), ApiError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut counts: HashMap<String, u64> = HashMap::new();
    for secret in objects::all_sealed(conn, Kind::Secret.as_str()).await? {
        *counts.entry(backend_of(&secret.spec).to_owned()).or_default() += 1;
    }
    let default = default_backend(conn).await?;
    for row in rows {
        let mut status: SecretBackendStatus =
            row.status.clone().and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default();
        if row.name == INTERNAL {
            status.reachable = true;
        }
        status.secrets = counts.get(&row.name).copied().unwrap_or(0);
        status.default = row.name == default;
        row.status = Some(serde_json::to_value(status).expect("serializes"));
    }
    Ok(())
}

/// One pass of the refresh: each external backend's health (recorded in its status), its
/// token renewed when due, and each of its secrets' current version, read from metadata (one
/// request per secret). A secret whose version moved is written with the new one, so the
/// change feed carries it as MODIFIED; when a backend comes back, each of its secrets is too,
/// so that gateways resolve again what they could not. Returns how many secrets changed.
pub async fn refresh(store: &Store) -> Result<usize, ApiError> {
    let mut conn = store.pool().acquire().await?;
    let backends = objects::all_sealed(&mut conn, Kind::SecretBackend.as_str()).await?;
    let secrets = objects::all_sealed(&mut conn, Kind::Secret.as_str()).await?;
    drop(conn);
    let mut changed = 0;
    for backend in backends.iter().filter(|b| b.spec["type"] != "internal") {
        // The connection goes back before anything else is written (SQLite has one).
        let found = {
            let mut conn = store.pool().acquire().await?;
            client(&mut conn, store, &backend.name).await
        };
        let client = match found {
            Ok(Some(client)) => client,
            Ok(None) => continue,
            Err(e) => {
                let message = e.into_status().message;
                record_health(store, backend, Err((false, message))).await?;
                continue;
            }
        };
        let health = match client.health().await {
            Ok(h) if h.sealed => Err(vault::Error::Sealed(backend.name.clone())),
            other => other,
        };
        let renewed = match &health {
            Ok(_) => client.renew().await,
            Err(e) => Err(e.clone()),
        };
        if let Err(e) = &renewed {
            if health.is_ok() {
                tracing::warn!(backend = %backend.name, "cannot renew or check the secret backend's credential: {e}");
            }
        }
        let came_back = !was_reachable(backend) && health.is_ok();
        let outcome = match (&health, &renewed) {
            (Ok(h), Ok(())) => Ok(h.version.clone()),
            (Err(e), _) | (Ok(_), Err(e)) => Err((matches!(e, vault::Error::Sealed(_)), e.to_string())),
        };
        record_health(store, backend, outcome).await?;
        if health.is_err() {
            // Values read before are not served while the backend cannot confirm them.
            store.vaults().forget_backend(&backend.name);
            continue;
        }
        let mut unread: Option<(usize, vault::Error)> = None;
        for secret in secrets.iter().filter(|s| backend_of(&s.spec) == backend.name) {
            let now_at = match client.version(&secret.name).await {
                Ok(version) => version,
                Err(e) => {
                    let (count, _) = unread.get_or_insert((0, e));
                    *count += 1;
                    continue;
                }
            };
            let moved = now_at != version_of(secret) || came_back;
            if moved && note_version(store, &secret.name, now_at, came_back).await? {
                store.vaults().forget(&backend.name, &secret.name);
                changed += 1;
            }
        }
        // Once per backend and pass, however many secrets it refused.
        if let Some((count, first)) = unread {
            tracing::warn!(backend = %backend.name, secrets = count, "cannot read secrets' versions: {first}");
        }
    }
    Ok(changed)
}

fn was_reachable(backend: &ObjectRow) -> bool {
    backend.status.as_ref().is_none_or(|s| s["reachable"] == true && s["sealed"] != true)
}

/// Records a backend's health (its version, or whether it is sealed and why it failed): with
/// a change event when whether it works changed, as bookkeeping otherwise.
async fn record_health(
    store: &Store,
    backend: &ObjectRow,
    outcome: Result<Option<String>, (bool, String)>,
) -> Result<(), ApiError> {
    let old: SecretBackendStatus =
        backend.status.clone().and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default();
    let mut status = SecretBackendStatus { last_check: Some(now()), ..Default::default() };
    match outcome {
        Ok(version) => {
            status.reachable = true;
            status.version = version;
        }
        Err((sealed, message)) => {
            // A sealed server answers: it is reachable, and cannot serve.
            status.sealed = sealed;
            status.reachable = sealed;
            status.version = old.version.clone();
            status.last_error = Some(message);
        }
    }
    let mut tx = store.begin().await?;
    let Some(mut row) = objects::fetch(&mut tx, store, Kind::SecretBackend.as_str(), "", &backend.name, true).await?
    else {
        return Ok(());
    };
    let value = serde_json::to_value(&status).expect("serializes");
    let same = old.reachable == status.reachable && old.sealed == status.sealed && old.last_error == status.last_error;
    if same && backend.status.is_some() {
        objects::set_status(&mut tx, row.id, &value).await?;
    } else {
        if status.last_error.is_some() {
            tracing::warn!(backend = %backend.name, error = status.last_error.as_deref().unwrap_or(""), "secret backend unavailable");
        } else if backend.status.is_some() {
            tracing::info!(backend = %backend.name, "secret backend available again");
        }
        row.status = Some(value);
        objects::update(&mut tx, store, &mut row).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records a secret's version on its backend as a change (with `again`, even when it is the
/// one recorded: the backend came back). False when there was nothing to record: the secret
/// went away, or another replica recorded the version first.
async fn note_version(store: &Store, name: &str, version: Option<u64>, again: bool) -> Result<bool, ApiError> {
    let mut tx = store.begin().await?;
    let Some(mut row) = objects::fetch(&mut tx, store, Kind::Secret.as_str(), "", name, true).await? else {
        return Ok(false);
    };
    if !is_external(&row) || (version_of(&row) == version && !again) {
        return Ok(false);
    }
    row.status = Some(serde_json::to_value(SecretStatus { backend_version: version }).expect("serializes"));
    row.updated_at = now();
    objects::update(&mut tx, store, &mut row).await?;
    tx.commit().await?;
    Ok(true)
}

/// What remains after a migration's transaction commits: removing the values from the
/// backend they left.
pub struct Leftover {
    client: Arc<Client>,
    secret: String,
}

impl Leftover {
    pub async fn remove(self, store: &Store) -> Result<(), ApiError> {
        self.client.destroy(&self.secret).await?;
        store.vaults().forget(self.client.name(), &self.secret);
        Ok(())
    }
}

/// Moves one secret's values from `from` to `to`, inside the caller's transaction: written to
/// `to` first, then the secret switched to it. The values left on `from` (when it is
/// external and they are not kept) are removed once the switch has committed, by the
/// returned [`Leftover`]. At every point the secret is readable from the backend it names;
/// running it again finishes what an interruption left.
pub async fn migrate(
    conn: &mut AnyConnection,
    store: &Store,
    _: &Authorized,
    name: &str,
    request: &MigrateRequest,
) -> Result<(MigrateResult, Option<Leftover>), ApiError> {
    let MigrateRequest { from, to, keep_source, dry_run } = request;
    let (from, to, keep_source, dry_run) = (from.as_str(), to.as_str(), *keep_source, *dry_run);
    let plural = Kind::Secret.info().plural;
    let result = |action| MigrateResult { name: name.to_owned(), action, backend: to.to_owned(), warning: None };
    let refuse =
        |reason: Reason, message: String| -> ApiError { Status::new(reason, message).for_object(plural, name).into() };
    if from == to {
        return Err(refuse(Reason::BadRequest, "--from and --to name the same backend".to_owned()));
    }
    if keep_source && from == INTERNAL {
        return Err(refuse(
            Reason::BadRequest,
            "--keep-source applies to an external source: internal keeps values in the secret itself".to_owned(),
        ));
    }
    for backend in [from, to] {
        if backend != INTERNAL
            && objects::fetch(conn, store, Kind::SecretBackend.as_str(), "", backend, false).await?.is_none()
        {
            return Err(Status::not_found(Kind::SecretBackend.info().plural, backend).into());
        }
    }
    let mut row = objects::fetch(conn, store, Kind::Secret.as_str(), "", name, true)
        .await?
        .ok_or_else(|| Status::not_found(plural, name))?;
    let on = backend_of(&row.spec).to_owned();
    let source = client(conn, store, from).await?;
    if on == to {
        // Done before, perhaps interrupted before the source was cleaned.
        let Some(source) = source.filter(|_| !keep_source) else { return Ok((result(MigrateAction::Unchanged), None)) };
        if source.version(name).await?.is_none() {
            return Ok((result(MigrateAction::Unchanged), None));
        }
        let leftover = (!dry_run).then(|| Leftover { client: source, secret: name.to_owned() });
        return Ok((result(MigrateAction::Cleaned), leftover));
    }
    if on != from {
        return Err(refuse(Reason::Conflict, format!("secret \"{name}\" is on backend \"{on}\", not \"{from}\"")));
    }
    if to != INTERNAL {
        let users = objects::referrers(conn, Kind::Secret.as_str(), "", name).await?;
        if let Some(user) = users.iter().find(|r| r.kind == Kind::SecretBackend.as_str()) {
            return Err(refuse(
                Reason::Conflict,
                format!(
                    "secret \"{name}\" holds the credential of secretbackends \"{}\": it stays on internal",
                    user.name
                ),
            ));
        }
    }
    if row.spec.get("backend").is_none() {
        row.spec["backend"] = Value::from(INTERNAL);
    }
    open(conn, store, &mut row).await?;
    let target = client(conn, store, to).await?;
    if dry_run {
        if let Some(target) = &target {
            target.health().await?;
        }
        return Ok((result(MigrateAction::Migrated), None));
    }
    row.spec["backend"] = Value::from(to);
    row.status = None;
    store_values(conn, store, &mut row, true, None, Reach::Everywhere).await?;
    row.updated_at = now();
    objects::update(conn, store, &mut row).await?;
    objects::replace_refs(conn, row.id, &(Kind::Secret.info().references)(&row.spec)).await?;
    let leftover = source.filter(|_| !keep_source).map(|client| Leftover { client, secret: name.to_owned() });
    Ok((result(MigrateAction::Migrated), leftover))
}
