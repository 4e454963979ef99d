//! `threatq_mark_false_positive` (ThreatQ: Mark as False Positive): the attribute "False
//! Positive" = Yes on the indicator `threatq_indicator_value` (created first when ThreatQ
//! does not have it, typed from artifact `threatq_artifact_id` of incident
//! `threatq_incident_id`, else from the value's shape); with
//! `threatq_remove_artifact_after_marking` the artifact is removed. Results:
//! `{"success": true, "indicator_ids": [...], "artifact_removed": bool}`.

use serde_json::{json, Value};

use super::{flag, required_number, required_text, FunctionDef};
use crate::context::Ctx;
use crate::error::Result;
use crate::fields::{IN_ARTIFACT_ID, IN_INCIDENT_ID, IN_INDICATOR_VALUE, IN_REMOVE_ARTIFACT};
use crate::indicator;
use crate::mapping::{artifact_types, indicator_kind};
use crate::message::FunctionData;
use crate::rules::mark_false_positive::ATTRIBUTE;

/// The function.
pub const FUNCTION: FunctionDef = FunctionDef {
    name: "threatq_mark_false_positive",
    display_name: "ThreatQ: Mark as False Positive",
    description:
        "This function will mark an indicator as a false positive in ThreatQ (via an attribute)",
    inputs: &[
        IN_INCIDENT_ID,
        IN_ARTIFACT_ID,
        IN_INDICATOR_VALUE,
        IN_REMOVE_ARTIFACT,
    ],
    run,
};

fn run(cx: &Ctx, f: &FunctionData) -> Result<Value> {
    let incident = required_number(f, &IN_INCIDENT_ID)?;
    let artifact = required_number(f, &IN_ARTIFACT_ID)?;
    let value = required_text(f, &IN_INDICATOR_VALUE)?;
    let remove = flag(f, &IN_REMOVE_ARTIFACT)?;
    // The artifact's type gives the indicator type, should ThreatQ not have the indicator.
    let kind = match cx.soar.artifact(incident, artifact) {
        Ok(a) => indicator::artifact_type(cx, None, &a)
            .ok()
            .and_then(|t| artifact_types::indicator_type(&t)),
        Err(e) => {
            log::info!(
                "{}: artifact {artifact} of incident {incident}: {}; typing {value} by its shape",
                FUNCTION.name,
                e.safe_message()
            );
            None
        }
    }
    .or_else(|| indicator_kind::detect(&value));
    let ids = indicator::mark(cx, &value, kind, ATTRIBUTE)?;
    if remove {
        cx.soar.delete_artifact(incident, artifact)?;
    }
    Ok(json!({
        "success": true,
        "indicator": value,
        "indicator_ids": ids,
        "artifact_removed": remove,
    }))
}
