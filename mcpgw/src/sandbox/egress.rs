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
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (allowed, owner) = (allowed.clone(), owner.clone());
                tokio::spawn(async move { serve(stream, &allowed, &owner).await });
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

/// Where a request head asks to go: `(host, port, is_connect)`.
fn destination(head: &[u8]) -> Result<Option<(String, u16, bool)>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(()),
    }
    let (method, target) = (request.method.ok_or(())?, request.path.ok_or(())?);
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = split_authority(target, 443).ok_or(())?;
        return Ok(Some((host, port, true)));
    }
    let rest = target.strip_prefix("http://").ok_or(())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = split_authority(authority, 80).ok_or(())?;
    Ok(Some((host, port, false)))
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
    let (host, port, connect) = loop {
        let read = match tokio::time::timeout(CONNECT_TIMEOUT, client.read(&mut buf)).await {
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
    let shown = format!("{host}:{port}");
    if !is_allowed(allowed, &host, port) {
        tracing::warn!(
            target: "mcpgw::egress",
            project = %owner.project, server = %owner.server, destination = %shown,
            "egress refused: not in the server's sandbox.egress"
        );
        let text = format!("mcpgw: egress to {shown} is not allowed for server {} (sandbox.egress)\n", owner.server);
        let _ = client.write_all(answer(403, &text).as_bytes()).await;
        return;
    }
    let upstream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port))).await;
    let Ok(Ok(mut upstream)) = upstream else {
        tracing::info!(target: "mcpgw::egress", project = %owner.project, server = %owner.server, destination = %shown, "egress destination unreachable");
        let _ = client.write_all(answer(502, &format!("mcpgw: {shown} is unreachable\n")).as_bytes()).await;
        return;
    };
    tracing::debug!(target: "mcpgw::egress", project = %owner.project, server = %owner.server, destination = %shown, "egress");
    let sent = if connect {
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await
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
    fn a_request_head_names_its_destination() {
        let connect = b"CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n\r\n";
        assert_eq!(destination(connect), Ok(Some(("api.github.com".to_owned(), 443, true))));
        let plain = b"GET http://user@10.0.0.1:8080/x?y HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n";
        assert_eq!(destination(plain), Ok(Some(("10.0.0.1".to_owned(), 8080, false))));
        assert_eq!(destination(b"GET http://[::1]/ HTTP/1.1\r\n\r\n"), Ok(Some(("::1".to_owned(), 80, false))));
        assert_eq!(destination(b"CONNECT api.github"), Ok(None));
        // Origin form is not a proxy request: it names no destination.
        assert_eq!(destination(b"GET /x HTTP/1.1\r\n\r\n"), Err(()));
        assert_eq!(destination(b"\x16\x03\x01 not http\r\n\r\n"), Err(()));
    }
}
