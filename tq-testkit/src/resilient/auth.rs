//! Authentication (research §5.2, samples/resilient-rest-session.json):
//!
//! - e-mail and password: `POST /rest/session` with `{"email","password"}` answers a
//!   UserSessionDTO with a `csrf_token` and sets the cookie `JSESSIONID`; every later call must
//!   carry **both** the cookie and the header `X-sess-id: <csrf_token>`;
//! - API key: `Authorization: Basic base64(api_key_id:api_key_secret)` on every call;
//!   `GET /rest/session` answers the orgs and the key's `api_key_handle`.
//!
//! Anything else is 401, as is a session after [`Auth::expire_sessions`] or `DELETE
//! /rest/session`.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::inferred::{bad_request, unauthorized};
use super::validate::{check, json_body, req, Ty, F};
use crate::server::{Request, Response};

/// A user who can log in.
#[derive(Debug, Clone)]
pub struct UserRec {
    /// The user id.
    pub id: u64,
    /// The login.
    pub email: String,
    /// The password.
    pub password: String,
    /// First name.
    pub fname: String,
    /// Last name.
    pub lname: String,
}

/// An API key.
#[derive(Debug, Clone)]
pub struct ApiKeyRec {
    /// Its handle (what message destinations list in `api_keys`).
    pub handle: u64,
    /// `api_key_id`.
    pub key_id: String,
    /// `api_key_secret`.
    pub secret: String,
    /// Its display name.
    pub display_name: String,
}

/// Who made a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A user (by id), through a session.
    User(u64),
    /// An API key (by handle).
    ApiKey(u64),
}

/// The body of `POST /rest/session`.
const CREDENTIALS: &[F] = &[req("email", Ty::Str), req("password", Ty::Str)];

#[derive(Debug)]
struct Session {
    user: u64,
    csrf: String,
}

/// Users, keys and live sessions.
#[derive(Debug, Default)]
pub struct Auth {
    /// The users.
    pub users: Vec<UserRec>,
    /// The API keys.
    pub api_keys: Vec<ApiKeyRec>,
    sessions: HashMap<String, Session>,
    /// Successful `POST /rest/session` logins.
    pub logins: usize,
    /// Calls answered 401.
    pub rejected: usize,
}

/// Random hex (not secret material, but unguessable enough for tests).
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        return format!("{t:x}");
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

fn basic(req: &Request) -> Option<(String, String)> {
    use base64::Engine as _;
    let h = req.header("authorization")?;
    let (scheme, b64) = h.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (id, secret) = s.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

impl Auth {
    /// `POST /rest/session`: logs a user in.
    pub fn login(&mut self, req: &Request, orgs: Value) -> Response {
        let body = match json_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        if let Err(r) = check(&body, CREDENTIALS, "UserCredentialsDTO") {
            return r;
        }
        let (email, password) = (body["email"].as_str(), body["password"].as_str());
        let Some(user) = self
            .users
            .iter()
            .find(|u| Some(u.email.as_str()) == email && Some(u.password.as_str()) == password)
            .cloned()
        else {
            self.rejected += 1;
            return unauthorized();
        };
        let jsession = random_hex(16);
        let csrf = random_hex(16);
        self.sessions.insert(
            jsession.clone(),
            Session {
                user: user.id,
                csrf: csrf.clone(),
            },
        );
        self.logins += 1;
        Response::json(200, &user_session(&user, &csrf, orgs)).with_header(
            "Set-Cookie",
            &format!("JSESSIONID={jsession}; Path=/; Secure; HttpOnly"),
        )
    }

    /// Who made `req`: an API key (Basic) or a session (cookie and `X-sess-id`); 401 else.
    pub fn check(&mut self, req: &Request) -> Result<Principal, Response> {
        if let Some((id, secret)) = basic(req) {
            return match self
                .api_keys
                .iter()
                .find(|k| k.key_id == id && k.secret == secret)
            {
                Some(k) => Ok(Principal::ApiKey(k.handle)),
                None => {
                    self.rejected += 1;
                    Err(unauthorized())
                }
            };
        }
        let found = cookie(req, "JSESSIONID")
            .and_then(|j| self.sessions.get(j))
            .filter(|s| req.header("x-sess-id") == Some(s.csrf.as_str()))
            .map(|s| s.user);
        match found {
            Some(u) => Ok(Principal::User(u)),
            None => {
                self.rejected += 1;
                Err(unauthorized())
            }
        }
    }

    /// `GET /rest/session` for `who`.
    pub fn session_info(&self, req: &Request, who: Principal, orgs: Value) -> Response {
        match who {
            Principal::ApiKey(h) => {
                let k = self.api_keys.iter().find(|k| k.handle == h);
                Response::json(
                    200,
                    &json!({
                        "orgs": orgs,
                        "api_key_handle": h,
                        "client_id": k.map(|k| k.key_id.clone()),
                        "display_name": k.map(|k| k.display_name.clone()),
                        "password_expiration_date": null
                    }),
                )
            }
            Principal::User(u) => {
                let csrf = cookie(req, "JSESSIONID")
                    .and_then(|j| self.sessions.get(j))
                    .map(|s| s.csrf.clone())
                    .unwrap_or_default();
                match self.users.iter().find(|x| x.id == u) {
                    Some(user) => Response::json(200, &user_session(user, &csrf, orgs)),
                    None => unauthorized(),
                }
            }
        }
    }

    /// `DELETE /rest/session`: ends the caller's session (API keys have none).
    pub fn logout(&mut self, req: &Request) -> Response {
        if let Some(j) = cookie(req, "JSESSIONID") {
            self.sessions.remove(j);
        }
        Response::empty(204)
    }

    /// Ends every session (the next call with one is 401; API keys keep working).
    pub fn expire_sessions(&mut self) {
        self.sessions.clear();
    }

    /// Checks a user id exists (for message destination members).
    pub fn user_exists(&self, id: u64) -> bool {
        self.users.iter().any(|u| u.id == id)
    }

    /// A new user; returns its id.
    pub fn add_user(&mut self, user: UserRec) -> Result<u64, Response> {
        if self.users.iter().any(|u| u.email == user.email) {
            return Err(bad_request(&format!("user {} exists", user.email)));
        }
        let id = user.id;
        self.users.push(user);
        Ok(id)
    }
}

fn user_session(user: &UserRec, csrf: &str, orgs: Value) -> Value {
    json!({
        "csrf_token": csrf,
        "user_id": user.id,
        "user_fname": user.fname,
        "user_lname": user.lname,
        "user_email": user.email,
        "is_saml": false,
        "is_ldap": false,
        "saml_alias": null,
        "session_ip": "127.0.0.1",
        "orgs": orgs
    })
}
