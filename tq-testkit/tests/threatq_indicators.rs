//! FakeThreatQ indicators: create, find, get with `with=`, consume, update, query, paging,
//! strictness, timestamps (threatq-api.md §3, §4.2, §6, §17, §19).

mod common;

use std::time::Duration;

use common::{error_field, Tq};
use serde_json::{json, Value};
use tq_testkit::json::strings;
use tq_testkit::threatq::{FakeThreatQ, NewIndicator};

#[test]
fn create_returns_a_list_with_existing_flag_and_accepts_names_or_ids() {
    let tq = FakeThreatQ::builder().shuffled_ids(true).start();
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        "/indicators",
        json!({"value": "bad.example.com", "type": "FQDN", "status": "Active",
               "sources": [{"name": "Request Tracker"}],
               "attributes": [{"name": "RT Ticket", "value": "42"}]}),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["total"], 1);
    let d = &v["data"][0];
    assert_eq!(d["existing"], "N");
    assert_eq!(d["type_id"].as_u64(), tq.type_id("FQDN"));
    assert_eq!(d["status_id"].as_u64(), tq.status_id("Active"));
    assert_eq!(d["class"], "network");
    assert_eq!(d["hash"].as_str().unwrap().len(), 32);
    let id = d["id"].as_u64().unwrap();

    let tid = tq.type_id("FQDN").unwrap();
    let sid = tq.status_id("Review").unwrap();
    let (st, v) = c.post(
        "/indicators",
        json!([{"value": "bad.example.com", "type_id": tid, "status_id": sid},
               {"value": "other.example.com", "type_id": tid, "status_id": sid}]),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["total"], 2);
    assert_eq!(v["data"][0]["existing"], "Y");
    assert_eq!(v["data"][0]["id"].as_u64(), Some(id));
    assert_eq!(v["data"][1]["existing"], "N");

    // Hard-coded default ids fail on a shuffled instance.
    let (st, v) = c.post(
        "/indicators",
        json!({"value": "x.example", "type_id": 11, "status_id": 1}),
    );
    assert_eq!(st, 422, "{v}");
    assert_eq!(error_field(&v), "type_id");
    let (st, v) = c.post(
        "/indicators",
        json!({"value": "x.example", "type": "Domain"}),
    );
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "type");
}

#[test]
fn find_by_value_and_get_with_relations() {
    let tq = FakeThreatQ::start();
    let id = tq.add_indicator_with(
        NewIndicator::new("198.51.100.7", "IP Address")
            .status("Active")
            .source("Analyst Feed")
            .attribute("Country", "US")
            .tag("phishing"),
    );
    let adv = tq.add_adversary("Example Actor");
    tq.link("adversaries", adv, "indicators", id);
    tq.add_comment("indicators", id, "seen in phishing");
    let c = Tq::login(&tq);

    let (st, v) = c.get("/indicators?value=198.51.100.7&with=type,status,score,sources,attributes");
    assert_eq!(st, 200);
    assert_eq!(v["total"], 1);
    let d = &v["data"][0];
    assert_eq!(d["id"].as_u64(), Some(id));
    assert_eq!(d["type"]["name"], "IP Address");
    assert_eq!(d["status"]["name"], "Active");
    assert_eq!(d["score"]["generated_score"], "0.00");
    assert_eq!(d["sources"][0]["name"], "Analyst Feed");
    assert_eq!(d["sources"][0]["pivot"]["id"], d["sources"][0]["id"]);
    assert_eq!(d["attributes"][0]["name"], "Country");
    assert_eq!(d["attributes"][0]["indicator_id"].as_u64(), Some(id));
    assert!(d.get("comments").is_none(), "not asked for");

    let (_, v) = c.get(&format!(
        "/indicators/{id}?with=adversaries,comments,tags,watchlist"
    ));
    let d = &v["data"];
    assert_eq!(d["adversaries"][0]["name"], "Example Actor");
    assert!(d["adversaries"][0]["pivot"]["id"].is_u64());
    assert_eq!(d["comments"][0]["value"], "seen in phishing");
    assert_eq!(d["tags"][0]["name"], "phishing");
    assert_eq!(d["watchlist"], json!([]));
    assert!(d.get("type").is_none(), "without with=type only type_id");
    assert!(d["type_id"].is_u64());

    let (_, v) = c.get("/indicators?value=nothing.example");
    assert_eq!(v["total"], 0);
    assert_eq!(v["data"], json!([]));
    // % is a LIKE wildcard.
    let (_, v) = c.get("/indicators?value=198.51.%25");
    assert_eq!(v["total"], 1);
    let (st, v) = c.get("/indicators/99999");
    assert_eq!((st, v), (404, json!({"errors": ["Not Found"]})));
    let (st, _) = c.get("/indicators/1?with=bogus");
    assert_eq!(st, 400);
}

