//! `FakeThreatQ`: an in-process HTTPS ThreatQ that keeps state, built strictly from
//! `research/threatq-api.md` and `samples/threatq-*.json`.
//!
//! ```no_run
//! use tq_testkit::threatq::FakeThreatQ;
//! let tq = FakeThreatQ::builder().shuffled_ids(true).start();
//! let id = tq.add_indicator("198.51.100.7", "IP Address", "Active");
//! let hash = tq.add_saved_search("High score IPs", serde_json::json!({"type_name": "IP Address"}));
//! // point the connector at tq.url() with ca_file = tq.ca_file(), client_id = tq.client_id(),
//! // username = tq.username(), password = tq.password(); run it; then inspect:
//! let ind = tq.indicator(id).unwrap();
//! assert_eq!(ind["status"]["name"], "Active");
//! # let _ = hash;
//! ```
//!
//! What is implemented (paths under `/api`): token (§2), users, lookups (§6, §10, §12),
//! indicators incl. consume and query (§4, §6), attributes and sources on any object (§7,
//! §8), links (§9), events, adversaries, tasks, signatures and the custom STIX collections
//! (generic CRUD + query), comments, tags, watchlist (§14–16), attachments and their
//! parse/import sessions (§12, module `imports`), quick search (§4.1), saved searches / data collections with cursor paging (§5, module
//! `collections`, **[I]** for listing). Errors follow §19: 422 form 1 for a bad field
//! (unknown field, wrong type, bad lookup name), 400 form 2 for malformed JSON or bad
//! parameters, 404 `{"errors":["Not Found"]}`, 401 `{"error":"Unauthorized"}`.
//!
//! Inferred behaviour [I], besides data-collection listing and the parsers of `imports`:
//! `with=watchlist` lists every user's entries, each with its `user_id` (issue 10's reading
//! of §16; users other than the logged-in one are added with [`FakeThreatQ::add_user`]); default page size 10 on
//! object lists when `limit` is absent (knob `default_limit`); new indicators without a
//! status get `Review`; attributes written in a body without their own `sources` get the
//! body's object-level `sources` (else the user's source); `touched_at` moves on related
//! changes and `updated_at` only on the row's own fields; tokens live on the fake's clock.

mod attachments;
mod attributes;
mod auth;
mod bulk;
mod clock;
mod collab;
mod collections;
mod imports;
mod indicators;
mod links;
mod lookups;
mod objects;
mod query;
mod render;
mod reply;
mod routes;
mod search;
pub mod seed;
mod store;
mod users;
mod validate;

pub use collections::LastPage;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use crate::certs::TestCa;
use crate::server::{Exchange, Fault, Request, ServerControl, TestServer};
use auth::{Auth, Credentials};
use clock::Clock;
use collections::SavedSearches;
use render::{render, Opts, With};
use store::Store;

/// Knobs that shape answers.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Largest page a list or query returns (default 1000).
    pub max_limit: usize,
    /// Page size when `limit` is absent on object lists (default 10) [I].
    pub default_limit: usize,
    /// Whether an identical attribute (name, value, sources) is merged instead of stored
    /// again (default false).
    pub merge_duplicate_attributes: bool,
}

/// Everything the fake knows, behind one lock.
pub(crate) struct State {
    pub store: Store,
    pub auth: Auth,
    pub clock: Clock,
    pub cfg: Config,
    pub searches: SavedSearches,
}

/// Configures a [`FakeThreatQ`] before it starts.
pub struct FakeThreatQBuilder {
    port: u16,
    ttl: Duration,
    bad_status: u16,
    shuffled: bool,
    cfg: Config,
    name_filter: bool,
    last_page: LastPage,
    creds: Option<Credentials>,
    password: Option<String>,
    client_id: Option<String>,
    cert_dir: Option<PathBuf>,
    frozen: Option<String>,
}

