//! What an app reads at startup and what `customize` writes (research §4, §5.3, §7): server
//! constants, the org, rules (`/actions`), functions, message destinations (list, get, PUT
//! for membership, create), field definitions and types, and the import API
//! (`/configurations/imports`: POST an export, PUT it back `ACCEPTED` to apply it).

use serde_json::{json, Map, Value};

use super::inferred::{bad_request, not_found, unknown_field};
use super::routes::Reply;
use super::validate::{check, json_body, opt, req, Ty, F};
use super::{samples, State};
use crate::server::{Request, Response};

/// `GET /rest/const` (the sample).
pub fn constants() -> Response {
    Response::json(200, &samples::rest("GET /rest/const")["response"])
}

/// `GET /rest/orgs/{id}`: FullOrgDTO.
pub fn org(st: &State) -> Response {
    Response::json(
        200,
        &json!({
            "id": st.org.id,
            "name": st.org.name,
            "uuid": st.org.uuid,
            "cloud_account": st.org.cloud_account,
            "actions_framework_enabled": st.cfg.actions_framework_enabled,
            "incident_artifact_types": st.store.artifact_types_map(),
        }),
    )
}

fn entities<'a>(items: impl Iterator<Item = &'a Value>) -> Response {
    let v: Vec<&Value> = items.collect();
    Response::json(200, &json!({ "entities": v }))
}

/// `GET /actions`: the rules (`entities[].id → name`, research §3.1).
pub fn actions(st: &mut State) -> Reply {
    Ok(entities(st.store.actions.values()))
}

/// `GET /functions`.
pub fn functions(st: &mut State) -> Reply {
    Ok(entities(st.store.functions.values()))
}

/// `GET /functions/{name}` (`handle_format=names` gives `destination_handle` as the
/// destination's programmatic name; the fake always answers that way).
pub fn function(st: &mut State, name: &str) -> Reply {
    st.store
        .functions
        .values()
        .find(|f| f["name"] == name)
        .map(|f| Response::json(200, f))
        .ok_or_else(|| not_found(&format!("function {name}")))
}

/// `GET /message_destinations`.
pub fn destinations(st: &mut State) -> Reply {
    Ok(entities(st.store.destinations.values()))
}

/// `GET /message_destinations/{id}`.
pub fn destination(st: &mut State, id: u64) -> Reply {
    st.store
        .destinations
        .get(&id)
        .map(|d| Response::json(200, d))
        .ok_or_else(|| not_found(&format!("message destination {id}")))
}

const DESTINATION: &[F] = &[
    opt("id", Ty::Int),
    req("name", Ty::Str),
    req("programmatic_name", Ty::Str),
    opt("destination_type", Ty::Int),
    opt("expect_ack", Ty::Bool),
    opt("users", Ty::Arr),
    opt("api_keys", Ty::Arr),
    opt("uuid", Ty::Nullable(&Ty::Str)),
    opt("export_key", Ty::Nullable(&Ty::Str)),
    opt("tags", Ty::Arr),
];

/// Checks members: user ids and API key handles that exist.
fn check_members(st: &State, o: &Map<String, Value>) -> Result<(), Response> {
    for u in o
        .get("users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !u.as_u64().is_some_and(|id| st.auth.user_exists(id)) {
            return Err(bad_request(&format!(
                "MessageDestinationDTO.users: no user {u}"
            )));
        }
    }
    for k in o
        .get("api_keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !k
            .as_u64()
            .is_some_and(|h| st.auth.api_keys.iter().any(|x| x.handle == h))
        {
            return Err(bad_request(&format!(
                "MessageDestinationDTO.api_keys: no API key {k}"
            )));
        }
    }
    Ok(())
}

/// Creates a destination (also used by imports and seeding); returns its id.
pub fn new_destination(
    st: &mut State,
    name: &str,
    programmatic_name: &str,
) -> Result<u64, Response> {
    if st.store.destination_by_name(programmatic_name).is_some() {
        return Err(bad_request(&format!(
            "a message destination {programmatic_name} exists"
        )));
    }
    let id = st.store.next_id();
    st.store.destinations.insert(
        id,
        json!({
            "id": id,
            "name": name,
            "programmatic_name": programmatic_name,
            "destination_type": 0,
            "expect_ack": true,
            "users": [],
            "api_keys": [],
            "uuid": format!("11a234ac-0000-4000-8000-{id:012}"),
            "export_key": programmatic_name,
            "tags": []
        }),
    );
    Ok(id)
}

