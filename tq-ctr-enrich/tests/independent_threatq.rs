//! The connector against a second, independent ThreatQ written here on the bare test
//! server, in other documented shapes than FakeThreatQ: a saved-search list that ignores
//! `?name=` and holds near-miss names, ids as strings, collection rows with only `type_id`
//! and `status_id` (no embedded type, status or attributes), a server page size smaller
//! than asked, the last page `{}` with a fresh cursor, and a consume answer of only id and
//! value. Code to the documented API, not to one fake.

mod common;

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tq_testkit::certs::TestCa;
use tq_testkit::ctr::FakeCtr;
use tq_testkit::json::strings;
use tq_testkit::server::{Request, Response, TestServer};

const SOURCE: &str = "Cisco Threat Response Enrichment";

#[derive(Default)]
struct Db {
    rows: Vec<Value>,
    attributes: Vec<(i64, String, String, String)>,
    consumed: Vec<Value>,
    clock: u32,
}

fn stamp(n: u32) -> String {
    format!("2026-05-01 12:{:02}:{:02}", n / 60, n % 60)
}

fn handle(db: &Mutex<Db>, req: &Request) -> Response {
    let mut db = db.lock().unwrap();
    if req.path != "/api/token" && req.header("authorization") != Some("Bearer tok-1") {
        return Response::json(401, &json!({"error": "Unauthorized"}));
    }
    let path = req.path.as_str();
    match (req.method.as_str(), path) {
        ("POST", "/api/token") => {
            Response::json(200, &json!({"access_token": "tok-1", "expires_in": 3600}))
        }
        ("GET", "/api/search/query") => Response::json(
            200,
            &json!({"total": 3, "data": [
                {"id": 1, "name": "CTR", "hash": "h-1"},
                {"id": 2, "name": "ctr enrichment", "hash": "h-2"},
                {"id": 3, "name": "CTR enrichment", "hash": "h-3"},
            ]}),
        ),
        ("GET", "/api/indicator/types") => Response::json(
            200,
            &json!({"total": 2, "data": [{"id": "31", "name": "IP Address"}, {"id": "7", "name": "String"}]}),
        ),
        ("GET", "/api/indicator/statuses") => Response::json(
            200,
            &json!({"total": 2, "data": [{"id": 9, "name": "Active"}, {"id": 3, "name": "Review"}]}),
        ),
        ("GET", "/api/indicators/query/hash/h-3") => {
            // Two rows per page whatever the limit; cursor = offset; last page {}.
            let off: usize = req
                .query_param("cursorMark")
                .filter(|c| *c != "*")
                .and_then(|c| c.strip_prefix("c"))
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = db.rows.iter().skip(off).take(2).cloned().collect();
            let data = if page.is_empty() {
                json!({})
            } else {
                Value::Array(page.clone())
            };
            Response::json(
                200,
                &json!({"total": db.rows.len(), "limit": 2,
                    "nextCursorMark": format!("c{}", off + page.len().max(1)), "data": data}),
            )
        }
        ("POST", "/api/indicators/consume") => {
            let body = req.json().unwrap();
            let mut out = Vec::new();
            db.clock += 1;
            let now = stamp(db.clock);
            for item in body.as_array().unwrap() {
                db.consumed.push(item.clone());
                let value = item["value"].as_str().unwrap().to_string();
                let Some(row) = db.rows.iter_mut().find(|r| r["value"] == value.as_str()) else {
                    return Response::json(
                        422,
                        &json!({"data": {"errors": {"value": ["unknown"]}}}),
                    );
                };
                row["status_id"] = json!("9");
                row["updated_at"] = json!(now);
                row["touched_at"] = json!(now);
                let id: i64 = row["id"].as_str().unwrap().parse().unwrap();
                out.push(json!({"id": id, "value": value}));
                for a in item["attributes"].as_array().into_iter().flatten() {
                    db.attributes.push((
                        id,
                        a["name"].as_str().unwrap().into(),
                        a["value"].as_str().unwrap().into(),
                        a["sources"][0]["name"].as_str().unwrap().into(),
                    ));
                }
            }
            Response::json(200, &json!({"data": out}))
        }
        ("GET", p) if p.starts_with("/api/indicators/") && p.ends_with("/attributes") => {
            let id: i64 = p
                .trim_start_matches("/api/indicators/")
                .trim_end_matches("/attributes")
                .parse()
                .unwrap_or(-1);
            let rows: Vec<Value> = db
                .attributes
                .iter()
                .filter(|a| a.0 == id)
                .enumerate()
                .map(|(i, a)| {
                    json!({"id": i + 1, "name": a.1, "value": a.2, "sources": [{"name": a.3}]})
                })
                .collect();
            Response::json(200, &json!({"total": rows.len(), "data": rows}))
        }
        _ => Response::json(404, &json!({"errors": ["Not Found"]})),
    }
}

