//! A real ActiveMQ broker (Debian `activemq` 5.17, research/resilient.md §8) for the
//! tq-resilient-fn tests: STOMP over TLS and plain STOMP on random loopback ports, user name and
//! password required, a certificate from a [`TestCa`], a private directory per broker.
//!
//! - [`ActiveMq::shared`] is one broker per test process (started on first use): tests share
//!   it and keep apart by using their own [`Destination`] ([`Destination::unique`]). A JVM
//!   takes 1.5-2.5 s and about 100 MiB to start, so the suite starts as few as it can.
//! - [`ActiveMq::start`] is a broker of one's own, for the tests that stop, kill or restart it
//!   ([`ActiveMq::restart`], [`ActiveMq::kill_and_restart`]: same ports, same data).
//! - Persistent by default (KahaDB in the broker's directory, journal without fsync): messages
//!   sent with `persistent:true` survive a restart or a SIGKILL of the broker and are
//!   delivered again with the same `message-id` and a new `ack` id. The broker does **not**
//!   mark them `redelivered:true` after a restart (it keeps the redelivery count in memory
//!   only); after a consumer's disconnect it does. A client must therefore dedupe on
//!   `message-id`, never on the `redelivered` header.
//! - Two users: the integration user ([`ActiveMq::user`], [`ActiveMq::password`]) may read
//!   `actions.<org>.>` and write `acks.<org>.>` for [`ORG_ID`] only (reading another org's
//!   destination gets SOAR's "not authorized" ERROR); the SOAR side
//!   ([`ActiveMq::soar`], module [`peer`]) may do anything.
//! - [`proxy::Proxy`] is a TCP relay to put between a client and the broker: pausing it
//!   silences the broker without closing the connection (heart-beat timeouts), cutting it
//!   drops every connection at once.
//!
//! The JVM runs under a small `sh` wrapper whose standard input is a pipe from this process:
//! when the test process ends, however it ends, the pipe closes and the wrapper kills the
//! broker and removes its directory, so no broker outlives its tests (the shared one is a
//! `static` and never dropped).

pub mod peer;
pub mod proxy;

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use openssl::pkcs12::Pkcs12;
use openssl::pkey::PKey;
use openssl::stack::Stack;
use openssl::x509::X509;

use super::{free_port, missing, TempDir};
use crate::certs::TestCa;
use crate::procfs::Proc;

pub use peer::{ActionMessage, Reply, Soar};

/// The org id the integration user is allowed on (the samples' org).
pub const ORG_ID: u64 = 201;

/// Where Debian installs the broker.
pub const ACTIVEMQ_JAR: &str = "/usr/share/activemq/bin/activemq.jar";

/// The integration user's login (the samples' e-mail address).
pub const INTEGRATION_USER: &str = "integration@example.com";

/// The SOAR side's login (an administrator of every destination).
pub const SOAR_USER: &str = "soar-server";

const KEYSTORE_PASSWORD: &str = "changeit";

/// Which JIT the broker's JVM uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jit {
    /// C1 only (`-XX:TieredStopAtLevel=1`): starts in about 60 % of the time; for tests.
    Quick,
    /// The JVM's default tiered JIT: slower start, faster under sustained load; for benchmarks.
    Full,
}

/// How to start a broker.
#[derive(Debug, Clone)]
pub struct ActiveMqOptions {
    /// Keep messages on disk (KahaDB), so a restart or a SIGKILL loses nothing sent
    /// `persistent:true` (default true).
    pub persistent: bool,
    /// The JIT (default [`Jit::Quick`]).
    pub jit: Jit,
    /// Maximum Java heap in MiB (default 256).
    pub heap_mib: u32,
    /// Port of the STOMP+SSL connector; `None` picks a free one.
    pub tls_port: Option<u16>,
    /// Port of the plain STOMP connector; `None` picks a free one.
    pub plain_port: Option<u16>,
}

impl Default for ActiveMqOptions {
    fn default() -> Self {
        ActiveMqOptions {
            persistent: true,
            jit: Jit::Quick,
            heap_mib: 256,
            tls_port: None,
            plain_port: None,
        }
    }
}

