//! A small blocking MQTT 3.1.1 client over TLS with a client certificate (research/dxl-tie.md
//! §2, research/crates.md §2.5).
//!
//! What DXL needs and nothing more: CONNECT with a clean session and keep-alive, SUBSCRIBE and
//! SUBACK, PUBLISH receive at QoS 0 and 1 (with PUBACK), PUBLISH send at QoS 0 (tests and
//! benchmarks), PINGREQ/PINGRESP driven by the socket read timeout, DISCONNECT.
//!
//! [`Connection`] is one connected broker. Reads go into one growable buffer that also holds
//! partial packets; a received PUBLISH is handed out as slices of that buffer, so receiving
//! allocates nothing per message.
//!
//! [`Session`] owns the broker list: it tries the brokers in order (host name first, then the
//! IP address), subscribes on every (re)connect, and after a failure waits with capped
//! exponential backoff and jitter before the next round. It never gives up on its own; the
//! caller stops it through the stop flag.
//!
//! TLS: the broker's chain is verified against the CA bundle only (no system roots), the host
//! name is not checked, as the OpenDXL client does (research §2.2).

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::pkey::PKey;
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslStream, SslVerifyMode,
    SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;
use tq_common::retry::Backoff;

const CONNECT: u8 = 1;
const CONNACK: u8 = 2;
const PUBLISH: u8 = 3;
const PUBACK: u8 = 4;
const SUBSCRIBE: u8 = 8;
const SUBACK: u8 = 9;
const PINGREQ: u8 = 12;
const PINGRESP: u8 = 13;
const DISCONNECT: u8 = 14;

/// Quality of service of a subscription or a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QoS {
    AtMostOnce = 0,
    AtLeastOnce = 1,
}

/// Everything that can go wrong; each variant names the broker or the packet involved.
#[derive(Debug)]
pub enum Error {
    /// The certificate, key or CA bundle could not be used.
    Identity(String),
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Identity(m) => write!(f, "client certificate or CA bundle: {m}"),
            Error::Io {
                broker,
                context,
                source,
            } => write!(f, "broker {broker}: {context}: {source}"),
            Error::Tls { broker, message } => write!(f, "broker {broker}: TLS: {message}"),
            Error::Refused { broker, code } => write!(
                f,
                "broker {broker} refused the connection: CONNACK return code {code} ({})",
                connack_reason(*code)
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
        }
    }
}

impl std::error::Error for Error {}

fn connack_reason(code: u8) -> &'static str {
    match code {
        1 => "unacceptable protocol version",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "unknown",
    }
}

/// The TLS side of a client: CA bundle, client certificate and key.
///
/// Built on the `openssl` crate directly rather than through `native-tls`: native-tls always
/// loads the system trust store first (about 0.85 MiB of heap that stays resident) even when
/// the built-in roots are then disabled, and DXL must trust the broker CA bundle only. It is
/// the same OpenSSL underneath, with the context options of `openssl::ssl::SslConnector`.
#[derive(Clone)]
pub struct ClientTls {
    ctx: SslContext,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientTls { .. }")
    }
}

