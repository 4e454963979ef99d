//! The CTR client against the fake CTR. Every test asserts what the client did or returned:
//! the requests it sent (research/ctr.md §3.1, §5.1), how it cached and renewed its token,
//! which failures it retried and how it named them; the fake only plays CTR's part.

use serde_json::{json, Value};
use tq_common::http::Http;
use tq_common::Secret;
use tq_ctr_enrich::ctim::ObserveAnswer;
use tq_ctr_enrich::ctr::{CtrClient, CtrSettings, Observable, OBSERVE_PATH, SYSTEM, TOKEN_PATH};
use tq_testkit::certs::TestCa;
use tq_testkit::ctr::FakeCtr;
use tq_testkit::server::{Fault, Request};

struct Rig {
    _dir: tempfile::TempDir,
    ctr: FakeCtr,
    http: Http,
}

fn rig() -> Rig {
    let ca = TestCa::new("ctr client test CA");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write_cert(&ca_file).unwrap();
    let ctr = FakeCtr::start(
        ca.issue_server("127.0.0.1", &["127.0.0.1", "localhost"])
            .identity(),
    )
    .unwrap();
    let http = tq_testkit::clients::http_trusting(&ca_file);
    Rig {
        _dir: dir,
        ctr,
        http,
    }
}

fn client(r: &Rig, password: &str) -> CtrClient {
    CtrClient::new(
        CtrSettings {
            base_url: r.ctr.url(),
            client_id: r.ctr.client_id(),
            client_password: Secret::new(password),
        },
        r.http.clone(),
    )
}

fn obs(kind: &str, value: &str) -> Observable {
    Observable {
        kind: kind.into(),
        value: value.into(),
    }
}

fn sent(r: &Rig, path: &str) -> Vec<Request> {
    r.ctr
        .requests()
        .into_iter()
        .filter(|q| q.path == path)
        .collect()
}

fn bearer(q: &Request) -> String {
    q.header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_else(|| panic!("no bearer token: {:?}", q.header("authorization")))
        .to_string()
}

/// One token (Basic client id:password, form grant) serves three enrich calls, each a bare
/// JSON array of {type, value} in the order given, with that token.
#[test]
fn one_token_serves_many_calls_and_the_requests_are_the_documented_ones() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    let batch = [obs("ip", "192.0.2.1"), obs("domain", "a.example")];
    for _ in 0..3 {
        c.observe(&batch).unwrap();
    }
    assert_eq!(c.token_requests(), 1, "the client's own count");
    let tokens = sent(&r, TOKEN_PATH);
    assert_eq!(tokens.len(), 1);
    let t = &tokens[0];
    let basic = tq_testkit::rigs::base64(
        format!("{}:{}", r.ctr.client_id(), r.ctr.client_password()).as_bytes(),
    );
    assert_eq!(
        t.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        t.content_type().as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(t.body_text(), "grant_type=client_credentials");
    let enrich = sent(&r, OBSERVE_PATH);
    assert_eq!(enrich.len(), 3);
    let first = bearer(&enrich[0]);
    for q in &enrich {
        assert_eq!(q.method, "POST");
        assert_eq!(bearer(q), first, "the cached token is reused");
        assert_eq!(q.content_type().as_deref(), Some("application/json"));
        assert_eq!(
            q.json().unwrap(),
            json!([{"type": "ip", "value": "192.0.2.1"}, {"type": "domain", "value": "a.example"}])
        );
    }
}

/// A 401 on an enrich call: one new token, the call sent again with it, the answer returned.
#[test]
fn expired_token_is_renewed_once_and_the_call_retried_with_the_new_one() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    c.observe(&[obs("ip", "192.0.2.1")]).unwrap();
    r.ctr.expire_tokens();
    let body = c.observe(&[obs("domain", "a.example")]).unwrap();
    assert_eq!(c.token_requests(), 2);
    assert_eq!(r.ctr.control().statuses(), vec![200, 200, 401, 200, 200]);
    let enrich = sent(&r, OBSERVE_PATH);
    assert_eq!(bearer(&enrich[1]), bearer(&enrich[0]), "the refused call");
    assert_ne!(
        bearer(&enrich[2]),
        bearer(&enrich[1]),
        "retried with the new token"
    );
    assert_eq!(enrich[2].json().unwrap(), enrich[1].json().unwrap());
    assert_eq!(
        ObserveAnswer::parse(&body)
            .contexts("domain", "a.example")
            .len(),
        1
    );
}

