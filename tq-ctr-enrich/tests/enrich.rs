//! Issue 4 acceptance: the real binary against FakeThreatQ and the fake CTR.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tq_testkit::ctr::{Answer, FakeCtr};
use tq_testkit::server::Fault;
use tq_testkit::threatq::{FakeThreatQ, LastPage, NewIndicator};

const SHA256: &str = "E204D9E8A0DE6E135E761A428DC2815AE84FF2D58D0D08C15C1FB9243AE09BA5";

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    out.sort();
    out
}

// ---- first run --------------------------------------------------------------------------

#[test]
fn first_run_enriches_every_enrichable_indicator_with_the_guide_attributes_and_status() {
    let r = Rig::new();
    let domain = r.seed("login-update.example.com", "FQDN");
    let ip = r.seed("198.51.100.7", "IP Address");
    let hash = r.seed(SHA256, "SHA-256");
    let url = r.seed("http://bad.example/landing", "URL");
    let quiet = r.seed("192.0.2.200", "IP Address");
    r.ctr.set_value("ip", "192.0.2.200", Answer::none());
    let cidr = r.seed("10.0.0.0/8", "CIDR Block");
    let string = r.seed("some text", "String");
    let quiet_before = r.indicator(quiet);
    let cidr_before = r.indicator(cidr);

    r.run_ok(&["-v", "2"]);

    assert_eq!(
        r.our_attributes(domain),
        pairs(&[
            ("Priority", "90"),
            ("Origin", "Cisco Talos"),
            (
                "Reference",
                "https://talosintelligence.com/reputation_center/lookup?search=login-update.example.com"
            ),
            ("CTR Module", "Talos Intelligence"),
            ("Disposition", "Suspicious"),
            ("Confidence", "Medium"),
            ("Severity", "Medium"),
            ("Description", "Poor Talos Intelligence reputation score"),
            ("Source", "Talos Intelligence"),
        ])
    );
    assert_eq!(
        r.our_attributes(ip),
        pairs(&[
            ("Priority", "90"),
            (
                "Reference",
                "https://talosintelligence.com/reputation_center/lookup?search=198.51.100.7"
            ),
            ("CTR Module", "Talos Intelligence"),
            ("Disposition", "Clean"),
            ("Confidence", "High"),
            ("Severity", "None"),
            ("Description", "Good Talos Intelligence reputation score"),
            ("Source", "Talos Intelligence"),
        ])
    );
    assert_eq!(
        r.our_attributes(hash),
        pairs(&[
            ("Priority", "95"),
            ("CTR Module", "Private Intelligence"),
            ("Disposition", "Malicious"),
            ("Confidence", "High"),
            ("Severity", "High"),
            (
                "Description",
                "Analyst conviction: dropper seen in phishing campaign"
            ),
            ("Source", "Private Intelligence"),
        ])
    );
    assert!(r
        .our_attributes(url)
        .contains(&("Origin".to_string(), "Cisco Talos".to_string())));
    for id in [domain, ip, hash, url] {
        assert_eq!(r.status(id), "Active", "indicator {id}");
        // Every attribute the connector wrote is one of the guide's, from our source.
        for (name, _) in r.our_attributes(id) {
            assert!(NAMES.contains(&name.as_str()), "{name}");
        }
        let other: Vec<_> = r
            .all_attributes(id)
            .into_iter()
            .filter(|(_, _, srcs)| !srcs.iter().any(|s| s == SOURCE))
            .collect();
        assert!(
            other.is_empty(),
            "attributes not from our source: {other:?}"
        );
    }
    // No context: left untouched. Unsupported types: untouched, counted in the log.
    assert_eq!(r.indicator(quiet), quiet_before);
    assert_eq!(r.indicator(cidr), cidr_before);
    assert_eq!(r.status(string), "Review");
    let log = r.log("tq-ctr-enrich");
    assert!(
        log.contains("CIDR Block 1") && log.contains("String 1"),
        "{log}"
    );
    assert!(log.contains("skipped by type 2"), "{log}");
    assert!(
        log.contains("enriched 4 indicator(s) (1 without context)"),
        "{log}"
    );
    // CTR saw exactly the enrichable ones, hashes lower-cased.
    assert_eq!(
        sorted(r.sent_values()),
        sorted(vec![
            "login-update.example.com".into(),
            "198.51.100.7".into(),
            SHA256.to_lowercase(),
            "http://bad.example/landing".into(),
            "192.0.2.200".into(),
        ])
    );
}

