//! `FakeResilient`: an in-process HTTPS IBM Resilient (QRadar SOAR) REST API that keeps
//! state, built strictly from research/resilient.md §4, §5, §7 and
//! `samples/resilient-rest-*.json` (copied to `tq-testkit/data/resilient/`, module
//! [`samples`]).
//!
//! ```no_run
//! use tq_testkit::resilient::FakeResilient;
//! let soar = FakeResilient::start();           // the samples' org 201 with incident 2095
//! let inc = soar.add_incident("Phishing", 1_600_000_000_000);
//! soar.add_artifact(inc, "IP Address", "10.0.0.1");
//! // point the app at soar.host() / soar.port() with cafile = soar.ca_file(), org =
//! // soar.org_name(), email = soar.email(), password = soar.password(); run it; then:
//! assert_eq!(soar.artifacts(inc).len(), 1);
//! ```
//!
//! What it serves (paths under `/rest/orgs/{org_id}` unless absolute):
//! - auth: `POST /rest/session` (e-mail and password → `csrf_token` and the
//!   `JSESSIONID` cookie, both required afterwards), API keys by HTTP Basic, `GET` and
//!   `DELETE /rest/session`; anything else 401;
//! - `GET /rest/const`, `GET /rest/orgs/{id}` (FullOrgDTO with `actions_framework_enabled`
//!   and `incident_artifact_types`);
//! - incidents: get (`handle_format=names`), create, PUT, PATCH, `query_paged`, `query`;
//! - artifacts: list, `query_paged`, get, create, delete; notes of incidents and tasks;
//!   tasks (list, get, PUT); attachments of incidents and tasks with their contents;
//! - `actions`, `functions`, `message_destinations` (get, PUT, create), `types/{type}` and
//!   their `fields`, `configurations/imports` (customize).
//!
//! Bodies are checked strictly: an unknown field, a missing required one or a
//! wrong type is 400 naming it. Everything the research marks inferred is in [`inferred`].
//! The request log, fault injection and latency are the test server's ([`FakeResilient::control`]).

mod artifacts;
mod attachments;
mod auth;
mod customize;
mod incidents;
pub mod inferred;
mod notes;
mod query;
mod routes;
pub mod samples;
mod store;
mod tasks;
mod validate;

pub use inferred::ArtifactCreateForm;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

use crate::certs::TestCa;
use crate::server::{Request, ServerControl, TestServer};
use auth::{ApiKeyRec, Auth, UserRec};
use store::{OrgRec, Store};

/// Knobs that shape answers.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub artifact_form: ArtifactCreateForm,
    pub max_page: usize,
    pub actions_framework_enabled: bool,
}

