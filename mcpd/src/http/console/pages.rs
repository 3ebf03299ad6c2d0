//! The console's HTML, compiled into the binary (maud): a layout with the kinds the user may
//! list, tables, YAML, forms. No script runs on any page; every form carries its CSRF token.

use maud::{html, Markup, DOCTYPE};
use shared::{KindInfo, Object, Status};

use super::session::User;

/// The stylesheet, served at `/ui/static/console.css`.
pub const CSS: &str = include_str!("console.css");
/// The icon, served at `/ui/static/favicon.svg`.
pub const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#0a58ca\"/><path d=\"M4 11V5l4 3 4-3v6\" stroke=\"#fff\" stroke-width=\"1.6\" fill=\"none\"/></svg>";

/// A whole page: header with navigation, then `body`.
pub fn page(title: &str, user: Option<(&User, &[&'static KindInfo])>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · mcpd" }
                link rel="stylesheet" href="/ui/static/console.css";
                link rel="icon" href="/ui/static/favicon.svg" type="image/svg+xml";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    a.brand href="/ui" { "mcpd" }
                    @if let Some((user, kinds)) = user {
                        nav aria-label="Kinds" {
                            ul {
                                @for kind in kinds {
                                    li { a href={ "/ui/" (kind.plural) } { (plural_title(kind)) } }
                                }
                            }
                        }
                        form.logout method="post" action="/ui/logout" {
                            input type="hidden" name="csrf" value=(user.csrf);
                            span.who { (user.email()) }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    }
}

/// `Servers`, `Secret backends`, `Audit events`.
pub fn plural_title(kind: &KindInfo) -> &'static str {
    match kind.kind {
        shared::Kind::Secret => "Secrets",
        shared::Kind::SecretBackend => "Secret backends",
        shared::Kind::Server => "Servers",
        shared::Kind::Project => "Projects",
        shared::Kind::Tool => "Tools",
        shared::Kind::User => "Users",
        shared::Kind::Group => "Groups",
        shared::Kind::RbacDefinition => "RBAC definitions",
        shared::Kind::McpToken => "Tokens",
        shared::Kind::AuditEvent => "Audit events",
    }
}

/// A refusal or validation failure as the API put it, with every cause.
pub fn status(status: &Status) -> Markup {
    let causes = status.details.as_ref().map(|d| d.causes.clone()).unwrap_or_default();
    html! {
        div.error role="alert" {
            p { strong { (status.reason.as_str()) } ": " (status.message) }
            @if !causes.is_empty() {
                ul { @for cause in &causes { li { code { (cause.field) } ": " (cause.message) } } }
            }
        }
    }
}

/// A notice that is not an error.
pub fn note(text: &str) -> Markup {
    html! { p.note role="status" { (text) } }
}

/// A form that posts to `action` with the CSRF token and one button.
pub fn button_form(user: &User, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="csrf" value=(user.csrf);
            button type="submit" class=(class) { (label) }
        }
    }
}

/// A table of objects with the kind's columns; each name links to its page.
pub fn table(kind: &KindInfo, objects: &[Object], link: impl Fn(&Object) -> String) -> Markup {
    html! {
        div.scroll {
            table {
                thead {
                    tr {
                        th scope="col" { "Name" }
                        @for column in kind.columns.iter().filter(|c| !c.wide) { th scope="col" { (title_case(column.header)) } }
                        th scope="col" { (title_case(kind.age_header)) }
                    }
                }
                tbody {
                    @for object in objects {
                        tr {
                            th scope="row" { a href=(link(object)) { (object.metadata.name) } }
                            @for column in kind.columns.iter().filter(|c| !c.wide) { td { ((column.value)(object)) } }
                            td { (age(object)) }
                        }
                    }
                }
            }
        }
    }
}

fn title_case(header: &str) -> String {
    let lower = header.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// How long ago an object was created, as `get` says it.
fn age(object: &Object) -> String {
    let Some(created) = object.metadata.created_at.as_deref().and_then(crate::util::parse_time) else {
        return String::new();
    };
    let seconds = (time::OffsetDateTime::now_utc().unix_timestamp() - created).max(0);
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 2 * 3600 => format!("{}m", s / 60),
        s if s < 2 * 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// YAML, as `get -o yaml` prints it.
pub fn yaml(value: &serde_json::Value) -> String {
    serde_yaml_ng::to_string(value).unwrap_or_default()
}

/// A YAML editor: the text, and a button that sends it.
pub fn yaml_form(user: &User, action: &str, text: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(user.csrf);
            label for="yaml" { "YAML" }
            textarea id="yaml" name="yaml" rows="24" spellcheck="false" { (text) }
            button type="submit" { (label) }
        }
    }
}
