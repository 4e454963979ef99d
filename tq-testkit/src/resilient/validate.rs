//! Strict request bodies: each body is checked against the fields its DTO has; an unknown
//! field, a missing required one or a wrong type is a 400 naming the field.

use serde_json::{Map, Value};

use super::inferred::{bad_request, unknown_field};
use crate::server::{Request, Response};

/// The type a field must have.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// Anything (including null).
    Any,
    /// A string.
    Str,
    /// A whole number.
    Int,
    /// true / false.
    Bool,
    /// A string or a `{"format": "text"|"html", "content": "..."}` object.
    Text,
    /// A JSON object.
    Obj,
    /// A JSON array.
    Arr,
    /// The inner type or null.
    Nullable(&'static Ty),
}

impl Ty {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Ty::Any => true,
            Ty::Str => v.is_string(),
            Ty::Int => v.is_i64() || v.is_u64(),
            Ty::Bool => v.is_boolean(),
            Ty::Obj => v.is_object(),
            Ty::Arr => v.is_array(),
            Ty::Text => {
                v.is_string()
                    || v.as_object().is_some_and(|o| {
                        o.get("content").is_some_and(Value::is_string)
                            && o.get("format")
                                .is_none_or(|f| matches!(f.as_str(), Some("text") | Some("html")))
                            && o.keys().all(|k| k == "content" || k == "format")
                    })
            }
            Ty::Nullable(t) => v.is_null() || t.accepts(v),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Ty::Any => "any value",
            Ty::Str => "a string",
            Ty::Int => "a whole number",
            Ty::Bool => "true or false",
            Ty::Text => "a string or {\"format\": \"text\"|\"html\", \"content\": ...}",
            Ty::Obj => "an object",
            Ty::Arr => "an array",
            Ty::Nullable(t) => t.describe(),
        }
    }
}

/// One field of a DTO.
#[derive(Debug, Clone, Copy)]
pub struct F {
    /// The field's name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Whether it must be present.
    pub required: bool,
}

/// A required field.
pub const fn req(name: &'static str, ty: Ty) -> F {
    F {
        name,
        ty,
        required: true,
    }
}

/// An optional field.
pub const fn opt(name: &'static str, ty: Ty) -> F {
    F {
        name,
        ty,
        required: false,
    }
}

/// The JSON body of `req`, or 400 when it is not JSON.
pub fn json_body(req: &Request) -> Result<Value, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad_request("The request body is empty; JSON expected"));
    }
    req.json()
        .map_err(|e| bad_request(&format!("Malformed JSON body: {e}")))
}

/// Checks `body` against `fields` of the DTO `class`; returns the object.
pub fn check<'a>(
    body: &'a Value,
    fields: &[F],
    class: &str,
) -> Result<&'a Map<String, Value>, Response> {
    let Some(o) = body.as_object() else {
        return Err(bad_request(&format!("{class}: a JSON object is expected")));
    };
    for (k, v) in o {
        let Some(f) = fields.iter().find(|f| f.name == k) else {
            return Err(unknown_field(k, class));
        };
        if !f.ty.accepts(v) {
            return Err(bad_request(&format!(
                "{class}.{k}: expected {}, got {v}",
                f.ty.describe()
            )));
        }
    }
    if let Some(f) = fields
        .iter()
        .find(|f| f.required && !o.contains_key(f.name))
    {
        return Err(bad_request(&format!(
            "{class}.{}: the field is required",
            f.name
        )));
    }
    Ok(o)
}

/// The text of a [`Ty::Text`] value.
pub fn text_content(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}
