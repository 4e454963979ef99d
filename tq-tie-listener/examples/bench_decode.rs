//! In-process benchmark of decode + filter on one core (issue 5: ≥ 200,000 messages/s).
//!
//!     cargo run --release -p tq-tie-listener --example bench_decode [N] [RUNS]
//!
//! Input: the exact bytes of research sample A (1,374-byte DXL v2 event, 1,321-byte JSON) and
//! of the synthetic v3 sample. Per message: DXL decode, JSON parse, filter with the default
//! options; "+digests" also turns the hashes into hex as an accepted change needs. Prints one
//! line per case and a JSON line with the medians.

use std::hint::black_box;
use std::time::Instant;

use tq_tie_listener::dxl;
use tq_tie_listener::repchange::{Filter, RepChange};

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let start = text.find("## HEX").expect("HEX section");
    let body = &text[start..];
    let body = &body[body.find('\n').expect("line") + 1..];
    let end = body.find("\n## ").expect("end of HEX");
    let hex: String = body[..end]
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

type Case<'a> = Box<dyn FnMut() -> bool + 'a>;

fn rate(n: usize, f: &mut dyn FnMut() -> bool) -> f64 {
    let t = Instant::now();
    let mut accepted = 0usize;
    for _ in 0..n {
        if f() {
            accepted += 1;
        }
    }
    let s = t.elapsed().as_secs_f64();
    black_box(accepted);
    n as f64 / s
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let filter = Filter::default();
    let mut results = Vec::new();
    for (label, file) in [
        ("v2 sample A", "dxl-tie-repchange-a-eicar-v2.txt"),
        (
            "v3 synthetic",
            "dxl-tie-repchange-a-broker-v3-synthetic.txt",
        ),
    ] {
        let raw = sample(file);
        let cases: [(&str, Case); 3] = [
            (
                "decode",
                Box::new(|| dxl::decode(black_box(&raw)).is_ok_and(|m| !m.payload.is_empty())),
            ),
            (
                "decode+filter",
                Box::new(|| {
                    dxl::decode(black_box(&raw))
                        .ok()
                        .and_then(|m| RepChange::parse(m.payload).ok())
                        .is_some_and(|rc| filter.accepts(&rc))
                }),
            ),
            (
                "decode+filter+digests",
                Box::new(|| {
                    dxl::decode(black_box(&raw))
                        .ok()
                        .and_then(|m| RepChange::parse(m.payload).ok())
                        .filter(|rc| filter.accepts(rc))
                        .and_then(|rc| rc.digests().ok())
                        .is_some()
                }),
            ),
        ];
        for (case, mut f) in cases {
            rate(n / 10, &mut f); // warm-up
            let per_run: Vec<f64> = (0..runs).map(|_| rate(n, &mut f)).collect();
            let m = median(per_run.clone());
            println!(
                "{label:<13} {case:<22} {:>12.0} msg/s median  ({} bytes; runs: {})",
                m,
                raw.len(),
                per_run
                    .iter()
                    .map(|r| format!("{r:.0}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            results.push(format!(
                "{{\"input\":\"{label}\",\"case\":\"{case}\",\"bytes\":{},\"msg_per_s\":{m:.0}}}",
                raw.len()
            ));
        }
    }
    println!("[{}]", results.join(","));
}
