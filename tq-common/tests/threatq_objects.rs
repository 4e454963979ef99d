//! The typed ThreatQ calls the email, RT and Resilient connectors build on, against
//! FakeThreatQ (shuffled lookup ids, small pages): events, attributes with sources,
//! comments, tasks, adversaries, links, tags, files and their parse, sources, users,
//! watchlists, data collections by name, and change queries.

use std::time::Duration;

use serde_json::json;
use tq_common::threatq::collections::SearchHints;
use tq_common::threatq::{
    Adversary, AttachmentUpload, AttributeWrite, Collection, Event, EventCreate, EventUpdate,
    Indicator, IndicatorUpsert, NameRef, ObjRef, Task, TaskCreate, TaskPriority, TaskStatus,
    TaskUpdate, ThreatQ,
};
use tq_testkit::clients;
use tq_testkit::threatq::FakeThreatQ;

const SOURCE: &str = "Request Tracker";

/// How the saved-search errors are worded in these tests.
const HINTS: SearchHints<'static> = SearchHints {
    option: "data_collection_name",
    not_found: "check the name",
    several: "rename all but one",
};

fn fake() -> FakeThreatQ {
    FakeThreatQ::builder()
        .shuffled_ids(true)
        .max_limit(3)
        .start()
}

fn client(fake: &FakeThreatQ) -> ThreatQ {
    clients::threatq(fake)
}

fn incident(title: &str) -> EventCreate {
    EventCreate::new(title, "Incident", "2024-05-01 10:00:00", SOURCE)
}

#[test]
fn events_are_created_read_and_updated_with_type_by_name() {
    let fake = fake();
    let tq = client(&fake);
    let mut e = incident("RT #42: phishing report");
    e.description = Some("<p>Reported via RT</p>".into());
    e.attributes
        .push(AttributeWrite::new("RT Ticket ID", "42", SOURCE));
    let created = tq.create_event(&e).unwrap();
    assert_eq!(created.title, "RT #42: phishing report");
    assert_eq!(created.type_name.as_deref(), Some("Incident"));
    assert_eq!(
        created.type_id.map(|i| i as u64),
        fake.event_type_id("Incident")
    );
    assert_eq!(created.happened_at, "2024-05-01 10:00:00");
    assert_eq!(created.attributes[0].value, "42");
    assert_eq!(created.attributes[0].sources[0].name, SOURCE);
    assert!(created.sources.iter().any(|s| s.name == SOURCE));

    let updated = tq
        .update_event(
            created.id,
            &EventUpdate {
                title: Some("RT #42: phishing report (resolved)".into()),
                description: Some("closed".into()),
                ..EventUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(updated.title, "RT #42: phishing report (resolved)");
    let read: Event = tq.event(created.id).unwrap();
    assert_eq!(read.description, "closed");
    assert_eq!(
        read.happened_at, "2024-05-01 10:00:00",
        "unchanged field kept"
    );

    // An unknown type fails before anything is written, naming the types there are.
    fake.clear_requests();
    let err = tq
        .create_event(&EventCreate::new(
            "x",
            "Incidnet",
            "2024-05-01 10:00:00",
            SOURCE,
        ))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no event type named \"Incidnet\"") && err.contains("Incident"),
        "{err}"
    );
    assert_eq!(fake.count("POST", "/api/events"), 0);
}

#[test]
fn a_missing_event_type_is_created_once() {
    let fake = fake();
    let tq = client(&fake);
    assert!(fake.event_type_id("Campaign").is_none());
    let id = tq.ensure_event_type("Campaign").unwrap();
    assert_eq!(Some(id as u64), fake.event_type_id("Campaign"));
    assert_eq!(tq.ensure_event_type("Campaign").unwrap(), id);
    assert_eq!(fake.count("POST", "/api/event/types"), 1);
    let e = tq
        .create_event(&EventCreate::new(
            "Operation X",
            "Campaign",
            "2024-05-01 10:00:00",
            SOURCE,
        ))
        .unwrap();
    assert_eq!(e.type_name.as_deref(), Some("Campaign"));
    // An existing type is never created again.
    tq.ensure_event_type("Incident").unwrap();
    assert_eq!(fake.count("POST", "/api/event/types"), 1);
}

