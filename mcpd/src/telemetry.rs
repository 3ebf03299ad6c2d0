//! Structured logs on stderr: `MCPD_LOG` filters, `MCPD_LOG_FORMAT=json|text` shapes.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("MCPD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only on a terminal, and never with NO_COLOR.
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let json = std::env::var("MCPD_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let result = if json { builder.json().try_init() } else { builder.try_init() };
    // Already installed (tests build several apps in one process): keep the first.
    let _ = result;
}
