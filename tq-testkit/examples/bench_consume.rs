//! How long FakeThreatQ takes over one bulk consume, as the TIE listener sends it: 500
//! changes per consume, each three indicators (MD5, SHA-1, SHA-256) with a status, one
//! source and five attributes. The TIE end-to-end figure (≥ 5,000 changes/s into
//! FakeThreatQ) needs a 1,500-indicator consume in about 50 ms, flat as the store grows.
//!
//!     cargo run --release -p tq-testkit --example bench_consume [BATCHES]
//!
//! BATCHES (default 40) bodies of new indicators are sent, then two earlier bodies again
//! (the update path). Prints the figures; asserts only that every consume answered 200.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_testkit::threatq::FakeThreatQ;

#[path = "../tests/common/mod.rs"]
mod common;

const PER_BATCH: usize = 1_500;

fn body(b: usize) -> Vec<u8> {
    let mut items = Vec::with_capacity(PER_BATCH);
    for c in 0..PER_BATCH / 3 {
        let n = b * (PER_BATCH / 3) + c;
        let attrs = json!([
            {"name": "Enterprise Reputation", "value": "Known Malicious", "sources": [{"name": "McAfee TIE"}]},
            {"name": "GTI Reputation", "value": "Known Malicious", "sources": [{"name": "McAfee TIE"}]},
            {"name": "Enterprise Prevalence", "value": (n % 1000).to_string(), "sources": [{"name": "McAfee TIE"}]},
            {"name": "File Name", "value": format!("bench-{n}.exe"), "sources": [{"name": "McAfee TIE"}]},
            {"name": "First Seen", "value": "2016-01-01 00:00:00", "sources": [{"name": "McAfee TIE"}]},
        ]);
        for (kind, len) in [("MD5", 32), ("SHA-1", 40), ("SHA-256", 64)] {
            items.push(json!({
                "value": format!("{n:0len$x}"),
                "type": {"name": kind},
                "status": {"name": "Review"},
                "sources": [{"name": "McAfee TIE"}],
                "attributes": attrs,
            }));
        }
    }
    serde_json::to_vec(&items).expect("body")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(label: &str, t: &[Duration]) {
    let mut s = t.to_vec();
    s.sort();
    let median = s[s.len() / 2];
    let tail = &t[t.len().saturating_sub(5)..];
    let last5 = tail.iter().sum::<Duration>() / tail.len() as u32;
    println!(
        "{label}: {} consumes of {PER_BATCH}: first {:.1} ms, median {:.1} ms, max {:.1} ms, \
         mean of last 5 {:.1} ms",
        t.len(),
        ms(t[0]),
        ms(median),
        ms(s[s.len() - 1]),
        ms(last5)
    );
}

/// Full HTTP round trip per consume (TLS, request parse, handler, response), as the
/// listener sees it.
fn main() {
    let batches: usize = std::env::args()
        .nth(1)
        .map(|v| v.parse().expect("BATCHES must be a number"))
        .unwrap_or(40)
        .max(2);
    let fake = FakeThreatQ::start();
    let tq = common::Tq::login(&fake);
    let url = format!("{}/indicators/consume", tq.base);
    let bodies: Vec<Vec<u8>> = (0..batches).map(body).collect();
    println!(
        "body of {PER_BATCH} indicators: {} bytes",
        bodies.first().map_or(0, Vec::len)
    );
    let mut new = Vec::new();
    let mut again = Vec::new();
    for (i, b) in bodies.iter().chain(bodies.iter().take(2)).enumerate() {
        let t = Instant::now();
        let mut r = tq
            .agent
            .post(&url)
            .header("Authorization", format!("Bearer {}", tq.token))
            .content_type("application/json")
            .send(&b[..])
            .expect("consume");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().expect("read");
        let d = t.elapsed();
        assert_eq!(status, 200, "{}", &text[..text.len().min(300)]);
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["total"], PER_BATCH);
        if i < batches {
            new.push(d);
        } else {
            again.push(d);
        }
    }
    assert_eq!(fake.object_count("indicators"), batches * PER_BATCH);
    summary("new indicators (HTTP round trip)", &new);
    summary("re-sent bodies (HTTP round trip)", &again);
}
