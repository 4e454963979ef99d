//! Our MQTT client and DXL decoder against a real mosquitto (TLS, client certificates
//! required) with events published by the real Python OpenDXL client; the session driven by
//! tq_common::service across broker restarts.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tq_common::service::{self, BrokerSession, ConnectionEvent, Service, Stop};
use tq_common::tls::StreamConnector;
use tq_testkit::certs::TestCa;
use tq_testkit::rigs::dxl::{self as rig, BrokerEntry, ClientDir, FileHashes, KeyForm, Rep};
use tq_testkit::rigs::mosquitto::Mosquitto;
use tq_tie_listener::dxl;
use tq_tie_listener::mqtt::{self, Broker, Connection, Message, Options, QoS, Session};
use tq_tie_listener::repchange::{Filter, RepChange, TOPIC_FILE_REPCHANGE};

fn tls_for(c: &ClientDir) -> StreamConnector {
    mqtt::client_tls(&c.ca_bundle, &c.cert, &c.key).expect("client TLS")
}

fn fast_options() -> Options {
    let mut o = Options::new(mqtt::random_client_id());
    o.connect_timeout = Duration::from_secs(5);
    o.poll_interval = Duration::from_millis(100);
    o
}

fn fast_service() -> Service {
    Service {
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_millis(800),
        ..Service::new("DXL")
    }
}

fn local(port: u16) -> Broker {
    Broker {
        id: String::new(),
        host: "localhost".into(),
        ip: Some("127.0.0.1".into()),
        port,
    }
}

/// Receives until `n` messages arrived or the deadline passed; returns their payloads.
fn collect(session: &mut Session, n: usize, within: Duration) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        if let Some(m) = session.receive().expect("receive") {
            assert_eq!(m.topic, TOPIC_FILE_REPCHANGE);
            got.push(m.payload.to_vec());
        }
    }
    got
}

