//! SMTP sending against the real aiosmtpd sink (tq_testkit::rigs::smtp): every connection
//! mode of the acceptance list, refused recipients, escaping and header safety as
//! the server received them, and 100 mails over one connection.

use std::time::{Duration, Instant};

use lettre::message::Mailbox;
use tq_common::Secret;
use tq_email_alerts::error::Error;
use tq_email_alerts::mail::{watchlist_mail, Mail};
use tq_email_alerts::model::{Timestamp, WatchedObject};
use tq_email_alerts::objects::{LinkBase, ObjectKind, ObjectRef};
use tq_email_alerts::smtp::{Login, Mailer, SmtpSettings};
use tq_email_alerts::watchlist::{diff, WatchlistState};
use tq_testkit::rigs::smtp::{Captured, Mode, SinkOptions, SmtpSink};

const USER: &str = "tester";
const PASSWORD: &str = "s3cret-Pa55";
const WAIT: Duration = Duration::from_secs(10);

fn mbox(s: &str) -> Mailbox {
    s.parse().unwrap()
}

fn settings(sink: &SmtpSink, login: Option<(&str, &str)>) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port: sink.port(),
        use_ssl: sink.mode() == Mode::Smtps,
        require_starttls: true,
        ca_file: sink.ca_file(),
        verify_tls: true,
        from: mbox("ThreatQ Alerts <alerts@tq.example>"),
        recipients: vec![mbox("soc@example.org"), mbox("Lead <lead@example.org>")],
        login: login.map(|(u, p)| Login {
            user: u.into(),
            password: Secret::new(p),
        }),
        timeout: Duration::from_secs(10),
    }
}

/// The "Indicator Added" mail for indicator 8 with `value`.
fn added_mail(value: &str) -> Mail {
    let base = diff(&WatchlistState::default(), &[1], &[], false).state;
    let r = ObjectRef {
        kind: ObjectKind::Indicators,
        id: 8,
    };
    let touched = Timestamp::parse("2021-10-28 20:32:57").unwrap();
    let obj = WatchedObject {
        watchers: vec![1],
        ..WatchedObject::new(r, value, touched)
    };
    let d = diff(&base, &[1], &[obj], false);
    watchlist_mail(
        &d.alerts[0],
        &LinkBase::parse("threatq.hostname.com").unwrap(),
    )
}

fn send_one(s: &SmtpSettings, mail: &Mail) -> Result<(), Error> {
    let mut m = Mailer::connect(s)?;
    let d = m.send(mail)?;
    assert!(d.refused.is_empty(), "{d:?}");
    m.close();
    Ok(())
}

fn assert_guide_mail(m: &Captured) {
    assert_eq!(m.subject, "ThreatQ Watchlist: Indicator Added");
    assert_eq!(m.mime_type, "multipart/alternative");
    assert_eq!(m.envelope_to, vec!["soc@example.org", "lead@example.org"]);
    assert_eq!(m.return_path, "alerts@tq.example");
    let text = m.text.as_deref().unwrap();
    assert!(text.contains("Item: 7.8.9.0\n"), "{text}");
    let link = "https://threatq.hostname.com/indicators/8/details";
    assert_eq!(m.text_links(), vec![link]);
    assert_eq!(m.html_links(), vec![link]);
    assert!(m.header("Date").is_some() && m.header("Message-ID").is_some());
}

#[test]
fn plain_with_skip_login() {
    let sink = SmtpSink::start(SinkOptions {
        log_commands: true,
        ..SinkOptions::plain()
    });
    send_one(&settings(&sink, None), &added_mail("7.8.9.0")).unwrap();
    let m = sink.wait_for(1, WAIT);
    assert_guide_mail(&m[0]);
    assert_eq!(m[0].auth_user, "");
    assert!(!m[0].tls);
    assert!(!sink.commands().iter().any(|c| c.starts_with("AUTH")));
}

#[test]
fn auth_over_starttls() {
    let sink = SmtpSink::start(SinkOptions::with_auth(Mode::StartTls, USER, PASSWORD));
    send_one(
        &settings(&sink, Some((USER, PASSWORD))),
        &added_mail("7.8.9.0"),
    )
    .unwrap();
    let m = sink.wait_for(1, WAIT);
    assert_guide_mail(&m[0]);
    assert_eq!(m[0].auth_user, USER);
    assert!(m[0].tls, "STARTTLS was offered, so it was used");
}

