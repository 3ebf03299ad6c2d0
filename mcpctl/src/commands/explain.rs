//! `explain KIND[.field.path] [--recursive]`: a kind's fields, their types and descriptions,
//! read from the JSON Schemas mcpd publishes in `/openapi.json`, as kubectl explain reads the
//! server's OpenAPI document.

use serde_json::{Map, Value};

use crate::cli::ExplainArgs;
use crate::commands::{kind, Ctx};
use crate::error::{Error, Result};

pub fn run(ctx: &Ctx, args: &ExplainArgs) -> Result<()> {
    ctx.no_output_flag("explain")?;
    let (word, path) = match args.target.split_once('.') {
        Some((k, p)) => (k, p.split('.').filter(|s| !s.is_empty()).collect::<Vec<_>>()),
        None => (args.target.as_str(), Vec::new()),
    };
    let info = kind(word)?;
    let document = ctx.client()?.openapi()?;
    let schemas = document["components"]["schemas"]
        .as_object()
        .ok_or_else(|| Error::Invalid("the server's /openapi.json has no schemas".to_owned()))?;
    let mut schema = schemas
        .get(info.kind.as_str())
        .cloned()
        .ok_or_else(|| Error::Invalid(format!("the server publishes no schema for {}", info.kind)))?;
    let mut walked = Vec::new();
    for field in &path {
        let fields = properties(schemas, &schema);
        schema = fields.get(*field).cloned().ok_or_else(|| {
            let known: Vec<&str> = fields.keys().map(String::as_str).collect();
            Error::Usage {
                message: format!("field {:?} does not exist in {}", field, describe_path(info.kind.as_str(), &walked)),
                hint: Some(format!("its fields are {}", known.join(", "))),
            }
        })?;
        walked.push(*field);
    }
    let schema = &schema;
    let mut text = format!("KIND:     {}\nVERSION:  {}\n\n", info.kind, shared::API_VERSION);
    if !path.is_empty() {
        text.push_str(&format!("FIELD:    {} <{}>\n\n", path.last().unwrap_or(&""), type_name(schemas, schema)));
    }
    text.push_str("DESCRIPTION:\n");
    let about = match (description(schemas, schema), path.is_empty()) {
        (Some(d), _) => d,
        (None, true) => format!("A {} object, as manifests and the API carry it.", info.kind),
        (None, false) => "<empty>".to_owned(),
    };
    text.push_str(&indent(&about, 5));
    let fields = properties(schemas, schema);
    if !fields.is_empty() {
        text.push_str("\nFIELDS:\n");
        if args.recursive {
            recursive(schemas, schema, 1, &mut text, &mut Vec::new());
        } else {
            let required = required(schemas, schema);
            for (name, field) in &fields {
                let marker = if required.contains(name) { " -required-" } else { "" };
                text.push_str(&format!("   {name}\t<{}>{marker}\n", type_name(schemas, field)));
                text.push_str(&indent(&description(schemas, field).unwrap_or_else(|| "<empty>".to_owned()), 5));
                text.push('\n');
            }
        }
    }
    ctx.printer.out(text.trim_end());
    Ok(())
}

fn describe_path(kind: &str, walked: &[&str]) -> String {
    if walked.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{}", walked.join("."))
    }
}

/// The object a schema stands for: through `$ref`, `allOf`, non-null `anyOf`, and array items.
fn resolve<'a>(schemas: &'a Map<String, Value>, schema: &'a Value) -> Value {
    if let Some(name) = reference(schema) {
        return schemas.get(name).map_or(Value::Null, |s| resolve(schemas, s));
    }
    if let Some(items) = schema.get("items") {
        return resolve(schemas, items);
    }
    if let Some(variants) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) {
        if let Some(real) = variants.iter().find(|v| v["type"] != "null") {
            return resolve(schemas, real);
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        let mut required = Vec::new();
        for part in parts {
            let part = resolve(schemas, part);
            for (k, v) in part["properties"].as_object().into_iter().flatten() {
                merged.entry(k.clone()).or_insert_with(|| v.clone());
            }
            required.extend(part["required"].as_array().cloned().unwrap_or_default());
        }
        let mut out = schema.clone();
        out["properties"] = Value::Object(merged);
        out["required"] = Value::Array(required);
        return out;
    }
    schema.clone()
}

fn reference(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.rsplit('/').next()
}

fn properties(schemas: &Map<String, Value>, schema: &Value) -> Map<String, Value> {
    resolve(schemas, schema)["properties"].as_object().cloned().unwrap_or_default()
}

fn required(schemas: &Map<String, Value>, schema: &Value) -> Vec<String> {
    let resolved = resolve(schemas, schema);
    resolved["required"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn description(schemas: &Map<String, Value>, schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| resolve(schemas, schema).get("description").and_then(Value::as_str).map(str::to_owned))
}

/// kubectl's type names: `string`, `integer`, `boolean`, `[]string`, `map[string]string`, or
/// the name of an object type.
fn type_name(schemas: &Map<String, Value>, schema: &Value) -> String {
    if let Some(name) = reference(schema) {
        let target = &schemas[name];
        return if target.get("enum").is_some() || target["type"] == "string" {
            "string".to_owned()
        } else {
            name.to_owned()
        };
    }
    if let Some(variants) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) {
        if let Some(real) = variants.iter().find(|v| v["type"] != "null") {
            return type_name(schemas, real);
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        if let Some(first) = parts.first() {
            return type_name(schemas, first);
        }
    }
    if schema.get("const").is_some() || schema.get("enum").is_some() {
        return "string".to_owned();
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("").to_owned(),
        _ => String::new(),
    };
    match kind.as_str() {
        "array" => format!("[]{}", schema.get("items").map_or("Object".to_owned(), |i| type_name(schemas, i))),
        "object" => match schema.get("additionalProperties") {
            Some(value) if value.is_object() => format!("map[string]{}", type_name(schemas, value)),
            _ => "Object".to_owned(),
        },
        "" => "Object".to_owned(),
        other => other.to_owned(),
    }
}

fn recursive(schemas: &Map<String, Value>, schema: &Value, depth: usize, text: &mut String, seen: &mut Vec<String>) {
    for (name, field) in &properties(schemas, schema) {
        text.push_str(&format!("{}{name}\t<{}>\n", "   ".repeat(depth), type_name(schemas, field)));
        let nested = type_name(schemas, field);
        // Each object type once per branch, so a self-referring schema cannot recurse forever.
        if !properties(schemas, field).is_empty() && !seen.contains(&nested) {
            seen.push(nested);
            recursive(schemas, field, depth + 1, text, seen);
            seen.pop();
        }
    }
}

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|l| format!("{}{l}\n", " ".repeat(by))).collect()
}
