//! The clap tree of mcpctl, and nothing else.

use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mcpctl",
    version,
    about = "Manage MCP projects, servers and secrets on an mcpd control plane",
    after_help = "Start with `mcpctl --config <mcpd data dir>/admin.yaml get projects`, or `mcpctl login --server URL`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Debug, Args)]
pub struct Global {
    /// mcpd URL, overriding the context's
    #[arg(long, env = "MCPCTL_SERVER", global = true)]
    pub server: Option<String>,
    /// Bearer token, overriding the context's
    #[arg(long, env = "MCPCTL_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// Context of the config file to use
    #[arg(long, env = "MCPCTL_CONTEXT", global = true, add = contexts())]
    pub context: Option<String>,
    /// Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]
    #[arg(long, env = "MCPCTL_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE,
    /// custom-columns=HEADER:PATH,... or custom-columns-file=FILE
    #[arg(short, long, global = true, value_parser = OutputParser)]
    pub output: Option<Output>,
    /// Project, for project-scoped objects (McpTokens) [default: the context's]
    #[arg(short, long, env = "MCPCTL_PROJECT", global = true, add = projects())]
    pub project: Option<String>,
    /// Print no notes on stderr (data and errors still print)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request
    #[arg(
        short = 'v',
        long = "verbose",
        visible_alias = "v",
        global = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "1",
        value_name = "LEVEL"
    )]
    pub verbosity: Option<u8>,
    /// How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever
    #[arg(long, env = "MCPCTL_REQUEST_TIMEOUT", global = true, default_value = "120s", value_parser = parse_timeout)]
    pub request_timeout: std::time::Duration,
    /// Which of the global values were given as flags on the command line (not taken from
    /// the environment): what `config set-context` may save.
    #[arg(skip)]
    pub on_command_line: OnCommandLine,
}

/// clap suggests the nearest flag for a mistyped one; a typo must never be one keystroke away
/// from revealing secrets, so a suggestion of `--show-values` is dropped.
/// A mistyped verb gets the nearest verb as kubectl suggests it, counting a swap of two
/// neighbouring letters as one edit (`gte` → `get`, where clap's own measure finds `test`).
fn with_nearest_verb(error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use clap::CommandFactory;
    if error.kind() != ErrorKind::InvalidSubcommand {
        return error;
    }
    let Some(ContextValue::String(typed)) = error.get(ContextKind::InvalidSubcommand) else { return error };
    // Only the verb itself: a mistyped word after it is clap's to place (`config vew`).
    if std::env::args().skip(1).find(|word| !word.starts_with('-')).as_ref() != Some(typed) {
        return error;
    }
    let command = Cli::command();
    let nearest = command
        .get_subcommands()
        .filter(|verb| !verb.is_hide_set())
        .flat_map(|verb| std::iter::once(verb.get_name()).chain(verb.get_visible_aliases()))
        .map(|name| (strsim::osa_distance(typed, name), name))
        .filter(|(distance, name)| *distance <= 2 && *distance < name.len())
        .min();
    match nearest {
        Some((_, name)) => Cli::command().error(
            ErrorKind::InvalidSubcommand,
            format!("unrecognized subcommand '{typed}'\n\n  tip: a similar subcommand exists: '{name}'"),
        ),
        None => error,
    }
}

fn without_revealing_suggestion(error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let suggests_reveal = matches!(
        error.get(ContextKind::SuggestedArg),
        Some(ContextValue::String(s)) if s.contains("show-values")
    );
    if error.kind() != ErrorKind::UnknownArgument || !suggests_reveal {
        return error;
    }
    let typed = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    clap::Error::raw(
        ErrorKind::UnknownArgument,
        format!("unexpected argument '{typed}' found\n\nFor more information, try '--help'.\n"),
    )
}

/// Global values given as flags, as opposed to the environment.
#[derive(Clone, Debug, Default)]
pub struct OnCommandLine {
    pub server: bool,
    pub token: bool,
    pub project: bool,
}

impl Cli {
    /// Parses the command line, noting which global values came from flags.
    pub fn parse_noting_sources() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command()
            .try_get_matches()
            .unwrap_or_else(|e| with_nearest_verb(without_revealing_suggestion(e)).exit());
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        // Global flags may stand after the subcommand: their source is in the innermost matches.
        let mut innermost = &matches;
        while let Some((_, sub)) = innermost.subcommand() {
            innermost = sub;
        }
        let given = |id: &str| {
            innermost.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
                || matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        };
        cli.global.on_command_line =
            OnCommandLine { server: given("server"), token: given("token"), project: given("project") };
        cli
    }
}

impl Global {
    /// Whether requests are printed (`-v`, any level above 0).
    pub fn verbose(&self) -> bool {
        self.verbosity.is_some_and(|level| level > 0)
    }
}