/// A token that is refused again right after its renewal ends the call: no third token, no
/// loop, an error naming CTR and what to check.
#[test]
fn a_second_401_is_fatal() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    r.ctr
        .control()
        .fail_next_on(&format!("POST {OBSERVE_PATH}"), 2, Fault::Status(401));
    let err = c.observe(&[obs("ip", "192.0.2.1")]).unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(err.exit_code(), 1);
    let msg = err.safe_message();
    assert!(
        msg.contains(SYSTEM) && msg.contains("check the API client"),
        "{msg}"
    );
    assert_eq!(c.token_requests(), 2, "the first token and one renewal");
    assert_eq!(r.ctr.enrich_calls(), 2);
}

#[test]
fn wrong_password_names_the_client_id_not_the_password() {
    let r = rig();
    let c = client(&r, "not-the-password-123");
    let err = c.observe(&[obs("ip", "192.0.2.1")]).unwrap_err();
    let msg = err.safe_message();
    assert_eq!(err.exit_code(), 1);
    assert!(msg.contains(&r.ctr.client_id()), "{msg}");
    assert!(msg.contains(SYSTEM), "{msg}");
    assert!(msg.contains("client_password"), "says what to check: {msg}");
    assert!(!msg.contains("not-the-password-123"), "{msg}");
    assert!(!err.to_string().contains("not-the-password-123"));
    assert!(!format!("{err:?}").contains("not-the-password-123"));
    assert_eq!(r.ctr.enrich_calls(), 0);
}

#[test]
fn long_retry_after_fails_at_once_as_rate_limited() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    r.ctr.rate_limit_next(1, 3557);
    let err = c.observe(&[obs("ip", "192.0.2.1")]).unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(r.ctr.enrich_calls(), 1, "not waited for, not retried");
}

#[test]
fn short_retry_after_is_waited_out() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    r.ctr.rate_limit_next(1, 0);
    c.observe(&[obs("ip", "192.0.2.1")]).unwrap();
    assert_eq!(r.ctr.enrich_calls(), 2);
    let enrich = sent(&r, OBSERVE_PATH);
    assert_eq!(enrich[1].json().unwrap(), enrich[0].json().unwrap());
}

/// 5xx answers are retried (the enrich call is a read); when they do not stop, the error
/// names CTR and the status.
#[test]
fn server_errors_are_retried_then_reported() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    r.ctr
        .control()
        .fail_next_on(&format!("POST {OBSERVE_PATH}"), 1, Fault::Status(503));
    c.observe(&[obs("ip", "192.0.2.1")]).unwrap();
    assert_eq!(r.ctr.enrich_calls(), 2, "retried once");
    r.ctr
        .control()
        .fail_next_on(&format!("POST {OBSERVE_PATH}"), 100, Fault::Status(500));
    let err = c.observe(&[obs("ip", "192.0.2.1")]).unwrap_err();
    let msg = err.safe_message();
    assert!(msg.contains(SYSTEM) && msg.contains("500"), "{msg}");
    assert!(r.ctr.enrich_calls() > 3, "retried before giving up");
    r.ctr.control().clear_faults();
}

/// CTR refusing the observables (400) is the client's error, named, and not sent again.
#[test]
fn rejected_observables_are_reported_not_retried() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    let err = c.observe(&[obs("cidr", "10.0.0.0/8")]).unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.exit_code(), 1);
    let msg = err.safe_message();
    assert!(
        msg.contains(SYSTEM) && msg.contains("rejected the observables"),
        "{msg}"
    );
    assert_eq!(r.ctr.enrich_calls(), 1, "a 400 is not retried");
}

/// The answer comes back as CTR sent it (here the research sample, byte for byte as JSON),
/// and ctim reads the sample's modules from it.
#[test]
fn the_answer_is_returned_as_sent() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    let sample: Value = serde_json::from_str(tq_testkit::ctr::SAMPLE).unwrap();
    r.ctr.respond_raw_next(200, sample.clone());
    let body = c
        .observe(&[obs("domain", "login-update.example.com")])
        .unwrap();
    assert_eq!(body, sample);
    let a = ObserveAnswer::parse(&body);
    assert_eq!(a.errors.len(), 1, "the sample's failed module");
    assert!(!a.contexts("domain", "login-update.example.com").is_empty());
}
