//! The messages SOAR puts on a message destination and the replies it expects
//! (research/resilient.md §2.4, §3; samples/resilient-action-*.json,
//! resilient-function-message.json, resilient-ack-replies.json).
//!
//! - [`Payload::parse`] reads a body by its `Co3MessagePayload` header: [`ActionData`] (a rule,
//!   ActionDataDTO) or [`FunctionData`] (a workflow function, FunctionDataDTO).
//! - Rules carry select values as ids. [`ActionData::select`] and friends resolve them to
//!   labels through the message's own `type_info` (which lists the values that occur in
//!   *this* message); a value given as a name already (`handle_format=names`) is taken as is.
//! - Function inputs come as their own shapes (select `{"id","name"}`, textarea
//!   `{"format","content"}`); [`FunctionData`] unwraps them as resilient-circuits does.
//! - [`Reply`] is the ActionAcknowledgementDTO: interim (`complete: false`), final
//!   (`message_type` 0, `complete: true`, with `results` for functions) and error
//!   (`message_type` 1). Bodies are JSON indented by two spaces, as resilient-circuits sends
//!   its final replies, byte for byte the shape of the samples.
//!
//! Parsing is lenient about fields it does not use (SOAR versions add fields) and strict
//! about the ones it does: a wrong type is an error naming the field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a message body cannot be used. The message names the field involved; the caller adds
/// the message id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MessageError {
    /// The body is not JSON of the expected shape.
    #[error("the {payload} body is not valid: {detail}")]
    Invalid {
        /// `ActionDataDTO` or `FunctionDataDTO`.
        payload: &'static str,
        /// serde's description (field, line and column).
        detail: String,
    },
    /// A `Co3MessagePayload` this connector does not handle.
    #[error("unsupported message payload {0:?} (ActionDataDTO and FunctionDataDTO are handled)")]
    Unsupported(String),
    /// A select value whose id the message's type information does not list.
    #[error("{type_name}.{field}: value {value} is not in the message's type information")]
    UnknownValue {
        /// `actioninvocation`, `incident`, `artifact`, ...
        type_name: String,
        /// The field's API name.
        field: String,
        /// The value as sent.
        value: String,
    },
    /// A field has a type its use does not allow (e.g. an object where a select id is due).
    #[error("{field}: {detail}")]
    WrongType {
        /// The field's name.
        field: String,
        /// What was expected and what came.
        detail: String,
    },
}

/// A parsed message body.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A rule (menu item or automatic action).
    Action(Box<ActionData>),
    /// A workflow function.
    Function(Box<FunctionData>),
}

impl Payload {
    /// Parses `body` according to the `Co3MessagePayload` header. Without the header, a body
    /// with a `function` key is a function, anything else a rule (as resilient-circuits
    /// routes them).
    pub fn parse(payload_header: Option<&str>, body: &[u8]) -> Result<Payload, MessageError> {
        let kind = match payload_header {
            Some("ActionDataDTO") => "ActionDataDTO",
            Some("FunctionDataDTO") => "FunctionDataDTO",
            Some(other) => return Err(MessageError::Unsupported(other.to_string())),
            None => {
                let v: Value = serde_json::from_slice(body).map_err(|e| MessageError::Invalid {
                    payload: "message",
                    detail: e.to_string(),
                })?;
                if v.get("function").is_some() {
                    "FunctionDataDTO"
                } else {
                    "ActionDataDTO"
                }
            }
        };
        let invalid = |e: serde_json::Error| MessageError::Invalid {
            payload: kind,
            detail: e.to_string(),
        };
        Ok(match kind {
            "FunctionDataDTO" => {
                Payload::Function(Box::new(serde_json::from_slice(body).map_err(invalid)?))
            }
            _ => Payload::Action(Box::new(serde_json::from_slice(body).map_err(invalid)?)),
        })
    }
}

