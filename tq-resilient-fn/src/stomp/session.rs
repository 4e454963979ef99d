//! The STOMP side of [`tq_common::service`]: a [`BrokerSession`] over one [`Connection`] at a
//! time. The service loop owns reconnecting (capped backoff with jitter), resubscribing
//! after every connect, the stop flag and the order of work; this session only connects,
//! subscribes, receives and writes.
//!
//! Everything the connector writes goes through the loop as an [`Outgoing`] (the loop's
//! `Ack`): replies (`SEND` to the message's `reply-to`) and acknowledgements. Workers hand
//! them to the loop through its `Acker`, in order, and the loop writes them on the
//! connection between two receives: one thread writes to the TLS socket, and a message's
//! final reply is always on the wire before its ACK.
//!
//! An ACK names the connection its message came on ([`Delivery::connection`]): ACK ids are
//! only valid there, so an ACK for a connection that is gone sends nothing (the broker
//! redelivers that message on the new one, with the same `message-id`).
//!
//! While work is in flight ([`StompSession::busy`] above zero) a receive waits 2 ms at most
//! instead of the poll interval, so that replies and ACKs queued by workers go out at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tq_common::service::{BrokerSession, Stop};
use tq_common::tls::StreamConnector;

use super::connection::{tls_connector, Config, Connection, Message, Subscription};
use super::Error;

/// How long a receive waits while work is in flight.
const BUSY_POLL: Duration = Duration::from_millis(2);

/// A message and the connection it arrived on.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The message.
    pub message: Message,
    /// Which connection of the session delivered it (1 for the first).
    pub connection: u64,
}

impl Delivery {
    /// The ACK of this delivery.
    pub fn ack(&self) -> Outgoing {
        Outgoing::Ack {
            id: self.message.ack_id().to_string(),
            connection: self.connection,
        }
    }
}

/// A frame for the loop to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// `SEND` (a reply).
    Send {
        /// The destination (the message's `reply-to`).
        destination: String,
        /// Headers (`correlation-id`, `persistent`).
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// `ACK` of a delivery.
    Ack {
        /// The delivery's `ack` id.
        id: String,
        /// The connection it came on.
        connection: u64,
    },
}

impl Outgoing {
    /// A `SEND` of `body` to `destination` with `headers`.
    pub fn send(destination: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Outgoing {
        Outgoing::Send {
            destination: destination.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
        }
    }
}

/// The session settings: the connection and what to subscribe to after every connect.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The connection settings.
    pub connection: Config,
    /// The subscriptions.
    pub subscriptions: Vec<Subscription>,
}

/// A STOMP [`BrokerSession`]; see the module docs.
pub struct StompSession {
    cfg: SessionConfig,
    connector: Option<StreamConnector>,
    conn: Option<Connection>,
    /// A connection opened ahead ([`StompSession::open_ahead`]), taken by the first connect.
    ahead: Option<Connection>,
    /// When the current connection attempt began (TCP connect).
    connect_started: Option<std::time::Instant>,
    connections: u64,
    busy: Arc<AtomicUsize>,
    short_poll: bool,
    /// ACKs dropped because their connection was gone.
    stale_acks: u64,
}

impl std::fmt::Debug for StompSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StompSession")
            .field("broker", &self.cfg.connection.broker())
            .field("connections", &self.connections)
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

impl StompSession {
    /// A session (not connected yet). Fails only on unusable TLS settings (an unreadable CA
    /// file), naming them.
    pub fn new(cfg: SessionConfig) -> Result<StompSession, Error> {
        let connector = tls_connector(&cfg.connection)?;
        Ok(StompSession {
            cfg,
            connector,
            conn: None,
            ahead: None,
            connect_started: None,
            connections: 0,
            busy: Arc::new(AtomicUsize::new(0)),
            short_poll: false,
            stale_acks: 0,
        })
    }

    /// Starts opening a connection (TCP, TLS, CONNECT) on another thread, so that it
    /// overlaps other start-up work; hand the outcome to [`StompSession::adopt`].
    pub fn open_ahead(&mut self) -> std::thread::JoinHandle<Result<Connection, Error>> {
        self.connect_started = Some(std::time::Instant::now());
        let cfg = self.cfg.connection.clone();
        let connector = self.connector.clone();
        std::thread::spawn(move || Connection::open(&cfg, connector.as_ref()))
    }

    /// Takes a connection opened ahead for the first connect; a failed one is logged and
    /// the service loop connects (and retries) as usual.
    pub fn adopt(&mut self, opened: std::thread::Result<Result<Connection, Error>>) {
        match opened {
            Ok(Ok(c)) => self.ahead = Some(c),
            Ok(Err(e)) => log::debug!("opening the STOMP connection ahead: {e}"),
            Err(_) => log::debug!("opening the STOMP connection ahead: the thread failed"),
        }
    }

    /// Replaces what is subscribed after every connect.
    pub fn set_subscriptions(&mut self, subscriptions: Vec<Subscription>) {
        self.cfg.subscriptions = subscriptions;
    }

