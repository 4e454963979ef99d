//! ThreatQ: Sync Indicator (automatic, artifact): the artifact becomes an indicator (its
//! type mapped, [`crate::mapping::artifact_types`]; another type is an error naming it),
//! attributed to `custom_source`, linked to the incident's event. As a menu item: Indicator
//! Status (else `[fn_threatq] status`) and Indicator Confidence (the attribute
//! "Confidence"); automatic, the default status and no confidence.

use tq_common::threatq::ObjRef;

use super::{artifact, indicator_status, RuleDef};
use crate::attributes::{self, Wanted};
use crate::context::Ctx;
use crate::error::Result;
use crate::event::IncidentView;
use crate::fields::{INDICATOR_CONFIDENCE, INDICATOR_STATUS};
use crate::indicator;
use crate::message::ActionData;

/// The attribute Indicator Confidence sets.
pub const CONFIDENCE_ATTRIBUTE: &str = "Confidence";

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Sync Indicator",
    object: "artifact",
    automatic: true,
    on_create_only: true,
    fields: &[INDICATOR_STATUS, INDICATOR_CONFIDENCE],
    description: "Add an artifact to ThreatQ as an indicator",
    run,
};

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let a = artifact(action, RULE.name)?;
    let atype = indicator::artifact_type(cx, Some(action), a)?;
    let kind = indicator::indicator_type(&atype)?;
    let status = indicator_status(cx, action)?;
    let confidence = action.select(INDICATOR_CONFIDENCE.name)?;
    let (id, event_id) =
        indicator::upsert_linked(cx, IncidentView::of(action), &a.value, kind, Some(&status))?;
    let mut text = format!(
        "Artifact {} ({atype}) synced to ThreatQ indicator {id} ({kind}, status {status}), \
         related to event {event_id}",
        a.value
    );
    if let Some(c) = confidence {
        let mut w = Wanted::new();
        w.insert(CONFIDENCE_ATTRIBUTE.into(), vec![c.clone()]);
        attributes::sync(cx.tq, &ObjRef::indicator(id), None, &w, &cx.rules.source)?;
        text.push_str(&format!(", confidence {c}"));
    }
    Ok(text)
}