/// What a rule acts on (`/rest/const` `action_object_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// 0
    Incident,
    /// 1
    Task,
    /// 2
    Note,
    /// 3
    Milestone,
    /// 4
    Artifact,
    /// 5
    Attachment,
    /// 13
    EmailMessage,
    /// Any other number.
    Other(u32),
}

impl ObjectType {
    /// From the DTO's number.
    pub fn from_id(id: u32) -> ObjectType {
        match id {
            0 => ObjectType::Incident,
            1 => ObjectType::Task,
            2 => ObjectType::Note,
            3 => ObjectType::Milestone,
            4 => ObjectType::Artifact,
            5 => ObjectType::Attachment,
            13 => ObjectType::EmailMessage,
            n => ObjectType::Other(n),
        }
    }
}

impl<'de> Deserialize<'de> for ObjectType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ObjectType, D::Error> {
        u32::deserialize(d).map(ObjectType::from_id)
    }
}

/// A text field: a string (HTML when the field is rich text), or an object
/// `{"format": "text"|"html", "content": ...}` (with `text_content_output_format=objects`,
/// and always for textarea function inputs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// A plain string.
    Plain(String),
    /// The object form.
    Object {
        /// `text` or `html` (absent = text).
        #[serde(default)]
        format: Option<String>,
        /// The text.
        content: String,
    },
}

impl Text {
    /// The text itself.
    pub fn content(&self) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Object { content, .. } => content,
        }
    }

    /// Whether the text is HTML: the object says `format: html`; a plain string is taken as
    /// HTML when it holds a tag or an entity (SOAR sends rich text as HTML strings).
    pub fn is_html(&self) -> bool {
        match self {
            Text::Object { format, .. } => format.as_deref() == Some("html"),
            Text::Plain(s) => {
                let b = s.as_bytes();
                b.windows(2)
                    .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
                    || s.contains('&')
            }
        }
    }
}

/// The parent incident of a rule message (FullIncidentDataDTO; the fields the rules read,
/// everything else in [`Incident::other`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Incident {
    /// The incident id.
    pub id: u64,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The description (HTML when rich text).
    #[serde(default)]
    pub description: Option<Text>,
    /// When it was discovered (epoch ms).
    #[serde(default)]
    pub discovered_date: Option<i64>,
    /// When it was created (epoch ms).
    #[serde(default)]
    pub create_date: Option<i64>,
    /// Severity: an id (`type_info.incident.severity_code`) or its name.
    #[serde(default)]
    pub severity_code: Option<Value>,
    /// Phase: an id or its name.
    #[serde(default)]
    pub phase_id: Option<Value>,
    /// Incident types: ids or names.
    #[serde(default)]
    pub incident_type_ids: Vec<Value>,
    /// `A` active, `C` closed.
    #[serde(default)]
    pub plan_status: Option<String>,
    /// Owner: an id or a name.
    #[serde(default)]
    pub owner_id: Option<Value>,
    /// The org id.
    #[serde(default)]
    pub org_id: Option<u64>,
    /// The version (for PATCH).
    #[serde(default)]
    pub vers: Option<u64>,
    /// Custom fields by API name (e.g. `threatq_event_id`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub properties: Map<String, Value>,
    /// Every other field as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Incident {
    /// A field by API name: a custom field (`properties`) first, then a built-in one.
    /// Built-in fields with a typed member above are read through it instead.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.properties
            .get(name)
            .or_else(|| self.other.get(name))
            .filter(|v| !v.is_null())
    }
}

