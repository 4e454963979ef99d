//! Every rule end to end, with the guide's fields and both answers of each Yes/No field: the
//! real binary subscribed on the real ActiveMQ, action messages shaped like the samples
//! (the rule ids the fake Resilient gave, select values as ids with their labels in
//! `type_info`) put on its destination by the SOAR side, the work checked in FakeThreatQ and
//! the fake Resilient, the replies read back by correlation id.

mod common;

use common::{error_text, exchange, ok_text, select, Rig};
use serde_json::{json, Value};
use tq_testkit::json::strings;

/// The attribute values named `name` of a rendered object.
fn attr(obj: &Value, name: &str) -> Vec<String> {
    obj["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["name"] == name)
        .map(|a| a["value"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The values (or names, titles) of an object's related objects of `collection`.
fn related(obj: &Value, collection: &str) -> Vec<String> {
    let mut v: Vec<String> = obj[collection]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            ["value", "name", "title"]
                .iter()
                .find_map(|k| o[*k].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    v.sort();
    v
}

fn only_event(rig: &Rig) -> Value {
    let events = rig.tq.objects("events");
    assert_eq!(events.len(), 1, "{events:#?}");
    events[0].clone()
}

/// The (type id, value) pairs of an incident's artifacts in the fake Resilient.
fn artifacts(rig: &Rig, incident: u64) -> Vec<(u64, String)> {
    let mut v: Vec<(u64, String)> = rig
        .soar
        .artifacts(incident)
        .iter()
        .map(|a| {
            (
                a["type"].as_u64().unwrap_or_default(),
                a["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sync_incident_automatic_creates_then_updates_the_event_once() {
    let mut rig = Rig::new();
    rig.extra = "custom_attributes = internal_severity=Severity Level, missing_field=Nope\n\
                 custom_objects = threat_actor=adversaries, malware_family=malware\n"
        .into();
    let mut svc = rig.start("a");
    let mut soar = rig.soar_side();
    let edit = |v: &mut Value| {
        v["properties"] = json!({});
        v["type_info"]["actioninvocation"] = json!({"fields": {}});
        let p = &mut v["incident"]["properties"];
        p["internal_severity"] = json!("High");
        p["threat_actor"] = json!("APT 29");
        p["malware_family"] = json!([701, 702]);
        v["type_info"]["incident"]["fields"]["malware_family"] = json!({"values": {
            "701": {"value": 701, "label": "Emotet"}, "702": {"value": 702, "label": "TrickBot"}
        }});
    };
    let r = exchange(
        &mut soar,
        &[rig.rule("incident", "ThreatQ: Sync Incident", 1, edit)],
    );
    let text = ok_text(&r, "invid:1");
    assert!(text.contains("created"), "{text}");
    let ev = only_event(&rig);
    assert_eq!(
        ev["title"],
        "Resilient Incident 2095: Phishing from 10.0.0.1"
    );
    assert_eq!(ev["type"]["name"], "Incident");
    assert_eq!(ev["happened_at"], "2020-09-13 12:26:40");
    assert_eq!(ev["description"], "Reported by user");
    assert_eq!(attr(&ev, "Resilient Incident ID"), ["2095"]);
    assert_eq!(attr(&ev, "Severity"), ["Low"]);
    assert_eq!(attr(&ev, "Phase"), ["Respond"]);
    assert_eq!(attr(&ev, "Severity Level"), ["High"]);
    assert!(attr(&ev, "Nope").is_empty());
    assert!(ev["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "Resilient"));
    assert_eq!(related(&ev, "adversaries"), ["APT 29"]);
    assert_eq!(related(&ev, "malware"), ["Emotet", "TrickBot"]);
    let id = ev["id"].as_u64().unwrap();
    assert_eq!(
        rig.incident(2095)["properties"]["threatq_event_id"],
        json!(id),
        "the incident names its event"
    );
    svc.wait_for_log("has no value for the field \"missing_field\"", common::WAIT);

    // Changed in Resilient: the same event is updated, attributes changed in place.
    let r = exchange(
        &mut soar,
        &[rig.rule("incident", "ThreatQ: Sync Incident", 2, |v| {
            edit(v);
            v["incident"]["name"] = json!("Phishing, contained");
            v["incident"]["severity_code"] = json!(52);
            v["type_info"]["incident"]["fields"]["severity_code"]["values"]["52"] =
                json!({"value": 52, "label": "High"});
            v["incident"]["properties"]["threatq_event_id"] = json!(id);
        })],
    );
    assert!(ok_text(&r, "invid:2").contains("updated"));
    let ev = only_event(&rig);
    assert_eq!(ev["title"], "Resilient Incident 2095: Phishing, contained");
    assert_eq!(attr(&ev, "Severity"), ["High"], "changed, not added");
    assert_eq!(rig.tq.object_count("adversaries"), 1);
    assert_eq!(rig.tq.object_count("malware"), 2);

    // Nothing changed: nothing written.
    let r = exchange(
        &mut soar,
        &[rig.rule("incident", "ThreatQ: Sync Incident", 3, |v| {
            edit(v);
            v["incident"]["name"] = json!("Phishing, contained");
            v["incident"]["severity_code"] = json!(52);
            v["type_info"]["incident"]["fields"]["severity_code"]["values"]["52"] =
                json!({"value": 52, "label": "High"});
        })],
    );
    assert!(ok_text(&r, "invid:3").contains("up to date"));
    assert_eq!(rig.tq.object_count("events"), 1);
}

#[test]
fn sync_incident_menu_imports_artifacts_and_indicators_when_yes_and_nothing_when_no() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    rig.soar.add_artifact(2095, "DNS Name", "evil.example.com");
    rig.soar.add_artifact(2095, "Port", "8443");
    let menu = |imp_a: &'static str, imp_i: &'static str| {
        move |v: &mut Value| {
            select(v, "threatq_import_artifacts", 801, imp_a);
            select(v, "threatq_import_indicators", 802, imp_i);
        }
    };
    // No, No: the event only.
    let r = exchange(
        &mut soar,
        &[rig.rule("incident", "ThreatQ: Sync Incident", 10, menu("No", "No"))],
    );
    ok_text(&r, "invid:10");
    assert_eq!(rig.tq.object_count("indicators"), 0);
    let before = artifacts(&rig, 2095);

    // Indicators related to the event in ThreatQ.
    let ev_id = only_event(&rig)["id"].as_u64().unwrap();
    for (v, t) in [
        ("10.0.0.1", "IP Address"),
        ("c2.example.net", "FQDN"),
        ("CVE-2021-44228", "CVE"),
    ] {
        let i = rig.tq.add_indicator(v, t, "Active");
        rig.tq.link("events", ev_id, "indicators", i);
    }
    // Yes, Yes: artifacts in, indicators out (not those present, not unmapped types).
    let r = exchange(
        &mut soar,
        &[rig.rule("incident", "ThreatQ: Sync Incident", 11, menu("Yes", "Yes"))],
    );
    let text = ok_text(&r, "invid:11");
    assert!(text.contains("2 artifact(s) imported"), "{text}");
    assert!(text.contains("8443 (Port)"), "{text}");
    assert!(
        text.contains("1 indicator(s) imported as artifacts (2 present"),
        "{text}"
    );
    assert!(text.contains("CVE-2021-44228 (CVE)"), "{text}");
    let ev = only_event(&rig);
    let mut linked = related(&ev, "indicators");
    linked.retain(|v| v != "CVE-2021-44228");
    assert_eq!(linked, ["10.0.0.1", "c2.example.net", "evil.example.com"]);
    let fqdn = rig.tq.indicator_by_value("evil.example.com").unwrap();
    assert_eq!(fqdn["type"]["name"], "FQDN");
    assert_eq!(fqdn["status"]["name"], "Review", "[fn_threatq] status");
    let after = artifacts(&rig, 2095);
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert!(after.iter().any(|(_, v)| v == "c2.example.net"));

    // Yes again: nothing new either way.
    let r = exchange(
        &mut soar,
        &[rig.rule("incident", "ThreatQ: Sync Incident", 12, menu("Yes", "Yes"))],
    );
    assert!(ok_text(&r, "invid:12").contains("0 indicator(s) imported"));
    assert_eq!(artifacts(&rig, 2095).len(), after.len());
    assert_eq!(rig.tq.object_count("events"), 1);
}

#[test]
fn sync_indicator_automatic_and_as_a_menu_item_with_status_and_confidence() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let r = exchange(
        &mut soar,
        &[rig.rule("artifact", "ThreatQ: Sync Indicator", 20, |_| {})],
    );
    let text = ok_text(&r, "invid:20");
    assert!(text.contains("10.0.0.1"), "{text}");
    let ind = rig.tq.indicator_by_value("10.0.0.1").expect("indicator");
    assert_eq!(ind["type"]["name"], "IP Address");
    assert_eq!(ind["status"]["name"], "Review");
    assert!(
        attr(&ind, "Confidence").is_empty(),
        "automatic: no confidence"
    );
    assert!(ind["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "Resilient"));
    let ev = only_event(&rig);
    assert_eq!(related(&ev, "indicators"), ["10.0.0.1"]);

    // Menu item: Indicator Status Active, Confidence High; then Medium replaces it.
    let menu = |conf: &'static str, id: u64| {
        move |v: &mut Value| {
            select(v, "threatq_indicator_status", 900, "Active");
            select(v, "threatq_indicator_confidence", id, conf);
        }
    };
    let r = exchange(
        &mut soar,
        &[rig.rule("artifact", "ThreatQ: Sync Indicator", 21, menu("High", 903))],
    );
    assert!(ok_text(&r, "invid:21").contains("confidence High"));
    let ind = rig.tq.indicator_by_value("10.0.0.1").unwrap();
    assert_eq!(ind["status"]["name"], "Active");
    assert_eq!(attr(&ind, "Confidence"), ["High"]);
    let r = exchange(
        &mut soar,
        &[rig.rule(
            "artifact",
            "ThreatQ: Sync Indicator",
            22,
            menu("Medium", 902),
        )],
    );
    ok_text(&r, "invid:22");
    let ind = rig.tq.indicator_by_value("10.0.0.1").unwrap();
    assert_eq!(attr(&ind, "Confidence"), ["Medium"], "replaced, not added");
    assert_eq!(rig.tq.object_count("indicators"), 1);
    assert_eq!(rig.tq.object_count("events"), 1);

    // An artifact type without an indicator type: an error reply naming it.
    let port = rig.soar.add_artifact(2095, "Port", "8443");
    let r = exchange(
        &mut soar,
        &[rig.rule("artifact", "ThreatQ: Sync Indicator", 23, |v| {
            v["artifact"]["id"] = json!(port);
            v["artifact"]["type"] = json!(27);
            v["artifact"]["value"] = json!("8443");
            v["type_info"]["artifact"]["fields"]["type"]["values"]["27"] =
                json!({"value": 27, "label": "Port"});
        })],
    );
    let e = error_text(&r, "invid:23");
    assert!(e.contains("\"Port\""), "{e}");
    assert!(rig.tq.indicator_by_value("8443").is_none());
}

#[test]
fn mark_as_false_positive_and_true_positive_with_and_without_removal() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let fqdn = rig.soar.add_artifact(2095, "DNS Name", "evil.example.com");
    let existing = rig.tq.add_indicator("10.0.0.1", "IP Address", "Active");
    let on = |artifact: u64, type_id: u64, label: &'static str, value: &'static str| {
        move |v: &mut Value| {
            v["artifact"]["id"] = json!(artifact);
            v["artifact"]["type"] = json!(type_id);
            v["artifact"]["value"] = json!(value);
            v["type_info"]["artifact"]["fields"]["type"]["values"][type_id.to_string()] =
                json!({"value": type_id, "label": label});
        }
    };
    // False positive, Remove Artifact No: the existing indicator marked, artifact kept.
    let r = exchange(
        &mut soar,
        &[
            rig.rule("artifact", "ThreatQ: Mark as False Positive", 30, |v| {
                select(v, "threatq_remove_artifact", 701, "No");
            }),
        ],
    );
    ok_text(&r, "invid:30");
    let ind = rig.tq.indicator(existing).unwrap();
    assert_eq!(attr(&ind, "False Positive"), ["Yes"]);
    assert!(artifacts(&rig, 2095).iter().any(|(_, v)| v == "10.0.0.1"));
    // Marked twice: no second attribute.
    let r = exchange(
        &mut soar,
        &[
            rig.rule("artifact", "ThreatQ: Mark as False Positive", 31, |v| {
                select(v, "threatq_remove_artifact", 701, "No");
            }),
        ],
    );
    ok_text(&r, "invid:31");
    assert_eq!(
        attr(&rig.tq.indicator(existing).unwrap(), "False Positive"),
        ["Yes"]
    );

    // Yes on an indicator ThreatQ lacks: created (FQDN), marked, the artifact removed.
    let r = exchange(
        &mut soar,
        &[
            rig.rule("artifact", "ThreatQ: Mark as False Positive", 32, |v| {
                on(fqdn, 2, "DNS Name", "evil.example.com")(v);
                select(v, "threatq_remove_artifact", 700, "Yes");
            }),
        ],
    );
    assert!(ok_text(&r, "invid:32").contains("removed"));
    let ind = rig
        .tq
        .indicator_by_value("evil.example.com")
        .expect("created");
    assert_eq!(ind["type"]["name"], "FQDN");
    assert_eq!(attr(&ind, "False Positive"), ["Yes"]);
    assert!(!artifacts(&rig, 2095)
        .iter()
        .any(|(_, v)| v == "evil.example.com"));

    // True positive (no fields): existing and missing indicators.
    let r = exchange(
        &mut soar,
        &[
            rig.rule("artifact", "ThreatQ: Mark as True Positive", 33, |_| {}),
            rig.rule("artifact", "ThreatQ: Mark as True Positive", 34, |v| {
                on(
                    9999,
                    13,
                    "Malware MD5 Hash",
                    "44d88612fea8a8f36de82e1278abb02f",
                )(v)
            }),
        ],
    );
    ok_text(&r, "invid:33");
    ok_text(&r, "invid:34");
    assert_eq!(
        attr(&rig.tq.indicator(existing).unwrap(), "True Positive"),
        ["Yes"]
    );
    let md5 = rig
        .tq
        .indicator_by_value("44d88612fea8a8f36de82e1278abb02f")
        .unwrap();
    assert_eq!(md5["type"]["name"], "MD5");
    assert_eq!(attr(&md5, "True Positive"), ["Yes"]);
}

#[test]
fn find_related_indicators_adds_the_missing_ones_as_artifacts() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    // Not in ThreatQ: nothing to add.
    let r = exchange(
        &mut soar,
        &[rig.rule("artifact", "ThreatQ: Find Related Indicators", 40, |_| {})],
    );
    assert!(ok_text(&r, "invid:40").contains("not in ThreatQ"));
    let ip = rig.tq.add_indicator("10.0.0.1", "IP Address", "Active");
    for (v, t) in [
        ("evil.example.com", "FQDN"),
        ("bad@example.com", "Email Address"),
        ("10.0.0.1", "IP Address"),
        ("CVE-2021-44228", "CVE"),
    ] {
        if v != "10.0.0.1" {
            let i = rig.tq.add_indicator(v, t, "Active");
            rig.tq.link("indicators", ip, "indicators", i);
        }
    }
    rig.soar
        .add_artifact(2095, "Email Recipient", "bad@example.com");
    let before = artifacts(&rig, 2095).len();
    let r = exchange(
        &mut soar,
        &[rig.rule("artifact", "ThreatQ: Find Related Indicators", 41, |_| {})],
    );
    let text = ok_text(&r, "invid:41");
    assert!(text.starts_with("1 related indicator(s)"), "{text}");
    assert!(text.contains("present already: bad@example.com"), "{text}");
    assert!(text.contains("CVE-2021-44228 (CVE)"), "{text}");
    let after = artifacts(&rig, 2095);
    assert_eq!(after.len(), before + 1);
    assert!(after.contains(&(2, "evil.example.com".into())), "{after:?}");
    // Again: nothing new.
    let r = exchange(
        &mut soar,
        &[rig.rule("artifact", "ThreatQ: Find Related Indicators", 42, |_| {})],
    );
    assert!(ok_text(&r, "invid:42").starts_with("0 related"));
    assert_eq!(artifacts(&rig, 2095).len(), before + 1);
}

#[test]
fn sync_comment_as_plain_text_on_the_event_or_the_tasks_task() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let html = "<b>x</b> &amp; <script>";
    let r = exchange(
        &mut soar,
        &[rig.rule("note", "ThreatQ: Sync Comment", 50, |v| {
            v["note"]["text"] = json!(html);
        })],
    );
    ok_text(&r, "invid:50");
    let ev = only_event(&rig);
    let comments = strings(&ev["comments"], "value");
    assert_eq!(comments, ["x &"], "no markup");
    // The same note again (a second delivery of the rule): not added twice.
    let r = exchange(
        &mut soar,
        &[rig.rule("note", "ThreatQ: Sync Comment", 51, |v| {
            v["note"]["text"] = json!(html);
        })],
    );
    assert!(ok_text(&r, "invid:51").contains("already"));
    assert_eq!(only_event(&rig)["comments"].as_array().unwrap().len(), 1);

    // A note on a task: on the task's ThreatQ task (created, related to the event).
    let note = rig.soar.add_note(
        2095,
        Some(2251),
        "<p>Proxy logs <i>checked</i></p><p>nothing found</p>",
    );
    let stored = rig
        .soar
        .notes(2095)
        .into_iter()
        .find(|n| n["id"] == note)
        .unwrap();
    let r = exchange(
        &mut soar,
        &[rig.rule("note", "ThreatQ: Sync Comment", 52, |v| {
            v["note"] = stored.clone();
        })],
    );
    assert!(ok_text(&r, "invid:52").contains("ThreatQ task"));
    let tasks = rig.tq.objects("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["name"], "Investigate Exposure");
    assert_eq!(
        tasks[0]["comments"][0]["value"],
        "Proxy logs checked\nnothing found"
    );
    assert_eq!(
        related(&only_event(&rig), "tasks"),
        ["Investigate Exposure"]
    );
}

#[test]
fn import_attachment_as_each_file_type_with_and_without_parsing() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    // Spearphish, Parse No: the file type "Spearphish Attachment", no indicators.
    let r = exchange(
        &mut soar,
        &[
            rig.rule("attachment", "ThreatQ: Import Attachment", 60, |v| {
                select(v, "threatq_attachment_type", 601, "Spearphish");
                select(v, "threatq_parse_indicators", 611, "No");
            }),
        ],
    );
    assert!(ok_text(&r, "invid:60").contains("Spearphish Attachment"));
    let files = rig.tq.objects("attachments");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["name"], "headers.eml");
    assert_eq!(rig.tq.object_count("indicators"), 0);
    let ev = only_event(&rig);
    assert_eq!(related(&ev, "attachments"), ["headers.eml"]);

    // Generic Text, Parse Yes, status Active, on a task: parsed, related to the task too.
    let text = b"c2 at evil.example.com and 198.51.100.23\n".to_vec();
    let att = rig
        .soar
        .add_attachment(2095, Some(2251), "iocs.txt", "text/plain", &text);
    let r = exchange(
        &mut soar,
        &[
            rig.rule("attachment", "ThreatQ: Import Attachment", 61, |v| {
                v["attachment"]["id"] = json!(att);
                v["attachment"]["name"] = json!("iocs.txt");
                v["attachment"]["task_id"] = json!(2251);
                v["attachment"]["type"] = json!("task");
                select(v, "threatq_attachment_type", 605, "Generic Text");
                select(v, "threatq_parse_indicators", 610, "Yes");
                select(v, "threatq_indicator_status", 620, "Active");
            }),
        ],
    );
    let msg = ok_text(&r, "invid:61");
    assert!(msg.contains("2 indicator(s) parsed"), "{msg}");
    let ip = rig.tq.indicator_by_value("198.51.100.23").expect("parsed");
    assert_eq!(ip["status"]["name"], "Active");
    let ev = only_event(&rig);
    assert_eq!(related(&ev, "attachments"), ["headers.eml", "iocs.txt"]);
    assert!(related(&ev, "indicators").contains(&"198.51.100.23".to_string()));
    let task = &rig.tq.objects("tasks")[0];
    assert_eq!(related(task, "attachments"), ["iocs.txt"]);

    // The same file again: not uploaded twice.
    let r = exchange(
        &mut soar,
        &[
            rig.rule("attachment", "ThreatQ: Import Attachment", 62, |v| {
                select(v, "threatq_attachment_type", 601, "Spearphish");
                select(v, "threatq_parse_indicators", 611, "No");
            }),
        ],
    );
    assert!(ok_text(&r, "invid:62").contains("already"));
    assert_eq!(rig.tq.object_count("attachments"), 2);
}

#[test]
fn sync_task_creates_updates_and_closes_and_set_task_status_sets_any_status() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let task = |edit: &dyn Fn(&mut Value)| {
        let mut t = rig.soar.task(2251).unwrap();
        edit(&mut t);
        t
    };
    let t1 = task(&|_| {});
    let r = exchange(
        &mut soar,
        &[rig.rule("task", "ThreatQ: Sync Task", 70, |v| v["task"] = t1.clone())],
    );
    assert!(ok_text(&r, "invid:70").contains("created"));
    let t = &rig.tq.objects("tasks")[0];
    assert_eq!(t["name"], "Investigate Exposure");
    assert_eq!(t["status_id"], 1, "To Do");
    assert_eq!(t["description"], "Check the proxy logs");
    assert_eq!(attr(t, "Resilient Task ID"), ["2251"]);
    assert_eq!(
        related(&only_event(&rig), "tasks"),
        ["Investigate Exposure"]
    );

    // Updated: name, instructions, due date.
    let t2 = task(&|t| {
        t["name"] = json!("Investigate exposure on the proxy");
        t["instr_text"] = json!("<p>Check <b>all</b> proxy logs</p>");
        t["due_date"] = json!(1_600_100_000_000i64);
    });
    let r = exchange(
        &mut soar,
        &[rig.rule("task", "ThreatQ: Sync Task", 71, |v| v["task"] = t2.clone())],
    );
    assert!(ok_text(&r, "invid:71").contains("updated"));
    let t = &rig.tq.objects("tasks")[0];
    assert_eq!(t["name"], "Investigate exposure on the proxy");
    assert_eq!(t["description"], "Check all proxy logs");
    assert_eq!(t["due_at"], "2020-09-14 16:13:20");
    assert_eq!(rig.tq.object_count("tasks"), 1);

    // Set Task Status: In Progress, then Review.
    for (inv, id, status, want) in [(72, 501, "In Progress", 2), (73, 502, "Review", 3)] {
        let r = exchange(
            &mut soar,
            &[rig.rule("task", "ThreatQ: Set Task Status", inv, |v| {
                v["task"] = t2.clone();
                select(v, "threatq_task_status", id, status);
            })],
        );
        ok_text(&r, &format!("invid:{inv}"));
        assert_eq!(rig.tq.objects("tasks")[0]["status_id"], want);
    }

    // Closed in Resilient: Done.
    let t3 = task(&|t| {
        t["status"] = json!("C");
        t["closed_date"] = json!(1_600_200_000_000i64);
    });
    let r = exchange(
        &mut soar,
        &[rig.rule("task", "ThreatQ: Sync Task", 74, |v| v["task"] = t3.clone())],
    );
    ok_text(&r, "invid:74");
    assert_eq!(rig.tq.objects("tasks")[0]["status_id"], 4, "Done");
    assert_eq!(rig.tq.object_count("tasks"), 1);
}

#[test]
fn historical_sync_pages_through_incidents_since_the_date_with_or_without_tasks() {
    let rig = Rig::new();
    rig.soar.set_max_page(2);
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let day = 86_400_000i64;
    let since = 1_700_000_000_000i64;
    rig.soar.set_create_date(2095, since - 30 * day);
    let mut recent = Vec::new();
    for i in 0..5u64 {
        let id = rig
            .soar
            .add_incident(&format!("Recent {i}"), since + i as i64 * day);
        rig.soar.set_create_date(id, since + i as i64 * day);
        recent.push(id);
    }
    let old = rig.soar.add_incident("Old", since - day);
    rig.soar.set_create_date(old, since - day);
    rig.soar
        .add_task(recent[0], "Contain", "<p>Isolate the host</p>");
    let hist = |inv: u64, tasks: &'static str, id: u64| {
        rig.rule("incident", "ThreatQ: Historical Sync", inv, move |v| {
            v["properties"] = json!({});
            v["type_info"]["actioninvocation"] = json!({"fields": {}});
            v["properties"]["threatq_created_after"] = json!(since);
            select(v, "threatq_sync_tasks", id, tasks);
        })
    };
    let r = exchange(&mut soar, &[hist(80, "No", 401)]);
    let text = ok_text(&r, "invid:80");
    assert!(text.contains("5 incident(s) synced"), "{text}");
    let interim: Vec<String> = r
        .all("invid:80")
        .iter()
        .filter(|x| !x.complete())
        .map(|x| x.message().to_string())
        .collect();
    assert!(
        interim
            .iter()
            .filter(|m| m.contains("Historical Sync since"))
            .count()
            >= 3,
        "progress after every page (2 per page): {interim:?}"
    );
    let mut titles: Vec<String> = rig
        .tq
        .objects("events")
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    assert_eq!(titles.len(), 5, "{titles:?}");
    assert!(titles.iter().all(|t| t.contains(": Recent ")), "{titles:?}");
    assert_eq!(rig.tq.object_count("tasks"), 0, "tasks: No");
    // Yes: the tasks too; the events are not created again.
    let r = exchange(&mut soar, &[hist(81, "Yes", 400)]);
    let text = ok_text(&r, "invid:81");
    assert!(text.contains("(0 new event(s)), 1 task(s)"), "{text}");
    assert_eq!(rig.tq.object_count("events"), 5);
    let tasks = rig.tq.objects("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["description"], "Isolate the host");
}

#[test]
fn the_four_functions_with_their_inputs_and_results() {
    let rig = Rig::new();
    let _svc = rig.start("a");
    let mut soar = rig.soar_side();
    let ip = rig.tq.add_indicator("10.0.0.1", "IP Address", "Active");
    let rel = rig.tq.add_indicator("evil.example.com", "FQDN", "Active");
    rig.tq.link("indicators", ip, "indicators", rel);
    let fp_kept = rig
        .soar
        .add_artifact(2095, "Email Sender", "bad@example.com");
    let msgs = [
        // Add Indicator with a type (select form) and without (parsed from the value).
        rig.function(
            "threatq_add_indicator",
            json!({"threatq_indicator_value": "203.0.113.5",
                   "threatq_indicator_type": {"id": 55, "name": "IP Address"},
                   "threatq_indicator_status": {"id": 3, "name": "Active"},
                   "threatq_indicator_confidence": {"id": 9, "name": "High"}}),
            90,
        ),
        rig.function(
            "threatq_add_indicator",
            json!({"threatq_indicator_value": "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"}),
            91,
        ),
        rig.function(
            "threatq_find_related_indicators",
            json!({"threatq_incident_id": 2095, "threatq_indicator_value": "10.0.0.1"}),
            92,
        ),
        rig.function(
            "threatq_mark_false_positive",
            json!({"threatq_incident_id": 2095, "threatq_artifact_id": 11,
                   "threatq_indicator_value": "10.0.0.1",
                   "threatq_remove_artifact_after_marking": true}),
            93,
        ),
        rig.function(
            "threatq_mark_true_positive",
            json!({"threatq_indicator_value": "evil.example.com"}),
            94,
        ),
        rig.function("threatq_no_such_function", json!({}), 95),
        rig.function(
            "threatq_mark_false_positive",
            json!({"threatq_incident_id": 2095, "threatq_artifact_id": fp_kept,
                   "threatq_indicator_value": "bad@example.com",
                   "threatq_remove_artifact_after_marking": false}),
            96,
        ),
    ];
    let r = exchange(&mut soar, &msgs);
    let results = |inv: u64| {
        let f = r.complete(&format!("invid:{inv}")).unwrap();
        assert_eq!(f.message_type(), 0, "{inv}: {}", f.message());
        f.json["results"].clone()
    };
    let a = results(90);
    assert_eq!(a["success"], true);
    assert_eq!(a["indicator"]["type"], "IP Address");
    assert_eq!(a["indicator"]["status"], "Active");
    let added = rig.tq.indicator_by_value("203.0.113.5").unwrap();
    assert_eq!(a["indicator"]["id"], added["id"]);
    assert_eq!(attr(&added, "Confidence"), ["High"]);
    assert_eq!(results(91)["indicator"]["type"], "SHA-256");
    assert_eq!(results(91)["indicator"]["status"], "Review");
    let f = results(92);
    assert_eq!(
        f["added"],
        json!([{"type": "DNS Name", "value": "evil.example.com"}])
    );
    assert!(artifacts(&rig, 2095)
        .iter()
        .any(|(_, v)| v == "evil.example.com"));
    let fp = results(93);
    assert_eq!(fp["indicator_ids"], json!([ip]));
    assert_eq!(fp["artifact_removed"], true);
    assert_eq!(
        attr(&rig.tq.indicator(ip).unwrap(), "False Positive"),
        ["Yes"]
    );
    assert!(!artifacts(&rig, 2095).iter().any(|(_, v)| v == "10.0.0.1"));
    assert_eq!(results(94)["indicator_ids"], json!([rel]));
    assert_eq!(
        attr(&rig.tq.indicator(rel).unwrap(), "True Positive"),
        ["Yes"]
    );
    let e = error_text(&r, "invid:95");
    assert!(e.contains("threatq_no_such_function"), "{e}");
    // Remove after marking false: marked (created typed from its artifact), artifact kept.
    assert_eq!(results(96)["artifact_removed"], false);
    let mail = rig.tq.indicator_by_value("bad@example.com").unwrap();
    assert_eq!(mail["type"]["name"], "Email Address");
    assert_eq!(attr(&mail, "False Positive"), ["Yes"]);
    assert!(artifacts(&rig, 2095)
        .iter()
        .any(|(_, v)| v == "bad@example.com"));
}
