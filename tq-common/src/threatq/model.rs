//! Typed ThreatQ objects, read leniently: unknown fields are ignored, ids may come as
//! numbers or strings, `score` as a number or as `{generated_score, manual_score}`,
//! embedded `type`/`status` objects or only `type_id`/`status_id` (threatq-api.md §3).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A list the answer may leave out: `None` when absent or null (so a caller can tell "not
/// embedded" from "none"), else the rows that fit (as [`de_list`]).
fn de_opt_list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => Some(
            items
                .into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect(),
        ),
        _ => None,
    })
}

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
    /// Objects to link the indicator to, by collection (`"events": [{"id": 12}]`,
    /// threatqsdk `_to_dict`'s relation lists): the upsert and its links in one call.
    #[serde(flatten)]
    pub related: std::collections::BTreeMap<String, Vec<IdRef>>,
}

/// `{"id": n}`, how bodies name an object to link.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct IdRef {
    /// The object's id.
    pub id: i64,
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
            related: std::collections::BTreeMap::new(),
        }
    }

    /// Links the indicator to object `id` of `collection` in the same call.
    pub fn relate(mut self, collection: &Collection, id: i64) -> IndicatorUpsert {
        self.related
            .entry(collection.path().to_string())
            .or_default()
            .push(IdRef { id });
        self
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

impl ObjRef {
    /// An object of any collection.
    pub fn new(collection: Collection, id: i64) -> ObjRef {
        ObjRef { collection, id }
    }

    /// An adversary.
    pub fn adversary(id: i64) -> ObjRef {
        ObjRef::new(Collection::Adversaries, id)
    }

    /// A task.
    pub fn task(id: i64) -> ObjRef {
        ObjRef::new(Collection::Tasks, id)
    }

    /// An attachment (file).
    pub fn attachment(id: i64) -> ObjRef {
        ObjRef::new(Collection::Attachments, id)
    }
}

impl SourceWrite {
    /// A source by name.
    pub fn new(name: impl Into<String>) -> SourceWrite {
        SourceWrite { name: name.into() }
    }
}

/// An event to create (`POST /api/events`, threatq-api.md §10). The type is sent by name;
/// [`crate::threatq::ThreatQ::create_event`] checks it exists first.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EventCreate {
    /// Title.
    pub title: String,
    /// Event type by name ("Incident", "Campaign").
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened, `YYYY-MM-DD HH:MM:SS` UTC.
    pub happened_at: String,
    /// Description (HTML allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceWrite>,
    /// Attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeWrite>,
}

impl EventCreate {
    /// An event of type `kind` (by name) titled `title`, attributed to `source`.
    pub fn new(
        title: impl Into<String>,
        kind: impl Into<String>,
        happened_at: impl Into<String>,
        source: &str,
    ) -> EventCreate {
        EventCreate {
            title: title.into(),
            kind: kind.into(),
            happened_at: happened_at.into(),
            description: None,
            sources: vec![SourceWrite::new(source)],
            attributes: Vec::new(),
        }
    }
}

/// The fields of an event to change (`PUT /api/events/{id}`); `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EventUpdate {
    /// New title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New type, by name.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// New happened_at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub happened_at: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An event as read (with whatever relations were embedded).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Event {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// Title.
    #[serde(default, deserialize_with = "de_text")]
    pub title: String,
    /// `type_id`, when sent.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub type_id: Option<i64>,
    /// The type name, when embedded.
    #[serde(default, rename = "type", deserialize_with = "de_name_of")]
    pub type_name: Option<String>,
    /// `happened_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub happened_at: String,
    /// Description (HTML), empty when none.
    #[serde(default, deserialize_with = "de_text")]
    pub description: String,
    /// `created_at`.
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
    /// Embedded tags (`with=tags`); `None` when the answer did not embed them.
    #[serde(
        default,
        deserialize_with = "de_opt_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub tags: Option<Vec<Named>>,
    /// Embedded comments (`with=comments`); `None` when not embedded.
    #[serde(
        default,
        deserialize_with = "de_opt_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub comments: Option<Vec<Comment>>,
    /// Embedded related indicators (`with=indicators`, `indicators.type`, ...); `None` when
    /// not embedded (read them with [`crate::threatq::ThreatQ::linked`]).
    #[serde(
        default,
        deserialize_with = "de_opt_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub indicators: Option<Vec<Linked<Indicator>>>,
    /// Embedded related adversaries (`with=adversaries`); `None` when not embedded.
    #[serde(
        default,
        deserialize_with = "de_opt_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub adversaries: Option<Vec<Linked<Adversary>>>,
    /// Embedded related events (`with=events`, `events.attributes`, ...); `None` when not
    /// embedded.
    #[serde(
        default,
        deserialize_with = "de_opt_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub events: Option<Vec<Linked<Event>>>,
}