/// An artifact (IncidentArtifactDTO).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Artifact {
    /// The artifact id.
    pub id: u64,
    /// The artifact type: an id (`type_info.artifact.type`) or its name.
    #[serde(rename = "type")]
    pub type_id: Value,
    /// The value (an IP address, a domain, a hash ...).
    pub value: String,
    /// The description.
    #[serde(default)]
    pub description: Option<Text>,
    /// The incident it belongs to.
    #[serde(default)]
    pub inc_id: Option<u64>,
    /// When it was created (epoch ms).
    #[serde(default)]
    pub created: Option<i64>,
    /// Every other field as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A note (CommentDTO).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Note {
    /// The note id.
    pub id: u64,
    /// The parent note when it is a reply.
    #[serde(default)]
    pub parent_id: Option<u64>,
    /// The text (HTML).
    pub text: Text,
    /// The incident.
    #[serde(default)]
    pub inc_id: Option<u64>,
    /// The task, for a note on a task.
    #[serde(default)]
    pub task_id: Option<u64>,
    /// `incident` or `task`.
    #[serde(default, rename = "type")]
    pub note_type: Option<String>,
    /// Author's first name.
    #[serde(default)]
    pub user_fname: Option<String>,
    /// Author's last name.
    #[serde(default)]
    pub user_lname: Option<String>,
    /// When it was written (epoch ms).
    #[serde(default)]
    pub create_date: Option<i64>,
    /// Every other field as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A task (TaskDTO).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Task {
    /// The task id.
    pub id: u64,
    /// The name.
    pub name: String,
    /// The incident.
    #[serde(default)]
    pub inc_id: Option<u64>,
    /// `O` open, `C` closed.
    #[serde(default)]
    pub status: Option<String>,
    /// Due date (epoch ms).
    #[serde(default)]
    pub due_date: Option<i64>,
    /// Owner: an id or a name.
    #[serde(default)]
    pub owner_id: Option<Value>,
    /// Owner's first name.
    #[serde(default)]
    pub owner_fname: Option<String>,
    /// Owner's last name.
    #[serde(default)]
    pub owner_lname: Option<String>,
    /// Instructions (HTML).
    #[serde(default)]
    pub instr_text: Option<Text>,
    /// When it was closed (epoch ms).
    #[serde(default)]
    pub closed_date: Option<i64>,
    /// Every other field as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Task {
    /// Whether the task is closed (`status` `C`).
    pub fn is_closed(&self) -> bool {
        self.status.as_deref() == Some("C")
    }
}

/// An attachment (AttachmentDTO).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Attachment {
    /// The attachment id.
    pub id: u64,
    /// The file name.
    pub name: String,
    /// The MIME type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// The incident.
    #[serde(default)]
    pub inc_id: Option<u64>,
    /// The task, for an attachment on a task.
    #[serde(default)]
    pub task_id: Option<u64>,
    /// `incident` or `task`.
    #[serde(default, rename = "type")]
    pub attachment_type: Option<String>,
    /// Every other field as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Who triggered the action (JustUserDTO).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct User {
    /// The user id.
    #[serde(default)]
    pub id: Option<u64>,
    /// First name.
    #[serde(default)]
    pub fname: Option<String>,
    /// Last name.
    #[serde(default)]
    pub lname: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
}

/// One value of a select field in `type_info`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TypeValue {
    /// The label shown in SOAR (what the rules act on).
    pub label: String,
    /// Whether it is enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// One field of `type_info`: its values by id (as a string key).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct TypeField {
    /// Values by id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: std::collections::BTreeMap<String, TypeValue>,
}

/// One type of `type_info` (`incident`, `artifact`, `actioninvocation`, ...).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct TypeFields {
    /// Fields by API name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub fields: std::collections::BTreeMap<String, TypeField>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A rule message (ActionDataDTO).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActionData {
    /// The rule's id (null when a v28 workflow triggered it): its name comes from
    /// `GET /rest/orgs/{org}/actions`.
    #[serde(default)]
    pub action_id: Option<u64>,
    /// What the rule acts on.
    pub object_type: ObjectType,
    /// `created`, `modified` or `deleted` (automatic rules).
    #[serde(default)]
    pub operation_type: Option<String>,
    /// The parent incident (always present).
    pub incident: Incident,
    /// The task (task rules; also notes and attachments on a task).
    #[serde(default)]
    pub task: Option<Task>,
    /// The artifact (artifact rules).
    #[serde(default)]
    pub artifact: Option<Artifact>,
    /// The note (note rules).
    #[serde(default)]
    pub note: Option<Note>,
    /// The attachment (attachment rules).
    #[serde(default)]
    pub attachment: Option<Attachment>,
    /// Activity fields of a menu-item rule by API name; empty for automatic rules.
    #[serde(default, deserialize_with = "null_as_default")]
    pub properties: Map<String, Value>,
    /// Labels of the select values that occur in this message, by type and field.
    #[serde(default, deserialize_with = "null_as_default")]
    pub type_info: std::collections::BTreeMap<String, TypeFields>,
    /// Who triggered it.
    #[serde(default)]
    pub user: Option<User>,
}

