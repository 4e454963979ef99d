//! A real SMTP server for tests (research/smtp.md §1, §4.1): Debian's `python3-aiosmtpd`
//! running our sink script ([`SINK_SCRIPT`], `smtp_sink.py` beside this file) on a random
//! loopback port, storing every accepted message in a Maildir, stopped on drop.
//!
//! Modes: [`Mode::Plain`] (no STARTTLS offered), [`Mode::StartTls`] (offered and required
//! before AUTH and MAIL) and [`Mode::Smtps`] (implicit TLS). TLS modes use a server
//! certificate for `localhost` and `127.0.0.1` issued by the sink's own [`TestCa`];
//! clients trust [`SmtpSink::ca_file`]. Optional AUTH PLAIN/LOGIN with one test user,
//! recipients answered with 550, DATA refused with 554, and a stall after N messages (the
//! next end of data is never answered).
//!
//! [`SmtpSink::messages`] / [`SmtpSink::wait_for`] read and parse what was captured
//! ([`Captured`]: envelope, headers, both `multipart/alternative` parts, links). The sink
//! adds `Envelope-To`, `X-Auth-User`, `X-Sink-Session` (one value per SMTP connection) and
//! `X-Sink-TLS` in front of the client's bytes.
//!
//! `scripts/rigs/install` (through `scripts/rigs/smtp.sh`) installs `python3-aiosmtpd`; a
//! missing package fails the test with that hint.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{missing, TempDir};
use crate::certs::TestCa;

/// The sink script (aiosmtpd server with Maildir capture).
pub const SINK_SCRIPT: &str = include_str!("smtp_sink.py");

/// Debian's interpreter: the one that sees `python3-aiosmtpd` (a pyenv `python3` on `PATH`
/// does not, research/smtp.md §4.1).
pub const PYTHON: &str = "/usr/bin/python3";

/// How the sink speaks on its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain SMTP; STARTTLS is not offered.
    Plain,
    /// STARTTLS offered and required before AUTH and MAIL (port 587 style).
    StartTls,
    /// Implicit TLS from the first byte (port 465 style).
    Smtps,
}

impl Mode {
    fn arg(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::StartTls => "starttls",
            Mode::Smtps => "smtps",
        }
    }
}

/// How to start the sink.
#[derive(Debug, Clone)]
pub struct SinkOptions {
    /// Plain, STARTTLS or implicit TLS.
    pub mode: Mode,
    /// `(user, password)` enables AUTH PLAIN and LOGIN for that one user.
    pub auth: Option<(String, String)>,
    /// Refuse MAIL without a successful AUTH (530).
    pub require_auth: bool,
    /// Recipients answered with `550 5.1.1 ... User unknown`.
    pub refuse: Vec<String>,
    /// Answer DATA with 554 (the server refuses every message).
    pub reject_data: bool,
    /// The port; `None` lets the sink pick a free one.
    pub port: Option<u16>,
    /// Log every command line received, for [`SmtpSink::commands`].
    pub log_commands: bool,
    /// Store this many messages, then never answer the end of data of the next one (the
    /// client hangs waiting for its 250: where a test kills it).
    pub stall_after: Option<usize>,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            mode: Mode::Plain,
            auth: None,
            require_auth: false,
            refuse: Vec::new(),
            reject_data: false,
            port: None,
            log_commands: false,
            stall_after: None,
        }
    }
}

impl SinkOptions {
    /// Plain SMTP, no AUTH.
    pub fn plain() -> SinkOptions {
        SinkOptions::default()
    }

    /// `mode` with AUTH required for `user`/`password`.
    pub fn with_auth(mode: Mode, user: &str, password: &str) -> SinkOptions {
        SinkOptions {
            mode,
            auth: Some((user.to_string(), password.to_string())),
            require_auth: true,
            ..SinkOptions::default()
        }
    }
}

/// A running SMTP sink (stopped on drop).
pub struct SmtpSink {
    dir: TempDir,
    ca: Option<TestCa>,
    port: u16,
    child: Option<Child>,
    opts: SinkOptions,
    startup: Duration,
}

