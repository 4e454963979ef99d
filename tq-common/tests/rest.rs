//! tq_common::rest against small HTTPS servers on 127.0.0.1 shaped like the systems the
//! connectors talk to: a session login that answers a CSRF token and a JSESSIONID cookie
//! (Resilient, research/resilient.md §5.2), RT's REST 1.0 that says 401 inside a 200 text
//! body (research/rt.md §3), Basic and fixed-header auth, offset and cursor paging with a
//! server that caps the page size, and the error mapper.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tq_common::http::{multipart, Http, Method, Response};
use tq_common::rest::{
    Auth, Credential, CursorPage, CursorPager, ErrorMapper, Page, RestClient, RestConfig,
    TokenCache, TokenSource,
};
use tq_common::{Error, Result, Secret};
use tq_testkit::certs::TestCa;
use tq_testkit::server::{Request as Seen, Response as Reply, TestServer};

const EMAIL: &str = "integration@example.com";
const PASSWORD: &str = "Passw0rd-never-shown";

/// The server side of a session login: live sessions, and a log of logins.
#[derive(Default)]
struct Sessions {
    live: Mutex<HashSet<(String, String)>>,
    logins: AtomicUsize,
    next: AtomicUsize,
}

impl Sessions {
    fn expire_all(&self) {
        self.live.lock().unwrap().clear();
    }

