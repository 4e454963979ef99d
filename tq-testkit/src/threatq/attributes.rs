//! Attributes (§7) and sources (§8) on any object: the routes, and the write helpers that
//! create, update and consume share.

use serde_json::{json, Value};

use super::render::{attribute_json, source_json};
use super::reply::{self, json_body, not_found, Reply};
use super::store::{collection, AttrRow, SourceRef, Store};
use super::validate::{check, one_or_many, scalar_string, Ty, ATTRIBUTE, SOURCE};
use super::State;
use crate::server::Request;

/// TLP id of a written source: `tlp_id`, or `tlp` as an id, a name or `{"name"}`.
fn tlp_of(src: &Value) -> Option<u64> {
    if let Some(id) = src.get("tlp_id").and_then(Value::as_u64) {
        return Some(id);
    }
    let name = match src.get("tlp")? {
        Value::Number(n) => return n.as_u64(),
        Value::String(s) => s.clone(),
        Value::Object(m) => m.get("name")?.as_str()?.to_string(),
        _ => return None,
    };
    match name.to_ascii_uppercase().as_str() {
        "RED" => Some(1),
        "AMBER" => Some(2),
        "GREEN" => Some(3),
        "WHITE" | "CLEAR" => Some(4),
        _ => None,
    }
}

/// New source pivots for a validated `sources` list; an absent or empty list means the
/// user's own source when `default_user` is set.
pub fn sources_from(
    store: &mut Store,
    list: Option<&Value>,
    default_user: bool,
    now: &str,
) -> Vec<SourceRef> {
    let mut out = Vec::new();
    for s in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = s.get("name").and_then(Value::as_str) else {
            continue;
        };
        let published = s
            .get("published_at")
            .and_then(Value::as_str)
            .map(str::to_string);
        out.push(store.source_ref(name, tlp_of(s), published, now));
    }
    if out.is_empty() && default_user {
        out.push(store.user_source_ref(now));
    }
    out
}

/// Attaches sources to an object, skipping names it already has; returns the pivots
/// (existing or new) and touches the object when one was added.
pub fn attach_sources(
    store: &mut Store,
    coll: &str,
    id: u64,
    sources: Vec<SourceRef>,
    now: &str,
) -> Vec<SourceRef> {
    let mut out = Vec::new();
    let mut added = false;
    if let Some(o) = store.get_mut(coll, id) {
        for s in sources {
            match o.sources.iter().find(|e| e.name == s.name) {
                Some(e) => out.push(e.clone()),
                None => {
                    o.sources.push(s.clone());
                    out.push(s);
                    added = true;
                }
            }
        }
    }
    if added {
        store.touch(coll, id, now);
    }
    out
}

/// Adds one attribute row to an object. With `merge`, an identical row (same name, value
/// and set of source names) is returned instead of adding a duplicate.
#[allow(clippy::too_many_arguments)]
pub fn add_attribute(
    store: &mut Store,
    merge: bool,
    coll: &str,
    id: u64,
    name: &str,
    value: &str,
    sources: Vec<SourceRef>,
    published_at: Option<String>,
    now: &str,
) -> Option<AttrRow> {
    let mut names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    if merge {
        let o = store.get(coll, id)?;
        let same = o.attributes.iter().find(|a| {
            let mut an: Vec<&str> = a.sources.iter().map(|s| s.name.as_str()).collect();
            an.sort_unstable();
            a.name == name && a.value == value && an == names
        });
        if let Some(a) = same {
            return Some(a.clone());
        }
    }
    let attribute_id = store.attribute_id(name);
    let row = AttrRow {
        id: store.next_row_id(),
        attribute_id,
        name: name.to_string(),
        value: value.to_string(),
        sources,
        published_at,
        created_at: now.to_string(),
        updated_at: now.to_string(),
        touched_at: now.to_string(),
    };
    store.get_mut(coll, id)?.attributes.push(row.clone());
    store.touch(coll, id, now);
    Some(row)
}

/// Adds validated attribute bodies (`[{name, value, sources?, published_at?}]`);
/// attributes without sources get `fallback` sources (the object's, or the user's).
pub fn add_attributes(
    st: &mut State,
    coll: &str,
    id: u64,
    list: &[Value],
    fallback: Option<&Value>,
    now: &str,
) -> Vec<AttrRow> {
    let merge = st.cfg.merge_duplicate_attributes;
    let mut out = Vec::new();
    for a in list {
        let (Some(name), Some(value)) = (a.get("name").and_then(Value::as_str), a.get("value"))
        else {
            continue;
        };
        let value = scalar_string(value);
        let own = a
            .get("sources")
            .filter(|s| s.as_array().is_some_and(|l| !l.is_empty()));
        let sources = sources_from(&mut st.store, own.or(fallback), true, now);
        let published = a
            .get("published_at")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(row) = add_attribute(
            &mut st.store,
            merge,
            coll,
            id,
            name,
            &value,
            sources,
            published,
            now,
        ) {
            out.push(row);
        }
    }
    out
}

fn owner(st: &State, coll: &str, id: u64) -> Result<&'static str, reply::Reply> {
    let def = collection(coll).ok_or_else(|| Err(not_found()))?;
    if st.store.get(coll, id).is_none() {
        return Err(Err(not_found()));
    }
    Ok(def.singular)
}

macro_rules! owner_or_404 {
    ($st:expr, $coll:expr, $id:expr) => {
        match owner($st, $coll, $id) {
            Ok(s) => s,
            Err(r) => return r,
        }
    };
}

