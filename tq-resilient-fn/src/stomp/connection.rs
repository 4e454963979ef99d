//! One connected STOMP 1.2 broker over TCP and TLS.
//!
//! [`Connection::open`] connects, shakes hands (TLS with the workspace's one trust policy,
//! [`tq_common::tls::TlsPolicy`]: system roots plus the configured CA file, the host name
//! checked, unless verification is off), sends CONNECT with `accept-version:1.2`,
//! `host`, `login`, `passcode` and `heart-beat`, and reads CONNECTED (an ERROR there is
//! [`Error::Refused`]). Then:
//!
//! - [`Connection::receive`] returns the next MESSAGE, or `None` after the poll interval when
//!   nothing came; it writes our heart-beats (a bare EOL) when we have been quiet for the
//!   agreed interval (at half of it, to be safe) and fails with [`Error::HeartBeatTimeout`] when the broker has been
//!   silent for twice its interval (resilient-circuits' `heart_beat_receive_scale` is 2);
//! - [`Connection::subscribe`], [`Connection::request`] and [`Connection::disconnect`] wait
//!   for a RECEIPT; MESSAGE frames that arrive meanwhile are kept for `receive`;
//! - [`Connection::ack`], [`Connection::nack`] and [`Connection::send`] write one frame.
//!
//! Reads go into one buffer that holds partial frames; writes are one `write_all` per frame.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tq_common::tls::{SslStream, StreamConnector, TlsPolicy, Trust};
use tq_common::Secret;

use super::codec::{self, Command, Decoded, Frame};
use super::Error;

/// Heart-beat intervals as offered in CONNECT (`heart-beat:<send>,<receive>`); zero = none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartBeat {
    /// How often we can send heart-beats.
    pub send: Duration,
    /// How often we want the broker's heart-beats.
    pub receive: Duration,
}

impl HeartBeat {
    /// resilient-circuits' offer: we send none, the broker every 15 s.
    pub const RESILIENT_CIRCUITS: HeartBeat = HeartBeat {
        send: Duration::ZERO,
        receive: Duration::from_secs(15),
    };

    fn header(&self) -> String {
        format!("{},{}", self.send.as_millis(), self.receive.as_millis())
    }
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host name or address of the broker (app.config `stomp_host`, else `host`).
    pub host: String,
    /// Port (app.config `stomp_port`, default 65001).
    pub port: u16,
    /// TLS: the trust policy (app.config `stomp_cafile`/`cafile`; `false` turns verification
    /// off), or `None` for plain TCP (a broker's plain STOMP port; SOAR itself has none).
    pub tls: Option<TlsPolicy>,
    /// The login: the API key id, or the user's e-mail address.
    pub login: String,
    /// The passcode: the API key secret, or the user's password.
    pub passcode: Secret,
    /// The `host` header of CONNECT (the virtual host); `None` = [`Config::host`].
    pub virtual_host: Option<String>,
    /// Heart-beats offered in CONNECT.
    pub heart_beat: HeartBeat,
    /// Limit for the TCP connect, the TLS handshake, CONNECTED and every RECEIPT.
    pub connect_timeout: Duration,
    /// How long [`Connection::receive`] waits before it returns `None`.
    pub poll_interval: Duration,
    /// Largest frame accepted.
    pub max_frame: usize,
}

impl Config {
    /// Settings with the defaults: verified TLS with the system roots ([`SYSTEM`] names the
    /// broker in TLS errors and warnings), heart-beats every 15 s both ways, 60 s connect timeout (app.config `stomp_timeout`), 250 ms poll
    /// interval, 16 MiB frames.
    pub fn new(host: &str, port: u16, login: &str, passcode: Secret) -> Config {
        Config {
            host: host.to_string(),
            port,
            tls: Some(TlsPolicy::new(SYSTEM, Trust::System { ca_file: None })),
            login: login.to_string(),
            passcode,
            virtual_host: None,
            heart_beat: HeartBeat {
                send: Duration::from_secs(15),
                receive: Duration::from_secs(15),
            },
            connect_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(250),
            max_frame: 16 * 1024 * 1024,
        }
    }

