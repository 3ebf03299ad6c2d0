//! Reads manifests from files, directories and stdin: multi-document YAML, JSON and
//! `kind: List`, each object tagged with where it came from.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// One object as written, and where it was read.
#[derive(Clone, Debug)]
pub struct Doc {
    pub source: String,
    pub value: Value,
}

impl Doc {
    pub fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or("")
    }
}

/// Reads every `-f` argument. Any unreadable or malformed file fails the whole read, so
/// nothing is applied from a half-understood input.
pub fn read(args: &[String]) -> Result<Vec<Doc>> {
    let mut docs = Vec::new();
    for arg in args {
        if arg == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::Invalid(format!("cannot read stdin: {e}")))?;
            parse("<stdin>", &text, &mut docs)?;
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| Error::Invalid(format!("cannot read directory {arg}: {e}")))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
                })
                .collect();
            files.sort();
            for file in files {
                read_file(&file, &mut docs)?;
            }
        } else {
            read_file(path, &mut docs)?;
        }
    }
    Ok(docs)
}

fn read_file(path: &Path, docs: &mut Vec<Doc>) -> Result<()> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))?;
    parse(&path.display().to_string(), &text, docs)
}

/// Parses one file's text. serde_yaml_ng bounds alias expansion, so an alias bomb fails fast.
pub fn parse(source: &str, text: &str, docs: &mut Vec<Doc>) -> Result<()> {
    let mut index = 0;
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        index += 1;
        let value = Value::deserialize(document).map_err(|e| Error::Invalid(format!("error parsing {source}: {e}")))?;
        let at = |i: usize| {
            if i == 1 {
                source.to_owned()
            } else {
                format!("{source} (document {i})")
            }
        };
        match value {
            Value::Null => {}
            Value::Object(_) if value["kind"] == "List" => {
                let items = value["items"].as_array().cloned().unwrap_or_default();
                for (i, item) in items.into_iter().enumerate() {
                    docs.push(checked(format!("{} (item {i})", at(index)), item)?);
                }
            }
            value => docs.push(checked(at(index), value)?),
        }
    }
    Ok(())
}

fn checked(source: String, value: Value) -> Result<Doc> {
    if !value.is_object() {
        return Err(Error::Invalid(format!(
            "error parsing {source}: a manifest must be a mapping with apiVersion, kind, metadata and spec"
        )));
    }
    Ok(Doc { source, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_lists_and_anchors_are_read() {
        let text = "# comment\nbase: &b {transport: stdio}\n---\napiVersion: mcpctl/v1\nkind: List\nitems:\n- {kind: Server, metadata: {name: a}}\n- {kind: Server, metadata: {name: b}}\n---\n";
        let mut docs = Vec::new();
        parse("f.yaml", text, &mut docs).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[2].name(), "b");
        assert_eq!(docs[2].source, "f.yaml (document 2) (item 1)");
    }

    #[test]
    fn malformed_yaml_names_line_and_column() {
        let mut docs = Vec::new();
        let Err(Error::Invalid(msg)) = parse("f.yaml", "kind: Server\nmetadata:\n  name: [a\n", &mut docs) else {
            panic!("malformed YAML must fail");
        };
        assert!(msg.contains("line") && msg.contains("column"), "{msg}");
    }

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut text =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for i in 1..9u8 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            text.push_str(&format!(
                "{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let mut docs = Vec::new();
        assert!(parse("bomb.yaml", &text, &mut docs).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Arbitrary text, including YAML's own syntax, never panics the reader.
        #[test]
        fn arbitrary_text_never_panics(text in "([-:\\[\\]{}&*!|>'\"#%@`,?\n ]|[a-z0-9]){0,200}") {
            let mut docs = Vec::new();
            let _ = parse("fuzz.yaml", &text, &mut docs);
        }
    }
}
