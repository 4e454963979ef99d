//! Indicator upserts of concurrent workers go to ThreatQ together (against FakeThreatQ):
//! fewer consume calls than upserts, each caller gets its own indicator's id, a refused
//! item fails alone, and ThreatQ down fails the batch without a retry per item.

use std::sync::Arc;
use std::time::Duration;

use tq_common::threatq::{Collection, IndicatorUpsert};
use tq_resilient_fn::batch::UpsertBatcher;
use tq_testkit::clients;
use tq_testkit::server::Fault;
use tq_testkit::threatq::FakeThreatQ;

#[test]
fn concurrent_upserts_share_consume_calls_and_each_gets_its_id() {
    let fake = FakeThreatQ::start();
    let tq = clients::threatq(&fake);
    tq.login().unwrap();
    fake.set_latency(Duration::from_millis(20));
    let b = Arc::new(UpsertBatcher::new());
    let threads: Vec<_> = (0..40)
        .map(|i| {
            let (b, tq) = (b.clone(), tq.clone());
            std::thread::spawn(move || {
                let v = format!("198.51.100.{i}");
                (
                    v.clone(),
                    b.upsert(&tq, IndicatorUpsert::new(v, "IP Address"))
                        .unwrap(),
                )
            })
        })
        .collect();
    for t in threads {
        let (v, id) = t.join().unwrap();
        let ind = fake.indicator(id as u64).expect("indicator");
        assert_eq!(ind["value"], v.as_str(), "its own id");
    }
    let (calls, items) = b.counts();
    assert_eq!(items, 40);
    assert!(calls < 40, "batched: {calls} calls for 40 upserts");
    assert_eq!(fake.count("POST", "/api/indicators/consume") as u64, calls);
}

#[test]
fn a_refused_item_fails_alone_and_threatq_down_fails_the_batch_once() {
    let fake = FakeThreatQ::start();
    let tq = clients::threatq(&fake);
    tq.login().unwrap();
    let event = fake.add_event("Resilient Incident 1: x", "Incident") as i64;
    fake.set_latency(Duration::from_millis(50));
    let b = Arc::new(UpsertBatcher::new());
    let spawn = |v: &str, ev: i64| {
        let (b, tq, v) = (b.clone(), tq.clone(), v.to_string());
        std::thread::spawn(move || {
            b.upsert(
                &tq,
                IndicatorUpsert::new(v, "IP Address").relate(&Collection::Events, ev),
            )
        })
    };
    // A first one occupies the sender; three gather behind it, one of them linked to an
    // event that does not exist.
    let first = spawn("203.0.113.1", event);
    std::thread::sleep(Duration::from_millis(10));
    let rest = [
        spawn("203.0.113.2", event),
        spawn("203.0.113.3", event + 999),
        spawn("203.0.113.4", event),
    ];
    assert!(first.join().unwrap().is_ok());
    let r: Vec<_> = rest.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(r[0].is_ok() && r[2].is_ok(), "{r:?}");
    assert!(r[1].is_err(), "the bad one fails");
    assert!(fake.indicator_by_value("203.0.113.3").is_none());

    // Down: every item of the batch gets the error; one consume attempt series, not one
    // per item.
    fake.set_latency(Duration::ZERO);
    fake.fail_next_on("POST /api/indicators/consume", 1000, Fault::Status(503));
    fake.clear_requests();
    let e = b
        .upsert(&tq, IndicatorUpsert::new("203.0.113.9", "IP Address"))
        .unwrap_err();
    assert!(e.to_string().contains("ThreatQ"), "{e}");
    assert_eq!(e.status(), Some(503));
    fake.clear_faults();
}
