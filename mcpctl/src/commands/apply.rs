//! `apply -f`: send manifests in dependency order, in batches, and print what each became.

use serde_json::Value;
use shared::KindInfo;

use crate::cli::{ApplyArgs, DryRun, Output};
use crate::client::PAGE;
use crate::commands::{kind, Ctx};
use crate::error::{Error, Result};
use crate::manifest::{self, Doc};

pub fn run(ctx: &Ctx, args: &ApplyArgs) -> Result<()> {
    let docs = with_project(ctx, manifest::read(&args.files.files)?)?;
    if docs.is_empty() {
        return Err(Error::Invalid("no objects found in the given files".to_owned()));
    }
    let (mut docs, mut failed) = known_kinds(ctx, docs);
    if args.atomic && failed {
        return Err(Error::Invalid("nothing applied: --atomic applies all objects or none".to_owned()));
    }
    docs.sort_by_key(|(info, doc)| info.apply_rank(&doc.value["spec"]));
    let client = ctx.client()?;
    if args.dry_run == DryRun::Client {
        // With -o yaml|json: the objects that would be sent, as kubectl prints them.
        if let Some(output) = ctx.global.output.as_ref().filter(|o| **o != Output::Name) {
            let items: Vec<Value> = docs.iter().map(|(_, doc)| doc.value.clone()).collect();
            let value = match <[Value; 1]>::try_from(items) {
                Ok([one]) => one,
                Err(items) => serde_json::json!({"apiVersion": shared::API_VERSION, "kind": "List", "items": items}),
            };
            ctx.printer.structured(&value, output)?;
            return if failed { Err(Error::Reported) } else { Ok(()) };
        }
        // Nothing is sent: each object is looked up, to say what it would become.
        for (info, doc) in &docs {
            let project = doc.value["metadata"]["project"].as_str().and_then(shared::name::ProjectName::from_text);
            match client.get(info, project.as_ref(), doc.name(), false) {
                Ok(_) => ctx.printer.done(info, doc.name(), "configured (dry run)"),
                Err(Error::Server(status)) if status.code == 404 => {
                    ctx.printer.done(info, doc.name(), "created (dry run)")
                }
                Err(Error::Server(status)) => {
                    let what = format!("error when applying {}/{} from {}", info.singular, doc.name(), doc.source);
                    ctx.printer.status(&status, Some(&what));
                    failed = true;
                }
                Err(e) => return Err(e),
            }
        }
        return if failed { Err(Error::Reported) } else { Ok(()) };
    }
    let server_dry_run = args.dry_run == DryRun::Server;
    let batch = if args.atomic { docs.len().max(1) } else { PAGE };
    let suffix = if server_dry_run { " (server dry run)" } else { "" };
    for chunk in docs.chunks(batch) {
        let items: Vec<Value> = chunk.iter().map(|(_, d)| d.value.clone()).collect();
        let response = client.apply(items, server_dry_run, args.atomic)?;
        for ((info, doc), result) in chunk.iter().zip(response.items) {
            let name = if result.name.is_empty() { doc.name() } else { &result.name };
            match (result.action, result.error) {
                (_, Some(status)) => {
                    let what = format!("error when applying {}/{} from {}", info.singular, name, doc.source);
                    ctx.printer.status(&status, Some(&what));
                    failed = true;
                }
                (Some(action), None) => {
                    ctx.printer.done(info, name, &format!("{}{suffix}", action.as_str()));
                    // A token apply created: its value, this once, right after its line.
                    if let Some(token) = result.token {
                        ctx.printer.out(&token);
                        ctx.printer.warn(&format!("mcptoken/{name}: this is the only time its value is shown"));
                    }
                }
                (None, None) => {}
            }
        }
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

/// Puts objects of project-scoped kinds that name no project into `-p`'s (or the context's).
pub fn with_project(ctx: &Ctx, mut docs: Vec<Doc>) -> Result<Vec<Doc>> {
    let needs = |d: &Doc| {
        KindInfo::by_kind(d.kind()).is_some_and(|k| k.scope == shared::Scope::Project)
            && d.value["metadata"]["project"].is_null()
            && d.value["metadata"].is_object()
    };
    if !docs.iter().any(needs) {
        return Ok(docs);
    }
    let Some(project) = ctx.project()? else {
        return Ok(docs);
    };
    for doc in docs.iter_mut().filter(|d| needs(d)) {
        doc.value["metadata"]["project"] = Value::from(project.as_str());
    }
    Ok(docs)
}

/// Keeps the documents of known kinds; reports the others, with a hint.
pub fn known_kinds(ctx: &Ctx, docs: Vec<Doc>) -> (Vec<(&'static KindInfo, Doc)>, bool) {
    let mut failed = false;
    let mut known = Vec::new();
    for doc in docs {
        if let Some(info) = KindInfo::by_kind(doc.kind()) {
            known.push((info, doc));
            continue;
        }
        failed = true;
        let hint = match kind(doc.kind()) {
            _ if doc.kind().is_empty() => None,
            Ok(info) => Some(format!("write kind: {}", info.kind)),
            Err(Error::Usage { hint, .. }) => hint,
            Err(_) => None,
        };
        let message = if doc.kind().is_empty() {
            format!("{}: kind is required", doc.source)
        } else {
            format!("{}: unknown kind {:?}", doc.source, doc.kind())
        };
        ctx.printer.error(&Error::Usage { message, hint });
    }
    (known, failed)
}
