//! The service loop against a broker session shaped like STOMP with
//! `ack:client-individual` (research/resilient.md §2.4-2.6): every delivery carries an ack
//! id valid only on its connection, unacknowledged messages are redelivered after a
//! reconnect, and a new connection has no subscription until SUBSCRIBE. The MQTT session is
//! tested against a real mosquitto in tq-tie-listener; this in-process broker lets the tests
//! place a connection drop or a refused connect exactly where they need it.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tq_common::service::{Acker, BrokerSession, ConnectionEvent, Context, Handler, Service, Stop};

// ---- a log capture, to see the lines the loop writes --------------------------------------

struct Capture;
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        LINES
            .lock()
            .unwrap()
            .push(format!("{} {}", r.level(), r.args()));
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        log::set_boxed_logger(Box::new(Capture)).expect("logger");
        log::set_max_level(log::LevelFilter::Info);
    });
}

fn lines_with(tag: &str, text: &str) -> Vec<String> {
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(tag) && l.contains(text))
        .cloned()
        .collect()
}

// ---- the STOMP-like broker and its session --------------------------------------------------

#[derive(Debug, Clone)]
struct Msg {
    id: String,
    body: Vec<u8>,
    redelivered: bool,
}

#[derive(Debug, Default)]
struct Broker {
    queue: VecDeque<Msg>,
    /// (ack id, message, connection)
    inflight: Vec<(String, Msg, u64)>,
    next_ack: u64,
    connections: u64,
    /// Connect attempts refused with a transient error.
    refuse: u32,
    fatal: bool,
    /// Drop the connection at these receive counts (receives that returned a message).
    drop_at: Vec<u64>,
    received: u64,
    acked: Vec<String>,
    stale_acks: u64,
    connect_attempts: u64,
    subscribes: Vec<u64>,
    /// Order of ack / disconnect calls, for the stop test.
    calls: Vec<String>,
}

#[derive(Debug)]
enum BrokerError {
    Down,
    Reset,
    Refused(&'static str),
    NotSubscribed,
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerError::Down => f.write_str("broker b1:61614 down"),
            BrokerError::Reset => f.write_str("broker b1:61614 reset the connection"),
            BrokerError::Refused(m) => write!(f, "broker b1:61614: ERROR {m}"),
            BrokerError::NotSubscribed => f.write_str("receive without a subscription"),
        }
    }
}

/// The ack handle: the broker's `ack` header value and the connection it came on.
#[derive(Debug, Clone)]
struct AckHandle {
    ack: String,
    connection: u64,
}

struct Delivery<'a> {
    message_id: &'a str,
    body: &'a [u8],
    redelivered: bool,
    ack: AckHandle,
}

struct StompLike {
    broker: Arc<Mutex<Broker>>,
    connection: u64,
    subscribed: bool,
    /// The frame handed out last (the delivery borrows it).
    current: Option<(String, Msg)>,
}

impl StompLike {
    fn new(broker: Broker) -> (StompLike, Arc<Mutex<Broker>>) {
        let b = Arc::new(Mutex::new(broker));
        (
            StompLike {
                broker: b.clone(),
                connection: 0,
                subscribed: false,
                current: None,
            },
            b,
        )
    }
}

impl BrokerSession for StompLike {
    type Message<'a> = Delivery<'a>;
    type Ack = AckHandle;
    type Error = BrokerError;

    fn connect(&mut self, _stop: &Stop) -> Result<String, BrokerError> {
        let mut b = self.broker.lock().unwrap();
        b.connect_attempts += 1;
        if b.fatal {
            return Err(BrokerError::Refused(
                "User name [x] or password is invalid.",
            ));
        }
        if b.refuse > 0 {
            b.refuse -= 1;
            return Err(BrokerError::Down);
        }
        b.connections += 1;
        self.connection = b.connections;
        self.subscribed = false;
        Ok("b1:61614".into())
    }

    fn subscribe(&mut self) -> Result<String, BrokerError> {
        self.broker.lock().unwrap().subscribes.push(self.connection);
        self.subscribed = true;
        Ok("actions.201.fn_threatq".into())
    }

