//! Egress for a sandbox whose spec lists destinations: the sandbox has a network namespace of
//! its own (loopback only), where a relay (this binary, `mcpgw egress-relay`) listens on
//! `127.0.0.1:3128` and passes each connection through a Unix socket to the gateway's proxy.
//! The proxy speaks HTTP proxy (`CONNECT host:port`, or a request in absolute form), lets
//! through only the listed destinations, and refuses and logs every other.

use std::os::unix::net::UnixStream as StdUnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};

/// The port the relay listens on inside the sandbox, which `HTTPS_PROXY` names.
pub const RELAY_PORT: u16 = 3128;
/// The longest request head the proxy reads.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client has to send its whole request head, and the proxy to connect onwards.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections one sandbox may hold through its proxy at once; past it, new ones wait.
const MAX_CONNECTIONS: usize = 64;

/// One sandbox's proxy: stops listening, and removes its socket, when dropped.
#[derive(Debug)]
pub struct Proxy {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Who a proxy serves, for its log lines.
#[derive(Clone, Debug)]
pub struct Owner {
    pub project: String,
    pub server: String,
}

impl Proxy {
    /// Listens at `path` for the sandbox of `owner`, letting through `allowed` only.
    pub fn listen(path: PathBuf, allowed: Vec<String>, owner: Owner) -> std::io::Result<Proxy> {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)?;
        // The socket is inside the sandbox: the server may open connections to it directly,
        // so they are bounded, and a failed accept (out of descriptors) stops nothing.
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let task = tokio::spawn(async move {
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else { return };
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let (allowed, owner) = (allowed.clone(), owner.clone());
                        tokio::spawn(async move {
                            serve(stream, &allowed, &owner).await;
                            drop(permit);
                        });
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Ok(Proxy { path, task })
    }
}

/// Whether `host:port` is one of `allowed` (`host[:port]`, port 443 when not given;
/// `*.domain` for any name under it).
pub fn is_allowed(allowed: &[String], host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allowed.iter().any(|entry| {
        let Ok((pattern, allowed_port)) = shared::spec::parse_destination(entry) else { return false };
        let pattern = pattern.to_ascii_lowercase();
        let host_matches = match pattern.strip_prefix("*.") {
            Some(domain) => host.len() > domain.len() + 1 && host.ends_with(&format!(".{domain}")),
            None => host == pattern.trim_start_matches('[').trim_end_matches(']'),
        };
        host_matches && port == allowed_port
    })
}

/// Where a request head asks to go.
#[derive(Debug, PartialEq, Eq)]
struct Destination {
    host: String,
    port: u16,
    /// `CONNECT`: a tunnel, whose bytes after the head are the client's.
    connect: bool,
    /// The length of the request head.
    head: usize,
}

fn destination(head: &[u8]) -> Result<Option<Destination>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let length = match request.parse(head) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(()),
    };
    let (method, target) = (request.method.ok_or(())?, request.path.ok_or(())?);
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = split_authority(target, 443).ok_or(())?;
        return Ok(Some(Destination { host, port, connect: true, head: length }));
    }
    let rest = target.strip_prefix("http://").ok_or(())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = split_authority(authority, 80).ok_or(())?;
    Ok(Some(Destination { host, port, connect: false, head: length }))
}

/// Addresses a name may not lead a sandbox to: the gateway host's own services (loopback)
/// and link-local ones such as cloud metadata endpoints. An entry that is itself an address
/// is taken as meant.
fn is_local(address: std::net::IpAddr) -> bool {
    let address = match address {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
        v4 => v4,
    };
    match address {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_link_local() || v4.is_unspecified(),
        std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None => default_port,
        };
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((authority.to_owned(), default_port)),
    }
    .filter(|(host, _)| !host.is_empty())
}

