//! Incidents, artifacts, notes, tasks, attachments and the lookups the rules need
//! (research/resilient.md §5.3). Answers are read with the message types of
//! [`crate::message`] (the same DTOs), leniently about fields they do not use.

use std::collections::HashMap;

use serde_json::{json, Value};
use tq_common::http::{encode_path_segment, Method};
use tq_common::{Error, Result};

use super::{Resilient, SYSTEM};
use crate::message::{Artifact, Incident, Task};

/// One page of incidents from `query_paged`.
#[derive(Debug, Clone, Default)]
pub struct IncidentPage {
    /// The incidents of this page.
    pub incidents: Vec<Incident>,
    /// `recordsFiltered` (else `recordsTotal`): how many match, when the server says.
    pub total: Option<usize>,
}

/// A list answer: a bare array, or an object holding it under `data`/`entities`.
fn list_of(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("data").or_else(|| o.remove("entities")) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn typed<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v)
        .map_err(|e| Error::remote(SYSTEM, format!("unexpected answer to {what}: {e}")))
}

fn typed_list<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<Vec<T>> {
    list_of(v).into_iter().map(|r| typed(r, what)).collect()
}

impl Resilient {
    /// The name of the rule with id `action_id` (`GET /actions`, read again once when the id
    /// is not known yet: a rule created since). `None` when Resilient has no such rule.
    pub fn rule_name(&self, action_id: u64) -> Result<Option<String>> {
        if let Some(n) = self.caches().actions.get(&action_id) {
            return Ok(Some(n.clone()));
        }
        let v = self.call(&self.org_request(Method::Get, "actions"))?;
        let map: HashMap<u64, String> = list_of(v)
            .iter()
            .filter_map(|a| Some((a.get("id")?.as_u64()?, a.get("name")?.as_str()?.to_string())))
            .collect();
        let mut c = self.caches();
        c.actions = map;
        Ok(c.actions.get(&action_id).cloned())
    }

    /// One incident, with names instead of ids in its select fields (`handle_format=names`).
    pub fn incident(&self, id: u64) -> Result<Incident> {
        let req = self
            .org_request(Method::Get, &format!("incidents/{id}"))
            .query("handle_format", "names");
        typed(self.call(&req)?, "GET /incidents/{id}")
    }

    /// Sets one field of an incident (`PATCH /incidents/{id}` with the incident's current
    /// `version`; a 409, someone else changed it meanwhile, is retried with the new one).
    /// `field` is a built-in field or a custom one (`threatq_event_id`).
    pub fn set_incident_field(&self, id: u64, field: &str, value: Value) -> Result<()> {
        let mut last = None;
        for _ in 0..3 {
            let inc = self.call(&self.org_request(Method::Get, &format!("incidents/{id}")))?;
            let old = inc
                .get("properties")
                .and_then(|p| p.get(field))
                .or_else(|| inc.get(field))
                .cloned()
                .unwrap_or(Value::Null);
            if old == value {
                return Ok(());
            }
            let body = json!({
                "changes": [{
                    "field": field,
                    "old_value": { "object": old },
                    "new_value": { "object": value },
                }],
                "version": inc.get("vers").cloned().unwrap_or(Value::Null),
            });
            let req = self
                .org_request(Method::Patch, &format!("incidents/{id}"))
                .header("handle_format", "names")
                .json(body);
            match self.call(&req) {
                Ok(status) => {
                    if status.get("success").and_then(Value::as_bool) == Some(false) {
                        return Err(Error::remote(
                            SYSTEM,
                            format!(
                                "PATCH /incidents/{id} did not set {field}: {}",
                                status
                                    .get("message")
                                    .and_then(Value::as_str)
                                    .unwrap_or("no reason given")
                            ),
                        ));
                    }
                    return Ok(());
                }
                Err(e) if e.status() == Some(409) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::remote(SYSTEM, "PATCH kept conflicting")))
    }

