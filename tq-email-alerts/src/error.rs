//! The error type of tq-email-alerts: what can go wrong talking to the SMTP server. Every
//! message names the server (and the user, where a login is involved) and never the
//! password. Converted into `tq_common::Error` for the exit code: a CA file that cannot be
//! used is a configuration error (exit 2), everything else a runtime failure (exit 1).

use std::path::PathBuf;

/// Everything that can stop the mails from going out.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No connection to the server (refused, unreachable, name not resolved, timeout).
    #[error("SMTP server {server}: cannot connect: {message}")]
    Connect {
        /// `host:port`
        server: String,
        /// Why.
        message: String,
    },

    /// The TLS handshake failed (certificate not trusted, wrong host name, protocol).
    #[error("SMTP server {server}: TLS handshake failed: {message} (set smtp_ca_file to the CA that issued the server's certificate)")]
    Tls {
        /// `host:port`
        server: String,
        /// Why.
        message: String,
    },

    /// The server offers no STARTTLS and a password would go out in clear.
    #[error("SMTP server {server} does not offer STARTTLS: refusing to send the password of user {user} in clear (use_ssl = true for implicit TLS, or require_starttls = false to allow it)")]
    StartTlsUnavailable {
        /// `host:port`
        server: String,
        /// The login.
        user: String,
    },

    /// AUTH failed (wrong user or password, no common mechanism).
    #[error("SMTP server {server} refused the login of user {user}: {reply}")]
    Login {
        /// `host:port`
        server: String,
        /// The login.
        user: String,
        /// The server's reply.
        reply: String,
    },

    /// MAIL FROM was refused.
    #[error("SMTP server {server} refused the sender {from}: {reply}")]
    Sender {
        /// `host:port`
        server: String,
        /// The From address.
        from: String,
        /// The server's reply.
        reply: String,
    },

    /// Every recipient was refused: nobody got the mail.
    #[error("SMTP server {server} refused every recipient of \"{subject}\": {refused}")]
    AllRecipientsRefused {
        /// `host:port`
        server: String,
        /// The mail's subject.
        subject: String,
        /// `address: reply` for each.
        refused: String,
    },

    /// DATA or the message itself was refused.
    #[error("SMTP server {server} refused the message \"{subject}\": {reply}")]
    Rejected {
        /// `host:port`
        server: String,
        /// The mail's subject.
        subject: String,
        /// The server's reply.
        reply: String,
    },

    /// The connection broke or timed out in the middle of a command.
    #[error("SMTP server {server}: connection lost during {during}: {message}")]
    Io {
        /// `host:port`
        server: String,
        /// The command or step.
        during: &'static str,
        /// Why.
        message: String,
    },

    /// `smtp_ca_file` cannot be read or holds no usable certificate.
    #[error("smtp_ca_file: {message}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the file.
        message: String,
    },

    /// The message could not be built (an address lettre does not accept).
    #[error("cannot build the mail \"{subject}\": {message}")]
    Message {
        /// The mail's subject.
        subject: String,
        /// Why.
        message: String,
    },
}

impl From<Error> for tq_common::Error {
    fn from(e: Error) -> tq_common::Error {
        match e {
            Error::CaFile { .. } => tq_common::Error::usage(e.to_string()),
            other => tq_common::Error::runtime(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_messages() {
        let login = Error::Login {
            server: "mail.example:587".into(),
            user: "alerts@example.org".into(),
            reply: "535 5.7.8 Authentication credentials invalid".into(),
        };
        let msg = login.to_string();
        assert!(msg.contains("mail.example:587") && msg.contains("alerts@example.org"));
        assert_eq!(tq_common::Error::from(login).exit_code(), 1);
        let ca = Error::CaFile {
            path: "/etc/ssl/smtp.pem".into(),
            message: "no certificate in it".into(),
        };
        assert_eq!(tq_common::Error::from(ca).exit_code(), 2);
    }
}
