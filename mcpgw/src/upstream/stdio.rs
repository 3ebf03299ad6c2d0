//! `transport: stdio`: a child process with exactly the environment its spec declares, in a
//! process group of its own, its stderr in the gateway's log under project and server.

use std::process::Stdio;

use rmcp::transport::TokioChildProcess;
use shared::api::ResolvedServer;
use shared::name::ProjectName;
use tokio::io::AsyncBufReadExt;

use super::error::Cause;
use super::processes::{ProcessGuard, Processes};

/// Spawns the server's process.
pub(super) fn spawn(
    spec: &ResolvedServer,
    project: &ProjectName,
    processes: &Processes,
) -> Result<(TokioChildProcess, Option<ProcessGuard>), Cause> {
    if spec.image.is_some() {
        return Err(Cause::Unsupported("it runs in a container image, and this gateway runs no containers"));
    }
    let command = spec.command.as_deref().ok_or(Cause::Misconfigured("it has no command"))?;
    let permit = processes.admit()?;
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(&spec.args).env_clear();
    // Exactly the declared environment, plus PATH and HOME: nothing else of the gateway's own
    // (its credential least of all).
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.envs(&spec.env).process_group(0).kill_on_drop(true);
    let (transport, stderr) =
        TokioChildProcess::builder(cmd).stderr(Stdio::piped()).spawn().map_err(|e| Cause::CannotStart(e.kind()))?;
    let guard = transport.id().map(|pid| processes.track(pid as i32, permit));
    if let Some(stderr) = stderr {
        let (project, server) = (project.to_string(), spec.name.clone());
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(target: "mcpgw::upstream", %project, %server, "{line}");
            }
        });
    }
    Ok((transport, guard))
}
