//! Objects of every collection: create, get, list/find, update, delete and structured query
//! (§3, §4.2, §10, §11, §13, custom STIX objects), plus the write helpers indicators share:
//! row fields, lookups by name or id, and the related rows a body may carry (sources,
//! attributes, tags, comments, relation lists).

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::attributes::{
    add_attribute_specs, attach_sources, attr_specs, source_specs, sources_of, string_of, AttrSpec,
    SourceSpec,
};
use super::collab::{add_comment, add_tags};
use super::links::link;
use super::lookups::Table;
use super::query::{
    check_sort, field_values, filter_matches, known_field, list_params, matches, sort_objs,
    validate_criteria, ListParams, RESERVED_PARAMS,
};
use super::render::{project, render, Opts, With};
use super::reply::{self, bad_request, invalid, json_body, not_found, Reply};
use super::store::{collection, CollectionDef, Obj, Store};
use super::validate::{check_update, check_with, opt, req, Ty, ATTRIBUTE, F};
use super::State;
use crate::server::{Request, Response};

/// A collection's body fields: its row fields, then the fields any object body may carry
/// besides them.
macro_rules! with_extras {
    ($($field:expr),* $(,)?) => {
        &[
            $($field,)*
            opt("sources", Ty::List(&Ty::Obj(super::validate::SOURCE))),
            opt("attributes", Ty::List(&Ty::Obj(ATTRIBUTE))),
            opt("tags", Ty::List(&Ty::Lookup)),
            opt("comments", Ty::List(&Ty::Obj(&[req("value", Ty::Str)]))),
            opt("published_at", Ty::Nullable(&Ty::Date)),
            opt("tlp_id", Ty::Nullable(&Ty::Int)),
        ]
    };
}

const EVENT: &[F] = with_extras![
    req("title", Ty::Str),
    opt("type", Ty::Lookup),
    opt("type_id", Ty::Int),
    opt("happened_at", Ty::Date),
    opt("description", Ty::Nullable(&Ty::Str)),
    opt("text", Ty::Nullable(&Ty::Str)),
];

const ADVERSARY: &[F] = with_extras![
    req("name", Ty::Str),
    opt("description", Ty::Nullable(&Ty::Str)),
];

const TASK: &[F] = with_extras![
    req("name", Ty::Str),
    opt("priority", Ty::Str),
    opt("status_id", Ty::Int),
    opt("description", Ty::Nullable(&Ty::Str)),
    opt("assignee_source_id", Ty::Nullable(&Ty::Int)),
    opt("due_at", Ty::Nullable(&Ty::Date)),
];

const SIGNATURE: &[F] = with_extras![
    req("name", Ty::Str),
    opt("value", Ty::Str),
    opt("type", Ty::Lookup),
    opt("type_id", Ty::Int),
    opt("status", Ty::Lookup),
    opt("status_id", Ty::Int),
    opt("description", Ty::Nullable(&Ty::Str)),
];

const CUSTOM: &[F] = with_extras![
    req("value", Ty::Str),
    opt("description", Ty::Nullable(&Ty::Str)),
];

/// The indicator body fields of create, consume and update (§6).
pub const INDICATOR: &[F] = with_extras![
    req("value", Ty::Str),
    opt("type", Ty::Lookup),
    opt("type_id", Ty::Int),
    opt("status", Ty::Lookup),
    opt("status_id", Ty::Int),
    opt("class", Ty::Str),
    opt("description", Ty::Nullable(&Ty::Str)),
    opt("expires_at", Ty::Nullable(&Ty::Date)),
];

/// Task statuses (§13): To Do, In Progress, Review, Done.
const TASK_STATUS_IDS: std::ops::RangeInclusive<u64> = 1..=4;
const TASK_PRIORITIES: &[&str] = &["Low", "Medium", "High"];