#[test]
fn events_are_found_by_one_attribute_row_through_all_pages() {
    let fake = fake();
    let tq = client(&fake);
    let mut ids = Vec::new();
    for n in 0..7 {
        let mut e = incident(&format!("RT #{n}"));
        e.attributes
            .push(AttributeWrite::new("RT Ticket ID", n.to_string(), SOURCE));
        ids.push(tq.create_event(&e).unwrap().id);
    }
    // Name and value on two different rows: not a match.
    let mut decoy = incident("decoy");
    decoy
        .attributes
        .push(AttributeWrite::new("RT Ticket ID", "99", SOURCE));
    decoy
        .attributes
        .push(AttributeWrite::new("Severity", "5", SOURCE));
    tq.create_event(&decoy).unwrap();

    let found = tq.events_by_attribute("RT Ticket ID", "5").unwrap();
    assert_eq!(found.iter().map(|e| e.id).collect::<Vec<_>>(), vec![ids[5]]);
    assert!(tq
        .events_by_attribute("RT Ticket ID", "1000")
        .unwrap()
        .is_empty());
}

#[test]
fn attributes_on_an_event_are_added_changed_and_removed_with_their_source() {
    let fake = fake();
    let tq = client(&fake);
    let ev = ObjRef::event(tq.create_event(&incident("attrs")).unwrap().id);
    let rows = tq
        .add_attributes(
            &ev,
            &[
                AttributeWrite::new("Status", "open", SOURCE),
                AttributeWrite::new("Classification", "Phishing", SOURCE),
            ],
        )
        .unwrap();
    assert_eq!(rows.len(), 2);
    let status = rows.iter().find(|r| r.name == "Status").unwrap().id;
    tq.update_attribute(&ev, status, "resolved").unwrap();
    let class = rows.iter().find(|r| r.name == "Classification").unwrap().id;
    tq.delete_attribute(&ev, class).unwrap();
    let now = tq.attributes(&ev).unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(
        (now[0].name.as_str(), now[0].value.as_str()),
        ("Status", "resolved")
    );
    assert_eq!(now[0].sources[0].name, SOURCE);
    tq.add_source(&ev, "Second Source").unwrap();
    assert!(tq.source_id("Second Source").unwrap().is_some());
    assert!(tq.source_id("Never Used").unwrap().is_none());
}

#[test]
fn comments_on_events_and_indicators() {
    let fake = fake();
    let tq = client(&fake);
    let ev = ObjRef::event(tq.create_event(&incident("comments")).unwrap().id);
    let ind = ObjRef::indicator(fake.add_indicator("198.51.100.9", "IP Address", "Active") as i64);
    for obj in [&ev, &ind] {
        let first = tq.add_comment(obj, "first").unwrap();
        assert_eq!(first.value, "first");
        assert_eq!(first.sources[0].name, fake.username());
        fake.advance(Duration::from_secs(2));
        tq.add_comment(obj, "second <b>note</b>").unwrap();
        for n in 0..3 {
            tq.add_comment(obj, &format!("more {n}")).unwrap();
        }
        let all = tq.comments(obj).unwrap();
        assert_eq!(all.len(), 5, "all pages");
        assert_eq!(all.last().unwrap().value, "first", "newest first");
    }
}

