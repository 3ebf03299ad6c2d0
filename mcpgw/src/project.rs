//! The projects the gateway serves, each a live resolution from mcpd, followed the way
//! kube-runtime's watcher follows a resource: a watch per kind (servers, secrets, projects,
//! and each followed project's tools) whose recovery is explicit (resume from the last revision, start over on 410 Gone, back off
//! while mcpd is away and reset once a stream opens), and a step, [`touched`], that says which
//! projects a change makes stale, so only those are resolved again.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use shared::api::{Resolution, WatchEvent, WatchEventType};
use shared::name::ProjectName;
use shared::Kind;
use tokio::sync::{mpsc, watch};

/// After a change is seen, wait this long for more before resolving again.
const SETTLE: Duration = Duration::from_millis(50);
/// A watch that fails waits this long first, doubling up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A project mcpd could not resolve is tried again after this.
const RETRY: Duration = Duration::from_secs(1);

/// The followed projects, each a `watch` channel sessions subscribe to.
pub struct Projects {
    mcpd: client::Client,
    followed: Mutex<HashMap<ProjectName, watch::Sender<Arc<Resolution>>>>,
    /// Where watches send what they make stale, once [`Projects::follow`] runs.
    changes: Mutex<Option<mpsc::UnboundedSender<Touched>>>,
}

/// What changes make stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Touched {
    These(BTreeSet<ProjectName>),
    /// A watch started over: anything may have changed.
    All,
}

impl Touched {
    fn merge(self, other: Touched) -> Touched {
        match (self, other) {
            (Touched::These(mut a), Touched::These(b)) => {
                a.extend(b);
                Touched::These(a)
            }
            _ => Touched::All,
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Touched::These(set) if set.is_empty())
    }
}

/// Which of the followed projects one event of a watch of `kind` makes stale: a project
/// itself, or the project of a tool; the projects that run a server; the projects with a
/// server that uses a secret.
pub fn touched(followed: &HashMap<ProjectName, Arc<Resolution>>, kind: Kind, event: &WatchEvent) -> Touched {
    if event.event_type == WatchEventType::Bookmark {
        return Touched::These(BTreeSet::new());
    }
    let name = event.object.metadata.name.as_str();
    let project = event.object.metadata.project.as_deref().unwrap_or_default();
    let uses = |resolution: &Resolution| match kind {
        Kind::Server => resolution.servers.iter().any(|s| s.name == name),
        Kind::Secret => resolution.servers.iter().any(|s| s.secret_versions.contains_key(name)),
        _ => false,
    };
    let projects = followed
        .iter()
        .filter(|(followed, resolution)| match kind {
            Kind::Project => followed.as_str() == name,
            Kind::Tool => followed.as_str() == project,
            _ => uses(resolution),
        })
        .map(|(project, _)| project.clone())
        .collect();
    Touched::These(projects)
}

impl Projects {
    pub fn new(mcpd: client::Client) -> Projects {
        Projects { mcpd, followed: Mutex::default(), changes: Mutex::default() }
    }

    /// The live configuration of a followed project.
    pub fn config(&self, project: &ProjectName) -> Option<watch::Receiver<Arc<Resolution>>> {
        self.followed.lock().unwrap().get(project).map(watch::Sender::subscribe)
    }

    /// Whether a followed project has this server now.
    pub fn has_server(&self, project: &ProjectName, server: &str) -> bool {
        let followed = self.followed.lock().unwrap();
        followed.get(project).is_some_and(|p| p.borrow().servers.iter().any(|s| s.name == server))
    }

    /// Loads a project's configuration unless it is already followed; `Ok(false)` when mcpd
    /// knows no such project.
    pub async fn load(self: &Arc<Self>, project: &ProjectName) -> Result<bool, client::Error> {
        if self.followed.lock().unwrap().contains_key(project) {
            return Ok(true);
        }
        match self.mcpd.resolution(project).await {
            Ok(resolution) => {
                let mut followed = self.followed.lock().unwrap();
                if followed.contains_key(project) {
                    return Ok(true);
                }
                followed.insert(project.clone(), watch::Sender::new(Arc::new(resolution)));
                // Its tools, which are watched in their project.
                if let Some(changes) = self.changes.lock().unwrap().clone() {
                    let (projects, project) = (self.clone(), project.clone());
                    tokio::spawn(async move { projects.watch(Kind::Tool, Some(project), changes).await });
                }
                Ok(true)
            }
            Err(client::Error::Server(status)) if status.code == 404 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Follows mcpd's change feed for servers, secrets and projects until the gateway stops.
    pub fn follow(self: &Arc<Self>) {
        let (changes, touched) = mpsc::unbounded_channel();
        *self.changes.lock().unwrap() = Some(changes.clone());
        for kind in [Kind::Server, Kind::Secret, Kind::Project] {
            let (projects, changes) = (self.clone(), changes.clone());
            tokio::spawn(async move { projects.watch(kind, None, changes).await });
        }
        tokio::spawn(self.clone().resolver(touched, changes));
    }

    /// Resolves what changes make stale, a settled batch at a time.
    async fn resolver(
        self: Arc<Self>,
        mut touched: mpsc::UnboundedReceiver<Touched>,
        again: mpsc::UnboundedSender<Touched>,
    ) {
        while let Some(first) = touched.recv().await {
            tokio::time::sleep(SETTLE).await;
            let mut stale = first;
            while let Ok(more) = touched.try_recv() {
                stale = stale.merge(more);
            }
            let failed = self.resolve(stale).await;
            if !failed.is_empty() {
                let again = again.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(RETRY).await;
                    let _ = again.send(Touched::These(failed));
                });
            }
        }
    }

