//! `completion SHELL`: the completion script, generated from the clap tree.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The script for `shell`, as `completion` prints it and `completions/` holds it.
pub fn script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mcpctl", &mut buf);
    String::from_utf8(buf).expect("completion scripts are UTF-8")
}
