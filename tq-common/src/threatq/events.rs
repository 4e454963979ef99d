//! Events and adversaries (threatq-api.md §10, §11, §17).

use serde_json::{json, Value};

use super::lookups::Lookup;
use super::{from_data, typed_rows, Adversary, Event, EventCreate, EventUpdate, Named, ThreatQ};
use crate::http::{encode_path_segment, Method};
use crate::Result;

/// The relations embedded when reading events.
pub const EVENT_WITH: &str = "type,attributes,sources";

/// `with` plus the relations of `needed` it does not name yet.
fn with_also(with: &str, needed: &[&str]) -> String {
    let mut all: Vec<&str> = needed.to_vec();
    all.extend(
        with.split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty() && !needed.contains(w)),
    );
    all.join(",")
}

/// What [`ThreatQ::events_matching`] looks an event up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventMatch<'a> {
    /// An attribute row with exactly this name and value ("RT Ticket ID" = 42).
    Attribute {
        /// The attribute name.
        name: &'a str,
        /// Its value.
        value: &'a str,
    },
    /// The title and the type name (a "Campaign" event called "Operation X").
    Titled {
        /// The title.
        title: &'a str,
        /// The event type name.
        kind: &'a str,
    },
}

impl EventMatch<'_> {
    /// Whether `e` (read with its type and attributes) is such an event.
    pub fn matches(&self, e: &Event) -> bool {
        match self {
            EventMatch::Attribute { name, value } => e
                .attributes
                .iter()
                .any(|a| a.name == *name && a.value == *value),
            EventMatch::Titled { title, kind } => {
                e.title == *title && e.type_name.as_deref() == Some(*kind)
            }
        }
    }
}

impl ThreatQ {
    /// Creates an event (`POST /api/events`). The type is checked by name first, so an
    /// unknown type is an error listing the types that exist.
    pub fn create_event(&self, event: &EventCreate) -> Result<Event> {
        self.event_type_id(&event.kind)?;
        self.create_event_unchecked(event)
    }

    /// Creates an event without looking its type up first (`POST /api/events`): one request
    /// fewer when the type is known to exist; a server that lacks it refuses the event
    /// (see [`ThreatQ::create_event`] for the checked form).
    pub fn create_event_unchecked(&self, event: &EventCreate) -> Result<Event> {
        let body = serde_json::to_value(event).unwrap_or(Value::Null);
        let v = self.call(
            Method::Post,
            "events",
            &[("with", EVENT_WITH.to_string())],
            Some(body),
        )?;
        from_data(v, "events")
    }

    /// One event by id, with its type, attributes and sources.
    pub fn event(&self, id: i64) -> Result<Event> {
        let v = self.call(
            Method::Get,
            &format!("events/{id}"),
            &[("with", EVENT_WITH.to_string())],
            None,
        )?;
        from_data(v, "events/{id}")
    }

    /// Changes an event's title, type, happened_at or description (`PUT /api/events/{id}`);
    /// returns it with its type, attributes and sources.
    pub fn update_event(&self, id: i64, fields: &EventUpdate) -> Result<Event> {
        if let Some(kind) = &fields.kind {
            self.event_type_id(kind)?;
        }
        let body = serde_json::to_value(fields).unwrap_or(Value::Null);
        let v = self.call(
            Method::Put,
            &format!("events/{id}"),
            &[("with", EVENT_WITH.to_string())],
            Some(body),
        )?;
        from_data(v, "events/{id}")
    }

    /// The id of the event type `name`, created (`POST /api/event/types {"name"}`, §10)
    /// when this ThreatQ does not have it yet (RT's "Campaign").
    pub fn ensure_event_type(&self, name: &str) -> Result<i64> {
        if let Ok(id) = self.event_type_id(name) {
            return Ok(id);
        }
        let v = self.call(
            Method::Post,
            "event/types",
            &[],
            Some(json!({ "name": name })),
        )?;
        let created: Named = from_data(v, "event/types")?;
        self.forget_lookup(Lookup::EventType);
        Ok(created.id)
    }

    /// [I] The events carrying an attribute `name` with exactly `value` ("RT Ticket ID" = 42,
    /// "Resilient Incident ID" = 2314), with type, attributes and sources. See
    /// [`ThreatQ::events_matching`].
    pub fn events_by_attribute(&self, name: &str, value: &str) -> Result<Vec<Event>> {
        self.events_matching(&[EventMatch::Attribute { name, value }], EVENT_WITH)
    }

