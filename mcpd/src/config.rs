//! mcpd's configuration: flags, each with its environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mcpd",
    version,
    about = "The mcpctl control-plane daemon: stores MCP projects, servers and secrets, and serves the mcpctl API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon (the default)
    Serve,
    /// Run database migrations and exit
    Migrate,
    /// Re-encrypt every secret value under the current key (with the old ones configured) and exit
    RotateKey,
}

#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Address to listen on
    #[arg(long, env = "MCPD_LISTEN", default_value = "127.0.0.1:3100", global = true)]
    pub listen: String,
    /// postgres://... or sqlite://...; default: an SQLite file in the data dir
    #[arg(long, env = "MCPD_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where mcpd keeps its SQLite file and writes admin.yaml [default: $XDG_DATA_HOME/mcpd]
    #[arg(long, env = "MCPD_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Email of the admin user created on first start
    #[arg(long, env = "MCPD_ADMIN_EMAIL", default_value = "admin@localhost", global = true)]
    pub admin_email: String,
    /// Password of the admin user created on first start [default: random, printed once]
    #[arg(long = "admin-password", env = "MCPD_ADMIN_PASSWORD", hide = true, hide_env_values = true, global = true)]
    pub admin_password: Option<String>,
    /// Key sealing secret values: 32 bytes, base64 or 64 hex digits [default: <data dir>/encryption.key, generated on first start]
    #[arg(long = "encryption-key", env = "MCPD_ENCRYPTION_KEY", hide = true, hide_env_values = true, global = true)]
    pub encryption_key: Option<String>,
    /// A file holding the encryption key
    #[arg(long, env = "MCPD_ENCRYPTION_KEY_FILE", global = true)]
    pub encryption_key_file: Option<PathBuf>,
    /// Earlier keys, comma-separated, still accepted for reading (while rotating)
    #[arg(
        long = "encryption-old-keys",
        env = "MCPD_ENCRYPTION_OLD_KEYS",
        hide = true,
        hide_env_values = true,
        global = true
    )]
    pub encryption_old_keys: Option<String>,
    /// Server URL written into admin.yaml [default: derived from --listen]
    #[arg(long, env = "MCPD_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// The gateway's URL, which the console shows in each project's endpoint and client
    /// configurations
    #[arg(long, env = "MCPD_GATEWAY_URL", default_value = "http://127.0.0.1:3200", global = true)]
    pub gateway_url: String,
    /// A bearer token /metrics requires [default: /metrics is open, like /healthz]
    #[arg(long, env = "MCPD_METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<String>,
    /// How long audit events are kept, e.g. 90d, 12h, 30m; older ones are pruned in the background
    #[arg(long, env = "MCPD_AUDIT_RETENTION", default_value = "90d", value_parser = parse_retention, global = true)]
    pub audit_retention: std::time::Duration,
    /// How often changes made in external secret backends are looked for (one metadata read
    /// per secret), and backends' health checked, e.g. 30s, 5m
    #[arg(long, env = "MCPD_SECRET_REFRESH", default_value = "30s", value_parser = parse_retention, global = true)]
    pub secret_refresh: std::time::Duration,
}

/// A retention: a whole number of days, hours, minutes or seconds (`90d`, `12h`, `30m`, `45s`).
pub fn parse_retention(text: &str) -> Result<std::time::Duration, String> {
    let unit = text.chars().last().ok_or("a duration such as 90d, 12h or 30m is required")?;
    let seconds = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return Err(format!("{text:?}: end it with d, h, m or s, as in 90d")),
    };
    match text[..text.len() - 1].parse::<u64>() {
        Ok(n) if n > 0 => {
            n.checked_mul(seconds).map(std::time::Duration::from_secs).ok_or_else(|| format!("{text:?} is too long"))
        }
        _ => Err(format!("{text:?}: a positive whole number and a unit, as in 90d")),
    }
}

impl Config {
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("mcpd")
    }

    /// The key ring: the primary key (given, from a file, or generated into the data dir) and
    /// any old keys. Says once in the log when it generates a key.
    pub fn key_ring(&self) -> anyhow::Result<crate::store::crypto::KeyRing> {
        use crate::store::crypto;
        let data_dir = self.data_dir();
        let (primary, generated) =
            crypto::load_or_generate(self.encryption_key.as_deref(), self.encryption_key_file.as_deref(), &data_dir)?;
        if generated {
            tracing::warn!(
                key_file = %data_dir.join("encryption.key").display(),
                "generated a new encryption key for secret values; back it up: without it they cannot be read"
            );
        }
        let old = match self.encryption_old_keys.as_deref() {
            Some(list) => list
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(crypto::parse_key)
                .collect::<anyhow::Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        Ok(crypto::KeyRing::new(primary, &old))
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir().join("mcpd.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retentions_read_as_durations() {
        assert_eq!(parse_retention("90d"), Ok(std::time::Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_retention("12h"), Ok(std::time::Duration::from_secs(12 * 3_600)));
        assert_eq!(parse_retention("30m"), Ok(std::time::Duration::from_secs(1_800)));
        assert_eq!(parse_retention("2s"), Ok(std::time::Duration::from_secs(2)));
        for bad in ["", "d", "0d", "-1d", "90", "90w", "1.5h", "99999999999999999999d"] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
    }
}
