//! The rules (menu items and automatic actions), one file each, dispatched by the rule's
//! name as `GET /actions` gives it for the message's `action_id` ("ThreatQ: Sync Incident"
//! ...; names are compared as resilient-circuits compares handler names: lower case, runs of
//! non-word characters as one `_`). Each file declares its [`RuleDef`]: the name, the object
//! it acts on, whether it is automatic, its menu fields (what `customize` installs) and the
//! function that does the work and returns the final reply's text.

pub mod find_related_indicators;
pub mod historical_sync;
pub mod import_attachment;
pub mod mark_false_positive;
pub mod mark_true_positive;
pub mod set_task_status;
pub mod sync_comment;
pub mod sync_incident;
pub mod sync_indicator;
pub mod sync_task;

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::fields::FieldDef;
use crate::message::{ActionData, Artifact, Task};

/// One rule.
#[derive(Debug)]
pub struct RuleDef {
    /// The rule's name in Resilient.
    pub name: &'static str,
    /// The object it acts on, as an export names it (`incident`, `artifact`, `note`,
    /// `task`, `attachment`).
    pub object: &'static str,
    /// Automatic (fires on changes) or a menu item.
    pub automatic: bool,
    /// Conditions of an automatic rule: fire on new objects only (else on every change).
    pub on_create_only: bool,
    /// The menu item's activity fields (also read when an automatic rule was switched to a
    /// menu item, as the guide describes).
    pub fields: &'static [FieldDef],
    /// What the guide says it does.
    pub description: &'static str,
    /// The work; returns the final reply's text.
    pub run: fn(&Ctx, &ActionData) -> Result<String>,
}

/// Every rule, in the guide's order.
pub const ALL: &[&RuleDef] = &[
    &sync_incident::RULE,
    &sync_indicator::RULE,
    &mark_false_positive::RULE,
    &mark_true_positive::RULE,
    &find_related_indicators::RULE,
    &sync_comment::RULE,
    &import_attachment::RULE,
    &sync_task::RULE,
    &set_task_status::RULE,
    &historical_sync::RULE,
];

/// A name as resilient-circuits turns it into a handler name: lower case, every run of
/// non-word characters one `_`, trimmed.
pub fn handler_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.trim().chars() {
        if c.is_alphanumeric() || c == '_' {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The rule named `name` (compared as handler names).
pub fn by_name(name: &str) -> Option<&'static RuleDef> {
    let h = handler_name(name);
    ALL.iter().copied().find(|r| handler_name(r.name) == h)
}

/// The message's artifact, or an error saying the rule needs one.
pub(crate) fn artifact<'a>(action: &'a ActionData, rule: &str) -> Result<&'a Artifact> {
    action.artifact.as_ref().ok_or_else(|| {
        Error::action(format!(
            "{rule} acts on artifacts, and this message carries none (is the rule set on \
             another object type?)"
        ))
    })
}

/// The message's task, or an error saying the rule needs one.
pub(crate) fn task<'a>(action: &'a ActionData, rule: &str) -> Result<&'a Task> {
    action.task.as_ref().ok_or_else(|| {
        Error::action(format!(
            "{rule} acts on tasks, and this message carries none (is the rule set on another \
             object type?)"
        ))
    })
}

/// The status a menu's Indicator Status gives, else `[fn_threatq] status`.
pub(crate) fn indicator_status(cx: &Ctx, action: &ActionData) -> Result<String> {
    Ok(action
        .select(crate::fields::INDICATOR_STATUS.name)?
        .unwrap_or_else(|| cx.rules.status.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_handler_names() {
        assert_eq!(
            handler_name("ThreatQ: Mark as False Positive"),
            "threatq_mark_as_false_positive"
        );
        assert_eq!(
            by_name("ThreatQ: Sync Incident").unwrap().name,
            "ThreatQ: Sync Incident"
        );
        assert_eq!(
            by_name("threatq - sync  incident").unwrap().name,
            "ThreatQ: Sync Incident"
        );
        assert!(by_name("Sync Incident").is_none());
        assert_eq!(ALL.len(), 10);
        for r in ALL {
            assert!(r.name.starts_with("ThreatQ: "), "{}", r.name);
        }
    }
}
