//! Resilient task ↔ ThreatQ task (Sync Task, Set Task Status, and the notes and attachments
//! of a task): a task becomes a ThreatQ task with status To Do, linked to the incident's
//! event; later updates change its name, instructions (the description, as plain text),
//! due date and owner (the ThreatQ user of that name or e-mail address, when there is one;
//! the attribute "Resilient Owner" either way); closing it in Resilient sets Done.
//!
//! The ThreatQ task is found among the event's tasks by its attribute "Resilient Task ID",
//! so two instances, or a later run, find it without any local state.

use tq_common::threatq::{Collection, ObjRef, Task as TqTask, TaskCreate, TaskStatus, TaskUpdate};

use crate::attributes::{self, Wanted};
use crate::context::Ctx;
use crate::error::Result;
use crate::event::{self, IncidentView, Outcome};
use crate::mapping::{dates, html};
use crate::message::Task;

/// The attribute that ties a ThreatQ task to its Resilient task.
pub const TASK_ID_ATTRIBUTE: &str = "Resilient Task ID";
/// The attribute naming the Resilient owner.
pub const OWNER_ATTRIBUTE: &str = "Resilient Owner";

/// The ThreatQ task of Resilient task `task_id` among the tasks of event `event_id`.
pub fn find(cx: &Ctx, event_id: i64, task_id: u64) -> Result<Option<TqTask>> {
    let id = task_id.to_string();
    let linked = cx
        .tq
        .linked::<TqTask>(&event::obj(event_id), &Collection::Tasks, "attributes")?;
    Ok(linked
        .into_iter()
        .map(|l| l.object)
        .filter(|t| {
            t.attributes
                .iter()
                .any(|a| a.name == TASK_ID_ATTRIBUTE && a.value == id)
        })
        .min_by_key(|t| t.id))
}

/// The owner's name, and an e-mail address when the message's labels hold one
/// ("Ana Analyst (ana@example.com)").
fn owner(task: &Task) -> Option<(String, Option<String>)> {
    let name = [task.owner_fname.as_deref(), task.owner_lname.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let label = task
        .owner_id
        .as_ref()
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let email = label
        .rsplit_once('(')
        .and_then(|(_, e)| e.strip_suffix(')'))
        .filter(|e| e.contains('@'))
        .map(str::to_string)
        .or_else(|| label.contains('@').then(|| label.to_string()));
    let name = if name.is_empty() {
        label.split(" (").next().unwrap_or_default().to_string()
    } else {
        name
    };
    (!name.is_empty() || email.is_some()).then_some((name, email))
}

/// The ThreatQ user source id of the task's owner, when ThreatQ has that user.
fn assignee(cx: &Ctx, task: &Task) -> Option<i64> {
    let (name, email) = owner(task)?;
    for who in email.iter().chain(std::iter::once(&name)) {
        if who.is_empty() {
            continue;
        }
        match cx.tq.find_user(who) {
            Ok(u) => return u.source_id,
            Err(e) if e.status().is_none() => {}
            Err(e) => {
                log::warn!(
                    "task {}: looking up the ThreatQ user {who}: {}",
                    task.id,
                    e.safe_message()
                );
                return None;
            }
        }
    }
    None
}

fn description(task: &Task) -> Option<String> {
    task.instr_text
        .as_ref()
        .map(|t| html::to_text(t.content()))
        .filter(|s| !s.is_empty())
}

fn wanted(task: &Task, incident: u64) -> Wanted {
    let mut w = Wanted::new();
    w.insert(TASK_ID_ATTRIBUTE.into(), vec![task.id.to_string()]);
    w.insert(
        event::INCIDENT_ID_ATTRIBUTE.into(),
        vec![incident.to_string()],
    );
    if let Some((name, _)) = owner(task) {
        w.insert(OWNER_ATTRIBUTE.into(), vec![name]);
    }
    w
}

fn create(cx: &Ctx, event_id: i64, task: &Task, incident: u64) -> Result<TqTask> {
    let mut t = TaskCreate::new(task.name.clone(), &cx.rules.source);
    t.status = if task.is_closed() {
        TaskStatus::Done
    } else {
        TaskStatus::ToDo
    };
    t.description = description(task);
    t.due_at = task.due_date.and_then(dates::threatq_time);
    t.assignee_source_id = assignee(cx, task);
    t.attributes = attributes::writes(&wanted(task, incident), &cx.rules.source);
    let created = cx.tq.create_task(&t)?;
    cx.tq
        .link(&event::obj(event_id), &Collection::Tasks, &[created.id])?;
    Ok(created)
}

/// The id of the task's ThreatQ task, created (linked to the incident's event, which is
/// created too if need be) when there is none. An existing one is not changed.
pub fn ensure(cx: &Ctx, view: IncidentView, task: &Task) -> Result<i64> {
    let event_id = event::ensure(cx, view)?;
    cx.locks.with(view.incident.id, || {
        if let Some(t) = find(cx, event_id, task.id)? {
            return Ok(t.id);
        }
        Ok(create(cx, event_id, task, view.incident.id)?.id)
    })
}

/// Creates or updates the task's ThreatQ task to match it; returns its id and what
/// happened.
pub fn sync(cx: &Ctx, view: IncidentView, task: &Task) -> Result<(i64, Outcome)> {
    let event_id = event::ensure(cx, view)?;
    cx.locks.with(view.incident.id, || {
        let Some(cur) = find(cx, event_id, task.id)? else {
            let t = create(cx, event_id, task, view.incident.id)?;
            return Ok((t.id, Outcome::Created));
        };
        let due = task.due_date.and_then(dates::threatq_time);
        let desc = description(task).unwrap_or_default();
        let assignee = assignee(cx, task);
        let done = task.is_closed() && cur.status_id != Some(TaskStatus::Done.id());
        let update = TaskUpdate {
            name: (cur.name != task.name).then(|| task.name.clone()),
            description: (cur.description != desc).then_some(desc),
            due_at: due.filter(|d| *d != cur.due_at),
            assignee_source_id: assignee.filter(|a| Some(*a) != cur.assignee_source_id),
            status: done.then_some(TaskStatus::Done),
            ..TaskUpdate::default()
        };
        let mut changed = false;
        if update != TaskUpdate::default() {
            cx.tq.update_task(cur.id, &update)?;
            changed = true;
        }
        let written = attributes::sync(
            cx.tq,
            &ObjRef::task(cur.id),
            Some(&cur.attributes),
            &wanted(task, view.incident.id),
            &cx.rules.source,
        )?;
        let outcome = if changed || written > 0 {
            Outcome::Updated
        } else {
            Outcome::Unchanged
        };
        Ok((cur.id, outcome))
    })
}

/// The Resilient task a message names: its `task` when sent, else `GET /tasks/{id}`.
pub fn resilient_task(cx: &Ctx, sent: Option<&Task>, id: u64) -> Result<Task> {
    match sent.filter(|t| t.id == id) {
        Some(t) => Ok(t.clone()),
        None => Ok(cx.soar.task(id)?),
    }
}
