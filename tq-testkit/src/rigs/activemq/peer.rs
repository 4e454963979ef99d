//! The SOAR side of a message destination, as research/resilient.md §6 and §8.3 describe it:
//! a STOMP client on the broker's plain port, logged in as the SOAR user, that puts action
//! messages on `/queue/actions.<org>.<name>` with the headers of §2.3 and reads the replies
//! from `/queue/acks.<org>.<name>`.
//!
//! Its STOMP is written here, small and independent of the client under test (tq-resilient-fn's
//! `stomp` module), so a bug in one is not mirrored by the other: frames with `content-length`,
//! header values escaped (`\\`, `\n`, `\r`, `\c`) on both ways.
//!
//! ```no_run
//! use tq_testkit::rigs::activemq::{ActiveMq, ActionMessage};
//! let broker = ActiveMq::shared();
//! let (dest, mut soar) = broker.soar_on_new("fn_threatq");
//! let msg = ActionMessage::sample_rule("artifact", 390);
//! soar.send(&msg);
//! // ... run the app subscribed to dest.actions() ...
//! let replies = soar.collect(&[msg.correlation_id()], std::time::Duration::from_secs(10));
//! assert!(replies.complete(msg.correlation_id()).is_some());
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{ActiveMq, Destination};
use crate::resilient::samples;

/// One STOMP frame, header values unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PeerFrame {
    /// `MESSAGE`, `RECEIPT`, `ERROR`, ...
    command: String,
    /// Headers in order as received.
    headers: Vec<(String, String)>,
    /// The body.
    body: Vec<u8>,
}

impl PeerFrame {
    /// The first header named `name` (STOMP 1.2: the first occurrence wins).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An action message as SOAR sends it (body and headers; the destination and `reply-to`
/// are added by [`Soar::send`]).
#[derive(Debug, Clone)]
pub struct ActionMessage {
    /// The JSON body (or anything else, for malformed-message tests).
    pub body: Vec<u8>,
    /// Headers besides `destination`, `reply-to` and `content-length`.
    pub headers: Vec<(String, String)>,
}

/// A context token shaped like SOAR's (`header.payload.signature`, research §2.3).
const CONTEXT_TOKEN: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJhY3Rpb25zIjpbMjJdLCJleHBpcmF0aW9uRGF0ZSI6MTYwMDA4NjQwMDAwMH0.sig";

impl ActionMessage {
    fn new(body: Vec<u8>, payload: &str, correlation_id: String) -> ActionMessage {
        ActionMessage {
            body,
            headers: vec![
                ("correlation-id".into(), correlation_id),
                ("Co3ContextToken".into(), CONTEXT_TOKEN.into()),
                ("Co3MessagePayload".into(), payload.into()),
                ("Co3ContentType".into(), "application/json".into()),
                ("Co3RemoteAddr".into(), "127.0.0.1".into()),
                ("persistent".into(), "true".into()),
            ],
        }
    }

    /// A rule (ActionDataDTO) with correlation id `invid:<invocation_id>`.
    pub fn rule(body: &Value, invocation_id: u64) -> ActionMessage {
        ActionMessage::new(
            body.to_string().into_bytes(),
            "ActionDataDTO",
            format!("invid:{invocation_id}"),
        )
    }

    /// A function call (FunctionDataDTO) with correlation id `invid:<invocation_id>`.
    pub fn function(body: &Value, invocation_id: u64) -> ActionMessage {
        ActionMessage::new(
            body.to_string().into_bytes(),
            "FunctionDataDTO",
            format!("invid:{invocation_id}"),
        )
    }

    /// The rule sample `samples/resilient-action-<kind>.json` (`incident`, `artifact`,
    /// `note`, `task`, `attachment`) as a message.
    pub fn sample_rule(kind: &str, invocation_id: u64) -> ActionMessage {
        ActionMessage::rule(&samples::action(kind), invocation_id)
    }

