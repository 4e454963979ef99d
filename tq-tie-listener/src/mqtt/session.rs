//! The subscriber session over the DXL broker list: the [`BrokerSession`] that
//! `tq_common::service` drives. A connect tries the brokers in order, each by host name
//! first and then by IP address (as dxlclient does); the subscriptions are made on every
//! new connection. Waiting and backoff between rounds are the service loop's.

use std::convert::Infallible;
use std::fmt;

use tq_common::service::{BrokerSession, Stop};
use tq_common::tls::StreamConnector;

use super::connection::{Connection, Message, Options};
use super::{Error, QoS};

/// One broker of the DXL broker list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    /// The broker GUID, e.g. `{3f1c7d0e-...}` (may be empty).
    pub id: String,
    pub host: String,
    /// Tried after `host` when the host name cannot be reached.
    pub ip: Option<String>,
    pub port: u16,
}

impl Broker {
    /// A broker with a host name only.
    pub fn new(host: impl Into<String>, port: u16) -> Broker {
        Broker {
            id: String::new(),
            host: host.into(),
            ip: None,
            port,
        }
    }

    /// The addresses to try, host name first, then IP (as dxlclient does).
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.host.as_str()).chain(
            self.ip
                .as_deref()
                .filter(|ip| !ip.is_empty() && *ip != self.host),
        )
    }
}

impl fmt::Display for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// A subscriber session over a broker list.
pub struct Session {
    brokers: Vec<Broker>,
    topics: Vec<(String, QoS)>,
    tls: StreamConnector,
    opts: Options,
    conn: Option<Connection>,
    /// Index of the connected broker.
    connected: Option<usize>,
}

impl Session {
    /// A session (not connected yet) subscribing to `topics` on every connection.
    pub fn new(
        brokers: Vec<Broker>,
        topics: &[(&str, QoS)],
        tls: StreamConnector,
        opts: Options,
    ) -> Result<Session, Error> {
        if brokers.is_empty() {
            return Err(Error::NoBrokers);
        }
        Ok(Session {
            brokers,
            topics: topics.iter().map(|(t, q)| (t.to_string(), *q)).collect(),
            tls,
            opts,
            conn: None,
            connected: None,
        })
    }

    /// The broker currently connected, if any.
    pub fn connected_broker(&self) -> Option<&Broker> {
        self.connected.map(|i| &self.brokers[i])
    }

    /// The open connection, if any (to publish on it, in tests and benchmarks).
    pub fn connection(&mut self) -> Option<&mut Connection> {
        self.conn.as_mut()
    }
}

impl BrokerSession for Session {
    type Message<'a> = Message<'a>;
    type Ack = Infallible;
    type Error = Error;

    /// Tries every broker in order (host name, then IP) until one accepts the connection.
    fn connect(&mut self, stop: &Stop) -> Result<String, Error> {
        self.reset();
        let mut last = Error::NoBrokers;
        for (i, b) in self.brokers.iter().enumerate() {
            for addr in b.targets() {
                if stop.requested() {
                    return Err(last);
                }
                match Connection::open(addr, b.port, &self.tls, &self.opts) {
                    Ok(c) => {
                        let id = if b.id.is_empty() { "-" } else { &b.id };
                        let described = format!("{} ({id})", c.broker());
                        self.conn = Some(c);
                        self.connected = Some(i);
                        return Ok(described);
                    }
                    Err(e) => {
                        log::debug!("{e}");
                        last = e;
                    }
                }
            }
        }
        Err(last)
    }

    fn subscribe(&mut self) -> Result<String, Error> {
        let topics: Vec<(&str, QoS)> = self.topics.iter().map(|(t, q)| (t.as_str(), *q)).collect();
        let c = self.conn.as_mut().ok_or(Error::NotConnected)?;
        c.subscribe(&topics, self.opts.connect_timeout)?;
        Ok(topics
            .iter()
            .map(|(t, _)| *t)
            .collect::<Vec<_>>()
            .join(", "))
    }

    fn receive(&mut self) -> Result<Option<Message<'_>>, Error> {
        self.conn.as_mut().ok_or(Error::NotConnected)?.receive()
    }

    fn ack(&mut self, ack: Infallible) -> Result<(), Error> {
        match ack {}
    }

    fn disconnect(&mut self) {
        if let Some(c) = self.conn.take() {
            c.disconnect();
        }
        self.connected = None;
    }

    fn reset(&mut self) {
        self.conn = None;
        self.connected = None;
    }
}