    fn receive(&mut self) -> Result<Option<Delivery<'_>>, BrokerError> {
        if !self.subscribed {
            return Err(BrokerError::NotSubscribed);
        }
        let mut b = self.broker.lock().unwrap();
        if b.drop_at.first() == Some(&b.received) {
            b.drop_at.remove(0);
            return Err(BrokerError::Reset);
        }
        let Some(m) = b.queue.pop_front() else {
            drop(b);
            std::thread::sleep(Duration::from_millis(2));
            return Ok(None);
        };
        b.received += 1;
        b.next_ack += 1;
        let ack = format!("ID:ack-{}", b.next_ack);
        b.inflight.push((ack.clone(), m.clone(), self.connection));
        drop(b);
        let (ack, m) = self.current.insert((ack, m));
        Ok(Some(Delivery {
            message_id: &m.id,
            body: &m.body,
            redelivered: m.redelivered,
            ack: AckHandle {
                ack: ack.clone(),
                connection: self.connection,
            },
        }))
    }

    fn ack(&mut self, a: AckHandle) -> Result<(), BrokerError> {
        let mut b = self.broker.lock().unwrap();
        b.calls.push(format!("ack {}", a.ack));
        if a.connection != self.connection {
            // An ack id of an earlier connection: nothing is sent.
            b.stale_acks += 1;
            return Ok(());
        }
        if let Some(i) = b.inflight.iter().position(|(id, _, _)| *id == a.ack) {
            let (_, m, _) = b.inflight.remove(i);
            b.acked.push(m.id);
        }
        Ok(())
    }

    fn disconnect(&mut self) {
        self.broker.lock().unwrap().calls.push("disconnect".into());
        self.reset();
    }

    fn reset(&mut self) {
        let mut b = self.broker.lock().unwrap();
        // The broker redelivers what this connection left unacknowledged.
        let conn = self.connection;
        let mut back: Vec<Msg> = Vec::new();
        b.inflight.retain(|(_, m, c)| {
            if *c == conn {
                back.push(Msg {
                    redelivered: true,
                    ..m.clone()
                });
                false
            } else {
                true
            }
        });
        for m in back.into_iter().rev() {
            b.queue.push_front(m);
        }
        self.subscribed = false;
    }

    fn is_fatal(e: &BrokerError) -> bool {
        matches!(e, BrokerError::Refused(_))
    }
}

fn broker_with(n: usize) -> Broker {
    Broker {
        queue: (0..n)
            .map(|i| Msg {
                id: format!("m{i}"),
                body: format!("{{\"n\": {i}}}").into_bytes(),
                redelivered: false,
            })
            .collect(),
        ..Broker::default()
    }
}

fn fast(system: &str) -> Service {
    Service {
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(80),
        backoff_jitter: 0.0,
        progress_every: Duration::ZERO,
        ..Service::new(system)
    }
}

// ---- the handler: work on a worker thread, ack after the work, idempotent per id ------------

/// What the handler knows per message id (as resilient-circuits keeps it, §2.5).
#[derive(Default)]
struct Seen {
    processed: BTreeSet<String>,
    done: BTreeSet<String>,
    /// Work in progress, with the ack handle of its latest delivery.
    in_progress: HashMap<String, AckHandle>,
    redelivered: Vec<String>,
}

struct Worker {
    total: usize,
    seen: Arc<Mutex<Seen>>,
    jobs: Option<std::sync::mpsc::Sender<String>>,
    /// The ack of this message id is held until the next connection change.
    hold: Option<&'static str>,
    held: Option<(Acker<AckHandle>, AckHandle)>,
    events: Vec<String>,
    bad: usize,
}

impl Handler<StompLike> for Worker {
    fn message(&mut self, d: Delivery<'_>, cx: &mut Context<'_, AckHandle>) {
        if d.body.first() != Some(&b'{') {
            self.bad += 1;
            cx.skipped("/queue/actions.201.fn_threatq", d.body.len(), &"not JSON");
            cx.acks.ack(d.ack);
            return;
        }
        let mut seen = self.seen.lock().unwrap();
        if d.redelivered {
            seen.redelivered.push(d.message_id.to_string());
        }
        if seen.done.contains(d.message_id) {
            // Completed before: ack again without doing the work twice.
            cx.acks.ack(d.ack);
            return;
        }
        if let Some(ack) = seen.in_progress.get_mut(d.message_id) {
            // Redelivered while in progress: the work acks this delivery when done.
            *ack = d.ack;
            return;
        }
        if self.hold == Some(d.message_id) {
            self.hold = None;
            self.held = Some((cx.acks.clone(), d.ack));
            return;
        }
        seen.in_progress.insert(d.message_id.to_string(), d.ack);
        drop(seen);
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(d.message_id.to_string());
        }
    }

    fn connection(&mut self, e: &ConnectionEvent<'_>) {
        self.events.push(match e {
            ConnectionEvent::Connected { number, .. } => format!("connected {number}"),
            ConnectionEvent::Lost { error } => format!("lost: {error}"),
            ConnectionEvent::ConnectFailed { error, retry_in } => {
                format!("failed: {error}; retry in {} ms", retry_in.as_millis())
            }
        });
        if matches!(e, ConnectionEvent::Lost { .. }) {
            if let Some((acker, ack)) = self.held.take() {
                // The work finished only after the connection dropped: this ack is stale.
                acker.ack(ack);
            }
        }
    }

    fn progress(&mut self) -> Option<String> {
        let seen = self.seen.lock().unwrap();
        Some(format!(
            "progress: {} of {} done",
            seen.done.len(),
            self.total
        ))
    }

    fn stopping(&mut self, _deadline: Instant) {
        self.jobs = None;
    }
}

