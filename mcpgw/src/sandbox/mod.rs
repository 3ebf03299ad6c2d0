//! The sandbox of every stdio server the gateway starts: bubblewrap namespaces over a
//! read-only system, a private home per server, the network its spec grants (`egress` through
//! the gateway's proxy), and memory and process limits through cgroups. What the host cannot
//! enforce is refused, never run with less. See `docs/security.md`.

mod bwrap;
mod cgroup;
mod container;
mod egress;

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use shared::api::ResolvedServer;
use shared::name::ProjectName;
use shared::spec::{Reach, SANDBOX_HOME};

pub use egress::relay;

use crate::settings::{SandboxMode, Settings};

/// What `PATH` is inside a sandbox (with the command's own `bin` first, when it has one).
const SANDBOX_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Processes of the sandbox itself besides the server's (bubblewrap's two, and the egress
/// relay's process and listener thread), added to its process limit.
const OWN_PROCESSES: u32 = 4;

/// How this gateway confines the servers it starts.
pub struct Sandbox {
    kind: Kind,
    state_dir: PathBuf,
    /// What no sandbox may show: the gateway's credential and state, mcpd's data directory.
    protected: Vec<PathBuf>,
    /// `--container-engine`, for servers with an `image`: the engine, or why it cannot run.
    engine: Option<Result<container::Engine, String>>,
    /// This binary, which runs inside a sandbox with egress as its relay (found once).
    relay: Result<PathBuf, String>,
}

enum Kind {
    Bwrap {
        bwrap: PathBuf,
        cgroups: cgroup::Cgroups,
    },
    /// No usable sandbox on this host: stdio servers are refused, saying why.
    Missing(String),
    /// `--sandbox off`: servers run as the gateway's own user, with the whole host.
    Off,
}

/// Why a server's process cannot be started in its sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its command is not on the gateway's `PATH`, or not executable.
    NotFound,
    /// It cannot be sandboxed as its spec asks: a few words that name what to change.
    Cannot(String),
}

/// What confines one running server: its cgroups and egress proxy, ended when dropped.
#[derive(Debug, Default)]
pub struct Confinement {
    group: Option<cgroup::Group>,
    container: Option<container::Container>,
    _proxy: Option<egress::Proxy>,
    memory: String,
    processes: u32,
    /// What `over_limit` found, once the server has ended.
    ended: std::sync::OnceLock<Option<String>>,
}

impl Confinement {
    /// Nothing that confines yet, with the limits of `spec`'s sandbox to name.
    fn limited(spec: &ResolvedServer) -> Confinement {
        let sandbox = &spec.sandbox;
        Confinement {
            memory: sandbox.memory_shown().to_owned(),
            processes: sandbox.processes(),
            ..Confinement::default()
        }
    }

    /// The limit that ended the server, if one did, as the client is told: asked once its
    /// process has ended (a container's engine is asked, which takes a moment).
    pub async fn over_limit(&self) -> Option<String> {
        if let Some(found) = self.ended.get() {
            return found.clone();
        }
        let found = match &self.container {
            Some(container) => container.oom_killed().await.then(|| self.memory_limit()),
            None => self.group_limit(),
        };
        let _ = self.ended.set(found.clone());
        found
    }

    /// What [`Confinement::over_limit`] would say, without waiting: for a container, only what
    /// it found already.
    pub fn known_limit(&self) -> Option<String> {
        match (self.ended.get(), &self.container) {
            (Some(found), _) => found.clone(),
            (None, Some(_)) => None,
            (None, None) => self.group_limit(),
        }
    }

    fn memory_limit(&self) -> String {
        format!("it was killed at its memory limit ({}, sandbox.memory)", self.memory)
    }

