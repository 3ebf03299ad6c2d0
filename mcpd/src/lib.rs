//! mcpd: the REST daemon of mcpctl. `startup` builds the app; `http` routes requests through
//! `auth` to `domain` and `store`.

pub mod audit;
pub mod auth;
pub mod config;
pub mod error;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod util;
