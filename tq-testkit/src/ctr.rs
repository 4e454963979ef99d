//! A fake Cisco Threat Response (IROH) API for tests and `tq-sim`, built on [`TestServer`]
//! from the documented shapes (research/ctr.md §3, §5, §6, §7, §11), strictly:
//!
//! - `POST /iroh/oauth2/token`: HTTP Basic `client_id:client_password` and the form
//!   `grant_type=client_credentials`; answers `{"access_token", "token_type": "bearer",
//!   "expires_in": 600, "scope"}`. Wrong credentials → 401 `invalid_client`; another grant →
//!   400 `unsupported_grant_type`.
//! - `POST /iroh/iroh-enrich/observe/observables`: `Authorization: Bearer <token>` (missing →
//!   401 "No JWT found", unknown or expired → 401 `invalid_token`); the body must be a JSON
//!   array of `{"type", "value"}` objects with no other key and a CTIM observable type (else
//!   400). The answer is `{"data": [<module result>...], "errors": [...]}`, built per
//!   observable from canned module results ([`Answer`]): a default answer per observable
//!   type (projections of `data/ctr-observe-response.json`, the research sample) and
//!   per-value overrides; an observable with no context contributes nothing.
//! - Knobs: [`FakeCtr::expire_tokens`], [`FakeCtr::expire_tokens_after`] (→ 401),
//!   [`FakeCtr::rate_limit_next`] and [`FakeCtr::rate_limit_after`] (429 with `Retry-After`), [`FakeCtr::set_module_errors`]
//!   (a 200 carrying `errors[]`), [`FakeCtr::respond_raw_next`] (any body, for shape tests),
//!   the request log and faults of the underlying [`TestServer`] ([`FakeCtr::control`]).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::server::{lock, Fault, Request, Response, ServerControl, TestServer};

/// The token route.
pub const TOKEN_PATH: &str = "/iroh/oauth2/token";
/// The enrich (observe) route.
pub const OBSERVE_PATH: &str = "/iroh/iroh-enrich/observe/observables";
/// Token lifetime the real IROH announces (research/ctr.md §3.2).
pub const TOKEN_TTL: Duration = Duration::from_secs(600);

/// The research sample of an observe answer (two modules, one error).
pub const SAMPLE: &str = include_str!("../data/ctr-observe-response.json");

/// CTIM observable types (research/ctr.md §5.2): anything else is rejected with 400.
pub const OBSERVABLE_TYPES: &[&str] = &[
    "ip",
    "ipv6",
    "domain",
    "url",
    "md5",
    "sha1",
    "sha256",
    "email",
    "file_name",
    "file_path",
    "hostname",
    "mac_address",
    "mutex",
    "user_agent",
    "user",
    "email_subject",
    "email_messageid",
    "registry_key",
    "registry_name",
    "registry_path",
    "certificate_common_name",
    "certificate_issuer",
    "certificate_serial",
    "pki_serial",
    "acudid",
    "amp_computer_guid",
    "cisco_cm_id",
    "cisco_mid",
    "cisco_uc_id",
    "cortex_agent_id",
    "crowdstrike_id",
    "cvm_id",
    "cybereason_id",
    "darktrace_id",
    "device",
    "google_chromebook_id",
    "google_cloud_id",
    "imei",
    "imsi",
    "intune_id",
    "jamf_management_id",
    "meraki_network_id",
    "meraki_node_sn",
    "meraki_org_id",
    "ms_machine_id",
    "ngfw_id",
    "ngfw_name",
    "odns_identity",
    "odns_identity_label",
    "orbital_node_id",
    "process_args",
    "process_hash",
    "process_name",
    "process_path",
    "process_uid",
    "process_username",
    "processor_id",
    "s1_agent_id",
    "secure_access_id",
    "serial_number",
    "service_now_id",
    "swc_device_id",
    "trend_micro_id",
];

/// The sample's three observables, each the template of a canned answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleAnswer {
    /// `domain login-update.example.com`: Talos Intelligence, Suspicious, with a judgement,
    /// a sighting and a linked indicator (producer "Cisco Talos").
    Domain,
    /// `ip 198.51.100.7`: Talos Intelligence, Clean, verdict and judgement.
    Ip,
    /// `sha256 e204d9e8…`: Private Intelligence, Malicious, verdict and judgement (no
    /// `source_uri`).
    Sha256,
}

