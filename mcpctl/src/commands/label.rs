//! `label` and `annotate KIND NAME... KEY=VALUE... KEY-...`, kubectl's way: `--overwrite` to
//! change a key that has another value, `-l`/`--all` to pick many objects, and each object
//! replaced with its resourceVersion as the precondition.

use std::collections::BTreeMap;

use shared::{KindInfo, Object};

use crate::cli::{DryRun, MetaArgs};
use crate::commands::{kind, Ctx};
use crate::error::{Error, Result};

/// Which of an object's maps is changed.
#[derive(Clone, Copy)]
pub enum Field {
    Labels,
    Annotations,
}

impl Field {
    fn map(self, object: &mut Object) -> &mut BTreeMap<String, String> {
        match self {
            Field::Labels => &mut object.metadata.labels,
            Field::Annotations => &mut object.metadata.annotations,
        }
    }

    fn done(self) -> &'static str {
        match self {
            Field::Labels => "labeled",
            Field::Annotations => "annotated",
        }
    }
}

/// One change: set a key, or remove it.
enum Change {
    Set(String, String),
    Remove(String),
}

pub fn run(ctx: &Ctx, args: &MetaArgs, field: Field) -> Result<()> {
    let (info, names, changes) = split(args)?;
    let picked = usize::from(args.all) + usize::from(args.selector.is_some()) + usize::from(!names.is_empty());
    if picked != 1 {
        return Err(Error::usage("name the objects, or pick them with -l SELECTOR or --all (one of the three)"));
    }
    let client = ctx.client()?;
    let project = ctx.project_for(info)?;
    let objects = if names.is_empty() {
        client.list(info, project.as_ref(), args.selector.as_deref(), false)?
    } else {
        let mut found = Vec::new();
        for name in &names {
            found.push(client.get(info, project.as_ref(), name, false)?);
        }
        found
    };
    if objects.is_empty() {
        ctx.printer.note("No resources found.");
    }
    let mut failed = false;
    for mut object in objects {
        let name = object.metadata.name.clone();
        if let Err(why) = apply_changes(field.map(&mut object), &changes, args.overwrite) {
            ctx.printer.error(&Error::Invalid(format!("{}/{name}: {why}", info.singular)));
            failed = true;
            continue;
        }
        let outcome = match args.dry_run {
            DryRun::Client => Ok(()),
            dry_run => client.replace(info, project.as_ref(), &object, dry_run == DryRun::Server).map(|_| ()),
        };
        match outcome {
            Ok(()) => ctx.printer.done(info, &name, &format!("{}{}", field.done(), dry_run_note(args.dry_run))),
            Err(Error::Server(status)) => {
                ctx.printer.status(&status, Some(&format!("{}/{name}", info.singular)));
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

pub fn dry_run_note(dry_run: DryRun) -> &'static str {
    match dry_run {
        DryRun::None => "",
        DryRun::Client => " (dry run)",
        DryRun::Server => " (server dry run)",
    }
}

/// The kind, the names, and the changes: arguments with `=` or ending in `-` are changes.
fn split(args: &MetaArgs) -> Result<(&'static KindInfo, Vec<String>, Vec<Change>)> {
    let (info, mut names) = match args.kind.split_once('/') {
        Some((k, name)) => (kind(k)?, vec![name.to_owned()]),
        None => (kind(&args.kind)?, Vec::new()),
    };
    let mut changes = Vec::new();
    for arg in &args.args {
        if let Some((key, value)) = arg.split_once('=') {
            if key.is_empty() {
                return Err(Error::usage(format!("{arg:?} needs a key before =")));
            }
            changes.push(Change::Set(key.to_owned(), value.to_owned()));
        } else if let Some(key) = arg.strip_suffix('-').filter(|k| !k.is_empty()) {
            changes.push(Change::Remove(key.to_owned()));
        } else if changes.is_empty() {
            names.push(arg.clone());
        } else {
            return Err(Error::usage(format!("{arg:?} comes after the changes: names go first")));
        }
    }
    if changes.is_empty() {
        return Err(Error::usage("give at least one change: KEY=VALUE or KEY-"));
    }
    Ok((info, names, changes))
}

fn apply_changes(
    map: &mut BTreeMap<String, String>,
    changes: &[Change],
    overwrite: bool,
) -> std::result::Result<(), String> {
    for change in changes {
        match change {
            Change::Set(key, value) => {
                if let Some(old) = map.get(key).filter(|old| *old != value && !overwrite) {
                    return Err(format!("{key} already has a value ({old}), and --overwrite is false"));
                }
                map.insert(key.clone(), value.clone());
            }
            Change::Remove(key) => {
                map.remove(key);
            }
        }
    }
    Ok(())
}