/// A queue pair of one message destination, `actions.<org>.<name>` and `acks.<org>.<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The org id (the integration user may use [`ORG_ID`] only).
    pub org_id: u64,
    /// The destination's programmatic name, e.g. `fn_threatq`.
    pub name: String,
}

impl Destination {
    /// `actions.201.<name>`-style destination in [`ORG_ID`].
    pub fn new(name: &str) -> Destination {
        Destination {
            org_id: ORG_ID,
            name: name.to_string(),
        }
    }

    /// A destination no other test in any process uses: `<prefix>_<pid>_<n>` in [`ORG_ID`].
    pub fn unique(prefix: &str) -> Destination {
        static N: AtomicU64 = AtomicU64::new(0);
        Destination::new(&format!(
            "{prefix}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// What the app subscribes to: `actions.<org>.<name>` (no `/queue/` prefix, as
    /// resilient-circuits sends it; research §2.2).
    pub fn actions(&self) -> String {
        format!("actions.{}.{}", self.org_id, self.name)
    }

    /// Where the app replies: `/queue/acks.<org>.<name>` (the `reply-to` of every message).
    pub fn reply_to(&self) -> String {
        format!("/queue/acks.{}.{}", self.org_id, self.name)
    }
}

/// A running ActiveMQ; stopped (and its directory removed) on drop or when the test process
/// ends.
pub struct ActiveMq {
    dir: TempDir,
    tls_port: u16,
    plain_port: u16,
    password: String,
    soar_password: String,
    ca_file: PathBuf,
    ca_pem: String,
    opts: ActiveMqOptions,
    run: Option<Running>,
    starts: u32,
    last_start: Duration,
}

/// The wrapper shell and the JVM under it.
struct Running {
    wrapper: Child,
    stdin: Option<ChildStdin>,
    java_pid: u32,
}

/// Where Java and the broker are, or the install hint.
fn check_installed() {
    if !Path::new(ACTIVEMQ_JAR).exists() {
        missing("ActiveMQ (Debian package activemq)");
    }
    let java = Command::new("java")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !java.is_ok_and(|s| s.success()) {
        missing("java (a JRE for ActiveMQ)");
    }
}

/// A random password for a broker user.
fn random_password(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mix = nanos as u64
        ^ (u64::from(std::process::id()) << 32)
        ^ N.fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!("{prefix}{mix:016x}")
}

impl ActiveMq {
    /// The broker every test of this process shares, started on first use. Use a
    /// [`Destination::unique`] per test; never stop or restart it (it has no `&mut`).
    pub fn shared() -> &'static ActiveMq {
        static SHARED: OnceLock<ActiveMq> = OnceLock::new();
        SHARED.get_or_init(|| ActiveMq::start(ActiveMqOptions::default()))
    }

    /// Starts a broker of one's own; panics (with the broker's log) if it does not come up.
    pub fn start(opts: ActiveMqOptions) -> ActiveMq {
        check_installed();
        let dir = TempDir::new("tq-activemq");
        let ca = TestCa::new("tq-testkit ActiveMQ CA");
        let ca_file = dir.path().join("ca.pem");
        ca.write_cert(&ca_file).expect("write ca.pem");
        write_keystore(&ca, &dir.path().join("conf/broker.p12"));
        let fixed_ports = opts.tls_port.is_some() || opts.plain_port.is_some();
        let mut b = ActiveMq {
            tls_port: opts.tls_port.unwrap_or_else(free_port),
            plain_port: opts.plain_port.unwrap_or_else(free_port),
            password: random_password("amq-pw-"),
            soar_password: random_password("soar-pw-"),
            ca_file,
            ca_pem: ca.cert_pem(),
            dir,
            opts,
            run: None,
            starts: 0,
            last_start: Duration::ZERO,
        };
        // A free port can be taken by another process before the JVM binds it: then try
        // other ports (twice more), unless the caller chose them.
        for attempt in 1.. {
            if b.plain_port == b.tls_port {
                b.plain_port = free_port();
                continue;
            }
            b.write_config();
            match b.try_spawn() {
                Ok(()) => break,
                Err(e) if !fixed_ports && attempt < 3 && e.contains("Address already in use") => {
                    b.tls_port = free_port();
                    b.plain_port = free_port();
                }
                Err(e) => panic!("{e}"),
            }
        }
        b
    }

    // ---- where and who ----

    /// The host name the certificate is for (`localhost`; SAN also `127.0.0.1`).
    pub fn host(&self) -> &'static str {
        "localhost"
    }
    /// The STOMP+SSL port on 127.0.0.1 (SOAR's 65001).
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }
    /// The plain STOMP port on 127.0.0.1 (the SOAR side's helper uses it).
    pub fn plain_port(&self) -> u16 {
        self.plain_port
    }
    /// The CA certificate file that signed the broker's certificate (a client's `cafile`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }
    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
    /// The integration user's login.
    pub fn user(&self) -> &'static str {
        INTEGRATION_USER
    }
    /// The integration user's password (random per broker).
    pub fn password(&self) -> &str {
        &self.password
    }
    /// The SOAR side's login and password.
    pub fn soar_credentials(&self) -> (&'static str, &str) {
        (SOAR_USER, &self.soar_password)
    }
    /// The broker's directory (config, keystore, data, `data/stdout.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    /// The JVM's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.run.as_ref().map(|r| r.java_pid)
    }
    /// The JVM's resident set size in KiB (0 when not running).
    pub fn rss_kib(&self) -> u64 {
        self.pid().map_or(0, |p| Proc::pid(p).status_kb("VmRSS"))
    }
    /// How many times the broker was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }
    /// How long the last start took until both ports accepted connections.
    pub fn last_start_time(&self) -> Duration {
        self.last_start
    }
    /// Everything the broker logged so far (all starts).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/stdout.log")).unwrap_or_default()
    }

    /// A SOAR-side client on the plain port for `dest`: it puts action messages on
    /// `actions.<org>.<name>` and reads the replies from `acks.<org>.<name>`.
    pub fn soar(&self, dest: &Destination) -> Soar {
        Soar::connect(self, dest)
    }

    /// A destination of the test's own ([`Destination::unique`]`(prefix)`, so tests sharing a
    /// broker keep apart) and its SOAR-side client.
    pub fn soar_on_new(&self, prefix: &str) -> (Destination, Soar) {
        let dest = Destination::unique(prefix);
        let soar = self.soar(&dest);
        (dest, soar)
    }

    // ---- stop and start ----

    /// Stops the broker gracefully (SIGTERM; it closes every connection) and keeps its data.
    pub fn stop(&mut self) {
        self.halt("stop");
    }

    /// Kills the broker (SIGKILL) and keeps its data (KahaDB recovers on the next start).
    pub fn kill(&mut self) {
        self.halt("kill");
    }

    /// Starts the broker again on the same ports with the same data (after [`ActiveMq::stop`]
    /// or [`ActiveMq::kill`]; stops it first if it runs).
    pub fn start_again(&mut self) {
        if self.run.is_some() {
            self.stop();
        }
        self.spawn();
    }

    /// Graceful stop, then start on the same ports.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// SIGKILL, then start on the same ports.
    pub fn kill_and_restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Tells the wrapper to stop the JVM (`stop` = SIGTERM, `kill` = SIGKILL) without
    /// removing the directory, and waits until both are gone.
    fn halt(&mut self, how: &str) {
        let Some(mut run) = self.run.take() else {
            return;
        };
        if let Some(mut stdin) = run.stdin.take() {
            let _ = writeln!(stdin, "{how}");
        }
        let _ = run.wrapper.wait();
    }

    fn write_config(&self) {
        let d = self.dir.path();
        let data = d.join("data");
        std::fs::create_dir_all(&data).expect("create data dir");
        let persistence = if self.opts.persistent {
            format!(
                r#"persistent="true">
    <persistenceAdapter>
      <kahaDB directory="{}" enableJournalDiskSyncs="false"/>
    </persistenceAdapter"#,
                data.join("kahadb").display()
            )
        } else {
            r#"persistent="false""#.to_string()
        };
        let org = ORG_ID;
        let mut x = String::new();
        let _ = write!(
            x,
            r#"<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="soar-test"
          useJmx="false" advisorySupport="false" schedulerSupport="false"
          dataDirectory="{data}" {persistence}>
    <systemUsage><systemUsage>
      <memoryUsage><memoryUsage limit="64 mb"/></memoryUsage>
      <storeUsage><storeUsage limit="2 gb"/></storeUsage>
      <tempUsage><tempUsage limit="1 gb"/></tempUsage>
    </systemUsage></systemUsage>
    <plugins>
      <simpleAuthenticationPlugin anonymousAccessAllowed="false">
        <users>
          <authenticationUser username="{user}" password="{password}" groups="users"/>
          <authenticationUser username="{soar}" password="{soar_password}" groups="admins"/>
        </users>
      </simpleAuthenticationPlugin>
      <authorizationPlugin>
        <map>
          <authorizationMap>
            <authorizationEntries>
              <authorizationEntry queue="&gt;" read="admins" write="admins" admin="admins"/>
              <authorizationEntry queue="actions.{org}.&gt;" read="admins,users" write="admins" admin="admins,users"/>
              <authorizationEntry queue="acks.{org}.&gt;" read="admins" write="admins,users" admin="admins,users"/>
            </authorizationEntries>
          </authorizationMap>
        </map>
      </authorizationPlugin>
    </plugins>
    <sslContext>
      <sslContext keyStore="file:{keystore}" keyStorePassword="{KEYSTORE_PASSWORD}" keyStoreType="PKCS12"/>
    </sslContext>
    <transportConnectors>
      <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:{tls}"/>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:{plain}"/>
    </transportConnectors>
  </broker>
</beans>
"#,
            data = data.display(),
            user = INTEGRATION_USER,
            password = xml_escape(&self.password),
            soar = SOAR_USER,
            soar_password = xml_escape(&self.soar_password),
            keystore = d.join("conf/broker.p12").display(),
            tls = self.tls_port,
            plain = self.plain_port,
        );
        std::fs::write(d.join("conf/activemq.xml"), x).expect("write activemq.xml");
        // Debian's build logs through log4j 1.2 (research §8.2).
        std::fs::write(
            d.join("conf/log4j.properties"),
            "log4j.rootLogger=INFO, out\n\
             log4j.appender.out=org.apache.log4j.ConsoleAppender\n\
             log4j.appender.out.layout=org.apache.log4j.PatternLayout\n\
             log4j.appender.out.layout.ConversionPattern=%d %-5p %m%n\n\
             log4j.logger.org.springframework=WARN\n\
             log4j.logger.org.apache.xbean=WARN\n",
        )
        .expect("write log4j.properties");
    }

    fn java_args(&self) -> Vec<String> {
        let d = self.dir.path().display().to_string();
        let mut a = vec![
            "-Xms32m".to_string(),
            format!("-Xmx{}m", self.opts.heap_mib),
            "-XX:+UseSerialGC".to_string(),
            "-Djava.awt.headless=true".to_string(),
        ];
        if self.opts.jit == Jit::Quick {
            a.push("-XX:TieredStopAtLevel=1".to_string());
        }
        a.extend([
            format!("-Dlog4j.configuration=file:{d}/conf/log4j.properties"),
            format!("-Dactivemq.classpath={d}/conf"),
            "-Dactivemq.home=/usr/share/activemq".to_string(),
            format!("-Dactivemq.base={d}"),
            format!("-Dactivemq.conf={d}/conf"),
            format!("-Dactivemq.data={d}/data"),
            "-jar".to_string(),
            ACTIVEMQ_JAR.to_string(),
            "start".to_string(),
            format!("xbean:file:{d}/conf/activemq.xml"),
        ]);
        a
    }

    /// Starts the JVM; panics (with the log) if it does not come up.
    fn spawn(&mut self) {
        if let Err(e) = self.try_spawn() {
            panic!("{e}");
        }
    }

    /// Starts the JVM and waits for both ports; the error holds the broker's log.
    fn try_spawn(&mut self) -> Result<(), String> {
        let t0 = Instant::now();
        let d = self.dir.path();
        let log_from = std::fs::metadata(d.join("data/stdout.log")).map_or(0, |m| m.len());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("data/stdout.log"))
            .expect("open stdout.log");
        let log2 = log.try_clone().expect("clone log handle");
        // $1 = the directory removed when stdin reaches EOF; the rest is java's command line.
        // The JVM's output goes to the wrapper's stderr (the log), never to the pid pipe.
        // A line on stdin ("stop" or "kill") stops the JVM and keeps the directory.
        let wrapper = r#"dir=$1; shift
