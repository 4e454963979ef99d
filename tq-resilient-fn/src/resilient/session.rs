//! How the Resilient REST client logs in (research/resilient.md §5.2):
//!
//! - e-mail and password: `POST /rest/session?include_permissions=false` with
//!   `{"email","password"}`; the answer's `csrf_token` goes into the header `X-sess-id` and
//!   the cookie `JSESSIONID` it sets into `Cookie`, on every later call. Both are one
//!   [`Credential`] of a [`TokenSource`], so `tq_common::rest` renews the session once when a
//!   call is answered 401 (an expired session) and sends the call again;
//! - an API key: HTTP Basic `api_key_id:api_key_secret` on every call, no session.

use serde_json::{json, Value};
use tq_common::http::{Http, Method, Request};
use tq_common::rest::{login_refused, Credential, TokenSource};
use tq_common::{Error, Result, Secret};

use super::SYSTEM;

/// How to authenticate: app.config `email`/`password`, or `api_key_id`/`api_key_secret`
/// (which win when both are set, as in resilient-circuits).
#[derive(Debug, Clone)]
pub enum Login {
    /// A user's e-mail address and password (a session).
    Password {
        /// The e-mail address (also the STOMP login).
        email: String,
        /// The password.
        password: Secret,
    },
    /// An API key (HTTP Basic on every call).
    ApiKey {
        /// `api_key_id` (also the STOMP login).
        id: String,
        /// `api_key_secret`.
        secret: Secret,
    },
}

impl Login {
    /// The STOMP login and passcode: the same pair as REST (research §2.1).
    pub fn stomp_credentials(&self) -> (&str, &Secret) {
        match self {
            Login::Password { email, password } => (email, password),
            Login::ApiKey { id, secret } => (id, secret),
        }
    }

    /// Who logs in, for messages (never the secret).
    pub fn who(&self) -> String {
        match self {
            Login::Password { email, .. } => email.clone(),
            Login::ApiKey { id, .. } => format!("API key {id}"),
        }
    }
}

/// The session login as a [`TokenSource`].
pub struct SessionLogin {
    /// `https://host:port`.
    pub base_url: String,
    /// The user's e-mail address.
    pub email: String,
    /// The password.
    pub password: Secret,
    /// The last login's answer (UserSessionDTO: `user_id`, `orgs`), so the org is picked
    /// without asking again.
    pub answer: std::sync::Arc<std::sync::Mutex<Option<Value>>>,
}

impl TokenSource for SessionLogin {
    fn fetch(&self, http: &Http, _previous: Option<&Credential>) -> Result<Credential> {
        let req = Request::new(Method::Post, format!("{}/rest/session", self.base_url))
            .query("include_permissions", "false")
            .json(json!({ "email": self.email, "password": self.password.expose() }));
        let resp = http.send(SYSTEM, &req)?;
        if resp.status == 401 || resp.status == 403 {
            return Err(login_refused(
                SYSTEM,
                &self.email,
                &self.base_url,
                resp.status,
                "check [resilient] email and password",
            ));
        }
        if !resp.ok() {
            return Err(Error::Remote {
                system: SYSTEM.into(),
                message: format!(
                    "POST /rest/session answered {}: {}",
                    resp.status,
                    resp.excerpt()
                ),
                retry_after: None,
                status: Some(resp.status),
            });
        }
        let body: Value = serde_json::from_slice(&resp.body).map_err(|e| {
            Error::remote(
                SYSTEM,
                format!("the answer to POST /rest/session is not JSON: {e}"),
            )
        })?;
        let csrf = body
            .get("csrf_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::remote(
                    SYSTEM,
                    "the session answer has no csrf_token (research §5.2)",
                )
            })?;
        let jsession = resp
            .set_cookies()
            .find(|(k, _)| *k == "JSESSIONID")
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| Error::remote(SYSTEM, "the session answer sets no JSESSIONID cookie"))?;
        let credential = Credential::default()
            .with_header("X-sess-id", Secret::new(csrf))
            .with_header("Cookie", Secret::new(format!("JSESSIONID={jsession}")));
        let mut keep = body;
        if let Some(o) = keep.as_object_mut() {
            o.remove("csrf_token");
        }
        *self.answer.lock().unwrap_or_else(|p| p.into_inner()) = Some(keep);
        Ok(credential)
    }
}
