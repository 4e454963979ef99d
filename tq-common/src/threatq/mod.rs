//! The typed ThreatQ API client (design.md §3, research/threatq-api.md).
//!
//! No connector builds a ThreatQ URL: every call lives here, in modules by object
//! ([`indicators`], [`objects`], [`lookups`], [`collections`]). Calls the research marks
//! as inferred ([I]) are each isolated behind one function and say so.
//!
//! Authentication is the password grant (`POST /api/token`, JSON body); the token is
//! renewed before `expires_in` runs out, and a 401 on any call drops it, renews it once
//! (refresh token, else a new login) and retries the call once.

pub mod collections;
pub mod events;
pub mod indicators;
pub mod lookups;
pub mod model;
pub mod objects;
pub mod tasks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::http::{Http, Method, Request, Response};
use crate::secret::Secret;
use crate::{Error, Result};

pub use model::*;

/// How the errors of this client name the remote system.
pub const SYSTEM: &str = "ThreatQ";

/// Bulk writes are sent in batches of this many objects (threatqsdk `bulk_upload`).
pub const BULK_BATCH: usize = 500;

/// Page size asked for list reads; the server may cap it lower, paging copes.
pub const PAGE_SIZE: usize = 500;

/// Token lifetime assumed when the server sends no `expires_in` (threatqsdk: 30 min).
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(30 * 60);

/// Renew this long before the announced expiry.
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

struct Token {
    access: Secret,
    refresh: Option<Secret>,
    expires_at: Instant,
}

/// A logged-in ThreatQ client. Cheap lookups (statuses, types, sources) are cached by name.
/// Clones share the token and the caches (one login per process, whichever thread calls).
#[derive(Clone)]
pub struct ThreatQ {
    http: Http,
    settings: ThreatQSettings,
    token: Arc<Mutex<Option<Token>>>,
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
        ThreatQ {
            http,
            settings,
            token: Arc::new(Mutex::new(None)),
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ThreatQSettings {
        &self.settings
    }

    /// Logs in now (a bad password or client id fails here, with a clear message).
    pub fn login(&self) -> Result<()> {
        let t = self.password_grant()?;
        *self.lock_token() = Some(t);
        Ok(())
    }

    fn lock_token(&self) -> std::sync::MutexGuard<'_, Option<Token>> {
        self.token.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/api/{}",
            self.settings.base_url,
            path.trim_start_matches('/')
        )
    }

    fn token_request(&self) -> Request {
        Request::new(Method::Post, self.url("token"))
    }

    fn password_grant(&self) -> Result<Token> {
        // JSON body only (threatq-api.md §2.1 form 2): nothing secret in the URL.
        let req = self.token_request().json(json!({
            "email": self.settings.username,
            "password": self.settings.password.expose(),
            "grant_type": "password",
            "client_id": self.settings.client_id.expose(),
        }));
        let resp = self.http.send(SYSTEM, &req)?;
        if !resp.ok() {
            return Err(Error::Remote {
                system: SYSTEM.into(),
                message: format!(
                    "login refused for {} at {} (HTTP {}): check username, password and client_id in [threatq]",
                    self.settings.username, self.settings.base_url, resp.status
                ),
                retry_after: None,
                status: Some(resp.status),
            });
        }
        parse_token(&resp)
    }

    fn refresh_grant(&self, old: &Token) -> Option<Token> {
        let refresh = old.refresh.as_ref()?;
        let req = self
            .token_request()
            .query("grant_type", "refresh_token")
            .query("refresh_token", refresh.expose())
            .header("Authorization", format!("Bearer {}", old.access.expose()))
            .json(json!({}));
        match self.http.send(SYSTEM, &req) {
            Ok(resp) if resp.ok() => parse_token(&resp).ok(),
            Ok(resp) => {
                log::debug!("token refresh answered {}; logging in again", resp.status);
                None
            }
            Err(e) => {
                log::debug!(
                    "token refresh failed ({}); logging in again",
                    e.safe_message()
                );
                None
            }
        }
    }

    /// The current access token, renewed when it is about to expire.
    fn access_token(&self, force_renew: bool) -> Result<Secret> {
        let mut guard = self.lock_token();
        let fresh = guard
            .as_ref()
            .is_some_and(|t| !force_renew && Instant::now() + TOKEN_MARGIN < t.expires_at);
        if !fresh {
            log::debug!(
                "renewing the ThreatQ token ({})",
                match guard.as_ref() {
                    None => "none yet",
                    Some(_) if force_renew => "refused by the server",
                    Some(_) => "about to expire",
                }
            );
            let renewed = match guard.as_ref() {
                Some(old) => self.refresh_grant(old),
                None => None,
            };
            let t = match renewed {
                Some(t) => t,
                None => self.password_grant()?,
            };
            *guard = Some(t);
        }
        guard
            .as_ref()
            .map(|t| t.access.clone())
            .ok_or_else(|| Error::runtime("no ThreatQ token"))
    }

    /// Sends an authenticated request; a 401 renews the token once and retries.
    pub(crate) fn send(&self, req: Request) -> Result<Response> {
        let mut renewed = false;
        loop {
            let token = self.access_token(renewed)?;
            let bearer = format!("Bearer {}", token.expose());
            let resp = self
                .http
                .send_with(SYSTEM, &req, &[("Authorization", bearer.as_str())])?;
            if resp.status == 401 && !renewed {
                log::info!("ThreatQ answered 401 (token expired or revoked); renewing the token");
                renewed = true;
                continue;
            }
            return Ok(resp);
        }
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
        let what = format!("{} /api/{}", method_name(&req), path_of(&req.url));
        let resp = self.send(req)?;
        let parsed: Value = if resp.body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice(&resp.body) {
                Ok(v) => v,
                Err(e) if resp.ok() => {
                    return Err(Error::Remote {
                        system: SYSTEM.into(),
                        message: format!(
                            "{what}: the answer is not JSON ({e}): {}",
                            resp.excerpt()
                        ),
                        retry_after: None,
                        status: Some(resp.status),
                    })
                }
                Err(_) => Value::Null,
            }
        };
        if !resp.ok() {
            let detail = error_detail(&parsed).unwrap_or_else(|| resp.excerpt());
            let hint = match resp.status {
                401 => " (the token was refused again after renewal)",
                403 => " (the ThreatQ user lacks the permission)",
                404 => " (no such object or route)",
                _ => "",
            };
            return Err(Error::Remote {
                system: SYSTEM.into(),
                message: format!("{what} answered {}{hint}: {detail}", resp.status),
                retry_after: None,
                status: Some(resp.status),
            });
        }
        if let Some(detail) = parsed.get("errors").filter(|e| !is_empty_json(e)) {
            return Err(Error::Remote {
                system: SYSTEM.into(),
                message: format!("{what} reported errors: {detail}"),
                retry_after: None,
                status: Some(resp.status),
            });
        }
        Ok(parsed)
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