#[test]
fn tasks_are_created_updated_linked_and_set_to_a_status_by_name() {
    let fake = fake();
    let tq = client(&fake);
    let me = tq.users().unwrap()[0].clone();
    let mut t = TaskCreate::new("RT #42: triage indicators", SOURCE);
    t.priority = TaskPriority::High;
    t.status = TaskStatus::from_name("in progress").unwrap();
    t.description = Some("<p>Synced</p>".into());
    t.assignee_source_id = me.source_id;
    let task: Task = tq.create_task(&t).unwrap();
    assert_eq!(task.priority, "High");
    assert_eq!(task.status_id, Some(2));
    assert_eq!(task.assignee_source_id, me.source_id);

    let renamed = tq
        .update_task(
            task.id,
            &TaskUpdate {
                name: Some("triage (2)".into()),
                ..TaskUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(renamed.name, "triage (2)");
    assert_eq!(renamed.status_id, Some(2), "unchanged field kept");
    let done = tq.set_task_status(task.id, "Done").unwrap();
    assert_eq!(
        TaskStatus::from_id(done.status_id.unwrap()),
        Some(TaskStatus::Done)
    );
    assert_eq!(tq.task(task.id).unwrap().status_id, Some(4));
    let err = tq
        .set_task_status(task.id, "Closed")
        .unwrap_err()
        .to_string();
    assert!(err.contains("To Do, In Progress, Review, Done"), "{err}");

    let ev = tq.create_event(&incident("with a task")).unwrap();
    tq.link(&ObjRef::task(task.id), &Collection::Events, &[ev.id])
        .unwrap();
    let linked = tq
        .linked::<Task>(&ObjRef::event(ev.id), &Collection::Tasks, "")
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].object.id, task.id);
}

#[test]
fn adversaries_are_found_by_exact_name_or_created_once() {
    let fake = fake();
    let tq = client(&fake);
    fake.add_adversary("APT 28");
    let a: Adversary = tq.find_or_create_adversary("APT 2", SOURCE).unwrap();
    assert_eq!(a.name, "APT 2");
    let b = tq.find_or_create_adversary("APT 2", SOURCE).unwrap();
    assert_eq!(a.id, b.id);
    let c = tq.find_or_create_adversary("APT 28", SOURCE).unwrap();
    assert_ne!(c.id, a.id);
    assert_eq!(fake.count("POST", "/api/adversaries"), 1);
    assert!(tq
        .adversary(a.id)
        .unwrap()
        .sources
        .iter()
        .any(|s| s.name == SOURCE));
}

#[test]
fn an_event_is_linked_to_every_kind_of_object_and_unlinked_by_pivot() {
    let fake = fake();
    let tq = client(&fake);
    let ev = ObjRef::event(tq.create_event(&incident("hub")).unwrap().id);
    let inds: Vec<i64> = tq
        .consume_indicators(
            &(0..5)
                .map(|i| {
                    let mut u = IndicatorUpsert::new(format!("host{i}.example.com"), "FQDN");
                    u.status = Some(NameRef::new("Review"));
                    u
                })
                .collect::<Vec<_>>(),
        )
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    let adv = tq.find_or_create_adversary("Actor", SOURCE).unwrap().id;
    let other = tq.create_event(&incident("related event")).unwrap().id;
    let task = tq.create_task(&TaskCreate::new("t", SOURCE)).unwrap().id;
    let file = tq
        .upload_attachment(&AttachmentUpload {
            file_name: "notes.txt".into(),
            title: None,
            file_type: "Generic Text".into(),
            malware_locked: false,
            source: SOURCE.into(),
            bytes: b"nothing".to_vec(),
        })
        .unwrap()
        .id;
    tq.link(&ev, &Collection::Indicators, &inds).unwrap();
    tq.link(&ev, &Collection::Adversaries, &[adv]).unwrap();
    tq.link(&ev, &Collection::Events, &[other]).unwrap();
    tq.link(&ev, &Collection::Tasks, &[task]).unwrap();
    tq.link(&ev, &Collection::Attachments, &[file]).unwrap();

    let linked = tq
        .linked::<Indicator>(&ev, &Collection::Indicators, "type,status")
        .unwrap();
    assert_eq!(linked.len(), 5, "all pages");
    assert!(linked
        .iter()
        .all(|l| l.pivot_id.is_some() && l.object.type_name.as_deref() == Some("FQDN")));
    for (coll, id) in [
        (Collection::Adversaries, adv),
        (Collection::Events, other),
        (Collection::Tasks, task),
        (Collection::Attachments, file),
    ] {
        let rows = tq.related(&ev, &coll).unwrap();
        assert_eq!(rows.len(), 1, "{coll:?}");
        assert_eq!(rows[0]["id"].as_i64(), Some(id));
    }
    // Links are symmetric: the indicator sees the event.
    let back = tq
        .linked::<Event>(&ObjRef::indicator(inds[0]), &Collection::Events, "")
        .unwrap();
    assert_eq!(back[0].object.id, ev.id);

    let gone = &linked[1];
    tq.unlink(&ev, &Collection::Indicators, &[gone.pivot_id.unwrap()])
        .unwrap();
    let left = tq
        .linked::<Indicator>(&ev, &Collection::Indicators, "")
        .unwrap();
    assert_eq!(left.len(), 4);
    assert!(left.iter().all(|l| l.object.id != gone.object.id));
}