#[test]
fn requests_grow_with_batches_not_with_attributes() {
    let r = Rig::new();
    r.write_config(
        "tq-ctr-enrich",
        &[("saved_search", SEARCH), ("batch_size", "20")],
    );
    let ids = r.seed_ips(100);
    r.run_ok(&[]);
    assert_eq!(r.ctr.token_calls(), 1);
    assert_eq!(r.ctr.enrich_calls(), 5);
    assert_eq!(r.tq.count("POST", "/api/indicators/consume"), 1);
    assert_eq!(r.tq.count("PUT", &format!("/api/indicators/{}", ids[0])), 0);
    assert_eq!(
        r.tq.count("POST", &format!("/api/indicators/{}/attributes", ids[0])),
        0
    );
    for id in &ids {
        assert_eq!(r.our_attributes(*id).len(), 8);
    }
}

// ---- incremental runs ---------------------------------------------------------------------

#[test]
fn second_run_without_change_sends_nothing_then_exactly_the_two_updated() {
    let r = Rig::new();
    let ids = r.seed_ips(6);
    r.run_ok(&[]);
    assert_eq!(r.ctr.observables_sent().len(), 6);
    r.ctr.clear_requests();

    r.run_ok(&[]);
    assert!(
        r.ctr.requests().is_empty(),
        "second run talked to CTR: {:?}",
        r.ctr.requests()
    );

    r.tq.update_object(
        "indicators",
        ids[1],
        json!({"description": "edited by an analyst"}),
    );
    r.tq.set_indicator_status(ids[4], "Review");
    r.run_ok(&[]);
    assert_eq!(sorted(r.sent_values()), sorted(vec![ip(1), ip(4)]));
    assert_eq!(r.status(ids[4]), "Active");
    r.assert_no_duplicates(&ids);

    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert!(r.ctr.requests().is_empty());
}

#[test]
fn own_writes_do_not_make_the_next_run_resend_but_later_changes_do() {
    // A clock that moves: our writes land a minute after the seeding, the next run another
    // minute later, so updated_at/touched_at really move past the first run's cursor.
    let r = Rig::with(
        FakeThreatQ::builder()
            .shuffled_ids(true)
            .freeze_at("2026-03-01 10:00:00"),
    );
    let ids = r.seed_ips(4);
    r.tq.advance(Duration::from_secs(60));
    r.run_ok(&[]);
    let touched = r.indicator(ids[0])["touched_at"].clone();
    assert_eq!(touched, "2026-03-01 10:01:00", "our write moved touched_at");
    r.tq.advance(Duration::from_secs(60));
    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert!(r.ctr.requests().is_empty());

    // Another party adds an attribute to one indicator: that one is sent again.
    r.tq.advance(Duration::from_secs(60));
    r.tq.add_attribute(
        "indicators",
        ids[2],
        "Comment",
        "seen in a phish",
        Some("Analyst"),
    );
    r.run_ok(&[]);
    assert_eq!(r.sent_values(), vec![ip(2)]);
    r.assert_no_duplicates(&ids);
}

