//! STOMP 1.2 frames as bytes, with no I/O: [`Frame::encode`] and [`decode`].
//!
//! The rules of the STOMP 1.2 specification that matter here (research/resilient.md §2.3, §8.3):
//!
//! - a frame is `COMMAND EOL (name:value EOL)* EOL body NUL`, EOL being `\n` or `\r\n`;
//! - header names and values are escaped in every frame but CONNECT, STOMP and CONNECTED:
//!   `\\` for a backslash, `\n` for LF, `\r` for CR, `\c` for a colon; any other escape is a
//!   protocol error. ActiveMQ's ids (`ID:host-1:2:3`) arrive as `ID\chost-1\c2\c3` and must
//!   go back the same way in ACK, or the broker cannot match them;
//! - the first of repeated headers wins;
//! - a `content-length` header gives the body's length (the body may then hold NUL bytes);
//!   without it the body ends at the first NUL;
//! - between frames, a lone EOL is a heart-beat ([`Decoded::HeartBeat`]); ActiveMQ also writes
//!   an EOL after every frame's NUL.

use std::fmt;

/// A STOMP 1.2 command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Client: open a session.
    Connect,
    /// Client: open a session (the 1.2 synonym of CONNECT).
    Stomp,
    /// Server: the session is open.
    Connected,
    /// Client: put a message on a destination.
    Send,
    /// Client: receive from a destination.
    Subscribe,
    /// Client: stop receiving.
    Unsubscribe,
    /// Client: a message was handled.
    Ack,
    /// Client: a message was not handled.
    Nack,
    /// Client: start a transaction.
    Begin,
    /// Client: commit a transaction.
    Commit,
    /// Client: abort a transaction.
    Abort,
    /// Client: end the session.
    Disconnect,
    /// Server: a message of a subscription.
    Message,
    /// Server: a frame with a `receipt` header was processed.
    Receipt,
    /// Server: something went wrong (the server usually closes the connection after it).
    Error,
}

impl Command {
    /// Every command.
    pub const ALL: [Command; 15] = [
        Command::Connect,
        Command::Stomp,
        Command::Connected,
        Command::Send,
        Command::Subscribe,
        Command::Unsubscribe,
        Command::Ack,
        Command::Nack,
        Command::Begin,
        Command::Commit,
        Command::Abort,
        Command::Disconnect,
        Command::Message,
        Command::Receipt,
        Command::Error,
    ];

    /// The command as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Connect => "CONNECT",
            Command::Stomp => "STOMP",
            Command::Connected => "CONNECTED",
            Command::Send => "SEND",
            Command::Subscribe => "SUBSCRIBE",
            Command::Unsubscribe => "UNSUBSCRIBE",
            Command::Ack => "ACK",
            Command::Nack => "NACK",
            Command::Begin => "BEGIN",
            Command::Commit => "COMMIT",
            Command::Abort => "ABORT",
            Command::Disconnect => "DISCONNECT",
            Command::Message => "MESSAGE",
            Command::Receipt => "RECEIPT",
            Command::Error => "ERROR",
        }
    }

    /// The command these bytes name, if any (case-sensitive, as the specification says).
    pub fn parse(b: &[u8]) -> Option<Command> {
        Command::ALL
            .into_iter()
            .find(|c| c.as_str().as_bytes() == b)
    }

    /// Whether header names and values of this command are escaped (all but CONNECT, STOMP
    /// and CONNECTED).
    pub fn escapes_headers(self) -> bool {
        !matches!(self, Command::Connect | Command::Stomp | Command::Connected)
    }

    /// Whether the encoder writes a `content-length` header (frames that carry a body).
    fn carries_body(self) -> bool {
        matches!(self, Command::Send | Command::Message | Command::Error)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One frame: command, headers in order (unescaped), body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The command.
    pub command: Command,
    /// The headers in order, names and values unescaped. Repeated names are kept; the first
    /// one counts ([`Frame::header`]).
    pub headers: Vec<(String, String)>,
    /// The body (empty for most commands).
    pub body: Vec<u8>,
}

/// Why a frame could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A header of a CONNECT/STOMP/CONNECTED frame (which cannot be escaped) holds a line
    /// break or NUL, or its name holds a colon. The value is not repeated (it may be a
    /// password).
    Unescapable {
        /// The command.
        command: Command,
        /// The header's name.
        header: String,
    },
    /// A header value holds a NUL byte.
    Nul {
        /// The header's name.
        header: String,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Unescapable { command, header } => write!(
                f,
                "the {header} header of {command} holds a line break, a NUL or (in its name) a \
                 colon, which {command} cannot carry"
            ),
            EncodeError::Nul { header } => write!(f, "the {header} header holds a NUL byte"),
        }
    }
}

