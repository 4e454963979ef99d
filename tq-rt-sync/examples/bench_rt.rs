//! The tq-rt-sync benchmark (issue 12), run by `scripts/bench.d/rt.sh`. Real Request Tracker
//! (tq_testkit::rigs::rt), FakeThreatQ with 5 ms added to every request, the release binary.
//!
//! - action cold start: process start to its first request (RT's REST API, here a TCP
//!   listener that answers nothing), median of 30;
//! - a full sync (Create) of a ticket with 50 indicator values (and an adversary, a campaign,
//!   a tag, an attribute): ThreatQ requests (FakeThreatQ's log) and RT requests (the sync's
//!   own count), on a ThreatQ that has the Campaign event type and on one that has not; beside
//!   it the original's flow on the same data and fakes: one ThreatQ request per indicator
//!   (find, create, link) and per attribute, and RT read and written field by field;
//! - cron: 1,000 RT tickets whose ThreatQ events (each with an attribute and 2 indicators)
//!   are new to the connector (first run), then the same events touched again (an attribute
//!   each), then a run with no change: total requests and wall time.
//!
//! Prints one JSON object per line:
//! `{"bench":"rt","metric":...,"value":N,"unit":...,"target":...,"peer":...,"peer_value":N}`.
//!
//! Usage: `bench_rt [--bin PATH] [--tickets N] [--latency-ms N] [--runs N]`
//! (`RT_BENCH_LOG=1` prints the runs' logs on stderr).

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_common::http::{Http, HttpSettings};
use tq_common::threatq::{Collection, IndicatorUpsert, NameRef, ObjRef, SourceWrite};
use tq_common::Secret;
use tq_rt_sync::rt::{CfValue, NewTicket, RtClient, TicketUpdate};
use tq_testkit::bench::{self, Common};
use tq_testkit::rigs::rt::{Rt, RtOptions, QUEUE_INCIDENTS, ROOT, SYNC_USER};
use tq_testkit::threatq::FakeThreatQ;

const PEER: &str = "the original's flow";

struct Opts {
    common: Common,
    tickets: usize,
    runs: usize,
}

/// The command line; a bad one: exit 2 with a message naming the argument.
fn opts() -> Opts {
    let (mut tickets, mut runs) = (1000, 30);
    let common = bench::read_args("tq-rt-sync", |flag, args| {
        match flag {
            "--tickets" => tickets = args.parse()?,
            "--runs" => runs = args.parse()?,
            _ => return Ok(false),
        }
        Ok(true)
    });
    Opts {
        common,
        tickets,
        runs,
    }
}

fn emit(v: Value) {
    println!("{v}");
}

fn logging() -> bool {
    std::env::var_os("RT_BENCH_LOG").is_some()
}

