//! Artifacts of an incident (IncidentArtifactDTO, research §5.3): list, `query_paged`, get,
//! create (type as id, name, `{"id"}` or `{"name"}`; the answer's form is a knob, see
//! [`super::inferred::ArtifactCreateForm`]), delete.

use serde_json::{json, Value};

use super::auth::Principal;
use super::incidents::query_body;
use super::inferred::{bad_request, not_found, ArtifactCreateForm};
use super::query::Query;
use super::routes::Reply;
use super::store::now_ms;
use super::validate::{check, json_body, opt, req, text_content, Ty, F};
use super::State;
use crate::server::{Request, Response};

const CREATE: &[F] = &[
    req("type", Ty::Any),
    req("value", Ty::Str),
    opt("description", Ty::Nullable(&Ty::Text)),
    opt("properties", Ty::Nullable(&Ty::Arr)),
    opt("relating", Ty::Nullable(&Ty::Bool)),
    opt("parent_id", Ty::Nullable(&Ty::Int)),
];

fn incident_exists(st: &State, inc: u64) -> Result<(), crate::server::Response> {
    if st.store.incidents.contains_key(&inc) {
        Ok(())
    } else {
        Err(not_found(&format!("incident {inc}")))
    }
}

fn of_incident(st: &State, inc: u64) -> impl Iterator<Item = &Value> {
    st.store
        .artifacts
        .values()
        .filter(move |a| a["inc_id"] == inc)
}

/// `GET /incidents/{id}/artifacts`.
pub fn list(st: &mut State, inc: u64) -> Reply {
    incident_exists(st, inc)?;
    let v: Vec<&Value> = of_incident(st, inc).collect();
    Ok(Response::json(200, &json!(v)))
}

/// `POST /incidents/{id}/artifacts/query_paged`.
pub fn query_paged(st: &mut State, req: &Request, inc: u64) -> Reply {
    incident_exists(st, inc)?;
    let q = Query::parse(query_body(req)?.as_ref(), true)?;
    Ok(q.run(of_incident(st, inc), st.cfg.max_page))
}

/// `GET /incidents/{id}/artifacts/{aid}`.
pub fn get(st: &mut State, inc: u64, aid: u64) -> Reply {
    incident_exists(st, inc)?;
    st.store
        .artifacts
        .get(&aid)
        .filter(|a| a["inc_id"] == inc)
        .map(|a| Response::json(200, a))
        .ok_or_else(|| not_found(&format!("artifact {aid} of incident {inc}")))
}

/// Creates an artifact from a create body (also used for seeding); returns it.
pub fn new_artifact(
    st: &mut State,
    inc: u64,
    body: &Value,
    creator: Option<u64>,
) -> Result<Value, Response> {
    incident_exists(st, inc)?;
    let o = check(body, CREATE, "IncidentArtifactDTO")?;
    let ty = st
        .store
        .artifact_type(&o["type"])
        .ok_or_else(|| {
            bad_request(&format!(
                "IncidentArtifactDTO.type: unknown artifact type {}",
                o["type"]
            ))
        })?
        .id;
    let value = o["value"].as_str().unwrap_or_default();
    if value.is_empty() {
        return Err(bad_request("IncidentArtifactDTO.value: must not be empty"));
    }
    let id = st.store.next_id();
    let incident = &st.store.incidents[&inc];
    let creator = creator
        .and_then(|u| st.auth.users.iter().find(|x| x.id == u))
        .map(|u| {
            json!({"id": u.id, "fname": u.fname, "lname": u.lname, "email": u.email,
                   "status": "A", "is_external": false, "locked": false})
        });
    let a = json!({
        "id": id,
        "type": ty,
        "value": value,
        "description": o.get("description").map(text_content),
        "inc_id": inc,
        "inc_name": incident["name"],
        "inc_owner": incident["owner_id"],
        "created": now_ms(),
        "creator": creator,
        "attachment": null,
        "parent_id": o.get("parent_id").cloned().unwrap_or(Value::Null),
        "pending_sources": [],
        "properties": o.get("properties").cloned().unwrap_or(Value::Null),
        "hits": [],
        "relating": o.get("relating").cloned().unwrap_or(Value::Null),
        "perms": {"read": true, "write": true, "delete": true}
    });
    st.store.artifacts.insert(id, a.clone());
    Ok(a)
}

/// `POST /incidents/{id}/artifacts`.
pub fn create(st: &mut State, req: &Request, who: Principal, inc: u64) -> Reply {
    let body = json_body(req)?;
    let user = match who {
        Principal::User(u) => Some(u),
        Principal::ApiKey(_) => None,
    };
    let a = new_artifact(st, inc, &body, user)?;
    Ok(match st.cfg.artifact_form {
        ArtifactCreateForm::Array => Response::json(200, &json!([a])),
        ArtifactCreateForm::Object => Response::json(200, &a),
    })
}

/// `DELETE /incidents/{id}/artifacts/{aid}`: 204.
pub fn delete(st: &mut State, inc: u64, aid: u64) -> Reply {
    incident_exists(st, inc)?;
    if st
        .store
        .artifacts
        .get(&aid)
        .is_some_and(|a| a["inc_id"] == inc)
    {
        st.store.artifacts.remove(&aid);
        Ok(Response::empty(204))
    } else {
        Err(not_found(&format!("artifact {aid} of incident {inc}")))
    }
}