    fn valid(&self, req: &Seen) -> bool {
        let csrf = req.header("X-sess-id").unwrap_or_default().to_string();
        let cookie = req
            .header("Cookie")
            .and_then(|c| c.strip_prefix("JSESSIONID="))
            .unwrap_or_default()
            .to_string();
        self.live.lock().unwrap().contains(&(csrf, cookie))
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    server: TestServer,
    sessions: Arc<Sessions>,
    http: Http,
}

const ITEMS: usize = 23;
const MAX_PAGE: usize = 7;

fn handle(sessions: &Sessions, req: &Seen) -> Reply {
    let path = req.path.as_str();
    match (req.method.as_str(), path) {
        ("POST", "/rest/session") => {
            let body = req.json().unwrap_or(Value::Null);
            if body["email"] != EMAIL || body["password"] != PASSWORD {
                return Reply::json(401, &json!({"success": false, "message": "Unauthorized"}));
            }
            let n = sessions.next.fetch_add(1, Ordering::SeqCst);
            sessions.logins.fetch_add(1, Ordering::SeqCst);
            let (csrf, cookie) = (format!("csrf-{n:08}"), format!("sess{n:08}"));
            sessions
                .live
                .lock()
                .unwrap()
                .insert((csrf.clone(), cookie.clone()));
            Reply::json(
                200,
                &json!({"csrf_token": csrf, "user_id": 4, "orgs": [{"id": 201}]}),
            )
            .with_header(
                "Set-Cookie",
                &format!("JSESSIONID={cookie}; Path=/; Secure; HttpOnly"),
            )
        }
        ("GET", "/basic") => {
            let want = tq_common::http::basic_auth("key-id", &Secret::new("key-secret-123456"));
            if req.header("Authorization") == Some(want.expose()) {
                Reply::json(200, &json!({"ok": true}))
            } else {
                Reply::json(401, &json!({"message": "Unauthorized"}))
            }
        }
        ("GET", "/REST/1.0/ticket/1/show") => {
            let text = if sessions.valid(req) {
                "RT/5.0.3+dfsg-3~deb12u6 200 Ok\n\nid: ticket/1\nSubject: Test\n"
            } else {
                "RT/5.0.3+dfsg-3~deb12u6 401 Credentials required\n"
            };
            Reply::text(200, text)
        }
        _ if !sessions.valid(req) => Reply::json(401, &json!({"message": "Unauthorized"})),
        ("GET", "/rest/orgs/201/incidents/2314") => {
            Reply::json(200, &json!({"id": 2314, "name": "Phish"}))
        }
        ("POST", "/rest/orgs/201/incidents") => Reply::json(
            422,
            &json!({"success": false, "title": null, "message": "Field 'colour' is not known", "hints": []}),
        ),
        ("POST", "/rest/orgs/201/incidents/query_paged") => {
            // Resilient's paging: start/length in the body, recordsTotal in the answer.
            let body = req.json().unwrap_or(Value::Null);
            let start = body["start"].as_u64().unwrap_or(0) as usize;
            let length = (body["length"].as_u64().unwrap_or(10) as usize).min(MAX_PAGE);
            let data: Vec<Value> = (start..(start + length).min(ITEMS))
                .map(|i| json!({"id": i}))
                .collect();
            Reply::json(200, &json!({"recordsTotal": ITEMS, "data": data}))
        }
        ("GET", "/list") => {
            // No total: paging must stop at a short page.
            let offset: usize = req.query_param("offset").unwrap_or("0").parse().unwrap();
            let limit: usize = req.query_param("limit").unwrap_or("5").parse().unwrap();
            let data: Vec<Value> = (offset..(offset + limit.min(MAX_PAGE)).min(ITEMS))
                .map(|i| json!({"id": i}))
                .collect();
            Reply::json(200, &json!({"items": data}))
        }
        ("GET", "/cursor") => {
            let at: usize = match req.query_param("cursor") {
                Some("start") => 0,
                Some(c) => c.trim_start_matches('c').parse().unwrap(),
                None => return Reply::json(400, &json!({"errors": ["cursor missing"]})),
            };
            let end = (at + MAX_PAGE).min(ITEMS);
            let data: Vec<Value> = (at..end).map(|i| json!({"id": i})).collect();
            Reply::json(
                200,
                &json!({"data": data, "next": format!("c{end}"), "total": ITEMS}),
            )
        }
        ("POST", "/rest/orgs/201/incidents/2314/attachments") => {
            let body = req.body_text();
            if req.content_type().as_deref() == Some("multipart/form-data")
                && body.contains("filename=\"evil.txt\"")
                && body.contains("EICAR")
            {
                Reply::json(200, &json!({"id": 9, "name": "evil.txt"}))
            } else {
                Reply::json(400, &json!({"message": "no file part"}))
            }
        }
        _ => Reply::json(404, &json!({"message": "Not Found"})),
    }
}

fn rig() -> Rig {
    let ca = TestCa::new("rest test CA");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write_cert(&ca_file).unwrap();
    let sessions = Arc::new(Sessions::default());
    let s = sessions.clone();
    let server = TestServer::https(
        ca.issue_server("localhost", &["localhost", "127.0.0.1"])
            .identity(),
        move |req: &Seen| handle(&s, req),
    )
    .unwrap();
    let http = tq_testkit::clients::http_trusting(&ca_file);
    Rig {
        _dir: dir,
        server,
        sessions,
        http,
    }
}

/// A session login as Resilient's: the CSRF token and the JSESSIONID cookie are two headers
/// of one credential.
struct SessionLogin {
    url: String,
    password: Secret,
}

impl TokenSource for SessionLogin {
    fn fetch(&self, http: &Http, _previous: Option<&Credential>) -> Result<Credential> {
        let req = tq_common::http::Request::new(Method::Post, &self.url)
            .query("include_permissions", "false")
            .json(json!({"email": EMAIL, "password": self.password.expose()}));
        let resp = http.send("Resilient", &req)?;
        if !resp.ok() {
            return Err(Error::remote(
                "Resilient",
                format!("login refused for {EMAIL} (HTTP {})", resp.status),
            ));
        }
        let v: Value = serde_json::from_slice(&resp.body).unwrap();
        let (_, cookie) = resp
            .set_cookies()
            .find(|(n, _)| *n == "JSESSIONID")
            .expect("JSESSIONID");
        Ok(Credential::default()
            .with_header("X-sess-id", Secret::new(v["csrf_token"].as_str().unwrap()))
            .with_header("Cookie", Secret::new(format!("JSESSIONID={cookie}"))))
    }
}

fn session_config(r: &Rig, password: &str) -> RestConfig {
    let source = SessionLogin {
        url: format!("{}/rest/session", r.server.url()),
        password: Secret::new(password),
    };
    RestConfig {
        auth: Auth::Token(TokenCache::new(
            "Resilient",
            source,
            Duration::from_secs(30),
        )),
        ..RestConfig::default()
    }
}

fn session_client(r: &Rig, password: &str) -> RestClient {
    RestClient::new(
        "Resilient",
        r.server.url(),
        r.http.clone(),
        session_config(r, password),
    )
}

#[test]
fn a_session_with_csrf_header_and_cookie_is_renewed_once_on_401() {
    let r = rig();
    let c = session_client(&r, PASSWORD);
    let v = c.get("/rest/orgs/201/incidents/2314", &[]).unwrap();
    assert_eq!(v["name"], "Phish");
    c.get("rest/orgs/201/incidents/2314", &[]).unwrap();
    assert_eq!(r.sessions.logins.load(Ordering::SeqCst), 1);

    r.sessions.expire_all();
    r.server.control().clear_requests();
    c.get("/rest/orgs/201/incidents/2314", &[]).unwrap();
    assert_eq!(
        r.server.control().statuses(),
        vec![401, 200, 200],
        "refused, login, retried"
    );
    assert_eq!(c.tokens().unwrap().fetches(), 2);
}

#[test]
fn threads_refused_together_share_one_renewal() {
    let r = rig();
    let c = session_client(&r, PASSWORD);
    c.login().unwrap();
    r.sessions.expire_all();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    c.get("/rest/orgs/201/incidents/2314", &[]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        r.sessions.logins.load(Ordering::SeqCst),
        2,
        "one login, then one renewal for all eight threads"
    );
}

/// Issues bearer tokens that live `ttl`; counts them.
struct ShortLived {
    ttl: Duration,
    issued: Arc<AtomicUsize>,
}

impl TokenSource for ShortLived {
    fn fetch(&self, _http: &Http, previous: Option<&Credential>) -> Result<Credential> {
        let n = self.issued.fetch_add(1, Ordering::SeqCst);
        assert_eq!(
            previous.is_some(),
            n > 0,
            "the expiring credential is handed over"
        );
        Ok(Credential::bearer(
            &Secret::new(format!("token-number-{n}")),
            Some(self.ttl),
        ))
    }
}

#[test]
fn a_token_is_renewed_before_it_expires() {
    let r = rig();
    let issued = Arc::new(AtomicUsize::new(0));
    let cache = TokenCache::new(
        "X",
        ShortLived {
            ttl: Duration::from_secs(3),
            issued: issued.clone(),
        },
        Duration::from_secs(2),
    );
    let (a, gen_a) = cache.current(&r.http).unwrap();
    let (b, gen_b) = cache.current(&r.http).unwrap();
    assert!(Arc::ptr_eq(&a, &b) && gen_a == gen_b, "reused while fresh");
    std::thread::sleep(Duration::from_millis(1100));
    let (_, gen_c) = cache.current(&r.http).unwrap();
    assert_ne!(gen_c, gen_a, "renewed within the margin of its expiry");
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    // A 401 with an old generation after a renewal does not renew again.
    let (_, gen_d) = cache.renew(&r.http, gen_a).unwrap();
    assert_eq!(gen_d, gen_c);
    assert_eq!(cache.fetches(), 2);
}

#[test]
fn a_text_protocol_that_says_401_in_a_200_body_is_renewed_too() {
    let r = rig();
    let rt_401 = |resp: &Response| {
        resp.body.starts_with(b"RT/") && resp.text().lines().next().unwrap_or("").contains(" 401 ")
    };
    let c = RestClient::new(
        "Request Tracker",
        r.server.url(),
        r.http.clone(),
        RestConfig {
            unauthorized: rt_401,
            ..session_config(&r, PASSWORD)
        },
    );
    let req = c.request(Method::Get, "/REST/1.0/ticket/1/show");
    let resp = c.send(&req).unwrap();
    assert!(
        resp.text().contains("200 Ok\n\nid: ticket/1"),
        "{}",
        resp.text()
    );
    r.sessions.expire_all();
    let resp = c.send(&req).unwrap();
    assert!(resp.text().contains("Subject: Test"), "{}", resp.text());
    assert_eq!(r.sessions.logins.load(Ordering::SeqCst), 2);
}

#[test]
fn errors_name_the_system_the_call_the_status_and_the_detail_never_a_secret() {
    let r = rig();
    let c = session_client(&r, PASSWORD);
    let e = c
        .send_json(
            Method::Post,
            "/rest/orgs/201/incidents",
            json!({"name": "x", "colour": "red"}),
        )
        .unwrap_err();
    assert_eq!(e.status(), Some(422));
    assert_eq!(e.exit_code(), 1);
    assert_eq!(
        e.to_string(),
        "Resilient: POST /rest/orgs/201/incidents answered 422: Field 'colour' is not known"
    );
    let e = c.get("/rest/orgs/201/nothing", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Resilient: GET /rest/orgs/201/nothing answered 404 (no such object or route): Not Found"
    );

    // A system's own mapper: detail and hints of its choosing.
    let custom = RestClient::new(
        "Resilient",
        r.server.url(),
        r.http.clone(),
        RestConfig {
            errors: ErrorMapper {
                detail: |v| {
                    v.get("message")
                        .and_then(Value::as_str)
                        .map(|m| format!("<{m}>"))
                },
                hint: |s| (s == 404).then_some(" (check the incident id)"),
                reported: |_| None,
            },
            ..session_config(&r, PASSWORD)
        },
    );
    let e = custom.get("/rest/orgs/201/nothing", &[]).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("answered 404 (check the incident id): <Not Found>"),
        "{e}"
    );