/// The type name of activity fields in `type_info`.
pub const ACTIVITY_FIELDS: &str = "actioninvocation";

impl ActionData {
    /// Whether the rule came with activity fields (a menu item); automatic rules have none.
    pub fn has_activity_fields(&self) -> bool {
        !self.properties.is_empty()
    }

    /// An activity field's raw value (`None` when absent or null).
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties.get(name).filter(|v| !v.is_null())
    }

    /// The label of `value` of the select field `type_name.field` from `type_info`: an id
    /// (number or numeric string) is looked up; any other string is a label already.
    pub fn label(
        &self,
        type_name: &str,
        field: &str,
        value: &Value,
    ) -> Result<String, MessageError> {
        let key = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.clone(),
            Value::String(s) => return Ok(s.clone()),
            other => {
                return Err(MessageError::WrongType {
                    field: format!("{type_name}.{field}"),
                    detail: format!("expected a select value (an id or a name), got {other}"),
                })
            }
        };
        self.type_info
            .get(type_name)
            .and_then(|t| t.fields.get(field))
            .and_then(|f| f.values.get(&key))
            .map(|v| v.label.clone())
            .ok_or_else(|| MessageError::UnknownValue {
                type_name: type_name.to_string(),
                field: field.to_string(),
                value: key,
            })
    }

    /// A select activity field's label (`None` when absent).
    pub fn select(&self, name: &str) -> Result<Option<String>, MessageError> {
        self.property(name)
            .map(|v| self.label(ACTIVITY_FIELDS, name, v))
            .transpose()
    }

    /// A multiselect activity field's labels (empty when absent).
    pub fn multiselect(&self, name: &str) -> Result<Vec<String>, MessageError> {
        match self.property(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|v| self.label(ACTIVITY_FIELDS, name, v))
                .collect(),
            Some(v) => Ok(vec![self.label(ACTIVITY_FIELDS, name, v)?]),
        }
    }

    /// A Yes/No activity field: a select labelled Yes/No (any case), or a boolean field.
    /// `None` when absent; another label is an error naming it.
    pub fn yes_no(&self, name: &str) -> Result<Option<bool>, MessageError> {
        match self.property(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => yes_no(name, &self.label(ACTIVITY_FIELDS, name, v)?).map(Some),
        }
    }

    /// A date or date-time activity field (epoch milliseconds; `None` when absent).
    pub fn date_ms(&self, name: &str) -> Result<Option<i64>, MessageError> {
        match self.property(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, format!("expected epoch milliseconds, got {n}"))),
            Some(other) => Err(wrong_type(
                name,
                format!("expected epoch milliseconds, got {other}"),
            )),
        }
    }

    /// A text activity field (`None` when absent; a textarea object gives its content).
    pub fn text(&self, name: &str) -> Option<String> {
        self.property(name).and_then(text_of)
    }

    /// An incident select field (`severity_code`, `phase_id`, `owner_id`, or a custom one) as
    /// a label (`None` when the incident has no value).
    pub fn incident_label(&self, field: &str) -> Result<Option<String>, MessageError> {
        let v = match field {
            "severity_code" => self.incident.severity_code.as_ref(),
            "phase_id" => self.incident.phase_id.as_ref(),
            "owner_id" => self.incident.owner_id.as_ref(),
            other => self.incident.field(other),
        };
        v.filter(|v| !v.is_null())
            .map(|v| self.label("incident", field, v))
            .transpose()
    }

    /// The incident types as labels.
    pub fn incident_types(&self) -> Result<Vec<String>, MessageError> {
        self.incident
            .incident_type_ids
            .iter()
            .map(|v| self.label("incident", "incident_type_ids", v))
            .collect()
    }

    /// The artifact's type as a label (e.g. `IP Address`); `None` without an artifact.
    pub fn artifact_type(&self) -> Result<Option<String>, MessageError> {
        self.artifact
            .as_ref()
            .map(|a| self.label("artifact", "type", &a.type_id))
            .transpose()
    }
}

