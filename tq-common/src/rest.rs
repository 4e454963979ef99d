//! A JSON REST client for any remote system (ThreatQ, Cisco Threat Response, Resilient,
//! Request Tracker): a base URL, authentication, one error mapper that names the system in
//! every error, offset and cursor paging, and a token cache.
//!
//! - [`Auth`]: none, HTTP Basic, a fixed secret header (`Authorization: token ...`), or a
//!   [`TokenCache`] over a pluggable [`TokenSource`] (OAuth password or client-credentials
//!   grants, a session login that answers a CSRF token and a cookie: a [`Credential`] is a
//!   set of headers, so a session is as easy as a bearer token).
//! - The token cache is shared by clones and threads: it is renewed shortly before it
//!   expires, and once when a call is answered 401 (only one renewal when several threads
//!   are refused at once), and the call is then sent again once.
//! - [`RestClient::call`] is a JSON call: a non-2xx answer becomes [`Error::Remote`] with
//!   the system, the method and path, the status with a hint, and the error detail the
//!   system's [`ErrorMapper`] finds in the body. [`RestClient::send`] is the raw exchange
//!   (text protocols such as RT's REST 1.0, downloads, multipart uploads), authenticated
//!   and renewed the same way.
//! - Retries, backoff, `Retry-After`, timeouts, TLS and proxies are [`crate::http`]'s.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::{Http, Method, Request, Response};
use crate::{Error, Result, Secret};

/// A credential from a [`TokenSource`]: the headers that authenticate a call, and when it
/// expires. `Debug` shows the header names only.
#[derive(Clone, Default)]
pub struct Credential {
    /// Headers sent on every call: `Authorization: Bearer ...`, or a session's
    /// `X-sess-id` and `Cookie`.
    pub headers: Vec<(String, Secret)>,
    /// When the credential stops working, if the system says; `None` = until refused.
    pub expires_at: Option<Instant>,
    /// What the source needs to renew it without a full login (an OAuth refresh token).
    pub refresh: Option<Secret>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// `Authorization: Bearer <token>`, valid for `ttl` (when known).
    pub fn bearer(token: &Secret, ttl: Option<Duration>) -> Credential {
        Credential {
            headers: vec![(
                "Authorization".to_string(),
                Secret::new(format!("Bearer {}", token.expose())),
            )],
            expires_at: ttl.map(|t| Instant::now() + t),
            refresh: None,
        }
    }

    /// Adds a header (a CSRF token, a session cookie).
    pub fn with_header(mut self, name: impl Into<String>, value: Secret) -> Credential {
        self.headers.push((name.into(), value));
        self
    }
}

/// An OAuth 2 token answer (`access_token`, `refresh_token`, `expires_in`, `scope`), as
/// ThreatQ's password grant and CTR's client-credentials grant answer it.
#[derive(Debug, Clone)]
pub struct OAuthToken {
    /// The access token.
    pub access: Secret,
    /// The refresh token, when one was issued.
    pub refresh: Option<Secret>,
    /// Its lifetime, when the answer says (a number or a numeric string, even a float).
    pub expires_in: Option<Duration>,
    /// The scopes granted (empty when not said).
    pub scope: String,
}

impl OAuthToken {
    /// Reads a token answer; `None` when it has no non-empty `access_token`.
    pub fn parse(v: &Value) -> Option<OAuthToken> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let expires_in = v.get("expires_in").and_then(|e| {
            e.as_u64()
                .or_else(|| e.as_f64().map(|f| f.max(0.0) as u64))
                .or_else(|| e.as_str().and_then(|s| s.trim().parse().ok()))
        });
        Some(OAuthToken {
            access: Secret::new(text("access_token")?),
            refresh: text("refresh_token").map(Secret::new),
            expires_in: expires_in.map(Duration::from_secs),
            scope: text("scope").unwrap_or_default().to_string(),
        })
    }

    /// The bearer credential of this token, valid `expires_in` (else `default_ttl`), with
    /// the refresh token kept for the source.
    pub fn credential(&self, default_ttl: Duration) -> Credential {
        Credential {
            refresh: self.refresh.clone(),
            ..Credential::bearer(&self.access, Some(self.expires_in.unwrap_or(default_ttl)))
        }
    }
}