/// `30s`, `2m`, `1h`, a bare number of seconds, or `0` for no limit.
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration such as 30s, 2m or 0"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{text:?} is not a duration such as 30s, 2m or 0")),
    };
    Ok(std::time::Duration::from_secs(seconds))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Table,
    Wide,
    Yaml,
    Json,
    Name,
    /// kubectl's JSONPath template.
    JsonPath(String),
    JsonPathFile(PathBuf),
    /// `HEADER:PATH,...`.
    CustomColumns(String),
    CustomColumnsFile(PathBuf),
}

/// `-o`: a plain format, or `jsonpath=`, `custom-columns=` and their `-file=` forms.
#[derive(Clone, Debug)]
pub struct OutputParser;

impl TypedValueParser for OutputParser {
    type Value = Output;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Output, clap::Error> {
        let text = value.to_str().ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8))?;
        let parsed = match text.split_once('=') {
            Some(("jsonpath", t)) => Some(Output::JsonPath(t.to_owned())),
            Some(("jsonpath-file", f)) => Some(Output::JsonPathFile(PathBuf::from(f))),
            Some(("custom-columns", c)) => Some(Output::CustomColumns(c.to_owned())),
            Some(("custom-columns-file", f)) => Some(Output::CustomColumnsFile(PathBuf::from(f))),
            Some(_) => None,
            None => match text {
                "table" => Some(Output::Table),
                "wide" => Some(Output::Wide),
                "yaml" => Some(Output::Yaml),
                "json" => Some(Output::Json),
                "name" => Some(Output::Name),
                _ => None,
            },
        };
        parsed.ok_or_else(|| {
            let mut err = clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd);
            if let Some(arg) = arg {
                err.insert(clap::error::ContextKind::InvalidArg, clap::error::ContextValue::String(arg.to_string()));
            }
            err.insert(clap::error::ContextKind::InvalidValue, clap::error::ContextValue::String(text.to_owned()));
            err.insert(
                clap::error::ContextKind::ValidValue,
                clap::error::ContextValue::Strings(
                    [
                        "table",
                        "wide",
                        "yaml",
                        "json",
                        "name",
                        "jsonpath=",
                        "jsonpath-file=",
                        "custom-columns=",
                        "custom-columns-file=",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                ),
            );
            err
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let plain = ["table", "wide", "yaml", "json", "name"];
        Some(Box::new(plain.into_iter().map(PossibleValue::new)))
    }
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum Command {
    /// Show one or many objects
    #[command(after_help = examples::GET)]
    Get(GetArgs),
    /// Show an object in detail, with what references it
    #[command(after_help = examples::DESCRIBE)]
    Describe(DescribeArgs),
    /// Create an object from flags or from a file
    #[command(after_help = examples::CREATE)]
    Create(CreateArgs),
    /// Create or update objects from files so they match them
    #[command(after_help = examples::APPLY)]
    Apply(ApplyArgs),
    /// Show how live objects differ from files (exit 0 same, 1 different, 2 error)
    #[command(after_help = examples::DIFF)]
    Diff(FileArgs),
    /// Delete objects by name, label selector or file
    #[command(after_help = examples::DELETE)]
    Delete(DeleteArgs),
    /// Edit an object as YAML in your editor, and apply it on save
    #[command(after_help = examples::EDIT)]
    Edit(EditArgs),
    /// Set or remove labels of objects
    #[command(after_help = examples::LABEL)]
    Label(MetaArgs),
    /// Set or remove annotations of objects
    #[command(after_help = examples::ANNOTATE)]
    Annotate(MetaArgs),
    /// Log in with email and password and save a context
    #[command(after_help = examples::LOGIN)]
    Login(LoginArgs),
    /// End the current session and forget its token
    #[command(after_help = examples::LOGOUT)]
    Logout,
    /// Show who the current credentials belong to
    #[command(after_help = examples::WHOAMI)]
    Whoami(WhoamiArgs),
    /// Ask about access, or change your password
    #[command(subcommand)]
    #[command(after_help = examples::AUTH)]
    Auth(AuthCommand),
    /// Manage the config file
    #[command(subcommand)]
    #[command(after_help = examples::CONFIG)]
    Config(ConfigCommand),
    /// Describe the fields of a kind, from the schemas mcpd publishes
    #[command(after_help = examples::EXPLAIN)]
    Explain(ExplainArgs),
    /// List the kinds mcpd serves
    #[command(after_help = examples::API_RESOURCES)]
    ApiResources,
    /// Print a shell completion script
    #[command(after_help = examples::COMPLETION)]
    Completion(CompletionArgs),
    /// Print client and server versions
    #[command(after_help = examples::VERSION)]
    Version,
    /// Check an MCP endpoint end to end (exit 0 pass, 1 transport or authentication failure,
    /// 2 contract failure)
    #[command(subcommand)]
    #[command(after_help = examples::TEST)]
    Test(TestCommand),
    /// Serve a project's gateway endpoint on stdin/stdout, for clients that only start stdio
    /// servers
    #[command(after_help = examples::MCP)]
    Mcp(GatewayArgs),
    /// Move secret values from one backend to another
    #[command(subcommand)]
    #[command(after_help = examples::MIGRATE)]
    Migrate(MigrateCommand),
    /// Approve what a project's tools are now, so a project with tools.pin shows them
    #[command(subcommand)]
    #[command(after_help = examples::APPROVE)]
    Approve(ApproveCommand),
}

#[derive(Debug, Subcommand)]
pub enum ApproveCommand {
    /// Record each named tool's current definition (as a gateway last listed it) as the one
    /// approved for the project: a pinned project shows it again, and its clients hear of it
    /// at once. Needs edit on the project.
    Tools(ApproveToolsArgs),
}

#[derive(Debug, Args)]
pub struct ApproveToolsArgs {
    /// The tools, by the names clients see (`github__get_issue`)
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub names: Vec<String>,
    /// Every tool of the project that is pending or changed
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Move the values of secrets from one backend to another, one secret at a time: written
    /// to the target, the secret switched to it, then removed from the source. Safe to
    /// interrupt and to run again: it finishes what was left. Needs run migrate-secrets and
    /// edit on each secret.
    Secrets(MigrateSecretsArgs),
}

#[derive(Debug, Args)]
pub struct MigrateSecretsArgs {
    /// The backend the values are on now
    #[arg(long)]
    pub from: String,
    /// The backend to move them to
    #[arg(long)]
    pub to: String,
    /// Only these secrets [default: every secret on --from]
    pub names: Vec<String>,
    /// Leave the values on --from as well (an external source only)
    #[arg(long = "keep-source")]
    pub keep_source: bool,
    /// Check every secret and move nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum TestCommand {
    /// Initialize, list the tools, optionally call one, and report; works against any MCP
    /// Streamable HTTP endpoint. The bearer is --token (MCPCTL_TOKEN), else the context's when
    /// URL is on the context's gateway, else none.
    Mcp(TestMcpArgs),
}

#[derive(Debug, Args)]
pub struct TestMcpArgs {
    /// The endpoint, such as http://127.0.0.1:3200/projects/demo/mcp
    pub url: String,
    /// Tools that must be listed, comma-separated
    #[arg(long, value_delimiter = ',')]
    pub expect_tools: Vec<String>,
    /// A tool to call
    #[arg(long)]
    pub tool: Option<String>,
    /// The call's arguments, a JSON object
    #[arg(long, requires = "tool")]
    pub args: Option<String>,
    /// How long the whole check may take, e.g. 10s or 1m
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// The gateway's URL [default: the context's gateway, else http://127.0.0.1:3200 when
    /// mcpd is on this machine]
    #[arg(long, env = "MCPCTL_GATEWAY")]
    pub gateway: Option<String>,
}

/// The MCP clients `config client` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum McpClient {
    ClaudeCode,
    ClaudeDesktop,
    Cursor,
    Vscode,
}

