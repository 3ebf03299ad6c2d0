//! One module per verb. A verb fetches or sends objects and hands results to `print`.

pub mod api_resources;
pub mod apply;
pub mod approve;
pub mod auth;
pub mod clients;
pub mod completion;
pub mod config;
pub mod create;
pub mod delete;
pub mod describe;
pub mod diff;
pub mod edit;
pub mod explain;
pub mod get;
pub mod label;
pub mod mcp;
pub mod migrate;
pub mod session;
pub mod version;

use std::cell::OnceCell;

use shared::KindInfo;

use crate::cli::{ApproveCommand, AuthCommand, Command, Global, MigrateCommand, Output, TestCommand};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::print::Printer;
use shared::name::ProjectName;

/// How a command ended, when it did not fail: its exit code (uv's shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0.
    Success,
    /// 1: the command worked and the answer is no (diff found differences, can-i says no).
    Failure,
    /// 2: what was checked broke its contract (`test mcp`).
    Violated,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        match status {
            ExitStatus::Success => std::process::ExitCode::SUCCESS,
            ExitStatus::Failure => std::process::ExitCode::from(1),
            ExitStatus::Violated => std::process::ExitCode::from(2),
        }
    }
}

/// Runs a command. Its failures are errors, whose kind is the exit code (`Error::exit_code`).
pub fn run(ctx: &Ctx, command: &Command) -> Result<ExitStatus> {
    let success = |result: Result<()>| result.map(|()| ExitStatus::Success);
    match command {
        Command::Get(args) => success(get::run(ctx, args)),
        Command::Describe(args) => success(ctx.no_output_flag("describe").and_then(|()| describe::run(ctx, args))),
        Command::Create(args) => success(create::run(ctx, args)),
        // -o prints what a client dry run would send; an apply itself prints its lines only.
        Command::Apply(args) if args.dry_run == crate::cli::DryRun::Client => success(apply::run(ctx, args)),
        Command::Apply(args) => success(ctx.no_output_flag("apply").and_then(|()| apply::run(ctx, args))),
        Command::Diff(args) => diff::run(ctx, args),
        Command::Delete(args) => success(delete::run(ctx, args)),
        Command::Edit(args) => success(edit::run(ctx, args)),
        Command::Label(args) => success(label::run(ctx, args, label::Field::Labels)),
        Command::Annotate(args) => success(label::run(ctx, args, label::Field::Annotations)),
        Command::Login(args) => success(session::login(ctx, args)),
        Command::Logout => success(session::logout(ctx)),
        Command::Whoami(args) => success(session::whoami(ctx, args)),
        Command::Config(command) => success(config::run(ctx, command)),
        Command::Auth(AuthCommand::CanI { verb: Some(verb), kind: Some(kind), as_user, .. }) => {
            auth::can_i(ctx, verb, kind, as_user.as_deref())
        }
        Command::Auth(AuthCommand::CanI { as_user, .. }) => success(auth::list(ctx, as_user.as_deref())),
        Command::Auth(AuthCommand::Password { password_stdin }) => success(auth::password(ctx, *password_stdin)),
        Command::ApiResources => success(api_resources::run(ctx)),
        Command::Explain(args) => success(explain::run(ctx, args)),
        Command::Completion(args) => {
            ctx.printer.out(&completion::script(args.shell));
            Ok(ExitStatus::Success)
        }
        Command::Version => success(version::run(ctx)),
        Command::Test(TestCommand::Mcp(args)) => mcp::test(ctx, args),
        Command::Mcp(args) => success(mcp::bridge(ctx, args)),
        Command::Migrate(MigrateCommand::Secrets(args)) => success(migrate::secrets(ctx, args)),
        Command::Approve(ApproveCommand::Tools(args)) => success(approve::tools(ctx, args)),
    }
}

/// What every verb gets: the global flags and a client made on first use.
pub struct Ctx {
    pub global: Global,
    /// Where everything the command shows goes.
    pub printer: Printer,
    /// The server and credential the flags, environment and config file name, resolved once.
    target: OnceCell<crate::config::Target>,
    client: OnceCell<Client>,
}

impl Ctx {
    pub fn new(global: Global) -> Ctx {
        Ctx { printer: Printer::new(global.quiet), global, target: OnceCell::new(), client: OnceCell::new() }
    }

    /// The server and credential to use: `--server`, `--token`, `--context` and `--config`
    /// (and their variables) over the config file's current context.
    pub fn target(&self) -> Result<&crate::config::Target> {
        if let Some(target) = self.target.get() {
            return Ok(target);
        }
        let target = crate::config::target(&self.global)?;
        Ok(self.target.get_or_init(|| target))
    }

