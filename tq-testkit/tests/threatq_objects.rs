//! FakeThreatQ events, adversaries, tasks, attributes, sources, links, comments, tags,
//! watchlist, attachments and quick search (threatq-api.md §4.1, §7–§16).

mod common;

use common::{error_field, Tq};
use serde_json::json;
use tq_testkit::json::strings;
use tq_testkit::threatq::FakeThreatQ;

#[test]
fn events_create_by_type_name_or_id_edit_find_and_list() {
    let tq = FakeThreatQ::builder().shuffled_ids(true).start();
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        "/events",
        json!({"title": "RT#42 phishing report", "type": "Incident",
               "happened_at": "2020-08-14 11:30:02", "description": "<p>Reported via RT</p>",
               "sources": [{"name": "Request Tracker"}],
               "attributes": [{"name": "RT Ticket", "value": "42"}]}),
    );
    assert_eq!(st, 201, "{v}");
    let d = &v["data"];
    assert_eq!(d["type_id"].as_u64(), tq.event_type_id("Incident"));
    assert_eq!(d["hash"].as_str().unwrap().len(), 32);
    let id = d["id"].as_u64().unwrap();
    let sighting = tq.event_type_id("Sighting").unwrap();
    let (st, _) = c.post("/events", json!({"title": "S", "type_id": sighting}));
    assert_eq!(st, 201);
    let (st, v) = c.post("/events", json!({"title": "S"}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "type");

    let (st, v) = c.put(
        &format!("/events/{id}?with=attributes,sources"),
        json!({"title": "RT#42 phishing report (resolved)", "type": "Incident",
               "happened_at": "2020-08-14 11:30:02", "description": "<p>closed</p>"}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["title"], "RT#42 phishing report (resolved)");
    assert_eq!(v["data"]["attributes"][0]["name"], "RT Ticket");
    assert_eq!(v["data"]["sources"][0]["name"], "Request Tracker");
    let (_, v) = c.get("/events?title=RT%2342%25&with=type");
    assert_eq!(v["total"], 1);
    assert_eq!(v["data"][0]["type"]["name"], "Incident");
    let (_, v) = c.get("/events?limit=50&sort=-updated_at");
    assert_eq!(v["total"], 2);
    let (st, v) = c.post("/event/types", json!({"name": "RT Ticket"}));
    assert_eq!(st, 201);
    assert_eq!(v["data"]["name"], "RT Ticket");
}

#[test]
fn adversaries_create_find_edit_and_unique_name() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        "/adversaries",
        json!({"name": "Example Actor", "sources": [{"name": "RT"}]}),
    );
    assert_eq!(st, 201);
    let id = v["data"]["id"].as_u64().unwrap();
    let (st, v) = c.post("/adversaries", json!({"name": "Example Actor"}));
    assert_eq!(st, 422);
    assert_eq!(
        v,
        json!({"data": {"errors": {"name": ["The name has already been taken."]}}})
    );
    let (_, v) = c.get("/adversaries?name=Example%20Actor");
    assert_eq!(v["data"][0]["id"].as_u64(), Some(id));
    let (st, v) = c.put(&format!("/adversaries/{id}"), json!({"name": "Renamed"}));
    assert_eq!(st, 200);
    assert_eq!(v["data"]["name"], "Renamed");
    let (st, v) = c.put(&format!("/adversaries/{id}"), json!({"title": "x"}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "title");
}

#[test]
fn attributes_add_list_modify_delete_on_any_object() {
    let tq = FakeThreatQ::start();
    let adv = tq.add_adversary("A");
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        &format!("/adversaries/{adv}/attributes"),
        json!({"name": "Category", "value": "Malware", "sources": [{"name": "Request Tracker"}]}),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["total"], 1);
    let row = &v["data"][0];
    assert_eq!(row["adversary_id"].as_u64(), Some(adv));
    assert_eq!(row["attribute"]["name"], "Category");
    assert_eq!(row["sources"][0]["name"], "Request Tracker");
    let rid = row["id"].as_u64().unwrap();
    let list: Vec<_> = (0..5).map(|i| json!({"name": "N", "value": i})).collect();
    let (_, v) = c.post(&format!("/adversaries/{adv}/attributes"), json!(list));
    assert_eq!(v["data"][4]["value"], "4", "numbers stored as strings");
    let (_, v) = c.get(&format!("/adversaries/{adv}/attributes?limit=2&offset=4"));
    assert_eq!(v["total"], 6);
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let (st, v) = c.put(
        &format!("/adversaries/{adv}/attributes/{rid}"),
        json!({"value": "Ransomware"}),
    );
    assert_eq!(st, 200);
    assert_eq!(v["data"]["value"], "Ransomware");
    let (st, _) = c.delete(&format!("/adversaries/{adv}/attributes/{rid}"));
    assert_eq!(st, 204);
    let (st, _) = c.delete(&format!("/adversaries/{adv}/attributes/{rid}"));
    assert_eq!(st, 404);
    assert_eq!(tq.attributes_of("adversaries", adv).len(), 5);
    let (st, v) = c.post(
        &format!("/adversaries/{adv}/attributes"),
        json!({"name": "N"}),
    );
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "value");
}

