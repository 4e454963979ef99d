//! The e-mail alerts benchmark (issue 10), run by `scripts/bench.d/email.sh`.
//!
//! 1. The run: FakeThreatQ with `--watched` indicators (default 1,000) on one user's
//!    watchlist (plus as many not watched), 5 ms latency per request; the release binary
//!    records the baseline, then `--changed` of them (default 100) get a comment and the timed
//!    run mails them to the aiosmtpd sink: ThreatQ requests and wall time of that run.
//! 2. SMTP alone: the same 100 mails, prepared, sent over one connection by the connector's
//!    `smtp::Mailer`, against the Python peer (`email_smtplib.py`: smtplib, one connection
//!    per message, the original connector's pattern) sending the same bytes to the same sink;
//!    median of `--rounds` (default 5) each.
//!
//! Prints one JSON object per line (`{"bench":"email","metric":...,"value":N,...}`).
//! Usage: `bench_email [--bin PATH] [--peer PATH] [--watched N] [--changed N] [--latency-ms N]
//! [--rounds N]`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use lettre::message::Mailbox;
use serde_json::json;
use tq_email_alerts::mail::Mail;
use tq_email_alerts::smtp::{Mailer, SmtpSettings, SMTP_TIMEOUT};
use tq_testkit::bench::{self, Common};
use tq_testkit::rigs::smtp::{SinkOptions, SmtpSink, PYTHON};
use tq_testkit::threatq::FakeThreatQ;

const USER: &str = "ann.analyst@example.com";
const FROM: &str = "alerts@tq.example";
const TO: &str = "soc@example.org";

struct Opts {
    common: Common,
    peer: PathBuf,
    watched: usize,
    changed: usize,
    rounds: usize,
}

/// The command line; a bad one: exit 2 with a message naming the argument.
fn opts() -> Opts {
    let mut peer = PathBuf::from("scripts/bench.d/email_smtplib.py");
    let (mut watched, mut changed, mut rounds) = (1000, 100, 5);
    let common = bench::read_args("tq-email-alerts", |flag, args| {
        match flag {
            "--peer" => peer = args.path()?,
            "--watched" => watched = args.parse()?,
            "--changed" => changed = args.parse()?,
            "--rounds" => rounds = args.parse::<usize>()?.max(1),
            _ => return Ok(false),
        }
        Ok(true)
    });
    Opts {
        common,
        peer,
        watched,
        changed,
        rounds,
    }
}

fn row(metric: &str, value: serde_json::Value, unit: &str, extra: serde_json::Value) {
    let mut v = json!({"bench": "email", "metric": metric, "value": value, "unit": unit});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    println!("{v}");
}

fn run_connector(o: &Opts, dir: &Path) -> Result<(), String> {
    o.common.run(dir, &["-ll", "stdout", "-v", "1"]).map(drop)
}

