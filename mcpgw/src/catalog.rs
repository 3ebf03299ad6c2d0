//! What a client session was shown, and where each shown name leads: pure functions over the
//! lists the servers answered, merged into one list per kind with exposed names
//! (`<server>__<name>`) and narrowed by the project's tool policy, and a hash of each list as
//! shown, so that a change is announced only when it changes what the client sees.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};
use shared::api::ToolRules;
use shared::spec::{ToolDefinition, ToolState};

use crate::names;

/// Which lists a change may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lists(u8);

impl Lists {
    pub const NONE: Lists = Lists(0);
    pub const TOOLS: Lists = Lists(1);
    pub const PROMPTS: Lists = Lists(2);
    pub const RESOURCES: Lists = Lists(4);
    pub const ALL: Lists = Lists(7);

    pub fn has(self, other: Lists) -> bool {
        self.0 & other.0 != 0
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> Lists {
        Lists(bits & Lists::ALL.0)
    }

    fn index(self) -> usize {
        match self {
            Lists::TOOLS => 0,
            Lists::PROMPTS => 1,
            _ => 2,
        }
    }

    /// The word for one item of the list, in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Lists::TOOLS => "tool",
            Lists::PROMPTS => "prompt",
            _ => "resource",
        }
    }
}

/// Each server's answer to a list request, by server name, in the project's order.
pub type Gathered<T> = Vec<(String, Vec<T>)>;

/// What the client was last shown, and where each name leads.
#[derive(Default)]
pub struct Catalog {
    tools: HashMap<String, (String, String)>,
    /// Tools the project pins that are not shown until approved, and why.
    withheld: HashMap<String, ToolState>,
    prompts: HashMap<String, (String, String)>,
    resources: HashMap<String, String>,
    /// Resource templates' fixed prefixes, and the server offering each.
    templates: Vec<(String, String)>,
    /// A hash of each list as last shown; `None` until the client lists it.
    shown: [Option<u64>; 3],
}

impl Catalog {
    /// Every server's tools under their exposed names, as the project's rules let its clients
    /// see them. `fingerprints` has each tool's, by exposed name (see [`definition`]).
    pub fn tools(
        &mut self,
        gathered: Gathered<Tool>,
        rules: &ToolRules,
        fingerprints: &HashMap<String, String>,
    ) -> Vec<Tool> {
        let mut table = HashMap::new();
        let mut withheld = HashMap::new();
        let mut tools = Vec::new();
        for (server, list) in gathered {
            for mut tool in list {
                let shown = names::exposed(&server, &tool.name);
                let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
                if !rules.policy.admits(&shown, read_only) {
                    continue;
                }
                if rules.policy.pin {
                    let recorded = rules.recorded.get(&shown).filter(|r| r.server == server);
                    let approved = recorded.and_then(|r| r.approved.as_deref());
                    let state = ToolState::of(approved, fingerprints.get(&shown).map(String::as_str));
                    if state != ToolState::Approved {
                        withheld.insert(shown, state);
                        continue;
                    }
                }
                table.insert(shown.clone(), (server.clone(), tool.name.to_string()));
                tool.name = shown.into();
                tools.push(tool);
            }
        }
        self.tools = table;
        self.withheld = withheld;
        self.shown[Lists::TOOLS.index()] = Some(hash_of(&tools));
        tools
    }

    /// Every server's prompts under their exposed names.
    pub fn prompts(&mut self, gathered: Gathered<Prompt>) -> Vec<Prompt> {
        let mut table = HashMap::new();
        let mut prompts = Vec::new();
        for (server, list) in gathered {
            for mut prompt in list {
                let shown = names::exposed(&server, &prompt.name);
                table.insert(shown.clone(), (server.clone(), std::mem::replace(&mut prompt.name, shown)));
                prompts.push(prompt);
            }
        }
        self.prompts = table;
        self.shown[Lists::PROMPTS.index()] = Some(hash_of(&prompts));
        prompts
    }

    /// Every server's resources, URIs unchanged; the first server to list a URI owns it.
    pub fn resources(&mut self, gathered: Gathered<Resource>) -> Vec<Resource> {
        let mut table = HashMap::new();
        let mut resources = Vec::new();
        for (server, list) in gathered {
            for resource in list {
                if table.contains_key(&resource.uri) {
                    continue;
                }
                table.insert(resource.uri.clone(), server.clone());
                resources.push(resource);
            }
        }
        self.resources = table;
        self.shown[Lists::RESOURCES.index()] = Some(hash_of(&resources));
        resources
    }

    /// Every server's resource templates, remembering which server offers which.
    pub fn templates(&mut self, gathered: Gathered<ResourceTemplate>) -> Vec<ResourceTemplate> {
        let mut owners = Vec::new();
        let mut templates = Vec::new();
        for (server, list) in gathered {
            for template in list {
                // What a URI made from it starts with: the text before its first variable.
                let prefix = template.uri_template.split('{').next().unwrap_or_default().to_owned();
                owners.push((prefix, server.clone()));
                templates.push(template);
            }
        }
        self.templates = owners;
        templates
    }

    /// Where a shown name leads: `(server, its own name)`.
    pub fn route(&self, lists: Lists, shown: &str) -> Option<(String, String)> {
        match lists {
            Lists::TOOLS => self.tools.get(shown).cloned(),
            Lists::PROMPTS => self.prompts.get(shown).cloned(),
            _ => self.resources.get(shown).map(|server| (server.clone(), shown.to_owned())),
        }
    }

    /// Why a tool of a pinned project is not shown, when it waits for approval.
    pub fn withheld(&self, shown: &str) -> Option<ToolState> {
        self.withheld.get(shown).copied()
    }

