//! `threatq_mark_true_positive` (ThreatQ: Mark as True Positive): the attribute "True
//! Positive" = Yes on the indicator `threatq_indicator_value` (created first, typed from the
//! value's shape, when ThreatQ does not have it). Results: `{"success": true,
//! "indicator_ids": [...]}`.

use serde_json::{json, Value};

use super::{required_text, FunctionDef};
use crate::context::Ctx;
use crate::error::Result;
use crate::fields::IN_INDICATOR_VALUE;
use crate::indicator;
use crate::mapping::indicator_kind;
use crate::message::FunctionData;
use crate::rules::mark_true_positive::ATTRIBUTE;

/// The function.
pub const FUNCTION: FunctionDef = FunctionDef {
    name: "threatq_mark_true_positive",
    display_name: "ThreatQ: Mark as True Positive",
    description:
        "This function will mark an indicator as a true positive in ThreatQ (via an attribute)",
    inputs: &[IN_INDICATOR_VALUE],
    run,
};

fn run(cx: &Ctx, f: &FunctionData) -> Result<Value> {
    let value = required_text(f, &IN_INDICATOR_VALUE)?;
    let ids = indicator::mark(cx, &value, indicator_kind::detect(&value), ATTRIBUTE)?;
    Ok(json!({ "success": true, "indicator": value, "indicator_ids": ids }))
}
