//! `get KIND [NAME...]`: list or fetch objects and print them.

use crate::cli::GetArgs;
use crate::commands::{targets, Ctx};
use crate::error::{Error, Result};
use crate::print;

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let (kind, names) = targets(&args.kind, &args.names)?;
    let client = ctx.client()?;
    if names.is_empty() {
        let objects = client.list(kind, args.selector.as_deref(), args.show_values)?;
        print::objects(kind, objects, ctx.output(), false);
        return Ok(());
    }
    if args.selector.is_some() {
        return Err(Error::usage(
            "a label selector (-l) cannot be combined with names",
        ));
    }
    let mut found = Vec::new();
    let mut failed = false;
    for name in &names {
        match client.get(kind, name, args.show_values) {
            Ok(object) => found.push(object),
            Err(Error::Server(status)) => {
                print::status(&status, None);
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if !found.is_empty() {
        print::objects(kind, found, ctx.output(), names.len() == 1);
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}
