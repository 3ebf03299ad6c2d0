//! `GET /openapi.json`: an OpenAPI 3.1 document generated from the route table, the kinds and
//! the wire types themselves, so it cannot drift from what mcpd serves.

use axum::http::Method;
use axum::Json;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};
use shared::api::{
    ApplyRequest, ApplyResponse, CanIRequest, CanIResponse, IntrospectRequest, IntrospectResponse, LoginRequest,
    LoginResponse, PasswordChange, Version, WhoAmI,
};
use shared::spec::McpTokenStatus;
use shared::{Kind, KindInfo, ObjectMeta, Scope, Status, KINDS};

use super::{routes, Access};

pub async fn serve() -> Json<Value> {
    Json(document())
}

/// The whole document.
pub fn document() -> Value {
    let mut schemas = Schemas::new();
    let mut paths = Map::new();
    for route in routes() {
        for (path, kind) in expand(route.path) {
            let item = paths.entry(path.clone()).or_insert_with(|| json!({}));
            for method in route.methods {
                let mut op = operation(&mut schemas, route.path, method, kind);
                op["operationId"] = json!(operation_id(method, &path));
                if route.access == Access::Public {
                    op["security"] = json!([]);
                }
                for param in path_parameters(&path) {
                    op["parameters"].as_array_mut().expect("parameters are a list").push(param);
                }
                item[method.as_str().to_lowercase()] = op;
            }
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "mcpd", "version": env!("CARGO_PKG_VERSION"),
                 "description": "The mcpctl control plane: MCP projects, servers, secrets, users, groups, RBAC and tokens."},
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "schemas": schemas.finish(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "A session JWT from /api/v1/auth/login, or an McpToken (mcpctl_pat_...)"}},
        },
    })
}

/// Routes over `{plural}` become one path per kind they serve, with that kind's schemas.
fn expand(path: &str) -> Vec<(String, Option<&'static KindInfo>)> {
    if !path.contains("{plural}") {
        return vec![(path.to_owned(), None)];
    }
    let in_project = path.contains("{project}");
    KINDS
        .iter()
        .filter(|k| k.writable && (!in_project || k.scope == Scope::Project))
        .map(|k| (path.replace("{plural}", k.plural), Some(k)))
        .collect()
}

/// `delete /api/v1/users/{name}` → `delete-users-name`.
fn operation_id(method: &Method, path: &str) -> String {
    let words = path.trim_start_matches("/api/v1").split(['/', '{', '}', '.']).filter(|w| !w.is_empty());
    std::iter::once(method.as_str().to_lowercase()).chain(words.map(str::to_owned)).collect::<Vec<_>>().join("-")
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
        .collect()
}

/// What names of a kind look like: an email for users, a DNS-1123 label otherwise.
fn name_schema(kind: &KindInfo) -> Value {
    if kind.kind == Kind::User {
        json!({"type": "string", "format": "email", "maxLength": 254})
    } else {
        json!({"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63})
    }
}

fn query(name: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema})
}

/// One operation: its parameters, body and answers. Every failure is a Status.
fn operation(schemas: &mut Schemas, path: &str, method: &Method, kind: Option<&KindInfo>) -> Value {
    let status = schemas.of::<Status>();
    let ok = |code: &str, schema: Value| json!({code: {"description": "success", "content": {"application/json": {"schema": schema}}}});
    let body = |schema: Value| json!({"required": true, "content": {"application/json": {"schema": schema}}});
    let no_content = json!({"204": {"description": "done"}});
    let mut op = json!({"parameters": [], "responses": {}});
    let (responses, request, parameters): (Value, Option<Value>, Vec<Value>) = match (path, method.as_str()) {
        ("/healthz", _) => {
            (ok("200", json!({"type": "object", "properties": {"status": {"type": "string"}}})), None, vec![])
        }
        ("/readyz", _) => {
            (ok("200", json!({"type": "object", "properties": {"status": {"type": "string"}}})), None, vec![])
        }
        ("/version", _) => (ok("200", schemas.of::<Version>()), None, vec![]),
        ("/openapi.json", _) => (ok("200", json!({"type": "object"})), None, vec![]),
        ("/metrics", _) => (
            json!({"200": {"description": "Prometheus figures", "content": {"application/openmetrics-text": {"schema": {"type": "string"}}}}}),
            None,
            vec![],
        ),
        ("/api/v1/auth/login", _) => {
            (ok("200", schemas.of::<LoginResponse>()), Some(body(schemas.of::<LoginRequest>())), vec![])
        }
        ("/api/v1/auth/logout", _) => (no_content, None, vec![]),
        ("/api/v1/auth/whoami", _) => (ok("200", schemas.of::<WhoAmI>()), None, vec![]),
        ("/api/v1/auth/password", _) => (no_content, Some(body(schemas.of::<PasswordChange>())), vec![]),
        ("/api/v1/auth/can-i", _) => {
            (ok("200", schemas.of::<CanIResponse>()), Some(body(schemas.of::<CanIRequest>())), vec![])
        }
        ("/api/v1/mcptokens/introspect", _) => {
            (ok("200", schemas.of::<IntrospectResponse>()), Some(body(schemas.of::<IntrospectRequest>())), vec![])
        }
        ("/api/v1/apply", _) => (
            ok("200", schemas.of::<ApplyResponse>()),
            Some(body(schemas.of::<ApplyRequest>())),
            vec![query("dryRun", json!({"type": "boolean"})), query("atomic", json!({"type": "boolean"}))],
        ),
        ("/api/v1/events", _) => (
            ok("200", schemas.list_of(Kind::AuditEvent.info())),
            None,
            vec![
                query("principal", json!({"type": "string"})),
                query("kind", json!({"type": "string"})),
                query("name", json!({"type": "string"})),
                query("since", json!({"type": "string", "format": "date-time"})),
                query("until", json!({"type": "string", "format": "date-time"})),
                query("newestFirst", json!({"type": "boolean"})),
                query("limit", json!({"type": "integer", "minimum": 1, "maximum": super::resources::MAX_PAGE})),
                query("continue", json!({"type": "string"})),
            ],
        ),
        ("/api/v1/events/{id}", _) => (ok("200", schemas.object_of(Kind::AuditEvent.info())), None, vec![]),
        ("/api/v1/projects/{project}/servers", _) => (ok("200", schemas.list_of(Kind::Server.info())), None, vec![]),
        (_, m) => {
            let kind = kind.expect("object routes name a kind");
            let object = schemas.object_of(kind);
            let one = path.ends_with("{name}");
            match (one, m) {
                (false, "GET") => (
                    ok("200", schemas.list_of(kind)),
                    None,
                    vec![
                        query("labelSelector", json!({"type": "string"})),
                        query("limit", json!({"type": "integer", "minimum": 1, "maximum": super::resources::MAX_PAGE})),
                        query("continue", json!({"type": "string"})),
                        query("showValues", json!({"type": "boolean"})),
                    ],
                ),
                (false, _) => {
                    (ok("201", object.clone()), Some(body(object)), vec![query("dryRun", json!({"type": "boolean"}))])
                }
                (true, "GET") => (ok("200", object), None, vec![query("showValues", json!({"type": "boolean"}))]),
                (true, "PUT") => {
                    (ok("200", object.clone()), Some(body(object)), vec![query("dryRun", json!({"type": "boolean"}))])
                }
                (true, _) => (ok("200", object), None, vec![query("dryRun", json!({"type": "boolean"}))]),
            }
        }
    };
    op["responses"] = responses;
    op["responses"]["default"] =
        json!({"description": "a failure", "content": {"application/json": {"schema": status}}});
    op["parameters"] = Value::Array(parameters);
    if let Some(request) = request {
        op["requestBody"] = request;
    }
    op
}

