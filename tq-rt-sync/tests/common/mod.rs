//! Helpers the RT test binaries share: a logged-in RT web session (the extension's pages)
//! and a REST client for a fixture user.

#![allow(dead_code)]

use tq_common::http::{Http, HttpSettings, Method, Request, Response, RetryPolicy};
use tq_common::Secret;
use tq_rt_sync::rt::RtClient;
use tq_testkit::rigs::rt::{Rt, RtUser, SYNC_USER};

/// Plain HTTP with the tests' short retry backoff.
pub fn http() -> Http {
    Http::new(HttpSettings {
        retry: RetryPolicy {
            first_delay: std::time::Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..HttpSettings::default()
    })
    .expect("http")
}

/// A REST 1.0 client of RT at `url` as `user`.
pub fn rest(url: &str, user: RtUser) -> RtClient {
    RtClient::new(http(), url, user.name, Secret::new(user.password)).expect("client")
}

/// The last `n` lines of RT's log that mention ThreatQ (for failure messages).
pub fn log_tail(rt: &Rt, n: usize) -> String {
    let log = rt.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("ThreatQ")).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A logged-in web session (RT's login form; requests carry the session cookie and a
/// Referer of RT itself, which RT's CSRF check asks for).
pub struct Web {
    http: Http,
    base: String,
    cookie: Secret,
}

impl Web {
    /// Logs in to RT at `base` as `user` (panics when RT refuses).
    pub fn login(base: &str, user: RtUser) -> Web {
        let http = http();
        let req = Request::new(Method::Post, format!("{base}/NoAuth/Login.html"))
            .header("Accept", "text/html")
            .form(vec![
                ("user".into(), user.name.into()),
                ("pass".into(), user.password.into()),
            ]);
        let resp = http.send("RT web", &req).expect("login");
        let cookie = resp
            .set_cookies()
            .find(|(k, _)| k.starts_with("RT_SID_"))
            .map(|(k, v)| format!("{k}={v}"))
            .expect("session cookie");
        let web = Web {
            http,
            base: base.to_string(),
            cookie: Secret::new(cookie),
        };
        let home = web.get("/");
        assert!(
            home.text().contains("Logged in as"),
            "login as {} failed",
            user.name
        );
        web
    }

    fn send(&self, req: Request) -> Response {
        let req = req
            .header("Accept", "text/html")
            .header("Referer", format!("{}/", self.base));
        self.http
            .send_with("RT web", &req, &[("Cookie", self.cookie.expose())])
            .expect("web request")
    }

    /// GET a page.
    pub fn get(&self, path: &str) -> Response {
        self.send(Request::new(Method::Get, format!("{}{path}", self.base)))
    }

    /// POST a form.
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.send(
            Request::new(Method::Post, format!("{}{path}", self.base)).form(
                form.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        )
    }
}

/// The ids of a ticket's transactions that start a sync (the extension's scrip skips RT's
/// mail records, system errors and the sync user's own transactions), oldest first.
pub fn syncable_transactions(c: &RtClient, ticket: u64) -> Vec<u64> {
    c.transactions(ticket)
        .expect("transactions")
        .into_iter()
        .filter(|t| {
            !["EmailRecord", "CommentEmailRecord", "SystemError"].contains(&t.kind.as_str())
        })
        .filter(|t| t.creator != SYNC_USER.name)
        .map(|t| t.id)
        .collect()
}
