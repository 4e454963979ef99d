//! Attributes (§7) and sources (§8) on any object: the routes, and the write helpers that
//! create, update and consume share.

use serde_json::{json, Value};

use super::collab::delete_row;
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

/// A source as a validated body names it (`{"name", "tlp"|"tlp_id", "published_at"}`),
/// read out of the body.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    /// The source's name.
    pub name: String,
    /// Its TLP id, if the body gives one.
    pub tlp_id: Option<u64>,
    /// When the source published it, if the body says.
    pub published_at: Option<String>,
}

/// The sources of a validated `sources` list: the items that have a `name`, in order.
/// With `take`, strings are moved out of the list instead of copied.
pub fn source_specs(list: &mut Value, take: bool) -> Vec<SourceSpec> {
    let Some(items) = list.as_array_mut() else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for s in items {
        let Some(name) = string_of(s.get_mut("name"), take) else {
            continue;
        };
        let tlp_id = tlp_of(s);
        let published_at = string_of(s.get_mut("published_at"), take);
        out.push(SourceSpec {
            name,
            tlp_id,
            published_at,
        });
    }
    out
}

/// The string a field holds, moved out (`take`) or copied.
pub fn string_of(v: Option<&mut Value>, take: bool) -> Option<String> {
    match v? {
        Value::String(s) if take => Some(std::mem::take(s)),
        Value::String(s) => Some(s.clone()),
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
    let specs = list.map(|l| source_specs(&mut l.clone(), true));
    sources_of(store, specs.as_deref(), default_user, now)
}

/// [`sources_from`] for sources already read out of the body.
pub fn sources_of(
    store: &mut Store,
    specs: Option<&[SourceSpec]>,
    default_user: bool,
    now: &str,
) -> Vec<SourceRef> {
    let specs = specs.unwrap_or_default();
    // Exact capacity: these vectors are stored with every row (a default-sized one would
    // hold room for four pivots where there is usually one).
    let n = specs.len().max(usize::from(default_user));
    let mut out = Vec::with_capacity(n);
    for s in specs {
        out.push(store.source_ref(&s.name, s.tlp_id, s.published_at.clone(), now));
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
        if o.sources.is_empty() {
            o.sources.reserve_exact(sources.len());
        }
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
    let (at, added) = add_attribute_at(
        store,
        merge,
        coll,
        id,
        name,
        value.to_string(),
        sources,
        published_at,
        now,
    )?;
    if added {
        store.touch(coll, id, now);
    }
    store.get(coll, id)?.attributes.get(at).cloned()
}

/// [`add_attribute`] without copying the row out and without touching the object (the
/// caller does, once): returns the row's index in the object's attribute rows (the new
/// row's, or with `merge` the identical row's) and whether it was added.
#[allow(clippy::too_many_arguments)]
fn add_attribute_at(
    store: &mut Store,
    merge: bool,
    coll: &str,
    id: u64,
    name: &str,
    value: String,
    sources: Vec<SourceRef>,
    published_at: Option<String>,
    now: &str,
) -> Option<(usize, bool)> {
    if merge {
        let mut names: Vec<&str> = sources.iter().map(|s| &*s.name).collect();
        names.sort_unstable();
        let o = store.get(coll, id)?;
        let same = o.attributes.iter().position(|a| {
            let mut an: Vec<&str> = a.sources.iter().map(|s| &*s.name).collect();
            an.sort_unstable();
            *a.name == *name && a.value == value && an == names
        });
        if let Some(at) = same {
            return Some((at, false));
        }
    }
    let (attribute_id, name) = store.attribute_name(name);
    let now_shared = store.shared_stamp(now);
    let row = AttrRow {
        id: store.next_row_id(),
        attribute_id,
        name,
        value,
        sources,
        published_at,
        created_at: now_shared.clone(),
        updated_at: now_shared.clone(),
        touched_at: now_shared,
    };
    let o = store.get_mut(coll, id)?;
    o.attributes.push(row);
    Some((o.attributes.len() - 1, true))
}

/// An attribute as a validated body writes it, read out of the body.
#[derive(Clone, Debug)]
pub struct AttrSpec {
    /// The name.
    pub name: String,
    /// The value as a string (numbers as JSON prints them).
    pub value: String,
    /// Its own sources, when it names a non-empty list.
    pub sources: Option<Vec<SourceSpec>>,
    /// When it was published, if the body says.
    pub published_at: Option<String>,
}

/// The attributes of a validated `attributes` list: the items with a `name` and a `value`,
/// in order. With `take`, strings are moved out of the list instead of copied.
pub fn attr_specs(list: &mut [Value], take: bool) -> Vec<AttrSpec> {
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let Some(value) = a.get_mut("value").map(|v| match v {
            Value::String(s) if take => std::mem::take(s),
            other => scalar_string(other),
        }) else {
            continue;
        };
        let Some(name) = string_of(a.get_mut("name"), take) else {
            continue;
        };
        let sources = a
            .get_mut("sources")
            .filter(|s| s.as_array().is_some_and(|l| !l.is_empty()))
            .map(|s| source_specs(s, take));
        let published_at = string_of(a.get_mut("published_at"), take);
        out.push(AttrSpec {
            name,
            value,
            sources,
            published_at,
        });
    }
    out
}

/// Adds validated attribute bodies (`[{name, value, sources?, published_at?}]`);
/// attributes without sources get `fallback` sources (the object's, or the user's).
/// Returns the rows' indexes in the object's attribute rows.
pub fn add_attributes(
    st: &mut State,
    coll: &str,
    id: u64,
    list: &[Value],
    fallback: Option<&Value>,
    now: &str,
) -> Vec<usize> {
    let specs = attr_specs(&mut list.to_vec(), true);
    let fallback = fallback.map(|f| source_specs(&mut f.clone(), true));
    add_attribute_specs(st, coll, id, specs, fallback.as_deref(), now)
}

/// [`add_attributes`] for attributes already read out of the body.
pub fn add_attribute_specs(
    st: &mut State,
    coll: &str,
    id: u64,
    specs: Vec<AttrSpec>,
    fallback: Option<&[SourceSpec]>,
    now: &str,
) -> Vec<usize> {
    let merge = st.cfg.merge_duplicate_attributes;
    if let Some(o) = st.store.get_mut(coll, id) {
        if o.attributes.is_empty() {
            o.attributes.reserve_exact(specs.len());
        }
    }
    let mut out = Vec::with_capacity(specs.len());
    let mut added = false;
    for a in specs {
        let sources = sources_of(&mut st.store, a.sources.as_deref().or(fallback), true, now);
        if let Some((at, new)) = add_attribute_at(
            &mut st.store,
            merge,
            coll,
            id,
            &a.name,
            a.value,
            sources,
            a.published_at,
            now,
        ) {
            out.push(at);
            added |= new;
        }
    }
    // One touch for the whole list (each added row touches the object at the same `now`).
    if added {
        st.store.touch(coll, id, now);
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
    let (items, _) = one_or_many(body, ATTRIBUTE, &|_| None)?;
    let now = st.clock.stamp();
    let rows = add_attributes(st, coll, id, &items, None, &now);
    let o = st.store.get(coll, id).ok_or_else(not_found)?;
    let data = rows
        .iter()
        .filter_map(|at| o.attributes.get(*at))
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
        .map(|n| st.store.attribute_name(n));
    let stamp = st.store.shared_stamp(&now);
    let o = st.store.get_mut(coll, id).ok_or_else(not_found)?;
    let a = o
        .attributes
        .iter_mut()
        .find(|a| a.id == row)
        .ok_or_else(not_found)?;
    if let Some(v) = body.get("value") {
        a.value = scalar_string(v);
    }
    if let Some((aid, n)) = name_id {
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
    a.updated_at = stamp.clone();
    a.touched_at = stamp;
    let out = attribute_json(a, singular, id);
    st.store.touch(coll, id, &now);
    Ok(reply::data(out))
}

/// `DELETE /api/{objs}/{id}/attributes/{row}` → 204.
pub fn delete_attribute(st: &mut State, coll: &str, id: u64, row: u64) -> Reply {
    owner_or_404!(st, coll, id);
    delete_row(st, coll, id, |o| &mut o.attributes, |a| a.id == row)
}

/// `POST /api/{objs}/{id}/sources` (object or list) → list of source pivots.
pub fn post_sources(st: &mut State, req: &Request, coll: &str, id: u64) -> Reply {
    let singular = owner_or_404!(st, coll, id);
    let body = json_body(req)?;
    let (items, _) = one_or_many(body, SOURCE, &|_| None)?;
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
    delete_row(st, coll, id, |o| &mut o.sources, |s| s.pivot_id == pivot)
}

/// `GET /api/sources?name=` → registry entries (LIKE with `%`).
pub fn search_sources(st: &State, req: &Request) -> Reply {
    let name = req.query_param("name");
    let data: Vec<Value> = st
        .store
        .sources
        .iter()
        .filter(|s| name.is_none_or(|n| super::query::filter_matches(n, &json!(&*s.name))))
        .map(|s| json!({ "id": s.id, "name": &*s.name, "type": &*s.source_type }))
        .collect();
    Ok(reply::list(data.len(), data))
}
