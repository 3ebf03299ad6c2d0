//! Memory and process limits per server process, through cgroups: the v1 `memory` and `pids`
//! controllers where they are mounted and writable, else a cgroup v2 subtree delegated to the
//! gateway. Each process gets a group of its own; the process enters it before it runs
//! anything (in the child, between fork and exec), so nothing it starts escapes the limits.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where the gateway creates the groups of its server processes.
#[derive(Debug)]
pub enum Cgroups {
    /// cgroup v1: a directory under the gateway's own group of each controller.
    V1 { memory: PathBuf, pids: PathBuf },
    /// cgroup v2: a directory under the subtree delegated to the gateway.
    V2 { parent: PathBuf },
}

/// The limits of one process.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub memory: u64,
    pub processes: u32,
}

/// One server process's cgroup (one per controller on v1): removed, with whatever still runs
/// in it, when dropped.
#[derive(Debug)]
pub struct Group {
    dirs: Vec<PathBuf>,
    /// The `cgroup.procs` files the child writes itself into before it execs.
    procs: Vec<File>,
    events: Events,
}

/// Where a group says that it killed for memory or refused a fork.
#[derive(Debug)]
struct Events {
    /// A file with an `oom_kill N` line.
    oom: PathBuf,
    /// A file with a `max N` line.
    pids: PathBuf,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl Cgroups {
    /// The cgroups this process may create limited groups in, or why there are none.
    pub fn detect() -> Result<Cgroups, String> {
        let own = fs::read_to_string("/proc/self/cgroup").map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
        let v1 = v1_paths(&own).and_then(|(memory, pids)| {
            let memory = Path::new("/sys/fs/cgroup/memory").join(memory.trim_start_matches('/'));
            let pids = Path::new("/sys/fs/cgroup/pids").join(pids.trim_start_matches('/'));
            // A root group has no limit files of its own, but its children do.
            (memory.join("cgroup.procs").exists() && pids.join("cgroup.procs").exists())
                .then_some(Cgroups::V1 { memory, pids })
        });
        let cgroups = match v1 {
            Some(v1) => v1,
            None => Cgroups::V2 { parent: v2_parent(&own)? },
        };
        cgroups.remove_stale();
        // A trial group proves that this host lets the gateway set both limits.
        drop(cgroups.create(Limits { memory: 64 << 20, processes: 64 }).map_err(|e| {
            format!("cannot create a limited cgroup ({e}); run mcpgw as root or delegate it a cgroup v2 subtree with the memory and pids controllers")
        })?);
        Ok(cgroups)
    }

    /// Where the groups go, for the log.
    pub fn describe(&self) -> String {
        match self {
            Cgroups::V1 { memory, pids } => format!("cgroup v1 ({}, {})", memory.display(), pids.display()),
            Cgroups::V2 { parent } => format!("cgroup v2 ({})", parent.display()),
        }
    }

    /// Groups a gateway that ended without cleaning up left behind (empty ones only).
    fn remove_stale(&self) {
        let parents: Vec<&PathBuf> = match self {
            Cgroups::V1 { memory, pids } => vec![memory, pids],
            Cgroups::V2 { parent } => vec![parent],
        };
        for parent in parents {
            for entry in fs::read_dir(parent).into_iter().flatten().flatten() {
                let name = entry.file_name();
                let ours = name.to_str().is_some_and(|n| n.starts_with("mcpgw.") && n != "mcpgw.gateway");
                if ours && !is_live(&entry.file_name().to_string_lossy()) {
                    let _ = fs::remove_dir(entry.path());
                }
            }
        }
    }

    /// A new group with `limits`, for one process.
    pub fn create(&self, limits: Limits) -> std::io::Result<Group> {
        let name = format!("mcpgw.{}.{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut group = Group { dirs: Vec::new(), procs: Vec::new(), events: Events::default() };
        match self {
            Cgroups::V1 { memory, pids } => {
                let memory = group.make(memory.join(&name))?;
                write(&memory.join("memory.limit_in_bytes"), limits.memory)?;
                // With swap accounted, the limit holds for memory and swap together.
                let memsw = memory.join("memory.memsw.limit_in_bytes");
                if memsw.exists() {
                    write(&memsw, limits.memory)?;
                }
                let pids = group.make(pids.join(&name))?;
                write(&pids.join("pids.max"), limits.processes)?;
                group.events = Events { oom: memory.join("memory.oom_control"), pids: pids.join("pids.events") };
            }
            Cgroups::V2 { parent } => {
                let dir = group.make(parent.join(&name))?;
                write(&dir.join("memory.max"), limits.memory)?;
                let _ = write(&dir.join("memory.swap.max"), 0);
                write(&dir.join("pids.max"), limits.processes)?;
                group.events = Events { oom: dir.join("memory.events"), pids: dir.join("pids.events") };
            }
        }
        for dir in &group.dirs {
            group.procs.push(OpenOptions::new().write(true).open(dir.join("cgroup.procs"))?);
        }
        Ok(group)
    }
}

impl Default for Events {
    fn default() -> Events {
        Events { oom: PathBuf::new(), pids: PathBuf::new() }
    }
}

/// Whether a group name's gateway (`mcpgw.PID.N`) still runs.
fn is_live(name: &str) -> bool {
    let pid = name.split('.').nth(1).and_then(|p| p.parse::<i32>().ok());
    // SAFETY: signal 0 only asks whether the process exists (EPERM: it does, and is not ours).
    pid.is_some_and(
        |pid| unsafe { libc::kill(pid, 0) == 0 } || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM),
    )
}

fn write(path: &Path, value: impl std::fmt::Display) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(path)?;
    file.write_all(value.to_string().as_bytes())
}

