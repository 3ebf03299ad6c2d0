//! What a client session was shown, and where each shown name leads: pure functions over the
//! lists the servers answered, merged into one list per kind with exposed names
//! (`<server>__<name>`), and a hash of each list as shown, so that a change is announced only
//! when it changes what the client sees.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};

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
    prompts: HashMap<String, (String, String)>,
    resources: HashMap<String, String>,
    /// Resource templates' fixed prefixes, and the server offering each.
    templates: Vec<(String, String)>,
    /// A hash of each list as last shown; `None` until the client lists it.
    shown: [Option<u64>; 3],
}

impl Catalog {
    /// Every server's tools under their exposed names.
    pub fn tools(&mut self, gathered: Gathered<Tool>) -> Vec<Tool> {
        let mut table = HashMap::new();
        let mut tools = Vec::new();
        for (server, list) in gathered {
            for mut tool in list {
                let shown = names::exposed(&server, &tool.name);
                table.insert(shown.clone(), (server.clone(), tool.name.to_string()));
                tool.name = shown.into();
                tools.push(tool);
            }
        }
        self.tools = table;
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
        let shown = catalog
            .tools(vec![("fs".into(), vec![tool("read")]), ("github".into(), vec![tool("read"), tool("issue")])]);
        let names: Vec<&str> = shown.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["fs__read", "github__read", "github__issue"]);
        assert_eq!(catalog.route(Lists::TOOLS, "github__read"), Some(("github".into(), "read".into())));
        assert_eq!(catalog.route(Lists::TOOLS, "nope__read"), None);
        assert_eq!(catalog.shown(Lists::TOOLS), Some(hash_of(&shown)));
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
