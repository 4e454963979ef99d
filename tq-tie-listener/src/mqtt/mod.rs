//! A small blocking MQTT 3.1.1 client over TLS with a client certificate (research/dxl-tie.md
//! §2, research/crates.md §2.5).
//!
//! What DXL needs and nothing more: CONNECT with a clean session and keep-alive, SUBSCRIBE and
//! SUBACK, PUBLISH receive at QoS 0 and 1 (with PUBACK), PUBLISH send at QoS 0 (tests and
//! benchmarks), PINGREQ/PINGRESP driven by the socket read timeout, DISCONNECT.
//!
//! - [`codec`]: every packet as pure functions over bytes, both directions.
//! - [`connection`]: one connected broker; receiving allocates nothing per message.
//! - [`session`]: the broker list (host name first, then IP), subscriptions on every
//!   connection; the [`tq_common::service::BrokerSession`] the service loop drives (which
//!   owns reconnecting, backoff and the stop).
//!
//! TLS ([`client_tls`], on `tq_common::tls`): the broker's chain is verified against the CA
//! bundle only (no system roots), the host name is not checked, as the OpenDXL client does
//! (research §2.2).

pub mod codec;
pub mod connection;
pub mod session;

use std::fmt;
use std::io;
use std::path::Path;

use tq_common::tls::{ClientIdentity, StreamConnector, TlsPolicy, Trust};

pub use codec::QoS;
pub use connection::{Connection, Message, Options};
pub use session::{Broker, Session};

/// Everything that can go wrong; each variant names the broker or the packet involved.
#[derive(Debug)]
pub enum Error {
    /// Resolving, connecting, reading or writing failed.
    Io {
        broker: String,
        context: &'static str,
        source: io::Error,
    },
    /// The TLS handshake failed (e.g. the broker's certificate is not signed by the CA bundle,
    /// or the broker refused our certificate).
    Tls { broker: String, message: String },
    /// The broker answered CONNECT with a non-zero return code.
    Refused { broker: String, code: u8 },
    /// The broker refused a subscription (SUBACK 0x80).
    SubscribeRefused { broker: String, topic: String },
    /// The broker sent something that is not MQTT 3.1.1 as we expect it.
    Protocol { broker: String, message: String },
    /// The broker did not answer in time.
    Timeout {
        broker: String,
        waiting_for: &'static str,
    },
    /// The broker closed the connection.
    Closed { broker: String },
    /// No broker is configured.
    NoBrokers,
    /// Used before a connection was opened.
    NotConnected,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                broker,
                context,
                source,
            } => write!(f, "broker {broker}: {context}: {source}"),
            Error::Tls { broker, message } => write!(f, "broker {broker}: {message}"),
            Error::Refused { broker, code } => write!(
                f,
                "broker {broker} refused the connection: CONNACK return code {code} ({})",
                codec::connack_reason(*code)
            ),
            Error::SubscribeRefused { broker, topic } => {
                write!(f, "broker {broker} refused the subscription to {topic}")
            }
            Error::Protocol { broker, message } => {
                write!(f, "broker {broker}: MQTT protocol error: {message}")
            }
            Error::Timeout {
                broker,
                waiting_for,
            } => write!(f, "broker {broker}: no {waiting_for} in time"),
            Error::Closed { broker } => write!(f, "broker {broker} closed the connection"),
            Error::NoBrokers => write!(f, "no broker configured"),
            Error::NotConnected => write!(f, "not connected to a broker"),
        }
    }
}

impl std::error::Error for Error {}

/// The TLS settings of a DXL client: trust the broker CA bundle only, verify the chain but
/// not the host name, present the client certificate (PEM files as an OpenDXL client
/// directory holds them; PKCS#8, PKCS#1 RSA or SEC1 EC keys). Errors name the file at fault,
/// never the key.
pub fn client_tls(ca_bundle: &Path, cert: &Path, key: &Path) -> tq_common::Result<StreamConnector> {
    TlsPolicy {
        verify_hostname: false,
        identity: Some(ClientIdentity::from_files(cert, key)?),
        ..TlsPolicy::new("DXL broker", Trust::Only(ca_bundle.to_path_buf()))
    }
    .connector()
}

/// A client id in the OpenDXL form: `{` + a random version-4 UUID + `}`.
pub fn random_client_id() -> String {
    format!("{{{}}}", tq_common::retry::random_uuid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_braced_uuid4_and_differ() {
        let a = random_client_id();
        let b = random_client_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 38);
        assert!(a.starts_with('{') && a.ends_with('}'));
        assert_eq!(&a[15..16], "4");
    }
}