#[test]
fn strict_bodies_answer_422_naming_the_field_and_400_for_bad_json() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        "/indicators",
        json!({"value": "a.example", "type": "FQDN", "colour": "red"}),
    );
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "colour");
    let (st, v) = c.post("/indicators/consume", json!([{"value": 5, "type": "FQDN"}]));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "0.value");
    let (st, v) = c.post(
        "/indicators/consume",
        json!([{"value": "a.example", "type": {"name": "FQDN"},
                "attributes": [{"name": "x", "value": "y", "source": "z"}]}]),
    );
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "0.attributes.0.source");
    let (st, v) = c.post("/indicators", json!({"type": "FQDN"}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "value");
    let (st, v) = c.post(
        "/indicators",
        json!({"value": "a.example", "type": "FQDN", "published_at": "2020-01-01T00:00:00Z"}),
    );
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "published_at");
    let (st, v) = c.post_raw("/indicators", "application/json", b"{\"value\": ");
    assert_eq!(st, 400);
    assert!(v["errors"][0].is_string(), "{v}");
    let (st, v) = c.get("/no/such/route");
    assert_eq!((st, v), (404, json!({"errors": ["Not Found"]})));
    let (st, _) = c.get("/indicators?colour=red");
    assert_eq!(st, 400);
    // Nothing was half-written by the failures.
    assert_eq!(tq.object_count("indicators"), 0);
}

#[test]
fn consume_upserts_by_value_and_type_with_every_field() {
    let tq = FakeThreatQ::start();
    let event = tq.add_event("Phish", "Spearphish");
    let c = Tq::login(&tq);
    let body = json!([
        {"value": "203.0.113.9", "type": {"name": "IP Address"}, "status": {"name": "Review"},
         "sources": [{"name": "McAfee TIE", "tlp_id": 2}],
         "attributes": [{"name": "TIE Reputation", "value": "Known Malicious"},
                        {"name": "Provider", "value": "GTI", "sources": [{"name": "Other"}]}],
         "tags": ["tie"], "comments": [{"value": "from TIE"}],
         "description": "bad", "published_at": "2026-01-01 00:00:00", "tlp_id": 2,
         "events": [{"id": event}]},
        {"value": "203.0.113.9", "type": "FQDN", "status": "Active"}
    ]);
    let (st, v) = c.post("/indicators/consume?normalize=Y", body);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["total"], 2);
    let id = v["data"][0]["id"].as_u64().unwrap();
    assert_ne!(
        v["data"][1]["id"].as_u64().unwrap(),
        id,
        "same value, other type"
    );
    assert_eq!(v["data"][0]["value"], "203.0.113.9");
    assert_eq!(v["data"][0]["status_id"].as_u64(), tq.status_id("Review"));

    let ind = tq.indicator(id).unwrap();
    assert_eq!(ind["sources"][0]["name"], "McAfee TIE");
    assert_eq!(ind["sources"][0]["tlp_id"], 2);
    let attrs = ind["attributes"].as_array().unwrap();
    assert_eq!(attrs.len(), 2);
    assert_eq!(
        attrs[0]["sources"][0]["name"], "McAfee TIE",
        "inherits object sources"
    );
    assert_eq!(attrs[1]["sources"][0]["name"], "Other");
    assert_eq!(ind["tags"][0]["name"], "tie");
    assert_eq!(ind["comments"][0]["value"], "from TIE");
    assert_eq!(ind["events"][0]["id"].as_u64(), Some(event));
    assert_eq!(ind["description"], "bad");

    // The older path, and a status change by id on the existing row.
    let active = tq.status_id("Active").unwrap();
    let (st, v) = c.post(
        "/indicators/consume/new",
        json!([{"value": "203.0.113.9", "type": {"name": "IP Address"}, "status_id": active}]),
    );
    assert_eq!(st, 200);
    assert_eq!(v["data"][0]["id"].as_u64(), Some(id));
    assert_eq!(tq.indicator(id).unwrap()["status"]["name"], "Active");
    assert_eq!(tq.object_count("indicators"), 2);
    // Unknown relation target: 422, nothing written.
    let (st, v) = c.post(
        "/indicators/consume",
        json!([{"value": "new.example", "type": "FQDN", "adversaries": [{"id": 999}]}]),
    );
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "0.adversaries.0.id");
    assert!(tq.indicator_by_value("new.example").is_none());
}

