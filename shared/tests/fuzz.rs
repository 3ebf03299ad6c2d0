//! Property tests over hostile input: the manifest envelope and every kind's spec, tokens and
//! label selectors never panic on arbitrary input, and canonical specs are stable.

use proptest::prelude::*;
use serde_json::Value;
use shared::selector::Selector;
use shared::{KindInfo, Object, KINDS};

/// Arbitrary JSON, nested a few levels, with strings that include control characters.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        prop_oneof![Just("stdio"), Just("http"), Just("sse"), Just("view"), Just("edit"), Just("*")]
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(field_name(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names: mostly the ones specs use, sometimes anything.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "apiVersion", "kind", "metadata", "spec", "status", "name", "project", "labels", "annotations",
            "resourceVersion", "data", "transport", "command", "args", "url", "headers", "env", "value",
            "valueFrom", "secretKeyRef", "key", "servers", "description", "members", "subjects",
            "roleBindings", "role", "resource", "action", "bindings", "rbac", "ttl", "expiresAt",
            "displayName", "password",
        ])
        .prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn envelopes_never_panic(value in json()) {
        let _ = Object::from_value(value);
    }

    #[test]
    fn specs_never_panic_and_canonical_forms_are_stable(value in json()) {
        for kind in KINDS.iter().filter(|k| k.writable) {
            if let Ok(canonical) = (kind.normalize)(&value) {
                prop_assert_eq!((kind.normalize)(&canonical), Ok(canonical.clone()), "{}", kind.kind);
                let _ = (kind.references)(&canonical);
            }
        }
    }

    #[test]
    fn names_and_kinds_never_panic(text in "\\PC{0,80}|.{0,80}") {
        let _ = shared::name::check_name(&text);
        let _ = shared::name::check_email(&text);
        let _ = KindInfo::find(&text);
        let _ = shared::spec::parse_ttl(&text);
        let _ = shared::rbac::check_subject(&text);
        let _ = shared::rbac::Binding::parse_cli(&text);
    }

    #[test]
    fn token_checks_never_panic_and_accept_only_well_formed_tokens(text in "(mcpctl_pat_)?[A-Za-z0-9é_ -]{0,48}") {
        if shared::token::is_well_formed(&text) {
            prop_assert_eq!(shared::token::from_body(&text[11..41]), text);
        }
    }

    #[test]
    fn generated_tokens_are_always_well_formed(body in "[A-Za-z0-9]{30}") {
        let token = shared::token::from_body(&body);
        prop_assert!(shared::token::is_well_formed(&token));
    }

    #[test]
    fn selectors_never_panic(text in ".{0,60}") {
        if let Ok(selector) = Selector::parse(&text) {
            let _ = selector.matches(&Default::default());
        }
    }
}