    fn group_limit(&self) -> Option<String> {
        let group = self.group.as_ref()?;
        if group.oom_killed() {
            return Some(self.memory_limit());
        }
        group.pids_refused().then(|| format!("it reached its process limit ({}, sandbox.processes)", self.processes))
    }
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A name for this gateway process no other has, also in another PID namespace (as two
/// gateways sharing a container engine or a state directory may be): its process ID and
/// random bits from the kernel.
fn instance() -> &'static str {
    static INSTANCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    INSTANCE.get_or_init(|| {
        let uuid = std::fs::read_to_string("/proc/sys/kernel/random/uuid").unwrap_or_default();
        format!("{}{}", std::process::id(), uuid.get(..8).map(|r| format!("x{r}")).unwrap_or_default())
    })
}

impl Sandbox {
    /// Finds what confines servers on this host, as `--sandbox` asks. With `bwrap`, a host
    /// that cannot is an error; with `auto`, stdio servers are then refused, naming what is
    /// missing.
    pub fn detect(settings: &Settings) -> anyhow::Result<Sandbox> {
        let state_dir = settings.state_dir()?;
        let protected = settings.protected_paths();
        let relay = std::env::current_exe()
            .and_then(std::fs::canonicalize)
            .map_err(|e| format!("cannot find mcpgw's own binary: {e}"));
        let kind = match settings.sandbox {
            SandboxMode::Off => Kind::Off,
            SandboxMode::Auto | SandboxMode::Bwrap => match relay.clone().and_then(|_| bubblewrap(&state_dir)) {
                Ok(kind) => kind,
                Err(missing) if settings.sandbox == SandboxMode::Bwrap => {
                    anyhow::bail!("--sandbox bwrap: {missing}")
                }
                Err(missing) => Kind::Missing(missing),
            },
        };
        let engine =
            settings.container_engine.map(|kind| container::Engine::detect(kind, std::env::var_os("PATH").as_ref()));
        Ok(Sandbox { kind, state_dir, protected, engine, relay })
    }

    /// What the log and `/readyz` warn about: servers run unconfined, or none can run.
    pub fn warning(&self) -> Option<String> {
        match &self.kind {
            Kind::Bwrap { .. } => None,
            Kind::Missing(why) => Some(format!("no sandbox: stdio servers are refused ({why})")),
            Kind::Off => Some(
                "--sandbox off: stdio servers run unconfined, as the gateway's own user, and can read its credential"
                    .to_owned(),
            ),
        }
    }

    /// How servers are confined, for the start-up log line.
    pub fn describe(&self) -> String {
        let sandbox = match &self.kind {
            Kind::Bwrap { bwrap, cgroups, .. } => format!("bubblewrap ({}), {}", bwrap.display(), cgroups.describe()),
            Kind::Missing(_) => "none (stdio servers refused)".to_owned(),
            Kind::Off => "off".to_owned(),
        };
        match &self.engine {
            Some(Ok(engine)) => format!("{sandbox}; images: {}", engine.describe()),
            Some(Err(_)) => format!("{sandbox}; images: refused"),
            None => sandbox,
        }
    }

    /// Why servers with an `image` cannot run, when the container engine asked for cannot.
    pub fn engine_missing(&self) -> Option<&str> {
        self.engine.as_ref()?.as_ref().err().map(String::as_str)
    }

