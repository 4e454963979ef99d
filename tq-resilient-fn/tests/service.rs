//! The service's promises end to end (the real binary, the real ActiveMQ, the fakes):
//! correlation ids on every reply, unknown actions answered with an error and acknowledged,
//! a processed message delivered again answered without its work being repeated, the
//! broker restarted three times mid-stream, two instances sharing one stream, ThreatQ down,
//! and no secret in the logs or the replies.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{error_text, exchange, ok_text, Rig, Running, WAIT};
use serde_json::{json, Value};
use tq_testkit::rigs::activemq::proxy::Proxy;
use tq_testkit::rigs::activemq::{ActionMessage, ActiveMq, ActiveMqOptions};
use tq_testkit::server::Fault;

/// A Sync Indicator for artifact `value` (an IP address) of incident 2095, which names its
/// event when `event` is given.
fn sync_indicator(rig: &Rig, inv: u64, value: &str, event: Option<u64>) -> ActionMessage {
    let value = value.to_string();
    rig.rule("artifact", "ThreatQ: Sync Indicator", inv, move |v| {
        v["artifact"]["value"] = json!(value);
        if let Some(e) = event {
            v["incident"]["properties"]["threatq_event_id"] = json!(e);
        }
    })
}

/// How many times each indicator value was sent to ThreatQ's consume.
fn consumed(rig: &Rig) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in rig.tq.requests() {
        if r.method == "POST" && r.path == "/api/indicators/consume" {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            for i in body.as_array().into_iter().flatten() {
                let v = i["value"].as_str().unwrap_or_default().to_string();
                *out.entry(v).or_insert(0) += 1;
            }
        }
    }
    out
}

fn ip(n: usize) -> String {
    format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256)
}

#[test]
fn every_reply_carries_its_correlation_id_and_unknown_actions_get_an_error_and_an_ack() {
    let rig = Rig::new();
    let other = rig
        .soar
        .add_rule("Other: Escalate", "incident", true, &[&rig.dest.name]);
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let mut not_ours = ActionMessage::sample_rule("incident", 0);
    let mut body: Value = serde_json::from_slice(&not_ours.body).unwrap();
    body["action_id"] = json!(other);
    not_ours = ActionMessage::rule(&body, 203);
    body["action_id"] = json!(987_654);
    let unknown_id = ActionMessage::rule(&body, 204);
    let msgs = vec![
        rig.rule("note", "ThreatQ: Sync Comment", 201, |_| {}),
        rig.function(
            "threatq_mark_true_positive",
            json!({"threatq_indicator_value": "10.0.0.1"}),
            202,
        ),
        not_ours,
        unknown_id,
        ActionMessage::raw_rule(b"{not json", 205),
        rig.rule("note", "ThreatQ: Sync Comment", 206, |v| {
            v["action_id"] = Value::Null;
        }),
    ];
    let r = exchange(&mut soar, &msgs);
    for m in &msgs {
        let id = m.correlation_id();
        let all = r.all(id);
        assert!(
            all.len() >= 2,
            "{id}: an interim and a final reply: {all:?}"
        );
        assert!(!all[0].complete(), "{id}: the interim first");
        assert_eq!(all.iter().filter(|x| x.complete()).count(), 1, "{id}");
        assert!(all.last().unwrap().complete(), "{id}: the final last");
        for x in all {
            assert_eq!(x.correlation_id(), id);
            assert_eq!(x.header("persistent"), Some("true"));
        }
    }
    ok_text(&r, "invid:201");
    assert_eq!(
        r.complete("invid:202").unwrap().json["results"]["success"],
        true
    );
    assert!(error_text(&r, "invid:203").contains("\"Other: Escalate\""));
    assert!(error_text(&r, "invid:204").contains("no rule with id 987654"));
    assert!(error_text(&r, "invid:205").contains("not valid"));
    assert!(error_text(&r, "invid:206").contains("names no rule"));
    assert!(
        soar.waiting_actions().is_empty(),
        "every message acknowledged, the failed ones too"
    );
}

