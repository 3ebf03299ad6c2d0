//! mcpctl's modules form layers, and each uses only the layers below it (checked by
//! `testkit::layering`): the clap tree (`cli`) imports nothing of mcpctl, so it is read, and
//! documented, on its own.

use std::path::Path;

/// Lowest first. A module may use the modules of lower layers only.
const LAYERS: &[&[&str]] = &[&["error", "cli"], &["config", "manifest", "print"], &["client"], &["commands"]];

#[test]
fn every_module_uses_only_the_layers_below_it() {
    testkit::layering::check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), LAYERS, &[]);
}
