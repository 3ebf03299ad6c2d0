//! mcpd's modules form layers, and each uses only the layers below it (checked by
//! `testkit::layering`).

use std::path::Path;

/// Lowest first. A module may use the modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["util", "error", "metrics", "telemetry"],
    &["vault"],
    &["store"],
    &["config", "audit"],
    &["auth"],
    &["domain"],
    &["http"],
    &["startup"],
];

/// Paths a module must not use although their layer is lower: handlers reach objects only
/// through `domain`, which requires an `auth::Authorized` for every read and write.
const FORBIDDEN: &[(&str, &str)] = &[("http", "store::objects"), ("startup", "store::objects")];

#[test]
fn every_module_uses_only_the_layers_below_it() {
    testkit::layering::check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), LAYERS, FORBIDDEN);
}
