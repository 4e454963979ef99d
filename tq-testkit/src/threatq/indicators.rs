//! Indicator writes (§6): create (list-shaped response with `existing`), bulk consume
//! upserting by (value, type), update with every status form, manual score.
//!
//! Reads (get, find by value, query) are the generic ones in `objects`.

use serde_json::{json, Map, Value};

use super::objects::{
    apply_related, apply_update, check_relations, relation_field, row_fields, INDICATOR,
};
use super::render::{render, row_json, Opts, With};
use super::reply::{self, invalid, json_body, not_found, Reply};
use super::store::collection;
use super::validate::{check, check_update, one_or_many, opt, Ty, F};
use super::State;
use crate::server::{Request, Response};

/// Status given to new indicators whose body names none [I: the real default is a
/// per-instance setting].
pub const DEFAULT_STATUS: &str = "Review";

/// One validated, resolved indicator of a create or consume body.
struct Prepared {
    body: Value,
    value: String,
    type_id: u64,
    fields: Map<String, Value>,
}

fn prepare(st: &State, items: &[Value], many: bool) -> Result<Vec<Prepared>, Response> {
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let prefix = if many { i.to_string() } else { String::new() };
        let at = |f: &str| super::validate::join(&prefix, f);
        let fields = row_fields(st, "indicators", it, None).map_err(|r| reprefix(r, &prefix))?;
        let Some(type_id) = fields.get("type_id").and_then(Value::as_u64) else {
            let f = at("type");
            return Err(invalid(&f, &format!("The {f} field is required.")));
        };
        check_relations(st, it, &prefix)?;
        let value = it
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string();
        if value.is_empty() {
            let f = at("value");
            return Err(invalid(&f, &format!("The {f} field is required.")));
        }
        out.push(Prepared {
            body: it.clone(),
            value,
            type_id,
            fields,
        });
    }
    Ok(out)
}

/// Puts the item index in front of a 422's field name (`type` → `0.type`).
fn reprefix(r: Response, prefix: &str) -> Response {
    if prefix.is_empty() || r.status != 422 {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&r.body) else {
        return r;
    };
    let Some(errs) = v.pointer("/data/errors").and_then(Value::as_object) else {
        return r;
    };
    let m: Map<String, Value> = errs
        .iter()
        .map(|(k, e)| (format!("{prefix}.{k}"), e.clone()))
        .collect();
    Response::json(422, &json!({ "data": { "errors": m } }))
}

/// Creates or merges one prepared indicator; returns (id, existed before).
fn upsert(st: &mut State, p: Prepared) -> (u64, bool) {
    let now = st.clock.stamp();
    if let Some(id) = st.store.find_indicator(&p.value, p.type_id) {
        let base = st
            .store
            .get("indicators", id)
            .map(|o| o.fields.clone())
            .unwrap_or_default();
        let mut changes = p.fields;
        changes.remove("value");
        changes.remove("hash");
        changes.retain(|k, v| base.get(k) != Some(v));
        // A re-sent published_at does not make the row change.
        changes.remove("published_at");
        if !changes.is_empty() {
            if let Some(o) = st.store.get_mut("indicators", id) {
                for (k, v) in changes {
                    o.fields.insert(k, v);
                }
            }
            st.store.reindex_indicator(id);
            st.store.update_row("indicators", id, &now);
        }
        apply_related(st, "indicators", id, &p.body, false, &now);
        return (id, true);
    }
    let mut f = p.fields;
    f.insert("value".into(), json!(p.value));
    if !f.contains_key("status_id") {
        let sid = st
            .store
            .lookups
            .statuses
            .by_name(DEFAULT_STATUS)
            .map(|r| r.id)
            .unwrap_or(1);
        f.insert("status_id".into(), json!(sid));
    }
    f.insert("hash".into(), json!(super::objects::md5_hex(&p.value)));
    f.entry("description").or_insert(Value::Null);
    f.entry("published_at").or_insert(json!(now));
    for k in [
        "expires_at",
        "expired_at",
        "expires_calculated_at",
        "last_detected_at",
    ] {
        f.entry(k).or_insert(Value::Null);
    }
    f.insert("expires_needs_calc".into(), json!("N"));
    let id = st.store.insert("indicators", f, &now);
    apply_related(st, "indicators", id, &p.body, true, &now);
    (id, false)
}

