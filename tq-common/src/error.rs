//! The error type of tq-common, and the exit code each kind maps to
//! (design.md §3: 0 success, 1 runtime failure after retries, 2 usage or config error).

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can stop a connector run. Every message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong flags, missing first-run input, unusable directories: exit 2.
    #[error("{0}")]
    Usage(String),

    /// One config option is wrong: exit 2.
    #[error("{origin}: [{section}] {key}: {message}")]
    Config {
        /// Where the settings came from: the config file, or what the source is.
        origin: String,
        /// The INI section.
        section: String,
        /// The key (option name).
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },

    /// The config source as a whole cannot be found, read or parsed: exit 2.
    #[error("{origin}: {message}")]
    ConfigFile {
        /// The config file, or what the source is.
        origin: String,
        /// What is wrong.
        message: String,
    },

    /// The state file is unreadable or corrupt: exit 2 (it is moved aside, never reset silently).
    #[error("state file {}: {message}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong and what was done about it.
        message: String,
    },

    /// A remote system could not be reached or refused the work after retries: exit 1.
    #[error("{system}: {message}")]
    Remote {
        /// "ThreatQ", "Cisco Threat Response", ...
        system: String,
        /// The failure, with the host or path involved and never a secret.
        message: String,
        /// Set when the remote asked us to come back later (HTTP 429 Retry-After).
        retry_after: Option<Duration>,
        /// The HTTP status, when there was one.
        status: Option<u16>,
    },

    /// Any other failure while running: exit 1.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// A usage error (exit 2).
    pub fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }

    /// A runtime error (exit 1).
    pub fn runtime(msg: impl Into<String>) -> Error {
        Error::Runtime(msg.into())
    }

    /// A remote-system error with no HTTP status (exit 1).
    pub fn remote(system: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::Remote {
            system: system.into(),
            message: msg.into(),
            retry_after: None,
            status: None,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Config { .. } | Error::ConfigFile { .. } => 2,
            Error::State { .. } => 2,
            Error::Remote { .. } | Error::Runtime(_) => 1,
        }
    }

    /// The HTTP status of a remote error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Remote { status, .. } => *status,
            _ => None,
        }
    }

    /// True for a remote error caused by rate limiting (HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// The message, with every registered secret masked (see [`crate::logging::redact`]).
    pub fn safe_message(&self) -> String {
        crate::logging::redact(&self.to_string()).into_owned()
    }
}

/// Result with the tq-common error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(
            Error::Config {
                origin: "a.ini".into(),
                section: "threatq".into(),
                key: "host".into(),
                message: "expected a host".into()
            }
            .to_string(),
            "a.ini: [threatq] host: expected a host"
        );
        assert_eq!(Error::remote("ThreatQ", "down").exit_code(), 1);
        assert_eq!(Error::runtime("x").exit_code(), 1);
    }
}