    /// One [`sample_rule`](Self::sample_rule) of `kind` per invocation id: `sample_rules("note",
    /// 1..=3)` is three note rules with the correlation ids `invid:1` to `invid:3`.
    pub fn sample_rules(
        kind: &str,
        invocation_ids: impl IntoIterator<Item = u64>,
    ) -> Vec<ActionMessage> {
        let body = samples::action(kind);
        invocation_ids
            .into_iter()
            .map(|id| ActionMessage::rule(&body, id))
            .collect()
    }

    /// The function sample `samples/resilient-function-message.json` as a message.
    pub fn sample_function(invocation_id: u64) -> ActionMessage {
        ActionMessage::function(&samples::function_message(), invocation_id)
    }

    /// A message with this raw body and the rule headers (malformed-input tests).
    pub fn raw_rule(body: &[u8], invocation_id: u64) -> ActionMessage {
        ActionMessage::new(
            body.to_vec(),
            "ActionDataDTO",
            format!("invid:{invocation_id}"),
        )
    }

    /// Sets (replaces) a header.
    pub fn with_header(mut self, name: &str, value: &str) -> ActionMessage {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Removes a header.
    pub fn without_header(mut self, name: &str) -> ActionMessage {
        self.headers.retain(|(k, _)| k != name);
        self
    }

    /// The `correlation-id` header (empty when removed).
    pub fn correlation_id(&self) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == "correlation-id")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A reply read from the acks queue.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The frame's headers (`correlation-id`, `persistent`, `message-id`, ...).
    pub headers: Vec<(String, String)>,
    /// The body bytes as sent.
    pub raw: Vec<u8>,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub json: Value,
}

impl Reply {
    /// The first header named `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The `correlation-id` header ("" when absent).
    pub fn correlation_id(&self) -> &str {
        self.header("correlation-id").unwrap_or("")
    }
    /// `complete` of the body (false when absent).
    pub fn complete(&self) -> bool {
        self.json["complete"].as_bool().unwrap_or(false)
    }
    /// `message_type` of the body (0 info, 1 error; -1 when absent).
    pub fn message_type(&self) -> i64 {
        self.json["message_type"].as_i64().unwrap_or(-1)
    }
    /// `message` of the body ("" when absent).
    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
}

/// Replies grouped by correlation id, in arrival order.
#[derive(Debug, Default, Clone)]
pub struct Replies {
    by_id: BTreeMap<String, Vec<Reply>>,
    expected: Vec<String>,
}

impl Replies {
    /// Every reply for `correlation_id`, in order.
    pub fn all(&self, correlation_id: &str) -> &[Reply] {
        self.by_id.get(correlation_id).map_or(&[], Vec::as_slice)
    }
    /// The first reply with `complete: true` for `correlation_id`.
    pub fn complete(&self, correlation_id: &str) -> Option<&Reply> {
        self.all(correlation_id).iter().find(|r| r.complete())
    }
    /// The expected ids that have no complete reply.
    pub fn missing(&self) -> Vec<String> {
        self.expected
            .iter()
            .filter(|id| self.complete(id).is_none())
            .cloned()
            .collect()
    }
    /// How many complete replies arrived per id (to find duplicates).
    pub fn complete_counts(&self) -> BTreeMap<String, usize> {
        self.by_id
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().filter(|r| r.complete()).count()))
            .collect()
    }
    /// Every correlation id that got any reply.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }
}

