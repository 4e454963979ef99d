//! Sending the mails: one SMTP connection per run (lettre's blocking `SmtpConnection`),
//! reused for every mail.
//!
//! - `use_ssl`: implicit TLS from the first byte; otherwise a plain connection upgraded with
//!   STARTTLS whenever the server offers it. Without STARTTLS, `require_starttls` refuses
//!   to log in (the run fails before AUTH or MAIL); `skip_login` sends without AUTH.
//! - AUTH PLAIN or LOGIN (whichever the server offers) as `username` (default: `email`).
//! - Each mail is `multipart/alternative` (text and HTML) from `email` to every recipient.
//!   A recipient the server refuses is logged as a warning and not retried; the others get
//!   the mail. Only a mail nobody could receive, or a refused message, is an error.
//! - Errors name the server (and the user where a login is involved), never the password.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::SmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail as MailCommand, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Message;
use log::{debug, info, warn};
use tq_common::Secret;

use crate::error::Error;
use crate::mail::Mail;
use crate::smtp_tls::tls_parameters;
use crate::template::one_line;

/// How long one SMTP step (connect, a command, the message) may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

/// An SMTP login.
#[derive(Debug, Clone)]
pub struct Login {
    /// `username`, or `email` when that is empty.
    pub user: String,
    /// `password`.
    pub password: Secret,
}

/// Everything needed to reach the SMTP server and address the mails.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp_host`: name or IP address (also the name its certificate must carry).
    pub host: String,
    /// `port`.
    pub port: u16,
    /// `use_ssl`: implicit TLS.
    pub use_ssl: bool,
    /// `require_starttls`: no password in clear.
    pub require_starttls: bool,
    /// `smtp_ca_file`.
    pub ca_file: Option<std::path::PathBuf>,
    /// `smtp_verify_tls`.
    pub verify_tls: bool,
    /// `email`: the sender.
    pub from: Mailbox,
    /// `recipients`.
    pub recipients: Vec<Mailbox>,
    /// `None` with `skip_login`.
    pub login: Option<Login>,
    /// Per-step timeout ([`SMTP_TIMEOUT`]).
    pub timeout: Duration,
}

impl SmtpSettings {
    /// `host:port`, as errors and logs name the server.
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// What happened to one mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// The recipients the server accepted.
    pub accepted: Vec<String>,
    /// The recipients it refused, with its reply (logged as warnings).
    pub refused: Vec<(String, String)>,
}

/// An open, logged-in SMTP session (QUIT on drop).
pub struct Mailer {
    conn: Option<SmtpConnection>,
    server: String,
    from: Mailbox,
    recipients: Vec<Mailbox>,
    encrypted: bool,
}

/// A negative SMTP reply (`Ok(text)`) or a failure of the connection itself (`Err(text)`).
fn reply_of(e: &lettre::transport::smtp::Error) -> Result<String, String> {
    if e.is_permanent() || e.is_transient() || e.is_response() {
        Ok(e.to_string())
    } else {
        Err(e.to_string())
    }
}

