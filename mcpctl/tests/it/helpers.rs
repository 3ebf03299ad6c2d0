//! A daemon per test (fresh database, port 0, admin config) and a runner for the real binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;
use testkit::Backend;

pub struct Daemon {
    pub url: String,
    pub dir: TempDir,
    runtime: Option<tokio::runtime::Runtime>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Daemon {
    pub fn start(backend: Backend) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (url, stop) = runtime.block_on(async {
            let url = testkit::database_url(backend, dir.path()).await;
            testkit::start(&testkit::config(url, dir.path())).await
        });
        Daemon { url, dir, runtime: Some(runtime), _stop: stop }
    }

    /// The admin.yaml mcpd wrote on first start.
    pub fn admin_config(&self) -> PathBuf {
        self.dir.path().join("admin.yaml")
    }

    /// Runs mcpctl with the admin config.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None, &[("MCPCTL_CONFIG", self.admin_config().to_str().unwrap())])
    }

    /// Runs mcpctl with the admin config, feeding `stdin`.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(args, Some(stdin), &[("MCPCTL_CONFIG", self.admin_config().to_str().unwrap())])
    }

    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
        mcpctl(self.dir.path(), args, stdin, env)
    }

    /// Reports tools as a gateway does after listing them, with the gateway's own credential.
    pub fn report_tools(&self, report: shared::api::ToolReport) -> shared::api::ToolReportResult {
        let token = std::fs::read_to_string(self.dir.path().join("gateway.token")).unwrap();
        let gateway = client::Client::new(client::Config::new(self.url.clone(), Some(token.trim().to_owned())));
        let runtime = self.runtime.as_ref().unwrap();
        runtime.block_on(gateway.report_tools(&report)).unwrap()
    }

    /// Writes a file in the test's directory and returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The real binary, with a clean environment: HOME in the test dir, no colour.
pub fn mcpctl(home: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpctl"));
    command
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    Run::from(child.wait_with_output().unwrap(), args)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    args: String,
}

impl Run {
    fn from(output: Output, args: &[&str]) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            args: args.join(" "),
        }
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        self.code(0)
    }

    #[track_caller]
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "mcpctl {}\nstdout:\n{}\nstderr:\n{}", self.args, self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Run {
        assert!(self.stdout.contains(text), "mcpctl {}: stdout lacks {text:?}:\n{}", self.args, self.stdout);
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Run {
        assert!(self.stderr.contains(text), "mcpctl {}: stderr lacks {text:?}:\n{}", self.args, self.stderr);
        self
    }

    /// stdout lines, for per-object output such as apply's.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Creates a secret, a server using it and a project using the server, through the CLI.
pub fn seed(d: &Daemon) {
    d.run(&["create", "secret", "gh", "--from-literal", "token=canary-token-1"]).ok();
    d.run(&[
        "create",
        "server",
        "github",
        "--transport",
        "stdio",
        "--command",
        "npx",
        "--arg",
        "-y",
        "--arg",
        "@modelcontextprotocol/server-github",
        "--env-from-secret",
        "GITHUB_TOKEN=gh:token",
        "--env",
        "LOG=debug",
        "--label",
        "team=infra",
    ])
    .ok();
    d.run(&[
        "create",
        "server",
        "search",
        "--transport",
        "http",
        "--url",
        "https://search.example.com/mcp",
        "--header",
        "X-Team=infra",
    ])
    .ok();
    d.run(&[
        "create",
        "project",
        "demo",
        "--servers",
        "github",
        "--add-server",
        "search",
        "--description",
        "Demo project",
    ])
    .ok();
}
