//! Objects as JSON: the row, plus the relations asked for with `with=` (§3), plus `fields`
//! projection.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value};

use super::reply::bad_request;
use super::store::{collection, AttrRow, Comment, Obj, SourceRef, Store};
use crate::server::Response;

/// Relations that are not object collections but may be asked for with `with=`.
const RELATIONS: &[&str] = &[
    "type",
    "status",
    "score",
    "sources",
    "attributes",
    "comments",
    "tags",
    "watchlist",
    "spearphish",
    "source",
];

/// A parsed `with=` value: relation name → nested relations (`indicators.type`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct With {
    /// The relations to embed, each with its nested relations.
    pub rel: BTreeMap<String, With>,
}

impl With {
    /// Parses `type,status,indicators.type`; an unknown relation is a 400.
    pub fn parse(s: &str) -> Result<With, Response> {
        let mut w = With::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let mut cur = &mut w;
            for part in item.split('.') {
                if !RELATIONS.contains(&part) && collection(part).is_none() {
                    return Err(bad_request(&format!(
                        "Unknown relation '{part}' in with={s}"
                    )));
                }
                cur = cur.rel.entry(part.to_string()).or_default();
            }
        }
        Ok(w)
    }

    /// Adds `name` (no nesting).
    pub fn add(&mut self, name: &str) {
        self.rel.entry(name.to_string()).or_default();
    }

    /// The embedding used for data collection items (§5): type, status, attributes,
    /// sources, adversaries and score.
    pub fn data_collection() -> With {
        let mut w = With::default();
        for r in [
            "type",
            "status",
            "attributes",
            "sources",
            "adversaries",
            "score",
        ] {
            w.add(r);
        }
        w
    }
}

/// Rendering options.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opts {
    /// Render `score` as a bare number (data collections) instead of the score object.
    pub bare_score: bool,
}

/// The effective score of an indicator: manual if set, else generated (always 0 here).
pub fn effective_score(o: &Obj) -> f64 {
    o.manual_score
        .as_deref()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// A source pivot as embedded in objects (§8).
pub fn source_json(s: &SourceRef, owner: Option<(&str, u64)>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(s.pivot_id));
    m.insert("source_id".into(), json!(s.source_id));
    if let Some((singular, id)) = owner {
        m.insert(format!("{singular}_id"), json!(id));
    }
    m.insert("name".into(), json!(&*s.name));
    m.insert("source_type".into(), json!(&*s.source_type));
    m.insert("tlp_id".into(), json!(s.tlp_id));
    m.insert("published_at".into(), json!(s.published_at));
    m.insert("created_at".into(), json!(&*s.created_at));
    m.insert("updated_at".into(), json!(&*s.updated_at));
    m.insert("pivot".into(), json!({ "id": s.pivot_id }));
    Value::Object(m)
}

/// An attribute row (§7), with its sources.
pub fn attribute_json(a: &AttrRow, singular: &str, owner_id: u64) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(a.id));
    m.insert("attribute_id".into(), json!(a.attribute_id));
    m.insert(format!("{singular}_id"), json!(owner_id));
    m.insert("name".into(), json!(&*a.name));
    m.insert("value".into(), json!(a.value));
    m.insert("published_at".into(), json!(a.published_at));
    m.insert("created_at".into(), json!(&*a.created_at));
    m.insert("updated_at".into(), json!(&*a.updated_at));
    m.insert("touched_at".into(), json!(&*a.touched_at));
    m.insert(
        "attribute".into(),
        json!({ "id": a.attribute_id, "name": &*a.name }),
    );
    m.insert(
        "sources".into(),
        Value::Array(a.sources.iter().map(|s| source_json(s, None)).collect()),
    );
    Value::Object(m)
}

/// A comment (§14).
pub fn comment_json(c: &Comment, singular: &str, owner_id: u64) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert(format!("{singular}_id"), json!(owner_id));
    m.insert("value".into(), json!(c.value));
    m.insert("creator_source_id".into(), json!(c.creator_source_id));
    m.insert("source_name".into(), json!(c.source_name));
    m.insert("created_at".into(), json!(c.created_at));
    m.insert("updated_at".into(), json!(c.updated_at));
    m.insert(
        "sources".into(),
        json!([{ "id": c.creator_source_id, "name": c.source_name }]),
    );
    Value::Object(m)
}

/// The object's row: id, own fields, timestamps (no relations).
pub fn row_json(o: &Obj) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(o.id));
    for (k, v) in &o.fields {
        m.insert(k.clone(), v.clone());
    }
    m.insert("created_at".into(), json!(o.created_at));
    m.insert("updated_at".into(), json!(o.updated_at));
    m.insert("touched_at".into(), json!(o.touched_at));
    m
}

/// An object's row as [`row_json`] renders it (the same keys in the same order, the same
/// bytes), serialized straight from the store without building a JSON tree.
pub struct RowRef<'a>(pub &'a Obj);

