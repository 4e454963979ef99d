//! A small blocking STOMP 1.2 client over TLS: what IBM Resilient's message destinations need
//! (research/resilient.md §2) and nothing more. No ThreatQ or Resilient knowledge lives here.
//!
//! - [`codec`]: frames to and from bytes (escaping, `content-length`, NUL, heart-beat EOLs);
//!   pure, byte-tested and fuzzed.
//! - [`connection`]: one connected broker: TCP + TLS, CONNECT/CONNECTED with login and
//!   host, heart-beats both ways, SUBSCRIBE (client-individual ack, `activemq.prefetchSize`),
//!   ACK/NACK, SEND, RECEIPT, ERROR frames, DISCONNECT with a receipt.
//! - [`session`]: the [`tq_common::service::BrokerSession`] over a connection: the service
//!   loop reconnects, resubscribes and writes the replies and ACKs workers queue
//!   ([`Outgoing`]); an ACK for a connection that is gone sends nothing.
//!
//! Redelivery: ActiveMQ hands every delivered but unacknowledged message out again when the
//! consumer's connection ends, with the same `message-id` and a new `ack` id. After a consumer
//! disconnects it adds `redelivered:true`; after a **broker restart** it does not (observed with
//! the persistent test broker). Deduplicate on [`connection::Message::message_id`], never on
//! [`connection::Message::redelivered`].

pub mod codec;
pub mod connection;
pub mod session;

use std::time::Duration;

pub use codec::{Command, Frame};
pub use connection::{AckMode, Config, Connection, HeartBeat, Message, Subscription};
pub use session::{Delivery, Outgoing, SessionConfig, StompSession};

/// What can go wrong talking to the broker; every variant names the broker (`host:port`),
/// never a passcode.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TLS settings cannot be used (CA file unreadable or not PEM, ...).
    #[error("{0}")]
    Settings(String),
    /// Resolving, connecting, reading or writing failed.
    #[error("STOMP broker {broker}: {context}: {source}")]
    Io {
        /// `host:port`.
        broker: String,
        /// What was being done.
        context: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TLS handshake failed (certificate not trusted, host name mismatch, ...); the
    /// message names the system, the host and why.
    #[error("{message} (broker {broker})")]
    Tls {
        /// `host:port`.
        broker: String,
        /// OpenSSL's reason.
        message: String,
    },
    /// The broker answered CONNECT with an ERROR frame (bad login or passcode).
    #[error("STOMP broker {broker} refused the login of {login}: {message}")]
    Refused {
        /// `host:port`.
        broker: String,
        /// The login (user e-mail or API key id), never the passcode.
        login: String,
        /// The ERROR frame's `message` header.
        message: String,
    },
    /// The broker sent an ERROR frame after the session was open (e.g. "User x is not
    /// authorized to read from: queue://actions.201.other").
    #[error("STOMP broker {broker} sent ERROR: {message}")]
    Server {
        /// `host:port`.
        broker: String,
        /// The ERROR frame's `message` header (and the start of its body, if any).
        message: String,
    },
    /// The broker sent bytes that are not STOMP 1.2 as expected.
    #[error("STOMP broker {broker}: protocol error: {message}")]
    Protocol {
        /// `host:port`.
        broker: String,
        /// What was wrong.
        message: String,
    },
    /// Nothing (not even a heart-beat) arrived for longer than the agreed heart-beat allows.
    #[error("STOMP broker {broker}: no heart-beat for {silent:?} (expected one every {every:?})")]
    HeartBeatTimeout {
        /// `host:port`.
        broker: String,
        /// How long the broker was silent.
        silent: Duration,
        /// The negotiated interval of the broker's heart-beats.
        every: Duration,
    },
    /// An expected answer (CONNECTED, RECEIPT) did not come in time.
    #[error("STOMP broker {broker}: no {waiting_for} within {timeout:?}")]
    Timeout {
        /// `host:port`.
        broker: String,
        /// CONNECTED, RECEIPT ...
        waiting_for: &'static str,
        /// How long we waited.
        timeout: Duration,
    },
    /// The broker closed the connection.
    #[error("STOMP broker {broker} closed the connection")]
    Closed {
        /// `host:port`.
        broker: String,
    },
    /// A frame could not be encoded (a header value the frame cannot carry).
    #[error("STOMP frame for {broker}: {source}")]
    Encode {
        /// `host:port`.
        broker: String,
        /// What was wrong.
        source: codec::EncodeError,
    },
    /// The service was asked to stop before it connected.
    #[error("stopped before connecting to the STOMP broker")]
    Stopped,
}

impl Error {
    /// True for errors that retrying will not fix: refused credentials, a refused
    /// subscription (not authorized, already subscribed: the errors resilient-circuits treats
    /// as unrecoverable, research §2.1), unusable TLS settings, an untrusted certificate.
    pub fn is_fatal(&self) -> bool {
        match self {
            Error::Settings(_) | Error::Refused { .. } | Error::Stopped => true,
            Error::Encode { .. } => true,
            Error::Tls { message, .. } => message.contains("not trusted"),
            Error::Server { message, .. } => {
                message.contains("not authorized") || message.contains("Already subscribed")
            }
            _ => false,
        }
    }
}
