//! Label selectors as `?labelSelector=` and `mcpctl get -l` take them, as Kubernetes does:
//! `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    terms: Vec<Term>,
}

impl Selector {
    /// Parses a comma-separated selector; the error says which term is wrong.
    pub fn parse(input: &str) -> Result<Selector, String> {
        let mut terms = Vec::new();
        for raw in split_terms(input)? {
            let term = raw.trim();
            if term.is_empty() {
                continue;
            }
            let parsed = if let Some(open) = term.find('(') {
                set_term(term, open)?
            } else if let Some((k, v)) = term.split_once("!=") {
                Term::NotEquals(key(k)?, value(v)?)
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Term::Equals(key(k)?, value(v)?)
            } else if let Some(k) = term.strip_prefix('!') {
                Term::NotExists(key(k)?)
            } else {
                Term::Exists(key(term)?)
            };
            terms.push(parsed);
        }
        Ok(Selector { terms })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.terms.iter().all(|term| match term {
            Term::Equals(k, v) => labels.get(k) == Some(v),
            Term::NotEquals(k, v) => labels.get(k) != Some(v),
            Term::Exists(k) => labels.contains_key(k),
            Term::NotExists(k) => !labels.contains_key(k),
            Term::In(k, values) => labels.get(k).is_some_and(|v| values.contains(v)),
            Term::NotIn(k, values) => labels.get(k).is_none_or(|v| !values.contains(v)),
        })
    }
}

/// The terms of a selector: split at commas outside parentheses.
fn split_terms(input: &str) -> Result<Vec<&str>, String> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1).ok_or_else(|| format!("unbalanced ) in selector {input:?}"))?,
            ',' if depth == 0 => {
                terms.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced ( in selector {input:?}"));
    }
    terms.push(&input[start..]);
    Ok(terms)
}

/// `key in (a,b)` or `key notin (a,b)`, with the `(` at `open`.
fn set_term(term: &str, open: usize) -> Result<Term, String> {
    let bad = || format!("invalid set selector {:?}: use KEY in (A,B) or KEY notin (A,B)", crate::name::shown(term));
    let values = term[open + 1..].strip_suffix(')').ok_or_else(bad)?;
    let mut head = term[..open].split_whitespace();
    let (Some(k), Some(op), None) = (head.next(), head.next(), head.next()) else {
        return Err(bad());
    };
    let values: Vec<String> = values.split(',').map(value).collect::<Result<_, _>>()?;
    if values.iter().any(String::is_empty) {
        return Err(bad());
    }
    match op {
        "in" => Ok(Term::In(key(k)?, values)),
        "notin" => Ok(Term::NotIn(key(k)?, values)),
        _ => Err(bad()),
    }
}

fn key(k: &str) -> Result<String, String> {
    let k = k.trim();
    let valid = !k.is_empty()
        && k.len() <= 317
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if valid {
        Ok(k.to_owned())
    } else {
        Err(format!("invalid label selector key {:?}", crate::name::shown(k)))
    }
}

fn value(v: &str) -> Result<String, String> {
    let v = v.trim();
    let valid = v.len() <= 63 && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(v.to_owned())
    } else {
        Err(format!("invalid label selector value {:?}", crate::name::shown(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn selector_terms_all_must_match() {
        let s = Selector::parse("team=infra, tier!=db,env,!legacy").unwrap();
        assert!(s.matches(&labels(&[("team", "infra"), ("env", "prod")])));
        assert!(!s.matches(&labels(&[("team", "infra"), ("env", "prod"), ("legacy", "")])));
        assert!(!s.matches(&labels(&[("team", "infra"), ("tier", "db"), ("env", "x")])));
        assert!(!s.matches(&labels(&[("team", "web"), ("env", "x")])));
    }

    #[test]
    fn selector_rejects_sql_fragments() {
        assert!(Selector::parse("a='1' OR 1=1").is_err());
        assert!(Selector::parse("a in (b,c) OR 1=1").is_err());
        assert!(Selector::parse("a in ('b')").is_err());
    }

    #[test]
    fn set_based_terms_match_as_in_kubernetes() {
        let s = Selector::parse("tier in (web, api),env notin (dev),team").unwrap();
        assert!(s.matches(&labels(&[("tier", "web"), ("team", "x")])));
        assert!(s.matches(&labels(&[("tier", "api"), ("env", "prod"), ("team", "x")])));
        assert!(!s.matches(&labels(&[("tier", "db"), ("team", "x")])));
        assert!(!s.matches(&labels(&[("team", "x")])), "in needs the key");
        assert!(!s.matches(&labels(&[("tier", "web"), ("env", "dev"), ("team", "x")])));
        assert!(!s.matches(&labels(&[("tier", "web")])));
        for bad in ["a in b", "a in (b", "a in b)", "a foo (b)", "a in ()", "a in (b,)", "in (b)", "a b in (c)"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }
}
