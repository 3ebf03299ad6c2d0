//! kubectl's JSONPath templates, for `-o jsonpath=`, `-o custom-columns=` and `--sort-by`:
//! literal text with `{...}` actions: paths (`{.metadata.name}`, `{.items[*].spec.servers[0]}`,
//! `{..name}`, `{.items[?(@.spec.transport=="stdio")].metadata.name}`), string literals
//! (`{"\n"}`), and `{range ...}...{end}`.
//!
//! Written here because the JSONPath crates implement RFC 9535 (`$.a.b`), not kubectl's
//! template language around it; what kubectl users type must work as they type it.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Path(Path),
    Range(Path, Vec<Node>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    /// `.*` or `[*]`: every element or member value.
    All,
    /// `..name`: that field at any depth.
    Descend(String),
    Index(i64),
    Slice(Option<i64>, Option<i64>),
    Filter(Filter),
}

#[derive(Clone, Debug, PartialEq)]
struct Filter {
    path: Path,
    /// `None`: the path must exist (and not be false or null).
    compare: Option<(bool, Value)>,
}

impl Template {
    /// Parses a template. Text without any `{` is taken as one path, as kubectl relaxes
    /// `.metadata.name` to `{.metadata.name}`.
    pub fn parse(text: &str) -> Result<Template, String> {
        if !text.contains('{') {
            return Ok(Template { nodes: vec![Node::Path(Path::parse(text)?)] });
        }
        let mut stack: Vec<(Option<Path>, Vec<Node>)> = vec![(None, Vec::new())];
        let mut rest = text;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                push_text(&mut stack, rest);
                break;
            };
            push_text(&mut stack, &rest[..open]);
            let close = closing_brace(&rest[open..]).ok_or_else(|| format!("unclosed {{ in template {text:?}"))?;
            let action = rest[open + 1..open + close].trim();
            rest = &rest[open + close + 1..];
            if let Some(path) = action.strip_prefix("range ") {
                stack.push((Some(Path::parse(path.trim())?), Vec::new()));
            } else if action == "end" {
                let (Some(path), body) = stack.pop().filter(|_| !stack.is_empty()).unwrap_or((None, Vec::new())) else {
                    return Err("{end} without {range ...}".to_owned());
                };
                current(&mut stack).push(Node::Range(path, body));
            } else if action.starts_with('"') || action.starts_with('\'') {
                let literal = string_literal(action)?;
                push_text(&mut stack, &literal);
            } else {
                current(&mut stack).push(Node::Path(Path::parse(action)?));
            }
        }
        match stack.pop() {
            Some((None, nodes)) if stack.is_empty() => Ok(Template { nodes }),
            _ => Err("{range ...} without {end}".to_owned()),
        }
    }

    /// Renders the template against `root`.
    pub fn render(&self, root: &Value) -> String {
        let mut out = String::new();
        render(&self.nodes, root, &mut out);
        out
    }
}

fn current(stack: &mut [(Option<Path>, Vec<Node>)]) -> &mut Vec<Node> {
    &mut stack.last_mut().expect("the stack always has the top level").1
}

fn push_text(stack: &mut [(Option<Path>, Vec<Node>)], text: &str) {
    if text.is_empty() {
        return;
    }
    let nodes = current(stack);
    match nodes.last_mut() {
        Some(Node::Text(t)) => t.push_str(text),
        _ => nodes.push(Node::Text(text.to_owned())),
    }
}

/// Where the `}` closing the `{` at the start of `text` is, skipping quoted text.
fn closing_brace(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '}') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

fn string_literal(text: &str) -> Result<String, String> {
    let quote = text.chars().next().unwrap_or('"');
    let inner = text
        .strip_prefix(quote)
        .and_then(|t| t.strip_suffix(quote))
        .ok_or_else(|| format!("unterminated string {text:?}"))?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Ok(out)
}

