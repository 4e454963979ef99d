//! FakeResilient over HTTPS with a real HTTP client: both kinds of authentication and their
//! 401s, the org scope, incidents (names, PATCH and PUT versions, paged queries), artifacts
//! (every documented form of `type`, both answer forms), notes, tasks, attachments, and the
//! customize import applied once however often it runs.

mod common;

use common::{agent, json_of};
use serde_json::{json, Value};
use tq_testkit::json::strings;
use tq_testkit::resilient::{ArtifactCreateForm, FakeResilient};

/// How a test client authenticates.
enum Auth {
    Session { cookie: String, csrf: String },
    ApiKey(String),
    None,
}

struct Client {
    agent: ureq::Agent,
    url: String,
    org: u64,
    auth: Auth,
}

impl Client {
    fn anonymous(soar: &FakeResilient) -> Client {
        Client {
            agent: agent(soar.ca_pem()),
            url: soar.url(),
            org: soar.org_id(),
            auth: Auth::None,
        }
    }

    /// `POST /rest/session` with e-mail and password.
    fn session(soar: &FakeResilient) -> Client {
        let c = Client::anonymous(soar);
        let mut r = c
            .agent
            .post(format!("{}/rest/session?include_permissions=false", c.url))
            .send_json(json!({"email": soar.email(), "password": soar.password()}))
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("JSESSIONID cookie")
            .to_string();
        assert!(cookie.starts_with("JSESSIONID="), "{cookie}");
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        let csrf = v["csrf_token"].as_str().expect("csrf_token").to_string();
        assert_eq!(v["orgs"][0]["id"], soar.org_id());
        Client {
            auth: Auth::Session { cookie, csrf },
            ..c
        }
    }

    fn api_key(soar: &FakeResilient, id: &str, secret: &str) -> Client {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        Client {
            auth: Auth::ApiKey(format!("Basic {b}")),
            ..Client::anonymous(soar)
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("/rest/") {
            format!("{}{path}", self.url)
        } else {
            format!("{}/rest/orgs/{}{path}", self.url, self.org)
        }
    }

    /// Adds this client's credentials to a request.
    fn authed<B>(&self, mut r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.auth {
            Auth::Session { cookie, csrf } => {
                r = r.header("Cookie", cookie).header("X-sess-id", csrf);
            }
            Auth::ApiKey(h) => r = r.header("Authorization", h),
            Auth::None => {}
        }
        r
    }

    fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = self.url(path);
        let r = match method {
            "POST" => self.agent.post(url),
            "PUT" => self.agent.put(url),
            "PATCH" => self.agent.patch(url),
            m => panic!("{m}"),
        };
        json_of(
            self.authed(r)
                .header("Content-Type", "application/json")
                .send(body.to_string()),
        )
    }

    fn nobody(&self, method: &str, path: &str) -> (u16, Value) {
        let url = self.url(path);
        let r = match method {
            "GET" => self.agent.get(url),
            "DELETE" => self.agent.delete(url),
            m => panic!("{m}"),
        };
        json_of(self.authed(r).call())
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.nobody("GET", path)
    }
    fn delete(&self, path: &str) -> (u16, Value) {
        self.nobody("DELETE", path)
    }
    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, body)
    }
    fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("PUT", path, body)
    }
    fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("PATCH", path, body)
    }
}