/// The body schema of a collection.
pub fn schema(coll: &str) -> &'static [F] {
    match coll {
        "indicators" => INDICATOR,
        "events" => EVENT,
        "adversaries" => ADVERSARY,
        "tasks" => TASK,
        "signatures" => SIGNATURE,
        _ => CUSTOM,
    }
}

/// Relation lists `"<collection>": [{"id": n}]` allowed in bodies.
pub fn relation_field(k: &str) -> Option<Ty> {
    collection(k).map(|_| Ty::IdList)
}

/// Resolves a lookup given by name (`"x"`, `{"name"}`), by `{"id"}`, or by an `*_id`
/// field; 422 naming `field` when it does not exist.
pub fn resolve(
    table: &Table,
    by_name: Option<&Value>,
    by_id: Option<&Value>,
    field: &str,
) -> Result<Option<u64>, Response> {
    let bad = |f: &str| Err(invalid(f, &format!("The selected {f} is invalid.")));
    if let Some(id) = by_id.and_then(Value::as_u64) {
        return match table.by_id(id) {
            Some(r) => Ok(Some(r.id)),
            None => bad(&format!("{field}_id")),
        };
    }
    let Some(v) = by_name else { return Ok(None) };
    let found = match v {
        Value::String(s) => table.by_name(s),
        Value::Object(m) => match (
            m.get("name").and_then(Value::as_str),
            m.get("id").and_then(Value::as_u64),
        ) {
            (Some(n), _) => table.by_name(n),
            (None, Some(i)) => table.by_id(i),
            _ => None,
        },
        _ => None,
    };
    match found {
        Some(r) => Ok(Some(r.id)),
        None => bad(field),
    }
}

/// The md5 hex of a string (indicator and event `hash`).
pub fn md5_hex(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    openssl::hash::hash(openssl::hash::MessageDigest::md5(), s.as_bytes())
        .map(|d| {
            let mut out = String::with_capacity(2 * d.len());
            for b in d.iter() {
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xf)] as char);
            }
            out
        })
        .unwrap_or_default()
}

/// Checks that every relation list in `body` points at existing objects (before any
/// write, so a bad body changes nothing). `prefix` is the item index for list bodies.
pub fn check_relations(st: &State, body: &Value, prefix: &str) -> Result<(), Response> {
    let Some(m) = body.as_object() else {
        return Ok(());
    };
    for (k, v) in m {
        let Some(def) = collection(k) else { continue };
        for (i, it) in v.as_array().into_iter().flatten().enumerate() {
            let id = it.get("id").and_then(Value::as_u64).unwrap_or(0);
            if st.store.get(def.name, id).is_none() {
                let p = super::validate::join(prefix, &format!("{k}.{i}.id"));
                return Err(invalid(&p, &format!("The selected {p} is invalid.")));
            }
        }
    }
    Ok(())
}

/// Writes the related rows a body carries: sources (the user's own when a new object has
/// none), attributes (without own sources they get the body's sources), tags, comments and
/// relation lists. Touches the object when anything was added.
pub fn apply_related(st: &mut State, coll: &str, id: u64, body: &Value, is_new: bool, now: &str) {
    apply_related_of(st, coll, id, Related::take(body.clone()), is_new, now);
}

/// The related rows a validated body carries, read out of it (see [`apply_related`]).
#[derive(Debug, Default)]
pub struct Related {
    /// The body's own `sources`, when it names a non-empty list.
    sources: Option<Vec<SourceSpec>>,
    /// `attributes`, when present.
    attributes: Option<Vec<AttrSpec>>,
    /// `tags` by name, when present.
    tags: Option<Vec<String>>,
    /// The `value` of each of `comments`, when present.
    comments: Option<Vec<String>>,
    /// Relation lists: collection and ids, in body order.
    relations: Vec<(&'static str, Vec<u64>)>,
}

impl Related {
    /// Reads the related rows out of a body, moving its strings (what is left of the body
    /// is dropped).
    pub fn take(mut body: Value) -> Related {
        Related::take_from(&mut body)
    }