/// The gateway's own v1 `memory` and `pids` groups, from `/proc/self/cgroup`.
fn v1_paths(own: &str) -> Option<(&str, &str)> {
    let path = |controller: &str| {
        own.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            controllers.split(',').any(|c| c == controller).then_some(path)
        })
    };
    Some((path("memory")?, path("pids")?))
}

/// The v2 group that will hold the server groups: the gateway moves itself into a leaf
/// (`mcpgw.gateway`) of its own group, which then hands the memory and pids controllers down.
fn v2_parent(own: &str) -> Result<PathBuf, String> {
    let path = own
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .ok_or("no cgroup v1 memory and pids controllers, and no cgroup v2")?;
    let root = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .into_iter()
        .map(Path::new)
        .find(|root| root.join("cgroup.controllers").exists())
        .ok_or("cgroup v2 is not mounted")?;
    let own = root.join(path.trim_start_matches('/'));
    let controllers = fs::read_to_string(own.join("cgroup.controllers")).unwrap_or_default();
    let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
    if !(has("memory") && has("pids")) {
        return Err(format!(
            "the gateway's cgroup {} has no memory and pids controllers (it has: {})",
            own.display(),
            if controllers.trim().is_empty() { "none" } else { controllers.trim() }
        ));
    }
    let enable = || write(&own.join("cgroup.subtree_control"), "+memory +pids");
    if enable().is_err() {
        // A group with processes cannot hand controllers down: move the gateway into a leaf.
        let leaf = own.join("mcpgw.gateway");
        let moved = fs::create_dir_all(&leaf).and_then(|()| write(&leaf.join("cgroup.procs"), std::process::id()));
        moved
            .and_then(|()| enable())
            .map_err(|e| format!("cannot delegate the memory and pids controllers under {} ({e})", own.display()))?;
    }
    Ok(own)
}

impl Group {
    fn make(&mut self, dir: PathBuf) -> std::io::Result<PathBuf> {
        fs::create_dir(&dir)?;
        self.dirs.push(dir.clone());
        Ok(dir)
    }

    /// The descriptors the child writes `0` to, moving itself into this group.
    pub fn procs_fds(&self) -> Vec<RawFd> {
        self.procs.iter().map(|f| f.as_raw_fd()).collect()
    }

    /// Whether the kernel killed a process of this group for its memory.
    pub fn oom_killed(&self) -> bool {
        counter(&self.events.oom, "oom_kill") > 0
    }

    /// Whether a fork in this group was refused for its process limit.
    pub fn pids_refused(&self) -> bool {
        counter(&self.events.pids, "max") > 0
    }
}

fn counter(file: &Path, name: &str) -> u64 {
    let text = fs::read_to_string(file).unwrap_or_default();
    text.lines().find_map(|line| line.strip_prefix(name)?.trim().parse().ok()).unwrap_or(0)
}

/// Writes `0` (this process) to each descriptor: run in the child between fork and exec, where
/// only async-signal-safe calls are allowed, so it uses `write(2)` and nothing that allocates.
pub fn enter(fds: &[RawFd]) -> std::io::Result<()> {
    for &fd in fds {
        // SAFETY: `fd` is an open descriptor of a cgroup.procs file, owned by the parent's
        // Group, which outlives the spawn; the buffer is a static byte.
        if unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) } != 1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

impl Drop for Group {
    fn drop(&mut self) {
        self.procs.clear();
        let dirs = std::mem::take(&mut self.dirs);
        // What still runs in the group is killed; the directories go once it is gone.
        std::thread::spawn(move || {
            for _ in 0..40 {
                for dir in &dirs {
                    for pid in fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default().lines() {
                        if let Ok(pid) = pid.trim().parse::<i32>() {
                            // SAFETY: the process is in a group this gateway created for a
                            // server it started.
                            unsafe { libc::kill(pid, libc::SIGKILL) };
                        }
                    }
                }
                if dirs.iter().all(|dir| fs::remove_dir(dir).is_ok() || !dir.exists()) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateways_own_groups_are_read_from_proc() {
        let hybrid = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/7d60\n0::/\n";
        assert_eq!(v1_paths(hybrid), Some(("/process_api/7d60", "/")));
        let joined = "5:cpu,memory:/a\n3:pids:/b\n";
        assert_eq!(v1_paths(joined), Some(("/a", "/b")));
        assert_eq!(v1_paths("0::/user.slice/x.scope\n"), None);
    }

    #[test]
    fn counters_are_read_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("memory.oom_control");
        fs::write(&file, "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n").unwrap();
        assert_eq!(counter(&file, "oom_kill"), 2);
        assert_eq!(counter(&file, "max"), 0);
        assert_eq!(counter(&dir.path().join("missing"), "max"), 0);
    }

    #[test]
    fn a_group_name_names_its_gateway() {
        assert!(is_live(&format!("mcpgw.{}.3", std::process::id())));
        assert!(!is_live("mcpgw.notapid.3"));
    }
}