/// A worker thread: does the work, then acks the latest delivery of the message.
fn spawn_workers(
    seen: Arc<Mutex<Seen>>,
    acker_slot: Arc<Mutex<Option<Acker<AckHandle>>>>,
) -> std::sync::mpsc::Sender<String> {
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        while let Ok(id) = rx.recv() {
            std::thread::sleep(Duration::from_millis(1));
            let mut s = seen.lock().unwrap();
            assert!(s.processed.insert(id.clone()), "{id} processed twice");
            let ack = s.in_progress.remove(&id);
            s.done.insert(id);
            drop(s);
            if let (Some(a), Some(ack)) = (acker_slot.lock().unwrap().as_ref(), ack) {
                a.ack(ack);
            }
        }
    });
    tx
}

/// The workers ack through an Acker they get from the first message's context.
struct Handing(Worker, Arc<Mutex<Option<Acker<AckHandle>>>>);

impl Handler<StompLike> for Handing {
    fn message(&mut self, d: Delivery<'_>, cx: &mut Context<'_, AckHandle>) {
        self.1
            .lock()
            .unwrap()
            .get_or_insert_with(|| cx.acks.clone());
        self.0.message(d, cx)
    }
    fn connection(&mut self, e: &ConnectionEvent<'_>) {
        self.0.connection(e)
    }
    fn progress(&mut self) -> Option<String> {
        self.0.progress()
    }
    fn stopping(&mut self, deadline: Instant) {
        self.0.stopping(deadline)
    }
}

#[test]
fn every_message_is_worked_once_and_acked_across_refused_connects_drops_and_stale_acks() {
    capture_logs();
    let mut broker = broker_with(40);
    broker.refuse = 3;
    broker.drop_at = vec![8, 25];
    broker.queue.insert(
        3,
        Msg {
            id: "garbage".into(),
            body: b"\x00\x01".to_vec(),
            redelivered: false,
        },
    );
    let (mut session, broker) = StompLike::new(broker);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let slot = Arc::new(Mutex::new(None));
    let mut handler = Handing(
        Worker {
            total: 40,
            seen: seen.clone(),
            jobs: Some(spawn_workers(seen.clone(), slot.clone())),
            hold: Some("m5"),
            held: None,
            events: Vec::new(),
            bad: 0,
        },
        slot,
    );
    let stop = Stop::new();
    let watcher = {
        let (stop, broker) = (stop.clone(), broker.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                let b = broker.lock().unwrap();
                let acked: BTreeSet<&String> = b.acked.iter().collect();
                if acked.len() == 41 && b.inflight.is_empty() && b.queue.is_empty() {
                    break;
                }
                drop(b);
                std::thread::sleep(Duration::from_millis(5));
            }
            stop.request();
        })
    };
    fast("Resilient")
        .run(&mut session, &mut handler, &stop)
        .expect("run ends on stop");
    watcher.join().expect("watcher");

    let b = broker.lock().unwrap();
    let acked: BTreeSet<&str> = b.acked.iter().map(String::as_str).collect();
    let want: BTreeSet<String> = (0..40).map(|i| format!("m{i}")).collect();
    for id in &want {
        assert!(
            acked.contains(id.as_str()),
            "{id} never acked: {:?}",
            b.acked
        );
    }
    assert!(acked.contains("garbage"), "a skipped message is acked too");
    assert_eq!(b.acked.len(), 41, "each message acked once: {:?}", b.acked);
    assert_eq!(seen.lock().unwrap().processed, want, "each worked once");
    // Three refused connects, then three connections (two drops): each one subscribed.
    assert_eq!(b.connect_attempts, 6);
    assert_eq!(b.connections, 3);
    assert_eq!(
        b.subscribes,
        vec![1, 2, 3],
        "subscribed again after every connect"
    );
    assert!(b.stale_acks >= 1, "the ack held across the drop was stale");
    assert!(
        seen.lock().unwrap().redelivered.iter().any(|id| id == "m5"),
        "the message of the stale ack came again"
    );
    assert_eq!(handler.0.bad, 1);
    let ev = &handler.0.events;
    assert_eq!(
        &ev[..4],
        [
            "failed: broker b1:61614 down; retry in 20 ms",
            "failed: broker b1:61614 down; retry in 40 ms",
            "failed: broker b1:61614 down; retry in 80 ms",
            "connected 1",
        ],
        "capped backoff, reported with the delay: {ev:?}"
    );
    assert_eq!(
        ev.iter().filter(|e| e.starts_with("lost: ")).count(),
        2,
        "{ev:?}"
    );
    assert_eq!(ev.last().map(String::as_str), Some("connected 3"));
    assert_eq!(b.calls.last().map(String::as_str), Some("disconnect"));
    drop(b);

    // What an operator reads in the log.
    assert_eq!(
        lines_with("INFO", "listening: connected to Resilient broker b1:61614, subscribed to actions.201.fn_threatq").len(),
        3
    );
    assert!(!lines_with(
        "WARN",
        "no Resilient broker reachable (broker b1:61614 down); next attempt in 0.0"
    )
    .is_empty());
    assert_eq!(
        lines_with(
            "WARN",
            "Resilient connection lost: broker b1:61614 reset the connection; reconnecting"
        )
        .len(),
        2
    );
    assert_eq!(
        lines_with(
            "WARN",
            "skipped a message on /queue/actions.201.fn_threatq (2 bytes): not JSON"
        )
        .len(),
        1
    );
    assert!(!lines_with("INFO", "progress: ").is_empty());
}