/// Where a [`TokenCache`] gets credentials: a login, a token grant, a session.
pub trait TokenSource: Send + Sync {
    /// A new credential. `previous` is the one being replaced (expiring, or refused with a
    /// 401), `None` at the first login; a source may use it to refresh instead of logging
    /// in again. Errors name the system, the account and what to check, never a secret.
    fn fetch(&self, http: &Http, previous: Option<&Credential>) -> Result<Credential>;
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn fetch(&self, http: &Http, previous: Option<&Credential>) -> Result<Credential> {
        (**self).fetch(http, previous)
    }
}

struct Slot {
    credential: Option<Arc<Credential>>,
    /// Counts renewals, so a thread refused with an old credential does not renew again
    /// what another thread renewed meanwhile.
    generation: u64,
}

struct CacheInner {
    system: String,
    source: Box<dyn TokenSource>,
    margin: Duration,
    slot: Mutex<Slot>,
    fetches: AtomicUsize,
}

/// A credential cache over a [`TokenSource`], shared by clones and threads. Renewals
/// happen under one lock: threads that need a credential meanwhile wait for the one being
/// fetched.
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<CacheInner>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("system", &self.inner.system)
            .field("fetches", &self.fetches())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache for `system` that renews a credential `margin` before it expires.
    pub fn new(
        system: impl Into<String>,
        source: impl TokenSource + 'static,
        margin: Duration,
    ) -> TokenCache {
        TokenCache {
            inner: Arc::new(CacheInner {
                system: system.into(),
                source: Box::new(source),
                margin,
                slot: Mutex::new(Slot {
                    credential: None,
                    generation: 0,
                }),
                fetches: AtomicUsize::new(0),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.inner.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fetch_into(&self, http: &Http, slot: &mut Slot, why: &str) -> Result<Arc<Credential>> {
        log::debug!("{}: obtaining a credential ({why})", self.inner.system);
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let c = Arc::new(self.inner.source.fetch(http, slot.credential.as_deref())?);
        slot.credential = Some(c.clone());
        slot.generation += 1;
        Ok(c)
    }

    /// The current credential and its generation, fetched first when there is none or it
    /// expires within the margin.
    pub fn current(&self, http: &Http) -> Result<(Arc<Credential>, u64)> {
        let mut slot = self.lock();
        let why = match &slot.credential {
            None => "none yet",
            Some(c)
                if c.expires_at
                    .is_some_and(|t| Instant::now() + self.inner.margin >= t) =>
            {
                "about to expire"
            }
            Some(c) => return Ok((c.clone(), slot.generation)),
        };
        let c = self.fetch_into(http, &mut slot, why)?;
        Ok((c, slot.generation))
    }

    /// A credential to replace the one of generation `refused` (answered 401). When another
    /// thread renewed it meanwhile, that newer credential is returned without a fetch.
    pub fn renew(&self, http: &Http, refused: u64) -> Result<(Arc<Credential>, u64)> {
        let mut slot = self.lock();
        if slot.generation != refused {
            if let Some(c) = &slot.credential {
                return Ok((c.clone(), slot.generation));
            }
        }
        let c = self.fetch_into(http, &mut slot, "refused by the server")?;
        Ok((c, slot.generation))
    }

    /// Fetches a new credential now (a login check: bad credentials fail here).
    pub fn login(&self, http: &Http) -> Result<Arc<Credential>> {
        let mut slot = self.lock();
        slot.credential = None;
        self.fetch_into(http, &mut slot, "login")
    }

    /// How many times the source was asked for a credential (failed attempts included).
    pub fn fetches(&self) -> usize {
        self.inner.fetches.load(Ordering::Relaxed)
    }
}

/// How calls authenticate.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// No authentication (or it is in each request, as RT's REST 1.0 form fields).
    #[default]
    None,
    /// One fixed header: `Authorization: Basic ...` (see [`Auth::basic`]), `Authorization:
    /// token ...`, an API key header.
    Header {
        /// Header name.
        name: String,
        /// Header value.
        value: Secret,
    },
    /// A credential from a [`TokenCache`], renewed before expiry and once on 401.
    Token(TokenCache),
}

impl Auth {
    /// HTTP Basic (`Authorization: Basic base64(user:password)`).
    pub fn basic(user: &str, password: &Secret) -> Auth {
        Auth::Header {
            name: "Authorization".into(),
            value: crate::http::basic_auth(user, password),
        }
    }
}

/// How a system's errors are told: the detail found in an error body, and a hint per status.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMapper {
    /// The error text of a parsed error body, if the system's form is found in it.
    pub detail: fn(&Value) -> Option<String>,
    /// A hint appended to the status (" (the user lacks the permission)").
    pub hint: fn(u16) -> Option<&'static str>,
    /// The failure a 2xx JSON answer reports, for systems that answer some errors with
    /// 2xx (ThreatQ: an `errors` key).
    pub reported: fn(&Value) -> Option<String>,
}

impl Default for ErrorMapper {
    fn default() -> Self {
        ErrorMapper {
            detail: common_error_detail,
            hint: common_hint,
            reported: |_| None,
        }
    }
}

/// The error for a login that `system` refused with HTTP `status`: "<system>: login
/// refused for <who> at <at> (HTTP <status>): <check>", `check` naming the settings the
/// operator should look at (never a secret: `who` is the user name or key id).
pub fn login_refused(system: &str, who: &str, at: &str, status: u16, check: &str) -> Error {
    Error::Remote {
        system: system.into(),
        message: format!("login refused for {who} at {at} (HTTP {status}): {check}"),
        retry_after: None,
        status: Some(status),
    }
}

/// Hints for the statuses every REST API uses alike.
pub fn common_hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some(" (the credentials were refused again after renewal)"),
        403 => Some(" (the account lacks the permission)"),
        404 => Some(" (no such object or route)"),
        409 => Some(" (conflict: the object changed meanwhile)"),
        _ => None,
    }
}

