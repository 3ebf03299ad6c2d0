//! `create KIND NAME [flags]` and `create -f FILE`.

use std::collections::BTreeMap;

use serde_json::Value;
use shared::name::ProjectName;
use shared::spec::{
    AppRoleAuth, BackendAuth, BackendType, EnvSource, EnvVar, GroupSpec, McpTokenSpec, Mount, Network, ProjectSpec,
    RbacDefinitionSpec, RbacMode, Sandbox, SecretBackendSpec, SecretKeyRef, SecretSpec, ServerSpec, Sharing, TokenAuth,
    Transport, UserSpec,
};
use shared::{Kind, KindInfo, Object, ObjectMeta};

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
                    Some(output) if *output != Output::Name => ctx.printer.structured(&manifest, output),
                    _ => {
                        ctx.printer.done(
                            kind,
                            manifest["metadata"]["name"].as_str().unwrap_or(""),
                            "created (dry run)",
                        );
                        Ok(())
                    }
                };
            }
            let project = manifest["metadata"]["project"].as_str().and_then(ProjectName::from_text);
            let created = ctx.client()?.create(kind, project.as_ref(), &manifest, args.dry_run == DryRun::Server)?;
            if let Some(output) = &ctx.global.output {
                return ctx.printer.objects(
                    kind,
                    vec![created],
                    &print::View { output: Some(output.clone()), ..Default::default() },
                    true,
                );
            }
            if args.dry_run == DryRun::Server {
                ctx.printer.done(kind, &created.metadata.name, "created (server dry run)");
                return Ok(());
            }
            match raw_token(&created) {
                // The token alone on stdout, so `TOK=$(mcpctl create mcptoken ...)` works.
                Some(token) => {
                    ctx.printer.out(&token);
                    ctx.printer.warn(&format!(
                        "mcptoken/{} created; this is the only time its value is shown: store it now",
                        created.metadata.name
                    ));
                }
                None => ctx.printer.done(kind, &created.metadata.name, "created"),
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
    let (mut docs, mut failed) = known_kinds(ctx, crate::commands::apply::with_project(ctx, manifest::read(files)?)?);
    docs.sort_by_key(|(info, doc)| info.apply_rank(&doc.value["spec"]));
    let client = ctx.client()?;
    for (info, doc) in docs {
        let project = doc.value["metadata"]["project"].as_str().and_then(ProjectName::from_text);
        let outcome = match dry_run {
            DryRun::Client => {
                serde_json::from_value(doc.value.clone()).map_err(|e| Error::Invalid(format!("{}: {e}", doc.source)))
            }
            dry_run => client.create(info, project.as_ref(), &doc.value, dry_run == DryRun::Server),
        };
        match outcome {
            Ok(created) => {
                let created: shared::Object = created;
                ctx.printer.done(info, &created.metadata.name, &format!("created{}", dry_run_note(dry_run)));
                if let Some(token) = raw_token(&created) {
                    ctx.printer.out(&token);
                }
            }
            Err(Error::Server(status)) => {
                let what = format!("error when creating {}/{} from {}", info.singular, doc.name(), doc.source);
                ctx.printer.status(&status, Some(&what));
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

/// A manifest of `kind` with `spec`, and `--label`s as labels.
fn manifest(kind: Kind, name: &str, labels: &[String], spec: Value) -> Result<Value> {
    let mut metadata = ObjectMeta { name: name.to_owned(), ..Default::default() };
    for item in labels {
        let (k, v) = key_value("--label", item)?;
        metadata.labels.insert(k.to_owned(), v.to_owned());
    }
    let object =
        Object { api_version: shared::API_VERSION.to_owned(), kind: kind.to_string(), metadata, spec, status: None };
    Ok(serde_json::to_value(object).expect("an object serializes"))
}

fn spec_value(spec: impl serde::Serialize) -> Value {
    serde_json::to_value(spec).expect("a spec serializes")
}

/// A value clap has already checked against the variants serde accepts.
fn variant<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_value(Value::from(text)).expect("clap allows only known values")
}

/// `--mount PATH` (read-only) or `--mount PATH:rw`.
fn mount(flag: &str) -> Result<Mount> {
    match flag.rsplit_once(':') {
        Some((path, "rw")) => Ok(Mount { path: path.to_owned(), read_only: false }),
        Some((path, "ro")) => Ok(Mount { path: path.to_owned(), read_only: true }),
        Some((_, other)) => {
            Err(Error::usage(format!("--mount expects PATH or PATH:rw, got {flag:?} (what is {other:?}?)")))
        }
        None => Ok(Mount { path: flag.to_owned(), read_only: true }),
    }
}

fn from_flags(ctx: &Ctx, what: &CreateCommand) -> Result<(&'static KindInfo, Value)> {
    let (kind, value) = match what {
        CreateCommand::Project { name, description, servers, add_server, labels } => {
            let spec = ProjectSpec {
                description: description.clone().unwrap_or_default(),
                servers: servers.iter().chain(add_server).filter(|s| !s.is_empty()).cloned().collect(),
                ..Default::default()
            };
            (Kind::Project, manifest(Kind::Project, name, labels, spec_value(spec))?)
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
            sharing,
            sandbox,
            labels,
        } => {
            let mut spec = ServerSpec {
                description: description.clone().unwrap_or_default(),
                transport: variant::<Transport>(transport),
                command: command.clone(),
                args: args.clone(),
                image: image.clone(),
                url: url.clone(),
                headers: BTreeMap::new(),
                env: Vec::new(),
                sharing: variant::<Sharing>(sharing),
                sandbox: Sandbox {
                    network: sandbox.network.as_deref().map(variant::<Network>),
                    egress: sandbox.egress.clone(),
                    memory: sandbox.memory.clone(),
                    processes: sandbox.processes,
                    mounts: sandbox.mounts.iter().map(|m| mount(m)).collect::<Result<_>>()?,
                },
            };
            for h in headers {
                let (k, v) = key_value("--header", h)?;
                spec.headers.insert(k.to_owned(), v.to_owned());
            }
            for e in env {
                let (k, v) = key_value("--env", e)?;
                spec.env.push(EnvVar { name: k.to_owned(), value: Some(v.to_owned()), value_from: None });
            }
            for e in env_from_secret {
                let (k, source) = key_value("--env-from-secret", e)?;
                let (secret, key) = source
                    .split_once(':')
                    .ok_or_else(|| Error::usage(format!("--env-from-secret expects NAME=SECRET:KEY, got {e:?}")))?;
                let secret_key_ref = SecretKeyRef { name: secret.to_owned(), key: key.to_owned() };
                spec.env.push(EnvVar {
                    name: k.to_owned(),
                    value: None,
                    value_from: Some(EnvSource { secret_key_ref }),
                });
            }
            (Kind::Server, manifest(Kind::Server, name, labels, spec_value(spec))?)
        }
        CreateCommand::User { email, display_name, password_stdin, labels } => {
            let mut spec =
                spec_value(UserSpec { display_name: display_name.clone().unwrap_or_default(), password: None });
            if *password_stdin {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    .map_err(|e| Error::Invalid(format!("cannot read stdin: {e}")))?;
                // UserSpec never serializes a password (it must not leave mcpd): add it here.
                spec["password"] = Value::from(text.trim_end_matches(['\n', '\r']));
            }
            (Kind::User, manifest(Kind::User, email, labels, spec)?)
        }
        CreateCommand::Group { name, members, labels } => {
            let spec = GroupSpec { members: members.clone() };
            (Kind::Group, manifest(Kind::Group, name, labels, spec_value(spec))?)
        }
        CreateCommand::Rbac { name, subjects, role_bindings, labels } => {
            let spec = RbacDefinitionSpec {
                subjects: subjects.clone(),
                role_bindings: parse_bindings("--roleBindings", role_bindings)?,
            };
            (Kind::RbacDefinition, manifest(Kind::RbacDefinition, name, labels, spec_value(spec))?)
        }
        CreateCommand::Mcptoken { name, bind, rbac, ttl, description } => {
            let spec = McpTokenSpec {
                description: description.clone().unwrap_or_default(),
                bindings: parse_bindings("--bind", bind)?,
                rbac: rbac.as_deref().map(variant::<RbacMode>),
                expires_at: None,
                ttl: ttl.clone(),
            };
            let mut value = manifest(Kind::McpToken, name, &[], spec_value(spec))?;
            let project = ctx.project_for(Kind::McpToken.info())?;
            if let Some(project) = project {
                value["metadata"]["project"] = Value::from(String::from(project));
            }
            (Kind::McpToken, value)
        }
        CreateCommand::Secretbackend {
            name,
            backend_type,
            address,
            token_secret,
            role_id,
            secret_id_secret,
            mount,
            path_prefix,
            namespace,
            ca_cert,
            default,
            labels,
        } => {
            let key_ref = |flag: &str, item: &str| -> Result<SecretKeyRef> {
                let (name, key) = item
                    .split_once(':')
                    .filter(|(n, k)| !n.is_empty() && !k.is_empty())
                    .ok_or_else(|| Error::usage(format!("{flag}: expected SECRET:KEY, got {item:?}")))?;
                Ok(SecretKeyRef { name: name.to_owned(), key: key.to_owned() })
            };
            let auth = match (token_secret, role_id, secret_id_secret) {
                (Some(token), _, _) => BackendAuth {
                    token: Some(TokenAuth { secret_key_ref: key_ref("--token-secret", token)? }),
                    app_role: None,
                },
                (None, Some(role_id), Some(secret_id)) => BackendAuth {
                    token: None,
                    app_role: Some(AppRoleAuth {
                        role_id: role_id.clone(),
                        secret_id_ref: key_ref("--secret-id-secret", secret_id)?,
                        mount: None,
                    }),
                },
                _ => return Err(Error::usage("give --token-secret SECRET:KEY, or --role-id with --secret-id-secret")),
            };
            let ca_cert = ca_cert
                .as_ref()
                .map(|path| {
                    std::fs::read_to_string(path)
                        .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", path.display())))
                })
                .transpose()?;
            let spec = SecretBackendSpec {
                backend_type: if backend_type == "vault" { BackendType::Vault } else { BackendType::Openbao },
                address: Some(address.clone()),
                mount: mount.clone(),
                path_prefix: path_prefix.clone(),
                namespace: namespace.clone(),
                ca_cert,
                auth: Some(auth),
                default: *default,
            };
            (Kind::SecretBackend, manifest(Kind::SecretBackend, name, labels, spec_value(spec))?)
        }
        CreateCommand::Secret { name, literals, env_files, files, backend, labels } => {
            let mut data = BTreeMap::new();
            for item in literals {
                let (k, v) = key_value("--from-literal", item)?;
                data.insert(k.to_owned(), Some(v.to_owned()));
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
                    data.insert(k.trim().to_owned(), Some(v.to_owned()));
                }
            }
            for item in files {
                let (k, path) = key_value("--from-file", item)?;
                let text =
                    std::fs::read_to_string(path).map_err(|e| Error::Invalid(format!("cannot read {path}: {e}")))?;
                data.insert(k.to_owned(), Some(text));
            }
            let spec = SecretSpec { data, backend: backend.clone() };
            (Kind::Secret, manifest(Kind::Secret, name, labels, spec_value(spec))?)
        }
    };
    Ok((kind.info(), value))
}

fn parse_bindings(flag: &str, items: &[String]) -> Result<Vec<shared::rbac::Binding>> {
    items
        .iter()
        .map(|item| shared::rbac::Binding::parse_cli(item).map_err(|msg| Error::usage(format!("{flag}: {msg}"))))
        .collect()
}