impl ClientTls {
    /// Builds the TLS settings from PEM text: `ca_bundle` (one or more certificates),
    /// `cert` (the client certificate, optionally followed by its chain) and `key` (PKCS#8,
    /// or PKCS#1 RSA / SEC1 EC as older tools write it; all are read in memory). The key text
    /// never appears in an error.
    pub fn from_pem(ca_bundle: &[u8], cert: &[u8], key: &[u8]) -> Result<ClientTls, Error> {
        let id = Error::Identity;
        let cas = X509::stack_from_pem(ca_bundle)
            .map_err(|e| id(format!("CA bundle is not PEM certificates: {e}")))?;
        if cas.is_empty() {
            return Err(id("CA bundle holds no certificate".into()));
        }
        let mut chain = X509::stack_from_pem(cert)
            .map_err(|e| id(format!("client certificate is not PEM: {e}")))?
            .into_iter();
        let leaf = chain
            .next()
            .ok_or_else(|| id("client certificate file holds no certificate".into()))?;
        if has_tag(key, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err(id(
                "the private key is encrypted; provide an unencrypted key".into(),
            ));
        }
        let pkey = PKey::private_key_from_pem(key).map_err(|_| {
            id("the private key is not a PEM private key (PKCS#8, or PKCS#1 RSA / SEC1 EC)".into())
        })?;
        let tls_err = |e: openssl::error::ErrorStack| id(format!("TLS settings: {e}"));
        let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(tls_err)?;
        let mut opts = SslOptions::ALL
            | SslOptions::NO_COMPRESSION
            | SslOptions::NO_SSLV2
            | SslOptions::NO_SSLV3;
        opts &= !SslOptions::DONT_INSERT_EMPTY_FRAGMENTS;
        b.set_options(opts);
        b.set_mode(
            SslMode::AUTO_RETRY
                | SslMode::ACCEPT_MOVING_WRITE_BUFFER
                | SslMode::ENABLE_PARTIAL_WRITE
                | SslMode::RELEASE_BUFFERS,
        );
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .map_err(tls_err)?;
        b.set_cipher_list("DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK")
            .map_err(tls_err)?;
        let mut store = X509StoreBuilder::new().map_err(tls_err)?;
        for ca in cas {
            store.add_cert(ca).map_err(tls_err)?;
        }
        b.set_verify_cert_store(store.build()).map_err(tls_err)?;
        b.set_verify(SslVerifyMode::PEER);
        b.set_certificate(&leaf)
            .map_err(|e| id(format!("client certificate: {e}")))?;
        for c in chain {
            b.add_extra_chain_cert(c)
                .map_err(|e| id(format!("client certificate chain: {e}")))?;
        }
        b.set_private_key(&pkey)
            .map_err(|_| id("the private key does not match the client certificate".into()))?;
        b.check_private_key()
            .map_err(|_| id("the private key does not match the client certificate".into()))?;
        Ok(ClientTls { ctx: b.build() })
    }

    /// Reads the three PEM files.
    pub fn from_files(
        ca_bundle: &std::path::Path,
        cert: &std::path::Path,
        key: &std::path::Path,
    ) -> Result<ClientTls, Error> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| Error::Identity(format!("{}: {e}", p.display())))
        };
        ClientTls::from_pem(&read(ca_bundle)?, &read(cert)?, &read(key)?)
    }

    /// TLS handshake over `tcp`. The chain is verified against the bundle; the host name is
    /// not checked (research §2.2); `host` goes into SNI when it is a name.
    fn connect(&self, host: &str, tcp: TcpStream) -> Result<SslStream<TcpStream>, String> {
        let mut ssl = Ssl::new(&self.ctx).map_err(|e| e.to_string())?;
        if host.parse::<std::net::IpAddr>().is_err() {
            ssl.set_hostname(host).map_err(|e| e.to_string())?;
        }
        ssl.connect(tcp).map_err(|e| match e {
            openssl::ssl::HandshakeError::Failure(mid) => {
                let verify = mid.ssl().verify_result();
                if verify == openssl::x509::X509VerifyResult::OK {
                    mid.error().to_string()
                } else {
                    format!("broker certificate not trusted: {}", verify.error_string())
                }
            }
            openssl::ssl::HandshakeError::WouldBlock(_) => "handshake timed out".to_string(),
            openssl::ssl::HandshakeError::SetupFailure(e) => e.to_string(),
        })
    }
}

fn has_tag(text: &[u8], tag: &[u8]) -> bool {
    text.windows(tag.len()).any(|w| w == tag)
}

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
    pub fn new(host: impl Into<String>, port: u16) -> Broker {
        Broker {
            id: String::new(),
            host: host.into(),
            ip: None,
            port,
        }
    }

    /// The addresses to try, host name first, then IP (as dxlclient does).
    fn targets(&self) -> impl Iterator<Item = &str> {
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

/// Connection and session settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The MQTT client id. Every process needs its own (plain brokers kick a duplicate).
    pub client_id: String,
    /// MQTT keep-alive: a PINGREQ is sent when nothing was sent for this long, and the
    /// connection is given up when the PINGRESP does not come within the same time.
    pub keep_alive: Duration,
    /// Limit for the TCP connect, the TLS handshake, CONNACK and SUBACK.
    pub connect_timeout: Duration,
    /// Socket read timeout: how often an idle connection wakes up (keep-alive, stop flag,
    /// [`Event::Idle`]).
    pub poll_interval: Duration,
    /// Backoff after a round in which no broker could be reached: starts here...
    pub backoff_initial: Duration,
    /// ... doubles each round, and is capped here ...
    pub backoff_max: Duration,
    /// ... plus up to this fraction at random.
    pub backoff_jitter: f64,
    /// Largest packet accepted (the OpenDXL broker limits messages to 1 MiB).
    pub max_packet: usize,
}

