//! The typed ThreatQ API client (design.md §3, research/threatq-api.md).
//!
//! No connector builds a ThreatQ URL: every call lives here, in modules by object
//! ([`indicators`], [`events`] (and adversaries), [`tasks`], [`attachments`], [`objects`]
//! (attributes, sources, comments, tags, links, watch), [`users`], [`watchlist`],
//! [`lookups`], [`collections`]), with typed requests and answers ([`model`]). Calls the
//! research marks as inferred ([I]) are each isolated behind one function and say so:
//! [`ThreatQ::saved_searches`], [`ThreatQ::indicators_changed_since`],
//! [`ThreatQ::events_changed_since`], [`ThreatQ::events_matching`],
//! [`ThreatQ::update_task`], [`ThreatQ::parse_attachment`], [`ThreatQ::watched_by`].
//!
//! The client runs on [`crate::rest::RestClient`]. Authentication is the password grant
//! (`POST /api/token`, JSON body); the token is renewed before `expires_in` runs out, and a
//! 401 on any call renews it once (refresh token, else a new login) and retries the call
//! once.

pub mod attachments;
pub mod collections;
pub mod events;
pub mod indicators;
pub mod lookups;
pub mod model;
pub mod objects;
pub mod tasks;
mod token;
pub mod users;
pub mod watchlist;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::http::{Http, Method, Request};
use crate::rest::{Auth, ErrorMapper, Page, RestClient, RestConfig, TokenCache};
use crate::secret::Secret;
use crate::{Error, Result};

pub use model::*;

/// How the errors of this client name the remote system.
pub const SYSTEM: &str = "ThreatQ";

/// Bulk writes are sent in batches of this many objects (threatqsdk `bulk_upload`).
pub const BULK_BATCH: usize = 500;

/// Page size asked for list reads; the server may cap it lower, paging copes.
pub const PAGE_SIZE: usize = 500;

/// Renew the token this long before the announced expiry.
const TOKEN_MARGIN: Duration = Duration::from_secs(30);

/// Connection settings (from a config: [`crate::config::ThreatQKeys::settings`]).
#[derive(Debug, Clone)]
pub struct ThreatQSettings {
    /// Base URL `https://host[:port]` (no `/api`).
    pub base_url: String,
    /// Per-user API client id.
    pub client_id: Secret,
    /// Login e-mail.
    pub username: String,
    /// Password.
    pub password: Secret,
    /// The default indicator status name.
    pub status: String,
}

/// A logged-in ThreatQ client. Cheap lookups (statuses, types, sources) are cached by name.
/// Clones share the token and the caches (one login per process, whichever thread calls).
#[derive(Clone)]
pub struct ThreatQ {
    rest: RestClient,
    settings: ThreatQSettings,
    pub(crate) cache: Arc<Mutex<HashMap<String, HashMap<String, i64>>>>,
}

impl std::fmt::Debug for ThreatQ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreatQ")
            .field("base_url", &self.settings.base_url)
            .field("username", &self.settings.username)
            .finish_non_exhaustive()
    }
}