fn method_name(req: &Request) -> &'static str {
    match req.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

fn path_of(url: &str) -> &str {
    url.split("/api/").nth(1).unwrap_or(url)
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

/// The error text of a ThreatQ error body (threatq-api.md §19): `data.errors` field map,
/// an `errors` list, or OAuth-style `error`/`message`.
fn error_detail(v: &Value) -> Option<String> {
    if let Some(errs) = v.pointer("/data/errors").and_then(Value::as_object) {
        let parts: Vec<String> = errs
            .iter()
            .map(|(field, msgs)| format!("{field}: {}", flatten_messages(msgs)))
            .collect();
        return Some(parts.join("; "));
    }
    if let Some(errs) = v.get("errors") {
        return Some(flatten_messages(errs));
    }
    let msg = v
        .get("message")
        .or_else(|| v.get("error_description"))
        .or_else(|| v.get("error"))?;
    Some(flatten_messages(msg))
}

fn flatten_messages(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(flatten_messages)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn parse_token(resp: &Response) -> Result<Token> {
    let v: Value = serde_json::from_slice(&resp.body).map_err(|_| {
        Error::remote(
            SYSTEM,
            "the token answer is not JSON (is the host a ThreatQ?)",
        )
    })?;
    let access = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::remote(SYSTEM, "the token answer has no access_token"))?;
    let refresh = v
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    let ttl = v
        .get("expires_in")
        .and_then(|e| {
            e.as_u64()
                .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
        })
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TOKEN_TTL);
    Ok(Token {
        access: Secret::new(access),
        refresh,
        expires_at: Instant::now() + ttl,
    })
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

    /// Offset paging over any request: `make(offset)` builds the request for a page. The
    /// offset advances by the rows received (a server may cap `limit`), and paging stops
    /// at an empty page, when `total` is reached, or (no `total`) at a short page.
    pub(crate) fn paged(&self, mut make: impl FnMut(usize) -> Request) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            let v = self.call_req(make(out.len()))?;
            let total = total(&v);
            let page = into_rows(v);
            let n = page.len();
            out.extend(page);
            let done = match total {
                _ if n == 0 => true,
                Some(t) => out.len() >= t,
                None => n < PAGE_SIZE,
            };
            if done {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