/// The run of the figure; returns the mails it sent (rendered by the sink).
fn the_run(o: &Opts, sink: &SmtpSink) -> Result<(), String> {
    let tq = FakeThreatQ::start();
    let ann = tq.add_user(USER, "Ann Analyst");
    let mut watched = Vec::with_capacity(o.watched);
    for i in 0..o.watched * 2 {
        let value = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
        let id = tq.add_indicator(&value, "IP Address", "Review");
        if i % 2 == 0 {
            tq.watch_as(ann, "indicators", id);
            watched.push(id);
        }
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ini = dir.path().join("tq-email-alerts.ini");
    std::fs::write(
        &ini,
        format!(
            "{}[connector]\nemail = {FROM}\nrecipients = {TO}\nsmtp_host = 127.0.0.1\nport = {}\nskip_login = true\nenable_watchlist = true\nwatchlist_users = {USER}\n",
            tq.threatq_section("Review"),
            sink.port()
        ),
    )
    .map_err(|e| e.to_string())?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ini, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| e.to_string())?;
    tq.set_latency(o.common.latency);
    run_connector(o, dir.path())?;
    let before = sink.messages().len();
    let step = (o.watched / o.changed.max(1)).max(1);
    for id in watched.iter().step_by(step).take(o.changed) {
        tq.add_comment("indicators", *id, "looked at again");
    }
    tq.clear_requests();
    let t0 = Instant::now();
    run_connector(o, dir.path())?;
    let secs = t0.elapsed().as_secs_f64();
    let requests = tq.request_count();
    let mails = sink.messages().len() - before;
    let per_object = tq
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/indicators/"))
        .count();
    row(
        &format!(
            "ThreatQ requests, run with {} watched / {} changed",
            o.watched, o.changed
        ),
        json!(requests),
        "requests",
        json!({"target": "<= 15", "note": format!("{mails} mails; {per_object} per-object requests; {} indicators in ThreatQ", o.watched * 2)}),
    );
    row(
        &format!(
            "run time, {} watched / {} changed ({} ms latency)",
            o.watched,
            o.changed,
            o.common.latency.as_millis()
        ),
        json!(round(secs, 3)),
        "s",
        json!({}),
    );
    Ok(())
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// 100 watchlist-shaped mails (as the connector renders them).
fn prepared(n: usize) -> Vec<Mail> {
    (0..n)
        .map(|i| {
            let body = format!(
                "An item in your ThreatQ watchlist has been updated!\n\nDetails\n\nType: Indicator\nItem: 10.0.{}.{}\nChanged At: 2026-03-01 10:00:00\nThreatQ Link: https://threatq.example/indicators/{i}/details\n\nWhat has changed? Comment added: 1\n",
                i / 256,
                i % 256
            );
            Mail {
                subject: "ThreatQ Watchlist: Indicator Updated".into(),
                html: format!("<html><body><pre>{body}</pre></body></html>\n"),
                text: body,
            }
        })
        .collect()
}

fn smtp_settings(sink: &SmtpSink) -> Result<SmtpSettings, String> {
    let mbox = |s: &str| s.parse::<Mailbox>().map_err(|e| e.to_string());
    Ok(SmtpSettings {
        host: "127.0.0.1".into(),
        port: sink.port(),
        use_ssl: false,
        require_starttls: true,
        ca_file: None,
        verify_tls: true,
        from: mbox(FROM)?,
        recipients: vec![mbox(TO)?],
        login: None,
        timeout: SMTP_TIMEOUT,
    })
}

fn smtp_alone(o: &Opts, sink: &SmtpSink) -> Result<(), String> {
    let s = smtp_settings(sink)?;
    let mails = prepared(100);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    {
        let m = Mailer::connect(&s).map_err(|e| e.to_string())?;
        for (i, mail) in mails.iter().enumerate() {
            let bytes = m.message_bytes(mail).map_err(|e| e.to_string())?;
            std::fs::write(dir.path().join(format!("{i:03}.eml")), bytes)
                .map_err(|e| e.to_string())?;
        }
        m.close();
    }
    let mut ours = Vec::new();
    let mut peer = Vec::new();
    for _ in 0..o.rounds {
        let t0 = Instant::now();
        let mut m = Mailer::connect(&s).map_err(|e| e.to_string())?;
        for mail in &mails {
            m.send(mail).map_err(|e| e.to_string())?;
        }
        m.close();
        ours.push(t0.elapsed().as_secs_f64());
        let out = bench::output(
            Command::new(PYTHON)
                .arg(&o.peer)
                .args([
                    "--port",
                    &sink.port().to_string(),
                    "--from",
                    FROM,
                    "--to",
                    TO,
                ])
                .arg(dir.path()),
            &o.peer,
        )?;
        let secs: f64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|e| format!("peer output: {e}"))?;
        peer.push(secs);
    }
    row(
        "100 mails over one SMTP connection (aiosmtpd sink)",
        json!(round(median(ours), 3)),
        "s",
        json!({"target": "<= 1 s", "peer": "Python smtplib, one connection per mail", "peer_value": round(median(peer), 3)}),
    );
    Ok(())
}

fn main() {
    let o = opts();
    let sink = SmtpSink::start(SinkOptions::plain());
    let result = the_run(&o, &sink).and_then(|_| smtp_alone(&o, &sink));
    if let Err(e) = result {
        eprintln!("bench_email: {e}");
        std::process::exit(1);
    }
}