impl FakeThreatQBuilder {
    /// Port on 127.0.0.1 (default 0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Access-token lifetime, reported as `expires_in` (default 3600 s).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
    /// Status for wrong credentials on `/api/token`: 400 (default, as the SDK saw) or 401.
    pub fn bad_credentials_status(mut self, status: u16) -> Self {
        self.bad_status = status;
        self
    }
    /// Non-contiguous, reordered lookup ids, so hard-coded ids fail (default false).
    pub fn shuffled_ids(mut self, on: bool) -> Self {
        self.shuffled = on;
        self
    }
    /// Server cap on `limit` (default 1000).
    pub fn max_limit(mut self, n: usize) -> Self {
        self.cfg.max_limit = n.max(1);
        self
    }
    /// Page size of object lists without `limit` (default 10) [I].
    pub fn default_limit(mut self, n: usize) -> Self {
        self.cfg.default_limit = n.max(1);
        self
    }
    /// Merge identical attributes instead of storing duplicates (default false).
    pub fn merge_duplicate_attributes(mut self, on: bool) -> Self {
        self.cfg.merge_duplicate_attributes = on;
        self
    }
    /// Whether `GET /api/search/query?name=` filters (default false: ignored) [I].
    pub fn saved_search_name_filter(mut self, on: bool) -> Self {
        self.name_filter = on;
        self
    }
    /// Form of the last page of a data-collection execution (default `{}`).
    pub fn saved_search_last_page(mut self, form: LastPage) -> Self {
        self.last_page = form;
        self
    }
    /// Fixed credentials instead of generated ones.
    pub fn credentials(
        mut self,
        email: &str,
        password: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Self {
        self.creds = Some(Credentials {
            email: email.into(),
            password: password.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        });
        self
    }
    /// Fixed password (the other credentials stay generated unless set).
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_string());
        self
    }
    /// Fixed client id (the other credentials stay generated unless set).
    pub fn client_id(mut self, client_id: &str) -> Self {
        self.client_id = Some(client_id.to_string());
        self
    }
    /// Write the CA certificate (`ca.pem`) into this directory and keep it after the fake
    /// stops (default: a private temporary directory removed on drop).
    pub fn cert_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cert_dir = Some(dir.into());
        self
    }
    /// Start with the clock frozen at `YYYY-MM-DD HH:MM:SS` (panics on a bad format).
    pub fn freeze_at(mut self, t: &str) -> Self {
        self.frozen = Some(t.to_string());
        self
    }

    /// Starts the fake; panics if it cannot (tests cannot go on without it).
    pub fn start(self) -> FakeThreatQ {
        self.try_start().expect("start FakeThreatQ")
    }

    /// Starts the fake.
    pub fn try_start(self) -> std::io::Result<FakeThreatQ> {
        let mut creds = self.creds.unwrap_or_else(|| Credentials {
            email: "analyst@example.com".into(),
            password: auth::random_secret("tq-pw-"),
            client_id: auth::random_secret("tq-client-"),
            client_secret: auth::random_secret("tq-secret-"),
        });
        if let Some(p) = self.password {
            creds.password = p;
        }
        if let Some(c) = self.client_id {
            creds.client_id = c;
        }
        let mut clock = Clock::default();
        if let Some(t) = &self.frozen {
            clock.freeze(clock::parse(t).expect("freeze_at: YYYY-MM-DD HH:MM:SS"));
        }
        let state = State {
            store: Store::new(lookups::Lookups::defaults(self.shuffled), &creds.email),
            auth: Auth::new(creds.clone(), self.ttl, self.bad_status),
            clock,
            cfg: self.cfg,
            searches: SavedSearches {
                list: Vec::new(),
                name_filter: self.name_filter,
                last_page: self.last_page,
            },
        };
        let state = Arc::new(Mutex::new(state));
        let ca = TestCa::new("tq-testkit FakeThreatQ CA");
        let identity = ca
            .issue_server("localhost", &["localhost", "127.0.0.1", "::1"])
            .identity();
        let (dir, owned) = match self.cert_dir {
            Some(d) => (d, false),
            None => (temp_dir(), true),
        };
        std::fs::create_dir_all(&dir)?;
        let ca_file = dir.join("ca.pem");
        ca.write_cert(&ca_file)?;
        let st = state.clone();
        let server =
            TestServer::builder()
                .port(self.port)
                .tls(identity)
                .start(move |req: &Request| {
                    let mut guard = lock(&st);
                    routes::dispatch(&mut guard, req)
                })?;
        Ok(FakeThreatQ {
            server,
            state,
            ca,
            ca_file,
            dir: owned.then_some(dir),
            creds,
        })
    }
}

fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "tq-fake-threatq-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ))
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A seeded indicator for [`FakeThreatQ::add_indicator_with`].
#[derive(Clone, Debug)]
pub struct NewIndicator {
    body: serde_json::Map<String, Value>,
}

impl NewIndicator {
    /// An indicator with this value and type name (status defaults to Review).
    pub fn new(value: &str, type_name: &str) -> Self {
        let mut body = serde_json::Map::new();
        body.insert("value".into(), json!(value));
        body.insert("type".into(), json!(type_name));
        NewIndicator { body }
    }
    /// Sets the status by name.
    pub fn status(mut self, name: &str) -> Self {
        self.body.insert("status".into(), json!(name));
        self
    }
    /// Sets the description.
    pub fn description(mut self, text: &str) -> Self {
        self.body.insert("description".into(), json!(text));
        self
    }
    /// Adds an object-level source.
    pub fn source(mut self, name: &str) -> Self {
        self.push("sources", json!({ "name": name }));
        self
    }
    /// Adds an attribute (sources: the object's, or the user's).
    pub fn attribute(mut self, name: &str, value: &str) -> Self {
        self.push("attributes", json!({ "name": name, "value": value }));
        self
    }
    /// Adds an attribute with its own source.
    pub fn attribute_from(mut self, name: &str, value: &str, source: &str) -> Self {
        self.push(
            "attributes",
            json!({ "name": name, "value": value, "sources": [{ "name": source }] }),
        );
        self
    }
    /// Adds a tag.
    pub fn tag(mut self, name: &str) -> Self {
        self.push("tags", json!(name));
        self
    }
    /// The consume-style body this seed is written with.
    pub fn body(&self) -> Value {
        Value::Object(self.body.clone())
    }
    fn push(&mut self, key: &str, v: Value) {
        let e = self.body.entry(key).or_insert_with(|| json!([]));
        if let Value::Array(a) = e {
            a.push(v);
        }
    }
}

/// The `[threatq]` section of a connector's config for a ThreatQ at `host` (a URL), ending
/// with a blank line: what every connector test writes before its `[connector]` section.
pub fn threatq_section(
    host: &str,
    client_id: &str,
    username: &str,
    password: &str,
    status: &str,
    ca_file: &Path,
) -> String {
    format!(
        "[threatq]\nhost = {host}\nclient_id = {client_id}\nusername = {username}\npassword = {password}\nstatus = {status}\nca_file = {}\n\n",
        ca_file.display()
    )
}

/// A running fake ThreatQ over HTTPS on 127.0.0.1; stops and cleans up when dropped.
pub struct FakeThreatQ {
    server: TestServer,
    state: Arc<Mutex<State>>,
    ca: TestCa,
    ca_file: PathBuf,
    dir: Option<PathBuf>,
    creds: Credentials,
}

/// Every relation an inspected object embeds.
fn full_with() -> With {
    let mut w = With::default();
    for r in [
        "type",
        "status",
        "score",
        "sources",
        "attributes",
        "comments",
        "tags",
        "watchlist",
    ] {
        w.add(r);
    }
    for c in store::COLLECTIONS {
        w.add(c.name);
    }
    w
}

fn body_error(r: crate::server::Response) -> String {
    format!("{} {}", r.status, String::from_utf8_lossy(&r.body))
}

