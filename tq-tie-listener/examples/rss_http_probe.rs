//! Where the resident memory of the ThreatQ side goes: VmRSS after each step of a ThreatQ
//! login and bulk consumes against FakeThreatQ served by `tq-sim` in its own process.
//! `rss_http_probe` (needs `cargo build --release -p tq-testkit --bins`).
use std::io::BufRead;
use tq_common::http::{Http, HttpSettings};
use tq_common::threatq::{IndicatorUpsert, ThreatQ, ThreatQSettings};
use tq_common::Secret;
use tq_testkit::procfs::Proc;

fn show(step: &str) {
    let me = Proc::me();
    println!(
        "{step:<34} VmRSS {:>7} kB  RssAnon {:>7} kB",
        me.status_kb("VmRSS:"),
        me.status_kb("RssAnon:")
    );
}

fn main() {
    let exe = std::env::current_exe().expect("exe");
    let sim = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("tq-sim"))
        .expect("dir");
    let mut child = std::process::Command::new(sim)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("tq-sim");
    let out = child.stdout.take().expect("stdout");
    let mut kv = std::collections::HashMap::new();
    for line in std::io::BufReader::new(out).lines() {
        let line = line.expect("line");
        if line == "ready=1" {
            break;
        }
        if let Some((k, v)) = line.split_once('=') {
            kv.insert(k.to_string(), v.to_string());
        }
    }
    let get = |k: &str| kv.get(k).cloned().unwrap_or_default();
    show("start");
    let http = Http::new(HttpSettings {
        ca_file: Some(get("ca_file").into()),
        ..HttpSettings::default()
    })
    .expect("http");
    show("Http built");
    let client = ThreatQ::new(
        ThreatQSettings {
            base_url: get("url"),
            client_id: Secret::new(get("client_id")),
            username: get("username"),
            password: Secret::new(get("password")),
            status: "Review".into(),
        },
        http,
    );
    client.login().expect("login");
    show("logged in");
    for round in 0..6 {
        let items: Vec<IndicatorUpsert> = (0..500)
            .map(|i| IndicatorUpsert::new(format!("{round:02}{i:030x}"), "MD5"))
            .collect();
        client.consume_indicators(&items).expect("consume");
        show(&format!("consume 500 #{round}"));
    }
    // tq-sim stops when its stdin closes.
    drop(child.stdin.take());
    let _ = child.wait();
}