impl Options {
    pub fn new(client_id: impl Into<String>) -> Options {
        Options {
            client_id: client_id.into(),
            keep_alive: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(250),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            backoff_jitter: 0.25,
            max_packet: 16 * 1024 * 1024,
        }
    }
}

/// A client id in the OpenDXL form: `{` + a random version-4 UUID + `}`.
pub fn random_client_id() -> String {
    format!("{{{}}}", tq_common::retry::random_uuid())
}

/// A received PUBLISH; topic and payload borrow the connection's read buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub topic: &'a str,
    pub payload: &'a [u8],
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
}

/// What [`Connection::receive`] found.
enum Incoming {
    /// A PUBLISH whose topic and payload are at these ranges of the read buffer.
    Publish {
        topic: (usize, usize),
        payload: (usize, usize),
        qos: QoS,
        retain: bool,
        dup: bool,
    },
    /// A PUBLISH that arrived while waiting for an acknowledgement, kept aside.
    Queued(OwnedMessage),
    /// Nothing arrived within the poll interval.
    Idle,
}

#[derive(Debug, Clone)]
struct OwnedMessage {
    topic: String,
    payload: Vec<u8>,
    qos: QoS,
    retain: bool,
    dup: bool,
}

/// A complete packet in the read buffer: (type, flags, body start, body end).
type RawPacket = (u8, u8, (usize, usize));

/// One connected broker.
pub struct Connection {
    stream: SslStream<TcpStream>,
    broker: String,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    write_buf: Vec<u8>,
    keep_alive: Duration,
    poll_interval: Duration,
    max_packet: usize,
    last_send: Instant,
    ping_sent: Option<Instant>,
    next_pid: u16,
    /// Publishes that arrived while waiting for a SUBACK.
    queued: VecDeque<OwnedMessage>,
    /// The last one handed out of `queued` (it must outlive the `Message` borrow).
    current: Option<OwnedMessage>,
}

const READ_CHUNK: usize = 64 * 1024;

impl Connection {
    /// TCP connect to `addr`, TLS handshake, CONNECT with a clean session, wait for CONNACK.
    pub fn open(
        addr: &str,
        port: u16,
        tls: &ClientTls,
        opts: &Options,
    ) -> Result<Connection, Error> {
        let broker = format!("{addr}:{port}");
        let io_err = |context, source| Error::Io {
            broker: broker.clone(),
            context,
            source,
        };
        let addrs: Vec<SocketAddr> = (addr, port)
            .to_socket_addrs()
            .map_err(|e| io_err("resolving the address", e))?
            .collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        let mut tcp = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, opts.connect_timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let tcp = tcp.ok_or_else(|| io_err("connecting", last))?;
        tcp.set_nodelay(true)
            .map_err(|e| io_err("setting TCP_NODELAY", e))?;
        tcp.set_read_timeout(Some(opts.connect_timeout))
            .map_err(|e| io_err("setting the read timeout", e))?;
        tcp.set_write_timeout(Some(opts.connect_timeout))
            .map_err(|e| io_err("setting the write timeout", e))?;
        let stream = tls.connect(addr, tcp).map_err(|message| Error::Tls {
            broker: broker.clone(),
            message,
        })?;
        let mut c = Connection {
            stream,
            broker,
            buf: vec![0; READ_CHUNK * 4],
            start: 0,
            end: 0,
            write_buf: Vec::with_capacity(READ_CHUNK),
            keep_alive: opts.keep_alive,
            poll_interval: opts.poll_interval,
            max_packet: opts.max_packet,
            last_send: Instant::now(),
            ping_sent: None,
            next_pid: 1,
            queued: VecDeque::new(),
            current: None,
        };
        let keep_alive = u16::try_from(opts.keep_alive.as_secs()).unwrap_or(u16::MAX);
        let connect = encode_connect(&opts.client_id, keep_alive);
        c.send(&connect, "sending CONNECT")?;
        let deadline = Instant::now() + opts.connect_timeout;
        let (ptype, _flags, body) = c.wait_packet(deadline, "CONNACK")?;
        if ptype != CONNACK || body.1 - body.0 != 2 {
            return Err(c.protocol(format!("expected CONNACK, got packet type {ptype}")));
        }
        let code = c.buf[body.0 + 1];
        if code != 0 {
            return Err(Error::Refused {
                broker: c.broker.clone(),
                code,
            });
        }
        c.stream
            .get_ref()
            .set_read_timeout(Some(opts.poll_interval))
            .map_err(|e| Error::Io {
                broker: c.broker.clone(),
                context: "setting the read timeout",
                source: e,
            })?;
        Ok(c)
    }