impl SampleAnswer {
    /// The observable of the sample this answer is cut from.
    pub fn observable(self) -> (&'static str, &'static str) {
        match self {
            SampleAnswer::Domain => ("domain", "login-update.example.com"),
            SampleAnswer::Ip => ("ip", "198.51.100.7"),
            SampleAnswer::Sha256 => (
                "sha256",
                "e204d9e8a0de6e135e761a428dc2815ae84ff2d58d0d08c15c1fb9243ae09ba5",
            ),
        }
    }
}

/// What the fake answers for one observable: module results written for a template
/// observable. When answering for another observable, every occurrence of the template
/// value is replaced by the asked value, the type of observable objects by the asked type,
/// and entity ids get a per-answer suffix so they stay unique in one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    template_value: String,
    modules: Vec<Value>,
}

impl Answer {
    /// No context: the observable contributes nothing to `data`.
    pub fn none() -> Answer {
        Answer {
            template_value: String::new(),
            modules: Vec::new(),
        }
    }

    /// The part of the research sample about one of its observables.
    pub fn sample(which: SampleAnswer) -> Answer {
        sample_ref(which).clone()
    }

    /// Module results written for the observable value `template_value` (any shape: the
    /// fake passes them through after substitution, so tests can use older or unusual
    /// documented forms such as `module-type`, float counts or missing lists).
    pub fn modules(template_value: &str, modules: Vec<Value>) -> Answer {
        Answer {
            template_value: template_value.to_string(),
            modules,
        }
    }

    /// True when this answer gives no context.
    pub fn is_none(&self) -> bool {
        self.modules.is_empty()
    }

    /// The module results for `(kind, value)`, ids suffixed with `-<seq>`.
    fn render(&self, kind: &str, value: &str, seq: usize) -> Vec<Value> {
        self.modules
            .iter()
            .map(|m| {
                let mut m = m.clone();
                substitute(&mut m, &self.template_value, kind, value, seq);
                m
            })
            .collect()
    }
}

/// The cached projections of the sample, one per [`SampleAnswer`].
fn sample_ref(which: SampleAnswer) -> &'static Answer {
    static CACHE: OnceLock<Vec<(SampleAnswer, Answer)>> = OnceLock::new();
    static NONE: Answer = Answer {
        template_value: String::new(),
        modules: Vec::new(),
    };
    let cache = CACHE.get_or_init(|| {
        let sample: Value = serde_json::from_str(SAMPLE).unwrap_or(Value::Null);
        [SampleAnswer::Domain, SampleAnswer::Ip, SampleAnswer::Sha256]
            .into_iter()
            .map(|w| {
                let (t, v) = w.observable();
                let modules = sample
                    .get("data")
                    .and_then(Value::as_array)
                    .map(|mods| mods.iter().filter_map(|m| project(m, t, v)).collect())
                    .unwrap_or_default();
                (
                    w,
                    Answer {
                        template_value: v.to_string(),
                        modules,
                    },
                )
            })
            .collect()
    });
    cache
        .iter()
        .find(|(w, _)| *w == which)
        .map(|(_, a)| a)
        .unwrap_or(&NONE)
}

/// The default answer of an observable type: domain-like types get the sample's domain
/// context, addresses its IP context, hashes its SHA-256 context.
pub fn default_answer(kind: &str) -> Answer {
    default_ref(kind).clone()
}

fn default_ref(kind: &str) -> &'static Answer {
    match kind {
        "ip" | "ipv6" => sample_ref(SampleAnswer::Ip),
        "md5" | "sha1" | "sha256" => sample_ref(SampleAnswer::Sha256),
        _ => sample_ref(SampleAnswer::Domain),
    }
}