/// `POST /message_destinations`.
pub fn create_destination(st: &mut State, req: &Request) -> Reply {
    let body = json_body(req)?;
    let o = check(&body, DESTINATION, "MessageDestinationDTO")?;
    check_members(st, o)?;
    let id = new_destination(
        st,
        o["name"].as_str().unwrap_or_default(),
        o["programmatic_name"].as_str().unwrap_or_default(),
    )?;
    let d = st.store.destinations.get_mut(&id).expect("just made");
    for k in ["destination_type", "expect_ack", "users", "api_keys"] {
        if let Some(v) = o.get(k) {
            d[k] = v.clone();
        }
    }
    Ok(Response::json(200, d))
}

/// `PUT /message_destinations/{id}`: the whole destination (get-modify-put of `users` /
/// `api_keys`, research §7 step 3).
pub fn put_destination(st: &mut State, req: &Request, id: u64) -> Reply {
    let body = json_body(req)?;
    let o = check(&body, DESTINATION, "MessageDestinationDTO")?;
    let cur = st
        .store
        .destinations
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(&format!("message destination {id}")))?;
    for k in ["id", "programmatic_name"] {
        if o.get(k).is_some_and(|v| Some(v) != cur.get(k)) {
            return Err(bad_request(&format!(
                "MessageDestinationDTO.{k}: cannot be changed"
            )));
        }
    }
    check_members(st, o)?;
    let mut next = cur;
    for (k, v) in o {
        next[k] = v.clone();
    }
    st.store.destinations.insert(id, next.clone());
    Ok(Response::json(200, &next))
}

/// The type name of a `type_id`.
fn type_name(type_id: u64) -> Option<&'static str> {
    match type_id {
        0 => Some("incident"),
        1 => Some("task"),
        4 => Some("artifact"),
        6 => Some("actioninvocation"),
        11 => Some("__function"),
        _ => None,
    }
}

fn type_id(name: &str) -> Option<u64> {
    [0, 1, 4, 6, 11]
        .into_iter()
        .find(|id| type_name(*id) == Some(name))
}

/// The `type` field of artifacts: a select of the artifact types.
fn artifact_type_field(st: &State) -> Value {
    let values: Vec<Value> = st
        .store
        .artifact_types
        .iter()
        .map(|t| {
            json!({"value": t.id, "label": t.name, "enabled": true, "hidden": false,
                   "default": false, "properties": null, "uuid": null})
        })
        .collect();
    json!({"id": 85, "name": "type", "text": "Type", "input_type": "select", "type_id": 4,
           "prefix": null, "values": values})
}

fn field_defs(st: &State, t: &str) -> Option<Vec<Value>> {
    if t == "artifact" {
        return Some(vec![artifact_type_field(st)]);
    }
    st.store.fields.get(t).cloned()
}

/// `GET /types/{type}`: `{"type_name", "fields": {name: FieldDefDTO}}`.
pub fn type_def(st: &mut State, t: &str) -> Reply {
    let defs = field_defs(st, t).ok_or_else(|| not_found(&format!("type {t}")))?;
    let fields: Map<String, Value> = defs
        .into_iter()
        .filter_map(|d| d["name"].as_str().map(|n| (n.to_string(), d.clone())))
        .collect();
    let id = type_id(t);
    Ok(Response::json(
        200,
        &json!({"id": id, "type_id": id, "type_name": t, "display_name": t, "fields": fields}),
    ))
}

/// `GET /types/{type}/fields`.
pub fn fields(st: &mut State, t: &str) -> Reply {
    let defs = field_defs(st, t).ok_or_else(|| not_found(&format!("type {t}")))?;
    Ok(Response::json(200, &json!(defs)))
}

const FIELD: &[F] = &[
    req("name", Ty::Str),
    opt("text", Ty::Str),
    opt("input_type", Ty::Str),
    opt("type_id", Ty::Int),
    opt("prefix", Ty::Nullable(&Ty::Str)),
    opt("values", Ty::Arr),
    opt("required", Ty::Nullable(&Ty::Str)),
    opt("tooltip", Ty::Nullable(&Ty::Str)),
    opt("placeholder", Ty::Nullable(&Ty::Str)),
    opt("blank_option", Ty::Bool),
    opt("internal", Ty::Bool),
    opt("read_only", Ty::Bool),
    opt("rich_text", Ty::Bool),
    opt("templates", Ty::Arr),
    opt("operations", Ty::Arr),
    opt("operation_perms", Ty::Obj),
    opt("changeable", Ty::Bool),
    opt("chosen", Ty::Bool),
    opt("default_chosen_by_server", Ty::Bool),
    opt("deprecated", Ty::Bool),
    opt("hide_notification", Ty::Bool),
    opt("uuid", Ty::Nullable(&Ty::Str)),
    opt("export_key", Ty::Nullable(&Ty::Str)),
];