/// An adversary as read.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Adversary {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
    /// `created_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub created_at: String,
    /// `touched_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub touched_at: String,
    /// Embedded sources.
    #[serde(default, deserialize_with = "de_list")]
    pub sources: Vec<SourceName>,
}

/// A comment on an object (§14).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Comment {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// The text.
    #[serde(default, deserialize_with = "de_text")]
    pub value: String,
    /// `created_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub created_at: String,
    /// `updated_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub updated_at: String,
    /// Who wrote it (`sources[0].name` is the author).
    #[serde(default, deserialize_with = "de_list")]
    pub sources: Vec<SourceName>,
}

/// Task priorities (§13).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum TaskPriority {
    /// Low
    Low,
    /// Medium
    Medium,
    /// High
    High,
}

/// Task statuses (§13). Their ids are fixed by ThreatQ (To Do 1, In Progress 2, Review 3,
/// Done 4, confirmed by several clients) and there is no lookup endpoint, so they are the
/// one lookup not resolved by name against the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// To Do (1)
    ToDo,
    /// In Progress (2)
    InProgress,
    /// Review (3)
    Review,
    /// Done (4)
    Done,
}

impl TaskStatus {
    /// All, in id order.
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::ToDo,
        TaskStatus::InProgress,
        TaskStatus::Review,
        TaskStatus::Done,
    ];

    /// The status named `name` (case ignored): "To Do", "In Progress", "Review", "Done".
    pub fn from_name(name: &str) -> Option<TaskStatus> {
        TaskStatus::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The name as ThreatQ shows it.
    pub fn name(self) -> &'static str {
        match self {
            TaskStatus::ToDo => "To Do",
            TaskStatus::InProgress => "In Progress",
            TaskStatus::Review => "Review",
            TaskStatus::Done => "Done",
        }
    }

    /// The `status_id`.
    pub fn id(self) -> i64 {
        match self {
            TaskStatus::ToDo => 1,
            TaskStatus::InProgress => 2,
            TaskStatus::Review => 3,
            TaskStatus::Done => 4,
        }
    }

    /// The status of a `status_id`.
    pub fn from_id(id: i64) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.id() == id)
    }
}

fn ser_task_status<S: serde::Serializer>(s: &TaskStatus, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_i64(s.id())
}

fn ser_opt_task_status<S: serde::Serializer>(
    s: &Option<TaskStatus>,
    ser: S,
) -> Result<S::Ok, S::Error> {
    match s {
        Some(s) => ser.serialize_i64(s.id()),
        None => ser.serialize_none(),
    }
}

/// A task to create (`POST /api/tasks`, §13).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskCreate {
    /// Name.
    pub name: String,
    /// Priority.
    pub priority: TaskPriority,
    /// Status, sent as `status_id`.
    #[serde(rename = "status_id", serialize_with = "ser_task_status")]
    pub status: TaskStatus,
    /// Description (HTML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The assignee: a user's `source.id` ([`crate::threatq::ThreatQ::users`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_source_id: Option<i64>,
    /// When it is due, `YYYY-MM-DD HH:MM:SS` UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// Sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceWrite>,
    /// Attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeWrite>,
}