/// Connects and subscribes (retrying for up to 10 s).
fn connect(session: &mut Session) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match session
            .connect(&Stop::new())
            .and_then(|_| session.subscribe())
        {
            Ok(_) => return,
            Err(e) if Instant::now() > deadline => panic!("could not connect: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn python_dxlclient_events_arrive_decoded() {
    let ca = TestCa::new("tie rig CA");
    let broker = Mosquitto::start_default(&ca);
    let entry = BrokerEntry::local(broker.port());
    let publisher = ClientDir::create(
        &ca,
        "rig-publisher",
        std::slice::from_ref(&entry),
        KeyForm::Pkcs8,
    );
    // Our side uses a PKCS#1 key, converted in memory.
    let ours = ClientDir::create(&ca, "tq-tie-listener", &[entry], KeyForm::Pkcs1);
    assert!(std::fs::read_to_string(&ours.key)
        .expect("key")
        .contains("BEGIN RSA PRIVATE KEY"));

    let mut session = Session::new(
        vec![local(broker.port())],
        &[(TOPIC_FILE_REPCHANGE, QoS::AtMostOnce)],
        tls_for(&ours),
        fast_options(),
    )
    .expect("session");
    connect(&mut session);

    let trusted = rig::repchange_payload(
        &FileHashes::numbered(7),
        &[Rep::enterprise(99, 1476902802, 235), Rep::gti(99)],
        &[Rep::enterprise(0, 1476902802, 235), Rep::gti(99)],
        1481219581,
    );
    let report = rig::publish(
        &publisher,
        rig::TOPIC_FILE_REPCHANGE,
        &[rig::sample_a_payload(), trusted],
        1,
    );
    assert_eq!(report.sent, 2);
    let got = collect(&mut session, 2, Duration::from_secs(10));
    assert_eq!(got.len(), 2, "mosquitto log:\n{}", broker.log());

    let filter = Filter::default();
    let mut accepted = Vec::new();
    for raw in &got {
        let m = dxl::decode(raw).expect("DXL decodes");
        assert_eq!(m.version, 2, "the Python client writes v2");
        assert_eq!(m.kind, dxl::Kind::Event);
        assert!(m.message_id.starts_with('{') && m.message_id.len() == 38);
        let rc = RepChange::parse(m.payload).expect("payload parses");
        if filter.accepts(&rc) {
            accepted.push(rc.digests().expect("digests"));
            let ent = rc
                .new_reputation(tq_tie_listener::providers::Provider::Enterprise)
                .expect("enterprise");
            assert_eq!(ent.attributes.first_contact.as_deref(), Some("1451504331"));
            assert_eq!(ent.attributes.prevalence.as_deref(), Some("11"));
        }
    }
    assert_eq!(
        accepted.len(),
        1,
        "only the malicious change passes the default filter"
    );
    assert_eq!(
        accepted[0].md5.as_deref(),
        Some("44d88612fea8a8f36de82e1278abb02f")
    );
    assert_eq!(
        accepted[0].sha256.as_deref(),
        Some("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f")
    );
    session.disconnect();
    assert!(session.connected_broker().is_none());
}

#[test]
fn wrong_ca_and_unreachable_brokers_fail_over() {
    let ca = TestCa::new("tie rig CA");
    let broker = Mosquitto::start_default(&ca);
    let ours = ClientDir::create(&ca, "tq-tie-listener", &[], KeyForm::Pkcs8);

    // A CA bundle that did not sign the broker: the handshake fails.
    let other = TestCa::new("some other CA");
    let other_dir = ClientDir::create(&other, "stranger", &[], KeyForm::Pkcs8);
    let wrong = mqtt::client_tls(&other_dir.ca_bundle, &ours.cert, &ours.key).expect("tls");
    match Connection::open("127.0.0.1", broker.port(), &wrong, &fast_options()) {
        Err(mqtt::Error::Tls { .. }) => {}
        Err(e) => panic!("expected a TLS error, got {e}"),
        Ok(_) => panic!("connected with a CA that did not sign the broker"),
    }

    // A client certificate from another CA: the broker refuses us.
    let stranger = mqtt::client_tls(&ours.ca_bundle, &other_dir.cert, &other_dir.key).expect("tls");
    let refused = Connection::open("127.0.0.1", broker.port(), &stranger, &fast_options())
        .and_then(|mut c| c.subscribe(&[("/x", QoS::AtMostOnce)], Duration::from_secs(2)));
    assert!(
        refused.is_err(),
        "a certificate from an unknown CA was accepted"
    );

    // Broker list: a dead port first, then the real broker: the session fails over.
    let dead = tq_testkit::rigs::free_port();
    let mut session = Session::new(
        vec![local(dead), local(broker.port())],
        &[(TOPIC_FILE_REPCHANGE, QoS::AtMostOnce)],
        tls_for(&ours),
        fast_options(),
    )
    .expect("session");
    match session.connect(&Stop::new()) {
        Ok(at) => {
            assert_eq!(at, format!("localhost:{} (-)", broker.port()));
            assert_eq!(
                session.connected_broker().map(|b| b.port),
                Some(broker.port())
            );
        }
        Err(e) => panic!("expected failover to the second broker, got {e}"),
    }
    session
        .subscribe()
        .expect("subscribed on the second broker");
}

#[test]
fn qos1_messages_are_acknowledged_and_keep_alive_holds() {
    let ca = TestCa::new("tie rig CA");
    let broker = Mosquitto::start_default(&ca);
    let ours = ClientDir::create(&ca, "sub", &[], KeyForm::Pkcs8);
    let tls = tls_for(&ours);
    let mut o = fast_options();
    o.keep_alive = Duration::from_secs(1);
    let mut sub = Connection::open("127.0.0.1", broker.port(), &tls, &o).expect("connect");
    sub.subscribe(&[("/q1", QoS::AtLeastOnce)], Duration::from_secs(5))
        .expect("subscribe");
    // Idle for 3.5 keep-alive periods: PINGREQ/PINGRESP keep the connection (mosquitto drops
    // a client after 1.5 periods of silence).
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(3500) {
        assert!(sub.receive().expect("connection stays up").is_none());
    }
    let mut publisher = Connection::open("127.0.0.1", broker.port(), &tls, &{
        let mut p = fast_options();
        p.client_id = mqtt::random_client_id();
        p
    })
    .expect("publisher");
    // Our publisher sends QoS 0; the broker delivers at min(0, 1) = 0. Use mosquitto_pub for
    // a real QoS 1 delivery.
    let status = std::process::Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &broker.port().to_string(),
            "--insecure",
            "-q",
            "1",
        ])
        .arg("--cafile")
        .arg(&ours.ca_bundle)
        .arg("--cert")
        .arg(&ours.cert)
        .arg("--key")
        .arg(&ours.key)
        .args(["-t", "/q1", "-m", "hello-qos1"])
        .status()
        .expect("mosquitto_pub (run scripts/rigs/install)");
    assert!(status.success());
    publisher.publish("/q1", b"hello-qos0").expect("publish");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < 2 && Instant::now() < deadline {
        if let Some(m) = sub.receive().expect("receive") {
            got.push((m.payload.to_vec(), m.qos));
        }
    }
    got.sort();
    assert_eq!(
        got,
        vec![
            (b"hello-qos0".to_vec(), QoS::AtMostOnce),
            (b"hello-qos1".to_vec(), QoS::AtLeastOnce)
        ]
    );
    publisher.disconnect();
    sub.disconnect();
}

/// The subscriber of the restart test: records message ids and (re)connects.
struct Recorder {
    received: Arc<Mutex<Vec<String>>>,
    connects: Arc<std::sync::atomic::AtomicUsize>,
}

