//! Completion: the committed scripts are current, and bash, zsh and fish, run for real,
//! complete verbs, kinds, flags and object names from the server of the current context.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::Backend;

use crate::helpers::{mcpctl, Daemon};
use testkit::backend_tests;

#[test]
fn committed_completion_scripts_are_current() {
    let home = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
    for (shell, file) in [("bash", "mcpctl.bash"), ("zsh", "_mcpctl"), ("fish", "mcpctl.fish")] {
        let run = mcpctl(home.path(), &["completion", shell], None, &[]);
        run.ok();
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(committed == run.stdout, "completions/{file} is stale: regenerate it with scripts/completions");
    }
}

#[test]
fn every_shell_gets_a_script_that_asks_mcpctl() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        mcpctl(home.path(), &["completion", shell], None, &[]).ok().stdout_has("MCPCTL_COMPLETE");
    }
    mcpctl(home.path(), &["completion", "tcsh"], None, &[]).code(2);
}

/// What `shell` offers for the command line `line` (the last word is being completed).
fn complete(shell: &str, line: &str, config: &Path) -> Vec<String> {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mcpctl")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let words: Vec<&str> = line.split(' ').collect();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = match shell {
        "bash" => format!(
            "source <(mcpctl completion bash)\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_TYPE=9\n\
             _clap_complete_mcpctl mcpctl '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
            quoted.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len().saturating_sub(2)]
        ),
        // Without an interactive session, zsh's completion system is stood in for by its two
        // entry points the script calls; what the script asks mcpctl is real.
        "zsh" => format!(
            "compdef() {{ : }}\n_describe() {{ for a in \"$@\"; do [[ $a == -* || $a == values ]] && continue; print -rl -- ${{(P)a}}; done }}\n\
             source <(mcpctl completion zsh)\nwords=({})\nCURRENT={}\n_clap_dynamic_completer_mcpctl",
            quoted.join(" "),
            words.len()
        ),
        "fish" => format!("mcpctl completion fish | source\ncomplete -C '{line}'"),
        other => panic!("no such shell {other}"),
    };
    let program = if shell == "zsh" { "zsh" } else { shell };
    let mut command = Command::new(program);
    if shell == "zsh" {
        command.arg("-f");
    }
    let out = command
        .arg("-c")
        .arg(&script)
        .env("PATH", path)
        .env("MCPCTL_CONFIG", config)
        .env("HOME", config.parent().unwrap())
        .output()
        .unwrap_or_else(|e| panic!("{shell} runs ({e}): scripts/test installs bash, zsh and fish"));
    assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
    // fish prints `value<TAB>description`, zsh's candidates are `value:description`.
    let separator = if shell == "zsh" { ':' } else { '\t' };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split(separator).next().unwrap_or("").to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn real_shells_complete_verbs_kinds_flags_and_names(backend: Backend) {
    let d = Daemon::start(backend);
    for name in ["github", "gitlab", "search"] {
        d.run(&["create", "server", name, "--transport", "http", "--url", "https://x.example/mcp"]).ok();
    }
    d.run(&["create", "project", "demo"]).ok();
    d.run(&["create", "project", "docs"]).ok();
    let config = d.admin_config();
    // A second context in the same file, for the context completions.
    d.run(&["config", "set-context", "staging", "--server", "http://127.0.0.1:9"]).ok();
    assert!(d.run(&["config", "get-contexts", "-o", "name"]).ok().lines().contains(&"staging"));
    for shell in ["bash", "zsh", "fish"] {
        assert_eq!(complete(shell, "mcpctl get mcptokens -p d", &config), ["demo", "docs"], "{shell}: projects");
        let contexts = complete(shell, "mcpctl config use-context ", &config);
        let names: Vec<&String> = contexts.iter().filter(|c| !c.starts_with('-')).collect();
        assert_eq!(names, ["admin", "staging"], "{shell}: {contexts:?}");
        assert_eq!(complete(shell, "mcpctl get servers --context st", &config), ["staging"], "{shell}: --context");
        assert!(complete(shell, "mcpctl ge", &config).contains(&"get".to_owned()), "{shell}: verbs");
        assert!(complete(shell, "mcpctl get serv", &config).contains(&"servers".to_owned()), "{shell}: kinds");
        let names = complete(shell, "mcpctl get servers gi", &config);
        assert_eq!(names, ["github", "gitlab"], "{shell}: names");
        let names = complete(shell, "mcpctl describe server ", &config);
        assert!(["github", "gitlab", "search"].iter().all(|n| names.contains(&n.to_string())), "{shell}: {names:?}");
        assert!(!names.contains(&"servers".to_owned()), "{shell}: kinds offered where a name is expected");
        assert!(
            complete(shell, "mcpctl get servers --sho", &config).contains(&"--show-labels".to_owned()),
            "{shell}: flags"
        );
    }
    // A server that cannot be reached: nothing, quickly, and no error on the terminal.
    let dead = d.file(
        "dead.yaml",
        "currentContext: dead\ncontexts:\n- name: dead\n  server: http://10.255.255.1:9\n  token: x\n",
    );
    let started = Instant::now();
    assert!(complete("bash", "mcpctl get servers gi", Path::new(&dead)).is_empty());
    assert!(started.elapsed() < Duration::from_secs(5), "completion waited {:?}", started.elapsed());
}

backend_tests!(real_shells_complete_verbs_kinds_flags_and_names);