impl Serialize for RowRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        enum Extra<'a> {
            Id(u64),
            Str(&'a str),
        }
        impl Serialize for Extra<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    Extra::Id(n) => s.serialize_u64(*n),
                    Extra::Str(t) => s.serialize_str(t),
                }
            }
        }
        let o = self.0;
        // `row_json` builds a sorted map: the fields, then id and the timestamps over them.
        // These are those four keys in sorted order, merged into the sorted fields.
        let extras = [
            ("created_at", Extra::Str(&o.created_at)),
            ("id", Extra::Id(o.id)),
            ("touched_at", Extra::Str(&o.touched_at)),
            ("updated_at", Extra::Str(&o.updated_at)),
        ];
        let mut m = s.serialize_map(None)?;
        let mut next = extras.iter().peekable();
        for (k, v) in &o.fields {
            while let Some((ek, ev)) = next.next_if(|(ek, _)| *ek <= k.as_str()) {
                m.serialize_entry(ek, ev)?;
            }
            if !extras.iter().any(|(ek, _)| ek == k) {
                m.serialize_entry(k, v)?;
            }
        }
        for (ek, ev) in next {
            m.serialize_entry(ek, ev)?;
        }
        m.end()
    }
}

/// The object with the relations of `with`.
pub fn render(store: &Store, o: &Obj, with: &With, opts: Opts) -> Value {
    let singular = collection(o.collection).map_or("object", |c| c.singular);
    let mut m = row_json(o);
    for (rel, nested) in &with.rel {
        match rel.as_str() {
            "type" => {
                let table = match o.collection {
                    "indicators" => Some((&store.lookups.indicator_types, &["class"][..])),
                    "events" => Some((
                        &store.lookups.event_types,
                        &["user_editable", "created_at", "updated_at"][..],
                    )),
                    "attachments" => Some((&store.lookups.attachment_types, &["is_parsable"][..])),
                    _ => None,
                };
                if let Some((t, keys)) = table {
                    let row = o.u64_field("type_id").and_then(|id| t.by_id(id));
                    m.insert("type".into(), row.map_or(Value::Null, |r| r.embed(keys)));
                }
            }
            "status" => {
                if o.collection == "indicators" {
                    let row = o
                        .u64_field("status_id")
                        .and_then(|id| store.lookups.statuses.by_id(id));
                    m.insert(
                        "status".into(),
                        row.map_or(Value::Null, |r| r.embed(&["description"])),
                    );
                }
            }
            "score" => {
                if o.collection == "indicators" {
                    if opts.bare_score {
                        m.insert("score".into(), json!(effective_score(o) as i64));
                    } else {
                        m.insert(
                            "score".into(),
                            json!({
                                "indicator_id": o.id,
                                "generated_score": "0.00",
                                "manual_score": o.manual_score,
                            }),
                        );
                    }
                }
            }
            "sources" => {
                let v = o
                    .sources
                    .iter()
                    .map(|s| source_json(s, Some((singular, o.id))))
                    .collect();
                m.insert("sources".into(), Value::Array(v));
            }
            "attributes" => {
                let v = o
                    .attributes
                    .iter()
                    .map(|a| attribute_json(a, singular, o.id))
                    .collect();
                m.insert("attributes".into(), Value::Array(v));
            }
            "comments" => {
                let v = o
                    .comments
                    .iter()
                    .map(|c| comment_json(c, singular, o.id))
                    .collect();
                m.insert("comments".into(), Value::Array(v));
            }
            "tags" => {
                let v = o
                    .tags
                    .iter()
                    .map(|t| json!({ "id": t, "name": store.tag_name(*t) }))
                    .collect();
                m.insert("tags".into(), Value::Array(v));
            }
            "watchlist" => {
                // Every user's entries, each with its user_id (issue 10's [I] reading of
                // §16, the same the client's `watched_by` relies on).
                let v = o
                    .watchlist
                    .iter()
                    .map(|w| {
                        json!({ "id": w.id, "object_id": o.id, "user_id": w.user_id,
                                "created_at": w.created_at })
                    })
                    .collect();
                m.insert("watchlist".into(), Value::Array(v));
            }
            "spearphish" | "source" => {}
            coll => {
                let v = store
                    .related(o.collection, o.id, coll)
                    .into_iter()
                    .filter_map(|(pivot, oid)| {
                        store
                            .get(coll, oid)
                            .map(|other| related_json(store, other, pivot, nested, opts))
                    })
                    .collect();
                m.insert(coll.to_string(), Value::Array(v));
            }
        }
    }
    Value::Object(m)
}

/// A related object with its `pivot` (§9).
pub fn related_json(store: &Store, o: &Obj, pivot: u64, with: &With, opts: Opts) -> Value {
    let mut v = render(store, o, with, opts);
    let created = store
        .links
        .iter()
        .find(|l| l.pivot_id == pivot)
        .map(|l| l.created_at.clone());
    if let Value::Object(m) = &mut v {
        m.insert(
            "pivot".into(),
            json!({ "id": pivot, "created_at": created, "updated_at": created }),
        );
    }
    v
}

/// Keeps only `fields` (and `id`) of a rendered object.
pub fn project(v: Value, fields: &[String]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| k == "id" || fields.iter().any(|f| f == k))
                .collect(),
        ),
        other => other,
    }
}
