//! Notes (CommentDTO, research §5.3) of incidents and of tasks: list, get, create (a reply
//! with `parent_id`). Text arrives as `{"format": "html"|"text", "content"}` and is kept as
//! HTML wrapped in a `<div>` as the sample shows; plain text is HTML-escaped first.

use serde_json::{json, Value};

use super::auth::Principal;
use super::inferred::{bad_request, not_found};
use super::routes::Reply;
use super::store::now_ms;
use super::validate::{check, json_body, opt, req, Ty, F};
use super::State;
use crate::server::{Request, Response};

const CREATE: &[F] = &[
    req("text", Ty::Text),
    opt("parent_id", Ty::Nullable(&Ty::Int)),
];

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The stored HTML of a note's text.
fn html_of(text: &Value) -> String {
    match text {
        Value::String(s) => format!("<div>{s}</div>"),
        Value::Object(o) => {
            let content = o.get("content").and_then(Value::as_str).unwrap_or_default();
            if o.get("format").and_then(Value::as_str) == Some("text") {
                format!("<div>{}</div>", escape_html(content))
            } else {
                format!("<div>{content}</div>")
            }
        }
        _ => String::new(),
    }
}

/// `GET /incidents/{id}/comments`: the incident's own notes (not its tasks').
pub fn list_incident(st: &mut State, inc: u64) -> Reply {
    if !st.store.incidents.contains_key(&inc) {
        return Err(not_found(&format!("incident {inc}")));
    }
    let v: Vec<&Value> = st
        .store
        .comments
        .values()
        .filter(|c| c["inc_id"] == inc && c["task_id"].is_null())
        .collect();
    Ok(Response::json(200, &json!(v)))
}

/// `GET /tasks/{tid}/comments`.
pub fn list_task(st: &mut State, task: u64) -> Reply {
    if !st.store.tasks.contains_key(&task) {
        return Err(not_found(&format!("task {task}")));
    }
    let v: Vec<&Value> = st
        .store
        .comments
        .values()
        .filter(|c| c["task_id"] == task)
        .collect();
    Ok(Response::json(200, &json!(v)))
}

/// `GET /incidents/{id}/comments/{cid}`.
pub fn get(st: &mut State, inc: u64, cid: u64) -> Reply {
    st.store
        .comments
        .get(&cid)
        .filter(|c| c["inc_id"] == inc)
        .map(|c| Response::json(200, c))
        .ok_or_else(|| not_found(&format!("note {cid} of incident {inc}")))
}

/// Adds a note (also used for seeding); returns it.
pub fn new_note(
    st: &mut State,
    inc: u64,
    task: Option<u64>,
    body: &Value,
    author: Option<u64>,
) -> Result<Value, Response> {
    let o = check(body, CREATE, "CommentDTO")?;
    let parent = o.get("parent_id").and_then(Value::as_u64);
    if let Some(p) = parent {
        if !st
            .store
            .comments
            .get(&p)
            .is_some_and(|c| c["inc_id"] == inc)
        {
            return Err(bad_request(&format!(
                "CommentDTO.parent_id: no note {p} here"
            )));
        }
    }
    let id = st.store.next_id();
    let user = author.and_then(|u| st.auth.users.iter().find(|x| x.id == u));
    let incident = &st.store.incidents[&inc];
    let task_name = task
        .and_then(|t| st.store.tasks.get(&t))
        .map(|t| t["name"].clone());
    let now = now_ms();
    let c = json!({
        "id": id,
        "parent_id": parent,
        "user_id": author,
        "user_fname": user.map(|u| u.fname.clone()),
        "user_lname": user.map(|u| u.lname.clone()),
        "text": html_of(&o["text"]),
        "create_date": now,
        "modify_date": now,
        "children": [],
        "mentioned_users": [],
        "is_deleted": false,
        "inc_id": inc,
        "inc_name": incident["name"],
        "task_id": task,
        "task_name": task_name,
        "type": if task.is_some() { "task" } else { "incident" },
        "inc_owner": incident["owner_id"],
    });
    st.store.comments.insert(id, c.clone());
    Ok(c)
}

fn author(who: Principal) -> Option<u64> {
    match who {
        Principal::User(u) => Some(u),
        Principal::ApiKey(_) => None,
    }
}

/// `POST /incidents/{id}/comments`.
pub fn create_incident(st: &mut State, req: &Request, who: Principal, inc: u64) -> Reply {
    if !st.store.incidents.contains_key(&inc) {
        return Err(not_found(&format!("incident {inc}")));
    }
    let body = json_body(req)?;
    Ok(Response::json(
        200,
        &new_note(st, inc, None, &body, author(who))?,
    ))
}

/// `POST /tasks/{tid}/comments`.
pub fn create_task(st: &mut State, req: &Request, who: Principal, task: u64) -> Reply {
    let inc = st
        .store
        .tasks
        .get(&task)
        .and_then(|t| t["inc_id"].as_u64())
        .ok_or_else(|| not_found(&format!("task {task}")))?;
    let body = json_body(req)?;
    Ok(Response::json(
        200,
        &new_note(st, inc, Some(task), &body, author(who))?,
    ))
}