#[test]
fn a_processed_message_delivered_again_is_answered_without_repeating_its_work() {
    let rig = Rig::new();
    let proxy = Proxy::start(rig.broker.tls_port);
    let cfg = rig.write_config("a", "").to_string_lossy().into_owned();
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        &format!("stomp_port = {}", rig.broker.tls_port),
        &format!("stomp_port = {}", proxy.port()),
    );
    std::fs::write(&cfg, text).unwrap();
    let mut svc = Running::start(std::path::Path::new(&cfg), &[]);
    let mut soar = rig.soar_side();
    // Warm up: token, lookups, the event.
    let r = exchange(&mut soar, &[sync_indicator(&rig, 300, "10.0.0.1", None)]);
    ok_text(&r, "invid:300");
    let event = rig.tq.objects("events")[0]["id"].as_u64().unwrap();
    // ThreatQ slow: the message is in a worker's hands while the connection goes dead.
    rig.tq.set_latency(Duration::from_millis(1500));
    soar.send(&sync_indicator(&rig, 301, "10.0.0.2", Some(event)));
    let first = soar.next_reply(WAIT).expect("the interim reply");
    assert!(!first.complete());
    proxy.pause();
    svc.wait_for_log_n("done in", 2, WAIT);
    std::thread::sleep(Duration::from_millis(200));
    proxy.cut();
    proxy.resume();
    rig.tq.set_latency(Duration::ZERO);
    // The final reply and the ACK were lost with the connection: the broker delivers the
    // message again, and it is answered from the processed-id index.
    svc.wait_for_log("was processed before", WAIT);
    let r = soar.collect(&["invid:301"], WAIT);
    let fin = r.complete("invid:301").expect("a final reply");
    assert_eq!(fin.message_type(), 0, "{}", fin.message());
    assert_eq!(consumed(&rig)["10.0.0.2"], 1, "the work was done once");
    assert!(soar.waiting_actions().is_empty());
    assert!(proxy.connections() >= 2);
}

#[test]
fn the_broker_restarted_three_times_mid_stream_every_message_is_handled_once() {
    let mut broker = ActiveMq::start(ActiveMqOptions::default());
    let rig = Rig::on(&broker);
    let n = 400;
    let msgs: Vec<ActionMessage> = (0..n)
        .map(|i| sync_indicator(&rig, 1000 + i as u64, &ip(i + 1), None))
        .collect();
    // Sent before the service starts, by a SOAR side that is gone when replies come (its
    // connection would not survive the restarts): the replies wait on the acks queue.
    rig.soar_on(&broker).send_all(&msgs);
    let mut svc = rig.start("a");
    rig.tq.set_latency(Duration::from_millis(8));
    for (k, at) in [n / 5, 2 * n / 5, 3 * n / 5].into_iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(60);
        while consumed(&rig).len() < at && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if k % 2 == 0 {
            broker.kill_and_restart();
        } else {
            broker.restart();
        }
        svc.wait_for_log_n("listening: connected", k + 2, Duration::from_secs(60));
    }
    rig.tq.set_latency(Duration::ZERO);
    let mut soar = rig.soar_on(&broker);
    let ids: Vec<&str> = msgs.iter().map(|m| m.correlation_id()).collect();
    let r = soar.collect(&ids, Duration::from_secs(90));
    assert!(r.missing().is_empty(), "no final reply: {:?}", r.missing());
    for id in &ids {
        let f = r.complete(id).unwrap();
        assert_eq!(f.message_type(), 0, "{id}: {}", f.message());
    }
    let c = consumed(&rig);
    assert_eq!(c.len(), n, "every indicator written");
    let twice: Vec<_> = c.iter().filter(|(_, k)| **k != 1).collect();
    assert!(twice.is_empty(), "written more than once: {twice:?}");
    assert_eq!(rig.tq.object_count("indicators"), n);
    assert_eq!(rig.tq.object_count("events"), 1);
    assert!(soar.waiting_actions().is_empty());
    let log = svc.log();
    assert_eq!(
        log.matches("listening: connected").count(),
        4,
        "three reconnects"
    );
}

#[test]
fn two_instances_share_one_stream_and_handle_each_action_once() {
    let rig = Rig::new();
    // One event for the incident already (its id in the messages), as after a first sync.
    let event = rig.tq.add_event(
        "Resilient Incident 2095: Phishing from 10.0.0.1",
        "Incident",
    );
    let mut a = rig.start("a");
    let mut b = rig.start("b");
    let n = 2000;
    let msgs: Vec<ActionMessage> = (0..n)
        .map(|i| sync_indicator(&rig, 5000 + i as u64, &ip(i + 1), Some(event)))
        .collect();
    let mut soar = rig.soar_side();
    soar.send_all(&msgs);
    let ids: Vec<&str> = msgs.iter().map(|m| m.correlation_id()).collect();
    let r = soar.collect_settled(&ids, Duration::from_secs(120), Duration::from_millis(500));
    assert!(
        r.missing().is_empty(),
        "no final reply: {:?}",
        r.missing().len()
    );
    let counts = r.complete_counts();
    let dup: Vec<_> = counts.iter().filter(|(_, c)| **c != 1).collect();
    assert!(dup.is_empty(), "answered more than once: {dup:?}");
    let c = consumed(&rig);
    assert_eq!(c.len(), n);
    assert!(c.values().all(|k| *k == 1), "an indicator written twice");
    a.wait_for_log_n("done in", 1, WAIT);
    b.wait_for_log_n("done in", 1, WAIT);
    let (na, nb) = (
        a.log().matches("done in").count(),
        b.log().matches("done in").count(),
    );
    assert_eq!(na + nb, n, "{na} + {nb}");
    assert!(na > 0 && nb > 0, "both instances worked: {na} and {nb}");
    assert!(soar.waiting_actions().is_empty());
}

