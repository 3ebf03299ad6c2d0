//! The same client for programs without an async runtime of their own (mcpctl): each call
//! runs the async one to completion on a runtime of one thread that the client owns.

use futures_util::{Stream, StreamExt};
use serde_json::Value;
use shared::api::{
    ApplyResponse, CanIRequest, CanIResponse, IntrospectResponse, LoginResponse, MigrateRequest, MigrateResult,
    PasswordChange, ReferrerList, Version, WatchEvent, WhoAmI,
};
use shared::name::ProjectName;
use shared::{KindInfo, Object};

use crate::{Config, ListParams, Result};

pub struct Client {
    inner: crate::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    pub fn new(config: Config) -> Client {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .expect("a runtime of one thread starts");
        // reqwest's client must be made inside a runtime for its connection pool's timers.
        let inner = runtime.block_on(async { crate::Client::new(config) });
        Client { inner, runtime }
    }

    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// Every object of a kind, following pages.
    pub fn list(&self, kind: &KindInfo, project: Option<&ProjectName>, params: &ListParams) -> Result<Vec<Object>> {
        self.list_at(kind, project, params).map(|(items, _)| items)
    }

    /// Like [`Client::list`], with the revision the list reflects (to watch from).
    pub fn list_at(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        params: &ListParams,
    ) -> Result<(Vec<Object>, Option<String>)> {
        self.runtime.block_on(self.inner.list(kind, project, params))
    }

    pub fn get(&self, kind: &KindInfo, project: Option<&ProjectName>, name: &str, show_values: bool) -> Result<Object> {
        self.runtime.block_on(self.inner.get(kind, project, name, show_values))
    }

    pub fn create(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        manifest: &Value,
        dry_run: bool,
    ) -> Result<Object> {
        self.runtime.block_on(self.inner.create(kind, project, manifest, dry_run))
    }

    pub fn replace(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        object: &Object,
        dry_run: bool,
    ) -> Result<Object> {
        self.runtime.block_on(self.inner.replace(kind, project, object, dry_run))
    }

    pub fn delete(&self, kind: &KindInfo, project: Option<&ProjectName>, name: &str, dry_run: bool) -> Result<Object> {
        self.runtime.block_on(self.inner.delete(kind, project, name, dry_run))
    }

    /// The events of a kind as they come, each waited for in turn; the iterator ends when
    /// the server ends the stream.
    pub fn watch(
        &self,
        kind: &KindInfo,
        project: Option<&ProjectName>,
        label_selector: Option<&str>,
        resource_version: Option<&str>,
    ) -> Result<impl Iterator<Item = Result<WatchEvent>> + '_> {
        let stream = self.runtime.block_on(self.inner.watch(kind, project, label_selector, resource_version))?;
        Ok(Events { stream, runtime: &self.runtime })
    }

    pub fn referrers(&self, kind: &KindInfo, project: Option<&ProjectName>, name: &str) -> Result<ReferrerList> {
        self.runtime.block_on(self.inner.referrers(kind, project, name))
    }

    pub fn gateway_status(&self, server: Option<&str>) -> Result<shared::api::GatewayStatusList> {
        self.runtime.block_on(self.inner.gateway_status(server))
    }

    pub fn openapi(&self) -> Result<Value> {
        self.runtime.block_on(self.inner.openapi())
    }

    pub fn can_i(&self, question: &CanIRequest) -> Result<CanIResponse> {
        self.runtime.block_on(self.inner.can_i(question))
    }

    pub fn migrate_secret(&self, name: &str, request: &MigrateRequest) -> Result<MigrateResult> {
        self.runtime.block_on(self.inner.migrate_secret(name, request))
    }

    pub fn introspect(&self, token: &str) -> Result<IntrospectResponse> {
        self.runtime.block_on(self.inner.introspect(token))
    }

    pub fn change_password(&self, change: &PasswordChange) -> Result<()> {
        self.runtime.block_on(self.inner.change_password(change))
    }

    pub fn events(&self, filters: &[(&str, String)]) -> Result<Vec<Object>> {
        self.runtime.block_on(self.inner.events(filters))
    }

    pub fn recent_events(&self, plural: &str, name: &str, count: usize) -> Result<Vec<Object>> {
        self.runtime.block_on(self.inner.recent_events(plural, name, count))
    }

    pub fn events_after(&self, filters: &[(&str, String)], after: Option<i64>) -> Result<Vec<Object>> {
        self.runtime.block_on(self.inner.events_after(filters, after))
    }

    pub fn newest_event(&self, filters: &[(&str, String)]) -> Result<Option<i64>> {
        self.runtime.block_on(self.inner.newest_event(filters))
    }

    pub fn apply(&self, items: Vec<Value>, dry_run: bool, atomic: bool) -> Result<ApplyResponse> {
        self.runtime.block_on(self.inner.apply(items, dry_run, atomic))
    }

    pub fn login(&self, email: &str, password: &str) -> Result<LoginResponse> {
        self.runtime.block_on(self.inner.login(email, password))
    }

    pub fn logout(&self) -> Result<()> {
        self.runtime.block_on(self.inner.logout())
    }

    pub fn whoami(&self) -> Result<WhoAmI> {
        self.runtime.block_on(self.inner.whoami())
    }

    pub fn version(&self) -> Result<Version> {
        self.runtime.block_on(self.inner.version())
    }
}

struct Events<'a, S> {
    stream: S,
    runtime: &'a tokio::runtime::Runtime,
}

impl<S: Stream<Item = Result<WatchEvent>> + Unpin> Iterator for Events<'_, S> {
    type Item = Result<WatchEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        self.runtime.block_on(self.stream.next())
    }
}
