//! The STOMP client against the real ActiveMQ (tq_testkit::rigs::activemq), over TLS with the
//! rig's CA: login, subscribe, receive, ACK and replies, prefetch, NACK, heart-beats both ways,
//! redelivery, and the session's reconnect after a broker restart or a dropped connection.
//!
//! Tests share one broker per process and keep apart by destination; the ones that restart a
//! broker start their own.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tq_common::service::{BrokerSession, Stop};
use tq_common::Secret;
use tq_resilient_fn::message::{Payload, Reply};
use tq_resilient_fn::stomp::{
    Config, Connection, Delivery, Error, HeartBeat, Message, Outgoing, SessionConfig, StompSession,
    Subscription,
};
use tq_testkit::rigs::activemq::proxy::Proxy;
use tq_testkit::rigs::activemq::{ActionMessage, ActiveMq, ActiveMqOptions, Destination};

fn config(broker: &ActiveMq, port: u16) -> Config {
    let mut c = Config::new(
        broker.host(),
        port,
        broker.user(),
        Secret::new(broker.password()),
    );
    c.trust_ca_file(Some(broker.ca_file().to_path_buf()));
    c.connect_timeout = Duration::from_secs(10);
    c.poll_interval = Duration::from_millis(50);
    c
}

fn open(broker: &ActiveMq) -> Connection {
    let cfg = config(broker, broker.tls_port());
    let tls = tq_resilient_fn::stomp::connection::tls_connector(&cfg).unwrap();
    Connection::open(&cfg, tls.as_ref()).expect("connect")
}

fn open_with(cfg: &Config) -> Result<Connection, Error> {
    let tls = tq_resilient_fn::stomp::connection::tls_connector(cfg)?;
    Connection::open(cfg, tls.as_ref())
}

/// Receives until `n` messages arrived or `within` passed.
fn receive_n(c: &mut Connection, n: usize, within: Duration) -> Vec<Message> {
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < deadline {
        if let Some(m) = c.receive().expect("receive") {
            out.push(m);
        }
    }
    out
}

/// Everything that arrives within `within`.
fn receive_for(c: &mut Connection, within: Duration) -> Vec<Message> {
    receive_n(c, usize::MAX, within)
}

#[test]
fn login_over_tls_refuses_a_wrong_password_and_takes_the_right_one() {
    let broker = ActiveMq::shared();
    let mut bad = config(broker, broker.tls_port());
    bad.passcode = Secret::new("Wr0ng-passcode-xyz");
    let e = open_with(&bad).unwrap_err();
    assert!(matches!(e, Error::Refused { .. }), "{e:?}");
    assert!(e.is_fatal());
    let text = e.to_string();
    assert!(text.contains("integration@example.com"), "{text}");
    assert!(text.contains("password is invalid"), "{text}");
    assert!(!text.contains("Wr0ng-passcode-xyz"), "{text}");

    let c = open(broker);
    assert!(c.server().starts_with("ActiveMQ/5."), "{}", c.server());
    let every = Duration::from_secs(15);
    assert_eq!(c.heart_beats(), (Some(every), Some(every)));
    c.disconnect()
        .expect("DISCONNECT answered with its receipt");
}

#[test]
fn an_untrusted_certificate_is_refused_and_insecure_mode_connects() {
    let broker = ActiveMq::shared();
    let mut cfg = config(broker, broker.tls_port());
    cfg.trust_ca_file(None);
    let e = open_with(&cfg).unwrap_err();
    assert!(
        matches!(&e, Error::Tls { message, .. } if message.contains("not trusted")),
        "{e:?}"
    );
    assert!(e.is_fatal());
    cfg.insecure();
    open_with(&cfg)
        .expect("insecure TLS connects")
        .disconnect()
        .unwrap();
}

