//! First start on an empty database: the admin user, its `admin` RbacDefinition, a global
//! `admin-bootstrap` McpToken and `<data dir>/admin.yaml`, an mcpctl config that works at
//! once; and the gateway's own credential, a global `gateway` McpToken holding `run serve`,
//! in `<data dir>/gateway.token`, so that mcpgw on the same machine needs no configuration.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use shared::rbac::{Binding, Role};
use shared::Kind;

use crate::auth::password;
use crate::domain::{new_row, new_token};
use crate::store::objects::TokenLink;
use crate::store::{self, Store};

pub struct Bootstrap<'a> {
    pub admin_email: &'a str,
    pub admin_password: Option<&'a str>,
    pub data_dir: &'a Path,
    pub server_url: &'a str,
    pub passwords: &'a password::PasswordWork,
}

/// The gateway's rights: reading servers with their secrets resolved, writing tool-call
/// events. Nothing a client of the gateway ever holds.
pub fn gateway_bindings() -> Vec<Binding> {
    vec![Binding { role: Role::Run, resource: None, name: None, action: Some("serve".to_owned()) }]
}

/// The admin's rights: edit on every kind, every action.
pub fn admin_bindings() -> Vec<Binding> {
    vec![
        Binding { role: Role::Edit, resource: Some("*".to_owned()), name: None, action: None },
        Binding { role: Role::Run, resource: None, name: None, action: Some("*".to_owned()) },
    ]
}

/// Creates the admin when no user exists yet. Returns whether this call created it; when
/// several replicas start together exactly one does.
pub async fn run(store: &Store, b: &Bootstrap<'_>) -> anyhow::Result<bool> {
    let generated = b.admin_password.is_none().then(|| Alphanumeric.sample_string(&mut rand::rngs::OsRng, 24));
    let password = b.admin_password.or(generated.as_deref()).expect("one of the two is set");
    let hash = b
        .passwords
        .run({
            let password = password.to_owned();
            move || password::hash(&password)
        })
        .await
        .map_err(|_| anyhow::anyhow!("the password threads did not start"))?;

    let mut tx = store.begin().await?;
    if store::auth::any_user_exists(&mut tx).await? {
        return Ok(false);
    }
    let mut user = new_row(Kind::User.as_str(), "", b.admin_email, json!({"displayName": "Administrator"}));
    let user_id = match store::objects::insert(&mut tx, store, &mut user, &[]).await {
        Ok(id) => id,
        // Another replica bootstrapped at the same moment.
        Err(e) if is_unique_violation(&e) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    store::auth::set_password_hash(&mut tx, user_id, &hash).await?;
    let mut admin_rbac = new_row(
        Kind::RbacDefinition.as_str(),
        "",
        crate::domain::ADMIN_DEFINITION,
        json!({"subjects": [format!("User:{}", b.admin_email)], "roleBindings": admin_bindings()}),
    );
    store::objects::insert(&mut tx, store, &mut admin_rbac, &[]).await?;
    let admin_spec = json!({"description": "written to admin.yaml on first start", "rbac": "clone"});
    let raw = insert_token(&mut tx, store, b.admin_email, "admin-bootstrap", admin_spec, &admin_bindings()).await?;
    let gateway_spec = json!({"description": "the gateway's credential, written to gateway.token on first start",
        "bindings": gateway_bindings()});
    let gateway = insert_token(&mut tx, store, b.admin_email, "gateway", gateway_spec, &gateway_bindings()).await?;
    tx.commit().await?;

    let path = b.data_dir.join("admin.yaml");
    if generated.is_some() {
        // Printed once, on stderr, never logged; before anything else can fail.
        eprintln!("mcpd: admin user {} created with password: {password}", b.admin_email);
        eprintln!("mcpd: this password is shown only once; {} holds a ready mcpctl config", path.display());
    }
    write_admin_config(&path, b.server_url, &raw)?;
    let gateway_path = b.data_dir.join("gateway.token");
    write_private(&gateway_path, &format!("{gateway}\n"))?;
    tracing::info!(
        admin = b.admin_email,
        config = %path.display(),
        gateway_token = %gateway_path.display(),
        "created the admin user and wrote its mcpctl config and the gateway's credential"
    );
    Ok(true)
}

/// A global token `name` made by the admin, with its hash; returns its raw value.
async fn insert_token(
    tx: &mut store::Tx,
    store: &Store,
    admin: &str,
    name: &str,
    spec: serde_json::Value,
    bindings: &[Binding],
) -> anyhow::Result<String> {
    let mut token = new_row(Kind::McpToken.as_str(), "", name, spec);
    let (raw, status) = new_token(admin, bindings, None);
    let sha = status.sha256.clone();
    token.status = Some(status.to_value());
    let token_id = store::objects::insert(tx, store, &mut token, &[]).await?;
    let link = TokenLink { sha256: &sha, object_id: token_id, created_by: admin, project_uid: "", parent_sha256: None };
    store::objects::insert_token_hash(tx, &link).await?;
    Ok(raw)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// Writes the admin's mcpctl config.
fn write_admin_config(path: &Path, server: &str, token: &str) -> anyhow::Result<()> {
    let quote = |s: &str| serde_json::to_string(s).expect("strings serialize");
    let body = format!(
        "# mcpctl config written by mcpd for its admin user; use with: mcpctl --config {}\n\
         currentContext: admin\ncontexts:\n- name: admin\n  server: {}\n  token: {}\n",
        path.display(),
        quote(server),
        quote(token),
    );
    write_private(path, &body)
}

/// Writes a file with mode 0600 from the start, so a credential in it is never readable by
/// others.
fn write_private(path: &Path, body: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(body.as_bytes())?;
    }
    #[cfg(not(unix))]
    options.open(path)?.write_all(body.as_bytes())?;
    Ok(())
}
