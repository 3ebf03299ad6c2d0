//! The bubblewrap command line of one sandbox: what the server sees, as `bwrap` arguments.
//! Pure, so each rule is tested without starting anything.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use shared::spec::SANDBOX_HOME;

/// Where the gateway's own pieces appear inside a sandbox that reaches out through the egress
/// proxy.
pub const RUN_DIR: &str = "/run/mcpgw";
pub const RELAY_IN_SANDBOX: &str = "/run/mcpgw/mcpgw";
pub const SOCKET_IN_SANDBOX: &str = "/run/mcpgw/egress.sock";

/// The system directories every sandbox sees read-only (a symlink, as on merged-/usr systems,
/// stays a symlink).
const SYSTEM: [&str; 7] = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// What of `/etc` a program needs to run, resolve names and check TLS certificates.
/// (`/etc/ssl/private`, the host's TLS keys, is not among them.)
const ETC: [&str; 17] = [
    "/etc/alternatives",
    "/etc/ca-certificates",
    "/etc/ca-certificates.conf",
    "/etc/crypto-policies",
    "/etc/gai.conf",
    "/etc/group",
    "/etc/host.conf",
    "/etc/hosts",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/resolv.conf",
    "/etc/ssl/certs",
    "/etc/ssl/openssl.cnf",
];

/// A host path shown in the sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    /// Where it is on the host (resolved).
    pub source: PathBuf,
    /// Where the server sees it.
    pub target: PathBuf,
    pub writable: bool,
}

impl Bind {
    /// `path`, read-only, where it is.
    pub fn read_only(path: PathBuf) -> Bind {
        Bind { source: path.clone(), target: path, writable: false }
    }
}

/// One sandbox, as the gateway plans it.
#[derive(Debug, Default)]
pub struct Plan {
    /// The server's private home on the host, seen as [`SANDBOX_HOME`].
    pub home: PathBuf,
    /// The command's installation and the spec's mounts.
    pub binds: Vec<Bind>,
    /// No network but loopback.
    pub no_network: bool,
    /// The egress proxy's socket and the relay binary, for a sandbox that reaches out only
    /// through the proxy.
    pub egress: Option<(PathBuf, PathBuf)>,
}

/// `bwrap`'s arguments for `plan`, up to and including the `--` before the command.
pub fn arguments(plan: &Plan, is_symlink: impl Fn(&Path) -> Option<PathBuf>) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |items: &[&dyn AsRef<std::ffi::OsStr>]| args.extend(items.iter().map(|i| i.as_ref().to_owned()));
    push(&[&"--die-with-parent", &"--new-session", &"--cap-drop", &"ALL"]);
    push(&[&"--unshare-pid", &"--unshare-ipc", &"--unshare-uts", &"--unshare-cgroup-try"]);
    if plan.no_network || plan.egress.is_some() {
        push(&[&"--unshare-net"]);
    }
    push(&[&"--hostname", &"mcp"]);
    for dir in SYSTEM {
        match is_symlink(Path::new(dir)) {
            Some(target) => push(&[&"--symlink", &target, &dir]),
            None => push(&[&"--ro-bind-try", &dir, &dir]),
        }
    }
    for file in ETC {
        push(&[&"--ro-bind-try", &file, &file]);
    }
    push(&[&"--proc", &"/proc", &"--dev", &"/dev", &"--tmpfs", &"/tmp"]);
    // A bind covers what is already mounted below its target: parents go first, so a
    // read-only path inside a writable one stays read-only.
    let mut binds: Vec<&Bind> = plan.binds.iter().collect();
    binds.sort_by_key(|bind| bind.target.components().count());
    for bind in binds {
        let how = if bind.writable { "--bind" } else { "--ro-bind" };
        push(&[&how, &bind.source, &bind.target]);
    }
    // The sandbox's own paths come last, so that no mount covers them.
    push(&[&"--bind", &plan.home, &SANDBOX_HOME]);
    if let Some((socket, relay)) = &plan.egress {
        push(&[&"--dir", &RUN_DIR, &"--ro-bind", relay, &RELAY_IN_SANDBOX]);
        push(&[&"--bind", socket, &SOCKET_IN_SANDBOX]);
    }
    push(&[&"--chdir", &SANDBOX_HOME, &"--"]);
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(plan: &Plan) -> String {
        let merged = |p: &Path| (p != Path::new("/usr")).then(|| PathBuf::from(format!("usr{}", p.display())));
        arguments(plan, merged).iter().map(|a| a.to_str().unwrap()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_sandbox_sees_the_system_read_only_its_home_and_nothing_else() {
        let plan = Plan { home: "/state/homes/demo/fs".into(), ..Plan::default() };
        let args = joined(&plan);
        assert!(
            args.starts_with("--die-with-parent --new-session --cap-drop ALL --unshare-pid --unshare-ipc"),
            "{args}"
        );
        assert!(args.contains("--ro-bind-try /usr /usr --symlink usr/bin /bin"), "{args}");
        assert!(args.contains("--ro-bind-try /etc/resolv.conf /etc/resolv.conf"), "{args}");
        assert!(args.contains("--proc /proc --dev /dev --tmpfs /tmp --bind /state/homes/demo/fs /home/mcp"), "{args}");
        assert!(args.contains("/etc/ssl/certs") && !args.contains("/etc/ssl "), "{args}");
        assert!(args.ends_with("--chdir /home/mcp --"), "{args}");
        assert!(!args.contains("--unshare-net"), "{args}");
        // Nothing of the host is bound whole.
        assert!(!args.contains(" / "), "{args}");
        assert!(!args.contains("--bind /etc ") && !args.contains("/etc /etc"), "{args}");
    }

    #[test]
    fn mounts_keep_their_mode_and_egress_brings_the_proxy_in() {
        let plan = Plan {
            home: "/h".into(),
            binds: vec![
                Bind::read_only("/srv/data/conf".into()),
                Bind { source: "/var/srv/data".into(), target: "/srv/data".into(), writable: true },
                Bind::read_only("/opt/server".into()),
            ],
            no_network: false,
            egress: Some(("/state/run/e1.sock".into(), "/usr/local/bin/mcpgw".into())),
        };
        let args = joined(&plan);
        // Parents first: the read-only path inside the writable one stays read-only.
        assert!(
            args.contains("--bind /var/srv/data /srv/data --ro-bind /opt/server /opt/server --ro-bind /srv/data/conf /srv/data/conf --bind /h /home/mcp"),
            "{args}"
        );
        assert!(args.contains("--unshare-net"), "{args}");
        assert!(args.contains("--ro-bind /usr/local/bin/mcpgw /run/mcpgw/mcpgw"), "{args}");
        assert!(args.contains("--bind /state/run/e1.sock /run/mcpgw/egress.sock"), "{args}");
        let none = joined(&Plan { home: "/h".into(), no_network: true, ..Plan::default() });
        assert!(none.contains("--unshare-net") && !none.contains("/run/mcpgw"), "{none}");
    }
}
