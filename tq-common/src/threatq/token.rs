//! The ThreatQ token (threatq-api.md §2): the password grant with a JSON body, the refresh
//! grant, and reading the token answer. The [`crate::rest::TokenCache`] around it renews
//! the token before `expires_in` runs out and once on a 401.

use std::time::Duration;

use serde_json::{json, Value};

use super::{ThreatQSettings, SYSTEM};
use crate::http::{Http, Method, Request, Response};
use crate::rest::{login_refused, Credential, OAuthToken, TokenSource};
use crate::{Error, Result, Secret};

/// Token lifetime assumed when the server sends no `expires_in` (threatqsdk: 30 min).
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(30 * 60);

/// The password grant of one ThreatQ user, refreshed with the refresh token when it can be.
pub(super) struct PasswordGrant {
    token_url: String,
    base_url: String,
    username: String,
    password: Secret,
    client_id: Secret,
}

impl PasswordGrant {
    pub(super) fn new(s: &ThreatQSettings) -> PasswordGrant {
        PasswordGrant {
            token_url: format!("{}/api/token", s.base_url.trim_end_matches('/')),
            base_url: s.base_url.clone(),
            username: s.username.clone(),
            password: s.password.clone(),
            client_id: s.client_id.clone(),
        }
    }

    fn password_grant(&self, http: &Http) -> Result<Credential> {
        // JSON body only (threatq-api.md §2.1 form 2): nothing secret in the URL.
        let req = Request::new(Method::Post, &self.token_url).json(json!({
            "email": self.username,
            "password": self.password.expose(),
            "grant_type": "password",
            "client_id": self.client_id.expose(),
        }));
        let resp = http.send(SYSTEM, &req)?;
        if !resp.ok() {
            return Err(login_refused(
                SYSTEM,
                &self.username,
                &self.base_url,
                resp.status,
                "check username, password and client_id in [threatq]",
            ));
        }
        parse_token(&resp)
    }

    fn refresh_grant(&self, http: &Http, old: &Credential) -> Option<Credential> {
        let refresh = old.refresh.as_ref()?;
        let mut req = Request::new(Method::Post, &self.token_url)
            .query("grant_type", "refresh_token")
            .query("refresh_token", refresh.expose())
            .json(json!({}));
        if let Some((_, bearer)) = old
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            req = req.header("Authorization", bearer.expose());
        }
        match http.send(SYSTEM, &req) {
            Ok(resp) if resp.ok() => parse_token(&resp).ok(),
            Ok(resp) => {
                log::debug!("token refresh answered {}; logging in again", resp.status);
                None
            }
            Err(e) => {
                log::debug!(
                    "token refresh failed ({}); logging in again",
                    e.safe_message()
                );
                None
            }
        }
    }
}

impl TokenSource for PasswordGrant {
    fn fetch(&self, http: &Http, previous: Option<&Credential>) -> Result<Credential> {
        match previous.and_then(|old| self.refresh_grant(http, old)) {
            Some(c) => Ok(c),
            None => self.password_grant(http),
        }
    }
}

/// A token answer as a bearer credential with its refresh token.
fn parse_token(resp: &Response) -> Result<Credential> {
    let v: Value = serde_json::from_slice(&resp.body).map_err(|_| {
        Error::remote(
            SYSTEM,
            "the token answer is not JSON (is the host a ThreatQ?)",
        )
    })?;
    OAuthToken::parse(&v)
        .map(|t| t.credential(DEFAULT_TOKEN_TTL))
        .ok_or_else(|| Error::remote(SYSTEM, "the token answer has no access_token"))
}