    /// One page of the incidents created on or after `created_after` (epoch ms), oldest
    /// first (`POST /incidents/query_paged`): `start` rows in, at most `length` rows (the
    /// server may cap it lower).
    pub fn incidents_created_since(
        &self,
        created_after: i64,
        start: usize,
        length: usize,
    ) -> Result<IncidentPage> {
        let body = json!({
            "filters": [{ "conditions": [
                { "field_name": "create_date", "method": "gte", "value": created_after }
            ]}],
            "sorts": [
                { "field_name": "create_date", "type": "asc" },
                { "field_name": "id", "type": "asc" }
            ],
            "start": start,
            "length": length,
        });
        let req = self
            .org_request(Method::Post, "incidents/query_paged")
            .query("return_level", "normal")
            .query("handle_format", "names")
            .json(body)
            .idempotent(true);
        let v = self.call(&req)?;
        let total = ["recordsFiltered", "recordsTotal"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_u64))
            .map(|n| n as usize);
        let incidents = typed_list(v, "POST /incidents/query_paged")?;
        Ok(IncidentPage { incidents, total })
    }

    /// The artifacts of an incident.
    pub fn artifacts(&self, incident: u64) -> Result<Vec<Artifact>> {
        let req = self.org_request(Method::Get, &format!("incidents/{incident}/artifacts"));
        typed_list(self.call(&req)?, "GET /incidents/{id}/artifacts")
    }

    /// One artifact.
    pub fn artifact(&self, incident: u64, artifact: u64) -> Result<Artifact> {
        let req = self.org_request(
            Method::Get,
            &format!("incidents/{incident}/artifacts/{artifact}"),
        );
        typed(self.call(&req)?, "GET /incidents/{id}/artifacts/{id}")
    }

    /// Adds an artifact (type by name) to an incident; returns it. The answer may be the
    /// created artifact or a list of them (research §5.3): both are read.
    pub fn create_artifact(
        &self,
        incident: u64,
        type_name: &str,
        value: &str,
        description: &str,
    ) -> Result<Artifact> {
        let req = self
            .org_request(Method::Post, &format!("incidents/{incident}/artifacts"))
            .json(json!({
                "type": { "name": type_name },
                "value": value,
                "description": { "format": "text", "content": description },
            }));
        let v = match self.call(&req)? {
            Value::Array(mut a) if !a.is_empty() => a.remove(0),
            other => other,
        };
        typed(v, "POST /incidents/{id}/artifacts")
    }

    /// Removes an artifact from its incident.
    pub fn delete_artifact(&self, incident: u64, artifact: u64) -> Result<()> {
        let req = self.org_request(
            Method::Delete,
            &format!("incidents/{incident}/artifacts/{artifact}"),
        );
        self.call(&req).map(|_| ())
    }

    /// The tasks of an incident (names instead of ids).
    pub fn tasks(&self, incident: u64) -> Result<Vec<Task>> {
        let req = self
            .org_request(Method::Get, &format!("incidents/{incident}/tasks"))
            .query("want_layouts", "false")
            .query("want_notes", "false")
            .query("handle_format", "names");
        typed_list(self.call(&req)?, "GET /incidents/{id}/tasks")
    }

    /// One task (names instead of ids).
    pub fn task(&self, id: u64) -> Result<Task> {
        let req = self
            .org_request(Method::Get, &format!("tasks/{id}"))
            .query("handle_format", "names");
        typed(self.call(&req)?, "GET /tasks/{id}")
    }

    /// The bytes of an attachment of an incident, or of one of its tasks.
    pub fn attachment_contents(
        &self,
        incident: u64,
        task: Option<u64>,
        attachment: u64,
    ) -> Result<Vec<u8>> {
        let path = match task {
            Some(t) => format!("tasks/{t}/attachments/{attachment}/contents"),
            None => format!("incidents/{incident}/attachments/{attachment}/contents"),
        };
        let req = self.org_request(Method::Get, &path).header("Accept", "*/*");
        self.bytes(&req)
    }

    /// The name of artifact type `id` (the org's `incident_artifact_types`, read again once
    /// on a miss: a custom type added since).
    pub fn artifact_type_name(&self, id: u64) -> Result<Option<String>> {
        if let Some(n) = self.caches().artifact_types.get(&id) {
            return Ok(Some(n.clone()));
        }
        let org = self.org().id;
        let mut req = self
            .inner
            .rest
            .request(Method::Get, &format!("/rest/orgs/{org}"));
        if let Some(t) = &self.context {
            req = req.header("X-Co3ContextToken", t.as_ref());
        }
        let v = self.call(&req)?;
        let map: HashMap<u64, String> = v
            .get("incident_artifact_types")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, t)| {
                        let id = t
                            .get("id")
                            .and_then(Value::as_u64)
                            .or_else(|| k.parse().ok())?;
                        Some((id, t.get("name")?.as_str()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut c = self.caches();
        c.artifact_types = map;
        Ok(c.artifact_types.get(&id).cloned())
    }

    /// The label of value `value` of the incident select field `field` (severity, phase,
    /// incident type, a custom select), from the incident field definitions (read once).
    /// `None` when the definitions do not list it.
    pub fn incident_label(&self, field: &str, value: &str) -> Result<Option<String>> {
        {
            let c = self.caches();
            if !c.incident_labels.is_empty() {
                return Ok(c
                    .incident_labels
                    .get(field)
                    .and_then(|m| m.get(value).cloned()));
            }
        }
        let v = self.call(&self.org_request(Method::Get, "types/incident/fields"))?;
        let mut labels: HashMap<String, HashMap<String, String>> = HashMap::new();
        for f in list_of(v) {
            let Some(name) = f.get("name").and_then(Value::as_str) else {
                continue;
            };
            let values: HashMap<String, String> = f
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|x| {
                    let id = match x.get("value")? {
                        Value::Number(n) => n.to_string(),
                        Value::String(s) => s.clone(),
                        _ => return None,
                    };
                    Some((id, x.get("label")?.as_str()?.to_string()))
                })
                .collect();
            labels.insert(name.to_string(), values);
        }
        // An empty definition list would be fetched on every call: keep a marker.
        labels.entry(String::new()).or_default();
        let mut c = self.caches();
        c.incident_labels = labels;
        Ok(c.incident_labels
            .get(field)
            .and_then(|m| m.get(value).cloned()))
    }
}

/// `encode_path_segment` for names in paths (function names).
pub(crate) fn segment(s: &str) -> String {
    encode_path_segment(s)
}
