//! The console in a real Chromium through the real mcpd binary, on SQLite and PostgreSQL:
//! `console.py` (Selenium, with Debian's chromium and chromium-driver, which `scripts/test`
//! installs) logs in as an admin, an editor and a viewer and checks what each may see and do;
//! a tool whose definition changes while its page is open is not approved unseen.

use std::process::Command;

use testkit::Backend;

use crate::process::start;

fn the_console_works_in_chromium(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = runtime.block_on(testkit::database_url(backend, dir.path()));
    let daemon = start(
        dir.path(),
        &[("MCPD_DATABASE_URL", database.as_str()), ("MCPD_ADMIN_PASSWORD", testkit::ADMIN_PASSWORD)],
    );
    let python =
        std::env::var("MCPD_TEST_PYTHON").expect("MCPD_TEST_PYTHON is not set: run the suite with scripts/test");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/console.py");
    // The gateway's credential reports tool definitions, as a gateway would.
    let gateway_token = std::fs::read_to_string(dir.path().join("gateway.token")).unwrap();
    let mut command = Command::new(python);
    command.arg(script).args([daemon.url.as_str(), testkit::ADMIN_EMAIL, testkit::ADMIN_PASSWORD]);
    command.env("MCPD_GATEWAY_TOKEN", gateway_token.trim());
    // `MCPD_CONSOLE_SCREENSHOTS=DIR` keeps screenshots of the main pages (docs/console/).
    if let Some(shots) = std::env::var_os("MCPD_CONSOLE_SCREENSHOTS").filter(|_| backend == Backend::Sqlite) {
        command.arg(shots);
    }
    let output = command.output().expect("python starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("all console checks passed"),
        "the console failed in Chromium:\n{stdout}\n{stderr}\nmcpd's log:\n{}",
        daemon.stderr()
    );
}

testkit::backend_tests!(the_console_works_in_chromium);
