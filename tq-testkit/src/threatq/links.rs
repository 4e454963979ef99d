//! Links between objects (§9): link with `{"id"}` or `[{"id"}]`, list related objects with
//! their pivot ids, unlink with a body of pivot ids. Links are symmetric: a link made from
//! either end is seen from both, and both ends are touched.

use serde_json::Value;

use super::query::list_params;
use super::render::related_json;
use super::reply::{self, invalid, json_body, not_found, Reply};
use super::store::{collection, Link, Store};
use super::validate::{one_or_many, req, Ty, F};
use super::State;
use crate::server::Request;

const LINK: &[F] = &[req("id", Ty::Int)];

/// Links two objects (idempotent); returns the pivot id, or `None` if an end is missing or
/// both ends are the same object.
pub fn link(store: &mut Store, a: (&str, u64), b: (&str, u64), now: &str) -> Option<u64> {
    let ca = collection(a.0)?.name;
    let cb = collection(b.0)?.name;
    store.get(ca, a.1)?;
    store.get(cb, b.1)?;
    if ca == cb && a.1 == b.1 {
        return None;
    }
    if let Some(l) = store
        .links
        .iter()
        .find(|l| l.other(ca, a.1) == Some((cb, b.1)))
    {
        return Some(l.pivot_id);
    }
    let pivot = store.next_row_id();
    store.links.push(Link {
        pivot_id: pivot,
        a: (ca, a.1),
        b: (cb, b.1),
        created_at: now.to_string(),
    });
    store.touch(ca, a.1, now);
    store.touch(cb, b.1, now);
    Some(pivot)
}

/// `POST /api/{objs}/{id}/{related}` → list of related objects with `pivot`.
pub fn post_link(st: &mut State, req: &Request, coll: &str, id: u64, related: &str) -> Reply {
    let rel = collection(related).ok_or_else(not_found)?.name;
    st.store.get(coll, id).ok_or_else(not_found)?;
    let body = json_body(req)?;
    let (items, many) = one_or_many(body, LINK, &|_| None)?;
    let ids: Vec<u64> = items
        .iter()
        .filter_map(|i| i.get("id").and_then(Value::as_u64))
        .collect();
    for (i, oid) in ids.iter().enumerate() {
        if st.store.get(rel, *oid).is_none() || (rel == coll && *oid == id) {
            let p = if many {
                format!("{i}.id")
            } else {
                "id".to_string()
            };
            return Err(invalid(&p, &format!("The selected {p} is invalid.")));
        }
    }
    let now = st.clock.stamp();
    let mut data = Vec::new();
    for oid in ids {
        if let Some(pivot) = link(&mut st.store, (coll, id), (rel, oid), &now) {
            if let Some(o) = st.store.get(rel, oid) {
                data.push(related_json(
                    &st.store,
                    o,
                    pivot,
                    &Default::default(),
                    Default::default(),
                ));
            }
        }
    }
    Ok(reply::list_with_status(201, data))
}

/// `GET /api/{objs}/{id}/{related}?with&limit&offset&sort` → paged related objects.
pub fn list_related(st: &State, req: &Request, coll: &str, id: u64, related: &str) -> Reply {
    let rel = collection(related).ok_or_else(not_found)?.name;
    st.store.get(coll, id).ok_or_else(not_found)?;
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let pairs = st.store.related(coll, id, rel);
    let mut objs: Vec<(u64, &super::store::Obj)> = pairs
        .iter()
        .filter_map(|(pv, oid)| st.store.get(rel, *oid).map(|o| (*pv, o)))
        .collect();
    let mut sorted: Vec<&super::store::Obj> = objs.iter().map(|(_, o)| *o).collect();
    super::query::sort_objs(&st.store, &mut sorted, &p.sort);
    objs.sort_by_key(|(_, o)| sorted.iter().position(|s| s.id == o.id));
    let total = objs.len();
    let data = objs
        .into_iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|(pv, o)| related_json(&st.store, o, pv, &p.with, Default::default()))
        .collect();
    Ok(reply::page(total, data, p.limit, p.offset))
}

/// `DELETE /api/{objs}/{id}/{related}` with body `[pivot_id, ...]` → 204.
pub fn delete_links(st: &mut State, req: &Request, coll: &str, id: u64, related: &str) -> Reply {
    let rel = collection(related).ok_or_else(not_found)?.name;
    st.store.get(coll, id).ok_or_else(not_found)?;
    let body = json_body(req)?;
    let pivots: Vec<u64> = match &body {
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, it) in items.iter().enumerate() {
                match it.as_u64() {
                    Some(p) => out.push(p),
                    None => {
                        let f = i.to_string();
                        return Err(invalid(&f, &format!("The {f} field must be a pivot id.")));
                    }
                }
            }
            out
        }
        _ => return Err(invalid("body", "The body must be a list of pivot ids.")),
    };
    let now = st.clock.stamp();
    let mut touched = Vec::new();
    st.store.links.retain(|l| {
        let hit = pivots.contains(&l.pivot_id) && l.other(coll, id).is_some_and(|(c, _)| c == rel);
        if hit {
            touched.push(l.a);
            touched.push(l.b);
        }
        !hit
    });
    for (c, i) in touched {
        st.store.touch(c, i, &now);
    }
    Ok(reply::no_content())
}