/// True when `/usr/bin/python3` can import aiosmtpd.
pub fn aiosmtpd_installed() -> bool {
    Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

impl SmtpSink {
    /// Starts a sink. Panics (with the install hint) when python3-aiosmtpd is missing.
    pub fn start(opts: SinkOptions) -> SmtpSink {
        if !aiosmtpd_installed() {
            missing("python3-aiosmtpd (for /usr/bin/python3)");
        }
        let dir = TempDir::new("tq-smtp-sink");
        std::fs::write(dir.path().join("smtp_sink.py"), SINK_SCRIPT).expect("write sink script");
        let ca = if opts.mode == Mode::Plain {
            None
        } else {
            let ca = TestCa::new("tq-testkit SMTP CA");
            let server = ca.issue_server("localhost", &["localhost", "127.0.0.1"]);
            ca.write_cert(&dir.path().join("ca.pem")).expect("write CA");
            std::fs::write(dir.path().join("cert.pem"), &server.cert_pem).expect("write cert");
            std::fs::write(dir.path().join("key.pem"), &server.key_pem).expect("write key");
            Some(ca)
        };
        let mut sink = SmtpSink {
            dir,
            ca,
            port: opts.port.unwrap_or(0),
            child: None,
            opts,
            startup: Duration::ZERO,
        };
        sink.spawn();
        sink
    }

    /// Plain SMTP, no AUTH, default options.
    pub fn plain() -> SmtpSink {
        SmtpSink::start(SinkOptions::plain())
    }

    fn spawn(&mut self) {
        let d = self.dir.path().to_path_buf();
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("sink.log"))
            .expect("open sink.log");
        let mut cmd = Command::new(PYTHON);
        cmd.arg(d.join("smtp_sink.py"))
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--mode", self.opts.mode.arg()])
            .arg("--maildir")
            .arg(d.join("Maildir"));
        if self.ca.is_some() {
            cmd.arg("--cert")
                .arg(d.join("cert.pem"))
                .arg("--key")
                .arg(d.join("key.pem"));
        }
        if let Some((u, p)) = &self.opts.auth {
            cmd.arg("--auth").arg(format!("{u}:{p}"));
        }
        if self.opts.require_auth {
            cmd.arg("--require-auth");
        }
        for r in &self.opts.refuse {
            cmd.arg("--refuse").arg(r);
        }
        if self.opts.reject_data {
            cmd.arg("--reject-data");
        }
        if self.opts.log_commands {
            cmd.arg("--log-commands");
        }
        if let Some(n) = self.opts.stall_after {
            cmd.arg("--stall-after").arg(n.to_string());
        }
        cmd.current_dir(&d)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let t0 = Instant::now();
        let mut child = cmd.spawn().expect("spawn /usr/bin/python3 smtp_sink.py");
        let stdout = child.stdout.take().expect("sink stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep the pipe open (and drained) for the sink's lifetime.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "SMTP sink printed no READY line in 15 s; log:\n{}",
                    self.log()
                );
            }
        };
        // READY 127.0.0.1:<port> <mode>
        let port = line
            .strip_prefix("READY ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|hp| hp.rsplit(':').next())
            .and_then(|p| p.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "SMTP sink did not start (first line {line:?}); log:\n{}",
                self.log()
            );
        };
        self.startup = t0.elapsed();
        self.port = port;
        self.child = Some(child);
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The mode it was started in.
    pub fn mode(&self) -> Mode {
        self.opts.mode
    }

    /// The PEM file of the CA that issued the sink's certificate (TLS modes only).
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.ca.as_ref().map(|_| self.dir.path().join("ca.pem"))
    }

    /// The CA that issued the sink's certificate (TLS modes only).
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// The Maildir the messages are stored in (`new/` holds them).
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("Maildir")
    }

    /// How long the last start took, from spawn to the READY line (listening).
    pub fn startup(&self) -> Duration {
        self.startup
    }

    /// What the sink wrote on stderr (aiosmtpd warnings, Python tracebacks).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sink.log")).unwrap_or_default()
    }

    /// The command lines the sink received, in order (`EHLO x`, `AUTH PLAIN ...`, `MAIL
    /// FROM:<...>`, ...; message content is not included). Needs
    /// [`SinkOptions::log_commands`]; panics without it.
    pub fn commands(&self) -> Vec<String> {
        assert!(
            self.opts.log_commands,
            "SmtpSink::commands needs SinkOptions::log_commands"
        );
        self.log()
            .lines()
            .filter_map(|l| l.split_once(" >> b").map(|(_, c)| c))
            .map(|c| c.trim_matches(|q| q == '\'' || q == '"').to_string())
            .collect()
    }

    /// Stops the sink (SIGKILL; stored messages are complete, files are renamed atomically).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port, with the same Maildir (after [`SmtpSink::stop`]).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Starts it again on the same port, with the same Maildir and certificate, behaving
    /// as `opts` says (its mode and port are kept).
    pub fn restart_with(&mut self, opts: SinkOptions) {
        self.opts = SinkOptions {
            mode: self.opts.mode,
            port: self.opts.port,
            ..opts
        };
        self.restart();
    }

    /// Every message stored so far, oldest first, parsed.
    pub fn messages(&self) -> Vec<Captured> {
        read_maildir(&self.maildir())
    }

    /// Waits (polling every 5 ms, research/smtp.md §5) until at least `n` messages are
    /// stored, and returns them all; panics after `timeout` saying how many arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Captured> {
        let deadline = Instant::now() + timeout;
        loop {
            let count = count_files(&self.maildir().join("new"));
            if count >= n {
                return self.messages();
            }
            if Instant::now() > deadline {
                panic!(
                    "expected {n} messages in the SMTP sink, {count} arrived in {timeout:?}; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}

/// Reads and parses every message in `<maildir>/new`, oldest first (file names start with
/// the delivery time in nanoseconds).
pub fn read_maildir(maildir: &Path) -> Vec<Captured> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let raw = std::fs::read(&f).expect("read stored message");
            Captured::parse(f, raw)
        })
        .collect()
}