async fn serve(mut client: UnixStream, allowed: &[String], owner: &Owner) {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    let wanted = loop {
        let read = match tokio::time::timeout_at(deadline, client.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return,
        };
        head.extend_from_slice(&buf[..read]);
        match destination(&head) {
            Ok(Some(found)) => break found,
            Ok(None) if head.len() < MAX_HEAD => continue,
            _ => {
                let _ = client.write_all(answer(400, "mcpgw: not an HTTP proxy request\n").as_bytes()).await;
                return;
            }
        }
    };
    let shown = format!("{}:{}", wanted.host, wanted.port);
    let refuse = |why: &str| {
        tracing::warn!(
            target: "mcpgw::egress",
            project = %owner.project, server = %owner.server, destination = %shown,
            "egress refused: {why}"
        );
    };
    if !is_allowed(allowed, &wanted.host, wanted.port) {
        refuse("not in the server's sandbox.egress");
        let text = format!("mcpgw: egress to {shown} is not allowed for server {} (sandbox.egress)\n", owner.server);
        let _ = client.write_all(answer(403, &text).as_bytes()).await;
        return;
    }
    let literal = wanted.host.parse::<std::net::IpAddr>().is_ok();
    let resolved =
        tokio::time::timeout_at(deadline, tokio::net::lookup_host((wanted.host.as_str(), wanted.port))).await;
    let found: Vec<std::net::SocketAddr> = match resolved {
        Ok(Ok(addresses)) => addresses.collect(),
        _ => Vec::new(),
    };
    let addresses: Vec<std::net::SocketAddr> = found.iter().copied().filter(|a| literal || !is_local(a.ip())).collect();
    if addresses.is_empty() && !found.is_empty() {
        refuse("the name leads only to loopback or link-local addresses");
        let text = format!("mcpgw: {shown} leads only to loopback or link-local addresses\n");
        let _ = client.write_all(answer(403, &text).as_bytes()).await;
        return;
    }
    let upstream = tokio::time::timeout_at(deadline, TcpStream::connect(&addresses[..])).await;
    let Ok(Ok(mut upstream)) = upstream else {
        tracing::info!(target: "mcpgw::egress", project = %owner.project, server = %owner.server, destination = %shown, "egress destination unreachable");
        let _ = client.write_all(answer(502, &format!("mcpgw: {shown} is unreachable\n")).as_bytes()).await;
        return;
    };
    tracing::debug!(target: "mcpgw::egress", project = %owner.project, server = %owner.server, destination = %shown, "egress");
    // A tunnel passes on what the client sent after its head; a plain request, all of it.
    let sent = if wanted.connect {
        match client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await {
            Ok(()) => upstream.write_all(&head[wanted.head..]).await,
            Err(e) => Err(e),
        }
    } else {
        upstream.write_all(&head).await
    };
    if sent.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

fn answer(status: u16, text: &str) -> String {
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        _ => "Bad Gateway",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
}

/// `mcpgw egress-relay SOCKET -- COMMAND [ARGS...]`, run inside the sandbox: listens on
/// 127.0.0.1:[`RELAY_PORT`] and passes each connection to the proxy's socket, while it runs
/// the server's command with its own standard input and output; exits as the command does.
pub fn relay(args: &[std::ffi::OsString]) -> std::process::ExitCode {
    let (Some(socket), Some(command)) = (args.first(), args.get(2).filter(|_| args.get(1).is_some_and(|a| a == "--")))
    else {
        eprintln!("usage: mcpgw egress-relay SOCKET -- COMMAND [ARGS...]");
        return std::process::ExitCode::from(2);
    };
    let listener = match std::net::TcpListener::bind(("127.0.0.1", RELAY_PORT)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("mcpgw egress-relay: cannot listen on 127.0.0.1:{RELAY_PORT}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let socket = PathBuf::from(socket);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let socket = socket.clone();
            std::thread::spawn(move || pass(stream, &socket));
        }
    });
    match std::process::Command::new(command).args(&args[3..]).status() {
        Ok(status) => std::process::ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("mcpgw egress-relay: cannot start {}: {e}", command.to_string_lossy());
            std::process::ExitCode::from(127)
        }
    }
}

/// Copies one connection both ways between the sandbox's client and the proxy's socket.
fn pass(client: std::net::TcpStream, socket: &Path) {
    let Ok(proxy) = StdUnixStream::connect(socket) else { return };
    let (Ok(mut client_in), Ok(mut proxy_in)) = (client.try_clone(), proxy.try_clone()) else { return };
    let (mut client_out, mut proxy_out) = (client, proxy);
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut proxy_out);
        let _ = proxy_out.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut proxy_in, &mut client_out);
    let _ = client_out.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_destinations_pass() {
        let allowed = vec!["api.github.com".to_owned(), "127.0.0.1:8080".to_owned(), "*.example.com:80".to_owned()];
        assert!(is_allowed(&allowed, "api.github.com", 443));
        assert!(is_allowed(&allowed, "API.GitHub.com.", 443));
        assert!(!is_allowed(&allowed, "api.github.com", 80));
        assert!(!is_allowed(&allowed, "github.com", 443));
        assert!(is_allowed(&allowed, "127.0.0.1", 8080));
        assert!(!is_allowed(&allowed, "127.0.0.1", 8081));
        assert!(is_allowed(&allowed, "a.example.com", 80));
        assert!(!is_allowed(&allowed, "example.com", 80));
        assert!(!is_allowed(&allowed, "evilexample.com", 80));
        assert!(!is_allowed(&[], "api.github.com", 443));
    }

    #[test]
    fn names_may_not_lead_to_the_hosts_own_services() {
        for local in ["127.0.0.1", "127.8.0.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1", "::ffff:127.0.0.1"] {
            assert!(is_local(local.parse().unwrap()), "{local}");
        }
        for remote in ["140.82.112.5", "10.0.0.5", "2606:4700::1111", "fd00::1"] {
            assert!(!is_local(remote.parse().unwrap()), "{remote}");
        }
    }

    #[test]
    fn a_request_head_names_its_destination() {
        let found = |head: &[u8]| destination(head).map(|d| d.map(|d| (d.host, d.port, d.connect, d.head)));
        let connect = b"CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n\r\n\x16\x03";
        assert_eq!(found(connect), Ok(Some(("api.github.com".to_owned(), 443, true, connect.len() - 2))));
        let plain = b"GET http://user@10.0.0.1:8080/x?y HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n";
        assert_eq!(found(plain), Ok(Some(("10.0.0.1".to_owned(), 8080, false, plain.len()))));
        assert_eq!(found(b"GET http://[::1]/ HTTP/1.1\r\n\r\n").unwrap().unwrap().0, "::1");
        assert_eq!(destination(b"CONNECT api.github"), Ok(None));
        // Origin form is not a proxy request: it names no destination.
        assert_eq!(destination(b"GET /x HTTP/1.1\r\n\r\n"), Err(()));
        assert_eq!(destination(b"\x16\x03\x01 not http\r\n\r\n"), Err(()));
    }
}
