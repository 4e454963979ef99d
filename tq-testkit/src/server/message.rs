//! The request and response types a fake's handler sees and returns.

use serde_json::Value;

/// One parsed HTTP request, as the handler sees it and as the request log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method, upper case as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The path, percent-decoded, without the query string (`/api/indicators/27`).
    pub path: String,
    /// The query string's pairs in order, percent-decoded, `+` read as a space.
    pub query: Vec<(String, String)>,
    /// The headers in order as sent (names as sent; use [`Request::header`] to look up).
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        tq_common::http::header_value(&self.headers, name)
    }

    /// The first query parameter named `name` (case-sensitive, decoded).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or the parser's message. An empty body is an error too.
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| e.to_string())
    }

    /// The body read as `application/x-www-form-urlencoded` pairs (decoded, `+` = space).
    pub fn form(&self) -> Vec<(String, String)> {
        parse_query(&String::from_utf8_lossy(&self.body))
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The media type of the body, lower case, without parameters (`application/json`).
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }
}

/// A response built by a handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Extra headers (`Content-Length` and `Connection` are added by the server).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// An empty response with `status`.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response (`Content-Type: application/json`).
    pub fn json(status: u16, body: &Value) -> Response {
        Response::bytes(status, "application/json", body.to_string().into_bytes())
    }

    /// A plain-text response (`Content-Type: text/plain; charset=utf-8`).
    pub fn text(status: u16, body: &str) -> Response {
        Response::bytes(
            status,
            "text/plain; charset=utf-8",
            body.as_bytes().to_vec(),
        )
    }

    /// A response with raw bytes and the given content type.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body,
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        tq_common::http::header_value(&self.headers, name)
    }
}

/// Splits a query string (or form body) into decoded pairs. A key without `=` gets "".
pub fn parse_query(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k, true), percent_decode(v, true)),
            None => (percent_decode(p, true), String::new()),
        })
        .collect()
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are); with `plus_is_space`, `+`
/// becomes a space (query strings and forms, not paths).
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything but unreserved characters (RFC 3986) as `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries() {
        let q = parse_query("value=a%40b.com&x=1+2&flag&pct=50%25&bad=%zz&end=%4");
        assert_eq!(
            q,
            vec![
                ("value".into(), "a@b.com".into()),
                ("x".into(), "1 2".into()),
                ("flag".into(), "".into()),
                ("pct".into(), "50%".into()),
                ("bad".into(), "%zz".into()),
                ("end".into(), "%4".into()),
            ]
        );
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_encode("a b@c"), "a%20b%40c");
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let r = Request {
            method: "GET".into(),
            path: "/".into(),
            query: vec![],
            headers: vec![(
                "Content-TYPE".into(),
                "Application/JSON; charset=utf-8".into(),
            )],
            body: vec![],
        };
        assert_eq!(r.content_type().as_deref(), Some("application/json"));
        assert!(r.header("content-type").is_some());
    }
}