impl std::error::Error for EncodeError {}

impl Frame {
    /// A frame with no headers and no body.
    pub fn new(command: Command) -> Frame {
        Frame {
            command,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header (builder style; repeated names are kept in order).
    pub fn with(mut self, name: &str, value: &str) -> Frame {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Frame {
        self.body = body.into();
        self
    }

    /// The value of the first header named `name` (STOMP 1.2: the first occurrence counts).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Appends the frame's bytes to `out`: command, headers (escaped unless CONNECT, STOMP or
    /// CONNECTED), `content-length` for SEND, MESSAGE and ERROR (computed; a `content-length`
    /// among the headers is replaced), a blank line, the body, NUL.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let r = self.encode_inner(out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_inner(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let escape = self.command.escapes_headers();
        let with_length = self.command.carries_body() || !self.body.is_empty();
        out.reserve(self.body.len() + 32 * (self.headers.len() + 2));
        out.extend_from_slice(self.command.as_str().as_bytes());
        out.push(b'\n');
        for (name, value) in &self.headers {
            if with_length && name == "content-length" {
                continue;
            }
            if name.contains('\0') || value.contains('\0') {
                return Err(EncodeError::Nul {
                    header: name.clone(),
                });
            }
            if escape {
                escape_into(name, out);
                out.push(b':');
                escape_into(value, out);
            } else {
                let bad = |s: &str| s.contains(['\n', '\r']);
                if bad(name) || bad(value) || name.contains(':') {
                    return Err(EncodeError::Unescapable {
                        command: self.command,
                        header: name.clone(),
                    });
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b':');
                out.extend_from_slice(value.as_bytes());
            }
            out.push(b'\n');
        }
        if with_length {
            out.extend_from_slice(b"content-length:");
            out.extend_from_slice(self.body.len().to_string().as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out.push(0);
        Ok(())
    }

    /// The frame's bytes (see [`Frame::encode`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Ok(v)
    }
}

/// Escapes a header name or value (STOMP 1.2: `\\`, `\n`, `\r`, `\c`).
pub fn escape_into(s: &str, out: &mut Vec<u8>) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b':' => out.extend_from_slice(b"\\c"),
            _ => out.push(b),
        }
    }
}

/// Reverses [`escape_into`]; an unknown escape (`\t`, a lone `\` at the end) is an error.
pub fn unescape(b: &[u8]) -> Result<Vec<u8>, DecodeError> {
    if !b.contains(&b'\\') {
        return Ok(b.to_vec());
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let decoded = match b.get(i + 1) {
            Some(b'\\') => b'\\',
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b'c') => b':',
            other => {
                return Err(DecodeError::BadEscape {
                    escape: other.map(|&c| c as char),
                })
            }
        };
        out.push(decoded);
        i += 2;
    }
    Ok(out)
}

/// What [`decode`] found at the front of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete frame.
    Frame(Frame),
    /// A lone EOL between frames (a heart-beat, or the EOL ActiveMQ writes after a NUL).
    HeartBeat,
}