#[test]
fn a_fatal_error_ends_the_run_without_retrying() {
    let mut broker = broker_with(1);
    broker.fatal = true;
    let (mut session, broker) = StompLike::new(broker);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut handler = Worker {
        total: 1,
        seen,
        jobs: None,
        hold: None,
        held: None,
        events: Vec::new(),
        bad: 0,
    };
    let e = fast("STOMP")
        .run(&mut session, &mut handler, &Stop::new())
        .expect_err("fatal");
    assert!(e.to_string().contains("password is invalid"), "{e}");
    assert_eq!(broker.lock().unwrap().connect_attempts, 1);
}

/// Holds every ack and sends them only in `stopping`.
struct AckAtStop {
    held: Vec<(Acker<AckHandle>, AckHandle)>,
    got_deadline: Option<Instant>,
    stop_after: usize,
}

impl Handler<StompLike> for AckAtStop {
    fn message(&mut self, d: Delivery<'_>, cx: &mut Context<'_, AckHandle>) {
        self.held.push((cx.acks.clone(), d.ack));
        if self.held.len() == self.stop_after {
            cx.stop.request();
        }
    }
    fn stopping(&mut self, deadline: Instant) {
        self.got_deadline = Some(deadline);
        for (acker, ack) in self.held.drain(..) {
            acker.ack(ack);
        }
    }
}

#[test]
fn at_the_stop_the_handler_gets_its_grace_and_its_acks_go_out_before_the_disconnect() {
    let (mut session, broker) = StompLike::new(broker_with(5));
    let mut handler = AckAtStop {
        held: Vec::new(),
        got_deadline: None,
        stop_after: 3,
    };
    let service = Service {
        stop_grace: Duration::from_secs(7),
        ..fast("STOMP")
    };
    let t = Instant::now();
    service
        .run(&mut session, &mut handler, &Stop::new())
        .expect("stopped");
    let deadline = handler.got_deadline.expect("stopping called");
    assert!(
        deadline >= t + Duration::from_secs(7)
            && deadline <= Instant::now() + Duration::from_secs(7)
    );
    let b = broker.lock().unwrap();
    assert_eq!(b.acked, ["m0", "m1", "m2"]);
    assert_eq!(
        b.calls,
        ["ack ID:ack-1", "ack ID:ack-2", "ack ID:ack-3", "disconnect"],
        "acks first, then the disconnect"
    );
    assert_eq!(b.queue.len(), 2, "the rest stays on the broker");
}

#[test]
fn a_stop_during_the_backoff_wait_ends_the_run_at_once() {
    let mut broker = broker_with(1);
    broker.refuse = u32::MAX;
    let (mut session, _broker) = StompLike::new(broker);
    let mut handler = Worker {
        total: 1,
        seen: Arc::default(),
        jobs: None,
        hold: None,
        held: None,
        events: Vec::new(),
        bad: 0,
    };
    let stop = Stop::new();
    let s = stop.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        s.request();
    });
    let service = Service {
        backoff_initial: Duration::from_secs(30),
        backoff_max: Duration::from_secs(30),
        ..fast("STOMP")
    };
    let t = Instant::now();
    service
        .run(&mut session, &mut handler, &stop)
        .expect("stopped");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}
