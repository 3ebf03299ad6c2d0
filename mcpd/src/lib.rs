//! mcpd: the REST daemon of mcpctl. `startup` builds the app; `http` routes requests through
//! `auth` to `domain` and `store`. The layers and their order are in ARCHITECTURE.md; the
//! test `layering` keeps them. Only what the binary and the test suites need is public.

pub mod config;
pub mod startup;
pub mod store;
pub mod telemetry;

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod domain;
pub(crate) mod error;
pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod util;
pub(crate) mod vault;

pub use auth::principal::MAX_TOKEN_CHAIN;
pub use http::{routes, Access, Route};
