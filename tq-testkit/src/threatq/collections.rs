//! Saved searches / data collections (threatq-api.md §5,
//! samples/threatq-data-collection.json).
//!
//! **[I] Everything in this module that lists or finds collections is an assumption**: no
//! public code lists saved searches. `GET /api/search/query` (a paged list of
//! `{id, name, hash, ...}`, with a `?name=` filter honoured or ignored by a knob) is our
//! candidate. Confirmed parts: `GET /api/search/query/<hash>?fields=name` [C-weak] and
//! `GET /api/{objs}/query/hash/<hash>?sort=updated_at&limit=&cursorMark=*` with
//! `nextCursorMark` paging [C]; the last page answers `"data": {}` (Elastic's mock) or `[]`
//! (knob). The fake defines saved searches in test setup (name + criteria in the §4.2
//! language) and applies the criteria to the current data each time one is executed.

use std::cmp::Ordering;

use serde_json::{json, Value};

use super::objects::md5_hex;
use super::query::{
    compare, filter_matches, known_field, list_params, matches, parse_sort, sort_objs, sort_value,
    validate_criteria,
};
use super::render::{render, Opts, With};
use super::reply::{self, bad_request, not_found, Reply};
use super::store::{collection, Obj};
use super::State;
use crate::server::{Request, Response};

/// How the last (empty) page of a cursor execution looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LastPage {
    /// `"data": {}` and a new `nextCursorMark` (as Elastic's mock server answers).
    #[default]
    EmptyObject,
    /// `"data": []` and `nextCursorMark` equal to the cursor sent.
    EmptyList,
}

/// A saved search defined by a test.
#[derive(Clone, Debug)]
pub struct SavedSearch {
    /// Its id.
    pub id: u64,
    /// Its name (unique not enforced, as in the UI).
    pub name: String,
    /// Its hash (what execution takes).
    pub hash: String,
    /// What it matches in each object collection it covers (`indicators` usually; a data
    /// collection of several object types has one criteria per collection), in the §4.2
    /// language.
    pub targets: Vec<(&'static str, Value)>,
    /// Creation time.
    pub created_at: String,
}

/// The saved searches and their knobs.
#[derive(Debug, Default)]
pub struct SavedSearches {
    /// All saved searches, in creation order.
    pub list: Vec<SavedSearch>,
    /// Whether `GET /api/search/query?name=` filters (true) or the parameter is ignored.
    pub name_filter: bool,
    /// The form of the last page.
    pub last_page: LastPage,
}

impl SavedSearch {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "hash": self.hash,
            "object_type": self.targets.first().map_or("indicators", |t| t.0),
            "created_at": self.created_at,
            "updated_at": self.created_at,
        })
    }
}

/// Defines a saved search with criteria per object collection; returns its hash, or why a
/// collection or criteria is invalid.
pub fn add(st: &mut State, name: &str, targets: &[(&str, Value)]) -> Result<String, String> {
    let mut checked = Vec::new();
    for (coll, criteria) in targets {
        let def = collection(coll).ok_or_else(|| format!("unknown collection {coll}"))?;
        let known = |f: &str| known_field(&st.store, def.name, f);
        validate_criteria(criteria, "criteria", &known)
            .map_err(|r| String::from_utf8_lossy(&r.body).to_string())?;
        checked.push((def.name, criteria.clone()));
    }
    let id = st.searches.list.len() as u64 + 1;
    let hash = md5_hex(&format!("saved-search-{id}-{name}"));
    st.searches.list.push(SavedSearch {
        id,
        name: name.to_string(),
        hash: hash.clone(),
        targets: checked,
        created_at: st.clock.stamp(),
    });
    Ok(hash)
}

/// `GET /api/search/query[?name=&limit=&offset=]` [I].
pub fn list(st: &State, req: &Request) -> Reply {
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let name = req.query_param("name").filter(|_| st.searches.name_filter);
    let all: Vec<Value> = st
        .searches
        .list
        .iter()
        .filter(|s| name.is_none_or(|n| filter_matches(n, &json!(s.name))))
        .map(SavedSearch::to_json)
        .collect();
    let total = all.len();
    let data = all.into_iter().skip(p.offset).take(p.limit).collect();
    Ok(reply::page(total, data, p.limit, p.offset))
}