impl FakeThreatQ {
    /// A builder with the defaults (random port, 3600 s tokens, 400 on bad credentials,
    /// contiguous ids, limit cap 1000, duplicates stored).
    pub fn builder() -> FakeThreatQBuilder {
        FakeThreatQBuilder {
            port: 0,
            ttl: Duration::from_secs(3600),
            bad_status: 400,
            shuffled: false,
            cfg: Config {
                max_limit: 1000,
                default_limit: 10,
                merge_duplicate_attributes: false,
            },
            name_filter: false,
            last_page: LastPage::EmptyObject,
            creds: None,
            password: None,
            client_id: None,
            cert_dir: None,
            frozen: None,
        }
    }

    /// Starts a fake with the defaults.
    pub fn start() -> FakeThreatQ {
        FakeThreatQ::builder().start()
    }

    fn st(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    // ---- where and who ----

    /// `https://127.0.0.1:PORT` (no trailing `/api`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The CA that signed this fake's certificate (the one in [`FakeThreatQ::ca_file`]):
    /// other fakes can take their server certificate from it, so one CA file trusts all.
    pub fn ca(&self) -> &TestCa {
        &self.ca
    }
    /// `127.0.0.1:PORT` (a `host` value for the connectors' config).
    pub fn host(&self) -> String {
        self.server.host()
    }
    /// The port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }
    /// Path of the CA certificate (PEM) that signed the server certificate: the `ca_file`.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }
    /// The `[threatq]` section of a config pointing at this fake, default status `status`.
    pub fn threatq_section(&self, status: &str) -> String {
        threatq_section(
            &self.url(),
            self.client_id(),
            self.username(),
            self.password(),
            status,
            self.ca_file(),
        )
    }
    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.ca.cert_pem()
    }
    /// The client id of the password grant (and of client credentials).
    pub fn client_id(&self) -> &str {
        &self.creds.client_id
    }
    /// The login (an e-mail address).
    pub fn username(&self) -> &str {
        &self.creds.email
    }
    /// The password.
    pub fn password(&self) -> &str {
        &self.creds.password
    }
    /// The client secret of the client-credentials grant.
    pub fn client_secret(&self) -> &str {
        &self.creds.client_secret
    }

    // ---- server knobs (request log, faults, latency) ----

