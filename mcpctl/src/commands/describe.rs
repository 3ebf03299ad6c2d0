//! `describe KIND NAME...`: an object in readable sections, with what refers to it and its
//! recent audit events.

use shared::name::ProjectName;
use shared::{KindInfo, Object};

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
        client.list(kind, project.as_ref(), None, false)?.into_iter().map(|o| o.metadata.name).collect()
    } else {
        names
    };
    let mut sections = Vec::new();
    let mut failed = false;
    for name in &names {
        match describe_one(client, kind, project.as_ref(), name) {
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

fn describe_one(client: &Client, kind: &KindInfo, project: Option<&ProjectName>, name: &str) -> Result<String> {
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
    let referrers = client
        .referrers(kind, project, name)?
        .into_iter()
        .map(|r| {
            let what = format!("{}/{}", r.kind.info().singular, r.name);
            let detail = match (r.key, r.subject) {
                (Some(key), _) => format!(" (key {key})"),
                (None, Some(subject)) => format!(" ({subject})"),
                (None, None) => String::new(),
            };
            (what, format!("{}{detail}", r.field))
        })
        .collect::<Vec<_>>();
    let events = recent_events(client, kind, &object)?;
    // How a server stands at the gateways, when the caller may read it.
    let gateways = match kind.kind {
        shared::Kind::Server => Some(client.gateway_status(Some(name)).unwrap_or_default()),
        _ => None,
    };
    Ok(print::describe(kind, &object, &referrers, lengths.as_deref(), &events, gateways.as_deref()))
}

/// The last few audit events about the object, when the caller may read events.
fn recent_events(client: &Client, kind: &KindInfo, object: &Object) -> Result<Vec<Object>> {
    match client.recent_events(kind.plural, &object.metadata.name, 5) {
        Ok(events) => Ok(events),
        Err(Error::Server(s)) if s.code == 403 => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