/// Everything the fake knows, behind one lock.
pub(crate) struct State {
    pub auth: Auth,
    pub org: OrgRec,
    pub store: Store,
    pub cfg: Knobs,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Configures a [`FakeResilient`].
pub struct FakeResilientBuilder {
    port: u16,
    org_id: u64,
    org_name: String,
    samples: bool,
    id_base: u64,
    knobs: Knobs,
    ca: Option<TestCa>,
    password: Option<String>,
}

impl FakeResilientBuilder {
    /// Port on 127.0.0.1 (default 0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// The org id (default 201, the samples').
    pub fn org_id(mut self, id: u64) -> Self {
        self.org_id = id;
        self
    }
    /// The org name (default `Test Organization`).
    pub fn org_name(mut self, name: &str) -> Self {
        self.org_name = name.to_string();
        self
    }
    /// Seed the samples' objects: incident 2095 with artifact 11, note 77, task 2251 and
    /// attachment 27 (default true).
    pub fn samples(mut self, on: bool) -> Self {
        self.samples = on;
        self
    }
    /// New objects get ids above this (default 3000; ids are unique across kinds).
    pub fn id_base(mut self, base: u64) -> Self {
        self.id_base = base;
        self
    }
    /// How artifact creation answers (default an array).
    pub fn artifact_create_form(mut self, form: ArtifactCreateForm) -> Self {
        self.knobs.artifact_form = form;
        self
    }
    /// The largest page `query_paged` returns (default [`inferred::DEFAULT_MAX_PAGE`]).
    pub fn max_page(mut self, n: usize) -> Self {
        self.knobs.max_page = n.max(1);
        self
    }
    /// Issue the server certificate from this CA (default: a CA of its own), so that one CA
    /// file can trust both the REST API and the broker.
    pub fn ca(mut self, ca: TestCa) -> Self {
        self.ca = Some(ca);
        self
    }
    /// The integration user's password (default random).
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_string());
        self
    }

    /// Starts the fake; panics if it cannot.
    pub fn start(self) -> FakeResilient {
        self.try_start().expect("start FakeResilient")
    }

    /// Starts the fake.
    pub fn try_start(self) -> std::io::Result<FakeResilient> {
        let password = self
            .password
            .unwrap_or_else(|| format!("soar-pw-{}", auth::random_hex(8)));
        let api_key = ApiKeyRec {
            handle: 4,
            key_id: format!("apikey-{}", auth::random_hex(8)),
            secret: format!("apisecret-{}", auth::random_hex(12)),
            display_name: "Integration Server".into(),
        };
        let mut a = Auth::default();
        a.users.push(UserRec {
            id: 3,
            email: "ana@example.com".into(),
            password: format!("ana-pw-{}", auth::random_hex(8)),
            fname: "Ana".into(),
            lname: "Analyst".into(),
        });
        a.users.push(UserRec {
            id: 4,
            email: "integration@example.com".into(),
            password: password.clone(),
            fname: "Integration".into(),
            lname: "User".into(),
        });
        a.api_keys.push(api_key);
        let mut st = State {
            auth: a,
            org: OrgRec {
                id: self.org_id,
                name: self.org_name,
                uuid: format!("c8165e15-0000-4000-8000-{:012}", self.org_id),
                cloud_account: None,
            },
            store: Store::new(self.id_base),
            cfg: self.knobs,
        };
        if self.samples {
            seed_samples(&mut st);
        }
        let state = Arc::new(Mutex::new(st));
        let ca = self
            .ca
            .unwrap_or_else(|| TestCa::new("tq-testkit FakeResilient CA"));
        let identity = ca
            .issue_server("localhost", &["localhost", "127.0.0.1", "::1"])
            .identity();
        let dir = crate::rigs::TempDir::new("tq-fake-resilient");
        let ca_file = dir.path().join("ca.pem");
        ca.write_cert(&ca_file)?;
        let s2 = state.clone();
        let server = TestServer::builder()
            .port(self.port)
            .tls(identity)
            .start(move |req: &Request| routes::dispatch(&mut lock(&s2), req))?;
        Ok(FakeResilient {
            server,
            state,
            ca_pem: ca.cert_pem(),
            ca_file,
            _dir: dir,
        })
    }
}

/// The samples' objects with their ids (incident 2095 ...).
fn seed_samples(st: &mut State) {
    let action = |k: &str| samples::action(k);
    let inc = action("incident")["incident"].clone();
    let inc_id = inc["id"].as_u64().unwrap_or(2095);
    st.store.incidents.insert(inc_id, inc);
    let mut put = |map: &str, v: Value| {
        let id = v["id"].as_u64().unwrap_or(0);
        st.store.reserve(id);
        match map {
            "artifacts" => st.store.artifacts.insert(id, v),
            "comments" => st.store.comments.insert(id, v),
            "tasks" => st.store.tasks.insert(id, v),
            _ => st.store.attachments.insert(id, v),
        };
    };
    put("artifacts", action("artifact")["artifact"].clone());
    put("comments", action("note")["note"].clone());
    let mut task = action("task")["task"].clone();
    task["vers"] = json!(1);
    put("tasks", task);
    put("attachments", action("attachment")["attachment"].clone());
    st.store.reserve(inc_id);
    st.store.contents.insert(
        27,
        b"Received: from mail.example.com (10.0.0.1)\r\nSubject: invoice\r\n\r\nhello\r\n".to_vec(),
    );
}

