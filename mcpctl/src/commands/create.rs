//! `create KIND NAME [flags]` and `create -f FILE`.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use shared::KindInfo;

use crate::cli::{CreateArgs, CreateCommand, DryRun, Output};
use crate::commands::label::dry_run_note;
use crate::commands::{apply::known_kinds, key_value, Ctx};
use crate::error::{Error, Result};
use crate::manifest;
use crate::print;

pub fn run(ctx: &Ctx, args: &CreateArgs) -> Result<()> {
    match &args.what {
        Some(what) => {
            let (kind, manifest) = from_flags(ctx, what)?;
            if args.dry_run == DryRun::Client {
                // What would be sent, for a manifest to keep: `create ... --dry-run=client -o yaml`.
                return match ctx.global.output.as_ref() {
                    Some(output) if *output != Output::Name => print::structured(&manifest, output),
                    _ => {
                        print::out(&format!(
                            "{}/{} created (dry run)",
                            kind.singular,
                            manifest["metadata"]["name"].as_str().unwrap_or("")
                        ));
                        Ok(())
                    }
                };
            }
            let project = manifest["metadata"]["project"].as_str().unwrap_or("").to_owned();
            let created = ctx.client()?.create(kind, &project, &manifest, args.dry_run == DryRun::Server)?;
            if let Some(output) = &ctx.global.output {
                return print::objects(
                    kind,
                    vec![created],
                    &print::View { output: Some(output.clone()), ..Default::default() },
                    true,
                );
            }
            if args.dry_run == DryRun::Server {
                print::out(&format!("{}/{} created (server dry run)", kind.singular, created.metadata.name));
                return Ok(());
            }
            match raw_token(&created) {
                // The token alone on stdout, so `TOK=$(mcpctl create mcptoken ...)` works.
                Some(token) => {
                    print::out(&token);
                    print::warn(&format!(
                        "mcptoken/{} created; this is the only time its value is shown: store it now",
                        created.metadata.name
                    ));
                }
                None => print::out(&format!("{}/{} created", kind.singular, created.metadata.name)),
            }
            Ok(())
        }
        None if !args.files.is_empty() => from_files(ctx, &args.files, args.dry_run),
        None => Err(Error::Usage {
            message: "say what to create".to_owned(),
            hint: Some(
                "mcpctl create KIND NAME [flags] (see mcpctl create --help), or mcpctl create -f FILE".to_owned(),
            ),
        }),
    }
}

/// A new token's raw value, which only the create answer carries.
fn raw_token(created: &shared::Object) -> Option<String> {
    created.status.as_ref().map(shared::spec::McpTokenStatus::of)?.token
}

