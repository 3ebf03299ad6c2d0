//! The layering check every crate's test suite runs: a crate's modules form layers, and each
//! module uses only the layers below it. Read from the source, so a new upward use (which
//! would make a cycle) fails, naming the file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Checks the crate whose sources are in `src` against `layers` (lowest first), and against
/// `forbidden` `(module, path)` pairs: uses that are below but not allowed. Panics with every
/// use that breaks them, and on a module placed in no layer.
pub fn check(src: &Path, layers: &[&[&str]], forbidden: &[(&str, &str)]) {
    let layer_of = |module: &str| {
        layers
            .iter()
            .position(|layer| layer.contains(&module))
            .unwrap_or_else(|| panic!("module `{module}` is in no layer: add it to LAYERS and ARCHITECTURE.md"))
    };
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap().to_str().unwrap().to_owned();
        let Some(module) = top_module(&relative) else { continue };
        seen.insert(module.clone());
        let text = std::fs::read_to_string(&file).unwrap();
        for path in crate_paths(&text, &relative) {
            let used = path.split("::").next().unwrap();
            if used == module {
                continue;
            }
            if layer_of(used) >= layer_of(&module) {
                wrong.push(format!("{relative} uses crate::{path}, which is not below `{module}`"));
            }
            for (from, forbidden) in forbidden {
                if module == *from && (path == *forbidden || path.starts_with(&format!("{forbidden}::"))) {
                    wrong.push(format!("{relative} uses crate::{path}, which `{module}` must not use"));
                }
            }
        }
    }
    for layer in layers {
        for module in *layer {
            assert!(seen.contains(*module), "LAYERS names `{module}`, which is not a module of the crate");
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `auth/principal.rs` → `auth`; `util.rs` → `util`; the crate roots belong to no layer.
fn top_module(relative: &str) -> Option<String> {
    let first = relative.split('/').next()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// Every path into the crate that `text` names, relative to the crate root, with `use` groups
/// expanded and `super::` resolved from the file's place.
pub fn crate_paths(text: &str, relative: &str) -> Vec<String> {
    let depth = relative.matches('/').count();
    let own = top_module(relative).unwrap_or_default();
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(at) = ["crate::", "super::"].iter().filter_map(|p| rest.find(p).map(|i| (i, *p))).min() {
        let (start, prefix) = at;
        let before = rest[..start].chars().last();
        rest = &rest[start + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let end = path_end(rest);
        let tree = &rest[..end];
        rest = &rest[end..];
        let mut found = Vec::new();
        expand("", tree, &mut found);
        for path in found {
            let resolved = match prefix {
                "crate::" => Some(path),
                // In a module root (`x.rs`, `x/mod.rs`) `super` is the crate; deeper, it is the
                // file's own module, or the crate again through `super::super`.
                _ => match (depth, path.strip_prefix("super::")) {
                    (0, _) => Some(path),
                    (_, Some(up)) => Some(up.to_owned()),
                    _ if relative.ends_with("/mod.rs") => Some(path),
                    _ => Some(format!("{own}::{path}")),
                },
            };
            paths.extend(resolved.filter(|p| !p.is_empty() && p != "self"));
        }
    }
    paths
}

/// Where a path (with any `{...}` groups) ends.
fn path_end(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => return i,
            _ => {}
        }
    }
    text.len()
}

/// Expands `a::{b, c::{d, self}}` under `prefix` into full paths.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    let join = |p: &str, s: &str| if p.is_empty() { s.to_owned() } else { format!("{p}::{s}") };
    match tree.find('{') {
        None => {
            // `x as y` names x.
            let path = tree.split_whitespace().next().unwrap_or("").trim_end_matches("::");
            if path == "self" {
                out.push(prefix.to_owned());
            } else if !path.is_empty() {
                out.push(join(prefix, path));
            }
        }
        Some(open) => {
            let head = join(prefix, tree[..open].trim_end_matches("::"));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&head, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&head, &inner[start..], out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checker itself: grouped, nested and inline paths are all found.
    #[test]
    fn paths_are_found_in_every_form() {
        let text =
            "use crate::{auth::{self, Verb}, store::objects::X as Y};\nfn f() { crate::util::now(); }\nuse super::y;";
        assert_eq!(
            crate_paths(text, "http/x.rs"),
            ["auth", "auth::Verb", "store::objects::X", "util::now", "http::y"].map(String::from).to_vec()
        );
        assert_eq!(crate_paths("use super::store::Store;", "config.rs"), vec!["store::Store".to_owned()]);
        assert_eq!(crate_paths("use super::super::util::hex;", "auth/x.rs"), vec!["util::hex".to_owned()]);
    }
}
