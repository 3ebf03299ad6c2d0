//! Completion scripts: generated for every shell, and the committed ones are current.

use crate::helpers::mcpctl;

#[test]
fn committed_completion_scripts_are_current() {
    let home = tempfile::tempdir().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
    for (shell, file) in [("bash", "mcpctl.bash"), ("zsh", "_mcpctl"), ("fish", "mcpctl.fish")] {
        let run = mcpctl(home.path(), &["completion", shell], None, &[]);
        run.ok();
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(committed == run.stdout, "completions/{file} is stale: regenerate it with scripts/completions");
    }
}

#[test]
fn every_shell_gets_a_script_and_bash_and_zsh_complete_kinds() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = mcpctl(home.path(), &["completion", shell], None, &[]);
        run.ok().stdout_has("apply").stdout_has("api-resources");
        if matches!(shell, "bash" | "zsh") {
            run.stdout_has("servers").stdout_has("projects");
        }
    }
    mcpctl(home.path(), &["completion", "tcsh"], None, &[]).code(2);
}
