//! A real mosquitto broker for tests: TLS, `require_certificate true`, a random loopback port,
//! certificates from a [`TestCa`], a per-broker temp dir, stopped on drop.
//!
//! [`Mosquitto::kill`] and [`Mosquitto::restart`] stop it and start it again on the same port
//! (for reconnect tests). [`Queue::Unbounded`] sets `max_queued_messages 0` and
//! `max_queued_bytes 0` so the broker never drops QoS 0 messages for a slow subscriber
//! (research/peer-bench.md A); [`Queue::Default`] keeps mosquitto's default of 1000.

use std::fmt::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, missing, TempDir};
use crate::certs::TestCa;

/// mosquitto's per-client queue for QoS 0 messages it cannot send yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// mosquitto's default (`max_queued_messages 1000`): drops under a burst to a slow client.
    Default,
    /// `max_queued_messages 0`, `max_queued_bytes 0`: never drops.
    Unbounded,
}

#[derive(Debug, Clone)]
/// How to start the broker.
pub struct MosquittoOptions {
    /// The per-client queue for QoS 0 messages.
    pub queue: Queue,
    /// Cap TLS at 1.2 as the OpenDXL broker does (via `OPENSSL_CONF`).
    pub tls12_max: bool,
    /// Log every packet (`log_type all`), for debugging a test.
    pub log_all: bool,
    /// The port; `None` picks a free one.
    pub port: Option<u16>,
}

impl Default for MosquittoOptions {
    fn default() -> Self {
        MosquittoOptions {
            queue: Queue::Default,
            tls12_max: false,
            log_all: false,
            port: None,
        }
    }
}

/// A running mosquitto (stopped on drop).
pub struct Mosquitto {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
    starts: u32,
    opts: MosquittoOptions,
}

/// Where mosquitto lives (Debian installs it in /usr/sbin); panics saying how to install it.
pub fn mosquitto_binary() -> PathBuf {
    find_mosquitto().unwrap_or_else(|| missing("mosquitto"))
}

/// Where mosquitto lives, if it is installed.
pub fn find_mosquitto() -> Option<PathBuf> {
    [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

impl Mosquitto {
    /// Starts a broker whose certificate `ca` issues (CN and SAN localhost, 127.0.0.1).
    pub fn start(ca: &TestCa, opts: MosquittoOptions) -> Mosquitto {
        let dir = TempDir::new("tq-mosquitto");
        let server = ca.issue_server("localhost", &["localhost", "127.0.0.1"]);
        ca.write_cert(&dir.path().join("ca.crt")).expect("write CA");
        std::fs::write(dir.path().join("broker.crt"), &server.cert_pem).expect("write cert");
        std::fs::write(dir.path().join("broker.key"), &server.key_pem).expect("write key");
        let port = opts.port.unwrap_or_else(free_port);
        let mut m = Mosquitto {
            dir,
            port,
            child: None,
            starts: 0,
            opts,
        };
        m.write_config();
        m.spawn();
        m
    }

    /// Starts a broker with the default options.
    pub fn start_default(ca: &TestCa) -> Mosquitto {
        Mosquitto::start(ca, MosquittoOptions::default())
    }

    /// The TLS listener's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's temp dir (config, certificates, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id of the running broker.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn write_config(&self) {
        let d = self.dir.path();
        let mut c = String::new();
        let _ = writeln!(c, "per_listener_settings false");
        let _ = writeln!(c, "persistence false");
        let _ = writeln!(c, "allow_anonymous true");
        let _ = writeln!(c, "log_dest stdout");
        if self.opts.log_all {
            let _ = writeln!(c, "log_type all");
        } else {
            for t in ["error", "warning", "notice"] {
                let _ = writeln!(c, "log_type {t}");
            }
        }
        let _ = writeln!(c, "connection_messages true");
        let _ = writeln!(c, "listener {} 127.0.0.1", self.port);
        let _ = writeln!(c, "cafile {}", d.join("ca.crt").display());
        let _ = writeln!(c, "certfile {}", d.join("broker.crt").display());
        let _ = writeln!(c, "keyfile {}", d.join("broker.key").display());
        let _ = writeln!(c, "require_certificate true");
        let _ = writeln!(c, "use_identity_as_username false");
        let _ = writeln!(c, "tls_version tlsv1.2");
        if self.opts.queue == Queue::Unbounded {
            let _ = writeln!(c, "max_queued_messages 0");
            let _ = writeln!(c, "max_queued_bytes 0");
        }
        if is_root() {
            // Started as root, mosquitto drops to user "mosquitto", which cannot read the
            // 0600 key in a root-owned temp dir. Throwaway test keys: stay root.
            let _ = writeln!(c, "user root");
        }
        std::fs::write(d.join("mosquitto.conf"), c).expect("write mosquitto.conf");
        if self.opts.tls12_max {
            std::fs::write(
                d.join("openssl-tls12max.cnf"),
                "openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = system_default_sect\n[system_default_sect]\nMaxProtocol = TLSv1.2\n",
            )
            .expect("write openssl conf");
        }
    }

    fn spawn(&mut self) {
        let d = self.dir.path();
        self.starts += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("mosquitto.log"))
            .expect("open mosquitto.log");
        let log2 = log.try_clone().expect("clone log handle");
        let mut cmd = Command::new(mosquitto_binary());
        cmd.arg("-c")
            .arg(d.join("mosquitto.conf"))
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        if self.opts.tls12_max {
            cmd.env("OPENSSL_CONF", d.join("openssl-tls12max.cnf"));
        }
        let child = cmd.spawn().expect("spawn mosquitto");
        self.child = Some(child);
        self.wait_listening();
    }

    /// Waits until the port accepts TCP connections (or the broker died).
    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("mosquitto exited at start ({status}); log:\n{}", self.log());
                }
            }
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "mosquitto not listening on {} after 10 s; log:\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the broker (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the broker again on the same port (after [`Mosquitto::kill`]).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// How many times the broker process was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// Everything the broker logged so far (all starts).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}

fn is_root() -> bool {
    // The effective uid of this process, from /proc (no libc needed).
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
