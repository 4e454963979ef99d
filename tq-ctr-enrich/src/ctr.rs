//! The Cisco Threat Response (IROH) client: the client-credentials token and the enrich
//! call (research/ctr.md §2, §3, §5, §7, §8).
//!
//! - Token: `POST {base}/iroh/oauth2/token`, HTTP Basic `client_id:client_password`, form
//!   `grant_type=client_credentials`: a [`TokenSource`] for `tq_common::rest`, whose token
//!   cache keeps it until 60 s before `expires_in` (600 s) runs out; a 401 from the enrich
//!   call renews it once and the call is sent again.
//! - Enrich: `POST {base}/iroh/iroh-enrich/observe/observables` with a JSON array of
//!   `{type, value}`; the answer is returned as JSON for [`crate::ctim`] to read.
//! - Rate limit: the shared HTTP client waits out a `429 Retry-After` of up to 60 s and
//!   retries; a longer wait (the hourly budget is spent) or exhausted retries come back as
//!   an error with status 429, for the run to stop cleanly.
//!
//! The password, the Basic credentials and the tokens are [`Secret`]s: never in a log
//! line, an error or argv.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tq_common::http::{basic_auth, Http, Method, Request};
use tq_common::rest::{
    common_error_detail, Auth, Credential, ErrorMapper, OAuthToken, RestClient, RestConfig,
    TokenCache, TokenSource,
};
use tq_common::{Error, Result, Secret};

/// How errors name this system.
pub const SYSTEM: &str = "Cisco Threat Response";

/// The token route.
pub const TOKEN_PATH: &str = "/iroh/oauth2/token";

/// The enrich route (full context: verdicts, judgements, sightings, indicators).
pub const OBSERVE_PATH: &str = "/iroh/iroh-enrich/observe/observables";

/// Token lifetime assumed when the answer has no `expires_in` (IROH issues 600 s tokens).
const DEFAULT_TTL: Duration = Duration::from_secs(600);

/// A token is renewed when less than this is left.
const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// The API base URL of each region (research/ctr.md §2).
pub const REGION_URLS: &[(&str, &str)] = &[
    ("us", "https://visibility.amp.cisco.com"),
    ("eu", "https://visibility.eu.amp.cisco.com"),
    ("apjc", "https://visibility.apjc.amp.cisco.com"),
];

/// The base URL to use: `api_url` when set (trailing `/` removed), else the region's.
pub fn base_url(region: &str, api_url: Option<&str>) -> std::result::Result<String, String> {
    if let Some(url) = api_url.map(str::trim).filter(|u| !u.is_empty()) {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(format!(
                "\"{url}\" is not a URL (expected https://host[:port][/path])"
            ));
        }
        return Ok(url.trim_end_matches('/').to_string());
    }
    REGION_URLS
        .iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(region))
        .map(|(_, u)| u.to_string())
        .ok_or_else(|| format!("unknown region \"{region}\" (expected us, eu or apjc)"))
}

/// Where and as whom the client talks to CTR.
#[derive(Debug, Clone)]
pub struct CtrSettings {
    /// `https://visibility.amp.cisco.com` or the `api_url` override.
    pub base_url: String,
    /// The API client id (not secret: errors name it).
    pub client_id: String,
    /// The API client password.
    pub client_password: Secret,
}

/// One observable of an enrich request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Observable {
    /// CTIM observable type (`ip`, `domain`, `sha256`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The value.
    pub value: String,
}

/// What `--check` reports about a fresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Seconds until it expires.
    pub expires_in: u64,
    /// The scopes granted.
    pub scope: String,
}

/// The client-credentials grant of one API client. Remembers what the last token answer
/// said about the token (for `--check`).
struct ClientCredentials {
    settings: CtrSettings,
    last: Mutex<Option<TokenInfo>>,
}