#[test]
fn same_second_changes_are_not_lost() {
    // The clock never moves: every write and run happens in the same second.
    let r = Rig::with(
        FakeThreatQ::builder()
            .shuffled_ids(true)
            .freeze_at("2026-03-01 10:00:00"),
    );
    let ids = r.seed_ips(3);
    r.run_ok(&[]);
    r.ctr.clear_requests();
    let late = r.seed("192.0.2.77", "IP Address");
    r.tq.update_object("indicators", ids[0], json!({"description": "same second"}));
    r.run_ok(&[]);
    assert_eq!(
        sorted(r.sent_values()),
        sorted(vec![ip(0), "192.0.2.77".into()])
    );
    assert_eq!(r.status(late), "Active");
    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert!(r.ctr.requests().is_empty());
}

// ---- --historical -------------------------------------------------------------------------

#[test]
fn historical_sends_what_changed_since_the_date() {
    let r = Rig::with(
        FakeThreatQ::builder()
            .shuffled_ids(true)
            .freeze_at("2019-06-01 08:00:00"),
    );
    r.seed("192.0.2.1", "IP Address");
    r.seed("old.example", "FQDN");
    r.tq.freeze_at("2021-03-01 08:00:00");
    let new_ip = r.seed("192.0.2.2", "IP Address");
    let new_domain = r.seed("new.example", "FQDN");
    r.tq.freeze_at("2022-01-01 00:00:00");

    r.run_ok(&["--historical", "2020-01-01"]);
    assert_eq!(
        sorted(r.sent_values()),
        sorted(vec!["192.0.2.2".into(), "new.example".into()])
    );
    assert_eq!(r.status(new_ip), "Active");
    assert_eq!(r.status(new_domain), "Active");

    // The guide's spelling works the same; nothing before the date is sent.
    r.ctr.clear_requests();
    r.tq.advance(Duration::from_secs(60));
    r.run_ok(&["-hist", "2021-03-01"]);
    assert_eq!(
        sorted(r.sent_values()),
        sorted(vec!["192.0.2.2".into(), "new.example".into()])
    );
    r.assert_no_duplicates(&[new_ip, new_domain]);

    // --historical is for that run only: the next plain run sends what was never sent.
    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert_eq!(
        sorted(r.sent_values()),
        sorted(vec!["192.0.2.1".into(), "old.example".into()])
    );
}

