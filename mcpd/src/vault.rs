//! The KV version 2 protocol of OpenBao and Vault: reading, writing and destroying one
//! secret's values, reading its current version, the server's health, and logging in with a
//! token or an AppRole (renewed before it expires). Errors never carry a value or a token.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How mcpd logs in to a backend.
#[derive(Clone)]
pub enum Login {
    Token(String),
    AppRole { mount: String, role_id: String, secret_id: String },
}

/// Everything a client needs: from the backend's spec and its credential's value.
#[derive(Clone)]
pub struct Settings {
    pub name: String,
    pub address: String,
    pub mount: String,
    pub path_prefix: String,
    pub namespace: Option<String>,
    pub ca_cert: Option<String>,
    pub login: Login,
}

impl Settings {
    /// Tells settings apart without keeping the credential readable in a map key.
    fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for part in [&self.address, &self.mount, &self.path_prefix] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.update(self.namespace.as_deref().unwrap_or("").as_bytes());
        hash.update([0]);
        hash.update(self.ca_cert.as_deref().unwrap_or("").as_bytes());
        hash.update([0]);
        match &self.login {
            Login::Token(token) => hash.update(token.as_bytes()),
            Login::AppRole { mount, role_id, secret_id } => {
                for part in [mount, role_id, secret_id] {
                    hash.update(part.as_bytes());
                    hash.update([0]);
                }
            }
        }
        crate::util::hex(&hash.finalize())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("secret backend \"{0}\" is unreachable: {1}")]
    Unreachable(String, String),
    #[error("secret backend \"{0}\" is sealed")]
    Sealed(String),
    #[error("secret backend \"{0}\" refused mcpd: {1}")]
    Denied(String, String),
    #[error("secret backend \"{0}\": the values changed meanwhile (check-and-set failed); try again")]
    Conflict(String),
    #[error("secret backend \"{0}\" answered {1}")]
    Failed(String, String),
    #[error("secret backend \"{0}\" cannot be used: {1}")]
    Settings(String, String),
}

impl Error {
    /// Whether the backend could not be asked at all (down, sealed), rather than refusing.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unreachable(..) | Error::Sealed(_))
    }
}

/// One secret's values and the version they are at.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub data: BTreeMap<String, String>,
    pub version: u64,
}

/// What `sys/health` says.
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    pub sealed: bool,
    pub version: Option<String>,
}

struct Session {
    token: String,
    /// When a login's token ends (an AppRole's lease); `None` for a given token.
    expires: Option<Instant>,
    lease: Duration,
}

pub struct Client {
    settings: Settings,
    http: reqwest::Client,
    session: tokio::sync::Mutex<Option<Session>>,
}

