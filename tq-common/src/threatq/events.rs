//! Events and adversaries (threatq-api.md §10, §11).

use serde_json::{json, Value};

use super::{from_data, typed_rows, IdOnly, Named, ThreatQ};
use crate::http::Method;
use crate::Result;

/// An event or adversary as returned: id and the whole JSON object.
#[derive(Debug, Clone)]
pub struct Record {
    /// Id.
    pub id: i64,
    /// The object as ThreatQ returned it.
    pub json: Value,
}

fn record(v: Value, what: &str) -> Result<Record> {
    let id = from_data::<IdOnly>(v.clone(), what)?.id;
    let json = match v {
        Value::Object(mut o) => o.remove("data").unwrap_or(Value::Null),
        other => other,
    };
    Ok(Record { id, json })
}

impl ThreatQ {
    /// Creates an event (`POST /api/events`): title, type by name, happened_at
    /// (`YYYY-MM-DD HH:MM:SS`), description, sources, attributes.
    pub fn create_event(&self, event: Value) -> Result<Record> {
        let v = self.call(Method::Post, "events", &[], Some(event))?;
        record(v, "events")
    }

    /// Edits an event (`PUT /api/events/{id}`).
    pub fn update_event(&self, id: i64, fields: Value) -> Result<Record> {
        let v = self.call(Method::Put, &format!("events/{id}"), &[], Some(fields))?;
        record(v, "events/{id}")
    }

    /// Events whose title is exactly `title`.
    pub fn events_by_title(&self, title: &str) -> Result<Vec<Record>> {
        let rows = self.list_all(
            "events",
            &[("title", title.to_string()), ("with", "type".into())],
        )?;
        let ids: Vec<IdOnly> = typed_rows(rows.clone(), "events")?;
        Ok(ids
            .into_iter()
            .zip(rows)
            .filter(|(_, r)| r.get("title").and_then(Value::as_str) == Some(title))
            .map(|(i, r)| Record { id: i.id, json: r })
            .collect())
    }

    /// The adversary named `name`, created (with `source`) when it does not exist.
    pub fn find_or_create_adversary(&self, name: &str, source: &str) -> Result<Record> {
        let rows = self.list_all("adversaries", &[("name", name.to_string())])?;
        let named: Vec<Named> = typed_rows(rows.clone(), "adversaries")?;
        if let Some((n, r)) = named.into_iter().zip(rows).find(|(n, _)| n.name == name) {
            return Ok(Record { id: n.id, json: r });
        }
        let v = self.call(
            Method::Post,
            "adversaries",
            &[],
            Some(json!({ "name": name, "sources": [{ "name": source }] })),
        )?;
        record(v, "adversaries")
    }
}
