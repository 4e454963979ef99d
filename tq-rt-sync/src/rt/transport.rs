//! The HTTP side of the REST 1.0 client, and the only place that sends requests. It runs on
//! `tq_common::rest::RestClient` (base URL, the system's name in errors, TLS, timeouts,
//! retries on connect errors, 5xx and 429) and adds RT's session:
//!
//! - REST 1.0 refuses HTTP Basic; it takes `user`/`pass` form fields on any request and
//!   answers with the session cookie (`RT_SID_<rtname>.<port>`). So the first request of a
//!   client carries the credentials (as POST form fields, never in a URL) and is the login:
//!   a run that has one thing to ask sends one request, not a login and then the question.
//!   Later requests carry the cookie.
//! - RT answers `RT/x 401 Credentials required` inside an HTTP 200 when a session has ended:
//!   the request is sent once more with the credentials. A 401 to a request that carried
//!   them is a refused login, named as such.
//! - Errors name Request Tracker, its host, the request and RT's message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tq_common::http::{Http, Method, Request, Response};
use tq_common::rest::{RestClient, RestConfig};
use tq_common::{Error, Result, Secret};

use super::form::{comment_text, parse_reply, Reply};

/// The name errors give the remote system.
pub const SYSTEM: &str = "Request Tracker";

/// One call: a path below `.../REST/1.0/` and its fields (query for GET, form for POST).
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    path: String,
    fields: Vec<(String, String)>,
    idempotent: bool,
}

impl Call {
    /// A read: GET with query fields (POST with form fields when it logs in).
    pub fn get(path: impl Into<String>) -> Call {
        Call {
            method: Method::Get,
            path: path.into(),
            fields: Vec::new(),
            idempotent: true,
        }
    }

    /// A write: POST with form fields; `idempotent` says whether sending it twice is harmless
    /// (it may then be sent again after a dropped connection).
    pub fn post(path: impl Into<String>, idempotent: bool) -> Call {
        Call {
            method: Method::Post,
            path: path.into(),
            fields: Vec::new(),
            idempotent,
        }
    }

    /// Adds a field (a field may be given several times: `id` of a `show`).
    pub fn field(mut self, k: impl Into<String>, v: impl Into<String>) -> Call {
        self.fields.push((k.into(), v.into()));
        self
    }

    /// `METHOD /REST/1.0/<path>` for messages (no field values).
    pub fn describe(&self) -> String {
        format!("{} /REST/1.0/{}", self.method.as_str(), self.path)
    }
}

/// The REST 1.0 base URL (`<web url>/REST/1.0/`) of RT's web URL: a host, `host:port`, a
/// host with a web path (`rt.example.com/rt`), or a URL (`https://rt.example.com/rt/`). Without
/// a scheme, https.
pub fn rest_base(web_url: &str) -> std::result::Result<String, String> {
    let mut base =
        tq_common::config::parse_web_url(web_url).map_err(|e| format!("the RT URL: {e}"))?;
    if base.to_ascii_lowercase().ends_with("/rest/1.0") {
        base.truncate(base.len() - "/REST/1.0".len());
    }
    Ok(format!("{base}/REST/1.0/"))
}

/// The HTTP transport of one RT user.
pub struct Transport {
    rest: RestClient,
    user: String,
    password: Secret,
    session: Mutex<Option<Secret>>,
    requests: AtomicU64,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.rest.base_url())
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// How a request authenticates.
enum As<'a> {
    /// With the `user`/`pass` form fields (the login).
    Credentials,
    /// With the session cookie.
    Session(&'a Secret),
}