/// A running fake SOAR over HTTPS on 127.0.0.1; stops when dropped.
pub struct FakeResilient {
    server: TestServer,
    state: Arc<Mutex<State>>,
    ca_pem: String,
    ca_file: PathBuf,
    _dir: crate::rigs::TempDir,
}

impl FakeResilient {
    /// A builder with the defaults (org 201 "Test Organization", the samples seeded, ids
    /// above 3000, artifact creation answering an array, pages up to 1000).
    pub fn builder() -> FakeResilientBuilder {
        FakeResilientBuilder {
            port: 0,
            org_id: 201,
            org_name: "Test Organization".into(),
            samples: true,
            id_base: 3000,
            knobs: Knobs {
                artifact_form: ArtifactCreateForm::Array,
                max_page: inferred::DEFAULT_MAX_PAGE,
                actions_framework_enabled: true,
            },
            ca: None,
            password: None,
        }
    }

    /// Starts a fake with the defaults.
    pub fn start() -> FakeResilient {
        FakeResilient::builder().start()
    }

    fn st(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    // ---- where and who ----

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }
    /// The host for app.config `host` (`localhost`: the certificate's name).
    pub fn host(&self) -> &'static str {
        "localhost"
    }
    /// The port (app.config `port`).
    pub fn port(&self) -> u16 {
        self.server.port()
    }
    /// The CA certificate file (app.config `cafile`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }
    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
    /// The org id.
    pub fn org_id(&self) -> u64 {
        self.st().org.id
    }
    /// The org name (app.config `org`).
    pub fn org_name(&self) -> String {
        self.st().org.name.clone()
    }
    /// The org uuid (also accepted as app.config `org`).
    pub fn org_uuid(&self) -> String {
        self.st().org.uuid.clone()
    }
    /// The integration user's e-mail (app.config `email`).
    pub fn email(&self) -> String {
        "integration@example.com".into()
    }
    /// The integration user's password.
    pub fn password(&self) -> String {
        self.st().auth.users[1].password.clone()
    }
    /// The integration user's id.
    pub fn user_id(&self) -> u64 {
        4
    }
    /// The API key id (app.config `api_key_id`).
    pub fn api_key_id(&self) -> String {
        self.st().auth.api_keys[0].key_id.clone()
    }
    /// The API key secret (app.config `api_key_secret`).
    pub fn api_key_secret(&self) -> String {
        self.st().auth.api_keys[0].secret.clone()
    }
    /// The API key's handle (what a destination's `api_keys` lists).
    pub fn api_key_handle(&self) -> u64 {
        self.st().auth.api_keys[0].handle
    }

    // ---- server knobs ----

    /// The test server's handle: request log (`requests`, `count(method, path)`), faults
    /// (`fail_next_on("[METHOD ]PATH[*]", n, fault)`), latency.
    pub fn control(&self) -> ServerControl {
        self.server.control()
    }

    // ---- behaviour knobs ----

    /// Ends every session: the next call with one is 401 (API keys keep working).
    pub fn expire_sessions(&self) {
        self.st().auth.expire_sessions()
    }
    /// Successful e-mail/password logins so far.
    pub fn logins(&self) -> usize {
        self.st().auth.logins
    }
    /// Calls answered 401 so far.
    pub fn rejected(&self) -> usize {
        self.st().auth.rejected
    }
    /// How artifact creation answers.
    pub fn set_artifact_create_form(&self, form: ArtifactCreateForm) {
        self.st().cfg.artifact_form = form
    }
    /// The largest page `query_paged` returns.
    pub fn set_max_page(&self, n: usize) {
        self.st().cfg.max_page = n.max(1)
    }
    /// `actions_framework_enabled` of the org (false: resilient-circuits opens no STOMP).
    pub fn set_actions_framework_enabled(&self, on: bool) {
        self.st().cfg.actions_framework_enabled = on
    }

    // ---- seeding ----

    fn seed<T>(&self, what: &str, r: Result<T, crate::server::Response>) -> T {
        r.unwrap_or_else(|e| panic!("{what}: {} {}", e.status, String::from_utf8_lossy(&e.body)))
    }

    /// Adds an incident (owner Ana, severity Low, phase Respond); returns its id.
    pub fn add_incident(&self, name: &str, discovered_ms: i64) -> u64 {
        self.add_incident_with(json!({ "name": name, "discovered_date": discovered_ms }))
    }

    /// Adds an incident from a create body (IncidentDTO fields); returns its id.
    pub fn add_incident_with(&self, body: Value) -> u64 {
        let mut st = self.st();
        let r = incidents::new_incident(&mut st, &body, Some(3));
        drop(st);
        self.seed("add_incident", r)
    }

    /// Sets an incident's `create_date` (for Historical Sync tests).
    pub fn set_create_date(&self, incident: u64, ms: i64) {
        if let Some(i) = self.st().store.incidents.get_mut(&incident) {
            i["create_date"] = json!(ms);
        }
    }

    /// Adds an artifact by type name; returns its id.
    pub fn add_artifact(&self, incident: u64, type_name: &str, value: &str) -> u64 {
        let mut st = self.st();
        let r = artifacts::new_artifact(
            &mut st,
            incident,
            &json!({"type": type_name, "value": value}),
            Some(3),
        );
        drop(st);
        self.seed("add_artifact", r)["id"].as_u64().unwrap_or(0)
    }

    /// Adds a note (HTML) to an incident, or to a task of it; returns its id.
    pub fn add_note(&self, incident: u64, task: Option<u64>, html: &str) -> u64 {
        let mut st = self.st();
        let r = notes::new_note(
            &mut st,
            incident,
            task,
            &json!({"text": {"format": "html", "content": html}}),
            Some(3),
        );
        drop(st);
        self.seed("add_note", r)["id"].as_u64().unwrap_or(0)
    }

    /// Adds an open task owned by Ana; returns its id.
    pub fn add_task(&self, incident: u64, name: &str, instructions: &str) -> u64 {
        let mut st = self.st();
        let r = tasks::new_task(&mut st, incident, name, instructions, Some(3));
        drop(st);
        self.seed("add_task", r)
    }

    /// Adds an attachment (with its bytes) to an incident, or to a task of it; returns its
    /// id.
    pub fn add_attachment(
        &self,
        incident: u64,
        task: Option<u64>,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> u64 {
        let mut st = self.st();
        assert!(
            st.store.incidents.contains_key(&incident),
            "add_attachment: no incident {incident}"
        );
        let id = st.store.next_id();
        let inc_name = st.store.incidents[&incident]["name"].clone();
        let task_name = task
            .and_then(|t| st.store.tasks.get(&t))
            .map(|t| t["name"].clone());
        st.store.attachments.insert(
            id,
            json!({
                "id": id, "uuid": format!("5265438b-0000-4000-8000-{id:012}"), "name": name,
                "content_type": content_type, "created": store::now_ms(), "creator_id": 3,
                "size": bytes.len(), "vers": 1, "actions": [], "inc_id": incident,
                "inc_name": inc_name, "inc_owner": 3, "task_id": task, "task_name": task_name,
                "type": if task.is_some() { "task" } else { "incident" }
            }),
        );
        st.store.contents.insert(id, bytes.to_vec());
        id
    }

    /// Adds a rule (`object_type` `incident`, `artifact`, `note`, `task`, `attachment`)
    /// sending to the destinations named; creates missing destinations. Returns its id.
    pub fn add_rule(
        &self,
        name: &str,
        object_type: &str,
        menu_item: bool,
        destinations: &[&str],
    ) -> u64 {
        let mut st = self.st();
        for d in destinations {
            if st.store.destination_by_name(d).is_none() {
                let r = customize::new_destination(&mut st, d, d);
                if let Err(e) = r {
                    panic!("add_rule: {}", String::from_utf8_lossy(&e.body));
                }
            }
        }
        let r = customize::new_action(&mut st, name, object_type, menu_item, destinations);
        drop(st);
        self.seed("add_rule", r)
    }

    /// Adds a user who can log in (e.g. a second instance's); returns its id.
    pub fn add_user(&self, email: &str, password: &str) -> u64 {
        let mut st = self.st();
        let id = st.store.next_id();
        let r = st.auth.add_user(UserRec {
            id,
            email: email.to_string(),
            password: password.to_string(),
            fname: "Added".into(),
            lname: "User".into(),
        });
        drop(st);
        self.seed("add_user", r)
    }

    /// Adds an API key; returns (key id, secret, handle).
    pub fn add_api_key(&self, display_name: &str) -> (String, String, u64) {
        let mut st = self.st();
        let handle = st.store.next_id();
        let key = ApiKeyRec {
            handle,
            key_id: format!("apikey-{}", auth::random_hex(8)),
            secret: format!("apisecret-{}", auth::random_hex(12)),
            display_name: display_name.to_string(),
        };
        let out = (key.key_id.clone(), key.secret.clone(), handle);
        st.auth.api_keys.push(key);
        out
    }

    /// Adds a custom artifact type; returns its id.
    pub fn add_artifact_type(&self, name: &str) -> u64 {
        let mut st = self.st();
        let id = st.store.next_id();
        st.store.artifact_types.push(store::ArtifactType {
            id,
            name: name.to_string(),
            programmatic_name: name.to_lowercase().replace(' ', "_"),
            system: false,
        });
        id
    }

    // ---- inspection ----

    /// An incident as stored.
    pub fn incident(&self, id: u64) -> Option<Value> {
        self.st().store.incidents.get(&id).cloned()
    }
    /// Every incident.
    pub fn incidents(&self) -> Vec<Value> {
        self.st().store.incidents.values().cloned().collect()
    }
    /// The artifacts of an incident.
    pub fn artifacts(&self, incident: u64) -> Vec<Value> {
        self.st()
            .store
            .artifacts
            .values()
            .filter(|a| a["inc_id"] == incident)
            .cloned()
            .collect()
    }
    /// The notes of an incident (its own and its tasks').
    pub fn notes(&self, incident: u64) -> Vec<Value> {
        self.st()
            .store
            .comments
            .values()
            .filter(|c| c["inc_id"] == incident)
            .cloned()
            .collect()
    }
    /// A task.
    pub fn task(&self, id: u64) -> Option<Value> {
        self.st().store.tasks.get(&id).cloned()
    }
    /// The tasks of an incident.
    pub fn tasks(&self, incident: u64) -> Vec<Value> {
        self.st()
            .store
            .tasks
            .values()
            .filter(|t| t["inc_id"] == incident)
            .cloned()
            .collect()
    }
    /// A message destination by programmatic name.
    pub fn destination(&self, programmatic_name: &str) -> Option<Value> {
        self.st()
            .store
            .destination_by_name(programmatic_name)
            .map(|(_, d)| d.clone())
    }
    /// The rules.
    pub fn rules(&self) -> Vec<Value> {
        self.st().store.actions.values().cloned().collect()
    }
    /// The functions.
    pub fn functions(&self) -> Vec<Value> {
        self.st().store.functions.values().cloned().collect()
    }
    /// The field definitions of a type (`incident`, `actioninvocation`, `__function`).
    pub fn fields(&self, type_name: &str) -> Vec<Value> {
        self.st()
            .store
            .fields
            .get(type_name)
            .cloned()
            .unwrap_or_default()
    }
    /// How many imports were applied (`ACCEPTED`).
    pub fn imports_applied(&self) -> usize {
        self.st().store.imports_applied
    }
}

impl std::fmt::Debug for FakeResilient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeResilient")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}
