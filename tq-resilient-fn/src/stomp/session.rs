//! A STOMP connection kept alive: subscribe on every (re)connect, reconnect after a failure
//! with capped exponential backoff and jitter, never give up on a transient failure.
//!
//! [`Session::next_event`] drives it. It returns [`Event::Connected`] after each successful
//! connect and subscribe, [`Event::Message`] for each delivery, [`Event::Idle`] when a poll
//! interval passed quietly, and [`Event::Disconnected`] when the connection failed (the next
//! call waits the backoff delay, cut short by `stop`, and reconnects). Fatal errors
//! ([`Error::is_fatal`]: refused credentials, a refused subscription, unusable TLS settings)
//! are returned instead of retried.
//!
//! Each [`Delivery`] remembers the connection it came on. ACK ids are only valid on that
//! connection: [`Session::ack`] of a delivery from an earlier connection sends nothing and
//! returns [`AckOutcome::Stale`] (the broker redelivers the message on the current one).

use std::time::{Duration, Instant};

use tq_common::retry::{sleep_unless, Backoff};
use tq_common::tls::StreamConnector;

use super::connection::{tls_connector, Config, Connection, Message, Subscription};
use super::Error;

/// Session settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The connection settings.
    pub connection: Config,
    /// What to subscribe to on every connect.
    pub subscriptions: Vec<Subscription>,
    /// The first delay before reconnecting ...
    pub backoff_initial: Duration,
    /// ... doubling up to this cap ...
    pub backoff_max: Duration,
    /// ... plus up to this fraction at random.
    pub backoff_jitter: f64,
}

impl SessionConfig {
    /// A session with backoff 1 s doubling to 60 s, 25 % jitter.
    pub fn new(connection: Config, subscriptions: Vec<Subscription>) -> SessionConfig {
        SessionConfig {
            connection,
            subscriptions,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            backoff_jitter: 0.25,
        }
    }
}

/// A message and the connection it arrived on.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The message.
    pub message: Message,
    /// Which connection of the session delivered it (1 for the first).
    pub connection: u64,
}

/// What [`Session::next_event`] found.
#[derive(Debug)]
pub enum Event {
    /// Connected and subscribed (connection number, starting at 1; how long it took).
    Connected {
        /// Which connection this is (1 for the first).
        connection: u64,
        /// From the start of the attempt to the last subscription's receipt.
        took: Duration,
    },
    /// A message.
    Message(Delivery),
    /// Nothing arrived within the poll interval (or the session is waiting to reconnect
    /// and `stop` said so).
    Idle,
    /// The connection failed; the next call waits `retry_in` (unless stopped), then
    /// reconnects.
    Disconnected {
        /// Why.
        error: Error,
        /// The backoff delay before the next attempt.
        retry_in: Duration,
    },
}

/// The result of [`Session::ack`] / [`Session::nack`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// Sent on the connection the message came on.
    Sent,
    /// The message came on an earlier connection: nothing sent; it will be redelivered.
    Stale,
}

#[derive(Clone, Copy)]
enum AckKind {
    Ack,
    Confirmed,
    Nack,
}

/// A STOMP session; see the module docs.
pub struct Session {
    cfg: SessionConfig,
    connector: Option<StreamConnector>,
    conn: Option<Connection>,
    connections: u64,
    backoff: Backoff,
    /// When set, the next connect waits until then.
    retry_at: Option<Instant>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("broker", &self.cfg.connection.broker())
            .field("connections", &self.connections)
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session (not connected yet). Fails only on unusable TLS settings.
    pub fn new(cfg: SessionConfig) -> Result<Session, Error> {
        let connector = tls_connector(&cfg.connection)?;
        let backoff = Backoff::new(cfg.backoff_initial, cfg.backoff_max, cfg.backoff_jitter);
        Ok(Session {
            cfg,
            connector,
            conn: None,
            connections: 0,
            backoff,
            retry_at: None,
        })
    }

