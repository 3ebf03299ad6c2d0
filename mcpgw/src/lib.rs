//! mcpgw, the MCP gateway, as a library: `startup` builds and serves it, so the binary and
//! tests start it the same way. See `docs/gateway.md` and ARCHITECTURE.md.

mod access;
mod audit;
mod catalog;
mod downstream;
mod gateway;
mod http;
mod metrics;
mod names;
mod project;
mod session;
pub mod settings;
pub mod startup;
mod upstream;