#[test]
fn tags_are_added_listed_and_removed() {
    let fake = fake();
    let tq = client(&fake);
    let ev = ObjRef::event(tq.create_event(&incident("tags")).unwrap().id);
    let added = tq.add_tags(&ev, &["phishing", "rt", "triage"]).unwrap();
    assert_eq!(added.len(), 3);
    let all = tq.tags(&ev).unwrap();
    assert_eq!(all.len(), 3);
    let rt = all.iter().find(|t| t.name == "rt").unwrap().id;
    tq.remove_tag(&ev, rt).unwrap();
    let names: Vec<String> = tq.tags(&ev).unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names.len(), 2);
    assert!(!names.contains(&"rt".to_string()));
}

#[test]
fn files_are_uploaded_with_a_type_by_name_downloaded_and_parsed_into_indicators() {
    let fake = fake();
    let tq = client(&fake);
    let text =
        b"Seen 198.51.100.7 calling bad.example.com; dropper 44d88612fea8a8f36de82e1278abb02f"
            .to_vec();
    let file = tq
        .upload_attachment(&AttachmentUpload {
            file_name: "report.txt".into(),
            title: Some("Report from Resilient".into()),
            file_type: "Generic Text".into(),
            malware_locked: false,
            source: "IBM Resilient".into(),
            bytes: text.clone(),
        })
        .unwrap();
    assert_eq!(file.name, "report.txt");
    assert_eq!(file.title, "Report from Resilient");
    assert_eq!(file.file_size, Some(text.len() as i64));
    assert_eq!(tq.attachment(file.id).unwrap().hash, file.hash);
    assert_eq!(tq.download_attachment(file.id).unwrap(), text);

    assert!(tq.parsers().unwrap().contains(&"Generic Text".to_string()));
    let parsed = tq
        .parse_attachment(file.id, "Generic Text", "Review", "IBM Resilient")
        .unwrap();
    let mut got: Vec<(String, String)> = parsed
        .iter()
        .map(|p| (p.value.clone(), p.type_name.clone().unwrap_or_default()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("198.51.100.7".into(), "IP Address".into()),
            ("44d88612fea8a8f36de82e1278abb02f".into(), "MD5".into()),
            ("bad.example.com".into(), "FQDN".into()),
        ]
    );
    for p in &parsed {
        let ind = tq.indicator(p.id.expect("imported")).unwrap();
        assert_eq!(ind.value, p.value);
        assert_eq!(ind.status_name.as_deref(), Some("Review"));
        assert!(ind.sources.iter().any(|s| s.name == "IBM Resilient"));
    }

    // "Spearphish" is an event type, not a file type: refused before any upload.
    fake.clear_requests();
    let err = tq
        .upload_attachment(&AttachmentUpload {
            file_name: "mail.eml".into(),
            title: None,
            file_type: "Spearphish".into(),
            malware_locked: true,
            source: SOURCE.into(),
            bytes: b"x".to_vec(),
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no attachment type named \"Spearphish\"")
            && err.contains("Spearphish Attachment"),
        "{err}"
    );
    assert_eq!(fake.count("POST", "/api/attachments/upload"), 0);
}

