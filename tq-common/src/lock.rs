//! One run at a time per instance: an exclusive `flock` on `<config dir>/<instance>.lock`,
//! held for the life of the process and released by the kernel when it exits (even on
//! SIGKILL), so a stale lock can never block cron.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// A held instance lock. Dropping it releases the lock.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    path: PathBuf,
}

impl InstanceLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the lock without waiting. `Ok(None)` means another process holds it.
pub fn try_lock(path: &Path) -> crate::Result<Option<InstanceLock>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| {
            crate::Error::usage(format!(
                "cannot open lock file {}: {e} (is the config directory writable?)",
                path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(InstanceLock {
            _file: file,
            path: path.to_path_buf(),
        })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(crate::Error::runtime(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let first = try_lock(&p).unwrap().expect("first lock");
        assert!(try_lock(&p).unwrap().is_none());
        drop(first);
        assert!(try_lock(&p).unwrap().is_some());
    }
}
