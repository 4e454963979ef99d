//! The error of an action or function: what the final reply's `ERROR:` text says. The
//! protocol modules keep their own ([`crate::stomp::Error`] for the broker,
//! [`crate::message::MessageError`] for a body); this one is what rules and functions
//! return, and what the run ends with.

/// Why an action or function failed; the text names the system, object or field involved,
/// never a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// ThreatQ or Resilient failed after retries, or refused the work; the configuration.
    #[error(transparent)]
    Remote(#[from] tq_common::Error),
    /// The message cannot be used (its body, or one of its fields).
    #[error(transparent)]
    Message(#[from] crate::message::MessageError),
    /// The action cannot be done as asked: an artifact type without an indicator type, a
    /// required field missing, an unknown rule.
    #[error("{0}")]
    Action(String),
}

impl Error {
    /// An [`Error::Action`].
    pub fn action(msg: impl Into<String>) -> Error {
        Error::Action(msg.into())
    }

    /// The text for a reply or a log line, with every registered secret masked.
    pub fn safe_message(&self) -> String {
        tq_common::logging::redact(&self.to_string()).into_owned()
    }
}

/// Result with this crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for tq_common::Error {
    fn from(e: Error) -> tq_common::Error {
        match e {
            Error::Remote(e) => e,
            other => tq_common::Error::runtime(other.to_string()),
        }
    }
}
