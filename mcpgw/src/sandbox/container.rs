//! Servers with an `image`: their command runs in a container started with the gateway's
//! container engine (`--container-engine podman|docker`), with the same environment, network
//! rules and limits as a bubblewrap sandbox. Secret values reach the container through the
//! engine's own environment (`-e NAME`, without a value), never on its command line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use shared::api::ResolvedServer;
use shared::spec::Reach;

use super::bwrap::{Bind, RELAY_IN_SANDBOX, SOCKET_IN_SANDBOX};
use super::egress::RELAY_PORT;
use crate::settings::ContainerEngine;

/// Names the engine reads from its own environment: a server's env entry cannot be passed
/// through it under one of them.
const ENGINE_OWN: [&str; 8] = ["PATH", "HOME", "TMPDIR", "XDG_", "CONTAINER", "DOCKER_", "PODMAN_", "LD_"];

/// The label of the gateway's containers, named `mcpgw-INSTANCE-N`.
const LABEL: &str = "io.mcpctl.gateway=mcpgw";

/// How long one question to the engine (`version`, `info`, `ps`, `inspect`) may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one of the engine's commands at start-up and returns its output, or says that it did
/// not answer within [`ASK_TIMEOUT`] (it is then killed).
fn ask(program: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let deadline = std::time::Instant::now() + ASK_TIMEOUT;
    while child.try_wait()?.is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output()
}

/// A container engine this host can run containers with.
#[derive(Debug)]
pub struct Engine {
    program: PathBuf,
    kind: ContainerEngine,
}

/// A running container: removed, with whatever still runs in it, when dropped.
#[derive(Debug)]
pub struct Container {
    engine: PathBuf,
    kind: ContainerEngine,
    name: String,
}

impl Engine {
    /// The engine, if it is installed and answers; else what is missing.
    pub fn detect(kind: ContainerEngine, path: Option<&OsString>) -> Result<Engine, String> {
        let name = kind.command();
        let program = super::find_on(name, path).ok_or_else(|| {
            format!("--container-engine {name}: {name} is not installed (apt-get install {})", kind.package())
        })?;
        let answered = ask(&program, &["version", "--format", "{{.Client.Version}}"])
            .map_err(|e| format!("--container-engine {name}: cannot run {}: {e}", program.display()))?;
        if !answered.status.success() {
            let said = String::from_utf8_lossy(&answered.stderr);
            return Err(format!("--container-engine {name}: {name} does not answer ({})", said.trim()));
        }
        let engine = Engine { program, kind };
        engine.can_limit()?;
        engine.remove_stale();
        Ok(engine)
    }

