//! ThreatQ: Sync Incident (automatic, incident): the incident becomes or updates its
//! ThreatQ event ([`crate::event`]). As a menu item: Import Artifacts into ThreatQ (its
//! artifacts become indicators related to the event, with `[fn_threatq] status`) and Import
//! Indicators from ThreatQ (the event's indicators become artifacts, those it lacks by type
//! and value). Automatic, it imports neither (artifacts come through Sync Indicator).

use tq_common::threatq::{Collection, Indicator};

use super::RuleDef;
use crate::context::Ctx;
use crate::error::Result;
use crate::event::{self, IncidentView, Outcome};
use crate::fields::{IMPORT_ARTIFACTS, IMPORT_INDICATORS};
use crate::indicator;
use crate::mapping::artifact_types;
use crate::message::ActionData;

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Sync Incident",
    object: "incident",
    automatic: true,
    on_create_only: false,
    fields: &[IMPORT_ARTIFACTS, IMPORT_INDICATORS],
    description: "Sync an incident with ThreatQ; updates of the incident update ThreatQ",
    run,
};

/// Text for an event outcome.
pub fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Created => "created",
        Outcome::Updated => "updated",
        Outcome::Unchanged => "up to date",
    }
}

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let view = IncidentView::of(action);
    let (event_id, outcome) = event::sync(cx, view)?;
    let inc = &action.incident;
    let mut text = format!(
        "Incident {} synced to ThreatQ event {event_id} ({})",
        inc.id,
        outcome_text(outcome)
    );
    if action.yes_no(IMPORT_ARTIFACTS.name)? == Some(true) {
        let mut items = Vec::new();
        let mut skipped = Vec::new();
        for a in cx.soar.artifacts(inc.id)? {
            let t = indicator::artifact_type(cx, None, &a)?;
            match artifact_types::indicator_type(&t) {
                Some(kind) => items.push((a.value.clone(), kind)),
                None => skipped.push(format!("{} ({t})", a.value)),
            }
        }
        let n = indicator::upsert_many_linked(cx, &items, &cx.rules.status, event_id)?;
        text.push_str(&format!("; {n} artifact(s) imported as indicators"));
        if !skipped.is_empty() {
            text.push_str(&format!(
                "; not imported (no indicator type for their artifact type): {}",
                skipped.join(", ")
            ));
        }
    }
    if action.yes_no(IMPORT_INDICATORS.name)? == Some(true) {
        let linked =
            cx.tq
                .linked::<Indicator>(&event::obj(event_id), &Collection::Indicators, "type")?;
        let mut have = std::collections::BTreeSet::new();
        for a in cx.soar.artifacts(inc.id)? {
            let t = indicator::artifact_type(cx, None, &a)?;
            let kind = artifact_types::indicator_type(&t)
                .map(str::to_string)
                .unwrap_or(t);
            have.insert((kind, a.value.clone()));
        }
        let (mut added, mut present, mut unmapped) = (0, 0, Vec::new());
        for l in linked {
            let i = l.object;
            let itype = i.type_name.clone().unwrap_or_default();
            let Some(atype) = artifact_types::artifact_type(&itype) else {
                unmapped.push(format!("{} ({itype})", i.value));
                continue;
            };
            if !have.insert((itype, i.value.clone())) {
                present += 1;
                continue;
            }
            cx.soar.create_artifact(
                inc.id,
                atype,
                &i.value,
                &format!("From ThreatQ event {event_id}"),
            )?;
            added += 1;
        }
        text.push_str(&format!(
            "; {added} indicator(s) imported as artifacts ({present} present already)"
        ));
        if !unmapped.is_empty() {
            text.push_str(&format!(
                "; not imported (no artifact type for their indicator type): {}",
                unmapped.join(", ")
            ));
        }
    }
    Ok(text)
}
