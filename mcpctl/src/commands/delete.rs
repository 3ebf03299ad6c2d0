//! `delete KIND NAME... | KIND -l SELECTOR | KIND --all | -f FILE`, with `--dry-run`.

use crate::cli::{DeleteArgs, DryRun};
use crate::commands::label::dry_run_note;
use crate::commands::{apply::known_kinds, targets, Ctx};
use crate::error::{Error, Result};
use crate::manifest;
use shared::name::ProjectName;

pub fn run(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let mut victims = Vec::new();
    let mut failed = false;
    if !args.files.is_empty() {
        if args.kind.is_some() || args.selector.is_some() || args.all {
            return Err(Error::usage("give either -f or KIND NAME... (or KIND -l / --all), not both"));
        }
        let (docs, unknown) =
            known_kinds(ctx, crate::commands::apply::with_project(ctx, manifest::read(&args.files)?)?);
        failed |= unknown;
        // Referrers first, so their targets are free to go.
        let mut docs = docs;
        docs.sort_by_key(|(info, doc)| std::cmp::Reverse(info.apply_rank(&doc.value["spec"])));
        victims.extend(docs.into_iter().map(|(info, doc)| {
            let project = doc.value["metadata"]["project"].as_str().and_then(ProjectName::from_text);
            (info, project, doc.name().to_owned())
        }));
    } else if let Some(kind) = &args.kind {
        let (info, names) = targets(kind, &args.names)?;
        let picked = usize::from(args.all) + usize::from(args.selector.is_some()) + usize::from(!names.is_empty());
        if picked != 1 {
            return Err(Error::usage(format!(
                "name the {} to delete, or pick them with -l SELECTOR or --all (one of the three)",
                info.plural
            )));
        }
        let project = ctx.project_for(info)?;
        let names = if names.is_empty() {
            let listed = ctx.client()?.list(info, project.as_ref(), args.selector.as_deref(), false)?;
            if listed.is_empty() {
                ctx.printer.note("No resources found.");
            }
            listed.into_iter().map(|o| o.metadata.name).collect()
        } else {
            names
        };
        victims.extend(names.into_iter().map(|n| (info, project.clone(), n)));
    }
    let client = ctx.client()?;
    let note = dry_run_note(args.dry_run);
    for (info, project, name) in victims {
        let outcome = match args.dry_run {
            DryRun::Client => Ok(()),
            dry_run => client.delete(info, project.as_ref(), &name, dry_run == DryRun::Server).map(|_| ()),
        };
        match outcome {
            Ok(()) => ctx.printer.deleted(info, &name, note),
            Err(Error::Server(s)) if s.code == 404 && args.ignore_not_found => {}
            Err(Error::Server(s)) => {
                ctx.printer.status(&s, None);
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