/// One module result of the sample cut down to the docs about `(t, v)`: its verdicts and
/// judgements, the sightings listing it, the relationships from those, and the indicators
/// they point to. `None` when the module says nothing about it.
fn project(module: &Value, t: &str, v: &str) -> Option<Value> {
    let data = module.get("data")?.as_object()?;
    let docs = |list: &str| -> Vec<Value> {
        data.get(list)
            .and_then(|l| l.get("docs"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let is_obs = |o: &Value| {
        o.get("type").and_then(Value::as_str) == Some(t)
            && o.get("value").and_then(Value::as_str) == Some(v)
    };
    let verdicts: Vec<Value> = docs("verdicts")
        .into_iter()
        .filter(|d| d.get("observable").is_some_and(is_obs))
        .collect();
    let judgements: Vec<Value> = docs("judgements")
        .into_iter()
        .filter(|d| d.get("observable").is_some_and(is_obs))
        .collect();
    let sightings: Vec<Value> = docs("sightings")
        .into_iter()
        .filter(|d| {
            d.get("observables")
                .and_then(Value::as_array)
                .is_some_and(|l| l.iter().any(is_obs))
        })
        .collect();
    if verdicts.is_empty() && judgements.is_empty() && sightings.is_empty() {
        return None;
    }
    let ids: Vec<&str> = judgements
        .iter()
        .chain(sightings.iter())
        .filter_map(|d| d.get("id").and_then(Value::as_str))
        .collect();
    let relationships: Vec<Value> = docs("relationships")
        .into_iter()
        .filter(|r| {
            r.get("source_ref")
                .and_then(Value::as_str)
                .is_some_and(|s| ids.contains(&s))
        })
        .collect();
    let targets: Vec<&str> = relationships
        .iter()
        .filter_map(|r| r.get("target_ref").and_then(Value::as_str))
        .collect();
    let indicators: Vec<Value> = docs("indicators")
        .into_iter()
        .filter(|d| {
            d.get("id")
                .and_then(Value::as_str)
                .is_some_and(|i| targets.contains(&i))
        })
        .collect();
    let mut out = Map::new();
    for (name, list) in [
        ("verdicts", verdicts),
        ("judgements", judgements),
        ("sightings", sightings),
        ("indicators", indicators),
        ("relationships", relationships),
    ] {
        if !list.is_empty() {
            out.insert(name.into(), json!({"count": list.len(), "docs": list}));
        }
    }
    let mut m = module.clone();
    if let Some(o) = m.as_object_mut() {
        o.insert("data".into(), Value::Object(out));
    }
    Some(m)
}

const ID_KEYS: &[&str] = &["id", "judgement_id", "source_ref", "target_ref"];

fn substitute(v: &mut Value, template: &str, kind: &str, value: &str, seq: usize) {
    match v {
        Value::String(s) if !template.is_empty() && s.contains(template) => {
            *s = s.replace(template, value);
        }
        Value::Array(items) => {
            for i in items {
                substitute(i, template, kind, value, seq);
            }
        }
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if ID_KEYS.contains(&k.as_str()) {
                    if let Value::String(s) = child {
                        s.push_str(&format!("-{seq}"));
                        continue;
                    }
                }
                substitute(child, template, kind, value, seq);
            }
            // An observable object {type, value}: give it the asked type.
            let is_observable = o.len() == 2
                && o.get("value").and_then(Value::as_str) == Some(value)
                && o.get("type").is_some_and(Value::is_string);
            if is_observable {
                o.insert("type".into(), Value::String(kind.to_string()));
            }
        }
        _ => {}
    }
}

/// Client credentials and token lifetime of a [`FakeCtr`].
#[derive(Debug, Clone)]
pub struct FakeCtrConfig {
    /// The API client id (`client-<uuid>` in real life).
    pub client_id: String,
    /// The API client password.
    pub client_password: String,
    /// Lifetime of issued tokens (`expires_in`).
    pub token_ttl: Duration,
}

impl Default for FakeCtrConfig {
    fn default() -> Self {
        FakeCtrConfig {
            client_id: format!("client-{}", random_hex(16)),
            client_password: random_hex(32),
            token_ttl: TOKEN_TTL,
        }
    }
}

struct CtrState {
    config: FakeCtrConfig,
    tokens: HashMap<String, Instant>,
    /// Tokens stop working after this many more accepted enrich calls.
    expire_after: Option<usize>,
    defaults: HashMap<String, Answer>,
    values: HashMap<(String, String), Answer>,
    module_errors: Vec<Value>,
    raw: VecDeque<(u16, Value)>,
    seq: usize,
    /// Accepted enrich calls so far.
    accepted: usize,
    /// `(calls, retry_after)`: once `calls` enrich calls were accepted, every further one
    /// gets 429 (the hourly budget is spent) until cleared.
    budget: Option<(usize, u64)>,
}

/// The fake CTR: an HTTPS [`TestServer`] answering the token and enrich routes.
pub struct FakeCtr {
    server: TestServer,
    state: Arc<Mutex<CtrState>>,
}

impl FakeCtr {
    /// Starts on a free port with `identity` (a [`crate::certs::TestCa`] server
    /// certificate for 127.0.0.1) and random client credentials.
    pub fn start(identity: native_tls::Identity) -> io::Result<FakeCtr> {
        FakeCtr::start_with(identity, FakeCtrConfig::default())
    }

    /// Starts with the given credentials and token lifetime.
    pub fn start_with(
        identity: native_tls::Identity,
        config: FakeCtrConfig,
    ) -> io::Result<FakeCtr> {
        let state = Arc::new(Mutex::new(CtrState {
            config,
            tokens: HashMap::new(),
            expire_after: None,
            defaults: HashMap::new(),
            values: HashMap::new(),
            module_errors: Vec::new(),
            raw: VecDeque::new(),
            seq: 0,
            accepted: 0,
            budget: None,
        }));
        let st = state.clone();
        let server = TestServer::https(identity, move |req: &Request| handle(&st, req))?;
        Ok(FakeCtr { server, state })
    }

    /// `https://127.0.0.1:PORT`: the `api_url` to configure.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `key=value` lines describing this fake, for `tq-sim` and scripts: `ctr_url`,
    /// `ctr_client_id`, `ctr_client_password`.
    pub fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("ctr_url".to_string(), self.url()),
            ("ctr_client_id".to_string(), self.client_id()),
            ("ctr_client_password".to_string(), self.client_password()),
        ]
    }

    /// The accepted client id.
    pub fn client_id(&self) -> String {
        lock(&self.state).config.client_id.clone()
    }

    /// The accepted client password.
    pub fn client_password(&self) -> String {
        lock(&self.state).config.client_password.clone()
    }

    /// The request log and fault knobs of the server.
    pub fn control(&self) -> ServerControl {
        self.server.control()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.server.clear_requests()
    }

    /// Adds latency before every answer (benchmarks).
    pub fn set_latency(&self, d: Duration) {
        self.server.set_latency(d)
    }

    /// How many token requests were received.
    pub fn token_calls(&self) -> usize {
        self.server.count("POST", TOKEN_PATH)
    }

    /// How many enrich requests were received (answered or not).
    pub fn enrich_calls(&self) -> usize {
        self.server.count("POST", OBSERVE_PATH)
    }

    /// Every observable of every enrich request received (including refused ones), in order.
    pub fn observables_sent(&self) -> Vec<(String, String)> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path == OBSERVE_PATH)
            .filter_map(|r| r.json().ok())
            .filter_map(|v| v.as_array().cloned())
            .flatten()
            .map(|o| {
                let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                (s("type"), s("value"))
            })
            .collect()
    }

    /// The values of the observables received with a 200 answer, in order.
    pub fn observables_answered(&self) -> Vec<(String, String)> {
        self.server
            .exchanges()
            .iter()
            .filter(|e| e.request.path == OBSERVE_PATH && e.status == 200)
            .filter_map(|e| e.request.json().ok())
            .filter_map(|v| v.as_array().cloned())
            .flatten()
            .map(|o| {
                let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                (s("type"), s("value"))
            })
            .collect()
    }

    /// Sets the answer for every observable of `kind` without a per-value override.
    pub fn set_default(&self, kind: &str, answer: Answer) {
        lock(&self.state).defaults.insert(kind.to_string(), answer);
    }

    /// Sets the answer for one observable (`Answer::none()` = no context).
    pub fn set_value(&self, kind: &str, value: &str, answer: Answer) {
        lock(&self.state)
            .values
            .insert((kind.to_string(), value.to_string()), answer);
    }

    /// Every token issued so far stops working (the next enrich call gets 401).
    pub fn expire_tokens(&self) {
        for exp in lock(&self.state).tokens.values_mut() {
            *exp = Instant::now();
        }
    }

    /// Tokens issued so far stop working after `n` more accepted enrich calls.
    pub fn expire_tokens_after(&self, n: usize) {
        lock(&self.state).expire_after = Some(n);
    }

    /// The next `n` enrich calls get 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, n: usize, retry_after_secs: u64) {
        self.server.fail_next_on(
            &format!("POST {OBSERVE_PATH}"),
            n,
            Fault::TooManyRequests { retry_after_secs },
        );
    }

    /// After `calls` more accepted enrich calls, every enrich call gets 429 with
    /// `Retry-After: retry_after_secs` (the organisation's hourly budget is spent) until
    /// [`FakeCtr::clear_rate_limit`].
    pub fn rate_limit_after(&self, calls: usize, retry_after_secs: u64) {
        let mut s = lock(&self.state);
        let at = s.accepted + calls;
        s.budget = Some((at, retry_after_secs));
    }

    /// Lifts [`FakeCtr::rate_limit_after`].
    pub fn clear_rate_limit(&self) {
        lock(&self.state).budget = None;
    }

    /// The `errors` list every enrich answer carries (a partial failure is a 200).
    pub fn set_module_errors(&self, errors: Vec<Value>) {
        lock(&self.state).module_errors = errors;
    }

    /// The error entry of the research sample (module "AbuseIPDB", "too many requests").
    pub fn sample_module_error() -> Value {
        serde_json::from_str::<Value>(SAMPLE)
            .ok()
            .and_then(|v| v.pointer("/errors/0").cloned())
            .unwrap_or(Value::Null)
    }

    /// The next accepted enrich call is answered `status` with `body` as is.
    pub fn respond_raw_next(&self, status: u16, body: Value) {
        lock(&self.state).raw.push_back((status, body));
    }
}

