//! Typed ThreatQ objects, read leniently: unknown fields are ignored, ids may come as
//! numbers or strings, `score` as a number or as `{generated_score, manual_score}`,
//! embedded `type`/`status` objects or only `type_id`/`status_id` (threatq-api.md §3).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Reads an id given as a number or a numeric string.
pub fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom("id is not an integer")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("id \"{s}\" is not an integer"))),
        other => Err(serde::de::Error::custom(format!(
            "id {other} is not an integer"
        ))),
    }
}

fn de_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_i64()),
        Value::String(s) => Ok(s.trim().parse().ok()),
        _ => Ok(None),
    }
}

/// Any JSON scalar as text (values of attributes are strings, but numbers are seen).
fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// A lookup row: status, indicator type, event type, attachment type, source.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Named {
    /// Instance-specific id: never hard-code it.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// The name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
}

/// An attribute row on an object.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute row id (used to modify or delete it).
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// Attribute name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
    /// Attribute value.
    #[serde(default, deserialize_with = "de_text")]
    pub value: String,
    /// Sources that reported it (may be absent).
    #[serde(default, deserialize_with = "de_list")]
    pub sources: Vec<SourceName>,
}

/// A source as embedded in objects and attributes.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct SourceName {
    /// Source name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
}

fn de_list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// An indicator, with whatever relations the response embedded.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Indicator {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// The value (an IP, a hash, a URL...).
    #[serde(default, deserialize_with = "de_text")]
    pub value: String,
    /// `type_id`, when sent.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub type_id: Option<i64>,
    /// `status_id`, when sent.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub status_id: Option<i64>,
    /// The type name, when embedded (`with=type`, data collections).
    #[serde(default, rename = "type", deserialize_with = "de_name_of")]
    pub type_name: Option<String>,
    /// The status name, when embedded.
    #[serde(default, rename = "status", deserialize_with = "de_name_of")]
    pub status_name: Option<String>,
    /// `created_at`, `YYYY-MM-DD HH:MM:SS` UTC.
    #[serde(default, deserialize_with = "de_text")]
    pub created_at: String,
    /// `updated_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub updated_at: String,
    /// `touched_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub touched_at: String,
    /// Embedded attributes.
    #[serde(default, deserialize_with = "de_list")]
    pub attributes: Vec<Attribute>,
    /// Embedded sources.
    #[serde(default, deserialize_with = "de_list")]
    pub sources: Vec<SourceName>,
    /// Effective score (manual if set, else generated), when sent.
    #[serde(default, deserialize_with = "de_score")]
    pub score: Option<f64>,
}

/// `type`/`status` may be an object `{id, name}`, a bare name, or absent: the name.
fn de_name_of<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
        Value::String(s) => Some(s),
        _ => None,
    })
}

fn de_score<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(score_of(&Value::deserialize(d)?))
}

/// The effective score of a `score` field in either documented form.
pub fn score_of(v: &Value) -> Option<f64> {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match v {
        Value::Object(o) => o
            .get("manual_score")
            .and_then(num)
            .or_else(|| o.get("generated_score").and_then(num)),
        other => num(other),
    }
}

/// Any object read only for its id.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct IdOnly {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
}

/// The logged-in user (`GET /api/users/current`).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct User {
    /// Id.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<i64>,
    /// E-mail (login).
    #[serde(default, deserialize_with = "de_text")]
    pub email: String,
    /// Display name.
    #[serde(default, deserialize_with = "de_text")]
    pub display_name: String,
}

/// An indicator as returned by bulk consume: its id and value.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Consumed {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// Value.
    #[serde(default, deserialize_with = "de_text")]
    pub value: String,
}

/// `{"name": ...}`, how consume payloads name types, statuses and sources.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NameRef {
    /// The name.
    pub name: String,
}

impl NameRef {
    /// A name reference.
    pub fn new(name: impl Into<String>) -> NameRef {
        NameRef { name: name.into() }
    }
}

/// An attribute to write (consume payloads and attribute adds).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct AttributeWrite {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Source attribution.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceWrite>,
}

/// A source to attribute a write to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct SourceWrite {
    /// Source name.
    pub name: String,
}

impl AttributeWrite {
    /// An attribute attributed to `source`.
    pub fn new(name: impl Into<String>, value: impl Into<String>, source: &str) -> AttributeWrite {
        AttributeWrite {
            name: name.into(),
            value: value.into(),
            sources: vec![SourceWrite {
                name: source.to_string(),
            }],
        }
    }
}

/// One item of a bulk consume (`POST /api/indicators/consume`, threatqsdk `_to_dict`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IndicatorUpsert {
    /// Value.
    pub value: String,
    /// Type by name.
    #[serde(rename = "type")]
    pub kind: NameRef,
    /// Status by name (None keeps the current status of an existing indicator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<NameRef>,
    /// Sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceWrite>,
    /// Attributes to add.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeWrite>,
}

impl IndicatorUpsert {
    /// An upsert of `value` of type `kind`.
    pub fn new(value: impl Into<String>, kind: impl Into<String>) -> IndicatorUpsert {
        IndicatorUpsert {
            value: value.into(),
            kind: NameRef::new(kind),
            status: None,
            sources: Vec::new(),
            attributes: Vec::new(),
        }
    }
}

/// An object collection as named in API paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Collection {
    /// `indicators`
    Indicators,
    /// `events`
    Events,
    /// `adversaries`
    Adversaries,
    /// `attachments` (files)
    Attachments,
    /// `tasks`
    Tasks,
    /// `signatures`
    Signatures,
    /// A custom object collection (`campaign`, `malware`, `report`, ...).
    Custom(String),
}

impl Collection {
    /// The path segment.
    pub fn path(&self) -> &str {
        match self {
            Collection::Indicators => "indicators",
            Collection::Events => "events",
            Collection::Adversaries => "adversaries",
            Collection::Attachments => "attachments",
            Collection::Tasks => "tasks",
            Collection::Signatures => "signatures",
            Collection::Custom(s) => s,
        }
    }
}

/// A reference to one object: collection and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjRef {
    /// Collection.
    pub collection: Collection,
    /// Id.
    pub id: i64,
}

impl ObjRef {
    /// An indicator.
    pub fn indicator(id: i64) -> ObjRef {
        ObjRef {
            collection: Collection::Indicators,
            id,
        }
    }

    /// An event.
    pub fn event(id: i64) -> ObjRef {
        ObjRef {
            collection: Collection::Events,
            id,
        }
    }
}
