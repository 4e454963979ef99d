//! Helpers shared by the integration tests: a ureq 3 agent that trusts a test CA.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

/// A ureq agent over native-tls that trusts only `ca_pem`, never treats a status as an
/// error, and times out after 10 s.
pub fn agent(ca_pem: &str) -> ureq::Agent {
    let cert = Certificate::from_pem(ca_pem.as_bytes()).expect("CA PEM");
    let tls = TlsConfig::builder()
        .provider(TlsProvider::NativeTls)
        .root_certs(RootCerts::Specific(Arc::new(vec![cert])))
        .build();
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .max_redirects(0)
            .build(),
    )
}

/// A ureq agent for plain HTTP.
pub fn plain_agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

/// Status and body (as text) of a response.
pub fn read(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, String) {
    let mut r = resp.expect("request failed");
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    (status, body)
}

/// A small ThreatQ API client for the tests: logs in with the password grant (JSON body)
/// and sends JSON with the bearer token.
pub struct Tq {
    pub agent: ureq::Agent,
    pub base: String,
    pub token: String,
}

/// Status and JSON body (Null when the body is empty or not JSON).
pub fn json_of(
    resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> (u16, serde_json::Value) {
    let (st, body) = read(resp);
    (
        st,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

impl Tq {
    /// Logs in to `fake`.
    pub fn login(fake: &tq_testkit::threatq::FakeThreatQ) -> Tq {
        let agent = agent(&fake.ca_pem());
        let base = format!("{}/api", fake.url());
        let (st, v) = json_of(
            agent
                .post(format!("{base}/token"))
                .send_json(serde_json::json!({
                    "email": fake.username(), "password": fake.password(),
                    "grant_type": "password", "client_id": fake.client_id()
                })),
        );
        assert_eq!(st, 200, "login: {v}");
        let token = v["access_token"].as_str().unwrap().to_string();
        Tq { agent, base, token }
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        json_of(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Authorization", &self.auth())
                .call(),
        )
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        json_of(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &self.auth())
                .send_json(body),
        )
    }

    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, serde_json::Value) {
        json_of(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &self.auth())
                .header("Content-Type", content_type)
                .send(body),
        )
    }

    pub fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        json_of(
            self.agent
                .put(format!("{}{path}", self.base))
                .header("Authorization", &self.auth())
                .send_json(body),
        )
    }

    pub fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        json_of(
            self.agent
                .delete(format!("{}{path}", self.base))
                .header("Authorization", &self.auth())
                .call(),
        )
    }

    pub fn delete_with(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        json_of(
            self.agent
                .delete(format!("{}{path}", self.base))
                .header("Authorization", &self.auth())
                .force_send_body()
                .send_json(body),
        )
    }
}

/// The field named by a 422 form-1 body.
pub fn error_field(v: &serde_json::Value) -> String {
    v["data"]["errors"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .unwrap_or_else(|| panic!("not a form-1 error: {v}"))
}
