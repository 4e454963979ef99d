//! FakeThreatQ saved searches / data collections (threatq-api.md §5; listing is [I]).

mod common;

use std::time::Duration;

use common::Tq;
use serde_json::{json, Value};
use tq_testkit::threatq::{FakeThreatQ, LastPage, NewIndicator};

/// Reads a data collection to the end as a client should: stop when `data` is empty
/// (`[]` or `{}`) or the cursor does not change. Returns the ids and the number of calls.
fn read_all(c: &Tq, hash: &str, limit: usize) -> (Vec<u64>, usize, Vec<Value>) {
    let mut cursor = "*".to_string();
    let mut ids = Vec::new();
    let mut calls = 0;
    let mut pages = Vec::new();
    loop {
        calls += 1;
        assert!(calls < 100, "runaway paging");
        let (st, v) = c.get(&format!(
            "/indicators/query/hash/{hash}?sort=updated_at&limit={limit}&cursorMark={cursor}"
        ));
        assert_eq!(st, 200, "{v}");
        let next = v["nextCursorMark"].as_str().unwrap().to_string();
        let empty = match &v["data"] {
            Value::Array(a) => a.is_empty(),
            Value::Object(m) => m.is_empty(),
            other => panic!("data is {other}"),
        };
        pages.push(v.clone());
        if empty || next == cursor {
            break;
        }
        for d in v["data"].as_array().unwrap() {
            ids.push(d["id"].as_u64().unwrap());
        }
        cursor = next;
    }
    (ids, calls, pages)
}

fn seed(tq: &FakeThreatQ, n: usize) {
    for i in 0..n {
        tq.add_indicator_with(
            NewIndicator::new(&format!("192.0.2.{i}"), "IP Address")
                .status("Active")
                .source("Tor Node List")
                .attribute("Router Port", "9000"),
        );
        tq.add_indicator(&format!("h{i}.example"), "FQDN", "Active");
        tq.advance(Duration::from_secs(1));
    }
}

#[test]
fn cursor_paging_to_the_end_with_an_empty_object_last_page() {
    let tq = FakeThreatQ::builder()
        .freeze_at("2026-01-01 00:00:00")
        .max_limit(4)
        .start();
    seed(&tq, 10);
    let hash = tq.add_saved_search("IPs", json!({"type_name": "IP Address"}));
    let c = Tq::login(&tq);
    let (ids, calls, pages) = read_all(&c, &hash, 100);
    assert_eq!(ids.len(), 10);
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 10, "no duplicates");
    assert_eq!(calls, 4, "3 pages of min(100, cap 4) + the empty last page");
    let first = &pages[0];
    assert_eq!(first["total"], 10);
    assert_eq!(first["limit"], 4);
    let item = &first["data"][0];
    assert_eq!(item["type"]["name"], "IP Address");
    assert_eq!(item["status"]["name"], "Active");
    assert_eq!(item["attributes"][0]["name"], "Router Port");
    assert_eq!(item["sources"][0]["name"], "Tor Node List");
    assert!(
        item["score"].is_number(),
        "bare score in data collections: {item}"
    );
    assert!(item["adversaries"].is_array());
    let last = pages.last().unwrap();
    assert_eq!(last["data"], json!({}));
    assert_ne!(
        last["nextCursorMark"],
        pages[pages.len() - 2]["nextCursorMark"]
    );
}

#[test]
fn cursor_paging_with_an_empty_list_last_page_and_unchanged_cursor() {
    let tq = FakeThreatQ::builder()
        .saved_search_last_page(LastPage::EmptyList)
        .start();
    seed(&tq, 5);
    let hash = tq.add_saved_search("IPs", json!({"type_name": "IP Address"}));
    let c = Tq::login(&tq);
    let (ids, calls, pages) = read_all(&c, &hash, 2);
    assert_eq!(ids.len(), 5);
    assert_eq!(calls, 4);
    let last = pages.last().unwrap();
    assert_eq!(last["data"], json!([]));
    assert_eq!(
        last["nextCursorMark"],
        pages[pages.len() - 2]["nextCursorMark"]
    );
    // An empty collection answers the empty form at once.
    let none = tq.add_saved_search("None", json!({"type_name": "MD5"}));
    let (_, v) = c.get(&format!(
        "/indicators/query/hash/{none}?limit=5&cursorMark=*"
    ));
    assert_eq!(v["total"], 0);
    assert_eq!(v["data"], json!([]));
    assert_eq!(v["nextCursorMark"], "*");
}