    /// `host:port`, as errors name the broker.
    pub fn broker(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Verified TLS trusting the system roots plus `ca_file` (app.config `cafile`).
    pub fn trust_ca_file(&mut self, ca_file: Option<PathBuf>) {
        self.tls = Some(TlsPolicy::new(SYSTEM, Trust::System { ca_file }));
    }

    /// TLS without verification (app.config `cafile = false`); warned once per run.
    pub fn insecure(&mut self) {
        let mut p = TlsPolicy::new(SYSTEM, Trust::System { ca_file: None });
        p.verify = false;
        self.tls = Some(p);
    }
}

/// How TLS errors and the "verification is off" warning name the broker.
pub const SYSTEM: &str = "Resilient message broker (STOMP)";

/// Acknowledgement mode of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckMode {
    /// The broker considers a message handled when it sent it.
    Auto,
    /// An ACK acknowledges that message and every earlier one.
    Client,
    /// An ACK acknowledges that message only (what resilient-circuits uses).
    ClientIndividual,
}

impl AckMode {
    fn as_str(self) -> &'static str {
        match self {
            AckMode::Auto => "auto",
            AckMode::Client => "client",
            AckMode::ClientIndividual => "client-individual",
        }
    }
}

/// A subscription as SUBSCRIBE sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The destination, e.g. `actions.201.fn_threatq` (no `/queue/` prefix, as SOAR expects).
    pub destination: String,
    /// The subscription id (resilient-circuits uses the destination name).
    pub id: String,
    /// The ack mode.
    pub ack: AckMode,
    /// `activemq.prefetchSize`: how many unacknowledged messages the broker hands out at
    /// most (app.config `stomp_prefetch_limit`).
    pub prefetch: Option<u32>,
}

impl Subscription {
    /// A subscription as resilient-circuits makes it: id = destination, client-individual
    /// acknowledgement, the given prefetch.
    pub fn client_individual(destination: &str, prefetch: u32) -> Subscription {
        Subscription {
            destination: destination.to_string(),
            id: destination.to_string(),
            ack: AckMode::ClientIndividual,
            prefetch: Some(prefetch),
        }
    }

    fn frame(&self) -> Frame {
        let mut f = Frame::new(Command::Subscribe)
            .with("destination", &self.destination)
            .with("id", &self.id)
            .with("ack", self.ack.as_str());
        if let Some(n) = self.prefetch {
            f = f.with("activemq.prefetchSize", &n.to_string());
        }
        f
    }
}

/// A MESSAGE frame with accessors for the headers of research/resilient.md §2.3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    frame: Frame,
}

impl Message {
    /// The header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.frame.header(name)
    }
    /// `destination`, e.g. `/queue/actions.201.fn_threatq` ("" when absent).
    pub fn destination(&self) -> &str {
        self.header("destination").unwrap_or("")
    }
    /// `subscription`: the id of the subscription it came through ("" when absent).
    pub fn subscription(&self) -> &str {
        self.header("subscription").unwrap_or("")
    }
    /// `message-id`: the broker's id of the message, the same on every redelivery: the
    /// deduplication key ("" when absent).
    pub fn message_id(&self) -> &str {
        self.header("message-id").unwrap_or("")
    }
    /// `ack`: what an ACK or NACK must name. It changes on every delivery; falls back to
    /// `message-id` for a broker that sends no `ack` header.
    pub fn ack_id(&self) -> &str {
        self.header("ack").unwrap_or_else(|| self.message_id())
    }
    /// `reply-to`, where replies go.
    pub fn reply_to(&self) -> Option<&str> {
        self.header("reply-to")
    }
    /// `correlation-id`, to copy into every reply (`invid:390`, unescaped).
    pub fn correlation_id(&self) -> Option<&str> {
        self.header("correlation-id")
    }
    /// `redelivered:true`. Absent on a redelivery after a broker restart: do not dedupe on it.
    pub fn redelivered(&self) -> bool {
        self.header("redelivered") == Some("true")
    }
    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.frame.body
    }
    /// The whole frame.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<SslStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// The TLS connector for `cfg` (read once; reused for every reconnect), `None` for plain
