//! A stdio server's sandbox: what of the host it may see and reach, and how much it may use.
//! The gateway enforces it (bubblewrap, or a container for `image`, and cgroups); here are its
//! fields, its defaults and its validation.

use serde::{Deserialize, Serialize};

use crate::status::Cause;

/// Memory a server's process may use when its spec says nothing.
pub const DEFAULT_MEMORY: &str = "1Gi";
/// Processes and threads a server's process may run when its spec says nothing.
pub const DEFAULT_PROCESSES: u32 = 256;
/// The most processes a limit may grant (the kernel's own default `pid_max` is 32768 per
/// namespace).
const MAX_PROCESSES: u32 = 1 << 16;
/// The least memory a limit may grant: below it no runtime starts.
const MIN_MEMORY: u64 = 16 << 20;
/// Where a server's private home is, inside its sandbox.
pub const SANDBOX_HOME: &str = "/home/mcp";
/// Paths of the sandbox itself, which a mount may not cover (a path under its private `/tmp`
/// may be mounted; `/tmp` itself may not).
const RESERVED: [&str; 4] = ["/proc", "/dev", SANDBOX_HOME, "/run/mcpgw"];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sandbox {
    /// Outbound network: `open` (the default) or `none` (loopback only). Leave it unset when
    /// `egress` lists destinations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// Only these destinations, `host[:port]` (`*.example.com` for its subdomains; port 443
    /// when not given), through the gateway's egress proxy; every other connection is
    /// refused and logged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<String>,
    /// Memory the process may use, e.g. `512Mi`, `2Gi` (default 1Gi); past it the process is
    /// killed and the call gets an error naming the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Processes and threads the server may run at once (default 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<u32>,
    /// More host paths the server sees, at the same path: read-only unless `readOnly: false`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// Outbound connections allowed.
    Open,
    /// No network but loopback.
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mount {
    /// An absolute host path.
    pub path: String,
    /// Whether the server may only read it (the default).
    #[serde(default = "read_only", skip_serializing_if = "is_read_only")]
    pub read_only: bool,
}

fn read_only() -> bool {
    true
}

fn is_read_only(read_only: &bool) -> bool {
    *read_only
}

/// How a sandbox reaches the network, once its fields are read together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach<'a> {
    Open,
    None,
    Egress(&'a [String]),
}

impl Sandbox {
    pub fn reach(&self) -> Reach<'_> {
        match (self.network, self.egress.is_empty()) {
            (_, false) => Reach::Egress(&self.egress),
            (Some(Network::None), true) => Reach::None,
            (_, true) => Reach::Open,
        }
    }

    /// The memory limit in bytes.
    pub fn memory_bytes(&self) -> u64 {
        let text = self.memory.as_deref().unwrap_or(DEFAULT_MEMORY);
        parse_memory(text).expect("memory limits are validated on write")
    }

    /// The memory limit as written (`1Gi` when not given).
    pub fn memory_shown(&self) -> &str {
        self.memory.as_deref().unwrap_or(DEFAULT_MEMORY)
    }

    pub fn processes(&self) -> u32 {
        self.processes.unwrap_or(DEFAULT_PROCESSES)
    }

    pub fn is_default(&self) -> bool {
        *self == Sandbox::default()
    }

    pub(super) fn validate(&self, causes: &mut Vec<Cause>) {
        if self.network.is_some() && !self.egress.is_empty() {
            causes.push(Cause::invalid(
                "spec.sandbox.network",
                "set network (open or none) or egress (the destinations allowed), not both",
            ));
        }
        for (i, destination) in self.egress.iter().enumerate() {
            if let Err(msg) = parse_destination(destination) {
                causes.push(Cause::invalid(format!("spec.sandbox.egress[{i}]"), msg));
            }
        }
        if let Some(memory) = &self.memory {
            match parse_memory(memory) {
                Err(msg) => causes.push(Cause::invalid("spec.sandbox.memory", msg)),
                Ok(bytes) if bytes < MIN_MEMORY => {
                    causes.push(Cause::invalid("spec.sandbox.memory", "must be at least 16Mi"))
                }
                Ok(_) => {}
            }
        }
        match self.processes {
            Some(0) => causes.push(Cause::invalid("spec.sandbox.processes", "must be at least 1")),
            Some(n) if n > MAX_PROCESSES => {
                causes.push(Cause::invalid("spec.sandbox.processes", format!("must be at most {MAX_PROCESSES}")))
            }
            _ => {}
        }
        for (i, mount) in self.mounts.iter().enumerate() {
            if let Err(msg) = check_mount_path(&mount.path) {
                causes.push(Cause::invalid(format!("spec.sandbox.mounts[{i}].path"), msg));
            }
        }
    }
}

/// `512Mi`, `2Gi`, `1G`, `100M`, `65536` (bytes): the limit in bytes.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let shown = crate::name::shown(text);
    let wrong = || format!("{shown:?} is not a quantity of memory like 512Mi or 2Gi");
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| wrong())?;
    let scale: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "K" | "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => return Err(wrong()),
    };
    n.checked_mul(scale).ok_or_else(wrong)
}

/// An egress entry's host and port (443 when not given).
pub fn parse_destination(text: &str) -> Result<(&str, u16), String> {
    let shown = crate::name::shown(text);
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') || host.starts_with('[') => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("{shown:?} has no valid port after its colon"))?;
            (host, port)
        }
        _ => (text, 443),
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = host.strip_prefix("*.").unwrap_or(host);
    let is_ip = bare.parse::<std::net::IpAddr>().is_ok();
    let is_name = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !(is_ip || is_name) {
        return Err(format!("{shown:?} is not host[:port] (a DNS name, *.a.domain, or an IP address)"));
    }
    Ok((host, port))
}

