//! `delete KIND NAME... | -f FILE`.

use crate::cli::DeleteArgs;
use crate::commands::{apply::known_kinds, targets, Ctx};
use crate::error::{Error, Result};
use crate::manifest;
use crate::print;

pub fn run(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let mut victims = Vec::new();
    let mut failed = false;
    if !args.files.is_empty() {
        if args.kind.is_some() {
            return Err(Error::usage("give either -f or KIND NAME..., not both"));
        }
        let (docs, unknown) = known_kinds(crate::commands::apply::with_project(ctx, manifest::read(&args.files)?)?);
        failed |= unknown;
        // Referrers first, so their targets are free to go.
        let mut docs = docs;
        docs.sort_by_key(|(info, _)| std::cmp::Reverse(info.apply_order));
        victims.extend(docs.into_iter().map(|(info, doc)| {
            let project = doc.value["metadata"]["project"].as_str().unwrap_or("").to_owned();
            (info, project, doc.name().to_owned())
        }));
    } else if let Some(kind) = &args.kind {
        let (info, names) = targets(kind, &args.names)?;
        if names.is_empty() {
            return Err(Error::usage(format!("give the names of the {} to delete", info.plural)));
        }
        let project = ctx.project_for(info)?;
        victims.extend(names.into_iter().map(|n| (info, project.clone(), n)));
    }
    let client = ctx.client()?;
    for (info, project, name) in victims {
        match client.delete(info, &project, &name) {
            Ok(_) => print::out(&format!("{} \"{name}\" deleted", info.singular)),
            Err(Error::Server(s)) if s.code == 404 && args.ignore_not_found => {}
            Err(Error::Server(s)) => {
                print::status(&s, None);
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
