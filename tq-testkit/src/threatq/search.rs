//! Quick search (§4.1): `GET /api/search?query=<text>&limit=<n>` →
//! `{"data":[{"id","value","object"}]}` over indicator values, adversary names, event
//! titles and attachments (`"<title> <name>"`), case-insensitive substring.

use serde_json::{json, Value};

use super::reply::{self, bad_request, Reply};
use super::store::COLLECTIONS;
use super::State;
use crate::server::Request;

/// `GET /api/search?query=&limit=`.
pub fn quick(st: &State, req: &Request) -> Reply {
    let q = req
        .query_param("query")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| bad_request("The query parameter is required."))?
        .to_lowercase();
    let limit = match req.query_param("limit") {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| bad_request("The limit parameter must be a non-negative integer."))?,
        None => st.cfg.default_limit,
    }
    .min(st.cfg.max_limit);
    let mut out: Vec<Value> = Vec::new();
    for def in COLLECTIONS {
        for o in st.store.all(def.name) {
            let text = if def.name == "attachments" {
                format!(
                    "{} {}",
                    o.str_field("title").unwrap_or(""),
                    o.str_field("name").unwrap_or("")
                )
            } else {
                o.str_field(def.naming).unwrap_or("").to_string()
            };
            if text.to_lowercase().contains(&q) {
                out.push(json!({ "id": o.id, "value": text, "object": def.singular }));
            }
        }
    }
    out.truncate(limit);
    Ok(reply::data(Value::Array(out)))
}