const INPUT_TYPES: &[&str] = &[
    "text",
    "textarea",
    "number",
    "boolean",
    "select",
    "multiselect",
    "datepicker",
    "datetimepicker",
];

/// Adds a field definition (POST and imports); skipped when one of that name exists.
fn add_field(st: &mut State, t: &str, def: &Value) -> Result<(bool, Value), Response> {
    let o = check(def, FIELD, "FieldDefDTO")?;
    let name = o["name"].as_str().unwrap_or_default();
    if let Some(it) = o.get("input_type").and_then(Value::as_str) {
        if !INPUT_TYPES.contains(&it) {
            return Err(bad_request(&format!(
                "FieldDefDTO.input_type: unknown {it:?}"
            )));
        }
    }
    let list = st
        .store
        .fields
        .get(t)
        .ok_or_else(|| not_found(&format!("type {t}")))?;
    if let Some(d) = list.iter().find(|d| d["name"] == name) {
        return Ok((false, d.clone()));
    }
    let id = st.store.next_id();
    let mut d = def.clone();
    d["id"] = json!(id);
    d["type_id"] = json!(type_id(t));
    if d.get("prefix").is_none() {
        d["prefix"] = if t == "__function" {
            Value::Null
        } else {
            json!("properties")
        };
    }
    if d.get("uuid").is_none_or(Value::is_null) {
        d["uuid"] = json!(format!("f1e1d000-0000-4000-8000-{id:012}"));
    }
    if d.get("values").is_none() {
        d["values"] = json!([]);
    }
    // Add the new custom field (null) to every incident, as SOAR shows it.
    if t == "incident" {
        for inc in st.store.incidents.values_mut() {
            inc["properties"][name] = Value::Null;
        }
    }
    st.store
        .fields
        .entry(t.to_string())
        .or_default()
        .push(d.clone());
    Ok((true, d))
}

/// `POST /types/{type}/fields`.
pub fn create_field(st: &mut State, req: &Request, t: &str) -> Reply {
    let body = json_body(req)?;
    match add_field(st, t, &body)? {
        (true, d) => Ok(Response::json(200, &d)),
        (false, _) => Err(bad_request(&format!(
            "a field {} exists on {t}",
            body["name"].as_str().unwrap_or_default()
        ))),
    }
}

/// The top-level keys of an export (research §7; samples/resilient-export-snippet.json).
const EXPORT_KEYS: &[&str] = &[
    "actions",
    "action_order",
    "apps",
    "automatic_tasks",
    "export_date",
    "export_format_version",
    "export_type",
    "fields",
    "functions",
    "geos",
    "id",
    "incident_artifact_types",
    "incident_types",
    "industries",
    "layouts",
    "locale",
    "message_destinations",
    "notifications",
    "overrides",
    "phases",
    "playbooks",
    "regulators",
    "roles",
    "scripts",
    "server_version",
    "tags",
    "task_order",
    "timeframes",
    "types",
    "workflows",
    "workspaces",
];

/// Keys an import has besides the export's.
const IMPORT_KEYS: &[&str] = &["status", "messages"];

