//! The SMTP sink rig itself (tq_testkit::rigs::smtp): it starts on a random port, speaks
//! SMTP with AUTH, refuses the recipients it was told to, stores and parses what it accepted,
//! serves implicit TLS with a certificate its CA file verifies, and restarts on its port.
//! The connector's own tests (tq-email-alerts/tests/smtp.rs) drive it with lettre.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use tq_testkit::rigs::smtp::{Mode, SinkOptions, SmtpSink};

/// A minimal SMTP client: one command, one (possibly multi-line) reply.
struct Client<S: Read + Write> {
    r: BufReader<S>,
}

impl<S: Read + Write> Client<S> {
    fn new(s: S) -> Self {
        Client {
            r: BufReader::new(s),
        }
    }

    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).expect("read reply");
            assert!(!line.is_empty(), "server closed the connection");
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    fn cmd(&mut self, line: &str) -> String {
        let s = self.r.get_mut();
        s.write_all(line.as_bytes()).unwrap();
        s.write_all(b"\r\n").unwrap();
        s.flush().unwrap();
        self.reply()
    }
}

const MESSAGE: &str = "From: alerts@tq.example\r\n\
To: a@example.org, b@example.org\r\n\
Subject: =?utf-8?b?J8OcbsOvY29kZSc=?= test\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"XYZ\"\r\n\
\r\n\
--XYZ\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Status changed: Review =E2=86=92 Active\r\n\
Link: https://tq.example/indicators/42?x=3D1&y=3D2\r\n\
--XYZ\r\n\
Content-Type: text/html; charset=utf-8\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
PHA+PGEgaHJlZj0iaHR0cHM6Ly90cS5leGFtcGxlL2luZGljYXRvcnMvNDI/eD0xJmFtcDt5PTIiPiZsdDtiJmd0OzwvYT48L3A+\r\n\
--XYZ--\r\n\
.";