/// How a client reaches the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientTransport {
    /// Streamable HTTP straight to the gateway, with a token from the environment
    Http,
    /// `mcpctl mcp -p PROJECT`, with this context's credential
    Stdio,
}

/// The Examples sections of `--help` (and the man pages), as kubectl has them.
mod examples {
    pub const EDIT: &str = r#"Examples:
  mcpctl edit server github
  EDITOR="code --wait" mcpctl edit project/demo
  mcpctl edit secret github-creds       # opens with its values: needs edit on the secret"#;
    pub const EXPLAIN: &str = r#"Examples:
  mcpctl explain server
  mcpctl explain server.spec.env
  mcpctl explain rbac --recursive"#;
    pub const GET: &str = r#"Examples:
  mcpctl get servers
  mcpctl get server github -o yaml
  mcpctl get servers -l team=infra -o wide --sort-by .metadata.name
  mcpctl get servers -o jsonpath='{.items[*].metadata.name}'
  mcpctl get mcptokens -A
  mcpctl get events --for-kind servers --since 1h
  mcpctl get all -o yaml --show-values > backup.yaml"#;
    pub const DESCRIBE: &str = r#"Examples:
  mcpctl describe secret github-creds
  mcpctl describe user dev@example.com
  mcpctl describe mcptoken ci -p demo"#;
    pub const CREATE: &str = r#"Examples:
  mcpctl create secret gh --from-literal token=ghp_example
  mcpctl create server github --transport stdio --command npx --arg -y \
    --arg @modelcontextprotocol/server-github --env-from-secret GITHUB_TOKEN=gh:token
  mcpctl create project demo --servers github,search
  TOKEN=$(mcpctl create mcptoken ci -p demo --bind role:view,resource:servers --ttl 30d)
  mcpctl create server x --transport http --url https://x.example/mcp --dry-run=client -o yaml"#;
    pub const APPLY: &str = r#"Examples:
  mcpctl apply -f manifests/
  mcpctl apply -f server.yaml --dry-run
  mcpctl get server github -o yaml | mcpctl apply -f -"#;
    pub const DIFF: &str = r#"Examples:
  mcpctl diff -f manifests/ || echo "live state differs""#;
    pub const DELETE: &str = r#"Examples:
  mcpctl delete server github
  mcpctl delete servers -l team=old --dry-run=server
  mcpctl delete -f manifests/old.yaml --ignore-not-found"#;
    pub const LABEL: &str = r#"Examples:
  mcpctl label server github team=infra
  mcpctl label servers --all tier=core --overwrite
  mcpctl label server github team-"#;
    pub const ANNOTATE: &str = r#"Examples:
  mcpctl annotate project demo owner=platform@example.com
  mcpctl annotate project demo owner-"#;
    pub const LOGIN: &str = r#"Examples:
  mcpctl login --server https://mcpd.example.com --email dev@example.com
  mcpctl login --email dev@example.com --password-stdin < password.txt"#;
    pub const LOGOUT: &str = r#"Examples:
  mcpctl logout"#;
    pub const WHOAMI: &str = r#"Examples:
  mcpctl whoami
  mcpctl whoami -o json"#;
    pub const AUTH: &str = r#"Examples:
  mcpctl auth can-i update servers/github
  mcpctl auth can-i run introspect
  mcpctl auth can-i run connect/demo
  mcpctl auth password"#;
    pub const MIGRATE: &str = r#"Examples:
  mcpctl migrate secrets --from internal --to bao --dry-run
  mcpctl migrate secrets --from internal --to bao
  mcpctl migrate secrets --from bao --to internal github-creds
  mcpctl migrate secrets --from bao --to bao-dr --keep-source"#;
    pub const APPROVE: &str = r#"Examples:
  mcpctl get tools -p demo
  mcpctl describe tool github__get_issue -p demo
  mcpctl approve tools -p demo github__get_issue
  mcpctl approve tools -p demo --all"#;
    pub const CONFIG: &str = r#"Examples:
  mcpctl config get-contexts
  mcpctl config use-context admin
  mcpctl config set-context ci --server https://mcpd.example.com -p demo
  mcpctl config set-context ci --gateway https://mcpgw.example.com
  mcpctl config client claude-code -p demo > .mcp.json
  mcpctl config client claude-desktop -p demo"#;
    pub const API_RESOURCES: &str = r#"Examples:
  mcpctl api-resources
  mcpctl api-resources -o name"#;
    pub const COMPLETION: &str = r#"Examples:
  source <(mcpctl completion bash)
  mcpctl completion zsh > "${fpath[1]}/_mcpctl"
  mcpctl completion fish > ~/.config/fish/completions/mcpctl.fish"#;
    pub const TEST: &str = r#"Examples:
  mcpctl test mcp http://127.0.0.1:3200/projects/demo/mcp --token "$TOK"
  mcpctl test mcp https://mcp.example.com/mcp --expect-tools search,fetch
  mcpctl test mcp "$URL" --tool github__get_me --args '{}' -o json"#;
    pub const MCP: &str = r#"Examples:
  mcpctl mcp -p demo
  mcpctl mcp -p demo --gateway https://mcpgw.example.com"#;
    pub const VERSION: &str = r#"Examples:
  mcpctl version
  mcpctl version -o json"#;
}

