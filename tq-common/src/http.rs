//! HTTP for every connector: one ureq agent per process with native-tls, the system
//! roots plus an optional CA file and an optional client certificate (the trust policy is
//! [`crate::tls`]), connect and overall timeouts, `HTTPS_PROXY` or a configured proxy, and
//! retries with exponential backoff and jitter on connect errors, 5xx and 429 (honouring
//! `Retry-After`).
//!
//! Requests are logged at debug level as method, URL (sensitive query values masked),
//! status and time. Headers and bodies are never logged.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ureq::Agent;

pub use crate::retry::RetryPolicy;
use crate::tls::{ClientIdentity, TlsPolicy, Trust};
use crate::{Error, Result};

/// Query parameters whose values are never logged.
const SENSITIVE_QUERY: &[&str] = &[
    "client_id",
    "client_secret",
    "password",
    "refresh_token",
    "access_token",
    "token",
    "api_key",
];

pub use crate::tls::use_ca_file_as_default;

/// HTTP settings of a process.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Extra trusted CA certificates (PEM), besides the system store.
    pub ca_file: Option<PathBuf>,
    /// false turns certificate and host name verification off (insecure).
    pub verify_tls: bool,
    /// Proxy URL; `None` = from the environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    pub proxy: Option<String>,
    /// Overall time for one request (connect, send, receive).
    pub timeout: Duration,
    /// How failed requests are retried (connect errors, 5xx, 429).
    pub retry: RetryPolicy,
    /// A client certificate for servers that ask for one (mutual TLS).
    pub client_identity: Option<ClientIdentity>,
    /// The system these settings reach ("ThreatQ"): when set, turning verification off
    /// logs the [`crate::tls::warn_unverified`] warning naming it; when `None` the caller
    /// warns in its own words.
    pub system: Option<String>,
    /// Idle connections kept per host for reuse: a client calling from N threads at once
    /// keeps N, or pays a TLS handshake for every call beyond the pool.
    pub idle_per_host: usize,
    /// The initial size of each connection's input and output buffers (they grow for a
    /// larger head); a service holding many connections keeps it small.
    pub buffer_size: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            ca_file: None,
            verify_tls: true,
            proxy: None,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            client_identity: None,
            system: None,
            idle_per_host: 3,
            buffer_size: 128 * 1024,
        }
    }
}

impl HttpSettings {
    /// The trust policy of these settings: the system roots plus `ca_file`, verification
    /// per `verify_tls`, host names always checked, the client certificate if any.
    pub fn tls_policy(&self) -> TlsPolicy {
        TlsPolicy {
            verify: self.verify_tls,
            identity: self.client_identity.clone(),
            ..TlsPolicy::new(
                self.system.as_deref().unwrap_or("the HTTPS server"),
                Trust::System {
                    ca_file: self.ca_file.clone(),
                },
            )
        }
    }
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// The method as sent ("GET").
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    None,
    /// JSON (`application/json`).
    Json(serde_json::Value),
    /// `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// Raw bytes with a content type (multipart bodies are built with [`multipart`]).
    Bytes {
        /// The Content-Type header.
        content_type: String,
        /// The body.
        bytes: Vec<u8>,
    },
}

/// One request. Its `Debug` shows header names and the body size, never their values
/// (an `Authorization` header is a credential).
#[derive(Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL without query string.
    pub url: String,
    /// Query parameters (percent-encoded when sent).
    pub query: Vec<(String, String)>,
    /// Extra headers. Authorization goes here; it is never logged.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
    /// Whether a request that may have reached the server can be sent again. Defaults to
    /// the method's idempotency; a POST that only reads (a query) or an upsert can set it.
    pub idempotent: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = match &self.body {
            Body::None => "none".to_string(),
            Body::Json(_) => "json".to_string(),
            Body::Form(p) => format!("form ({} fields)", p.len()),
            Body::Bytes {
                content_type,
                bytes,
            } => format!("{content_type}, {} bytes", bytes.len()),
        };
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.log_url())
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("body", &body)
            .finish()
    }
}

