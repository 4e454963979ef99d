//! Incidents (FullIncidentDataDTO, research §5.3): get (with `handle_format=names`), create,
//! PUT and PATCH (with the version check), `query_paged` and `query`.

use serde_json::{json, Map, Value};

use super::auth::Principal;
use super::inferred::{self, bad_request, conflict, not_found, patch_field, patch_value};
use super::query::Query;
use super::routes::Reply;
use super::store::now_ms;
use super::validate::{check, json_body, opt, req, text_content, Ty, F};
use super::State;
use crate::server::{Request, Response};

/// The fields a new incident may have.
const CREATE: &[F] = &[
    req("name", Ty::Str),
    opt("description", Ty::Nullable(&Ty::Text)),
    req("discovered_date", Ty::Int),
    opt("start_date", Ty::Nullable(&Ty::Int)),
    opt("due_date", Ty::Nullable(&Ty::Int)),
    opt("severity_code", Ty::Nullable(&Ty::Any)),
    opt("phase_id", Ty::Nullable(&Ty::Any)),
    opt("incident_type_ids", Ty::Arr),
    opt("owner_id", Ty::Nullable(&Ty::Any)),
    opt("plan_status", Ty::Str),
    opt("confirmed", Ty::Bool),
    opt("inc_training", Ty::Bool),
    opt("properties", Ty::Obj),
];

/// Fields a client may not change with PUT.
const READ_ONLY: &[&str] = &["id", "org_id", "create_date", "inc_training"];

/// An incident with names for its select fields (`handle_format=names`).
fn with_names(st: &State, mut inc: Value) -> Value {
    let name_of = |table: &[(u64, &str)], v: &Value| {
        v.as_u64()
            .and_then(|id| table.iter().find(|(i, _)| *i == id))
            .map(|(_, n)| json!(n))
            .unwrap_or_else(|| v.clone())
    };
    if let Some(v) = inc.get("severity_code").cloned() {
        inc["severity_code"] = name_of(inferred::SEVERITIES, &v);
    }
    if let Some(v) = inc.get("phase_id").cloned() {
        inc["phase_id"] = name_of(inferred::PHASES, &v);
    }
    if let Some(owner) = inc.get("owner_id").and_then(Value::as_u64) {
        if let Some(u) = st.auth.users.iter().find(|u| u.id == owner) {
            inc["owner_id"] = json!(u.email);
        }
    }
    inc
}

fn wants_names(req: &Request) -> bool {
    req.query_param("handle_format") == Some("names")
        || req.header("handle_format") == Some("names")
}

/// `GET /incidents/{id}`.
pub fn get(st: &mut State, req: &Request, id: u64) -> Reply {
    let inc = st
        .store
        .incidents
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(&format!("incident {id}")))?;
    Ok(Response::json(
        200,
        &if wants_names(req) {
            with_names(st, inc)
        } else {
            inc
        },
    ))
}

/// Checks custom fields exist.
fn check_properties(st: &State, props: Option<&Value>) -> Result<(), Response> {
    for k in props
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if !st.store.is_custom_incident_field(k) {
            return Err(bad_request(&format!(
                "properties.{k}: no such custom incident field"
            )));
        }
    }
    Ok(())
}

/// A select value given as an id or a name, stored as the id.
fn select_id(table: &[(u64, &str)], field: &str, v: &Value) -> Result<Value, Response> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Number(n)
            if n.as_u64()
                .is_some_and(|i| table.iter().any(|(t, _)| *t == i)) =>
        {
            Ok(v.clone())
        }
        Value::String(s) => table
            .iter()
            .find(|(_, n)| n == s)
            .map(|(i, _)| json!(i))
            .ok_or_else(|| bad_request(&format!("{field}: unknown value {s:?}"))),
        other => Err(bad_request(&format!("{field}: unknown value {other}"))),
    }
}

/// Builds a new incident from a create body (also used for seeding).
pub fn new_incident(st: &mut State, body: &Value, owner: Option<u64>) -> Result<u64, Response> {
    let o = check(body, CREATE, "IncidentDTO")?;
    check_properties(st, o.get("properties"))?;
    let severity = select_id(
        inferred::SEVERITIES,
        "severity_code",
        o.get("severity_code").unwrap_or(&json!(50)),
    )?;
    let phase = select_id(
        inferred::PHASES,
        "phase_id",
        o.get("phase_id").unwrap_or(&json!(1005)),
    )?;
    let id = st.store.next_id();
    let mut props: Map<String, Value> = st
        .store
        .fields
        .get("incident")
        .into_iter()
        .flatten()
        .filter(|d| d["prefix"] == "properties")
        .filter_map(|d| d["name"].as_str().map(|n| (n.to_string(), Value::Null)))
        .collect();
    if let Some(p) = o.get("properties").and_then(Value::as_object) {
        props.extend(p.clone());
    }
    let inc = json!({
        "id": id,
        "name": o["name"],
        "description": o.get("description").map(text_content),
        "discovered_date": o["discovered_date"],
        "create_date": now_ms(),
        "start_date": o.get("start_date").cloned().unwrap_or(Value::Null),
        "due_date": o.get("due_date").cloned().unwrap_or(Value::Null),
        "owner_id": o.get("owner_id").cloned().or(owner.map(|u| json!(u))).unwrap_or(Value::Null),
        "phase_id": phase,
        "severity_code": severity,
        "plan_status": o.get("plan_status").cloned().unwrap_or(json!("A")),
        "incident_type_ids": o.get("incident_type_ids").cloned().unwrap_or(json!([])),
        "org_id": st.org.id,
        "vers": 1,
        "confirmed": o.get("confirmed").cloned().unwrap_or(json!(false)),
        "inc_training": o.get("inc_training").cloned().unwrap_or(json!(false)),
        "properties": props,
    });
    st.store.incidents.insert(id, inc);
    Ok(id)
}