#[test]
fn sources_add_and_remove_by_pivot() {
    let tq = FakeThreatQ::start();
    let id = tq.add_indicator("a.example", "FQDN", "Active");
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        &format!("/indicators/{id}/sources"),
        json!({"name": "Cisco Threat Response"}),
    );
    assert_eq!(st, 201);
    let pivot = v["data"][0]["pivot"]["id"].as_u64().unwrap();
    let (_, v) = c.get(&format!("/indicators/{id}?with=sources"));
    assert_eq!(
        v["data"]["sources"].as_array().unwrap().len(),
        2,
        "user source + new"
    );
    assert_eq!(
        c.delete(&format!("/indicators/{id}/sources/{pivot}")).0,
        204
    );
    let (_, v) = c.get(&format!("/indicators/{id}?with=sources"));
    assert_eq!(v["data"]["sources"].as_array().unwrap().len(), 1);
    let (_, v) = c.get("/sources?name=Cisco%25");
    assert_eq!(v["total"], 1);
}

#[test]
fn links_are_symmetric_listed_with_pivots_and_unlinked_by_pivot_ids() {
    let tq = FakeThreatQ::start();
    let ev = tq.add_event("E", "Incident");
    let i1 = tq.add_indicator("a.example", "FQDN", "Active");
    let i2 = tq.add_indicator("b.example", "FQDN", "Active");
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        &format!("/events/{ev}/indicators"),
        json!([{"id": i1}, {"id": i2}]),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["total"], 2);
    assert!(v["data"][0]["pivot"]["id"].is_u64());
    let (st, v) = c.post(&format!("/indicators/{i1}/indicators"), json!({"id": i2}));
    assert_eq!(st, 201);
    assert_eq!(v["data"][0]["id"].as_u64(), Some(i2));
    // Seen from the other end.
    let (_, v) = c.get(&format!("/indicators/{i1}/events"));
    assert_eq!(v["total"], 1);
    assert_eq!(v["data"][0]["id"].as_u64(), Some(ev));
    let (_, v) = c.get(&format!("/indicators/{i2}/indicators"));
    assert_eq!(v["data"][0]["id"].as_u64(), Some(i1));
    // Linking again is idempotent.
    c.post(&format!("/indicators/{i1}/events"), json!({"id": ev}));
    let (_, v) = c.get(&format!(
        "/events/{ev}/indicators?with=type&limit=25&offset=0"
    ));
    assert_eq!(v["total"], 2);
    assert_eq!(v["data"][0]["type"]["name"], "FQDN");
    let pivot = v["data"][0]["pivot"]["id"].as_u64().unwrap();
    let (st, _) = c.delete_with(&format!("/events/{ev}/indicators"), json!([pivot]));
    assert_eq!(st, 204);
    let (_, v) = c.get(&format!("/events/{ev}/indicators"));
    assert_eq!(v["total"], 1);
    let (st, v) = c.post(&format!("/events/{ev}/indicators"), json!([{"id": 999}]));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "0.id");
    let (st, _) = c.post(&format!("/events/{ev}/bogus"), json!({"id": 1}));
    assert_eq!(st, 404);
}

