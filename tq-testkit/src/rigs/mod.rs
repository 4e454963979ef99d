//! Launchers for the real servers and clients the tests run against (research/dxl-tie.md §8):
//!
//! - [`mosquitto`]: a mosquitto broker with TLS and required client certificates on a random
//!   loopback port, certificates from a [`crate::certs::TestCa`], stopped on drop, restartable
//!   on the same port;
//! - [`dxl`]: OpenDXL client directories (`dxlclient.config` + certificates) and the real
//!   Python `dxlclient` publishing TIE reputation-change events.
//!
//! `scripts/rigs/install` installs what these need (apt `mosquitto`, the `.venv` with
//! `dxlclient`/`dxltieclient`). A missing rig is a test failure with a message saying to run
//! it, never a silent skip.

pub mod activemq;
pub mod dxl;
pub mod mosquitto;
pub mod rt;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The workspace root (where `scripts/` and `.venv/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs `scripts/install --only <binary> [args] /usr` into the staging root `dest`
/// (`DESTDIR`), installing the test build of `binary` (`bin` is its
/// `env!("CARGO_BIN_EXE_<name>")`; the script takes every binary from that directory).
pub fn scripts_install(dest: &Path, bin: &str, args: &[&str]) -> std::process::Output {
    let path = Path::new(bin);
    let from = path.parent().expect("the binary's directory");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::process::Command::new(repo_root().join("scripts/install"))
        .args(["--only", &name])
        .args(args)
        .arg("/usr")
        .env("DESTDIR", dest)
        .env("TQ_INSTALL_FROM", from)
        .output()
        .expect("run scripts/install")
}

/// Panics with the install hint: a rig that is not installed fails the test.
pub(crate) fn missing(what: &str) -> ! {
    panic!("{what} is not installed: run scripts/rigs/install (from the repository root)")
}

/// A directory under the system temp dir, removed (with its contents) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/<prefix>-<pid>-<n>-<nanos>`.
    pub fn new(prefix: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Standard base64 with padding (for hashes in reputation-change payloads).
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Lowercase hex to bytes; panics on bad hex (test input).
pub fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex digit"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(
            base64(&unhex("44d88612fea8a8f36de82e1278abb02f")),
            "RNiGEv6oqPNt6C4SeKuwLw=="
        );
    }
}