impl Client {
    fn new(settings: Settings) -> Result<Client, Error> {
        let mut builder =
            reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).timeout(REQUEST_TIMEOUT).use_rustls_tls();
        if let Some(pem) = &settings.ca_cert {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|_| Error::Settings(settings.name.clone(), "caCert is not valid PEM".to_owned()))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(|e| Error::Settings(settings.name.clone(), e.to_string()))?;
        Ok(Client { settings, http, session: tokio::sync::Mutex::new(None) })
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.settings.address.trim_end_matches('/'))
    }

    fn data_path(&self, secret: &str) -> String {
        format!("{}/data/{}/{secret}", self.settings.mount, self.settings.path_prefix)
    }

    fn metadata_path(&self, secret: &str) -> String {
        format!("{}/metadata/{}/{secret}", self.settings.mount, self.settings.path_prefix)
    }

    /// Sends one request, without a token when `token` is `None`. The answer's status and JSON
    /// body (`Null` when there is none).
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), Error> {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("X-Vault-Token", token);
        }
        if let Some(namespace) = &self.settings.namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| self.unreachable(&e))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, body))
    }

    fn unreachable(&self, e: &reqwest::Error) -> Error {
        // The causes, to tell a certificate refused from a connection refused.
        let mut chain = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(cause) = source {
            chain.push_str(&cause.to_string().to_ascii_lowercase());
            source = cause.source();
        }
        let why = if e.is_timeout() {
            "timed out".to_owned()
        } else if chain.contains("certificate") || chain.contains("tls") {
            "TLS failed: its certificate is not trusted (set caCert) or does not name this address".to_owned()
        } else if e.is_connect() {
            "cannot connect".to_owned()
        } else {
            "the connection failed".to_owned()
        };
        Error::Unreachable(self.settings.name.clone(), why)
    }

    /// The error an unexpected answer means: sealed, refused, or anything else by status,
    /// with the server's own messages (which name paths, never values).
    fn failure(&self, status: StatusCode, body: &Value) -> Error {
        let name = self.settings.name.clone();
        let messages: Vec<&str> =
            body["errors"].as_array().into_iter().flatten().filter_map(Value::as_str).take(3).collect();
        let said = messages.join("; ");
        let said: String = said.chars().filter(|c| !c.is_control()).take(300).collect();
        if status == StatusCode::SERVICE_UNAVAILABLE && said.contains("sealed") {
            return Error::Sealed(name);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return Error::Unreachable(name, "unavailable".to_owned());
        }
        if status == StatusCode::FORBIDDEN {
            return Error::Denied(name, if said.is_empty() { "permission denied".to_owned() } else { said });
        }
        Error::Failed(name, if said.is_empty() { status.to_string() } else { format!("{status}: {said}") })
    }

    /// The token to send: the given one, or an AppRole login's, logging in again when half of
    /// its lease has passed.
    async fn token(&self, fresh: bool) -> Result<String, Error> {
        let mut session = self.session.lock().await;
        let due = match session.as_ref() {
            None => true,
            Some(s) => {
                fresh || s.expires.is_some_and(|end| end.saturating_duration_since(Instant::now()) < s.lease / 2)
            }
        };
        if due {
            *session = Some(self.login().await?);
        }
        Ok(session.as_ref().map(|s| s.token.clone()).unwrap_or_default())
    }

    async fn login(&self) -> Result<Session, Error> {
        match &self.settings.login {
            Login::Token(token) => Ok(Session { token: token.clone(), expires: None, lease: Duration::ZERO }),
            Login::AppRole { mount, role_id, secret_id } => {
                let body = json!({"role_id": role_id, "secret_id": secret_id});
                let (status, answer) =
                    self.send(Method::POST, &format!("auth/{mount}/login"), None, Some(body)).await?;
                if !status.is_success() {
                    return Err(self.failure(status, &answer));
                }
                let token = answer["auth"]["client_token"].as_str().unwrap_or_default().to_owned();
                if token.is_empty() {
                    return Err(Error::Failed(self.settings.name.clone(), "the AppRole login gave no token".into()));
                }
                let lease = Duration::from_secs(answer["auth"]["lease_duration"].as_u64().unwrap_or(0));
                let expires = (!lease.is_zero()).then(|| Instant::now() + lease);
                Ok(Session { token, expires, lease })
            }
        }
    }

    /// Sends an authenticated request; an AppRole login refused once is made again.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<(StatusCode, Value), Error> {
        let token = self.token(false).await?;
        let (status, answer) = self.send(method.clone(), path, Some(&token), body.clone()).await?;
        if status == StatusCode::FORBIDDEN && matches!(self.settings.login, Login::AppRole { .. }) {
            let token = self.token(true).await?;
            return self.send(method, path, Some(&token), body).await;
        }
        Ok((status, answer))
    }

    /// A secret's current values, or `None` when the backend has none.
    pub async fn read(&self, secret: &str) -> Result<Option<Values>, Error> {
        let (status, body) = self.call(Method::GET, &self.data_path(secret), None).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let data = &body["data"]["data"];
                if data.is_null() {
                    // The current version was deleted (not destroyed): no values.
                    return Ok(None);
                }
                let data = data
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                    .collect();
                Ok(Some(Values { data, version: body["data"]["metadata"]["version"].as_u64().unwrap_or(0) }))
            }
            s => Err(self.failure(s, &body)),
        }
    }

    /// Writes a secret's values as a new version; with `cas`, only over that version (`0`:
    /// only when there is none). The new version.
    pub async fn write(&self, secret: &str, data: &BTreeMap<String, String>, cas: Option<u64>) -> Result<u64, Error> {
        let mut body = json!({"data": data});
        if let Some(cas) = cas {
            body["options"] = json!({"cas": cas});
        }
        let (status, answer) = self.call(Method::POST, &self.data_path(secret), Some(body)).await?;
        match status {
            s if s.is_success() => Ok(answer["data"]["version"].as_u64().unwrap_or(0)),
            StatusCode::BAD_REQUEST
                if answer["errors"].as_array().into_iter().flatten().any(|e| {
                    e.as_str().is_some_and(|e| e.contains("check-and-set") || e.contains("did not match"))
                }) =>
            {
                Err(Error::Conflict(self.settings.name.clone()))
            }
            s => Err(self.failure(s, &answer)),
        }
    }

    /// The version a secret's values are at now, from its metadata (no values read); `None`
    /// when the backend has none.
    pub async fn version(&self, secret: &str) -> Result<Option<u64>, Error> {
        let (status, body) = self.call(Method::GET, &self.metadata_path(secret), None).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(body["data"]["current_version"].as_u64()),
            s => Err(self.failure(s, &body)),
        }
    }

    /// Removes a secret and every version of it; nothing there is fine.
    pub async fn destroy(&self, secret: &str) -> Result<(), Error> {
        let (status, body) = self.call(Method::DELETE, &self.metadata_path(secret), None).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(()),
            s if s.is_success() => Ok(()),
            s => Err(self.failure(s, &body)),
        }
    }

    /// Whether the server answers, and whether it is sealed.
    pub async fn health(&self) -> Result<Health, Error> {
        let (status, body) =
            self.send(Method::GET, "sys/health?standbyok=true&sealedcode=200&uninitcode=200", None, None).await?;
        if !status.is_success() {
            return Err(self.failure(status, &body));
        }
        Ok(Health {
            sealed: body["sealed"].as_bool().unwrap_or(false),
            version: body["version"].as_str().map(str::to_owned),
        })
    }

    /// Renews a renewable given token when less than half its time is left; an AppRole
    /// logs in again when due. Checks that the credential still works either way.
    pub async fn renew(&self) -> Result<(), Error> {
        if matches!(self.settings.login, Login::AppRole { .. }) {
            self.token(false).await?;
            return Ok(());
        }
        let (status, body) = self.call(Method::GET, "auth/token/lookup-self", None).await?;
        if !status.is_success() {
            return Err(self.failure(status, &body));
        }
        let ttl = body["data"]["ttl"].as_u64().unwrap_or(0);
        let creation = body["data"]["creation_ttl"].as_u64().unwrap_or(0);
        let renewable = body["data"]["renewable"].as_bool().unwrap_or(false);
        if renewable && ttl > 0 && ttl * 2 < creation.max(1) {
            let (status, body) = self.call(Method::POST, "auth/token/renew-self", Some(json!({}))).await?;
            if !status.is_success() {
                return Err(self.failure(status, &body));
            }
            tracing::info!(backend = %self.settings.name, "renewed the secret backend's token");
        }
        Ok(())
    }
}