    /// The count of work in flight: while above zero, receives wait [`BUSY_POLL`] at most.
    /// The handler raises it when it hands a message to a worker; the worker lowers it after
    /// queueing the message's last frame.
    pub fn busy(&self) -> Arc<AtomicUsize> {
        self.busy.clone()
    }

    /// How many connections were opened so far.
    pub fn connections(&self) -> u64 {
        self.connections
    }

    /// The open connection, if any.
    pub fn connection(&self) -> Option<&Connection> {
        self.conn.as_ref()
    }

    /// ACKs not sent because their connection had ended.
    pub fn stale_acks(&self) -> u64 {
        self.stale_acks
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    fn open(&mut self) -> Result<&mut Connection, Error> {
        match self.conn.as_mut() {
            Some(c) => Ok(c),
            None => Err(Error::Closed {
                broker: self.cfg.connection.broker(),
            }),
        }
    }

    /// Writes one frame now (the loop calls this through [`BrokerSession::ack`]).
    pub fn write(&mut self, out: Outgoing) -> Result<(), Error> {
        match out {
            Outgoing::Send {
                destination,
                headers,
                body,
            } => {
                let h: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                self.open()?.send(&destination, &h, &body)
            }
            Outgoing::Ack { id, connection } => {
                if connection != self.connections || self.conn.is_none() {
                    self.stale_acks += 1;
                    log::debug!(
                        "ACK {id} not sent: its connection ({connection}) is gone; the broker \
                         redelivers the message"
                    );
                    return Ok(());
                }
                self.open()?.ack(&id)
            }
        }
    }

    /// Like [`StompSession::write`], and waits for the broker's RECEIPT: when it returns the
    /// broker has processed the frame (a sync point, e.g. before a planned broker restart).
    pub fn write_confirmed(&mut self, out: Outgoing) -> Result<(), Error> {
        match out {
            Outgoing::Ack { id, connection } if connection == self.connections => {
                self.open()?.ack_confirmed(&id)
            }
            Outgoing::Send {
                destination,
                headers,
                body,
            } => {
                let mut f =
                    super::Frame::new(super::Command::Send).with("destination", &destination);
                for (k, v) in &headers {
                    f = f.with(k, v);
                }
                f.body = body;
                self.open()?.request(f)
            }
            stale => self.write(stale),
        }
    }

    /// DISCONNECT with a receipt and close (unacknowledged messages are redelivered).
    pub fn close(&mut self) -> Result<(), Error> {
        match self.conn.take() {
            Some(c) => c.disconnect(),
            None => Ok(()),
        }
    }
}

impl BrokerSession for StompSession {
    type Message<'a> = Delivery;
    type Ack = Outgoing;
    type Error = Error;

    fn connect(&mut self, stop: &Stop) -> Result<String, Error> {
        if stop.requested() {
            return Err(Error::Stopped);
        }
        self.conn = None;
        let c = match self.ahead.take() {
            Some(c) => c,
            None => {
                self.connect_started = Some(std::time::Instant::now());
                Connection::open(&self.cfg.connection, self.connector.as_ref())?
            }
        };
        let at = format!("{} ({})", c.broker(), c.server());
        self.conn = Some(c);
        self.short_poll = false;
        Ok(at)
    }

    fn subscribe(&mut self) -> Result<String, Error> {
        let subs = self.cfg.subscriptions.clone();
        let c = self.open()?;
        for s in &subs {
            c.subscribe(s)?;
        }
        self.connections += 1;
        let took = self
            .connect_started
            .take()
            .map(|t| format!(" (connect to subscribed: {} ms)", t.elapsed().as_millis()))
            .unwrap_or_default();
        let subs = subs
            .iter()
            .map(|s| {
                let prefetch = s
                    .prefetch
                    .map(|p| format!(", prefetch {p}"))
                    .unwrap_or_default();
                format!("{}{prefetch}", s.destination)
            })
            .collect::<Vec<_>>()
            .join(", ");
        Ok(format!("{subs}{took}"))
    }

    fn receive(&mut self) -> Result<Option<Delivery>, Error> {
        let busy = self.busy.load(Ordering::Acquire) > 0;
        let number = self.connections;
        let poll = self.cfg.connection.poll_interval;
        if busy != self.short_poll {
            self.open()?
                .set_poll_interval(if busy { BUSY_POLL } else { poll })?;
            self.short_poll = busy;
        }
        let c = self.open()?;
        Ok(c.receive()?.map(|message| Delivery {
            message,
            connection: number,
        }))
    }

    fn ack(&mut self, out: Outgoing) -> Result<(), Error> {
        self.write(out)
    }

    fn disconnect(&mut self) {
        if let Err(e) = self.close() {
            log::debug!("STOMP DISCONNECT: {e}");
        }
    }

    fn reset(&mut self) {
        self.conn = None;
        self.short_poll = false;
    }

    fn is_fatal(error: &Error) -> bool {
        error.is_fatal()
    }
}