fn row(id: &str, value: &str, type_id: &str) -> Value {
    json!({"id": id, "value": value, "type_id": type_id, "status_id": "3",
        "created_at": "2026-05-01 10:00:00", "updated_at": "2026-05-01 10:00:00",
        "touched_at": "2026-05-01 10:00:00", "score": 0})
}

#[test]
fn another_documented_threatq_shape_is_enriched_the_same() {
    let ca = TestCa::new("independent test CA");
    let ident = || {
        ca.issue_server("127.0.0.1", &["127.0.0.1", "localhost"])
            .identity()
    };
    let db = Arc::new(Mutex::new(Db::default()));
    {
        let mut d = db.lock().unwrap();
        d.rows = vec![
            row("101", "198.51.100.7", "31"),
            row("102", "198.51.100.8", "31"),
            row("103", "just text", "7"),
        ];
        // 101 already has one of the attributes CTR will give, from our source.
        d.attributes.push((
            101,
            "CTR Module".into(),
            "Talos Intelligence".into(),
            SOURCE.into(),
        ));
    }
    let d2 = db.clone();
    let tq = TestServer::https(ident(), move |r: &Request| handle(&d2, r)).unwrap();
    let ctr = FakeCtr::start(ident()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write_cert(&ca_file).unwrap();
    let ini = dir.path().join("tq-ctr-enrich.ini");
    let threatq = tq_testkit::threatq::threatq_section(
        &tq.url(),
        "cid-123456",
        "a@example.com",
        "pw-123456",
        "Active",
        &ca_file,
    );
    let connector = format!(
        "[connector]\napi_url = {}\nclient_id = {}\nclient_password = {}\nsaved_search = CTR enrichment\n",
        ctr.url(),
        ctr.client_id(),
        ctr.client_password()
    );
    std::fs::write(&ini, threatq + &connector).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ini, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tq-ctr-enrich"))
            .args(["-c"])
            .arg(dir.path())
            .args(["-ll", "stdout", "-v", "2"])
            .env("TQ_RETRY_BASE_MS", "10")
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));

    let d = db.lock().unwrap();
    assert_eq!(d.consumed.len(), 2, "the String indicator is skipped");
    for item in &d.consumed {
        assert_eq!(item["type"], json!({"name": "IP Address"}));
        assert_eq!(item["status"], json!({"name": "Active"}));
    }
    let names_101 = strings(&d.consumed[0]["attributes"], "name");
    assert_eq!(d.consumed[0]["value"], "198.51.100.7");
    assert!(
        !names_101.contains(&"CTR Module"),
        "the attribute already there is not written again: {names_101:?}"
    );
    assert_eq!(names_101.len(), 7);
    assert_eq!(d.consumed[1]["attributes"].as_array().unwrap().len(), 8);
    // Rows without embedded attributes: the connector read them per enriched indicator.
    assert_eq!(tq.count("GET", "/api/indicators/101/attributes"), 1);
    assert_eq!(tq.count("GET", "/api/indicators/103/attributes"), 0);
    drop(d);

    // Our writes moved updated_at/touched_at: the next run sends nothing.
    ctr.clear_requests();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    assert!(ctr.requests().is_empty(), "{:?}", ctr.observables_sent());
    assert_eq!(db.lock().unwrap().consumed.len(), 2);
}
