//! `api-resources`: the kinds, from the one description of each.

use shared::{Scope, KINDS};

use crate::print;

pub fn run() {
    let rows = KINDS.iter().map(|k| {
        let scope = match k.scope {
            Scope::Global => "global",
            Scope::Project => "project",
        };
        vec![k.plural.to_owned(), k.aliases.join(","), k.kind.to_owned(), scope.to_owned()]
    });
    let header = ["NAME", "SHORTNAMES", "KIND", "SCOPE"].map(str::to_owned).to_vec();
    print::out(&print::plain_table(header, rows));
}
