//! Who may connect: every request to a project's endpoint carries a bearer credential (an
//! McpToken or a session) that mcpd says holds `run connect` on that project. Answers are kept
//! half a second, so a revoked token fails on its next request within a second, open sessions
//! included.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use shared::api::CanIRequest;
use shared::name::ProjectName;

/// How long mcpd's answer for one credential and project is trusted.
pub const DECISION_TTL: Duration = Duration::from_millis(500);
/// How long who a credential is (for the audit trail) is kept.
const IDENTITY_TTL: Duration = Duration::from_secs(300);
/// Entries kept before the oldest are dropped.
const MAX_ENTRIES: usize = 100_000;

/// The client behind a request, once allowed in. It carries a hash of its credential, never
/// the credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// SHA-256 of the bearer credential: what binds a session to the credential that opened it.
    pub key: [u8; 32],
    /// As the audit trail names it: a user's email, or `mcptoken:PROJECT/NAME`.
    pub principal: String,
}

/// Something a session keeps for as long as it lives: its binding to the credential that
/// opened it, put into the `initialize` request by the endpoint.
#[derive(Clone)]
pub struct Held {
    _kept: std::sync::Arc<dyn std::any::Any + Send + Sync>,
}

impl Held {
    pub fn new(kept: std::sync::Arc<dyn std::any::Any + Send + Sync>) -> Held {
        Held { _kept: kept }
    }
}

/// Why a request is refused.
#[derive(Debug)]
pub enum Refusal {
    /// Missing, invalid, expired or revoked: 401.
    Unauthenticated(String),
    /// Valid, but not for this project: 403.
    Forbidden(String),
    /// mcpd could not answer: 503.
    Unavailable(String),
}

/// A credential's hash and a project: what one answer of mcpd is about.
type Question = ([u8; 32], ProjectName);
/// When mcpd answered, and whether it allowed (`Err` with its reason when it did not).
type Answer = (Instant, Result<String, String>);

pub struct Access {
    mcpd: client::Client,
    decisions: Mutex<HashMap<Question, Answer>>,
    identities: Mutex<HashMap<[u8; 32], (Instant, String)>>,
}

impl Access {
    pub fn new(mcpd: client::Client) -> Access {
        Access { mcpd, decisions: Mutex::default(), identities: Mutex::default() }
    }

    /// May the holder of `bearer` connect to `project`?
    pub async fn check(&self, bearer: &str, project: &ProjectName) -> Result<Caller, Refusal> {
        let key: [u8; 32] = Sha256::digest(bearer.as_bytes()).into();
        let cached = {
            let decisions = self.decisions.lock().unwrap();
            decisions
                .get(&(key, project.clone()))
                .filter(|(at, _)| at.elapsed() < DECISION_TTL)
                .map(|(_, answer)| answer.clone())
        };
        let answer = match cached {
            Some(answer) => answer,
            None => {
                let answer = self.ask(bearer, project).await?;
                let mut decisions = self.decisions.lock().unwrap();
                if decisions.len() >= MAX_ENTRIES {
                    decisions.retain(|_, (at, _)| at.elapsed() < DECISION_TTL);
                }
                decisions.insert((key, project.clone()), (Instant::now(), answer.clone()));
                answer
            }
        };
        match answer {
            Ok(_) => Ok(Caller { key, principal: self.identity(bearer, key).await? }),
            Err(why) => Err(Refusal::Forbidden(why)),
        }
    }

    /// Asks mcpd again, whatever was kept: `Err` when the credential is no longer valid or no
    /// longer holds `run connect` on the project.
    pub async fn recheck(&self, bearer: &str, project: &ProjectName) -> Result<(), Refusal> {
        let question = (Sha256::digest(bearer.as_bytes()).into(), project.clone());
        let answer = self.ask(bearer, project).await;
        let mut decisions = self.decisions.lock().unwrap();
        match answer {
            Ok(answer) => {
                decisions.insert(question, (Instant::now(), answer.clone()));
                answer.map(drop).map_err(Refusal::Forbidden)
            }
            Err(refusal) => {
                decisions.remove(&question);
                Err(refusal)
            }
        }
    }

    /// mcpd's answer: `Ok` when allowed, `Err(reason)` when the credential works but may not.
    async fn ask(&self, bearer: &str, project: &ProjectName) -> Result<Result<String, String>, Refusal> {
        let question = CanIRequest {
            verb: "run".to_owned(),
            kind: "connect".to_owned(),
            name: Some(project.to_string()),
            project: None,
            as_user: None,
        };
        match self.mcpd.with_token(bearer).can_i(&question).await {
            Ok(answer) if answer.allowed => Ok(Ok(answer.reason)),
            Ok(_) => Ok(Err(format!(
                "this credential may not connect to project \"{project}\" (it needs run connect on it)"
            ))),
            Err(e) => Err(refusal(e)),
        }
    }

    async fn identity(&self, bearer: &str, key: [u8; 32]) -> Result<String, Refusal> {
        if let Some((at, name)) = self.identities.lock().unwrap().get(&key) {
            if at.elapsed() < IDENTITY_TTL {
                return Ok(name.clone());
            }
        }
        let who = self.mcpd.with_token(bearer).whoami().await.map_err(refusal)?;
        let name = match who.project {
            _ if who.kind == "User" => who.name,
            Some(project) => format!("mcptoken:{project}/{}", who.name),
            None => format!("mcptoken:{}", who.name),
        };
        let mut identities = self.identities.lock().unwrap();
        if identities.len() >= MAX_ENTRIES {
            identities.retain(|_, (at, _)| at.elapsed() < IDENTITY_TTL);
        }
        identities.insert(key, (Instant::now(), name.clone()));
        Ok(name)
    }
}

fn refusal(error: client::Error) -> Refusal {
    match error {
        client::Error::Server(status) if status.code == 401 => Refusal::Unauthenticated(status.message),
        client::Error::Server(status) if status.code == 403 => Refusal::Forbidden(status.message),
        client::Error::Server(status) => {
            tracing::warn!(code = status.code, "mcpd did not answer a credential check: {}", status.message);
            Refusal::Unavailable("the gateway cannot check credentials now".to_owned())
        }
        other => {
            tracing::warn!("mcpd cannot be reached to check a credential: {other}");
            Refusal::Unavailable("the gateway cannot check credentials now".to_owned())
        }
    }
}