impl Transport {
    /// A transport for `user` at RT's web URL (see [`rest_base`]).
    pub fn new(http: Http, web_url: &str, user: &str, password: Secret) -> Result<Transport> {
        let base = rest_base(web_url).map_err(Error::usage)?;
        Ok(Transport {
            rest: RestClient::new(SYSTEM, base, http, RestConfig::default()),
            user: user.to_string(),
            password,
            session: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// `.../REST/1.0/`
    pub fn base(&self) -> String {
        format!("{}/", self.rest.base_url())
    }

    /// How many HTTP requests were sent (logins included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn error(&self, call: &str, message: impl Into<String>, status: Option<u16>) -> Error {
        Error::Remote {
            system: SYSTEM.to_string(),
            message: format!("{} {call}: {}", self.host(), message.into()),
            retry_after: None,
            status,
        }
    }

    /// `scheme://host[:port]` of the base URL (errors name it).
    fn host(&self) -> &str {
        let base = self.rest.base_url();
        let after = base.find("://").map_or(0, |i| i + 3);
        let end = base[after..].find('/').map_or(base.len(), |i| after + i);
        &base[..end]
    }

    /// The session cookie (`RT_SID_...=...`) once logged in, to resume it in a later run.
    pub fn session_cookie(&self) -> Option<Secret> {
        self.session()
    }

    /// Uses a session cookie of an earlier run; if RT has ended that session, the next
    /// request logs in again by itself.
    pub fn resume(&self, cookie: Secret) {
        self.set_session(Some(cookie));
    }

    fn session(&self) -> Option<Secret> {
        self.session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_session(&self, s: Option<Secret>) {
        *self.session.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }

    /// Logs in now (`user`/`pass` to `/REST/1.0/`) and keeps the session cookie; a refused
    /// login is an error that says so.
    pub fn login(&self) -> Result<()> {
        let call = Call::post("", true);
        let reply = self.exchange(&call, "POST /REST/1.0/ (login)", As::Credentials)?;
        match reply.status.as_ref().map(|s| s.code) {
            Some(200) => Ok(()),
            _ => Err(self.error(
                "POST /REST/1.0/ (login)",
                format!("login answered {}", status_text(&reply)),
                reply.status.as_ref().map(|s| s.code),
            )),
        }
    }

    /// Ends the session at RT (`logout`) and forgets it; nothing is sent without one.
    pub fn logout(&self) -> Result<()> {
        let Some(session) = self.session() else {
            return Ok(());
        };
        self.set_session(None);
        let call = Call::post("logout", true);
        let reply = self.exchange(&call, &call.describe(), As::Session(&session))?;
        match reply.status.as_ref().map(|s| s.code) {
            Some(200) => Ok(()),
            _ => Err(self.error(&call.describe(), status_text(&reply), None)),
        }
    }

    /// Sends a call and returns RT's answer, whatever its status: with the session cookie,
    /// or, when there is none yet or RT says it has ended, with the credentials (the login).
    pub fn call(&self, call: &Call) -> Result<Reply> {
        let what = call.describe();
        if let Some(session) = self.session() {
            let reply = self.exchange(call, &what, As::Session(&session))?;
            if reply.status.as_ref().is_none_or(|s| s.code != 401) {
                return Ok(reply);
            }
            log::debug!("{what}: the RT session ended; logging in again");
            self.set_session(None);
        }
        self.exchange(call, &what, As::Credentials)
    }

    /// One request. With the credentials, a 401 is a refused login and RT's session cookie
    /// is kept for the next requests.
    fn exchange(&self, call: &Call, what: &str, auth: As<'_>) -> Result<Reply> {
        let url = format!("{}/{}", self.rest.base_url(), call.path);
        let mut req = Request::new(call.method, url).header("Accept", "text/plain");
        req = match (&auth, call.method) {
            (As::Session(_), Method::Get) => call
                .fields
                .iter()
                .fold(req, |r, (k, v)| r.query(k.clone(), v.clone())),
            (As::Session(_), _) => req.form(call.fields.clone()),
            (As::Credentials, _) => {
                // Credentials never go in a URL: a read that logs in is a POST (REST 1.0
                // reads its fields from either).
                let mut form = vec![
                    ("user".to_string(), self.user.clone()),
                    ("pass".to_string(), self.password.expose().to_string()),
                ];
                form.extend(call.fields.iter().cloned());
                req.method = Method::Post;
                req.form(form)
            }
        };
        if let As::Session(s) = &auth {
            req = req.header("Cookie", s.expose());
        }
        let req = req.idempotent(call.idempotent);
        let resp = self.send(what, &req)?;
        let reply = parse_reply(&resp.text()).map_err(|e| self.error(what, e.to_string(), None))?;
        if let As::Credentials = auth {
            if reply.status.as_ref().is_some_and(|s| s.code == 401) {
                return Err(self.error(
                    what,
                    format!(
                        "login as {:?} refused ({}); check the RT user name and password",
                        self.user,
                        reply.body.trim()
                    ),
                    Some(401),
                ));
            }
            let cookie = resp
                .set_cookies()
                .find(|(name, _)| name.starts_with("RT_SID_"))
                .map(|(name, value)| Secret::new(format!("{name}={value}")));
            match cookie {
                Some(c) => self.set_session(Some(c)),
                None if call.path.is_empty() => {
                    return Err(self.error(
                        what,
                        "login answered without an RT_SID session cookie",
                        None,
                    ))
                }
                None => log::debug!("{what}: RT answered without a session cookie"),
            }
        }
        Ok(reply)
    }

    fn send(&self, what: &str, req: &Request) -> Result<Response> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        log::debug!("{SYSTEM}: {what}");
        let resp = self.rest.send(req)?;
        if resp.status != 200 {
            return Err(self.error(
                what,
                format!(
                    "HTTP {} (REST 1.0 answers 200; check the RT URL and its web path): {}",
                    resp.status,
                    resp.excerpt()
                ),
                Some(resp.status),
            ));
        }
        Ok(resp)
    }

    /// An error for an answer whose status is not what the call expects.
    pub fn status_error(&self, call: &Call, reply: &Reply) -> Error {
        let code = reply.status.as_ref().map(|s| s.code);
        self.error(&call.describe(), status_text(reply), code)
    }

    /// An error for a call that RT answered with `message` (a `#` comment).
    pub fn refused(&self, call: &Call, message: &str, status: Option<u16>) -> Error {
        self.error(&call.describe(), message, status)
    }
}

/// `409 Syntax Error: <RT's comments>` (or the first body line when there is no comment).
pub fn status_text(reply: &Reply) -> String {
    let status = reply.status.as_ref().map_or_else(
        || "an empty answer".to_string(),
        |s| format!("{} {}", s.code, s.text),
    );
    let comments: Vec<String> = reply
        .body
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let detail = if comments.is_empty() {
        reply
            .body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_string()
    } else {
        comment_text(&comments)
    };
    if detail.is_empty() {
        status
    } else {
        format!("{status}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_base_appends_rest_1_0_once_to_the_web_url() {
        // The web URL forms (host, host:port, path, scheme) are
        // tq_common::config::parse_web_url's, tested there; this is what rest_base adds.
        let b = |u: &str| rest_base(u).unwrap();
        assert_eq!(
            b("rt.example.com:8443/rt/"),
            "https://rt.example.com:8443/rt/REST/1.0/"
        );
        assert_eq!(
            b("https://rt.example.com/REST/1.0/"),
            "https://rt.example.com/REST/1.0/"
        );
        assert_eq!(b("http://rt/rt/rest/1.0"), "http://rt/rt/REST/1.0/");
        assert!(rest_base("ftp://x")
            .unwrap_err()
            .starts_with("the RT URL: "));
    }

    #[test]
    fn status_text_names_status_and_comments() {
        let r = parse_reply("RT/5.0.3 409 Syntax Error\n\n# nosuchcf: Unknown custom field.\n\nid: \nCF.{NoSuchCF}: x\n").unwrap();
        assert_eq!(
            status_text(&r),
            "409 Syntax Error: nosuchcf: Unknown custom field."
        );
        let r = parse_reply("RT/5.0.3 500 Error\n\nCouldn't resolve '99' into a link.\n").unwrap();
        assert_eq!(
            status_text(&r),
            "500 Error: Couldn't resolve '99' into a link."
        );
        assert_eq!(status_text(&parse_reply("").unwrap()), "an empty answer");
    }
}
