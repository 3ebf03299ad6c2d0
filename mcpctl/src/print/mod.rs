//! The only place that formats output: tables, YAML, JSON, names, describe, and errors.
//! Data goes to stdout, everything else to stderr.

mod describe;
mod table;
mod terminal;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use shared::{KindInfo, List, Object, Status};

pub use describe::{describe, value_lengths};
pub use table::{age, plain_table};

use crate::cli::Output;
use crate::error::Error;

/// Writes data to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// `-q`: notes are not printed; data and errors still are.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A note for the user on stderr, such as "No resources found.".
pub fn note(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("{text}");
    }
}

/// A warning on stderr; shown even with `-q`.
pub fn warn(text: &str) {
    eprintln!("warning: {text}");
}

/// Objects in the chosen format. `single` prints one object bare instead of a `kind: List`.
pub fn objects(kind: &KindInfo, objects: Vec<Object>, output: Output, single: bool) {
    match output {
        Output::Table | Output::Wide => {
            if objects.is_empty() {
                note("No resources found.");
            } else {
                out(&table::render(kind, &objects, output == Output::Wide));
            }
        }
        Output::Name => {
            let mut text = String::new();
            for o in &objects {
                text.push_str(&format!("{}/{}\n", kind.singular, o.metadata.name));
            }
            if !text.is_empty() {
                out(&text);
            }
        }
        Output::Yaml | Output::Json => {
            let value = match (single, objects.len()) {
                (true, 1) => serde_json::to_value(&objects[0]),
                _ => serde_json::to_value(List::new(objects)),
            }
            .expect("objects serialize");
            structured(&value, output);
        }
    }
}

/// Any serializable value as YAML or JSON.
pub fn structured(value: &serde_json::Value, output: Output) {
    if output == Output::Json {
        out(&serde_json::to_string_pretty(value).expect("values serialize"));
    } else {
        out(&to_yaml(value));
    }
}

pub fn to_yaml(value: &serde_json::Value) -> String {
    serde_yaml_ng::to_string(value).expect("values serialize")
}

/// The kubectl form of a server refusal: `Error from server (Reason): message`.
pub fn status(status: &Status, context: Option<&str>) {
    let context = context.map(|c| format!("{c}: ")).unwrap_or_default();
    eprintln!("Error from server ({}): {context}{}", status.reason.as_str(), status.message);
}

pub fn error(err: &Error) {
    match err {
        Error::Server(s) => status(s, None),
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