#[test]
fn threatq_down_gives_error_replies_nothing_half_written_and_a_resend_completes() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let actions = |base: u64| {
        vec![
            rig.rule("incident", "ThreatQ: Sync Incident", base, |_| {}),
            rig.rule("artifact", "ThreatQ: Sync Indicator", base + 1, |_| {}),
            rig.rule("note", "ThreatQ: Sync Comment", base + 2, |_| {}),
        ]
    };
    rig.tq.fail_next(100_000, Fault::Status(503));
    let r = exchange(&mut soar, &actions(400));
    for inv in 400..403 {
        let e = error_text(&r, &format!("invid:{inv}"));
        assert!(e.contains("ThreatQ"), "{e}");
        assert!(e.contains("503"), "{e}");
    }
    rig.tq.clear_faults();
    assert_eq!(rig.tq.object_count("events"), 0);
    assert_eq!(rig.tq.object_count("indicators"), 0);
    // Down in the middle of a rule: the event is written, the indicator refused. The event
    // is whole (created in one call with its attributes) and found again on the resend.
    rig.tq
        .fail_next_on("POST /api/indicators/consume", 100, Fault::Status(503));
    let r = exchange(
        &mut soar,
        &[rig.rule("artifact", "ThreatQ: Sync Indicator", 410, |_| {})],
    );
    assert!(error_text(&r, "invid:410").contains("ThreatQ"));
    rig.tq.clear_faults();
    let ev = &rig.tq.objects("events")[0];
    assert!(ev["attributes"].as_array().unwrap().len() >= 3, "{ev}");
    assert_eq!(rig.tq.object_count("indicators"), 0);
    // Sent again: complete, nothing twice.
    let r = exchange(&mut soar, &actions(420));
    for inv in 420..423 {
        ok_text(&r, &format!("invid:{inv}"));
    }
    assert_eq!(rig.tq.object_count("events"), 1);
    assert_eq!(rig.tq.object_count("indicators"), 1);
    let ev = &rig.tq.objects("events")[0];
    assert_eq!(ev["comments"].as_array().unwrap().len(), 1);
    assert_eq!(ev["indicators"].as_array().unwrap().len(), 1);
}

#[test]
fn no_secret_reaches_the_log_at_v3_or_a_reply() {
    let rig = Rig::new();
    let mut svc = rig.start("a");
    let mut soar = rig.soar_side();
    let r1 = exchange(
        &mut soar,
        &[
            rig.rule("incident", "ThreatQ: Sync Incident", 500, |_| {}),
            rig.rule("artifact", "ThreatQ: Sync Indicator", 501, |_| {}),
        ],
    );
    // Expired ThreatQ token and Resilient session: both renewed; a refusal and a failure.
    rig.tq.expire_tokens();
    rig.soar.expire_sessions();
    rig.tq
        .fail_next_on("POST /api/indicators/consume", 100, Fault::Status(500));
    let r2 = exchange(
        &mut soar,
        &[
            rig.rule("incident", "ThreatQ: Sync Incident", 502, |v| {
                v["incident"]["name"] = json!("renamed");
            }),
            rig.rule("artifact", "ThreatQ: Find Related Indicators", 503, |_| {}),
            rig.rule("artifact", "ThreatQ: Sync Indicator", 504, |_| {}),
        ],
    );
    rig.tq.clear_faults();
    ok_text(&r2, "invid:502");
    error_text(&r2, "invid:504");
    assert!(rig.soar.logins() >= 2, "the session was renewed");
    svc.terminate();
    let mut text = svc.log();
    for r in [&r1, &r2] {
        for id in r.ids() {
            for x in r.all(id) {
                text.push_str(&String::from_utf8_lossy(&x.raw));
            }
        }
    }
    assert!(text.contains("DEBUG"), "-v 3 logs debug lines");
    let mut secrets = vec![
        rig.soar.password(),
        rig.tq.password().to_string(),
        rig.tq.client_id().to_string(),
        rig.soar.api_key_secret(),
    ];
    secrets.extend(rig.tq.access_tokens());
    for s in secrets {
        assert!(!text.contains(&s), "a secret in the log or a reply");
    }
}

#[test]
fn sigterm_stops_the_service_and_unfinished_messages_come_again() {
    let rig = Rig::new();
    let mut svc = rig.start("a");
    let mut soar = rig.soar_side();
    let r = exchange(&mut soar, &[sync_indicator(&rig, 600, "10.9.9.1", None)]);
    ok_text(&r, "invid:600");
    let t = Instant::now();
    let status = svc.terminate();
    assert!(status.success(), "{status}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // Sent while stopped: waiting, then handled by the next start.
    soar.send(&sync_indicator(&rig, 601, "10.9.9.2", None));
    assert_eq!(soar.waiting_actions().len(), 1);
    let _again = rig.start("a");
    let r = soar.collect(&["invid:601"], WAIT);
    ok_text(&r, "invid:601");
}
