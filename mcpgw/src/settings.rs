//! The gateway's flags, and where its own credential comes from.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// mcpgw — the MCP gateway: every server of a project behind one Streamable HTTP endpoint,
/// `/projects/{project}/mcp`, for any client holding `run connect` on that project.
///
/// With no flags it reaches mcpd on 127.0.0.1:3100 with the credential mcpd wrote on its first
/// start, so on one machine `mcpd` and `mcpgw` need no configuration.
#[derive(Parser, Debug, Clone)]
#[command(name = "mcpgw", version)]
pub struct Settings {
    /// How this gateway replica names itself when it reports its servers' standings to mcpd
    /// (default: its host name and port).
    #[arg(long, env = "MCPGW_NAME")]
    pub name: Option<String>,

    /// Address to listen on.
    #[arg(long, env = "MCPGW_LISTEN", default_value = "127.0.0.1:3200")]
    pub listen: SocketAddr,

    /// mcpd's URL.
    #[arg(long, env = "MCPGW_MCPD_URL", default_value = "http://127.0.0.1:3100")]
    pub mcpd_url: String,

    /// File holding the gateway's credential, a global McpToken with `run serve` (or set the
    /// value itself in MCPGW_TOKEN). Default: `gateway.token` in mcpd's default data dir
    /// (MCPD_DATA_DIR, else $XDG_DATA_HOME/mcpd).
    #[arg(long, env = "MCPGW_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,

    /// Child processes (stdio servers) the gateway runs at most; past it, a call that needs
    /// another gets an MCP error.
    #[arg(long, env = "MCPGW_MAX_PROCESSES", default_value_t = 64)]
    pub max_processes: usize,

    /// A client session idle this long ends, and its upstream sessions and processes with it
    /// (`30m`, `90s`, `1h`).
    #[arg(long, env = "MCPGW_SESSION_IDLE_TIMEOUT", default_value = "30m", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,

    /// How long starting an upstream session may take: the process or connection and the MCP
    /// handshake (`10s`). A server that fails to start is not tried again for a while, by any
    /// session of the gateway.
    #[arg(long, env = "MCPGW_START_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub start_timeout: Duration,

    /// Client sessions one credential may hold at once; past it, 429.
    #[arg(long, env = "MCPGW_MAX_SESSIONS_PER_CREDENTIAL", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_sessions_per_credential: u32,

    /// Client sessions the gateway holds at once; past it, 503.
    #[arg(long, env = "MCPGW_MAX_SESSIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_sessions: u32,

    /// How long a call to an upstream server may take (`60s`, `2m`).
    #[arg(long, env = "MCPGW_CALL_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub call_timeout: Duration,

    /// Bearer token `/metrics` requires (unset: unauthenticated).
    #[arg(long, env = "MCPGW_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Threads serving clients. Default: half the machine's cores, at least one; the other
    /// half is left to the stdio servers the gateway starts, which run beside it.
    #[arg(long, env = "MCPGW_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub worker_threads: Option<u16>,

    /// How stdio servers are confined: `auto` (bubblewrap and cgroups when they work on this
    /// host; otherwise stdio servers are refused, naming what is missing), `bwrap` (the same,
    /// and mcpgw does not start without them), or `off` (servers run as the gateway's own
    /// user with the whole host: only when asked, and warned about).
    #[arg(long, env = "MCPGW_SANDBOX", value_enum, default_value_t = SandboxMode::Auto)]
    pub sandbox: SandboxMode,

    /// The container engine that runs servers with an `image` (podman or docker); without
    /// it, such servers are refused. The engine runs with the gateway's environment, so its
    /// own configuration (CONTAINERS_CONF, DOCKER_HOST) applies.
    #[arg(long, env = "MCPGW_CONTAINER_ENGINE", value_enum)]
    pub container_engine: Option<ContainerEngine>,

    /// Where the gateway keeps its state: each sandboxed server's private home
    /// (`homes/PROJECT/SERVER`) and the sockets of egress proxies. Default:
    /// $XDG_STATE_HOME/mcpgw, else ~/.local/state/mcpgw.
    #[arg(long, env = "MCPGW_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// More host paths no sandbox may show, besides the gateway's credential and state and
    /// mcpd's default data directory (comma-separated): mcpd's data directory, encryption key
    /// or SQLite file where they are not at their defaults.
    #[arg(long, env = "MCPGW_PROTECT", value_delimiter = ',')]
    pub protect: Vec<PathBuf>,

