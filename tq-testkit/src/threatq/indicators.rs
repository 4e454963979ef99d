//! Indicator writes (§6): create (list-shaped response with `existing`), bulk consume
//! upserting by (value, type), update with every status form, manual score.
//!
//! Reads (get, find by value, query) are the generic ones in `objects`.

use serde_json::{json, Map, Value};

use super::bulk;
use super::objects::{
    apply_related_of, apply_update, check_relations, relation_field, row_fields_without_hash,
    Related, INDICATOR,
};
use super::render::{render, Opts, RowRef, With};
use super::reply::{self, invalid, json_body, not_found, Reply};
use super::store::collection;
use super::validate::{check, check_item, check_update, one_or_many, opt, Ty, F};
use super::State;
use crate::server::{Request, Response};

/// Status given to new indicators whose body names none [I: the real default is a
/// per-instance setting].
pub const DEFAULT_STATUS: &str = "Review";

/// One validated, resolved indicator of a create or consume body.
struct Prepared {
    /// What the item attaches (sources, attributes, ...), read out of its body.
    related: Related,
    value: String,
    /// The md5 of `value` (the row's `hash` when the indicator is new).
    hash: String,
    type_id: u64,
    fields: Map<String, Value>,
}

/// Resolves one validated item: item `index` of a list body, or the body itself (`None`).
/// What the item attaches is taken out of it; the caller drops the rest.
fn prepare_item(st: &State, it: &mut Value, index: Option<usize>) -> Result<Prepared, Response> {
    let prefix = index.map(|i| i.to_string()).unwrap_or_default();
    let at = |f: &str| super::validate::join(&prefix, f);
    // The row's hash is set by `upsert` from the trimmed value, so none here.
    let fields =
        row_fields_without_hash(st, "indicators", it, None).map_err(|r| reprefix(r, &prefix))?;
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
    Ok(Prepared {
        related: Related::take_from(it),
        hash: super::objects::md5_hex(&value),
        value,
        type_id,
        fields,
    })
}

/// Resolves validated items (the first error in order); returns them and what is left of
/// the items' bodies.
fn prepare(
    st: &State,
    items: Vec<Value>,
    many: bool,
) -> Result<(Vec<Prepared>, Vec<Value>), Response> {
    let mut out = Vec::with_capacity(items.len());
    let mut rest = items;
    for (i, it) in rest.iter_mut().enumerate() {
        out.push(prepare_item(st, it, many.then_some(i))?);
    }
    Ok((out, rest))
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
        let mut changes = p.fields;
        changes.remove("value");
        changes.remove("hash");
        // A re-sent published_at does not make the row change.
        changes.remove("published_at");
        if let Some(o) = st.store.get("indicators", id) {
            changes.retain(|k, v| o.fields.get(k) != Some(v));
        }
        if !changes.is_empty() {
            if let Some(o) = st.store.get_mut("indicators", id) {
                for (k, v) in changes {
                    o.fields.insert(k, v);
                }
            }
            st.store.reindex_indicator(id);
            st.store.update_row("indicators", id, &now);
        }
        apply_related_of(st, "indicators", id, p.related, false, &now);
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
    f.insert("hash".into(), json!(p.hash));
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
    apply_related_of(st, "indicators", id, p.related, true, &now);
    (id, false)
}

/// `POST /api/indicators` (object or list) → 201 `{"total","data":[{...,"existing"}]}`.
pub fn create(st: &mut State, req: &Request) -> Reply {
    let with = With::parse(req.query_param("with").unwrap_or(""))?;
    let (prepared, _) = prepare_body(st, req)?;
    let mut data = Vec::with_capacity(prepared.len());
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
pub fn upsert_body(st: &mut State, body: Value) -> Result<Vec<u64>, Response> {
    let (items, many) = one_or_many(body, INDICATOR, &relation_field)?;
    let (prepared, _) = prepare(st, items, many)?;
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
    let (prepared, rest) = prepare_body(st, req)?;
    let ids: Vec<u64> = prepared.into_iter().map(|p| upsert(st, p).0).collect();
    // Freeing what is left of a large body takes a while, and nothing waits for it.
    drop_in_background(rest);
    // The rows are written straight from the store (no JSON tree built per row).
    let rows: Vec<RowRef<'_>> = ids
        .iter()
        .filter_map(|id| st.store.get("indicators", *id).map(RowRef))
        .collect();
    Ok(reply::list_of(200, &rows))
}

/// The checked and resolved items of a create or consume body, and what is left of the
/// items' bodies (to drop). A large list body is parsed, checked and resolved in two halves
/// at once ([`bulk::in_halves`]), with the same answer, errors included, as the serial path.
#[allow(clippy::type_complexity)]
fn prepare_body(st: &State, req: &Request) -> Result<(Vec<Prepared>, Vec<Value>), Response> {
    let check = |item: &Value, index: usize| check_item(item, INDICATOR, &relation_field, index);
    let resolve = |item: &mut Value, index: usize| prepare_item(st, item, Some(index));
    if let Some(done) = bulk::in_halves(&req.body, check, resolve) {
        return done;
    }
    let body = json_body(req)?;
    let (items, many) = one_or_many(body, INDICATOR, &relation_field)?;
    prepare(st, items, many)
}

/// Drops `v` on a short-lived thread (or here, when no thread can be started).
fn drop_in_background<T: Send + 'static>(v: T) {
    let _ = std::thread::Builder::new()
        .name("tq-fake-drop".into())
        .spawn(move || drop(v));
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
