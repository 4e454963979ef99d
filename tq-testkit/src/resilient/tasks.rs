//! Tasks (TaskDTO, research §5.3): the tasks of an incident, get, and PUT of the whole task
//! (the get-modify-put that closes or reopens one; a stale `vers` is 409).

use serde_json::{json, Value};

use super::inferred::{bad_request, conflict, not_found, unknown_field};
use super::routes::Reply;
use super::store::now_ms;
use super::validate::json_body;
use super::State;
use crate::server::{Request, Response};

/// The fields of a TaskDTO (samples/resilient-action-task.json) plus `vers`.
pub const TASK_FIELDS: &[&str] = &[
    "id",
    "name",
    "inc_id",
    "inc_name",
    "inc_owner_id",
    "status",
    "required",
    "due_date",
    "owner_id",
    "owner_fname",
    "owner_lname",
    "phase_id",
    "cat_name",
    "category_id",
    "init_date",
    "closed_date",
    "instr_text",
    "active",
    "custom",
    "frozen",
    "members",
    "notes",
    "notes_count",
    "attachments_count",
    "src_name",
    "at_id",
    "perms",
    "vers",
];

/// Fields a PUT may not change.
const FIXED: &[&str] = &["id", "inc_id"];

/// A new task (seeding); returns its id.
pub fn new_task(
    st: &mut State,
    inc: u64,
    name: &str,
    instructions: &str,
    owner: Option<u64>,
) -> Result<u64, Response> {
    let incident = st
        .store
        .incidents
        .get(&inc)
        .cloned()
        .ok_or_else(|| not_found(&format!("incident {inc}")))?;
    let id = st.store.next_id();
    let user = owner.and_then(|u| st.auth.users.iter().find(|x| x.id == u));
    let t = json!({
        "id": id, "name": name, "inc_id": inc, "inc_name": incident["name"],
        "inc_owner_id": incident["owner_id"], "status": "O", "required": true, "due_date": null,
        "owner_id": owner, "owner_fname": user.map(|u| u.fname.clone()),
        "owner_lname": user.map(|u| u.lname.clone()), "phase_id": incident["phase_id"],
        "cat_name": "Respond", "category_id": 1, "init_date": now_ms(), "closed_date": null,
        "instr_text": instructions, "active": true, "custom": true, "frozen": false,
        "members": null, "notes": [], "notes_count": 0, "attachments_count": 0,
        "src_name": null, "at_id": null, "vers": 1,
        "perms": {"read": true, "write": true, "comment": true, "close": true}
    });
    st.store.tasks.insert(id, t);
    Ok(id)
}

fn with_names(st: &State, mut t: Value) -> Value {
    if let Some(owner) = t.get("owner_id").and_then(Value::as_u64) {
        if let Some(u) = st.auth.users.iter().find(|u| u.id == owner) {
            t["owner_id"] = json!(u.email);
        }
    }
    t
}

/// `GET /incidents/{id}/tasks` (`want_layouts`, `want_notes`, `handle_format` accepted).
pub fn list(st: &mut State, req: &Request, inc: u64) -> Reply {
    if !st.store.incidents.contains_key(&inc) {
        return Err(not_found(&format!("incident {inc}")));
    }
    let names = req.query_param("handle_format") == Some("names");
    let v: Vec<Value> = st
        .store
        .tasks
        .values()
        .filter(|t| t["inc_id"] == inc)
        .map(|t| {
            if names {
                with_names(st, t.clone())
            } else {
                t.clone()
            }
        })
        .collect();
    Ok(Response::json(200, &json!(v)))
}

/// `GET /tasks/{tid}`.
pub fn get(st: &mut State, req: &Request, task: u64) -> Reply {
    let t = st
        .store
        .tasks
        .get(&task)
        .cloned()
        .ok_or_else(|| not_found(&format!("task {task}")))?;
    let names = req.query_param("handle_format") == Some("names");
    Ok(Response::json(
        200,
        &if names { with_names(st, t) } else { t },
    ))
}

/// `PUT /tasks/{tid}`: the whole TaskDTO.
pub fn put(st: &mut State, req: &Request, task: u64) -> Reply {
    let body = json_body(req)?;
    let cur = st
        .store
        .tasks
        .get(&task)
        .cloned()
        .ok_or_else(|| not_found(&format!("task {task}")))?;
    let o = body
        .as_object()
        .ok_or_else(|| bad_request("TaskDTO: a JSON object is expected"))?;
    if let Some(k) = o.keys().find(|k| !TASK_FIELDS.contains(&k.as_str())) {
        return Err(unknown_field(k, "TaskDTO"));
    }
    if let Some(v) = o.get("vers") {
        if Some(v) != cur.get("vers") {
            return Err(conflict(&format!("task {task}")));
        }
    }
    for k in FIXED {
        if o.get(*k).is_some_and(|v| Some(v) != cur.get(*k)) {
            return Err(bad_request(&format!("TaskDTO.{k}: cannot be changed")));
        }
    }
    if let Some(s) = o.get("status") {
        if !matches!(s.as_str(), Some("O") | Some("C")) {
            return Err(bad_request(&format!(
                "TaskDTO.status: expected \"O\" or \"C\", got {s}"
            )));
        }
    }
    let mut next = cur.clone();
    for (k, v) in o {
        next[k] = v.clone();
    }
    match (cur["status"].as_str(), next["status"].as_str()) {
        (Some("O"), Some("C")) => next["closed_date"] = json!(now_ms()),
        (_, Some("O")) => next["closed_date"] = Value::Null,
        _ => {}
    }
    next["vers"] = json!(cur["vers"].as_u64().unwrap_or(0) + 1);
    st.store.tasks.insert(task, next.clone());
    Ok(Response::json(200, &next))
}