    /// The command that runs `spec`'s process confined as its spec says, with exactly its
    /// declared environment; and what confines it, to keep while it runs.
    pub fn command(
        &self,
        spec: &ResolvedServer,
        project: &ProjectName,
    ) -> Result<(tokio::process::Command, Confinement), Refusal> {
        let command = spec.command.as_deref().ok_or_else(|| Refusal::Cannot("it has no command".to_owned()))?;
        if let Some(image) = &spec.image {
            return self.container(spec, project, image);
        }
        let (bwrap, cgroups) = match &self.kind {
            // Unconfined, a server sees every path its mounts name; it cannot be held to less.
            Kind::Off if !limits(&spec.sandbox) => return Ok((unconfined(command, spec), Confinement::default())),
            Kind::Off => {
                return Err(Refusal::Cannot(
                    "its spec limits its sandbox (network, egress, memory or processes), and this gateway runs with --sandbox off".to_owned(),
                ))
            }
            Kind::Missing(why) => return Err(Refusal::Cannot(why.clone())),
            Kind::Bwrap { bwrap, cgroups } => (bwrap, cgroups),
        };
        let program = find(command).ok_or(Refusal::NotFound)?;
        let mut plan = bwrap::Plan { home: self.home(project, &spec.name)?, ..bwrap::Plan::default() };
        let mut path = SANDBOX_PATH.to_owned();
        // The command is run at the path it was found at (a virtualenv's python is a symlink
        // that must stay one); its installation is shown, and so is the one its symlinks lead
        // to. An installation that would show something protected is not: the command alone is.
        let real =
            std::fs::canonicalize(&program).map_err(|e| Refusal::Cannot(format!("cannot read {command:?}: {e}")))?;
        for binary in [&program, &real] {
            match installation(binary) {
                Some(install) if !self.overlaps(&install) => {
                    if binary == &program && install.join("bin").is_dir() {
                        path = format!("{}:{path}", install.join("bin").display());
                    }
                    plan.binds.push(bwrap::Bind::read_only(install));
                }
                Some(_) => plan.binds.push(bwrap::Bind::read_only(binary.clone())),
                None => {}
            }
        }
        plan.binds.dedup();
        for mount in &spec.sandbox.mounts {
            plan.binds.push(self.mount(mount)?);
        }
        if spec.sandbox.reach() == Reach::None {
            plan.no_network = true;
        }
        let proxy = self.egress_proxy(spec, project)?;
        if let Some((socket, _)) = &proxy {
            plan.egress = Some((socket.clone(), self.relay()?.to_path_buf()));
        }
        let proxy = proxy.map(|(_, proxy)| proxy);
        let limits = cgroup::Limits {
            memory: spec.sandbox.memory_bytes(),
            processes: spec.sandbox.processes().saturating_add(OWN_PROCESSES),
        };
        let group = cgroups.create(limits).map_err(|e| Refusal::Cannot(format!("cannot create its cgroup: {e}")))?;

        let mut cmd = tokio::process::Command::new(bwrap);
        cmd.args(bwrap::arguments(&plan, symlink_target));
        if proxy.is_some() {
            cmd.arg(bwrap::RELAY_IN_SANDBOX).args(["egress-relay", bwrap::SOCKET_IN_SANDBOX, "--"]);
        }
        cmd.arg(&program).args(&spec.args).env_clear();
        cmd.env("PATH", path).env("HOME", SANDBOX_HOME);
        if proxy.is_some() {
            let proxy_url = format!("http://127.0.0.1:{}", egress::RELAY_PORT);
            for name in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
                cmd.env(name, &proxy_url);
            }
            cmd.env("NO_PROXY", "localhost,127.0.0.1,::1").env("no_proxy", "localhost,127.0.0.1,::1");
        }
        cmd.envs(&spec.env);
        let fds = group.procs_fds();
        // SAFETY: the closure only calls write(2) on descriptors the parent keeps open (the
        // Group outlives the spawn), which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || cgroup::enter(&fds));
        }
        let confinement = Confinement { group: Some(group), _proxy: proxy, ..Confinement::limited(spec) };
        Ok((cmd, confinement))
    }

    /// The engine's command for a server with an `image`.
    fn container(
        &self,
        spec: &ResolvedServer,
        project: &ProjectName,
        image: &str,
    ) -> Result<(tokio::process::Command, Confinement), Refusal> {
        let engine = match &self.engine {
            Some(Ok(engine)) => engine,
            Some(Err(missing)) => return Err(Refusal::Cannot(missing.clone())),
            None => {
                return Err(Refusal::Cannot(
                    "it runs in a container image, and this gateway has no --container-engine (podman or docker)"
                        .to_owned(),
                ))
            }
        };
        let mounts = spec.sandbox.mounts.iter().map(|mount| self.mount(mount)).collect::<Result<Vec<_>, _>>()?;
        let proxy = self.egress_proxy(spec, project)?;
        let relay = self.relay()?;
        let name = format!("mcpgw-{}-{}", instance(), NEXT.fetch_add(1, Ordering::Relaxed));
        let egress = proxy.as_ref().map(|(socket, _)| (socket.as_path(), relay));
        let (mut cmd, container) = engine.command(spec, image, &mounts, name, egress).map_err(Refusal::Cannot)?;
        // The engine's monitor (conmon) writes an `oom` file where it runs: in the state
        // directory, not wherever the gateway was started.
        cmd.current_dir(&self.state_dir);
        let confinement = Confinement {
            container: Some(container),
            _proxy: proxy.map(|(_, proxy)| proxy),
            ..Confinement::limited(spec)
        };
        Ok((cmd, confinement))
    }

    /// This binary, for the egress relay.
    fn relay(&self) -> Result<&Path, Refusal> {
        self.relay.as_deref().map_err(|why| Refusal::Cannot(why.clone()))
    }

    /// The egress proxy of a sandbox that lists destinations, and its socket.
    fn egress_proxy(
        &self,
        spec: &ResolvedServer,
        project: &ProjectName,
    ) -> Result<Option<(PathBuf, egress::Proxy)>, Refusal> {
        let Reach::Egress(allowed) = spec.sandbox.reach() else { return Ok(None) };
        let owner = egress::Owner { project: project.to_string(), server: spec.name.clone() };
        let run = self.state_dir.join("run");
        std::fs::create_dir_all(&run).map_err(|e| Refusal::Cannot(format!("cannot create {}: {e}", run.display())))?;
        let socket = run.join(format!("{}-{}.sock", instance(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let proxy = egress::Proxy::listen(socket.clone(), allowed.to_vec(), owner)
            .map_err(|e| Refusal::Cannot(format!("cannot open its egress proxy at {}: {e}", socket.display())))?;
        Ok(Some((socket, proxy)))
    }

    /// The server's private home, `STATE/homes/PROJECT/SERVER`, created owner-only.
    fn home(&self, project: &ProjectName, server: &str) -> Result<PathBuf, Refusal> {
        let home = self.state_dir.join("homes").join(project.as_str()).join(server);
        let made = std::fs::create_dir_all(&home)
            .and_then(|()| std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)));
        made.map_err(|e| Refusal::Cannot(format!("cannot create its home {}: {e}", home.display())))?;
        Ok(home)
    }

    /// Whether showing `path` would show something protected (or all of it), once the
    /// symlinks of both are resolved.
    fn overlaps(&self, path: &Path) -> bool {
        let path = resolved(path);
        self.protected.iter().any(|protected| {
            let protected = resolved(protected);
            protected.starts_with(&path) || path.starts_with(&protected)
        })
    }

    /// One of the spec's mounts, from where it really is on the host to the path it names:
    /// refused when it does not exist, or would show something protected or the host's own
    /// `/proc` or `/dev`.
    fn mount(&self, mount: &shared::spec::Mount) -> Result<bwrap::Bind, Refusal> {
        let source = std::fs::canonicalize(&mount.path)
            .map_err(|_| Refusal::Cannot(format!("mount {} does not exist on the gateway's host", mount.path)))?;
        if self.overlaps(&source) {
            return Err(Refusal::Cannot(format!(
                "mount {} would show the gateway's credential or state, or mcpd's data",
                mount.path
            )));
        }
        if let Err(why) = shared::spec::check_mount_path(&source.to_string_lossy()) {
            return Err(Refusal::Cannot(format!("mount {} leads to {}: {why}", mount.path, source.display())));
        }
        Ok(bwrap::Bind { source, target: PathBuf::from(&mount.path), writable: !mount.read_only })
    }
}

