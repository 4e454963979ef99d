//! Finding objects: the criteria/filters language of §4.2, plain query-string filters with
//! `%` as LIKE wildcard (§3), sorting (multi-key, `-` descending) and limit/offset paging.

use std::cmp::Ordering;

use serde_json::Value;

use super::render::{effective_score, With};
use super::reply::{bad_request, invalid};
use super::store::{Obj, Store};
use super::validate::scalar_string;
use crate::server::{Request, Response};

/// Fields every object can be queried and sorted on, besides its own row fields.
const COMMON_FIELDS: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "touched_at",
    "value",
    "name",
    "title",
    "description",
    "type_id",
    "status_id",
    "type_name",
    "status_name",
    "type",
    "status",
    "score",
    "class",
    "hash",
    "published_at",
    "happened_at",
    "source_name",
    "attribute_name",
    "attribute_value",
    "tag",
    "tag_name",
];

/// The values of `field` on `o` (several for multi-valued fields like `source_name`);
/// `None` when the field is unknown.
pub fn field_values(store: &Store, o: &Obj, field: &str) -> Option<Vec<Value>> {
    let one = |v: Value| Some(vec![v]);
    match field {
        "id" => one(Value::from(o.id)),
        "created_at" => one(Value::from(o.created_at.clone())),
        "updated_at" => one(Value::from(o.updated_at.clone())),
        "touched_at" => one(Value::from(o.touched_at.clone())),
        "type_name" | "type" => {
            let table = match o.collection {
                "indicators" => &store.lookups.indicator_types,
                "events" => &store.lookups.event_types,
                "attachments" => &store.lookups.attachment_types,
                _ => return Some(vec![]),
            };
            Some(
                o.u64_field("type_id")
                    .and_then(|id| table.by_id(id))
                    .map(|r| vec![Value::from(r.name.clone())])
                    .unwrap_or_default(),
            )
        }
        "status_name" | "status" => Some(
            o.u64_field("status_id")
                .and_then(|id| store.lookups.statuses.by_id(id))
                .filter(|_| o.collection == "indicators")
                .map(|r| vec![Value::from(r.name.clone())])
                .unwrap_or_default(),
        ),
        "score" => one(Value::from(effective_score(o))),
        "source_name" => Some(o.sources.iter().map(|s| Value::from(&*s.name)).collect()),
        "attribute_name" => Some(o.attributes.iter().map(|a| Value::from(&*a.name)).collect()),
        "attribute_value" => Some(
            o.attributes
                .iter()
                .map(|a| Value::from(a.value.clone()))
                .collect(),
        ),
        "tag" | "tag_name" => Some(
            o.tags
                .iter()
                .filter_map(|t| store.tag_name(*t).map(Value::from))
                .collect(),
        ),
        f => match o.fields.get(f) {
            Some(v) => one(v.clone()),
            None if COMMON_FIELDS.contains(&f) => Some(vec![]),
            None => None,
        },
    }
}

/// Compares two JSON scalars: numerically when both read as numbers, else as strings
/// (timestamps in the fixed format compare correctly as strings).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => scalar_string(a).cmp(&scalar_string(b)),
        },
    }
}

/// SQL LIKE with `%` (any run) and `_` (one character), case-insensitive.
pub fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('%') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('_') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    go(&p, &t)
}

/// Whether a query-string filter value matches a field value: exact, or LIKE when the
/// filter contains `%`.
pub fn filter_matches(filter: &str, v: &Value) -> bool {
    let s = scalar_string(v);
    if filter.contains('%') {
        like(filter, &s)
    } else {
        s == filter
    }
}