#[test]
fn historical_with_an_impossible_date_exits_2_with_a_clear_message() {
    let r = Rig::new();
    r.seed_ips(2);
    let out = r.run(&["--historical", "2020-13-01"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains("--historical"), "{msg}");
    assert!(msg.contains("2020-13-01"), "{msg}");
    assert!(msg.contains("YYYY-MM-DD"), "{msg}");
    assert_eq!(r.tq.request_count(), 0);
    assert!(r.ctr.requests().is_empty());
    assert!(!r.state_path("tq-ctr-enrich").exists());
}

// ---- no duplicates ------------------------------------------------------------------------

#[test]
fn running_the_same_enrichment_twice_adds_no_duplicate_attribute() {
    let r = Rig::new(); // FakeThreatQ stores duplicates unless told to merge them.
    let mut ids = r.seed_ips(3);
    ids.push(r.seed("login-update.example.com", "FQDN"));
    ids.push(r.seed(SHA256, "SHA-256"));
    // One indicator already carries a value CTR will give, from another source.
    r.tq.add_attribute(
        "indicators",
        ids[0],
        "Disposition",
        "Clean",
        Some("Other Feed"),
    );
    r.run_ok(&[]);
    let first: Vec<_> = ids.iter().map(|id| r.our_attributes(*id)).collect();
    r.assert_no_duplicates(&ids);

    // The same enrichment again, forced (--historical), then from a lost state.
    r.run_ok(&["--historical", "2000-01-01"]);
    assert_eq!(r.ctr.observables_sent().len(), 10);
    std::fs::remove_file(r.state_path("tq-ctr-enrich")).unwrap();
    r.run_ok(&[]);
    assert_eq!(r.ctr.observables_sent().len(), 15);
    let again: Vec<_> = ids.iter().map(|id| r.our_attributes(*id)).collect();
    assert_eq!(first, again);
    r.assert_no_duplicates(&ids);
}

// ---- rate limit and crash -----------------------------------------------------------------

#[test]
fn rate_limit_stops_cleanly_and_the_next_run_sends_exactly_the_rest() {
    let r = Rig::new();
    let ids = r.seed_ips(10);
    r.ctr.rate_limit_after(2, 3557);
    let out = r.run(&["-v", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("rate limit"), "{}", text(&out));
    let done: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| !r.our_attributes(*id).is_empty())
        .collect();
    assert_eq!(done.len(), 4, "two batches of two were written");
    let first = r.ctr.observables_answered();
    assert_eq!(first.len(), 4);

    r.ctr.clear_rate_limit();
    r.ctr.clear_requests();
    r.run_ok(&[]);
    let second = r.ctr.observables_sent();
    assert_eq!(second.len(), 6, "exactly the rest: {second:?}");
    assert!(second.iter().all(|o| !first.contains(o)));
    for id in &ids {
        assert_eq!(r.our_attributes(*id).len(), 8, "indicator {id}");
        assert_eq!(r.status(*id), "Active");
    }
    r.assert_no_duplicates(&ids);
}

#[test]
fn rate_limit_then_sigkill_mid_run_then_the_next_runs_complete_without_loss_or_duplicate() {
    let r = Rig::new();
    r.write_config(
        "tq-ctr-enrich",
        &[("saved_search", SEARCH), ("batch_size", "100")],
    );
    let ids = r.seed_ips(1100);

    // Run 1: the hourly budget runs out after three enrich calls.
    r.ctr.rate_limit_after(3, 3557);
    let out = r.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let run1 = r.ctr.observables_answered();
    assert_eq!(run1.len(), 300);
    assert_eq!(r.tq.count("POST", "/api/indicators/consume"), 1);

    // Run 2: budget back, slow CTR; SIGKILL right after its first bulk write (500).
    r.ctr.clear_rate_limit();
    r.ctr.clear_requests();
    r.ctr.set_latency(Duration::from_millis(100));
    let mut child = r.command(&[]).spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    while r.tq.count("POST", "/api/indicators/consume") < 2 {
        assert!(Instant::now() < deadline, "run 2 never wrote a batch");
        assert!(child.try_wait().unwrap().is_none(), "run 2 ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    let run2: Vec<(String, String)> = r.ctr.observables_sent();
    assert!(
        run2.iter().all(|o| !run1.contains(o)),
        "run 2 re-sent what run 1 finished"
    );
    r.ctr.set_latency(Duration::ZERO);

    // Run 3 completes; run 4 has nothing left.
    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert!(r.ctr.observables_sent().iter().all(|o| !run1.contains(o)));
    for id in &ids {
        assert_eq!(r.our_attributes(*id).len(), 8, "indicator {id} missed");
        assert_eq!(r.status(*id), "Active");
    }
    r.assert_no_duplicates(&ids);
    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert!(r.ctr.requests().is_empty());
}

#[test]
fn threatq_write_failure_exits_1_and_the_next_run_completes() {
    let r = Rig::new();
    let ids = r.seed_ips(6);
    // Every attempt of the bulk write fails (the first try and its 4 retries).
    r.tq.fail_next_on("POST /api/indicators/consume", 5, Fault::Status(500));
    let out = r.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("ThreatQ") && text(&out).contains("500"),
        "{}",
        text(&out)
    );
    assert!(ids.iter().all(|id| r.our_attributes(*id).is_empty()));
    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert_eq!(r.ctr.observables_sent().len(), 6, "nothing was lost");
    for id in &ids {
        assert_eq!(r.our_attributes(*id).len(), 8);
    }
    r.assert_no_duplicates(&ids);
}

#[test]
fn token_expiring_mid_run_is_renewed() {
    let r = Rig::new();
    let ids = r.seed_ips(8);
    r.ctr.expire_tokens_after(2);
    r.run_ok(&[]);
    assert_eq!(r.ctr.token_calls(), 2);
    assert_eq!(r.ctr.observables_answered().len(), 8);
    for id in &ids {
        assert_eq!(r.our_attributes(*id).len(), 8);
    }
}

#[test]
fn module_errors_are_logged_and_other_modules_still_used() {
    let r = Rig::new();
    let id = r.seed("login-update.example.com", "FQDN");
    r.ctr
        .set_module_errors(vec![FakeCtr::sample_module_error()]);
    r.run_ok(&[]);
    assert_eq!(r.our_attributes(id).len(), 9);
    let log = r.log("tq-ctr-enrich");
    assert!(
        log.contains("AbuseIPDB") && log.contains("too many requests"),
        "{log}"
    );
}

// ---- credentials, instances, logging, check ------------------------------------------------

#[test]
fn wrong_ctr_credentials_exit_1_name_ctr_and_the_client_id_and_leave_the_state() {
    let r = Rig::new();
    let ids = r.seed_ips(3);
    r.run_ok(&[]);
    let state = std::fs::read(r.state_path("tq-ctr-enrich")).unwrap();
    r.tq.update_object("indicators", ids[0], json!({"description": "changed"}));
    let wrong = "wrong-ctr-password-4711";
    r.write_config(
        "tq-ctr-enrich",
        &[("saved_search", SEARCH), ("client_password", wrong)],
    );
    let out = r.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains("Cisco Threat Response"), "{msg}");
    assert!(msg.contains(&r.ctr.client_id()), "{msg}");
    assert!(!msg.contains(wrong), "{msg}");
    assert!(!r.log("tq-ctr-enrich").contains(wrong));
    assert_eq!(std::fs::read(r.state_path("tq-ctr-enrich")).unwrap(), state);
    // Two enrich calls from the first run (3 observables, batch 2), none with bad credentials.
    assert_eq!(r.ctr.enrich_calls(), 2);
}

#[test]
fn two_instances_keep_separate_config_state_and_logs() {
    let r = Rig::new();
    let hash_b =
        r.tq.add_saved_search("Search B", json!({"source_name": "Feed B"}));
    r.seed("192.0.2.10", "IP Address");
    r.seed("192.0.2.11", "IP Address");
    r.tq.add_indicator_with(
        NewIndicator::new("192.0.2.20", "IP Address")
            .status("Review")
            .source("Feed B"),
    );
    r.write_config("a", &[("saved_search", SEARCH)]);
    r.write_config("b", &[("saved_search", "Search B")]);

    r.run_ok(&["-n", "a"]);
    assert_eq!(
        sorted(r.sent_values()),
        sorted(vec!["192.0.2.10".into(), "192.0.2.11".into()])
    );
    r.ctr.clear_requests();
    r.run_ok(&["-n", "b"]);
    assert_eq!(r.sent_values(), vec!["192.0.2.20".to_string()]);

    let state = |i: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(r.state_path(i)).unwrap()).unwrap()
    };
    assert_eq!(state("a")["data"]["saved_search_hash"], r.hash.as_str());
    assert_eq!(state("b")["data"]["saved_search_hash"], hash_b.as_str());
    assert!(r.log("a").contains(SEARCH) && !r.log("a").contains("Search B"));
    assert!(r.log("b").contains("Search B"));
    assert!(!r.state_path("tq-ctr-enrich").exists());
    assert!(!r.log_dir().join("tq-ctr-enrich.log").exists());
}

