//! ThreatQ: Set Task Status (menu item, task): the task's ThreatQ task (created first when
//! it has none) gets the chosen status: To Do, In Progress, Review or Done.

use super::{task, RuleDef};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::event::IncidentView;
use crate::fields::TASK_STATUS;
use crate::message::ActionData;

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Set Task Status",
    object: "task",
    automatic: false,
    on_create_only: false,
    fields: &[TASK_STATUS],
    description: "Set the task's status within ThreatQ",
    run,
};

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let t = task(action, RULE.name)?;
    let status = action.select(TASK_STATUS.name)?.ok_or_else(|| {
        Error::action(format!(
            "{}: choose a Task Status ({})",
            RULE.name,
            crate::fields::TASK_STATUSES.join(", ")
        ))
    })?;
    let id = crate::task::ensure(cx, IncidentView::of(action), t)?;
    cx.tq.set_task_status(id, &status)?;
    Ok(format!("ThreatQ task {id} (task {}) set to {status}", t.id))
}
