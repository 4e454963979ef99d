//! ThreatQ: Mark as False Positive (menu item, artifact): the attribute "False Positive" =
//! Yes on the artifact's indicator (created first when ThreatQ does not have it); with
//! Remove Artifact After Marking = Yes the artifact is removed from the incident.

use super::{artifact, RuleDef};
use crate::context::Ctx;
use crate::error::Result;
use crate::fields::REMOVE_ARTIFACT;
use crate::indicator;
use crate::mapping::artifact_types;
use crate::message::ActionData;

/// The attribute it sets.
pub const ATTRIBUTE: &str = "False Positive";

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Mark as False Positive",
    object: "artifact",
    automatic: false,
    on_create_only: false,
    fields: &[REMOVE_ARTIFACT],
    description: "Mark the artifact as a false positive within ThreatQ",
    run,
};

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let a = artifact(action, RULE.name)?;
    let atype = indicator::artifact_type(cx, Some(action), a)?;
    let kind = artifact_types::indicator_type(&atype);
    let remove = action.yes_no(REMOVE_ARTIFACT.name)?.unwrap_or(false);
    let ids = indicator::mark(cx, &a.value, kind, ATTRIBUTE)?;
    let mut text = format!(
        "{} marked as a false positive in ThreatQ (indicator {})",
        a.value,
        join(&ids)
    );
    if remove {
        cx.soar.delete_artifact(action.incident.id, a.id)?;
        text.push_str(&format!("; artifact {} removed from the incident", a.id));
    }
    Ok(text)
}

/// Ids as "1, 2".
pub fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
