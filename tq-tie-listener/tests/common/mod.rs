//! What the writer and migration tests share.

use tq_common::http::{Http, HttpSettings};
use tq_common::threatq::{ThreatQ, ThreatQSettings};
use tq_common::Secret;
use tq_testkit::threatq::FakeThreatQ;

/// A ThreatQ client for `tq` (status `Review`), trusting its CA.
pub fn threatq_client(tq: &FakeThreatQ) -> ThreatQ {
    let http = Http::new(HttpSettings {
        ca_file: Some(tq.ca_file().to_path_buf()),
        ..HttpSettings::default()
    })
    .expect("http");
    ThreatQ::new(
        ThreatQSettings {
            base_url: tq.url(),
            client_id: Secret::new(tq.client_id()),
            username: tq.username().to_string(),
            password: Secret::new(tq.password()),
            status: "Review".into(),
        },
        http,
    )
}

/// (attribute name, value) rows of the indicator with this value, sorted.
pub fn rows(tq: &FakeThreatQ, value: &str) -> Vec<(String, String)> {
    let ind = tq.indicator_by_value(value).expect("indicator");
    let mut v: Vec<(String, String)> = ind["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default().to_string(),
                a["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}