#[test]
fn plain_sink_with_auth_stores_and_parses_and_refuses_a_recipient() {
    let mut opts = SinkOptions::with_auth(Mode::Plain, "tester", "s3cret");
    opts.refuse = vec!["nobody@example.org".into()];
    opts.log_commands = true;
    let mut sink = SmtpSink::start(opts);
    println!("SMTP sink start (spawn to listening): {:?}", sink.startup());
    assert_ne!(sink.port(), 0);

    let tcp = TcpStream::connect(sink.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut c = Client::new(tcp);
    assert!(c.reply().starts_with("220"), "banner");
    let ehlo = c.cmd("EHLO client.test");
    assert!(ehlo.contains("AUTH"), "{ehlo}");
    assert!(
        !ehlo.contains("STARTTLS"),
        "plain mode offers no STARTTLS: {ehlo}"
    );
    assert!(
        c.cmd("MAIL FROM:<alerts@tq.example>").starts_with("530"),
        "AUTH required"
    );
    // AUTH PLAIN with a wrong, then the right password ("\0tester\0s3cret")
    assert!(c.cmd("AUTH PLAIN AHRlc3RlcgB3cm9uZw==").starts_with("535"));
    assert!(c.cmd("AUTH PLAIN AHRlc3RlcgBzM2NyZXQ=").starts_with("235"));
    assert!(c.cmd("MAIL FROM:<alerts@tq.example>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<a@example.org>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<nobody@example.org>").starts_with("550"));
    assert!(c.cmd("RCPT TO:<b@example.org>").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("354"));
    assert!(c.cmd(MESSAGE).starts_with("250"));
    c.cmd("QUIT");

    let m = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(m.len(), 1);
    let m = &m[0];
    assert_eq!(m.envelope_to, vec!["a@example.org", "b@example.org"]);
    assert_eq!(m.return_path, "alerts@tq.example");
    assert_eq!(m.auth_user, "tester");
    assert!(!m.tls);
    assert!(m.session.starts_with("127.0.0.1:"), "{}", m.session);
    assert_eq!(m.subject, "'Ünïcode' test");
    assert_eq!(m.mime_type, "multipart/alternative");
    let text = m.text.as_deref().unwrap();
    assert!(text.contains("Status changed: Review → Active"), "{text}");
    assert_eq!(
        m.text_links(),
        vec!["https://tq.example/indicators/42?x=1&y=2"]
    );
    let html = m.html.as_deref().unwrap();
    assert!(html.contains("&lt;b&gt;"), "{html}");
    assert_eq!(
        m.html_links(),
        vec!["https://tq.example/indicators/42?x=1&y=2"]
    );
    assert_eq!(m.header("to"), Some("a@example.org, b@example.org"));
    assert!(m.header_all("Bcc").is_empty());

    let cmds = sink.commands();
    assert_eq!(
        cmds.first().map(String::as_str),
        Some("EHLO client.test"),
        "{cmds:?}"
    );
    assert!(
        cmds.contains(&"RCPT TO:<nobody@example.org>".to_string()),
        "{cmds:?}"
    );
    assert_eq!(cmds.last().map(String::as_str), Some("QUIT"), "{cmds:?}");

    // Down, then up again on the same port with the same Maildir.
    let port = sink.port();
    sink.stop();
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening"
    );
    sink.restart();
    assert_eq!(sink.port(), port);
    let tcp = TcpStream::connect(sink.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(Client::new(tcp).reply().starts_with("220"));
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn smtps_sink_serves_tls_its_ca_verifies_and_starttls_sink_offers_it() {
    let sink = SmtpSink::start(SinkOptions::with_auth(Mode::Smtps, "tester", "s3cret"));
    println!("SMTP sink start, implicit TLS: {:?}", sink.startup());
    let ca_pem = std::fs::read(sink.ca_file().unwrap()).unwrap();
    let connector = native_tls::TlsConnector::builder()
        .add_root_certificate(native_tls::Certificate::from_pem(&ca_pem).unwrap())
        .disable_built_in_roots(true)
        .build()
        .unwrap();
    let tcp = TcpStream::connect(sink.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let tls = connector
        .connect("127.0.0.1", tcp)
        .expect("certificate verifies");
    let mut c = Client::new(tls);
    assert!(c.reply().starts_with("220"));
    assert!(
        c.cmd("EHLO client.test").contains("AUTH"),
        "AUTH over implicit TLS"
    );
    c.cmd("QUIT");

    // Without the sink's CA the handshake fails.
    let other = native_tls::TlsConnector::builder()
        .disable_built_in_roots(true)
        .build()
        .unwrap();
    let tcp = TcpStream::connect(sink.addr()).unwrap();
    assert!(other.connect("127.0.0.1", tcp).is_err());

    let st = SmtpSink::start(SinkOptions::with_auth(Mode::StartTls, "tester", "s3cret"));
    let tcp = TcpStream::connect(st.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut c = Client::new(tcp);
    c.reply();
    let ehlo = c.cmd("EHLO client.test");
    assert!(ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(
        c.cmd("MAIL FROM:<a@b.c>").starts_with("530"),
        "STARTTLS first"
    );
}

#[test]
fn a_stalling_sink_stores_n_messages_then_never_answers_the_next() {
    let sink = SmtpSink::start(SinkOptions {
        stall_after: Some(1),
        ..SinkOptions::plain()
    });
    let tcp = TcpStream::connect(sink.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut c = Client::new(tcp);
    assert!(c.reply().starts_with("220"), "banner");
    c.cmd("EHLO client.test");
    let send = |c: &mut Client<TcpStream>| {
        assert!(c.cmd("MAIL FROM:<alerts@tq.example>").starts_with("250"));
        assert!(c.cmd("RCPT TO:<a@example.org>").starts_with("250"));
        assert!(c.cmd("DATA").starts_with("354"));
        let s = c.r.get_mut();
        s.write_all(MESSAGE.as_bytes()).unwrap();
        s.write_all(b"\r\n").unwrap();
        let mut line = String::new();
        c.r.read_line(&mut line).map(|_| line)
    };
    assert!(
        send(&mut c).unwrap().starts_with("250"),
        "the first is stored"
    );
    let second = send(&mut c);
    assert!(second.is_err(), "no answer to the second: {second:?}");
    assert_eq!(sink.messages().len(), 1);
}