#[test]
fn duplicate_attributes_are_stored_unless_the_merge_knob_is_on() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    let body = json!([{"value": "evil.example", "type": "FQDN",
        "attributes": [{"name": "Disposition", "value": "Malicious",
                        "sources": [{"name": "Cisco Threat Response Enrichment"}]}]}]);
    let (_, v) = c.post("/indicators/consume", body.clone());
    let id = v["data"][0]["id"].as_u64().unwrap();
    c.post("/indicators/consume", body.clone());
    assert_eq!(
        tq.attributes_of("indicators", id).len(),
        2,
        "default stores duplicates"
    );

    tq.merge_duplicate_attributes(true);
    c.post("/indicators/consume", body.clone());
    assert_eq!(tq.attributes_of("indicators", id).len(), 2, "merged");
    // Same name and value from another source is a different attribute.
    c.post(
        "/indicators/consume",
        json!([{"value": "evil.example", "type": "FQDN",
            "attributes": [{"name": "Disposition", "value": "Malicious", "sources": [{"name": "X"}]}]}]),
    );
    assert_eq!(tq.attributes_of("indicators", id).len(), 3);
    // The knob applies to the attribute endpoint too.
    let (st, _) = c.post(
        &format!("/indicators/{id}/attributes"),
        json!({"name": "Disposition", "value": "Malicious", "sources": [{"name": "X"}]}),
    );
    assert_eq!(st, 201);
    assert_eq!(tq.attributes_of("indicators", id).len(), 3);
}