#[test]
fn receives_replies_and_acks_with_escaped_ids() {
    let broker = ActiveMq::shared();
    let (dest, mut soar) = broker.soar_on_new("fn_threatq");
    let sent = ActionMessage::sample_rule("artifact", 390);
    soar.send(&sent);

    let mut c = open(broker);
    c.subscribe(&Subscription::client_individual(&dest.actions(), 25))
        .expect("subscribe");
    let got = receive_n(&mut c, 1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.destination(), format!("/queue/{}", dest.actions()));
    assert_eq!(m.subscription(), dest.actions());
    assert_eq!(
        m.correlation_id(),
        Some("invid:390"),
        "unescaped from invid\\c390"
    );
    assert_eq!(m.reply_to(), Some(dest.reply_to().as_str()));
    assert_eq!(m.header("Co3MessagePayload"), Some("ActionDataDTO"));
    assert!(m.message_id().starts_with("ID:"), "{}", m.message_id());
    assert!(m.ack_id().starts_with("ID:"), "{}", m.ack_id());
    assert!(!m.redelivered());
    assert_eq!(m.body(), &sent.body[..]);

    let reply_to = m.reply_to().unwrap().to_string();
    let corr = m.correlation_id().unwrap().to_string();
    let headers = [("correlation-id", corr.as_str()), ("persistent", "true")];
    c.send(
        &reply_to,
        &headers,
        br#"{"message_type": 0, "message": "Starting", "complete": false}"#,
    )
    .unwrap();
    c.send(
        &reply_to,
        &headers,
        br#"{"message_type": 0, "message": "Done", "complete": true}"#,
    )
    .unwrap();
    c.ack(m.ack_id()).unwrap();
    c.disconnect().unwrap();

    let replies = soar.collect(&["invid:390"], Duration::from_secs(10));
    assert!(replies.missing().is_empty());
    let all = replies.all("invid:390");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].message(), "Starting");
    assert!(!all[0].complete());
    assert_eq!(all[1].message(), "Done");
    assert_eq!(all[1].header("persistent"), Some("true"));

    // The ACK held: nothing is left, nothing is redelivered.
    assert!(soar.waiting_actions().is_empty());
    let mut again = open(broker);
    again
        .subscribe(&Subscription::client_individual(&dest.actions(), 25))
        .unwrap();
    assert!(receive_for(&mut again, Duration::from_millis(500)).is_empty());
}