impl Request {
    /// A request with no query, headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::None,
            idempotent: method.idempotent(),
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, k: impl Into<String>, v: impl Into<String>) -> Request {
        self.query.push((k.into(), v.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, k: impl Into<String>, v: impl Into<String>) -> Request {
        self.headers.push((k.into(), v.into()));
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, v: serde_json::Value) -> Request {
        self.body = Body::Json(v);
        self
    }

    /// Sets a form body.
    pub fn form(mut self, pairs: Vec<(String, String)>) -> Request {
        self.body = Body::Form(pairs);
        self
    }

    /// Sets a raw body.
    pub fn bytes(mut self, content_type: impl Into<String>, bytes: Vec<u8>) -> Request {
        self.body = Body::Bytes {
            content_type: content_type.into(),
            bytes,
        };
        self
    }

    /// Marks the request as safe to send again after a dropped connection.
    pub fn idempotent(mut self, yes: bool) -> Request {
        self.idempotent = yes;
        self
    }

    /// The URL with the query, sensitive values masked: what the log shows.
    pub fn log_url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        let q: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| {
                if SENSITIVE_QUERY.contains(&k.as_str()) {
                    format!("{k}=***")
                } else {
                    format!("{k}={}", encode(v))
                }
            })
            .collect();
        format!("{}?{}", self.url, q.join("&"))
    }

    fn full_url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        let q: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!("{}?{}", self.url, q.join("&"))
    }
}

/// The `Authorization` value of HTTP Basic authentication (`Basic base64(user:password)`),
/// held as a [`Secret`](crate::Secret) so it never reaches a log line.
pub fn basic_auth(user: &str, password: &crate::Secret) -> crate::Secret {
    use base64::Engine as _;
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()));
    crate::Secret::new(format!("Basic {token}"))
}

/// Percent-encodes a query component (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes a path segment (an id or a hash in a URL path).
pub fn encode_path_segment(s: &str) -> String {
    encode(s)
}

/// A multipart/form-data body: `(content type, bytes)`. Files are `(field, filename,
/// mime, bytes)`.
pub fn multipart(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = format!(
        "tq-boundary-{:016x}{:016x}",
        crate::retry::random_u64(),
        crate::retry::random_u64()
    );
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                quote(name)
            )
            .as_bytes(),
        );
    }
    for (name, filename, mime, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {mime}\r\n\r\n",
                quote(name),
                quote(filename)
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A response read in full.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// The first value of the header `name` (case-insensitive) in a header list.
pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Response {
    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A short, single-line excerpt of the body for error messages.
    pub fn excerpt(&self) -> String {
        let t = self.text();
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut cut: String = t.chars().take(300).collect();
        if cut.len() < t.len() {
            cut.push_str("...");
        }
        crate::logging::redact(&cut).into_owned()
    }

    /// True for 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The cookies the answer sets (`Set-Cookie`), as `(name, value)` without attributes:
    /// a session login's `JSESSIONID` or `RT_SID_<name>.<port>`.
    pub fn set_cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| {
                let pair = v.split(';').next()?.trim();
                let (name, value) = pair.split_once('=')?;
                Some((name.trim(), value.trim()))
            })
    }
}

/// The process HTTP client.
#[derive(Debug, Clone)]
pub struct Http {
    agent: Agent,
    settings: HttpSettings,
}

enum Attempt {
    Done(Response),
    /// Retry after this long (None = computed backoff); carries the error to return if
    /// no attempts are left.
    Retry(Option<Duration>, Error),
    Fail(Error),
}