#[test]
fn switching_the_saved_search_is_the_first_run_of_the_new_one() {
    let r = Rig::with(
        FakeThreatQ::builder()
            .shuffled_ids(true)
            .freeze_at("2026-03-01 10:00:00"),
    );
    r.tq.add_saved_search("Search B", json!({"source_name": "Feed B"}));
    // B's indicators are older than anything the first search's run will see.
    for v in ["192.0.2.20", "192.0.2.21"] {
        r.tq.add_indicator_with(
            NewIndicator::new(v, "IP Address")
                .status("Review")
                .source("Feed B"),
        );
    }
    r.tq.advance(Duration::from_secs(3600));
    r.seed("192.0.2.10", "IP Address");
    r.run_ok(&[]);
    assert_eq!(r.sent_values(), vec!["192.0.2.10".to_string()]);
    r.tq.advance(Duration::from_secs(60));
    r.ctr.clear_requests();
    r.write_config("tq-ctr-enrich", &[("saved_search", "Search B")]);
    r.run_ok(&[]);
    assert_eq!(
        sorted(r.sent_values()),
        sorted(vec!["192.0.2.20".into(), "192.0.2.21".into()])
    );
    assert!(r.log("tq-ctr-enrich").contains("the saved search changed"));
}

#[test]
fn logs_counts_at_v2_and_every_request_at_v3_without_secrets() {
    let r = Rig::new();
    r.seed_ips(3);
    r.seed("10.0.0.0/8", "CIDR Block");
    r.run_ok(&["-v", "2"]);
    let v2 = r.log("tq-ctr-enrich");
    for needle in [
        "read 4 indicators",
        "selected 4 indicator(s)",
        "CIDR Block 1",
        "sent 3 of 3 observable(s) in 2 enrich call(s)",
        "enriched 3 indicator(s) (0 without context)",
        "wrote 24 attribute(s)",
    ] {
        assert!(v2.contains(needle), "missing {needle:?} in\n{v2}");
    }
    assert!(!v2.contains(" DEBUG "), "no requests at -v 2");

    r.seed("192.0.2.99", "IP Address");
    std::fs::remove_file(r.log_dir().join("tq-ctr-enrich.log")).unwrap();
    r.run_ok(&["-v", "3"]);
    let v3 = r.log("tq-ctr-enrich");
    assert!(
        v3.contains("POST ") && v3.contains("/iroh/iroh-enrich/observe/observables -> 200"),
        "{v3}"
    );
    assert!(v3.contains("/iroh/oauth2/token -> 200"), "{v3}");
    assert!(v3.contains("/api/indicators/consume -> 200"), "{v3}");
    let mut secrets = vec![
        r.ctr.client_password(),
        r.tq.password().to_string(),
        r.tq.client_id().to_string(),
    ];
    secrets.extend(r.tq.access_tokens());
    for req in r.ctr.requests() {
        if let Some(h) = req.header("authorization") {
            secrets.push(h.split(' ').nth(1).unwrap_or_default().to_string());
        }
    }
    for s in secrets.iter().filter(|s| s.len() > 4) {
        assert!(!v3.contains(s.as_str()), "a secret is in the log");
        assert!(!v2.contains(s.as_str()), "a secret is in the log");
    }
}

