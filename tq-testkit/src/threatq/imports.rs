//! File parse/import sessions (§12, samples/threatq-attachments.json `parse_for_indicators`):
//! `POST /api/imports` with an `attachment_id` (or `text`) and a parser (`content_type_id`,
//! a parsable attachment type), `PUT /api/imports/{id}` with the source and the status,
//! `GET /api/imports/{id}/commit`, `GET /api/imports/{id}/indicators`, `DELETE`.
//!
//! Inferred [I]: every parser of the fake reads the content as text and finds URLs,
//! e-mail addresses, IPv4 addresses, MD5/SHA-1/SHA-256 hashes and FQDNs in it; the commit
//! answers `{"data":{"id","committed":true,"indicators":n}}`; the indicators list is a
//! list envelope of `{id, value, type{name}}` (ids once committed).

use serde_json::{json, Value};

use super::indicators::upsert_body;
use super::query::list_params;
use super::reply::{self, invalid, json_body, not_found, Reply};
use super::store::Import;
use super::validate::{check, opt, Ty, F};
use super::State;
use crate::server::Request;

const CREATE: &[F] = &[
    opt("attachment_id", Ty::Int),
    opt("text", Ty::Str),
    opt("content_type_id", Ty::Int),
    opt("normalize", Ty::Flag),
];

const CONFIGURE: &[F] = &[
    opt("delete_after_import", Ty::Flag),
    opt("import_source", Ty::Obj(super::validate::SOURCE)),
    opt("indicator_global_status", Ty::Int),
];

/// `POST /api/imports` → `{"data":{"id"}}`.
pub fn create(st: &mut State, req: &Request) -> Reply {
    let body = json_body(req)?;
    check(&body, &Ty::Obj(CREATE), "")?;
    let parser_id = body
        .get("content_type_id")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("content_type_id", "The content type id field is required."))?;
    let parsable = st
        .store
        .lookups
        .attachment_types
        .by_id(parser_id)
        .is_some_and(|t| t.extra.get("is_parsable").and_then(Value::as_str) == Some("Y"));
    if !parsable {
        return Err(invalid(
            "content_type_id",
            "The selected content type id is invalid.",
        ));
    }
    let text = match (
        body.get("attachment_id").and_then(Value::as_u64),
        body.get("text").and_then(Value::as_str),
    ) {
        (Some(a), None) => {
            let o = st.store.get("attachments", a).ok_or_else(|| {
                invalid("attachment_id", "The selected attachment id is invalid.")
            })?;
            String::from_utf8_lossy(o.content.as_deref().unwrap_or_default()).into_owned()
        }
        (None, Some(t)) => t.to_string(),
        _ => {
            return Err(invalid(
                "attachment_id",
                "Either the attachment id or the text field is required.",
            ))
        }
    };
    let id = st.store.next_row_id();
    let found = find_indicators(&text)
        .into_iter()
        .map(|(v, t)| (v, t, None))
        .collect();
    st.store.imports.insert(
        id,
        Import {
            parser_id,
            source: None,
            status_id: None,
            found,
            committed: false,
        },
    );
    Ok(reply::created(json!({ "id": id })))
}

/// `PUT /api/imports/{id}` with the source and the status of what it imports.
pub fn configure(st: &mut State, req: &Request, id: u64) -> Reply {
    let body = json_body(req)?;
    check(&body, &Ty::Obj(CONFIGURE), "")?;
    let status = body.get("indicator_global_status").and_then(Value::as_u64);
    if let Some(s) = status {
        if st.store.lookups.statuses.by_id(s).is_none() {
            return Err(invalid(
                "indicator_global_status",
                "The selected indicator global status is invalid.",
            ));
        }
    }
    let imp = st.store.imports.get_mut(&id).ok_or_else(not_found)?;
    if let Some(name) = body.pointer("/import_source/name").and_then(Value::as_str) {
        imp.source = Some(name.to_string());
    }
    if status.is_some() {
        imp.status_id = status;
    }
    Ok(reply::data(
        json!({ "id": id, "content_type_id": imp.parser_id }),
    ))
}

