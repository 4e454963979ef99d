//! The workflow functions, one file each, chosen by the message's `function.name`
//! (`threatq_add_indicator` ...). Inputs are the guide's parameter names prefixed
//! `threatq_` (the unprefixed names are read too); each returns the `results` of its final
//! reply, a JSON object with `success` and what it did.

pub mod add_indicator;
pub mod find_related_indicators;
pub mod mark_false_positive;
pub mod mark_true_positive;

use serde_json::Value;

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::fields::FieldDef;
use crate::message::FunctionData;

/// One function.
#[derive(Debug)]
pub struct FunctionDef {
    /// The API name (what messages name).
    pub name: &'static str,
    /// The name shown in Resilient.
    pub display_name: &'static str,
    /// What it does (the guide's words).
    pub description: &'static str,
    /// Its inputs.
    pub inputs: &'static [FieldDef],
    /// The work; returns the results.
    pub run: fn(&Ctx, &FunctionData) -> Result<Value>,
}

/// Every function, in the guide's order.
pub const ALL: &[&FunctionDef] = &[
    &add_indicator::FUNCTION,
    &find_related_indicators::FUNCTION,
    &mark_false_positive::FUNCTION,
    &mark_true_positive::FUNCTION,
];

/// The function named `name`.
pub fn by_name(name: &str) -> Option<&'static FunctionDef> {
    ALL.iter().copied().find(|f| f.name == name)
}

/// The name an input is read under: the decided `threatq_<name>`, then the guide's bare
/// parameter name.
fn names(field: &FieldDef) -> [&str; 2] {
    [
        field.name,
        field.name.strip_prefix("threatq_").unwrap_or(field.name),
    ]
}

/// A text, textarea or select input's text (`None` when empty or absent).
pub(crate) fn text(f: &FunctionData, field: &FieldDef) -> Result<Option<String>> {
    for n in names(field) {
        if let Some(v) = f.input(n) {
            let s = match v {
                Value::Object(o) if o.contains_key("name") => f.select(n)?,
                _ => f.text(n),
            };
            if let Some(s) = s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
                return Ok(Some(s));
            }
        }
    }
    Ok(None)
}

/// A required text input.
pub(crate) fn required_text(f: &FunctionData, field: &FieldDef) -> Result<String> {
    text(f, field)?.ok_or_else(|| missing(f, field))
}

/// A required number input (an id).
pub(crate) fn required_number(f: &FunctionData, field: &FieldDef) -> Result<u64> {
    for n in names(field) {
        if let Some(v) = f.number(n)? {
            return Ok(v);
        }
    }
    Err(missing(f, field))
}

/// A boolean input (`false` when absent).
pub(crate) fn flag(f: &FunctionData, field: &FieldDef) -> Result<bool> {
    for n in names(field) {
        if let Some(b) = f.boolean(n)? {
            return Ok(b);
        }
    }
    Ok(false)
}

fn missing(f: &FunctionData, field: &FieldDef) -> Error {
    Error::action(format!(
        "{}: the input {} is required",
        f.function.name, field.name
    ))
}
