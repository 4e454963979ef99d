//! An RT session kept between runs: the cron mode keeps it in its state file, the action
//! mode in a file beside its ticket locks (mode 0600, in a directory only RT's user can
//! read). A run that resumes it sends no login; when RT has ended it, the first request
//! logs in again by itself ([`super::transport`]). RT's own password check (bcrypt) is the
//! most expensive part of a small sync, on both sides.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tq_common::Secret;

use super::RtClient;

/// A session cookie and whose it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredSession {
    /// The RT URL it belongs to.
    pub rt: String,
    /// The RT user it belongs to.
    pub user: String,
    /// The cookie (`RT_SID_...=...`).
    pub cookie: String,
}

impl StoredSession {
    /// The session of `client` (RT at `rt` as `user`), once it has one.
    pub fn of(client: &RtClient, rt: &str, user: &str) -> Option<StoredSession> {
        client.session_cookie().map(|c| StoredSession {
            rt: rt.to_string(),
            user: user.to_string(),
            cookie: c.expose().to_string(),
        })
    }

    /// Resumes this session in `client` when it is RT at `rt` as `user`.
    pub fn resume_into(&self, client: &RtClient, rt: &str, user: &str) {
        if self.rt == rt && self.user == user && !self.cookie.is_empty() {
            client.resume(Secret::new(self.cookie.clone()));
        }
    }

    /// Reads a session file (`None` when missing or unreadable: the run logs in).
    pub fn load(path: &Path) -> Option<StoredSession> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// Writes a session file atomically, mode 0600 (a failure is only logged: the next run
    /// logs in).
    pub fn save(&self, path: &Path) {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        if let Err(e) = tq_common::files::write_atomic(path, &bytes, 0o600) {
            log::debug!("cannot keep the RT session in {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_private_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        assert_eq!(StoredSession::load(&p), None);
        let s = StoredSession {
            rt: "https://rt".into(),
            user: "threatq".into(),
            cookie: "RT_SID_x=1".into(),
        };
        s.save(&p);
        assert_eq!(StoredSession::load(&p), Some(s));
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
