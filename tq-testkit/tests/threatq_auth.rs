//! FakeThreatQ `/api/token` and bearer checks (threatq-api.md §2, §19).

mod common;

use std::time::Duration;

use common::{agent, json_of, Tq};
use serde_json::json;
use tq_testkit::threatq::FakeThreatQ;

fn token_url(tq: &FakeThreatQ) -> String {
    format!("{}/api/token", tq.url())
}

fn assert_token(st: u16, v: &serde_json::Value) {
    assert_eq!(st, 200, "{v}");
    assert!(v["access_token"].as_str().unwrap().len() > 10);
    assert!(v["refresh_token"].is_string());
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_in"].as_u64().unwrap() > 0);
}

#[test]
fn password_grant_query_plus_json_body() {
    let tq = FakeThreatQ::start();
    let a = agent(&tq.ca_pem());
    let (st, v) = json_of(
        a.post(format!(
            "{}?grant_type=password&client_id={}",
            token_url(&tq),
            tq.client_id()
        ))
        .send_json(json!({"email": tq.username(), "password": tq.password()})),
    );
    assert_token(st, &v);
}

#[test]
fn password_grant_json_body_only() {
    let tq = FakeThreatQ::start();
    let a = agent(&tq.ca_pem());
    let (st, v) = json_of(a.post(token_url(&tq)).send_json(json!({
        "email": tq.username(), "password": tq.password(),
        "grant_type": "password", "client_id": tq.client_id()
    })));
    assert_token(st, &v);
}

#[test]
fn password_grant_form_body() {
    let tq = FakeThreatQ::start();
    let a = agent(&tq.ca_pem());
    let (st, v) = json_of(a.post(token_url(&tq)).send_form([
        ("grant_type", "password"),
        ("email", tq.username()),
        ("password", tq.password()),
        ("client_id", tq.client_id()),
    ]));
    assert_token(st, &v);
    // The form encoding really was percent-encoded (the e-mail has an @).
    let req = tq.requests().pop().unwrap();
    assert!(req.body_text().contains("%40"), "{}", req.body_text());
}

#[test]
fn client_credentials_with_basic_auth() {
    let tq = FakeThreatQ::start();
    let a = agent(&tq.ca_pem());
    let basic = openssl::base64::encode_block(
        format!("{}:{}", tq.client_id(), tq.client_secret()).as_bytes(),
    );
    let (st, v) = json_of(
        a.post(format!("{}?grant_type=client_credentials", token_url(&tq)))
            .header("Authorization", &format!("Basic {basic}"))
            .content_type("application/x-www-form-urlencoded")
            .send(""),
    );
    assert_token(st, &v);
    let bad = openssl::base64::encode_block(format!("{}:nope", tq.client_id()).as_bytes());
    let (st, _) = json_of(
        a.post(format!("{}?grant_type=client_credentials", token_url(&tq)))
            .header("Authorization", &format!("Basic {bad}"))
            .send(""),
    );
    assert_eq!(st, 400);
}

#[test]
fn refresh_token_grant_issues_new_tokens_once() {
    let tq = FakeThreatQ::start();
    let a = agent(&tq.ca_pem());
    let (_, v) = json_of(a.post(token_url(&tq)).send_json(json!({
        "email": tq.username(), "password": tq.password(),
        "grant_type": "password", "client_id": tq.client_id()
    })));
    let old = v["access_token"].as_str().unwrap().to_string();
    let rt = v["refresh_token"].as_str().unwrap().to_string();
    let url = format!(
        "{}?grant_type=refresh_token&refresh_token={rt}",
        token_url(&tq)
    );
    let (st, v2) = json_of(
        a.post(&url)
            .header("Authorization", &format!("Bearer {old}"))
            .send_json(json!({})),
    );
    assert_token(st, &v2);
    assert_ne!(v2["access_token"], v["access_token"]);
    // A refresh token is single use.
    let (st, _) = json_of(a.post(&url).send_json(json!({})));
    assert_eq!(st, 400);
}