    /// The server whose template a URI fits (the longest fixed prefix).
    pub fn template_server(&self, uri: &str) -> Option<String> {
        self.templates
            .iter()
            .filter(|(prefix, _)| !prefix.is_empty() && uri.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, server)| server.clone())
    }

    /// The hash of `list` as last shown; `None` when the client never listed it.
    pub fn shown(&self, list: Lists) -> Option<u64> {
        self.shown[list.index()]
    }
}

/// What a tool's fingerprint covers, from its server's definition.
pub fn definition(tool: &Tool) -> ToolDefinition {
    let value = |v: &serde_json::Map<String, serde_json::Value>| serde_json::Value::Object(v.clone());
    ToolDefinition {
        name: tool.name.to_string(),
        title: tool.title.clone(),
        description: tool.description.as_ref().map(|d| d.to_string()),
        annotations: tool.annotations.as_ref().and_then(|a| serde_json::to_value(a).ok()),
        input_schema: value(&tool.input_schema),
        output_schema: tool.output_schema.as_deref().map(value),
    }
}

/// A hash of a list as a client sees it.
pub fn hash_of<T: serde::Serialize>(items: &[T]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(items).unwrap_or_default().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn tool(name: &str) -> Tool {
        Tool::new(name.to_owned(), "a tool", Arc::new(serde_json::Map::new()))
    }

    #[test]
    fn tools_are_shown_prefixed_and_route_back_to_their_server() {
        let mut catalog = Catalog::default();
        assert_eq!(catalog.shown(Lists::TOOLS), None);
        let gathered = vec![("fs".into(), vec![tool("read")]), ("github".into(), vec![tool("read"), tool("issue")])];
        let shown = catalog.tools(gathered, &ToolRules::default(), &HashMap::new());
        let names: Vec<&str> = shown.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["fs__read", "github__read", "github__issue"]);
        assert_eq!(catalog.route(Lists::TOOLS, "github__read"), Some(("github".into(), "read".into())));
        assert_eq!(catalog.route(Lists::TOOLS, "nope__read"), None);
        assert_eq!(catalog.shown(Lists::TOOLS), Some(hash_of(&shown)));
    }

    #[test]
    fn the_policy_narrows_what_is_shown_and_a_pinned_project_withholds_what_is_not_approved() {
        use shared::api::RecordedTool;
        use shared::spec::ToolPolicy;
        let mut read = tool("read");
        read.annotations = Some(rmcp::model::ToolAnnotations::new().read_only(true));
        let gathered = || vec![("gh".into(), vec![read.clone(), tool("write"), tool("delete_repo")])];
        let names = |tools: Vec<Tool>| tools.iter().map(|t| t.name.to_string()).collect::<Vec<_>>();
        let mut catalog = Catalog::default();
        let policy = ToolPolicy { exclude: vec!["*delete*".into()], ..Default::default() };
        let rules = ToolRules { policy, recorded: Default::default() };
        assert_eq!(names(catalog.tools(gathered(), &rules, &HashMap::new())), ["gh__read", "gh__write"]);
        let policy = ToolPolicy { read_only: true, ..Default::default() };
        let rules = ToolRules { policy, recorded: Default::default() };
        assert_eq!(names(catalog.tools(gathered(), &rules, &HashMap::new())), ["gh__read"]);

        let fingerprints: HashMap<String, String> =
            ["gh__read", "gh__write", "gh__delete_repo"].iter().map(|n| (n.to_string(), format!("fp-{n}"))).collect();
        let recorded = |approved: Option<&str>| RecordedTool {
            server: "gh".into(),
            approved: approved.map(str::to_owned),
            seen: None,
        };
        let policy = ToolPolicy { pin: true, ..Default::default() };
        let recorded = [
            ("gh__read".to_owned(), recorded(Some("fp-gh__read"))),
            ("gh__write".to_owned(), recorded(Some("an older definition"))),
            ("gh__delete_repo".to_owned(), recorded(None)),
        ];
        let rules = ToolRules { policy, recorded: recorded.into_iter().collect() };
        assert_eq!(names(catalog.tools(gathered(), &rules, &fingerprints)), ["gh__read"]);
        assert_eq!(catalog.withheld("gh__write"), Some(ToolState::Changed));
        assert_eq!(catalog.withheld("gh__delete_repo"), Some(ToolState::Pending));
        assert_eq!(catalog.route(Lists::TOOLS, "gh__write"), None);
    }

    #[test]
    fn the_first_server_to_list_a_uri_owns_it() {
        let mut catalog = Catalog::default();
        let resource = |uri: &str| Resource::new(uri, "r");
        let shown = catalog
            .resources(vec![("a".into(), vec![resource("file:///x")]), ("b".into(), vec![resource("file:///x")])]);
        assert_eq!(shown.len(), 1);
        assert_eq!(catalog.route(Lists::RESOURCES, "file:///x"), Some(("a".into(), "file:///x".into())));
    }

    #[test]
    fn a_uri_goes_to_the_template_with_the_longest_prefix() {
        let mut catalog = Catalog::default();
        let template = |t: &str| ResourceTemplate::new(t, "t");
        catalog.templates(vec![
            ("short".into(), vec![template("test://{id}")]),
            ("long".into(), vec![template("test://static/{id}")]),
            ("empty".into(), vec![template("{anything}")]),
        ]);
        assert_eq!(catalog.template_server("test://static/1").as_deref(), Some("long"));
        assert_eq!(catalog.template_server("test://other").as_deref(), Some("short"));
        assert_eq!(catalog.template_server("http://x"), None);
    }
}