#[test]
fn users_are_listed_and_found_by_email_or_name() {
    let fake = fake();
    let tq = client(&fake);
    for (mail, name) in [
        ("bob@example.com", "Bob Builder"),
        ("carol@example.com", "Carol"),
        ("dave@example.com", "Dave"),
    ] {
        fake.add_user(mail, name);
    }
    let users = tq.users().unwrap();
    assert_eq!(users.len(), 4, "all pages");
    assert!(users
        .iter()
        .all(|u| u.id.is_some() && u.source_id.is_some()));
    assert_eq!(
        tq.find_user("CAROL@example.com").unwrap().display_name,
        "Carol"
    );
    assert_eq!(
        tq.find_user("bob builder").unwrap().email,
        "bob@example.com"
    );
    let err = tq.find_user("mallory").unwrap_err().to_string();
    assert!(
        err.contains("\"mallory\"") && err.contains("Dave <dave@example.com>"),
        "{err}"
    );
    // Several at once, from one listing, in the order asked.
    let before = fake.count("GET", "/api/users");
    tq.find_user("Dave").unwrap();
    let one = fake.count("GET", "/api/users") - before;
    let found = tq.find_users(&["Dave", " bob@EXAMPLE.com "]).unwrap();
    assert_eq!(
        fake.count("GET", "/api/users") - before - one,
        one,
        "one listing for both"
    );
    assert_eq!(
        found.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        vec!["dave@example.com", "bob@example.com"]
    );
    let err = tq
        .find_users(&["Carol", "mallory", "eve"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"mallory\", \"eve\""), "{err}");
}

#[test]
fn a_users_watchlist_is_read_with_what_changed() {
    let fake = fake();
    let tq = client(&fake);
    let bob = fake.add_user("bob@example.com", "Bob") as i64;
    let me = tq.current_user().unwrap().id.unwrap();
    let ids = fake.add_ip_indicators(0..8, "Active");
    fake.watch_as(bob as u64, "indicators", ids[1]);
    fake.watch_as(bob as u64, "indicators", ids[6]);
    let ev = fake.add_event("watched event", "Incident");
    fake.watch_as(bob as u64, "events", ev);
    let mine = tq.watch(&ObjRef::indicator(ids[3] as i64)).unwrap();
    fake.add_comment("indicators", ids[6], "looked at it");
    fake.add_comment("indicators", ids[6], "still bad");
    fake.add_attribute("indicators", ids[6], "Confidence", "High", Some("Analyst"));
    fake.set_indicator_status(ids[6], "Review");

    let watched = tq.watched_by(&[bob], &Collection::Indicators).unwrap();
    let got: Vec<i64> = watched.iter().map(|w| w.id).collect();
    assert_eq!(got, vec![ids[1] as i64, ids[6] as i64], "through all pages");
    let w = &watched[1];
    assert_eq!(w.label(), "10.0.0.6");
    assert_eq!(w.type_name.as_deref(), Some("IP Address"));
    assert_eq!(w.comments.len(), 2);
    assert_eq!(w.attributes[0].name, "Confidence");
    assert_eq!(w.status_name.as_deref(), Some("Review"));
    assert!(w.touched_at >= w.updated_at);
    assert!(
        watched[1].watchlist.iter().all(|e| e.user_id == Some(bob)),
        "only the entries of the users asked for"
    );
    let events = tq.watched_by(&[bob], &Collection::Events).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].label(), "watched event");

    let my = tq.watched_by(&[me], &Collection::Indicators).unwrap();
    assert_eq!(
        my.iter().map(|w| w.id).collect::<Vec<_>>(),
        vec![ids[3] as i64]
    );
    // Both users in one scan: each object once, with the entries of each watcher.
    fake.watch_as(me as u64, "indicators", ids[6]);
    let requests = fake.request_count();
    tq.watched_by(&[bob], &Collection::Indicators).unwrap();
    let one_user = fake.request_count() - requests;
    let both = tq.watched_by(&[bob, me], &Collection::Indicators).unwrap();
    assert_eq!(
        fake.request_count() - requests - one_user,
        one_user,
        "two users cost one scan, as one user does"
    );
    let watchers = |id: u64| -> Vec<Option<i64>> {
        let w = both.iter().find(|w| w.id == id as i64).expect("watched");
        w.watchlist.iter().map(|e| e.user_id).collect()
    };
    assert_eq!(both.len(), 3);
    assert_eq!(watchers(ids[3]), vec![Some(me)]);
    let mut six = watchers(ids[6]);
    six.sort();
    let mut want = vec![Some(bob), Some(me)];
    want.sort();
    assert_eq!(six, want);
    tq.unwatch(&ObjRef::indicator(ids[3] as i64), mine.id)
        .unwrap();
    assert_eq!(
        tq.watched_by(&[me], &Collection::Indicators)
            .unwrap()
            .iter()
            .map(|w| w.id)
            .collect::<Vec<_>>(),
        vec![ids[6] as i64]
    );
}

