//! Comments (§14), tags (§15) and the watchlist (§16) on any object.

use serde_json::{json, Value};

use super::query::{filter_matches, list_params, parse_sort};
use super::render::comment_json;
use super::reply::{self, json_body, not_found, optional_json_body, Reply};
use super::store::{collection, Comment, Obj, Store, Watch};
use super::validate::{check, one_or_many, req, Ty, F};
use super::State;
use crate::server::Request;

const COMMENT: &[F] = &[req("value", Ty::Str)];
const TAG: &[F] = &[req("name", Ty::Str)];

fn singular_if_exists(
    st: &State,
    coll: &str,
    id: u64,
) -> Result<&'static str, crate::server::Response> {
    let def = collection(coll).ok_or_else(not_found)?;
    st.store.get(coll, id).ok_or_else(not_found)?;
    Ok(def.singular)
}

/// Adds a comment as the user; touches the object.
pub fn add_comment(
    store: &mut Store,
    coll: &str,
    id: u64,
    value: &str,
    now: &str,
) -> Option<Comment> {
    let c = Comment {
        id: store.next_row_id(),
        value: value.to_string(),
        creator_source_id: store.user.source_id,
        source_name: store.user.email.clone(),
        created_at: now.to_string(),
        updated_at: now.to_string(),
    };
    store.get_mut(coll, id)?.comments.push(c.clone());
    store.touch(coll, id, now);
    Some(c)
}

/// Adds tags by name (skipping ones the object has); touches the object when one was added.
/// Returns the tags as `(id, name)`.
pub fn add_tags(
    store: &mut Store,
    coll: &str,
    id: u64,
    names: &[String],
    now: &str,
) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut added = false;
    for n in names {
        let tid = store.tag_id(n);
        if let Some(o) = store.get_mut(coll, id) {
            if !o.tags.contains(&tid) {
                o.tags.push(tid);
                added = true;
            }
            out.push((tid, n.clone()));
        }
    }
    if added {
        store.touch(coll, id, now);
    }
    out
}

/// `POST /api/{objs}/{id}/comments {"value"}` → `{"data": comment}`.
pub fn post_comment(st: &mut State, req: &Request, coll: &str, id: u64) -> Reply {
    let singular = singular_if_exists(st, coll, id)?;
    let body = json_body(req)?;
    check(&body, &Ty::Obj(COMMENT), "")?;
    let value = body
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let now = st.clock.stamp();
    let c = add_comment(&mut st.store, coll, id, value, &now).ok_or_else(not_found)?;
    Ok(reply::created(comment_json(&c, singular, id)))
}

/// `GET /api/{objs}/{id}/comments?limit&offset&sort` → paged list.
pub fn list_comments(st: &State, req: &Request, coll: &str, id: u64) -> Reply {
    let singular = singular_if_exists(st, coll, id)?;
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let o = st.store.get(coll, id).ok_or_else(not_found)?;
    let mut cs: Vec<&Comment> = o.comments.iter().collect();
    let sort = parse_sort(req.query_param("sort").unwrap_or(""));
    cs.sort_by(|a, b| {
        for (k, desc) in &sort {
            let ord = match k.as_str() {
                "created_at" => a.created_at.cmp(&b.created_at),
                "updated_at" => a.updated_at.cmp(&b.updated_at),
                _ => a.id.cmp(&b.id),
            };
            let ord = if *desc { ord.reverse() } else { ord };
            if ord.is_ne() {
                return ord;
            }
        }
        a.id.cmp(&b.id)
    });
    let total = cs.len();
    let data = cs
        .into_iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|c| comment_json(c, singular, id))
        .collect();
    Ok(reply::page(total, data, p.limit, p.offset))
}

/// `PUT /api/{objs}/comments/{comment_id} {"value"}` (no object id in the path, §14).
pub fn put_comment(st: &mut State, req: &Request, coll: &str, cid: u64) -> Reply {
    let def = collection(coll).ok_or_else(not_found)?;
    let body = json_body(req)?;
    check(&body, &Ty::Obj(COMMENT), "")?;
    let value = body
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let now = st.clock.stamp();
    let owner = st.store.objects.get(coll).and_then(|m| {
        m.values()
            .find(|o| o.comments.iter().any(|c| c.id == cid))
            .map(|o| o.id)
    });
    let oid = owner.ok_or_else(not_found)?;
    let o = st.store.get_mut(coll, oid).ok_or_else(not_found)?;
    let c = o
        .comments
        .iter_mut()
        .find(|c| c.id == cid)
        .ok_or_else(not_found)?;
    c.value = value.to_string();
    c.updated_at = now.clone();
    let out = comment_json(c, def.singular, oid);
    st.store.touch(coll, oid, &now);
    Ok(reply::data(out))
}

