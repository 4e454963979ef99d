//! The IBM Resilient (QRadar SOAR) REST API as this connector uses it
//! (research/resilient.md §4, §5, §7), on [`tq_common::rest::RestClient`]:
//!
//! - [`session`]: the login (a session with its CSRF token and cookie, renewed on 401, or an
//!   API key by HTTP Basic);
//! - [`Resilient::connect`]: logs in, reads `GET /rest/session` and picks the org the way
//!   resilient-circuits does (app.config `org` matched against `cloud_account`, `uuid`, then
//!   `name`; it must be enabled; with one org and no `org`, that one);
//! - [`objects`]: incidents (get, PATCH a field, paged query), artifacts, notes, tasks,
//!   attachments, the rule names (`/actions`), artifact types and incident field labels;
//! - [`admin`]: what `customize` needs (message destinations, functions, fields, the
//!   configuration import API).
//!
//! A call made while handling a message can carry the message's `Co3ContextToken` as
//! `X-Co3ContextToken` ([`Resilient::in_context`]), so that what the connector writes back
//! (an artifact, the incident's `threatq_event_id`) does not trigger the same rule again.

pub mod admin;
pub mod objects;
pub mod session;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tq_common::http::{Http, HttpSettings, Method, Request};
use tq_common::rest::{login_refused, Auth, RestClient, RestConfig, TokenCache};
use tq_common::{Error, Result};

pub use session::Login;

/// How errors name the system.
pub const SYSTEM: &str = "Resilient";

/// Connection settings (from app.config `[resilient]`).
#[derive(Debug, Clone)]
pub struct ResilientSettings {
    /// `https://host:port`.
    pub base_url: String,
    /// The org to work in: name, uuid or cloud account (`None`: the only one).
    pub org: Option<String>,
    /// How to log in.
    pub login: Login,
    /// TLS (cafile), timeouts and retries.
    pub http: HttpSettings,
}

/// Who the connector is logged in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A user, by id and e-mail address.
    User {
        /// The user id (what a message destination's `users` lists).
        id: u64,
        /// The e-mail address.
        email: String,
    },
    /// An API key, by handle (what a destination's `api_keys` lists).
    ApiKey {
        /// The key's handle.
        handle: u64,
    },
}

/// The org picked at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Its id (in every org-scoped path and in the STOMP destination).
    pub id: u64,
    /// Its name.
    pub name: String,
}

#[derive(Default)]
struct Caches {
    /// Rule id → name (`GET /actions`).
    actions: HashMap<u64, String>,
    /// Artifact type id → name.
    artifact_types: HashMap<u64, String>,
    /// Incident field → value id → label.
    incident_labels: HashMap<String, HashMap<String, String>>,
}

struct Inner {
    rest: RestClient,
    org: Org,
    principal: Principal,
    caches: Mutex<Caches>,
}

/// A logged-in client for one org. Cheap to clone; clones share the session and caches.
#[derive(Clone)]
pub struct Resilient {
    inner: Arc<Inner>,
    /// `X-Co3ContextToken` sent on every call of this handle.
    context: Option<Arc<str>>,
}

impl std::fmt::Debug for Resilient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resilient")
            .field("base_url", &self.inner.rest.base_url())
            .field("org", &self.inner.org)
            .finish_non_exhaustive()
    }
}

/// The orgs of a `/rest/session` answer and the one `wanted` names (research §5.2).
pub fn pick_org(session: &Value, wanted: Option<&str>) -> Result<Org> {
    let orgs = session
        .get("orgs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if orgs.is_empty() {
        return Err(Error::remote(
            SYSTEM,
            "the account belongs to no organization: ask a Resilient administrator to add it",
        ));
    }
    let text = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
    let names: Vec<String> = orgs.iter().filter_map(|o| text(o, "name")).collect();
    let found = match wanted {
        Some(w) => ["cloud_account", "uuid", "name"]
            .iter()
            .find_map(|k| orgs.iter().find(|o| text(o, k).as_deref() == Some(w))),
        None if orgs.len() == 1 => orgs.first(),
        None => {
            return Err(Error::remote(
                SYSTEM,
                format!(
                    "the account belongs to several organizations: set [resilient] org to one \
                     of: {}",
                    names.join(", ")
                ),
            ))
        }
    };
    let Some(o) = found else {
        return Err(Error::remote(
            SYSTEM,
            format!(
                "no organization \"{}\" for this account ([resilient] org is case-sensitive); \
                 it belongs to: {}",
                wanted.unwrap_or_default(),
                names.join(", ")
            ),
        ));
    };
    let name = text(o, "name").unwrap_or_default();
    if o.get("enabled").and_then(Value::as_bool) == Some(false) {
        return Err(Error::remote(
            SYSTEM,
            format!("the organization \"{name}\" is disabled"),
        ));
    }
    let id = o
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::remote(SYSTEM, format!("the organization \"{name}\" has no id")))?;
    Ok(Org { id, name })
}

