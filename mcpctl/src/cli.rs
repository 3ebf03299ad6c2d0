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
    #[arg(long, env = "MCPCTL_CONTEXT", global = true)]
    pub context: Option<String>,
    /// Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]
    #[arg(long, env = "MCPCTL_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE,
    /// custom-columns=HEADER:PATH,... or custom-columns-file=FILE
    #[arg(short, long, global = true, value_parser = OutputParser)]
    pub output: Option<Output>,
    /// Project, for project-scoped objects (McpTokens) [default: the context's]
    #[arg(short, long, env = "MCPCTL_PROJECT", global = true)]
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
        let matches = Cli::command().try_get_matches().unwrap_or_else(|e| without_revealing_suggestion(e).exit());
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
    Get(GetArgs),
    /// Show an object in detail, with what references it
    Describe(DescribeArgs),
    /// Create an object from flags or from a file
    Create(CreateArgs),
    /// Create or update objects from files so they match them
    Apply(ApplyArgs),
    /// Show how live objects differ from files (exit 0 same, 1 different, 2 error)
    Diff(FileArgs),
    /// Delete objects by name, label selector or file
    Delete(DeleteArgs),
    /// Set or remove labels of objects
    Label(MetaArgs),
    /// Set or remove annotations of objects
    Annotate(MetaArgs),
    /// Log in with email and password and save a context
    Login(LoginArgs),
    /// End the current session and forget its token
    Logout,
    /// Show who the current credentials belong to
    Whoami(WhoamiArgs),
    /// Ask about access, or change your password
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Manage the config file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List the kinds mcpd serves
    ApiResources,
    /// Print a shell completion script
    Completion(CompletionArgs),
    /// Print client and server versions
    Version,
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
    /// Kind (e.g. servers), or KIND/NAME
    #[arg(value_parser = KindParser)]
    pub kind: String,
    /// Names (all objects when none)
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
    /// Events: only those at or after this time (RFC 3339, or a duration ago such as 1h)
    #[arg(long, help_heading = "Event filters")]
    pub since: Option<String>,
    /// Events: only those at or before this time (RFC 3339)
    #[arg(long, help_heading = "Event filters")]
    pub until: Option<String>,
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
    /// Validate and authorize on the server, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Apply everything in one transaction, or nothing
    #[arg(long)]
    pub atomic: bool,
}

/// `--dry-run`: `none` (the default), `client` (only print what would be sent) or `server`
/// (validated and authorized by mcpd, nothing stored).
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
    #[arg(long, value_enum, default_value_t = DryRun::None, global = true)]
    pub dry_run: DryRun,
    #[command(subcommand)]
    pub what: Option<CreateCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Create a project
    #[command(visible_alias = "proj")]
    Project {
        name: String,
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
        name: String,
        #[arg(long, value_parser = ["stdio", "http", "sse"])]
        transport: String,
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
        /// Label KEY=VALUE; repeatable
        #[arg(long = "label")]
        labels: Vec<String>,
    },
    /// Create a user (the name is an email address)
    User {
        email: String,
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
        #[arg(long)]
        description: Option<String>,
    },
    /// Create a secret
    Secret {
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
    #[arg(long, value_enum, default_value_t = DryRun::None)]
    pub dry_run: DryRun,
}

/// `label` and `annotate`.
#[derive(Debug, Args)]
pub struct MetaArgs {
    /// Kind, or KIND/NAME
    #[arg(value_parser = KindParser)]
    pub kind: String,
    /// Names, then changes: KEY=VALUE sets, KEY- removes
    #[arg(required = true)]
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
    #[arg(long, value_enum, default_value_t = DryRun::None)]
    pub dry_run: DryRun,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    // The mcpd URL comes from the global --server (default: the current context's).
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
    /// Check whether an action is allowed: prints yes or no; exit 0 yes, 1 no
    CanI {
        /// get, list, create, update, delete, or run (then KIND is an action such as introspect)
        verb: String,
        /// KIND or KIND/NAME
        #[arg(value_parser = KindParser)]
        kind: String,
    },
    /// Change your own password (current, then new, on two lines with --password-stdin)
    Password {
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file (tokens redacted unless --raw)
    View {
        #[arg(long)]
        raw: bool,
    },
    /// List contexts
    GetContexts,
    /// Make a context the current one
    UseContext { name: String },
    /// Print the current context's name
    CurrentContext,
    /// Create or change a context: saves the --server, --token and -p/--project given as
    /// flags here (never values from the environment)
    SetContext { name: String },
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// kubectl's rule: a flag name means one thing everywhere, so no command takes a flag
    /// named like a global one (`--server` is always the mcpd URL).
    #[test]
    fn no_command_flag_reuses_a_global_flag_name() {
        let root = super::Cli::command();
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
