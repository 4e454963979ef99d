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

/// Takes the lock, waiting up to `timeout` for another process to release it (polling every
/// 50 ms). `Ok(None)` when it is still held after `timeout`. For locks that serialise work
/// rather than skip it: two syncs of one ticket run one after the other.
pub fn wait_lock(path: &Path, timeout: std::time::Duration) -> crate::Result<Option<InstanceLock>> {
    let deadline = std::time::Instant::now() + timeout;
    let mut logged = false;
    loop {
        if let Some(l) = try_lock(path)? {
            return Ok(Some(l));
        }
        if std::time::Instant::now() >= deadline {
            return Ok(None);
        }
        if !logged {
            log::info!("waiting for {} (held by another run)", path.display());
            logged = true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
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

    #[test]
    fn wait_lock_waits_for_the_holder_and_gives_up_after_the_timeout() {
        use std::time::{Duration, Instant};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let first = try_lock(&p).unwrap().expect("first lock");
        let t0 = Instant::now();
        assert!(wait_lock(&p, Duration::from_millis(200)).unwrap().is_none());
        assert!(t0.elapsed() >= Duration::from_millis(200));
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(first);
        });
        let t0 = Instant::now();
        assert!(wait_lock(&p, Duration::from_secs(5)).unwrap().is_some());
        assert!(t0.elapsed() >= Duration::from_millis(100));
        releaser.join().unwrap();
    }
}
