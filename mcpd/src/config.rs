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
    /// Server URL written into admin.yaml [default: derived from --listen]
    #[arg(long, env = "MCPD_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
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

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir().join("mcpd.db").display()),
        }
    }
}
