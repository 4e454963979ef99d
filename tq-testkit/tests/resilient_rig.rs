//! The ActiveMQ rig (tq_testkit::rigs::activemq) against the real broker: TLS with the rig's
//! CA and the integration user's credentials, the SOAR side's messages with the headers of
//! research/resilient.md §2.3, persistence across a SIGKILL and a graceful restart on the same
//! ports, the org-scoped authorization, and the relay's pause and cut.
//!
//! The client here is raw bytes over native-tls, on purpose: the real STOMP client is
//! tq-resilient-fn's and is tested there against this rig.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tq_testkit::rigs::activemq::proxy::Proxy;
use tq_testkit::rigs::activemq::{ActionMessage, ActiveMq, ActiveMqOptions, Destination};

/// A TLS connection to the broker trusting only the rig's CA, host name checked.
fn tls(broker: &ActiveMq, port: u16) -> native_tls::TlsStream<TcpStream> {
    let ca = native_tls::Certificate::from_pem(broker.ca_pem().as_bytes()).expect("CA");
    let connector = native_tls::TlsConnector::builder()
        .disable_built_in_roots(true)
        .add_root_certificate(ca)
        .build()
        .expect("connector");
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("tcp");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    connector
        .connect("localhost", tcp)
        .expect("TLS handshake with the rig CA")
}

/// Reads until a NUL (one frame, heart-beat EOLs before it included).
fn read_frame(s: &mut impl Read) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while s.read(&mut b).expect("read frame") == 1 {
        if b[0] == 0 {
            break;
        }
        out.push(b[0]);
    }
    String::from_utf8_lossy(&out).trim_start().to_string()
}

fn connect_frame(login: &str, passcode: &str) -> String {
    format!("CONNECT\naccept-version:1.2\nhost:localhost\nlogin:{login}\npasscode:{passcode}\nheart-beat:0,0\n\n\0")
}

#[test]
fn tls_port_takes_the_integration_user_and_refuses_a_wrong_password() {
    let broker = ActiveMq::shared();
    let mut s = tls(broker, broker.tls_port());
    s.write_all(connect_frame(broker.user(), "wrong").as_bytes())
        .unwrap();
    let f = read_frame(&mut s);
    assert!(f.starts_with("ERROR\n"), "{f}");
    assert!(f.contains("password is invalid"), "{f}");

    let mut s = tls(broker, broker.tls_port());
    s.write_all(connect_frame(broker.user(), broker.password()).as_bytes())
        .unwrap();
    let f = read_frame(&mut s);
    assert!(f.starts_with("CONNECTED\n"), "{f}");
    assert!(f.contains("version:1.2"), "{f}");
    assert!(f.contains("server:ActiveMQ/5."), "{f}");
}

#[test]
fn tls_port_is_not_trusted_without_the_rig_ca() {
    let broker = ActiveMq::shared();
    let connector = native_tls::TlsConnector::builder()
        .disable_built_in_roots(true)
        .build()
        .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", broker.tls_port())).unwrap();
    assert!(connector.connect("localhost", tcp).is_err());
}

#[test]
fn integration_user_may_read_its_org_only() {
    let broker = ActiveMq::shared();
    let mut s = tls(broker, broker.tls_port());
    s.write_all(connect_frame(broker.user(), broker.password()).as_bytes())
        .unwrap();
    assert!(read_frame(&mut s).starts_with("CONNECTED"));
    let own = Destination::unique("fn_threatq");
    s.write_all(
        format!(
            "SUBSCRIBE\ndestination:{}\nid:a\nack:client-individual\nreceipt:r1\n\n\0",
            own.actions()
        )
        .as_bytes(),
    )
    .unwrap();
    let f = read_frame(&mut s);
    assert!(f.starts_with("RECEIPT\nreceipt-id:r1"), "{f}");
    s.write_all(b"SUBSCRIBE\ndestination:actions.999.fn_threatq\nid:b\nack:client-individual\nreceipt:r2\n\n\0")
        .unwrap();
    let f = read_frame(&mut s);
    assert!(f.starts_with("ERROR\n"), "{f}");
    assert!(f.contains("is not authorized to read from"), "{f}");
}

