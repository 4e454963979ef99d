//! What the writer and migration tests share.

use std::path::Path;

use tq_common::config::{all_options, Config};
use tq_common::http::Http;
use tq_common::threatq::{http_settings, ThreatQ, ThreatQSettings};
use tq_testkit::threatq::FakeThreatQ;

/// A ThreatQ client for `tq`, built as the listener builds its own: from the `[threatq]`
/// section of its config (status `Review`).
pub fn threatq_client(tq: &FakeThreatQ) -> ThreatQ {
    let ini = format!(
        "[threatq]\nhost = {}\nclient_id = {}\nusername = {}\npassword = {}\nstatus = Review\nca_file = {}\n",
        tq.url(),
        tq.client_id(),
        tq.username(),
        tq.password(),
        tq.ca_file().display()
    );
    let options = all_options(tq_tie_listener::options::OPTIONS);
    let c = Config::from_str(Path::new("tq-tie-listener.ini"), &ini, &options).expect("config");
    ThreatQ::new(
        ThreatQSettings::from_config(&c),
        Http::new(http_settings(&c)).expect("http"),
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