#[test]
fn criteria_are_applied_at_execution_time_and_sorted_by_updated_at() {
    let tq = FakeThreatQ::builder()
        .freeze_at("2026-01-01 00:00:00")
        .start();
    seed(&tq, 3);
    let hash = tq.add_saved_search(
        "Active IPs",
        json!({"+and": [{"type_name": "IP Address"}, {"status_name": "Active"}]}),
    );
    let c = Tq::login(&tq);
    let (ids, _, _) = read_all(&c, &hash, 10);
    assert_eq!(ids.len(), 3);
    // A change moves an indicator to the end (sort=updated_at), a status change drops one.
    tq.advance(Duration::from_secs(60));
    tq.update_object("indicators", ids[0], json!({"description": "changed"}));
    tq.set_indicator_status(ids[1], "Expired");
    let (ids2, _, _) = read_all(&c, &hash, 10);
    assert_eq!(ids2, vec![ids[2], ids[0]]);
    // New matching data shows up.
    tq.add_indicator("192.0.2.200", "IP Address", "Active");
    assert_eq!(read_all(&c, &hash, 10).0.len(), 3);
    let (st, _) = c.get("/indicators/query/hash/nope?cursorMark=*");
    assert_eq!(st, 404);
    let (st, _) = c.get(&format!(
        "/indicators/query/hash/{hash}?cursorMark=garbage!"
    ));
    assert_eq!(st, 400);
}

#[test]
fn saved_search_listing_name_lookup_and_name_filter_knob() {
    let tq = FakeThreatQ::start();
    let mut hashes = Vec::new();
    for i in 0..12 {
        hashes.push(tq.add_saved_search(&format!("Search {i}"), json!({"type_name": "FQDN"})));
    }
    let exact = tq.add_saved_search("CTR enrich", json!({"type_name": "URL"}));
    tq.add_saved_search("CTR enrich (old)", json!({}));
    let c = Tq::login(&tq);
    let (st, v) = c.get("/search/query");
    assert_eq!(st, 200);
    assert_eq!(v["total"], 14);
    assert_eq!(v["data"].as_array().unwrap().len(), 10, "paged");
    let item = &v["data"][0];
    assert!(item["id"].is_u64() && item["name"].is_string() && item["hash"].is_string());
    let (_, v) = c.get("/search/query?limit=10&offset=10");
    assert_eq!(v["data"].as_array().unwrap().len(), 4);
    assert_eq!(v["data"][2]["hash"], exact);

    // Default: ?name= is ignored.
    let (_, v) = c.get("/search/query?name=CTR%20enrich");
    assert_eq!(v["total"], 14);
    tq.saved_search_name_filter(true);
    let (_, v) = c.get("/search/query?name=CTR%20enrich");
    assert_eq!(v["total"], 1);
    assert_eq!(v["data"][0]["hash"], exact);
    let (_, v) = c.get("/search/query?name=CTR%25");
    assert_eq!(v["total"], 2);

    let (st, v) = c.get(&format!("/search/query/{exact}?fields=name"));
    assert_eq!(st, 200);
    assert_eq!(v, json!({"data": {"name": "CTR enrich"}}));
    assert_eq!(c.get("/search/query/unknown").0, 404);
}

#[test]
fn saved_searches_over_other_collections() {
    let tq = FakeThreatQ::start();
    tq.add_event("Phish 1", "Spearphish");
    tq.add_event("Incident 1", "Incident");
    let hash = tq.add_saved_search_for(
        "events",
        "Spearphish events",
        json!({"type_name": "Spearphish"}),
    );
    let c = Tq::login(&tq);
    let (st, v) = c.get(&format!("/events/query/hash/{hash}?limit=10&cursorMark=*"));
    assert_eq!(st, 200);
    assert_eq!(v["total"], 1);
    assert_eq!(v["data"][0]["title"], "Phish 1");
    let (_, v) = c.get(&format!(
        "/indicators/query/hash/{hash}?limit=10&cursorMark=*"
    ));
    assert_eq!(v["total"], 0);
}

#[test]
fn a_data_collection_over_several_object_types() {
    let tq = FakeThreatQ::start();
    tq.add_indicator("198.51.100.1", "IP Address", "Active");
    tq.add_indicator("198.51.100.2", "IP Address", "Review");
    tq.add_event("Phish 1", "Spearphish");
    tq.add_event("Incident 1", "Incident");
    tq.add_adversary("Example Actor");
    let hash = tq.add_data_collection(
        "Watch these",
        &[
            ("indicators", json!({"status_name": "Active"})),
            ("events", json!({"type_name": "Spearphish"})),
        ],
    );
    let c = Tq::login(&tq);
    let run = |objs: &str| {
        let (st, v) = c.get(&format!("/{objs}/query/hash/{hash}?limit=10&cursorMark=*"));
        assert_eq!(st, 200, "{v}");
        v
    };
    let v = run("indicators");
    assert_eq!(v["total"], 1);
    assert_eq!(v["data"][0]["value"], "198.51.100.1");
    let v = run("events");
    assert_eq!(v["total"], 1);
    assert_eq!(v["data"][0]["title"], "Phish 1");
    assert_eq!(
        run("adversaries")["total"],
        0,
        "a type the collection does not cover"
    );
    let (_, v) = c.get("/search/query");
    assert_eq!(v["data"][0]["name"], "Watch these");
    assert_eq!(v["data"][0]["hash"], hash.as_str());
}