/// What completes names: `main` sets it (to `commands::completion::names`, which asks the
/// server of the current context, or reads the config file), so the clap tree imports no
/// command.
pub static NAME_COMPLETER: std::sync::OnceLock<NameCompleter> = std::sync::OnceLock::new();

/// The names a word is completed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completing {
    /// Objects of the kind on the command line.
    Objects,
    /// Projects (for `-p`).
    Projects,
    /// Contexts of the config file.
    Contexts,
}

/// Candidates for the word being completed.
pub type NameCompleter = fn(Completing, &std::ffi::OsStr) -> Vec<clap_complete::engine::CompletionCandidate>;

fn completer(what: Completing) -> clap_complete::engine::ArgValueCompleter {
    clap_complete::engine::ArgValueCompleter::new(move |current: &std::ffi::OsStr| {
        NAME_COMPLETER.get().map(|complete| complete(what, current)).unwrap_or_default()
    })
}

/// Completes object names with `NAME_COMPLETER`, when set.
fn names() -> clap_complete::engine::ArgValueCompleter {
    completer(Completing::Objects)
}

fn projects() -> clap_complete::engine::ArgValueCompleter {
    completer(Completing::Projects)
}

fn contexts() -> clap_complete::engine::ArgValueCompleter {
    completer(Completing::Contexts)
}

