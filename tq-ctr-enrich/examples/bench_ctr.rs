//! The CTR enrichment benchmark (issue 4), run by `scripts/bench.d/ctr.sh`.
//!
//! Starts FakeThreatQ and the fake CTR with 5 ms of latency added to every request, seeds
//! 1,000 enrichable indicators (IP addresses) behind a saved search, and measures:
//!
//! - ours: the release `tq-ctr-enrich` binary, batch 20, a first run (all indicators);
//! - the peer: the naive flow of the original on a fresh pair of fakes with the same data:
//!   one enrich call per indicator, one ThreatQ call per attribute and one for the status
//!   (plus the same token and collection reads).
//!
//! Prints one JSON object per line:
//! `{"bench":"ctr","metric":...,"value":N,"unit":...,"peer":"naive original flow","peer_value":N,"target":...}`.
//!
//! Usage: `bench_ctr [--bin PATH] [--indicators N] [--batch N] [--latency-ms N] [--skip-peer]`
//! (`CTR_BENCH_LOG=1` prints our run's debug log on stderr).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_common::http::{Http, HttpSettings};
use tq_common::threatq::{Collection, Indicator, ObjRef, ThreatQ, ThreatQSettings};
use tq_common::Secret;
use tq_ctr_enrich::attributes::{self, SOURCE};
use tq_ctr_enrich::ctim::ObserveAnswer;
use tq_ctr_enrich::ctr::{CtrClient, CtrSettings, Observable};
use tq_ctr_enrich::run::SAVED_SEARCH_HINTS;
use tq_testkit::bench::{self, Common};
use tq_testkit::certs::TestCa;
use tq_testkit::ctr::FakeCtr;
use tq_testkit::threatq::{FakeThreatQ, NewIndicator};

const FEED: &str = "Bench Feed";
const SEARCH: &str = "CTR bench";
const PEER: &str = "naive original flow";

struct Opts {
    common: Common,
    indicators: usize,
    batch: usize,
    skip_peer: bool,
}

/// The command line; a bad one: exit 2 with a message naming the argument.
fn opts() -> Opts {
    let (mut indicators, mut batch, mut skip_peer) = (1000, 20, false);
    let common = bench::read_args("tq-ctr-enrich", |flag, args| {
        match flag {
            "--indicators" => indicators = args.parse()?,
            "--batch" => batch = args.parse()?,
            "--skip-peer" => skip_peer = true,
            _ => return Ok(false),
        }
        Ok(true)
    });
    Opts {
        common,
        indicators,
        batch,
        skip_peer,
    }
}

struct Fakes {
    tq: FakeThreatQ,
    ctr: FakeCtr,
    dir: tempfile::TempDir,
    ca_file: PathBuf,
    ids: Vec<u64>,
}

fn ip(i: usize) -> String {
    format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)
}

fn fakes(n: usize) -> Fakes {
    let tq = FakeThreatQ::builder().shuffled_ids(true).start();
    let ca = TestCa::new("bench CTR CA");
    let ctr = FakeCtr::start(
        ca.issue_server("127.0.0.1", &["127.0.0.1", "localhost"])
            .identity(),
    )
    .expect("fake CTR");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, format!("{}{}", tq.ca_pem(), ca.cert_pem())).expect("ca file");
    tq.add_saved_search(SEARCH, json!({ "source_name": FEED }));
    let ids = (0..n)
        .map(|i| {
            tq.add_indicator_with(
                NewIndicator::new(&ip(i), "IP Address")
                    .status("Review")
                    .source(FEED),
            )
        })
        .collect();
    Fakes {
        tq,
        ctr,
        dir,
        ca_file,
        ids,
    }
}