    /// The server's knob handle (shareable).
    pub fn control(&self) -> ServerControl {
        self.server.control()
    }
    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
    /// Every request with its status (0 = dropped).
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.server.exchanges()
    }
    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.server.clear_requests()
    }
    /// Requests with this method and exact path.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.server.count(method, path)
    }
    /// Total requests.
    pub fn request_count(&self) -> usize {
        self.server.request_count()
    }
    /// The next `n` requests get `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        self.server.fail_next(n, fault)
    }
    /// The next `n` requests matching `"[METHOD ]PATH[*]"` get `fault`.
    pub fn fail_next_on(&self, filter: &str, n: usize, fault: Fault) {
        self.server.fail_next_on(filter, n, fault)
    }
    /// The next `n` requests matching `filter` are answered 429 with `Retry-After:
    /// retry_after_secs`.
    pub fn rate_limit_next_on(&self, filter: &str, n: usize, retry_after_secs: u64) {
        self.fail_next_on(filter, n, Fault::TooManyRequests { retry_after_secs })
    }
    /// Cancels pending faults.
    pub fn clear_faults(&self) {
        self.server.clear_faults()
    }
    /// Adds latency to every request.
    pub fn set_latency(&self, d: Duration) {
        self.server.set_latency(d)
    }

    // ---- auth knobs ----

    /// Expires every current access token now (the next call with one gets 401; refresh
    /// tokens stay valid).
    pub fn expire_tokens(&self) {
        self.st().auth.expire_all()
    }
    /// Lifetime of tokens issued from now on.
    pub fn set_token_ttl(&self, ttl: Duration) {
        self.st().auth.ttl = ttl
    }
    /// Status for bad credentials: 400 or 401.
    pub fn set_bad_credentials_status(&self, status: u16) {
        self.st().auth.bad_credentials_status = status
    }
    /// Every access token issued so far (to check none leaked into logs).
    pub fn access_tokens(&self) -> Vec<String> {
        self.st().auth.issued.clone()
    }

    /// Every refresh token issued so far.
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.st().auth.issued_refresh.clone()
    }

    // ---- behaviour knobs ----

    /// Server cap on `limit`.
    pub fn set_max_limit(&self, n: usize) {
        self.st().cfg.max_limit = n.max(1)
    }
    /// Page size of object lists without `limit` [I].
    pub fn set_default_limit(&self, n: usize) {
        self.st().cfg.default_limit = n.max(1)
    }
    /// Merge identical attributes (true) or store duplicates (false, default).
    pub fn merge_duplicate_attributes(&self, on: bool) {
        self.st().cfg.merge_duplicate_attributes = on
    }
    /// Whether `GET /api/search/query?name=` filters [I].
    pub fn saved_search_name_filter(&self, on: bool) {
        self.st().searches.name_filter = on
    }
    /// Form of the last page of data-collection executions.
    pub fn saved_search_last_page(&self, form: LastPage) {
        self.st().searches.last_page = form
    }

    // ---- clock ----

    /// Freezes the clock at `YYYY-MM-DD HH:MM:SS` (UTC); panics on a bad format.
    pub fn freeze_at(&self, t: &str) {
        let at = clock::parse(t).expect("freeze_at: YYYY-MM-DD HH:MM:SS");
        self.st().clock.freeze(at)
    }
    /// Moves the clock forward (frozen or not); tokens expire on this clock too.
    pub fn advance(&self, d: Duration) {
        self.st().clock.advance(d)
    }
    /// Back to real time (plus any advance).
    pub fn unfreeze(&self) {
        self.st().clock.unfreeze()
    }
    /// The fake's current time, `YYYY-MM-DD HH:MM:SS`.
    pub fn now(&self) -> String {
        self.st().clock.stamp()
    }

    // ---- lookups ----

    /// The id of an indicator status by name (ids vary per instance).
    pub fn status_id(&self, name: &str) -> Option<u64> {
        self.st().store.lookups.statuses.by_name(name).map(|r| r.id)
    }
    /// The id of an indicator type by name.
    pub fn type_id(&self, name: &str) -> Option<u64> {
        self.st()
            .store
            .lookups
            .indicator_types
            .by_name(name)
            .map(|r| r.id)
    }
    /// The id of an event type by name.
    pub fn event_type_id(&self, name: &str) -> Option<u64> {
        self.st()
            .store
            .lookups
            .event_types
            .by_name(name)
            .map(|r| r.id)
    }

    // ---- seeding ----

    /// Adds (or merges into) an indicator as consume would; returns its id. Panics on an
    /// unknown type or status name.
    pub fn add_indicator(&self, value: &str, type_name: &str, status_name: &str) -> u64 {
        self.add_indicator_with(NewIndicator::new(value, type_name).status(status_name))
    }

    /// Adds one `IP Address` indicator with `status_name` for each `k` in `range`, the value
    /// 10.0.0.0 + k (10.0.0.5 for 5, 10.0.1.0 for 256): enough rows to page through; returns
    /// their ids in order.
    pub fn add_ip_indicators(&self, range: std::ops::Range<u32>, status_name: &str) -> Vec<u64> {
        range
            .map(|k| {
                let ip = std::net::Ipv4Addr::from(0x0a00_0000 + k);
                self.add_indicator(&ip.to_string(), "IP Address", status_name)
            })
            .collect()
    }

    /// Adds an indicator with sources, attributes, tags...; returns its id.
    pub fn add_indicator_with(&self, ind: NewIndicator) -> u64 {
        let mut st = self.st();
        let ids = indicators::upsert_body(&mut st, ind.body())
            .unwrap_or_else(|r| panic!("add_indicator: {}", body_error(r)));
        ids[0]
    }

    /// Adds an object of any collection from a create body (`{"title","type"}` for events,
    /// `{"name"}` for adversaries, `{"value"}` for custom objects...); returns its id.
    pub fn add_object(&self, collection: &str, body: Value) -> u64 {
        let mut st = self.st();
        if collection == "indicators" {
            let ids = indicators::upsert_body(&mut st, body)
                .unwrap_or_else(|r| panic!("add_object: {}", body_error(r)));
            return ids[0];
        }
        objects::create_from_body(&mut st, collection, &body)
            .unwrap_or_else(|r| panic!("add_object({collection}): {}", body_error(r)))
            .1
    }

    /// Adds an event of this type (by name), happened now; returns its id.
    pub fn add_event(&self, title: &str, type_name: &str) -> u64 {
        self.add_object("events", json!({ "title": title, "type": type_name }))
    }

    /// Adds an adversary; returns its id.
    pub fn add_adversary(&self, name: &str) -> u64 {
        self.add_object("adversaries", json!({ "name": name }))
    }

    /// Applies an update body to an object as `PUT /api/{objs}/{id}` would (a change made
    /// by someone else; moves `updated_at`/`touched_at`). Panics on a bad body.
    pub fn update_object(&self, collection: &str, id: u64, body: Value) {
        let mut st = self.st();
        let def = store::collection(collection).expect("known collection");
        validate::check_update(&body, objects::schema(def.name), &objects::relation_field)
            .and_then(|_| objects::apply_update(&mut st, def, id, &body))
            .unwrap_or_else(|r| panic!("update_object: {}", body_error(r)));
    }

    /// Sets an indicator's status by name (a row change).
    pub fn set_indicator_status(&self, id: u64, status_name: &str) {
        self.update_object("indicators", id, json!({ "status": status_name }))
    }

    /// Adds an attribute row to any object; `source` = None means the user's source.
    /// Returns the row id. Follows the duplicate-attribute knob.
    pub fn add_attribute(
        &self,
        collection: &str,
        id: u64,
        name: &str,
        value: &str,
        source: Option<&str>,
    ) -> u64 {
        let mut st = self.st();
        let now = st.clock.stamp();
        let src = source.map(|s| json!([{ "name": s }]));
        let sources = attributes::sources_from(&mut st.store, src.as_ref(), true, &now);
        let merge = st.cfg.merge_duplicate_attributes;
        attributes::add_attribute(
            &mut st.store,
            merge,
            collection,
            id,
            name,
            value,
            sources,
            None,
            &now,
        )
        .expect("add_attribute: object exists")
        .id
    }

    /// Adds a source to any object; returns the pivot id.
    pub fn add_source(&self, collection: &str, id: u64, name: &str) -> u64 {
        let mut st = self.st();
        let now = st.clock.stamp();
        let r = st.store.source_ref(name, None, None, &now);
        attributes::attach_sources(&mut st.store, collection, id, vec![r], &now)
            .first()
            .expect("add_source: object exists")
            .pivot_id
    }

    /// Adds a comment as the user; returns its id.
    pub fn add_comment(&self, collection: &str, id: u64, text: &str) -> u64 {
        let mut st = self.st();
        let now = st.clock.stamp();
        collab::add_comment(&mut st.store, collection, id, text, &now)
            .expect("add_comment: object exists")
            .id
    }

    /// Adds a user besides the one that logs in (listed by `GET /api/users`, with its own
    /// source); returns its id.
    pub fn add_user(&self, email: &str, display_name: &str) -> u64 {
        let mut st = self.st();
        let now = st.clock.stamp();
        let source_id = st.store.source_ref(email, None, None, &now).source_id;
        let id = 100 + st.store.other_users.len() as u64;
        st.store.other_users.push(store::User {
            id,
            email: email.to_string(),
            display_name: display_name.to_string(),
            source_id,
        });
        id
    }

    /// Puts an object on the watchlist of user `user_id` (the logged-in user's id is
    /// `GET /api/users/current`'s); returns the entry id. Touches the object.
    pub fn watch_as(&self, user_id: u64, collection: &str, id: u64) -> u64 {
        let mut st = self.st();
        let now = st.clock.stamp();
        let wid = st.store.next_row_id();
        let o = st
            .store
            .get_mut(collection, id)
            .expect("watch_as: object exists");
        o.watchlist.push(store::Watch {
            id: wid,
            user_id,
            created_at: now.clone(),
        });
        st.store.touch(collection, id, &now);
        wid
    }

    /// Tags an object; returns the tag id.
    pub fn add_tag(&self, collection: &str, id: u64, tag: &str) -> u64 {
        let mut st = self.st();
        let now = st.clock.stamp();
        collab::add_tags(&mut st.store, collection, id, &[tag.to_string()], &now)
            .first()
            .expect("add_tag: object exists")
            .0
    }

    /// Links two objects (symmetric); returns the pivot id.
    pub fn link(&self, a_collection: &str, a_id: u64, b_collection: &str, b_id: u64) -> u64 {
        let mut st = self.st();
        let now = st.clock.stamp();
        links::link(
            &mut st.store,
            (a_collection, a_id),
            (b_collection, b_id),
            &now,
        )
        .expect("link: both objects exist and differ")
    }

    /// Defines a saved search over indicators (criteria in the §4.2 language, applied at
    /// execution time); returns its hash. Panics on invalid criteria.
    pub fn add_saved_search(&self, name: &str, criteria: Value) -> String {
        self.add_saved_search_for("indicators", name, criteria)
    }

    /// Defines a saved search over another collection; returns its hash.
    pub fn add_saved_search_for(&self, collection: &str, name: &str, criteria: Value) -> String {
        self.add_data_collection(name, &[(collection, criteria)])
    }

    /// Defines a data collection over several object types, with the criteria each type's
    /// objects must match (`GET /api/<type>/query/hash/<hash>` returns them; a type not
    /// listed returns nothing); returns its hash. Panics on invalid criteria.
    pub fn add_data_collection(&self, name: &str, targets: &[(&str, Value)]) -> String {
        collections::add(&mut self.st(), name, targets)
            .unwrap_or_else(|e| panic!("add_data_collection: {e}"))
    }

    // ---- inspection ----

    /// An object as the API renders it with every relation embedded (type, status,
    /// score, sources, attributes, comments, tags, watchlist, related collections).
    pub fn object(&self, collection: &str, id: u64) -> Option<Value> {
        let st = self.st();
        let o = st.store.get(collection, id)?;
        Some(render(&st.store, o, &full_with(), Opts::default()))
    }

    /// An indicator with every relation embedded.
    pub fn indicator(&self, id: u64) -> Option<Value> {
        self.object("indicators", id)
    }

    /// The first indicator with this value (any type), fully embedded.
    pub fn indicator_by_value(&self, value: &str) -> Option<Value> {
        let id = {
            let st = self.st();
            let found = st
                .store
                .all("indicators")
                .find(|o| o.str_field("value") == Some(value))
                .map(|o| o.id);
            found?
        };
        self.indicator(id)
    }

    /// Every object of a collection, fully embedded, by id.
    pub fn objects(&self, collection: &str) -> Vec<Value> {
        let st = self.st();
        let w = full_with();
        st.store
            .objects
            .get(collection)
            .map(|m| {
                m.values()
                    .map(|o| render(&st.store, o, &w, Opts::default()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many objects a collection holds.
    pub fn object_count(&self, collection: &str) -> usize {
        self.st()
            .store
            .objects
            .get(collection)
            .map_or(0, |m| m.len())
    }

    /// The attribute rows of an object, as the API renders them (with sources).
    pub fn attributes_of(&self, collection: &str, id: u64) -> Vec<Value> {
        self.object(collection, id)
            .and_then(|v| v.get("attributes").cloned())
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    }
}

impl Drop for FakeThreatQ {
    fn drop(&mut self) {
        self.server.shutdown();
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