    /// The broker this connection is to, as `host:port`.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    fn protocol(&self, message: String) -> Error {
        Error::Protocol {
            broker: self.broker.clone(),
            message,
        }
    }

    fn send(&mut self, bytes: &[u8], context: &'static str) -> Result<(), Error> {
        self.stream
            .write_all(bytes)
            .and_then(|_| self.stream.flush())
            .map_err(|e| Error::Io {
                broker: self.broker.clone(),
                context,
                source: e,
            })?;
        self.last_send = Instant::now();
        Ok(())
    }

    fn pid(&mut self) -> u16 {
        let p = self.next_pid;
        self.next_pid = if p == u16::MAX { 1 } else { p + 1 };
        p
    }

    /// Subscribes to the topics in one SUBSCRIBE and waits for the SUBACK. A refused topic is
    /// an error. Publishes that arrive meanwhile are kept for [`Connection::receive`].
    pub fn subscribe(&mut self, topics: &[(&str, QoS)], timeout: Duration) -> Result<(), Error> {
        if topics.is_empty() {
            return Ok(());
        }
        let pid = self.pid();
        let pkt = encode_subscribe(pid, topics);
        self.send(&pkt, "sending SUBSCRIBE")?;
        let deadline = Instant::now() + timeout;
        loop {
            let (ptype, flags, body) = self.wait_packet(deadline, "SUBACK")?;
            match ptype {
                SUBACK => {
                    let b = &self.buf[body.0..body.1];
                    if b.len() < 2 || u16::from_be_bytes([b[0], b[1]]) != pid {
                        return Err(self.protocol("SUBACK for another packet id".into()));
                    }
                    let codes = &b[2..];
                    if codes.len() != topics.len() {
                        return Err(self.protocol(format!(
                            "SUBACK has {} return codes for {} topics",
                            codes.len(),
                            topics.len()
                        )));
                    }
                    if let Some(i) = codes.iter().position(|&c| c == 0x80) {
                        return Err(Error::SubscribeRefused {
                            broker: self.broker.clone(),
                            topic: topics[i].0.to_string(),
                        });
                    }
                    return Ok(());
                }
                PUBLISH => {
                    let p = self.parse_publish(flags, body)?;
                    if let Incoming::Publish {
                        topic,
                        payload,
                        qos,
                        retain,
                        dup,
                    } = p
                    {
                        let m = OwnedMessage {
                            topic: String::from_utf8_lossy(&self.buf[topic.0..topic.1])
                                .into_owned(),
                            payload: self.buf[payload.0..payload.1].to_vec(),
                            qos,
                            retain,
                            dup,
                        };
                        self.queued.push_back(m);
                    }
                }
                _ => self.handle_control(ptype)?,
            }
        }
    }

    /// Waits for the next PUBLISH; returns `Ok(None)` when nothing arrived within the poll
    /// interval (after sending a PINGREQ if one was due).
    pub fn receive(&mut self) -> Result<Option<Message<'_>>, Error> {
        let got = self.next_incoming()?;
        Ok(self.view(got))
    }

    fn view(&mut self, got: Incoming) -> Option<Message<'_>> {
        match got {
            Incoming::Idle => None,
            Incoming::Publish {
                topic,
                payload,
                qos,
                retain,
                dup,
            } => Some(Message {
                // The topic was checked to be UTF-8 when the packet was parsed.
                topic: std::str::from_utf8(&self.buf[topic.0..topic.1]).unwrap_or(""),
                payload: &self.buf[payload.0..payload.1],
                qos,
                retain,
                dup,
            }),
            Incoming::Queued(m) => {
                let m = self.current.insert(m);
                Some(Message {
                    topic: &m.topic,
                    payload: &m.payload,
                    qos: m.qos,
                    retain: m.retain,
                    dup: m.dup,
                })
            }
        }
    }

    fn next_incoming(&mut self) -> Result<Incoming, Error> {
        if let Some(m) = self.queued.pop_front() {
            return Ok(Incoming::Queued(m));
        }
        loop {
            match self.try_packet()? {
                Some((PUBLISH, flags, body)) => return self.parse_publish(flags, body),
                Some((ptype, _, _)) => self.handle_control(ptype)?,
                None => {
                    let got = self.fill()?;
                    self.keep_alive_check()?;
                    if !got {
                        return Ok(Incoming::Idle);
                    }
                }
            }
        }
    }

    fn keep_alive_check(&mut self) -> Result<(), Error> {
        if self.keep_alive.is_zero() {
            return Ok(());
        }
        if let Some(sent) = self.ping_sent {
            if sent.elapsed() >= self.keep_alive {
                return Err(Error::Timeout {
                    broker: self.broker.clone(),
                    waiting_for: "PINGRESP",
                });
            }
        } else if self.last_send.elapsed() >= self.keep_alive {
            self.send(&[PINGREQ << 4, 0], "sending PINGREQ")?;
            self.ping_sent = Some(Instant::now());
        }
        Ok(())
    }

    fn handle_control(&mut self, ptype: u8) -> Result<(), Error> {
        match ptype {
            PINGRESP => {
                self.ping_sent = None;
                Ok(())
            }
            // Acknowledgements of our QoS 0 publishes do not exist; a stray PUBACK is harmless.
            PUBACK => Ok(()),
            _ => Err(self.protocol(format!("unexpected packet type {ptype}"))),
        }
    }

    fn parse_publish(&mut self, flags: u8, body: (usize, usize)) -> Result<Incoming, Error> {
        let qos = match (flags >> 1) & 3 {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            q => return Err(self.protocol(format!("PUBLISH with QoS {q} (not subscribed so)"))),
        };
        let b = &self.buf[body.0..body.1];
        if b.len() < 2 {
            return Err(self.protocol("PUBLISH shorter than its topic length".into()));
        }
        let tlen = usize::from(u16::from_be_bytes([b[0], b[1]]));
        let mut at = 2 + tlen;
        if b.len() < at {
            return Err(self.protocol("PUBLISH topic runs past the packet".into()));
        }
        if std::str::from_utf8(&b[2..at]).is_err() {
            return Err(self.protocol("PUBLISH topic is not UTF-8".into()));
        }
        let topic = (body.0 + 2, body.0 + at);
        if qos == QoS::AtLeastOnce {
            if b.len() < at + 2 {
                return Err(self.protocol("PUBLISH QoS 1 without packet id".into()));
            }
            let ack = [PUBACK << 4, 2, b[at], b[at + 1]];
            at += 2;
            self.send(&ack, "sending PUBACK")?;
        }
        Ok(Incoming::Publish {
            topic,
            payload: (body.0 + at, body.1),
            qos,
            retain: flags & 1 != 0,
            dup: flags & 8 != 0,
        })
    }

    /// Takes one complete packet from the buffer: (type, flags, body range).
    fn try_packet(&mut self) -> Result<Option<RawPacket>, Error> {
        let avail = &self.buf[self.start..self.end];
        match parse_header(avail) {
            Err(msg) => Err(self.protocol(msg.into())),
            Ok(None) => Ok(None),
            Ok(Some((first, hlen, rlen))) => {
                if rlen > self.max_packet {
                    return Err(self.protocol(format!(
                        "packet of {rlen} bytes exceeds the limit of {}",
                        self.max_packet
                    )));
                }
                let total = hlen + rlen;
                if avail.len() < total {
                    // Make room for the whole packet.
                    if self.start + total > self.buf.len() {
                        self.compact();
                        if total > self.buf.len() {
                            self.buf.resize(total.max(self.buf.len() * 2), 0);
                        }
                    }
                    return Ok(None);
                }
                let body = (self.start + hlen, self.start + total);
                self.start += total;
                if self.start == self.end {
                    self.start = 0;
                    self.end = 0;
                }
                Ok(Some((first >> 4, first & 0x0f, body)))
            }
        }
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Reads more bytes. `Ok(false)` when the read timed out.
    fn fill(&mut self) -> Result<bool, Error> {
        if self.buf.len() - self.end < READ_CHUNK / 4 {
            self.compact();
            if self.buf.len() - self.end < READ_CHUNK / 4 {
                let n = self.buf.len() * 2;
                self.buf.resize(n, 0);
            }
        }
        match self.stream.read(&mut self.buf[self.end..]) {
            Ok(0) => Err(Error::Closed {
                broker: self.broker.clone(),
            }),
            Ok(n) => {
                self.end += n;
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(false)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(true),
            Err(e) => Err(Error::Io {
                broker: self.broker.clone(),
                context: "reading",
                source: e,
            }),
        }
    }

    /// Waits for any packet until the deadline (used before the session is set up).
    fn wait_packet(
        &mut self,
        deadline: Instant,
        waiting_for: &'static str,
    ) -> Result<RawPacket, Error> {
        loop {
            if let Some(p) = self.try_packet()? {
                return Ok(p);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    broker: self.broker.clone(),
                    waiting_for,
                });
            }
            self.fill()?;
        }
    }

    /// Appends a QoS 0 PUBLISH to the write buffer; [`Connection::flush`] sends it. The buffer
    /// is sent by itself when it grows past 64 KiB.
    pub fn queue_publish(&mut self, topic: &str, payload: &[u8]) -> Result<(), Error> {
        encode_publish(&mut self.write_buf, topic, payload, QoS::AtMostOnce, 0);
        if self.write_buf.len() >= READ_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends what [`Connection::queue_publish`] buffered.
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.write_buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.write_buf);
        let r = self.send(&buf, "sending PUBLISH");
        self.write_buf = buf;
        self.write_buf.clear();
        r
    }

    /// Sends one QoS 0 PUBLISH now.
    pub fn publish(&mut self, topic: &str, payload: &[u8]) -> Result<(), Error> {
        self.queue_publish(topic, payload)?;
        self.flush()
    }

    /// Sends DISCONNECT and closes the TLS session.
    pub fn disconnect(mut self) {
        let _ = self.flush();
        let _ = self.send(&[DISCONNECT << 4, 0], "sending DISCONNECT");
        let _ = self.stream.shutdown();
        let _ = self.stream.get_ref().shutdown(std::net::Shutdown::Both);
    }

    /// The configured poll interval.
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }
}

