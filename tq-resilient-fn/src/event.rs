//! Incident ↔ event (the decisions): a Resilient incident is a ThreatQ event of type
//! Incident, titled "Resilient Incident <id>: <name>", happened at the incident's discovered
//! date, its description as plain text, with the attributes Severity, Phase, Incident Type
//! and "Resilient Incident ID", the `custom_attributes` mappings, and the source
//! `custom_source`; each value of a `custom_objects` field is an object of that collection
//! related to it.
//!
//! The event is found through the incident field `threatq_event_id` (which Sync Incident
//! sets), falling back to the "Resilient Incident ID" attribute (an incident whose field
//! could not be written, or whose event id is stale). Finding and creating happen under
//! the incident's lock ([`crate::context::IncidentLocks`]), so concurrent actions of one
//! incident create one event.

use serde_json::Value;
use tq_common::threatq::{Collection, Event, EventCreate, EventUpdate, ObjRef};

use crate::attributes::{self, Wanted};
use crate::context::Ctx;
use crate::error::Result;
use crate::mapping::{dates, html};
use crate::message::{ActionData, Incident, Text};

/// The attribute that ties an event to its incident.
pub const INCIDENT_ID_ATTRIBUTE: &str = "Resilient Incident ID";
/// The event type.
pub const EVENT_TYPE: &str = "Incident";
/// The incident field that holds the event id.
pub const EVENT_ID_FIELD: &str = "threatq_event_id";

/// An incident and the message it came in (whose `type_info` labels its select values);
/// without a message (Historical Sync) the labels come from Resilient's field definitions.
#[derive(Clone, Copy)]
pub struct IncidentView<'a> {
    /// The incident.
    pub incident: &'a Incident,
    /// The message it came in, if any.
    pub message: Option<&'a ActionData>,
}

impl<'a> IncidentView<'a> {
    /// The incident of a rule message.
    pub fn of(action: &'a ActionData) -> IncidentView<'a> {
        IncidentView {
            incident: &action.incident,
            message: Some(action),
        }
    }
}

/// What happened to the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was created.
    Created,
    /// It existed and was changed.
    Updated,
    /// It existed and was up to date.
    Unchanged,
}

/// The event an incident should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPlan {
    /// "Resilient Incident <id>: <name>".
    pub title: String,
    /// The discovered date (else the created date), `YYYY-MM-DD HH:MM:SS`.
    pub happened_at: String,
    /// The description as plain text.
    pub description: String,
    /// The attributes.
    pub wanted: Wanted,
}

/// The label of an incident select value: the message's type information, else Resilient's
/// field definitions, else the value as written. A name (`handle_format=names`) is itself.
pub fn label(cx: &Ctx, view: IncidentView, field: &str, v: &Value) -> Result<Option<String>> {
    let id = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.to_string(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.clone(),
        Value::String(s) => return Ok(Some(s.clone())).map(|s| s.filter(|s| !s.is_empty())),
        Value::Bool(b) => return Ok(Some(if *b { "Yes" } else { "No" }.into())),
        Value::Object(o) => {
            return Ok(o
                .get("name")
                .or_else(|| o.get("content"))
                .and_then(Value::as_str)
                .map(plain))
        }
        Value::Array(_) => return Ok(None),
    };
    if let Some(m) = view.message {
        if let Ok(l) = m.label("incident", field, v) {
            return Ok(Some(l));
        }
    }
    match cx.soar.incident_label(field, &id)? {
        Some(l) => Ok(Some(l)),
        None => Ok(Some(id)),
    }
}

/// Text that may be rich text, as plain text.
fn plain(s: &str) -> String {
    if Text::Plain(s.to_string()).is_html() {
        html::to_text(s)
    } else {
        s.trim().to_string()
    }
}

