//! ThreatQ: Find Related Indicators (menu item, artifact): the indicators related in
//! ThreatQ to the artifact's indicator are added to the incident as artifacts, except those
//! it has (by type and value) and those of a type no artifact type maps to.

use super::{artifact, RuleDef};
use crate::context::Ctx;
use crate::error::Result;
use crate::indicator::{self, Related};
use crate::mapping::artifact_types;
use crate::message::ActionData;

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Find Related Indicators",
    object: "artifact",
    automatic: false,
    on_create_only: false,
    fields: &[],
    description:
        "Add the indicators related in ThreatQ to the artifact's indicator to the incident",
    run,
};

/// The final reply's text for `value`.
pub fn summary(value: &str, r: &Related) -> String {
    if !r.found {
        return format!("{value} is not in ThreatQ: no related indicators");
    }
    let list = |v: &[(String, String)]| {
        v.iter()
            .map(|(t, x)| format!("{x} ({t})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "{} related indicator(s) of {value} added as artifacts",
        r.added.len()
    );
    if !r.added.is_empty() {
        s.push_str(&format!(": {}", list(&r.added)));
    }
    if !r.present.is_empty() {
        s.push_str(&format!("; present already: {}", list(&r.present)));
    }
    if !r.unmapped.is_empty() {
        s.push_str(&format!(
            "; not added (no artifact type for their indicator type): {}",
            list(&r.unmapped)
        ));
    }
    s
}

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let a = artifact(action, RULE.name)?;
    let atype = indicator::artifact_type(cx, Some(action), a)?;
    let r = indicator::add_related(
        cx,
        action.incident.id,
        &a.value,
        artifact_types::indicator_type(&atype),
    )?;
    Ok(summary(&a.value, &r))
}