impl ThreatQ {
    /// A client; nothing is sent until the first call (or [`ThreatQ::login`]).
    pub fn new(settings: ThreatQSettings, http: Http) -> ThreatQ {
        let tokens = TokenCache::new(SYSTEM, token::PasswordGrant::new(&settings), TOKEN_MARGIN);
        let config = RestConfig {
            auth: Auth::Token(tokens),
            errors: ErrorMapper {
                detail: error_detail,
                hint: status_hint,
                reported: reported_errors,
            },
            ..RestConfig::default()
        };
        let rest = RestClient::new(SYSTEM, settings.base_url.clone(), http, config);
        ThreatQ {
            rest,
            settings,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ThreatQSettings {
        &self.settings
    }

    /// The REST client underneath (base URL, token, error mapper).
    pub fn rest(&self) -> &RestClient {
        &self.rest
    }

    /// Logs in now (a bad password or client id fails here, with a clear message).
    pub fn login(&self) -> Result<()> {
        self.rest.login()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        self.rest
            .url(&format!("api/{}", path.trim_start_matches('/')))
    }

    /// A JSON call: non-2xx answers and 2xx answers carrying `errors` become errors
    /// naming the call; the body is returned parsed (`Null` for an empty body).
    pub(crate) fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Value> {
        let mut req = Request::new(method, self.url(path));
        for (k, v) in query {
            req = req.query(*k, v.clone());
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        self.call_req(req)
    }

    /// Like [`ThreatQ::call`] for a prepared request (multipart uploads, idempotent POSTs).
    pub(crate) fn call_req(&self, req: Request) -> Result<Value> {
        self.rest.call(&req)
    }

    /// Checks the login and the configured status: returns (user, status id).
    pub fn check(&self) -> Result<(User, i64)> {
        self.login()?;
        let user = self.current_user()?;
        let status = self.status_id(&self.settings.status)?;
        Ok((user, status))
    }

    /// `GET /api/users/current`.
    pub fn current_user(&self) -> Result<User> {
        let v = self.call(Method::Get, "users/current", &[], None)?;
        from_data(v, "users/current")
    }
}

/// A 2xx answer carrying a non-empty `errors` is a failure too (threatq-api.md §19).
fn reported_errors(v: &Value) -> Option<String> {
    v.get("errors")
        .filter(|e| !is_empty_json(e))
        .map(Value::to_string)
}

fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The hints ThreatQ's statuses get in errors.
fn status_hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some(" (the token was refused again after renewal)"),
        403 => Some(" (the ThreatQ user lacks the permission)"),
        404 => Some(" (no such object or route)"),
        _ => None,
    }
}

/// The error text of a ThreatQ error body (threatq-api.md §19): `data.errors` field map,
/// an `errors` list, or OAuth-style `error`/`message`.
fn error_detail(v: &Value) -> Option<String> {
    if let Some(errs) = v.pointer("/data/errors").and_then(Value::as_object) {
        let parts: Vec<String> = errs
            .iter()
            .map(|(field, msgs)| format!("{field}: {}", crate::rest::flatten_messages(msgs)))
            .collect();
        return Some(parts.join("; "));
    }
    if let Some(errs) = v.get("errors") {
        return Some(crate::rest::flatten_messages(errs));
    }
    let msg = v
        .get("message")
        .or_else(|| v.get("error_description"))
        .or_else(|| v.get("error"))?;
    Some(crate::rest::flatten_messages(msg))
}

/// `data` of a single-object envelope, deserialized.
pub(crate) fn from_data<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    let data = match v {
        Value::Object(mut o) => o.remove("data").unwrap_or(Value::Object(o)),
        other => other,
    };
    // A create that answers with a one-item list (indicators) is read as its item.
    let data = match data {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        other => other,
    };
    serde_json::from_value(data)
        .map_err(|e| Error::remote(SYSTEM, format!("unexpected answer to {what}: {e}")))
}

/// The rows of a list envelope: `data` as a list, `{}`/`[]`/null as empty, or one object.
pub(crate) fn rows(v: &Value) -> Vec<Value> {
    match v.get("data").unwrap_or(v) {
        Value::Array(a) => a.clone(),
        Value::Object(o) if o.is_empty() => Vec::new(),
        Value::Object(_) => vec![v.get("data").cloned().unwrap_or(Value::Null)],
        _ => Vec::new(),
    }
}

/// Like [`rows`], taking the envelope: the rows are moved out, not copied (a collection
/// page of indicators with their attributes is megabytes).
pub(crate) fn into_rows(v: Value) -> Vec<Value> {
    let data = match v {
        Value::Object(mut o) => match o.remove("data") {
            Some(d) => d,
            None => Value::Object(o),
        },
        other => other,
    };
    match data {
        Value::Array(a) => a,
        Value::Object(o) if o.is_empty() => Vec::new(),
        d @ Value::Object(_) => vec![d],
        _ => Vec::new(),
    }
}

/// Deserializes rows leniently; a row that does not fit is an error naming the call.
pub(crate) fn typed_rows<T: serde::de::DeserializeOwned>(
    rows: Vec<Value>,
    what: &str,
) -> Result<Vec<T>> {
    rows.into_iter()
        .map(|r| {
            serde_json::from_value(r)
                .map_err(|e| Error::remote(SYSTEM, format!("unexpected row in {what}: {e}")))
        })
        .collect()
}

/// `total` of a list envelope, when given.
pub(crate) fn total(v: &Value) -> Option<usize> {
    v.get("total").and_then(|t| {
        t.as_u64()
            .or_else(|| t.as_str().and_then(|s| s.parse().ok()))
            .map(|n| n as usize)
    })
}