impl Mailer {
    /// Connects, secures the connection (implicit TLS or STARTTLS) and logs in.
    pub fn connect(s: &SmtpSettings) -> Result<Mailer, Error> {
        let server = s.server();
        let hello = ClientId::default();
        let tls = || tls_parameters(&s.host, &server, s.ca_file.as_deref(), s.verify_tls);
        let wrapper = if s.use_ssl { Some(tls()?) } else { None };
        let mut conn = SmtpConnection::connect(
            (s.host.as_str(), s.port),
            Some(s.timeout),
            &hello,
            wrapper.as_ref(),
            None,
        )
        .map_err(|e| {
            if e.is_tls() {
                Error::Tls {
                    server: server.clone(),
                    message: e.to_string(),
                }
            } else {
                Error::Connect {
                    server: server.clone(),
                    message: e.to_string(),
                }
            }
        })?;
        if !s.use_ssl {
            if conn.can_starttls() {
                let params = tls()?;
                // A refused STARTTLS command is a reply; anything else failed in the handshake.
                conn.starttls(&params, &hello)
                    .map_err(|e| match reply_of(&e) {
                        Ok(reply) => Error::Io {
                            server: server.clone(),
                            during: "STARTTLS",
                            message: reply,
                        },
                        Err(message) => Error::Tls {
                            server: server.clone(),
                            message,
                        },
                    })?;
            } else if let Some(login) = &s.login {
                if s.require_starttls {
                    conn.abort();
                    return Err(Error::StartTlsUnavailable {
                        server,
                        user: login.user.clone(),
                    });
                }
                warn!("SMTP server {server} does not offer STARTTLS: the password of user {} goes out in clear (require_starttls = false)", login.user);
            }
        }
        if let Some(login) = &s.login {
            let creds = Credentials::new(login.user.clone(), login.password.expose().to_string());
            if let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds) {
                conn.abort();
                return Err(Error::Login {
                    server,
                    user: login.user.clone(),
                    reply: e.to_string(),
                });
            }
        }
        let encrypted = conn.is_encrypted();
        debug!(
            "SMTP server {server}: connected ({}{})",
            if encrypted { "TLS" } else { "plain" },
            if s.login.is_some() { ", logged in" } else { "" }
        );
        Ok(Mailer {
            conn: Some(conn),
            server,
            from: s.from.clone(),
            recipients: s.recipients.clone(),
            encrypted,
        })
    }

    /// True when the session is encrypted (implicit TLS or STARTTLS).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// `--check`: connects, secures the connection and logs in as a run would, then QUITs;
    /// says how the session went ("TLS (STARTTLS), logged in as alerts@example.org").
    pub fn check(s: &SmtpSettings) -> Result<String, Error> {
        let mailer = Mailer::connect(s)?;
        let how = match (mailer.is_encrypted(), s.use_ssl) {
            (true, true) => "TLS (use_ssl)",
            (true, false) => "TLS (STARTTLS)",
            (false, _) => "plain, not encrypted",
        };
        let login = match &s.login {
            Some(l) => format!("logged in as {}", l.user),
            None => "no login (skip_login)".to_string(),
        };
        mailer.close();
        Ok(format!("connected, {how}, {login}"))
    }

    /// The bytes of `mail` as sent: headers, then `multipart/alternative`.
    pub fn message_bytes(&self, mail: &Mail) -> Result<Vec<u8>, Error> {
        let subject = one_line(&mail.subject);
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(subject.clone())
            .message_id(None);
        for r in &self.recipients {
            b = b.to(r.clone());
        }
        let m = b
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| Error::Message {
                subject,
                message: e.to_string(),
            })?;
        Ok(m.formatted())
    }

    /// Sends one mail to every recipient over the open connection. Refused recipients are
    /// logged and listed in the [`Delivery`]; the error cases are a mail nobody got, a
    /// refused sender or message, and a lost connection (which ends the session).
    pub fn send(&mut self, mail: &Mail) -> Result<Delivery, Error> {
        let bytes = self.message_bytes(mail)?;
        let subject = one_line(&mail.subject);
        let server = self.server.clone();
        let io = |during: &'static str, message: String| Error::Io {
            server: server.clone(),
            during,
            message,
        };
        let Some(conn) = self.conn.as_mut() else {
            return Err(io("MAIL FROM", "the connection was lost earlier".into()));
        };
        let mut params = Vec::new();
        if !bytes.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let result = (|| {
            if let Err(e) = conn.command(MailCommand::new(Some(self.from.email.clone()), params)) {
                return Err(match reply_of(&e) {
                    Ok(reply) => {
                        let _ = conn.command(Rset);
                        Error::Sender {
                            server: server.clone(),
                            from: self.from.email.to_string(),
                            reply,
                        }
                    }
                    Err(m) => io("MAIL FROM", m),
                });
            }
            let mut delivery = Delivery::default();
            for r in &self.recipients {
                match conn.command(Rcpt::new(r.email.clone(), vec![])) {
                    Ok(_) => delivery.accepted.push(r.email.to_string()),
                    Err(e) => match reply_of(&e) {
                        Ok(reply) => {
                            warn!("SMTP server {server} refused recipient {} of \"{subject}\": {reply} (not retried; the other recipients get the mail)", r.email);
                            delivery.refused.push((r.email.to_string(), reply));
                        }
                        Err(m) => return Err(io("RCPT TO", m)),
                    },
                }
            }
            if delivery.accepted.is_empty() {
                let _ = conn.command(Rset);
                return Err(Error::AllRecipientsRefused {
                    server: server.clone(),
                    subject: subject.clone(),
                    refused: delivery
                        .refused
                        .iter()
                        .map(|(a, r)| format!("{a}: {r}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
            let rejected = |reply: String| Error::Rejected {
                server: server.clone(),
                subject: subject.clone(),
                reply,
            };
            if let Err(e) = conn.command(Data) {
                return Err(match reply_of(&e) {
                    Ok(reply) => {
                        let _ = conn.command(Rset);
                        rejected(reply)
                    }
                    Err(m) => io("DATA", m),
                });
            }
            // Dot-stuffed message and terminator in one write: lettre's `message` writes the
            // terminator separately, and Nagle's algorithm then holds it until the server's
            // delayed ACK (about 40 ms per mail on loopback).
            let sent = match String::from_utf8(data_payload(&bytes)) {
                Ok(payload) => conn.command(RawData(payload)),
                Err(_) => conn.message(&bytes),
            };
            if let Err(e) = sent {
                return Err(match reply_of(&e) {
                    Ok(reply) => rejected(reply),
                    Err(m) => io("the message", m),
                });
            }
            Ok(delivery)
        })();
        match &result {
            Ok(d) => info!(
                "sent \"{subject}\" to {} recipient(s) via {}",
                d.accepted.len(),
                self.server
            ),
            Err(Error::Io { .. }) => {
                if let Some(mut c) = self.conn.take() {
                    c.abort();
                }
            }
            Err(_) => {}
        }
        result
    }

    /// Ends the session politely (QUIT); the same happens on drop.
    pub fn close(mut self) {
        self.quit();
    }

    fn quit(&mut self) {
        if let Some(mut c) = self.conn.take() {
            if let Err(e) = c.quit() {
                debug!("SMTP server {}: QUIT: {e}", self.server);
            }
        }
    }
}

/// The DATA payload: `message` with every line that starts with `.` dot-stuffed (RFC 5321
/// §4.5.2; a bare LF counts as a line end too), ending in CRLF, then the `.` line.
pub fn data_payload(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    let mut line_start = true;
    for &b in message {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Already formatted SMTP data, written as one command.
struct RawData(String);

impl std::fmt::Display for RawData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Drop for Mailer {
    fn drop(&mut self) {
        self.quit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_payload_dot_stuffs_and_terminates() {
        assert_eq!(
            data_payload(b"a\r\n.\r\n.b\r\nc.d"),
            b"a\r\n..\r\n..b\r\nc.d\r\n.\r\n"
        );
        assert_eq!(data_payload(b".x\r\n"), b"..x\r\n.\r\n");
        assert_eq!(data_payload(b"x\n.y"), b"x\n..y\r\n.\r\n");
        assert_eq!(data_payload(b""), b"\r\n.\r\n");
    }
}