    /// Host names the endpoint answers to, besides loopback ones (comma-separated; `*` for
    /// any). Guards local gateways against DNS rebinding.
    #[arg(long, env = "MCPGW_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerEngine {
    Podman,
    Docker,
}

impl ContainerEngine {
    pub fn command(self) -> &'static str {
        match self {
            ContainerEngine::Podman => "podman",
            ContainerEngine::Docker => "docker",
        }
    }

    /// The Debian package that installs it.
    pub fn package(self) -> &'static str {
        match self {
            ContainerEngine::Podman => "podman",
            ContainerEngine::Docker => "docker.io",
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxMode {
    Auto,
    Bwrap,
    Off,
}

impl Settings {
    /// `--state-dir`, else $XDG_STATE_HOME/mcpgw, else ~/.local/state/mcpgw.
    pub fn state_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &self.state_dir {
            return Ok(dir.clone());
        }
        match std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
            Some(state) => Ok(PathBuf::from(state).join("mcpgw")),
            None => match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
                Some(home) => Ok(PathBuf::from(home).join(".local/state/mcpgw")),
                None => anyhow::bail!("no state directory: set --state-dir (neither HOME nor XDG_STATE_HOME is set)"),
            },
        }
    }

    /// The files the gateway's sandboxes must never show a server: its credential, its state,
    /// mcpd's default data directory, and what `--protect` adds.
    pub fn protected_paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self.state_dir().into_iter().collect();
        paths.extend(self.token_file.clone());
        paths.extend(default_data_dir());
        paths.extend(self.protect.iter().cloned());
        paths
    }

    pub fn worker_threads(&self) -> usize {
        match self.worker_threads {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
        }
    }
}

/// `90s`, `30m`, `2h`, `1d`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("\"{text}\" is not a duration like 90s, 30m or 2h"))?;
    let seconds = match unit {
        "" | "s" => n,
        "ms" => return Ok(Duration::from_millis(n)),
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("\"{text}\" is not a duration like 90s, 30m or 2h")),
    };
    if seconds == 0 {
        return Err("a duration must be more than zero".to_owned());
    }
    Ok(Duration::from_secs(seconds))
}

/// Where the credential was found: shown in the log, never the value.
pub struct Credential {
    pub token: String,
    pub source: String,
}

/// The gateway's own credential: MCPGW_TOKEN, else `--token-file`, else mcpd's default data
/// dir's `gateway.token`.
pub fn credential(settings: &Settings) -> anyhow::Result<Credential> {
    if let Ok(token) = std::env::var("MCPGW_TOKEN") {
        if !token.trim().is_empty() {
            return Ok(Credential { token: token.trim().to_owned(), source: "MCPGW_TOKEN".to_owned() });
        }
    }
    let path = match &settings.token_file {
        Some(path) => path.clone(),
        None => default_token_file().ok_or_else(|| {
            anyhow::anyhow!("no credential: set MCPGW_TOKEN or --token-file (neither HOME nor XDG_DATA_HOME is set)")
        })?,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!(
            "no credential: cannot read {} ({e}); start mcpd once on this machine, or set MCPGW_TOKEN or --token-file",
            path.display()
        )
    })?;
    let token = text.trim().to_owned();
    if token.is_empty() {
        anyhow::bail!("no credential: {} is empty", path.display());
    }
    Ok(Credential { token, source: path.display().to_string() })
}

fn default_token_file() -> Option<PathBuf> {
    Some(default_data_dir()?.join("gateway.token"))
}

fn default_data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("MCPD_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
            Some(data) => PathBuf::from(data).join("mcpd"),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".local/share/mcpd"),
        },
    };
    Some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_threads_default_to_half_the_cores_and_never_to_none() {
        let settings = |args: &[&str]| Settings::try_parse_from([&["mcpgw"], args].concat());
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(settings(&[]).unwrap().worker_threads(), (cores / 2).max(1));
        assert_eq!(settings(&["--worker-threads", "3"]).unwrap().worker_threads(), 3);
        assert!(settings(&["--worker-threads", "0"]).is_err());
    }

    #[test]
    fn durations_read_like_the_docs_write_them() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
    }
}
