//! Related indicators: the ticket's indicator values the event lacks are written in one bulk
//! consume (new ones with `ThreatQ_Status`, existing ones keep theirs; all attributed to this
//! RT's source) and linked in one request; indicators of this RT's source, of a type the
//! mapping writes, that the ticket no longer lists are unlinked (never deleted).

use serde_json::json;
use tq_common::threatq::{
    Collection, Event, Indicator, IndicatorUpsert, Linked, NameRef, ObjRef, SourceName, SourceWrite,
};
use tq_common::{Error, Result};

use super::{is_ours, linked_indicators, unlink_stale, Outcome, Syncer};
use crate::mapping::fields::INDICATOR_TYPES;
use crate::mapping::Desired;

fn is(i: &Indicator, value: &str, kind: &str) -> bool {
    i.value == value && i.type_name.as_deref().is_none_or(|t| t == kind)
}

/// Links the ticket's indicators and unlinks the ones it dropped.
pub fn sync(
    s: &Syncer<'_>,
    obj: &ObjRef,
    event: &mut Event,
    desired: &Desired,
    out: &mut Outcome,
) -> Result<()> {
    let source = s.source();
    let linked = linked_indicators(s, event)?;
    let missing: Vec<&(String, &'static str)> = desired
        .indicators
        .iter()
        .filter(|(v, t)| !linked.iter().any(|l| is(&l.object, v, t)))
        .collect();
    if !missing.is_empty() {
        let leaves: Vec<_> = missing.iter().map(|(v, _)| json!({ "value": v })).collect();
        let existing = s.tq.query_indicators(json!({ "+or": leaves }), json!({}))?;
        let items: Vec<IndicatorUpsert> = missing
            .iter()
            .map(|(v, t)| {
                let mut u = IndicatorUpsert::new(v.clone(), *t);
                if !existing.iter().any(|i| is(i, v, t)) {
                    u.status = Some(NameRef::new(&s.status));
                }
                u.sources = vec![SourceWrite::new(&source)];
                u
            })
            .collect();
        let consumed = s.tq.consume_indicators(&items)?;
        let mut ids = Vec::new();
        for (v, t) in &missing {
            let id = consumed
                .iter()
                .find(|c| c.value == *v)
                .map(|c| c.id)
                .or_else(|| existing.iter().find(|i| is(i, v, t)).map(|i| i.id))
                .ok_or_else(|| {
                    Error::remote(
                        tq_common::threatq::SYSTEM,
                        format!("POST /api/indicators/consume: the answer lacks {t} {v:?}"),
                    )
                })?;
            ids.push(id);
            linked.push(Linked {
                pivot_id: None,
                object: Indicator {
                    id,
                    value: v.clone(),
                    type_name: Some(t.to_string()),
                    sources: vec![SourceName {
                        name: source.clone(),
                    }],
                    ..Indicator::default()
                },
            });
        }
        s.tq.link(obj, &Collection::Indicators, &ids)?;
        out.changes
            .push(format!("indicators linked: {}", ids.len()));
    }
    let linked = linked_indicators(s, event)?;
    unlink_stale(
        s,
        obj,
        &Collection::Indicators,
        linked,
        |i| {
            i.type_name
                .as_deref()
                .is_some_and(|t| INDICATOR_TYPES.contains(&t))
                && is_ours(&i.sources, &source)
                && !desired.indicators.iter().any(|(v, t)| is(i, v, t))
        },
        out,
    )?;
    Ok(())
}
