//! mcpctl's face of the typed client (`client`, blocking): the context it was made for, and
//! every failure as one of mcpctl's errors, whose kinds are its exit codes.

use std::time::Duration;

use serde_json::Value;
use shared::api::{
    ApplyResponse, CanIRequest, CanIResponse, LoginResponse, MigrateRequest, MigrateResult, PasswordChange, Referrer,
    Version, WatchEvent, WhoAmI,
};
use shared::name::ProjectName;
use shared::{KindInfo, Object};

pub use client::PAGE;

use crate::config::Target;
use crate::error::{Error, Result};

/// The client of one command, for the context's server, token and project.
pub struct Client {
    api: client::blocking::Client,
    target: Target,
}

impl From<client::Error> for Error {
    fn from(e: client::Error) -> Error {
        match e {
            client::Error::Server(status) => Error::Server(status),
            client::Error::Unreachable { url, detail } => Error::Unreachable { url, detail },
            client::Error::Invalid(message) => Error::Invalid(message),
        }
    }
}

impl Client {
    /// `timeout` bounds each request (`None`: no limit); connecting never takes over 10 s.
    pub fn new(target: Target, verbose: bool, timeout: Option<Duration>) -> Client {
        let config = client::Config { server: target.server.clone(), token: target.token.clone(), timeout, verbose };
        Client { api: client::blocking::Client::new(config), target }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Every object of a kind, following pages.
    pub fn list(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        selector: Option<&str>,
        show_values: bool,
    ) -> Result<Vec<Object>> {
        self.list_at(kind, project, selector, show_values).map(|(items, _)| items)
    }

    /// Like [`Client::list`], with the revision the list reflects (to watch from).
    pub fn list_at(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        selector: Option<&str>,
        show_values: bool,
    ) -> Result<(Vec<Object>, Option<String>)> {
        let params = client::ListParams { label_selector: selector.map(str::to_owned), show_values };
        Ok(self.api.list_at(kind, project, &params)?)
    }

    pub fn get(&self, kind: &KindInfo, project: Option<&ProjectName>, name: &str, show_values: bool) -> Result<Object> {
        Ok(self.api.get(kind, project, name, show_values)?)
    }

    pub fn create(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        manifest: &Value,
        dry_run: bool,
    ) -> Result<Object> {
        Ok(self.api.create(kind, project, manifest, dry_run)?)
    }

    pub fn replace(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        object: &Object,
        dry_run: bool,
    ) -> Result<Object> {
        Ok(self.api.replace(kind, project, object, dry_run)?)
    }

    pub fn delete(&self, kind: &KindInfo, project: Option<&ProjectName>, name: &str, dry_run: bool) -> Result<Object> {
        Ok(self.api.delete(kind, project, name, dry_run)?)
    }

    /// The events of a kind as mcpd streams them, until the server ends the stream.
    pub fn watch(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        selector: Option<&str>,
        resource_version: Option<&str>,
    ) -> Result<impl Iterator<Item = Result<WatchEvent>> + '_> {
        let events = self.api.watch(kind, project, selector, resource_version)?;
        Ok(events.map(|event| event.map_err(Error::from)))
    }

    pub fn referrers(&self, kind: &KindInfo, project: Option<&ProjectName>, name: &str) -> Result<Vec<Referrer>> {
        Ok(self.api.referrers(kind, project, name)?.items)
    }

    pub fn openapi(&self) -> Result<Value> {
        Ok(self.api.openapi()?)
    }

    /// What gateway replicas reported lately of one server, or of every server.
    pub fn gateway_status(&self, server: Option<&str>) -> Result<Vec<shared::api::GatewayStatus>> {
        Ok(self.api.gateway_status(server)?.items)
    }

    pub fn migrate_secret(&self, name: &str, request: &MigrateRequest) -> Result<MigrateResult> {
        Ok(self.api.migrate_secret(name, request)?)
    }

    pub fn can_i(&self, question: &CanIRequest) -> Result<CanIResponse> {
        Ok(self.api.can_i(question)?)
    }

    pub fn change_password(&self, change: &PasswordChange) -> Result<()> {
        Ok(self.api.change_password(change)?)
    }

    pub fn events(&self, filters: &[(&str, String)]) -> Result<Vec<Object>> {
        Ok(self.api.events(filters)?)
    }

    pub fn events_after(&self, filters: &[(&str, String)], after: Option<i64>) -> Result<Vec<Object>> {
        Ok(self.api.events_after(filters, after)?)
    }

    pub fn newest_event(&self, filters: &[(&str, String)]) -> Result<Option<i64>> {
        Ok(self.api.newest_event(filters)?)
    }

    pub fn recent_events(&self, plural: &str, name: &str, count: usize) -> Result<Vec<Object>> {
        Ok(self.api.recent_events(plural, name, count)?)
    }

    pub fn apply(&self, items: Vec<Value>, dry_run: bool, atomic: bool) -> Result<ApplyResponse> {
        Ok(self.api.apply(items, dry_run, atomic)?)
    }

    pub fn login(&self, email: &str, password: &str) -> Result<LoginResponse> {
        Ok(self.api.login(email, password)?)
    }

    pub fn logout(&self) -> Result<()> {
        Ok(self.api.logout()?)
    }

    pub fn whoami(&self) -> Result<WhoAmI> {
        Ok(self.api.whoami()?)
    }

    pub fn version(&self) -> Result<Version> {
        Ok(self.api.version()?)
    }
}