/// A message browsed on a queue (not consumed).
#[derive(Debug, Clone)]
pub struct Browsed {
    /// The frame's headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The SOAR side of one destination: sends actions, reads replies.
pub struct Soar {
    conn: PeerConn,
    dest: Destination,
    port: u16,
    login: (String, String),
    /// Replies read while waiting for something else.
    pending: VecDeque<Reply>,
}

impl Soar {
    /// Connects to `broker`'s plain port as the SOAR user and subscribes to the acks queue of
    /// `dest` (auto ack). Panics when the broker refuses (tests cannot go on).
    pub fn connect(broker: &ActiveMq, dest: &Destination) -> Soar {
        let (user, pw) = broker.soar_credentials();
        let mut conn = PeerConn::open(broker.plain_port(), user, pw)
            .unwrap_or_else(|e| panic!("SOAR side: {e}"));
        conn.request(
            "SUBSCRIBE",
            &[
                ("destination", dest.reply_to().as_str()),
                ("id", "acks"),
                ("ack", "auto"),
            ],
            b"",
        )
        .unwrap_or_else(|e| panic!("SOAR side: subscribe to {}: {e}", dest.reply_to()));
        Soar {
            conn,
            dest: dest.clone(),
            port: broker.plain_port(),
            login: (user.to_string(), pw.to_string()),
            pending: VecDeque::new(),
        }
    }

    /// The destination this side serves.
    pub fn destination(&self) -> &Destination {
        &self.dest
    }

    fn send_frame(&mut self, msg: &ActionMessage, receipt: bool) {
        let dest = format!("/queue/{}", self.dest.actions());
        let reply_to = self.dest.reply_to();
        let mut h: Vec<(&str, &str)> = vec![("destination", &dest), ("reply-to", &reply_to)];
        h.extend(msg.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let r = if receipt {
            self.conn.request("SEND", &h, &msg.body)
        } else {
            self.conn.write_frame("SEND", &h, &msg.body)
        };
        if let Err(e) = r {
            panic!("SOAR side: send to {dest}: {e}");
        }
    }

    /// Puts one action message on the destination and waits for the broker's receipt.
    pub fn send(&mut self, msg: &ActionMessage) {
        self.send_frame(msg, true);
        self.stash_replies();
    }

    /// Puts many messages on the destination; only the last one waits for a receipt (the
    /// broker handles a connection's frames in order, so all are queued when it comes).
    pub fn send_all(&mut self, msgs: &[ActionMessage]) {
        for (i, m) in msgs.iter().enumerate() {
            self.send_frame(m, i + 1 == msgs.len());
        }
        self.stash_replies();
    }

    /// Moves replies that arrived during a request into the pending queue.
    fn stash_replies(&mut self) {
        for f in self.conn.take_unsolicited() {
            self.pending.push_back(to_reply(f));
        }
    }

    /// The next reply, waiting at most `timeout`.
    pub fn next_reply(&mut self, timeout: Duration) -> Option<Reply> {
        if let Some(r) = self.pending.pop_front() {
            return Some(r);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match self.conn.next_frame(left) {
                Ok(Some(f)) if f.command == "MESSAGE" => return Some(to_reply(f)),
                Ok(Some(f)) if f.command == "ERROR" => {
                    panic!("SOAR side: broker sent ERROR: {:?}", f.header("message"))
                }
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(e) => panic!("SOAR side: reading replies: {e}"),
            }
        }
    }

    /// Reads replies until every id in `correlation_ids` has a complete one, or `timeout`
    /// passes; then keeps reading for `settle` more (to catch duplicates) — see
    /// [`Soar::collect_settled`]. Returns everything read.
    pub fn collect(&mut self, correlation_ids: &[&str], timeout: Duration) -> Replies {
        self.collect_settled(correlation_ids, timeout, Duration::ZERO)
    }

    /// Like [`Soar::collect`], then reads `settle` longer: extra replies (duplicates) show
    /// up in [`Replies::complete_counts`].
    pub fn collect_settled(
        &mut self,
        correlation_ids: &[&str],
        timeout: Duration,
        settle: Duration,
    ) -> Replies {
        let mut out = Replies {
            by_id: BTreeMap::new(),
            expected: correlation_ids.iter().map(|s| s.to_string()).collect(),
        };
        let mut waiting: std::collections::HashSet<&str> =
            correlation_ids.iter().copied().collect();
        let deadline = Instant::now() + timeout;
        while !waiting.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(r) = self.next_reply(left) else {
                break;
            };
            if r.complete() {
                waiting.remove(r.correlation_id());
            }
            out.by_id
                .entry(r.correlation_id().to_string())
                .or_default()
                .push(r);
        }
        let until = Instant::now() + settle;
        while let Some(r) = self.next_reply(until.saturating_duration_since(Instant::now())) {
            out.by_id
                .entry(r.correlation_id().to_string())
                .or_default()
                .push(r);
        }
        out
    }