/// Parses a fixed header: (first byte, header length, remaining length), or `None` if more
/// bytes are needed.
pub fn parse_header(b: &[u8]) -> Result<Option<(u8, usize, usize)>, &'static str> {
    let Some(&first) = b.first() else {
        return Ok(None);
    };
    let mut value = 0usize;
    for i in 0..4 {
        let Some(&byte) = b.get(1 + i) else {
            return Ok(None);
        };
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((first, 2 + i, value)));
        }
    }
    Err("remaining length longer than 4 bytes")
}

/// Appends the MQTT variable-length encoding of `n` (n < 268,435,456).
pub fn encode_remaining_length(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            break;
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

/// CONNECT, MQTT 3.1.1, clean session, no will, no user name or password.
pub fn encode_connect(client_id: &str, keep_alive_secs: u16) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 + client_id.len());
    put_str(&mut body, b"MQTT");
    body.push(4); // protocol level 3.1.1
    body.push(0x02); // clean session
    body.extend_from_slice(&keep_alive_secs.to_be_bytes());
    put_str(&mut body, client_id.as_bytes());
    let mut out = vec![CONNECT << 4];
    encode_remaining_length(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

pub fn encode_subscribe(pid: u16, topics: &[(&str, QoS)]) -> Vec<u8> {
    let mut body = pid.to_be_bytes().to_vec();
    for (t, q) in topics {
        put_str(&mut body, t.as_bytes());
        body.push(*q as u8);
    }
    let mut out = vec![(SUBSCRIBE << 4) | 0x02];
    encode_remaining_length(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

/// Appends a PUBLISH (retain 0, dup 0); `pid` is used only for QoS 1.
pub fn encode_publish(out: &mut Vec<u8>, topic: &str, payload: &[u8], qos: QoS, pid: u16) {
    out.push((PUBLISH << 4) | ((qos as u8) << 1));
    let id_len = if qos == QoS::AtMostOnce { 0 } else { 2 };
    encode_remaining_length(out, 2 + topic.len() + id_len + payload.len());
    put_str(out, topic.as_bytes());
    if qos != QoS::AtMostOnce {
        out.extend_from_slice(&pid.to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// What [`Session::poll`] reports.
#[derive(Debug)]
pub enum Event<'a> {
    /// Connected and subscribed to every topic (also after each reconnect).
    Connected {
        broker: &'a Broker,
        address: &'a str,
    },
    /// A message on one of the subscribed topics.
    Message(Message<'a>),
    /// Nothing arrived within the poll interval.
    Idle,
    /// The connection was lost; the session reconnects on the next poll.
    Disconnected(Error),
    /// No broker could be reached in this round (the error of the last attempt); the next
    /// round starts after `retry_in`.
    ConnectFailed { error: Error, retry_in: Duration },
    /// The stop flag was set; DISCONNECT has been sent. Further polls return `Stopped` again.
    Stopped,
}

/// A subscriber session over a broker list with failover, reconnect and resubscribe.
pub struct Session {
    brokers: Vec<Broker>,
    topics: Vec<(String, QoS)>,
    tls: ClientTls,
    opts: Options,
    stop: Arc<AtomicBool>,
    conn: Option<Connection>,
    /// Index of the connected broker and the address used.
    connected: Option<(usize, String)>,
    retry_at: Option<Instant>,
    backoff: Backoff,
    stopped: bool,
}

impl Session {
    pub fn new(
        brokers: Vec<Broker>,
        topics: &[(&str, QoS)],
        tls: ClientTls,
        opts: Options,
        stop: Arc<AtomicBool>,
    ) -> Result<Session, Error> {
        if brokers.is_empty() {
            return Err(Error::NoBrokers);
        }
        Ok(Session {
            brokers,
            topics: topics.iter().map(|(t, q)| (t.to_string(), *q)).collect(),
            backoff: Backoff::new(opts.backoff_initial, opts.backoff_max, opts.backoff_jitter),
            tls,
            opts,
            stop,
            conn: None,
            connected: None,
            retry_at: None,
            stopped: false,
        })
    }

    /// The broker currently connected, if any.
    pub fn connected_broker(&self) -> Option<&Broker> {
        self.connected.as_ref().map(|(i, _)| &self.brokers[*i])
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Runs the session until something worth reporting happens.
    pub fn poll(&mut self) -> Event<'_> {
        if self.stopped || self.stop_requested() {
            return self.stop_now();
        }
        if self.conn.is_none() {
            if let Some(at) = self.retry_at {
                // Sleep in poll-interval slices so that the stop flag is seen quickly.
                loop {
                    let now = Instant::now();
                    if now >= at {
                        break;
                    }
                    if self.stop_requested() {
                        return self.stop_now();
                    }
                    std::thread::sleep((at - now).min(self.opts.poll_interval));
                }
            }
            return match self.connect_round() {
                Ok(()) => {
                    self.retry_at = None;
                    self.backoff.reset();
                    match &self.connected {
                        Some((i, addr)) => Event::Connected {
                            broker: &self.brokers[*i],
                            address: addr,
                        },
                        None => Event::Idle,
                    }
                }
                Err(error) => {
                    let retry_in = self.backoff.next_delay();
                    self.retry_at = Some(Instant::now() + retry_in);
                    Event::ConnectFailed { error, retry_in }
                }
            };
        }
        let got = match self.conn.as_mut().map(Connection::next_incoming) {
            Some(Ok(got)) => got,
            Some(Err(e)) => {
                self.conn = None;
                self.connected = None;
                // Reconnect at once after a drop; back off only if that round fails.
                self.retry_at = None;
                return Event::Disconnected(e);
            }
            None => return Event::Idle,
        };
        match self.conn.as_mut() {
            Some(c) => match c.view(got) {
                Some(m) => Event::Message(m),
                None => Event::Idle,
            },
            None => Event::Idle,
        }
    }

    fn stop_now(&mut self) -> Event<'_> {
        self.stopped = true;
        if let Some(c) = self.conn.take() {
            c.disconnect();
        }
        self.connected = None;
        Event::Stopped
    }

    /// Tries every broker in order (host name, then IP), connects and subscribes.
    fn connect_round(&mut self) -> Result<(), Error> {
        let topics: Vec<(&str, QoS)> = self.topics.iter().map(|(t, q)| (t.as_str(), *q)).collect();
        let mut last = Error::NoBrokers;
        for (i, b) in self.brokers.iter().enumerate() {
            for addr in b.targets() {
                if self.stop.load(Ordering::Relaxed) {
                    return Err(last);
                }
                let attempt =
                    Connection::open(addr, b.port, &self.tls, &self.opts).and_then(|mut c| {
                        c.subscribe(&topics, self.opts.connect_timeout)?;
                        Ok(c)
                    });
                match attempt {
                    Ok(c) => {
                        self.connected = Some((i, c.broker().to_string()));
                        self.conn = Some(c);
                        return Ok(());
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_length_vectors() {
        // MQTT 3.1.1 §2.2.3 table boundaries.
        for (n, bytes) in [
            (0usize, vec![0x00]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (16_383, vec![0xff, 0x7f]),
            (16_384, vec![0x80, 0x80, 0x01]),
            (2_097_151, vec![0xff, 0xff, 0x7f]),
            (2_097_152, vec![0x80, 0x80, 0x80, 0x01]),
            (268_435_455, vec![0xff, 0xff, 0xff, 0x7f]),
        ] {
            let mut out = vec![0x30];
            encode_remaining_length(&mut out, n);
            assert_eq!(&out[1..], &bytes[..], "{n}");
            assert_eq!(parse_header(&out), Ok(Some((0x30, 1 + bytes.len(), n))));
            assert_eq!(parse_header(&out[..out.len() - 1]), Ok(None));
        }
        assert!(parse_header(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]).is_err());
        assert_eq!(parse_header(&[]), Ok(None));
    }

    #[test]
    fn connect_bytes() {
        let p = encode_connect("{a}", 1800);
        assert_eq!(
            p,
            [0x10, 15, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0x07, 0x08, 0, 3, b'{', b'a', b'}']
        );
    }

    #[test]
    fn subscribe_and_publish_bytes() {
        let s = encode_subscribe(7, &[("/a", QoS::AtMostOnce), ("/b", QoS::AtLeastOnce)]);
        assert_eq!(
            s,
            [0x82, 12, 0, 7, 0, 2, b'/', b'a', 0, 0, 2, b'/', b'b', 1]
        );
        let mut p = Vec::new();
        encode_publish(&mut p, "/t", b"xy", QoS::AtMostOnce, 0);
        assert_eq!(p, [0x30, 6, 0, 2, b'/', b't', b'x', b'y']);
        p.clear();
        encode_publish(&mut p, "/t", b"xy", QoS::AtLeastOnce, 0x0102);
        assert_eq!(p, [0x32, 8, 0, 2, b'/', b't', 1, 2, b'x', b'y']);
    }

    #[test]
    fn client_ids_are_braced_uuid4_and_differ() {
        let a = random_client_id();
        let b = random_client_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 38);
        assert!(a.starts_with('{') && a.ends_with('}'));
        assert_eq!(&a[15..16], "4");
    }

    fn self_signed() -> (Vec<u8>, openssl::rsa::Rsa<openssl::pkey::Private>) {
        let rsa = openssl::rsa::Rsa::generate(2048).expect("rsa");
        let key = PKey::from_rsa(rsa.clone()).expect("pkey");
        let mut name = openssl::x509::X509NameBuilder::new().expect("name");
        name.append_entry_by_text("CN", "t").expect("cn");
        let name = name.build();
        let mut b = openssl::x509::X509Builder::new().expect("builder");
        b.set_version(2).expect("v3");
        b.set_subject_name(&name).expect("subject");
        b.set_issuer_name(&name).expect("issuer");
        b.set_pubkey(&key).expect("pubkey");
        let day = |d| openssl::asn1::Asn1Time::days_from_now(d).expect("time");
        b.set_not_before(&day(0)).expect("not before");
        b.set_not_after(&day(1)).expect("not after");
        b.sign(&key, openssl::hash::MessageDigest::sha256())
            .expect("sign");
        (b.build().to_pem().expect("pem"), rsa)
    }

    #[test]
    fn pkcs1_and_pkcs8_keys_load_and_errors_do_not_echo_the_key() {
        let (cert, rsa) = self_signed();
        let pkcs1 = rsa.private_key_to_pem().expect("pkcs1");
        assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        ClientTls::from_pem(&cert, &cert, &pkcs1).expect("PKCS#1 key loads");
        let pkcs8 = PKey::from_rsa(rsa)
            .expect("pkey")
            .private_key_to_pem_pkcs8()
            .expect("pkcs8");
        ClientTls::from_pem(&cert, &cert, &pkcs8).expect("PKCS#8 key loads");
        let secret = b"-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END RSA PRIVATE KEY-----\n";
        let e = ClientTls::from_pem(&cert, &cert, secret)
            .expect_err("garbage")
            .to_string();
        assert!(!e.contains("c2VjcmV0"), "{e}");
        // A valid key that does not belong to the certificate.
        let (_, other) = self_signed();
        let other = other.private_key_to_pem().expect("pem");
        let e = ClientTls::from_pem(&cert, &cert, &other)
            .expect_err("mismatch")
            .to_string();
        assert!(e.contains("does not match"), "{e}");
        assert!(ClientTls::from_pem(b"", &cert, &pkcs8).is_err());
    }
}