#[test]
fn a_session_needs_both_cookie_and_csrf_header_and_ends() {
    let soar = FakeResilient::start();
    let c = Client::session(&soar);
    assert_eq!(soar.logins(), 1);
    let (st, org) = c.get(&format!("/rest/orgs/{}", soar.org_id()));
    assert_eq!(st, 200, "{org}");
    assert_eq!(org["actions_framework_enabled"], true);
    assert_eq!(org["incident_artifact_types"]["1"]["name"], "IP Address");

    let Auth::Session { cookie, csrf } = &c.auth else {
        unreachable!()
    };
    let only_cookie = Client {
        auth: Auth::Session {
            cookie: cookie.clone(),
            csrf: "wrong".into(),
        },
        ..Client::anonymous(&soar)
    };
    assert_eq!(only_cookie.get("/incidents/2095").0, 401);
    let only_csrf = Client {
        auth: Auth::Session {
            cookie: "JSESSIONID=nope".into(),
            csrf: csrf.clone(),
        },
        ..Client::anonymous(&soar)
    };
    assert_eq!(only_csrf.get("/incidents/2095").0, 401);
    assert_eq!(Client::anonymous(&soar).get("/incidents/2095").0, 401);

    let (st, who) = c.get("/rest/session");
    assert_eq!(
        (st, who["user_email"].as_str()),
        (200, Some("integration@example.com"))
    );

    soar.expire_sessions();
    assert_eq!(c.get("/incidents/2095").0, 401);
    assert!(soar.rejected() >= 4);

    let (st, _) = Client::anonymous(&soar).post(
        "/rest/session",
        json!({"email": soar.email(), "password": "wrong"}),
    );
    assert_eq!(st, 401);
    let (st, e) = Client::anonymous(&soar).post(
        "/rest/session",
        json!({"email": soar.email(), "password": soar.password(), "interactive": true}),
    );
    assert_eq!(st, 400);
    assert!(
        e["message"].as_str().unwrap().contains("interactive"),
        "{e}"
    );
}

#[test]
fn api_keys_authenticate_every_call_with_basic() {
    let soar = FakeResilient::start();
    let c = Client::api_key(&soar, &soar.api_key_id(), &soar.api_key_secret());
    let (st, s) = c.get("/rest/session?include_permissions=false");
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["api_key_handle"], soar.api_key_handle());
    assert_eq!(s["orgs"][0]["name"], "Test Organization");
    assert_eq!(c.get("/incidents/2095").0, 200);
    let bad = Client::api_key(&soar, &soar.api_key_id(), "wrong");
    assert_eq!(bad.get("/incidents/2095").0, 401);
    // Another org is out of scope.
    let other = Client {
        org: 999,
        ..Client::api_key(&soar, &soar.api_key_id(), &soar.api_key_secret())
    };
    assert_eq!(other.get("/incidents/2095").0, 403);
    let (st, k) = c.get("/rest/const");
    assert_eq!(
        (st, k["action_object_types"]["4"].as_str()),
        (200, Some("Artifact"))
    );
}

#[test]
fn incidents_names_versions_and_strict_bodies() {
    let soar = FakeResilient::start();
    let c = Client::session(&soar);
    let (st, inc) = c.get("/incidents/2095");
    assert_eq!((st, inc["severity_code"].as_u64()), (200, Some(50)));
    let (_, named) = c.get("/incidents/2095?handle_format=names");
    assert_eq!(named["severity_code"], "Low");
    assert_eq!(named["phase_id"], "Respond");
    assert_eq!(named["owner_id"], "ana@example.com");

    let (st, e) = c.patch(
        "/incidents/2095",
        json!({"changes": [{"field": "threatq_event_id", "old_value": {"object": null},
                            "new_value": {"object": 812}}], "version": 6}),
    );
    assert_eq!(st, 409, "stale version: {e}");
    let (st, ok) = c.patch(
        "/incidents/2095",
        json!({"changes": [{"field": "threatq_event_id", "old_value": {"object": null},
                            "new_value": {"object": 812}}], "version": 7}),
    );
    assert_eq!((st, &ok["success"]), (200, &json!(true)), "{ok}");
    let inc = soar.incident(2095).unwrap();
    assert_eq!(
        (
            inc["properties"]["threatq_event_id"].as_u64(),
            inc["vers"].as_u64()
        ),
        (Some(812), Some(8))
    );
    let (st, e) = c.patch(
        "/incidents/2095",
        json!({"changes": [{"field": "no_such_field", "new_value": {"object": 1}}], "version": 8}),
    );
    assert_eq!(st, 400, "{e}");

    let mut whole = soar.incident(2095).unwrap();
    whole["name"] = json!("Renamed");
    whole["vers"] = json!(7);
    assert_eq!(c.put("/incidents/2095", whole.clone()).0, 409);
    whole["vers"] = json!(8);
    let (st, put) = c.put("/incidents/2095", whole.clone());
    assert_eq!(
        (st, put["name"].as_str(), put["vers"].as_u64()),
        (200, Some("Renamed"), Some(9))
    );
    whole["vers"] = json!(9);
    whole["surprise"] = json!(1);
    let (st, e) = c.put("/incidents/2095", whole);
    assert_eq!(st, 400);
    assert!(e["message"].as_str().unwrap().contains("surprise"), "{e}");

    let (st, created) = c.post(
        "/incidents",
        json!({"name": "New", "discovered_date": 1_600_000_000_000_i64,
               "description": {"format": "text", "content": "hello"},
               "properties": {"threatq_event_id": null}}),
    );
    assert_eq!(st, 200, "{created}");
    assert!(created["id"].as_u64().unwrap() > 3000);
    assert_eq!(created["description"], "hello");
    let (st, e) = c.post(
        "/incidents",
        json!({"name": "x", "discovered_date": 1, "properties": {"nope": 1}}),
    );
    assert_eq!(st, 400, "unknown custom field: {e}");
    assert_eq!(c.get("/incidents/424242").0, 404);
}

