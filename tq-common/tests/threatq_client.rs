//! The ThreatQ client against FakeThreatQ over HTTPS: login, token renewal, retries,
//! paging, lookups by name, saved searches and data collections, error forms.

use std::time::{Duration, Instant};

use serde_json::json;
use tq_common::threatq::collections::{SearchHints, SearchMatch};
use tq_common::threatq::{
    AttributeWrite, Collection, EventCreate, Indicator, IndicatorUpsert, NameRef, ObjRef, ThreatQ,
};
use tq_testkit::clients;
use tq_testkit::server::Fault;
use tq_testkit::threatq::{FakeThreatQ, LastPage};

/// How the saved-search errors are worded in these tests.
const HINTS: SearchHints<'static> = SearchHints {
    option: "search_option",
    not_found: "check the name hint",
    several: "pick one hint",
};

fn client_with(fake: &FakeThreatQ, password: &str) -> ThreatQ {
    clients::threatq_with_password(fake, password)
}

fn client(fake: &FakeThreatQ) -> ThreatQ {
    clients::threatq(fake)
}

#[test]
fn login_user_and_lookups_by_name_with_shuffled_ids() {
    let fake = FakeThreatQ::builder().shuffled_ids(true).start();
    let tq = client(&fake);
    let (user, review) = tq.check().expect("check");
    assert_eq!(user.email, fake.username());
    let statuses = tq
        .lookup_all(tq_common::threatq::lookups::Lookup::IndicatorStatus)
        .unwrap();
    let expected = statuses.iter().find(|s| s.name == "Review").unwrap().id;
    assert_eq!(review, expected);
    let fqdn = tq.indicator_type_id("FQDN").unwrap();
    let id = fake.add_indicator("bad.example.com", "FQDN", "Active");
    let ind = tq.indicator(id as i64).unwrap();
    assert_eq!(ind.type_name.as_deref(), Some("FQDN"));
    assert!(ind.type_id.is_none() || ind.type_id == Some(fqdn));
    let e = tq.status_id("Nope").unwrap_err().to_string();
    for part in ["no indicator status named \"Nope\"", "Review"] {
        assert!(e.contains(part), "{e}");
    }
}

#[test]
fn expired_token_is_renewed_once_and_the_call_retried() {
    let fake = FakeThreatQ::start();
    let tq = client(&fake);
    tq.login().unwrap();
    fake.expire_tokens();
    fake.clear_requests();
    let user = tq.current_user().expect("renewed");
    assert_eq!(user.email, fake.username());
    assert_eq!(
        fake.count("GET", "/api/users/current"),
        2,
        "one 401, one retry"
    );
    assert_eq!(fake.count("POST", "/api/token"), 1, "exactly one renewal");
}

#[test]
fn wrong_credentials_400_or_401_fail_clearly() {
    for status in [400, 401] {
        let fake = FakeThreatQ::builder()
            .bad_credentials_status(status)
            .start();
        let tq = client_with(&fake, "wrong-password-123");
        let e = tq.login().unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(e.status(), Some(status));
        let m = e.to_string();
        assert!(
            m.contains("login refused") && m.contains(fake.username()),
            "{m}"
        );
        assert!(!m.contains("wrong-password-123"));
    }
}

#[test]
fn server_errors_and_rate_limits_are_retried_with_backoff() {
    let fake = FakeThreatQ::start();
    let tq = client(&fake);
    tq.login().unwrap();
    fake.fail_next_on("/api/users/current", 2, Fault::Status(500));
    tq.current_user().expect("retried past two 500s");
    assert_eq!(fake.count("GET", "/api/users/current"), 3);

    fake.rate_limit_next_on("/api/users/current", 1, 1);
    let t = Instant::now();
    tq.current_user().expect("retried after 429");
    assert!(t.elapsed() >= Duration::from_secs(1), "Retry-After ignored");

    fake.fail_next_on("/api/users/current", 100, Fault::Status(503));
    let e = tq.current_user().unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.exit_code(), 1);
    fake.clear_faults();

    // A Retry-After longer than we wait in a run fails at once and says how long.
    fake.rate_limit_next_on("/api/users/current", 1, 3557);
    let t = Instant::now();
    let e = tq.current_user().unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(e.is_rate_limited());
    assert!(
        matches!(e, tq_common::Error::Remote { retry_after: Some(d), .. } if d.as_secs() == 3557)
    );
}

#[test]
fn a_dropped_read_is_retried_a_dropped_write_is_not() {
    let fake = FakeThreatQ::start();
    let tq = client(&fake);
    tq.login().unwrap();
    fake.fail_next_on("/api/users/current", 1, Fault::Drop);
    tq.current_user()
        .expect("GET retried after a dropped connection");
    fake.fail_next_on("/api/indicators/consume", 1, Fault::Drop);
    let e = tq
        .consume_indicators(&[IndicatorUpsert::new("192.0.2.1", "IP Address")])
        .unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert_eq!(
        fake.count("POST", "/api/indicators/consume"),
        1,
        "a write that may have landed was sent again"
    );
}