/// `GET /api/imports/{id}/commit`: the indicators found are upserted with the session's
/// source and status.
pub fn commit(st: &mut State, id: u64) -> Reply {
    let imp = st.store.imports.get(&id).ok_or_else(not_found)?.clone();
    if imp.committed {
        return Err(invalid("id", "The import has already been committed."));
    }
    let mut ids = Vec::with_capacity(imp.found.len());
    for (value, kind, _) in &imp.found {
        let mut item = json!({ "value": value, "type": kind });
        if let Some(s) = imp.status_id {
            item["status_id"] = json!(s);
        }
        if let Some(src) = &imp.source {
            item["sources"] = json!([{ "name": src }]);
        }
        ids.push(upsert_body(st, item)?[0]);
    }
    let imp = st.store.imports.get_mut(&id).ok_or_else(not_found)?;
    for (f, i) in imp.found.iter_mut().zip(ids) {
        f.2 = Some(i);
    }
    imp.committed = true;
    Ok(reply::data(json!({
        "id": id, "committed": true, "indicators": imp.found.len()
    })))
}

/// `GET /api/imports/{id}/indicators[?limit&offset]` → the indicators found.
pub fn indicators(st: &State, req: &Request, id: u64) -> Reply {
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let imp = st.store.imports.get(&id).ok_or_else(not_found)?;
    let data = imp
        .found
        .iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|(v, t, i)| json!({ "id": i, "value": v, "type": { "name": t } }))
        .collect();
    Ok(reply::page(imp.found.len(), data, p.limit, p.offset))
}

/// `DELETE /api/imports/{id}` → 204.
pub fn delete(st: &mut State, id: u64) -> Reply {
    st.store.imports.remove(&id).ok_or_else(not_found)?;
    Ok(reply::no_content())
}

/// The indicators in a text, in order of appearance, without repeats: (value, type name).
pub fn find_indicators(text: &str) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let seps = |c: char| c.is_whitespace() || "\"'<>()[]{},;|".contains(c);
    for raw in text.split(seps) {
        let token = raw.trim_end_matches(['.', ':', '!', '?']);
        let Some(kind) = classify(token) else {
            continue;
        };
        if !out.iter().any(|(v, _)| v == token) {
            out.push((token.to_string(), kind));
        }
    }
    out
}

fn classify(t: &str) -> Option<&'static str> {
    let lower = t.to_ascii_lowercase();
    if (lower.starts_with("http://") || lower.starts_with("https://")) && t.len() > 8 {
        return Some("URL");
    }
    if let Some((user, host)) = t.split_once('@') {
        return (!user.is_empty() && is_fqdn(host)).then_some("Email Address");
    }
    if t.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some("IP Address");
    }
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_hexdigit()) {
        return match t.len() {
            32 => Some("MD5"),
            40 => Some("SHA-1"),
            64 => Some("SHA-256"),
            _ => None,
        };
    }
    is_fqdn(t).then_some("FQDN")
}

fn is_fqdn(t: &str) -> bool {
    let labels: Vec<&str> = t.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind_once() {
        let text = "Seen 198.51.100.7 and bad.example.com (again: bad.example.com).\n\
                    Payload https://evil.example/x?a=1 from phish@example.org, \
                    hash 44d88612fea8a8f36de82e1278abb02f; version 1.2";
        let found = find_indicators(text);
        assert_eq!(
            found,
            vec![
                ("198.51.100.7".to_string(), "IP Address"),
                ("bad.example.com".to_string(), "FQDN"),
                ("https://evil.example/x?a=1".to_string(), "URL"),
                ("phish@example.org".to_string(), "Email Address"),
                ("44d88612fea8a8f36de82e1278abb02f".to_string(), "MD5"),
            ]
        );
    }
}
