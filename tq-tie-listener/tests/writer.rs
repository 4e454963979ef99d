//! The ThreatQ writer against FakeThreatQ: a batch written again after a crash (index lost,
//! batch recovered from the queue) adds nothing; a value change updates the row in place.

mod common;

use tq_testkit::threatq::FakeThreatQ;
use tq_tie_listener::change::{Change, Names};
use tq_tie_listener::writer::Writer;
use tq_tie_listener::written::WrittenIndex;

fn change(n: u64, level: &str, prevalence: &str) -> Change {
    Change {
        md5: Some(format!("{n:032x}")),
        sha1: Some(format!("{n:040x}")),
        sha256: None,
        levels: [None, Some(level.into()), None],
        first_contact: Some("1451504331".into()),
        prevalence: Some(prevalence.into()),
    }
}

fn writer(dir: &std::path::Path, name: &str) -> Writer {
    Writer {
        names: Names::new(None),
        status: "Review".into(),
        index: WrittenIndex::open(&dir.join(name), 1000).expect("index"),
    }
}

#[test]
fn recovered_batch_after_a_crash_adds_nothing_and_changes_update_in_place() {
    let tq = FakeThreatQ::start();
    let api = common::threatq_client(&tq);
    let dir = tempfile::tempdir().expect("tmp");
    let batch: Vec<Change> = (1..=20)
        .map(|n| change(n, "Known Malicious", "3"))
        .collect();
    let mut w = writer(dir.path(), "a.written");
    let o = w.write(&api, &batch, false).expect("write");
    assert_eq!((o.written, o.indicators), (20, 40));
    let want = vec![
        (
            "ENTERPRISE Trust Level".to_string(),
            "Known Malicious".to_string(),
        ),
        (
            "Enterprise Executions (PREVALENCE)".to_string(),
            "3".to_string(),
        ),
        (
            "Enterprise First Execution (FIRST_CONTACT)".to_string(),
            "1451504331".to_string(),
        ),
    ];
    assert_eq!(common::rows(&tq, &format!("{:032x}", 7)), want);

    // The same batch again with the index: nothing to do, no request.
    let before = tq.request_count();
    let o = w.write(&api, &batch, false).expect("repeat");
    assert_eq!((o.written, o.unchanged), (0, 20));
    assert_eq!(tq.request_count(), before);

    // A crash lost the index after ThreatQ took the batch: the recovered batch is read back
    // and written without duplicating any attribute.
    let mut fresh = writer(dir.path(), "b.written");
    let o = fresh.write(&api, &batch, true).expect("recovered");
    assert_eq!(o.written, 20);
    for n in 1..=20u64 {
        assert_eq!(common::rows(&tq, &format!("{n:032x}")), want, "file {n}");
        assert_eq!(
            common::rows(&tq, &format!("{n:040x}")),
            want,
            "file {n} sha1"
        );
    }

    // A value change: the rows are updated in place.
    let o = w
        .write(&api, &[change(7, "Most Likely Malicious", "4")], false)
        .expect("change");
    assert_eq!(o.updated_rows, 4, "two rows on each of the two indicators");
    let changed = vec![
        (
            "ENTERPRISE Trust Level".to_string(),
            "Most Likely Malicious".to_string(),
        ),
        (
            "Enterprise Executions (PREVALENCE)".to_string(),
            "4".to_string(),
        ),
        (
            "Enterprise First Execution (FIRST_CONTACT)".to_string(),
            "1451504331".to_string(),
        ),
    ];
    assert_eq!(common::rows(&tq, &format!("{:032x}", 7)), changed);
    assert_eq!(common::rows(&tq, &format!("{:040x}", 7)), changed);
    assert_eq!(tq.object_count("indicators"), 40);
}