/// `POST /incidents`.
pub fn create(st: &mut State, req: &Request, who: Principal) -> Reply {
    let body = json_body(req)?;
    let owner = match who {
        Principal::User(u) => Some(u),
        Principal::ApiKey(_) => None,
    };
    let id = new_incident(st, &body, owner)?;
    Ok(Response::json(200, &st.store.incidents[&id]))
}

/// `PUT /incidents/{id}`: the whole incident, with the `vers` it was read at.
pub fn put(st: &mut State, req: &Request, id: u64) -> Reply {
    let body = json_body(req)?;
    let Some(cur) = st.store.incidents.get(&id).cloned() else {
        return Err(not_found(&format!("incident {id}")));
    };
    let o = body
        .as_object()
        .ok_or_else(|| bad_request("IncidentDTO: a JSON object is expected"))?;
    for k in o.keys() {
        if cur.get(k).is_none() {
            return Err(inferred::unknown_field(k, "IncidentDTO"));
        }
    }
    if o.get("vers") != cur.get("vers") {
        return Err(conflict(&format!("incident {id}")));
    }
    for k in READ_ONLY {
        if o.get(*k).is_some_and(|v| Some(v) != cur.get(*k)) {
            return Err(bad_request(&format!("IncidentDTO.{k}: cannot be changed")));
        }
    }
    check_properties(st, o.get("properties"))?;
    let mut next = cur.clone();
    for (k, v) in o {
        if k == "properties" {
            if let (Some(dst), Some(src)) = (next["properties"].as_object_mut(), v.as_object()) {
                dst.extend(src.clone());
            }
        } else if k == "description" {
            next[k] = json!(text_content(v));
        } else {
            next[k] = v.clone();
        }
    }
    next["vers"] = json!(cur["vers"].as_u64().unwrap_or(0) + 1);
    st.store.incidents.insert(id, next.clone());
    Ok(Response::json(200, &next))
}

const PATCH: &[F] = &[req("changes", Ty::Arr), req("version", Ty::Int)];
const CHANGE: &[F] = &[
    req("field", Ty::Str),
    opt("old_value", Ty::Any),
    req("new_value", Ty::Obj),
];

/// `PATCH /incidents/{id}`: `{"changes":[{"field","old_value","new_value"}],"version"}`.
pub fn patch(st: &mut State, req: &Request, id: u64) -> Reply {
    let body = json_body(req)?;
    let o = check(&body, PATCH, "PatchDTO")?;
    let Some(cur) = st.store.incidents.get(&id).cloned() else {
        return Err(not_found(&format!("incident {id}")));
    };
    if o.get("version") != cur.get("vers") {
        return Err(conflict(&format!("incident {id}")));
    }
    let mut next = cur.clone();
    for c in o["changes"].as_array().into_iter().flatten() {
        let co = check(c, CHANGE, "FieldChangeDTO")?;
        let name = co["field"].as_str().unwrap_or_default();
        let value = patch_value(&co["new_value"])
            .ok_or_else(|| bad_request(&format!("{name}: new_value holds no value")))?;
        let store = &st.store;
        match patch_field(name, &|n| store.is_custom_incident_field(n)) {
            ("properties", n) => {
                if !st.store.is_custom_incident_field(n) {
                    return Err(bad_request(&format!(
                        "{name}: no such custom incident field"
                    )));
                }
                next["properties"][n] = value;
            }
            (_, n) => {
                if READ_ONLY.contains(&n) || n == "vers" || cur.get(n).is_none() {
                    return Err(bad_request(&format!("{name}: no such field, or read-only")));
                }
                next[n] = if n == "description" {
                    json!(text_content(&value))
                } else {
                    value
                };
            }
        }
    }
    next["vers"] = json!(cur["vers"].as_u64().unwrap_or(0) + 1);
    st.store.incidents.insert(id, next);
    Ok(Response::json(
        200,
        &json!({"success": true, "field_failures": [], "message": null}),
    ))
}

fn optional_body(req: &Request) -> Result<Option<Value>, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        json_body(req).map(Some)
    }
}

/// `POST /incidents/query_paged`.
pub fn query_paged(st: &mut State, req: &Request) -> Reply {
    let q = Query::parse(optional_body(req)?.as_ref(), true)?;
    Ok(q.run(st.store.incidents.values(), st.cfg.max_page))
}

/// `POST /incidents/query` (no paging): a list.
pub fn query(st: &mut State, req: &Request) -> Reply {
    let q = Query::parse(optional_body(req)?.as_ref(), false)?;
    Ok(q.run_unpaged(st.store.incidents.values()))
}

/// The optional body of a query (shared with artifacts).
pub fn query_body(req: &Request) -> Result<Option<Value>, Response> {
    optional_body(req)
}
