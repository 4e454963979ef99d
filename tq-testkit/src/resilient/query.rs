//! Query bodies of `query_paged` and `query` (QueryPagedDTO, research §5.3): filters,
//! sorts, `start`, `length`; answers `{"recordsTotal","recordsFiltered","data"}`.
//!
//! Filter groups are ORed, the conditions of a group ANDed (an empty list matches all).
//! The methods and the page cap are in [`super::inferred`].

use std::cmp::Ordering;

use serde_json::{json, Value};

use super::inferred::bad_request;
use super::validate::{check, opt, Ty, F};
use crate::server::Response;

/// One condition.
#[derive(Debug, Clone)]
pub struct Condition {
    field: String,
    method: String,
    value: Value,
}

/// A parsed query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    groups: Vec<Vec<Condition>>,
    sorts: Vec<(String, bool)>,
    start: usize,
    length: Option<usize>,
}

const PAGED: &[F] = &[
    opt("filters", Ty::Arr),
    opt("sorts", Ty::Arr),
    opt("start", Ty::Int),
    opt("length", Ty::Int),
    opt("recordsTotal", Ty::Any),
    opt("draw", Ty::Any),
];
const UNPAGED: &[F] = &[opt("filters", Ty::Arr), opt("sorts", Ty::Arr)];
const FILTER: &[F] = &[opt("conditions", Ty::Arr), opt("logic_type", Ty::Str)];
const CONDITION: &[F] = &[
    opt("field_name", Ty::Str),
    opt("method", Ty::Str),
    opt("value", Ty::Any),
    opt("type", Ty::Any),
    opt("evaluation_id", Ty::Any),
];
const SORT: &[F] = &[opt("field_name", Ty::Str), opt("type", Ty::Str)];

const METHODS: &[&str] = &[
    "equals",
    "not_equals",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "contains",
    "has_a_value",
    "not_has_a_value",
];

impl Query {
    /// Parses a QueryPagedDTO (`paged`) or a query body; an empty body is "everything".
    pub fn parse(body: Option<&Value>, paged: bool) -> Result<Query, Response> {
        let Some(body) = body else {
            return Ok(Query::default());
        };
        let class = if paged { "QueryPagedDTO" } else { "QueryDTO" };
        let o = check(body, if paged { PAGED } else { UNPAGED }, class)?;
        let mut q = Query::default();
        for f in o
            .get("filters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let fo = check(f, FILTER, "FilterDTO")?;
            let mut group = Vec::new();
            for c in fo
                .get("conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let co = check(c, CONDITION, "ConditionDTO")?;
                let field = co.get("field_name").and_then(Value::as_str).unwrap_or("");
                let method = co.get("method").and_then(Value::as_str).unwrap_or("");
                if !METHODS.contains(&method) {
                    return Err(bad_request(&format!(
                        "ConditionDTO.method: unknown method {method:?}"
                    )));
                }
                if field.is_empty() {
                    return Err(bad_request(
                        "ConditionDTO.field_name: the field is required",
                    ));
                }
                group.push(Condition {
                    field: field.to_string(),
                    method: method.to_string(),
                    value: co.get("value").cloned().unwrap_or(Value::Null),
                });
            }
            q.groups.push(group);
        }
        for s in o
            .get("sorts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let so = check(s, SORT, "SortDTO")?;
            let field = so.get("field_name").and_then(Value::as_str).unwrap_or("");
            let asc = match so.get("type").and_then(Value::as_str).unwrap_or("asc") {
                "asc" => true,
                "desc" => false,
                other => {
                    return Err(bad_request(&format!(
                        "SortDTO.type: expected asc or desc, got {other:?}"
                    )))
                }
            };
            q.sorts.push((field.to_string(), asc));
        }
        q.start = o.get("start").and_then(Value::as_u64).unwrap_or(0) as usize;
        q.length = o.get("length").and_then(Value::as_u64).map(|n| n as usize);
        Ok(q)
    }

    fn matches(&self, item: &Value) -> bool {
        self.groups.is_empty()
            || self
                .groups
                .iter()
                .any(|g| g.iter().all(|c| c.matches(item)))
    }

    /// Filters, sorts and pages `items` (a page holds at most `cap`).
    pub fn run<'a>(&self, items: impl Iterator<Item = &'a Value>, cap: usize) -> Response {
        let all: Vec<&Value> = items.collect();
        let total = all.len();
        let mut hits: Vec<&Value> = all.into_iter().filter(|i| self.matches(i)).collect();
        for (field, asc) in self.sorts.iter().rev() {
            hits.sort_by(|a, b| {
                let o = compare(field_of(a, field), field_of(b, field));
                if *asc {
                    o
                } else {
                    o.reverse()
                }
            });
        }
        let filtered = hits.len();
        let len = self.length.unwrap_or(cap).min(cap);
        let page: Vec<Value> = hits
            .into_iter()
            .skip(self.start)
            .take(len)
            .cloned()
            .collect();
        Response::json(
            200,
            &json!({"recordsTotal": total, "recordsFiltered": filtered, "data": page}),
        )
    }

    /// Filters and sorts `items` (no paging): a JSON array.
    pub fn run_unpaged<'a>(&self, items: impl Iterator<Item = &'a Value>) -> Response {
        let r = self.run(items, usize::MAX);
        let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        Response::json(200, &v["data"])
    }
}

/// A field of an object: top level, `properties.<name>`, or a custom field by bare name.
fn field_of<'a>(item: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(p) = name.strip_prefix("properties.") {
        return item.get("properties").and_then(|p2| p2.get(p));
    }
    item.get(name)
        .or_else(|| item.get("properties").and_then(|p| p.get(name)))
        .filter(|v| !v.is_null())
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => a
                .as_str()
                .unwrap_or_default()
                .cmp(b.as_str().unwrap_or_default()),
        },
    }
}

impl Condition {
    fn matches(&self, item: &Value) -> bool {
        let v = field_of(item, &self.field);
        let ord = || compare(v, Some(&self.value));
        let is_in = || {
            self.value
                .as_array()
                .is_some_and(|a| v.is_some_and(|v| a.contains(v)))
        };
        match self.method.as_str() {
            "equals" => v == Some(&self.value),
            "not_equals" => v != Some(&self.value),
            "gt" => v.is_some() && ord() == Ordering::Greater,
            "gte" => v.is_some() && ord() != Ordering::Less,
            "lt" => v.is_some() && ord() == Ordering::Less,
            "lte" => v.is_some() && ord() != Ordering::Greater,
            "in" => is_in(),
            "not_in" => !is_in(),
            "contains" => match (v.and_then(Value::as_str), self.value.as_str()) {
                (Some(h), Some(n)) => h.to_lowercase().contains(&n.to_lowercase()),
                _ => false,
            },
            "has_a_value" => v.is_some(),
            "not_has_a_value" => v.is_none(),
            _ => false,
        }
    }
}