#[test]
fn wrong_credentials_answer_400_or_401_as_configured() {
    for status in [400u16, 401] {
        let tq = FakeThreatQ::builder()
            .bad_credentials_status(status)
            .start();
        let a = agent(&tq.ca_pem());
        let (st, v) = json_of(a.post(token_url(&tq)).send_json(json!({
            "email": tq.username(), "password": "wrong",
            "grant_type": "password", "client_id": tq.client_id()
        })));
        assert_eq!(st, status);
        assert_eq!(v["error"], "invalid_grant");
        // Right password, wrong client id.
        let (st, _) = json_of(a.post(token_url(&tq)).send_json(json!({
            "email": tq.username(), "password": tq.password(),
            "grant_type": "password", "client_id": "other"
        })));
        assert_eq!(st, status);
    }
}

#[test]
fn token_body_is_strict_and_grant_type_required() {
    let tq = FakeThreatQ::start();
    let a = agent(&tq.ca_pem());
    let (st, v) = json_of(a.post(token_url(&tq)).send_json(json!({
        "email": tq.username(), "password": tq.password(),
        "grant_type": "password", "client_id": tq.client_id(), "username": "x"
    })));
    assert_eq!(st, 422);
    assert_eq!(common::error_field(&v), "username");
    let (st, v) = json_of(
        a.post(token_url(&tq))
            .send_json(json!({"email": tq.username()})),
    );
    assert_eq!(st, 400, "{v}");
    let (st, _) = json_of(
        a.post(token_url(&tq))
            .content_type("application/json")
            .send("{not json"),
    );
    assert_eq!(st, 400);
}

#[test]
fn missing_unknown_or_malformed_bearer_is_401() {
    let tq = FakeThreatQ::start();
    let a = agent(&tq.ca_pem());
    let url = format!("{}/api/users/current", tq.url());
    let (st, v) = json_of(a.get(&url).call());
    assert_eq!(st, 401);
    assert_eq!(v, json!({"error": "Unauthorized"}));
    let (st, _) = json_of(a.get(&url).header("Authorization", "Bearer nope").call());
    assert_eq!(st, 401);
    let (st, _) = json_of(a.get(&url).header("Authorization", "Basic eDp5").call());
    assert_eq!(st, 401);
    // 401 comes before routing: an unknown route without a token is 401 too.
    let (st, _) = json_of(a.get(format!("{}/api/nowhere", tq.url())).call());
    assert_eq!(st, 401);
}

#[test]
fn expire_tokens_knob_makes_calls_401_until_a_new_login() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    assert_eq!(c.get("/users/current").0, 200);
    tq.expire_tokens();
    assert_eq!(c.get("/users/current").0, 401);
    let c2 = Tq::login(&tq);
    assert_eq!(c2.get("/users/current").0, 200);
}

#[test]
fn tokens_expire_after_the_ttl_on_the_fake_clock() {
    let tq = FakeThreatQ::builder()
        .token_ttl(Duration::from_secs(600))
        .freeze_at("2026-01-01 00:00:00")
        .start();
    let c = Tq::login(&tq);
    tq.advance(Duration::from_secs(599));
    assert_eq!(c.get("/users/current").0, 200);
    tq.advance(Duration::from_secs(1));
    assert_eq!(c.get("/users/current").0, 401);
    assert_eq!(tq.access_tokens().len(), 1);
    assert_eq!(tq.access_tokens()[0], c.token);
}

#[test]
fn current_user_shape() {
    let tq = FakeThreatQ::start();
    let c = Tq::login(&tq);
    let (st, v) = c.get("/users/current");
    assert_eq!(st, 200);
    assert_eq!(v["data"]["email"], tq.username());
    assert!(v["data"]["id"].is_u64());
    assert!(v["data"]["display_name"].is_string());
    assert!(v["data"]["source"]["id"].is_u64());
}