java "$@" </dev/null >&2 &
pid=$!
echo "$pid"
if read -r how; then keep=1; else how=kill; keep=0; fi
if [ "$how" = stop ]; then kill -TERM "$pid" 2>/dev/null; else kill -KILL "$pid" 2>/dev/null; fi
(sleep 20; kill -KILL "$pid" 2>/dev/null) &
guard=$!
wait "$pid"
kill "$guard" 2>/dev/null
[ "$keep" = 1 ] || rm -rf "$dir"
"#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(wrapper)
            .arg("activemq-wrapper")
            .arg(d)
            .args(self.java_args())
            .current_dir(d)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log2)
            .spawn()
            .expect("spawn sh for ActiveMQ");
        drop(log);
        let mut out = child.stdout.take().expect("wrapper stdout");
        let mut line = String::new();
        {
            use std::io::Read as _;
            let mut byte = [0u8; 1];
            while out.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\n' {
                line.push(byte[0] as char);
            }
        }
        let java_pid: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("ActiveMQ wrapper did not print the JVM pid: {line:?}"));
        self.run = Some(Running {
            stdin: child.stdin.take(),
            wrapper: child,
            java_pid,
        });
        self.starts += 1;
        self.wait_listening(log_from as usize)?;
        self.last_start = t0.elapsed();
        Ok(())
    }

    /// Waits (30 s at most) until the broker logged (after byte `log_from` of its log) that
    /// it started, and both ports accept connections; the error holds the log. The log line
    /// matters: a port another process holds accepts connections too.
    fn wait_listening(&mut self, log_from: usize) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let accepts = |port: u16| {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        };
        let started = |log: &str| {
            log.get(log_from..).is_some_and(|l| {
                l.lines()
                    .any(|x| x.contains("Apache ActiveMQ") && x.ends_with(") started"))
            })
        };
        loop {
            if !self.pid().is_some_and(alive) {
                // The wrapper waits on its stdin: tell it to finish, keeping the directory.
                self.halt("kill");
                return Err(format!("ActiveMQ exited at start; log:\n{}", self.log()));
            }
            if started(&self.log()) && accepts(self.plain_port) && accepts(self.tls_port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "ActiveMQ not started on {}/{} after 30 s; log:\n{}",
                    self.tls_port,
                    self.plain_port,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for ActiveMq {
    fn drop(&mut self) {
        // EOF on the wrapper's stdin: SIGKILL and remove the directory.
        if let Some(mut run) = self.run.take() {
            drop(run.stdin.take());
            let _ = run.wrapper.wait();
        }
    }
}

impl std::fmt::Debug for ActiveMq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveMq")
            .field("tls_port", &self.tls_port)
            .field("plain_port", &self.plain_port)
            .field("dir", &self.dir.path())
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

/// Whether process `pid` runs (exists and is not a zombie waiting to be reaped).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(") ")
                .and_then(|(_, rest)| rest.chars().next())
        })
        .is_some_and(|state| state != 'Z' && state != 'X')
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The broker's key and certificate (with the CA) as a PKCS#12 keystore for Java.
fn write_keystore(ca: &TestCa, path: &Path) {
    let issued = ca.issue_server("localhost", &["localhost", "127.0.0.1"]);
    let key = PKey::private_key_from_pem(issued.key_pem.as_bytes()).expect("broker key");
    let cert = X509::from_pem(issued.cert_pem.as_bytes()).expect("broker cert");
    let mut chain = Stack::new().expect("stack");
    chain.push(ca.x509().clone()).expect("push CA");
    let p12 = Pkcs12::builder()
        .name("broker")
        .pkey(&key)
        .cert(&cert)
        .ca(chain)
        .build2(KEYSTORE_PASSWORD)
        .expect("PKCS#12 keystore");
    std::fs::create_dir_all(path.parent().expect("conf dir")).expect("create conf dir");
    std::fs::write(path, p12.to_der().expect("PKCS#12 DER")).expect("write keystore");
}