    /// [`Related::take`], leaving the body (without its related strings) to the caller.
    pub fn take_from(body: &mut Value) -> Related {
        let Some(m) = body.as_object_mut() else {
            return Related::default();
        };
        let sources = m
            .get_mut("sources")
            .filter(|s| s.as_array().is_some_and(|l| !l.is_empty()))
            .map(|s| source_specs(s, true));
        let attributes = m
            .get_mut("attributes")
            .and_then(Value::as_array_mut)
            .map(|l| attr_specs(l, true));
        let tags = m.get_mut("tags").and_then(Value::as_array_mut).map(|l| {
            l.iter_mut()
                .filter_map(|t| match t {
                    Value::String(s) => Some(std::mem::take(s)),
                    Value::Object(o) => string_of(o.get_mut("name"), true),
                    _ => None,
                })
                .collect()
        });
        let comments = m
            .get_mut("comments")
            .and_then(Value::as_array_mut)
            .map(|l| {
                l.iter_mut()
                    .filter_map(|c| string_of(c.get_mut("value"), true))
                    .collect()
            });
        let mut relations = Vec::new();
        for (k, v) in m.iter() {
            let Some(def) = collection(k) else { continue };
            let ids = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|it| it.get("id").and_then(Value::as_u64))
                .collect();
            relations.push((def.name, ids));
        }
        Related {
            sources,
            attributes,
            tags,
            comments,
            relations,
        }
    }
}

/// [`apply_related`] for related rows already read out of the body.
pub fn apply_related_of(
    st: &mut State,
    coll: &str,
    id: u64,
    rel: Related,
    is_new: bool,
    now: &str,
) {
    let refs = sources_of(&mut st.store, rel.sources.as_deref(), is_new, now);
    if !refs.is_empty() {
        attach_sources(&mut st.store, coll, id, refs, now);
    }
    if let Some(list) = rel.attributes {
        add_attribute_specs(st, coll, id, list, rel.sources.as_deref(), now);
    }
    if let Some(names) = rel.tags {
        add_tags(&mut st.store, coll, id, &names, now);
    }
    for v in rel.comments.iter().flatten() {
        add_comment(&mut st.store, coll, id, v, now);
    }
    for (other, ids) in rel.relations {
        for oid in ids {
            link(&mut st.store, (coll, id), (other, oid), now);
        }
    }
}

