//! HTTP/1.1 on the wire: reading requests (Content-Length and chunked bodies) and writing
//! responses, over any `Read + Write` stream (plain TCP or TLS).

use std::io::{self, Read, Write};

use super::message::{parse_query, percent_decode, Request, Response};

/// Largest request head (request line + headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection cleanly before a new request started.
    Closed,
    /// An I/O error (including the read timeout of an idle connection).
    Io(io::Error),
    /// The bytes are not a valid HTTP/1.x request; answer 400 and close.
    Malformed(String),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// A buffered connection that reads HTTP requests and writes responses.
pub struct Conn<S: Read + Write> {
    stream: S,
    buf: Vec<u8>,
    pos: usize,
}

/// A parsed request plus what the connection needs to know about it.
pub struct Incoming {
    /// The request.
    pub request: Request,
    /// Whether the client wants the connection kept open after the response.
    pub keep_alive: bool,
}

impl<S: Read + Write> Conn<S> {
    /// Wraps a stream.
    pub fn new(stream: S) -> Self {
        Conn {
            stream,
            buf: Vec::new(),
            pos: 0,
        }
    }

    /// The underlying stream.
    #[cfg(test)]
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    fn fill(&mut self) -> io::Result<usize> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one line ending in CRLF (or LF), without the line ending. `None` = EOF before
    /// any byte of the line.
    fn read_line(&mut self, limit: usize) -> Result<Option<String>, ReadError> {
        let mut line = Vec::new();
        loop {
            if let Some(i) = self.buf[self.pos..].iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&self.buf[self.pos..self.pos + i]);
                self.pos += i + 1;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return String::from_utf8(line)
                    .map(Some)
                    .map_err(|_| ReadError::Malformed("header is not UTF-8".into()));
            }
            line.extend_from_slice(&self.buf[self.pos..]);
            self.pos = self.buf.len();
            if line.len() > limit {
                return Err(ReadError::Malformed("request head too large".into()));
            }
            if self.fill()? == 0 {
                if line.is_empty() {
                    return Ok(None);
                }
                return Err(ReadError::Malformed("connection closed mid-line".into()));
            }
        }
    }

    fn read_exact_n(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::with_capacity(n.min(MAX_BODY));
        while out.len() < n {
            if self.pos == self.buf.len() && self.fill()? == 0 {
                return Err(ReadError::Malformed("connection closed mid-body".into()));
            }
            let take = (n - out.len()).min(self.buf.len() - self.pos);
            out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
        }
        Ok(out)
    }

    /// Reads the next request. Sends `100 Continue` when the client expects it.
    pub fn read_request(&mut self) -> Result<Incoming, ReadError> {
        // Tolerate stray empty lines between requests (RFC 9112 §2.2).
        let line = loop {
            match self.read_line(MAX_HEAD)? {
                None => return Err(ReadError::Closed),
                Some(l) if l.is_empty() => continue,
                Some(l) => break l,
            }
        };
        let mut parts = line.split(' ');
        let (method, target, version) = match (parts.next(), parts.next(), parts.next()) {
            (Some(m), Some(t), Some(v)) if !m.is_empty() && !t.is_empty() => (m, t, v),
            _ => return Err(ReadError::Malformed(format!("bad request line {line:?}"))),
        };
        if !version.starts_with("HTTP/1.") {
            return Err(ReadError::Malformed(format!(
                "unsupported version {version}"
            )));
        }
        let method = method.to_string();
        let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
        let path = percent_decode(raw_path, false);
        let query = parse_query(raw_query);

        let mut headers = Vec::new();
        let mut head_len = line.len();
        loop {
            let h = self
                .read_line(MAX_HEAD)?
                .ok_or_else(|| ReadError::Malformed("connection closed in headers".into()))?;
            if h.is_empty() {
                break;
            }
            head_len += h.len();
            if head_len > MAX_HEAD {
                return Err(ReadError::Malformed("request head too large".into()));
            }
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| ReadError::Malformed(format!("bad header line {h:?}")))?;
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_ascii_lowercase())
        };
        let connection = get("connection").unwrap_or_default();
        let keep_alive = if version == "HTTP/1.0" {
            connection.contains("keep-alive")
        } else {
            !connection.contains("close")
        };
        let chunked = get("transfer-encoding")
            .map(|v| v.contains("chunked"))
            .unwrap_or(false);
        let content_length = match get("content-length") {
            Some(v) => Some(
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| ReadError::Malformed(format!("bad Content-Length {v:?}")))?,
            ),
            None => None,
        };
        if get("expect").map(|v| v == "100-continue").unwrap_or(false) {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            self.stream.flush()?;
        }
        let body = if chunked {
            self.read_chunked()?
        } else if let Some(n) = content_length {
            if n > MAX_BODY {
                return Err(ReadError::Malformed("body too large".into()));
            }
            self.read_exact_n(n)?
        } else {
            Vec::new()
        };
        Ok(Incoming {
            request: Request {
                method,
                path,
                query,
                headers,
                body,
            },
            keep_alive,
        })
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let size_line = self
                .read_line(1024)?
                .ok_or_else(|| ReadError::Malformed("connection closed in chunk size".into()))?;
            let hex = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16)
                .map_err(|_| ReadError::Malformed(format!("bad chunk size {size_line:?}")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    match self.read_line(MAX_HEAD)? {
                        Some(l) if !l.is_empty() => continue,
                        _ => break,
                    }
                }
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(ReadError::Malformed("body too large".into()));
            }
            body.extend(self.read_exact_n(size)?);
            let crlf = self.read_line(2)?;
            if crlf.as_deref() != Some("") {
                return Err(ReadError::Malformed("chunk not followed by CRLF".into()));
            }
        }
    }

    /// Writes a response (adds `Content-Length` and `Connection`). `head_only` leaves the
    /// body out (HEAD requests).
    pub fn write_response(
        &mut self,
        resp: &Response,
        keep_alive: bool,
        head_only: bool,
    ) -> io::Result<()> {
        let mut out = Vec::with_capacity(256 + resp.body.len());
        out.extend_from_slice(
            format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status)).as_bytes(),
        );
        for (k, v) in &resp.headers {
            if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("connection") {
                continue;
            }
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n", resp.body.len()).as_bytes());
        out.extend_from_slice(if keep_alive {
            b"Connection: keep-alive\r\n\r\n".as_slice()
        } else {
            b"Connection: close\r\n\r\n".as_slice()
        });
        if !head_only {
            out.extend_from_slice(&resp.body);
        }
        self.stream.write_all(&out)?;
        self.stream.flush()
    }
}