impl TaskCreate {
    /// A To Do task of Medium priority, attributed to `source`.
    pub fn new(name: impl Into<String>, source: &str) -> TaskCreate {
        TaskCreate {
            name: name.into(),
            priority: TaskPriority::Medium,
            status: TaskStatus::ToDo,
            description: None,
            assignee_source_id: None,
            due_at: None,
            sources: vec![SourceWrite::new(source)],
            attributes: Vec::new(),
        }
    }
}

/// The fields of a task to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TaskUpdate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<TaskPriority>,
    /// New status, sent as `status_id`.
    #[serde(
        rename = "status_id",
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_task_status"
    )]
    pub status: Option<TaskStatus>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New assignee (a user's `source.id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_source_id: Option<i64>,
    /// New due date, `YYYY-MM-DD HH:MM:SS` UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
}

/// A task as read.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Task {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
    /// Priority as sent ("Medium").
    #[serde(default, deserialize_with = "de_text")]
    pub priority: String,
    /// `status_id` (see [`TaskStatus::from_id`]).
    #[serde(default, deserialize_with = "de_opt_id")]
    pub status_id: Option<i64>,
    /// Description.
    #[serde(default, deserialize_with = "de_text")]
    pub description: String,
    /// The assignee's source id.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub assignee_source_id: Option<i64>,
    /// When it is due (empty when not set).
    #[serde(default, deserialize_with = "de_text")]
    pub due_at: String,
    /// `updated_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub updated_at: String,
    /// Embedded attributes (`with=attributes`).
    #[serde(default, deserialize_with = "de_list")]
    pub attributes: Vec<Attribute>,
}

/// An attachment (file) as read (§12).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Attachment {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// File name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
    /// Title.
    #[serde(default, deserialize_with = "de_text")]
    pub title: String,
    /// The file type's id.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub type_id: Option<i64>,
    /// MD5 of the content.
    #[serde(default, deserialize_with = "de_text")]
    pub hash: String,
    /// Size in bytes.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub file_size: Option<i64>,
}

/// A file to upload ([`crate::threatq::ThreatQ::upload_attachment`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentUpload {
    /// File name (`sample.zip`).
    pub file_name: String,
    /// Title (defaults to the file name on the server).
    pub title: Option<String>,
    /// File type by name ("Malware Sample", "Spearphish Attachment", "Generic Text").
    pub file_type: String,
    /// Lock the file as malware (no download without confirmation).
    pub malware_locked: bool,
    /// Source.
    pub source: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// An indicator a file parse found (§12 import session).
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
pub struct ParsedIndicator {
    /// Its id once imported, when the server says.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<i64>,
    /// Value.
    #[serde(default, deserialize_with = "de_text")]
    pub value: String,
    /// Type name.
    #[serde(default, rename = "type", deserialize_with = "de_name_of")]
    pub type_name: Option<String>,
}

/// A user (`GET /api/users?with=source`, §13).
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// Id (what watchlist entries carry as `user_id`).
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<i64>,
    /// E-mail (login).
    #[serde(default, deserialize_with = "de_text")]
    pub email: String,
    /// Display name.
    #[serde(default, deserialize_with = "de_text")]
    pub display_name: String,
    /// The user's own source id (a task's `assignee_source_id`).
    #[serde(default, rename = "source", deserialize_with = "de_id_of")]
    pub source_id: Option<i64>,
}

/// `{"id": n, ...}` → n.
fn de_id_of<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(o) => o.get("id").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        }),
        _ => None,
    })
}

/// A saved search (data collection) as listed by `GET /api/search/query` [I] (§5).
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq, Eq)]
pub struct SavedSearchInfo {
    /// Id, when listed.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<i64>,
    /// Its name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
    /// Its hash (what `GET /api/{objs}/query/hash/<hash>` takes).
    #[serde(default, deserialize_with = "de_text")]
    pub hash: String,
}