/// A Yes/No (or true/false) label of `field` as a boolean.
fn yes_no(field: &str, label: &str) -> Result<bool, MessageError> {
    match label.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(wrong_type(
            field,
            format!("expected Yes or No, got {label:?}"),
        )),
    }
}

fn wrong_type(field: &str, detail: String) -> MessageError {
    MessageError::WrongType {
        field: field.to_string(),
        detail,
    }
}

/// A text value: a string, a textarea object's content, a number's digits.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content").and_then(Value::as_str).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The function a FunctionDataDTO calls.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FunctionRef {
    /// The function's API name, e.g. `threatq_add_indicator`: what the handler is chosen by.
    pub name: String,
    /// Its id.
    #[serde(default)]
    pub id: Option<u64>,
    /// Its display name, e.g. `ThreatQ: Add Indicator`.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// The workflow instance that called the function.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkflowInstance {
    /// Its id.
    #[serde(default)]
    pub workflow_instance_id: Option<u64>,
}

/// A function message (FunctionDataDTO).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FunctionData {
    /// The function called.
    pub function: FunctionRef,
    /// The inputs by API name, in their wire shapes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub inputs: Map<String, Value>,
    /// The workflow instance.
    #[serde(default)]
    pub workflow_instance: Option<WorkflowInstance>,
    /// Who runs it (`{"id","type","name","display_name"}`).
    #[serde(default)]
    pub principal: Option<Value>,
    /// The workflow (with its object type).
    #[serde(default)]
    pub workflow: Option<Value>,
}

impl FunctionData {
    /// An input's raw value (`None` when absent or null).
    pub fn input(&self, name: &str) -> Option<&Value> {
        self.inputs.get(name).filter(|v| !v.is_null())
    }

    /// A text or textarea input (a textarea object gives its content); numbers as digits.
    pub fn text(&self, name: &str) -> Option<String> {
        self.input(name).and_then(text_of).filter(|s| !s.is_empty())
    }

    /// A select input's name (`{"id": 53, "name": "select two"}` gives `select two`; a plain
    /// string is the name).
    pub fn select(&self, name: &str) -> Result<Option<String>, MessageError> {
        match self.input(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Object(o)) => match o.get("name").and_then(Value::as_str) {
                Some(n) => Ok(Some(n.to_string())),
                None => Err(wrong_type(name, "a select input without a name".into())),
            },
            Some(other) => Err(wrong_type(
                name,
                format!("expected a select value, got {other}"),
            )),
        }
    }

    /// A multiselect input's names (empty when absent).
    pub fn multiselect(&self, name: &str) -> Result<Vec<String>, MessageError> {
        match self.input(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Object(o) => o
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| {
                            wrong_type(name, "a multiselect value without a name".into())
                        }),
                    other => Err(wrong_type(
                        name,
                        format!("expected select values, got {other}"),
                    )),
                })
                .collect(),
            Some(_) => self.select(name).map(|s| s.into_iter().collect()),
        }
    }

    /// A boolean input: a boolean, or a select/string Yes/No/true/false.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, MessageError> {
        match self.input(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => yes_no(name, &self.select(name)?.unwrap_or_default()).map(Some),
        }
    }

    /// A number input (a number, or a string of digits).
    pub fn number(&self, name: &str) -> Result<Option<u64>, MessageError> {
        match self.input(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, format!("expected a whole number, got {n}"))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| wrong_type(name, format!("expected a whole number, got {s:?}"))),
            Some(other) => Err(wrong_type(
                name,
                format!("expected a whole number, got {other}"),
            )),
        }
    }
}

