//! The only place that formats output: tables, YAML, JSON, names, describe, and errors.
//! Data goes to stdout, everything else to stderr.

mod columns;
mod describe;
mod jsonpath;
mod table;
mod terminal;

use std::io::Write;

use serde_json::Value;
use shared::{KindInfo, List, Object, Status};

pub use describe::{describe, value_lengths};
pub use table::{age, plain_table};

use crate::cli::Output;
use crate::error::Error;

/// Everything a command shows goes through its Printer, made once from the global flags:
/// data to stdout, notes, warnings and errors to stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct Printer {
    /// `-q`: notes are not printed; data, warnings and errors still are.
    quiet: bool,
}

impl Printer {
    pub fn new(quiet: bool) -> Printer {
        Printer { quiet }
    }

    /// Writes data to stdout; a closed pipe (`| head`) is not an error worth a panic.
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// Writes a block of text that holds what a server sent to stdout, its control characters
    /// escaped (its newlines and tabs kept).
    pub fn out_escaped(&self, text: &str) {
        self.out(&terminal::escaped_keeping_layout(text));
    }

    /// Writes data to stdout exactly as given (a template decides its own newlines).
    fn out_raw(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// A note for the user on stderr, such as "No resources found.".
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// An error line on stderr, as it is; shown even with `-q`.
    pub fn problem(&self, line: &str) {
        eprintln!("{line}");
    }

    /// A warning on stderr; shown even with `-q`.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    /// kubectl's line for an object a verb acted on: `server/github created (dry run)`.
    pub fn done(&self, kind: &KindInfo, name: &str, what: &str) {
        self.out(&format!("{}/{name} {what}", kind.singular));
    }

    /// kubectl's line for a deleted object: `server "github" deleted`.
    pub fn deleted(&self, kind: &KindInfo, name: &str, note: &str) {
        self.out(&format!("{} \"{name}\" deleted{note}", kind.singular));
    }

    /// A question for the user on stderr, answered on the same line.
    pub fn prompt(&self, label: &str) {
        eprint!("{label}");
    }

    /// Objects in the chosen format. `single` prints one object bare instead of a `kind: List`.
    pub fn objects(&self, kind: &KindInfo, mut objects: Vec<Object>, view: &View, single: bool) -> Result<(), Error> {
        if let Some(key) = &view.sort_by {
            let key = columns::sort_key(key).map_err(|e| Error::usage(format!("--sort-by: {e}")))?;
            let mut values: Vec<Value> =
                objects.iter().map(|o| serde_json::to_value(o).expect("objects serialize")).collect();
            columns::sort_by(&mut values, &key);
            objects = values.into_iter().map(|v| serde_json::from_value(v).expect("objects read back")).collect();
        }
        let output = view.output.clone().unwrap_or(Output::Table);
        match &output {
            Output::Table | Output::Wide => {
                if objects.is_empty() {
                    self.note("No resources found.");
                } else {
                    let options = table::Options {
                        wide: output == Output::Wide,
                        headers: !view.no_headers,
                        show_labels: view.show_labels,
                        label_columns: &view.label_columns,
                    };
                    self.out(&table::render(kind, &objects, &options));
                }
            }
            Output::Name => {
                let mut text = String::new();
                for o in &objects {
                    text.push_str(&format!("{}/{}\n", kind.singular, o.metadata.name));
                }
                if !text.is_empty() {
                    self.out(&text);
                }
            }
            Output::CustomColumns(_) | Output::CustomColumnsFile(_) => {
                let columns = match &output {
                    Output::CustomColumnsFile(path) => columns::Columns::parse_file(&read_template(path)?),
                    Output::CustomColumns(spec) => columns::Columns::parse(spec),
                    _ => unreachable!("matched above"),
                }
                .map_err(|e| Error::usage(format!("-o custom-columns: {e}")))?;
                let rows = objects.iter().map(|o| columns.row(&serde_json::to_value(o).expect("objects serialize")));
                let header = (!view.no_headers).then(|| columns.header());
                self.out(&plain_table(header, rows));
            }
            _ => {
                let value = match (single, objects.len()) {
                    (true, 1) => serde_json::to_value(&objects[0]),
                    _ => serde_json::to_value(List::new(objects)),
                }
                .expect("objects serialize");
                self.structured(&value, &output)?;
            }
        }
        Ok(())
    }

    /// One object of a watch, as it changes: a table row (with the header first when asked), a
    /// name, or a YAML document / JSON object of its own.
    /// One change of a watch; with `event` (`--output-watch-events`), what it was: an EVENT
    /// column first in a table, `{type, object}` in JSON or YAML.
    pub fn watch_event(
        &self,
        kind: &KindInfo,
        object: Object,
        view: &View,
        header: bool,
        event: Option<&str>,
    ) -> Result<(), Error> {
        let output = view.output.clone().unwrap_or(Output::Table);
        let value = |object: &Object| {
            let object = serde_json::to_value(object).expect("objects serialize");
            match event {
                Some(event) => serde_json::json!({"type": event, "object": object}),
                None => object,
            }
        };
        match &output {
            Output::Table | Output::Wide => {
                let options = table::Options {
                    wide: output == Output::Wide,
                    headers: header,
                    show_labels: view.show_labels,
                    label_columns: &view.label_columns,
                };
                let rendered = table::render(kind, &[object], &options);
                match event {
                    None => self.out(&rendered),
                    Some(event) => {
                        let mut lines = rendered.lines();
                        let mut text = String::new();
                        if header {
                            text.push_str(&format!("{:<10}{}\n", "EVENT", lines.next().unwrap_or_default()));
                        }
                        for line in lines {
                            text.push_str(&format!("{event:<10}{line}\n"));
                        }
                        self.out(&text);
                    }
                }
                Ok(())
            }
            Output::Yaml => {
                self.out(&format!("---\n{}", to_yaml(&value(&object))));
                Ok(())
            }
            Output::Json => {
                self.out(&serde_json::to_string(&value(&object)).expect("values serialize"));
                Ok(())
            }
            _ => {
                let single = View { output: view.output.clone(), no_headers: !header, ..View::default() };
                self.objects(kind, vec![object], &single, true)
            }
        }
    }

    /// Objects of several kinds (`get all`) as one `kind: List`, in YAML, JSON, names or a
    /// template.
    pub fn all_objects(&self, objects: Vec<Object>, view: &View) -> Result<(), Error> {
        match view.output.clone().unwrap_or(Output::Table) {
            Output::Name => {
                let names: Vec<String> = objects
                    .iter()
                    .map(|o| {
                        format!(
                            "{}/{}",
                            KindInfo::by_kind(&o.kind).map_or(o.kind.as_str(), |k| k.singular),
                            o.metadata.name
                        )
                    })
                    .collect();
                if !names.is_empty() {
                    self.out(&names.join("\n"));
                }
                Ok(())
            }
            output @ (Output::CustomColumns(_) | Output::CustomColumnsFile(_)) => {
                Err(unsupported(&output, "a table, yaml, json, name or jsonpath with get all"))
            }
            output => self.structured(&serde_json::to_value(List::new(objects)).expect("objects serialize"), &output),
        }
    }

    /// Any serializable value as YAML, JSON or a JSONPath template; other formats are refused.
    pub fn structured(&self, value: &Value, output: &Output) -> Result<(), Error> {
        match output {
            Output::Json => self.out(&serde_json::to_string_pretty(value).expect("values serialize")),
            Output::Yaml => self.out(&to_yaml(value)),
            Output::JsonPath(template) => self.out_raw(&render_template(template, value)?),
            Output::JsonPathFile(path) => self.out_raw(&render_template(&read_template(path)?, value)?),
            other => return Err(unsupported(other, "yaml, json or jsonpath")),
        }
        Ok(())
    }

    /// The kubectl form of a server refusal: `Error from server (Reason): message`.
    pub fn status(&self, status: &Status, context: Option<&str>) {
        let context = context.map(|c| format!("{c}: ")).unwrap_or_default();
        eprintln!("Error from server ({}): {context}{}", status.reason.as_str(), status.message);
    }

    pub fn error(&self, err: &Error) {
        match err {
            Error::Server(s) => {
                self.status(s, None);
                if s.code == 401 {
                    eprintln!(
                        "hint: the credentials were refused; run `mcpctl login` (or check --token and the context)"
                    );
                }
            }
            Error::Unreachable { url, detail } => {
                eprintln!("error: cannot reach the server at {url}: {detail}");
                eprintln!("hint: is mcpd running there? check --server or the context in your config");
            }
            Error::Usage { message, hint } => {
                eprintln!("error: {message}");
                if let Some(hint) = hint {
                    eprintln!("hint: {hint}");
                }
            }
            Error::Invalid(message) => eprintln!("error: {message}"),
            Error::Reported => {}
        }
    }
}

/// How `get` shows objects: the format and kubectl's table options.
#[derive(Debug, Default)]
pub struct View {
    pub output: Option<Output>,
    pub sort_by: Option<String>,
    pub no_headers: bool,
    pub show_labels: bool,
    pub label_columns: Vec<String>,
}

/// A usage error for an `-o` a command cannot honour.
pub fn unsupported(output: &Output, supported: &str) -> Error {
    let name = match output {
        Output::Table => "table",
        Output::Wide => "wide",
        Output::Yaml => "yaml",
        Output::Json => "json",
        Output::Name => "name",
        Output::JsonPath(_) | Output::JsonPathFile(_) => "jsonpath",
        Output::CustomColumns(_) | Output::CustomColumnsFile(_) => "custom-columns",
    };
    Error::usage(format!("-o {name} is not supported here: use {supported}"))
}

fn render_template(template: &str, value: &Value) -> Result<String, Error> {
    let template = jsonpath::Template::parse(template).map_err(|e| Error::usage(format!("-o jsonpath: {e}")))?;
    Ok(template.render(value))
}

fn read_template(path: &std::path::Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))
}

pub fn to_yaml(value: &serde_json::Value) -> String {
    serde_yaml_ng::to_string(value).expect("values serialize")
}