fn handle(st: &Mutex<CtrState>, req: &Request) -> Response {
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", TOKEN_PATH) => token(st, req),
        ("POST", OBSERVE_PATH) => observe(st, req),
        (_, TOKEN_PATH) | (_, OBSERVE_PATH) => error(405, "method-not-allowed", "use POST"),
        _ => error(404, "not-found", &format!("no route {}", req.path)),
    }
}

fn error(status: u16, code: &str, description: &str) -> Response {
    Response::json(
        status,
        &json!({"error": code, "error_description": description}),
    )
}

fn token(st: &Mutex<CtrState>, req: &Request) -> Response {
    let mut s = lock(st);
    let creds = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64_decode(b.trim()))
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!("{}:{}", s.config.client_id, s.config.client_password);
    if creds.as_deref() != Some(expected.as_str()) {
        return error(401, "invalid_client", "Invalid client credentials");
    }
    if req.content_type().as_deref() != Some("application/x-www-form-urlencoded") {
        return error(
            400,
            "invalid_request",
            "expected an application/x-www-form-urlencoded body",
        );
    }
    let grant = req
        .form()
        .into_iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v);
    if grant.as_deref() != Some("client_credentials") {
        return error(
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let token = format!("eyJ{}", random_hex(48));
    let ttl = s.config.token_ttl;
    s.tokens.insert(token.clone(), Instant::now() + ttl);
    Response::json(
        200,
        &json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": ttl.as_secs(),
            "scope": "enrich:read casebook inspect:read",
        }),
    )
}

