//! `api-resources`: the kinds, from the one description of each.

use shared::{Scope, KINDS};

use crate::cli::Output;
use crate::commands::Ctx;
use crate::error::Result;
use crate::print;

pub fn run(ctx: &Ctx) -> Result<()> {
    match ctx.output() {
        Output::Table | Output::Wide => {}
        Output::Name => {
            let names: Vec<&str> = KINDS.iter().map(|k| k.plural).collect();
            ctx.printer.out(&names.join("\n"));
            return Ok(());
        }
        other => return Err(print::unsupported(&other, "table, wide or name")),
    }
    let rows = KINDS.iter().map(|k| {
        let scope = match k.scope {
            Scope::Global => "global",
            Scope::Project => "project",
        };
        vec![k.plural.to_owned(), k.aliases.join(","), k.kind.to_string(), scope.to_owned()]
    });
    let header = ["NAME", "SHORTNAMES", "KIND", "SCOPE"].map(str::to_owned).to_vec();
    ctx.printer.out(&print::plain_table(Some(header), rows));
    Ok(())
}