#[test]
fn a_data_collection_by_name_gives_its_items_per_object_type() {
    let fake = fake();
    let tq = client(&fake);
    for i in 0..5 {
        fake.add_event(&format!("phish {i}"), "Spearphish");
    }
    fake.add_event("other", "Malware");
    fake.add_saved_search_for(
        "events",
        "Phishing events",
        json!({"type_name": "Spearphish"}),
    );
    let hash = tq.saved_search_hash("Phishing events", &HINTS).unwrap();
    let mut pager = tq.collection(Collection::Events, &hash, 100);
    let mut titles = Vec::new();
    while let Some(page) = pager.next_typed::<Event>().unwrap() {
        assert!(page.len() <= 3, "the server's page size");
        titles.extend(page.into_iter().map(|e| e.title));
    }
    titles.sort();
    assert_eq!(
        titles,
        (0..5).map(|i| format!("phish {i}")).collect::<Vec<_>>()
    );
    assert_eq!(pager.total(), Some(5));
}

#[test]
fn changes_since_a_watermark_are_found_by_touched_or_updated_at() {
    let fake = FakeThreatQ::builder()
        .max_limit(3)
        .freeze_at("2024-05-01 10:00:00")
        .start();
    let tq = client(&fake);
    let mut events = Vec::new();
    for i in 0..6 {
        let mut e = incident(&format!("RT #{i}"));
        if i != 5 {
            e.attributes
                .push(AttributeWrite::new("RT Ticket ID", i.to_string(), SOURCE));
        }
        events.push(tq.create_event(&e).unwrap().id);
    }
    let inds = fake.add_ip_indicators(0..5, "Active");
    fake.advance(Duration::from_secs(60));
    let mark = fake.now();
    fake.advance(Duration::from_secs(60));
    // Touched (a comment), updated (a row field), and untouched objects.
    fake.add_comment("events", events[1] as u64, "new comment");
    fake.update_object(
        "events",
        events[3] as u64,
        json!({"title": "RT #3 (edited)"}),
    );
    fake.add_comment("events", events[5] as u64, "no RT Ticket ID here");
    fake.set_indicator_status(inds[2], "Review");
    fake.add_attribute("indicators", inds[4], "Note", "x", None);

    let changed: Vec<i64> = tq
        .events_changed_since(&mark, Some("RT Ticket ID"))
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    let mut want = vec![events[1], events[3]];
    want.sort();
    let mut got = changed.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(tq.events_changed_since(&mark, None).unwrap().len(), 3);
    let inds_changed: Vec<i64> = tq
        .indicators_changed_since(&mark)
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(inds_changed, vec![inds[2] as i64, inds[4] as i64]);
    assert!(tq
        .events_changed_since(&fake.now(), None)
        .unwrap()
        .is_empty());
}