/// The settings the extension hands over.
fn handover(tq: &FakeThreatQ, web_url: &str) -> String {
    json!({
        "version": 1,
        "ThreatQ_Host": tq.url(), "ThreatQ_User": tq.username(),
        "ThreatQ_Password": tq.password(), "ThreatQ_CID": tq.client_id(),
        "ThreatQ_Status": "Review", "ThreatQ_Use_SSL": "1",
        "ThreatQ_CA_File": tq.ca_file().display().to_string(),
        "RT_User_For_ThreatQ": SYNC_USER.name, "RT_Password_For_ThreatQ": SYNC_USER.password,
        "RT_Queues_For_ThreatQ": QUEUE_INCIDENTS, "WebURL": web_url, "rtname": "rt.bench",
        "ThreatQ_Create_Wait": "0",
    })
    .to_string()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

/// Process start to the first byte of its first request.
fn cold_start(o: &Opts, tq: &FakeThreatQ) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let input = handover(tq, &url);
    let mut times = Vec::new();
    for _ in 0..o.runs + 1 {
        let t0 = Instant::now();
        let mut child = Command::new(&o.common.bin)
            .args(["action", "--ticket", "1", "--type", "Comment"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", o.common.bin.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        let (mut sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let mut b = [0u8; 1];
        sock.read_exact(&mut b).map_err(|e| e.to_string())?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        drop(sock);
        let _ = child.kill();
        let _ = child.wait();
    }
    times.remove(0); // warm-up
    emit(
        json!({"bench":"rt","metric":"action cold start to first request","value":(median(times) * 100.0).round() / 100.0,
        "unit":"ms","target":"<= 5 ms","note":format!("median of {}", o.runs)}),
    );
    Ok(())
}

fn http(tq: &FakeThreatQ) -> Http {
    Http::new(HttpSettings {
        ca_file: Some(tq.ca_file().to_path_buf()),
        ..HttpSettings::default()
    })
    .expect("http")
}

fn client(rt: &Rt, user: tq_testkit::rigs::rt::RtUser) -> RtClient {
    RtClient::new(
        Http::new(HttpSettings::default()).expect("http"),
        &rt.url(),
        user.name,
        Secret::new(user.password),
    )
    .expect("rt client")
}

/// The test ticket: 50 indicator values, one adversary, a campaign, a tag, an attribute.
fn fifty(tag: &str) -> NewTicket {
    let ips: Vec<String> = (1..=30).map(|i| format!("100.70.{tag}.{i}")).collect();
    let domains: Vec<String> = (1..=15)
        .map(|i| format!("h{i}.{tag}.bench.example"))
        .collect();
    let hashes: Vec<String> = (1..=5).map(|i| format!("{tag}{i:031x}")).collect();
    NewTicket::new(QUEUE_INCIDENTS, &format!("bench {tag}"))
        .cf("IP", CfValue::Multi(ips))
        .cf("Domains", CfValue::Multi(domains))
        .cf("HASH", CfValue::Multi(hashes))
        .cf(
            "Threat Actors",
            CfValue::Multi(vec![format!("Bench Bear {tag}")]),
        )
        .cf(
            "Threat Campaign",
            CfValue::Single(format!("Operation {tag}")),
        )
        .cf("Tags", CfValue::Multi(vec!["bench".into()]))
        .cf("Classification", CfValue::Single("Benchmark".into()))
}

fn run_action(o: &Opts, tq: &FakeThreatQ, rt: &Rt, ticket: u64) -> Result<String, String> {
    let mut child = Command::new(&o.common.bin)
        .args([
            "action",
            "--ticket",
            &ticket.to_string(),
            "--type",
            "Create",
        ])
        .args(if logging() { &["-v", "3"][..] } else { &[][..] })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("stdin")?
        .write_all(handover(tq, &rt.url()).as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if logging() {
        eprint!("{text}");
    }
    if !out.status.success() {
        return Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(text)
}

fn rt_count(text: &str) -> u64 {
    text.find(" Request Tracker requests")
        .and_then(|i| text[..i].rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// The original's flow for one ticket, on the same fakes: field by field.
fn original_flow(tq: &FakeThreatQ, rt: &Rt, ticket: u64) -> Result<(usize, u64), String> {
    let e = |e: tq_common::Error| e.to_string();
    let before = tq.request_count();
    let c = client(rt, SYNC_USER);
    c.login().map_err(e)?;
    let t = c.ticket(ticket).map_err(e)?;
    c.links(ticket).map_err(e)?;
    c.history(ticket).map_err(e)?;
    let q = tq_common::threatq::ThreatQ::new(
        tq_common::threatq::ThreatQSettings {
            base_url: tq.url(),
            client_id: Secret::new(tq.client_id()),
            username: tq.username().to_string(),
            password: Secret::new(tq.password()),
            status: "Review".into(),
        },
        http(tq),
    );
    let source = "Request Tracker original";
    let found = q
        .events_by_attribute("RT Ticket ID", &ticket.to_string())
        .map_err(e)?;
    let ev = match found.first() {
        Some(ev) => ev.clone(),
        None => q
            .create_event(&tq_common::threatq::EventCreate::new(
                format!("RT #{ticket}: {}", t.subject()),
                "Incident",
                "2026-01-01 00:00:00",
                source,
            ))
            .map_err(e)?,
    };
    let obj = ObjRef::event(ev.id);
    for (name, value) in [
        ("RT Ticket ID", ticket.to_string()),
        ("Status", QUEUE_INCIDENTS.into()),
        ("Classification", "Benchmark".into()),
    ] {
        q.add_attributes(
            &obj,
            &[tq_common::threatq::AttributeWrite::new(name, value, source)],
        )
        .map_err(e)?;
    }
    let desired = tq_rt_sync::mapping::Desired::of(&t);
    let mut indicator_ids = Vec::new();
    for (v, kind) in &desired.indicators {
        q.indicators_by_value(v).map_err(e)?;
        let mut u = IndicatorUpsert::new(v.clone(), *kind);
        u.status = Some(NameRef::new("Review"));
        u.sources = vec![SourceWrite::new(source)];
        let made = q.consume_indicators(&[u]).map_err(e)?;
        q.link(&obj, &Collection::Indicators, &[made[0].id])
            .map_err(e)?;
        indicator_ids.push((made[0].id, v.clone(), *kind));
    }
    for a in &desired.adversaries {
        let adv = q.find_or_create_adversary(a, source).map_err(e)?;
        q.link(&obj, &Collection::Adversaries, &[adv.id])
            .map_err(e)?;
    }
    if let Some(c) = &desired.campaign {
        q.ensure_event_type("Campaign").map_err(e)?;
        let camp = q
            .create_event(&tq_common::threatq::EventCreate::new(
                c,
                "Campaign",
                "2026-01-01 00:00:00",
                source,
            ))
            .map_err(e)?;
        q.link(&obj, &Collection::Events, &[camp.id]).map_err(e)?;
    }
    for tag in &desired.tags {
        q.add_tags(&obj, &[tag.as_str()]).map_err(e)?;
    }
    // The same values ours writes back, one field per request.
    let link = format!("{}/events/{}/details", tq.url(), ev.id);
    let lines: Vec<String> = indicator_ids
        .iter()
        .map(|(id, v, k)| format!("{k}: {v} {}/indicators/{id}/details", tq.url()))
        .collect();
    c.edit_ticket(
        ticket,
        &TicketUpdate::new().set_cf("ThreatQ Link", CfValue::Single(link)),
    )
    .map_err(e)?;
    c.edit_ticket(
        ticket,
        &TicketUpdate::new().set_cf("ThreatQ Indicators", CfValue::Multi(lines)),
    )
    .map_err(e)?;
    Ok((tq.request_count() - before, c.requests()))
}

fn full_sync(o: &Opts, rt: &Rt) -> Result<(), String> {
    let root = client(rt, ROOT);
    // A ThreatQ that never had a campaign from RT (the sync creates the event type once).
    let tq = FakeThreatQ::builder().shuffled_ids(true).start();
    tq.set_latency(o.common.latency);
    let first = root.create_ticket(&fifty("1")).map_err(|e| e.to_string())?;
    let before = tq.request_count();
    let text = run_action(o, &tq, rt, first)?;
    let first_tq = tq.request_count() - before;
    // The same ThreatQ, a second ticket: the steady state.
    let second = root.create_ticket(&fifty("2")).map_err(|e| e.to_string())?;
    let before = tq.request_count();
    let t0 = Instant::now();
    let text2 = run_action(o, &tq, rt, second)?;
    let secs = t0.elapsed().as_secs_f64();
    let tq_n = tq.request_count() - before;
    // The original's flow on a fresh ThreatQ with the type, a third ticket like them.
    let peer_tq = FakeThreatQ::builder().shuffled_ids(true).start();
    tq_testkit::clients::threatq(&peer_tq)
        .ensure_event_type("Campaign")
        .map_err(|e| e.to_string())?;
    peer_tq.set_latency(o.common.latency);
    let third = root.create_ticket(&fifty("3")).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let (peer_n, peer_rt) = original_flow(&peer_tq, rt, third)?;
    let peer_secs = t0.elapsed().as_secs_f64();
    emit(
        json!({"bench":"rt","metric":"full sync of a 50-indicator ticket: ThreatQ requests","value":tq_n,"unit":"requests",
        "target":"<= 12","peer":PEER,"peer_value":peer_n,
        "note":format!("{first_tq} on a ThreatQ without the Campaign event type (made once)")}),
    );
    emit(
        json!({"bench":"rt","metric":"full sync of a 50-indicator ticket: RT requests","value":rt_count(&text2),"unit":"requests",
        "target":"<= 3","peer":PEER,"peer_value":peer_rt,
        "note":format!("first sync of this RT user: {}", rt_count(&text))}),
    );
    emit(
        json!({"bench":"rt","metric":"full sync of a 50-indicator ticket: wall time","value":(secs * 1000.0).round(),"unit":"ms",
        "peer":PEER,"peer_value":(peer_secs * 1000.0).round(),
        "note":format!("{} ms latency on ThreatQ; real RT", o.common.latency.as_millis())}),
    );
    Ok(())
}

fn write_cron_config(dir: &Path, tq: &FakeThreatQ, rt: &Rt) {
    let ini = format!(
        "{}[connector]\nrt_host = {}\nrt_username = {}\nrt_password = {}\n",
        tq.threatq_section("Review"),
        rt.url(),
        SYNC_USER.name,
        SYNC_USER.password
    );
    let p = dir.join("tq-rt-sync.ini");
    std::fs::write(&p, ini).expect("ini");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

fn cron_run(o: &Opts, dir: &Path) -> Result<(f64, u64), String> {
    let t0 = Instant::now();
    let out = o.common.run(dir, &["-v", "2"])?;
    let secs = t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if logging() {
        eprint!("{text}");
    }
    Ok((secs, rt_count(&text)))
}

fn cron(o: &Opts, rt: &Rt) -> Result<(), String> {
    let tq = FakeThreatQ::builder().shuffled_ids(true).start();
    let source = format!("Request Tracker 127.0.0.1:{}", rt.port());
    let root = client(rt, ROOT);
    let t0 = Instant::now();
    let ids: Vec<u64> = std::thread::scope(|s| {
        let chunks: Vec<Vec<usize>> = (0..o.tickets)
            .collect::<Vec<_>>()
            .chunks(o.tickets.div_ceil(4).max(1))
            .map(|c| c.to_vec())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| {
                let root = &root;
                s.spawn(move || {
                    c.iter()
                        .map(|i| {
                            root.create_ticket(&NewTicket::new(
                                QUEUE_INCIDENTS,
                                &format!("cron {i}"),
                            ))
                        })
                        .collect::<Result<Vec<u64>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Result<Vec<Vec<u64>>, _>>()
            .map(|v| v.concat())
    })
    .map_err(|e| e.to_string())?;
    eprintln!(
        "bench rt: {} tickets made in {:.1} s",
        ids.len(),
        t0.elapsed().as_secs_f64()
    );
    let mut events = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let ev = tq.add_object(
            "events",
            json!({"title": format!("RT #{id}: cron {n}"), "type": "Incident",
                   "sources": [{"name": source}],
                   "attributes": [{"name": "RT Ticket ID", "value": id.to_string()},
                                  {"name": "Severity", "value": "High"}]}),
        );
        for k in 0..2 {
            let ind = tq.add_indicator(&format!("c{n}-{k}.cron.example"), "FQDN", "Active");
            tq.link("events", ev, "indicators", ind);
        }
        events.push(ev);
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    write_cron_config(dir.path(), &tq, rt);
    tq.set_latency(o.common.latency);
    let report = |what: &str, secs: f64, tq_n: usize, rt_n: u64| {
        emit(
            json!({"bench":"rt","metric":format!("cron, {what}: requests"),"value":tq_n as u64 + rt_n,"unit":"requests",
            "note":format!("ThreatQ {tq_n}, RT {rt_n}")}),
        );
        emit(
            json!({"bench":"rt","metric":format!("cron, {what}: wall time"),"value":(secs * 100.0).round() / 100.0,"unit":"s",
            "note":format!("{} ms latency on ThreatQ; real RT", o.common.latency.as_millis())}),
        );
    };
    let before = tq.request_count();
    let (secs, rt_n) = cron_run(o, dir.path())?;
    report(
        &format!("first run, {} events new to it", o.tickets),
        secs,
        tq.request_count() - before,
        rt_n,
    );
    tq.set_latency(Duration::ZERO);
    std::thread::sleep(Duration::from_millis(1100));
    for ev in &events {
        tq.add_attribute("events", *ev, "Confidence", "Medium", Some("Analyst"));
    }
    tq.set_latency(o.common.latency);
    let before = tq.request_count();
    let (secs, rt_n) = cron_run(o, dir.path())?;
    report(
        &format!("{} touched events", o.tickets),
        secs,
        tq.request_count() - before,
        rt_n,
    );
    let before = tq.request_count();
    let (secs, rt_n) = cron_run(o, dir.path())?;
    report("no change", secs, tq.request_count() - before, rt_n);
    Ok(())
}

fn main() {
    let o = opts();
    // Measured first, before RT starts: a starting RT keeps both cores busy for seconds.
    let tq = FakeThreatQ::start();
    let result = cold_start(&o, &tq).and_then(|_| {
        let rt = Rt::start(RtOptions {
            site_config:
                "Set($ThreatQ_Sync_Binary, '/bin/false');\nSet($RT_Queues_For_ThreatQ, '');\n"
                    .into(),
            workers: 4,
            ..RtOptions::default()
        });
        full_sync(&o, &rt).and_then(|_| cron(&o, &rt))
    });
    if let Err(e) = result {
        eprintln!("bench_rt: {e}");
        std::process::exit(1);
    }
}