fn render(nodes: &[Node], context: &Value, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Path(path) => {
                let shown: Vec<String> = path.select(context).into_iter().map(display).collect();
                out.push_str(&shown.join(" "));
            }
            Node::Range(path, body) => {
                for item in path.select(context) {
                    render(body, item, out);
                }
            }
        }
    }
}

/// A value as kubectl prints it: strings bare, everything else as compact JSON.
pub fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Path {
    /// Parses `.a.b[0]`, `a.b`, `@.a`, `$.a`, `..a`, `.items[*]`, `.a['b.c']`.
    pub fn parse(text: &str) -> Result<Path, String> {
        let bad = |why: &str| format!("invalid JSONPath {text:?}: {why}");
        let mut rest = text.trim();
        rest = rest.strip_prefix('$').or_else(|| rest.strip_prefix('@')).unwrap_or(rest);
        let mut steps = Vec::new();
        let mut first = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("..") {
                let (name, tail) = split_name(after);
                if name.is_empty() {
                    return Err(bad("`..` needs a field name"));
                }
                steps.push(Step::Descend(name.to_owned()));
                rest = tail;
            } else if let Some(after) = rest.strip_prefix('.') {
                if let Some(tail) = after.strip_prefix('*') {
                    steps.push(Step::All);
                    rest = tail;
                } else {
                    let (name, tail) = split_name(after);
                    if name.contains(char::is_whitespace) {
                        return Err(bad("a field name has no spaces (quote it: ['a b'])"));
                    }
                    if !name.is_empty() {
                        steps.push(Step::Field(name.to_owned()));
                    }
                    rest = tail;
                }
            } else if rest.starts_with('[') {
                let close = closing_bracket(rest).ok_or_else(|| bad("unclosed ["))?;
                steps.push(bracket(&rest[1..close]).map_err(|why| bad(&why))?);
                rest = &rest[close + 1..];
            } else if first {
                // Relaxed: `metadata.name` as `.metadata.name`.
                let (name, tail) = split_name(rest);
                if name.contains(char::is_whitespace) {
                    return Err(bad("a field name has no spaces (quote it: ['a b'])"));
                }
                steps.push(Step::Field(name.to_owned()));
                rest = tail;
            } else {
                return Err(bad(&format!("unexpected {:?}", rest.chars().next().unwrap_or(' '))));
            }
            first = false;
        }
        Ok(Path { steps })
    }

    /// Every value the path reaches from `root`, in document order.
    pub fn select<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        let mut values = vec![root];
        for step in &self.steps {
            let mut next = Vec::new();
            for value in values {
                step.apply(value, &mut next);
            }
            values = next;
        }
        values
    }
}

fn split_name(text: &str) -> (&str, &str) {
    let end = text.find(['.', '[']).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn closing_bracket(text: &str) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            (None, _) => {}
        }
    }
    None
}

fn bracket(inner: &str) -> Result<Step, String> {
    let inner = inner.trim();
    if inner == "*" {
        return Ok(Step::All);
    }
    if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        return Ok(Step::Filter(parse_filter(filter.trim())?));
    }
    if inner.starts_with('\'') || inner.starts_with('"') {
        return Ok(Step::Field(string_literal(inner)?));
    }
    if let Some((start, end)) = inner.split_once(':') {
        let bound = |s: &str| -> Result<Option<i64>, String> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse().map(Some).map_err(|_| format!("{s:?} is not an index"))
            }
        };
        return Ok(Step::Slice(bound(start)?, bound(end.split(':').next().unwrap_or(""))?));
    }
    inner.parse().map(Step::Index).map_err(|_| format!("{inner:?} is not an index, a slice, * or a filter"))
}

fn parse_filter(text: &str) -> Result<Filter, String> {
    for (op, equal) in [("==", true), ("!=", false)] {
        if let Some((left, right)) = text.split_once(op) {
            let right = right.trim();
            let literal = if right.starts_with('"') || right.starts_with('\'') {
                Value::String(string_literal(right)?)
            } else {
                serde_json::from_str(right).map_err(|_| format!("{right:?} is not a string, number or boolean"))?
            };
            return Ok(Filter { path: Path::parse(left.trim())?, compare: Some((equal, literal)) });
        }
    }
    Ok(Filter { path: Path::parse(text)?, compare: None })
}