#[test]
fn implicit_tls_with_use_ssl() {
    let sink = SmtpSink::start(SinkOptions::with_auth(Mode::Smtps, USER, PASSWORD));
    let s = settings(&sink, Some((USER, PASSWORD)));
    assert!(s.use_ssl);
    let mut mailer = Mailer::connect(&s).unwrap();
    assert!(mailer.is_encrypted());
    mailer.send(&added_mail("7.8.9.0")).unwrap();
    drop(mailer);
    let m = sink.wait_for(1, WAIT);
    assert_guide_mail(&m[0]);
    assert_eq!(m[0].auth_user, USER);
    assert!(m[0].tls);
}

#[test]
fn wrong_password_names_server_and_user_never_the_password() {
    let sink = SmtpSink::start(SinkOptions::with_auth(Mode::StartTls, USER, PASSWORD));
    let wrong = "wr0ng-Secret-9";
    let Err(e) = Mailer::connect(&settings(&sink, Some((USER, wrong)))) else {
        panic!("logged in with a wrong password");
    };
    assert!(matches!(e, Error::Login { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{}", sink.port())), "{msg}");
    assert!(msg.contains(USER), "{msg}");
    assert!(msg.contains("535"), "the server's reply: {msg}");
    let debug = format!("{e:?}");
    let common = tq_common::Error::from(e);
    assert_eq!(common.exit_code(), 1);
    for text in [msg, debug, common.to_string(), format!("{common:?}")] {
        assert!(!text.contains(wrong) && !text.contains(PASSWORD), "{text}");
    }
    assert!(sink.messages().is_empty());
}

#[test]
fn require_starttls_refuses_a_server_without_it_before_auth_or_mail() {
    let sink = SmtpSink::start(SinkOptions {
        log_commands: true,
        ..SinkOptions::with_auth(Mode::Plain, USER, PASSWORD)
    });
    let s = settings(&sink, Some((USER, PASSWORD)));
    let Err(e) = Mailer::connect(&s) else {
        panic!("connected without STARTTLS although require_starttls is true");
    };
    assert!(matches!(e, Error::StartTlsUnavailable { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("STARTTLS") && msg.contains(USER), "{msg}");
    assert!(msg.contains(&sink.addr()), "{msg}");
    assert_eq!(tq_common::Error::from(e).exit_code(), 1);
    // Give the sink a moment to log the QUIT, then check nothing but EHLO/QUIT was said.
    std::thread::sleep(Duration::from_millis(100));
    let cmds = sink.commands();
    assert!(cmds.iter().any(|c| c.starts_with("EHLO")), "{cmds:?}");
    assert!(
        !cmds
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        "{cmds:?}"
    );

    // require_starttls = false: the login goes through (in clear, with a warning).
    let s = SmtpSettings {
        require_starttls: false,
        ..s
    };
    send_one(&s, &added_mail("7.8.9.0")).unwrap();
    assert_eq!(sink.wait_for(1, WAIT)[0].auth_user, USER);
}

#[test]
fn a_refused_recipient_is_skipped_and_the_others_get_the_mail() {
    let sink = SmtpSink::start(SinkOptions {
        refuse: vec!["gone@example.org".into()],
        ..SinkOptions::plain()
    });
    let mut s = settings(&sink, None);
    s.recipients = vec![
        mbox("soc@example.org"),
        mbox("gone@example.org"),
        mbox("lead@example.org"),
    ];
    let mut mailer = Mailer::connect(&s).unwrap();
    let d = mailer.send(&added_mail("7.8.9.0")).unwrap();
    assert_eq!(d.accepted, vec!["soc@example.org", "lead@example.org"]);
    assert_eq!(d.refused.len(), 1);
    assert_eq!(d.refused[0].0, "gone@example.org");
    assert!(d.refused[0].1.contains("550"), "{:?}", d.refused);
    // The connection is still good for the next mail.
    mailer.send(&added_mail("1.2.3.4")).unwrap();
    drop(mailer);
    let m = sink.wait_for(2, WAIT);
    assert_eq!(
        m[0].envelope_to,
        vec!["soc@example.org", "lead@example.org"]
    );
    assert_eq!(
        m[1].envelope_to,
        vec!["soc@example.org", "lead@example.org"]
    );

    // Nobody left: an error (the alert is not delivered), naming server and recipient.
    s.recipients = vec![mbox("gone@example.org")];
    let mut mailer = Mailer::connect(&s).unwrap();
    let e = mailer.send(&added_mail("7.8.9.0")).unwrap_err();
    assert!(matches!(e, Error::AllRecipientsRefused { .. }), "{e:?}");
    assert!(e.to_string().contains("gone@example.org") && e.to_string().contains(&sink.addr()));
    assert_eq!(sink.messages().len(), 2);
}

#[test]
fn script_value_is_escaped_in_the_html_part() {
    let sink = SmtpSink::plain();
    let value = "<script>alert(1)</script>";
    send_one(&settings(&sink, None), &added_mail(value)).unwrap();
    let m = &sink.wait_for(1, WAIT)[0];
    let html = m.html.as_deref().unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    let text = m.text.as_deref().unwrap();
    assert!(text.contains(&format!("Item: {value}\n")), "{text}");
}

#[test]
fn a_cr_lf_value_cannot_add_a_header() {
    let sink = SmtpSink::plain();
    let s = settings(&sink, None);
    let injected = "7.8.9.0\r\nBcc: victim@evil.example\r\nX-Injected: yes";
    let mut mail = added_mail(injected);
    // Also straight into the subject, the one header a mail carries from its content.
    mail.subject = format!("ThreatQ Watchlist: {injected}");
    send_one(&s, &mail).unwrap();
    let m = &sink.wait_for(1, WAIT)[0];
    assert!(m.header_all("X-Injected").is_empty(), "{:?}", m.headers);
    assert!(m.header_all("Bcc").is_empty(), "{:?}", m.headers);
    assert_eq!(m.envelope_to, vec!["soc@example.org", "lead@example.org"]);
    assert_eq!(
        m.subject,
        "ThreatQ Watchlist: 7.8.9.0  Bcc: victim@evil.example  X-Injected: yes"
    );
    let text = m.text.as_deref().unwrap();
    assert!(
        text.contains("Item: 7.8.9.0  Bcc: victim@evil.example  X-Injected: yes\n"),
        "{text}"
    );
}

#[test]
fn one_hundred_mails_over_one_connection() {
    let sink = SmtpSink::plain();
    let s = settings(&sink, None);
    let mails: Vec<Mail> = (0..100)
        .map(|i| added_mail(&format!("10.0.{}.{}", i / 256, i % 256)))
        .collect();
    let t0 = Instant::now();
    let mut mailer = Mailer::connect(&s).unwrap();
    for m in &mails {
        mailer.send(m).unwrap();
    }
    mailer.close();
    let elapsed = t0.elapsed();
    println!("100 mails over one SMTP connection to the aiosmtpd sink: {elapsed:?}");
    let got = sink.wait_for(100, WAIT);
    assert_eq!(got.len(), 100);
    let session = &got[0].session;
    assert!(
        got.iter().all(|m| &m.session == session),
        "every mail over the same connection"
    );
}

#[test]
fn untrusted_certificate_down_server_and_refused_message_are_errors() {
    // STARTTLS with a certificate from a CA we were not told about.
    let sink = SmtpSink::start(SinkOptions::with_auth(Mode::StartTls, USER, PASSWORD));
    let mut s = settings(&sink, Some((USER, PASSWORD)));
    s.ca_file = None;
    let Err(e) = Mailer::connect(&s) else {
        panic!("trusted a certificate of an unknown CA");
    };
    assert!(matches!(e, Error::Tls { .. }), "{e:?}");
    assert!(e.to_string().contains(&sink.addr()), "{e}");
    // smtp_verify_tls = false accepts it (insecure, with a warning).
    s.verify_tls = false;
    send_one(&s, &added_mail("7.8.9.0")).unwrap();

    // Nobody listening.
    let mut down = SmtpSink::plain();
    let s = settings(&down, None);
    down.stop();
    let Err(e) = Mailer::connect(&s) else {
        panic!("connected to a stopped server");
    };
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
    assert!(e.to_string().contains(&down.addr()), "{e}");
    assert_eq!(tq_common::Error::from(e).exit_code(), 1);

    // The server refuses the message itself.
    let refusing = SmtpSink::start(SinkOptions {
        reject_data: true,
        ..SinkOptions::plain()
    });
    let mut mailer = Mailer::connect(&settings(&refusing, None)).unwrap();
    let e = mailer.send(&added_mail("7.8.9.0")).unwrap_err();
    assert!(matches!(e, Error::Rejected { .. }), "{e:?}");
    assert!(e.to_string().contains("554"), "{e}");
}

#[test]
fn a_line_with_a_single_dot_does_not_end_the_message_early() {
    let sink = SmtpSink::plain();
    let mail = Mail {
        subject: "dots".into(),
        text: "before\n.\n.leading\nafter\n".into(),
        html: "<p>x</p>\n.\n".into(),
    };
    let mut mailer = Mailer::connect(&settings(&sink, None)).unwrap();
    mailer.send(&mail).unwrap();
    // The session is still in step: a second mail goes through too.
    mailer.send(&added_mail("7.8.9.0")).unwrap();
    drop(mailer);
    let m = sink.wait_for(2, WAIT);
    assert_eq!(m[0].text.as_deref(), Some("before\n.\n.leading\nafter\n"));
    assert_eq!(m[0].html.as_deref(), Some("<p>x</p>\n.\n"));
    assert_eq!(m[1].subject, "ThreatQ Watchlist: Indicator Added");
}
