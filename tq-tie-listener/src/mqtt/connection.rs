//! One connected broker: TCP, TLS (tq_common::tls), CONNECT/CONNACK, SUBSCRIBE/SUBACK,
//! receiving PUBLISH (with PUBACK for QoS 1), keep-alive, sending QoS 0 PUBLISH, DISCONNECT.
//!
//! Reads go into one growable buffer that also holds partial packets; a received PUBLISH is
//! handed out as slices of that buffer, so receiving allocates nothing per message. The
//! keep-alive is driven by the socket read timeout (the poll interval): a PINGREQ goes out
//! when nothing was sent for the keep-alive period, and the connection is given up when the
//! PINGRESP does not come within the same time.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::ops::Range;
use std::time::{Duration, Instant};

use tq_common::tls::{SslStream, StreamConnector};

use super::codec::{self, Inbound, QoS, RawPacket, Split};
use super::Error;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The MQTT client id. Every process needs its own (plain brokers kick a duplicate).
    pub client_id: String,
    /// MQTT keep-alive: a PINGREQ is sent when nothing was sent for this long, and the
    /// connection is given up when the PINGRESP does not come within the same time.
    pub keep_alive: Duration,
    /// Limit for the TCP connect, the TLS handshake, CONNACK and SUBACK.
    pub connect_timeout: Duration,
    /// Socket read timeout: how often an idle connection wakes up (keep-alive, stop flag).
    pub poll_interval: Duration,
    /// Largest packet accepted (the OpenDXL broker limits messages to 1 MiB).
    pub max_packet: usize,
}