impl service::Handler<Session> for Recorder {
    fn message(&mut self, m: Message<'_>, _cx: &mut service::Context<'_, Infallible>) {
        let id = dxl::decode(m.payload)
            .map(|d| d.message_id.to_string())
            .unwrap_or_else(|e| format!("undecodable: {e}"));
        self.received.lock().expect("lock").push(id);
    }

    fn connection(&mut self, e: &ConnectionEvent<'_>) {
        if let ConnectionEvent::Connected { .. } = e {
            self.connects.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The broker is killed and restarted three times while a publisher keeps sending: each
/// time the service loop reconnects the session and resubscribes, and every event published
/// after it is back (subscribed again) arrives.
#[test]
fn broker_restarts_three_times_session_resubscribes() {
    let ca = TestCa::new("tie rig CA");
    let mut broker = Mosquitto::start_default(&ca);
    let port = broker.port();
    let ours = ClientDir::create(&ca, "sub", &[], KeyForm::Pkcs8);
    let tls = tls_for(&ours);

    // Subscriber thread: the service loop with a handler that records message ids and the
    // number of (re)connects.
    let stop = Stop::new();
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let connects = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sub = {
        let stop = stop.clone();
        let mut recorder = Recorder {
            received: received.clone(),
            connects: connects.clone(),
        };
        let mut session = Session::new(
            vec![local(port)],
            &[(TOPIC_FILE_REPCHANGE, QoS::AtMostOnce)],
            tls.clone(),
            fast_options(),
        )
        .expect("session");
        std::thread::spawn(move || {
            fast_service()
                .run(&mut session, &mut recorder, &stop)
                .expect("the loop ends on stop");
        })
    };

    // Background flow: keeps publishing across the restarts (reconnecting as needed).
    let flow_stop = Stop::new();
    let flow = {
        let (flow_stop, tls) = (flow_stop.clone(), tls.clone());
        std::thread::spawn(move || {
            let mut sent = 0u64;
            let payload = rig::sample_a_payload().to_string();
            while !flow_stop.requested() {
                let mut o = fast_options();
                o.client_id = mqtt::random_client_id();
                let Ok(mut c) = Connection::open("127.0.0.1", port, &tls, &o) else {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                while !flow_stop.requested() {
                    let id = format!("flow-{sent}");
                    let msg = dxl::Outgoing::event(&id, payload.as_bytes()).encode();
                    if c.publish(TOPIC_FILE_REPCHANGE, &msg).is_err() {
                        break;
                    }
                    sent += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            sent
        })
    };

    let wait_connects = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(15);
        while connects.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "no reconnect #{n} within 15 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let publish_batch = |round: usize| -> BTreeSet<String> {
        let mut o = fast_options();
        o.client_id = mqtt::random_client_id();
        let mut c = Connection::open("127.0.0.1", port, &tls, &o).expect("batch publisher");
        let payload = rig::sample_a_payload().to_string();
        let mut ids = BTreeSet::new();
        for i in 0..200 {
            let id = format!("round{round}-{i}");
            let msg = dxl::Outgoing::event(&id, payload.as_bytes()).encode();
            c.queue_publish(TOPIC_FILE_REPCHANGE, &msg).expect("queue");
            ids.insert(id);
        }
        c.flush().expect("flush");
        c.disconnect();
        ids
    };
    let wait_all = |ids: &BTreeSet<String>| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got: BTreeSet<String> = received.lock().expect("lock").iter().cloned().collect();
            let missing: Vec<_> = ids.difference(&got).collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {} events published after the broker was back never arrived, e.g. {:?}",
                missing.len(),
                ids.len(),
                missing.first()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    for round in 0..=3 {
        wait_connects(round + 1);
        let ids = publish_batch(round);
        wait_all(&ids);
        if round < 3 {
            std::thread::sleep(Duration::from_millis(150)); // flow events in flight
            broker.kill();
            std::thread::sleep(Duration::from_millis(300));
            broker.restart();
        }
    }
    assert_eq!(connects.load(Ordering::SeqCst), 4);
    assert_eq!(broker.starts(), 4);
    flow_stop.request();
    let flow_sent = flow.join().expect("flow thread");
    stop.request();
    sub.join().expect("subscriber thread");
    let got = received.lock().expect("lock");
    assert!(
        got.iter().all(|id| !id.starts_with("undecodable")),
        "a message was mangled"
    );
    let unique: BTreeSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "duplicate deliveries");
    let flow_got = got.iter().filter(|id| id.starts_with("flow-")).count();
    assert!(
        flow_sent > 100 && flow_got > 100,
        "flow: sent {flow_sent}, got {flow_got}"
    );
}
