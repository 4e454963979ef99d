//! The HTTP side of the REST 1.0 client, and the only place that sends requests: the base
//! URL, the session (RT's `RT_SID_*` cookie from a login with `user`/`pass` form fields;
//! REST 1.0 refuses HTTP Basic), one new login when RT answers `401 Credentials required`,
//! and the mapping of answers to errors that name Request Tracker, the request and RT's
//! message. It is built on `tq_common::http::Http` (TLS policy, timeouts, retries on connect
//! errors, 5xx and 429); phase 2 moves it onto `tq_common::rest`'s raw send.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tq_common::http::{Http, Method, Request};
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
    /// A read: GET with query fields.
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

    /// Adds a field.
    pub fn field(mut self, k: impl Into<String>, v: impl Into<String>) -> Call {
        self.fields.push((k.into(), v.into()));
        self
    }

    /// `METHOD /REST/1.0/<path>` for messages (no field values).
    pub fn describe(&self) -> String {
        let m = match self.method {
            Method::Get => "GET",
            _ => "POST",
        };
        format!("{m} /REST/1.0/{}", self.path)
    }
}

/// The REST 1.0 base URL (`<web url>/REST/1.0/`) of RT's web URL: a host, `host:port`, a
/// host with a web path (`rt.example.com/rt`), or a URL (`https://rt.example.com/rt/`). Without
/// a scheme, https.
pub fn rest_base(web_url: &str) -> std::result::Result<String, String> {
    let u = web_url.trim();
    if u.is_empty() {
        return Err("the RT URL is empty".into());
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("the RT URL {u:?} holds whitespace"));
    }
    let with_scheme = if u.contains("://") {
        let scheme = u.split("://").next().unwrap_or("").to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "the RT URL {u:?} must start with http:// or https://"
            ));
        }
        u.to_string()
    } else {
        format!("https://{u}")
    };
    let after_scheme = with_scheme.split_once("://").map(|x| x.1).unwrap_or("");
    if after_scheme.is_empty() || after_scheme.starts_with('/') {
        return Err(format!("the RT URL {u:?} names no host"));
    }
    if with_scheme.contains(['?', '#']) {
        return Err(format!(
            "the RT URL {u:?} must not hold a query or fragment"
        ));
    }
    let mut base = with_scheme.trim_end_matches('/').to_string();
    if base.to_ascii_lowercase().ends_with("/rest/1.0") {
        base.truncate(base.len() - "/REST/1.0".len());
    }
    Ok(format!("{base}/REST/1.0/"))
}