fn from_files(ctx: &Ctx, files: &[String], dry_run: DryRun) -> Result<()> {
    let (mut docs, mut failed) = known_kinds(crate::commands::apply::with_project(ctx, manifest::read(files)?)?);
    docs.sort_by_key(|(info, _)| info.apply_order);
    let client = ctx.client()?;
    for (info, doc) in docs {
        let project = doc.value["metadata"]["project"].as_str().unwrap_or("").to_owned();
        let outcome = match dry_run {
            DryRun::Client => {
                serde_json::from_value(doc.value.clone()).map_err(|e| Error::Invalid(format!("{}: {e}", doc.source)))
            }
            dry_run => client.create(info, &project, &doc.value, dry_run == DryRun::Server),
        };
        match outcome {
            Ok(created) => {
                let created: shared::Object = created;
                print::out(&format!("{}/{} created{}", info.singular, created.metadata.name, dry_run_note(dry_run)));
                if let Some(token) = raw_token(&created) {
                    print::out(&token);
                }
            }
            Err(Error::Server(status)) => {
                let what = format!("error when creating {}/{} from {}", info.singular, doc.name(), doc.source);
                print::status(&status, Some(&what));
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

fn manifest(kind: &str, name: &str, labels: &[String], spec: Value) -> Result<Value> {
    let mut label_map = BTreeMap::new();
    for item in labels {
        let (k, v) = key_value("--label", item)?;
        label_map.insert(k.to_owned(), v.to_owned());
    }
    let mut metadata = json!({"name": name});
    if !label_map.is_empty() {
        metadata["labels"] = json!(label_map);
    }
    Ok(json!({"apiVersion": shared::API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}))
}

fn from_flags(ctx: &Ctx, what: &CreateCommand) -> Result<(&'static KindInfo, Value)> {
    let (kind, value) = match what {
        CreateCommand::Project { name, description, servers, add_server, labels } => {
            let servers: Vec<&String> = servers.iter().chain(add_server).filter(|s| !s.is_empty()).collect();
            let mut spec = json!({"servers": servers});
            if let Some(d) = description {
                spec["description"] = json!(d);
            }
            ("Project", manifest("Project", name, labels, spec)?)
        }
        CreateCommand::Server {
            name,
            transport,
            description,
            command,
            args,
            image,
            url,
            headers,
            env,
            env_from_secret,
            labels,
        } => {
            let mut spec = json!({"transport": transport});
            for (field, value) in [("description", description), ("command", command), ("image", image), ("url", url)] {
                if let Some(v) = value {
                    spec[field] = json!(v);
                }
            }
            if !args.is_empty() {
                spec["args"] = json!(args);
            }
            let mut header_map = BTreeMap::new();
            for h in headers {
                let (k, v) = key_value("--header", h)?;
                header_map.insert(k, v);
            }
            if !header_map.is_empty() {
                spec["headers"] = json!(header_map);
            }
            let mut vars = Vec::new();
            for e in env {
                let (k, v) = key_value("--env", e)?;
                vars.push(json!({"name": k, "value": v}));
            }
            for e in env_from_secret {
                let (k, source) = key_value("--env-from-secret", e)?;
                let (secret, key) = source
                    .split_once(':')
                    .ok_or_else(|| Error::usage(format!("--env-from-secret expects NAME=SECRET:KEY, got {e:?}")))?;
                vars.push(json!({"name": k, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}));
            }
            if !vars.is_empty() {
                spec["env"] = json!(vars);
            }
            ("Server", manifest("Server", name, labels, spec)?)
        }
        CreateCommand::User { email, display_name, password_stdin, labels } => {
            let mut spec = json!({});
            if let Some(d) = display_name {
                spec["displayName"] = json!(d);
            }
            if *password_stdin {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    .map_err(|e| Error::Invalid(format!("cannot read stdin: {e}")))?;
                spec["password"] = json!(text.trim_end_matches(['\n', '\r']));
            }
            ("User", manifest("User", email, labels, spec)?)
        }
        CreateCommand::Group { name, members, labels } => {
            ("Group", manifest("Group", name, labels, json!({"members": members}))?)
        }
        CreateCommand::Rbac { name, subjects, role_bindings, labels } => {
            let bindings = parse_bindings("--roleBindings", role_bindings)?;
            let spec = json!({"subjects": subjects, "roleBindings": bindings});
            ("RbacDefinition", manifest("RbacDefinition", name, labels, spec)?)
        }
        CreateCommand::Mcptoken { name, bind, rbac, ttl, description } => {
            let mut spec = json!({});
            if !bind.is_empty() {
                spec["bindings"] = json!(parse_bindings("--bind", bind)?);
            }
            for (field, value) in [("rbac", rbac), ("ttl", ttl), ("description", description)] {
                if let Some(v) = value {
                    spec[field] = json!(v);
                }
            }
            let mut value = manifest("McpToken", name, &[], spec)?;
            let info = KindInfo::by_kind("McpToken").expect("built-in kind");
            let project = ctx.project_for(info)?;
            if !project.is_empty() {
                value["metadata"]["project"] = json!(project);
            }
            ("McpToken", value)
        }
        CreateCommand::Secret { name, literals, env_files, files, labels } => {
            let mut data = BTreeMap::new();
            for item in literals {
                let (k, v) = key_value("--from-literal", item)?;
                data.insert(k.to_owned(), v.to_owned());
            }
            for path in env_files {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))?;
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let (k, v) = line.split_once('=').filter(|(k, _)| !k.trim().is_empty()).ok_or_else(|| {
                        Error::Invalid(format!("{} line {}: expected KEY=VALUE", path.display(), n + 1))
                    })?;
                    data.insert(k.trim().to_owned(), v.to_owned());
                }
            }
            for item in files {
                let (k, path) = key_value("--from-file", item)?;
                let text =
                    std::fs::read_to_string(path).map_err(|e| Error::Invalid(format!("cannot read {path}: {e}")))?;
                data.insert(k.to_owned(), text);
            }
            ("Secret", manifest("Secret", name, labels, json!({"data": data}))?)
        }
    };
    Ok((KindInfo::by_kind(kind).expect("built-in kind"), value))
}

fn parse_bindings(flag: &str, items: &[String]) -> Result<Vec<shared::rbac::Binding>> {
    items
        .iter()
        .map(|item| shared::rbac::Binding::parse_cli(item).map_err(|msg| Error::usage(format!("{flag}: {msg}"))))
        .collect()
}