#[test]
fn prefetch_caps_unacknowledged_deliveries() {
    let broker = ActiveMq::shared();
    let (dest, mut soar) = broker.soar_on_new("fn_threatq");
    let msgs = ActionMessage::sample_rules("note", 1..=5);
    soar.send_all(&msgs);
    let mut c = open(broker);
    c.subscribe(&Subscription::client_individual(&dest.actions(), 2))
        .unwrap();
    let first = receive_for(&mut c, Duration::from_millis(800));
    assert_eq!(first.len(), 2, "prefetch 2: two in flight, no more");
    c.ack(first[0].ack_id()).unwrap();
    let next = receive_for(&mut c, Duration::from_millis(800));
    assert_eq!(next.len(), 1, "one ACK frees one slot");
    c.ack(first[1].ack_id()).unwrap();
    c.ack(next[0].ack_id()).unwrap();
    let rest = receive_n(&mut c, 2, Duration::from_secs(5));
    assert_eq!(rest.len(), 2);
    let ids: BTreeSet<String> = first
        .iter()
        .chain(&next)
        .chain(&rest)
        .map(|m| m.correlation_id().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
}

#[test]
fn an_unacknowledged_message_comes_again_with_its_message_id_and_a_new_ack_id() {
    let broker = ActiveMq::shared();
    let dest = Destination::unique("fn_threatq");
    broker
        .soar(&dest)
        .send(&ActionMessage::sample_rule("task", 7));
    let sub = Subscription::client_individual(&dest.actions(), 25);
    let mut c = open(broker);
    c.subscribe(&sub).unwrap();
    let first = receive_n(&mut c, 1, Duration::from_secs(10)).remove(0);
    c.disconnect().unwrap(); // no ACK

    let mut c = open(broker);
    c.subscribe(&sub).unwrap();
    let again = receive_n(&mut c, 1, Duration::from_secs(10)).remove(0);
    assert_eq!(again.message_id(), first.message_id());
    assert_ne!(again.ack_id(), first.ack_id());
    assert!(
        again.redelivered(),
        "redelivered:true after a consumer's disconnect"
    );
    // The old ack id is meaningless now; the new one works.
    c.ack(again.ack_id()).unwrap();
    c.disconnect().unwrap();
    let mut c = open(broker);
    c.subscribe(&sub).unwrap();
    assert!(receive_for(&mut c, Duration::from_millis(500)).is_empty());
}

#[test]
fn nack_sends_the_message_to_the_dead_letter_queue() {
    let broker = ActiveMq::shared();
    let (dest, mut soar) = broker.soar_on_new("fn_threatq");
    soar.send(
        &ActionMessage::sample_rule("note", 4242)
            .with_header("correlation-id", &format!("invid:{}", dest.name)),
    );
    let sub = Subscription::client_individual(&dest.actions(), 25);
    let mut c = open(broker);
    c.subscribe(&sub).unwrap();
    let m = receive_n(&mut c, 1, Duration::from_secs(10)).remove(0);
    c.nack(m.ack_id()).unwrap();
    c.disconnect().unwrap();
    let mut c = open(broker);
    c.subscribe(&sub).unwrap();
    assert!(receive_for(&mut c, Duration::from_millis(500)).is_empty());
    let dlq = soar.browse("/queue/ActiveMQ.DLQ");
    assert!(
        dlq.iter().any(|b| b
            .headers
            .iter()
            .any(|(k, v)| k == "correlation-id" && *v == format!("invid:{}", dest.name))),
        "not in the DLQ"
    );
}

#[test]
fn our_heart_beats_keep_an_idle_connection_open() {
    let broker = ActiveMq::shared();
    let mut cfg = config(broker, broker.tls_port());
    // We promise a beat every 500 ms; ActiveMQ drops a client silent for 1.5 times that.
    cfg.heart_beat = HeartBeat {
        send: Duration::from_millis(500),
        receive: Duration::ZERO,
    };
    let mut c = open_with(&cfg).unwrap();
    assert_eq!(c.heart_beats(), (Some(Duration::from_millis(500)), None));
    let until = Instant::now() + Duration::from_millis(3000);
    while Instant::now() < until {
        assert!(c.receive().unwrap().is_none());
    }
    // Still alive: a request gets its receipt.
    let dest = Destination::unique("fn_threatq");
    c.subscribe(&Subscription::client_individual(&dest.actions(), 1))
        .expect("connection survived 3 s of idleness");
}

#[test]
fn a_silent_broker_is_detected_by_its_missing_heart_beats() {
    let broker = ActiveMq::shared();
    let proxy = Proxy::start(broker.tls_port());
    let mut cfg = config(broker, proxy.port());
    // The broker beats every 500 ms; silence for twice that is a timeout (a margin for a
    // busy machine: the broker's JVM shares two cores with the tests).
    cfg.heart_beat = HeartBeat {
        send: Duration::ZERO,
        receive: Duration::from_millis(500),
    };
    let mut c = open_with(&cfg).unwrap();
    assert_eq!(c.heart_beats(), (None, Some(Duration::from_millis(500))));
    // The broker's beats keep it alive while they flow.
    let until = Instant::now() + Duration::from_millis(2000);
    while Instant::now() < until {
        assert!(c.receive().unwrap().is_none());
    }
    proxy.pause();
    let t = Instant::now();
    let e = loop {
        match c.receive() {
            Ok(_) if t.elapsed() < Duration::from_secs(5) => continue,
            Ok(_) => panic!("no timeout after 5 s of silence"),
            Err(e) => break e,
        }
    };
    assert!(matches!(e, Error::HeartBeatTimeout { .. }), "{e:?}");
    assert!(!e.is_fatal());
    assert!(
        t.elapsed() >= Duration::from_millis(800) && t.elapsed() < Duration::from_secs(4),
        "{:?}",
        t.elapsed()
    );
}

fn session_config(broker: &ActiveMq, port: u16, dest: &Destination) -> SessionConfig {
    SessionConfig {
        connection: config(broker, port),
        subscriptions: vec![Subscription::client_individual(&dest.actions(), 25)],
    }
}

/// Drives the session as the service loop does (connect and subscribe when not connected,
/// receive, reset after an error) until `n` messages arrived; counts connects and losses.
fn drive(s: &mut StompSession, n: usize, within: Duration) -> (Vec<Delivery>, u32, u32) {
    let deadline = Instant::now() + within;
    let stop = Stop::new();
    let (mut got, mut connected, mut lost) = (Vec::new(), 0, 0);
    let mut up = s.connection().is_some();
    while got.len() < n && Instant::now() < deadline {
        if !up {
            match s.connect(&stop).and_then(|_| s.subscribe()) {
                Ok(_) => {
                    up = true;
                    connected += 1;
                }
                Err(e) => {
                    assert!(!StompSession::is_fatal(&e), "{e}");
                    s.reset();
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            continue;
        }
        match s.receive() {
            Ok(Some(d)) => got.push(d),
            Ok(None) => {}
            Err(_) => {
                s.reset();
                up = false;
                lost += 1;
            }
        }
    }
    (got, connected, lost)
}

/// Sends `out` and waits for the broker's receipt: a sync point before a planned stop.
fn write_confirmed(s: &mut StompSession, out: Outgoing) {
    s.write_confirmed(out).unwrap();
}

#[test]
fn the_session_reconnects_and_resubscribes_after_broker_restarts() {
    let mut broker = ActiveMq::start(ActiveMqOptions::default());
    let dest = Destination::unique("fn_threatq");
    let msgs = ActionMessage::sample_rules("artifact", 1..=3);
    broker.soar(&dest).send_all(&msgs);
    let mut s = StompSession::new(session_config(&broker, broker.tls_port(), &dest)).unwrap();
    let (got, connected, _) = drive(&mut s, 3, Duration::from_secs(10));
    assert_eq!((got.len(), connected), (3, 1));
    write_confirmed(&mut s, got[0].ack());
    let unacked: BTreeSet<String> = got[1..]
        .iter()
        .map(|d| d.message.message_id().to_string())
        .collect();

    // SIGKILL: persistent messages survive; the two unacknowledged ones come again.
    broker.kill_and_restart();
    let (again, connected, lost) = drive(&mut s, 2, Duration::from_secs(20));
    assert!(lost >= 1 && connected == 1, "{lost} {connected}");
    assert_eq!(s.connections(), 2);
    let ids: BTreeSet<String> = again
        .iter()
        .map(|d| d.message.message_id().to_string())
        .collect();
    assert_eq!(ids, unacked, "same message-ids after the restart");
    assert!(
        again.iter().all(|d| !d.message.redelivered()),
        "ActiveMQ does not mark redeliveries after a restart: dedupe on message-id"
    );
    // An ACK for a delivery of the old connection is not sent on the new one.
    let stale = s.stale_acks();
    s.write(got[1].ack()).unwrap();
    assert_eq!(s.stale_acks(), stale + 1);
    write_confirmed(&mut s, again[0].ack());

    // Graceful stop and start: the last unacknowledged one comes again.
    broker.restart();
    let (third, connected, _) = drive(&mut s, 1, Duration::from_secs(20));
    assert_eq!((third.len(), connected), (1, 1));
    assert_eq!(third[0].message.message_id(), again[1].message.message_id());
    s.write(third[0].ack()).unwrap();
    s.close().unwrap();
    assert!(broker.soar(&dest).waiting_actions().is_empty());
}

#[test]
fn the_session_reconnects_after_the_connection_drops() {
    let broker = ActiveMq::shared();
    let proxy = Proxy::start(broker.tls_port());
    let dest = Destination::unique("fn_threatq");
    broker
        .soar(&dest)
        .send(&ActionMessage::sample_rule("incident", 1));
    let mut s = StompSession::new(session_config(broker, proxy.port(), &dest)).unwrap();
    let (got, _, _) = drive(&mut s, 1, Duration::from_secs(10));
    proxy.cut();
    let (again, connected, lost) = drive(&mut s, 1, Duration::from_secs(10));
    assert_eq!((connected, lost), (1, 1));
    assert_eq!(again[0].message.message_id(), got[0].message.message_id());
    assert!(again[0].message.redelivered());
    assert_eq!(proxy.connections(), 2);
    // A reply goes out on the new connection, then the ACK of the new delivery.
    s.write(Outgoing::send(
        &dest.reply_to(),
        &[("correlation-id", "invid:1")],
        br#"{"message_type": 0, "message": "ok", "complete": true}"#.to_vec(),
    ))
    .unwrap();
    let stale = s.stale_acks();
    s.write(again[0].ack()).unwrap();
    assert_eq!(s.stale_acks(), stale, "sent, not stale");
}

#[test]
fn refused_login_and_refused_subscription_are_fatal_not_retried() {
    let broker = ActiveMq::shared();
    let dest = Destination::unique("fn_threatq");
    let stop = Stop::new();
    let mut cfg = session_config(broker, broker.tls_port(), &dest);
    cfg.connection.passcode = Secret::new("not-the-password");
    let mut s = StompSession::new(cfg).unwrap();
    let e = s.connect(&stop).unwrap_err();
    assert!(matches!(e, Error::Refused { .. }), "{e:?}");
    assert!(StompSession::is_fatal(&e));

    let other_org = Destination {
        org_id: 999,
        name: dest.name.clone(),
    };
    let mut s = StompSession::new(session_config(broker, broker.tls_port(), &other_org)).unwrap();
    s.connect(&stop).unwrap();
    let e = s.subscribe().unwrap_err();
    assert!(
        e.to_string().contains("is not authorized to read from"),
        "{e}"
    );
    assert!(StompSession::is_fatal(&e));
}

#[test]
fn the_service_loop_drives_the_session_and_stops_during_a_backoff() {
    use tq_common::service::{Context, Handler, Service};
    struct Collect(Vec<String>);
    impl Handler<StompSession> for Collect {
        fn message(&mut self, d: Delivery, cx: &mut Context<'_, Outgoing>) {
            self.0.push(d.message.message_id().to_string());
            cx.acks.ack(d.ack());
            if self.0.len() == 2 {
                cx.stop.request();
            }
        }
    }
    let broker = ActiveMq::shared();
    let (dest, mut soar) = broker.soar_on_new("fn_threatq");
    soar.send_all(&[
        ActionMessage::sample_rule("incident", 1),
        ActionMessage::sample_rule("note", 2),
    ]);
    let mut s = StompSession::new(session_config(broker, broker.tls_port(), &dest)).unwrap();
    let mut h = Collect(Vec::new());
    let stop = Stop::new();
    Service::new("Resilient")
        .run(&mut s, &mut h, &stop)
        .unwrap();
    assert_eq!(h.0.len(), 2);
    assert!(
        soar.waiting_actions().is_empty(),
        "both acknowledged before DISCONNECT"
    );

    // No broker: the loop backs off; a stop cuts the wait short.
    let dead = tq_testkit::rigs::free_port();
    let mut s = StompSession::new(session_config(broker, dead, &dest)).unwrap();
    let stop = Stop::new();
    let mut svc = Service::new("Resilient");
    svc.backoff_initial = Duration::from_secs(30);
    svc.backoff_max = Duration::from_secs(30);
    let stopper = stop.clone();
    let t = Instant::now();
    let th = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        stopper.request();
    });
    svc.run(&mut s, &mut Collect(Vec::new()), &stop).unwrap();
    th.join().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the 30 s wait was cut short: {:?}",
        t.elapsed()
    );
}