/// TCP. An unreadable CA file is [`Error::Settings`] naming it.
pub fn tls_connector(cfg: &Config) -> Result<Option<StreamConnector>, Error> {
    match &cfg.tls {
        None => Ok(None),
        Some(policy) => policy
            .connector()
            .map(Some)
            .map_err(|e| Error::Settings(e.safe_message())),
    }
}

const READ_CHUNK: usize = 64 * 1024;

/// One connected broker.
pub struct Connection {
    stream: Stream,
    broker: String,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    wbuf: Vec<u8>,
    max_frame: usize,
    poll_interval: Duration,
    connect_timeout: Duration,
    /// Our heart-beat interval, if any.
    send_every: Option<Duration>,
    /// The broker's heart-beat interval, if any.
    expect_every: Option<Duration>,
    last_sent: Instant,
    last_received: Instant,
    next_receipt: u64,
    /// MESSAGE frames that arrived while waiting for a RECEIPT.
    pending: VecDeque<Frame>,
    server: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broker", &self.broker)
            .field("server", &self.server)
            .field("send_every", &self.send_every)
            .field("expect_every", &self.expect_every)
            .finish_non_exhaustive()
    }
}

/// The negotiated interval: none if either side offers none, else the larger.
fn negotiate(ours: Duration, theirs: Duration) -> Option<Duration> {
    (!ours.is_zero() && !theirs.is_zero()).then(|| ours.max(theirs))
}

fn parse_heart_beat(v: &str) -> Option<(Duration, Duration)> {
    let (a, b) = v.split_once(',')?;
    let ms = |s: &str| s.trim().parse::<u64>().ok().map(Duration::from_millis);
    Some((ms(a)?, ms(b)?))
}

impl Connection {
    /// Connects, shakes hands and logs in; see the module docs. `connector` comes from
    /// [`tls_connector`] (built once, used for every reconnect).
    pub fn open(cfg: &Config, connector: Option<&StreamConnector>) -> Result<Connection, Error> {
        let broker = cfg.broker();
        let tcp = tq_common::tls::tcp_connect(&cfg.host, cfg.port, cfg.connect_timeout).map_err(
            |(context, source)| Error::Io {
                broker: broker.clone(),
                context,
                source,
            },
        )?;
        let stream = match (&cfg.tls, connector) {
            (None, _) => Stream::Plain(tcp),
            (Some(_), Some(c)) => {
                let s = c.connect(&cfg.host, tcp).map_err(|e| Error::Tls {
                    broker: broker.clone(),
                    message: e.safe_message(),
                })?;
                Stream::Tls(Box::new(s))
            }
            (Some(_), None) => {
                return Err(Error::Settings(
                    "TLS is on but no TLS connector was given".into(),
                ))
            }
        };
        let now = Instant::now();
        let mut c = Connection {
            stream,
            broker,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            wbuf: Vec::with_capacity(4096),
            max_frame: cfg.max_frame,
            poll_interval: cfg.poll_interval,
            connect_timeout: cfg.connect_timeout,
            send_every: None,
            expect_every: None,
            last_sent: now,
            last_received: now,
            next_receipt: 1,
            pending: VecDeque::new(),
            server: String::new(),
        };
        let host = cfg.virtual_host.as_deref().unwrap_or(&cfg.host);
        let connect = Frame::new(Command::Connect)
            .with("accept-version", "1.2")
            .with("host", host)
            .with("login", &cfg.login)
            .with("passcode", cfg.passcode.expose())
            .with("heart-beat", &cfg.heart_beat.header());
        c.write_frame(&connect, "sending CONNECT")?;
        let deadline = Instant::now() + cfg.connect_timeout;
        let answer = loop {
            match c.next_decoded(Some(deadline), "CONNECTED")? {
                Some(Decoded::Frame(f)) => break f,
                _ => continue,
            }
        };
        match answer.command {
            Command::Connected => {}
            Command::Error => {
                return Err(Error::Refused {
                    broker: c.broker.clone(),
                    login: cfg.login.clone(),
                    message: error_text(&answer),
                })
            }
            other => {
                return Err(c.protocol(format!("expected CONNECTED, got {other}")));
            }
        }
        if let Some(v) = answer.header("version") {
            if v != "1.2" {
                return Err(c.protocol(format!("the broker speaks STOMP {v}, not 1.2")));
            }
        }
        let (sx, sy) = answer
            .header("heart-beat")
            .and_then(parse_heart_beat)
            .unwrap_or((Duration::ZERO, Duration::ZERO));
        c.send_every = negotiate(cfg.heart_beat.send, sy);
        c.expect_every = negotiate(cfg.heart_beat.receive, sx);
        c.server = answer.header("server").unwrap_or("").to_string();
        c.last_received = Instant::now();
        c.apply_read_timeout()?;
        log::debug!(
            "STOMP connected to {} ({}), heart-beats: ours every {:?}, broker's every {:?}",
            c.broker,
            c.server,
            c.send_every,
            c.expect_every
        );
        Ok(c)
    }