    /// Whether the engine enforces memory and process limits here: an engine without the
    /// cgroup controllers (rootless podman on cgroup v1, docker without them) would run a
    /// container with none, and say so only in a warning.
    fn can_limit(&self) -> Result<(), String> {
        let (query, expected) = match self.kind {
            ContainerEngine::Podman => ("{{.Host.CgroupControllers}}", &["memory", "pids"]),
            ContainerEngine::Docker => {
                ("{{if .MemoryLimit}}memory{{end}} {{if .PidsLimit}}pids{{end}}", &["memory", "pids"])
            }
        };
        let name = self.kind.command();
        let info = ask(&self.program, &["info", "--format", query])
            .map_err(|e| format!("--container-engine {name}: cannot run {name} info: {e}"))?;
        let text = String::from_utf8_lossy(&info.stdout);
        let has = |controller: &str| text.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == controller);
        match expected.iter().find(|controller| !has(controller)) {
            None => Ok(()),
            Some(missing) => Err(format!(
                "--container-engine {name}: {name} cannot limit containers' {missing} here (it reports: {}), and a server's sandbox limits would be dropped",
                text.trim()
            )),
        }
    }

    /// Containers that ended and were left behind (by a gateway that ended without cleaning
    /// up); running ones may be another gateway's.
    fn remove_stale(&self) {
        let label = format!("label={LABEL}");
        let listed = ask(
            &self.program,
            &["ps", "-a", "--filter", &label, "--filter", "status=exited", "--format", "{{.Names}}"],
        );
        let Ok(listed) = listed else { return };
        for name in String::from_utf8_lossy(&listed.stdout).lines() {
            drop(Container { engine: self.program.clone(), kind: self.kind, name: name.to_owned() });
        }
    }

    pub fn describe(&self) -> String {
        format!("{} ({})", self.kind.command(), self.program.display())
    }

    /// `ENGINE run` for `spec`'s image, confined as its sandbox says, and the container to
    /// remove when it ends. `egress` is the proxy's socket and the relay binary, when the
    /// sandbox lists destinations.
    pub fn command(
        &self,
        spec: &ResolvedServer,
        image: &str,
        mounts: &[Bind],
        name: String,
        egress: Option<(&Path, &Path)>,
    ) -> Result<(tokio::process::Command, Container), String> {
        let command = spec.command.as_deref().ok_or("it has no command")?;
        if let Some(env) = spec.env.keys().find(|name| ENGINE_OWN.iter().any(|own| name.starts_with(own))) {
            return Err(format!(
                "its env {env} would be read by the container engine itself; rename it for an image server"
            ));
        }
        let sandbox = &spec.sandbox;
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(["run", "-i", "--name", &name, "--label", LABEL, "--cap-drop", "ALL"]);
        cmd.args(["--security-opt", "no-new-privileges"]);
        cmd.args(["--memory", &sandbox.memory_bytes().to_string()]);
        cmd.args(["--memory-swap", &sandbox.memory_bytes().to_string()]);
        cmd.args(["--pids-limit", &sandbox.processes().to_string()]);
        // The engine's own default limits may exceed what this host lets it set: explicit
        // ones always fit (the gateway's own open files; the spec's processes).
        let (soft, hard) = rlimit(libc::RLIMIT_NOFILE);
        cmd.args(["--ulimit", &format!("nofile={soft}:{hard}")]);
        let processes = sandbox.processes();
        cmd.args(["--ulimit", &format!("nproc={processes}:{processes}")]);
        cmd.args(["--tmpfs", "/tmp"]);
        for mount in mounts {
            let mode = if mount.writable { "rw" } else { "ro" };
            cmd.args(["-v", &format!("{}:{}:{mode}", mount.source.display(), mount.target.display())]);
        }
        match (sandbox.reach(), egress) {
            (Reach::Open, _) => cmd.args(["--network", "host"]),
            (Reach::None, _) => cmd.args(["--network", "none"]),
            (Reach::Egress(_), None) => return Err("its egress proxy is missing".to_owned()),
            (Reach::Egress(_), Some((socket, relay))) => {
                let proxy = format!("http://127.0.0.1:{RELAY_PORT}");
                cmd.args(["--network", "none"]);
                cmd.args(["-v", &format!("{}:{SOCKET_IN_SANDBOX}", socket.display())]);
                cmd.args(["-v", &format!("{}:{RELAY_IN_SANDBOX}:ro", relay.display())]);
                for variable in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
                    cmd.args(["-e", &format!("{variable}={proxy}")]);
                }
                cmd.args(["-e", "NO_PROXY=localhost,127.0.0.1,::1"])
            }
        };
        // Values through the engine's environment: `-e NAME` takes NAME's value from there.
        for name in spec.env.keys() {
            cmd.args(["-e", name]);
        }
        match egress {
            Some(_) => cmd.args(["--entrypoint", RELAY_IN_SANDBOX, image, "egress-relay", SOCKET_IN_SANDBOX, "--"]),
            None => cmd.args(["--entrypoint", command, image]),
        };
        if egress.is_some() {
            cmd.arg(command);
        }
        cmd.args(&spec.args);
        // The engine runs with the gateway's environment (it needs its own configuration),
        // less the gateway's credential, plus the server's values.
        cmd.env_remove("MCPGW_TOKEN").env_remove("MCPGW_TOKEN_FILE").envs(&spec.env);
        // The engine's client ends with the gateway (its container is then removed by the
        // next gateway to start).
        // SAFETY: prctl only sets this process's parent-death signal; it is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| match libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            });
        }
        Ok((cmd, Container { engine: self.program.clone(), kind: self.kind, name }))
    }
}

fn rlimit(resource: libc::__rlimit_resource_t) -> (String, String) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct it is given.
    unsafe { libc::getrlimit(resource, &mut limit) };
    let shown = |value: libc::rlim_t| if value == libc::RLIM_INFINITY { "-1".to_owned() } else { value.to_string() };
    (shown(limit.rlim_cur), shown(limit.rlim_max))
}

impl Container {
    /// Whether the kernel killed the container at its memory limit, as the engine says once
    /// it has seen the container end (asked for up to half a second).
    pub async fn oom_killed(&self) -> bool {
        for _ in 0..5 {
            let inspected = tokio::process::Command::new(&self.engine)
                .args(["inspect", "--format", "{{.State.Status}} {{.State.OOMKilled}} {{.State.ExitCode}}", &self.name])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .output();
            let Ok(Ok(inspected)) = tokio::time::timeout(ASK_TIMEOUT, inspected).await else { return false };
            let text = String::from_utf8_lossy(&inspected.stdout);
            let fields: Vec<&str> = text.split_whitespace().collect();
            match fields[..] {
                // Where the engine cannot read the kernel's OOM event (cgroup v1), a SIGKILL
                // it did not send is the limit's.
                [status, oom, code] if status != "running" => return oom == "true" || code == "137",
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        false
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let (engine, name) = (self.engine.clone(), self.name.clone());
        // podman waits for a stop timeout unless told none; docker kills at once.
        let remove: &[&str] = match self.kind {
            ContainerEngine::Podman => &["rm", "-f", "-t", "0"],
            ContainerEngine::Docker => &["rm", "-f"],
        };
        // Not waited for here: the removal goes on if the gateway exits meanwhile.
        let removing = std::process::Command::new(engine)
            .args(remove)
            .arg(&name)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Ok(mut removing) = removing {
            std::thread::spawn(move || removing.wait());
        }
    }
}