/// Component schemas: the wire types' own, plus an object and a list schema per kind.
struct Schemas {
    generator: SchemaGenerator,
    extra: Map<String, Value>,
}

impl Schemas {
    fn new() -> Schemas {
        let settings = SchemaSettings::draft2020_12().with(|s| s.definitions_path = "/components/schemas".into());
        Schemas { generator: settings.into_generator(), extra: Map::new() }
    }

    fn of<T: JsonSchema>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }

    fn spec_of(&mut self, kind: &KindInfo) -> Value {
        use shared::spec::*;
        match kind.kind {
            Kind::Secret => self.of::<SecretSpec>(),
            Kind::Server => self.of::<ServerSpec>(),
            Kind::Project => self.of::<ProjectSpec>(),
            Kind::User => self.of::<UserSpec>(),
            Kind::Group => self.of::<GroupSpec>(),
            Kind::RbacDefinition => self.of::<RbacDefinitionSpec>(),
            Kind::McpToken => self.of::<McpTokenSpec>(),
            Kind::AuditEvent => self.of::<AuditEventSpec>(),
        }
    }

    /// `{apiVersion, kind, metadata, spec, status}` for one kind.
    fn object_of(&mut self, kind: &KindInfo) -> Value {
        let name = kind.kind.to_string();
        if !self.extra.contains_key(&name) {
            let meta = self.of::<ObjectMeta>();
            let spec = self.spec_of(kind);
            // Server-set; whatever a manifest carries here is ignored.
            let mut status = json!({"description": "Set by mcpd; ignored on input.", "readOnly": true});
            if kind.kind == Kind::McpToken {
                status["anyOf"] = json!([self.of::<McpTokenStatus>(), {"type": "null"}]);
            }
            let schema = json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["apiVersion", "kind", "metadata"],
                "description": format!("A {}, as manifests and the API carry it ({} in URLs and on the command line).", kind.kind, kind.plural),
                "properties": {
                    "apiVersion": {"const": shared::API_VERSION, "description": "The API version of the manifest format."},
                    "kind": {"const": kind.kind, "description": "The kind of object."},
                    "metadata": {
                        "description": "The object's name and labels, and what mcpd sets: uid, resourceVersion, times.",
                        "allOf": [meta, {"required": ["name"], "properties": {"name": name_schema(kind)}}],
                    },
                    // An absent or null spec is the empty spec.
                    "spec": {"description": "What the object should be.", "anyOf": [spec, {"type": "null"}]},
                    "status": status,
                },
            });
            self.extra.insert(name.clone(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn list_of(&mut self, kind: &KindInfo) -> Value {
        let item = self.object_of(kind);
        json!({
            "type": "object",
            "required": ["apiVersion", "kind", "items"],
            "properties": {
                "apiVersion": {"const": shared::API_VERSION},
                "kind": {"const": "List"},
                "items": {"type": "array", "items": item},
                "metadata": {"type": ["object", "null"], "properties": {"continue": {"type": "string"}}},
            },
        })
    }

    fn finish(mut self) -> Map<String, Value> {
        let mut all = self.generator.take_definitions(true);
        all.append(&mut self.extra);
        all
    }
}
