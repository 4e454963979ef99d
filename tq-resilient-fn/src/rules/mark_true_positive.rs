//! ThreatQ: Mark as True Positive (menu item, artifact): the attribute "True Positive" = Yes
//! on the artifact's indicator (created first when ThreatQ does not have it).

use super::mark_false_positive::join;
use super::{artifact, RuleDef};
use crate::context::Ctx;
use crate::error::Result;
use crate::indicator;
use crate::mapping::artifact_types;
use crate::message::ActionData;

/// The attribute it sets.
pub const ATTRIBUTE: &str = "True Positive";

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Mark as True Positive",
    object: "artifact",
    automatic: false,
    on_create_only: false,
    fields: &[],
    description: "Mark the artifact as a true positive within ThreatQ",
    run,
};

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let a = artifact(action, RULE.name)?;
    let atype = indicator::artifact_type(cx, Some(action), a)?;
    let ids = indicator::mark(
        cx,
        &a.value,
        artifact_types::indicator_type(&atype),
        ATTRIBUTE,
    )?;
    Ok(format!(
        "{} marked as a true positive in ThreatQ (indicator {})",
        a.value,
        join(&ids)
    ))
}
