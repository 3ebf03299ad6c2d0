//! `describe KIND NAME...`: an object in readable sections, with what refers to it and its
//! recent audit events.

use shared::{Kind, KindInfo, Object, KINDS};

use crate::cli::DescribeArgs;
use crate::client::Client;
use crate::commands::{targets, Ctx};
use crate::error::{Error, Result};
use crate::print;

pub fn run(ctx: &Ctx, args: &DescribeArgs) -> Result<()> {
    let (kind, names) = targets(&args.kind, &args.names)?;
    let client = ctx.client()?;
    let project = ctx.project_for(kind)?;
    let names = if names.is_empty() {
        client.list(kind, &project, None, false)?.into_iter().map(|o| o.metadata.name).collect()
    } else {
        names
    };
    let mut sections = Vec::new();
    let mut failed = false;
    for name in &names {
        match describe_one(client, kind, &project, name) {
            Ok(text) => sections.push(text),
            Err(Error::Server(status)) => {
                ctx.printer.status(&status, None);
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if !sections.is_empty() {
        ctx.printer.out(&sections.join("\n\n"));
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

fn describe_one(client: &Client, kind: &KindInfo, project: &str, name: &str) -> Result<String> {
    // Value lengths of a secret are shown only to whoever may read the values.
    let (object, lengths) = if kind.sensitive {
        match client.get(kind, project, name, true) {
            Ok(full) => {
                let lengths = print::value_lengths(&full);
                (client.get(kind, project, name, false)?, Some(lengths))
            }
            Err(Error::Server(s)) if s.code == 403 => (client.get(kind, project, name, false)?, None),
            Err(e) => return Err(e),
        }
    } else {
        (client.get(kind, project, name, false)?, None)
    };
    let mut referrers = referrers(client, kind, name)?;
    referrers.extend(subject_of(client, kind, name)?);
    let events = recent_events(client, kind, &object)?;
    Ok(print::describe(kind, &object, &referrers, lengths.as_deref(), &events))
}

/// For a user: the groups listing them and the RBAC definitions naming them, directly or
/// through one of those groups; for a group: the definitions naming it. Only what the caller
/// may list is shown.
fn subject_of(client: &Client, kind: &KindInfo, name: &str) -> Result<Vec<(String, String)>> {
    let listed = |plural: &str| -> Result<Vec<Object>> {
        let info = KindInfo::by_plural(plural).expect("a kind");
        match client.list(info, "", None, false) {
            Err(Error::Server(s)) if s.code == 403 => Ok(Vec::new()),
            other => other,
        }
    };
    let mut subjects = match kind.kind {
        Kind::User => vec![format!("User:{name}")],
        Kind::Group => vec![format!("Group:{name}")],
        Kind::Secret | Kind::Server | Kind::Project | Kind::RbacDefinition | Kind::McpToken | Kind::AuditEvent => {
            return Ok(Vec::new())
        }
    };
    let mut found = Vec::new();
    if kind.kind == Kind::User {
        for group in listed("groups")? {
            let members: Vec<String> = serde_json::from_value(group.spec["members"].clone()).unwrap_or_default();
            if members.iter().any(|m| m == name) {
                found.push((format!("group/{}", group.metadata.name), "spec.members".to_owned()));
                subjects.push(format!("Group:{}", group.metadata.name));
            }
        }
    }
    for definition in listed("rbacdefinitions")? {
        let named: Vec<String> = serde_json::from_value(definition.spec["subjects"].clone()).unwrap_or_default();
        for subject in named.iter().filter(|s| subjects.contains(s)) {
            found.push((format!("rbacdefinition/{}", definition.metadata.name), format!("spec.subjects ({subject})")));
        }
    }
    Ok(found)
}

/// Every object whose spec refers to `kind/name`, as `(kind/name, field)`.
fn referrers(client: &Client, kind: &KindInfo, name: &str) -> Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    // Only kinds ordered after `kind` can refer to it; kinds whose specs hold no references
    // answer none.
    for other in
        KINDS.iter().filter(|k| k.writable && k.apply_order > kind.apply_order && k.scope == shared::Scope::Global)
    {
        let objects = match client.list(other, "", None, false) {
            Ok(objects) => objects,
            // Not allowed to list that kind: its references stay unknown.
            Err(Error::Server(s)) if s.code == 403 => continue,
            Err(e) => return Err(e),
        };
        for object in objects {
            for r in (other.references)(&object.spec) {
                if r.kind == kind.kind && r.name == name {
                    let key = r.key.map(|k| format!(" (key {k})")).unwrap_or_default();
                    found.push((format!("{}/{}", other.singular, object.metadata.name), format!("{}{key}", r.field)));
                }
            }
        }
    }
    Ok(found)
}

/// The last few audit events about the object, when the caller may read events.
fn recent_events(client: &Client, kind: &KindInfo, object: &Object) -> Result<Vec<Object>> {
    match client.recent_events(kind.plural, &object.metadata.name, 5) {
        Ok(events) => Ok(events),
        Err(Error::Server(s)) if s.code == 403 => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