#[test]
fn comments_tags_and_watchlist() {
    let tq = FakeThreatQ::builder()
        .freeze_at("2026-01-01 00:00:00")
        .start();
    let id = tq.add_indicator("a.example", "FQDN", "Active");
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        &format!("/indicators/{id}/comments?with=sources"),
        json!({"value": "RT#42 reply"}),
    );
    assert_eq!(st, 201);
    let cid = v["data"]["id"].as_u64().unwrap();
    assert_eq!(v["data"]["sources"][0]["name"], tq.username());
    tq.advance(std::time::Duration::from_secs(1));
    c.post(
        &format!("/indicators/{id}/comments"),
        json!({"value": "second"}),
    );
    let (_, v) = c.get(&format!(
        "/indicators/{id}/comments?with=sources&limit=30&sort=-created_at"
    ));
    assert_eq!(v["total"], 2);
    assert_eq!(v["data"][0]["value"], "second");
    let (st, v) = c.put(
        &format!("/indicators/comments/{cid}"),
        json!({"value": "edited"}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["value"], "edited");
    assert_eq!(c.delete(&format!("/indicators/{id}/comments/{cid}")).0, 204);

    let (st, v) = c.post(
        &format!("/indicators/{id}/tags"),
        json!({"name": "phishing"}),
    );
    assert_eq!(st, 201);
    assert_eq!(v["data"][0]["name"], "phishing");
    let tag = v["data"][0]["id"].as_u64().unwrap();
    let (_, v) = c.post(
        &format!("/indicators/{id}/tags"),
        json!([{"name": "phishing"}, {"name": "rt"}]),
    );
    assert_eq!(v["total"], 2);
    let (_, v) = c.get("/tags?name=phish%25&limit=50&sort=name");
    assert_eq!(v["total"], 1);
    assert_eq!(c.delete(&format!("/indicators/{id}/tags/{tag}")).0, 204);
    assert_eq!(
        tq.indicator(id).unwrap()["tags"].as_array().unwrap().len(),
        1
    );

    let (st, v) = c.post_raw(
        &format!("/indicators/{id}/watchlist"),
        "application/json",
        b"",
    );
    assert_eq!(st, 201, "{v}");
    let wid = v["data"]["id"].as_u64().unwrap();
    let (_, v) = c.get(&format!("/indicators/{id}?with=watchlist"));
    assert_eq!(v["data"]["watchlist"][0]["id"].as_u64(), Some(wid));
    assert_eq!(
        c.delete(&format!("/indicators/{id}/watchlist/{wid}")).0,
        204
    );
    let (_, v) = c.get(&format!("/indicators/{id}?with=watchlist"));
    assert_eq!(v["data"]["watchlist"], json!([]));
}

#[test]
fn tasks_create_update_and_relate() {
    let tq = FakeThreatQ::start();
    let ind = tq.add_indicator("a.example", "FQDN", "Active");
    let ev = tq.add_event("E", "Incident");
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        "/tasks",
        json!({"name": "RT#42: triage", "priority": "Medium", "status_id": 1,
               "description": "<p>Synced</p>", "assignee_source_id": 8,
               "sources": [{"name": "Request Tracker", "tlp_id": 2}]}),
    );
    assert_eq!(st, 201, "{v}");
    let task = v["data"]["id"].as_u64().unwrap();
    let (st, _) = c.post(&format!("/indicators/{ind}/tasks"), json!([{"id": task}]));
    assert_eq!(st, 201);
    let (st, _) = c.post(&format!("/tasks/{task}/events"), json!({"id": ev}));
    assert_eq!(st, 201);
    let (st, v) = c.put(&format!("/tasks/{task}"), json!({"status_id": 4}));
    assert_eq!(st, 200);
    assert_eq!(v["data"]["status_id"], 4);
    let (st, v) = c.put(&format!("/tasks/{task}"), json!({"status_id": 9}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "status_id");
    let (st, _) = c.post("/tasks", json!({"name": "x", "priority": "Urgent"}));
    assert_eq!(st, 422);
    let t = tq.object("tasks", task).unwrap();
    assert_eq!(t["indicators"][0]["id"].as_u64(), Some(ind));
    assert_eq!(t["events"][0]["id"].as_u64(), Some(ev));
}

