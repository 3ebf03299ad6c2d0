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
mod sandbox;
mod session;
pub mod settings;
/// The hidden `mcpgw egress-relay` that runs inside a sandbox.
pub use sandbox::relay as egress_relay;
pub mod startup;
mod upstream;