/// The HTTP transport of one RT user.
pub struct Transport {
    http: Http,
    base: String,
    user: String,
    password: Secret,
    session: Mutex<Option<Secret>>,
    requests: AtomicU64,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.base)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport for `user` at RT's web URL (see [`rest_base`]).
    pub fn new(http: Http, web_url: &str, user: &str, password: Secret) -> Result<Transport> {
        let base = rest_base(web_url).map_err(Error::usage)?;
        Ok(Transport {
            http,
            base,
            user: user.to_string(),
            password,
            session: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// `.../REST/1.0/`
    pub fn base(&self) -> &str {
        &self.base
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
        let after = self.base.find("://").map_or(0, |i| i + 3);
        let end = self.base[after..]
            .find('/')
            .map_or(self.base.len(), |i| after + i);
        &self.base[..end]
    }

    /// Logs in (`user`/`pass` form fields) and keeps the session cookie.
    pub fn login(&self) -> Result<()> {
        let what = "POST /REST/1.0/ (login)";
        let req = Request::new(Method::Post, self.base.clone())
            .header("Accept", "text/plain")
            .form(vec![
                ("user".to_string(), self.user.clone()),
                ("pass".to_string(), self.password.expose().to_string()),
            ])
            .idempotent(true);
        let resp = self.send(what, &req, None)?;
        let reply = self.reply(what, &resp)?;
        let status = reply.status.as_ref().map_or(0, |s| s.code);
        if status == 401 {
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
        if status != 200 {
            return Err(self.error(
                what,
                format!("login answered {}", status_text(&reply)),
                Some(status),
            ));
        }
        let cookie = resp
            .headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .find(|c| c.trim_start().starts_with("RT_SID_"))
            .map(|c| Secret::new(c.trim()))
            .ok_or_else(|| {
                self.error(
                    what,
                    "login answered without an RT_SID session cookie",
                    None,
                )
            })?;
        *self.session.lock().unwrap_or_else(|e| e.into_inner()) = Some(cookie);
        Ok(())
    }

    /// Ends the session at RT (`logout`) and forgets it; nothing is sent without one.
    pub fn logout(&self) -> Result<()> {
        let Some(session) = self
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return Ok(());
        };
        let what = "POST /REST/1.0/logout";
        let req = Request::new(Method::Post, format!("{}logout", self.base))
            .header("Accept", "text/plain")
            .idempotent(true);
        let resp = self.send(what, &req, Some(&session))?;
        let reply = self.reply(what, &resp)?;
        match reply.status.as_ref().map(|s| s.code) {
            Some(200) => Ok(()),
            _ => Err(self.error(what, status_text(&reply), None)),
        }
    }

    fn session(&self) -> Option<Secret> {
        self.session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sends a call (logging in first when there is no session, and once more when RT says
    /// the session is gone) and returns RT's answer, whatever its status.
    pub fn call(&self, call: &Call) -> Result<Reply> {
        let what = call.describe();
        let url = format!("{}{}", self.base, call.path);
        let mut req = Request::new(call.method, url)
            .header("Accept", "text/plain")
            .idempotent(call.idempotent);
        req = match call.method {
            Method::Get => call
                .fields
                .iter()
                .fold(req, |r, (k, v)| r.query(k.clone(), v.clone())),
            _ => req.form(call.fields.clone()),
        };
        for attempt in 0..2 {
            let session = match self.session() {
                Some(s) => s,
                None => {
                    self.login()?;
                    self.session()
                        .ok_or_else(|| self.error(&what, "no session after login", None))?
                }
            };
            let resp = self.send(&what, &req, Some(&session))?;
            let reply = self.reply(&what, &resp)?;
            if reply.status.as_ref().is_some_and(|s| s.code == 401) && attempt == 0 {
                log::debug!("{what}: the RT session ended; logging in again");
                *self.session.lock().unwrap_or_else(|e| e.into_inner()) = None;
                continue;
            }
            return Ok(reply);
        }
        Err(self.error(
            &what,
            "RT asked for credentials again right after a login",
            Some(401),
        ))
    }

    fn send(
        &self,
        what: &str,
        req: &Request,
        session: Option<&Secret>,
    ) -> Result<tq_common::http::Response> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = match session {
            Some(s) => self
                .http
                .send_with(SYSTEM, req, &[("Cookie", s.expose())])?,
            None => self.http.send(SYSTEM, req)?,
        };
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

    fn reply(&self, what: &str, resp: &tq_common::http::Response) -> Result<Reply> {
        parse_reply(&resp.text()).map_err(|e| self.error(what, e.to_string(), None))
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
    fn rest_base_of_hosts_paths_and_urls() {
        let b = |u: &str| rest_base(u).unwrap();
        assert_eq!(b("rt.example.com"), "https://rt.example.com/REST/1.0/");
        assert_eq!(
            b("rt.example.com:8443/rt"),
            "https://rt.example.com:8443/rt/REST/1.0/"
        );
        assert_eq!(
            b("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/REST/1.0/"
        );
        assert_eq!(
            b("https://rt.example.com/rt/"),
            "https://rt.example.com/rt/REST/1.0/"
        );
        assert_eq!(
            b("https://rt.example.com/REST/1.0/"),
            "https://rt.example.com/REST/1.0/"
        );
        for bad in [
            "",
            "ftp://x",
            "https://",
            "http:///x",
            "rt example",
            "https://x/?a=1",
        ] {
            assert!(rest_base(bad).is_err(), "{bad:?}");
        }
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