fn multipart(fields: &[(&str, &str)], file: &[u8], filename: &str) -> (String, Vec<u8>) {
    let b = "----tqtestboundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[test]
fn attachments_two_step_and_one_step_upload_find_and_download() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    let content = b"MZ\x90\x00 not really malware\r\n--\r\nbinary".to_vec();
    let (ct, body) = multipart(
        &[
            ("resumableIdentifier", "12345-samplezip"),
            ("resumableRelativePath", "sample.zip"),
            ("resumableTotalChunks", "1"),
            ("resumableFilename", "sample.zip"),
        ],
        &content,
        "blob",
    );
    let (st, v) = c.post_raw("/attachments/upload", &ct, &body);
    assert_eq!(st, 200, "{v}");
    let (st, v) = c.post(
        "/attachments",
        json!({"name": "sample.zip", "title": "Sample", "type": "Malware Sample",
               "malware_locked": 1, "sources": [{"name": "IBM Resilient"}]}),
    );
    assert_eq!(st, 201, "{v}");
    let d = &v["data"];
    let id = d["id"].as_u64().unwrap();
    assert_eq!(d["file_size"].as_u64(), Some(content.len() as u64));
    assert_eq!(d["malware_locked"], 1);
    let md5: String = openssl::hash::hash(openssl::hash::MessageDigest::md5(), &content)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(d["hash"], md5);
    let (_, v) = c.get(&format!("/attachments?hash={md5}"));
    assert_eq!(v["data"][0]["id"].as_u64(), Some(id));
    let (_, v) = c.get("/attachments?name=sample.zip");
    assert_eq!(v["total"], 1);
    let mut r = c
        .agent
        .get(format!("{}/attachments/{id}/download", c.base))
        .header("Authorization", &format!("Bearer {}", c.token))
        .call()
        .unwrap();
    assert_eq!(
        r.headers().get("content-disposition").unwrap(),
        "attachment; filename=\"sample.zip\""
    );
    assert_eq!(r.body_mut().read_to_vec().unwrap(), content);
    // Step 2 without step 1 is refused.
    let (st, v) = c.post(
        "/attachments",
        json!({"name": "never.zip", "type": "Malware Sample"}),
    );
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "name");

    let (ct, body) = multipart(
        &[
            ("name", "testfile.txt"),
            ("title", "TestTitle"),
            ("type", "Cuckoo"),
            ("malware_locked", "0"),
        ],
        b"hello",
        "testfile.txt",
    );
    let (st, v) = c.post_raw("/attachments", &ct, &body);
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["data"]["title"], "TestTitle");
    assert_eq!(v["data"]["malware_locked"], 0);
    let ev = tq.add_event("E", "Incident");
    let (st, _) = c.post(&format!("/attachments/{id}/events"), json!({"id": ev}));
    assert_eq!(st, 201);
    let (st, _) = c.post(
        &format!("/attachments/{id}/tags"),
        json!({"name": "resilient"}),
    );
    assert_eq!(st, 201);
}

#[test]
fn quick_search_finds_across_collections() {
    let tq = FakeThreatQ::start();
    tq.add_indicator("foo@example.com", "Email Address", "Active");
    tq.add_adversary("foo@example.com");
    tq.add_event("mail from foo@example.com", "Spearphish");
    let c = Tq::login(&tq);
    let (st, v) = c.get("/search?query=foo@example&limit=10");
    assert_eq!(st, 200);
    let objs = strings(&v["data"], "object");
    assert_eq!(objs, vec!["indicator", "adversary", "event"]);
    let (_, v) = c.get("/search?query=FOO&limit=1");
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(c.get("/search").0, 400);
}

#[test]
fn custom_objects_and_delete() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        "/malware",
        json!({"value": "Emotet", "description": "loader"}),
    );
    assert_eq!(st, 201, "{v}");
    let id = v["data"]["id"].as_u64().unwrap();
    let (_, v) = c.post(
        "/malware/query",
        json!({"criteria": {"value": {"+contains": "emo"}}}),
    );
    assert_eq!(v["total"], 1);
    assert_eq!(c.delete(&format!("/malware/{id}")).0, 204);
    assert_eq!(c.get(&format!("/malware/{id}")).0, 404);
    assert_eq!(c.get("/unicorns").0, 404);
}

#[test]
fn odd_bodies_and_paths_never_crash_the_fake() {
    let tq = FakeThreatQ::start();
    let ind = tq.add_indicator("a.example", "FQDN", "Active");
    let ev = tq.add_event("E", "Incident");
    let c = Tq::login(&tq);
    let bodies = [
        json!(null),
        json!([]),
        json!({}),
        json!("s"),
        json!(1),
        json!([1]),
        json!([{}]),
        json!({"value": null}),
        json!({"value": {"+or": 1}}),
        json!([{"value": "x", "type": []}]),
        json!({"criteria": {"+or": {}}}),
        json!({"criteria": [1]}),
        json!({"filters": {"+and": [1, "x"]}}),
        json!({"id": -1}),
        json!([{"id": "1"}]),
        json!({"name": "x", "value": "y", "sources": {}}),
        json!({"status": {"name": 5}}),
        json!({"type": {"id": "x"}}),
        json!({"manual_score": "x"}),
    ];
    let paths = [
        "/indicators".to_string(),
        "/indicators/consume".into(),
        "/indicators/query".into(),
        format!("/indicators/{ind}"),
        format!("/indicators/{ind}/attributes"),
        format!("/indicators/{ind}/sources"),
        format!("/indicators/{ind}/comments"),
        format!("/indicators/{ind}/tags"),
        format!("/indicators/{ind}/events"),
        format!("/indicators/{ind}/watchlist"),
        format!("/indicator/{ind}/scores"),
        "/events".into(),
        format!("/events/{ev}"),
        "/adversaries".into(),
        "/tasks".into(),
        "/attachments".into(),
        "/attachments/upload".into(),
        "/event/types".into(),
        "/malware/query".into(),
        "/indicators/comments/1".into(),
    ];
    for p in &paths {
        for b in &bodies {
            for (st, v) in [c.post(p, b.clone()), c.put(p, b.clone())] {
                assert!(st != 500 && st < 600, "{p} {b} -> {st} {v}");
            }
        }
        let (st, _) = c.post_raw(p, "application/json", b"\xff\xfe{");
        assert!(st == 400 || st == 404, "{p} invalid UTF-8 -> {st}");
        let (st, _) = c.delete_with(p, json!({"x": 1}));
        assert_ne!(st, 500, "{p} DELETE");
    }
    for p in [
        "/indicators/18446744073709551616",
        "/indicators/-1",
        "/indicators/1/attributes/x",
        "/indicators?limit=x",
        "/indicators?sort=nope",
        "/indicators/query/hash/x?cursorMark=%00",
        "/search/query?limit=99999999999999999999999",
        "/api",
        "/",
    ] {
        let (st, _) = c.get(p);
        assert!(st == 400 || st == 404, "{p} -> {st}");
    }
}

