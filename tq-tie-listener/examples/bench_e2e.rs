//! End-to-end benchmark: DXL events through a real mosquitto (TLS, client certificates)
//! into the real `tq-tie-listener` binary and on to FakeThreatQ (issue 5: ≥ 5,000 changes/s
//! sustained, ThreatQ requests ≤ changes ÷ 400, steady RSS ≤ 8 MiB).
//!
//!     cargo build --release -p tq-tie-listener --bins --examples
//!     target/release/examples/bench_e2e [CHANGES] [RATE_PER_S]
//!
//! CHANGES distinct files (default 50,000), each an Enterprise "Known Malicious" change with
//! MD5, SHA-1 and SHA-256, published at RATE_PER_S (default: as fast as the publisher goes).
//! Measured: changes/s from the first publish until ThreatQ holds every indicator, ThreatQ
//! requests during that span, the listener's VmRSS after the run (steady) and VmHWM (peak).
//!
//! With `TQ_BENCH_SINK=1` ThreatQ is a minimal stand-in (token, the existence query and
//! bulk consume answered in constant time per item, on the shared test server) instead of
//! FakeThreatQ, so that the figure is the listener's own ceiling (FakeThreatQ parses, checks
//! and stores every indicator and takes about 50 ms per 1,500). `TQ_BENCH_VERBOSITY` sets
//! the listener's `-v` (default 2); `TQ_DUMP_SMAPS=1` prints where its resident memory is
//! after the run. `TQ_BENCH_LATENCY_MS` adds latency to every
//! request.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tq_testkit::bench::default_bin;
use tq_testkit::certs::TestCa;
use tq_testkit::procfs::Proc;
use tq_testkit::rigs::dxl::{repchange_payload, BrokerEntry, ClientDir, FileHashes, KeyForm, Rep};
use tq_testkit::rigs::mosquitto::{Mosquitto, MosquittoOptions, Queue};
use tq_testkit::rigs::TempDir;
use tq_testkit::server::{Request, Response, TestServer};
use tq_testkit::threatq::FakeThreatQ;

/// What the listener is pointed at.
enum Target {
    Fake(FakeThreatQ),
    Sink {
        server: TestServer,
        ca: std::path::PathBuf,
        items: Arc<AtomicUsize>,
        _dir: TempDir,
    },
}

impl Target {
    fn url(&self) -> String {
        match self {
            Target::Fake(f) => f.url(),
            Target::Sink { server, .. } => server.url(),
        }
    }
    fn ca_file(&self) -> std::path::PathBuf {
        match self {
            Target::Fake(f) => f.ca_file().to_path_buf(),
            Target::Sink { ca, .. } => ca.clone(),
        }
    }
    fn creds(&self) -> (String, String, String) {
        match self {
            Target::Fake(f) => (
                f.client_id().to_string(),
                f.username().to_string(),
                f.password().to_string(),
            ),
            Target::Sink { .. } => (
                "bench-client".into(),
                "bench@example.com".into(),
                "bench-pw".into(),
            ),
        }
    }
    fn indicators(&self) -> usize {
        match self {
            Target::Fake(f) => f.object_count("indicators"),
            Target::Sink { items, .. } => items.load(Ordering::Relaxed),
        }
    }
    fn request_count(&self) -> usize {
        match self {
            Target::Fake(f) => f.request_count(),
            Target::Sink { server, .. } => server.request_count(),
        }
    }
    fn set_latency(&self, d: Duration) {
        match self {
            Target::Fake(f) => f.set_latency(d),
            Target::Sink { server, .. } => server.set_latency(d),
        }
    }
}