    /// The messages waiting on the actions queue, browsed (not consumed) over a second
    /// connection (ActiveMQ's `browser:true` subscription).
    pub fn waiting_actions(&self) -> Vec<Browsed> {
        self.browse(&format!("/queue/{}", self.dest.actions()))
    }

    /// Browses any queue (e.g. `/queue/ActiveMQ.DLQ` for NACKed messages).
    pub fn browse(&self, queue: &str) -> Vec<Browsed> {
        let mut c = PeerConn::open(self.port, &self.login.0, &self.login.1)
            .unwrap_or_else(|e| panic!("SOAR side: browse {queue}: {e}"));
        c.request(
            "SUBSCRIBE",
            &[
                ("destination", queue),
                ("id", "browse"),
                ("ack", "auto"),
                ("browser", "true"),
            ],
            b"",
        )
        .unwrap_or_else(|e| panic!("SOAR side: browse {queue}: {e}"));
        let mut out = Vec::new();
        let mut frames: VecDeque<PeerFrame> = c.take_unsolicited().into();
        loop {
            let f = match frames.pop_front() {
                Some(f) => f,
                None => match c.next_frame(Duration::from_secs(10)) {
                    Ok(Some(f)) => f,
                    Ok(None) => panic!("SOAR side: browse {queue}: no end of browse in 10 s"),
                    Err(e) => panic!("SOAR side: browse {queue}: {e}"),
                },
            };
            if f.command != "MESSAGE" {
                continue;
            }
            if f.header("browser") == Some("end") {
                break;
            }
            out.push(Browsed {
                headers: f.headers,
                body: f.body,
            });
        }
        let _ = c.write_frame("DISCONNECT", &[], b"");
        out
    }
}

fn to_reply(f: PeerFrame) -> Reply {
    let json = serde_json::from_slice(&f.body).unwrap_or(Value::Null);
    Reply {
        headers: f.headers,
        raw: f.body,
        json,
    }
}

/// A blocking STOMP 1.2 connection on the plain port.
struct PeerConn {
    stream: TcpStream,
    buf: Vec<u8>,
    next_receipt: u64,
    /// MESSAGE frames read while waiting for a RECEIPT.
    unsolicited: Vec<PeerFrame>,
}

impl PeerConn {
    fn open(port: u16, login: &str, passcode: &str) -> Result<PeerConn, String> {
        let stream =
            TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut c = PeerConn {
            stream,
            buf: Vec::new(),
            next_receipt: 1,
            unsolicited: Vec::new(),
        };
        // CONNECT values are not escaped (STOMP 1.2).
        let connect = format!(
            "CONNECT\naccept-version:1.2\nhost:localhost\nlogin:{login}\npasscode:{passcode}\nheart-beat:0,0\n\n\0"
        );
        c.stream
            .write_all(connect.as_bytes())
            .map_err(|e| format!("send CONNECT: {e}"))?;
        match c.next_frame(Duration::from_secs(10))? {
            Some(f) if f.command == "CONNECTED" => Ok(c),
            Some(f) => Err(format!(
                "CONNECT answered {}: {:?}",
                f.command,
                f.header("message")
            )),
            None => Err("no CONNECTED in 10 s".into()),
        }
    }