/// Row fields of a create/update body for `coll` (type and status resolved to ids). With
/// `base` = the object's current fields, returns only what changes.
pub fn row_fields(
    st: &State,
    coll: &str,
    body: &Value,
    base: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, Response> {
    row_fields_inner(st, coll, body, base, true)
}

/// [`row_fields`] without an indicator's `hash` (for callers that set it themselves).
pub fn row_fields_without_hash(
    st: &State,
    coll: &str,
    body: &Value,
    base: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, Response> {
    row_fields_inner(st, coll, body, base, false)
}

fn row_fields_inner(
    st: &State,
    coll: &str,
    body: &Value,
    base: Option<&Map<String, Value>>,
    hash: bool,
) -> Result<Map<String, Value>, Response> {
    let mut out = Map::new();
    let Some(m) = body.as_object() else {
        return Ok(out);
    };
    let lookups = &st.store.lookups;
    let type_table = match coll {
        "indicators" => Some(&lookups.indicator_types),
        "events" => Some(&lookups.event_types),
        "attachments" => Some(&lookups.attachment_types),
        _ => None,
    };
    if let Some(t) = type_table {
        if let Some(id) = resolve(t, m.get("type"), m.get("type_id"), "type")? {
            out.insert("type_id".into(), json!(id));
            if coll == "indicators" {
                if let Some(c) = t.by_id(id).and_then(|r| r.extra.get("class")) {
                    out.insert("class".into(), c.clone());
                }
            }
        }
    }
    match coll {
        "indicators" => {
            if let Some(id) = resolve(
                &lookups.statuses,
                m.get("status"),
                m.get("status_id"),
                "status",
            )? {
                out.insert("status_id".into(), json!(id));
            }
        }
        "tasks" => {
            if let Some(s) = m.get("status_id").and_then(Value::as_u64) {
                if !TASK_STATUS_IDS.contains(&s) {
                    return Err(invalid("status_id", "The selected status_id is invalid."));
                }
                out.insert("status_id".into(), json!(s));
            }
            if let Some(p) = m.get("priority").and_then(Value::as_str) {
                if !TASK_PRIORITIES.contains(&p) {
                    return Err(invalid(
                        "priority",
                        "The priority must be Low, Medium or High.",
                    ));
                }
            }
        }
        "signatures" => {
            for k in ["type", "status"] {
                if let Some(v) = m.get(k) {
                    out.insert(k.into(), v.clone());
                }
            }
            for k in ["type_id", "status_id"] {
                if let Some(v) = m.get(k) {
                    out.insert(k.into(), v.clone());
                }
            }
        }
        _ => {}
    }
    const PLAIN: &[&str] = &[
        "value",
        "name",
        "title",
        "description",
        "text",
        "happened_at",
        "published_at",
        "tlp_id",
        "priority",
        "assignee_source_id",
        "due_at",
        "expires_at",
        "class",
    ];
    for k in PLAIN {
        if let Some(v) = m.get(*k) {
            if *k == "class" && coll == "indicators" {
                continue;
            }
            out.insert((*k).to_string(), v.clone());
        }
    }
    if let Some(v) = out.get("value").and_then(Value::as_str) {
        if coll == "indicators" && hash {
            out.insert("hash".into(), json!(md5_hex(v)));
        }
    }
    if let Some(base) = base {
        out.retain(|k, v| base.get(k) != Some(v));
    }
    Ok(out)
}

fn def_or_404(coll: &str) -> Result<&'static CollectionDef, Response> {
    collection(coll).ok_or_else(not_found)
}

/// `with` of a request (query string).
fn with_of(req: &Request) -> Result<With, Response> {
    With::parse(req.query_param("with").unwrap_or(""))
}

/// 422 when another object of `coll` already has this naming value (adversaries, custom
/// objects; §19 sample "The name has already been taken.").
fn check_unique(
    st: &State,
    def: &CollectionDef,
    fields: &Map<String, Value>,
    except: Option<u64>,
) -> Result<(), Response> {
    if !matches!(def.naming, "name" | "value")
        || def.name == "indicators"
        || def.name == "tasks"
        || def.name == "signatures"
    {
        return Ok(());
    }
    let Some(v) = fields.get(def.naming) else {
        return Ok(());
    };
    let taken = st.store.objects.get(def.name).is_some_and(|m| {
        m.values()
            .any(|o| Some(o.id) != except && o.fields.get(def.naming) == Some(v))
    });
    if taken {
        let n = def.naming;
        return Err(invalid(n, &format!("The {n} has already been taken.")));
    }
    Ok(())
}

/// `POST /api/{objs}` for every collection but indicators and attachments.
pub fn create(st: &mut State, req: &Request, coll: &str) -> Reply {
    let with = with_of(req)?;
    let body = json_body(req)?;
    let (coll, id) = create_from_body(st, coll, &body)?;
    let o = st.store.get(coll, id).ok_or_else(not_found)?;
    Ok(reply::created(render(&st.store, o, &with, Opts::default())))
}

/// Validates `body` and creates the object; returns its collection and id.
pub fn create_from_body(
    st: &mut State,
    coll: &str,
    body: &Value,
) -> Result<(&'static str, u64), Response> {
    let def = def_or_404(coll)?;
    let body = body.clone();
    check_with(&body, &Ty::Obj(schema(coll)), "", &relation_field)?;
    check_relations(st, &body, "")?;
    let mut fields = row_fields(st, coll, &body, None)?;
    check_unique(st, def, &fields, None)?;
    let now = st.clock.stamp();
    match coll {
        "events" => {
            if !fields.contains_key("type_id") {
                return Err(invalid("type", "The type field is required."));
            }
            fields.entry("happened_at").or_insert(json!(now));
            let title = fields
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            fields.insert("hash".into(), json!(md5_hex(&title)));
            fields.entry("description").or_insert(Value::Null);
        }
        "tasks" => {
            fields.entry("status_id").or_insert(json!(1));
            fields.entry("priority").or_insert(json!("Medium"));
            fields.entry("description").or_insert(Value::Null);
        }
        _ => {
            fields.entry("description").or_insert(Value::Null);
        }
    }
    fields.entry("published_at").or_insert(json!(now));
    let id = st.store.insert(def.name, fields, &now);
    apply_related(st, def.name, id, &body, true, &now);
    Ok((def.name, id))
}

/// `GET /api/{objs}/{id}?with=`.
pub fn get(st: &State, req: &Request, coll: &str, id: u64) -> Reply {
    let def = def_or_404(coll)?;
    let p = list_params(req, 1, 1)?;
    let o = st.store.get(def.name, id).ok_or_else(not_found)?;
    let mut with = p.with;
    if let Some(f) = &p.fields {
        for r in f {
            if With::parse(r).is_ok() {
                with.add(r);
            }
        }
    }
    let v = render(&st.store, o, &with, Opts::default());
    Ok(reply::data(match &p.fields {
        Some(f) => project(v, f),
        None => v,
    }))
}

/// Renders a page of objects with the list parameters.
pub fn render_page(st: &State, objs: &[&Obj], p: &ListParams, opts: Opts) -> Vec<Value> {
    let mut with = p.with.clone();
    if let Some(f) = &p.fields {
        for r in f {
            if With::parse(r).is_ok_and(|w| !w.rel.is_empty()) {
                with.add(r);
            }
        }
    }
    objs.iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|o| {
            let v = render(&st.store, o, &with, opts);
            match &p.fields {
                Some(f) => project(v, f),
                None => v,
            }
        })
        .collect()
}