/// `DELETE /api/{objs}/{id}/<relation>/{row}` once the owner is known to exist: removes the
/// rows of `rows(object)` that `gone` picks; 404 when there was none, else the object is
/// touched and the answer is 204.
pub fn delete_row<T>(
    st: &mut State,
    coll: &str,
    id: u64,
    rows: impl FnOnce(&mut Obj) -> &mut Vec<T>,
    gone: impl Fn(&T) -> bool,
) -> Reply {
    let now = st.clock.stamp();
    let list = rows(st.store.get_mut(coll, id).ok_or_else(not_found)?);
    let before = list.len();
    list.retain(|r| !gone(r));
    if list.len() == before {
        return Err(not_found());
    }
    st.store.touch(coll, id, &now);
    Ok(reply::no_content())
}

/// `DELETE /api/{objs}/{id}/comments/{comment_id}` → 204.
pub fn delete_comment(st: &mut State, coll: &str, id: u64, cid: u64) -> Reply {
    singular_if_exists(st, coll, id)?;
    delete_row(st, coll, id, |o| &mut o.comments, |c| c.id == cid)
}

/// `POST /api/{objs}/{id}/tags` with `{"name"}` or a list → list of `{id, name}`.
pub fn post_tags(st: &mut State, req: &Request, coll: &str, id: u64) -> Reply {
    singular_if_exists(st, coll, id)?;
    let body = json_body(req)?;
    let (items, _) = one_or_many(body, TAG, &|_| None)?;
    let names: Vec<String> = items
        .iter()
        .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let now = st.clock.stamp();
    let tags = add_tags(&mut st.store, coll, id, &names, &now);
    let data = tags
        .into_iter()
        .map(|(i, n)| json!({ "id": i, "name": n }))
        .collect();
    Ok(reply::list_with_status(201, data))
}

/// `GET /api/{objs}/{id}/tags` → list.
pub fn list_tags(st: &State, coll: &str, id: u64) -> Reply {
    singular_if_exists(st, coll, id)?;
    let o = st.store.get(coll, id).ok_or_else(not_found)?;
    let data: Vec<Value> = o
        .tags
        .iter()
        .map(|t| json!({ "id": t, "name": st.store.tag_name(*t) }))
        .collect();
    Ok(reply::list(data.len(), data))
}

/// `DELETE /api/{objs}/{id}/tags/{tag_id}` → 204.
pub fn delete_tag(st: &mut State, coll: &str, id: u64, tid: u64) -> Reply {
    singular_if_exists(st, coll, id)?;
    delete_row(st, coll, id, |o| &mut o.tags, |t| *t == tid)
}

/// `GET /api/tags?name=phish%&limit&sort=name` → tag registry (LIKE with `%`).
pub fn search_tags(st: &State, req: &Request) -> Reply {
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let name = req.query_param("name");
    let mut all: Vec<(u64, String)> = st
        .store
        .tags
        .iter()
        .filter(|(_, n)| name.is_none_or(|f| filter_matches(f, &json!(n))))
        .cloned()
        .collect();
    if req.query_param("sort").is_some_and(|s| s.contains("name")) {
        all.sort_by(|a, b| a.1.cmp(&b.1));
        if req.query_param("sort") == Some("-name") {
            all.reverse();
        }
    }
    let total = all.len();
    let data = all
        .into_iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|(i, n)| json!({ "id": i, "name": n }))
        .collect();
    Ok(reply::page(total, data, p.limit, p.offset))
}

/// `POST /api/{objs}/{id}/watchlist` (no body) → `{"data": entry}`; idempotent per user.
pub fn post_watch(st: &mut State, req: &Request, coll: &str, id: u64) -> Reply {
    singular_if_exists(st, coll, id)?;
    if let Some(b) = optional_json_body(req)? {
        if !(b.is_null() || b.as_object().is_some_and(|m| m.is_empty())) {
            return Err(reply::invalid(
                "body",
                "The watchlist endpoint takes no body.",
            ));
        }
    }
    let now = st.clock.stamp();
    let uid = st.store.user.id;
    let existing = st
        .store
        .get(coll, id)
        .and_then(|o| o.watchlist.iter().find(|w| w.user_id == uid).cloned());
    let w = match existing {
        Some(w) => w,
        None => {
            let w = Watch {
                id: st.store.next_row_id(),
                user_id: uid,
                created_at: now.clone(),
            };
            if let Some(o) = st.store.get_mut(coll, id) {
                o.watchlist.push(w.clone());
            }
            st.store.touch(coll, id, &now);
            w
        }
    };
    Ok(reply::created(json!({
        "id": w.id, "object_id": id, "user_id": w.user_id, "created_at": w.created_at
    })))
}

/// `DELETE /api/{objs}/{id}/watchlist/{entry_id}` → 204.
pub fn delete_watch(st: &mut State, coll: &str, id: u64, wid: u64) -> Reply {
    singular_if_exists(st, coll, id)?;
    delete_row(st, coll, id, |o| &mut o.watchlist, |w| w.id == wid)
}