impl Step {
    fn apply<'a>(&self, value: &'a Value, out: &mut Vec<&'a Value>) {
        match self {
            Step::Field(name) => out.extend(value.get(name.as_str())),
            Step::All => match value {
                Value::Array(items) => out.extend(items),
                Value::Object(fields) => out.extend(fields.values()),
                _ => {}
            },
            Step::Descend(name) => descend(value, name, out),
            Step::Index(i) => {
                if let Value::Array(items) = value {
                    let at = if *i < 0 { items.len() as i64 + i } else { *i };
                    out.extend(usize::try_from(at).ok().and_then(|at| items.get(at)));
                }
            }
            Step::Slice(start, end) => {
                if let Value::Array(items) = value {
                    let len = items.len() as i64;
                    let clamp = |i: i64| (if i < 0 { len + i } else { i }).clamp(0, len) as usize;
                    let (from, to) = (clamp(start.unwrap_or(0)), clamp(end.unwrap_or(len)));
                    if from < to {
                        out.extend(&items[from..to]);
                    }
                }
            }
            Step::Filter(filter) => {
                if let Value::Array(items) = value {
                    out.extend(items.iter().filter(|item| filter.matches(item)));
                }
            }
        }
    }
}

fn descend<'a>(value: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(fields) => {
            out.extend(fields.get(name));
            for child in fields.values() {
                descend(child, name, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| descend(item, name, out)),
        _ => {}
    }
}

impl Filter {
    fn matches(&self, item: &Value) -> bool {
        let found = self.path.select(item);
        match &self.compare {
            None => found.iter().any(|v| !matches!(v, Value::Null | Value::Bool(false))),
            Some((equal, literal)) => found.iter().any(|v| (*v == literal) == *equal),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn list() -> Value {
        json!({"kind": "List", "items": [
            {"metadata": {"name": "github", "labels": {"team": "infra"}}, "spec": {"transport": "stdio", "args": ["-y", "gh"]}},
            {"metadata": {"name": "search"}, "spec": {"transport": "http", "url": "https://s"}}
        ]})
    }

    fn run(template: &str) -> String {
        Template::parse(template).unwrap().render(&list())
    }

    #[test]
    fn paths_select_as_kubectl_does() {
        assert_eq!(run("{.items[*].metadata.name}"), "github search");
        assert_eq!(run("{.items[0].spec.args}"), r#"["-y","gh"]"#);
        assert_eq!(run("{.items[-1].metadata.name}"), "search");
        assert_eq!(run("{.items[0:1].metadata.name}"), "github");
        assert_eq!(run("{..url}"), "https://s");
        assert_eq!(run("{.items[0].metadata.labels['team']}"), "infra");
        assert_eq!(run("{.items[*].metadata.missing}"), "");
        assert_eq!(run(".kind"), "List");
        assert_eq!(run("{.items[?(@.spec.transport==\"http\")].metadata.name}"), "search");
        assert_eq!(run("{.items[?(@.metadata.labels)].metadata.name}"), "github");
    }

    #[test]
    fn ranges_and_literals_lay_out_text() {
        assert_eq!(
            run(r#"{range .items[*]}{.metadata.name}{"\t"}{.spec.transport}{"\n"}{end}"#),
            "github\tstdio\nsearch\thttp\n"
        );
        assert_eq!(run("names: {.items[*].metadata.name}!"), "names: github search!");
        assert_eq!(run(r#"{'a}b'}"#), "a}b");
    }

    #[test]
    fn malformed_templates_are_refused_with_a_reason() {
        for bad in ["{.items[0}", "{range .items[*]}x", "{end}", "{.items[x]}", "{.a b}", "{..}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