/// A kind as users type it: plural, singular, alias or Kind, optionally `KIND/NAME`.
/// Offers every kind word to shell completion; checking happens later, with a hint.
#[derive(Clone, Debug)]
pub struct KindParser;

impl TypedValueParser for KindParser {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        value.to_str().map(str::to_owned).ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(shared::KINDS.iter().map(|k| PossibleValue::new(k.plural))))
    }
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Kind (e.g. servers), several (servers,projects), or KIND/NAME (several, of any kinds)
    #[arg(value_parser = KindParser)]
    pub kind: Option<String>,
    /// Names (all objects when none)
    #[arg(add = names())]
    pub names: Vec<String>,
    /// Label selector, e.g. team=infra,tier!=db
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Show secret values (needs edit on the secret)
    #[arg(long)]
    pub show_values: bool,
    /// Tokens of every project, and global ones
    #[arg(short = 'A', long)]
    pub all_projects: bool,
    /// Events: only those of this principal (an email, or mcptoken:PROJECT/NAME (PREFIX))
    #[arg(long, help_heading = "Event filters")]
    pub principal: Option<String>,
    /// Events: only those about this kind
    #[arg(long = "for-kind", help_heading = "Event filters")]
    pub for_kind: Option<String>,
    /// Events: only those about objects of this name
    #[arg(long = "for-name", help_heading = "Event filters")]
    pub for_name: Option<String>,
    /// Events: only those in this project
    #[arg(long = "for-project", help_heading = "Event filters")]
    pub for_project: Option<String>,
    /// Events: only the gateway's calls to this server
    #[arg(long = "for-server", help_heading = "Event filters")]
    pub for_server: Option<String>,
    /// Events: only the gateway's calls with this outcome
    #[arg(long, help_heading = "Event filters", value_parser = ["ok", "error", "timeout", "refused"])]
    pub outcome: Option<String>,
    /// Events: only those at or after this time (RFC 3339, or a duration ago such as 1h)
    #[arg(long, help_heading = "Event filters")]
    pub since: Option<String>,
    /// Events: only those at or before this time (RFC 3339)
    #[arg(long, help_heading = "Event filters")]
    pub until: Option<String>,
    /// After the list, print every change as it happens (until Ctrl-C)
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Print only the changes, not the list first
    #[arg(long)]
    pub watch_only: bool,
    /// With --watch: say what each change was (ADDED, MODIFIED, DELETED), as an EVENT column,
    /// or as `{type, object}` with -o json|yaml
    #[arg(long)]
    pub output_watch_events: bool,
    /// Sort by the value of a JSONPath, e.g. .metadata.name or {.metadata.createdAt}
    #[arg(long)]
    pub sort_by: Option<String>,
    /// Print tables (and custom columns) without their header line
    #[arg(long)]
    pub no_headers: bool,
    /// Add a LABELS column to tables
    #[arg(long)]
    pub show_labels: bool,
    /// Add a column for each of these label keys (comma-separated; repeatable)
    #[arg(short = 'L', long = "label-columns", value_delimiter = ',')]
    pub label_columns: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Kind (e.g. servers), or KIND/NAME
    #[arg(value_parser = KindParser)]
    pub kind: String,
    /// Names (every object of the kind when none)
    #[arg(add = names())]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// File, directory (its .yaml, .yml and .json files) or - for stdin; repeatable
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub files: FileArgs,
    /// server (what a bare --dry-run means): mcpd validates and authorizes every object and
    /// writes nothing; client: only say what each object would become, sending nothing
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "server")]
    pub dry_run: DryRun,
    /// Apply everything in one transaction, or nothing
    #[arg(long)]
    pub atomic: bool,
}

/// `--dry-run[=server|client]`, one grammar for every verb that writes: `none` (the default),
/// `server` (validated and authorized by mcpd, nothing stored; what a bare `--dry-run` means)
/// or `client` (only print what would be sent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    #[default]
    None,
    Client,
    Server,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CreateArgs {
    /// Create the objects in these files (each must not exist yet)
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<String>,
    /// client: print the object (with -o yaml|json) and send nothing; server: mcpd validates
    /// and authorizes it, and stores nothing
    #[arg(long, value_enum, default_value_t = DryRun::None, global = true, num_args = 0..=1, require_equals = true, default_missing_value = "server")]
    pub dry_run: DryRun,
    #[command(subcommand)]
    pub what: Option<CreateCommand>,
}

