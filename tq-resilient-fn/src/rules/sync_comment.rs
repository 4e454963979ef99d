//! ThreatQ: Sync Comment (automatic, note): the note becomes a plain-text comment
//! ([`crate::mapping::html`]: ThreatQ comments carry no markup) on the incident's event, or,
//! for a note on a task, on the task's ThreatQ task. A comment with the same text there
//! already is not added again.

use tq_common::threatq::ObjRef;

use super::RuleDef;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::event::{self, IncidentView};
use crate::mapping::html;
use crate::message::ActionData;
use crate::task;

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Sync Comment",
    object: "note",
    automatic: true,
    on_create_only: true,
    fields: &[],
    description: "Add a note as a comment to the associated ThreatQ event or task",
    run,
};

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let note = action.note.as_ref().ok_or_else(|| {
        Error::action(format!(
            "{} acts on notes, and this message carries none (is the rule set on another \
             object type?)",
            RULE.name
        ))
    })?;
    let text = html::to_text(note.text.content());
    if text.is_empty() {
        return Ok(format!("Note {} has no text: nothing to sync", note.id));
    }
    let view = IncidentView::of(action);
    let task_id = note.task_id.or_else(|| {
        (note.note_type.as_deref() == Some("task"))
            .then(|| action.task.as_ref().map(|t| t.id))
            .flatten()
    });
    let (obj, what) = match task_id {
        Some(tid) => {
            let t = task::resilient_task(cx, action.task.as_ref(), tid)?;
            let id = task::ensure(cx, view, &t)?;
            (ObjRef::task(id), format!("ThreatQ task {id}"))
        }
        None => {
            let id = event::ensure(cx, view)?;
            (ObjRef::event(id), format!("ThreatQ event {id}"))
        }
    };
    if cx.tq.comments(&obj)?.iter().any(|c| c.value == text) {
        return Ok(format!("Note {} is on {what} already", note.id));
    }
    let c = cx.tq.add_comment(&obj, &text)?;
    Ok(format!(
        "Note {} added to {what} as comment {}",
        note.id, c.id
    ))
}