impl Options {
    /// Keep-alive 60 s, connect timeout 10 s, poll interval 250 ms, packets up to 16 MiB.
    pub fn new(client_id: impl Into<String>) -> Options {
        Options {
            client_id: client_id.into(),
            keep_alive: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(250),
            max_packet: 16 * 1024 * 1024,
        }
    }
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

/// A PUBLISH in the read buffer (absolute ranges), or one kept aside.
enum Incoming {
    Publish {
        topic: Range<usize>,
        payload: Range<usize>,
        qos: QoS,
        retain: bool,
        dup: bool,
    },
    /// A PUBLISH that arrived while waiting for a SUBACK.
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

/// What a control packet asks of the connection (owned, so the read buffer is free again).
enum Control {
    PingResp,
    /// Our publishes are QoS 0: a stray PUBACK is harmless.
    Ignore,
    Unexpected(&'static str),
}

impl Control {
    fn of(p: &Inbound<'_>) -> Control {
        match p {
            Inbound::PingResp => Control::PingResp,
            Inbound::PubAck { .. } => Control::Ignore,
            Inbound::ConnAck { .. } => Control::Unexpected("CONNACK"),
            Inbound::SubAck { .. } => Control::Unexpected("SUBACK"),
            Inbound::Publish(_) => Control::Unexpected("PUBLISH"),
        }
    }
}

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
        tls: &StreamConnector,
        opts: &Options,
    ) -> Result<Connection, Error> {
        let broker = format!("{addr}:{port}");
        let io_err = |context, source| Error::Io {
            broker: broker.clone(),
            context,
            source,
        };
        let tcp = tq_common::tls::tcp_connect(addr, port, opts.connect_timeout)
            .map_err(|(context, source)| io_err(context, source))?;
        let stream = tls.connect(addr, tcp).map_err(|e| Error::Tls {
            broker: broker.clone(),
            message: match e {
                tq_common::Error::Remote { message, .. } => message,
                other => other.to_string(),
            },
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
        c.send(
            &codec::encode_connect(&opts.client_id, keep_alive),
            "sending CONNECT",
        )?;
        let deadline = Instant::now() + opts.connect_timeout;
        let p = c.wait_packet(deadline, "CONNACK")?;
        let code = match c.decode(&p)? {
            Inbound::ConnAck { code } => code,
            _ => return Err(c.protocol(format!("expected CONNACK, got packet type {}", p.kind))),
        };
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

    /// The configured poll interval.
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    fn protocol(&self, message: String) -> Error {
        Error::Protocol {
            broker: self.broker.clone(),
            message,
        }
    }

    fn decode(&self, p: &RawPacket) -> Result<Inbound<'_>, Error> {
        codec::decode_inbound(p.kind, p.flags, &self.buf[p.body.clone()])
            .map_err(|e| self.protocol(e.0))
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
        self.send(&codec::encode_subscribe(pid, topics), "sending SUBSCRIBE")?;
        let deadline = Instant::now() + timeout;
        loop {
            let p = self.wait_packet(deadline, "SUBACK")?;
            match self.decode(&p)? {
                Inbound::SubAck { packet_id, codes } => {
                    if packet_id != pid {
                        return Err(self.protocol("SUBACK for another packet id".into()));
                    }
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
                Inbound::Publish(_) => {
                    if let Incoming::Publish {
                        topic,
                        payload,
                        qos,
                        retain,
                        dup,
                    } = self.take_publish(p)?
                    {
                        let m = OwnedMessage {
                            topic: String::from_utf8_lossy(&self.buf[topic]).into_owned(),
                            payload: self.buf[payload].to_vec(),
                            qos,
                            retain,
                            dup,
                        };
                        self.queued.push_back(m);
                    }
                }
                other => {
                    let c = Control::of(&other);
                    self.control(c)?
                }
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
                // The topic was checked to be UTF-8 when the packet was decoded.
                topic: std::str::from_utf8(&self.buf[topic]).unwrap_or(""),
                payload: &self.buf[payload],
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
                Some(p) if p.kind == codec::PUBLISH => return self.take_publish(p),
                Some(p) => {
                    let c = Control::of(&self.decode(&p)?);
                    self.control(c)?;
                }
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
            self.send(&codec::PINGREQ_PACKET, "sending PINGREQ")?;
            self.ping_sent = Some(Instant::now());
        }
        Ok(())
    }

    /// A control packet outside CONNECT and SUBSCRIBE.
    fn control(&mut self, c: Control) -> Result<(), Error> {
        match c {
            Control::PingResp => {
                self.ping_sent = None;
                Ok(())
            }
            Control::Ignore => Ok(()),
            Control::Unexpected(what) => Err(self.protocol(format!("unexpected {what}"))),
        }
    }

    /// Decodes the PUBLISH `p` (in the read buffer) and acknowledges it if it is QoS 1.
    fn take_publish(&mut self, p: RawPacket) -> Result<Incoming, Error> {
        let body = p.body.start;
        let m = codec::decode_publish(p.flags, &self.buf[p.body.clone()])
            .map_err(|e| self.protocol(e.0))?;
        if let Some(pid) = m.packet_id {
            self.send(&codec::encode_puback(pid), "sending PUBACK")?;
        }
        Ok(Incoming::Publish {
            topic: body + m.topic.start..body + m.topic.end,
            payload: body + m.payload.start..body + m.payload.end,
            qos: m.qos,
            retain: m.retain,
            dup: m.dup,
        })
    }

    /// Takes one complete packet from the buffer (its body range is absolute).
    fn try_packet(&mut self) -> Result<Option<RawPacket>, Error> {
        let split = codec::split(&self.buf[self.start..self.end], self.max_packet)
            .map_err(|e| self.protocol(e.0))?;
        match split {
            Split::Need { total } => {
                // Make room for the whole packet.
                if self.start + total > self.buf.len() {
                    self.compact();
                    if total > self.buf.len() {
                        self.buf.resize(total.max(self.buf.len() * 2), 0);
                    }
                }
                Ok(None)
            }
            Split::Packet(mut p) => {
                let total = p.body.end;
                p.body = self.start + p.body.start..self.start + p.body.end;
                self.start += total;
                if self.start == self.end {
                    self.start = 0;
                    self.end = 0;
                }
                Ok(Some(p))
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
        codec::encode_publish(&mut self.write_buf, topic, payload, QoS::AtMostOnce, 0);
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
        let _ = self.send(&codec::DISCONNECT_PACKET, "sending DISCONNECT");
        let _ = self.stream.shutdown();
        let _ = self.stream.get_ref().shutdown(std::net::Shutdown::Both);
    }
}
