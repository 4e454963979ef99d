//! `threatq_find_related_indicators` (ThreatQ: Find Related Indicators): the indicators
//! related in ThreatQ to `threatq_indicator_value` are added to incident
//! `threatq_incident_id` as artifacts (not those it has, by type and value). Results:
//! `{"success": true, "found": bool, "added": [{"type","value"}], "present": [...],
//! "unmapped": [...]}`.

use serde_json::{json, Value};

use super::{required_number, required_text, FunctionDef};
use crate::context::Ctx;
use crate::error::Result;
use crate::fields::{IN_INCIDENT_ID, IN_INDICATOR_VALUE};
use crate::indicator;
use crate::mapping::indicator_kind;
use crate::message::FunctionData;

/// The function.
pub const FUNCTION: FunctionDef = FunctionDef {
    name: "threatq_find_related_indicators",
    display_name: "ThreatQ: Find Related Indicators",
    description: "This function will find all related indicators to the passed indicator and then add them to the Resilient Incident",
    inputs: &[IN_INCIDENT_ID, IN_INDICATOR_VALUE],
    run,
};

fn pairs(v: &[(String, String)]) -> Value {
    Value::Array(
        v.iter()
            .map(|(t, x)| json!({ "type": t, "value": x }))
            .collect(),
    )
}

fn run(cx: &Ctx, f: &FunctionData) -> Result<Value> {
    let incident = required_number(f, &IN_INCIDENT_ID)?;
    let value = required_text(f, &IN_INDICATOR_VALUE)?;
    let r = indicator::add_related(cx, incident, &value, indicator_kind::detect(&value))?;
    Ok(json!({
        "success": true,
        "indicator": value,
        "found": r.found,
        "added": pairs(&r.added),
        "present": pairs(&r.present),
        "unmapped": pairs(&r.unmapped),
    }))
}