/// Checks a criteria tree for unknown operators and malformed nodes, so bad criteria are
/// reported (422 naming the path) even when no object is there to evaluate them on.
pub fn validate_criteria(
    c: &Value,
    path: &str,
    fields_ok: &dyn Fn(&str) -> bool,
) -> Result<(), Response> {
    let Value::Object(m) = c else {
        return Err(invalid(
            path,
            &format!("The {path} field must be an object."),
        ));
    };
    for (k, v) in m {
        let p = format!("{path}.{k}");
        match k.as_str() {
            "+or" | "+and" => {
                let Value::Array(items) = v else {
                    return Err(invalid(&p, &format!("The {p} field must be a list.")));
                };
                for (i, it) in items.iter().enumerate() {
                    validate_criteria(it, &format!("{p}.{i}"), fields_ok)?;
                }
            }
            field => {
                if !fields_ok(field) {
                    return Err(invalid(&p, &format!("Unknown field {field} in {path}.")));
                }
                if let Value::Object(ops) = v {
                    for (op, arg) in ops {
                        let known = matches!(
                            op.as_str(),
                            "is" | "+is"
                                | "="
                                | "+contains"
                                | "contains"
                                | "+like"
                                | "like"
                                | "+gt"
                                | "+gte"
                                | "+lt"
                                | "+lte"
                                | "+neq"
                                | "+not"
                                | "+in"
                        );
                        if !known {
                            return Err(invalid(
                                &format!("{p}.{op}"),
                                &format!("Unknown operator {op} in {p}."),
                            ));
                        }
                        if op == "+in" && !arg.is_array() {
                            return Err(invalid(&format!("{p}.{op}"), "+in takes a list."));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether `o` matches a (validated) criteria object: keys are ANDed; `+or`/`+and` take
/// lists of criteria.
pub fn matches(store: &Store, o: &Obj, c: &Value) -> bool {
    let Value::Object(m) = c else { return false };
    m.iter().all(|(k, v)| match k.as_str() {
        "+or" => v
            .as_array()
            .is_some_and(|items| items.iter().any(|it| matches(store, o, it))),
        "+and" => v
            .as_array()
            .is_some_and(|items| items.iter().all(|it| matches(store, o, it))),
        field => {
            let vals = field_values(store, o, field).unwrap_or_default();
            if TEXT_FIELDS.contains(&field) {
                leaf_with(&vals, v, compare_text)
            } else {
                leaf(&vals, v)
            }
        }
    })
}

/// Fields compared as text even when both sides read as numbers: an object's `value` (a
/// hash such as `0500..e12..`, an address) is a string column in ThreatQ, so `"07"` is not
/// `"7"` and two hex digests never compare equal as floating-point numbers.
pub const TEXT_FIELDS: &[&str] = &["value"];

/// [`compare`] for [`TEXT_FIELDS`]: strings as they are (null first).
pub fn compare_text(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => scalar_string(a).cmp(&scalar_string(b)),
    }
}

fn leaf(vals: &[Value], cond: &Value) -> bool {
    leaf_with(vals, cond, compare)
}

fn leaf_with(vals: &[Value], cond: &Value, compare: fn(&Value, &Value) -> Ordering) -> bool {
    let any = |f: &dyn Fn(&Value) -> bool| vals.iter().any(f);
    match cond {
        Value::Object(ops) => ops.iter().all(|(op, arg)| match op.as_str() {
            "is" | "+is" | "=" => any(&|v| compare(v, arg) == Ordering::Equal),
            "+contains" | "contains" => {
                let needle = scalar_string(arg).to_lowercase();
                any(&|v| scalar_string(v).to_lowercase().contains(&needle))
            }
            "+like" | "like" => any(&|v| like(&scalar_string(arg), &scalar_string(v))),
            "+gt" => any(&|v| compare(v, arg) == Ordering::Greater),
            "+gte" => any(&|v| compare(v, arg) != Ordering::Less),
            "+lt" => any(&|v| compare(v, arg) == Ordering::Less),
            "+lte" => any(&|v| compare(v, arg) != Ordering::Greater),
            "+neq" | "+not" => !any(&|v| compare(v, arg) == Ordering::Equal),
            "+in" => arg.as_array().is_some_and(|list| {
                list.iter()
                    .any(|a| any(&|v| compare(v, a) == Ordering::Equal))
            }),
            _ => false,
        }),
        Value::Array(list) => list
            .iter()
            .any(|a| any(&|v| compare(v, a) == Ordering::Equal)),
        scalar => any(&|v| compare(v, scalar) == Ordering::Equal),
    }
}

/// `limit`, `offset`, `sort`, `with`, `fields` of a list or query request.
#[derive(Clone, Debug)]
pub struct ListParams {
    /// Page size after the server cap.
    pub limit: usize,
    /// Record offset.
    pub offset: usize,
    /// Sort keys: (field, descending).
    pub sort: Vec<(String, bool)>,
    /// Relations to embed.
    pub with: With,
    /// Fields to keep, if restricted.
    pub fields: Option<Vec<String>>,
}

/// Query parameters that are not field filters.
pub const RESERVED_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "sort",
    "with",
    "fields",
    "cursorMark",
    "normalize",
];

fn parse_num(req: &Request, name: &str) -> Result<Option<usize>, Response> {
    match req.query_param(name) {
        None => Ok(None),
        Some(s) => s.trim().parse::<usize>().map(Some).map_err(|_| {
            bad_request(&format!(
                "The {name} parameter must be a non-negative integer."
            ))
        }),
    }
}

/// Reads the list parameters of `req`; `default_limit` applies when `limit` is absent,
/// `max_limit` caps it.
pub fn list_params(
    req: &Request,
    default_limit: usize,
    max_limit: usize,
) -> Result<ListParams, Response> {
    let limit = parse_num(req, "limit")?
        .unwrap_or(default_limit)
        .min(max_limit);
    let offset = parse_num(req, "offset")?.unwrap_or(0);
    let sort = parse_sort(req.query_param("sort").unwrap_or(""));
    let with = With::parse(req.query_param("with").unwrap_or(""))?;
    let fields = req.query_param("fields").map(|f| {
        f.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    Ok(ListParams {
        limit,
        offset,
        sort,
        with,
        fields,
    })
}

/// Parses `-created_at,id` into sort keys.
pub fn parse_sort(s: &str) -> Vec<(String, bool)> {
    s.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| match k.strip_prefix('-') {
            Some(f) => (f.to_string(), true),
            None => (k.trim_start_matches('+').to_string(), false),
        })
        .collect()
}

/// Checks that every sort key is a field objects of `coll` can be sorted on.
pub fn check_sort(sort: &[(String, bool)], known: &dyn Fn(&str) -> bool) -> Result<(), Response> {
    for (k, _) in sort {
        if !known(k) {
            return Err(bad_request(&format!("Cannot sort by unknown field {k}.")));
        }
    }
    Ok(())
}

/// The sort key of `o` for one field: its first value, or null.
pub fn sort_value(store: &Store, o: &Obj, field: &str) -> Value {
    field_values(store, o, field)
        .and_then(|v| v.into_iter().next())
        .unwrap_or(Value::Null)
}

/// Sorts objects by the keys, then by id ascending.
pub fn sort_objs(store: &Store, objs: &mut [&Obj], sort: &[(String, bool)]) {
    objs.sort_by(|a, b| {
        for (k, desc) in sort {
            let ord = compare(&sort_value(store, a, k), &sort_value(store, b, k));
            let ord = if *desc { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.id.cmp(&b.id)
    });
}

/// Whether `field` is a known field for objects of `coll` in `store` (a common field, or a
/// row field of any stored object of the collection).
pub fn known_field(store: &Store, coll: &str, field: &str) -> bool {
    COMMON_FIELDS.contains(&field)
        || store
            .objects
            .get(coll)
            .is_some_and(|m| m.values().any(|o| o.fields.contains_key(field)))
        || matches!(
            field,
            "priority"
                | "status_id"
                | "assignee_source_id"
                | "malware_locked"
                | "file_size"
                | "content_type_id"
                | "expires_at"
                | "last_detected_at"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn like_and_compare() {
        assert!(like("phish%", "Phishing"));
        assert!(like("%.example.com", "a.example.com"));
        assert!(!like("phish", "phishing"));
        assert!(like("a_c", "abc"));
        assert_eq!(compare(&json!(5), &json!("10")), Ordering::Less);
        assert_eq!(
            compare(&json!("2026-01-02 00:00:00"), &json!("2026-01-01 23:59:59")),
            Ordering::Greater
        );
        assert_eq!(
            parse_sort("-updated_at,id"),
            vec![("updated_at".into(), true), ("id".into(), false)]
        );
    }

    #[test]
    fn leaf_operators() {
        let v = [json!(7)];
        assert!(leaf(&v, &json!({"+gte": 5, "+lte": 10})));
        assert!(!leaf(&v, &json!({"+gt": 7})));
        assert!(leaf(&v, &json!({"+in": [1, 7]})));
        assert!(leaf(&[json!("Abc")], &json!({"+contains": "bc"})));
        assert!(!leaf(&[], &json!("x")));
        assert!(leaf(&[], &json!({"+neq": "x"})));
        // Values are text: no numeric equality of digit strings or of hex with an "e".
        let h = [json!("0500000000000e120000000000000000")];
        assert!(!leaf_with(
            &h,
            &json!({"+in": ["0500000000000e130000000000000000"]}),
            compare_text
        ));
        assert!(
            leaf(&h, &json!({"+in": ["0500000000000e130000000000000000"]})),
            "both inf"
        );
        assert!(!leaf_with(&[json!("07")], &json!("7"), compare_text));
        assert!(leaf_with(&h, &json!({"+in": [h[0].clone()]}), compare_text));
    }
}