fn write_config(f: &Fakes, batch: usize) -> PathBuf {
    let path = f.dir.path().join("tq-ctr-enrich.ini");
    std::fs::write(
        &path,
        format!(
            "[threatq]\nhost = {}\nclient_id = {}\nusername = {}\npassword = {}\nstatus = Active\nca_file = {}\n\n[connector]\napi_url = {}\nclient_id = {}\nclient_password = {}\nsaved_search = {SEARCH}\nbatch_size = {batch}\n",
            f.tq.host(),
            f.tq.client_id(),
            f.tq.username(),
            f.tq.password(),
            f.ca_file.display(),
            f.ctr.url(),
            f.ctr.client_id(),
            f.ctr.client_password(),
        ),
    )
    .expect("config");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

/// How many of the seeded indicators carry attributes from our source and status Active.
fn enriched(f: &Fakes) -> usize {
    f.ids
        .iter()
        .filter(|id| {
            f.tq.indicator(**id).is_some_and(|i| {
                i["status"]["name"] == "Active"
                    && i["attributes"].as_array().is_some_and(|l| {
                        l.iter().any(|a| {
                            a["sources"]
                                .as_array()
                                .is_some_and(|s| s.iter().any(|s| s["name"] == SOURCE))
                        })
                    })
            })
        })
        .count()
}

struct Measure {
    tq_requests: usize,
    ctr_requests: usize,
    secs: f64,
    enriched: usize,
}

fn ours(o: &Opts) -> Result<Measure, String> {
    let f = fakes(o.indicators);
    write_config(&f, o.batch);
    f.tq.set_latency(o.common.latency);
    f.ctr.set_latency(o.common.latency);
    f.tq.clear_requests();
    f.ctr.clear_requests();
    let started = Instant::now();
    let log = std::env::var_os("CTR_BENCH_LOG").is_some();
    let out = o.common.run(
        f.dir.path(),
        &["-ll", "stdout", "-v", if log { "3" } else { "1" }],
    )?;
    let secs = started.elapsed().as_secs_f64();
    if log {
        eprint!("{}", String::from_utf8_lossy(&out.stdout));
    }
    let m = Measure {
        tq_requests: f.tq.request_count(),
        ctr_requests: f.ctr.control().request_count(),
        secs,
        enriched: 0,
    };
    f.tq.set_latency(Duration::ZERO);
    Ok(Measure {
        enriched: enriched(&f),
        ..m
    })
}

/// The original's flow, scripted with the same client code: per indicator one enrich
/// call, one attribute call per attribute, one status call.
fn naive(o: &Opts) -> Result<Measure, String> {
    let f = fakes(o.indicators);
    f.tq.set_latency(o.common.latency);
    f.ctr.set_latency(o.common.latency);
    f.tq.clear_requests();
    f.ctr.clear_requests();
    let started = Instant::now();
    let http = Http::new(HttpSettings {
        ca_file: Some(f.ca_file.clone()),
        ..HttpSettings::default()
    })
    .map_err(|e| e.to_string())?;
    let tq = ThreatQ::new(
        ThreatQSettings {
            base_url: f.tq.url(),
            client_id: Secret::new(f.tq.client_id()),
            username: f.tq.username().to_string(),
            password: Secret::new(f.tq.password()),
            status: "Active".into(),
        },
        http.clone(),
    );
    let ctr = CtrClient::new(
        CtrSettings {
            base_url: f.ctr.url(),
            client_id: f.ctr.client_id(),
            client_password: Secret::new(f.ctr.client_password()),
        },
        http,
    );
    let e = |e: tq_common::Error| e.to_string();
    let hash = tq
        .saved_search_hash(SEARCH, &SAVED_SEARCH_HINTS)
        .map_err(e)?;
    let mut pager = tq.collection(Collection::Indicators, &hash, 100);
    let mut all: Vec<Indicator> = Vec::new();
    while let Some(page) = pager.next_typed::<Indicator>().map_err(e)? {
        all.extend(page);
    }
    for ind in &all {
        let obs = Observable {
            kind: "ip".into(),
            value: ind.value.clone(),
        };
        let body: Value = ctr.observe(std::slice::from_ref(&obs)).map_err(e)?;
        let contexts = ObserveAnswer::parse(&body).contexts(&obs.kind, &obs.value);
        if contexts.is_empty() {
            continue;
        }
        let obj = ObjRef::indicator(ind.id);
        for (name, value) in contexts.iter().flat_map(attributes::from_context) {
            tq.add_attributes(
                &obj,
                &[tq_common::threatq::AttributeWrite::new(name, value, SOURCE)],
            )
            .map_err(e)?;
        }
        tq.set_indicator_status(ind.id, "Active").map_err(e)?;
    }
    let secs = started.elapsed().as_secs_f64();
    let m = Measure {
        tq_requests: f.tq.request_count(),
        ctr_requests: f.ctr.control().request_count(),
        secs,
        enriched: 0,
    };
    f.tq.set_latency(Duration::ZERO);
    Ok(Measure {
        enriched: enriched(&f),
        ..m
    })
}

/// One result line, keys in the order scripts/bench documents.
fn line(metric: &str, value: Value, unit: &str, peer_value: Value, target: &str) {
    let q = |s: &str| Value::String(s.to_string()).to_string();
    println!(
        "{{\"bench\":\"ctr\",\"metric\":{},\"value\":{value},\"unit\":{},\"peer\":{},\"peer_value\":{peer_value},\"target\":{}}}",
        q(metric),
        q(unit),
        q(PEER),
        q(target)
    );
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

fn main() {
    let o = opts();
    if !Path::new(&o.common.bin).exists() {
        eprintln!(
            "bench_ctr: {} is missing (cargo build --release -p tq-ctr-enrich)",
            o.common.bin.display()
        );
        std::process::exit(2);
    }
    let run = || -> Result<(Measure, Measure), String> {
        let a = ours(&o)?;
        if o.skip_peer {
            eprintln!(
                "ours: {} ThreatQ + {} CTR requests, {:.3} s, {} enriched",
                a.tq_requests, a.ctr_requests, a.secs, a.enriched
            );
            std::process::exit(0);
        }
        Ok((a, naive(&o)?))
    };
    let (a, b) = match run() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("bench_ctr: {e}");
            std::process::exit(1);
        }
    };
    let total_a = a.tq_requests + a.ctr_requests;
    let total_b = b.tq_requests + b.ctr_requests;
    let n = o.indicators;
    line(
        "indicators_enriched",
        json!(a.enriched),
        "indicators",
        json!(b.enriched),
        &format!("= {n}"),
    );
    line(
        "requests_total",
        json!(total_a),
        "requests",
        json!(total_b),
        "<= 70",
    );
    line(
        "requests_ctr",
        json!(a.ctr_requests),
        "requests",
        json!(b.ctr_requests),
        "-",
    );
    line(
        "requests_threatq",
        json!(a.tq_requests),
        "requests",
        json!(b.tq_requests),
        "-",
    );
    line(
        "run_time",
        json!(round(a.secs, 3)),
        "s",
        json!(round(b.secs, 3)),
        "<= 1.5",
    );
    line(
        "request_ratio",
        json!(round(total_b as f64 / total_a.max(1) as f64, 1)),
        "x fewer requests than the peer",
        json!(1.0),
        ">= 50",
    );
    line(
        "time_ratio",
        json!(round(b.secs / a.secs.max(1e-9), 1)),
        "x faster than the peer",
        json!(1.0),
        "-",
    );
    if a.enriched != n || b.enriched != n {
        eprintln!(
            "bench_ctr: not every indicator was enriched (ours {}, peer {}, of {n})",
            a.enriched, b.enriched
        );
        std::process::exit(1);
    }
}