    pub fn client(&self) -> Result<&Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let target = self.target()?.clone();
        Ok(self.client.get_or_init(|| Client::new(target, self.global.verbose(), self.request_timeout())))
    }

    /// The project for a kind: `-p` or the context's for project-scoped kinds, none otherwise.
    pub fn project_for(&self, kind: &KindInfo) -> Result<Option<ProjectName>> {
        if kind.scope != shared::Scope::Project {
            // A project given for a global kind would be silently meaningless: say so.
            if self.global.on_command_line.project {
                return Err(Error::usage(format!("{} are global: -p/--project does not apply to them", kind.plural)));
            }
            return Ok(None);
        }
        match self.project()? {
            None if kind.needs_project() => Err(Error::Usage {
                message: format!("{} are in a project: name one with -p PROJECT", kind.plural),
                hint: Some("or -A/--all-projects to list every project's".to_owned()),
            }),
            project => Ok(project),
        }
    }

    /// The project of `-p` or the context, if any; a name no project can have is a usage error.
    pub fn project(&self) -> Result<Option<ProjectName>> {
        match self.client()?.target().project.as_deref().filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(p) => ProjectName::parse(p)
                .map(Some)
                .map_err(|msg| Error::usage(format!("project {:?}: {msg}", shared::name::shown(p)))),
        }
    }

    /// `--request-timeout`, where 0 means none.
    pub fn request_timeout(&self) -> Option<std::time::Duration> {
        Some(self.global.request_timeout).filter(|t| !t.is_zero())
    }

    pub fn output(&self) -> Output {
        self.global.output.clone().unwrap_or(Output::Table)
    }

    /// Refuses `-o` for a command that prints no data it could format (exit 2), rather than
    /// ignoring it.
    pub fn no_output_flag(&self, command: &str) -> Result<()> {
        match &self.global.output {
            None => Ok(()),
            Some(output) => Err(crate::print::unsupported(output, &format!("no -o with {command}"))),
        }
    }
}

/// Resolves a kind as typed, or a usage error listing the kinds and the nearest one.
pub fn kind(word: &str) -> Result<&'static KindInfo> {
    KindInfo::find(word).ok_or_else(|| {
        let plurals: Vec<&str> = shared::KINDS.iter().map(|k| k.plural).collect();
        let nearest = KindInfo::all_words()
            .map(|w| (distance(&word.to_ascii_lowercase(), w), w))
            .min()
            .filter(|(d, _)| *d <= 3)
            .and_then(|(_, w)| KindInfo::find(w))
            .map(|k| format!("; did you mean {:?}?", k.plural))
            .unwrap_or_default();
        Error::Usage {
            message: format!("the server doesn't have a resource type {word:?}"),
            hint: Some(format!("known kinds are {}{nearest} (see `mcpctl api-resources`)", plurals.join(", "))),
        }
    })
}

/// Reads `KIND NAME...` or `KIND/NAME...` into one kind and its names.
pub fn targets(first: &str, rest: &[String]) -> Result<(&'static KindInfo, Vec<String>)> {
    match first.split_once('/') {
        None => Ok((kind(first)?, rest.to_vec())),
        Some((k, name)) => {
            let info = kind(k)?;
            let mut names = vec![name.to_owned()];
            for item in rest {
                match item.split_once('/') {
                    Some((k2, n)) if kind(k2)? == info => names.push(n.to_owned()),
                    Some(_) => return Err(Error::usage("all KIND/NAME arguments must be of one kind")),
                    None => {
                        return Err(Error::usage(format!(
                            "there is no need to give a name separately when using KIND/NAME: {item:?}"
                        )))
                    }
                }
            }
            Ok((info, names))
        }
    }
}

/// Edit distance, for suggesting the nearest kind.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Splits `KEY=VALUE`, or a usage error naming the flag.
pub fn key_value<'a>(flag: &str, item: &'a str) -> Result<(&'a str, &'a str)> {
    item.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| Error::usage(format!("{flag} expects KEY=VALUE, got {item:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_suggest_the_nearest() {
        let Err(Error::Usage { hint: Some(hint), .. }) = kind("sever") else { panic!("unknown kind must fail") };
        assert!(hint.contains("did you mean \"servers\""), "{hint}");
        assert!(hint.contains("secretbackends, servers, projects"), "{hint}");
    }

    #[test]
    fn kind_slash_name_forms_are_read() {
        let (k, names) = targets("srv/a", &["server/b".to_owned()]).unwrap();
        assert_eq!((k.kind, names), (shared::Kind::Server, vec!["a".to_owned(), "b".to_owned()]));
        assert!(targets("srv/a", &["secret/b".to_owned()]).is_err());
    }
}