/// Checks an export (or an import) body: known top-level keys, the parts customize uses
/// well formed and consistent (rules and functions name destinations, view items name fields
/// that exist).
fn check_export(st: &State, body: &Value, import: bool) -> Result<(), Response> {
    let o = body
        .as_object()
        .ok_or_else(|| bad_request("ImportDTO: a JSON object is expected"))?;
    for k in o.keys() {
        let known =
            EXPORT_KEYS.contains(&k.as_str()) || (import && IMPORT_KEYS.contains(&k.as_str()));
        if !known {
            return Err(unknown_field(k, "ImportDTO"));
        }
    }
    let list = |k: &str| {
        o.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let dests: Vec<String> = list("message_destinations")
        .iter()
        .map(|d| {
            d["programmatic_name"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| bad_request("message_destinations[]: programmatic_name missing"))
        })
        .collect::<Result<_, _>>()?;
    let dest_known = |name: &str| {
        dests.iter().any(|d| d == name) || st.store.destination_by_name(name).is_some()
    };
    let mut uuids: Vec<String> = Vec::new();
    for f in list("fields") {
        f["type_id"].as_u64().and_then(type_name).ok_or_else(|| {
            bad_request(&format!(
                "fields[] {}: unknown type_id {}",
                f["name"], f["type_id"]
            ))
        })?;
        let mut def = f.clone();
        if let Some(m) = def.as_object_mut() {
            m.remove("type_id");
        }
        check(&def, FIELD, "FieldDefDTO")?;
        if let Some(u) = f["uuid"].as_str() {
            uuids.push(u.to_string());
        }
    }
    let field_known = |uuid: &str| {
        uuids.iter().any(|u| u == uuid)
            || st
                .store
                .fields
                .values()
                .flatten()
                .any(|d| d["uuid"] == uuid)
    };
    let check_view_items = |what: &str, items: &Value| -> Result<(), Response> {
        for vi in items.as_array().into_iter().flatten() {
            if vi["element"] == "field_uuid" {
                let u = vi["content"].as_str().unwrap_or_default();
                if !field_known(u) {
                    return Err(bad_request(&format!(
                        "{what}: view item names field {u}, which is neither in the export nor in the org"
                    )));
                }
            }
        }
        Ok(())
    };
    for f in list("functions") {
        let name = f["name"]
            .as_str()
            .ok_or_else(|| bad_request("functions[]: name missing"))?;
        let dest = f["destination_handle"].as_str().unwrap_or_default();
        if !dest_known(dest) {
            return Err(bad_request(&format!(
                "function {name}: unknown message destination {dest:?}"
            )));
        }
        check_view_items(&format!("function {name}"), &f["view_items"])?;
    }
    for a in list("actions") {
        let name = a["name"]
            .as_str()
            .ok_or_else(|| bad_request("actions[]: name missing"))?;
        object_type_id(&a["object_type"]).ok_or_else(|| {
            bad_request(&format!(
                "rule {name}: unknown object_type {}",
                a["object_type"]
            ))
        })?;
        if !matches!(a["type"].as_u64(), Some(0) | Some(1)) {
            return Err(bad_request(&format!(
                "rule {name}: type must be 0 (automatic) or 1 (menu item)"
            )));
        }
        for d in a["message_destinations"].as_array().into_iter().flatten() {
            let d = d.as_str().unwrap_or_default();
            if !dest_known(d) {
                return Err(bad_request(&format!(
                    "rule {name}: unknown message destination {d:?}"
                )));
            }
        }
        check_view_items(&format!("rule {name}"), &a["view_items"])?;
    }
    Ok(())
}

/// The numeric object type of a rule (`incident` ... or the number).
fn object_type_id(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    match v.as_str()? {
        "incident" => Some(0),
        "task" => Some(1),
        "note" => Some(2),
        "milestone" => Some(3),
        "artifact" => Some(4),
        "attachment" => Some(5),
        "email_message" => Some(13),
        _ => None,
    }
}

/// `POST /configurations/imports`: the export comes back with an id and `PENDING`.
pub fn create_import(st: &mut State, req: &Request) -> Reply {
    let body = json_body(req)?;
    check_export(st, &body, false)?;
    let id = st.store.next_id();
    let mut imp = body;
    imp["id"] = json!(id);
    imp["status"] = json!("PENDING");
    imp["messages"] = json!([]);
    st.store.imports.insert(id, imp.clone());
    Ok(Response::json(200, &imp))
}

/// `GET /configurations/imports/{id}`.
pub fn get_import(st: &mut State, id: u64) -> Reply {
    st.store
        .imports
        .get(&id)
        .map(|i| Response::json(200, i))
        .ok_or_else(|| not_found(&format!("import {id}")))
}

/// `PUT /configurations/imports/{id}`: `ACCEPTED` applies it, `REJECTED` drops it.
pub fn put_import(st: &mut State, req: &Request, id: u64) -> Reply {
    let body = json_body(req)?;
    let cur = st
        .store
        .imports
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found(&format!("import {id}")))?;
    if cur["status"] != "PENDING" {
        return Err(bad_request(&format!(
            "import {id} is {} already",
            cur["status"]
        )));
    }
    if body["id"] != json!(id) {
        return Err(bad_request("ImportDTO.id: does not match the path"));
    }
    check_export(st, &body, true)?;
    let status = body["status"].as_str().unwrap_or_default().to_string();
    let mut done = body.clone();
    match status.as_str() {
        "ACCEPTED" => {
            apply(st, &body)?;
            st.store.imports_applied += 1;
        }
        "REJECTED" => {}
        other => {
            return Err(bad_request(&format!(
                "ImportDTO.status: expected ACCEPTED or REJECTED, got {other:?}"
            )))
        }
    }
    done["status"] = json!(status);
    st.store.imports.insert(id, done.clone());
    Ok(Response::json(200, &done))
}