fn observe(st: &Mutex<CtrState>, req: &Request) -> Response {
    let mut s = lock(st);
    let Some(bearer) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return error(
            401,
            "invalid_request",
            "No JWT found in HTTP Authorization header",
        );
    };
    match s.tokens.get(bearer.trim()) {
        Some(exp) if *exp > Instant::now() => {}
        Some(_) => return error(401, "invalid_token", "The token has expired"),
        None => return error(401, "invalid_token", "Invalid JWT"),
    }
    if req.content_type().as_deref() != Some("application/json") {
        return error(400, "invalid_request", "expected an application/json body");
    }
    let observables = match parse_observables(req) {
        Ok(o) => o,
        Err(msg) => return Response::json(400, &json!({"errors": [msg]})),
    };
    if let Some((at, retry_after)) = s.budget {
        if s.accepted >= at {
            return error(429, "too-many-requests", "Too Many Requests")
                .with_header("Retry-After", &retry_after.to_string());
        }
    }
    if let Some(n) = s.expire_after {
        if n == 0 {
            for exp in s.tokens.values_mut() {
                *exp = Instant::now();
            }
            s.expire_after = None;
            return error(401, "invalid_token", "The token has expired");
        }
        s.expire_after = Some(n - 1);
    }
    s.accepted += 1;
    if let Some((status, body)) = s.raw.pop_front() {
        return Response::json(status, &body);
    }
    // Group module results by module, in order of first appearance.
    let mut modules: Vec<(String, Value)> = Vec::new();
    for (kind, value) in &observables {
        s.seq += 1;
        let seq = s.seq;
        let rendered = match s
            .values
            .get(&(kind.clone(), value.clone()))
            .or_else(|| s.defaults.get(kind))
        {
            Some(a) => a.render(kind, value, seq),
            None => default_ref(kind).render(kind, value, seq),
        };
        for m in rendered {
            let key = m
                .get("module_instance_id")
                .or_else(|| m.get("module"))
                .or_else(|| m.get("module-type"))
                .map(Value::to_string)
                .unwrap_or_default();
            match modules.iter_mut().find(|(k, _)| *k == key) {
                Some((_, existing)) => merge_module(existing, &m),
                None => modules.push((key, m)),
            }
        }
    }
    let data: Vec<Value> = modules.into_iter().map(|(_, m)| m).collect();
    Response::json(200, &json!({"data": data, "errors": s.module_errors}))
}

