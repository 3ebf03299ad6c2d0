//! mcpctl's integration tests: the real binary against a real mcpd, on PostgreSQL and SQLite.

mod helpers;

mod apply;
mod backends;
mod completion;
mod errors;
mod get;
mod habits;
mod identity;
mod layering;
mod session;
mod snapshots;
mod tools;