#[test]
fn an_indicator_is_upserted_and_linked_to_an_event_in_one_call() {
    let fake = fake();
    let tq = client(&fake);
    let event = tq
        .create_event(&incident("Resilient Incident 1: x"))
        .unwrap();
    let up =
        IndicatorUpsert::new("203.0.113.9", "IP Address").relate(&Collection::Events, event.id);
    let body = serde_json::to_value(&up).unwrap();
    assert_eq!(body["events"], json!([{ "id": event.id }]), "{body}");
    fake.clear_requests();
    let done = tq.consume_indicators(std::slice::from_ref(&up)).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        fake.request_count(),
        1,
        "one request: the upsert and its link"
    );
    let linked = tq
        .linked::<Indicator>(&ObjRef::event(event.id), &Collection::Indicators, "type")
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].object.value, "203.0.113.9");
    tq.consume_indicators(&[up]).unwrap();
    let linked = tq
        .linked::<Indicator>(&ObjRef::event(event.id), &Collection::Indicators, "")
        .unwrap();
    assert_eq!(linked.len(), 1, "the same link again is not a second one");
    // A relation to an object that does not exist is refused (no half-written indicator).
    let bad = IndicatorUpsert::new("203.0.113.10", "IP Address")
        .relate(&Collection::Events, event.id + 1000);
    assert!(tq.consume_indicators(&[bad]).is_err());
    assert!(fake.indicator_by_value("203.0.113.10").is_none());
}

#[test]
fn objects_of_custom_collections_and_adversaries_are_found_by_name_or_created_once() {
    let fake = fake();
    let tq = client(&fake);
    let malware = Collection::from_path("malware");
    let a = tq
        .find_or_create_object(&malware, "Emotet", "Resilient")
        .unwrap();
    let b = tq
        .find_or_create_object(&malware, "Emotet", "Resilient")
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(fake.object_count("malware"), 1);
    let c = tq
        .find_or_create_object(&malware, "Emotet2", "Resilient")
        .unwrap();
    assert_ne!(a, c, "an exact name, not a prefix");
    let adv = tq
        .find_or_create_object(&Collection::Adversaries, "APT 1", "Resilient")
        .unwrap();
    assert_eq!(
        tq.find_or_create_object(&Collection::Adversaries, "APT 1", "Resilient")
            .unwrap(),
        adv
    );
    assert_eq!(fake.object_count("adversaries"), 1);
    let e = tq
        .find_or_create_object(&Collection::Events, "x", "Resilient")
        .unwrap_err();
    assert!(e.to_string().contains("\"events\""), "{e}");
}

#[test]
fn a_file_already_uploaded_is_found_by_its_md5() {
    let fake = fake();
    let tq = client(&fake);
    let bytes = b"From: a@example.com\r\nSubject: invoice\r\n\r\nhello\r\n".to_vec();
    let md5 = tq_common::threatq::attachments::md5_hex(&bytes);
    assert!(tq.attachments_by_hash(&md5).unwrap().is_empty());
    let up = tq
        .upload_attachment(&AttachmentUpload {
            file_name: "mail.eml".into(),
            title: None,
            file_type: "Spearphish Attachment".into(),
            malware_locked: false,
            source: "Resilient".into(),
            bytes,
        })
        .unwrap();
    let found = tq.attachments_by_hash(&md5).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, up.id);
    assert!(tq
        .attachments_by_hash(&tq_common::threatq::attachments::md5_hex(b"other"))
        .unwrap()
        .is_empty());
}

#[test]
fn tasks_carry_a_due_date_and_attributes() {
    let fake = fake();
    let tq = client(&fake);
    let mut t = TaskCreate::new("Investigate Exposure", "Resilient");
    t.due_at = Some("2024-06-01 12:00:00".into());
    t.attributes.push(AttributeWrite::new(
        "Resilient Task ID",
        "2251",
        "Resilient",
    ));
    let created = tq.create_task(&t).unwrap();
    let event = tq
        .create_event(&incident("Resilient Incident 2: y"))
        .unwrap();
    tq.link(&ObjRef::event(event.id), &Collection::Tasks, &[created.id])
        .unwrap();
    let linked = tq
        .linked::<Task>(&ObjRef::event(event.id), &Collection::Tasks, "attributes")
        .unwrap();
    assert_eq!(linked.len(), 1);
    let task = &linked[0].object;
    assert_eq!(task.due_at, "2024-06-01 12:00:00");
    assert!(task
        .attributes
        .iter()
        .any(|a| a.name == "Resilient Task ID" && a.value == "2251"));
    let updated = tq
        .update_task(
            created.id,
            &TaskUpdate {
                due_at: Some("2024-06-02 08:00:00".into()),
                ..TaskUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(updated.due_at, "2024-06-02 08:00:00");
}
