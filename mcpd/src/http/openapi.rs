//! `GET /openapi.json`: an OpenAPI 3.1 document generated from the route table, the kinds and
//! the wire types themselves, so it cannot drift from what mcpd serves.

use axum::http::Method;
use axum::Json;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};
use shared::api::{
    ApplyRequest, ApplyResponse, CallEvents, CanIRequest, CanIResponse, IntrospectRequest, IntrospectResponse,
    LoginRequest, LoginResponse, MigrateRequest, MigrateResult, PasswordChange, ReferrerList, Resolution, Version,
    WhoAmI,
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
            for (method, doc) in &route.operations {
                let mut op = doc(&mut schemas, kind).into_json(&mut schemas);
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

/// How a route documents one method: from the component schemas and, for routes over
/// `{plural}`, the kind the path was expanded for.
pub type Doc = fn(&mut Schemas, Option<&'static KindInfo>) -> Operation;

/// One operation: its answer on success, its body and its query parameters. Every failure is
/// a Status, which [`Operation::into_json`] adds.
pub struct Operation {
    responses: Value,
    request: Option<Value>,
    parameters: Vec<Value>,
}

impl Operation {
    /// Answers `code` with a JSON body of `schema`.
    fn answers(code: &str, schema: Value) -> Operation {
        let responses = json!({code: {"description": "success", "content": {"application/json": {"schema": schema}}}});
        Operation { responses, request: None, parameters: Vec::new() }
    }

    fn taking(mut self, schema: Value) -> Operation {
        self.request = Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}));
        self
    }

    fn with_query(mut self, parameters: Vec<Value>) -> Operation {
        self.parameters = parameters;
        self
    }

    fn into_json(self, schemas: &mut Schemas) -> Value {
        let status = schemas.of::<Status>();
        let mut op = json!({"parameters": self.parameters, "responses": self.responses});
        op["responses"]["default"] =
            json!({"description": "a failure", "content": {"application/json": {"schema": status}}});
        if let Some(request) = self.request {
            op["requestBody"] = request;
        }
        op
    }
}

fn dry_run() -> Value {
    query("dryRun", json!({"type": "boolean"}))
}

fn page() -> [Value; 2] {
    [
        query("limit", json!({"type": "integer", "minimum": 1, "maximum": super::resources::MAX_PAGE})),
        query("continue", json!({"type": "string"})),
    ]
}

fn the_kind(kind: Option<&'static KindInfo>) -> &'static KindInfo {
    kind.expect("routes over {plural} are expanded per kind")
}

pub fn probe(_: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", json!({"type": "object", "properties": {"status": {"type": "string"}}}))
}

pub fn version(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<Version>())
}

pub fn itself(_: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", json!({"type": "object"}))
}

pub fn metrics(_: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    let text = json!({"application/openmetrics-text": {"schema": {"type": "string"}}});
    Operation {
        responses: json!({"200": {"description": "Prometheus figures", "content": text}}),
        request: None,
        parameters: Vec::new(),
    }
}

pub fn no_content(_: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation { responses: json!({"204": {"description": "done"}}), request: None, parameters: Vec::new() }
}

pub fn login(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<LoginResponse>()).taking(s.of::<LoginRequest>())
}

pub fn whoami(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<WhoAmI>())
}

pub fn password(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    no_content(s, kind).taking(s.of::<PasswordChange>())
}

pub fn can_i(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<CanIResponse>()).taking(s.of::<CanIRequest>())
}

pub fn introspect(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<IntrospectResponse>()).taking(s.of::<IntrospectRequest>())
}

pub fn apply(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<ApplyResponse>())
        .taking(s.of::<ApplyRequest>())
        .with_query(vec![dry_run(), query("atomic", json!({"type": "boolean"}))])
}

pub fn events(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    let mut parameters = vec![
        query("principal", json!({"type": "string"})),
        query("kind", json!({"type": "string"})),
        query("name", json!({"type": "string"})),
        query("project", json!({"type": "string"})),
        query("server", json!({"type": "string"})),
        query("outcome", json!({"type": "string", "enum": ["ok", "error", "timeout", "refused"]})),
        query("since", json!({"type": "string", "format": "date-time"})),
        query("until", json!({"type": "string", "format": "date-time"})),
        query("newestFirst", json!({"type": "boolean"})),
    ];
    parameters.extend(page());
    Operation::answers("200", s.list_of(Kind::AuditEvent.info())).with_query(parameters)
}

pub fn intake(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    no_content(s, kind).taking(s.of::<CallEvents>())
}

pub fn gateway_report(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    no_content(s, kind).taking(s.of::<shared::api::GatewayReport>())
}

pub fn gateway_tools(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<shared::api::ToolReportResult>()).taking(s.of::<shared::api::ToolReport>())
}

pub fn gateway_status(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<shared::api::GatewayStatusList>())
        .with_query(vec![query("server", json!({"type": "string"}))])
}

pub fn event(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.object_of(Kind::AuditEvent.info()))
}

pub fn referrers(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    let plurals: Vec<&str> = KINDS.iter().filter(|k| k.writable).map(|k| k.plural).collect();
    Operation::answers("200", s.of::<ReferrerList>()).with_query(vec![
        json!({"name": "kind", "in": "query", "required": true, "schema": {"enum": plurals}}),
        json!({"name": "name", "in": "query", "required": true, "schema": {"type": "string", "minLength": 1}}),
        query("project", json!({"type": "string"})),
    ])
}

pub fn resolution(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<Resolution>())
}

pub fn migrate(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.of::<MigrateResult>()).taking(s.of::<MigrateRequest>())
}

pub fn project_servers(s: &mut Schemas, _: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.list_of(Kind::Server.info()))
}

pub fn list(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    let mut parameters = vec![query("labelSelector", json!({"type": "string"}))];
    parameters.extend(page());
    parameters.push(query("showValues", json!({"type": "boolean"})));
    Operation::answers("200", s.list_of(the_kind(kind))).with_query(parameters)
}

pub fn create(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    let object = s.object_of(the_kind(kind));
    Operation::answers("201", object.clone()).taking(object).with_query(vec![dry_run()])
}

pub fn get(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.object_of(the_kind(kind)))
        .with_query(vec![query("showValues", json!({"type": "boolean"}))])
}

pub fn replace(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    let object = s.object_of(the_kind(kind));
    Operation::answers("200", object.clone()).taking(object).with_query(vec![dry_run()])
}

pub fn delete(s: &mut Schemas, kind: Option<&'static KindInfo>) -> Operation {
    Operation::answers("200", s.object_of(the_kind(kind))).with_query(vec![dry_run()])
}

/// Component schemas: the wire types' own, plus an object and a list schema per kind.
pub struct Schemas {
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
            Kind::SecretBackend => self.of::<SecretBackendSpec>(),
            Kind::Server => self.of::<ServerSpec>(),
            Kind::Project => self.of::<ProjectSpec>(),
            Kind::Tool => self.of::<ToolSpec>(),
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