/// `GET /api/{objs}?<field>=<value>&limit&offset&sort&with` (find / list).
pub fn list(st: &State, req: &Request, coll: &str) -> Reply {
    let def = def_or_404(coll)?;
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let known = |f: &str| known_field(&st.store, def.name, f);
    check_sort(&p.sort, &known)?;
    let filters: Vec<&(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| !RESERVED_PARAMS.contains(&k.as_str()))
        .collect();
    for (k, _) in &filters {
        if !known(k) {
            return Err(bad_request(&format!("Unknown filter {k} on {coll}.")));
        }
    }
    let mut objs: Vec<&Obj> = st
        .store
        .all(def.name)
        .filter(|o| {
            filters.iter().all(|(k, v)| {
                field_values(&st.store, o, k)
                    .unwrap_or_default()
                    .iter()
                    .any(|fv| filter_matches(v, fv))
            })
        })
        .collect();
    sort_objs(&st.store, &mut objs, &p.sort);
    let data = render_page(st, &objs, &p, Opts::default());
    Ok(reply::page(objs.len(), data, p.limit, p.offset))
}

const QUERY_BODY: &[F] = &[
    opt("criteria", Ty::Any),
    opt("filters", Ty::Any),
    opt("fields", Ty::List(&Ty::Str)),
];

