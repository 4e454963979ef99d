//! Subscriber benchmark through a real mosquitto over TLS with client certificates, ours
//! (`examples/dxl_sub.rs`) side by side with the Python peer (dxlclient 5.7.0.1 with an empty
//! callback, `bench/peer_dxl_sub.py` = research/peer-bench/dxl_sub.py) on the same broker and
//! the same published stream (research/peer-bench.md A).
//!
//!     cargo build --release -p tq-tie-listener --examples
//!     target/release/examples/bench_mqtt [N] [RUNS]
//!
//! Cases, each RUNS times with N copies of research sample A (1,374 bytes):
//! - `sustained`: broker queue unbounded, the stream from a fast publisher (our MQTT client,
//!   64 KiB writes) so the subscriber is the bottleneck: rate, CPU, peak RSS, nothing lost.
//! - `drain` (ours only): as `sustained`, but the subscriber starts reading only after the
//!   publisher is done, so the broker holds the whole stream and the publisher does not
//!   compete for the 2 cores: what mosquitto + our subscriber sustain together.
//! - `burst`: mosquitto's default queue (1000), the stream from `mosquitto_pub --repeat N`
//!   as in the peer benchmark: how much of the burst each subscriber loses.
//!
//! Needs `scripts/rigs/install`. Prints a table and one JSON line per run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_common::tls::StreamConnector;
use tq_testkit::certs::TestCa;
use tq_testkit::rigs::dxl::{venv_python, BrokerEntry, ClientDir, KeyForm};
use tq_testkit::rigs::mosquitto::{Mosquitto, MosquittoOptions, Queue};
use tq_tie_listener::mqtt::{self, Connection, Options};
use tq_tie_listener::repchange::TOPIC_FILE_REPCHANGE;

fn sample_a() -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/dxl-tie-repchange-a-eicar-v2.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    let body = &text[text.find("## HEX").expect("HEX")..];
    let body = &body[body.find('\n').expect("line") + 1..];
    let hex: String = body[..body.find("\n## ").expect("end")]
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    tq_testkit::rigs::unhex(&hex)
}

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Ours,
    Peer,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Ours => "tq-tie-listener (Rust)",
            Who::Peer => "dxlclient 5.7.0.1 (Python)",
        }
    }
}

fn spawn_subscriber(who: Who, dir: &Path, n: usize, drain: bool) -> Child {
    let mut cmd = match who {
        Who::Ours => {
            let exe = std::env::current_exe().expect("current exe");
            let mut c = Command::new(exe.with_file_name("dxl_sub"));
            c.arg(dir).arg(n.to_string()).arg("3");
            if drain {
                c.env("TQ_SUB_WAIT_GO", "1");
            }
            c
        }
        Who::Peer => {
            let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/peer_dxl_sub.py");
            let mut c = Command::new(venv_python());
            c.arg(script).arg(n.to_string()).arg("3");
            c
        }
    };
    cmd.current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start subscriber")
}

/// Publishes n copies with our client, batching writes. Returns messages/s.
fn fast_publish(port: u16, tls: &StreamConnector, msg: &[u8], n: usize) -> f64 {
    let mut o = Options::new(mqtt::random_client_id());
    o.connect_timeout = Duration::from_secs(10);
    let mut c = Connection::open("127.0.0.1", port, tls, &o).expect("publisher connects");
    let t = Instant::now();
    for _ in 0..n {
        c.queue_publish(TOPIC_FILE_REPCHANGE, msg).expect("publish");
    }
    c.flush().expect("flush");
    let rate = n as f64 / t.elapsed().as_secs_f64();
    // Let the broker take the last bytes before DISCONNECT.
    std::thread::sleep(Duration::from_millis(200));
    c.disconnect();
    rate
}

fn mosquitto_pub(port: u16, dir: &ClientDir, msg_file: &Path, n: usize) -> f64 {
    let t = Instant::now();
    let st = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--insecure",
            "-q",
            "0",
        ])
        .arg("--cafile")
        .arg(&dir.ca_bundle)
        .arg("--cert")
        .arg(&dir.cert)
        .arg("--key")
        .arg(&dir.key)
        .args(["-i", "bench-pub", "-t", TOPIC_FILE_REPCHANGE, "-f"])
        .arg(msg_file)
        .args(["--repeat", &n.to_string(), "--repeat-delay", "0"])
        .status()
        .expect("mosquitto_pub");
    assert!(st.success(), "mosquitto_pub failed");
    n as f64 / t.elapsed().as_secs_f64()
}

