//! The demo's data (tq-sim --seed, then SIGUSR1): configured as scripts/demo configures the
//! connector, the seeded changes produce the four mails docs/email-alerts.md shows.

mod common;

use common::*;
use tq_testkit::rigs::smtp::SinkOptions;
use tq_testkit::threatq::{seed, FakeThreatQ};

#[test]
fn the_seeded_changes_produce_the_demo_mails() {
    let r = Rig::with(FakeThreatQ::start(), SinkOptions::plain());
    let seeded = seed::seed_demo(&r.tq);
    r.configure(&[
        ("enable_watchlist", "true"),
        ("watchlist_users", seed::WATCHER.0),
        ("enable_data_collection", "true"),
        ("data_collection_name", seed::EMAIL_COLLECTION),
        ("data_collection_objects", "indicators, events"),
    ]);
    r.run_ok(&[]);
    assert!(r.mails().is_empty(), "the baseline");
    seed::email_changes(&r.tq, &seeded);
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(
        subjects(&mails),
        vec![
            "ThreatQ Watchlist: Indicator Updated",
            "ThreatQ Watchlist: Indicator Updated",
            "ThreatQ Watchlist: Adversary Added",
            "ThreatQ Data Collection Updated: 3 New Items",
        ]
    );
    let changes: Vec<&str> = mails[..2]
        .iter()
        .map(|m| {
            let t = text_part(m);
            t[t.find("What has changed? ").expect("a change line")..].trim_end()
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            "What has changed? Status changed: Review → Active, Source added: CrowdFeed",
            "What has changed? Comment added: 2",
        ]
    );
    assert!(text_part(&mails[3]).contains("  - login-update.example.org <"));
    r.run_ok(&[]);
    assert_eq!(r.mails().len(), 4);
}
