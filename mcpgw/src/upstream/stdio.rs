//! `transport: stdio`: a child process in its sandbox, with exactly the environment its spec
//! declares, in a process group of its own, its stderr in the gateway's log under project and
//! server.

use std::process::Stdio;

use rmcp::transport::TokioChildProcess;
use shared::api::ResolvedServer;
use shared::name::ProjectName;
use tokio::io::AsyncBufReadExt;

use super::error::Cause;
use super::processes::{ProcessGuard, Processes};
use crate::sandbox::{Confinement, Refusal, Sandbox};

/// A started process, and what bounds and confines it while it runs.
pub(super) struct Child {
    pub transport: TokioChildProcess,
    pub guard: Option<ProcessGuard>,
    pub confinement: Confinement,
}

/// Spawns the server's process in its sandbox.
pub(super) fn spawn(
    spec: &ResolvedServer,
    project: &ProjectName,
    processes: &Processes,
    sandbox: &Sandbox,
) -> Result<Child, Cause> {
    let permit = processes.admit()?;
    let (mut cmd, confinement) = sandbox.command(spec, project).map_err(|refusal| match refusal {
        Refusal::NotFound => Cause::CannotStart(std::io::ErrorKind::NotFound),
        Refusal::Cannot(why) => Cause::Sandbox(why),
    })?;
    cmd.process_group(0).kill_on_drop(true);
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
    Ok(Child { transport, guard, confinement })
}