    /// How many connections were opened (and subscribed) so far.
    pub fn connections(&self) -> u64 {
        self.connections
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// The open connection, if any (to read its negotiated heart-beats, server ...).
    pub fn connection(&self) -> Option<&Connection> {
        self.conn.as_ref()
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// One connect-and-subscribe attempt.
    fn open(&mut self) -> Result<Duration, Error> {
        let t0 = Instant::now();
        let mut c = Connection::open(&self.cfg.connection, self.connector.as_ref())?;
        for s in &self.cfg.subscriptions {
            c.subscribe(s)?;
        }
        self.conn = Some(c);
        self.connections += 1;
        self.backoff.reset();
        Ok(t0.elapsed())
    }

    /// Drops the connection after `error`: fatal errors come back as `Err`, others as
    /// [`Event::Disconnected`] with the delay before the next attempt.
    fn failed(&mut self, error: Error) -> Result<Event, Error> {
        if error.is_fatal() {
            self.conn = None;
            return Err(error);
        }
        let retry_in = self.drop_connection();
        Ok(Event::Disconnected { error, retry_in })
    }

    /// Forgets the connection; the next connect waits the returned backoff delay.
    fn drop_connection(&mut self) -> Duration {
        self.conn = None;
        let retry_in = self.backoff.next_delay();
        self.retry_at = Some(Instant::now() + retry_in);
        retry_in
    }

    /// Waits for the backoff delay (unless `stop`), then connects and subscribes.
    fn reconnect(&mut self, stop: &dyn Fn() -> bool) -> Result<Event, Error> {
        if let Some(at) = self.retry_at.take() {
            let wait = at.saturating_duration_since(Instant::now());
            if sleep_unless(wait, Duration::from_millis(50), stop) {
                self.retry_at = Some(at);
                return Ok(Event::Idle);
            }
        }
        match self.open() {
            Ok(took) => Ok(Event::Connected {
                connection: self.connections,
                took,
            }),
            Err(e) => self.failed(e),
        }
    }

    /// The next event; see the module docs. `stop` cuts a backoff wait short.
    pub fn next_event(&mut self, stop: &dyn Fn() -> bool) -> Result<Event, Error> {
        let Some(conn) = self.conn.as_mut() else {
            return self.reconnect(stop);
        };
        match conn.receive() {
            Ok(Some(message)) => Ok(Event::Message(Delivery {
                message,
                connection: self.connections,
            })),
            Ok(None) => Ok(Event::Idle),
            Err(e) => self.failed(e),
        }
    }

    fn ack_or_nack(&mut self, d: &Delivery, how: AckKind) -> Result<AckOutcome, Error> {
        if d.connection != self.connections {
            return Ok(AckOutcome::Stale);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Ok(AckOutcome::Stale);
        };
        let id = d.message.ack_id();
        let r = match how {
            AckKind::Ack => conn.ack(id),
            AckKind::Confirmed => conn.ack_confirmed(id),
            AckKind::Nack => conn.nack(id),
        };
        match r {
            Ok(()) => Ok(AckOutcome::Sent),
            Err(e) => {
                // The connection is gone; the message will be redelivered on the next one.
                log::warn!("{e}");
                self.drop_connection();
                Ok(AckOutcome::Stale)
            }
        }
    }

    /// ACK a delivery on the connection it came on; [`AckOutcome::Stale`] when that
    /// connection is gone (nothing sent; the broker redelivers it).
    pub fn ack(&mut self, d: &Delivery) -> Result<AckOutcome, Error> {
        self.ack_or_nack(d, AckKind::Ack)
    }

    /// Like [`Session::ack`], and waits for the broker's RECEIPT (the ACK was processed).
    /// Even so, a broker that crashes right after may not have stored it: deduplicate.
    pub fn ack_confirmed(&mut self, d: &Delivery) -> Result<AckOutcome, Error> {
        self.ack_or_nack(d, AckKind::Confirmed)
    }

    /// NACK a delivery (see [`Session::ack`]).
    pub fn nack(&mut self, d: &Delivery) -> Result<AckOutcome, Error> {
        self.ack_or_nack(d, AckKind::Nack)
    }

    /// SEND on the current connection, connecting first if there is none (waiting the
    /// backoff, cut short by `stop` with [`Error::Stopped`]). A failed write drops the
    /// connection and is returned, so the caller knows this frame was not sent.
    pub fn send(
        &mut self,
        destination: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        stop: &dyn Fn() -> bool,
    ) -> Result<(), Error> {
        while self.conn.is_none() {
            if stop() {
                return Err(Error::Stopped);
            }
            if let Event::Disconnected { error, retry_in } = self.reconnect(stop)? {
                log::warn!("{error}; retrying in {retry_in:?}");
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(Error::Stopped);
        };
        let r = conn.send(destination, headers, body);
        if r.is_err() {
            self.drop_connection();
        }
        r
    }

    /// DISCONNECT (with a receipt) and close; unacknowledged messages are redelivered to the
    /// next consumer.
    pub fn disconnect(&mut self) -> Result<(), Error> {
        match self.conn.take() {
            Some(c) => c.disconnect(),
            None => Ok(()),
        }
    }
}
