//! mcpgw's modules form layers, and each uses only the layers below it (checked by
//! `testkit::layering`): `upstream` never reaches a session, and nothing below `http` knows
//! HTTP routes.

use std::path::Path;

/// Lowest first. A module may use the modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["settings", "metrics", "names"],
    &["catalog"],
    &["downstream", "audit", "access", "sandbox"],
    &["upstream", "project"],
    &["gateway"],
    &["session"],
    &["http"],
    &["startup"],
];

#[test]
fn every_module_uses_only_the_layers_below_it() {
    testkit::layering::check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), LAYERS, &[]);
}
