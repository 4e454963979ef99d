//! Artifacts ↔ indicators: an artifact's type by name, its indicator type
//! ([`crate::mapping::artifact_types`]), the upsert of an indicator linked to the incident's
//! event in one call, finding indicators by value, marking them (False Positive / True
//! Positive), and a ThreatQ indicator's related indicators added to an incident as
//! artifacts (no duplicates, judged by type and value).

use std::collections::BTreeSet;

use serde_json::Value;
use tq_common::threatq::{
    AttributeWrite, Collection, Indicator, IndicatorUpsert, NameRef, ObjRef, SourceWrite,
};

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::event::{self, IncidentView};
use crate::mapping::artifact_types;
use crate::message::{ActionData, Artifact};

/// The name of an artifact's type: from the message's type information, else from
/// Resilient's artifact types (a type sent by name is its name).
pub fn artifact_type(cx: &Ctx, message: Option<&ActionData>, a: &Artifact) -> Result<String> {
    let id = match &a.type_id {
        Value::String(s) if !s.bytes().all(|b| b.is_ascii_digit()) => return Ok(s.clone()),
        Value::String(s) => s.parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        Value::Object(o) => {
            if let Some(n) = o.get("name").and_then(Value::as_str) {
                return Ok(n.to_string());
            }
            o.get("id").and_then(Value::as_u64)
        }
        _ => None,
    };
    if let Some(m) = message {
        if let Ok(l) = m.label("artifact", "type", &a.type_id) {
            return Ok(l);
        }
    }
    let Some(id) = id else {
        return Err(Error::action(format!(
            "artifact {}: its type {} is neither an id nor a name",
            a.id, a.type_id
        )));
    };
    cx.soar.artifact_type_name(id)?.ok_or_else(|| {
        Error::action(format!(
            "artifact {}: Resilient has no artifact type with id {id}",
            a.id
        ))
    })
}

/// The indicator type of an artifact type; an unmapped one is an error naming it.
pub fn indicator_type(artifact_type: &str) -> Result<&'static str> {
    artifact_types::indicator_type(artifact_type).ok_or_else(|| {
        Error::action(format!(
            "the artifact type \"{artifact_type}\" has no ThreatQ indicator type (supported: {})",
            artifact_types::supported_artifact_types()
        ))
    })
}

/// The upsert of `value` of type `kind`, attributed to the source, with `status` (`None`
/// keeps an existing indicator's status).
fn upsert_of(cx: &Ctx, value: &str, kind: &str, status: Option<&str>) -> IndicatorUpsert {
    let mut u = IndicatorUpsert::new(value, kind);
    u.status = status.map(NameRef::new);
    u.sources.push(SourceWrite::new(cx.rules.source.clone()));
    u
}

/// Upserts one indicator (and its links), batched with other workers'; returns its id.
fn consume_one(cx: &Ctx, up: IndicatorUpsert) -> Result<i64> {
    Ok(cx.batch.upsert(cx.tq, up)?)
}

/// Upserts `value` (type `kind`, `status`) linked to the event of `view`'s incident, in one
/// call when the incident names its event; returns (indicator id, event id). A stale event
/// id in the incident is noticed (ThreatQ refuses the link) and the event looked up (or
/// created) instead.
pub fn upsert_linked(
    cx: &Ctx,
    view: IncidentView,
    value: &str,
    kind: &str,
    status: Option<&str>,
) -> Result<(i64, i64)> {
    if let Some(hint) = event::event_id_hint(view.incident) {
        let up = upsert_of(cx, value, kind, status).relate(&Collection::Events, hint);
        match consume_one(cx, up) {
            Ok(id) => return Ok((id, hint)),
            Err(Error::Remote(e)) if matches!(e.status(), Some(404) | Some(422)) => {
                log::info!(
                    "incident {}: the upsert of {value} linked to event {hint} was refused ({}); \
                     checking the event",
                    view.incident.id,
                    e.safe_message()
                );
            }
            Err(e) => return Err(e),
        }
    }
    let event_id = event::ensure(cx, view)?;
    let up = upsert_of(cx, value, kind, status).relate(&Collection::Events, event_id);
    Ok((consume_one(cx, up)?, event_id))
}