/// `POST /api/{objs}/{id}/attributes` (object or list) → list of rows.
pub fn post_attributes(st: &mut State, req: &Request, coll: &str, id: u64) -> Reply {
    let singular = owner_or_404!(st, coll, id);
    let body = json_body(req)?;
    let (items, _) = one_or_many(&body, ATTRIBUTE, &|_| None)?;
    let now = st.clock.stamp();
    let rows = add_attributes(st, coll, id, &items, None, &now);
    let data = rows
        .iter()
        .map(|a| attribute_json(a, singular, id))
        .collect();
    Ok(reply::list_with_status(201, data))
}

/// `GET /api/{objs}/{id}/attributes` → paged list.
pub fn list_attributes(st: &State, req: &Request, coll: &str, id: u64) -> Reply {
    let singular = owner_or_404!(st, coll, id);
    let p = super::query::list_params(req, st.cfg.max_limit, st.cfg.max_limit)?;
    let o = st.store.get(coll, id).ok_or_else(not_found)?;
    let all: Vec<Value> = o
        .attributes
        .iter()
        .map(|a| attribute_json(a, singular, id))
        .collect();
    let total = all.len();
    let data = all.into_iter().skip(p.offset).take(p.limit).collect();
    Ok(reply::page(total, data, p.limit, p.offset))
}

const ATTRIBUTE_UPDATE: &[super::validate::F] = &[
    super::validate::opt("value", Ty::Scalar),
    super::validate::opt("name", Ty::Str),
    super::validate::opt("published_at", Ty::Nullable(&Ty::Date)),
    super::validate::opt("sources", Ty::List(&Ty::Obj(SOURCE))),
];

/// `PUT /api/{objs}/{id}/attributes/{row}`.
pub fn put_attribute(st: &mut State, req: &Request, coll: &str, id: u64, row: u64) -> Reply {
    let singular = owner_or_404!(st, coll, id);
    let body = json_body(req)?;
    check(&body, &Ty::Obj(ATTRIBUTE_UPDATE), "")?;
    let now = st.clock.stamp();
    let new_sources = body
        .get("sources")
        .map(|s| sources_from(&mut st.store, Some(s), false, &now));
    let name_id = body
        .get("name")
        .and_then(Value::as_str)
        .map(|n| (n.to_string(), st.store.attribute_id(n)));
    let o = st.store.get_mut(coll, id).ok_or_else(not_found)?;
    let a = o
        .attributes
        .iter_mut()
        .find(|a| a.id == row)
        .ok_or_else(not_found)?;
    if let Some(v) = body.get("value") {
        a.value = scalar_string(v);
    }
    if let Some((n, aid)) = name_id {
        a.name = n;
        a.attribute_id = aid;
    }
    if let Some(p) = body.get("published_at") {
        a.published_at = p.as_str().map(str::to_string);
    }
    if let Some(s) = new_sources {
        for src in s {
            if !a.sources.iter().any(|e| e.name == src.name) {
                a.sources.push(src);
            }
        }
    }
    a.updated_at = now.clone();
    a.touched_at = now.clone();
    let out = attribute_json(a, singular, id);
    st.store.touch(coll, id, &now);
    Ok(reply::data(out))
}

/// `DELETE /api/{objs}/{id}/attributes/{row}` → 204.
pub fn delete_attribute(st: &mut State, coll: &str, id: u64, row: u64) -> Reply {
    owner_or_404!(st, coll, id);
    let now = st.clock.stamp();
    let o = st.store.get_mut(coll, id).ok_or_else(not_found)?;
    let before = o.attributes.len();
    o.attributes.retain(|a| a.id != row);
    if o.attributes.len() == before {
        return Err(not_found());
    }
    st.store.touch(coll, id, &now);
    Ok(reply::no_content())
}

/// `POST /api/{objs}/{id}/sources` (object or list) → list of source pivots.
pub fn post_sources(st: &mut State, req: &Request, coll: &str, id: u64) -> Reply {
    let singular = owner_or_404!(st, coll, id);
    let body = json_body(req)?;
    let (items, _) = one_or_many(&body, SOURCE, &|_| None)?;
    let now = st.clock.stamp();
    let list = Value::Array(items);
    let refs = sources_from(&mut st.store, Some(&list), false, &now);
    let out = attach_sources(&mut st.store, coll, id, refs, &now);
    let data = out
        .iter()
        .map(|s| source_json(s, Some((singular, id))))
        .collect();
    Ok(reply::list_with_status(201, data))
}

/// `GET /api/{objs}/{id}/sources` → list.
pub fn list_sources(st: &State, coll: &str, id: u64) -> Reply {
    let singular = owner_or_404!(st, coll, id);
    let o = st.store.get(coll, id).ok_or_else(not_found)?;
    let data: Vec<Value> = o
        .sources
        .iter()
        .map(|s| source_json(s, Some((singular, id))))
        .collect();
    Ok(reply::list(data.len(), data))
}

/// `DELETE /api/{objs}/{id}/sources/{pivot}` → 204.
pub fn delete_source(st: &mut State, coll: &str, id: u64, pivot: u64) -> Reply {
    owner_or_404!(st, coll, id);
    let now = st.clock.stamp();
    let o = st.store.get_mut(coll, id).ok_or_else(not_found)?;
    let before = o.sources.len();
    o.sources.retain(|s| s.pivot_id != pivot);
    if o.sources.len() == before {
        return Err(not_found());
    }
    st.store.touch(coll, id, &now);
    Ok(reply::no_content())
}

/// `GET /api/sources?name=` → registry entries (LIKE with `%`).
pub fn search_sources(st: &State, req: &Request) -> Reply {
    let name = req.query_param("name");
    let data: Vec<Value> = st
        .store
        .sources
        .iter()
        .filter(|s| name.is_none_or(|n| super::query::filter_matches(n, &json!(s.name))))
        .map(|s| json!({ "id": s.id, "name": s.name, "type": s.source_type }))
        .collect();
    Ok(reply::list(data.len(), data))
}
