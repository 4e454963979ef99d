//! tq-common's clients set up for tests: HTTP trusting a test CA with a short backoff, and
//! a ThreatQ client logged in to a [`FakeThreatQ`]. One place, so tests of every crate
//! build them alike.

use std::path::Path;
use std::time::Duration;

use tq_common::http::{Http, HttpSettings, RetryPolicy};
use tq_common::threatq::{ThreatQ, ThreatQSettings};
use tq_common::Secret;

use crate::threatq::FakeThreatQ;

/// HTTP that trusts the CA certificates of `ca_file` (besides the system store) and
/// retries after 10 ms instead of half a second.
pub fn http_trusting(ca_file: &Path) -> Http {
    Http::new(HttpSettings {
        ca_file: Some(ca_file.to_path_buf()),
        retry: RetryPolicy {
            first_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..HttpSettings::default()
    })
    .expect("HTTP client trusting the test CA")
}

/// A ThreatQ client for `fake` as its user, with `password` (the fake's own, or a wrong
/// one) and the default status Review.
pub fn threatq_with_password(fake: &FakeThreatQ, password: &str) -> ThreatQ {
    ThreatQ::new(
        ThreatQSettings {
            base_url: fake.url(),
            client_id: Secret::new(fake.client_id()),
            username: fake.username().to_string(),
            password: Secret::new(password),
            status: "Review".into(),
        },
        http_trusting(fake.ca_file()),
    )
}

/// A ThreatQ client logged in to `fake` as its user (lazily: on the first call).
pub fn threatq(fake: &FakeThreatQ) -> ThreatQ {
    threatq_with_password(fake, fake.password())
}