    /// One kind's watch (in one project, for tools), for as long as the gateway runs.
    async fn watch(&self, kind: Kind, project: Option<ProjectName>, changes: mpsc::UnboundedSender<Touched>) {
        let mut from: Option<String> = None;
        let mut backoff = FIRST_BACKOFF;
        loop {
            match self.mcpd.watch(kind.info(), project.as_ref(), None, from.as_deref()).await {
                Ok(mut events) => {
                    backoff = FIRST_BACKOFF;
                    while let Some(Ok(event)) = events.next().await {
                        if let Some(rv) = &event.object.metadata.resource_version {
                            from = Some(rv.clone());
                        }
                        let stale = touched(&self.snapshot(), kind, &event);
                        if !stale.is_empty() && changes.send(stale).is_err() {
                            return;
                        }
                    }
                }
                Err(client::Error::Server(status)) if status.code == 410 => {
                    // Too old to resume: start over, and anything may have changed meanwhile.
                    from = None;
                    if changes.send(Touched::All).is_err() {
                        return;
                    }
                    continue;
                }
                Err(e) => tracing::warn!(kind = %kind, "cannot watch mcpd: {e}"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn snapshot(&self) -> HashMap<ProjectName, Arc<Resolution>> {
        self.followed.lock().unwrap().iter().map(|(name, sender)| (name.clone(), sender.borrow().clone())).collect()
    }

    /// Resolves the stale projects again; sessions hear of those whose answer differs. The
    /// projects mcpd could not answer for are returned.
    async fn resolve(&self, stale: Touched) -> BTreeSet<ProjectName> {
        let projects: Vec<ProjectName> = {
            let followed = self.followed.lock().unwrap();
            match stale {
                Touched::All => followed.keys().cloned().collect(),
                Touched::These(set) => set.into_iter().filter(|p| followed.contains_key(p)).collect(),
            }
        };
        let mut failed = BTreeSet::new();
        for project in projects {
            let resolution = match self.mcpd.resolution(&project).await {
                Ok(resolution) => resolution,
                Err(client::Error::Server(status)) if status.code == 404 => Resolution {
                    project: project.to_string(),
                    resource_version: String::new(),
                    servers: Vec::new(),
                    tools: Default::default(),
                },
                Err(e) => {
                    tracing::warn!(%project, "cannot resolve the project: {e}");
                    failed.insert(project);
                    continue;
                }
            };
            if let Some(sender) = self.followed.lock().unwrap().get(&project) {
                sender.send_if_modified(|current| {
                    let differs = current.servers != resolution.servers || current.tools != resolution.tools;
                    if differs {
                        *current = Arc::new(resolution);
                    }
                    differs
                });
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use shared::api::ResolvedServer;
    use shared::{Object, ObjectMeta};

    use super::*;

    fn server(name: &str, secrets: &[&str]) -> ResolvedServer {
        ResolvedServer {
            name: name.to_owned(),
            resource_version: "1".to_owned(),
            transport: shared::spec::Transport::Stdio,
            sharing: Default::default(),
            command: Some("true".to_owned()),
            args: Vec::new(),
            image: None,
            sandbox: Default::default(),
            url: None,
            headers: Default::default(),
            env: Default::default(),
            secret_versions: secrets.iter().map(|s| (s.to_string(), "1".to_owned())).collect(),
            unavailable: None,
        }
    }

    fn followed() -> HashMap<ProjectName, Arc<Resolution>> {
        let project = |name: &str, servers: Vec<ResolvedServer>| {
            let resolution = Resolution {
                project: name.to_owned(),
                resource_version: "1".to_owned(),
                servers,
                tools: Default::default(),
            };
            (ProjectName::parse(name).unwrap(), Arc::new(resolution))
        };
        HashMap::from([
            project("a", vec![server("github", &["gh-creds"]), server("fs", &[])]),
            project("b", vec![server("fs", &[])]),
        ])
    }

    fn event(kind: Kind, name: &str, event_type: WatchEventType) -> WatchEvent {
        let metadata = ObjectMeta { name: name.to_owned(), ..Default::default() };
        WatchEvent { event_type, object: Object::new(kind.info(), metadata) }
    }

    fn these(names: &[&str]) -> Touched {
        Touched::These(names.iter().map(|n| ProjectName::parse(n).unwrap()).collect())
    }

    #[test]
    fn a_change_makes_stale_only_the_projects_it_touches() {
        let followed = followed();
        let stale = |kind, name| touched(&followed, kind, &event(kind, name, WatchEventType::Modified));
        assert_eq!(stale(Kind::Server, "fs"), these(&["a", "b"]));
        assert_eq!(stale(Kind::Server, "github"), these(&["a"]));
        assert_eq!(stale(Kind::Server, "unused"), these(&[]));
        assert_eq!(stale(Kind::Secret, "gh-creds"), these(&["a"]));
        assert_eq!(stale(Kind::Secret, "other"), these(&[]));
        assert_eq!(stale(Kind::Project, "b"), these(&["b"]));
        assert_eq!(stale(Kind::Project, "not-followed"), these(&[]));
        let mut tool = event(Kind::Tool, "fs__read", WatchEventType::Modified);
        tool.object.metadata.project = Some("b".to_owned());
        assert_eq!(touched(&followed, Kind::Tool, &tool), these(&["b"]));
        let bookmark = event(Kind::Server, "", WatchEventType::Bookmark);
        assert!(touched(&followed, Kind::Server, &bookmark).is_empty());
    }

    #[test]
    fn a_restart_makes_everything_stale() {
        assert_eq!(these(&["a"]).merge(these(&["b"])), these(&["a", "b"]));
        assert_eq!(these(&["a"]).merge(Touched::All), Touched::All);
    }
}
