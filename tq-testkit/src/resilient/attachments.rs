//! Attachments of incidents and tasks (AttachmentDTO, research §5.3): list, metadata and
//! contents (raw bytes, `application/octet-stream`).

use serde_json::{json, Value};

use super::inferred::not_found;
use super::routes::Reply;
use super::State;
use crate::server::Response;

fn list(st: &State, pred: impl Fn(&Value) -> bool) -> Response {
    let v: Vec<&Value> = st.store.attachments.values().filter(|a| pred(a)).collect();
    Response::json(200, &json!(v))
}

fn one(st: &State, aid: u64, pred: impl Fn(&Value) -> bool, what: String) -> Reply {
    st.store
        .attachments
        .get(&aid)
        .filter(|a| pred(a))
        .map(|a| Response::json(200, a))
        .ok_or_else(|| not_found(&what))
}

fn contents(st: &State, aid: u64, pred: impl Fn(&Value) -> bool, what: String) -> Reply {
    if !st.store.attachments.get(&aid).is_some_and(pred) {
        return Err(not_found(&what));
    }
    let bytes = st.store.contents.get(&aid).cloned().unwrap_or_default();
    Ok(Response::bytes(200, "application/octet-stream", bytes))
}

/// `GET /incidents/{id}/attachments`: the incident's own attachments (not its tasks').
pub fn list_incident(st: &mut State, inc: u64) -> Reply {
    if !st.store.incidents.contains_key(&inc) {
        return Err(not_found(&format!("incident {inc}")));
    }
    Ok(list(st, |a| a["inc_id"] == inc && a["task_id"].is_null()))
}

/// `GET /incidents/{id}/attachments/{aid}`.
pub fn get_incident(st: &mut State, inc: u64, aid: u64) -> Reply {
    one(
        st,
        aid,
        |a| a["inc_id"] == inc,
        format!("attachment {aid} of incident {inc}"),
    )
}

/// `GET /incidents/{id}/attachments/{aid}/contents`.
pub fn contents_incident(st: &mut State, inc: u64, aid: u64) -> Reply {
    contents(
        st,
        aid,
        |a| a["inc_id"] == inc,
        format!("attachment {aid} of incident {inc}"),
    )
}

/// `GET /tasks/{tid}/attachments`.
pub fn list_task(st: &mut State, task: u64) -> Reply {
    if !st.store.tasks.contains_key(&task) {
        return Err(not_found(&format!("task {task}")));
    }
    Ok(list(st, |a| a["task_id"] == task))
}

/// `GET /tasks/{tid}/attachments/{aid}`.
pub fn get_task(st: &mut State, task: u64, aid: u64) -> Reply {
    one(
        st,
        aid,
        |a| a["task_id"] == task,
        format!("attachment {aid} of task {task}"),
    )
}

/// `GET /tasks/{tid}/attachments/{aid}/contents`.
pub fn contents_task(st: &mut State, task: u64, aid: u64) -> Reply {
    contents(
        st,
        aid,
        |a| a["task_id"] == task,
        format!("attachment {aid} of task {task}"),
    )
}