/// `POST /api/indicators` (object or list) → 201 `{"total","data":[{...,"existing"}]}`.
pub fn create(st: &mut State, req: &Request) -> Reply {
    let with = With::parse(req.query_param("with").unwrap_or(""))?;
    let body = json_body(req)?;
    let (items, many) = one_or_many(&body, INDICATOR, &relation_field)?;
    let prepared = prepare(st, &items, many)?;
    let mut data = Vec::new();
    for p in prepared {
        let (id, existed) = upsert(st, p);
        if let Some(o) = st.store.get("indicators", id) {
            let mut v = render(&st.store, o, &with, Opts::default());
            if let Value::Object(m) = &mut v {
                m.insert("existing".into(), json!(if existed { "Y" } else { "N" }));
            }
            data.push(v);
        }
    }
    Ok(reply::list_with_status(201, data))
}

/// Creates or merges indicators from a consume-style body (object or list), as the
/// routes do; returns the ids in body order. For test seeding.
pub fn upsert_body(st: &mut State, body: &Value) -> Result<Vec<u64>, Response> {
    let (items, many) = one_or_many(body, INDICATOR, &relation_field)?;
    let prepared = prepare(st, &items, many)?;
    Ok(prepared.into_iter().map(|p| upsert(st, p).0).collect())
}

/// `POST /api/indicators/consume[/new][?normalize=Y]` (list, or one object) → `{"total",
/// "data":[{id,value,type_id,status_id,...}]}`.
pub fn consume(st: &mut State, req: &Request) -> Reply {
    if let Some(n) = req.query_param("normalize") {
        if !matches!(n, "Y" | "N" | "y" | "n" | "1" | "0" | "true" | "false") {
            return Err(reply::bad_request("normalize must be Y or N."));
        }
    }
    let body = json_body(req)?;
    let (items, many) = one_or_many(&body, INDICATOR, &relation_field)?;
    let prepared = prepare(st, &items, many)?;
    let mut data = Vec::new();
    for p in prepared {
        let (id, _) = upsert(st, p);
        if let Some(o) = st.store.get("indicators", id) {
            data.push(Value::Object(row_json(o)));
        }
    }
    Ok(reply::list_with_status(200, data))
}

/// Update body: every indicator field optional.
const UPDATE: &[F] = INDICATOR;

/// `PUT /api/indicators/{id}[?with=][&status_id=]` with a partial body; the status may be
/// `status_id`, `"status": "Review"`, `{"status": {"name": ..}}`, or the `status_id` query
/// parameter.
pub fn update(st: &mut State, req: &Request, id: u64) -> Reply {
    let with = With::parse(req.query_param("with").unwrap_or(""))?;
    st.store.get("indicators", id).ok_or_else(not_found)?;
    let mut body = match reply::optional_json_body(req)? {
        Some(b) => b,
        None => json!({}),
    };
    check_update(&body, UPDATE, &relation_field)?;
    if let Some(q) = req.query_param("status_id") {
        let sid: u64 = q
            .parse()
            .map_err(|_| invalid("status_id", "The status_id must be an integer."))?;
        if let Value::Object(m) = &mut body {
            m.entry("status_id").or_insert(json!(sid));
        }
    }
    let def = collection("indicators").ok_or_else(not_found)?;
    // A value change must not collide with another indicator of the same type.
    if let Some(v) = body.get("value").and_then(Value::as_str) {
        let tid = st
            .store
            .get("indicators", id)
            .and_then(|o| o.u64_field("type_id"))
            .unwrap_or(0);
        if st
            .store
            .find_indicator(v, tid)
            .is_some_and(|other| other != id)
        {
            return Err(invalid("value", "The value has already been taken."));
        }
    }
    apply_update(st, def, id, &body)?;
    let o = st.store.get("indicators", id).ok_or_else(not_found)?;
    Ok(reply::data(render(&st.store, o, &with, Opts::default())))
}

const SCORE: &[F] = &[opt("manual_score", Ty::Nullable(&Ty::Num))];

/// `PUT /api/indicator/{id}/scores {"manual_score": n|null}` (singular `indicator`).
pub fn put_score(st: &mut State, req: &Request, id: u64) -> Reply {
    let body = json_body(req)?;
    check(&body, &Ty::Obj(SCORE), "")?;
    let now = st.clock.stamp();
    let o = st.store.get_mut("indicators", id).ok_or_else(not_found)?;
    o.manual_score = body.get("manual_score").and_then(Value::as_f64).map(|n| {
        if n.fract() == 0.0 {
            format!("{}", n as i64)
        } else {
            format!("{n}")
        }
    });
    let manual = o.manual_score.clone();
    let created = o.created_at.clone();
    st.store.touch("indicators", id, &now);
    Ok(reply::data(json!({
        "indicator_id": id,
        "generated_score": "0.00",
        "manual_score": manual,
        "created_at": created,
        "updated_at": now,
    })))
}