    /// The broker, `host:port`.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    /// The CONNECTED `server` header (e.g. `ActiveMQ/5.17.2`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The negotiated heart-beats: (ours, the broker's); `None` = off.
    pub fn heart_beats(&self) -> (Option<Duration>, Option<Duration>) {
        (self.send_every, self.expect_every)
    }

    /// Changes how long [`Connection::receive`] waits before it returns `None`.
    pub fn set_poll_interval(&mut self, d: Duration) -> Result<(), Error> {
        self.poll_interval = d.max(Duration::from_millis(1));
        self.apply_read_timeout()
    }

    /// The socket read timeout: the poll interval, shortened so that heart-beats are written
    /// and checked in time.
    fn apply_read_timeout(&mut self) -> Result<(), Error> {
        let mut t = self.poll_interval;
        for every in [self.send_every, self.expect_every].into_iter().flatten() {
            t = t.min(every / 4);
        }
        let t = t.max(Duration::from_millis(1));
        self.stream
            .tcp()
            .set_read_timeout(Some(t))
            .map_err(|e| Error::Io {
                broker: self.broker.clone(),
                context: "setting the read timeout",
                source: e,
            })
    }

    fn protocol(&self, message: String) -> Error {
        Error::Protocol {
            broker: self.broker.clone(),
            message,
        }
    }

    fn write_frame(&mut self, f: &Frame, context: &'static str) -> Result<(), Error> {
        self.wbuf.clear();
        f.encode(&mut self.wbuf).map_err(|source| Error::Encode {
            broker: self.broker.clone(),
            source,
        })?;
        self.write_wbuf(context)
    }

    fn write_wbuf(&mut self, context: &'static str) -> Result<(), Error> {
        let r = self
            .stream
            .write_all(&self.wbuf)
            .and_then(|_| self.stream.flush());
        r.map_err(|e| Error::Io {
            broker: self.broker.clone(),
            context,
            source: e,
        })?;
        self.last_sent = Instant::now();
        Ok(())
    }

    /// Writes a heart-beat when we have been quiet for our interval; fails when the broker
    /// has been silent for twice its interval.
    fn heart_beat(&mut self) -> Result<(), Error> {
        if let Some(every) = self.send_every {
            // Beat at half the promised interval: a late beat costs the connection (ActiveMQ
            // allows 1.5 intervals), an early one costs one byte.
            if self.last_sent.elapsed() >= every / 2 {
                self.wbuf.clear();
                self.wbuf.push(b'\n');
                self.write_wbuf("sending a heart-beat")?;
            }
        }
        if let Some(every) = self.expect_every {
            let silent = self.last_received.elapsed();
            if silent >= every * 2 {
                return Err(Error::HeartBeatTimeout {
                    broker: self.broker.clone(),
                    silent,
                    every,
                });
            }
        }
        Ok(())
    }