impl Resilient {
    /// Logs in and picks the org; a refused login or an unknown org is an error saying
    /// what to fix.
    pub fn connect(settings: &ResilientSettings) -> Result<Resilient> {
        let http = Http::new(settings.http.clone())?;
        let answer = Arc::new(Mutex::new(None));
        let auth = match &settings.login {
            Login::Password { email, password } => Auth::Token(TokenCache::new(
                SYSTEM,
                session::SessionLogin {
                    base_url: settings.base_url.trim_end_matches('/').to_string(),
                    email: email.clone(),
                    password: password.clone(),
                    answer: answer.clone(),
                },
                Duration::ZERO,
            )),
            Login::ApiKey { id, secret } => Auth::basic(id, secret),
        };
        let rest = RestClient::new(
            SYSTEM,
            settings.base_url.clone(),
            http,
            RestConfig {
                auth,
                ..RestConfig::default()
            },
        );
        rest.login()?;
        let logged_in = answer.lock().unwrap_or_else(|p| p.into_inner()).take();
        let session = match logged_in {
            // The login's own answer holds the orgs and the user id.
            Some(s) => Ok(s),
            None => rest.get("/rest/session", &[("include_permissions", "false")]),
        }
        .map_err(|e| match (&e, &settings.login) {
            (
                Error::Remote {
                    status: Some(401), ..
                },
                Login::ApiKey { id, .. },
            ) => login_refused(
                SYSTEM,
                &format!("API key {id}"),
                rest.base_url(),
                401,
                "check [resilient] api_key_id and api_key_secret",
            ),
            _ => e,
        })?;
        let org = pick_org(&session, settings.org.as_deref())?;
        let principal = match &settings.login {
            Login::ApiKey { .. } => Principal::ApiKey {
                handle: session
                    .get("api_key_handle")
                    .and_then(Value::as_u64)
                    .unwrap_or_default(),
            },
            Login::Password { email, .. } => Principal::User {
                id: session
                    .get("user_id")
                    .and_then(Value::as_u64)
                    .unwrap_or_default(),
                email: email.clone(),
            },
        };
        Ok(Resilient {
            inner: Arc::new(Inner {
                rest,
                org,
                principal,
                caches: Mutex::new(Caches::default()),
            }),
            context: None,
        })
    }

    /// The org.
    pub fn org(&self) -> &Org {
        &self.inner.org
    }

    /// Who is logged in.
    pub fn principal(&self) -> &Principal {
        &self.inner.principal
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.inner.rest.base_url()
    }

    /// A handle whose calls carry `X-Co3ContextToken: token` (the message's
    /// `Co3ContextToken`), sharing this client's session and caches.
    pub fn in_context(&self, token: Option<&str>) -> Resilient {
        Resilient {
            inner: self.inner.clone(),
            context: token.filter(|t| !t.is_empty()).map(Arc::from),
        }
    }

    /// A request for an org-scoped path (`/incidents/2095` → `/rest/orgs/201/incidents/2095`).
    pub(crate) fn org_request(&self, method: Method, path: &str) -> Request {
        let full = format!(
            "/rest/orgs/{}/{}",
            self.inner.org.id,
            path.trim_start_matches('/')
        );
        let mut req = self.inner.rest.request(method, &full);
        if let Some(t) = &self.context {
            req = req.header("X-Co3ContextToken", t.as_ref());
        }
        req
    }

    /// A JSON call.
    pub(crate) fn call(&self, req: &Request) -> Result<Value> {
        self.inner.rest.call(req)
    }

    /// A raw call (downloads): the response body of a 2xx answer, else the error.
    pub(crate) fn bytes(&self, req: &Request) -> Result<Vec<u8>> {
        let resp = self.inner.rest.send(req)?;
        if !resp.ok() {
            return Err(self.inner.rest.error(req, &resp));
        }
        Ok(resp.body)
    }

    fn caches(&self) -> std::sync::MutexGuard<'_, Caches> {
        self.inner.caches.lock().unwrap_or_else(|p| p.into_inner())
    }
}