impl TokenSource for ClientCredentials {
    fn fetch(&self, http: &Http, _previous: Option<&Credential>) -> Result<Credential> {
        let s = &self.settings;
        let basic = basic_auth(&s.client_id, &s.client_password);
        let req = Request::new(Method::Post, format!("{}{TOKEN_PATH}", s.base_url))
            .header("Authorization", basic.expose())
            .form(vec![(
                "grant_type".to_string(),
                "client_credentials".to_string(),
            )])
            .idempotent(true);
        let resp = http.send(SYSTEM, &req)?;
        let answer: Option<Value> = serde_json::from_slice(&resp.body).ok();
        if !resp.ok() {
            let hint = match resp.status {
                400 | 401 | 403 => format!(
                    ": check client_id and client_password in [connector] (a client works only in \
                     the region it was created in; this is {})",
                    s.base_url
                ),
                _ => String::new(),
            };
            return Err(Error::Remote {
                system: SYSTEM.into(),
                message: format!(
                    "token request for client id {} refused (HTTP {}{}){hint}",
                    s.client_id,
                    resp.status,
                    answer
                        .as_ref()
                        .and_then(common_error_detail)
                        .map(|e| format!(", {}", tq_common::logging::redact(&e)))
                        .unwrap_or_default()
                ),
                retry_after: None,
                status: Some(resp.status),
            });
        }
        let v = answer.ok_or_else(|| {
            Error::remote(
                SYSTEM,
                format!(
                    "the token answer for client id {} is not JSON (is {} the CTR API?)",
                    s.client_id, s.base_url
                ),
            )
        })?;
        let token = OAuthToken::parse(&v).ok_or_else(|| {
            Error::remote(
                SYSTEM,
                format!(
                    "the token answer for client id {} has no access_token",
                    s.client_id
                ),
            )
        })?;
        let ttl = token.expires_in.unwrap_or(DEFAULT_TTL);
        log::debug!(
            "CTR token for client id {} valid {} s (scope: {})",
            s.client_id,
            ttl.as_secs(),
            token.scope
        );
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(TokenInfo {
            expires_in: ttl.as_secs(),
            scope: token.scope.clone(),
        });
        Ok(token.credential(DEFAULT_TTL))
    }
}

/// The CTR client. Nothing is sent before the first call.
pub struct CtrClient {
    rest: RestClient,
    grant: Arc<ClientCredentials>,
}

impl std::fmt::Debug for CtrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtrClient")
            .field("base_url", &self.grant.settings.base_url)
            .field("client_id", &self.grant.settings.client_id)
            .finish_non_exhaustive()
    }
}

/// The hints CTR's statuses get in errors (the client makes one kind of call: enrich).
fn status_hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some(" (a new token was refused too: check the API client)"),
        403 => Some(" (the API client lacks the enrich:read scope)"),
        400 => Some(" (CTR rejected the observables)"),
        _ => None,
    }
}

impl CtrClient {
    /// A client over `http`.
    pub fn new(settings: CtrSettings, http: Http) -> CtrClient {
        let grant = Arc::new(ClientCredentials {
            settings: settings.clone(),
            last: Mutex::new(None),
        });
        let config = RestConfig {
            auth: Auth::Token(TokenCache::new(SYSTEM, grant.clone(), RENEW_MARGIN)),
            errors: ErrorMapper {
                hint: status_hint,
                ..ErrorMapper::default()
            },
            ..RestConfig::default()
        };
        let rest = RestClient::new(SYSTEM, settings.base_url, http, config);
        CtrClient { rest, grant }
    }

    /// The settings.
    pub fn settings(&self) -> &CtrSettings {
        &self.grant.settings
    }

    /// How many token requests this client has made.
    pub fn token_requests(&self) -> usize {
        self.rest.tokens().map_or(0, |t| t.fetches())
    }

    /// Fetches a new token now (for `--check`): a refusal is an error naming the client id.
    pub fn check_token(&self) -> Result<TokenInfo> {
        self.rest.login()?;
        self.grant
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| Error::runtime("no CTR token"))
    }

    /// Enriches observables with full context (`observe/observables`): the parsed answer.
    pub fn observe(&self, observables: &[Observable]) -> Result<Value> {
        let body = serde_json::to_value(observables)
            .map_err(|e| Error::runtime(format!("cannot encode observables: {e}")))?;
        let req = self
            .rest
            .request(Method::Post, OBSERVE_PATH)
            .json(body)
            // A read: safe to send again after a dropped connection.
            .idempotent(true);
        self.rest.call(&req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_urls_and_override() {
        assert_eq!(
            base_url("us", None).unwrap(),
            "https://visibility.amp.cisco.com"
        );
        assert_eq!(
            base_url("eu", Some("")).unwrap(),
            "https://visibility.eu.amp.cisco.com"
        );
        assert_eq!(
            base_url("APJC", None).unwrap(),
            "https://visibility.apjc.amp.cisco.com"
        );
        assert_eq!(
            base_url("us", Some("https://127.0.0.1:8443/")).unwrap(),
            "https://127.0.0.1:8443"
        );
        assert!(base_url("us", Some("visibility.example")).is_err());
        assert!(base_url("mars", None).is_err());
    }
}