/// `create server`'s sandbox flags (stdio servers; `explain server.spec.sandbox`).
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Sandbox (stdio)")]
pub struct SandboxFlags {
    /// Outbound network: open (the default) or none (loopback only)
    #[arg(long, value_parser = ["open", "none"])]
    pub network: Option<String>,
    /// The only destination HOST[:PORT] the server may reach (port 443 when not given),
    /// through the gateway's egress proxy; repeatable
    #[arg(long = "egress", conflicts_with = "network")]
    pub egress: Vec<String>,
    /// Memory the server's process may use, e.g. 512Mi (default 1Gi)
    #[arg(long)]
    pub memory: Option<String>,
    /// Processes and threads the server may run at once (default 256)
    #[arg(long)]
    pub processes: Option<u32>,
    /// A host path the server may see, PATH (read-only) or PATH:rw; repeatable
    #[arg(long = "mount")]
    pub mounts: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Create a project
    #[command(visible_alias = "proj")]
    Project {
        /// The project's name
        name: String,
        /// What the project is for
        #[arg(long)]
        description: Option<String>,
        /// The project's servers, comma-separated
        #[arg(long, value_delimiter = ',')]
        servers: Vec<String>,
        /// A server of the project; repeatable
        #[arg(long = "add-server")]
        add_server: Vec<String>,
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Create a server
    #[command(visible_alias = "srv")]
    Server {
        /// The server's name
        name: String,
        /// How to reach the server: stdio (a command), http or sse (a URL)
        #[arg(long, value_parser = ["stdio", "http", "sse"])]
        transport: String,
        /// What the server offers
        #[arg(long)]
        description: Option<String>,
        /// Command to start (stdio)
        #[arg(long)]
        command: Option<String>,
        /// Argument of the command; repeatable
        #[arg(long = "arg", allow_hyphen_values = true)]
        args: Vec<String>,
        /// Container image (stdio)
        #[arg(long)]
        image: Option<String>,
        /// URL (http, sse)
        #[arg(long)]
        url: Option<String>,
        /// HTTP header NAME=VALUE (http, sse); repeatable
        #[arg(long = "header")]
        headers: Vec<String>,
        /// Environment variable NAME=VALUE; repeatable
        #[arg(long = "env")]
        env: Vec<String>,
        /// Environment variable from a secret, NAME=SECRET:KEY; repeatable
        #[arg(long = "env-from-secret")]
        env_from_secret: Vec<String>,
        /// At the gateway: perSession (a session and process per client) or shared (one for all)
        #[arg(long, value_parser = ["perSession", "shared"], default_value = "perSession")]
        sharing: String,
        #[command(flatten)]
        sandbox: Box<SandboxFlags>,
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Create a user (the name is an email address)
    User {
        /// The user's email address, which is their name
        email: String,
        /// The name shown for the user
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from stdin
        #[arg(long)]
        password_stdin: bool,
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Create a group
    Group {
        /// The group's name
        name: String,
        /// A member's email; repeatable
        #[arg(long = "member")]
        members: Vec<String>,
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Create an RBAC definition
    #[command(visible_alias = "rbacdefinition")]
    Rbac {
        /// The definition's name
        name: String,
        /// User:EMAIL, Group:NAME or McpToken:SHA256; repeatable
        #[arg(long = "subject")]
        subjects: Vec<String>,
        /// role:view|edit,resource:KIND[,name:NAME] or action:NAME; repeatable
        #[arg(long = "roleBindings", visible_alias = "role-binding")]
        role_bindings: Vec<String>,
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Create an McpToken (in the project of -p, or global) and print it, once
    #[command(visible_alias = "token")]
    Mcptoken {
        /// The token's name
        name: String,
        /// A binding, in the form of --roleBindings; repeatable
        #[arg(long = "bind")]
        bind: Vec<String>,
        /// clone: copy your own bindings
        #[arg(long, value_parser = ["empty", "clone"])]
        rbac: Option<String>,
        /// 30d, 12h, 45m, never or an RFC 3339 time [default: never]
        #[arg(long)]
        ttl: Option<String>,
        /// What the token is for
        #[arg(long)]
        description: Option<String>,
    },
    /// Create a secret
    Secret {
        /// The secret's name
        name: String,
        /// KEY=VALUE; repeatable
        #[arg(long = "from-literal")]
        literals: Vec<String>,
        /// A file of KEY=VALUE lines
        #[arg(long = "from-env-file")]
        env_files: Vec<PathBuf>,
        /// KEY=PATH: the file's contents become KEY's value; repeatable
        #[arg(long = "from-file")]
        files: Vec<String>,
        /// The SecretBackend that keeps the values [default: the default backend]
        #[arg(long)]
        backend: Option<String>,
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Create a secret backend: an OpenBao or Vault server's KV version 2 engine
    #[command(visible_alias = "sb")]
    Secretbackend {
        /// The backend's name
        name: String,
        /// openbao or vault (the same protocol)
        #[arg(long = "type", value_parser = ["openbao", "vault"], default_value = "openbao")]
        backend_type: String,
        /// The server's URL, such as https://bao.example.com:8200
        #[arg(long)]
        address: String,
        /// The token mcpd logs in with, as SECRET:KEY of a secret on internal
        #[arg(long = "token-secret", conflicts_with = "role_id")]
        token_secret: Option<String>,
        /// Log in with this AppRole role id (with --secret-id-secret)
        #[arg(long = "role-id", requires = "secret_id_secret")]
        role_id: Option<String>,
        /// The AppRole secret id, as SECRET:KEY of a secret on internal
        #[arg(long = "secret-id-secret", requires = "role_id")]
        secret_id_secret: Option<String>,
        /// The KV version 2 engine's mount [default: secret]
        #[arg(long)]
        mount: Option<String>,
        /// Where under the mount values go [default: mcpctl]
        #[arg(long = "path-prefix")]
        path_prefix: Option<String>,
        /// A namespace (X-Vault-Namespace)
        #[arg(long)]
        namespace: Option<String>,
        /// A PEM file of certificates to trust for the server's TLS
        #[arg(long = "ca-cert")]
        ca_cert: Option<PathBuf>,
        /// Make new secrets go here when they name no backend
        #[arg(long)]
        default: bool,
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Kind, or KIND/NAME
    #[arg(value_parser = KindParser, required_unless_present = "files")]
    pub kind: Option<String>,
    /// Names of the objects to delete
    #[arg(add = names())]
    pub names: Vec<String>,
    /// Delete the objects named in these files (a directory, or - for stdin)
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<String>,
    /// Delete every object of the kind that matches this label selector
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// Delete every object of the kind
    #[arg(long)]
    pub all: bool,
    /// Succeed when an object does not exist
    #[arg(long)]
    pub ignore_not_found: bool,
    /// client: only print what would be deleted; server: mcpd checks each delete (rights,
    /// referrers) and deletes nothing
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "server")]
    pub dry_run: DryRun,
}

/// `label` and `annotate`.
#[derive(Debug, Args)]
pub struct MetaArgs {
    /// Kind, or KIND/NAME
    #[arg(value_parser = KindParser)]
    pub kind: String,
    /// Names, then changes: KEY=VALUE sets, KEY- removes
    #[arg(required = true, add = names())]
    pub args: Vec<String>,
    /// Change a key that already has another value
    #[arg(long)]
    pub overwrite: bool,
    /// Every object of the kind that matches this label selector
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// Every object of the kind
    #[arg(long)]
    pub all: bool,
    /// client: only print what would change; server: mcpd checks each change, stores nothing
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "server")]
    pub dry_run: DryRun,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    // The mcpd URL comes from the global --server (default: the current context's).
    /// Your email address [default: asked on the terminal]
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from stdin
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Also print the bearer token
    #[arg(long)]
    pub show_token: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Check whether an action is allowed: prints yes or no; exit 0 yes, 1 no, 2 for a question
    /// that cannot be asked
    CanI {
        /// get, list, create, update, delete, or run (then KIND is an action such as introspect, or connect/PROJECT)
        #[arg(required_unless_present = "list")]
        verb: Option<String>,
        /// KIND or KIND/NAME
        #[arg(value_parser = KindParser, required_unless_present = "list")]
        kind: Option<String>,
        /// List what may be done: each kind with the verbs allowed on it, and each action
        #[arg(long, conflicts_with_all = ["verb", "kind"])]
        list: bool,
        /// Ask on behalf of this user, with their rights (needs edit on users)
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
    },
    /// Change your own password (current, then new, on two lines with --password-stdin)
    Password {
        /// Read the current and the new password from stdin, one per line
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file (tokens redacted unless --raw)
    View {
        /// Show tokens instead of REDACTED
        #[arg(long)]
        raw: bool,
    },
    /// List contexts
    GetContexts,
    /// Make a context the current one
    UseContext {
        /// The context to use from now on
        #[arg(add = contexts())]
        name: String,
    },
    /// Print the current context's name
    CurrentContext,
    /// Remove a context from the config file (its credential is not revoked: `logout` does
    /// that)
    DeleteContext {
        /// The context to remove
        #[arg(add = contexts())]
        name: String,
    },
    /// Create or change a context: saves the --server, --token, -p/--project and --gateway
    /// given as flags here (never values from the environment)
    SetContext {
        /// The context to create or change
        name: String,
        /// The gateway's URL, for `mcp` and `config client`
        #[arg(long)]
        gateway: Option<String>,
    },
    /// Print an MCP client's configuration for a project's gateway endpoint, in that
    /// client's own format (-p PROJECT)
    Client {
        /// claude-code (.mcp.json), claude-desktop (claude_desktop_config.json), cursor
        /// (.cursor/mcp.json) or vscode (.vscode/mcp.json)
        #[arg(value_enum)]
        client: McpClient,
        #[command(flatten)]
        gateway: GatewayArgs,
        /// http: the client reaches the gateway itself (claude-desktop cannot); stdio: it
        /// starts `mcpctl mcp` [default: http, stdio for claude-desktop]
        #[arg(long, value_enum)]
        transport: Option<ClientTransport>,
    },
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Kind, or KIND/NAME
    #[arg(value_parser = KindParser)]
    pub kind: String,
    /// The object's name
    #[arg(add = names())]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A kind, or a field of it: server, server.spec, server.spec.env
    pub target: String,
    /// Show every field below, at every depth
    #[arg(long)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete in
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        crate::cli::Cli::command().debug_assert();
    }

    /// `mcpctl.1` and `mcpctl-VERB.1` (`mcpctl-config-view.1` for nested verbs), rendered from
    /// the command tree.
    fn man_pages() -> Vec<(String, Vec<u8>)> {
        fn render(command: clap::Command, name: String, pages: &mut Vec<(String, Vec<u8>)>) {
            // clap names are `'static` without its `string` feature; a test may leak a few.
            let command = command.name(&*Box::leak(name.clone().into_boxed_str()));
            let mut page = Vec::new();
            clap_mangen::Man::new(command.clone()).render(&mut page).expect("man pages render");
            pages.push((format!("{name}.1"), page));
            for sub in command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
                render(sub.clone(), format!("{name}-{}", sub.get_name()), pages);
            }
        }
        let mut root = crate::cli::Cli::command();
        root.build();
        let mut pages = Vec::new();
        render(root, "mcpctl".to_owned(), &mut pages);
        pages
    }

    /// The committed man pages are the ones the command tree renders; `MCPCTL_WRITE_MAN=1`
    /// (scripts/man) writes them.
    #[test]
    fn committed_man_pages_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/man");
        let pages = man_pages();
        if std::env::var_os("MCPCTL_WRITE_MAN").is_some() {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (file, page) in &pages {
                std::fs::write(dir.join(file), page).unwrap();
            }
        }
        let mut committed: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        committed.sort();
        let mut expected: Vec<String> = pages.iter().map(|(f, _)| f.clone()).collect();
        expected.sort();
        assert_eq!(committed, expected, "docs/man is stale: regenerate it with scripts/man");
        for (file, page) in pages {
            let on_disk = std::fs::read(dir.join(&file)).unwrap_or_default();
            assert!(on_disk == page, "docs/man/{file} is stale: regenerate it with scripts/man");
        }
    }

    /// Every command says what it does, every verb has examples, and every flag and argument
    /// has a description: `--help` and the man pages have no blanks.
    #[test]
    fn help_has_no_blank_descriptions_and_every_verb_has_examples() {
        fn walk(command: &clap::Command, path: String, depth: usize, blanks: &mut Vec<String>) {
            if command.get_about().is_none() {
                blanks.push(format!("{path}: no description"));
            }
            if depth == 1 && !command.get_after_help().is_some_and(|h| h.to_string().starts_with("Examples:")) {
                blanks.push(format!("{path}: no examples"));
            }
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && !arg.is_hide_set() && arg.get_help().is_none() {
                    blanks.push(format!("{path} {}: no description", arg.get_id()));
                }
            }
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, format!("{path} {}", sub.get_name()), depth + 1, blanks);
            }
        }
        let mut blanks = Vec::new();
        walk(&crate::cli::Cli::command(), "mcpctl".to_owned(), 0, &mut blanks);
        assert!(blanks.is_empty(), "{blanks:#?}");
    }

    /// kubectl's rule: a flag name means one thing everywhere, so no command takes a flag
    /// named like a global one (`--server` is always the mcpd URL).
    #[test]
    fn no_command_flag_reuses_a_global_flag_name() {
        let root = crate::cli::Cli::command();
        let globals: Vec<&clap::Arg> = root.get_arguments().filter(|a| a.is_global_set()).collect();
        fn walk(command: &clap::Command, path: String, globals: &[&clap::Arg], clashes: &mut Vec<String>) {
            for arg in command.get_arguments().filter(|a| !a.is_global_set()) {
                for global in globals {
                    let long = arg.get_long().is_some() && arg.get_long() == global.get_long();
                    let short = arg.get_short().is_some() && arg.get_short() == global.get_short();
                    if long || short {
                        clashes.push(format!("{path} {}", arg.get_id()));
                    }
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, format!("{path} {}", sub.get_name()), globals, clashes);
            }
        }
        let mut clashes = Vec::new();
        for sub in root.get_subcommands() {
            walk(sub, sub.get_name().to_owned(), &globals, &mut clashes);
        }
        assert!(clashes.is_empty(), "flags named like global ones: {clashes:?}");
    }
}
