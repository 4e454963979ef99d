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
