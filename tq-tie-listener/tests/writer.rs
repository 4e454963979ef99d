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
    let o = w.write(&api, &batch).expect("write");
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
    let o = w.write(&api, &batch).expect("repeat");
    assert_eq!((o.written, o.unchanged), (0, 20));
    assert_eq!(tq.request_count(), before);

    // A crash lost the index after ThreatQ took the batch: the recovered batch is read back
    // and written without duplicating any attribute.
    let mut fresh = writer(dir.path(), "b.written");
    let o = fresh.write(&api, &batch).expect("recovered");
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
        .write(&api, &[change(7, "Most Likely Malicious", "4")])
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

/// The guide's Status is for indicators the integration creates: an analyst's status on an
/// indicator ThreatQ already has (from another feed, or set by hand since) is kept, while
/// the file's new indicators get the configured status; existing attributes of ours with an
/// old value are updated, not duplicated, even when the index never saw the file.
#[test]
fn status_only_on_created_indicators() {
    let tq = FakeThreatQ::start();
    let api = common::threatq_client(&tq);
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = change(31, "Known Malicious", "5");
    c.sha256 = Some(format!("{:064x}", 31));
    let (md5, sha1, sha256) = (
        c.md5.clone().expect("md5"),
        c.sha1.clone().expect("sha1"),
        c.sha256.clone().expect("sha256"),
    );
    tq.add_indicator(&md5, "MD5", "Active");
    tq.add_indicator_with(
        tq_testkit::threatq::NewIndicator::new(&sha1, "SHA-1")
            .status("Whitelisted")
            .attribute_from(
                "ENTERPRISE Trust Level",
                "Might be Malicious",
                "McAfee TIE Reputation Change",
            ),
    );
    // The same value under another type is another indicator: the SHA-256 is still new.
    tq.add_indicator(&sha256, "String", "Active");
    let mut w = writer(dir.path(), "s.written");
    let o = w.write(&api, &[c]).expect("write");
    assert_eq!(
        (o.written, o.indicators, o.new_indicators),
        (1, 3, 1),
        "{o:?}"
    );
    let status_of = |value: &str, kind: &str| -> String {
        let rows = api
            .indicators_by_value(value)
            .expect("read back")
            .into_iter()
            .filter(|i| i.type_name.as_deref() == Some(kind))
            .collect::<Vec<_>>();
        assert_eq!(rows.len(), 1, "{value} {kind}: {rows:?}");
        rows[0].status_name.clone().unwrap_or_default()
    };
    assert_eq!(
        status_of(&md5, "MD5"),
        "Active",
        "existing MD5 kept its status"
    );
    assert_eq!(
        status_of(&sha1, "SHA-1"),
        "Whitelisted",
        "existing SHA-1 kept its status"
    );
    assert_eq!(
        status_of(&sha256, "SHA-256"),
        "Review",
        "new SHA-256 got the default"
    );
    assert_eq!(status_of(&sha256, "String"), "Active");
    let want = vec![
        (
            "ENTERPRISE Trust Level".to_string(),
            "Known Malicious".to_string(),
        ),
        (
            "Enterprise Executions (PREVALENCE)".to_string(),
            "5".to_string(),
        ),
        (
            "Enterprise First Execution (FIRST_CONTACT)".to_string(),
            "1451504331".to_string(),
        ),
    ];
    assert_eq!(common::rows(&tq, &md5), want);
    assert_eq!(common::rows(&tq, &sha1), want, "old value updated in place");
    assert_eq!(o.updated_rows, 1, "{o:?}");
}
