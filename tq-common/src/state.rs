//! Connector state: `<config dir>/<instance>.state.json`, `{"version": N, "data": {...}}`,
//! written atomically and only after the work it covers is done in ThreatQ.
//!
//! A state file that cannot be parsed is never reset silently: it is moved aside to
//! `<file>.corrupt-<UTC time>` and the run stops with exit 2, saying so; the next run
//! starts from a fresh state, which repeats work rather than losing it.
//!
//! A state file of a newer format (written by a later release, e.g. before a downgrade) is
//! not corrupt: the run stops with exit 2 saying so, and the file is kept where it is, so
//! that the newer release finds it again.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    version: u32,
    data: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    version: u32,
    data: serde_json::Value,
}

/// The state file of one instance.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
    version: u32,
}

impl StateFile {
    /// A state file at `path` whose data has format `version`.
    pub fn new(path: impl Into<PathBuf>, version: u32) -> StateFile {
        StateFile {
            path: path.into(),
            version,
        }
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the state. A missing file is `Ok(None)` (first run). A corrupt file is moved
    /// aside and reported as [`Error::State`].
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::State {
                    path: self.path.clone(),
                    message: format!("cannot read: {e}"),
                })
            }
        };
        let envelope = serde_json::from_slice::<EnvelopeIn>(&bytes);
        if let Ok(env) = &envelope {
            if env.version > self.version {
                return Err(Error::State {
                    path: self.path.clone(),
                    message: format!(
                        "has format version {}, written by a newer release; this release reads \
                         version {}. The file is kept as it is: run the newer release, or move \
                         the file away to start from a fresh state (everything is processed \
                         again, without duplicates)",
                        env.version, self.version
                    ),
                });
            }
        }
        let parsed = envelope.map_err(|e| e.to_string()).and_then(|env| {
            if env.version != self.version {
                return Err(format!(
                    "format version {} is not the supported version {}",
                    env.version, self.version
                ));
            }
            serde_json::from_value::<T>(env.data).map_err(|e| e.to_string())
        });
        match parsed {
            Ok(v) => Ok(Some(v)),
            Err(why) => Err(self.move_aside(&why)),
        }
    }

    fn move_aside(&self, why: &str) -> Error {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let aside = PathBuf::from(format!("{}.corrupt-{stamp}", self.path.display()));
        let message = match std::fs::rename(&self.path, &aside) {
            Ok(()) => format!(
                "is corrupt ({why}); moved aside to {} - the next run starts from a fresh state \
                 (a first run: everything is processed again, without duplicates)",
                aside.display()
            ),
            Err(e) => format!(
                "is corrupt ({why}) and could not be moved aside ({e}); move or delete it by hand"
            ),
        };
        Error::State {
            path: self.path.clone(),
            message,
        }
    }

    /// Checks that the file, if present, is a readable state of this version (a corrupt
    /// one is moved aside and reported, as by [`StateFile::load`]).
    pub fn verify(&self) -> Result<()> {
        self.load::<serde_json::Value>().map(|_| ())
    }

    /// Saves the state atomically (mode 0600).
    pub fn save<T: Serialize>(&self, data: &T) -> Result<()> {
        let env = EnvelopeOut {
            version: self.version,
            data,
        };
        let mut bytes = serde_json::to_vec_pretty(&env)
            .map_err(|e| Error::runtime(format!("cannot encode state: {e}")))?;
        bytes.push(b'\n');
        crate::files::write_atomic(&self.path, &bytes, 0o600).map_err(|e| Error::State {
            path: self.path.clone(),
            message: format!("cannot write: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct S {
        watermark: String,
        seen: Vec<u64>,
    }

    #[test]
    fn round_trip_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path().join("x.state.json"), 1);
        assert_eq!(f.load::<S>().unwrap(), None);
        let s = S {
            watermark: "2026-01-01 00:00:00".into(),
            seen: vec![1, 2],
        };
        f.save(&s).unwrap();
        assert_eq!(f.load::<S>().unwrap(), Some(s));
    }

    #[test]
    fn corrupt_file_is_moved_aside_not_reset() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path().join("x.state.json"), 1);
        f.save(&S {
            watermark: "2026-01-01 00:00:00".into(),
            seen: vec![1, 2, 3],
        })
        .unwrap();
        let full = std::fs::read(f.path()).unwrap();
        std::fs::write(f.path(), &full[..full.len() / 2]).unwrap();
        let err = f.load::<S>().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("moved aside"), "{err}");
        assert!(!f.path().exists());
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
    }

    #[test]
    fn other_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.state.json");
        StateFile::new(&p, 1).save(&1u32).unwrap();
        assert!(StateFile::new(&p, 2).load::<u32>().is_err());
    }

    #[test]
    fn newer_version_is_refused_and_kept_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.state.json");
        StateFile::new(&p, 3).save(&7u32).unwrap();
        let before = std::fs::read(&p).unwrap();
        let err = StateFile::new(&p, 2).load::<u32>().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let msg = err.to_string();
        assert!(
            msg.contains(&p.display().to_string()) && msg.contains("newer release"),
            "{msg}"
        );
        assert!(
            msg.contains("version 3") && msg.contains("version 2"),
            "{msg}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), before, "kept as it was");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "nothing moved aside"
        );
    }
}