#[test]
fn query_paged_filters_sorts_and_pages_under_the_cap() {
    let soar = FakeResilient::builder().samples(false).max_page(10).start();
    for i in 0..25 {
        let id = soar.add_incident(&format!("inc {i}"), 1_600_000_000_000);
        soar.set_create_date(id, 1_600_000_000_000 + i * 1000);
    }
    let c = Client::session(&soar);
    let since = 1_600_000_000_000_i64 + 5_000;
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let (st, page) = c.post(
            "/incidents/query_paged?return_level=normal",
            json!({"filters": [{"conditions": [{"field_name": "create_date", "method": "gte", "value": since}]}],
                   "sorts": [{"field_name": "create_date", "type": "asc"}],
                   "start": start, "length": 100}),
        );
        assert_eq!(st, 200, "{page}");
        assert_eq!(
            (
                page["recordsTotal"].as_u64(),
                page["recordsFiltered"].as_u64()
            ),
            (Some(25), Some(20))
        );
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 10, "the cap holds");
        if data.is_empty() {
            break;
        }
        seen.extend(data.iter().map(|i| i["create_date"].as_i64().unwrap()));
        start += data.len();
    }
    assert_eq!(seen.len(), 20);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ascending");
    assert_eq!(seen[0], since);

    let (st, all) = c.post(
        "/incidents/query",
        json!({"filters": [], "sorts": [{"field_name": "create_date", "type": "desc"}]}),
    );
    assert_eq!((st, all.as_array().map(Vec::len)), (200, Some(25)));
    let (st, e) = c.post(
        "/incidents/query_paged",
        json!({"filters": [{"conditions": [{"field_name": "x", "method": "near", "value": 1}]}]}),
    );
    assert_eq!(st, 400, "{e}");
    assert_eq!(c.post("/incidents/query_paged", json!({"page": 1})).0, 400);
}

#[test]
fn artifacts_take_every_documented_type_form_and_answer_both_forms() {
    let soar = FakeResilient::start();
    let c = Client::session(&soar);
    for (i, ty) in [
        json!(2),
        json!("DNS Name"),
        json!({"id": 2}),
        json!({"name": "DNS Name"}),
    ]
    .into_iter()
    .enumerate()
    {
        let (st, v) = c.post(
            "/incidents/2095/artifacts",
            json!({"type": ty, "value": format!("evil{i}.example.com"),
                   "description": {"format": "text", "content": "from ThreatQ"}}),
        );
        assert_eq!(st, 200, "{v}");
        let a = &v.as_array().expect("an array by default")[0];
        assert_eq!(
            (a["type"].as_u64(), a["description"].as_str()),
            (Some(2), Some("from ThreatQ"))
        );
    }
    soar.set_artifact_create_form(ArtifactCreateForm::Object);
    let (st, v) = c.post(
        "/incidents/2095/artifacts",
        json!({"type": "URL", "value": "http://x.test/"}),
    );
    assert_eq!(
        (st, v["value"].as_str()),
        (200, Some("http://x.test/")),
        "the object form"
    );
    let new_id = v["id"].as_u64().unwrap();

    let (st, e) = c.post(
        "/incidents/2095/artifacts",
        json!({"type": "Nope", "value": "x"}),
    );
    assert_eq!(st, 400);
    assert!(e["message"].as_str().unwrap().contains("Nope"), "{e}");
    let (st, e) = c.post(
        "/incidents/2095/artifacts",
        json!({"type": 1, "value": "x", "colour": "red"}),
    );
    assert_eq!(st, 400);
    assert!(e["message"].as_str().unwrap().contains("colour"), "{e}");

    let (_, list) = c.get("/incidents/2095/artifacts");
    assert_eq!(
        list.as_array().unwrap().len(),
        6,
        "the sample's and five new"
    );
    let (_, page) = c.post("/incidents/2095/artifacts/query_paged", json!({}));
    assert_eq!(page["recordsTotal"], 6);
    let (st, _) = c.delete(&format!("/incidents/2095/artifacts/{new_id}"));
    assert_eq!(st, 204);
    assert_eq!(
        c.delete(&format!("/incidents/2095/artifacts/{new_id}")).0,
        404
    );
    assert_eq!(soar.artifacts(2095).len(), 5);
    let (_, types) = c.get("/types/artifact");
    let values = types["fields"]["type"]["values"].as_array().unwrap();
    assert!(values.iter().any(|v| v["label"] == "Malware SHA-256 Hash"));
}

