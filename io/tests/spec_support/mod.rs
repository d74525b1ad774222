//! Kalshi's own API documents (`fixtures/spec/`) and a small validator for the JSON Schema
//! subset they use, shared by the request-schema tests (io) and the response-schema tests
//! (sim). The validator refuses any keyword it does not understand, so it cannot pass by
//! ignoring a rule. It is stricter than JSON Schema in one way: a property the schema does
//! not list is an error (unless the schema allows `additionalProperties`), because a field
//! one side sends and the other does not know is a fidelity bug either way.

#![allow(dead_code)]

use std::sync::OnceLock;

use serde_json::Value;

/// Keywords that carry no validation rule.
const ANNOTATIONS: &[&str] = &[
    "description",
    "example",
    "examples",
    "default",
    "deprecated",
    "format",
    "title",
    "readOnly",
    "writeOnly",
    "discriminator",
];

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/spec")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The OpenAPI document (REST), parsed once.
pub fn openapi() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| load("kalshi-openapi.yaml"))
}

/// The AsyncAPI document (WebSocket), parsed once.
pub fn asyncapi() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| load("kalshi-asyncapi.yaml"))
}

/// Validates JSON values against schemas of one document (`$ref`s resolve inside it).
pub struct Validator<'a> {
    pub document: &'a Value,
}

impl Validator<'_> {
    /// Follows `$ref` chains to the schema they name.
    pub fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("external $ref {reference}"));
                let target = self
                    .document
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {reference}"));
                self.resolve(target)
            }
            None => schema,
        }
    }

    fn errors_of(&self, schema: &Value, value: &Value, path: &str) -> Vec<String> {
        let mut errors = Vec::new();
        self.validate(schema, value, path, &mut errors);
        errors
    }

    /// Appends every violation found to `errors`, each with its JSON path.
    pub fn validate(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        // `nullable` beside a `$ref` (which the spec uses) applies to the reference.
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        let schema = self.resolve(schema);
        let Some(rules) = schema.as_object() else {
            panic!("schema at {path} is not an object")
        };
        if value.is_null() && rules.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        for (keyword, rule) in rules {
            match keyword.as_str() {
                "$ref" | "nullable" | "properties" | "additionalProperties" => {}
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {}
                "type" => {
                    // One type name, or a list of them (JSON Schema, used by the AsyncAPI).
                    let names: Vec<&str> = match rule {
                        Value::Array(names) => names.iter().map(|n| n.as_str().unwrap()).collect(),
                        other => vec![other.as_str().unwrap()],
                    };
                    let ok = names.iter().any(|name| match *name {
                        "object" => value.is_object(),
                        "array" => value.is_array(),
                        "string" => value.is_string(),
                        "boolean" => value.is_boolean(),
                        "integer" => value.is_i64() || value.is_u64(),
                        "number" => value.is_number(),
                        "null" => value.is_null(),
                        other => panic!("unsupported type {other}"),
                    });
                    if !ok {
                        errors.push(format!("{path}: expected {rule}, got {value}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(value) {
                        errors.push(format!("{path}: {value} not in {rule}"));
                    }
                }
                "const" => {
                    if rule != value {
                        errors.push(format!("{path}: {value} is not {rule}"));
                    }
                }
                "required" => {
                    if value.is_object() {
                        for name in rule.as_array().unwrap() {
                            let name = name.as_str().unwrap();
                            if value.get(name).is_none() {
                                errors.push(format!("{path}: missing required {name}"));
                            }
                        }
                    }
                }
                "allOf" => {
                    for part in rule.as_array().unwrap() {
                        self.validate(part, value, path, errors);
                    }
                }
                "oneOf" | "anyOf" => {
                    let outcomes: Vec<Vec<String>> = rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|part| self.errors_of(part, value, path))
                        .collect();
                    let passing = outcomes.iter().filter(|e| e.is_empty()).count();
                    let ok = if keyword == "oneOf" {
                        passing == 1
                    } else {
                        passing >= 1
                    };
                    if !ok {
                        errors.push(format!(
                            "{path}: {passing} alternatives of {keyword} match; each failed with {outcomes:?}"
                        ));
                    }
                }
                "items" => {
                    if let Some(items) = value.as_array() {
                        for (index, item) in items.iter().enumerate() {
                            self.validate(rule, item, &format!("{path}[{index}]"), errors);
                        }
                    }
                }
                "minItems" | "maxItems" => {
                    if let Some(items) = value.as_array() {
                        let bound = usize::try_from(rule.as_u64().unwrap()).unwrap();
                        let ok = if keyword == "minItems" {
                            items.len() >= bound
                        } else {
                            items.len() <= bound
                        };
                        if !ok {
                            errors.push(format!(
                                "{path}: {} items violates {keyword} {bound}",
                                items.len()
                            ));
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(text) = value.as_str() {
                        let bound = usize::try_from(rule.as_u64().unwrap()).unwrap();
                        let length = text.chars().count();
                        let ok = if keyword == "minLength" {
                            length >= bound
                        } else {
                            length <= bound
                        };
                        if !ok {
                            errors.push(format!(
                                "{path}: length {length} violates {keyword} {bound}"
                            ));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let (Some(number), Some(bound)) = (value.as_f64(), rule.as_f64()) {
                        let ok = if keyword == "minimum" {
                            number >= bound
                        } else {
                            number <= bound
                        };
                        if !ok {
                            errors.push(format!("{path}: {number} violates {keyword} {bound}"));
                        }
                    }
                }
                other => panic!("validator does not support keyword {other:?} (at {path})"),
            }
        }
        if let Some(object) = value.as_object() {
            let properties = rules.get("properties").and_then(Value::as_object);
            let additional = rules.get("additionalProperties");
            // Without `properties` or `additionalProperties` the schema says nothing about
            // the members (a bare `type: object`, or one composed with allOf/oneOf).
            if properties.is_none() && additional.is_none() {
                return;
            }
            for (name, field) in object {
                let field_path = format!("{path}.{name}");
                match (properties.and_then(|p| p.get(name)), additional) {
                    (Some(field_schema), _) => {
                        self.validate(field_schema, field, &field_path, errors)
                    }
                    (None, Some(Value::Bool(true))) => {}
                    (None, Some(extra)) if extra.is_object() => {
                        self.validate(extra, field, &field_path, errors)
                    }
                    (None, _) => {
                        errors.push(format!("{path}: property {name} is not in the schema"))
                    }
                }
            }
        }
    }
}

/// Every violation of the schema at `schema_pointer` in `document` by `body`.
pub fn violations(document: &Value, schema_pointer: &str, body: &Value) -> Vec<String> {
    let schema = document
        .pointer(schema_pointer)
        .unwrap_or_else(|| panic!("no schema at {schema_pointer}"));
    schema_violations(document, schema, body)
}

/// Every violation of `schema` (whose `$ref`s resolve in `document`) by `body`.
pub fn schema_violations(document: &Value, schema: &Value, body: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    Validator { document }.validate(schema, body, "$", &mut errors);
    errors
}
