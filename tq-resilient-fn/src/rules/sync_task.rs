//! ThreatQ: Sync Task (automatic, task): the task becomes a ThreatQ task (status To Do)
//! related to the incident's event; later updates change its name, instructions, due date
//! and owner, and closing it sets Done ([`crate::task`]).

use super::sync_incident::outcome_text;
use super::{task, RuleDef};
use crate::context::Ctx;
use crate::error::Result;
use crate::event::IncidentView;
use crate::message::ActionData;

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Sync Task",
    object: "task",
    automatic: true,
    on_create_only: false,
    fields: &[],
    description: "Sync a task to ThreatQ; updates of the task update ThreatQ",
    run,
};

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let t = task(action, RULE.name)?;
    let (id, outcome) = crate::task::sync(cx, IncidentView::of(action), t)?;
    Ok(format!(
        "Task {} synced to ThreatQ task {id} ({})",
        t.id,
        outcome_text(outcome)
    ))
}