/// Every value of an incident field as text (a select or multiselect as labels); `None`
/// when the incident has no value for it.
pub fn field_values(cx: &Ctx, view: IncidentView, field: &str) -> Result<Option<Vec<String>>> {
    let inc = view.incident;
    let v = match field {
        "severity_code" => inc.severity_code.clone(),
        "phase_id" => inc.phase_id.clone(),
        "owner_id" => inc.owner_id.clone(),
        "incident_type_ids" => Some(Value::Array(inc.incident_type_ids.clone())),
        "name" => Some(Value::String(inc.name.clone())),
        "description" => inc
            .description
            .as_ref()
            .map(|t| Value::String(t.content().to_string())),
        other => inc.field(other).cloned(),
    };
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    match &v {
        Value::Array(items) => {
            for i in items {
                if let Some(l) = label(cx, view, field, i)? {
                    out.push(l);
                }
            }
        }
        Value::String(s) if !s.bytes().all(|b| b.is_ascii_digit()) => {
            let t = plain(s);
            if !t.is_empty() {
                out.push(t);
            }
        }
        other => {
            if let Some(l) = label(cx, view, field, other)? {
                out.push(l);
            }
        }
    }
    Ok(Some(out))
}

/// The event `view`'s incident should be. A `custom_attributes` field the incident does not
/// have is logged and skipped.
pub fn plan(cx: &Ctx, view: IncidentView) -> Result<EventPlan> {
    let inc = view.incident;
    let mut wanted = Wanted::new();
    wanted.insert(INCIDENT_ID_ATTRIBUTE.into(), vec![inc.id.to_string()]);
    for (field, attr) in [
        ("severity_code", "Severity"),
        ("phase_id", "Phase"),
        ("incident_type_ids", "Incident Type"),
    ] {
        let values = field_values(cx, view, field)?.unwrap_or_default();
        if !values.is_empty() || field == "incident_type_ids" {
            wanted.insert(attr.into(), values);
        }
    }
    for (field, attr) in &cx.rules.custom_attributes {
        match field_values(cx, view, field)? {
            Some(values) => {
                wanted.entry(attr.clone()).or_default().extend(values);
            }
            None => log::warn!(
                "custom_attributes: incident {} has no value for the field \"{field}\" \
                 (mapped to the attribute \"{attr}\"); skipped",
                inc.id
            ),
        }
    }
    let happened = inc
        .discovered_date
        .or(inc.create_date)
        .and_then(dates::threatq_time)
        .unwrap_or_else(dates::now);
    Ok(EventPlan {
        title: format!("Resilient Incident {}: {}", inc.id, inc.name),
        happened_at: happened,
        description: inc
            .description
            .as_ref()
            .map(|t| html::to_text(t.content()))
            .unwrap_or_default(),
        wanted,
    })
}