/// Why bytes are not a STOMP 1.2 frame. Messages show at most a short, printable excerpt of
/// the offending bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The first line is not a STOMP command.
    UnknownCommand {
        /// The line, shortened and made printable.
        excerpt: String,
    },
    /// A header line has no colon.
    HeaderWithoutColon {
        /// The line, shortened and made printable.
        excerpt: String,
    },
    /// A backslash followed by something other than `\`, `n`, `r`, `c` (or nothing).
    BadEscape {
        /// The character after the backslash, if any.
        escape: Option<char>,
    },
    /// A header name or value is not UTF-8.
    NotUtf8,
    /// The `content-length` header is not a decimal number.
    BadContentLength {
        /// The value, shortened.
        value: String,
    },
    /// The byte after a `content-length` body is not NUL.
    MissingNul,
    /// The frame (or what is buffered of it) is larger than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More headers than [`MAX_HEADERS`].
    TooManyHeaders,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownCommand { excerpt } => {
                write!(f, "not a STOMP command: {excerpt:?}")
            }
            DecodeError::HeaderWithoutColon { excerpt } => {
                write!(f, "header line without a colon: {excerpt:?}")
            }
            DecodeError::BadEscape { escape: Some(c) } => {
                write!(f, "undefined escape \\{} in a header", c.escape_default())
            }
            DecodeError::BadEscape { escape: None } => {
                write!(f, "a header ends in a lone backslash")
            }
            DecodeError::NotUtf8 => write!(f, "a header is not UTF-8"),
            DecodeError::BadContentLength { value } => {
                write!(f, "content-length is not a number: {value:?}")
            }
            DecodeError::MissingNul => {
                write!(
                    f,
                    "the body is longer than its content-length (no NUL after it)"
                )
            }
            DecodeError::TooLarge { limit } => {
                write!(f, "frame larger than the limit of {limit} bytes")
            }
            DecodeError::TooManyHeaders => {
                write!(f, "more than {MAX_HEADERS} headers in one frame")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Most headers accepted in one frame.
pub const MAX_HEADERS: usize = 1000;

fn excerpt(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(40)]);
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The end of the line starting at `from`: (index of the `\n`, index where the line's text
/// ends, i.e. before a `\r`).
fn line_end(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let nl = buf[from..].iter().position(|&b| b == b'\n')? + from;
    let text_end = if nl > from && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    Some((nl, text_end))
}

/// Decodes what is at the front of `buf`: `Ok(None)` when more bytes are needed,
/// `Ok(Some((what, consumed)))` otherwise. `max_frame` bounds a frame's size (and how much of
/// an incomplete one may be buffered).
pub fn decode(buf: &[u8], max_frame: usize) -> Result<Option<(Decoded, usize)>, DecodeError> {
    match buf.first() {
        None => return Ok(None),
        Some(b'\n') => return Ok(Some((Decoded::HeartBeat, 1))),
        Some(b'\r') => {
            return match buf.get(1) {
                None => Ok(None),
                Some(b'\n') => Ok(Some((Decoded::HeartBeat, 2))),
                Some(_) => Err(DecodeError::UnknownCommand {
                    excerpt: excerpt(buf),
                }),
            }
        }
        Some(_) => {}
    }
    let too_large = || DecodeError::TooLarge { limit: max_frame };
    let Some((nl, text_end)) = line_end(buf, 0) else {
        return if buf.len() > max_frame || buf.len() > 32 {
            // No command is longer than 11 bytes.
            Err(DecodeError::UnknownCommand {
                excerpt: excerpt(buf),
            })
        } else {
            Ok(None)
        };
    };
    let command = Command::parse(&buf[..text_end]).ok_or_else(|| DecodeError::UnknownCommand {
        excerpt: excerpt(&buf[..text_end]),
    })?;
    let escape = command.escapes_headers();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut content_length: Option<usize> = None;
    let mut at = nl + 1;
    // Headers, up to the blank line.
    let head_end = loop {
        if at > max_frame {
            return Err(too_large());
        }
        let Some((nl, text_end)) = line_end(buf, at) else {
            return if buf.len() > max_frame {
                Err(too_large())
            } else {
                Ok(None)
            };
        };
        if text_end == at {
            break nl + 1;
        }
        if headers.len() == MAX_HEADERS {
            return Err(DecodeError::TooManyHeaders);
        }
        let line = &buf[at..text_end];
        let colon = line.iter().position(|&b| b == b':').ok_or_else(|| {
            DecodeError::HeaderWithoutColon {
                excerpt: excerpt(line),
            }
        })?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let (name, value) = if escape {
            (unescape(name)?, unescape(value)?)
        } else {
            (name.to_vec(), value.to_vec())
        };
        let name = String::from_utf8(name).map_err(|_| DecodeError::NotUtf8)?;
        let value = String::from_utf8(value).map_err(|_| DecodeError::NotUtf8)?;
        if name == "content-length" && !headers.iter().any(|(k, _)| k == "content-length") {
            let bad = || DecodeError::BadContentLength {
                value: excerpt(value.as_bytes()),
            };
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            content_length = Some(value.parse().map_err(|_| bad())?);
        }
        headers.push((name, value));
        at = nl + 1;
    };
    let body_end = match content_length {
        Some(n) => {
            let end = head_end.checked_add(n).ok_or_else(too_large)?;
            if end >= max_frame {
                return Err(too_large());
            }
            match buf.get(end) {
                None => return Ok(None),
                Some(0) => end,
                Some(_) => return Err(DecodeError::MissingNul),
            }
        }
        None => match buf[head_end..].iter().position(|&b| b == 0) {
            Some(p) if head_end + p >= max_frame => return Err(too_large()),
            Some(p) => head_end + p,
            None if buf.len() >= max_frame => return Err(too_large()),
            None => return Ok(None),
        },
    };
    let frame = Frame {
        command,
        headers,
        body: buf[head_end..body_end].to_vec(),
    };
    Ok(Some((Decoded::Frame(frame), body_end + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1 << 20;

    fn one(bytes: &[u8]) -> Frame {
        match decode(bytes, MAX) {
            Ok(Some((Decoded::Frame(f), n))) => {
                assert_eq!(n, bytes.len(), "consumed all of {bytes:?}");
                f
            }
            other => panic!("{other:?} for {bytes:?}"),
        }
    }

    #[test]
    fn encodes_a_send_byte_for_byte() {
        let f = Frame::new(Command::Send)
            .with("destination", "/queue/acks.201.fn_threatq")
            .with("correlation-id", "invid:390")
            .with_body(&br#"{"message_type": 0}"#[..]);
        assert_eq!(
            f.to_bytes().unwrap(),
            b"SEND\ndestination:/queue/acks.201.fn_threatq\ncorrelation-id:invid\\c390\n\
              content-length:19\n\n{\"message_type\": 0}\0"
        );
    }

    #[test]
    fn escapes_all_four_both_ways() {
        let value = "a\\b\nc\rd:e";
        let f = Frame::new(Command::Ack).with("id", value);
        let bytes = f.to_bytes().unwrap();
        assert_eq!(bytes, b"ACK\nid:a\\\\b\\nc\\rd\\ce\n\n\0");
        assert_eq!(one(&bytes).header("id"), Some(value));
        let mut esc = Vec::new();
        escape_into("k:ey", &mut esc);
        assert_eq!(esc, b"k\\cey");
        assert_eq!(unescape(b"ID\\chost\\c1").unwrap(), b"ID:host:1");
    }

    #[test]
    fn connect_and_connected_are_not_escaped() {
        let f = Frame::new(Command::Connect)
            .with("login", "ana@example.com")
            .with("passcode", "p:ss\\w");
        assert_eq!(
            f.to_bytes().unwrap(),
            b"CONNECT\nlogin:ana@example.com\npasscode:p:ss\\w\n\n\0"
        );
        let c = one(b"CONNECTED\nsession:ID:vm-1-2:3\nserver:ActiveMQ/5.17.2\nheart-beat:15000,0\nversion:1.2\n\n\0");
        assert_eq!(c.header("session"), Some("ID:vm-1-2:3"));
        // A backslash in CONNECTED is literal, not an escape.
        assert_eq!(one(b"CONNECTED\nx:a\\t\n\n\0").header("x"), Some("a\\t"));
    }

    #[test]
    fn connect_refuses_what_it_cannot_carry_without_echoing_it() {
        let f = Frame::new(Command::Connect).with("passcode", "line1\nsecret");
        let e = f.to_bytes().unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.to_string().contains("passcode"), "{e}");
        let mut out = b"keep".to_vec();
        assert!(f.encode(&mut out).is_err());
        assert_eq!(out, b"keep", "nothing half-written");
        assert!(Frame::new(Command::Send)
            .with("x", "a\0b")
            .to_bytes()
            .is_err());
    }

    #[test]
    fn decodes_a_message_like_activemq_sends_it() {
        let wire = b"MESSAGE\nexpires:0\ncorrelation-id:invid\\c390\ndestination:/queue/actions.201.fn_threatq\n\
ack:ID\\cvm-1-2\\c1\nsubscription:actions.201.fn_threatq\npriority:4\n\
message-id:ID\\cvm-1-1\\c2\\c-1\\c1\\c1\npersistent:true\ncontent-length:7\n\n{\"n\":0}\0\n";
        let (d, n) = decode(wire, MAX).unwrap().unwrap();
        let Decoded::Frame(f) = d else { panic!() };
        assert_eq!(
            n,
            wire.len() - 1,
            "the trailing EOL is left for the next call"
        );
        assert_eq!(f.command, Command::Message);
        assert_eq!(f.header("correlation-id"), Some("invid:390"));
        assert_eq!(f.header("ack"), Some("ID:vm-1-2:1"));
        assert_eq!(f.header("message-id"), Some("ID:vm-1-1:2:-1:1:1"));
        assert_eq!(f.body, b"{\"n\":0}");
        assert_eq!(
            decode(&wire[n..], MAX).unwrap(),
            Some((Decoded::HeartBeat, 1))
        );
    }

    #[test]
    fn content_length_body_may_hold_nul_and_without_it_nul_ends_the_body() {
        let f = one(b"MESSAGE\ncontent-length:3\n\na\0b\0");
        assert_eq!(f.body, b"a\0b");
        let f = one(b"MESSAGE\ndestination:x\n\nhello\0");
        assert_eq!(f.body, b"hello");
        assert_eq!(
            decode(b"MESSAGE\ncontent-length:2\n\nabc\0", MAX),
            Err(DecodeError::MissingNul)
        );
    }

    #[test]
    fn crlf_lines_and_heart_beats() {
        let f = one(b"RECEIPT\r\nreceipt-id:r1\r\n\r\n\0");
        assert_eq!(f.header("receipt-id"), Some("r1"));
        assert_eq!(decode(b"\n", MAX).unwrap(), Some((Decoded::HeartBeat, 1)));
        assert_eq!(decode(b"\r\n", MAX).unwrap(), Some((Decoded::HeartBeat, 2)));
        assert_eq!(decode(b"\r", MAX).unwrap(), None);
        assert!(decode(b"\rX", MAX).is_err());
    }

    #[test]
    fn first_of_repeated_headers_wins() {
        let f = one(b"MESSAGE\nfoo:first\nfoo:second\ncontent-length:1\ncontent-length:5\n\nx\0");
        assert_eq!(f.header("foo"), Some("first"));
        assert_eq!(f.body, b"x");
        assert_eq!(f.headers.len(), 4);
    }

    #[test]
    fn partial_input_needs_more_at_every_cut() {
        let full = Frame::new(Command::Message)
            .with("message-id", "ID:a:1")
            .with_body(&b"{\"x\":\"\\u0000 and \\n\"}"[..])
            .to_bytes()
            .unwrap();
        for cut in 0..full.len() {
            assert_eq!(decode(&full[..cut], MAX), Ok(None), "cut at {cut}");
        }
        assert!(matches!(decode(&full, MAX), Ok(Some((Decoded::Frame(_), n))) if n == full.len()));
    }

    #[test]
    fn round_trips_every_command_with_awkward_values() {
        for c in Command::ALL {
            let mut f = Frame::new(c).with("h", "v");
            if c.escapes_headers() {
                f = f.with("odd\\name:", "x:y\\z\r\n:");
            }
            if c.carries_body() {
                f = f.with_body(&b"body\0with nul"[..]);
            }
            let bytes = f.to_bytes().unwrap();
            let mut back = one(&bytes);
            back.headers.retain(|(k, _)| k != "content-length");
            assert_eq!(back, f, "{c}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let e = |b: &[u8]| decode(b, MAX).unwrap_err().to_string();
        assert!(e(b"HELLO\n\n\0").contains("not a STOMP command"));
        assert!(
            e(b"message\n\n\0").contains("not a STOMP command"),
            "case-sensitive"
        );
        assert!(e(b"MESSAGE\nnocolon\n\n\0").contains("without a colon"));
        assert!(e(b"MESSAGE\nk:a\\tb\n\n\0").contains("undefined escape \\t"));
        assert!(e(b"MESSAGE\nk:ab\\\n\n\0").contains("lone backslash"));
        assert!(e(b"MESSAGE\ncontent-length:-1\n\n\0").contains("content-length"));
        assert!(e(b"MESSAGE\nk:\xff\n\n\0").contains("UTF-8"));
        assert!(e(&[b'X'; 64]).contains("not a STOMP command"));
    }

    #[test]
    fn limits_hold() {
        let big = Frame::new(Command::Message)
            .with_body(vec![b'a'; 100])
            .to_bytes()
            .unwrap();
        assert_eq!(decode(&big, 64), Err(DecodeError::TooLarge { limit: 64 }));
        // No NUL and more than the limit buffered: refuse rather than wait forever.
        let mut no_nul = b"MESSAGE\n\n".to_vec();
        no_nul.extend(vec![b'a'; 100]);
        assert_eq!(
            decode(&no_nul, 64),
            Err(DecodeError::TooLarge { limit: 64 })
        );
        // A huge content-length is refused before its body arrives.
        assert_eq!(
            decode(b"MESSAGE\ncontent-length:99999999999\n\n", 64),
            Err(DecodeError::TooLarge { limit: 64 })
        );
        let mut many = b"MESSAGE\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend(format!("h{i}:v\n").bytes());
        }
        many.extend(b"\n\0");
        assert_eq!(decode(&many, MAX), Err(DecodeError::TooManyHeaders));
    }
}