/// Upserts many indicators linked to `event_id` in batches; returns how many.
pub fn upsert_many_linked(
    cx: &Ctx,
    items: &[(String, &'static str)],
    status: &str,
    event_id: i64,
) -> Result<usize> {
    let ups: Vec<IndicatorUpsert> = items
        .iter()
        .map(|(v, k)| upsert_of(cx, v, k, Some(status)).relate(&Collection::Events, event_id))
        .collect();
    Ok(cx.tq.consume_indicators(&ups)?.len())
}

/// Upserts one indicator (no links); returns its id.
pub fn upsert(cx: &Ctx, value: &str, kind: &str, status: Option<&str>) -> Result<i64> {
    consume_one(cx, upsert_of(cx, value, kind, status))
}

/// The indicators whose value is exactly `value`, of type `kind` when given (any type when
/// none of that type exists, so a marking reaches an indicator filed under another type).
pub fn find(cx: &Ctx, value: &str, kind: Option<&str>) -> Result<Vec<Indicator>> {
    let all = cx.tq.indicators_by_value(value)?;
    if let Some(k) = kind {
        let typed: Vec<Indicator> = all
            .iter()
            .filter(|i| i.type_name.as_deref() == Some(k))
            .cloned()
            .collect();
        if !typed.is_empty() {
            return Ok(typed);
        }
    }
    Ok(all)
}

/// Sets the attribute `attribute` = Yes on the indicators of `value` (created first, with
/// the default status, when ThreatQ has none: `kind` is then needed); returns their ids.
/// Marking twice writes nothing the second time.
pub fn mark(cx: &Ctx, value: &str, kind: Option<&str>, attribute: &str) -> Result<Vec<i64>> {
    let found = find(cx, value, kind)?;
    let targets: Vec<(i64, bool)> = if found.is_empty() {
        let k = kind.ok_or_else(|| {
            Error::action(format!(
                "{value} is not in ThreatQ and its indicator type is not known: give the type"
            ))
        })?;
        vec![(upsert(cx, value, k, Some(&cx.rules.status))?, false)]
    } else {
        found
            .iter()
            .map(|i| {
                let marked = i
                    .attributes
                    .iter()
                    .any(|r| r.name == attribute && r.value == "Yes");
                (i.id, marked)
            })
            .collect()
    };
    for (id, marked) in &targets {
        if !marked {
            cx.tq.add_attributes(
                &ObjRef::indicator(*id),
                &[AttributeWrite::new(attribute, "Yes", &cx.rules.source)],
            )?;
        }
    }
    Ok(targets.into_iter().map(|(id, _)| id).collect())
}

/// What [`add_related`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Related {
    /// Related indicators added as artifacts: (artifact type, value).
    pub added: Vec<(String, String)>,
    /// Related indicators the incident had already (by type and value).
    pub present: Vec<(String, String)>,
    /// Related indicators of a type that maps to no artifact type: (indicator type, value).
    pub unmapped: Vec<(String, String)>,
    /// Whether ThreatQ has the indicator at all.
    pub found: bool,
}

/// The (indicator type, value) pairs of an incident's artifacts: what a related indicator
/// is compared with.
fn incident_indicators(cx: &Ctx, incident: u64) -> Result<BTreeSet<(String, String)>> {
    let mut out = BTreeSet::new();
    for a in cx.soar.artifacts(incident)? {
        let t = artifact_type(cx, None, &a)?;
        let kind = artifact_types::indicator_type(&t)
            .map(str::to_string)
            .unwrap_or(t);
        out.insert((kind, a.value.clone()));
    }
    Ok(out)
}

/// Adds the indicators related in ThreatQ to the indicator `value` (type `kind` if known)
/// to incident `incident` as artifacts, except those it has (by type and value).
pub fn add_related(cx: &Ctx, incident: u64, value: &str, kind: Option<&str>) -> Result<Related> {
    let mut out = Related::default();
    let found = find(cx, value, kind)?;
    if found.is_empty() {
        return Ok(out);
    }
    out.found = true;
    let mut related: Vec<Indicator> = Vec::new();
    for i in &found {
        for l in
            cx.tq
                .linked::<Indicator>(&ObjRef::indicator(i.id), &Collection::Indicators, "type")?
        {
            if !related.iter().any(|r| r.id == l.object.id) && l.object.id != i.id {
                related.push(l.object);
            }
        }
    }
    if related.is_empty() {
        return Ok(out);
    }
    let mut have = incident_indicators(cx, incident)?;
    for r in related {
        let itype = match &r.type_name {
            Some(t) => t.clone(),
            None => match r.type_id {
                Some(id) => cx
                    .tq
                    .lookup_name(tq_common::threatq::lookups::Lookup::IndicatorType, id)?,
                None => String::new(),
            },
        };
        let Some(atype) = artifact_types::artifact_type(&itype) else {
            out.unmapped.push((itype, r.value));
            continue;
        };
        let key = (itype.clone(), r.value.clone());
        if have.contains(&key) {
            out.present.push((atype.to_string(), r.value));
            continue;
        }
        cx.soar.create_artifact(
            incident,
            atype,
            &r.value,
            &format!("Related in ThreatQ to {value}"),
        )?;
        have.insert(key);
        out.added.push((atype.to_string(), r.value));
    }
    Ok(out)
}