/// The event id the incident's `threatq_event_id` field holds, if any.
pub fn event_id_hint(inc: &Incident) -> Option<i64> {
    match inc.field(EVENT_ID_FIELD)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// The incident's event, if it has one: the one `threatq_event_id` names (when it exists),
/// else the oldest carrying "Resilient Incident ID" = the incident id.
pub fn find(cx: &Ctx, inc: &Incident) -> Result<Option<Event>> {
    if let Some(id) = event_id_hint(inc) {
        match cx.tq.event(id) {
            Ok(e) => return Ok(Some(e)),
            Err(e) if e.status() == Some(404) => log::warn!(
                "incident {}: its {EVENT_ID_FIELD} {id} is no ThreatQ event (deleted?); \
                 looking it up by its {INCIDENT_ID_ATTRIBUTE} attribute",
                inc.id
            ),
            Err(e) => return Err(e.into()),
        }
    }
    let mut found = cx
        .tq
        .events_by_attribute(INCIDENT_ID_ATTRIBUTE, &inc.id.to_string())?;
    found.sort_by_key(|e| e.id);
    Ok(found.into_iter().next())
}

/// Writes the event id into the incident's `threatq_event_id` (when it differs). A failure
/// is logged, not fatal: the attribute still ties the two.
fn record_id(cx: &Ctx, inc: &Incident, event_id: i64) {
    if event_id_hint(inc) == Some(event_id) {
        return;
    }
    if let Err(e) = cx
        .soar
        .set_incident_field(inc.id, EVENT_ID_FIELD, Value::from(event_id))
    {
        log::warn!(
            "incident {}: could not set {EVENT_ID_FIELD} = {event_id} ({}); the event is found \
             by its {INCIDENT_ID_ATTRIBUTE} attribute instead (run `tq-resilient-fn customize` \
             to add the field)",
            inc.id,
            e.safe_message()
        );
    }
}

fn create(cx: &Ctx, view: IncidentView, plan: &EventPlan) -> Result<Event> {
    let mut e = EventCreate::new(
        plan.title.clone(),
        EVENT_TYPE,
        plan.happened_at.clone(),
        &cx.rules.source,
    );
    if !plan.description.is_empty() {
        e.description = Some(plan.description.clone());
    }
    e.attributes = attributes::writes(&plan.wanted, &cx.rules.source);
    let ev = cx.tq.create_event(&e)?;
    record_id(cx, view.incident, ev.id);
    Ok(ev)
}

/// The id of the incident's event, created (with all its fields) when it has none yet.
/// An existing event is not changed (Sync Incident does that).
pub fn ensure(cx: &Ctx, view: IncidentView) -> Result<i64> {
    cx.locks.with(view.incident.id, || {
        if let Some(e) = find(cx, view.incident)? {
            record_id(cx, view.incident, e.id);
            return Ok(e.id);
        }
        let plan = plan(cx, view)?;
        Ok(create(cx, view, &plan)?.id)
    })
}

/// Creates or updates the incident's event so that it matches the incident; returns its id
/// and what happened. Then relates the `custom_objects` values to it.
pub fn sync(cx: &Ctx, view: IncidentView) -> Result<(i64, Outcome)> {
    let plan = plan(cx, view)?;
    let (id, outcome) = cx
        .locks
        .with(view.incident.id, || -> Result<(i64, Outcome)> {
            let Some(ev) = find(cx, view.incident)? else {
                return Ok((create(cx, view, &plan)?.id, Outcome::Created));
            };
            record_id(cx, view.incident, ev.id);
            let mut changed = false;
            let update = EventUpdate {
                title: (ev.title != plan.title).then(|| plan.title.clone()),
                happened_at: (ev.happened_at != plan.happened_at).then(|| plan.happened_at.clone()),
                description: (ev.description != plan.description).then(|| plan.description.clone()),
                ..EventUpdate::default()
            };
            if update != EventUpdate::default() {
                cx.tq.update_event(ev.id, &update)?;
                changed = true;
            }
            let written = attributes::sync(
                cx.tq,
                &ObjRef::event(ev.id),
                Some(&ev.attributes),
                &plan.wanted,
                &cx.rules.source,
            )?;
            let outcome = if changed || written > 0 {
                Outcome::Updated
            } else {
                Outcome::Unchanged
            };
            Ok((ev.id, outcome))
        })?;
    relate_custom_objects(cx, view, id)?;
    Ok((id, outcome))
}

/// Each value of each `custom_objects` field becomes an object of its collection related to
/// the event (found by name, created once).
fn relate_custom_objects(cx: &Ctx, view: IncidentView, event_id: i64) -> Result<usize> {
    let mut n = 0;
    for (field, coll) in &cx.rules.custom_objects {
        let Some(values) = field_values(cx, view, field)? else {
            log::warn!(
                "custom_objects: incident {} has no value for the field \"{field}\" (mapped to \
                 {}); skipped",
                view.incident.id,
                coll.path()
            );
            continue;
        };
        let mut ids = Vec::new();
        for v in values {
            ids.push(cx.tq.find_or_create_object(coll, &v, &cx.rules.source)?);
        }
        if !ids.is_empty() {
            cx.tq.link(&ObjRef::event(event_id), coll, &ids)?;
            n += ids.len();
        }
    }
    Ok(n)
}

/// The event as an object reference.
pub fn obj(id: i64) -> ObjRef {
    ObjRef::new(Collection::Events, id)
}
