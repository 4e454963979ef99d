//! Data collection alerts, binary against FakeThreatQ and the real aiosmtpd sink (issue 10's
//! acceptance list): three new indicators in one mail with three linked items, `new_only`
//! against `new_or_updated`, `data_collection_objects` filtering by type and a type added
//! later baselined, and a type the server does not collect left out.

mod common;

use common::*;
use serde_json::json;
use tq_testkit::rigs::smtp::SinkOptions;
use tq_testkit::server::Fault;

const NAME: &str = "High Confidence";

fn collection_options<'a>(objects: &'a str, frequency: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("enable_data_collection", "true"),
        ("data_collection_name", NAME),
        ("data_collection_objects", objects),
        ("notification_frequency", frequency),
    ]
}

#[test]
fn three_new_indicators_are_one_mail_with_three_linked_items() {
    let r = Rig::new(SinkOptions::plain());
    r.tq.add_indicator("10.0.0.1", "IP Address", "Active");
    r.tq.add_indicator("10.0.0.2", "IP Address", "Review");
    r.tq.add_saved_search(NAME, json!({"status_name": "Active"}));
    r.configure(&collection_options("indicators", "new_only"));
    r.run_ok(&[]);
    assert!(r.mails().is_empty(), "the first run is a baseline");

    r.later();
    let new: Vec<u64> = ["7.8.9.0", "1.2.3.4", "5.6.7.8"]
        .iter()
        .map(|v| r.tq.add_indicator(v, "IP Address", "Active"))
        .collect();
    r.tq.add_indicator("10.0.0.3", "IP Address", "Review"); // not in the collection
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Data Collection Updated: 3 New Items"]
    );
    let m = &mails[0];
    assert_envelope(m);
    let links: Vec<String> = new.iter().map(|id| link("indicators", *id)).collect();
    assert_eq!(m.text_links(), links);
    assert_eq!(m.html_links(), links);
    let text = text_part(m);
    assert!(
        text.starts_with("The following items have been updated in your data collection\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "\nIndicators\n  - 7.8.9.0 <{}>\n  - 1.2.3.4 <{}>\n  - 5.6.7.8 <{}>\n",
            links[0], links[1], links[2]
        )),
        "{text}"
    );
    assert!(html_part(m).contains(&format!("<a href=\"{}\">7.8.9.0</a>", links[0])));

    r.run_ok(&[]);
    assert_eq!(r.mails().len(), 1, "a rerun with no change sends nothing");
}

#[test]
fn new_only_ignores_updated_items_new_or_updated_includes_them() {
    let r = Rig::new(SinkOptions::plain());
    let a = r.tq.add_indicator("10.0.0.1", "IP Address", "Active");
    let b = r.tq.add_indicator("10.0.0.2", "IP Address", "Active");
    r.tq.add_saved_search(NAME, json!({"status_name": "Active"}));
    r.configure(&collection_options("indicators", "new_only"));
    r.run_ok(&[]);

    r.later();
    r.tq.add_attribute("indicators", a, "Confidence", "High", Some("Analyst"));
    let n1 = r.tq.add_indicator("10.0.0.11", "IP Address", "Active");
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Data Collection Updated: 1 New Item"]
    );
    assert_eq!(mails[0].text_links(), vec![link("indicators", n1)]);

    r.configure(&collection_options("indicators", "new_or_updated"));
    r.later();
    r.tq.add_comment("indicators", b, "context added");
    let n2 = r.tq.add_indicator("10.0.0.12", "IP Address", "Active");
    r.run_ok(&[]);
    let mails = r.mails_since(1);
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Data Collection Updated: 1 New and 1 Updated Item"]
    );
    assert_eq!(
        mails[0].text_links(),
        vec![link("indicators", n2), link("indicators", b)],
        "new before updated"
    );
    assert!(
        text_part(&mails[0]).contains("  - 10.0.0.2 (updated) <"),
        "{}",
        text_part(&mails[0])
    );

    r.run_ok(&[]);
    assert_eq!(r.mails().len(), 2);
}

#[test]
fn data_collection_objects_filters_by_type_and_a_type_added_later_is_baselined() {
    let r = Rig::new(SinkOptions::plain());
    r.tq.add_indicator("10.0.0.1", "IP Address", "Active");
    r.tq.add_event("Old phish", "Spearphish");
    r.tq.add_data_collection(
        NAME,
        &[
            ("indicators", json!({"status_name": "Active"})),
            ("events", json!({"type_name": "Spearphish"})),
        ],
    );
    r.configure(&collection_options("indicators", "new_only"));
    r.run_ok(&[]);

    r.later();
    let ind = r.tq.add_indicator("10.0.0.2", "IP Address", "Active");
    r.tq.add_event("New phish", "Spearphish");
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Data Collection Updated: 1 New Item"]
    );
    assert_eq!(mails[0].text_links(), vec![link("indicators", ind)]);
    assert!(!text_part(&mails[0]).contains("Events"));

    // Events selected now: what the collection holds of them is a baseline, not a flood.
    r.configure(&collection_options("indicators, events", "new_only"));
    let out = r.run_ok(&[]);
    assert_eq!(r.mails().len(), 1, "{out}");

    r.later();
    let ev = r.tq.add_event("Newer phish", "Spearphish");
    r.tq.add_event("Malware seen", "Malware"); // not in the collection
    r.run_ok(&[]);
    let mails = r.mails_since(1);
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Data Collection Updated: 1 New Item"]
    );
    assert_eq!(mails[0].text_links(), vec![link("events", ev)]);
    assert!(text_part(&mails[0]).contains("\nEvents\n  - Newer phish <"));
}

#[test]
fn a_type_the_server_does_not_collect_is_left_out_with_a_warning() {
    let r = Rig::new(SinkOptions::plain());
    r.tq.add_saved_search(NAME, json!({"status_name": "Active"}));
    r.configure(&collection_options("indicators, signatures", "new_only"));
    r.tq.fail_next_on("GET /api/signatures/query/hash/*", 1, Fault::Status(404));
    let out = r.run_ok(&[]);
    assert!(
        out.contains("does not run data collections over signatures"),
        "{out}"
    );
    r.later();
    let ind = r.tq.add_indicator("10.0.0.9", "IP Address", "Active");
    r.run_ok(&[]);
    assert_eq!(r.mails()[0].text_links(), vec![link("indicators", ind)]);
}

#[test]
fn an_unknown_collection_name_fails_naming_the_option_and_the_collections_there_are() {
    let r = Rig::new(SinkOptions::plain());
    r.tq.add_saved_search("Something else", json!({"status_name": "Active"}));
    r.configure(&collection_options("indicators", "new_only"));
    let out = r.run(&[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("data_collection_name")
            && t.contains("\"High Confidence\"")
            && t.contains("\"Something else\""),
        "{t}"
    );
}