#[test]
fn lists_are_paged_through_whatever_the_server_page_size() {
    let fake = FakeThreatQ::builder().max_limit(7).start();
    fake.add_ip_indicators(0..23, "Active");
    let tq = client(&fake);
    let all = tq
        .query_indicators(json!({}), json!({"type_name": "IP Address"}))
        .unwrap();
    assert_eq!(all.len(), 23);
    let statuses = tq
        .lookup_all(tq_common::threatq::lookups::Lookup::IndicatorType)
        .unwrap();
    assert!(
        statuses.len() > 7,
        "lookup table not paged: {}",
        statuses.len()
    );
}

#[test]
fn saved_search_found_by_exact_name_whether_or_not_the_server_filters() {
    for filter in [true, false] {
        let fake = FakeThreatQ::builder()
            .saved_search_name_filter(filter)
            .max_limit(2)
            .start();
        fake.add_saved_search("High IPs 2", json!({"type_name": "IP Address"}));
        fake.add_saved_search("high ips", json!({"type_name": "IP Address"}));
        let want = fake.add_saved_search("High IPs", json!({"type_name": "IP Address"}));
        fake.add_saved_search("Other", json!({"type_name": "FQDN"}));
        let tq = client(&fake);
        assert_eq!(
            tq.saved_search_hash("High IPs", &HINTS).unwrap(),
            want,
            "filter={filter}"
        );
        assert_eq!(tq.saved_search_name(&want).unwrap(), "High IPs");
        let e = tq
            .saved_search_hash("High", &HINTS)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("search_option: no saved search is named exactly \"High\"")
                && e.ends_with("; check the name hint"),
            "{e}"
        );
        let SearchMatch::NotFound { others } = tq.find_saved_search("High").unwrap() else {
            panic!("found \"High\"")
        };
        // A server that ignores the filter lists the others too (names for the error).
        assert_eq!(
            others.contains(&"High IPs 2".to_string()),
            !filter,
            "{others:?}"
        );
        let twin = fake.add_saved_search("High IPs", json!({"type_name": "FQDN"}));
        assert_eq!(
            tq.find_saved_search("High IPs").unwrap(),
            SearchMatch::Several(vec![want.clone(), twin.clone()]),
            "filter={filter}"
        );
        let e = tq
            .saved_search_hash("High IPs", &HINTS)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!(
                "search_option: 2 saved searches are named \"High IPs\" (hashes {want}, {twin}); pick one hint"
            )),
            "{e}"
        );
    }
}

#[test]
fn collections_are_read_to_the_end_with_either_last_page_form() {
    for last in [LastPage::EmptyObject, LastPage::EmptyList] {
        let fake = FakeThreatQ::builder()
            .saved_search_last_page(last)
            .max_limit(4)
            .start();
        for i in 0..10 {
            fake.add_indicator(&format!("host{i}.example.com"), "FQDN", "Active");
        }
        fake.add_indicator("198.51.100.1", "IP Address", "Active");
        let hash = fake.add_saved_search("Hosts", json!({"type_name": "FQDN"}));
        let tq = client(&fake);
        let mut pager = tq.collection(Collection::Indicators, &hash, 100);
        let mut got: Vec<Indicator> = Vec::new();
        while let Some(page) = pager.next_typed::<Indicator>().unwrap() {
            assert!(page.len() <= 4);
            got.extend(page);
        }
        assert_eq!(got.len(), 10);
        assert!(got.iter().all(|i| i.type_name.as_deref() == Some("FQDN")));
        assert!(got.windows(2).all(|w| w[0].updated_at <= w[1].updated_at));
    }
}

#[test]
fn consume_upserts_with_attributes_status_and_sources() {
    let fake = FakeThreatQ::start();
    let tq = client(&fake);
    let mut item = IndicatorUpsert::new("203.0.113.9", "IP Address");
    item.status = Some(NameRef::new("Review"));
    item.attributes.push(AttributeWrite::new(
        "TIE Reputation",
        "Known Malicious",
        "McAfee TIE",
    ));
    let items: Vec<IndicatorUpsert> = (0..1203)
        .map(|i| {
            let mut it = item.clone();
            it.value = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
            it
        })
        .chain(std::iter::once(item.clone()))
        .collect();
    fake.clear_requests();
    let out = tq.consume_indicators(&items).unwrap();
    assert_eq!(out.len(), 1204);
    assert_eq!(
        fake.count("POST", "/api/indicators/consume"),
        3,
        "batches of 500"
    );
    let id = out.iter().find(|c| c.value == "203.0.113.9").unwrap().id;
    let ind = tq.indicator(id).unwrap();
    assert_eq!(ind.status_name.as_deref(), Some("Review"));
    let attrs = tq.attributes(&ObjRef::indicator(id)).unwrap();
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].sources[0].name, "McAfee TIE");
}

#[test]
fn validation_errors_name_the_field() {
    let fake = FakeThreatQ::start();
    let tq = client(&fake);
    // The typed request cannot carry an unknown field; a malformed date is a bad field too.
    let e = tq
        .create_event(&EventCreate::new(
            "x",
            "Incident",
            "yesterday at noon",
            "Test",
        ))
        .unwrap_err();
    assert_eq!(e.status(), Some(422));
    assert!(e.to_string().contains("happened_at"), "{e}");
}