#[test]
fn soar_side_puts_actions_with_the_documented_headers() {
    let broker = ActiveMq::shared();
    let (dest, mut soar) = broker.soar_on_new("fn_threatq");
    let msg = ActionMessage::sample_rule("artifact", 390);
    soar.send(&msg);
    let waiting = soar.waiting_actions();
    assert_eq!(waiting.len(), 1);
    let h = |k: &str| {
        waiting[0]
            .headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no header {k}: {:?}", waiting[0].headers))
    };
    assert_eq!(h("destination"), format!("/queue/{}", dest.actions()));
    assert_eq!(h("reply-to"), dest.reply_to());
    // Sent escaped as invid\c390, stored and browsed back unescaped.
    assert_eq!(h("correlation-id"), "invid:390");
    assert_eq!(h("Co3MessagePayload"), "ActionDataDTO");
    assert_eq!(h("Co3ContentType"), "application/json");
    assert_eq!(h("persistent"), "true");
    assert!(h("message-id").starts_with("ID:"));
    assert!(!h("Co3ContextToken").is_empty());
    let body: serde_json::Value = serde_json::from_slice(&waiting[0].body).unwrap();
    assert_eq!(body["artifact"]["value"], "10.0.0.1");
    // Browsing does not consume.
    assert_eq!(soar.waiting_actions().len(), 1);
}

#[test]
fn own_broker_keeps_messages_across_kill_and_restart_on_the_same_ports() {
    let mut broker = ActiveMq::start(ActiveMqOptions::default());
    eprintln!(
        "ActiveMQ start: {:?}, RSS {} KiB",
        broker.last_start_time(),
        broker.rss_kib()
    );
    let (tls_port, plain_port, pid) = (broker.tls_port(), broker.plain_port(), broker.pid());
    let dest = Destination::unique("fn_threatq");
    let msgs = ActionMessage::sample_rules("note", 1..=3);
    broker.soar(&dest).send_all(&msgs);
    let before: Vec<String> = broker
        .soar(&dest)
        .waiting_actions()
        .iter()
        .map(|b| message_id(&b.headers))
        .collect();
    assert_eq!(before.len(), 3);

    broker.kill_and_restart();
    assert_eq!(broker.starts(), 2);
    assert_ne!(broker.pid(), pid, "a new JVM");
    assert_eq!(
        (broker.tls_port(), broker.plain_port()),
        (tls_port, plain_port)
    );
    let after: Vec<String> = broker
        .soar(&dest)
        .waiting_actions()
        .iter()
        .map(|b| message_id(&b.headers))
        .collect();
    assert_eq!(
        after, before,
        "same messages, same message-ids after SIGKILL"
    );

    let t = Instant::now();
    broker.restart();
    eprintln!("graceful restart: {:?}", t.elapsed());
    assert_eq!(broker.soar(&dest).waiting_actions().len(), 3);
}

#[test]
fn dropping_a_broker_ends_its_jvm_and_removes_its_directory() {
    let broker = ActiveMq::start(ActiveMqOptions {
        persistent: false,
        ..ActiveMqOptions::default()
    });
    let pid = broker.pid().expect("running");
    let dir = broker.dir().to_path_buf();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(broker);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "JVM {pid} still running"
    );
    assert!(!dir.exists(), "{} not removed", dir.display());
}

fn message_id(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k == "message-id")
        .map(|(_, v)| v.clone())
        .expect("message-id")
}

#[test]
fn proxy_pauses_and_cuts_connections() {
    let broker = ActiveMq::shared();
    let proxy = Proxy::start(broker.plain_port());
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    // The broker sends a heart-beat every 100 ms when asked.
    let (user, pw) = broker.soar_credentials();
    s.write_all(
        format!("CONNECT\naccept-version:1.2\nhost:localhost\nlogin:{user}\npasscode:{pw}\nheart-beat:0,100\n\n\0").as_bytes(),
    )
    .unwrap();
    assert!(read_frame(&mut s).starts_with("CONNECTED"));
    let mut b = [0u8; 64];
    assert!(s.read(&mut b).unwrap() > 0, "heart-beats flow");
    proxy.pause();
    std::thread::sleep(Duration::from_millis(100));
    // Drain what was in flight, then silence.
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    while s.read(&mut b).is_ok_and(|n| n > 0) {}
    s.set_read_timeout(Some(Duration::from_millis(600)))
        .unwrap();
    assert!(s.read(&mut b).is_err(), "paused: nothing arrives");
    proxy.resume();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    assert!(s.read(&mut b).unwrap() > 0, "resumed");
    proxy.cut();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut closed = false;
    for _ in 0..50 {
        match s.read(&mut b) {
            Ok(0) | Err(_) => {
                closed = true;
                break;
            }
            Ok(_) => {}
        }
    }
    assert!(closed, "cut closes the connection");
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn a_taken_port_fails_the_start_with_the_brokers_log() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let t = Instant::now();
    let r = std::panic::catch_unwind(|| {
        ActiveMq::start(ActiveMqOptions {
            plain_port: Some(port),
            persistent: false,
            ..ActiveMqOptions::default()
        })
    });
    let msg = match r {
        Ok(_) => panic!("started on a taken port"),
        Err(p) => p.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    assert!(msg.contains("Address already in use"), "{msg}");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "noticed at once, not after the 30 s wait"
    );
}
