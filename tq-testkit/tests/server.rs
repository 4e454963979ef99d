//! The generic test server: keep-alive, body framings, TLS trust, faults, latency, shutdown.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use tq_testkit::certs::TestCa;
use tq_testkit::server::{Fault, Request, Response, TestServer};

fn echo(req: &Request) -> Response {
    Response::json(
        200,
        &json!({
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "body": req.body_text(),
            "ct": req.header("content-type"),
        }),
    )
}

fn https_echo() -> (TestCa, TestServer) {
    let ca = TestCa::new("server test CA");
    let id = ca
        .issue_server("localhost", &["localhost", "127.0.0.1"])
        .identity();
    let srv = TestServer::https(id, echo).unwrap();
    (ca, srv)
}

#[test]
fn https_keep_alive_reuses_one_connection() {
    let (ca, srv) = https_echo();
    assert!(srv.url().starts_with("https://127.0.0.1:"));
    let agent = common::agent(&ca.cert_pem());
    for i in 0..3 {
        let (st, body) = common::read(agent.get(format!("{}/x?i={i}&q=a+b%40c", srv.url())).call());
        assert_eq!(st, 200);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["query"][1], json!(["q", "a b@c"]));
    }
    let ex = srv.exchanges();
    assert_eq!(ex.len(), 3);
    assert!(
        ex.iter().all(|e| e.connection == ex[0].connection),
        "keep-alive not used: {:?}",
        ex.iter().map(|e| e.connection).collect::<Vec<_>>()
    );
    assert_eq!(srv.count("GET", "/x"), 3);
    srv.clear_requests();
    assert_eq!(srv.request_count(), 0);
}

#[test]
fn https_refused_by_a_client_trusting_another_ca() {
    let (_ca, srv) = https_echo();
    let other = TestCa::new("unrelated CA");
    let agent = common::agent(&other.cert_pem());
    assert!(agent.get(format!("{}/x", srv.url())).call().is_err());
}

#[test]
fn content_length_and_chunked_bodies_are_read() {
    let srv = TestServer::http(echo).unwrap();
    let agent = common::plain_agent();
    let (st, body) = common::read(
        agent
            .post(format!("{}/cl", srv.url()))
            .header("Content-Type", "application/json")
            .send(r#"{"a":1}"#),
    );
    assert_eq!(st, 200);
    assert!(body.contains(r#"\"a\":1"#), "{body}");

    // A chunked body with a chunk extension and a trailer, then a second request on the
    // same connection.
    let mut s = TcpStream::connect(srv.addr()).unwrap();
    s.write_all(
        b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n\
          GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.contains(r#""body":"hello world""#), "{out}");
    assert!(out.contains(r#""path":"/second""#), "{out}");
    let reqs = srv.requests();
    assert_eq!(reqs[1].body, b"hello world");

    // ureq sends a reader of unknown length chunked.
    let data = b"streamed body".to_vec();
    let (st, body) = common::read(agent.post(format!("{}/stream", srv.url())).send(
        ureq::SendBody::from_owned_reader(std::io::Cursor::new(data)),
    ));
    assert_eq!(st, 200);
    assert!(body.contains("streamed body"), "{body}");
}

#[test]
fn malformed_request_gets_400_not_a_dead_server() {
    let srv = TestServer::http(echo).unwrap();
    let mut s = TcpStream::connect(srv.addr()).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    let (st, _) = common::read(
        common::plain_agent()
            .get(format!("{}/ok", srv.url()))
            .call(),
    );
    assert_eq!(st, 200);
}

#[test]
fn handler_panic_is_a_500() {
    let srv = TestServer::http(|_req: &Request| -> Response { panic!("boom") }).unwrap();
    let (st, body) = common::read(common::plain_agent().get(format!("{}/", srv.url())).call());
    assert_eq!(st, 500);
    assert!(body.contains("boom"));
}

#[test]
fn fault_status_then_normal() {
    let (ca, srv) = https_echo();
    let agent = common::agent(&ca.cert_pem());
    srv.fail_next(2, Fault::Status(503));
    let url = format!("{}/f", srv.url());
    assert_eq!(common::read(agent.get(&url).call()).0, 503);
    assert_eq!(common::read(agent.get(&url).call()).0, 503);
    assert_eq!(common::read(agent.get(&url).call()).0, 200);
    let st: Vec<u16> = srv.exchanges().iter().map(|e| e.status).collect();
    assert_eq!(st, vec![503, 503, 200]);
}

#[test]
fn fault_too_many_requests_has_retry_after() {
    let (ca, srv) = https_echo();
    let agent = common::agent(&ca.cert_pem());
    srv.fail_next(
        1,
        Fault::TooManyRequests {
            retry_after_secs: 7,
        },
    );
    let r = agent.get(format!("{}/r", srv.url())).call().unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers().get("retry-after").unwrap(), "7");
}

#[test]
fn fault_delay_then_answer() {
    let srv = TestServer::http(echo).unwrap();
    srv.fail_next(1, Fault::Delay(Duration::from_millis(300)));
    let t = Instant::now();
    let (st, _) = common::read(common::plain_agent().get(format!("{}/d", srv.url())).call());
    assert_eq!(st, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn fault_drop_closes_without_answer() {
    let (ca, srv) = https_echo();
    let agent = common::agent(&ca.cert_pem());
    srv.fail_next(1, Fault::Drop);
    assert!(agent.get(format!("{}/gone", srv.url())).call().is_err());
    assert_eq!(srv.exchanges()[0].status, 0);
    let (st, _) = common::read(agent.get(format!("{}/back", srv.url())).call());
    assert_eq!(st, 200);
}

#[test]
fn fault_path_filter_targets_one_route() {
    let srv = TestServer::http(echo).unwrap();
    let agent = common::plain_agent();
    srv.fail_next_on("POST /api/token", 1, Fault::Status(500));
    let u = srv.url();
    assert_eq!(
        common::read(agent.get(format!("{u}/api/token")).call()).0,
        200
    );
    assert_eq!(
        common::read(agent.post(format!("{u}/api/other")).send("")).0,
        200
    );
    assert_eq!(
        common::read(agent.post(format!("{u}/api/token")).send("")).0,
        500
    );
    assert_eq!(
        common::read(agent.post(format!("{u}/api/token")).send("")).0,
        200
    );
    srv.fail_next_on("/api/indicators/*", 1, Fault::Status(502));
    assert_eq!(
        common::read(agent.get(format!("{u}/api/indicators/5")).call()).0,
        502
    );
    srv.fail_next(5, Fault::Status(500));
    srv.clear_faults();
    assert_eq!(common::read(agent.get(format!("{u}/")).call()).0, 200);
}

#[test]
fn latency_knob_slows_every_request() {
    let srv = TestServer::http(echo).unwrap();
    let agent = common::plain_agent();
    srv.set_latency(Duration::from_millis(50));
    let t = Instant::now();
    for _ in 0..3 {
        common::read(agent.get(format!("{}/", srv.url())).call());
    }
    assert!(t.elapsed() >= Duration::from_millis(150));
    srv.set_latency(Duration::ZERO);
}

#[test]
fn drop_stops_the_server_and_its_open_connections() {
    let srv = TestServer::http(echo).unwrap();
    let addr = srv.addr();
    // An idle kept-alive connection must not keep shutdown waiting.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    let _ = idle.read(&mut buf).unwrap();
    let t = Instant::now();
    drop(srv);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}
