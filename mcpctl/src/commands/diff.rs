//! `diff -f`: live objects against manifests as a unified diff; secret values are masked.

use serde_json::{json, Map, Value};
use shared::name::ProjectName;
use shared::{KindInfo, Object};

use crate::cli::FileArgs;
use crate::client::Client;
use crate::commands::{apply::known_kinds, Ctx, ExitStatus};
use crate::error::{Error, Result};
use crate::manifest::{self, Doc};
use crate::print;

/// Returns whether anything differs. Any error fails the whole command (exit 2).
/// Exit 0 when the files match what is live, 1 when they differ.
pub fn run(ctx: &Ctx, args: &FileArgs) -> Result<ExitStatus> {
    let (docs, unknown) = known_kinds(ctx, crate::commands::apply::with_project(ctx, manifest::read(&args.files)?)?);
    if unknown {
        return Err(Error::Reported);
    }
    let client = ctx.client()?;
    let mut differs = false;
    for (info, doc) in docs {
        let mut desired = desired_view(info, &doc)?;
        let project = doc.value["metadata"]["project"].as_str().and_then(ProjectName::from_text);
        let (mut live, live_version) = live_view(client, info, project.as_ref(), doc.name())?;
        // A manifest that carries a resourceVersion makes it a precondition of apply: a stale
        // one is a difference (apply would answer Conflict), and is shown as one.
        if let Some(version) = doc.value["metadata"]["resourceVersion"].as_str().filter(|v| !v.is_empty()) {
            desired["metadata"]["resourceVersion"] = json!(version);
            if let Some(live) = live.as_mut() {
                live["metadata"]["resourceVersion"] = json!(live_version);
            }
            if live_version.as_deref() != Some(version) {
                ctx.printer.note(&format!(
                    "{}/{}: metadata.resourceVersion {version} is stale (live: {}): apply would be refused with Conflict; remove it from the file to apply over the live object",
                    info.singular,
                    doc.name(),
                    live_version.as_deref().unwrap_or("none, the object does not exist")
                ));
            }
        }
        let (before, after) = mask(info, live.as_ref(), desired);
        let before = before.map(|v| print::to_yaml(&v)).unwrap_or_default();
        let after = print::to_yaml(&after);
        if before != after {
            differs = true;
            let path = format!("{}/{}", info.singular, doc.name());
            let diff = similar::TextDiff::from_lines(&before, &after)
                .unified_diff()
                .context_radius(3)
                .header(&format!("live/{path}"), &format!("desired/{path}"))
                .to_string();
            ctx.printer.out(&diff);
        }
    }
    Ok(if differs { ExitStatus::Failure } else { ExitStatus::Success })
}

/// The manifest as mcpd would store it: strictly checked, spec in canonical form.
fn desired_view(info: &KindInfo, doc: &Doc) -> Result<Value> {
    let object = Object::from_value(doc.value.clone())
        .map_err(|c| Error::Invalid(format!("{}: {}: {}", doc.source, c.field, c.message)))?;
    let spec = (info.normalize)(&object.spec).map_err(|causes| {
        let listed: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        Error::Invalid(format!("{}: {} {:?} is invalid: {}", doc.source, info.kind, doc.name(), listed.join("; ")))
    })?;
    let mut view = object;
    view.spec = spec;
    Ok(comparable(view))
}

/// The live object as comparable, and its resourceVersion.
fn live_view(
    client: &Client,
    info: &KindInfo,
    project: Option<&ProjectName>,
    name: &str,
) -> Result<(Option<Value>, Option<String>)> {
    let fetched = match client.get(info, project, name, info.sensitive) {
        Err(Error::Server(s)) if s.code == 403 && info.sensitive => client.get(info, project, name, false),
        other => other,
    };
    match fetched {
        Ok(object) => {
            let version = object.metadata.resource_version.clone();
            Ok((Some(comparable(object)), version))
        }
        Err(Error::Server(s)) if s.code == 404 => Ok((None, None)),
        Err(e) => Err(e),
    }
}

/// Only what a manifest controls: no uid, resource version, timestamps or status.
fn comparable(object: Object) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(object.metadata.name));
    if let Some(project) = object.metadata.project.filter(|p| !p.is_empty()) {
        metadata.insert("project".into(), json!(project));
    }
    if !object.metadata.labels.is_empty() {
        metadata.insert("labels".into(), json!(object.metadata.labels));
    }
    if !object.metadata.annotations.is_empty() {
        metadata.insert("annotations".into(), json!(object.metadata.annotations));
    }
    json!({"apiVersion": object.api_version, "kind": object.kind, "metadata": metadata, "spec": object.spec})
}

/// Replaces secret values with `***`, marking which changed; a `null` in the manifest keeps
/// the live value, as apply does.
fn mask(info: &KindInfo, live: Option<&Value>, mut desired: Value) -> (Option<Value>, Value) {
    let mut live = live.cloned();
    if !info.sensitive {
        return (live, desired);
    }
    // A manifest that names no backend keeps the secret where it is, as apply does.
    if desired["spec"]["backend"].is_null() {
        if let Some(backend) = live.as_ref().map(|l| l["spec"]["backend"].clone()).filter(|b| !b.is_null()) {
            desired["spec"]["backend"] = backend;
        }
    }
    let live_data = live.as_ref().and_then(|l| l["spec"]["data"].as_object().cloned()).unwrap_or_default();
    if let Some(data) = desired["spec"]["data"].as_object_mut() {
        for (key, value) in data.iter_mut() {
            let kept = live_data.get(key).filter(|v| !v.is_null());
            let same = value.is_null() || kept == Some(value);
            *value = json!(if same && live_data.contains_key(key) { "***" } else { "*** (after)" });
        }
    }
    if let Some(data) = live.as_mut().and_then(|l| l["spec"]["data"].as_object_mut()) {
        let after = desired["spec"]["data"].as_object().cloned().unwrap_or_default();
        for (key, value) in data.iter_mut() {
            let unchanged = after.get(key).is_some_and(|v| v == "***");
            *value = json!(if unchanged { "***" } else { "*** (before)" });
        }
    }
    (live, desired)
}