/// The clients of every backend in use, and the values last read, by version.
#[derive(Default)]
pub struct Vaults {
    clients: Mutex<HashMap<String, (String, Arc<Client>)>>,
    values: Mutex<HashMap<(String, String), Values>>,
}

impl Vaults {
    /// The client for these settings: the same one while they stay the same.
    pub fn client(&self, settings: Settings) -> Result<Arc<Client>, Error> {
        let fingerprint = settings.fingerprint();
        let mut clients = self.clients.lock().unwrap();
        if let Some((known, client)) = clients.get(&settings.name) {
            if *known == fingerprint {
                return Ok(client.clone());
            }
        }
        let name = settings.name.clone();
        let client = Arc::new(Client::new(settings)?);
        clients.insert(name, (fingerprint, client.clone()));
        Ok(client)
    }

    /// Values read before at exactly `version`.
    pub fn cached(&self, backend: &str, secret: &str, version: u64) -> Option<BTreeMap<String, String>> {
        let values = self.values.lock().unwrap();
        values.get(&(backend.to_owned(), secret.to_owned())).filter(|v| v.version == version).map(|v| v.data.clone())
    }

    pub fn remember(&self, backend: &str, secret: &str, values: &Values) {
        self.values.lock().unwrap().insert((backend.to_owned(), secret.to_owned()), values.clone());
    }

    /// Forgets every value read from a backend (which stopped answering).
    pub fn forget_backend(&self, backend: &str) {
        self.values.lock().unwrap().retain(|(b, _), _| b != backend);
    }

    pub fn forget(&self, backend: &str, secret: &str) {
        self.values.lock().unwrap().remove(&(backend.to_owned(), secret.to_owned()));
    }
}
