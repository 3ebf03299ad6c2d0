//! Label selectors as `?labelSelector=` and `mcpctl get -l` take them: `k=v`, `k==v`, `k!=v`, `k`, `!k`.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    terms: Vec<Term>,
}

impl Selector {
    /// Parses a comma-separated selector; the error says which term is wrong.
    pub fn parse(input: &str) -> Result<Selector, String> {
        let mut terms = Vec::new();
        for raw in input.split(',') {
            let term = raw.trim();
            if term.is_empty() {
                continue;
            }
            let parsed = if let Some((k, v)) = term.split_once("!=") {
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
        })
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
        assert!(Selector::parse("a in (b,c)").is_err());
    }
}