#[test]
fn check_reaches_ctr_and_names_the_client_not_the_password() {
    let r = Rig::new();
    r.seed_ips(2);
    let out = r.run(&["--check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("Cisco Threat Response"), "{t}");
    assert!(
        t.contains(&format!("token for client id {}", r.ctr.client_id())),
        "{t}"
    );
    assert!(
        t.contains(&format!("\"{SEARCH}\" is collection {}", r.hash)),
        "{t}"
    );
    assert_eq!(r.ctr.enrich_calls(), 0);

    let wrong = "wrong-ctr-password-0815";
    r.write_config(
        "tq-ctr-enrich",
        &[("saved_search", SEARCH), ("client_password", wrong)],
    );
    let out = r.run(&["--check"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("FAILED") && t.contains(&r.ctr.client_id()),
        "{t}"
    );
    assert!(!t.contains(wrong), "{t}");
}

#[test]
fn a_saved_search_is_required_unless_the_hash_is_given() {
    let r = Rig::new();
    r.write_config("tq-ctr-enrich", &[("saved_search", "")]);
    let out = r.run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("[connector] saved_search"),
        "{}",
        text(&out)
    );

    let ids = r.seed_ips(2);
    r.write_config("tq-ctr-enrich", &[("saved_search_hash", &r.hash)]);
    r.run_ok(&[]);
    assert_eq!(r.tq.count("GET", "/api/search/query"), 0);
    assert_eq!(r.our_attributes(ids[0]).len(), 8);
}

// ---- documented API variants ---------------------------------------------------------------

#[test]
fn other_documented_server_shapes_work() {
    // ?name= honoured, small pages, last page [] with an unchanged cursor, a saved search
    // whose name only extends ours, merged duplicate attributes.
    let r = Rig::with(
        FakeThreatQ::builder()
            .shuffled_ids(true)
            .saved_search_name_filter(true)
            .saved_search_last_page(LastPage::EmptyList)
            .max_limit(7)
            .merge_duplicate_attributes(true),
    );
    r.tq.add_saved_search(
        &format!("{SEARCH} (old)"),
        json!({"source_name": "nothing"}),
    );
    let ids = r.seed_ips(20);
    r.run_ok(&[]);
    for id in &ids {
        assert_eq!(r.our_attributes(*id).len(), 8);
    }
    assert!(r.tq.count("GET", &format!("/api/indicators/query/hash/{}", r.hash)) >= 3);
    r.ctr.clear_requests();
    r.run_ok(&[]);
    assert!(r.ctr.requests().is_empty());
}

#[test]
fn older_ctr_answer_shape_is_read() {
    let r = Rig::new();
    let id = r.seed("cisco.example", "FQDN");
    r.ctr.set_value(
        "domain",
        "cisco.example",
        Answer::modules(
            "cisco.example",
            vec![json!({
                "module-type": "SenderBaseInvestigateModule",
                "data": {
                    "verdicts": {"count": 1.0, "docs": [{"type": "verdict", "disposition": 2,
                        "observable": {"type": "domain", "value": "cisco.example"}}]},
                    "judgements": {"count": 1.0, "docs": [{"id": "j1", "type": "judgement",
                        "disposition": 2, "priority": 85.0, "confidence": "Medium",
                        "severity": "High", "source": "SenderBase",
                        "observable": {"type": "domain", "value": "cisco.example"}}]}
                }
            })],
        ),
    );
    r.run_ok(&[]);
    assert_eq!(
        r.our_attributes(id),
        pairs(&[
            ("Priority", "85"),
            ("CTR Module", "SenderBaseInvestigateModule"),
            ("Disposition", "Malicious"),
            ("Confidence", "Medium"),
            ("Severity", "High"),
            ("Source", "SenderBase"),
        ])
    );
}

// ---- one run at a time (issue 3: two instances on the same config) ----------------------

#[test]
fn an_overlapping_run_on_the_same_config_exits_0_and_leaves_the_work_to_the_first() {
    let r = Rig::new();
    r.seed_ips(40);
    // 20 CTR calls of 100 ms each: the first run is still busy when the second starts.
    r.ctr.control().set_latency(Duration::from_millis(100));
    let mut first = r
        .command(&["-v", "2"])
        .spawn()
        .expect("start the first run");
    let deadline = Instant::now() + Duration::from_secs(20);
    while r.ctr.requests().is_empty() {
        assert!(Instant::now() < deadline, "the first run never reached CTR");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = r.run(&["-v", "2"]);
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    let log = r.log("tq-ctr-enrich");
    assert!(log.contains("previous run still active"), "{log}");
    let status = first.wait().expect("first run");
    assert!(
        status.success(),
        "the first run failed: {}",
        r.log("tq-ctr-enrich")
    );
    // The second run sent nothing: only the first run's calls reached CTR, each of the 40
    // observables once (the rig's batch_size is 2).
    let calls = r
        .ctr
        .control()
        .count("POST", "/iroh/iroh-enrich/observe/observables");
    assert_eq!(calls, 20, "40 observables in batches of 2, sent once");
    assert_eq!(r.sent_values().len(), 40);
}