/// The error text of the body forms common to JSON APIs: `errors` (a list, a string or a
/// field map), `message`, OAuth's `error` + `error_description`, `title`/`detail`.
pub fn common_error_detail(v: &Value) -> Option<String> {
    if let Some(errs) = v.pointer("/data/errors").filter(|e| !e.is_null()) {
        return Some(flatten_messages(errs));
    }
    if let Some(errs) = v.get("errors").filter(|e| !e.is_null()) {
        return Some(flatten_messages(errs));
    }
    let code = v.get("error").and_then(Value::as_str);
    let desc = v
        .get("error_description")
        .or_else(|| v.get("message"))
        .or_else(|| v.get("detail"))
        .or_else(|| v.get("title"))
        .and_then(Value::as_str);
    match (code, desc) {
        (Some(c), Some(d)) => Some(format!("{c}: {d}")),
        (Some(c), None) => Some(c.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    }
}

/// Error messages of any shape as one line: strings as they are, lists joined with ", ",
/// field maps as `field: message`, joined with "; ".
pub fn flatten_messages(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(flatten_messages)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(fields) => fields
            .iter()
            .map(|(k, m)| format!("{k}: {}", flatten_messages(m)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// One page of an offset-paged list: its rows and, when the server says, the total.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The rows.
    pub rows: Vec<Value>,
    /// The total number of rows of the whole list.
    pub total: Option<usize>,
}

/// One page of a cursor-paged list: its rows, the next cursor, the total.
#[derive(Debug, Clone, Default)]
pub struct CursorPage {
    /// The rows.
    pub rows: Vec<Value>,
    /// The cursor of the next page (`None`: this was the last).
    pub next: Option<String>,
    /// The total number of rows, when the server says.
    pub total: Option<usize>,
}

/// How a [`RestClient`] authenticates and tells errors; `Default` is no authentication,
/// the common error mapper, and HTTP 401 as "credential refused".
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Authentication.
    pub auth: Auth,
    /// How errors are told.
    pub errors: ErrorMapper,
    /// How an answer that means "credential refused" is recognised, for systems that say it
    /// in a 200 body (RT's REST 1.0 answers `RT/x 401 Credentials required`).
    pub unauthorized: fn(&Response) -> bool,
}

impl Default for RestConfig {
    fn default() -> Self {
        RestConfig {
            auth: Auth::None,
            errors: ErrorMapper::default(),
            unauthorized: status_401,
        }
    }
}

/// A REST client for one system. Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct RestClient {
    http: Http,
    system: String,
    base_url: String,
    config: RestConfig,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("system", &self.system)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn status_401(resp: &Response) -> bool {
    resp.status == 401
}

impl RestClient {
    /// A client for `system` ("Resilient") at `base_url` (`https://host:port`; a trailing
    /// `/` is dropped) over `http`.
    pub fn new(
        system: impl Into<String>,
        base_url: impl Into<String>,
        http: Http,
        config: RestConfig,
    ) -> RestClient {
        RestClient {
            http,
            system: system.into(),
            base_url: base_url.into().trim_end_matches('/').to_string(),
            config,
        }
    }

    /// The system's name, as errors say it.
    pub fn system(&self) -> &str {
        &self.system
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The HTTP client.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// The token cache, when authentication uses one.
    pub fn tokens(&self) -> Option<&TokenCache> {
        match &self.config.auth {
            Auth::Token(c) => Some(c),
            _ => None,
        }
    }

    /// Logs in now when authentication uses a token (bad credentials fail here).
    pub fn login(&self) -> Result<()> {
        if let Some(c) = self.tokens() {
            c.login(&self.http)?;
        }
        Ok(())
    }

    /// The absolute URL of `path` (`/rest/orgs/201/incidents`; a leading `/` is optional).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path.trim_start_matches('/'))
    }

    /// A request for `path` under the base URL.
    pub fn request(&self, method: Method, path: &str) -> Request {
        Request::new(method, self.url(path))
    }

    /// Sends a request, authenticated; a refused credential is renewed once and the request
    /// sent again. Every status comes back as a response (5xx and 429 after the HTTP
    /// client's retries become errors): for text protocols, downloads and uploads.
    pub fn send(&self, req: &Request) -> Result<Response> {
        match &self.config.auth {
            Auth::None => self.http.send(&self.system, req),
            Auth::Header { name, value } => {
                self.http
                    .send_with(&self.system, req, &[(name.as_str(), value.expose())])
            }
            Auth::Token(cache) => {
                let (cred, generation) = cache.current(&self.http)?;
                let resp = self.send_as(req, &cred)?;
                if !(self.config.unauthorized)(&resp) {
                    return Ok(resp);
                }
                log::info!(
                    "{} refused the credential (expired or revoked); renewing it",
                    self.system
                );
                let (cred, _) = cache.renew(&self.http, generation)?;
                self.send_as(req, &cred)
            }
        }
    }

    fn send_as(&self, req: &Request, cred: &Credential) -> Result<Response> {
        let headers: Vec<(&str, &str)> = cred
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        self.http.send_with(&self.system, req, &headers)
    }

    /// A JSON call: the answer parsed (`Null` for an empty body); a non-2xx answer, a 2xx
    /// one that is not JSON, or one the mapper finds a reported failure in, is an error
    /// naming the system, the call and the status.
    pub fn call(&self, req: &Request) -> Result<Value> {
        let resp = self.send(req)?;
        self.json_of(req, &resp)
    }

    /// Reads `resp` (the answer to `req`) as [`RestClient::call`] does.
    pub fn json_of(&self, req: &Request, resp: &Response) -> Result<Value> {
        if !resp.ok() {
            return Err(self.error(req, resp));
        }
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let v: Value = serde_json::from_slice(&resp.body).map_err(|e| {
            self.fail(
                req,
                Some(resp.status),
                format!(": the answer is not JSON ({e}): {}", resp.excerpt()),
            )
        })?;
        if let Some(failure) = (self.config.errors.reported)(&v) {
            let failure = crate::logging::redact(&failure).into_owned();
            return Err(self.fail(
                req,
                Some(resp.status),
                format!(" reported errors: {failure}"),
            ));
        }
        Ok(v)
    }

    /// `GET path` with query parameters, as JSON.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value> {
        let mut req = self.request(Method::Get, path);
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        self.call(&req)
    }

    /// A JSON body to `path` with `method`, as JSON.
    pub fn send_json(&self, method: Method, path: &str, body: Value) -> Result<Value> {
        self.call(&self.request(method, path).json(body))
    }

    /// The error for a non-2xx answer: "<system>: <METHOD> <path> answered <status><hint>:
    /// <detail>", the detail found by the system's mapper, else an excerpt of the body
    /// (secrets masked either way).
    pub fn error(&self, req: &Request, resp: &Response) -> Error {
        let detail = serde_json::from_slice::<Value>(&resp.body)
            .ok()
            .and_then(|v| (self.config.errors.detail)(&v))
            .map(|d| crate::logging::redact(&d).into_owned())
            .unwrap_or_else(|| resp.excerpt());
        let hint = (self.config.errors.hint)(resp.status).unwrap_or("");
        self.fail(
            req,
            Some(resp.status),
            format!(" answered {}{hint}: {detail}", resp.status),
        )
    }

    /// An error about `req`: "<system>: <METHOD> <path>" followed by `message` (which
    /// starts with its own separator: " answered ...", ": ...").
    pub fn fail(&self, req: &Request, status: Option<u16>, message: String) -> Error {
        Error::Remote {
            system: self.system.clone(),
            message: format!("{}{message}", self.what(req)),
            retry_after: None,
            status,
        }
    }

    /// "<METHOD> <path>" of a request, the path relative to the base URL (no query).
    pub fn what(&self, req: &Request) -> String {
        let path = req.url.strip_prefix(&self.base_url).unwrap_or(&req.url);
        let path = path.split('?').next().unwrap_or(path);
        format!("{} {path}", req.method.as_str())
    }

    /// Reads every page of an offset-paged list into one list. See
    /// [`RestClient::visit_offset`].
    pub fn collect_offset(
        &self,
        page_size: usize,
        make: impl FnMut(usize) -> Request,
        page_of: impl Fn(Value) -> Page,
    ) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        self.visit_offset(page_size, make, page_of, |rows| {
            out.extend(rows);
            Ok(())
        })?;
        Ok(out)
    }

    /// Offset paging: `make(offset)` builds the request of the page starting at `offset`
    /// rows, `page_of` reads the answer, `visit` takes each page's rows. The offset advances
    /// by the rows received (a server may cap the page size lower than asked), and paging
    /// stops at an empty page, when `total` is reached, or (no `total`) at a page shorter
    /// than `page_size`. Returns the number of rows seen.
    pub fn visit_offset(
        &self,
        page_size: usize,
        mut make: impl FnMut(usize) -> Request,
        page_of: impl Fn(Value) -> Page,
        mut visit: impl FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<usize> {
        let mut seen = 0;
        loop {
            let page = page_of(self.call(&make(seen))?);
            let n = page.rows.len();
            seen += n;
            if n > 0 {
                visit(page.rows)?;
            }
            let done = match page.total {
                _ if n == 0 => true,
                Some(t) => seen >= t,
                None => n < page_size,
            };
            if done {
                return Ok(seen);
            }
        }
    }
}

/// Cursor paging: `make(cursor)` builds the request of a page, `page_of` reads it. Stops
/// at an empty page, or when the next cursor is missing or unchanged.
pub struct CursorPager<'a> {
    rest: &'a RestClient,
    make: Box<dyn FnMut(&str) -> Request + 'a>,
    page_of: fn(Value) -> CursorPage,
    cursor: String,
    done: bool,
    total: Option<usize>,
}