/// Whether a sandbox spec holds a server to less than the host: only a sandbox can enforce it.
fn limits(sandbox: &shared::spec::Sandbox) -> bool {
    sandbox.reach() != Reach::Open || sandbox.memory.is_some() || sandbox.processes.is_some()
}

/// `path` with the symlinks of its longest existing ancestor resolved (a protected path may
/// not exist yet).
fn resolved(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return rest.iter().rev().fold(real, |real, name| real.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// `--sandbox off`: the command as it is, with only PATH and HOME of the gateway's own
/// environment (its credential least of all).
fn unconfined(command: &str, spec: &ResolvedServer) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(&spec.args).env_clear();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.envs(&spec.env);
    cmd
}

/// bubblewrap, if it is installed and can build a sandbox on this host, with cgroups to limit
/// it; else what is missing.
fn bubblewrap(state_dir: &Path) -> Result<Kind, String> {
    let bwrap =
        find("bwrap").ok_or("bubblewrap is not installed (apt-get install bubblewrap, or dnf install bubblewrap)")?;
    let cgroups = cgroup::Cgroups::detect()?;
    // A trial run with the namespaces every sandbox uses (a network one too) proves that this
    // host lets bubblewrap make them.
    let home = state_dir.join("homes");
    std::fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let plan = bwrap::Plan { home, no_network: true, ..bwrap::Plan::default() };
    let tried = std::process::Command::new(&bwrap)
        .args(bwrap::arguments(&plan, symlink_target))
        .arg(find("true").unwrap_or_else(|| PathBuf::from("/bin/true")))
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bwrap.display()))?;
    if !tried.status.success() {
        let said = String::from_utf8_lossy(&tried.stderr);
        return Err(format!(
            "bubblewrap cannot create namespaces on this host ({}); run mcpgw as root or allow unprivileged user namespaces",
            said.trim()
        ));
    }
    Ok(Kind::Bwrap { bwrap, cgroups })
}