/// One stored message, parsed.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The Maildir file.
    pub file: PathBuf,
    /// The stored bytes (sink headers, then the client's bytes unchanged).
    pub raw: Vec<u8>,
    /// Every top-level header, in order, values decoded (RFC 2047) and unfolded.
    pub headers: Vec<(String, String)>,
    /// The recipients the server accepted (the envelope, not the `To:` header).
    pub envelope_to: Vec<String>,
    /// The envelope sender.
    pub return_path: String,
    /// The AUTH login of the session (empty without AUTH).
    pub auth_user: String,
    /// The client's `address:port`: equal for messages sent over one connection.
    pub session: String,
    /// True when the session was encrypted (STARTTLS or implicit TLS).
    pub tls: bool,
    /// The decoded subject.
    pub subject: String,
    /// The top-level MIME type, e.g. `multipart/alternative`.
    pub mime_type: String,
    /// The decoded `text/plain` part (the body itself for a single-part text message),
    /// line ends as `\n`.
    pub text: Option<String>,
    /// The decoded `text/html` part, line ends as `\n`.
    pub html: Option<String>,
}

impl Captured {
    /// Parses stored bytes. Panics on a message mailparse cannot read (a test failure).
    pub fn parse(file: PathBuf, raw: Vec<u8>) -> Captured {
        let parsed = mailparse::parse_mail(&raw)
            .unwrap_or_else(|e| panic!("{}: not a parsable message: {e}", file.display()));
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| (h.get_key(), h.get_value()))
            .collect();
        let first = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let mut text = None;
        let mut html = None;
        for part in parsed.parts() {
            if !part.subparts.is_empty() {
                continue;
            }
            let body = part
                .get_body()
                .unwrap_or_else(|e| panic!("{}: undecodable MIME part: {e}", file.display()))
                .replace("\r\n", "\n");
            match part.ctype.mimetype.as_str() {
                "text/plain" if text.is_none() => text = Some(body),
                "text/html" if html.is_none() => html = Some(body),
                _ => {}
            }
        }
        let envelope_to = first("Envelope-To")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Captured {
            envelope_to,
            return_path: first("Return-Path")
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string(),
            auth_user: first("X-Auth-User"),
            session: first("X-Sink-Session"),
            tls: first("X-Sink-TLS") == "yes",
            subject: first("Subject"),
            mime_type: parsed.ctype.mimetype.clone(),
            text,
            html,
            headers,
            raw,
            file,
        }
    }

    /// The first header `name` (case-insensitive), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header `name` (case-insensitive), decoded.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The `http(s)://` URLs in the text part, in order.
    pub fn text_links(&self) -> Vec<String> {
        self.text.as_deref().map(text_links).unwrap_or_default()
    }

    /// The `href` targets of the HTML part, in order, with HTML entities decoded.
    pub fn html_links(&self) -> Vec<String> {
        self.html.as_deref().map(html_links).unwrap_or_default()
    }
}

/// The `http(s)://` URLs in plain text (a URL ends at whitespace, `<`, `>`, `"` or `)`).
pub fn text_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = find_scheme(rest) {
        let url = &rest[i..];
        let end = url
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | ')'))
            .unwrap_or(url.len());
        out.push(url[..end].to_string());
        rest = &url[end..];
    }
    out
}

fn find_scheme(s: &str) -> Option<usize> {
    match (s.find("https://"), s.find("http://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The `href="..."` targets of an HTML document, entities decoded.
pub fn html_links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=") {
        rest = &rest[i + 5..];
        let quote = rest.chars().next();
        let (value, after) = match quote {
            Some(q @ ('"' | '\'')) => {
                let body = &rest[1..];
                let end = body.find(q).unwrap_or(body.len());
                (&body[..end], &body[end.min(body.len())..])
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        out.push(html_unescape(value));
        rest = after;
    }
    out
}

/// Decodes the five named entities and numeric `&#NN;` / `&#xNN;` references.
pub fn html_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else {
            break;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_in_text_and_html() {
        let t = "ThreatQ Link: https://tq.example/indicators/8/details\nmore (http://x.y/z) end";
        assert_eq!(
            text_links(t),
            vec!["https://tq.example/indicators/8/details", "http://x.y/z"]
        );
        let h = r#"<a href="https://tq/indicators/42?x=1&amp;y=2">v</a> <a href='http://b/c'>"#;
        assert_eq!(
            html_links(h),
            vec!["https://tq/indicators/42?x=1&y=2", "http://b/c"]
        );
    }

    #[test]
    fn html_unescape_decodes_named_and_numeric_entities() {
        assert_eq!(
            html_unescape("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;&#x41;&quot;"),
            "<script>alert(1)</script> & 'A\""
        );
        assert_eq!(html_unescape("a & b &unknown; c"), "a & b &unknown; c");
    }
}