#[test]
fn import_sessions_parse_text_and_refuse_what_the_sdk_would_not_send() {
    let tq = FakeThreatQ::builder().shuffled_ids(true).start();
    let c = Tq::login(&tq);
    let (_, v) = c.get("/attachments/types?is_parsable=Y");
    let parser = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Generic Text")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let (_, v) = c.get("/attachments/types?is_parsable=N");
    let not_parser = v["data"][0]["id"].as_u64().unwrap();
    let review = tq.status_id("Review").unwrap();

    // The text variant of samples/threatq-attachments.json.
    let (st, v) = c.post(
        "/imports",
        json!({"content_type_id": parser, "text": "free text with 198.51.100.7 and bad.example.com", "normalize": "N"}),
    );
    assert_eq!(st, 201, "{v}");
    let iid = v["data"]["id"].as_u64().unwrap();
    let (st, v) = c.put(
        &format!("/imports/{iid}"),
        json!({"delete_after_import": false, "import_source": {"name": "IBM Resilient"}, "indicator_global_status": review}),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = c.get(&format!("/imports/{iid}/commit"));
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        c.get(&format!("/imports/{iid}/commit")).0,
        422,
        "committed twice"
    );
    let (_, v) = c.get(&format!("/imports/{iid}/indicators"));
    assert_eq!(v["total"], 2);
    let ind = tq.indicator_by_value("bad.example.com").unwrap();
    assert_eq!(ind["type"]["name"], "FQDN");
    assert_eq!(ind["status"]["name"], "Review");
    assert_eq!(c.delete(&format!("/imports/{iid}")).0, 204);
    assert_eq!(c.get(&format!("/imports/{iid}/indicators")).0, 404);

    for (body, field) in [
        (
            json!({"content_type_id": not_parser, "text": "x"}),
            "content_type_id",
        ),
        (
            json!({"content_type_id": parser, "attachment_id": 999_999}),
            "attachment_id",
        ),
        (json!({"content_type_id": parser}), "attachment_id"),
        (
            json!({"content_type_id": parser, "text": "x", "colour": 1}),
            "colour",
        ),
    ] {
        let (st, v) = c.post("/imports", body.clone());
        assert_eq!(st, 422, "{body}: {v}");
        assert_eq!(error_field(&v), field, "{body}");
    }
}

#[test]
fn users_are_paged_and_watchlist_entries_carry_their_user() {
    let tq = FakeThreatQ::builder().default_limit(2).start();
    for i in 0..3 {
        tq.add_user(&format!("u{i}@example.com"), &format!("User {i}"));
    }
    let c = Tq::login(&tq);
    let (_, v) = c.get("/users?with=source");
    assert_eq!(v["total"], 4);
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let (_, v) = c.get("/users?with=source&offset=2&limit=2");
    let other = v["data"][0]["id"].as_u64().unwrap();
    assert!(v["data"][0]["source"]["id"].as_u64().is_some());
    let id = tq.add_indicator("192.0.2.44", "IP Address", "Active");
    tq.watch_as(other, "indicators", id);
    let (_, v) = c.post(&format!("/indicators/{id}/watchlist"), json!(null));
    let me = v["data"]["user_id"].as_u64().unwrap();
    let (_, v) = c.get(&format!("/indicators/{id}?with=watchlist"));
    let users: Vec<u64> = v["data"]["watchlist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["user_id"].as_u64().unwrap())
        .collect();
    assert_eq!(users, vec![other, me]);
}
