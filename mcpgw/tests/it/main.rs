//! The gateway through its real binary, between real software this project did not write: the
//! reference MCP server `server-everything` from npm (over stdio and Streamable HTTP) and
//! servers on the official TypeScript and Python SDKs as upstreams, and the official Python
//! MCP SDK as client, with mcpd on PostgreSQL (two replicas)
//! and on SQLite. `scripts/test` installs both into `target/`.

mod access;
mod clients;
mod harness;
mod hostile;
mod layering;
mod live;
mod policy;
mod processes;
mod relay;
mod sandbox;
mod sessions;