/// One broker with its client directories and the message to publish.
struct Rig<'a> {
    broker: &'a Mosquitto,
    sub_dir: &'a ClientDir,
    pub_dir: &'a ClientDir,
    msg: &'a [u8],
    msg_file: &'a Path,
}

fn run_once(who: Who, case: &str, rig: &Rig<'_>, n: usize) -> Value {
    let Rig {
        broker,
        sub_dir,
        pub_dir,
        msg,
        msg_file,
    } = *rig;
    let t0 = Instant::now();
    let drain = case == "drain";
    let mut child = spawn_subscriber(who, &sub_dir.dir, n, drain);
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(first.starts_with("SUBSCRIBED"), "{}: {first:?}", who.name());
    let cold = t0.elapsed().as_secs_f64();
    let pub_rate = if case != "burst" {
        let tls = mqtt::client_tls(&pub_dir.ca_bundle, &pub_dir.cert, &pub_dir.key)
            .expect("publisher TLS");
        fast_publish(broker.port(), &tls, msg, n)
    } else {
        mosquitto_pub(broker.port(), pub_dir, msg_file, n)
    };
    if drain {
        use std::io::Write as _;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"GO\n");
        }
    }
    let line = lines.next().and_then(Result::ok).unwrap_or_default();
    let _ = child.wait();
    let mut v: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("{}: bad result line {line:?}: {e}", who.name()));
    let received = v["received"].as_u64().unwrap_or(0);
    v["who"] = json!(who.name());
    v["case"] = json!(case);
    v["n"] = json!(n);
    v["lost"] = json!(n as u64 - received.min(n as u64));
    v["cold_start_s"] = json!(cold);
    v["pub_rate"] = json!(pub_rate);
    v
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        0.0
    } else {
        v[v.len() / 2]
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let msg = sample_a();
    let ca = TestCa::new("bench CA");
    let mut all: Vec<Value> = Vec::new();
    for (case, queue) in [
        ("sustained", Queue::Unbounded),
        ("drain", Queue::Unbounded),
        ("burst", Queue::Default),
    ] {
        let broker = Mosquitto::start(
            &ca,
            MosquittoOptions {
                queue,
                ..MosquittoOptions::default()
            },
        );
        let entry = BrokerEntry::local(broker.port());
        let sub_dir = ClientDir::create(
            &ca,
            "bench-sub",
            std::slice::from_ref(&entry),
            KeyForm::Pkcs8,
        );
        let pub_dir = ClientDir::create(&ca, "bench-pub", &[entry], KeyForm::Pkcs8);
        let msg_file = pub_dir.dir.join("msg.bin");
        std::fs::write(&msg_file, &msg).expect("msg.bin");
        let subscribers: &[Who] = if case == "drain" {
            &[Who::Ours]
        } else {
            &[Who::Ours, Who::Peer]
        };
        for &who in subscribers {
            for _ in 0..runs {
                let rig = Rig {
                    broker: &broker,
                    sub_dir: &sub_dir,
                    pub_dir: &pub_dir,
                    msg: &msg,
                    msg_file: &msg_file,
                };
                let v = run_once(who, case, &rig, n);
                println!("{v}");
                all.push(v);
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
    println!();
    println!(
        "{:<10} {:<28} {:>12} {:>12} {:>10} {:>12} {:>10} {:>12}",
        "case", "subscriber", "events/s", "per CPU-s", "lost", "VmHWM kB", "cold s", "publisher/s"
    );
    let mut summary = Vec::new();
    for case in ["sustained", "drain", "burst"] {
        for who in [Who::Ours, Who::Peer] {
            let rs: Vec<&Value> = all
                .iter()
                .filter(|v| v["case"] == case && v["who"] == who.name())
                .collect();
            if rs.is_empty() {
                continue;
            }
            let m = |k: &str| median(rs.iter().map(|v| v[k].as_f64().unwrap_or(0.0)).collect());
            println!(
                "{:<10} {:<28} {:>12.0} {:>12.0} {:>10.0} {:>12.0} {:>10.3} {:>12.0}",
                case,
                who.name(),
                m("rate"),
                m("per_cpu_s"),
                m("lost"),
                m("VmHWM_kB"),
                m("cold_start_s"),
                m("pub_rate")
            );
            summary.push(json!({"case": case, "who": who.name(), "rate": m("rate"),
                "per_cpu_s": m("per_cpu_s"), "lost": m("lost"), "VmHWM_kB": m("VmHWM_kB"),
                "cold_start_s": m("cold_start_s"), "pub_rate": m("pub_rate"), "runs": rs.len(), "n": n}));
        }
    }
    println!("{}", Value::Array(summary));
}