impl ThreatQ {
    /// Reads every page of a list endpoint with `limit`/`offset` paging.
    pub(crate) fn list_all(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<Value>> {
        self.paged(|offset| {
            let mut req = Request::new(Method::Get, self.url(path));
            for (k, v) in query {
                req = req.query(*k, v.clone());
            }
            req.query("limit", PAGE_SIZE.to_string())
                .query("offset", offset.to_string())
        })
    }

    /// Every page of a structured query (`POST /api/{collection}/query`, §4.2) with `body`
    /// (`criteria`, `filters`), sorted by `sort` (stable paging), relations `with`.
    pub(crate) fn query_all(
        &self,
        collection: &str,
        body: &Value,
        sort: &str,
        with: &str,
    ) -> Result<Vec<Value>> {
        let path = format!("{collection}/query");
        self.paged(|offset| {
            Request::new(Method::Post, self.url(&path))
                .query("limit", PAGE_SIZE.to_string())
                .query("offset", offset.to_string())
                .query("sort", sort)
                .query("with", with)
                .json(body.clone())
                .idempotent(true)
        })
    }

    /// Offset paging over any request: `make(offset)` builds the request for a page. The
    /// offset advances by the rows received (a server may cap `limit`), and paging stops
    /// at an empty page, when `total` is reached, or (no `total`) at a short page.
    pub(crate) fn paged(&self, make: impl FnMut(usize) -> Request) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        self.visit_pages(make, |rows| {
            out.extend(rows);
            Ok(())
        })?;
        Ok(out)
    }

    /// [`ThreatQ::paged`], handing each page to `visit` instead of keeping them all.
    pub(crate) fn visit_pages(
        &self,
        make: impl FnMut(usize) -> Request,
        mut visit: impl FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<usize> {
        self.rest
            .visit_offset(PAGE_SIZE, make, list_page, &mut visit)
    }
}

/// A ThreatQ list envelope as a page: `data` rows and `total`.
fn list_page(v: Value) -> Page {
    Page {
        total: total(&v),
        rows: into_rows(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_details_of_each_documented_form() {
        let f1 = json!({"data":{"errors":{"name":["The name has already been taken."]}}});
        assert_eq!(
            error_detail(&f1).unwrap(),
            "name: The name has already been taken."
        );
        let f2 = json!({"errors":["First Error", ["part 1", "part 2"]]});
        assert_eq!(error_detail(&f2).unwrap(), "First Error, part 1, part 2");
        let f3 = json!({"error":"invalid_grant","message":"The user credentials were incorrect."});
        assert_eq!(
            error_detail(&f3).unwrap(),
            "The user credentials were incorrect."
        );
    }

    #[test]
    fn rows_accept_list_empty_object_and_single_object() {
        assert_eq!(rows(&json!({"data":[{"id":1}]})).len(), 1);
        assert_eq!(rows(&json!({"data":{}})).len(), 0);
        assert_eq!(rows(&json!({"data":{"id":1}})).len(), 1);
        for v in [
            json!({"data":[{"id":1},{"id":2}]}),
            json!({"data":{}}),
            json!({"data":[]}),
            json!({"data":{"id":1}}),
            json!({"data":null}),
            json!([{"id":1}]),
        ] {
            assert_eq!(into_rows(v.clone()), rows(&v), "{v}");
        }
        assert_eq!(total(&json!({"total":"12"})), Some(12));
    }

    #[test]
    fn indicators_read_leniently() {
        let v = json!({"id":"27","value":"198.51.100.7","type":{"id":15,"name":"IP Address"},
            "status_id":1,"score":{"generated_score":"4.00","manual_score":null},
            "attributes":[{"id":6,"name":"Country","value":"US"}],"unknown_field":true});
        let i: Indicator = serde_json::from_value(v).unwrap();
        assert_eq!(i.id, 27);
        assert_eq!(i.type_name.as_deref(), Some("IP Address"));
        assert_eq!(i.score, Some(4.0));
        assert_eq!(i.attributes[0].value, "US");
        let j: Indicator = serde_json::from_value(json!({"id":1,"score":7})).unwrap();
        assert_eq!(j.score, Some(7.0));
    }
}