impl Http {
    /// Builds the agent. Reads the CA file and the client certificate; an unreadable or
    /// invalid one is a config error.
    pub fn new(settings: HttpSettings) -> Result<Http> {
        let tls = settings
            .tls_policy()
            .ureq_config_warning(settings.system.is_some())?;
        let mut builder = Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("tq-connectors/", env!("CARGO_PKG_VERSION")))
            .max_idle_connections_per_host(settings.idle_per_host.max(1))
            .max_idle_connections(settings.idle_per_host.max(10))
            .input_buffer_size(settings.buffer_size.max(4096))
            .output_buffer_size(settings.buffer_size.max(4096))
            .timeout_global(Some(settings.timeout))
            .timeout_connect(Some(settings.timeout.min(Duration::from_secs(15))));
        if let Some(p) = settings.proxy.as_deref().filter(|p| !p.is_empty()) {
            let proxy = ureq::Proxy::new(p).map_err(|_| {
                Error::usage("the proxy setting is not a valid proxy URL (e.g. http://proxy:3128)")
            })?;
            builder = builder.proxy(Some(proxy));
        }
        Ok(Http {
            agent: builder.build().new_agent(),
            settings,
        })
    }

    /// The settings this client was built with.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Sends a request with retries. Any status is returned as a response except the
    /// retried ones (5xx, 429) when retries run out, which become [`Error::Remote`].
    /// `system` names the remote in errors ("ThreatQ", "Cisco Threat Response").
    pub fn send(&self, system: &str, req: &Request) -> Result<Response> {
        self.send_with(system, req, &[])
    }

    /// [`Http::send`] with extra headers that are not part of the request (an
    /// `Authorization` that changes between attempts), so the body is never copied.
    pub fn send_with(
        &self,
        system: &str,
        req: &Request,
        extra: &[(&str, &str)],
    ) -> Result<Response> {
        let attempts = self.settings.retry.attempts();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(system, req, extra) {
                Attempt::Done(r) => return Ok(r),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(wait, e) => {
                    if attempt >= attempts {
                        return Err(e);
                    }
                    let wait = wait.unwrap_or_else(|| self.settings.retry.delay_for(attempt));
                    log::warn!(
                        "{} {}: {}; retry {attempt}/{} in {:.1} s",
                        req.method.as_str(),
                        req.log_url(),
                        e.safe_message(),
                        attempts - 1,
                        wait.as_secs_f64()
                    );
                    std::thread::sleep(wait);
                }
            }
        }
    }

    fn attempt(&self, system: &str, req: &Request, extra: &[(&str, &str)]) -> Attempt {
        let started = Instant::now();
        let result = self.exchange(req, extra);
        let elapsed = started.elapsed().as_millis();
        let remote =
            |message: String, status: Option<u16>, retry_after: Option<Duration>| Error::Remote {
                system: system.to_string(),
                message,
                retry_after,
                status,
            };
        match result {
            Ok(resp) => {
                log::debug!(
                    "{} {} -> {} ({elapsed} ms, {} bytes)",
                    req.method.as_str(),
                    req.log_url(),
                    resp.status,
                    resp.body.len()
                );
                let what = format!(
                    "{} {} answered {}",
                    req.method.as_str(),
                    strip_query(&req.url),
                    resp.status
                );
                match resp.status {
                    429 => {
                        let after = retry_after(&resp);
                        let e = remote(
                            format!(
                                "{what} (rate limited{})",
                                after
                                    .map(|d| format!(", retry after {} s", d.as_secs()))
                                    .unwrap_or_default()
                            ),
                            Some(429),
                            after,
                        );
                        match after {
                            Some(d) if !self.settings.retry.waits_for(d) => Attempt::Fail(e),
                            _ => Attempt::Retry(after, e),
                        }
                    }
                    500..=599 => Attempt::Retry(
                        None,
                        remote(
                            format!("{what}: {}", resp.excerpt()),
                            Some(resp.status),
                            None,
                        ),
                    ),
                    _ => Attempt::Done(resp),
                }
            }
            Err(e) => {
                log::debug!(
                    "{} {} -> error after {elapsed} ms: {e}",
                    req.method.as_str(),
                    req.log_url()
                );
                let (retryable, msg) = classify(&e, req.idempotent);
                let e = remote(
                    format!("{} {}: {msg}", req.method.as_str(), strip_query(&req.url)),
                    None,
                    None,
                );
                if retryable {
                    Attempt::Retry(None, e)
                } else {
                    Attempt::Fail(e)
                }
            }
        }
    }

    fn exchange(
        &self,
        req: &Request,
        extra: &[(&str, &str)],
    ) -> std::result::Result<Response, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(req.full_url());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        for (k, v) in extra {
            builder = builder.header(*k, *v);
        }
        let accept_json = !req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("accept"));
        if accept_json {
            builder = builder.header("Accept", "application/json");
        }
        let response = match &req.body {
            Body::None => self.agent.run(builder.body(())?)?,
            Body::Json(v) => {
                let bytes = serde_json::to_vec(v).unwrap_or_default();
                self.agent.run(
                    builder
                        .header("Content-Type", "application/json")
                        .body(bytes)?,
                )?
            }
            Body::Form(pairs) => {
                let s: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect();
                self.agent.run(
                    builder
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(s.join("&").into_bytes())?,
                )?
            }
            Body::Bytes {
                content_type,
                bytes,
            } => self.agent.run(
                builder
                    .header("Content-Type", content_type.as_str())
                    .body(bytes.as_slice())?,
            )?,
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = response.into_body();
        let body = body.with_config().limit(512 * 1024 * 1024).read_to_vec()?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// `Retry-After` in seconds (HTTP-date forms are treated as absent).
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Whether an error may be retried, and an operator-facing description.
fn classify(e: &ureq::Error, idempotent: bool) -> (bool, String) {
    use std::io::ErrorKind;
    use ureq::Error as E;
    match e {
        E::ConnectionFailed => (
            true,
            "connection failed (is the host up and the port right?)".into(),
        ),
        E::HostNotFound => (
            true,
            "host name not found (check the host setting and DNS)".into(),
        ),
        E::Timeout(t) => {
            let connect = matches!(
                t,
                ureq::Timeout::Connect | ureq::Timeout::Resolve | ureq::Timeout::SendRequest
            );
            (connect || idempotent, format!("timed out ({t:?})"))
        }
        E::Io(io) => {
            let connect = matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::NotConnected
                    | ErrorKind::AddrNotAvailable
            );
            (
                connect || idempotent,
                format!("connection error: {}", io.kind()),
            )
        }
        E::Tls(m) => (false, format!("TLS failure: {m}")),
        E::NativeTls(t) => (
            false,
            format!("TLS failure: {t} (check ca_file / verify_tls and the server certificate)"),
        ),
        E::Protocol(p) => (idempotent, format!("HTTP protocol error: {p}")),
        E::BadUri(u) => (false, format!("bad URL: {u}")),
        other => (false, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_url_masks_sensitive_query_values() {
        let r = Request::new(Method::Post, "https://tq/api/token")
            .query("grant_type", "refresh_token")
            .query("refresh_token", "rt-123456");
        assert_eq!(
            r.log_url(),
            "https://tq/api/token?grant_type=refresh_token&refresh_token=***"
        );
        assert!(r.full_url().contains("rt-123456"));
    }

    #[test]
    fn debug_of_a_request_shows_no_header_value_or_body() {
        let r = Request::new(Method::Post, "https://tq/api/token")
            .header("Authorization", "Bearer tok-98765")
            .json(serde_json::json!({"password": "pw-4321"}));
        let d = format!("{r:?}");
        assert!(d.contains("Authorization") && d.contains("json"), "{d}");
        assert!(!d.contains("tok-98765") && !d.contains("pw-4321"), "{d}");
    }

    #[test]
    fn basic_auth_is_rfc7617_and_secret() {
        let h = basic_auth("admin", &crate::Secret::new("secret"));
        assert_eq!(h.expose(), "Basic YWRtaW46c2VjcmV0");
        assert_eq!(format!("{h}"), "***");
        assert_eq!(
            basic_auth("Aladdin", &crate::Secret::new("open sesame")).expose(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn set_cookies_without_attributes() {
        let r = Response {
            status: 200,
            headers: vec![
                (
                    "set-cookie".into(),
                    "JSESSIONID=2c9e0f7d3b1a; Path=/; Secure; HttpOnly".into(),
                ),
                ("content-type".into(), "application/json".into()),
                (
                    "set-cookie".into(),
                    "RT_SID_rt.test.8080=abc123; path=/".into(),
                ),
            ],
            body: Vec::new(),
        };
        let c: Vec<_> = r.set_cookies().collect();
        assert_eq!(
            c,
            vec![
                ("JSESSIONID", "2c9e0f7d3b1a"),
                ("RT_SID_rt.test.8080", "abc123")
            ]
        );
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn multipart_body_has_fields_and_file() {
        let (ct, body) = multipart(
            &[("name", "x.txt")],
            &[("file", "blob", "application/octet-stream", b"DATA")],
        );
        let b = String::from_utf8(body).unwrap();
        let boundary = ct.split("boundary=").nth(1).unwrap();
        assert!(b.starts_with(&format!("--{boundary}\r\n")));
        assert!(b.contains("name=\"name\"\r\n\r\nx.txt\r\n"));
        assert!(b.contains(
            "filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\nDATA\r\n"
        ));
        assert!(b.ends_with(&format!("--{boundary}--\r\n")));
    }
}