    /// [I] The events matching any of `matches` (one query, every page), sorted by id, with
    /// the relations of `with` (`type` and `attributes` are always added: the matches are
    /// checked on them).
    ///
    /// Inferred: the query criteria fields `attribute_name`/`attribute_value` of
    /// `POST /api/events/query` (§4.2 confirms the query route, its language, `title`-like
    /// equality leaves and `type_name`, not the attribute field names). Every event of the
    /// answer is checked here again (an attribute row with that name *and* value; that title
    /// and type), so a server that matches them on different rows, or ignores the criteria,
    /// still gives the right events (more slowly). Correct this one function if a real
    /// server differs.
    pub fn events_matching(&self, matches: &[EventMatch<'_>], with: &str) -> Result<Vec<Event>> {
        if matches.is_empty() {
            return Ok(Vec::new());
        }
        let leaves: Vec<Value> = matches
            .iter()
            .map(|m| match m {
                EventMatch::Attribute { name, value } => {
                    json!({"+and": [{"attribute_name": name}, {"attribute_value": value}]})
                }
                EventMatch::Titled { title, kind } => {
                    json!({"+and": [{"title": title}, {"type_name": kind}]})
                }
            })
            .collect();
        let criteria = if leaves.len() == 1 {
            leaves.into_iter().next().unwrap_or(Value::Null)
        } else {
            json!({ "+or": leaves })
        };
        let body = json!({ "criteria": criteria, "filters": {} });
        let with_all = with_also(with, &["type", "attributes"]);
        let rows = self.query_all("events", &body, "id", &with_all)?;
        let events: Vec<Event> = typed_rows(rows, "events/query")?;
        Ok(events
            .into_iter()
            .filter(|e| matches.iter().any(|m| m.matches(e)))
            .collect())
    }

    /// [I] Events changed (touched or updated) after `since` (`YYYY-MM-DD HH:MM:SS`) that
    /// carry an attribute named `attribute` (every event when `None`), oldest change first,
    /// with type, attributes and sources.
    ///
    /// Inferred like [`ThreatQ::indicators_changed_since`]: `+gt` on timestamps in the query
    /// criteria (threatq-api.md §17; the operator set is only confirmed for `score`) and the
    /// `attribute_name` criteria field. The answer is filtered here again.
    pub fn events_changed_since(&self, since: &str, attribute: Option<&str>) -> Result<Vec<Event>> {
        self.events_changed_since_with(since, attribute, EVENT_WITH)
    }

    /// [I] [`ThreatQ::events_changed_since`] with the relations of `with` embedded
    /// (`type,attributes,sources,indicators.type`: one query gives a sync everything).
    pub fn events_changed_since_with(
        &self,
        since: &str,
        attribute: Option<&str>,
        with: &str,
    ) -> Result<Vec<Event>> {
        let changed = json!({"+or": [
            {"updated_at": {"+gt": since}},
            {"touched_at": {"+gt": since}},
        ]});
        let criteria = match attribute {
            Some(a) => json!({"+and": [changed, {"attribute_name": a}]}),
            None => changed,
        };
        let body = json!({ "criteria": criteria, "filters": {} });
        let with = with_also(with, &["attributes"]);
        let rows = self.query_all("events", &body, "touched_at,id", &with)?;
        let events: Vec<Event> = typed_rows(rows, "events/query")?;
        Ok(events
            .into_iter()
            .filter(|e| e.touched_at.as_str() > since || e.updated_at.as_str() > since)
            .filter(|e| attribute.is_none_or(|a| e.attributes.iter().any(|r| r.name == a)))
            .collect())
    }

    /// The adversary named exactly `name`, created with `source` when there is none
    /// (`GET /api/adversaries?name=`, `POST /api/adversaries`, §11).
    pub fn find_or_create_adversary(&self, name: &str, source: &str) -> Result<Adversary> {
        // `%` is a LIKE wildcard in list filters (§3): match exactly here.
        let rows = self.list_all(
            "adversaries",
            &[("name", name.to_string()), ("with", "sources".into())],
        )?;
        let found: Vec<Adversary> = typed_rows(rows, "adversaries")?;
        if let Some(a) = found.into_iter().find(|a| a.name == name) {
            return Ok(a);
        }
        let v = self.call(
            Method::Post,
            "adversaries",
            &[("with", "sources".into())],
            Some(json!({ "name": name, "sources": [{ "name": source }] })),
        )?;
        from_data(v, "adversaries")
    }

    /// The adversaries named exactly one of `names` (one `POST /api/adversaries/query` with
    /// an `+or` of `name` leaves, §4.2, every page; checked here again), with their sources.
    pub fn adversaries_named(&self, names: &[&str]) -> Result<Vec<Adversary>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let leaves: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
        let body = json!({ "criteria": {"+or": leaves}, "filters": {} });
        let rows = self.query_all("adversaries", &body, "id", "sources")?;
        let found: Vec<Adversary> = typed_rows(rows, "adversaries/query")?;
        Ok(found
            .into_iter()
            .filter(|a| names.contains(&a.name.as_str()))
            .collect())
    }

    /// Creates an adversary attributed to `source` (`POST /api/adversaries`, §11).
    pub fn create_adversary(&self, name: &str, source: &str) -> Result<Adversary> {
        let v = self.call(
            Method::Post,
            "adversaries",
            &[("with", "sources".into())],
            Some(json!({ "name": name, "sources": [{ "name": source }] })),
        )?;
        from_data(v, "adversaries")
    }

    /// One adversary by id.
    pub fn adversary(&self, id: i64) -> Result<Adversary> {
        let v = self.call(
            Method::Get,
            &format!("adversaries/{}", encode_path_segment(&id.to_string())),
            &[("with", "sources".into())],
            None,
        )?;
        from_data(v, "adversaries/{id}")
    }
}