/// The reply SOAR reads from the `reply-to` queue (ActionAcknowledgementDTO, research §2.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    /// 0 = info/success, 1 = error.
    pub message_type: u8,
    /// Shown in SOAR's action status (rules) or the workflow (functions).
    pub message: String,
    /// `true` only on the final reply.
    pub complete: bool,
    /// Functions only: the function's results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Results>,
}

/// The `results` of a function's final reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Results {
    /// A plain dict, as `@function` apps yield it (`FunctionResult(dict)`).
    Plain(Value),
    /// The version 2 payload of `@app_function` apps.
    V2(Box<ResultPayload>),
    /// `{"success": false, "reason": ...}` (`trap_exception`).
    Failed(FailedResult),
}

/// What resilient-circuits replies when a rule handler returned nothing.
pub const NO_HANDLER_RESULT: &str = "No handler returned a result for this action";

impl Reply {
    /// An interim status (`complete: false`); any number may precede the final reply.
    pub fn interim(message: impl Into<String>) -> Reply {
        Reply {
            message_type: 0,
            message: message.into(),
            complete: false,
            results: None,
        }
    }

    /// The final reply of a rule that succeeded.
    pub fn done(message: impl Into<String>) -> Reply {
        Reply {
            message_type: 0,
            message: message.into(),
            complete: true,
            results: None,
        }
    }

    /// The final reply of a function: `message` "Completed" and the results.
    pub fn function_result(results: Results) -> Reply {
        Reply {
            message_type: 0,
            message: "Completed".into(),
            complete: true,
            results: Some(results),
        }
    }

    /// The final reply of a failed action: `message_type` 1, `ERROR:\n\n<text>` as
    /// resilient-circuits writes it.
    pub fn error(text: &str) -> Reply {
        Reply {
            message_type: 1,
            message: format!("ERROR:\n\n{text}"),
            complete: true,
            results: None,
        }
    }

    /// The headers of the SEND that carries a reply to the message with `correlation_id`
    /// (copied from its `correlation-id`): that id, and `persistent:true`.
    pub fn headers(correlation_id: &str) -> [(&'static str, &str); 2] {
        [("correlation-id", correlation_id), ("persistent", "true")]
    }

    /// The body: JSON indented by two spaces (as resilient-circuits' final replies).
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of strings, booleans and a JSON value always serializes.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

/// A function's results in the ResultPayload version 2 form of `@app_function` apps
/// (resilient-lib `function_result.py`), field order as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultPayload {
    /// Always 2.0.
    pub version: f64,
    /// Whether the function succeeded.
    pub success: bool,
    /// Why not, when it did not.
    pub reason: Option<String>,
    /// The results.
    pub content: Value,
    /// Raw results (unused: null).
    pub raw: Option<Value>,
    /// The inputs the function got.
    pub inputs: Value,
    /// Run metrics.
    pub metrics: ResultMetrics,
}

/// The `metrics` of a [`ResultPayload`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultMetrics {
    /// Always "1.0".
    pub version: String,
    /// The package name.
    pub package: String,
    /// The package version.
    pub package_version: String,
    /// The host name.
    pub host: String,
    /// How long the function ran.
    pub execution_time_ms: u64,
    /// When it finished, `YYYY-mm-dd HH:MM:SS`.
    pub timestamp: String,
}

/// The results of a function that failed under `trap_exception`: `{"success": false,
/// "reason": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedResult {
    /// Always false.
    pub success: bool,
    /// Why.
    pub reason: String,
}

impl FailedResult {
    /// A failure with this reason.
    pub fn new(reason: impl Into<String>) -> FailedResult {
        FailedResult {
            success: false,
            reason: reason.into(),
        }
    }
}