/// The reason phrase for common status codes.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A fake stream: reads from `input`, collects writes.
    struct Pipe {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }
    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            // Deliver a few bytes at a time to exercise buffering.
            let n = buf.len().min(7);
            self.input.read(&mut buf[..n])
        }
    }
    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    fn conn(s: &str) -> Conn<Pipe> {
        Conn::new(Pipe {
            input: Cursor::new(s.as_bytes().to_vec()),
            output: Vec::new(),
        })
    }

    #[test]
    fn reads_two_pipelined_requests_with_both_body_framings() {
        let mut c = conn(concat!(
            "POST /a%20b?x=1&y=a+b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
            "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n"
        ));
        let a = c.read_request().unwrap();
        assert_eq!(a.request.path, "/a b");
        assert_eq!(a.request.query_param("y"), Some("a b"));
        assert_eq!(a.request.body, b"hello");
        assert!(a.keep_alive);
        let b = c.read_request().unwrap();
        assert_eq!(b.request.method, "PUT");
        assert_eq!(b.request.body, b"abcdefg");
        assert!(!b.keep_alive);
        assert!(matches!(c.read_request(), Err(ReadError::Closed)));
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            conn("hello\r\n\r\n").read_request(),
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            conn("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").read_request(),
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            conn("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").read_request(),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn writes_length_and_connection() {
        let mut c = conn("");
        c.write_response(&Response::text(200, "hi"), false, false)
            .unwrap();
        let out = String::from_utf8(c.stream_mut().output.clone()).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(out.contains("Content-Length: 2\r\n"));
        assert!(out.contains("Connection: close\r\n"));
        assert!(out.ends_with("\r\n\r\nhi"));
    }
}
