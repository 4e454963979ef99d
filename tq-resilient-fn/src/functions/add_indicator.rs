//! `threatq_add_indicator` (ThreatQ: Add Indicator): adds an indicator to ThreatQ. Inputs:
//! `threatq_indicator_value` (required), `threatq_indicator_type` (a ThreatQ type name;
//! parsed from the value when empty, [`crate::mapping::indicator_kind`]),
//! `threatq_indicator_status` (else `[fn_threatq] status`), `threatq_indicator_confidence`
//! (the attribute "Confidence"). Results: `{"success": true, "indicator": {"id", "value",
//! "type", "status"}}` (and `"confidence"` when given).

use serde_json::{json, Value};
use tq_common::threatq::ObjRef;

use super::{required_text, text, FunctionDef};
use crate::attributes::{self, Wanted};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::fields::{
    IN_INDICATOR_CONFIDENCE, IN_INDICATOR_STATUS, IN_INDICATOR_TYPE, IN_INDICATOR_VALUE,
};
use crate::indicator;
use crate::mapping::indicator_kind;
use crate::message::FunctionData;
use crate::rules::sync_indicator::CONFIDENCE_ATTRIBUTE;

/// The function.
pub const FUNCTION: FunctionDef = FunctionDef {
    name: "threatq_add_indicator",
    display_name: "ThreatQ: Add Indicator",
    description: "This function will add an indicator to ThreatQ",
    inputs: &[
        IN_INDICATOR_VALUE,
        IN_INDICATOR_TYPE,
        IN_INDICATOR_STATUS,
        IN_INDICATOR_CONFIDENCE,
    ],
    run,
};

fn run(cx: &Ctx, f: &FunctionData) -> Result<Value> {
    let value = required_text(f, &IN_INDICATOR_VALUE)?;
    let kind = match text(f, &IN_INDICATOR_TYPE)? {
        Some(t) => t,
        None => indicator_kind::detect(&value)
            .ok_or_else(|| {
                Error::action(format!(
                    "the indicator type of \"{value}\" cannot be told from its value: give \
                     {}",
                    IN_INDICATOR_TYPE.name
                ))
            })?
            .to_string(),
    };
    let status = text(f, &IN_INDICATOR_STATUS)?.unwrap_or_else(|| cx.rules.status.clone());
    let confidence = text(f, &IN_INDICATOR_CONFIDENCE)?;
    let id = indicator::upsert(cx, &value, &kind, Some(&status))?;
    let mut out = json!({
        "success": true,
        "indicator": { "id": id, "value": value, "type": kind, "status": status },
    });
    if let Some(c) = confidence {
        let mut w = Wanted::new();
        w.insert(CONFIDENCE_ATTRIBUTE.into(), vec![c.clone()]);
        attributes::sync(cx.tq, &ObjRef::indicator(id), None, &w, &cx.rules.source)?;
        out["indicator"]["confidence"] = json!(c);
    }
    Ok(out)
}