    /// Reads once (up to the socket's read timeout). `Ok(false)` = nothing arrived.
    fn fill(&mut self) -> Result<bool, Error> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < self.max_frame + READ_CHUNK {
                let n = (self.buf.len() * 2).min(self.max_frame + READ_CHUNK);
                self.buf.resize(n, 0);
            }
        }
        let end = self.end;
        match self.stream.read(&mut self.buf[end..]) {
            Ok(0) => Err(Error::Closed {
                broker: self.broker.clone(),
            }),
            Ok(n) => {
                self.end += n;
                self.last_received = Instant::now();
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(Error::Io {
                broker: self.broker.clone(),
                context: "reading",
                source: e,
            }),
        }
    }

    /// The next frame or heart-beat from the buffer, reading as needed. With a deadline,
    /// waits until it (then [`Error::Timeout`]); without one, returns `None` after one read
    /// that brought nothing.
    fn next_decoded(
        &mut self,
        deadline: Option<Instant>,
        waiting_for: &'static str,
    ) -> Result<Option<Decoded>, Error> {
        loop {
            match codec::decode(&self.buf[self.start..self.end], self.max_frame) {
                Ok(Some((d, n))) => {
                    self.start += n;
                    return Ok(Some(d));
                }
                Ok(None) => {}
                Err(e) => return Err(self.protocol(e.to_string())),
            }
            let got = self.fill()?;
            self.heart_beat()?;
            if !got {
                match deadline {
                    None => return Ok(None),
                    Some(d) if Instant::now() >= d => {
                        return Err(Error::Timeout {
                            broker: self.broker.clone(),
                            waiting_for,
                            timeout: self.connect_timeout,
                        })
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// The next MESSAGE; `None` when nothing arrived within the poll interval. An ERROR frame
    /// is [`Error::Server`]; stray RECEIPTs are ignored.
    pub fn receive(&mut self) -> Result<Option<Message>, Error> {
        if let Some(frame) = self.pending.pop_front() {
            return Ok(Some(Message { frame }));
        }
        loop {
            match self.next_decoded(None, "MESSAGE")? {
                None => return Ok(None),
                Some(Decoded::HeartBeat) => continue,
                Some(Decoded::Frame(f)) => match f.command {
                    Command::Message => return Ok(Some(Message { frame: f })),
                    Command::Error => return Err(self.server_error(&f)),
                    Command::Receipt => continue,
                    other => return Err(self.protocol(format!("unexpected {other} frame"))),
                },
            }
        }
    }

    fn server_error(&self, f: &Frame) -> Error {
        Error::Server {
            broker: self.broker.clone(),
            message: error_text(f),
        }
    }

    /// Sends `frame` with a `receipt` header and waits for its RECEIPT (up to the connect
    /// timeout); MESSAGEs that arrive meanwhile are kept for [`Connection::receive`].
    pub fn request(&mut self, frame: Frame) -> Result<(), Error> {
        let id = format!("rcpt-{}", self.next_receipt);
        self.next_receipt += 1;
        let frame = frame.with("receipt", &id);
        self.write_frame(&frame, "sending a frame")?;
        let deadline = Instant::now() + self.connect_timeout;
        loop {
            let Some(Decoded::Frame(f)) = self.next_decoded(Some(deadline), "RECEIPT")? else {
                continue;
            };
            match f.command {
                Command::Receipt if f.header("receipt-id") == Some(id.as_str()) => return Ok(()),
                Command::Receipt => {}
                Command::Message => self.pending.push_back(f),
                Command::Error => return Err(self.server_error(&f)),
                other => return Err(self.protocol(format!("unexpected {other} frame"))),
            }
        }
    }

    /// SUBSCRIBE, confirmed by a RECEIPT (a refusal comes back as [`Error::Server`]).
    pub fn subscribe(&mut self, sub: &Subscription) -> Result<(), Error> {
        self.request(sub.frame())
    }

    /// ACK a message (`id:` = its `ack` header; STOMP 1.2 needs no `subscription`).
    pub fn ack(&mut self, ack_id: &str) -> Result<(), Error> {
        let f = Frame::new(Command::Ack).with("id", ack_id);
        self.write_frame(&f, "sending ACK")
    }

    /// ACK a message and wait for the broker's RECEIPT: when it returns, the broker has
    /// processed the ACK (a sync point, e.g. before a planned restart).
    pub fn ack_confirmed(&mut self, ack_id: &str) -> Result<(), Error> {
        self.request(Frame::new(Command::Ack).with("id", ack_id))
    }

    /// NACK a message (ActiveMQ moves it to its dead-letter queue).
    pub fn nack(&mut self, ack_id: &str) -> Result<(), Error> {
        let f = Frame::new(Command::Nack).with("id", ack_id);
        self.write_frame(&f, "sending NACK")
    }

    /// SEND `body` to `destination` with `headers` (e.g. `correlation-id`,
    /// `persistent:true`); `content-length` is added.
    pub fn send(
        &mut self,
        destination: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), Error> {
        let mut f = Frame::new(Command::Send).with("destination", destination);
        for (k, v) in headers {
            f = f.with(k, v);
        }
        f.body = body.to_vec();
        self.write_frame(&f, "sending SEND")
    }

    /// DISCONNECT with a receipt, then close. Messages not acknowledged go back to the
    /// queue for redelivery.
    pub fn disconnect(mut self) -> Result<(), Error> {
        self.request(Frame::new(Command::Disconnect))
    }
}

/// The `message` header of an ERROR frame, with the start of its body when there is one.
fn error_text(f: &Frame) -> String {
    let mut m = f.header("message").unwrap_or("").to_string();
    let body = String::from_utf8_lossy(&f.body);
    let body = body.trim();
    if !body.is_empty() && !m.contains(body) {
        let short: String = body.chars().take(200).collect();
        if !m.is_empty() {
            m.push_str(": ");
        }
        m.push_str(&short);
    }
    if m.is_empty() {
        m = "(no message)".into();
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heart_beats_negotiate_as_the_specification_says() {
        let s = Duration::from_secs;
        assert_eq!(negotiate(s(0), s(15)), None);
        assert_eq!(negotiate(s(10), s(0)), None);
        assert_eq!(negotiate(s(10), s(15)), Some(s(15)));
        assert_eq!(negotiate(s(20), s(15)), Some(s(20)));
        assert_eq!(
            parse_heart_beat("15000,0"),
            Some((Duration::from_millis(15000), Duration::ZERO))
        );
        assert_eq!(parse_heart_beat("x,1"), None);
        assert_eq!(HeartBeat::RESILIENT_CIRCUITS.header(), "0,15000");
    }

    #[test]
    fn error_text_takes_message_and_body() {
        let f = Frame::new(Command::Error)
            .with("message", "User name [x] or password is invalid.")
            .with_body(&b"details here"[..]);
        assert_eq!(
            error_text(&f),
            "User name [x] or password is invalid.: details here"
        );
        assert_eq!(error_text(&Frame::new(Command::Error)), "(no message)");
    }

    #[test]
    fn message_accessors() {
        let f = Frame::new(Command::Message)
            .with("message-id", "ID:a:1")
            .with("ack", "ID:b:7")
            .with("correlation-id", "invid:390")
            .with("reply-to", "/queue/acks.201.fn_threatq")
            .with("redelivered", "true");
        let m = Message { frame: f };
        assert_eq!(m.message_id(), "ID:a:1");
        assert_eq!(m.ack_id(), "ID:b:7");
        assert_eq!(m.correlation_id(), Some("invid:390"));
        assert!(m.redelivered());
        let no_ack = Message {
            frame: Frame::new(Command::Message).with("message-id", "ID:a:2"),
        };
        assert_eq!(no_ack.ack_id(), "ID:a:2");
        assert!(!no_ack.redelivered());
    }

    #[test]
    fn bad_ca_file_is_a_settings_error_naming_it() {
        let mut cfg = Config::new("localhost", 65001, "a@b.c", Secret::new("x"));
        cfg.trust_ca_file(Some("/nonexistent/ca.pem".into()));
        let e = tls_connector(&cfg).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        assert!(e.is_fatal());
    }
}
