//! The kubeconfig-like config file: contexts with a server, a token and a default project.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::Global;
use crate::error::{Error, Result};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: Vec<Context>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Context {
    pub name: String,
    #[serde(default)]
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The gateway's URL (mcpgw), for `mcp` and `config client`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

/// Where the server is and how to authenticate, after flags, environment and config file.
#[derive(Clone, Debug)]
pub struct Target {
    pub server: String,
    pub token: Option<String>,
    /// The default project for project-scoped kinds.
    pub project: Option<String>,
}

pub fn path(global: &Global) -> PathBuf {
    if let Some(p) = &global.config {
        return p.clone();
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("mcpctl").join("config.yaml")
}

impl ConfigFile {
    /// Reads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<ConfigFile> {
        match std::fs::read_to_string(path) {
            Ok(text) if text.trim().is_empty() => Ok(ConfigFile::default()),
            Ok(text) => serde_yaml_ng::from_str(&text)
                .map_err(|e| Error::Invalid(format!("config file {}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(e) => Err(Error::Invalid(format!("cannot read config file {}: {e}", path.display()))),
        }
    }

    /// Writes the file with mode 0600: it holds credentials.
    pub fn save(&self, path: &Path) -> Result<()> {
        let fail = |e: std::io::Error| Error::Invalid(format!("cannot write config file {}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let text = serde_yaml_ng::to_string(self).expect("config serializes");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            options.mode(0o600);
            let mut file = options.open(path).map_err(fail)?;
            file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
            file.write_all(text.as_bytes()).map_err(fail)
        }
        #[cfg(not(unix))]
        options.open(path).and_then(|mut f| f.write_all(text.as_bytes())).map_err(fail)
    }

    pub fn context(&self, name: &str) -> Option<&Context> {
        self.contexts.iter().find(|c| c.name == name)
    }

    /// The context to use: `--context`, else the current one.
    pub fn selected(&self, global: &Global) -> Result<Option<&Context>> {
        match global.context.as_deref().or(self.current_context.as_deref()) {
            None => Ok(None),
            Some(name) => self
                .context(name)
                .map(Some)
                .ok_or_else(|| Error::usage(format!("context {name:?} not found in the config file"))),
        }
    }

    /// Inserts or replaces a context by name.
    pub fn upsert(&mut self, context: Context) {
        match self.contexts.iter_mut().find(|c| c.name == context.name) {
            Some(existing) => *existing = context,
            None => self.contexts.push(context),
        }
    }
}

/// Resolves the server and credentials: flags and environment override the context.
pub fn target(global: &Global) -> Result<Target> {
    let path = path(global);
    // A config file named with --config or MCPCTL_CONFIG must exist: a mistyped path would
    // otherwise be an empty config, and a confusing "no server configured".
    if global.config.is_some() && !path.exists() {
        return Err(Error::Usage {
            message: format!("config file {} does not exist", path.display()),
            hint: Some("check --config or MCPCTL_CONFIG; `mcpctl login` and `config set-context` create it".to_owned()),
        });
    }
    let file = ConfigFile::load(&path)?;
    let context = file.selected(global)?;
    let server = server_url(global)?
        .or_else(|| context.map(|c| c.server.clone()).filter(|s| !s.is_empty()))
        .ok_or_else(|| Error::Usage {
            message: "no server configured".to_owned(),
            hint: Some(
                "pass --server URL, run `mcpctl login --server URL`, or use --config <mcpd data dir>/admin.yaml"
                    .to_owned(),
            ),
        })?;
    let token = global.token.clone().or_else(|| context.and_then(|c| c.token.clone()));
    let project = global.project.clone().or_else(|| context.and_then(|c| c.project.clone()));
    Ok(Target { server: server.trim_end_matches('/').to_owned(), token, project })
}

/// The mcpd URL of `--server` (or `MCPCTL_SERVER`), when given.
pub fn server_url(global: &Global) -> Result<Option<String>> {
    Ok(global.server.clone())
}

/// Where mcpgw listens when started with no flags.
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:3200";

/// The gateway's URL: `--gateway` (or `MCPCTL_GATEWAY`), else the context's, else mcpgw's
/// default address when mcpd is on this machine (as mcpgw's defaults assume).
pub fn gateway_url(global: &Global, flag: Option<&str>) -> Result<String> {
    if let Some(url) = flag {
        return checked_gateway(url);
    }
    let file = ConfigFile::load(&path(global))?;
    if let Some(url) = file.selected(global)?.and_then(|c| c.gateway.clone()) {
        return checked_gateway(&url);
    }
    let server = target(global).map(|t| t.server).unwrap_or_default();
    let host = server.split("://").nth(1).unwrap_or_default().split(['/', ':']).next().unwrap_or_default();
    if server.is_empty() || matches!(host, "127.0.0.1" | "localhost" | "[") || host.starts_with("[::1") {
        return Ok(DEFAULT_GATEWAY.to_owned());
    }
    Err(Error::Usage {
        message: "no gateway URL configured".to_owned(),
        hint: Some(
            "pass --gateway URL, set MCPCTL_GATEWAY, or `mcpctl config set-context NAME --gateway URL`".to_owned(),
        ),
    })
}

fn checked_gateway(url: &str) -> Result<String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Error::usage(format!("--gateway expects an http:// or https:// URL, got {url:?}")));
    }
    Ok(url.trim_end_matches('/').to_owned())
}
