//! Secret backends through the real binary, against a real OpenBao server: `create
//! secretbackend`, secrets on it, `get` and `describe`, a lossless round trip, and `migrate
//! secrets` both ways, dry run, keeping the source, and run again.

use testkit::{Backend, Bao};

use crate::helpers::Daemon;

/// `bao kv get` of a secret's values, or `None`.
fn kv_get(bao: &Bao, name: &str) -> Option<String> {
    let out = bao.try_cli(&["kv", "get", "-format=json", &format!("secret/mcpctl/{name}")]);
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap())
}

fn backends_and_migration_through_the_cli(backend: Backend) {
    let bao = Bao::start();
    let d = Daemon::start(backend);
    d.run(&["create", "secret", "bao-token", "--from-literal", &format!("token={}", bao.root_token)]).ok();
    d.run(&["create", "secretbackend", "bao", "--address", &bao.address(), "--token-secret", "bao-token:token"])
        .ok()
        .stdout_has("secretbackend/bao created");
    let missing = d.run(&["create", "sb", "other", "--address", &bao.address()]);
    missing.code(2).stderr_has("--token-secret");

    d.run(&["create", "secret", "gh", "--from-literal", "token=canary-gh-1234", "--backend", "bao"]).ok();
    assert!(kv_get(&bao, "gh").unwrap().contains("canary-gh-1234"));
    let listed = d.run(&["get", "sb"]);
    listed.ok().stdout_has("TYPE").stdout_has("DEFAULT").stdout_has("internal").stdout_has("openbao");
    let described = d.run(&["describe", "secret", "gh"]);
    described.ok().stdout_has("Backend:").stdout_has("bao").stdout_has("token:\t14 bytes");
    assert!(!described.stdout.contains("canary-gh-1234"));
    let yaml = d.run(&["get", "secret", "gh", "-o", "yaml"]);
    assert!(!yaml.ok().stdout.contains("canary-gh-1234"));
    d.run_stdin(&["apply", "-f", "-"], &yaml.stdout).ok().stdout_has("secret/gh unchanged");
    d.run(&["describe", "sb", "bao"]).ok().stdout_has("Status:").stdout_has("Secrets:");
    d.run(&["delete", "sb", "bao"]).code(1).stderr_has("referenced by secrets/gh");

    // Dry run: nothing moves.
    d.run(&["migrate", "secrets", "--from", "bao", "--to", "internal", "--dry-run"])
        .ok()
        .stdout_has("secret/gh migrated to internal (dry run)");
    assert!(kv_get(&bao, "gh").is_some());
    // Keeping the source: on internal now, the copy on bao still there.
    d.run(&["migrate", "secrets", "--from", "bao", "--to", "internal", "--keep-source"])
        .ok()
        .stdout_has("secret/gh migrated to internal");
    assert!(kv_get(&bao, "gh").is_some());
    d.run(&["get", "secret", "gh", "-o", "yaml", "--show-values"]).ok().stdout_has("canary-gh-1234");
    // Again without it: the copy left on bao goes.
    d.run(&["migrate", "secrets", "--from", "bao", "--to", "internal"])
        .ok()
        .stdout_has("secret/gh already on internal; removed the copy left on bao");
    assert!(kv_get(&bao, "gh").is_none());
    d.run(&["migrate", "secrets", "--from", "bao", "--to", "internal"]).ok().stdout_has("secret/gh unchanged");
    // And back: the backend's own credential stays where it is.
    let back = d.run(&["migrate", "secrets", "--from", "internal", "--to", "bao"]);
    back.ok().stdout_has("secret/gh migrated to bao").stderr_has("secret/bao-token skipped");
    assert!(kv_get(&bao, "gh").unwrap().contains("canary-gh-1234"));
    d.run(&["migrate", "secrets", "--from", "internal", "--to", "bao", "bao-token"])
        .code(1)
        .stderr_has("holds the credential of secretbackends \"bao\"");
    d.run(&["migrate", "secrets", "--from", "internal", "--to", "internal"]).code(2);
    d.run(&["auth", "can-i", "run", "migrate-secrets"]).ok().stdout_has("yes");
}

testkit::backend_tests!(backends_and_migration_through_the_cli);