    fn write_frame(
        &mut self,
        command: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), String> {
        let mut out = Vec::with_capacity(body.len() + 256);
        out.extend_from_slice(command.as_bytes());
        out.push(b'\n');
        for (k, v) in headers {
            out.extend_from_slice(escape(k).as_bytes());
            out.push(b':');
            out.extend_from_slice(escape(v).as_bytes());
            out.push(b'\n');
        }
        if !body.is_empty() {
            out.extend_from_slice(format!("content-length:{}\n", body.len()).as_bytes());
        }
        out.push(b'\n');
        out.extend_from_slice(body);
        out.push(0);
        self.stream
            .write_all(&out)
            .map_err(|e| format!("send {command}: {e}"))
    }

    /// Sends a frame with a `receipt` header and waits for the RECEIPT (an ERROR fails).
    fn request(
        &mut self,
        command: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), String> {
        let id = format!("peer-{}", self.next_receipt);
        self.next_receipt += 1;
        let mut h = headers.to_vec();
        h.push(("receipt", &id));
        self.write_frame(command, &h, body)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_frame(left)? {
                None => return Err(format!("no RECEIPT for {command} in 10 s")),
                Some(f) if f.command == "RECEIPT" && f.header("receipt-id") == Some(&id) => {
                    return Ok(())
                }
                Some(f) if f.command == "ERROR" => {
                    return Err(format!(
                        "{command} answered ERROR: {:?}",
                        f.header("message")
                    ))
                }
                Some(f) => self.unsolicited.push(f),
            }
        }
    }

    fn take_unsolicited(&mut self) -> Vec<PeerFrame> {
        std::mem::take(&mut self.unsolicited)
            .into_iter()
            .filter(|f| f.command == "MESSAGE")
            .collect()
    }

    /// The next frame, or `None` when nothing complete arrived within `timeout`.
    fn next_frame(&mut self, timeout: Duration) -> Result<Option<PeerFrame>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(f) = parse(&mut self.buf)? {
                return Ok(Some(f));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .map_err(|e| e.to_string())?;
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err("broker closed the connection".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }
}

impl Drop for PeerConn {
    fn drop(&mut self) {
        let _ = self.write_frame("DISCONNECT", &[], b"");
    }
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            ':' => o.push_str("\\c"),
            c => o.push(c),
        }
    }
    o
}

fn unescape(s: &str) -> Result<String, String> {
    let mut o = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            o.push(c);
            continue;
        }
        match it.next() {
            Some('\\') => o.push('\\'),
            Some('n') => o.push('\n'),
            Some('r') => o.push('\r'),
            Some('c') => o.push(':'),
            other => return Err(format!("bad escape \\{other:?} in header {s:?}")),
        }
    }
    Ok(o)
}

/// Takes one complete frame off the front of `buf` (heart-beat EOLs skipped).
fn parse(buf: &mut Vec<u8>) -> Result<Option<PeerFrame>, String> {
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    buf.drain(..skip);
    // The head ends at the first blank line, LF or CRLF, whichever comes first.
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let Some(head_end) = [lf, crlf].into_iter().flatten().min() else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let command = lines
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string();
    let mut headers = Vec::new();
    for l in lines {
        let l = l.trim_end_matches('\r');
        if l.is_empty() {
            continue;
        }
        let (k, v) = l
            .split_once(':')
            .ok_or_else(|| format!("header line without ':': {l:?}"))?;
        // CONNECTED values are not escaped.
        if command == "CONNECTED" {
            headers.push((k.to_string(), v.to_string()));
        } else {
            headers.push((unescape(k)?, unescape(v)?));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let body_end = match len {
        Some(n) => {
            if buf.len() < head_end + n + 1 {
                return Ok(None);
            }
            if buf[head_end + n] != 0 {
                return Err("frame body not followed by NUL".into());
            }
            head_end + n
        }
        None => match buf[head_end..].iter().position(|&b| b == 0) {
            Some(p) => head_end + p,
            None => return Ok(None),
        },
    };
    let body = buf[head_end..body_end].to_vec();
    buf.drain(..=body_end);
    Ok(Some(PeerFrame {
        command,
        headers,
        body,
    }))
}