/// `GET /api/search/query/<hash>[?fields=name]`.
pub fn get(st: &State, req: &Request, hash: &str) -> Reply {
    let s = st
        .searches
        .list
        .iter()
        .find(|s| s.hash == hash)
        .ok_or_else(not_found)?;
    let mut v = s.to_json();
    if let Some(fields) = req.query_param("fields") {
        let keep: Vec<&str> = fields.split(',').map(str::trim).collect();
        if let Value::Object(m) = &mut v {
            m.retain(|k, _| keep.contains(&k.as_str()));
        }
    }
    Ok(reply::data(v))
}

/// A cursor: the sort values and id of the last item returned, or the end marker.
#[derive(Debug, PartialEq)]
struct Cursor {
    keys: Vec<Value>,
    id: u64,
    end: bool,
}

fn encode(c: &Cursor) -> String {
    let v = json!({ "k": c.keys, "i": c.id, "e": c.end });
    openssl::base64::encode_block(v.to_string().as_bytes())
}

fn decode(s: &str) -> Option<Cursor> {
    let raw = openssl::base64::decode_block(s).ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some(Cursor {
        keys: v.get("k")?.as_array()?.clone(),
        id: v.get("i")?.as_u64()?,
        end: v.get("e")?.as_bool()?,
    })
}

/// Whether `o` sorts strictly after the cursor position.
fn after(st: &State, o: &Obj, sort: &[(String, bool)], c: &Cursor) -> bool {
    for (i, (k, desc)) in sort.iter().enumerate() {
        let ord = compare(
            &sort_value(&st.store, o, k),
            c.keys.get(i).unwrap_or(&Value::Null),
        );
        let ord = if *desc { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord == Ordering::Greater;
        }
    }
    o.id > c.id
}

/// `GET /api/{objs}/query/hash/<hash>?sort=&limit=&cursorMark=&with=` (cursor paging).
pub fn execute(st: &State, req: &Request, coll: &str, hash: &str) -> Reply {
    let def = collection(coll).ok_or_else(not_found)?;
    let search = st
        .searches
        .list
        .iter()
        .find(|s| s.hash == hash)
        .ok_or_else(not_found)?;
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let sort = parse_sort(req.query_param("sort").unwrap_or("id"));
    let known = |f: &str| known_field(&st.store, def.name, f);
    super::query::check_sort(&sort, &known)?;
    let mark = req.query_param("cursorMark").unwrap_or("*");
    let cursor = if mark == "*" {
        None
    } else {
        Some(
            decode(mark)
                .ok_or_else(|| bad_request("Invalid cursorMark."))
                .map_err(|r: Response| r)?,
        )
    };
    let mut objs: Vec<&Obj> = match search.targets.iter().find(|t| t.0 == def.name) {
        Some((_, criteria)) => st
            .store
            .all(def.name)
            .filter(|o| matches(&st.store, o, criteria))
            .collect(),
        None => Vec::new(),
    };
    sort_objs(&st.store, &mut objs, &sort);
    let total = objs.len();
    let page: Vec<&Obj> = match &cursor {
        Some(c) if c.end => Vec::new(),
        Some(c) => objs
            .into_iter()
            .filter(|o| after(st, o, &sort, c))
            .take(p.limit)
            .collect(),
        None => objs.into_iter().take(p.limit).collect(),
    };
    let mut with = With::data_collection();
    for (k, v) in p.with.rel {
        with.rel.insert(k, v);
    }
    let opts = Opts { bare_score: true };
    if let Some(last) = page.last() {
        let next = Cursor {
            keys: sort
                .iter()
                .map(|(k, _)| sort_value(&st.store, last, k))
                .collect(),
            id: last.id,
            end: false,
        };
        let data: Vec<Value> = page
            .iter()
            .map(|o| render(&st.store, o, &with, opts))
            .collect();
        return Ok(Response::json(
            200,
            &json!({ "total": total, "limit": p.limit, "nextCursorMark": encode(&next), "data": data }),
        ));
    }
    let (next, data) = match st.searches.last_page {
        LastPage::EmptyList => (mark.to_string(), json!([])),
        LastPage::EmptyObject => {
            let c = match cursor {
                Some(mut c) => {
                    c.end = true;
                    c
                }
                None => Cursor {
                    keys: vec![],
                    id: 0,
                    end: true,
                },
            };
            (encode(&c), json!({}))
        }
    };
    Ok(Response::json(
        200,
        &json!({ "total": total, "limit": p.limit, "nextCursorMark": next, "data": data }),
    ))
}