/// Appends the docs of `add` to `into`, list by list, adding up the counts.
fn merge_module(into: &mut Value, add: &Value) {
    let Some(add_data) = add.get("data").and_then(Value::as_object) else {
        return;
    };
    let Some(into_data) = into.get_mut("data").and_then(Value::as_object_mut) else {
        return;
    };
    for (list, bundle) in add_data {
        let docs = bundle
            .get("docs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let entry = into_data
            .entry(list.clone())
            .or_insert_with(|| json!({"count": 0, "docs": []}));
        let count = entry.get("count").and_then(Value::as_f64).unwrap_or(0.0) + docs.len() as f64;
        if let Some(d) = entry.get_mut("docs").and_then(Value::as_array_mut) {
            d.extend(docs);
        }
        if let Some(o) = entry.as_object_mut() {
            o.insert("count".into(), json!(count as u64));
        }
    }
}

/// The request body as `(type, value)` pairs, validated like the swagger `Observable`.
fn parse_observables(req: &Request) -> Result<Vec<(String, String)>, String> {
    let body = req.json().map_err(|e| format!("body is not JSON: {e}"))?;
    let items = body
        .as_array()
        .ok_or("body must be a JSON array of observables")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let o = item
            .as_object()
            .ok_or(format!("[{i}]: an observable must be an object"))?;
        if let Some(k) = o.keys().find(|k| *k != "type" && *k != "value") {
            return Err(format!("[{i}]: disallowed-key {k}"));
        }
        let kind = o
            .get("type")
            .and_then(Value::as_str)
            .ok_or(format!("[{i}].type: missing-required-key"))?;
        let value = o
            .get("value")
            .and_then(Value::as_str)
            .ok_or(format!("[{i}].value: missing-required-key"))?;
        if !OBSERVABLE_TYPES.contains(&kind) {
            return Err(format!("[{i}].type: \"{kind}\" is not an observable type"));
        }
        if value.is_empty() {
            return Err(format!("[{i}].value: must not be empty"));
        }
        out.push((kind.to_string(), value.to_string()));
    }
    Ok(out)
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        // Not cryptographic use: a clock-derived fallback keeps the fake working.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, x) in b.iter_mut().enumerate() {
            *x = (t >> ((i % 16) * 8)) as u8 ^ i as u8;
        }
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Standard base64 (with or without padding); `None` on a bad character.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes() {
        assert_eq!(base64_decode("YWJjOmRlZg==").unwrap(), b"abc:def");
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn sample_projections_keep_only_their_observable() {
        let d = Answer::sample(SampleAnswer::Domain);
        assert_eq!(d.modules.len(), 1);
        assert_eq!(d.modules[0]["module"], "Talos Intelligence");
        let data = &d.modules[0]["data"];
        assert_eq!(data["verdicts"]["count"], 1);
        assert_eq!(data["sightings"]["count"], 1);
        assert_eq!(data["indicators"]["count"], 1);
        assert_eq!(data["relationships"]["count"], 2);
        let ip = Answer::sample(SampleAnswer::Ip);
        assert_eq!(
            ip.modules[0]["data"]["verdicts"]["docs"][0]["disposition_name"],
            "Clean"
        );
        assert!(ip.modules[0]["data"].get("sightings").is_none());
        let h = Answer::sample(SampleAnswer::Sha256);
        assert_eq!(h.modules[0]["module"], "Private Intelligence");
    }

    #[test]
    fn render_substitutes_value_type_and_ids() {
        let d = Answer::sample(SampleAnswer::Domain);
        let m = &d.render("url", "http://x.example/a", 7)[0];
        let j = &m["data"]["judgements"]["docs"][0];
        assert_eq!(
            j["observable"],
            json!({"type":"url","value":"http://x.example/a"})
        );
        assert!(j["id"].as_str().unwrap().ends_with("-7"));
        assert!(j["source_uri"]
            .as_str()
            .unwrap()
            .ends_with("search=http://x.example/a"));
        let v = &m["data"]["verdicts"]["docs"][0];
        assert_eq!(v["judgement_id"], j["id"]);
    }
}