/// A watchlist entry of an object (§16).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct WatchEntry {
    /// The entry id (to unwatch).
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// The user watching, when the server says.
    #[serde(default, deserialize_with = "de_opt_id")]
    pub user_id: Option<i64>,
    /// Since when.
    #[serde(default, deserialize_with = "de_text")]
    pub created_at: String,
}

/// An object as a watchlist or alert mail needs it: what it is, its status, score, counts
/// of its comments, attributes and sources, and who watches it (§16, §17).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
pub struct Watched {
    /// Id.
    #[serde(deserialize_with = "de_id")]
    pub id: i64,
    /// Indicators: the value.
    #[serde(default, deserialize_with = "de_text")]
    pub value: String,
    /// Adversaries: the name.
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
    /// Events: the title.
    #[serde(default, deserialize_with = "de_text")]
    pub title: String,
    /// The type name, when the object has one.
    #[serde(default, rename = "type", deserialize_with = "de_name_of")]
    pub type_name: Option<String>,
    /// The status name (indicators).
    #[serde(default, rename = "status", deserialize_with = "de_name_of")]
    pub status_name: Option<String>,
    /// Effective score (indicators).
    #[serde(default, deserialize_with = "de_score")]
    pub score: Option<f64>,
    /// `updated_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub updated_at: String,
    /// `touched_at`.
    #[serde(default, deserialize_with = "de_text")]
    pub touched_at: String,
    /// Comments.
    #[serde(default, deserialize_with = "de_list")]
    pub comments: Vec<Comment>,
    /// Attributes.
    #[serde(default, deserialize_with = "de_list")]
    pub attributes: Vec<Attribute>,
    /// Sources.
    #[serde(default, deserialize_with = "de_list")]
    pub sources: Vec<SourceName>,
    /// Watchlist entries.
    #[serde(default, deserialize_with = "de_list")]
    pub watchlist: Vec<WatchEntry>,
}

impl Watched {
    /// What the object is called: its value, name or title.
    pub fn label(&self) -> &str {
        [&self.value, &self.name, &self.title]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// An object linked to another, with the id of the link (`pivot.id`, what unlinking takes).
/// Read from a related-objects list (`GET /api/{objs}/{id}/{related}`) or from the lists a
/// `with=indicators,...` embeds; the pivot is `None` when the answer leaves it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked<T> {
    /// The link's id (`pivot.id`).
    pub pivot_id: Option<i64>,
    /// The linked object.
    pub object: T,
}

/// The `pivot.id` of a related-object row, given as a number or a numeric string.
pub fn pivot_id_of(row: &Value) -> Option<i64> {
    row.pointer("/pivot/id").and_then(|p| {
        p.as_i64()
            .or_else(|| p.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Linked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let row = Value::deserialize(d)?;
        let pivot_id = pivot_id_of(&row);
        let object = serde_json::from_value(row).map_err(serde::de::Error::custom)?;
        Ok(Linked { pivot_id, object })
    }
}

impl<T: Serialize> Serialize for Linked<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.object).map_err(serde::ser::Error::custom)?;
        if let (Value::Object(m), Some(p)) = (&mut v, self.pivot_id) {
            m.insert("pivot".into(), serde_json::json!({ "id": p }));
        }
        v.serialize(s)
    }
}

impl Collection {
    /// The collection of a path segment (`indicators`, `events`, `campaign`, ...).
    pub fn from_path(path: &str) -> Collection {
        match path {
            "indicators" => Collection::Indicators,
            "events" => Collection::Events,
            "adversaries" => Collection::Adversaries,
            "attachments" => Collection::Attachments,
            "tasks" => Collection::Tasks,
            "signatures" => Collection::Signatures,
            other => Collection::Custom(other.to_string()),
        }
    }

    /// The UI page segment of an object's details link (`/indicators/<id>/details`;
    /// attachments are `files`, threatq-api.md §1).
    pub fn ui_path(&self) -> &str {
        match self {
            Collection::Attachments => "files",
            other => other.path(),
        }
    }
}