#[test]
fn a_rule_and_a_function_are_parsed_and_answered_with_their_correlation_ids() {
    let broker = ActiveMq::shared();
    let (dest, mut soar) = broker.soar_on_new("fn_threatq");
    let rule = ActionMessage::sample_rule("note", 901);
    let func = ActionMessage::sample_function(902);
    soar.send_all(&[rule, func]);
    let mut c = open(broker);
    c.subscribe(&Subscription::client_individual(&dest.actions(), 25))
        .unwrap();
    let mut sent = Vec::new();
    for m in receive_n(&mut c, 2, Duration::from_secs(10)) {
        let corr = m.correlation_id().expect("correlation-id").to_string();
        let reply_to = m.reply_to().expect("reply-to").to_string();
        let payload = Payload::parse(m.header("Co3MessagePayload"), m.body()).unwrap();
        let (interim, last) = match payload {
            Payload::Action(a) => (
                Reply::interim(format!("Starting note {}", a.note.unwrap().id)),
                Reply::done("Note synced"),
            ),
            Payload::Function(f) => (
                Reply::interim(format!("Running {}", f.function.name)),
                Reply::function_result(tq_resilient_fn::message::Results::Plain(
                    serde_json::json!({"indicator_id": 4711}),
                )),
            ),
        };
        for r in [&interim, &last] {
            c.send(&reply_to, &Reply::headers(&corr), &r.to_bytes())
                .unwrap();
        }
        c.ack(m.ack_id()).unwrap();
        sent.push((corr, interim, last));
    }
    c.disconnect().unwrap();
    let ids: Vec<&str> = sent.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(ids, ["invid:901", "invid:902"]);
    let replies = soar.collect(&ids, Duration::from_secs(10));
    for (corr, interim, last) in &sent {
        let got = replies.all(corr);
        assert_eq!(got.len(), 2, "{corr}");
        assert_eq!(got[0].raw, interim.to_bytes());
        assert_eq!(got[1].raw, last.to_bytes());
        assert!(got[1].complete() && got[1].message_type() == 0);
        assert_eq!(got[1].header("persistent"), Some("true"));
    }
    assert_eq!(
        replies.complete("invid:902").unwrap().json["results"]["indicator_id"],
        4711
    );
    assert!(soar.waiting_actions().is_empty());
}
