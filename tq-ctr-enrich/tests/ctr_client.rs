//! The CTR client against the fake CTR: token caching and renewal, refused credentials,
//! rate limiting, and the answers read through `ctim`.

use tq_common::http::Http;
use tq_common::Secret;
use tq_ctr_enrich::ctim::ObserveAnswer;
use tq_ctr_enrich::ctr::{CtrClient, CtrSettings, Observable};
use tq_testkit::certs::TestCa;
use tq_testkit::ctr::{Answer, FakeCtr};

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

#[test]
fn one_token_serves_many_calls() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    for _ in 0..3 {
        c.observe(&[obs("ip", "192.0.2.1")]).unwrap();
    }
    assert_eq!(r.ctr.token_calls(), 1);
    assert_eq!(r.ctr.enrich_calls(), 3);
    let token_req = &r.ctr.requests()[0];
    assert!(token_req
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
    assert_eq!(token_req.body_text(), "grant_type=client_credentials");
}

#[test]
fn expired_token_is_renewed_once_and_the_call_retried() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    c.observe(&[obs("ip", "192.0.2.1")]).unwrap();
    r.ctr.expire_tokens();
    let body = c.observe(&[obs("domain", "a.example")]).unwrap();
    assert_eq!(r.ctr.token_calls(), 2);
    assert_eq!(r.ctr.control().statuses(), vec![200, 200, 401, 200, 200]);
    assert_eq!(
        ObserveAnswer::parse(&body)
            .contexts("domain", "a.example")
            .len(),
        1
    );
}

#[test]
fn wrong_password_names_the_client_id_not_the_password() {
    let r = rig();
    let c = client(&r, "not-the-password-123");
    let err = c.observe(&[obs("ip", "192.0.2.1")]).unwrap_err();
    let msg = err.safe_message();
    assert_eq!(err.exit_code(), 1);
    assert!(msg.contains(&r.ctr.client_id()), "{msg}");
    assert!(msg.contains("Cisco Threat Response"), "{msg}");
    assert!(!msg.contains("not-the-password-123"), "{msg}");
    assert!(!err.to_string().contains("not-the-password-123"));
    assert_eq!(r.ctr.enrich_calls(), 0);
}

#[test]
fn long_retry_after_fails_at_once_as_rate_limited() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    r.ctr.rate_limit_next(1, 3557);
    let err = c.observe(&[obs("ip", "192.0.2.1")]).unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(r.ctr.enrich_calls(), 1);
}

#[test]
fn short_retry_after_is_waited_out() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    r.ctr.rate_limit_next(1, 0);
    c.observe(&[obs("ip", "192.0.2.1")]).unwrap();
    assert_eq!(r.ctr.enrich_calls(), 2);
}

#[test]
fn answers_follow_defaults_overrides_and_no_context() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    r.ctr.set_value("ip", "192.0.2.2", Answer::none());
    r.ctr
        .set_module_errors(vec![FakeCtr::sample_module_error()]);
    let body = c
        .observe(&[
            obs("ip", "192.0.2.1"),
            obs("ip", "192.0.2.2"),
            obs("sha256", &"ab".repeat(32)),
            obs("domain", "x.example"),
        ])
        .unwrap();
    let a = ObserveAnswer::parse(&body);
    assert_eq!(a.errors.len(), 1);
    assert_eq!(
        a.contexts("ip", "192.0.2.1")[0].module,
        "Talos Intelligence"
    );
    assert!(a.contexts("ip", "192.0.2.2").is_empty());
    assert_eq!(
        a.contexts("sha256", &"AB".repeat(32))[0].module,
        "Private Intelligence"
    );
    let d = &a.contexts("domain", "x.example")[0];
    assert_eq!(d.indicator.as_ref().unwrap()["producer"], "Cisco Talos");
}

#[test]
fn fake_rejects_what_the_schema_rejects() {
    let r = rig();
    let c = client(&r, &r.ctr.client_password());
    let err = c.observe(&[obs("cidr", "10.0.0.0/8")]).unwrap_err();
    assert_eq!(err.status(), Some(400));
}