/// Why a mount's path cannot be one, if it cannot: relative, `/`, `/tmp`, or a path of the
/// sandbox's own.
pub fn check_mount_path(path: &str) -> Result<(), String> {
    let shown = crate::name::shown(path);
    if !path.starts_with('/') {
        return Err(format!("{shown:?} must be an absolute path"));
    }
    if path.split('/').any(|part| part == "." || part == "..") {
        return Err(format!("{shown:?} must not contain . or .."));
    }
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Err("the whole filesystem cannot be mounted".to_owned());
    }
    if path == "/tmp" {
        return Err("/tmp is the sandbox's own (a path under it may be mounted)".to_owned());
    }
    if let Some(reserved) = RESERVED.iter().find(|r| path == **r || path.starts_with(&format!("{r}/"))) {
        return Err(format!("{reserved} is the sandbox's own"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::spec::{normalize, ServerSpec};

    fn causes(sandbox: serde_json::Value) -> Vec<(String, String)> {
        match normalize::<ServerSpec>(&json!({"transport": "stdio", "command": "x", "sandbox": sandbox})) {
            Ok(_) => vec![],
            Err(causes) => causes.into_iter().map(|c| (c.field, c.message)).collect(),
        }
    }

    #[test]
    fn quantities_of_memory_read_as_kubernetes_writes_them() {
        assert_eq!(parse_memory("512Mi"), Ok(512 << 20));
        assert_eq!(parse_memory("2Gi"), Ok(2 << 30));
        assert_eq!(parse_memory("100M"), Ok(100_000_000));
        assert_eq!(parse_memory("65536"), Ok(65536));
        assert!(parse_memory("1.5Gi").is_err());
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("99999999999Ti").is_err());
        assert_eq!(Sandbox::default().memory_bytes(), 1 << 30);
        assert_eq!(Sandbox::default().processes(), 256);
    }

    #[test]
    fn destinations_are_hosts_with_an_optional_port() {
        assert_eq!(parse_destination("api.github.com"), Ok(("api.github.com", 443)));
        assert_eq!(parse_destination("127.0.0.1:8080"), Ok(("127.0.0.1", 8080)));
        assert_eq!(parse_destination("*.example.com:80"), Ok(("*.example.com", 80)));
        assert_eq!(parse_destination("[::1]:80"), Ok(("[::1]", 80)));
        assert!(parse_destination("https://api.github.com").is_err());
        assert!(parse_destination("a..b").is_err());
        assert!(parse_destination("host:0").is_err());
        assert!(parse_destination("*.").is_err());
    }

    #[test]
    fn a_sandbox_is_checked_field_by_field() {
        assert_eq!(causes(json!({"network": "none", "memory": "64Mi", "mounts": [{"path": "/opt/data"}]})), vec![]);
        let found = causes(json!({
            "network": "open", "egress": ["ok.example", "bad host"], "memory": "8Mi", "processes": 0,
            "mounts": [{"path": "relative"}, {"path": "/tmp"}, {"path": "/"}, {"path": "/a/../etc"}]
        }));
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.sandbox.network",
                "spec.sandbox.egress[1]",
                "spec.sandbox.memory",
                "spec.sandbox.processes",
                "spec.sandbox.mounts[0].path",
                "spec.sandbox.mounts[1].path",
                "spec.sandbox.mounts[2].path",
                "spec.sandbox.mounts[3].path",
            ],
            "{found:?}"
        );
        assert!(found[5].1.contains("/tmp is the sandbox's own"), "{found:?}");
        let unknown = causes(json!({"netwrok": "none"}));
        assert_eq!(unknown[0].0, "spec.sandbox.netwrok", "{unknown:?}");
    }

    #[test]
    fn the_reach_reads_network_and_egress_together() {
        let egress = vec!["a.example".to_owned()];
        assert_eq!(Sandbox::default().reach(), Reach::Open);
        assert_eq!(Sandbox { network: Some(Network::None), ..Default::default() }.reach(), Reach::None);
        assert_eq!(Sandbox { egress: egress.clone(), ..Default::default() }.reach(), Reach::Egress(&egress));
    }

    #[test]
    fn mounts_are_read_only_unless_said_otherwise_and_round_trip() {
        let spec = normalize::<ServerSpec>(&json!({"transport": "stdio", "command": "x",
            "sandbox": {"mounts": [{"path": "/a"}, {"path": "/b", "readOnly": false}, {"path": "/c", "readOnly": true}]}}))
        .unwrap();
        assert_eq!(
            spec["sandbox"]["mounts"],
            json!([{"path": "/a"}, {"path": "/b", "readOnly": false}, {"path": "/c"}])
        );
        let empty = normalize::<ServerSpec>(&json!({"transport": "stdio", "command": "x", "sandbox": {}})).unwrap();
        assert!(empty.get("sandbox").is_none(), "{empty}");
    }

    #[test]
    fn only_stdio_servers_have_a_sandbox() {
        let err = normalize::<ServerSpec>(
            &json!({"transport": "http", "url": "http://x.example/mcp", "sandbox": {"network": "none"}}),
        )
        .unwrap_err();
        assert_eq!(err[0].field, "spec.sandbox", "{err:?}");
    }
}