#[test]
fn notes_tasks_and_attachments() {
    let soar = FakeResilient::start();
    let c = Client::session(&soar);
    let (st, n) = c.post(
        "/incidents/2095/comments",
        json!({"text": {"format": "html", "content": "<b>ThreatQ:</b> done"}}),
    );
    assert_eq!(
        (st, n["text"].as_str()),
        (200, Some("<div><b>ThreatQ:</b> done</div>"))
    );
    let (st, r) = c.post(
        "/incidents/2095/comments",
        json!({"parent_id": 77, "text": {"format": "text", "content": "a < b"}}),
    );
    assert_eq!(
        (st, r["text"].as_str(), r["parent_id"].as_u64()),
        (200, Some("<div>a &lt; b</div>"), Some(77))
    );
    assert_eq!(
        c.post(
            "/incidents/2095/comments",
            json!({"text": {"format": "pdf", "content": "x"}})
        )
        .0,
        400
    );
    let (_, notes) = c.get("/incidents/2095/comments");
    assert_eq!(notes.as_array().unwrap().len(), 3);
    assert_eq!(c.get("/incidents/2095/comments/77").1["id"], 77);

    let (st, tasks) =
        c.get("/incidents/2095/tasks?want_layouts=false&want_notes=false&handle_format=names");
    assert_eq!(st, 200);
    assert_eq!(tasks[0]["owner_id"], "ana@example.com");
    let (_, mut t) = c.get("/tasks/2251");
    t["status"] = json!("C");
    let (st, closed) = c.put("/tasks/2251", t.clone());
    assert_eq!((st, closed["status"].as_str()), (200, Some("C")));
    assert!(closed["closed_date"].as_i64().is_some());
    assert_eq!(
        c.put("/tasks/2251", t.clone()).0,
        409,
        "the vers it was read at is stale now"
    );
    let mut t2 = closed.clone();
    t2["status"] = json!("X");
    assert_eq!(c.put("/tasks/2251", t2).0, 400);
    let mut t3 = closed.clone();
    t3["colour"] = json!(1);
    assert_eq!(c.put("/tasks/2251", t3).0, 400);
    let (st, _) = c.post(
        "/tasks/2251/comments",
        json!({"text": {"format": "text", "content": "on the task"}}),
    );
    assert_eq!(st, 200);
    assert_eq!(c.get("/tasks/2251/comments").1.as_array().unwrap().len(), 1);

    let (_, atts) = c.get("/incidents/2095/attachments");
    assert_eq!(atts[0]["name"], "headers.eml");
    let mut r = c
        .authed(
            c.agent
                .get(c.url("/incidents/2095/attachments/27/contents")),
        )
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .body_mut()
        .read_to_vec()
        .unwrap()
        .starts_with(b"Received: from"));
    let tid = soar.add_task(2095, "Collect", "grab the mail");
    let aid = soar.add_attachment(
        2095,
        Some(tid),
        "sample.bin",
        "application/octet-stream",
        b"\x00\x01MZ",
    );
    let (_, ta) = c.get(&format!("/tasks/{tid}/attachments"));
    assert_eq!(ta[0]["id"], aid);
    assert_eq!(
        c.get(&format!("/incidents/2095/attachments/{aid}")).1["task_id"],
        tid
    );
    assert_eq!(
        c.get("/tasks/2251/attachments/27").0,
        404,
        "not that task's"
    );
}