impl std::fmt::Debug for CursorPager<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorPager")
            .field("system", &self.rest.system)
            .field("cursor", &self.cursor)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<'a> CursorPager<'a> {
    /// A pager starting at cursor `first` (ThreatQ: `*`).
    pub fn new(
        rest: &'a RestClient,
        first: impl Into<String>,
        make: impl FnMut(&str) -> Request + 'a,
        page_of: fn(Value) -> CursorPage,
    ) -> CursorPager<'a> {
        CursorPager {
            rest,
            make: Box::new(make),
            page_of,
            cursor: first.into(),
            done: false,
            total: None,
        }
    }

    /// The rows of the next page, `None` when the list is exhausted.
    pub fn next_page(&mut self) -> Result<Option<Vec<Value>>> {
        if self.done {
            return Ok(None);
        }
        let req = (self.make)(&self.cursor);
        let page = (self.page_of)(self.rest.call(&req)?);
        if page.total.is_some() {
            self.total = page.total;
        }
        match page.next {
            Some(next) if next != self.cursor && !page.rows.is_empty() => self.cursor = next,
            _ => self.done = true,
        }
        if page.rows.is_empty() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some(page.rows))
    }

    /// The total the server last reported.
    pub fn total(&self) -> Option<usize> {
        self.total
    }

    /// The cursor the next page will be asked with (to resume a later run).
    pub fn cursor(&self) -> &str {
        &self.cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn common_error_details() {
        let d = |v: Value| common_error_detail(&v).unwrap();
        assert_eq!(
            d(json!({"data":{"errors":{"name":["The name has already been taken."]}}})),
            "name: The name has already been taken."
        );
        assert_eq!(
            d(json!({"errors":["First Error", ["part 1", "part 2"]]})),
            "First Error, part 1, part 2"
        );
        assert_eq!(
            d(json!({"error":"invalid_client","error_description":"bad secret"})),
            "invalid_client: bad secret"
        );
        assert_eq!(d(json!({"message":"Unauthorized"})), "Unauthorized");
        assert!(common_error_detail(&json!({"data": []})).is_none());
    }

    #[test]
    fn credential_debug_shows_header_names_only() {
        let c = Credential::bearer(&Secret::new("tok-55667788"), None)
            .with_header("X-sess-id", Secret::new("csrf-99887766"));
        let d = format!("{c:?}");
        assert!(
            d.contains("Authorization") && d.contains("X-sess-id"),
            "{d}"
        );
        assert!(
            !d.contains("tok-55667788") && !d.contains("csrf-99887766"),
            "{d}"
        );
    }
}
