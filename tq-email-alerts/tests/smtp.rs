//! The SMTP module (`smtp::Mailer`) against the real aiosmtpd sink (tq_testkit::rigs::smtp),
//! for what the binary-level tests (smtp_modes.rs, delivery.rs) do not reach: the delivery
//! of each recipient, every recipient refused, a CR/LF subject, an untrusted certificate and
//! smtp_verify_tls, a refused message, dot lines, and 100 mails over one connection.

use std::time::{Duration, Instant};

use lettre::message::Mailbox;
use tq_common::Secret;
use tq_email_alerts::error::Error;
use tq_email_alerts::mail::{watchlist_mail, Mail};
use tq_email_alerts::model::{Timestamp, WatchedObject};
use tq_email_alerts::objects::{LinkBase, ObjectKind, ObjectRef};
use tq_email_alerts::smtp::{Login, Mailer, SmtpSettings};
use tq_email_alerts::watchlist::{diff, WatchlistState};
use tq_testkit::rigs::smtp::{Mode, SinkOptions, SmtpSink};

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
