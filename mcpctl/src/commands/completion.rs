//! `completion SHELL`: a script that registers mcpctl's completion with the shell. The shell
//! asks mcpctl itself at each TAB (clap_complete's dynamic completion, the way cobra's
//! `__complete` works for kubectl), so verbs, kinds and flags come from the command tree and
//! object names from the server of the current context: at most one second, and nothing at
//! all when it cannot be reached.

use std::ffi::OsStr;
use std::time::Duration;

use clap::Parser;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use clap_complete::Shell;

use crate::cli::{Cli, Completing};
use crate::client::Client;
use crate::commands::{kind, Ctx};

/// The environment variable through which the shell asks mcpctl for completions.
pub const VAR: &str = "MCPCTL_COMPLETE";

/// How long completion may wait for the server.
const SERVER_WAIT: Duration = Duration::from_secs(1);

/// The script for `shell`, as `completion` prints it and `completions/` holds it.
pub fn script(shell: Shell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::PowerShell => &Powershell,
        Shell::Elvish => &Elvish,
        _ => &Bash,
    };
    let mut buf = Vec::new();
    completer.write_registration(VAR, "mcpctl", "mcpctl", "mcpctl", &mut buf).expect("writing to memory cannot fail");
    String::from_utf8(buf).expect("completion scripts are UTF-8")
}

/// Global flags that take a value and decide which server and credentials to ask.
const TARGET_FLAGS: [&str; 6] = ["--server", "--token", "--context", "--config", "--project", "-p"];

/// Candidates for the word being completed: object names and projects from the current
/// context's server, contexts from the config file.
pub fn names(what: Completing, current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(prefix) = current.to_str() else { return Vec::new() };
    // While completing, mcpctl runs as `mcpctl -- mcpctl VERB KIND ... CURRENT`.
    let words: Vec<String> = std::env::args().skip_while(|a| a != "--").skip(2).collect();
    let found = match what {
        Completing::Objects => object_names(&words),
        Completing::Projects => within_target(&target_flags(&words), |ctx| {
            let client = Client::new(ctx.target().ok()?.clone(), false, Some(SERVER_WAIT));
            let projects = client.list(shared::Kind::Project.info(), None, None, false).ok()?;
            Some(projects.into_iter().map(|o| o.metadata.name).collect())
        }),
        Completing::Contexts => within_target(&target_flags(&words), |ctx| {
            let file = crate::config::ConfigFile::load(&crate::config::path(&ctx.global)).ok()?;
            Some(file.contexts.into_iter().map(|c| c.name).collect())
        }),
    };
    found.into_iter().filter(|n| n.starts_with(prefix)).map(CompletionCandidate::new).collect()
}

/// Runs `ask` with the context the typed global flags pick.
fn within_target(target: &[String], ask: impl FnOnce(&Ctx) -> Option<Vec<String>>) -> Vec<String> {
    let mut args = vec!["mcpctl".to_owned()];
    args.extend(target.iter().cloned());
    args.push("version".to_owned());
    let Ok(cli) = Cli::try_parse_from(args) else { return Vec::new() };
    ask(&Ctx::new(cli.global)).unwrap_or_default()
}

/// Names of objects of the kind on the command line, from the current context's server.
fn object_names(words: &[String]) -> Vec<String> {
    let Some((kind_word, target)) = kind_and_target(words) else { return Vec::new() };
    if kind_word.contains('/') {
        return Vec::new();
    }
    let Ok(info) = kind(&kind_word) else { return Vec::new() };
    within_target(&target, |ctx| {
        let (target, project) = (ctx.target().ok()?, ctx.project_for(info).ok()?);
        let client = Client::new(target.clone(), false, Some(SERVER_WAIT));
        let objects = client.list(info, project.as_ref(), None, false).ok()?;
        Some(objects.into_iter().map(|o| o.metadata.name).collect())
    })
}

/// The global flags that pick the server among the words typed before the one being
/// completed (a flag whose value is being completed is not among them).
fn target_flags(words: &[String]) -> Vec<String> {
    let typed = &words[..words.len().saturating_sub(1)];
    let mut target = Vec::new();
    let mut iter = typed.iter();
    while let Some(word) = iter.next() {
        if word.split_once('=').is_some_and(|(flag, _)| TARGET_FLAGS.contains(&flag)) {
            target.push(word.clone());
        } else if TARGET_FLAGS.contains(&word.as_str()) {
            match iter.next() {
                Some(value) => target.extend([word.clone(), value.clone()]),
                None => break,
            }
        }
    }
    target
}

/// The kind word (the first word after the verb that is not a flag), and the global flags
/// that pick the server, among the words typed before the one being completed.
fn kind_and_target(words: &[String]) -> Option<(String, Vec<String>)> {
    let typed = &words[..words.len().saturating_sub(1)];
    let mut positional = Vec::new();
    let mut iter = typed.iter();
    while let Some(word) = iter.next() {
        if TARGET_FLAGS.contains(&word.as_str()) {
            // Its value is not a positional word.
            iter.next();
        } else if !word.starts_with('-') {
            positional.push(word);
        }
    }
    // positional[0] is the verb, positional[1] the kind.
    positional.get(1).map(|kind| ((*kind).clone(), target_flags(words)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn the_kind_and_the_target_flags_are_found_before_the_current_word() {
        let (kind, target) = kind_and_target(&words("get servers gi")).unwrap();
        assert_eq!((kind.as_str(), target.len()), ("servers", 0));
        let (kind, target) =
            kind_and_target(&words("--context prod describe -p demo mcptokens --server=http://x ")).unwrap();
        assert_eq!(kind, "mcptokens");
        assert_eq!(target, ["--context", "prod", "-p", "demo", "--server=http://x"]);
        assert!(kind_and_target(&words("get ")).is_none());
        assert!(kind_and_target(&words("get")).is_none());
    }
}
