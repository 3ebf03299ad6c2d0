//! mcpd's integration tests: the HTTP API of a real daemon, on PostgreSQL and on SQLite.

mod helpers;

mod access;
mod apply;
mod auth;
mod backends;
mod client;
mod concurrency;
mod console;
mod gateway;
mod hardening;
mod health;
mod hostile;
mod layering;
mod process;
mod resources;
mod tokens;
mod tools;
mod watch;