/// A command as the gateway's `PATH` finds it, as an absolute path.
fn find(command: &str) -> Option<PathBuf> {
    find_on(command, std::env::var_os("PATH").as_ref())
}

/// A command as `path` finds it, as an absolute path.
fn find_on(command: &str, path: Option<&OsString>) -> Option<PathBuf> {
    let found = if command.contains('/') {
        std::path::absolute(command).ok()?
    } else {
        let default = OsString::from(SANDBOX_PATH);
        let path = path.unwrap_or(&default);
        std::env::split_paths(path).map(|dir| dir.join(command)).find(|candidate| is_executable(candidate))?
    };
    is_executable(&found).then_some(found)
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn is_system(path: &Path) -> bool {
    ["/usr", "/bin", "/sbin", "/lib", "/lib64"].iter().any(|dir| path.starts_with(dir))
}

/// Where a command outside the system directories is installed, to be shown whole: its
/// outermost `node_modules` (an npm prefix's packages, the command's dependencies among them;
/// not the directory holding it, which may be a home), else its directory, or the one above it
/// when that is a `bin` (a prefix with its libraries, such as a virtualenv).
fn installation(program: &Path) -> Option<PathBuf> {
    if is_system(program) {
        return None;
    }
    let modules = program.ancestors().filter(|dir| dir.file_name().is_some_and(|n| n == "node_modules"));
    if let Some(outermost) = modules.last() {
        return Some(outermost.to_path_buf());
    }
    let dir = program.parent()?;
    let install = match dir.file_name() {
        Some(name) if name == "bin" => dir.parent()?,
        _ => dir,
    };
    (install != Path::new("/")).then(|| install.to_path_buf())
}

fn symlink_target(path: &Path) -> Option<PathBuf> {
    std::fs::read_link(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_shown_with_its_installation_unless_it_is_the_systems() {
        assert_eq!(installation(Path::new("/usr/bin/node")), None);
        assert_eq!(installation(Path::new("/opt/node20/bin/node")), Some(PathBuf::from("/opt/node20")));
        assert_eq!(installation(Path::new("/srv/tools/server.py")), Some(PathBuf::from("/srv/tools")));
        assert_eq!(installation(Path::new("/bin/true")), None);
        assert_eq!(installation(Path::new("/server")), None);
        let npm = Path::new("/home/ann/node_modules/@scope/server/dist/index.js");
        assert_eq!(installation(npm), Some(PathBuf::from("/home/ann/node_modules")));
        let bin = Path::new("/home/ann/node_modules/.bin/server");
        assert_eq!(installation(bin), Some(PathBuf::from("/home/ann/node_modules")));
    }

    #[test]
    fn protected_paths_overlap_their_ancestors_and_descendants() {
        let sandbox = Sandbox {
            kind: Kind::Off,
            state_dir: "/nonexistent/state".into(),
            protected: vec!["/nonexistent/home/.local/share/mcpd".into()],
            engine: None,
            relay: Err("not needed".to_owned()),
        };
        assert!(sandbox.overlaps(Path::new("/nonexistent/home")));
        assert!(sandbox.overlaps(Path::new("/nonexistent/home/.local/share/mcpd/db")));
        assert!(!sandbox.overlaps(Path::new("/nonexistent/home/.local/lib")));
        assert!(!sandbox.overlaps(Path::new("/opt")));
    }
}