/// `POST /api/{objs}/query?limit&offset&sort&with` with `{"criteria","filters","fields"}`
/// (§4.2; criteria and filters are ANDed).
pub fn query(st: &State, req: &Request, coll: &str) -> Reply {
    let def = def_or_404(coll)?;
    let mut p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let body = match super::reply::optional_json_body(req)? {
        Some(b) => b,
        None => json!({}),
    };
    check_with(&body, &Ty::Obj(QUERY_BODY), "", &|_| None)?;
    let known = |f: &str| known_field(&st.store, def.name, f);
    check_sort(&p.sort, &known)?;
    let empty = json!({});
    let criteria = body.get("criteria").unwrap_or(&empty);
    let filters = body.get("filters").unwrap_or(&empty);
    validate_criteria(criteria, "criteria", &known)?;
    validate_criteria(filters, "filters", &known)?;
    if let Some(f) = body.get("fields").and_then(Value::as_array) {
        p.fields = Some(
            f.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
        );
    }
    let keep = |o: &&Obj| matches(&st.store, o, criteria) && matches(&st.store, o, filters);
    let mut objs: Vec<&Obj> = match values_in(&st.store, def.name, criteria) {
        // The same rows as the scan below: the candidates are a superset, checked the same.
        Some(ids) => ids
            .into_iter()
            .filter_map(|id| st.store.get(def.name, id))
            .filter(keep)
            .collect(),
        None => st.store.all(def.name).filter(keep).collect(),
    };
    sort_objs(&st.store, &mut objs, &p.sort);
    let data = render_page(st, &objs, &p, Opts::default());
    Ok(reply::page(objs.len(), data, p.limit, p.offset))
}

/// For an indicator query whose criteria is only `{"value": {"+in": [...]}}` (how a client
/// asks which of a batch's values exist): every indicator that can match, from the store's
/// value index instead of a scan of the whole store. `None` for any other query.
fn values_in(store: &Store, coll: &str, criteria: &Value) -> Option<BTreeSet<u64>> {
    if coll != "indicators" {
        return None;
    }
    let m = criteria.as_object().filter(|m| m.len() == 1)?;
    let cond = m.get("value")?.as_object().filter(|c| c.len() == 1)?;
    let mut ids = BTreeSet::new();
    for item in cond.get("+in")?.as_array()? {
        let text = match item {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        ids.extend(store.indicators_valued(&text));
    }
    Some(ids)
}

/// `PUT /api/{objs}/{id}?with=` (partial body) for every collection but indicators.
pub fn update(st: &mut State, req: &Request, coll: &str, id: u64) -> Reply {
    let def = def_or_404(coll)?;
    let with = with_of(req)?;
    st.store.get(def.name, id).ok_or_else(not_found)?;
    let body = json_body(req)?;
    check_update(&body, schema(coll), &relation_field)?;
    apply_update(st, def, id, &body)?;
    let o = st.store.get(def.name, id).ok_or_else(not_found)?;
    Ok(reply::data(render(&st.store, o, &with, Opts::default())))
}

/// Applies a validated update body: changed row fields move `updated_at`; related rows
/// move `touched_at`.
pub fn apply_update(
    st: &mut State,
    def: &CollectionDef,
    id: u64,
    body: &Value,
) -> Result<(), Response> {
    check_relations(st, body, "")?;
    let base = st
        .store
        .get(def.name, id)
        .map(|o| o.fields.clone())
        .ok_or_else(not_found)?;
    let changes = row_fields(st, def.name, body, Some(&base))?;
    check_unique(st, def, &changes, Some(id))?;
    let now = st.clock.stamp();
    if !changes.is_empty() {
        if let Some(o) = st.store.get_mut(def.name, id) {
            for (k, v) in changes {
                o.fields.insert(k, v);
            }
        }
        if def.name == "indicators" {
            st.store.reindex_indicator(id);
        }
        st.store.update_row(def.name, id, &now);
    }
    apply_related(st, def.name, id, body, false, &now);
    Ok(())
}

/// `DELETE /api/{objs}/{id}` → 204.
pub fn delete(st: &mut State, coll: &str, id: u64) -> Reply {
    let def = def_or_404(coll)?;
    if st.store.remove(def.name, id) {
        Ok(reply::no_content())
    } else {
        Err(not_found())
    }
}
