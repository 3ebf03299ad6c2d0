//! `mcpctl migrate secrets`: moves secret values between backends, one secret at a time, each
//! a request of its own, so that an interruption leaves every secret whole and running the
//! command again finishes the job.

use shared::api::{MigrateAction, MigrateRequest};
use shared::spec::{backend_of, SecretBackendSpec};
use shared::Kind;

use crate::cli::MigrateSecretsArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn secrets(ctx: &Ctx, args: &MigrateSecretsArgs) -> Result<()> {
    if args.from == args.to {
        return Err(Error::usage("--from and --to name the same backend"));
    }
    let client = ctx.client()?;
    let kind = Kind::Secret.info();
    // Every secret still on the source, and those already on the target: an earlier run may
    // have stopped before it removed their copy from the source.
    let names: Vec<String> = if args.names.is_empty() {
        // A backend's own credential stays on internal: not a candidate, and said so.
        let credentials: Vec<String> = client
            .list(Kind::SecretBackend.info(), None, None, false)?
            .into_iter()
            .filter_map(|b| serde_json::from_value::<SecretBackendSpec>(b.spec).ok())
            .filter_map(|spec| spec.credential().map(|(_, key_ref)| key_ref.name.clone()))
            .collect();
        let mut names = Vec::new();
        for secret in client.list(kind, None, None, false)? {
            let on = backend_of(&secret.spec);
            if on != args.from && on != args.to {
                continue;
            }
            if credentials.contains(&secret.metadata.name) {
                if on == args.from {
                    ctx.printer.note(&format!(
                        "secret/{} skipped: it holds a secret backend's credential, which stays on internal",
                        secret.metadata.name
                    ));
                }
                continue;
            }
            names.push(secret.metadata.name);
        }
        names
    } else {
        args.names.clone()
    };
    let request = MigrateRequest {
        from: args.from.clone(),
        to: args.to.clone(),
        keep_source: args.keep_source,
        dry_run: args.dry_run,
    };
    let dry = if args.dry_run { " (dry run)" } else { "" };
    let mut failed = 0;
    for name in &names {
        match client.migrate_secret(name, &request) {
            Ok(result) => {
                let what = match result.action {
                    MigrateAction::Migrated => format!("migrated to {}", result.backend),
                    MigrateAction::Cleaned => {
                        format!("already on {}; removed the copy left on {}", result.backend, args.from)
                    }
                    MigrateAction::Unchanged => format!("unchanged (on {})", result.backend),
                };
                ctx.printer.done(kind, name, &format!("{what}{dry}"));
                if let Some(warning) = result.warning {
                    ctx.printer.warn(&format!("secret/{name}: {warning}; run the command again to remove it"));
                }
            }
            // One secret refused: say so, and go on with the others.
            Err(e @ Error::Server(_)) => {
                failed += 1;
                ctx.printer.error(&e);
            }
            Err(e) => return Err(e),
        }
    }
    if names.is_empty() {
        ctx.printer.note(&format!("No secrets on {}.", args.from));
    }
    if failed > 0 {
        ctx.printer.problem(&format!(
            "{failed} of {} secrets were not migrated; run the command again to finish",
            names.len()
        ));
        return Err(Error::Reported);
    }
    Ok(())
}