    let bad = session_client(&r, "wrong-password-778899");
    let e = bad.get("/rest/orgs/201/incidents/2314", &[]).unwrap_err();
    assert!(e.to_string().contains("login refused for"), "{e}");
    assert!(!format!("{e} {e:?}").contains("wrong-password-778899"));
}

#[test]
fn basic_and_fixed_header_auth() {
    let r = rig();
    let with = |auth| {
        RestClient::new(
            "Resilient",
            r.server.url(),
            r.http.clone(),
            RestConfig {
                auth,
                ..RestConfig::default()
            },
        )
    };
    let c = with(Auth::basic("key-id", &Secret::new("key-secret-123456")));
    assert_eq!(c.get("/basic", &[]).unwrap()["ok"], true);
    let wrong = with(Auth::Header {
        name: "Authorization".into(),
        value: Secret::new("token 1-14-993c98"),
    });
    let e = wrong.get("/basic", &[]).unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(!e.to_string().contains("993c98"), "{e}");
    let none = with(Auth::None);
    assert_eq!(none.get("/basic", &[]).unwrap_err().status(), Some(401));
}

#[test]
fn offset_paging_through_a_capped_page_size_with_and_without_total() {
    let r = rig();
    let c = session_client(&r, PASSWORD);
    // Resilient's query_paged: start/length in the body, recordsTotal in the answer.
    let rows = c
        .collect_offset(
            100,
            |start| {
                c.request(Method::Post, "/rest/orgs/201/incidents/query_paged")
                    .json(json!({"filters": [], "start": start, "length": 100}))
                    .idempotent(true)
            },
            |v| Page {
                total: v["recordsTotal"].as_u64().map(|n| n as usize),
                rows: v["data"].as_array().cloned().unwrap_or_default(),
            },
        )
        .unwrap();
    let ids: Vec<u64> = rows.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (0..ITEMS as u64).collect::<Vec<_>>());

    // No total: a short page ends it; pages visited one by one.
    let mut pages = Vec::new();
    let seen = c
        .visit_offset(
            5,
            |offset| {
                c.request(Method::Get, "/list")
                    .query("offset", offset.to_string())
                    .query("limit", "5")
            },
            |v| Page {
                total: None,
                rows: v["items"].as_array().cloned().unwrap_or_default(),
            },
            |rows| {
                pages.push(rows.len());
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(seen, ITEMS);
    assert_eq!(pages, vec![5, 5, 5, 5, 3]);
}

#[test]
fn cursor_paging_to_the_end() {
    let r = rig();
    let c = session_client(&r, PASSWORD);
    let mut pager = CursorPager::new(
        &c,
        "start",
        |cursor| c.request(Method::Get, "/cursor").query("cursor", cursor),
        |v| CursorPage {
            total: v["total"].as_u64().map(|n| n as usize),
            next: v["next"].as_str().map(str::to_string),
            rows: v["data"].as_array().cloned().unwrap_or_default(),
        },
    );
    let mut n = 0;
    while let Some(page) = pager.next_page().unwrap() {
        assert!(page.len() <= MAX_PAGE);
        n += page.len();
    }
    assert_eq!(n, ITEMS);
    assert_eq!(pager.total(), Some(ITEMS));
    assert!(pager.next_page().unwrap().is_none());
}

#[test]
fn raw_send_carries_a_multipart_upload_with_the_session() {
    let r = rig();
    let c = session_client(&r, PASSWORD);
    let (ct, body) = multipart(
        &[],
        &[("file", "evil.txt", "text/plain", b"X5O!P%@AP EICAR test")],
    );
    let req = c
        .request(Method::Post, "/rest/orgs/201/incidents/2314/attachments")
        .bytes(ct, body);
    let v = c.call(&req).unwrap();
    assert_eq!(v["id"], 9);
}
