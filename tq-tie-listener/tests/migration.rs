//! Files written by release d0a9227 (tests/fixtures/d0a9227, generator in its README) are read
//! by this release and migrated, never discarded: the queue with its cursor (now
//! tq_common::journal) and the written index (now tq_common::dedup, FNV keys).

mod common;

use std::path::{Path, PathBuf};

use tq_common::journal::Journal;
use tq_testkit::threatq::FakeThreatQ;
use tq_tie_listener::change::{Change, Names};
use tq_tie_listener::writer::Writer;
use tq_tie_listener::written::WrittenIndex;
use tq_tie_listener::written_v0;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/d0a9227");

/// The changes of the generator, byte for byte.
fn change(n: u64, level: &str, prevalence: &str) -> Change {
    Change {
        md5: Some(format!("{n:032x}")),
        sha1: if n.is_multiple_of(2) {
            Some(format!("{n:040x}"))
        } else {
            None
        },
        sha256: if n.is_multiple_of(3) {
            Some(format!("{n:064x}"))
        } else {
            None
        },
        levels: [
            if n.is_multiple_of(4) {
                Some("Known Trusted".into())
            } else {
                None
            },
            Some(level.into()),
            None,
        ],
        first_contact: Some("1451504331".into()),
        prevalence: if n.is_multiple_of(5) {
            None
        } else {
            Some(prevalence.into())
        },
    }
}

/// A copy of a fixture in a fresh directory (tests never change the committed files).
fn copy_fixture(name: &str, into: &Path) -> PathBuf {
    let from = Path::new(FIXTURES).join(name);
    let to = into.join(name);
    if from.is_dir() {
        std::fs::create_dir_all(&to).expect("mkdir");
        for e in std::fs::read_dir(&from).expect("ls") {
            let e = e.expect("entry");
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    } else {
        std::fs::copy(&from, &to).expect("copy");
    }
    to
}

#[test]
fn the_queue_of_release_d0a9227_is_read_and_its_cursor_migrated() {
    let d = tempfile::tempdir().expect("tmp");
    let q = copy_fixture("tq-tie-listener.queue", d.path());
    assert_eq!(
        std::fs::read_to_string(q.join("cursor")).expect("cursor"),
        "0 3503\n",
        "the fixture is the old format"
    );
    let j: Journal<Change> = Journal::open(&q, 256 << 20).expect("open the old queue");
    assert_eq!(j.waiting(), 10);
    let cursor = std::fs::read_to_string(q.join("cursor")).expect("cursor");
    assert_eq!(
        cursor, "{\"format\":\"tq-journal\",\"version\":1,\"segment\":0,\"offset\":3503}\n",
        "migrated in place, same position"
    );
    let b = j.read_batch(100).expect("read");
    let want: Vec<Change> = (21..=30)
        .map(|n| change(n, "Known Malicious", "3"))
        .collect();
    assert_eq!(b.items, want, "the 10 unacknowledged changes, in order");
    assert!(
        b.recovered,
        "left by an earlier run: verified before writing"
    );
    assert_eq!(b.unreadable, 0);
    j.ack(b.end, b.len()).expect("ack");
    j.append(&change(31, "Known Malicious", "3"))
        .expect("append");
    drop(j);
    let j: Journal<Change> = Journal::open(&q, 256 << 20).expect("reopen");
    assert_eq!(j.waiting(), 1);
    assert_eq!(
        j.read_batch(10).expect("read").items,
        [change(31, "Known Malicious", "3")]
    );
}

/// What release d0a9227 had written when it wrote the fixture index: files 1..=20, then
/// file 7 with new values.
fn what_d0a9227_wrote() -> Vec<Change> {
    (1..=20)
        .map(|n| {
            if n == 7 {
                change(7, "Most Likely Malicious", "4")
            } else {
                change(n, "Known Malicious", "3")
            }
        })
        .collect()
}

#[test]
fn the_written_index_of_release_d0a9227_is_migrated_and_still_skips_and_updates_in_place() {
    let fixture =
        std::fs::read(Path::new(FIXTURES).join("tq-tie-listener.written")).expect("fixture");
    assert_eq!(fixture.len(), 21 * 16, "21 header-less records");
    // The old keys are SipHash-1-3 of the file keys: our re-implementation finds them.
    let keys: Vec<u64> = fixture
        .chunks_exact(16)
        .map(|r| u64::from_le_bytes(r[..8].try_into().expect("8 bytes")))
        .collect();
    for n in 1..=20u64 {
        assert!(
            keys.contains(&written_v0::key(&format!("{n:032x}"))),
            "file {n} not found with the d0a9227 hash"
        );
    }

    // ThreatQ as release d0a9227 left it.
    let tq = FakeThreatQ::start();
    let api = common::threatq_client(&tq);
    let d = tempfile::tempdir().expect("tmp");
    let mut seed = Writer {
        names: Names::new(None),
        status: "Review".into(),
        index: WrittenIndex::open(&d.path().join("seed.written"), 1000).expect("seed index"),
    };
    seed.write(
        &api,
        &(1..=20)
            .map(|n| change(n, "Known Malicious", "3"))
            .collect::<Vec<_>>(),
    )
    .expect("seed");
    seed.write(&api, &[change(7, "Most Likely Malicious", "4")])
        .expect("seed 7");

    let path = copy_fixture("tq-tie-listener.written", d.path());
    let mut w = Writer {
        names: Names::new(None),
        status: "Review".into(),
        index: WrittenIndex::open(&path, 50_000).expect("open the old index"),
    };
    let migrated = std::fs::read(&path).expect("read");
    assert_eq!(
        &migrated[..8],
        b"TQDEDUP\0",
        "rewritten in the current format"
    );
    assert!(migrated.len() >= 24 + 20 * 16, "no record lost");

    // The same values again: known from the old index, nothing sent.
    let before = tq.request_count();
    let o = w.write(&api, &what_d0a9227_wrote()).expect("repeat");
    assert_eq!((o.written, o.unchanged), (0, 20), "{o:?}");
    assert_eq!(
        tq.request_count(),
        before,
        "no request for files already written"
    );

    // File 7 back to its first values: known as written, so updated in place.
    let o = w
        .write(&api, &[change(7, "Known Malicious", "3")])
        .expect("change 7");
    assert_eq!((o.written, o.updated_rows), (1, 2), "{o:?}");
    assert_eq!(
        common::rows(&tq, &format!("{:032x}", 7)),
        [
            (
                "ENTERPRISE Trust Level".to_string(),
                "Known Malicious".to_string()
            ),
            (
                "Enterprise Executions (PREVALENCE)".to_string(),
                "3".to_string()
            ),
            (
                "Enterprise First Execution (FIRST_CONTACT)".to_string(),
                "1451504331".to_string()
            ),
        ],
        "no second trust level or prevalence beside the old one"
    );

    // After a restart the migrated records still count, and the new ones too.
    drop(w);
    let mut w = Writer {
        names: Names::new(None),
        status: "Review".into(),
        index: WrittenIndex::open(&path, 50_000).expect("reopen"),
    };
    let before = tq.request_count();
    let mut again: Vec<Change> = (1..=20)
        .map(|n| change(n, "Known Malicious", "3"))
        .collect();
    again[6] = change(7, "Known Malicious", "3");
    let o = w.write(&api, &again).expect("repeat after restart");
    assert_eq!((o.written, o.unchanged), (0, 20), "{o:?}");
    assert_eq!(tq.request_count(), before);
}
