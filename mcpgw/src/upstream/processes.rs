//! Child processes of stdio servers: bounded by `--max-processes`, each in its own process
//! group, and each group ended with its leader.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::Cause;
use crate::metrics::Metrics;

/// Child processes: bounded by `--max-processes`, and each ended with its whole process group.
pub struct Processes {
    permits: Arc<Semaphore>,
    max: usize,
    running: Arc<Mutex<HashSet<i32>>>,
    metrics: Metrics,
}

/// A running child: dropping it kills its process group and frees its place.
pub struct ProcessGuard {
    pid: i32,
    running: Arc<Mutex<HashSet<i32>>>,
    metrics: Metrics,
    _permit: OwnedSemaphorePermit,
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        signal_group(self.pid, libc::SIGKILL);
        self.running.lock().unwrap().remove(&self.pid);
        self.metrics.processes.dec();
    }
}

fn signal_group(pid: i32, signal: i32) {
    // SAFETY: killpg only sends a signal; the group is one this gateway started (its leader
    // was spawned with process_group(0)), and a group that is gone gives ESRCH.
    unsafe {
        libc::killpg(pid, signal);
    }
}

impl Processes {
    pub fn new(max: usize, metrics: Metrics) -> Processes {
        Processes { permits: Arc::new(Semaphore::new(max)), max, running: Arc::default(), metrics }
    }

    pub(super) fn admit(&self) -> Result<OwnedSemaphorePermit, Cause> {
        self.permits.clone().try_acquire_owned().map_err(|_| Cause::AtCapacity(self.max))
    }

    pub(super) fn track(&self, pid: i32, permit: OwnedSemaphorePermit) -> ProcessGuard {
        self.running.lock().unwrap().insert(pid);
        self.metrics.processes.inc();
        ProcessGuard { pid, running: self.running.clone(), metrics: self.metrics.clone(), _permit: permit }
    }

    /// Ends every child: SIGTERM to each process group, then SIGKILL to what is left after
    /// `grace`.
    pub async fn terminate_all(&self, grace: std::time::Duration) {
        let pids: Vec<i32> = self.running.lock().unwrap().iter().copied().collect();
        for &pid in &pids {
            signal_group(pid, libc::SIGTERM);
        }
        let deadline = tokio::time::Instant::now() + grace;
        // SAFETY: signal 0 only checks that the group still exists.
        let alive = |pid: i32| unsafe { libc::killpg(pid, 0) == 0 };
        while pids.iter().any(|&pid| alive(pid)) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        for pid in pids {
            signal_group(pid, libc::SIGKILL);
        }
    }
}
