//! `POST /api/token` (threatq-api.md §2) and bearer-token checks on every other call.
//!
//! Accepts the three password-grant encodings (query + JSON, JSON only, form), the
//! client-credentials grant with Basic auth (or form fields), and the refresh-token grant.
//! Tokens are opaque random strings that expire after the configured TTL on the fake's
//! clock; bad credentials answer 400 or 401 as configured.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::clock::Clock;
use super::reply::{bad_request, unauthorized};
use super::validate::{check, opt, Ty, F};
use crate::server::{Request, Response};

/// The credentials the fake accepts.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The login e-mail (the `email` field of the password grant).
    pub email: String,
    /// The password.
    pub password: String,
    /// The client id of the password grant (and of the client-credentials grant).
    pub client_id: String,
    /// The client secret of the client-credentials grant.
    pub client_secret: String,
}

/// Token state and the knobs around it.
#[derive(Debug)]
pub struct Auth {
    /// Accepted credentials.
    pub creds: Credentials,
    /// Lifetime of new access tokens (`expires_in`).
    pub ttl: Duration,
    /// Status for bad credentials: 400 (default) or 401.
    pub bad_credentials_status: u16,
    access: HashMap<String, OffsetDateTime>,
    refresh: HashMap<String, ()>,
    /// Every access token ever issued (for leak checks in tests).
    pub issued: Vec<String>,
    /// Every refresh token ever issued (for leak checks in tests).
    pub issued_refresh: Vec<String>,
}

const TOKEN_BODY: &[F] = &[
    opt("email", Ty::Str),
    opt("password", Ty::Str),
    opt("grant_type", Ty::Str),
    opt("client_id", Ty::Str),
    opt("client_secret", Ty::Str),
    opt("refresh_token", Ty::Str),
];

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        // Not secret material; a fallback keeps tokens unique enough for tests.
        let t = OffsetDateTime::now_utc().unix_timestamp_nanos();
        return format!("{t:x}");
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A random secret-looking string (for generated passwords and client ids).
pub fn random_secret(prefix: &str) -> String {
    format!("{prefix}{}", random_hex(12))
}

impl Auth {
    /// New auth state.
    pub fn new(creds: Credentials, ttl: Duration, bad_credentials_status: u16) -> Auth {
        Auth {
            creds,
            ttl,
            bad_credentials_status,
            access: HashMap::new(),
            refresh: HashMap::new(),
            issued: Vec::new(),
            issued_refresh: Vec::new(),
        }
    }

    /// Makes every current access token invalid (refresh tokens stay valid).
    pub fn expire_all(&mut self) {
        self.access.clear();
    }

    /// Whether the request carries a valid, unexpired bearer token.
    pub fn check(&self, req: &Request, clock: &Clock) -> Result<(), Response> {
        let Some(h) = req.header("authorization") else {
            return Err(unauthorized());
        };
        let token = match h.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => return Err(unauthorized()),
        };
        match self.access.get(token) {
            Some(exp) if clock.now() < *exp => Ok(()),
            _ => Err(unauthorized()),
        }
    }

    fn bad_credentials(&self, msg: &str) -> Response {
        Response::json(
            self.bad_credentials_status,
            &json!({ "error": "invalid_grant", "message": msg }),
        )
    }

    fn issue(&mut self, clock: &Clock) -> Response {
        let access = format!("tq-access-{}", random_hex(16));
        let refresh = format!("tq-refresh-{}", random_hex(16));
        self.access.insert(access.clone(), clock.now() + self.ttl);
        self.refresh.insert(refresh.clone(), ());
        self.issued.push(access.clone());
        self.issued_refresh.push(refresh.clone());
        Response::json(
            200,
            &json!({
                "token_type": "Bearer",
                "expires_in": self.ttl.as_secs(),
                "access_token": access,
                "refresh_token": refresh,
            }),
        )
    }

    /// Answers `POST /api/token`.
    pub fn token(&mut self, req: &Request, clock: &Clock) -> Response {
        let params = match token_params(req) {
            Ok(p) => p,
            Err(r) => return r,
        };
        let get = |k: &str| params.get(k).map(String::as_str);
        match get("grant_type") {
            Some("password") => {
                let ok = get("email") == Some(self.creds.email.as_str())
                    && get("password") == Some(self.creds.password.as_str())
                    && get("client_id") == Some(self.creds.client_id.as_str());
                if ok {
                    self.issue(clock)
                } else {
                    self.bad_credentials("The user credentials were incorrect.")
                }
            }
            Some("client_credentials") => {
                let (id, secret) = match basic_auth(req) {
                    Some(pair) => pair,
                    None => (
                        get("client_id").unwrap_or("").to_string(),
                        get("client_secret").unwrap_or("").to_string(),
                    ),
                };
                if id == self.creds.client_id && secret == self.creds.client_secret {
                    self.issue(clock)
                } else {
                    self.bad_credentials("Client authentication failed.")
                }
            }
            Some("refresh_token") => match get("refresh_token") {
                Some(rt) if self.refresh.remove(rt).is_some() => self.issue(clock),
                _ => self.bad_credentials("The refresh token is invalid."),
            },
            Some(other) => Response::json(
                400,
                &json!({ "error": "unsupported_grant_type",
                         "message": format!("The grant type {other} is not supported.") }),
            ),
            None => Response::json(
                400,
                &json!({ "error": "invalid_request", "message": "grant_type is required." }),
            ),
        }
    }
}

/// Query parameters merged with the body's fields (JSON or form), body winning.
fn token_params(req: &Request) -> Result<HashMap<String, String>, Response> {
    let mut p: HashMap<String, String> = req.query.iter().cloned().collect();
    if req.body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(p);
    }
    let ct = req.content_type().unwrap_or_default();
    let looks_json = req.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if ct == "application/json" || (ct.is_empty() && looks_json) {
        let v: Value = req
            .json()
            .map_err(|e| bad_request(&format!("Malformed JSON body: {e}")))?;
        check(&v, &Ty::Obj(TOKEN_BODY), "")?;
        if let Value::Object(m) = v {
            for (k, v) in m {
                if let Value::String(s) = v {
                    p.insert(k, s);
                }
            }
        }
    } else if ct == "application/x-www-form-urlencoded" || ct.is_empty() {
        for (k, v) in req.form() {
            p.insert(k, v);
        }
    } else {
        return Err(bad_request(&format!(
            "Unsupported Content-Type {ct} for /api/token."
        )));
    }
    Ok(p)
}

/// `(client_id, client_secret)` from `Authorization: Basic ...`.
fn basic_auth(req: &Request) -> Option<(String, String)> {
    let h = req.header("authorization")?;
    let (scheme, b64) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = openssl::base64::decode_block(b64.trim()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (id, secret) = s.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}