/// Token, the existence query (nothing exists) and bulk consume, constant time per item:
/// `{"total": n, "data": [{id, value}]}`.
fn sink(ca: &TestCa) -> Target {
    let dir = TempDir::new("tq-sink");
    let ca_path = dir.path().join("ca.pem");
    ca.write_cert(&ca_path).expect("ca");
    let items = Arc::new(AtomicUsize::new(0));
    let counter = items.clone();
    let next_id = Arc::new(AtomicUsize::new(1));
    let handler = move |req: &Request| -> Response {
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/api/token") => Response::json(
                200,
                &serde_json::json!({"access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600}),
            ),
            // Which of a batch's values exist: none (every change is a new file).
            ("POST", "/api/indicators/query") => Response::json(
                200,
                &serde_json::json!({"total": 0, "data": [], "limit": 500, "offset": 0}),
            ),
            ("POST", "/api/indicators/consume") => {
                // Cheap on purpose (the sink shares the 2 cores with the listener): only
                // indicators carry "type":{"name":..}, and the body's keys are sorted, so each
                // indicator's "value" follows its type; no JSON tree is built.
                let body = String::from_utf8_lossy(&req.body);
                let mut out = String::with_capacity(body.len() / 4);
                let mut n = 0usize;
                for part in body.split("\"type\":{\"name\":\"").skip(1) {
                    let value = part
                        .split_once("\"value\":\"")
                        .and_then(|(_, v)| v.split('"').next())
                        .unwrap_or("");
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    if n > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!(
                        "{{\"id\":{id},\"value\":\"{value}\",\"type_id\":1,\"status_id\":4,\"created_at\":\"2026-11-23 00:00:00\",\"updated_at\":\"2026-11-23 00:00:00\"}}"
                    ));
                    n += 1;
                }
                if n == 0 {
                    return Response::json(422, &serde_json::json!({"errors": ["no indicators"]}));
                }
                counter.fetch_add(n, Ordering::Relaxed);
                Response::bytes(
                    200,
                    "application/json",
                    format!("{{\"total\":{n},\"data\":[{out}]}}").into_bytes(),
                )
            }
            _ => Response::json(404, &serde_json::json!({"errors": ["not found"]})),
        }
    };
    let id = ca
        .issue_server("localhost", &["localhost", "127.0.0.1"])
        .identity();
    let server = TestServer::https(id, handler).expect("sink");
    Target::Sink {
        server,
        ca: ca_path,
        items,
        _dir: dir,
    }
}
use tq_tie_listener::dxl;
use tq_tie_listener::mqtt::{self, Connection, Options};
use tq_tie_listener::repchange::TOPIC_FILE_REPCHANGE;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let rate: Option<f64> = args.next().and_then(|a| a.parse().ok());
    let bin = default_bin("tq-tie-listener");
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release -p tq-tie-listener --bins"
    );

    let ca = TestCa::new("e2e CA");
    let broker = Mosquitto::start(
        &ca,
        MosquittoOptions {
            queue: Queue::Unbounded,
            ..MosquittoOptions::default()
        },
    );
    let entry = BrokerEntry::local(broker.port());
    let ours = ClientDir::create(
        &ca,
        "tq-tie-listener",
        std::slice::from_ref(&entry),
        KeyForm::Pkcs8,
    );
    let publisher = ClientDir::create(&ca, "publisher", &[entry], KeyForm::Pkcs8);
    let tq = if std::env::var_os("TQ_BENCH_SINK").is_some() {
        sink(&ca)
    } else {
        Target::Fake(FakeThreatQ::start())
    };
    if let Some(ms) = std::env::var("TQ_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        tq.set_latency(Duration::from_millis(ms));
    }
    let (client_id, username, password) = tq.creds();
    let dir = TempDir::new("tq-tie-e2e");
    let ini = dir.path().join("tq-tie-listener.ini");
    let url = tq.url();
    let tls = if std::env::var_os("TQ_BENCH_NO_VERIFY").is_some() {
        "verify_tls = false".to_string()
    } else {
        format!("ca_file = {}", tq.ca_file().display())
    };
    let cert_dir = ours.dir.display();
    let text = format!(
        "[threatq]\nhost = {url}\nclient_id = {client_id}\nusername = {username}\n\
         password = {password}\nstatus = Review\n{tls}\n\n[connector]\ncert_dir = {cert_dir}\n"
    );
    std::fs::write(&ini, text).expect("ini");
    let log = dir.path().join("console.log");
    let out = std::fs::File::create(&log).expect("log");
    let mut child = Command::new(&bin)
        .arg("-c")
        .arg(dir.path())
        .args(["-ll", "stdout", "-v"])
        .arg(std::env::var("TQ_BENCH_VERBOSITY").unwrap_or_else(|_| "2".into()))
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone"))
        .stderr(out)
        .spawn()
        .expect("start listener");
    let pid = child.id();
    let t = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("listening:")
    {
        assert!(t.elapsed() < Duration::from_secs(20), "listener not ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    let startup_rss = Proc::pid(pid).status_kb("VmRSS:");

    // Pre-encode every event (publisher cost should not be ours).
    let events: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let p = repchange_payload(
                &FileHashes::numbered(i),
                &[Rep::enterprise(1, 1451504331, i % 1000), Rep::gti(1)],
                &[Rep::enterprise(50, 1451504331, i % 1000), Rep::gti(1)],
                1732280400,
            )
            .to_string();
            dxl::Outgoing::event(&format!("{{bench-{i}}}"), p.as_bytes()).encode()
        })
        .collect();
    let tls = mqtt::client_tls(&publisher.ca_bundle, &publisher.cert, &publisher.key).expect("tls");
    let mut o = Options::new(mqtt::random_client_id());
    o.connect_timeout = Duration::from_secs(10);
    let mut c = Connection::open("127.0.0.1", broker.port(), &tls, &o).expect("publisher");
    let base_requests = tq.request_count();
    let cpu0 = Proc::pid(pid).cpu_s();
    let t0 = Instant::now();
    let mut max_rss = 0;
    for (i, e) in events.iter().enumerate() {
        c.queue_publish(TOPIC_FILE_REPCHANGE, e).expect("publish");
        if let Some(r) = rate {
            let due = t0 + Duration::from_secs_f64(i as f64 / r);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                c.flush().expect("flush");
                std::thread::sleep(wait);
            }
        }
        if i % 5000 == 0 {
            max_rss = max_rss.max(Proc::pid(pid).status_kb("VmRSS:"));
        }
    }
    c.flush().expect("flush");
    let published = t0.elapsed();
    let want = (n * 3) as usize;
    loop {
        let have = tq.indicators();
        max_rss = max_rss.max(Proc::pid(pid).status_kb("VmRSS:"));
        if have >= want {
            break;
        }
        if t0.elapsed() > Duration::from_secs(600) {
            eprintln!("only {have} of {want} indicators after 600 s");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let span = t0.elapsed();
    let requests = tq.request_count() - base_requests;
    let cpu = Proc::pid(pid).cpu_s() - cpu0;
    std::thread::sleep(Duration::from_secs(2));
    let steady_rss = Proc::pid(pid).status_kb("VmRSS:");
    let hwm = Proc::pid(pid).status_kb("VmHWM:");
    if std::env::var_os("TQ_DUMP_SMAPS").is_some() {
        Proc::pid(pid).print_rss_by_mapping();
        print_anonymous_mappings(pid);
    }
    if std::env::var_os("TQ_BENCH_SHOW_LOG").is_some() {
        eprintln!("{}", std::fs::read_to_string(&log).unwrap_or_default());
    }
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    c.disconnect();
    let rate_e2e = n as f64 / span.as_secs_f64();
    println!(
        "changes {n}  published in {:.2} s ({:.0}/s)  all in ThreatQ after {:.2} s  =>  {rate_e2e:.0} changes/s",
        published.as_secs_f64(),
        n as f64 / published.as_secs_f64(),
        span.as_secs_f64()
    );
    println!(
        "ThreatQ requests {requests}  => one per {:.0} changes; listener CPU {cpu:.2} s => {:.0} changes per CPU-second",
        n as f64 / requests.max(1) as f64,
        n as f64 / cpu.max(0.01)
    );
    println!(
        "listener RSS: after start {startup_rss} kB, max during run {max_rss} kB, steady after run {steady_rss} kB, VmHWM {hwm} kB"
    );
    println!(
        "{{\"changes\":{n},\"changes_per_s\":{rate_e2e:.0},\"requests\":{requests},\"changes_per_request\":{:.1},\"rss_start_kB\":{startup_rss},\"rss_max_kB\":{max_rss},\"rss_steady_kB\":{steady_rss},\"vmhwm_kB\":{hwm},\"listener_cpu_s\":{cpu:.2}}}",
        n as f64 / requests.max(1) as f64
    );
}

/// Each mapping of `pid` with its size and resident part (file: the program and library
/// segments; anon: thread stacks, malloc arenas, large allocations), for `TQ_DUMP_SMAPS=1`.
fn print_anonymous_mappings(pid: u32) {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut head = String::new();
    let mut size = 0;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            head = line.to_string();
        } else if let Some(v) = line.strip_prefix("Size:") {
            size = v
                .trim()
                .trim_end_matches(" kB")
                .trim()
                .parse::<u64>()
                .unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("Rss:") {
            let rss = v
                .trim()
                .trim_end_matches(" kB")
                .trim()
                .parse::<u64>()
                .unwrap_or(0);
            let fields: Vec<&str> = head.split_whitespace().collect();
            let anonymous = fields.len() < 6 || fields[5].starts_with('[');
            if rss > 0 {
                let kind = if anonymous { "anon" } else { "file" };
                eprintln!("{kind} {:>8} kB of {size:>8} kB  {head}", rss);
            }
        }
    }
}