#[test]
fn customize_import_installs_once_and_membership_is_get_modify_put() {
    let soar = FakeResilient::builder().samples(false).start();
    let c = Client::session(&soar);
    let export = tq_testkit::resilient::samples::export_snippet();
    for round in 0..2 {
        let (st, imp) = c.post("/configurations/imports", export.clone());
        assert_eq!(
            (st, imp["status"].as_str()),
            (200, Some("PENDING")),
            "{imp}"
        );
        let id = imp["id"].as_u64().unwrap();
        let mut accept = imp.clone();
        accept["status"] = json!("ACCEPTED");
        let (st, done) = c.put(&format!("/configurations/imports/{id}"), accept);
        assert_eq!(
            (st, done["status"].as_str()),
            (200, Some("ACCEPTED")),
            "round {round}: {done}"
        );
    }
    assert_eq!(soar.imports_applied(), 2);
    let (_, actions) = c.get("/actions");
    let names = strings(&actions["entities"], "name");
    assert_eq!(
        names,
        ["Historical Sync", "Sync Indicator", "Sync Comment"],
        "once each"
    );
    let dest = soar
        .destination("fn_threatq")
        .expect("destination installed");
    assert_eq!(actions["entities"][2]["object_type"], 2);
    assert_eq!(
        actions["entities"][2]["message_destinations"],
        json!([dest["id"]])
    );
    assert_eq!(
        dest["users"],
        json!([]),
        "membership is not taken from the export"
    );
    let (_, f) = c.get("/functions/threatq_add_indicator?handle_format=names");
    assert_eq!(f["destination_handle"], "fn_threatq");
    assert_eq!(soar.functions().len(), 1);
    let (_, fields) = c.get("/types/actioninvocation/fields");
    assert_eq!(fields[0]["name"], "threatq_created_after");
    assert_eq!(
        c.get("/types/__function/fields").1[0]["name"],
        "threatq_indicator_value"
    );
    assert_eq!(
        soar.fields("incident")
            .iter()
            .filter(|f| f["name"] == "threatq_event_id")
            .count(),
        1
    );

    // Membership: get-modify-put of the destination.
    let id = dest["id"].as_u64().unwrap();
    let (_, mut d) = c.get(&format!("/message_destinations/{id}"));
    d["users"] = json!([soar.user_id()]);
    let (st, put) = c.put(&format!("/message_destinations/{id}"), d.clone());
    assert_eq!((st, &put["users"]), (200, &json!([4])));
    d["users"] = json!([424242]);
    assert_eq!(
        c.put(&format!("/message_destinations/{id}"), d.clone()).0,
        400,
        "no such user"
    );
    d["users"] = json!([4]);
    d["api_keys"] = json!([soar.api_key_handle()]);
    assert_eq!(c.put(&format!("/message_destinations/{id}"), d).0, 200);

    // An export that names a destination that exists nowhere is refused.
    let mut bad = export.clone();
    bad["message_destinations"] = json!([]);
    bad["actions"][0]["message_destinations"] = json!(["elsewhere"]);
    let (st, e) = c.post("/configurations/imports", bad);
    assert_eq!(st, 400);
    assert!(e["message"].as_str().unwrap().contains("elsewhere"), "{e}");
    let mut bad = export.clone();
    bad["surprise"] = json!(1);
    assert_eq!(c.post("/configurations/imports", bad).0, 400);
}

#[test]
fn seeded_rules_are_listed_by_id_and_name() {
    let soar = FakeResilient::builder()
        .samples(false)
        .id_base(70_000)
        .start();
    let id = soar.add_rule(
        "ThreatQ: Sync Indicator",
        "artifact",
        false,
        &["fn_threatq"],
    );
    assert!(id > 70_000);
    let c = Client::api_key(&soar, &soar.api_key_id(), &soar.api_key_secret());
    let (_, a) = c.get("/actions");
    assert_eq!(a["entities"][0]["id"], id);
    assert_eq!(a["entities"][0]["name"], "ThreatQ: Sync Indicator");
    assert_eq!(a["entities"][0]["type"], 0);
    let (_, md) = c.get("/message_destinations");
    assert_eq!(md["entities"][0]["programmatic_name"], "fn_threatq");
}
