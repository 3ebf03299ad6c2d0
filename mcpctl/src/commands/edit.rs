//! `edit KIND NAME`: kubectl's edit loop. The object opens as YAML in `$MCPCTL_EDITOR`,
//! `$EDITOR` or `vi`; on save it is replaced with its resourceVersion as the precondition. A
//! save with no change does nothing; an editor that exits non-zero cancels; an invalid edit
//! reopens with the error as comments at the top, until it applies or is left unchanged.

use shared::name::ProjectName;
use std::path::Path;
use std::process::Command;

use shared::{KindInfo, Object};

use crate::cli::EditArgs;
use crate::commands::{targets, Ctx};
use crate::error::{Error, Result};
use crate::manifest;
use crate::print;

const HEADER: &str = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n\
                      # and an empty file will abort the edit. If an error occurs while saving this file will be\n\
                      # reopened with the relevant failures.\n#\n";

pub fn run(ctx: &Ctx, args: &EditArgs) -> Result<()> {
    ctx.no_output_flag("edit")?;
    let (info, names) = targets(&args.kind, &args.name.iter().cloned().collect::<Vec<_>>())?;
    let [name] = names.as_slice() else {
        return Err(Error::usage("edit takes one object: KIND NAME or KIND/NAME"));
    };
    let client = ctx.client()?;
    let project = ctx.project_for(info)?;
    // A secret opens with its values, which needs edit on it; the server says so otherwise.
    let original = client.get(info, project.as_ref(), name, info.sensitive)?;
    let original_yaml = print::to_yaml(&serde_json::to_value(&original).expect("objects serialize"));
    let dir = tempfile::Builder::new().prefix("mcpctl-edit-").tempdir().map_err(io("a temporary directory"))?;
    let file = dir.path().join(format!("{}-{name}.yaml", info.singular));
    let mut shown = original_yaml.clone();
    let mut error: Option<String> = None;
    loop {
        let header = match &error {
            None => HEADER.to_owned(),
            Some(e) => {
                let commented: String = e.lines().map(|l| format!("# {l}\n")).collect();
                format!("{HEADER}# The edited file had an error:\n{commented}#\n")
            }
        };
        write_private(&file, &format!("{header}{shown}"))?;
        open_editor(&file)?;
        let edited = std::fs::read_to_string(&file).map_err(io("the edited file"))?;
        let body = without_comments(&edited);
        if body.trim().is_empty() {
            return Err(Error::Invalid("edit cancelled: the file was emptied".to_owned()));
        }
        if body == without_comments(&shown) {
            if let Some(e) = error {
                // The same content that failed: kubectl keeps the user's work, and so do we.
                let kept = std::env::temp_dir().join(format!("mcpctl-edit-{}-{name}.yaml", info.singular));
                write_private(&kept, &body)?;
                return Err(Error::Invalid(format!(
                    "the edit was not applied: {e}\nyour version is in {}",
                    kept.display()
                )));
            }
            ctx.printer.note("Edit cancelled, no changes made.");
            return Ok(());
        }
        match save(client, info, project.as_ref(), &original, &body) {
            Ok(()) => {
                ctx.printer.done(info, name, "edited");
                return Ok(());
            }
            Err(Error::Server(status)) if status.code != 401 => error = Some(status.message),
            Err(Error::Invalid(message)) => error = Some(message),
            Err(e) => return Err(e),
        }
        shown = body;
    }
}

/// Applies the edited text as the object's new state.
fn save(
    client: &crate::client::Client,
    info: &KindInfo,
    project: Option<&ProjectName>,
    original: &Object,
    text: &str,
) -> Result<()> {
    let mut docs = Vec::new();
    manifest::parse("the edited file", text, &mut docs)?;
    let [doc] = docs.as_slice() else {
        return Err(Error::Invalid("the edited file must hold exactly one object".to_owned()));
    };
    if doc.kind() != info.kind.as_str() || doc.name() != original.metadata.name {
        return Err(Error::Invalid(format!(
            "the kind and name cannot change (they are {} {:?}): create a new object instead",
            info.kind, original.metadata.name
        )));
    }
    let object: Object = serde_json::from_value(doc.value.clone())
        .map_err(|e| Error::Invalid(format!("the edited file is not an object: {e}")))?;
    client.replace(info, project, &object, false).map(|_| ())
}

/// The edited text without the comment lines at its top.
fn without_comments(text: &str) -> String {
    text.lines().skip_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect()
}

fn open_editor(file: &Path) -> Result<()> {
    let editor = ["MCPCTL_EDITOR", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    // `code --wait` and the like: the editor command may carry its own arguments.
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = Command::new(program).args(words).arg(file).status().map_err(|e| Error::Usage {
        message: format!("cannot start the editor {editor:?}: {e}"),
        hint: Some("set MCPCTL_EDITOR or EDITOR".to_owned()),
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Invalid(format!("edit cancelled: the editor exited with {status}; no changes made")))
    }
}

/// Writes a file only its owner can read: it may hold secret values.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).and_then(|mut f| f.write_all(text.as_bytes())).map_err(io("the file to edit"))
}

fn io(what: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| Error::Invalid(format!("cannot write or read {what}: {e}"))
}
