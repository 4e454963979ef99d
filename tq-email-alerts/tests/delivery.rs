//! Delivery guarantees, binary against FakeThreatQ and the real aiosmtpd sink: the SMTP
//! server down for one run (exit 1, then every alert exactly once), a run killed (-9) while
//! the server holds its second mail (the first is not sent again), a refused recipient, and
//! a ThreatQ failure that sends nothing.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tq_testkit::rigs::smtp::SinkOptions;
use tq_testkit::server::Fault;

const ANALYST: &str = "ann.analyst@example.com";

/// A rig whose baseline is recorded: Ann watches two indicators, the collection "Active"
/// holds one. Returns the two watched ids.
fn baselined(opts: SinkOptions) -> (Rig, u64, u64) {
    let r = Rig::new(opts);
    let ann = r.tq.add_user(ANALYST, "Ann Analyst");
    let a = r.tq.add_indicator("198.51.100.1", "IP Address", "Review");
    let b = r.tq.add_indicator("198.51.100.2", "IP Address", "Review");
    r.tq.watch_as(ann, "indicators", a);
    r.tq.watch_as(ann, "indicators", b);
    r.tq.add_saved_search("Active", json!({"status_name": "Active"}));
    r.tq.add_indicator("198.51.100.9", "IP Address", "Active");
    r.configure(&[
        ("enable_watchlist", "true"),
        ("watchlist_users", ANALYST),
        ("enable_data_collection", "true"),
        ("data_collection_name", "Active"),
    ]);
    r.run_ok(&[]);
    assert!(r.mails().is_empty());
    (r, a, b)
}

/// Three alerts: a comment on `a`, a status change of `b` (which also enters the
/// collection as a new item): two watchlist mails and one collection mail.
fn three_alerts(r: &Rig, a: u64, b: u64) -> Vec<&'static str> {
    r.later();
    r.tq.add_comment("indicators", a, "seen again");
    r.tq.set_indicator_status(b, "Active");
    vec![
        "ThreatQ Watchlist: Indicator Updated",
        "ThreatQ Watchlist: Indicator Updated",
        "ThreatQ Data Collection Updated: 1 New Item",
    ]
}

/// How many mails of each subject.
fn counts(r: &Rig) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for mail in r.mails() {
        *m.entry(mail.subject).or_insert(0) += 1;
    }
    m
}

fn expected(subjects: &[&str]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in subjects {
        *m.entry(s.to_string()).or_insert(0) += 1;
    }
    m
}

#[test]
fn smtp_down_for_one_run_then_every_alert_exactly_once() {
    let (mut r, a, b) = baselined(SinkOptions::plain());
    let want = three_alerts(&r, a, b);
    r.sink.stop();
    let out = r.run(&[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains(&format!("SMTP server 127.0.0.1:{}", r.sink.port()))
            && t.contains("cannot connect")
            && t.contains("3 of 3 mail(s) not sent"),
        "{t}"
    );

    r.sink.restart();
    r.run_ok(&[]);
    assert_eq!(counts(&r), expected(&want));
    let texts: Vec<String> = r.mails().iter().map(|m| text_part(m).to_string()).collect();
    assert!(texts
        .iter()
        .any(|t| t.contains("What has changed? Comment added: 1")));
    assert!(texts
        .iter()
        .any(|t| t.contains("What has changed? Status changed: Review → Active")));

    r.run_ok(&[]);
    assert_eq!(counts(&r), expected(&want), "a rerun sends nothing");
}

#[test]
fn a_run_killed_after_the_server_accepted_a_mail_does_not_send_it_again() {
    let (mut r, a, b) = baselined(SinkOptions {
        stall_after: Some(1),
        log_commands: true,
        ..SinkOptions::plain()
    });
    let want = three_alerts(&r, a, b);
    let state_before = std::fs::read(r.state_file()).expect("state");
    let mut child = r.command(&[]).spawn().expect("start the run");
    // The second MAIL FROM goes out only after the first mail was accepted and journaled;
    // the sink never answers the second mail's data: the run hangs there.
    let t0 = Instant::now();
    while r
        .sink
        .commands()
        .iter()
        .filter(|c| c.starts_with("MAIL FROM"))
        .count()
        < 2
    {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{:?}",
            r.sink.commands()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert_eq!(r.mails().len(), 1, "the server accepted one mail");
    assert_eq!(
        std::fs::read(r.state_file()).expect("state"),
        state_before,
        "killed before the state write"
    );

    r.sink.restart_with(SinkOptions::plain());
    let out = r.run_ok(&[]);
    assert!(out.contains("not sent again"), "{out}");
    assert_eq!(counts(&r), expected(&want), "each alert exactly once");
    r.run_ok(&[]);
    assert_eq!(counts(&r), expected(&want));
}

#[test]
fn a_refused_recipient_is_logged_and_the_others_get_the_mail() {
    let (r, a, b) = baselined(SinkOptions {
        refuse: vec![RECIPIENTS[1].to_string()],
        ..SinkOptions::plain()
    });
    let want = three_alerts(&r, a, b);
    let out = r.run_ok(&[]);
    assert!(
        out.contains(&format!("refused recipient {}", RECIPIENTS[1])),
        "{out}"
    );
    assert_eq!(counts(&r), expected(&want));
    assert!(r
        .mails()
        .iter()
        .all(|m| m.envelope_to == vec![RECIPIENTS[0].to_string()]));
    r.run_ok(&[]);
    assert_eq!(r.mails().len(), 3, "not retried");
}

#[test]
fn a_threatq_failure_sends_nothing_and_the_next_run_sends_it_all() {
    let (r, a, b) = baselined(SinkOptions::plain());
    let want = three_alerts(&r, a, b);
    r.tq.fail_next_on("GET /api/search/query", 10, Fault::Status(500));
    let out = r.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(r.mails().is_empty(), "nothing before every read succeeded");
    r.tq.clear_faults();
    r.run_ok(&[]);
    assert_eq!(counts(&r), expected(&want));
}
