//! `get KIND [NAME...]`: list or fetch objects and print them.

use shared::api::WatchEventType;
use shared::name::ProjectName;
use shared::{Kind, KindInfo, Object, Scope};

use crate::cli::GetArgs;
use crate::client::Client;
use crate::commands::{kind, targets, Ctx};
use crate::error::{Error, Result};
use crate::print;

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let Some(first) = args.kind.as_deref() else {
        let plurals: Vec<&str> = shared::KINDS.iter().map(|k| k.plural).collect();
        return Err(Error::Usage {
            message: "say which kind to get".to_owned(),
            hint: Some(format!("one of {}, or all (mcpctl api-resources describes them)", plurals.join(", "))),
        });
    };
    if first == "all" {
        return all(ctx, args);
    }
    let mut groups = groups(first, &args.names)?;
    if groups.len() == 1 {
        let (kind, names) = groups.remove(0);
        return one(ctx, args, kind, names);
    }
    if args.watch || args.watch_only {
        return Err(Error::usage("--watch follows one kind"));
    }
    // Several kinds: each printed as its own list, as `get all` does, or all of them as one
    // List in a structured output; -p applies to the kinds that live in projects.
    let view = view(ctx, args);
    let structured = !matches!(view.output, None | Some(crate::cli::Output::Table | crate::cli::Output::Wide));
    let mut everything = Vec::new();
    let mut failed = false;
    for (i, (kind, names)) in groups.into_iter().enumerate() {
        let project = if kind.scope == Scope::Project { ctx.project_for(kind)? } else { None };
        let (objects, missing) = fetch(ctx, args, kind, &names, project.as_ref())?;
        failed |= missing;
        if structured {
            everything.extend(objects);
            continue;
        }
        if i > 0 {
            ctx.printer.out("");
        }
        if !objects.is_empty() || names.is_empty() {
            ctx.printer.objects(kind, objects, &view, false)?;
        }
    }
    if structured {
        ctx.printer.all_objects(everything, &view)?;
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

/// The objects of one kind: its list, or the named ones (those not found are reported, and
/// the second value says so).
fn fetch(
    ctx: &Ctx,
    args: &GetArgs,
    kind: &'static KindInfo,
    names: &[String],
    project: Option<&ProjectName>,
) -> Result<(Vec<Object>, bool)> {
    let client = ctx.client()?;
    if names.is_empty() {
        return Ok((client.list(kind, project, args.selector.as_deref(), args.show_values)?, false));
    }
    let mut found = Vec::new();
    let mut missing = false;
    for name in names {
        match client.get(kind, project, name, args.show_values) {
            Ok(object) => found.push(object),
            Err(Error::Server(status)) => {
                ctx.printer.status(&status, None);
                missing = true;
            }
            Err(e) => return Err(e),
        }
    }
    Ok((found, missing))
}

/// What `get` was asked for, kind by kind: `servers,projects` (each whole), `server/a
/// project/b` (names grouped by kind, in the order given), or a kind and its names.
fn groups(first: &str, rest: &[String]) -> Result<Vec<(&'static KindInfo, Vec<String>)>> {
    if first.contains(',') {
        if !rest.is_empty() {
            return Err(Error::usage("names cannot follow several kinds: name objects as KIND/NAME"));
        }
        let kinds: Vec<_> =
            first.split(',').filter(|k| !k.is_empty()).map(|k| Ok((kind(k)?, Vec::new()))).collect::<Result<_>>()?;
        if kinds.is_empty() {
            return Err(Error::usage("say which kinds to get, e.g. servers,projects"));
        }
        return Ok(kinds);
    }
    if !first.contains('/') {
        let (kind, names) = targets(first, rest)?;
        return Ok(vec![(kind, names)]);
    }
    let mut groups: Vec<(&'static KindInfo, Vec<String>)> = Vec::new();
    for item in std::iter::once(first).chain(rest.iter().map(String::as_str)) {
        let Some((kind_word, name)) = item.split_once('/') else {
            return Err(Error::usage(format!(
                "there is no need to give a name separately when using KIND/NAME: {item:?}"
            )));
        };
        let info = kind(kind_word)?;
        match groups.iter_mut().find(|(k, _)| *k == info) {
            Some((_, names)) => names.push(name.to_owned()),
            None => groups.push((info, vec![name.to_owned()])),
        }
    }
    Ok(groups)
}

/// `get` of one kind: its list, or the named objects.
fn one(ctx: &Ctx, args: &GetArgs, kind: &'static KindInfo, names: Vec<String>) -> Result<()> {
    let filters = [
        &args.principal,
        &args.for_kind,
        &args.for_name,
        &args.for_project,
        &args.for_server,
        &args.outcome,
        &args.since,
        &args.until,
    ];
    if filters.iter().any(|f| f.is_some()) && kind.kind != Kind::AuditEvent {
        return Err(Error::usage(
            "--principal, --for-kind, --for-name, --for-project, --for-server, --outcome, --since and --until \
             filter events only",
        ));
    }
    let view = view(ctx, args);
    if args.watch || args.watch_only {
        if !names.is_empty() || args.all_projects {
            return Err(Error::usage("--watch follows one kind in one project: no names or -A"));
        }
        if kind.kind == Kind::AuditEvent {
            return watch_events(ctx, args, kind, &view);
        }
        return watch(ctx, args, kind, &view);
    }
    let client = ctx.client()?;
    if kind.kind == Kind::AuditEvent && names.is_empty() {
        let objects = client.events(&event_filters(args)?)?;
        ctx.printer.objects(kind, objects, &view, false)?;
        return Ok(());
    }
    if names.is_empty() {
        let objects = if args.all_projects && kind.scope == Scope::Project {
            all_projects(client, kind, args)?
        } else {
            client.list(kind, ctx.project_for(kind)?.as_ref(), args.selector.as_deref(), args.show_values)?
        };
        let objects = with_gateways(client, kind, &view, objects);
        ctx.printer.objects(kind, objects, &view, false)?;
        return Ok(());
    }
    if args.selector.is_some() {
        return Err(Error::usage("a label selector (-l) cannot be combined with names"));
    }
    let project = ctx.project_for(kind)?;
    let mut found = Vec::new();
    let mut failed = false;
    for name in &names {
        match client.get(kind, project.as_ref(), name, args.show_values) {
            Ok(object) => found.push(object),
            Err(Error::Server(status)) => {
                ctx.printer.status(&status, None);
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if !found.is_empty() {
        let found = with_gateways(client, kind, &view, found);
        ctx.printer.objects(kind, found, &view, names.len() == 1)?;
    }
    if failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

/// Servers in a wide table show how they stand at the gateways: what the gateways reported
/// is added to each server's status as `gateways` (nothing when it cannot be read).
fn with_gateways(client: &Client, kind: &KindInfo, view: &print::View, mut objects: Vec<Object>) -> Vec<Object> {
    if kind.kind != Kind::Server || view.output != Some(crate::cli::Output::Wide) {
        return objects;
    }
    let Ok(reports) = client.gateway_status(None) else { return objects };
    for object in &mut objects {
        let mine: Vec<_> = reports.iter().filter(|r| r.server == object.metadata.name).collect();
        let status = object.status.get_or_insert_with(|| serde_json::json!({}));
        if let Some(status) = status.as_object_mut() {
            status.insert("gateways".to_owned(), serde_json::json!(mine));
        }
    }
    objects
}

/// `get all`: every kind the caller may list, in the order `apply` writes them, so that
/// `get all -o yaml --show-values` is a backup `apply -f` restores. Tokens are those of the
/// context's project (or the global ones), or with `-A` those of every project too. Kinds the
/// caller may not list are left out.
fn all(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    if !args.names.is_empty() {
        return Err(Error::usage("get all takes no names"));
    }
    let client = ctx.client()?;
    let mut kinds: Vec<&'static KindInfo> = shared::KINDS.iter().filter(|k| k.writable).collect();
    kinds.sort_by_key(|k| k.apply_order);
    let view = view(ctx, args);
    let structured = !matches!(view.output, None | Some(crate::cli::Output::Table | crate::cli::Output::Wide));
    let mut everything = Vec::new();
    let mut printed = false;
    for kind in kinds {
        let project = if kind.scope == Scope::Project { ctx.project()? } else { None };
        // A project's tools are listed with its -p, or with -A.
        if kind.needs_project() && project.is_none() && !args.all_projects {
            continue;
        }
        let show_values = args.show_values && kind.sensitive;
        let listed = if args.all_projects && kind.scope == Scope::Project && !show_values {
            all_projects(client, kind, args)
        } else {
            client.list(kind, project.as_ref(), args.selector.as_deref(), show_values)
        };
        let objects = match listed {
            Ok(objects) => objects,
            Err(Error::Server(s)) if s.code == 403 && !show_values => continue,
            Err(e) => return Err(e),
        };
        if structured {
            everything.extend(objects);
        } else if !objects.is_empty() {
            if printed {
                ctx.printer.out("");
            }
            ctx.printer.objects(kind, objects, &view, false)?;
            printed = true;
        }
    }
    if structured {
        return ctx.printer.all_objects(everything, &view);
    }
    if !printed {
        ctx.printer.note("No resources found.");
    }
    Ok(())
}

/// `get -w`: the list (unless `--watch-only`), then each change as mcpd streams it, until
/// Ctrl-C or until the server goes away (an error).
fn watch(ctx: &Ctx, args: &GetArgs, kind: &'static KindInfo, view: &print::View) -> Result<()> {
    let client = ctx.client()?;
    let project = ctx.project_for(kind)?;
    let selector = args.selector.as_deref();
    let (objects, revision) = client.list_at(kind, project.as_ref(), selector, false)?;
    let events = args.output_watch_events;
    // The last state of each object seen: a DELETED event carries only the name, and is
    // printed as the object was.
    let mut last: std::collections::HashMap<String, Object> =
        objects.iter().map(|o| (o.metadata.name.clone(), o.clone())).collect();
    let mut headers = !view.no_headers;
    if !args.watch_only {
        if events {
            for object in objects {
                ctx.printer.watch_event(kind, object, view, headers, Some("ADDED"))?;
                headers = false;
            }
        } else {
            headers &= objects.is_empty();
            ctx.printer.objects(kind, objects, view, false)?;
        }
    }
    for event in client.watch(kind, project.as_ref(), selector, revision.as_deref())? {
        let event = event?;
        let object = match event.event_type {
            WatchEventType::Bookmark => continue,
            WatchEventType::Deleted => last.remove(&event.object.metadata.name).unwrap_or(event.object),
            WatchEventType::Added | WatchEventType::Modified => {
                last.insert(event.object.metadata.name.clone(), event.object.clone());
                event.object
            }
        };
        let said = events.then(|| event_name(event.event_type));
        ctx.printer.watch_event(kind, object, view, headers, said)?;
        headers = false;
    }
    Err(Error::Unreachable { url: client.target().server.clone(), detail: "the server ended the watch".to_owned() })
}

fn view(ctx: &Ctx, args: &GetArgs) -> print::View {
    print::View {
        output: ctx.global.output.clone(),
        sort_by: args.sort_by.clone(),
        no_headers: args.no_headers,
        show_labels: args.show_labels,
        label_columns: args.label_columns.clone(),
    }
}

/// Global objects of a project-scoped kind, then those of every project the caller can list.
fn all_projects(client: &Client, kind: &KindInfo, args: &GetArgs) -> Result<Vec<Object>> {
    let selector = args.selector.as_deref();
    let mut objects = if kind.needs_project() { Vec::new() } else { client.list(kind, None, selector, false)? };
    for project in client.list(Kind::Project.info(), None, None, false)? {
        let Some(project) = ProjectName::from_text(&project.metadata.name) else { continue };
        match client.list(kind, Some(&project), selector, false) {
            Ok(found) => objects.extend(found),
            Err(Error::Server(s)) if s.code == 403 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(objects)
}

fn event_name(event: WatchEventType) -> &'static str {
    match event {
        WatchEventType::Added => "ADDED",
        WatchEventType::Modified => "MODIFIED",
        WatchEventType::Deleted => "DELETED",
        WatchEventType::Bookmark => "BOOKMARK",
    }
}

/// How often `get events -w` asks for new events (the audit trail has no change feed).
const EVENT_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// `get events -w`: the events (unless `--watch-only`), then each new one as mcpd writes it,
/// until Ctrl-C. Events are numbered in the order they are written, so each poll asks for
/// those after the last one seen (not by time: a gateway's calls arrive later than they
/// happened).
fn watch_events(ctx: &Ctx, args: &GetArgs, kind: &'static KindInfo, view: &print::View) -> Result<()> {
    let client = ctx.client()?;
    let filters = event_filters(args)?;
    let mut last = match args.watch_only {
        true => client.newest_event(&filters)?,
        false => None,
    };
    let mut header = !view.no_headers;
    loop {
        for event in client.events_after(&filters, last)? {
            if let Ok(id) = event.metadata.name.parse::<i64>() {
                last = Some(last.map_or(id, |last| last.max(id)));
            }
            ctx.printer.watch_event(kind, event, view, header, None)?;
            header = false;
        }
        std::thread::sleep(EVENT_POLL);
    }
}

fn event_filters(args: &GetArgs) -> Result<Vec<(&'static str, String)>> {
    let mut filters = Vec::new();
    for (key, value) in [
        ("principal", &args.principal),
        ("name", &args.for_name),
        ("project", &args.for_project),
        ("server", &args.for_server),
        ("outcome", &args.outcome),
    ] {
        if let Some(v) = value {
            filters.push((key, v.clone()));
        }
    }
    if let Some(kind) = &args.for_kind {
        filters.push(("kind", event_kind(kind)?));
    }
    if let Some(since) = &args.since {
        filters.push(("since", time_or_ago(since)?));
    }
    if let Some(until) = &args.until {
        filters.push(("until", time_or_ago(until)?));
    }
    Ok(filters)
}

/// What audit events are about besides objects: logins, password changes, refused credentials,
/// and (through a gateway) tool calls, prompts and resources.
const EVENT_ONLY_KINDS: [&str; 6] = ["sessions", "passwords", "credentials", "tools", "prompts", "resources"];

/// `--for-kind` as events name it (a kind's plural); a typo is a usage error with the nearest
/// kind, as on the command line, never a filter that silently matches nothing.
fn event_kind(text: &str) -> Result<String> {
    if let Some(info) = KindInfo::find(text) {
        return Ok(info.plural.to_owned());
    }
    if EVENT_ONLY_KINDS.contains(&text) {
        return Ok(text.to_owned());
    }
    crate::commands::kind(text).map(|info| info.plural.to_owned()).map_err(|e| match e {
        Error::Usage { hint, .. } => Error::Usage {
            message: format!("--for-kind {text:?} is not a kind events are about"),
            hint: hint.map(|h| format!("{h}; events are also about {}", EVENT_ONLY_KINDS.join(", "))),
        },
        other => other,
    })
}

/// An RFC 3339 time as is, or a duration such as `1h` as that long ago.
fn time_or_ago(text: &str) -> Result<String> {
    use time::format_description::well_known::Rfc3339;
    if time::OffsetDateTime::parse(text, &Rfc3339).is_ok() {
        return Ok(text.to_owned());
    }
    match shared::spec::parse_ttl(text) {
        Ok(shared::spec::Expiry::After(seconds)) => {
            let at = time::OffsetDateTime::now_utc() - time::Duration::seconds(seconds);
            Ok(at.replace_nanosecond(0).expect("0 is valid").format(&Rfc3339).expect("UTC formats"))
        }
        _ => Err(Error::usage(format!("{text:?} is neither an RFC 3339 time nor a duration such as 1h or 7d"))),
    }
}