/// Creates what the export holds and the org lacks (see [`super::inferred`]).
fn apply(st: &mut State, export: &Value) -> Result<(), Response> {
    let list = |k: &str| export[k].as_array().cloned().unwrap_or_default();
    for d in list("message_destinations") {
        let p = d["programmatic_name"].as_str().unwrap_or_default();
        if st.store.destination_by_name(p).is_none() {
            let name = d["name"].as_str().unwrap_or(p);
            new_destination(st, name, p)?;
        }
    }
    for f in list("fields") {
        let t = f["type_id"]
            .as_u64()
            .and_then(type_name)
            .unwrap_or("incident");
        let mut def = f.clone();
        if let Some(m) = def.as_object_mut() {
            m.remove("type_id");
        }
        add_field(st, t, &def)?;
    }
    for t in list("incident_artifact_types") {
        if let Some(name) = t["name"].as_str() {
            if st.store.artifact_type(&json!(name)).is_none() {
                let id = st.store.next_id();
                st.store.artifact_types.push(super::store::ArtifactType {
                    id,
                    name: name.to_string(),
                    programmatic_name: t["programmatic_name"].as_str().unwrap_or(name).to_string(),
                    system: false,
                });
            }
        }
    }
    for f in list("functions") {
        let name = f["name"].as_str().unwrap_or_default();
        if st.store.functions.values().any(|x| x["name"] == name) {
            continue;
        }
        let id = st.store.next_id();
        let mut v = json!({
            "id": id,
            "name": name,
            "display_name": f.get("display_name").cloned().unwrap_or(json!(name)),
            "destination_handle": f["destination_handle"],
            "description": f.get("description").cloned().unwrap_or(Value::Null),
            "uuid": f.get("uuid").cloned().unwrap_or(Value::Null),
            "version": f.get("version").cloned().unwrap_or(json!(1)),
            "view_items": f.get("view_items").cloned().unwrap_or(json!([])),
            "workflows": [],
            "export_key": f.get("export_key").cloned().unwrap_or(json!(name)),
        });
        if v["uuid"].is_null() {
            v["uuid"] = json!(format!("9b180887-0000-4000-8000-{id:012}"));
        }
        st.store.functions.insert(id, v);
    }
    for a in list("actions") {
        let name = a["name"].as_str().unwrap_or_default();
        if st.store.actions.values().any(|x| x["name"] == name) {
            continue;
        }
        let dests: Vec<u64> = a["message_destinations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str())
            .filter_map(|d| st.store.destination_by_name(d).map(|(id, _)| id))
            .collect();
        let id = st.store.next_id();
        let v = json!({
            "id": id,
            "name": name,
            "type": a["type"],
            "object_type": object_type_id(&a["object_type"]),
            "message_destinations": dests,
            "workflows": a.get("workflows").cloned().unwrap_or(json!([])),
            "conditions": a.get("conditions").cloned().unwrap_or(json!([])),
            "automations": a.get("automations").cloned().unwrap_or(json!([])),
            "view_items": a.get("view_items").cloned().unwrap_or(json!([])),
            "logic_type": a.get("logic_type").cloned().unwrap_or(json!("all")),
            "timeout_seconds": a.get("timeout_seconds").cloned().unwrap_or(json!(86400)),
            "uuid": a.get("uuid").cloned().unwrap_or(Value::Null),
            "export_key": a.get("export_key").cloned().unwrap_or(json!(name)),
        });
        st.store.actions.insert(id, v);
    }
    Ok(())
}

/// Adds a rule directly (seeding): name, object type (`incident`, `artifact`, ...), menu
/// item or automatic, the destinations by programmatic name. Returns its id.
pub fn new_action(
    st: &mut State,
    name: &str,
    object_type: &str,
    menu_item: bool,
    destinations: &[&str],
) -> Result<u64, Response> {
    let export = json!({
        "actions": [{
            "name": name, "type": if menu_item { 1 } else { 0 }, "object_type": object_type,
            "message_destinations": destinations, "view_items": [], "conditions": []
        }]
    });
    check_export(st, &export, false)?;
    apply(st, &export)?;
    st.store
        .actions
        .iter()
        .find(|(_, a)| a["name"] == name)
        .map(|(id, _)| *id)
        .ok_or_else(|| bad_request("rule not created"))
}