#[test]
fn update_accepts_every_status_form() {
    let tq = FakeThreatQ::start();
    let id = tq.add_indicator("admin@example.com", "Email Address", "Active");
    let c = Tq::login(&tq);
    let review = tq.status_id("Review").unwrap();
    let expired = tq.status_id("Expired").unwrap();
    let path = format!("/indicators/{id}");
    let status = |tq: &FakeThreatQ| tq.indicator(id).unwrap()["status"]["name"].clone();

    let (st, v) = c.put(&path, json!({"status_id": review}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["status_id"].as_u64(), Some(review));
    c.put(&path, json!({"status": "Active"}));
    assert_eq!(status(&tq), "Active");
    c.put(&path, json!({"status": {"name": "Whitelisted"}}));
    assert_eq!(status(&tq), "Whitelisted");
    let (st, _) = c.put(&format!("{path}?status_id={expired}"), json!({}));
    assert_eq!(st, 200);
    assert_eq!(status(&tq), "Expired");
    let (st, v) = c.put(
        &path,
        json!({"status_id": review, "sources": [{"name": "McAfee TIE"}]}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(status(&tq), "Review");
    assert_eq!(
        tq.indicator(id).unwrap()["sources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (st, v) = c.put(&path, json!({"status": "Bogus"}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "status");
    let (st, v) = c.put(&path, json!({"status_id": "4"}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "status_id");
    let (st, _) = c.put("/indicators/4242", json!({"status": "Active"}));
    assert_eq!(st, 404);
    let (st, v) = c.put(
        &format!("/indicator/{id}/scores"),
        json!({"manual_score": 7}),
    );
    assert_eq!(st, 200);
    assert_eq!(v["data"]["manual_score"], "7");
    assert_eq!(tq.indicator(id).unwrap()["score"]["manual_score"], "7");
}

#[test]
fn updated_at_and_touched_at_move_as_documented() {
    let tq = FakeThreatQ::builder()
        .freeze_at("2026-01-01 00:00:00")
        .start();
    let id = tq.add_indicator("a.example", "FQDN", "Review");
    let c = Tq::login(&tq);
    let ts = |tq: &FakeThreatQ| {
        let v = tq.indicator(id).unwrap();
        (
            v["created_at"].as_str().unwrap().to_string(),
            v["updated_at"].as_str().unwrap().to_string(),
            v["touched_at"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        ts(&tq),
        (
            "2026-01-01 00:00:00".into(),
            "2026-01-01 00:00:00".into(),
            "2026-01-01 00:00:00".into()
        )
    );

    tq.advance(Duration::from_secs(60));
    c.post(
        &format!("/indicators/{id}/attributes"),
        json!([{"name": "A", "value": "1"}]),
    );
    assert_eq!(
        ts(&tq).1,
        "2026-01-01 00:00:00",
        "attribute: updated_at stays"
    );
    assert_eq!(
        ts(&tq).2,
        "2026-01-01 00:01:00",
        "attribute: touched_at moves"
    );

    for (step, action) in ["source", "comment", "tag", "link"].iter().enumerate() {
        tq.advance(Duration::from_secs(60));
        let expect = format!("2026-01-01 00:0{}:00", step + 2);
        match *action {
            "source" => c.post(
                &format!("/indicators/{id}/sources"),
                json!({"name": "Feed"}),
            ),
            "comment" => c.post(
                &format!("/indicators/{id}/comments"),
                json!({"value": "hi"}),
            ),
            "tag" => c.post(&format!("/indicators/{id}/tags"), json!([{"name": "t"}])),
            _ => {
                let ev = tq.add_event("E", "Incident");
                c.post(&format!("/events/{ev}/indicators"), json!([{"id": id}]))
            }
        };
        assert_eq!(ts(&tq).2, expect, "{action} moves touched_at");
        assert_eq!(
            ts(&tq).1,
            "2026-01-01 00:00:00",
            "{action} leaves updated_at"
        );
    }

    tq.advance(Duration::from_secs(60));
    c.put(&format!("/indicators/{id}"), json!({"status": "Active"}));
    assert_eq!(ts(&tq).1, "2026-01-01 00:06:00", "status moves updated_at");
    assert_eq!(ts(&tq).2, "2026-01-01 00:06:00");

    // Re-sending the same status is no change.
    tq.advance(Duration::from_secs(60));
    c.put(&format!("/indicators/{id}"), json!({"status": "Active"}));
    assert_eq!(ts(&tq).1, "2026-01-01 00:06:00");
    // Consume re-sending identical data changes nothing on the row.
    c.post(
        "/indicators/consume",
        json!([{"value": "a.example", "type": "FQDN", "status": "Active"}]),
    );
    assert_eq!(ts(&tq).1, "2026-01-01 00:06:00");
    assert_eq!(ts(&tq).0, "2026-01-01 00:00:00");
}

#[test]
fn query_criteria_filters_sort_and_paging() {
    let tq = FakeThreatQ::builder()
        .freeze_at("2026-01-01 00:00:00")
        .start();
    for i in 0..30 {
        let t = if i % 3 == 0 { "FQDN" } else { "IP Address" };
        let v = if t == "FQDN" {
            format!("h{i:02}.example")
        } else {
            format!("192.0.2.{i}")
        };
        let s = if i % 2 == 0 { "Active" } else { "Review" };
        tq.add_indicator(&v, t, s);
        tq.advance(Duration::from_secs(10));
    }
    let c = Tq::login(&tq);
    let (st, v) = c.post(
        "/indicators/query?limit=5&offset=0&sort=-id",
        json!({"criteria": {}, "filters": {"+and": [{"type_name": "IP Address"}, {"status_name": "Active"}]}}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["total"], 10);
    assert_eq!(v["limit"], 5);
    assert_eq!(v["offset"], 0);
    let ids: Vec<u64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "sorted desc: {ids:?}");

    // Date comparison on updated_at and +or, with fields projection.
    let (_, v) = c.post(
        "/indicators/query?limit=100",
        json!({"criteria": {"+or": [{"updated_at": {"+gte": "2026-01-01 00:04:50"}}, {"value": "192.0.2.1"}]},
               "fields": ["id", "value", "type"]}),
    );
    assert_eq!(v["total"], 2, "{v}");
    let d = &v["data"][0];
    assert!(d.get("status_id").is_none(), "projected: {d}");
    assert!(d["type"]["name"].is_string(), "fields imply with: {d}");
    // Numbers: score range.
    let id0 = tq.indicator_by_value("h00.example").unwrap()["id"]
        .as_u64()
        .unwrap();
    c.put(
        &format!("/indicator/{id0}/scores"),
        json!({"manual_score": 8}),
    );
    let (_, v) = c.post(
        "/indicators/query",
        json!({"filters": {"score": {"+gte": 5, "+lte": 10}}}),
    );
    assert_eq!(v["total"], 1);
    // Multi-key sort: type_name then -value.
    let (_, v) = c.post("/indicators/query?limit=3&sort=type_name,-value", json!({}));
    assert_eq!(
        strings(&v["data"], "value"),
        vec!["h27.example", "h24.example", "h21.example"]
    );
    // Unknown field or operator: 422.
    let (st, v) = c.post("/indicators/query", json!({"criteria": {"colour": "red"}}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "criteria.colour");
    let (st, _) = c.post(
        "/indicators/query",
        json!({"criteria": {"value": {"+near": "x"}}}),
    );
    assert_eq!(st, 422);
    let (st, v) = c.post("/indicators/query", json!({"criteria": {}, "limit": 5}));
    assert_eq!(st, 422);
    assert_eq!(error_field(&v), "limit");
}

/// `{"value": {"+in": [...]}}` (a batch asking which of its values exist) is answered from
/// the store's value index: the same rows as the equivalent scan (`+or` of equalities), of
/// every type, with paging; values compare as text (ThreatQ's value is a string column), so
/// "07" is not "7" and hex digests never meet as numbers.
#[test]
fn value_in_query_answers_as_the_scan_does() {
    let tq = FakeThreatQ::start();
    tq.add_indicator("h1.example", "FQDN", "Active");
    tq.add_indicator("h1.example", "String", "Review");
    tq.add_indicator("0000000000000000000000000000000a", "MD5", "Review");
    tq.add_indicator("00000000000000000000000000000007", "MD5", "Review");
    tq.add_indicator(
        "0000000000000000000000000000000000000007",
        "SHA-1",
        "Review",
    );
    // Both read as the number "infinity"; as text they differ.
    tq.add_indicator("0500000000000e120000000000000000", "MD5", "Review");
    tq.add_indicator("0500000000000e130000000000000000", "MD5", "Review");
    tq.add_indicator("192.0.2.9", "IP Address", "Review");
    for i in 0..40 {
        tq.add_indicator(&format!("{i:040x}z"), "String", "Review");
    }
    let c = Tq::login(&tq);
    let asked = json!([
        "h1.example",
        "07",
        "00000000000000000000000000000007",
        "0000000000000000000000000000000a",
        "0500000000000e120000000000000000",
        "nope",
        "0000000000000000000000000000000000000005z",
        "0000000000000000000000000000000000000006z"
    ]);
    let scan = json!({"+or": asked.as_array().unwrap().iter().map(|v| json!({"value": v})).collect::<Vec<_>>()});
    let ids = |criteria: Value, limit: usize| -> Vec<u64> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let (st, v) = c.post(
                &format!("/indicators/query?limit={limit}&offset={offset}&sort=id"),
                json!({ "criteria": criteria }),
            );
            assert_eq!(st, 200, "{v}");
            let page = v["data"].as_array().unwrap().clone();
            out.extend(page.iter().map(|d| d["id"].as_u64().unwrap()));
            offset += limit;
            if offset >= v["total"].as_u64().unwrap() as usize {
                return out;
            }
        }
    };
    let fast = ids(json!({"value": {"+in": asked}}), 2);
    assert_eq!(fast, ids(scan, 100));
    assert_eq!(
        fast.len(),
        7,
        "2 h1.example, the MD5 7, a, e12, 5z, 6z: {fast:?}"
    );
}

#[test]
fn limit_is_capped_and_total_always_reported() {
    let tq = FakeThreatQ::builder().max_limit(7).start();
    tq.add_ip_indicators(0..20, "Active");
    let c = Tq::login(&tq);
    let (_, v) = c.get("/indicators?limit=500");
    assert_eq!(v["total"], 20);
    assert_eq!(v["data"].as_array().unwrap().len(), 7);
    let (_, v) = c.get("/indicators");
    assert_eq!(
        v["data"].as_array().unwrap().len(),
        7,
        "default 10, capped at 7"
    );
    // Paging through with offset sees every row once.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let (_, v) = c.post(
            &format!("/indicators/query?limit=1000&offset={offset}&sort=id"),
            json!({}),
        );
        assert_eq!(v["total"], 20);
        let page = v["data"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        offset += page.len();
        seen.extend(page.into_iter().map(|d| d["id"].as_u64().unwrap()));
    }
    assert_eq!(seen, (1..=20).collect::<Vec<u64>>());
    let (st, _) = c.get("/indicators?limit=-1");
    assert_eq!(st, 400);
}

#[test]
fn lookups_by_name_and_id() {
    let tq = FakeThreatQ::builder().shuffled_ids(true).start();
    let c = Tq::login(&tq);
    let (_, v) = c.get("/indicator/statuses");
    assert_eq!(v["total"], 5);
    assert!(strings(&v["data"], "name").contains(&"Whitelisted"));
    let (_, v) = c.get("/indicator/statuses?name=Review");
    assert_eq!(v["total"], 1);
    let rid = v["data"][0]["id"].as_u64().unwrap();
    assert_eq!(Some(rid), tq.status_id("Review"));
    assert_ne!(rid, 4, "shuffled");
    let (_, v) = c.get(&format!("/indicator/statuses/{rid}"));
    assert_eq!(v["data"]["name"], "Review");
    let (_, v) = c.get("/indicator/types?name=FQDN");
    assert_eq!(v["data"][0]["class"], "network");
    let tid = v["data"][0]["id"].as_u64().unwrap();
    let (_, v) = c.get(&format!("/indicator/types/{tid}"));
    assert_eq!(v["data"]["name"], "FQDN");
    let (_, v) = c.get("/event/types?name=Incident");
    assert_eq!(v["total"], 1);
    let (_, v) = c.get("/event/types");
    assert_eq!(v["total"], 14);
    let (_, v) = c.get("/attachments/types?is_parsable=Y");
    assert!(strings(&v["data"], "name").contains(&"Generic Text"));
    assert!(!strings(&v["data"], "name").contains(&"Malware Sample"));
    let (st, _) = c.get("/indicator/statuses/4242");
    assert_eq!(st, 404);
}

#[test]
fn requests_are_logged_and_faults_apply_to_the_fake() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    tq.fail_next_on(
        "GET /api/indicators",
        1,
        tq_testkit::server::Fault::Status(500),
    );
    assert_eq!(c.get("/indicators").0, 500);
    assert_eq!(c.get("/indicators").0, 200);
    assert_eq!(tq.count("GET", "/api/indicators"), 2);
    assert_eq!(tq.count("POST", "/api/token"), 1);
    let first = &tq.requests()[0];
    assert!(first.body_text().contains(tq.password()));
}
