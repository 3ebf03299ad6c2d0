//! `describe KIND NAME...`: an object in readable sections, with what refers to it.

use shared::{KindInfo, KINDS};

use crate::cli::DescribeArgs;
use crate::client::Client;
use crate::commands::{targets, Ctx};
use crate::error::{Error, Result};
use crate::print;

pub fn run(ctx: &Ctx, args: &DescribeArgs) -> Result<()> {
    let (kind, names) = targets(&args.kind, &args.names)?;
    let client = ctx.client()?;
    let names = if names.is_empty() {
        client
            .list(kind, None, false)?
            .into_iter()
            .map(|o| o.metadata.name)
            .collect()
    } else {
        names
    };
    let mut sections = Vec::new();
    let mut failed = false;
    for name in &names {
        match describe_one(client, kind, name) {
            Ok(text) => sections.push(text),
            Err(Error::Server(status)) => {
                print::status(&status, None);
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if !sections.is_empty() {
        print::out(&sections.join("\n\n"));
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

fn describe_one(client: &Client, kind: &KindInfo, name: &str) -> Result<String> {
    // Value lengths of a secret are shown only to whoever may read the values.
    let (object, lengths) = if kind.sensitive {
        match client.get(kind, name, true) {
            Ok(full) => {
                let lengths = print::value_lengths(&full);
                (client.get(kind, name, false)?, Some(lengths))
            }
            Err(Error::Server(s)) if s.code == 403 => (client.get(kind, name, false)?, None),
            Err(e) => return Err(e),
        }
    } else {
        (client.get(kind, name, false)?, None)
    };
    let referrers = referrers(client, kind, name)?;
    Ok(print::describe(
        kind,
        &object,
        &referrers,
        lengths.as_deref(),
    ))
}

/// Every object whose spec refers to `kind/name`, as `(kind/name, field)`.
fn referrers(client: &Client, kind: &KindInfo, name: &str) -> Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    for other in KINDS.iter().filter(|k| k.apply_order > kind.apply_order) {
        let objects = match client.list(other, None, false) {
            Ok(objects) => objects,
            // Not allowed to list that kind: its references stay unknown.
            Err(Error::Server(s)) if s.code == 403 => continue,
            Err(e) => return Err(e),
        };
        for object in objects {
            for r in (other.references)(&object.spec) {
                if r.kind == kind.kind && r.name == name {
                    let key = r.key.map(|k| format!(" (key {k})")).unwrap_or_default();
                    found.push((
                        format!("{}/{}", other.singular, object.metadata.name),
                        format!("{}{key}", r.field),
                    ));
                }
            }
        }
    }
    Ok(found)
}
